/* http_source.c: the `http` source. An evhttp server on the I/O thread's
 * event base; each POST to `path` is one chunk (the body, inflated when
 * Content-Encoding is gzip, is the chunk's data; http_body.c decodes it into
 * events). The reply is sent only after the chunk's ack fired: chunk_done
 * (any thread) puts the request on a locked list and activates an event,
 * whose callback (I/O thread) answers 200, or 500 when the chunk has
 * SL_ACK_FAILED. A request whose client went away meanwhile is still a
 * valid evhttp_request (libevent detaches it from the dead connection);
 * evhttp_send_reply then just frees it.
 *
 * HTTPS (tls.cert_file): evhttp_set_bevcb makes every accepted connection
 * a bufferevent_openssl in accepting state over one SSL_CTX per source
 * (tls_server.c); evhttp sets its fd and drives it like a socket, so
 * request_timeout also bounds the handshake. tls_server's info callback
 * counts and logs failed handshakes with the peer's address. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "listen_fds.h"
#include "log.h"
#include "runtime.h"
#include "sources/http_body.h"
#include "sources/tls_server.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define HTTP "http source"

typedef struct {
    char *listen;
    char *path;
    int format;
    uint64_t max_body_bytes;
    char *token;
    int64_t max_connections;
    int64_t request_timeout;
    sl_tls_cfg tls;
} http_cfg;

static const char *const formats[] = {"auto", "ndjson", "json_array", "lines", NULL};

static const sl_option http_options[] = {
    {"listen", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, offsetof(http_cfg, listen),
     "HOST:PORT to listen on (e.g. 127.0.0.1:8080, [::1]:8080)."},
    {"path", SL_OPT_STRING, "/", 0, 0, 0, NULL, offsetof(http_cfg, path),
     "The path events are POSTed to; other paths get 404 (GET /health answers 200 \"ok\")."},
    {"format", SL_OPT_ENUM, "auto", 0, 0, 0, formats, offsetof(http_cfg, format),
     "Body format: ndjson (one JSON object a line), json_array (an array of objects), lines "
     "(plain lines), or auto: by Content-Type (application/json: json_array, "
     "application/x-ndjson: ndjson, else lines)."},
    {"max_body_bytes", SL_OPT_SIZE, "10MiB", 0, 1, INT64_MAX, NULL,
     offsetof(http_cfg, max_body_bytes),
     "Largest body accepted, before and after gzip inflation; larger gets 413."},
    {"auth.token", SL_OPT_STRING, NULL, SL_OPTF_SECRET, 0, 0, NULL, offsetof(http_cfg, token),
     "When set, requests must carry \"Authorization: Bearer TOKEN\" (else 401)."},
    {"max_connections", SL_OPT_INT, "256", 0, 1, 1000000, NULL,
     offsetof(http_cfg, max_connections),
     "Most requests handled at once (waiting for their acks); more get 503 with Retry-After."},
    {"request_timeout", SL_OPT_DURATION, "30s", 0, 1000000, 86400000000000LL, NULL,
     offsetof(http_cfg, request_timeout),
     "Time a connection may take to send its request (evhttp's timeout; with TLS it "
     "bounds the handshake too)."},
    SL_TLS_OPTIONS(http_cfg, tls),
    SL_OPT_END,
};

typedef struct http_req http_req;
struct http_req {
    struct evhttp_request *req;
    unsigned status;
    http_req *next;
};

typedef struct {
    sl_source *src;
    const http_cfg *cfg;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;  /* the listening socket */
    char *listen_key;                   /* "http://HOST:PORT" (listen_fds.h) */
    sl_tls_server *tls;       /* NULL: plain HTTP */
    struct event *done_ev;
    pthread_mutex_t lock;
    http_req *done;           /* acked, to answer (under lock) */
    int64_t inflight;         /* I/O thread only */
    bool paused, stopped;
} http_state;

