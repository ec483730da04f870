/* dest.h: what the destination runner (src/dest.c) offers destination
 * plugins from inside their send(), beyond the OK / RETRY / FAIL result.
 *
 *   sl_dest_body()        the batch encoded (encoding) and compressed
 *                         (compression) once; retries of the same batch get
 *                         the same bytes without encoding again.
 *   sl_dest_set_error()   why this attempt failed, in one line ("HTTP 503
 *                         from https://host/path: <body excerpt>"). The
 *                         runner logs it with the retry delay, and puts it
 *                         in the `error.message` of dead-lettered events.
 *                         Plugins that say why this way need not log the
 *                         failure themselves.
 *   sl_dest_retry_after() the server asked for this delay (Retry-After):
 *                         the next attempt waits at least this long.
 *
 * All three are for the destination's own thread, during send(). */
#ifndef SLUICE_DEST_H
#define SLUICE_DEST_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"
#include "util/buf.h"

const sl_buf *sl_dest_body(sl_dest *d, sl_event *const *evs, size_t n);
void sl_dest_set_error(sl_dest *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_dest_retry_after(sl_dest *d, int64_t ns);

#endif
