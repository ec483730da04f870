/* line_reader.c: newline splitting into chunks, with over-long line
 * handling and multiline grouping. */
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

void sl_line_reader_multiline(sl_line_reader *lr, sl_line_start_fn is_start, void *ctx)
{
    lr->is_start = is_start;
    lr->start_ctx = ctx;
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

static void emit(sl_line_reader *lr, sl_chunk *c, const char *p, size_t n, int64_t now,
                 bool truncated)
{
    if (n && p[n - 1] == '\r' && !truncated)
        n--;
    sl_event *ev = sl_chunk_add_event(c, p, n, now);
    if (truncated)
        ev->flags |= SL_EVF_TRUNCATED;
    lr->lines++;
}

/* A line or group of `n` bytes at p is over the limit: cut it or skip it. */
static void emit_long(sl_line_reader *lr, sl_chunk *c, const char *p, int64_t now)
{
    if (lr->long_lines == SL_LONG_TRUNCATE) {
        emit(lr, c, p, lr->max_line, now, true);
        lr->truncated++;
    } else {
        lr->skipped++;
    }
}

/* Close the open group whose last line ends (before its '\n') at `end`. */
static void close_group(sl_line_reader *lr, sl_chunk *c, size_t end, int64_t now)
{
    emit(lr, c, c->data + lr->group_start, end - lr->group_start, now, false);
    lr->group_open = false;
}

/* One complete line [ls, le) in multiline mode. */
static void group_line(sl_line_reader *lr, sl_chunk *c, size_t ls, size_t le, int64_t now)
{
    const char *p = c->data + ls;
    size_t len = le - ls;
    size_t tlen = len && p[len - 1] == '\r' ? len - 1 : len;
    /* An over-long line is judged by what is kept of it: split() may have
     * to decide before the line is complete, and the events must not
     * depend on where reads happen to end. */
    if (len > lr->max_line)
        tlen = lr->max_line;
    bool starts = (!lr->group_open && !lr->group_dropping) ||
                  lr->is_start(lr->start_ctx, p, tlen);
    if (starts) {
        if (lr->group_open)
            close_group(lr, c, ls - 1, now);
        lr->group_dropping = false;
        if (len > lr->max_line) {
            emit_long(lr, c, p, now);
            lr->group_dropping = true;
            return;
        }
        lr->group_open = true;
        lr->group_start = ls;
        return;
    }
    if (lr->group_dropping)
        return;                                 /* the rest of an overflowed group */
    if (le - lr->group_start > lr->max_line) {
        emit_long(lr, c, c->data + lr->group_start, now);
        lr->group_open = false;
        lr->group_dropping = true;
    }
}

/* Hand over cur up to `keep` (events must point before it) and carry the
 * rest into a new chunk. */
static sl_chunk *hand_over(sl_line_reader *lr, size_t keep)
{
    sl_chunk *c = lr->cur;
    size_t end = c->data_len, carry = end - keep;
    c->begin = lr->offset;
    c->end = lr->offset + keep;
    lr->offset += keep;
    c->data_len = keep;
    lr->cur = NULL;
    if (carry) {
        ensure_room(lr, carry + lr->read_size);
        memcpy(lr->cur->data, c->data + keep, carry);
        lr->cur->data_len = carry;
    }
    lr->line_start -= keep;
    if (lr->group_open)
        lr->group_start -= keep;
    return c;
}

/* Split cur->data from `from`; hand back the chunk if it has events. */
static sl_chunk *split(sl_line_reader *lr, size_t from)
{
    sl_chunk *c = lr->cur;
    char *data = c->data;
    size_t end = c->data_len, pos = from, line = lr->line_start;
    int64_t now = sl_now_ns();
    if (lr->discarding) {
        /* cur holds nothing but the tail of an over-long line */
        char *nl = memchr(data + pos, '\n', end - pos);
        if (!nl) {
            lr->offset += end;
            c->data_len = 0;
            lr->line_start = 0;
            return NULL;
        }
        pos = line = (size_t)(nl - data) + 1;
        lr->discarding = false;
    }
    while (pos < end) {
        char *nl = memchr(data + pos, '\n', end - pos);
        if (!nl)
            break;
        size_t le = (size_t)(nl - data);
        if (lr->is_start)
            group_line(lr, c, line, le, now);
        else if (le - line > lr->max_line)
            emit_long(lr, c, data + line, now);
        else
            emit(lr, c, data + line, le - line, now, false);
        pos = line = le + 1;
    }
    lr->line_start = line;
    size_t keep = lr->group_open ? lr->group_start : line;
    if (end - line > lr->max_line) {
        /* An over-long line with no end in sight: cut it now, drop the rest.
         * In multiline mode it is what it would be complete: a start line
         * cut on its own, or a continuation that overflows its group. */
        if (lr->is_start)
            group_line(lr, c, line, end, now);
        else
            emit_long(lr, c, data + line, now);
        lr->discarding = true;
        keep = lr->line_start = end;
    }
    if (c->n_events == 0) {
        /* Nothing complete yet: keep accumulating in the same chunk. */
        if (keep > 0) {
            memmove(data, data + keep, end - keep);
            lr->offset += keep;
            c->data_len = end - keep;
            lr->line_start -= keep;
            if (lr->group_open)
                lr->group_start -= keep;
        }
        return NULL;
    }
    return hand_over(lr, keep);
}

static ssize_t fd_read(void *ctx, char *buf, size_t n)
{
    int fd = *(int *)ctx;
    ssize_t r;
    do
        r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

ssize_t sl_line_reader_read_from(sl_line_reader *lr, sl_read_fn fn, void *ctx,
                                 sl_chunk **out)
{
    *out = NULL;
    ensure_room(lr, lr->read_size);
    sl_chunk *c = lr->cur;
    ssize_t n = fn(ctx, c->data + c->data_len, c->data_cap - c->data_len);
    if (n <= 0)
        return n;
    size_t from = c->data_len;
    c->data_len += (size_t)n;
    *out = split(lr, from);
    return n;
}

ssize_t sl_line_reader_read(sl_line_reader *lr, int fd, sl_chunk **out)
{
    return sl_line_reader_read_from(lr, fd_read, &fd, out);
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

sl_chunk *sl_line_reader_flush_group(sl_line_reader *lr)
{
    sl_chunk *c = lr->cur;
    if (!c || !lr->group_open)
        return NULL;
    close_group(lr, c, lr->line_start - 1, sl_now_ns());
    return hand_over(lr, lr->line_start);
}

sl_chunk *sl_line_reader_finish(sl_line_reader *lr)
{
    sl_chunk *c = lr->cur;
    lr->discarding = false;
    if (!c || c->data_len == 0) {
        lr->group_open = lr->group_dropping = false;
        return NULL;
    }
    int64_t now = sl_now_ns();
    size_t end = c->data_len, ls = lr->line_start;
    if (lr->is_start && end > ls) {
        group_line(lr, c, ls, end, now);    /* the partial line, as if complete */
        if (lr->group_open)
            close_group(lr, c, end, now);
    } else if (lr->group_open) {
        close_group(lr, c, ls - 1, now);
    } else if (end > ls && !lr->group_dropping) {
        emit(lr, c, c->data + ls, end - ls, now, false);
    }
    lr->group_open = lr->group_dropping = false;
    lr->line_start = end;
    if (c->n_events == 0) {
        lr->offset += end;
        c->data_len = 0;
        lr->line_start = 0;
        return NULL;
    }
    return hand_over(lr, end);
}

void sl_line_reader_idle(sl_line_reader *lr)
{
    if (lr->cur && lr->cur->data_len == 0) {
        sl_chunk_discard(lr->cur);
        lr->cur = NULL;
        lr->line_start = 0;
    }
}

void sl_line_reader_free(sl_line_reader *lr)
{
    if (lr->cur)
        sl_chunk_discard(lr->cur);
    lr->cur = NULL;
}
