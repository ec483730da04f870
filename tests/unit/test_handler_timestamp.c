/* test_handler_timestamp.c: the timestamp handler: iso8601, unix, unix_ms,
 * patterns (nginx), time zones and errors. */
#include "check_main.h"
#include "handler_harness.h"
#include "util/tzif.h"

extern const sl_plugin sl_handler_timestamp;

#define NS 1000000000LL

static sl_handler_result ts(hh *h, sl_chunk *c, const char *val, int64_t *out, const char **err)
{
    sl_event *ev = hh_event(c, "x");
    ev->time_ns = -1;
    sl_event_set_string(ev, "t", val, strlen(val));
    sl_handler_result r = hh_run(h, ev, err);
    *out = ev->time_ns;
    return r;
}

static int64_t at(int64_t y, unsigned m, unsigned d, int hr, int mm, int ss)
{
    return (sl_days_from_civil(y, m, d) * 86400 + hr * 3600 + mm * 60 + ss) * NS;
}

START_TEST(iso8601)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_timestamp, "{ field: t }"), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    int64_t t;
    const char *err;
    ck_assert_int_eq(ts(&h, c, "2024-05-01T12:00:00Z", &t, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(t, at(2024, 5, 1, 12, 0, 0));
    ck_assert_int_eq(ts(&h, c, "2024-05-01T12:00:00.123456789+02:00", &t, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(t, at(2024, 5, 1, 10, 0, 0) + 123456789);
    ck_assert_int_eq(ts(&h, c, "2024-05-01 12:00:00.5-0130", &t, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(t, at(2024, 5, 1, 13, 30, 0) + NS / 2);
    ck_assert_int_eq(ts(&h, c, "2024-05-01T12:00:00", &t, &err), SL_HANDLER_PASS);  /* UTC */
    ck_assert_int_eq(t, at(2024, 5, 1, 12, 0, 0));
    ck_assert_int_eq(ts(&h, c, "2024-13-01T12:00:00Z", &t, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "does not match"));
    ck_assert_int_eq(t, -1);
    ck_assert_int_eq(ts(&h, c, "2024-05-01T12:00:00Zjunk", &t, &err), SL_HANDLER_ERROR);
    ck_assert_int_eq(ts(&h, c, "2024-05-01", &t, &err), SL_HANDLER_ERROR);
    ck_assert_int_eq(ts(&h, c, "2263-01-01T00:00:00Z", &t, &err), SL_HANDLER_ERROR);  /* past int64 ns */
    ck_assert_int_eq(ts(&h, c, "2262-01-01T00:00:00Z", &t, &err), SL_HANDLER_PASS);
    sl_event *ev = hh_event(c, "no field");
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "missing"));
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(unix_and_keep)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_timestamp, "{ field: t, format: unix, on_error: keep }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    int64_t t;
    const char *err;
    ck_assert_int_eq(ts(&h, c, "1700000000.25", &t, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(t, 1700000000 * NS + NS / 4);
    ck_assert_int_eq(ts(&h, c, "soon", &t, &err), SL_HANDLER_PASS);  /* keep: unchanged */
    ck_assert_int_eq(t, -1);
    sl_event *ev = hh_event(c, "x");
    sl_event_set_int(ev, "t", 1700000001);
    ck_assert_int_eq(hh_run(&h, ev, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(ev->time_ns, 1700000001 * NS);
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_timestamp, "{ field: t, format: unix_ms }"), "%s", h.diag);
    ck_assert_int_eq(ts(&h, c, "1700000000123", &t, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(t, 1700000000123LL * 1000000);
    ck_assert_int_eq(ts(&h, c, "77000000000013", &t, &err), SL_HANDLER_ERROR);  /* > int64 ns */
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(patterns_and_zones)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_timestamp,
                          "{ field: t, format: '%d/%b/%Y:%H:%M:%S %z' }"), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    int64_t t;
    const char *err;
    ck_assert_int_eq(ts(&h, c, "10/Oct/2000:13:55:36 -0700", &t, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(t, at(2000, 10, 10, 20, 55, 36));
    ck_assert_int_eq(ts(&h, c, "10/Foo/2000:13:55:36 -0700", &t, &err), SL_HANDLER_ERROR);
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_timestamp,
                          "{ field: t, format: '%Y%m%d %H%M%S.%f', timezone: Europe/Berlin }"),
                  "%s", h.diag);
    ck_assert_int_eq(ts(&h, c, "20240715 140000.001", &t, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(t, at(2024, 7, 15, 12, 0, 0) + 1000000);
    ck_assert_int_eq(ts(&h, c, "20240115 140000.0", &t, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(t, at(2024, 1, 15, 13, 0, 0));
    /* the repeated hour: the earlier instant */
    ck_assert_int_eq(ts(&h, c, "20241027 023000.0", &t, &err), SL_HANDLER_PASS);
    ck_assert_int_eq(t, at(2024, 10, 27, 0, 30, 0));
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_timestamp, "{ field: t, format: '%Y %q' }"));
    ck_assert_ptr_nonnull(strstr(h.diag, "unsupported directive"));
    hh_close(&h);
    /* a "%" at the very end (found by fuzz_timestamp: the check read past
     * the string's end) */
    ck_assert(!hh_open(&h, &sl_handler_timestamp, "{ field: t, format: '%Y %' }"));
    ck_assert_ptr_nonnull(strstr(h.diag, "unsupported directive"));
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_timestamp, "{ field: t, format: epoch }"));
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_timestamp, "{ field: t, timezone: Mars/Base }"));
    ck_assert_ptr_nonnull(strstr(h.diag, "unknown time zone"));
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_timestamp, ""));
    hh_close(&h);
    sl_chunk_discard(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handler_timestamp");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, iso8601);
    tcase_add_test(tc, unix_and_keep);
    tcase_add_test(tc, patterns_and_zones);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
