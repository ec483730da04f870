/* disk_buffer.h: a destination's disk buffer (`buffer.type: disk`).
 *
 * Workers hand events to it instead of the destination's memory ring: they
 * are appended as records to a segmented log (disk_log.h, event_record.h)
 * and the sources' references are released once the records are durable
 * by the `buffer.fsync` policy (always: fdatasync before releasing;
 * interval: a flusher thread fdatasyncs every `buffer.fsync_interval` and
 * releases what it covered; never: after the write). A pump thread reads
 * the log from the oldest unreleased record, in order, builds replay
 * chunks whose events point into the bytes read, and pushes them into the
 * destination's memory ring, where the senders batch and send them as
 * usual. When a replay chunk's events are all committed (or given up) its
 * log range is acked; the released position (the contiguous-ack
 * watermark) is saved every second and at stop, and segments before it
 * are deleted. After a crash or restart, everything after the saved
 * position is replayed before anything new, so a record can be delivered
 * twice (committed after the last save) but never lost.
 *
 * Full (`buffer.max_size`) or a failing disk (ENOSPC, EIO): workers wait
 * (backpressure) and retry every second, or with `when_full: drop_newest`
 * the events are dropped and counted. Corrupt or torn records are
 * reported, counted and skipped; the intact ones around them are
 * delivered. */
#ifndef SLUICE_BUFFER_DISK_BUFFER_H
#define SLUICE_BUFFER_DISK_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct sl_dest;
typedef struct sl_disk_buffer sl_disk_buffer;

/* Open the buffer's directory (buffer.path, or STATE_DIR/buffers/NAME);
 * NULL with an error logged. No threads yet. */
sl_disk_buffer *sl_disk_buffer_open(struct sl_dest *d);
int sl_disk_buffer_start(sl_disk_buffer *b);
/* From a worker (or a dead-letter hand-over): the caller holds one
 * reference per event on their chunks; they are released once durable. */
void sl_disk_buffer_push(sl_disk_buffer *b, sl_event *const *evs, size_t n);
/* No more pushes. drain: replay everything to the destination before the
 * senders stop (--once); else stop replaying now and leave the rest on
 * disk (SIGTERM). */
void sl_disk_buffer_close_input(sl_disk_buffer *b, bool drain);
/* Wait for the pump (before the senders are joined). */
void sl_disk_buffer_join_pump(sl_disk_buffer *b);
/* After the senders are joined: last fsync, save the released position,
 * stop the flusher. */
void sl_disk_buffer_finish(sl_disk_buffer *b);
void sl_disk_buffer_free(sl_disk_buffer *b);

typedef struct {
    uint64_t disk_bytes;        /* in segment files */
    uint64_t unreleased_bytes;  /* written and not yet delivered */
    uint64_t records_written, records_replayed;
    uint64_t corrupt_records, skipped_bytes, write_errors;
    bool blocked;               /* workers are waiting: full or failing disk */
} sl_disk_buffer_stats;

void sl_disk_buffer_get_stats(sl_disk_buffer *b, sl_disk_buffer_stats *s);

#endif
