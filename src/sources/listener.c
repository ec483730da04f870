/* listener.c: URL parsing, binding, accepting, reading and pausing the
 * sockets of a network source (see listener.h). */
#include "sources/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <limits.h>
#include <netdb.h>
#include <openssl/err.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen_fds.h"
#include "log.h"
#include "util/clock.h"
#include "util/xalloc.h"

const char *const sl_long_message_modes[] = {"truncate", "skip", NULL};

#define READ_SIZE (64u * 1024)
#define DGRAMS_PER_TURN 64
#define ACCEPTS_PER_TURN 64
#define MIN_CHUNK 1024u

/* ---- URLs ---------------------------------------------------------------- */

static bool parse_hostport(const char *s, sl_listen_url *out, char *err, size_t errlen)
{
    const char *colon;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close) {
            snprintf(err, errlen, "missing \"]\" after the IPv6 address");
            return false;
        }
        size_t n = (size_t)(close - s - 1);
        if (n == 0 || n >= sizeof out->host) {
            snprintf(err, errlen, "empty or too long IPv6 address");
            return false;
        }
        memcpy(out->host, s + 1, n);
        out->host[n] = 0;
        struct in6_addr a6;
        if (inet_pton(AF_INET6, out->host, &a6) != 1) {
            snprintf(err, errlen, "\"%s\" is not an IPv6 address", out->host);
            return false;
        }
        if (close[1] != ':') {
            snprintf(err, errlen, "expected \":PORT\" after \"]\"");
            return false;
        }
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) {
            snprintf(err, errlen, "expected HOST:PORT");
            return false;
        }
        size_t n = (size_t)(colon - s);
        if (n >= sizeof out->host) {
            snprintf(err, errlen, "host name too long");
            return false;
        }
        memcpy(out->host, s, n);
        out->host[n] = 0;
        if (memchr(out->host, ':', n)) {
            snprintf(err, errlen, "an IPv6 address needs brackets: [%s]:PORT", out->host);
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            char ch = out->host[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' ||
                  (ch == '*' && n == 1))) {
                snprintf(err, errlen, "\"%s\" is not a host name or address", out->host);
                return false;
            }
        }
        if (strcmp(out->host, "*") == 0)
            out->host[0] = 0;
    }
    const char *port = colon + 1;
    size_t plen = strlen(port);
    long v = 0;
    if (plen == 0 || plen > 5) {
        snprintf(err, errlen, "expected a port number (1-65535) after \":\"");
        return false;
    }
    for (size_t i = 0; i < plen; i++) {
        if (port[i] < '0' || port[i] > '9') {
            snprintf(err, errlen, "\"%s\" is not a port number (1-65535)", port);
            return false;
        }
        v = v * 10 + (port[i] - '0');
    }
    if (v < 1 || v > 65535) {
        snprintf(err, errlen, "port %ld is out of range (1-65535)", v);
        return false;
    }
    snprintf(out->port, sizeof out->port, "%ld", v);
    return true;
}

bool sl_listen_parse(const char *url, sl_listen_url *out, char *err, size_t errlen)
{
    static const struct {
        const char *scheme;
        int kind;
    } schemes[] = {
        {"udp://", SL_LISTEN_UDP},
        {"tcp://", SL_LISTEN_TCP},
        {"unix-stream://", SL_LISTEN_UNIX_STREAM},
        {"unix://", SL_LISTEN_UNIX_DGRAM},
    };
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].scheme);
        if (strncmp(url, schemes[i].scheme, n) != 0)
            continue;
        out->kind = schemes[i].kind;
        const char *rest = url + n;
        if (out->kind == SL_LISTEN_UDP || out->kind == SL_LISTEN_TCP)
            return parse_hostport(rest, out, err, errlen);
        if (rest[0] != '/') {
            snprintf(err, errlen, "a unix socket needs an absolute path: %s/path",
                     schemes[i].scheme);
            return false;
        }
        if (strlen(rest) >= sizeof out->path) {
            snprintf(err, errlen, "the socket path is longer than %zu bytes",
                     sizeof out->path - 1);
            return false;
        }
        memcpy(out->path, rest, strlen(rest) + 1);
        return true;
    }
    snprintf(err, errlen,
             "expected udp://HOST:PORT, tcp://HOST:PORT, unix:///path or unix-stream:///path");
    return false;
}

static bool parse_mode(const char *s, unsigned *mode)
{
    if (!s || !*s || strlen(s) > 4)
        return false;
    unsigned v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '7')
            return false;
        v = v * 8 + (unsigned)(*p - '0');
    }
    *mode = v;
    return v <= 0777;
}

