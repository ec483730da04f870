/* test_syslog.c: the syslog message parser: the RFC 5424 examples, logger
 * output, RFC 3164 and its variants in the wild (no PRI, no hostname, ISO
 * timestamps, tag forms), year inference around New Year, invalid PRIs,
 * structured data and its escapes, bounds on every read and number. */
#include "check_main.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parsers/syslog.h"

#define NS 1000000000LL

static sl_syslog_msg m;

/* Unix seconds of a UTC civil time. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (int64_t)timegm(&tm);
}

/* 2023-11-23T12:00:00Z unless a test says otherwise. */
#define NOW utc(2023, 11, 23, 12, 0, 0)

static bool parse_at(const char *s, int64_t now, int32_t tz)
{
    return sl_syslog_parse(s, strlen(s), now, tz, &m);
}

static bool parse(const char *s) { return parse_at(s, NOW, 0); }

/* A span as a string, "<absent>" for an absent one. */
static const char *str(sl_syslog_span s)
{
    static char bufs[4][1024];
    static int next;
    char *b = bufs[next++ % 4];
    if (!s.ptr)
        return "<absent>";
    ck_assert_uint_lt(s.len, sizeof bufs[0]);
    memcpy(b, s.ptr, s.len);
    b[s.len] = 0;
    return b;
}

static void assert_valid(void)
{
    if (m.error)
        ck_abort_msg("unexpected error: %s", m.error);
}

/* An error, the PRI and the whole input kept as the message. */
static void assert_invalid(const char *input)
{
    ck_assert_ptr_nonnull(m.error);
    ck_assert_ptr_eq(m.message.ptr, input);
    ck_assert_uint_eq(m.message.len, strlen(input));
}

/* ---- RFC 5424 --------------------------------------------------------- */

START_TEST(rfc5424_example_1_bom_and_nil_values)
{
    const char *s = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
                    "\xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8";
    ck_assert(parse(s));
    assert_valid();
    ck_assert_int_eq(m.format, SL_SYSLOG_RFC5424);
    ck_assert_int_eq(m.pri, 34);
    ck_assert_int_eq(m.facility, 4);
    ck_assert_int_eq(m.severity, 2);
    ck_assert_int_eq(m.version, 1);
    ck_assert(m.has_timestamp);
    ck_assert_int_eq(m.timestamp_ns, 1065910455LL * NS + 3000000);
    ck_assert_str_eq(str(m.hostname), "mymachine.example.com");
    ck_assert_str_eq(str(m.app_name), "su");
    ck_assert_str_eq(str(m.procid), "<absent>");
    ck_assert_str_eq(str(m.msgid), "ID47");
    ck_assert_str_eq(str(m.structured_data), "<absent>");
    ck_assert_str_eq(str(m.message), "'su root' failed for lonvick on /dev/pts/8");
    ck_assert_str_eq(sl_syslog_format_name(m.format), "rfc5424");
}
END_TEST

START_TEST(rfc5424_example_2_offset_and_microseconds)
{
    ck_assert(parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
                    "%% It's time to make the do-nuts."));
    ck_assert_int_eq(m.facility, 20);
    ck_assert_int_eq(m.severity, 5);
    ck_assert_int_eq(m.timestamp_ns, 1061727255LL * NS + 3000);
    ck_assert_str_eq(str(m.hostname), "192.0.2.1");
    ck_assert_str_eq(str(m.app_name), "myproc");
    ck_assert_str_eq(str(m.procid), "8710");
    ck_assert_str_eq(str(m.msgid), "<absent>");
    ck_assert_str_eq(str(m.message), "%% It's time to make the do-nuts.");
}
END_TEST

START_TEST(rfc5424_example_3_structured_data)
{
    ck_assert(parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
                    "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
                    "eventID=\"1011\"] \xEF\xBB\xBF" "An application event log entry..."));
    ck_assert_str_eq(str(m.app_name), "evntslog");
    ck_assert_str_eq(str(m.structured_data), "[exampleSDID@32473 iut=\"3\" "
                                             "eventSource=\"Application\" eventID=\"1011\"]");
    ck_assert_str_eq(str(m.message), "An application event log entry...");

    sl_syslog_sd_iter it, pit;
    sl_syslog_sd_element el;
    sl_syslog_sd_param p;
    sl_syslog_sd_iter_init(&it, m.structured_data);
    ck_assert(sl_syslog_sd_next_element(&it, &el));
    ck_assert_str_eq(str(el.id), "exampleSDID@32473");
    sl_syslog_sd_param_iter_init(&pit, &el);
    const char *want[][2] = {{"iut", "3"}, {"eventSource", "Application"}, {"eventID", "1011"}};
    for (int i = 0; i < 3; i++) {
        ck_assert(sl_syslog_sd_next_param(&pit, &p));
        ck_assert_str_eq(str(p.name), want[i][0]);
        ck_assert_str_eq(str(p.value), want[i][1]);
    }
    ck_assert(!sl_syslog_sd_next_param(&pit, &p));
    ck_assert(!sl_syslog_sd_next_element(&it, &el));
}
END_TEST

START_TEST(rfc5424_example_4_two_elements_no_message)
{
    ck_assert(parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
                    "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
                    "[examplePriority@32473 class=\"high\"]"));
    ck_assert_str_eq(str(m.message), "<absent>");
    sl_syslog_sd_iter it, pit;
    sl_syslog_sd_element el;
    sl_syslog_sd_param p;
    sl_syslog_sd_iter_init(&it, m.structured_data);
    ck_assert(sl_syslog_sd_next_element(&it, &el));
    ck_assert_str_eq(str(el.id), "exampleSDID@32473");
    ck_assert(sl_syslog_sd_next_element(&it, &el));
    ck_assert_str_eq(str(el.id), "examplePriority@32473");
    sl_syslog_sd_param_iter_init(&pit, &el);
    ck_assert(sl_syslog_sd_next_param(&pit, &p));
    ck_assert_str_eq(str(p.name), "class");
    ck_assert_str_eq(str(p.value), "high");
    ck_assert(!sl_syslog_sd_next_param(&pit, &p));
    ck_assert(!sl_syslog_sd_next_element(&it, &el));
}
END_TEST

