/* arena.h: a bump allocator whose memory is freed all at once. Each chunk of
 * source events owns one, so parsing and field edits never call malloc per
 * event. Not thread-safe: only the chunk's current owner allocates. */
#ifndef SLUICE_UTIL_ARENA_H
#define SLUICE_UTIL_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct sl_arena_block sl_arena_block;

typedef struct {
    char *ptr, *end;            /* free space in the current block */
    sl_arena_block *blocks;     /* malloc'd blocks, newest first */
    size_t allocated;           /* bytes in malloc'd blocks (for accounting) */
} sl_arena;

/* Start with `initial` bytes the caller owns (may be NULL/0). */
void sl_arena_init(sl_arena *a, void *initial, size_t size);
void *sl_arena_alloc_slow(sl_arena *a, size_t n);
void sl_arena_free(sl_arena *a);

static inline void *sl_arena_alloc(sl_arena *a, size_t n)
{
    n = (n + 7u) & ~(size_t)7u;
    if ((size_t)(a->end - a->ptr) >= n) {
        void *p = a->ptr;
        a->ptr += n;
        return p;
    }
    return sl_arena_alloc_slow(a, n);
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t n);

#endif
