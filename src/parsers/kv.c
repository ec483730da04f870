/* kv.c: logfmt key=value pairs (see kv.h). */
#include "parsers/kv.h"

#include <string.h>

void sl_kv_init(sl_kv_iter *it, const char *p, size_t n, char sep)
{
    if (!p)             /* an empty message may have no bytes at all */
        p = "";
    it->pos = p;
    it->end = p + n;
    it->sep = sep;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int sl_kv_next(sl_kv_iter *it, sl_kv_pair *out, const char **why)
{
    const char *p = it->pos, *e = it->end;
    while (p < e && is_space(*p))
        p++;
    if (p == e) {
        it->pos = p;
        return 0;
    }
    memset(out, 0, sizeof *out);
    if (*p == '"' || *p == it->sep) {
        *why = *p == '"' ? "a key cannot be quoted" : "empty key";
        it->pos = e;
        return -1;
    }
    out->key = p;
    while (p < e && !is_space(*p) && *p != it->sep && *p != '"')
        p++;
    out->key_len = (size_t)(p - out->key);
    if (p < e && *p == '"') {
        *why = "a quote inside a key";
        it->pos = e;
        return -1;
    }
    if (p == e || *p != it->sep) {      /* bare key */
        it->pos = p;
        return 1;
    }
    p++;                                /* the separator */
    if (p < e && *p == '"') {
        const char *v = ++p;
        bool esc = false;
        while (p < e && *p != '"') {
            if (*p == '\\') {
                esc = true;
                if (++p == e)
                    break;
            }
            p++;
        }
        if (p >= e) {
            *why = "unterminated quote";
            it->pos = e;
            return -1;
        }
        out->val = v;
        out->val_len = (size_t)(p - v);
        out->quoted = true;
        out->has_escape = esc;
        it->pos = p + 1;
        return 1;
    }
    out->val = p;
    while (p < e && !is_space(*p))
        p++;
    out->val_len = (size_t)(p - out->val);
    it->pos = p;
    return 1;
}

size_t sl_kv_unescape(const char *p, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\\' || i + 1 == n) {
            out[o++] = p[i];
            continue;
        }
        char c = p[++i];
        switch (c) {
        case '"':
        case '\\':
            out[o++] = c;
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        default:
            out[o++] = '\\';
            out[o++] = c;
        }
    }
    return o;
}
