/* units.h: reading and writing the sizes, durations, integers and booleans
 * of config files ("64MiB", "1m30s", "-5", "yes"). */
#ifndef SLUICE_UTIL_UNITS_H
#define SLUICE_UTIL_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each parser returns false (and leaves *out untouched) on a malformed or
 * overflowing value; the whole string must be the value (no surrounding
 * blanks).
 *
 * Sizes: a number (integer, or decimal with a unit: "1.5MiB"), then
 * optionally one space, then an optional unit, case as written here:
 *   B                    bytes (a bare number is bytes too)
 *   kB KB MB GB TB       powers of 1000
 *   KiB MiB GiB TiB      powers of 1024
 *   k K M G              powers of 1024, as nginx reads them
 * Fractions are rounded to the nearest byte; a fraction of bytes ("1.5",
 * "1.5B") is refused, and so are other spellings ("64mib", "64 kb").
 *
 * Durations: one or more number+unit pairs with no spaces ("1m30s",
 * "1.5s"), units ns, us (or µs), ms, s, m, h, d; "0" alone needs no unit,
 * any other bare number is refused as ambiguous. Not negative.
 *
 * Integers: decimal with an optional sign, within int64_t.
 * Booleans: true/false, yes/no, on/off, in any case. */
bool sl_parse_size(const char *s, uint64_t *out);
bool sl_parse_duration(const char *s, int64_t *out_ns);
bool sl_parse_int(const char *s, int64_t *out);
bool sl_parse_bool(const char *s, bool *out);

/* Format a duration in ns / a size in bytes the way a config would write it,
 * so that the parsers read it back to the same value: durations as whole
 * days/hours/minutes/seconds then the largest exact sub-second unit
 * ("250ms", "5m", "1m30s", "1s500ms", "0"); sizes in the largest exact
 * binary unit ("64MiB", "1KiB") or as bare bytes ("1500", "0"). */
void sl_format_duration(int64_t ns, char *buf, size_t cap);
void sl_format_size(uint64_t bytes, char *buf, size_t cap);

#endif
