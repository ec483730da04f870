/* test_syslog_conformance.c: the syslog parser against the conformance
 * table in tests/data/syslog_conformance.tsv (the RFC 5424 and RFC 3164
 * examples and the variants met in the wild, one case a line, with every
 * expected field; the file's header explains its columns). Every case is
 * checked field by field and all mismatches are reported together; then
 * every prefix of every case is parsed from a buffer of exactly its size
 * (a cut message: ASan and valgrind see any read past the end) and its
 * spans must stay inside. */
#include "check_main.h"
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parsers/syslog.h"

#define NS_PER_S 1000000000LL
#define MAX_CASES 512
#define NCOLS 13
#define MIN_CASES 60

static const char *data_dir(void)
{
    const char *d = getenv("SLUICE_TEST_DATA");
    return d && *d ? d : "tests/data";
}

typedef struct {
    char *p;
    size_t n;
} bytes;

typedef struct {
    int line;
    int64_t now;
    int32_t tz;
    char *col[NCOLS];   /* raw cells, still escaped */
    bytes input;        /* decoded */
} conf_case;

static conf_case cases[MAX_CASES];
static int ncases;

/* \xHH is one byte; every other character stands for itself. */
static bytes decode(const char *s)
{
    size_t len = strlen(s);
    bytes b = {malloc(len + 1), 0};
    ck_assert_ptr_nonnull(b.p);
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x' && isxdigit((unsigned char)s[i + 2]) &&
            isxdigit((unsigned char)s[i + 3]) && sscanf(s + i + 2, "%2x", &v) == 1) {
            b.p[b.n++] = (char)v;
            i += 3;
        } else {
            b.p[b.n++] = s[i];
        }
    }
    b.p[b.n] = 0;
    return b;
}

