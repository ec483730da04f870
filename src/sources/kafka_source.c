/* kafka_source.c: the `kafka` source, a librdkafka consumer in a consumer
 * group, driven from the I/O thread's event loop (no thread of its own).
 *
 * The consumer queue (the main queue is redirected to it, so rebalances,
 * commit results and errors come through it too) signals a pipe when it
 * goes from empty to non-empty (rd_kafka_queue_io_event_enable); the pipe's
 * read event polls it with rd_kafka_consumer_poll(0) up to `max_poll`
 * messages a turn (more: the turn is re-armed, so other sources get their
 * turn); the commit timer polls too, so an idle or paused consumer still
 * polls within max.poll.interval.ms. A turn's messages become one chunk
 * per partition (one event per message: the payload, with a `kafka` map
 * of topic, partition, offset, key and headers, the message timestamp as
 * the event time; with `decode: json` the worker that takes the chunk
 * turns an object's keys into fields, ops->decode).
 *
 * Offsets: enable.auto.commit is off. Each partition has an
 * sl_ack_watermark over message offsets (a chunk is the range [first,
 * last + 1)); chunk_done (any thread) acks its range under a mutex, and
 * every `commit_interval` the I/O thread commits, per partition, the end
 * of the longest acked prefix (Kafka's "next offset to read"), so a
 * crash re-delivers at most what was not yet committed (at-least-once),
 * never skips.
 *
 * Rebalances (rebalance_cb, on the I/O thread while it polls): on a
 * revoke the partitions stop producing chunks, chunks built but not yet
 * handed over are dropped (their ranges stay unacked, so the commit stops
 * before them), in-flight acks are waited for up to `revoke_timeout`, the
 * watermark is committed synchronously, and only then is the partition
 * released; acks that come later are ignored (the partition's generation
 * changed) and the new owner delivers those messages again. On an assign
 * the partitions start with a fresh watermark at their first message.
 * Eager and cooperative protocols are both handled.
 *
 * Backpressure: when sl_source_submit refuses a chunk (or the memory limit
 * says stop), every assigned partition is paused (rd_kafka_pause_partitions)
 * and chunks of the messages already polled wait in a list; the queue is
 * still served (rebalances must be). `resume` submits the waiting chunks
 * and resumes the partitions. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dest/kafka_common.h"
#include "log.h"
#include "runtime.h"
#include "sources/json_fields.h"
#include "util/ack_watermark.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define KS "kafka source"


enum { START_EARLIEST, START_LATEST };
enum { DECODE_RAW, DECODE_JSON };

typedef struct {
    sl_strlist brokers;
    char *group_id;
    sl_strlist topics;
    int start;
    int decode;
    int64_t max_poll;
    int64_t commit_interval_ns;
    int64_t revoke_timeout_ns;
    sl_strmap props;
} ksrc_cfg;

static const char *const starts[] = {"earliest", "latest", NULL};
static const char *const decodes[] = {"raw", "json", NULL};

#define O(f) offsetof(ksrc_cfg, f)
static const sl_option ksrc_options[] = {
    {"brokers", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(brokers),
     "Bootstrap brokers, HOST:PORT each (a list, or one comma-separated string)."},
    {"group_id", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(group_id),
     "The consumer group: its members share the topics' partitions, and its committed "
     "offsets say where a restart resumes."},
    {"topics", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(topics),
     "Topics to consume (a name starting with ^ is a regular expression)."},
    {"start", SL_OPT_ENUM, "earliest", 0, 0, 0, starts, O(start),
     "Where a partition the group has no committed offset for starts: earliest (all that "
     "is kept) or latest (only new messages)."},
    {"decode", SL_OPT_ENUM, "raw", 0, 0, 0, decodes, O(decode),
     "raw: the message is the event's message; json: a JSON object's keys become fields "
     "(else a decode_error field), e.g. what a kafka destination sent as ndjson."},
    {"max_poll", SL_OPT_INT, "2000", 0, 1, 100000, NULL, O(max_poll),
     "Most messages taken from librdkafka in one turn of the event loop (then other "
     "sources have theirs); each turn makes one chunk per partition."},
    {"commit_interval", SL_OPT_DURATION, "1s", 0, 10000000, 60000000000LL, NULL,
     O(commit_interval_ns),
     "How often acked offsets are committed (and always on a rebalance and at stop); a "
     "crash re-delivers at most what was acked since."},
    {"revoke_timeout", SL_OPT_DURATION, "5s", 0, 0, 600000000000LL, NULL,
     O(revoke_timeout_ns),
     "On a rebalance, how long to wait for the events of revoked partitions to be acked "
     "before committing and letting them go (the I/O thread waits; what is not acked by "
     "then is delivered again by the new owner)."},
    {"librdkafka", SL_OPT_STRMAP, NULL, SL_OPTF_SECRET, 0, 0, NULL, O(props),
     "Raw librdkafka consumer properties, name: value (security.protocol, sasl.*, ssl.*, "
     "session.timeout.ms, ...); values are never logged."},
    SL_OPT_END,
};

typedef struct kpart kpart;
struct kpart {
    char *topic;
    int32_t partition;
    bool assigned;          /* I/O thread */
    int64_t committed;      /* I/O thread: last offset committed, -1: none */
    /* under mu */
    uint32_t gen;           /* bumped when the partition is (re)assigned or revoked */
    bool wm_started;
    sl_ack_watermark wm;
    unsigned inflight;      /* chunks submitted and not yet acked */
    kpart *next;
};

