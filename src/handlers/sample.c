/* sample.c: the `sample` handler: keeps 1 event in `rate`. With `by: FIELD`
 * the decision is a hash of the field's value (the same value is always
 * kept or always dropped, on every worker and across restarts: e.g. whole
 * requests by request id); events without the field are kept. Without
 * `by` it is random, from a per-thread xorshift generator (no locks). */
#include <stdlib.h>
#include <string.h>

#include "handlers/condition.h"
#include "plugin.h"
#include "util/clock.h"
#include "util/xalloc.h"

typedef struct {
    int64_t rate;
    char *by;
} sample_cfg;

#define O(f) offsetof(sample_cfg, f)
static const sl_option sample_options[] = {
    {"rate", SL_OPT_INT, NULL, SL_OPTF_REQUIRED, 1, 1000000000, NULL, O(rate),
     "Keep 1 event in this many (1 keeps all)."},
    {"by", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(by),
     "Field (dotted path) whose value decides: the same value, the same decision; events "
     "without it are kept. Not set: random."},
    SL_OPT_END,
};

typedef struct {
    uint64_t rate;
    char *by;
} sample_state;

static void *sample_create(const void *cfgp, const char *name)
{
    (void)name;
    const sample_cfg *cfg = cfgp;
    sample_state *st = sl_calloc(1, sizeof *st);
    st->rate = (uint64_t)cfg->rate;
    st->by = cfg->by && *cfg->by ? sl_strdup(cfg->by) : NULL;
    return st;
}

static _Thread_local uint64_t tl_rng;

static uint64_t next_random(void)
{
    uint64_t x = tl_rng;
    if (!x) {       /* seed once per thread: time and the thread's address */
        x = (uint64_t)sl_mono_ns() ^ (uint64_t)(uintptr_t)&tl_rng ^ 0x9e3779b97f4a7c15ULL;
        x = sl_condition_hash((const char *)&x, sizeof x) | 1;
    }
    x ^= x >> 12;   /* xorshift64* */
    x ^= x << 25;
    x ^= x >> 27;
    tl_rng = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static sl_handler_result sample_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    const sample_state *st = state;
    if (st->rate <= 1)
        return SL_HANDLER_PASS;
    uint64_t h;
    if (st->by) {
        char buf[40];
        const char *p;
        size_t n;
        if (!sl_condition_field_text(ev, st->by, buf, &p, &n))
            return SL_HANDLER_PASS;
        h = sl_condition_hash(p, n);
    } else {
        h = next_random();
    }
    return h % st->rate == 0 ? SL_HANDLER_PASS : SL_HANDLER_DROP;
}

static void sample_destroy(void *state)
{
    sample_state *st = state;
    free(st->by);
    free(st);
}

static const sl_handler_ops sample_ops = {
    .create = sample_create,
    .process = sample_process,
    .destroy = sample_destroy,
};

const sl_plugin sl_handler_sample = {
    .name = "sample",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Keeps 1 event in rate: at random, or by a hash of a field's value.",
    .options = sample_options,
    .config_size = sizeof(sample_cfg),
    .handler = &sample_ops,
};
