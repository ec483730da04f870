/* test_handler_filter.c: the filter handler and its condition maps. */
#include "check_main.h"
#include "handler_harness.h"

extern const sl_plugin sl_handler_filter;

static sl_event *req(sl_chunk *c, const char *path, int64_t status, const char *method)
{
    sl_event *ev = hh_event(c, "line");
    sl_event_set_string(ev, "path", path, strlen(path));
    sl_event_set_int(ev, "status", status);
    if (method)
        sl_event_set_string(ev, "method", method, strlen(method));
    return ev;
}

static sl_handler_result run(hh *h, sl_chunk *c, const char *path, int64_t status,
                             const char *method)
{
    return hh_run(h, req(c, path, status, method), NULL);
}

START_TEST(drop_if_equals)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_filter, "{ drop_if: { field: path, equals: /healthz } }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    ck_assert_int_eq(run(&h, c, "/healthz", 200, NULL), SL_HANDLER_DROP);
    ck_assert_int_eq(run(&h, c, "/healthz/x", 200, NULL), SL_HANDLER_PASS);
    ck_assert_int_eq(run(&h, c, "/", 200, NULL), SL_HANDLER_PASS);
    sl_event *ev = hh_event(c, "no path");
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(keep_if_combined)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_filter,
                          "{ keep_if: { all: [ { field: status, ge: 400 }, "
                          "{ not: { field: path, matches: '^/static/' } }, "
                          "{ any: [ { exists: method }, { field: status, equals: 503 } ] } ] } }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    ck_assert_int_eq(run(&h, c, "/a", 404, "GET"), SL_HANDLER_PASS);
    ck_assert_int_eq(run(&h, c, "/a", 200, "GET"), SL_HANDLER_DROP);
    ck_assert_int_eq(run(&h, c, "/static/x.css", 404, "GET"), SL_HANDLER_DROP);
    ck_assert_int_eq(run(&h, c, "/a", 404, NULL), SL_HANDLER_DROP);
    ck_assert_int_eq(run(&h, c, "/a", 503, NULL), SL_HANDLER_PASS);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(comparisons_and_types)
{
    hh h;
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    ck_assert_msg(hh_open(&h, &sl_handler_filter, "{ drop_if: { field: status, lt: 300 } }"),
                  "%s", h.diag);
    ck_assert_int_eq(run(&h, c, "/", 299, NULL), SL_HANDLER_DROP);
    ck_assert_int_eq(run(&h, c, "/", 300, NULL), SL_HANDLER_PASS);
    sl_event *ev = hh_event(c, "x");
    sl_event_set_string(ev, "status", "204", 3);        /* numeric string */
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_DROP);
    ev = hh_event(c, "x");
    sl_event_set_string(ev, "status", "ok", 2);         /* not a number: false */
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_filter, "{ drop_if: { field: status, not_equals: 200 } }"),
                  "%s", h.diag);
    ck_assert_int_eq(run(&h, c, "/", 200, NULL), SL_HANDLER_PASS);
    ck_assert_int_eq(run(&h, c, "/", 500, NULL), SL_HANDLER_DROP);
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_filter,
                          "{ drop_if: { field: http.method, matches: '(?i)^options$' } }"),
                  "%s", h.diag);
    ev = hh_event(c, "x");
    sl_fields *m = sl_fields_new_map(c);
    sl_value *v = sl_fields_set(c, m, "method", 6);
    v->type = SL_VAL_STRING;
    v->u.s.p = "OPTIONS";
    v->u.s.n = 7;
    v = sl_event_set(ev, "http", 4);
    v->type = SL_VAL_MAP;
    v->u.map = m;
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_DROP);
    ck_assert_int_eq(run(&h, c, "/", 200, "OPTIONS"), SL_HANDLER_PASS);  /* top-level: not it */
    hh_close(&h);
    sl_chunk_discard(c);
}
END_TEST

static void bad(const char *yaml, const char *want)
{
    hh h;
    ck_assert_msg(!hh_open(&h, &sl_handler_filter, yaml), "accepted: %s", yaml);
    ck_assert_msg(strstr(h.diag, want), "%s: got \"%s\", want \"%s\"", yaml, h.diag, want);
    hh_close(&h);
}

START_TEST(condition_errors)
{
    bad("", "exactly one of drop_if and keep_if");
    bad("{ drop_if: { exists: a }, keep_if: { exists: b } }", "exactly one");
    bad("{ drop_if: [ a ] }", "must be a map");
    bad("{ drop_if: { field: a } }", "exactly one of equals");
    bad("{ drop_if: { field: a, equals: 1, lt: 2 } }", "exactly one of equals");
    bad("{ drop_if: { field: a, bigger: 2 } }", "one of equals");
    bad("{ drop_if: { equals: 2 } }", "needs 'field'");
    bad("{ drop_if: { field: a, lt: ten } }", "takes a number");
    bad("{ drop_if: { field: a, matches: '(' } }", "matches:");
    bad("{ drop_if: { any: [] } }", "non-empty list");
    bad("{ drop_if: { any: [ { exists: a } ], x: 1 } }", "only key");
    bad("{ drop_if: { not: { field: a, equals: [1] } } }", "single value");
    bad("{ drop_if: { exists: '' } }", "field name");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handler_filter");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, drop_if_equals);
    tcase_add_test(tc, keep_if_combined);
    tcase_add_test(tc, comparisons_and_types);
    tcase_add_test(tc, condition_errors);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