/* util-linux `logger --rfc5424` */
START_TEST(logger_rfc5424)
{
    ck_assert(parse("<13>1 2023-11-23T12:00:00.123456+01:00 myhost root - - [timeQuality "
                    "tzKnown=\"1\" isSynced=\"1\" syncAccuracy=\"123456\"] hello"));
    ck_assert_int_eq(m.pri, 13);
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 11, 23, 11, 0, 0) * NS + 123456000);
    ck_assert_str_eq(str(m.hostname), "myhost");
    ck_assert_str_eq(str(m.app_name), "root");
    ck_assert_str_eq(str(m.message), "hello");
    sl_syslog_sd_iter it;
    sl_syslog_sd_element el;
    sl_syslog_sd_iter_init(&it, m.structured_data);
    ck_assert(sl_syslog_sd_next_element(&it, &el));
    ck_assert_str_eq(str(el.id), "timeQuality");
    ck_assert_str_eq(str(el.params), " tzKnown=\"1\" isSynced=\"1\" syncAccuracy=\"123456\"");
}
END_TEST

START_TEST(rfc5424_nil_timestamp_and_all_nil)
{
    ck_assert(parse("<14>1 - - - - - -"));
    ck_assert(!m.has_timestamp);
    ck_assert_int_eq(m.timestamp_ns, 0);
    ck_assert_str_eq(str(m.hostname), "<absent>");
    ck_assert_str_eq(str(m.message), "<absent>");
    ck_assert(parse("<14>1 - - - - - - "));         /* empty MSG */
    ck_assert_str_eq(str(m.message), "<absent>");
    ck_assert(parse("<14>2 - h a p m - x"));        /* another VERSION */
    ck_assert_int_eq(m.version, 2);
    ck_assert_str_eq(str(m.message), "x");
}
END_TEST

START_TEST(rfc5424_fractions_and_offsets)
{
    static const struct {
        const char *ts;
        int64_t ns;
    } cases[] = {
        {"2003-10-11T22:14:15Z", 1065910455LL * NS},
        {"2003-10-11T22:14:15.5Z", 1065910455LL * NS + 500000000},
        {"2003-10-11T22:14:15.123456789Z", 1065910455LL * NS + 123456789},
        {"2003-10-11T22:14:15.1234567891234Z", 1065910455LL * NS + 123456789},  /* cut */
        {"2003-10-11T22:14:15.000000001Z", 1065910455LL * NS + 1},
        {"2003-10-11T23:14:15+01:00", 1065910455LL * NS},
        {"2003-10-11T21:44:15-00:30", 1065910455LL * NS},
        {"2003-10-12T00:14:15.25+02:00", 1065910455LL * NS + 250000000},
        {"1985-04-12T23:20:50.52Z", 482196050LL * NS + 520000000},
        {"1969-12-31T23:59:59.5Z", -1 * NS + 500000000},
    };
    char line[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(line, sizeof line, "<13>1 %s h a - - - m", cases[i].ts);
        ck_assert_msg(parse(line), "%s: %s", line, m.error);
        ck_assert(m.has_timestamp);
        ck_assert_int_eq(m.timestamp_ns, cases[i].ns);
    }
}
END_TEST

START_TEST(rfc5424_bad_timestamps)
{
    static const char *const bad[] = {
        "2003-10-11T22:14:15",          /* no offset */
        "2003-10-11T22:14:15.Z",        /* a dot and no digit */
        "2003-13-11T22:14:15Z",         /* month 13 */
        "2003-02-29T22:14:15Z",         /* not a leap year */
        "2003-10-11T24:00:00Z",
        "2003-10-11T22:14:15+24:00",
        "2003-10-11T22:14:15+01:0",
        "2003-10-11 22:14:15Z",
        "2003-10-11T22:14:15Zjunk",
        "03-10-11T22:14:15Z",
        "yesterday",
    };
    char line[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(line, sizeof line, "<13>1 %s host app - - - msg", bad[i]);
        ck_assert_msg(!parse(line), "%s", line);
        assert_invalid(line);
        ck_assert(!m.has_timestamp);
        /* what comes after is still filled in */
        ck_assert_int_eq(m.format, SL_SYSLOG_RFC5424);
        ck_assert_int_eq(m.pri, 13);
        if (strcmp(bad[i], "2003-10-11 22:14:15Z") != 0)
            ck_assert_str_eq(str(m.hostname), "host");
    }
    /* a leap year's February 29th is fine */
    ck_assert(parse("<13>1 2024-02-29T00:00:00Z h a - - -"));
    /* valid but not representable in int64 nanoseconds */
    ck_assert(!parse("<13>1 9999-12-31T23:59:59Z h a - - -"));
    ck_assert_str_eq(m.error, "timestamp is out of range");
}
END_TEST

