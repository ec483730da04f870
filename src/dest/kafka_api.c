/* kafka_api.c: the librdkafka functions sluice calls (the kafka destination
 * and source), each forwarding to librdkafka.so.1, which is opened the
 * first time one is needed (src/util/lazy_lib.h says why sluice is not
 * linked against it). The prototypes are librdkafka's own: the compiler
 * checks each definition against <librdkafka/rdkafka.h>. */
#include <librdkafka/rdkafka.h>

#include "dest/kafka_common.h"
#include "util/lazy_lib.h"

enum {
    K_rd_kafka_assign,
    K_rd_kafka_commit,
    K_rd_kafka_conf_destroy,
    K_rd_kafka_conf_new,
    K_rd_kafka_conf_set,
    K_rd_kafka_conf_set_dr_msg_cb,
    K_rd_kafka_conf_set_error_cb,
    K_rd_kafka_conf_set_log_cb,
    K_rd_kafka_conf_set_offset_commit_cb,
    K_rd_kafka_conf_set_opaque,
    K_rd_kafka_conf_set_rebalance_cb,
    K_rd_kafka_consumer_close,
    K_rd_kafka_consumer_poll,
    K_rd_kafka_destroy,
    K_rd_kafka_err2name,
    K_rd_kafka_err2str,
    K_rd_kafka_error_code,
    K_rd_kafka_error_destroy,
    K_rd_kafka_error_string,
    K_rd_kafka_fatal_error,
    K_rd_kafka_flush,
    K_rd_kafka_header_cnt,
    K_rd_kafka_header_get_all,
    K_rd_kafka_incremental_assign,
    K_rd_kafka_incremental_unassign,
    K_rd_kafka_message_destroy,
    K_rd_kafka_message_errstr,
    K_rd_kafka_message_headers,
    K_rd_kafka_message_timestamp,
    K_rd_kafka_new,
    K_rd_kafka_opaque,
    K_rd_kafka_pause_partitions,
    K_rd_kafka_poll,
    K_rd_kafka_poll_set_consumer,
    K_rd_kafka_produceva,
    K_rd_kafka_queue_destroy,
    K_rd_kafka_queue_get_consumer,
    K_rd_kafka_queue_io_event_enable,
    K_rd_kafka_rebalance_protocol,
    K_rd_kafka_resume_partitions,
    K_rd_kafka_subscribe,
    K_rd_kafka_topic_destroy,
    K_rd_kafka_topic_name,
    K_rd_kafka_topic_new,
    K_rd_kafka_topic_partition_list_add,
    K_rd_kafka_topic_partition_list_destroy,
    K_rd_kafka_topic_partition_list_find,
    K_rd_kafka_topic_partition_list_new,
    K_rd_kafka_version_str,
    K_COUNT
};

static const char *const kafka_names[] = {
    "rd_kafka_assign",
    "rd_kafka_commit",
    "rd_kafka_conf_destroy",
    "rd_kafka_conf_new",
    "rd_kafka_conf_set",
    "rd_kafka_conf_set_dr_msg_cb",
    "rd_kafka_conf_set_error_cb",
    "rd_kafka_conf_set_log_cb",
    "rd_kafka_conf_set_offset_commit_cb",
    "rd_kafka_conf_set_opaque",
    "rd_kafka_conf_set_rebalance_cb",
    "rd_kafka_consumer_close",
    "rd_kafka_consumer_poll",
    "rd_kafka_destroy",
    "rd_kafka_err2name",
    "rd_kafka_err2str",
    "rd_kafka_error_code",
    "rd_kafka_error_destroy",
    "rd_kafka_error_string",
    "rd_kafka_fatal_error",
    "rd_kafka_flush",
    "rd_kafka_header_cnt",
    "rd_kafka_header_get_all",
    "rd_kafka_incremental_assign",
    "rd_kafka_incremental_unassign",
    "rd_kafka_message_destroy",
    "rd_kafka_message_errstr",
    "rd_kafka_message_headers",
    "rd_kafka_message_timestamp",
    "rd_kafka_new",
    "rd_kafka_opaque",
    "rd_kafka_pause_partitions",
    "rd_kafka_poll",
    "rd_kafka_poll_set_consumer",
    "rd_kafka_produceva",
    "rd_kafka_queue_destroy",
    "rd_kafka_queue_get_consumer",
    "rd_kafka_queue_io_event_enable",
    "rd_kafka_rebalance_protocol",
    "rd_kafka_resume_partitions",
    "rd_kafka_subscribe",
    "rd_kafka_topic_destroy",
    "rd_kafka_topic_name",
    "rd_kafka_topic_new",
    "rd_kafka_topic_partition_list_add",
    "rd_kafka_topic_partition_list_destroy",
    "rd_kafka_topic_partition_list_find",
    "rd_kafka_topic_partition_list_new",
    "rd_kafka_version_str",
};

