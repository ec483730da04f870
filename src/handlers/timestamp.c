/* timestamp.c: the `timestamp` handler: parses a field into the event time
 * (ev->time_ns). `format` is iso8601 (= rfc3339: 2024-05-01T12:00:00.5Z,
 * a space for the T, the zone optional), unix (seconds, a fraction
 * allowed), unix_ms, or a pattern of %Y %m %d %H %M %S, %f (fraction,
 * 1-9 digits), %z (Z, +hh, +hhmm, +hh:mm), %b (Jan..Dec), %% and literal
 * bytes, e.g. "%d/%b/%Y:%H:%M:%S %z" (nginx). A value without an offset is
 * local time in `timezone` (an IANA name read from the tz database at
 * create, see util/tzif.h for the choice at DST changes; default UTC).
 * A value that does not parse is a handler error, or with on_error: keep
 * the event goes on with its time unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "plugin.h"
#include "util/tzif.h"
#include "util/xalloc.h"

static const char *const on_error_choices[] = {"fail", "keep", NULL};

typedef struct {
    char *field;
    char *format;
    char *timezone;
    int on_error;
} ts_cfg;

#define O(f) offsetof(ts_cfg, f)
static const sl_option ts_options[] = {
    {"field", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(field),
     "The field holding the time (a string, or a number for unix/unix_ms)."},
    {"format", SL_OPT_STRING, "iso8601", 0, 0, 0, NULL, O(format),
     "iso8601, rfc3339, unix, unix_ms, or a pattern such as \"%d/%b/%Y:%H:%M:%S %z\"."},
    {"timezone", SL_OPT_STRING, "UTC", 0, 0, 0, NULL, O(timezone),
     "IANA zone (e.g. Europe/Berlin) for values without an offset."},
    {"on_error", SL_OPT_ENUM, "fail", 0, 0, 0, on_error_choices, O(on_error),
     "fail: a handler error; keep: pass the event on with its time unchanged."},
    SL_OPT_END,
};

enum { F_ISO, F_UNIX, F_UNIX_MS, F_PATTERN };

typedef struct {
    const char *field;
    size_t field_len;
    int kind;
    const char *pattern;
    sl_tz *tz;
    bool keep;
} ts_state;

/* ---- parsing -------------------------------------------------------------- */

typedef struct {
    int64_t y;
    int mon, d, h, mi, s;
    int64_t ns;
    bool has_off;
    int32_t off;
} ts_parts;

typedef struct {
    const char *p, *e;
} cur;

static bool digits(cur *c, int min, int max, int64_t *out)
{
    int64_t v = 0;
    int n = 0;
    while (n < max && c->p < c->e && *c->p >= '0' && *c->p <= '9') {
        v = v * 10 + (*c->p++ - '0');
        n++;
    }
    *out = v;
    return n >= min;
}

