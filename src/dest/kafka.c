/* kafka.c: the `kafka` destination, a librdkafka producer. Each event is
 * one Kafka message: encoded alone (sl_encode_event, the destination's
 * `encoding`, without the trailing newline), keyed by the `key` field,
 * to the topic the `topic` template names for it (name_template.c,
 * SL_NAME_TOPIC: values from events reduced to Kafka's topic characters),
 * with the event's time as the message timestamp.
 *
 * send() blocks, as the http destination does: it produces the batch,
 * then serves librdkafka's delivery reports (rd_kafka_poll on this thread,
 * which is where dr_msg_cb runs) until every message of the batch has
 * one. OK only when every report says committed (acks: all with the
 * idempotent producer by default: in the log of every in-sync replica,
 * in order, once). Otherwise RETRY when some failure may pass (timeouts,
 * brokers down, leadership changes: librdkafka has already retried those
 * internally within message_timeout), FAIL when every failure is one
 * librdkafka cannot get past (message too large, unknown topic,
 * authorization...), with sl_dest_set_error saying why. The messages of a
 * batch that were committed are remembered across its retries, so a retry
 * sends only those that failed (fewer duplicates; at-least-once either
 * way).
 *
 * Compression is librdkafka's (`kafka_compression`: per message set, as
 * Kafka consumers expect), not the runner's batch `compression`, which a
 * Kafka message cannot carry: setting that is a config error here.
 * `librdkafka` passes raw properties through (TLS, SASL, tuning); their
 * values are never logged. */
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dest.h"
#include "dest/kafka_common.h"
#include "dest/name_template.h"
#include "encode.h"
#include "log.h"
#include "runtime.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define KD "kafka"

enum { ACKS_ALL, ACKS_LEADER };

typedef struct {
    sl_strlist brokers;
    char *topic;
    char *key;
    int compression;
    int acks;
    int64_t message_timeout_ns;
    sl_strmap props;
} kafka_cfg;

static const char *const codecs[] = {"none", "gzip", "snappy", "lz4", "zstd", NULL};
static const char *const acks_modes[] = {"all", "leader", NULL};

#define O(f) offsetof(kafka_cfg, f)
static const sl_option kafka_options[] = {
    {"brokers", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(brokers),
     "Bootstrap brokers, HOST:PORT each (a list, or one comma-separated string)."},
    {"topic", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(topic),
     "The topic of each event: text with {field}, {host}, {source} placeholders and "
     "%Y-style time patterns (values reduced to A-Z a-z 0-9 . _ -)."},
    {"key", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(key),
     "A field whose value is the message key: events with the same key go to the same "
     "partition, in order. Without it (or when an event lacks it) messages are spread."},
    {"kafka_compression", SL_OPT_ENUM, "none", 0, 0, 0, codecs, O(compression),
     "librdkafka's compression.codec, per message set (the common `compression` option "
     "compresses whole batches and does not apply to Kafka)."},
    {"acks", SL_OPT_ENUM, "all", 0, 0, 0, acks_modes, O(acks),
     "all: committed by every in-sync replica, with the idempotent producer (no "
     "duplicates or reordering from librdkafka's own retries); leader: by the leader only "
     "(not idempotent)."},
    {"message_timeout", SL_OPT_DURATION, "30s", 0, 1000000, 86400000000000LL, NULL,
     O(message_timeout_ns),
     "How long librdkafka keeps trying one message (brokers down, no leader); then the "
     "batch is retried by sluice (retry.*)."},
    {"librdkafka", SL_OPT_STRMAP, NULL, SL_OPTF_SECRET, 0, 0, NULL, O(props),
     "Raw librdkafka properties, name: value (security.protocol, ssl.ca.location, "
     "sasl.mechanisms, sasl.username, sasl.password, ...); values are never logged."},
    SL_OPT_END,
};

/* ---- shared with the source (kafka_common.h) ------------------------------ */

bool sl_kafka_secret_property(const char *name)
{
    static const char *const words[] = {"password", "secret", "key.pem", "ssl_key",
                                        "oauthbearer.config", "token", "jaas", NULL};
    for (size_t i = 0; words[i]; i++)
        if (strcasestr(name, words[i]))
            return true;
    return false;
}

