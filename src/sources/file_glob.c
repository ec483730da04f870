/* file_glob.c: glob patterns with `**` for the file source: the directory
 * walk that finds files, and matching a path against a pattern. */
#include "sources/file_glob.h"

#include <dirent.h>
#include <fnmatch.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

static bool has_wildcard(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '*' || s[i] == '?' || s[i] == '[')
            return true;
    return false;
}

/* Split "a/b//c" into components; a leading '/' is kept as an empty
 * first component so the walk can start at the root. */
typedef struct {
    char **v;
    size_t n;
} comps;

static comps split(const char *pattern)
{
    comps c = {0};
    size_t cap = 8;
    c.v = sl_malloc(cap * sizeof *c.v);
    const char *p = pattern;
    if (*p == '/')
        c.v[c.n++] = sl_strdup("");
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (c.n == cap) {
            cap *= 2;
            c.v = sl_realloc(c.v, cap * sizeof *c.v);
        }
        c.v[c.n++] = sl_strndup(p, len);
        p += len;
    }
    return c;
}

static void comps_free(comps *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
}

typedef struct {
    sl_glob_found_fn fn;
    void *ctx;
    const comps *pc;
} walker;

static void path_join(sl_buf *b, size_t base_len, const char *name)
{
    b->len = base_len;
    if (base_len && b->p[base_len - 1] != '/')
        sl_buf_putc(b, '/');
    sl_buf_puts(b, name);
    sl_buf_reserve(b, 1);
    b->p[b->len] = 0;
}

/* Back to the first `len` bytes, still a C string (opendir uses it). */
static void truncate_to(sl_buf *b, size_t len)
{
    b->len = len;
    if (b->p)
        b->p[len] = 0;
}

static void walk(walker *w, sl_buf *path, size_t i, int depth)
{
    const comps *pc = w->pc;
    size_t base = path->len;
    if (i == pc->n) {
        struct stat st;
        if (stat(path->len ? path->p : ".", &st) == 0 && S_ISREG(st.st_mode))
            w->fn(path->p, &st, w->ctx);
        return;
    }
    const char *comp = pc->v[i];
    if (strcmp(comp, "**") == 0) {
        /* a trailing ** matches every (non-hidden) file below, as in
         * sl_glob_match */
        bool last = i + 1 == pc->n;
        walk(w, path, i + 1, depth);            /* zero directories */
        truncate_to(path, base);
        if (depth >= SL_GLOB_MAX_DEPTH && !last)
            return;
        DIR *d = opendir(base ? path->p : ".");
        if (!d)
            return;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.')
                continue;                       /* ., .., hidden directories */
            path_join(path, base, de->d_name);
            struct stat st;
            if (lstat(path->p, &st) != 0)
                continue;
            if (S_ISDIR(st.st_mode)) {
                if (depth < SL_GLOB_MAX_DEPTH)
                    walk(w, path, i, depth + 1);    /* one more level, same ** */
            } else if (last) {
                walk(w, path, i + 1, depth);        /* a file right here */
            }
        }
        closedir(d);
        truncate_to(path, base);
        return;
    }
    if (!has_wildcard(comp, strlen(comp))) {
        if (i == 0 && comp[0] == 0)
            sl_buf_puts(path, "/");
        else
            path_join(path, base, comp);
        sl_buf_reserve(path, 1);
        path->p[path->len] = 0;
        walk(w, path, i + 1, depth);
        truncate_to(path, base);
        return;
    }
    DIR *d = opendir(base ? path->p : ".");
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fnmatch(comp, de->d_name, FNM_PERIOD) != 0)
            continue;
        path_join(path, base, de->d_name);
        walk(w, path, i + 1, depth);
    }
    closedir(d);
    truncate_to(path, base);
}

void sl_glob_walk(const char *pattern, sl_glob_found_fn fn, void *ctx)
{
    comps pc = split(pattern);
    walker w = {fn, ctx, &pc};
    sl_buf path = {0};
    sl_buf_reserve(&path, 256);
    path.p[0] = 0;
    walk(&w, &path, 0, 0);
    sl_buf_free(&path);
    comps_free(&pc);
}

/* Match path components pc[i..] against pattern components qc[j..]. */
static bool match_comps(const comps *qc, size_t j, const comps *pc, size_t i, int depth)
{
    if (depth > 64)
        return false;
    for (; j < qc->n; j++, i++) {
        if (strcmp(qc->v[j], "**") == 0) {
            /* pc[i..k) are the directories it stands for: like the walk,
             * never hidden ones */
            for (size_t k = i;; k++) {
                if (match_comps(qc, j + 1, pc, k, depth + 1))
                    return true;
                if (k == pc->n || pc->v[k][0] == '.')
                    return false;
            }
        }
        if (i >= pc->n || fnmatch(qc->v[j], pc->v[i], FNM_PERIOD) != 0)
            return false;
    }
    return i == pc->n;
}

bool sl_glob_match(const char *pattern, const char *path)
{
    if (!strchr(pattern, '/')) {
        const char *base = strrchr(path, '/');
        return fnmatch(pattern, base ? base + 1 : path, FNM_PERIOD) == 0;
    }
    comps qc = split(pattern), pc = split(path);
    bool m = match_comps(&qc, 0, &pc, 0, 0);
    comps_free(&qc);
    comps_free(&pc);
    return m;
}

char *sl_glob_fixed_dir(const char *pattern)
{
    const char *last_slash = NULL;
    for (const char *p = pattern; *p; p++) {
        if (*p == '*' || *p == '?' || *p == '[')
            break;
        if (*p == '/')
            last_slash = p;
    }
    if (!last_slash)
        return sl_strdup(".");
    if (last_slash == pattern)
        return sl_strdup("/");
    return sl_strndup(pattern, (size_t)(last_slash - pattern));
}
