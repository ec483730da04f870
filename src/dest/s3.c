/* s3.c: the `s3` destination. Each batch becomes one object (one per
 * distinct key when the key template has {field} placeholders), encoded
 * and compressed once by the runner. Below multipart_threshold an object is
 * one PutObject with the SHA-256 of its body signed (no aws-chunked
 * encoding); at or above it, a multipart upload of part_size parts, each
 * part retried on its own, the upload aborted when it cannot complete. An
 * object's events are acked only when S3 has answered the upload with 200
 * (CompleteMultipartUpload: a 200 without an <Error> in its body).
 *
 * Results: a transport error, timeout, 408, 429, 5xx, and also 401/403
 * (credentials expire and are rotated, permissions get fixed), 400
 * ExpiredToken (temporary credentials that expired in flight: the next
 * attempt fetches new ones) and 404 NoSuchBucket (a bucket not created
 * yet) are RETRY, so a misconfiguration
 * stalls loudly (backpressure) instead of dropping logs. Any other 4xx is
 * FAIL (dead letter or dropped). When a batch has several objects and one
 * fails, the ones already stored are not uploaded again on the retry.
 *
 * With `concurrency: N`, each of the runner's N senders opens its own
 * state here (client, connection, credential provider, batch bookkeeping),
 * so N uploads are in flight at once; startup notes are logged once.
 *
 * Requests go through s3_request.c (signing, curl), credentials through
 * aws_credentials.c (config, environment, shared file, IMDSv2). */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dest.h"
#include "dest/aws_credentials.h"
#include "dest/curl_api.h"
#include "dest/name_template.h"
#include "dest/s3_request.h"
#include "encode.h"
#include "log.h"
#include "pipeline_config.h"
#include "runtime.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/openssl_api.h"
#include "util/xalloc.h"

#define S3 "s3"
#define MIN_PART (5ULL << 20)
#define MAX_PARTS 10000
#define PART_ATTEMPTS 4
#define EXCERPT 200

typedef struct {
    char *bucket;
    char *region;
    char *endpoint;
    bool path_style;
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    char *profile;
    char *key;
    char *storage_class;
    char *acl;
    char *sse;
    char *sse_kms_key_id;
    uint64_t multipart_threshold;
    uint64_t part_size;
    int64_t connect_timeout_ns;
    int64_t request_timeout_ns;
    char *tls_ca_file;
    bool tls_verify;
} s3_cfg;

#define DEFAULT_KEY "sluice/%Y/%m/%d/%H/{host}-{uuid}.ndjson.gz"

