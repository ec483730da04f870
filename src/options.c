/* options.c: applying option tables to config maps (types, units, ranges,
 * defaults, required options, unknown keys with suggestions), printing them
 * as help and as man source, and the unit parsers. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/xalloc.h"

/* ---- units ---------------------------------------------------------------- */

/* A non-negative decimal number at *s ("12", "1.5"); advances *s. */
static bool parse_decimal(const char **s, long double *out)
{
    const char *p = *s;
    long double v = 0;
    bool digits = false;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        digits = true;
    }
    if (*p == '.') {
        p++;
        long double scale = 0.1L;
        bool frac = false;
        while (*p >= '0' && *p <= '9') {
            v += (*p++ - '0') * scale;
            scale /= 10;
            frac = true;
        }
        if (!frac)
            return false;
        digits = true;
    }
    if (!digits)
        return false;
    *s = p;
    *out = v;
    return true;
}

bool sl_parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *unit;
        long double mult;
    } units[] = {
        {"", 1},
        {"B", 1},
        {"k", 1024.0L},
        {"K", 1024.0L},
        {"KiB", 1024.0L},
        {"kB", 1e3L},
        {"KB", 1e3L},
        {"M", 1048576.0L},
        {"MiB", 1048576.0L},
        {"MB", 1e6L},
        {"G", 1073741824.0L},
        {"GiB", 1073741824.0L},
        {"GB", 1e9L},
        {"T", 1099511627776.0L},
        {"TiB", 1099511627776.0L},
        {"TB", 1e12L},
    };
    const char *p = s;
    long double v;
    if (!parse_decimal(&p, &v))
        return false;
    if (*p == ' ')
        p++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(p, units[i].unit) != 0)
            continue;
        if (i == 0 && strchr(s, '.'))
            return false;               /* a fraction of a byte */
        long double bytes = v * units[i].mult;
        if (bytes >= 18446744073709551615.0L)
            return false;
        *out = (uint64_t)(bytes + 0.5L);
        return true;
    }
    return false;
}

bool sl_parse_duration(const char *s, int64_t *out_ns)
{
    static const struct {
        const char *unit;
        long double ns;
    } units[] = {
        /* longest first so "ms" is not read as "m" */
        {"ns", 1},          {"us", 1e3L},       {"\xc2\xb5s", 1e3L}, {"ms", 1e6L},
        {"s", 1e9L},        {"m", 60e9L},       {"h", 3600e9L},      {"d", 86400e9L},
    };
    if (strcmp(s, "0") == 0) {
        *out_ns = 0;
        return true;
    }
    const char *p = s;
    long double total = 0;
    if (!*p)
        return false;
    while (*p) {
        long double v;
        if (!parse_decimal(&p, &v))
            return false;
        size_t best = 0, best_len = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t n = strlen(units[i].unit);
            if (n > best_len && strncmp(p, units[i].unit, n) == 0) {
                best = i;
                best_len = n;
            }
        }
        if (!best_len)
            return false;               /* a number without a unit */
        p += best_len;
        total += v * units[best].ns;
        if (total >= 9223372036854775807.0L)
            return false;
    }
    *out_ns = (int64_t)(total + 0.5L);
    return true;
}

bool sl_parse_int(const char *s, int64_t *out)
{
    if (!*s || isspace((unsigned char)*s))
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

bool sl_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

void sl_format_duration(int64_t ns, char *buf, size_t cap)
{
    static const struct {
        const char *unit;
        int64_t ns;
    } units[] = {
        {"d", 86400000000000LL}, {"h", 3600000000000LL}, {"m", 60000000000LL},
        {"s", 1000000000LL},     {"ms", 1000000LL},      {"us", 1000LL},
    };
    if (ns == 0) {
        snprintf(buf, cap, "0");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ns % units[i].ns == 0) {
            snprintf(buf, cap, "%" PRId64 "%s", ns / units[i].ns, units[i].unit);
            return;
        }
    }
    snprintf(buf, cap, "%" PRId64 "ns", ns);
}

void sl_format_size(uint64_t bytes, char *buf, size_t cap)
{
    static const char *const units[] = {"TiB", "GiB", "MiB", "KiB"};
    for (int i = 0; i < 4; i++) {
        uint64_t m = 1ULL << (10 * (4 - i));
        if (bytes && bytes % m == 0) {
            snprintf(buf, cap, "%" PRIu64 "%s", bytes / m, units[i]);
            return;
        }
    }
    snprintf(buf, cap, "%" PRIu64, bytes);
}

/* ---- did you mean --------------------------------------------------------- */