/* What a chunk remembers of where it came from (in its arena). */
typedef struct {
    kpart *p;
    uint32_t gen;
} chunk_tag;

/* One polled message and the partition generation it was polled in. */
typedef struct {
    rd_kafka_message_t *m;
    kpart *p;
    uint32_t gen;
} polled;

typedef struct {
    char *label;            /* source "NAME" (first: sl_kafka_log_cb) */
    sl_source *src;
    const ksrc_cfg *cfg;
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    int pipefd[2];
    struct event *io_ev, *more_ev, *commit_ev;
    pthread_mutex_t mu;
    pthread_cond_t acked;
    kpart *parts;           /* never freed before destroy */
    kpart *last;            /* lookup cache */
    polled *batch;
    size_t n_batch;
    sl_chunk **held;        /* built, waiting for resume (refused / paused) */
    size_t n_held, cap_held;
    bool paused, stopped, closing;
    sl_ratelimit err_rl;
} ksrc_state;

/* ---- config ------------------------------------------------------------------ */

static void ksrc_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    const char *why;
    if (!sl_kafka_lib_load(&why)) {
        sl_diag_error(d, node, "%s: %s", what, why);
        return;
    }
    ksrc_cfg *cfg = cfgp;
    if (cfg->brokers.n == 0 || !*cfg->brokers.v[0])
        sl_diag_error(d, node, "%s: option \"brokers\" is empty", what);
    if (cfg->topics.n == 0)
        sl_diag_error(d, node, "%s: option \"topics\" is empty", what);
    if (!*cfg->group_id)
        sl_diag_error(d, node, "%s: option \"group_id\" is empty", what);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[600];
    const sl_node *pm = sl_node_get(node, "librdkafka");
    for (size_t i = 0; i < cfg->props.n; i++) {
        const char *k = cfg->props.keys[i];
        const sl_node *at = pm && sl_node_get(pm, k) ? sl_node_get(pm, k) : node;
        if (strcmp(k, "enable.auto.commit") == 0 || strcmp(k, "group.id") == 0 ||
            strcmp(k, "enable.auto.offset.store") == 0)
            sl_diag_error(d, at, "%s: librdkafka property \"%s\" is set by sluice (offsets are "
                                 "committed only once events are acked)", what, k);
        else if (sl_kafka_conf_set(conf, k, cfg->props.vals[i], err, sizeof err))
            sl_diag_error(d, at, "%s: %s", what, err);
    }
    rd_kafka_conf_destroy(conf);
}

