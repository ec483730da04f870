/* parse_regex.c: the `parse_regex` handler: a PCRE2 pattern with named
 * groups (`(?<status>\d+)`) applied to the message or a field; each group
 * that took part in the match becomes a field of its name, typed by
 * `types` (int, float, bool, string; default string). The pattern is
 * compiled once at create() with JIT. Handlers run concurrently on every
 * worker, so the state is read-only after create(); the one mutable thing
 * pcre2_match needs, its match data, is per thread: a small thread-local
 * cache keyed by the handler's id, created on a thread's first event and
 * freed when the thread exits. Values point into the input (no copy). A
 * line that does not match is an ERROR (or, with on_mismatch: keep, goes
 * on unchanged). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/handler_util.h"
#include "log.h"
#include "parsers/nginx_log.h"
#include "plugin.h"
#include "util/xalloc.h"

enum { T_STRING, T_INT, T_FLOAT, T_BOOL };
static const char *const type_names[] = {"string", "int", "float", "bool", NULL};
static const char *const on_mismatch_choices[] = {"fail", "keep", NULL};

typedef struct {
    char *pattern;
    char *source;
    char *target;
    sl_strmap types;
    int on_mismatch;
} regex_cfg;

#define O(f) offsetof(regex_cfg, f)
static const sl_option regex_options[] = {
    {"pattern", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(pattern),
     "PCRE2 pattern with named groups, e.g. '^(?<ip>\\S+) (?<status>\\d+)'; each group that "
     "matched becomes a field."},
    {"source", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(source),
     "Field holding the text to match; default: the message."},
    {"target", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(target),
     "Put the fields into this map field; default: at the top level."},
    {"types", SL_OPT_STRMAP, NULL, 0, 0, 0, NULL, O(types),
     "Map of group name to type: int, float, bool (true/false, yes/no, 1/0) or string "
     "(the default)."},
    {"on_mismatch", SL_OPT_ENUM, "fail", 0, 0, 0, on_mismatch_choices, O(on_mismatch),
     "A line the pattern does not match: fail (dead-letter the event) or keep (pass it on)."},
    SL_OPT_END,
};

typedef struct {
    uint32_t group;
    const char *name;
    size_t name_len;
    int type;
} regex_group;

typedef struct {
    uint64_t id;
    pcre2_code *code;
    regex_group *groups;
    size_t n_groups;
    const char *source, *target;
    size_t source_len, target_len;
    bool keep;
} regex_state;

/* ---- per-thread match data ------------------------------------------------ */

typedef struct {
    uint64_t id;
    pcre2_match_data *md;
} md_slot;

typedef struct {
    md_slot *v;
    size_t n, cap;
} md_cache;

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static _Thread_local md_cache *tl_cache;
static atomic_uint_fast64_t next_id = 1;

static void md_cache_free(void *p)
{
    md_cache *mc = p;
    for (size_t i = 0; i < mc->n; i++)
        pcre2_match_data_free(mc->v[i].md);
    free(mc->v);
    free(mc);
}

static void md_key_init(void) { pthread_key_create(&md_key, md_cache_free); }

static pcre2_match_data *thread_match_data(const regex_state *st)
{
    md_cache *mc = tl_cache;
    if (mc) {
        for (size_t i = 0; i < mc->n; i++)
            if (mc->v[i].id == st->id)
                return mc->v[i].md;
    } else {
        pthread_once(&md_once, md_key_init);
        mc = tl_cache = sl_calloc(1, sizeof *mc);
        pthread_setspecific(md_key, mc);
    }
    /* this thread's first event for this handler: once per thread, not per event */
    if (mc->n == mc->cap) {
        mc->cap = mc->cap ? mc->cap * 2 : 4;
        mc->v = sl_realloc(mc->v, mc->cap * sizeof *mc->v);
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(st->code, NULL);
    if (!md)
        sl_oom();
    mc->v[mc->n++] = (md_slot){st->id, md};
    return md;
}

/* ---- create --------------------------------------------------------------- */

static pcre2_code *compile(const char *pattern, char *err, size_t errcap)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &ec, &off, NULL);
    if (!code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        snprintf(err, errcap, "pattern: %s at offset %zu", (char *)msg, (size_t)off);
    }
    return code;
}

