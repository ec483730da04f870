/* admin.c: GET /health, /metrics and /status on service.admin.listen (see
 * admin.h). Everything runs on the I/O thread; counters are atomics other
 * threads advance, and each destination's buffer is read under its lock. */
#include "admin.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buffer/disk_buffer.h"
#include "log.h"
#include "runtime.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define ADMIN "admin"

struct sl_admin {
    sl_runtime *rt;
    struct evhttp *http;
};

int sl_admin_parse_listen(const char *s, char **host, uint16_t *port, const char **why)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s) {
        *why = "expected HOST:PORT, e.g. 127.0.0.1:2020";
        return -1;
    }
    const char *h = s;
    size_t hn = (size_t)(colon - s);
    if (h[0] == '[') {
        if (hn < 3 || h[hn - 1] != ']') {
            *why = "an IPv6 address is written [ADDRESS]:PORT";
            return -1;
        }
        h++;
        hn -= 2;
    } else if (memchr(h, ':', hn)) {
        *why = "an IPv6 address is written [ADDRESS]:PORT";
        return -1;
    }
    const char *p = colon + 1;
    long v = 0;
    if (*p && strspn(p, "0123456789") == strlen(p) && strlen(p) <= 5)
        v = strtol(p, NULL, 10);
    if (v < 1 || v > 65535) {
        *why = "the port must be a number from 1 to 65535";
        return -1;
    }
    *host = sl_strndup(h, hn);
    *port = (uint16_t)v;
    return 0;
}

/* ---- /health ------------------------------------------------------------- */

static void send_text(struct evhttp_request *req, int code, const char *reason,
                      const char *type, struct evbuffer *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_send_reply(req, code, reason, body);
}

/* The destination failing for the longest, if longer than
 * service.admin.failing_after: its index, or -1. */
static long failing_dest(const sl_runtime *rt, int64_t now, int64_t *for_ns)
{
    long worst = -1;
    int64_t worst_ns = 0;
    for (size_t i = 0; i < rt->n_dests; i++) {
        int64_t since = atomic_load_explicit(&rt->dests[i].failing_since_ns,
                                             memory_order_relaxed);
        if (since && now - since >= rt->cfg->service.admin_failing_after_ns &&
            now - since > worst_ns) {
            worst = (long)i;
            worst_ns = now - since;
        }
    }
    *for_ns = worst_ns;
    return worst;
}

static void json_escaped(struct evbuffer *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            evbuffer_add_printf(b, "\\%c", c);
        else if (c < 0x20)
            evbuffer_add_printf(b, "\\u%04x", c);
        else
            evbuffer_add(b, s, 1);
    }
}

static void health_cb(struct evhttp_request *req, void *arg)
{
    sl_admin *a = arg;
    sl_runtime *rt = a->rt;
    struct evbuffer *b = evbuffer_new();
    int64_t for_ns;
    long bad = failing_dest(rt, sl_mono_ns(), &for_ns);
    if (rt->draining) {
        evbuffer_add_printf(b, "{\"status\":\"%s\"}\n",
                            rt->reloading ? "reloading" : "draining");
        send_text(req, 503, "Service Unavailable", "application/json", b);
    } else if (bad >= 0) {
        sl_dest *d = &rt->dests[bad];
        char why[sizeof d->last_error];
        pthread_mutex_lock(&d->mu);
        memcpy(why, d->last_error, sizeof why);
        pthread_mutex_unlock(&d->mu);
        evbuffer_add_printf(b, "{\"status\":\"failing\",\"reason\":\"destination ");
        json_escaped(b, d->name);
        evbuffer_add_printf(b, " failing for %lld s: ", (long long)(for_ns / 1000000000));
        json_escaped(b, why);
        evbuffer_add_printf(b, "\"}\n");
        send_text(req, 503, "Service Unavailable", "application/json", b);
    } else {
        evbuffer_add_printf(b, "{\"status\":\"ok\"}\n");
        send_text(req, 200, "OK", "application/json", b);
    }
    evbuffer_free(b);
}

