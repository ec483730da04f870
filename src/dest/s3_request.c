/* s3_request.c: signed requests to S3 over a kept-alive libcurl handle. */
#include "dest/s3_request.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/xalloc.h"

#define MAX_RESPONSE_KEPT (64u * 1024)

int sl_s3_client_init(sl_s3_client *c, const char *endpoint, const char *bucket,
                      const char *region, bool path_style, char *err, size_t errlen)
{
    char def[256];
    if (!endpoint || !*endpoint) {
        snprintf(def, sizeof def, "https://s3.%s.amazonaws.com", region);
        endpoint = def;
    }
    const char *sep = strstr(endpoint, "://");
    if (!sep || (strncmp(endpoint, "http", 4) != 0) ||
        (sep - endpoint != 4 && sep - endpoint != 5)) {
        snprintf(err, errlen, "endpoint \"%s\" must start with http:// or https://", endpoint);
        return -1;
    }
    const char *host = sep + 3;
    size_t hl = strcspn(host, "/?#");
    if (hl == 0 || host[hl] != 0) {
        snprintf(err, errlen, "endpoint \"%s\" must be scheme://host[:port] (no path)", endpoint);
        return -1;
    }
    c->scheme = sl_strndup(endpoint, (size_t)(sep - endpoint));
    c->endpoint_host = sl_strndup(host, hl);
    c->bucket = sl_strdup(bucket);
    c->region = sl_strdup(region);
    c->path_style = path_style;
    c->curl = curl_easy_init();
    if (!c->curl) {
        snprintf(err, errlen, "cannot create a libcurl handle");
        return -1;
    }
    return 0;
}

void sl_s3_client_free(sl_s3_client *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->scheme);
    free(c->endpoint_host);
    free(c->bucket);
    free(c->region);
    sl_buf_free(&c->url);
    sl_buf_free(&c->path);
    sl_buf_free(&c->host);
    sl_buf_free(&c->hdr);
    sl_buf_free(&c->body);
    sl_sigv4_out_free(&c->sig);
    memset(c, 0, sizeof *c);
}

typedef struct {
    const char *p;
    size_t n, off;
} upload;

static size_t read_body(char *buf, size_t size, size_t nitems, void *ud)
{
    upload *u = ud;
    size_t n = size * nitems;
    if (n > u->n - u->off)
        n = u->n - u->off;
    memcpy(buf, u->p + u->off, n);
    u->off += n;
    return n;
}

static size_t write_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    sl_s3_client *c = ud;
    size_t n = size * nmemb;
    if (c->body.len < MAX_RESPONSE_KEPT) {
        size_t keep = MAX_RESPONSE_KEPT - c->body.len < n ? MAX_RESPONSE_KEPT - c->body.len : n;
        sl_buf_append(&c->body, ptr, keep);
    }
    return n;
}

static size_t header_line(char *buf, size_t size, size_t nitems, void *ud)
{
    sl_s3_client *c = ud;
    size_t n = size * nitems;
    if (n > 5 && strncasecmp(buf, "ETag:", 5) == 0) {
        const char *v = buf + 5;
        size_t vn = n - 5;
        while (vn && (*v == ' ' || *v == '\t'))
            v++, vn--;
        while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
            vn--;
        if (vn >= sizeof c->etag)
            vn = sizeof c->etag - 1;
        memcpy(c->etag, v, vn);
        c->etag[vn] = 0;
    }
    return n;
}

