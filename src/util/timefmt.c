/* timefmt.c: a small, locale-free strftime for paths and keys. */
#include "util/timefmt.h"

#include <string.h>

static const char supported[] = "YymdHMSjs%";

const char *sl_timefmt_check(const char *fmt, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (fmt[i] != '%')
            continue;
        if (i + 1 >= n || !strchr(supported, fmt[i + 1]) || fmt[i + 1] == 0)
            return fmt + i;
        i++;
    }
    return NULL;
}

static void put_num(sl_buf *b, long v, int width)
{
    char tmp[24];
    int n = 0;
    bool neg = v < 0;
    unsigned long u = neg ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n < width)
        tmp[n++] = '0';
    if (neg)
        sl_buf_putc(b, '-');
    while (n)
        sl_buf_putc(b, tmp[--n]);
}

void sl_timefmt(sl_buf *b, const char *fmt, size_t n, const struct tm *tm, int64_t unix_s)
{
    for (size_t i = 0; i < n; i++) {
        if (fmt[i] != '%' || i + 1 >= n) {
            sl_buf_putc(b, fmt[i]);
            continue;
        }
        switch (fmt[++i]) {
        case 'Y': put_num(b, tm->tm_year + 1900L, 4); break;
        case 'y': put_num(b, (tm->tm_year + 1900L) % 100, 2); break;
        case 'm': put_num(b, tm->tm_mon + 1, 2); break;
        case 'd': put_num(b, tm->tm_mday, 2); break;
        case 'H': put_num(b, tm->tm_hour, 2); break;
        case 'M': put_num(b, tm->tm_min, 2); break;
        case 'S': put_num(b, tm->tm_sec, 2); break;
        case 'j': put_num(b, tm->tm_yday + 1, 3); break;
        case 's': put_num(b, (long)unix_s, 1); break;
        case '%': sl_buf_putc(b, '%'); break;
        default:
            sl_buf_putc(b, '%');
            sl_buf_putc(b, fmt[i]);
        }
    }
}