/* ---- /metrics ------------------------------------------------------------ */

/* A label value with \, " and newline escaped (exposition format). */
static void add_label(struct evbuffer *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            evbuffer_add(b, "\\\\", 2);
        else if (*v == '"')
            evbuffer_add(b, "\\\"", 2);
        else if (*v == '\n')
            evbuffer_add(b, "\\n", 2);
        else
            evbuffer_add(b, v, 1);
    }
}

static void header(struct evbuffer *b, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct evbuffer *b, const char *name, const char *label, const char *value,
                   unsigned long long v)
{
    evbuffer_add_printf(b, "%s{%s=\"", name, label);
    add_label(b, value);
    evbuffer_add_printf(b, "\"} %llu\n", v);
}

#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

typedef struct {
    struct evbuffer *b;
    const char *source;
} drops_ctx;

static void emit_drops(void *ctx, const char *item, uint64_t drops)
{
    drops_ctx *c = ctx;
    evbuffer_add_printf(c->b, "sluice_source_kernel_drops_total{source=\"");
    add_label(c->b, c->source);
    evbuffer_add_printf(c->b, "\",listen=\"");
    add_label(c->b, item);
    evbuffer_add_printf(c->b, "\"} %llu\n", (unsigned long long)drops);
}

/* Datagrams the kernel dropped on UDP listeners (receive buffer full). */
static void kernel_drop_metrics(struct evbuffer *b, sl_runtime *rt)
{
    header(b, "sluice_source_kernel_drops_total", "counter",
           "Datagrams the kernel dropped on a UDP listener because its receive buffer was full "
           "(raise receive_buffer).");
    for (size_t i = 0; i < rt->n_sources; i++) {
        sl_source *s = &rt->sources[i];
        if (s->started && !s->stopped && s->plugin->source->kernel_drops) {
            drops_ctx c = {b, s->name};
            s->plugin->source->kernel_drops(s, emit_drops, &c);
        }
    }
}

/* Per handler of each pipeline: summed over the workers' counters. */
static void handler_metrics(struct evbuffer *b, sl_runtime *rt)
{
    static const char *const names[SL_HSTATS] = {
        "sluice_handler_events_in_total", "sluice_handler_events_out_total",
        "sluice_handler_events_dropped_total", "sluice_handler_errors_total"};
    static const char *const helps[SL_HSTATS] = {
        "Events the handler was given.", "Events the handler passed on (emitted ones included).",
        "Events the handler dropped (filters, sample, dedup, route to nowhere).",
        "Events the handler failed on (dead-lettered, or counted and dropped)."};
    size_t stride = rt->n_handler_stats ? rt->n_handler_stats : 1;
    for (int k = 0; k < SL_HSTATS; k++) {
        header(b, names[k], "counter", helps[k]);
        for (size_t i = 0; i < rt->n_pipelines; i++) {
            sl_pipeline *p = &rt->pipelines[i];
            for (size_t j = 0; j < p->n_handlers; j++) {
                const sl_handler_inst *h = &p->handlers[j];
                unsigned long long sum = 0;
                for (size_t w = 0; w < rt->n_workers; w++)
                    sum += LOAD(rt->handler_stats[(w * stride + h->stat_index) * SL_HSTATS + k]);
                evbuffer_add_printf(b, "%s{pipeline=\"", names[k]);
                add_label(b, p->name);
                evbuffer_add_printf(b, "\",handler=\"%zu\",type=\"", h->position);
                add_label(b, h->plugin->name);
                evbuffer_add_printf(b, "\"} %llu\n", sum);
            }
        }
    }
}

typedef struct {
    struct evbuffer *b;
    const char *source;
} lag_ctx;

static void emit_lag(void *ctx, const char *item, uint64_t bytes)
{
    lag_ctx *l = ctx;
    evbuffer_add_printf(l->b, "sluice_file_checkpoint_lag_bytes{source=\"");
    add_label(l->b, l->source);
    evbuffer_add_printf(l->b, "\",file=\"");
    add_label(l->b, item);
    evbuffer_add_printf(l->b, "\"} %llu\n", (unsigned long long)bytes);
}

