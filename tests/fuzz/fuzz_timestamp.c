/* fuzz_timestamp.c: fuzz target for the timestamp handler's parsers
 * (src/handlers/timestamp.c: ISO 8601 / RFC 3339, unix, unix_ms, and the
 * strftime-like patterns, with named time zones), through
 * tests/unit/handler_harness.h. The pattern parser is internal to the
 * handler, so it is reached two ways:
 *   - first byte even: the rest is a value, run through a few fixed configs
 *     (iso8601 in UTC and in Europe/Berlin, unix, unix_ms with on_error:
 *     keep, nginx's $time_local pattern, patterns with %f and without a
 *     zone in America/New_York and Australia/Lord_Howe); bits of the byte
 *     make it a string, an int or a float field.
 *   - first byte odd: the rest is "PATTERN\nVALUE": the pattern is given
 *     as `format` (through the option table and check(), as a config
 *     would) and, when accepted, the value is parsed with it.
 * Invariants: a value passes (the event time set) or fails with a reason,
 * never crashes; on_error: keep never fails; the same ISO value read in UTC
 * and in Europe/Berlin differs by 0 (it had an offset) up to 2 hours. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/handler_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const sl_plugin sl_handler_timestamp;

static const char *const configs[] = {
    "{ field: t }",
    "{ field: t, format: rfc3339, timezone: Europe/Berlin }",
    "{ field: t, format: unix }",
    "{ field: t, format: unix_ms, on_error: keep }",
    "{ field: t, format: '%d/%b/%Y:%H:%M:%S %z' }",
    "{ field: t, format: '%Y-%m-%d %H:%M:%S.%f', timezone: America/New_York }",
    "{ field: t, format: '%%%Y%m%d%H%M%S%z', timezone: Australia/Lord_Howe }",
    "{ field: t, format: '[%b %d %H:%M:%S %Y]', timezone: Europe/Berlin, on_error: keep }",
};
#define NCONF (sizeof configs / sizeof configs[0])
static hh handlers[NCONF];
static bool opened;

/* Run h on a fresh event whose field t holds v[0..n) as `type` (0 string,
 * 1 int, 2 float: the number the text starts with). Returns the result,
 * the time in *ns. */
static sl_handler_result run(hh *h, const char *v, size_t n, int type, bool keep, int64_t *ns)
{
    sl_chunk *c = sl_chunk_new(NULL, n, NULL, NULL);
    if (n)
        memcpy(c->data, v, n);
    sl_event *ev = sl_chunk_add_event(c, "m", 1, 0);
    ev->time_ns = 42;
    if (type == 0) {
        sl_event_set_string(ev, "t", c->data, n);
    } else {
        char tmp[64];
        size_t k = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
        memcpy(tmp, v, k);
        tmp[k] = '\0';
        if (type == 1) {
            sl_event_set_int(ev, "t", strtoll(tmp, NULL, 10));
        } else {
            sl_value *x = sl_event_set(ev, "t", 1);
            x->type = SL_VAL_FLOAT;
            x->u.f = strtod(tmp, NULL);
        }
    }
    const char *err = NULL;
    sl_handler_result r = hh_run(h, ev, &err);
    if (r == SL_HANDLER_ERROR && (!err || !*err))
        abort();
    if (r == SL_HANDLER_ERROR && keep)
        abort();
    if (r != SL_HANDLER_PASS && r != SL_HANDLER_ERROR)
        abort();
    *ns = ev->time_ns;
    sl_chunk_discard(c);
    return r;
}

static void fuzz_values(const char *p, size_t n, unsigned sel)
{
    if (!opened) {
        for (size_t i = 0; i < NCONF; i++)
            if (!hh_open(&handlers[i], &sl_handler_timestamp, configs[i]))
                abort();
        opened = true;
    }
    int type = (int)(sel % 3);
    int64_t ns[NCONF];
    sl_handler_result r[NCONF];
    for (size_t i = 0; i < NCONF; i++)
        r[i] = run(&handlers[i], p, n, i == 2 || i == 3 ? type : 0,
                   strstr(configs[i], "keep") != NULL, &ns[i]);
    /* the same ISO text in UTC and in Berlin: equal when it carries its
     * offset, else Berlin's local time is 0 to 2 hours ahead of UTC (LMT
     * +0:53:28 before 1893, CET, CEST, and the double summer time of
     * 1945/1947) */
    if (r[0] == SL_HANDLER_PASS && r[1] == SL_HANDLER_PASS) {
        int64_t d = ns[0] - ns[1];
        if (d < 0 || d > 7200LL * 1000000000)
            abort();
    }
}

/* The pattern as a YAML double-quoted scalar; false for bytes that would
 * need more than \" and \\ (the pattern is a config string: printable
 * ASCII covers every directive and literal worth fuzzing). */
static bool yaml_quote(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch > 0x7e)
            return false;
        if (o + 3 >= cap)
            return false;
        if (ch == '"' || ch == '\\')
            out[o++] = '\\';
        out[o++] = (char)ch;
    }
    out[o++] = '"';
    out[o] = '\0';
    return true;
}

static void fuzz_pattern(const char *p, size_t n)
{
    const char *nl = memchr(p, '\n', n);
    if (!nl)
        return;
    size_t fl = (size_t)(nl - p);
    char q[600], yaml[700];
    if (fl > 256 || !yaml_quote(p, fl, q, sizeof q))
        return;
    snprintf(yaml, sizeof yaml, "{ field: t, format: %s, timezone: Europe/Berlin }", q);
    hh h;
    if (hh_open(&h, &sl_handler_timestamp, yaml)) {
        int64_t ns;
        (void)run(&h, nl + 1, n - fl - 1, 0, false, &ns);
    } else if (!h.diag[0]) {
        abort();
    }
    hh_close(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        fuzz_pattern((const char *)data + 1, size - 1);
    else
        fuzz_values((const char *)data + 1, size - 1, data[0] >> 1);
    return 0;
}
