/* http.c: the `http` destination. Each batch is one request (POST or PUT)
 * whose body is the batch encoded and compressed once by the runner
 * (sl_dest_body); a 2xx commits it.
 *
 * Why libcurl's easy interface: every destination already has a thread of
 * its own (src/dest.c), so the simplest correct client is one blocking easy
 * handle per destination, used only by that thread. libcurl keeps the
 * connection open between requests (keep-alive), so batches after the first
 * reuse it, and it reads the usual proxy variables (http_proxy,
 * https_proxy, no_proxy, ...) by itself. With `concurrency: N` the runner
 * runs N sender threads, each opening its own state here (its own easy
 * handle and connection), so N requests are in flight at once; the
 * startup messages are logged by sender 0 only.
 *
 * Results: a 2xx is OK. Connection errors, timeouts, 408, 429 and 5xx are
 * RETRY (with the server's Retry-After passed to the runner). Any other
 * 4xx is FAIL: the request itself is wrong and sending it again would not
 * help, so the runner dead-letters or drops the batch. Anything else (1xx,
 * 3xx: redirects are not followed) is RETRY, so a misconfigured URL stalls
 * visibly instead of losing data. Every failure is reported to the runner
 * in one line (method, URL without credentials or query, status, a short
 * excerpt of the response body), which logs it with the retry delay. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dest.h"
#include "dest/curl_api.h"
#include "encode.h"
#include "log.h"
#include "runtime.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define EXCERPT_BYTES 200   /* of a response body, in logs and dead letters */
#define KEEP_BYTES 1024     /* of a response body, kept while reading it */