int sl_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                      size_t errsz)
{
    char e[512];
    if (rd_kafka_conf_set(conf, name, value, e, sizeof e) == RD_KAFKA_CONF_OK)
        return 0;
    if (sl_kafka_secret_property(name) || (*value && strstr(e, value)))
        snprintf(err, errsz, "librdkafka property \"%s\": invalid or unknown (value not shown)",
                 name);
    else
        snprintf(err, errsz, "librdkafka property \"%s\": %s", name, e);
    return -1;
}

/* librdkafka's log lines come from its own threads. */
void sl_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    static sl_ratelimit rl;
    /* the opaque of every sluice handle starts with its label */
    const char *const *label = rd_kafka_opaque(rk);
    const char *name = label && *label ? *label : "?";
    sl_log_level lvl = level <= 3 ? SL_LOG_ERROR : level == 4 ? SL_LOG_WARN
                     : level <= 6 ? SL_LOG_INFO : SL_LOG_DEBUG;
    if (lvl == SL_LOG_DEBUG && !sl_log_enabled(SL_LOG_DEBUG))
        return;
    unsigned sup;
    if (lvl != SL_LOG_DEBUG && !sl_ratelimit_allow(&rl, 20, &sup))
        return;
    sl_log(lvl, KD, "%s: librdkafka %s: %s", name, fac, buf);
}

void sl_kafka_join_list(const sl_strlist *l, sl_buf *b)
{
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            sl_buf_putc(b, ',');
        sl_buf_puts(b, l->v[i]);
    }
    sl_buf_putc(b, 0);
}

/* ---- config checks --------------------------------------------------------- */

static void kafka_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    const char *why;
    if (!sl_kafka_lib_load(&why)) {
        sl_diag_error(d, node, "%s: %s", what, why);
        return;
    }
    kafka_cfg *cfg = cfgp;
    const sl_node *at = sl_node_get(node, "topic") ? sl_node_get(node, "topic") : node;
    const char *bad = sl_name_template_check(cfg->topic);
    if (bad)
        sl_diag_error(d, at, "%s: option \"topic\": %s", what, bad);
    else if (strstr(cfg->topic, "{uuid}"))
        sl_diag_error(d, at, "%s: option \"topic\": {uuid} would make a topic per message", what);
    if (cfg->brokers.n == 0 || !*cfg->brokers.v[0])
        sl_diag_error(d, node, "%s: option \"brokers\" is empty", what);
    const sl_node *comp = sl_node_get(node, "compression");
    if (comp && comp->str && strcmp(comp->str, "none") != 0)
        sl_diag_error(d, comp, "%s: \"compression\" compresses whole batches, which Kafka "
                               "messages cannot carry: use kafka_compression (none, gzip, "
                               "snappy, lz4, zstd) instead", what);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[600];
    for (size_t i = 0; i < cfg->props.n; i++) {
        const sl_node *pn = sl_node_get(node, "librdkafka");
        pn = pn && sl_node_get(pn, cfg->props.keys[i]) ? sl_node_get(pn, cfg->props.keys[i]) : node;
        if (sl_kafka_conf_set(conf, cfg->props.keys[i], cfg->props.vals[i], err, sizeof err))
            sl_diag_error(d, pn, "%s: %s", what, err);
    }
    rd_kafka_conf_destroy(conf);
}

/* ---- the producer ---------------------------------------------------------- */

enum { M_PENDING, M_SENT, M_OK, M_FAILED };

typedef struct {
    unsigned char state;
    rd_kafka_resp_err_t err;
} msg_slot;

typedef struct {
    char *label;                /* destination "NAME" (first: sl_kafka_log_cb) */
    sl_dest *d;
    const kafka_cfg *cfg;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;      /* when the topic does not vary */
    sl_name_template *topic;
    sl_buf enc, name;
    /* the batch in flight */
    msg_slot *slots;
    size_t cap;
    uint32_t gen;               /* of this attempt: stale reports are ignored */
    size_t outstanding;
    /* a batch that was RETRY: its events, to recognise its retry */
    const sl_event **last;
    size_t last_n;
    bool fatal;                 /* the idempotent producer hit a fatal error */
} kafka_state;

