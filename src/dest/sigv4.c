/* sigv4.c: AWS Signature Version 4 signing (see sigv4.h): canonical
 * request, string to sign, signing key and Authorization header, with
 * libcrypto for SHA-256 and HMAC. */
#include "dest/sigv4.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define TERMINATION "aws4_request"

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const unsigned char *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits[p[i] >> 4];
        out[2 * i + 1] = hexdigits[p[i] & 15];
    }
    out[2 * n] = 0;
}

/* Make b's text a C string without counting the NUL. */
static void terminate(sl_buf *b)
{
    sl_buf_putc(b, 0);
    b->len--;
}

int sl_sigv4_sha256_hex(const void *p, size_t n, char out[SL_SIGV4_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    out[0] = 0;
    if (!EVP_Digest(n ? p : "", n, md, &md_len, EVP_sha256(), NULL)
        || md_len != SL_SIGV4_KEY_LEN)
        return -1;
    to_hex(md, md_len, out);
    return 0;
}

int sl_sigv4_hmac_sha256(const void *key, size_t key_len, const void *data,
                         size_t n, unsigned char out[SL_SIGV4_KEY_LEN])
{
    static const unsigned char none[1];
    unsigned int md_len = 0;
    if (key_len > INT_MAX)
        return -1;
    if (!HMAC(EVP_sha256(), key_len ? key : none, (int)key_len,
              n ? data : none, n, out, &md_len)
        || md_len != SL_SIGV4_KEY_LEN)
        return -1;
    return 0;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool valid_date8(const char *d)
{
    if (!d)
        return false;
    for (int i = 0; i < 8; i++)
        if (!is_digit(d[i]))
            return false;
    return true;
}

static bool valid_amz_date(const char *d)
{
    if (!d || strlen(d) != SL_SIGV4_DATE_LEN || d[8] != 'T' || d[15] != 'Z')
        return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !is_digit(d[i]))
            return false;
    return true;
}

int sl_sigv4_signing_key(const char *secret_key, const char *date,
                         const char *region, const char *service,
                         unsigned char out[SL_SIGV4_KEY_LEN])
{
    if (!secret_key || !valid_date8(date) || !region || !service)
        return -1;
    size_t n = strlen(secret_key);
    if (n > SL_SIGV4_MAX_SECRET)
        return -1;
    unsigned char k_secret[4 + SL_SIGV4_MAX_SECRET];
    unsigned char k[SL_SIGV4_KEY_LEN], k2[SL_SIGV4_KEY_LEN];
    /* HMAC key bytes, not a string: no terminator wanted. */
    memcpy(k_secret, "AWS4", 4);            // NOLINT(bugprone-not-null-terminated-result)
    memcpy(k_secret + 4, secret_key, n);    // NOLINT(bugprone-not-null-terminated-result)
    int rc = sl_sigv4_hmac_sha256(k_secret, 4 + n, date, 8, k);
    OPENSSL_cleanse(k_secret, sizeof k_secret);
    if (rc == 0)
        rc = sl_sigv4_hmac_sha256(k, sizeof k, region, strlen(region), k2);
    if (rc == 0)
        rc = sl_sigv4_hmac_sha256(k2, sizeof k2, service, strlen(service), k);
    if (rc == 0)
        rc = sl_sigv4_hmac_sha256(k, sizeof k, TERMINATION,
                                  strlen(TERMINATION), out);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(k2, sizeof k2);
    if (rc != 0)
        OPENSSL_cleanse(out, SL_SIGV4_KEY_LEN);
    return rc;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit((char)c)
        || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Encode once; with twice, the '%' of each escape is itself encoded. */
static void uri_encode(sl_buf *b, const unsigned char *s, size_t n,
                       bool keep_slash, bool twice)
{
    static const char HEX[] = "0123456789ABCDEF";
    sl_buf_reserve(b, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            sl_buf_putc(b, (char)c);
            continue;
        }
        sl_buf_putc(b, '%');
        if (twice)
            sl_buf_append(b, "25", 2);
        sl_buf_putc(b, HEX[c >> 4]);
        sl_buf_putc(b, HEX[c & 15]);
    }
}

void sl_sigv4_uri_encode(sl_buf *b, const void *p, size_t n, bool keep_slash)
{
    uri_encode(b, p, n, keep_slash, false);
}

int sl_sigv4_format_date(time_t t, char out[SL_SIGV4_DATE_LEN + 1])
{
    struct tm tm;
    out[0] = 0;
    if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
        return -1;
    if (strftime(out, SL_SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm)
        != SL_SIGV4_DATE_LEN)
        return -1;
    return 0;
}

void sl_sigv4_out_free(sl_sigv4_out *o)
{
    sl_buf_free(&o->canonical_request);
    sl_buf_free(&o->string_to_sign);
    sl_buf_free(&o->signed_headers);
    sl_buf_free(&o->authorization);
    sl_buf_free(&o->scratch_);
    sl_buf_free(&o->text_);
    o->signature[0] = 0;
}

/* ---- validation ------------------------------------------------------- */

/* RFC 9110 token characters (method and header names). */
static bool is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit((char)c)
        || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool valid_token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return false;
    return true;
}