/* The loaded function `name`, as the type of its declaration. */
#define KAFKA_FN(name) ((__typeof__(&(name)))sl_lazy_lib_fn(&kafka_lib, K_##name))

static void *kafka_fns[K_COUNT];
static sl_lazy_lib kafka_lib = {"librdkafka.so.1", kafka_names, K_COUNT, kafka_fns,
                                PTHREAD_ONCE_INIT, false, ""};

bool sl_kafka_lib_load(const char **why)
{
    return sl_lazy_lib_load(&kafka_lib, why);
}

rd_kafka_resp_err_t rd_kafka_assign(rd_kafka_t *rk,
                                    const rd_kafka_topic_partition_list_t *partitions)
{
    return KAFKA_FN(rd_kafka_assign)(rk, partitions);
}

rd_kafka_resp_err_t rd_kafka_commit(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *offsets,
                                    int async)
{
    return KAFKA_FN(rd_kafka_commit)(rk, offsets, async);
}

void rd_kafka_conf_destroy(rd_kafka_conf_t *conf)
{
    KAFKA_FN(rd_kafka_conf_destroy)(conf);
}

rd_kafka_conf_t *rd_kafka_conf_new(void)
{
    return KAFKA_FN(rd_kafka_conf_new)();
}

rd_kafka_conf_res_t rd_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                                      char *errstr, size_t errstr_size)
{
    return KAFKA_FN(rd_kafka_conf_set)(conf, name, value, errstr, errstr_size);
}

void rd_kafka_conf_set_dr_msg_cb(rd_kafka_conf_t *conf, void (*dr_msg_cb)(rd_kafka_t *rk,
                                 const rd_kafka_message_t *rkmessage, void *opaque))
{
    KAFKA_FN(rd_kafka_conf_set_dr_msg_cb)(conf, dr_msg_cb);
}

void rd_kafka_conf_set_error_cb(rd_kafka_conf_t *conf, void (*error_cb)(rd_kafka_t *rk, int err,
                                const char *reason, void *opaque))
{
    KAFKA_FN(rd_kafka_conf_set_error_cb)(conf, error_cb);
}

void rd_kafka_conf_set_log_cb(rd_kafka_conf_t *conf, void (*log_cb)(const rd_kafka_t *rk,
                              int level, const char *fac, const char *buf))
{
    KAFKA_FN(rd_kafka_conf_set_log_cb)(conf, log_cb);
}

void rd_kafka_conf_set_offset_commit_cb(rd_kafka_conf_t *conf,
                                        void (*offset_commit_cb)(rd_kafka_t *rk,
                                              rd_kafka_resp_err_t err,
                                              rd_kafka_topic_partition_list_t *offsets,
                                              void *opaque))
{
    KAFKA_FN(rd_kafka_conf_set_offset_commit_cb)(conf, offset_commit_cb);
}

void rd_kafka_conf_set_opaque(rd_kafka_conf_t *conf, void *opaque)
{
    KAFKA_FN(rd_kafka_conf_set_opaque)(conf, opaque);
}

