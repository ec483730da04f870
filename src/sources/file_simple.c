/* file_simple.c: the first `file` source. Reads each file matching `paths`
 * (globs) from its beginning (or end) and keeps following appended data by
 * polling; with --once it reads every file to its end and finishes. It has
 * no checkpoints and does not follow rotation: the tailing source replaces
 * it. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "runtime.h"
#include "sources/line_reader.h"
#include "util/xalloc.h"

enum { READ_FROM_BEGINNING, READ_FROM_END };

typedef struct {
    sl_strlist paths;
    sl_strlist exclude;
    int read_from;
    uint64_t max_line_bytes;
    int long_lines;
    int64_t poll_interval_ns;
} file_cfg;

typedef struct {
    char *path;
    int fd;
    sl_line_reader lr;
    bool at_eof;        /* read everything there was last time */
    bool done;          /* --once: read to the end and closed */
} tailed_file;

typedef struct {
    tailed_file *files;
    size_t n, cap;
    size_t next;        /* round-robin position */
    struct event *read_ev, *poll_ev;
    bool finished;
} file_state;

static const char *const read_from_words[] = {"beginning", "end", NULL};

#define O(f) offsetof(file_cfg, f)
static const sl_option file_options[] = {
    {"paths", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(paths),
     "Files to read: paths or glob patterns."},
    {"exclude", SL_OPT_STRLIST, NULL, 0, 0, 0, NULL, O(exclude),
     "Glob patterns of paths to leave out (e.g. \"*.gz\")."},
    {"read_from", SL_OPT_ENUM, "beginning", 0, 0, 0, read_from_words, O(read_from),
     "Where to start in a file found at startup: beginning or end."},
    SL_LINE_READER_OPTIONS(file_cfg),
    {"poll_interval", SL_OPT_DURATION, "250ms", 0, 1000000, 3600000000000LL, NULL,
     O(poll_interval_ns), "How often to look for appended data and new files."},
    SL_OPT_END,
};

static bool excluded(const file_cfg *cfg, const char *path)
{
    for (size_t i = 0; i < cfg->exclude.n; i++) {
        const char *pat = cfg->exclude.v[i];
        const char *base = strrchr(path, '/');
        if (fnmatch(pat, path, 0) == 0 || (base && fnmatch(pat, base + 1, 0) == 0))
            return true;
    }
    return false;
}

static bool known(const file_state *st, const char *path)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->files[i].path, path) == 0)
            return true;
    return false;
}

static void add_file(sl_source *src, file_state *st, const char *path, bool at_start)
{
    const file_cfg *cfg = src->cfg;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sl_warn("file", "source \"%s\": cannot open %s: %s", src->name, path, strerror(errno));
        return;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return;
    }
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 8;
        st->files = sl_realloc(st->files, st->cap * sizeof *st->files);
    }
    tailed_file *f = &st->files[st->n++];
    memset(f, 0, sizeof *f);
    f->path = sl_strdup(path);
    f->fd = fd;
    sl_line_reader_init(&f->lr, src, cfg->max_line_bytes, cfg->long_lines);
    f->lr.origin = f->path;
    f->lr.origin_key = "file";
    if (at_start && cfg->read_from == READ_FROM_END) {
        off_t end = lseek(fd, 0, SEEK_END);
        f->lr.offset = end > 0 ? (uint64_t)end : 0;
    }
    sl_info("file", "source \"%s\": reading %s", src->name, path);
}

static void scan(sl_source *src, file_state *st, bool at_start)
{
    const file_cfg *cfg = src->cfg;
    for (size_t i = 0; i < cfg->paths.n; i++) {
        glob_t g;
        int r = glob(cfg->paths.v[i], GLOB_NOSORT, NULL, &g);
        if (r == 0) {
            for (size_t j = 0; j < g.gl_pathc; j++)
                if (!known(st, g.gl_pathv[j]) && !excluded(cfg, g.gl_pathv[j]))
                    add_file(src, st, g.gl_pathv[j], at_start);
        } else if (r == GLOB_NOMATCH && at_start) {
            sl_warn("file", "source \"%s\": nothing matches %s yet", src->name,
                    cfg->paths.v[i]);
        }
        globfree(&g);
    }
}

