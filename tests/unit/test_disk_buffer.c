/* test_disk_buffer.c: the disk buffer's pieces: CRC-32C against known
 * values (hardware and table paths give the same answer at every length
 * and alignment), the record format (every value type, nested maps and
 * the chunk-level fields survive a round trip; truncated, corrupted and
 * malformed records are told apart), and the segment log (appends, segment
 * roll-over, locating a reader, releasing deletes whole segments, the
 * released position survives reopening and a corrupt one is reported,
 * a second owner of the directory is refused). */
#include "check_main.h"
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buffer/disk_log.h"
#include "buffer/event_record.h"
#include "runtime.h"
#include "util/crc32c.h"

START_TEST(crc32c_known_values)
{
    ck_assert_uint_eq(sl_crc32c(0, "123456789", 9), 0xe3069283u);
    ck_assert_uint_eq(sl_crc32c(0, "", 0), 0);
    unsigned char zeros[32] = {0};
    ck_assert_uint_eq(sl_crc32c(0, zeros, 32), 0x8a9136aau);   /* RFC 3720 B.4 */
    unsigned char ff[32];
    memset(ff, 0xff, sizeof ff);
    ck_assert_uint_eq(sl_crc32c(0, ff, 32), 0x62a8ab43u);
    /* continuing a CRC equals computing it in one go, at any split */
    char buf[300];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)(i * 7 + 3);
    uint32_t whole = sl_crc32c(0, buf, sizeof buf);
    for (size_t cut = 0; cut <= sizeof buf; cut += 13)
        ck_assert_uint_eq(sl_crc32c(sl_crc32c(0, buf, cut), buf + cut, sizeof buf - cut), whole);
    /* unaligned starts */
    for (size_t off = 1; off < 8; off++) {
        char *copy = malloc(sizeof buf + 8);
        memcpy(copy + off, buf, sizeof buf);
        ck_assert_uint_eq(sl_crc32c(0, copy + off, sizeof buf), whole);
        free(copy);
    }
}
END_TEST

static sl_source fake_source = {.name = "web-logs"};

static sl_chunk *sample_chunk(void)
{
    sl_chunk *c = sl_chunk_new(&fake_source, 0, NULL, NULL);
    c->origin_key = "file";
    c->origin = "/var/log/nginx/access.log";
    c->host = NULL;
    sl_event *ev = sl_chunk_add_event(c, "GET / 200", 9, 1700000000123456789LL);
    ev->flags = SL_EVF_TRUNCATED;
    sl_event_set_string(ev, "path", "/index.html", 11);
    sl_event_set_int(ev, "status", -404);
    sl_value *v = sl_event_set(ev, "ratio", 5);
    v->type = SL_VAL_FLOAT;
    v->u.f = 0.25;
    v = sl_event_set(ev, "ok", 2);
    v->type = SL_VAL_BOOL;
    v->u.b = true;
    v = sl_event_set(ev, "none", 4);
    v->type = SL_VAL_NULL;
    v = sl_event_set(ev, "at", 2);
    v->type = SL_VAL_TIME;
    v->u.t_ns = -5;
    sl_fields *m = sl_fields_new_map(c);
    sl_value *inner = sl_fields_set(c, m, "k", 1);
    inner->type = SL_VAL_STRING;
    inner->u.s.p = "v\0x";
    inner->u.s.n = 3;
    v = sl_event_set(ev, "nested", 6);
    v->type = SL_VAL_MAP;
    v->u.map = m;
    return c;
}