void sl_listener_check(const sl_listener_cfg *cfg, const sl_node *node, const char *what,
                       sl_diags *d)
{
    const sl_node *ln = sl_node_get(node, "listen");
    if (cfg->listen.n == 0)
        sl_diag_error(d, ln ? ln : node, "%s: listen: give at least one URL", what);
    for (size_t i = 0; i < cfg->listen.n; i++) {
        const sl_node *at = ln;
        if (ln && ln->kind == SL_NODE_SEQ && i < ln->n)
            at = ln->vals[i];
        sl_listen_url u;
        char err[200];
        if (!sl_listen_parse(cfg->listen.v[i], &u, err, sizeof err))
            sl_diag_error(d, at, "%s: listen: \"%s\": %s", what, cfg->listen.v[i], err);
    }
    sl_tls_check(&cfg->tls, node, what, d);
    if (sl_tls_enabled(&cfg->tls)) {
        bool any_stream = false;
        for (size_t i = 0; i < cfg->listen.n; i++) {
            sl_listen_url u;
            char err[200];
            if (sl_listen_parse(cfg->listen.v[i], &u, err, sizeof err) &&
                (u.kind == SL_LISTEN_TCP || u.kind == SL_LISTEN_UNIX_STREAM))
                any_stream = true;
        }
        if (!any_stream && cfg->listen.n)
            sl_diag_warn(d, sl_node_get(node, "tls") ? sl_node_get(node, "tls") : node,
                         "%s: tls: only tcp:// and unix-stream:// listeners speak TLS; these "
                         "datagram sockets do not", what);
    }
    unsigned mode;
    if (!parse_mode(cfg->socket_mode, &mode))
        sl_diag_error(d, sl_node_get(node, "socket_mode") ? sl_node_get(node, "socket_mode") : node,
                      "%s: socket_mode: \"%s\" is not an octal mode such as 0660", what,
                      cfg->socket_mode ? cfg->socket_mode : "");
}

/* ---- state ------------------------------------------------------------- */

typedef struct sock {
    struct sl_listener *l;
    int kind;
    int fd;
    struct event *ev;
    char *url;
    char path[108];         /* unix: the file we created */
    dev_t dev;
    ino_t ino;
    char *stage;            /* datagrams: where they are received first */
    size_t stage_cap;
} sock;

/* A connection's TLS state: none (plain), handshaking, open, or ended
 * (EOF or an error seen while returning data: the next turn closes). */
enum { TLS_NONE, TLS_HANDSHAKE, TLS_OPEN, TLS_EOF, TLS_BROKEN };

typedef struct conn {
    struct sl_listener *l;
    int fd;
    struct event *ev;
    short ev_what;          /* EV_READ, or EV_WRITE while OpenSSL wants to write */
    SSL *ssl;               /* NULL: plain */
    int tls;                /* TLS_* */
    int64_t hs_deadline;    /* monotonic ns: end of the handshake's time */
    bool armed_for_deadline;    /* the armed timeout is hs_deadline's, not idle_timeout's */
    sl_stream_framer fr;
    sl_chunk *cur;          /* being filled: holds the partial frame */
    char peer[80];
    struct conn *prev, *next;
} conn;

struct sl_listener {
    sl_source *src;
    const sl_listener_cfg *cfg;
    const char *comp;
    int framing;
    sl_listener_frame_fn fn;
    sock *socks;
    size_t n_socks;
    conn *conns;
    size_t n_conns;
    bool paused, stopped;
    sl_tls_server *tls;     /* NULL: plain */
    int64_t last_refuse_log, last_error_log;
    /* counters */
    uint64_t accepted, refused, truncated, skipped, garbage, read_errors, idle_closed;
};

/* Arm a connection's event (with idle_timeout when set; during a TLS
 * handshake, no later than the handshake's deadline either). */
static void conn_arm(struct conn *k)
{
    int64_t ns = k->l->cfg->idle_timeout_ns;
    k->armed_for_deadline = false;
    if (k->tls == TLS_HANDSHAKE) {
        int64_t left = k->hs_deadline - sl_mono_ns();
        if (left < 1000000)
            left = 1000000;
        if (ns <= 0 || left <= ns) {
            ns = left;
            k->armed_for_deadline = true;
        }
    }
    struct timeval tv = {(time_t)(ns / 1000000000), (suseconds_t)(ns % 1000000000 / 1000)};
    if (ns <= 0)
        event_del(k->ev);   /* event_add(NULL) would keep a handshake's timeout */
    event_add(k->ev, ns > 0 ? &tv : NULL);
}

