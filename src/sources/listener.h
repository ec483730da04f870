/* listener.h: the sockets of the network sources (syslog, socket) on the
 * I/O thread's event loop. One listener serves one source and owns all of
 * its sockets: UDP and unix datagram sockets (one datagram, one frame),
 * TCP and unix stream listening sockets and their connections (a
 * stream_framer per connection).
 *
 * Reading: each readable connection gets one read() per loop turn into
 * the chunk it is filling; the complete frames found become events of
 * that chunk (the plugin's frame callback builds each event, pointing into
 * the chunk's data), the chunk is submitted, and the unconsumed tail (a
 * partial frame, shorter than the framer's minimum buffer) moves to a new
 * chunk. A datagram socket reads up to 64 datagrams per turn into one
 * chunk. So memory per connection is bounded by max_message_bytes plus a
 * little, an idle connection holds no buffer, and a busy or garbage-
 * sending connection cannot starve the others.
 *
 * TLS (tls.cert_file set): tcp:// and unix-stream:// connections speak
 * TLS; datagram sockets are unaffected. The connection's socket is still
 * read here, not through a bufferevent: the handshake is driven by
 * SSL_accept from the same read event (waiting for writability when
 * OpenSSL asks), then SSL_read replaces read() and fills the same chunk,
 * so the framer, the per-turn budget, FIONREAD sizing, pausing, idle
 * timeouts and max_connections are unchanged. Plaintext OpenSSL has
 * already decrypted but not handed out (SSL_has_pending) is invisible to
 * poll(), so the read event is activated by hand when some is left.
 *
 * Backpressure: when sl_source_submit refuses a chunk or sl_source_may_read
 * says no, every socket's read event is removed (TCP senders then see the
 * kernel's window close, datagrams queue in, then overflow, the kernel's
 * receive buffer) until sl_listener_resume. */
#ifndef SLUICE_SOURCES_LISTENER_H
#define SLUICE_SOURCES_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime.h"
#include "sources/stream_framer.h"
#include "sources/tls_server.h"

enum { SL_LISTEN_UDP, SL_LISTEN_TCP, SL_LISTEN_UNIX_DGRAM, SL_LISTEN_UNIX_STREAM };

typedef struct {
    int kind;               /* SL_LISTEN_* */
    char host[256];         /* inet: without brackets; "" for any address */
    char port[8];
    char path[108];         /* unix */
} sl_listen_url;

/* Parse "udp://HOST:PORT", "tcp://HOST:PORT" (HOST may be "[v6]", a name,
 * or empty/"*" for every address), "unix:///path", "unix-stream:///path".
 * False with a message in err on a malformed URL. */
bool sl_listen_parse(const char *url, sl_listen_url *out, char *err, size_t errlen);

/* The options every listening source has. Embed it as `lc` in the
 * plugin's config struct and put SL_LISTENER_OPTIONS(type) in its table. */
typedef struct {
    sl_strlist listen;
    uint64_t max_message_bytes;
    int long_messages;      /* SL_SYSLOG_FRAME_TRUNCATE or _SKIP */
    int64_t max_connections;
    char *socket_mode;
    uint64_t receive_buffer;
    int64_t idle_timeout_ns;
    sl_tls_cfg tls;         /* stream sockets only */
} sl_listener_cfg;

extern const char *const sl_long_message_modes[];

#define SL_LISTENER_OPTIONS(type)                                                          \
    {"listen", SL_OPT_STRLIST, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, offsetof(type, lc.listen), \
     "Where to listen: one URL or a list of udp://HOST:PORT, tcp://HOST:PORT "             \
     "(IPv6 as [::1]:514), unix:///path (datagrams) or unix-stream:///path."},             \
    {"max_message_bytes", SL_OPT_SIZE, "64KiB", 0, 16, 64LL << 20, NULL,                   \
     offsetof(type, lc.max_message_bytes),                                                 \
     "Longest message kept whole; longer ones are cut (or skipped) and counted."},         \
    {"long_messages", SL_OPT_ENUM, "truncate", 0, 0, 0, sl_long_message_modes,             \
     offsetof(type, lc.long_messages),                                                     \
     "What to do with a message over max_message_bytes: truncate (flagged) or skip."},     \
    {"max_connections", SL_OPT_INT, "1024", 0, 1, 1000000, NULL,                           \
     offsetof(type, lc.max_connections),                                                   \
     "Most stream connections open at once; further ones are closed at once and counted."}, \
    {"socket_mode", SL_OPT_STRING, "0666", 0, 0, 0, NULL, offsetof(type, lc.socket_mode),  \
     "Permissions (octal) of the unix socket files created; they are removed on stop "     \
     "and a stale one is replaced."},                                                      \
    {"receive_buffer", SL_OPT_SIZE, "0", 0, 0, 1LL << 30, NULL,                            \
     offsetof(type, lc.receive_buffer),                                                    \
     "SO_RCVBUF of datagram sockets (bytes the kernel queues while sluice is busy); "      \
     "0: the system default."},                                                            \
    {"idle_timeout", SL_OPT_DURATION, "0", 0, 0, 86400000000000LL, NULL,                   \
     offsetof(type, lc.idle_timeout_ns),                                                   \
     "Close a stream connection that sent nothing for this long (its unterminated last "   \
     "message is kept); 0: never."},                                                       \
    SL_TLS_OPTIONS(type, lc.tls),                                                          \
    SL_TLS_HANDSHAKE_OPTION(type, lc.tls)

/* The plugin `check` part: every URL parses, socket_mode is octal, the TLS
 * files load (a warning when TLS is set but every URL is a datagram
 * socket). Errors point at the offending list item or option. */
void sl_listener_check(const sl_listener_cfg *cfg, const sl_node *node, const char *what,
                       sl_diags *d);

/* Turn one frame into one event of chunk c (data points into c->data), or
 * NULL to make none. The listener flags truncation and adds the peer. */
typedef sl_event *(*sl_listener_frame_fn)(sl_source *src, sl_chunk *c, const char *p,
                                          size_t n, int64_t now_ns);

typedef struct sl_listener sl_listener;

/* Bind everything and start reading; NULL on error (logged). `framing` is
 * an SL_FRAMING_* for stream sockets. */
sl_listener *sl_listener_start(sl_source *src, const sl_listener_cfg *cfg, int framing,
                               sl_listener_frame_fn fn, const char *component);
void sl_listener_resume(sl_listener *l);
/* Close every socket, remove the unix socket files, log the counters. */
void sl_listener_stop(sl_listener *l);
void sl_listener_free(sl_listener *l);
/* For each UDP socket: emit(ctx, url, datagrams the kernel dropped), read
 * from /proc/net/udp and udp6 (the `drops` column of its inode). */
void sl_listener_kernel_drops(sl_listener *l,
                              void (*emit)(void *ctx, const char *item, uint64_t drops),
                              void *ctx);

#endif
