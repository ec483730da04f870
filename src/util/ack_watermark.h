/* ack_watermark.h: the contiguous-ack watermark of a stream. A source
 * hands over ranges [begin, end) of a stream in order; their acks come
 * back in any order (parallel workers, several destinations). The
 * watermark is the end of the longest prefix whose ranges are all acked:
 * the position a checkpoint may record. Not thread-safe: the caller locks.
 * File sources use it per file; a Kafka source would use it per
 * partition. */
#ifndef SLUICE_UTIL_ACK_WATERMARK_H
#define SLUICE_UTIL_ACK_WATERMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t begin, end;
    bool acked;
} sl_wm_range;

typedef struct {
    sl_wm_range *v;         /* a ring of ranges in flight, oldest first */
    size_t head, count, cap;
    uint64_t done;          /* everything before it is acked (or skipped) */
} sl_ack_watermark;

/* Start at `offset` (the checkpoint the stream resumed from). */
void sl_wm_init(sl_ack_watermark *w, uint64_t offset);
void sl_wm_free(sl_ack_watermark *w);
/* A range was handed over. Ranges come in stream order; a gap before
 * `begin` (bytes the reader skipped) counts as done once reached. */
void sl_wm_push(sl_ack_watermark *w, uint64_t begin, uint64_t end);
/* The range that begins at `begin` was acked. False if no such range is
 * in flight (a bug in the caller). */
bool sl_wm_ack(sl_ack_watermark *w, uint64_t begin);
/* Nothing is in flight and the reader has consumed up to `offset` without
 * handing anything over (skipped bytes): move the watermark there. */
void sl_wm_advance_idle(sl_ack_watermark *w, uint64_t offset);
/* The checkpointable position. */
static inline uint64_t sl_wm_position(const sl_ack_watermark *w) { return w->done; }
static inline size_t sl_wm_in_flight(const sl_ack_watermark *w) { return w->count; }

#endif
