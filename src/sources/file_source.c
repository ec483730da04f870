/* file_source.c: the `file` source: tails files matching glob patterns
 * through rotation, truncation and restarts, and records how far each
 * file has been delivered (not just read) in a checkpoint.
 *
 * Pieces, one concern each: file_glob (finding files), file_watch
 * (inotify), line_reader (splitting, long lines, multiline),
 * ack_watermark (acks in any order -> a safe position), file_checkpoint
 * (the store on disk). This file ties them together: the life of each
 * tracked file, reading rounds, rotation, and timers.
 *
 * A tracked file is one generation of one file identity (device, inode
 * and a fingerprint of its first bytes). Its states:
 *   OPEN     being read (holds a descriptor and a line reader)
 *   DORMANT  known but not open: from the checkpoint file, closed after
 *            rotation/deletion, read to its end (gzip, --once), or closed
 *            to give its descriptor slot to another file
 *   ORPHAN   an old generation of a truncated file: kept only until the
 *            chunks read from it are acked
 * Chunks point to the tracked file they came from (chunk->source_ctx); a
 * tracked file is freed only when none of its chunks is in flight. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "log.h"
#include "pipeline_config.h"
#include "runtime.h"
#include "util/ack_watermark.h"
#include "sources/file_checkpoint.h"
#include "sources/file_glob.h"
#include "sources/file_watch.h"
#include "sources/line_reader.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define FS "file"

enum { READ_FROM_BEGINNING, READ_FROM_END };

typedef struct {
    sl_strlist paths;
    sl_strlist exclude;
    int read_from;
    uint64_t max_line_bytes;
    int long_lines;
    int64_t poll_interval_ns;
    uint64_t fingerprint_bytes;
    int64_t rotate_wait_ns;
    int64_t checkpoint_interval_ns;
    int64_t forget_after_ns;
    int64_t partial_line_timeout_ns;
    char *multiline_start;
    int64_t multiline_timeout_ns;
    char *offset_key;
    bool add_host;
    int64_t max_open_files;
} file_cfg;

static const char *const read_from_words[] = {"beginning", "end", NULL};

#define O(f) offsetof(file_cfg, f)
static const sl_option file_options[] = {
    {"paths", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(paths),
     "Files to tail: paths or glob patterns; ** matches any number of directories."},
    {"exclude", SL_OPT_STRLIST, NULL, 0, 0, 0, NULL, O(exclude),
     "Glob patterns of files to leave out; without a '/' they match the base name "
     "(e.g. \"*.gz\")."},
    {"read_from", SL_OPT_ENUM, "beginning", 0, 0, 0, read_from_words, O(read_from),
     "Where to start in a file found at startup that has no checkpoint: beginning or end "
     "(files that appear later are always read from the beginning)."},
    SL_LINE_READER_OPTIONS(file_cfg),
    {"poll_interval", SL_OPT_DURATION, "1s", 0, 10000000, 3600000000000LL, NULL,
     O(poll_interval_ns),
     "How often to rescan the patterns and check files, besides inotify (the only way "
     "on NFS)."},
    {"fingerprint_bytes", SL_OPT_SIZE, "1KiB", 0, 16, 1 << 20, NULL, O(fingerprint_bytes),
     "How many first bytes of a file identify it, with its device and inode."},
    {"rotate_wait", SL_OPT_DURATION, "5s", 0, 0, 86400000000000LL, NULL, O(rotate_wait_ns),
     "How long a rotated or deleted file is kept open, once read to its end, for late "
     "writes."},
    {"checkpoint_interval", SL_OPT_DURATION, "1s", 0, 10000000, 3600000000000LL, NULL,
     O(checkpoint_interval_ns),
     "How often delivered positions are saved to service.state_dir (also at shutdown)."},
    {"forget_after", SL_OPT_DURATION, "7d", 0, 0, 0, NULL, O(forget_after_ns),
     "Checkpoints of files not seen for this long are dropped."},
    {"partial_line_timeout", SL_OPT_DURATION, "1m", 0, 0, 0, NULL,
     O(partial_line_timeout_ns),
     "Emit a last line that has no newline after this long without new data (0: wait "
     "for the newline)."},
    {"multiline.start_pattern", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(multiline_start),
     "A PCRE2 regex: a line that matches starts a new event; lines that do not are "
     "joined to it (stack traces)."},
    {"multiline.timeout", SL_OPT_DURATION, "1s", 0, 1000000, 3600000000000LL, NULL,
     O(multiline_timeout_ns),
     "Emit a pending multiline event after this long without a new line."},
    {"offset_key", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(offset_key),
     "When set, a field of this name gets each line's byte offset in its file."},
    {"add_host", SL_OPT_BOOL, "true", 0, 0, 0, NULL, O(add_host),
     "Add a \"host\" field with this machine's host name."},
    {"max_open_files", SL_OPT_INT, "1024", 0, 1, 1000000, NULL, O(max_open_files),
     "Most files held open at once; idle files give their place to files with new data."},
    SL_OPT_END,
};

typedef enum { TF_OPEN, TF_DORMANT, TF_ORPHAN } tf_state;

typedef struct tail_file {
    sl_file_id id;
    const char *path;           /* interned: chunks in flight point to it */
    tf_state state;
    int fd;
    gzFile gz;
    bool is_gzip, gzip_done;
    sl_line_reader lr;          /* OPEN only */
    uint64_t read_offset;       /* DORMANT/ORPHAN: where reading stopped */
    sl_ack_watermark wm;        /* under file_state.mu */
    int64_t seen;               /* unix seconds of the last scan that found it */
    int64_t gone_since;         /* mono ns its path stopped leading to it; 0 */
    int64_t idle_since;         /* mono ns it was last found at its end; 0 */
    bool want_read;             /* something may have been written */
    bool found;                 /* found by the current scan */
    bool wants_slot;            /* DORMANT with new data, waiting for a slot */
    bool done;                  /* --once: read to the end */
    bool copy_pending;          /* DORMANT: a copy of an open file (copytruncate
                                   in progress): wait for the truncation */
    sl_file_id copy_of;         /* ... of this file */
    int64_t since;              /* mono ns: copy_pending or ORPHAN since */
} tail_file;

