/* crc32c.h: CRC-32C (Castagnoli), the checksum of every disk-buffer record.
 * Uses the SSE4.2 crc32 instruction when the CPU has it, else a
 * slicing-by-8 table. */
#ifndef SLUICE_UTIL_CRC32C_H
#define SLUICE_UTIL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0. sl_crc32c(0, "123456789", 9) is
 * 0xe3069283. */
uint32_t sl_crc32c(uint32_t crc, const void *data, size_t n);

#endif
