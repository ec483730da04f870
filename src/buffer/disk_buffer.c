/* disk_buffer.c: a destination's disk buffer: durable appends from the
 * workers, the replay pump, the flusher (see the header). */
#include "buffer/disk_buffer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer/disk_log.h"
#include "buffer/event_record.h"
#include "dest.h"
#include "log.h"
#include "runtime.h"
#include "util/ack_watermark.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#define DB "buffer"
#define READ_BLOCK ((size_t)256 << 10)      /* bytes read per replay step */
#define RETRY_NS 1000000000LL               /* full or failing disk: retry every 1 s */
#define SAVE_NS 1000000000LL                /* save the released position every 1 s */

typedef struct replay_node {
    struct replay_node *prev, *next;
    sl_chunk *c;
} replay_node;

typedef struct {
    sl_chunk *c;
    unsigned n;
} pending_ref;

struct sl_disk_buffer {
    sl_dest *d;
    char *dir;
    sl_disk_log *log;
    pthread_mutex_t mu;
    pthread_cond_t data_cond;   /* the pump: records appended, or closing */
    pthread_cond_t space_cond;  /* waiting writers: space freed, or stop */
    pthread_cond_t flush_cond;  /* the flusher: stop */
    pending_ref *pend;          /* fsync: interval: released at the next sync */
    size_t n_pend, cap_pend;
    sl_ack_watermark wm;        /* replayed ranges, acked in any order */
    replay_node *live;          /* replay chunks not yet acked */
    uint64_t read_pos;          /* the pump's position in the log */
    bool closing, drain, flusher_stop, blocked;
    atomic_bool stop;           /* the pump stops now (SIGTERM) */
    pthread_t pump, flusher;
    bool pump_started, pump_joined, flusher_started;
    /* the pump's own */
    int rfd;
    uint64_t rbase;
    sl_buf rbuf;
    /* counters (under mu) */
    uint64_t records_written, records_replayed, corrupt_records, skipped_bytes, write_errors;
    int last_errno;
    sl_ratelimit err_rl, corrupt_rl, drop_rl;
};

/* ---- releasing source references ---------------------------------------- */


static void add_pending(sl_disk_buffer *b, sl_event *const *evs, size_t n)
{
    size_t i = 0;
    while (i < n) {
        sl_chunk *c = evs[i]->chunk;
        unsigned run = 0;
        while (i < n && evs[i]->chunk == c) {
            run++;
            i++;
        }
        if (b->n_pend && b->pend[b->n_pend - 1].c == c) {
            b->pend[b->n_pend - 1].n += run;
            continue;
        }
        if (b->n_pend == b->cap_pend) {
            b->cap_pend = b->cap_pend ? b->cap_pend * 2 : 64;
            b->pend = sl_realloc(b->pend, b->cap_pend * sizeof *b->pend);
        }
        b->pend[b->n_pend++] = (pending_ref){c, run};
    }
}

/* Each writing thread's encoding buffer, freed when the thread ends. */
static pthread_key_t wbuf_key;
static pthread_once_t wbuf_once = PTHREAD_ONCE_INIT;

static void free_thread_buffer(void *p)
{
    sl_buf_free(p);
    free(p);
}

static void make_key(void) { pthread_key_create(&wbuf_key, free_thread_buffer); }

static sl_buf *thread_buffer(void)
{
    pthread_once(&wbuf_once, make_key);
    sl_buf *w = pthread_getspecific(wbuf_key);
    if (!w) {
        w = sl_calloc(1, sizeof *w);
        pthread_setspecific(wbuf_key, w);
    }
    return w;
}

/* ---- opening -------------------------------------------------------------- */

