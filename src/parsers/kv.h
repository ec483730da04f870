/* kv.h: logfmt-style key=value pairs: `a=1 b="two words" c=` and bare keys
 * (`debug`). Values may be double-quoted with backslash escapes (\" \\ \n
 * \r \t; any other backslash is kept). A pure library: no allocation, spans
 * point into the input, never reads past the given length. */
#ifndef SLUICE_PARSERS_KV_H
#define SLUICE_PARSERS_KV_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *pos, *end;
    char sep;           /* between key and value, usually '=' */
} sl_kv_iter;

typedef struct {
    const char *key;
    size_t key_len;
    const char *val;    /* NULL for a bare key (no separator) */
    size_t val_len;     /* raw: between the quotes, escapes still in */
    bool quoted;
    bool has_escape;    /* the quoted value holds a backslash */
} sl_kv_pair;

void sl_kv_init(sl_kv_iter *it, const char *p, size_t n, char sep);
/* 1: a pair in *out; 0: the end; -1: malformed (an unterminated quote, or
 * a key that is empty or quoted), with *why set to a static reason and the
 * iterator at the end. */
int sl_kv_next(sl_kv_iter *it, sl_kv_pair *out, const char **why);
/* Resolve a quoted value's escapes into out (at least val_len bytes);
 * returns the length. */
size_t sl_kv_unescape(const char *p, size_t n, char *out);

#endif
