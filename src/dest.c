/* dest.c: the destination runner shared by every destination. Each
 * destination has a bounded in-memory input buffer (a ring of events) that
 * workers push into (blocking when it is full: backpressure) and a thread
 * that takes batches out (batch.max_events / max_bytes / max_age), calls the
 * plugin's send(), retries with exponential backoff and full jitter while it
 * says RETRY, and releases the events once it says OK (or FAIL), which is
 * what fires the sources' acks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runtime.h"
#include "util/clock.h"
#include "util/xalloc.h"

void sl_dest_init(sl_dest *d)
{
    pthread_mutex_init(&d->mu, NULL);
    sl_cond_init(&d->not_empty);
    sl_cond_init(&d->not_full);
    d->ring_cap = (size_t)d->common->buffer_max_events;
    d->ring = sl_calloc(d->ring_cap, sizeof *d->ring);
}

static bool ring_full(const sl_dest *d)
{
    return d->ring_count == d->ring_cap ||
           (d->ring_count > 0 && d->ring_bytes >= d->common->buffer_max_bytes);
}

void sl_dest_push(sl_dest *d, sl_event *const *evs, size_t n)
{
    pthread_mutex_lock(&d->mu);
    size_t i = 0;
    while (i < n) {
        while (ring_full(d))
            pthread_cond_wait(&d->not_full, &d->mu);
        if (d->ring_count == 0)
            d->oldest_ns = sl_mono_ns();
        while (i < n && !ring_full(d)) {
            d->ring[(d->ring_head + d->ring_count) % d->ring_cap] = evs[i];
            d->ring_count++;
            d->ring_bytes += evs[i]->msg_len;
            i++;
        }
        pthread_cond_signal(&d->not_empty);
    }
    pthread_mutex_unlock(&d->mu);
}

void sl_dest_close_input(sl_dest *d)
{
    pthread_mutex_lock(&d->mu);
    d->closing = true;
    pthread_cond_broadcast(&d->not_empty);
    pthread_mutex_unlock(&d->mu);
}

/* Release events after a send: runs of events from the same chunk are
 * released with one atomic operation. */
static void release_batch(sl_event *const *evs, size_t n, unsigned mark)
{
    size_t i = 0;
    while (i < n) {
        sl_chunk *c = evs[i]->chunk;
        unsigned run = 0;
        while (i < n && evs[i]->chunk == c) {
            run++;
            i++;
        }
        if (mark)
            sl_ack_mark(&c->ack, mark);
        sl_chunk_release(c, run);
    }
}

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
    while (!atomic_load(&d->rt->aborting)) {
        if (pthread_cond_timedwait(&d->not_full, &d->mu, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&d->mu);
}

static void send_batch(sl_dest *d, sl_event **batch, size_t n, uint64_t *rng)
{
    const sl_dest_common *cm = d->common;
    int64_t delay = cm->retry_initial_ns;
    unsigned attempt = 0;
    for (;;) {
        sl_send_result r = d->plugin->dest->send(d, batch, n);
        if (r == SL_SEND_OK) {
            atomic_fetch_add_explicit(&d->events_out, n, memory_order_relaxed);
            atomic_fetch_add_explicit(&d->batches_out, 1, memory_order_relaxed);
            if (attempt)
                sl_info("dest", "destination \"%s\": delivered after %u retries", d->name,
                        attempt);
            release_batch(batch, n, 0);
            return;
        }
        if (r == SL_SEND_FAIL) {
            atomic_fetch_add_explicit(&d->events_failed, n, memory_order_relaxed);
            sl_error("dest", "destination \"%s\": %zu events could not be delivered and are "
                             "dropped", d->name, n);
            release_batch(batch, n, SL_ACK_FAILED);
            return;
        }
        if (atomic_load(&d->rt->aborting))
            return;             /* leave them unacknowledged */
        attempt++;
        atomic_fetch_add_explicit(&d->retries, 1, memory_order_relaxed);
        /* full jitter: sleep uniformly in [0, delay], delay doubling to retry.max */
        int64_t sleep_ns = delay > 0 ? (int64_t)(rng_next(rng) % (uint64_t)delay) : 0;
        if (attempt == 1 || attempt % 10 == 0) {
            char t[32];
            sl_format_duration(delay, t, sizeof t);
            sl_warn("dest", "destination \"%s\": send failed, retrying (attempt %u, backoff up to %s)",
                    d->name, attempt, t);
        }
        backoff_sleep(d, sleep_ns);
        if (delay < cm->retry_max_ns / 2)
            delay *= 2;
        else
            delay = cm->retry_max_ns;
    }
}

static void *dest_main(void *arg)
{
    sl_dest *d = arg;
    const sl_dest_common *cm = d->common;
    size_t max_events = (size_t)cm->batch_max_events;
    sl_event **batch = sl_calloc(max_events, sizeof *batch);
    uint64_t rng = (uint64_t)sl_mono_ns() ^ (uintptr_t)d;
    bool when_idle = d->plugin->dest->write_when_idle;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (d->ring_count == 0 && !d->closing)
            pthread_cond_wait(&d->not_empty, &d->mu);
        if (d->ring_count == 0)
            break;              /* closing and drained */
        /* Wait for a full batch unless the destination writes when idle. */
        if (!when_idle && cm->batch_max_age_ns > 0) {
            struct timespec until = sl_deadline_in(cm->batch_max_age_ns -
                                                   (sl_mono_ns() - d->oldest_ns));
            while (!d->closing && d->ring_count < max_events &&
                   d->ring_bytes < cm->batch_max_bytes) {
                if (pthread_cond_timedwait(&d->not_empty, &d->mu, &until) == ETIMEDOUT)
                    break;
            }
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
        pthread_cond_broadcast(&d->not_full);
        pthread_mutex_unlock(&d->mu);
        send_batch(d, batch, n, &rng);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    free(batch);
    return NULL;
}

int sl_dest_start(sl_dest *d)
{
    d->opened = true;           /* close() runs even after a failed open() */
    if (d->plugin->dest->open && d->plugin->dest->open(d) != 0) {
        sl_error("dest", "destination \"%s\" failed to open", d->name);
        return -1;
    }
    if (pthread_create(&d->thread, NULL, dest_main, d) != 0) {
        sl_error("dest", "destination \"%s\": cannot start its thread: %s", d->name,
                 strerror(errno));
        return -1;
    }
    d->thread_started = true;
    return 0;
}

void sl_dest_join(sl_dest *d)
{
    if (d->thread_started)
        pthread_join(d->thread, NULL);
    d->thread_started = false;
    if (d->opened && d->plugin->dest->close)
        d->plugin->dest->close(d);
    d->opened = false;
}

void sl_dest_destroy(sl_dest *d)
{
    free(d->ring);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->not_empty);
    pthread_cond_destroy(&d->not_full);
}
