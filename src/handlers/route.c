/* route.c: the `route` handler: picks, per event, which of the pipeline's
 * destinations (its `to`) get it.
 *
 *   - route:
 *       routes:
 *         - { if: 'status >= 500', to: [alerts, archive] }
 *         - { if: 'path prefix "/api"', to: [api] }
 *       default: [archive]     # no route matched; omitted: the pipeline's `to`
 *       mode: first            # the first matching route, or `all` of them
 *
 * Conditions are the condition language (or the map form), compiled once
 * (condition.c). Destination names are checked against the pipeline's `to`
 * at config time (check_pipeline) and turned into bit masks at create
 * (create_env); process() hands the chosen mask to the worker with
 * sl_handler_route_to(). An event routed nowhere (`to: []`, `default: []`) is
 * dropped, which the pipeline counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "handlers/condition.h"
#include "log.h"
#include "plugin.h"
#include "util/xalloc.h"

enum { MODE_FIRST, MODE_ALL };
static const char *const modes[] = {"first", "all", NULL};

typedef struct {
    const sl_node *routes;
    const sl_node *def;
    int mode;
} route_cfg;

#define O(f) offsetof(route_cfg, f)
static const sl_option route_options[] = {
    {"routes", SL_OPT_NODE, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(routes),
     "List of { if: CONDITION, to: [DESTINATIONS] }, tried in order; names are from the "
     "pipeline's to."},
    {"default", SL_OPT_NODE, NULL, 0, 0, 0, NULL, O(def),
     "Destinations of events no route matched ([]: drop them); default: the pipeline's to."},
    {"mode", SL_OPT_ENUM, "first", 0, 0, 0, modes, O(mode),
     "first: the first matching route decides; all: every matching route adds its "
     "destinations."},
    SL_OPT_END,
};

static const char *const route_keys[] = {"if", "to"};

/* `default:` with no value is the same as no default. */
static const sl_node *default_node(const route_cfg *cfg)
{
    const sl_node *v = cfg->def;
    return v && v->kind == SL_NODE_SCALAR && v->is_null ? NULL : v;
}

/* The names of a `to`/`default` value: a string or a list of strings.
 * Returns the number of name nodes put in out (at most cap), or -1 after
 * reporting a mistake. */
static long name_nodes(const sl_node *v, const char *what, const char *key,
                       const sl_node **out, size_t cap, sl_diags *d)
{
    if (v->kind == SL_NODE_SCALAR && !v->is_null) {
        out[0] = v;
        return 1;
    }
    if (v->kind != SL_NODE_SEQ) {
        sl_diag_error(d, v, "%s: \"%s\" takes a list of destination names, not %s", what, key,
                      sl_node_kind_name(v));
        return -1;
    }
    if (v->n > cap) {
        sl_diag_error(d, v, "%s: \"%s\" lists more than %zu destinations", what, key, cap);
        return -1;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (v->vals[i]->kind != SL_NODE_SCALAR || v->vals[i]->is_null) {
            sl_diag_error(d, v->vals[i], "%s: \"%s\" takes destination names, not %s", what,
                          key, sl_node_kind_name(v->vals[i]));
            return -1;
        }
        out[i] = v->vals[i];
    }
    return (long)v->n;
}

/* Check the shape of `routes` and compile each condition. */
static bool check_routes(const route_cfg *cfg, const sl_node *node, const char *what,
                         sl_diags *d)
{
    const sl_node *rs = cfg->routes;
    if (!rs || rs->kind != SL_NODE_SEQ || rs->n == 0) {
        sl_diag_error(d, rs ? rs : node,
                      "%s: \"routes\" takes a non-empty list of { if: CONDITION, to: [NAMES] }",
                      what);
        return false;
    }
    bool ok = true;
    const sl_node *names[SL_ROUTE_MAX_DESTS];
    for (size_t i = 0; i < rs->n; i++) {
        const sl_node *r = rs->vals[i];
        if (r->kind != SL_NODE_MAP) {
            sl_diag_error(d, r, "%s: route %zu must be a map { if: CONDITION, to: [NAMES] }, "
                                "not %s", what, i + 1, sl_node_kind_name(r));
            ok = false;
            continue;
        }
        for (size_t k = 0; k < r->n; k++) {
            const char *key = r->keys[k]->str;
            if (strcmp(key, "if") == 0 || strcmp(key, "to") == 0)
                continue;
            const char *hint = sl_did_you_mean(key, route_keys, 2);
            if (hint)
                sl_diag_error(d, r->keys[k], "%s: route %zu: unknown key \"%s\" (did you mean "
                                             "\"%s\"?)", what, i + 1, key, hint);
            else
                sl_diag_error(d, r->keys[k], "%s: route %zu: unknown key \"%s\" (a route has "
                                             "if and to)", what, i + 1, key);
            ok = false;
        }
        const sl_node *c = sl_node_get(r, "if"), *to = sl_node_get(r, "to");
        if (!c || !to) {
            sl_diag_error(d, r, "%s: route %zu needs \"%s\"", what, i + 1, c ? "to" : "if");
            ok = false;
            continue;
        }
        sl_condition *cond = sl_condition_from_node(c, what, d);
        if (!cond)
            ok = false;
        sl_condition_free(cond);
        if (name_nodes(to, what, "to", names, SL_ROUTE_MAX_DESTS, d) < 0)
            ok = false;
    }
    if (default_node(cfg) &&
        name_nodes(default_node(cfg), what, "default", names, SL_ROUTE_MAX_DESTS, d) < 0)
        ok = false;
    return ok;
}

