/* test_encode.c: batch encodings (ndjson, json_array, raw, piecewise and
 * whole), content types, and gzip members that zlib reads back, alone and
 * concatenated, with the compressor state reused across batches. */
#include "check_main.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "encode.h"
#include "pipeline_config.h"

static sl_chunk *three_events(sl_event *evs[3])
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    evs[0] = sl_chunk_add_event(c, "one", 3, 0);
    evs[1] = sl_chunk_add_event(c, "two \"2\"", 7, 1000000000);
    evs[2] = sl_chunk_add_event(c, "three", 5, 2000000000);
    sl_event_set_int(evs[1], "n", 2);
    return c;
}

static char *encoded(sl_event *const *evs, size_t n, int enc)
{
    static sl_buf b;
    sl_buf_reset(&b);
    sl_encode_batch(&b, evs, n, enc);
    sl_buf_putc(&b, 0);
    return b.p;
}

START_TEST(batch_encodings)
{
    sl_event *evs[3];
    sl_chunk *c = three_events(evs);
    ck_assert_str_eq(encoded(evs, 3, SL_ENC_RAW), "one\ntwo \"2\"\nthree\n");
    ck_assert_str_eq(encoded(evs, 2, SL_ENC_NDJSON),
                     "{\"timestamp\":\"1970-01-01T00:00:00.000000Z\",\"message\":\"one\"}\n"
                     "{\"timestamp\":\"1970-01-01T00:00:01.000000Z\",\"message\":\"two \\\"2\\\"\","
                     "\"n\":2}\n");
    ck_assert_str_eq(encoded(evs, 2, SL_ENC_JSON_ARRAY),
                     "[{\"timestamp\":\"1970-01-01T00:00:00.000000Z\",\"message\":\"one\"},"
                     "{\"timestamp\":\"1970-01-01T00:00:01.000000Z\",\"message\":\"two \\\"2\\\"\","
                     "\"n\":2}]\n");
    ck_assert_str_eq(encoded(evs, 0, SL_ENC_JSON_ARRAY), "[]\n");
    ck_assert_str_eq(encoded(evs, 0, SL_ENC_NDJSON), "");
    sl_chunk_discard(c);
}
END_TEST

START_TEST(piecewise_equals_whole)
{
    sl_event *evs[3];
    sl_chunk *c = three_events(evs);
    for (int enc = SL_ENC_NDJSON; enc <= SL_ENC_RAW; enc++) {
        sl_buf b = {0};
        sl_encode_begin(&b, enc);
        for (size_t i = 0; i < 3; i++)
            sl_encode_add(&b, evs[i], enc, i);
        sl_encode_end(&b, enc, 3);
        sl_buf_putc(&b, 0);
        ck_assert_str_eq(b.p, encoded(evs, 3, enc));
        sl_buf_free(&b);
    }
    /* One event alone ends with a newline in every encoding. */
    sl_buf one = {0};
    sl_encode_event(&one, evs[0], SL_ENC_JSON_ARRAY);
    sl_buf_putc(&one, 0);
    ck_assert_str_eq(one.p, "{\"timestamp\":\"1970-01-01T00:00:00.000000Z\",\"message\":\"one\"}\n");
    sl_buf_free(&one);
    sl_chunk_discard(c);
}
END_TEST

/* Encoded ahead by a worker, the batch is the same bytes; an event staged
 * for two destinations is encoded once; the buffer is charged. */
