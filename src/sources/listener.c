/* listener.c: URL parsing, binding, accepting, reading and pausing the
 * sockets of a network source (see listener.h). */
#include "sources/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netdb.h>
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
        strcpy(out->path, rest);
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

typedef struct conn {
    struct sl_listener *l;
    int fd;
    struct event *ev;
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
    int64_t last_refuse_log, last_error_log;
    /* counters */
    uint64_t accepted, refused, truncated, skipped, garbage, read_errors, idle_closed;
};

/* Arm a connection's read event (with idle_timeout when set). */
static void conn_arm(struct sl_listener *l, struct event *ev)
{
    int64_t ns = l->cfg->idle_timeout_ns;
    struct timeval tv = {(time_t)(ns / 1000000000), (suseconds_t)(ns % 1000000000 / 1000)};
    event_add(ev, ns > 0 ? &tv : NULL);
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
    for (conn *k = l->conns; k; k = k->next)
        conn_arm(l, k->ev);
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
    if ((sa->sa_family == AF_INET || sa->sa_family == AF_INET6) &&
        getnameinfo(sa, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
        if (sa->sa_family == AF_INET6)
            snprintf(out, cap, "[%s]:%s", host, port);
        else
            snprintf(out, cap, "%s:%s", host, port);
        return;
    }
    if (sa->sa_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path) &&
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

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
    conn *k = arg;
    sl_listener *l = k->l;
    if (l->paused || l->stopped)
        return;
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
    /* Size the buffer by what is waiting (FIONREAD): a chunk that will hold
     * a few small messages costs a little, not a whole read buffer, in
     * memory_limit. */
    int avail_i = 0;
    size_t icap = initial_cap(k);
    size_t avail = ioctl(fd, FIONREAD, &avail_i) == 0 && avail_i > 0 ? (size_t)avail_i : icap;
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
    ssize_t n = read(fd, c->data + c->data_len, room);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        if (n < 0) {
            l->read_errors++;
            if (rate_ok(&l->last_error_log))
                sl_warn(l->comp, "source \"%s\": reading from %s: %s", l->src->name, k->peer,
                        strerror(errno));
        }
        bool go_on = conn_process(k, true, false);
        conn_close(k);
        if (!go_on)
            pause_reading(l);
        return;
    }
    c->data_len += (size_t)n;
    if (!conn_process(k, false, (size_t)n == room))
        pause_reading(l);
}

static void accept_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    sock *s = arg;
    sl_listener *l = s->l;
    if (l->paused || l->stopped)
        return;
    for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
        struct sockaddr_storage ss;
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
        k->next = l->conns;
        if (l->conns)
            l->conns->prev = k;
        l->conns = k;
        l->n_conns++;
        l->accepted++;
        conn_arm(l, k->ev);
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
    while (n_dg < DGRAMS_PER_TURN && s->stage_cap - used >= maxm) {
        struct sockaddr_storage ss;
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
        int fd = (u.kind == SL_LISTEN_UDP || u.kind == SL_LISTEN_TCP) ? bind_inet(l, s, &u)
                                                                      : bind_unix(l, s, &u, mode);
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
        sl_info(component, "source \"%s\": listening on %s", src->name, s->url);
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
    while (l->conns)
        conn_close(l->conns);
    for (size_t i = 0; i < l->n_socks; i++) {
        sock *s = &l->socks[i];
        if (s->ev) {
            event_free(s->ev);
            s->ev = NULL;
        }
        if (s->fd >= 0) {
            close(s->fd);
            s->fd = -1;
        }
        struct stat st;
        if (s->path[0] && lstat(s->path, &st) == 0 && st.st_dev == s->dev &&
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
}

void sl_listener_free(sl_listener *l)
{
    if (!l)
        return;
    sl_listener_stop(l);
    free(l->socks);
    free(l);
}
