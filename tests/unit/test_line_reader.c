/* test_line_reader.c: splitting a byte stream into line events: CRLF,
 * partial lines across reads, over-long lines, offsets, end of input; and
 * multiline grouping: stack traces split at every byte boundary, pending
 * groups flushed or finished, CRLF in groups, groups over max_line cut or
 * skipped, lines before the first start line, chunk offsets, idle. */
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

/* ---- multiline --------------------------------------------------------- */

/* The start-line test of the multiline tests: a line that begins with a
 * digit (a timestamp) starts an event; "\tat ...", "Caused by: ..." and
 * blank lines continue it. It also checks what it is given: one line, its
 * newline and a CR before it already trimmed. */
typedef struct {
    unsigned calls, bad;
} start_log;

static bool digit_starts(void *ctx, const char *line, size_t len)
{
    start_log *l = ctx;
    l->calls++;
    if (memchr(line, '\n', len) || (len && line[len - 1] == '\r'))
        l->bad++;
    return len > 0 && line[0] >= '0' && line[0] <= '9';
}

static void init_ml(sl_line_reader *lr, size_t max_line, int mode, start_log *log)
{
    init(lr, max_line, mode);
    sl_line_reader_multiline(lr, digit_starts, log);
}

/* Events of every chunk, in order, joined by '|' (truncated ones marked
 * '!'), with each chunk checked against the input: chunks in stream order
 * without overlap (and without gaps unless bytes were dropped), and every
 * event exactly the input bytes at the offset its chunk claims. */
typedef struct {
    const char *input;
    size_t input_len;
    bool gaps_ok;
    uint64_t end;               /* where the last chunk ended */
    unsigned chunks;
    char out[8192];
    size_t len;
} collected;

static void take(collected *k, sl_chunk *c)
{
    if (!c)
        return;
    ck_assert_uint_gt(c->n_events, 0);
    if (k->gaps_ok)
        ck_assert_uint_ge(c->begin, k->end);
    else
        ck_assert_uint_eq(c->begin, k->end);
    ck_assert_uint_gt(c->end, c->begin);
    ck_assert_uint_le(c->end, k->input_len);
    ck_assert_uint_eq(c->data_len, c->end - c->begin);
    for (uint32_t i = 0; i < c->n_events; i++) {
        const sl_event *ev = c->events[i];
        ck_assert(ev->msg >= c->data && ev->msg + ev->msg_len <= c->data + c->data_len);
        uint64_t at = c->begin + (uint64_t)(ev->msg - c->data);
        ck_assert_int_eq(memcmp(ev->msg, k->input + at, ev->msg_len), 0);
        ck_assert_uint_lt(k->len + ev->msg_len + 2, sizeof k->out);
        if (k->len)
            k->out[k->len++] = '|';
        memcpy(k->out + k->len, ev->msg, ev->msg_len);
        k->len += ev->msg_len;
        if (ev->flags & SL_EVF_TRUNCATED)
            k->out[k->len++] = '!';
    }
    k->out[k->len] = 0;
    k->end = c->end;
    k->chunks++;
    sl_chunk_discard(c);
}

static void collect_init(collected *k, const char *input, size_t len, bool gaps_ok)
{
    memset(k, 0, sizeof *k);
    k->input = input;
    k->input_len = len;
    k->gaps_ok = gaps_ok;
}

/* Feed input in pieces ending at cuts[0..n) and then at its end, then
 * finish: everything is accounted for and the reader ends where the
 * input does. `gaps_ok` when the input has lines that are dropped. */
