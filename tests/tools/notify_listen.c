/* notify_listen: a stand-in for systemd's notify socket in tests. Binds a
 * datagram unix socket at PATH (or the abstract name "@NAME") and prints
 * every message it receives, each line of it on its own line prefixed with
 * the milliseconds since start, flushing after each message. Runs until
 * SIGTERM/SIGINT (removes PATH on the way out).
 *   notify_listen SOCKET [OUTFILE] */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static long long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: notify_listen SOCKET|@NAME [OUTFILE]\n");
        return 2;
    }
    const char *name = argv[1];
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t n = strlen(name);
    if (n < 2 || n >= sizeof sa.sun_path) {
        fprintf(stderr, "notify_listen: bad socket name\n");
        return 2;
    }
    memcpy(sa.sun_path, name, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    else
        len++;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) != 0) {
        perror("notify_listen: bind");
        if (fd >= 0)
            close(fd);
        return 1;
    }
    FILE *out = stdout;
    if (argc == 3 && !(out = fopen(argv[2], "w"))) {
        perror(argv[2]);
        close(fd);
        return 1;
    }
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_signal;     /* no SA_RESTART: recv returns EINTR */
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char buf[4097];
    while (!stop) {
        ssize_t r = recv(fd, buf, sizeof buf - 1, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            perror("notify_listen: recv");
            break;
        }
        buf[r] = '\0';
        long long ms = ms_since(&t0);
        for (char *line = buf, *nl; line && *line; line = nl) {
            nl = strchr(line, '\n');
            if (nl)
                *nl++ = '\0';
            fprintf(out, "%lld %s\n", ms, line);
        }
        fflush(out);
    }
    if (name[0] != '@')
        unlink(name);
    return 0;
}