#define IDX_BITS 20u            /* batch.max_events <= 1,000,000 < 2^20 */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    kafka_state *st = opaque;
    uintptr_t tag = (uintptr_t)m->_private;
    uint32_t gen = (uint32_t)(tag >> IDX_BITS);
    size_t idx = tag & ((1u << IDX_BITS) - 1);
    if (gen != (st->gen & 0x7ff) || idx >= st->cap ||
        st->slots[idx].state != M_SENT)
        return;                 /* a message of an attempt given up on */
    st->slots[idx].state = m->err ? M_FAILED : M_OK;
    st->slots[idx].err = m->err;
    st->outstanding--;
}

/* Served by rd_kafka_poll, on the destination's thread. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    kafka_state *st = opaque;
    static sl_ratelimit rl;
    unsigned sup;
    const char *name = st->label;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_fatal_error(rk, why, sizeof why);
        sl_error(KD, "%s: the producer failed for good (%s); starting a new one", name, why);
        st->fatal = true;
        return;
    }
    if (sl_ratelimit_allow(&rl, 10, &sup))
        sl_warn(KD, "%s: %s%s", name, reason, sup ? " (similar messages were suppressed)" : "");
}

static void producer_free(kafka_state *st)
{
    if (st->rkt)
        rd_kafka_topic_destroy(st->rkt);
    st->rkt = NULL;
    if (st->rk)
        rd_kafka_destroy(st->rk);
    st->rk = NULL;
}

static int producer_new(kafka_state *st, char *err, size_t errsz)
{
    const kafka_cfg *cfg = st->cfg;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    sl_buf b = {0};
    sl_kafka_join_list(&cfg->brokers, &b);
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%lld", (long long)(cfg->message_timeout_ns / 1000000));
    const char *base[][2] = {
        {"bootstrap.servers", b.p},
        {"client.id", "sluice"},
        {"acks", cfg->acks == ACKS_ALL ? "all" : "1"},
        {"enable.idempotence", cfg->acks == ACKS_ALL ? "true" : "false"},
        {"compression.codec", codecs[cfg->compression]},
        {"message.timeout.ms", timeout},
        {"linger.ms", "5"},
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof base / sizeof base[0] && rc == 0; i++)
        rc = sl_kafka_conf_set(conf, base[i][0], base[i][1], err, errsz);
    for (size_t i = 0; i < cfg->props.n && rc == 0; i++)
        rc = sl_kafka_conf_set(conf, cfg->props.keys[i], cfg->props.vals[i], err, errsz);
    sl_buf_free(&b);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_log_cb(conf, sl_kafka_log_cb);
    rd_kafka_conf_set_opaque(conf, st);
    char e[512];
    st->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!st->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errsz, "cannot create the producer: %s", e);
        return -1;
    }
    if (!sl_name_template_varies(st->topic)) {
        sl_buf_reset(&st->name);
        sl_name_template_render(st->topic, NULL, NULL, NULL, &st->name);
        st->rkt = rd_kafka_topic_new(st->rk, st->name.p, NULL);
    }
    st->fatal = false;
    return 0;
}

static int kafka_open(sl_dest *d)
{
    const kafka_cfg *cfg = d->cfg;
    kafka_state *st = sl_calloc(1, sizeof *st);
    sl_dest_set_state(d, st);
    st->d = d;
    st->cfg = cfg;
    size_t n = strlen(d->name) + 32;
    st->label = sl_malloc(n);
    snprintf(st->label, n, "destination \"%s\"", d->name);
    st->topic = sl_name_template_new(cfg->topic, SL_NAME_TOPIC);
    char err[600];
    if (producer_new(st, err, sizeof err)) {
        sl_error(KD, "%s: %s", st->label, err);
        return -1;
    }
    sl_buf b = {0};
    sl_kafka_join_list(&cfg->brokers, &b);
    sl_info(KD, "%s: producing to %s (topic %s, acks %s%s, compression %s, librdkafka %s)",
            st->label, b.p, cfg->topic, acks_modes[cfg->acks],
            cfg->acks == ACKS_ALL ? ", idempotent" : "", codecs[cfg->compression],
            rd_kafka_version_str());
    sl_buf_free(&b);
    return 0;
}

/* Errors librdkafka cannot get past by retrying: the batch goes to the
 * dead letter. Everything else (timeouts, transport, leadership, a
 * purged queue, a fatal idempotence error: a new producer) is retried. */
