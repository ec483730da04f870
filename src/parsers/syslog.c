/* syslog.c: the syslog message parser: PRI, then RFC 5424 (VERSION,
 * header fields, structured data, BOM) or RFC 3164 and its variants (BSD or
 * ISO 8601 timestamp, optional hostname, tag with optional [pid]). Every
 * scan is bounded by the end of the input; numbers take a bounded number
 * of digits. */
#include "parsers/syslog.h"

#include <string.h>

#define NS_PER_S 1000000000LL
#define SECS_PER_DAY 86400LL
/* Seconds that still fit in int64 nanoseconds (with a fraction added). */
#define MAX_TS_SECS 9223372035LL
/* `now` is clamped to years 1..9999 so its arithmetic cannot overflow. */
#define MIN_NOW_SECS (-62135596800LL)
#define MAX_NOW_SECS 253402300799LL
/* The BSD year window: at most this far ahead of now ... */
#define YEAR_AHEAD_SECS (31 * SECS_PER_DAY)
/* ... and less than this far behind it. */
#define YEAR_BEHIND_SECS (334 * SECS_PER_DAY)

#define PRI_MAX 191
#define PRI_MAX_DIGITS 3
#define VERSION_MAX_DIGITS 3
#define FRACTION_DIGITS 9

/* RFC 5424 field lengths. */
#define HOSTNAME_MAX 255
#define APP_NAME_MAX 48
#define PROCID_MAX 128
#define MSGID_MAX 32
#define SD_NAME_MAX 32
/* RFC 3164 variants: the longest tag and pid taken as such. */
#define TAG_MAX 128
#define PID_MAX 128

static const char ERR_EMPTY[] = "empty message";
static const char ERR_NOT_SYSLOG[] = "not a syslog message: no PRI and no timestamp";
static const char ERR_PRI_NO_DIGITS[] = "PRI has no digits";
static const char ERR_PRI_UNTERMINATED[] = "PRI is not terminated by '>'";
static const char ERR_PRI_TOO_LONG[] = "PRI has more than 3 digits";
static const char ERR_PRI_LEADING_ZERO[] = "PRI has a leading zero";
static const char ERR_PRI_RANGE[] = "PRI is out of the range 0..191";
static const char ERR_5424_INCOMPLETE[] = "RFC 5424 header is incomplete";
static const char ERR_5424_TIMESTAMP[] = "RFC 5424 TIMESTAMP is not valid";
static const char ERR_5424_HOSTNAME[] = "RFC 5424 HOSTNAME is not valid";
static const char ERR_5424_APP_NAME[] = "RFC 5424 APP-NAME is not valid";
static const char ERR_5424_PROCID[] = "RFC 5424 PROCID is not valid";
static const char ERR_5424_MSGID[] = "RFC 5424 MSGID is not valid";
static const char ERR_5424_SD[] = "RFC 5424 STRUCTURED-DATA is not valid";
static const char ERR_5424_AFTER_SD[] = "RFC 5424 STRUCTURED-DATA is not followed by a space";
static const char ERR_BSD_DATE[] = "timestamp names a day that does not exist";
static const char ERR_TS_RANGE[] = "timestamp is out of range";

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* PRINTUSASCII: %d33-126. */
static bool is_print(char c) { return (unsigned char)c >= 33 && (unsigned char)c <= 126; }

static sl_syslog_span span(const char *p, const char *q)
{
    sl_syslog_span s = {p, (size_t)(q - p)};
    return s;
}

static void set_error(sl_syslog_msg *out, const char *err)
{
    if (!out->error)          /* the first problem found is the one reported */
        out->error = err;
}

/* Exactly n digits at p (the caller checked they are inside the input);
 * -1 if one is not a digit. */
static int fixed_digits(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* ---- calendar ------------------------------------------------------- */

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm); the
 * day may exceed the month's length, it then counts on linearly. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t year_of_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return yoe + era * 400 + (m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* Unix seconds to nanoseconds plus a fraction; false when out of range. */
static bool to_ns(int64_t secs, int64_t frac_ns, int64_t *ns)
{
    if (secs < -MAX_TS_SECS || secs > MAX_TS_SECS)
        return false;
    *ns = secs * NS_PER_S + frac_ns;
    return true;
}

/* ".123456789..." at p: the fraction in nanoseconds (digits past the ninth
 * are read and dropped). Returns the end, or NULL if no digit follows. */
