/* s3_request.h: one signed HTTP request to S3 (or an S3-compatible store)
 * through a libcurl easy handle kept for keep-alive: the URL in path or
 * virtual-host style, the SigV4 signature over the exact bytes sent, and
 * the response's status, body excerpt, ETag and Retry-After. Used by the
 * S3 destination's thread only. */
#ifndef SLUICE_DEST_S3_REQUEST_H
#define SLUICE_DEST_S3_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dest/aws_credentials.h"
#include "dest/sigv4.h"
#include "util/buf.h"

typedef struct {
    const char *name, *value;
} sl_s3_header;

typedef struct {
    /* set by sl_s3_client_init from the config */
    char *scheme;               /* "https" */
    char *endpoint_host;        /* "s3.us-east-1.amazonaws.com" or "127.0.0.1:9000" */
    char *bucket, *region;
    bool path_style;
    long connect_timeout_ms, request_timeout_ms;
    const char *ca_file;
    bool verify;
    sl_aws_provider *creds;
    /* working state */
    void *curl;                 /* CURL * */
    sl_buf url, path, host, hdr;
    sl_sigv4_out sig;
    /* the last response */
    long status;
    sl_buf body;                /* up to 64 KiB of the response body */
    char etag[128];
    int64_t retry_after_s;
    bool expired_token;         /* the response says the credentials expired */
} sl_s3_client;

/* 0, or -1 with a message when the endpoint cannot be used. */
int sl_s3_client_init(sl_s3_client *c, const char *endpoint, const char *bucket,
                      const char *region, bool path_style, char *err, size_t errlen);
void sl_s3_client_free(sl_s3_client *c);

/* Send one request: `key` is the object key (raw; "" for the bucket),
 * `query` the query string as sent (already encoded; NULL for none).
 * 0 when a response came back (see c->status), -1 on a transport error or
 * when no credentials can be had (message in err). */
int sl_s3_request(sl_s3_client *c, const char *method, const char *key, const char *query,
                  const void *body, size_t n, const sl_s3_header *extra, size_t n_extra,
                  char *err, size_t errlen);

/* The text of <Tag>...</Tag> in the last response body, or false. */
bool sl_s3_xml_value(const sl_s3_client *c, const char *tag, char *out, size_t cap);

#endif
