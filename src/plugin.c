/* plugin.c: the registry of built-in plugins, and the options every
 * destination shares. */
#include "plugin.h"

#include <string.h>

#include "pipeline_config.h"

extern const sl_plugin sl_source_stdin;
extern const sl_plugin sl_source_file;
extern const sl_plugin sl_source_socket;
extern const sl_plugin sl_source_syslog;
extern const sl_plugin sl_source_http;
extern const sl_plugin sl_source_kafka;
extern const sl_plugin sl_handler_set;
extern const sl_plugin sl_handler_timestamp;
extern const sl_plugin sl_handler_copy;
extern const sl_plugin sl_handler_exec;
extern const sl_plugin sl_handler_filter;
extern const sl_plugin sl_handler_keep;
extern const sl_plugin sl_handler_lowercase;
extern const sl_plugin sl_handler_remove;
extern const sl_plugin sl_handler_rename;
extern const sl_plugin sl_handler_truncate;
extern const sl_plugin sl_handler_parse_json;
extern const sl_plugin sl_handler_parse_kv;
extern const sl_plugin sl_handler_parse_nginx;
extern const sl_plugin sl_handler_parse_regex;
extern const sl_plugin sl_handler_parse_syslog;
extern const sl_plugin sl_handler_dedup;
extern const sl_plugin sl_handler_route;
extern const sl_plugin sl_handler_sample;
extern const sl_plugin sl_dest_stdout;
extern const sl_plugin sl_dest_file;
extern const sl_plugin sl_dest_s3;
extern const sl_plugin sl_dest_http;
extern const sl_plugin sl_dest_kafka;

static const sl_plugin *const plugins[] = {
    &sl_source_file,
    &sl_source_http,
    &sl_source_kafka,
    &sl_source_socket,
    &sl_source_stdin,
    &sl_source_syslog,
    &sl_handler_copy,
    &sl_handler_dedup,
    &sl_handler_exec,
    &sl_handler_filter,
    &sl_handler_keep,
    &sl_handler_lowercase,
    &sl_handler_parse_json,
    &sl_handler_parse_kv,
    &sl_handler_parse_nginx,
    &sl_handler_parse_regex,
    &sl_handler_parse_syslog,
    &sl_handler_remove,
    &sl_handler_rename,
    &sl_handler_route,
    &sl_handler_sample,
    &sl_handler_set,
    &sl_handler_timestamp,
    &sl_handler_truncate,
    &sl_dest_file,
    &sl_dest_http,
    &sl_dest_kafka,
    &sl_dest_s3,
    &sl_dest_stdout,
    NULL,
};

/* In the order of SL_ENC_* and SL_COMP_* (pipeline_config.h). */
static const char *const encodings[] = {"ndjson", "json_array", "raw", NULL};
static const char *const compressions[] = {"none", "gzip", NULL};
static const char *const buffer_types[] = {"memory", "disk", NULL};
static const char *const when_full[] = {"block", "drop_newest", NULL};
static const char *const fsync_modes[] = {"interval", "always", "never", NULL};

