/* handler_util.h: what the parse_* handlers share: where their input comes
 * from (the message or a string field), where their fields go (the top
 * level or a map field), and setting typed values. Everything is allocated
 * from the event's chunk arena. */
#ifndef SLUICE_HANDLERS_HANDLER_UTIL_H
#define SLUICE_HANDLERS_HANDLER_UTIL_H

#include <stdbool.h>
#include <string.h>

#include "event.h"
#include "plugin.h"

/* The text to parse: the message, or the string field `field` (NULL: the
 * message). False when the field is missing or not a string. */
static inline bool hu_input(sl_event *ev, const char *field, size_t field_len,
                            const char **p, size_t *n)
{
    if (!field) {
        *p = ev->msg;
        *n = ev->msg_len;
        return true;
    }
    sl_value *v = sl_event_get(ev, field, field_len);
    if (!v || v->type != SL_VAL_STRING)
        return false;
    *p = v->u.s.p;
    *n = v->u.s.n;
    return true;
}

/* Where parsed fields go: a new map (put in place at hu_commit) or the
 * event's own fields. */
static inline sl_fields *hu_begin(sl_event *ev, const char *target)
{
    return target ? sl_fields_new_map(ev->chunk) : &ev->fields;
}

static inline void hu_commit(sl_event *ev, const char *target, size_t target_len,
                             sl_fields *f)
{
    if (!target)
        return;
    sl_value *v = sl_event_set(ev, target, target_len);
    v->type = SL_VAL_MAP;
    v->u.map = f;
}

static inline void hu_set_str(sl_chunk *c, sl_fields *f, const char *name, size_t nl,
                              const char *p, size_t n)
{
    sl_value_set_string(sl_fields_set(c, f, name, nl), p, n);
}

static inline void hu_set_int(sl_chunk *c, sl_fields *f, const char *name, size_t nl,
                              int64_t i)
{
    sl_value *v = sl_fields_set(c, f, name, nl);
    v->type = SL_VAL_INT;
    v->u.i = i;
}

static inline void hu_set_float(sl_chunk *c, sl_fields *f, const char *name, size_t nl,
                                double d)
{
    sl_value *v = sl_fields_set(c, f, name, nl);
    v->type = SL_VAL_FLOAT;
    v->u.f = d;
}

static inline void hu_set_bool(sl_chunk *c, sl_fields *f, const char *name, size_t nl,
                               bool b)
{
    sl_value *v = sl_fields_set(c, f, name, nl);
    v->type = SL_VAL_BOOL;
    v->u.b = b;
}

static inline void hu_set_null(sl_chunk *c, sl_fields *f, const char *name, size_t nl)
{
    sl_value *v = sl_fields_set(c, f, name, nl);
    v->type = SL_VAL_NULL;
}

static inline size_t hu_len(const char *s) { return s ? strlen(s) : 0; }

#endif