/* Check types against the pattern's group names; NULL or an error. */
static bool check_types(pcre2_code *code, const sl_strmap *types, char *err, size_t errcap)
{
    uint32_t count, esize;
    PCRE2_SPTR table;
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
    pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
    if (count == 0) {
        snprintf(err, errcap, "pattern: no named group (?<name>...), so there is nothing to set");
        return false;
    }
    for (size_t i = 0; i < types->n; i++) {
        bool known_type = false, found = false;
        for (int t = 0; type_names[t]; t++)
            known_type |= strcmp(types->vals[i], type_names[t]) == 0;
        if (!known_type) {
            snprintf(err, errcap, "types: \"%s\" of group \"%s\" is not int, float, bool or string",
                     types->vals[i], types->keys[i]);
            return false;
        }
        for (uint32_t k = 0; k < count; k++)
            found |= strcmp((const char *)table + k * esize + 2, types->keys[i]) == 0;
        if (!found) {
            snprintf(err, errcap, "types: the pattern has no group named \"%s\"", types->keys[i]);
            return false;
        }
    }
    return true;
}

static void regex_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    regex_cfg *cfg = cfgp;
    char err[256];
    if (!cfg->pattern)
        return;
    pcre2_code *code = compile(cfg->pattern, err, sizeof err);
    if (!code || !check_types(code, &cfg->types, err, sizeof err)) {
        const sl_node *at = sl_node_get(node, code ? "types" : "pattern");
        sl_diag_error(d, at ? at : node, "%s: %s", what, err);
    }
    pcre2_code_free(code);
}

static int by_group(const void *a, const void *b)
{
    const regex_group *x = a, *y = b;
    return (x->group > y->group) - (x->group < y->group);
}

static void *regex_create(const void *cfgp, const char *name)
{
    const regex_cfg *cfg = cfgp;
    char err[256];
    pcre2_code *code = compile(cfg->pattern, err, sizeof err);
    if (!code || !check_types(code, &cfg->types, err, sizeof err)) {
        sl_error("handler", "%s: %s", name, err);
        pcre2_code_free(code);
        return NULL;
    }
    int jr = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    if (jr != 0)
        sl_warn("handler", "%s: no JIT for this pattern (error %d); using the interpreter", name,
                jr);
    regex_state *st = sl_calloc(1, sizeof *st);
    st->id = atomic_fetch_add(&next_id, 1);
    st->code = code;
    uint32_t count, esize;
    PCRE2_SPTR table;
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
    pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
    st->groups = sl_calloc(count, sizeof *st->groups);
    for (uint32_t k = 0; k < count; k++) {
        const unsigned char *e = table + k * esize;
        regex_group *g = &st->groups[st->n_groups++];
        g->group = (uint32_t)(e[0] << 8 | e[1]);
        g->name = (const char *)e + 2;      /* the code outlives every event */
        g->name_len = strlen(g->name);
        g->type = T_STRING;
        for (size_t i = 0; i < cfg->types.n; i++)
            if (strcmp(cfg->types.keys[i], g->name) == 0)
                for (int t = 0; type_names[t]; t++)
                    if (strcmp(cfg->types.vals[i], type_names[t]) == 0)
                        g->type = t;
    }
    /* PCRE2's name table is sorted by name; fields come in pattern order */
    qsort(st->groups, st->n_groups, sizeof *st->groups, by_group);
    st->source = cfg->source;
    st->source_len = hu_len(cfg->source);
    st->target = cfg->target;
    st->target_len = hu_len(cfg->target);
    st->keep = cfg->on_mismatch == 1;
    return st;
}

/* ---- process -------------------------------------------------------------- */

