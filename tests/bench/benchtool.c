/* benchtool.c: the small helpers of the benchmark runner (tests/bench/run.sh).
 *
 *   benchtool wait FILE N TIMEOUT_S [PID]
 *       wait until FILE holds N newlines (reading only what was appended
 *       since the last look, every 10 ms); exit 0, or 1 on timeout or when
 *       PID (the collector) died first, with the count on stderr
 *   benchtool check FILE N
 *       every line of FILE must carry a sequence number seq=NNNNNNNNN (the
 *       first one on the line counts) below N, each exactly once: prints
 *       "lines L unique U duplicates D missing M without-seq W" and exits 0
 *       only when L == U == N
 *   benchtool blast ADDR FILE [CONNS]
 *       send FILE over CONNS (default 1) TCP connections to ADDR
 *       (tcp:HOST:PORT), each a contiguous share of whole lines, in 1 MiB
 *       writes from memory, then shut down and close; prints the seconds it
 *       took on stdout
 *   benchtool stat PID
 *       "CPU_US HWM_KB RSS_KB": user+system CPU time of the whole process
 *       (every thread) in microseconds, VmHWM and VmRSS
 *   benchtool waitport HOST PORT TIMEOUT_S
 *       wait until a TCP connection to HOST:PORT succeeds (then closes it)
 *   benchtool sink PORT_FILE OUT_FILE
 *       an HTTP/1.1 sink on 127.0.0.1 (a free port, written to PORT_FILE):
 *       every request's body (Content-Length; Expect: 100-continue
 *       honoured) is appended to OUT_FILE and answered 200 with one write
 *       on a TCP_NODELAY socket, until SIGTERM. (tests/tools/http_sink
 *       answers with two writes, head and body, without TCP_NODELAY, so
 *       Nagle's algorithm and the client's delayed ACK cost it ~40 ms a
 *       request: fine for tests, not for measuring a collector.)
 *
 * No timing decisions are made here: it only observes. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmd_wait(const char *path, uint64_t want, double timeout, pid_t pid)
{
    static char buf[1 << 20];
    uint64_t lines = 0;
    off_t pos = 0;
    int fd = -1;
    double deadline = now_s() + timeout;
    for (;;) {
        if (fd < 0)
            fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n;
            while ((n = pread(fd, buf, sizeof buf, pos)) > 0) {
                pos += n;
                const char *p = buf, *e = buf + n;
                while ((p = memchr(p, '\n', (size_t)(e - p)))) {
                    lines++;
                    p++;
                }
            }
        }
        if (lines >= want)
            return 0;
        if (now_s() > deadline) {
            fprintf(stderr, "benchtool wait: %s: %llu of %llu lines after %.0f s\n", path,
                    (unsigned long long)lines, (unsigned long long)want, timeout);
            return 1;
        }
        if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) {
            /* one last look: it may have written everything and exited */
            if (fd >= 0) {
                ssize_t n;
                while ((n = pread(fd, buf, sizeof buf, pos)) > 0) {
                    pos += n;
                    for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))); p++)
                        lines++;
                }
            }
            if (lines >= want)
                return 0;
            fprintf(stderr, "benchtool wait: process %d exited with %llu of %llu lines in %s\n",
                    (int)pid, (unsigned long long)lines, (unsigned long long)want, path);
            return 1;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static int cmd_check(const char *path, uint64_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "benchtool check: %s: %s\n", path, strerror(errno));
        printf("lines 0 unique 0 duplicates 0 missing %llu without-seq 0\n", (unsigned long long)n);
        return 1;
    }
    uint8_t *seen = calloc(n ? n : 1, 1);
    if (!seen)
        return 2;
    uint64_t lines = 0, unique = 0, dups = 0, noseq = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        lines++;
        const char *p = line, *e = line + len;
        bool found = false;
        while ((p = memmem(p, (size_t)(e - p), "seq=", 4))) {
            p += 4;
            if (e - p < 9)
                break;
            uint64_t v = 0;
            int i;
            for (i = 0; i < 9 && p[i] >= '0' && p[i] <= '9'; i++)
                v = v * 10 + (uint64_t)(p[i] - '0');
            if (i < 9)
                continue;
            found = true;
            if (v >= n)
                noseq++;
            else if (seen[v])
                dups++;
            else {
                seen[v] = 1;
                unique++;
            }
            break;
        }
        if (!found)
            noseq++;
    }
    free(line);
    fclose(f);
    free(seen);
    printf("lines %llu unique %llu duplicates %llu missing %llu without-seq %llu\n",
           (unsigned long long)lines, (unsigned long long)unique, (unsigned long long)dups,
           (unsigned long long)(n - unique), (unsigned long long)noseq);
    return lines == n && unique == n ? 0 : 1;
}

