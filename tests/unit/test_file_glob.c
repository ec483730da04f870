/* test_file_glob.c: the file source's path patterns: sl_glob_match (base
 * name or whole path, `**` at the start, middle and end, hidden files),
 * sl_glob_walk over a temporary tree (nested directories, `**`, a symlink
 * loop, the depth bound, relative patterns), that the walk finds exactly
 * the files sl_glob_match accepts, and sl_glob_fixed_dir. */
#include "check_main.h"
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources/file_glob.h"

/* ---- sl_glob_match -------------------------------------------------------- */

START_TEST(match_without_slash_uses_the_base_name)
{
    ck_assert(sl_glob_match("*.gz", "/var/log/app.log.1.gz"));
    ck_assert(sl_glob_match("*.gz", "app.gz"));
    ck_assert(sl_glob_match("app-?.log", "/var/log/app-1.log"));
    ck_assert(sl_glob_match("[ab].log", "/x/b.log"));
    ck_assert(!sl_glob_match("*.gz", "/var/log/app.gz.1"));
    ck_assert(!sl_glob_match("*.gz", "/var/gz/app.log"));   /* not the directory */
    ck_assert(!sl_glob_match("log", "/var/log/app"));
    /* '*' does not match hidden files; an explicit dot does */
    ck_assert(!sl_glob_match("*", "/var/log/.hidden"));
    ck_assert(!sl_glob_match("*.log", "/var/log/.x.log"));
    ck_assert(sl_glob_match(".*", "/var/log/.hidden"));
}
END_TEST

START_TEST(match_with_slash_uses_the_whole_path)
{
    ck_assert(sl_glob_match("/var/log/*.log", "/var/log/a.log"));
    ck_assert(!sl_glob_match("/var/log/*.log", "/var/log/sub/a.log"));   /* '*' stops at '/' */
    ck_assert(!sl_glob_match("/var/log/*.log", "var/log/a.log"));        /* absolute vs relative */
    ck_assert(!sl_glob_match("/var/log/*.log", "/srv/var/log/a.log"));
    ck_assert(sl_glob_match("/var/log/app-?/x.log", "/var/log/app-3/x.log"));
    ck_assert(!sl_glob_match("/var/log/app-?/x.log", "/var/log/app-33/x.log"));
    ck_assert(sl_glob_match("logs/*.log", "logs/a.log"));
    ck_assert(!sl_glob_match("/var/log/*", "/var/log/.hidden"));
    ck_assert(sl_glob_match("/var/log/.*", "/var/log/.hidden"));
}
END_TEST

START_TEST(match_double_star_at_start_middle_end)
{
    /* start */
    ck_assert(sl_glob_match("**/a.log", "a.log"));              /* zero directories */
    ck_assert(sl_glob_match("**/a.log", "x/a.log"));
    ck_assert(sl_glob_match("**/a.log", "x/y/z/a.log"));
    ck_assert(!sl_glob_match("**/a.log", "x/b.log"));
    /* middle */
    ck_assert(sl_glob_match("/var/**/a.log", "/var/a.log"));   /* zero directories */
    ck_assert(sl_glob_match("/var/**/a.log", "/var/x/a.log"));
    ck_assert(sl_glob_match("/var/**/a.log", "/var/x/y/z/a.log"));
    ck_assert(!sl_glob_match("/var/**/a.log", "/srv/x/a.log"));
    ck_assert(!sl_glob_match("/var/**/a.log", "/var/x/a.log.1"));
    ck_assert(sl_glob_match("/var/**/app/*.log", "/var/a/b/app/x.log"));
    ck_assert(!sl_glob_match("/var/**/app/*.log", "/var/a/b/app/c/x.log"));
    ck_assert(sl_glob_match("/a/**/b/**/c.log", "/a/b/c.log"));
    ck_assert(sl_glob_match("/a/**/b/**/c.log", "/a/x/b/y/z/c.log"));
    /* end: everything below */
    ck_assert(sl_glob_match("/var/log/**", "/var/log/a.log"));
    ck_assert(sl_glob_match("/var/log/**", "/var/log/x/y/a.log"));
    ck_assert(!sl_glob_match("/var/log/**", "/var/other/a.log"));
}
END_TEST

