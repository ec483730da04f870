/* file_checkpoint.c: reading and writing the file source's checkpoints
 * (format below), atomically and verifiably.
 *
 *   # sluice file checkpoints v1
 *   DEV INO FP_LEN FP_CRC OFFSET SEEN GZIP_DONE PATH
 *   ...
 *   # end COUNT CRC32
 *
 * Numbers are decimal except FP_CRC and CRC32 (hex). PATH is
 * percent-escaped (space, '%', control bytes). CRC32 covers every byte
 * before the end line. */
#include "sources/file_checkpoint.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/buf.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#define HEADER "# sluice file checkpoints v1\n"
#define MAX_CHECKPOINT_FILE (256u << 20)


void sl_checkpoints_free(sl_checkpoint *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].path);
    free(v);
}

static void put_escaped(sl_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == '%' || c == 0x7f)
            sl_buf_printf(b, "%%%02X", c);
        else
            sl_buf_putc(b, (char)c);
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static char *unescape(const char *s, size_t n)
{
    char *out = sl_malloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
                free(out);
                return NULL;
            }
            out[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = 0;
    return out;
}

/* One number, as sscanf's %llu/%llx/%lld would read it (leading blanks,
 * a sign, 0x for hex), but out of range is an error, not undefined
 * behaviour. Advances *p past it. */
static bool scan_ull(const char **p, int base, unsigned long long *v)
{
    char *end;
    errno = 0;
    *v = strtoull(*p, &end, base);
    if (end == *p || errno == ERANGE)
        return false;
    *p = end;
    return true;
}

static bool scan_ll(const char **p, long long *v)
{
    char *end;
    errno = 0;
    *v = strtoll(*p, &end, 10);
    if (end == *p || errno == ERANGE)
        return false;
    *p = end;
    return true;
}

