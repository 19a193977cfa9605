/*
 * base_int.h — helpers shared inside src/base and with its unit tests, not
 * part of the public surface in base.h.  Names use the lc__ prefix.
 */
#ifndef LC_BASE_INT_H
#define LC_BASE_INT_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C computed by the portable slicing-by-8 code even when the CPU has
 * SSE4.2, so tests can check that both paths agree.  Same contract as
 * lc_crc32c(). */
uint32_t lc__crc32c_sw(uint32_t crc, const void *p, size_t n);

#endif /* LC_BASE_INT_H */
