/* parse_json.c: the `parse_json` handler: a JSON object in the message or
 * in a string field into fields. Nested objects stay nested (maps); arrays
 * become their compact JSON text as a string (sl_value has no array type),
 * or with `arrays: map` a map keyed "0", "1", ...; a JSON string inside a
 * field (wrapped JSON, as Docker writes) is decoded by a second parse_json
 * with `source` set to that field.
 *
 * Parsing is jansson's (Debian's libjansson): mature, small, fuzzed
 * upstream, and already a dependency (the AWS credential chain). To keep
 * the hot path free of malloc, jansson's allocator is replaced once for the
 * process (a constructor, before any jansson use): while a worker parses an
 * event, a thread-local points to the event's chunk arena and jansson's
 * allocations come from it (freeing them is a no-op; they go with the
 * chunk), so strings and keys are used in place without a copy; at any
 * other time (other threads, other code) allocation is malloc and free as
 * before. The parsed tree is never json_decref'd: it goes with the chunk.
 *
 * Bytes that are not UTF-8 (nginx's `escape=json` writes every byte of
 * 0x80 and up as it is, so a request with such a byte makes a line jansson
 * refuses) become U+FFFD, as the output writer would make them, and the
 * text is parsed again: the event is not lost for one stray byte.
 *
 * Limits: `max_depth` (nesting; a deeper object or array is kept as its
 * JSON text) and `max_fields` (values per event; further ones are
 * dropped); each is counted when hit, and the counts are logged when the
 * handler is destroyed. */
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/handler_util.h"
#include "log.h"
#include "plugin.h"
#include "util/json_writer.h"
#include "util/xalloc.h"

/* ---- jansson's allocator -------------------------------------------------- */

static _Thread_local sl_arena *json_arena;

/* Inside json_process (json_arena set on this thread) the only jansson
 * calls on this thread are the handler's own, and every block they free
 * came from the arena: freeing is a no-op. Anywhere else both are plain
 * malloc and free, so other jansson users (the socket source frees
 * json_dumps() text with free()) see no difference. */
static void *json_alloc(size_t n)
{
    return json_arena ? sl_arena_alloc(json_arena, n ? n : 1) : malloc(n);
}

static void json_release(void *p)
{
    if (!json_arena)
        free(p);
}

__attribute__((constructor)) static void json_alloc_install(void)
{
    json_set_alloc_funcs(json_alloc, json_release);
}

/* ---- the handler ---------------------------------------------------------- */

static const char *const on_error_choices[] = {"fail", "keep", NULL};
static const char *const arrays_choices[] = {"string", "map", NULL};

typedef struct {
    char *source;
    char *target;
    int on_error;
    int arrays;
    int64_t max_depth;
    int64_t max_fields;
} json_cfg;

#define O(f) offsetof(json_cfg, f)
static const sl_option json_options[] = {
    {"source", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(source),
     "Field holding the JSON text (a string); default: the message."},
    {"target", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(target),
     "Put the fields into this map field; default: at the top level."},
    {"on_error", SL_OPT_ENUM, "fail", 0, 0, 0, on_error_choices, O(on_error),
     "Not a JSON object (or the source field missing): fail (dead-letter the event) or keep "
     "(pass it on unparsed)."},
    {"arrays", SL_OPT_ENUM, "string", 0, 0, 0, arrays_choices, O(arrays),
     "An array becomes its compact JSON text (string) or a map keyed \"0\", \"1\", ... (map)."},
    {"max_depth", SL_OPT_INT, "64", 0, 1, 1000, NULL, O(max_depth),
     "Deepest nesting kept as maps; a deeper object is kept as its JSON text (counted)."},
    {"max_fields", SL_OPT_INT, "1000", 0, 1, 1000000, NULL, O(max_fields),
     "Most values taken from one event (nested ones included); the rest are dropped (counted)."},
    SL_OPT_END,
};

typedef struct {
    const char *source, *target;
    size_t source_len, target_len;
    bool keep, arrays_map;
    int max_depth;
    uint32_t max_fields;
    atomic_ulong deep, over, kept;
    char *name;
} json_state;

static void *json_create(const void *cfgp, const char *name)
{
    const json_cfg *cfg = cfgp;
    json_state *st = sl_calloc(1, sizeof *st);
    st->source = cfg->source;
    st->source_len = hu_len(cfg->source);
    st->target = cfg->target;
    st->target_len = hu_len(cfg->target);
    st->keep = cfg->on_error == 1;
    st->arrays_map = cfg->arrays == 1;
    st->max_depth = (int)cfg->max_depth;
    st->max_fields = (uint32_t)cfg->max_fields;
    st->name = sl_strdup(name ? name : "parse_json");
    return st;
}

typedef struct {
    json_state *st;
    sl_event *ev;
    uint32_t count;
    bool deep, over;
} conv;

static void put_value(conv *cv, sl_fields *f, const char *name, size_t nl, json_t *j,
                      int depth);

/* A value as its compact JSON text, in the arena. */
static void put_text(conv *cv, sl_fields *f, const char *name, size_t nl, json_t *j)
{
    size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
    char *buf = sl_event_alloc(cv->ev, n ? n : 1);
    n = json_dumpb(j, buf, n, JSON_COMPACT | JSON_ENCODE_ANY);
    hu_set_str(cv->ev->chunk, f, name, nl, buf, n);
}

