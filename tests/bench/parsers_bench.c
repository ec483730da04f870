/* parsers_bench.c: micro-benchmarks of sluice's parsers (issue 7), linked
 * against build/libsluice.a.
 *
 *   parsers_bench NGINX_FILE SYSLOG_FILE [SECONDS]
 *
 * NGINX_FILE holds nginx `combined` lines and SYSLOG_FILE the same with an
 * RFC 3164 header (tests/tools/gen_nginx, with and without --syslog). From
 * the nginx lines it derives a JSON corpus (one object of the parsed
 * fields a line), a logfmt corpus (the same as key=value pairs) and the
 * time strings for the timestamp handler. Each case runs on one thread
 * over its corpus, again and again for about SECONDS (default 1) of that
 * thread's CPU time, and prints events per second of CPU (one core) and
 * nanoseconds per event.
 *
 * Two kinds of case: the bare parser functions (src/parsers/: what a
 * parse costs without fields), and the handlers as the workers run them
 * (tests/unit/handler_harness.h: options from YAML, create, process on
 * events of a chunk, so setting fields in the chunk's arena is included).
 * Handler cases make a chunk per 1,024 events and discard it; the
 * "baseline" line is that alone (no handler), to subtract if wanted.
 * Nothing here is a test: no figure is checked against anything. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handler_harness.h"
#include "parsers/kv.h"
#include "parsers/nginx_log.h"
#include "parsers/syslog.h"

extern const sl_plugin sl_handler_parse_syslog, sl_handler_parse_nginx, sl_handler_parse_json,
    sl_handler_parse_kv, sl_handler_parse_regex, sl_handler_timestamp;

typedef struct {
    const char **p;
    size_t *n;
    size_t count, cap;
    size_t bytes;
} corpus;

static void corpus_add(corpus *c, const char *p, size_t n)
{
    if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->p = realloc(c->p, c->cap * sizeof *c->p);
        c->n = realloc(c->n, c->cap * sizeof *c->n);
        if (!c->p || !c->n)
            abort();
    }
    c->p[c->count] = p;
    c->n[c->count++] = n;
    c->bytes += n;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(2);
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

static void corpus_lines(corpus *c, char *buf, size_t len)
{
    char *p = buf, *e = buf + len;
    while (p < e) {
        char *nl = memchr(p, '\n', (size_t)(e - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);
        if (n)
            corpus_add(c, p, n);
        p += n + 1;
    }
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double seconds = 1.0;

static void report(const char *name, const corpus *c, uint64_t events, uint64_t bytes, double cpu,
                   uint64_t failed)
{
    printf("  %-34s %12.0f   %8.1f   %8.1f", name, (double)events / cpu, cpu * 1e9 / (double)events,
           (double)bytes / cpu / (1024.0 * 1024.0));
    if (failed)
        printf("   (%llu of %llu events failed to parse!)", (unsigned long long)failed,
               (unsigned long long)events);
    (void)c;
    printf("\n");
}

/* ---- bare parsers ---- */

static volatile uint64_t sink;

static void bench_syslog_bare(const corpus *c)
{
    uint64_t events = 0, bytes = 0, failed = 0;
    double t0 = cpu_now(), t;
    int64_t now = (int64_t)time(NULL);
    do {
        for (size_t i = 0; i < c->count; i++) {
            sl_syslog_msg m;
            if (!sl_syslog_parse(c->p[i], c->n[i], now, 0, &m) || m.error)
                failed++;
            sink += m.message.len;
        }
        events += c->count;
        bytes += c->bytes;
    } while ((t = cpu_now() - t0) < seconds);
    report("sl_syslog_parse (RFC 3164)", c, events, bytes, t, failed);
}

static void bench_nginx_bare(const corpus *c)
{
    sl_ngx_format f;
    char err[256];
    if (!sl_ngx_compile(&f, "combined", err, sizeof err)) {
        fprintf(stderr, "parsers_bench: %s\n", err);
        exit(2);
    }
    uint64_t events = 0, bytes = 0, failed = 0;
    double t0 = cpu_now(), t;
    do {
        for (size_t i = 0; i < c->count; i++) {
            sl_ngx_span out[SL_NGX_MAX_VARS];
            size_t where;
            if (sl_ngx_match(&f, c->p[i], c->n[i], out, &where))
                failed++;
            sink += out[0].n;
        }
        events += c->count;
        bytes += c->bytes;
    } while ((t = cpu_now() - t0) < seconds);
    report("sl_ngx_match (combined)", c, events, bytes, t, failed);
    sl_ngx_free(&f);
}

