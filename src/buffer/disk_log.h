/* disk_log.h: the files of one disk buffer. A directory holds segment
 * files named by the log position of their first byte (16 hex digits,
 * ".seg"), a `released` file (the position before which everything has
 * been delivered: 8 bytes and a CRC-32C, replaced atomically) and a
 * `lock` file (flock: one owner at a time). Positions grow for ever
 * across segments, so a position names one byte of the log.
 *
 * Appends go to the last segment (the active one), opened fresh by each
 * process: segments left by an earlier run are sealed and only read, so a
 * torn record at the end of one (a crash mid-write) is never appended
 * after. A new segment starts when the active one reaches segment_bytes.
 * A failed append (disk full) is cut back, so the log only ever holds
 * whole records written by this run. Releasing deletes every segment that
 * lies entirely before the released position.
 *
 * Not thread-safe: the disk buffer (disk_buffer.c) locks around every
 * call. Readers open segments by path and pread() outside that lock. */
#ifndef SLUICE_BUFFER_DISK_LOG_H
#define SLUICE_BUFFER_DISK_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_disk_log sl_disk_log;

/* Open (creating it, mode 0700) the buffer directory. NULL with *err set
 * (free it) when it cannot be created or locked. *note is set (free it)
 * when something was wrong but recovered (a corrupt `released` file). */
sl_disk_log *sl_dlog_open(const char *dir, uint64_t segment_bytes, char **err, char **note);
void sl_dlog_close(sl_disk_log *l);

/* Append whole records; 0, or -1 with errno (nothing of them is kept).
 * sync_on_roll: fdatasync a segment before leaving it for a new one. */
int sl_dlog_append(sl_disk_log *l, const void *p, size_t n, bool sync_on_roll);
/* A duplicate of the active segment's descriptor (to fdatasync outside
 * the lock), or -1 when there is none. */
int sl_dlog_dup_active(const sl_disk_log *l);
int sl_dlog_sync(sl_disk_log *l);

/* Where the next append goes: the end of everything written. */
uint64_t sl_dlog_end(const sl_disk_log *l);
/* Bytes in segment files now. */
uint64_t sl_dlog_disk_bytes(const sl_disk_log *l);
uint64_t sl_dlog_released(const sl_disk_log *l);
/* Bytes written by this process's appends (for metrics). */
uint64_t sl_dlog_appended(const sl_disk_log *l);

/* For a reader at *pos: the segment that holds it (*base), how far it may
 * read in it now (*limit: the segment's end), and whether the segment is
 * sealed (will not grow). A position in a gap between segments (a
 * segment removed by hand) moves to the next segment's start; *gap says
 * how many bytes were jumped. False when *pos is at the end of the log. */
bool sl_dlog_locate(const sl_disk_log *l, uint64_t *pos, uint64_t *base, uint64_t *limit,
                    bool *sealed, uint64_t *gap);
/* The path of the segment starting at base (malloc'd). */
char *sl_dlog_segment_path(const sl_disk_log *l, uint64_t base);

/* Everything before pos is delivered: persist it and delete the segments
 * that lie entirely before it (never the active one). 0, or -1 with errno
 * if the `released` file cannot be written (then nothing is deleted). */
int sl_dlog_release(sl_disk_log *l, uint64_t pos);

#endif
