/* set.c: the `set` handler: sets fields to constant strings (values may use
 * ${VAR} from the environment, expanded when the config is read). */
#include <string.h>

#include "plugin.h"
#include "util/xalloc.h"

typedef struct {
    sl_strmap fields;
} set_cfg;

#define O(f) offsetof(set_cfg, f)
static const sl_option set_options[] = {
    {"fields", SL_OPT_STRMAP, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(fields),
     "Map of field name to value, e.g. { env: production, dc: \"${DC}\" }."},
    SL_OPT_END,
};

typedef struct {
    const sl_strmap *fields;
    size_t *name_len, *val_len;
} set_state;

static void *set_create(const void *cfgp, const char *name)
{
    (void)name;
    const set_cfg *cfg = cfgp;
    set_state *st = sl_calloc(1, sizeof *st);
    st->fields = &cfg->fields;
    st->name_len = sl_calloc(cfg->fields.n, sizeof *st->name_len);
    st->val_len = sl_calloc(cfg->fields.n, sizeof *st->val_len);
    for (size_t i = 0; i < cfg->fields.n; i++) {
        st->name_len[i] = strlen(cfg->fields.keys[i]);
        st->val_len[i] = strlen(cfg->fields.vals[i]);
    }
    return st;
}

static sl_handler_result set_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    const set_state *st = state;
    for (size_t i = 0; i < st->fields->n; i++) {
        sl_value *v = sl_event_set(ev, st->fields->keys[i], st->name_len[i]);
        v->type = SL_VAL_STRING;
        v->u.s.p = st->fields->vals[i];     /* the config outlives every event */
        v->u.s.n = st->val_len[i];
    }
    return SL_HANDLER_PASS;
}

static void set_destroy(void *state)
{
    set_state *st = state;
    free(st->name_len);
    free(st->val_len);
    free(st);
}

static const sl_handler_ops set_ops = {
    .create = set_create,
    .process = set_process,
    .destroy = set_destroy,
};

const sl_plugin sl_handler_set = {
    .name = "set",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Sets fields to constant values.",
    .options = set_options,
    .config_size = sizeof(set_cfg),
    .handler = &set_ops,
};