static int connect_tcp(const char *host, const char *port)
{
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

typedef struct {
    const char *host, *port;
    const char *p;
    size_t n;
    int rc;
} blast_job;

static void *blast_one(void *arg)
{
    blast_job *j = arg;
    int fd = connect_tcp(j->host, j->port);
    if (fd < 0) {
        fprintf(stderr, "benchtool blast: connect %s:%s: %s\n", j->host, j->port, strerror(errno));
        j->rc = 1;
        return NULL;
    }
    const char *p = j->p;
    size_t left = j->n;
    while (left) {
        size_t k = left < (1u << 20) ? left : (1u << 20);
        ssize_t w = write(fd, p, k);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "benchtool blast: write: %s\n", strerror(errno));
            j->rc = 1;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    /* wait for the server to close (it has read everything), bounded */
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char tmp[256];
    while (read(fd, tmp, sizeof tmp) > 0) {
    }
    close(fd);
    return NULL;
}

static int cmd_blast(const char *addr, const char *path, int conns)
{
    char a[256];
    if (strncmp(addr, "tcp:", 4) != 0 || strlen(addr) >= sizeof a) {
        fprintf(stderr, "benchtool blast: address must be tcp:HOST:PORT\n");
        return 2;
    }
    snprintf(a, sizeof a, "%s", addr + 4);
    char *port = strrchr(a, ':');
    if (!port)
        return 2;
    *port++ = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        fprintf(stderr, "benchtool blast: %s: %s\n", path, strerror(errno));
        return 1;
    }
    const char *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (data == MAP_FAILED)
        return 1;
    if (conns < 1 || conns > 64)
        conns = 1;
    blast_job jobs[64];
    pthread_t th[64];
    size_t size = (size_t)st.st_size, start = 0;
    for (int i = 0; i < conns; i++) {
        size_t end = i == conns - 1 ? size : size / (size_t)conns * (size_t)(i + 1);
        if (end < size) {
            const char *nl = memchr(data + end, '\n', size - end);
            end = nl ? (size_t)(nl - data) + 1 : size;
        }
        if (end < start)
            end = start;
        jobs[i] = (blast_job){a, port, data + start, end - start, 0};
        start = end;
    }
    double t0 = now_s();
    for (int i = 0; i < conns; i++)
        pthread_create(&th[i], NULL, blast_one, &jobs[i]);
    int rc = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(th[i], NULL);
        rc |= jobs[i].rc;
    }
    printf("%.3f\n", now_s() - t0);
    return rc;
}

static int cmd_stat(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* fields after the command name, which ends at the last ')' */
    char *p = strrchr(buf, ')');
    if (!p)
        return 1;
    p += 2;
    unsigned long long utime = 0, stime = 0;
    /* state(3) ... utime(14) stime(15): 11 fields after state */
    int field = 3;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
        if (field == 14)
            utime = strtoull(tok, NULL, 10);
        else if (field == 15) {
            stime = strtoull(tok, NULL, 10);
            break;
        }
    }
    long hz = sysconf(_SC_CLK_TCK);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return 1;
    unsigned long hwm = 0, rss = 0;
    while (fgets(buf, sizeof buf, f)) {
        if (strncmp(buf, "VmHWM:", 6) == 0)
            hwm = strtoul(buf + 6, NULL, 10);
        else if (strncmp(buf, "VmRSS:", 6) == 0)
            rss = strtoul(buf + 6, NULL, 10);
    }
    fclose(f);
    printf("%llu %lu %lu\n", (utime + stime) * 1000000ULL / (unsigned long long)hz, hwm, rss);
    return 0;
}