/* `**` does not go into hidden directories (as the walk does not): an
 * exclude or path pattern never matches what the walk would never find. */
START_TEST(match_double_star_skips_hidden_directories)
{
    ck_assert(!sl_glob_match("/var/**/a.log", "/var/.cache/a.log"));
    ck_assert(!sl_glob_match("/var/**/a.log", "/var/x/.git/y/a.log"));
    ck_assert(!sl_glob_match("**/a.log", ".hidden/a.log"));
    ck_assert(!sl_glob_match("/var/log/**", "/var/log/.x/a.log"));
    ck_assert(sl_glob_match("/var/**/.cache/a.log", "/var/x/.cache/a.log"));   /* named */
}
END_TEST

/* ---- a temporary tree ------------------------------------------------------ */

static char root[64];

static void mkdirs(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    for (char *s = p + strlen(root) + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0755);
            *s = '/';
        }
    }
    ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void touch(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

static void symlink_in(const char *target, const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    ck_assert_int_eq(symlink(target, p), 0);
}

/*  root/a.log  b.txt  .hidden.log  link.log -> sub/x.log
 *  root/sub/x.log  sub/x.txt  sub/deep/y.log  sub/deep/deeper/z.log
 *  root/.git/h.log (hidden directory)
 *  root/loop -> .  root/sub/up -> .. (symlink loops)
 *  root/app-1/current.log  root/app-2/current.log  root/app-22/current.log
 *  root/sub.log/ (a directory named like a log) */
static void make_tree(void)
{
    snprintf(root, sizeof root, "/tmp/sluice-glob-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    mkdirs("sub/deep/deeper");
    mkdirs(".git");
    mkdirs("app-1");
    mkdirs("app-2");
    mkdirs("app-22");
    mkdirs("sub.log");
    touch("a.log");
    touch("b.txt");
    touch(".hidden.log");
    touch("sub/x.log");
    touch("sub/x.txt");
    touch("sub/deep/y.log");
    touch("sub/deep/deeper/z.log");
    touch(".git/h.log");
    touch("app-1/current.log");
    touch("app-2/current.log");
    touch("app-22/current.log");
    symlink_in("sub/x.log", "link.log");
    symlink_in(".", "loop");
    symlink_in("..", "sub/up");
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP)
        chmod(path, 0700);
    return remove(path);
}

static void remove_tree(void)
{
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* What the walk reported: paths relative to root, sorted, joined by ' '. */
typedef struct {
    char *v[256];
    size_t n;
    const char *prefix;     /* stripped from the front of every path */
} found_list;

static void on_found(const char *path, const struct stat *st, void *ctx)
{
    found_list *l = ctx;
    ck_assert(S_ISREG(st->st_mode));
    ck_assert_uint_lt(l->n, 256);
    size_t pl = l->prefix ? strlen(l->prefix) : 0;
    if (pl) {
        ck_assert_msg(strncmp(path, l->prefix, pl) == 0, "%s outside %s", path, l->prefix);
        path += pl;
    }
    l->v[l->n++] = strdup(path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *found_str(found_list *l)
{
    static char out[8192];
    qsort(l->v, l->n, sizeof *l->v, cmp_str);
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < l->n; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", i ? " " : "", l->v[i]);
    return out;
}

static void found_free(found_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

/* Walk root/pattern; the files found, relative to root. */
static char *walk_rel(const char *pattern)
{
    static char res[8192];
    char pat[512], prefix[128];
    snprintf(pat, sizeof pat, "%s/%s", root, pattern);
    snprintf(prefix, sizeof prefix, "%s/", root);
    found_list l = {.prefix = prefix};
    sl_glob_walk(pat, on_found, &l);
    snprintf(res, sizeof res, "%s", found_str(&l));
    found_free(&l);
    return res;
}

START_TEST(walk_plain_wildcards)
{
    make_tree();
    ck_assert_str_eq(walk_rel("*.log"), "a.log link.log");   /* not hidden, not a directory */
    ck_assert_str_eq(walk_rel("a.log"), "a.log");
    ck_assert_str_eq(walk_rel("nope.log"), "");
    ck_assert_str_eq(walk_rel("sub"), "");                    /* a directory is not a file */
    ck_assert_str_eq(walk_rel("sub/*"), "sub/x.log sub/x.txt");
    ck_assert_str_eq(walk_rel("app-?/current.log"), "app-1/current.log app-2/current.log");
    ck_assert_str_eq(walk_rel("app-*/current.log"),
                     "app-1/current.log app-2/current.log app-22/current.log");
    ck_assert_str_eq(walk_rel("s?b/deep/*.log"), "sub/deep/y.log");
    ck_assert_str_eq(walk_rel("[s]ub/x.log"), "sub/x.log");
    ck_assert_str_eq(walk_rel(".*.log"), ".hidden.log");
    ck_assert_str_eq(walk_rel(".git/*.log"), ".git/h.log");
    ck_assert_str_eq(walk_rel("missing/*/x.log"), "");
    remove_tree();
}
END_TEST

START_TEST(walk_double_star)
{
    make_tree();
    /* middle, followed by a wildcard: every depth, zero directories
     * included, not through hidden directories or the symlink loops */
    ck_assert_str_eq(walk_rel("**/*.log"), "a.log app-1/current.log app-2/current.log "
                                           "app-22/current.log link.log sub/deep/deeper/z.log "
                                           "sub/deep/y.log sub/x.log");
    /* followed by a plain name */
    ck_assert_str_eq(walk_rel("**/y.log"), "sub/deep/y.log");
    ck_assert_str_eq(walk_rel("**/a.log"), "a.log");
    ck_assert_str_eq(walk_rel("**/current.log"),
                     "app-1/current.log app-2/current.log app-22/current.log");
    ck_assert_str_eq(walk_rel("sub/**/deeper/z.log"), "sub/deep/deeper/z.log");
    ck_assert_str_eq(walk_rel("**/deep/*.log"), "sub/deep/y.log");
    /* at the end: every file below */
    ck_assert_str_eq(walk_rel("sub/**"), "sub/deep/deeper/z.log sub/deep/y.log sub/x.log "
                                         "sub/x.txt");
    ck_assert_str_eq(walk_rel("sub/deep/**"), "sub/deep/deeper/z.log sub/deep/y.log");
    remove_tree();
}
END_TEST

/* What the walk finds and what sl_glob_match accepts are the same files:
 * the source finds a file by the walk at start and by matching when it
 * appears later, and must treat it the same either way. */
static char *all_files[64];
static size_t n_all;

static int collect(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    struct stat st;
    bool file = flag == FTW_F || (flag == FTW_SL && stat(path, &st) == 0 && S_ISREG(st.st_mode));
    (void)sb;
    if (file && n_all < 64)
        all_files[n_all++] = strdup(path);
    return 0;
}

START_TEST(walk_agrees_with_match)
{
    static const char *const patterns[] = {
        "*.log", "**/*.log", "**/y.log", "sub/**", "**", "sub/**/*.log", "**/deep/**",
        "app-?/*.log", "*/*.log", ".*", "**/.*", ".git/*", "**/x.*",
    };
    make_tree();
    n_all = 0;
    nftw(root, collect, 16, FTW_PHYS);
    ck_assert_uint_ge(n_all, 12);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s/", root);
    for (size_t p = 0; p < sizeof patterns / sizeof *patterns; p++) {
        char pat[512];
        snprintf(pat, sizeof pat, "%s/%s", root, patterns[p]);
        found_list l = {.prefix = NULL};
        sl_glob_walk(pat, on_found, &l);
        for (size_t i = 0; i < n_all; i++) {
            bool walked = false;
            for (size_t j = 0; j < l.n; j++)
                walked |= strcmp(l.v[j], all_files[i]) == 0;
            ck_assert_msg(walked == sl_glob_match(pat, all_files[i]),
                          "%s: %s %s by the walk but %s", patterns[p],
                          all_files[i] + strlen(prefix), walked ? "found" : "not found",
                          walked ? "not matched" : "matched");
        }
        /* and the walk reports nothing twice, nothing outside the tree */
        found_str(&l);
        for (size_t j = 1; j < l.n; j++)
            ck_assert_str_ne(l.v[j - 1], l.v[j]);
        /* `**` never goes through a symbolic link to a directory ('*' may:
         * one level, bounded by the pattern) */
        for (size_t j = 0; strstr(patterns[p], "**") && j < l.n; j++)
            ck_assert_msg(strstr(l.v[j], "/loop/") == NULL && strstr(l.v[j], "/up/") == NULL,
                          "%s: through a symlink loop: %s", patterns[p], l.v[j]);
        found_free(&l);
    }
    for (size_t i = 0; i < n_all; i++)
        free(all_files[i]);
    remove_tree();
}
END_TEST

/* `**` descends at most SL_GLOB_MAX_DEPTH directories. */
START_TEST(walk_depth_is_bounded)
{
    make_tree();
    char rel[512] = "chain";
    mkdirs(rel);
    for (int d = 0; d <= SL_GLOB_MAX_DEPTH + 2; d++) {
        char f[600];
        snprintf(f, sizeof f, "%s/f.log", rel);
        touch(f);
        strcat(rel, "/d");
        mkdirs(rel);
    }
    char *got = walk_rel("chain/**/f.log");
    size_t n = 0;
    for (char *s = got; (s = strstr(s, "f.log")); s++)
        n++;
    ck_assert_uint_eq(n, SL_GLOB_MAX_DEPTH + 1);     /* 0..MAX directories below chain */
    remove_tree();
}
END_TEST

START_TEST(walk_relative_pattern)
{
    make_tree();
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(root), 0);
    found_list l = {.prefix = NULL};
    sl_glob_walk("sub/*.log", on_found, &l);
    ck_assert_str_eq(found_str(&l), "sub/x.log");
    found_free(&l);
    sl_glob_walk("*.txt", on_found, &l);
    ck_assert_str_eq(found_str(&l), "b.txt");
    found_free(&l);
    sl_glob_walk("**/y.log", on_found, &l);
    ck_assert_str_eq(found_str(&l), "sub/deep/y.log");
    found_free(&l);
    ck_assert_int_eq(chdir(cwd), 0);
    remove_tree();
}
END_TEST

/* A directory the walk cannot read is skipped, the rest is still found. */
START_TEST(walk_skips_unreadable_directories)
{
    /* root reads every directory whatever its mode: nothing to test then */
    if (geteuid() == 0)
        return;
    make_tree();
    char p[512];
    snprintf(p, sizeof p, "%s/sub/deep", root);
    ck_assert_int_eq(chmod(p, 0), 0);
    ck_assert_str_eq(walk_rel("**/*.log"), "a.log app-1/current.log app-2/current.log "
                                           "app-22/current.log link.log sub/x.log");
    chmod(p, 0755);
    remove_tree();
}
END_TEST

/* ---- sl_glob_fixed_dir ----------------------------------------------------- */

static void fixed_is(const char *pattern, const char *want)
{
    char *d = sl_glob_fixed_dir(pattern);
    ck_assert_msg(strcmp(d, want) == 0, "%s: \"%s\", want \"%s\"", pattern, d, want);
    free(d);
}

START_TEST(fixed_dir_is_the_part_before_the_first_wildcard)
{
    fixed_is("/var/log/app-?/x.log", "/var/log");
    fixed_is("/var/log/nginx/access.log", "/var/log/nginx");
    fixed_is("/var/log/**/x.log", "/var/log");
    fixed_is("/var/log/*.log", "/var/log");
    fixed_is("/var/lo*/x.log", "/var");
    fixed_is("/a/b[12]/c", "/a");
    fixed_is("/*.log", "/");
    fixed_is("/x.log", "/");
    fixed_is("*.log", ".");
    fixed_is("x.log", ".");
    fixed_is("logs/*.log", "logs");
    fixed_is("logs/sub/**", "logs/sub");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("file_glob");
    TCase *tc = tcase_create("file_glob");
    tcase_add_test(tc, match_without_slash_uses_the_base_name);
    tcase_add_test(tc, match_with_slash_uses_the_whole_path);
    tcase_add_test(tc, match_double_star_at_start_middle_end);
    tcase_add_test(tc, match_double_star_skips_hidden_directories);
    tcase_add_test(tc, walk_plain_wildcards);
    tcase_add_test(tc, walk_double_star);
    tcase_add_test(tc, walk_agrees_with_match);
    tcase_add_test(tc, walk_depth_is_bounded);
    tcase_add_test(tc, walk_relative_pattern);
    tcase_add_test(tc, walk_skips_unreadable_directories);
    tcase_add_test(tc, fixed_dir_is_the_part_before_the_first_wildcard);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