static const char *parse_fraction(const char *p, const char *end, int64_t *frac_ns)
{
    const char *q = p + 1;
    int64_t v = 0;
    int n = 0;
    while (q < end && is_digit(*q)) {
        if (n < FRACTION_DIGITS) {
            v = v * 10 + (*q - '0');
            n++;
        }
        q++;
    }
    if (q == p + 1)
        return NULL;
    for (; n < FRACTION_DIGITS; n++)
        v *= 10;
    *frac_ns = v;
    return q;
}

/* ---- timestamps ----------------------------------------------------- */

typedef struct {
    int64_t ns;
    bool has_zone;
    bool in_range;      /* false: well formed but not representable */
} parsed_time;

/* ISO 8601 / RFC 3339 "YYYY-MM-DDThh:mm:ss[.frac][Z|+hh:mm|+hhmm]" at p;
 * without a zone the time is local to tz_offset. Returns the end, or NULL
 * if it is not one. */
static const char *parse_iso8601(const char *p, const char *end, int32_t tz_offset,
                                 parsed_time *t)
{
    if (end - p < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't') ||
        p[13] != ':' || p[16] != ':')
        return NULL;
    int year = fixed_digits(p, 4), mon = fixed_digits(p + 5, 2), day = fixed_digits(p + 8, 2);
    int hour = fixed_digits(p + 11, 2), min = fixed_digits(p + 14, 2),
        sec = fixed_digits(p + 17, 2);
    if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
        hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60)
        return NULL;
    const char *q = p + 19;
    int64_t frac = 0;
    if (q < end && *q == '.' && !(q = parse_fraction(q, end, &frac)))
        return NULL;
    int64_t offset = tz_offset;
    t->has_zone = false;
    if (q < end && (*q == 'Z' || *q == 'z')) {
        offset = 0;
        t->has_zone = true;
        q++;
    } else if (q < end && (*q == '+' || *q == '-')) {
        if (end - q < 5)
            return NULL;
        int oh = fixed_digits(q + 1, 2), om;
        const char *after;
        if (q[3] == ':') {
            if (end - q < 6)
                return NULL;
            om = fixed_digits(q + 4, 2);
            after = q + 6;
        } else {
            om = fixed_digits(q + 3, 2);
            after = q + 5;
        }
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return NULL;
        offset = (oh * 3600 + om * 60) * (*q == '-' ? -1 : 1);
        t->has_zone = true;
        q = after;
    }
    int64_t secs = days_from_civil(year, mon, day) * SECS_PER_DAY + hour * 3600 + min * 60 +
                   sec - offset;
    t->in_range = to_ns(secs, frac, &t->ns);
    return q;
}

static int month_number(const char *p)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    char m[3];
    for (int i = 0; i < 3; i++)
        m[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
    for (int i = 0; i < 12; i++)
        if (memcmp(names + 3 * i, m, 3) == 0)
            return i + 1;
    return 0;
}

/* The year that puts month/day/time (local) in the window around now. */
static int64_t infer_year(int64_t now_local, int mon, int day, int64_t secs_of_day)
{
    int64_t year = year_of_days(floor_div(now_local, SECS_PER_DAY));
    int64_t t = days_from_civil(year, mon, day) * SECS_PER_DAY + secs_of_day;
    if (t > now_local + YEAR_AHEAD_SECS)
        return year - 1;
    if (t <= now_local - YEAR_BEHIND_SECS)
        return year + 1;
    return year;
}

typedef enum { BSD_NONE, BSD_OK, BSD_BAD_DATE, BSD_OUT_OF_RANGE } bsd_result;

/* BSD "Mmm dd hh:mm:ss" (day space-padded, zero-padded or a single digit;
 * an optional ".frac") at p, followed by a space or the end. */
static const char *parse_bsd_time(const char *p, const char *end, int64_t now,
                                  int32_t tz_offset, int64_t *ns, bsd_result *res)
{
    *res = BSD_NONE;
    if (end - p < 14 || p[3] != ' ')
        return NULL;
    int mon = month_number(p);
    if (!mon)
        return NULL;
    const char *q = p + 4;
    int day;
    if (q[0] == ' ' && is_digit(q[1])) {            /* "Nov  3" */
        day = q[1] - '0';
        q += 2;
    } else if (is_digit(q[0]) && is_digit(q[1])) {  /* "Nov 23", "Nov 03" */
        day = fixed_digits(q, 2);
        q += 2;
    } else if (is_digit(q[0]) && q[1] == ' ') {     /* "Nov 3" */
        day = q[0] - '0';
        q += 1;
    } else {
        return NULL;
    }
    if (end - q < 9 || q[0] != ' ' || q[3] != ':' || q[6] != ':')
        return NULL;
    int hour = fixed_digits(q + 1, 2), min = fixed_digits(q + 4, 2), sec = fixed_digits(q + 7, 2);
    if (day < 1 || day > 31 || hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 ||
        sec > 60)
        return NULL;
    q += 9;
    int64_t frac = 0;
    if (q < end && *q == '.' && !(q = parse_fraction(q, end, &frac)))
        return NULL;
    if (q < end && *q != ' ')
        return NULL;
    if (now < MIN_NOW_SECS)
        now = MIN_NOW_SECS;
    if (now > MAX_NOW_SECS)
        now = MAX_NOW_SECS;
    int64_t secs_of_day = hour * 3600 + min * 60 + sec;
    int64_t year = infer_year(now + tz_offset, mon, day, secs_of_day);
    if (day > days_in_month(year, mon)) {
        *res = BSD_BAD_DATE;
        return q;
    }
    int64_t secs = days_from_civil(year, mon, day) * SECS_PER_DAY + secs_of_day - tz_offset;
    *res = to_ns(secs, frac, ns) ? BSD_OK : BSD_OUT_OF_RANGE;
    return q;
}