int sl_s3_request(sl_s3_client *c, const char *method, const char *key, const char *query,
                  const void *body, size_t n, const sl_s3_header *extra, size_t n_extra,
                  char *err, size_t errlen)
{
    CURL *h = c->curl;
    sl_aws_creds cr;
    if (sl_aws_provider_get(c->creds, &cr, err, errlen) != 0)
        return -1;

    /* the path as signed (raw) and as sent (encoded the same way) */
    sl_buf_reset(&c->path);
    sl_buf_reset(&c->host);
    if (c->path_style) {
        sl_buf_printf(&c->path, "/%s/%s", c->bucket, key);
        sl_buf_puts(&c->host, c->endpoint_host);
    } else {
        sl_buf_printf(&c->path, "/%s", key);
        sl_buf_printf(&c->host, "%s.%s", c->bucket, c->endpoint_host);
    }
    sl_buf_putc(&c->path, 0);
    sl_buf_putc(&c->host, 0);
    sl_buf_reset(&c->url);
    sl_buf_printf(&c->url, "%s://%s", c->scheme, c->host.p);
    sl_sigv4_uri_encode(&c->url, c->path.p, c->path.len - 1, true);
    if (query && *query)
        sl_buf_printf(&c->url, "?%s", query);
    sl_buf_putc(&c->url, 0);

    char hash[SL_SIGV4_HEX_LEN + 1], date[SL_SIGV4_DATE_LEN + 1];
    sl_sigv4_sha256_hex(body ? body : "", body ? n : 0, hash);
    sl_sigv4_format_date(time(NULL), date);
    sl_sigv4_header hv[24];
    size_t nh = 0;
    hv[nh++] = (sl_sigv4_header){"host", c->host.p};
    for (size_t i = 0; i < n_extra && nh < 20; i++)
        hv[nh++] = (sl_sigv4_header){extra[i].name, extra[i].value};
    sl_sigv4_creds sc = {cr.access_key_id, cr.secret_access_key,
                         cr.session_token[0] ? cr.session_token : NULL, c->region, "s3"};
    sl_sigv4_request req = {method, c->path.p, query, hv, nh, hash, date, false, true};
    const char *why = NULL;
    int signed_ok = sl_sigv4_sign(&req, &sc, &c->sig, &why);
    memset(&cr.secret_access_key, 0, sizeof cr.secret_access_key);
    if (signed_ok != 0) {
        snprintf(err, errlen, "cannot sign the request: %s", why ? why : "?");
        return -1;
    }

    struct curl_slist *list = NULL;
    sl_buf *hb = &c->hdr;
#define ADD_HEADER(...)                                                                   \
    do {                                                                                  \
        sl_buf_reset(hb);                                                                 \
        sl_buf_printf(hb, __VA_ARGS__);                                                   \
        sl_buf_putc(hb, 0);                                                               \
        list = curl_slist_append(list, hb->p);                                            \
    } while (0)
    ADD_HEADER("Host: %s", c->host.p);
    ADD_HEADER("x-amz-date: %s", date);
    ADD_HEADER("x-amz-content-sha256: %s", hash);
    if (sc.session_token)
        ADD_HEADER("x-amz-security-token: %s", sc.session_token);
    for (size_t i = 0; i < n_extra; i++)
        ADD_HEADER("%s: %s", extra[i].name, extra[i].value);
    ADD_HEADER("Authorization: %s", c->sig.authorization.p);
    list = curl_slist_append(list, "Expect:");
    if (!body)
        list = curl_slist_append(list, "Content-Type:");
#undef ADD_HEADER

    upload up = {body, n, 0};
    sl_buf_reset(&c->body);
    c->etag[0] = 0;
    c->status = 0;
    c->retry_after_s = 0;
    c->expired_token = false;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, c->url.p);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->request_timeout_ms);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->verify ? 2L : 0L);
    if (c->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_line);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    if (strcmp(method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(h, CURLOPT_READDATA, &up);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)n);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? n : 0));
    } else if (strcmp(method, "DELETE") == 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s %s: %s", method, c->url.p, curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
    curl_off_t ra = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
        c->retry_after_s = (int64_t)ra;
    sl_buf_putc(&c->body, 0);
    c->body.len--;
    char code[64];
    if (c->status >= 400 && sl_s3_xml_value(c, "Code", code, sizeof code) &&
        (strcmp(code, "ExpiredToken") == 0 || strcmp(code, "TokenRefreshRequired") == 0))
        c->expired_token = true;
    return 0;
}

bool sl_s3_xml_value(const sl_s3_client *c, const char *tag, char *out, size_t cap)
{
    if (!c->body.p || cap == 0)
        return false;
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *s = strstr(c->body.p, open);
    if (!s)
        return false;
    s += strlen(open);
    const char *e = strstr(s, close);
    if (!e)
        return false;
    size_t n = (size_t)(e - s);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = 0;
    return true;
}