sl_disk_buffer *sl_disk_buffer_open(sl_dest *d)
{
    const sl_dest_common *cm = d->common;
    sl_buf dir = {0};
    if (cm->buffer_path && *cm->buffer_path) {
        sl_buf_puts(&dir, cm->buffer_path);
    } else {
        sl_buf_printf(&dir, "%s/buffers/", d->rt->cfg->service.state_dir);
        sl_buf_put_safe_name(&dir, d->name);
    }
    sl_buf_putc(&dir, 0);
    /* Segments are deleted whole: keep them small next to max_size so a
     * full buffer frees space as it drains. */
    uint64_t seg = cm->buffer_segment_size;
    if (seg > cm->buffer_max_size / 4)
        seg = cm->buffer_max_size / 4;
    if (seg < 4096)
        seg = 4096;
    char *err, *note;
    sl_disk_log *log = sl_dlog_open(dir.p, seg, &err, &note);
    if (!log) {
        sl_error(DB, "destination \"%s\": disk buffer: %s (set service.state_dir or buffer.path "
                     "to a writable directory)", d->name, err);
        free(err);
        sl_buf_free(&dir);
        return NULL;
    }
    if (note) {
        sl_warn(DB, "destination \"%s\": disk buffer: %s", d->name, note);
        free(note);
    }
    sl_disk_buffer *b = sl_calloc(1, sizeof *b);
    b->d = d;
    b->dir = dir.p;
    b->log = log;
    pthread_mutex_init(&b->mu, NULL);
    sl_cond_init(&b->data_cond);
    sl_cond_init(&b->space_cond);
    sl_cond_init(&b->flush_cond);
    b->rfd = -1;
    b->read_pos = sl_dlog_released(log);
    sl_wm_init(&b->wm, b->read_pos);
    uint64_t backlog = sl_dlog_end(log) - b->read_pos;
    if (backlog)
        sl_info(DB, "destination \"%s\": %llu bytes of undelivered events in the disk buffer %s "
                    "from an earlier run; delivering them first", d->name,
                (unsigned long long)backlog, b->dir);
    return b;
}

/* ---- appending (workers) -------------------------------------------------- */

void sl_disk_buffer_push(sl_disk_buffer *b, sl_event *const *evs, size_t n)
{
    sl_dest *d = b->d;
    const sl_dest_common *cm = d->common;
    /* Encode outside the lock, into this thread's own buffer: it must stay
     * ours while we wait for space with the lock released. */
    sl_buf *w = thread_buffer();
    sl_buf_reset(w);
    for (size_t i = 0; i < n; i++)
        sl_record_append(w, evs[i]);
    pthread_mutex_lock(&b->mu);
    bool waited = false;
    unsigned sup;
    for (;;) {
        if (atomic_load(&d->rt->aborting)) {
            /* shutdown timed out: the process is leaving, unacknowledged */
            pthread_mutex_unlock(&b->mu);
            return;
        }
        uint64_t used = sl_dlog_disk_bytes(b->log);
        if (used > 0 && used + w->len > cm->buffer_max_size) {
            if (cm->buffer_when_full == SL_WHEN_FULL_DROP_NEWEST) {
                pthread_mutex_unlock(&b->mu);
                atomic_fetch_add_explicit(&d->events_dropped, n, memory_order_relaxed);
                if (sl_ratelimit_allow(&b->drop_rl, 5, &sup))
                    sl_warn(DB, "destination \"%s\": disk buffer full (buffer.max_size); "
                                "dropping the newest events (when_full: drop_newest)%s",
                            d->name, sup ? " (similar messages were suppressed)" : "");
                sl_events_release(evs, n, 0);
                return;
            }
            if (!b->blocked && sl_ratelimit_allow(&b->err_rl, 5, &sup))
                sl_warn(DB, "destination \"%s\": disk buffer full (buffer.max_size); holding "
                            "the sources back until events are delivered%s",
                        d->name, sup ? " (similar messages were suppressed)" : "");
        } else if (sl_dlog_append(b->log, w->p, w->len,
                                  cm->buffer_fsync != SL_FSYNC_NEVER) == 0) {
            break;
        } else {
            int e = errno;
            b->write_errors++;
            b->last_errno = e;
            if ((!b->blocked || e != b->last_errno) && sl_ratelimit_allow(&b->err_rl, 5, &sup))
                sl_error(DB, "destination \"%s\": cannot write to the disk buffer %s: %s; "
                             "holding the sources back and retrying every second%s",
                         d->name, b->dir, strerror(e),
                         sup ? " (similar messages were suppressed)" : "");
        }
        b->blocked = waited = true;
        struct timespec until = sl_deadline_in(RETRY_NS);
        pthread_cond_timedwait(&b->space_cond, &b->mu, &until);
    }
    if (waited && b->blocked) {
        b->blocked = false;
        sl_info(DB, "destination \"%s\": the disk buffer accepts events again", d->name);
    }
    b->records_written += n;
    pthread_cond_signal(&b->data_cond);
    if (cm->buffer_fsync == SL_FSYNC_INTERVAL) {
        add_pending(b, evs, n);
        pthread_mutex_unlock(&b->mu);
        return;
    }
    if (cm->buffer_fsync == SL_FSYNC_ALWAYS && sl_dlog_sync(b->log) != 0 &&
        sl_ratelimit_allow(&b->err_rl, 5, &sup))
        sl_error(DB, "destination \"%s\": fdatasync of the disk buffer failed: %s", d->name,
                 strerror(errno));
    pthread_mutex_unlock(&b->mu);
    sl_events_release(evs, n, 0);
}

