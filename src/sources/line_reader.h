/* line_reader.h: reads a byte stream into chunks of newline-delimited
 * events. Bytes are read straight into the chunk's buffer and events point
 * into it (no copy); a partial last line is carried into the next chunk.
 * `\r\n` is trimmed to the message. A line longer than max_line is cut to
 * max_line bytes and flagged (truncate) or dropped (skip), and counted; the
 * rest of it is discarded up to its newline.
 *
 * Multiline: with a start-line test set (sl_line_reader_multiline), a line
 * that passes it begins a new event and the lines that follow, up to the
 * next start line, join it (newlines kept): stack traces become one event.
 * The last group stays pending until the next start line arrives, the
 * input ends, or the caller flushes it (a timeout). A group is bounded by
 * max_line like a line. */
#ifndef SLUICE_SOURCES_LINE_READER_H
#define SLUICE_SOURCES_LINE_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime.h"

enum { SL_LONG_TRUNCATE, SL_LONG_SKIP };

/* Words of the long_lines option, in SL_LONG_* order. */
extern const char *const sl_long_line_modes[];

/* The option-table entries every line-reading source has; `type` is the
 * source's config struct with a uint64_t max_line_bytes and an int
 * long_lines. */
#define SL_LINE_READER_OPTIONS(type)                                                     \
    {"max_line_bytes", SL_OPT_SIZE, "1MiB", 0, 16, 1LL << 30, NULL,                      \
     offsetof(type, max_line_bytes),                                                     \
     "Longest line kept whole; longer lines are cut (or skipped) and counted."},         \
    {"long_lines", SL_OPT_ENUM, "truncate", 0, 0, 0, sl_long_line_modes,                 \
     offsetof(type, long_lines), "What to do with a line over max_line_bytes: truncate or skip."}

/* Does this line (without its newline) start a new multiline event? */
typedef bool (*sl_line_start_fn)(void *ctx, const char *line, size_t len);
/* Read up to n bytes into buf: bytes read, 0 at end of input, -1 (errno). */
typedef ssize_t (*sl_read_fn)(void *ctx, char *buf, size_t n);

typedef struct {
    sl_source *src;
    /* Where chunks come from: sl_source_new_chunk unless set otherwise
     * (unit tests). */
    sl_chunk *(*new_chunk)(sl_source *src, size_t data_cap);
    const char *origin, *origin_key;
    size_t read_size;       /* bytes asked for per read() */
    size_t max_line;
    int long_lines;         /* SL_LONG_* */
    sl_line_start_fn is_start;  /* multiline when set */
    void *start_ctx;
    sl_chunk *cur;          /* being filled; holds what is pending */
    size_t line_start;      /* where the partial line begins in cur */
    size_t group_start;     /* where the open multiline group begins in cur */
    bool group_open;        /* a multiline group is pending */
    bool group_dropping;    /* the group overflowed: its further lines go */
    bool discarding;        /* inside an over-long line's tail */
    uint64_t offset;        /* stream offset of cur->data[0] */
    uint64_t lines, truncated, skipped;
} sl_line_reader;

void sl_line_reader_init(sl_line_reader *lr, sl_source *src, size_t max_line,
                         int long_lines);
/* Turn on multiline grouping. */
void sl_line_reader_multiline(sl_line_reader *lr, sl_line_start_fn is_start, void *ctx);
/* One read(). Returns bytes read, 0 at end of input, -1 on error (errno).
 * When complete events were found, *out is a chunk to submit (else NULL). */
ssize_t sl_line_reader_read(sl_line_reader *lr, int fd, sl_chunk **out);
/* The same with another byte source (a gzip stream). */
ssize_t sl_line_reader_read_from(sl_line_reader *lr, sl_read_fn fn, void *ctx,
                                 sl_chunk **out);
/* Split bytes already in memory as if read (for tests and non-fd input). */
void sl_line_reader_feed(sl_line_reader *lr, const char *p, size_t n, sl_chunk **out);
/* Emit the pending multiline group (complete lines only), as on a
 * multiline timeout: a chunk, or NULL when there is none. */
sl_chunk *sl_line_reader_flush_group(sl_line_reader *lr);
/* End of input (or a partial-line timeout): everything pending, the partial
 * last line included, as a chunk (else NULL). Reading may go on after. */
sl_chunk *sl_line_reader_finish(sl_line_reader *lr);
/* Bytes pending: a partial line and/or an open group. */
size_t sl_line_reader_pending(const sl_line_reader *lr);
/* Give back the read buffer while nothing is pending (idle files). */
void sl_line_reader_idle(sl_line_reader *lr);
void sl_line_reader_free(sl_line_reader *lr);

#endif
