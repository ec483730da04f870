/* dest.c: the destination runner shared by every destination. Each
 * destination has a bounded in-memory input buffer (a ring of events) that
 * workers push into (blocking when it is full: backpressure, or dropping
 * the newest with when_full: drop_newest; with buffer.type: disk workers
 * push into src/buffer/disk_buffer.c instead, whose pump feeds the ring)
 * and a thread
 * that takes batches out (batch.max_events / max_bytes / max_age), calls the
 * plugin's send(), retries with exponential backoff and full jitter while it
 * says RETRY (waiting at least what a Retry-After asked for, giving up after
 * retry.max_elapsed when set), and releases the events once it says OK,
 * which is what fires the sources' acks.
 *
 * With `concurrency: N` (plugins that set sl_dest_ops.concurrent) N sender
 * threads take batches from the same ring, each with its own plugin state
 * (open/close once per sender), encoding buffers, error line and backoff;
 * so up to N batches are in flight, committed and acked in any order. A
 * destination's memory is bounded by its ring (buffer.*) plus N batches
 * (batch.*) and their encoded bodies.
 *
 * A batch that is given up (FAIL, or retry.max_elapsed) goes to the
 * dead-letter destination of the pipeline that sent it there, as copies
 * annotated with an `error` map; without one it is logged and dropped. Its
 * acks fire either way. How the copies keep the chunks' ack accounting
 * right is described at dead_letter_run() and in ARCHITECTURE.md. */
#include "dest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer/disk_buffer.h"
#include "encode.h"
#include "log.h"
#include "runtime.h"
#include "util/clock.h"
#include "util/xalloc.h"

/* Longest wait a Retry-After may ask for. */
#define RETRY_AFTER_CAP_NS (3600LL * 1000000000)
/* Encoding buffers larger than this are freed after their batch. */
#define KEEP_BUFFER_BYTES ((size_t)16 << 20)

/* One sending thread of a destination and what it needs of its own. */
typedef struct sl_dest_sender_s {
    sl_dest *d;
    unsigned index;
    pthread_t thread;
    bool thread_started, opened;
    void *state;                /* the plugin's, for concurrent plugins */
    /* the batch being sent, encoded and compressed once */
    sl_buf enc, gz;
    const sl_buf *body;         /* NULL until the plugin asks for it */
    sl_gzip gzip;
    /* what the plugin said about the last attempt */
    char error[512];
    int64_t retry_after_ns;
    uint64_t rng;
    unsigned reopen_seen;       /* reopen generation this sender has acted on */
} sl_sender;

struct sl_dest_runner {
    sl_sender *senders;
    unsigned n_senders;
    atomic_uint reopen_gen;     /* bumped by sl_dest_request_reopen (SIGUSR1) */
    /* Dead-letter routes: for events of each source (index into
     * rt->sources), the destination that takes what this one gives up. */
    sl_dest **dead_letter;
    size_t n_sources;
    bool is_dead_letter;        /* some pipeline's dead_letter: never re-routes */
    char *label;                /* destination "NAME" (TYPE) */
    atomic_uint_fast64_t dead_lettered;
    sl_ratelimit retry_rl, fail_rl, drop_rl;
};

void sl_dest_init(sl_dest *d)
{
    pthread_mutex_init(&d->mu, NULL);
    sl_cond_init(&d->not_empty);
    sl_cond_init(&d->not_full);
    d->ring_cap = (size_t)d->common->buffer_max_events;
    d->ring = sl_calloc(d->ring_cap, sizeof *d->ring);
    d->runner = sl_calloc(1, sizeof *d->runner);
    struct sl_dest_runner *r = d->runner;
    r->n_senders = d->plugin->dest->concurrent && d->common->concurrency > 1
                       ? (unsigned)d->common->concurrency : 1;
    r->senders = sl_calloc(r->n_senders, sizeof *r->senders);
    for (unsigned i = 0; i < r->n_senders; i++) {
        r->senders[i].d = d;
        r->senders[i].index = i;
    }
    size_t n = strlen(d->name) + strlen(d->plugin->name) + 32;
    d->runner->label = sl_malloc(n);
    snprintf(d->runner->label, n, "destination \"%s\" (%s)", d->name, d->plugin->name);
}