static void run_pieces(collected *k, const char *input, size_t len, const size_t *cuts,
                       size_t n, size_t max_line, int mode, bool gaps_ok)
{
    start_log log = {0};
    sl_line_reader lr;
    init_ml(&lr, max_line, mode, &log);
    collect_init(k, input, len, gaps_ok);
    size_t at = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t to = i < n ? cuts[i] : len;
        sl_chunk *c;
        sl_line_reader_feed(&lr, input + at, to - at, &c);
        take(k, c);
        at = to;
    }
    take(k, sl_line_reader_finish(&lr));
    ck_assert_uint_eq(sl_line_reader_pending(&lr), 0);
    ck_assert_uint_eq(lr.offset, len);
    ck_assert_uint_eq(log.bad, 0);
    sl_line_reader_free(&lr);
}

static const char java[] =
    "2024-05-01 12:00:00 INFO starting\n"
    "2024-05-01 12:00:01 ERROR request failed\n"
    "java.lang.IllegalStateException: no session\n"
    "\tat com.example.Handler.run(Handler.java:42)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:833)\n"
    "Caused by: java.io.IOException: broken pipe\n"
    "\t... 2 more\n"
    "\n"
    "2024-05-01 12:00:02 INFO recovered\n";

static const char java_events[] =
    "2024-05-01 12:00:00 INFO starting|"
    "2024-05-01 12:00:01 ERROR request failed\n"
    "java.lang.IllegalStateException: no session\n"
    "\tat com.example.Handler.run(Handler.java:42)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:833)\n"
    "Caused by: java.io.IOException: broken pipe\n"
    "\t... 2 more\n"
    "|"
    "2024-05-01 12:00:02 INFO recovered";

START_TEST(ml_groups_a_stack_trace)
{
    start_log log = {0};
    sl_line_reader lr;
    init_ml(&lr, 4096, SL_LONG_TRUNCATE, &log);
    collected k;
    collect_init(&k, java, strlen(java), false);
    sl_chunk *c;
    sl_line_reader_feed(&lr, java, strlen(java), &c);
    take(&k, c);
    /* the last group waits: its next line may still continue it */
    ck_assert_uint_eq(sl_line_reader_pending(&lr), strlen("2024-05-01 12:00:02 INFO recovered\n"));
    ck_assert_uint_eq(k.end, strlen(java) - sl_line_reader_pending(&lr));
    take(&k, sl_line_reader_finish(&lr));
    ck_assert_str_eq(k.out, java_events);
    ck_assert_uint_eq(k.end, strlen(java));
    ck_assert_uint_eq(log.bad, 0);
    ck_assert_uint_gt(log.calls, 0);
    sl_line_reader_free(&lr);
}
END_TEST

/* However the reads fall, the same events, and chunks that tile the
 * stream exactly. */
START_TEST(ml_stack_trace_split_at_every_byte)
{
    size_t len = strlen(java);
    collected k;
    for (size_t cut = 0; cut <= len; cut++) {
        run_pieces(&k, java, len, &cut, 1, 4096, SL_LONG_TRUNCATE, false);
        ck_assert_msg(strcmp(k.out, java_events) == 0, "cut at %zu: %s", cut, k.out);
        ck_assert_uint_eq(k.end, len);
    }
    for (size_t a = 1; a < len; a += 7) {
        for (size_t b = a; b < len; b += 5) {
            size_t cuts[2] = {a, b};
            run_pieces(&k, java, len, cuts, 2, 4096, SL_LONG_TRUNCATE, false);
            ck_assert_msg(strcmp(k.out, java_events) == 0, "cuts at %zu, %zu", a, b);
        }
    }
    size_t *every = malloc(len * sizeof *every);
    for (size_t i = 0; i < len; i++)
        every[i] = i;
    run_pieces(&k, java, len, every, len, 4096, SL_LONG_TRUNCATE, false);   /* a byte at a time */
    ck_assert_str_eq(k.out, java_events);
    free(every);
}
END_TEST

/* Everything that can happen to a group, with max_line 100: lines before
 * any start line, CRLF, a start line over the limit, a group growing over
 * it, a continuation line over it, a partial last line. */
