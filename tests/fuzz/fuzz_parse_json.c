/* fuzz_parse_json.c: fuzz target for the parse_json handler (jansson with
 * its allocator switched to the chunk arena, the conversion into fields,
 * the UTF-8 repair, the depth and field limits), through
 * tests/unit/handler_harness.h. The first byte picks one of a few configs
 * (message or a field as source, a target, arrays as maps, small max_depth
 * and max_fields, on_error keep); the rest is the text. Invariants: the
 * handler passes or fails with a reason, never crashes; a passed event
 * holds no map nested deeper than max_depth, and no more values than
 * max_fields; with on_error: keep it never fails; jansson outside the
 * handler still allocates from the heap (no leak, no arena pointer freed). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/handler_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const sl_plugin sl_handler_parse_json;

typedef struct {
    const char *yaml;
    int max_depth;      /* as configured (64 default) */
    uint32_t max_fields;
    bool keep;
    bool from_field;    /* the text goes into field "raw", not the message */
} conf;

static const conf configs[] = {
    {"", 64, 1000, false, false},
    {"{ target: j, arrays: map, max_depth: 3 }", 3, 1000, false, false},
    {"{ source: raw, target: inner, max_fields: 5, on_error: keep }", 64, 5, true, true},
    {"{ arrays: map, max_depth: 1, max_fields: 20 }", 1, 20, false, false},
};
#define NCONF (sizeof configs / sizeof configs[0])
static hh handlers[NCONF];
static bool opened;

/* Deepest map nesting under f (1: f has no map) and the values counted. */
static int depth_of(const sl_fields *f, uint32_t *count)
{
    int d = 1;
    for (uint32_t i = 0; i < f->n; i++) {
        (*count)++;
        const sl_value *v = &f->v[i].v;
        if (v->type == SL_VAL_MAP) {
            int k = 1 + depth_of(v->u.map, count);
            if (k > d)
                d = k;
        }
    }
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!opened) {
        for (size_t i = 0; i < NCONF; i++)
            if (!hh_open(&handlers[i], &sl_handler_parse_json, configs[i].yaml))
                abort();
        opened = true;
    }
    if (size < 1)
        return 0;
    const conf *cf = &configs[data[0] % NCONF];
    hh *h = &handlers[data[0] % NCONF];
    data++;
    size--;
    sl_chunk *c = sl_chunk_new(NULL, size, NULL, NULL);
    if (size)
        memcpy(c->data, data, size);
    sl_event *ev;
    if (cf->from_field) {
        ev = sl_chunk_add_event(c, "m", 1, 0);
        sl_event_set_string(ev, "raw", c->data, size);
    } else {
        ev = sl_chunk_add_event(c, c->data, size, 0);
    }
    uint32_t n0 = ev->fields.n;
    const char *err = NULL;
    sl_handler_result r = hh_run(h, ev, &err);
    if (r == SL_HANDLER_ERROR && (!err || !*err))
        abort();
    if (r == SL_HANDLER_ERROR && cf->keep)
        abort();
    if (r != SL_HANDLER_ERROR && r != SL_HANDLER_PASS)
        abort();
    if (r == SL_HANDLER_PASS) {
        /* the fields it added (at the top or in the target map): nesting
         * within max_depth (the top level is depth 1), values within
         * max_fields */
        uint32_t count = 0;
        int depth = 0;
        sl_fields *top = &ev->fields;
        const char *tgt = strstr(cf->yaml, "target: ");
        if (tgt) {
            const char *name = tgt + 8;
            size_t nl = strcspn(name, ", }");
            const sl_value *t = sl_fields_get(top, name, nl);
            if (t) {
                if (t->type != SL_VAL_MAP)
                    abort();
                depth = depth_of(t->u.map, &count);
            } else if (!cf->keep) {
                abort();    /* passed without its target */
            }
        } else {
            for (uint32_t i = n0; i < top->n; i++) {
                count++;
                const sl_value *v = &top->v[i].v;
                if (v->type == SL_VAL_MAP) {
                    int k = 1 + depth_of(v->u.map, &count);
                    if (k > depth)
                        depth = k;
                }
            }
        }
        if (depth > cf->max_depth || count > cf->max_fields)
            abort();
    }
    sl_chunk_discard(c);
    /* jansson outside the handler: the heap, as before */
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (j)
        json_decref(j);
    return 0;
}