#define O(f) offsetof(s3_cfg, f)
static const sl_option s3_options[] = {
    {"bucket", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(bucket),
     "The bucket objects are written to."},
    {"region", SL_OPT_STRING, "us-east-1", 0, 0, 0, NULL, O(region),
     "The bucket's region (part of every signature)."},
    {"endpoint", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(endpoint),
     "scheme://host[:port] of an S3-compatible store; default https://s3.REGION.amazonaws.com."},
    {"path_style", SL_OPT_BOOL, "false", 0, 0, 0, NULL, O(path_style),
     "Address the bucket in the path (host/bucket/key), as most S3-compatible stores "
     "want, instead of the host name (bucket.host/key)."},
    {"access_key_id", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(access_key_id),
     "Access key; without it the environment, the shared credentials file, then the "
     "instance metadata service are tried."},
    {"secret_access_key", SL_OPT_STRING, NULL, SL_OPTF_SECRET, 0, 0, NULL,
     O(secret_access_key), "Secret key (write ${VAR}); never logged."},
    {"session_token", SL_OPT_STRING, NULL, SL_OPTF_SECRET, 0, 0, NULL, O(session_token),
     "Session token of temporary credentials."},
    {"profile", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(profile),
     "Profile in the shared credentials file (default: AWS_PROFILE, then \"default\")."},
    {"key", SL_OPT_STRING, DEFAULT_KEY, 0, 0, 0, NULL, O(key),
     "Object key: %Y %m %d %H %M %S from the batch's first event (UTC), {uuid}, {host}, "
     "{source} and {field} placeholders (values reduced to S3's safe characters)."},
    {"storage_class", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(storage_class),
     "x-amz-storage-class of new objects (STANDARD_IA, GLACIER_IR, ...)."},
    {"acl", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(acl),
     "Canned ACL of new objects (x-amz-acl), e.g. bucket-owner-full-control."},
    {"server_side_encryption", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(sse),
     "x-amz-server-side-encryption: AES256 or aws:kms."},
    {"sse_kms_key_id", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(sse_kms_key_id),
     "KMS key for server_side_encryption aws:kms."},
    {"multipart_threshold", SL_OPT_SIZE, "16MiB", 0, 5LL << 20, 5LL << 30, NULL,
     O(multipart_threshold), "Objects this large or larger are sent as a multipart upload."},
    {"part_size", SL_OPT_SIZE, "8MiB", 0, 5LL << 20, 5LL << 30, NULL, O(part_size),
     "Size of each part of a multipart upload (the last one may be smaller)."},
    {"connect_timeout", SL_OPT_DURATION, "10s", 0, 1000000, 3600000000000LL, NULL,
     O(connect_timeout_ns), "Longest wait for a connection."},
    {"request_timeout", SL_OPT_DURATION, "2m", 0, 1000000, 86400000000000LL, NULL,
     O(request_timeout_ns), "Longest one request (a PutObject or one part) may take."},
    {"tls.ca_file", SL_OPT_STRING, NULL, 0, 0, 0, NULL, O(tls_ca_file),
     "PEM file of CA certificates to verify the endpoint with."},
    {"tls.verify", SL_OPT_BOOL, "true", 0, 0, 0, NULL, O(tls_verify),
     "Verify the endpoint's certificate; false is insecure and logged loudly."},
    SL_OPT_END,
};

typedef struct {
    sl_s3_client client;
    sl_name_template *key;
    sl_buf keybuf, xml, part_query;
    /* grouping a batch by key */
    sl_event **grouped;
    size_t grouped_cap;
    /* objects of the current batch already stored (skipped on a retry) */
    sl_event *batch_first;
    size_t batch_n;
    bool *stored;
    size_t stored_cap;
    char (*etags)[128];
    int64_t uploads, parts;
    bool global_init;
} s3_state;

static void s3_check(void *cfgp, const sl_node *node, const char *what, sl_diags *d)
{
    const char *why;
    if (!sl_curl_lib_load(&why) || !sl_openssl_load(&why)) {
        sl_diag_error(d, node, "%s: %s", what, why);
        return;
    }
    s3_cfg *cfg = cfgp;
    const char *bad = sl_name_template_check(cfg->key);
    if (bad)
        sl_diag_error(d, sl_node_get(node, "key") ? sl_node_get(node, "key") : node,
                      "%s: option \"key\" has %s", what, bad);
    if (cfg->key[0] == '/')
        sl_diag_error(d, sl_node_get(node, "key") ? sl_node_get(node, "key") : node,
                      "%s: option \"key\" must not start with '/'", what);
    if ((cfg->access_key_id != NULL) != (cfg->secret_access_key != NULL))
        sl_diag_error(d, node, "%s: access_key_id and secret_access_key go together", what);
    if (cfg->part_size > cfg->multipart_threshold)
        sl_diag_error(d, node, "%s: part_size must not exceed multipart_threshold", what);
    for (const char *b = cfg->bucket; *b; b++)
        if (!((*b >= 'a' && *b <= 'z') || (*b >= '0' && *b <= '9') || *b == '-' || *b == '.' ||
              *b == '_' || (*b >= 'A' && *b <= 'Z'))) {
            sl_diag_error(d, sl_node_get(node, "bucket"), "%s: \"%s\" is not a bucket name",
                          what, cfg->bucket);
            break;
        }
    if (cfg->sse && strcmp(cfg->sse, "AES256") != 0 && strcmp(cfg->sse, "aws:kms") != 0)
        sl_diag_error(d, sl_node_get(node, "server_side_encryption"),
                      "%s: server_side_encryption must be AES256 or aws:kms", what);
}

