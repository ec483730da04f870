/* test_file_checkpoint.c: the file source's checkpoint store: save/load
 * round trips (awkward paths, extreme numbers, many entries), mode 0600,
 * a missing file, every kind of damage reported without a crash (each
 * truncation, each flipped bit, bad header, count or entries, garbage),
 * and the checkpoint path of a source (directory 0700, safe names). */
#include "check_main.h"
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "sources/file_checkpoint.h"

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice-ckpt-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tmpdir(void)
{
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmpdir/name, in a static buffer (overwritten by the next call) */
static const char *tmp_path(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* The whole file, malloc'd, NUL-terminated; *n its size. */
static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *p = malloc(1 << 20);
    ck_assert_ptr_nonnull(p);
    *n = fread(p, 1, (1 << 20) - 1, f);
    p[*n] = 0;
    fclose(f);
    return p;
}

static void assert_same_entries(const sl_checkpoint *a, size_t na, const sl_checkpoint *b,
                                size_t nb)
{
    ck_assert_uint_eq(na, nb);
    for (size_t i = 0; i < na; i++) {
        ck_assert_uint_eq(a[i].id.dev, b[i].id.dev);
        ck_assert_uint_eq(a[i].id.ino, b[i].id.ino);
        ck_assert_uint_eq(a[i].id.fp_len, b[i].id.fp_len);
        ck_assert_uint_eq(a[i].id.fp_crc, b[i].id.fp_crc);
        ck_assert_uint_eq(a[i].offset, b[i].offset);
        ck_assert_int_eq(a[i].seen, b[i].seen);
        ck_assert_int_eq(a[i].gzip_done, b[i].gzip_done);
        ck_assert_ptr_nonnull(b[i].path);
        ck_assert_str_eq(a[i].path, b[i].path);
    }
}

/* A load that must fail: -1, an error message, no entries. */
static void assert_rejected(const char *file, const char *what)
{
    sl_checkpoint *v = (sl_checkpoint *)1;
    size_t n = 99;
    char *err = NULL;
    int rc = sl_checkpoints_load(file, &v, &n, &err);
    ck_assert_msg(rc == -1, "%s: loaded (%zu entries)", what, n);
    ck_assert_msg(err && *err, "%s: no error message", what);
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(n, 0);
    free(err);
}

/* Three entries with everything awkward in them. */
static const sl_checkpoint sample[] = {
    {{UINT64_MAX, UINT64_MAX, UINT32_MAX, 0xffffffffu}, UINT64_MAX, INT64_MAX, true,
     (char *)"/var/log/with space/100% done.log"},
    {{0, 0, 0, 0}, 0, INT64_MIN, false, (char *)"line\nbreak\r\ttab\x7f del"},
    {{2049, 131, 1024, 0x0badf00du}, (1ULL << 40) + 17, -1, false,
     (char *)"/srv/caf\xc3\xa9/\xff\xfe\x01-%41%%/x.log"},
};
#define N_SAMPLE (sizeof sample / sizeof sample[0])

/* The bytes of a valid file of the sample entries. */
static char *sample_file(size_t *n)
{
    char *err;
    ck_assert_int_eq(sl_checkpoints_save(tmp_path("sample"), sample, N_SAMPLE, &err), 0);
    return read_file(tmp_path("sample"), n);
}

START_TEST(round_trip_keeps_every_field)
{
    make_tmpdir();
    char file[256];
    snprintf(file, sizeof file, "%s", tmp_path("src.ckpt"));
    char *err = (char *)1;
    ck_assert_int_eq(sl_checkpoints_save(file, sample, N_SAMPLE, &err), 0);
    ck_assert_ptr_null(err);
    sl_checkpoint *v;
    size_t n;
    ck_assert_int_eq(sl_checkpoints_load(file, &v, &n, &err), 0);
    ck_assert_ptr_null(err);
    assert_same_entries(sample, N_SAMPLE, v, n);
    sl_checkpoints_free(v, n);
    /* the temp file of the atomic replace is gone */
    ck_assert_int_ne(access(tmp_path("src.ckpt.tmp"), F_OK), 0);
    /* a path is stored on its own line: no raw newline or space in it */
    size_t len;
    char *text = read_file(file, &len);
    ck_assert_ptr_null(strstr(text, "line\nbreak"));
    ck_assert_ptr_null(strstr(text, "with space"));
    free(text);
    remove_tmpdir();
}
END_TEST

/* An empty path is what the caller had: it must not make the whole file
 * unreadable (that would lose every checkpoint in it). */
START_TEST(round_trip_empty_path)
{
    make_tmpdir();
    const char *file = tmp_path("empty-path.ckpt");
    sl_checkpoint e[2] = {{{1, 2, 3, 4}, 5, 6, false, (char *)""},
                          {{7, 8, 9, 10}, 11, 12, true, (char *)"/b"}};
    char *err;
    ck_assert_int_eq(sl_checkpoints_save(file, e, 2, &err), 0);
    sl_checkpoint *v;
    size_t n;
    ck_assert_int_eq(sl_checkpoints_load(file, &v, &n, &err), 0);
    assert_same_entries(e, 2, v, n);
    sl_checkpoints_free(v, n);
    remove_tmpdir();
}
END_TEST

START_TEST(round_trip_many_entries_and_replace)
{
    enum { N = 5000 };
    make_tmpdir();
    const char *file = tmp_path("many.ckpt");
    sl_checkpoint *e = calloc(N, sizeof *e);
    ck_assert_ptr_nonnull(e);
    for (size_t i = 0; i < N; i++) {
        e[i].id = (sl_file_id){i * 7919, UINT64_MAX - i, (uint32_t)(i % 4096),
                               (uint32_t)(i * 2654435761u)};
        e[i].offset = i * 1000003ULL;
        e[i].seen = 1700000000 + (int64_t)i;
        e[i].gzip_done = i % 3 == 0;
        e[i].path = malloc(64);
        snprintf(e[i].path, 64, "/var/log/app %zu/%%x%zu.log", i % 10, i);
    }
    char *err;
    /* first a different content, then replaced by the N entries */
    ck_assert_int_eq(sl_checkpoints_save(file, sample, N_SAMPLE, &err), 0);
    ck_assert_int_eq(sl_checkpoints_save(file, e, N, &err), 0);
    sl_checkpoint *v;
    size_t n;
    ck_assert_int_eq(sl_checkpoints_load(file, &v, &n, &err), 0);
    assert_same_entries(e, N, v, n);
    sl_checkpoints_free(v, n);
    /* and no entries at all */
    ck_assert_int_eq(sl_checkpoints_save(file, NULL, 0, &err), 0);
    ck_assert_int_eq(sl_checkpoints_load(file, &v, &n, &err), 0);
    ck_assert_uint_eq(n, 0);
    sl_checkpoints_free(v, n);
    sl_checkpoints_free(e, N);
    remove_tmpdir();
}
END_TEST

/* Checkpoints name the files a host reads: only the owner may read them,
 * whatever the umask. */
START_TEST(file_mode_is_0600)
{
    make_tmpdir();
    const char *file = tmp_path("mode.ckpt");
    mode_t old = umask(0);
    char *err;
    int rc = sl_checkpoints_save(file, sample, N_SAMPLE, &err);
    umask(old);
    ck_assert_int_eq(rc, 0);
    struct stat st;
    ck_assert_int_eq(stat(file, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert(S_ISREG(st.st_mode));
    remove_tmpdir();
}
END_TEST

START_TEST(missing_file_is_zero_entries)
{
    make_tmpdir();
    sl_checkpoint *v = (sl_checkpoint *)1;
    size_t n = 99;
    char *err = (char *)1;
    ck_assert_int_eq(sl_checkpoints_load(tmp_path("never-saved.ckpt"), &v, &n, &err), 0);
    ck_assert_ptr_null(err);
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(n, 0);
    remove_tmpdir();
}
END_TEST

START_TEST(save_into_missing_directory_fails)
{
    make_tmpdir();
    char *err = NULL;
    ck_assert_int_eq(sl_checkpoints_save(tmp_path("no/such/dir.ckpt"), sample, N_SAMPLE, &err),
                     -1);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "no/such/dir.ckpt"));
    free(err);
    remove_tmpdir();
}
END_TEST

/* A crash can leave any prefix of a file that was not written atomically
 * (or a copy cut short): none of them may load. */
START_TEST(every_truncation_is_rejected)
{
    make_tmpdir();
    size_t len;
    char *good = sample_file(&len);
    const char *file = tmp_path("cut.ckpt");
    for (size_t cut = 0; cut < len; cut++) {
        write_file(file, good, cut);
        char what[64];
        snprintf(what, sizeof what, "cut to %zu of %zu bytes", cut, len);
        assert_rejected(file, what);
    }
    free(good);
    remove_tmpdir();
}
END_TEST

/* Any one byte changed anywhere (each single-bit flip, and each byte
 * inverted) is caught. */
START_TEST(every_flipped_byte_is_rejected)
{
    make_tmpdir();
    size_t len;
    char *good = sample_file(&len);
    const char *file = tmp_path("flip.ckpt");
    static const unsigned char masks[] = {1, 2, 4, 8, 16, 32, 64, 128, 0xff};
    for (size_t i = 0; i < len; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            good[i] ^= (char)masks[m];
            write_file(file, good, len);
            good[i] ^= (char)masks[m];
            char what[64];
            snprintf(what, sizeof what, "byte %zu ^ 0x%02x", i, masks[m]);
            assert_rejected(file, what);
        }
    }
    free(good);
    remove_tmpdir();
}
END_TEST

