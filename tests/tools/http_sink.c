/* http_sink.c: an HTTP/1.1 server on 127.0.0.1 for the http destination's
 * tests. It answers requests, in the order they complete, by a script:
 *
 *   http_sink [--port N] [--port-file FILE] [--script A,B,...] [--then A]
 *             [--out FILE] [--rejected FILE] [--max-body BYTES] [--delay-ms MS]
 *
 * Each action A is one of
 *   NNN                    answer with that status (e.g. 200, 400, 503)
 *   NNN:retry-after=S      ... with a Retry-After: S header
 *   hang                   never answer (the client must time out)
 *   reset                  close with a TCP RST (SO_LINGER 0)
 *   drop                   close without a response (FIN)
 * After the script, every request gets --then (default 200).
 *
 * --delay-ms MS holds every complete request MS milliseconds before it is
 * answered (its action taken), other connections being served meanwhile;
 * whenever the number of requests held at once reaches a new high it logs
 * "http_sink: max concurrent requests N" (and the final high when it
 * stops), which shows how many requests a client has in flight.
 *
 * A body sent with Content-Encoding: gzip is gunzipped. Every body answered
 * with a 2xx is appended to --out, every body answered with another 4xx
 * than 408/429 to --rejected, before the response is sent (so a client
 * that saw the 2xx finds its data in the file). Each connection and
 * request is logged on stderr ("request 3 on connection 1: POST /path
 * HTTP/1.1, 1234 bytes gzip, type application/x-ndjson, auth Bearer ->
 * 503": the Authorization scheme, never its credentials). --port 0 (the default) picks a free port; it is printed on stdout
 * and written to --port-file (atomically). SIGTERM or SIGINT stops it.
 * Bounded: at most 64 connections, 64 KiB of headers, --max-body (64 MiB)
 * per body. Content-Length bodies only (what libcurl sends for a buffer). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#define ZLIB_CONST                      /* next_in is const */
#include <zlib.h>

#define MAX_CONNS 64
#define MAX_HEAD (64 * 1024)

typedef enum { ACT_STATUS, ACT_HANG, ACT_RESET, ACT_DROP } act_kind;

typedef struct {
    act_kind kind;
    int status;
    int retry_after;            /* -1: none */
} action;

typedef struct {
    int fd;
    int id;
    char *buf;
    size_t len, cap;
    bool hung;                  /* answered "hang": discard until the peer closes */
    bool continued;             /* sent 100 Continue for the current request */
    bool waiting;               /* --delay-ms: a complete request held until `due` */
    bool delay_done;            /* ... and now to be answered */
    int64_t due;                /* monotonic ms */
} conn;

static volatile sig_atomic_t stop;
static action *script;
static size_t n_script, next_action;
static action then = {ACT_STATUS, 200, -1};
static int out_fd = -1, rejected_fd = -1;
static size_t max_body = 64u << 20;
static unsigned long requests;
static long delay_ms;
static conn conns[MAX_CONNS];
static int max_concurrent;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void die(const char *what)
{
    fprintf(stderr, "http_sink: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* A whole decimal number argument, or exit 2. */
static long num_arg(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno) {
        fprintf(stderr, "http_sink: bad number \"%s\"\n", s);
        exit(2);
    }
    return v;
}

static bool parse_action(const char *s, action *a)
{
    a->retry_after = -1;
    if (strcmp(s, "hang") == 0) {
        a->kind = ACT_HANG;
        return true;
    }
    if (strcmp(s, "reset") == 0) {
        a->kind = ACT_RESET;
        return true;
    }
    if (strcmp(s, "drop") == 0) {
        a->kind = ACT_DROP;
        return true;
    }
    char *end;
    long st = strtol(s, &end, 10);
    if (end == s || st < 100 || st > 599)
        return false;
    a->kind = ACT_STATUS;
    a->status = (int)st;
    if (*end == 0)
        return true;
    if (strncmp(end, ":retry-after=", 13) != 0)
        return false;
    char *end2;
    long ra = strtol(end + 13, &end2, 10);
    if (end2 == end + 13 || *end2 || ra < 0)
        return false;
    a->retry_after = (int)ra;
    return true;
}

static void parse_script(const char *list)
{
    char *copy = strdup(list), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        action *grown = realloc(script, (n_script + 1) * sizeof *script);
        if (!grown)
            die("realloc");
        script = grown;
        if (!parse_action(tok, &script[n_script])) {
            fprintf(stderr, "http_sink: bad action \"%s\" in --script\n", tok);
            exit(2);
        }
        n_script++;
    }
    free(copy);
}

