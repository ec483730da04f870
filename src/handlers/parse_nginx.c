/* parse_nginx.c: the `parse_nginx` handler: nginx access-log lines into
 * fields. The log_format (combined, main, or any format string) is
 * compiled once at create() by src/parsers/nginx_log.c into literal
 * separators and variables; a line is matched by finding each separator,
 * with no regex and no allocation outside the chunk arena (only values
 * holding \xHH escapes are decoded into the arena; every other value points
 * into the message). Numbers become numbers, $time_local, $time_iso8601 and
 * $msec become the event time, $request becomes method/path/query/protocol.
 * With `unescape: false` no \xHH is decoded: for text already decoded, such
 * as $request read by parse_json from an escape=json log.
 * A line that does not match is an ERROR with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/handler_util.h"
#include "log.h"
#include "parsers/nginx_log.h"
#include "plugin.h"
#include "util/xalloc.h"

enum { DASH_OMIT, DASH_EMPTY, DASH_KEEP };
static const char *const dash_choices[] = {"omit", "empty", "keep", NULL};

typedef struct {
    char *format;
    char *source;
    char *target;
    int dash;
    bool split_request;
    bool unescape;
} nginx_cfg;

#define O(f) offsetof(nginx_cfg, f)
static const sl_option nginx_options[] = {
    {"format", SL_OPT_STRING, "combined", 0, 0, 0, NULL, O(format),
     "combined (nginx's built-in), main (nginx's example config: combined plus "
     "\"$http_x_forwarded_for\"), or a log_format string such as '$remote_addr [$time_local] "
     "\"$request\" $status $request_time'."},
    {"source", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(source),
     "Field holding the line to parse; default: the message."},
    {"target", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(target),
     "Put the fields into this map field; default: at the top level."},
    {"dash", SL_OPT_ENUM, "omit", 0, 0, 0, dash_choices, O(dash),
     "What a value of \"-\" (nginx's empty) becomes: omit (no field), empty (\"\") or keep "
     "(\"-\")."},
    {"split_request", SL_OPT_BOOL, "true", 0, 0, 0, NULL, O(split_request),
     "Split $request into method, path, query (after \"?\") and protocol; a request line that "
     "is not one (e.g. TLS bytes) is kept as the field request."},
    {"unescape", SL_OPT_BOOL, "true", 0, 0, 0, NULL, O(unescape),
     "Decode nginx's hex escapes (a backslash, x and two hex digits: what nginx writes for "
     "quotes, backslashes, control and non-ASCII bytes). false for text already decoded, "
     "such as $request from an escape=json log read by parse_json (source: request, "
     "format: '$request')."},
    SL_OPT_END,
};

typedef struct {
    sl_ngx_format fmt;
    const char *source, *target;
    size_t source_len, target_len;
    int dash;
    bool split_request;
    bool unescape;
    bool distinct;      /* the fields it sets have distinct names (see create) */
} nginx_state;

/* Setting a field: into a map or event that had no fields, with names
 * known to be distinct, it is an append (no lookup per field). */
static sl_value *put(sl_chunk *c, sl_fields *f, bool fresh, const char *name, size_t nl)
{
    return fresh ? sl_fields_append(c, f, name, nl) : sl_fields_set(c, f, name, nl);
}

static void put_str(sl_chunk *c, sl_fields *f, bool fresh, const char *name, size_t nl,
                    const char *p, size_t n)
{
    sl_value_set_string(put(c, f, fresh, name, nl), p, n);
}

static void nginx_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    nginx_cfg *cfg = cfgp;
    sl_ngx_format f;
    char err[256];
    if (!cfg->format)
        return;
    if (!sl_ngx_compile(&f, cfg->format, err, sizeof err)) {
        const sl_node *at = sl_node_get(node, "format");
        sl_diag_error(d, at ? at : node, "%s: %s", what, err);
        return;
    }
    sl_ngx_free(&f);
}

static void *nginx_create(const void *cfgp, const char *name)
{
    const nginx_cfg *cfg = cfgp;
    nginx_state *st = sl_calloc(1, sizeof *st);
    char err[256];
    if (!sl_ngx_compile(&st->fmt, cfg->format ? cfg->format : "combined", err, sizeof err)) {
        sl_error("handler", "%s: %s", name, err);
        free(st);
        return NULL;
    }
    st->source = cfg->source;
    st->source_len = hu_len(cfg->source);
    st->target = cfg->target;
    st->target_len = hu_len(cfg->target);
    st->dash = cfg->dash;
    st->split_request = cfg->split_request;
    st->unescape = cfg->unescape;
    /* every name a line can set, $request's parts included, distinct? */
    static const char *const parts[] = {"method", "path", "query", "protocol"};
    const char *names[SL_NGX_MAX_VARS + 4];
    size_t lens[SL_NGX_MAX_VARS + 4], n = 0;
    for (size_t i = 0; i < st->fmt.n; i++) {
        if (st->fmt.items[i].kind == SL_NGX_REQUEST && st->split_request)
            for (size_t k = 0; k < 4; k++) {
                names[n] = parts[k];
                lens[n++] = strlen(parts[k]);
            }
        names[n] = st->fmt.items[i].name;
        lens[n++] = st->fmt.items[i].name_len;
    }
    st->distinct = true;
    for (size_t i = 0; i < n && st->distinct; i++)
        for (size_t k = i + 1; k < n; k++)
            if (lens[i] == lens[k] && memcmp(names[i], names[k], lens[i]) == 0)
                st->distinct = false;
    return st;
}

