/* units.c: parsing and formatting the sizes, durations, integers and
 * booleans written in config files. */
#include "util/units.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* A non-negative decimal number as written: whole part and, after a dot,
 * a fraction kept as frac_num / frac_den (frac_den a power of ten). */
typedef struct {
    uint64_t whole;
    uint64_t frac_num, frac_den;
    bool has_fraction;
} decimal;

/* Fraction digits beyond this many are too small to matter. */
#define MAX_FRACTION_DIGITS 18

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Read "123" or "1.25" at *s (a digit is needed on both sides of the dot);
 * advance *s past it. False on a malformed number or one above UINT64_MAX. */
static bool read_decimal(const char **s, decimal *out)
{
    const char *p = *s;
    if (!is_digit(*p))
        return false;
    uint64_t whole = 0;
    for (; is_digit(*p); p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (whole > (UINT64_MAX - digit) / 10)
            return false;
        whole = whole * 10 + digit;
    }
    decimal d = {whole, 0, 1, false};
    if (*p == '.') {
        p++;
        if (!is_digit(*p))
            return false;
        d.has_fraction = true;
        for (int kept = 0; is_digit(*p); p++) {
            if (kept++ < MAX_FRACTION_DIGITS) {
                d.frac_num = d.frac_num * 10 + (uint64_t)(*p - '0');
                d.frac_den *= 10;
            }
        }
    }
    *s = p;
    *out = d;
    return true;
}

/* d * unit, rounded to the nearest integer; false if above `limit`. */
static bool scale_decimal(const decimal *d, uint64_t unit, uint64_t limit, uint64_t *out)
{
    if (unit != 0 && d->whole > limit / unit)
        return false;
    uint64_t total = d->whole * unit;
    if (d->frac_num) {
        long double part = (long double)d->frac_num * (long double)unit / (long double)d->frac_den;
        uint64_t rounded = (uint64_t)(part + 0.5L);     /* part < unit: no overflow */
        if (rounded > limit - total)
            return false;
        total += rounded;
    }
    *out = total;
    return true;
}

typedef struct {
    const char *name;
    uint64_t factor;
} unit;

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define TIB (UINT64_C(1) << 40)

static const unit size_units[] = {
    {"B", 1},
    {"kB", 1000},         {"KB", 1000},
    {"MB", 1000000},      {"GB", 1000000000},       {"TB", UINT64_C(1000000000000)},
    {"KiB", KIB},         {"MiB", MIB},             {"GiB", GIB},       {"TiB", TIB},
    {"k", KIB},           {"K", KIB},               {"M", MIB},         {"G", GIB},
};

bool sl_parse_size(const char *s, uint64_t *out)
{
    const char *p = s;
    decimal d;
    if (!read_decimal(&p, &d))
        return false;
    uint64_t factor = 0;
    if (*p == 0) {
        factor = 1;                         /* bare bytes */
    } else {
        if (*p == ' ')
            p++;
        for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++)
            if (strcmp(p, size_units[i].name) == 0)
                factor = size_units[i].factor;
    }
    if (factor == 0 || (factor == 1 && d.has_fraction))
        return false;                       /* unknown unit, or a fraction of a byte */
    return scale_decimal(&d, factor, UINT64_MAX, out);
}

#define NS_PER_US INT64_C(1000)
#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S INT64_C(1000000000)
#define NS_PER_MIN (60 * NS_PER_S)
#define NS_PER_HOUR (60 * NS_PER_MIN)
#define NS_PER_DAY (24 * NS_PER_HOUR)

static const unit duration_units[] = {
    {"ns", 1},
    {"us", NS_PER_US},
    {"\xc2\xb5s", NS_PER_US},   /* µs, MICRO SIGN */
    {"\xce\xbcs", NS_PER_US},   /* μs, GREEK SMALL LETTER MU */
    {"ms", NS_PER_MS},
    {"s", NS_PER_S},
    {"m", NS_PER_MIN},
    {"h", NS_PER_HOUR},
    {"d", NS_PER_DAY},
};

bool sl_parse_duration(const char *s, int64_t *out_ns)
{
    if (strcmp(s, "0") == 0) {
        *out_ns = 0;
        return true;
    }
    if (*s == 0)
        return false;
    uint64_t total = 0;
    const char *p = s;
    while (*p) {
        decimal d;
        if (!read_decimal(&p, &d))
            return false;
        /* The longest unit that matches, so "5ms" is not read as 5m + "s". */
        const unit *found = NULL;
        size_t found_len = 0;
        for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
            size_t len = strlen(duration_units[i].name);
            if (len > found_len && strncmp(p, duration_units[i].name, len) == 0) {
                found = &duration_units[i];
                found_len = len;
            }
        }
        if (!found)
            return false;                   /* no unit: ambiguous */
        p += found_len;
        uint64_t part;
        if (!scale_decimal(&d, found->factor, (uint64_t)INT64_MAX - total, &part))
            return false;
        total += part;
    }
    *out_ns = (int64_t)total;
    return true;
}

bool sl_parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    bool negative = false;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    if (!is_digit(*p))
        return false;
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t magnitude = 0;
    for (; is_digit(*p); p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (magnitude > (limit - digit) / 10)
            return false;
        magnitude = magnitude * 10 + digit;
    }
    if (*p)
        return false;
    if (!negative)
        *out = (int64_t)magnitude;
    else if (magnitude == (uint64_t)INT64_MAX + 1)
        *out = INT64_MIN;
    else
        *out = -(int64_t)magnitude;
    return true;
}

bool sl_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

void sl_format_duration(int64_t ns, char *buf, size_t cap)
{
    static const unit whole_units[] = {
        {"d", NS_PER_DAY}, {"h", NS_PER_HOUR}, {"m", NS_PER_MIN}, {"s", NS_PER_S},
    };
    static const unit fine_units[] = {{"ms", NS_PER_MS}, {"us", NS_PER_US}, {"ns", 1}};
    char text[80];
    size_t used = 0;
    if (ns == 0) {
        snprintf(buf, cap, "0");
        return;
    }
    uint64_t rest = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (ns < 0)
        text[used++] = '-';
    for (size_t i = 0; i < sizeof whole_units / sizeof whole_units[0]; i++) {
        uint64_t count = rest / whole_units[i].factor;
        if (count) {
            used += (size_t)snprintf(text + used, sizeof text - used, "%" PRIu64 "%s", count,
                                     whole_units[i].name);
            rest %= whole_units[i].factor;
        }
    }
    for (size_t i = 0; rest && i < sizeof fine_units / sizeof fine_units[0]; i++) {
        if (rest % fine_units[i].factor == 0) {
            used += (size_t)snprintf(text + used, sizeof text - used, "%" PRIu64 "%s",
                                     rest / fine_units[i].factor, fine_units[i].name);
            rest = 0;
        }
    }
    text[used] = 0;
    snprintf(buf, cap, "%s", text);
}

void sl_format_size(uint64_t bytes, char *buf, size_t cap)
{
    static const unit binary_units[] = {{"TiB", TIB}, {"GiB", GIB}, {"MiB", MIB}, {"KiB", KIB}};
    for (size_t i = 0; bytes && i < sizeof binary_units / sizeof binary_units[0]; i++) {
        if (bytes % binary_units[i].factor == 0) {
            snprintf(buf, cap, "%" PRIu64 "%s", bytes / binary_units[i].factor,
                     binary_units[i].name);
            return;
        }
    }
    snprintf(buf, cap, "%" PRIu64, bytes);
}