static size_t build_messy(char *in, size_t cap)
{
    size_t n = 0;
#define ADD(s) (n += (size_t)snprintf(in + n, cap - n, "%s", s))
    ADD("  orphan\n\tmore\n");                              /* before any start line */
    ADD("2024 ERROR boom\njava.lang.X: y\n\tat A.run(A.java:1)\nCaused by: Z\n\n");
    ADD("2024 crlf one\r\n\tat crlf\r\n");
    ADD("2024 long start: ");
    for (int i = 0; i < 120; i++)
        ADD("x");
    ADD("\n\tat dropped with its start line\n");
    ADD("2024 grows\n");
    for (int i = 0; i < 12; i++) {
        char l[32];
        snprintf(l, sizeof l, "\tat line %02d\n", i);      /* 12 bytes each */
        ADD(l);
    }
    ADD("2024 tail one\n\tat ");
    for (int i = 0; i < 150; i++)
        ADD("y");
    ADD("\n\tat dropped too\n");
    ADD("2024 last\n\tat pending");
#undef ADD
    ck_assert_uint_lt(n, cap - 1);
    return n;
}

/* The first 100 bytes from the line that begins with `from`, plus '!'. */
static void add_cut(char *out, const char *in, const char *from)
{
    const char *p = strstr(in, from);
    ck_assert_ptr_nonnull(p);
    size_t o = strlen(out);
    memcpy(out + o, p, 100);
    out[o + 100] = '!';
    out[o + 101] = 0;
}

START_TEST(ml_messy_input_split_at_every_byte)
{
    static char in[2048];
    size_t len = build_messy(in, sizeof in);
    char want_trunc[2048] = "", want_skip[2048] = "";
    strcat(want_trunc, "  orphan\n\tmore|"
                       "2024 ERROR boom\njava.lang.X: y\n\tat A.run(A.java:1)\nCaused by: Z\n|"
                       "2024 crlf one\r\n\tat crlf|");
    add_cut(want_trunc, in, "2024 long start");
    strcat(want_trunc, "|");
    add_cut(want_trunc, in, "2024 grows");
    strcat(want_trunc, "|");
    add_cut(want_trunc, in, "2024 tail one");
    strcat(want_trunc, "|2024 last\n\tat pending");
    strcat(want_skip, "  orphan\n\tmore|"
                      "2024 ERROR boom\njava.lang.X: y\n\tat A.run(A.java:1)\nCaused by: Z\n|"
                      "2024 crlf one\r\n\tat crlf|"
                      "2024 last\n\tat pending");
    collected k;
    for (int mode = SL_LONG_TRUNCATE; mode <= SL_LONG_SKIP; mode++) {
        const char *want = mode == SL_LONG_TRUNCATE ? want_trunc : want_skip;
        for (size_t cut = 0; cut <= len; cut++) {
            run_pieces(&k, in, len, &cut, 1, 100, mode, true);   /* dropped lines: gaps */
            ck_assert_msg(strcmp(k.out, want) == 0, "%s, cut at %zu:\n%s\nwant\n%s",
                          mode == SL_LONG_SKIP ? "skip" : "truncate", cut, k.out, want);
        }
        size_t *every = malloc(len * sizeof *every);
        for (size_t i = 0; i < len; i++)
            every[i] = i;
        run_pieces(&k, in, len, every, len, 100, mode, true);
        ck_assert_msg(strcmp(k.out, want) == 0, "a byte at a time:\n%s", k.out);
        free(every);
    }
}
END_TEST

START_TEST(ml_counts_cut_and_skipped_groups)
{
    static char in[2048];
    size_t len = build_messy(in, sizeof in);
    for (int mode = SL_LONG_TRUNCATE; mode <= SL_LONG_SKIP; mode++) {
        start_log log = {0};
        sl_line_reader lr;
        init_ml(&lr, 100, mode, &log);
        sl_chunk *c;
        sl_line_reader_feed(&lr, in, len, &c);
        sl_chunk_discard(c);
        c = sl_line_reader_finish(&lr);
        sl_chunk_discard(c);
        ck_assert_uint_eq(lr.truncated, mode == SL_LONG_TRUNCATE ? 3 : 0);
        ck_assert_uint_eq(lr.skipped, mode == SL_LONG_SKIP ? 3 : 0);
        sl_line_reader_free(&lr);
    }
}
END_TEST

