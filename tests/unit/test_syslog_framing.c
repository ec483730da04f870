/* test_syslog_framing.c: the RFC 6587 stream decoder: octet counting and
 * non-transparent framing, mixed in one stream, split across reads at
 * every byte, over-long frames cut or skipped, garbage and huge lengths
 * resynchronised, the end of the stream, and the buffer contract. */
#include "check_main.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/syslog_framing.h"

static sl_syslog_framer fr;

/* Append a frame to out as "text|" ("text!|" when truncated). */
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

/* Decode stream[0..n) as a socket reader would: read into a buffer of the
 * framer's minimum size at most `step` bytes at a time (0: as much as
 * fits), no read crossing offset `cut` (0: none), take the frames,
 * compact; then the end of the stream. Frames are joined as "a|b!|". */
static const char *decode_cut(const char *stream, size_t n, size_t max_frame, int mode,
                              size_t step, size_t cut)
{
    static char out[1 << 16];
    out[0] = 0;
    sl_syslog_framer_init(&fr, max_frame, mode);
    size_t cap = sl_syslog_framer_min_buffer(&fr);
    char *buf = malloc(cap);
    size_t len = 0, off = 0;
    sl_syslog_frame frame;
    while (off < n) {
        ck_assert_uint_lt(len, cap);                /* room for a read */
        size_t want = cap - len;
        if (step && want > step)
            want = step;
        if (want > n - off)
            want = n - off;
        if (off < cut && want > cut - off)
            want = cut - off;
        memcpy(buf + len, stream + off, want);
        len += want;
        off += want;
        while (sl_syslog_framer_next(&fr, buf, len, &frame)) {
            ck_assert(frame.data >= buf && frame.data + frame.len <= buf + len);
            ck_assert_uint_le(frame.len, fr.max_frame);
            append(out, sizeof out, &frame);
        }
        len = sl_syslog_framer_compact(&fr, buf, len);
    }
    while (sl_syslog_framer_finish(&fr, buf, len, &frame))
        append(out, sizeof out, &frame);
    free(buf);
    return out;
}

static const char *decode_steps(const char *stream, size_t n, size_t max_frame, int mode,
                                size_t step)
{
    return decode_cut(stream, n, max_frame, mode, step, 0);
}

static const char *decode(const char *stream, size_t max_frame, int mode)
{
    return decode_steps(stream, strlen(stream), max_frame, mode, 0);
}

START_TEST(octet_counting)
{
    ck_assert_str_eq(decode("5 hello6 world!", 100, SL_SYSLOG_FRAME_TRUNCATE),
                     "hello|world!|");
    ck_assert_uint_eq(fr.frames, 2);
    /* the message is taken as it is: LF, CR and NUL included */
    ck_assert_str_eq(decode("4 a\r\nb9 <13>x\ny\nz", 100, SL_SYSLOG_FRAME_TRUNCATE),
                     "a\r\nb|<13>x\ny\nz|");
    sl_syslog_frame frame;
    sl_syslog_framer_init(&fr, 100, SL_SYSLOG_FRAME_TRUNCATE);
    const char s[] = "3 a\0b";
    ck_assert(sl_syslog_framer_next(&fr, s, 5, &frame));
    ck_assert(frame.octet_counted);
    ck_assert(!frame.truncated);
    ck_assert_uint_eq(frame.len, 3);
    ck_assert_int_eq(memcmp(frame.data, "a\0b", 3), 0);
    ck_assert(!sl_syslog_framer_next(&fr, s, 5, &frame));
}
END_TEST

START_TEST(non_transparent)
{
    ck_assert_str_eq(decode("<13>a\n<13>b\r\n<13>c", 100, SL_SYSLOG_FRAME_TRUNCATE),
                     "<13>a|<13>b|<13>c|");
    /* NUL ends a frame too; empty lines are skipped */
    static const char s[] = "<13>a\0<13>b\n\n\r\n\0x\r\r\n";
    ck_assert_str_eq(decode_steps(s, sizeof s - 1, 100, SL_SYSLOG_FRAME_TRUNCATE, 0),
                     "<13>a|<13>b|x\r|");
    ck_assert_uint_eq(fr.frames, 3);
    sl_syslog_frame frame;
    sl_syslog_framer_init(&fr, 100, SL_SYSLOG_FRAME_TRUNCATE);
    ck_assert(sl_syslog_framer_next(&fr, "<1>x\n", 5, &frame));
    ck_assert(!frame.octet_counted);
    /* anything that is not a digit starts a non-transparent frame */
    ck_assert_str_eq(decode("hello\n Nov 23\n", 100, SL_SYSLOG_FRAME_TRUNCATE),
                     "hello| Nov 23|");
}
END_TEST

