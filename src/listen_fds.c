/* listen_fds.c: listening sockets kept across a reload (see the header).
 * SLUICE_LISTEN_FDS is "FD URL\n" lines; URLs have no newlines. */
#include "listen_fds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define ENV "SLUICE_LISTEN_FDS"

typedef struct {
    int fd;
    char *url;
} entry;

static entry *inherited, *offered;
static size_t n_inherited, n_offered;
static bool handing_over;

static void push(entry **v, size_t *n, int fd, const char *url, size_t len)
{
    *v = sl_realloc(*v, (*n + 1) * sizeof **v);
    char *u = sl_malloc(len + 1);
    memcpy(u, url, len);
    u[len] = 0;
    (*v)[(*n)++] = (entry){fd, u};
}

void sl_listen_fds_init(void)
{
    const char *env = getenv(ENV);
    if (!env)
        return;
    const char *p = env;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *end;
        long fd = strtol(p, &end, 10);
        struct stat st;
        if (end > p && *end == ' ' && fd >= 3 && fd < 65536 && fstat((int)fd, &st) == 0 &&
            S_ISSOCK(st.st_mode)) {
            fcntl((int)fd, F_SETFD, FD_CLOEXEC);
            push(&inherited, &n_inherited, (int)fd, end + 1, len - (size_t)(end + 1 - p));
        } else {
            sl_warn("reload", "ignoring a malformed entry in %s", ENV);
        }
        p += len + (nl ? 1 : 0);
    }
    unsetenv(ENV);
}

int sl_listen_fds_take(const char *url)
{
    for (size_t i = 0; i < n_inherited; i++) {
        if (inherited[i].fd >= 0 && strcmp(inherited[i].url, url) == 0) {
            int fd = inherited[i].fd;
            inherited[i].fd = -1;
            return fd;
        }
    }
    return -1;
}

void sl_listen_fds_close_unused(void)
{
    for (size_t i = 0; i < n_inherited; i++) {
        if (inherited[i].fd >= 0) {
            sl_info("reload", "closing %s: no source listens there any more", inherited[i].url);
            close(inherited[i].fd);
        }
        free(inherited[i].url);
    }
    free(inherited);
    inherited = NULL;
    n_inherited = 0;
}

void sl_listen_fds_begin_handover(void) { handing_over = true; }
bool sl_listen_fds_handover(void) { return handing_over; }

void sl_listen_fds_offer(const char *url, int fd)
{
    if (strchr(url, '\n')) {
        close(fd);
        return;
    }
    push(&offered, &n_offered, fd, url, strlen(url));
}

void sl_listen_fds_export(void)
{
    sl_buf b = {0};
    for (size_t i = 0; i < n_offered; i++) {
        /* survive the exec */
        int flags = fcntl(offered[i].fd, F_GETFD);
        if (flags >= 0)
            fcntl(offered[i].fd, F_SETFD, flags & ~FD_CLOEXEC);
        sl_buf_printf(&b, "%d %s\n", offered[i].fd, offered[i].url);
        free(offered[i].url);
    }
    free(offered);
    offered = NULL;
    n_offered = 0;
    sl_buf_putc(&b, 0);
    if (b.len > 1)
        setenv(ENV, b.p, 1);
    sl_buf_free(&b);
}
