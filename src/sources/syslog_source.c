/* syslog_source.c: the `syslog` source. Listens on UDP, TCP and unix
 * sockets (listener.c); TCP and unix-stream connections are split with
 * RFC 6587 framing (octet counting or LF, per message; with tls.* options
 * they speak TLS, which makes TCP RFC 5425), datagrams are one message
 * each. The I/O thread only frames; each message is parsed
 * (parsers/syslog) into fields on the worker that takes its chunk, before
 * the handlers (ops->decode). One that does not parse is kept whole with a
 * parse_error field. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "parsers/syslog.h"
#include "runtime.h"
#include "sources/listener.h"
#include "util/xalloc.h"

#define SYS "syslog"

typedef struct {
    sl_listener_cfg lc;
} syslog_cfg;

typedef struct {
    sl_listener *l;
} syslog_state;

static const sl_option syslog_options[] = {
    SL_LISTENER_OPTIONS(syslog_cfg),
    SL_OPT_END,
};

static const char *const facilities[24] = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};
static const char *const severities[8] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* The fields decode adds have names distinct from each other and from
 * the only one an event can have before (the listener's "truncated"), so
 * they are appended without a lookup. */
static void put_string(sl_event *ev, const char *name, size_t name_len, const char *s, size_t n)
{
    sl_value_set_string(sl_fields_append(ev->chunk, &ev->fields, name, name_len), s, n);
}

#define PUT_SPAN(ev, lit, span)                                                            \
    do {                                                                                   \
        if ((span).ptr)                                                                    \
            put_string(ev, lit, sizeof(lit) - 1, (span).ptr, (span).len);                  \
    } while (0)

/* structured_data: { SD-ID: { PARAM: "value", ... }, ... } */
static void set_structured_data(sl_event *ev, sl_syslog_span sd)
{
    sl_chunk *c = ev->chunk;
    sl_fields *map = NULL;
    sl_syslog_sd_iter it;
    sl_syslog_sd_element el;
    sl_syslog_sd_iter_init(&it, sd);
    while (sl_syslog_sd_next_element(&it, &el)) {
        if (!map) {
            map = sl_fields_new_map(c);
            sl_value *v = sl_fields_append(c, &ev->fields, "structured_data", 15);
            v->type = SL_VAL_MAP;
            v->u.map = map;
        }
        sl_fields *params = sl_fields_new_map(c);
        sl_value *ev_el = sl_fields_set(c, map, el.id.ptr, el.id.len);
        ev_el->type = SL_VAL_MAP;
        ev_el->u.map = params;
        sl_syslog_sd_iter pit;
        sl_syslog_sd_param p;
        sl_syslog_sd_param_iter_init(&pit, &el);
        while (sl_syslog_sd_next_param(&pit, &p)) {
            char *buf = sl_event_alloc(ev, p.value.len ? p.value.len : 1);
            size_t n = sl_syslog_sd_unescape(p.value, buf, p.value.len);
            sl_value_set_string(sl_fields_set(c, params, p.name.ptr, p.name.len), buf, n);
        }
    }
}

/* The local UTC offset for RFC 3164 timestamps (which carry none),
 * looked up again every minute; one cache per worker thread. */
static int32_t local_offset(int64_t now_s)
{
    static _Thread_local int64_t at;    /* unix seconds offset was computed at */
    static _Thread_local int32_t offset;
    if (at == 0 || now_s - at >= 60 || now_s < at) {
        time_t t = (time_t)now_s;
        struct tm tm;
        localtime_r(&t, &tm);
        offset = (int32_t)tm.tm_gmtoff;
        at = now_s;
    }
    return offset;
}

/* I/O thread: one message, as received (its time: when it was read). */
static sl_event *syslog_frame(sl_source *src, sl_chunk *c, const char *p, size_t n,
                              int64_t now_ns)
{
    (void)src;
    /* Trailing LFs (CRs, NULs) are not part of the message: an
     * octet-counted frame may end with one (rsyslog's
     * RSYSLOG_SyslogProtocol23Format does), as datagrams may (listener.c
     * drops theirs); rsyslog and syslog-ng drop it on reception too. */
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == '\0'))
        n--;
    return sl_chunk_add_event(c, p, n, now_ns);
}

