/* parse_kv.c: the `parse_kv` handler: logfmt (`level=info msg="a \"b\""
 * took=12ms debug`) into fields, through src/parsers/kv.c. Keys and
 * unquoted values point into the message; only quoted values with escapes
 * are copied (into the chunk arena). A bare key becomes true. With
 * `convert`, unquoted integers, decimals and true/false become numbers and
 * booleans. Malformed input (an unterminated quote, an empty key) is an
 * ERROR, or with on_error: keep the event goes on unchanged. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/handler_util.h"
#include "log.h"
#include "parsers/kv.h"
#include "parsers/nginx_log.h"
#include "plugin.h"
#include "util/xalloc.h"

static const char *const on_error_choices[] = {"fail", "keep", NULL};

typedef struct {
    char *source;
    char *target;
    char *separator;
    bool convert;
    int64_t max_fields;
    int on_error;
} kv_cfg;

#define O(f) offsetof(kv_cfg, f)
static const sl_option kv_options[] = {
    {"source", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(source),
     "Field holding the text to parse; default: the message."},
    {"target", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(target),
     "Put the fields into this map field; default: at the top level."},
    {"separator", SL_OPT_STRING, "=", 0, 0, 0, NULL, O(separator),
     "The one character between a key and its value."},
    {"convert", SL_OPT_BOOL, "false", 0, 0, 0, NULL, O(convert),
     "Unquoted integers, decimals and true/false become numbers and booleans."},
    {"max_fields", SL_OPT_INT, "256", 0, 1, 100000, NULL, O(max_fields),
     "Most pairs taken from one event; the rest are ignored (and counted)."},
    {"on_error", SL_OPT_ENUM, "fail", 0, 0, 0, on_error_choices, O(on_error),
     "Malformed input: fail (dead-letter the event) or keep (pass it on unparsed)."},
    SL_OPT_END,
};

typedef struct {
    const char *source, *target;
    size_t source_len, target_len;
    char sep;
    bool convert, keep;
    uint32_t max_fields;
    atomic_ulong over_limit, kept;
    char *name;
} kv_state;

static void kv_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    kv_cfg *cfg = cfgp;
    if (cfg->separator && strlen(cfg->separator) != 1) {
        const sl_node *at = sl_node_get(node, "separator");
        sl_diag_error(d, at ? at : node, "%s: separator must be one character", what);
    }
}

static void *kv_create(const void *cfgp, const char *name)
{
    const kv_cfg *cfg = cfgp;
    if (cfg->separator && strlen(cfg->separator) != 1) {
        sl_error("handler", "%s: separator must be one character", name);
        return NULL;
    }
    kv_state *st = sl_calloc(1, sizeof *st);
    st->source = cfg->source;
    st->source_len = hu_len(cfg->source);
    st->target = cfg->target;
    st->target_len = hu_len(cfg->target);
    st->sep = (char)(cfg->separator ? cfg->separator[0] : '=');
    st->convert = cfg->convert;
    st->keep = cfg->on_error == 1;
    st->max_fields = (uint32_t)cfg->max_fields;
    st->name = sl_strdup(name ? name : "parse_kv");
    return st;
}

static void set_value(sl_event *ev, sl_fields *f, const kv_state *st, const sl_kv_pair *kv)
{
    sl_chunk *c = ev->chunk;
    if (!kv->val) {
        hu_set_bool(c, f, kv->key, kv->key_len, true);
        return;
    }
    if (kv->quoted) {
        if (kv->has_escape) {
            char *out = sl_event_alloc(ev, kv->val_len + 1);
            size_t n = sl_kv_unescape(kv->val, kv->val_len, out);
            hu_set_str(c, f, kv->key, kv->key_len, out, n);
        } else {
            hu_set_str(c, f, kv->key, kv->key_len, kv->val, kv->val_len);
        }
        return;
    }
    if (st->convert) {
        int64_t i;
        double d;
        if (sl_ngx_parse_int(kv->val, kv->val_len, &i)) {
            hu_set_int(c, f, kv->key, kv->key_len, i);
            return;
        }
        if (kv->val_len && sl_ngx_parse_float(kv->val, kv->val_len, &d)) {
            hu_set_float(c, f, kv->key, kv->key_len, d);
            return;
        }
        if (kv->val_len == 4 && memcmp(kv->val, "true", 4) == 0) {
            hu_set_bool(c, f, kv->key, kv->key_len, true);
            return;
        }
        if (kv->val_len == 5 && memcmp(kv->val, "false", 5) == 0) {
            hu_set_bool(c, f, kv->key, kv->key_len, false);
            return;
        }
    }
    hu_set_str(c, f, kv->key, kv->key_len, kv->val, kv->val_len);
}

static sl_handler_result kv_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    kv_state *st = state;
    const char *p;
    size_t n;
    const char *why = NULL;
    if (!hu_input(ev, st->source, st->source_len, &p, &n)) {
        if (st->keep) {
            atomic_fetch_add_explicit(&st->kept, 1, memory_order_relaxed);
            return SL_HANDLER_PASS;
        }
        sl_handler_fail(hc, "parse_kv: field \"%s\" is missing or not a string", st->source);
        return SL_HANDLER_ERROR;
    }
    /* first pass: validate, so a failed event gets no half of its fields */
    sl_kv_iter it;
    sl_kv_pair kv;
    int r;
    sl_kv_init(&it, p, n, st->sep);
    while ((r = sl_kv_next(&it, &kv, &why)) > 0)
        ;
    if (r < 0) {
        if (st->keep) {
            atomic_fetch_add_explicit(&st->kept, 1, memory_order_relaxed);
            return SL_HANDLER_PASS;
        }
        sl_handler_fail(hc, "parse_kv: %s at offset %zu", why, (size_t)(it.pos - p));
        return SL_HANDLER_ERROR;
    }
    sl_fields *f = hu_begin(ev, st->target);
    uint32_t count = 0;
    sl_kv_init(&it, p, n, st->sep);
    while (sl_kv_next(&it, &kv, &why) > 0) {
        if (count++ == st->max_fields) {
            atomic_fetch_add_explicit(&st->over_limit, 1, memory_order_relaxed);
            break;
        }
        set_value(ev, f, st, &kv);
    }
    hu_commit(ev, st->target, st->target_len, f);
    return SL_HANDLER_PASS;
}

static void kv_destroy(void *state)
{
    kv_state *st = state;
    unsigned long over = atomic_load(&st->over_limit), kept = atomic_load(&st->kept);
    if (over || kept)
        sl_info("handler", "%s: %lu events had more than max_fields pairs, %lu were kept unparsed",
                st->name, over, kept);
    free(st->name);
    free(st);
}

static const sl_handler_ops kv_ops = {
    .create = kv_create,
    .process = kv_process,
    .destroy = kv_destroy,
};

const sl_plugin sl_handler_parse_kv = {
    .name = "parse_kv",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Parses logfmt key=value pairs (quoted values with escapes) into fields.",
    .options = kv_options,
    .config_size = sizeof(kv_cfg),
    .check = kv_check,
    .handler = &kv_ops,
};