static bool num2(cur *c, int *out, int lo, int hi)
{
    int64_t v;
    if (!digits(c, 1, 2, &v) || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

static bool frac(cur *c, int64_t *ns)
{
    int64_t v = 0;
    int n = 0;
    while (c->p < c->e && *c->p >= '0' && *c->p <= '9') {
        if (n < 9) {
            v = v * 10 + (*c->p - '0');
            n++;
        }
        c->p++;
    }
    if (n == 0)
        return false;
    for (; n < 9; n++)
        v *= 10;
    *ns = v;
    return true;
}

static bool zone(cur *c, ts_parts *t)
{
    if (c->p < c->e && (*c->p == 'Z' || *c->p == 'z')) {
        c->p++;
        t->has_off = true;
        t->off = 0;
        return true;
    }
    if (c->p >= c->e || (*c->p != '+' && *c->p != '-'))
        return false;
    int sign = *c->p++ == '-' ? -1 : 1;
    int64_t hh, mm = 0;
    if (!digits(c, 2, 2, &hh) || hh > 23)
        return false;
    if (c->p < c->e && *c->p == ':')
        c->p++;
    if (c->p < c->e && *c->p >= '0' && *c->p <= '9' && (!digits(c, 2, 2, &mm) || mm > 59))
        return false;
    t->has_off = true;
    t->off = (int32_t)(sign * (hh * 3600 + mm * 60));
    return true;
}

static bool month_name(cur *c, int *mon)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    if (c->e - c->p < 3)
        return false;
    char m[3];
    for (int i = 0; i < 3; i++)
        m[i] = (char)(c->p[i] | 0x20);
    for (int i = 0; i < 12; i++) {
        if (memcmp(names + 3 * i, m, 3) == 0) {
            *mon = i + 1;
            c->p += 3;
            return true;
        }
    }
    return false;
}

static bool parse_pattern(const char *f, cur *c, ts_parts *t)
{
    int64_t v;
    for (; *f; f++) {
        if (*f != '%') {
            if (c->p >= c->e || *c->p != *f)
                return false;
            c->p++;
            continue;
        }
        switch (*++f) {
        case 'Y':
            if (!digits(c, 4, 4, &v))
                return false;
            t->y = v;
            break;
        case 'm': if (!num2(c, &t->mon, 1, 12)) return false; break;
        case 'd': if (!num2(c, &t->d, 1, 31)) return false; break;
        case 'H': if (!num2(c, &t->h, 0, 23)) return false; break;
        case 'M': if (!num2(c, &t->mi, 0, 59)) return false; break;
        case 'S': if (!num2(c, &t->s, 0, 60)) return false; break;
        case 'f': if (!frac(c, &t->ns)) return false; break;
        case 'z': if (!zone(c, t)) return false; break;
        case 'b': if (!month_name(c, &t->mon)) return false; break;
        case '%':
            if (c->p >= c->e || *c->p != '%')
                return false;
            c->p++;
            break;
        default:
            return false;
        }
    }
    return c->p == c->e;
}

static bool parse_iso(cur *c, ts_parts *t)
{
    if (!parse_pattern("%Y-%m-%d", &(cur){c->p, c->p + 10 <= c->e ? c->p + 10 : c->e}, t))
        return false;
    c->p += 10;
    if (c->p >= c->e || (*c->p != 'T' && *c->p != 't' && *c->p != ' '))
        return false;
    c->p++;
    if (!parse_pattern("%H:%M:%S", &(cur){c->p, c->p + 8 <= c->e ? c->p + 8 : c->e}, t))
        return false;
    c->p += 8;
    if (c->p < c->e && (*c->p == '.' || *c->p == ',')) {
        c->p++;
        if (!frac(c, &t->ns))
            return false;
    }
    if (c->p < c->e && !zone(c, t))
        return false;
    return c->p == c->e;
}

/* The first unsupported directive, or NULL. A "%" at the very end is one
 * (strchr would find the terminating NUL in the list, and the loop would
 * then step past the end of the string). */
static const char *pattern_check(const char *f)
{
    for (; *f; f++) {
        if (*f != '%')
            continue;
        if (!f[1] || !strchr("YmdHMSfzb%", f[1]))
            return f;
        f++;
    }
    return NULL;
}

/* ---- handler -------------------------------------------------------------- */

static int kind_of(const char *format)
{
    if (!strcmp(format, "iso8601") || !strcmp(format, "rfc3339"))
        return F_ISO;
    if (!strcmp(format, "unix"))
        return F_UNIX;
    if (!strcmp(format, "unix_ms"))
        return F_UNIX_MS;
    return F_PATTERN;
}

static void ts_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    ts_cfg *cfg = cfgp;
    const char *bad;
    if (kind_of(cfg->format) == F_PATTERN) {
        if (!strchr(cfg->format, '%')) {
            sl_diag_error(d, sl_node_get(node, "format") ? sl_node_get(node, "format") : node,
                          "%s: format \"%s\" is none of iso8601, rfc3339, unix, unix_ms "
                          "and has no %% directive", what, cfg->format);
            return;
        }
        if ((bad = pattern_check(cfg->format))) {
            sl_diag_error(d, sl_node_get(node, "format") ? sl_node_get(node, "format") : node,
                          "%s: format: unsupported directive \"%.2s\" (use %%Y %%m %%d %%H "
                          "%%M %%S %%f %%z %%b %%%%)", what, bad);
            return;
        }
    }
    char err[256];
    sl_tz *tz = sl_tz_load(NULL, cfg->timezone, err, sizeof err);
    if (!tz)
        sl_diag_error(d, sl_node_get(node, "timezone") ? sl_node_get(node, "timezone") : node,
                      "%s: %s", what, err);
    sl_tz_free(tz);
}

static void *ts_create(const void *cfgp, const char *name)
{
    const ts_cfg *cfg = cfgp;
    char err[256];
    sl_tz *tz = sl_tz_load(NULL, cfg->timezone, err, sizeof err);
    if (!tz) {
        sl_error("handler", "%s: %s", name, err);
        return NULL;
    }
    ts_state *st = sl_calloc(1, sizeof *st);
    st->field = cfg->field;
    st->field_len = strlen(cfg->field);
    st->kind = kind_of(cfg->format);
    st->pattern = cfg->format;
    st->tz = tz;
    st->keep = cfg->on_error == 1;
    return st;
}