/* ---- partitions ---------------------------------------------------------------- */

static kpart *part_get(ksrc_state *st, const char *topic, int32_t partition, bool create)
{
    kpart *p = st->last;
    if (p && p->partition == partition && strcmp(p->topic, topic) == 0)
        return p;
    for (p = st->parts; p; p = p->next)
        if (p->partition == partition && strcmp(p->topic, topic) == 0)
            return st->last = p;
    if (!create)
        return NULL;
    p = sl_calloc(1, sizeof *p);
    p->topic = sl_strdup(topic);
    p->partition = partition;
    p->committed = -1;
    sl_wm_init(&p->wm, 0);
    p->next = st->parts;
    st->parts = p;
    return st->last = p;
}

static void commit_result(ksrc_state *st, rd_kafka_resp_err_t err,
                          const rd_kafka_topic_partition_list_t *offsets);

/* Commit the acked watermark of the assigned partitions in `only` (every
 * assigned one when NULL). */
static void commit_acked(ksrc_state *st, const rd_kafka_topic_partition_list_t *only, bool sync)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    pthread_mutex_lock(&st->mu);
    for (kpart *p = st->parts; p; p = p->next) {
        if (!p->assigned || !p->wm_started)
            continue;
        if (only && !rd_kafka_topic_partition_list_find(only, p->topic, p->partition))
            continue;
        int64_t pos = (int64_t)sl_wm_position(&p->wm);
        if (pos <= p->committed)
            continue;
        rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = pos;
        p->committed = pos;
    }
    pthread_mutex_unlock(&st->mu);
    if (l->cnt > 0) {
        rd_kafka_resp_err_t e = rd_kafka_commit(st->rk, l, sync ? 0 : 1);
        if (sync || e)         /* async: the result comes to offset_commit_cb */
            commit_result(st, e, l);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* After a commit (its result, or a synchronous one's list): partitions whose
 * commit failed are committed again at the next tick. */
static void commit_result(ksrc_state *st, rd_kafka_resp_err_t err,
                          const rd_kafka_topic_partition_list_t *offsets)
{
    rd_kafka_resp_err_t first = err == RD_KAFKA_RESP_ERR__NO_OFFSET ? 0 : err;
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        rd_kafka_resp_err_t e = err && err != RD_KAFKA_RESP_ERR__NO_OFFSET ? err
                                                                              : offsets->elems[i].err;
        if (!e)
            continue;
        if (!first)
            first = e;
        kpart *p = part_get(st, offsets->elems[i].topic, offsets->elems[i].partition, false);
        if (p)
            p->committed = -1;
    }
    unsigned sup;
    if (first && sl_ratelimit_allow(&st->err_rl, 10, &sup))
        sl_warn(KS, "%s: an offset commit failed: %s (retried at the next commit)%s", st->label,
                rd_kafka_err2str(first), sup ? " (similar messages were suppressed)" : "");
}

static void offset_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk;
    commit_result(opaque, err, offsets);
}

static rd_kafka_topic_partition_list_t *assigned_list(ksrc_state *st)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (kpart *p = st->parts; p; p = p->next)
        if (p->assigned)
            rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
    return l;
}

