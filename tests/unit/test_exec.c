/* test_exec.c: the exec handler with /bin/sh children: the round trip
 * (message, fields, nested maps, time), replies that split, drop and fail,
 * invalid replies, a child that exits or hangs (the event fails, the next
 * one gets a new process), a missing command, and several threads sharing
 * a pool of processes. */
#include <pthread.h>

#include "check_main.h"
#include "handler_harness.h"

extern const sl_plugin sl_handler_exec;

/* A handler in sh: echo each event back, except for the lines that ask
 * for something else. */
#define SH_HANDLER                                                                              \
    "{ command: [ /bin/sh, -c, 'while IFS= read -r l; do case \"$l\" in "                      \
    "*kind=drop*) echo \"[]\";; "                                                              \
    "*kind=fail*) echo \"{\\\"error\\\": \\\"nope\\\"}\";; "                                   \
    "*kind=split*) echo \"[{\\\"message\\\": \\\"a\\\"}, {\\\"message\\\": \\\"b\\\", "        \
    "\\\"k\\\": 1, \\\"timestamp\\\": \\\"2020-01-02T03:04:05.5+01:00\\\"}]\";; "              \
    "*kind=junk*) echo \"not json\";; "                                                         \
    "*kind=exit*) exit 3;; "                                                                    \
    "*kind=hang*) sleep 5;; "                                                                   \
    "*) printf \"[%s]\\n\" \"$l\";; esac; done' ], "

static bool open_sh(hh *h, const char *extra)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "%s %s }", SH_HANDLER, extra);
    return hh_open(h, &sl_handler_exec, yaml);
}

START_TEST(round_trip)
{
    hh h;
    ck_assert_msg(open_sh(&h, "processes: 1"), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = hh_event(c, "hello \"quoted\" \\ world");
    ev->time_ns = 1700000000123456000LL;
    sl_event_set_string(ev, "user", "bob", 3);
    sl_event_set_int(ev, "n", -42);
    sl_fields *m = sl_fields_new_map(c);
    sl_value *v = sl_fields_set(c, m, "inner", 5);
    v->type = SL_VAL_FLOAT;
    v->u.f = 2.5;
    v = sl_event_set(ev, "map", 3);
    v->type = SL_VAL_MAP;
    v->u.map = m;
    const char *err = NULL;
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(ev->msg_len, strlen("hello \"quoted\" \\ world"));
    ck_assert(memcmp(ev->msg, "hello \"quoted\" \\ world", ev->msg_len) == 0);
    ck_assert(ev->time_ns == 1700000000123456000LL);
    ck_assert(hh_str_is(ev, "user", "bob"));
    ck_assert(hh_int_is(ev, "n", -42));
    ck_assert(hh_float_is(ev, "map.inner", 2.5));
    ck_assert_uint_eq(ev->fields.n, 3);     /* timestamp, message not fields */
    /* a NUL byte travels as \u0000 and comes back */
    ev = sl_chunk_add_event(c, "a\0b", 3, 0);
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(ev->msg_len == 3 && memcmp(ev->msg, "a\0b", 3) == 0);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(split_drop_fail_junk)
{
    hh h;
    ck_assert_msg(open_sh(&h, "processes: 1"), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err = NULL;
    ck_assert_int_eq(hh_run(&h, hh_event(c, "kind=drop"), &err), SL_HANDLER_DROP);
    ck_assert_int_eq(hh_run(&h, hh_event(c, "kind=fail"), &err), SL_HANDLER_ERROR);
    ck_assert_str_eq(err, "nope");
    ck_assert_int_eq(hh_run(&h, hh_event(c, "kind=junk"), &err), SL_HANDLER_ERROR);
    ck_assert_msg(strstr(err, "invalid reply from the handler process"), "%s", err);

    sl_event *ev = hh_event(c, "kind=split");
    ev->time_ns = 5;
    sl_handler_ctx hc = {.ev = ev};
    ck_assert_int_eq(h.p->handler->process(h.st, ev, &hc), SL_HANDLER_PASS);
    ck_assert(ev->msg_len == 1 && ev->msg[0] == 'a' && ev->time_ns == 5);
    ck_assert_uint_eq(hc.n_emitted, 1);
    sl_event *b = hc.emitted[0];
    ck_assert(b->msg_len == 1 && b->msg[0] == 'b');
    ck_assert(hh_int_is(b, "k", 1));
    ck_assert(b->time_ns == 1577930645500000000LL);    /* 2020-01-02T02:04:05.5Z */

    /* the same process still answers after all that */
    ck_assert_int_eq(hh_run(&h, hh_event(c, "plain"), &err), SL_HANDLER_PASS);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(exit_and_timeout)
{
    hh h;
    ck_assert_msg(open_sh(&h, "processes: 1, timeout: 300ms, restart_backoff: 1ms"), "%s",
                  h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err = NULL;
    ck_assert_int_eq(hh_run(&h, hh_event(c, "kind=exit"), &err), SL_HANDLER_ERROR);
    ck_assert_str_eq(err, "handler process exited with status 3");
    ck_assert_int_eq(hh_run(&h, hh_event(c, "after exit"), &err), SL_HANDLER_PASS);
    ck_assert_int_eq(hh_run(&h, hh_event(c, "kind=hang"), &err), SL_HANDLER_ERROR);
    ck_assert_msg(strncmp(err, "timed out after 300ms", 21) == 0, "%s", err);
    ck_assert_int_eq(hh_run(&h, hh_event(c, "after hang"), &err), SL_HANDLER_PASS);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(missing_command)
{
    hh h;
    ck_assert(!hh_open(&h, &sl_handler_exec, "{ command: [ no-such-program-here ] }"));
    ck_assert_msg(strstr(h.diag, "cannot run command \"no-such-program-here\": not found in PATH"),
                  "%s", h.diag);
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_exec, "{ command: /nonexistent/prog }"));
    ck_assert_msg(strstr(h.diag, "No such file or directory"), "%s", h.diag);
    hh_close(&h);
}
END_TEST

typedef struct {
    hh *h;
    int id, ok;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    for (int i = 0; i < 100; i++) {
        char line[64];
        snprintf(line, sizeof line, "w%d i%d", a->id, i);
        sl_event *ev = hh_event(c, line);
        sl_event_set_int(ev, "i", i);
        sl_handler_ctx hc = {.ev = ev};
        if (a->h->p->handler->process(a->h->st, ev, &hc) == SL_HANDLER_PASS &&
            ev->msg_len == strlen(line) && memcmp(ev->msg, line, ev->msg_len) == 0 &&
            hh_int_is(ev, "i", i))
            a->ok++;
    }
    sl_chunk_discard(c);
    return NULL;
}

START_TEST(threads_share_the_pool)
{
    hh h;
    ck_assert_msg(open_sh(&h, "processes: 3"), "%s", h.diag);
    pthread_t t[6];
    worker_arg a[6];
    for (int i = 0; i < 6; i++) {
        a[i] = (worker_arg){.h = &h, .id = i};
        pthread_create(&t[i], NULL, worker, &a[i]);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(a[i].ok, 100);
    }
    hh_close(&h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("exec");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, split_drop_fail_junk);
    tcase_add_test(tc, exit_and_timeout);
    tcase_add_test(tc, missing_command);
    tcase_add_test(tc, threads_share_the_pool);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
