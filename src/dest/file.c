/* file.c: the `file` destination. Appends encoded events to a file whose
 * path may hold strftime patterns (on the event time, UTC) and {field}
 * placeholders; directories are created as needed. A batch is committed
 * once written (and fsync'ed when `fsync: true`); a batch that fails half
 * way is cut back off the file before it is retried, so a retry does not
 * duplicate lines. The part of a batch that goes to one file is encoded in
 * one pass (json_array: one array per batch and file) and, with
 * `compression: gzip`, written as one gzip member. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dest/fd_write.h"
#include "encode.h"
#include "log.h"
#include "runtime.h"
#include "util/buf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define MAX_OPEN_FILES 64

typedef struct {
    char *path;
    bool fsync;
    char *file_mode;
} file_dest_cfg;

typedef struct {
    char *path;
    int fd;
    sl_buf buf;
    size_t n_events;            /* events of this batch in buf */
    off_t size_before;
    bool touched;
    uint64_t last_used;
} out_file;

typedef enum { PART_TEXT, PART_TIME, PART_FIELD } part_kind;

typedef struct {
    part_kind kind;
    char *s;        /* text, strftime format, or field name */
    size_t n;
} path_part;

typedef struct {
    mode_t mode;
    path_part *parts;
    size_t n_parts;
    bool dynamic;
    out_file files[MAX_OPEN_FILES];
    size_t n_files;
    uint64_t tick;
    sl_buf path;
    sl_buf gz;                  /* a file's part of the batch, compressed */
    sl_gzip gzip;
    sl_ratelimit rl;
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
    SL_OPT_END,
};

static void add_part(file_dest_state *st, part_kind k, const char *s, size_t n)
{
    if (n == 0)
        return;
    st->parts = sl_realloc(st->parts, (st->n_parts + 1) * sizeof *st->parts);
    st->parts[st->n_parts++] = (path_part){k, sl_strndup(s, n), n};
    if (k != PART_TEXT)
        st->dynamic = true;
}

/* "logs/%Y/{app}.log" -> TIME("logs/%Y/") FIELD(app) TEXT(".log") */
static void compile_path(file_dest_state *st, const char *tpl)
{
    const char *p = tpl, *start = tpl;
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (close && close > p + 1) {
                size_t n = (size_t)(p - start);
                add_part(st, memchr(start, '%', n) ? PART_TIME : PART_TEXT, start, n);
                add_part(st, PART_FIELD, p + 1, (size_t)(close - p - 1));
                p = start = close + 1;
                continue;
            }
        }
        p++;
    }
    size_t n = (size_t)(p - start);
    add_part(st, memchr(start, '%', n) ? PART_TIME : PART_TEXT, start, n);
}

/* A field value placed in a path: no '/', no "..", no control bytes. */
static void append_sanitized(sl_buf *b, const char *s, size_t n)
{
    if (n == 0) {
        sl_buf_puts(b, "unknown");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool dotdot = c == '.' && i + 1 < n && s[i + 1] == '.';
        sl_buf_putc(b, (c == '/' || c < 0x20 || c == 0x7f || dotdot) ? '_' : (char)c);
    }
}

static void render_path(file_dest_state *st, const sl_event *ev)
{
    sl_buf *b = &st->path;
    sl_buf_reset(b);
    struct tm tm;
    bool have_tm = false;
    for (size_t i = 0; i < st->n_parts; i++) {
        const path_part *pt = &st->parts[i];
        if (pt->kind == PART_TEXT) {
            sl_buf_append(b, pt->s, pt->n);
        } else if (pt->kind == PART_TIME) {
            if (!have_tm) {
                time_t secs = (time_t)(ev->time_ns / 1000000000);
                gmtime_r(&secs, &tm);
                have_tm = true;
            }
            sl_timefmt(b, pt->s, pt->n, &tm, ev->time_ns / 1000000000);
        } else {
            sl_value *v = sl_fields_get((sl_fields *)&ev->fields, pt->s, pt->n);
            char num[32];
            if (v && v->type == SL_VAL_STRING) {
                append_sanitized(b, v->u.s.p, v->u.s.n);
            } else if (v && v->type == SL_VAL_INT) {
                int k = snprintf(num, sizeof num, "%lld", (long long)v->u.i);
                sl_buf_append(b, num, (size_t)k);
            } else if (pt->n == 6 && memcmp(pt->s, "source", 6) == 0 && ev->chunk->source) {
                append_sanitized(b, ev->chunk->source->name, strlen(ev->chunk->source->name));
            } else {
                sl_buf_puts(b, "unknown");
            }
        }
    }
    sl_buf_putc(b, 0);
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
    if (!parse_mode(cfg->file_mode, &m))
        sl_diag_error(d, sl_node_get(node, "file_mode") ? sl_node_get(node, "file_mode") : node,
                      "%s: option \"file_mode\" must be octal permissions such as 0640, not \"%s\"",
                      what, cfg->file_mode);
}

static out_file *get_file(sl_dest *d, file_dest_state *st, const char *path)
{
    for (size_t i = 0; i < st->n_files; i++) {
        if (strcmp(st->files[i].path, path) == 0) {
            st->files[i].last_used = ++st->tick;
            return &st->files[i];
        }
    }
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
        return NULL;
    }
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
    return f;
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
    compile_path(st, cfg->path);
    if (!st->dynamic) {
        /* Fail at startup, not on the first event, when the file cannot be opened. */
        if (!get_file(d, st, cfg->path))
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
        if (f->touched && f->size_before >= 0 && ftruncate(f->fd, f->size_before) != 0)
            sl_warn("file", "destination \"%s\": cannot cut back %s after a failed write: %s "
                            "(the retry may duplicate lines)", d->name, f->path, strerror(errno));
        f->touched = false;
    }
    return SL_SEND_RETRY;
}

static void file_close(sl_dest *d)
{
    file_dest_state *st = d->state;
    if (!st)
        return;
    for (size_t i = 0; i < st->n_files; i++)
        close_file(&st->files[i]);
    for (size_t i = 0; i < st->n_parts; i++)
        free(st->parts[i].s);
    free(st->parts);
    sl_buf_free(&st->path);
    sl_buf_free(&st->gz);
    sl_gzip_free(&st->gzip);
    free(st);
    d->state = NULL;
}

static const sl_dest_ops file_dest_ops = {
    .open = file_open,
    .send = file_send,
    .close = file_close,
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
