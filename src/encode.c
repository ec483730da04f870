/* encode.c: the ndjson, json_array and raw encodings of events and
 * batches, and gzip compression of encoded batches. */
#define ZLIB_CONST
#include "encode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pipeline_config.h"
#include "plugin.h"
#include "runtime.h"
#include "util/json_writer.h"
#include "util/xalloc.h"

void sl_encode_value(sl_buf *b, const sl_value *v)
{
    switch (v->type) {
    case SL_VAL_NULL:
        sl_json_null(b);
        break;
    case SL_VAL_STRING:
        sl_json_string(b, v->u.s.p, v->u.s.n);
        break;
    case SL_VAL_INT:
        sl_json_int(b, v->u.i);
        break;
    case SL_VAL_FLOAT:
        sl_json_double(b, v->u.f);
        break;
    case SL_VAL_BOOL:
        sl_json_bool(b, v->u.b);
        break;
    case SL_VAL_TIME:
        sl_json_time_rfc3339(b, v->u.t_ns, 6);
        break;
    case SL_VAL_MAP: {
        sl_buf_putc(b, '{');
        const sl_fields *m = v->u.map;
        for (uint32_t i = 0; i < m->n; i++) {
            if (i)
                sl_buf_putc(b, ',');
            sl_json_string(b, m->v[i].name, m->v[i].name_len);
            sl_buf_putc(b, ':');
            sl_encode_value(b, &m->v[i].v);
        }
        sl_buf_putc(b, '}');
        break;
    }
    }
}

/* Built-in keys a field of the same name replaces. */
enum { K_TIMESTAMP = 1, K_SOURCE = 2, K_ORIGIN = 4, K_HOST = 8, K_MESSAGE = 16 };

static bool name_is(const sl_field *f, const char *s, size_t n)
{
    return f->name_len == n && memcmp(f->name, s, n) == 0;
}

/* Which built-in keys the event's fields replace: one pass over them. */
static unsigned replaced_keys(const sl_event *ev, const char *origin_key, size_t ok_len)
{
    unsigned k = 0;
    for (uint32_t i = 0; i < ev->fields.n; i++) {
        const sl_field *f = &ev->fields.v[i];
        switch (f->name_len) {
        case 4:
            k |= name_is(f, "host", 4) ? K_HOST : 0;
            break;
        case 6:
            k |= name_is(f, "source", 6) ? K_SOURCE : 0;
            break;
        case 7:
            k |= name_is(f, "message", 7) ? K_MESSAGE : 0;
            break;
        case 9:
            k |= name_is(f, "timestamp", 9) ? K_TIMESTAMP : 0;
            break;
        default:
            break;
        }
        if (origin_key && name_is(f, origin_key, ok_len))
            k |= K_ORIGIN;
    }
    return k;
}

enum { K_CHUNK = K_SOURCE | K_ORIGIN | K_HOST };

/* Where in the output the chunk's keys (source, origin, host) were last
 * written whole, as ',"source":...': the same for every event of a chunk
 * that no field overrides, so sl_encode_ahead escapes them once per chunk
 * and copies them after that. */
typedef struct {
    size_t off, len;
    bool valid;
} chunk_keys;

static void put_sep(sl_buf *b, bool *first)
{
    if (!*first)
        sl_buf_putc(b, ',');
    *first = false;
}

static void put_chunk_keys(sl_buf *b, const sl_chunk *c, unsigned replaced, size_t ok_len,
                           bool *first)
{
    if (c->source && !(replaced & K_SOURCE)) {
        put_sep(b, first);
        sl_buf_append(b, "\"source\":", 9);
        sl_json_string(b, c->source->name, strlen(c->source->name));
    }
    if (c->origin && c->origin_key && !(replaced & K_ORIGIN)) {
        put_sep(b, first);
        sl_json_string(b, c->origin_key, ok_len);
        sl_buf_putc(b, ':');
        sl_json_string(b, c->origin, strlen(c->origin));
    }
    if (c->host && !(replaced & K_HOST)) {
        put_sep(b, first);
        sl_buf_append(b, "\"host\":", 7);
        sl_json_string(b, c->host, strlen(c->host));
    }
}

