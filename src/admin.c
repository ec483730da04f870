/* admin.c: GET /health and GET /metrics on service.admin.listen (see
 * admin.h). Everything runs on the I/O thread; counters are atomics other
 * threads advance, and each destination's buffer is read under its lock. */
#include "admin.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

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
    if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5 || atoi(p) < 1 ||
        atoi(p) > 65535) {
        *why = "the port must be a number from 1 to 65535";
        return -1;
    }
    *host = sl_strndup(h, hn);
    *port = (uint16_t)atoi(p);
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

static void health_cb(struct evhttp_request *req, void *arg)
{
    sl_admin *a = arg;
    struct evbuffer *b = evbuffer_new();
    if (a->rt->draining) {
        evbuffer_add_printf(b, "{\"status\":\"draining\"}\n");
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

static void other_cb(struct evhttp_request *req, void *arg)
{
    (void)arg;
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "not found: try /health or /metrics\n");
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
    evhttp_set_gencb(a->http, other_cb, a);
    if (!evhttp_bind_socket_with_handle(a->http, host, port)) {
        sl_error(ADMIN, "cannot listen on %s (service.admin.listen): address in use, "
                        "not available here, or not permitted", listen);
        evhttp_free(a->http);
        free(host);
        free(a);
        return NULL;
    }
    sl_info(ADMIN, "admin endpoint on http://%s/ (/health, /metrics)", listen);
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