static void reply_text(struct evhttp_request *req, int code, const char *reason,
                       const char *text)
{
    struct evbuffer *b = evbuffer_new();
    if (b && text)
        evbuffer_add_printf(b, "%s\n", text);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/plain");
    evhttp_send_reply(req, code, reason, b);
    if (b)
        evbuffer_free(b);
}

static void reply_busy(struct evhttp_request *req, int code, const char *reason)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
    reply_text(req, code, reason, "busy, retry later");
}

static void answer_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_state *st = arg;
    pthread_mutex_lock(&st->lock);
    http_req *list = st->done;
    st->done = NULL;
    pthread_mutex_unlock(&st->lock);
    while (list) {
        http_req *r = list;
        list = r->next;
        st->inflight--;
        if (r->status & SL_ACK_FAILED)
            reply_text(r->req, 500, "Internal Server Error", "events could not be delivered");
        else
            reply_text(r->req, 200, "OK", "ok");
        free(r);
    }
}

static void http_chunk_done(sl_source *src, sl_chunk *c, unsigned status)
{
    http_state *st = src->state;
    http_req *r = c->source_ctx;
    if (!st || !r)
        return;
    r->status = status;
    pthread_mutex_lock(&st->lock);
    r->next = st->done;
    st->done = r;
    pthread_mutex_unlock(&st->lock);
    event_active(st->done_ev, EV_READ, 0);
}

static bool authorized(const http_state *st, struct evhttp_request *req)
{
    if (!st->cfg->token || !*st->cfg->token)
        return true;
    const char *a = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!a || strncasecmp(a, "Bearer ", 7) != 0)
        return false;
    a += 7;
    const char *t = st->cfg->token;
    size_t na = strlen(a), nt = strlen(t);
    unsigned diff = na != nt;
    for (size_t i = 0; i < na && i < nt; i++)
        diff |= (unsigned)(a[i] ^ t[i]);
    return diff == 0;
}