typedef struct {
    sl_source *src;
    const file_cfg *cfg;
    pthread_mutex_t mu;         /* every tail_file's wm */
    tail_file **files;
    size_t n, cap;
    size_t next;                /* round-robin start */
    size_t n_open;
    char **paths;               /* interned path strings */
    size_t n_paths, cap_paths;
    struct event *read_ev, *poll_ev, *ckpt_ev;
    sl_file_watch *watch;
    pcre2_code *ml_re;
    pcre2_match_data *ml_md;
    char *ckpt_file;
    uint64_t ckpt_signature;    /* of what was last saved */
    bool ckpt_saved_once;
    char host[256];
    bool read_all;              /* next round reads every open file */
    bool finished;
    bool stopped;
    uint64_t long_truncated, long_skipped;  /* reported */
} file_state;

/* ---- small helpers -------------------------------------------------------- */

static struct timeval tv_of(int64_t ns)
{
    struct timeval tv = {(time_t)(ns / 1000000000), (suseconds_t)(ns % 1000000000 / 1000)};
    return tv;
}

static const char *intern_path(file_state *st, const char *path)
{
    for (size_t i = 0; i < st->n_paths; i++)
        if (strcmp(st->paths[i], path) == 0)
            return st->paths[i];
    if (st->n_paths == st->cap_paths) {
        st->cap_paths = st->cap_paths ? st->cap_paths * 2 : 16;
        st->paths = sl_realloc(st->paths, st->cap_paths * sizeof *st->paths);
    }
    return st->paths[st->n_paths++] = sl_strdup(path);
}

static bool excluded(const file_cfg *cfg, const char *path)
{
    for (size_t i = 0; i < cfg->exclude.n; i++)
        if (sl_glob_match(cfg->exclude.v[i], path))
            return true;
    return false;
}

