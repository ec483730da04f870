/* aws_credentials.c: the AWS credential chain (config, environment, shared
 * credentials file, IMDSv2) with refresh of temporary credentials. */
#include "dest/aws_credentials.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define REFRESH_BEFORE_S 300
#define MAX_CREDENTIALS_FILE (1u << 20)

struct sl_aws_provider {
    char *cfg_key, *cfg_secret, *cfg_token, *cfg_profile;
    sl_aws_creds cur;
    int64_t obtained;           /* unix seconds cur was fetched */
    bool have;
};

static void copy_field(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static char *dup_opt(const char *s)
{
    return s && *s ? sl_strdup(s) : NULL;
}

sl_aws_provider *sl_aws_provider_new(const char *cfg_key, const char *cfg_secret,
                                     const char *cfg_token, const char *cfg_profile)
{
    sl_aws_provider *p = sl_calloc(1, sizeof *p);
    p->cfg_key = dup_opt(cfg_key);
    p->cfg_secret = dup_opt(cfg_secret);
    p->cfg_token = dup_opt(cfg_token);
    p->cfg_profile = dup_opt(cfg_profile);
    return p;
}

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

void sl_aws_provider_free(sl_aws_provider *p)
{
    if (!p)
        return;
    if (p->cfg_secret)
        wipe(p->cfg_secret, strlen(p->cfg_secret));
    free(p->cfg_key);
    free(p->cfg_secret);
    free(p->cfg_token);
    free(p->cfg_profile);
    wipe(&p->cur, sizeof p->cur);
    free(p);
}

/* ---- the shared credentials file ----------------------------------------- */

static const char *trim(const char *s, const char *e, size_t *n)
{
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    *n = (size_t)(e - s);
    return s;
}

int sl_aws_parse_credentials_file(const char *text, const char *profile, sl_aws_creds *out)
{
    memset(out, 0, sizeof *out);
    bool in_profile = false, key = false, secret = false;
    size_t plen = strlen(profile);
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        if (!eol)
            eol = line + strlen(line);
        size_t n;
        const char *s = trim(line, eol, &n);
        if (n && (s[0] == '#' || s[0] == ';')) {
            /* comment */
        } else if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
            size_t m;
            const char *name = trim(s + 1, s + n - 1, &m);
            in_profile = m == plen && memcmp(name, profile, plen) == 0;
        } else if (in_profile && n) {
            const char *eq = memchr(s, '=', n);
            if (eq) {
                size_t kn, vn;
                const char *k = trim(s, eq, &kn);
                const char *v = trim(eq + 1, s + n, &vn);
                if (kn == 17 && memcmp(k, "aws_access_key_id", 17) == 0) {
                    copy_field(out->access_key_id, sizeof out->access_key_id, v, vn);
                    key = vn > 0;
                } else if (kn == 21 && memcmp(k, "aws_secret_access_key", 21) == 0) {
                    copy_field(out->secret_access_key, sizeof out->secret_access_key, v, vn);
                    secret = vn > 0;
                } else if (kn == 17 && memcmp(k, "aws_session_token", 17) == 0) {
                    copy_field(out->session_token, sizeof out->session_token, v, vn);
                }
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    if (!key || !secret) {
        wipe(out, sizeof *out);
        return -1;
    }
    return 0;
}

static char *read_small_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    sl_buf b = {0};
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0 && b.len < MAX_CREDENTIALS_FILE)
        sl_buf_append(&b, tmp, n);
    fclose(f);
    sl_buf_putc(&b, 0);
    return b.p;
}

static int from_shared_file(const sl_aws_provider *p, sl_aws_creds *out)
{
    const char *profile = p->cfg_profile ? p->cfg_profile : getenv("AWS_PROFILE");
    if (!profile || !*profile)
        profile = "default";
    const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE");
    char path[4096];
    if (!file || !*file) {
        const char *home = getenv("HOME");
        if (!home)
            return -1;
        snprintf(path, sizeof path, "%s/.aws/credentials", home);
        file = path;
    }
    char *text = read_small_file(file);
    if (!text)
        return -1;
    int rc = sl_aws_parse_credentials_file(text, profile, out);
    wipe(text, strlen(text));
    free(text);
    if (rc == 0)
        snprintf(out->source, sizeof out->source, "shared credentials file (profile %s)",
                 profile);
    return rc;
}

