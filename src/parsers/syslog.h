/* syslog.h: parses one syslog message (RFC 5424, RFC 3164 and the BSD
 * variants found in the wild) into spans of the input. A pure library: no
 * allocation, no copy, no I/O; it never reads past the given length, and
 * the input may hold any bytes, NULs included.
 *
 * A message that is not valid gets an error string, and its message span is
 * then the whole input: the caller keeps the event with its raw text and the
 * error, it never drops it. The fields parsed before the problem was found
 * are still filled in. */
#ifndef SLUICE_PARSERS_SYSLOG_H
#define SLUICE_PARSERS_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of the input: ptr is NULL (and len 0) for an absent field or an
 * RFC 5424 nil value "-". */
typedef struct {
    const char *ptr;
    size_t len;
} sl_syslog_span;

typedef enum {
    SL_SYSLOG_UNKNOWN = 0,  /* neither a PRI nor a timestamp was found */
    SL_SYSLOG_RFC5424,      /* "<PRI>VERSION SP ..." */
    SL_SYSLOG_RFC3164,      /* BSD syslog and its variants */
} sl_syslog_format;

typedef struct {
    int pri;                /* 0..191, or -1 when absent or invalid */
    int facility;           /* pri / 8, or -1 */
    int severity;           /* pri % 8, or -1 */
    int version;            /* RFC 5424 VERSION (1..999), else 0 */
    bool has_timestamp;     /* false when absent, nil or unparsable */
    int64_t timestamp_ns;   /* unix time in nanoseconds (UTC); 0 when absent */
    sl_syslog_span hostname;
    sl_syslog_span app_name;         /* RFC 3164: the tag without "[pid]:" */
    sl_syslog_span procid;           /* RFC 3164: the pid inside "[...]" */
    sl_syslog_span msgid;            /* RFC 5424 only */
    sl_syslog_span structured_data;  /* RFC 5424: the raw "[id p="v"]..." */
    sl_syslog_span message;          /* a leading UTF-8 BOM removed (5424);
                                        the whole input when error is set */
    sl_syslog_format format;
    const char *error;      /* NULL when valid; else a static string */
} sl_syslog_msg;

/* Parse msg[0..len) into *out (every field is set). `now` (unix seconds)
 * and `tz_offset` (seconds east of UTC, the sender's zone as the caller
 * decides) complete timestamps that lack them: a BSD "Mmm dd hh:mm:ss" has
 * no year and no zone, an ISO 8601 one in a BSD message may have no zone.
 * The year is the one that puts the timestamp at most about a month after
 * `now` and less than eleven months before it (a "Dec 31" read on
 * January 1st is last year's, a "Jan 1" read on December 31st next
 * year's). Returns true when the message is valid (out->error is NULL). */
bool sl_syslog_parse(const char *msg, size_t len, int64_t now, int32_t tz_offset,
                     sl_syslog_msg *out);

/* "rfc5424", "rfc3164" or "unknown". */
const char *sl_syslog_format_name(sl_syslog_format format);

/* Structured data: SD-ELEMENTs, and the SD-PARAMs of each, read from the
 * raw span (out->structured_data, or any other bytes: malformed input ends
 * the iteration, it is never read past). */
typedef struct {
    sl_syslog_span id;      /* SD-ID, e.g. "exampleSDID@32473" */
    sl_syslog_span params;  /* the raw text between the SD-ID and "]" */
} sl_syslog_sd_element;

typedef struct {
    sl_syslog_span name;
    sl_syslog_span value;   /* raw, between the quotes, escapes still in:
                               see sl_syslog_sd_unescape */
} sl_syslog_sd_param;

typedef struct {
    const char *pos, *end;
} sl_syslog_sd_iter;

/* Iterate over the SD-ELEMENTs of sd. */
void sl_syslog_sd_iter_init(sl_syslog_sd_iter *it, sl_syslog_span sd);
/* The next element into *el; false at the end or at malformed input. */
bool sl_syslog_sd_next_element(sl_syslog_sd_iter *it, sl_syslog_sd_element *el);

/* Iterate over the SD-PARAMs of one element. */
void sl_syslog_sd_param_iter_init(sl_syslog_sd_iter *it, const sl_syslog_sd_element *el);
/* The next param into *param; false at the end or at malformed input. */
bool sl_syslog_sd_next_param(sl_syslog_sd_iter *it, sl_syslog_sd_param *param);

/* Write a PARAM-VALUE with its escapes \" \\ \] resolved into
 * out[0..cap) (no NUL is added; any other backslash is kept as it is, as
 * RFC 5424 says). Returns the unescaped length, which is at most
 * value.len; when it exceeds cap, only the first cap bytes were written. */
size_t sl_syslog_sd_unescape(sl_syslog_span value, char *out, size_t cap);

#endif