static void pause_all(ksrc_state *st, bool pause)
{
    rd_kafka_topic_partition_list_t *l = assigned_list(st);
    if (l->cnt > 0) {
        if (pause)
            rd_kafka_pause_partitions(st->rk, l);
        else
            rd_kafka_resume_partitions(st->rk, l);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

static void revoke_parts(ksrc_state *st, rd_kafka_topic_partition_list_t *parts)
{
    /* 1. stop: no more chunks for them; drop those not handed over */
    for (int i = 0; i < parts->cnt; i++) {
        kpart *p = part_get(st, parts->elems[i].topic, parts->elems[i].partition, false);
        if (p)
            p->assigned = false;
    }
    size_t k = 0;
    for (size_t i = 0; i < st->n_held; i++) {
        chunk_tag *t = st->held[i]->source_ctx;
        if (t->p->assigned)
            st->held[k++] = st->held[i];
        else
            sl_chunk_discard(st->held[i]);
    }
    st->n_held = k;
    /* 2. wait (bounded) for what is in flight to be acked */
    pthread_mutex_lock(&st->mu);
    struct timespec until = sl_deadline_in(st->cfg->revoke_timeout_ns);
    unsigned left = 0;
    for (;;) {
        left = 0;
        for (int i = 0; i < parts->cnt; i++) {
            kpart *p = part_get(st, parts->elems[i].topic, parts->elems[i].partition, false);
            if (p)
                left += p->inflight;
        }
        if (left == 0 || st->closing ||
            pthread_cond_timedwait(&st->acked, &st->mu, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&st->mu);
    if (left)
        sl_warn(KS, "%s: %u chunks of revoked partitions were not acked within revoke_timeout; "
                    "the new owner delivers them again", st->label, left);
    /* 3. commit what is acked, then forget the partitions */
    for (kpart *p = st->parts; p; p = p->next)
        if (rd_kafka_topic_partition_list_find(parts, p->topic, p->partition))
            p->assigned = true;     /* for commit_acked's filter */
    commit_acked(st, parts, true);
    pthread_mutex_lock(&st->mu);
    for (int i = 0; i < parts->cnt; i++) {
        kpart *p = part_get(st, parts->elems[i].topic, parts->elems[i].partition, false);
        if (!p)
            continue;
        p->assigned = false;
        p->gen++;
        p->inflight = 0;
        p->wm_started = false;
        sl_wm_free(&p->wm);
        sl_wm_init(&p->wm, 0);
        p->committed = -1;
    }
    pthread_mutex_unlock(&st->mu);
}

static void assign_parts(ksrc_state *st, rd_kafka_topic_partition_list_t *parts)
{
    pthread_mutex_lock(&st->mu);
    for (int i = 0; i < parts->cnt; i++) {
        kpart *p = part_get(st, parts->elems[i].topic, parts->elems[i].partition, true);
        p->assigned = true;
        p->gen++;
        p->inflight = 0;
        p->wm_started = false;
        sl_wm_free(&p->wm);
        sl_wm_init(&p->wm, 0);
        p->committed = -1;
    }
    pthread_mutex_unlock(&st->mu);
}

static void log_parts(ksrc_state *st, const char *what, const rd_kafka_topic_partition_list_t *l)
{
    sl_buf b = {0};
    for (int i = 0; i < l->cnt && i < 64; i++)
        sl_buf_printf(&b, "%s%s[%d]", i ? " " : "", l->elems[i].topic, (int)l->elems[i].partition);
    if (l->cnt > 64)
        sl_buf_puts(&b, " ...");
    sl_buf_putc(&b, 0);
    sl_info(KS, "%s: %s %d partitions: %s", st->label, what, l->cnt, l->cnt ? b.p : "-");
    sl_buf_free(&b);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    ksrc_state *st = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        log_parts(st, "assigned", parts);
        assign_parts(st, parts);
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e) {
                sl_error(KS, "%s: incremental assign: %s", st->label, rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
            }
        } else {
            rd_kafka_assign(rk, parts);
        }
        if (st->paused)
            rd_kafka_pause_partitions(rk, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        log_parts(st, "revoking", parts);
        revoke_parts(st, parts);
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, NULL);
        }
    } else {
        sl_warn(KS, "%s: rebalance failed: %s", st->label, rd_kafka_err2str(err));
        revoke_parts(st, parts);
        rd_kafka_assign(rk, NULL);
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    ksrc_state *st = opaque;
    unsigned sup;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_fatal_error(rk, why, sizeof why);
        sl_error(KS, "%s: the consumer failed for good: %s", st->label, why);
        return;
    }
    if (sl_ratelimit_allow(&st->err_rl, 10, &sup))
        sl_warn(KS, "%s: %s%s", st->label, reason, sup ? " (similar messages were suppressed)" : "");
}

/* ---- messages into chunks ----------------------------------------------------------- */

static const char *arena_dup(sl_chunk *c, const void *p, size_t n)
{
    return sl_arena_strndup(&c->arena, p ? p : "", p ? n : 0);
}

static void set_s(sl_chunk *c, sl_fields *m, const char *name, const char *s, size_t n)
{
    sl_value *v = sl_fields_set(c, m, name, strlen(name));
    v->type = SL_VAL_STRING;
    v->u.s.p = s;
    v->u.s.n = n;
}

static void set_i(sl_chunk *c, sl_fields *m, const char *name, int64_t i)
{
    sl_value *v = sl_fields_set(c, m, name, strlen(name));
    v->type = SL_VAL_INT;
    v->u.i = i;
}

static void add_message(sl_chunk *c, kpart *p, const rd_kafka_message_t *m, size_t *off,
                        int64_t now)
{
    char *dst = c->data + *off;
    if (m->len)
        memcpy(dst, m->payload, m->len);
    *off += m->len;
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    sl_event *ev = sl_chunk_add_event(c, dst, m->len, ts >= 0 ? ts * 1000000 : now);
    sl_fields *k = sl_fields_new_map(c);
    set_s(c, k, "topic", p->topic, strlen(p->topic));
    set_i(c, k, "partition", p->partition);
    set_i(c, k, "offset", m->offset);
    if (m->key)
        set_s(c, k, "key", arena_dup(c, m->key, m->key_len), m->key_len);
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs &&
        rd_kafka_header_cnt(hdrs) > 0) {
        sl_fields *h = sl_fields_new_map(c);
        const char *name;
        const void *val;
        size_t vlen;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &vlen) == 0; i++) {
            const char *nm = arena_dup(c, name, strlen(name));
            sl_value *v = sl_fields_set(c, h, nm, strlen(nm));
            v->type = SL_VAL_STRING;
            v->u.s.p = arena_dup(c, val, vlen);
            v->u.s.n = val ? vlen : 0;
        }
        sl_value *v = sl_fields_set(c, k, "headers", 7);
        v->type = SL_VAL_MAP;
        v->u.map = h;
    }
    sl_value *v = sl_event_set(ev, "kafka", 5);
    v->type = SL_VAL_MAP;
    v->u.map = k;
}