/* Per tailed file: bytes written beyond the delivered (checkpointable)
 * position. */
static void lag_metrics(struct evbuffer *b, sl_runtime *rt)
{
    header(b, "sluice_file_checkpoint_lag_bytes", "gauge",
           "Bytes of an open tailed file beyond its delivered position.");
    for (size_t i = 0; i < rt->n_sources; i++) {
        sl_source *s = &rt->sources[i];
        if (s->started && !s->stopped && s->plugin->source->lag) {
            lag_ctx l = {b, s->name};
            s->plugin->source->lag(s, emit_lag, &l);
        }
    }
}

/* Per destination: how long batches take to commit, how old the oldest
 * waiting event is, how long it has been failing. */
static void latency_metrics(struct evbuffer *b, sl_runtime *rt)
{
    const char *h = "sluice_destination_batch_latency_seconds";
    header(b, h, "histogram", "Time from a batch leaving the buffer to its commit, retries "
                              "included.");
    for (size_t i = 0; i < rt->n_dests; i++) {
        sl_dest *d = &rt->dests[i];
        unsigned long long cum = 0;
        for (size_t k = 0; k < SL_LATENCY_BUCKETS; k++) {
            cum += LOAD(d->latency_buckets[k]);
            evbuffer_add_printf(b, "%s_bucket{destination=\"", h);
            add_label(b, d->name);
            if (k < SL_LATENCY_BUCKETS - 1)
                evbuffer_add_printf(b, "\",le=\"%g\"} %llu\n", sl_latency_bounds[k], cum);
            else
                evbuffer_add_printf(b, "\",le=\"+Inf\"} %llu\n", cum);
        }
        evbuffer_add_printf(b, "%s_sum{destination=\"", h);
        add_label(b, d->name);
        evbuffer_add_printf(b, "\"} %.6f\n", (double)LOAD(d->latency_sum_us) / 1e6);
        evbuffer_add_printf(b, "%s_count{destination=\"", h);
        add_label(b, d->name);
        evbuffer_add_printf(b, "\"} %llu\n", LOAD(d->latency_count));
    }
    int64_t now = sl_mono_ns();
    header(b, "sluice_destination_oldest_event_age_seconds", "gauge",
           "How long the oldest event waiting in the destination's buffer has waited (0: none).");
    for (size_t i = 0; i < rt->n_dests; i++) {
        sl_dest *d = &rt->dests[i];
        pthread_mutex_lock(&d->mu);
        double age = d->ring_count ? (double)(now - d->oldest_ns) / 1e9 : 0;
        pthread_mutex_unlock(&d->mu);
        evbuffer_add_printf(b, "sluice_destination_oldest_event_age_seconds{destination=\"");
        add_label(b, d->name);
        evbuffer_add_printf(b, "\"} %.3f\n", age);
    }
    header(b, "sluice_destination_failing_seconds", "gauge",
           "How long the destination has failed to deliver (0: it delivers).");
    for (size_t i = 0; i < rt->n_dests; i++) {
        int64_t since = atomic_load(&rt->dests[i].failing_since_ns);
        evbuffer_add_printf(b, "sluice_destination_failing_seconds{destination=\"");
        add_label(b, rt->dests[i].name);
        evbuffer_add_printf(b, "\"} %.3f\n", since ? (double)(now - since) / 1e9 : 0.0);
    }
}

