/* filter.c: the `filter` handler: drops events by a condition (`drop_if`)
 * or keeps only the events that meet one (`keep_if`). A dropped event is
 * returned as DROP: it goes nowhere and the processor acks it.
 *
 * A condition is a string in the condition language,
 *   drop_if: 'status >= 500 and not path =~ "^/health"'
 * or a YAML map:
 *   { field: F, equals: V }       F equals V (a string field compares bytes;
 *   { field: F, not_equals: V }   an int/float/bool field compares as that)
 *   { field: F, matches: RE }     a string field matches the PCRE2 pattern
 *   { field: F, lt|le|gt|ge: N }  numeric comparison (int, float, or a string
 *                                 that is a number)
 *   { exists: F }                 the field is present
 *   { any: [C, ...] }, { all: [C, ...] }, { not: C }
 * Both compile (condition.c) into one tree with one evaluator, once, at
 * create. F may be a dotted path through nested maps ("http.status"). A
 * condition on a missing field is false (not_equals too: use `not` with
 * `exists`). */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "handlers/condition.h"
#include "log.h"
#include "plugin.h"
#include "util/xalloc.h"

typedef struct {
    const sl_node *drop_if;
    const sl_node *keep_if;
} filter_cfg;

#define O(f) offsetof(filter_cfg, f)
static const sl_option filter_options[] = {
    {"drop_if", SL_OPT_NODE, NULL, 0, 0, 0, NULL, O(drop_if),
     "Condition: drop the events that meet it, e.g. 'status >= 500 and path prefix \"/api\"' "
     "or { field: path, equals: /healthz }."},
    {"keep_if", SL_OPT_NODE, NULL, 0, 0, 0, NULL, O(keep_if),
     "Condition: keep only the events that meet it (a string in the condition language, or a "
     "map: any:, all:, not:, exists:, matches:...)."},
    SL_OPT_END,
};

static void filter_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    filter_cfg *cfg = cfgp;
    if (!cfg->drop_if == !cfg->keep_if) {
        sl_diag_error(d, node, "%s: set exactly one of drop_if and keep_if", what);
        return;
    }
    sl_condition_free(sl_condition_from_node(cfg->drop_if ? cfg->drop_if : cfg->keep_if, what, d));
}

typedef struct {
    sl_condition *c;
    bool drop;      /* drop_if (else keep_if) */
} filter_state;

static void *filter_create(const void *cfgp, const char *name)
{
    const filter_cfg *cfg = cfgp;
    sl_diags d = {0};
    sl_condition *c = sl_condition_from_node(cfg->drop_if ? cfg->drop_if : cfg->keep_if, name, &d);
    if (!c) {
        sl_error("handler", "%s", d.n ? d.v[0].text : "invalid condition");
        sl_diags_free(&d);
        return NULL;
    }
    sl_diags_free(&d);
    filter_state *st = sl_calloc(1, sizeof *st);
    st->c = c;
    st->drop = cfg->drop_if != NULL;
    return st;
}

static sl_handler_result filter_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    const filter_state *st = state;
    return sl_condition_eval(st->c, ev) == st->drop ? SL_HANDLER_DROP : SL_HANDLER_PASS;
}

static void filter_destroy(void *state)
{
    filter_state *st = state;
    sl_condition_free(st->c);
    free(st);
}

static const sl_handler_ops filter_ops = {
    .create = filter_create,
    .process = filter_process,
    .destroy = filter_destroy,
};

const sl_plugin sl_handler_filter = {
    .name = "filter",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Drops events by a condition (drop_if) or keeps only matching ones (keep_if).",
    .options = filter_options,
    .config_size = sizeof(filter_cfg),
    .check = filter_check,
    .handler = &filter_ops,
};
