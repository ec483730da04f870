/* fuzz_disk_record.c: fuzz target for the disk buffer's record reader. The
 * input is taken three ways: as the bytes of a segment file (records are
 * framed, checked and decoded one after another, and after a bad one the
 * reader looks for the next magic, as the replay does); as one framed
 * record with a correct header and CRC around the input (so the fuzzer
 * reaches the payload decoder past the checksum); and as a bare payload.
 * Whatever decodes is encoded again and must decode to the same event. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer/event_record.h"
#include "util/crc32c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_fields(const sl_fields *a, const sl_fields *b);

static bool same_value(const sl_value *a, const sl_value *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case SL_VAL_NULL:
        return true;
    case SL_VAL_STRING:
        return a->u.s.n == b->u.s.n && (!a->u.s.n || memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0);
    case SL_VAL_INT:
        return a->u.i == b->u.i;
    case SL_VAL_TIME:
        return a->u.t_ns == b->u.t_ns;
    case SL_VAL_FLOAT:
        return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
    case SL_VAL_BOOL:
        return a->u.b == b->u.b;
    case SL_VAL_MAP:
        return same_fields(a->u.map, b->u.map);
    }
    return false;
}

static bool same_fields(const sl_fields *a, const sl_fields *b)
{
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (a->v[i].name_len != b->v[i].name_len ||
            memcmp(a->v[i].name, b->v[i].name, a->v[i].name_len) != 0 ||
            !same_value(&a->v[i].v, &b->v[i].v))
            return false;
    return true;
}

/* Decode a payload; if it is an event, its re-encoding decodes the same. */
static void check_payload(const uint8_t *p, size_t n)
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = sl_record_decode_event(c, p, n);
    sl_record_meta m;
    bool meta = sl_record_meta_decode(p, n, &m);
    if (ev && !meta)
        abort();                /* an event always has its metadata */
    if (ev) {
        sl_buf b = {0};
        sl_record_append(&b, ev);   /* the chunk has no source: metadata differs */
        const uint8_t *pl;
        uint32_t plen;
        size_t rlen;
        if (sl_record_parse((const uint8_t *)b.p, b.len, &pl, &plen, &rlen) != SL_REC_OK ||
            rlen != b.len)
            abort();
        sl_chunk *c2 = sl_chunk_new(NULL, 0, NULL, NULL);
        sl_event *ev2 = sl_record_decode_event(c2, pl, plen);
        if (!ev2 || ev2->msg_len != ev->msg_len ||
            (ev->msg_len && memcmp(ev2->msg, ev->msg, ev->msg_len) != 0) ||
            ev2->time_ns != ev->time_ns || ev2->flags != ev->flags ||
            !same_fields(&ev->fields, &ev2->fields))
            abort();
        sl_chunk_discard(c2);
        sl_buf_free(&b);
    }
    sl_chunk_discard(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a segment's bytes */
    size_t off = 0;
    while (off < size) {
        const uint8_t *pl;
        uint32_t plen;
        size_t rlen;
        sl_rec_status st = sl_record_parse(data + off, size - off, &pl, &plen, &rlen);
        if (st == SL_REC_OK) {
            if (rlen < SL_RECORD_HEADER || rlen > size - off)
                abort();
            check_payload(pl, plen);
            off += rlen;
        } else if (st == SL_REC_SHORT) {
            break;
        } else {
            const uint8_t *s = memchr(data + off + 1, 'S', size - off - 1);
            off = s ? (size_t)(s - data) : size;
        }
    }
    /* one record framed around the input */
    uint8_t *rec = malloc(size + SL_RECORD_HEADER);
    memcpy(rec, "SLR1", 4);
    uint32_t len = (uint32_t)size;
    for (int i = 0; i < 4; i++)
        rec[4 + i] = (uint8_t)(len >> (8 * i));
    memcpy(rec + SL_RECORD_HEADER, data, size);
    uint32_t crc = sl_crc32c(sl_crc32c(0, rec + 4, 4), data, size);
    for (int i = 0; i < 4; i++)
        rec[8 + i] = (uint8_t)(crc >> (8 * i));
    const uint8_t *pl;
    uint32_t plen;
    size_t rlen;
    if (size <= SL_RECORD_MAX_PAYLOAD &&
        sl_record_parse(rec, size + SL_RECORD_HEADER, &pl, &plen, &rlen) != SL_REC_OK)
        abort();
    free(rec);
    /* a bare payload */
    check_payload(data, size);
    return 0;
}
