/* file.c: the `file` destination. Appends encoded events to a file whose
 * path may hold strftime patterns (on the event time, UTC) and {field}
 * placeholders; directories are created as needed. A batch is committed
 * once written (and fsync'ed when `fsync: true`); a batch that fails half
 * way is cut back off the file before it is retried, so a retry does not
 * duplicate lines. The part of a batch that goes to one file is encoded in
 * one pass (json_array: one array per batch and file) and, with
 * `compression: gzip`, written as one gzip member.
 *
 * Rotation (rotate.max_bytes, rotate.max_age): before a batch is written to
 * a non-empty output file, the file is rotated if the batch would take it
 * past max_bytes, or if sluice opened it max_age ago or more: it is renamed
 * to PATH.YYYYMMDDTHHMMSSZ (UTC, the time of the rotation; a trailing ".gz"
 * of PATH stays last: app.ndjson.gz -> app.ndjson.20261123T130244Z.gz; a
 * name already taken gets -1, -2, ... after the stamp) and a new file is
 * created at PATH. Rotation happens only between batches, so every file
 * holds whole batches (with gzip, whole members: a complete gzip stream),
 * and a file over max_age that gets no more events is left as it is.
 *
 * SIGUSR1 (reopen): the runner calls file_reopen() on this destination's
 * thread before its next batch; it closes every output file, and the next
 * batch opens (creates) them again at their paths. So after logrotate (or
 * anyone) renamed a file and sent SIGUSR1, batches written before the
 * signal was handled are in the renamed file, later ones in the new one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/fd_write.h"
#include "dest/name_template.h"
#include "encode.h"
#include "log.h"
#include "runtime.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define MAX_OPEN_FILES 64

typedef struct {
    char *path;
    bool fsync;
    char *file_mode;
    uint64_t rotate_max_bytes;  /* 0: no size rotation */
    int64_t rotate_max_age_ns;  /* 0: no age rotation */
} file_dest_cfg;

typedef struct {
    char *path;
    int fd;
    sl_buf buf;
    size_t n_events;            /* events of this batch in buf */
    off_t size_before;
    bool touched;
    uint64_t last_used;
    int64_t opened_ns;          /* monotonic: when this fd was opened (rotate.max_age) */
} out_file;

typedef struct {
    mode_t mode;
    sl_name_template *name;     /* the path template */
    bool dynamic;
    out_file files[MAX_OPEN_FILES];
    size_t n_files;
    uint64_t tick;
    sl_buf path;
    sl_buf gz;                  /* a file's part of the batch, compressed */
    sl_gzip gzip;
    sl_ratelimit rl;
    sl_buf rotated;             /* a rotated file's new name */
    uint64_t rotations;
} file_dest_state;

#define O(f) offsetof(file_dest_cfg, f)
static const sl_option file_dest_options[] = {
    {"path", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(path),
     "Output file; time patterns %Y %y %m %d %H %M %S %j %s (event time, UTC) and "
     "{field} placeholders allowed."},
    {"fsync", SL_OPT_BOOL, "false", 0, 0, 0, NULL, O(fsync),
     "fsync after every batch before acknowledging it (durable across power loss)."},
    {"file_mode", SL_OPT_STRING, "0640", 0, 0, 0, NULL, O(file_mode),
     "Permissions of files it creates, in octal."},
    {"rotate.max_bytes", SL_OPT_SIZE, "0", 0, 0, 1LL << 50, NULL, O(rotate_max_bytes),
     "Rotate an output file before a batch would take it past this size: it is renamed "
     "PATH.YYYYMMDDTHHMMSSZ (UTC; a final .gz stays last) and a new PATH is started; "
     "0: never."},
    {"rotate.max_age", SL_OPT_DURATION, "0", 0, 0, 366LL * 86400000000000LL, NULL,
     O(rotate_max_age_ns),
     "Rotate an output file (as rotate.max_bytes) at the first batch written to it this "
     "long after sluice opened it; 0: never."},
    SL_OPT_END,
};

static void render_path(file_dest_state *st, const sl_event *ev)
{
    sl_buf_reset(&st->path);
    sl_name_template_render(st->name, ev, NULL, NULL, &st->path);
}

static int mkdir_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        int r = mkdir(path, 0755);
        *p = '/';
        if (r != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

static void close_file(out_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    sl_buf_free(&f->buf);
    free(f->path);
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

static bool parse_mode(const char *s, mode_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 8);
    if (errno || end == s || *end || v < 0 || v > 0777)
        return false;
    *out = (mode_t)v;
    return true;
}

static void file_dest_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    file_dest_cfg *cfg = cfgp;
    mode_t m;
    const char *bad = sl_timefmt_check(cfg->path, strlen(cfg->path));
    if (bad)
        sl_diag_error(d, sl_node_get(node, "path"),
                      "%s: option \"path\" has an unsupported time pattern \"%.2s\" "
                      "(supported: %%Y %%y %%m %%d %%H %%M %%S %%j %%s %%%%)", what, bad);
    else if ((bad = sl_name_template_check(cfg->path)))
        sl_diag_error(d, sl_node_get(node, "path"), "%s: option \"path\" has %s", what, bad);
    if (!parse_mode(cfg->file_mode, &m))
        sl_diag_error(d, sl_node_get(node, "file_mode") ? sl_node_get(node, "file_mode") : node,
                      "%s: option \"file_mode\" must be octal permissions such as 0640, not \"%s\"",
                      what, cfg->file_mode);
}

