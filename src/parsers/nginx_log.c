/* nginx_log.c: nginx access-log lines by log_format (see nginx_log.h). */
#include "parsers/nginx_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const char combined_fmt[] =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
    "\"$http_referer\" \"$http_user_agent\"";
static const char main_fmt[] =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
    "\"$http_referer\" \"$http_user_agent\" \"$http_x_forwarded_for\"";

const char *sl_ngx_builtin(const char *name)
{
    if (strcmp(name, "combined") == 0)
        return combined_fmt;
    if (strcmp(name, "main") == 0)
        return main_fmt;
    return NULL;
}

typedef struct {
    const char *name;
    sl_ngx_kind kind;
} known_var;

static const known_var known[] = {
    {"status", SL_NGX_INT},
    {"body_bytes_sent", SL_NGX_INT},
    {"bytes_sent", SL_NGX_INT},
    {"request_length", SL_NGX_INT},
    {"connection", SL_NGX_INT},
    {"connection_requests", SL_NGX_INT},
    {"content_length", SL_NGX_INT},
    {"remote_port", SL_NGX_INT},
    {"server_port", SL_NGX_INT},
    {"pid", SL_NGX_INT},
    {"upstream_status", SL_NGX_INT},
    {"upstream_bytes_received", SL_NGX_INT},
    {"upstream_bytes_sent", SL_NGX_INT},
    {"upstream_response_length", SL_NGX_INT},
    {"request_time", SL_NGX_FLOAT},
    {"upstream_response_time", SL_NGX_FLOAT},
    {"upstream_connect_time", SL_NGX_FLOAT},
    {"upstream_header_time", SL_NGX_FLOAT},
    {"time_local", SL_NGX_TIME_LOCAL},
    {"time_iso8601", SL_NGX_TIME_ISO},
    {"msec", SL_NGX_MSEC},
    {"request", SL_NGX_REQUEST},
};

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

bool sl_ngx_compile(sl_ngx_format *f, const char *fmt, char *err, size_t errcap)
{
    memset(f, 0, sizeof *f);
    const char *b = sl_ngx_builtin(fmt);
    if (b)
        fmt = b;
    size_t len = strlen(fmt);
    /* literals are written back without the "$" escapes, names in place:
     * the copy never grows */
    f->text = sl_malloc(len + 1);
    char *w = f->text;
    const char *lit = w;
    size_t i = 0;
    while (i < len) {
        if (fmt[i] != '$') {
            *w++ = fmt[i++];
            continue;
        }
        bool braced = i + 1 < len && fmt[i + 1] == '{';
        size_t s = i + 1 + braced, e = s;
        while (e < len && is_name_char(fmt[e]))
            e++;
        if (e == s || (braced && (e >= len || fmt[e] != '}'))) {
            snprintf(err, errcap, "format: \"$\" at offset %zu is not followed by a variable name", i);
            goto fail;
        }
        if (f->n == SL_NGX_MAX_VARS) {
            snprintf(err, errcap, "format: more than %d variables", SL_NGX_MAX_VARS);
            goto fail;
        }
        sl_ngx_item *it = &f->items[f->n];
        it->lit = lit;
        it->lit_len = (size_t)(w - lit);
        if (f->n > 0 && it->lit_len == 0) {
            snprintf(err, errcap,
                     "format: $%.*s follows $%.*s with nothing between them, so where one ends "
                     "cannot be known", (int)(e - s), fmt + s, (int)f->items[f->n - 1].name_len,
                     f->items[f->n - 1].name);
            goto fail;
        }
        memcpy(w, fmt + s, e - s);
        it->name = w;
        it->name_len = e - s;
        w += e - s;
        it->kind = SL_NGX_STRING;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            if (strlen(known[k].name) == it->name_len &&
                memcmp(known[k].name, it->name, it->name_len) == 0)
                it->kind = known[k].kind;
        it->lenient = it->name_len > 9 && memcmp(it->name, "upstream_", 9) == 0;
        f->n++;
        lit = w;
        i = e + braced;
    }
    if (f->n == 0) {
        snprintf(err, errcap, "format: no $variable in it");
        goto fail;
    }
    f->tail = lit;
    f->tail_len = (size_t)(w - lit);
    *w = '\0';
    return true;
fail:
    free(f->text);
    f->text = NULL;
    return false;
}

