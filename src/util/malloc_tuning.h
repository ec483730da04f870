/* malloc_tuning.h: glibc malloc settings for sluice's allocation pattern
 * (the same few 16-200 KiB chunk buffers allocated on one thread and
 * freed on another, thousands of times a second), and giving freed memory
 * back to the system once the pipeline is idle. No-ops elsewhere than
 * glibc. */
#ifndef SLUICE_UTIL_MALLOC_TUNING_H
#define SLUICE_UTIL_MALLOC_TUNING_H

/* Once, at start, before any thread: keep freed memory in the process
 * (no trim, no mmap per buffer) while events flow. */
void sl_malloc_tune(void);
/* Return free memory to the system (malloc_trim); for when no events are
 * in flight. */
void sl_malloc_release(void);

#endif