/* A group grows over max_line: cut to max_line (truncate) or dropped
 * (skip); its further lines go too, the next start line is whole. */
START_TEST(ml_group_over_max_line)
{
    const char *in = "2024 aaaa\n\tbbbbbbbb\n\tcccc\n2024 ok\n";
    for (int mode = SL_LONG_TRUNCATE; mode <= SL_LONG_SKIP; mode++) {
        start_log log = {0};
        sl_line_reader lr;
        init_ml(&lr, 16, mode, &log);
        collected k;
        collect_init(&k, in, strlen(in), true);
        sl_chunk *c;
        sl_line_reader_feed(&lr, in, strlen(in), &c);
        take(&k, c);
        take(&k, sl_line_reader_finish(&lr));
        ck_assert_str_eq(k.out, mode == SL_LONG_TRUNCATE ? "2024 aaaa\n\tbbbbb!|2024 ok" : "2024 ok");
        ck_assert_uint_eq(k.end, strlen(in));
        sl_line_reader_free(&lr);
    }
}
END_TEST

START_TEST(ml_crlf_inside_groups)
{
    const char *in = "2024 a\r\n\tat x\r\n\r\n2024 b\r\n";
    start_log log = {0};
    sl_line_reader lr;
    init_ml(&lr, 1024, SL_LONG_TRUNCATE, &log);
    collected k;
    collect_init(&k, in, strlen(in), false);
    sl_chunk *c;
    sl_line_reader_feed(&lr, in, strlen(in), &c);
    take(&k, c);
    take(&k, sl_line_reader_finish(&lr));
    /* the line breaks inside a group are kept as they were; the group's
     * last CR goes like a single line's */
    ck_assert_str_eq(k.out, "2024 a\r\n\tat x\r\n|2024 b");
    ck_assert_uint_eq(log.bad, 0);
    ck_assert_uint_eq(log.calls, 3);   /* the first line starts a group untested */
    sl_line_reader_free(&lr);
}
END_TEST

/* A file opened in the middle of a trace: the lines before the first
 * start line are one event of their own, not lost, not glued on. */
START_TEST(ml_continuation_before_any_start)
{
    const char *in = "\tat x\n\tat y\n2024 a\n\tat z\n";
    start_log log = {0};
    sl_line_reader lr;
    init_ml(&lr, 1024, SL_LONG_TRUNCATE, &log);
    collected k;
    collect_init(&k, in, strlen(in), false);
    sl_chunk *c;
    sl_line_reader_feed(&lr, in, strlen(in), &c);
    take(&k, c);
    ck_assert_str_eq(k.out, "\tat x\n\tat y");
    take(&k, sl_line_reader_finish(&lr));
    ck_assert_str_eq(k.out, "\tat x\n\tat y|2024 a\n\tat z");
    sl_line_reader_free(&lr);
}
END_TEST

/* The multiline timeout: the pending group goes out (complete lines
 * only); a partial line stays for later. */