/* Worker, with decode: json: the payload's keys become fields, ahead of
 * the kafka map the I/O thread set (which wins over a payload key of the
 * same name). */
static void ksrc_decode(sl_source *src, sl_event *ev)
{
    ksrc_state *st = src->state;
    if (st->cfg->decode != DECODE_JSON)
        return;
    sl_fields meta = ev->fields;
    ev->fields = (sl_fields){0};
    sl_json_decode_message(ev);
    for (uint32_t i = 0; i < meta.n; i++)
        *sl_event_set(ev, meta.v[i].name, meta.v[i].name_len) = meta.v[i].v;
}

/* Hand a chunk to the runtime, or keep it while paused. */
static void hand_over(ksrc_state *st, sl_chunk *c)
{
    if (st->paused) {
        if (st->n_held == st->cap_held) {
            st->cap_held = st->cap_held ? st->cap_held * 2 : 16;
            st->held = sl_realloc(st->held, st->cap_held * sizeof *st->held);
        }
        st->held[st->n_held++] = c;
        return;
    }
    chunk_tag *t = c->source_ctx;
    pthread_mutex_lock(&st->mu);
    t->p->inflight++;
    pthread_mutex_unlock(&st->mu);
    if (!sl_source_submit(st->src, c)) {
        /* the runtime keeps this one; stop fetching until resume */
        st->paused = true;
        pause_all(st, true);
    }
}

