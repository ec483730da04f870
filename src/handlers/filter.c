/* filter.c: the `filter` handler: drops events by a condition (`drop_if`)
 * or keeps only the events that meet one (`keep_if`). A dropped event is
 * returned as DROP: it goes nowhere and the processor acks it.
 *
 * Conditions are YAML maps, compiled at create:
 *   { field: F, equals: V }       F equals V (a string field compares bytes;
 *   { field: F, not_equals: V }   an int/float/bool field compares as that)
 *   { field: F, matches: RE }     a string field matches the PCRE2 pattern
 *   { field: F, lt|le|gt|ge: N }  numeric comparison (int, float, or a string
 *                                 that is a whole number)
 *   { exists: F }                 the field is present
 *   { any: [C, ...] }, { all: [C, ...] }, { not: C }
 * F may be a dotted path through nested maps ("http.status"). A condition
 * on a missing field is false (not_equals too: use `not` with `exists`).
 * Regex match data is one small block per thread, shared by every filter
 * (an ovector of one pair is enough to know whether it matched). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <stdatomic.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
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
     "Condition: drop the events that meet it, e.g. { field: path, equals: /healthz }."},
    {"keep_if", SL_OPT_NODE, NULL, 0, 0, 0, NULL, O(keep_if),
     "Condition: keep only the events that meet it (any:, all:, not:, exists:, matches:...)."},
    SL_OPT_END,
};

typedef enum { C_EQ, C_NE, C_MATCH, C_LT, C_LE, C_GT, C_GE, C_EXISTS, C_ANY, C_ALL, C_NOT } cond_kind;

typedef struct cond {
    cond_kind kind;
    char *field;                /* copies: the state needs no config */
    char *lit;                  /* the value as written */
    size_t lit_len;
    bool lit_is_num;
    double num;                 /* EQ/NE (when numeric), LT..GE */
    pcre2_code *re;
    struct cond **sub;          /* ANY/ALL/NOT */
    size_t n_sub;
} cond;

static void cond_free(cond *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_sub; i++)
        cond_free(c->sub[i]);
    free(c->sub);
    pcre2_code_free(c->re);
    free(c->field);
    free(c->lit);
    free(c);
}

static bool parse_num(const char *s, size_t n, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (*end || errno)
        return false;
    *out = d;
    return true;
}

#define CERR(at_, ...) (snprintf(err, errcap, __VA_ARGS__), *errat = (at_), (cond *)NULL)

static const char *const cmp_keys[] = {"equals", "not_equals", "matches", "lt", "le", "gt", "ge"};

