/* ack_watermark.c: the contiguous-ack watermark (see the header). */
#include "util/ack_watermark.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void sl_wm_init(sl_ack_watermark *w, uint64_t offset)
{
    memset(w, 0, sizeof *w);
    w->done = offset;
}

void sl_wm_free(sl_ack_watermark *w)
{
    free(w->v);
    memset(w, 0, sizeof *w);
}

static sl_wm_range *at(const sl_ack_watermark *w, size_t i)
{
    return &w->v[(w->head + i) % w->cap];
}

void sl_wm_push(sl_ack_watermark *w, uint64_t begin, uint64_t end)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        sl_wm_range *v = sl_malloc(cap * sizeof *v);
        for (size_t i = 0; i < w->count; i++)
            v[i] = *at(w, i);
        free(w->v);
        w->v = v;
        w->cap = cap;
        w->head = 0;
    }
    if (w->count == 0 && begin > w->done)
        w->done = begin;            /* skipped bytes before the first range */
    *at(w, w->count++) = (sl_wm_range){begin, end, false};
}

bool sl_wm_ack(sl_ack_watermark *w, uint64_t begin)
{
    /* Ranges are in increasing order of begin: binary search. */
    size_t lo = 0, hi = w->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (at(w, mid)->begin < begin)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == w->count || at(w, lo)->begin != begin || at(w, lo)->acked)
        return false;
    at(w, lo)->acked = true;
    while (w->count && at(w, 0)->acked) {
        w->done = at(w, 0)->end;
        w->head = (w->head + 1) % w->cap;
        w->count--;
        /* a gap before the next range is bytes the reader skipped */
        if (w->count && at(w, 0)->begin > w->done)
            w->done = at(w, 0)->begin;
    }
    return true;
}

void sl_wm_advance_idle(sl_ack_watermark *w, uint64_t offset)
{
    if (w->count == 0 && offset > w->done)
        w->done = offset;
}
