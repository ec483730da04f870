/* test_lazy_lib.c: libraries opened on first use: a missing library and a
 * missing function are reported by name, a present one is loaded once, and
 * the libcurl and librdkafka forwarders reach the real libraries. */
#include "check_main.h"
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>
#include <string.h>

#include "dest/curl_api.h"
#include "dest/kafka_common.h"
#include "util/lazy_lib.h"

START_TEST(missing_library)
{
    static const char *const names[] = {"nothing"};
    void *fns[1];
    sl_lazy_lib l = {"libsluice-no-such-library.so.9", names, 1, fns, PTHREAD_ONCE_INIT, false, ""};
    const char *why = NULL;
    ck_assert(!sl_lazy_lib_load(&l, &why));
    ck_assert_ptr_nonnull(strstr(why, "cannot load libsluice-no-such-library.so.9"));
    why = NULL;
    ck_assert(!sl_lazy_lib_load(&l, &why));     /* the same answer, not retried */
    ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(missing_function)
{
    static const char *const names[] = {"zlibVersion", "sluice_no_such_function"};
    void *fns[2];
    sl_lazy_lib l = {"libz.so.1", names, 2, fns, PTHREAD_ONCE_INIT, false, ""};
    const char *why = NULL;
    ck_assert(!sl_lazy_lib_load(&l, &why));
    ck_assert_str_eq(why, "libz.so.1 has no function sluice_no_such_function: a version too "
                          "old for sluice");
}
END_TEST

START_TEST(present_library)
{
    static const char *const names[] = {"zlibVersion"};
    void *fns[1];
    sl_lazy_lib l = {"libz.so.1", names, 1, fns, PTHREAD_ONCE_INIT, false, ""};
    ck_assert(sl_lazy_lib_load(&l, NULL));
    const char *(*version)(void) = (const char *(*)(void))sl_lazy_lib_fn(&l, 0);
    ck_assert(version()[0] >= '1');
}
END_TEST

START_TEST(curl_and_kafka_forwarders)
{
    const char *why = NULL;
    ck_assert_msg(sl_curl_lib_load(&why), "%s", why ? why : "");
    ck_assert_msg(sl_kafka_lib_load(&why), "%s", why ? why : "");
    ck_assert_str_eq(curl_easy_strerror(CURLE_OK), "No error");
    ck_assert_ptr_nonnull(curl_version_info(CURLVERSION_NOW)->version);
    ck_assert_str_eq(rd_kafka_err2name(RD_KAFKA_RESP_ERR__QUEUE_FULL), "_QUEUE_FULL");
    /* the variadic ones pass long, pointer and off_t arguments through */
    CURL *h = curl_easy_init();
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1500L), CURLE_OK);
    ck_assert_int_eq(curl_easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:9/x"), CURLE_OK);
    ck_assert_int_eq(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)3), CURLE_OK);
    char *url = NULL;
    ck_assert_int_eq(curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url), CURLE_OK);
    ck_assert_str_eq(url, "http://127.0.0.1:9/x");
    curl_easy_cleanup(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lazy_lib");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, missing_library);
    tcase_add_test(tc, missing_function);
    tcase_add_test(tc, present_library);
    tcase_add_test(tc, curl_and_kafka_forwarders);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
