/* timefmt.h: the strftime subset used in output paths and object keys:
 * %Y %y %m %d %H %M %S %j %s %%. Independent of locale and time zone
 * settings, and checkable when the config is read. */
#ifndef SLUICE_UTIL_TIMEFMT_H
#define SLUICE_UTIL_TIMEFMT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "util/buf.h"

/* NULL if every % directive in fmt[0..n) is supported, else a pointer to
 * the first unsupported one. */
const char *sl_timefmt_check(const char *fmt, size_t n);
/* Append fmt[0..n) with directives replaced from tm (`unix_s` for %s). */
void sl_timefmt(sl_buf *b, const char *fmt, size_t n, const struct tm *tm, int64_t unix_s);

#endif
