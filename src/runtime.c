/* runtime.c: building the running pipeline from the config, starting its
 * threads, admission control for sources (queue bounds and the memory
 * limit), and the orderly stop. */
#include "runtime.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "dest.h"
#include "listen_fds.h"
#include "log.h"
#include "privileges.h"
#include "sd_notify.h"
#include "util/clock.h"
#include "util/malloc_tuning.h"
#include "util/units.h"
#include "util/xalloc.h"

#define RT "runtime"

/* ---- admission and wake-ups ------------------------------------------- */

static void chunk_done(sl_chunk *c, unsigned status, void *ctx)
{
    sl_source *src = ctx;
    sl_runtime *rt = src->rt;
    if (src->plugin->source->chunk_done)
        src->plugin->source->chunk_done(src, c, status);
    if (status & SL_ACK_FAILED) {
        atomic_fetch_add(&rt->failed_chunks, 1);
        atomic_fetch_add(&src->chunks_failed, 1);
    }
    uint64_t live = atomic_fetch_sub(&rt->live_bytes, c->acct) - c->acct;
    uint64_t chunks_left = atomic_fetch_sub(&rt->live_chunks, 1) - 1;
    if (live <= rt->cfg->service.memory_limit / 2 &&
        atomic_exchange(&rt->sources_waiting_memory, false))
        event_active(rt->wake_ev, 0, 0);
    if (chunks_left == 0)
        event_active(rt->check_ev, 0, 0);
}

sl_chunk *sl_source_new_chunk(sl_source *src, size_t data_cap)
{
    return sl_chunk_new(src, data_cap, chunk_done, src);
}

bool sl_source_may_read(sl_source *src)
{
    sl_runtime *rt = src->rt;
    uint64_t limit = rt->cfg->service.memory_limit;
    if (atomic_load(&rt->live_bytes) < limit || atomic_load(&rt->live_chunks) == 0)
        return true;
    atomic_store(&rt->sources_waiting_memory, true);
    /* Re-check after announcing: a chunk finishing in between sees the flag. */
    if (atomic_load(&rt->live_bytes) < limit)
        return true;
    src->paused = true;
    sl_debug(RT, "source \"%s\" paused: events in memory are at service.memory_limit", src->name);
    return false;
}

bool sl_source_submit(sl_source *src, sl_chunk *c)
{
    sl_runtime *rt = src->rt;
    c->acct = sizeof *c + c->data_cap + c->cap_events * sizeof(sl_event *) +
              c->arena.allocated + 16384;
    atomic_fetch_add(&rt->live_bytes, c->acct);
    atomic_fetch_add(&rt->live_chunks, 1);
    atomic_fetch_add_explicit(&src->events_in, c->n_events, memory_order_relaxed);
    atomic_fetch_add_explicit(&src->bytes_in, c->bytes, memory_order_relaxed);
    if (sl_queue_try_push(&rt->queue, c))
        return true;
    src->pending = c;
    src->paused = true;
    sl_debug(RT, "source \"%s\" paused: the queue is full", src->name);
    return false;
}

void sl_source_finished(sl_source *src)
{
    src->finished = true;
    event_active(src->rt->check_ev, 0, 0);
}

struct event_base *sl_source_base(sl_source *src) { return src->rt->base; }
bool sl_source_once(const sl_source *src) { return src->rt->once; }

static void queue_has_space(void *ctx)
{
    sl_runtime *rt = ctx;
    event_active(rt->wake_ev, 0, 0);
}

/* I/O thread: push what was refused, then let paused sources read again. */
static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sl_runtime *rt = arg;
    for (size_t i = 0; i < rt->n_sources; i++) {
        sl_source *s = &rt->sources[i];
        if (!s->paused)
            continue;
        if (s->pending) {
            if (!sl_queue_try_push(&rt->queue, s->pending))
                continue;           /* still full: the queue calls again */
            s->pending = NULL;
        }
        s->paused = false;
        if (!s->stopped && !s->finished && s->plugin->source->resume)
            s->plugin->source->resume(s);
    }
    event_active(rt->check_ev, 0, 0);
}

