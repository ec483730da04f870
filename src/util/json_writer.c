/* json_writer.c: JSON values into a buffer, with a fast path for plain
 * ASCII (16 bytes at a time with SSE2, else 8 with SWAR) and strict UTF-8
 * validation. */
#include "util/json_writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* SL_JSON_SWAR_ONLY: the portable path even where SSE2 exists (tests). */
#if defined(__SSE2__) && !defined(SL_JSON_SWAR_ONLY)
#define USE_SSE2 1
#include <emmintrin.h>
#endif

/* 0: copy as is; 1: needs escaping (control, quote, backslash);
 * 2: start of a multi-byte sequence (or an invalid byte). */
static const unsigned char byte_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

size_t sl_utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && s[1] < 0xa0)       /* overlong */
            return 0;
        if (c == 0xed && s[1] >= 0xa0)      /* surrogates */
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
            (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90)       /* overlong */
            return 0;
        if (c == 0xf4 && s[1] >= 0x90)      /* above U+10FFFF */
            return 0;
        return 4;
    }
    return 0;                               /* 0x80..0xc1, 0xf5..0xff */
}

static const char hex[] = "0123456789abcdef";

/* Words of the input read as little-endian, so that the lowest address is
 * in the lowest bits whatever the machine. */
static inline uint64_t load_le64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

static inline uint32_t load_le32(const unsigned char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap32(w);
#endif
    return w;
}

/* SWAR: the high bit of each byte of w that needs attention (a control
 * byte, quote, backslash, DEL or non-ASCII) is set. Borrows only carry
 * upwards, so the lowest set bit is exact; a byte above it may be flagged
 * falsely, which costs time only (the caller handles plain bytes too). */
#define ATTENTION(w, ones)                                                                   \
    (((w) | (((w) - (ones) * 0x20) & ~(w)) | ((((w) ^ (ones) * 0x22) - (ones)) & ~((w) ^ (ones) * 0x22)) | \
      ((((w) ^ (ones) * 0x5c) - (ones)) & ~((w) ^ (ones) * 0x5c)) |                       \
      ((((w) ^ (ones) * 0x7f) - (ones)) & ~((w) ^ (ones) * 0x7f))) &                      \
     (ones) * 0x80)

static inline uint64_t attention8(uint64_t w) { return ATTENTION(w, 0x0101010101010101ULL); }
static inline uint32_t attention4(uint32_t w) { return ATTENTION(w, 0x01010101U); }

#ifdef USE_SSE2
/* Bit i set when p[i] needs attention: a control byte or non-ASCII (below
 * 0x20 as a signed byte), a quote, a backslash, DEL. Exact. */