/* "2023-11-23T12:00:00Z" or with "+hh:mm"/"-hh:mm": unix seconds. */
static int64_t parse_now(const char *s, int line)
{
    struct tm tm = {0};
    char z[16] = "";
    if (sscanf(s, "%d-%d-%dT%d:%d:%d%15s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, z) != 7 || strcmp(z, "Z") != 0)
        ck_abort_msg("line %d: bad @now \"%s\" (want YYYY-MM-DDThh:mm:ssZ)", line, s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

static int32_t parse_tz(const char *s, int line)
{
    int h, m;
    if ((s[0] != '+' && s[0] != '-') || sscanf(s + 1, "%2d:%2d", &h, &m) != 2)
        ck_abort_msg("line %d: bad @tz \"%s\" (want +hh:mm)", line, s);
    return (int32_t)((h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1));
}

static void load(void)
{
    if (ncases)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/syslog_conformance.tsv", data_dir());
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root or set "
                  "SLUICE_TEST_DATA)", path);
    char buf[8192];
    int line = 0;
    int64_t now = 0;
    int32_t tz = 0;
    bool have_now = false;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        size_t len = strlen(buf);
        ck_assert_msg(len && buf[len - 1] == '\n', "%s:%d: line too long or no LF", path, line);
        buf[--len] = 0;
        if (len == 0 || buf[0] == '#')
            continue;
        if (strncmp(buf, "@now ", 5) == 0) {
            now = parse_now(buf + 5, line);
            have_now = true;
            continue;
        }
        if (strncmp(buf, "@tz ", 4) == 0) {
            tz = parse_tz(buf + 4, line);
            continue;
        }
        ck_assert_msg(have_now, "%s:%d: a case before the first @now", path, line);
        ck_assert_msg(ncases < MAX_CASES, "too many cases");
        conf_case *c = &cases[ncases++];
        c->line = line;
        c->now = now;
        c->tz = tz;
        char *p = buf;
        for (int i = 0; i < NCOLS; i++) {
            char *tab = strchr(p, '\t');
            if (i < NCOLS - 1)
                ck_assert_msg(tab != NULL, "%s:%d: %d columns, want %d", path, line, i + 1,
                              NCOLS);
            else
                ck_assert_msg(tab == NULL, "%s:%d: more than %d columns", path, line, NCOLS);
            if (tab)
                *tab = 0;
            c->col[i] = strdup(p);
            p = tab ? tab + 1 : p;
        }
        c->input = decode(c->col[1]);
    }
    fclose(f);
}

/* ---- the parser's output rendered as the table writes it ---------------- */

typedef struct {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void fmt_int(sbuf *b, int v)
{
    char t[16];
    if (v < 0)
        sb_str(b, "-");
    else {
        snprintf(t, sizeof t, "%d", v);
        sb_str(b, t);
    }
}

static void fmt_ts(sbuf *b, const sl_syslog_msg *m)
{
    if (!m->has_timestamp) {
        sb_str(b, "-");
        return;
    }
    int64_t s = m->timestamp_ns / NS_PER_S, frac = m->timestamp_ns % NS_PER_S;
    if (frac < 0) {
        frac += NS_PER_S;
        s--;
    }
    time_t t = (time_t)s;
    struct tm tm;
    gmtime_r(&t, &tm);
    char out[64];
    size_t n = strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac) {
        n += (size_t)snprintf(out + n, sizeof out - n, ".%09lld", (long long)frac);
        while (out[n - 1] == '0')
            n--;
    }
    out[n] = 0;
    sb_str(b, out);
    sb_str(b, "Z");
}

static void fmt_span(sbuf *b, sl_syslog_span s)
{
    if (!s.ptr)
        sb_str(b, "-");
    else if (s.len == 0)
        sb_str(b, "(empty)");
    else
        sb_add(b, s.ptr, s.len);
}

/* "ID name=value name=value; ID2 ..." with the values unescaped. */
static void fmt_sd(sbuf *b, sl_syslog_span sd)
{
    if (!sd.ptr) {
        sb_str(b, "-");
        return;
    }
    sl_syslog_sd_iter it, pit;
    sl_syslog_sd_element el;
    sl_syslog_sd_param p;
    bool first = true;
    sl_syslog_sd_iter_init(&it, sd);
    while (sl_syslog_sd_next_element(&it, &el)) {
        if (!first)
            sb_str(b, "; ");
        first = false;
        sb_add(b, el.id.ptr, el.id.len);
        sl_syslog_sd_param_iter_init(&pit, &el);
        while (sl_syslog_sd_next_param(&pit, &p)) {
            sb_str(b, " ");
            sb_add(b, p.name.ptr, p.name.len);
            sb_str(b, "=");
            char *v = malloc(p.value.len + 1);
            size_t n = sl_syslog_sd_unescape(p.value, v, p.value.len);
            sb_add(b, v, n);
            free(v);
        }
    }
    if (first)
        sb_str(b, "(malformed)");
}

/* Bytes printable in a failure message: \xHH for anything else. */
static const char *show(const char *p, size_t n)
{
    static char bufs[4][4096];
    static int next;
    char *o = bufs[next++ % 4];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < sizeof bufs[0]; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 32 && c < 127)
            o[k++] = (char)c;
        else
            k += (size_t)snprintf(o + k, 5, "\\x%02x", c);
    }
    o[k] = 0;
    return o;
}

static const char *const colname[NCOLS] = {
    "name", "input", "format", "facility", "severity", "timestamp", "hostname",
    "app_name", "procid", "msgid", "sd", "message", "error",
};