void sl_ngx_free(sl_ngx_format *f)
{
    free(f->text);
    f->text = NULL;
}

/* The first nd[0..nn) in h[0..hn). Separators are a few bytes long and
 * usually found within a few bytes, where glibc's general memmem spends
 * ~200 instructions a call setting up its two-way search: memchr for the
 * first byte, then compare the rest. Long separators keep memmem, whose
 * time stays linear on hostile lines. */
static const char *find(const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn == 0)
        return h;
    if (nn > 8)
        return memmem(h, hn, nd, nn);
    const char *end = h + hn;
    while ((size_t)(end - h) >= nn) {
        const char *at = memchr(h, nd[0], (size_t)(end - h) - nn + 1);
        if (!at)
            return NULL;
        if (memcmp(at + 1, nd + 1, nn - 1) == 0)
            return at;
        h = at + 1;
    }
    return NULL;
}

const char *sl_ngx_match(const sl_ngx_format *f, const char *line, size_t len,
                         sl_ngx_span *out, size_t *where)
{
    size_t pos = 0;
    *where = 0;
    if (!line)          /* an empty message may have no bytes at all */
        line = "";
    const sl_ngx_item *first = &f->items[0];
    if (len < first->lit_len || memcmp(line, first->lit, first->lit_len) != 0)
        return "the line does not start as the format does";
    pos = first->lit_len;
    for (size_t i = 0; i < f->n; i++) {
        *where = i;
        if (i + 1 < f->n) {
            const sl_ngx_item *nx = &f->items[i + 1];
            const char *at = find(line + pos, len - pos, nx->lit, nx->lit_len);
            if (!at)
                return "the separator after this variable is missing";
            out[i].p = line + pos;
            out[i].n = (size_t)(at - (line + pos));
            pos = (size_t)(at - line) + nx->lit_len;
        } else {
            /* the last variable runs to the trailing literal at the end */
            if (len - pos < f->tail_len ||
                memcmp(line + len - f->tail_len, f->tail, f->tail_len) != 0)
                return "the line does not end as the format does";
            out[i].p = line + pos;
            out[i].n = len - f->tail_len - pos;
        }
    }
    return NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool sl_ngx_has_escape(const char *p, size_t n)
{
    const char *e = p + n;
    while ((p = memchr(p, '\\', (size_t)(e - p)))) {
        if (e - p >= 4 && p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0)
            return true;
        p++;
    }
    return false;
}

size_t sl_ngx_unescape(const char *p, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && n - i >= 4 && p[i + 1] == 'x' && hexval(p[i + 2]) >= 0 &&
            hexval(p[i + 3]) >= 0) {
            out[o++] = (char)(hexval(p[i + 2]) * 16 + hexval(p[i + 3]));
            i += 3;
        } else {
            out[o++] = p[i];
        }
    }
    return o;
}

bool sl_ngx_parse_int(const char *p, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && p[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == n || n - i > 18)
        return false;
    int64_t v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = neg ? -v : v;
    return true;
}

