/* exec_process.h: one child process of the `exec` handler and the line
 * round trip with it: spawn (posix_spawn, pipes with O_CLOEXEC, every other
 * descriptor closed in the child, default signal dispositions and an empty
 * signal mask, its own process group), write a line to its stdin and read
 * one line from its stdout under a deadline and a length bound, and stop or
 * kill it, always reaping it. Nothing here locks: a process is used by one
 * thread at a time (exec.c's pool sees to that). */
#ifndef SLUICE_HANDLERS_EXEC_PROCESS_H
#define SLUICE_HANDLERS_EXEC_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"

typedef struct {
    pid_t pid;          /* 0: not running */
    int to_fd;          /* the child's stdin (non-blocking), -1 when closed */
    int from_fd;        /* the child's stdout (non-blocking), -1 when closed */
} sl_xproc;

/* The executable a command name stands for: a name with a slash as is,
 * otherwise the first executable regular file of that name along $PATH.
 * Returns 0 and the path in out[0..cap), or an errno (ENOENT, EACCES, ...). */
int sl_xproc_resolve(const char *cmd, char *out, size_t cap);

/* Start `path` with argv and envp (envp NULL: sluice's environment); its
 * stderr goes to err_fd (-1: sluice's own stderr). Returns 0, or the errno
 * of the failure (including the child's failed exec). */
int sl_xproc_spawn(sl_xproc *p, const char *path, char *const argv[], char *const envp[],
                   int err_fd);

typedef enum {
    SL_XR_OK,           /* a line was read */
    SL_XR_TIMEOUT,      /* the deadline passed */
    SL_XR_EOF,          /* the child closed its stdout or stdin (exited?) */
    SL_XR_TOO_LONG,     /* no newline within max_line bytes */
    SL_XR_IO,           /* another I/O error (errno in *err) */
} sl_xr_result;

/* Write w[0..wn) to the child, then read through the next newline into rb.
 * On SL_XR_OK the line (without its newline) is rb->p[0..*line_len); bytes
 * after it stay in rb after sl_xproc_consume(). deadline_ns is on
 * CLOCK_MONOTONIC (sl_mono_ns). */
sl_xr_result sl_xproc_roundtrip(sl_xproc *p, const char *w, size_t wn, sl_buf *rb,
                                size_t max_line, int64_t deadline_ns, size_t *line_len,
                                int *err);
/* Drop the line just read (and its newline) from rb. */
void sl_xproc_consume(sl_buf *rb, size_t line_len);

/* Has the idle child written anything (or closed its stdout)? True when
 * the process is out of step with the protocol or gone: *gone tells which. */
bool sl_xproc_unsolicited(sl_xproc *p, sl_buf *rb, bool *gone);

/* Close our ends and reap the child: wait up to grace_ns for it to exit by
 * itself, then SIGTERM its process group, wait up to term_ns more, then
 * SIGKILL it. Returns the wait status (-1 if it could not be had). */
int sl_xproc_stop(sl_xproc *p, int64_t grace_ns, int64_t term_ns);
/* SIGKILL the child's process group at once and reap it. */
int sl_xproc_kill(sl_xproc *p);

/* A wait status as words: "exited with status 1", "was killed by signal 11
 * (SEGV)". */
void sl_xproc_describe(int status, char *buf, size_t cap);

/* Several processes stopped together: close every stdin, then share one
 * deadline for all of them (grace_ns, then SIGTERM and term_ns, then
 * SIGKILL). Each status goes to status[i] (may be NULL). */
void sl_xproc_stop_all(sl_xproc *const *ps, size_t n, int64_t grace_ns, int64_t term_ns,
                       int *status);

#endif
