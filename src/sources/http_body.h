/* http_body.h: decoding an HTTP source request body into a chunk's events,
 * without the network (so it can be unit-tested and fuzzed).
 *
 * The body bytes are the chunk's data (c->data, c->data_len); events point
 * into them (NDJSON and plain lines) or, for a JSON array, carry the
 * element's compact JSON text in the chunk arena. JSON objects become
 * fields, as the socket source's `decode: json` does. */
#ifndef SLUICE_HTTP_BODY_H
#define SLUICE_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

typedef enum {
    SL_HTTP_FMT_AUTO,
    SL_HTTP_FMT_NDJSON,
    SL_HTTP_FMT_JSON_ARRAY,
    SL_HTTP_FMT_LINES,
} sl_http_format;

/* The format to use: `cfg` unless it is AUTO, then from the Content-Type
 * (application/json -> json_array, application/x-ndjson or
 * application/jsonl -> ndjson, anything else -> lines). */
sl_http_format sl_http_body_format(sl_http_format cfg, const char *ct);

enum { SL_HTTP_GZ_OK = 0, SL_HTTP_GZ_BAD = -1, SL_HTTP_GZ_TOO_BIG = -2 };

/* Inflate a gzip body of n bytes into a malloc'd buffer of at most `max`
 * bytes. Returns SL_HTTP_GZ_OK (*out, *out_len set; free *out),
 * SL_HTTP_GZ_BAD (*why set to a short reason) or SL_HTTP_GZ_TOO_BIG. */
int sl_http_body_gunzip(const char *in, size_t n, size_t max, char **out,
                        size_t *out_len, const char **why);

/* Decode c->data[0..c->data_len) as `fmt` (not AUTO) into events of `c`
 * stamped now_ns. On a body that cannot be decoded returns false with *why
 * a short static reason; events already added must then be discarded with
 * the chunk. */
bool sl_http_body_decode(sl_chunk *c, sl_http_format fmt, int64_t now_ns,
                         const char **why);

#endif