START_TEST(ml_flush_group_emits_the_pending_group)
{
    const char *in = "2024 a\n\tat x\n\tat par" "tial\n2024 b\n";
    start_log log = {0};
    sl_line_reader lr;
    init_ml(&lr, 1024, SL_LONG_TRUNCATE, &log);
    collected k;
    collect_init(&k, in, strlen(in), false);
    ck_assert_ptr_null(sl_line_reader_flush_group(&lr));     /* nothing yet */
    sl_chunk *c;
    sl_line_reader_feed(&lr, in, 13, &c);                     /* "2024 a\n\tat x\n" */
    ck_assert_ptr_null(c);
    ck_assert_uint_eq(sl_line_reader_pending(&lr), 13);
    sl_line_reader_feed(&lr, in + 13, 7, &c);                 /* "\tat par" */
    ck_assert_ptr_null(c);
    c = sl_line_reader_flush_group(&lr);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->begin, 0);
    ck_assert_uint_eq(c->end, 13);
    take(&k, c);
    ck_assert_str_eq(k.out, "2024 a\n\tat x");
    ck_assert_uint_eq(sl_line_reader_pending(&lr), 7);
    ck_assert_ptr_null(sl_line_reader_flush_group(&lr));     /* flushed already */
    /* the rest of the partial line: it came after the flush, so it is an
     * event of its own */
    sl_line_reader_feed(&lr, in + 20, strlen(in) - 20, &c);
    take(&k, c);
    ck_assert_str_eq(k.out, "2024 a\n\tat x|\tat partial");
    take(&k, sl_line_reader_flush_group(&lr));
    ck_assert_str_eq(k.out, "2024 a\n\tat x|\tat partial|2024 b");
    ck_assert_uint_eq(k.end, strlen(in));
    ck_assert_uint_eq(sl_line_reader_pending(&lr), 0);
    ck_assert_ptr_null(sl_line_reader_finish(&lr));
    sl_line_reader_free(&lr);
}
END_TEST

/* The end of input: the pending group, with a partial last line joined
 * as if complete; reading may go on after. */
START_TEST(ml_finish_emits_the_pending_group)
{
    const char *in = "2024 a\n\tat x\n\tat y" "2024 b\n" "\tat c\n2024 d";
    start_log log = {0};
    sl_line_reader lr;
    init_ml(&lr, 1024, SL_LONG_TRUNCATE, &log);
    collected k;
    collect_init(&k, in, strlen(in), false);
    sl_chunk *c;
    sl_line_reader_feed(&lr, in, 18, &c);
    ck_assert_ptr_null(c);
    take(&k, sl_line_reader_finish(&lr));
    ck_assert_str_eq(k.out, "2024 a\n\tat x\n\tat y");
    ck_assert_uint_eq(k.end, 18);
    ck_assert_ptr_null(sl_line_reader_finish(&lr));
    /* more input after a finish: a new group */
    sl_line_reader_feed(&lr, in + 18, strlen(in) - 18, &c);
    take(&k, c);
    take(&k, sl_line_reader_finish(&lr));
    ck_assert_str_eq(k.out, "2024 a\n\tat x\n\tat y|2024 b\n\tat c|2024 d");
    ck_assert_uint_eq(k.end, strlen(in));
    sl_line_reader_free(&lr);
}
END_TEST

/* A byte source that hands out at most `step` bytes per read. */
typedef struct {
    const char *p;
    size_t len, at, step;
} trickle;

static ssize_t trickle_read(void *ctx, char *buf, size_t n)
{
    trickle *t = ctx;
    size_t k = t->len - t->at;
    if (k > t->step)
        k = t->step;
    if (k > n)
        k = n;
    memcpy(buf, t->p + t->at, k);
    t->at += k;
    return (ssize_t)k;
}

START_TEST(ml_reads_through_a_byte_source)
{
    for (size_t step = 1; step < 40; step += 3) {
        start_log log = {0};
        sl_line_reader lr;
        init_ml(&lr, 4096, SL_LONG_TRUNCATE, &log);
        lr.read_size = 16;                  /* many small buffers */
        trickle t = {java, strlen(java), 0, step};
        collected k;
        collect_init(&k, java, strlen(java), false);
        sl_chunk *c;
        ssize_t r;
        while ((r = sl_line_reader_read_from(&lr, trickle_read, &t, &c)) > 0)
            take(&k, c);
        ck_assert_int_eq(r, 0);
        take(&k, sl_line_reader_finish(&lr));
        ck_assert_msg(strcmp(k.out, java_events) == 0, "step %zu: %s", step, k.out);
        ck_assert_uint_eq(k.end, strlen(java));
        sl_line_reader_free(&lr);
    }
}
END_TEST

