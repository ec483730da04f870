/* log_writer.c: writes numbered log lines to a file the way an application
 * does (O_APPEND, whole lines per write), optionally rotating it the way
 * logrotate's `create` mode does (rename to PATH.N, open a new PATH) every
 * --rotate-bytes. For the file source's rotation and crash tests: every
 * line carries "NAME seq=NNNNNNNNN" so the delivered set can be checked.
 *
 *   log_writer -o PATH -n LINES [--name NAME] [--start SEQ]
 *              [--rotate-bytes N] [--lines-per-write K] [--pause-us U]
 *              [--width BYTES]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what, const char *path)
{
    fprintf(stderr, "log_writer: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static int open_log(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        die("cannot open", path);
    return fd;
}

static void write_all(int fd, const char *p, size_t n, const char *path)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            die("cannot write", path);
        p += w;
        n -= (size_t)w;
    }
}

int main(int argc, char **argv)
{
    const char *path = NULL, *name = "w";
    unsigned long long lines = 0, start = 0, rotate_bytes = 0, per_write = 16, pause_us = 0;
    unsigned width = 200;
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'N'},
        {"start", required_argument, NULL, 's'},
        {"rotate-bytes", required_argument, NULL, 'r'},
        {"lines-per-write", required_argument, NULL, 'k'},
        {"pause-us", required_argument, NULL, 'p'},
        {"width", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "o:n:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': path = optarg; break;
        case 'n': lines = strtoull(optarg, NULL, 10); break;
        case 'N': name = optarg; break;
        case 's': start = strtoull(optarg, NULL, 10); break;
        case 'r': rotate_bytes = strtoull(optarg, NULL, 10); break;
        case 'k': per_write = strtoull(optarg, NULL, 10); break;
        case 'p': pause_us = strtoull(optarg, NULL, 10); break;
        case 'w': width = (unsigned)strtoul(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: log_writer -o PATH -n LINES [--name N] [--start SEQ] "
                            "[--rotate-bytes B] [--lines-per-write K] [--pause-us U] "
                            "[--width W]\n");
            return 2;
        }
    }
    if (!path || width < 40 || width > 4096 || per_write == 0) {
        fprintf(stderr, "log_writer: -o PATH is required; --width 40..4096\n");
        return 2;
    }
    int fd = open_log(path);
    size_t cap = (size_t)per_write * (width + 1);
    char *buf = malloc(cap);
    size_t len = 0;
    unsigned long long since_rotate = 0, generation = 0;
    for (unsigned long long i = 0; i < lines; i++) {
        int n = snprintf(buf + len, width + 1, "%s seq=%09llu ", name, start + i);
        memset(buf + len + n, 'a' + (int)(i % 26), width - 1 - (size_t)n);
        buf[len + width - 1] = '\n';
        len += width;
        if ((i + 1) % per_write == 0 || i + 1 == lines) {
            write_all(fd, buf, len, path);
            since_rotate += len;
            len = 0;
            if (pause_us)
                usleep((useconds_t)pause_us);
        }
        if (rotate_bytes && since_rotate >= rotate_bytes && i + 1 < lines) {
            char rotated[4096];
            snprintf(rotated, sizeof rotated, "%s.%llu", path, ++generation);
            close(fd);
            if (rename(path, rotated) != 0)
                die("cannot rename", path);
            fd = open_log(path);
            since_rotate = 0;
        }
    }
    close(fd);
    free(buf);
    return 0;
}