static const char mixed[] = "17 <13>1 - h a - - -<14>Nov 23 12:00:00 h a: line\n"
                            "5 <15>x\r\n"       /* an empty line after */
                            "123456789012345678901 <13>twenty-one digits\n"
                            "<16>after garbage\0"
                            "3 abc"
                            "007 leading zeros\n"
                            "12x not a length\n"
                            "<17>last, unterminated";
static const char mixed_out[] = "<13>1 - h a - - -|<14>Nov 23 12:00:00 h a: line|<15>x|"
                                "<16>after garbage|abc|<17>last, unterminated|";

START_TEST(mixed_framing_in_one_stream)
{
    ck_assert_str_eq(decode_steps(mixed, sizeof mixed - 1, 64, SL_SYSLOG_FRAME_TRUNCATE, 0),
                     mixed_out);
    ck_assert_uint_eq(fr.frames, 6);
    ck_assert_uint_eq(fr.garbage, 3);
    ck_assert_uint_eq(fr.truncated, 0);
}
END_TEST

/* Two reads split at every byte, reads of every size: the same frames. */
START_TEST(split_at_every_byte)
{
    size_t n = sizeof mixed - 1;
    for (size_t cut = 1; cut < n; cut++) {
        ck_assert_str_eq(decode_cut(mixed, n, 64, SL_SYSLOG_FRAME_TRUNCATE, 0, cut),
                         mixed_out);
        ck_assert_uint_eq(fr.garbage, 3);
    }
    for (size_t step = 1; step <= n; step++) {
        ck_assert_str_eq(decode_steps(mixed, n, 64, SL_SYSLOG_FRAME_TRUNCATE, step),
                         mixed_out);
        ck_assert_uint_eq(fr.garbage, 3);
    }
    /* octet counting alone, split at each byte boundary of two reads */
    static const char counted[] = "11 <13>a b c d13 <14>e f g h i";
    char out[256];
    for (size_t cut = 0; cut <= sizeof counted - 1; cut++) {
        sl_syslog_framer_init(&fr, 100, SL_SYSLOG_FRAME_TRUNCATE);
        char buf[128];
        size_t len = 0;
        sl_syslog_frame frame;
        out[0] = 0;
        memcpy(buf, counted, cut);
        len = cut;
        while (sl_syslog_framer_next(&fr, buf, len, &frame))
            append(out, sizeof out, &frame);
        len = sl_syslog_framer_compact(&fr, buf, len);
        memcpy(buf + len, counted + cut, sizeof counted - 1 - cut);
        len += sizeof counted - 1 - cut;
        while (sl_syslog_framer_next(&fr, buf, len, &frame))
            append(out, sizeof out, &frame);
        len = sl_syslog_framer_compact(&fr, buf, len);
        ck_assert_uint_eq(len, 0);
        ck_assert_str_eq(out, "<13>a b c d|<14>e f g h i|");
    }
}
END_TEST

/* A 20-digit length is garbage, not a frame of 10^19 bytes; the stream
 * goes on at the next LF. */
START_TEST(twenty_digit_length)
{
    ck_assert_str_eq(decode("12345678901234567890 <13>x\n<13>ok\n", 100,
                            SL_SYSLOG_FRAME_TRUNCATE),
                     "<13>ok|");
    ck_assert_uint_eq(fr.garbage, 1);
    ck_assert_uint_eq(fr.discarded_bytes, 27);
    /* 10 digits is a length: over max_frame, dropped as it comes */
    ck_assert_str_eq(decode("1000000000 <13>x", 100, SL_SYSLOG_FRAME_SKIP), "");
    ck_assert_uint_eq(fr.skipped, 1);
    ck_assert_uint_eq(fr.garbage, 0);
    /* 11 digits is not */
    ck_assert_str_eq(decode("10000000000 <13>x\n5 hello", 100, SL_SYSLOG_FRAME_SKIP),
                     "hello|");
    ck_assert_uint_eq(fr.garbage, 1);
    /* a long run of digits never held: garbage as soon as the 11th comes */
    char digits[5000];
    memset(digits, '9', sizeof digits - 1);
    digits[sizeof digits - 1] = 0;
    ck_assert_str_eq(decode_steps(digits, strlen(digits), 16, SL_SYSLOG_FRAME_TRUNCATE, 7),
                     "");
    ck_assert_uint_eq(fr.garbage, 1);
}
END_TEST

START_TEST(bad_lengths_are_garbage)
{
    ck_assert_str_eq(decode("0 \n05 hello\n12abc\n1\n<13>ok\n", 100,
                            SL_SYSLOG_FRAME_TRUNCATE),
                     "<13>ok|");
    ck_assert_uint_eq(fr.garbage, 4);
    /* garbage ends at LF only, not NUL */
    static const char s[] = "9x\0<13>hidden\n<13>ok\n";
    ck_assert_str_eq(decode_steps(s, sizeof s - 1, 100, SL_SYSLOG_FRAME_TRUNCATE, 0),
                     "<13>ok|");
}
END_TEST