/* Plaintext waiting inside OpenSSL: poll() cannot see it, so run the
 * connection's callback again at the next turn. */
static void conn_kick(struct conn *k)
{
    if (k->tls == TLS_EOF || k->tls == TLS_BROKEN ||
        (k->tls == TLS_OPEN && SSL_has_pending(k->ssl)))
        event_active(k->ev, EV_READ, 0);
}

static void pause_reading(sl_listener *l)
{
    if (l->paused)
        return;
    l->paused = true;
    for (size_t i = 0; i < l->n_socks; i++)
        if (l->socks[i].ev)
            event_del(l->socks[i].ev);
    for (conn *k = l->conns; k; k = k->next)
        event_del(k->ev);
}

void sl_listener_resume(sl_listener *l)
{
    if (!l || !l->paused || l->stopped)
        return;
    l->paused = false;
    for (size_t i = 0; i < l->n_socks; i++)
        if (l->socks[i].ev)
            event_add(l->socks[i].ev, NULL);
    for (conn *k = l->conns; k; k = k->next) {
        conn_arm(k);
        conn_kick(k);
    }
}

static bool rate_ok(int64_t *last)
{
    int64_t now = sl_mono_ns();
    if (*last && now - *last < 10000000000LL)
        return false;
    *last = now;
    return true;
}

static void format_peer(const struct sockaddr *sa, socklen_t len, const char *fallback,
                        char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN + 1], port[8];
    if (len >= sizeof(sa_family_t) && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) &&
        getnameinfo(sa, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
        if (sa->sa_family == AF_INET6)
            snprintf(out, cap, "[%s]:%s", host, port);
        else
            snprintf(out, cap, "%s:%s", host, port);
        return;
    }
    if (len > offsetof(struct sockaddr_un, sun_path) && sa->sa_family == AF_UNIX &&
        ((const struct sockaddr_un *)sa)->sun_path[0]) {
        snprintf(out, cap, "unix:%.*s", (int)(len - offsetof(struct sockaddr_un, sun_path)),
                 ((const struct sockaddr_un *)sa)->sun_path);
        return;
    }
    snprintf(out, cap, "%s", fallback);
}

static sl_event *add_frame(sl_listener *l, sl_chunk *c, const sl_syslog_frame *fr,
                           int64_t now)
{
    sl_event *ev = l->fn(l->src, c, fr->data, fr->len, now);
    if (ev && fr->truncated) {
        ev->flags |= SL_EVF_TRUNCATED;
        sl_value *v = sl_event_set(ev, "truncated", 9);
        v->type = SL_VAL_BOOL;
        v->u.b = true;
    }
    return ev;
}

/* ---- streams ------------------------------------------------------------- */

static sl_chunk *conn_chunk(conn *k, size_t cap)
{
    sl_chunk *c = sl_source_new_chunk(k->l->src, cap);
    c->origin = sl_arena_strndup(&c->arena, k->peer, strlen(k->peer));
    c->origin_key = "peer";
    return c;
}

static size_t initial_cap(const conn *k)
{
    size_t minb = sl_stream_framer_min_buffer(&k->fr);
    return minb < READ_SIZE ? minb : READ_SIZE;
}

static void conn_close(conn *k)
{
    sl_listener *l = k->l;
    l->truncated += sl_stream_framer_truncated(&k->fr);
    l->skipped += sl_stream_framer_skipped(&k->fr);
    l->garbage += sl_stream_framer_garbage(&k->fr);
    if (k->cur)
        sl_chunk_discard(k->cur);
    event_free(k->ev);
    if (k->ssl) {
        /* a close_notify when the session is sound (best effort: the
         * socket is non-blocking and closed right after) */
        if (k->tls == TLS_OPEN || k->tls == TLS_EOF)
            SSL_shutdown(k->ssl);
        ERR_clear_error();
        SSL_free(k->ssl);
    }
    close(k->fd);
    if (k->prev)
        k->prev->next = k->next;
    else
        l->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    l->n_conns--;
    free(k);
}

/* Turn what k->cur holds into events; submit them, keep the tail. False
 * when the source must pause. `more`: the read filled the buffer, so more
 * is probably waiting (an empty buffer is then kept rather than freed). */
