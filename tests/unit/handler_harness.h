/* handler_harness.h: runs a handler plugin outside the runtime, for unit
 * tests and fuzz targets: its options from a YAML snippet through its
 * option table (and check), then create/process/destroy called directly on
 * events of a chunk made with sl_chunk_new(NULL, ...). It provides the two
 * functions workers.c gives handlers (sl_handler_fail, sl_handler_emit),
 * so a binary using it must not link workers.o (handlers do not need it). */
#ifndef SLUICE_TESTS_HANDLER_HARNESS_H
#define SLUICE_TESTS_HANDLER_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "options.h"
#include "plugin.h"

struct sl_handler_ctx {
    sl_event *ev;
    const char *error;
    sl_event *emitted[16];
    size_t n_emitted;
    uint64_t route;     /* sl_handler_route_to (route handler) */
};

sl_event *sl_handler_emit(sl_handler_ctx *hc, const sl_event *like)
{
    sl_event *ev = sl_event_clone(like);
    if (hc->n_emitted < 16)
        hc->emitted[hc->n_emitted++] = ev;
    return ev;
}

void sl_handler_fail(sl_handler_ctx *hc, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof tmp)
        n = sizeof tmp - 1;
    hc->error = sl_event_strdup(hc->ev, tmp, (size_t)n);
}

void sl_handler_route_to(sl_handler_ctx *hc, uint64_t mask)
{
    hc->route = mask;
}

typedef struct {
    const sl_plugin *p;
    sl_doc *doc;
    void *cfg;
    void *st;
    char diag[512];     /* the first config error, if any */
    uint64_t route;     /* the route mask after the last hh_run (all ones: not set) */
} hh;

/* Options from yaml (a flow map such as "{ format: main }", or "" for
 * none), checked; then create(). Returns false (diag set, nothing left to
 * free but hh_close) when the config has an error or create() fails. */
static inline bool hh_open_env(hh *h, const sl_plugin *p, const char *yaml,
                               const sl_handler_env *env);
static inline bool hh_open(hh *h, const sl_plugin *p, const char *yaml)
{
    return hh_open_env(h, p, yaml, NULL);
}

/* The same for handlers that know their pipeline (route): env names the
 * pipeline's destinations (check_pipeline and create_env get it). */
static inline bool hh_open_env(hh *h, const sl_plugin *p, const char *yaml,
                               const sl_handler_env *env)
{
    memset(h, 0, sizeof *h);
    h->p = p;
    sl_diags d = {0};
    if (yaml && *yaml)
        h->doc = sl_doc_load_buffer("test.yaml", yaml, strlen(yaml), &d);
    h->cfg = calloc(1, p->config_size ? p->config_size : 1);
    sl_optset set = {p->options, h->cfg};
    const sl_node *root = h->doc ? h->doc->root : NULL;
    if (d.errors == 0) {
        sl_options_apply(&set, 1, root, NULL, p->name, NULL, &d);
        if (d.errors == 0 && p->check)
            p->check(h->cfg, root, p->name, &d);
        if (d.errors == 0 && env && p->handler->check_pipeline)
            p->handler->check_pipeline(h->cfg, root, p->name, env, &d);
    }
    if (d.errors) {
        snprintf(h->diag, sizeof h->diag, "%s", d.v[0].text);
        sl_diags_free(&d);
        return false;
    }
    sl_diags_free(&d);
    h->st = p->handler->create_env ? p->handler->create_env(h->cfg, p->name, env)
                                   : p->handler->create(h->cfg, p->name);
    h->route = UINT64_MAX;
    if (!h->st)
        snprintf(h->diag, sizeof h->diag, "create failed");
    return h->st != NULL;
}

static inline void hh_close(hh *h)
{
    if (h->st)
        h->p->handler->destroy(h->st);
    sl_optset set = {h->p->options, h->cfg};
    sl_options_free(&set, 1);
    free(h->cfg);
    if (h->doc)
        sl_doc_free(h->doc);
    memset(h, 0, sizeof *h);
}

/* Run the handler on ev; *error gets its reason on ERROR (else NULL). */
static inline sl_handler_result hh_run(hh *h, sl_event *ev, const char **error)
{
    sl_handler_ctx hc = {.ev = ev, .route = UINT64_MAX};
    sl_handler_result r = h->p->handler->process(h->st, ev, &hc);
    if (error)
        *error = hc.error;
    /* Written only when a route handler changed it, so that tests running
     * one hh from several threads (handlers without routes) do not race. */
    if (h->route != hc.route)
        h->route = hc.route;
    return r;
}

/* A field by dotted path ("a.b.c") through nested maps; NULL if absent. */
static inline sl_value *hh_get(sl_event *ev, const char *path)
{
    sl_fields *f = &ev->fields;
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        sl_value *v = sl_fields_get(f, path, n);
        if (!v || !dot)
            return v;
        if (v->type != SL_VAL_MAP)
            return NULL;
        f = v->u.map;
        path = dot + 1;
    }
}

/* Does the string field at path equal s? */
static inline bool hh_str_is(sl_event *ev, const char *path, const char *s)
{
    sl_value *v = hh_get(ev, path);
    return v && v->type == SL_VAL_STRING && v->u.s.n == strlen(s) &&
           memcmp(v->u.s.p, s, v->u.s.n) == 0;
}

static inline bool hh_int_is(sl_event *ev, const char *path, int64_t i)
{
    sl_value *v = hh_get(ev, path);
    return v && v->type == SL_VAL_INT && v->u.i == i;
}

static inline bool hh_float_is(sl_event *ev, const char *path, double d)
{
    sl_value *v = hh_get(ev, path);
    return v && v->type == SL_VAL_FLOAT && v->u.f > d - 1e-9 && v->u.f < d + 1e-9;
}

static inline bool hh_bool_is(sl_event *ev, const char *path, bool b)
{
    sl_value *v = hh_get(ev, path);
    return v && v->type == SL_VAL_BOOL && v->u.b == b;
}

static inline sl_event *hh_event(sl_chunk *c, const char *line)
{
    return sl_chunk_add_event(c, line, strlen(line), 0);
}

#endif