static int s3_open(sl_dest *d)
{
    const s3_cfg *cfg = d->cfg;
    s3_state *st = sl_calloc(1, sizeof *st);
    sl_dest_set_state(d, st);
    bool first = sl_dest_sender(d) == 0;    /* log startup notes once */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        sl_error(S3, "destination \"%s\": cannot initialise libcurl", d->name);
        return -1;
    }
    st->global_init = true;
    char err[300];
    if (sl_s3_client_init(&st->client, cfg->endpoint, cfg->bucket, cfg->region,
                          cfg->path_style, err, sizeof err) != 0) {
        sl_error(S3, "destination \"%s\": %s", d->name, err);
        return -1;
    }
    st->client.connect_timeout_ms = (long)(cfg->connect_timeout_ns / 1000000);
    st->client.request_timeout_ms = (long)(cfg->request_timeout_ns / 1000000);
    st->client.ca_file = cfg->tls_ca_file;
    st->client.verify = cfg->tls_verify;
    st->client.creds = sl_aws_provider_new(cfg->access_key_id, cfg->secret_access_key,
                                           cfg->session_token, cfg->profile);
    st->key = sl_name_template_new(cfg->key, SL_NAME_OBJECT_KEY);
    if (first && !cfg->tls_verify)
        sl_warn(S3, "destination \"%s\": tls.verify is false: THE ENDPOINT'S CERTIFICATE IS NOT "
                    "CHECKED; anyone on the path can read and change the uploads",
                d->name);
    bool gz = d->common->compression == SL_COMP_GZIP;
    size_t kl = strlen(cfg->key);
    if (first && gz != (kl > 3 && strcmp(cfg->key + kl - 3, ".gz") == 0))
        sl_warn(S3, "destination \"%s\": objects are %s but the key %s end in .gz", d->name,
                gz ? "gzip-compressed" : "not compressed", gz ? "does not" : "does");
    if (first)
        sl_info(S3, "destination \"%s\": s3://%s/%s via %s://%s (%s style%s)", d->name,
                cfg->bucket, cfg->key, st->client.scheme, st->client.endpoint_host,
                cfg->path_style ? "path" : "virtual-host", gz ? ", gzip" : "");
    return 0;
}

/* ---- one object ------------------------------------------------------------- */

enum { UP_OK, UP_RETRY, UP_FAIL };

/* Classify the last response; sets the runner's error line. */
static int classify(sl_dest *d, s3_state *st, const char *what, const char *key)
{
    sl_s3_client *c = &st->client;
    long s = c->status;
    if (s >= 200 && s < 300) {
        char code[64];
        if (!sl_s3_xml_value(c, "Code", code, sizeof code) || !strstr(c->body.p, "<Error>"))
            return UP_OK;
        s = 500;                /* a 200 carrying an error (CompleteMultipartUpload) */
    }
    char code[64] = "", msg[EXCERPT + 1] = "";
    sl_s3_xml_value(c, "Code", code, sizeof code);
    if (!sl_s3_xml_value(c, "Message", msg, sizeof msg) && c->body.p)
        snprintf(msg, sizeof msg, "%.*s", EXCERPT, c->body.p);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    sl_dest_set_error(d, "%s s3://%s/%s: HTTP %ld %s%s%s", what, c->bucket, key, s, code,
                      *msg ? ": " : "", msg);
    if (c->retry_after_s > 0)
        sl_dest_retry_after(d, c->retry_after_s * 1000000000LL);
    if (c->expired_token)       /* a 400, but about the credentials, not the batch: */
        return UP_RETRY;        /* the next attempt signs with fresh ones */
    if (s == 408 || s == 429 || s >= 500 || s == 401 || s == 403 ||
        (s == 404 && strcmp(code, "NoSuchBucket") == 0) || s < 200 || (s >= 300 && s < 400))
        return UP_RETRY;
    return UP_FAIL;
}