/* body (header and entry lines) followed by an end line with `count` and
 * the right CRC: only what is wrong in the body or count is wrong. */
static void write_with_end(const char *file, const char *body, long count)
{
    char *p = malloc(strlen(body) + 64);
    ck_assert_ptr_nonnull(p);
    uLong crc = crc32(0L, (const Bytef *)body, (uInt)strlen(body));
    sprintf(p, "%s# end %ld %08lx\n", body, count, (unsigned long)crc);
    write_file(file, p, strlen(p));
    free(p);
}

#define HDR "# sluice file checkpoints v1\n"

START_TEST(bad_header_count_and_entries_are_rejected)
{
    make_tmpdir();
    const char *file = tmp_path("bad.ckpt");
    const char *entry = "1 2 3 0000abcd 5 6 0 /x.log\n";
    char body[512];

    /* the control case: this is accepted */
    snprintf(body, sizeof body, HDR "%s%s", entry, entry);
    write_with_end(file, body, 2);
    sl_checkpoint *v;
    size_t n;
    char *err;
    ck_assert_int_eq(sl_checkpoints_load(file, &v, &n, &err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(v[1].path, "/x.log");
    sl_checkpoints_free(v, n);

    write_with_end(file, body, 3);
    assert_rejected(file, "count one too high");
    write_with_end(file, body, 1);
    assert_rejected(file, "count one too low");
    write_with_end(file, body, -1);
    assert_rejected(file, "negative count");

    snprintf(body, sizeof body, "# sluice file checkpoints v2\n%s", entry);
    write_with_end(file, body, 1);
    assert_rejected(file, "future version");
    snprintf(body, sizeof body, "%s", entry);
    write_with_end(file, body, 1);
    assert_rejected(file, "no header");

    static const char *const bad_entries[] = {
        "1 2 3 0000abcd 5 6 2 /x.log\n",        /* gzip flag not 0/1 */
        "1 2 4294967296 0000abcd 5 6 0 /x\n",   /* fp_len over 32 bits */
        "1 2 3 100000000 5 6 0 /x\n",           /* fp_crc over 32 bits */
        "1 2 3 0000abcd 5 6 0\n",               /* no path */
        "1 2 3 0000abcd 5 6 /x.log\n",          /* a field missing */
        "1 2 3 0000abcd 5 x 0 /x.log\n",        /* not a number */
        "1 2 3 0000abcd 5 6 0 /bad%4\n",        /* escape cut short */
        "1 2 3 0000abcd 5 6 0 /bad%zz.log\n",   /* not hex */
        "1 2 3 0000abcd 5 6 0 /bad%\n",
        "",                                     /* placeholder: blank line below */
    };
    for (size_t i = 0; i < sizeof bad_entries / sizeof *bad_entries; i++) {
        snprintf(body, sizeof body, HDR "%s%s", entry, bad_entries[i][0] ? bad_entries[i] : "\n");
        write_with_end(file, body, 2);
        char what[64];
        snprintf(what, sizeof what, "bad entry %zu", i);
        assert_rejected(file, what);
    }
    remove_tmpdir();
}
END_TEST

START_TEST(garbage_and_empty_files_are_rejected)
{
    make_tmpdir();
    const char *file = tmp_path("junk.ckpt");
    write_file(file, "", 0);
    assert_rejected(file, "empty file");
    write_file(file, "\n", 1);
    assert_rejected(file, "one newline");
    write_file(file, HDR, strlen(HDR));
    assert_rejected(file, "header only");
    write_file(file, HDR "# end 0\n", strlen(HDR) + 8);
    assert_rejected(file, "end line without CRC");
    /* pseudo-random bytes, some with a valid header in front */
    uint32_t s = 12345;
    char junk[4096];
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)round * 20 % sizeof junk;
        for (size_t i = 0; i < n; i++) {
            s = s * 1103515245u + 12345u;
            junk[i] = (char)(s >> 16);
        }
        if (round % 2 && n > strlen(HDR))
            memcpy(junk, HDR, strlen(HDR));
        write_file(file, junk, n);
        assert_rejected(file, "garbage");
    }
    /* a directory where the file should be */
    ck_assert_int_eq(mkdir(tmp_path("dir.ckpt"), 0700), 0);
    assert_rejected(tmp_path("dir.ckpt"), "a directory");
    remove_tmpdir();
}
END_TEST