static void route_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    check_routes(cfgp, node, what, d);
}

/* The mask of a names value; false after reporting an unknown name. */
static bool names_mask(const sl_node *v, const char *what, const char *key,
                       const sl_handler_env *env, uint64_t *mask, sl_diags *d)
{
    const sl_node *names[SL_ROUTE_MAX_DESTS];
    sl_diags shape = {0};       /* the shape was reported by route_check */
    long n = name_nodes(v, what, key, names, SL_ROUTE_MAX_DESTS, &shape);
    sl_diags_free(&shape);
    if (n < 0)
        return false;
    bool ok = true;
    *mask = 0;
    for (long i = 0; i < n; i++) {
        size_t k = 0;
        while (k < env->n_to && strcmp(env->to[k], names[i]->str) != 0)
            k++;
        if (k < env->n_to) {
            *mask |= (uint64_t)1 << k;
            continue;
        }
        const char *hint = sl_did_you_mean(names[i]->str, env->to, env->n_to);
        if (hint)
            sl_diag_error(d, names[i], "%s: \"%s\" is not a destination of this pipeline's to "
                                       "(did you mean \"%s\"?)", what, names[i]->str, hint);
        else
            sl_diag_error(d, names[i], "%s: \"%s\" is not a destination of this pipeline's to "
                                       "(add it there first)", what, names[i]->str);
        ok = false;
    }
    return ok;
}

static void route_check_pipeline(const void *cfgp, const sl_node *node, const char *what,
                                 const sl_handler_env *env, sl_diags *d)
{
    const route_cfg *cfg = cfgp;
    if (env->n_to > SL_ROUTE_MAX_DESTS) {
        sl_diag_error(d, node, "%s: a pipeline with a route handler may have at most %d "
                               "destinations in to", what, SL_ROUTE_MAX_DESTS);
        return;
    }
    const sl_node *rs = cfg->routes;
    uint64_t m;
    for (size_t i = 0; rs && rs->kind == SL_NODE_SEQ && i < rs->n; i++) {
        const sl_node *to = sl_node_get(rs->vals[i], "to");
        if (to)
            names_mask(to, what, "to", env, &m, d);
    }
    if (default_node(cfg))
        names_mask(default_node(cfg), what, "default", env, &m, d);
}

typedef struct {
    sl_condition *cond;
    uint64_t mask;
} route;

typedef struct {
    route *routes;
    size_t n;
    uint64_t def;
    int mode;
} route_state;

static void route_destroy(void *state)
{
    route_state *st = state;
    for (size_t i = 0; i < st->n; i++)
        sl_condition_free(st->routes[i].cond);
    free(st->routes);
    free(st);
}

static void *route_create_env(const void *cfgp, const char *name, const sl_handler_env *env)
{
    const route_cfg *cfg = cfgp;
    if (!env || env->n_to > SL_ROUTE_MAX_DESTS || !cfg->routes ||
        cfg->routes->kind != SL_NODE_SEQ) {
        sl_error("handler", "%s: needs a pipeline with at most %d destinations", name,
                 SL_ROUTE_MAX_DESTS);
        return NULL;
    }
    sl_diags d = {0};
    route_state *st = sl_calloc(1, sizeof *st);
    st->mode = cfg->mode;
    st->routes = sl_calloc(cfg->routes->n, sizeof *st->routes);
    bool ok = true;
    for (size_t i = 0; i < cfg->routes->n && ok; i++) {
        const sl_node *r = cfg->routes->vals[i];
        const sl_node *c = sl_node_get(r, "if"), *to = sl_node_get(r, "to");
        route *rt = &st->routes[st->n];
        if (!c || !to || !(rt->cond = sl_condition_from_node(c, name, &d))) {
            ok = false;
            break;
        }
        st->n++;
        ok = names_mask(to, name, "to", env, &rt->mask, &d);
    }
    if (ok) {
        if (default_node(cfg))
            ok = names_mask(default_node(cfg), name, "default", env, &st->def, &d);
        else
            st->def = env->n_to >= 64 ? UINT64_MAX : ((uint64_t)1 << env->n_to) - 1;
    }
    if (!ok) {
        sl_error("handler", "%s", d.n ? d.v[0].text : "invalid routes");
        sl_diags_free(&d);
        route_destroy(st);
        return NULL;
    }
    sl_diags_free(&d);
    return st;
}

static sl_handler_result route_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    const route_state *st = state;
    uint64_t mask = 0;
    bool matched = false;
    for (size_t i = 0; i < st->n; i++) {
        if (!sl_condition_eval(st->routes[i].cond, ev))
            continue;
        matched = true;
        mask |= st->routes[i].mask;
        if (st->mode == MODE_FIRST)
            break;
    }
    if (!matched)
        mask = st->def;
    if (!mask)
        return SL_HANDLER_DROP;     /* routed nowhere */
    sl_handler_route_to(hc, mask);
    return SL_HANDLER_PASS;
}

static const sl_handler_ops route_ops = {
    .process = route_process,
    .destroy = route_destroy,
    .create_env = route_create_env,
    .check_pipeline = route_check_pipeline,
};

const sl_plugin sl_handler_route = {
    .name = "route",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Sends each event to the destinations (of the pipeline's to) of the first, or "
               "every, route whose condition it meets.",
    .options = route_options,
    .config_size = sizeof(route_cfg),
    .check = route_check,
    .handler = &route_ops,
};