#define DC(f) offsetof(sl_dest_common, f)
static const sl_option dest_common_options[] = {
    {"encoding", SL_OPT_ENUM, "ndjson", 0, 0, 0, encodings, DC(encoding),
     "ndjson: one JSON object per line; json_array: each batch one JSON array (a line); "
     "raw: the message line as read."},
    {"compression", SL_OPT_ENUM, "none", 0, 0, 0, compressions, DC(compression),
     "gzip: each batch compressed once (HTTP sends Content-Encoding: gzip; a file gets one "
     "gzip member per batch, which zcat reads as one stream)."},
    {"compression_level", SL_OPT_INT, "6", 0, 1, 9, NULL, DC(compression_level),
     "zlib level for gzip: 1 fastest, 9 smallest."},
    {"batch.max_events", SL_OPT_INT, "1000", 0, 1, 1000000, NULL, DC(batch_max_events),
     "Most events in one batch."},
    {"batch.max_bytes", SL_OPT_SIZE, "1MiB", 0, 1024, 5LL << 30, NULL, DC(batch_max_bytes),
     "Most message bytes in one batch."},
    {"batch.max_age", SL_OPT_DURATION, "1s", 0, 0, 3600000000000LL, NULL, DC(batch_max_age_ns),
     "Longest an event waits for its batch to fill (files write as soon as input is idle)."},
    {"buffer.type", SL_OPT_ENUM, "memory", 0, 0, 0, buffer_types, DC(buffer_type),
     "memory: events wait in memory (lost in a crash unless the source can re-read them); "
     "disk: events are written to a log under buffer.path and sources are acknowledged "
     "once they are durable there; a restart delivers what is left."},
    {"buffer.max_events", SL_OPT_INT, "10000", 0, 1, 100000000, NULL, DC(buffer_max_events),
     "Most events waiting in memory (for a disk buffer: read back and waiting to be sent)."},
    {"buffer.max_bytes", SL_OPT_SIZE, "8MiB", 0, 1024, 1LL << 40, NULL, DC(buffer_max_bytes),
     "Most message bytes waiting in memory (likewise)."},
    {"buffer.when_full", SL_OPT_ENUM, "block", 0, 0, 0, when_full, DC(buffer_when_full),
     "block: slow the sources down (backpressure), never drop; drop_newest: drop what does "
     "not fit and count it (sluice_destination_events_dropped_total)."},
    {"buffer.path", SL_OPT_STRING, "", 0, 0, 0, NULL, DC(buffer_path),
     "disk: the buffer's directory (default: service.state_dir/buffers/NAME); one "
     "destination per directory."},
    {"buffer.max_size", SL_OPT_SIZE, "1GiB", 0, 65536, 1LL << 50, NULL, DC(buffer_max_size),
     "disk: most bytes of segment files; when reached, buffer.when_full applies."},
    {"buffer.segment_size", SL_OPT_SIZE, "32MiB", 0, 4096, 1LL << 32, NULL,
     DC(buffer_segment_size),
     "disk: size of one segment file (at most a quarter of max_size); a segment is deleted "
     "once every event in it is delivered."},
    {"buffer.fsync", SL_OPT_ENUM, "interval", 0, 0, 0, fsync_modes, DC(buffer_fsync),
     "disk: when writes are made durable before sources are acknowledged: interval (every "
     "fsync_interval), always (before every acknowledgement), never (the kernel decides; "
     "survives a crash of sluice, not of the machine)."},
    {"buffer.fsync_interval", SL_OPT_DURATION, "500ms", 0, 1000000, 60000000000LL, NULL,
     DC(buffer_fsync_interval_ns), "disk, fsync: interval: how often."},
    {"retry.initial", SL_OPT_DURATION, "500ms", 0, 1000000, 3600000000000LL, NULL,
     DC(retry_initial_ns),
     "First retry delay after a failed send; each wait is random in [0, delay] (full jitter)."},
    {"retry.max", SL_OPT_DURATION, "30s", 0, 1000000, 86400000000000LL, NULL, DC(retry_max_ns),
     "Longest retry delay; delays double up to it. A Retry-After the server sends is honoured."},
    {"retry.max_elapsed", SL_OPT_DURATION, "0", 0, 0, 31LL * 86400000000000LL, NULL,
     DC(retry_max_elapsed_ns),
     "Give a batch up after retrying it this long (dead-letter or drop it); 0: retry for ever."},
    {"concurrency", SL_OPT_INT, "1", 0, 1, 64, NULL, DC(concurrency),
     "Batches in flight at once (http, s3: one sender thread and connection each, in any "
     "order); memory: the buffer plus this many batches. Files and stdout: 1 (ordered)."},
    SL_OPT_END,
};

const sl_plugin *sl_plugin_find(sl_plugin_kind kind, const char *name)
{
    for (const sl_plugin *const *p = plugins; *p; p++)
        if ((*p)->kind == kind && strcmp((*p)->name, name) == 0)
            return *p;
    return NULL;
}

const sl_plugin *const *sl_plugin_all(void) { return plugins; }

const char *sl_plugin_kind_name(sl_plugin_kind kind)
{
    switch (kind) {
    case SL_PLUGIN_SOURCE:
        return "source";
    case SL_PLUGIN_HANDLER:
        return "handler";
    case SL_PLUGIN_DEST:
        return "destination";
    }
    return "?";
}

const sl_option *sl_plugin_common_options(sl_plugin_kind kind)
{
    return kind == SL_PLUGIN_DEST ? dest_common_options : NULL;
}