static int open_append(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        die(path);
    return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            die("write");
        p += w;
        n -= (size_t)w;
    }
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

/* gunzip (one or more members) into a malloc'd buffer; false if malformed. */
static bool gunzip(const char *in, size_t n, char **out, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return false;
    size_t cap = n * 4 + 1024, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        inflateEnd(&zs);
        return false;
    }
    zs.next_in = (const unsigned char *)in;
    zs.avail_in = (uInt)n;
    int rc = Z_OK;
    for (;;) {
        if (len == cap) {
            if (cap > ((size_t)1 << 30))
                break;
            cap *= 2;
            char *grown = realloc(buf, cap);
            if (!grown) {
                rc = Z_MEM_ERROR;       /* buf is freed below */
                break;
            }
            buf = grown;
        }
        zs.next_out = (unsigned char *)buf + len;
        zs.avail_out = (uInt)(cap - len);
        rc = inflate(&zs, Z_NO_FLUSH);
        len = cap - zs.avail_out;
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0)
                break;
            inflateReset(&zs);      /* another member follows */
            continue;
        }
        if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs.avail_out == 0))
            break;
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return false;
    }
    *out = buf;
    *out_len = len;
    return true;
}

static void respond(conn *c, int status, int retry_after, const char *body)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n",
                     status, reason(status), strlen(body));
    if (retry_after >= 0)
        n += snprintf(head + n, sizeof head - (size_t)n, "Retry-After: %d\r\n", retry_after);
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    /* Small: fits the socket buffer of a fresh or idle connection. */
    if (send(c->fd, head, (size_t)n, MSG_NOSIGNAL) < 0 ||
        (*body && send(c->fd, body, strlen(body), MSG_NOSIGNAL) < 0))
        fprintf(stderr, "http_sink: connection %d: cannot send the response: %s\n", c->id,
                strerror(errno));
}

