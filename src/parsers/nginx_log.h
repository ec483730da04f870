/* nginx_log.h: nginx access-log lines described by a log_format string.
 * The format is compiled once into a sequence of literal separators and
 * variables; a line is then matched by finding each separator in turn (no
 * regex, no allocation, no copy: spans point into the line). Helpers
 * decode what nginx writes: \xHH escapes, $time_local, $time_iso8601,
 * numbers and the request line. A pure library: never reads past the given
 * length; the input may hold any bytes. */
#ifndef SLUICE_PARSERS_NGINX_LOG_H
#define SLUICE_PARSERS_NGINX_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most variables in one format. */
#define SL_NGX_MAX_VARS 64

typedef enum {
    SL_NGX_STRING,
    SL_NGX_INT,         /* $status, $body_bytes_sent, ... */
    SL_NGX_FLOAT,       /* $request_time, $upstream_response_time, ... */
    SL_NGX_TIME_LOCAL,  /* "10/Oct/2000:13:55:36 -0700" */
    SL_NGX_TIME_ISO,    /* "2000-10-10T13:55:36-07:00" */
    SL_NGX_MSEC,        /* "1700000000.123": seconds with milliseconds */
    SL_NGX_REQUEST,     /* "GET /path?query HTTP/1.1" */
} sl_ngx_kind;

typedef struct {
    const char *lit;    /* the literal text before this variable */
    size_t lit_len;
    const char *name;   /* the variable's name without "$" (not NUL-terminated) */
    size_t name_len;
    sl_ngx_kind kind;
    bool lenient;       /* a number that may be a list ("0.1, 0.2" for
                           $upstream_*): kept as a string when not a number */
} sl_ngx_item;

typedef struct {
    char *text;         /* owned copy of the format the spans point into */
    sl_ngx_item items[SL_NGX_MAX_VARS];
    size_t n;
    const char *tail;   /* the literal after the last variable */
    size_t tail_len;
} sl_ngx_format;

typedef struct {
    const char *p;
    size_t n;
} sl_ngx_span;

/* The format string of nginx's built-in "combined" or of the "main" format
 * of nginx's example config; NULL for other names. */
const char *sl_ngx_builtin(const char *name);

/* Compile fmt (a built-in name or a log_format string). Returns true, or
 * false with a message in err[0..errcap). */
bool sl_ngx_compile(sl_ngx_format *f, const char *fmt, char *err, size_t errcap);
void sl_ngx_free(sl_ngx_format *f);

/* Split line[0..len) into one span per variable (out[0..f->n)). Returns
 * NULL, or why the line does not match (a static string; *where is then
 * the index of the variable being matched). */
const char *sl_ngx_match(const sl_ngx_format *f, const char *line, size_t len,
                         sl_ngx_span *out, size_t *where);

/* Does p[0..n) hold an nginx "\xHH" escape? */
bool sl_ngx_has_escape(const char *p, size_t n);
/* Decode \xHH escapes of p[0..n) into out (at least n bytes); other bytes
 * are copied. Returns the decoded length (<= n). */
size_t sl_ngx_unescape(const char *p, size_t n, char *out);

bool sl_ngx_parse_int(const char *p, size_t n, int64_t *out);
bool sl_ngx_parse_float(const char *p, size_t n, double *out);
/* $time_local, $time_iso8601 and $msec to unix nanoseconds. */
bool sl_ngx_time_local(const char *p, size_t n, int64_t *ns);
bool sl_ngx_time_iso8601(const char *p, size_t n, int64_t *ns);
bool sl_ngx_msec(const char *p, size_t n, int64_t *ns);

typedef struct {
    sl_ngx_span method, path, query, protocol;  /* query: after "?", n 0 if none;
                                                   protocol: n 0 for HTTP/0.9 */
} sl_ngx_request;

/* Split a request line "METHOD URI[ PROTOCOL]"; false when it does not look
 * like one (e.g. the bytes of a TLS handshake sent to a plain port). */
bool sl_ngx_split_request(const char *p, size_t n, sl_ngx_request *out);

#endif
