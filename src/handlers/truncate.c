/* truncate.c: the `truncate` handler: cuts a string field to at most
 * max_bytes bytes, never inside a UTF-8 sequence (the cut moves back to the
 * sequence's first byte), and when it cut, sets the boolean field `flag`
 * (default FIELD_truncated) to true. A missing or non-string field is left
 * alone. The cut string points to the same bytes: nothing is allocated but
 * the flag's name at create. */
#include <stdio.h>
#include <string.h>

#include "plugin.h"
#include "util/xalloc.h"

typedef struct {
    char *field;
    uint64_t max_bytes;
    char *flag;
} truncate_cfg;

#define O(f) offsetof(truncate_cfg, f)
static const sl_option truncate_options[] = {
    {"field", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(field),
     "The string field to truncate."},
    {"max_bytes", SL_OPT_SIZE, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(max_bytes),
     "Longest value kept, in bytes (e.g. 256, 4KiB)."},
    {"flag", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(flag),
     "Boolean field set to true when the value was cut (default FIELD_truncated)."},
    SL_OPT_END,
};

typedef struct {
    const char *field;
    size_t field_len;
    size_t max;
    char *flag;
    size_t flag_len;
} truncate_state;

static void *truncate_create(const void *cfgp, const char *name)
{
    (void)name;
    const truncate_cfg *cfg = cfgp;
    truncate_state *st = sl_calloc(1, sizeof *st);
    st->field = cfg->field;
    st->field_len = strlen(cfg->field);
    st->max = cfg->max_bytes > SIZE_MAX ? SIZE_MAX : (size_t)cfg->max_bytes;
    if (cfg->flag) {
        st->flag = sl_strdup(cfg->flag);
    } else {
        size_t n = st->field_len + sizeof "_truncated";
        st->flag = sl_malloc(n);
        snprintf(st->flag, n, "%s_truncated", cfg->field);
    }
    st->flag_len = strlen(st->flag);
    return st;
}

static sl_handler_result truncate_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    const truncate_state *st = state;
    sl_value *v = sl_event_get(ev, st->field, st->field_len);
    if (!v || v->type != SL_VAL_STRING || v->u.s.n <= st->max)
        return SL_HANDLER_PASS;
    size_t n = st->max;
    /* v->u.s.p[n] is the first byte cut off: while it is a continuation
     * byte, the sequence it belongs to would be split. */
    while (n > 0 && ((unsigned char)v->u.s.p[n] & 0xC0) == 0x80)
        n--;
    v->u.s.n = n;
    sl_value *f = sl_event_set(ev, st->flag, st->flag_len);
    f->type = SL_VAL_BOOL;
    f->u.b = true;
    return SL_HANDLER_PASS;
}

static void truncate_destroy(void *state)
{
    truncate_state *st = state;
    free(st->flag);
    free(st);
}

static const sl_handler_ops truncate_ops = {
    .create = truncate_create,
    .process = truncate_process,
    .destroy = truncate_destroy,
};

const sl_plugin sl_handler_truncate = {
    .name = "truncate",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Truncates a string field to a byte limit.",
    .options = truncate_options,
    .config_size = sizeof(truncate_cfg),
    .handler = &truncate_ops,
};
