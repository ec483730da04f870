/* config.h: the YAML config document as a tree of nodes that remember their
 * file:line:column, with ${VAR} / ${VAR:-default} expansion, plus the
 * diagnostics list every config error and warning is collected into. */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { SL_NODE_SCALAR, SL_NODE_MAP, SL_NODE_SEQ } sl_node_kind;

typedef struct sl_node sl_node;
struct sl_node {
    sl_node_kind kind;
    const char *file;   /* the document's path, shared by all its nodes */
    int line, col;      /* 1-based, where the node starts */
    /* SCALAR: NUL-terminated value after ${VAR} expansion. A YAML null
     * (`~`, `null` or an empty value) is a scalar with is_null set. */
    char *str;
    size_t len;
    bool quoted;        /* written in quotes: never a null, always a string */
    bool is_null;
    /* MAP: n pairs keys[i] (always scalars) -> vals[i].  SEQ: n items vals[i]. */
    size_t n;
    sl_node **keys;
    sl_node **vals;
};

typedef enum { SL_DIAG_ERROR, SL_DIAG_WARNING } sl_diag_level;

typedef struct {
    sl_diag_level level;
    char *text;         /* "file:line:col: error: message", one line */
} sl_diag;

typedef struct {
    sl_diag *v;
    size_t n, cap;
    size_t errors, warnings;
} sl_diags;

/* Record an error/warning at a node (file:line:col taken from it; `at` may be
 * NULL for a message with no place, then the file alone is named if known). */
void sl_diag_error(sl_diags *d, const sl_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sl_diag_warn(sl_diags *d, const sl_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with an explicit place (for errors found by the YAML parser itself). */
void sl_diag_at(sl_diags *d, sl_diag_level lvl, const char *file, int line,
                int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void sl_diags_print(const sl_diags *d, FILE *out);
void sl_diags_free(sl_diags *d);

typedef struct sl_doc {
    char *file;         /* path as given */
    sl_node *root;      /* NULL when the document is empty or failed to parse */
} sl_doc;

/* Largest config file sl_doc_load accepts (a limit against mistakes such as
 * pointing -c at a log file). */
#define SL_CONFIG_MAX_BYTES (4u * 1024 * 1024)

/* Parse a YAML file (or an in-memory buffer; `name` is used in messages)
 * into a tree. Every problem (YAML syntax, anchors/aliases/tags which sluice
 * does not support, duplicate keys in a map, non-scalar keys, an undefined
 * ${VAR} without a default, a malformed ${...}, a file too large or
 * unreadable) is added to `d`. Returns NULL if any error was recorded.
 * Environment lookups use getenv(). */
sl_doc *sl_doc_load_file(const char *path, sl_diags *d);
sl_doc *sl_doc_load_buffer(const char *name, const char *buf, size_t len,
                           sl_diags *d);
void sl_doc_free(sl_doc *doc);

/* Look a key up in a MAP node; NULL if absent or `map` is not a map. */
const sl_node *sl_node_get(const sl_node *map, const char *key);
/* A human name of a node's kind for messages: "a map", "a list", "a string"… */
const char *sl_node_kind_name(const sl_node *n);

#endif