static void bench_kv_bare(const corpus *c)
{
    uint64_t events = 0, bytes = 0, failed = 0;
    double t0 = cpu_now(), t;
    do {
        for (size_t i = 0; i < c->count; i++) {
            sl_kv_iter it;
            sl_kv_pair kp;
            const char *why;
            int r;
            sl_kv_init(&it, c->p[i], c->n[i], '=');
            while ((r = sl_kv_next(&it, &kp, &why)) == 1)
                sink += kp.key_len;
            if (r < 0)
                failed++;
        }
        events += c->count;
        bytes += c->bytes;
    } while ((t = cpu_now() - t0) < seconds);
    report("sl_kv_next (logfmt)", c, events, bytes, t, failed);
}

static void bench_time_bare(const corpus *c)
{
    uint64_t events = 0, bytes = 0, failed = 0;
    double t0 = cpu_now(), t;
    do {
        for (size_t i = 0; i < c->count; i++) {
            int64_t ns;
            if (!sl_ngx_time_local(c->p[i], c->n[i], &ns))
                failed++;
            sink += (uint64_t)ns;
        }
        events += c->count;
        bytes += c->bytes;
    } while ((t = cpu_now() - t0) < seconds);
    report("sl_ngx_time_local", c, events, bytes, t, failed);
}

/* ---- handlers ---- */

/* Run handler p (NULL: baseline) with options yaml over the corpus; when
 * field is set, each event gets the line as that string field instead of
 * as its message. */
static void bench_handler(const char *name, const sl_plugin *p, const char *yaml, const corpus *c,
                          const char *field)
{
    hh h;
    if (p && !hh_open(&h, p, yaml)) {
        fprintf(stderr, "parsers_bench: %s: %s\n", name, h.diag);
        exit(2);
    }
    uint64_t events = 0, bytes = 0, failed = 0;
    double t0 = cpu_now(), t;
    do {
        for (size_t i = 0; i < c->count;) {
            sl_chunk *ch = sl_chunk_new(NULL, 0, NULL, NULL);
            size_t end = i + 1024 < c->count ? i + 1024 : c->count;
            for (; i < end; i++) {
                sl_event *ev;
                if (field) {
                    ev = sl_chunk_add_event(ch, "x", 1, 0);
                    sl_event_set_string(ev, field, c->p[i], c->n[i]);
                } else {
                    ev = sl_chunk_add_event(ch, c->p[i], c->n[i], 0);
                }
                if (p) {
                    const char *err;
                    if (hh_run(&h, ev, &err) != SL_HANDLER_PASS)
                        failed++;
                }
            }
            sl_chunk_discard(ch);
        }
        events += c->count;
        bytes += c->bytes;
    } while ((t = cpu_now() - t0) < seconds);
    report(name, c, events, bytes, t, failed);
    if (p)
        hh_close(&h);
}

/* ---- derived corpora ---- */

static size_t put_json_str(char *o, const char *p, size_t n)
{
    size_t k = 0;
    o[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\\')
            o[k++] = '\\';
        o[k++] = p[i];
    }
    o[k++] = '"';
    return k;
}

