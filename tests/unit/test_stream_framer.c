/* test_stream_framer.c: the socket sources' pieces that need no socket:
 * the delimiter framer (newline and NUL: CR trimming, empty frames, over-
 * long frames cut or skipped, endless lines bounded, split at every byte,
 * the end of the stream, the tail moved to another buffer) and the
 * listen URL parser. */
#include "check_main.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/listener.h"
#include "sources/stream_framer.h"

static void append(char *out, size_t cap, const sl_syslog_frame *frame)
{
    size_t n = strlen(out);
    ck_assert_uint_lt(n + frame->len + 2, cap);
    memcpy(out + n, frame->data, frame->len);
    n += frame->len;
    if (frame->truncated)
        out[n++] = '!';
    out[n++] = '|';
    out[n] = 0;
}

/* Decode as the listener does: reads of at most `step` bytes into a buffer
 * of the framer's minimum size; after each, the tail moves to a new
 * buffer. Frames joined as "a|b!|" (NULs shown as '0'). */
static const char *decode(int framing, const char *stream, size_t n, size_t max_frame,
                          int mode, size_t step)
{
    static char out[1 << 16];
    out[0] = 0;
    sl_stream_framer f;
    sl_stream_framer_init(&f, framing, max_frame, mode);
    size_t cap = sl_stream_framer_min_buffer(&f);
    char *buf = malloc(cap);
    size_t len = 0, off = 0;
    sl_syslog_frame fr;
    while (off < n) {
        ck_assert_uint_lt(len, cap);
        size_t want = cap - len;
        if (step && want > step)
            want = step;
        if (want > n - off)
            want = n - off;
        memcpy(buf + len, stream + off, want);
        len += want;
        off += want;
        while (sl_stream_framer_next(&f, buf, len, &fr))
            append(out, sizeof out, &fr);
        size_t pos = sl_stream_framer_consumed(&f, len);
        char *nb = malloc(cap);
        memcpy(nb, buf + pos, len - pos);
        free(buf);
        buf = nb;
        len -= pos;
        sl_stream_framer_rebase(&f);
    }
    while (sl_stream_framer_finish(&f, buf, len, &fr))
        append(out, sizeof out, &fr);
    free(buf);
    return out;
}

#define NL(s, max, mode, step) decode(SL_FRAMING_NEWLINE, s, sizeof(s) - 1, max, mode, step)

START_TEST(newline_basics)
{
    ck_assert_str_eq(NL("a\nb\r\n\n\nc", 100, SL_SYSLOG_FRAME_TRUNCATE, 0), "a|b|c|");
    ck_assert_str_eq(NL("", 100, SL_SYSLOG_FRAME_TRUNCATE, 0), "");
    ck_assert_str_eq(NL("\n\n\r\n", 100, SL_SYSLOG_FRAME_TRUNCATE, 0), ""); /* CR alone: empty */
}
END_TEST

START_TEST(split_at_every_byte)
{
    const char s[] = "one\ntwo\r\nthree is longer than ten\nfour";
    for (size_t step = 1; step < sizeof s; step++)
        ck_assert_str_eq(decode(SL_FRAMING_NEWLINE, s, sizeof s - 1, 10,
                                SL_SYSLOG_FRAME_TRUNCATE, step),
                         "one|two|three is l!|four|");
    for (size_t step = 1; step < sizeof s; step++)
        ck_assert_str_eq(decode(SL_FRAMING_NEWLINE, s, sizeof s - 1, 10, SL_SYSLOG_FRAME_SKIP,
                                step),
                         "one|two|four|");
}
END_TEST

START_TEST(nul_framing)
{
    const char s[] = "a\0\0b\nc\0tail";
    ck_assert_str_eq(decode(SL_FRAMING_NUL, s, sizeof s - 1, 100, SL_SYSLOG_FRAME_TRUNCATE, 3),
                     "a|b\nc|tail|");
}
END_TEST

