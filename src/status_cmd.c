/* status_cmd.c: `sluice status` (see the header). libcurl fetches
 * /status, jansson reads it. */
#include "status_cmd.h"

#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dest/curl_api.h"
#include "pipeline_config.h"
#include "util/buf.h"
#include "util/xalloc.h"

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    sl_buf *b = ud;
    if (b->len + size * n > (8u << 20))
        return 0;               /* a status document is small: refuse a flood */
    sl_buf_append(b, p, size * n);
    return size * n;
}

static json_t *fetch(const char *admin, char *err, size_t errlen)
{
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "cannot initialise libcurl");
        return NULL;
    }
    char url[300];
    snprintf(url, sizeof url, "http://%s/status", admin);
    sl_buf body = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    json_t *doc = NULL;
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s: %s (is sluice running with service.admin.listen set?)", url,
                 curl_easy_strerror(rc));
    } else if (code != 200) {
        snprintf(err, errlen, "%s: HTTP %ld", url, code);
    } else {
        json_error_t je;
        doc = json_loadb(body.p ? body.p : "", body.len, 0, &je);
        if (!doc)
            snprintf(err, errlen, "%s: not a status document: %s", url, je.text);
    }
    sl_buf_free(&body);
    return doc;
}

static unsigned long long num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (unsigned long long)json_integer_value(v)
                              : json_is_real(v) ? (unsigned long long)json_real_value(v) : 0;
}

