/* sigv4.h: AWS Signature Version 4 (header-based, "AWS4-HMAC-SHA256"), as
 * the S3 destination needs it: canonical request, string to sign, signing
 * key, signature and the Authorization header value. Pure functions over
 * caller-owned memory (no global state, no logging); libcrypto does the
 * SHA-256 and HMAC. The secret key goes into the first HMAC and nowhere
 * else: it never appears in any output, and key material is wiped. */
#ifndef SLUICE_DEST_SIGV4_H
#define SLUICE_DEST_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buf.h"

#define SL_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SL_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SL_SIGV4_HEX_LEN 64            /* a SHA-256 / HMAC-SHA256 in hex */
#define SL_SIGV4_KEY_LEN 32            /* a signing key, in bytes */
#define SL_SIGV4_DATE_LEN 16           /* "YYYYMMDDTHHMMSSZ" */
#define SL_SIGV4_MAX_SECRET 256        /* longest secret key accepted */

/* Lowercase hex SHA-256 of [p, p+n) into out (NUL-terminated). 0, or -1 if
 * libcrypto failed. */
int sl_sigv4_sha256_hex(const void *p, size_t n, char out[SL_SIGV4_HEX_LEN + 1]);

/* HMAC-SHA256(key, data) into out. 0, or -1 if libcrypto failed. */
int sl_sigv4_hmac_sha256(const void *key, size_t key_len, const void *data,
                         size_t n, unsigned char out[SL_SIGV4_KEY_LEN]);

/* The signing key: kSecret = "AWS4" + secret_key, kDate = HMAC(kSecret,
 * date), kRegion = HMAC(kDate, region), kService = HMAC(kRegion, service),
 * kSigning = HMAC(kService, "aws4_request"). `date` is YYYYMMDD (only its
 * first 8 characters are used, so an amz date will do). The intermediate
 * keys are wiped. 0, or -1 (bad date, secret longer than
 * SL_SIGV4_MAX_SECRET, libcrypto failure). The key only changes with the
 * date, so a caller may keep it for the day and use sl_sigv4_sign_with_key. */
int sl_sigv4_signing_key(const char *secret_key, const char *date,
                         const char *region, const char *service,
                         unsigned char out[SL_SIGV4_KEY_LEN]);

/* Append [p, p+n) URI-encoded the AWS way: every byte except the RFC 3986
 * unreserved set A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase hex); with
 * keep_slash, '/' is kept (object key paths). Use it to build the request
 * line so that it is exactly what was signed. */
void sl_sigv4_uri_encode(sl_buf *b, const void *p, size_t n, bool keep_slash);

/* t (seconds since the epoch, UTC) as "YYYYMMDDTHHMMSSZ". 0, or -1 if t
 * cannot be represented. */
int sl_sigv4_format_date(time_t t, char out[SL_SIGV4_DATE_LEN + 1]);

typedef struct {
    const char *name;   /* any case: canonicalised to lowercase */
    const char *value;  /* trimmed and runs of spaces/tabs collapsed to one */
} sl_sigv4_header;

/* Who signs, where: constant for a destination. */
typedef struct {
    const char *access_key_id;
    const char *secret_key;     /* only ever used as HMAC key material */
    const char *session_token;  /* NULL or "": none; else signed as
                                   x-amz-security-token */
    const char *region;         /* "us-east-1" */
    const char *service;        /* "s3" */
} sl_sigv4_creds;

/* One request to sign. Every header in `headers` is signed; names may
 * repeat (the values are joined with ',' in the order given).
 *
 * The signer adds x-amz-date (amz_date), x-amz-security-token (when the
 * creds have a token) and, with add_content_sha256, x-amz-content-sha256
 * (payload_hash) to the signed headers unless `headers` already has them
 * (they must then have exactly those values, or signing fails). The caller
 * must send all of them, and every header in `headers`, on the wire; a
 * host header is required. */
typedef struct {
    const char *method;             /* "GET", "PUT", ... */
    const char *path;               /* the absolute path, NOT URI-encoded
                                       ("/bucket/a key"); "" or NULL is "/".
                                       Each segment is encoded here, '/' is
                                       kept, and it is never normalised
                                       (S3: "//a/./b/.." is signed as is) */
    const char *query;              /* the query string as sent, without '?'
                                       ("a=1&b=x%20y"); NULL or "": none.
                                       Each key and value is percent-decoded,
                                       re-encoded (sl_sigv4_uri_encode), and
                                       the pairs sorted by key then value;
                                       "k" alone is "k="; '+' is a plain '+' */
    const sl_sigv4_header *headers;
    size_t n_headers;
    const char *payload_hash;       /* lowercase hex SHA-256 of the body,
                                       SL_SIGV4_UNSIGNED_PAYLOAD or a
                                       "STREAMING-..." constant */
    const char *amz_date;           /* "YYYYMMDDTHHMMSSZ" */
    bool double_encode;             /* false for S3. true (most other
                                       services) encodes the encoded path
                                       once more ('%' -> "%25"); note that no
                                       path normalisation is done either way */
    bool add_content_sha256;        /* add x-amz-content-sha256 (S3 wants it) */
} sl_sigv4_request;

/* The results, in buffers the caller owns and reuses from one signature to
 * the next (zero-initialise once, sl_sigv4_out_free at the end). After a
 * successful sign every sl_buf holds NUL-terminated text (len excludes the
 * NUL). */
typedef struct {
    sl_buf canonical_request;
    sl_buf string_to_sign;
    sl_buf signed_headers;          /* "host;x-amz-date" */
    sl_buf authorization;           /* the Authorization header value */
    char signature[SL_SIGV4_HEX_LEN + 1];
    sl_buf scratch_, text_;         /* private working memory */
} sl_sigv4_out;

void sl_sigv4_out_free(sl_sigv4_out *o);

/* Sign `req` with `creds`. 0 on success; -1 on invalid input or libcrypto
 * failure, with *err (if err is not NULL) set to a static message that
 * never contains key material. */
int sl_sigv4_sign(const sl_sigv4_request *req, const sl_sigv4_creds *creds,
                  sl_sigv4_out *out, const char **err);

/* The same with a signing key from sl_sigv4_signing_key (derived for the
 * same date, region and service; creds->secret_key is not used). */
int sl_sigv4_sign_with_key(const sl_sigv4_request *req,
                           const sl_sigv4_creds *creds,
                           const unsigned char key[SL_SIGV4_KEY_LEN],
                           sl_sigv4_out *out, const char **err);

#endif
