/* encode.h: event encodings and batch compression shared by every
 * destination.
 *
 * `ndjson` writes one JSON object per line: timestamp, source, origin (file
 * or peer), message, then the event's fields (a field of the same name
 * replaces a built-in key). `json_array` writes the same objects as one
 * JSON array per batch, followed by a newline. `raw` writes the message
 * bytes and a newline.
 *
 * A batch is encoded in one pass into a caller-owned buffer (the
 * destination runner keeps one per destination and reuses it), and
 * compressed at most once (sl_gzip_compress). */
#ifndef SLUICE_ENCODE_H
#define SLUICE_ENCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "util/buf.h"

/* Append a whole batch in `encoding` (SL_ENC_*) to b. */
void sl_encode_batch(sl_buf *b, sl_event *const *evs, size_t n, int encoding);

/* The same, a piece at a time, for destinations that split a batch (the
 * file destination, one buffer per output file): begin, then add each event
 * with its index in that buffer (0, 1, ...), then end with the count. */
void sl_encode_begin(sl_buf *b, int encoding);
void sl_encode_add(sl_buf *b, const sl_event *ev, int encoding, size_t index);
void sl_encode_end(sl_buf *b, int encoding, size_t count);

/* Encode the JSON objects of evs[0..n) (events of chunk c) ahead of their
 * destinations, into c->json: a worker calls this once it has processed
 * the chunk, so the encoding runs on every worker in parallel rather than
 * on a destination's one sender, which then copies the bytes (ndjson and
 * json_array; raw needs no encoding). Events already encoded are skipped;
 * nobody may change an event after this. Returns how many bytes c->json
 * grew by, for the memory accounting. */
size_t sl_encode_ahead(sl_chunk *c, sl_event *const *evs, size_t n);

/* Append one event on its own, with its trailing newline (json_array gives
 * the bare object, as ndjson does). */
void sl_encode_event(sl_buf *b, const sl_event *ev, int encoding);
/* Append the JSON value of a field (strings, numbers, nested maps…). */
void sl_encode_value(sl_buf *b, const sl_value *v);
/* A MIME type for an encoding (for HTTP destinations). */
const char *sl_encoding_content_type(int encoding);

/* gzip (RFC 1952) through zlib. One context per thread that compresses;
 * its zlib state is set up on first use and reused (deflateReset) for
 * every batch after that. */
typedef struct {
    void *zs;       /* z_stream *, NULL until first use */
    int level;
} sl_gzip;

/* Append one complete gzip member holding in[0..n) to out, at `level`
 * (1..9). Concatenated members are one valid gzip stream. */
void sl_gzip_compress(sl_gzip *g, int level, sl_buf *out, const void *in, size_t n);
void sl_gzip_free(sl_gzip *g);

#endif
