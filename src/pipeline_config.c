/* pipeline_config.c: from the YAML tree to a validated sl_config. Every
 * mistake is reported with its file:line:column, and checking goes on after
 * an error so one run of `sluice --check` lists them all. */
#include "pipeline_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "privileges.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define SVC(f) offsetof(sl_service_cfg, f)
static const sl_option service_options[] = {
    {"workers", SL_OPT_INT, "auto", SL_OPTF_AUTO, 1, 1024, NULL, SVC(workers),
     "Worker threads running handlers; auto: one per CPU core."},
    {"state_dir", SL_OPT_STRING, "/var/lib/sluice", 0, 0, 0, NULL, SVC(state_dir),
     "Directory for checkpoints and disk buffers."},
    {"shutdown_timeout", SL_OPT_DURATION, "30s", 0, 0, 3600000000000LL, NULL,
     SVC(shutdown_timeout_ns),
     "On SIGTERM, how long to wait for in-flight events to be delivered."},
    {"memory_limit", SL_OPT_SIZE, "64MiB", 0, 1 << 20, 1LL << 40, NULL, SVC(memory_limit),
     "Most bytes of events held in memory at once; sources pause above it."},
    {"keep_order", SL_OPT_BOOL, "false", 0, 0, 0, NULL, SVC(keep_order),
     "Events reach every destination in the order their sources read them, with any "
     "number of workers: each worker still runs its chunk's handlers in parallel with the "
     "others, then waits for the chunks read before it to be handed on first. So the order "
     "of every key (a Kafka partition's, a parsed field's) holds end to end. Needs "
     "concurrency 1 on every destination; dead letters are out of order. Off: faster, and "
     "order holds only with workers: 1."},
    {"queue.max_events", SL_OPT_INT, "8192", 0, 1, 100000000, NULL, SVC(queue_max_events),
     "Most events waiting between sources and workers."},
    {"queue.max_bytes", SL_OPT_SIZE, "8MiB", 0, 4096, 1LL << 40, NULL, SVC(queue_max_bytes),
     "Most bytes waiting between sources and workers."},
    {"admin.listen", SL_OPT_STRING, NULL, 0, 0, 0, NULL, SVC(admin_listen),
     "HOST:PORT ([ADDRESS]:PORT for IPv6) of the admin HTTP endpoint (GET /health, "
     "GET /metrics in Prometheus format, GET /status in JSON), e.g. 127.0.0.1:2020; off "
     "when not set."},
    {"admin.failing_after", SL_OPT_DURATION, "60s", 0, 1000000000, 86400000000000LL, NULL,
     SVC(admin_failing_after_ns),
     "GET /health answers 503 once a destination has failed to deliver for this long."},
    {"user", SL_OPT_STRING, NULL, 0, 0, 0, NULL, SVC(user),
     "When started as root: the user (name or numeric uid) to run as once every source, "
     "destination and the admin endpoint is open (privileged ports, root-only files are "
     "opened as root); state_dir, its checkpoints and disk buffers are given to that user. "
     "Not root: must be the current user. Off when not set."},
    {"group", SL_OPT_STRING, NULL, 0, 0, 0, NULL, SVC(group),
     "With user: the only group to run as (name or numeric gid); by default the user's "
     "primary group and its supplementary groups."},
    SL_OPT_END,
};

typedef struct {
    sl_strlist from, to;
    const sl_node *handlers;
    char *dead_letter;
} pipeline_raw;

#define PIPE(f) offsetof(pipeline_raw, f)
static const sl_option pipeline_options[] = {
    {"from", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, PIPE(from),
     "Sources whose events this pipeline takes."},
    {"to", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, PIPE(to),
     "Destinations every output event is sent to."},
    {"handlers", SL_OPT_NODE, NULL, 0, 0, 0, NULL, PIPE(handlers),
     "List of handlers, each a one-key map: - NAME: { options }."},
    {"dead_letter", SL_OPT_STRING, NULL, 0, 0, 0, NULL, PIPE(dead_letter),
     "Destination for events a handler failed on or a destination refused (or gave up on), "
     "annotated with the error."},
    SL_OPT_END,
};