static void finish_file(sl_source *src, tailed_file *f)
{
    sl_chunk *c = sl_line_reader_finish(&f->lr);
    if (c)
        sl_source_submit(src, c);   /* if refused, the runtime pushes it later */
    if (f->lr.truncated || f->lr.skipped)
        sl_warn("file", "source \"%s\": %s: %llu over-long lines truncated, %llu skipped",
                src->name, f->path, (unsigned long long)f->lr.truncated,
                (unsigned long long)f->lr.skipped);
    close(f->fd);
    f->fd = -1;
    f->done = true;
}

/* Read a few chunks from each file in turn. Returns false when paused. */
static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sl_source *src = arg;
    file_state *st = src->state;
    const file_cfg *cfg = src->cfg;
    if (src->stopped || st->finished)
        return;
    bool progress = false, all_done = true;
    for (size_t k = 0; k < st->n; k++) {
        tailed_file *f = &st->files[(st->next + k) % st->n];
        if (f->done)
            continue;
        all_done = false;
        for (int round = 0; round < 8; round++) {
            if (!sl_source_may_read(src))
                return;         /* resumed by the runtime */
            sl_chunk *c;
            ssize_t n = sl_line_reader_read(&f->lr, f->fd, &c);
            if (c && !sl_source_submit(src, c))
                return;         /* queue full: resumed by the runtime */
            if (n > 0) {
                progress = true;
                f->at_eof = false;
                continue;
            }
            if (n < 0)
                sl_error("file", "source \"%s\": read error on %s: %s", src->name, f->path,
                         strerror(errno));
            f->at_eof = true;
            if (sl_source_once(src) || n < 0)
                finish_file(src, f);
            break;
        }
    }
    st->next = st->n ? (st->next + 1) % st->n : 0;
    if (sl_source_once(src)) {
        all_done = true;
        for (size_t k = 0; k < st->n; k++)
            all_done &= st->files[k].done;
        if (all_done) {
            st->finished = true;
            sl_source_finished(src);
            return;
        }
        event_active(st->read_ev, 0, 0);
        return;
    }
    (void)all_done;
    if (progress) {
        event_active(st->read_ev, 0, 0);
    } else {
        int64_t ns = cfg->poll_interval_ns;
        struct timeval tv = {(time_t)(ns / 1000000000), (suseconds_t)(ns % 1000000000 / 1000)};
        evtimer_add(st->poll_ev, &tv);
    }
}

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
    sl_source *src = arg;
    scan(src, src->state, false);
    read_cb(fd, what, arg);
}

static int file_start(sl_source *src)
{
    file_state *st = sl_calloc(1, sizeof *st);
    src->state = st;
    struct event_base *base = sl_source_base(src);
    st->read_ev = event_new(base, -1, 0, read_cb, src);
    st->poll_ev = evtimer_new(base, poll_cb, src);
    scan(src, st, true);
    event_active(st->read_ev, 0, 0);
    return 0;
}

static void file_resume(sl_source *src)
{
    file_state *st = src->state;
    event_active(st->read_ev, 0, 0);
}

static void file_stop(sl_source *src)
{
    file_state *st = src->state;
    if (!st)
        return;
    event_del(st->read_ev);
    event_del(st->poll_ev);
}

static void file_destroy(sl_source *src)
{
    file_state *st = src->state;
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++) {
        if (st->files[i].fd >= 0)
            close(st->files[i].fd);
        sl_line_reader_free(&st->files[i].lr);
        free(st->files[i].path);
    }
    free(st->files);
    event_free(st->read_ev);
    event_free(st->poll_ev);
    free(st);
    src->state = NULL;
}

static const sl_source_ops file_ops = {
    .start = file_start,
    .resume = file_resume,
    .stop = file_stop,
    .destroy = file_destroy,
};

const sl_plugin sl_source_file = {
    .name = "file",
    .kind = SL_PLUGIN_SOURCE,
    .summary = "Lines from files matching glob patterns, read from the start and followed "
               "as they grow (no rotation handling or checkpoints yet).",
    .options = file_options,
    .config_size = sizeof(file_cfg),
    .source = &file_ops,
};
