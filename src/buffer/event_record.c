/* event_record.c: events to disk-buffer records and back (see the header).
 *
 * Payload layout (varint: LEB128; zigzag for signed values):
 *   u8 version (1)
 *   str source, str origin_key, str origin, str host
 *                      (optional strings: varint len+1, 0 for none)
 *   varint zigzag time_ns, varint flags
 *   str message        (varint len, bytes)
 *   fields: varint count, then per field: str name, u8 type, value
 *     string: str; int, time: varint zigzag; float: 8 bytes; bool: u8;
 *     null: nothing; map: fields (recursively) */
#include "buffer/event_record.h"

#include <string.h>

#include "runtime.h"
#include "util/crc32c.h"

#define VERSION 1

/* ---- writing -------------------------------------------------------------- */

static void put_varint(sl_buf *b, uint64_t v)
{
    if (b->cap - b->len < 10)
        sl_buf_reserve(b, 10);
    unsigned char *p = (unsigned char *)b->p + b->len;
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    b->len += n;
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63));
}
static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static void put_str(sl_buf *b, const char *s, size_t n)
{
    put_varint(b, n);
    sl_buf_append(b, s, n);
}

static void put_opt_str(sl_buf *b, const char *s)
{
    if (!s) {
        put_varint(b, 0);
        return;
    }
    size_t n = strlen(s);
    put_varint(b, n + 1);
    sl_buf_append(b, s, n);
}

static void put_fields(sl_buf *b, const sl_fields *f);

static void put_value(sl_buf *b, const sl_value *v)
{
    sl_buf_putc(b, (char)v->type);
    switch (v->type) {
    case SL_VAL_NULL:
        break;
    case SL_VAL_STRING:
        put_str(b, v->u.s.p, v->u.s.n);
        break;
    case SL_VAL_INT:
        put_varint(b, zigzag(v->u.i));
        break;
    case SL_VAL_TIME:
        put_varint(b, zigzag(v->u.t_ns));
        break;
    case SL_VAL_FLOAT:
        sl_buf_append(b, &v->u.f, 8);
        break;
    case SL_VAL_BOOL:
        sl_buf_putc(b, v->u.b ? 1 : 0);
        break;
    case SL_VAL_MAP:
        put_fields(b, v->u.map);
        break;
    }
}