START_TEST(encoded_ahead_equals_encoded)
{
    sl_event *evs[3];
    sl_chunk *c = three_events(evs);
    char *before[3];
    for (int enc = SL_ENC_NDJSON; enc <= SL_ENC_RAW; enc++)
        before[enc] = strdup(encoded(evs, 3, enc));
    sl_event *staged[4] = {evs[2], evs[0], evs[2], evs[1]};
    size_t grew = sl_encode_ahead(c, staged, 4);
    ck_assert_uint_ge(grew, c->json.len);
    ck_assert_uint_eq(c->json.cap, c->json.len);     /* trimmed to fit */
    for (int i = 0; i < 3; i++)
        ck_assert_uint_gt(evs[i]->json_len, 0);
    /* staged order: evs[2] first, once */
    ck_assert_uint_eq(evs[2]->json_off, 0);
    ck_assert_uint_eq(evs[0]->json_off, evs[2]->json_len);
    ck_assert_uint_eq(c->json.len, evs[0]->json_len + evs[1]->json_len + evs[2]->json_len);
    /* a second destination's call finds them encoded: nothing grows */
    ck_assert_uint_eq(sl_encode_ahead(c, evs, 3), 0);
    for (int enc = SL_ENC_NDJSON; enc <= SL_ENC_RAW; enc++) {
        ck_assert_str_eq(encoded(evs, 3, enc), before[enc]);
        free(before[enc]);
    }
    sl_buf one = {0};
    sl_encode_event(&one, evs[1], SL_ENC_NDJSON);
    sl_buf_putc(&one, 0);
    ck_assert_str_eq(one.p, "{\"timestamp\":\"1970-01-01T00:00:01.000000Z\","
                            "\"message\":\"two \\\"2\\\"\",\"n\":2}\n");
    sl_buf_free(&one);
    sl_chunk_discard(c);    /* frees c->json too (valgrind checks) */
}
END_TEST

/* Encoded ahead, the chunk's own keys (source, origin, host) are escaped
 * once and copied to the following events: the bytes are the same as each
 * event encoded alone, whichever keys fields replace, in any order. */
START_TEST(encoded_ahead_with_replaced_keys)
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    c->host = "web \"1\"";
    c->origin = "10.0.0.1:514";
    c->origin_key = "peer";
    sl_event *evs[6];
    for (int i = 0; i < 6; i++)
        evs[i] = sl_chunk_add_event(c, "m", 1, (int64_t)i * 1000000000);
    sl_event_set_int(evs[0], "timestamp", 1);  /* first: no timestamp, keys lead */
    sl_event_set_string(evs[2], "host", "h", 1);
    sl_event_set_int(evs[3], "timestamp", 3);  /* after the keys were seen whole */
    sl_event_set_string(evs[4], "peer", "p", 1);
    char *before = strdup(encoded(evs, 6, SL_ENC_NDJSON));
    ck_assert_uint_gt(sl_encode_ahead(c, evs, 6), 0);
    ck_assert_str_eq(encoded(evs, 6, SL_ENC_NDJSON), before);
    ck_assert_str_eq(before,
                     "{\"peer\":\"10.0.0.1:514\",\"host\":\"web \\\"1\\\"\",\"message\":\"m\",\"timestamp\":1}\n"
                     "{\"timestamp\":\"1970-01-01T00:00:01.000000Z\",\"peer\":\"10.0.0.1:514\","
                     "\"host\":\"web \\\"1\\\"\",\"message\":\"m\"}\n"
                     "{\"timestamp\":\"1970-01-01T00:00:02.000000Z\",\"peer\":\"10.0.0.1:514\","
                     "\"message\":\"m\",\"host\":\"h\"}\n"
                     "{\"peer\":\"10.0.0.1:514\",\"host\":\"web \\\"1\\\"\",\"message\":\"m\",\"timestamp\":3}\n"
                     "{\"timestamp\":\"1970-01-01T00:00:04.000000Z\",\"host\":\"web \\\"1\\\"\","
                     "\"message\":\"m\",\"peer\":\"p\"}\n"
                     "{\"timestamp\":\"1970-01-01T00:00:05.000000Z\",\"peer\":\"10.0.0.1:514\","
                     "\"host\":\"web \\\"1\\\"\",\"message\":\"m\"}\n");
    free(before);
    sl_chunk_discard(c);
}
END_TEST