/* Compile a condition; NULL with err and *errat set on a mistake. */
static cond *cond_parse(const sl_node *n, int depth, char *err, size_t errcap,
                        const sl_node **errat)
{
    if (depth > 32)
        return CERR(n, "condition nested too deeply");
    if (!n || n->kind != SL_NODE_MAP || n->n == 0)
        return CERR(n, "a condition must be a map such as { field: F, equals: V }, not %s",
                    n ? sl_node_kind_name(n) : "nothing");
    const sl_node *v;
    if ((v = sl_node_get(n, "any")) || (v = sl_node_get(n, "all"))) {
        bool any = sl_node_get(n, "any") != NULL;
        if (n->n != 1)
            return CERR(n, "'%s' must be the only key of its condition", any ? "any" : "all");
        if (v->kind != SL_NODE_SEQ || v->n == 0)
            return CERR(v, "'%s' takes a non-empty list of conditions", any ? "any" : "all");
        cond *c = sl_calloc(1, sizeof *c);
        c->kind = any ? C_ANY : C_ALL;
        c->sub = sl_calloc(v->n, sizeof *c->sub);
        for (size_t i = 0; i < v->n; i++) {
            if (!(c->sub[c->n_sub++] = cond_parse(v->vals[i], depth + 1, err, errcap, errat))) {
                cond_free(c);
                return NULL;
            }
        }
        return c;
    }
    if ((v = sl_node_get(n, "not"))) {
        if (n->n != 1)
            return CERR(n, "'not' must be the only key of its condition");
        cond *c = sl_calloc(1, sizeof *c);
        c->kind = C_NOT;
        c->sub = sl_calloc(1, sizeof *c->sub);
        if (!(c->sub[c->n_sub++] = cond_parse(v, depth + 1, err, errcap, errat))) {
            cond_free(c);
            return NULL;
        }
        return c;
    }
    if ((v = sl_node_get(n, "exists"))) {
        if (n->n != 1)
            return CERR(n, "'exists' must be the only key of its condition");
        if (v->kind != SL_NODE_SCALAR || v->is_null || !v->len)
            return CERR(v, "'exists' takes a field name");
        cond *c = sl_calloc(1, sizeof *c);
        c->kind = C_EXISTS;
        c->field = sl_strdup(v->str);
        return c;
    }
    const sl_node *f = sl_node_get(n, "field");
    if (!f || f->kind != SL_NODE_SCALAR || f->is_null || !f->len)
        return CERR(n, "a condition needs 'field' (or any:, all:, not:, exists:)");
    if (n->n != 2)
        return CERR(n, "a 'field' condition takes exactly one of equals, not_equals, "
                       "matches, lt, le, gt, ge");
    for (size_t k = 0; k < sizeof cmp_keys / sizeof *cmp_keys; k++) {
        if (!(v = sl_node_get(n, cmp_keys[k])))
            continue;
        if (v->kind != SL_NODE_SCALAR)
            return CERR(v, "'%s' takes a single value, not %s", cmp_keys[k], sl_node_kind_name(v));
        cond *c = sl_calloc(1, sizeof *c);
        c->kind = (cond_kind)k;
        c->field = sl_strdup(f->str);
        c->lit_len = v->is_null ? 0 : v->len;
        c->lit = sl_malloc(c->lit_len + 1);
        memcpy(c->lit, v->is_null ? "" : v->str, c->lit_len);
        c->lit[c->lit_len] = 0;
        c->lit_is_num = parse_num(c->lit, c->lit_len, &c->num);
        if (c->kind >= C_LT && !c->lit_is_num) {
            cond_free(c);
            return CERR(v, "'%s' takes a number, not \"%s\"", cmp_keys[k], v->str);
        }
        if (c->kind == C_MATCH) {
            int ec;
            PCRE2_SIZE off;
            c->re = pcre2_compile((PCRE2_SPTR)c->lit, c->lit_len, 0, &ec, &off, NULL);
            if (!c->re) {
                PCRE2_UCHAR msg[160];
                pcre2_get_error_message(ec, msg, sizeof msg);
                cond_free(c);
                return CERR(v, "matches: %s at offset %zu", (char *)msg, (size_t)off);
            }
            pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);   /* interpreted if it fails */
        }
        return c;
    }
    return CERR(n, "a 'field' condition takes one of equals, not_equals, matches, lt, le, gt, ge");
}

static void filter_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    filter_cfg *cfg = cfgp;
    if (!cfg->drop_if == !cfg->keep_if) {
        sl_diag_error(d, node, "%s: set exactly one of drop_if and keep_if", what);
        return;
    }
    char err[256];
    const sl_node *at = NULL;
    cond *c = cond_parse(cfg->drop_if ? cfg->drop_if : cfg->keep_if, 0, err, sizeof err, &at);
    if (!c)
        sl_diag_error(d, at ? at : node, "%s: %s", what, err);
    cond_free(c);
}

/* ---- per-thread match data ------------------------------------------------ */

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static _Thread_local pcre2_match_data *tl_md;
static atomic_size_t n_live;    /* filters created and not destroyed */

static void md_free(void *p) { pcre2_match_data_free(p); }
static void md_key_init(void) { pthread_key_create(&md_key, md_free); }