/* The event as one JSON object, no newline. kc: NULL, or the chunk's keys
 * already written to b (see chunk_keys). */
static void encode_object(sl_buf *b, const sl_event *ev, chunk_keys *kc)
{
    const sl_chunk *c = ev->chunk;
    if (ev->json_len) {         /* encoded ahead by its worker */
        sl_buf_append(b, c->json.p + ev->json_off, ev->json_len);
        return;
    }
    size_t ok_len = c->origin_key ? strlen(c->origin_key) : 0;
    unsigned replaced = replaced_keys(ev, c->origin_key, ok_len);
    sl_buf_putc(b, '{');
    bool first = true;
    if (!(replaced & K_TIMESTAMP)) {
        sl_buf_append(b, "\"timestamp\":", 12);
        sl_json_time_rfc3339(b, ev->time_ns, 6);
        first = false;
    }
    if (kc && kc->valid && !(replaced & K_CHUNK)) {
        /* copied from earlier in b: reserve first, b->p may move */
        size_t skip = first ? 1 : 0, n = kc->len - skip;
        sl_buf_reserve(b, n);
        memcpy(b->p + b->len, b->p + kc->off + skip, n);
        b->len += n;
        first = false;          /* at least one key: kc->len > 1 */
    } else {
        bool whole = !first && !(replaced & K_CHUNK);
        size_t at = b->len;
        put_chunk_keys(b, c, replaced, ok_len, &first);
        if (kc && whole && b->len > at)
            *kc = (chunk_keys){at, b->len - at, true};
    }
    if (!(replaced & K_MESSAGE)) {
        put_sep(b, &first);
        sl_buf_append(b, "\"message\":", 10);
        sl_json_string(b, ev->msg, ev->msg_len);
    }
    for (uint32_t i = 0; i < ev->fields.n; i++) {
        const sl_field *f = &ev->fields.v[i];
        put_sep(b, &first);
        sl_json_string(b, f->name, f->name_len);
        sl_buf_putc(b, ':');
        sl_encode_value(b, &f->v);
    }
    sl_buf_putc(b, '}');
}

static void encode_raw(sl_buf *b, const sl_event *ev)
{
    sl_buf_reserve(b, ev->msg_len + 1);
    memcpy(b->p + b->len, ev->msg, ev->msg_len);
    b->len += ev->msg_len;
    b->p[b->len++] = '\n';
}

void sl_encode_event(sl_buf *b, const sl_event *ev, int encoding)
{
    if (encoding == SL_ENC_RAW) {
        encode_raw(b, ev);
        return;
    }
    encode_object(b, ev, NULL);
    sl_buf_putc(b, '\n');
}

size_t sl_encode_ahead(sl_chunk *c, sl_event *const *evs, size_t n)
{
    sl_buf *b = &c->json;
    size_t cap_before = b->cap;
    if (!b->cap)    /* a guess from the messages: objects run 2-3 times as long */
        sl_buf_reserve(b, 3 * c->bytes + 256);
    chunk_keys keys = {0};
    for (size_t i = 0; i < n; i++) {
        sl_event *ev = evs[i];
        if (ev->json_len || ev->chunk != c)
            continue;
        size_t off = b->len;
        if (off > UINT32_MAX)
            break;      /* past what an offset can say: senders encode the rest */
        encode_object(b, ev, &keys);
        size_t len = b->len - off;
        if (len > UINT32_MAX) {
            b->len = off;
            keys.valid = false;     /* they may have been in what is dropped */
            continue;
        }
        ev->json_off = (uint32_t)off;
        ev->json_len = (uint32_t)len;
    }
    /* Keep what the objects need, not the guess or the doubling's slack:
     * these bytes wait in destination buffers with the chunk. */
    if (b->cap - b->len > b->cap / 8) {
        char *p = realloc(b->p, b->len ? b->len : 1);
        if (p) {
            b->p = p;
            b->cap = b->len ? b->len : 1;
        }
    }
    return b->cap > cap_before ? b->cap - cap_before : 0;
}

