/* test_ack.c: ack tokens fire exactly once, after every fan-out reference
 * is released, whichever threads release them. */
#include "check_main.h"
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "ack.h"

typedef struct {
    atomic_int fired;
    atomic_uint status;
} fire_log;

static void on_fire(sl_ack *a, unsigned status, void *ctx)
{
    (void)a;
    fire_log *l = ctx;
    atomic_fetch_add(&l->fired, 1);
    atomic_store(&l->status, status);
}

START_TEST(fires_when_creator_releases)
{
    fire_log l = {0};
    sl_ack a;
    sl_ack_init(&a, on_fire, &l);
    ck_assert(sl_ack_release(&a, 1));
    ck_assert_int_eq(atomic_load(&l.fired), 1);
    ck_assert_uint_eq(atomic_load(&l.status), 0);
}
END_TEST

/* One source event becomes 3 events sent to 2 destinations: 6 commits. */
START_TEST(fan_out_three_events_two_destinations)
{
    fire_log l = {0};
    sl_ack a;
    sl_ack_init(&a, on_fire, &l);
    sl_ack_ref(&a, 6);                   /* 3 events x 2 destinations */
    ck_assert(!sl_ack_release(&a, 1));   /* the worker lets go */
    for (int i = 0; i < 5; i++) {
        ck_assert(!sl_ack_release(&a, 1));
        ck_assert_int_eq(atomic_load(&l.fired), 0);
    }
    ck_assert(sl_ack_release(&a, 1));    /* the sixth commit */
    ck_assert_int_eq(atomic_load(&l.fired), 1);
}
END_TEST

/* Many source events share one token (a chunk); releases come in runs. */
START_TEST(fan_in_released_in_runs)
{
    fire_log l = {0};
    sl_ack a;
    sl_ack_init(&a, on_fire, &l);
    sl_ack_ref(&a, 100);
    ck_assert(!sl_ack_release(&a, 40));
    ck_assert(!sl_ack_release(&a, 59));
    ck_assert(!sl_ack_release(&a, 1));
    ck_assert_int_eq(atomic_load(&l.fired), 0);
    ck_assert(sl_ack_release(&a, 1));
    ck_assert_int_eq(atomic_load(&l.fired), 1);
}
END_TEST

START_TEST(status_bits_reach_the_callback)
{
    fire_log l = {0};
    sl_ack a;
    sl_ack_init(&a, on_fire, &l);
    sl_ack_ref(&a, 2);
    sl_ack_mark(&a, SL_ACK_DEAD_LETTERED);
    sl_ack_release(&a, 1);
    sl_ack_mark(&a, SL_ACK_FAILED);
    sl_ack_release(&a, 1);
    sl_ack_release(&a, 1);
    ck_assert_int_eq(atomic_load(&l.fired), 1);
    ck_assert_uint_eq(atomic_load(&l.status), SL_ACK_FAILED | SL_ACK_DEAD_LETTERED);
}
END_TEST

#define THREADS 8
#define PER_THREAD 20000

typedef struct {
    sl_ack *tokens;
    size_t n;
    atomic_int fired_by_me;
} releaser;

static void *release_all(void *arg)
{
    releaser *r = arg;
    for (size_t i = 0; i < r->n; i++)
        if (sl_ack_release(&r->tokens[i], 1))
            atomic_fetch_add(&r->fired_by_me, 1);
    return NULL;
}

/* Every token gets one reference per thread; all threads release at once:
 * each token fires exactly once in total. */
START_TEST(concurrent_release_fires_exactly_once)
{
    const size_t n = PER_THREAD;
    sl_ack *tokens = calloc(n, sizeof *tokens);
    fire_log l = {0};
    for (size_t i = 0; i < n; i++) {
        sl_ack_init(&tokens[i], on_fire, &l);
        sl_ack_ref(&tokens[i], THREADS - 1);   /* THREADS refs in all */
    }
    pthread_t th[THREADS];
    releaser r[THREADS];
    for (int t = 0; t < THREADS; t++) {
        r[t].tokens = tokens;
        r[t].n = n;
        atomic_init(&r[t].fired_by_me, 0);
        pthread_create(&th[t], NULL, release_all, &r[t]);
    }
    int total = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        total += atomic_load(&r[t].fired_by_me);
    }
    ck_assert_int_eq(total, (int)n);
    ck_assert_int_eq(atomic_load(&l.fired), (int)n);
    free(tokens);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ack");
    TCase *tc = tcase_create("ack");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fires_when_creator_releases);
    tcase_add_test(tc, fan_out_three_events_two_destinations);
    tcase_add_test(tc, fan_in_released_in_runs);
    tcase_add_test(tc, status_bits_reach_the_callback);
    tcase_add_test(tc, concurrent_release_fires_exactly_once);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
