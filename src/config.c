/* config.c: the YAML config as a tree of nodes with file:line:column, built
 * with libyaml's event parser; ${VAR} and ${VAR:-default} expansion; and
 * the diagnostics list that every config error and warning goes to. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "util/buf.h"
#include "util/xalloc.h"

/* Deeper nesting than this is an error, not a stack overflow. */
#define SL_CONFIG_MAX_DEPTH 64

/* ---- diagnostics ---------------------------------------------------------- */

__attribute__((format(printf, 6, 0)))
static void diag_add(sl_diags *d, sl_diag_level lvl, const char *file, int line, int col,
                     const char *fmt, va_list ap)
{
    sl_buf b = {0};
    if (file && line > 0)
        sl_buf_printf(&b, "%s:%d:%d: ", file, line, col);
    else if (file)
        sl_buf_printf(&b, "%s: ", file);
    sl_buf_puts(&b, lvl == SL_DIAG_ERROR ? "error: " : "warning: ");
    char tmp[1024];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    sl_buf_puts(&b, tmp);
    sl_buf_putc(&b, 0);
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->v = sl_realloc(d->v, d->cap * sizeof *d->v);
    }
    d->v[d->n++] = (sl_diag){lvl, b.p};
    if (lvl == SL_DIAG_ERROR)
        d->errors++;
    else
        d->warnings++;
}

void sl_diag_error(sl_diags *d, const sl_node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_add(d, SL_DIAG_ERROR, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, fmt, ap);
    va_end(ap);
}

void sl_diag_warn(sl_diags *d, const sl_node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_add(d, SL_DIAG_WARNING, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, fmt, ap);
    va_end(ap);
}

void sl_diag_at(sl_diags *d, sl_diag_level lvl, const char *file, int line, int col,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_add(d, lvl, file, line, col, fmt, ap);
    va_end(ap);
}

void sl_diags_print(const sl_diags *d, FILE *out)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(out, "%s\n", d->v[i].text);
}

void sl_diags_free(sl_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].text);
    free(d->v);
    memset(d, 0, sizeof *d);
}

/* ---- the tree ------------------------------------------------------------- */

typedef struct {
    yaml_parser_t parser;
    sl_diags *d;
    const char *file;
    bool failed;        /* the parser stopped: no more events */
} loader;

static sl_node *node_new(loader *L, sl_node_kind kind, yaml_mark_t m)
{
    sl_node *n = sl_calloc(1, sizeof *n);
    n->kind = kind;
    n->file = L->file;
    n->line = (int)m.line + 1;
    n->col = (int)m.column + 1;
    return n;
}

static void node_free(sl_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            node_free(n->keys[i]);
        node_free(n->vals[i]);
    }
    free(n->keys);
    free(n->vals);
    free(n->str);
    free(n);
}

static void node_append(sl_node *parent, sl_node *key, sl_node *val)
{
    if ((parent->n & (parent->n - 1)) == 0) {   /* grow at powers of two */
        size_t cap = parent->n ? parent->n * 2 : 4;
        if (parent->kind == SL_NODE_MAP)
            parent->keys = sl_realloc(parent->keys, cap * sizeof *parent->keys);
        parent->vals = sl_realloc(parent->vals, cap * sizeof *parent->vals);
    }
    if (parent->kind == SL_NODE_MAP)
        parent->keys[parent->n] = key;
    parent->vals[parent->n++] = val;
}

static bool valid_var_name(const char *s, size_t n)
{
    if (n == 0 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

/* ${VAR}, ${VAR:-default}, $$. Errors are reported at the scalar. */
static bool expand(loader *L, const sl_node *at, const char *s, size_t n, sl_buf *out)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '$' || i + 1 >= n || (s[i + 1] != '$' && s[i + 1] != '{')) {
            sl_buf_putc(out, s[i]);
            continue;
        }
        if (s[i + 1] == '$') {
            sl_buf_putc(out, '$');
            i++;
            continue;
        }
        const char *start = s + i + 2;
        const char *close = memchr(start, '}', n - (i + 2));
        if (!close) {
            sl_diag_error(L->d, at, "unterminated \"${\" in value (write $$ for a literal $)");
            return false;
        }
        size_t len = (size_t)(close - start);
        const char *dflt = NULL;
        size_t name_len = len, dflt_len = 0;
        for (size_t k = 0; k + 1 < len; k++) {
            if (start[k] == ':' && start[k + 1] == '-') {
                name_len = k;
                dflt = start + k + 2;
                dflt_len = len - k - 2;
                break;
            }
        }
        if (!valid_var_name(start, name_len)) {
            sl_diag_error(L->d, at, "invalid variable reference \"${%.*s}\" (a name is letters, "
                                    "digits and _, not starting with a digit)",
                          (int)len, start);
            ok = false;
        } else {
            char *name = sl_strndup(start, name_len);
            const char *v = getenv(name);
            if (v && (*v || !dflt))
                sl_buf_puts(out, v);
            else if (dflt)
                sl_buf_append(out, dflt, dflt_len);
            else {
                sl_diag_error(L->d, at, "undefined environment variable \"%s\" (use ${%s:-default} "
                                        "to give a default)", name, name);
                ok = false;
            }
            free(name);
        }
        i = (size_t)(close - s);
    }
    return ok;
}