/* CRC-32 of the first `len` bytes of fd; false if it has fewer. */
static bool crc_of_prefix(int fd, uint32_t len, uint32_t *crc)
{
    char buf[4096];
    uLong c = crc32(0L, Z_NULL, 0);
    uint32_t done = 0;
    while (done < len) {
        size_t want = len - done < sizeof buf ? len - done : sizeof buf;
        ssize_t r = pread(fd, buf, want, (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        c = crc32(c, (const Bytef *)buf, (uInt)r);
        done += (uint32_t)r;
    }
    *crc = (uint32_t)c;
    return true;
}

/* Fingerprint fd: CRC of its first min(size, fingerprint_bytes) bytes. */
static void fingerprint(const file_cfg *cfg, int fd, uint64_t size, sl_file_id *id)
{
    uint64_t want = size < cfg->fingerprint_bytes ? size : cfg->fingerprint_bytes;
    uint32_t crc = 0;
    if (!crc_of_prefix(fd, (uint32_t)want, &crc)) {
        want = 0;
        crc = 0;
    }
    id->fp_len = (uint32_t)want;
    id->fp_crc = crc;
}

/* Is the file open at fd (of `size` bytes) the one `id` describes? */
static bool same_content(int fd, uint64_t size, const sl_file_id *id)
{
    if (id->fp_len == 0)
        return true;
    if (size < id->fp_len)
        return false;
    uint32_t crc;
    return crc_of_prefix(fd, id->fp_len, &crc) && crc == id->fp_crc;
}

static uint64_t wm_position(file_state *st, tail_file *f)
{
    pthread_mutex_lock(&st->mu);
    uint64_t pos = sl_wm_position(&f->wm);
    pthread_mutex_unlock(&st->mu);
    return pos;
}

static bool is_start_line(void *ctx, const char *line, size_t len)
{
    file_state *st = ctx;
    int rc = pcre2_match(st->ml_re, (PCRE2_SPTR)line, len, 0, 0, st->ml_md, NULL);
    return rc >= 0;
}

/* ---- the list of tracked files ------------------------------------------- */

static tail_file *track(file_state *st, const sl_file_id *id, const char *path)
{
    tail_file *f = sl_calloc(1, sizeof *f);
    f->id = *id;
    f->path = intern_path(st, path);
    f->state = TF_DORMANT;
    f->fd = -1;
    sl_wm_init(&f->wm, 0);
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 16;
        st->files = sl_realloc(st->files, st->cap * sizeof *st->files);
    }
    st->files[st->n++] = f;
    return f;
}

static void untrack_at(file_state *st, size_t i)
{
    tail_file *f = st->files[i];
    sl_wm_free(&f->wm);
    free(f);
    st->files[i] = st->files[--st->n];
}

static tail_file *find_by_inode(file_state *st, uint64_t dev, uint64_t ino, bool orphans)
{
    for (size_t i = 0; i < st->n; i++) {
        tail_file *f = st->files[i];
        if (f->id.dev == dev && f->id.ino == ino && (orphans || f->state != TF_ORPHAN))
            return f;
    }
    return NULL;
}

/* ---- opening and closing -------------------------------------------------- */

static ssize_t gz_read(void *ctx, char *buf, size_t n)
{
    int r = gzread((gzFile)ctx, buf, (unsigned)(n > 1u << 30 ? 1u << 30 : n));
    if (r < 0) {
        errno = EIO;
        return -1;
    }
    return r;
}

/* Start reading f (DORMANT) from `offset` on an open descriptor. */
static void start_reading(file_state *st, tail_file *f, int fd, uint64_t offset)
{
    const file_cfg *cfg = st->cfg;
    f->fd = fd;
    f->state = TF_OPEN;
    f->idle_since = 0;
    f->want_read = true;
    sl_line_reader_init(&f->lr, st->src, cfg->max_line_bytes, cfg->long_lines);
    if (st->ml_re)
        sl_line_reader_multiline(&f->lr, is_start_line, st);
    f->lr.origin = f->path;
    f->lr.origin_key = "file";
    f->lr.offset = offset;
    if (f->is_gzip) {
        f->gz = gzdopen(fd, "rb");
        f->fd = -1;                     /* the gzFile owns it now */
        if (f->gz && offset && gzseek(f->gz, (z_off_t)offset, SEEK_SET) < 0)
            sl_warn(FS, "source \"%s\": %s: cannot resume at offset %llu", st->src->name,
                    f->path, (unsigned long long)offset);
    } else if (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
        sl_warn(FS, "source \"%s\": %s: cannot resume at offset %llu: %s", st->src->name,
                f->path, (unsigned long long)offset, strerror(errno));
    }
    pthread_mutex_lock(&st->mu);
    sl_wm_advance_idle(&f->wm, offset);
    pthread_mutex_unlock(&st->mu);
    st->n_open++;
}

static void report_long_lines(file_state *st, tail_file *f)
{
    if (f->lr.truncated + f->lr.skipped == 0)
        return;
    st->long_truncated += f->lr.truncated;
    st->long_skipped += f->lr.skipped;
    sl_warn(FS, "source \"%s\": %s: %llu over-long lines truncated, %llu skipped "
                "(max_line_bytes %llu)",
            st->src->name, f->path, (unsigned long long)f->lr.truncated,
            (unsigned long long)f->lr.skipped, (unsigned long long)st->cfg->max_line_bytes);
    f->lr.truncated = f->lr.skipped = 0;
}

static bool submit(file_state *st, tail_file *f, sl_chunk *c);

/* OPEN -> DORMANT. With `flush`, what is pending (a partial last line) is
 * emitted first: the file will not grow any more. Returns false when the
 * queue refused that chunk (the runtime keeps it; reading pauses). */
static bool close_file(file_state *st, tail_file *f, bool flush)
{
    bool ok = true;
    if (flush) {
        sl_chunk *c = sl_line_reader_finish(&f->lr);
        if (c)
            ok = submit(st, f, c);
    }
    report_long_lines(st, f);
    f->read_offset = f->lr.offset;
    pthread_mutex_lock(&st->mu);
    sl_wm_advance_idle(&f->wm, f->lr.offset);
    pthread_mutex_unlock(&st->mu);
    sl_line_reader_free(&f->lr);
    if (f->gz)
        gzclose(f->gz);
    if (f->fd >= 0)
        close(f->fd);
    f->gz = NULL;
    f->fd = -1;
    f->state = TF_DORMANT;
    st->n_open--;
    return ok;
}

/* ---- reading ------------------------------------------------------------- */

static bool submit(file_state *st, tail_file *f, sl_chunk *c)
{
    c->source_ctx = f;
    if (st->cfg->add_host)
        c->host = st->host;
    if (st->cfg->offset_key) {
        const char *key = st->cfg->offset_key;
        for (uint32_t i = 0; i < c->n_events; i++) {
            sl_event *ev = c->events[i];
            sl_event_set_int(ev, key, (int64_t)(c->begin + (uint64_t)(ev->msg - c->data)));
        }
    }
    pthread_mutex_lock(&st->mu);
    sl_wm_push(&f->wm, c->begin, c->end);
    pthread_mutex_unlock(&st->mu);
    return sl_source_submit(st->src, c);
}

/* The file shrank below what was read: it was truncated (in place or by
 * copytruncate). Its old generation stays as an ORPHAN until acked; a new
 * generation reads from the start. */
static tail_file *restart_truncated(file_state *st, tail_file *f, uint64_t size)
{
    sl_info(FS, "source \"%s\": %s was truncated (%llu bytes, had read %llu): reading it "
                "from the start",
            st->src->name, f->path, (unsigned long long)size,
            (unsigned long long)f->lr.offset);
    tail_file *nf = track(st, &f->id, f->path);
    /* the new generation takes over the descriptor and the list slot */
    nf->state = TF_OPEN;
    nf->fd = f->fd;
    nf->seen = f->seen;
    nf->want_read = true;
    sl_line_reader_free(&f->lr);     /* a partial line of the old content is gone */
    sl_line_reader_init(&nf->lr, st->src, st->cfg->max_line_bytes, st->cfg->long_lines);
    if (st->ml_re)
        sl_line_reader_multiline(&nf->lr, is_start_line, st);
    nf->lr.origin = nf->path;
    nf->lr.origin_key = "file";
    if (lseek(nf->fd, 0, SEEK_SET) < 0)
        sl_warn(FS, "source \"%s\": %s: cannot rewind after truncation: %s", st->src->name,
                nf->path, strerror(errno));
    fingerprint(st->cfg, nf->fd, size, &nf->id);
    f->read_offset = f->lr.offset;
    f->fd = -1;
    f->state = TF_ORPHAN;
    f->since = sl_mono_ns();
    return nf;
}

enum { READ_MORE, READ_EOF, READ_PAUSED, READ_CLOSED };

/* End of what is there for now: truncation, timeouts, rotation. */
static int at_end(file_state *st, tail_file *f, int64_t now)
{
    const file_cfg *cfg = st->cfg;
    bool once = sl_source_once(st->src);
    if (f->is_gzip) {
        f->gzip_done = true;
        sl_info(FS, "source \"%s\": %s: gzip file read to its end", st->src->name, f->path);
        return close_file(st, f, true) ? READ_CLOSED : READ_PAUSED;
    }
    if (once) {
        f->done = true;
        return close_file(st, f, true) ? READ_CLOSED : READ_PAUSED;
    }
    struct stat sb;
    if (fstat(f->fd, &sb) == 0) {
        uint64_t pos = f->lr.offset + sl_line_reader_pending(&f->lr);
        if ((uint64_t)sb.st_size < pos) {
            restart_truncated(st, f, (uint64_t)sb.st_size);
            return READ_MORE;
        }
        if (sb.st_nlink == 0 && !f->gone_since)
            f->gone_since = now;
    }
    if (!f->idle_since)
        f->idle_since = now;
    int64_t idle = now - f->idle_since;
    report_long_lines(st, f);
    if (sl_line_reader_pending(&f->lr)) {
        sl_chunk *c = NULL;
        /* the complete lines of a group first; a partial line after it
         * waits for its own timeout */
        if (f->lr.group_open && idle >= cfg->multiline_timeout_ns)
            c = sl_line_reader_flush_group(&f->lr);
        else if (cfg->partial_line_timeout_ns > 0 && idle >= cfg->partial_line_timeout_ns)
            c = sl_line_reader_finish(&f->lr);
        if (c && !submit(st, f, c))
            return READ_PAUSED;
    } else {
        sl_line_reader_idle(&f->lr);
        pthread_mutex_lock(&st->mu);
        sl_wm_advance_idle(&f->wm, f->lr.offset);
        pthread_mutex_unlock(&st->mu);
    }
    if (f->gone_since && now - f->gone_since >= cfg->rotate_wait_ns &&
        idle >= cfg->rotate_wait_ns) {
        sl_info(FS, "source \"%s\": done with rotated or deleted %s (read %llu bytes)",
                st->src->name, f->path, (unsigned long long)f->lr.offset);
        return close_file(st, f, true) ? READ_CLOSED : READ_PAUSED;
    }
    return READ_EOF;
}

static int read_file(file_state *st, tail_file *f, int budget)
{
    for (int round = 0; round < budget; round++) {
        if (!sl_source_may_read(st->src))
            return READ_PAUSED;
        sl_chunk *c;
        ssize_t n = f->gz ? sl_line_reader_read_from(&f->lr, gz_read, f->gz, &c)
                          : sl_line_reader_read(&f->lr, f->fd, &c);
        if (c && !submit(st, f, c))
            return READ_PAUSED;
        if (n > 0) {
            f->idle_since = 0;
            if (f->id.fp_len < st->cfg->fingerprint_bytes && !f->gz) {
                /* a young file: its identity firms up as it grows */
                uint64_t have = f->lr.offset + sl_line_reader_pending(&f->lr);
                if (have > f->id.fp_len)
                    fingerprint(st->cfg, f->fd, have, &f->id);
            }
            continue;
        }
        if (n < 0) {
            sl_error(FS, "source \"%s\": read error on %s: %s; closing it (reading resumes "
                         "from the last position when it is found again)",
                     st->src->name, f->path, strerror(errno));
            return close_file(st, f, false) ? READ_CLOSED : READ_PAUSED;
        }
        return at_end(st, f, sl_mono_ns());
    }
    return READ_MORE;
}

static void maybe_finish(file_state *st);
static void scan(file_state *st, bool at_start);
static bool any_waiting(const file_state *st);

/* One round over the open files that may have data. */
static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    file_state *st = arg;
    if (st->stopped || st->finished || st->src->paused)
        return;
    bool all = st->read_all;
    st->read_all = false;
    bool more = false, closed = false;
    size_t n = st->n;
    for (size_t k = 0; k < n && k < st->n; k++) {
        size_t i = (st->next + k) % st->n;
        tail_file *f = st->files[i];
        if (f->state != TF_OPEN || !(f->want_read || all))
            continue;
        f->want_read = false;
        int r = read_file(st, st->files[i], 8);
        if (r == READ_PAUSED) {
            st->files[i]->want_read = true;
            st->read_all |= all;
            return;                 /* resumed by the runtime */
        }
        if (r == READ_MORE) {
            st->files[i]->want_read = true;
            more = true;
        }
        closed |= r == READ_CLOSED;
    }
    st->next = st->n ? (st->next + 1) % st->n : 0;
    if (closed && any_waiting(st)) {
        scan(st, false);            /* slots were freed: open waiting files */
        more = true;
        st->read_all = true;
    }
    if (more)
        event_active(st->read_ev, 0, 0);
    else
        maybe_finish(st);
}