/* Disk buffers (buffer.type: disk), one sample per destination that has one. */
static void disk_buffer_metrics(struct evbuffer *b, sl_runtime *rt)
{
    size_t n = rt->n_dests ? rt->n_dests : 1;
    sl_disk_buffer_stats *st = sl_calloc(n, sizeof *st);
    bool any = false;
    for (size_t i = 0; i < rt->n_dests; i++)
        if (rt->dests[i].disk) {
            sl_disk_buffer_get_stats(rt->dests[i].disk, &st[i]);
            any = true;
        }
    static const struct {
        const char *name, *type, *help;
        size_t off;
        bool is_bool;
    } m[] = {
        {"sluice_disk_buffer_bytes", "gauge", "Bytes of the disk buffer's segment files.",
         offsetof(sl_disk_buffer_stats, disk_bytes), false},
        {"sluice_disk_buffer_unreleased_bytes", "gauge",
         "Bytes of records written to the disk buffer and not yet delivered.",
         offsetof(sl_disk_buffer_stats, unreleased_bytes), false},
        {"sluice_disk_buffer_records_written_total", "counter",
         "Events written to the disk buffer.", offsetof(sl_disk_buffer_stats, records_written),
         false},
        {"sluice_disk_buffer_records_replayed_total", "counter",
         "Events read back from the disk buffer and handed to the destination.",
         offsetof(sl_disk_buffer_stats, records_replayed), false},
        {"sluice_disk_buffer_corrupt_records_total", "counter",
         "Corrupt or torn records found and skipped.",
         offsetof(sl_disk_buffer_stats, corrupt_records), false},
        {"sluice_disk_buffer_skipped_bytes_total", "counter",
         "Bytes skipped because they held no intact record.",
         offsetof(sl_disk_buffer_stats, skipped_bytes), false},
        {"sluice_disk_buffer_write_errors_total", "counter",
         "Failed writes to the disk buffer (disk full, I/O errors); each is retried.",
         offsetof(sl_disk_buffer_stats, write_errors), false},
        {"sluice_disk_buffer_blocked", "gauge",
         "1 while writers wait for the disk buffer (full, or the disk failing), else 0.",
         offsetof(sl_disk_buffer_stats, blocked), true},
    };
    for (size_t k = 0; any && k < sizeof m / sizeof *m; k++) {
        header(b, m[k].name, m[k].type, m[k].help);
        for (size_t i = 0; i < rt->n_dests; i++) {
            if (!rt->dests[i].disk)
                continue;
            const char *f = (const char *)&st[i] + m[k].off;
            unsigned long long v = m[k].is_bool ? *(const bool *)f : *(const uint64_t *)f;
            sample(b, m[k].name, "destination", rt->dests[i].name, v);
        }
    }
    free(st);
}

