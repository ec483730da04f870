/* workers.c: the processor. Each worker takes one chunk at a time from the
 * source queue, has the source decode each event in it (where the source
 * only framed it on the I/O thread: syslog, JSON) and runs it, one at a
 * time, through the handler chain of each pipeline its source feeds;
 * outputs are staged per destination and handed over once per chunk (one
 * lock per destination per chunk, not per event). The chunk's ack gets one
 * reference per staged (event, destination) pair, so it fires when the last
 * of them commits. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "log.h"
#include "runtime.h"
#include "util/clock.h"
#include "util/xalloc.h"

typedef struct {
    sl_event **v;
    size_t n, cap;
} event_vec;

typedef struct {
    sl_runtime *rt;
    atomic_int_fast64_t *busy_since;    /* rt->worker_busy_since[i]: 0 when idle */
    atomic_uint_fast64_t *hstats;       /* this worker's handler counters */
    event_vec *stage;           /* one per destination */
} worker;

struct sl_handler_ctx {
    event_vec emitted;
    const char *error;
    sl_event *ev;
    uint64_t route;     /* bits of the pipeline's `to` (sl_handler_route_to) */
};

static void vec_push(event_vec *v, sl_event *ev)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->v = sl_realloc(v->v, v->cap * sizeof *v->v);
    }
    v->v[v->n++] = ev;
}

sl_event *sl_handler_emit(sl_handler_ctx *hc, const sl_event *like)
{
    sl_event *ev = sl_event_clone(like);
    vec_push(&hc->emitted, ev);
    return ev;
}

void sl_handler_fail(sl_handler_ctx *hc, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof tmp)
        n = sizeof tmp - 1;
    hc->error = sl_event_strdup(hc->ev, tmp, (size_t)n);
}

/* route handler: which of the pipeline's destinations get this event */
void sl_handler_route_to(sl_handler_ctx *hc, uint64_t mask)
{
    hc->route = mask;
}

