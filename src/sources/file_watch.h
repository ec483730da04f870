/* file_watch.h: directory change notifications for the file source
 * (inotify, on the I/O thread's event loop). Watching is an accelerator:
 * the file source also rescans every poll_interval, so a file system where
 * inotify is unavailable or silent (NFS) still works, only slower. */
#ifndef SLUICE_SOURCES_FILE_WATCH_H
#define SLUICE_SOURCES_FILE_WATCH_H

#include <stdint.h>

struct event_base;
typedef struct sl_file_watch sl_file_watch;

enum {
    SL_WATCH_MODIFIED = 1u << 0,    /* a file in the directory was written */
    SL_WATCH_CHANGED = 1u << 1,     /* created, moved, deleted: rescan */
};

/* `dir` and `name` (NULL for the directory itself) of what changed. */
typedef void (*sl_watch_fn)(void *ctx, const char *dir, const char *name, unsigned what);

/* NULL when inotify cannot be used (the reason is logged at debug level). */
sl_file_watch *sl_file_watch_new(struct event_base *base, sl_watch_fn fn, void *ctx);
/* Watch a directory (again is fine). -1 when it cannot be watched. */
int sl_file_watch_add(sl_file_watch *w, const char *dir);
void sl_file_watch_free(sl_file_watch *w);

#endif
