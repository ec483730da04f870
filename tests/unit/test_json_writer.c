/* test_json_writer.c: JSON strings are escaped correctly and are always
 * valid UTF-8; numbers and times are formatted exactly. */
#include "check_main.h"
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_writer.h"

static char *str_json(const char *s, size_t n)
{
    static sl_buf b;
    sl_buf_reset(&b);
    sl_json_string(&b, s, n);
    sl_buf_putc(&b, 0);
    return b.p;
}

#define J(lit) str_json(lit, sizeof(lit) - 1)

START_TEST(escapes)
{
    ck_assert_str_eq(J("plain"), "\"plain\"");
    ck_assert_str_eq(J(""), "\"\"");
    ck_assert_str_eq(J("a\"b\\c"), "\"a\\\"b\\\\c\"");
    ck_assert_str_eq(J("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
    ck_assert_str_eq(J("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
    ck_assert_str_eq(J("nul\0byte"), "\"nul\\u0000byte\"");
    ck_assert_str_eq(J("/slash stays"), "\"/slash stays\"");
}
END_TEST

START_TEST(valid_utf8_is_copied)
{
    ck_assert_str_eq(J("caf\xc3\xa9"), "\"caf\xc3\xa9\"");              /* 2 bytes */
    ck_assert_str_eq(J("\xe2\x82\xac"), "\"\xe2\x82\xac\"");            /* euro, 3 */
    ck_assert_str_eq(J("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");    /* emoji, 4 */
    ck_assert_str_eq(J("\xef\xbb\xbf" "bom"), "\"\xef\xbb\xbf" "bom\"");
    ck_assert_str_eq(J("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");    /* U+10FFFF */
}
END_TEST

#define FFFD "\xef\xbf\xbd"

START_TEST(invalid_utf8_becomes_replacement_per_byte)
{
    ck_assert_str_eq(J("\xff"), "\"" FFFD "\"");
    ck_assert_str_eq(J("a\x80z"), "\"a" FFFD "z\"");                       /* lone continuation */
    ck_assert_str_eq(J("\xc0\xaf"), "\"" FFFD FFFD "\"");                  /* overlong '/' */
    ck_assert_str_eq(J("\xe0\x80\xaf"), "\"" FFFD FFFD FFFD "\"");         /* overlong 3 */
    ck_assert_str_eq(J("\xed\xa0\x80"), "\"" FFFD FFFD FFFD "\"");         /* surrogate */
    ck_assert_str_eq(J("\xf4\x90\x80\x80"), "\"" FFFD FFFD FFFD FFFD "\""); /* > U+10FFFF */
    ck_assert_str_eq(J("\xe2\x82"), "\"" FFFD FFFD "\"");                  /* truncated */
    ck_assert_str_eq(J("\xc3" "A"), "\"" FFFD "A\"");
}
END_TEST

/* Decode a JSON string literal produced by the writer (test oracle). */
static size_t decode(const char *j, char *out)
{
    size_t n = 0;
    ck_assert_int_eq(*j++, '"');
    while (*j != '"') {
        if (*j != '\\') {
            out[n++] = *j++;
            continue;
        }
        j++;
        switch (*j++) {
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case 'u': out[n++] = (char)strtol((char[]){j[0], j[1], j[2], j[3], 0}, NULL, 16); j += 4; break;
        default: ck_abort_msg("bad escape");
        }
    }
    return n;
}

static bool valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = sl_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

START_TEST(random_bytes_always_valid_and_round_trip_when_valid)
{
    uint64_t st = 12345;
    char in[64], dec[512];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = (size_t)(st % 40);
        for (size_t i = 0; i < n; i++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            /* bias toward ASCII and UTF-8 lead bytes */
            unsigned char c = (unsigned char)(st >> 56);
            in[i] = (char)(iter & 1 ? c : (c & 0x7f));
        }
        st = st * 6364136223846793005ULL + 1;
        char *j = str_json(in, n);
        size_t jl = strlen(j);
        ck_assert(valid_utf8(j, jl));
        for (size_t i = 0; i < jl; i++)
            ck_assert((unsigned char)j[i] >= 0x20);
        if (valid_utf8(in, n)) {
            size_t dn = decode(j, dec);
            ck_assert_uint_eq(dn, n);
            ck_assert_int_eq(memcmp(dec, in, n), 0);
        }
    }
}
END_TEST

/* Long strings go 16 (SSE2) or 8 (SWAR) bytes at a time: whatever the
 * length, the position of the bytes that need escaping and the output
 * buffer's alignment, the result is the concatenation of each piece
 * escaped on its own (escaping is per character). */
START_TEST(long_strings_escape_at_every_position)
{
    static const char *const pieces[] = {"\"", "\\", "\n", "\x01", "\x7f", "\xc3\xa9",
                                         "\xe2\x82\xac", "\xff"};
    char in[300];
    sl_buf want = {0}, got = {0};
    uint64_t st = 99;
    for (int iter = 0; iter < 4000; iter++) {
        size_t target = (size_t)iter % 260, n = 0;
        sl_buf_reset(&want);
        sl_buf_putc(&want, '"');
        while (n < target) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(st >> 33);
            const char *piece = "a";
            if (r % 23 == 0)        /* sparse: long plain runs in between */
                piece = pieces[(r / 23) % (sizeof pieces / sizeof *pieces)];
            size_t pl = strlen(piece);
            memcpy(in + n, piece, pl);
            n += pl;
            const char *pj = str_json(piece, pl);
            sl_buf_append(&want, pj + 1, strlen(pj) - 2);
        }
        sl_buf_putc(&want, '"');
        sl_buf_reset(&got);
        for (int k = 0; k < iter % 17; k++)      /* shift the output's alignment */
            sl_buf_putc(&got, '.');
        size_t pre = got.len;
        sl_json_string(&got, in, n);
        ck_assert_uint_eq(got.len - pre, want.len);
        ck_assert_int_eq(memcmp(got.p + pre, want.p, want.len), 0);
        for (size_t k = 0; k < pre; k++)
            ck_assert_int_eq(got.p[k], '.');
    }
    sl_buf_free(&want);
    sl_buf_free(&got);
}
END_TEST

static char *num(void (*f)(sl_buf *), int dummy)
{
    (void)dummy;
    static sl_buf b;
    sl_buf_reset(&b);
    f(&b);
    sl_buf_putc(&b, 0);
    return b.p;
}

static int64_t int_arg;
static double dbl_arg;
static void w_int(sl_buf *b) { sl_json_int(b, int_arg); }
static void w_dbl(sl_buf *b) { sl_json_double(b, dbl_arg); }

START_TEST(numbers)
{
    int_arg = 0;
    ck_assert_str_eq(num(w_int, 0), "0");
    int_arg = -42;
    ck_assert_str_eq(num(w_int, 0), "-42");
    int_arg = INT64_MAX;
    ck_assert_str_eq(num(w_int, 0), "9223372036854775807");
    int_arg = INT64_MIN;
    ck_assert_str_eq(num(w_int, 0), "-9223372036854775808");
    dbl_arg = 0.1;
    ck_assert_str_eq(num(w_dbl, 0), "0.1");
    dbl_arg = 1e300;
    ck_assert_str_eq(num(w_dbl, 0), "1e+300");
    dbl_arg = 3.0;
    ck_assert_str_eq(num(w_dbl, 0), "3.0");
    dbl_arg = NAN;
    ck_assert_str_eq(num(w_dbl, 0), "null");
    dbl_arg = -INFINITY;
    ck_assert_str_eq(num(w_dbl, 0), "null");
    dbl_arg = 0.1 + 0.2;
    ck_assert_double_eq(strtod(num(w_dbl, 0), NULL), 0.1 + 0.2);
}
END_TEST

static char *tm(int64_t ns, int digits)
{
    static sl_buf b;
    sl_buf_reset(&b);
    sl_json_time_rfc3339(&b, ns, digits);
    sl_buf_putc(&b, 0);
    return b.p;
}

START_TEST(times)
{
    ck_assert_str_eq(tm(0, 0), "\"1970-01-01T00:00:00Z\"");
    ck_assert_str_eq(tm(1764000000123456789LL, 3), "\"2025-11-24T16:00:00.123Z\"");
    ck_assert_str_eq(tm(1764000000123456789LL, 6), "\"2025-11-24T16:00:00.123456Z\"");
    ck_assert_str_eq(tm(1764000000123456789LL, 9), "\"2025-11-24T16:00:00.123456789Z\"");
    ck_assert_str_eq(tm(951782400LL * 1000000000, 0), "\"2000-02-29T00:00:00Z\"");   /* leap day */
    ck_assert_str_eq(tm(2147483648LL * 1000000000, 0), "\"2038-01-19T03:14:08Z\"");  /* past 2^31 */
    ck_assert_str_eq(tm(INT64_MAX, 9), "\"2262-04-11T23:47:16.854775807Z\"");  /* the last ns */
    ck_assert_str_eq(tm(-1000000000LL, 0), "\"1969-12-31T23:59:59Z\"");
}
END_TEST

/* The date and time of day are kept per second: the same second again, the
 * next one, and back, each come out right. */
START_TEST(times_in_runs)
{
    const int64_t s = 1764000000LL * 1000000000;
    ck_assert_str_eq(tm(s + 5, 9), "\"2025-11-24T16:00:00.000000005Z\"");
    ck_assert_str_eq(tm(s + 999999999, 9), "\"2025-11-24T16:00:00.999999999Z\"");
    ck_assert_str_eq(tm(s + 1000000000, 0), "\"2025-11-24T16:00:01Z\"");
    ck_assert_str_eq(tm(s - 1, 3), "\"2025-11-24T15:59:59.999Z\"");
    ck_assert_str_eq(tm(s, 0), "\"2025-11-24T16:00:00Z\"");
}
END_TEST

START_TEST(bools_and_null)
{
    sl_buf b = {0};
    sl_json_bool(&b, true);
    sl_buf_putc(&b, ',');
    sl_json_bool(&b, false);
    sl_buf_putc(&b, ',');
    sl_json_null(&b);
    sl_buf_putc(&b, 0);
    ck_assert_str_eq(b.p, "true,false,null");
    sl_buf_free(&b);
}
END_TEST

int main(void)
{
#ifndef SUITE_NAME
#define SUITE_NAME "json_writer"
#endif
    Suite *s = suite_create(SUITE_NAME);
    TCase *tc = tcase_create(SUITE_NAME);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, escapes);
    tcase_add_test(tc, valid_utf8_is_copied);
    tcase_add_test(tc, invalid_utf8_becomes_replacement_per_byte);
    tcase_add_test(tc, random_bytes_always_valid_and_round_trip_when_valid);
    tcase_add_test(tc, long_strings_escape_at_every_position);
    tcase_add_test(tc, numbers);
    tcase_add_test(tc, times);
    tcase_add_test(tc, times_in_runs);
    tcase_add_test(tc, bools_and_null);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
