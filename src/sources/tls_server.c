/* tls_server.c: SSL_CTX setup, handshake failure accounting and the
 * evhttp-side handshake watcher (see tls_server.h). */
#include "sources/tls_server.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "util/clock.h"
#include "util/openssl_api.h"
#include "util/xalloc.h"

const char *const sl_tls_versions[] = {"1.2", "1.3", NULL};

struct sl_tls_server {
    SSL_CTX *ctx;
    const char *comp;
    const char *name;
    bool closing;
    int64_t last_log;
    uint64_t ok, failed, unlogged;
};

/* ---- errors -------------------------------------------------------------- */

/* The most specific reason in OpenSSL's error queue ("no start line",
 * "key values mismatch", "certificate verify failed"...); the queue is
 * cleared. */
static const char *queue_reason(char *buf, size_t cap)
{
    unsigned long e, last = 0;
    const char *file = NULL, *data = NULL;
    int flags = 0;
    buf[0] = 0;
    while ((e = ERR_get_error_all(&file, NULL, NULL, &data, &flags)) != 0) {
        if (!last) {
            const char *r = ERR_reason_error_string(e);
            if (r)
                snprintf(buf, cap, "%s", r);
            else
                ERR_error_string_n(e, buf, cap);
            if ((flags & ERR_TXT_STRING) && data && *data) {
                size_t n = strlen(buf);
                snprintf(buf + n, cap - n, " (%s)", data);
            }
        }
        last = e;
    }
    return buf;
}

const char *sl_tls_reason(SSL *ssl, int ret, char *buf, size_t cap)
{
    int saved = errno;
    int e = SSL_get_error(ssl, ret);
    switch (e) {
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        snprintf(buf, cap, "the peer closed the connection");
        return buf;
    case SSL_ERROR_SYSCALL:
        queue_reason(buf, cap);
        if (!buf[0])
            snprintf(buf, cap, "%s", saved ? strerror(saved) : "the peer closed the connection");
        return buf;
    case SSL_ERROR_SSL:
        queue_reason(buf, cap);
        if (!buf[0])
            snprintf(buf, cap, "protocol error");
        return buf;
    default:
        ERR_clear_error();
        snprintf(buf, cap, "SSL error %d", e);
        return buf;
    }
}

void sl_tls_server_failed(sl_tls_server *t, const char *peer, SSL *ssl, int ret,
                          const char *why)
{
    char reason[256];
    if (!why)
        why = sl_tls_reason(ssl, ret, reason, sizeof reason);
    t->failed++;
    int64_t now = sl_mono_ns();
    if (t->last_log && now - t->last_log < 10000000000LL) {
        t->unlogged++;
        return;
    }
    t->last_log = now;
    if (t->unlogged)
        sl_warn(t->comp, "source \"%s\": TLS handshake with %s failed: %s (%llu more failed "
                "since the last message, %llu in all)", t->name, peer, why,
                (unsigned long long)t->unlogged, (unsigned long long)t->failed);
    else
        sl_warn(t->comp, "source \"%s\": TLS handshake with %s failed: %s (%llu in all)",
                t->name, peer, why, (unsigned long long)t->failed);
    t->unlogged = 0;
}

void sl_tls_server_succeeded(sl_tls_server *t)
{
    t->ok++;
}

void sl_tls_server_counts(const sl_tls_server *t, uint64_t *ok, uint64_t *failed)
{
    *ok = t ? t->ok : 0;
    *failed = t ? t->failed : 0;
}

void sl_tls_server_closing(sl_tls_server *t)
{
    if (t)
        t->closing = true;
}

/* ---- the context --------------------------------------------------------- */

/* Never prompt for a pass phrase (an encrypted key is an error). */
static int no_password(char *buf, int size, int rwflag, void *u) // NOLINT(readability-non-const-parameter): OpenSSL's callback type
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return 0;
}

/* Readable at all? fopen's errno says it best ("No such file or
 * directory", "Permission denied"). */
static bool readable(const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, cap, "%s", strerror(errno));
        return false;
    }
    fclose(f);
    return true;
}

/* Build a context from cfg; NULL with "OPTION \"PATH\": reason" in err and
 * the option's name in *opt. */
static SSL_CTX *make_ctx(const sl_tls_cfg *cfg, char *err, size_t cap, const char **opt)
{
    char why[256];
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        *opt = "cert_file";
        snprintf(err, cap, "cannot create a TLS context: %s", queue_reason(why, sizeof why));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, cfg->min_version == 1 ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
                                 /* a sender that closes without close_notify is at its
                                  * end, as with plain TCP */
                                 | SSL_OP_IGNORE_UNEXPECTED_EOF
#endif
    );
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_default_passwd_cb(ctx, no_password);

    *opt = "cert_file";
    if (!readable(cfg->cert_file, why, sizeof why)) {
        snprintf(err, cap, "tls.cert_file \"%s\": %s", cfg->cert_file, why);
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
        snprintf(err, cap, "tls.cert_file \"%s\": cannot load a PEM certificate: %s",
                 cfg->cert_file, queue_reason(why, sizeof why));
        goto fail;
    }
    *opt = "key_file";
    if (!readable(cfg->key_file, why, sizeof why)) {
        snprintf(err, cap, "tls.key_file \"%s\": %s", cfg->key_file, why);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
        queue_reason(why, sizeof why);
        snprintf(err, cap, "tls.key_file \"%s\": cannot load a private key%s: %s",
                 cfg->key_file,
                 strstr(why, "mismatch") ? " matching tls.cert_file" : " (PEM, not encrypted)",
                 why);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, cap, "tls.key_file \"%s\" does not match tls.cert_file \"%s\": %s",
                 cfg->key_file, cfg->cert_file, queue_reason(why, sizeof why));
        goto fail;
    }
    if (cfg->client_ca_file && cfg->client_ca_file[0]) {
        *opt = "client_ca_file";
        if (!readable(cfg->client_ca_file, why, sizeof why)) {
            snprintf(err, cap, "tls.client_ca_file \"%s\": %s", cfg->client_ca_file, why);
            goto fail;
        }
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->client_ca_file);
        if (!names || SSL_CTX_load_verify_locations(ctx, cfg->client_ca_file, NULL) != 1) {
            if (names)
                sk_X509_NAME_pop_free(names, X509_NAME_free);
            queue_reason(why, sizeof why);
            snprintf(err, cap, "tls.client_ca_file \"%s\": cannot load PEM CA certificates%s%s",
                     cfg->client_ca_file, why[0] ? ": " : "", why);
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    ERR_clear_error();
    return ctx;
fail:
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return NULL;
}

