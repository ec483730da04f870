/* buf.c: growable byte buffer. */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/xalloc.h"

void sl_buf_reserve(sl_buf *b, size_t extra)
{
    size_t need = b->len + extra;
    if (need < b->len)
        sl_oom();
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            sl_oom();
        cap *= 2;
    }
    b->p = sl_realloc(b->p, cap);
    b->cap = cap;
}

void sl_buf_free(sl_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void sl_buf_printf(sl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sl_buf_append(b, tmp, (size_t)n);
        return;
    }
    sl_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}
