/* test_handler_route.c: filter with text conditions, and the route, sample
 * and dedup handlers. */
#include <pthread.h>

#include "check_main.h"
#include "handler_harness.h"

extern const sl_plugin sl_handler_filter;
extern const sl_plugin sl_handler_route;
extern const sl_plugin sl_handler_sample;
extern const sl_plugin sl_handler_dedup;

static sl_event *req(sl_chunk *c, const char *path, int64_t status)
{
    sl_event *ev = hh_event(c, "line");
    sl_event_set_string(ev, "path", path, strlen(path));
    sl_event_set_int(ev, "status", status);
    return ev;
}

START_TEST(filter_text_condition)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_filter,
                          "{ drop_if: 'status >= 500 and not path =~ \"^/health\"' }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    ck_assert_int_eq(hh_run(&h, req(c, "/a", 503), NULL), SL_HANDLER_DROP);
    ck_assert_int_eq(hh_run(&h, req(c, "/healthz", 503), NULL), SL_HANDLER_PASS);
    ck_assert_int_eq(hh_run(&h, req(c, "/a", 200), NULL), SL_HANDLER_PASS);
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_filter, "{ keep_if: path prefix \"/api\" }"), "%s",
                  h.diag);
    ck_assert_int_eq(hh_run(&h, req(c, "/api/x", 200), NULL), SL_HANDLER_PASS);
    ck_assert_int_eq(hh_run(&h, req(c, "/x", 200), NULL), SL_HANDLER_DROP);
    ck_assert_int_eq(hh_run(&h, hh_event(c, "no fields"), NULL), SL_HANDLER_DROP);
    hh_close(&h);
    sl_chunk_discard(c);
}
END_TEST

static void bad(const sl_plugin *p, const char *yaml, const sl_handler_env *env,
                const char *want)
{
    hh h;
    ck_assert_msg(!hh_open_env(&h, p, yaml, env), "accepted: %s", yaml);
    ck_assert_msg(strstr(h.diag, want), "%s: got \"%s\", want \"%s\"", yaml, h.diag, want);
    hh_close(&h);
}

START_TEST(filter_text_errors)
{
    bad(&sl_handler_filter, "{ drop_if: 'status >= ' }", NULL,
        "test.yaml:1:23: error: filter: expected a field or a value");
    bad(&sl_handler_filter, "{ keep_if: '' }", NULL, "empty condition");
    bad(&sl_handler_filter, "{ keep_if: 'a == 1', drop_if: 'b == 2' }", NULL, "exactly one");
}
END_TEST

static const char *const dests[] = {"alerts", "archive", "api"};
static const sl_handler_env env3 = {dests, 3};