static void close_conn(conn *c, bool rst)
{
    if (rst) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* The value of header `name` in the head [p, end), or NULL; *n its length. */
static const char *header(const char *p, const char *end, const char *name, size_t *n)
{
    size_t nl = strlen(name);
    const char *line = memchr(p, '\n', (size_t)(end - p));
    while (line && line + 1 < end) {
        line++;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            break;
        if ((size_t)(eol - line) > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *n = (size_t)(ve - v);
            return v;
        }
        line = eol;
    }
    return NULL;
}

/* Handle every complete request in c's buffer. False: the connection is gone. */
static bool serve(conn *c)
{
    while (!c->hung && !c->waiting) {
        char *eoh = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
        if (!eoh) {
            if (c->len > MAX_HEAD) {
                fprintf(stderr, "http_sink: connection %d: headers too large\n", c->id);
                respond(c, 431, -1, "headers too large\n");
                close_conn(c, false);
                return false;
            }
            return true;
        }
        size_t head_len = (size_t)(eoh - c->buf) + 4;
        size_t vn;
        const char *v;
        size_t body_len = 0;
        if ((v = header(c->buf, eoh + 2, "Content-Length", &vn)) != NULL)
            body_len = strtoull(v, NULL, 10);
        if (header(c->buf, eoh + 2, "Transfer-Encoding", &vn)) {
            fprintf(stderr, "http_sink: connection %d: chunked bodies are not supported\n", c->id);
            respond(c, 501, -1, "chunked bodies are not supported\n");
            close_conn(c, false);
            return false;
        }
        if (body_len > max_body) {
            fprintf(stderr, "http_sink: connection %d: body of %zu bytes is over --max-body\n",
                    c->id, body_len);
            respond(c, 413, -1, "too large\n");
            close_conn(c, false);
            return false;
        }
        if (!c->continued && (v = header(c->buf, eoh + 2, "Expect", &vn)) != NULL &&
            vn == 12 && strncasecmp(v, "100-continue", 12) == 0) {
            const char *cont = "HTTP/1.1 100 Continue\r\n\r\n";
            if (send(c->fd, cont, strlen(cont), MSG_NOSIGNAL) < 0) {
                fprintf(stderr, "http_sink: connection %d: cannot send 100 Continue\n", c->id);
                close_conn(c, false);
                return false;
            }
            c->continued = true;
        }
        if (c->len < head_len + body_len)
            return true;                /* the body is still coming */
        if (delay_ms > 0 && !c->delay_done) {
            /* Hold it; the main loop calls serve() again when it is due. */
            c->waiting = true;
            c->due = now_ms() + delay_ms;
            int held = 0;
            for (int i = 0; i < MAX_CONNS; i++)
                held += conns[i].fd >= 0 && conns[i].waiting;
            if (held > max_concurrent) {
                max_concurrent = held;
                fprintf(stderr, "http_sink: max concurrent requests %d\n", max_concurrent);
            }
            return true;
        }
        c->delay_done = false;
        bool gz = (v = header(c->buf, eoh + 2, "Content-Encoding", &vn)) != NULL && vn == 4 &&
                  strncasecmp(v, "gzip", 4) == 0;
        const char *line_end = memchr(c->buf, '\r', head_len);
        int line_len = (int)(line_end - c->buf);
        action a = next_action < n_script ? script[next_action] : then;
        next_action++;
        unsigned long req = ++requests;
        char what[64];
        switch (a.kind) {
        case ACT_HANG: snprintf(what, sizeof what, "hang"); break;
        case ACT_RESET: snprintf(what, sizeof what, "reset"); break;
        case ACT_DROP: snprintf(what, sizeof what, "drop"); break;
        case ACT_STATUS:
            if (a.retry_after >= 0)
                snprintf(what, sizeof what, "%d (Retry-After: %d)", a.status, a.retry_after);
            else
                snprintf(what, sizeof what, "%d", a.status);
            break;
        }
        /* Content-Type and the Authorization scheme (never its credentials). */
        size_t ctn = 0, aun = 0;
        const char *ct = header(c->buf, eoh + 2, "Content-Type", &ctn);
        const char *au = header(c->buf, eoh + 2, "Authorization", &aun);
        if (au)
            aun = strcspn(au, " \r\n") < aun ? strcspn(au, " \r\n") : aun;
        fprintf(stderr, "http_sink: request %lu on connection %d: %.*s, %zu bytes%s, type %.*s, "
                        "auth %.*s -> %s\n", req, c->id, line_len, c->buf, body_len,
                gz ? " gzip" : "", ct ? (int)ctn : 1, ct ? ct : "-", au ? (int)aun : 1,
                au ? au : "-", what);
        if (a.kind == ACT_HANG) {
            c->hung = true;
            c->len = 0;
            return true;
        }
        if (a.kind == ACT_RESET || a.kind == ACT_DROP) {
            close_conn(c, a.kind == ACT_RESET);
            return false;
        }
        const char *body = c->buf + head_len;
        char *plain = NULL;
        size_t plain_len = body_len;
        if (gz) {
            if (!gunzip(body, body_len, &plain, &plain_len)) {
                fprintf(stderr, "http_sink: request %lu: ERROR: the gzip body is malformed\n", req);
                respond(c, 400, -1, "malformed gzip body\n");
                goto consumed;
            }
            body = plain;
        }
        bool rejected = a.status >= 400 && a.status < 500 && a.status != 408 && a.status != 429;
        if (a.status >= 200 && a.status < 300 && out_fd >= 0)
            write_all(out_fd, body, plain_len);
        else if (rejected && rejected_fd >= 0)
            write_all(rejected_fd, body, plain_len);
        free(plain);
        char msg[128];
        if (a.status >= 200 && a.status < 300)
            snprintf(msg, sizeof msg, "ok\n");
        else if (rejected)
            snprintf(msg, sizeof msg, "{\"error\":\"rejected by the test script\",\"request\":%lu}\n",
                     req);
        else
            snprintf(msg, sizeof msg, "try again later (request %lu)\n", req);
        respond(c, a.status, a.retry_after, msg);
    consumed:
        memmove(c->buf, c->buf + head_len + body_len, c->len - head_len - body_len);
        c->len -= head_len + body_len;
        c->continued = false;
    }
    return true;
}

int main(int argc, char **argv)
{
    int port = 0;
    const char *port_file = NULL;
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},
        {"port-file", required_argument, NULL, 'P'},
        {"script", required_argument, NULL, 's'},
        {"then", required_argument, NULL, 't'},
        {"out", required_argument, NULL, 'o'},
        {"rejected", required_argument, NULL, 'r'},
        {"max-body", required_argument, NULL, 'm'},
        {"delay-ms", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'p': port = (int)num_arg(optarg); break;
        case 'P': port_file = optarg; break;
        case 's': parse_script(optarg); break;
        case 't':
            if (!parse_action(optarg, &then)) {
                fprintf(stderr, "http_sink: bad --then action \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'o': out_fd = open_append(optarg); break;
        case 'r': rejected_fd = open_append(optarg); break;
        case 'm': max_body = strtoull(optarg, NULL, 10); break;
        case 'd': delay_ms = num_arg(optarg); break;
        default:
            fprintf(stderr, "usage: http_sink [--port N] [--port-file F] [--script A,B,...] "
                            "[--then A] [--out F] [--rejected F] [--max-body BYTES] "
                            "[--delay-ms MS]\n");
            return 2;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;          /* no SA_RESTART: poll() returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (lfd < 0)
        die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&sin, sizeof sin) != 0)
        die("bind");
    if (listen(lfd, 64) != 0)
        die("listen");
    socklen_t sl = sizeof sin;
    getsockname(lfd, (struct sockaddr *)&sin, &sl);
    port = ntohs(sin.sin_port);
    printf("listening on 127.0.0.1:%d\n", port);
    fflush(stdout);
    fprintf(stderr, "http_sink: listening on 127.0.0.1:%d\n", port);
    if (port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0)
            die(port_file);
    }

    for (int i = 0; i < MAX_CONNS; i++)
        conns[i].fd = -1;
    int next_id = 0;
    while (!stop) {
        struct pollfd pfd[MAX_CONNS + 1];
        int map[MAX_CONNS + 1];
        nfds_t n = 0;
        pfd[n] = (struct pollfd){lfd, POLLIN, 0};
        map[n++] = -1;
        for (int i = 0; i < MAX_CONNS; i++) {
            if (conns[i].fd >= 0) {
                pfd[n] = (struct pollfd){conns[i].fd, POLLIN, 0};
                map[n++] = i;
            }
        }
        int timeout = -1;
        int64_t now = now_ms();
        for (int i = 0; i < MAX_CONNS; i++) {
            if (conns[i].fd >= 0 && conns[i].waiting) {
                int left = conns[i].due > now ? (int)(conns[i].due - now) : 0;
                if (timeout < 0 || left < timeout)
                    timeout = left;
            }
        }
        if (poll(pfd, n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        now = now_ms();
        for (int i = 0; i < MAX_CONNS; i++) {
            conn *c = &conns[i];
            if (c->fd >= 0 && c->waiting && c->due <= now) {
                c->waiting = false;
                c->delay_done = true;
                serve(c);
            }
        }
        for (nfds_t k = 1; k < n; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            conn *c = &conns[map[k]];
            if (c->fd < 0)
                continue;               /* closed above while answering a held request */
            if (c->cap - c->len < 65536) {
                c->cap = c->cap ? c->cap * 2 : 131072;
                c->buf = realloc(c->buf, c->cap);
                if (!c->buf)
                    die("realloc");
            }
            ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r <= 0) {
                fprintf(stderr, "http_sink: connection %d closed by the client\n", c->id);
                close_conn(c, false);
                continue;
            }
            if (c->hung)
                continue;               /* discard */
            c->len += (size_t)r;
            if (!c->waiting)
                serve(c);
        }
        if (pfd[0].revents & POLLIN) {
            struct sockaddr_storage peer;   /* (cppcheck 2.10 rejects a NULL addr) */
            socklen_t peer_len = sizeof peer;
            int fd = accept4(lfd, (struct sockaddr *)&peer, &peer_len,
                             SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd >= 0) {
                int slot = -1;
                for (int i = 0; i < MAX_CONNS && slot < 0; i++)
                    if (conns[i].fd < 0)
                        slot = i;
                if (slot < 0) {
                    fprintf(stderr, "http_sink: too many connections; refusing one\n");
                    close(fd);
                } else {
                    /* A response goes out in two writes (head, body):
                     * without this, Nagle and delayed ACKs stall each one. */
                    int nodelay = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
                    memset(&conns[slot], 0, sizeof conns[slot]);
                    conns[slot].fd = fd;
                    conns[slot].id = ++next_id;
                    fprintf(stderr, "http_sink: connection %d accepted\n", next_id);
                }
            }
        }
    }
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0)
            close_conn(&conns[i], false);
    close(lfd);
    if (delay_ms > 0)
        fprintf(stderr, "http_sink: max concurrent requests %d (final)\n", max_concurrent);
    fprintf(stderr, "http_sink: stopped after %lu requests\n", requests);
    return 0;
}