/* One chunk per partition of what this turn polled, in poll order. */
static void build_chunks(ksrc_state *st)
{
    int64_t now = sl_now_ns();
    for (size_t i = 0; i < st->n_batch; i++) {
        polled *first = &st->batch[i];
        if (!first->m)
            continue;
        kpart *p = first->p;
        uint32_t gen = first->gen;
        size_t bytes = 0, n = 0;
        for (size_t j = i; j < st->n_batch; j++)
            if (st->batch[j].m && st->batch[j].p == p) {
                bytes += st->batch[j].m->len;
                n++;
            }
        pthread_mutex_lock(&st->mu);
        bool current = p->assigned && p->gen == gen;
        pthread_mutex_unlock(&st->mu);
        if (!current) {         /* revoked meanwhile: the new owner reads these */
            for (size_t j = i; j < st->n_batch; j++)
                if (st->batch[j].m && st->batch[j].p == p) {
                    rd_kafka_message_destroy(st->batch[j].m);
                    st->batch[j].m = NULL;
                }
            continue;
        }
        sl_chunk *c = sl_source_new_chunk(st->src, bytes ? bytes : 1);
        chunk_tag *t = sl_arena_alloc(&c->arena, sizeof *t);
        t->p = p;
        t->gen = gen;
        c->source_ctx = t;
        size_t off = 0;
        int64_t lo = -1, hi = -1;
        for (size_t j = i; j < st->n_batch; j++) {
            polled *q = &st->batch[j];
            if (!q->m || q->p != p)
                continue;
            if (lo < 0)
                lo = q->m->offset;
            hi = q->m->offset;
            add_message(c, p, q->m, &off, now);
            c->bytes += q->m->len;
            rd_kafka_message_destroy(q->m);
            q->m = NULL;
        }
        c->data_len = off;
        c->begin = (uint64_t)lo;
        c->end = (uint64_t)hi + 1;
        pthread_mutex_lock(&st->mu);
        if (!p->wm_started) {
            sl_wm_init(&p->wm, (uint64_t)lo);
            p->wm_started = true;
        }
        sl_wm_push(&p->wm, c->begin, c->end);
        pthread_mutex_unlock(&st->mu);
        hand_over(st, c);
    }
    st->n_batch = 0;
}

/* One turn: serve the queue (callbacks, messages) up to max_poll messages. */
static void poll_turn(ksrc_state *st)
{
    if (st->stopped)
        return;
    if (!st->paused && !sl_source_may_read(st->src)) {
        st->paused = true;      /* the runtime resumes us when memory frees up */
        pause_all(st, true);
    }
    size_t max = (size_t)st->cfg->max_poll;
    bool more = false;
    while (!st->stopped) {
        if (st->n_batch == max) {
            more = true;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(st->rk, 0);
        if (!m)
            break;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                unsigned sup;
                if (sl_ratelimit_allow(&st->err_rl, 10, &sup))
                    sl_warn(KS, "%s: %s%s%s", st->label,
                            m->rkt ? rd_kafka_topic_name(m->rkt) : "",
                            m->rkt ? ": " : "", rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        kpart *p = part_get(st, rd_kafka_topic_name(m->rkt), m->partition, false);
        if (!p || !p->assigned) {
            rd_kafka_message_destroy(m);
            continue;
        }
        st->batch[st->n_batch++] = (polled){m, p, p->gen};
    }
    build_chunks(st);
    if (more && !st->stopped)
        event_active(st->more_ev, 0, 0);
}

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    ksrc_state *st = arg;
    char buf[256];
    if (fd >= 0)
        while (read(fd, buf, sizeof buf) > 0) {
        }
    poll_turn(st);
}

static void commit_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ksrc_state *st = arg;
    if (st->stopped)
        return;
    commit_acked(st, NULL, false);
    /* also poll: librdkafka leaves the group when the application has not
     * polled for max.poll.interval.ms, and an idle queue never signals */
    poll_turn(st);
}

/* ---- the source ops ----------------------------------------------------------------- */