/* Let the threads go: close the queue, join the workers, then close and
 * join the destinations: first those that may send dead letters, then the
 * dead-letter destinations. drain: disk buffers deliver what they hold
 * first (--once); else they keep it for the next run. */
static void stop_threads(sl_runtime *rt, bool drain)
{
    sl_queue_close(&rt->queue);
    for (size_t i = 0; i < rt->workers_started; i++)
        pthread_join(rt->workers[i], NULL);
    rt->workers_started = 0;
    for (int dl = 0; dl < 2; dl++) {
        for (size_t i = 0; i < rt->n_dests; i++)
            if (sl_dest_is_dead_letter(&rt->dests[i]) == (dl == 1))
                sl_dest_close_input(&rt->dests[i], drain);
        for (size_t i = 0; i < rt->n_dests; i++)
            if (sl_dest_is_dead_letter(&rt->dests[i]) == (dl == 1))
                sl_dest_join(&rt->dests[i]);
    }
}

static void *closer_main(void *arg)
{
    sl_runtime *rt = arg;
    stop_threads(rt, rt->closer_drain);
    atomic_store(&rt->closer_done, true);
    event_active(rt->check_ev, 0, 0);
    return NULL;
}

/* Free memory is kept while events flow (util/malloc_tuning.c); once no
 * chunk has been in flight for IDLE_RELEASE_S it goes back to the system. */
#define IDLE_RELEASE_S 1

static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sl_runtime *rt = arg;
    if (atomic_load(&rt->live_chunks) == 0)
        sl_malloc_release();
}

/* I/O thread: stop the loop once nothing is left to do. */
static void check_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sl_runtime *rt = arg;
    if (atomic_load(&rt->live_chunks) == 0 && !evtimer_pending(rt->idle_ev, NULL)) {
        struct timeval tv = {IDLE_RELEASE_S, 0};
        evtimer_add(rt->idle_ev, &tv);
    }
    bool all_done = true;
    for (size_t i = 0; i < rt->n_sources; i++) {
        sl_source *s = &rt->sources[i];
        if (s->pending || !(s->finished || s->stopped))
            all_done = false;
    }
    if (!all_done || atomic_load(&rt->live_chunks) != 0)
        return;
    if (!rt->closer_started) {
        if (!rt->draining)
            sl_info(RT, "every source has finished and every event is accounted for");
        /* Workers and destinations stop on their own thread, so that the
         * loop keeps answering signals (and the shutdown timer) while disk
         * buffers deliver what they hold. */
        rt->closer_started = true;
        rt->closer_drain = rt->once && !rt->draining;
        if (pthread_create(&rt->closer, NULL, closer_main, rt) == 0)
            return;
        rt->closer_started = false;
        sl_error(RT, "cannot start the closing thread: %s; stopping on the I/O thread",
                 strerror(errno));
    }
    if (rt->closer_started && !atomic_load(&rt->closer_done))
        return;
    event_base_loopbreak(rt->base);
}

static void stop_sources(sl_runtime *rt)
{
    for (size_t i = 0; i < rt->n_sources; i++) {
        sl_source *s = &rt->sources[i];
        if (s->started && !s->stopped) {
            if (s->plugin->source->stop)
                s->plugin->source->stop(s);
            s->stopped = true;
        }
    }
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sl_runtime *rt = arg;
    if (rt->reloading) {
        sl_warn(RT, "reload: shutdown_timeout reached with %llu chunks of events still in "
                    "flight; starting the new configuration without them (file sources "
                    "read them again)", (unsigned long long)atomic_load(&rt->live_chunks));
        atomic_store(&rt->aborting, true);
        sl_exec_again(rt->argv);    /* only returns if exec failed */
        _exit(SL_EXIT_STARTUP);
    }
    sl_warn(RT, "shutdown_timeout reached with %llu chunks of events still in flight; "
                "exiting without them (file sources will read them again on restart)",
            (unsigned long long)atomic_load(&rt->live_chunks));
    atomic_store(&rt->aborting, true);
    /* Threads may be blocked on a destination that cannot commit: leave
     * without acknowledging anything more. */
    _exit(SL_EXIT_OK);
}

