/* config.c: the YAML config as a tree of nodes that know their
 * file:line:column, built from libyaml's event parser, with ${VAR} and
 * ${VAR:-default} expansion in values; and the diagnostics list every
 * config error and warning goes to. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
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
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (n > 0) {
        sl_buf_reserve(&b, (size_t)n + 1);
        vsnprintf(b.p + b.len, (size_t)n + 1, fmt, ap);
        b.len += (size_t)n;
    }
    sl_buf_putc(&b, 0);
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
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
    diag_add(d, SL_DIAG_ERROR, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, fmt,
             ap);
    va_end(ap);
}

void sl_diag_warn(sl_diags *d, const sl_node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_add(d, SL_DIAG_WARNING, at ? at->file : NULL, at ? at->line : 0, at ? at->col : 0, fmt,
             ap);
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

/* ---- nodes ---------------------------------------------------------------- */

typedef struct {
    yaml_parser_t parser;
    sl_diags *d;
    const char *file;
    const char *text;       /* the whole input, for positions of reader errors */
    size_t text_len;
    bool stopped;           /* the parser failed or nesting went too deep */
} loader;

static sl_node *node_new(const loader *L, sl_node_kind kind, yaml_mark_t mark)
{
    sl_node *n = sl_calloc(1, sizeof *n);
    n->kind = kind;
    n->file = L->file;
    n->line = (int)mark.line + 1;
    n->col = (int)mark.column + 1;
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

/* Add an item (SEQ, key NULL) or a pair (MAP); arrays grow by doubling, so
 * a capacity is always the next power of two of n. */
static void node_add(sl_node *parent, sl_node *key, sl_node *val)
{
    size_t n = parent->n;
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
        size_t cap = n == 0 ? 4 : n * 2;
        if (parent->kind == SL_NODE_MAP)
            parent->keys = sl_realloc(parent->keys, cap * sizeof *parent->keys);
        parent->vals = sl_realloc(parent->vals, cap * sizeof *parent->vals);
    }
    if (parent->kind == SL_NODE_MAP)
        parent->keys[n] = key;
    parent->vals[n] = val;
    parent->n = n + 1;
}

/* ---- ${VAR} expansion ----------------------------------------------------- */

static bool is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_valid_var_name(const char *s, size_t n)
{
    if (n == 0 || !is_name_start(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_name_start(s[i]) && !(s[i] >= '0' && s[i] <= '9'))
            return false;
    return true;
}

/* Expand one ${...} reference whose text (between the braces) is `ref`.
 * False, with an error at `at`, when it is malformed or undefined. */
static bool expand_reference(const loader *L, const sl_node *at, const char *ref, size_t len,
                             sl_buf *out)
{
    size_t name_len = len;
    const char *fallback = NULL;
    const char *sep = NULL;
    for (size_t k = 0; k + 1 < len && !sep; k++)
        if (ref[k] == ':' && ref[k + 1] == '-')
            sep = ref + k;
    if (sep) {
        name_len = (size_t)(sep - ref);
        fallback = sep + 2;
    }
    if (!is_valid_var_name(ref, name_len)) {
        sl_diag_error(L->d, at, "invalid variable reference \"${%.*s}\" (a name is letters, "
                                "digits and _, not starting with a digit)", (int)len, ref);
        return false;
    }
    char *name = sl_strndup(ref, name_len);
    const char *value = getenv(name);
    bool ok = true;
    if (fallback && (!value || !*value))
        sl_buf_append(out, fallback, len - (size_t)(fallback - ref));
    else if (value)
        sl_buf_puts(out, value);
    else {
        sl_diag_error(L->d, at, "undefined environment variable \"%s\" (use ${%s:-default} to "
                                "give a default)", name, name);
        ok = false;
    }
    free(name);
    return ok;
}

/* Append `s` to `out` with ${VAR}, ${VAR:-default} and $$ expanded; a '$'
 * followed by anything else stays as it is. Errors are reported at `at`. */
static void expand_value(const loader *L, const sl_node *at, const char *s, size_t n,
                         sl_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '$' || i + 1 == n || (s[i + 1] != '$' && s[i + 1] != '{')) {
            sl_buf_putc(out, s[i]);
        } else if (s[i + 1] == '$') {
            sl_buf_putc(out, '$');
            i++;
        } else {
            const char *ref = s + i + 2;
            const char *close = memchr(ref, '}', n - (i + 2));
            if (!close) {
                sl_diag_error(L->d, at, "unterminated \"${\" in value (write $$ for a literal $)");
                return;
            }
            expand_reference(L, at, ref, (size_t)(close - ref), out);
            i = (size_t)(close - s);
        }
    }
}

