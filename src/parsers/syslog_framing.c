/* syslog_framing.c: the RFC 6587 stream decoder: octet counting and
 * non-transparent framing chosen per message, over-long frames cut or
 * dropped, garbage discarded up to the next LF. */
#include "parsers/syslog_framing.h"

#include <string.h>

#define MAX_LEN_DIGITS 10
/* Room past max_frame for "MSG-LEN SP" (11 bytes) or "CR LF" (2). */
#define FRAME_OVERHEAD 16

enum {
    ST_FRAME_START,     /* at the first byte of a frame */
    ST_OCTET_DISCARD,   /* dropping `discard` more octets of a counted frame */
    ST_LINE_DISCARD,    /* dropping an over-long line up to LF or NUL */
    ST_GARBAGE,         /* dropping garbage up to LF */
};

typedef enum { GOT_FRAME, NEED_MORE, GO_ON } step;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

void sl_syslog_framer_init(sl_syslog_framer *f, size_t max_frame, int long_frames)
{
    memset(f, 0, sizeof *f);
    if (max_frame < 1)
        max_frame = 1;
    if (max_frame > SL_SYSLOG_FRAME_MAX)
        max_frame = (size_t)SL_SYSLOG_FRAME_MAX;
    if (max_frame > SIZE_MAX - FRAME_OVERHEAD)
        max_frame = SIZE_MAX - FRAME_OVERHEAD;
    f->max_frame = max_frame;
    f->long_frames = long_frames == SL_SYSLOG_FRAME_SKIP ? SL_SYSLOG_FRAME_SKIP
                                                         : SL_SYSLOG_FRAME_TRUNCATE;
    f->state = ST_FRAME_START;
}

size_t sl_syslog_framer_min_buffer(const sl_syslog_framer *f)
{
    return f->max_frame + FRAME_OVERHEAD;
}

static void consume(sl_syslog_framer *f, size_t n)
{
    f->pos += n;
    f->scanned = 0;
}

static void emit(sl_syslog_framer *f, sl_syslog_frame *frame, const char *p, size_t n,
                 bool truncated, bool octet_counted)
{
    frame->data = p;
    frame->len = n;
    frame->truncated = truncated;
    frame->octet_counted = octet_counted;
    f->frames++;
    if (truncated)
        f->truncated++;
}

/* Start discarding garbage (the bytes at pos are part of it). */
static step start_garbage(sl_syslog_framer *f)
{
    f->state = ST_GARBAGE;
    f->garbage++;
    return GO_ON;
}

/* The "MSG-LEN SP" at p: its length (digits + SP) and value; 0 when more
 * bytes are needed; -1 when it is not a valid one. */
static int octet_header(const char *p, size_t avail, uint64_t *value)
{
    size_t i = 0;
    uint64_t v = 0;
    if (p[0] == '0')
        return -1;
    while (i < avail && i <= MAX_LEN_DIGITS && is_digit(p[i]))
        v = v * 10 + (uint64_t)(p[i++] - '0');
    if (i > MAX_LEN_DIGITS)
        return -1;
    if (i == avail)
        return 0;
    if (p[i] != ' ')
        return -1;
    *value = v;
    return (int)i + 1;
}

static step octet_frame(sl_syslog_framer *f, const char *buf, size_t len,
                        sl_syslog_frame *frame)
{
    const char *p = buf + f->pos;
    size_t avail = len - f->pos;
    uint64_t value = 0;
    int hdr = octet_header(p, avail, &value);
    if (hdr < 0)
        return start_garbage(f);
    if (hdr == 0)
        return NEED_MORE;
    size_t body = avail - (size_t)hdr;
    if (value <= f->max_frame) {
        if (body < value)
            return NEED_MORE;
        emit(f, frame, p + hdr, (size_t)value, false, true);
        consume(f, (size_t)hdr + (size_t)value);
        return GOT_FRAME;
    }
    if (f->long_frames == SL_SYSLOG_FRAME_SKIP) {
        consume(f, (size_t)hdr);
        f->discard = value;
        f->state = ST_OCTET_DISCARD;
        f->skipped++;
        return GO_ON;
    }
    if (body < f->max_frame)
        return NEED_MORE;
    emit(f, frame, p + hdr, f->max_frame, true, true);
    consume(f, (size_t)hdr + f->max_frame);
    f->discard = value - f->max_frame;
    f->state = ST_OCTET_DISCARD;
    return GOT_FRAME;
}

/* The first LF or NUL in p[from..n), or n: two memchr passes (the NUL
 * search only up to the LF), each many bytes per instruction, instead of a
 * loop testing every byte twice. */
static size_t find_terminator(const char *p, size_t from, size_t n)
{
    const char *lf = memchr(p + from, '\n', n - from);
    size_t end = lf ? (size_t)(lf - p) : n;
    const char *nul = memchr(p + from, '\0', end - from);
    return nul ? (size_t)(nul - p) : end;
}