START_TEST(record_round_trip)
{
    sl_chunk *c = sample_chunk();
    sl_buf b = {0};
    sl_record_append(&b, c->events[0]);
    sl_record_append(&b, c->events[0]);
    const uint8_t *pl;
    uint32_t plen;
    size_t rlen;
    ck_assert_int_eq(sl_record_parse((uint8_t *)b.p, b.len, &pl, &plen, &rlen), SL_REC_OK);
    ck_assert_uint_eq(rlen * 2, b.len);
    sl_record_meta m;
    ck_assert(sl_record_meta_decode(pl, plen, &m));
    ck_assert(m.source.set && m.source.n == 8 && memcmp(m.source.p, "web-logs", 8) == 0);
    ck_assert(m.origin_key.set && m.origin.set && !m.host.set);
    sl_record_meta m2;
    const uint8_t *pl2;
    uint32_t plen2;
    size_t rlen2;
    ck_assert_int_eq(sl_record_parse((uint8_t *)b.p + rlen, b.len - rlen, &pl2, &plen2, &rlen2),
                     SL_REC_OK);
    ck_assert(sl_record_meta_decode(pl2, plen2, &m2));
    ck_assert(sl_record_meta_equal(&m, &m2));

    sl_chunk *r = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = sl_record_decode_event(r, pl, plen);
    ck_assert_ptr_nonnull(ev);
    ck_assert_uint_eq(ev->msg_len, 9);
    ck_assert(memcmp(ev->msg, "GET / 200", 9) == 0);
    ck_assert_int_eq(ev->time_ns, 1700000000123456789LL);
    ck_assert_uint_eq(ev->flags, SL_EVF_TRUNCATED);
    ck_assert_uint_eq(ev->fields.n, 7);
    sl_value *v = sl_event_get(ev, "status", 6);
    ck_assert(v && v->type == SL_VAL_INT && v->u.i == -404);
    v = sl_event_get(ev, "ratio", 5);
    ck_assert(v && v->type == SL_VAL_FLOAT && v->u.f == 0.25);
    v = sl_event_get(ev, "ok", 2);
    ck_assert(v && v->type == SL_VAL_BOOL && v->u.b);
    v = sl_event_get(ev, "none", 4);
    ck_assert(v && v->type == SL_VAL_NULL);
    v = sl_event_get(ev, "at", 2);
    ck_assert(v && v->type == SL_VAL_TIME && v->u.t_ns == -5);
    v = sl_event_get(ev, "nested", 6);
    ck_assert(v && v->type == SL_VAL_MAP && v->u.map->n == 1);
    sl_value *k = sl_fields_get(v->u.map, "k", 1);
    ck_assert(k && k->type == SL_VAL_STRING && k->u.s.n == 3 && memcmp(k->u.s.p, "v\0x", 3) == 0);
    /* field order is kept */
    ck_assert(memcmp(ev->fields.v[0].name, "path", 4) == 0);
    sl_chunk_discard(r);
    sl_chunk_discard(c);
    sl_buf_free(&b);
}
END_TEST

START_TEST(record_damage_is_detected)
{
    sl_chunk *c = sample_chunk();
    sl_buf b = {0};
    sl_record_append(&b, c->events[0]);
    const uint8_t *pl;
    uint32_t plen;
    size_t rlen;
    /* every proper prefix is SHORT (needs more), never OK */
    for (size_t n = 1; n < b.len; n++)
        ck_assert_int_eq(sl_record_parse((uint8_t *)b.p, n, &pl, &plen, &rlen), SL_REC_SHORT);
    /* any single flipped byte is BAD (or a length now past the end: SHORT) */
    for (size_t i = 0; i < b.len; i++) {
        b.p[i] ^= 0x20;
        sl_rec_status st = sl_record_parse((uint8_t *)b.p, b.len, &pl, &plen, &rlen);
        ck_assert_int_ne(st, SL_REC_OK);
        b.p[i] ^= 0x20;
    }
    ck_assert_int_eq(sl_record_parse((uint8_t *)"XLR1", 4, &pl, &plen, &rlen), SL_REC_BAD);
    /* an absurd length is BAD at once, not a wait for 4 GiB */
    unsigned char huge[12] = {'S', 'L', 'R', '1', 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0};
    ck_assert_int_eq(sl_record_parse(huge, 12, &pl, &plen, &rlen), SL_REC_BAD);
    /* a payload with a valid frame but a malformed body is refused */
    sl_chunk *r = sl_chunk_new(NULL, 0, NULL, NULL);
    ck_assert_ptr_null(sl_record_decode_event(r, (const uint8_t *)"\x01\x00", 2));
    ck_assert_ptr_null(sl_record_decode_event(r, (const uint8_t *)"\x02", 1));
    ck_assert_int_eq(r->n_events, 0);
    sl_chunk_discard(r);
    sl_chunk_discard(c);
    sl_buf_free(&b);
}
END_TEST

static char dir_tmpl[64];

static const char *make_dir(void)
{
    snprintf(dir_tmpl, sizeof dir_tmpl, "/tmp/sluice-dlog-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir_tmpl));
    return dir_tmpl;
}

static int count_segments(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strstr(de->d_name, ".seg"))
            n++;
    closedir(d);
    return n;
}

