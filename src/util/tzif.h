/* tzif.h: time zones from the system tz database (TZif files, RFC 8536),
 * read once at create: offset lookups are pure functions of the loaded
 * data, safe on every thread (no TZ, no tzset, no localtime). */
#ifndef SLUICE_UTIL_TZIF_H
#define SLUICE_UTIL_TZIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_tz sl_tz;

/* Load zone `name` ("Europe/Berlin", "UTC") from dir (NULL:
 * /usr/share/zoneinfo). NULL with err set when the name is not a zone. */
sl_tz *sl_tz_load(const char *dir, const char *name, char *err, size_t errcap);
/* Parse a TZif image (exposed for tests). */
sl_tz *sl_tz_parse(const unsigned char *p, size_t n, char *err, size_t errcap);
void sl_tz_free(sl_tz *tz);
/* UTC offset in seconds at unix time t. */
int32_t sl_tz_offset_at(const sl_tz *tz, int64_t t);
/* The unix time of local wall-clock time `local` (seconds as if UTC).
 * Ambiguous (a repeated hour when clocks go back): the earlier instant.
 * Nonexistent (the skipped hour when clocks go forward): read with the
 * offset in force before the change (so 02:30 becomes 03:30 local). */
int64_t sl_tz_local_to_utc(const sl_tz *tz, int64_t local);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
