/* json_fields.h: a decoded JSON object as event fields, the one mapping the
 * sources that decode JSON (socket and kafka `decode: json`, the http
 * source) share: objects become nested maps, strings, integers, reals,
 * booleans and null keep their types, an array is kept as its compact JSON
 * text (events have no list type). Names and strings are copied into the
 * chunk's arena. */
#ifndef SLUICE_SOURCES_JSON_FIELDS_H
#define SLUICE_SOURCES_JSON_FIELDS_H

#include <jansson.h>

#include "event.h"

void sl_json_object_to_fields(sl_chunk *c, sl_fields *f, json_t *obj);
/* `decode: json` of the socket and kafka sources, on the worker: the
 * event's message, when it is a JSON object, becomes fields; else the
 * message is kept and a decode_error field says why. */
void sl_json_decode_message(sl_event *ev);

#endif