static void maybe_finish(file_state *st)
{
    if (!sl_source_once(st->src) || st->finished)
        return;
    for (size_t i = 0; i < st->n; i++)
        if (st->files[i]->state == TF_OPEN || st->files[i]->wants_slot)
            return;
    st->finished = true;
    sl_source_finished(st->src);
}

/* ---- discovery ------------------------------------------------------------ */

typedef struct {
    file_state *st;
    bool at_start;
    int64_t now_s;
} scan_ctx;

/* The file whose copy a new file with identity `id` is, as copytruncate
 * makes: same first fingerprint_bytes, another inode, and being read (OPEN)
 * or just truncated (ORPHAN). NULL when it is no copy. */
static tail_file *copy_original(file_state *st, const sl_file_id *id)
{
    if (id->fp_len != st->cfg->fingerprint_bytes)
        return NULL;
    for (size_t i = 0; i < st->n; i++) {
        tail_file *o = st->files[i];
        if (o->id.fp_len == id->fp_len && o->id.fp_crc == id->fp_crc &&
            !(o->id.dev == id->dev && o->id.ino == id->ino) &&
            (o->state == TF_OPEN || o->state == TF_ORPHAN))
            return o;
    }
    return NULL;
}

/* The ORPHAN left by truncating the file a pending copy was made of. */
static tail_file *truncated_original(file_state *st, const sl_file_id *of)
{
    for (size_t i = 0; i < st->n; i++) {
        tail_file *o = st->files[i];
        if (o->state == TF_ORPHAN && o->id.dev == of->dev && o->id.ino == of->ino &&
            o->id.fp_crc == of->fp_crc && o->id.fp_len == of->fp_len)
            return o;
    }
    return NULL;
}

