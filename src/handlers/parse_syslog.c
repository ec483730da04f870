/* parse_syslog.c: the `parse_syslog` handler: syslog lines (RFC 5424, RFC
 * 3164 and the BSD variants found in files) through src/parsers/syslog.c.
 * Fields: facility and severity ("local0", "err"), hostname, app_name, procid,
 * msgid, structured_data (a map of SD-ID to a map of its parameters); the
 * message becomes the MSG part and the event time the message's
 * timestamp (a BSD timestamp without year or zone is read in the local
 * time zone, in the year that puts it nearest the time the line was read). Everything points
 * into the message; only SD values with escapes are copied (into the arena).
 * The fields are named and valued as the syslog source's (facility and
 * severity as keywords, parse_error), so both kinds of input look alike. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers/handler_util.h"
#include "parsers/syslog.h"
#include "plugin.h"
#include "util/xalloc.h"

static const char *const on_error_choices[] = {"fail", "keep", NULL};

typedef struct {
    char *source;
    char *target;
    int on_error;
    bool replace_message;
} syslog_cfg;

#define O(f) offsetof(syslog_cfg, f)
static const sl_option syslog_options[] = {
    {"source", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(source),
     "Field holding the syslog line; default: the message."},
    {"target", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(target),
     "Put the fields into this map field; default: at the top level."},
    {"on_error", SL_OPT_ENUM, "fail", 0, 0, 0, on_error_choices, O(on_error),
     "A line that is not valid syslog: fail (dead-letter the event) or keep (pass it on with "
     "whatever was parsed, and the reason in the field parse_error)."},
    {"replace_message", SL_OPT_BOOL, "true", 0, 0, 0, NULL, O(replace_message),
     "The message becomes the MSG part (else the MSG part goes into the field msg)."},
    SL_OPT_END,
};

typedef struct {
    const char *source, *target;
    size_t source_len, target_len;
    bool keep, replace;
} syslog_state;

static void *syslog_create(const void *cfgp, const char *name)
{
    (void)name;
    const syslog_cfg *cfg = cfgp;
    syslog_state *st = sl_calloc(1, sizeof *st);
    st->source = cfg->source;
    st->source_len = hu_len(cfg->source);
    st->target = cfg->target;
    st->target_len = hu_len(cfg->target);
    st->keep = cfg->on_error == 1;
    st->replace = cfg->replace_message;
    return st;
}

static const char *const facilities[24] = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};
static const char *const severities[8] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* The local zone's offset, looked up at most once a minute per thread (the
 * state is shared by every worker, so the cache is per thread). */
static _Thread_local int64_t tz_at;
static _Thread_local int32_t tz_offset;

static int32_t local_offset(int64_t now_s)
{
    if (tz_at == 0 || now_s - tz_at >= 60 || now_s < tz_at) {
        time_t t = (time_t)now_s;
        struct tm tm;
        localtime_r(&t, &tm);
        tz_offset = (int32_t)tm.tm_gmtoff;
        tz_at = now_s;
    }
    return tz_offset;
}

static void span_field(sl_chunk *c, sl_fields *f, const char *name, sl_syslog_span s)
{
    if (s.ptr)
        hu_set_str(c, f, name, strlen(name), s.ptr, s.len);
}

static sl_fields *sd_map(sl_event *ev, sl_syslog_span sd)
{
    sl_chunk *c = ev->chunk;
    sl_fields *m = sl_fields_new_map(c);
    sl_syslog_sd_iter it, pit;
    sl_syslog_sd_element el;
    sl_syslog_sd_param prm;
    sl_syslog_sd_iter_init(&it, sd);
    while (sl_syslog_sd_next_element(&it, &el)) {
        sl_fields *pm = sl_fields_new_map(c);
        sl_syslog_sd_param_iter_init(&pit, &el);
        while (sl_syslog_sd_next_param(&pit, &prm)) {
            const char *v = prm.value.ptr;
            size_t vn = prm.value.len;
            if (vn && memchr(v, '\\', vn)) {
                char *out = sl_event_alloc(ev, vn);
                vn = sl_syslog_sd_unescape(prm.value, out, vn);
                v = out;
            }
            hu_set_str(c, pm, prm.name.ptr, prm.name.len, v ? v : "", vn);
        }
        sl_value *val = sl_fields_set(c, m, el.id.ptr, el.id.len);
        val->type = SL_VAL_MAP;
        val->u.map = pm;
    }
    return m;
}

static sl_handler_result syslog_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    const syslog_state *st = state;
    const char *p;
    size_t n;
    if (!hu_input(ev, st->source, st->source_len, &p, &n)) {
        if (st->keep)
            return SL_HANDLER_PASS;
        sl_handler_fail(hc, "parse_syslog: field \"%s\" is missing or not a string", st->source);
        return SL_HANDLER_ERROR;
    }
    sl_syslog_msg m;
    int64_t now_s = ev->time_ns / 1000000000;
    bool valid = sl_syslog_parse(p, n, now_s, local_offset(now_s), &m);
    if (!valid && !st->keep) {
        sl_handler_fail(hc, "parse_syslog: %s", m.error);
        return SL_HANDLER_ERROR;
    }
    sl_chunk *c = ev->chunk;
    sl_fields *f = hu_begin(ev, st->target);
    if (m.facility >= 0 && m.facility < 24)
        hu_set_str(c, f, "facility", 8, facilities[m.facility], strlen(facilities[m.facility]));
    if (m.severity >= 0 && m.severity < 8)
        hu_set_str(c, f, "severity", 8, severities[m.severity], strlen(severities[m.severity]));
    span_field(c, f, "hostname", m.hostname);
    span_field(c, f, "app_name", m.app_name);
    span_field(c, f, "procid", m.procid);
    span_field(c, f, "msgid", m.msgid);
    if (m.structured_data.ptr) {
        sl_value *v = sl_fields_set(c, f, "structured_data", 15);
        v->type = SL_VAL_MAP;
        v->u.map = sd_map(ev, m.structured_data);
    }
    if (!valid)
        hu_set_str(c, f, "parse_error", 11, m.error, strlen(m.error));
    if (m.has_timestamp)
        ev->time_ns = m.timestamp_ns;
    if (valid) {
        if (st->replace && !st->source) {
            ev->msg = m.message.ptr ? m.message.ptr : "";
            ev->msg_len = m.message.len;
        } else {
            span_field(c, f, "msg", m.message);
        }
    }
    hu_commit(ev, st->target, st->target_len, f);
    return SL_HANDLER_PASS;
}

static void syslog_destroy(void *state) { free(state); }

static const sl_handler_ops syslog_ops = {
    .create = syslog_create,
    .process = syslog_process,
    .destroy = syslog_destroy,
};

const sl_plugin sl_handler_parse_syslog = {
    .name = "parse_syslog",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Parses syslog lines (RFC 5424, RFC 3164) into fields; the message becomes MSG.",
    .options = syslog_options,
    .config_size = sizeof(syslog_cfg),
    .handler = &syslog_ops,
};