/* Optimal string alignment distance (Levenshtein with transpositions),
 * case-insensitive. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *sl_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
    size_t limit = strlen(word) / 3;
    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t dist = edit_distance(word, candidates[i]);
        if (dist <= limit && dist < best_d) {
            best = candidates[i];
            best_d = dist;
        }
    }
    return best;
}

/* ---- applying tables ------------------------------------------------------ */

const char *sl_opt_type_name(sl_opt_type t)
{
    switch (t) {
    case SL_OPT_STRING: return "string";
    case SL_OPT_BOOL: return "boolean";
    case SL_OPT_INT: return "integer";
    case SL_OPT_SIZE: return "size";
    case SL_OPT_DURATION: return "duration";
    case SL_OPT_ENUM: return "choice";
    case SL_OPT_STRLIST: return "list of strings";
    case SL_OPT_STRMAP: return "map of strings";
    case SL_OPT_NODE: return "any";
    }
    return "?";
}

static const char *type_wanted(sl_opt_type t)
{
    switch (t) {
    case SL_OPT_STRING: return "a string";
    case SL_OPT_BOOL: return "true or false";
    case SL_OPT_INT: return "an integer";
    case SL_OPT_SIZE: return "a size such as 64MiB";
    case SL_OPT_DURATION: return "a duration such as 500ms or 5m";
    case SL_OPT_ENUM: return "one of its choices";
    case SL_OPT_STRLIST: return "a list of strings";
    case SL_OPT_STRMAP: return "a map of names to strings";
    case SL_OPT_NODE: return "a value";
    }
    return "?";
}

typedef struct {
    const sl_optset *sets;
    size_t nsets;
    bool **seen;
    const char *what;
    const char *const *ignore;
    sl_diags *d;
    size_t errors;
} apply_ctx;

#define SLOT(out, opt, T) ((T *)((char *)(out) + (opt)->offset))

static void type_error(apply_ctx *c, const sl_option *o, const sl_node *v)
{
    c->errors++;
    if (v->kind == SL_NODE_SCALAR && !v->is_null && !(o->flags & SL_OPTF_SECRET))
        sl_diag_error(c->d, v, "%s: option \"%s\" must be %s, not \"%s\"", c->what, o->name,
                      type_wanted(o->type), v->str);
    else if (v->kind == SL_NODE_SCALAR && !v->is_null)
        sl_diag_error(c->d, v, "%s: option \"%s\" is invalid: it must be %s", c->what, o->name,
                      type_wanted(o->type));
    else
        sl_diag_error(c->d, v, "%s: option \"%s\" must be %s, not %s", c->what, o->name,
                      type_wanted(o->type), sl_node_kind_name(v));
}

static void range_error(apply_ctx *c, const sl_option *o, const sl_node *v)
{
    char lo[32], hi[32];
    if (o->type == SL_OPT_SIZE) {
        sl_format_size((uint64_t)o->min, lo, sizeof lo);
        sl_format_size((uint64_t)o->max, hi, sizeof hi);
    } else if (o->type == SL_OPT_DURATION) {
        sl_format_duration(o->min, lo, sizeof lo);
        sl_format_duration(o->max, hi, sizeof hi);
    } else {
        snprintf(lo, sizeof lo, "%" PRId64, o->min);
        snprintf(hi, sizeof hi, "%" PRId64, o->max);
    }
    c->errors++;
    sl_diag_error(c->d, v, "%s: option \"%s\" must be between %s and %s (got %s)", c->what,
                  o->name, lo, hi, v->str);
}

static bool has_range(const sl_option *o) { return o->min < o->max; }

/* Parse a scalar text for a number-like option. */
static bool parse_scalar(const sl_option *o, const char *s, void *slot)
{
    switch (o->type) {
    case SL_OPT_INT:
        if ((o->flags & SL_OPTF_AUTO) && strcmp(s, "auto") == 0) {
            *(int64_t *)slot = 0;
            return true;
        }
        return sl_parse_int(s, slot);
    case SL_OPT_SIZE:
        return sl_parse_size(s, slot);
    case SL_OPT_DURATION:
        return sl_parse_duration(s, slot);
    case SL_OPT_BOOL:
        return sl_parse_bool(s, slot);
    default:
        return false;
    }
}

static bool in_range(const sl_option *o, const void *slot, const char *text)
{
    if (!has_range(o))
        return true;
    if (o->type == SL_OPT_INT) {
        if ((o->flags & SL_OPTF_AUTO) && strcmp(text, "auto") == 0)
            return true;
        int64_t v = *(const int64_t *)slot;
        return v >= o->min && v <= o->max;
    }
    if (o->type == SL_OPT_SIZE) {
        uint64_t v = *(const uint64_t *)slot;
        return v >= (uint64_t)o->min && v <= (uint64_t)o->max;
    }
    if (o->type == SL_OPT_DURATION) {
        int64_t v = *(const int64_t *)slot;
        return v >= o->min && v <= o->max;
    }
    return true;
}