enum { METHOD_POST, METHOD_PUT };
enum { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

typedef struct {
    char *url;
    int method;
    sl_strmap headers;
    int auth_type;
    char *auth_user;
    char *auth_password;
    char *auth_token;
    int64_t connect_timeout_ns;
    int64_t request_timeout_ns;
    char *tls_ca_file;
    bool tls_verify;
} http_cfg;

typedef struct {
    CURL *curl;
    struct curl_slist *headers;
    char *log_url;              /* the URL as logged: no userinfo, no query */
    const char *method;
    char errbuf[CURL_ERROR_SIZE];
    sl_buf resp;                /* the first KEEP_BYTES of the response body */
    bool global_init;
} http_state;

static const char *const methods[] = {"POST", "PUT", NULL};
static const char *const auth_types[] = {"none", "basic", "bearer", NULL};

#define O(f) offsetof(http_cfg, f)
static const sl_option http_options[] = {
    {"url", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(url),
     "Where each batch is sent: an http:// or https:// URL (logged without credentials or "
     "query)."},
    {"method", SL_OPT_ENUM, "POST", 0, 0, 0, methods, O(method), "The request method."},
    {"headers", SL_OPT_STRMAP, NULL, 0, 0, 0, NULL, O(headers),
     "Extra request headers, name: value (values may use ${ENV}); may replace Content-Type, "
     "not Content-Encoding or Content-Length."},
    {"auth.type", SL_OPT_ENUM, "none", 0, 0, 0, auth_types, O(auth_type),
     "none; basic (auth.user, auth.password); bearer (auth.token)."},
    {"auth.user", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(auth_user),
     "User name for basic authentication."},
    {"auth.password", SL_OPT_STRING, NULL, SL_OPTF_SECRET, 0, 0, NULL, O(auth_password),
     "Password for basic authentication; write ${VAR} to keep it out of the file."},
    {"auth.token", SL_OPT_STRING, NULL, SL_OPTF_SECRET, 0, 0, NULL, O(auth_token),
     "Token for bearer authentication (Authorization: Bearer TOKEN)."},
    {"connect_timeout", SL_OPT_DURATION, "10s", 0, 1000000, 3600000000000LL, NULL,
     O(connect_timeout_ns), "Longest wait for a connection (TCP and TLS); then the batch is retried."},
    {"request_timeout", SL_OPT_DURATION, "30s", 0, 1000000, 86400000000000LL, NULL,
     O(request_timeout_ns),
     "Longest a whole request may take, response included; then the batch is retried."},
    {"tls.ca_file", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(tls_ca_file),
     "PEM file of CA certificates to verify the server with, instead of the system's."},
    {"tls.verify", SL_OPT_BOOL, "true", 0, 0, 0, NULL, O(tls_verify),
     "Verify the server's certificate and host name. false is insecure: it is logged "
     "loudly at startup."},
    SL_OPT_END,
};

/* ---- config checks ---------------------------------------------------------- */

/* The node of a (possibly nested) option, or the destination's own node. */
static const sl_node *node_of(const sl_node *node, const char *a, const char *b)
{
    const sl_node *n = sl_node_get(node, a);
    if (n && b)
        n = sl_node_get(n, b) ? sl_node_get(n, b) : n;
    return n ? n : node;
}

static bool is_token_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool has_scheme(const char *url, const char *scheme)
{
    size_t n = strlen(scheme);
    return strncasecmp(url, scheme, n) == 0 && url[n] != 0;
}

static void http_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    const char *why;
    if (!sl_curl_lib_load(&why)) {
        sl_diag_error(d, node, "%s: %s", what, why);
        return;
    }
    http_cfg *cfg = cfgp;
    if (!has_scheme(cfg->url, "http://") && !has_scheme(cfg->url, "https://"))
        sl_diag_error(d, node_of(node, "url", NULL),
                      "%s: option \"url\" must be an http:// or https:// URL", what);
    if (cfg->auth_type == AUTH_BASIC && (!cfg->auth_user || !cfg->auth_password))
        sl_diag_error(d, node_of(node, "auth", "type"),
                      "%s: auth.type basic needs auth.user and auth.password (or "
                      "auth.password_file)", what);
    if (cfg->auth_type == AUTH_BEARER && (!cfg->auth_token || !*cfg->auth_token))
        sl_diag_error(d, node_of(node, "auth", "type"),
                      "%s: auth.type bearer needs auth.token (or auth.token_file)", what);
    if (cfg->auth_type != AUTH_BASIC && (cfg->auth_user || cfg->auth_password))
        sl_diag_error(d, node_of(node, "auth", NULL),
                      "%s: auth.user and auth.password are only used with auth.type basic", what);
    if (cfg->auth_type != AUTH_BEARER && cfg->auth_token)
        sl_diag_error(d, node_of(node, "auth", "token"),
                      "%s: auth.token is only used with auth.type bearer", what);
    static const char *const reserved[] = {"Content-Length", "Content-Encoding",
                                           "Transfer-Encoding", "Expect", NULL};
    for (size_t i = 0; i < cfg->headers.n; i++) {
        const char *k = cfg->headers.keys[i], *v = cfg->headers.vals[i];
        const sl_node *at = node_of(node, "headers", k);
        bool ok = *k != 0;
        for (const char *p = k; *p; p++)
            ok = ok && is_token_char((unsigned char)*p);
        if (!ok) {
            sl_diag_error(d, at, "%s: \"%s\" is not a valid HTTP header name", what, k);
            continue;
        }
        if (strpbrk(v, "\r\n")) {
            sl_diag_error(d, at, "%s: the value of header \"%s\" must not contain a line break",
                          what, k);
            continue;
        }
        for (size_t j = 0; reserved[j]; j++)
            if (strcasecmp(k, reserved[j]) == 0)
                sl_diag_error(d, at, "%s: header \"%s\" is set by sluice and cannot be "
                                     "configured", what, k);
        if (strcasecmp(k, "Authorization") == 0 && cfg->auth_type != AUTH_NONE)
            sl_diag_error(d, at, "%s: header \"Authorization\" conflicts with auth.type %s",
                          what, auth_types[cfg->auth_type]);
    }
}

/* ---- the client --------------------------------------------------------------- */

/* scheme://host[:port]/path: without user:password@ and without the query
 * (either may hold a secret). */
static char *url_for_log(const char *url)
{
    sl_buf b = {0};
    const char *p = strstr(url, "://");
    const char *auth = p ? p + 3 : url;
    sl_buf_append(&b, url, (size_t)(auth - url));
    const char *end_auth = auth + strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', (size_t)(end_auth - auth));
    if (at)
        auth = at + 1;
    size_t path = strcspn(auth, "?#");
    sl_buf_append(&b, auth, path);
    if (auth[path] == '?')
        sl_buf_puts(&b, "?...");
    sl_buf_putc(&b, 0);
    return b.p;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    http_state *st = arg;
    size_t len = size * n;
    if (st->resp.len < KEEP_BYTES) {
        size_t take = KEEP_BYTES - st->resp.len;
        sl_buf_append(&st->resp, p, len < take ? len : take);
    }
    return len;
}

