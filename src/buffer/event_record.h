/* event_record.h: the disk buffer's record format. A record is a 12-byte
 * header (magic "SLR1", payload length, CRC-32C of the length and the
 * payload, all little-endian) and a payload holding one event: its chunk's
 * source name, origin key, origin and host, its time, flags, message and
 * typed fields (nested maps included). Encoding is what workers do when
 * they hand events to a disk-buffered destination; decoding is what the
 * replay does, building events whose strings point into the bytes read
 * (no copies). Everything read back is checked: a bad CRC, a length past
 * the end, a malformed payload or maps nested deeper than
 * SL_RECORD_MAX_DEPTH are reported as such, never trusted. */
#ifndef SLUICE_BUFFER_EVENT_RECORD_H
#define SLUICE_BUFFER_EVENT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "util/buf.h"

#define SL_RECORD_HEADER 12u
#define SL_RECORD_MAGIC 0x31524c53u         /* "SLR1" read little-endian */
#define SL_RECORD_MAX_PAYLOAD (64u << 20)   /* sanity bound on the length */
#define SL_RECORD_MAX_DEPTH 32

/* Append one framed record holding ev to b. */
void sl_record_append(sl_buf *b, const sl_event *ev);

typedef enum {
    SL_REC_OK,      /* a whole, intact record */
    SL_REC_SHORT,   /* p[0..n) is the start of a record (or of its header) */
    SL_REC_BAD,     /* not a record: wrong magic, absurd length or CRC mismatch */
} sl_rec_status;

/* Check the record at p[0..n). OK: *payload and *payload_len say where its
 * payload is and *rec_len how long the whole record is. SHORT: *rec_len is
 * how many bytes it needs (0 if even the header is incomplete). */
sl_rec_status sl_record_parse(const uint8_t *p, size_t n, const uint8_t **payload,
                              uint32_t *payload_len, size_t *rec_len);

/* The chunk-level part of a payload. */
typedef struct {
    const char *p;
    size_t n;
    bool set;       /* false: the chunk had none (NULL) */
} sl_rec_str;

typedef struct {
    sl_rec_str source, origin_key, origin, host;
} sl_record_meta;

bool sl_record_meta_decode(const uint8_t *payload, size_t n, sl_record_meta *m);
bool sl_record_meta_equal(const sl_record_meta *a, const sl_record_meta *b);

/* A new event in c from a payload whose bytes live as long as c (in
 * c->data). NULL if the payload is malformed (c may then hold a partial
 * allocation in its arena, nothing else). */
sl_event *sl_record_decode_event(sl_chunk *c, const uint8_t *payload, size_t n);

#endif
