/* fuzz_condition.c: fuzz target for the condition language parser
 * (src/handlers/condition.c). The input is a condition's text: it either
 * compiles, and then evaluates on a few events without a crash and with the
 * same answer twice, or fails with a message and an offset inside the text.
 * Invariants: never both, never neither. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "handlers/condition.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fill(sl_chunk *c, sl_event *ev, int k)
{
    sl_event_set_int(ev, "status", k ? 503 : 200);
    sl_event_set_string(ev, "path", k ? "/api/v1" : "/health", 7);
    sl_event_set_string(ev, "code", "404", 3);
    sl_value *v = sl_event_set(ev, "ratio", 5);
    v->type = SL_VAL_FLOAT;
    v->u.f = 0.5;
    v = sl_event_set(ev, "ok", 2);
    v->type = SL_VAL_BOOL;
    v->u.b = k;
    v = sl_event_set(ev, "nothing", 7);
    v->type = SL_VAL_NULL;
    sl_fields *m = sl_fields_new_map(c);
    v = sl_fields_set(c, m, "status", 6);
    v->type = SL_VAL_INT;
    v->u.i = 204;
    v = sl_event_set(ev, "http", 4);
    v->type = SL_VAL_MAP;
    v->u.map = m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_condition_error err;
    memset(&err, 0, sizeof err);
    sl_condition *c = sl_condition_parse((const char *)data, size, &err);
    if (!c) {
        if (!err.msg[0] || err.offset > size)
            abort();
        return 0;
    }
    sl_chunk *ch = sl_chunk_new(NULL, 0, NULL, NULL);
    for (int k = 0; k < 3; k++) {
        sl_event *ev = sl_chunk_add_event(ch, "a message", 9, 0);
        if (k < 2)
            fill(ch, ev, k);
        bool r = sl_condition_eval(c, ev);
        if (sl_condition_eval(c, ev) != r)
            abort();
    }
    sl_chunk_discard(ch);
    sl_condition_free(c);
    return 0;
}