/* ---- PRI ------------------------------------------------------------ */

/* "<PRI>" at p (p[0] == '<'). Returns the position after '>', or NULL when
 * there is no '>' after the digits (nothing more can be parsed). */
static const char *parse_pri(const char *p, const char *end, sl_syslog_msg *out)
{
    const char *q = p + 1;
    int value = 0, digits = 0;
    while (q < end && is_digit(*q)) {
        if (digits < PRI_MAX_DIGITS)
            value = value * 10 + (*q - '0');
        digits++;
        q++;
    }
    if (q == end || *q != '>') {
        set_error(out, digits ? ERR_PRI_UNTERMINATED : ERR_PRI_NO_DIGITS);
        return NULL;
    }
    if (digits == 0)
        set_error(out, ERR_PRI_NO_DIGITS);
    else if (digits > PRI_MAX_DIGITS)
        set_error(out, ERR_PRI_TOO_LONG);
    else if (digits > 1 && p[1] == '0')
        set_error(out, ERR_PRI_LEADING_ZERO);
    else if (value > PRI_MAX)
        set_error(out, ERR_PRI_RANGE);
    else {
        out->pri = value;
        out->facility = value / 8;
        out->severity = value % 8;
    }
    return q + 1;
}

/* ---- structured data ------------------------------------------------ */

static bool is_sd_name_char(char c) { return is_print(c) && c != '=' && c != ']' && c != '"'; }

/* An SD-NAME (1..32 characters) at p: its end, or NULL. */
static const char *scan_sd_name(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && q - p <= SD_NAME_MAX && is_sd_name_char(*q))
        q++;
    return q == p || q - p > SD_NAME_MAX ? NULL : q;
}

/* NAME="VALUE" at p: the position after the closing quote, or NULL. */
static const char *scan_sd_param(const char *p, const char *end, sl_syslog_sd_param *param)
{
    const char *name_end = scan_sd_name(p, end);
    if (!name_end || end - name_end < 2 || name_end[0] != '=' || name_end[1] != '"')
        return NULL;
    const char *value = name_end + 2, *q = value;
    while (q < end && *q != '"')
        q += *q == '\\' && end - q >= 2 ? 2 : 1;
    if (q >= end)
        return NULL;
    param->name = span(p, name_end);
    param->value = span(value, q);
    return q + 1;
}

/* "[SD-ID *(SP PARAM)]" at p: the position after ']', or NULL. */
static const char *scan_sd_element(const char *p, const char *end, sl_syslog_sd_element *el)
{
    if (p >= end || *p != '[')
        return NULL;
    const char *id = p + 1, *id_end = scan_sd_name(id, end);
    if (!id_end)
        return NULL;
    const char *q = id_end;
    sl_syslog_sd_param param;
    while (q < end && *q == ' ')
        if (!(q = scan_sd_param(q + 1, end, &param)))
            return NULL;
    if (q >= end || *q != ']')
        return NULL;
    el->id = span(id, id_end);
    el->params = span(id_end, q);
    return q + 1;
}

void sl_syslog_sd_iter_init(sl_syslog_sd_iter *it, sl_syslog_span sd)
{
    it->pos = sd.ptr;
    it->end = sd.ptr ? sd.ptr + sd.len : NULL;
}

bool sl_syslog_sd_next_element(sl_syslog_sd_iter *it, sl_syslog_sd_element *el)
{
    const char *next = it->pos && it->pos < it->end ? scan_sd_element(it->pos, it->end, el)
                                                    : NULL;
    it->pos = next ? next : it->end;
    return next != NULL;
}