/* ---- IMDSv2 ---------------------------------------------------------------- */

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
    sl_buf *b = ud;
    size_t n = size * nmemb;
    if (b->len + n > 64 * 1024)
        return 0;                   /* no metadata document is this large */
    sl_buf_append(b, ptr, n);
    return n;
}

/* One request to the metadata service; 0 with the body on HTTP 200. */
static int imds_request(CURL *h, const char *url, bool put, struct curl_slist *hdrs,
                        sl_buf *body, char *err, size_t errlen)
{
    sl_buf_reset(body);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, put ? "PUT" : NULL);
    curl_easy_setopt(h, CURLOPT_HTTPGET, put ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "instance metadata service %s: %s", url, curl_easy_strerror(rc));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        snprintf(err, errlen, "instance metadata service %s: HTTP %ld", url, status);
        return -1;
    }
    sl_buf_putc(body, 0);
    body->len--;
    return 0;
}

int sl_aws_parse_imds_document(const char *json, sl_aws_creds *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *doc = json_loads(json, 0, &je);
    if (!doc || !json_is_object(doc)) {
        snprintf(err, errlen, "instance metadata credentials are not a JSON object");
        json_decref(doc);
        return -1;
    }
    const char *code = json_string_value(json_object_get(doc, "Code"));
    const char *key = json_string_value(json_object_get(doc, "AccessKeyId"));
    const char *secret = json_string_value(json_object_get(doc, "SecretAccessKey"));
    const char *token = json_string_value(json_object_get(doc, "Token"));
    const char *exp = json_string_value(json_object_get(doc, "Expiration"));
    int rc = -1;
    if (code && strcmp(code, "Success") != 0) {
        snprintf(err, errlen, "instance metadata credentials: Code %.40s", code);
    } else if (!key || !secret || !*key || !*secret) {
        snprintf(err, errlen, "instance metadata credentials lack AccessKeyId/SecretAccessKey");
    } else {
        copy_field(out->access_key_id, sizeof out->access_key_id, key, strlen(key));
        copy_field(out->secret_access_key, sizeof out->secret_access_key, secret,
                   strlen(secret));
        if (token)
            copy_field(out->session_token, sizeof out->session_token, token, strlen(token));
        struct tm tm = {0};
        if (exp && strptime(exp, "%Y-%m-%dT%H:%M:%S", &tm)) {   /* then "Z" */
            out->expires = (int64_t)timegm(&tm);
        } else {
            out->expires = (int64_t)time(NULL) + 3600;  /* no expiry given: look again */
        }
        rc = 0;
    }
    json_decref(doc);
    return rc;
}

static int from_imds(sl_aws_creds *out, char *err, size_t errlen)
{
    const char *disabled = getenv("AWS_EC2_METADATA_DISABLED");
    if (disabled && strcasecmp(disabled, "true") == 0) {
        snprintf(err, errlen, "instance metadata service disabled (AWS_EC2_METADATA_DISABLED)");
        return -1;
    }
    const char *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!base || !*base)
        base = "http://169.254.169.254";
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "cannot create a libcurl handle");
        return -1;
    }
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 3000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");     /* never through a proxy */
    sl_buf body = {0};
    char url[1024], hdr[1200];
    struct curl_slist *hdrs = curl_slist_append(NULL, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
    int rc = -1;
    snprintf(url, sizeof url, "%.*s/latest/api/token", (int)bl, base);
    if (imds_request(h, url, true, hdrs, &body, err, errlen) != 0)
        goto out;
    snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token: %.1024s", body.p);
    curl_slist_free_all(hdrs);
    hdrs = curl_slist_append(NULL, hdr);
    snprintf(url, sizeof url, "%.*s/latest/meta-data/iam/security-credentials/", (int)bl, base);
    if (imds_request(h, url, false, hdrs, &body, err, errlen) != 0)
        goto out;
    char role[256];
    size_t rn = strcspn(body.p, "\r\n");
    if (rn == 0 || rn >= sizeof role || strchr(body.p, '/')) {
        snprintf(err, errlen, "instance metadata service: no IAM role attached");
        goto out;
    }
    memcpy(role, body.p, rn);
    role[rn] = 0;
    snprintf(url, sizeof url, "%.*s/latest/meta-data/iam/security-credentials/%s", (int)bl,
             base, role);
    if (imds_request(h, url, false, hdrs, &body, err, errlen) != 0)
        goto out;
    if (sl_aws_parse_imds_document(body.p, out, err, errlen) != 0)
        goto out;
    snprintf(out->source, sizeof out->source, "instance metadata (role %.60s)", role);
    rc = 0;
out:
    if (body.p)
        wipe(body.p, body.len);
    sl_buf_free(&body);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}

