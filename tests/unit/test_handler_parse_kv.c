/* test_handler_parse_kv.c: the parse_kv handler and the logfmt parser. */
#include "check_main.h"
#include "handler_harness.h"
#include "parsers/kv.h"

extern const sl_plugin sl_handler_parse_kv;

START_TEST(logfmt_pairs)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_kv, ""), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "  level=info msg=\"hello \\\"world\\\"\\n\" took=12ms empty= "
                               "q=\"\" debug n=42\tpath=/a=b ");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "level", "info"));
    ck_assert(hh_str_is(ev, "msg", "hello \"world\"\n"));
    ck_assert(hh_str_is(ev, "took", "12ms"));
    ck_assert(hh_str_is(ev, "empty", ""));
    ck_assert(hh_str_is(ev, "q", ""));
    ck_assert(hh_bool_is(ev, "debug", true));
    ck_assert(hh_str_is(ev, "n", "42"));            /* no convert: strings */
    ck_assert(hh_str_is(ev, "path", "/a=b"));
    ck_assert_uint_eq(ev->fields.n, 8);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(convert_target_source_separator)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_kv,
                          "{ convert: true, target: kv, source: text, separator: ':' }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "m");
    sl_event_set_string(ev, "text", "a:1 b:-2.5 c:true d:false e:\"7\" f:1e3", 37);
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_int_is(ev, "kv.a", 1));
    ck_assert(hh_float_is(ev, "kv.b", -2.5));
    ck_assert(hh_bool_is(ev, "kv.c", true));
    ck_assert(hh_bool_is(ev, "kv.d", false));
    ck_assert(hh_str_is(ev, "kv.e", "7"));          /* quoted stays a string */
    ck_assert(hh_str_is(ev, "kv.f", "1e3"));
    sl_chunk_discard(c);
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_parse_kv, "{ separator: '=>' }"));
    ck_assert_ptr_nonnull(strstr(h.diag, "one character"));
    hh_close(&h);
}
END_TEST

START_TEST(errors_and_keep_and_limit)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_kv, "{ max_fields: 2 }"), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "a=1 b=\"unterminated");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "unterminated quote"));
    ck_assert_uint_eq(ev->fields.n, 0);
    ev = hh_event(c, "=x");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "empty key"));
    ev = hh_event(c, "a=1 b=2 c=3");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert_uint_eq(ev->fields.n, 2);
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_parse_kv, "{ on_error: keep }"), "%s", h.diag);
    ev = hh_event(c, "a=\"x");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert_uint_eq(ev->fields.n, 0);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(parser_edges)
{
    sl_kv_iter it;
    sl_kv_pair kv;
    const char *why;
    sl_kv_init(&it, "k=\"a\\", 5, '=');      /* backslash at the very end */
    ck_assert_int_eq(sl_kv_next(&it, &kv, &why), -1);
    sl_kv_init(&it, "", 0, '=');
    ck_assert_int_eq(sl_kv_next(&it, &kv, &why), 0);
    sl_kv_init(&it, "k\"x=1", 5, '=');
    ck_assert_int_eq(sl_kv_next(&it, &kv, &why), -1);
    char out[8];
    ck_assert_uint_eq(sl_kv_unescape("a\\qb\\", 5, out), 5);  /* unknown escape kept */
    ck_assert_int_eq(memcmp(out, "a\\qb\\", 5), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handler_parse_kv");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, logfmt_pairs);
    tcase_add_test(tc, convert_target_source_separator);
    tcase_add_test(tc, errors_and_keep_and_limit);
    tcase_add_test(tc, parser_edges);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