/* ---- building the tree from events ---------------------------------------- */

/* Line and column (1-based, counting characters) of a byte offset. */
static void position_of(const char *text, size_t len, size_t offset, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            ++*col;     /* not a UTF-8 continuation byte: a new character */
        }
    }
}

static void report_parser_error(loader *L)
{
    const yaml_parser_t *p = &L->parser;
    if (p->error == YAML_MEMORY_ERROR)
        sl_oom();
    int line, col;
    if (p->error == YAML_READER_ERROR) {
        position_of(L->text, L->text_len, p->problem_offset, &line, &col);
    } else {
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
    }
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->context)
        sl_diag_at(L->d, SL_DIAG_ERROR, L->file, line, col,
                   "%s %s that starts at line %d, column %d", problem, p->context,
                   (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    else
        sl_diag_at(L->d, SL_DIAG_ERROR, L->file, line, col, "%s", problem);
}

/* The next event; false (with the error reported) when there is none. */
static bool next_event(loader *L, yaml_event_t *ev)
{
    if (L->stopped)
        return false;
    if (yaml_parser_parse(&L->parser, ev))
        return true;
    report_parser_error(L);
    L->stopped = true;
    return false;
}

static void check_anchor_and_tag(const loader *L, const sl_node *n, const yaml_char_t *anchor,
                                 const yaml_char_t *tag)
{
    if (anchor)
        sl_diag_error(L->d, n, "YAML anchors and aliases are not supported");
    if (tag)
        sl_diag_error(L->d, n, "YAML tags are not supported");
}

static bool is_null_word(const char *v, size_t len)
{
    return len == 0 || (len == 1 && v[0] == '~') ||
           (len == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) ||
                         !memcmp(v, "NULL", 4)));
}

static sl_node *scalar_node(const loader *L, const yaml_event_t *ev, bool is_key)
{
    sl_node *n = node_new(L, SL_NODE_SCALAR, ev->start_mark);
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    n->is_null = !n->quoted && is_null_word(v, len);
    check_anchor_and_tag(L, n, ev->data.scalar.anchor, ev->data.scalar.tag);
    if (memchr(v, 0, len))      /* a "\0" escape: C strings cannot hold it */
        sl_diag_error(L->d, n, "a NUL character (\\0) in a value is not supported");
    sl_buf b = {0};
    if (!is_key && memchr(v, '$', len))
        expand_value(L, n, v, len, &b);
    else
        sl_buf_append(&b, v, len);
    n->len = b.len;
    sl_buf_putc(&b, 0);
    n->str = b.p;
    return n;
}

static sl_node *parse_node(loader *L, const yaml_event_t *ev, int depth, bool is_key);

/* Parse the next node of a collection, or see its end. Returns false when
 * the collection is over (end event) or the parser stopped. */
static bool next_child(loader *L, yaml_event_type_t end, int depth, bool is_key,
                       sl_node **child)
{
    yaml_event_t ev;
    *child = NULL;
    if (!next_event(L, &ev))
        return false;
    bool is_end = ev.type == end;
    if (!is_end)
        *child = parse_node(L, &ev, depth, is_key);
    yaml_event_delete(&ev);
    return !is_end && *child;
}

/* Add a pair to a map being built, unless its key is not a scalar or
 * repeats an earlier one (both errors). */
static void add_pair(const loader *L, sl_node *map, sl_node *key, sl_node *val)
{
    if (key->kind != SL_NODE_SCALAR) {
        sl_diag_error(L->d, key, "a key must be a string, not %s", sl_node_kind_name(key));
        node_free(key);
        node_free(val);
        return;
    }
    for (size_t i = 0; i < map->n; i++) {
        if (map->keys[i]->len == key->len && memcmp(map->keys[i]->str, key->str, key->len) == 0) {
            sl_diag_error(L->d, key, "duplicate key \"%s\" (first defined at line %d)", key->str,
                          map->keys[i]->line);
            node_free(key);
            node_free(val);
            return;
        }
    }
    node_add(map, key, val);
}

