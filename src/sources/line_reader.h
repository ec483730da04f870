/* line_reader.h: reads a byte stream from a file descriptor into chunks of
 * newline-delimited events. Bytes are read straight into the chunk's buffer
 * and events point into it (no copy); a partial last line is carried into
 * the next chunk. `\r\n` is trimmed to the message. A line longer than
 * max_line is cut to max_line bytes and flagged (truncate) or dropped
 * (skip), and counted; the rest of it is discarded up to its newline. */
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

typedef struct {
    sl_source *src;
    /* Where chunks come from: sl_source_new_chunk unless set otherwise
     * (unit tests). */
    sl_chunk *(*new_chunk)(sl_source *src, size_t data_cap);
    const char *origin, *origin_key;
    size_t read_size;       /* bytes asked for per read() */
    size_t max_line;
    int long_lines;         /* SL_LONG_* */
    sl_chunk *cur;          /* being filled; holds the carried partial line */
    bool discarding;        /* inside an over-long line's tail */
    uint64_t offset;        /* stream offset of cur->data[0] */
    uint64_t lines, truncated, skipped;
} sl_line_reader;

void sl_line_reader_init(sl_line_reader *lr, sl_source *src, size_t max_line,
                         int long_lines);
/* One read(). Returns bytes read, 0 at end of input, -1 on error (errno).
 * When complete lines were found, *out is a chunk to submit (else NULL). */
ssize_t sl_line_reader_read(sl_line_reader *lr, int fd, sl_chunk **out);
/* Split bytes already in memory as if read (for tests and non-fd input). */
void sl_line_reader_feed(sl_line_reader *lr, const char *p, size_t n, sl_chunk **out);
/* End of input: the partial last line, if any, as a chunk (else NULL). */
sl_chunk *sl_line_reader_finish(sl_line_reader *lr);
/* Bytes held in a partial line. */
size_t sl_line_reader_pending(const sl_line_reader *lr);
void sl_line_reader_free(sl_line_reader *lr);

#endif
