/* stdin.c: the `stdin` source. Reads newline-delimited events from standard
 * input until it closes. A pipe or terminal is read as it becomes
 * readable; a redirected regular file is read in a loop that yields to the
 * event loop between chunks. */
#include <errno.h>
#include <event2/event.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "runtime.h"
#include "sources/line_reader.h"
#include "util/xalloc.h"

typedef struct {
    uint64_t max_line_bytes;
    int long_lines;
} stdin_cfg;

typedef struct {
    sl_line_reader lr;
    struct event *ev;
    bool polled;        /* readiness-driven (pipe, tty) rather than a read loop */
    bool done;
} stdin_state;

static const sl_option stdin_options[] = {
    SL_LINE_READER_OPTIONS(stdin_cfg),
    SL_OPT_END,
};

static void stdin_finish(sl_source *src, stdin_state *st)
{
    sl_chunk *c = sl_line_reader_finish(&st->lr);
    if (c)
        sl_source_submit(src, c);   /* if refused, the runtime pushes it later */
    if (st->lr.truncated || st->lr.skipped)
        sl_warn("stdin", "source \"%s\": %llu over-long lines truncated, %llu skipped",
                src->name, (unsigned long long)st->lr.truncated,
                (unsigned long long)st->lr.skipped);
    if (st->polled)
        event_del(st->ev);
    st->done = true;
    sl_source_finished(src);
}

static void stdin_read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sl_source *src = arg;
    stdin_state *st = src->state;
    if (st->done || src->stopped)
        return;
    int rounds = st->polled ? 1 : 16;
    for (int i = 0; i < rounds; i++) {
        if (!sl_source_may_read(src)) {
            if (st->polled)
                event_del(st->ev);
            return;
        }
        sl_chunk *c;
        ssize_t n = sl_line_reader_read(&st->lr, STDIN_FILENO, &c);
        if (c && !sl_source_submit(src, c)) {
            if (st->polled)
                event_del(st->ev);
            return;
        }
        if (n == 0) {
            stdin_finish(src, st);
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            sl_error("stdin", "source \"%s\": read error: %s", src->name, strerror(errno));
            stdin_finish(src, st);
            return;
        }
    }
    if (!st->polled)
        event_active(st->ev, 0, 0);
}

static int stdin_start(sl_source *src)
{
    const stdin_cfg *cfg = src->cfg;
    stdin_state *st = sl_calloc(1, sizeof *st);
    src->state = st;
    sl_line_reader_init(&st->lr, src, cfg->max_line_bytes, cfg->long_lines);
    st->lr.origin = NULL;
    struct event_base *base = sl_source_base(src);
    st->ev = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST, stdin_read_cb, src);
    if (event_add(st->ev, NULL) == 0) {
        st->polled = true;
    } else {
        /* epoll refuses regular files and /dev/null: read them in a loop. */
        event_free(st->ev);
        st->ev = event_new(base, -1, 0, stdin_read_cb, src);
        event_active(st->ev, 0, 0);
    }
    return 0;
}

static void stdin_resume(sl_source *src)
{
    stdin_state *st = src->state;
    if (st->done)
        return;
    if (st->polled)
        event_add(st->ev, NULL);
    else
        event_active(st->ev, 0, 0);
}

static void stdin_stop(sl_source *src)
{
    stdin_state *st = src->state;
    if (st && st->ev)
        event_del(st->ev);
}

static void stdin_destroy(sl_source *src)
{
    stdin_state *st = src->state;
    if (!st)
        return;
    if (st->ev)
        event_free(st->ev);
    sl_line_reader_free(&st->lr);
    free(st);
    src->state = NULL;
}

static const sl_source_ops stdin_ops = {
    .start = stdin_start,
    .resume = stdin_resume,
    .stop = stdin_stop,
    .destroy = stdin_destroy,
};

const sl_plugin sl_source_stdin = {
    .name = "stdin",
    .kind = SL_PLUGIN_SOURCE,
    .summary = "Newline-delimited events from standard input, until it closes.",
    .options = stdin_options,
    .config_size = sizeof(stdin_cfg),
    .source = &stdin_ops,
};
