/* openssl_api.h: OpenSSL (and libevent's OpenSSL bufferevents) are opened
 * when first needed (src/util/openssl_api.c, src/util/lazy_lib.h); what
 * needs them loads them when configured, so a missing library is a
 * configuration error. */
#ifndef SLUICE_UTIL_OPENSSL_API_H
#define SLUICE_UTIL_OPENSSL_API_H

#include <stdbool.h>

/* libssl and libcrypto (SigV4). False, with *why, when not installed. */
bool sl_openssl_load(const char **why);
/* Those and libevent_openssl (TLS listeners). */
bool sl_openssl_tls_load(const char **why);

#endif