START_TEST(checkpoint_path_creates_private_directory)
{
    make_tmpdir();
    char state[256], dir[300];
    snprintf(state, sizeof state, "%s/var/lib/sluice", tmpdir);   /* nothing exists yet */
    snprintf(dir, sizeof dir, "%s/checkpoints", state);
    mode_t old = umask(022);
    char *err = (char *)1;
    char *p = sl_checkpoint_path(state, "app", &err);
    umask(old);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_null(err);
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    char want[400];
    snprintf(want, sizeof want, "%s/app.ckpt", dir);
    ck_assert_str_eq(p, want);
    /* the path is usable */
    ck_assert_int_eq(sl_checkpoints_save(p, sample, N_SAMPLE, &err), 0);
    free(p);
    /* asking again with the directory there is fine */
    p = sl_checkpoint_path(state, "app", &err);
    ck_assert_str_eq(p, want);
    free(p);
    remove_tmpdir();
}
END_TEST

/* Source names come from the config: whatever they contain, the file is
 * directly inside STATE_DIR/checkpoints, not hidden, and different names
 * get different files. */
START_TEST(checkpoint_path_makes_names_safe)
{
    static const char *const names[] = {
        "app", "a/b", "a_b", "a b", "a%2Fb", "../../etc/passwd", "..", ".", ".hidden",
        "/", "x.y", "nginx access", "caf\xc3\xa9", "a\nb",
    };
    enum { N = sizeof names / sizeof *names };
    make_tmpdir();
    char dir[300];
    snprintf(dir, sizeof dir, "%s/checkpoints", tmpdir);
    char *paths[N];
    for (size_t i = 0; i < N; i++) {
        char *err;
        paths[i] = sl_checkpoint_path(tmpdir, names[i], &err);
        ck_assert_ptr_nonnull(paths[i]);
        size_t dl = strlen(dir);
        ck_assert_msg(strncmp(paths[i], dir, dl) == 0 && paths[i][dl] == '/',
                      "%s: not in the checkpoint directory", paths[i]);
        const char *base = paths[i] + dl + 1;
        ck_assert_msg(!strchr(base, '/'), "%s: a slash in the name", paths[i]);
        ck_assert_msg(base[0] != '.', "%s: hidden or a dot directory", paths[i]);
        ck_assert_msg(!strpbrk(base, " \n"), "%s: space or newline", paths[i]);
        size_t bl = strlen(base);
        ck_assert(bl > 5 && strcmp(base + bl - 5, ".ckpt") == 0);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(paths[i], paths[j]) != 0, "\"%s\" and \"%s\" share %s",
                          names[i], names[j], paths[i]);
        /* and a checkpoint can be stored there */
        ck_assert_int_eq(sl_checkpoints_save(paths[i], sample, 1, &err), 0);
    }
    /* every file landed in the one directory */
    for (size_t i = 0; i < N; i++) {
        struct stat st;
        ck_assert_int_eq(stat(paths[i], &st), 0);
        ck_assert(S_ISREG(st.st_mode));
        free(paths[i]);
    }
    remove_tmpdir();
}
END_TEST

