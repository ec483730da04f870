/* encode.h: event encodings shared by every destination. `ndjson` writes
 * one JSON object per line: timestamp, source, origin (file or peer),
 * message, then the event's fields (a field of the same name replaces a
 * built-in key). `raw` writes the message bytes and a newline. */
#ifndef SLUICE_ENCODE_H
#define SLUICE_ENCODE_H

#include "event.h"
#include "util/buf.h"

/* Append one encoded event (with its trailing newline) to b. */
void sl_encode_event(sl_buf *b, const sl_event *ev, int encoding);
/* Append the JSON value of a field (strings, numbers, nested maps…). */
void sl_encode_value(sl_buf *b, const sl_value *v);
/* A MIME type for an encoding (for HTTP destinations). */
const char *sl_encoding_content_type(int encoding);

#endif