static const char *skip_space(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

/* Parse one entry line (without its newline). */
static bool parse_entry(const char *line, size_t len, sl_checkpoint *e)
{
    char buf[256];
    const char *sp = line;
    /* the 7 numeric fields, then the path (the rest of the line) */
    int fields = 0;
    const char *path = NULL;
    for (const char *p = line; p < line + len; p++) {
        if (*p == ' ' && ++fields == 7) {
            path = p + 1;
            break;
        }
    }
    /* the path may be empty: save writes what it was given */
    if (!path || (size_t)(path - sp) >= sizeof buf)
        return false;
    memcpy(buf, sp, (size_t)(path - sp));
    buf[path - sp] = 0;
    unsigned long long dev, ino, fp_len, fp_crc, offset, gz;
    long long seen;
    const char *q = buf;
    if (!scan_ull(&q, 10, &dev) || !scan_ull(&q, 10, &ino) || !scan_ull(&q, 10, &fp_len) ||
        !scan_ull(&q, 16, &fp_crc) || !scan_ull(&q, 10, &offset) || !scan_ll(&q, &seen) ||
        !scan_ull(&q, 10, &gz))
        return false;
    q = skip_space(q);
    if ((size_t)(q - buf) != (size_t)(path - sp) || fp_len > UINT32_MAX ||
        fp_crc > UINT32_MAX || gz > 1)
        return false;
    char *p = unescape(path, (size_t)(line + len - path));
    if (!p)
        return false;
    *e = (sl_checkpoint){{dev, ino, (uint32_t)fp_len, (uint32_t)fp_crc}, offset, seen, gz == 1, p};
    return true;
}

int sl_checkpoints_load(const char *file, sl_checkpoint **out, size_t *n, char **err)
{
    *out = NULL;
    *n = 0;
    *err = NULL;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        *err = sl_aprintf("cannot open %s: %s", file, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size > (off_t)MAX_CHECKPOINT_FILE) {
        *err = sl_aprintf("%s: unreadable or larger than %u bytes", file, MAX_CHECKPOINT_FILE);
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *text = sl_malloc(size + 1);
    while (got < size) {
        ssize_t r = read(fd, text + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    text[got] = 0;
    sl_checkpoint *v = NULL;
    size_t cnt = 0, cap = 0;
    const char *why = NULL;
    size_t hl = strlen(HEADER);
    if (got < hl || memcmp(text, HEADER, hl) != 0) {
        why = "not a sluice checkpoint file (bad header)";
        goto bad;
    }
    /* the end line: the last line of the file */
    if (got < 2 || text[got - 1] != '\n') {
        why = "truncated (no end line)";
        goto bad;
    }
    const char *last = text + got - 1;
    while (last > text && last[-1] != '\n')
        last--;
    /* "# end COUNT CRC", blanks as loose as scanf's (checked exactly below) */
    unsigned long long want_count, want_crc;
    const char *q = last[0] == '#' ? skip_space(last + 1) : "";
    if (strncmp(q, "end", 3) != 0 || (q += 3, !scan_ull(&q, 10, &want_count)) ||
        !scan_ull(&q, 16, &want_crc) || skip_space(q) != text + got) {
        why = "truncated (no end line)";
        goto bad;
    }
    uLong crc = crc32(0L, (const Bytef *)text, (uInt)(last - text));
    if (crc != want_crc) {
        why = "checksum mismatch (corrupt)";
        goto bad;
    }
    for (const char *p = text + hl; p < last;) {
        const char *nl = memchr(p, '\n', (size_t)(last - p));
        if (!nl) {
            why = "malformed entry";
            goto bad;
        }
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            v = sl_realloc(v, cap * sizeof *v);
        }
        if (!parse_entry(p, (size_t)(nl - p), &v[cnt])) {
            why = "malformed entry";
            goto bad;
        }
        cnt++;
        p = nl + 1;
    }
    if (cnt != want_count) {
        why = "entry count mismatch (corrupt)";
        goto bad;
    }
    /* The end line must be exactly what save writes: the scan alone lets a
     * changed byte through ("# end03 ..." reads as "# end 3 ..."). */
    char end_line[64];
    int el = snprintf(end_line, sizeof end_line, "# end %zu %08lx\n", cnt, (unsigned long)crc);
    if (el < 0 || (size_t)el != (size_t)(text + got - last) ||
        memcmp(end_line, last, (size_t)el) != 0) {
        why = "malformed end line (corrupt)";
        goto bad;
    }
    free(text);
    *out = v;
    *n = cnt;
    return 0;
bad:
    free(text);
    sl_checkpoints_free(v, cnt);
    *err = sl_aprintf("%s: %s", file, why);
    return -1;
}

int sl_checkpoints_save(const char *file, const sl_checkpoint *v, size_t n, char **err)
{
    *err = NULL;
    sl_buf b = {0};
    sl_buf_puts(&b, HEADER);
    for (size_t i = 0; i < n; i++) {
        const sl_checkpoint *e = &v[i];
        sl_buf_printf(&b, "%" PRIu64 " %" PRIu64 " %" PRIu32 " %08" PRIx32 " %" PRIu64 " %" PRId64
                          " %d ",
                      e->id.dev, e->id.ino, e->id.fp_len, e->id.fp_crc, e->offset, e->seen,
                      e->gzip_done ? 1 : 0);
        put_escaped(&b, e->path ? e->path : "-");
        sl_buf_putc(&b, '\n');
    }
    uLong crc = crc32(0L, (const Bytef *)b.p, (uInt)b.len);
    sl_buf_printf(&b, "# end %zu %08lx\n", n, (unsigned long)crc);

    int rc = 0;
    if (sl_write_file_atomic(file, b.p, b.len) != 0) {
        *err = sl_aprintf("cannot write %s: %s", file, strerror(errno));
        rc = -1;
    }
    sl_buf_free(&b);
    return rc;
}

char *sl_checkpoint_path(const char *state_dir, const char *source_name, char **err)
{
    *err = NULL;
    sl_buf dir = {0};
    sl_buf_printf(&dir, "%s/checkpoints", state_dir);
    sl_buf_putc(&dir, 0);
    if (sl_mkdir_p(dir.p, 0700) != 0) {
        *err = sl_aprintf("cannot create %s: %s", dir.p, strerror(errno));
        sl_buf_free(&dir);
        return NULL;
    }
    dir.len--;
    sl_buf_putc(&dir, '/');
    sl_buf_put_safe_name(&dir, source_name);
    sl_buf_puts(&dir, ".ckpt");
    sl_buf_putc(&dir, 0);
    return dir.p;
}
