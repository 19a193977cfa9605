/*
 * CRC-32C tests: the catalogue check value, the RFC 3720 (iSCSI) appendix
 * B.4 vectors, chaining, and agreement of the hardware and software paths
 * on random lengths and alignments.
 */
#include "base/base.h"
#include "base/base_int.h"
#include "test.h"

/* A small deterministic generator, so that a failure reproduces. */
static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

TEST(crc32c_check_value)
{
    CHECK_EQ_INT(lc_crc32c(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ_INT(lc__crc32c_sw(0, "123456789", 9), 0xE3069283u);
}

TEST(crc32c_empty)
{
    CHECK_EQ_INT(lc_crc32c(0, NULL, 0), 0);
    CHECK_EQ_INT(lc_crc32c(0x12345678u, NULL, 0), 0x12345678u);
    CHECK_EQ_INT(lc_crc32c(0, "a", 1), 0xC1D04330u);
}

/* RFC 3720, appendix B.4. */
TEST(crc32c_rfc3720)
{
    uint8_t buf[32];
    memset(buf, 0, sizeof buf);
    CHECK_EQ_INT(lc_crc32c(0, buf, sizeof buf), 0x8A9136AAu);
    CHECK_EQ_INT(lc__crc32c_sw(0, buf, sizeof buf), 0x8A9136AAu);
    memset(buf, 0xff, sizeof buf);
    CHECK_EQ_INT(lc_crc32c(0, buf, sizeof buf), 0x62A8AB43u);
    CHECK_EQ_INT(lc__crc32c_sw(0, buf, sizeof buf), 0x62A8AB43u);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)i;
    CHECK_EQ_INT(lc_crc32c(0, buf, sizeof buf), 0x46DD794Eu);
    CHECK_EQ_INT(lc__crc32c_sw(0, buf, sizeof buf), 0x46DD794Eu);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)(31 - i);
    CHECK_EQ_INT(lc_crc32c(0, buf, sizeof buf), 0x113FDB5Cu);
    CHECK_EQ_INT(lc__crc32c_sw(0, buf, sizeof buf), 0x113FDB5Cu);
}

/* CRC(a||b) == lc_crc32c(CRC(a), b) for every split point. */
TEST(crc32c_chaining)
{
    uint8_t buf[300];
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)xorshift(&s);
    uint32_t whole = lc_crc32c(0, buf, sizeof buf);
    for (size_t cut = 0; cut <= sizeof buf; cut++) {
        uint32_t a = lc_crc32c(0, buf, cut);
        CHECK_EQ_INT(lc_crc32c(a, buf + cut, sizeof buf - cut), whole);
        uint32_t b = lc__crc32c_sw(0, buf, cut);
        CHECK_EQ_INT(lc__crc32c_sw(b, buf + cut, sizeof buf - cut), whole);
    }
    /* and in three pieces, the check string */
    uint32_t c = lc_crc32c(0, "123", 3);
    c = lc_crc32c(c, "45", 2);
    CHECK_EQ_INT(lc_crc32c(c, "6789", 4), 0xE3069283u);
}

/* The dispatching lc_crc32c (SSE4.2 when present) agrees with the portable
 * slicing-by-8 code on random lengths, alignments and starting values. */
TEST(crc32c_hw_matches_sw)
{
    enum { MAX_LEN = 4096, MAX_SHIFT = 16 };
    static uint8_t buf[MAX_LEN + MAX_SHIFT];
    uint64_t s = 42;
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)xorshift(&s);
    for (int iter = 0; iter < 2000; iter++) {
        size_t shift = xorshift(&s) % MAX_SHIFT;
        size_t len = iter < 64 ? (size_t)iter : xorshift(&s) % (MAX_LEN + 1);
        uint32_t seed = iter % 3 == 0 ? 0 : (uint32_t)xorshift(&s);
        uint32_t hw = lc_crc32c(seed, buf + shift, len);
        uint32_t sw = lc__crc32c_sw(seed, buf + shift, len);
        CHECK_MSG(hw == sw, "len %zu shift %zu seed %08x: %08x != %08x", len, shift, (unsigned)seed,
                  (unsigned)hw, (unsigned)sw);
    }
}

/* A single flipped bit anywhere changes the CRC (CRCs detect all 1-bit
 * errors). */
TEST(crc32c_detects_bit_flips)
{
    uint8_t buf[64];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 7);
    uint32_t base = lc_crc32c(0, buf, sizeof buf);
    for (size_t bit = 0; bit < 8 * sizeof buf; bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        uint32_t flipped = lc_crc32c(0, buf, sizeof buf);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_MSG(flipped != base, "bit %zu flip not detected", bit);
    }
}

const test_case_t test_crc32c_cases[] = {
    TEST_CASE(crc32c_check_value),
    TEST_CASE(crc32c_empty),
    TEST_CASE(crc32c_rfc3720),
    TEST_CASE(crc32c_chaining),
    TEST_CASE(crc32c_hw_matches_sw),
    TEST_CASE(crc32c_detects_bit_flips),
    TEST_END,
};