/* A copy waits until its original is truncated, then is read from where
 * reading of the original stopped: no line twice, none lost. If the
 * original is not truncated within rotate_wait, it was a plain copy: only
 * what is appended to it from now on is new. Returns the offset to start
 * at, or -1 to keep waiting. */
static int64_t resolve_copy(file_state *st, tail_file *f, uint64_t size, int64_t now)
{
    tail_file *o = truncated_original(st, &f->copy_of);
    uint64_t pos;
    if (o) {
        pos = o->read_offset < size ? o->read_offset : size;
        sl_info(FS, "source \"%s\": %s is the copy of truncated %s (copytruncate): reading it "
                    "from offset %llu",
                st->src->name, f->path, o->path, (unsigned long long)pos);
    } else if (now - f->since >= st->cfg->rotate_wait_ns) {
        pos = size;
        sl_info(FS, "source \"%s\": %s is a copy of a file being read: following only what "
                    "is appended to it",
                st->src->name, f->path);
    } else {
        return -1;
    }
    f->copy_pending = false;
    return (int64_t)pos;
}

static bool has_slot(file_state *st)
{
    return st->n_open < (size_t)st->cfg->max_open_files;
}

static void found_cb(const char *path, const struct stat *sb, void *arg)
{
    scan_ctx *sc = arg;
    file_state *st = sc->st;
    const file_cfg *cfg = st->cfg;
    if (excluded(cfg, path))
        return;
    tail_file *f = find_by_inode(st, (uint64_t)sb->st_dev, (uint64_t)sb->st_ino, false);
    if (f && f->found)
        return;                     /* matched twice by the patterns */
    if (f && f->state == TF_OPEN) {
        f->found = true;
        f->seen = sc->now_s;
        f->gone_since = 0;          /* renamed within the patterns: not gone */
        if (strcmp(f->path, path) != 0)
            f->path = f->lr.origin = intern_path(st, path);   /* renamed, still matching */
        if (f->id.fp_len < cfg->fingerprint_bytes && (uint64_t)sb->st_size > f->id.fp_len &&
            f->fd >= 0)
            fingerprint(cfg, f->fd, (uint64_t)sb->st_size, &f->id);
        return;
    }
    if (f && (f->done || f->gzip_done)) {
        f->found = true;
        f->seen = sc->now_s;
        return;
    }
    if (f && f->state == TF_DORMANT && !f->copy_pending &&
        f->read_offset == (uint64_t)sb->st_size && !f->gone_since && f->id.fp_len > 0) {
        f->found = true;            /* closed, unchanged: nothing to read */
        f->seen = sc->now_s;
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sl_warn(FS, "source \"%s\": cannot open %s: %s", st->src->name, path, strerror(errno));
        return;
    }
    struct stat fsb;
    if (fstat(fd, &fsb) != 0 || !S_ISREG(fsb.st_mode) || fsb.st_ino != sb->st_ino) {
        close(fd);
        return;                     /* replaced between the walk and the open */
    }
    uint64_t size = (uint64_t)fsb.st_size;
    uint64_t offset = 0;
    if (f && !same_content(fd, size, &f->id)) {
        sl_info(FS, "source \"%s\": %s reuses the inode of a file read before but has other "
                    "content: reading it from the start",
                st->src->name, path);
        f->id.ino = 0;              /* stale: forget it once acked */
        f->gone_since = 1;
        f = NULL;
    }
    if (f) {
        offset = f->state == TF_DORMANT && f->read_offset ? f->read_offset
                                                          : wm_position(st, f);
        if (offset > size) {
            sl_info(FS, "source \"%s\": %s is shorter than its checkpoint (%llu > %llu bytes): "
                        "truncated, reading it from the start",
                    st->src->name, path, (unsigned long long)offset, (unsigned long long)size);
            offset = 0;
            pthread_mutex_lock(&st->mu);
            bool idle = sl_wm_in_flight(&f->wm) == 0;
            if (idle)
                sl_wm_init(&f->wm, 0);
            pthread_mutex_unlock(&st->mu);
            if (!idle) {            /* chunks in flight: a new generation */
                f->state = TF_ORPHAN;
                f = NULL;
            }
        }
    }
    if (!f) {
        int64_t age_ns = (int64_t)sc->now_s * 1000000000LL -
                         ((int64_t)fsb.st_mtim.tv_sec * 1000000000LL + fsb.st_mtim.tv_nsec);
        if (size < cfg->fingerprint_bytes && age_ns < cfg->poll_interval_ns &&
            !sl_source_once(st->src)) {
            /* Too short to tell what it is (a copy being written, a file
             * just created): look again when it has grown or settled. */
            close(fd);
            return;
        }
        sl_file_id id = {(uint64_t)fsb.st_dev, (uint64_t)fsb.st_ino, 0, 0};
        fingerprint(cfg, fd, size, &id);
        tail_file *orig = copy_original(st, &id);
        f = track(st, &id, path);
        if (orig) {
            f->copy_pending = true;
            f->copy_of = orig->id;
            f->since = sl_mono_ns();
        } else {
            offset = sc->at_start && cfg->read_from == READ_FROM_END ? size : 0;
            pthread_mutex_lock(&st->mu);
            sl_wm_init(&f->wm, offset);
            pthread_mutex_unlock(&st->mu);
        }
    } else {
        f->path = intern_path(st, path);
    }
    unsigned char magic[2];
    f->is_gzip = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (f->copy_pending) {
        f->found = true;
        f->seen = sc->now_s;
        int64_t pos = resolve_copy(st, f, size, sl_mono_ns());
        if (pos < 0) {
            close(fd);
            return;
        }
        offset = (uint64_t)pos;
        pthread_mutex_lock(&st->mu);
        sl_wm_init(&f->wm, offset);
        pthread_mutex_unlock(&st->mu);
    }
    f->found = true;
    f->seen = sc->now_s;
    f->gone_since = 0;
    if (f->gzip_done) {
        close(fd);
        return;
    }
    if (!has_slot(st)) {
        close(fd);
        f->read_offset = offset;
        f->wants_slot = true;
        return;
    }
    f->wants_slot = false;
    sl_info(FS, "source \"%s\": reading %s from offset %llu%s", st->src->name, path,
            (unsigned long long)offset, f->is_gzip ? " (gzip)" : "");
    start_reading(st, f, fd, offset);
}