/* A state directory that cannot hold the checkpoint directory is reported
 * when the path is asked for, not at every later save. */
START_TEST(checkpoint_path_reports_unusable_state_dir)
{
    make_tmpdir();
    write_file(tmp_path("checkpoints"), "x", 1);    /* a file in the way */
    char *err = NULL;
    char *p = sl_checkpoint_path(tmpdir, "app", &err);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(err);
    free(err);
    err = NULL;
    char state[256];
    snprintf(state, sizeof state, "%s/checkpoints/sub", tmpdir);   /* under a file */
    p = sl_checkpoint_path(state, "app", &err);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(err);
    free(err);
    remove_tmpdir();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("file_checkpoint");
    TCase *tc = tcase_create("file_checkpoint");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, round_trip_keeps_every_field);
    tcase_add_test(tc, round_trip_empty_path);
    tcase_add_test(tc, round_trip_many_entries_and_replace);
    tcase_add_test(tc, file_mode_is_0600);
    tcase_add_test(tc, missing_file_is_zero_entries);
    tcase_add_test(tc, save_into_missing_directory_fails);
    tcase_add_test(tc, every_truncation_is_rejected);
    tcase_add_test(tc, every_flipped_byte_is_rejected);
    tcase_add_test(tc, bad_header_count_and_entries_are_rejected);
    tcase_add_test(tc, garbage_and_empty_files_are_rejected);
    tcase_add_test(tc, checkpoint_path_creates_private_directory);
    tcase_add_test(tc, checkpoint_path_makes_names_safe);
    tcase_add_test(tc, checkpoint_path_reports_unusable_state_dir);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