/* A header value: no control characters but tab (so no CR/LF injection). */
static bool valid_field_value(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

/* A credential scope part or access key id: visible ASCII, no '/'. */
static bool valid_scope_part(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (*s <= 0x20 || *s >= 0x7f || *s == '/' || *s == ',')
            return false;
    return true;
}

static bool valid_payload_hash(const char *s)
{
    if (!s)
        return false;
    if (!strcmp(s, SL_SIGV4_UNSIGNED_PAYLOAD))
        return true;
    if (!strncmp(s, "STREAMING-", 10)) {
        for (s += 10; *s; s++)
            if (!((*s >= 'A' && *s <= 'Z') || is_digit(*s) || *s == '-'))
                return false;
        return true;
    }
    size_t i = 0;
    for (; s[i]; i++)
        if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    return i == SL_SIGV4_HEX_LEN;
}

/* ---- canonical headers ------------------------------------------------ */

typedef struct {
    const char *name, *value;
    size_t name_len, value_len;     /* value trimmed */
    size_t order;
} hent;

static char lower(char c)
{
    return (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

static int name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)lower(a[i]), y = (unsigned char)lower(b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an < bn ? -1 : an > bn;
}

static bool name_is(const hent *h, const char *lc)
{
    return !name_cmp(h->name, h->name_len, lc, strlen(lc));
}

static int hent_cmp(const void *pa, const void *pb)
{
    const hent *a = pa, *b = pb;
    int c = name_cmp(a->name, a->name_len, b->name, b->name_len);
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

static hent make_hent(const char *name, const char *value, size_t order)
{
    hent h = { .name = name, .name_len = strlen(name), .order = order };
    size_t n = strlen(value);
    while (n && is_ows(value[n - 1]))
        n--;
    while (n && is_ows(*value))
        value++, n--;
    h.value = value;
    h.value_len = n;
    return h;
}

/* The value with each run of spaces and tabs as one space (already trimmed). */
static void put_collapsed(sl_buf *b, const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (is_ows(v[i])) {
            while (i + 1 < n && is_ows(v[i + 1]))
                i++;
            sl_buf_putc(b, ' ');
        } else {
            sl_buf_putc(b, v[i]);
        }
    }
}

enum { H_DATE, H_TOKEN, H_SHA256, H_N };
static const char *const implied_names[H_N] = {
    "x-amz-date", "x-amz-security-token", "x-amz-content-sha256",
};

/* Append the canonical headers ("name:value\n" each) to out->canonical_
 * request and the signed header list to out->signed_headers. */
static int canonical_headers(const sl_sigv4_request *req, const char *token,
                             sl_sigv4_out *out, const char **err)
{
    const char *implied[H_N] = {
        req->amz_date, token, req->add_content_sha256 ? req->payload_hash : NULL,
    };
    /* What a caller-given x-amz-content-sha256 must say, too. */
    const char *must_equal[H_N] = { req->amz_date, token, req->payload_hash };
    bool given[H_N] = { false, false, false };
    bool have_host = false;

    size_t cap = req->n_headers + H_N;
    if (cap > SIZE_MAX / sizeof(hent)) {
        *err = "too many headers";
        return -1;
    }
    sl_buf_reset(&out->scratch_);
    sl_buf_reserve(&out->scratch_, cap * sizeof(hent));
    hent *hs = (hent *)(void *)out->scratch_.p;
    size_t n = 0;

    for (size_t i = 0; i < req->n_headers; i++) {
        const sl_sigv4_header *h = &req->headers[i];
        if (!valid_token(h->name)) {
            *err = "invalid header name";
            return -1;
        }
        if (!h->value || !valid_field_value(h->value)) {
            *err = "invalid header value (control characters)";
            return -1;
        }
        hs[n] = make_hent(h->name, h->value, n);
        if (name_is(&hs[n], "authorization")) {
            *err = "the authorization header cannot be signed";
            return -1;
        }
        have_host |= name_is(&hs[n], "host");
        for (int k = 0; k < H_N; k++)
            given[k] |= name_is(&hs[n], implied_names[k]);
        n++;
    }
    if (!have_host) {
        *err = "no host header";
        return -1;
    }
    for (int k = 0; k < H_N; k++)
        if (implied[k] && !given[k]) {
            hs[n] = make_hent(implied_names[k], implied[k], n);
            n++;
        }
    qsort(hs, n, sizeof *hs, hent_cmp);

    sl_buf *cr = &out->canonical_request, *sh = &out->signed_headers;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && !name_cmp(hs[i].name, hs[i].name_len, hs[j].name,
                                  hs[j].name_len))
            j++;
        if (i)
            sl_buf_putc(sh, ';');
        for (size_t c = 0; c < hs[i].name_len; c++) {
            char lc = lower(hs[i].name[c]);
            sl_buf_putc(cr, lc);
            sl_buf_putc(sh, lc);
        }
        sl_buf_putc(cr, ':');
        size_t start = cr->len;
        for (size_t k = i; k < j; k++) {
            if (k > i)
                sl_buf_putc(cr, ',');
            put_collapsed(cr, hs[k].value, hs[k].value_len);
        }
        for (int k = 0; k < H_N; k++) {
            if (!given[k] || !must_equal[k] || !name_is(&hs[i], implied_names[k]))
                continue;
            size_t len = strlen(must_equal[k]);
            if (cr->len - start != len || memcmp(cr->p + start, must_equal[k], len) != 0) {
                static const char *const why[H_N] = {
                    "the x-amz-date header is not the request's amz_date",
                    "the x-amz-security-token header is not the session token",
                    "the x-amz-content-sha256 header is not the payload hash",
                };
                *err = why[k];
                return -1;
            }
        }
        sl_buf_putc(cr, '\n');
        i = j;
    }
    return 0;
}

