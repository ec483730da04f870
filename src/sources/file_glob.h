/* file_glob.h: path patterns for the file source: shell globs per path
 * component (fnmatch) plus `**`, which matches zero or more directories.
 * Used to find files (a directory walk) and to test exclude patterns. */
#ifndef SLUICE_SOURCES_FILE_GLOB_H
#define SLUICE_SOURCES_FILE_GLOB_H

#include <stdbool.h>
#include <sys/stat.h>

/* Called for every regular file the pattern matches, with its stat. */
typedef void (*sl_glob_found_fn)(const char *path, const struct stat *st, void *ctx);

/* Walk the file system for `pattern` (absolute or relative). A trailing
 * `**` matches every file below its directory. `**` descends
 * at most SL_GLOB_MAX_DEPTH directories and never through symbolic links to
 * directories (no loops). Directories that cannot be read are skipped. */
void sl_glob_walk(const char *pattern, sl_glob_found_fn fn, void *ctx);

/* Does `path` match `pattern`? A pattern without '/' is matched against the
 * file's base name (so "*.gz" excludes every gzip file), otherwise against
 * the whole path, with `**` as in sl_glob_walk. */
bool sl_glob_match(const char *pattern, const char *path);

/* The directory part of `pattern` before its first wildcard ("/var/log"
 * for "/var/log/app-?/x.log"), as a new string: the place to watch for
 * files that may match later. */
char *sl_glob_fixed_dir(const char *pattern);

#define SL_GLOB_MAX_DEPTH 32

#endif