static int open_path(sl_dest *d, file_dest_state *st, const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, st->mode);
    if (fd < 0 && errno == ENOENT) {
        char *tmp = sl_strdup(path);
        if (mkdir_parents(tmp) == 0)
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, st->mode);
        free(tmp);
    }
    if (fd < 0) {
        unsigned sup;
        if (sl_ratelimit_allow(&st->rl, 5, &sup))
            sl_error("file", "destination \"%s\": cannot open %s: %s", d->name, path,
                     strerror(errno));
    }
    return fd;
}

static out_file *get_file(sl_dest *d, file_dest_state *st, const char *path)
{
    for (size_t i = 0; i < st->n_files; i++) {
        if (strcmp(st->files[i].path, path) == 0) {
            out_file *f = &st->files[i];
            if (f->fd < 0) {    /* a rotation could not create the new file */
                if ((f->fd = open_path(d, st, path)) < 0)
                    return NULL;
                f->opened_ns = sl_mono_ns();
            }
            f->last_used = ++st->tick;
            return f;
        }
    }
    int fd = open_path(d, st, path);
    if (fd < 0)
        return NULL;
    out_file *f;
    if (st->n_files < MAX_OPEN_FILES) {
        f = &st->files[st->n_files++];
    } else {            /* reuse the least recently used slot */
        f = &st->files[0];
        for (size_t i = 1; i < st->n_files; i++)
            if (st->files[i].last_used < f->last_used)
                f = &st->files[i];
        close_file(f);
    }
    f->path = sl_strdup(path);
    f->fd = fd;
    f->last_used = ++st->tick;
    f->opened_ns = sl_mono_ns();
    return f;
}

/* ---- rotation ------------------------------------------------------------ */

static bool rotate_due(const file_dest_cfg *cfg, const out_file *f, size_t len)
{
    if (f->size_before <= 0)
        return false;           /* empty (or unknown): nothing to rotate */
    if (cfg->rotate_max_bytes && (uint64_t)f->size_before + len > cfg->rotate_max_bytes)
        return true;
    return cfg->rotate_max_age_ns && sl_mono_ns() - f->opened_ns >= cfg->rotate_max_age_ns;
}

/* PATH.STAMP[-N][.gz] that does not exist yet, in st->rotated. */
static void rotated_name(file_dest_state *st, const char *path)
{
    size_t n = strlen(path);
    size_t base = n > 3 && strcmp(path + n - 3, ".gz") == 0 ? n - 3 : n;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    for (unsigned k = 0;; k++) {
        sl_buf_reset(&st->rotated);
        sl_buf_append(&st->rotated, path, base);
        sl_buf_printf(&st->rotated, ".%s", stamp);
        if (k)
            sl_buf_printf(&st->rotated, "-%u", k);
        sl_buf_puts(&st->rotated, path + base);
        sl_buf_putc(&st->rotated, 0);
        struct stat sb;
        if (lstat(st->rotated.p, &sb) != 0 && errno == ENOENT)
            return;
    }
}

/* Rename f's file aside and start a new one at its path. False: the batch
 * must be retried (f->fd is then -1 if the new file could not be made;
 * get_file tries again). */
static bool rotate_file(sl_dest *d, file_dest_state *st, out_file *f)
{
    rotated_name(st, f->path);
    unsigned sup;
    if (rename(f->path, st->rotated.p) != 0) {
        if (sl_ratelimit_allow(&st->rl, 5, &sup))
            sl_error("file", "destination \"%s\": cannot rotate %s to %s: %s; writing on to "
                             "it", d->name, f->path, st->rotated.p, strerror(errno));
        f->opened_ns = sl_mono_ns();    /* do not try again at every batch */
        return true;
    }
    close(f->fd);
    f->fd = open_path(d, st, f->path);
    if (f->fd < 0)
        return false;
    f->opened_ns = sl_mono_ns();
    f->size_before = 0;
    st->rotations++;
    sl_debug("file", "destination \"%s\": rotated %s to %s", d->name, f->path, st->rotated.p);
    return true;
}

