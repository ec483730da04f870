/* http_load.c: a load client for the http source (issue 6).
 *
 *   http_load --port N [--host 127.0.0.1] [--path /] [--requests 1000]
 *             [--events 100] [--concurrency 16] [--check-file FILE]
 *             [--backoff-ms 20]
 *
 * POSTs REQUESTS NDJSON bodies of EVENTS events each, from CONCURRENCY
 * threads, one connection per attempt. Event i of request r is
 *   {"message":"load r=R seq=NNNNNNNNN","r":R}   with seq = r * EVENTS + i.
 * A 429 or 503 is retried after BACKOFF-MS (it must carry Retry-After; the
 * test's own short backoff keeps the run short); any other status, or a
 * request that gets no answer, is an error (resending it could duplicate).
 *
 * With --check-file, every 200 is verified on the spot: the file (sluice's
 * file destination) is read up to its end and must already hold every
 * sequence number of that request ("a 200 means the events are in the
 * file"). Sequence numbers seen twice in the file are counted too.
 *
 * Prints one line of counts:
 *   requests=R ok=R attempts=A busy429=N busy503=N other=0 unanswered=0
 *   no_retry_after=0 missing_at_200=0 dup_in_file=0
 * and exits 0 when every request ended in a 200 and no count after
 * busy503 is non-zero; 1 otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *host = "127.0.0.1", *path = "/", *check_file;
static int port, n_requests = 1000, n_events = 100, concurrency = 16, backoff_ms = 20;

static atomic_int next_req;
static atomic_long attempts, ok, busy429, busy503, other, unanswered, no_retry_after;

/* --check-file state, under check_mu */
static pthread_mutex_t check_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *check_fp;
static unsigned char *seen;         /* times each seq was read from the file */
static char *pending;               /* a partial last line */
static size_t pending_len, pending_cap;
static long missing_at_200, dup_in_file;