static bool conn_process(conn *k, bool eof, bool more)
{
    sl_listener *l = k->l;
    sl_chunk *c = k->cur;
    int64_t now = sl_now_ns();
    sl_syslog_frame fr;
    while (eof ? sl_stream_framer_finish(&k->fr, c->data, c->data_len, &fr)
               : sl_stream_framer_next(&k->fr, c->data, c->data_len, &fr))
        add_frame(l, c, &fr, now);
    size_t pos = eof ? c->data_len : sl_stream_framer_consumed(&k->fr, c->data_len);
    size_t tail = c->data_len - pos;
    if (c->n_events == 0) {
        /* nothing points into the buffer: compact in place */
        if (tail == 0 && !more) {
            sl_chunk_discard(c);
            k->cur = NULL;
        } else if (tail == 0) {
            c->data_len = 0;
        } else if (pos) {
            memmove(c->data, c->data + pos, tail);
            c->data_len = tail;
        }
        sl_stream_framer_rebase(&k->fr);
        return true;
    }
    k->cur = NULL;
    if (tail) {
        sl_chunk *nc = conn_chunk(k, tail + MIN_CHUNK);   /* grows at the next read */
        memcpy(nc->data, c->data + pos, tail);
        nc->data_len = tail;
        k->cur = nc;
    }
    sl_stream_framer_rebase(&k->fr);
    c->data_len = pos;
    return sl_source_submit(l->src, c);
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);

/* Wait for `what` (EV_READ, or EV_WRITE when OpenSSL must write first) on
 * the connection's socket. */
static void conn_watch(conn *k, short what)
{
    sl_listener *l = k->l;
    if (k->ev_what != what) {
        event_del(k->ev);
        event_assign(k->ev, sl_source_base(l->src), k->fd, (short)(what | EV_PERSIST), conn_read_cb,
                     k);
        k->ev_what = what;
    }
    if (!l->paused && !l->stopped)
        conn_arm(k);
}

/* One step of a TLS handshake (the socket is readable or writable, or the
 * time is up). Success switches the connection to reading; failure or
 * time-out closes only this connection, counted and logged. */