/* ---- operations: systemd notify (src/sd_notify.c) ------------------------ */

#define STATUS_INTERVAL_S 2

/* One line for `systemctl status`: rates since the last one, and what is
 * held in memory. */
static void send_status(sl_runtime *rt)
{
    uint64_t in = 0, out = 0, buffered = 0;
    for (size_t i = 0; i < rt->n_sources; i++)
        in += atomic_load_explicit(&rt->sources[i].events_in, memory_order_relaxed);
    for (size_t i = 0; i < rt->n_dests; i++) {
        sl_dest *d = &rt->dests[i];
        out += atomic_load_explicit(&d->events_out, memory_order_relaxed);
        pthread_mutex_lock(&d->mu);
        buffered += d->ring_count;
        pthread_mutex_unlock(&d->mu);
    }
    size_t qev, qby;
    sl_queue_stats(&rt->queue, &qev, &qby);
    int64_t now = sl_mono_ns();
    double secs = rt->status_ns ? (double)(now - rt->status_ns) / 1e9 : 0;
    double rin = secs > 0 ? (double)(in - rt->status_in) / secs : 0;
    double rout = secs > 0 ? (double)(out - rt->status_out) / secs : 0;
    rt->status_in = in;
    rt->status_out = out;
    rt->status_ns = now;
    char mem[32];
    sl_format_size(atomic_load(&rt->live_bytes), mem, sizeof mem);
    sl_notifyf("STATUS=%s%.0f events/s in, %.0f events/s out; %llu events queued, "
               "%llu in destination buffers, %s in memory",
               rt->draining ? "draining: " : "", rin, rout, (unsigned long long)qev,
               (unsigned long long)buffered, mem);
}

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    send_status(arg);
}

/* The watchdog is fed from a timer on the I/O thread, so a wedged event
 * loop (sources, signals, admin endpoint) stops feeding it and systemd
 * restarts sluice. */
/* The I/O loop is alive (this runs on it); the workers are alive unless
 * one has been running handlers on a single chunk for a whole watchdog
 * period (a stuck handler): then systemd is not fed, and restarts us. */
static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sl_runtime *rt = arg;
    int64_t now = sl_mono_ns(), limit = (int64_t)sl_notify_watchdog_usec() * 1000;
    for (size_t i = 0; i < rt->n_workers; i++) {
        int64_t since = atomic_load_explicit(&rt->worker_busy_since[i], memory_order_relaxed);
        if (since && now - since > limit) {
            static sl_ratelimit rl;
            unsigned sup;
            if (sl_ratelimit_allow(&rl, 3, &sup))
                sl_error(RT, "a worker has been running handlers on one chunk for %.1fs (a "
                             "stuck handler?); not feeding the systemd watchdog%s",
                         (double)(now - since) / 1e9,
                         sup ? " (similar messages were suppressed)" : "");
            return;
        }
    }
    sl_notify("WATCHDOG=1");
}

static void ops_start(sl_runtime *rt)
{
    rt->started_ns = sl_mono_ns();
    if (!sl_notify_init())
        return;
    rt->status_ns = rt->started_ns;
    sl_notify("READY=1");
    send_status(rt);
    struct timeval tv = {STATUS_INTERVAL_S, 0};
    rt->status_ev = event_new(rt->base, -1, EV_PERSIST, status_cb, rt);
    event_add(rt->status_ev, &tv);
    uint64_t wd = sl_notify_watchdog_usec();
    if (wd) {
        uint64_t half = wd / 2 ? wd / 2 : 1;
        struct timeval wtv = {(time_t)(half / 1000000), (suseconds_t)(half % 1000000)};
        rt->watchdog_ev = event_new(rt->base, -1, EV_PERSIST, watchdog_cb, rt);
        event_add(rt->watchdog_ev, &wtv);
        sl_notify("WATCHDOG=1");
        sl_debug(RT, "feeding the systemd watchdog every %llu ms",
                 (unsigned long long)(half / 1000));
    }
}