static void remove_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(log_append_roll_release)
{
    const char *dir = make_dir();
    char *err, *note;
    sl_disk_log *l = sl_dlog_open(dir, 100, &err, &note);
    ck_assert_ptr_nonnull(l);
    ck_assert_ptr_null(note);
    char rec[60];
    memset(rec, 'r', sizeof rec);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(sl_dlog_append(l, rec, sizeof rec, true), 0);
    /* 60+60 > 100 rolls: segments of 120, 120, 60 bytes */
    ck_assert_uint_eq(sl_dlog_end(l), 300);
    ck_assert_int_eq(count_segments(dir), 3);
    ck_assert_uint_eq(sl_dlog_disk_bytes(l), 300);
    uint64_t pos = 130, base, limit, gap;
    bool sealed;
    ck_assert(sl_dlog_locate(l, &pos, &base, &limit, &sealed, &gap));
    ck_assert_uint_eq(base, 120);
    ck_assert_uint_eq(limit, 240);
    ck_assert(sealed);
    pos = 250;
    ck_assert(sl_dlog_locate(l, &pos, &base, &limit, &sealed, &gap));
    ck_assert(!sealed);     /* the active segment grows */
    pos = 300;
    ck_assert(!sl_dlog_locate(l, &pos, &base, &limit, &sealed, &gap));
    /* releasing within the second segment deletes only the first */
    ck_assert_int_eq(sl_dlog_release(l, 200), 0);
    ck_assert_int_eq(count_segments(dir), 2);
    ck_assert_uint_eq(sl_dlog_disk_bytes(l), 180);
    /* a second owner is refused while the first holds it */
    char *err2, *note2;
    ck_assert_ptr_null(sl_dlog_open(dir, 100, &err2, &note2));
    ck_assert_ptr_nonnull(strstr(err2, "in use"));
    free(err2);
    sl_dlog_close(l);
    /* reopening: the released position is kept; the old active segment is
     * sealed; appends go to a new segment after everything */
    l = sl_dlog_open(dir, 100, &err, &note);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(sl_dlog_released(l), 200);
    ck_assert_uint_eq(sl_dlog_end(l), 300);
    pos = 250;
    ck_assert(sl_dlog_locate(l, &pos, &base, &limit, &sealed, &gap));
    ck_assert(sealed);
    ck_assert_int_eq(sl_dlog_append(l, rec, sizeof rec, false), 0);
    ck_assert_uint_eq(sl_dlog_end(l), 360);
    ck_assert_int_eq(count_segments(dir), 3);
    /* releasing everything keeps only the active segment */
    ck_assert_int_eq(sl_dlog_release(l, 360), 0);
    ck_assert_int_eq(count_segments(dir), 1);
    sl_dlog_close(l);
    /* a missing segment is a gap the reader jumps */
    l = sl_dlog_open(dir, 100, &err, &note);
    ck_assert_int_eq(count_segments(dir), 0);  /* 300..360 was released: deleted */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(sl_dlog_append(l, rec, sizeof rec, false), 0);
    ck_assert_int_eq(count_segments(dir), 2);  /* 360..480, 480..540 */
    sl_dlog_close(l);
    char *p = sl_dlog_segment_path(l = sl_dlog_open(dir, 100, &err, &note), 360);
    ck_assert_int_eq(unlink(p), 0);
    free(p);
    sl_dlog_close(l);
    l = sl_dlog_open(dir, 100, &err, &note);
    pos = 360;
    ck_assert(sl_dlog_locate(l, &pos, &base, &limit, &sealed, &gap));
    ck_assert_uint_eq(gap, 120);
    ck_assert_uint_eq(pos, 480);
    ck_assert_uint_eq(limit, 540);
    sl_dlog_close(l);
    remove_dir(dir);
}
END_TEST

START_TEST(log_corrupt_released_file_is_reported)
{
    const char *dir = make_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/released", dir);
    FILE *f = fopen(path, "w");
    fputs("garbage!garbage!", f);
    fclose(f);
    char *err, *note;
    sl_disk_log *l = sl_dlog_open(dir, 4096, &err, &note);
    ck_assert_ptr_nonnull(l);
    ck_assert_ptr_nonnull(note);
    ck_assert_ptr_nonnull(strstr(note, "corrupt"));
    ck_assert_uint_eq(sl_dlog_released(l), 0);
    free(note);
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(sl_dlog_append(l, "x", 1, false), 0);
    char *seg = sl_dlog_segment_path(l, 0);
    ck_assert_int_eq(stat(seg, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    free(seg);
    sl_dlog_close(l);
    remove_dir(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("disk_buffer");
    TCase *t = tcase_create("core");
    tcase_add_test(t, crc32c_known_values);
    tcase_add_test(t, record_round_trip);
    tcase_add_test(t, record_damage_is_detected);
    tcase_add_test(t, log_append_roll_release);
    tcase_add_test(t, log_corrupt_released_file_is_reported);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return sl_run_suite(suite()); }