START_TEST(endless_line_is_bounded)
{
    sl_stream_framer f;
    sl_stream_framer_init(&f, SL_FRAMING_NEWLINE, 64, SL_SYSLOG_FRAME_SKIP);
    size_t cap = sl_stream_framer_min_buffer(&f);
    ck_assert_uint_eq(cap, 65);
    char buf[65];
    size_t len = 0;
    sl_syslog_frame fr;
    for (int i = 0; i < 100000; i++) {
        ck_assert_uint_lt(len, cap);
        memset(buf + len, 'x', cap - len);
        len = cap;
        ck_assert(!sl_stream_framer_next(&f, buf, len, &fr));
        size_t pos = sl_stream_framer_consumed(&f, len);
        memmove(buf, buf + pos, len - pos);
        len -= pos;
        sl_stream_framer_rebase(&f);
    }
    ck_assert_uint_eq(sl_stream_framer_skipped(&f), 1);
    memcpy(buf + len, "\nok\n", 4);
    len += 4;
    ck_assert(sl_stream_framer_next(&f, buf, len, &fr));
    ck_assert_uint_eq(fr.len, 2);
    ck_assert(memcmp(fr.data, "ok", 2) == 0);
}
END_TEST

START_TEST(octet_counting)
{
    const char s[] = "3 abc5 hello\nline\n";
    ck_assert_str_eq(decode(SL_FRAMING_OCTET, s, sizeof s - 1, 100, SL_SYSLOG_FRAME_TRUNCATE, 2),
                     "abc|hello|line|");
}
END_TEST

START_TEST(listen_urls)
{
    sl_listen_url u;
    char err[200];
    ck_assert(sl_listen_parse("udp://127.0.0.1:514", &u, err, sizeof err));
    ck_assert_int_eq(u.kind, SL_LISTEN_UDP);
    ck_assert_str_eq(u.host, "127.0.0.1");
    ck_assert_str_eq(u.port, "514");
    ck_assert(sl_listen_parse("tcp://[::1]:6514", &u, err, sizeof err));
    ck_assert_int_eq(u.kind, SL_LISTEN_TCP);
    ck_assert_str_eq(u.host, "::1");
    ck_assert(sl_listen_parse("tcp://:514", &u, err, sizeof err));
    ck_assert_str_eq(u.host, "");
    ck_assert(sl_listen_parse("tcp://*:514", &u, err, sizeof err));
    ck_assert_str_eq(u.host, "");
    ck_assert(sl_listen_parse("tcp://logs.example.com:514", &u, err, sizeof err));
    ck_assert(sl_listen_parse("unix:///dev/log", &u, err, sizeof err));
    ck_assert_int_eq(u.kind, SL_LISTEN_UNIX_DGRAM);
    ck_assert_str_eq(u.path, "/dev/log");
    ck_assert(sl_listen_parse("unix-stream:///run/x.sock", &u, err, sizeof err));
    ck_assert_int_eq(u.kind, SL_LISTEN_UNIX_STREAM);

    const char *bad[] = {"tcp://127.0.0.1", "tcp://127.0.0.1:0", "tcp://127.0.0.1:65536",
                         "tcp://127.0.0.1:http", "udp://::1:514", "tcp://[::1]514",
                         "tcp://[zz]:514", "tcp://a b:1", "unix://rel", "ftp://x:1", "",
                         "tcp://1.2.3.4:123456"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!sl_listen_parse(bad[i], &u, err, sizeof err), "%s accepted", bad[i]);
    char longpath[200] = "unix:///";
    memset(longpath + 8, 'p', 150);
    longpath[158] = 0;
    ck_assert(!sl_listen_parse(longpath, &u, err, sizeof err));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stream_framer");
    TCase *tc = tcase_create("stream_framer");
    tcase_add_test(tc, newline_basics);
    tcase_add_test(tc, split_at_every_byte);
    tcase_add_test(tc, nul_framing);
    tcase_add_test(tc, endless_line_is_bounded);
    tcase_add_test(tc, octet_counting);
    tcase_add_test(tc, listen_urls);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
