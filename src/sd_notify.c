/* sd_notify.c: the systemd notify protocol without libsystemd (see
 * sd_notify.h). One datagram per message to $NOTIFY_SOCKET. */
#include "sd_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define NOTIFY "notify"

static int notify_fd = -1;
static struct sockaddr_un notify_sa;
static unsigned notify_len;
static bool initialized, send_failed_logged;

int sl_notify_addr(const char *name, struct sockaddr_un *sa, unsigned *len)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 2 || (name[0] != '/' && name[0] != '@') || n >= sizeof sa->sun_path)
        return -1;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, name, n);
    if (name[0] == '@') {
        sa->sun_path[0] = '\0';     /* abstract: the length says where it ends */
        *len = (unsigned)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        *len = (unsigned)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    return 0;
}

bool sl_notify_init(void)
{
    if (initialized)
        return notify_fd >= 0;
    initialized = true;
    const char *name = getenv("NOTIFY_SOCKET");
    if (!name || !*name)
        return false;
    if (sl_notify_addr(name, &notify_sa, &notify_len) != 0) {
        sl_warn(NOTIFY, "NOTIFY_SOCKET \"%s\" is not a unix socket path or @name; "
                        "not notifying systemd", name);
        return false;
    }
    notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (notify_fd < 0) {
        sl_warn(NOTIFY, "cannot create the notify socket: %s", strerror(errno));
        return false;
    }
    sl_debug(NOTIFY, "notifying the service manager at %s", name);
    return true;
}

int sl_notify(const char *msg)
{
    if (!initialized)
        sl_notify_init();
    if (notify_fd < 0)
        return -1;
    ssize_t r;
    do
        r = sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL,
                   (const struct sockaddr *)&notify_sa, (socklen_t)notify_len);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        if (!send_failed_logged)
            sl_warn(NOTIFY, "cannot notify the service manager: %s", strerror(errno));
        send_failed_logged = true;
        return -1;
    }
    return 0;
}

int sl_notifyf(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sl_notify(msg);
}

uint64_t sl_notify_watchdog_usec(void)
{
    const char *s = getenv("WATCHDOG_USEC");
    if (!s || !*s)
        return 0;
    const char *pid = getenv("WATCHDOG_PID");
    if (pid && *pid) {
        char *end;
        long p = strtol(pid, &end, 10);
        if (*end || p != (long)getpid())
            return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0)
        return 0;
    return (uint64_t)v;
}

void sl_notify_close(void)
{
    if (notify_fd >= 0)
        close(notify_fd);
    notify_fd = -1;
    initialized = false;
}
