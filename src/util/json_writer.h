/* json_writer.h: appending JSON values to a buffer, fast. Used by the
 * ndjson encoding for every event, so strings take an ASCII fast path. */
#ifndef SLUICE_UTIL_JSON_WRITER_H
#define SLUICE_UTIL_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* A quoted, escaped JSON string. Valid UTF-8 is copied as is; each byte
 * that is not part of a valid UTF-8 sequence becomes U+FFFD, so the output
 * is always valid JSON and valid UTF-8. */
void sl_json_string(sl_buf *b, const char *s, size_t n);
void sl_json_int(sl_buf *b, int64_t v);
/* Shortest form that reads back as the same double; NaN and infinities
 * (not representable in JSON) become null. */
void sl_json_double(sl_buf *b, double v);
void sl_json_bool(sl_buf *b, bool v);
void sl_json_null(sl_buf *b);
/* A quoted RFC 3339 UTC time with `digits` fractional digits (0, 3, 6, 9),
 * e.g. "2026-11-22T15:44:43.123456Z". */
void sl_json_time_rfc3339(sl_buf *b, int64_t unix_ns, int digits);

/* The length of the valid UTF-8 sequence at s[0..n), or 0 if s[0] does not
 * start one (overlong forms, surrogates and code points above U+10FFFF are
 * invalid). */
size_t sl_utf8_seq_len(const unsigned char *s, size_t n);

#endif