static int request(sl_dest *d, s3_state *st, const char *what, const char *method,
                   const char *key, const char *query, const void *body, size_t n,
                   const sl_s3_header *h, size_t nh)
{
    char err[400];
    if (sl_s3_request(&st->client, method, key, query, body, n, h, nh, err, sizeof err) != 0) {
        sl_dest_set_error(d, "%s s3://%s/%s: %s", what, st->client.bucket, key, err);
        return UP_RETRY;
    }
    return classify(d, st, what, key);
}

static size_t object_headers(const s3_cfg *cfg, const sl_dest *d, sl_s3_header *h)
{
    size_t n = 0;
    bool gz = d->common->compression == SL_COMP_GZIP;
    h[n++] = (sl_s3_header){"Content-Type",
                            gz ? "application/gzip" : sl_encoding_content_type(d->common->encoding)};
    if (cfg->storage_class)
        h[n++] = (sl_s3_header){"x-amz-storage-class", cfg->storage_class};
    if (cfg->acl)
        h[n++] = (sl_s3_header){"x-amz-acl", cfg->acl};
    if (cfg->sse)
        h[n++] = (sl_s3_header){"x-amz-server-side-encryption", cfg->sse};
    if (cfg->sse_kms_key_id)
        h[n++] = (sl_s3_header){"x-amz-server-side-encryption-aws-kms-key-id",
                                cfg->sse_kms_key_id};
    return n;
}

static void abort_upload(sl_dest *d, s3_state *st, const char *key, const char *upload_id)
{
    sl_buf q = {0};
    sl_buf_puts(&q, "uploadId=");
    sl_sigv4_uri_encode(&q, upload_id, strlen(upload_id), false);
    sl_buf_putc(&q, 0);
    char err[300];
    if (sl_s3_request(&st->client, "DELETE", key, q.p, NULL, 0, NULL, 0, err, sizeof err) != 0 ||
        st->client.status >= 300)
        sl_warn(S3, "destination \"%s\": could not abort the multipart upload of %s (%s); a "
                    "bucket lifecycle rule for incomplete uploads cleans it up",
                d->name, key, st->client.status ? "an HTTP error" : err);
    sl_buf_free(&q);
}