static bool ring_full(const sl_dest *d)
{
    return d->ring_count == d->ring_cap ||
           (d->ring_count > 0 && d->ring_bytes >= d->common->buffer_max_bytes);
}

/* Put as many of evs[0..n) into the ring as fit now; under d->mu. */
static size_t ring_put(sl_dest *d, sl_event *const *evs, size_t n)
{
    size_t i = 0;
    if (d->ring_count == 0 && n)
        d->oldest_ns = sl_mono_ns();
    while (i < n && !ring_full(d)) {
        d->ring[(d->ring_head + d->ring_count) % d->ring_cap] = evs[i];
        d->ring_count++;
        d->ring_bytes += evs[i]->msg_len;
        i++;
    }
    return i;
}

/* Put events into the memory ring, waiting for room; stops early (and
 * returns how many went in) when *stop becomes true. */
size_t sl_dest_ring_push(sl_dest *d, sl_event *const *evs, size_t n, atomic_bool *stop)
{
    pthread_mutex_lock(&d->mu);
    size_t i = 0;
    while (i < n) {
        while (ring_full(d) && !(stop && atomic_load(stop)))
            pthread_cond_wait(&d->not_full, &d->mu);
        if (stop && atomic_load(stop))
            break;
        i += ring_put(d, evs + i, n - i);
        pthread_cond_signal(&d->not_empty);
    }
    pthread_mutex_unlock(&d->mu);
    return i;
}

/* when_full: drop_newest on a memory buffer: what does not fit now is
 * dropped (counted, logged at a bounded rate) and its references let go. */
static void ring_push_or_drop(sl_dest *d, sl_event *const *evs, size_t n)
{
    pthread_mutex_lock(&d->mu);
    size_t i = ring_put(d, evs, n);
    if (i)
        pthread_cond_signal(&d->not_empty);
    pthread_mutex_unlock(&d->mu);
    if (i == n)
        return;
    atomic_fetch_add_explicit(&d->events_dropped, n - i, memory_order_relaxed);
    unsigned sup;
    if (sl_ratelimit_allow(&d->runner->drop_rl, 5, &sup))
        sl_warn("dest", "destination \"%s\": buffer full; dropping the newest events "
                        "(when_full: drop_newest)%s", d->name,
                sup ? " (similar messages were suppressed)" : "");
    sl_events_release(evs + i, n - i, 0);
}

void sl_dest_push(sl_dest *d, sl_event *const *evs, size_t n)
{
    if (d->disk)
        sl_disk_buffer_push(d->disk, evs, n);
    else if (d->common->buffer_when_full == SL_WHEN_FULL_DROP_NEWEST)
        ring_push_or_drop(d, evs, n);
    else
        sl_dest_ring_push(d, evs, n, NULL);
}

void sl_dest_ring_close(sl_dest *d)
{
    pthread_mutex_lock(&d->mu);
    d->closing = true;
    pthread_cond_broadcast(&d->not_empty);
    pthread_mutex_unlock(&d->mu);
}

void sl_dest_close_input(sl_dest *d, bool drain)
{
    if (d->disk)
        sl_disk_buffer_close_input(d->disk, drain);
    else
        sl_dest_ring_close(d);
}

void sl_dest_abandon(sl_dest *d)
{
    pthread_mutex_lock(&d->mu);
    atomic_store(&d->abandon, true);
    pthread_cond_broadcast(&d->not_full);
    pthread_cond_broadcast(&d->not_empty);
    pthread_mutex_unlock(&d->mu);
}

bool sl_dest_is_dead_letter(const sl_dest *d)
{
    return d->runner && d->runner->is_dead_letter;
}


/* ---- for plugins, during send() (dest.h) -------------------------------- */

/* The sender the calling thread is acting for: set by each sender thread
 * for its life, and around open() and close() on the starting and the
 * joining thread. */
static _Thread_local sl_sender *current;

static sl_sender *sender_of(const sl_dest *d)
{
    if (current && current->d == d)
        return current;
    return &d->runner->senders[0];
}

void *sl_dest_state(sl_dest *d)
{
    return d->plugin->dest->concurrent ? sender_of(d)->state : d->state;
}

void sl_dest_set_state(sl_dest *d, void *state)
{
    if (d->plugin->dest->concurrent)
        sender_of(d)->state = state;
    else
        d->state = state;
}