static void handle(struct evhttp_request *req, void *arg)
{
    http_state *st = arg;
    const http_cfg *cfg = st->cfg;
    const char *uri = evhttp_request_get_uri(req);
    struct evhttp_uri *u = evhttp_uri_parse(uri);
    const char *path = u ? evhttp_uri_get_path(u) : NULL;
    if (!path || !*path)
        path = "/";
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (strcmp(path, "/health") == 0 && strcmp(cfg->path, "/health") != 0) {
        evhttp_uri_free(u);
        if (cmd != EVHTTP_REQ_GET)
            reply_text(req, 405, "Method Not Allowed", "use GET");
        else
            reply_text(req, 200, "OK", "ok");
        return;
    }
    bool match = !strcmp(path, cfg->path);
    if (u)
        evhttp_uri_free(u);
    if (!match) {
        reply_text(req, 404, "Not Found", "not found");
        return;
    }
    if (cmd != EVHTTP_REQ_POST) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
        reply_text(req, 405, "Method Not Allowed", "use POST");
        return;
    }
    if (!authorized(st, req)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
        reply_text(req, 401, "Unauthorized", "missing or wrong bearer token");
        return;
    }
    if (st->stopped) {
        reply_busy(req, 503, "Service Unavailable");
        return;
    }
    if (st->inflight >= cfg->max_connections) {
        reply_busy(req, 503, "Service Unavailable");
        return;
    }
    if (st->paused || !sl_source_may_read(st->src)) {
        reply_busy(req, 429, "Too Many Requests");
        return;
    }
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct evbuffer *body = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(body);
    if (n > cfg->max_body_bytes) {
        reply_text(req, 413, "Payload Too Large", "body too large");
        return;
    }
    const char *enc = evhttp_find_header(in, "Content-Encoding");
    char *raw = (char *)evbuffer_pullup(body, -1);
    char *inflated = NULL;
    if (enc && strcasecmp(enc, "identity") != 0) {
        if (strcasecmp(enc, "gzip") != 0 && strcasecmp(enc, "x-gzip") != 0) {
            reply_text(req, 415, "Unsupported Media Type", "Content-Encoding must be gzip");
            return;
        }
        const char *why = "invalid gzip data";
        size_t len = 0;
        int rc = sl_http_body_gunzip(raw, n, cfg->max_body_bytes, &inflated, &len, &why);
        if (rc == SL_HTTP_GZ_TOO_BIG) {
            reply_text(req, 413, "Payload Too Large", "inflated body too large");
            return;
        }
        if (rc != SL_HTTP_GZ_OK) {
            reply_text(req, 400, "Bad Request", why);
            return;
        }
        raw = inflated;
        n = len;
    }
    sl_http_format fmt = sl_http_body_format((sl_http_format)cfg->format,
                                             evhttp_find_header(in, "Content-Type"));
    sl_chunk *c = sl_source_new_chunk(st->src, n ? n : 1);
    if (n)
        memcpy(c->data, raw, n);
    c->data_len = n;
    free(inflated);
    const char *why = "cannot decode the body";
    if (!sl_http_body_decode(c, fmt, sl_now_ns(), &why)) {
        sl_chunk_discard(c);
        reply_text(req, 400, "Bad Request", why);
        return;
    }
    if (c->n_events == 0) {
        sl_chunk_discard(c);
        reply_text(req, 200, "OK", "ok");
        return;
    }
    c->origin_key = "peer";
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (evcon) {
        char *addr = NULL;
        ev_uint16_t port = 0;
        evhttp_connection_get_peer(evcon, &addr, &port);
        if (addr) {
            char peer[300];
            int pn = snprintf(peer, sizeof peer, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr,
                              (unsigned)port);
            if (pn > 0 && (size_t)pn < sizeof peer)
                c->origin = sl_arena_strndup(&c->arena, peer, (size_t)pn);
        }
    }
    http_req *r = sl_calloc(1, sizeof *r);
    r->req = req;
    c->source_ctx = r;
    st->inflight++;
    if (!sl_source_submit(st->src, c))
        st->paused = true; /* the runtime keeps the chunk; answered when acked */
}

/* HOST:PORT, HOST may be [v6]. */
static bool split_listen(const char *s, char *host, size_t cap, unsigned *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return false;
    size_t hl = (size_t)(colon - s);
    const char *h = s;
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= cap)
        return false;
    memcpy(host, h, hl);
    host[hl] = 0;
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p == 0 || p > 65535)
        return false;
    *port = (unsigned)p;
    return true;
}

static void http_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    (void)node;
    http_cfg *cfg = cfgp;
    char host[256];
    unsigned port;
    if (cfg->listen && !split_listen(cfg->listen, host, sizeof host, &port))
        sl_diag_error(d, node, "%s: listen: expected HOST:PORT, got \"%s\"", what, cfg->listen);
    if (cfg->path && cfg->path[0] != '/')
        sl_diag_error(d, node, "%s: path must start with /", what);
    sl_tls_check(&cfg->tls, node, what, d);
}

/* evhttp's per-connection bufferevent: TLS, server side, over the fd that
 * evhttp sets next. */
static struct bufferevent *https_bev(struct event_base *base, void *arg)
{
    http_state *st = arg;
    SSL *ssl = sl_tls_server_ssl(st->tls);
    if (!ssl)
        sl_oom();       /* a NULL here would make evhttp serve plain HTTP */
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        sl_oom();
    return bev;
}