static pcre2_match_data *thread_match_data(void)
{
    if (!tl_md) {           /* once per thread, not per event */
        pthread_once(&md_once, md_key_init);
        tl_md = pcre2_match_data_create(1, NULL);
        if (!tl_md)
            sl_oom();
        pthread_setspecific(md_key, tl_md);
    }
    return tl_md;
}

/* ---- evaluation ----------------------------------------------------------- */

static sl_value *lookup(sl_event *ev, const char *path)
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

/* A value as a number, if it is one. */
static bool as_num(const sl_value *v, double *d)
{
    switch (v->type) {
    case SL_VAL_INT: *d = (double)v->u.i; return true;
    case SL_VAL_FLOAT: *d = v->u.f; return true;
    case SL_VAL_STRING: return parse_num(v->u.s.p, v->u.s.n, d);
    default: return false;
    }
}

static bool equals(const cond *c, const sl_value *v)
{
    double d;
    switch (v->type) {
    case SL_VAL_STRING:
        return v->u.s.n == c->lit_len && memcmp(v->u.s.p, c->lit, c->lit_len) == 0;
    case SL_VAL_INT:
    case SL_VAL_FLOAT:
        return c->lit_is_num && as_num(v, &d) && d == c->num;
    case SL_VAL_BOOL:
        return strcmp(c->lit, v->u.b ? "true" : "false") == 0;
    case SL_VAL_NULL:
        return c->lit_len == 0 || strcmp(c->lit, "null") == 0;
    default:
        return false;
    }
}

static bool eval(const cond *c, sl_event *ev)
{
    switch (c->kind) {
    case C_ANY:
        for (size_t i = 0; i < c->n_sub; i++)
            if (eval(c->sub[i], ev))
                return true;
        return false;
    case C_ALL:
        for (size_t i = 0; i < c->n_sub; i++)
            if (!eval(c->sub[i], ev))
                return false;
        return true;
    case C_NOT:
        return !eval(c->sub[0], ev);
    default:
        break;
    }
    sl_value *v = lookup(ev, c->field);
    if (!v)
        return false;
    double d;
    switch (c->kind) {
    case C_EXISTS: return true;
    case C_EQ: return equals(c, v);
    case C_NE: return !equals(c, v);
    case C_MATCH:
        if (v->type != SL_VAL_STRING)
            return false;
        return pcre2_match(c->re, (PCRE2_SPTR)v->u.s.p, v->u.s.n, 0, 0,
                           thread_match_data(), NULL) >= 0;
    case C_LT: return as_num(v, &d) && d < c->num;
    case C_LE: return as_num(v, &d) && d <= c->num;
    case C_GT: return as_num(v, &d) && d > c->num;
    case C_GE: return as_num(v, &d) && d >= c->num;
    default: return false;
    }
}

typedef struct {
    cond *c;
    bool drop;      /* drop_if (else keep_if) */
} filter_state;

static void *filter_create(const void *cfgp, const char *name)
{
    const filter_cfg *cfg = cfgp;
    char err[256];
    const sl_node *at = NULL;
    cond *c = cond_parse(cfg->drop_if ? cfg->drop_if : cfg->keep_if, 0, err, sizeof err, &at);
    if (!c) {
        sl_error("handler", "%s: %s", name, err);
        return NULL;
    }
    filter_state *st = sl_calloc(1, sizeof *st);
    st->c = c;
    st->drop = cfg->drop_if != NULL;
    atomic_fetch_add(&n_live, 1);
    return st;
}

static sl_handler_result filter_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    const filter_state *st = state;
    return eval(st->c, ev) == st->drop ? SL_HANDLER_DROP : SL_HANDLER_PASS;
}

static void filter_destroy(void *state)
{
    filter_state *st = state;
    cond_free(st->c);
    free(st);
    /* the last one frees this thread's match data (the other threads' went
     * with their threads) */
    if (atomic_fetch_sub(&n_live, 1) == 1 && tl_md) {
        pthread_setspecific(md_key, NULL);
        pcre2_match_data_free(tl_md);
        tl_md = NULL;
    }
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