START_TEST(long_counted_frame_truncated)
{
    ck_assert_str_eq(decode("20 0123456789abcdefghij5 hello", 8, SL_SYSLOG_FRAME_TRUNCATE),
                     "01234567!|hello|");
    ck_assert_uint_eq(fr.truncated, 1);
    ck_assert_uint_eq(fr.discarded_bytes, 12);
    /* byte by byte: the same */
    ck_assert_str_eq(decode_steps("20 0123456789abcdefghij5 hello", 30, 8,
                                  SL_SYSLOG_FRAME_TRUNCATE, 1),
                     "01234567!|hello|");
    /* exactly max_frame is whole */
    ck_assert_str_eq(decode("8 012345679 012345678", 8, SL_SYSLOG_FRAME_TRUNCATE),
                     "01234567|01234567!|");
}
END_TEST

START_TEST(long_counted_frame_skipped)
{
    ck_assert_str_eq(decode("20 0123456789abcdefghij5 hello", 8, SL_SYSLOG_FRAME_SKIP),
                     "hello|");
    ck_assert_uint_eq(fr.skipped, 1);
    ck_assert_uint_eq(fr.truncated, 0);
    ck_assert_uint_eq(fr.discarded_bytes, 20);
}
END_TEST

START_TEST(long_line_truncated_and_skipped)
{
    ck_assert_str_eq(decode("ABCDEFGHIJklm\nok\n", 8, SL_SYSLOG_FRAME_TRUNCATE),
                     "ABCDEFGH!|ok|");
    ck_assert_uint_eq(fr.truncated, 1);
    ck_assert_uint_eq(fr.discarded_bytes, 6);
    ck_assert_str_eq(decode("ABCDEFGHIJklm\nok\n", 8, SL_SYSLOG_FRAME_SKIP), "ok|");
    ck_assert_uint_eq(fr.skipped, 1);
    /* exactly max_frame, with or without CR, is whole; one more is not */
    ck_assert_str_eq(decode("ABCDEFGH\r\nABCDEFGH\nABCDEFGHI\r\n", 8,
                            SL_SYSLOG_FRAME_TRUNCATE),
                     "ABCDEFGH|ABCDEFGH|ABCDEFGH!|");
    ck_assert_str_eq(decode("ABCDEFGHI\nABCDEFGHI\r\nok\n", 8, SL_SYSLOG_FRAME_SKIP),
                     "ok|");
    ck_assert_uint_eq(fr.skipped, 2);
    /* the over-long line's tail ends at NUL as well */
    static const char s[] = "ABCDEFGHIJklm\0ok\n";
    ck_assert_str_eq(decode_steps(s, sizeof s - 1, 8, SL_SYSLOG_FRAME_TRUNCATE, 0),
                     "ABCDEFGH!|ok|");
}
END_TEST

/* A line that never ends is cut once and then dropped as it arrives: the
 * buffer never holds more than the framer's minimum. */
START_TEST(never_ending_line_is_bounded)
{
    sl_syslog_framer_init(&fr, 64, SL_SYSLOG_FRAME_TRUNCATE);
    size_t cap = sl_syslog_framer_min_buffer(&fr);
    char *buf = malloc(cap);
    size_t len = 0;
    int frames = 0;
    sl_syslog_frame frame;
    for (int i = 0; i < 100000; i++) {
        size_t room = cap - len;
        ck_assert_uint_gt(room, 0);
        memset(buf + len, 'x', room);
        len += room;
        while (sl_syslog_framer_next(&fr, buf, len, &frame)) {
            ck_assert(frame.truncated);
            ck_assert_uint_eq(frame.len, 64);
            frames++;
        }
        len = sl_syslog_framer_compact(&fr, buf, len);
    }
    ck_assert_int_eq(frames, 1);
    memcpy(buf, "tail\nnext\n", 10);
    len = 10;
    ck_assert(sl_syslog_framer_next(&fr, buf, len, &frame));
    ck_assert_uint_eq(frame.len, 4);
    ck_assert_int_eq(memcmp(frame.data, "next", 4), 0);
    ck_assert(!sl_syslog_framer_next(&fr, buf, len, &frame));
    ck_assert_uint_eq(sl_syslog_framer_compact(&fr, buf, len), 0);
    free(buf);
}
END_TEST

/* After compacting, the tail always leaves room for a read in a buffer of
 * the minimum size, whatever is pending. */