unsigned sl_dest_sender(const sl_dest *d)
{
    return sender_of(d)->index;
}

void sl_dest_request_reopen(sl_dest *d)
{
    if (d->runner)
        atomic_fetch_add(&d->runner->reopen_gen, 1);
}

const sl_buf *sl_dest_body(sl_dest *d, sl_event *const *evs, size_t n)
{
    sl_sender *r = sender_of(d);
    if (r->body)
        return r->body;         /* a retry: the same bytes again */
    const sl_dest_common *cm = d->common;
    sl_buf_reset(&r->enc);
    sl_encode_batch(&r->enc, evs, n, cm->encoding);
    r->body = &r->enc;
    if (cm->compression == SL_COMP_GZIP) {
        sl_buf_reset(&r->gz);
        sl_gzip_compress(&r->gzip, (int)cm->compression_level, &r->gz, r->enc.p, r->enc.len);
        r->body = &r->gz;
    }
    return r->body;
}

void sl_dest_set_error(sl_dest *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_sender *r = sender_of(d);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
}

void sl_dest_retry_after(sl_dest *d, int64_t ns)
{
    sender_of(d)->retry_after_ns = ns;
}

/* ---- dead letters ------------------------------------------------------------ */

/* Work out, once before the thread starts, where this destination's
 * given-up events go: for events of source S, the dead_letter of the first
 * pipeline (in config order) that reads S and sends to this destination
 * and has one. A destination that is itself some pipeline's dead_letter
 * never routes further (no loops, no dead letters of dead letters). */
static void build_dead_letter_routes(sl_dest *d)
{
    struct sl_dest_runner *r = d->runner;
    sl_runtime *rt = d->rt;
    for (size_t i = 0; i < rt->n_pipelines; i++)
        if (rt->pipelines[i].dead_letter == d)
            r->is_dead_letter = true;
    r->n_sources = rt->n_sources;
    r->dead_letter = sl_calloc(rt->n_sources ? rt->n_sources : 1, sizeof *r->dead_letter);
    for (size_t s = 0; s < rt->n_sources; s++) {
        const sl_source *src = &rt->sources[s];
        for (size_t k = 0; k < src->n_pipelines && !r->dead_letter[s]; k++) {
            const sl_pipeline *p = src->pipelines[k];
            if (!p->dead_letter || p->dead_letter == d)
                continue;
            for (size_t j = 0; j < p->n_to; j++) {
                if (p->to[j] != d)
                    continue;
                if (r->is_dead_letter) {
                    sl_warn("dest", "destination \"%s\" is the dead_letter of a pipeline, so "
                                    "what it cannot deliver is dropped, not sent on to \"%s\"",
                            d->name, p->dead_letter->name);
                    return;
                }
                r->dead_letter[s] = p->dead_letter;
                break;
            }
        }
    }
}

static sl_dest *dead_letter_for(const sl_dest *d, const sl_chunk *c)
{
    const struct sl_dest_runner *r = d->runner;
    if (r->is_dead_letter || !c->source)
        return NULL;
    const sl_source *srcs = d->rt->sources;
    if (c->source < srcs || c->source >= srcs + r->n_sources)
        return NULL;
    return r->dead_letter[c->source - srcs];
}

/* A dead-letter chunk's link to the chunk its events were copied from. */
typedef struct {
    sl_chunk *orig;
    unsigned n;                 /* references on orig it holds */
    sl_runtime *rt;
} dead_letter_link;

static void dead_letter_done(sl_chunk *c, unsigned status, void *ctx)
{
    (void)ctx;
    dead_letter_link *l = c->source_ctx;
    atomic_fetch_sub(&l->rt->live_bytes, c->acct);
    sl_ack_mark(&l->orig->ack, SL_ACK_DEAD_LETTERED | (status & SL_ACK_FAILED));
    sl_chunk_release(l->orig, l->n);    /* may fire the original's ack */
}

static void set_str(sl_chunk *c, sl_fields *m, const char *name, const char *s)
{
    sl_value *v = sl_fields_set(c, m, name, strlen(name));
    v->type = SL_VAL_STRING;
    v->u.s.p = s;
    v->u.s.n = strlen(s);
}