/* From each nginx line: a JSON object, a logfmt line and its $time_local. */
static void derive(const corpus *ngx, corpus *json, corpus *kv, corpus *tl)
{
    sl_ngx_format f;
    char err[256];
    if (!sl_ngx_compile(&f, "combined", err, sizeof err))
        exit(2);
    for (size_t i = 0; i < ngx->count; i++) {
        sl_ngx_span s[SL_NGX_MAX_VARS];
        size_t where;
        if (sl_ngx_match(&f, ngx->p[i], ngx->n[i], s, &where))
            continue;
        char *j = malloc(4 * ngx->n[i] + 512), *k = malloc(4 * ngx->n[i] + 512);
        if (!j || !k)
            abort();
        size_t jn = 0, kn = 0;
        j[jn++] = '{';
        for (size_t v = 0; v < f.n; v++) {
            const sl_ngx_item *it = &f.items[v];
            if (v) {
                j[jn++] = ',';
                k[kn++] = ' ';
            }
            jn += put_json_str(j + jn, it->name, it->name_len);
            j[jn++] = ':';
            memcpy(k + kn, it->name, it->name_len);
            kn += it->name_len;
            k[kn++] = '=';
            if (it->kind == SL_NGX_INT) {
                memcpy(j + jn, s[v].p, s[v].n);
                jn += s[v].n;
                memcpy(k + kn, s[v].p, s[v].n);
                kn += s[v].n;
            } else {
                jn += put_json_str(j + jn, s[v].p, s[v].n);
                kn += put_json_str(k + kn, s[v].p, s[v].n);
            }
            if (it->kind == SL_NGX_TIME_LOCAL)
                corpus_add(tl, s[v].p, s[v].n);
        }
        j[jn++] = '}';
        corpus_add(json, j, jn);
        corpus_add(kv, k, kn);
    }
    sl_ngx_free(&f);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: parsers_bench NGINX_FILE SYSLOG_FILE [SECONDS]\n");
        return 2;
    }
    if (argc > 3)
        seconds = atof(argv[3]);
    size_t nlen, slen;
    char *nbuf = slurp(argv[1], &nlen), *sbuf = slurp(argv[2], &slen);
    corpus ngx = {0}, sys = {0}, json = {0}, kv = {0}, tl = {0};
    corpus_lines(&ngx, nbuf, nlen);
    corpus_lines(&sys, sbuf, slen);
    derive(&ngx, &json, &kv, &tl);

    printf("parsers_bench: %zu nginx lines (%.0f bytes each on average), %zu syslog lines; "
           "one thread, ~%.1f s of CPU per case\n",
           ngx.count, (double)ngx.bytes / (double)ngx.count, sys.count, seconds);
    printf("  %-34s %12s   %8s   %8s\n", "case", "events/s", "ns/event", "MiB/s");
    printf("bare parsers (no fields set)\n");
    bench_syslog_bare(&sys);
    bench_nginx_bare(&ngx);
    bench_kv_bare(&kv);
    bench_time_bare(&tl);
    printf("handlers (fields set in the chunk's arena, as in a worker)\n");
    bench_handler("baseline: chunk + events, no handler", NULL, NULL, &ngx, NULL);
    bench_handler("parse_syslog", &sl_handler_parse_syslog, "", &sys, NULL);
    bench_handler("parse_nginx (combined)", &sl_handler_parse_nginx, "", &ngx, NULL);
    bench_handler("parse_json", &sl_handler_parse_json, "", &json, NULL);
    bench_handler("parse_kv", &sl_handler_parse_kv, "", &kv, NULL);
    bench_handler("parse_regex (combined, 9 groups)", &sl_handler_parse_regex,
                  "{ pattern: '^(?<remote_addr>\\S+) \\S+ (?<remote_user>\\S+) "
                  "\\[(?<time_local>[^\\]]+)\\] \"(?<method>\\S+) (?<path>[^ ?\"]+)\\?\?(?<query>\\S*) "
                  "[^\"]*\" (?<status>\\d+) (?<bytes>\\d+) \"(?<referer>[^\"]*)\" \"(?<agent>[^\"]*)\"', "
                  "types: { status: int, bytes: int } }",
                  &ngx, NULL);
    bench_handler("timestamp (%d/%b/%Y:%H:%M:%S %z)", &sl_handler_timestamp,
                  "{ field: t, format: '%d/%b/%Y:%H:%M:%S %z' }", &tl, "t");
    for (size_t i = 0; i < json.count; i++) {
        free((void *)json.p[i]);
        free((void *)kv.p[i]);
    }
    free(ngx.p), free(ngx.n), free(sys.p), free(sys.n), free(json.p), free(json.n);
    free(kv.p), free(kv.n), free(tl.p), free(tl.n);
    free(nbuf), free(sbuf);
    return 0;
}
