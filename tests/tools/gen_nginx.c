/* gen_nginx.c: generates realistic nginx `combined` access-log lines, for
 * the demo (`make run`), integration tests and benchmarks. Deterministic for
 * a given --seed; --seq puts a unique, zero-padded sequence number in every
 * request's query string (seq=NNNNNNNNN) so tests can check delivery. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng_state;

static uint64_t rnd(void)       /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

typedef struct {
    const char *s;
    unsigned weight;
} weighted;

static const char *pick(const weighted *w, size_t n)
{
    unsigned total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i].weight;
    unsigned r = below(total);
    for (size_t i = 0; i < n; i++) {
        if (r < w[i].weight)
            return w[i].s;
        r -= w[i].weight;
    }
    return w[0].s;
}

#define PICK(arr) pick(arr, sizeof(arr) / sizeof((arr)[0]))

static const weighted methods[] = {
    {"GET", 80}, {"POST", 10}, {"PUT", 3}, {"DELETE", 2}, {"HEAD", 3}, {"OPTIONS", 2},
};
static const weighted statuses[] = {
    {"200", 70}, {"201", 3}, {"204", 2}, {"301", 3}, {"302", 3}, {"304", 6}, {"400", 2},
    {"401", 2}, {"403", 1}, {"404", 5}, {"499", 1}, {"500", 1}, {"502", 1}, {"503", 1}, {"504", 1},
};
static const char *const paths[] = {
    "/", "/index.html", "/static/css/app.3f9c2a.css", "/static/js/vendor.8e1b77.js",
    "/images/logo.svg", "/favicon.ico", "/api/v1/orders", "/api/v1/orders/%u",
    "/api/v1/users/%u/profile", "/api/v1/cart/%u/items", "/api/v2/search",
    "/products/%u", "/checkout", "/login", "/healthz", "/metrics", "/robots.txt",
    "/blog/2026/11/how-we-ship-logs", "/wp-login.php", "/.env",
};
static const char *const queries[] = {
    "", "", "", "?page=%u", "?q=red+shoes&sort=price", "?utm_source=newsletter&utm_medium=email",
    "?id=%u&lang=en", "?ref=%u",
};
static const char *const referers[] = {
    "-", "-", "-", "https://shop.example.com/", "https://shop.example.com/cart",
    "https://www.google.com/", "https://duckduckgo.com/", "https://news.example.org/item?id=%u",
};
static const char *const agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "curl/8.5.0",
    "Wget/1.21.3",
    "python-requests/2.32.3",
    "Go-http-client/2.0",
    "kube-probe/1.31",
    "Prometheus/2.55.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "okhttp/4.12.0",
};
static const char *const users[] = {"-", "-", "-", "-", "-", "-", "alice", "bob", "deploy"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A printf-free formatter for the hot loop. */
typedef struct {
    char *p;
} out;

static void put(out *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o->p, s, n);
    o->p += n;
}

static void put_uint(out *o, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    while (n)
        *o->p++ = tmp[--n];
}

/* Copy a template, replacing %u with a random number. */
static void put_tpl(out *o, const char *t)
{
    for (; *t; t++) {
        if (t[0] == '%' && t[1] == 'u') {
            put_uint(o, 1 + below(99999), 1);
            t++;
        } else {
            *o->p++ = *t;
        }
    }
}

static void put_ip(out *o)
{
    if (below(10) == 0) {   /* some IPv6 from 2001:db8::/32 */
        put(o, "2001:db8:");
        static const char hx[] = "0123456789abcdef";
        for (int g = 0; g < 2; g++) {
            unsigned v = below(0x10000);
            for (int s = 12; s >= 0; s -= 4)
                *o->p++ = hx[(v >> s) & 15];
            *o->p++ = ':';
        }
        *o->p++ = ':';
        put_uint(o, 1 + below(254), 1);
        return;
    }
    static const char *const nets[] = {"192.0.2.", "198.51.100.", "203.0.113."};
    put(o, nets[below(3)]);
    put_uint(o, 1 + below(254), 1);
}