/* ---- the chain -------------------------------------------------------------- */

static int resolve(sl_aws_provider *p, sl_aws_creds *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (p->cfg_key && p->cfg_secret) {
        copy_field(c->access_key_id, sizeof c->access_key_id, p->cfg_key, strlen(p->cfg_key));
        copy_field(c->secret_access_key, sizeof c->secret_access_key, p->cfg_secret,
                   strlen(p->cfg_secret));
        if (p->cfg_token)
            copy_field(c->session_token, sizeof c->session_token, p->cfg_token,
                       strlen(p->cfg_token));
        snprintf(c->source, sizeof c->source, "the configuration");
        return 0;
    }
    const char *ek = getenv("AWS_ACCESS_KEY_ID"), *es = getenv("AWS_SECRET_ACCESS_KEY");
    if (ek && es && *ek && *es) {
        const char *et = getenv("AWS_SESSION_TOKEN");
        copy_field(c->access_key_id, sizeof c->access_key_id, ek, strlen(ek));
        copy_field(c->secret_access_key, sizeof c->secret_access_key, es, strlen(es));
        if (et)
            copy_field(c->session_token, sizeof c->session_token, et, strlen(et));
        snprintf(c->source, sizeof c->source, "the environment");
        return 0;
    }
    if (from_shared_file(p, c) == 0)
        return 0;
    char why[300];
    if (from_imds(c, why, sizeof why) == 0)
        return 0;
    snprintf(err, errlen,
             "no AWS credentials: none in the configuration (access_key_id/"
             "secret_access_key), the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), "
             "or the shared credentials file; %s",
             why);
    return -1;
}

int sl_aws_provider_get(sl_aws_provider *p, sl_aws_creds *out, char *err, size_t errlen)
{
    int64_t now = (int64_t)time(NULL);
    /* refresh 5 minutes before expiry, or a quarter of the lifetime for
     * short-lived credentials */
    int64_t margin = REFRESH_BEFORE_S;
    if (p->cur.expires && (p->cur.expires - p->obtained) / 4 < margin)
        margin = (p->cur.expires - p->obtained) / 4;
    bool fresh = p->have && (p->cur.expires == 0 || p->cur.expires - now > margin);
    if (!fresh) {
        sl_aws_creds c;
        if (resolve(p, &c, err, errlen) != 0) {
            wipe(&c, sizeof c);
            if (p->have && (p->cur.expires == 0 || p->cur.expires > now)) {
                *out = p->cur;      /* keep using them until they expire */
                return 0;
            }
            return -1;
        }
        bool changed = !p->have || strcmp(c.access_key_id, p->cur.access_key_id) != 0;
        p->cur = c;
        p->obtained = now;
        p->have = true;
        wipe(&c, sizeof c);
        if (changed)
            sl_info("s3", "AWS credentials from %s (key id %.4s...)%s", p->cur.source,
                    p->cur.access_key_id, p->cur.expires ? ", temporary" : "");
    }
    *out = p->cur;
    return 0;
}
