/* test_handler_parse_nginx.c: the parse_nginx handler and its line parser. */
#include "check_main.h"
#include "handler_harness.h"
#include "parsers/nginx_log.h"

extern const sl_plugin sl_handler_parse_nginx;

static const char combined_line[] =
    "203.0.113.7 - alice [10/Oct/2000:13:55:36 -0700] \"GET /a/b.html?x=1&y=2 HTTP/1.1\" "
    "200 2326 \"http://example.com/start\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\"";

START_TEST(combined_fields_and_time)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_nginx, ""), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = hh_event(c, combined_line);
    const char *err;
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "remote_addr", "203.0.113.7"));
    ck_assert(hh_str_is(ev, "remote_user", "alice"));
    ck_assert(hh_str_is(ev, "method", "GET"));
    ck_assert(hh_str_is(ev, "path", "/a/b.html"));
    ck_assert(hh_str_is(ev, "query", "x=1&y=2"));
    ck_assert(hh_str_is(ev, "protocol", "HTTP/1.1"));
    ck_assert(hh_int_is(ev, "status", 200));
    ck_assert(hh_int_is(ev, "body_bytes_sent", 2326));
    ck_assert(hh_str_is(ev, "http_referer", "http://example.com/start"));
    ck_assert(hh_str_is(ev, "http_user_agent", "Mozilla/4.08 [en] (Win98; I ;Nav)"));
    ck_assert_ptr_null(hh_get(ev, "time_local"));
    ck_assert_ptr_null(hh_get(ev, "request"));
    /* 2000-10-10T20:55:36Z */
    ck_assert_int_eq(ev->time_ns, INT64_C(971211336) * 1000000000);
    /* the message is left as it was */
    ck_assert_uint_eq(ev->msg_len, strlen(combined_line));
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(dash_escapes_and_odd_requests)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_nginx, ""), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    /* "-" values are omitted; \xHH escapes decoded (quote, non-ASCII, control) */
    sl_event *ev = hh_event(c, "::1 - - [01/Jan/2024:00:00:00 +0000] "
                               "\"GET /caf\\xC3\\xA9?q=\\x22hi\\x22\\x01 HTTP/2.0\" 404 0 \"-\" "
                               "\"curl/8 \\x5Cx\"");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert_ptr_null(hh_get(ev, "remote_user"));
    ck_assert_ptr_null(hh_get(ev, "http_referer"));
    ck_assert(hh_str_is(ev, "path", "/caf\xC3\xA9"));
    ck_assert(hh_str_is(ev, "query", "q=\"hi\"\x01"));
    ck_assert(hh_str_is(ev, "http_user_agent", "curl/8 \\x"));
    ck_assert(hh_int_is(ev, "status", 404));
    ck_assert_int_eq(ev->time_ns, INT64_C(1704067200) * 1000000000);
    /* a request line that is not one (TLS bytes on a plain port) stays whole */
    ev = hh_event(c, "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"\\x16\\x03\\x01\" 400 157 \"-\" \"-\"");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "request", "\x16\x03\x01"));
    ck_assert_ptr_null(hh_get(ev, "method"));
    ck_assert_ptr_null(hh_get(ev, "http_user_agent"));
    /* "-" request (nginx logs it for an empty connection) */
    ev = hh_event(c, "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"-\" 400 0 \"-\" \"-\"");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert_ptr_null(hh_get(ev, "request"));
    /* HTTP/0.9-style request without protocol, no query */
    ev = hh_event(c, "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"GET /\" 200 5 \"-\" \"-\"");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "path", "/"));
    ck_assert_ptr_null(hh_get(ev, "query"));
    ck_assert_ptr_null(hh_get(ev, "protocol"));
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(errors_have_reasons_and_no_half_fields)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_nginx, ""), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "garbage");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "does not match"));
    ev = hh_event(c, "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1\" abc 5 \"-\" \"-\"");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "$status is not a number"));
    ck_assert_uint_eq(ev->fields.n, 0);
    ev = hh_event(c, "1.2.3.4 - - [41/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"-\"");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "$time_local is not a time"));
    /* the line ends early */
    ev = hh_event(c, "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\"");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(custom_format_numbers_iso_time_source_target)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_nginx,
                          "{ format: '$remote_addr [$time_iso8601] \"$request\" $status "
                          "$bytes_sent $request_time $${upstream_response_time} $request_length "
                          "\"$http_x_forwarded_for\" $ssl_protocol', source: raw, target: "
                          "nginx, dash: empty }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = hh_event(c, "msg");
    const char *line = "10.0.0.1 [2024-02-29T23:59:59+01:00] \"POST /api HTTP/1.1\" 502 512 "
                       "0.250 0.101, 0.149 1024 \"-\" TLSv1.3";
    sl_event_set_string(ev, "raw", line, strlen(line));
    const char *err;
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);   /* "0.101, 0.149" has a space */
    ev = hh_event(c, "msg");
    line = "10.0.0.1 [2024-02-29T23:59:59+01:00] \"POST /api HTTP/1.1\" 502 512 "
           "0.250 0.101,0.149 1024 \"-\" TLSv1.3";
    sl_event_set_string(ev, "raw", line, strlen(line));
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "nginx.remote_addr", "10.0.0.1"));
    ck_assert(hh_str_is(ev, "nginx.method", "POST"));
    ck_assert(hh_int_is(ev, "nginx.status", 502));
    ck_assert(hh_int_is(ev, "nginx.bytes_sent", 512));
    ck_assert(hh_float_is(ev, "nginx.request_time", 0.25));
    /* an upstream list is kept as text */
    ck_assert(hh_str_is(ev, "nginx.upstream_response_time", "0.101,0.149"));
    ck_assert(hh_int_is(ev, "nginx.request_length", 1024));
    ck_assert(hh_str_is(ev, "nginx.http_x_forwarded_for", ""));
    ck_assert(hh_str_is(ev, "nginx.ssl_protocol", "TLSv1.3"));
    ck_assert_int_eq(ev->time_ns, INT64_C(1709247599) * 1000000000);
    /* a missing source field */
    ev = hh_event(c, "msg");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "\"raw\" is missing"));
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(main_format_and_msec)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_nginx, "{ format: main }"), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "1.2.3.4 - - [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.1\" 200 5 "
                               "\"-\" \"ua\" \"9.9.9.9, 8.8.8.8\"");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "http_x_forwarded_for", "9.9.9.9, 8.8.8.8"));
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_parse_nginx, "{ format: '$msec $status', dash: keep }"),
                  "%s", h.diag);
    ev = hh_event(c, "1700000000.123 200");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(ev->time_ns, INT64_C(1700000000123000000));
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(bad_formats_are_config_errors)
{
    hh h;
    ck_assert(!hh_open(&h, &sl_handler_parse_nginx, "{ format: '$a$b' }"));
    ck_assert_ptr_nonnull(strstr(h.diag, "nothing between them"));
    ck_assert_ptr_nonnull(strstr(h.diag, "test.yaml:1:"));
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_parse_nginx, "{ format: 'no variables' }"));
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_parse_nginx, "{ format: '$${unclosed' }"));
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_parse_nginx, "{ dash: maybe }"));
    hh_close(&h);
}
END_TEST