static sl_node *collection_node(loader *L, const yaml_event_t *ev, int depth)
{
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    sl_node *n = node_new(L, is_map ? SL_NODE_MAP : SL_NODE_SEQ, ev->start_mark);
    if (is_map)
        check_anchor_and_tag(L, n, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
    else
        check_anchor_and_tag(L, n, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
    if (depth >= SL_CONFIG_MAX_DEPTH) {
        sl_diag_error(L->d, n, "nested deeper than %d levels", SL_CONFIG_MAX_DEPTH);
        L->stopped = true;
        return n;
    }
    yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    sl_node *first;
    while (next_child(L, end, depth + 1, is_map, &first)) {
        if (!is_map) {
            node_add(n, NULL, first);
            continue;
        }
        sl_node *val;
        if (!next_child(L, end, depth + 1, false, &val)) {
            node_free(first);       /* the parser stopped (a value always follows a key) */
            node_free(val);
            break;
        }
        add_pair(L, n, first, val);
    }
    return n;
}

/* The node that starts with event `ev` (and the events after it that belong
 * to it). NULL only when the parser stopped on a bad event. */
static sl_node *parse_node(loader *L, const yaml_event_t *ev, int depth, bool is_key)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return scalar_node(L, ev, is_key);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        return collection_node(L, ev, depth);
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
        L->stopped = true;
        return NULL;
    }
}

static void report_too_large(sl_diags *d, const char *file)
{
    sl_diag_at(d, SL_DIAG_ERROR, file, 0, 0,
               "the file is larger than %u bytes, too large for a config (is it the right file?)",
               SL_CONFIG_MAX_BYTES);
}

