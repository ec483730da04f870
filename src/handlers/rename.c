/* rename.c: the `rename` handler: renames fields (a map from -> to). A
 * missing source field is skipped; an existing target is replaced. */
#include <string.h>

#include "plugin.h"
#include "util/xalloc.h"

typedef struct {
    sl_strmap fields;
} rename_cfg;

#define O(f) offsetof(rename_cfg, f)
static const sl_option rename_options[] = {
    {"fields", SL_OPT_STRMAP, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(fields),
     "Map of old field name to new name, e.g. { msg: message, lvl: level }."},
    SL_OPT_END,
};

typedef struct {
    const sl_strmap *fields;
    size_t *from_len, *to_len;
} rename_state;

static void *rename_create(const void *cfgp, const char *name)
{
    (void)name;
    const rename_cfg *cfg = cfgp;
    rename_state *st = sl_calloc(1, sizeof *st);
    st->fields = &cfg->fields;
    st->from_len = sl_calloc(cfg->fields.n, sizeof *st->from_len);
    st->to_len = sl_calloc(cfg->fields.n, sizeof *st->to_len);
    for (size_t i = 0; i < cfg->fields.n; i++) {
        st->from_len[i] = strlen(cfg->fields.keys[i]);
        st->to_len[i] = strlen(cfg->fields.vals[i]);
    }
    return st;
}

static sl_handler_result rename_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    const rename_state *st = state;
    for (size_t i = 0; i < st->fields->n; i++) {
        sl_value *v = sl_event_get(ev, st->fields->keys[i], st->from_len[i]);
        if (!v)
            continue;
        sl_value tmp = *v;      /* removing shifts the field array */
        sl_fields_remove(&ev->fields, st->fields->keys[i], st->from_len[i]);
        *sl_event_set(ev, st->fields->vals[i], st->to_len[i]) = tmp;
    }
    return SL_HANDLER_PASS;
}

static void rename_destroy(void *state)
{
    rename_state *st = state;
    free(st->from_len);
    free(st->to_len);
    free(st);
}

static const sl_handler_ops rename_ops = {
    .create = rename_create,
    .process = rename_process,
    .destroy = rename_destroy,
};

const sl_plugin sl_handler_rename = {
    .name = "rename",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Renames fields.",
    .options = rename_options,
    .config_size = sizeof(rename_cfg),
    .handler = &rename_ops,
};