static void die(const char *what)
{
    fprintf(stderr, "http_load: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void note_line(const char *p, size_t n)
{
    const char *s = memmem(p, n, "seq=", 4);
    if (!s)
        return;
    long v = 0;
    size_t i = (size_t)(s - p) + 4, digits = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 12) {
        v = v * 10 + (p[i++] - '0');
        digits++;
    }
    if (!digits || v < 0 || v >= (long)n_requests * n_events)
        return;
    if (seen[v] < 255 && ++seen[v] == 2)
        dup_in_file++;
}

/* Read what the file gained since the last call (whole lines only). */
static void catch_up(void)
{
    char buf[65536];
    size_t got;
    clearerr(check_fp);
    while ((got = fread(buf, 1, sizeof buf, check_fp)) > 0) {
        if (pending_len + got > pending_cap) {
            pending_cap = (pending_len + got) * 2;
            pending = realloc(pending, pending_cap);
            if (!pending)
                die("realloc");
        }
        memcpy(pending + pending_len, buf, got);
        pending_len += got;
        size_t start = 0;
        for (size_t i = 0; i < pending_len; i++) {
            if (pending[i] == '\n') {
                note_line(pending + start, i - start);
                start = i + 1;
            }
        }
        memmove(pending, pending + start, pending_len - start);
        pending_len -= start;
    }
}

static void check_request(int r)
{
    pthread_mutex_lock(&check_mu);
    if (!check_fp && !(check_fp = fopen(check_file, "r")))
        die(check_file);
    catch_up();
    int missing = 0;
    for (int i = 0; i < n_events; i++)
        if (!seen[(long)r * n_events + i])
            missing++;
    if (missing) {
        if (missing_at_200 < 5)
            fprintf(stderr, "http_load: request %d answered 200 but %d of its events are "
                            "not in %s\n", r, missing, check_file);
        missing_at_200++;
    }
    pthread_mutex_unlock(&check_mu);
}

static int connect_once(void)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "http_load: --host must be an IPv4 address\n");
        exit(2);
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket");
    struct timeval tv = {120, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One attempt: the status (0 when there was no answer); *retry_after set
 * when the response had that header. */
static int attempt(const char *req, size_t req_len, int *retry_after)
{
    *retry_after = 0;
    int fd = connect_once();
    if (fd < 0)
        return 0;
    if (write_all(fd, req, req_len) != 0) {
        close(fd);
        return 0;
    }
    char buf[16384];
    size_t len = 0;
    char *hdr_end = NULL;
    while (!hdr_end && len < sizeof buf - 1) {
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = 0;
        hdr_end = strstr(buf, "\r\n\r\n");
    }
    close(fd);                  /* Connection: close: the rest is not needed */
    /* "HTTP/1.x NNN ..." */
    if (!hdr_end || strncmp(buf, "HTTP/1.", 7) != 0 || !buf[7] || buf[8] != ' ')
        return 0;
    char *end;
    long status = strtol(buf + 9, &end, 10);
    if (end == buf + 9 || status < 100 || status > 999)
        return 0;
    for (char *l = strstr(buf, "\r\n"); l && l < hdr_end; l = strstr(l + 2, "\r\n"))
        if (strncasecmp(l + 2, "Retry-After:", 12) == 0)
            *retry_after = 1;
    return (int)status;
}

static void *worker(void *arg)
{
    (void)arg;
    size_t cap = (size_t)n_events * 80 + 512;
    char *body = malloc(cap), *req = malloc(cap + 512);
    if (!body || !req)
        die("malloc");
    for (;;) {
        int r = atomic_fetch_add(&next_req, 1);
        if (r >= n_requests)
            break;
        size_t blen = 0;
        for (int i = 0; i < n_events; i++)
            blen += (size_t)snprintf(body + blen, cap - blen,
                                     "{\"message\":\"load r=%d seq=%09ld\",\"r\":%d}\n", r,
                                     (long)r * n_events + i, r);
        int hl = snprintf(req, 512,
                          "POST %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n"
                          "Content-Type: application/x-ndjson\r\nContent-Length: %zu\r\n\r\n",
                          path, host, port, blen);
        memcpy(req + hl, body, blen);
        for (;;) {
            int ra;
            atomic_fetch_add(&attempts, 1);
            int status = attempt(req, (size_t)hl + blen, &ra);
            if (status == 200) {
                atomic_fetch_add(&ok, 1);
                if (check_file)
                    check_request(r);
                break;
            }
            if (status == 429 || status == 503) {
                atomic_fetch_add(status == 429 ? &busy429 : &busy503, 1);
                if (!ra)
                    atomic_fetch_add(&no_retry_after, 1);
                sleep_ms(backoff_ms);
                continue;
            }
            if (status == 0) {
                atomic_fetch_add(&unanswered, 1);
                fprintf(stderr, "http_load: request %d: no answer\n", r);
            } else {
                atomic_fetch_add(&other, 1);
                fprintf(stderr, "http_load: request %d: HTTP %d\n", r, status);
            }
            break;
        }
    }
    free(body);
    free(req);
    return NULL;
}

/* A whole decimal number from the command line, or exit 2. */
static int num_arg(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < 0 || v > 1000000000) {
        fprintf(stderr, "http_load: bad number \"%s\"\n", s);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},       {"host", required_argument, NULL, 'H'},
        {"path", required_argument, NULL, 'P'},       {"requests", required_argument, NULL, 'r'},
        {"events", required_argument, NULL, 'e'},     {"concurrency", required_argument, NULL, 'c'},
        {"check-file", required_argument, NULL, 'f'}, {"backoff-ms", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'p': port = num_arg(optarg); break;
        case 'H': host = optarg; break;
        case 'P': path = optarg; break;
        case 'r': n_requests = num_arg(optarg); break;
        case 'e': n_events = num_arg(optarg); break;
        case 'c': concurrency = num_arg(optarg); break;
        case 'f': check_file = optarg; break;
        case 'b': backoff_ms = num_arg(optarg); break;
        default:
            fprintf(stderr, "usage: see the comment in http_load.c\n");
            return 2;
        }
    }
    if (port <= 0 || port > 65535 || n_requests <= 0 || n_events <= 0 || concurrency <= 0 ||
        concurrency > 1024 || backoff_ms < 0) {
        fprintf(stderr, "http_load: bad arguments (--port is required)\n");
        return 2;
    }
    if (check_file && !(seen = calloc((size_t)n_requests * (size_t)n_events, 1)))
        die("calloc");
    pthread_t *th = calloc((size_t)concurrency, sizeof *th);
    for (int i = 0; i < concurrency; i++)
        if (pthread_create(&th[i], NULL, worker, NULL) != 0)
            die("pthread_create");
    for (int i = 0; i < concurrency; i++)
        pthread_join(th[i], NULL);
    printf("requests=%d ok=%ld attempts=%ld busy429=%ld busy503=%ld other=%ld unanswered=%ld "
           "no_retry_after=%ld missing_at_200=%ld dup_in_file=%ld\n",
           n_requests, (long)ok, (long)attempts, (long)busy429, (long)busy503, (long)other,
           (long)unanswered, (long)no_retry_after, missing_at_200, dup_in_file);
    if (check_fp)
        fclose(check_fp);
    free(th);
    free(seen);
    free(pending);
    return ok == n_requests && !other && !unanswered && !no_retry_after && !missing_at_200 &&
                   !dup_in_file
               ? 0
               : 1;
}