static void put_time(out *o, time_t t, bool syslog_header)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    if (syslog_header) {    /* RFC 3164: "Nov 22 15:44:43" with a space-padded day */
        put(o, months[tm.tm_mon]);
        *o->p++ = ' ';
        if (tm.tm_mday < 10)
            *o->p++ = ' ';
        put_uint(o, (uint64_t)tm.tm_mday, 1);
        *o->p++ = ' ';
    } else {                /* nginx $time_local: 22/Nov/2026:15:44:43 +0000 */
        put_uint(o, (uint64_t)tm.tm_mday, 2);
        *o->p++ = '/';
        put(o, months[tm.tm_mon]);
        *o->p++ = '/';
        put_uint(o, (uint64_t)tm.tm_year + 1900, 4);
        *o->p++ = ':';
    }
    put_uint(o, (uint64_t)tm.tm_hour, 2);
    *o->p++ = ':';
    put_uint(o, (uint64_t)tm.tm_min, 2);
    *o->p++ = ':';
    put_uint(o, (uint64_t)tm.tm_sec, 2);
    if (!syslog_header)
        put(o, " +0000");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: gen_nginx [-n LINES] [--seq] [--seq-start N] [--rate LINES_PER_S]\n"
               "                 [--syslog] [--start EPOCH] [--seed S] [-o FILE]\n"
               "Writes nginx combined access-log lines (to stdout, or appended to FILE).\n"
               "-n 0 writes forever. --seq adds seq=NNNNNNNNN to every request.\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"seq", no_argument, NULL, 's'},        {"seq-start", required_argument, NULL, 'S'},
        {"rate", required_argument, NULL, 'r'}, {"syslog", no_argument, NULL, 'y'},
        {"start", required_argument, NULL, 't'}, {"seed", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    uint64_t lines = 1000, seq_start = 0, seed = 1;
    double rate = 0;
    bool seq = false, syslog_header = false;
    time_t start = time(NULL);
    const char *outfile = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "n:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': lines = strtoull(optarg, NULL, 10); break;
        case 'o': outfile = optarg; break;
        case 's': seq = true; break;
        case 'S': seq_start = strtoull(optarg, NULL, 10); break;
        case 'r': rate = strtod(optarg, NULL); break;
        case 'y': syslog_header = true; break;
        case 't': start = (time_t)strtoll(optarg, NULL, 10); break;
        case 'e': seed = strtoull(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    rng_state = seed * 0x2545f4914f6cdd1dULL + 1;
    signal(SIGPIPE, SIG_IGN);
    FILE *f = stdout;
    if (outfile && !(f = fopen(outfile, "a"))) {
        fprintf(stderr, "gen_nginx: %s: %s\n", outfile, strerror(errno));
        return 1;
    }
    static char iobuf[1 << 16];
    setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
    char line[2048] = "";
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    time_t now = start;
    for (uint64_t i = 0; lines == 0 || i < lines; i++) {
        if (below(4) == 0)
            now += below(2);
        out o = {line};
        if (syslog_header) {
            put(&o, "<190>");
            put_time(&o, now, true);
            put(&o, " web-01 nginx: ");
        }
        put_ip(&o);
        put(&o, " - ");
        put(&o, users[below(N(users))]);
        put(&o, " [");
        put_time(&o, now, false);
        put(&o, "] \"");
        put(&o, PICK(methods));
        *o.p++ = ' ';
        put_tpl(&o, paths[below(N(paths))]);
        const char *q = queries[below(N(queries))];
        put_tpl(&o, q);
        if (seq) {
            *o.p++ = *q ? '&' : '?';
            put(&o, "seq=");
            put_uint(&o, seq_start + i, 9);
        }
        put(&o, below(5) ? " HTTP/1.1\" " : " HTTP/2.0\" ");
        const char *status = PICK(statuses);
        put(&o, status);
        *o.p++ = ' ';
        put_uint(&o, status[0] == '3' && status[2] == '4' ? 0 : 200 + below(48000), 1);
        put(&o, " \"");
        put_tpl(&o, referers[below(N(referers))]);
        put(&o, "\" \"");
        put(&o, agents[below(N(agents))]);
        put(&o, "\"\n");
        if (fwrite(line, 1, (size_t)(o.p - line), f) != (size_t)(o.p - line))
            return errno == EPIPE ? 0 : 1;
        if (rate > 0) {
            fflush(f);
            /* sleep until line i+1 is due */
            double due = (double)(i + 1) / rate;
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            double el = (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
            if (due > el) {
                double s = due - el;
                struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
    }
    if (fflush(f) != 0)
        return errno == EPIPE ? 0 : 1;
    if (f != stdout)
        fclose(f);
    return 0;
}
