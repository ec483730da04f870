/* remove.c: the `remove` handler: removes the listed top-level fields
 * (missing ones are skipped). */
#include <string.h>

#include "plugin.h"
#include "util/xalloc.h"

typedef struct {
    sl_strlist fields;
} remove_cfg;

#define O(f) offsetof(remove_cfg, f)
static const sl_option remove_options[] = {
    {"fields", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(fields),
     "Fields to remove, e.g. [ user_agent, referer ]."},
    SL_OPT_END,
};

typedef struct {
    const sl_strlist *fields;
    size_t *len;
} remove_state;

static void *remove_create(const void *cfgp, const char *name)
{
    (void)name;
    const remove_cfg *cfg = cfgp;
    remove_state *st = sl_calloc(1, sizeof *st);
    st->fields = &cfg->fields;
    st->len = sl_calloc(cfg->fields.n, sizeof *st->len);
    for (size_t i = 0; i < cfg->fields.n; i++)
        st->len[i] = strlen(cfg->fields.v[i]);
    return st;
}

static sl_handler_result remove_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    const remove_state *st = state;
    for (size_t i = 0; i < st->fields->n; i++)
        sl_fields_remove(&ev->fields, st->fields->v[i], st->len[i]);
    return SL_HANDLER_PASS;
}

static void remove_destroy(void *state)
{
    remove_state *st = state;
    free(st->len);
    free(st);
}

static const sl_handler_ops remove_ops = {
    .create = remove_create,
    .process = remove_process,
    .destroy = remove_destroy,
};

const sl_plugin sl_handler_remove = {
    .name = "remove",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Removes fields.",
    .options = remove_options,
    .config_size = sizeof(remove_cfg),
    .handler = &remove_ops,
};
