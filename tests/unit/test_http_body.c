/* test_http_body.c: the http source's body decoder without the network:
 * format choice by Content-Type, NDJSON, JSON arrays and plain lines into
 * events and fields, bodies that cannot be decoded (with a reason), and
 * gzip inflation bounded by max_body_bytes (a gzip bomb is TOO_BIG). */
#include "check_main.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sources/http_body.h"

static sl_chunk *body_chunk(const char *s, size_t n)
{
    sl_chunk *c = sl_chunk_new(NULL, n ? n : 1, NULL, NULL);
    memcpy(c->data, s, n);
    c->data_len = n;
    return c;
}

static size_t gzip(const char *in, size_t n, unsigned char *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                     Z_OK);
    zs.next_in = (unsigned char *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t len = cap - zs.avail_out;
    deflateEnd(&zs);
    return len;
}

START_TEST(format_by_content_type)
{
    ck_assert_int_eq(sl_http_body_format(SL_HTTP_FMT_AUTO, "application/json"),
                     SL_HTTP_FMT_JSON_ARRAY);
    ck_assert_int_eq(sl_http_body_format(SL_HTTP_FMT_AUTO, "Application/JSON; charset=utf-8"),
                     SL_HTTP_FMT_JSON_ARRAY);
    ck_assert_int_eq(sl_http_body_format(SL_HTTP_FMT_AUTO, "application/x-ndjson"),
                     SL_HTTP_FMT_NDJSON);
    ck_assert_int_eq(sl_http_body_format(SL_HTTP_FMT_AUTO, "text/plain"), SL_HTTP_FMT_LINES);
    ck_assert_int_eq(sl_http_body_format(SL_HTTP_FMT_AUTO, NULL), SL_HTTP_FMT_LINES);
    ck_assert_int_eq(sl_http_body_format(SL_HTTP_FMT_NDJSON, "application/json"),
                     SL_HTTP_FMT_NDJSON);
}
END_TEST

START_TEST(ndjson_and_lines)
{
    const char *why = NULL;
    const char *b = "{\"a\":1,\"m\":{\"k\":\"v\"}}\r\n\n{\"b\":\"x\"}";
    sl_chunk *c = body_chunk(b, strlen(b));
    ck_assert(sl_http_body_decode(c, SL_HTTP_FMT_NDJSON, 5, &why));
    ck_assert_uint_eq(c->n_events, 2);
    sl_value *v = sl_event_get(c->events[0], "a", 1);
    ck_assert(v && v->type == SL_VAL_INT && v->u.i == 1);
    v = sl_event_get(c->events[0], "m", 1);
    ck_assert(v && v->type == SL_VAL_MAP);
    ck_assert_uint_eq(c->events[0]->msg_len, strlen("{\"a\":1,\"m\":{\"k\":\"v\"}}"));
    ck_assert(c->events[1]->msg == c->data + strlen(b) - 9);
    ck_assert_int_eq(c->events[1]->time_ns, 5);
    sl_chunk_discard(c);

    c = body_chunk("one\r\ntwo\n\nthree", 15);
    ck_assert(sl_http_body_decode(c, SL_HTTP_FMT_LINES, 0, &why));
    ck_assert_uint_eq(c->n_events, 3);
    ck_assert_uint_eq(c->events[0]->msg_len, 3);
    ck_assert_uint_eq(c->events[2]->msg_len, 5);
    sl_chunk_discard(c);

    why = NULL;
    c = body_chunk("{\"a\":1}\nnope\n", 13);
    ck_assert(!sl_http_body_decode(c, SL_HTTP_FMT_NDJSON, 0, &why));
    ck_assert_ptr_nonnull(why);
    sl_chunk_discard(c);
    why = NULL;
    c = body_chunk("[1]\n", 4);
    ck_assert(!sl_http_body_decode(c, SL_HTTP_FMT_NDJSON, 0, &why));
    ck_assert_str_eq(why, "an NDJSON line is not a JSON object");
    sl_chunk_discard(c);
}
END_TEST

START_TEST(json_array)
{
    const char *why = NULL;
    const char *b = "[{\"a\":1},{\"b\":true,\"c\":[1,2]}]";
    sl_chunk *c = body_chunk(b, strlen(b));
    ck_assert(sl_http_body_decode(c, SL_HTTP_FMT_JSON_ARRAY, 0, &why));
    ck_assert_uint_eq(c->n_events, 2);
    ck_assert_uint_eq(c->events[0]->msg_len, 7);
    ck_assert(!memcmp(c->events[0]->msg, "{\"a\":1}", 7));
    sl_value *v = sl_event_get(c->events[1], "c", 1);
    ck_assert(v && v->type == SL_VAL_STRING && v->u.s.n == 5);
    sl_chunk_discard(c);

    const char *bad[] = {"[{\"a\":1},2]", "{\"a\":1}", "[{\"a\":", "nope"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        c = body_chunk(bad[i], strlen(bad[i]));
        ck_assert_msg(!sl_http_body_decode(c, SL_HTTP_FMT_JSON_ARRAY, 0, &why), "%s", bad[i]);
        ck_assert_ptr_nonnull(why);
        sl_chunk_discard(c);
    }
}
END_TEST

START_TEST(gunzip_bounded)
{
    static unsigned char gz[1 << 16];
    static char big[1 << 20];
    const char *why = NULL;
    char *out = NULL;
    size_t len = 0;
    size_t n = gzip("a\nb\n", 4, gz, sizeof gz);
    ck_assert_int_eq(sl_http_body_gunzip((char *)gz, n, 100, &out, &len, &why), SL_HTTP_GZ_OK);
    ck_assert_uint_eq(len, 4);
    ck_assert(!memcmp(out, "a\nb\n", 4));
    free(out);
    /* exactly at the bound is fine, one byte over is not */
    ck_assert_int_eq(sl_http_body_gunzip((char *)gz, n, 4, &out, &len, &why), SL_HTTP_GZ_OK);
    free(out);
    ck_assert_int_eq(sl_http_body_gunzip((char *)gz, n, 3, &out, &len, &why),
                     SL_HTTP_GZ_TOO_BIG);
    /* a bomb: 1 MiB of zeros in about 1 KiB, against a 64 KiB bound */
    memset(big, 0, sizeof big);
    n = gzip(big, sizeof big, gz, sizeof gz);
    ck_assert_uint_lt(n, 4096);
    ck_assert_int_eq(sl_http_body_gunzip((char *)gz, n, 65536, &out, &len, &why),
                     SL_HTTP_GZ_TOO_BIG);
    /* truncated and not gzip at all */
    n = gzip("hello world\n", 12, gz, sizeof gz);
    why = NULL;
    ck_assert_int_eq(sl_http_body_gunzip((char *)gz, n - 4, 100, &out, &len, &why),
                     SL_HTTP_GZ_BAD);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_eq(sl_http_body_gunzip("plain", 5, 100, &out, &len, &why), SL_HTTP_GZ_BAD);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_body");
    TCase *tc = tcase_create("http_body");
    tcase_add_test(tc, format_by_content_type);
    tcase_add_test(tc, ndjson_and_lines);
    tcase_add_test(tc, json_array);
    tcase_add_test(tc, gunzip_bounded);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