const sl_option *sl_service_options(void) { return service_options; }
const sl_option *sl_pipeline_options(void) { return pipeline_options; }

static const char *const sections[] = {"service", "sources", "destinations", "pipelines"};

static bool valid_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static char *fmt_what(const char *kind, const char *name)
{
    size_t n = strlen(kind) + strlen(name) + 4;
    char *s = sl_malloc(n);
    snprintf(s, n, "%s \"%s\"", kind, name);
    return s;
}

/* Names of registered plugins of a kind, for "did you mean" and listings. */
static size_t plugin_names(sl_plugin_kind kind, const char **out, size_t cap)
{
    size_t n = 0;
    for (const sl_plugin *const *p = sl_plugin_all(); *p && n < cap; p++)
        if ((*p)->kind == kind)
            out[n++] = (*p)->name;
    return n;
}

static void report_unknown_plugin(sl_diags *d, const sl_node *at, const char *what,
                                  sl_plugin_kind kind, const char *word)
{
    const char *names[64];
    size_t n = plugin_names(kind, names, 64);
    sl_buf list = {0};
    for (size_t i = 0; i < n; i++) {
        if (i)
            sl_buf_puts(&list, ", ");
        sl_buf_puts(&list, names[i]);
    }
    sl_buf_putc(&list, 0);
    const char *hint = sl_did_you_mean(word, names, n);
    const char *kname = kind == SL_PLUGIN_HANDLER ? "handler" : "type";
    if (hint)
        sl_diag_error(d, at, "%s: unknown %s \"%s\" (did you mean \"%s\"?)", what, kname,
                      word, hint);
    else
        sl_diag_error(d, at, "%s: unknown %s \"%s\" (known: %s)", what, kname, word, list.p);
    sl_buf_free(&list);
}

/* Resolve a source or destination definition: its type and options. */
static bool build_component(sl_diags *d, sl_plugin_kind kind, const char *kind_word,
                            const sl_node *key, const sl_node *val, char **name_out,
                            const sl_plugin **plugin_out, void **cfg_out, void *common)
{
    *name_out = sl_strdup(key->str);
    char *what = fmt_what(kind_word, key->str);
    bool ok = true;
    if (!valid_name(key->str)) {
        sl_diag_error(d, key, "%s: a name may use only letters, digits, '_', '-' and '.'",
                      what);
        ok = false;
    }
    if (val->kind != SL_NODE_MAP) {
        sl_diag_error(d, val, "%s: must be a map of options with a \"type\", not %s", what,
                      sl_node_kind_name(val));
        free(what);
        return false;
    }
    const sl_node *type = sl_node_get(val, "type");
    if (!type) {
        sl_diag_error(d, key, "%s: missing required option \"type\"", what);
        free(what);
        return false;
    }
    if (type->kind != SL_NODE_SCALAR || type->is_null) {
        sl_diag_error(d, type, "%s: option \"type\" must be a string, not %s", what,
                      sl_node_kind_name(type));
        free(what);
        return false;
    }
    const sl_plugin *p = sl_plugin_find(kind, type->str);
    if (!p) {
        report_unknown_plugin(d, type, what, kind, type->str);
        free(what);
        return false;
    }
    *plugin_out = p;
    *cfg_out = sl_calloc(1, p->config_size ? p->config_size : 1);
    sl_optset sets[2];
    size_t nsets = 0;
    const sl_option *common_opts = sl_plugin_common_options(kind);
    if (common_opts && common)
        sets[nsets++] = (sl_optset){common_opts, common};
    if (p->options)
        sets[nsets++] = (sl_optset){p->options, *cfg_out};
    static const char *const ignore[] = {"type", NULL};
    size_t errs = sl_options_apply(sets, nsets, val, key, what, ignore, d);
    if (kind == SL_PLUGIN_DEST && common && p->gzip_by_default &&
        !(val && val->kind == SL_NODE_MAP && sl_node_get(val, "compression")))
        ((sl_dest_common *)common)->compression = SL_COMP_GZIP;
    if (kind == SL_PLUGIN_DEST && common && errs == 0 &&
        ((sl_dest_common *)common)->concurrency > 1 && !p->dest->concurrent) {
        const sl_node *at = sl_node_get(val, "concurrency");
        sl_diag_error(d, at ? at : key,
                      "%s: option \"concurrency\" must be 1 for type %s, which writes batches "
                      "in order (only http and s3 send several at once)", what, p->name);
        errs++;
    }
    if (errs == 0 && p->check)
        p->check(*cfg_out, val, what, d);
    free(what);
    return ok && errs == 0;
}

