/* test_handler_parse_regex.c: the parse_regex handler, including its
 * per-thread match data under concurrent workers. */
#include "check_main.h"
#include "handler_harness.h"

#include <pthread.h>

extern const sl_plugin sl_handler_parse_regex;

static const char cfg_typed[] =
    "{ pattern: '^(?<ip>\\S+) (?<status>\\d+) (?<t>[\\d.]+) (?<ok>\\w+)(?: (?<opt>x))?$', "
    "types: { status: int, t: float, ok: bool } }";

START_TEST(named_groups_typed)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_regex, cfg_typed), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "10.1.2.3 503 0.25 yes");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "ip", "10.1.2.3"));
    ck_assert(hh_int_is(ev, "status", 503));
    ck_assert(hh_float_is(ev, "t", 0.25));
    ck_assert(hh_bool_is(ev, "ok", true));
    ck_assert_ptr_null(hh_get(ev, "opt"));      /* did not take part */
    ck_assert_uint_eq(ev->fields.n, 4);         /* in pattern order */
    ck_assert_int_eq(memcmp(ev->fields.v[0].name, "ip", 2), 0);
    ck_assert_int_eq(memcmp(ev->fields.v[3].name, "ok", 2), 0);
    ev = hh_event(c, "10.1.2.3 503 0.25 maybe");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "group \"ok\" is not a bool"));
    ck_assert_uint_eq(ev->fields.n, 0);
    ev = hh_event(c, "nope");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "does not match"));
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(source_target_keep)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_regex,
                          "{ pattern: 'user=(?<user>\\w+)', source: m, target: r, "
                          "on_mismatch: keep }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "x");
    sl_event_set_string(ev, "m", "login user=bob ok", 17);
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "r.user", "bob"));
    ev = hh_event(c, "x");
    sl_event_set_string(ev, "m", "nothing", 7);
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert_ptr_null(hh_get(ev, "r"));
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(config_errors)
{
    hh h;
    ck_assert(!hh_open(&h, &sl_handler_parse_regex, "{ pattern: '(?<a>x' }"));
    ck_assert_ptr_nonnull(strstr(h.diag, "pattern:"));
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_parse_regex, "{ pattern: 'x+' }"));
    ck_assert_ptr_nonnull(strstr(h.diag, "no named group"));
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_parse_regex, "{ pattern: '(?<a>x)', types: { b: int } }"));
    ck_assert_ptr_nonnull(strstr(h.diag, "no group named \"b\""));
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_parse_regex, "{ pattern: '(?<a>x)', types: { a: long } }"));
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_parse_regex, "{ types: { a: int } }"));
    hh_close(&h);
}
END_TEST

typedef struct {
    hh *h, *h2;
    int fails;
} thr_arg;

static void *worker(void *p)
{
    thr_arg *a = p;
    for (int round = 0; round < 20; round++) {
        sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
        for (int i = 0; i < 200; i++) {
            char *line = sl_arena_alloc(&c->arena, 32);
            int n = snprintf(line, 32, "10.0.0.%d %d 1.5 no", i % 256, 100 + i);
            sl_event *ev = sl_chunk_add_event(c, line, (size_t)n, 0);
            const char *err;
            if (hh_run(a->h, ev, &err) != SL_HANDLER_PASS || !hh_int_is(ev, "status", 100 + i))
                a->fails++;
            if (hh_run(a->h2, ev, &err) != SL_HANDLER_PASS || !hh_str_is(ev, "r.user", "no"))
                a->fails++;
        }
        sl_chunk_discard(c);
    }
    return NULL;
}

START_TEST(concurrent_workers)
{
    hh h, h2;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_regex, cfg_typed), "%s", h.diag);
    ck_assert_msg(hh_open(&h2, &sl_handler_parse_regex,
                          "{ pattern: '(?<user>\\w+)$', target: r }"),
                  "%s", h2.diag);
    pthread_t t[4];
    thr_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (thr_arg){&h, &h2, 0};
        pthread_create(&t[i], NULL, worker, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(a[i].fails, 0);
    }
    hh_close(&h);
    hh_close(&h2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handler_parse_regex");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, named_groups_typed);
    tcase_add_test(tc, source_target_keep);
    tcase_add_test(tc, config_errors);
    tcase_add_test(tc, concurrent_workers);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
