/* test_ack_watermark.c: the contiguous-ack watermark a checkpoint records:
 * in-order and out-of-order acks (checked against a simple model over
 * random permutations), gaps of skipped bytes, idle advances, bad acks,
 * and the ring growing while its head is not at slot 0. */
#include "check_main.h"
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/ack_watermark.h"

/* The model: ranges in stream order with an acked flag. The watermark is
 * the end of the longest all-acked prefix; a gap before the first
 * unacked range is skipped bytes, so it counts as done too. */
typedef struct {
    uint64_t begin, end;
    bool acked;
} model_range;

static uint64_t model_position(uint64_t start, const model_range *r, size_t n)
{
    uint64_t pos = start;
    for (size_t i = 0; i < n; i++) {
        if (r[i].begin > pos)
            pos = r[i].begin;
        if (!r[i].acked)
            break;
        pos = r[i].end;
    }
    return pos;
}

static size_t model_in_flight(const model_range *r, size_t n)
{
    size_t i = 0;
    while (i < n && r[i].acked)
        i++;
    return n - i;
}

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void shuffle(size_t *v, size_t n, uint64_t *seed)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next(seed) % i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* n ranges from `start`, each 1..100 bytes, with a gap of skipped bytes
 * before about one in four. */
static model_range *make_ranges(size_t n, uint64_t start, uint64_t *seed)
{
    model_range *r = calloc(n, sizeof *r);
    ck_assert_ptr_nonnull(r);
    uint64_t pos = start;
    for (size_t i = 0; i < n; i++) {
        if (rng_next(seed) % 4 == 0)
            pos += 1 + rng_next(seed) % 50;
        r[i].begin = pos;
        pos += 1 + rng_next(seed) % 100;
        r[i].end = pos;
    }
    return r;
}

START_TEST(in_order_acks_advance_one_range_at_a_time)
{
    sl_ack_watermark w;
    sl_wm_init(&w, 100);
    ck_assert_uint_eq(sl_wm_position(&w), 100);
    sl_wm_push(&w, 100, 150);
    sl_wm_push(&w, 150, 200);
    sl_wm_push(&w, 200, 210);
    ck_assert_uint_eq(sl_wm_in_flight(&w), 3);
    ck_assert_uint_eq(sl_wm_position(&w), 100);
    ck_assert(sl_wm_ack(&w, 100));
    ck_assert_uint_eq(sl_wm_position(&w), 150);
    ck_assert_uint_eq(sl_wm_in_flight(&w), 2);
    ck_assert(sl_wm_ack(&w, 150));
    ck_assert_uint_eq(sl_wm_position(&w), 200);
    ck_assert(sl_wm_ack(&w, 200));
    ck_assert_uint_eq(sl_wm_position(&w), 210);
    ck_assert_uint_eq(sl_wm_in_flight(&w), 0);
    sl_wm_free(&w);
}
END_TEST

/* Acks in reverse: nothing is checkpointable until the oldest range is
 * acked, then everything is at once. */
START_TEST(reverse_acks_hold_until_the_oldest)
{
    sl_ack_watermark w;
    sl_wm_init(&w, 0);
    for (uint64_t i = 0; i < 40; i++)
        sl_wm_push(&w, i * 10, i * 10 + 10);
    for (uint64_t i = 40; i-- > 1;) {
        ck_assert(sl_wm_ack(&w, i * 10));
        ck_assert_uint_eq(sl_wm_position(&w), 0);
        ck_assert_uint_eq(sl_wm_in_flight(&w), 40);
    }
    ck_assert(sl_wm_ack(&w, 0));
    ck_assert_uint_eq(sl_wm_position(&w), 400);
    ck_assert_uint_eq(sl_wm_in_flight(&w), 0);
    sl_wm_free(&w);
}
END_TEST

/* 1000 ranges (with gaps), acked in a random order: after every ack the
 * watermark and the in-flight count are those of the model. */