static int file_open(sl_dest *d)
{
    const file_dest_cfg *cfg = d->cfg;
    file_dest_state *st = sl_calloc(1, sizeof *st);
    d->state = st;
    for (size_t i = 0; i < MAX_OPEN_FILES; i++)
        st->files[i].fd = -1;
    if (!parse_mode(cfg->file_mode, &st->mode))
        st->mode = 0640;
    st->name = sl_name_template_new(cfg->path, SL_NAME_PATH);
    st->dynamic = sl_name_template_varies(st->name) || strstr(cfg->path, "{uuid}");
    if (!st->dynamic) {
        /* Fail at startup, not on the first event, when the file cannot be opened. */
        render_path(st, NULL);
        if (!get_file(d, st, st->path.p))
            return -1;
    }
    return 0;
}

static sl_send_result file_send(sl_dest *d, sl_event *const *evs, size_t n)
{
    const file_dest_cfg *cfg = d->cfg;
    file_dest_state *st = d->state;
    int enc = d->common->encoding;
    out_file *last = NULL;
    for (size_t i = 0; i < n; i++) {
        out_file *f = last;
        if (st->dynamic || !f) {
            render_path(st, evs[i]);
            if (!f || strcmp(f->path, st->path.p) != 0)
                f = get_file(d, st, st->path.p);
            if (!f)
                goto retry;
        }
        if (!f->touched) {
            struct stat sb;
            f->size_before = fstat(f->fd, &sb) == 0 ? sb.st_size : -1;
            f->touched = true;
            sl_buf_reset(&f->buf);
            f->n_events = 0;
            sl_encode_begin(&f->buf, enc);
        }
        sl_encode_add(&f->buf, evs[i], enc, f->n_events++);
        last = f;
    }
    for (size_t i = 0; i < st->n_files; i++) {
        out_file *f = &st->files[i];
        if (!f->touched || f->n_events == 0)
            continue;
        sl_encode_end(&f->buf, enc, f->n_events);
        const sl_buf *out = &f->buf;
        if (d->common->compression == SL_COMP_GZIP) {
            sl_buf_reset(&st->gz);
            sl_gzip_compress(&st->gzip, (int)d->common->compression_level, &st->gz, f->buf.p,
                             f->buf.len);
            out = &st->gz;
        }
        if (rotate_due(cfg, f, out->len) && !rotate_file(d, st, f))
            goto retry;
        if (!sl_write_all(f->fd, out->p, out->len) || (cfg->fsync && fsync(f->fd) != 0)) {
            unsigned sup;
            if (sl_ratelimit_allow(&st->rl, 5, &sup))
                sl_error("file", "destination \"%s\": cannot write %s: %s", d->name, f->path,
                         strerror(errno));
            goto retry;
        }
    }
    for (size_t i = 0; i < st->n_files; i++) {
        st->files[i].touched = false;
        if (st->files[i].buf.cap > (1u << 22))   /* do not keep a huge buffer around */
            sl_buf_free(&st->files[i].buf);
    }
    if (st->gz.cap > (1u << 22))
        sl_buf_free(&st->gz);
    return SL_SEND_OK;
retry:
    /* Cut back whatever part of this batch reached the files. */
    for (size_t i = 0; i < st->n_files; i++) {
        out_file *f = &st->files[i];
        if (f->touched && f->fd >= 0 && f->size_before >= 0 &&
            ftruncate(f->fd, f->size_before) != 0)
            sl_warn("file", "destination \"%s\": cannot cut back %s after a failed write: %s "
                            "(the retry may duplicate lines)", d->name, f->path, strerror(errno));
        f->touched = false;
    }
    return SL_SEND_RETRY;
}

/* SIGUSR1: close every output file; the next batch opens them again at
 * their paths (on this destination's thread, between batches). */
static void file_reopen(sl_dest *d)
{
    file_dest_state *st = d->state;
    if (!st)
        return;
    size_t n = st->n_files;
    for (size_t i = 0; i < st->n_files; i++)
        close_file(&st->files[i]);
    st->n_files = 0;
    sl_info("file", "destination \"%s\": reopening %zu output file%s at the next batch",
            d->name, n, n == 1 ? "" : "s");
}

static void file_close(sl_dest *d)
{
    file_dest_state *st = d->state;
    if (!st)
        return;
    if (st->rotations)
        sl_info("file", "destination \"%s\": %llu output files rotated", d->name,
                (unsigned long long)st->rotations);
    for (size_t i = 0; i < st->n_files; i++)
        close_file(&st->files[i]);
    sl_name_template_free(st->name);
    sl_buf_free(&st->path);
    sl_buf_free(&st->gz);
    sl_buf_free(&st->rotated);
    sl_gzip_free(&st->gzip);
    free(st);
    d->state = NULL;
}

static const sl_dest_ops file_dest_ops = {
    .open = file_open,
    .send = file_send,
    .close = file_close,
    .reopen = file_reopen,
    .write_when_idle = true,
};

const sl_plugin sl_dest_file = {
    .name = "file",
    .kind = SL_PLUGIN_DEST,
    .summary = "Appends encoded events to files; the path may use strftime patterns and "
               "{field} placeholders.",
    .options = file_dest_options,
    .config_size = sizeof(file_dest_cfg),
    .check = file_dest_check,
    .dest = &file_dest_ops,
};
