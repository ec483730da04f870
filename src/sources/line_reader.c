/* line_reader.c: newline splitting into chunks, with over-long line handling. */
#include "sources/line_reader.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"

#define SL_READ_SIZE (64u * 1024)

const char *const sl_long_line_modes[] = {"truncate", "skip", NULL};

void sl_line_reader_init(sl_line_reader *lr, sl_source *src, size_t max_line,
                         int long_lines)
{
    memset(lr, 0, sizeof *lr);
    lr->src = src;
    lr->new_chunk = sl_source_new_chunk;
    lr->read_size = SL_READ_SIZE;
    lr->max_line = max_line ? max_line : 1;
    lr->long_lines = long_lines;
}

static sl_chunk *new_chunk(sl_line_reader *lr, size_t cap)
{
    sl_chunk *c = lr->new_chunk(lr->src, cap);
    c->origin = lr->origin;
    c->origin_key = lr->origin_key;
    return c;
}

/* Make sure cur exists with room for `want` more bytes. */
static void ensure_room(sl_line_reader *lr, size_t want)
{
    if (!lr->cur)
        lr->cur = new_chunk(lr, want > lr->read_size ? want : lr->read_size);
    sl_chunk *c = lr->cur;
    if (c->data_cap - c->data_len < want)
        sl_chunk_grow_data(c, c->data_len + want);   /* no event points in yet */
}

static void emit_line(sl_line_reader *lr, sl_chunk *c, const char *p, size_t n,
                      int64_t now, bool truncated)
{
    if (n && p[n - 1] == '\r' && !truncated)
        n--;
    sl_event *ev = sl_chunk_add_event(c, p, n, now);
    if (truncated)
        ev->flags |= SL_EVF_TRUNCATED;
    lr->lines++;
}

/* Split cur->data from `from`; hand back the chunk if it has events. */
static sl_chunk *split(sl_line_reader *lr, size_t from)
{
    sl_chunk *c = lr->cur;
    char *data = c->data;
    size_t end = c->data_len, pos = from, line = 0;
    int64_t now = sl_now_ns();
    if (lr->discarding) {
        char *nl = memchr(data + pos, '\n', end - pos);
        if (!nl) {                           /* all of it belongs to the long line */
            lr->offset += end;
            c->data_len = 0;
            return NULL;
        }
        pos = line = (size_t)(nl - data) + 1;
        lr->discarding = false;
    }
    while (pos < end) {
        char *nl = memchr(data + pos, '\n', end - pos);
        if (!nl)
            break;
        size_t len = (size_t)(nl - data) - line;
        if (len > lr->max_line) {
            if (lr->long_lines == SL_LONG_TRUNCATE) {
                emit_line(lr, c, data + line, lr->max_line, now, true);
                lr->truncated++;
            } else {
                lr->skipped++;
            }
        } else {
            emit_line(lr, c, data + line, len, now, false);
        }
        pos = line = (size_t)(nl - data) + 1;
    }
    size_t partial = end - line;
    if (partial > lr->max_line) {
        /* An over-long line with no end in sight: cut it now, drop the rest. */
        if (lr->long_lines == SL_LONG_TRUNCATE) {
            emit_line(lr, c, data + line, lr->max_line, now, true);
            lr->truncated++;
        } else {
            lr->skipped++;
        }
        lr->discarding = true;
        line = end;
        partial = 0;
    }
    if (c->n_events == 0) {
        /* Nothing complete yet: keep accumulating in the same chunk. */
        if (line > 0) {
            memmove(data, data + line, partial);
            lr->offset += line;
            c->data_len = partial;
        }
        return NULL;
    }
    /* Hand this chunk over; the partial line moves to a fresh one. */
    c->begin = lr->offset;
    c->end = lr->offset + line;
    lr->offset += line;
    c->data_len = line;
    lr->cur = NULL;
    if (partial) {
        ensure_room(lr, partial + lr->read_size);
        memcpy(lr->cur->data, data + line, partial);
        lr->cur->data_len = partial;
    }
    return c;
}

ssize_t sl_line_reader_read(sl_line_reader *lr, int fd, sl_chunk **out)
{
    *out = NULL;
    ensure_room(lr, lr->read_size);
    sl_chunk *c = lr->cur;
    size_t room = c->data_cap - c->data_len;
    ssize_t n;
    do
        n = read(fd, c->data + c->data_len, room);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return n;
    size_t from = c->data_len;
    c->data_len += (size_t)n;
    *out = split(lr, from);
    return n;
}

void sl_line_reader_feed(sl_line_reader *lr, const char *p, size_t n, sl_chunk **out)
{
    *out = NULL;
    ensure_room(lr, n);
    sl_chunk *c = lr->cur;
    size_t from = c->data_len;
    memcpy(c->data + c->data_len, p, n);
    c->data_len += n;
    *out = split(lr, from);
}

size_t sl_line_reader_pending(const sl_line_reader *lr)
{
    return lr->cur ? lr->cur->data_len : 0;
}

sl_chunk *sl_line_reader_finish(sl_line_reader *lr)
{
    sl_chunk *c = lr->cur;
    lr->discarding = false;
    if (!c || c->data_len == 0)
        return NULL;
    lr->cur = NULL;
    size_t n = c->data_len;
    emit_line(lr, c, c->data, n, sl_now_ns(), false);
    c->begin = lr->offset;
    c->end = lr->offset + n;
    lr->offset += n;
    return c;
}

void sl_line_reader_free(sl_line_reader *lr)
{
    if (lr->cur)
        sl_chunk_discard(lr->cur);
    lr->cur = NULL;
}