/* Close idle open files so that files with new data get a slot. */
static void give_slots(file_state *st, int64_t now)
{
    size_t waiting = 0;
    for (size_t i = 0; i < st->n; i++)
        waiting += st->files[i]->wants_slot;
    if (!waiting)
        return;
    for (size_t i = 0; i < st->n && waiting; i++) {
        tail_file *f = st->files[i];
        if (f->state == TF_OPEN && f->idle_since && !sl_line_reader_pending(&f->lr) &&
            now - f->idle_since >= st->cfg->poll_interval_ns) {
            close_file(st, f, false);
            waiting--;
        }
    }
}

static void watch_dir_of(file_state *st, const char *path)
{
    if (!st->watch)
        return;
    char *dir = sl_strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    sl_file_watch_add(st->watch, slash ? dir : ".");
    free(dir);
}

static void save_checkpoints(file_state *st, bool final);

typedef struct {
    char *path;
    struct stat st;
} match;

typedef struct {
    match *v;
    size_t n, cap;
} match_list;

static void collect_cb(const char *path, const struct stat *sb, void *arg)
{
    match_list *ml = arg;
    if (ml->n == ml->cap) {
        ml->cap = ml->cap ? ml->cap * 2 : 64;
        ml->v = sl_realloc(ml->v, ml->cap * sizeof *ml->v);
    }
    ml->v[ml->n++] = (match){sl_strdup(path), *sb};
}

/* Oldest first: when descriptors are short, the oldest data goes first. */
static int by_mtime(const void *a, const void *b)
{
    const match *x = a, *y = b;
    if (x->st.st_mtim.tv_sec != y->st.st_mtim.tv_sec)
        return x->st.st_mtim.tv_sec < y->st.st_mtim.tv_sec ? -1 : 1;
    if (x->st.st_mtim.tv_nsec != y->st.st_mtim.tv_nsec)
        return x->st.st_mtim.tv_nsec < y->st.st_mtim.tv_nsec ? -1 : 1;
    return strcmp(x->path, y->path);
}

static bool any_waiting(const file_state *st)
{
    for (size_t i = 0; i < st->n; i++)
        if (st->files[i]->wants_slot)
            return true;
    return false;
}

static void scan(file_state *st, bool at_start)
{
    const file_cfg *cfg = st->cfg;
    scan_ctx sc = {st, at_start, (int64_t)time(NULL)};
    int64_t now = sl_mono_ns();
    for (size_t i = 0; i < st->n; i++)
        st->files[i]->found = false;
    match_list ml = {0};
    for (size_t i = 0; i < cfg->paths.n; i++) {
        sl_glob_walk(cfg->paths.v[i], collect_cb, &ml);
        if (st->watch) {
            char *dir = sl_glob_fixed_dir(cfg->paths.v[i]);
            sl_file_watch_add(st->watch, dir);
            free(dir);
        }
    }
    if (ml.n > 1)
        qsort(ml.v, ml.n, sizeof *ml.v, by_mtime);
    for (size_t i = 0; i < ml.n; i++)
        found_cb(ml.v[i].path, &ml.v[i].st, &sc);
    if (any_waiting(st)) {
        /* idle files give their slots; the waiting ones get a second look */
        give_slots(st, now);
        for (size_t i = 0; i < ml.n; i++) {
            tail_file *f = find_by_inode(st, (uint64_t)ml.v[i].st.st_dev,
                                         (uint64_t)ml.v[i].st.st_ino, false);
            if (f && f->wants_slot) {
                f->found = false;
                found_cb(ml.v[i].path, &ml.v[i].st, &sc);
            }
        }
    }
    for (size_t i = 0; i < ml.n; i++)
        free(ml.v[i].path);
    free(ml.v);
    for (size_t i = st->n; i-- > 0;) {
        tail_file *f = st->files[i];
        if (f->state == TF_OPEN) {
            watch_dir_of(st, f->path);
            if (!f->found && !f->gone_since) {
                struct stat sb;
                if (stat(f->path, &sb) != 0 || (uint64_t)sb.st_ino != f->id.ino ||
                    (uint64_t)sb.st_dev != f->id.dev)
                    f->gone_since = now;    /* rotated away or deleted */
            }
            continue;
        }
        pthread_mutex_lock(&st->mu);
        bool idle = sl_wm_in_flight(&f->wm) == 0;
        pthread_mutex_unlock(&st->mu);
        bool forget = (f->state == TF_ORPHAN && now - f->since >= cfg->rotate_wait_ns) ||
                      f->id.ino == 0 ||
                      (!f->found && cfg->forget_after_ns > 0 &&
                       (sc.now_s - f->seen) * 1000000000LL > cfg->forget_after_ns);
        if (forget && idle)
            untrack_at(st, i);
    }
}

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    file_state *st = arg;
    if (st->stopped || st->finished)
        return;
    scan(st, false);
    st->read_all = true;
    event_active(st->read_ev, 0, 0);
    struct timeval tv = tv_of(st->cfg->poll_interval_ns);
    evtimer_add(st->poll_ev, &tv);
}

