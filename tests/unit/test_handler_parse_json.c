/* test_handler_parse_json.c: the parse_json handler. */
#include "check_main.h"
#include "handler_harness.h"

#include <jansson.h>

extern const sl_plugin sl_handler_parse_json;

START_TEST(object_into_fields_nested_kept)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_json, ""), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "{\"s\":\"x\\u00e9\\n\",\"i\":-42,\"f\":1.5,\"t\":true,\"n\":null,"
                               "\"o\":{\"a\":{\"b\":\"deep\"}},\"arr\":[1,\"two\",{\"k\":3}],"
                               "\"nul\":\"a\\u0000b\"}");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "s", "x\xc3\xa9\n"));
    ck_assert(hh_int_is(ev, "i", -42));
    ck_assert(hh_float_is(ev, "f", 1.5));
    ck_assert(hh_bool_is(ev, "t", true));
    ck_assert_int_eq(hh_get(ev, "n")->type, SL_VAL_NULL);
    ck_assert(hh_str_is(ev, "o.a.b", "deep"));
    ck_assert(hh_str_is(ev, "arr", "[1,\"two\",{\"k\":3}]"));
    sl_value *v = hh_get(ev, "nul");
    ck_assert(v && v->type == SL_VAL_STRING && v->u.s.n == 3 && memcmp(v->u.s.p, "a\0b", 3) == 0);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(wrapped_json_second_pass_target_arrays_map)
{
    hh outer, inner;
    ck_assert_msg(hh_open(&outer, &sl_handler_parse_json, ""), "%s", outer.diag);
    ck_assert_msg(hh_open(&inner, &sl_handler_parse_json,
                          "{ source: log, target: app, arrays: map }"),
                  "%s", inner.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    /* as Docker writes it: the application's JSON line as a string */
    sl_event *ev = hh_event(c, "{\"log\":\"{\\\"level\\\":\\\"warn\\\",\\\"ids\\\":[7,8]}\\n\","
                               "\"stream\":\"stdout\"}");
    ck_assert_int_eq(hh_run(&outer, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "stream", "stdout"));
    ck_assert_int_eq(hh_run(&inner, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "app.level", "warn"));
    ck_assert(hh_int_is(ev, "app.ids.0", 7));
    ck_assert(hh_int_is(ev, "app.ids.1", 8));
    sl_chunk_discard(c);
    hh_close(&outer);
    hh_close(&inner);
}
END_TEST

START_TEST(errors_keep_and_limits)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_json, "{ max_depth: 2, max_fields: 3 }"), "%s",
                  h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "{\"a\":");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "invalid JSON"));
    ev = hh_event(c, "[1,2]");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "not a JSON object"));
    ev = hh_event(c, "{\"a\":{\"b\":{\"c\":1}}}");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "a.b", "{\"c\":1}"));     /* deeper than 2: its text */
    ev = hh_event(c, "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert_uint_eq(ev->fields.n, 3);
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_parse_json, "{ on_error: keep, source: nope }"), "%s",
                  h.diag);
    ev = hh_event(c, "{}");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(invalid_utf8_becomes_replacement_characters)
{
    /* nginx's escape=json writes bytes of 0x80 and up as they are */
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_json, ""), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "{\"request\":\"GET /raw\xffx?q=\xfe HTTP/1.1\",\"ok\":\"\xc3\xbc\","
                               "\"cut\":\"\xe2\x82\",\"n\":1}");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "request", "GET /raw\xef\xbf\xbdx?q=\xef\xbf\xbd HTTP/1.1"));
    ck_assert(hh_str_is(ev, "ok", "\xc3\xbc"));
    ck_assert(hh_str_is(ev, "cut", "\xef\xbf\xbd\xef\xbf\xbd"));
    ck_assert(hh_int_is(ev, "n", 1));
    /* still invalid JSON after the repair: an error */
    ev = hh_event(c, "{\"a\":\"\xff\"");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "invalid JSON"));
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(jansson_outside_events_still_uses_the_heap)
{
    /* the allocator swap must leave other jansson users (and objects made
     * before or after an event) working */
    json_t *o = json_pack("{s:s, s:[i,i]}", "k", "v", "a", 1, 2);
    ck_assert_ptr_nonnull(o);
    char *s = json_dumps(o, JSON_COMPACT);
    ck_assert_str_eq(s, "{\"k\":\"v\",\"a\":[1,2]}");
    free(s);    /* as other jansson users do */
    json_decref(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handler_parse_json");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, object_into_fields_nested_kept);
    tcase_add_test(tc, wrapped_json_second_pass_target_arrays_map);
    tcase_add_test(tc, errors_keep_and_limits);
    tcase_add_test(tc, invalid_utf8_becomes_replacement_characters);
    tcase_add_test(tc, jansson_outside_events_still_uses_the_heap);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