/* Send copies of n events of one chunk (`orig`) that this destination gave
 * up on to dead-letter destination `dl`.
 *
 * The originals are read-only and may sit in other destinations' rings, and
 * a chunk's arena belongs to its owner (a worker, once), so the copies live
 * in a new chunk of their own: event headers, a shallow copy of each
 * field list, and the `error` map (stage "destination", component, message,
 * time) in its arena; messages and field values still point into the
 * original chunk. That is safe because the new chunk keeps the n
 * references this destination held on the original instead of releasing
 * them: they are released (marking the original DEAD_LETTERED, and FAILED
 * if the dead-letter destination could not deliver either) only when the
 * dead-letter chunk's own ack fires, after its last copy is committed or
 * given up. So the original's ack fires after every delivery, the
 * dead-letter one included, and its memory outlives the copies. The copy
 * chunk is charged to service.memory_limit like any chunk. */
static void dead_letter_run(sl_dest *d, sl_dest *dl, sl_event *const *evs, size_t n,
                            const char *why)
{
    sl_chunk *orig = evs[0]->chunk;
    sl_chunk *c = sl_chunk_new(orig->source, 0, dead_letter_done, NULL);
    c->origin = orig->origin;
    c->origin_key = orig->origin_key;
    c->host = orig->host;
    dead_letter_link *l = sl_arena_alloc(&c->arena, sizeof *l);
    l->orig = orig;
    l->n = (unsigned)n;
    l->rt = d->rt;
    c->source_ctx = l;
    const char *component = sl_arena_strndup(&c->arena, d->runner->label,
                                             strlen(d->runner->label));
    const char *message = sl_arena_strndup(&c->arena, why, strlen(why));
    int64_t now = sl_now_ns();
    for (size_t i = 0; i < n; i++) {
        const sl_event *ev = evs[i];
        sl_event *e = sl_chunk_add_event(c, ev->msg, ev->msg_len, ev->time_ns);
        e->flags = ev->flags;
        if (ev->fields.n) {
            e->fields.v = sl_arena_alloc(&c->arena, (ev->fields.n + 1) * sizeof(sl_field));
            memcpy(e->fields.v, ev->fields.v, ev->fields.n * sizeof(sl_field));
            e->fields.n = ev->fields.n;
            e->fields.cap = ev->fields.n + 1;
        }
        sl_fields *m = sl_fields_new_map(c);
        set_str(c, m, "stage", "destination");
        set_str(c, m, "component", component);
        set_str(c, m, "message", message);
        sl_value *v = sl_fields_set(c, m, "time", 4);
        v->type = SL_VAL_TIME;
        v->u.t_ns = now;
        v = sl_event_set(e, "error", 5);
        v->type = SL_VAL_MAP;
        v->u.map = m;
    }
    /* Charged like a source chunk (runtime.c): discharged in dead_letter_done. */
    c->acct = sizeof *c + c->cap_events * sizeof(sl_event *) + c->arena.allocated + 16384;
    atomic_fetch_add(&d->rt->live_bytes, c->acct);
    sl_ack_ref(&c->ack, (unsigned)n);   /* one per copy, released by dl's thread */
    sl_dest_push(dl, c->events, n);     /* may wait for room: backpressure */
    sl_chunk_release(c, 1);             /* our hold; c may be gone after this */
}

/* The batch will never be delivered here: dead-letter what has a route,
 * drop (and mark failed) the rest. Every event's reference is let go of,
 * now or when its dead-letter copy is done. */