/* A string value's bytes; an empty one may have no pointer at all (an
 * empty message, an empty value of another parser), and NULL + 0 is
 * undefined. */
static cur str_cur(const sl_value *v)
{
    const char *p = v->u.s.p ? v->u.s.p : "";
    return (cur){p, p + v->u.s.n};
}

static bool unix_time(const ts_state *st, const sl_value *v, int64_t *ns)
{
    int64_t scale = st->kind == F_UNIX ? 1000000000 : 1000000;
    if (v->type == SL_VAL_INT) {
        if (v->u.i > INT64_MAX / scale || v->u.i < -(INT64_MAX / scale))
            return false;
        *ns = v->u.i * scale;
        return true;
    }
    if (v->type == SL_VAL_FLOAT) {
        double d = v->u.f * (double)scale;
        if (!(d > -9.2e18 && d < 9.2e18))   /* NaN too */
            return false;
        *ns = (int64_t)d;
        return true;
    }
    if (v->type != SL_VAL_STRING)
        return false;
    cur c = str_cur(v);
    bool neg = c.p < c.e && *c.p == '-';
    if (neg)
        c.p++;
    int64_t whole, f = 0;
    if (!digits(&c, 1, 18, &whole) || whole > INT64_MAX / scale - 1)  /* no overflow */
        return false;
    if (c.p < c.e && *c.p == '.') {
        c.p++;
        if (!frac(&c, &f))
            return false;
    }
    if (c.p != c.e)
        return false;
    *ns = whole * scale + f / (1000000000 / scale);
    if (neg)
        *ns = -*ns;
    return true;
}

static sl_handler_result ts_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    const ts_state *st = state;
    sl_value *v = sl_event_get(ev, st->field, st->field_len);
    int64_t ns;
    if (!v) {
        if (st->keep)
            return SL_HANDLER_PASS;
        sl_handler_fail(hc, "timestamp: field \"%s\" is missing", st->field);
        return SL_HANDLER_ERROR;
    }
    if (v->type == SL_VAL_TIME) {
        ev->time_ns = v->u.t_ns;
        return SL_HANDLER_PASS;
    }
    if (st->kind == F_UNIX || st->kind == F_UNIX_MS) {
        if (unix_time(st, v, &ns)) {
            ev->time_ns = ns;
            return SL_HANDLER_PASS;
        }
    } else if (v->type == SL_VAL_STRING) {
        ts_parts t = {.y = 1970, .mon = 1, .d = 1};
        cur c = str_cur(v);
        bool ok = st->kind == F_ISO ? parse_iso(&c, &t) : parse_pattern(st->pattern, &c, &t);
        if (ok) {
            int64_t local = sl_days_from_civil(t.y, (unsigned)t.mon, (unsigned)t.d) * 86400 +
                            t.h * 3600 + t.mi * 60 + t.s;
            int64_t secs = t.has_off ? local - t.off : sl_tz_local_to_utc(st->tz, local);
            /* int64 nanoseconds reach from 1677 to 2262 */
            if (secs > -9223372036LL + 1 && secs < 9223372036LL - 1) {
                ev->time_ns = secs * 1000000000 + t.ns;
                return SL_HANDLER_PASS;
            }
        }
    }
    if (st->keep)
        return SL_HANDLER_PASS;
    if (v->type == SL_VAL_STRING)
        sl_handler_fail(hc, "timestamp: field \"%s\": \"%.*s\" does not match format %s",
                        st->field, (int)(v->u.s.n > 64 ? 64 : v->u.s.n), v->u.s.p, st->pattern);
    else
        sl_handler_fail(hc, "timestamp: field \"%s\" is not a string or number", st->field);
    return SL_HANDLER_ERROR;
}

static void ts_destroy(void *state)
{
    ts_state *st = state;
    sl_tz_free(st->tz);
    free(st);
}

static const sl_handler_ops ts_ops = {
    .create = ts_create,
    .process = ts_process,
    .destroy = ts_destroy,
};

const sl_plugin sl_handler_timestamp = {
    .name = "timestamp",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Parses a field into the event time.",
    .options = ts_options,
    .config_size = sizeof(ts_cfg),
    .check = ts_check,
    .handler = &ts_ops,
};