/* Does dir/name match the patterns (and no exclude)? */
static bool wanted(const file_cfg *cfg, const char *dir, const char *name)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return false;
    if (excluded(cfg, path))
        return false;
    for (size_t i = 0; i < cfg->paths.n; i++)
        if (sl_glob_match(cfg->paths.v[i], path))
            return true;
    return false;
}

static void watch_cb(void *ctx, const char *dir, const char *name, unsigned what)
{
    file_state *st = ctx;
    if (st->stopped || st->finished)
        return;
    bool rescan = what & SL_WATCH_CHANGED;
    if (!dir || !name) {
        st->read_all = true;
    } else if (what & SL_WATCH_MODIFIED) {
        size_t dl = strlen(dir);
        bool known = false;
        for (size_t i = 0; i < st->n; i++) {
            tail_file *f = st->files[i];
            if (f->state == TF_OPEN && strncmp(f->path, dir, dl) == 0 && f->path[dl] == '/' &&
                strcmp(f->path + dl + 1, name) == 0) {
                f->want_read = true;
                known = true;
            }
        }
        /* a file that was too new to identify, or waiting: look again */
        if (!known && wanted(st->cfg, dir, name))
            rescan = true;
    }
    if (rescan) {
        scan(st, false);
        st->read_all = true;
    }
    event_active(st->read_ev, 0, 0);
}

/* ---- checkpoints ---------------------------------------------------------- */

static void ckpt_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    file_state *st = arg;
    save_checkpoints(st, false);
    struct timeval tv = tv_of(st->cfg->checkpoint_interval_ns);
    evtimer_add(st->ckpt_ev, &tv);
}

static void save_checkpoints(file_state *st, bool final)
{
    if (!st->ckpt_file)
        return;
    sl_checkpoint *v = sl_calloc(st->n ? st->n : 1, sizeof *v);
    size_t n = 0;
    uint64_t sig = 1469598103934665603ULL;
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->n; i++) {
        tail_file *f = st->files[i];
        if (f->state == TF_ORPHAN || f->id.ino == 0 || f->copy_pending)
            continue;
        v[n] = (sl_checkpoint){f->id, sl_wm_position(&f->wm), f->seen, f->gzip_done,
                               (char *)f->path};
        sig = (sig ^ (v[n].offset * 31 + f->id.ino + f->id.fp_crc + f->gzip_done)) *
              1099511628211ULL;
        n++;
    }
    pthread_mutex_unlock(&st->mu);
    sig ^= n;
    if (st->ckpt_saved_once && sig == st->ckpt_signature && !final) {
        free(v);
        return;
    }
    char *err = NULL;
    if (sl_checkpoints_save(st->ckpt_file, v, n, &err) != 0) {
        sl_error(FS, "source \"%s\": cannot save checkpoints: %s (will retry)", st->src->name,
                 err);
        free(err);
    } else {
        st->ckpt_signature = sig;
        st->ckpt_saved_once = true;
    }
    free(v);
}

static void load_checkpoints(file_state *st)
{
    sl_checkpoint *v;
    size_t n;
    char *err = NULL;
    if (sl_checkpoints_load(st->ckpt_file, &v, &n, &err) != 0) {
        sl_error(FS, "source \"%s\": ignoring the checkpoint file: %s; files are read as if "
                     "seen for the first time (read_from)",
                 st->src->name, err);
        free(err);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        tail_file *f = track(st, &v[i].id, v[i].path);
        sl_wm_init(&f->wm, v[i].offset);
        f->read_offset = v[i].offset;
        f->seen = v[i].seen;
        f->gzip_done = v[i].gzip_done;
    }
    if (n)
        sl_info(FS, "source \"%s\": %zu checkpoints loaded from %s", st->src->name, n,
                st->ckpt_file);
    sl_checkpoints_free(v, n);
}

/* ---- the plugin ----------------------------------------------------------- */

static pcre2_code *compile_pattern(const char *pattern, char *err, size_t errlen)
{
    int code;
    PCRE2_SIZE at;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &code, &at,
                                   NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, errlen, "%s at offset %zu", (const char *)msg, (size_t)at);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);     /* falls back to the interpreter */
    return re;
}

static void file_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    file_cfg *cfg = cfgp;
    if (cfg->multiline_start) {
        char err[300];
        pcre2_code *re = compile_pattern(cfg->multiline_start, err, sizeof err);
        if (!re)
            sl_diag_error(d, node, "%s: multiline.start_pattern: %s", what, err);
        pcre2_code_free(re);
    }
    for (size_t i = 0; i < cfg->paths.n; i++)
        if (cfg->paths.v[i][0] == 0)
            sl_diag_error(d, node, "%s: an empty path in paths", what);
}