START_TEST(compacted_tail_leaves_room)
{
    static const char *const pending[] = {
        "9999999999",                   /* a length, its SP still to come */
        "1000 ",                        /* a header, the body to come */
        "64 ",
        "<13>a line without its end yet, quite long for sixty-four bytes",
    };
    for (size_t i = 0; i < sizeof pending / sizeof pending[0]; i++) {
        sl_syslog_framer_init(&fr, 64, SL_SYSLOG_FRAME_TRUNCATE);
        size_t cap = sl_syslog_framer_min_buffer(&fr);
        char *buf = malloc(cap);
        size_t len = strlen(pending[i]);
        memcpy(buf, pending[i], len);
        sl_syslog_frame frame;
        /* fill to the brim with body bytes (no terminators) and check */
        for (;;) {
            while (sl_syslog_framer_next(&fr, buf, len, &frame))
                ;
            len = sl_syslog_framer_compact(&fr, buf, len);
            ck_assert_uint_lt(len, cap);
            if (fr.frames || fr.skipped || fr.garbage || fr.truncated)
                break;
            memset(buf + len, 'y', cap - len);
            len = cap;
        }
        free(buf);
    }
    ck_assert_uint_eq(sl_syslog_framer_min_buffer(&fr), 64 + 16);
}
END_TEST

START_TEST(end_of_stream)
{
    /* a counted frame cut short comes out truncated */
    ck_assert_str_eq(decode("10 <13>abc", 100, SL_SYSLOG_FRAME_TRUNCATE), "<13>abc!|");
    ck_assert_uint_eq(fr.truncated, 1);
    /* a length alone, or a header with nothing after it, is garbage */
    ck_assert_str_eq(decode("5 hello12", 100, SL_SYSLOG_FRAME_TRUNCATE), "hello|");
    ck_assert_uint_eq(fr.garbage, 1);
    ck_assert_str_eq(decode("5 hello12 ", 100, SL_SYSLOG_FRAME_TRUNCATE), "hello|");
    ck_assert_uint_eq(fr.garbage, 1);
    /* the last line without LF; a lone CR is trimmed */
    ck_assert_str_eq(decode("<13>a\n<13>b\r", 100, SL_SYSLOG_FRAME_TRUNCATE), "<13>a|<13>b|");
    ck_assert_str_eq(decode("<13>a\n\r", 100, SL_SYSLOG_FRAME_TRUNCATE), "<13>a|");
    /* and one over max_frame */
    ck_assert_str_eq(decode("ABCDEFGHI", 8, SL_SYSLOG_FRAME_TRUNCATE), "ABCDEFGH!|");
    ck_assert_str_eq(decode("ABCDEFGHI", 8, SL_SYSLOG_FRAME_SKIP), "");
    ck_assert_uint_eq(fr.skipped, 1);
    /* the rest of a dropped frame is dropped */
    ck_assert_str_eq(decode("30 0123456789", 8, SL_SYSLOG_FRAME_TRUNCATE), "01234567!|");
    ck_assert_str_eq(decode("", 8, SL_SYSLOG_FRAME_TRUNCATE), "");
    ck_assert_uint_eq(fr.frames, 0);
    /* finish resets the decoder for another stream */
    sl_syslog_frame frame;
    ck_assert(!sl_syslog_framer_finish(&fr, "", 0, &frame));
    ck_assert(sl_syslog_framer_next(&fr, "1 x", 3, &frame));
}
END_TEST

START_TEST(init_clamps_options)
{
    sl_syslog_framer_init(&fr, 0, 42);
    ck_assert_uint_eq(fr.max_frame, 1);
    ck_assert_int_eq(fr.long_frames, SL_SYSLOG_FRAME_TRUNCATE);
    sl_syslog_framer_init(&fr, SIZE_MAX, SL_SYSLOG_FRAME_SKIP);
    ck_assert_uint_le(fr.max_frame, SL_SYSLOG_FRAME_MAX);
    ck_assert_uint_gt(sl_syslog_framer_min_buffer(&fr), fr.max_frame);
    ck_assert_int_eq(fr.long_frames, SL_SYSLOG_FRAME_SKIP);
    ck_assert_str_eq(decode("3 abc\nx\n", 1, SL_SYSLOG_FRAME_TRUNCATE), "a!|x|");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("syslog_framing");
    TCase *tc = tcase_create("syslog_framing");
    tcase_add_test(tc, octet_counting);
    tcase_add_test(tc, non_transparent);
    tcase_add_test(tc, mixed_framing_in_one_stream);
    tcase_add_test(tc, split_at_every_byte);
    tcase_add_test(tc, twenty_digit_length);
    tcase_add_test(tc, bad_lengths_are_garbage);
    tcase_add_test(tc, long_counted_frame_truncated);
    tcase_add_test(tc, long_counted_frame_skipped);
    tcase_add_test(tc, long_line_truncated_and_skipped);
    tcase_add_test(tc, never_ending_line_is_bounded);
    tcase_add_test(tc, compacted_tail_leaves_room);
    tcase_add_test(tc, end_of_stream);
    tcase_add_test(tc, init_clamps_options);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