void sl_syslog_sd_param_iter_init(sl_syslog_sd_iter *it, const sl_syslog_sd_element *el)
{
    sl_syslog_sd_iter_init(it, el->params);
}

bool sl_syslog_sd_next_param(sl_syslog_sd_iter *it, sl_syslog_sd_param *param)
{
    const char *next = NULL;
    if (it->pos && it->pos < it->end && *it->pos == ' ')
        next = scan_sd_param(it->pos + 1, it->end, param);
    it->pos = next ? next : it->end;
    return next != NULL;
}

size_t sl_syslog_sd_unescape(sl_syslog_span value, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < value.len; i++) {
        char c = value.ptr[i];
        if (c == '\\' && i + 1 < value.len &&
            (value.ptr[i + 1] == '"' || value.ptr[i + 1] == '\\' || value.ptr[i + 1] == ']'))
            c = value.ptr[++i];
        if (n < cap)
            out[n] = c;
        n++;
    }
    return n;
}

/* ---- RFC 5424 ------------------------------------------------------- */

/* The token at *pp up to a space or the end; *pp moves to its end. */
static sl_syslog_span take_token(const char **pp, const char *end)
{
    const char *p = *pp, *q = p;
    while (q < end && *q != ' ')
        q++;
    *pp = q;
    return span(p, q);
}

static bool all_print(sl_syslog_span s)
{
    for (size_t i = 0; i < s.len; i++)
        if (!is_print(s.ptr[i]))
            return false;
    return true;
}

/* A header field: NILVALUE or 1..max PRINTUSASCII, then a space. False
 * when the header ends first. */
static bool header_field(const char **pp, const char *end, size_t max, sl_syslog_span *field,
                         const char *err, sl_syslog_msg *out)
{
    sl_syslog_span tok = take_token(pp, end);
    if (*pp == end) {
        set_error(out, ERR_5424_INCOMPLETE);
        return false;
    }
    (*pp)++;
    if (tok.len == 1 && tok.ptr[0] == '-')
        return true;
    if (tok.len == 0 || tok.len > max || !all_print(tok))
        set_error(out, err);
    *field = tok;
    return true;
}

static void parse_5424(const char *p, const char *end, int32_t tz_offset, sl_syslog_msg *out)
{
    out->format = SL_SYSLOG_RFC5424;
    int version = 0;
    while (is_digit(*p))            /* checked by the caller: 1..3 digits, SP */
        version = version * 10 + (*p++ - '0');
    out->version = version;
    p++;

    sl_syslog_span ts = take_token(&p, end);
    if (!(ts.len == 1 && ts.ptr[0] == '-')) {
        parsed_time t;
        const char *ts_end = parse_iso8601(ts.ptr, ts.ptr + ts.len, tz_offset, &t);
        if (!ts_end || ts_end != ts.ptr + ts.len || !t.has_zone)
            set_error(out, ERR_5424_TIMESTAMP);
        else if (!t.in_range)
            set_error(out, ERR_TS_RANGE);
        else {
            out->has_timestamp = true;
            out->timestamp_ns = t.ns;
        }
    }
    if (p == end) {
        set_error(out, ERR_5424_INCOMPLETE);
        return;
    }
    p++;
    if (!header_field(&p, end, HOSTNAME_MAX, &out->hostname, ERR_5424_HOSTNAME, out) ||
        !header_field(&p, end, APP_NAME_MAX, &out->app_name, ERR_5424_APP_NAME, out) ||
        !header_field(&p, end, PROCID_MAX, &out->procid, ERR_5424_PROCID, out) ||
        !header_field(&p, end, MSGID_MAX, &out->msgid, ERR_5424_MSGID, out))
        return;

    if (p == end) {
        set_error(out, ERR_5424_INCOMPLETE);
        return;
    }
    if (*p == '-') {
        p++;
    } else {
        const char *sd = p;
        sl_syslog_sd_element el;
        const char *next;
        while (p < end && *p == '[' && (next = scan_sd_element(p, end, &el)))
            p = next;
        if (p == sd || (p < end && *p == '[')) {
            set_error(out, ERR_5424_SD);
            return;
        }
        out->structured_data = span(sd, p);
    }
    if (p == end)
        return;
    if (*p != ' ') {
        set_error(out, ERR_5424_AFTER_SD);
        return;
    }
    p++;
    if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    if (p < end)
        out->message = span(p, end);
}

/* ---- RFC 3164 and variants ------------------------------------------ */

static bool is_tag_char(char c) { return is_print(c) && c != '[' && c != ':'; }

/* A tag at p: "name[pid]:", "name[pid]", "name:" or "name " (each
 * followed by an optional space). Returns where the message starts, or
 * NULL (and nothing set) if there is no tag. */
