/* stream_framer.c: delimiter framing, and one interface over it and the
 * RFC 6587 decoder. */
#include "sources/stream_framer.h"

#include <string.h>

void sl_delim_framer_init(sl_delim_framer *f, char delim, size_t max_frame, int long_frames)
{
    memset(f, 0, sizeof *f);
    f->delim = delim;
    f->max_frame = max_frame ? max_frame : 1;
    f->long_frames = long_frames;
}

static void put(sl_delim_framer *f, sl_syslog_frame *frame, const char *p, size_t n,
                bool truncated)
{
    frame->data = p;
    frame->len = n;
    frame->truncated = truncated;
    frame->octet_counted = false;
    f->frames++;
    if (truncated)
        f->truncated++;
}

bool sl_delim_framer_next(sl_delim_framer *f, const char *buf, size_t len,
                          sl_syslog_frame *frame)
{
    while (f->pos < len) {
        const char *p = buf + f->pos;
        size_t avail = len - f->pos;
        if (f->discarding) {
            const char *d = memchr(p, f->delim, avail);
            if (!d) {
                f->discarded_bytes += avail;
                f->pos = len;
                return false;
            }
            f->discarded_bytes += (size_t)(d - p) + 1;
            f->pos += (size_t)(d - p) + 1;
            f->discarding = false;
            continue;
        }
        size_t lim = avail < f->max_frame + 1 ? avail : f->max_frame + 1;
        if (f->scanned > lim)
            f->scanned = 0;
        const char *d = memchr(p + f->scanned, f->delim, lim - f->scanned);
        if (d) {
            size_t n = (size_t)(d - p);
            f->pos += n + 1;
            f->scanned = 0;
            if (f->delim == '\n' && n && p[n - 1] == '\r')
                n--;
            if (n == 0)
                continue;
            put(f, frame, p, n, false);
            return true;
        }
        if (avail <= f->max_frame) {
            f->scanned = avail;
            return false;
        }
        /* max_frame bytes and no delimiter: over-long */
        f->scanned = 0;
        f->pos += f->max_frame;
        f->discarding = true;
        if (f->long_frames == SL_SYSLOG_FRAME_TRUNCATE) {
            put(f, frame, p, f->max_frame, true);
            return true;
        }
        f->skipped++;
        f->discarded_bytes += f->max_frame;
    }
    return false;
}

bool sl_delim_framer_finish(sl_delim_framer *f, const char *buf, size_t len,
                            sl_syslog_frame *frame)
{
    if (sl_delim_framer_next(f, buf, len, frame))
        return true;
    if (f->pos < len && !f->discarding) {
        const char *p = buf + f->pos;
        size_t n = len - f->pos;
        f->pos = len;
        if (f->delim == '\n' && p[n - 1] == '\r')
            n--;
        f->scanned = 0;
        if (n) {
            put(f, frame, p, n, false);
            return true;
        }
    }
    f->pos = f->scanned = 0;
    f->discarding = false;
    return false;
}

void sl_stream_framer_init(sl_stream_framer *f, int framing, size_t max_frame, int long_frames)
{
    memset(f, 0, sizeof *f);
    f->framing = framing;
    if (framing == SL_FRAMING_NEWLINE || framing == SL_FRAMING_NUL)
        sl_delim_framer_init(&f->delim, framing == SL_FRAMING_NUL ? '\0' : '\n', max_frame,
                             long_frames);
    else
        sl_syslog_framer_init(&f->sys, max_frame, long_frames);
}

static bool is_delim(const sl_stream_framer *f)
{
    return f->framing == SL_FRAMING_NEWLINE || f->framing == SL_FRAMING_NUL;
}

size_t sl_stream_framer_min_buffer(const sl_stream_framer *f)
{
    return is_delim(f) ? f->delim.max_frame + 1 : sl_syslog_framer_min_buffer(&f->sys);
}

bool sl_stream_framer_next(sl_stream_framer *f, const char *buf, size_t len,
                           sl_syslog_frame *frame)
{
    return is_delim(f) ? sl_delim_framer_next(&f->delim, buf, len, frame)
                       : sl_syslog_framer_next(&f->sys, buf, len, frame);
}

bool sl_stream_framer_finish(sl_stream_framer *f, const char *buf, size_t len,
                             sl_syslog_frame *frame)
{
    return is_delim(f) ? sl_delim_framer_finish(&f->delim, buf, len, frame)
                       : sl_syslog_framer_finish(&f->sys, buf, len, frame);
}

size_t sl_stream_framer_consumed(const sl_stream_framer *f, size_t len)
{
    size_t pos = is_delim(f) ? f->delim.pos : f->sys.pos;
    return pos < len ? pos : len;
}

/* What sl_syslog_framer_compact does to the decoder, the tail having been
 * moved by the caller (both keep `scanned` relative to pos). */
void sl_stream_framer_rebase(sl_stream_framer *f)
{
    if (is_delim(f))
        f->delim.pos = 0;
    else
        f->sys.pos = 0;
}

uint64_t sl_stream_framer_truncated(const sl_stream_framer *f)
{
    return is_delim(f) ? f->delim.truncated : f->sys.truncated;
}
uint64_t sl_stream_framer_skipped(const sl_stream_framer *f)
{
    return is_delim(f) ? f->delim.skipped : f->sys.skipped;
}
uint64_t sl_stream_framer_garbage(const sl_stream_framer *f)
{
    return is_delim(f) ? 0 : f->sys.garbage;
}
