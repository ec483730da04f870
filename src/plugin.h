/* plugin.h: the three contracts (source, handler, destination) and the
 * plugin descriptor each implementation exports: its name, its option
 * table, the size of its config struct, and its operations. */
#ifndef SLUICE_PLUGIN_H
#define SLUICE_PLUGIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "options.h"

typedef struct sl_runtime sl_runtime;
typedef struct sl_source sl_source;
typedef struct sl_dest sl_dest;
typedef struct sl_pipeline sl_pipeline;

typedef enum { SL_PLUGIN_SOURCE, SL_PLUGIN_HANDLER, SL_PLUGIN_DEST } sl_plugin_kind;

/* ---- sources -------------------------------------------------------------
 * Sources run on the I/O thread. They read input into chunks and hand each
 * to sl_source_submit(). When that returns false the runtime keeps the
 * chunk and the source must stop reading until ops->resume is called. A
 * chunk's outcome reaches the source through ops->chunk_done, on whichever
 * thread released the last reference, so it must be thread-safe. Chunks
 * come from sl_source_new_chunk (runtime.h). */
typedef struct {
    int (*start)(sl_source *src);      /* register with the event loop; -1 on error (logged) */
    void (*resume)(sl_source *src);    /* there is room again: read on */
    void (*stop)(sl_source *src);      /* stop reading for good (shutdown) */
    void (*destroy)(sl_source *src);   /* free state; after every chunk is done */
    /* A chunk's ack fired: every event from it was committed or given up
     * (status has SL_ACK_* bits). Runs on any thread. Optional. */
    void (*chunk_done)(sl_source *src, sl_chunk *c, unsigned status);
    /* Optional, on the I/O thread (for /metrics): for each input it tracks
     * (a tailed file), how many bytes it holds beyond what is delivered. */
    void (*lag)(sl_source *src, void (*emit)(void *ctx, const char *item, uint64_t bytes),
                void *ctx);
    /* Optional, likewise: per UDP socket (its listen URL), the datagrams
     * the kernel dropped because its receive buffer was full. */
    void (*kernel_drops)(sl_source *src,
                         void (*emit)(void *ctx, const char *item, uint64_t drops), void *ctx);
    /* Optional, on a worker: finish an event the I/O thread only framed
     * (parse it into fields) before any handler sees it. The worker owns
     * the event's chunk; other workers decode other chunks meanwhile, so
     * it must not write source state. */
    void (*decode)(sl_source *src, sl_event *ev);
} sl_source_ops;

/* ---- handlers ------------------------------------------------------------
 * A handler is a pure function from one event to zero or more events. It
 * never acks: returning DROP (zero events) or ERROR lets the processor do
 * that. process() runs concurrently on every worker, so handler state must
 * be read-only after create() or protected by the handler. */
typedef enum {
    SL_HANDLER_PASS,    /* the event (possibly modified) goes on */
    SL_HANDLER_DROP,    /* zero events out: done with it */
    SL_HANDLER_ERROR,   /* failed: dead-letter it, or count and log */
} sl_handler_result;

typedef struct sl_handler_ctx sl_handler_ctx;

/* What a handler may know about its pipeline (for the optional
 * check_pipeline and create_env ops): the names of the pipeline's `to`
 * destinations, in order (index k is bit k of sl_handler_route_to's mask). */
typedef struct {
    const char *const *to;
    size_t n_to;
} sl_handler_env;

typedef struct {
    /* Build run-time state from the parsed config; NULL + logged error on failure. */
    void *(*create)(const void *cfg, const char *name);
    sl_handler_result (*process)(void *state, sl_event *ev, sl_handler_ctx *hc);
    void (*destroy)(void *state);
    /* Optional (route): used instead of create when set, with the pipeline. */
    void *(*create_env)(const void *cfg, const char *name, const sl_handler_env *env);
    /* Optional (route): config checks that need the pipeline, after the
     * option table and the plugin's check passed. */
    void (*check_pipeline)(const void *cfg, const sl_node *node, const char *what,
                           const sl_handler_env *env, sl_diags *d);
} sl_handler_ops;