static void ops_stopping(sl_runtime *rt)
{
    if (rt->stopping_sent || rt->reloading)
        return;
    rt->stopping_sent = true;
    sl_notify("STOPPING=1");
    send_status(rt);
}

static void begin_drain(sl_runtime *rt, const char *why)
{
    if (rt->draining) {
        sl_warn(RT, "%s again: stopping now without waiting for in-flight events", why);
        timeout_cb(-1, 0, rt);
        return;
    }
    rt->draining = true;
    /* Disk buffers keep what they hold for the next run; if --once was
     * delivering it (the closing thread), that stops now. */
    for (size_t i = 0; i < rt->n_dests; i++)
        if (rt->dests[i].disk && rt->closer_started)
            sl_dest_close_input(&rt->dests[i], false);
    char d[32];
    sl_format_duration(rt->cfg->service.shutdown_timeout_ns, d, sizeof d);
    sl_info(RT, "%s: stopping sources and draining in-flight events (up to %s)", why, d);
    ops_stopping(rt);
    stop_sources(rt);
    int64_t ns = rt->cfg->service.shutdown_timeout_ns;
    struct timeval tv = {(time_t)(ns / 1000000000), (suseconds_t)(ns % 1000000000 / 1000)};
    rt->timeout_ev = evtimer_new(rt->base, timeout_cb, rt);
    evtimer_add(rt->timeout_ev, &tv);
    event_active(rt->check_ev, 0, 0);
}

/* ---- reload (SIGHUP) ------------------------------------------------------
 * A valid new configuration replaces the running one by draining this one
 * (sources stop, every event in flight is delivered, checkpoints and disk
 * buffer positions are saved, exactly as for SIGTERM) and executing sluice
 * again in the same process (the same PID for systemd), handing the
 * listening sockets over (listen_fds.h) so no port is unbound. File
 * sources resume from their checkpoints, so nothing is read twice or
 * skipped; disk buffers replay what they hold. An invalid one is reported
 * and changes nothing. */
static void reload(sl_runtime *rt)
{
    if (rt->once || !rt->config_path || !rt->argv) {
        sl_warn(RT, "SIGHUP: reload is not available with --once; ignored");
        return;
    }
    if (rt->draining) {
        sl_warn(RT, "SIGHUP: already %s; ignored", rt->reloading ? "reloading" : "stopping");
        return;
    }
    if (sl_privileges_dropped()) {
        sl_error(RT, "SIGHUP: cannot reload after service.user dropped root (the new "
                     "configuration would open its files and sockets without root); restart "
                     "sluice to apply it");
        return;
    }
    sl_diags diags = {0};
    sl_config *next = sl_config_load(rt->config_path, &diags);
    if (!next) {
        for (size_t i = 0; i < diags.n; i++)
            sl_error(RT, "reload: %s", diags.v[i].text);
        sl_error(RT, "reload: %s has %zu error%s; still running the current configuration",
                 rt->config_path, diags.errors, diags.errors == 1 ? "" : "s");
        sl_diags_free(&diags);
        return;
    }
    sl_diags_free(&diags);
    sl_config_free(next);
    sl_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long)(sl_mono_ns() / 1000));
    rt->reloading = true;
    sl_listen_fds_begin_handover();     /* before the sources stop */
    begin_drain(rt, "SIGHUP (reload)");
}

void sl_runtime_set_reexec(sl_runtime *rt, const char *config_path, char **argv)
{
    rt->config_path = config_path;
    rt->argv = argv;
}

bool sl_runtime_reloading(const sl_runtime *rt) { return rt->reloading; }