static void give_up(sl_dest *d, sl_event *const *evs, size_t n, const char *why)
{
    struct sl_dest_runner *r = d->runner;
    size_t dropped = 0, dead = 0;
    const char *dl_name = NULL;
    size_t i = 0;
    while (i < n) {
        sl_chunk *c = evs[i]->chunk;
        size_t j = i;
        while (j < n && evs[j]->chunk == c)
            j++;
        sl_dest *dl = dead_letter_for(d, c);
        if (dl) {
            dead_letter_run(d, dl, evs + i, j - i, why);
            dead += j - i;
            dl_name = dl->name;
        } else {
            sl_ack_mark(&c->ack, SL_ACK_FAILED);
            sl_chunk_release(c, (unsigned)(j - i));
            dropped += j - i;
        }
        i = j;
    }
    unsigned sup;
    if (dead) {
        atomic_fetch_add_explicit(&r->dead_lettered, dead, memory_order_relaxed);
        if (sl_ratelimit_allow(&r->fail_rl, 10, &sup))
            sl_warn("dest", "destination \"%s\": %zu events could not be delivered (%s); "
                            "sent to dead-letter destination \"%s\"%s",
                    d->name, dead, why, dl_name, sup ? " (similar messages were suppressed)" : "");
    }
    if (dropped) {
        atomic_fetch_add_explicit(&d->events_failed, dropped, memory_order_relaxed);
        if (sl_ratelimit_allow(&r->fail_rl, 10, &sup))
            sl_error("dest", "destination \"%s\": %zu events could not be delivered and are "
                             "dropped: %s%s", d->name, dropped, why,
                     sup ? " (similar messages were suppressed)" : "");
    }
}