/* A short, printable, one-line excerpt of the response body: whitespace
 * runs become one space, other control and non-ASCII bytes '?'. */
static void excerpt(const sl_buf *resp, char *out, size_t cap)
{
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < resp->len && i < EXCERPT_BYTES && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)resp->p[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = o > 0;
            continue;
        }
        if (space)
            out[o++] = ' ';
        space = false;
        out[o++] = (char)((c >= 0x20 && c < 0x7f) ? c : '?');
    }
    if (resp->len > EXCERPT_BYTES && o + 4 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0;
    if (o == 0)
        snprintf(out, cap, "(empty)");
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name, const char *val)
{
    sl_buf b = {0};
    sl_buf_puts(&b, name);
    /* curl drops "Name:" with an empty value; "Name;" sends it empty. */
    sl_buf_puts(&b, *val ? ": " : ";");
    sl_buf_puts(&b, val);
    sl_buf_putc(&b, 0);
    struct curl_slist *n = curl_slist_append(list, b.p);
    sl_buf_free(&b);
    if (!n)
        sl_oom();
    return n;
}

#define SETOPT(h, opt, val)                                                    \
    do {                                                                       \
        if (curl_easy_setopt(h, opt, val) != CURLE_OK)                         \
            goto setopt_failed;                                                \
    } while (0)

static int http_open(sl_dest *d)
{
    const http_cfg *cfg = d->cfg;
    http_state *st = sl_calloc(1, sizeof *st);
    sl_dest_set_state(d, st);
    bool first = sl_dest_sender(d) == 0;    /* log startup notes once */
    st->log_url = url_for_log(cfg->url);
    st->method = methods[cfg->method];
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        sl_error("http", "destination \"%s\": cannot initialise libcurl", d->name);
        return -1;
    }
    st->global_init = true;
    if (cfg->tls_ca_file && access(cfg->tls_ca_file, R_OK) != 0) {
        sl_error("http", "destination \"%s\": cannot read tls.ca_file %s: %s", d->name,
                 cfg->tls_ca_file, strerror(errno));
        return -1;
    }
    CURL *h = st->curl = curl_easy_init();
    if (!h) {
        sl_error("http", "destination \"%s\": cannot create a libcurl handle", d->name);
        return -1;
    }

    /* Headers: Content-Type for the encoding unless configured, gzip,
     * no "Expect: 100-continue" round trip, then the configured ones. */
    bool own_type = false;
    for (size_t i = 0; i < cfg->headers.n; i++)
        own_type |= strcasecmp(cfg->headers.keys[i], "Content-Type") == 0;
    if (!own_type)
        st->headers = add_header(st->headers, "Content-Type",
                                 sl_encoding_content_type(d->common->encoding));
    if (d->common->compression == SL_COMP_GZIP)
        st->headers = add_header(st->headers, "Content-Encoding", "gzip");
    st->headers = curl_slist_append(st->headers, "Expect:");   /* "Name:" removes it */
    if (!st->headers)
        sl_oom();
    for (size_t i = 0; i < cfg->headers.n; i++)
        st->headers = add_header(st->headers, cfg->headers.keys[i], cfg->headers.vals[i]);
    if (cfg->auth_type == AUTH_BEARER) {
        sl_buf b = {0};
        sl_buf_printf(&b, "Bearer %s", cfg->auth_token);
        sl_buf_putc(&b, 0);
        st->headers = add_header(st->headers, "Authorization", b.p);
        memset(b.p, 0, b.len);
        sl_buf_free(&b);
    }

    SETOPT(h, CURLOPT_URL, cfg->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    SETOPT(h, CURLOPT_POST, 1L);
    if (cfg->method == METHOD_PUT)
        SETOPT(h, CURLOPT_CUSTOMREQUEST, "PUT");
    SETOPT(h, CURLOPT_HTTPHEADER, st->headers);
    if (cfg->auth_type == AUTH_BASIC) {
        SETOPT(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SETOPT(h, CURLOPT_USERNAME, cfg->auth_user);
        SETOPT(h, CURLOPT_PASSWORD, cfg->auth_password);
    }
    SETOPT(h, CURLOPT_USERAGENT, "sluice/" SLUICE_VERSION);
    SETOPT(h, CURLOPT_NOSIGNAL, 1L);            /* threads: no SIGALRM for timeouts */
    SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(cfg->connect_timeout_ns / 1000000));
    SETOPT(h, CURLOPT_TIMEOUT_MS, (long)(cfg->request_timeout_ns / 1000000));
    SETOPT(h, CURLOPT_ERRORBUFFER, st->errbuf);
    SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(h, CURLOPT_WRITEDATA, st);
    if (cfg->tls_ca_file)
        SETOPT(h, CURLOPT_CAINFO, cfg->tls_ca_file);
    if (!cfg->tls_verify) {
        SETOPT(h, CURLOPT_SSL_VERIFYPEER, 0L);
        SETOPT(h, CURLOPT_SSL_VERIFYHOST, 0L);
        if (first && has_scheme(cfg->url, "https://"))
            sl_warn("http", "destination \"%s\": tls.verify is false: THE SERVER'S CERTIFICATE "
                            "IS NOT CHECKED, so anyone on the path to %s can read and change "
                            "what sluice sends. Use tls.ca_file for a private CA instead.",
                    d->name, st->log_url);
    }
    if (first && cfg->auth_type != AUTH_NONE && has_scheme(cfg->url, "http://"))
        sl_warn("http", "destination \"%s\": credentials (auth.type %s) are sent to %s without "
                        "TLS", d->name, auth_types[cfg->auth_type], st->log_url);
    if (first)
        sl_info("http", "destination \"%s\": %s %s (%s%s)", d->name, st->method, st->log_url,
                sl_encoding_content_type(d->common->encoding),
                d->common->compression == SL_COMP_GZIP ? ", gzip" : "");
    return 0;

setopt_failed:
    sl_error("http", "destination \"%s\": libcurl refused an option (libcurl %s)", d->name,
             curl_version_info(CURLVERSION_NOW)->version);
    return -1;
}

