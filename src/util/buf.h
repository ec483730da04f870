/* buf.h: a growable byte buffer (encoders, line assembly, messages). */
#ifndef SLUICE_UTIL_BUF_H
#define SLUICE_UTIL_BUF_H

#include <stddef.h>
#include <string.h>

typedef struct {
    char *p;
    size_t len, cap;
} sl_buf;

/* Make room for `extra` more bytes; aborts on out-of-memory (as every
 * allocation in sluice does: there is no sane way to continue). */
void sl_buf_reserve(sl_buf *b, size_t extra);
void sl_buf_free(sl_buf *b);

static inline void sl_buf_reset(sl_buf *b) { b->len = 0; }

static inline void sl_buf_append(sl_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n)
        sl_buf_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

static inline void sl_buf_putc(sl_buf *b, char c)
{
    if (b->cap == b->len)
        sl_buf_reserve(b, 1);
    b->p[b->len++] = c;
}

static inline void sl_buf_puts(sl_buf *b, const char *s)
{
    sl_buf_append(b, s, strlen(s));
}

/* printf into the buffer (appends). */
void sl_buf_printf(sl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
