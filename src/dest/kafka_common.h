/* kafka_common.h: what the kafka destination (src/dest/kafka.c, where
 * these live) and the kafka source (src/sources/kafka_source.c) share:
 * librdkafka properties set without ever showing a secret value,
 * librdkafka's log lines routed into sluice's log, and lists (brokers,
 * topics) joined into librdkafka's comma-separated form. */
#ifndef SLUICE_DEST_KAFKA_COMMON_H
#define SLUICE_DEST_KAFKA_COMMON_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "util/buf.h"

/* Is a librdkafka property one whose value must never be shown
 * (passwords, secrets, private keys, tokens, JAAS and OAUTHBEARER configs)? */
bool sl_kafka_secret_property(const char *name);
/* librdkafka is opened when first needed (src/dest/kafka_api.c): load it
 * (once). False, with *why, when it is not installed. */
bool sl_kafka_lib_load(const char **why);
/* rd_kafka_conf_set; on error, a message in err that names the property
 * and never includes the value when it is secret or librdkafka's message
 * would quote it. 0 or -1. */
int sl_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                      size_t errsz);
/* A log_cb for handles whose opaque starts with a `char *` label
 * ("destination \"k\""): into sluice's log, warnings rate-limited. */
void sl_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);
/* Appends the list's strings to b separated by commas ("a:9092,b:9092"),
 * then a terminating NUL byte. */
void sl_kafka_join_list(const sl_strlist *l, sl_buf *b);

#endif