START_TEST(rfc5424_malformed_header)
{
    static const char *const bad[] = {
        "<13>1 2003-10-11T22:14:15Z host app - -",          /* no SD */
        "<13>1 2003-10-11T22:14:15Z host app",
        "<13>1 ",
        "<13>1 - host app - - hello",                       /* SD neither - nor [ */
        "<13>1 - host app - - [id a=\"b\"",                 /* unterminated */
        "<13>1 - host app - - [id a=b]",                    /* unquoted value */
        "<13>1 - host app - - [id a=\"b\\\"]",              /* escaped closing quote */
        "<13>1 - host app - - [id a=\"b\"][x",              /* bad second element */
        "<13>1 - host app - - [id a=\"b\"]x",               /* no space after SD */
        "<13>1 - host app - - -x",
        "<13>1 - host app - - [id ]",
        "<13>1 - host app - - []",
        "<13>1 - host app - - [i=d]",
        "<13>1 - host app - - [abcdefghijabcdefghijabcdefghijabc]", /* SD-ID of 33 */
        "<13>1 - host  app - - -",                          /* empty APP-NAME */
        "<13>1 - h\x01st app - - -",                        /* not PRINTUSASCII */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(!parse(bad[i]), "%s", bad[i]);
        assert_invalid(bad[i]);
        ck_assert_int_eq(m.format, SL_SYSLOG_RFC5424);
    }
    ck_assert(!parse("<13>1 - host app - - [id a=b]"));
    ck_assert_str_eq(m.error, "RFC 5424 STRUCTURED-DATA is not valid");
    ck_assert_str_eq(str(m.hostname), "host");
    ck_assert_str_eq(str(m.app_name), "app");
    ck_assert_str_eq(str(m.structured_data), "<absent>");
}
END_TEST

START_TEST(rfc5424_field_lengths)
{
    char line[1024], host[300];
    memset(host, 'h', sizeof host);
    host[255] = 0;
    snprintf(line, sizeof line, "<13>1 - %s app - - -", host);
    ck_assert(parse(line));
    ck_assert_uint_eq(m.hostname.len, 255);
    host[255] = 'h';
    host[256] = 0;
    snprintf(line, sizeof line, "<13>1 - %s app - - -", host);
    ck_assert(!parse(line));
    ck_assert_str_eq(m.error, "RFC 5424 HOSTNAME is not valid");
    ck_assert_str_eq(str(m.app_name), "app");

    ck_assert(parse("<13>1 - h 123456789012345678901234567890123456789012345678 - - -"));
    ck_assert(!parse("<13>1 - h 1234567890123456789012345678901234567890123456789 - - -"));
    ck_assert_str_eq(m.error, "RFC 5424 APP-NAME is not valid");
    ck_assert(parse("<13>1 - h a - 12345678901234567890123456789012 -"));
    ck_assert(!parse("<13>1 - h a - 123456789012345678901234567890123 -"));
    ck_assert_str_eq(m.error, "RFC 5424 MSGID is not valid");
}
END_TEST

START_TEST(rfc5424_bom_only_at_message_start)
{
    ck_assert(parse("<13>1 - h a - - - \xEF\xBB\xBF"));
    ck_assert_str_eq(str(m.message), "<absent>");
    ck_assert(parse("<13>1 - h a - - - x\xEF\xBB\xBF"));
    ck_assert_str_eq(str(m.message), "x\xEF\xBB\xBF");
    ck_assert(parse("<13>1 - h a - - - \xEF\xBB"));     /* half a BOM stays */
    ck_assert_str_eq(str(m.message), "\xEF\xBB");
    /* RFC 3164 messages keep theirs */
    ck_assert(parse("<13>Nov 23 12:00:00 h a: \xEF\xBB\xBFx"));
    ck_assert_str_eq(str(m.message), "\xEF\xBB\xBFx");
}
END_TEST

START_TEST(sd_escapes_and_unescape)
{
    ck_assert(parse("<13>1 - h a - - [id@1 a=\"x\\\"y\\\\z\\]w\" b=\"\\n]\" c=\"\"] m"));
    sl_syslog_sd_iter it, pit;
    sl_syslog_sd_element el;
    sl_syslog_sd_param p;
    sl_syslog_sd_iter_init(&it, m.structured_data);
    ck_assert(sl_syslog_sd_next_element(&it, &el));
    sl_syslog_sd_param_iter_init(&pit, &el);
    char out[64];

    ck_assert(sl_syslog_sd_next_param(&pit, &p));
    ck_assert_str_eq(str(p.value), "x\\\"y\\\\z\\]w");
    size_t n = sl_syslog_sd_unescape(p.value, out, sizeof out);
    ck_assert_uint_eq(n, 7);
    ck_assert_int_eq(memcmp(out, "x\"y\\z]w", 7), 0);
    /* a short buffer gets what fits; the length is still the whole */
    memset(out, '#', sizeof out);
    ck_assert_uint_eq(sl_syslog_sd_unescape(p.value, out, 3), 7);
    ck_assert_int_eq(memcmp(out, "x\"y#", 4), 0);
    ck_assert_uint_eq(sl_syslog_sd_unescape(p.value, NULL, 0), 7);

    ck_assert(sl_syslog_sd_next_param(&pit, &p));      /* other escapes are kept */
    ck_assert_str_eq(str(p.name), "b");
    n = sl_syslog_sd_unescape(p.value, out, sizeof out);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(memcmp(out, "\\n]", 3), 0);

    ck_assert(sl_syslog_sd_next_param(&pit, &p));      /* empty value */
    ck_assert_str_eq(str(p.name), "c");
    ck_assert_uint_eq(p.value.len, 0);
    ck_assert_uint_eq(sl_syslog_sd_unescape(p.value, out, sizeof out), 0);
    ck_assert(!sl_syslog_sd_next_param(&pit, &p));
    ck_assert_str_eq(str(m.message), "m");

    /* a trailing lone backslash is kept */
    sl_syslog_span v = {"ab\\", 3};
    ck_assert_uint_eq(sl_syslog_sd_unescape(v, out, sizeof out), 3);
}
END_TEST

