/* queue.h: the bounded queue between sources (on the I/O thread) and the
 * worker pool. It carries chunks, so a lock is taken per chunk, not per
 * event. It is bounded by events and bytes: a source whose push is refused
 * pauses, and the queue tells it (through `on_space`) when it has drained to
 * half its bounds. Memory never grows with the input rate. */
#ifndef SLUICE_QUEUE_H
#define SLUICE_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "event.h"

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t not_empty;
    sl_chunk *head, *tail;
    size_t events, bytes, chunks;
    uint64_t popped;            /* chunks taken so far (numbers them: seq) */
    size_t max_events, max_bytes;
    bool closed;
    bool producers_waiting;
    void (*on_space)(void *ctx);   /* called without the lock held */
    void *on_space_ctx;
} sl_queue;

void sl_queue_init(sl_queue *q, size_t max_events, size_t max_bytes,
                   void (*on_space)(void *), void *ctx);
void sl_queue_destroy(sl_queue *q);

/* Append unless the queue is at its bounds (an empty queue always takes a
 * chunk, however large, so a big chunk cannot wedge a source). On refusal
 * the producer is marked waiting and `on_space` will be called later. */
bool sl_queue_try_push(sl_queue *q, sl_chunk *c);

/* Take the oldest chunk, waiting while the queue is empty, and number it
 * (c->seq: 0, 1, 2... in the order taken). NULL once the queue is closed
 * and empty. */
sl_chunk *sl_queue_pop(sl_queue *q);

/* No more pushes will come; poppers drain what is left, then get NULL. */
void sl_queue_close(sl_queue *q);

/* Snapshot of the queue's size. */
void sl_queue_stats(sl_queue *q, size_t *events, size_t *bytes);

#endif
