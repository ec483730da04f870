/* json_fields.c: JSON objects into event fields (see the header). */
#include "sources/json_fields.h"

#include <stdlib.h>
#include <string.h>

static void set_json(sl_chunk *c, sl_fields *f, const char *key, size_t klen, json_t *v)
{
    char *name = sl_arena_strndup(&c->arena, key, klen);
    sl_value *out = sl_fields_set(c, f, name, klen);
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        out->type = SL_VAL_MAP;
        out->u.map = sl_fields_new_map(c);
        sl_json_object_to_fields(c, out->u.map, v);
        break;
    case JSON_STRING:
        out->type = SL_VAL_STRING;
        out->u.s.n = json_string_length(v);
        out->u.s.p = sl_arena_strndup(&c->arena, json_string_value(v), out->u.s.n);
        break;
    case JSON_INTEGER:
        out->type = SL_VAL_INT;
        out->u.i = (int64_t)json_integer_value(v);
        break;
    case JSON_REAL:
        out->type = SL_VAL_FLOAT;
        out->u.f = json_real_value(v);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        out->type = SL_VAL_BOOL;
        out->u.b = json_is_true(v);
        break;
    case JSON_ARRAY: {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        out->type = SL_VAL_STRING;
        out->u.s.n = s ? strlen(s) : 0;
        out->u.s.p = sl_arena_strndup(&c->arena, s ? s : "", out->u.s.n);
        free(s);
        break;
    }
    case JSON_NULL:
    default:
        out->type = SL_VAL_NULL;
        break;
    }
}

void sl_json_object_to_fields(sl_chunk *c, sl_fields *f, json_t *obj)
{
    void *iter = json_object_iter(obj);
    while (iter) {
        set_json(c, f, json_object_iter_key(iter), json_object_iter_key_len(iter),
                 json_object_iter_value(iter));
        iter = json_object_iter_next(obj, iter);
    }
}

void sl_json_decode_message(sl_event *ev)
{
    json_error_t jerr;
    json_t *root = json_loadb(ev->msg, ev->msg_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!root) {
        char *e = sl_event_strdup(ev, jerr.text, strlen(jerr.text));
        sl_event_set_string(ev, "decode_error", e, strlen(e));
        return;
    }
    if (!json_is_object(root))
        sl_event_set_string(ev, "decode_error", "not a JSON object", 17);
    else
        sl_json_object_to_fields(ev->chunk, &ev->fields, root);
    json_decref(root);
}