void sl_exec_again(char **argv)
{
    sl_listen_fds_export();
    sl_info(RT, "reload: starting the new configuration");
    execv("/proc/self/exe", argv);
    sl_error(RT, "reload: cannot execute /proc/self/exe: %s", strerror(errno));
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    sl_runtime *rt = arg;
    switch (sig) {
    case SIGTERM:
        begin_drain(rt, "SIGTERM");
        break;
    case SIGINT:
        begin_drain(rt, "SIGINT");
        break;
    case SIGHUP:
        reload(rt);
        break;
    case SIGUSR1:
        /* Reopen output files (logrotate): each destination's thread does
         * it before its next batch; this thread never touches their fds. */
        sl_info(RT, "SIGUSR1: reopening output files before the next batch");
        for (size_t i = 0; i < rt->n_dests; i++)
            sl_dest_request_reopen(&rt->dests[i]);
        break;
    }
}

/* ---- building ------------------------------------------------------------ */

static size_t default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

sl_runtime *sl_runtime_new(sl_config *cfg, bool once)
{
    sl_runtime *rt = sl_calloc(1, sizeof *rt);
    rt->cfg = cfg;
    rt->once = once;
    rt->exit_code = SL_EXIT_OK;
    if (evthread_use_pthreads() != 0) {
        sl_error(RT, "libevent has no pthreads support");
        free(rt);
        return NULL;
    }
    rt->base = event_base_new();
    if (!rt->base) {
        sl_error(RT, "cannot create the event loop");
        free(rt);
        return NULL;
    }
    const sl_service_cfg *svc = &cfg->service;
    sl_queue_init(&rt->queue, (size_t)svc->queue_max_events, (size_t)svc->queue_max_bytes,
                  queue_has_space, rt);
    rt->keep_order = svc->keep_order;
    pthread_mutex_init(&rt->order_mu, NULL);
    pthread_cond_init(&rt->order_turn, NULL);
    rt->wake_ev = event_new(rt->base, -1, 0, wake_cb, rt);
    rt->check_ev = event_new(rt->base, -1, 0, check_cb, rt);
    rt->idle_ev = evtimer_new(rt->base, idle_cb, rt);

    rt->n_dests = cfg->n_dests;
    rt->dests = sl_calloc(cfg->n_dests, sizeof *rt->dests);
    for (size_t i = 0; i < cfg->n_dests; i++) {
        sl_dest *d = &rt->dests[i];
        d->name = cfg->dests[i].name;
        d->plugin = cfg->dests[i].plugin;
        d->cfg = cfg->dests[i].cfg;
        d->common = &cfg->dests[i].common;
        d->rt = rt;
        d->index = i;
        sl_dest_init(d);
    }

    bool ok = true;
    rt->n_pipelines = cfg->n_pipelines;
    rt->pipelines = sl_calloc(cfg->n_pipelines, sizeof *rt->pipelines);
    for (size_t i = 0; i < cfg->n_pipelines; i++) {
        const sl_pipeline_def *pd = &cfg->pipelines[i];
        sl_pipeline *p = &rt->pipelines[i];
        p->name = pd->name;
        p->rt = rt;
        p->n_to = pd->n_to;
        p->to = sl_calloc(pd->n_to, sizeof *p->to);
        for (size_t j = 0; j < pd->n_to; j++)
            p->to[j] = &rt->dests[pd->to[j]];
        p->dead_letter = pd->dead_letter >= 0 ? &rt->dests[pd->dead_letter] : NULL;
        p->handlers = sl_calloc(pd->n_handlers, sizeof *p->handlers);
        for (size_t j = 0; j < pd->n_handlers; j++) {
            const sl_handler_def *hd = &pd->handlers[j];
            sl_handler_inst *h = &p->handlers[p->n_handlers];
            h->plugin = hd->plugin;
            h->label = hd->label;
            h->position = j + 1;
            h->stat_index = rt->n_handler_stats++;
            const sl_handler_ops *ops = hd->plugin->handler;
            if (ops->create_env) {      /* route: needs the pipeline's destination names */
                const char **to = sl_calloc(p->n_to + 1, sizeof *to);
                for (size_t k = 0; k < p->n_to; k++)
                    to[k] = p->to[k]->name;
                sl_handler_env env = {to, p->n_to};
                h->state = ops->create_env(hd->cfg, hd->label, &env);
                free(to);
            } else {
                h->state = ops->create ? ops->create(hd->cfg, hd->label) : NULL;
            }
            if ((ops->create || ops->create_env) && !h->state)
                ok = false;
            else
                p->n_handlers++;
        }
    }

    rt->n_sources = cfg->n_sources;
    rt->sources = sl_calloc(cfg->n_sources, sizeof *rt->sources);
    for (size_t i = 0; i < cfg->n_sources; i++) {
        sl_source *s = &rt->sources[i];
        s->name = cfg->sources[i].name;
        s->plugin = cfg->sources[i].plugin;
        s->cfg = cfg->sources[i].cfg;
        s->rt = rt;
        s->pipelines = sl_calloc(cfg->n_pipelines, sizeof *s->pipelines);
        for (size_t j = 0; j < cfg->n_pipelines; j++)
            for (size_t k = 0; k < cfg->pipelines[j].n_from; k++)
                if (cfg->pipelines[j].from[k] == i) {
                    s->pipelines[s->n_pipelines++] = &rt->pipelines[j];
                    break;
                }
        if (s->n_pipelines == 0)        /* unused: never started */
            s->finished = true;
    }
    rt->n_workers = svc->workers > 0 ? (size_t)svc->workers : default_workers();
    rt->workers = sl_calloc(rt->n_workers, sizeof *rt->workers);
    rt->worker_busy_since = sl_calloc(rt->n_workers, sizeof *rt->worker_busy_since);
    rt->handler_stats = sl_calloc(rt->n_workers * (rt->n_handler_stats ? rt->n_handler_stats : 1) *
                                      SL_HSTATS,
                                  sizeof *rt->handler_stats);
    if (!ok) {
        sl_runtime_free(rt);
        return NULL;
    }
    return rt;
}

