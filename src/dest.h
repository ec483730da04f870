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
 * All three are for the destination's own thread (the calling sender, with
 * `concurrency`), during send(). */
#ifndef SLUICE_DEST_H
#define SLUICE_DEST_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"
#include "util/buf.h"

/* ---- per-sender state (destinations with sl_dest_ops.concurrent) ----
 * With `concurrency: N`, N sender threads share the destination's buffer;
 * open() and close() run once per sender, and each sender keeps its own
 * plugin state (a curl handle cannot be shared). These work for every
 * destination: without `concurrent` they are d->state and sender 0. */
void *sl_dest_state(sl_dest *d);
void sl_dest_set_state(sl_dest *d, void *state);
/* Which sender is calling (0..concurrency-1), in open, send and close. */
unsigned sl_dest_sender(const sl_dest *d);

const sl_buf *sl_dest_body(sl_dest *d, sl_event *const *evs, size_t n);
void sl_dest_set_error(sl_dest *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_dest_retry_after(sl_dest *d, int64_t ns);

/* ---- for the runtime ----
 * Ask every sender of the destination to call the plugin's reopen() before
 * its next send (SIGUSR1). Safe from any thread: only bumps a counter. */
void sl_dest_request_reopen(sl_dest *d);

#endif