/* An idle file gives its read buffer back, but never what is pending (a
 * group waiting for its timeout, a partial line). */
START_TEST(ml_idle_frees_only_when_nothing_pending)
{
    start_log log = {0};
    sl_line_reader lr;
    init_ml(&lr, 1024, SL_LONG_TRUNCATE, &log);
    sl_line_reader_idle(&lr);                       /* nothing at all: fine */
    ck_assert_ptr_null(lr.cur);
    const char *in = "2024 a\n\tat x\n";
    trickle t = {in, strlen(in), 0, 64};
    sl_chunk *c;
    ck_assert_int_eq(sl_line_reader_read_from(&lr, trickle_read, &t, &c), 13);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(sl_line_reader_read_from(&lr, trickle_read, &t, &c), 0);   /* EOF */
    sl_line_reader_idle(&lr);                       /* a group is pending */
    ck_assert_ptr_nonnull(lr.cur);
    ck_assert_uint_eq(sl_line_reader_pending(&lr), 13);
    c = sl_line_reader_flush_group(&lr);
    ck_assert_str_eq(joined(c), "2024 a\n\tat x");
    sl_chunk_discard(c);
    /* a partial line only */
    t = (trickle){"2024 par", 8, 0, 64};
    ck_assert_int_eq(sl_line_reader_read_from(&lr, trickle_read, &t, &c), 8);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(sl_line_reader_read_from(&lr, trickle_read, &t, &c), 0);
    sl_line_reader_idle(&lr);
    ck_assert_ptr_nonnull(lr.cur);
    ck_assert_uint_eq(sl_line_reader_pending(&lr), 8);
    c = sl_line_reader_finish(&lr);
    ck_assert_str_eq(joined(c), "2024 par");
    ck_assert_uint_eq(c->begin, 13);
    ck_assert_uint_eq(c->end, 21);
    sl_chunk_discard(c);
    /* nothing pending: an empty read buffer is held until idle frees it */
    ck_assert_int_eq(sl_line_reader_read_from(&lr, trickle_read, &t, &c), 0);
    ck_assert_ptr_nonnull(lr.cur);
    ck_assert_uint_eq(sl_line_reader_pending(&lr), 0);
    sl_line_reader_idle(&lr);
    ck_assert_ptr_null(lr.cur);
    /* and reading goes on where it was */
    t = (trickle){"2024 b\n2024 c\n", 14, 0, 64};
    ck_assert_int_eq(sl_line_reader_read_from(&lr, trickle_read, &t, &c), 14);
    ck_assert_str_eq(joined(c), "2024 b");
    ck_assert_uint_eq(c->begin, 21);
    ck_assert_uint_eq(c->end, 28);
    sl_chunk_discard(c);
    c = sl_line_reader_finish(&lr);
    ck_assert_str_eq(joined(c), "2024 c");
    ck_assert_uint_eq(c->end, 35);
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
    TCase *ml = tcase_create("multiline");
    tcase_set_timeout(ml, 60);
    tcase_add_test(ml, ml_groups_a_stack_trace);
    tcase_add_test(ml, ml_stack_trace_split_at_every_byte);
    tcase_add_test(ml, ml_messy_input_split_at_every_byte);
    tcase_add_test(ml, ml_counts_cut_and_skipped_groups);
    tcase_add_test(ml, ml_group_over_max_line);
    tcase_add_test(ml, ml_crlf_inside_groups);
    tcase_add_test(ml, ml_continuation_before_any_start);
    tcase_add_test(ml, ml_flush_group_emits_the_pending_group);
    tcase_add_test(ml, ml_finish_emits_the_pending_group);
    tcase_add_test(ml, ml_reads_through_a_byte_source);
    tcase_add_test(ml, ml_idle_frees_only_when_nothing_pending);
    suite_add_tcase(s, ml);
    return sl_run_suite(s);
}
