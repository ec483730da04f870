/* fsutil.c: small file-system helpers (see the header). */
#include "util/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fd_write.h"
#include "util/xalloc.h"

int sl_mkdir_p(const char *path, unsigned mode)
{
    char *p = sl_strdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, (mode_t)mode) != 0 && errno != EEXIST ? -1 : 0;
    struct stat st;
    if (rc == 0 && stat(p, &st) != 0)
        rc = -1;
    else if (rc == 0 && !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;        /* a file is in the way */
        rc = -1;
    }
    free(p);
    return rc;
}

void sl_fsync_parent_dir(const char *path)
{
    char *dir = sl_strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(dir);
}

int sl_write_file_atomic(const char *path, const void *data, size_t n)
{
    size_t len = strlen(path);
    char *tmp = sl_malloc(len + 5);
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp", 5);
    int rc = -1, saved = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        saved = errno;
        goto out;
    }
    if (!sl_write_all(fd, data, n) || fsync(fd) != 0) {
        saved = errno;
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        saved = errno;
        unlink(tmp);
        goto out;
    }
    sl_fsync_parent_dir(path);  /* make the rename itself durable */
    rc = 0;
out:
    free(tmp);
    if (rc != 0)
        errno = saved;
    return rc;
}

void sl_buf_put_safe_name(sl_buf *b, const char *name)
{
    for (const char *s = name; *s; s++) {
        char c = *s;
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
        if (safe && !(c == '.' && s == name))
            sl_buf_putc(b, c);
        else
            sl_buf_printf(b, "%%%02X", (unsigned char)c);
    }
}