static int cmd_waitport(const char *host, const char *port, double timeout)
{
    double deadline = now_s() + timeout;
    for (;;) {
        int fd = connect_tcp(host, port);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (now_s() > deadline)
            return 1;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static volatile sig_atomic_t sink_stop;
static void on_term(int sig)
{
    (void)sig;
    sink_stop = 1;
}

typedef struct {
    int fd;
    char *buf;
    size_t len, cap;
    bool continued;
} sink_conn;

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd pf = {fd, POLLOUT, 0};
                poll(&pf, 1, 1000);
                continue;
            }
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* The value of header name in head[0..n), or NULL. */
static const char *sink_header(const char *head, size_t n, const char *name, size_t *vn)
{
    size_t nl = strlen(name);
    const char *p = head, *e = head + n;
    while (p < e) {
        const char *eol = memchr(p, '\n', (size_t)(e - p));
        if (!eol)
            eol = e;
        if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *vn = (size_t)(ve - v);
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

/* Serve the complete requests in c's buffer; false: close it. */
static bool sink_serve(sink_conn *c, int out_fd, unsigned long *reqs)
{
    for (;;) {
        char *eoh = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
        if (!eoh)
            return c->len < (1u << 20);
        size_t head_len = (size_t)(eoh - c->buf) + 4, vn;
        const char *v = sink_header(c->buf, head_len, "Transfer-Encoding", &vn);
        if (v) {
            static const char r[] = "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n"
                                    "Connection: close\r\n\r\n";
            send_all(c->fd, r, sizeof r - 1);
            return false;
        }
        size_t body_len = 0;
        if ((v = sink_header(c->buf, head_len, "Content-Length", &vn)))
            body_len = strtoull(v, NULL, 10);
        if (c->len < head_len + body_len) {
            if (!c->continued && (v = sink_header(c->buf, head_len, "Expect", &vn)) && vn == 12 &&
                strncasecmp(v, "100-continue", 12) == 0) {
                static const char r[] = "HTTP/1.1 100 Continue\r\n\r\n";
                send_all(c->fd, r, sizeof r - 1);
                c->continued = true;
            }
            if (c->cap < head_len + body_len) {
                c->cap = head_len + body_len;
                c->buf = realloc(c->buf, c->cap);
                if (!c->buf)
                    abort();
            }
            return true;
        }
        if (body_len) {
            const char *p = c->buf + head_len;
            size_t n = body_len;
            while (n) {
                ssize_t w = write(out_fd, p, n);
                if (w < 0) {
                    if (errno == EINTR)
                        continue;
                    fprintf(stderr, "benchtool sink: write: %s\n", strerror(errno));
                    exit(1);
                }
                p += w;
                n -= (size_t)w;
            }
        }
        static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        send_all(c->fd, ok, sizeof ok - 1);
        (*reqs)++;
        c->continued = false;
        memmove(c->buf, c->buf + head_len + body_len, c->len - head_len - body_len);
        c->len -= head_len + body_len;
    }
}

static int cmd_sink(const char *port_file, const char *out_file)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int out_fd = open(out_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (out_fd < 0 || lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(lfd, 64) != 0 || getsockname(lfd, (struct sockaddr *)&a, &al) != 0) {
        fprintf(stderr, "benchtool sink: %s\n", strerror(errno));
        return 1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    FILE *pf = fopen(tmp, "w");
    if (!pf)
        return 1;
    fprintf(pf, "%d\n", ntohs(a.sin_port));
    fclose(pf);
    rename(tmp, port_file);
    enum { MAXC = 64 };
    sink_conn conns[MAXC];
    for (int i = 0; i < MAXC; i++)
        conns[i] = (sink_conn){.fd = -1};
    unsigned long reqs = 0;
    while (!sink_stop) {
        struct pollfd pfd[MAXC + 1];
        int map[MAXC + 1], n = 0;
        pfd[n++] = (struct pollfd){lfd, POLLIN, 0};
        for (int i = 0; i < MAXC; i++)
            if (conns[i].fd >= 0) {
                map[n] = i;
                pfd[n++] = (struct pollfd){conns[i].fd, POLLIN, 0};
            }
        if (poll(pfd, (nfds_t)n, 500) < 0)
            continue;
        for (int k = 1; k < n; k++) {
            if (!pfd[k].revents)
                continue;
            sink_conn *c = &conns[map[k]];
            if (c->cap - c->len < 65536) {
                c->cap = c->cap < 262144 ? 262144 : c->cap * 2;
                c->buf = realloc(c->buf, c->cap);
                if (!c->buf)
                    abort();
            }
            ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r <= 0 || (c->len += (size_t)r, !sink_serve(c, out_fd, &reqs))) {
                close(c->fd);
                free(c->buf);
                *c = (sink_conn){.fd = -1};
            }
        }
        if (pfd[0].revents & POLLIN) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                int one = 1, slot = -1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                for (int i = 0; i < MAXC && slot < 0; i++)
                    if (conns[i].fd < 0)
                        slot = i;
                if (slot < 0)
                    close(fd);
                else
                    conns[slot] = (sink_conn){.fd = fd};
            }
        }
    }
    fprintf(stderr, "benchtool sink: %lu requests answered\n", reqs);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 5 && strcmp(argv[1], "wait") == 0)
        return cmd_wait(argv[2], strtoull(argv[3], NULL, 10), atof(argv[4]),
                        argc > 5 ? (pid_t)atoi(argv[5]) : 0);
    if (argc == 4 && strcmp(argv[1], "check") == 0)
        return cmd_check(argv[2], strtoull(argv[3], NULL, 10));
    if (argc >= 4 && strcmp(argv[1], "blast") == 0)
        return cmd_blast(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 1);
    if (argc == 3 && strcmp(argv[1], "stat") == 0)
        return cmd_stat((pid_t)atoi(argv[2]));
    if (argc == 5 && strcmp(argv[1], "waitport") == 0)
        return cmd_waitport(argv[2], argv[3], atof(argv[4]));
    if (argc == 4 && strcmp(argv[1], "sink") == 0)
        return cmd_sink(argv[2], argv[3]);
    fprintf(stderr, "usage: see the comment at the top of tests/bench/benchtool.c\n");
    return 2;
}
