/* test_tzif.c: TZif zones from the system tz database, DST changes, the
 * footer rule after the last transition, and local -> UTC at the changes. */
#include "check_main.h"
#include "util/tzif.h"

static int64_t utc(int64_t y, unsigned m, unsigned d, int hh, int mm)
{
    return sl_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

START_TEST(berlin)
{
    char err[256];
    sl_tz *tz = sl_tz_load(NULL, "Europe/Berlin", err, sizeof err);
    ck_assert_msg(tz != NULL, "%s", err);
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2024, 1, 15, 12, 0)), 3600);
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2024, 7, 15, 12, 0)), 7200);
    /* 2024-03-31 01:00 UTC clocks go 02:00 -> 03:00 */
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2024, 3, 31, 0, 59)), 3600);
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2024, 3, 31, 1, 0)), 7200);
    /* far beyond the file's transitions: the footer rule */
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2050, 7, 1, 0, 0)), 7200);
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2050, 12, 1, 0, 0)), 3600);
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2050, 3, 27, 0, 59)), 3600);  /* last Sunday */
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2050, 3, 27, 1, 0)), 7200);
    /* local -> UTC */
    ck_assert_int_eq(sl_tz_local_to_utc(tz, utc(2024, 7, 15, 14, 0)), utc(2024, 7, 15, 12, 0));
    /* 02:30 on 2024-03-31 does not exist: read with +01:00 */
    ck_assert_int_eq(sl_tz_local_to_utc(tz, utc(2024, 3, 31, 2, 30)), utc(2024, 3, 31, 1, 30));
    /* 02:30 on 2024-10-27 happens twice: the earlier (+02:00) */
    ck_assert_int_eq(sl_tz_local_to_utc(tz, utc(2024, 10, 27, 2, 30)), utc(2024, 10, 27, 0, 30));
    ck_assert_int_eq(sl_tz_local_to_utc(tz, utc(2024, 10, 27, 3, 30)), utc(2024, 10, 27, 2, 30));
    sl_tz_free(tz);
}
END_TEST

START_TEST(southern_and_utc)
{
    char err[256];
    sl_tz *tz = sl_tz_load(NULL, "Australia/Sydney", err, sizeof err);
    ck_assert_msg(tz != NULL, "%s", err);
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2024, 1, 15, 0, 0)), 39600);
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2024, 7, 15, 0, 0)), 36000);
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2060, 1, 15, 0, 0)), 39600);
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2060, 7, 15, 0, 0)), 36000);
    sl_tz_free(tz);
    tz = sl_tz_load(NULL, "UTC", err, sizeof err);
    ck_assert_msg(tz != NULL, "%s", err);
    ck_assert_int_eq(sl_tz_offset_at(tz, utc(2024, 7, 15, 0, 0)), 0);
    ck_assert_int_eq(sl_tz_local_to_utc(tz, 12345), 12345);
    sl_tz_free(tz);
}
END_TEST

START_TEST(errors)
{
    char err[256];
    ck_assert_ptr_null(sl_tz_load(NULL, "Mars/Olympus", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "unknown time zone"));
    ck_assert_ptr_null(sl_tz_load(NULL, "../../etc/passwd", err, sizeof err));
    ck_assert_ptr_null(sl_tz_load(NULL, "/etc/passwd", err, sizeof err));
    ck_assert_ptr_null(sl_tz_parse((const unsigned char *)"TZif2", 5, err, sizeof err));
    unsigned char junk[64] = "TZif2";
    memset(junk + 20, 0xff, 24);
    ck_assert_ptr_null(sl_tz_parse(junk, sizeof junk, err, sizeof err));
    /* a minimal v2 file: one type (UTC), no transitions, then a footer */
    unsigned char v2[2 * (44 + 10) + 64];
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        memset(v2 + n, 0, 44);
        memcpy(v2 + n, "TZif2", 5);
        v2[n + 39] = 1;                         /* typecnt */
        v2[n + 43] = 4;                         /* charcnt */
        n += 44;
        memcpy(v2 + n, "\0\0\0\0\0\0UTC", 10);  /* ttinfo + "UTC\0" */
        n += 10;
    }
    size_t base = n;
    static const char *const footers[] = {
        "\nAAA-9999999999999999999\n",          /* offset out of range: no rule */
        "\nCET-1CEST,M3.5.0,M10.5.0/3\n",
        "\nAAA-1BBB,M13.1.0,M1.1.0\n",          /* bad month: no rule */
    };
    static const int32_t july[] = {0, 7200, 0};
    for (size_t i = 0; i < 3; i++) {
        n = base + strlen(footers[i]);
        memcpy(v2 + base, footers[i], strlen(footers[i]));
        sl_tz *tz = sl_tz_parse(v2, n, err, sizeof err);
        ck_assert_msg(tz != NULL, "%s", err);
        ck_assert_int_eq(sl_tz_offset_at(tz, 1721044800), july[i]);   /* 2024-07-15 */
        sl_tz_free(tz);
    }
    ck_assert_int_eq(sl_days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(sl_days_from_civil(2000, 3, 1), 11017);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tzif");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, berlin);
    tcase_add_test(tc, southern_and_utc);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
