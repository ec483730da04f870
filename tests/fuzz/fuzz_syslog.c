/* fuzz_syslog.c: fuzz target for the syslog message parser. The input is
 * one message, parsed at a few `now`/offset pairs (fixed ones, and one
 * drawn from the input, extremes included). Whatever the bytes, every span
 * lies inside the input, a valid PRI splits into facility*8+severity, an
 * error keeps the whole input as the message, the structured data of a
 * valid message iterates to its exact end, and unescaping fits in the raw
 * value's length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *input;
static size_t input_len;

static void check_span(sl_syslog_span s)
{
    if (!s.ptr) {
        if (s.len)
            abort();
        return;
    }
    if (s.ptr < input || s.len > input_len || (size_t)(s.ptr - input) > input_len - s.len)
        abort();
}

static bool is_absent(sl_syslog_span s) { return !s.ptr && !s.len; }

static void check_value(sl_syslog_span value)
{
    check_span(value);
    /* exactly value.len bytes: ASan sees any write past them */
    char *out = malloc(value.len ? value.len : 1);
    size_t n = sl_syslog_sd_unescape(value, out, value.len);
    if (n > value.len)
        abort();
    if (sl_syslog_sd_unescape(value, NULL, 0) != n)
        abort();
    free(out);
}

/* Iterate over sd; returns where the last element ended. */
static const char *walk_sd(sl_syslog_span sd)
{
    sl_syslog_sd_iter it, pit;
    sl_syslog_sd_element el;
    sl_syslog_sd_param p;
    const char *last = sd.ptr;
    sl_syslog_sd_iter_init(&it, sd);
    for (size_t guard = 0; sl_syslog_sd_next_element(&it, &el); guard++) {
        if (guard > sd.len)
            abort();                            /* every element takes bytes */
        check_span(el.id);
        check_span(el.params);
        if (el.id.len == 0 || el.id.ptr[-1] != '[' || el.params.ptr != el.id.ptr + el.id.len)
            abort();
        last = el.params.ptr + el.params.len + 1;
        sl_syslog_sd_param_iter_init(&pit, &el);
        for (size_t g = 0; sl_syslog_sd_next_param(&pit, &p); g++) {
            if (g > el.params.len || p.name.len == 0)
                abort();
            check_span(p.name);
            check_value(p.value);
        }
    }
    return last;
}

static void check(const sl_syslog_msg *m, bool ok)
{
    if (ok != (m->error == NULL))
        abort();
    if (m->pri >= 0) {
        if (m->pri > 191 || m->facility < 0 || m->facility > 23 || m->severity < 0 ||
            m->severity > 7 || m->facility * 8 + m->severity != m->pri)
            abort();
    } else if (m->pri != -1 || m->facility != -1 || m->severity != -1) {
        abort();
    }
    if (!m->has_timestamp && m->timestamp_ns != 0)
        abort();
    sl_syslog_span spans[] = {m->hostname, m->app_name, m->procid, m->msgid,
                              m->structured_data, m->message};
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
        check_span(spans[i]);
    if (m->error && input_len && (m->message.ptr != input || m->message.len != input_len))
        abort();
    if (m->format == SL_SYSLOG_UNKNOWN && !m->error)
        abort();
    if (m->format != SL_SYSLOG_RFC5424 &&
        (m->version || !is_absent(m->msgid) || !is_absent(m->structured_data)))
        abort();
    if (m->format == SL_SYSLOG_RFC5424 && (m->version < 1 || m->version > 999))
        abort();
    if (m->procid.ptr && !m->app_name.ptr && m->format == SL_SYSLOG_RFC3164)
        abort();
    const char *name = sl_syslog_format_name(m->format);
    if (!name || !*name)
        abort();
    if (m->structured_data.ptr) {
        const char *end = walk_sd(m->structured_data);
        /* a valid message's SD is whole elements, end to end */
        if (!m->error && end != m->structured_data.ptr + m->structured_data.len)
            abort();
    }
}

static void parse_at(int64_t now, int32_t tz)
{
    sl_syslog_msg a, b;
    bool ok = sl_syslog_parse(input, input_len, now, tz, &a);
    check(&a, ok);
    sl_syslog_parse(input, input_len, now, tz, &b);
    if (memcmp(&a, &b, sizeof a) != 0)                 /* no hidden state */
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input = (const char *)data;
    input_len = size;
    parse_at(1700740800, 0);                    /* 2023-11-23T12:00:00Z */
    parse_at(1704067210, 3600);                 /* just after New Year */
    uint64_t h = 1469598103934665603ULL;        /* FNV-1a of the input */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ULL;
    parse_at((int64_t)h, (int32_t)(h >> 32));
    parse_at((int64_t)(h % 8000000000ULL) - 1000000000, (int32_t)(h % 100000) - 50000);
    /* the SD iterator on arbitrary bytes */
    sl_syslog_span all = {input, size};
    walk_sd(all);
    return 0;
}
