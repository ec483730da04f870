/* pipeline_config.h: the validated configuration. Built from the YAML tree:
 * the service section, each source, destination and pipeline with its
 * plugin resolved, its options applied through the plugin's table, and
 * every name reference checked. */
#ifndef SLUICE_PIPELINE_CONFIG_H
#define SLUICE_PIPELINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "plugin.h"

typedef struct {
    int64_t workers;            /* 0 = one per core */
    char *state_dir;
    int64_t shutdown_timeout_ns;
    uint64_t memory_limit;      /* bytes of events held in memory at once */
    int64_t queue_max_events;
    uint64_t queue_max_bytes;
    char *admin_listen;         /* HOST:PORT of the admin endpoint, NULL: off */
    int64_t admin_failing_after_ns;     /* /health: 503 after a destination fails this long */
    char *user, *group;         /* run as (names or ids) after startup; NULL: off */
    bool keep_order;            /* workers hand chunks on in the order read */
} sl_service_cfg;

/* Index order of the `encoding` and `compression` choices (src/plugin.c). */
enum { SL_ENC_NDJSON, SL_ENC_JSON_ARRAY, SL_ENC_RAW };
enum { SL_COMP_NONE, SL_COMP_GZIP };
enum { SL_BUF_MEMORY, SL_BUF_DISK };
enum { SL_WHEN_FULL_BLOCK, SL_WHEN_FULL_DROP_NEWEST };
enum { SL_FSYNC_INTERVAL, SL_FSYNC_ALWAYS, SL_FSYNC_NEVER };

/* Options shared by every destination (see sl_plugin_common_options). */
typedef struct {
    int encoding;
    int compression;
    int64_t compression_level;
    int64_t batch_max_events;
    uint64_t batch_max_bytes;
    int64_t batch_max_age_ns;
    int buffer_type;
    int64_t buffer_max_events;
    uint64_t buffer_max_bytes;
    int buffer_when_full;
    char *buffer_path;          /* disk: the directory; "" = STATE_DIR/buffers/NAME */
    uint64_t buffer_max_size;   /* disk: most bytes in segment files */
    uint64_t buffer_segment_size;
    int buffer_fsync;
    int64_t buffer_fsync_interval_ns;
    int64_t retry_initial_ns;
    int64_t retry_max_ns;
    int64_t retry_max_elapsed_ns;   /* 0: retry for ever */
    int64_t concurrency;        /* batches in flight at once (sender threads) */
} sl_dest_common;

typedef struct {
    char *name;
    const sl_plugin *plugin;
    const sl_node *node;
    void *cfg;                  /* the plugin's config struct */
    bool used;
} sl_source_def;

typedef struct {
    char *name;
    const sl_plugin *plugin;
    const sl_node *node;
    void *cfg;
    sl_dest_common common;
    bool used;
} sl_dest_def;

typedef struct {
    const sl_plugin *plugin;
    const sl_node *node;
    void *cfg;
    char *label;                /* "pipeline \"web\" handler 2 (set)" */
} sl_handler_def;

typedef struct {
    char *name;
    const sl_node *node;
    size_t *from, n_from;       /* indexes into sources */
    size_t *to, n_to;           /* indexes into destinations */
    sl_handler_def *handlers;
    size_t n_handlers;
    long dead_letter;           /* index into destinations, or -1 */
} sl_pipeline_def;

typedef struct sl_config {
    sl_doc *doc;
    sl_service_cfg service;
    sl_source_def *sources;
    size_t n_sources;
    sl_dest_def *dests;
    size_t n_dests;
    sl_pipeline_def *pipelines;
    size_t n_pipelines;
} sl_config;

/* Validate and build; takes ownership of `doc`. Every problem goes to `d`;
 * returns NULL if there was any error (warnings alone do not fail). */
sl_config *sl_config_build(sl_doc *doc, sl_diags *d);
/* Load a file and build it. */
sl_config *sl_config_load(const char *path, sl_diags *d);
void sl_config_free(sl_config *cfg);

/* The service section's option table (for help and man). */
const sl_option *sl_service_options(void);
/* The pipeline keys, documented like an option table (for help and man). */
const sl_option *sl_pipeline_options(void);

#endif
