/* test_s3_pieces.c: the S3 destination's pure pieces: the shared
 * credentials file, the instance-metadata credentials document, and
 * object keys from templates (time, {uuid}, {field}, sanitising). */
#include "check_main.h"
#include <check.h>
#include <string.h>

#include "dest/aws_credentials.h"
#include "dest/name_template.h"
#include "event.h"

START_TEST(credentials_file_profiles)
{
    const char *text = "# comment\n[default]\naws_access_key_id = AKDEF\n"
                       "aws_secret_access_key=SKDEF\n\n[ ship ]\r\n"
                       "aws_access_key_id = AKSHIP  \naws_secret_access_key = SK/SHIP+x\n"
                       "aws_session_token = TOK\n[broken]\naws_access_key_id = ONLY\n";
    sl_aws_creds c;
    ck_assert_int_eq(sl_aws_parse_credentials_file(text, "default", &c), 0);
    ck_assert_str_eq(c.access_key_id, "AKDEF");
    ck_assert_str_eq(c.secret_access_key, "SKDEF");
    ck_assert_str_eq(c.session_token, "");
    ck_assert_int_eq(sl_aws_parse_credentials_file(text, "ship", &c), 0);
    ck_assert_str_eq(c.access_key_id, "AKSHIP");
    ck_assert_str_eq(c.secret_access_key, "SK/SHIP+x");
    ck_assert_str_eq(c.session_token, "TOK");
    ck_assert_int_eq(sl_aws_parse_credentials_file(text, "broken", &c), -1);
    ck_assert_int_eq(sl_aws_parse_credentials_file(text, "missing", &c), -1);
    ck_assert_int_eq(sl_aws_parse_credentials_file("", "default", &c), -1);
}
END_TEST

START_TEST(imds_document)
{
    sl_aws_creds c;
    char err[200];
    const char *doc = "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\\/k\","
                      "\"Token\":\"T\",\"Expiration\":\"2030-01-02T03:04:05Z\"}";
    ck_assert_int_eq(sl_aws_parse_imds_document(doc, &c, err, sizeof err), 0);
    ck_assert_str_eq(c.access_key_id, "ASIA1");
    ck_assert_str_eq(c.secret_access_key, "s/k");
    ck_assert_str_eq(c.session_token, "T");
    ck_assert_int_eq(c.expires, 1893553445);
    ck_assert_int_eq(sl_aws_parse_imds_document("{\"Code\":\"Failure\"}", &c, err, sizeof err), -1);
    ck_assert_int_eq(sl_aws_parse_imds_document("not json", &c, err, sizeof err), -1);
    ck_assert_int_eq(sl_aws_parse_imds_document("{\"AccessKeyId\":\"A\"}", &c, err, sizeof err), -1);
}
END_TEST

static sl_event *event_at(sl_chunk *c, int64_t t_ns)
{
    return sl_chunk_add_event(c, "m", 1, t_ns);
}

START_TEST(object_keys)
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *first = event_at(c, 1795428000LL * 1000000000LL);    /* 2026-11-23T10:00:00Z */
    sl_event *later = event_at(c, 1795438800LL * 1000000000LL);    /* 13:00 */
    sl_event_set_string(later, "app", "../../etc/pass wd", 17);
    sl_name_template *t = sl_name_template_new("logs/%Y/%m/%d/%H/{app}-{uuid}.gz",
                                               SL_NAME_OBJECT_KEY);
    ck_assert(sl_name_template_has_fields(t));
    sl_buf b = {0};
    sl_name_template_render(t, later, first, "U", &b);
    /* time from the batch's first event; the field value made safe */
    ck_assert_str_eq(b.p, "logs/2026/11/23/10/______etc_pass_wd-U.gz");
    sl_buf_reset(&b);
    sl_name_template_render(t, first, first, NULL, &b);
    ck_assert_uint_eq(b.len, strlen("logs/2026/11/23/10/unknown-") + 36 + 3);
    ck_assert(b.p[27 + 14] == '4');             /* a version 4 UUID */
    sl_buf_free(&b);
    sl_name_template_free(t);
    ck_assert_ptr_null(sl_name_template_check("a/%Y/{x}"));
    ck_assert_ptr_nonnull(sl_name_template_check("a/{x"));
    ck_assert_ptr_nonnull(sl_name_template_check("a/{}"));
    ck_assert_ptr_nonnull(sl_name_template_check("a/%Q"));
    sl_chunk_discard(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("s3_pieces");
    TCase *tc = tcase_create("s3_pieces");
    tcase_add_test(tc, credentials_file_profiles);
    tcase_add_test(tc, imds_document);
    tcase_add_test(tc, object_keys);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