START_TEST(sd_iterator_stops_at_malformed_input)
{
    const char *s = "[a x=\"1\"][b y=\"2\" z=3][c]";
    sl_syslog_span sd = {s, strlen(s)};
    sl_syslog_sd_iter it, pit;
    sl_syslog_sd_element el;
    sl_syslog_sd_param p;
    sl_syslog_sd_iter_init(&it, sd);
    ck_assert(sl_syslog_sd_next_element(&it, &el));
    ck_assert_str_eq(str(el.id), "a");
    ck_assert(!sl_syslog_sd_next_element(&it, &el));    /* [b ...] is malformed */
    ck_assert(!sl_syslog_sd_next_element(&it, &el));    /* and it stays ended */

    /* params of a hand-made element stop at the first bad one */
    sl_syslog_sd_element hand = {{"b", 1}, {" y=\"2\" z=3", 10}};
    sl_syslog_sd_param_iter_init(&pit, &hand);
    ck_assert(sl_syslog_sd_next_param(&pit, &p));
    ck_assert_str_eq(str(p.value), "2");
    ck_assert(!sl_syslog_sd_next_param(&pit, &p));

    sl_syslog_span none = {NULL, 0};
    sl_syslog_sd_iter_init(&it, none);
    ck_assert(!sl_syslog_sd_next_element(&it, &el));
    /* a value cut by the end of the span */
    sl_syslog_span cut = {"[a x=\"1\\", 8};
    sl_syslog_sd_iter_init(&it, cut);
    ck_assert(!sl_syslog_sd_next_element(&it, &el));
}
END_TEST

/* ---- RFC 3164 and what is found in the wild --------------------------- */

/* util-linux `logger` over the network */
START_TEST(logger_bsd)
{
    const char *s = "<13>Nov 23 12:00:00 myhost root: hello";
    ck_assert(parse(s));
    assert_valid();
    ck_assert_int_eq(m.format, SL_SYSLOG_RFC3164);
    ck_assert_str_eq(sl_syslog_format_name(m.format), "rfc3164");
    ck_assert_int_eq(m.pri, 13);
    ck_assert_int_eq(m.facility, 1);
    ck_assert_int_eq(m.severity, 5);
    ck_assert_int_eq(m.version, 0);
    ck_assert(m.has_timestamp);
    ck_assert_int_eq(m.timestamp_ns, NOW * NS);
    ck_assert_str_eq(str(m.hostname), "myhost");
    ck_assert_str_eq(str(m.app_name), "root");
    ck_assert_str_eq(str(m.procid), "<absent>");
    ck_assert_str_eq(str(m.msgid), "<absent>");
    ck_assert_str_eq(str(m.structured_data), "<absent>");
    ck_assert_str_eq(str(m.message), "hello");
}
END_TEST

/* What `logger` writes to /dev/log, and many local daemons: no hostname. */
START_TEST(missing_hostname)
{
    ck_assert(parse("<13>Nov 23 12:00:00 root: hello"));
    ck_assert_str_eq(str(m.hostname), "<absent>");
    ck_assert_str_eq(str(m.app_name), "root");
    ck_assert_str_eq(str(m.message), "hello");
    ck_assert(parse("<38>Nov 23 12:00:00 sshd[4242]: Accepted publickey for alice"));
    ck_assert_str_eq(str(m.hostname), "<absent>");
    ck_assert_str_eq(str(m.app_name), "sshd");
    ck_assert_str_eq(str(m.procid), "4242");
    ck_assert_str_eq(str(m.message), "Accepted publickey for alice");
}
END_TEST

