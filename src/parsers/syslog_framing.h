/* syslog_framing.h: an incremental RFC 6587 decoder that splits a syslog
 * TCP stream into messages. A pure library: it never reads, allocates or
 * copies; the caller owns the buffer and the decoder keeps only offsets
 * into it.
 *
 * Each message picks its own framing by its first byte:
 *   - a digit: octet counting, "MSG-LEN SP MSG" (MSG-LEN has no leading
 *     zero, at most 10 digits);
 *   - anything else ('<' normally): non-transparent framing, the message
 *     ends at LF or NUL; a trailing CR is trimmed, empty lines are skipped.
 * A message longer than max_frame is cut to its first max_frame bytes
 * (SL_SYSLOG_FRAME_TRUNCATE) or dropped (SL_SYSLOG_FRAME_SKIP), and
 * counted; the rest of it is discarded as it arrives, without being held.
 * A length that is not one (more than 10 digits, a leading zero, no SP
 * after the digits) is garbage: everything up to and including the next LF
 * is discarded and counted, and decoding goes on from there.
 *
 * Use:
 *
 *     char buf[CAP];     CAP >= sl_syslog_framer_min_buffer(&f)
 *     size_t len = 0;
 *     for (;;) {
 *         n = read(fd, buf + len, CAP - len);
 *         if (n <= 0) break;
 *         len += n;
 *         while (sl_syslog_framer_next(&f, buf, len, &frame))
 *             use(frame.data, frame.len);
 *         len = sl_syslog_framer_compact(&f, buf, len);
 *     }
 *     while (sl_syslog_framer_finish(&f, buf, len, &frame))   at end of stream
 *         use(frame.data, frame.len);
 *
 * The frames point into buf and stay valid until the next compact. Between
 * compactions the caller may only append to buf (the bytes already there
 * must not change; buf itself may move, e.g. be reallocated). After a
 * compact the unconsumed tail is shorter than
 * sl_syslog_framer_min_buffer(), so a buffer of at least that size always
 * has room for the next read. The result does not depend on how the stream
 * was split into reads. */
#ifndef SLUICE_PARSERS_SYSLOG_FRAMING_H
#define SLUICE_PARSERS_SYSLOG_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What to do with a frame longer than max_frame. */
enum { SL_SYSLOG_FRAME_TRUNCATE, SL_SYSLOG_FRAME_SKIP };

/* The largest max_frame: the most a 10-digit MSG-LEN can say. */
#define SL_SYSLOG_FRAME_MAX 9999999999ULL

typedef struct {
    const char *data;       /* into the caller's buffer */
    size_t len;
    bool truncated;         /* cut to max_frame bytes (or cut short by the
                               end of the stream) */
    bool octet_counted;     /* else non-transparent */
} sl_syslog_frame;

typedef struct {
    size_t max_frame;
    int long_frames;        /* SL_SYSLOG_FRAME_TRUNCATE or _SKIP */
    /* decoding state: offsets into the caller's buffer */
    int state;
    size_t pos;             /* first byte not yet consumed */
    size_t scanned;         /* bytes from pos known to hold no terminator */
    uint64_t discard;       /* octets of an over-long counted frame still to drop */
    /* counters */
    uint64_t frames;        /* frames returned */
    uint64_t truncated;     /* over-long frames returned cut */
    uint64_t skipped;       /* over-long frames dropped */
    uint64_t garbage;       /* runs of garbage discarded up to an LF */
    uint64_t discarded_bytes;   /* bytes of skipped frames, cut tails and garbage */
} sl_syslog_framer;

/* max_frame is clamped to 1..SL_SYSLOG_FRAME_MAX. */
void sl_syslog_framer_init(sl_syslog_framer *f, size_t max_frame, int long_frames);
/* The smallest buffer the caller may use: max_frame plus room for the
 * length prefix and the line terminator. */
size_t sl_syslog_framer_min_buffer(const sl_syslog_framer *f);
/* The next complete frame in buf[0..len) into *frame; false when more
 * bytes are needed (then compact and read). */
bool sl_syslog_framer_next(sl_syslog_framer *f, const char *buf, size_t len,
                           sl_syslog_frame *frame);
/* Move the unconsumed tail buf[consumed..len) to the front of buf; returns
 * its length, the caller's new len. Frames returned before are invalid
 * after this. */
size_t sl_syslog_framer_compact(sl_syslog_framer *f, char *buf, size_t len);
/* End of stream: like next, but the last frame may be unterminated (a
 * non-transparent frame without its LF is returned as it is; an octet-
 * counted frame cut short is returned with what arrived, flagged
 * truncated). Call until it returns false; the decoder is then reset. */
bool sl_syslog_framer_finish(sl_syslog_framer *f, const char *buf, size_t len,
                             sl_syslog_frame *frame);

#endif