START_TEST(conformance_table)
{
    load();
    ck_assert_msg(ncases >= MIN_CASES, "the table has %d cases, want at least %d", ncases,
                  MIN_CASES);
    int bad = 0;
    sbuf report = {0};
    for (int i = 0; i < ncases; i++) {
        conf_case *c = &cases[i];
        /* an exact-size copy: a read past the end is an ASan error */
        char *in = malloc(c->input.n ? c->input.n : 1);
        memcpy(in, c->input.p, c->input.n);
        sl_syslog_msg m;
        bool ok = sl_syslog_parse(in, c->input.n, c->now, c->tz, &m);
        ck_assert_msg(ok == (m.error == NULL), "line %d: return value and error disagree",
                      c->line);

        sbuf got[NCOLS] = {{0}};
        sb_str(&got[2], sl_syslog_format_name(m.format));
        fmt_int(&got[3], m.facility);
        fmt_int(&got[4], m.severity);
        fmt_ts(&got[5], &m);
        fmt_span(&got[6], m.hostname);
        fmt_span(&got[7], m.app_name);
        fmt_span(&got[8], m.procid);
        fmt_span(&got[9], m.msgid);
        fmt_sd(&got[10], m.structured_data);
        /* the whole input (an empty one may be left NULL, as the fuzz
         * target allows) */
        if (m.error && m.message.len == c->input.n && (m.message.ptr == in || !c->input.n))
            sb_str(&got[11], "*");
        else
            fmt_span(&got[11], m.message);
        sb_str(&got[12], m.error ? m.error : "-");

        for (int k = 2; k < NCOLS; k++) {
            const char *want = c->col[k];
            bool match;
            if (strcmp(want, "-") == 0 || strcmp(want, "*") == 0 || k == 12 || k <= 5)
                match = strcmp(want, got[k].p) == 0;
            else {
                bytes w = decode(want);
                match = w.n == got[k].n && memcmp(w.p, got[k].p, w.n) == 0;
                free(w.p);
            }
            if (!match) {
                char line[8192];
                snprintf(line, sizeof line, "line %d (%s): %s: want \"%s\", got \"%s\"\n",
                         c->line, c->col[0], colname[k], want, show(got[k].p, got[k].n));
                sb_str(&report, line);
                bad++;
            }
        }
        for (int k = 0; k < NCOLS; k++)
            free(got[k].p);
        free(in);
    }
    if (bad) {
        fprintf(stderr, "%s", report.p);
        ck_abort_msg("%d mismatches in %d cases (listed on stderr):\n%.3000s", bad, ncases,
                     report.p);
    }
    free(report.p);
}
END_TEST

static void assert_inside(sl_syslog_span s, const char *buf, size_t len, int line)
{
    if (!s.ptr) {
        ck_assert_uint_eq(s.len, 0);
        return;
    }
    ck_assert_msg(s.ptr >= buf && s.len <= len && (size_t)(s.ptr - buf) <= len - s.len,
                  "line %d: a span outside the input", line);
}

/* Every case cut at every length (a truncated datagram or frame). */
START_TEST(every_prefix_stays_inside)
{
    load();
    for (int i = 0; i < ncases; i++) {
        conf_case *c = &cases[i];
        for (size_t len = 0; len <= c->input.n; len++) {
            char *buf = malloc(len ? len : 1);
            memcpy(buf, c->input.p, len);
            sl_syslog_msg m;
            bool ok = sl_syslog_parse(buf, len, c->now, c->tz, &m);
            sl_syslog_span spans[] = {m.hostname, m.app_name, m.procid, m.msgid,
                                      m.structured_data, m.message};
            for (size_t k = 0; k < sizeof spans / sizeof spans[0]; k++)
                assert_inside(spans[k], buf, len, c->line);
            if (!ok)
                ck_assert_msg(m.error && m.message.len == len && (m.message.ptr == buf || !len),
                              "line %d cut at %zu: an error without the whole input",
                              c->line, len);
            sl_syslog_sd_iter it, pit;
            sl_syslog_sd_element el;
            sl_syslog_sd_param p;
            sl_syslog_sd_iter_init(&it, m.structured_data);
            while (sl_syslog_sd_next_element(&it, &el)) {
                sl_syslog_sd_param_iter_init(&pit, &el);
                while (sl_syslog_sd_next_param(&pit, &p))
                    assert_inside(p.value, buf, len, c->line);
            }
            free(buf);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("syslog_conformance");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, conformance_table);
    tcase_add_test(tc, every_prefix_stays_inside);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