static void metrics_cb(struct evhttp_request *req, void *arg)
{
    sl_admin *a = arg;
    sl_runtime *rt = a->rt;
    struct evbuffer *b = evbuffer_new();

    static const struct {
        const char *name, *help;
        size_t off;
    } src_counters[] = {
        {"sluice_source_events_in_total", "Events read by the source.",
         offsetof(sl_source, events_in)},
        {"sluice_source_bytes_in_total", "Bytes of events read by the source.",
         offsetof(sl_source, bytes_in)},
        {"sluice_source_chunks_failed_total",
         "Chunks of the source with an event that could not be delivered.",
         offsetof(sl_source, chunks_failed)},
    };
    for (size_t k = 0; k < sizeof src_counters / sizeof *src_counters; k++) {
        header(b, src_counters[k].name, "counter", src_counters[k].help);
        for (size_t i = 0; i < rt->n_sources; i++) {
            sl_source *s = &rt->sources[i];
            atomic_uint_fast64_t *c = (atomic_uint_fast64_t *)((char *)s + src_counters[k].off);
            sample(b, src_counters[k].name, "source", s->name, LOAD(*c));
        }
    }

    static const struct {
        const char *name, *help;
        size_t off;
    } dest_counters[] = {
        {"sluice_destination_events_out_total", "Events the destination committed.",
         offsetof(sl_dest, events_out)},
        {"sluice_destination_batches_out_total", "Batches the destination committed.",
         offsetof(sl_dest, batches_out)},
        {"sluice_destination_events_failed_total",
         "Events the destination refused or gave up on.", offsetof(sl_dest, events_failed)},
        {"sluice_destination_retries_total", "Send attempts that will be retried.",
         offsetof(sl_dest, retries)},
        {"sluice_destination_events_dropped_total",
         "Events dropped because the buffer was full (buffer.when_full: drop_newest).",
         offsetof(sl_dest, events_dropped)},
    };
    for (size_t k = 0; k < sizeof dest_counters / sizeof *dest_counters; k++) {
        header(b, dest_counters[k].name, "counter", dest_counters[k].help);
        for (size_t i = 0; i < rt->n_dests; i++) {
            sl_dest *d = &rt->dests[i];
            atomic_uint_fast64_t *c = (atomic_uint_fast64_t *)((char *)d + dest_counters[k].off);
            sample(b, dest_counters[k].name, "destination", d->name, LOAD(*c));
        }
    }
    size_t n = rt->n_dests ? rt->n_dests : 1;
    unsigned long long *bev = sl_calloc(n, sizeof *bev), *bby = sl_calloc(n, sizeof *bby);
    for (size_t i = 0; i < rt->n_dests; i++) {
        sl_dest *d = &rt->dests[i];
        pthread_mutex_lock(&d->mu);
        bev[i] = d->ring_count;
        bby[i] = d->ring_bytes;
        pthread_mutex_unlock(&d->mu);
    }
    header(b, "sluice_destination_buffer_events", "gauge",
           "Events waiting in the destination's buffer.");
    for (size_t i = 0; i < rt->n_dests; i++)
        sample(b, "sluice_destination_buffer_events", "destination", rt->dests[i].name, bev[i]);
    header(b, "sluice_destination_buffer_bytes", "gauge",
           "Bytes of events waiting in the destination's buffer.");
    for (size_t i = 0; i < rt->n_dests; i++)
        sample(b, "sluice_destination_buffer_bytes", "destination", rt->dests[i].name, bby[i]);
    header(b, "sluice_destination_buffer_max_events", "gauge",
           "Capacity of the destination's buffer in events (buffer.max_events).");
    for (size_t i = 0; i < rt->n_dests; i++)
        sample(b, "sluice_destination_buffer_max_events", "destination", rt->dests[i].name,
               (unsigned long long)rt->dests[i].ring_cap);
    free(bev);
    free(bby);
    handler_metrics(b, rt);
    lag_metrics(b, rt);
    kernel_drop_metrics(b, rt);
    latency_metrics(b, rt);
    disk_buffer_metrics(b, rt);

    static const struct {
        const char *name, *help;
        size_t off;
    } pipe_counters[] = {
        {"sluice_pipeline_events_dropped_total", "Events the pipeline's handlers dropped.",
         offsetof(sl_pipeline, dropped)},
        {"sluice_pipeline_handler_errors_total",
         "Handler errors with no dead-letter destination.", offsetof(sl_pipeline, handler_errors)},
        {"sluice_pipeline_dead_lettered_total", "Events sent to the dead-letter destination.",
         offsetof(sl_pipeline, dead_lettered)},
    };
    for (size_t k = 0; k < sizeof pipe_counters / sizeof *pipe_counters; k++) {
        header(b, pipe_counters[k].name, "counter", pipe_counters[k].help);
        for (size_t i = 0; i < rt->n_pipelines; i++) {
            sl_pipeline *p = &rt->pipelines[i];
            atomic_uint_fast64_t *c = (atomic_uint_fast64_t *)((char *)p + pipe_counters[k].off);
            sample(b, pipe_counters[k].name, "pipeline", p->name, LOAD(*c));
        }
    }

    size_t qev, qby;
    sl_queue_stats(&rt->queue, &qev, &qby);
    header(b, "sluice_queue_events", "gauge", "Events waiting between sources and workers.");
    evbuffer_add_printf(b, "sluice_queue_events %zu\n", qev);
    header(b, "sluice_queue_bytes", "gauge", "Bytes waiting between sources and workers.");
    evbuffer_add_printf(b, "sluice_queue_bytes %zu\n", qby);
    header(b, "sluice_live_bytes", "gauge",
           "Bytes of chunks of events alive anywhere in the pipeline (service.memory_limit).");
    evbuffer_add_printf(b, "sluice_live_bytes %llu\n", LOAD(rt->live_bytes));
    header(b, "sluice_live_chunks", "gauge", "Chunks of events alive anywhere in the pipeline.");
    evbuffer_add_printf(b, "sluice_live_chunks %llu\n", LOAD(rt->live_chunks));
    header(b, "sluice_failed_chunks_total", "counter",
           "Chunks with an event that could not be delivered.");
    evbuffer_add_printf(b, "sluice_failed_chunks_total %llu\n", LOAD(rt->failed_chunks));
    header(b, "sluice_draining", "gauge", "1 while sluice is stopping (draining), else 0.");
    evbuffer_add_printf(b, "sluice_draining %d\n", rt->draining ? 1 : 0);
    header(b, "sluice_uptime_seconds", "gauge", "Seconds since sluice started running.");
    evbuffer_add_printf(b, "sluice_uptime_seconds %.3f\n",
                        (double)(sl_mono_ns() - rt->started_ns) / 1e9);
    header(b, "sluice_build_info", "gauge", "Always 1; the version is a label.");
    evbuffer_add_printf(b, "sluice_build_info{version=\"%s\"} 1\n", SLUICE_VERSION);

    send_text(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", b);
    evbuffer_free(b);
}

/* ---- /status: one JSON snapshot (what `sluice status` shows) -------------- */

static void json_str(struct evbuffer *b, const char *key, const char *v)
{
    evbuffer_add_printf(b, "\"%s\":\"", key);
    json_escaped(b, v ? v : "");
    evbuffer_add(b, "\"", 1);
}

static void status_cb(struct evhttp_request *req, void *arg)
{
    sl_admin *a = arg;
    sl_runtime *rt = a->rt;
    int64_t now = sl_mono_ns();
    struct evbuffer *b = evbuffer_new();
    size_t qev, qby;
    sl_queue_stats(&rt->queue, &qev, &qby);
    evbuffer_add_printf(b, "{\"version\":\"%s\",\"uptime_seconds\":%.3f,\"state\":\"%s\","
                           "\"workers\":%zu,\"queue\":{\"events\":%zu,\"bytes\":%zu},"
                           "\"memory\":{\"live_bytes\":%llu,\"limit_bytes\":%llu},",
                        SLUICE_VERSION, (double)(now - rt->started_ns) / 1e9,
                        rt->reloading ? "reloading" : rt->draining ? "draining" : "running",
                        rt->n_workers, qev, qby, LOAD(rt->live_bytes),
                        (unsigned long long)rt->cfg->service.memory_limit);
    evbuffer_add_printf(b, "\"sources\":[");
    for (size_t i = 0; i < rt->n_sources; i++) {
        sl_source *s = &rt->sources[i];
        evbuffer_add_printf(b, "%s{", i ? "," : "");
        json_str(b, "name", s->name);
        evbuffer_add(b, ",", 1);
        json_str(b, "type", s->plugin->name);
        evbuffer_add_printf(b, ",\"events_in\":%llu,\"bytes_in\":%llu,\"paused\":%s}",
                            LOAD(s->events_in), LOAD(s->bytes_in),
                            s->paused ? "true" : "false");
    }
    evbuffer_add_printf(b, "],\"destinations\":[");
    for (size_t i = 0; i < rt->n_dests; i++) {
        sl_dest *d = &rt->dests[i];
        char why[sizeof d->last_error];
        pthread_mutex_lock(&d->mu);
        size_t ring_events = d->ring_count;
        unsigned long long ring_bytes = d->ring_bytes;
        double age = d->ring_count ? (double)(now - d->oldest_ns) / 1e9 : 0;
        memcpy(why, d->last_error, sizeof why);
        pthread_mutex_unlock(&d->mu);
        int64_t since = atomic_load(&d->failing_since_ns);
        evbuffer_add_printf(b, "%s{", i ? "," : "");
        json_str(b, "name", d->name);
        evbuffer_add(b, ",", 1);
        json_str(b, "type", d->plugin->name);
        evbuffer_add_printf(b, ",\"events_out\":%llu,\"events_failed\":%llu,"
                               "\"events_dropped\":%llu,\"retries\":%llu,"
                               "\"buffer_events\":%zu,\"buffer_bytes\":%llu,"
                               "\"oldest_event_age_seconds\":%.3f,\"failing_seconds\":%.3f,",
                            LOAD(d->events_out), LOAD(d->events_failed), LOAD(d->events_dropped),
                            LOAD(d->retries), ring_events, ring_bytes, age,
                            since ? (double)(now - since) / 1e9 : 0.0);
        json_str(b, "last_error", since ? why : "");
        if (d->disk) {
            sl_disk_buffer_stats st;
            sl_disk_buffer_get_stats(d->disk, &st);
            evbuffer_add_printf(b, ",\"disk\":{\"bytes\":%llu,\"unreleased_bytes\":%llu,"
                                   "\"corrupt_records\":%llu,\"blocked\":%s}",
                                (unsigned long long)st.disk_bytes,
                                (unsigned long long)st.unreleased_bytes,
                                (unsigned long long)st.corrupt_records,
                                st.blocked ? "true" : "false");
        }
        evbuffer_add(b, "}", 1);
    }
    evbuffer_add_printf(b, "],\"pipelines\":[");
    for (size_t i = 0; i < rt->n_pipelines; i++) {
        sl_pipeline *p = &rt->pipelines[i];
        evbuffer_add_printf(b, "%s{", i ? "," : "");
        json_str(b, "name", p->name);
        evbuffer_add_printf(b, ",\"dropped\":%llu,\"handler_errors\":%llu,"
                               "\"dead_lettered\":%llu}",
                            LOAD(p->dropped), LOAD(p->handler_errors), LOAD(p->dead_lettered));
    }
    evbuffer_add_printf(b, "]}\n");
    send_text(req, 200, "OK", "application/json", b);
    evbuffer_free(b);
}

static void other_cb(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "not found: try /health, /metrics or /status\n");
    send_text(req, 404, "Not Found", "text/plain; charset=utf-8", b);
    evbuffer_free(b);
}