START_TEST(tag_forms)
{
    static const struct {
        const char *in, *host, *app, *pid, *msg;
    } cases[] = {
        {"<13>Nov 23 12:00:00 h sshd[12]: msg", "h", "sshd", "12", "msg"},
        {"<13>Nov 23 12:00:00 h sshd[12]:msg", "h", "sshd", "12", "msg"},
        {"<13>Nov 23 12:00:00 h sshd[12] msg", "h", "sshd", "12", "msg"},
        {"<13>Nov 23 12:00:00 h postfix/smtpd[7]: msg", "h", "postfix/smtpd", "7", "msg"},
        {"<13>Nov 23 12:00:00 h app: msg: with: colons", "h", "app", "<absent>",
         "msg: with: colons"},
        {"<13>Nov 23 12:00:00 h app:msg", "h", "app", "<absent>", "msg"},
        {"<13>Nov 23 12:00:00 h app msg here", "h", "app", "<absent>", "msg here"},
        {"<13>Nov 23 12:00:00 h app:", "h", "app", "<absent>", "<absent>"},
        {"<13>Nov 23 12:00:00 h app[1]:", "h", "app", "1", "<absent>"},
        {"<13>Nov 23 12:00:00 h app[]: msg", "h", "<absent>", "<absent>", "app[]: msg"},
        {"<13>Nov 23 12:00:00 h app[12 msg", "h", "<absent>", "<absent>", "app[12 msg"},
        {"<13>Nov 23 12:00:00 h app[12]x msg", "h", "<absent>", "<absent>", "app[12]x msg"},
        {"<13>Nov 23 12:00:00 h : msg", "h", "<absent>", "<absent>", ": msg"},
        {"<13>Nov 23 12:00:00 h \xC3\xA9t\xC3\xA9: msg", "h", "<absent>", "<absent>",
         "\xC3\xA9t\xC3\xA9: msg"},
        {"<13>Nov 23 12:00:00 h lonely", "h", "<absent>", "<absent>", "lonely"},
        {"<13>Nov 23 12:00:00 h", "h", "<absent>", "<absent>", "<absent>"},
        {"<13>Nov 23 12:00:00", "<absent>", "<absent>", "<absent>", "<absent>"},
        {"<13>Nov 23 12:00:00  h  app: msg", "h", "app", "<absent>", "msg"},
        {"<13>Nov 23 12:00:00 h app:  two spaces", "h", "app", "<absent>", " two spaces"},
        /* RFC 3164 section 5.4 */
        {"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
         "mymachine", "su", "<absent>", "'su root' failed for lonvick on /dev/pts/8"},
        {"<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!", "10.0.0.99", "Use", "<absent>",
         "the BFG!"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(parse(cases[i].in), "%s: %s", cases[i].in, m.error);
        ck_assert_int_eq(m.format, SL_SYSLOG_RFC3164);
        ck_assert(m.has_timestamp);
        ck_assert_msg(strcmp(str(m.hostname), cases[i].host) == 0, "%s: host %s",
                      cases[i].in, str(m.hostname));
        ck_assert_msg(strcmp(str(m.app_name), cases[i].app) == 0, "%s: app %s",
                      cases[i].in, str(m.app_name));
        ck_assert_msg(strcmp(str(m.procid), cases[i].pid) == 0, "%s: pid %s",
                      cases[i].in, str(m.procid));
        ck_assert_msg(strcmp(str(m.message), cases[i].msg) == 0, "%s: msg %s",
                      cases[i].in, str(m.message));
    }
}
END_TEST

START_TEST(tag_and_pid_lengths_are_bounded)
{
    char line[1024], tag[200];
    memset(tag, 't', sizeof tag);
    tag[128] = 0;
    snprintf(line, sizeof line, "<13>Nov 23 12:00:00 h %s: m", tag);
    ck_assert(parse(line));
    ck_assert_uint_eq(m.app_name.len, 128);
    tag[128] = 't';
    tag[129] = 0;
    snprintf(line, sizeof line, "<13>Nov 23 12:00:00 h %s: m", tag);
    ck_assert(parse(line));
    ck_assert_str_eq(str(m.app_name), "<absent>");
    ck_assert_uint_eq(m.message.len, 129 + 3);
    snprintf(line, sizeof line, "<13>Nov 23 12:00:00 h a[%s]: m", tag);
    ck_assert(parse(line));
    ck_assert_str_eq(str(m.procid), "<absent>");
    ck_assert_str_eq(str(m.message), line + 22);
}
END_TEST

START_TEST(bsd_day_forms)
{
    ck_assert(parse("<13>Nov  3 01:02:03 h a: m"));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 11, 3, 1, 2, 3) * NS);
    ck_assert(parse("<13>Nov 3 01:02:03 h a: m"));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 11, 3, 1, 2, 3) * NS);
    ck_assert(parse("<13>Nov 03 01:02:03 h a: m"));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 11, 3, 1, 2, 3) * NS);
    ck_assert(parse("<13>nov 03 01:02:03 h a: m"));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 11, 3, 1, 2, 3) * NS);
    ck_assert(parse("<13>Nov 23 12:00:00.123456 h a: m"));     /* fraction */
    ck_assert_int_eq(m.timestamp_ns, NOW * NS + 123456000);
    ck_assert_str_eq(str(m.hostname), "h");
    /* not timestamps: the rest is the message */
    static const char *const not_ts[] = {
        "<13>Nox 23 12:00:00 h a: m", "<13>Nov 32 12:00:00 h a: m",
        "<13>Nov 00 12:00:00 h a: m", "<13>Nov 23 24:00:00 h a: m",
        "<13>Nov 23 12:60:00 h a: m", "<13>Nov 23 12:00:61 h a: m",
        "<13>Nov 23 12:00:00x h a: m", "<13>Nov 23 12:00 h a: m",
        "<13>Nov 23 12:00:00. h a: m", "<13>Nov  3  01:02:03 h a: m",
    };
    for (size_t i = 0; i < sizeof not_ts / sizeof not_ts[0]; i++) {
        ck_assert_msg(parse(not_ts[i]), "%s", not_ts[i]);
        ck_assert(!m.has_timestamp);
        ck_assert_int_eq(m.format, SL_SYSLOG_RFC3164);
        ck_assert_str_eq(str(m.hostname), "<absent>");
        ck_assert_str_eq(str(m.message), not_ts[i] + 4);
    }
}
END_TEST

/* A day the month does not have, in the year inferred: an error, and the
 * rest is still read. */
START_TEST(bsd_impossible_dates)
{
    const char *s = "<13>Nov 31 12:00:00 h a: m";
    ck_assert(!parse(s));
    assert_invalid(s);
    ck_assert_str_eq(m.error, "timestamp names a day that does not exist");
    ck_assert(!m.has_timestamp);
    ck_assert_int_eq(m.pri, 13);
    ck_assert_str_eq(str(m.hostname), "h");
    ck_assert_str_eq(str(m.app_name), "a");
    ck_assert(!parse_at("<13>Feb 29 12:00:00 h a: m", utc(2023, 3, 1, 0, 0, 0), 0));
    ck_assert(parse_at("<13>Feb 29 12:00:00 h a: m", utc(2024, 3, 1, 0, 0, 0), 0));
    ck_assert_int_eq(m.timestamp_ns, utc(2024, 2, 29, 12, 0, 0) * NS);
}
END_TEST