void sl_tls_check(const sl_tls_cfg *cfg, const sl_node *node, const char *what, sl_diags *d)
{
    const sl_node *tn = sl_node_get(node, "tls");
    const sl_node *at = tn ? tn : node;
    bool cert = cfg->cert_file && cfg->cert_file[0];
    bool key = cfg->key_file && cfg->key_file[0];
    bool ca = cfg->client_ca_file && cfg->client_ca_file[0];
    if (cert != key) {
        sl_diag_error(d, at, "%s: tls: set both cert_file and key_file (%s is missing)", what,
                      cert ? "key_file" : "cert_file");
        return;
    }
    if (!cert) {
        if (ca)
            sl_diag_error(d, at, "%s: tls: client_ca_file needs cert_file and key_file", what);
        return;
    }
    const char *why;
    if (!sl_openssl_tls_load(&why)) {
        sl_diag_error(d, at, "%s: tls: %s", what, why);
        return;
    }
    char err[700];
    const char *opt = "cert_file";
    SSL_CTX *ctx = make_ctx(cfg, err, sizeof err, &opt);
    if (!ctx) {
        const sl_node *on = tn ? sl_node_get(tn, opt) : NULL;
        sl_diag_error(d, on ? on : at, "%s: %s", what, err);
        return;
    }
    SSL_CTX_free(ctx);
}

/* ---- watching handshakes driven by bufferevent_openssl -------------------- */

typedef struct {
    sl_tls_server *t;
    bool done;              /* succeeded or counted as failed */
    char peer[80];
} watch_info;

static int watch_idx = -1;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;

static void peer_of(SSL *ssl, char *out, size_t cap)
{
    struct sockaddr_storage ss = {0};
    socklen_t len = sizeof ss;
    char host[NI_MAXHOST], port[NI_MAXSERV];
    int fd = SSL_get_fd(ssl);
    if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &len) == 0 &&
        getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
        snprintf(out, cap, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
        return;
    }
    snprintf(out, cap, "a client");
}

/* An SSL freed before its handshake ended: timed out (evhttp's
 * request_timeout) or the client went away. */
static void watch_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                       void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    watch_info *w = ptr;
    if (!w)
        return;
    if (!w->done && !w->t->closing)
        sl_tls_server_failed(w->t, w->peer[0] ? w->peer : "a client", NULL, 0,
                             "closed before the handshake completed (timed out or the "
                             "client went away)");
    free(w);
}

static void watch_init(void)
{
    watch_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, watch_free);
}

static void watch_cb(const SSL *cssl, int where, int ret)
{
    SSL *ssl = (SSL *)cssl;
    watch_info *w = SSL_get_ex_data(ssl, watch_idx);
    if (!w || w->done)
        return;
    if (!w->peer[0] && SSL_get_fd(ssl) >= 0)
        peer_of(ssl, w->peer, sizeof w->peer);
    if (where & SSL_CB_HANDSHAKE_DONE) {
        w->done = true;
        sl_tls_server_succeeded(w->t);
        return;
    }
    if ((where & SSL_CB_EXIT) && ret <= 0) {
        int e = SSL_get_error(ssl, ret);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return;
        /* Peek, do not take: libevent reads the queue for its own report. */
        char why[256];
        unsigned long err = ERR_peek_last_error();
        const char *r = err ? ERR_reason_error_string(err) : NULL;
        if (r)
            snprintf(why, sizeof why, "%s", r);
        else if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL)
            snprintf(why, sizeof why, "the peer closed the connection");
        else
            snprintf(why, sizeof why, "SSL error %d", e);
        w->done = true;
        sl_tls_server_failed(w->t, w->peer[0] ? w->peer : "a client", NULL, 0, why);
    }
}

sl_tls_server *sl_tls_server_new(const sl_tls_cfg *cfg, const char *comp, const char *name,
                                 bool watch)
{
    char err[700];
    const char *opt;
    SSL_CTX *ctx = make_ctx(cfg, err, sizeof err, &opt);
    if (!ctx) {
        sl_error(comp, "source \"%s\": %s", name, err);
        return NULL;
    }
    sl_tls_server *t = sl_calloc(1, sizeof *t);
    t->ctx = ctx;
    t->comp = comp;
    t->name = name;
    if (watch) {
        pthread_once(&watch_once, watch_init);
        SSL_CTX_set_info_callback(ctx, watch_cb);
    }
    return t;
}

SSL *sl_tls_server_ssl(sl_tls_server *t)
{
    SSL *ssl = SSL_new(t->ctx);
    if (!ssl)
        return NULL;
    if (SSL_CTX_get_info_callback(t->ctx) == watch_cb && watch_idx >= 0) {
        watch_info *w = sl_calloc(1, sizeof *w);
        w->t = t;
        SSL_set_ex_data(ssl, watch_idx, w);
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

void sl_tls_server_free(sl_tls_server *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    free(t);
}
