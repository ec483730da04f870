/* sd_notify.h: the systemd notify protocol, spoken directly over the
 * datagram unix socket named by $NOTIFY_SOCKET (a path, or an abstract name
 * written "@name"); no libsystemd. Without $NOTIFY_SOCKET every call is a
 * no-op, so sluice runs the same under any supervisor. Call from one thread
 * (the I/O thread). */
#ifndef SLUICE_SD_NOTIFY_H
#define SLUICE_SD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID and open the socket.
 * Returns true when notifications will be sent. Safe to call again. */
bool sl_notify_init(void);
/* Send one message ("READY=1", "STATUS=...", several lines joined with
 * '\n'). Returns 0, or -1 (not configured, or the send failed: the first
 * failure is logged as a warning; sluice goes on either way). */
int sl_notify(const char *msg);
int sl_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The watchdog interval systemd asked for, in microseconds ($WATCHDOG_USEC,
 * when $WATCHDOG_PID is unset or names this process), 0 when none. */
uint64_t sl_notify_watchdog_usec(void);
/* Close the socket (at exit). */
void sl_notify_close(void);

/* Fill `sa`/`len` for a NOTIFY_SOCKET-style address ("/path" or "@abstract").
 * Exposed for the test tool and for checking; -1 when the name does not fit. */
struct sockaddr_un;
int sl_notify_addr(const char *name, struct sockaddr_un *sa, unsigned *len);

#endif