/* ---- the flusher ---------------------------------------------------------- */

/* Make pending appends durable and release them; save the released
 * position if it moved. Called with mu held; returns with it held. */
static void flush_and_save(sl_disk_buffer *b, bool save)
{
    pending_ref *pend = b->pend;
    size_t n_pend = b->n_pend;
    b->pend = NULL;
    b->n_pend = b->cap_pend = 0;
    int fd = n_pend ? sl_dlog_dup_active(b->log) : -1;
    pthread_mutex_unlock(&b->mu);
    unsigned sup;
    if (fd >= 0) {
        if (fdatasync(fd) != 0 && sl_ratelimit_allow(&b->err_rl, 5, &sup))
            sl_error(DB, "destination \"%s\": fdatasync of the disk buffer failed: %s",
                     b->d->name, strerror(errno));
        close(fd);
    }
    for (size_t i = 0; i < n_pend; i++)
        sl_chunk_release(pend[i].c, pend[i].n);
    free(pend);
    pthread_mutex_lock(&b->mu);
    if (!save)
        return;
    uint64_t pos = sl_wm_position(&b->wm);
    if (pos == sl_dlog_released(b->log))
        return;
    uint64_t before = sl_dlog_disk_bytes(b->log);
    if (sl_dlog_release(b->log, pos) != 0) {
        if (sl_ratelimit_allow(&b->err_rl, 5, &sup))
            sl_error(DB, "destination \"%s\": cannot save the disk buffer's position in %s: %s",
                     b->d->name, b->dir, strerror(errno));
        return;
    }
    if (sl_dlog_disk_bytes(b->log) < before)
        pthread_cond_broadcast(&b->space_cond);
}