/* Worker: parse the message into fields; the event's message becomes the
 * MSG part and its time the header's timestamp, if it has one. */
static void syslog_decode(sl_source *src, sl_event *ev)
{
    (void)src;
    const char *p = ev->msg;
    size_t n = ev->msg_len;
    int64_t now_s = ev->time_ns / 1000000000;
    sl_syslog_msg m;
    bool ok = sl_syslog_parse(p, n, now_s, local_offset(now_s), &m);
    if (ok) {
        ev->msg = m.message.ptr ? m.message.ptr : p + n;
        ev->msg_len = m.message.ptr ? m.message.len : 0;
    }
    if (m.has_timestamp)
        ev->time_ns = m.timestamp_ns;
    /* room for exactly what is added: in-flight events are most of memory */
    uint32_t nf = (m.facility >= 0 && m.facility < 24) + (m.severity >= 0 && m.severity < 8) +
                  !!m.hostname.ptr + !!m.app_name.ptr + !!m.procid.ptr + !!m.msgid.ptr +
                  !!m.structured_data.ptr + !ok;
    sl_fields_reserve(ev->chunk, &ev->fields, nf);
    if (m.facility >= 0 && m.facility < 24)
        put_string(ev, "facility", 8, facilities[m.facility], strlen(facilities[m.facility]));
    if (m.severity >= 0 && m.severity < 8)
        put_string(ev, "severity", 8, severities[m.severity], strlen(severities[m.severity]));
    PUT_SPAN(ev, "hostname", m.hostname);
    PUT_SPAN(ev, "app_name", m.app_name);
    PUT_SPAN(ev, "procid", m.procid);
    PUT_SPAN(ev, "msgid", m.msgid);
    if (m.structured_data.ptr)
        set_structured_data(ev, m.structured_data);
    if (!ok) {
        const char *e = m.error ? m.error : "invalid syslog message";
        put_string(ev, "parse_error", 11, e, strlen(e));
    }
}

static void syslog_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    syslog_cfg *cfg = cfgp;
    sl_listener_check(&cfg->lc, node, what, d);
}

static int syslog_start(sl_source *src)
{
    const syslog_cfg *cfg = src->cfg;
    syslog_state *st = sl_calloc(1, sizeof *st);
    src->state = st;
    st->l = sl_listener_start(src, &cfg->lc, SL_FRAMING_SYSLOG, syslog_frame, SYS);
    return st->l ? 0 : -1;
}

static void syslog_resume(sl_source *src)
{
    syslog_state *st = src->state;
    if (st)
        sl_listener_resume(st->l);
}

static void syslog_stop(sl_source *src)
{
    syslog_state *st = src->state;
    if (st)
        sl_listener_stop(st->l);
}

static void syslog_destroy(sl_source *src)
{
    syslog_state *st = src->state;
    if (!st)
        return;
    sl_listener_free(st->l);
    free(st);
    src->state = NULL;
}

static void syslog_kernel_drops(sl_source *src,
                              void (*emit)(void *ctx, const char *item, uint64_t drops), void *ctx)
{
    syslog_state *st = src->state;
    if (st)
        sl_listener_kernel_drops(st->l, emit, ctx);
}

static const sl_source_ops syslog_ops = {
    .kernel_drops = syslog_kernel_drops,
    .decode = syslog_decode,
    .start = syslog_start,
    .resume = syslog_resume,
    .stop = syslog_stop,
    .destroy = syslog_destroy,
};

const sl_plugin sl_source_syslog = {
    .name = "syslog",
    .kind = SL_PLUGIN_SOURCE,
    .summary = "Syslog (RFC 5424 and RFC 3164) over UDP, TCP (RFC 6587 framing; TLS: RFC "
               "5425) and unix sockets, parsed into fields.",
    .options = syslog_options,
    .config_size = sizeof(syslog_cfg),
    .check = syslog_check,
    .source = &syslog_ops,
};