static int http_start(sl_source *src)
{
    const http_cfg *cfg = src->cfg;
    http_state *st = sl_calloc(1, sizeof *st);
    src->state = st;
    st->src = src;
    st->cfg = cfg;
    pthread_mutex_init(&st->lock, NULL);
    struct event_base *base = sl_source_base(src);
    st->done_ev = event_new(base, -1, 0, answer_done, st);
    st->http = evhttp_new(base);
    char host[256];
    unsigned port = 0;
    if (!st->done_ev || !st->http || !split_listen(cfg->listen, host, sizeof host, &port)) {
        sl_error(HTTP, "%s: cannot set up the HTTP server", src->name);
        return -1;
    }
    evhttp_set_max_body_size(st->http, (ev_ssize_t)cfg->max_body_bytes);
    evhttp_set_timeout_tv(st->http, &(struct timeval){
        .tv_sec = cfg->request_timeout / 1000000000,
        .tv_usec = (cfg->request_timeout % 1000000000) / 1000});
    evhttp_set_allowed_methods(st->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                             EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
                                             EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(st->http, handle, st);
    if (sl_tls_enabled(&cfg->tls)) {
        st->tls = sl_tls_server_new(&cfg->tls, HTTP, src->name, true);
        if (!st->tls)
            return -1;
        evhttp_set_bevcb(st->http, https_bev, st);
    }
    sl_buf key = {0};
    sl_buf_printf(&key, "http://%s", cfg->listen);
    sl_buf_putc(&key, 0);
    st->listen_key = key.p;
    int inherited = sl_listen_fds_take(st->listen_key);   /* across a reload */
    st->bound = inherited >= 0 ? evhttp_accept_socket_with_handle(st->http, inherited)
                               : evhttp_bind_socket_with_handle(st->http, host, (ev_uint16_t)port);
    if (!st->bound) {
        sl_error(HTTP, "%s: cannot listen on %s", src->name, cfg->listen);
        if (inherited >= 0)
            close(inherited);
        return -1;
    }
    sl_info(HTTP, "%s: listening on %s%s", src->name, cfg->listen, st->tls ? " (HTTPS)" : "");
    return 0;
}

static void http_resume(sl_source *src)
{
    http_state *st = src->state;
    if (st)
        st->paused = false;
}

static void http_stop(sl_source *src)
{
    http_state *st = src->state;
    if (!st)
        return;
    st->stopped = true;
    if (st->bound && sl_listen_fds_handover()) {
        /* A reload: the next sluice takes the listening socket over. Stop
         * accepting here (what connects meanwhile waits in the backlog);
         * requests already read are still answered when acked. */
        int fd = fcntl(evhttp_bound_socket_get_fd(st->bound), F_DUPFD_CLOEXEC, 3);
        if (fd >= 0)
            sl_listen_fds_offer(st->listen_key, fd);
        evhttp_del_accept_socket(st->http, st->bound);
        st->bound = NULL;
    }
}

static void http_destroy(sl_source *src)
{
    http_state *st = src->state;
    if (!st)
        return;
    if (st->done_ev)
        answer_done(-1, 0, st);
    sl_tls_server_closing(st->tls);
    if (st->http)
        evhttp_free(st->http);
    free(st->listen_key);
    if (st->tls) {
        uint64_t ok, failed;
        sl_tls_server_counts(st->tls, &ok, &failed);
        if (ok || failed)
            sl_info(HTTP, "%s: %llu TLS handshakes completed, %llu failed", src->name,
                    (unsigned long long)ok, (unsigned long long)failed);
        sl_tls_server_free(st->tls);   /* after evhttp_free: its SSLs point to it */
    }
    if (st->done_ev)
        event_free(st->done_ev);
    pthread_mutex_destroy(&st->lock);
    free(st);
    src->state = NULL;
}

static const sl_source_ops http_ops = {
    .start = http_start,
    .resume = http_resume,
    .stop = http_stop,
    .destroy = http_destroy,
    .chunk_done = http_chunk_done,
};

const sl_plugin sl_source_http = {
    .name = "http",
    .kind = SL_PLUGIN_SOURCE,
    .summary = "Events POSTed over HTTP or HTTPS (NDJSON, JSON arrays or lines, optionally "
               "gzip); answered 200 only once delivered.",
    .options = http_options,
    .config_size = sizeof(http_cfg),
    .check = http_check,
    .source = &http_ops,
};