static void set_value(apply_ctx *c, const sl_option *o, void *out, const sl_node *v)
{
    void *slot = (char *)out + o->offset;
    if (o->type == SL_OPT_NODE) {
        *(const sl_node **)slot = v;
        return;
    }
    if (o->type == SL_OPT_STRLIST) {
        sl_strlist *l = slot;
        if (v->kind == SL_NODE_SCALAR && !v->is_null) {
            l->v = sl_calloc(1, sizeof *l->v);
            l->v[0] = sl_strdup(v->str);
            l->n = 1;
            return;
        }
        if (v->kind != SL_NODE_SEQ) {
            type_error(c, o, v);
            return;
        }
        l->v = sl_calloc(v->n, sizeof *l->v);
        for (size_t i = 0; i < v->n; i++) {
            const sl_node *it = v->vals[i];
            if (it->kind != SL_NODE_SCALAR || it->is_null) {
                c->errors++;
                sl_diag_error(c->d, it, "%s: option \"%s\" must be a list of strings, but item "
                                        "%zu is %s", c->what, o->name, i + 1,
                              sl_node_kind_name(it));
                continue;
            }
            l->v[l->n++] = sl_strdup(it->str);
        }
        return;
    }
    if (o->type == SL_OPT_STRMAP) {
        sl_strmap *m = slot;
        if (v->kind != SL_NODE_MAP) {
            type_error(c, o, v);
            return;
        }
        m->keys = sl_calloc(v->n, sizeof *m->keys);
        m->vals = sl_calloc(v->n, sizeof *m->vals);
        for (size_t i = 0; i < v->n; i++) {
            const sl_node *it = v->vals[i];
            if (it->kind != SL_NODE_SCALAR) {
                c->errors++;
                sl_diag_error(c->d, it, "%s: option \"%s\": the value of \"%s\" must be a "
                                        "string, not %s", c->what, o->name, v->keys[i]->str,
                              sl_node_kind_name(it));
                continue;
            }
            m->keys[m->n] = sl_strdup(v->keys[i]->str);
            m->vals[m->n++] = sl_strdup(it->is_null ? "" : it->str);
        }
        return;
    }
    if (v->kind != SL_NODE_SCALAR || v->is_null) {
        type_error(c, o, v);
        return;
    }
    if (o->type == SL_OPT_STRING) {
        *(char **)slot = sl_strdup(v->str);
        return;
    }
    if (o->type == SL_OPT_ENUM) {
        size_t n = 0;
        for (; o->choices[n]; n++) {
            if (strcmp(v->str, o->choices[n]) == 0) {
                *(int *)slot = (int)n;
                return;
            }
        }
        sl_buf list = {0};
        for (size_t i = 0; i < n; i++) {
            if (i)
                sl_buf_puts(&list, ", ");
            sl_buf_puts(&list, o->choices[i]);
        }
        sl_buf_putc(&list, 0);
        const char *hint = sl_did_you_mean(v->str, o->choices, n);
        c->errors++;
        if (hint)
            sl_diag_error(c->d, v, "%s: option \"%s\" must be one of: %s (got \"%s\"; did you "
                                   "mean \"%s\"?)", c->what, o->name, list.p, v->str, hint);
        else
            sl_diag_error(c->d, v, "%s: option \"%s\" must be one of: %s (got \"%s\")", c->what,
                          o->name, list.p, v->str);
        sl_buf_free(&list);
        return;
    }
    int64_t tmp[2] = {0, 0};   /* large enough for any number type */
    if (!parse_scalar(o, v->str, tmp)) {
        type_error(c, o, v);
        return;
    }
    if (!in_range(o, tmp, v->str)) {
        range_error(c, o, v);
        return;
    }
    size_t size = o->type == SL_OPT_BOOL ? sizeof(bool) : sizeof(int64_t);
    memcpy(slot, tmp, size);
}

