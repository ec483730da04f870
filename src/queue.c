/* queue.c: bounded chunk queue between sources and workers. */
#include "queue.h"

void sl_queue_init(sl_queue *q, size_t max_events, size_t max_bytes,
                   void (*on_space)(void *), void *ctx)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    q->head = q->tail = NULL;
    q->events = q->bytes = q->chunks = 0;
    q->popped = 0;
    q->max_events = max_events;
    q->max_bytes = max_bytes;
    q->closed = false;
    q->producers_waiting = false;
    q->on_space = on_space;
    q->on_space_ctx = ctx;
}

void sl_queue_destroy(sl_queue *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
}

static bool queue_full(const sl_queue *q)
{
    return q->chunks > 0 && (q->events >= q->max_events || q->bytes >= q->max_bytes);
}

bool sl_queue_try_push(sl_queue *q, sl_chunk *c)
{
    pthread_mutex_lock(&q->mu);
    if (queue_full(q)) {
        q->producers_waiting = true;
        pthread_mutex_unlock(&q->mu);
        return false;
    }
    c->next = NULL;
    if (q->tail)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
    q->chunks++;
    q->events += c->n_events;
    q->bytes += c->bytes;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return true;
}

sl_chunk *sl_queue_pop(sl_queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->mu);
    sl_chunk *c = q->head;
    bool wake = false;
    if (c) {
        q->head = c->next;
        if (!q->head)
            q->tail = NULL;
        q->chunks--;
        c->seq = q->popped++;
        q->events -= c->n_events;
        q->bytes -= c->bytes;
        c->next = NULL;
        if (q->producers_waiting && q->events <= q->max_events / 2 &&
            q->bytes <= q->max_bytes / 2) {
            q->producers_waiting = false;
            wake = true;
        }
    }
    pthread_mutex_unlock(&q->mu);
    if (wake && q->on_space)
        q->on_space(q->on_space_ctx);
    return c;
}

void sl_queue_close(sl_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

void sl_queue_stats(sl_queue *q, size_t *events, size_t *bytes)
{
    pthread_mutex_lock(&q->mu);
    *events = q->events;
    *bytes = q->bytes;
    pthread_mutex_unlock(&q->mu);
}