static void conn_handshake(conn *k, short what)
{
    sl_listener *l = k->l;
    if (what & EV_TIMEOUT) {
        /* Which timeout was armed, not the clock: libevent counts from the
         * time cached at the start of its loop turn, so a timer may fire a
         * little before hs_deadline. */
        sl_tls_server_failed(l->tls, k->peer, NULL, 0,
                             k->armed_for_deadline
                                 ? "not completed within tls.handshake_timeout"
                                 : "idle for idle_timeout during the handshake");
        conn_close(k);
        return;
    }
    ERR_clear_error();
    int r = SSL_accept(k->ssl);
    if (r == 1) {
        k->tls = TLS_OPEN;
        sl_tls_server_succeeded(l->tls);
        conn_watch(k, EV_READ);       /* re-armed with the idle timeout only */
        conn_kick(k);                 /* data that came with the last flight */
        return;
    }
    int e = SSL_get_error(k->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        conn_watch(k, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
        return;
    }
    k->tls = TLS_BROKEN;
    sl_tls_server_failed(l->tls, k->peer, k->ssl, r, NULL);
    conn_close(k);
}

/* SSL_read into buf until it is full or OpenSSL needs the socket: >0 bytes
 * (an end or error met after them is acted on at the next turn), 0 at the
 * end of the stream, -1 on an error (counted and logged), -2 when nothing
 * can be read now. */
static ssize_t tls_read(conn *k, char *buf, size_t room)
{
    sl_listener *l = k->l;
    size_t got = 0;
    while (got < room && k->tls == TLS_OPEN) {
        ERR_clear_error();
        size_t want = room - got;
        int r = SSL_read(k->ssl, buf + got, want > INT_MAX ? INT_MAX : (int)want);
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        int e = SSL_get_error(k->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            short ev = e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE;
            if (k->ev_what != ev)
                conn_watch(k, ev);
            break;
        }
        if (e == SSL_ERROR_ZERO_RETURN) {
            k->tls = TLS_EOF;
            break;
        }
        char why[256];
        sl_tls_reason(k->ssl, r, why, sizeof why);
        k->tls = TLS_BROKEN;
        l->read_errors++;
        if (rate_ok(&l->last_error_log))
            sl_warn(l->comp, "source \"%s\": reading from %s: TLS: %s", l->src->name, k->peer,
                    why);
    }
    if (got)
        return (ssize_t)got;
    return k->tls == TLS_EOF ? 0 : k->tls == TLS_BROKEN ? -1 : -2;
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
    conn *k = arg;
    sl_listener *l = k->l;
    if (l->paused || l->stopped)
        return;
    if (k->tls == TLS_HANDSHAKE) {
        conn_handshake(k, what);
        return;
    }
    if (what & EV_TIMEOUT) {
        l->idle_closed++;
        bool go_on = !k->cur || conn_process(k, true, false);
        conn_close(k);
        if (!go_on)
            pause_reading(l);
        return;
    }
    if (!sl_source_may_read(l->src)) {
        pause_reading(l);
        return;
    }
    /* Size the buffer by what is waiting (FIONREAD, plus what OpenSSL has
     * decrypted already; ciphertext slightly overstates the plaintext): a
     * chunk that will hold a few small messages costs a little, not a whole
     * read buffer, in memory_limit. */
    int avail_i = 0;
    size_t icap = initial_cap(k);
    size_t avail = ioctl(fd, FIONREAD, &avail_i) == 0 && avail_i > 0 ? (size_t)avail_i : 0;
    if (k->ssl)
        avail += (size_t)SSL_pending(k->ssl);
    if (avail == 0)
        avail = icap;
    if (avail < MIN_CHUNK)
        avail = MIN_CHUNK;
    if (!k->cur)
        k->cur = conn_chunk(k, avail < icap ? avail : icap);
    sl_chunk *c = k->cur;
    if (c->data_cap - c->data_len < avail && c->data_cap < icap)
        sl_chunk_grow_data(c, c->data_len + avail < icap ? c->data_len + avail : icap);
    if (c->data_len == c->data_cap)
        sl_chunk_grow_data(c, sl_stream_framer_min_buffer(&k->fr));
    size_t room = c->data_cap - c->data_len;
    ssize_t n;
    if (k->ssl) {
        n = tls_read(k, c->data + c->data_len, room);
        if (n == -2)
            return;
    } else {
        n = read(fd, c->data + c->data_len, room);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n < 0) {
            l->read_errors++;
            if (rate_ok(&l->last_error_log))
                sl_warn(l->comp, "source \"%s\": reading from %s: %s", l->src->name, k->peer,
                        strerror(errno));
        }
    }
    if (n <= 0) {
        bool go_on = conn_process(k, true, false);
        conn_close(k);
        if (!go_on)
            pause_reading(l);
        return;
    }
    c->data_len += (size_t)n;
    bool pending = k->ssl && (k->tls != TLS_OPEN || SSL_has_pending(k->ssl));
    if (!conn_process(k, false, (size_t)n == room || pending))
        pause_reading(l);
    else if (k->ssl)
        conn_kick(k);
}

static void accept_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    sock *s = arg;
    sl_listener *l = s->l;
    if (l->paused || l->stopped)
        return;
    for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
        struct sockaddr_storage ss = {0};
        socklen_t sl = sizeof ss;
        int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                errno == ECONNABORTED)
                return;
            l->read_errors++;
            if (rate_ok(&l->last_error_log))
                sl_warn(l->comp, "source \"%s\": accept on %s: %s", l->src->name, s->url,
                        strerror(errno));
            return;
        }
        if ((int64_t)l->n_conns >= l->cfg->max_connections) {
            close(cfd);
            l->refused++;
            if (rate_ok(&l->last_refuse_log))
                sl_warn(l->comp,
                        "source \"%s\": max_connections (%lld) reached: connection refused "
                        "(%llu so far)",
                        l->src->name, (long long)l->cfg->max_connections,
                        (unsigned long long)l->refused);
            continue;
        }
        conn *k = sl_calloc(1, sizeof *k);
        k->l = l;
        k->fd = cfd;
        format_peer((struct sockaddr *)&ss, sl, s->url, k->peer, sizeof k->peer);
        sl_stream_framer_init(&k->fr, l->framing, l->cfg->max_message_bytes,
                              l->cfg->long_messages);
        k->ev = event_new(sl_source_base(l->src), cfd, EV_READ | EV_PERSIST, conn_read_cb, k);
        k->ev_what = EV_READ;
        if (l->tls) {
            k->ssl = sl_tls_server_ssl(l->tls);
            if (!k->ssl || !SSL_set_fd(k->ssl, cfd)) {
                l->read_errors++;
                if (rate_ok(&l->last_error_log))
                    sl_warn(l->comp, "source \"%s\": cannot set up TLS for %s", l->src->name,
                            k->peer);
                ERR_clear_error();
                if (k->ssl)
                    SSL_free(k->ssl);
                event_free(k->ev);
                close(cfd);
                free(k);
                continue;
            }
            k->tls = TLS_HANDSHAKE;
            k->hs_deadline = sl_mono_ns() + l->cfg->tls.handshake_timeout_ns;
        }
        k->next = l->conns;
        if (l->conns)
            l->conns->prev = k;
        l->conns = k;
        l->n_conns++;
        l->accepted++;
        conn_arm(k);
    }
}