/* ---- sending -------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Sleep up to ns, waking early when the runtime gives up (shutdown timeout). */
static void backoff_sleep(sl_dest *d, int64_t ns)
{
    pthread_mutex_lock(&d->mu);
    struct timespec until = sl_deadline_in(ns);
    while (!atomic_load(&d->rt->aborting) && !atomic_load(&d->abandon)) {
        if (pthread_cond_timedwait(&d->not_full, &d->mu, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&d->mu);
}

/* SIGUSR1 asked for a reopen since this sender last looked: do it now,
 * between attempts, on this thread. */
static void maybe_reopen(sl_dest *d, sl_sender *r)
{
    unsigned gen = atomic_load(&d->runner->reopen_gen);
    if (gen == r->reopen_seen)
        return;
    r->reopen_seen = gen;
    if (d->plugin->dest->reopen)
        d->plugin->dest->reopen(d);
}

const double sl_latency_bounds[SL_LATENCY_BUCKETS - 1] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                          0.5,   1,    2.5,   5,    10};

static void note_commit(sl_dest *d, int64_t started)
{
    atomic_store_explicit(&d->failing_since_ns, 0, memory_order_relaxed);
    double s = (double)(sl_mono_ns() - started) / 1e9;
    size_t b = 0;
    while (b < SL_LATENCY_BUCKETS - 1 && s > sl_latency_bounds[b])
        b++;
    atomic_fetch_add_explicit(&d->latency_buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&d->latency_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&d->latency_sum_us, (uint64_t)(s * 1e6), memory_order_relaxed);
}

static void note_failure(sl_dest *d, const char *why)
{
    int64_t zero = 0;
    atomic_compare_exchange_strong(&d->failing_since_ns, &zero, sl_mono_ns());
    size_t n = strlen(why);
    if (n >= sizeof d->last_error)
        n = sizeof d->last_error - 1;
    pthread_mutex_lock(&d->mu);
    memcpy(d->last_error, why, n);
    d->last_error[n] = 0;
    pthread_mutex_unlock(&d->mu);
}

static void send_batch(sl_sender *r, sl_event **batch, size_t n)
{
    sl_dest *d = r->d;
    uint64_t *rng = &r->rng;
    const sl_dest_common *cm = d->common;
    int64_t delay = cm->retry_initial_ns;
    int64_t started = sl_mono_ns();
    unsigned attempt = 0;
    r->body = NULL;             /* a new batch: encode on first use */
    for (;;) {
        r->error[0] = 0;
        r->retry_after_ns = 0;
        maybe_reopen(d, r);
        sl_send_result res = d->plugin->dest->send(d, batch, n);
        if (res == SL_SEND_OK) {
            atomic_fetch_add_explicit(&d->events_out, n, memory_order_relaxed);
            atomic_fetch_add_explicit(&d->batches_out, 1, memory_order_relaxed);
            if (attempt)
                sl_info("dest", "destination \"%s\": delivered after %u retries", d->name,
                        attempt);
            note_commit(d, started);
            sl_events_release(batch, n, 0);
            break;
        }
        if (res == SL_SEND_FAIL) {
            /* the destination answered: it works, this batch is refused */
            atomic_store_explicit(&d->failing_since_ns, 0, memory_order_relaxed);
            give_up(d, batch, n, r->error[0] ? r->error : "the destination refused the batch");
            break;
        }
        note_failure(d, r->error[0] ? r->error : "send failed");
        if (atomic_load(&d->rt->aborting) || atomic_load(&d->abandon))
            return;             /* leave them unacknowledged (a disk buffer
                                   replays them after a restart) */
        attempt++;
        atomic_fetch_add_explicit(&d->retries, 1, memory_order_relaxed);
        /* full jitter: wait uniformly in [0, delay], delay doubling to retry.max */
        int64_t wait_ns = delay > 0 ? (int64_t)(rng_next(rng) % ((uint64_t)delay + 1)) : 0;
        bool asked = false;
        if (r->retry_after_ns > 0) {
            int64_t ra = r->retry_after_ns < RETRY_AFTER_CAP_NS ? r->retry_after_ns
                                                                : RETRY_AFTER_CAP_NS;
            if (ra > wait_ns) {
                wait_ns = ra;
                asked = true;
            }
        }
        const char *why = r->error[0] ? r->error : "send failed";
        if (cm->retry_max_elapsed_ns > 0) {
            int64_t left = cm->retry_max_elapsed_ns - (sl_mono_ns() - started);
            if (left <= 0) {
                char t[32], msg[sizeof r->error + 96];
                sl_format_duration(cm->retry_max_elapsed_ns, t, sizeof t);
                snprintf(msg, sizeof msg, "gave up after %u attempts in retry.max_elapsed %s: %s",
                         attempt, t, why);
                give_up(d, batch, n, msg);
                break;
            }
            if (wait_ns > left)
                wait_ns = left;     /* one last attempt at the deadline */
        }
        unsigned sup;
        if (sl_ratelimit_allow(&d->runner->retry_rl, 10, &sup))
            sl_warn("dest", "destination \"%s\": %s; retry %u in %.2fs%s%s", d->name, why, attempt,
                    (double)wait_ns / 1e9, asked ? " (as Retry-After asked)" : "",
                    sup ? " (similar messages were suppressed)" : "");
        backoff_sleep(d, wait_ns);
        if (delay < cm->retry_max_ns / 2)
            delay *= 2;
        else
            delay = cm->retry_max_ns;
    }
    /* Do not keep a huge encoding buffer around after a huge batch. */
    if (r->enc.cap > KEEP_BUFFER_BYTES)
        sl_buf_free(&r->enc);
    if (r->gz.cap > KEEP_BUFFER_BYTES)
        sl_buf_free(&r->gz);
    r->body = NULL;
}

static void *dest_main(void *arg)
{
    sl_sender *sd = arg;
    sl_dest *d = sd->d;
    current = sd;
    const sl_dest_common *cm = d->common;
    size_t max_events = (size_t)cm->batch_max_events;
    sl_event **batch = sl_calloc(max_events, sizeof *batch);
    sd->rng = (uint64_t)sl_mono_ns() ^ (uintptr_t)sd;
    bool when_idle = d->plugin->dest->write_when_idle;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (d->ring_count == 0 && !d->closing && !atomic_load(&d->abandon))
            pthread_cond_wait(&d->not_empty, &d->mu);
        if (d->ring_count == 0 || atomic_load(&d->abandon))
            break;              /* closing and drained, or told to leave the rest */
        /* Wait for a full batch unless the destination writes when idle.
         * The deadline is recomputed after every wake-up: with several
         * senders, another one may have taken the oldest events. */
        if (!when_idle && cm->batch_max_age_ns > 0) {
            while (!d->closing && d->ring_count > 0 && d->ring_count < max_events &&
                   d->ring_bytes < cm->batch_max_bytes) {
                int64_t left = cm->batch_max_age_ns - (sl_mono_ns() - d->oldest_ns);
                if (left <= 0)
                    break;
                struct timespec until = sl_deadline_in(left);
                pthread_cond_timedwait(&d->not_empty, &d->mu, &until);
            }
            if (d->ring_count == 0)
                continue;       /* another sender took them */
        }
        size_t n = 0;
        uint64_t bytes = 0;
        while (d->ring_count > 0 && n < max_events &&
               (n == 0 || bytes + d->ring[d->ring_head]->msg_len <= cm->batch_max_bytes)) {
            sl_event *ev = d->ring[d->ring_head];
            batch[n++] = ev;
            bytes += ev->msg_len;
            d->ring_head = (d->ring_head + 1) % d->ring_cap;
            d->ring_count--;
            d->ring_bytes -= ev->msg_len;
        }
        d->oldest_ns = sl_mono_ns();
        if (d->ring_count > 0 && d->runner->n_senders > 1)
            pthread_cond_signal(&d->not_empty);     /* more for another sender */
        pthread_cond_broadcast(&d->not_full);
        pthread_mutex_unlock(&d->mu);
        send_batch(sd, batch, n);
        pthread_mutex_lock(&d->mu);
    }
    if (d->runner->n_senders > 1)
        pthread_cond_broadcast(&d->not_empty);      /* let the others see the end */
    pthread_mutex_unlock(&d->mu);
    free(batch);
    return NULL;
}

