/* tzif.c: a TZif reader (RFC 8536): the version 2+ 64-bit data when present
 * (else version 1), plus the footer's POSIX TZ rule of the form
 * STDoff[DST[off],Mm.w.d[/time],Mm.w.d[/time]] for times after the last
 * transition. Other rule forms (Jn, n) fall back to the last transition's
 * offset. */
#include "util/tzif.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

typedef struct {
    unsigned m, w, d;
    int32_t time;           /* seconds after local midnight */
} tz_date;

struct sl_tz {
    int64_t *trans;         /* transition times */
    int32_t *trans_off;     /* offset from each transition on */
    size_t n;
    int32_t first_off;      /* before the first transition */
    bool has_rule;
    int32_t std_off, dst_off;
    bool rule_dst;          /* the rule has a DST part */
    tz_date start, end;
};

static int64_t be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    if (bytes == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t floordiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static int64_t year_of(int64_t t)
{
    int64_t z = floordiv(t, 86400) + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return yoe + era * 400 + (m <= 2);
}

/* Local seconds (as if UTC) of a rule date in year y. */
static int64_t rule_local(const tz_date *r, int64_t y)
{
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t first = sl_days_from_civil(y, r->m, 1);
    int64_t wd = ((first + 4) % 7 + 7) % 7;             /* 1970-01-01 was a Thursday */
    int64_t day = 1 + ((int64_t)r->d - wd + 7) % 7 + 7 * ((int64_t)r->w - 1);
    unsigned ml = mdays[r->m - 1] +
                  (r->m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    while (day > ml)
        day -= 7;
    return (first + day - 1) * 86400 + r->time;
}

static int32_t rule_offset(const sl_tz *tz, int64_t t)
{
    if (!tz->rule_dst)
        return tz->std_off;
    int64_t y = year_of(t + tz->std_off);
    int64_t start = rule_local(&tz->start, y) - tz->std_off;
    int64_t end = rule_local(&tz->end, y) - tz->dst_off;
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? tz->dst_off : tz->std_off;
}

int32_t sl_tz_offset_at(const sl_tz *tz, int64_t t)
{
    if (tz->n == 0 || t < tz->trans[0])
        return tz->n == 0 && tz->has_rule ? rule_offset(tz, t) : tz->first_off;
    if (t >= tz->trans[tz->n - 1] && tz->has_rule)
        return rule_offset(tz, t);
    size_t lo = 0, hi = tz->n;          /* last transition <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->trans_off[lo];
}

int64_t sl_tz_local_to_utc(const sl_tz *tz, int64_t local)
{
    int32_t before = sl_tz_offset_at(tz, local - 86400);
    int32_t after = sl_tz_offset_at(tz, local + 86400);
    int64_t ta = local - before, tb = local - after;
    bool va = sl_tz_offset_at(tz, ta) == before, vb = sl_tz_offset_at(tz, tb) == after;
    if (va && vb)
        return ta < tb ? ta : tb;
    if (vb)
        return tb;
    if (va)
        return ta;
    return ta;                          /* in a gap: the offset before it */
}

/* ---- footer rule -------------------------------------------------------- */

static bool rule_name(const char **s)
{
    const char *p = *s;
    if (*p == '<') {
        while (*p && *p != '>')
            p++;
        if (*p != '>')
            return false;
        *s = p + 1;
        return true;
    }
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    if (p - *s < 3)
        return false;
    *s = p;
    return true;
}

/* [+-]hh[:mm[:ss]] in seconds. */
static bool rule_time(const char **s, int32_t *out)
{
    const char *p = *s;
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    long part[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (*p < '0' || *p > '9')
            return false;
        char *end;
        part[i] = strtol(p, &end, 10);
        if (part[i] > (i ? 59 : 167))   /* POSIX: hours up to 167 */
            return false;
        p = end;
        if (*p != ':')
            break;
        p++;
    }
    *out = (int32_t)(sign * (part[0] * 3600 + part[1] * 60 + part[2]));
    *s = p;
    return true;
}

static bool rule_date(const char **s, tz_date *r)
{
    const char *p = *s;
    if (*p++ != 'M')
        return false;
    char *end;
    r->m = (unsigned)strtoul(p, &end, 10);
    if (*end != '.')
        return false;
    r->w = (unsigned)strtoul(end + 1, &end, 10);
    if (*end != '.')
        return false;
    r->d = (unsigned)strtoul(end + 1, &end, 10);
    p = end;
    if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d > 6)
        return false;
    r->time = 7200;
    if (*p == '/') {
        p++;
        if (!rule_time(&p, &r->time))
            return false;
    }
    *s = p;
    return true;
}

static void parse_rule(sl_tz *tz, const char *s)
{
    int32_t off;
    if (!rule_name(&s) || !rule_time(&s, &off))
        return;
    tz->std_off = -off;                 /* POSIX offsets are west-positive */
    if (!*s) {
        tz->has_rule = true;
        return;
    }
    if (!rule_name(&s))
        return;
    tz->dst_off = tz->std_off + 3600;
    if (*s != ',') {
        if (!rule_time(&s, &off))
            return;
        tz->dst_off = -off;
    }
    if (*s++ != ',' || !rule_date(&s, &tz->start) || *s++ != ',' ||
        !rule_date(&s, &tz->end) || *s)
        return;
    tz->rule_dst = tz->has_rule = true;
}

/* ---- TZif --------------------------------------------------------------- */

#define TZERR(...) (snprintf(err, errcap, __VA_ARGS__), sl_tz_free(tz), (sl_tz *)NULL)

sl_tz *sl_tz_parse(const unsigned char *p, size_t n, char *err, size_t errcap)
{
    sl_tz *tz = NULL;
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return TZERR("not a TZif file");
    int version = p[4] ? p[4] - '0' : 1;
    const unsigned char *h = p;
    size_t tsize = 4;
    for (int pass = 0;; pass++) {
        if ((size_t)(h - p) + 44 > n || memcmp(h, "TZif", 4) != 0)
            return TZERR("truncated TZif header");
        uint64_t isutcnt = (uint32_t)be(h + 20, 4), isstdcnt = (uint32_t)be(h + 24, 4),
                 leapcnt = (uint32_t)be(h + 28, 4), timecnt = (uint32_t)be(h + 32, 4),
                 typecnt = (uint32_t)be(h + 36, 4), charcnt = (uint32_t)be(h + 40, 4);
        uint64_t len = timecnt * tsize + timecnt + typecnt * 6 + charcnt +
                       leapcnt * (tsize + 4) + isstdcnt + isutcnt;
        if (typecnt == 0 || len > n - (size_t)(h - p) - 44)
            return TZERR("truncated or inconsistent TZif data");
        if (pass == 0 && version >= 2) {
            h += 44 + len;              /* skip the v1 block */
            tsize = 8;
            continue;
        }
        const unsigned char *d = h + 44;
        const unsigned char *idx = d + timecnt * tsize, *types = idx + timecnt;
        tz = sl_calloc(1, sizeof *tz);
        tz->n = timecnt;
        tz->trans = sl_calloc(timecnt ? timecnt : 1, sizeof *tz->trans);
        tz->trans_off = sl_calloc(timecnt ? timecnt : 1, sizeof *tz->trans_off);
        for (size_t i = 0; i < timecnt; i++) {
            if (idx[i] >= typecnt)
                return TZERR("bad type index in TZif data");
            tz->trans[i] = be(d + i * tsize, (int)tsize);
            tz->trans_off[i] = (int32_t)be(types + idx[i] * 6, 4);
            if (i && tz->trans[i] <= tz->trans[i - 1])
                return TZERR("TZif transitions out of order");
        }
        /* before the first transition: the first standard-time type */
        tz->first_off = (int32_t)be(types, 4);
        for (size_t i = 0; i < typecnt; i++) {
            if (!types[i * 6 + 4]) {
                tz->first_off = (int32_t)be(types + i * 6, 4);
                break;
            }
        }
        if (version >= 2) {
            const unsigned char *f = h + 44 + len, *e = p + n;
            if (f < e && *f == '\n') {
                const unsigned char *nl = memchr(f + 1, '\n', (size_t)(e - f - 1));
                if (nl && nl - f - 1 < 128) {
                    char rule[128];
                    memcpy(rule, f + 1, (size_t)(nl - f - 1));
                    rule[nl - f - 1] = 0;
                    parse_rule(tz, rule);
                }
            }
        }
        return tz;
    }
}

sl_tz *sl_tz_load(const char *dir, const char *name, char *err, size_t errcap)
{
    if (!name[0] || name[0] == '/' || strstr(name, "..")) {
        snprintf(err, errcap, "\"%s\" is not a time zone name", name);
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "/usr/share/zoneinfo", name);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errcap, "unknown time zone \"%s\" (%s: %s)", name, path, strerror(errno));
        return NULL;
    }
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            if (cap >= (1u << 20))
                break;                  /* no zone file is this big */
            cap = cap ? cap * 2 : 4096;
            buf = sl_realloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n, fp);
        if (r == 0)
            break;
        n += r;
    }
    fclose(fp);
    char why[160];
    sl_tz *tz = sl_tz_parse(buf, n, why, sizeof why);
    free(buf);
    if (!tz)
        snprintf(err, errcap, "time zone \"%s\": %s", name, why);
    return tz;
}

void sl_tz_free(sl_tz *tz)
{
    if (!tz)
        return;
    free(tz->trans);
    free(tz->trans_off);
    free(tz);
}