/* ---- datagrams ----------------------------------------------------------- */

/* Datagrams are received into the socket's staging buffer (reused), then
 * copied into a chunk of exactly their size: a chunk holding one small
 * datagram costs its bytes, not a whole read buffer, in memory_limit. */
static void dgram_read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    sock *s = arg;
    sl_listener *l = s->l;
    if (l->paused || l->stopped)
        return;
    if (!sl_source_may_read(l->src)) {
        pause_reading(l);
        return;
    }
    size_t maxm = l->cfg->max_message_bytes;
    if (!s->stage) {
        s->stage_cap = maxm * 4 > READ_SIZE * 4 ? maxm : READ_SIZE * 4;
        s->stage = sl_malloc(s->stage_cap);
    }
    struct {
        size_t off, len;
        bool truncated;
        uint8_t peer;           /* index into peers */
    } dg[DGRAMS_PER_TURN];
    char peers[DGRAMS_PER_TURN][80];
    size_t n_dg = 0, n_peers = 0, used = 0;
    /* The sender's address, reused for every datagram of the turn: zeroed
     * once (for analysers, which cannot see recvfrom write it), not per
     * datagram. recvfrom sets sl to the length it wrote, and format_peer
     * reads only within sl, never bytes left from an earlier datagram. */
    struct sockaddr_storage ss = {0};
    while (n_dg < DGRAMS_PER_TURN && s->stage_cap - used >= maxm) {
        socklen_t sl = sizeof ss;
        char *p = s->stage + used;
        ssize_t n = recvfrom(fd, p, maxm, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&ss, &sl);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                l->read_errors++;
                if (rate_ok(&l->last_error_log))
                    sl_warn(l->comp, "source \"%s\": receiving on %s: %s", l->src->name, s->url,
                            strerror(errno));
            }
            break;
        }
        size_t len = (size_t)n;
        bool truncated = len > maxm;
        if (truncated) {
            if (l->cfg->long_messages == SL_SYSLOG_FRAME_SKIP) {
                l->skipped++;
                continue;
            }
            l->truncated++;
            len = maxm;
        }
        /* a datagram is one message: trailing newlines and NULs are not part of it */
        while (!truncated && len && (p[len - 1] == '\n' || p[len - 1] == '\0' ||
                                     p[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        if (s->kind == SL_LISTEN_UDP) {
            format_peer((struct sockaddr *)&ss, sl, s->url, peers[n_peers], sizeof peers[0]);
            if (n_peers && strcmp(peers[n_peers], peers[n_peers - 1]) == 0)
                dg[n_dg].peer = (uint8_t)(n_peers - 1);
            else
                dg[n_dg].peer = (uint8_t)n_peers++;
        }
        dg[n_dg].off = used;
        dg[n_dg].len = len;
        dg[n_dg].truncated = truncated;
        n_dg++;
        used += len;
    }
    if (n_dg == 0)
        return;
    sl_chunk *c = sl_source_new_chunk(l->src, used);
    memcpy(c->data, s->stage, used);
    c->data_len = used;
    if (s->kind == SL_LISTEN_UNIX_DGRAM) {
        c->origin = s->url;         /* lives as long as the source */
        c->origin_key = "peer";
    }
    const char *peer_str[DGRAMS_PER_TURN] = {0};
    int64_t now = sl_now_ns();
    for (size_t i = 0; i < n_dg; i++) {
        sl_syslog_frame fr = {c->data + dg[i].off, dg[i].len, dg[i].truncated, false};
        sl_event *ev = add_frame(l, c, &fr, now);
        if (ev && s->kind == SL_LISTEN_UDP) {
            uint8_t k = dg[i].peer;
            if (!peer_str[k])
                peer_str[k] = sl_arena_strndup(&c->arena, peers[k], strlen(peers[k]));
            sl_event_set_string(ev, "peer", peer_str[k], strlen(peer_str[k]));
        }
    }
    if (c->n_events == 0) {
        sl_chunk_discard(c);
        return;
    }
    if (!sl_source_submit(l->src, c))
        pause_reading(l);
}

/* ---- binding ------------------------------------------------------------- */

static int bind_inet(sl_listener *l, sock *s, const sl_listen_url *u)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = u->kind == SL_LISTEN_TCP ? SOCK_STREAM : SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(u->host[0] ? u->host : NULL, u->port, &hints, &res);
    if (rc != 0 || !res) {
        sl_error(l->comp, "source \"%s\": %s: %s", l->src->name, s->url, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        sl_error(l->comp, "source \"%s\": %s: socket: %s", l->src->name, s->url, strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
        (u->kind == SL_LISTEN_TCP && listen(fd, SOMAXCONN) != 0)) {
        sl_error(l->comp, "source \"%s\": cannot listen on %s: %s", l->src->name, s->url,
                 strerror(errno));
        close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int bind_unix(sl_listener *l, sock *s, const sl_listen_url *u, unsigned mode)
{
    int type = u->kind == SL_LISTEN_UNIX_STREAM ? SOCK_STREAM : SOCK_DGRAM;
    struct sockaddr_un sa = {0};
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, u->path, strlen(u->path) + 1);
    struct stat st;
    if (lstat(u->path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            sl_error(l->comp, "source \"%s\": %s exists and is not a socket", l->src->name,
                     u->path);
            return -1;
        }
        /* a socket file: in use if something answers, else stale */
        int probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
            close(probe);
            sl_error(l->comp, "source \"%s\": %s is in use by another process", l->src->name,
                     u->path);
            return -1;
        }
        if (probe >= 0)
            close(probe);
        unlink(u->path);
    }
    int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        (type == SOCK_STREAM && listen(fd, SOMAXCONN) != 0)) {
        sl_error(l->comp, "source \"%s\": cannot listen on %s: %s", l->src->name, s->url,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (chmod(u->path, mode) != 0)
        sl_warn(l->comp, "source \"%s\": chmod %o %s: %s", l->src->name, mode, u->path,
                strerror(errno));
    if (lstat(u->path, &st) == 0) {
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    snprintf(s->path, sizeof s->path, "%s", u->path);
    return fd;
}

/* An inherited unix socket: remember its file, so that a normal stop
 * removes it as if we had bound it. */
static void adopt_inherited(sock *s, const sl_listen_url *u)
{
    struct stat st;
    if ((u->kind == SL_LISTEN_UNIX_DGRAM || u->kind == SL_LISTEN_UNIX_STREAM) &&
        lstat(u->path, &st) == 0) {
        s->dev = st.st_dev;
        s->ino = st.st_ino;
        snprintf(s->path, sizeof s->path, "%s", u->path);
    }
}

sl_listener *sl_listener_start(sl_source *src, const sl_listener_cfg *cfg, int framing,
                               sl_listener_frame_fn fn, const char *component)
{
    sl_listener *l = sl_calloc(1, sizeof *l);
    l->src = src;
    l->cfg = cfg;
    l->comp = component;
    l->framing = framing;
    l->fn = fn;
    l->socks = sl_calloc(cfg->listen.n ? cfg->listen.n : 1, sizeof *l->socks);
    unsigned mode = 0666;
    parse_mode(cfg->socket_mode, &mode);
    struct event_base *base = sl_source_base(src);
    if (sl_tls_enabled(&cfg->tls)) {
        /* One SSL_CTX for the source's stream sockets; its files are read
         * now (a startup failure if they do not load). */
        l->tls = sl_tls_server_new(&cfg->tls, component, src->name, false);
        if (!l->tls)
            goto fail;
    }
    for (size_t i = 0; i < cfg->listen.n; i++) {
        sock *s = &l->socks[l->n_socks];
        s->l = l;
        s->fd = -1;
        s->url = cfg->listen.v[i];
        sl_listen_url u;
        char err[200];
        if (!sl_listen_parse(s->url, &u, err, sizeof err)) {
            sl_error(component, "source \"%s\": listen \"%s\": %s", src->name, s->url, err);
            goto fail;
        }
        s->kind = u.kind;
        /* A socket the previous sluice handed over in a reload, or a new one. */
        int fd = sl_listen_fds_take(s->url);
        if (fd >= 0)
            adopt_inherited(s, &u);
        else if (u.kind == SL_LISTEN_UDP || u.kind == SL_LISTEN_TCP)
            fd = bind_inet(l, s, &u);
        else
            fd = bind_unix(l, s, &u, mode);
        if (fd < 0)
            goto fail;
        s->fd = fd;
        l->n_socks++;
        bool stream = u.kind == SL_LISTEN_TCP || u.kind == SL_LISTEN_UNIX_STREAM;
        if (!stream && cfg->receive_buffer) {
            int v = (int)cfg->receive_buffer;
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
        }
        s->ev = event_new(base, fd, EV_READ | EV_PERSIST, stream ? accept_cb : dgram_read_cb, s);
        event_add(s->ev, NULL);
        sl_info(component, "source \"%s\": listening on %s%s", src->name, s->url,
                stream && l->tls ? " (TLS)" : "");
    }
    return l;
fail:
    sl_listener_stop(l);
    sl_listener_free(l);
    return NULL;
}

void sl_listener_stop(sl_listener *l)
{
    if (!l || l->stopped)
        return;
    l->stopped = true;
    for (conn *k = l->conns, *nx; k; k = nx) {
        nx = k->next;
        conn_close(k);
    }
    for (size_t i = 0; i < l->n_socks; i++) {
        sock *s = &l->socks[i];
        if (s->ev) {
            event_free(s->ev);
            s->ev = NULL;
        }
        bool handover = sl_listen_fds_handover() && s->fd >= 0;
        if (handover)
            sl_listen_fds_offer(s->url, s->fd);     /* a reload: the next sluice takes it */
        else if (s->fd >= 0)
            close(s->fd);
        s->fd = -1;
        struct stat st;
        if (!handover && s->path[0] && lstat(s->path, &st) == 0 && st.st_dev == s->dev &&
            st.st_ino == s->ino)
            unlink(s->path);
        s->path[0] = 0;
        free(s->stage);
        s->stage = NULL;
    }
    if (l->accepted || l->refused || l->truncated || l->skipped || l->garbage || l->read_errors)
        sl_info(l->comp,
                "source \"%s\": %llu connections accepted, %llu refused (max_connections), "
                "%llu closed idle; %llu over-long messages truncated, %llu skipped; %llu runs "
                "of garbage discarded; %llu read errors",
                l->src->name, (unsigned long long)l->accepted, (unsigned long long)l->refused,
                (unsigned long long)l->idle_closed,
                (unsigned long long)l->truncated, (unsigned long long)l->skipped,
                (unsigned long long)l->garbage, (unsigned long long)l->read_errors);
    uint64_t hs_ok, hs_failed;
    sl_tls_server_counts(l->tls, &hs_ok, &hs_failed);
    if (hs_ok || hs_failed)
        sl_info(l->comp, "source \"%s\": %llu TLS handshakes completed, %llu failed",
                l->src->name, (unsigned long long)hs_ok, (unsigned long long)hs_failed);
}

/* The drops column of the /proc/net/udp{,6} line of socket inode `ino`;
 * false if it is not there. */
static bool proc_udp_drops(const char *file, unsigned long ino, uint64_t *drops)
{
    FILE *f = fopen(file, "re");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    if (!fgets(line, sizeof line, f)) {     /* the header */
        fclose(f);
        return false;
    }
    while (!found && fgets(line, sizeof line, f)) {
        /* sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops */
        char *save = NULL, *tok[16];
        int n = 0;
        for (char *t = strtok_r(line, " \t\n", &save); t && n < 16;
             t = strtok_r(NULL, " \t\n", &save))
            tok[n++] = t;
        if (n < 13 || strtoul(tok[9], NULL, 10) != ino)
            continue;
        *drops = strtoull(tok[n - 1], NULL, 10);
        found = true;
    }
    fclose(f);
    return found;
}

void sl_listener_kernel_drops(sl_listener *l,
                              void (*emit)(void *ctx, const char *item, uint64_t drops),
                              void *ctx)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_socks; i++) {
        sock *s = &l->socks[i];
        struct stat st;
        uint64_t drops = 0;
        if (s->kind != SL_LISTEN_UDP || s->fd < 0 || fstat(s->fd, &st) != 0)
            continue;
        if (proc_udp_drops("/proc/net/udp", (unsigned long)st.st_ino, &drops) ||
            proc_udp_drops("/proc/net/udp6", (unsigned long)st.st_ino, &drops))
            emit(ctx, s->url, drops);
    }
}

void sl_listener_free(sl_listener *l)
{
    if (!l)
        return;
    sl_listener_stop(l);
    sl_tls_server_free(l->tls);
    free(l->socks);
    free(l);
}