int sl_dest_start(sl_dest *d)
{
    struct sl_dest_runner *r = d->runner;
    build_dead_letter_routes(d);
    if (d->common->buffer_type == SL_BUF_DISK) {
        d->disk = sl_disk_buffer_open(d);
        if (!d->disk)
            return -1;
    }
    d->opened = true;           /* close() runs even after a failed open() */
    for (unsigned i = 0; i < r->n_senders; i++) {
        sl_sender *sd = &r->senders[i];
        sd->opened = true;
        if (d->plugin->dest->open) {
            current = sd;
            int rc = d->plugin->dest->open(d);
            current = NULL;
            if (rc != 0) {
                if (r->n_senders > 1)
                    sl_error("dest", "destination \"%s\" failed to open (sender %u of %u)",
                             d->name, i + 1, r->n_senders);
                else
                    sl_error("dest", "destination \"%s\" failed to open", d->name);
                return -1;
            }
        }
    }
    for (unsigned i = 0; i < r->n_senders; i++) {
        sl_sender *sd = &r->senders[i];
        if (pthread_create(&sd->thread, NULL, dest_main, sd) != 0) {
            sl_error("dest", "destination \"%s\": cannot start its thread: %s", d->name,
                     strerror(errno));
            return -1;
        }
        sd->thread_started = true;
        d->thread_started = true;
    }
    if (d->disk && sl_disk_buffer_start(d->disk) != 0) {
        sl_error("dest", "destination \"%s\": cannot start its disk buffer's threads: %s",
                 d->name, strerror(errno));
        return -1;
    }
    if (r->n_senders > 1)
        sl_info("dest", "destination \"%s\": %u senders (concurrency)", d->name, r->n_senders);
    return 0;
}

void sl_dest_join(sl_dest *d)
{
    struct sl_dest_runner *r = d->runner;
    if (d->disk)
        sl_disk_buffer_join_pump(d->disk);  /* it closes the ring when done */
    for (unsigned i = 0; i < r->n_senders; i++) {
        if (r->senders[i].thread_started)
            pthread_join(r->senders[i].thread, NULL);
        r->senders[i].thread_started = false;
    }
    d->thread_started = false;
    for (unsigned i = 0; i < r->n_senders; i++) {
        sl_sender *sd = &r->senders[i];
        if (d->opened && sd->opened && d->plugin->dest->close) {
            current = sd;
            d->plugin->dest->close(d);
            current = NULL;
        }
        sd->opened = false;
    }
    d->opened = false;
    if (d->disk)
        sl_disk_buffer_finish(d->disk);
    uint64_t dead = atomic_load(&d->runner->dead_lettered);
    if (dead)
        sl_info("dest", "destination \"%s\": %llu events it could not deliver went to a "
                        "dead-letter destination", d->name, (unsigned long long)dead);
}

void sl_dest_destroy(sl_dest *d)
{
    struct sl_dest_runner *r = d->runner;
    if (r) {
        for (unsigned i = 0; i < r->n_senders; i++) {
            sl_buf_free(&r->senders[i].enc);
            sl_buf_free(&r->senders[i].gz);
            sl_gzip_free(&r->senders[i].gzip);
        }
        free(r->senders);
        free(r->dead_letter);
        free(r->label);
        free(r);
        d->runner = NULL;
    }
    sl_disk_buffer_free(d->disk);
    d->disk = NULL;
    free(d->ring);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->not_empty);
    pthread_cond_destroy(&d->not_full);
}