/* A counter only this thread writes (read by the admin endpoint). */
static inline void bump(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static void stage(worker *w, sl_dest *d, sl_event *ev)
{
    vec_push(&w->stage[d->index], ev);
}

static void set_error_fields(sl_event *ev, const char *component, const char *msg)
{
    sl_fields *m = sl_fields_new_map(ev->chunk);
    sl_value *v = sl_fields_set(ev->chunk, m, "stage", 5);
    v->type = SL_VAL_STRING;
    v->u.s.p = "handler";
    v->u.s.n = 7;
    v = sl_fields_set(ev->chunk, m, "component", 9);
    v->type = SL_VAL_STRING;
    v->u.s.p = component;
    v->u.s.n = strlen(component);
    v = sl_fields_set(ev->chunk, m, "message", 7);
    v->type = SL_VAL_STRING;
    v->u.s.p = msg;
    v->u.s.n = strlen(msg);
    v = sl_fields_set(ev->chunk, m, "time", 4);
    v->type = SL_VAL_TIME;
    v->u.t_ns = sl_now_ns();
    v = sl_event_set(ev, "error", 5);
    v->type = SL_VAL_MAP;
    v->u.map = m;
}

static sl_ratelimit handler_error_rl;

static void handler_failed(worker *w, sl_pipeline *p, const sl_handler_inst *h, sl_event *ev,
                           const char *msg)
{
    if (!msg)
        msg = "handler failed";
    if (p->dead_letter) {
        set_error_fields(ev, h->label, msg);
        sl_ack_mark(&ev->chunk->ack, SL_ACK_DEAD_LETTERED);
        atomic_fetch_add_explicit(&p->dead_lettered, 1, memory_order_relaxed);
        stage(w, p->dead_letter, ev);
        return;
    }
    atomic_fetch_add_explicit(&p->handler_errors, 1, memory_order_relaxed);
    sl_ack_mark(&ev->chunk->ack, SL_ACK_FAILED);
    unsigned suppressed;
    if (sl_ratelimit_allow(&handler_error_rl, 10, &suppressed))
        sl_warn("handler", "%s: %s; the event is dropped (set dead_letter on the pipeline "
                           "to keep such events)%s",
                h->label, msg, suppressed ? " (similar messages were suppressed)" : "");
}

/* Run handlers [i..] of pipeline p on ev, staging whatever comes out to
 * the destinations of p->to whose bits are set in `route` (all of them
 * unless a route handler narrowed it; pipelines with a route handler have
 * at most SL_ROUTE_MAX_DESTS destinations). */
static void run_chain(worker *w, sl_pipeline *p, size_t i, sl_event *ev, uint64_t route)
{
    if (i == p->n_handlers) {
        size_t staged = 0;
        for (size_t k = 0; k < p->n_to; k++) {
            if (k < 64 && !(route >> k & 1))
                continue;
            stage(w, p->to[k], ev);
            staged++;
        }
        if (!staged && p->n_to)     /* routed nowhere: dropped */
            atomic_fetch_add_explicit(&p->dropped, 1, memory_order_relaxed);
        return;
    }
    const sl_handler_inst *h = &p->handlers[i];
    sl_handler_ctx hc = {.ev = ev, .route = route};
    sl_handler_result r = h->plugin->handler->process(h->state, ev, &hc);
    atomic_uint_fast64_t *st = &w->hstats[h->stat_index * SL_HSTATS];
    bump(&st[SL_HSTAT_IN], 1);
    bump(&st[r == SL_HANDLER_PASS ? SL_HSTAT_OUT : r == SL_HANDLER_DROP ? SL_HSTAT_DROPPED
                                                                        : SL_HSTAT_ERRORS],
         1);
    if (hc.emitted.n)
        bump(&st[SL_HSTAT_OUT], hc.emitted.n);
    switch (r) {
    case SL_HANDLER_PASS:
        run_chain(w, p, i + 1, ev, hc.route);
        break;
    case SL_HANDLER_DROP:
        atomic_fetch_add_explicit(&p->dropped, 1, memory_order_relaxed);
        break;
    case SL_HANDLER_ERROR:
        handler_failed(w, p, h, ev, hc.error);
        break;
    }
    for (size_t k = 0; k < hc.emitted.n; k++)
        run_chain(w, p, i + 1, hc.emitted.v[k], hc.route);
    free(hc.emitted.v);
}

/* service.keep_order: chunk `seq` is handed on to destinations only after
 * every chunk the queue gave out before it (each worker calls both for
 * every chunk it takes, with or without events to hand on). Waiting here
 * is not being stuck in a handler: busy_since is already 0. */
static void wait_for_turn(sl_runtime *rt, uint64_t seq)
{
    pthread_mutex_lock(&rt->order_mu);
    while (rt->order_next != seq)
        pthread_cond_wait(&rt->order_turn, &rt->order_mu);
    pthread_mutex_unlock(&rt->order_mu);
}

static void pass_turn(sl_runtime *rt)
{
    pthread_mutex_lock(&rt->order_mu);
    rt->order_next++;
    pthread_cond_broadcast(&rt->order_turn);
    pthread_mutex_unlock(&rt->order_mu);
}

/* Destinations whose senders encode JSON objects (ndjson, json_array) from
 * the ring: the worker encodes their events ahead. A disk buffer stores
 * records and its replayed events are encoded by the sender. */
static bool encodes_json(const sl_dest *d)
{
    return !d->disk && d->common->encoding != SL_ENC_RAW;
}

static void process_chunk(worker *w, sl_chunk *c)
{
    sl_runtime *rt = w->rt;
    sl_source *src = c->source;
    void (*decode)(sl_source *, sl_event *) = src->plugin->source->decode;
    uint32_t n = c->n_events;   /* handlers may append clones; they run via the chain */
    size_t arena_before = c->arena.allocated;
    /* The watchdog checks that no worker is stuck in its handlers; waiting
     * for room in a destination (backpressure) below is not being stuck. */
    atomic_store_explicit(w->busy_since, sl_mono_ns(), memory_order_relaxed);
    for (uint32_t i = 0; i < n; i++) {
        sl_event *ev = c->events[i];
        if (decode)
            decode(src, ev);
        /* Every pipeline but the last works on its own copy. */
        for (size_t k = 0; k + 1 < src->n_pipelines; k++)
            run_chain(w, src->pipelines[k], 0, sl_event_clone(ev), UINT64_MAX);
        if (src->n_pipelines)
            run_chain(w, src->pipelines[src->n_pipelines - 1], 0, ev, UINT64_MAX);
    }
    atomic_store_explicit(w->busy_since, 0, memory_order_relaxed);
    size_t staged = 0, encoded = 0;
    for (size_t d = 0; d < rt->n_dests; d++) {
        staged += w->stage[d].n;
        if (w->stage[d].n && encodes_json(&rt->dests[d]))
            encoded += sl_encode_ahead(c, w->stage[d].v, w->stage[d].n);
    }
    /* What decoding, the handlers and encoding added to the chunk is
     * charged with it, and discharged when it is freed. */
    size_t grown = encoded + (c->arena.allocated - arena_before);
    if (grown) {
        c->acct += grown;
        atomic_fetch_add(&rt->live_bytes, grown);
    }
    if (staged)
        sl_ack_ref(&c->ack, (unsigned)staged);
    if (rt->keep_order)
        wait_for_turn(rt, c->seq);
    for (size_t d = 0; d < rt->n_dests; d++) {
        if (w->stage[d].n) {
            sl_dest_push(&rt->dests[d], w->stage[d].v, w->stage[d].n);
            w->stage[d].n = 0;
        }
    }
    if (rt->keep_order)
        pass_turn(rt);
    sl_chunk_release(c, 1);     /* the worker's hold (handed on from the source) */
}

void *sl_worker_main(void *arg)
{
    worker w = {.rt = arg};
    size_t idx = atomic_fetch_add(&w.rt->worker_seq, 1) % w.rt->n_workers;
    w.busy_since = &w.rt->worker_busy_since[idx];
    w.hstats = &w.rt->handler_stats[idx * (w.rt->n_handler_stats ? w.rt->n_handler_stats : 1) *
                                    SL_HSTATS];
    w.stage = sl_calloc(w.rt->n_dests, sizeof *w.stage);
    sl_chunk *c;
    while ((c = sl_queue_pop(&w.rt->queue)) != NULL)
        process_chunk(&w, c);
    for (size_t d = 0; d < w.rt->n_dests; d++)
        free(w.stage[d].v);
    free(w.stage);
    return NULL;
}
