/* copy.c: the `copy` handler: copies fields (a map from -> to). A missing
 * source field is skipped; an existing target is replaced. Strings point to
 * the same bytes and nested maps are shared, as sl_event_clone does. */
#include <string.h>

#include "plugin.h"
#include "util/xalloc.h"

typedef struct {
    sl_strmap fields;
} copy_cfg;

#define O(f) offsetof(copy_cfg, f)
static const sl_option copy_options[] = {
    {"fields", SL_OPT_STRMAP, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(fields),
     "Map of source field name to copy name, e.g. { host: origin_host }."},
    SL_OPT_END,
};

typedef struct {
    const sl_strmap *fields;
    size_t *from_len, *to_len;
} copy_state;

static void *copy_create(const void *cfgp, const char *name)
{
    (void)name;
    const copy_cfg *cfg = cfgp;
    copy_state *st = sl_calloc(1, sizeof *st);
    st->fields = &cfg->fields;
    st->from_len = sl_calloc(cfg->fields.n, sizeof *st->from_len);
    st->to_len = sl_calloc(cfg->fields.n, sizeof *st->to_len);
    for (size_t i = 0; i < cfg->fields.n; i++) {
        st->from_len[i] = strlen(cfg->fields.keys[i]);
        st->to_len[i] = strlen(cfg->fields.vals[i]);
    }
    return st;
}

static sl_handler_result copy_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    const copy_state *st = state;
    for (size_t i = 0; i < st->fields->n; i++) {
        sl_value *v = sl_event_get(ev, st->fields->keys[i], st->from_len[i]);
        if (!v)
            continue;
        sl_value tmp = *v;      /* setting may grow the field array */
        *sl_event_set(ev, st->fields->vals[i], st->to_len[i]) = tmp;
    }
    return SL_HANDLER_PASS;
}

static void copy_destroy(void *state)
{
    copy_state *st = state;
    free(st->from_len);
    free(st->to_len);
    free(st);
}

static const sl_handler_ops copy_ops = {
    .create = copy_create,
    .process = copy_process,
    .destroy = copy_destroy,
};

const sl_plugin sl_handler_copy = {
    .name = "copy",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Copies fields.",
    .options = copy_options,
    .config_size = sizeof(copy_cfg),
    .handler = &copy_ops,
};