/* A string value, \xHH escapes decoded into the arena when there are any. */
static sl_ngx_span decoded(const nginx_state *st, sl_event *ev, sl_ngx_span s)
{
    if (!st->unescape || !sl_ngx_has_escape(s.p, s.n))
        return s;
    char *out = sl_event_alloc(ev, s.n);
    s.n = sl_ngx_unescape(s.p, s.n, out);
    s.p = out;
    return s;
}

static sl_handler_result nginx_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    const nginx_state *st = state;
    const char *line;
    size_t len;
    if (!hu_input(ev, st->source, st->source_len, &line, &len)) {
        sl_handler_fail(hc, "parse_nginx: field \"%s\" is missing or not a string", st->source);
        return SL_HANDLER_ERROR;
    }
    sl_ngx_span vals[SL_NGX_MAX_VARS];
    size_t where;
    const char *why = sl_ngx_match(&st->fmt, line, len, vals, &where);
    if (why) {
        const sl_ngx_item *it = &st->fmt.items[where];
        sl_handler_fail(hc, "parse_nginx: line does not match the format at $%.*s: %s",
                        (int)it->name_len, it->name, why);
        return SL_HANDLER_ERROR;
    }
    sl_chunk *c = ev->chunk;
    sl_fields *f = hu_begin(ev, st->target);
    uint32_t n0 = f->n;
    bool fresh = n0 == 0 && st->distinct;
    sl_fields_reserve(c, f, (uint32_t)st->fmt.n + 3);  /* $request may split in 4 */
    int64_t t_ns = ev->time_ns;
    for (size_t i = 0; i < st->fmt.n; i++) {
        const sl_ngx_item *it = &st->fmt.items[i];
        sl_ngx_span v = vals[i];
        if (v.n == 1 && v.p[0] == '-' && st->dash != DASH_KEEP) {
            if (st->dash == DASH_EMPTY)
                put_str(c, f, fresh, it->name, it->name_len, "", 0);
            continue;
        }
        switch (it->kind) {
        case SL_NGX_INT: {
            int64_t x;
            if (sl_ngx_parse_int(v.p, v.n, &x)) {
                sl_value *val = put(c, f, fresh, it->name, it->name_len);
                val->type = SL_VAL_INT;
                val->u.i = x;
                continue;
            }
            break;
        }
        case SL_NGX_FLOAT: {
            double x;
            if (sl_ngx_parse_float(v.p, v.n, &x)) {
                sl_value *val = put(c, f, fresh, it->name, it->name_len);
                val->type = SL_VAL_FLOAT;
                val->u.f = x;
                continue;
            }
            break;
        }
        case SL_NGX_TIME_LOCAL:
        case SL_NGX_TIME_ISO:
        case SL_NGX_MSEC: {
            bool ok = it->kind == SL_NGX_TIME_LOCAL  ? sl_ngx_time_local(v.p, v.n, &t_ns)
                      : it->kind == SL_NGX_TIME_ISO ? sl_ngx_time_iso8601(v.p, v.n, &t_ns)
                                                    : sl_ngx_msec(v.p, v.n, &t_ns);
            if (ok)
                continue;
            break;
        }
        case SL_NGX_REQUEST: {
            v = decoded(st, ev, v);
            sl_ngx_request r;
            if (st->split_request && sl_ngx_split_request(v.p, v.n, &r)) {
                put_str(c, f, fresh, "method", 6, r.method.p, r.method.n);
                put_str(c, f, fresh, "path", 4, r.path.p, r.path.n);
                if (r.query.p)
                    put_str(c, f, fresh, "query", 5, r.query.p, r.query.n);
                if (r.protocol.n)
                    put_str(c, f, fresh, "protocol", 8, r.protocol.p, r.protocol.n);
            } else {
                put_str(c, f, fresh, it->name, it->name_len, v.p, v.n);
            }
            continue;
        }
        case SL_NGX_STRING:
            v = decoded(st, ev, v);
            put_str(c, f, fresh, it->name, it->name_len, v.p, v.n);
            continue;
        }
        /* a number or time that is not one */
        if (it->lenient && it->kind != SL_NGX_TIME_LOCAL) {
            v = decoded(st, ev, v);
            put_str(c, f, fresh, it->name, it->name_len, v.p, v.n);
            continue;
        }
        if (!st->target)
            f->n = n0;      /* no half-parsed fields on the failed event */
        sl_handler_fail(hc, "parse_nginx: $%.*s is not a %s: \"%.*s\"", (int)it->name_len,
                        it->name,
                        it->kind == SL_NGX_INT     ? "number"
                        : it->kind == SL_NGX_FLOAT ? "decimal number"
                                                   : "time",
                        (int)(v.n > 64 ? 64 : v.n), v.p);
        return SL_HANDLER_ERROR;
    }
    ev->time_ns = t_ns;
    hu_commit(ev, st->target, st->target_len, f);
    return SL_HANDLER_PASS;
}

static void nginx_destroy(void *state)
{
    nginx_state *st = state;
    sl_ngx_free(&st->fmt);
    free(st);
}

static const sl_handler_ops nginx_ops = {
    .create = nginx_create,
    .process = nginx_process,
    .destroy = nginx_destroy,
};

const sl_plugin sl_handler_parse_nginx = {
    .name = "parse_nginx",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Parses nginx access-log lines (combined, main or any log_format) into fields.",
    .options = nginx_options,
    .config_size = sizeof(nginx_cfg),
    .check = nginx_check,
    .handler = &nginx_ops,
};