sl_doc *sl_doc_load_buffer(const char *name, const char *buf, size_t len, sl_diags *d)
{
    size_t errors_before = d->errors;
    sl_doc *doc = sl_calloc(1, sizeof *doc);
    doc->file = sl_strdup(name);
    if (len > SL_CONFIG_MAX_BYTES) {
        report_too_large(d, doc->file);
        sl_doc_free(doc);
        return NULL;
    }
    const char *nul = memchr(buf, 0, len);
    if (nul) {
        int line, col;
        position_of(buf, len, (size_t)(nul - buf), &line, &col);
        sl_diag_at(d, SL_DIAG_ERROR, doc->file, line, col, "a NUL byte: this is not a text file");
        sl_doc_free(doc);
        return NULL;
    }
    loader L = {.d = d, .file = doc->file, .text = buf, .text_len = len};
    yaml_parser_initialize(&L.parser);
    yaml_parser_set_input_string(&L.parser, (const unsigned char *)buf, len);
    int documents = 0;
    yaml_event_t ev;
    while (next_event(&L, &ev)) {
        yaml_event_type_t type = ev.type;
        if (type == YAML_DOCUMENT_START_EVENT && ++documents > 1) {
            sl_diag_at(d, SL_DIAG_ERROR, doc->file, (int)ev.start_mark.line + 1,
                       (int)ev.start_mark.column + 1,
                       "more than one YAML document (---): a config is one document");
            L.stopped = true;
        } else if (type == YAML_SCALAR_EVENT || type == YAML_SEQUENCE_START_EVENT ||
                   type == YAML_MAPPING_START_EVENT || type == YAML_ALIAS_EVENT) {
            doc->root = parse_node(&L, &ev, 0, false);
        }
        yaml_event_delete(&ev);
        if (type == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&L.parser);
    if (doc->root && doc->root->kind == SL_NODE_SCALAR && doc->root->is_null) {
        node_free(doc->root);       /* an empty document: the caller decides */
        doc->root = NULL;
    }
    if (d->errors > errors_before) {
        sl_doc_free(doc);
        return NULL;
    }
    return doc;
}

/* The config decides what sluice runs (exec handlers), what it reads and
 * where it sends it: a file anyone can change, or one in a directory where
 * anyone can replace it, is refused; a group-writable one is a warning.
 * Not checked for what is not a regular file, or for standard input and
 * /dev/fd descriptors (the caller handed over the content itself). */
static bool is_descriptor_path(const char *path)
{
    return strcmp(path, "/dev/stdin") == 0 || strncmp(path, "/dev/fd/", 8) == 0 ||
           strncmp(path, "/proc/self/fd/", 14) == 0 || strcmp(path, "-") == 0;
}

static void check_permissions(const char *path, const struct stat *st, sl_diags *d)
{
    if (!S_ISREG(st->st_mode) || is_descriptor_path(path))
        return;
    unsigned mode = (unsigned)(st->st_mode & 07777);
    if (st->st_mode & S_IWOTH)
        sl_diag_at(d, SL_DIAG_ERROR, path, 0, 0,
                   "the config file is writable by every user (mode %04o): anyone could change "
                   "what sluice reads, runs and where it sends events; fix it with: chmod o-w %s",
                   mode, path);
    else if (st->st_mode & S_IWGRP)
        sl_diag_at(d, SL_DIAG_WARNING, path, 0, 0,
                   "the config file is writable by its group (gid %u, mode %04o): every member "
                   "can change what sluice runs; if that is not intended: chmod g-w %s",
                   (unsigned)st->st_gid, mode, path);
    char *real = realpath(path, NULL);
    if (!real)
        return;
    char *slash = strrchr(real, '/');
    if (slash)
        *(slash == real ? slash + 1 : slash) = 0;
    struct stat ds;
    if (slash && stat(real, &ds) == 0 && !(ds.st_mode & S_ISVTX)) {
        unsigned dmode = (unsigned)(ds.st_mode & 07777);
        if (ds.st_mode & S_IWOTH)
            sl_diag_at(d, SL_DIAG_ERROR, path, 0, 0,
                       "the config's directory %s is writable by every user (mode %04o, no "
                       "sticky bit): anyone could replace the config; fix it with: chmod o-w %s",
                       real, dmode, real);
        else if (ds.st_mode & S_IWGRP)
            sl_diag_at(d, SL_DIAG_WARNING, path, 0, 0,
                       "the config's directory %s is writable by its group (gid %u, mode %04o): "
                       "every member can replace the config; if that is not intended: "
                       "chmod g-w %s", real, (unsigned)ds.st_gid, dmode, real);
    }
    free(real);
}

sl_doc *sl_doc_load_file(const char *path, sl_diags *d)
{
    size_t errors_before = d->errors;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        sl_diag_at(d, SL_DIAG_ERROR, path, 0, 0, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        sl_diag_at(d, SL_DIAG_ERROR, path, 0, 0, "cannot read %s: %s", path, strerror(EISDIR));
        close(fd);
        return NULL;
    }
    check_permissions(path, &st, d);
    /* Read to the end rather than trusting st_size, so pipes (-c /dev/stdin)
     * work; one byte past the limit tells a file that is too large. */
    sl_buf b = {0};
    for (;;) {
        sl_buf_reserve(&b, 64 * 1024);
        size_t room = b.cap - b.len;
        if (room > (size_t)SL_CONFIG_MAX_BYTES + 1 - b.len)
            room = (size_t)SL_CONFIG_MAX_BYTES + 1 - b.len;
        ssize_t got = read(fd, b.p + b.len, room);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            sl_diag_at(d, SL_DIAG_ERROR, path, 0, 0, "cannot read %s: %s", path,
                       strerror(errno));
            close(fd);
            sl_buf_free(&b);
            return NULL;
        }
        b.len += (size_t)got;
        if (got == 0 || b.len > SL_CONFIG_MAX_BYTES)
            break;
    }
    close(fd);
    sl_doc *doc = NULL;
    if (b.len > SL_CONFIG_MAX_BYTES)
        report_too_large(d, path);
    else
        doc = sl_doc_load_buffer(path, b.p ? b.p : "", b.len, d);
    sl_buf_free(&b);
    if (doc && d->errors > errors_before) {     /* refused for its permissions */
        sl_doc_free(doc);
        doc = NULL;
    }
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
