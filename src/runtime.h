/* runtime.h: the running pipeline. Built from a validated sl_config: source
 * and destination instances, pipelines with their handler states, the
 * source queue, the worker pool, and the I/O thread's event loop. Owns
 * startup, backpressure wake-ups, and the orderly stop (drain within
 * service.shutdown_timeout). */
#ifndef SLUICE_RUNTIME_H
#define SLUICE_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pipeline_config.h"
#include "plugin.h"
#include "queue.h"

struct event_base;
struct event;

typedef struct {
    const sl_plugin *plugin;
    void *state;
    const char *label;
    size_t position;            /* 1-based, within its pipeline */
    size_t stat_index;          /* its counters in rt->handler_stats */
} sl_handler_inst;

/* Per handler, per worker (one writer each: no contention): events in,
 * events out (passed or emitted), dropped, errors. */
enum { SL_HSTAT_IN, SL_HSTAT_OUT, SL_HSTAT_DROPPED, SL_HSTAT_ERRORS, SL_HSTATS };

struct sl_pipeline {
    const char *name;
    sl_runtime *rt;
    sl_dest **to;
    size_t n_to;
    sl_dest *dead_letter;
    sl_handler_inst *handlers;
    size_t n_handlers;
    atomic_uint_fast64_t handler_errors;   /* errors with no dead-letter destination */
    atomic_uint_fast64_t dead_lettered;
    atomic_uint_fast64_t dropped;          /* events handlers chose to drop */
};

struct sl_source {
    const char *name;
    const sl_plugin *plugin;
    const void *cfg;
    void *state;                /* the plugin's */
    sl_runtime *rt;
    sl_pipeline **pipelines;
    size_t n_pipelines;
    sl_chunk *pending;          /* refused by the queue; pushed on wake-up */
    bool paused;                /* waiting for room (queue or memory) */
    bool started, finished, stopped;
    atomic_uint_fast64_t events_in, bytes_in, chunks_failed;
};

/* Upper bounds (seconds) of the batch latency histogram's buckets; the
 * last bucket is +Inf. */
#define SL_LATENCY_BUCKETS 12
extern const double sl_latency_bounds[SL_LATENCY_BUCKETS - 1];

struct sl_dest {
    const char *name;
    const sl_plugin *plugin;
    const void *cfg;
    const sl_dest_common *common;
    void *state;                /* the plugin's */
    sl_runtime *rt;
    size_t index;
    /* input buffer (memory): a ring of events waiting to be sent */
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    sl_event **ring;
    size_t ring_cap, ring_head, ring_count;
    uint64_t ring_bytes;
    int64_t oldest_ns;          /* monotonic time the oldest waiting event arrived */
    bool closing;
    atomic_bool abandon;        /* stop sending, leave the rest unacked (a
                                   disk buffer keeps it for the next run) */
    struct sl_disk_buffer *disk;    /* buffer.type: disk, else NULL */
    pthread_t thread;
    bool thread_started, opened;
    atomic_uint_fast64_t events_out, batches_out, events_failed, retries;
    atomic_uint_fast64_t events_dropped;    /* buffer full, when_full: drop_newest */
    /* health: monotonic time of the first failed attempt since the last
     * commit (0: delivering), and the last failure's reason (under mu) */
    atomic_int_fast64_t failing_since_ns;
    char last_error[256];
    /* time from taking a batch to its commit (retries included) */
    atomic_uint_fast64_t latency_buckets[SL_LATENCY_BUCKETS], latency_count, latency_sum_us;
    struct sl_dest_runner *runner;  /* src/dest.c's own state (encoding
                                       buffers, dead-letter routes) */
};

