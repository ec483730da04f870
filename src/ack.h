/* ack.h: the acknowledgement token. A source hands events to the pipeline
 * together with a token; the token is reference-counted across fan-out
 * (one event becoming many, one event going to many destinations) and fires
 * its callback exactly once, when the last reference is released: every
 * derived event committed or definitively dropped. Thread-safe. */
#ifndef SLUICE_ACK_H
#define SLUICE_ACK_H

#include <stdatomic.h>
#include <stdbool.h>

/* Outcome bits accumulated on a token; 0 means everything was delivered
 * (or deliberately dropped by a handler, which is not a failure). */
enum {
    SL_ACK_FAILED       = 1u << 0, /* something could not be delivered */
    SL_ACK_DEAD_LETTERED = 1u << 1, /* something went to a dead-letter destination */
};

typedef struct sl_ack sl_ack;
typedef void (*sl_ack_fn)(sl_ack *ack, unsigned status, void *ctx);

struct sl_ack {
    atomic_uint refs;
    atomic_uint status;
    sl_ack_fn fn;
    void *ctx;
};

/* The creator holds the first reference. */
void sl_ack_init(sl_ack *a, sl_ack_fn fn, void *ctx);

/* Take n more references (fan-out). The caller must already hold one. */
static inline void sl_ack_ref(sl_ack *a, unsigned n)
{
    atomic_fetch_add_explicit(&a->refs, n, memory_order_relaxed);
}

/* Record an outcome bit; visible to the callback. */
static inline void sl_ack_mark(sl_ack *a, unsigned bits)
{
    atomic_fetch_or_explicit(&a->status, bits, memory_order_relaxed);
}

/* Drop n references; the call that drops the last one runs the callback
 * (on the caller's thread) and returns true. The token must not be touched
 * after a release that may have been the last. */
bool sl_ack_release(sl_ack *a, unsigned n);

#endif