/* ---- canonical path and query ------------------------------------------ */

static void canonical_path(sl_buf *b, const char *path, bool twice)
{
    if (!path || !*path)
        sl_buf_putc(b, '/');
    else
        uri_encode(b, (const unsigned char *)path, strlen(path), true, twice);
}

static int hexval(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode s (a '%' not followed by two hex digits is a literal '%')
 * and encode the bytes again, canonically. */
static void reencode(sl_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int hi = c == '%' && n - i > 2 ? hexval(s[i + 1]) : -1;
        int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
        if (lo >= 0) {
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        uri_encode(b, &c, 1, false, false);
    }
}

typedef struct {
    const char *k, *v;
    size_t k_off, k_len, v_off, v_len;
} qent;

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static int qent_cmp(const void *pa, const void *pb)
{
    const qent *a = pa, *b = pb;
    int c = bytes_cmp(a->k, a->k_len, b->k, b->k_len);
    return c ? c : bytes_cmp(a->v, a->v_len, b->v, b->v_len);
}

static void canonical_query(sl_buf *b, const char *q, sl_sigv4_out *out)
{
    if (!q || !*q)
        return;
    size_t cap = 1;
    for (const char *p = q; *p; p++)
        cap += *p == '&';
    sl_buf_reset(&out->scratch_);
    sl_buf_reset(&out->text_);
    sl_buf_reserve(&out->scratch_, cap * sizeof(qent));
    qent *qs = (qent *)(void *)out->scratch_.p;
    size_t n = 0;
    for (const char *p = q; *p;) {
        size_t len = strcspn(p, "&");
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t kn = eq ? (size_t)(eq - p) : len;
            qent *e = &qs[n++];
            e->k_off = out->text_.len;
            reencode(&out->text_, p, kn);
            e->k_len = out->text_.len - e->k_off;
            e->v_off = out->text_.len;
            if (eq)
                reencode(&out->text_, eq + 1, len - kn - 1);
            e->v_len = out->text_.len - e->v_off;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    if (!n)
        return;
    for (size_t i = 0; i < n; i++) {
        /* text_ has stopped growing: offsets become pointers */
        qs[i].k = out->text_.p + qs[i].k_off;
        qs[i].v = out->text_.p + qs[i].v_off;
    }
    qsort(qs, n, sizeof *qs, qent_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sl_buf_putc(b, '&');
        sl_buf_append(b, qs[i].k, qs[i].k_len);
        sl_buf_putc(b, '=');
        sl_buf_append(b, qs[i].v, qs[i].v_len);
    }
}

/* ---- signing ------------------------------------------------------------ */

static void reset_out(sl_sigv4_out *out)
{
    sl_buf_reset(&out->canonical_request);
    sl_buf_reset(&out->string_to_sign);
    sl_buf_reset(&out->signed_headers);
    sl_buf_reset(&out->authorization);
    out->signature[0] = 0;
}

static const char *check_input(const sl_sigv4_request *req,
                               const sl_sigv4_creds *creds)
{
    if (!valid_token(req->method))
        return "invalid method";
    if (req->path && *req->path && *req->path != '/')
        return "the path must start with '/'";
    if (!valid_amz_date(req->amz_date))
        return "invalid amz date (want YYYYMMDDTHHMMSSZ)";
    if (!valid_payload_hash(req->payload_hash))
        return "invalid payload hash (want lowercase hex SHA-256 or UNSIGNED-PAYLOAD)";
    if (req->n_headers && !req->headers)
        return "no headers";
    if (!valid_scope_part(creds->access_key_id))
        return "invalid access key id";
    if (!valid_scope_part(creds->region))
        return "invalid region";
    if (!valid_scope_part(creds->service))
        return "invalid service";
    if (creds->session_token && !valid_field_value(creds->session_token))
        return "invalid session token";
    return NULL;
}

static int sign(const sl_sigv4_request *req, const sl_sigv4_creds *creds,
                const unsigned char *given_key, sl_sigv4_out *out,
                const char **err)
{
    const char *ignored;
    if (!err)
        err = &ignored;
    *err = NULL;
    reset_out(out);
    if ((*err = check_input(req, creds)) != NULL)
        goto fail;
    const char *token = creds->session_token && *creds->session_token
                      ? creds->session_token : NULL;

    /* Task 1: the canonical request. */
    sl_buf *cr = &out->canonical_request;
    sl_buf_puts(cr, req->method);
    sl_buf_putc(cr, '\n');
    canonical_path(cr, req->path, req->double_encode);
    sl_buf_putc(cr, '\n');
    canonical_query(cr, req->query, out);
    sl_buf_putc(cr, '\n');
    if (canonical_headers(req, token, out, err) < 0)
        goto fail;
    sl_buf_putc(cr, '\n');
    sl_buf_append(cr, out->signed_headers.p, out->signed_headers.len);
    sl_buf_putc(cr, '\n');
    sl_buf_puts(cr, req->payload_hash);

    /* Task 2: the string to sign. */
    char cr_hash[SL_SIGV4_HEX_LEN + 1];
    if (sl_sigv4_sha256_hex(cr->p, cr->len, cr_hash) < 0) {
        *err = "SHA-256 failed (libcrypto)";
        goto fail;
    }
    sl_buf_printf(&out->string_to_sign, "%s\n%s\n%.8s/%s/%s/%s\n%s",
                  SL_SIGV4_ALGORITHM, req->amz_date, req->amz_date,
                  creds->region, creds->service, TERMINATION, cr_hash);

    /* Task 3: the signature. */
    unsigned char key[SL_SIGV4_KEY_LEN], mac[SL_SIGV4_KEY_LEN];
    if (!given_key) {
        if (!creds->secret_key || !*creds->secret_key) {
            *err = "no secret key";
            goto fail;
        }
        if (sl_sigv4_signing_key(creds->secret_key, req->amz_date, creds->region,
                                 creds->service, key) < 0) {
            *err = strlen(creds->secret_key) > SL_SIGV4_MAX_SECRET
                 ? "the secret key is too long" : "HMAC failed (libcrypto)";
            goto fail;
        }
        given_key = key;
    }
    int rc = sl_sigv4_hmac_sha256(given_key, SL_SIGV4_KEY_LEN, out->string_to_sign.p,
                                  out->string_to_sign.len, mac);
    OPENSSL_cleanse(key, sizeof key);
    if (rc < 0) {
        *err = "HMAC failed (libcrypto)";
        goto fail;
    }
    to_hex(mac, sizeof mac, out->signature);

    /* Task 4: the Authorization header. */
    sl_buf_printf(&out->authorization,
                  "%s Credential=%s/%.8s/%s/%s/%s, SignedHeaders=%.*s, Signature=%s",
                  SL_SIGV4_ALGORITHM, creds->access_key_id, req->amz_date,
                  creds->region, creds->service, TERMINATION,
                  (int)out->signed_headers.len, out->signed_headers.p,
                  out->signature);
    terminate(&out->canonical_request);
    terminate(&out->string_to_sign);
    terminate(&out->signed_headers);
    terminate(&out->authorization);
    return 0;

fail:
    reset_out(out);
    return -1;
}

int sl_sigv4_sign(const sl_sigv4_request *req, const sl_sigv4_creds *creds,
                  sl_sigv4_out *out, const char **err)
{
    return sign(req, creds, NULL, out, err);
}

int sl_sigv4_sign_with_key(const sl_sigv4_request *req,
                           const sl_sigv4_creds *creds,
                           const unsigned char key[SL_SIGV4_KEY_LEN],
                           sl_sigv4_out *out, const char **err)
{
    if (!key) {
        reset_out(out);
        if (err)
            *err = "no signing key";
        return -1;
    }
    return sign(req, creds, key, out, err);
}
