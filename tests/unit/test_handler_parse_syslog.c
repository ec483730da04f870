/* test_handler_parse_syslog.c: the parse_syslog handler on lines from files. */
#include "check_main.h"
#include "handler_harness.h"

extern const sl_plugin sl_handler_parse_syslog;

START_TEST(rfc5424_with_structured_data)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_syslog, ""), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - "
                               "ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App\\\"lication\"]"
                               "[x@1 a=\"b\"] An application event");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "facility", "local4"));
    ck_assert(hh_str_is(ev, "severity", "notice"));
    ck_assert(hh_str_is(ev, "hostname", "mymachine.example.com"));
    ck_assert(hh_str_is(ev, "app_name", "evntslog"));
    ck_assert_ptr_null(hh_get(ev, "procid"));
    ck_assert(hh_str_is(ev, "msgid", "ID47"));
    ck_assert(hh_str_is(ev, "structured_data.exampleSDID@32473.iut", "3"));
    ck_assert(hh_str_is(ev, "structured_data.exampleSDID@32473.eventSource", "App\"lication"));
    ck_assert(hh_str_is(ev, "structured_data.x@1.a", "b"));
    ck_assert_uint_eq(ev->msg_len, strlen("An application event"));
    ck_assert_int_eq(memcmp(ev->msg, "An application event", ev->msg_len), 0);
    ck_assert_int_eq(ev->time_ns, INT64_C(1065910455003000000));
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(bsd_and_errors)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_syslog, ""), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = sl_chunk_add_event(c, "<34>Oct 11 22:14:15 mymachine su[123]: 'su root' failed",
                                      55, INT64_C(1065910455) * 1000000000);
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "facility", "auth"));
    ck_assert(hh_str_is(ev, "severity", "crit"));
    ck_assert(hh_str_is(ev, "hostname", "mymachine"));
    ck_assert(hh_str_is(ev, "app_name", "su"));
    ck_assert(hh_str_is(ev, "procid", "123"));
    ck_assert_int_eq(memcmp(ev->msg, "'su root' failed", ev->msg_len), 0);
    ev = hh_event(c, "<999>garbage");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "parse_syslog: "));
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_parse_syslog,
                          "{ on_error: keep, target: sys, replace_message: false }"),
                  "%s", h.diag);
    ev = hh_event(c, "<999>garbage");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert_ptr_nonnull(hh_get(ev, "sys.parse_error"));
    ck_assert_uint_eq(ev->msg_len, 12);
    ev = hh_event(c, "<13>1 - - - - - - hi");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "sys.msg", "hi"));
    ck_assert_uint_eq(ev->msg_len, 20);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handler_parse_syslog");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rfc5424_with_structured_data);
    tcase_add_test(tc, bsd_and_errors);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
