/* name_template.c: output names from events (see the header). */
#include "dest/name_template.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "plugin.h"
#include "runtime.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

typedef enum { PART_TEXT, PART_TIME, PART_FIELD, PART_UUID, PART_HOST, PART_SOURCE } part_kind;

typedef struct {
    part_kind kind;
    char *s;
    size_t n;
} part;

struct sl_name_template {
    sl_name_kind kind;
    part *parts;
    size_t n;
    bool varies, has_fields;
    char host[256];
};

static void add(sl_name_template *t, part_kind k, const char *s, size_t n)
{
    if (n == 0 && (k == PART_TEXT || k == PART_TIME))
        return;
    t->parts = sl_realloc(t->parts, (t->n + 1) * sizeof *t->parts);
    t->parts[t->n++] = (part){k, sl_strndup(s, n), n};
    if (k == PART_TIME || k == PART_FIELD || k == PART_SOURCE)
        t->varies = true;
    if (k == PART_FIELD)
        t->has_fields = true;
}

static void add_text(sl_name_template *t, const char *s, size_t n)
{
    add(t, memchr(s, '%', n) ? PART_TIME : PART_TEXT, s, n);
}

sl_name_template *sl_name_template_new(const char *tpl, sl_name_kind kind)
{
    sl_name_template *t = sl_calloc(1, sizeof *t);
    t->kind = kind;
    if (gethostname(t->host, sizeof t->host - 1) != 0)
        strcpy(t->host, "localhost");
    const char *p = tpl, *start = tpl;
    while (*p) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        if (close && close > p + 1) {
            add_text(t, start, (size_t)(p - start));
            size_t n = (size_t)(close - p - 1);
            const char *name = p + 1;
            part_kind k = PART_FIELD;
            if (n == 4 && memcmp(name, "uuid", 4) == 0)
                k = PART_UUID;
            else if (n == 4 && memcmp(name, "host", 4) == 0)
                k = PART_HOST;
            else if (n == 6 && memcmp(name, "source", 6) == 0)
                k = PART_SOURCE;
            add(t, k, name, n);
            p = start = close + 1;
            continue;
        }
        p++;
    }
    add_text(t, start, (size_t)(p - start));
    return t;
}

void sl_name_template_free(sl_name_template *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->parts[i].s);
    free(t->parts);
    free(t);
}

bool sl_name_template_varies(const sl_name_template *t) { return t->varies; }
bool sl_name_template_has_fields(const sl_name_template *t) { return t->has_fields; }

const char *sl_name_template_check(const char *tpl)
{
    for (const char *p = tpl; *p; p++) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close)
                return "an unclosed '{'";
            if (close == p + 1)
                return "an empty {} placeholder";
        }
    }
    const char *bad = sl_timefmt_check(tpl, strlen(tpl));
    return bad ? "an unsupported % pattern (supported: %Y %y %m %d %H %M %S %j %s %%)" : NULL;
}

static bool key_safe(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '!' || c == '-' || c == '_' || c == '.' || c == '*' || c == '\'' || c == '(' ||
           c == ')';
}

static bool topic_safe(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
}

static void append_value(const sl_name_template *t, sl_buf *b, const char *s, size_t n)
{
    if (n == 0) {
        sl_buf_puts(b, "unknown");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool dotdot = c == '.' && ((i + 1 < n && s[i + 1] == '.') || (i > 0 && s[i - 1] == '.'));
        bool ok = t->kind == SL_NAME_OBJECT_KEY ? key_safe(c)
                  : t->kind == SL_NAME_TOPIC    ? topic_safe(c)
                                                : (c != '/' && c >= 0x20 && c != 0x7f);
        sl_buf_putc(b, (char)(ok && !dotdot ? c : '_'));
    }
}

void sl_uuid4(char out[37])
{
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
        for (int i = 0; i < 16; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            r[i] = (unsigned char)(x >> 56);
        }
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
             r[13], r[14], r[15]);
}

void sl_name_template_render(const sl_name_template *t, const sl_event *ev,
                             const sl_event *time_ev, const char *uuid, sl_buf *b)
{
    struct tm tm;
    bool have_tm = false;
    const sl_event *tev = time_ev ? time_ev : ev;
    int64_t secs = tev ? tev->time_ns / 1000000000 : 0;
    for (size_t i = 0; i < t->n; i++) {
        const part *pt = &t->parts[i];
        switch (pt->kind) {
        case PART_TEXT:
            sl_buf_append(b, pt->s, pt->n);
            break;
        case PART_TIME:
            if (!have_tm) {
                time_t ts = (time_t)secs;
                gmtime_r(&ts, &tm);
                have_tm = true;
            }
            sl_timefmt(b, pt->s, pt->n, &tm, secs);
            break;
        case PART_UUID: {
            char u[37];
            if (!uuid)
                sl_uuid4(u);
            sl_buf_puts(b, uuid ? uuid : u);
            break;
        }
        case PART_HOST:
            append_value(t, b, t->host, strlen(t->host));
            break;
        case PART_SOURCE:
            if (ev && ev->chunk && ev->chunk->source)
                append_value(t, b, ev->chunk->source->name, strlen(ev->chunk->source->name));
            else
                sl_buf_puts(b, "unknown");
            break;
        case PART_FIELD: {
            sl_value *v = ev ? sl_fields_get((sl_fields *)&ev->fields, pt->s, pt->n) : NULL;
            char num[32];
            if (v && v->type == SL_VAL_STRING) {
                append_value(t, b, v->u.s.p, v->u.s.n);
            } else if (v && v->type == SL_VAL_INT) {
                int k = snprintf(num, sizeof num, "%lld", (long long)v->u.i);
                sl_buf_append(b, num, (size_t)k);
            } else {
                sl_buf_puts(b, "unknown");
            }
            break;
        }
        }
    }
    sl_buf_reserve(b, 1);
    b->p[b->len] = 0;
}