void rd_kafka_conf_set_rebalance_cb(rd_kafka_conf_t *conf, void (*rebalance_cb)(rd_kafka_t *rk,
                                     rd_kafka_resp_err_t err,
                                     rd_kafka_topic_partition_list_t *partitions, void *opaque))
{
    KAFKA_FN(rd_kafka_conf_set_rebalance_cb)(conf, rebalance_cb);
}

rd_kafka_resp_err_t rd_kafka_consumer_close(rd_kafka_t *rk)
{
    return KAFKA_FN(rd_kafka_consumer_close)(rk);
}

rd_kafka_message_t *rd_kafka_consumer_poll(rd_kafka_t *rk, int timeout_ms)
{
    return KAFKA_FN(rd_kafka_consumer_poll)(rk, timeout_ms);
}

void rd_kafka_destroy(rd_kafka_t *rk)
{
    KAFKA_FN(rd_kafka_destroy)(rk);
}

const char *rd_kafka_err2name(rd_kafka_resp_err_t err)
{
    return KAFKA_FN(rd_kafka_err2name)(err);
}

const char *rd_kafka_err2str(rd_kafka_resp_err_t err)
{
    return KAFKA_FN(rd_kafka_err2str)(err);
}

rd_kafka_resp_err_t rd_kafka_error_code(const rd_kafka_error_t *error)
{
    return KAFKA_FN(rd_kafka_error_code)(error);
}

void rd_kafka_error_destroy(rd_kafka_error_t *error)
{
    KAFKA_FN(rd_kafka_error_destroy)(error);
}

const char *rd_kafka_error_string(const rd_kafka_error_t *error)
{
    return KAFKA_FN(rd_kafka_error_string)(error);
}

rd_kafka_resp_err_t rd_kafka_fatal_error(rd_kafka_t *rk, char *errstr, size_t errstr_size)
{
    return KAFKA_FN(rd_kafka_fatal_error)(rk, errstr, errstr_size);
}

rd_kafka_resp_err_t rd_kafka_flush(rd_kafka_t *rk, int timeout_ms)
{
    return KAFKA_FN(rd_kafka_flush)(rk, timeout_ms);
}

size_t rd_kafka_header_cnt(const rd_kafka_headers_t *hdrs)
{
    return KAFKA_FN(rd_kafka_header_cnt)(hdrs);
}

rd_kafka_resp_err_t rd_kafka_header_get_all(const rd_kafka_headers_t *hdrs, size_t idx,
                                            const char **namep, const void **valuep, size_t *sizep)
{
    return KAFKA_FN(rd_kafka_header_get_all)(hdrs, idx, namep, valuep, sizep);
}

rd_kafka_error_t *rd_kafka_incremental_assign(rd_kafka_t *rk,
                                              const rd_kafka_topic_partition_list_t *partitions)
{
    return KAFKA_FN(rd_kafka_incremental_assign)(rk, partitions);
}

rd_kafka_error_t *rd_kafka_incremental_unassign(rd_kafka_t *rk,
                                                const rd_kafka_topic_partition_list_t *partitions)
{
    return KAFKA_FN(rd_kafka_incremental_unassign)(rk, partitions);
}

void rd_kafka_message_destroy(rd_kafka_message_t *rkmessage)
{
    KAFKA_FN(rd_kafka_message_destroy)(rkmessage);
}

const char *rd_kafka_message_errstr(const rd_kafka_message_t *rkmessage)
{
    return KAFKA_FN(rd_kafka_message_errstr)(rkmessage);
}

rd_kafka_resp_err_t rd_kafka_message_headers(const rd_kafka_message_t *rkmessage,
                                             rd_kafka_headers_t **hdrsp)
{
    return KAFKA_FN(rd_kafka_message_headers)(rkmessage, hdrsp);
}

int64_t rd_kafka_message_timestamp(const rd_kafka_message_t *rkmessage,
                                   rd_kafka_timestamp_type_t *tstype)
{
    return KAFKA_FN(rd_kafka_message_timestamp)(rkmessage, tstype);
}

rd_kafka_t *rd_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr,
                         size_t errstr_size)
{
    return KAFKA_FN(rd_kafka_new)(type, conf, errstr, errstr_size);
}