static step line_frame(sl_syslog_framer *f, const char *buf, size_t len,
                       sl_syslog_frame *frame)
{
    const char *p = buf + f->pos;
    size_t avail = len - f->pos;
    /* a terminator past max_frame + CR means the frame is over-long */
    size_t window = f->max_frame + 2, limit = avail < window ? avail : window;
    size_t t = find_terminator(p, f->scanned, limit);
    if (t == limit) {
        if (limit < window) {
            f->scanned = limit;
            return NEED_MORE;
        }
        /* no terminator within the window: over-long, its end is to come */
        f->state = ST_LINE_DISCARD;
        if (f->long_frames == SL_SYSLOG_FRAME_SKIP) {
            f->skipped++;
            return GO_ON;
        }
        emit(f, frame, p, f->max_frame, true, false);
        consume(f, f->max_frame);
        return GOT_FRAME;
    }
    size_t n = t > 0 && p[t - 1] == '\r' ? t - 1 : t;
    consume(f, t + 1);
    if (n == 0)
        return GO_ON;                               /* an empty line */
    if (n <= f->max_frame) {
        emit(f, frame, p, n, false, false);
        return GOT_FRAME;
    }
    if (f->long_frames == SL_SYSLOG_FRAME_SKIP) {
        f->skipped++;
        f->discarded_bytes += n;
        return GO_ON;
    }
    emit(f, frame, p, f->max_frame, true, false);
    f->discarded_bytes += n - f->max_frame;
    return GOT_FRAME;
}

/* Drop bytes up to and including the first LF (and NUL when nul_ends). */
static step discard_to_terminator(sl_syslog_framer *f, const char *buf, size_t len,
                                  bool nul_ends)
{
    const char *p = buf + f->pos;
    size_t avail = len - f->pos;
    const char *t = nul_ends ? p + find_terminator(p, 0, avail) : memchr(p, '\n', avail);
    if (!t || t == p + avail) {
        f->discarded_bytes += avail;
        consume(f, avail);
        return NEED_MORE;
    }
    size_t n = (size_t)(t - p) + 1;
    f->discarded_bytes += n;
    consume(f, n);
    f->state = ST_FRAME_START;
    return GO_ON;
}

bool sl_syslog_framer_next(sl_syslog_framer *f, const char *buf, size_t len,
                           sl_syslog_frame *frame)
{
    for (;;) {                  /* every GO_ON consumed bytes or changed state */
        if (f->pos >= len)
            return false;
        step s;
        switch (f->state) {
        case ST_OCTET_DISCARD: {
            size_t avail = len - f->pos;
            size_t n = f->discard < avail ? (size_t)f->discard : avail;
            consume(f, n);
            f->discard -= n;
            f->discarded_bytes += n;
            if (f->discard == 0)
                f->state = ST_FRAME_START;
            s = GO_ON;
            break;
        }
        case ST_LINE_DISCARD:
            s = discard_to_terminator(f, buf, len, true);
            break;
        case ST_GARBAGE:
            s = discard_to_terminator(f, buf, len, false);
            break;
        default:
            s = is_digit(buf[f->pos]) ? octet_frame(f, buf, len, frame)
                                      : line_frame(f, buf, len, frame);
            break;
        }
        if (s == GOT_FRAME)
            return true;
        if (s == NEED_MORE)
            return false;
    }
}

size_t sl_syslog_framer_compact(sl_syslog_framer *f, char *buf, size_t len)
{
    size_t pos = f->pos < len ? f->pos : len;
    size_t tail = len - pos;
    if (pos && tail)
        memmove(buf, buf + pos, tail);
    f->pos = 0;
    return tail;
}

static void reset(sl_syslog_framer *f)
{
    f->state = ST_FRAME_START;
    f->pos = f->scanned = 0;
    f->discard = 0;
}

bool sl_syslog_framer_finish(sl_syslog_framer *f, const char *buf, size_t len,
                             sl_syslog_frame *frame)
{
    if (sl_syslog_framer_next(f, buf, len, frame))
        return true;
    if (f->pos >= len) {
        reset(f);
        return false;
    }
    const char *p = buf + f->pos;
    size_t avail = len - f->pos;
    if (f->state != ST_FRAME_START) {           /* the rest of a dropped frame */
        f->discarded_bytes += avail;
    } else if (is_digit(p[0])) {
        uint64_t value = 0;
        int hdr = octet_header(p, avail, &value);
        if (hdr > 0 && avail > (size_t)hdr) {   /* a counted frame cut short */
            size_t n = avail - (size_t)hdr;
            emit(f, frame, p + hdr, n < f->max_frame ? n : f->max_frame, true, true);
            consume(f, avail);
            return true;
        }
        f->garbage++;                           /* a length and no message */
        f->discarded_bytes += avail;
    } else {                                    /* the last line, unterminated */
        size_t n = avail > 0 && p[avail - 1] == '\r' ? avail - 1 : avail;
        consume(f, avail);
        if (n > f->max_frame && f->long_frames == SL_SYSLOG_FRAME_SKIP) {
            f->skipped++;
            f->discarded_bytes += n;
        } else if (n > 0) {
            emit(f, frame, p, n < f->max_frame ? n : f->max_frame, n > f->max_frame, false);
            if (n > f->max_frame)
                f->discarded_bytes += n - f->max_frame;
            return true;
        }
    }
    reset(f);
    return false;
}
