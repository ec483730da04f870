/* curl_api.h: libcurl is opened when first needed (src/dest/curl_api.c,
 * src/util/lazy_lib.h); plugins that use it call this when configured. */
#ifndef SLUICE_DEST_CURL_API_H
#define SLUICE_DEST_CURL_API_H

#include <stdbool.h>

/* Load libcurl (once). False, with *why, when it is not installed. */
bool sl_curl_lib_load(const char **why);

#endif
