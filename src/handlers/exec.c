/* exec.c: the `exec` handler: events through an external process, in any
 * language, over a line protocol on its stdin and stdout.
 *
 * Protocol (documented in sluice.yaml(5), "External handlers"): sluice
 * writes each event as one line, the object the ndjson encoding writes
 * (sl_encode_event); for each line the process writes exactly one line
 * back: a JSON array of zero or more event objects, or {"error": "..."}.
 * In a reply object `message` is the message, `timestamp` (RFC 3339) the
 * event time, and every other key a field (objects nested maps, arrays
 * their JSON text); `source`, `host` and the origin key (`file`, `peer`)
 * equal to the event's own are not made fields. [] drops the event, the
 * first object replaces it, further ones are emitted after it; an error
 * object fails the event with that message (dead letter).
 *
 * A pool of `processes` children, started at create (a command that cannot
 * be executed fails the startup; `--check` already looks it up). A worker
 * takes a free process (waiting if none is free), makes one round trip
 * under `timeout`, and puts it back; several workers so run in parallel.
 * When a process dies, times out, writes an over-long line or writes
 * output nobody asked for, it is reaped and restarted, after
 * `restart_backoff` doubling up to `restart_backoff_max` while failures
 * repeat (a good reply resets it); the event in flight gets an ERROR saying
 * what happened, and no other event is blamed: one that finds its process
 * dead waits for the restart. The children's stderr goes, line by line and
 * rate-limited, to sluice's log, read by one thread per handler. At
 * destroy their stdin is closed, then SIGTERM, then SIGKILL; every child is
 * reaped.
 *
 * The reply is parsed with jansson (plain malloc here: parse_json's arena
 * allocator is private to it); strings and keys are copied into the chunk
 * arena and the tree freed. The line buffers are per process and reused. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "encode.h"
#include "handlers/exec_process.h"
#include "log.h"
#include "pipeline_config.h"
#include "plugin.h"
#include "runtime.h"
#include "util/clock.h"
#include "util/units.h"
#include "util/xalloc.h"

#define XLOG "handler"

typedef struct {
    sl_strlist command;
    int64_t processes;
    int64_t timeout_ns;
    int64_t backoff_ns;
    int64_t backoff_max_ns;
    int64_t stop_timeout_ns;
    uint64_t max_line_bytes;
    sl_strmap env;
} exec_cfg;

#define O(f) offsetof(exec_cfg, f)
static const sl_option exec_options[] = {
    {"command", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(command),
     "The program and its arguments, e.g. [python3, /etc/sluice/enrich.py] (no shell; a name "
     "without a slash is looked up in PATH)."},
    {"processes", SL_OPT_INT, "1", 0, 1, 256, NULL, O(processes),
     "Processes started; workers take a free one per event (or wait), so up to this many "
     "events are handled in parallel."},
    {"timeout", SL_OPT_DURATION, "5s", 0, 1000000, 3600000000000LL, NULL, O(timeout_ns),
     "Longest wait for the reply to one event; then the event fails (\"timed out\") and the "
     "process is killed and restarted."},
    {"restart_backoff", SL_OPT_DURATION, "100ms", 0, 1000000, 3600000000000LL, NULL,
     O(backoff_ns),
     "Wait before restarting a process that died or was killed; it doubles while restarts "
     "keep failing, and a good reply resets it."},
    {"restart_backoff_max", SL_OPT_DURATION, "30s", 0, 1000000, 3600000000000LL, NULL,
     O(backoff_max_ns), "Longest wait before a restart."},
    {"stop_timeout", SL_OPT_DURATION, "2s", 0, 0, 600000000000LL, NULL, O(stop_timeout_ns),
     "At shutdown, how long a process may take to exit after its stdin is closed; then "
     "SIGTERM, 1s later SIGKILL."},
    {"max_line_bytes", SL_OPT_SIZE, "1MiB", 0, 1024, 1LL << 30, NULL, O(max_line_bytes),
     "Longest reply line; a longer one fails the event and restarts the process."},
    {"env", SL_OPT_STRMAP, NULL, 0, 0, 0, NULL, O(env),
     "Environment variables set for the processes, on top of sluice's own."},
    SL_OPT_END,
};

static void describe_errno(const char *cmd, int e, char *buf, size_t cap)
{
    if (e == ENOENT && !strchr(cmd, '/'))
        snprintf(buf, cap, "not found in PATH");
    else
        snprintf(buf, cap, "%s", strerror(e));
}

static void exec_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    exec_cfg *cfg = cfgp;
    const sl_node *at = sl_node_get(node, "command");
    if (!at)
        at = node;
    if (cfg->command.n == 0 || !cfg->command.v[0][0]) {
        sl_diag_error(d, at, "%s: command must name a program", what);
        return;
    }
    char path[PATH_MAX], why[128];
    int e = sl_xproc_resolve(cfg->command.v[0], path, sizeof path);
    if (e) {
        describe_errno(cfg->command.v[0], e, why, sizeof why);
        sl_diag_error(d, at, "%s: cannot run command \"%s\": %s", what, cfg->command.v[0], why);
    }
    if (cfg->backoff_max_ns < cfg->backoff_ns)
        sl_diag_error(d, sl_node_get(node, "restart_backoff_max"),
                      "%s: restart_backoff_max is shorter than restart_backoff", what);
}

/* ---- state ---------------------------------------------------------------- */

