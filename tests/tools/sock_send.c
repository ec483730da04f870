/* sock_send.c: a test client for the socket and syslog sources.
 *
 *   sock_send stream ADDR FRAMING COUNT PREFIX
 *       one connection; COUNT messages "PREFIX seq=NNNNNNNNN", framed as
 *       FRAMING: lf, nul or octet ("LEN SP MSG")
 *   sock_send dgram ADDR COUNT PREFIX
 *       COUNT datagrams "PREFIX seq=NNNNNNNNN" (udp: or unix:)
 *   sock_send raw ADDR
 *       standard input to one stream connection, then close (to a
 *       datagram address: as one datagram)
 *   sock_send hold ADDR SECONDS
 *       standard input to one stream connection, then wait up to SECONDS
 *       for the server to close it; prints "closed" or "open"
 *   sock_send conns ADDR N
 *       open N stream connections at once, then close them all; prints how
 *       many connected
 *
 * ADDR is tcp:HOST:PORT, udp:HOST:PORT, unix:PATH (datagram) or
 * unix-stream:PATH. Exits 1 on any error. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "sock_send: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* A whole decimal number argument, or exit 2. */
static long num_arg(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno) {
        fprintf(stderr, "sock_send: bad number \"%s\"\n", s);
        exit(2);
    }
    return v;
}

static int connect_to(const char *addr, int *is_dgram)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", addr);
    int type;
    if (strncmp(buf, "unix-stream:", 12) == 0 || strncmp(buf, "unix:", 5) == 0) {
        int stream = strncmp(buf, "unix-stream:", 12) == 0;
        const char *path = buf + (stream ? 12 : 5);
        type = stream ? SOCK_STREAM : SOCK_DGRAM;
        struct sockaddr_un sa = {0};
        sa.sun_family = AF_UNIX;
        if (strlen(path) >= sizeof sa.sun_path)
            exit(2);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, type, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
            die("connect");
        if (is_dgram)
            *is_dgram = !stream;
        return fd;
    }
    if (strncmp(buf, "tcp:", 4) == 0)
        type = SOCK_STREAM;
    else if (strncmp(buf, "udp:", 4) == 0)
        type = SOCK_DGRAM;
    else {
        fprintf(stderr, "sock_send: bad address %s\n", addr);
        exit(2);
    }
    char *host = buf + 4;
    char *port = strrchr(host, ':');
    if (!port)
        exit(2);
    *port++ = 0;
    if (host[0] == '[') {
        host++;
        host[strlen(host) - 1] = 0;
    }
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = type;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        die("getaddrinfo");
    int fd = socket(res->ai_family, type, 0);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0)
        die("connect");
    freeaddrinfo(res);
    if (is_dgram)
        *is_dgram = type == SOCK_DGRAM;
    return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("write");
        }
        p += w;
        n -= (size_t)w;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: see the comment in sock_send.c\n");
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "stream") == 0 && argc == 6) {
        int fd = connect_to(argv[2], NULL);
        const char *framing = argv[3];
        long count = num_arg(argv[4]);
        const char *prefix = argv[5];
        size_t cap = 1 << 16, len = 0;
        char *out = malloc(cap + 1024);
        for (long i = 0; i < count; i++) {
            char msg[600];
            int n = snprintf(msg, sizeof msg, "%.500s seq=%09ld", prefix, i);
            if (strcmp(framing, "octet") == 0)
                len += (size_t)sprintf(out + len, "%d %s", n, msg);
            else {
                memcpy(out + len, msg, (size_t)n);
                len += (size_t)n;
                out[len++] = strcmp(framing, "nul") == 0 ? '\0' : '\n';
            }
            if (len >= cap) {
                write_all(fd, out, len);
                len = 0;
            }
        }
        write_all(fd, out, len);
        free(out);
        close(fd);
        return 0;
    }
    if (strcmp(cmd, "dgram") == 0 && argc == 5) {
        int fd = connect_to(argv[2], NULL);
        long count = num_arg(argv[3]);
        for (long i = 0; i < count; i++) {
            char msg[600];
            int n = snprintf(msg, sizeof msg, "%.500s seq=%09ld", argv[4], i);
            if (send(fd, msg, (size_t)n, 0) < 0)
                die("send");
        }
        close(fd);
        return 0;
    }
    if (strcmp(cmd, "raw") == 0 && argc == 3) {
        int dgram = 0;
        int fd = connect_to(argv[2], &dgram);
        static char buf[1 << 20];
        ssize_t n;
        size_t len = 0;
        while ((n = read(0, buf + len, sizeof buf - len)) > 0) {
            if (dgram) {
                len += (size_t)n;       /* all of standard input, one datagram */
                if (len == sizeof buf)
                    break;
                continue;
            }
            write_all(fd, buf, (size_t)n);
        }
        if (dgram && send(fd, buf, len, 0) < 0)
            die("send");
        close(fd);
        return 0;
    }
    if (strcmp(cmd, "hold") == 0 && argc == 4) {
        int fd = connect_to(argv[2], NULL);
        char buf[65536];
        ssize_t n;
        while ((n = read(0, buf, sizeof buf)) > 0)
            write_all(fd, buf, (size_t)n);
        struct timeval tv = {num_arg(argv[3]), 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        n = read(fd, buf, sizeof buf);
        puts(n == 0 ? "closed" : "open");
        close(fd);
        return 0;
    }
    if (strcmp(cmd, "conns") == 0 && argc == 4) {
        long n = num_arg(argv[3]);
        int *fds = calloc((size_t)n, sizeof *fds);
        for (long i = 0; i < n; i++)
            fds[i] = connect_to(argv[2], NULL);
        printf("%ld\n", n);
        for (long i = 0; i < n; i++)
            close(fds[i]);
        free(fds);
        return 0;
    }
    fprintf(stderr, "sock_send: bad arguments\n");
    return 2;
}