/* Most destinations a pipeline with a route handler may have (the bits of
 * sl_handler_route_to's mask). */
#define SL_ROUTE_MAX_DESTS 64

/* From inside process(): a further event (a clone of `like`) that continues
 * through the rest of the chain after this one. */
sl_event *sl_handler_emit(sl_handler_ctx *hc, const sl_event *like);
/* From inside process(): say why an ERROR happened (copied). */
void sl_handler_fail(sl_handler_ctx *hc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* From inside process() (route): send this event (and what it emits later
 * in the chain) only to the pipeline's `to` destinations whose bits are set
 * in mask (bit k: the k-th name of sl_handler_env.to). Replaces the mask an
 * earlier handler set; every destination when none did. */
void sl_handler_route_to(sl_handler_ctx *hc, uint64_t mask);

/* ---- destinations --------------------------------------------------------
 * Each destination runs on its own thread (`concurrency` threads for
 * plugins that set `concurrent`). The runtime batches events for it
 * (batch.*) and calls send(); OK means the batch is committed (written
 * and flushed, a 2xx, an upload completed) and its events are released,
 * firing acks. RETRY means try the same batch again later (with backoff);
 * FAIL means it can never be delivered: the events are marked failed. */
typedef enum { SL_SEND_OK, SL_SEND_RETRY, SL_SEND_FAIL } sl_send_result;

typedef struct {
    int (*open)(sl_dest *d);            /* before any send; -1 on error (logged) */
    sl_send_result (*send)(sl_dest *d, sl_event *const *evs, size_t n);
    void (*close)(sl_dest *d);          /* after the last send; also after a
                                           failed open, to free what it set up */
    /* Optional: reopen outputs at their configured paths (SIGUSR1, after
     * logrotate renamed them). Called on the sending thread, between
     * batches (never during a send), before the first send after the
     * signal. */
    void (*reopen)(sl_dest *d);
    /* Destinations cheap to write small batches to (files) write as soon as
     * their input goes idle instead of waiting out batch.max_age. */
    bool write_when_idle;
    /* The destination supports `concurrency` > 1: the runner starts that
     * many sender threads, each taking batches from the same buffer, and
     * calls open() and close() once per sender (on the starting and the
     * joining thread, sender by sender). Each sender has its own state:
     * such a plugin stores it with sl_dest_set_state() in open() and reads
     * it with sl_dest_state() in send() and close() (src/dest.h), never
     * through d->state. sl_dest_sender() tells which sender (0..n-1) is
     * calling. Without this flag, `concurrency` above 1 is a config error
     * and there is one sender (ordered writes). */
    bool concurrent;
} sl_dest_ops;

/* ---- the descriptor ------------------------------------------------------ */
typedef struct sl_plugin {
    const char *name;
    sl_plugin_kind kind;
    const char *summary;            /* one line, for --help-plugin and man */
    const sl_option *options;       /* the plugin's own options */
    size_t config_size;             /* the struct `options` offsets point into */
    /* Checks across options, after the table was applied (optional). */
    void (*check)(void *cfg, const sl_node *node, const char *what, sl_diags *d);
    const sl_source_ops *source;
    const sl_handler_ops *handler;
    const sl_dest_ops *dest;
    /* Destinations whose output is usually compressed (s3): `compression`
     * defaults to gzip instead of none. */
    bool gzip_by_default;
} sl_plugin;

const sl_plugin *sl_plugin_find(sl_plugin_kind kind, const char *name);
/* All plugins, NULL-terminated, in a stable order. */
const sl_plugin *const *sl_plugin_all(void);
const char *sl_plugin_kind_name(sl_plugin_kind kind);
/* Options every plugin of a kind has (e.g. encoding and batch.* for
 * destinations), or NULL. Their values live in sl_dest_common. */
const sl_option *sl_plugin_common_options(sl_plugin_kind kind);

#endif