/* Set the default of an option not given. */
static void set_default(const sl_option *o, void *out)
{
    if (!o->def)
        return;
    void *slot = (char *)out + o->offset;
    bool ok = true;
    switch (o->type) {
    case SL_OPT_STRING:
        *(char **)slot = sl_strdup(o->def);
        break;
    case SL_OPT_ENUM:
        ok = false;
        for (size_t i = 0; o->choices[i]; i++)
            if (strcmp(o->choices[i], o->def) == 0) {
                *(int *)slot = (int)i;
                ok = true;
            }
        break;
    case SL_OPT_STRLIST: {
        sl_strlist *l = slot;
        l->v = sl_calloc(1, sizeof *l->v);
        l->v[0] = sl_strdup(o->def);
        l->n = 1;
        break;
    }
    case SL_OPT_INT:
    case SL_OPT_SIZE:
    case SL_OPT_DURATION:
    case SL_OPT_BOOL: {
        int64_t tmp[2] = {0, 0};
        ok = parse_scalar(o, o->def, tmp) && in_range(o, tmp, o->def);
        memcpy(slot, tmp, o->type == SL_OPT_BOOL ? sizeof(bool) : sizeof(int64_t));
        break;
    }
    default:
        ok = false;
    }
    if (!ok) {
        fprintf(stderr, "sluice: internal error: option \"%s\" has an invalid default \"%s\"\n",
                o->name, o->def);
        abort();
    }
}

static bool find_option(apply_ctx *c, const char *full, size_t *set, size_t *idx)
{
    for (size_t s = 0; s < c->nsets; s++)
        for (size_t i = 0; c->sets[s].opts[i].name; i++)
            if (strcmp(c->sets[s].opts[i].name, full) == 0) {
                *set = s;
                *idx = i;
                return true;
            }
    return false;
}

static bool is_group(apply_ctx *c, const char *full)
{
    size_t n = strlen(full);
    for (size_t s = 0; s < c->nsets; s++)
        for (size_t i = 0; c->sets[s].opts[i].name; i++) {
            const char *name = c->sets[s].opts[i].name;
            if (strncmp(name, full, n) == 0 && name[n] == '.')
                return true;
        }
    return false;
}

static void unknown_option(apply_ctx *c, const sl_node *key, const char *full)
{
    const char *names[256];
    size_t n = 0;
    const char *leaf_match = NULL;
    for (size_t s = 0; s < c->nsets; s++)
        for (size_t i = 0; c->sets[s].opts[i].name && n < 256; i++) {
            const char *name = c->sets[s].opts[i].name;
            names[n++] = name;
            const char *dot = strrchr(name, '.');
            if (dot && strcmp(dot + 1, key->str) == 0 && !leaf_match)
                leaf_match = name;    /* a nested option written at the wrong level */
        }
    const char *hint = sl_did_you_mean(full, names, n);
    if (!hint)
        hint = leaf_match;
    c->errors++;
    if (hint)
        sl_diag_error(c->d, key, "%s: unknown option \"%s\" (did you mean \"%s\"?)", c->what,
                      full, hint);
    else
        sl_diag_error(c->d, key, "%s: unknown option \"%s\"", c->what, full);
}

static void walk(apply_ctx *c, const sl_node *map, const char *prefix)
{
    for (size_t k = 0; k < map->n; k++) {
        const sl_node *key = map->keys[k], *val = map->vals[k];
        if (!*prefix && c->ignore) {
            bool skip = false;
            for (const char *const *ig = c->ignore; *ig; ig++)
                skip |= strcmp(*ig, key->str) == 0;
            if (skip)
                continue;
        }
        char full[256];
        snprintf(full, sizeof full, "%s%s", prefix, key->str);
        size_t s, i;
        if (find_option(c, full, &s, &i)) {
            c->seen[s][i] = true;
            set_value(c, &c->sets[s].opts[i], c->sets[s].out, val);
        } else if (is_group(c, full)) {
            if (val->kind != SL_NODE_MAP) {
                c->errors++;
                sl_diag_error(c->d, val, "%s: option \"%s\" must be a map (%s: { ... }), not %s",
                              c->what, full, key->str, sl_node_kind_name(val));
                continue;
            }
            char sub[260];
            snprintf(sub, sizeof sub, "%s.", full);
            walk(c, val, sub);
        } else {
            unknown_option(c, key, full);
        }
    }
}