START_TEST(route_first_and_default)
{
    hh h;
    ck_assert_msg(hh_open_env(&h, &sl_handler_route,
                              "routes:\n"
                              "  - { if: 'status >= 500', to: [alerts, archive] }\n"
                              "  - { if: 'path prefix \"/api\"', to: [api] }\n"
                              "default: [archive]\n", &env3), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    ck_assert_int_eq(hh_run(&h, req(c, "/api/x", 503), NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(h.route, 3);                  /* first match only */
    ck_assert_int_eq(hh_run(&h, req(c, "/api/x", 200), NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(h.route, 4);
    ck_assert_int_eq(hh_run(&h, req(c, "/x", 200), NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(h.route, 2);                  /* default */
    hh_close(&h);
    sl_chunk_discard(c);
}
END_TEST

START_TEST(route_all_and_nowhere)
{
    hh h;
    ck_assert_msg(hh_open_env(&h, &sl_handler_route,
                              "mode: all\n"
                              "routes:\n"
                              "  - { if: 'status >= 500', to: alerts }\n"
                              "  - { if: 'path prefix \"/api\"', to: [api] }\n"
                              "  - { if: 'path == \"/drop\"', to: [] }\n"
                              "default: []\n", &env3), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    ck_assert_int_eq(hh_run(&h, req(c, "/api/x", 503), NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(h.route, 5);                  /* every match */
    ck_assert_int_eq(hh_run(&h, req(c, "/x", 200), NULL), SL_HANDLER_DROP);
    ck_assert_int_eq(hh_run(&h, req(c, "/drop", 200), NULL), SL_HANDLER_DROP);
    ck_assert_int_eq(hh_run(&h, req(c, "/drop", 500), NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(h.route, 1);
    hh_close(&h);
    /* no default: the pipeline's whole `to` */
    ck_assert_msg(hh_open_env(&h, &sl_handler_route,
                              "{ routes: [ { if: 'status >= 500', to: [alerts] } ] }", &env3),
                  "%s", h.diag);
    ck_assert_int_eq(hh_run(&h, req(c, "/x", 200), NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(h.route, 7);
    hh_close(&h);
    /* `default:` with no value: the same; a single name is a list of one */
    ck_assert_msg(hh_open_env(&h, &sl_handler_route,
                              "{ routes: [ { if: 'status >= 500', to: alerts } ], default: }",
                              &env3), "%s", h.diag);
    ck_assert_int_eq(hh_run(&h, req(c, "/x", 200), NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(h.route, 7);
    ck_assert_int_eq(hh_run(&h, req(c, "/x", 500), NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(h.route, 1);
    hh_close(&h);
    sl_chunk_discard(c);
}
END_TEST

START_TEST(route_errors)
{
    bad(&sl_handler_route, "{ routes: [ { if: 'a == 1', to: [alert] } ] }", &env3,
        "test.yaml:1:34: error: route: \"alert\" is not a destination of this pipeline's to "
        "(did you mean \"alerts\"?)");
    bad(&sl_handler_route, "{ routes: [ { if: 'a == 1', to: [zzzzzz] } ] }", &env3,
        "add it there first");
    bad(&sl_handler_route, "{ routes: [ { if: 'a == 1', to: [api] } ], default: [archiv] }",
        &env3, "did you mean \"archive\"");
    bad(&sl_handler_route, "{ routes: [ { if: 'a ==', to: [api] } ] }", &env3,
        "test.yaml:1:24: error: route: expected a field or a value");
    bad(&sl_handler_route, "{ routes: [ { iff: 'a == 1', to: [api] } ] }", &env3,
        "unknown key \"iff\" (did you mean \"if\"?)");
    bad(&sl_handler_route, "{ routes: [ { if: 'a == 1' } ] }", &env3, "needs \"to\"");
    bad(&sl_handler_route, "{ routes: [] }", &env3, "non-empty list");
    bad(&sl_handler_route, "{ routes: [ x ] }", &env3, "must be a map");
    bad(&sl_handler_route, "{ routes: [ { if: 'a == 1', to: { a: b } } ] }", &env3,
        "takes a list of destination names");
    bad(&sl_handler_route, "{ routes: [ { if: 'a == 1', to: [api] } ], mode: any }", &env3,
        "mode");
    bad(&sl_handler_route, "{ mode: all }", &env3, "routes");
}
END_TEST

START_TEST(sample_by_field)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_sample, "{ rate: 4, by: id }"), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    int kept = 0;
    char id[32];
    for (int i = 0; i < 4000; i++) {
        sl_event *ev = hh_event(c, "x");
        snprintf(id, sizeof id, "req-%d", i);
        sl_event_set_string(ev, "id", id, strlen(id));
        sl_handler_result r = hh_run(&h, ev, NULL);
        kept += r == SL_HANDLER_PASS;
        /* the same value, the same decision; an int prints as its text */
        sl_event *again = hh_event(c, "y");
        sl_event_set_string(again, "id", id, strlen(id));
        ck_assert_int_eq(hh_run(&h, again, NULL), r);
    }
    ck_assert_msg(kept > 800 && kept < 1200, "kept %d of 4000", kept);
    sl_event *ev = hh_event(c, "no id");
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);     /* no field: kept */
    sl_event *a = hh_event(c, "a"), *b = hh_event(c, "b");
    sl_event_set_int(a, "id", 12345);
    sl_event_set_string(b, "id", "12345", 5);
    ck_assert_int_eq(hh_run(&h, a, NULL), hh_run(&h, b, NULL));
    hh_close(&h);
    sl_chunk_discard(c);
}
END_TEST

START_TEST(sample_random)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_sample, "{ rate: 10 }"), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = hh_event(c, "x");
    int kept = 0;
    for (int i = 0; i < 20000; i++)
        kept += hh_run(&h, ev, NULL) == SL_HANDLER_PASS;
    ck_assert_msg(kept > 1600 && kept < 2400, "kept %d of 20000", kept);
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_sample, "{ rate: 1 }"), "%s", h.diag);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    hh_close(&h);
    bad(&sl_handler_sample, "{ rate: 0 }", NULL, "rate");
    bad(&sl_handler_sample, "{ by: id }", NULL, "rate");
    sl_chunk_discard(c);
}
END_TEST

static sl_handler_result dedup_run(hh *h, sl_chunk *c, const char *v)
{
    sl_event *ev = hh_event(c, "x");
    sl_event_set_string(ev, "k", v, strlen(v));
    return hh_run(h, ev, NULL);
}

START_TEST(dedup_window)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_dedup, "{ field: k, window: 200ms }"), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    ck_assert_int_eq(dedup_run(&h, c, "a"), SL_HANDLER_PASS);
    ck_assert_int_eq(dedup_run(&h, c, "b"), SL_HANDLER_PASS);
    ck_assert_int_eq(dedup_run(&h, c, "a"), SL_HANDLER_DROP);
    ck_assert_int_eq(dedup_run(&h, c, "b"), SL_HANDLER_DROP);
    ck_assert_int_eq(hh_run(&h, hh_event(c, "no k"), NULL), SL_HANDLER_PASS);
    ck_assert_int_eq(hh_run(&h, hh_event(c, "no k"), NULL), SL_HANDLER_PASS);
    struct timespec ts = {0, 250 * 1000000};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(dedup_run(&h, c, "a"), SL_HANDLER_PASS);   /* the window passed */
    ck_assert_int_eq(dedup_run(&h, c, "a"), SL_HANDLER_DROP);
    hh_close(&h);
    /* message as the key */
    ck_assert_msg(hh_open(&h, &sl_handler_dedup, "{ field: message }"), "%s", h.diag);
    ck_assert_int_eq(hh_run(&h, hh_event(c, "same"), NULL), SL_HANDLER_PASS);
    ck_assert_int_eq(hh_run(&h, hh_event(c, "same"), NULL), SL_HANDLER_DROP);
    ck_assert_int_eq(hh_run(&h, hh_event(c, "other"), NULL), SL_HANDLER_PASS);
    hh_close(&h);
    bad(&sl_handler_dedup, "{ window: 1s }", NULL, "field");
    bad(&sl_handler_dedup, "{ field: k, max_entries: 1 }", NULL, "max_entries");
    sl_chunk_discard(c);
}
END_TEST

START_TEST(dedup_bounded)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_dedup, "{ field: k, window: 1h, max_entries: 64 }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    char v[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(v, sizeof v, "v%d", i);
        ck_assert_int_eq(dedup_run(&h, c, v), SL_HANDLER_PASS);
    }
    /* the oldest were forgotten (at most 64 remembered), the newest not */
    ck_assert_int_eq(dedup_run(&h, c, "v0"), SL_HANDLER_PASS);
    ck_assert_int_eq(dedup_run(&h, c, "v4999"), SL_HANDLER_DROP);
    int dropped = 0;
    for (int i = 0; i < 5000; i++) {
        snprintf(v, sizeof v, "v%d", i);
        dropped += dedup_run(&h, c, v) == SL_HANDLER_DROP;
    }
    ck_assert_msg(dropped <= 64, "%d remembered", dropped);
    hh_close(&h);
    sl_chunk_discard(c);
}
END_TEST

/* Several threads on one dedup: each value passes exactly once. */
typedef struct {
    hh *h;
    int base;
    int passed;
} dedup_job;

static void *dedup_thread(void *arg)
{
    dedup_job *j = arg;
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    char v[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(v, sizeof v, "v%d", (i * 7 + j->base) % 5000);
        sl_event *ev = hh_event(c, "x");
        sl_event_set_string(ev, "k", v, strlen(v));
        sl_handler_ctx hc = {.ev = ev};
        j->passed += j->h->p->handler->process(j->h->st, ev, &hc) == SL_HANDLER_PASS;
    }
    sl_chunk_discard(c);
    return NULL;
}

START_TEST(dedup_threads)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_dedup, "{ field: k, window: 1h }"), "%s", h.diag);
    pthread_t t[4];
    dedup_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (dedup_job){&h, i * 1250, 0};
        pthread_create(&t[i], NULL, dedup_thread, &jobs[i]);
    }
    int passed = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        passed += jobs[i].passed;
    }
    ck_assert_int_eq(passed, 5000);
    hh_close(&h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handler_route");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, filter_text_condition);
    tcase_add_test(tc, filter_text_errors);
    tcase_add_test(tc, route_first_and_default);
    tcase_add_test(tc, route_all_and_nowhere);
    tcase_add_test(tc, route_errors);
    tcase_add_test(tc, sample_by_field);
    tcase_add_test(tc, sample_random);
    tcase_add_test(tc, dedup_window);
    tcase_add_test(tc, dedup_bounded);
    tcase_add_test(tc, dedup_threads);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