typedef struct {
    sl_xproc proc;
    bool busy;
    int64_t restart_at;     /* CLOCK_MONOTONIC: not respawned before */
    uid_t uid;              /* the user it was started as (see ensure_running) */
    int64_t backoff;        /* the wait after the next failure */
    int64_t delay;          /* the wait before the pending restart */
    sl_buf wbuf, rbuf;      /* the request line, the reply bytes; reused */
} xslot;

typedef struct {
    char *label;
    char path[PATH_MAX];        /* the executable, resolved once */
    char **argv;                /* NULL-terminated; strings in the config */
    char **envp;                /* NULL: sluice's environment */
    size_t n_env_own;           /* envp strings we allocated (at the end) */
    size_t n_envp;
    int64_t timeout_ns, backoff0, backoff_max, stop_ns;
    size_t max_line;

    size_t n;
    xslot *slots;
    size_t n_free;
    pthread_mutex_t mu;
    pthread_cond_t cv;

    int err_rd, err_wr;         /* the children's shared stderr pipe */
    int wake[2];                /* tells the stderr thread to finish */
    pthread_t err_thread;
    bool err_started;
    sl_ratelimit stderr_rl, restart_rl;

    atomic_ulong timeouts, died, bad_replies;
} exec_state;

/* ---- the children's stderr ------------------------------------------------ */

