/* fuzz_nginx.c: fuzz target for parse_nginx and its line parser.
 * First byte even: the rest is a line for the parse_nginx handler with one
 * of a few formats (the byte's bits pick which and where the fields go).
 * First byte odd: the rest is "FORMAT\nLINE": any format string is
 * compiled and, if valid, matched against the line, and every helper runs
 * over every span. Invariants: spans lie inside the line, in order; the
 * handler either passes with fields or fails with a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/handler_harness.h"
#include "parsers/nginx_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const sl_plugin sl_handler_parse_nginx;

static const char *const configs[] = {
    "",
    "{ format: main, target: n, dash: keep }",
    ("{ format: '$remote_addr [$time_iso8601] \"$request\" $status $bytes_sent $request_time "
     "$upstream_response_time $msec \"$http_user_agent\"', dash: empty }"),
    "{ format: '$msec|$status|$request|$request_length|$upstream_status', split_request: false }",
};
#define NCONF (sizeof configs / sizeof configs[0])
static hh handlers[NCONF];
static bool opened;

static void fuzz_handler(const uint8_t *data, size_t size, unsigned which)
{
    if (!opened) {
        for (size_t i = 0; i < NCONF; i++)
            if (!hh_open(&handlers[i], &sl_handler_parse_nginx, configs[i]))
                abort();
        opened = true;
    }
    sl_chunk *c = sl_chunk_new(NULL, size, NULL, NULL);
    if (size)
        memcpy(c->data, data, size);
    sl_event *ev = sl_chunk_add_event(c, c->data, size, 0);
    const char *err = NULL;
    sl_handler_result r = hh_run(&handlers[which % NCONF], ev, &err);
    if (r == SL_HANDLER_ERROR && (!err || !*err))
        abort();
    if (r == SL_HANDLER_PASS && ev->fields.n == 0)
        abort();
    sl_chunk_discard(c);
}

static void fuzz_format(const char *p, size_t n)
{
    const char *nl = memchr(p, '\n', n);
    if (!nl)
        return;
    size_t fl = (size_t)(nl - p);
    char *fmt = malloc(fl + 1);
    memcpy(fmt, p, fl);
    fmt[fl] = '\0';
    if (strlen(fmt) != fl) {     /* a NUL in the format: not a C string */
        free(fmt);
        return;
    }
    sl_ngx_format f;
    char err[256];
    if (sl_ngx_compile(&f, fmt, err, sizeof err)) {
        const char *line = nl + 1;
        size_t len = n - fl - 1;
        sl_ngx_span sp[SL_NGX_MAX_VARS];
        size_t where;
        if (!sl_ngx_match(&f, line, len, sp, &where)) {
            const char *prev = line;
            for (size_t i = 0; i < f.n; i++) {
                if (sp[i].p < prev || sp[i].p + sp[i].n > line + len)
                    abort();
                prev = sp[i].p + sp[i].n;
                char *out = malloc(sp[i].n + 1);
                if (sl_ngx_unescape(sp[i].p, sp[i].n, out) > sp[i].n)
                    abort();
                free(out);
                int64_t ns, iv;
                double d;
                sl_ngx_request r;
                (void)sl_ngx_time_local(sp[i].p, sp[i].n, &ns);
                (void)sl_ngx_time_iso8601(sp[i].p, sp[i].n, &ns);
                (void)sl_ngx_msec(sp[i].p, sp[i].n, &ns);
                (void)sl_ngx_parse_int(sp[i].p, sp[i].n, &iv);
                (void)sl_ngx_parse_float(sp[i].p, sp[i].n, &d);
                if (sl_ngx_split_request(sp[i].p, sp[i].n, &r) &&
                    (r.path.p < sp[i].p || r.path.p + r.path.n > sp[i].p + sp[i].n))
                    abort();
            }
        } else if (where >= f.n) {
            abort();
        }
        sl_ngx_free(&f);
    }
    free(fmt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        fuzz_format((const char *)data + 1, size - 1);
    else
        fuzz_handler(data + 1, size - 1, data[0] >> 1);
    return 0;
}
