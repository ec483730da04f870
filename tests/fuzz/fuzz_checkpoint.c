/* fuzz_checkpoint.c: fuzz target for the file source's checkpoint loader.
 * The loader reads a path, so the input is written to a temporary file
 * (made once with mkstemp, rewritten for each input) and loaded as is.
 * When it starts with the checkpoint header it is loaded a second time
 * with its last line replaced by a correct end line (count and CRC), so
 * that the fuzzer gets past the checksum into the entry parser. Each load
 * either fails with an error message and no entries, or succeeds, and
 * then saving its entries and loading them again gives the same entries. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sources/file_checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER "# sluice file checkpoints v1\n"

static char in_path[64], out_path[64], out_tmp[80];

static void cleanup(void)
{
    unlink(in_path);
    unlink(out_path);
    unlink(out_tmp);
}

static void make_temp(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/sluice-fuzz-ckpt-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        abort();
    }
    close(fd);
}

static void setup_once(void)
{
    if (in_path[0])
        return;
    make_temp(in_path, sizeof in_path);
    make_temp(out_path, sizeof out_path);
    snprintf(out_tmp, sizeof out_tmp, "%s.tmp", out_path);
    atexit(cleanup);
}

static void write_input(const void *a, size_t na, const void *b, size_t nb)
{
    int fd = open(in_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
        perror(in_path);
        abort();
    }
    const void *parts[2] = {a, b};
    size_t lens[2] = {na, nb};
    for (int i = 0; i < 2; i++) {
        const char *p = parts[i];
        size_t n = lens[i];
        while (n) {
            ssize_t w = write(fd, p, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                perror(in_path);
                abort();
            }
            p += w;
            n -= (size_t)w;
        }
    }
    close(fd);
}

static bool same_entry(const sl_checkpoint *a, const sl_checkpoint *b)
{
    return a->id.dev == b->id.dev && a->id.ino == b->id.ino && a->id.fp_len == b->id.fp_len &&
           a->id.fp_crc == b->id.fp_crc && a->offset == b->offset && a->seen == b->seen &&
           a->gzip_done == b->gzip_done && a->path && b->path && strcmp(a->path, b->path) == 0;
}

static void check_load(void)
{
    sl_checkpoint *v = NULL;
    size_t n = 0;
    char *err = NULL;
    int rc = sl_checkpoints_load(in_path, &v, &n, &err);
    if (rc != 0) {
        if (rc != -1 || !err || !*err || v || n)
            abort();                    /* a failure must say why and give nothing */
        free(err);
        return;
    }
    if (err || (n && !v))
        abort();
    if (sl_checkpoints_save(out_path, v, n, &err) != 0) {
        fprintf(stderr, "save: %s\n", err);
        abort();
    }
    sl_checkpoint *w = NULL;
    size_t m = 0;
    if (sl_checkpoints_load(out_path, &w, &m, &err) != 0) {
        fprintf(stderr, "reload: %s\n", err);
        abort();
    }
    if (m != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!same_entry(&v[i], &w[i]))
            abort();
    sl_checkpoints_free(v, n);
    sl_checkpoints_free(w, m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup_once();
    write_input(data, size, NULL, 0);
    check_load();

    size_t hl = strlen(HEADER);
    if (size < hl || memcmp(data, HEADER, hl) != 0)
        return 0;
    /* The body: everything before a last line that looks like an end
     * line, else all of it (ended by a newline). */
    size_t body = size;
    size_t last = size && data[size - 1] == '\n' ? size - 1 : size;
    while (last > 0 && data[last - 1] != '\n')
        last--;
    if (size - last >= 5 && memcmp(data + last, "# end", 5) == 0)
        body = last;
    char *buf = malloc(body + 1);
    if (!buf)
        abort();
    memcpy(buf, data, body);
    if (body == 0 || buf[body - 1] != '\n')
        buf[body++] = '\n';
    size_t lines = 0;
    for (size_t i = 0; i < body; i++)
        lines += buf[i] == '\n';
    char end[64];
    int el = snprintf(end, sizeof end, "# end %zu %08lx\n", lines - 1,
                      (unsigned long)crc32(0L, (const Bytef *)buf, (uInt)body));
    write_input(buf, body, end, (size_t)el);
    free(buf);
    check_load();
    return 0;
}