sl_admin *sl_admin_start(sl_runtime *rt, const char *listen)
{
    char *host;
    uint16_t port;
    const char *why;
    if (sl_admin_parse_listen(listen, &host, &port, &why) != 0) {
        sl_error(ADMIN, "service.admin.listen \"%s\": %s", listen, why);
        return NULL;
    }
    sl_admin *a = sl_calloc(1, sizeof *a);
    a->rt = rt;
    a->http = evhttp_new(rt->base);
    if (!a->http) {
        sl_error(ADMIN, "cannot create the admin HTTP server");
        free(host);
        free(a);
        return NULL;
    }
    evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_timeout(a->http, 10);
    evhttp_set_max_headers_size(a->http, 16384);
    evhttp_set_max_body_size(a->http, 0);
    evhttp_set_cb(a->http, "/health", health_cb, a);
    evhttp_set_cb(a->http, "/metrics", metrics_cb, a);
    evhttp_set_cb(a->http, "/status", status_cb, a);
    evhttp_set_gencb(a->http, other_cb, a);
    if (!evhttp_bind_socket_with_handle(a->http, host, port)) {
        sl_error(ADMIN, "cannot listen on %s (service.admin.listen): address in use, "
                        "not available here, or not permitted", listen);
        evhttp_free(a->http);
        free(host);
        free(a);
        return NULL;
    }
    sl_info(ADMIN, "admin endpoint on http://%s/ (/health, /metrics, /status)", listen);
    free(host);
    return a;
}

void sl_admin_free(sl_admin *a)
{
    if (!a)
        return;
    evhttp_free(a->http);
    free(a);
}