/* A field named like a built-in key replaces it (once, in field order). */
START_TEST(fields_replace_built_in_keys)
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    c->host = "web-1";
    c->origin = "/var/log/a.log";
    c->origin_key = "file";
    sl_event *ev = sl_chunk_add_event(c, "raw", 3, 0);
    ck_assert_str_eq(encoded(&ev, 1, SL_ENC_NDJSON),
                     "{\"timestamp\":\"1970-01-01T00:00:00.000000Z\",\"file\":\"/var/log/a.log\","
                     "\"host\":\"web-1\",\"message\":\"raw\"}\n");
    sl_event_set_string(ev, "message", "parsed", 6);
    sl_event_set_string(ev, "file", "f", 1);
    sl_event_set_int(ev, "timestamp", 7);
    sl_event_set_string(ev, "host", "h", 1);
    sl_event_set_string(ev, "hostname", "x", 1);
    ck_assert_str_eq(encoded(&ev, 1, SL_ENC_NDJSON),
                     "{\"message\":\"parsed\",\"file\":\"f\",\"timestamp\":7,\"host\":\"h\","
                     "\"hostname\":\"x\"}\n");
    sl_chunk_discard(c);
}
END_TEST

START_TEST(content_types)
{
    ck_assert_str_eq(sl_encoding_content_type(SL_ENC_NDJSON), "application/x-ndjson");
    ck_assert_str_eq(sl_encoding_content_type(SL_ENC_JSON_ARRAY), "application/json");
    ck_assert_str_eq(sl_encoding_content_type(SL_ENC_RAW), "text/plain; charset=utf-8");
}
END_TEST

/* Inflate every gzip member in in[0..n) into one malloc'd string. */
static char *gunzip_all(const char *in, size_t n, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    ck_assert_int_eq(inflateInit2(&zs, 15 + 16), Z_OK);
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap + 1);
    zs.next_in = (unsigned char *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    for (;;) {
        zs.next_out = (unsigned char *)out + len;
        zs.avail_out = (uInt)(cap - len);
        int rc = inflate(&zs, Z_NO_FLUSH);
        len = cap - zs.avail_out;
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0)
                break;
            inflateReset(&zs);
            continue;
        }
        ck_assert_int_eq(rc, Z_OK);
    }
    inflateEnd(&zs);
    out[len] = 0;
    *out_len = len;
    return out;
}

START_TEST(gzip_round_trip)
{
    sl_gzip g = {0};
    sl_buf z = {0};
    /* Something compressible and something that is not. */
    char *text = malloc(300000);
    for (size_t i = 0; i < 300000; i++)
        text[i] = (char)(i % 7 == 0 ? '\n' : 'a' + (i * 2654435761u >> 13) % 26);
    sl_gzip_compress(&g, 6, &z, text, 300000);
    ck_assert_uint_gt(z.len, 18);
    ck_assert_uint_lt(z.len, 300000);
    ck_assert_int_eq((unsigned char)z.p[0], 0x1f);      /* gzip magic */
    ck_assert_int_eq((unsigned char)z.p[1], 0x8b);
    /* A second member with the state reused, then one at another level:
     * concatenated, they read back as one stream. */
    sl_gzip_compress(&g, 6, &z, "second\n", 7);
    sl_gzip_compress(&g, 1, &z, "", 0);
    sl_gzip_compress(&g, 9, &z, "third\n", 6);
    size_t n;
    char *back = gunzip_all(z.p, z.len, &n);
    ck_assert_uint_eq(n, 300000 + 7 + 6);
    ck_assert_int_eq(memcmp(back, text, 300000), 0);
    ck_assert_str_eq(back + 300000, "second\nthird\n");
    free(back);
    free(text);
    sl_buf_free(&z);
    sl_gzip_free(&g);
    sl_gzip_free(&g);       /* twice is harmless */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("encode");
    TCase *tc = tcase_create("encode");
    tcase_add_test(tc, batch_encodings);
    tcase_add_test(tc, piecewise_equals_whole);
    tcase_add_test(tc, encoded_ahead_equals_encoded);
    tcase_add_test(tc, encoded_ahead_with_replaced_keys);
    tcase_add_test(tc, fields_replace_built_in_keys);
    tcase_add_test(tc, content_types);
    tcase_add_test(tc, gzip_round_trip);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