static int multipart(sl_dest *d, s3_state *st, const char *key, const sl_buf *body)
{
    const s3_cfg *cfg = d->cfg;
    sl_s3_header h[8];
    size_t nh = object_headers(cfg, d, h);
    int r = request(d, st, "CreateMultipartUpload", "POST", key, "uploads", NULL, 0, h, nh);
    if (r != UP_OK)
        return r;
    char upload_id[1024];
    if (!sl_s3_xml_value(&st->client, "UploadId", upload_id, sizeof upload_id)) {
        sl_dest_set_error(d, "CreateMultipartUpload s3://%s/%s: no UploadId in the response",
                          cfg->bucket, key);
        return UP_RETRY;
    }
    uint64_t part = cfg->part_size;
    size_t nparts = (size_t)((body->len + part - 1) / part);
    if (nparts > MAX_PARTS) {
        part = (body->len + MAX_PARTS - 1) / MAX_PARTS;
        nparts = (size_t)((body->len + part - 1) / part);
    }
    st->etags = sl_realloc(st->etags, nparts * sizeof *st->etags);
    sl_buf *q = &st->part_query;
    for (size_t i = 0; i < nparts; i++) {
        size_t off = (size_t)(i * part);
        size_t len = body->len - off < part ? body->len - off : (size_t)part;
        sl_buf_reset(q);
        sl_buf_printf(q, "partNumber=%zu&uploadId=", i + 1);
        sl_sigv4_uri_encode(q, upload_id, strlen(upload_id), false);
        sl_buf_putc(q, 0);
        int pr = UP_RETRY;
        for (int attempt = 0; attempt < PART_ATTEMPTS && pr == UP_RETRY; attempt++) {
            if (attempt) {          /* a part is retried on its own, briefly */
                struct timespec ts = {0, (long)(200000000L << attempt)};
                nanosleep(&ts, NULL);
            }
            pr = request(d, st, "UploadPart", "PUT", key, q->p, body->p + off, len, NULL, 0);
            if (pr == UP_OK && !st->client.etag[0]) {
                sl_dest_set_error(d, "UploadPart s3://%s/%s: no ETag in the response",
                                  cfg->bucket, key);
                pr = UP_RETRY;
            }
        }
        if (pr != UP_OK) {
            abort_upload(d, st, key, upload_id);
            return pr;
        }
        snprintf(st->etags[i], sizeof st->etags[i], "%s", st->client.etag);
        st->parts++;
    }
    sl_buf *x = &st->xml;
    sl_buf_reset(x);
    sl_buf_puts(x, "<CompleteMultipartUpload>");
    for (size_t i = 0; i < nparts; i++)
        sl_buf_printf(x, "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>", i + 1,
                      st->etags[i]);
    sl_buf_puts(x, "</CompleteMultipartUpload>");
    sl_buf_reset(q);
    sl_buf_puts(q, "uploadId=");
    sl_sigv4_uri_encode(q, upload_id, strlen(upload_id), false);
    sl_buf_putc(q, 0);
    sl_s3_header ch[1] = {{"Content-Type", "application/xml"}};
    r = request(d, st, "CompleteMultipartUpload", "POST", key, q->p, x->p, x->len, ch, 1);
    if (r != UP_OK)
        abort_upload(d, st, key, upload_id);
    return r;
}

static int upload(sl_dest *d, s3_state *st, const char *key, const sl_buf *body)
{
    const s3_cfg *cfg = d->cfg;
    int r;
    if (body->len >= cfg->multipart_threshold) {
        r = multipart(d, st, key, body);
    } else {
        sl_s3_header h[8];
        size_t nh = object_headers(cfg, d, h);
        r = request(d, st, "PutObject", "PUT", key, NULL, body->p, body->len, h, nh);
    }
    if (r == UP_OK) {
        st->uploads++;
        sl_debug(S3, "destination \"%s\": stored s3://%s/%s (%zu bytes)", d->name, cfg->bucket,
                 key, body->len);
    }
    if (st->client.expired_token)
        sl_warn(S3, "destination \"%s\": the credentials expired; fetching new ones", d->name);
    return r;
}

/* ---- the batch ------------------------------------------------------------- */

