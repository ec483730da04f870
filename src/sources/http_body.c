/* http_body.c: see http_body.h. */
#include "sources/http_body.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#define ZLIB_CONST                      /* next_in is const: no cast to drop it */
#include <zlib.h>

#include "sources/json_fields.h"

sl_http_format sl_http_body_format(sl_http_format cfg, const char *ct)
{
    if (cfg != SL_HTTP_FMT_AUTO)
        return cfg;
    if (!ct)
        return SL_HTTP_FMT_LINES;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, "; \t");
    if ((n == 20 && !strncasecmp(ct, "application/x-ndjson", n)) ||
        (n == 18 && !strncasecmp(ct, "application/ndjson", n)) ||
        (n == 17 && !strncasecmp(ct, "application/jsonl", n)) ||
        (n == 19 && !strncasecmp(ct, "application/x-jsonl", n)))
        return SL_HTTP_FMT_NDJSON;
    if (n == 16 && !strncasecmp(ct, "application/json", n))
        return SL_HTTP_FMT_JSON_ARRAY;
    return SL_HTTP_FMT_LINES;
}

int sl_http_body_gunzip(const char *in, size_t n, size_t max, char **out,
                        size_t *out_len, const char **why)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        *why = "cannot start inflate";
        return SL_HTTP_GZ_BAD;
    }
    if (max > SIZE_MAX / 4)
        max = SIZE_MAX / 4;             /* max + 1 and cap * 2 cannot wrap */
    size_t limit = max + 1;             /* the output may reach max + 1 bytes (too big) */
    size_t cap = n < limit / 4 ? n * 4 + 1024 : limit;
    if (cap > limit)
        cap = limit;
    char *buf = malloc(cap);
    if (!buf) {
        inflateEnd(&zs);
        *why = "out of memory";
        return SL_HTTP_GZ_BAD;
    }
    size_t len = 0;
    int rc = Z_OK;
    const unsigned char *ip = (const unsigned char *)in;
    size_t left = n;
    for (;;) {
        if (zs.avail_in == 0 && left) {
            uInt take = left > 1u << 30 ? 1u << 30 : (uInt)left;
            zs.next_in = ip;
            zs.avail_in = take;
            ip += take;
            left -= take;
        }
        if (len == cap) {
            if (cap > max) {
                rc = Z_BUF_ERROR;
                break;
            }
            size_t ncap = cap * 2 > limit ? limit : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                inflateEnd(&zs);
                *why = "out of memory";
                return SL_HTTP_GZ_BAD;
            }
            buf = nb;
            cap = ncap;
        }
        size_t room = cap - len;
        if (room > 1u << 30)
            room = 1u << 30;
        zs.next_out = (unsigned char *)buf + len;
        zs.avail_out = (uInt)room;
        rc = inflate(&zs, Z_NO_FLUSH);
        len += room - zs.avail_out;
        if (len > max) {
            free(buf);
            inflateEnd(&zs);
            return SL_HTTP_GZ_TOO_BIG;
        }
        if (rc == Z_STREAM_END) {
            /* concatenated gzip members: keep going */
            if (zs.avail_in == 0 && left == 0)
                break;
            if (inflateReset(&zs) != Z_OK)
                break;
            continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            break;
        if (rc == Z_BUF_ERROR && zs.avail_in == 0 && left == 0) {
            rc = Z_DATA_ERROR; /* truncated stream */
            break;
        }
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        *why = "invalid gzip data";
        return SL_HTTP_GZ_BAD;
    }
    *out = buf;
    *out_len = len;
    return SL_HTTP_GZ_OK;
}

static bool decode_lines(sl_chunk *c, bool json, int64_t now_ns, const char **why)
{
    const char *p = c->data, *end = c->data + c->data_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t n = (size_t)(le - p);
        if (n && p[n - 1] == '\r')
            n--;
        if (n) {
            sl_event *ev = sl_chunk_add_event(c, p, n, now_ns);
            if (json) {
                json_error_t jerr;
                json_t *root = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
                if (!root || !json_is_object(root)) {
                    json_decref(root);
                    *why = root ? "an NDJSON line is not a JSON object"
                                : "an NDJSON line is not valid JSON";
                    return false;
                }
                sl_json_object_to_fields(c, &ev->fields, root);
                json_decref(root);
            }
        }
        p = nl ? nl + 1 : end;
    }
    return true;
}

static bool decode_array(sl_chunk *c, int64_t now_ns, const char **why)
{
    if (c->data_len == 0)
        return true;
    json_error_t jerr;
    json_t *root = json_loadb(c->data, c->data_len, JSON_ALLOW_NUL, &jerr);
    if (!root || !json_is_array(root)) {
        json_decref(root);
        *why = root ? "the body is not a JSON array" : "the body is not valid JSON";
        return false;
    }
    size_t i;
    json_t *el;
    json_array_foreach(root, i, el) {
        if (!json_is_object(el)) {
            json_decref(root);
            *why = "a JSON array element is not an object";
            return false;
        }
        char *s = json_dumps(el, JSON_COMPACT | JSON_PRESERVE_ORDER);
        size_t n = s ? strlen(s) : 0;
        char *msg = sl_arena_strndup(&c->arena, s ? s : "", n);
        free(s);
        sl_event *ev = sl_chunk_add_event(c, msg, n, now_ns);
        sl_json_object_to_fields(c, &ev->fields, el);
    }
    json_decref(root);
    return true;
}

bool sl_http_body_decode(sl_chunk *c, sl_http_format fmt, int64_t now_ns, const char **why)
{
    switch (fmt) {
    case SL_HTTP_FMT_NDJSON:
        return decode_lines(c, true, now_ns, why);
    case SL_HTTP_FMT_JSON_ARRAY:
        return decode_array(c, now_ns, why);
    case SL_HTTP_FMT_LINES:
    case SL_HTTP_FMT_AUTO:
    default:
        return decode_lines(c, false, now_ns, why);
    }
}