static inline unsigned attention16(__m128i v)
{
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    m = _mm_or_si128(m, _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* Copy n < 16 bytes with overlapping word moves (no call). */
static inline void move_short(char *o, const unsigned char *p, size_t n)
{
    if (n >= 8) {
        uint64_t x, y;
        memcpy(&x, p, 8);
        memcpy(&y, p + n - 8, 8);
        memcpy(o, &x, 8);
        memcpy(o + n - 8, &y, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        memcpy(o, &x, 4);
        memcpy(o + n - 4, &y, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            o[i] = (char)p[i];
    }
}

/* How many bytes of p[0..end) need no attention before the first that may
 * (the count may stop early at a plain byte, never late); they are copied
 * to o. The string starts at s: bytes between s and p may be read again.
 * The caller guarantees room for 16 bytes past o + (end - p). */
static inline size_t copy_plain(const unsigned char *s, const unsigned char *p,
                                const unsigned char *end, char *o)
{
    size_t r = (size_t)(end - p), i = 0;
#ifdef USE_SSE2
    /* 16 at a time: store them, keep those before the first flagged */
    for (; r - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        _mm_storeu_si128((__m128i *)(void *)(o + i), v);
        unsigned m = attention16(v);
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
    if (i == r)
        return r;
    if (end - s >= 16) {    /* the string's last 16 bytes, those before p + i shifted out */
        unsigned m = attention16(_mm_loadu_si128((const __m128i *)(const void *)(end - 16))) >>
                     (16 - (r - i));
        size_t k = m ? (size_t)__builtin_ctz(m) : r - i;
        move_short(o + i, p + i, k);
        return i + k;
    }
#else
    for (; r - i >= 8; i += 8) {
        uint64_t h = attention8(load_le64(p + i));
        memcpy(o + i, p + i, 8);
        if (h)
            return i + (size_t)__builtin_ctzll(h) / 8;
    }
    if (i == r)
        return r;
#endif
    /* 1 to 15 bytes left of a string shorter than 16 (without SSE2: 1 to
     * 7 of any string): the string's last word, or two overlapping words */
    size_t left = r - i, k;
    const unsigned char *q = p + i;
    if (left < 8 && end - s >= 8) {
        /* the string's last 8 bytes, those before q shifted out */
        uint64_t h = attention8(load_le64(end - 8)) >> (8 * (8 - left));
        k = h ? (size_t)__builtin_ctzll(h) / 8 : left;
    } else if (left >= 8) {
        uint64_t h = attention8(load_le64(q));
        if (h)
            k = (size_t)__builtin_ctzll(h) / 8;
        else {
            h = attention8(load_le64(end - 8));     /* its bytes before q + 8 are clean */
            k = h ? left - 8 + (size_t)__builtin_ctzll(h) / 8 : left;
        }
    } else if (left >= 4) {
        uint32_t h = attention4(load_le32(q));
        if (h)
            k = (size_t)__builtin_ctz(h) / 8;
        else {
            h = attention4(load_le32(end - 4));
            k = h ? left - 4 + (size_t)__builtin_ctz(h) / 8 : left;
        }
    } else {
        for (k = 0; k < left && byte_class[q[k]] == 0; k++) {
        }
    }
    move_short(o + i, q, k);
    return i + k;
}

void sl_json_string(sl_buf *b, const char *s, size_t n)
{
    /* Worst case: every byte becomes \u00XX (6) or U+FFFD (3); 16 more for
     * copy_plain's stores ahead. */
    if (b->cap - b->len < n * 6 + 18)
        sl_buf_reserve(b, n * 6 + 18);
    char *o = b->p + b->len;
    const unsigned char *start = (const unsigned char *)s, *p = start, *end = p + n;
    *o++ = '"';
    while (p < end) {
        size_t k = copy_plain(start, p, end, o);
        p += k;
        o += k;
        if (p == end)
            break;
        unsigned c = *p;
        if (byte_class[c] == 1) {
            *o++ = '\\';
            switch (c) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '\n': *o++ = 'n'; break;
            case '\r': *o++ = 'r'; break;
            case '\t': *o++ = 't'; break;
            case '\b': *o++ = 'b'; break;
            case '\f': *o++ = 'f'; break;
            default:
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = hex[c >> 4];
                *o++ = hex[c & 15];
            }
            p++;
            continue;
        }
        size_t len = sl_utf8_seq_len(p, (size_t)(end - p));
        if (len) {
            memcpy(o, p, len);
            o += len;
            p += len;
        } else {                /* one replacement per invalid byte */
            *o++ = (char)0xef;
            *o++ = (char)0xbf;
            *o++ = (char)0xbd;
            p++;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
}

void sl_json_int(sl_buf *b, int64_t v)
{
    char tmp[24];
    int i = sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--i] = '-';
    sl_buf_append(b, tmp + i, sizeof tmp - (size_t)i);
}

void sl_json_double(sl_buf *b, double v)
{
    if (!isfinite(v)) {
        sl_json_null(b);
        return;
    }
    char tmp[32];
    /* the shortest of %.15g..%.17g that reads back exactly */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    sl_buf_puts(b, tmp);
    /* keep it a JSON number that reads back as floating point */
    if (!strpbrk(tmp, ".eEn"))
        sl_buf_append(b, ".0", 2);
}

void sl_json_bool(sl_buf *b, bool v)
{
    if (v)
        sl_buf_append(b, "true", 4);
    else
        sl_buf_append(b, "false", 5);
}

void sl_json_null(sl_buf *b) { sl_buf_append(b, "null", 4); }

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm):
 * no gmtime_r, no locks, valid for every year sluice will see. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static char *put2(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
    return o + 2;
}

void sl_json_time_rfc3339(sl_buf *b, int64_t unix_ns, int digits)
{
    int64_t secs = unix_ns / 1000000000, frac = unix_ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        secs--;
    }
    /* Events come in runs from the same second: "YYYY-MM-DDTHH:MM:SS" is
     * formatted once per second per thread. */
    static _Thread_local int64_t cached_secs = INT64_MIN;
    static _Thread_local char cached[19];
    if (secs != cached_secs) {
        int64_t days = secs / 86400, rem = secs % 86400;
        if (rem < 0) {
            rem += 86400;
            days--;
        }
        int64_t y;
        unsigned m, d;
        civil_from_days(days, &y, &m, &d);
        if (y < 0 || y > 9999) {        /* not representable: clamp */
            y = y < 0 ? 0 : 9999;
        }
        char *o = cached;
        o[0] = (char)('0' + y / 1000);
        o[1] = (char)('0' + y / 100 % 10);
        o[2] = (char)('0' + y / 10 % 10);
        o[3] = (char)('0' + y % 10);
        o += 4;
        *o++ = '-';
        o = put2(o, m);
        *o++ = '-';
        o = put2(o, d);
        *o++ = 'T';
        o = put2(o, (unsigned)(rem / 3600));
        *o++ = ':';
        o = put2(o, (unsigned)(rem / 60 % 60));
        *o++ = ':';
        put2(o, (unsigned)(rem % 60));
        cached_secs = secs;
    }
    if (b->cap - b->len < 40)
        sl_buf_reserve(b, 40);
    char *o = b->p + b->len;
    *o++ = '"';
    memcpy(o, cached, sizeof cached);
    o += sizeof cached;
    if (digits > 0) {
        if (digits > 9)
            digits = 9;
        *o++ = '.';
        char f[9];
        int64_t v = frac;
        for (int i = 8; i >= 0; i--) {
            f[i] = (char)('0' + v % 10);
            v /= 10;
        }
        memcpy(o, f, (size_t)digits);
        o += digits;
    }
    *o++ = 'Z';
    *o++ = '"';
    b->len = (size_t)(o - b->p);
}
