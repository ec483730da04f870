/* xalloc.h: allocation that never returns NULL (out of memory aborts with a
 * message: a collector that cannot allocate cannot keep its promises). */
#ifndef SLUICE_UTIL_XALLOC_H
#define SLUICE_UTIL_XALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

_Noreturn void sl_oom(void);
void *sl_malloc(size_t n);
void *sl_calloc(size_t n, size_t size);
void *sl_realloc(void *p, size_t n);
char *sl_strdup(const char *s);
char *sl_strndup(const char *s, size_t n);
/* A malloc'd string formatted like printf (never truncated). */
char *sl_aprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