void *rd_kafka_opaque(const rd_kafka_t *rk)
{
    return KAFKA_FN(rd_kafka_opaque)(rk);
}

rd_kafka_resp_err_t rd_kafka_pause_partitions(rd_kafka_t *rk,
                                              rd_kafka_topic_partition_list_t *partitions)
{
    return KAFKA_FN(rd_kafka_pause_partitions)(rk, partitions);
}

int rd_kafka_poll(rd_kafka_t *rk, int timeout_ms)
{
    return KAFKA_FN(rd_kafka_poll)(rk, timeout_ms);
}

rd_kafka_resp_err_t rd_kafka_poll_set_consumer(rd_kafka_t *rk)
{
    return KAFKA_FN(rd_kafka_poll_set_consumer)(rk);
}

rd_kafka_error_t *rd_kafka_produceva(rd_kafka_t *rk, const rd_kafka_vu_t *vus, size_t cnt)
{
    return KAFKA_FN(rd_kafka_produceva)(rk, vus, cnt);
}

void rd_kafka_queue_destroy(rd_kafka_queue_t *rkqu)
{
    KAFKA_FN(rd_kafka_queue_destroy)(rkqu);
}

rd_kafka_queue_t *rd_kafka_queue_get_consumer(rd_kafka_t *rk)
{
    return KAFKA_FN(rd_kafka_queue_get_consumer)(rk);
}

void rd_kafka_queue_io_event_enable(rd_kafka_queue_t *rkqu, int fd, const void *payload,
                                    size_t size)
{
    KAFKA_FN(rd_kafka_queue_io_event_enable)(rkqu, fd, payload, size);
}

const char *rd_kafka_rebalance_protocol(rd_kafka_t *rk)
{
    return KAFKA_FN(rd_kafka_rebalance_protocol)(rk);
}

rd_kafka_resp_err_t rd_kafka_resume_partitions(rd_kafka_t *rk,
                                               rd_kafka_topic_partition_list_t *partitions)
{
    return KAFKA_FN(rd_kafka_resume_partitions)(rk, partitions);
}

rd_kafka_resp_err_t rd_kafka_subscribe(rd_kafka_t *rk,
                                       const rd_kafka_topic_partition_list_t *topics)
{
    return KAFKA_FN(rd_kafka_subscribe)(rk, topics);
}

void rd_kafka_topic_destroy(rd_kafka_topic_t *rkt)
{
    KAFKA_FN(rd_kafka_topic_destroy)(rkt);
}

const char *rd_kafka_topic_name(const rd_kafka_topic_t *rkt)
{
    return KAFKA_FN(rd_kafka_topic_name)(rkt);
}

rd_kafka_topic_t *rd_kafka_topic_new(rd_kafka_t *rk, const char *topic, rd_kafka_topic_conf_t *conf)
{
    return KAFKA_FN(rd_kafka_topic_new)(rk, topic, conf);
}

rd_kafka_topic_partition_t *rd_kafka_topic_partition_list_add(
    rd_kafka_topic_partition_list_t *rktparlist, const char *topic, int32_t partition)
{
    return KAFKA_FN(rd_kafka_topic_partition_list_add)(rktparlist, topic, partition);
}

void rd_kafka_topic_partition_list_destroy(rd_kafka_topic_partition_list_t *rkparlist)
{
    KAFKA_FN(rd_kafka_topic_partition_list_destroy)(rkparlist);
}

rd_kafka_topic_partition_t *rd_kafka_topic_partition_list_find(
    const rd_kafka_topic_partition_list_t *rktparlist, const char *topic, int32_t partition)
{
    return KAFKA_FN(rd_kafka_topic_partition_list_find)(rktparlist, topic, partition);
}

rd_kafka_topic_partition_list_t *rd_kafka_topic_partition_list_new(int size)
{
    return KAFKA_FN(rd_kafka_topic_partition_list_new)(size);
}

const char *rd_kafka_version_str(void)
{
    return KAFKA_FN(rd_kafka_version_str)();
}

