/* condition.h: conditions on events, compiled once at startup and evaluated
 * per event (concurrently on every worker: a compiled condition is
 * read-only; regex match data is per thread). Used by `filter` and `route`.
 *
 * Two forms compile into the same tree:
 *   - the condition language, a string such as
 *       status >= 500 and not path =~ "^/health"
 *     (the grammar is in condition.c and in sluice.yaml(5));
 *   - the YAML map form of `filter`: { field: F, equals: V }, not_equals,
 *     matches, lt/le/gt/ge, { exists: F }, { any: [...] }, { all: [...] },
 *     { not: C }.
 * Errors name the file:line:column of the offending token (the YAML node's
 * position plus the column inside the string). */
#ifndef SLUICE_HANDLERS_CONDITION_H
#define SLUICE_HANDLERS_CONDITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"

typedef struct sl_condition sl_condition;

/* Longest condition text accepted, and the deepest nesting (parentheses,
 * `not`, any/all/not maps). */
#define SL_CONDITION_MAX_LEN 8192
#define SL_CONDITION_MAX_DEPTH 64

typedef struct {
    char msg[256];
    size_t offset;      /* byte offset of the offending token in the text */
} sl_condition_error;

/* Compile the text form; NULL with *err filled on a mistake. */
sl_condition *sl_condition_parse(const char *text, size_t len, sl_condition_error *err);

/* Compile a config node: a string (the language) or a map (the map form).
 * On a mistake returns NULL and adds one error to `d`, "WHAT: message", at
 * the offending token's place. */
sl_condition *sl_condition_from_node(const sl_node *n, const char *what, sl_diags *d);

/* Where byte `offset` of a scalar node's text is in the file (best effort:
 * exact for one-line plain and quoted scalars without escapes). */
void sl_condition_position(const sl_node *n, size_t offset, int *line, int *col);

/* Does the event meet the condition? Thread-safe. */
bool sl_condition_eval(const sl_condition *c, sl_event *ev);

void sl_condition_free(sl_condition *c);

/* The value of field `path` (dotted through maps; `message` is the message
 * unless a field has that name) as text, for sample and dedup: strings as
 * they are, numbers and booleans as written (into buf). False when the
 * field is missing or a map. */
bool sl_condition_field_text(sl_event *ev, const char *path, char buf[40], const char **p,
                             size_t *n);

/* A 64-bit hash of bytes (FNV-1a, then mixed so every bit counts). */
uint64_t sl_condition_hash(const char *p, size_t n);

#endif
