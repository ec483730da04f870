/* stream_framer.h: splits a byte stream from a socket into frames, with
 * one of four framings behind one interface:
 *   - SL_FRAMING_SYSLOG: RFC 6587, octet counting or LF per message
 *     (parsers/syslog_framing);
 *   - SL_FRAMING_OCTET: the same decoder: "LEN SP MSG"; a frame that does
 *     not start with a digit falls back to LF framing, as RFC 6587
 *     detection does;
 *   - SL_FRAMING_NEWLINE: frames end at LF (a CR before it is trimmed);
 *   - SL_FRAMING_NUL: frames end at a NUL byte.
 * Empty frames are skipped. A frame longer than max_frame is cut to
 * max_frame bytes (truncate) or dropped (skip) and counted; the rest of
 * it is discarded as it arrives, so the buffer never holds more than
 * sl_stream_framer_min_buffer() bytes of unconsumed input.
 *
 * Like syslog_framing, it keeps offsets into the caller's buffer: frames
 * point into it. Instead of compacting in place, the caller may move the
 * unconsumed tail buf[sl_stream_framer_consumed()..len) to the start of
 * another buffer and call sl_stream_framer_rebase(): the frames already
 * returned stay valid in the old buffer (events point into it). */
#ifndef SLUICE_SOURCES_STREAM_FRAMER_H
#define SLUICE_SOURCES_STREAM_FRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parsers/syslog_framing.h"

enum { SL_FRAMING_NEWLINE, SL_FRAMING_OCTET, SL_FRAMING_NUL, SL_FRAMING_SYSLOG };

/* The delimiter framer (newline, NUL). */
typedef struct {
    char delim;
    size_t max_frame;
    int long_frames;        /* SL_SYSLOG_FRAME_TRUNCATE or _SKIP */
    size_t pos;             /* first byte not yet consumed */
    size_t scanned;         /* bytes from pos known to hold no delimiter */
    bool discarding;        /* inside an over-long frame's tail */
    uint64_t frames, truncated, skipped, discarded_bytes;
} sl_delim_framer;

void sl_delim_framer_init(sl_delim_framer *f, char delim, size_t max_frame, int long_frames);
bool sl_delim_framer_next(sl_delim_framer *f, const char *buf, size_t len,
                          sl_syslog_frame *frame);
/* End of stream: the last frame may lack its delimiter. Call until false. */
bool sl_delim_framer_finish(sl_delim_framer *f, const char *buf, size_t len,
                            sl_syslog_frame *frame);

typedef struct {
    int framing;            /* SL_FRAMING_* */
    sl_syslog_framer sys;
    sl_delim_framer delim;
} sl_stream_framer;

void sl_stream_framer_init(sl_stream_framer *f, int framing, size_t max_frame, int long_frames);
size_t sl_stream_framer_min_buffer(const sl_stream_framer *f);
bool sl_stream_framer_next(sl_stream_framer *f, const char *buf, size_t len,
                           sl_syslog_frame *frame);
bool sl_stream_framer_finish(sl_stream_framer *f, const char *buf, size_t len,
                             sl_syslog_frame *frame);
/* Where the unconsumed tail begins (at most len). */
size_t sl_stream_framer_consumed(const sl_stream_framer *f, size_t len);
/* The tail was moved to the start of another buffer. */
void sl_stream_framer_rebase(sl_stream_framer *f);
/* Counters: frames cut, frames dropped, runs of garbage (octet counting). */
uint64_t sl_stream_framer_truncated(const sl_stream_framer *f);
uint64_t sl_stream_framer_skipped(const sl_stream_framer *f);
uint64_t sl_stream_framer_garbage(const sl_stream_framer *f);

#endif
