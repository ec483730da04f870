/* fuzz_syslog_framing.c: fuzz target for the RFC 6587 stream decoder. The
 * first two bytes choose max_frame, the over-long mode and the read size;
 * the rest is the stream. It is decoded twice: all in one buffer, and in
 * reads of that size through a buffer of the decoder's minimum size. Both
 * must give the same frames and counters; every frame lies in the buffer
 * and within max_frame, and a compacted tail always leaves room to read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/syslog_framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Frames as [len][flags][bytes]... */
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

static void take(record *r, const sl_syslog_framer *f, const sl_syslog_frame *frame,
                 const char *buf, size_t len)
{
    if (frame->len > f->max_frame || frame->data < buf || frame->len > len ||
        (size_t)(frame->data - buf) > len - frame->len)
        abort();
    if (!frame->truncated && !frame->octet_counted &&
        (frame->len == 0 || memchr(frame->data, '\n', frame->len) ||
         memchr(frame->data, '\0', frame->len)))
        abort();                /* a whole line holds no terminator, and is not empty */
    uint8_t flags = (uint8_t)(frame->truncated | frame->octet_counted << 1);
    put(r, &frame->len, sizeof frame->len);
    put(r, &flags, 1);
    put(r, frame->data, frame->len);
}

static void decode_whole(sl_syslog_framer *f, const char *stream, size_t n, record *r)
{
    char *buf = malloc(n ? n : 1);
    memcpy(buf, stream, n);
    sl_syslog_frame frame;
    size_t len = n;
    while (sl_syslog_framer_next(f, buf, len, &frame))
        take(r, f, &frame, buf, len);
    len = sl_syslog_framer_compact(f, buf, len);
    if (len >= sl_syslog_framer_min_buffer(f))
        abort();
    while (sl_syslog_framer_finish(f, buf, len, &frame))
        take(r, f, &frame, buf, len);
    free(buf);
}

static void decode_in_reads(sl_syslog_framer *f, const char *stream, size_t n, size_t step,
                            record *r)
{
    size_t cap = sl_syslog_framer_min_buffer(f);
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
        while (sl_syslog_framer_next(f, buf, len, &frame))
            take(r, f, &frame, buf, len);
        len = sl_syslog_framer_compact(f, buf, len);
    }
    while (sl_syslog_framer_finish(f, buf, len, &frame))
        take(r, f, &frame, buf, len);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t max_frame = data[0] & 0x80 ? 1 + (data[0] & 0x7f) * 16u : 1 + data[0] % 64u;
    int mode = data[1] & 1 ? SL_SYSLOG_FRAME_SKIP : SL_SYSLOG_FRAME_TRUNCATE;
    size_t step = 1 + (data[1] >> 1);
    const char *stream = (const char *)data + 2;
    size -= 2;

    sl_syslog_framer a, b;
    record ra = {0}, rb = {0};
    sl_syslog_framer_init(&a, max_frame, mode);
    sl_syslog_framer_init(&b, max_frame, mode);
    decode_whole(&a, stream, size, &ra);
    decode_in_reads(&b, stream, size, step, &rb);
    if (ra.len != rb.len || (ra.len && memcmp(ra.bytes, rb.bytes, ra.len) != 0))
        abort();
    if (a.frames != b.frames || a.truncated != b.truncated || a.skipped != b.skipped ||
        a.garbage != b.garbage || a.discarded_bytes != b.discarded_bytes)
        abort();
    if (a.discarded_bytes > size || a.truncated > a.frames)
        abort();
    free(ra.bytes);
    free(rb.bytes);
    return 0;
}
