/* malloc_tuning.c: see malloc_tuning.h.
 *
 * With glibc's defaults, a chunk's buffers (read buffer, fields arena,
 * encoded JSON) above the 128 KiB mmap threshold are mapped and unmapped
 * per chunk, and a heap whose top has more than 128 KiB free is trimmed
 * (madvise) each time a chunk is freed: every buffer then comes back as
 * fresh zero-filled pages, one page fault per 4 KiB, and each unmap in a
 * threaded process is a TLB shootdown on every core. Under load that was
 * a third of sluice's CPU (perf, W3: syslog over TCP to a file: 1.9 M
 * lines/s with the defaults, 3.1 M with these). Freed memory is kept
 * instead; what the process holds is still bounded by what it used at its
 * peak (service.memory_limit and the buffers bound that), and it is
 * handed back by sl_malloc_release when the pipeline goes idle. */
#include "util/malloc_tuning.h"

#include <stdlib.h>     /* defines __GLIBC__ on glibc */

#ifdef __GLIBC__
#include <malloc.h>

/* Free memory a heap may keep at its top before returning it. */
#define TRIM_THRESHOLD (4 * 1024 * 1024)
/* Blocks from this size up are mapped on their own (huge lines, big
 * batches): unmapped when freed. */
#define MMAP_THRESHOLD (4 * 1024 * 1024)

void sl_malloc_tune(void)
{
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
}

void sl_malloc_release(void) { malloc_trim(0); }

#else

void sl_malloc_tune(void) {}
void sl_malloc_release(void) {}

#endif