void sl_encode_begin(sl_buf *b, int encoding)
{
    if (encoding == SL_ENC_JSON_ARRAY)
        sl_buf_putc(b, '[');
}

void sl_encode_add(sl_buf *b, const sl_event *ev, int encoding, size_t index)
{
    switch (encoding) {
    case SL_ENC_JSON_ARRAY:
        if (index)
            sl_buf_putc(b, ',');
        encode_object(b, ev, NULL);
        break;
    case SL_ENC_RAW:
        encode_raw(b, ev);
        break;
    default:
        encode_object(b, ev, NULL);
        sl_buf_putc(b, '\n');
        break;
    }
}

void sl_encode_end(sl_buf *b, int encoding, size_t count)
{
    (void)count;
    if (encoding == SL_ENC_JSON_ARRAY)
        sl_buf_append(b, "]\n", 2);
}

void sl_encode_batch(sl_buf *b, sl_event *const *evs, size_t n, int encoding)
{
    sl_encode_begin(b, encoding);
    for (size_t i = 0; i < n; i++)
        sl_encode_add(b, evs[i], encoding, i);
    sl_encode_end(b, encoding, n);
}

const char *sl_encoding_content_type(int encoding)
{
    switch (encoding) {
    case SL_ENC_RAW:
        return "text/plain; charset=utf-8";
    case SL_ENC_JSON_ARRAY:
        return "application/json";
    default:
        return "application/x-ndjson";
    }
}

/* ---- gzip ------------------------------------------------------------------ */

_Noreturn static void zlib_bug(const char *what, int rc)
{
    fprintf(stderr, "sluice: internal error: zlib %s failed (%d)\n", what, rc);
    abort();
}

void sl_gzip_compress(sl_gzip *g, int level, sl_buf *out, const void *in, size_t n)
{
    z_stream *zs = g->zs;
    if (zs && g->level != level) {
        deflateEnd(zs);
        free(zs);
        zs = g->zs = NULL;
    }
    if (!zs) {
        zs = sl_calloc(1, sizeof *zs);
        /* 15 + 16: a gzip header and trailer rather than a zlib one. */
        int rc = deflateInit2(zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
        if (rc == Z_MEM_ERROR)
            sl_oom();
        if (rc != Z_OK)
            zlib_bug("deflateInit2", rc);
        g->zs = zs;
        g->level = level;
    } else {
        deflateReset(zs);
    }
    /* Usually one deflate() call: room for the worst case up front. zlib
     * counts in uInt, so very large batches go through in slices. */
    sl_buf_reserve(out, (size_t)deflateBound(zs, (uLong)n));
    const unsigned char *p = in;
    size_t left = n;
    const size_t slice = (size_t)1 << 30;
    int flush;
    do {
        size_t take = left < slice ? left : slice;
        zs->next_in = p;
        zs->avail_in = (uInt)take;
        p += take;
        left -= take;
        flush = left ? Z_NO_FLUSH : Z_FINISH;
        int rc;
        do {
            if (out->cap == out->len)
                sl_buf_reserve(out, 64 * 1024);
            size_t room = out->cap - out->len;
            if (room > slice)
                room = slice;
            zs->next_out = (unsigned char *)out->p + out->len;
            zs->avail_out = (uInt)room;
            rc = deflate(zs, flush);
            if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
                zlib_bug("deflate", rc);
            out->len += room - zs->avail_out;
            /* Input left, or (finishing) the trailer not written yet: more. */
        } while (flush == Z_FINISH ? rc != Z_STREAM_END : zs->avail_in > 0);
    } while (flush != Z_FINISH);
}

void sl_gzip_free(sl_gzip *g)
{
    if (g->zs) {
        deflateEnd(g->zs);
        free(g->zs);
        g->zs = NULL;
    }
}