static double real(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void human_bytes(double v, char *out, size_t n)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (v >= 1024 && i < 4) {
        v /= 1024;
        i++;
    }
    snprintf(out, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

/* The rate of `key` of the element named like `o` in the previous
 * snapshot's array `arr`, or -1 without one. */
static double rate(json_t *prev, const char *arr, json_t *o, const char *key, double dt)
{
    if (!prev || dt <= 0)
        return -1;
    json_t *a = json_object_get(prev, arr), *e;
    size_t i;
    json_array_foreach(a, i, e) {
        if (strcmp(str(e, "name"), str(o, "name")) == 0)
            return ((double)num(o, key) - (double)num(e, key)) / dt;
    }
    return -1;
}

static void print_rate(double r)
{
    if (r < 0)
        printf(" %10s", "-");
    else
        printf(" %10.0f", r);
}

static void print_table(json_t *doc, json_t *prev, double dt)
{
    json_t *q = json_object_get(doc, "queue"), *m = json_object_get(doc, "memory"), *e;
    char live[32], limit[32];
    human_bytes((double)num(m, "live_bytes"), live, sizeof live);
    human_bytes((double)num(m, "limit_bytes"), limit, sizeof limit);
    unsigned long long up = (unsigned long long)real(doc, "uptime_seconds");
    printf("sluice %s  %s  up %lluh%02llum%02llus  %llu workers  queue %llu events  memory %s "
           "of %s\n\n",
           str(doc, "version"), str(doc, "state"), up / 3600, up / 60 % 60, up % 60,
           num(doc, "workers"), num(q, "events"), live, limit);
    printf("%-20s %-8s %14s %10s  %s\n", "SOURCE", "TYPE", "EVENTS IN", "EVENTS/S", "STATE");
    size_t i;
    json_array_foreach(json_object_get(doc, "sources"), i, e) {
        printf("%-20s %-8s %14llu", str(e, "name"), str(e, "type"), num(e, "events_in"));
        print_rate(rate(prev, "sources", e, "events_in", dt));
        printf("  %s\n", json_is_true(json_object_get(e, "paused")) ? "paused (backpressure)"
                                                                   : "reading");
    }
    printf("\n%-20s %-8s %14s %10s %9s %9s %9s %8s  %s\n", "DESTINATION", "TYPE", "EVENTS OUT",
           "EVENTS/S", "FAILED", "DROPPED", "BUFFERED", "OLDEST", "STATUS");
    json_array_foreach(json_object_get(doc, "destinations"), i, e) {
        printf("%-20s %-8s %14llu", str(e, "name"), str(e, "type"), num(e, "events_out"));
        print_rate(rate(prev, "destinations", e, "events_out", dt));
        printf(" %9llu %9llu %9llu %7.1fs", num(e, "events_failed"), num(e, "events_dropped"),
               num(e, "buffer_events"), real(e, "oldest_event_age_seconds"));
        double failing = real(e, "failing_seconds");
        if (failing > 0)
            printf("  failing for %.0fs: %s\n", failing, str(e, "last_error"));
        else
            printf("  ok\n");
        json_t *disk = json_object_get(e, "disk");
        if (disk) {
            char db[32], ub[32];
            human_bytes((double)num(disk, "bytes"), db, sizeof db);
            human_bytes((double)num(disk, "unreleased_bytes"), ub, sizeof ub);
            printf("%-20s disk buffer: %s on disk, %s undelivered, %llu corrupt records%s\n", "",
                   db, ub, num(disk, "corrupt_records"),
                   json_is_true(json_object_get(disk, "blocked")) ? ", BLOCKED" : "");
        }
    }
    printf("\n%-20s %14s %14s %14s\n", "PIPELINE", "DROPPED", "HANDLER ERRS", "DEAD LETTERS");
    json_array_foreach(json_object_get(doc, "pipelines"), i, e) {
        printf("%-20s %14llu %14llu %14llu\n", str(e, "name"), num(e, "dropped"),
               num(e, "handler_errors"), num(e, "dead_lettered"));
    }
}

static volatile sig_atomic_t interrupted;
static void on_int(int sig) { (void)sig; interrupted = 1; }

static void usage(FILE *f)
{
    fprintf(f, "usage: sluice status [-c CONFIG] [--admin HOST:PORT] [--watch SECONDS]\n"
               "Show a running sluice's sources, destinations and pipelines, read from its\n"
               "admin endpoint (service.admin.listen in CONFIG, or --admin).\n");
}

int sl_status_main(int argc, char **argv, const char *default_config)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"admin", required_argument, NULL, 'a'},
        {"watch", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = default_config, *admin = NULL;
    double watch = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:a:w:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'a':
            admin = optarg;
            break;
        case 'w': {
            char *end;
            watch = strtod(optarg, &end);
            if (end == optarg || *end || !(watch > 0 && watch < 86400)) {
                fprintf(stderr, "sluice status: --watch takes seconds, e.g. 2\n");
                return 1;
            }
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    char *from_config = NULL;
    if (!admin) {
        sl_diags d = {0};
        sl_config *cfg = sl_config_load(config, &d);
        if (!cfg) {
            sl_diags_print(&d, stderr);
            sl_diags_free(&d);
            fprintf(stderr, "sluice status: cannot read %s; give --admin HOST:PORT\n", config);
            return 1;
        }
        sl_diags_free(&d);
        if (cfg->service.admin_listen && *cfg->service.admin_listen)
            from_config = sl_strdup(cfg->service.admin_listen);
        sl_config_free(cfg);
        if (!from_config) {
            fprintf(stderr, "sluice status: %s has no service.admin.listen; set it (e.g. "
                            "127.0.0.1:2020) and reload, or give --admin HOST:PORT\n", config);
            return 1;
        }
        admin = from_config;
    }
    const char *why;
    if (!sl_curl_lib_load(&why)) {
        fprintf(stderr, "sluice status: %s\n", why);
        free(from_config);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGINT, on_int);
    json_t *prev = NULL;
    struct timespec t_prev = {0};
    int rc = 0;
    for (;;) {
        char err[512];
        json_t *doc = fetch(admin, err, sizeof err);
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (!doc) {
            fprintf(stderr, "sluice status: %s\n", err);
            rc = 1;
            if (!watch)
                break;
        } else {
            double dt = prev ? (double)(t.tv_sec - t_prev.tv_sec) +
                                   (double)(t.tv_nsec - t_prev.tv_nsec) / 1e9
                             : 0;
            if (watch)
                printf("\033[H\033[2J");
            print_table(doc, prev, dt);
            fflush(stdout);
            json_decref(prev);
            prev = doc;
            t_prev = t;
            rc = 0;
        }
        if (!watch || interrupted)
            break;
        struct timespec nap = {(time_t)watch, (long)((watch - (double)(time_t)watch) * 1e9)};
        nanosleep(&nap, NULL);
        if (interrupted)
            break;
    }
    json_decref(prev);
    curl_global_cleanup();
    free(from_config);
    return rc;
}