static void *flusher_main(void *arg)
{
    sl_disk_buffer *b = arg;
    const sl_dest_common *cm = b->d->common;
    int64_t tick = SAVE_NS;
    if (cm->buffer_fsync == SL_FSYNC_INTERVAL && cm->buffer_fsync_interval_ns < tick)
        tick = cm->buffer_fsync_interval_ns > 1000000 ? cm->buffer_fsync_interval_ns : 1000000;
    int64_t last_save = sl_mono_ns();
    pthread_mutex_lock(&b->mu);
    while (!b->flusher_stop) {
        struct timespec until = sl_deadline_in(tick);
        while (!b->flusher_stop &&
               pthread_cond_timedwait(&b->flush_cond, &b->mu, &until) != ETIMEDOUT)
            ;
        bool save = sl_mono_ns() - last_save >= SAVE_NS;
        if (save)
            last_save = sl_mono_ns();
        flush_and_save(b, save);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* ---- replay (the pump) ------------------------------------------------------ */

static void replay_done(sl_chunk *c, unsigned status, void *ctx)
{
    (void)status;               /* failures are counted by the destination */
    sl_disk_buffer *b = ctx;
    replay_node *node = c->source_ctx;
    pthread_mutex_lock(&b->mu);
    sl_wm_ack(&b->wm, c->begin);
    if (node->prev)
        node->prev->next = node->next;
    else
        b->live = node->next;
    if (node->next)
        node->next->prev = node->prev;
    pthread_mutex_unlock(&b->mu);
}

/* A range of the log with nothing to deliver (skipped bytes). */
static void skip_range(sl_disk_buffer *b, uint64_t begin, uint64_t end, const char *why)
{
    if (end <= begin)
        return;
    pthread_mutex_lock(&b->mu);
    sl_wm_push(&b->wm, begin, end);
    sl_wm_ack(&b->wm, begin);
    b->corrupt_records++;
    b->skipped_bytes += end - begin;
    pthread_mutex_unlock(&b->mu);
    unsigned sup;
    if (sl_ratelimit_allow(&b->corrupt_rl, 10, &sup))
        sl_warn(DB, "destination \"%s\": disk buffer %s: %s at log position %llu: %llu bytes "
                    "skipped; the records around them are delivered%s",
                b->d->name, b->dir, why, (unsigned long long)begin,
                (unsigned long long)(end - begin), sup ? " (similar messages were suppressed)" : "");
}

static sl_source *source_named(sl_runtime *rt, const sl_rec_str *s)
{
    if (!s->set)
        return NULL;
    for (size_t i = 0; i < rt->n_sources; i++)
        if (strlen(rt->sources[i].name) == s->n && memcmp(rt->sources[i].name, s->p, s->n) == 0)
            return &rt->sources[i];
    return NULL;
}

static const char *arena_str(sl_chunk *c, const sl_rec_str *s)
{
    return s->set ? sl_arena_strndup(&c->arena, s->p, s->n) : NULL;
}

/* Deliver the records in p[0..n) (whole, intact records that share their
 * chunk-level fields), which cover log range [begin, end). */
static void replay_run(sl_disk_buffer *b, const uint8_t *p, size_t n, uint64_t begin,
                       uint64_t end)
{
    sl_dest *d = b->d;
    sl_chunk *c = sl_chunk_new(NULL, n, replay_done, b);
    memcpy(c->data, p, n);
    c->data_len = n;
    c->begin = begin;
    c->end = end;
    const uint8_t *q = (const uint8_t *)c->data;
    size_t off = 0, bad = 0;
    sl_record_meta meta = {0};
    bool have_meta = false;
    while (off < n) {
        const uint8_t *pl;
        uint32_t plen;
        size_t rlen;
        if (sl_record_parse(q + off, n - off, &pl, &plen, &rlen) != SL_REC_OK)
            break;              /* cannot happen: the caller checked them */
        if (!have_meta)
            have_meta = sl_record_meta_decode(pl, plen, &meta);
        if (!sl_record_decode_event(c, pl, plen))
            bad++;
        off += rlen;
    }
    if (have_meta) {
        c->source = source_named(d->rt, &meta.source);
        c->origin_key = arena_str(c, &meta.origin_key);
        c->origin = arena_str(c, &meta.origin);
        c->host = arena_str(c, &meta.host);
        if (!c->source && meta.source.set) {
            /* the source is gone from the config: keep its name */
            const char *name = arena_str(c, &meta.source);
            for (uint32_t i = 0; i < c->n_events; i++)
                sl_event_set_string(c->events[i], "source", name, meta.source.n);
        }
    }
    replay_node *node = sl_arena_alloc(&c->arena, sizeof *node);
    node->c = c;
    node->prev = NULL;
    c->source_ctx = node;
    uint32_t nev = c->n_events;
    pthread_mutex_lock(&b->mu);
    if (bad) {
        b->corrupt_records += bad;
        unsigned sup;
        if (sl_ratelimit_allow(&b->corrupt_rl, 10, &sup))
            sl_warn(DB, "destination \"%s\": disk buffer %s: %zu records with a valid checksum "
                        "but a malformed event near log position %llu were skipped%s",
                    d->name, b->dir, bad, (unsigned long long)begin,
                    sup ? " (similar messages were suppressed)" : "");
    }
    sl_wm_push(&b->wm, begin, end);
    node->next = b->live;
    if (b->live)
        b->live->prev = node;
    b->live = node;
    b->records_replayed += nev;
    pthread_mutex_unlock(&b->mu);
    if (nev)
        sl_ack_ref(&c->ack, nev);
    sl_dest_ring_push(d, c->events, nev, &b->stop);
    sl_chunk_release(c, 1);     /* the pump's hold */
}

/* Read what follows b->read_pos in the segment that holds it and deliver
 * it. Returns false when there is nothing to read now. */
static bool replay_step(sl_disk_buffer *b)
{
    uint64_t base, limit, gap, pos;
    bool sealed;
    pthread_mutex_lock(&b->mu);
    pos = b->read_pos;
    bool have = sl_dlog_locate(b->log, &pos, &base, &limit, &sealed, &gap);
    pthread_mutex_unlock(&b->mu);
    if (!have)
        return false;
    if (gap)
        skip_range(b, b->read_pos, pos, "a segment file is missing");
    b->read_pos = pos;
    if (b->rfd < 0 || b->rbase != base) {
        if (b->rfd >= 0)
            close(b->rfd);
        char *path = sl_dlog_segment_path(b->log, base);
        b->rfd = open(path, O_RDONLY | O_CLOEXEC);
        b->rbase = base;
        if (b->rfd < 0) {
            sl_error(DB, "destination \"%s\": cannot open %s: %s; skipping it", b->d->name,
                     path, strerror(errno));
            free(path);
            skip_range(b, pos, limit, "an unreadable segment");
            b->read_pos = limit;
            return true;
        }
        free(path);
    }
    size_t cap = b->rbuf.cap > READ_BLOCK ? b->rbuf.cap : READ_BLOCK;
    size_t want = limit - pos < cap ? (size_t)(limit - pos) : cap;
    if (b->rbuf.cap < want)
        sl_buf_reserve(&b->rbuf, want);     /* rbuf.len stays 0 */
    ssize_t got = pread(b->rfd, b->rbuf.p, want, (off_t)(pos - base));
    if (got <= 0) {
        sl_error(DB, "destination \"%s\": cannot read segment %s/%016llx.seg: %s; skipping "
                     "the rest of it", b->d->name, b->dir, (unsigned long long)base,
                 got < 0 ? strerror(errno) : "it is shorter than expected");
        skip_range(b, pos, limit, "an unreadable segment");
        b->read_pos = limit;
        return true;
    }
    const uint8_t *p = (const uint8_t *)b->rbuf.p;
    size_t n = (size_t)got, off = 0;
    bool at_end = pos + n >= limit;   /* nothing more in this segment now */
    size_t run_start = 0;
    sl_record_meta run_meta = {0};
    bool in_run = false;
#define FLUSH_RUN()                                                                   \
    do {                                                                              \
        if (in_run)                                                                   \
            replay_run(b, p + run_start, off - run_start, pos + run_start, pos + off); \
        in_run = false;                                                               \
    } while (0)
    while (off < n && !atomic_load(&b->stop)) {
        const uint8_t *pl;
        uint32_t plen;
        size_t rlen;
        sl_rec_status st = sl_record_parse(p + off, n - off, &pl, &plen, &rlen);
        if (st == SL_REC_OK) {
            sl_record_meta m;
            if (!sl_record_meta_decode(pl, plen, &m)) {
                FLUSH_RUN();
                skip_range(b, pos + off, pos + off + rlen, "a malformed record");
                off += rlen;
                run_start = off;
                continue;
            }
            if (!sl_record_meta_equal(&m, &run_meta))
                FLUSH_RUN();    /* (only if a run is open) */
            if (!in_run) {
                in_run = true;
                run_start = off;
                run_meta = m;
            }
            off += rlen;
            continue;
        }
        if (st == SL_REC_SHORT) {
            if (!at_end) {
                if (off == 0 && rlen > b->rbuf.cap)
                    sl_buf_reserve(&b->rbuf, rlen);     /* a big record */
                break;          /* read on from here */
            }
            if (!sealed)
                break;          /* cannot happen: appends are whole; look again later */
            FLUSH_RUN();
            skip_range(b, pos + off, pos + n, "a torn record at the end of a segment (a crash "
                                              "while writing)");
            off = n;
            break;
        }
        /* BAD: find the next intact record. */
        FLUSH_RUN();
        size_t j = off + 1;
        bool resync = false;
        while (j < n) {
            const uint8_t *m = memchr(p + j, 'S', n - j);
            if (!m)
                break;
            j = (size_t)(m - p);
            size_t rl2;
            sl_rec_status s2 = sl_record_parse(p + j, n - j, &pl, &plen, &rl2);
            if (s2 == SL_REC_OK || (s2 == SL_REC_SHORT && !at_end)) {
                resync = true;
                break;
            }
            j++;
        }
        if (!resync && !at_end)
            j = n > off + 3 ? n - 3 : n;   /* a header may straddle the block */
        if (!resync && at_end)
            j = n;
        skip_range(b, pos + off, pos + j, "a corrupt record (checksum mismatch)");
        off = j;
    }
    FLUSH_RUN();
#undef FLUSH_RUN
    b->read_pos = pos + off;
    if (off == 0 && !at_end)
        return true;            /* the buffer grew for a big record: read again */
    return off > 0;
}

static void *pump_main(void *arg)
{
    sl_disk_buffer *b = arg;
    for (;;) {
        if (atomic_load(&b->stop))
            break;
        if (replay_step(b))
            continue;
        pthread_mutex_lock(&b->mu);
        uint64_t end = sl_dlog_end(b->log);
        if (b->read_pos >= end && b->closing) {
            pthread_mutex_unlock(&b->mu);
            break;              /* everything was handed to the senders */
        }
        if (b->read_pos >= end && !atomic_load(&b->stop))
            pthread_cond_wait(&b->data_cond, &b->mu);
        else if (!atomic_load(&b->stop)) {
            /* data we could not use yet (an unfinished record): look again soon */
            struct timespec until = sl_deadline_in(100000000);
            pthread_cond_timedwait(&b->data_cond, &b->mu, &until);
        }
        pthread_mutex_unlock(&b->mu);
    }
    sl_dest_ring_close(b->d);
    return NULL;
}

/* ---- life ------------------------------------------------------------------- */

int sl_disk_buffer_start(sl_disk_buffer *b)
{
    if (pthread_create(&b->flusher, NULL, flusher_main, b) != 0)
        return -1;
    b->flusher_started = true;
    if (pthread_create(&b->pump, NULL, pump_main, b) != 0)
        return -1;
    b->pump_started = true;
    return 0;
}

void sl_disk_buffer_close_input(sl_disk_buffer *b, bool drain)
{
    pthread_mutex_lock(&b->mu);
    b->closing = true;
    b->drain = drain;
    if (!drain)
        atomic_store(&b->stop, true);
    pthread_cond_broadcast(&b->data_cond);
    pthread_cond_broadcast(&b->space_cond);
    pthread_mutex_unlock(&b->mu);
    if (!drain)
        sl_dest_abandon(b->d);  /* the senders stop too: the rest stays on disk */
    if (!b->pump_started)
        sl_dest_ring_close(b->d);
}

void sl_disk_buffer_join_pump(sl_disk_buffer *b)
{
    if (b->pump_started && !b->pump_joined)
        pthread_join(b->pump, NULL);
    b->pump_joined = true;
}

void sl_disk_buffer_finish(sl_disk_buffer *b)
{
    pthread_mutex_lock(&b->mu);
    b->flusher_stop = true;
    pthread_cond_broadcast(&b->flush_cond);
    pthread_mutex_unlock(&b->mu);
    if (b->flusher_started)
        pthread_join(b->flusher, NULL);
    b->flusher_started = false;
    pthread_mutex_lock(&b->mu);
    flush_and_save(b, true);
    uint64_t left = sl_dlog_end(b->log) - sl_dlog_released(b->log);
    pthread_mutex_unlock(&b->mu);
    if (left)
        sl_info(DB, "destination \"%s\": %llu bytes of events stay in the disk buffer %s for "
                    "the next run", b->d->name, (unsigned long long)left, b->dir);
}

void sl_disk_buffer_free(sl_disk_buffer *b)
{
    if (!b)
        return;
    /* Replay chunks the senders abandoned (SIGTERM): their records are
     * still on disk, unreleased. */
    while (b->live) {
        replay_node *node = b->live;
        b->live = node->next;
        sl_chunk_discard(node->c);
    }
    for (size_t i = 0; i < b->n_pend; i++)
        sl_chunk_release(b->pend[i].c, b->pend[i].n);
    free(b->pend);
    if (b->rfd >= 0)
        close(b->rfd);
    sl_wm_free(&b->wm);
    sl_buf_free(&b->rbuf);
    sl_dlog_close(b->log);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->data_cond);
    pthread_cond_destroy(&b->space_cond);
    pthread_cond_destroy(&b->flush_cond);
    free(b->dir);
    free(b);
}

void sl_disk_buffer_get_stats(sl_disk_buffer *b, sl_disk_buffer_stats *s)
{
    pthread_mutex_lock(&b->mu);
    s->disk_bytes = sl_dlog_disk_bytes(b->log);
    s->unreleased_bytes = sl_dlog_end(b->log) - sl_wm_position(&b->wm);
    s->records_written = b->records_written;
    s->records_replayed = b->records_replayed;
    s->corrupt_records = b->corrupt_records;
    s->skipped_bytes = b->skipped_bytes;
    s->write_errors = b->write_errors;
    s->blocked = b->blocked;
    pthread_mutex_unlock(&b->mu);
}
