/* tls_server.h: the server side of TLS for the network sources (syslog and
 * socket through listener.c, http through evhttp and bufferevent_openssl).
 *
 * One sl_tls_server (one SSL_CTX) per source, made when the source starts:
 * the certificate chain and key are read then (and also by the config
 * check, so `sluice --check` reports a missing, unreadable or mismatched
 * file with its path and OpenSSL's reason). With tls.client_ca_file the
 * server asks for a client certificate, requires one, and verifies it
 * against that CA (mutual TLS). No session cache, no tickets, no
 * renegotiation: connections are long-lived log streams or HTTP
 * keep-alive, so resumption buys little and costs state.
 *
 * Failed handshakes are counted and logged (at most one line every 10 s
 * per source) with the peer's address and OpenSSL's reason; only that
 * connection is closed. */
#ifndef SLUICE_SOURCES_TLS_SERVER_H
#define SLUICE_SOURCES_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "options.h"

typedef struct {
    char *cert_file;
    char *key_file;
    char *client_ca_file;
    int min_version;            /* index into sl_tls_versions */
    int64_t handshake_timeout_ns;   /* stream listeners only */
} sl_tls_cfg;

extern const char *const sl_tls_versions[];   /* "1.2", "1.3" */

/* The TLS options of a source whose config struct has an sl_tls_cfg at
 * `member` (e.g. SL_TLS_OPTIONS(http_cfg, tls)). */
#define SL_TLS_OPTIONS(type, member)                                                        \
    {"tls.cert_file", SL_OPT_STRING, NULL, 0, 0, 0, NULL, offsetof(type, member.cert_file),  \
     "PEM certificate (a chain: the server's first) to serve TLS with; needs "             \
     "tls.key_file. tcp:// and unix-stream:// listeners (and the http source) then speak " \
     "only TLS; datagram sockets stay plain."},                                            \
    {"tls.key_file", SL_OPT_STRING, NULL, 0, 0, 0, NULL, offsetof(type, member.key_file),    \
     "PEM private key of tls.cert_file (not encrypted); both are read by --check and at "  \
     "startup."},                                                                          \
    {"tls.client_ca_file", SL_OPT_STRING, NULL, 0, 0, 0, NULL,                              \
     offsetof(type, member.client_ca_file),                                                \
     "PEM CA certificate(s): when set, clients must present a certificate signed by "      \
     "one of them (mutual TLS)."},                                                         \
    {"tls.min_version", SL_OPT_ENUM, "1.2", 0, 0, 0, sl_tls_versions,                       \
     offsetof(type, member.min_version), "Oldest TLS version accepted: 1.2 or 1.3."}

/* Stream listeners also have a handshake deadline (the http source's is
 * its request_timeout). */
#define SL_TLS_HANDSHAKE_OPTION(type, member)                                               \
    {"tls.handshake_timeout", SL_OPT_DURATION, "10s", 0, 1000000, 3600000000000LL, NULL,    \
     offsetof(type, member.handshake_timeout_ns),                                          \
     "Close a connection whose TLS handshake has not completed in this time (counted as "  \
     "a failed handshake)."}

static inline bool sl_tls_enabled(const sl_tls_cfg *cfg)
{
    return cfg->cert_file && cfg->cert_file[0];
}

/* The config check: cert_file and key_file come together, client_ca_file
 * needs them, and the files load (a throw-away SSL_CTX). Errors point at
 * the option's node under `node`. */
void sl_tls_check(const sl_tls_cfg *cfg, const sl_node *node, const char *what, sl_diags *d);

typedef struct sl_tls_server sl_tls_server;

/* Build the SSL_CTX; NULL with the reason logged (component `comp`, source
 * `name`). `watch`: install an info callback that counts and logs failed
 * handshakes by itself, for SSL objects driven by someone else
 * (bufferevent_openssl); listener.c drives SSL_accept and reports through
 * sl_tls_server_failed instead. */
sl_tls_server *sl_tls_server_new(const sl_tls_cfg *cfg, const char *comp, const char *name,
                                 bool watch);
/* A new server-side SSL for one connection (accept state); NULL on error. */
SSL *sl_tls_server_ssl(sl_tls_server *t);
/* Count a failed handshake and log it (rate-limited) with `why`, or, when
 * why is NULL, the reason of SSL_get_error(ssl, ret) and the error queue
 * (which it clears). */
void sl_tls_server_failed(sl_tls_server *t, const char *peer, SSL *ssl, int ret,
                          const char *why);
void sl_tls_server_succeeded(sl_tls_server *t);
/* OpenSSL's reason for the last error of an SSL call on `ssl` (ret: its
 * return value) into buf; clears the error queue. */
const char *sl_tls_reason(SSL *ssl, int ret, char *buf, size_t cap);
void sl_tls_server_counts(const sl_tls_server *t, uint64_t *ok, uint64_t *failed);
/* Stop counting (SSL objects freed during shutdown are not failures). */
void sl_tls_server_closing(sl_tls_server *t);
void sl_tls_server_free(sl_tls_server *t);

#endif