START_TEST(missing_pri)
{
    ck_assert(parse("Nov 23 12:00:00 myhost sshd[1]: hello"));
    assert_valid();
    ck_assert_int_eq(m.format, SL_SYSLOG_RFC3164);
    ck_assert_int_eq(m.pri, -1);
    ck_assert_int_eq(m.facility, -1);
    ck_assert_int_eq(m.severity, -1);
    ck_assert_int_eq(m.timestamp_ns, NOW * NS);
    ck_assert_str_eq(str(m.hostname), "myhost");
    ck_assert_str_eq(str(m.app_name), "sshd");
    ck_assert_str_eq(str(m.message), "hello");
    ck_assert(parse("2023-11-23T12:00:00Z myhost app: x"));
    ck_assert_str_eq(str(m.app_name), "app");
}
END_TEST

/* rsyslog's RSYSLOG_ForwardFormat and others: an ISO 8601 timestamp in
 * place of the BSD one. */
START_TEST(iso8601_in_bsd_messages)
{
    ck_assert(parse("<13>2023-11-23T12:00:00.5+01:00 myhost app[9]: x"));
    ck_assert_int_eq(m.format, SL_SYSLOG_RFC3164);
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 11, 23, 11, 0, 0) * NS + 500000000);
    ck_assert_str_eq(str(m.hostname), "myhost");
    ck_assert_str_eq(str(m.procid), "9");
    ck_assert(parse("<13>2023-11-23T12:00:00.123456Z myhost app: x"));
    ck_assert_int_eq(m.timestamp_ns, NOW * NS + 123456000);
    ck_assert(parse("<13>2023-11-23T12:00:00+0100 myhost app: x"));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 11, 23, 11, 0, 0) * NS);
    /* no zone: the caller's offset */
    ck_assert(parse_at("<13>2023-11-23T12:00:00 myhost app: x", NOW, 3600));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 11, 23, 11, 0, 0) * NS);
    ck_assert(parse("<13>2023-11-23T12:00:00 app: x"));
    ck_assert_str_eq(str(m.hostname), "<absent>");
    ck_assert_str_eq(str(m.app_name), "app");
    /* followed by something else: not a timestamp */
    ck_assert(parse("<13>2023-11-23T12:00:00Zx app: x"));
    ck_assert(!m.has_timestamp);
    ck_assert_str_eq(str(m.message), "2023-11-23T12:00:00Zx app: x");
}
END_TEST

START_TEST(bsd_timezone_offset)
{
    ck_assert(parse_at("<13>Nov 23 12:00:00 h a: m", NOW, 3600));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 11, 23, 11, 0, 0) * NS);
    ck_assert(parse_at("<13>Nov 23 12:00:00 h a: m", NOW, -5 * 3600));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 11, 23, 17, 0, 0) * NS);
}
END_TEST

START_TEST(new_year_inference)
{
    /* read just after New Year: December is last year */
    ck_assert(parse_at("<13>Dec 31 23:59:58 h a: m", utc(2024, 1, 1, 0, 0, 10), 0));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 12, 31, 23, 59, 58) * NS);
    /* read just before it (the sender's clock is ahead): next year */
    ck_assert(parse_at("<13>Jan  1 00:00:05 h a: m", utc(2023, 12, 31, 23, 59, 50), 0));
    ck_assert_int_eq(m.timestamp_ns, utc(2024, 1, 1, 0, 0, 5) * NS);
    /* the same in the sender's zone: at 23:30 UTC it is already 00:30 in
     * UTC+1, and "Jan 1 00:29" there is this (new) year, not next */
    ck_assert(parse_at("<13>Jan  1 00:29:00 h a: m", utc(2023, 12, 31, 23, 30, 0), 3600));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 12, 31, 23, 29, 0) * NS);
    /* and "Dec 31 23:59" seen at 00:30 local (23:30 UTC) is last year's */
    ck_assert(parse_at("<13>Dec 31 23:59:00 h a: m", utc(2023, 12, 31, 23, 30, 0), 3600));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 12, 31, 22, 59, 0) * NS);
    /* up to about a month ahead is this year; more is last year */
    int64_t mid_march = utc(2024, 3, 15, 12, 0, 0);
    ck_assert(parse_at("<13>Apr 10 00:00:00 h a: m", mid_march, 0));
    ck_assert_int_eq(m.timestamp_ns, utc(2024, 4, 10, 0, 0, 0) * NS);
    ck_assert(parse_at("<13>May  1 00:00:00 h a: m", mid_march, 0));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 5, 1, 0, 0, 0) * NS);
    ck_assert(parse_at("<13>Mar 16 00:00:00 h a: m", mid_march, 0));
    ck_assert_int_eq(m.timestamp_ns, utc(2024, 3, 16, 0, 0, 0) * NS);
    ck_assert(parse_at("<13>Mar 14 00:00:00 h a: m", mid_march, 0));
    ck_assert_int_eq(m.timestamp_ns, utc(2024, 3, 14, 0, 0, 0) * NS);
    /* January seen in early December is this year's, not next year's */
    ck_assert(parse_at("<13>Jan 15 00:00:00 h a: m", utc(2023, 12, 1, 0, 0, 0), 0));
    ck_assert_int_eq(m.timestamp_ns, utc(2023, 1, 15, 0, 0, 0) * NS);
}
END_TEST

/* `now` and the offset at their extremes neither overflow nor hang. */
START_TEST(extreme_now_and_offset)
{
    ck_assert(!parse_at("<13>Nov 23 12:00:00 h a: m", INT64_MAX, INT32_MAX));
    ck_assert_str_eq(m.error, "timestamp is out of range");
    ck_assert_str_eq(str(m.hostname), "h");
    ck_assert(!parse_at("<13>Nov 23 12:00:00 h a: m", INT64_MIN, INT32_MIN));
    ck_assert(parse_at("<13>Nov 23 12:00:00 h a: m", 0, INT32_MAX));
    ck_assert(m.has_timestamp);
}
END_TEST

/* ---- PRI -------------------------------------------------------------- */

