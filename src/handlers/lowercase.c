/* lowercase.c: the `lowercase` handler: lowercases the listed string fields
 * (ASCII letters only; other bytes, UTF-8 included, are kept). The new
 * string is allocated from the chunk arena; missing and non-string fields
 * are skipped. */
#include <string.h>

#include "plugin.h"
#include "util/xalloc.h"

typedef struct {
    sl_strlist fields;
} lowercase_cfg;

#define O(f) offsetof(lowercase_cfg, f)
static const sl_option lowercase_options[] = {
    {"fields", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(fields),
     "String fields to lowercase, e.g. [ method, level ]."},
    SL_OPT_END,
};

typedef struct {
    const sl_strlist *fields;
    size_t *len;
} lowercase_state;

static void *lowercase_create(const void *cfgp, const char *name)
{
    (void)name;
    const lowercase_cfg *cfg = cfgp;
    lowercase_state *st = sl_calloc(1, sizeof *st);
    st->fields = &cfg->fields;
    st->len = sl_calloc(cfg->fields.n, sizeof *st->len);
    for (size_t i = 0; i < cfg->fields.n; i++)
        st->len[i] = strlen(cfg->fields.v[i]);
    return st;
}

static sl_handler_result lowercase_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    const lowercase_state *st = state;
    for (size_t i = 0; i < st->fields->n; i++) {
        sl_value *v = sl_event_get(ev, st->fields->v[i], st->len[i]);
        if (!v || v->type != SL_VAL_STRING)
            continue;
        size_t k = 0;
        while (k < v->u.s.n && !(v->u.s.p[k] >= 'A' && v->u.s.p[k] <= 'Z'))
            k++;
        if (k == v->u.s.n)
            continue;               /* already lowercase: no copy */
        char *s = sl_event_strdup(ev, v->u.s.p, v->u.s.n);
        for (; k < v->u.s.n; k++)
            if (s[k] >= 'A' && s[k] <= 'Z')
                s[k] = (char)(s[k] - 'A' + 'a');
        v->u.s.p = s;
    }
    return SL_HANDLER_PASS;
}

static void lowercase_destroy(void *state)
{
    lowercase_state *st = state;
    free(st->len);
    free(st);
}

static const sl_handler_ops lowercase_ops = {
    .create = lowercase_create,
    .process = lowercase_process,
    .destroy = lowercase_destroy,
};

const sl_plugin sl_handler_lowercase = {
    .name = "lowercase",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Lowercases string fields (ASCII).",
    .options = lowercase_options,
    .config_size = sizeof(lowercase_cfg),
    .handler = &lowercase_ops,
};