/* Threads we start take no signals: the I/O thread handles them all. */
static void block_signals(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, old);
}

int sl_runtime_run(sl_runtime *rt)
{
    int rc = SL_EXIT_OK;
    signal(SIGPIPE, SIG_IGN);
    static const int sigs[4] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    for (int i = 0; i < 4; i++) {
        rt->sig_ev[i] = evsignal_new(rt->base, sigs[i], signal_cb, rt);
        event_add(rt->sig_ev[i], NULL);
    }

    sigset_t old;
    block_signals(&old);
    for (size_t i = 0; i < rt->n_dests && rc == SL_EXIT_OK; i++)
        if (sl_dest_start(&rt->dests[i]) != 0)
            rc = SL_EXIT_STARTUP;
    for (size_t i = 0; i < rt->n_workers && rc == SL_EXIT_OK; i++) {
        if (pthread_create(&rt->workers[i], NULL, sl_worker_main, rt) != 0) {
            sl_error(RT, "cannot start worker thread: %s", strerror(errno));
            rc = SL_EXIT_STARTUP;
            break;
        }
        rt->workers_started++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (rc == SL_EXIT_OK && rt->cfg->service.admin_listen && *rt->cfg->service.admin_listen) {
        rt->admin = sl_admin_start(rt, rt->cfg->service.admin_listen);
        if (!rt->admin)
            rc = SL_EXIT_STARTUP;
    }
    for (size_t i = 0; i < rt->n_sources && rc == SL_EXIT_OK; i++) {
        sl_source *s = &rt->sources[i];
        if (s->n_pipelines == 0)
            continue;
        if (s->plugin->source->start(s) != 0) {
            sl_error(RT, "source \"%s\" failed to start", s->name);
            rc = SL_EXIT_STARTUP;
            break;
        }
        s->started = true;
    }
    /* Least privilege (service.user): every source has bound its sockets
     * and opened its files, destinations and the admin endpoint are open,
     * and no event has flowed yet (sources only read from the loop). The
     * worker and destination threads already exist: glibc applies the
     * setuid/setgid family to every thread of the process. */
    if (rc == SL_EXIT_OK && sl_privileges_drop(rt->cfg) != 0)
        rc = SL_EXIT_STARTUP;
    sl_listen_fds_close_unused();   /* sockets of sources a reload removed */
    if (rc == SL_EXIT_OK) {
        sl_info(RT, "sluice %s running: %zu sources, %zu destinations, %zu pipelines, %zu workers%s",
                SLUICE_VERSION, rt->n_sources, rt->n_dests, rt->n_pipelines, rt->n_workers,
                rt->once ? " (--once)" : "");
        ops_start(rt);          /* READY=1: every source and destination is up */
        event_active(rt->check_ev, 0, 0);
        event_base_dispatch(rt->base);
        ops_stopping(rt);
    }
    /* The admin endpoint and the notify timers live on the loop. */
    sl_admin_free(rt->admin);
    rt->admin = NULL;
    if (rt->status_ev)
        event_free(rt->status_ev);
    if (rt->watchdog_ev)
        event_free(rt->watchdog_ev);
    rt->status_ev = rt->watchdog_ev = NULL;
    /* Sources that were started must stop before the loop goes away. */
    stop_sources(rt);

    /* Everything in flight has been delivered (or startup failed before
     * anything flowed): the closing thread let the threads go, or we do. */
    if (rt->closer_started)
        pthread_join(rt->closer, NULL);
    else
        stop_threads(rt, false);

    uint64_t failed = atomic_load(&rt->failed_chunks);
    for (size_t i = 0; i < rt->n_sources; i++) {
        sl_source *s = &rt->sources[i];
        if (s->started)
            sl_info(RT, "source \"%s\": %llu events read", s->name,
                    (unsigned long long)atomic_load(&s->events_in));
    }
    for (size_t i = 0; i < rt->n_dests; i++) {
        sl_dest *d = &rt->dests[i];
        sl_info(RT, "destination \"%s\": %llu events delivered, %llu failed", d->name,
                (unsigned long long)atomic_load(&d->events_out),
                (unsigned long long)atomic_load(&d->events_failed));
    }
    if (rc == SL_EXIT_OK && rt->once && failed)
        rc = SL_EXIT_UNDELIVERED;
    sl_notify_close();
    return rc;
}

void sl_runtime_free(sl_runtime *rt)
{
    if (!rt)
        return;
    for (size_t i = 0; i < rt->n_sources; i++) {
        sl_source *s = &rt->sources[i];
        if (s->pending)
            sl_chunk_discard(s->pending);
        if (s->started && s->plugin->source->destroy)
            s->plugin->source->destroy(s);
        free(s->pipelines);
    }
    for (size_t i = 0; i < rt->n_pipelines; i++) {
        sl_pipeline *p = &rt->pipelines[i];
        for (size_t j = 0; j < p->n_handlers; j++)
            if (p->handlers[j].plugin->handler->destroy)
                p->handlers[j].plugin->handler->destroy(p->handlers[j].state);
        free(p->handlers);
        free(p->to);
    }
    for (size_t i = 0; i < rt->n_dests; i++)
        sl_dest_destroy(&rt->dests[i]);
    for (int i = 0; i < 4; i++)
        if (rt->sig_ev[i])
            event_free(rt->sig_ev[i]);
    if (rt->timeout_ev)
        event_free(rt->timeout_ev);
    if (rt->wake_ev)
        event_free(rt->wake_ev);
    if (rt->check_ev)
        event_free(rt->check_ev);
    if (rt->idle_ev)
        event_free(rt->idle_ev);
    sl_queue_destroy(&rt->queue);
    pthread_cond_destroy(&rt->order_turn);
    pthread_mutex_destroy(&rt->order_mu);
    event_base_free(rt->base);
    libevent_global_shutdown();
    free(rt->sources);
    free(rt->pipelines);
    free(rt->dests);
    free(rt->workers);
    free(rt->worker_busy_since);
    free(rt->handler_stats);
    free(rt);
}
