/* ack.c: reference-counted acknowledgement tokens. */
#include "ack.h"

#include <stdio.h>
#include <stdlib.h>

void sl_ack_init(sl_ack *a, sl_ack_fn fn, void *ctx)
{
    atomic_init(&a->refs, 1);
    atomic_init(&a->status, 0);
    a->fn = fn;
    a->ctx = ctx;
}

bool sl_ack_release(sl_ack *a, unsigned n)
{
    /* acq_rel: every write made by a releaser happens-before the callback. */
    unsigned before = atomic_fetch_sub_explicit(&a->refs, n, memory_order_acq_rel);
    if (before < n) {
        fprintf(stderr, "sluice: internal error: ack token released %u times with %u references\n",
                n, before);
        abort();
    }
    if (before != n)
        return false;
    unsigned status = atomic_load_explicit(&a->status, memory_order_relaxed);
    if (a->fn)
        a->fn(a, status, a->ctx);
    return true;
}