static void put_children(conv *cv, sl_fields *m, json_t *j, int depth)
{
    sl_chunk *c = cv->ev->chunk;
    if (json_is_object(j)) {
        const char *k;
        size_t kl;
        json_t *v;
        json_object_keylen_foreach(j, k, kl, v) put_value(cv, m, k, kl, v, depth);
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v)
    {
        char tmp[24];
        int n = snprintf(tmp, sizeof tmp, "%zu", i);
        put_value(cv, m, sl_arena_strndup(&c->arena, tmp, (size_t)n), (size_t)n, v, depth);
    }
}

static void put_value(conv *cv, sl_fields *f, const char *name, size_t nl, json_t *j, int depth)
{
    sl_chunk *c = cv->ev->chunk;
    if (cv->count >= cv->st->max_fields) {
        cv->over = true;
        return;
    }
    cv->count++;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (json_is_array(j) && !cv->st->arrays_map) {
            put_text(cv, f, name, nl, j);
        } else if (depth >= cv->st->max_depth) {
            cv->deep = true;
            put_text(cv, f, name, nl, j);
        } else {
            sl_fields *m = sl_fields_new_map(c);
            put_children(cv, m, j, depth + 1);
            sl_value *v = sl_fields_set(c, f, name, nl);
            v->type = SL_VAL_MAP;
            v->u.map = m;
        }
        break;
    case JSON_STRING:
        hu_set_str(c, f, name, nl, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        hu_set_int(c, f, name, nl, (int64_t)json_integer_value(j));
        break;
    case JSON_REAL:
        hu_set_float(c, f, name, nl, json_real_value(j));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        hu_set_bool(c, f, name, nl, json_is_true(j));
        break;
    case JSON_NULL:
        hu_set_null(c, f, name, nl);
        break;
    }
}

/* p[0..n) with every byte that is not part of a valid UTF-8 sequence
 * replaced by U+FFFD, in the event's arena; *outn gets the length. */
static const char *utf8_repaired(sl_event *ev, const char *p, size_t n, size_t *outn)
{
    char *out = sl_event_alloc(ev, n * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = sl_utf8_seq_len((const unsigned char *)p + i, n - i);
        if (l == 0) {
            out[o++] = (char)0xEF;      /* U+FFFD */
            out[o++] = (char)0xBF;
            out[o++] = (char)0xBD;
            i++;
        } else {
            memcpy(out + o, p + i, l);
            o += l;
            i += l;
        }
    }
    *outn = o;
    return out;
}

static sl_handler_result json_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    json_state *st = state;
    const char *p;
    size_t n;
    char why[256];
    if (!hu_input(ev, st->source, st->source_len, &p, &n)) {
        snprintf(why, sizeof why, "field \"%s\" is missing or not a string", st->source);
        goto bad;
    }
    json_error_t err;
    json_arena = &ev->chunk->arena;
    json_t *root = json_loadb(p, n, JSON_ALLOW_NUL, &err);
    if (!root && json_error_code(&err) == json_error_invalid_utf8) {
        p = utf8_repaired(ev, p, n, &n);
        root = json_loadb(p, n, JSON_ALLOW_NUL, &err);
    }
    if (!root) {
        json_arena = NULL;
        snprintf(why, sizeof why, "invalid JSON at offset %d: %.160s", err.position, err.text);
        goto bad;
    }
    if (!json_is_object(root)) {
        json_arena = NULL;
        snprintf(why, sizeof why, "not a JSON object");
        goto bad;
    }
    conv cv = {.st = st, .ev = ev};
    sl_fields *f = hu_begin(ev, st->target);
    put_children(&cv, f, root, 1);
    json_arena = NULL;      /* nothing to free: it all goes with the chunk */
    hu_commit(ev, st->target, st->target_len, f);
    if (cv.deep)
        atomic_fetch_add_explicit(&st->deep, 1, memory_order_relaxed);
    if (cv.over)
        atomic_fetch_add_explicit(&st->over, 1, memory_order_relaxed);
    return SL_HANDLER_PASS;
bad:
    if (st->keep) {
        atomic_fetch_add_explicit(&st->kept, 1, memory_order_relaxed);
        return SL_HANDLER_PASS;
    }
    sl_handler_fail(hc, "parse_json: %s", why);
    return SL_HANDLER_ERROR;
}

static void json_destroy(void *state)
{
    json_state *st = state;
    unsigned long deep = atomic_load(&st->deep), over = atomic_load(&st->over),
                  kept = atomic_load(&st->kept);
    if (deep || over || kept)
        sl_info("handler",
                "%s: %lu events nested deeper than max_depth, %lu had more than max_fields "
                "values, %lu were kept unparsed",
                st->name, deep, over, kept);
    free(st->name);
    free(st);
}

static const sl_handler_ops json_ops = {
    .create = json_create,
    .process = json_process,
    .destroy = json_destroy,
};

const sl_plugin sl_handler_parse_json = {
    .name = "parse_json",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Parses a JSON object (the message or a field) into fields, nested objects as maps.",
    .options = json_options,
    .config_size = sizeof(json_cfg),
    .handler = &json_ops,
};
