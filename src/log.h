/* log.h: sluice's own log. One line per message on stderr with level and
 * component; under journald (JOURNAL_STREAM set) a syslog priority prefix
 * replaces the timestamp so journalctl shows levels. */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum { SL_LOG_ERROR, SL_LOG_WARN, SL_LOG_INFO, SL_LOG_DEBUG } sl_log_level;

void sl_log_init(void);
void sl_log_set_level(sl_log_level lvl);
bool sl_log_enabled(sl_log_level lvl);
bool sl_log_parse_level(const char *s, sl_log_level *out);

void sl_log(sl_log_level lvl, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A per-call-site limit for messages that can repeat per event: at most
 * `burst` messages per 10 s window; the next message after a window
 * reports how many were suppressed. */
typedef struct {
    atomic_int_fast64_t window_start_ns;
    atomic_uint count;
    atomic_uint suppressed;
} sl_ratelimit;

/* True if the caller may log now; *suppressed gets how many messages were
 * held back since the last one that was logged. */
bool sl_ratelimit_allow(sl_ratelimit *rl, unsigned burst, unsigned *suppressed);

#define sl_error(comp, ...) sl_log(SL_LOG_ERROR, comp, __VA_ARGS__)
#define sl_warn(comp, ...) sl_log(SL_LOG_WARN, comp, __VA_ARGS__)
#define sl_info(comp, ...) sl_log(SL_LOG_INFO, comp, __VA_ARGS__)
#define sl_debug(comp, ...)                                                    \
    do {                                                                       \
        if (sl_log_enabled(SL_LOG_DEBUG))                                      \
            sl_log(SL_LOG_DEBUG, comp, __VA_ARGS__);                           \
    } while (0)

#endif