size_t sl_options_apply(const sl_optset *sets, size_t nsets, const sl_node *map,
                        const sl_node *where, const char *what, const char *const *ignore,
                        sl_diags *d)
{
    apply_ctx c = {sets, nsets, NULL, what, ignore, d, 0};
    c.seen = sl_calloc(nsets, sizeof *c.seen);
    for (size_t s = 0; s < nsets; s++) {
        size_t n = 0;
        while (sets[s].opts[n].name)
            n++;
        c.seen[s] = sl_calloc(n + 1, sizeof **c.seen);
    }
    if (map && map->kind == SL_NODE_SCALAR && map->is_null)
        map = NULL;
    bool bad_map = map && map->kind != SL_NODE_MAP;
    if (bad_map) {
        c.errors++;
        sl_diag_error(d, map, "%s: options must be a map, not %s", what, sl_node_kind_name(map));
    } else if (map) {
        walk(&c, map, "");
    }
    for (size_t s = 0; s < nsets; s++) {
        if (bad_map) {          /* nothing more to say about its contents */
            free(c.seen[s]);
            continue;
        }
        for (size_t i = 0; sets[s].opts[i].name; i++) {
            const sl_option *o = &sets[s].opts[i];
            if (c.seen[s][i])
                continue;
            if (o->flags & SL_OPTF_REQUIRED) {
                c.errors++;
                sl_diag_error(d, where ? where : map, "%s: missing required option \"%s\"", what,
                              o->name);
                continue;
            }
            set_default(o, sets[s].out);
        }
        free(c.seen[s]);
    }
    free(c.seen);
    return c.errors;
}

void sl_options_free(const sl_optset *sets, size_t nsets)
{
    for (size_t s = 0; s < nsets; s++) {
        for (const sl_option *o = sets[s].opts; o->name; o++) {
            void *slot = (char *)sets[s].out + o->offset;
            if (o->type == SL_OPT_STRING) {
                free(*(char **)slot);
                *(char **)slot = NULL;
            } else if (o->type == SL_OPT_STRLIST) {
                sl_strlist *l = slot;
                for (size_t i = 0; i < l->n; i++)
                    free(l->v[i]);
                free(l->v);
                memset(l, 0, sizeof *l);
            } else if (o->type == SL_OPT_STRMAP) {
                sl_strmap *m = slot;
                for (size_t i = 0; i < m->n; i++) {
                    free(m->keys[i]);
                    free(m->vals[i]);
                }
                free(m->keys);
                free(m->vals);
                memset(m, 0, sizeof *m);
            }
        }
    }
}

/* ---- help and man --------------------------------------------------------- */

static void describe(sl_buf *b, const sl_option *o)
{
    if (o->flags & SL_OPTF_REQUIRED)
        sl_buf_puts(b, "required");
    else if (o->def && !(o->flags & SL_OPTF_SECRET))
        sl_buf_printf(b, "default %s", o->def);
    else
        sl_buf_puts(b, "optional");
    if (o->type == SL_OPT_ENUM) {
        sl_buf_puts(b, "; one of:");
        for (size_t i = 0; o->choices[i]; i++)
            sl_buf_printf(b, "%s %s", i ? "," : "", o->choices[i]);
    } else if (has_range(o)) {
        char lo[32], hi[32];
        if (o->type == SL_OPT_SIZE) {
            sl_format_size((uint64_t)o->min, lo, sizeof lo);
            sl_format_size((uint64_t)o->max, hi, sizeof hi);
        } else if (o->type == SL_OPT_DURATION) {
            sl_format_duration(o->min, lo, sizeof lo);
            sl_format_duration(o->max, hi, sizeof hi);
        } else {
            snprintf(lo, sizeof lo, "%" PRId64, o->min);
            snprintf(hi, sizeof hi, "%" PRId64, o->max);
        }
        sl_buf_printf(b, "; %s..%s", lo, hi);
    }
    if (o->type == SL_OPT_INT && (o->flags & SL_OPTF_AUTO))
        sl_buf_puts(b, " or auto");
    sl_buf_putc(b, 0);
}

void sl_options_print_help(FILE *out, const sl_option *opts)
{
    for (const sl_option *o = opts; o->name; o++) {
        sl_buf b = {0};
        describe(&b, o);
        fprintf(out, "  %-20s %-9s %s\n      %s\n", o->name, sl_opt_type_name(o->type), b.p,
                o->help);
        sl_buf_free(&b);
    }
}

/* Text safe for roff: backslashes doubled, a leading dot or quote guarded. */
static void man_text(FILE *out, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", out);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-')
            fputs("\\-", out);
        else
            fputc(*s, out);
    }
}

void sl_options_print_man(FILE *out, const sl_option *opts)
{
    for (const sl_option *o = opts; o->name; o++) {
        sl_buf b = {0};
        describe(&b, o);
        fputs(".TP\n.B ", out);
        man_text(out, o->name);
        fputs("\n(", out);
        man_text(out, sl_opt_type_name(o->type));
        fputs("; ", out);
        man_text(out, b.p);
        fputs(")\n.br\n", out);
        man_text(out, o->help);
        fputc('\n', out);
        sl_buf_free(&b);
    }
}
