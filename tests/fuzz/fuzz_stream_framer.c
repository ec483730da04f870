/* fuzz_stream_framer.c: fuzz target for the socket source's stream framing
 * (sources/stream_framer: newline, NUL, octet counting). The first two
 * bytes choose the framing, max_frame, the over-long mode and the read
 * size; the rest is the stream. It is decoded twice: all in one buffer,
 * and in reads of that size the way the listener does it (each time the
 * unconsumed tail moves to a new buffer and the framer is rebased). Both
 * must give the same frames and counters; every frame lies in its buffer
 * and within max_frame, a whole delimited frame holds no delimiter and is
 * not empty, and the tail always leaves room to read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/stream_framer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    char *bytes;
    size_t len, cap;
} record;

static void put(record *r, const void *p, size_t n)
{
    if (r->len + n > r->cap) {
        r->cap = (r->len + n) * 2;
        r->bytes = realloc(r->bytes, r->cap);
        if (!r->bytes)
            abort();
    }
    memcpy(r->bytes + r->len, p, n);
    r->len += n;
}

static void take(record *r, const sl_stream_framer *f, size_t max_frame,
                 const sl_syslog_frame *frame, const char *buf, size_t len)
{
    if (frame->len > max_frame || frame->data < buf || frame->len > len ||
        (size_t)(frame->data - buf) > len - frame->len)
        abort();
    if ((f->framing == SL_FRAMING_NEWLINE || f->framing == SL_FRAMING_NUL) &&
        !frame->truncated &&
        (frame->len == 0 ||
         memchr(frame->data, f->framing == SL_FRAMING_NUL ? '\0' : '\n', frame->len)))
        abort();
    uint8_t flags = (uint8_t)(frame->truncated | frame->octet_counted << 1);
    put(r, &frame->len, sizeof frame->len);
    put(r, &flags, 1);
    put(r, frame->data, frame->len);
}

static void decode_whole(sl_stream_framer *f, size_t max_frame, const char *stream, size_t n,
                         record *r)
{
    char *buf = malloc(n ? n : 1);
    memcpy(buf, stream, n);
    sl_syslog_frame frame;
    while (sl_stream_framer_next(f, buf, n, &frame))
        take(r, f, max_frame, &frame, buf, n);
    size_t pos = sl_stream_framer_consumed(f, n);
    if (n - pos >= sl_stream_framer_min_buffer(f))
        abort();
    while (sl_stream_framer_finish(f, buf, n, &frame))
        take(r, f, max_frame, &frame, buf, n);
    free(buf);
}

static void decode_in_reads(sl_stream_framer *f, size_t max_frame, const char *stream,
                            size_t n, size_t step, record *r)
{
    size_t cap = sl_stream_framer_min_buffer(f);
    char *buf = malloc(cap);
    sl_syslog_frame frame;
    size_t len = 0, off = 0;
    while (off < n) {
        if (len >= cap)
            abort();                            /* no room to read */
        size_t want = cap - len < step ? cap - len : step;
        if (want > n - off)
            want = n - off;
        memcpy(buf + len, stream + off, want);
        len += want;
        off += want;
        while (sl_stream_framer_next(f, buf, len, &frame))
            take(r, f, max_frame, &frame, buf, len);
        /* the tail to a new buffer, as the listener does */
        size_t pos = sl_stream_framer_consumed(f, len);
        char *nb = malloc(cap);
        memcpy(nb, buf + pos, len - pos);
        memset(buf, 0xa5, cap);                 /* frames must not be read from here */
        free(buf);
        buf = nb;
        len -= pos;
        sl_stream_framer_rebase(f);
    }
    while (sl_stream_framer_finish(f, buf, len, &frame))
        take(r, f, max_frame, &frame, buf, len);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const int framings[4] = {SL_FRAMING_NEWLINE, SL_FRAMING_NUL, SL_FRAMING_OCTET,
                                    SL_FRAMING_SYSLOG};
    int framing = framings[data[0] >> 6];
    size_t max_frame = 1 + (data[0] & 0x3f) * 3u;
    int mode = data[1] & 1 ? SL_SYSLOG_FRAME_SKIP : SL_SYSLOG_FRAME_TRUNCATE;
    size_t step = 1 + (data[1] >> 1);
    const char *stream = (const char *)data + 2;
    size -= 2;

    sl_stream_framer a, b;
    record ra = {0}, rb = {0};
    sl_stream_framer_init(&a, framing, max_frame, mode);
    sl_stream_framer_init(&b, framing, max_frame, mode);
    decode_whole(&a, max_frame, stream, size, &ra);
    decode_in_reads(&b, max_frame, stream, size, step, &rb);
    if (ra.len != rb.len || (ra.len && memcmp(ra.bytes, rb.bytes, ra.len) != 0))
        abort();
    if (sl_stream_framer_truncated(&a) != sl_stream_framer_truncated(&b) ||
        sl_stream_framer_skipped(&a) != sl_stream_framer_skipped(&b) ||
        sl_stream_framer_garbage(&a) != sl_stream_framer_garbage(&b))
        abort();
    free(ra.bytes);
    free(rb.bytes);
    return 0;
}