static sl_send_result http_send(sl_dest *d, sl_event *const *evs, size_t n)
{
    http_state *st = sl_dest_state(d);
    const sl_buf *body = sl_dest_body(d, evs, n);
    CURL *h = st->curl;
    sl_buf_reset(&st->resp);
    st->errbuf[0] = 0;
    /* The runner's buffer outlives the request: no copy (not COPYPOSTFIELDS). */
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->p ? body->p : "");
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        /* No response: connection refused or reset, timeout, TLS failure... */
        long os_err = 0;
        curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_err);
        char sys[96] = "";
        if (os_err > 0 && rc != CURLE_OPERATION_TIMEDOUT)
            snprintf(sys, sizeof sys, " (%s)", strerror((int)os_err));
        sl_dest_set_error(d, "%s %s failed: %s%s", st->method, st->log_url,
                          st->errbuf[0] ? st->errbuf : curl_easy_strerror(rc), sys);
        return SL_SEND_RETRY;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300)
        return SL_SEND_OK;
    char ex[EXCERPT_BYTES + 16];
    excerpt(&st->resp, ex, sizeof ex);
    sl_dest_set_error(d, "HTTP %ld from %s %s, response: %s", status, st->method, st->log_url,
                      ex);
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
        sl_dest_retry_after(d, (int64_t)retry_after * 1000000000);
    if (status == 408 || status == 429 || status >= 500)
        return SL_SEND_RETRY;
    if (status >= 400)
        return SL_SEND_FAIL;
    return SL_SEND_RETRY;       /* 1xx, 3xx: not a commit, not the batch's fault */
}

static void http_close(sl_dest *d)
{
    http_state *st = sl_dest_state(d);
    if (!st)
        return;
    if (st->curl)
        curl_easy_cleanup(st->curl);
    curl_slist_free_all(st->headers);   /* may hold the bearer token */
    if (st->global_init)
        curl_global_cleanup();
    sl_buf_free(&st->resp);
    free(st->log_url);
    free(st);
    sl_dest_set_state(d, NULL);
}

static const sl_dest_ops http_ops = {
    .open = http_open,
    .send = http_send,
    .close = http_close,
    .write_when_idle = false,
    .concurrent = true,         /* one easy handle per sender */
};

const sl_plugin sl_dest_http = {
    .name = "http",
    .kind = SL_PLUGIN_DEST,
    .summary = "Sends each batch as one HTTP request (POST or PUT) with libcurl; a 2xx "
               "commits it.",
    .options = http_options,
    .config_size = sizeof(http_cfg),
    .check = http_check,
    .dest = &http_ops,
};