START_TEST(valid_pri_bounds)
{
    ck_assert(parse("<0>Nov 23 12:00:00 h a: m"));
    ck_assert_int_eq(m.pri, 0);
    ck_assert_int_eq(m.facility, 0);
    ck_assert_int_eq(m.severity, 0);
    ck_assert(parse("<191>Nov 23 12:00:00 h a: m"));
    ck_assert_int_eq(m.facility, 23);
    ck_assert_int_eq(m.severity, 7);
    ck_assert(parse("<7>1 - - - - - -"));
    ck_assert_int_eq(m.facility, 0);
    ck_assert_int_eq(m.severity, 7);
}
END_TEST

START_TEST(invalid_pris)
{
    static const struct {
        const char *in, *err;
    } cases[] = {
        {"<192>Nov 23 12:00:00 h a: m", "PRI is out of the range 0..191"},
        {"<999>Nov 23 12:00:00 h a: m", "PRI is out of the range 0..191"},
        {"<01>Nov 23 12:00:00 h a: m", "PRI has a leading zero"},
        {"<00>Nov 23 12:00:00 h a: m", "PRI has a leading zero"},
        {"<0013>Nov 23 12:00:00 h a: m", "PRI has more than 3 digits"},
        {"<1234>Nov 23 12:00:00 h a: m", "PRI has more than 3 digits"},
        {"<>Nov 23 12:00:00 h a: m", "PRI has no digits"},
        {"<13", "PRI is not terminated by '>'"},
        {"<13 Nov 23 12:00:00 h a: m", "PRI is not terminated by '>'"},
        {"<", "PRI has no digits"},
        {"<abc>hello", "PRI has no digits"},
        {"<-1>hello", "PRI has no digits"},
        {"<1a>hello", "PRI is not terminated by '>'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(!parse(cases[i].in), "%s", cases[i].in);
        assert_invalid(cases[i].in);
        ck_assert_str_eq(m.error, cases[i].err);
        ck_assert_int_eq(m.pri, -1);
        ck_assert_int_eq(m.facility, -1);
        ck_assert_int_eq(m.severity, -1);
    }
    /* a terminated PRI: what follows is still read */
    ck_assert(!parse("<192>Nov 23 12:00:00 h a[1]: m"));
    ck_assert_int_eq(m.format, SL_SYSLOG_RFC3164);
    ck_assert(m.has_timestamp);
    ck_assert_str_eq(str(m.hostname), "h");
    ck_assert_str_eq(str(m.procid), "1");
    ck_assert(!parse("<01>1 - host app - - - m"));
    ck_assert_int_eq(m.format, SL_SYSLOG_RFC5424);
    ck_assert_str_eq(str(m.hostname), "host");
    /* an unterminated one: nothing else */
    ck_assert(!parse("<13 Nov 23 12:00:00 h a: m"));
    ck_assert_int_eq(m.format, SL_SYSLOG_UNKNOWN);
    ck_assert(!m.has_timestamp);
    ck_assert_str_eq(str(m.hostname), "<absent>");
}
END_TEST

/* Digit runs of any length: bounded, no overflow, no hang. */
START_TEST(huge_digit_runs)
{
    size_t n = 100000;
    char *s = malloc(n + 64);
    s[0] = '<';
    memset(s + 1, '9', n);
    strcpy(s + 1 + n, ">hello");
    ck_assert(!parse(s));
    ck_assert_str_eq(m.error, "PRI has more than 3 digits");
    assert_invalid(s);

    memset(s + 1, '1', n);                  /* and unterminated */
    s[n + 1] = 0;
    ck_assert(!parse(s));
    ck_assert_str_eq(m.error, "PRI is not terminated by '>'");

    /* a 100000-digit fraction: the first nine count */
    strcpy(s, "<13>1 2003-10-11T22:14:15.");
    size_t at = strlen(s);
    memset(s + at, '7', n);
    strcpy(s + at + n, "Z h a - - - m");
    ck_assert(parse(s));
    ck_assert_int_eq(m.timestamp_ns, 1065910455LL * NS + 777777777);
    ck_assert_str_eq(str(m.message), "m");

    /* a 4-digit VERSION is not RFC 5424 */
    ck_assert(parse("<13>1000 - h a - - - m"));
    ck_assert_int_eq(m.format, SL_SYSLOG_RFC3164);
    ck_assert_str_eq(str(m.message), "1000 - h a - - - m");
    /* RFC 3164 section 5.4's "<0>1990 Oct 22 ..." likewise */
    ck_assert(parse("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 "
                    "sched[0]: That's All Folks!"));
    ck_assert_int_eq(m.format, SL_SYSLOG_RFC3164);
    ck_assert(!m.has_timestamp);
    ck_assert_str_eq(str(m.message), "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org "
                                     "10.1.2.3 sched[0]: That's All Folks!");
    free(s);
}
END_TEST

/* ---- other input ------------------------------------------------------ */

START_TEST(not_syslog)
{
    const char *s = "hello world";
    ck_assert(!parse(s));
    assert_invalid(s);
    ck_assert_int_eq(m.format, SL_SYSLOG_UNKNOWN);
    ck_assert_str_eq(sl_syslog_format_name(m.format), "unknown");
    ck_assert_str_eq(m.error, "not a syslog message: no PRI and no timestamp");
    ck_assert(!sl_syslog_parse("", 0, NOW, 0, &m));
    ck_assert_str_eq(m.error, "empty message");
    ck_assert_uint_eq(m.message.len, 0);
}
END_TEST

/* A PRI and anything: RFC 3164 with the rest as its message. */
START_TEST(pri_without_header)
{
    ck_assert(parse("<13>hello world"));
    assert_valid();
    ck_assert_int_eq(m.format, SL_SYSLOG_RFC3164);
    ck_assert(!m.has_timestamp);
    ck_assert_str_eq(str(m.hostname), "<absent>");
    ck_assert_str_eq(str(m.message), "hello world");
    ck_assert(parse("<13>"));
    ck_assert_str_eq(str(m.message), "<absent>");
    ck_assert(parse("<13>1"));              /* not "VERSION SP" */
    ck_assert_str_eq(str(m.message), "1");
}
END_TEST

START_TEST(nul_bytes_and_binary)
{
    static const char s[] = "<13>Nov 23 12:00:00 h a: x\0y\xff";
    ck_assert(sl_syslog_parse(s, sizeof s - 1, NOW, 0, &m));
    ck_assert_uint_eq(m.message.len, 4);
    ck_assert_int_eq(memcmp(m.message.ptr, "x\0y\xff", 4), 0);
    static const char t[] = "<13>1 - h a - - - \0\0";
    ck_assert(sl_syslog_parse(t, sizeof t - 1, NOW, 0, &m));
    ck_assert_uint_eq(m.message.len, 2);
    static const char u[] = "<13>1 - h\0 a - - - m";    /* a NUL in a field */
    ck_assert(!sl_syslog_parse(u, sizeof u - 1, NOW, 0, &m));
    ck_assert_str_eq(m.error, "RFC 5424 HOSTNAME is not valid");
}
END_TEST

static void assert_inside(sl_syslog_span s, const char *buf, size_t len)
{
    if (!s.ptr) {
        ck_assert_uint_eq(s.len, 0);
        return;
    }
    ck_assert(s.ptr >= buf && s.len <= len && (size_t)(s.ptr - buf) <= len - s.len);
}

/* Every prefix of a set of messages, each in a buffer of exactly its size
 * (valgrind and ASan see any read past it): spans stay inside. */
START_TEST(never_reads_past_the_length)
{
    static const char *const msgs[] = {
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
        "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
        "[examplePriority@32473 class=\"high\"] \xEF\xBB\xBFmsg",
        "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% x",
        "<13>Nov  3 12:00:00.123 myhost sshd[1234]: hello",
        "<13>2023-11-23T12:00:00.123+01:00 myhost app: hello",
        "Nov 23 12:00:00 sshd: x",
        "<13>1 - h a - - [a b=\"\\\\\\\"\\]\"] m",
    };
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        size_t full = strlen(msgs[i]);
        for (size_t len = 0; len <= full; len++) {
            char *buf = malloc(len ? len : 1);
            memcpy(buf, msgs[i], len);
            sl_syslog_parse(buf, len, NOW, 0, &m);
            sl_syslog_span spans[] = {m.hostname, m.app_name, m.procid, m.msgid,
                                      m.structured_data, m.message};
            for (size_t k = 0; k < sizeof spans / sizeof spans[0]; k++)
                assert_inside(spans[k], buf, len);
            sl_syslog_sd_iter it, pit;
            sl_syslog_sd_element el;
            sl_syslog_sd_param p;
            sl_syslog_sd_iter_init(&it, m.structured_data);
            while (sl_syslog_sd_next_element(&it, &el)) {
                sl_syslog_sd_param_iter_init(&pit, &el);
                while (sl_syslog_sd_next_param(&pit, &p))
                    assert_inside(p.value, buf, len);
            }
            if (m.error)
                ck_assert_uint_eq(m.message.len, len);
            free(buf);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("syslog");
    TCase *tc = tcase_create("rfc5424");
    tcase_add_test(tc, rfc5424_example_1_bom_and_nil_values);
    tcase_add_test(tc, rfc5424_example_2_offset_and_microseconds);
    tcase_add_test(tc, rfc5424_example_3_structured_data);
    tcase_add_test(tc, rfc5424_example_4_two_elements_no_message);
    tcase_add_test(tc, logger_rfc5424);
    tcase_add_test(tc, rfc5424_nil_timestamp_and_all_nil);
    tcase_add_test(tc, rfc5424_fractions_and_offsets);
    tcase_add_test(tc, rfc5424_bad_timestamps);
    tcase_add_test(tc, rfc5424_malformed_header);
    tcase_add_test(tc, rfc5424_field_lengths);
    tcase_add_test(tc, rfc5424_bom_only_at_message_start);
    tcase_add_test(tc, sd_escapes_and_unescape);
    tcase_add_test(tc, sd_iterator_stops_at_malformed_input);
    suite_add_tcase(s, tc);

    tc = tcase_create("rfc3164");
    tcase_add_test(tc, logger_bsd);
    tcase_add_test(tc, missing_hostname);
    tcase_add_test(tc, tag_forms);
    tcase_add_test(tc, tag_and_pid_lengths_are_bounded);
    tcase_add_test(tc, bsd_day_forms);
    tcase_add_test(tc, bsd_impossible_dates);
    tcase_add_test(tc, missing_pri);
    tcase_add_test(tc, iso8601_in_bsd_messages);
    tcase_add_test(tc, bsd_timezone_offset);
    tcase_add_test(tc, new_year_inference);
    tcase_add_test(tc, extreme_now_and_offset);
    suite_add_tcase(s, tc);

    tc = tcase_create("pri_and_bounds");
    tcase_add_test(tc, valid_pri_bounds);
    tcase_add_test(tc, invalid_pris);
    tcase_add_test(tc, huge_digit_runs);
    tcase_add_test(tc, not_syslog);
    tcase_add_test(tc, pri_without_header);
    tcase_add_test(tc, nul_bytes_and_binary);
    tcase_add_test(tc, never_reads_past_the_length);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
