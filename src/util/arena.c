/* arena.c: bump allocator blocks. */
#include "util/arena.h"

#include <string.h>

#include "util/xalloc.h"

struct sl_arena_block {
    sl_arena_block *next;
    size_t size;
    max_align_t data[];
};

#define SL_ARENA_BLOCK 8192u

void sl_arena_init(sl_arena *a, void *initial, size_t size)
{
    size_t pad = (size_t)(-(uintptr_t)initial & 7u);     /* to the next multiple of 8 */
    if (initial && size > pad) {
        a->ptr = (char *)initial + pad;
        a->end = (char *)initial + size;
    } else {
        a->ptr = a->end = NULL;
    }
    a->blocks = NULL;
    a->allocated = 0;
}

void *sl_arena_alloc_slow(sl_arena *a, size_t n)
{
    size_t size = n > SL_ARENA_BLOCK / 2 ? n : SL_ARENA_BLOCK;
    if (size > SIZE_MAX - sizeof(sl_arena_block))
        sl_oom();
    sl_arena_block *b = sl_malloc(sizeof *b + size);
    b->next = a->blocks;
    b->size = size;
    a->blocks = b;
    a->allocated += size;
    char *p = (char *)b->data;
    if (n < size) {             /* keep the rest for later allocations */
        a->ptr = p + n;
        a->end = p + size;
    }
    return p;
}

void sl_arena_free(sl_arena *a)
{
    sl_arena_block *b = a->blocks;
    while (b) {
        sl_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->blocks = NULL;
    a->ptr = a->end = NULL;
    a->allocated = 0;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t n)
{
    char *p = sl_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}