struct sl_runtime {
    sl_config *cfg;
    struct event_base *base;
    sl_queue queue;
    sl_source *sources;
    size_t n_sources;
    sl_dest *dests;
    size_t n_dests;
    sl_pipeline *pipelines;
    size_t n_pipelines;
    pthread_t *workers;
    size_t n_workers, workers_started;
    /* per worker: monotonic time it started running handlers on its
     * current chunk, 0 when idle or handing over (the watchdog reads it) */
    atomic_int_fast64_t *worker_busy_since;
    /* handler counters: [worker][handler stat_index][SL_HSTAT_*] */
    atomic_uint_fast64_t *handler_stats;
    size_t n_handler_stats;
    atomic_size_t worker_seq;
    /* service.keep_order: workers hand their chunks on to destinations in
     * the order the queue gave them out (sl_chunk.seq); order_next is the
     * seq whose turn it is */
    bool keep_order;
    pthread_mutex_t order_mu;
    pthread_cond_t order_turn;
    uint64_t order_next;
    bool once;                  /* read sources to their end, then stop */
    struct event *wake_ev;      /* resume paused sources (any thread) */
    struct event *check_ev;     /* re-check whether we are done (any thread) */
    struct event *idle_ev;      /* no chunk in flight for a while: free memory back */
    struct event *timeout_ev;   /* shutdown_timeout expired */
    struct event *sig_ev[4];   /* TERM, INT, HUP, USR1 */
    bool draining;
    bool reloading;             /* the drain is a reload (SIGHUP) */
    const char *config_path;    /* for a reload: what to load, how to run again */
    char **argv;
    /* the closing thread: joins workers and destinations after the last
     * chunk, while the loop still answers signals */
    pthread_t closer;
    bool closer_started, closer_drain;
    atomic_bool closer_done;
    bool stopping_sources;
    int exit_code;
    atomic_bool sources_waiting_memory;
    atomic_uint_fast64_t live_bytes;     /* bytes of chunks alive */
    atomic_uint_fast64_t live_chunks;
    atomic_uint_fast64_t failed_chunks;
    atomic_bool aborting;       /* shutdown timed out: stop retrying */
    /* operations (src/sd_notify.c, src/admin.c): I/O thread only */
    int64_t started_ns;         /* monotonic time the sources were up */
    struct sl_admin *admin;     /* service.admin.listen, or NULL */
    struct event *status_ev;    /* STATUS= to systemd every few seconds */
    struct event *watchdog_ev;  /* WATCHDOG=1 every WATCHDOG_USEC/2 */
    uint64_t status_in, status_out;  /* totals at the last STATUS= */
    int64_t status_ns;
    bool stopping_sent;         /* STOPPING=1 was sent */
};

/* Exit codes of the daemon (also documented in sluice(8)). */
enum {
    SL_EXIT_OK = 0,
    SL_EXIT_CONFIG = 1,         /* usage or configuration error */
    SL_EXIT_STARTUP = 2,        /* could not start (open, bind, ...) */
    SL_EXIT_UNDELIVERED = 3,    /* --once: some events could not be delivered */
};

/* Build everything (no threads yet); NULL on error (logged). */
sl_runtime *sl_runtime_new(sl_config *cfg, bool once);
/* Start destinations, workers and sources, then run the I/O loop on the
 * calling thread until stopped. Returns an SL_EXIT_ code. */
int sl_runtime_run(sl_runtime *rt);
void sl_runtime_free(sl_runtime *rt);
/* Enable reload on SIGHUP: the config file to validate, and the argv to
 * execute again (/proc/self/exe) once the old pipeline has drained. */
void sl_runtime_set_reexec(sl_runtime *rt, const char *config_path, char **argv);
/* After sl_runtime_run: was it stopped for a reload? Then, after
 * sl_runtime_free, call sl_exec_again (which returns only on failure). */
bool sl_runtime_reloading(const sl_runtime *rt);
void sl_exec_again(char **argv);

/* ---- for sources (I/O thread) ---- */
/* A chunk for this source; its data buffer has data_cap bytes. */
sl_chunk *sl_source_new_chunk(sl_source *src, size_t data_cap);
/* May the source read more now? False when events in memory are at
 * service.memory_limit: the source is paused and resumed later. */
bool sl_source_may_read(sl_source *src);
/* Hand a chunk with at least one event to the workers. False: the queue is
 * full, the runtime keeps the chunk, and the source must stop reading until
 * its resume op is called. */
bool sl_source_submit(sl_source *src, sl_chunk *c);
/* The source has reached its end (stdin closed, --once at EOF): it will
 * produce nothing more. */
void sl_source_finished(sl_source *src);
struct event_base *sl_source_base(sl_source *src);
bool sl_source_once(const sl_source *src);

/* ---- for the worker pool and destinations ---- */
void *sl_worker_main(void *arg);
void sl_dest_init(sl_dest *d);
int sl_dest_start(sl_dest *d);
void sl_dest_push(sl_dest *d, sl_event *const *evs, size_t n);
/* No more input. drain: deliver what is buffered first (a disk buffer
 * replays all of it); else a disk buffer stops now, keeping the rest. */
void sl_dest_close_input(sl_dest *d, bool drain);
bool sl_dest_is_dead_letter(const sl_dest *d);
/* For a disk buffer's replay: the memory ring, waiting for room (returns
 * early, with how many went in, once *stop is true); closing it (the
 * senders finish what it holds, then stop); abandoning (the senders stop
 * at once and leave what they hold unacknowledged). */
size_t sl_dest_ring_push(sl_dest *d, sl_event *const *evs, size_t n, atomic_bool *stop);
void sl_dest_ring_close(sl_dest *d);
void sl_dest_abandon(sl_dest *d);
void sl_dest_join(sl_dest *d);
void sl_dest_destroy(sl_dest *d);

#endif
