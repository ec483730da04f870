/* test_event.c: events, fields and chunk lifetime. */
#include "check_main.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

static int done_calls;
static unsigned done_status;
static void on_done(sl_chunk *c, unsigned status, void *ctx)
{
    (void)c;
    (void)ctx;
    done_calls++;
    done_status = status;
}

START_TEST(fields_set_get_replace_remove)
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = sl_chunk_add_event(c, "hello", 5, 42);
    ck_assert_ptr_null(sl_event_get(ev, "a", 1));
    sl_event_set_string(ev, "a", "x", 1);
    sl_event_set_int(ev, "n", 7);
    for (int i = 0; i < 40; i++) {   /* grow past the first array */
        char name[8];
        int k = snprintf(name, sizeof name, "f%d", i);
        char *nm = sl_event_strdup(ev, name, (size_t)k);
        sl_value *v = sl_event_set(ev, nm, (size_t)k);
        v->type = SL_VAL_INT;
        v->u.i = i;
    }
    ck_assert_uint_eq(ev->fields.n, 42);
    sl_value *v = sl_event_get(ev, "a", 1);
    ck_assert_int_eq(v->type, SL_VAL_STRING);
    ck_assert_int_eq(memcmp(v->u.s.p, "x", 1), 0);
    sl_event_set_string(ev, "a", "yy", 2);         /* replaces in place */
    ck_assert_uint_eq(ev->fields.n, 42);
    ck_assert_uint_eq(sl_event_get(ev, "a", 1)->u.s.n, 2);
    ck_assert_int_eq(sl_event_get(ev, "f39", 3)->u.i, 39);
    ck_assert(sl_fields_remove(&ev->fields, "n", 1));
    ck_assert(!sl_fields_remove(&ev->fields, "n", 1));
    ck_assert_uint_eq(ev->fields.n, 41);
    ck_assert_str_eq(ev->fields.v[0].name, "a");    /* order kept */
    ck_assert_str_eq(ev->fields.v[1].name, "f0");
    sl_chunk_discard(c);
}
END_TEST

START_TEST(clone_is_independent)
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = sl_chunk_add_event(c, "msg", 3, 1);
    sl_event_set_string(ev, "k", "v", 1);
    sl_event *cl = sl_event_clone(ev);
    ck_assert_uint_eq(c->n_events, 2);
    sl_event_set_string(cl, "k", "changed", 7);
    sl_event_set_int(cl, "extra", 1);
    ck_assert_uint_eq(sl_event_get(ev, "k", 1)->u.s.n, 1);
    ck_assert_ptr_null(sl_event_get(ev, "extra", 5));
    ck_assert_uint_eq(cl->msg_len, 3);
    ck_assert_int_eq(cl->time_ns, 1);
    sl_chunk_discard(c);
}
END_TEST

START_TEST(chunk_done_runs_once_when_released)
{
    done_calls = 0;
    sl_chunk *c = sl_chunk_new(NULL, 128, on_done, NULL);
    ck_assert_uint_ge(c->data_cap, 128);
    memcpy(c->data, "a\nb\n", 4);
    sl_chunk_add_event(c, c->data, 1, 0);
    sl_chunk_add_event(c, c->data + 2, 1, 0);
    sl_ack_ref(&c->ack, 2);              /* two deliveries in flight */
    sl_chunk_release(c, 1);              /* owner lets go */
    ck_assert_int_eq(done_calls, 0);
    sl_ack_mark(&c->ack, SL_ACK_FAILED);
    sl_chunk_release(c, 2);
    ck_assert_int_eq(done_calls, 1);
    ck_assert_uint_eq(done_status, SL_ACK_FAILED);
}
END_TEST

START_TEST(arena_handles_large_and_many_allocations)
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    for (int i = 0; i < 10000; i++) {
        char *p = sl_arena_alloc(&c->arena, 24);
        memset(p, 0xab, 24);
    }
    char *big = sl_arena_alloc(&c->arena, 1 << 20);
    memset(big, 1, 1 << 20);
    ck_assert_uint_ge(c->arena.allocated, 1u << 20);
    sl_chunk_discard(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("event");
    TCase *tc = tcase_create("event");
    tcase_add_test(tc, fields_set_get_replace_remove);
    tcase_add_test(tc, clone_is_independent);
    tcase_add_test(tc, chunk_done_runs_once_when_released);
    tcase_add_test(tc, arena_handles_large_and_many_allocations);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
