/* disk_log.c: segment files of a disk buffer (see the header). */
#include "buffer/disk_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/crc32c.h"
#include "util/fd_write.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

typedef struct {
    uint64_t base, size;
} segment;

struct sl_disk_log {
    char *dir;
    uint64_t segment_bytes;
    int lock_fd;
    segment *segs;              /* sorted by base; the last may be active */
    size_t n, cap;
    int active_fd;              /* -1: no active segment yet */
    uint64_t start;             /* where this run's first segment begins */
    uint64_t released;
    uint64_t disk_bytes, appended;
};


char *sl_dlog_segment_path(const sl_disk_log *l, uint64_t base)
{
    return sl_aprintf("%s/%016" PRIx64 ".seg", l->dir, base);
}

static char *state_path(const sl_disk_log *l) { return sl_aprintf("%s/released", l->dir); }

static int cmp_seg(const void *a, const void *b)
{
    uint64_t x = ((const segment *)a)->base, y = ((const segment *)b)->base;
    return x < y ? -1 : x > y;
}

static void add_seg(sl_disk_log *l, uint64_t base, uint64_t size)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->segs = sl_realloc(l->segs, l->cap * sizeof *l->segs);
    }
    l->segs[l->n++] = (segment){base, size};
    l->disk_bytes += size;
}

/* The `released` file: 8 bytes position, 4 bytes CRC-32C of them. */
static int load_released(sl_disk_log *l, char **note)
{
    char *path = state_path(l);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0) {
        if (errno != ENOENT)
            *note = sl_aprintf("cannot read %s: %s; replaying every record still on disk", path,
                        strerror(errno));
        goto out;
    }
    unsigned char b[13];
    ssize_t n = read(fd, b, sizeof b);
    close(fd);
    uint64_t pos = 0;
    uint32_t crc = 0;
    if (n == 12) {
        for (int i = 0; i < 8; i++)
            pos |= (uint64_t)b[i] << (8 * i);
        crc = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24;
    }
    if (n != 12 || crc != sl_crc32c(0, b, 8)) {
        *note = sl_aprintf("%s is corrupt; replaying every record still on disk (some may be "
                    "delivered twice)", path);
        goto out;
    }
    l->released = pos;
out:
    free(path);
    return rc;
}

static int save_released(sl_disk_log *l, uint64_t pos)
{
    unsigned char b[12];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(pos >> (8 * i));
    uint32_t crc = sl_crc32c(0, b, 8);
    for (int i = 0; i < 4; i++)
        b[8 + i] = (unsigned char)(crc >> (8 * i));
    char *path = state_path(l);
    int rc = sl_write_file_atomic(path, b, sizeof b);
    free(path);
    return rc;
}