static const char *parse_tag(const char *p, const char *end, sl_syslog_msg *out)
{
    const char *q = p;
    while (q < end && q - p <= TAG_MAX && is_tag_char(*q))
        q++;
    if (q == p || q == end || q - p > TAG_MAX)
        return NULL;
    const char *name_end = q, *pid = NULL, *pid_end = NULL;
    if (*q == '[') {
        pid = ++q;
        while (q < end && q - pid <= PID_MAX && is_print(*q) && *q != ']')
            q++;
        if (q == end || *q != ']' || q == pid || q - pid > PID_MAX)
            return NULL;
        pid_end = q++;
        if (q < end && *q == ':')
            q++;
        else if (q < end && *q != ' ')
            return NULL;
    } else if (*q == ':') {
        q++;
    } else if (*q != ' ') {
        return NULL;
    }
    if (q < end && *q == ' ')
        q++;
    out->app_name = span(p, name_end);
    if (pid)
        out->procid = span(pid, pid_end);
    return q;
}

/* The next token looks like a tag rather than a hostname: it has a '[' or
 * ends with ':'. */
static bool looks_like_tag(sl_syslog_span tok)
{
    return tok.len && (memchr(tok.ptr, '[', tok.len) || tok.ptr[tok.len - 1] == ':');
}

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p;
}

static void parse_3164(const char *p, const char *end, bool had_pri, int64_t now,
                       int32_t tz_offset, sl_syslog_msg *out)
{
    int64_t ns = 0;
    bsd_result bsd;
    parsed_time iso;
    const char *q = parse_bsd_time(p, end, now, tz_offset, &ns, &bsd);
    if (q) {
        if (bsd == BSD_OK) {
            out->has_timestamp = true;
            out->timestamp_ns = ns;
        } else {
            set_error(out, bsd == BSD_BAD_DATE ? ERR_BSD_DATE : ERR_TS_RANGE);
        }
    } else if ((q = parse_iso8601(p, end, tz_offset, &iso)) && (q == end || *q == ' ')) {
        if (iso.in_range) {
            out->has_timestamp = true;
            out->timestamp_ns = iso.ns;
        } else {
            set_error(out, ERR_TS_RANGE);
        }
    } else {
        /* no timestamp: the rest is the message (RFC 3164 4.3.3) */
        if (!had_pri) {
            set_error(out, ERR_NOT_SYSLOG);
            return;
        }
        out->format = SL_SYSLOG_RFC3164;
        if (p < end)
            out->message = span(p, end);
        return;
    }
    out->format = SL_SYSLOG_RFC3164;
    p = skip_spaces(q, end);

    const char *tok_end = p;
    sl_syslog_span tok = take_token(&tok_end, end);
    if (tok.len && !looks_like_tag(tok) && tok.len <= HOSTNAME_MAX && all_print(tok)) {
        out->hostname = tok;
        p = skip_spaces(tok_end, end);
    }
    const char *msg = parse_tag(p, end, out);
    if (msg)
        p = msg;
    if (p < end)
        out->message = span(p, end);
}

/* ---- entry points --------------------------------------------------- */

/* "<PRI>" is followed by "VERSION SP": 1..3 digits, the first not 0. */
static bool starts_5424(const char *p, const char *end)
{
    if (p >= end || *p < '1' || *p > '9')
        return false;
    const char *q = p;
    while (q < end && is_digit(*q) && q - p < VERSION_MAX_DIGITS)
        q++;
    return q < end && *q == ' ';
}

bool sl_syslog_parse(const char *msg, size_t len, int64_t now, int32_t tz_offset,
                     sl_syslog_msg *out)
{
    memset(out, 0, sizeof *out);
    out->pri = out->facility = out->severity = -1;
    out->format = SL_SYSLOG_UNKNOWN;
    const char *p = msg, *end = msg + len;
    if (len == 0) {
        out->error = ERR_EMPTY;
        return false;
    }
    bool had_pri = false;
    if (*p == '<') {
        had_pri = true;
        p = parse_pri(p, end, out);
    }
    if (p) {
        if (had_pri && starts_5424(p, end))
            parse_5424(p, end, tz_offset, out);
        else
            parse_3164(p, end, had_pri, now, tz_offset, out);
    }
    if (out->error)
        out->message = span(msg, end);
    return out->error == NULL;
}

const char *sl_syslog_format_name(sl_syslog_format format)
{
    switch (format) {
    case SL_SYSLOG_RFC5424:
        return "rfc5424";
    case SL_SYSLOG_RFC3164:
        return "rfc3164";
    default:
        return "unknown";
    }
}
