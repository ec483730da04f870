/* net_garbage.c: hostile clients for the network sources' garbage tests.
 *
 *   net_garbage dgrams ADDR COUNT MAXLEN
 *       COUNT datagrams of random bytes (from /dev/urandom), each of a
 *       random length 1..MAXLEN, to udp:HOST:PORT or unix:PATH; prints how
 *       many were sent (a full socket buffer is waited out, not skipped)
 *   net_garbage conns ADDR N
 *       opens N stream connections to tcp:HOST:PORT or unix-stream:PATH at
 *       once and keeps them open, silent; prints "connected N" once they
 *       are all up, then waits for its standard input to reach its end,
 *       then prints "open K" (K: how many the server had not closed) and
 *       exits. Exits 1 if a connection cannot be made.
 *
 * IPv4 and unix addresses only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "net_garbage: %s: %s\n", what, strerror(errno));
    exit(1);
}

static long num_arg(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < 0) {
        fprintf(stderr, "net_garbage: bad number \"%s\"\n", s);
        exit(2);
    }
    return v;
}

/* A connected socket of `type` to ADDR (kind prefix checked by the caller). */
static int connect_to(const char *addr, int type)
{
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    const char *colon = strchr(addr, ':');
    if (!colon)
        exit(2);
    if (strncmp(addr, "unix", 4) == 0) {
        struct sockaddr_un *su = (struct sockaddr_un *)&ss;
        su->sun_family = AF_UNIX;
        if (strlen(colon + 1) >= sizeof su->sun_path)
            exit(2);
        memcpy(su->sun_path, colon + 1, strlen(colon + 1) + 1);
        sl = sizeof *su;
    } else {
        char host[256];
        const char *pc = strrchr(addr, ':');
        size_t hl = (size_t)(pc - colon - 1);
        if (hl >= sizeof host)
            exit(2);
        memcpy(host, colon + 1, hl);
        host[hl] = 0;
        struct sockaddr_in *si = (struct sockaddr_in *)&ss;
        si->sin_family = AF_INET;
        si->sin_port = htons((unsigned short)num_arg(pc + 1));
        if (inet_pton(AF_INET, host, &si->sin_addr) != 1) {
            fprintf(stderr, "net_garbage: %s: IPv4 addresses only\n", addr);
            exit(2);
        }
        sl = sizeof *si;
    }
    int fd = socket(ss.ss_family, type, 0);
    if (fd < 0)
        die("socket");
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0)
        die("connect");
    return fd;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "dgrams") == 0) {
        if (strncmp(argv[2], "udp:", 4) != 0 && strncmp(argv[2], "unix:", 5) != 0)
            exit(2);
        long count = num_arg(argv[3]), maxlen = num_arg(argv[4]);
        if (maxlen < 1 || maxlen > 65000)
            exit(2);
        int fd = connect_to(argv[2], SOCK_DGRAM);
        FILE *r = fopen("/dev/urandom", "rb");
        if (!r)
            die("/dev/urandom");
        char *buf = malloc((size_t)maxlen);
        long sent = 0;
        for (long i = 0; i < count; i++) {
            unsigned char lb[2];
            if (fread(lb, 1, 2, r) != 2)
                die("read");
            size_t len = 1 + (size_t)((lb[0] << 8 | lb[1]) % maxlen);
            if (fread(buf, 1, len, r) != len)
                die("read");
            while (send(fd, buf, len, 0) < 0) {
                if (errno == ECONNREFUSED)      /* ICMP from an earlier one: resend */
                    continue;
                if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
                    die("send");
                usleep(1000);
            }
            sent++;
        }
        printf("%ld\n", sent);
        free(buf);
        fclose(r);
        close(fd);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "conns") == 0) {
        if (strncmp(argv[2], "tcp:", 4) != 0 && strncmp(argv[2], "unix-stream:", 12) != 0)
            exit(2);
        long n = num_arg(argv[3]);
        int *fds = calloc((size_t)n + 1, sizeof *fds);
        for (long i = 0; i < n; i++)
            fds[i] = connect_to(argv[2], SOCK_STREAM);
        printf("connected %ld\n", n);
        fflush(stdout);
        char b[256];
        while (read(0, b, sizeof b) > 0) {
        }
        long open = 0;
        for (long i = 0; i < n; i++) {
            ssize_t got = recv(fds[i], b, sizeof b, MSG_DONTWAIT);
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                open++;
            close(fds[i]);
        }
        printf("open %ld\n", open);
        free(fds);
        return 0;
    }
    fprintf(stderr, "usage: see the comment in net_garbage.c\n");
    return 2;
}
