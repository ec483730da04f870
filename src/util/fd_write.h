/* fd_write.h: write a whole buffer to a file descriptor (retrying short
 * writes and EINTR). */
#ifndef SLUICE_UTIL_FD_WRITE_H
#define SLUICE_UTIL_FD_WRITE_H

#include <stdbool.h>
#include <stddef.h>

/* True when every byte was written; false with errno set otherwise. */
bool sl_write_all(int fd, const char *p, size_t n);

#endif