static void log_stderr_line(exec_state *st, const char *p, size_t n)
{
    while (n && (p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    if (!n)
        return;
    unsigned suppressed;
    if (sl_ratelimit_allow(&st->stderr_rl, 100, &suppressed))
        sl_warn(XLOG, "%s: stderr: %.*s%s", st->label, (int)n, p,
                suppressed ? " (earlier lines were suppressed)" : "");
}

static void *stderr_main(void *arg)
{
    exec_state *st = arg;
    char buf[2048];
    size_t len = 0;
    bool stopping = false;
    for (;;) {
        struct pollfd pf[2] = {{.fd = st->err_rd, .events = POLLIN},
                               {.fd = st->wake[0], .events = POLLIN}};
        int r = poll(pf, 2, stopping ? 0 : -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (pf[1].revents)
            stopping = true;
        ssize_t n = read(st->err_rd, buf + len, sizeof buf - len);
        if (n > 0) {
            len += (size_t)n;
            size_t start = 0;
            for (;;) {
                char *nl = memchr(buf + start, '\n', len - start);
                if (!nl)
                    break;
                log_stderr_line(st, buf + start, (size_t)(nl - (buf + start)));
                start = (size_t)(nl - buf) + 1;
            }
            if (start == 0 && len == sizeof buf) {  /* a very long line: cut */
                log_stderr_line(st, buf, len);
                start = len;
            }
            memmove(buf, buf + start, len - start);
            len -= start;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || stopping) {
            log_stderr_line(st, buf, len);
            break;
        }
    }
    return NULL;
}

/* ---- the pool --------------------------------------------------------------- */

static xslot *take_slot(exec_state *st)
{
    pthread_mutex_lock(&st->mu);
    while (st->n_free == 0)
        pthread_cond_wait(&st->cv, &st->mu);
    xslot *pick = NULL;
    for (size_t i = 0; i < st->n; i++) {
        xslot *s = &st->slots[i];
        if (s->busy)
            continue;
        if (!pick || (s->proc.pid > 0 && pick->proc.pid <= 0))
            pick = s;       /* prefer a running process */
        if (pick->proc.pid > 0)
            break;
    }
    assert(pick);               /* n_free > 0: some slot is not busy */
    pick->busy = true;
    st->n_free--;
    pthread_mutex_unlock(&st->mu);
    return pick;
}

static void put_slot(exec_state *st, xslot *s)
{
    pthread_mutex_lock(&st->mu);
    s->busy = false;
    st->n_free++;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

/* The process of s is gone: restart it after the backoff, which doubles. */
static void schedule_restart(exec_state *st, xslot *s)
{
    s->rbuf.len = 0;
    s->delay = s->backoff;
    s->restart_at = sl_mono_ns() + s->backoff;
    s->backoff = s->backoff * 2 > st->backoff_max ? st->backoff_max : s->backoff * 2;
}

static void log_restart(exec_state *st, xslot *s, pid_t pid, const char *what)
{
    unsigned suppressed;
    if (!sl_ratelimit_allow(&st->restart_rl, 10, &suppressed))
        return;
    char d[32];
    sl_format_duration(s->delay, d, sizeof d);
    sl_warn(XLOG, "%s: handler process %d %s; restarting it in %s%s", st->label, (int)pid, what,
            d, suppressed ? " (similar messages were suppressed)" : "");
}

static int spawn(exec_state *st, xslot *s)
{
    s->uid = geteuid();
    return sl_xproc_spawn(&s->proc, st->path, st->argv, st->envp, st->err_wr);
}

/* Make sure s has a live process that is in step with the protocol. False
 * (why set) when it could not be started. */
static bool ensure_running(exec_state *st, xslot *s, char *why, size_t cap)
{
    /* Started at startup, before service.user dropped root: replace it by
     * one running as the user sluice now is, before it sees any event. */
    if (s->proc.pid > 0 && s->uid != geteuid()) {
        sl_xproc_stop(&s->proc, 1000000000, 1000000000);
        int e = spawn(st, s);
        if (e) {
            snprintf(why, cap, "cannot start handler process %.160s: %s", st->path, strerror(e));
            return false;
        }
    }
    if (s->proc.pid > 0) {
        bool gone;
        if (!sl_xproc_unsolicited(&s->proc, &s->rbuf, &gone))
            return true;
        pid_t pid = s->proc.pid;
        char what[160];
        if (gone) {
            char how[96];
            sl_xproc_describe(sl_xproc_stop(&s->proc, 1000000000, 1000000000), how, sizeof how);
            snprintf(what, sizeof what, "%s while idle", how);
        } else {
            snprintf(what, sizeof what,
                     "wrote %zu bytes nobody asked for (one reply line per event); killed it",
                     s->rbuf.len);
            sl_xproc_kill(&s->proc);
        }
        atomic_fetch_add_explicit(&st->died, 1, memory_order_relaxed);
        schedule_restart(st, s);
        log_restart(st, s, pid, what);
    }
    int64_t wait = s->restart_at - sl_mono_ns();
    if (wait > 0) {
        struct timespec ts = {(time_t)(wait / 1000000000), (long)(wait % 1000000000)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    int e = spawn(st, s);
    if (e) {
        schedule_restart(st, s);
        snprintf(why, cap, "cannot start handler process %.160s: %s", st->path, strerror(e));
        unsigned suppressed;
        if (sl_ratelimit_allow(&st->restart_rl, 10, &suppressed))
            sl_error(XLOG, "%s: %s", st->label, why);
        return false;
    }
    return true;
}

/* ---- replies into events ------------------------------------------------- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool num(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/* RFC 3339: 2026-11-22T15:44:43[.123456](Z|+01:00). */
static bool parse_rfc3339(const char *p, size_t n, int64_t *ns)
{
    int y, mo, d, h, mi, s;
    if (n < 20 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
        p[13] != ':' || p[16] != ':')
        return false;
    if (!num(p, 4, &y) || !num(p + 5, 2, &mo) || !num(p + 8, 2, &d) || !num(p + 11, 2, &h) ||
        !num(p + 14, 2, &mi) || !num(p + 17, 2, &s))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return false;
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && p[i] == '.') {
        size_t k = 0;
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, k++)
            if (k < 9)
                frac = frac * 10 + (p[i] - '0');
        if (k == 0)
            return false;
        for (; k < 9; k++)
            frac *= 10;
    }
    int64_t off = 0;
    if (i + 1 == n && (p[i] == 'Z' || p[i] == 'z')) {
        off = 0;
    } else if (i + 6 == n && (p[i] == '+' || p[i] == '-') && p[i + 3] == ':') {
        int oh, om;
        if (!num(p + i + 1, 2, &oh) || !num(p + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        off = (oh * 3600 + om * 60) * (p[i] == '-' ? -1 : 1);
    } else {
        return false;
    }
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off;
    *ns = secs * 1000000000 + frac;
    return true;
}

static const char *arena_copy(sl_chunk *c, const char *p, size_t n)
{
    return n ? sl_arena_strndup(&c->arena, p, n) : "";
}

static void put_value(sl_chunk *c, sl_fields *f, const char *k, size_t kl, json_t *j);

static void put_children(sl_chunk *c, sl_fields *m, json_t *obj)
{
    const char *k;
    size_t kl;
    json_t *v;
    json_object_keylen_foreach(obj, k, kl, v) put_value(c, m, k, kl, v);
}

static void put_value(sl_chunk *c, sl_fields *f, const char *k, size_t kl, json_t *j)
{
    sl_value *v = sl_fields_set(c, f, arena_copy(c, k, kl), kl);
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        sl_fields *m = sl_fields_new_map(c);
        put_children(c, m, j);
        v->type = SL_VAL_MAP;
        v->u.map = m;
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
        char *buf = sl_arena_alloc(&c->arena, n ? n : 1);
        n = json_dumpb(j, buf, n, JSON_COMPACT | JSON_ENCODE_ANY);
        v->type = SL_VAL_STRING;
        v->u.s.p = buf;
        v->u.s.n = n;
        break;
    }
    case JSON_STRING:
        v->type = SL_VAL_STRING;
        v->u.s.n = json_string_length(j);
        v->u.s.p = arena_copy(c, json_string_value(j), v->u.s.n);
        break;
    case JSON_INTEGER:
        v->type = SL_VAL_INT;
        v->u.i = (int64_t)json_integer_value(j);
        break;
    case JSON_REAL:
        v->type = SL_VAL_FLOAT;
        v->u.f = json_real_value(j);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        v->type = SL_VAL_BOOL;
        v->u.b = json_is_true(j);
        break;
    case JSON_NULL:
        v->type = SL_VAL_NULL;
        break;
    }
}

static bool key_is(const char *k, size_t kl, const char *name)
{
    return kl == strlen(name) && memcmp(k, name, kl) == 0;
}

/* A key the encoding added from the chunk (source, host, file/peer) that
 * comes back unchanged is not a field. */
static bool same_builtin(const sl_chunk *c, const char *k, size_t kl, json_t *v)
{
    if (!json_is_string(v))
        return false;
    const char *want = NULL;
    if (key_is(k, kl, "source") && c->source)
        want = c->source->name;
    else if (key_is(k, kl, "host"))
        want = c->host;
    else if (c->origin_key && key_is(k, kl, c->origin_key))
        want = c->origin;
    return want && json_string_length(v) == strlen(want) &&
           memcmp(json_string_value(v), want, json_string_length(v)) == 0;
}

/* The event becomes the reply object: message, time, fields (all new). */
static void fill_event(sl_event *e, json_t *obj)
{
    sl_chunk *c = e->chunk;
    e->fields = (sl_fields){0};
    e->msg = "";
    e->msg_len = 0;
    const char *k;
    size_t kl;
    json_t *v;
    json_object_keylen_foreach(obj, k, kl, v)
    {
        if (key_is(k, kl, "message") && json_is_string(v)) {
            e->msg_len = json_string_length(v);
            e->msg = arena_copy(c, json_string_value(v), e->msg_len);
            continue;
        }
        int64_t t;
        if (key_is(k, kl, "timestamp") && json_is_string(v) &&
            parse_rfc3339(json_string_value(v), json_string_length(v), &t)) {
            e->time_ns = t;
            continue;
        }
        if (same_builtin(c, k, kl, v))
            continue;
        put_value(c, &e->fields, k, kl, v);
    }
}

static sl_handler_result apply_reply(exec_state *st, json_t *root, sl_event *ev,
                                     sl_handler_ctx *hc)
{
    if (json_is_object(root)) {
        json_t *e = json_object_get(root, "error");
        if (!e)
            goto bad;
        if (json_is_string(e)) {
            sl_handler_fail(hc, "%.*s", (int)json_string_length(e), json_string_value(e));
        } else {
            char *txt = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
            sl_handler_fail(hc, "%s", txt ? txt : "error");
            free(txt);
        }
        return SL_HANDLER_ERROR;
    }
    if (!json_is_array(root))
        goto bad;
    size_t n = json_array_size(root);
    for (size_t i = 0; i < n; i++)
        if (!json_is_object(json_array_get(root, i)))
            goto bad;
    if (n == 0)
        return SL_HANDLER_DROP;
    /* Further events start as copies of the input (its time, flags). */
    for (size_t i = 1; i < n; i++)
        fill_event(sl_handler_emit(hc, ev), json_array_get(root, i));
    fill_event(ev, json_array_get(root, 0));
    return SL_HANDLER_PASS;
bad:
    atomic_fetch_add_explicit(&st->bad_replies, 1, memory_order_relaxed);
    sl_handler_fail(hc, "invalid reply from the handler process: expected a JSON array of "
                        "objects or {\"error\": ...}");
    return SL_HANDLER_ERROR;
}

/* ---- the handler ---------------------------------------------------------- */

static sl_handler_result exec_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    exec_state *st = state;
    xslot *s = take_slot(st);
    char why[256];
    if (!ensure_running(st, s, why, sizeof why)) {
        put_slot(st, s);
        sl_handler_fail(hc, "%s", why);
        return SL_HANDLER_ERROR;
    }
    sl_buf_reset(&s->wbuf);
    sl_encode_event(&s->wbuf, ev, SL_ENC_NDJSON);
    size_t ll = 0;
    int err = 0;
    sl_xr_result r = sl_xproc_roundtrip(&s->proc, s->wbuf.p, s->wbuf.len, &s->rbuf,
                                        st->max_line, sl_mono_ns() + st->timeout_ns, &ll, &err);
    if (r != SL_XR_OK) {
        pid_t pid = s->proc.pid;
        char how[96], what[200];
        switch (r) {
        case SL_XR_TIMEOUT: {
            char d[32];
            sl_format_duration(st->timeout_ns, d, sizeof d);
            sl_xproc_kill(&s->proc);
            atomic_fetch_add_explicit(&st->timeouts, 1, memory_order_relaxed);
            snprintf(why, sizeof why, "timed out after %s (the handler process was killed)", d);
            snprintf(what, sizeof what, "did not reply within %s; killed it", d);
            break;
        }
        case SL_XR_TOO_LONG:
            sl_xproc_kill(&s->proc);
            snprintf(why, sizeof why,
                     "reply longer than max_line_bytes (%zu bytes; the handler process was "
                     "killed)",
                     st->max_line);
            snprintf(what, sizeof what, "wrote a reply over max_line_bytes; killed it");
            break;
        default:
            if (r == SL_XR_IO)
                kill(-pid, SIGKILL);
            sl_xproc_describe(sl_xproc_stop(&s->proc, 1000000000, 1000000000), how, sizeof how);
            if (r == SL_XR_IO)
                snprintf(why, sizeof why, "I/O error with the handler process: %s",
                         strerror(err));
            else
                snprintf(why, sizeof why, "handler process %s", how);
            snprintf(what, sizeof what, "%s while handling an event", how);
            break;
        }
        atomic_fetch_add_explicit(&st->died, 1, memory_order_relaxed);
        schedule_restart(st, s);
        log_restart(st, s, pid, what);
        put_slot(st, s);
        sl_handler_fail(hc, "%s", why);
        return SL_HANDLER_ERROR;
    }
    json_error_t je;
    json_t *root = json_loadb(s->rbuf.p, ll, JSON_ALLOW_NUL, &je);
    sl_xproc_consume(&s->rbuf, ll);
    s->backoff = st->backoff0;      /* it answered: healthy again */
    put_slot(st, s);
    if (!root) {
        atomic_fetch_add_explicit(&st->bad_replies, 1, memory_order_relaxed);
        sl_handler_fail(hc, "invalid reply from the handler process: %s at offset %d", je.text,
                        je.position);
        return SL_HANDLER_ERROR;
    }
    sl_handler_result res = apply_reply(st, root, ev, hc);
    json_decref(root);
    return res;
}

static void build_env(exec_state *st, const sl_strmap *env)
{
    if (!env->n)
        return;
    size_t ne = 0;
    while (environ && environ[ne])
        ne++;
    st->envp = sl_calloc(ne + env->n + 1, sizeof *st->envp);
    size_t k = 0;
    for (size_t i = 0; i < ne; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        bool overridden = false;
        for (size_t j = 0; j < env->n && !overridden; j++)
            overridden = strlen(env->keys[j]) == nl && memcmp(env->keys[j], environ[i], nl) == 0;
        if (!overridden)
            st->envp[k++] = sl_strdup(environ[i]);
    }
    for (size_t j = 0; j < env->n; j++) {
        size_t n = strlen(env->keys[j]) + strlen(env->vals[j]) + 2;
        st->envp[k] = sl_malloc(n);
        snprintf(st->envp[k], n, "%s=%s", env->keys[j], env->vals[j]);
        k++;
    }
    st->n_envp = k;
}

static void exec_destroy(void *state);

static void *exec_create(const void *cfgp, const char *name)
{
    const exec_cfg *cfg = cfgp;
    exec_state *st = sl_calloc(1, sizeof *st);
    st->label = sl_strdup(name ? name : "exec");
    st->err_rd = st->err_wr = st->wake[0] = st->wake[1] = -1;
    st->timeout_ns = cfg->timeout_ns;
    st->backoff0 = cfg->backoff_ns;
    st->backoff_max = cfg->backoff_max_ns > cfg->backoff_ns ? cfg->backoff_max_ns
                                                            : cfg->backoff_ns;
    st->stop_ns = cfg->stop_timeout_ns;
    st->max_line = (size_t)cfg->max_line_bytes;
    st->n = (size_t)cfg->processes;
    st->slots = sl_calloc(st->n, sizeof *st->slots);
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    for (size_t i = 0; i < st->n; i++) {
        st->slots[i].proc.to_fd = st->slots[i].proc.from_fd = -1;
        st->slots[i].backoff = st->backoff0;
    }
    st->n_free = st->n;
    st->argv = sl_calloc(cfg->command.n + 1, sizeof *st->argv);
    for (size_t i = 0; i < cfg->command.n; i++)
        st->argv[i] = cfg->command.v[i];
    build_env(st, &cfg->env);

    const char *cmd = cfg->command.n ? cfg->command.v[0] : "";
    int e = sl_xproc_resolve(cmd, st->path, sizeof st->path);
    if (e) {
        char why[128];
        describe_errno(cmd, e, why, sizeof why);
        sl_error(XLOG, "%s: cannot run command \"%s\": %s", st->label, cmd, why);
        goto fail;
    }
    int ep[2];
    if (pipe2(ep, O_CLOEXEC) != 0 || pipe2(st->wake, O_CLOEXEC) != 0) {
        sl_error(XLOG, "%s: pipe: %s", st->label, strerror(errno));
        goto fail;
    }
    st->err_rd = ep[0];
    st->err_wr = ep[1];
    fcntl(st->err_rd, F_SETFL, fcntl(st->err_rd, F_GETFL) | O_NONBLOCK);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);     /* signals are the I/O thread's */
    int pe = pthread_create(&st->err_thread, NULL, stderr_main, st);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pe != 0) {
        sl_error(XLOG, "%s: cannot start a thread: %s", st->label, strerror(pe));
        goto fail;
    }
    st->err_started = true;
    for (size_t i = 0; i < st->n; i++) {
        e = spawn(st, &st->slots[i]);
        if (e) {
            sl_error(XLOG, "%s: cannot start \"%s\" (%s): %s", st->label, cmd, st->path,
                     strerror(e));
            goto fail;
        }
    }
    sl_debug(XLOG, "%s: started %zu processes of %s", st->label, st->n, st->path);
    return st;
fail:
    exec_destroy(st);
    return NULL;
}

static void exec_destroy(void *state)
{
    exec_state *st = state;
    sl_xproc **ps = sl_calloc(st->n ? st->n : 1, sizeof *ps);
    int *status = sl_calloc(st->n ? st->n : 1, sizeof *status);
    pid_t *pids = sl_calloc(st->n ? st->n : 1, sizeof *pids);
    size_t np = 0;
    for (size_t i = 0; i < st->n; i++)
        if (st->slots[i].proc.pid > 0) {
            pids[np] = st->slots[i].proc.pid;
            ps[np++] = &st->slots[i].proc;
        }
    sl_xproc_stop_all(ps, np, st->stop_ns, 1000000000, status);
    for (size_t i = 0; i < np; i++) {
        if (status[i] == 0)
            continue;
        char how[96];
        sl_xproc_describe(status[i], how, sizeof how);
        sl_warn(XLOG, "%s: handler process %d %s at shutdown", st->label, (int)pids[i], how);
    }
    free(ps);
    free(status);
    free(pids);
    if (st->err_wr >= 0)
        close(st->err_wr);
    if (st->err_started) {
        ssize_t w;
        do
            w = write(st->wake[1], "x", 1);
        while (w < 0 && errno == EINTR);
        pthread_join(st->err_thread, NULL);
    }
    if (st->err_rd >= 0)
        close(st->err_rd);
    for (int i = 0; i < 2; i++)
        if (st->wake[i] >= 0)
            close(st->wake[i]);
    unsigned long died = atomic_load(&st->died), timeouts = atomic_load(&st->timeouts),
                  bad = atomic_load(&st->bad_replies);
    if (died || bad)
        sl_info(XLOG,
                "%s: %lu process restarts (%lu timed out), %lu replies that were not valid",
                st->label, died, timeouts, bad);
    for (size_t i = 0; i < st->n; i++) {
        sl_buf_free(&st->slots[i].wbuf);
        sl_buf_free(&st->slots[i].rbuf);
    }
    free(st->slots);
    for (size_t i = 0; i < st->n_envp; i++)
        free(st->envp[i]);
    free(st->envp);
    free(st->argv);
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cv);
    free(st->label);
    free(st);
}

static const sl_handler_ops exec_ops = {
    .create = exec_create,
    .process = exec_process,
    .destroy = exec_destroy,
};

const sl_plugin sl_handler_exec = {
    .name = "exec",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Sends each event to an external process (a line of JSON) and takes its reply: "
               "zero or more events, or an error.",
    .options = exec_options,
    .config_size = sizeof(exec_cfg),
    .check = exec_check,
    .handler = &exec_ops,
};
