/*
 * CRC-32C, the Castagnoli CRC, used to checksum commit-log records and
 * snapshot pages.
 *
 * What it is
 * ----------
 * A 32-bit cyclic redundancy check over the generator polynomial 0x1EDC6F41
 * (Castagnoli, 1993).  Castagnoli chose it for a larger minimum Hamming
 * distance than the IEEE 802.3 CRC-32 over the message lengths storage
 * uses, and x86 CPUs since Nehalem compute it in hardware (the SSE4.2
 * crc32 instruction), which is why iSCSI, ext4, Btrfs and most log-structured
 * stores picked it.
 *
 * Conventions (the parameters every implementation must agree on)
 * ----------------------------------------------------------------
 *   width 32, poly 0x1EDC6F41, reflected in and out (so, working LSB first,
 *   the polynomial reads 0x82F63B78), init 0xFFFFFFFF, xorout 0xFFFFFFFF.
 *   Check value: CRC of the ASCII bytes "123456789" is 0xE3069283.
 *
 * Invariants
 * ----------
 *   1. lc_crc32c(0, p, n) is the finished CRC of p[0..n).  The init and final
 *      inversions happen inside, so callers never see the raw register.
 *   2. Chaining: lc_crc32c(lc_crc32c(0, a, na), b, nb) equals the CRC of a||b.
 *      This falls out of 1: undoing the final inversion of the previous
 *      result gives back exactly the register value the longer run would
 *      have had at that point.
 *   3. The software and hardware paths return identical values for every
 *      input; the unit tests compare them on random lengths and alignments.
 *
 * Software path: slicing-by-8
 * ---------------------------
 * The classic byte-at-a-time loop looks up one 256-entry table per byte:
 * table[0][i] is the register after shifting byte i through eight zero-bit
 * steps.  Slicing-by-8 (Kounavis and Berry, Intel, 2005) adds tables
 * table[k][i] = the effect of byte i followed by k zero bytes, so eight
 * input bytes XORed into the register can be folded with eight independent
 * lookups instead of eight dependent ones.  The tables (8 KiB) are built once
 * on first use under pthread_once, so concurrent first callers are safe.
 * Words are loaded with explicit little-endian loads, so the code is correct
 * on any byte order and needs no alignment.
 *
 * Hardware path
 * -------------
 * The SSE4.2 crc32 instruction computes exactly this reflected CRC step
 * (without the inversions) over 1, 2, 4 or 8 bytes.  We feed it single bytes
 * until the pointer is 8-aligned, then 8-byte words, then the tail.  The
 * choice is made once at run time with __builtin_cpu_supports, so the same
 * binary runs on CPUs without SSE4.2.  A three-way interleaved loop would be
 * roughly three times faster still; records are small enough that it has
 * not been worth the code.
 */
#include <pthread.h>
#include <string.h>

#include "base.h"
#include "base_int.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#define CRC_HAVE_SSE42 1
#else
#define CRC_HAVE_SSE42 0
#endif

#define CRC32C_POLY_REFLECTED 0x82F63B78u

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static uint32_t (*crc_impl)(uint32_t reg, const uint8_t *p, size_t n);

/* table[0] is the bitwise CRC of each byte value; table[k] extends
 * table[k-1] by one more zero byte. */
static void build_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t r = i;
        for (int bit = 0; bit < 8; bit++) r = (r >> 1) ^ (CRC32C_POLY_REFLECTED & (0u - (r & 1)));
        crc_table[0][i] = r;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++) {
            uint32_t prev = crc_table[k - 1][i];
            crc_table[k][i] = (prev >> 8) ^ crc_table[0][prev & 0xff];
        }
}

/* Advance the raw register (no inversions) over n bytes, in software. */
static uint32_t sw_update(uint32_t reg, const uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint32_t lo = reg ^ lc_load_u32le(p);
        uint32_t hi = lc_load_u32le(p + 4);
        reg = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
              crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^
              crc_table[2][(hi >> 8) & 0xff] ^ crc_table[1][(hi >> 16) & 0xff] ^
              crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) reg = (reg >> 8) ^ crc_table[0][(reg ^ *p++) & 0xff];
    return reg;
}

#if CRC_HAVE_SSE42
/* Advance the raw register over n bytes with the SSE4.2 crc32 instruction. */
__attribute__((target("sse4.2"))) static uint32_t hw_update(uint32_t reg, const uint8_t *p,
                                                            size_t n)
{
    while (n > 0 && ((uintptr_t)p & 7) != 0) {
        reg = _mm_crc32_u8(reg, *p++);
        n--;
    }
    uint64_t r64 = reg;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8); /* aligned by now; memcpy keeps the compiler honest */
        r64 = _mm_crc32_u64(r64, word);
        p += 8;
        n -= 8;
    }
    reg = (uint32_t)r64;
    while (n--) reg = _mm_crc32_u8(reg, *p++);
    return reg;
}
#endif

static void crc_init(void)
{
    build_tables();
    crc_impl = sw_update;
#if CRC_HAVE_SSE42
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2"))
        crc_impl = hw_update;
#endif
}

uint32_t lc_crc32c(uint32_t crc, const void *p, size_t n)
{
    if (n == 0)
        return crc;
    pthread_once(&crc_once, crc_init);
    return ~crc_impl(~crc, p, n);
}

uint32_t lc__crc32c_sw(uint32_t crc, const void *p, size_t n)
{
    if (n == 0)
        return crc;
    pthread_once(&crc_once, crc_init);
    return ~sw_update(~crc, p, n);
}