static int file_start(sl_source *src)
{
    const file_cfg *cfg = src->cfg;
    file_state *st = sl_calloc(1, sizeof *st);
    src->state = st;
    st->src = src;
    st->cfg = cfg;
    pthread_mutex_init(&st->mu, NULL);
    if (gethostname(st->host, sizeof st->host - 1) != 0)
        strcpy(st->host, "localhost");
    if (cfg->multiline_start) {
        char err[300];
        st->ml_re = compile_pattern(cfg->multiline_start, err, sizeof err);
        if (!st->ml_re) {
            sl_error(FS, "source \"%s\": multiline.start_pattern: %s", src->name, err);
            return -1;
        }
        st->ml_md = pcre2_match_data_create_from_pattern(st->ml_re, NULL);
    }
    char *err = NULL;
    st->ckpt_file = sl_checkpoint_path(src->rt->cfg->service.state_dir, src->name, &err);
    if (!st->ckpt_file) {
        sl_error(FS, "source \"%s\": %s (set service.state_dir to a writable directory)",
                 src->name, err);
        free(err);
        return -1;
    }
    load_checkpoints(st);
    struct event_base *base = sl_source_base(src);
    st->read_ev = event_new(base, -1, 0, read_cb, st);
    st->poll_ev = evtimer_new(base, poll_cb, st);
    st->ckpt_ev = evtimer_new(base, ckpt_cb, st);
    if (!sl_source_once(src))
        st->watch = sl_file_watch_new(base, watch_cb, st);
    scan(st, true);
    for (size_t i = 0; i < cfg->paths.n; i++) {
        bool any = false;
        for (size_t j = 0; j < st->n && !any; j++)
            any = st->files[j]->found && sl_glob_match(cfg->paths.v[i], st->files[j]->path);
        if (!any)
            sl_warn(FS, "source \"%s\": nothing matches %s yet%s", src->name, cfg->paths.v[i],
                    sl_source_once(src) ? "" : " (watching for it)");
    }
    st->read_all = true;
    event_active(st->read_ev, 0, 0);
    if (!sl_source_once(src)) {
        struct timeval tv = tv_of(cfg->poll_interval_ns);
        evtimer_add(st->poll_ev, &tv);
    }
    struct timeval ctv = tv_of(cfg->checkpoint_interval_ns);
    evtimer_add(st->ckpt_ev, &ctv);
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
    st->stopped = true;
    event_del(st->read_ev);
    event_del(st->poll_ev);
}

static void file_chunk_done(sl_source *src, sl_chunk *c, unsigned status)
{
    (void)status;   /* failed deliveries were counted and logged; they do not
                       hold the checkpoint back forever */
    file_state *st = src->state;
    tail_file *f = c->source_ctx;
    if (!f)
        return;
    pthread_mutex_lock(&st->mu);
    bool known = sl_wm_ack(&f->wm, c->begin);
    pthread_mutex_unlock(&st->mu);
    if (!known)
        sl_error(FS, "source \"%s\": ack for an unknown range of %s at %llu (a bug)", src->name,
                 f->path, (unsigned long long)c->begin);
}

static void file_destroy(sl_source *src)
{
    file_state *st = src->state;
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++) {
        tail_file *f = st->files[i];
        if (f->state == TF_OPEN) {
            report_long_lines(st, f);
            sl_line_reader_free(&f->lr);
            if (f->gz)
                gzclose(f->gz);
            if (f->fd >= 0)
                close(f->fd);
        }
    }
    save_checkpoints(st, true);
    for (size_t i = 0; i < st->n; i++) {
        sl_wm_free(&st->files[i]->wm);
        free(st->files[i]);
    }
    free(st->files);
    for (size_t i = 0; i < st->n_paths; i++)
        free(st->paths[i]);
    free(st->paths);
    sl_file_watch_free(st->watch);
    event_free(st->read_ev);
    event_free(st->poll_ev);
    event_free(st->ckpt_ev);
    if (st->ml_md)
        pcre2_match_data_free(st->ml_md);
    if (st->ml_re)
        pcre2_code_free(st->ml_re);
    free(st->ckpt_file);
    pthread_mutex_destroy(&st->mu);
    free(st);
    src->state = NULL;
}

/* /metrics: per open file, its size beyond the delivered position (the
 * checkpoint's lag); gzip files are measured in compressed bytes, so skipped. */
static void file_lag(sl_source *src, void (*emit)(void *ctx, const char *item, uint64_t bytes),
                     void *ctx)
{
    file_state *st = src->state;
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++) {
        tail_file *f = st->files[i];
        struct stat sb;
        if (f->state != TF_OPEN || f->is_gzip || f->fd < 0 || fstat(f->fd, &sb) != 0)
            continue;
        uint64_t pos = wm_position(st, f);
        emit(ctx, f->path, (uint64_t)sb.st_size > pos ? (uint64_t)sb.st_size - pos : 0);
    }
}

static const sl_source_ops file_ops = {
    .lag = file_lag,
    .start = file_start,
    .resume = file_resume,
    .stop = file_stop,
    .destroy = file_destroy,
    .chunk_done = file_chunk_done,
};

const sl_plugin sl_source_file = {
    .name = "file",
    .kind = SL_PLUGIN_SOURCE,
    .summary = "Tails files matching glob patterns through rotation, truncation and "
               "restarts; checkpoints only what was delivered.",
    .options = file_options,
    .config_size = sizeof(file_cfg),
    .check = file_check,
    .source = &file_ops,
};