static bool next_event(loader *L, yaml_event_t *ev)
{
    if (L->failed)
        return false;
    if (yaml_parser_parse(&L->parser, ev))
        return true;
    yaml_parser_t *p = &L->parser;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->context)
        sl_diag_at(L->d, SL_DIAG_ERROR, L->file, (int)p->problem_mark.line + 1,
                   (int)p->problem_mark.column + 1, "%s %s that starts at line %d, column %d",
                   problem, p->context, (int)p->context_mark.line + 1,
                   (int)p->context_mark.column + 1);
    else
        sl_diag_at(L->d, SL_DIAG_ERROR, L->file, (int)p->problem_mark.line + 1,
                   (int)p->problem_mark.column + 1, "%s", problem);
    L->failed = true;
    return false;
}

static sl_node *parse_node(loader *L, yaml_event_t *ev, int depth);

static sl_node *parse_scalar(loader *L, yaml_event_t *ev)
{
    sl_node *n = node_new(L, SL_NODE_SCALAR, ev->start_mark);
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    if (!n->quoted && (len == 0 || (len == 1 && v[0] == '~') ||
                       (len == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) ||
                                     !memcmp(v, "NULL", 4)))))
        n->is_null = true;
    if (ev->data.scalar.anchor)
        sl_diag_error(L->d, n, "YAML anchors and aliases are not supported");
    if (ev->data.scalar.tag && !ev->data.scalar.plain_implicit && !ev->data.scalar.quoted_implicit)
        sl_diag_error(L->d, n, "YAML tags are not supported");
    sl_buf b = {0};
    if (memchr(v, '$', len))
        expand(L, n, v, len, &b);     /* errors are recorded; keep what expanded */
    else
        sl_buf_append(&b, v, len);
    n->len = b.len;
    sl_buf_putc(&b, 0);
    n->str = b.p;
    return n;
}

static sl_node *parse_collection(loader *L, yaml_event_t *ev, int depth)
{
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    sl_node *n = node_new(L, is_map ? SL_NODE_MAP : SL_NODE_SEQ, ev->start_mark);
    const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const yaml_char_t *tag = is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    int implicit = is_map ? ev->data.mapping_start.implicit : ev->data.sequence_start.implicit;
    if (anchor)
        sl_diag_error(L->d, n, "YAML anchors and aliases are not supported");
    if (tag && !implicit)
        sl_diag_error(L->d, n, "YAML tags are not supported");
    if (depth >= SL_CONFIG_MAX_DEPTH) {
        sl_diag_error(L->d, n, "nested deeper than %d levels", SL_CONFIG_MAX_DEPTH);
        L->failed = true;
        return n;
    }
    yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    for (;;) {
        yaml_event_t kev;
        if (!next_event(L, &kev))
            return n;
        if (kev.type == end) {
            yaml_event_delete(&kev);
            return n;
        }
        sl_node *key = parse_node(L, &kev, depth + 1);
        yaml_event_delete(&kev);
        if (!key)
            return n;
        if (!is_map) {
            node_append(n, NULL, key);
            continue;
        }
        yaml_event_t vev;
        if (!next_event(L, &vev)) {
            node_free(key);
            return n;
        }
        sl_node *val = parse_node(L, &vev, depth + 1);
        yaml_event_delete(&vev);
        if (!val) {
            node_free(key);
            return n;
        }
        if (key->kind != SL_NODE_SCALAR) {
            sl_diag_error(L->d, key, "a key must be a plain string, not %s",
                          sl_node_kind_name(key));
            node_free(key);
            node_free(val);
            continue;
        }
        bool dup = false;
        for (size_t i = 0; i < n->n; i++) {
            if (strcmp(n->keys[i]->str, key->str) == 0) {
                sl_diag_error(L->d, key, "duplicate key \"%s\" (first defined at line %d)",
                              key->str, n->keys[i]->line);
                dup = true;
                break;
            }
        }
        if (dup) {
            node_free(key);
            node_free(val);
            continue;
        }
        node_append(n, key, val);
    }
}