START_TEST(random_permutations_match_the_model)
{
    enum { N = 1000 };
    for (uint64_t round = 0; round < 20; round++) {
        uint64_t seed = 0x9E3779B97F4A7C15ULL + round;
        uint64_t start = round * 12345;
        model_range *r = make_ranges(N, start, &seed);
        size_t order[N];
        for (size_t i = 0; i < N; i++)
            order[i] = i;
        shuffle(order, N, &seed);
        sl_ack_watermark w;
        sl_wm_init(&w, start);
        for (size_t i = 0; i < N; i++)
            sl_wm_push(&w, r[i].begin, r[i].end);
        ck_assert_uint_eq(sl_wm_position(&w), model_position(start, r, N));
        for (size_t k = 0; k < N; k++) {
            size_t i = order[k];
            ck_assert_msg(sl_wm_ack(&w, r[i].begin), "round %llu: ack %zu refused",
                          (unsigned long long)round, i);
            r[i].acked = true;
            ck_assert_uint_eq(sl_wm_position(&w), model_position(start, r, N));
            ck_assert_uint_eq(sl_wm_in_flight(&w), model_in_flight(r, N));
        }
        ck_assert_uint_eq(sl_wm_position(&w), r[N - 1].end);
        sl_wm_free(&w);
        free(r);
    }
}
END_TEST

/* As a source runs: pushes and acks interleave, acks come for random
 * ranges in flight. */
START_TEST(interleaved_pushes_and_acks_match_the_model)
{
    enum { N = 1000 };
    uint64_t seed = 42;
    model_range *r = make_ranges(N, 7, &seed);
    sl_ack_watermark w;
    sl_wm_init(&w, 7);
    size_t pushed = 0, acked = 0;
    while (acked < N) {
        if (pushed < N && (pushed == acked || rng_next(&seed) % 3 != 0)) {
            sl_wm_push(&w, r[pushed].begin, r[pushed].end);
            pushed++;
        } else {
            /* a random unacked range among those pushed */
            size_t pick = (size_t)(rng_next(&seed) % (pushed - acked)), i = 0;
            for (;; i++)
                if (!r[i].acked && pick-- == 0)
                    break;
            ck_assert(sl_wm_ack(&w, r[i].begin));
            r[i].acked = true;
            acked++;
        }
        ck_assert_uint_eq(sl_wm_position(&w), model_position(7, r, pushed));
        ck_assert_uint_eq(sl_wm_in_flight(&w), model_in_flight(r, pushed));
    }
    ck_assert_uint_eq(sl_wm_position(&w), r[N - 1].end);
    sl_wm_free(&w);
    free(r);
}
END_TEST

/* Bytes the reader skipped (an over-long line dropped) sit between
 * ranges: they count as done once the range before them is acked, and
 * before the first range as soon as it is pushed. */
START_TEST(gaps_are_skipped_bytes)
{
    sl_ack_watermark w;
    sl_wm_init(&w, 0);
    sl_wm_push(&w, 30, 40);                 /* 0..30 skipped */
    ck_assert_uint_eq(sl_wm_position(&w), 30);
    sl_wm_push(&w, 50, 60);                 /* 40..50 skipped */
    sl_wm_push(&w, 60, 70);
    ck_assert(sl_wm_ack(&w, 50));
    ck_assert_uint_eq(sl_wm_position(&w), 30);   /* 30..40 still in flight */
    ck_assert(sl_wm_ack(&w, 30));
    ck_assert_uint_eq(sl_wm_position(&w), 60);
    ck_assert_uint_eq(sl_wm_in_flight(&w), 1);
    sl_wm_push(&w, 100, 110);
    ck_assert(sl_wm_ack(&w, 60));
    ck_assert_uint_eq(sl_wm_position(&w), 100);  /* the gap up to the next range */
    ck_assert_uint_eq(sl_wm_in_flight(&w), 1);
    ck_assert(sl_wm_ack(&w, 100));
    ck_assert_uint_eq(sl_wm_position(&w), 110);
    sl_wm_free(&w);
}
END_TEST

/* An idle reader that skipped bytes moves the watermark, but never past
 * data still in flight, and never backwards. */
START_TEST(advance_idle_only_when_nothing_in_flight)
{
    sl_ack_watermark w;
    sl_wm_init(&w, 10);
    sl_wm_advance_idle(&w, 20);
    ck_assert_uint_eq(sl_wm_position(&w), 20);
    sl_wm_advance_idle(&w, 5);
    ck_assert_uint_eq(sl_wm_position(&w), 20);
    sl_wm_push(&w, 20, 30);
    sl_wm_advance_idle(&w, 500);
    ck_assert_uint_eq(sl_wm_position(&w), 20);
    ck_assert_uint_eq(sl_wm_in_flight(&w), 1);
    ck_assert(sl_wm_ack(&w, 20));
    ck_assert_uint_eq(sl_wm_position(&w), 30);
    sl_wm_advance_idle(&w, 500);
    ck_assert_uint_eq(sl_wm_position(&w), 500);
    sl_wm_free(&w);
}
END_TEST

