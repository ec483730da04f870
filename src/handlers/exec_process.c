/* exec_process.c: spawning, talking to and stopping one child process of
 * the `exec` handler (see exec_process.h). */
#include "handlers/exec_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"

static bool is_exec_file(const char *path, int *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        *err = errno;
        return false;
    }
    if (!S_ISREG(sb.st_mode)) {
        *err = S_ISDIR(sb.st_mode) ? EISDIR : EACCES;
        return false;
    }
    if (access(path, X_OK) != 0) {
        *err = errno;
        return false;
    }
    return true;
}

int sl_xproc_resolve(const char *cmd, char *out, size_t cap)
{
    int err = ENOENT;
    if (!cmd || !*cmd)
        return ENOENT;
    if (strchr(cmd, '/')) {
        if (strlen(cmd) >= cap)
            return ENAMETOOLONG;
        if (!is_exec_file(cmd, &err))
            return err;
        snprintf(out, cap, "%s", cmd);
        return 0;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    int first_err = 0;
    for (const char *p = path;;) {
        const char *colon = strchr(p, ':');
        size_t dl = colon ? (size_t)(colon - p) : strlen(p);
        int n = dl ? snprintf(out, cap, "%.*s/%s", (int)dl, p, cmd)
                   : snprintf(out, cap, "%s", cmd);    /* empty entry: the cwd */
        if (n > 0 && (size_t)n < cap) {
            if (is_exec_file(out, &err))
                return 0;
            if (err != ENOENT && err != ENOTDIR && !first_err)
                first_err = err;    /* e.g. found but not executable */
        }
        if (!colon)
            break;
        p = colon + 1;
    }
    return first_err ? first_err : ENOENT;
}

/* A pipe whose ends are both above stderr (so that dup2 onto 0, 1, 2 in the
 * child always makes a new descriptor without O_CLOEXEC). */
static int pipe_above_stderr(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        return errno;
    for (int i = 0; i < 2; i++) {
        if (fds[i] > 2)
            continue;
        int nfd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        if (nfd < 0) {
            int e = errno;
            close(fds[0]);
            close(fds[1]);
            return e;
        }
        close(fds[i]);
        fds[i] = nfd;
    }
    return 0;
}

int sl_xproc_spawn(sl_xproc *p, const char *path, char *const argv[], char *const envp[],
                   int err_fd)
{
    p->pid = 0;
    p->to_fd = p->from_fd = -1;
    int in[2], out[2];
    int e = pipe_above_stderr(in);
    if (e)
        return e;
    e = pipe_above_stderr(out);
    if (e) {
        close(in[0]);
        close(in[1]);
        return e;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (err_fd >= 0 && err_fd != 2)
        posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    /* Descriptors some library opened without O_CLOEXEC stay ours. */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    /* Workers block every signal and sluice ignores SIGPIPE: the child
     * starts with neither. Its own process group keeps a terminal's ^C
     * for sluice, which then stops the children in order. */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
    pid_t pid;
    e = posix_spawn(&pid, path, &fa, &at, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(in[0]);
    close(out[1]);
    if (e) {
        close(in[1]);
        close(out[0]);
        return e;
    }
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    p->pid = pid;
    p->to_fd = in[1];
    p->from_fd = out[0];
    return 0;
}

static int poll_ms(int64_t deadline_ns)
{
    int64_t left = deadline_ns - sl_mono_ns();
    if (left <= 0)
        return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > 60000 ? 60000 : (int)ms;
}

/* Read what is there into rb; 1: got bytes, 0: EOF, -1: nothing (EAGAIN),
 * -2: error. */
static int read_some(int fd, sl_buf *rb, size_t want)
{
    sl_buf_reserve(rb, want);
    for (;;) {
        ssize_t r = read(fd, rb->p + rb->len, rb->cap - rb->len);
        if (r > 0) {
            rb->len += (size_t)r;
            return 1;
        }
        if (r == 0)
            return 0;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2;
    }
}

sl_xr_result sl_xproc_roundtrip(sl_xproc *p, const char *w, size_t wn, sl_buf *rb,
                                size_t max_line, int64_t deadline_ns, size_t *line_len,
                                int *err)
{
    size_t off = 0, scanned = 0;
    *err = 0;
    for (;;) {
        /* A whole line (after everything was written) ends the trip. */
        if (off == wn) {
            const char *nl = rb->len > scanned ? memchr(rb->p + scanned, '\n', rb->len - scanned)
                                               : NULL;
            if (nl) {
                *line_len = (size_t)(nl - rb->p);
                return *line_len > max_line ? SL_XR_TOO_LONG : SL_XR_OK;
            }
            scanned = rb->len;
            if (rb->len > max_line)
                return SL_XR_TOO_LONG;
        }
        struct pollfd pf[2];
        int np = 0, wi = -1;
        pf[np++] = (struct pollfd){.fd = p->from_fd, .events = POLLIN};
        if (off < wn) {
            wi = np;
            pf[np++] = (struct pollfd){.fd = p->to_fd, .events = POLLOUT};
        }
        int r = poll(pf, (nfds_t)np, poll_ms(deadline_ns));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            *err = errno;
            return SL_XR_IO;
        }
        if (r == 0) {
            if (sl_mono_ns() >= deadline_ns)
                return SL_XR_TIMEOUT;
            continue;
        }
        if (wi >= 0 && pf[wi].revents) {
            ssize_t n = write(p->to_fd, w + off, wn - off);
            if (n > 0) {
                off += (size_t)n;
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                if (errno == EPIPE)
                    return SL_XR_EOF;
                *err = errno;
                return SL_XR_IO;
            }
        }
        if (pf[0].revents) {
            /* Read at most a little past the bound: memory stays bounded. */
            size_t room = max_line + 1 > rb->len ? max_line + 1 - rb->len : 1;
            int rr = read_some(p->from_fd, rb, room < 65536 ? room : 65536);
            if (rr == 0)
                return SL_XR_EOF;
            if (rr == -2) {
                *err = errno;
                return SL_XR_IO;
            }
        }
    }
}

void sl_xproc_consume(sl_buf *rb, size_t line_len)
{
    size_t used = line_len + 1 <= rb->len ? line_len + 1 : rb->len;
    memmove(rb->p, rb->p + used, rb->len - used);
    rb->len -= used;
}

bool sl_xproc_unsolicited(sl_xproc *p, sl_buf *rb, bool *gone)
{
    *gone = false;
    struct pollfd pf = {.fd = p->from_fd, .events = POLLIN};
    if (poll(&pf, 1, 0) > 0 && pf.revents) {
        int rr = read_some(p->from_fd, rb, 4096);
        if (rr == 0 || rr == -2) {
            *gone = true;
            return true;
        }
    }
    return rb->len > 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static void nap(void)
{
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

void sl_xproc_stop_all(sl_xproc *const *ps, size_t n, int64_t grace_ns, int64_t term_ns,
                       int *status)
{
    for (size_t i = 0; i < n; i++) {
        close_fd(&ps[i]->to_fd);    /* end of input: a well-behaved child exits */
        if (status)
            status[i] = -1;
    }
    int64_t t0 = sl_mono_ns();
    int phase = 0;  /* 0: waiting, 1: SIGTERM sent, 2: SIGKILL sent */
    for (;;) {
        size_t alive = 0;
        for (size_t i = 0; i < n; i++) {
            sl_xproc *p = ps[i];
            if (p->pid <= 0)
                continue;
            int st;
            pid_t r = waitpid(p->pid, &st, phase == 2 ? 0 : WNOHANG);
            if (r == p->pid || (r < 0 && errno != EINTR)) {
                if (r == p->pid && status)
                    status[i] = st;
                p->pid = 0;
                close_fd(&p->from_fd);
            } else {
                alive++;
            }
        }
        if (!alive)
            break;
        int64_t now = sl_mono_ns();
        if (phase == 0 && now - t0 >= grace_ns) {
            phase = 1;
            for (size_t i = 0; i < n; i++)
                if (ps[i]->pid > 0)
                    kill(-ps[i]->pid, SIGTERM);
        } else if (phase == 1 && now - t0 >= grace_ns + term_ns) {
            phase = 2;
            for (size_t i = 0; i < n; i++)
                if (ps[i]->pid > 0)
                    kill(-ps[i]->pid, SIGKILL);
        } else if (phase < 2) {
            nap();
        }
    }
    for (size_t i = 0; i < n; i++)
        close_fd(&ps[i]->from_fd);
}

int sl_xproc_stop(sl_xproc *p, int64_t grace_ns, int64_t term_ns)
{
    int st = -1;
    sl_xproc *one[1] = {p};
    sl_xproc_stop_all(one, 1, grace_ns, term_ns, &st);
    return st;
}

int sl_xproc_kill(sl_xproc *p)
{
    if (p->pid > 0)
        kill(-p->pid, SIGKILL);
    return sl_xproc_stop(p, 0, 0);
}

void sl_xproc_describe(int status, char *buf, size_t cap)
{
    if (status == -1) {
        snprintf(buf, cap, "exited (status unknown)");
    } else if (WIFEXITED(status)) {
        snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(status));
        snprintf(buf, cap, "was killed by signal %d (SIG%s)", WTERMSIG(status),
                 abbrev ? abbrev : "?");
    } else {
        snprintf(buf, cap, "ended (wait status %d)", status);
    }
}