static bool parse_bool(const char *p, size_t n, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                               "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strlen(yes[i]) == n && strncasecmp(p, yes[i], n) == 0) {
            *out = true;
            return true;
        }
        if (strlen(no[i]) == n && strncasecmp(p, no[i], n) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static sl_handler_result regex_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    const regex_state *st = state;
    const char *p;
    size_t n;
    if (!hu_input(ev, st->source, st->source_len, &p, &n)) {
        if (st->keep)
            return SL_HANDLER_PASS;
        sl_handler_fail(hc, "parse_regex: field \"%s\" is missing or not a string", st->source);
        return SL_HANDLER_ERROR;
    }
    pcre2_match_data *md = thread_match_data(st);
    int rc = pcre2_match(st->code, (PCRE2_SPTR)p, n, 0, 0, md, NULL);
    if (rc < 0) {
        if (rc == PCRE2_ERROR_NOMATCH && st->keep)
            return SL_HANDLER_PASS;
        if (rc == PCRE2_ERROR_NOMATCH) {
            sl_handler_fail(hc, "parse_regex: the pattern does not match");
        } else {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(rc, msg, sizeof msg);
            sl_handler_fail(hc, "parse_regex: %s", (char *)msg);
        }
        return SL_HANDLER_ERROR;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    uint32_t ovn = pcre2_get_ovector_count(md);
    sl_chunk *c = ev->chunk;
    sl_fields *f = hu_begin(ev, st->target);
    uint32_t n0 = f->n;
    for (size_t i = 0; i < st->n_groups; i++) {
        const regex_group *g = &st->groups[i];
        if (g->group >= ovn || ov[2 * g->group] == PCRE2_UNSET)
            continue;   /* did not take part in the match */
        const char *v = p + ov[2 * g->group];
        size_t vn = ov[2 * g->group + 1] - ov[2 * g->group];
        bool ok = true;
        switch (g->type) {
        case T_STRING:
            hu_set_str(c, f, g->name, g->name_len, v, vn);
            break;
        case T_INT: {
            int64_t x;
            if ((ok = sl_ngx_parse_int(v, vn, &x)))
                hu_set_int(c, f, g->name, g->name_len, x);
            break;
        }
        case T_FLOAT: {
            double x;
            if ((ok = sl_ngx_parse_float(v, vn, &x)))
                hu_set_float(c, f, g->name, g->name_len, x);
            break;
        }
        case T_BOOL: {
            bool x;
            if ((ok = parse_bool(v, vn, &x)))
                hu_set_bool(c, f, g->name, g->name_len, x);
            break;
        }
        }
        if (!ok) {
            if (!st->target)
                f->n = n0;
            sl_handler_fail(hc, "parse_regex: group \"%s\" is not a%s %s: \"%.*s\"", g->name,
                            g->type == T_INT ? "n" : "", type_names[g->type],
                            (int)(vn > 64 ? 64 : vn), v);
            return SL_HANDLER_ERROR;
        }
    }
    hu_commit(ev, st->target, st->target_len, f);
    return SL_HANDLER_PASS;
}

static void regex_destroy(void *state)
{
    regex_state *st = state;
    /* this thread's match data for it (the others went with their threads) */
    md_cache *mc = tl_cache;
    for (size_t i = 0; mc && i < mc->n; i++) {
        if (mc->v[i].id == st->id) {
            pcre2_match_data_free(mc->v[i].md);
            mc->v[i] = mc->v[--mc->n];
            break;
        }
    }
    if (mc && mc->n == 0) {
        pthread_setspecific(md_key, NULL);
        md_cache_free(mc);
        tl_cache = NULL;
    }
    pcre2_code_free(st->code);
    free(st->groups);
    free(st);
}

static const sl_handler_ops regex_ops = {
    .create = regex_create,
    .process = regex_process,
    .destroy = regex_destroy,
};

const sl_plugin sl_handler_parse_regex = {
    .name = "parse_regex",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Matches a PCRE2 pattern (JIT) and sets a typed field per named group.",
    .options = regex_options,
    .config_size = sizeof(regex_cfg),
    .check = regex_check,
    .handler = &regex_ops,
};