START_TEST(unescape_false_for_decoded_text)
{
    /* $request from an escape=json log, already decoded by parse_json: a
     * literal backslash-x-4-1 stays as it is */
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_parse_nginx,
                          "{ source: request, format: '$request', unescape: false }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    const char *err;
    sl_event *ev = hh_event(c, "m");
    sl_event_set_string(ev, "request", "GET /a\\x41?q=\\x22 HTTP/1.1", 26);
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "path", "/a\\x41"));
    ck_assert(hh_str_is(ev, "query", "q=\\x22"));
    ck_assert(hh_str_is(ev, "method", "GET"));
    ck_assert(hh_str_is(ev, "protocol", "HTTP/1.1"));
    hh_close(&h);
    /* the default decodes them */
    ck_assert_msg(hh_open(&h, &sl_handler_parse_nginx, "{ source: request, format: '$request' }"),
                  "%s", h.diag);
    ev = hh_event(c, "m");
    sl_event_set_string(ev, "request", "GET /a\\x41?q=\\x22 HTTP/1.1", 26);
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "path", "/aA"));
    ck_assert(hh_str_is(ev, "query", "q=\""));
    hh_close(&h);
    sl_chunk_discard(c);
}
END_TEST

START_TEST(parser_helpers)
{
    int64_t ns;
    ck_assert(sl_ngx_time_local("01/Mar/2024:00:00:00 +0000", 26, &ns));
    ck_assert_int_eq(ns, INT64_C(1709251200) * 1000000000);
    ck_assert(!sl_ngx_time_local("01/Foo/2024:00:00:00 +0000", 26, &ns));
    ck_assert(sl_ngx_time_iso8601("1970-01-01T00:00:00Z", 20, &ns) && ns == 0);
    ck_assert(!sl_ngx_time_iso8601("1970-01-01 00:00:00Z", 20, &ns));
    ck_assert(!sl_ngx_msec("abc", 3, &ns));
    int64_t i;
    ck_assert(!sl_ngx_parse_int("", 0, &i));
    ck_assert(!sl_ngx_parse_int("-", 1, &i));
    ck_assert(!sl_ngx_parse_int("1234567890123456789", 19, &i));
    double d;
    ck_assert(!sl_ngx_parse_float(".", 1, &d));
    ck_assert(sl_ngx_parse_float("1.5", 3, &d) && d == 1.5);
    char out[16];
    ck_assert_uint_eq(sl_ngx_unescape("a\\x4", 4, out), 4);     /* short escape kept */
    ck_assert_uint_eq(sl_ngx_unescape("\\x41\\xzz", 8, out), 5);
    ck_assert_int_eq(memcmp(out, "A\\xzz", 5), 0);
    sl_ngx_request r;
    ck_assert(!sl_ngx_split_request("get / HTTP/1.1", 14, &r));
    ck_assert(sl_ngx_split_request("GET /a b HTTP/1.1", 17, &r));
    ck_assert_uint_eq(r.path.n, 4);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handler_parse_nginx");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, combined_fields_and_time);
    tcase_add_test(tc, dash_escapes_and_odd_requests);
    tcase_add_test(tc, errors_have_reasons_and_no_half_fields);
    tcase_add_test(tc, custom_format_numbers_iso_time_source_target);
    tcase_add_test(tc, main_format_and_msec);
    tcase_add_test(tc, bad_formats_are_config_errors);
    tcase_add_test(tc, unescape_false_for_decoded_text);
    tcase_add_test(tc, parser_helpers);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
