/* file_watch.c: inotify watches on directories, delivered through the
 * event loop. */
#include "sources/file_watch.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"
#include "util/xalloc.h"

typedef struct {
    int wd;
    char *dir;
} watched_dir;

struct sl_file_watch {
    int fd;
    struct event *ev;
    watched_dir *dirs;
    size_t n, cap;
    sl_watch_fn fn;
    void *ctx;
};

static const char *dir_of(const sl_file_watch *w, int wd)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->dirs[i].wd == wd)
            return w->dirs[i].dir;
    return NULL;
}

static void forget_wd(sl_file_watch *w, int wd)
{
    for (size_t i = 0; i < w->n; i++) {
        if (w->dirs[i].wd == wd) {
            free(w->dirs[i].dir);
            w->dirs[i] = w->dirs[--w->n];
            return;
        }
    }
}

static void readable_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    sl_file_watch *w = arg;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ie = (const struct inotify_event *)p;
            p += sizeof *ie + ie->len;
            if (ie->mask & IN_Q_OVERFLOW) {
                w->fn(w->ctx, NULL, NULL, SL_WATCH_CHANGED | SL_WATCH_MODIFIED);
                continue;
            }
            const char *dir = dir_of(w, ie->wd);
            if (!dir)
                continue;
            const char *name = ie->len ? ie->name : NULL;
            unsigned kind = 0;
            if (ie->mask & IN_MODIFY)
                kind |= SL_WATCH_MODIFIED;
            if (ie->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |
                            IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
                kind |= SL_WATCH_CHANGED;
            if (kind)
                w->fn(w->ctx, dir, name, kind);
            if (ie->mask & IN_IGNORED)
                forget_wd(w, ie->wd);       /* the directory went away */
        }
    }
}

sl_file_watch *sl_file_watch_new(struct event_base *base, sl_watch_fn fn, void *ctx)
{
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        sl_debug("file", "inotify unavailable (%s): polling only", strerror(errno));
        return NULL;
    }
    sl_file_watch *w = sl_calloc(1, sizeof *w);
    w->fd = fd;
    w->fn = fn;
    w->ctx = ctx;
    w->ev = event_new(base, fd, EV_READ | EV_PERSIST, readable_cb, w);
    event_add(w->ev, NULL);
    return w;
}

int sl_file_watch_add(sl_file_watch *w, const char *dir)
{
    int wd = inotify_add_watch(w->fd, dir,
                               IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                   IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
    if (wd < 0)
        return -1;
    if (dir_of(w, wd))
        return 0;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        w->dirs = sl_realloc(w->dirs, w->cap * sizeof *w->dirs);
    }
    w->dirs[w->n++] = (watched_dir){wd, sl_strdup(dir)};
    return 0;
}

void sl_file_watch_free(sl_file_watch *w)
{
    if (!w)
        return;
    event_free(w->ev);
    close(w->fd);
    for (size_t i = 0; i < w->n; i++)
        free(w->dirs[i].dir);
    free(w->dirs);
    free(w);
}