/* An ack for something not in flight is refused and changes nothing. */
START_TEST(unknown_or_repeated_acks_are_refused)
{
    sl_ack_watermark w;
    sl_wm_init(&w, 0);
    ck_assert(!sl_wm_ack(&w, 0));           /* nothing in flight at all */
    sl_wm_push(&w, 0, 10);
    sl_wm_push(&w, 10, 20);
    sl_wm_push(&w, 20, 30);
    ck_assert(!sl_wm_ack(&w, 5));           /* inside a range, not its begin */
    ck_assert(!sl_wm_ack(&w, 30));          /* past the last range */
    ck_assert(sl_wm_ack(&w, 10));
    ck_assert(!sl_wm_ack(&w, 10));          /* acked already, still in flight */
    ck_assert_uint_eq(sl_wm_position(&w), 0);
    ck_assert_uint_eq(sl_wm_in_flight(&w), 3);
    ck_assert(sl_wm_ack(&w, 0));
    ck_assert_uint_eq(sl_wm_position(&w), 20);
    ck_assert(!sl_wm_ack(&w, 0));           /* acked and retired */
    ck_assert(!sl_wm_ack(&w, 10));
    ck_assert_uint_eq(sl_wm_position(&w), 20);
    ck_assert_uint_eq(sl_wm_in_flight(&w), 1);
    ck_assert(sl_wm_ack(&w, 20));
    ck_assert_uint_eq(sl_wm_position(&w), 30);
    sl_wm_free(&w);
}
END_TEST

/* The ring wraps (head moved on by acks) and then has to grow: the ranges
 * keep their order and every one of them can still be acked. */
START_TEST(ring_grows_while_wrapped)
{
    sl_ack_watermark w;
    sl_wm_init(&w, 0);
    uint64_t next = 0;
    for (int i = 0; i < 10; i++, next += 10)
        sl_wm_push(&w, next, next + 10);
    for (uint64_t b = 0; b < 70; b += 10)
        ck_assert(sl_wm_ack(&w, b));
    ck_assert_uint_eq(sl_wm_position(&w), 70);
    size_t cap = w.cap;
    ck_assert_uint_ne(w.head, 0);
    /* fill the ring so it wraps past its end, then beyond its capacity */
    while (w.count < cap) {
        sl_wm_push(&w, next, next + 10);
        next += 10;
    }
    ck_assert_uint_ne(w.head, 0);
    for (int i = 0; i < 3 * (int)cap; i++, next += 10)
        sl_wm_push(&w, next, next + 10);
    ck_assert_uint_gt(w.cap, cap);
    /* ack every other range first (nothing moves), then the rest */
    uint64_t first = 70, n = w.count;
    ck_assert_uint_eq(n, (next - first) / 10);
    for (uint64_t k = 1; k < n; k += 2)
        ck_assert(sl_wm_ack(&w, first + k * 10));
    ck_assert_uint_eq(sl_wm_position(&w), 70);
    for (uint64_t k = 0; k < n; k += 2) {
        ck_assert(sl_wm_ack(&w, first + k * 10));
        uint64_t want = first + (k + 2 < n ? k + 2 : n) * 10;
        ck_assert_uint_eq(sl_wm_position(&w), want);
    }
    ck_assert_uint_eq(sl_wm_position(&w), next);
    ck_assert_uint_eq(sl_wm_in_flight(&w), 0);
    sl_wm_free(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ack_watermark");
    TCase *tc = tcase_create("ack_watermark");
    tcase_add_test(tc, in_order_acks_advance_one_range_at_a_time);
    tcase_add_test(tc, reverse_acks_hold_until_the_oldest);
    tcase_add_test(tc, random_permutations_match_the_model);
    tcase_add_test(tc, interleaved_pushes_and_acks_match_the_model);
    tcase_add_test(tc, gaps_are_skipped_bytes);
    tcase_add_test(tc, advance_idle_only_when_nothing_in_flight);
    tcase_add_test(tc, unknown_or_repeated_acks_are_refused);
    tcase_add_test(tc, ring_grows_while_wrapped);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