static sl_node *parse_node(loader *L, yaml_event_t *ev, int depth)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return parse_scalar(L, ev);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        return parse_collection(L, ev, depth);
    case YAML_ALIAS_EVENT: {
        sl_node *n = node_new(L, SL_NODE_SCALAR, ev->start_mark);
        n->str = sl_strdup("");
        n->is_null = true;
        sl_diag_error(L->d, n, "YAML anchors and aliases are not supported");
        return n;
    }
    default:
        sl_diag_at(L->d, SL_DIAG_ERROR, L->file, (int)ev->start_mark.line + 1,
                   (int)ev->start_mark.column + 1, "unexpected YAML structure");
        L->failed = true;
        return NULL;
    }
}

sl_doc *sl_doc_load_buffer(const char *name, const char *buf, size_t len, sl_diags *d)
{
    size_t errors_before = d->errors;
    sl_doc *doc = sl_calloc(1, sizeof *doc);
    doc->file = sl_strdup(name);
    if (len > SL_CONFIG_MAX_BYTES) {
        sl_diag_at(d, SL_DIAG_ERROR, doc->file, 0, 0,
                   "the config is %zu bytes, more than the %u a config may have", len,
                   SL_CONFIG_MAX_BYTES);
        sl_doc_free(doc);
        return NULL;
    }
    const char *nul = memchr(buf, 0, len);
    if (nul) {
        int line = 1, col = 1;
        for (const char *p = buf; p < nul; p++, col++)
            if (*p == '\n') {
                line++;
                col = 0;
            }
        sl_diag_at(d, SL_DIAG_ERROR, doc->file, line, col, "a NUL byte: this is not a text file");
        sl_doc_free(doc);
        return NULL;
    }
    loader L = {.d = d, .file = doc->file};
    yaml_parser_initialize(&L.parser);
    yaml_parser_set_input_string(&L.parser, (const unsigned char *)buf, len);
    yaml_event_t ev;
    int docs = 0;
    while (next_event(&L, &ev)) {
        yaml_event_type_t t = ev.type;
        if (t == YAML_DOCUMENT_START_EVENT) {
            if (++docs > 1) {
                sl_diag_at(d, SL_DIAG_ERROR, doc->file, (int)ev.start_mark.line + 1,
                           (int)ev.start_mark.column + 1,
                           "more than one YAML document (---): a config is one document");
                yaml_event_delete(&ev);
                break;
            }
        } else if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
                   t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
            doc->root = parse_node(&L, &ev, 0);
        }
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&L.parser);
    if (doc->root && doc->root->kind == SL_NODE_SCALAR && doc->root->is_null) {
        node_free(doc->root);     /* an empty document */
        doc->root = NULL;
    }
    if (d->errors > errors_before) {
        sl_doc_free(doc);
        return NULL;
    }
    return doc;
}

sl_doc *sl_doc_load_file(const char *path, sl_diags *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sl_diag_at(d, SL_DIAG_ERROR, path, 0, 0, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        sl_diag_at(d, SL_DIAG_ERROR, path, 0, 0, "cannot read %s: not a regular file", path);
        fclose(f);
        return NULL;
    }
    if ((uint64_t)sb.st_size > SL_CONFIG_MAX_BYTES) {
        sl_diag_at(d, SL_DIAG_ERROR, path, 0, 0,
                   "the config is %lld bytes, more than the %u a config may have",
                   (long long)sb.st_size, SL_CONFIG_MAX_BYTES);
        fclose(f);
        return NULL;
    }
    char *buf = sl_malloc((size_t)sb.st_size + 1);
    size_t n = fread(buf, 1, (size_t)sb.st_size, f);
    bool err = ferror(f);
    fclose(f);
    if (err) {
        sl_diag_at(d, SL_DIAG_ERROR, path, 0, 0, "cannot read %s: read error", path);
        free(buf);
        return NULL;
    }
    sl_doc *doc = sl_doc_load_buffer(path, buf, n, d);
    free(buf);
    return doc;
}

void sl_doc_free(sl_doc *doc)
{
    if (!doc)
        return;
    node_free(doc->root);
    free(doc->file);
    free(doc);
}

const sl_node *sl_node_get(const sl_node *map, const char *key)
{
    if (!map || map->kind != SL_NODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->str, key) == 0)
            return map->vals[i];
    return NULL;
}

const char *sl_node_kind_name(const sl_node *n)
{
    if (!n)
        return "nothing";
    switch (n->kind) {
    case SL_NODE_MAP:
        return "a map";
    case SL_NODE_SEQ:
        return "a list";
    case SL_NODE_SCALAR:
        return n->is_null ? "empty" : "a string";
    }
    return "?";
}