static bool permanent(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
        return true;
    default:
        return false;
    }
}

/* Is this the batch the last attempt returned RETRY for? The runner
 * retries a batch with the same events until OK or FAIL. */
static bool same_batch(const kafka_state *st, sl_event *const *evs, size_t n)
{
    if (!st->last || st->last_n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (st->last[i] != evs[i])
            return false;
    return true;
}

static void forget_batch(kafka_state *st)
{
    free(st->last);
    st->last = NULL;
    st->last_n = 0;
}

static void remember_batch(kafka_state *st, sl_event *const *evs, size_t n)
{
    forget_batch(st);
    st->last = sl_malloc((n ? n : 1) * sizeof *st->last);
    memcpy(st->last, evs, n * sizeof *st->last);
    st->last_n = n;
}

static uint32_t gen_tag(const kafka_state *st) { return st->gen & 0x7ff; }

static rd_kafka_resp_err_t produce_one(kafka_state *st, const sl_event *ev, size_t idx)
{
    const kafka_cfg *cfg = st->cfg;
    sl_buf_reset(&st->enc);
    sl_encode_event(&st->enc, ev, st->d->common->encoding);
    size_t len = st->enc.len;
    if (len && st->enc.p[len - 1] == '\n')
        len--;
    const char *key = NULL;
    size_t key_len = 0;
    char num[32];
    if (cfg->key) {
        sl_value *v = sl_fields_get((sl_fields *)&ev->fields, cfg->key, strlen(cfg->key));
        if (v && v->type == SL_VAL_STRING) {
            key = v->u.s.p;
            key_len = v->u.s.n;
        } else if (v && v->type == SL_VAL_INT) {
            key_len = (size_t)snprintf(num, sizeof num, "%lld", (long long)v->u.i);
            key = num;
        } else if (v && v->type == SL_VAL_BOOL) {
            key = v->u.b ? "true" : "false";
            key_len = strlen(key);
        }
    }
    /* librdkafka hands the message's opaque back in its delivery report:
     * the batch generation and the event's index, packed into it */
    void *tag = (void *)(((uintptr_t)gen_tag(st) << IDX_BITS) | (uintptr_t)idx); // NOLINT(performance-no-int-to-ptr)
    int64_t ts_ms = ev->time_ns > 0 ? ev->time_ns / 1000000 : 0;
    rd_kafka_vu_t vu[6];
    if (st->rkt) {
        vu[0].vtype = RD_KAFKA_VTYPE_RKT;
        vu[0].u.rkt = st->rkt;
    } else {
        sl_buf_reset(&st->name);
        sl_name_template_render(st->topic, ev, NULL, NULL, &st->name);
        vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
        vu[0].u.cstr = st->name.p;
    }
    vu[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[1].u.i = RD_KAFKA_MSG_F_COPY;
    vu[2].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[2].u.mem.ptr = st->enc.p;
    vu[2].u.mem.size = len;
    vu[3].vtype = RD_KAFKA_VTYPE_KEY;
    vu[3].u.mem.ptr = (void *)key;  // NOLINT: librdkafka copies the key; the field is not written
    vu[3].u.mem.size = key_len;
    vu[4].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
    vu[4].u.i64 = ts_ms;
    vu[5].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vu[5].u.ptr = tag;
    for (;;) {
        /* rd_kafka_produceva: the array form of rd_kafka_producev, which,
         * being variadic, kafka_api.c could not forward */
        rd_kafka_error_t *err = rd_kafka_produceva(st->rk, vu, 6);
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (err) {
            e = rd_kafka_error_code(err);
            rd_kafka_error_destroy(err);
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return e;
        rd_kafka_poll(st->rk, 50);  /* serve reports to make room */
    }
}

static bool giving_up(sl_dest *d)
{
    return atomic_load(&d->rt->aborting) || atomic_load(&d->abandon);
}

static sl_send_result kafka_send(sl_dest *d, sl_event *const *evs, size_t n)
{
    kafka_state *st = sl_dest_state(d);
    const kafka_cfg *cfg = st->cfg;
    if (st->fatal || (st->rk && rd_kafka_fatal_error(st->rk, NULL, 0))) {
        char err[600];
        producer_free(st);
        if (producer_new(st, err, sizeof err)) {
            sl_dest_set_error(d, "%s", err);
            return SL_SEND_RETRY;
        }
    }
    bool retry = same_batch(st, evs, n);
    if (n > st->cap) {
        st->slots = sl_realloc(st->slots, n * sizeof *st->slots);
        st->cap = n;
    }
    st->gen++;
    st->outstanding = 0;
    size_t resent = 0, failed_now = 0;
    for (size_t i = 0; i < n; i++) {
        if (retry && st->slots[i].state == M_OK)
            continue;
        st->slots[i].state = M_SENT;
        st->slots[i].err = 0;
        rd_kafka_resp_err_t e = produce_one(st, evs[i], i);
        if (e) {
            st->slots[i].state = M_FAILED;
            st->slots[i].err = e;
            failed_now++;
            continue;
        }
        st->outstanding++;
        resent++;
    }
    (void)failed_now;
    /* Every report arrives within message.timeout.ms; the margin covers
     * requests in flight at that moment. */
    int64_t deadline = sl_mono_ns() + cfg->message_timeout_ns + 10LL * 1000000000;
    while (st->outstanding > 0) {
        rd_kafka_poll(st->rk, 100);
        if (giving_up(d))
            break;
        if (sl_mono_ns() > deadline)
            break;
    }
    size_t ok = 0, perm = 0, temp = 0;
    rd_kafka_resp_err_t first_perm = 0, first_temp = 0;
    for (size_t i = 0; i < n; i++) {
        msg_slot *s = &st->slots[i];
        if (s->state == M_OK) {
            ok++;
        } else if (s->state == M_FAILED && permanent(s->err)) {
            if (!perm++)
                first_perm = s->err;
        } else {
            if (!temp++)
                first_temp = s->state == M_SENT ? RD_KAFKA_RESP_ERR__TIMED_OUT : s->err;
        }
    }
    if (ok == n) {
        forget_batch(st);
        return SL_SEND_OK;
    }
    if (first_temp == RD_KAFKA_RESP_ERR__FATAL || rd_kafka_fatal_error(st->rk, NULL, 0))
        st->fatal = true;
    if (temp) {
        remember_batch(st, evs, n);
        sl_dest_set_error(d, "%zu of %zu messages not committed%s: %s (%s)%s%s", temp + perm, n,
                          retry ? " (retrying the rest of a batch)" : "",
                          rd_kafka_err2str(first_temp), rd_kafka_err2name(first_temp),
                          perm ? "; refused for good: " : "",
                          perm ? rd_kafka_err2name(first_perm) : "");
        return SL_SEND_RETRY;
    }
    forget_batch(st);
    sl_dest_set_error(d, "Kafka refused %zu of %zu messages for good: %s (%s)%s", perm, n,
                      rd_kafka_err2str(first_perm), rd_kafka_err2name(first_perm),
                      ok ? "; the others were committed (and are dead-lettered too)" : "");
    return SL_SEND_FAIL;
}

static void kafka_close(sl_dest *d)
{
    kafka_state *st = sl_dest_state(d);
    if (!st)
        return;
    if (st->rk) {
        /* nothing should be queued (send waits for its reports); what is
         * left after giving up is not waited for long */
        rd_kafka_flush(st->rk, 2000);
        st->gen++;
    }
    producer_free(st);
    sl_name_template_free(st->topic);
    sl_buf_free(&st->enc);
    sl_buf_free(&st->name);
    free(st->slots);
    forget_batch(st);
    free(st->label);
    free(st);
    sl_dest_set_state(d, NULL);
}

static const sl_dest_ops kafka_ops = {
    .open = kafka_open,
    .send = kafka_send,
    .close = kafka_close,
    .write_when_idle = false,
    .concurrent = false,        /* one producer, batches in order (per-key order) */
};

const sl_plugin sl_dest_kafka = {
    .name = "kafka",
    .kind = SL_PLUGIN_DEST,
    .summary = "Produces each event as one Kafka message with librdkafka; a batch is "
               "committed when every delivery report says so.",
    .options = kafka_options,
    .config_size = sizeof(kafka_cfg),
    .check = kafka_check,
    .dest = &kafka_ops,
};
