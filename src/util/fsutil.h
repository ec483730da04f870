/* fsutil.h: small file-system helpers shared by everything that keeps
 * state under service.state_dir (file checkpoints, disk buffers): creating
 * directories, replacing a file atomically and durably, fsyncing a
 * directory, and turning a component name into a safe file name. */
#ifndef SLUICE_UTIL_FSUTIL_H
#define SLUICE_UTIL_FSUTIL_H

#include <stddef.h>

#include "util/buf.h"

/* mkdir -p with `mode` for the directories it creates; -1 with errno
 * (ENOTDIR when a file is in the way). */
int sl_mkdir_p(const char *path, unsigned mode);
/* Replace `path` with data[0..n): a temp file (mode 0600) beside it,
 * fsync, rename, fsync of the directory. -1 with errno; the temp file is
 * removed on failure. */
int sl_write_file_atomic(const char *path, const void *data, size_t n);
/* fsync the directory that holds `path` (after a create, rename or unlink). */
void sl_fsync_parent_dir(const char *path);
/* Append `name` to b as a safe single file name component: [A-Za-z0-9_.-]
 * kept (no leading dot), anything else as %XX. */
void sl_buf_put_safe_name(sl_buf *b, const char *name);

#endif
