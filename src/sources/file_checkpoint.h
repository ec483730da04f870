/* file_checkpoint.h: the file source's checkpoint store on disk. One file
 * per source under service.state_dir, written atomically (temp file,
 * fsync, rename, fsync of the directory) with mode 0600. Each entry says
 * how far a file identity (device, inode, fingerprint of its first bytes)
 * has been delivered. The file ends with a count and a CRC of everything
 * before it, so a truncated or corrupt file is recognised: it is reported
 * and ignored, never fatal. */
#ifndef SLUICE_SOURCES_FILE_CHECKPOINT_H
#define SLUICE_SOURCES_FILE_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What makes a file the same file: device and inode, and a CRC-32 of its
 * first fp_len bytes (fp_len is less than the configured fingerprint
 * length while the file is shorter than that). */
typedef struct {
    uint64_t dev, ino;
    uint32_t fp_len, fp_crc;
} sl_file_id;

typedef struct {
    sl_file_id id;
    uint64_t offset;        /* delivered up to here (decompressed for gzip) */
    int64_t seen;           /* unix seconds the file was last seen */
    bool gzip_done;         /* a gzip file read to its end: never again */
    char *path;             /* as last seen, for people reading the file */
} sl_checkpoint;

/* Load `file`. A missing file is no error (zero entries). On a corrupt or
 * unreadable one: -1, *err set (free it), and no entries. */
int sl_checkpoints_load(const char *file, sl_checkpoint **out, size_t *n, char **err);
/* Replace `file` atomically with these entries. -1 with *err on failure. */
int sl_checkpoints_save(const char *file, const sl_checkpoint *v, size_t n, char **err);
void sl_checkpoints_free(sl_checkpoint *v, size_t n);

/* The checkpoint file of a source: STATE_DIR/checkpoints/NAME.ckpt, with
 * the name made safe for a file name. Creates the directory (0700);
 * NULL with *err if it cannot. */
char *sl_checkpoint_path(const char *state_dir, const char *source_name, char **err);

#endif
