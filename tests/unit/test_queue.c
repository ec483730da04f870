/* test_queue.c: the source queue keeps its bounds, tells producers when
 * there is room again, and hands every chunk to exactly one consumer. */
#include "check_main.h"
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "queue.h"

static sl_chunk *chunk_with(uint32_t events, size_t bytes)
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    for (uint32_t i = 0; i < events; i++)
        sl_chunk_add_event(c, "x", 0, 0);
    c->bytes = bytes;
    return c;
}

static atomic_int space_calls;
static void on_space(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&space_calls, 1);
}

START_TEST(refuses_at_event_bound_and_wakes_at_half)
{
    sl_queue q;
    atomic_store(&space_calls, 0);
    sl_queue_init(&q, 100, 1 << 20, on_space, NULL);
    for (int i = 0; i < 4; i++)
        ck_assert(sl_queue_try_push(&q, chunk_with(25, 10)));
    sl_chunk *extra = chunk_with(25, 10);
    ck_assert(!sl_queue_try_push(&q, extra));     /* 100 events: full */
    ck_assert_int_eq(atomic_load(&space_calls), 0);
    sl_chunk_discard(sl_queue_pop(&q));           /* 75 left: not yet half */
    ck_assert_int_eq(atomic_load(&space_calls), 0);
    sl_chunk_discard(sl_queue_pop(&q));           /* 50: half, wake the producer */
    ck_assert_int_eq(atomic_load(&space_calls), 1);
    ck_assert(sl_queue_try_push(&q, extra));
    sl_chunk_discard(sl_queue_pop(&q));
    sl_chunk_discard(sl_queue_pop(&q));
    sl_chunk_discard(sl_queue_pop(&q));
    ck_assert_int_eq(atomic_load(&space_calls), 1);   /* nobody was waiting */
    sl_queue_destroy(&q);
}
END_TEST

/* keep_order relies on it: chunks are numbered 0, 1, 2... as taken, in
 * the order they were pushed. */
START_TEST(numbers_chunks_in_the_order_taken)
{
    sl_queue q;
    sl_queue_init(&q, 100, 1 << 20, NULL, NULL);
    sl_chunk *in[3];
    for (int i = 0; i < 3; i++)
        ck_assert(sl_queue_try_push(&q, in[i] = chunk_with(1, 1)));
    for (uint64_t i = 0; i < 3; i++) {
        sl_chunk *c = sl_queue_pop(&q);
        ck_assert_ptr_eq(c, in[i]);
        ck_assert_uint_eq(c->seq, i);
        sl_chunk_discard(c);
    }
    sl_chunk *late = chunk_with(1, 1);
    ck_assert(sl_queue_try_push(&q, late));
    ck_assert_uint_eq(sl_queue_pop(&q)->seq, 3);
    sl_chunk_discard(late);
    sl_queue_destroy(&q);
}
END_TEST

START_TEST(refuses_at_byte_bound)
{
    sl_queue q;
    sl_queue_init(&q, 1000000, 1000, NULL, NULL);
    ck_assert(sl_queue_try_push(&q, chunk_with(1, 600)));
    ck_assert(sl_queue_try_push(&q, chunk_with(1, 600)));   /* 600 < 1000: taken */
    sl_chunk *c = chunk_with(1, 1);
    ck_assert(!sl_queue_try_push(&q, c));                    /* 1200 >= 1000 */
    size_t ev, by;
    sl_queue_stats(&q, &ev, &by);
    ck_assert_uint_eq(ev, 2);
    ck_assert_uint_eq(by, 1200);
    sl_chunk_discard(c);
    sl_chunk_discard(sl_queue_pop(&q));
    sl_chunk_discard(sl_queue_pop(&q));
    sl_queue_destroy(&q);
}
END_TEST

START_TEST(empty_queue_takes_an_oversized_chunk)
{
    sl_queue q;
    sl_queue_init(&q, 10, 100, NULL, NULL);
    ck_assert(sl_queue_try_push(&q, chunk_with(50, 5000)));
    sl_chunk_discard(sl_queue_pop(&q));
    sl_queue_destroy(&q);
}
END_TEST

START_TEST(fifo_order_and_close)
{
    sl_queue q;
    sl_queue_init(&q, 100, 1 << 20, NULL, NULL);
    sl_chunk *a = chunk_with(1, 1), *b = chunk_with(1, 1);
    sl_queue_try_push(&q, a);
    sl_queue_try_push(&q, b);
    sl_queue_close(&q);
    ck_assert_ptr_eq(sl_queue_pop(&q), a);     /* closing still drains */
    ck_assert_ptr_eq(sl_queue_pop(&q), b);
    ck_assert_ptr_null(sl_queue_pop(&q));
    sl_chunk_discard(a);
    sl_chunk_discard(b);
    sl_queue_destroy(&q);
}
END_TEST

#define PRODUCERS 3
#define CONSUMERS 4
#define PER_PRODUCER 20000

typedef struct {
    sl_queue *q;
    atomic_long *sum;
    atomic_long *count;
    int id;
} party;

static void *produce(void *arg)
{
    party *p = arg;
    for (int i = 0; i < PER_PRODUCER; i++) {
        sl_chunk *c = chunk_with(1, 8);
        c->begin = (uint64_t)(p->id * PER_PRODUCER + i);
        while (!sl_queue_try_push(p->q, c))
            sched_yield();
    }
    return NULL;
}

static void *consume(void *arg)
{
    party *p = arg;
    sl_chunk *c;
    while ((c = sl_queue_pop(p->q)) != NULL) {
        atomic_fetch_add(p->sum, (long)c->begin);
        atomic_fetch_add(p->count, 1);
        sl_chunk_discard(c);
    }
    return NULL;
}

START_TEST(many_producers_and_consumers_lose_nothing)
{
    sl_queue q;
    sl_queue_init(&q, 64, 1 << 20, NULL, NULL);
    atomic_long sum = 0, count = 0;
    pthread_t pt[PRODUCERS], ct[CONSUMERS];
    party pp[PRODUCERS], cp[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++) {
        cp[i] = (party){&q, &sum, &count, i};
        pthread_create(&ct[i], NULL, consume, &cp[i]);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        pp[i] = (party){&q, &sum, &count, i};
        pthread_create(&pt[i], NULL, produce, &pp[i]);
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(pt[i], NULL);
    sl_queue_close(&q);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(ct[i], NULL);
    long n = (long)PRODUCERS * PER_PRODUCER;
    ck_assert_int_eq(atomic_load(&count), n);
    ck_assert_int_eq(atomic_load(&sum), n * (n - 1) / 2);   /* each exactly once */
    sl_queue_destroy(&q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("queue");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, refuses_at_event_bound_and_wakes_at_half);
    tcase_add_test(tc, numbers_chunks_in_the_order_taken);
    tcase_add_test(tc, refuses_at_byte_bound);
    tcase_add_test(tc, empty_queue_takes_an_oversized_chunk);
    tcase_add_test(tc, fifo_order_and_close);
    tcase_add_test(tc, many_producers_and_consumers_lose_nothing);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
