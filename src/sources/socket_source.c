/* socket_source.c: the `socket` source. Listens on UDP, TCP and unix
 * sockets (listener.c); stream connections are split by `framing`,
 * datagrams are one event each. With `decode: json` every frame is decoded
 * into fields (jansson) on the worker that takes its chunk, before the
 * handlers (ops->decode); one that is not a JSON object is kept raw with a
 * decode_error field. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runtime.h"
#include "sources/json_fields.h"
#include "sources/listener.h"
#include "util/xalloc.h"

#define SOCK "socket"

enum { DECODE_RAW, DECODE_JSON };

typedef struct {
    sl_listener_cfg lc;
    int framing;
    int decode;
} socket_cfg;

typedef struct {
    sl_listener *l;
    int decode;
} socket_state;

/* In SL_FRAMING_* order, then "nul", another word for "null" (which YAML
 * reads as a null unless quoted). */
static const char *const framings[] = {"newline", "octet_counting", "null", "nul", NULL};
static const char *const decodes[] = {"raw", "json", NULL};

static const sl_option socket_options[] = {
    SL_LISTENER_OPTIONS(socket_cfg),
    {"framing", SL_OPT_ENUM, "newline", 0, 0, 0, framings, offsetof(socket_cfg, framing),
     "How stream connections are split: newline (LF, a CR before it trimmed), "
     "octet_counting (\"LEN SP MSG\", RFC 6587) or \"null\" (NUL bytes; quoted, or nul). "
     "Datagrams are one event each."},
    {"decode", SL_OPT_ENUM, "raw", 0, 0, 0, decodes, offsetof(socket_cfg, decode),
     "raw: the frame is the message; json: a JSON object's keys become fields (a frame that "
     "is not one is kept raw with a decode_error field)."},
    SL_OPT_END,
};

/* I/O thread: one frame, one event. */
static sl_event *socket_frame(sl_source *src, sl_chunk *c, const char *p, size_t n,
                              int64_t now_ns)
{
    (void)src;
    return sl_chunk_add_event(c, p, n, now_ns);
}

/* Worker, with decode: json: the object's keys become fields. */
static void socket_decode(sl_source *src, sl_event *ev)
{
    socket_state *st = src->state;
    if (st->decode == DECODE_JSON)
        sl_json_decode_message(ev);
}

static void socket_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    socket_cfg *cfg = cfgp;
    sl_listener_check(&cfg->lc, node, what, d);
}

static int socket_start(sl_source *src)
{
    const socket_cfg *cfg = src->cfg;
    socket_state *st = sl_calloc(1, sizeof *st);
    src->state = st;
    st->decode = cfg->decode;
    int framing = cfg->framing == SL_FRAMING_SYSLOG ? SL_FRAMING_NUL : cfg->framing;  /* "nul" */
    st->l = sl_listener_start(src, &cfg->lc, framing, socket_frame, SOCK);
    return st->l ? 0 : -1;
}

static void socket_resume(sl_source *src)
{
    socket_state *st = src->state;
    if (st)
        sl_listener_resume(st->l);
}

static void socket_stop(sl_source *src)
{
    socket_state *st = src->state;
    if (st)
        sl_listener_stop(st->l);
}

static void socket_destroy(sl_source *src)
{
    socket_state *st = src->state;
    if (!st)
        return;
    sl_listener_free(st->l);
    free(st);
    src->state = NULL;
}

static void socket_kernel_drops(sl_source *src,
                              void (*emit)(void *ctx, const char *item, uint64_t drops), void *ctx)
{
    socket_state *st = src->state;
    if (st)
        sl_listener_kernel_drops(st->l, emit, ctx);
}

static const sl_source_ops socket_ops = {
    .kernel_drops = socket_kernel_drops,
    .decode = socket_decode,
    .start = socket_start,
    .resume = socket_resume,
    .stop = socket_stop,
    .destroy = socket_destroy,
};

const sl_plugin sl_source_socket = {
    .name = "socket",
    .kind = SL_PLUGIN_SOURCE,
    .summary = "Lines, NUL- or octet-counted frames and datagrams from UDP, TCP and unix "
               "sockets (streams optionally over TLS), raw or decoded from JSON.",
    .options = socket_options,
    .config_size = sizeof(socket_cfg),
    .check = socket_check,
    .source = &socket_ops,
};