static void put_fields(sl_buf *b, const sl_fields *f)
{
    uint32_t n = f ? f->n : 0;
    put_varint(b, n);
    for (uint32_t i = 0; i < n; i++) {
        put_str(b, f->v[i].name, f->v[i].name_len);
        put_value(b, &f->v[i].v);
    }
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void sl_record_append(sl_buf *b, const sl_event *ev)
{
    size_t start = b->len;
    sl_buf_reserve(b, SL_RECORD_HEADER + 64 + ev->msg_len);
    b->len += SL_RECORD_HEADER;
    const sl_chunk *c = ev->chunk;
    sl_buf_putc(b, VERSION);
    put_opt_str(b, c && c->source ? c->source->name : NULL);
    put_opt_str(b, c ? c->origin_key : NULL);
    put_opt_str(b, c ? c->origin : NULL);
    put_opt_str(b, c ? c->host : NULL);
    put_varint(b, zigzag(ev->time_ns));
    put_varint(b, ev->flags);
    put_str(b, ev->msg, ev->msg_len);
    put_fields(b, &ev->fields);
    uint32_t plen = (uint32_t)(b->len - start - SL_RECORD_HEADER);
    unsigned char *h = (unsigned char *)b->p + start;
    put_u32(h, SL_RECORD_MAGIC);
    put_u32(h + 4, plen);
    uint32_t crc = sl_crc32c(0, h + 4, 4);
    crc = sl_crc32c(crc, h + SL_RECORD_HEADER, plen);
    put_u32(h + 8, crc);
}

/* ---- reading -------------------------------------------------------------- */

sl_rec_status sl_record_parse(const uint8_t *p, size_t n, const uint8_t **payload,
                              uint32_t *payload_len, size_t *rec_len)
{
    *rec_len = 0;
    if (n < 4)
        return memcmp(p, "SLR1", n) == 0 ? SL_REC_SHORT : SL_REC_BAD;
    if (get_u32(p) != SL_RECORD_MAGIC)
        return SL_REC_BAD;
    if (n < SL_RECORD_HEADER)
        return SL_REC_SHORT;
    uint32_t len = get_u32(p + 4);
    if (len > SL_RECORD_MAX_PAYLOAD)
        return SL_REC_BAD;
    size_t total = SL_RECORD_HEADER + (size_t)len;
    if (n < total) {
        *rec_len = total;
        return SL_REC_SHORT;
    }
    uint32_t crc = sl_crc32c(0, p + 4, 4);
    crc = sl_crc32c(crc, p + SL_RECORD_HEADER, len);
    if (crc != get_u32(p + 8))
        return SL_REC_BAD;
    *payload = p + SL_RECORD_HEADER;
    *payload_len = len;
    *rec_len = total;
    return SL_REC_OK;
}

typedef struct {
    const uint8_t *p, *end;
} rd;

static bool get_varint(rd *r, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p == r->end)
            return false;
        uint8_t byte = *r->p++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static bool get_str(rd *r, const char **s, size_t *n)
{
    uint64_t len;
    if (!get_varint(r, &len) || len > (uint64_t)(r->end - r->p))
        return false;
    *s = (const char *)r->p;
    *n = (size_t)len;
    r->p += len;
    return true;
}

static bool get_opt_str(rd *r, sl_rec_str *s)
{
    uint64_t len;
    if (!get_varint(r, &len))
        return false;
    s->set = len != 0;
    s->p = NULL;
    s->n = 0;
    if (!len)
        return true;
    len--;
    if (len > (uint64_t)(r->end - r->p))
        return false;
    s->p = (const char *)r->p;
    s->n = (size_t)len;
    r->p += len;
    return true;
}

static bool get_meta(rd *r, sl_record_meta *m)
{
    if (r->p == r->end || *r->p++ != VERSION)
        return false;
    return get_opt_str(r, &m->source) && get_opt_str(r, &m->origin_key) &&
           get_opt_str(r, &m->origin) && get_opt_str(r, &m->host);
}

bool sl_record_meta_decode(const uint8_t *payload, size_t n, sl_record_meta *m)
{
    rd r = {payload, payload + n};
    return get_meta(&r, m);
}

static bool str_eq(const sl_rec_str *a, const sl_rec_str *b)
{
    return a->set == b->set && a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

bool sl_record_meta_equal(const sl_record_meta *a, const sl_record_meta *b)
{
    return str_eq(&a->source, &b->source) && str_eq(&a->origin_key, &b->origin_key) &&
           str_eq(&a->origin, &b->origin) && str_eq(&a->host, &b->host);
}

static bool get_fields(rd *r, sl_chunk *c, sl_fields *f, int depth);

static bool get_value(rd *r, sl_chunk *c, sl_value *v, int depth)
{
    if (r->p == r->end)
        return false;
    uint8_t t = *r->p++;
    uint64_t u;
    v->type = (sl_val_type)t;
    switch (t) {
    case SL_VAL_NULL:
        return true;
    case SL_VAL_STRING:
        return get_str(r, &v->u.s.p, &v->u.s.n);
    case SL_VAL_INT:
        if (!get_varint(r, &u))
            return false;
        v->u.i = unzigzag(u);
        return true;
    case SL_VAL_TIME:
        if (!get_varint(r, &u))
            return false;
        v->u.t_ns = unzigzag(u);
        return true;
    case SL_VAL_FLOAT:
        if (r->end - r->p < 8)
            return false;
        memcpy(&v->u.f, r->p, 8);
        r->p += 8;
        return true;
    case SL_VAL_BOOL:
        if (r->p == r->end || *r->p > 1)
            return false;
        v->u.b = *r->p++ == 1;
        return true;
    case SL_VAL_MAP:
        if (depth >= SL_RECORD_MAX_DEPTH)
            return false;
        v->u.map = sl_fields_new_map(c);
        return get_fields(r, c, v->u.map, depth + 1);
    default:
        return false;
    }
}

static bool get_fields(rd *r, sl_chunk *c, sl_fields *f, int depth)
{
    uint64_t n;
    /* every field takes at least 2 bytes: a bound before allocating */
    if (!get_varint(r, &n) || n > (uint64_t)(r->end - r->p) / 2)
        return false;
    if (!n)
        return true;
    f->v = sl_arena_alloc(&c->arena, (size_t)n * sizeof *f->v);
    f->cap = (uint32_t)n;
    f->n = 0;
    for (uint64_t i = 0; i < n; i++) {
        sl_field *fd = &f->v[i];
        size_t len;
        if (!get_str(r, &fd->name, &len) || len > UINT32_MAX)
            return false;
        fd->name_len = (uint32_t)len;
        if (!get_value(r, c, &fd->v, depth))
            return false;
        f->n++;
    }
    return true;
}

sl_event *sl_record_decode_event(sl_chunk *c, const uint8_t *payload, size_t n)
{
    rd r = {payload, payload + n};
    sl_record_meta m;
    uint64_t t, flags;
    const char *msg;
    size_t msg_len;
    if (!get_meta(&r, &m) || !get_varint(&r, &t) || !get_varint(&r, &flags) ||
        flags > UINT32_MAX || !get_str(&r, &msg, &msg_len))
        return NULL;
    sl_fields fields = {0};
    if (!get_fields(&r, c, &fields, 0) || r.p != r.end)
        return NULL;
    sl_event *ev = sl_chunk_add_event(c, msg, msg_len, unzigzag(t));
    ev->flags = (uint32_t)flags;
    ev->fields = fields;
    return ev;
}
