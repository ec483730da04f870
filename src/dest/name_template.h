/* name_template.h: names built from events, for output file paths and S3
 * object keys: literal text, strftime-style time patterns (util/timefmt:
 * the event time, UTC) and {placeholders}: {uuid} (a new random UUID per
 * rendering), {host}, {source}, or any event field. A value placed from an
 * event is sanitised so that it cannot climb out of its place: no '/', no
 * "..", no control bytes; for object keys only S3's safe characters. */
#ifndef SLUICE_DEST_NAME_TEMPLATE_H
#define SLUICE_DEST_NAME_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "util/buf.h"

typedef enum {
    SL_NAME_PATH,       /* file paths: any byte but '/', control bytes, ".." */
    SL_NAME_OBJECT_KEY, /* S3 keys: A-Z a-z 0-9 ! - _ . * ' ( ) only */
    SL_NAME_TOPIC,      /* Kafka topics: A-Z a-z 0-9 . _ - only */
} sl_name_kind;

typedef struct sl_name_template sl_name_template;

sl_name_template *sl_name_template_new(const char *tpl, sl_name_kind kind);
void sl_name_template_free(sl_name_template *t);
/* Does the name depend on the event (time, a field, its source)? */
bool sl_name_template_varies(const sl_name_template *t);
/* NULL if valid, else a message about the first problem (static). */
const char *sl_name_template_check(const char *tpl);
/* Does it have {field} placeholders (events of one batch may differ)? */
bool sl_name_template_has_fields(const sl_name_template *t);
/* Append the name for `ev`, with time taken from `time_ev` (the first
 * event of a batch, for object keys), {uuid} from `uuid` (NULL: a new
 * random one), and NUL-terminate it. `ev` may be NULL for a template
 * that does not vary. */
void sl_name_template_render(const sl_name_template *t, const sl_event *ev,
                             const sl_event *time_ev, const char *uuid, sl_buf *b);

/* A random (version 4) UUID as 36 characters plus NUL. */
void sl_uuid4(char out[37]);

#endif
