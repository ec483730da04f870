/* field_map.c: the `rename` and `copy` handlers: both take a map of field
 * names from -> to; rename moves each value, copy duplicates it (strings
 * point to the same bytes and nested maps are shared, as sl_event_clone
 * does). A missing source field is skipped; an existing target is
 * replaced. */
#include <string.h>

#include "plugin.h"
#include "util/xalloc.h"

typedef struct {
    sl_strmap fields;
} field_map_cfg;

#define O(f) offsetof(field_map_cfg, f)
static const sl_option rename_options[] = {
    {"fields", SL_OPT_STRMAP, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(fields),
     "Map of old field name to new name, e.g. { msg: message, lvl: level }."},
    SL_OPT_END,
};
static const sl_option copy_options[] = {
    {"fields", SL_OPT_STRMAP, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(fields),
     "Map of source field name to copy name, e.g. { host: origin_host }."},
    SL_OPT_END,
};

typedef struct {
    const sl_strmap *fields;
    size_t *from_len, *to_len;
    bool move;                  /* rename: the source field goes */
} field_map_state;

static void *field_map_create(const field_map_cfg *cfg, bool move)
{
    field_map_state *st = sl_calloc(1, sizeof *st);
    st->fields = &cfg->fields;
    st->move = move;
    st->from_len = sl_calloc(cfg->fields.n, sizeof *st->from_len);
    st->to_len = sl_calloc(cfg->fields.n, sizeof *st->to_len);
    for (size_t i = 0; i < cfg->fields.n; i++) {
        st->from_len[i] = strlen(cfg->fields.keys[i]);
        st->to_len[i] = strlen(cfg->fields.vals[i]);
    }
    return st;
}

static void *rename_create(const void *cfg, const char *name)
{
    (void)name;
    return field_map_create(cfg, true);
}

static void *copy_create(const void *cfg, const char *name)
{
    (void)name;
    return field_map_create(cfg, false);
}

static sl_handler_result field_map_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    const field_map_state *st = state;
    for (size_t i = 0; i < st->fields->n; i++) {
        sl_value *v = sl_event_get(ev, st->fields->keys[i], st->from_len[i]);
        if (!v)
            continue;
        sl_value tmp = *v;      /* removing shifts, setting may grow, the field array */
        if (st->move)
            sl_fields_remove(&ev->fields, st->fields->keys[i], st->from_len[i]);
        *sl_event_set(ev, st->fields->vals[i], st->to_len[i]) = tmp;
    }
    return SL_HANDLER_PASS;
}

static void field_map_destroy(void *state)
{
    field_map_state *st = state;
    free(st->from_len);
    free(st->to_len);
    free(st);
}

static const sl_handler_ops rename_ops = {
    .create = rename_create,
    .process = field_map_process,
    .destroy = field_map_destroy,
};

static const sl_handler_ops copy_ops = {
    .create = copy_create,
    .process = field_map_process,
    .destroy = field_map_destroy,
};

const sl_plugin sl_handler_rename = {
    .name = "rename",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Renames fields.",
    .options = rename_options,
    .config_size = sizeof(field_map_cfg),
    .handler = &rename_ops,
};

const sl_plugin sl_handler_copy = {
    .name = "copy",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Copies fields.",
    .options = copy_options,
    .config_size = sizeof(field_map_cfg),
    .handler = &copy_ops,
};