sl_disk_log *sl_dlog_open(const char *dir, uint64_t segment_bytes, char **err, char **note)
{
    *err = *note = NULL;
    if (sl_mkdir_p(dir, 0700) != 0) {
        *err = sl_aprintf("cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    sl_disk_log *l = sl_calloc(1, sizeof *l);
    l->dir = sl_strdup(dir);
    l->segment_bytes = segment_bytes;
    l->active_fd = -1;
    char *lock = sl_aprintf("%s/lock", dir);
    l->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (l->lock_fd < 0 || flock(l->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        *err = l->lock_fd < 0
                   ? sl_aprintf("cannot open %s: %s", lock, strerror(errno))
                   : sl_aprintf("%s is in use by another sluice process or destination "
                         "(give each disk buffer its own buffer.path)", dir);
        free(lock);
        sl_dlog_close(l);
        return NULL;
    }
    free(lock);
    load_released(l, note);
    DIR *dh = opendir(dir);
    if (!dh) {
        *err = sl_aprintf("cannot list %s: %s", dir, strerror(errno));
        sl_dlog_close(l);
        return NULL;
    }
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        const char *nm = de->d_name;
        size_t len = strlen(nm);
        if (len != 20 || strcmp(nm + 16, ".seg") != 0 || strspn(nm, "0123456789abcdef") != 16)
            continue;
        uint64_t base = strtoull(nm, NULL, 16);
        struct stat st;
        char *path = sl_dlog_segment_path(l, base);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            add_seg(l, base, (uint64_t)st.st_size);
        free(path);
    }
    closedir(dh);
    if (l->n)
        qsort(l->segs, l->n, sizeof *l->segs, cmp_seg);
    /* Overlapping segments cannot come from us; the later one wins. */
    uint64_t end = l->released;
    for (size_t i = 0; i < l->n; i++)
        if (l->segs[i].base + l->segs[i].size > end)
            end = l->segs[i].base + l->segs[i].size;
    l->start = end;
    /* Delete what an earlier run released but had not deleted yet. */
    if (sl_dlog_release(l, l->released) != 0) {
        *err = sl_aprintf("cannot write %s/released: %s", dir, strerror(errno));
        sl_dlog_close(l);
        return NULL;
    }
    return l;
}

void sl_dlog_close(sl_disk_log *l)
{
    if (!l)
        return;
    if (l->active_fd >= 0)
        close(l->active_fd);
    if (l->lock_fd >= 0)
        close(l->lock_fd);
    free(l->segs);
    free(l->dir);
    free(l);
}

static bool has_active(const sl_disk_log *l) { return l->active_fd >= 0; }

static int new_segment(sl_disk_log *l, bool sync_old)
{
    if (has_active(l)) {
        if (sync_old)
            (void)fdatasync(l->active_fd);
        close(l->active_fd);
        l->active_fd = -1;
    }
    uint64_t base = sl_dlog_end(l);
    char *path = sl_dlog_segment_path(l, base);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        free(path);
        errno = e;
        return -1;
    }
    sl_fsync_parent_dir(path);
    free(path);
    add_seg(l, base, 0);
    l->active_fd = fd;
    return 0;
}

int sl_dlog_append(sl_disk_log *l, const void *p, size_t n, bool sync_on_roll)
{
    if (!has_active(l) || l->segs[l->n - 1].size >= l->segment_bytes)
        if (new_segment(l, sync_on_roll) != 0)
            return -1;
    segment *s = &l->segs[l->n - 1];
    if (!sl_write_all(l->active_fd, p, n)) {
        int e = errno;
        /* Cut back whatever part was written: the log holds whole records. */
        if (ftruncate(l->active_fd, (off_t)s->size) != 0 ||
            lseek(l->active_fd, (off_t)s->size, SEEK_SET) < 0) {
            /* The segment may now end in a torn record: seal it. */
            close(l->active_fd);
            l->active_fd = -1;
            struct stat st;
            char *path = sl_dlog_segment_path(l, s->base);
            if (stat(path, &st) == 0) {
                l->disk_bytes += (uint64_t)st.st_size - s->size;
                s->size = (uint64_t)st.st_size;
            }
            free(path);
        }
        errno = e;
        return -1;
    }
    s->size += n;
    l->disk_bytes += n;
    l->appended += n;
    return 0;
}

int sl_dlog_dup_active(const sl_disk_log *l)
{
    return has_active(l) ? fcntl(l->active_fd, F_DUPFD_CLOEXEC, 0) : -1;
}

int sl_dlog_sync(sl_disk_log *l) { return has_active(l) ? fdatasync(l->active_fd) : 0; }

uint64_t sl_dlog_end(const sl_disk_log *l)
{
    if (l->n) {
        const segment *s = &l->segs[l->n - 1];
        if (s->base + s->size > l->start)
            return s->base + s->size;
    }
    return l->start;
}

uint64_t sl_dlog_disk_bytes(const sl_disk_log *l) { return l->disk_bytes; }
uint64_t sl_dlog_released(const sl_disk_log *l) { return l->released; }
uint64_t sl_dlog_appended(const sl_disk_log *l) { return l->appended; }

bool sl_dlog_locate(const sl_disk_log *l, uint64_t *pos, uint64_t *base, uint64_t *limit,
                    bool *sealed, uint64_t *gap)
{
    *gap = 0;
    for (size_t i = 0; i < l->n; i++) {
        const segment *s = &l->segs[i];
        uint64_t end = s->base + s->size;
        if (*pos >= end)
            continue;
        if (*pos < s->base) {
            *gap = s->base - *pos;
            *pos = s->base;
        }
        *base = s->base;
        *limit = end;
        *sealed = !(i == l->n - 1 && has_active(l));
        return true;
    }
    return false;
}

int sl_dlog_release(sl_disk_log *l, uint64_t pos)
{
    if (pos != l->released) {
        if (save_released(l, pos) != 0)
            return -1;
        l->released = pos;
    }
    size_t keep = 0;
    bool removed = false;
    for (size_t i = 0; i < l->n; i++) {
        segment *s = &l->segs[i];
        bool active = i == l->n - 1 && has_active(l);
        if (!active && s->base + s->size <= pos) {
            char *path = sl_dlog_segment_path(l, s->base);
            if (unlink(path) == 0 || errno == ENOENT) {
                l->disk_bytes -= s->size;
                removed = true;
                free(path);
                continue;
            }
            free(path);
        }
        l->segs[keep++] = *s;
    }
    l->n = keep;
    if (removed) {
        char *path = state_path(l);
        sl_fsync_parent_dir(path);
        free(path);
    }
    return 0;
}