static sl_send_result s3_send(sl_dest *d, sl_event *const *evs, size_t n)
{
    s3_state *st = sl_dest_state(d);
    if (n == 0)
        return SL_SEND_OK;
    if (!sl_name_template_has_fields(st->key)) {
        /* one object; its name is new on every attempt ({uuid}) */
        const sl_buf *body = sl_dest_body(d, evs, n);
        sl_buf_reset(&st->keybuf);
        sl_name_template_render(st->key, evs[0], evs[0], NULL, &st->keybuf);
        int r = upload(d, st, st->keybuf.p, body);
        return r == UP_OK ? SL_SEND_OK : r == UP_RETRY ? SL_SEND_RETRY : SL_SEND_FAIL;
    }
    /* Several objects: group the events by key (the uuid fixed while
     * grouping), in order of first appearance. */
    if (st->batch_first != evs[0] || st->batch_n != n) {
        st->batch_first = evs[0];
        st->batch_n = n;
        if (st->stored_cap < n) {
            st->stored = sl_realloc(st->stored, n * sizeof *st->stored);
            st->stored_cap = n;
        }
        memset(st->stored, 0, n * sizeof *st->stored);
    }
    if (st->grouped_cap < n) {
        st->grouped = sl_realloc(st->grouped, n * sizeof *st->grouped);
        st->grouped_cap = n;
    }
    char **keys = sl_calloc(n, sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        sl_buf_reset(&st->keybuf);
        sl_name_template_render(st->key, evs[i], evs[0], "-", &st->keybuf);
        keys[i] = sl_strdup(st->keybuf.p);
    }
    int worst = UP_OK;
    for (size_t i = 0; i < n; i++) {
        if (!keys[i] || st->stored[i])
            continue;
        size_t g = 0;
        size_t first = i;
        for (size_t j = i; j < n; j++) {
            if (keys[j] && strcmp(keys[j], keys[i]) == 0) {
                st->grouped[g++] = evs[j];
                if (j != i) {
                    free(keys[j]);
                    keys[j] = NULL;
                }
            }
        }
        sl_buf body = {0};
        sl_encode_batch(&body, st->grouped, g, d->common->encoding);
        const sl_buf *payload = &body;
        sl_buf gzbuf = {0};
        sl_gzip gz = {0};
        if (d->common->compression == SL_COMP_GZIP) {
            sl_gzip_compress(&gz, (int)d->common->compression_level, &gzbuf, body.p, body.len);
            payload = &gzbuf;
        }
        sl_buf_reset(&st->keybuf);
        sl_name_template_render(st->key, evs[first], evs[0], NULL, &st->keybuf);
        int r = upload(d, st, st->keybuf.p, payload);
        sl_gzip_free(&gz);
        sl_buf_free(&gzbuf);
        sl_buf_free(&body);
        if (r == UP_OK) {
            for (size_t k = 0, j = i; j < n && k < g; j++)
                if (evs[j] == st->grouped[k]) {
                    st->stored[j] = true;
                    k++;
                }
        } else if (r > worst) {
            worst = r;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    if (worst == UP_OK)
        st->batch_first = NULL;
    return worst == UP_OK ? SL_SEND_OK : worst == UP_RETRY ? SL_SEND_RETRY : SL_SEND_FAIL;
}

static void s3_close(sl_dest *d)
{
    s3_state *st = sl_dest_state(d);
    if (!st)
        return;
    if (st->uploads) {
        char who[32] = "";
        if (d->common->concurrency > 1)
            snprintf(who, sizeof who, " sender %u", sl_dest_sender(d) + 1);
        sl_info(S3, "destination \"%s\"%s: %lld objects stored (%lld multipart parts)", d->name,
                who, (long long)st->uploads, (long long)st->parts);
    }
    sl_aws_provider_free(st->client.creds);
    sl_s3_client_free(&st->client);
    sl_name_template_free(st->key);
    sl_buf_free(&st->keybuf);
    sl_buf_free(&st->xml);
    sl_buf_free(&st->part_query);
    free(st->grouped);
    free(st->stored);
    free(st->etags);
    if (st->global_init)
        curl_global_cleanup();
    free(st);
    sl_dest_set_state(d, NULL);
}

static const sl_dest_ops s3_ops = {
    .open = s3_open,
    .send = s3_send,
    .close = s3_close,
    .write_when_idle = false,
    .concurrent = true,         /* one client per sender */
};

const sl_plugin sl_dest_s3 = {
    .name = "s3",
    .kind = SL_PLUGIN_DEST,
    .summary = "Stores each batch as an S3 object (PutObject, or a multipart upload for "
               "large ones), signed with SigV4; compression defaults to gzip.",
    .options = s3_options,
    .config_size = sizeof(s3_cfg),
    .check = s3_check,
    .dest = &s3_ops,
    .gzip_by_default = true,
};
