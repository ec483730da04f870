/* keep.c: the `keep` handler: keeps only the listed top-level fields (an
 * allow-list) and removes every other field, in place, keeping their order. */
#include <string.h>

#include "plugin.h"
#include "util/xalloc.h"

typedef struct {
    sl_strlist fields;
} keep_cfg;

#define O(f) offsetof(keep_cfg, f)
static const sl_option keep_options[] = {
    {"fields", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(fields),
     "Fields to keep, e.g. [ status, path ]; all others are removed."},
    SL_OPT_END,
};

typedef struct {
    const sl_strlist *fields;
    size_t *len;
} keep_state;

static void *keep_create(const void *cfgp, const char *name)
{
    (void)name;
    const keep_cfg *cfg = cfgp;
    keep_state *st = sl_calloc(1, sizeof *st);
    st->fields = &cfg->fields;
    st->len = sl_calloc(cfg->fields.n, sizeof *st->len);
    for (size_t i = 0; i < cfg->fields.n; i++)
        st->len[i] = strlen(cfg->fields.v[i]);
    return st;
}

static bool keep_listed(const keep_state *st, const sl_field *f)
{
    for (size_t i = 0; i < st->fields->n; i++)
        if (st->len[i] == f->name_len && memcmp(st->fields->v[i], f->name, f->name_len) == 0)
            return true;
    return false;
}

static sl_handler_result keep_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    const keep_state *st = state;
    sl_fields *f = &ev->fields;
    uint32_t out = 0;
    for (uint32_t i = 0; i < f->n; i++)
        if (keep_listed(st, &f->v[i]))
            f->v[out++] = f->v[i];
    f->n = out;
    return SL_HANDLER_PASS;
}

static void keep_destroy(void *state)
{
    keep_state *st = state;
    free(st->len);
    free(st);
}

static const sl_handler_ops keep_ops = {
    .create = keep_create,
    .process = keep_process,
    .destroy = keep_destroy,
};

const sl_plugin sl_handler_keep = {
    .name = "keep",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Keeps only the listed fields.",
    .options = keep_options,
    .config_size = sizeof(keep_cfg),
    .handler = &keep_ops,
};
