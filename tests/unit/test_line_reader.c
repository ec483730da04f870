/* test_line_reader.c: splitting a byte stream into line events: CRLF,
 * partial lines across reads, over-long lines, offsets, end of input. */
#include "check_main.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sources/line_reader.h"

static sl_chunk *test_chunk(sl_source *src, size_t cap)
{
    return sl_chunk_new(src, cap, NULL, NULL);
}

static void init(sl_line_reader *lr, size_t max_line, int mode)
{
    sl_line_reader_init(lr, NULL, max_line, mode);
    lr->new_chunk = test_chunk;
}

/* The chunk's events joined as "a|b|c" (truncated ones marked with !). */
static char *joined(const sl_chunk *c)
{
    static char out[4096];
    size_t n = 0;
    for (uint32_t i = 0; c && i < c->n_events; i++) {
        if (i)
            out[n++] = '|';
        memcpy(out + n, c->events[i]->msg, c->events[i]->msg_len);
        n += c->events[i]->msg_len;
        if (c->events[i]->flags & SL_EVF_TRUNCATED)
            out[n++] = '!';
    }
    out[n] = 0;
    return out;
}

START_TEST(splits_lines_and_trims_crlf)
{
    sl_line_reader lr;
    init(&lr, 1024, SL_LONG_TRUNCATE);
    sl_chunk *c;
    sl_line_reader_feed(&lr, "a\nb\r\n\nc", 7, &c);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(joined(c), "a|b|");
    ck_assert_uint_eq(c->begin, 0);
    ck_assert_uint_eq(c->end, 6);
    sl_chunk_discard(c);
    ck_assert_uint_eq(sl_line_reader_pending(&lr), 1);
    c = sl_line_reader_finish(&lr);
    ck_assert_str_eq(joined(c), "c");
    ck_assert_uint_eq(c->begin, 6);
    ck_assert_uint_eq(c->end, 7);
    sl_chunk_discard(c);
    ck_assert_ptr_null(sl_line_reader_finish(&lr));
    sl_line_reader_free(&lr);
}
END_TEST

START_TEST(partial_lines_join_across_reads)
{
    sl_line_reader lr;
    init(&lr, 1024, SL_LONG_TRUNCATE);
    sl_chunk *c;
    sl_line_reader_feed(&lr, "hel", 3, &c);
    ck_assert_ptr_null(c);
    sl_line_reader_feed(&lr, "lo\nwor", 6, &c);
    ck_assert_str_eq(joined(c), "hello");
    ck_assert_uint_eq(c->end, 6);
    sl_chunk_discard(c);
    sl_line_reader_feed(&lr, "ld\n", 3, &c);
    ck_assert_str_eq(joined(c), "world");
    ck_assert_uint_eq(c->begin, 6);
    ck_assert_uint_eq(c->end, 12);
    sl_chunk_discard(c);
    ck_assert_uint_eq(lr.lines, 2);
    sl_line_reader_free(&lr);
}
END_TEST

START_TEST(long_line_truncated_and_rest_discarded)
{
    sl_line_reader lr;
    init(&lr, 8, SL_LONG_TRUNCATE);
    sl_chunk *c;
    sl_line_reader_feed(&lr, "0123456789abc\nok\n", 17, &c);
    ck_assert_str_eq(joined(c), "01234567!|ok");
    ck_assert_uint_eq(c->end, 17);
    sl_chunk_discard(c);
    ck_assert_uint_eq(lr.truncated, 1);
    sl_line_reader_free(&lr);
}
END_TEST

START_TEST(long_line_skipped)
{
    sl_line_reader lr;
    init(&lr, 8, SL_LONG_SKIP);
    sl_chunk *c;
    sl_line_reader_feed(&lr, "0123456789abc\nok\n", 17, &c);
    ck_assert_str_eq(joined(c), "ok");
    sl_chunk_discard(c);
    ck_assert_uint_eq(lr.skipped, 1);
    sl_line_reader_free(&lr);
}
END_TEST

/* A line that never ends must not grow memory: it is cut once, the rest
 * is dropped as it arrives, and the next line comes through. */
START_TEST(never_ending_line_is_bounded)
{
    sl_line_reader lr;
    init(&lr, 16, SL_LONG_TRUNCATE);
    char junk[1000];
    memset(junk, 'x', sizeof junk);
    sl_chunk *c, *cut = NULL;
    for (int i = 0; i < 2000; i++) {            /* 2 MB, no newline */
        sl_line_reader_feed(&lr, junk, sizeof junk, &c);
        if (c) {
            ck_assert_ptr_null(cut);            /* cut exactly once */
            cut = c;
        }
        ck_assert_uint_le(sl_line_reader_pending(&lr), 16 + sizeof junk);
    }
    ck_assert_ptr_nonnull(cut);
    ck_assert_str_eq(joined(cut), "xxxxxxxxxxxxxxxx!");
    sl_chunk_discard(cut);
    sl_line_reader_feed(&lr, "tail\nnext\n", 10, &c);
    ck_assert_str_eq(joined(c), "next");
    ck_assert_uint_eq(c->end, 2000u * 1000 + 10);
    sl_chunk_discard(c);
    ck_assert_uint_eq(lr.truncated, 1);
    sl_line_reader_free(&lr);
}
END_TEST

START_TEST(reads_from_a_descriptor)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], "one\ntwo\nthr", 11), 11);
    close(p[1]);
    sl_line_reader lr;
    init(&lr, 1024, SL_LONG_TRUNCATE);
    sl_chunk *c;
    ck_assert_int_eq(sl_line_reader_read(&lr, p[0], &c), 11);
    ck_assert_str_eq(joined(c), "one|two");
    sl_chunk_discard(c);
    ck_assert_int_eq(sl_line_reader_read(&lr, p[0], &c), 0);
    ck_assert_ptr_null(c);
    c = sl_line_reader_finish(&lr);
    ck_assert_str_eq(joined(c), "thr");
    sl_chunk_discard(c);
    close(p[0]);
    sl_line_reader_free(&lr);
}
END_TEST

/* Bytes are passed through as they are: invalid UTF-8 and NULs included. */
START_TEST(binary_bytes_pass_through)
{
    sl_line_reader lr;
    init(&lr, 1024, SL_LONG_TRUNCATE);
    sl_chunk *c;
    sl_line_reader_feed(&lr, "\xff\xfe\0z\n", 5, &c);
    ck_assert_uint_eq(c->n_events, 1);
    ck_assert_uint_eq(c->events[0]->msg_len, 4);
    ck_assert_int_eq(memcmp(c->events[0]->msg, "\xff\xfe\0z", 4), 0);
    sl_chunk_discard(c);
    sl_line_reader_free(&lr);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("line_reader");
    TCase *tc = tcase_create("line_reader");
    tcase_add_test(tc, splits_lines_and_trims_crlf);
    tcase_add_test(tc, partial_lines_join_across_reads);
    tcase_add_test(tc, long_line_truncated_and_rest_discarded);
    tcase_add_test(tc, long_line_skipped);
    tcase_add_test(tc, never_ending_line_is_bounded);
    tcase_add_test(tc, reads_from_a_descriptor);
    tcase_add_test(tc, binary_bytes_pass_through);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
