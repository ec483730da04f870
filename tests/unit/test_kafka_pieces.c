/* test_kafka_pieces.c: the Kafka plugins' pure pieces: topic names from
 * templates (Kafka's characters only), and librdkafka properties set
 * without ever showing a secret or rejected value. */
#include "check_main.h"
#include <check.h>
#include <string.h>

#include "dest/kafka_common.h"
#include "dest/name_template.h"
#include "event.h"

START_TEST(topic_names)
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = sl_chunk_add_event(c, "m", 1, 1795428000LL * 1000000000LL);
    sl_event_set_string(ev, "app", "../a b/c!(x)*", 13);
    sl_event_set_int(ev, "shard", 7);
    sl_name_template *t = sl_name_template_new("logs-{app}-{shard}-%Y%m%d", SL_NAME_TOPIC);
    ck_assert(sl_name_template_varies(t));
    sl_buf b = {0};
    sl_name_template_render(t, ev, NULL, NULL, &b);
    ck_assert_str_eq(b.p, "logs-___a_b_c__x__-7-20261123");
    sl_buf_reset(&b);
    sl_name_template_render(t, sl_chunk_add_event(c, "n", 1, 0), NULL, NULL, &b);
    ck_assert_str_eq(b.p, "logs-unknown-unknown-19700101");
    sl_name_template_free(t);
    sl_buf_free(&b);
    sl_chunk_discard(c);
}
END_TEST

START_TEST(secret_properties)
{
    ck_assert(sl_kafka_secret_property("sasl.password"));
    ck_assert(sl_kafka_secret_property("ssl.key.password"));
    ck_assert(sl_kafka_secret_property("ssl.key.pem"));
    ck_assert(sl_kafka_secret_property("sasl.oauthbearer.client.secret"));
    ck_assert(sl_kafka_secret_property("sasl.oauthbearer.config"));
    ck_assert(!sl_kafka_secret_property("bootstrap.servers"));
    ck_assert(!sl_kafka_secret_property("security.protocol"));
}
END_TEST

START_TEST(conf_errors_hide_values)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[600];
    ck_assert_int_eq(sl_kafka_conf_set(conf, "linger.ms", "20", err, sizeof err), 0);
    ck_assert_int_eq(sl_kafka_conf_set(conf, "security.protocol", "HUNTER2", err, sizeof err), -1);
    ck_assert_ptr_null(strstr(err, "HUNTER2"));
    ck_assert_ptr_nonnull(strstr(err, "\"security.protocol\""));
    ck_assert_int_eq(sl_kafka_conf_set(conf, "no.such.thing", "x", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no.such.thing"));
    ck_assert_int_eq(sl_kafka_conf_set(conf, "ssl.key.password", "hunter2", err, sizeof err), 0);
    rd_kafka_conf_destroy(conf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_pieces");
    TCase *tc = tcase_create("kafka_pieces");
    tcase_add_test(tc, topic_names);
    tcase_add_test(tc, secret_properties);
    tcase_add_test(tc, conf_errors_hide_values);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