static int ksrc_start(sl_source *src)
{
    const ksrc_cfg *cfg = src->cfg;
    ksrc_state *st = sl_calloc(1, sizeof *st);
    src->state = st;
    st->src = src;
    st->cfg = cfg;
    st->pipefd[0] = st->pipefd[1] = -1;
    pthread_mutex_init(&st->mu, NULL);
    sl_cond_init(&st->acked);
    size_t n = strlen(src->name) + 32;
    st->label = sl_malloc(n);
    snprintf(st->label, n, "source \"%s\"", src->name);
    st->batch = sl_calloc((size_t)cfg->max_poll, sizeof *st->batch);

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    sl_buf b = {0};
    sl_kafka_join_list(&cfg->brokers, &b);
    const char *base[][2] = {
        {"bootstrap.servers", b.p},
        {"group.id", cfg->group_id},
        {"client.id", "sluice"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", starts[cfg->start]},
        {"queued.max.messages.kbytes", "8192"},
    };
    char err[600];
    int rc = 0;
    for (size_t i = 0; i < sizeof base / sizeof base[0] && rc == 0; i++)
        rc = sl_kafka_conf_set(conf, base[i][0], base[i][1], err, sizeof err);
    for (size_t i = 0; i < cfg->props.n && rc == 0; i++)
        rc = sl_kafka_conf_set(conf, cfg->props.keys[i], cfg->props.vals[i], err, sizeof err);
    if (rc) {
        sl_error(KS, "%s: %s", st->label, err);
        rd_kafka_conf_destroy(conf);
        sl_buf_free(&b);
        return -1;
    }
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, offset_commit_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_log_cb(conf, sl_kafka_log_cb);
    rd_kafka_conf_set_opaque(conf, st);
    char e[512];
    st->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!st->rk) {
        sl_error(KS, "%s: cannot create the consumer: %s", st->label, e);
        rd_kafka_conf_destroy(conf);
        sl_buf_free(&b);
        return -1;
    }
    rd_kafka_poll_set_consumer(st->rk);
    st->q = rd_kafka_queue_get_consumer(st->rk);
    if (pipe2(st->pipefd, O_NONBLOCK | O_CLOEXEC) != 0) {
        sl_error(KS, "%s: pipe: %s", st->label, strerror(errno));
        sl_buf_free(&b);
        return -1;
    }
    rd_kafka_queue_io_event_enable(st->q, st->pipefd[1], "k", 1);
    struct event_base *eb = sl_source_base(src);
    st->io_ev = event_new(eb, st->pipefd[0], EV_READ | EV_PERSIST, io_cb, st);
    st->more_ev = event_new(eb, -1, 0, io_cb, st);
    st->commit_ev = event_new(eb, -1, EV_PERSIST, commit_cb, st);
    event_add(st->io_ev, NULL);
    struct timeval tv = {(time_t)(cfg->commit_interval_ns / 1000000000),
                         (suseconds_t)(cfg->commit_interval_ns % 1000000000 / 1000)};
    event_add(st->commit_ev, &tv);

    rd_kafka_topic_partition_list_t *topics =
        rd_kafka_topic_partition_list_new((int)cfg->topics.n);
    for (size_t i = 0; i < cfg->topics.n; i++)
        rd_kafka_topic_partition_list_add(topics, cfg->topics.v[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(st->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (se) {
        sl_error(KS, "%s: cannot subscribe: %s", st->label, rd_kafka_err2str(se));
        sl_buf_free(&b);
        return -1;
    }
    sl_buf t = {0};
    sl_kafka_join_list(&cfg->topics, &t);
    sl_info(KS, "%s: consuming %s from %s as group \"%s\" (librdkafka %s)", st->label, t.p,
            b.p, cfg->group_id, rd_kafka_version_str());
    sl_buf_free(&t);
    sl_buf_free(&b);
    event_active(st->more_ev, 0, 0);
    return 0;
}

static void ksrc_resume(sl_source *src)
{
    ksrc_state *st = src->state;
    if (!st || st->stopped)
        return;
    size_t i = 0;
    bool refused = false;
    while (i < st->n_held && !refused) {
        sl_chunk *c = st->held[i++];
        chunk_tag *t = c->source_ctx;
        pthread_mutex_lock(&st->mu);
        t->p->inflight++;
        pthread_mutex_unlock(&st->mu);
        refused = !sl_source_submit(src, c);
    }
    if (i && i < st->n_held)
        memmove(st->held, st->held + i, (st->n_held - i) * sizeof *st->held);
    st->n_held -= i;
    if (refused)
        return;                 /* still paused; resumed again later */
    st->paused = false;
    pause_all(st, false);
    event_active(st->more_ev, 0, 0);
}

static void ksrc_stop(sl_source *src)
{
    ksrc_state *st = src->state;
    if (!st)
        return;
    st->stopped = true;
    if (st->io_ev)
        event_del(st->io_ev);
    if (st->more_ev)
        event_del(st->more_ev);
    for (size_t i = 0; i < st->n_held; i++)
        sl_chunk_discard(st->held[i]);
    st->n_held = 0;
}

static void ksrc_chunk_done(sl_source *src, sl_chunk *c, unsigned status)
{
    (void)status;   /* failed deliveries were counted and logged (as for files) */
    ksrc_state *st = src->state;
    chunk_tag *t = c->source_ctx;
    if (!st || !t)
        return;
    pthread_mutex_lock(&st->mu);
    bool known = true;
    if (t->gen == t->p->gen) {
        known = sl_wm_ack(&t->p->wm, c->begin);
        if (t->p->inflight)
            t->p->inflight--;
        pthread_cond_broadcast(&st->acked);
    }
    pthread_mutex_unlock(&st->mu);
    if (!known)
        sl_error(KS, "%s: ack for an unknown range of %s[%d] at %llu (a bug)", st->label,
                 t->p->topic, (int)t->p->partition, (unsigned long long)c->begin);
}

static void ksrc_destroy(sl_source *src)
{
    ksrc_state *st = src->state;
    if (!st)
        return;
    if (st->rk) {
        commit_acked(st, NULL, true);
        st->stopped = true;
        st->closing = true;
        rd_kafka_resp_err_t e = rd_kafka_consumer_close(st->rk);  /* revokes: commits */
        if (e)
            sl_warn(KS, "%s: closing the consumer: %s", st->label, rd_kafka_err2str(e));
        if (st->q)
            rd_kafka_queue_destroy(st->q);
        rd_kafka_destroy(st->rk);
    }
    for (size_t i = 0; i < st->n_held; i++)
        sl_chunk_discard(st->held[i]);
    free(st->held);
    for (size_t i = 0; i < st->n_batch; i++)
        if (st->batch[i].m)
            rd_kafka_message_destroy(st->batch[i].m);
    free(st->batch);
    if (st->io_ev)
        event_free(st->io_ev);
    if (st->more_ev)
        event_free(st->more_ev);
    if (st->commit_ev)
        event_free(st->commit_ev);
    for (int i = 0; i < 2; i++)
        if (st->pipefd[i] >= 0)
            close(st->pipefd[i]);
    while (st->parts) {
        kpart *p = st->parts;
        st->parts = p->next;
        sl_wm_free(&p->wm);
        free(p->topic);
        free(p);
    }
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->acked);
    free(st->label);
    free(st);
    src->state = NULL;
}

static const sl_source_ops ksrc_ops = {
    .start = ksrc_start,
    .resume = ksrc_resume,
    .stop = ksrc_stop,
    .destroy = ksrc_destroy,
    .chunk_done = ksrc_chunk_done,
    .decode = ksrc_decode,
};

const sl_plugin sl_source_kafka = {
    .name = "kafka",
    .kind = SL_PLUGIN_SOURCE,
    .summary = "Consumes topics in a consumer group with librdkafka; commits a partition's "
               "offset only past messages whose events were delivered.",
    .options = ksrc_options,
    .config_size = sizeof(ksrc_cfg),
    .check = ksrc_check,
    .source = &ksrc_ops,
};
