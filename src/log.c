/* log.c: single-line log messages on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"

static atomic_int log_level = SL_LOG_INFO;
static bool log_journal;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const char level_prio[] = {'3', '4', '6', '7'};

void sl_log_init(void)
{
    log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void sl_log_set_level(sl_log_level lvl) { atomic_store(&log_level, (int)lvl); }

bool sl_log_enabled(sl_log_level lvl) { return (int)lvl <= atomic_load(&log_level); }

bool sl_log_parse_level(const char *s, sl_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (sl_log_level)i;
            return true;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = SL_LOG_WARN;
        return true;
    }
    return false;
}

void sl_log(sl_log_level lvl, const char *component, const char *fmt, ...)
{
    if (!sl_log_enabled(lvl))
        return;
    char line[2048];
    size_t n = 0;
    if (log_journal) {
        n = (size_t)snprintf(line, sizeof line, "<%c>%s: ", level_prio[lvl], component);
    } else {
        int64_t now = sl_now_ns();
        time_t secs = (time_t)(now / 1000000000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
        n += (size_t)snprintf(line + n, sizeof line - n, ".%03dZ %-5s %s: ",
                              (int)(now / 1000000 % 1000), level_names[lvl], component);
    }
    if (n >= sizeof line)
        n = sizeof line - 1;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += (size_t)m;
    if (n > sizeof line - 2)
        n = sizeof line - 2;    /* cut, but still one line */
    /* one message, one line: newlines inside become spaces */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}

bool sl_ratelimit_allow(sl_ratelimit *rl, unsigned burst, unsigned *suppressed)
{
    const int64_t window = 10 * 1000000000LL;
    int64_t now = sl_mono_ns();
    int64_t start = atomic_load(&rl->window_start_ns);
    if (now - start >= window &&
        atomic_compare_exchange_strong(&rl->window_start_ns, &start, now))
        atomic_store(&rl->count, 0);
    if (atomic_fetch_add(&rl->count, 1) < burst) {
        *suppressed = atomic_exchange(&rl->suppressed, 0);
        return true;
    }
    atomic_fetch_add(&rl->suppressed, 1);
    return false;
}