static void free_component_cfg(const sl_plugin *p, void *cfg, void *common)
{
    if (!p)
        return;
    sl_optset sets[2];
    size_t nsets = 0;
    const sl_option *common_opts = sl_plugin_common_options(p->kind);
    if (common_opts && common)
        sets[nsets++] = (sl_optset){common_opts, common};
    if (p->options && cfg)
        sets[nsets++] = (sl_optset){p->options, cfg};
    sl_options_free(sets, nsets);
    free(cfg);
}

static long find_source(const sl_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_sources; i++)
        if (strcmp(c->sources[i].name, name) == 0)
            return (long)i;
    return -1;
}

static long find_dest(const sl_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_dests; i++)
        if (strcmp(c->dests[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* The list node of `from`/`to` gives each name's position. */
static const sl_node *list_item(const sl_node *list, size_t i)
{
    if (!list)
        return NULL;
    if (list->kind == SL_NODE_SEQ)
        return i < list->n ? list->vals[i] : list;
    return list;
}

static void name_not_found(sl_diags *d, const sl_node *at, const char *what,
                           const char *kind, const char *name, const char **names,
                           size_t n)
{
    const char *hint = sl_did_you_mean(name, names, n);
    if (hint)
        sl_diag_error(d, at, "%s: no %s named \"%s\" (did you mean \"%s\"?)", what, kind,
                      name, hint);
    else
        sl_diag_error(d, at, "%s: no %s named \"%s\"", what, kind, name);
}

static bool build_handlers(sl_config *c, sl_pipeline_def *pl, const char *what,
                           const sl_node *list, sl_diags *d)
{
    if (!list || (list->kind == SL_NODE_SCALAR && list->is_null))
        return true;
    if (list->kind != SL_NODE_SEQ) {
        sl_diag_error(d, list, "%s: \"handlers\" must be a list (- name: {options}), not %s",
                      what, sl_node_kind_name(list));
        return false;
    }
    bool ok = true;
    pl->handlers = sl_calloc(list->n, sizeof *pl->handlers);
    for (size_t i = 0; i < list->n; i++) {
        const sl_node *item = list->vals[i];
        const sl_node *name_node, *opts = NULL;
        if (item->kind == SL_NODE_SCALAR && !item->is_null) {
            name_node = item;               /* "- name" with no options */
        } else if (item->kind == SL_NODE_MAP && item->n == 1) {
            name_node = item->keys[0];
            opts = item->vals[0];
            if (opts->kind == SL_NODE_SCALAR && opts->is_null)
                opts = NULL;
        } else {
            sl_diag_error(d, item, "%s: handler %zu must be a one-key map (- name: {options}), not %s",
                          what, i + 1,
                          item->kind == SL_NODE_MAP ? "a map with several keys"
                                                    : sl_node_kind_name(item));
            ok = false;
            continue;
        }
        const sl_plugin *p = sl_plugin_find(SL_PLUGIN_HANDLER, name_node->str);
        if (!p) {
            report_unknown_plugin(d, name_node, what, SL_PLUGIN_HANDLER, name_node->str);
            ok = false;
            continue;
        }
        if (opts && opts->kind != SL_NODE_MAP) {
            sl_diag_error(d, opts, "%s: options of handler \"%s\" must be a map, not %s", what,
                          p->name, sl_node_kind_name(opts));
            ok = false;
            continue;
        }
        sl_handler_def *h = &pl->handlers[pl->n_handlers++];
        h->plugin = p;
        h->node = item;
        h->cfg = sl_calloc(1, p->config_size ? p->config_size : 1);
        size_t n = strlen(what) + strlen(p->name) + 32;
        h->label = sl_malloc(n);
        snprintf(h->label, n, "%s handler %zu (%s)", what, i + 1, p->name);
        sl_optset set = {p->options, h->cfg};
        size_t errs = p->options ? sl_options_apply(&set, 1, opts, name_node, h->label, NULL, d) : 0;
        if (!p->options && opts && opts->n) {
            sl_diag_error(d, opts, "%s: takes no options", h->label);
            errs++;
        }
        if (errs == 0 && p->check)
            p->check(h->cfg, opts ? opts : name_node, h->label, d);
        /* handlers that refer to the pipeline's destinations (route) */
        if (errs == 0 && p->handler->check_pipeline) {
            const char **to = sl_calloc(pl->n_to + 1, sizeof *to);
            for (size_t k = 0; k < pl->n_to; k++)
                to[k] = c->dests[pl->to[k]].name;
            sl_handler_env env = {to, pl->n_to};
            p->handler->check_pipeline(h->cfg, opts ? opts : name_node, h->label, &env, d);
            free(to);
        }
        if (errs)
            ok = false;
    }
    return ok;
}

static void build_pipeline(sl_config *c, const sl_node *key, const sl_node *val,
                           sl_diags *d)
{
    sl_pipeline_def *pl = &c->pipelines[c->n_pipelines++];
    pl->name = sl_strdup(key->str);
    pl->node = val;
    pl->dead_letter = -1;
    char *what = fmt_what("pipeline", key->str);
    if (!valid_name(key->str))
        sl_diag_error(d, key, "%s: a name may use only letters, digits, '_', '-' and '.'", what);
    if (val->kind != SL_NODE_MAP) {
        sl_diag_error(d, val, "%s: must be a map with \"from\" and \"to\", not %s", what,
                      sl_node_kind_name(val));
        free(what);
        return;
    }
    pipeline_raw raw;
    memset(&raw, 0, sizeof raw);
    sl_optset set = {pipeline_options, &raw};
    sl_options_apply(&set, 1, val, key, what, NULL, d);

    const char *src_names[256], *dst_names[256];
    size_t ns = 0, nd = 0;
    for (size_t i = 0; i < c->n_sources && ns < 256; i++)
        src_names[ns++] = c->sources[i].name;
    for (size_t i = 0; i < c->n_dests && nd < 256; i++)
        dst_names[nd++] = c->dests[i].name;

    pl->from = sl_calloc(raw.from.n, sizeof *pl->from);
    const sl_node *from_node = sl_node_get(val, "from");
    for (size_t i = 0; i < raw.from.n; i++) {
        long idx = find_source(c, raw.from.v[i]);
        if (idx < 0) {
            name_not_found(d, list_item(from_node, i), what, "source", raw.from.v[i],
                           src_names, ns);
            continue;
        }
        c->sources[idx].used = true;
        pl->from[pl->n_from++] = (size_t)idx;
    }
    pl->to = sl_calloc(raw.to.n, sizeof *pl->to);
    const sl_node *to_node = sl_node_get(val, "to");
    for (size_t i = 0; i < raw.to.n; i++) {
        long idx = find_dest(c, raw.to.v[i]);
        if (idx < 0) {
            name_not_found(d, list_item(to_node, i), what, "destination", raw.to.v[i],
                           dst_names, nd);
            continue;
        }
        c->dests[idx].used = true;
        pl->to[pl->n_to++] = (size_t)idx;
    }
    if (raw.dead_letter) {
        long idx = find_dest(c, raw.dead_letter);
        if (idx < 0) {
            name_not_found(d, sl_node_get(val, "dead_letter"), what, "destination",
                           raw.dead_letter, dst_names, nd);
        } else {
            c->dests[idx].used = true;
            pl->dead_letter = idx;
        }
    }
    build_handlers(c, pl, what, raw.handlers, d);
    sl_options_free(&set, 1);
    free(what);
}

static void build_section(sl_config *c, const sl_node *sec, const char *section,
                          sl_diags *d)
{
    if (sec->kind == SL_NODE_SCALAR && sec->is_null)
        return;
    if (sec->kind != SL_NODE_MAP) {
        sl_diag_error(d, sec, "\"%s\" must be a map of names to definitions, not %s", section,
                      sl_node_kind_name(sec));
        return;
    }
    if (strcmp(section, "sources") == 0) {
        c->sources = sl_calloc(sec->n, sizeof *c->sources);
        for (size_t i = 0; i < sec->n; i++) {
            sl_source_def *s = &c->sources[c->n_sources++];
            s->node = sec->vals[i];
            build_component(d, SL_PLUGIN_SOURCE, "source", sec->keys[i], sec->vals[i],
                            &s->name, &s->plugin, &s->cfg, NULL);
        }
    } else if (strcmp(section, "destinations") == 0) {
        c->dests = sl_calloc(sec->n, sizeof *c->dests);
        for (size_t i = 0; i < sec->n; i++) {
            sl_dest_def *ds = &c->dests[c->n_dests++];
            ds->node = sec->vals[i];
            build_component(d, SL_PLUGIN_DEST, "destination", sec->keys[i], sec->vals[i],
                            &ds->name, &ds->plugin, &ds->cfg, &ds->common);
        }
    } else if (strcmp(section, "pipelines") == 0) {
        c->pipelines = sl_calloc(sec->n, sizeof *c->pipelines);
        for (size_t i = 0; i < sec->n; i++)
            build_pipeline(c, sec->keys[i], sec->vals[i], d);
    }
}

sl_config *sl_config_build(sl_doc *doc, sl_diags *d)
{
    size_t errors_before = d->errors;
    sl_config *c = sl_calloc(1, sizeof *c);
    c->doc = doc;
    const sl_node *root = doc ? doc->root : NULL;
    if (!root || (root->kind == SL_NODE_SCALAR && root->is_null)) {
        sl_diag_at(d, SL_DIAG_ERROR, doc ? doc->file : NULL, 1, 1,
                   "the config is empty: it needs sources, destinations and pipelines");
        sl_config_free(c);
        return NULL;
    }
    if (root->kind != SL_NODE_MAP) {
        sl_diag_error(d, root, "the config must be a map with sections service, sources, "
                               "destinations and pipelines, not %s",
                      sl_node_kind_name(root));
        sl_config_free(c);
        return NULL;
    }
    for (size_t i = 0; i < root->n; i++) {
        const char *k = root->keys[i]->str;
        bool known = false;
        for (size_t j = 0; j < 4; j++)
            known |= strcmp(k, sections[j]) == 0;
        if (!known) {
            const char *hint = sl_did_you_mean(k, sections, 4);
            if (hint)
                sl_diag_error(d, root->keys[i], "unknown section \"%s\" (did you mean \"%s\"?)",
                              k, hint);
            else
                sl_diag_error(d, root->keys[i],
                              "unknown section \"%s\" (sections are: service, sources, "
                              "destinations, pipelines)", k);
        }
    }
    const sl_node *svc = sl_node_get(root, "service");
    sl_optset set = {service_options, &c->service};
    if (svc && svc->kind == SL_NODE_SCALAR && svc->is_null)
        svc = NULL;
    if (svc && svc->kind != SL_NODE_MAP)
        sl_diag_error(d, svc, "\"service\" must be a map of options, not %s",
                      sl_node_kind_name(svc));
    else
        sl_options_apply(&set, 1, svc, root, "service", NULL, d);
    if (c->service.admin_listen && *c->service.admin_listen) {
        char *host;
        uint16_t port;
        const char *why;
        if (sl_admin_parse_listen(c->service.admin_listen, &host, &port, &why) == 0) {
            free(host);
        } else {
            const sl_node *at = sl_node_get(sl_node_get(svc, "admin"), "listen");
            sl_diag_error(d, at ? at : svc, "service: admin.listen \"%s\": %s",
                          c->service.admin_listen, why);
        }
    }

    sl_privileges_check_config(&c->service, svc, d);

    /* Sources and destinations first: pipelines refer to them. */
    static const char *const order[] = {"sources", "destinations", "pipelines"};
    for (size_t i = 0; i < 3; i++) {
        const sl_node *sec = sl_node_get(root, order[i]);
        if (sec)
            build_section(c, sec, order[i], d);
        else
            sl_diag_error(d, root, "missing section \"%s\"", order[i]);
    }
    for (size_t i = 0; c->service.keep_order && i < c->n_dests; i++) {
        if (c->dests[i].plugin && c->dests[i].common.concurrency > 1) {
            const sl_node *at = sl_node_get(c->dests[i].node, "concurrency");
            sl_diag_error(d, at ? at : c->dests[i].node,
                          "destination \"%s\": concurrency %lld sends batches out of order; "
                          "service.keep_order needs concurrency 1", c->dests[i].name,
                          (long long)c->dests[i].common.concurrency);
        }
    }
    for (size_t i = 0; i < c->n_sources; i++)
        if (!c->sources[i].used && c->sources[i].plugin)
            sl_diag_warn(d, c->sources[i].node, "source \"%s\" is not used by any pipeline", c->sources[i].name);
    for (size_t i = 0; i < c->n_dests; i++)
        if (!c->dests[i].used && c->dests[i].plugin)
            sl_diag_warn(d, c->dests[i].node, "destination \"%s\" is not used by any pipeline",
                         c->dests[i].name);
    if (d->errors > errors_before) {
        sl_config_free(c);
        return NULL;
    }
    return c;
}

sl_config *sl_config_load(const char *path, sl_diags *d)
{
    sl_doc *doc = sl_doc_load_file(path, d);
    if (!doc)
        return NULL;
    return sl_config_build(doc, d);
}

void sl_config_free(sl_config *c)
{
    if (!c)
        return;
    sl_optset set = {service_options, &c->service};
    sl_options_free(&set, 1);
    for (size_t i = 0; i < c->n_sources; i++) {
        free_component_cfg(c->sources[i].plugin, c->sources[i].cfg, NULL);
        free(c->sources[i].name);
    }
    for (size_t i = 0; i < c->n_dests; i++) {
        free_component_cfg(c->dests[i].plugin, c->dests[i].cfg, &c->dests[i].common);
        free(c->dests[i].name);
    }
    for (size_t i = 0; i < c->n_pipelines; i++) {
        sl_pipeline_def *p = &c->pipelines[i];
        for (size_t j = 0; j < p->n_handlers; j++) {
            sl_optset hs = {p->handlers[j].plugin->options, p->handlers[j].cfg};
            if (hs.opts)
                sl_options_free(&hs, 1);
            free(p->handlers[j].cfg);
            free(p->handlers[j].label);
        }
        free(p->handlers);
        free(p->from);
        free(p->to);
        free(p->name);
    }
    free(c->sources);
    free(c->dests);
    free(c->pipelines);
    sl_doc_free(c->doc);
    free(c);
}