bool sl_ngx_parse_float(const char *p, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && p[0] == '-') {
        neg = true;
        i = 1;
    }
    size_t digits = 0;
    double v = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++, digits++)
        v = v * 10 + (p[i] - '0');
    if (i < n && p[i] == '.') {
        double scale = 0.1;
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, digits++) {
            v += (p[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (i != n || digits == 0 || digits > 30)
        return false;
    *out = neg ? -v : v;
    return true;
}

static bool digits(const char *p, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

#define MAX_UNIX_S (INT64_MAX / 1000000000 - 1)

static bool make_time(int y, int mo, int d, int h, int mi, int s, int off_s, int64_t *ns)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
        return false;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off_s;
    if (t > MAX_UNIX_S || t < -MAX_UNIX_S)     /* beyond what nanoseconds hold */
        return false;
    *ns = t * 1000000000;
    return true;
}

bool sl_ngx_time_local(const char *p, size_t n, int64_t *ns)
{
    /* 10/Oct/2000:13:55:36 -0700 */
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (n != 26 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' ||
        p[17] != ':' || p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
        return false;
    int d, y, h, mi, s, oh, om, mo = 0;
    for (int k = 0; k < 12; k++)
        if (memcmp(p + 3, months + 3 * k, 3) == 0)
            mo = k + 1;
    if (!mo || !digits(p, 2, &d) || !digits(p + 7, 4, &y) || !digits(p + 12, 2, &h) ||
        !digits(p + 15, 2, &mi) || !digits(p + 18, 2, &s) || !digits(p + 22, 2, &oh) ||
        !digits(p + 24, 2, &om) || oh > 23 || om > 59)
        return false;
    int off = (oh * 3600 + om * 60) * (p[21] == '-' ? -1 : 1);
    return make_time(y, mo, d, h, mi, s, off, ns);
}

bool sl_ngx_time_iso8601(const char *p, size_t n, int64_t *ns)
{
    /* 2000-10-10T13:55:36-07:00, or ...Z */
    if (n < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':')
        return false;
    int y, mo, d, h, mi, s, off = 0;
    if (!digits(p, 4, &y) || !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d) ||
        !digits(p + 11, 2, &h) || !digits(p + 14, 2, &mi) || !digits(p + 17, 2, &s))
        return false;
    if (n == 20 && p[19] == 'Z') {
        off = 0;
    } else if (n == 25 && (p[19] == '+' || p[19] == '-') && p[22] == ':') {
        int oh, om;
        if (!digits(p + 20, 2, &oh) || !digits(p + 23, 2, &om) || oh > 23 || om > 59)
            return false;
        off = (oh * 3600 + om * 60) * (p[19] == '-' ? -1 : 1);
    } else {
        return false;
    }
    return make_time(y, mo, d, h, mi, s, off, ns);
}

bool sl_ngx_msec(const char *p, size_t n, int64_t *ns)
{
    const char *dot = memchr(p, '.', n);
    size_t ip = dot ? (size_t)(dot - p) : n;
    int64_t sec, frac = 0;
    if (ip == 0 || ip > 11 || !sl_ngx_parse_int(p, ip, &sec) || sec < 0 || sec > MAX_UNIX_S)
        return false;
    if (dot) {
        size_t fn = n - ip - 1;
        if (fn == 0 || fn > 9 || !sl_ngx_parse_int(dot + 1, fn, &frac) || frac < 0)
            return false;
        for (size_t k = fn; k < 9; k++)
            frac *= 10;
    }
    *ns = sec * 1000000000 + frac;
    return true;
}

bool sl_ngx_split_request(const char *p, size_t n, sl_ngx_request *out)
{
    memset(out, 0, sizeof *out);
    const char *sp = memchr(p, ' ', n);
    if (!sp || sp == p)
        return false;
    for (const char *q = p; q < sp; q++)
        if (!((*q >= 'A' && *q <= 'Z') || *q == '-' || *q == '_'))
            return false;
    out->method.p = p;
    out->method.n = (size_t)(sp - p);
    const char *u = sp + 1, *e = p + n;
    if (u >= e)
        return false;
    /* the protocol is the last word when it starts with "HTTP/" */
    const char *uend = e;
    const char *last = memrchr(u, ' ', (size_t)(e - u));
    if (last && e - last > 5 && memcmp(last + 1, "HTTP/", 5) == 0) {
        out->protocol.p = last + 1;
        out->protocol.n = (size_t)(e - last - 1);
        uend = last;
    }
    if (uend == u)
        return false;
    const char *qm = memchr(u, '?', (size_t)(uend - u));
    out->path.p = u;
    out->path.n = (size_t)((qm ? qm : uend) - u);
    if (qm) {
        out->query.p = qm + 1;
        out->query.n = (size_t)(uend - qm - 1);
    }
    return true;
}
