/* Hex encoding tests: round trips, case on input, and strict rejection. */
#include "base/base.h"
#include "test.h"

TEST(hex_encode_known)
{
    static const uint8_t bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff};
    char out[2 * sizeof bytes + 1];
    lc_hex_encode(out, bytes, sizeof bytes);
    CHECK_EQ_STR(out, "00017f80abcdefff");
    lc_hex_encode(out, bytes, 0);
    CHECK_EQ_STR(out, "");
}

TEST(hex_round_trip)
{
    uint8_t bytes[256], back[256];
    char hex[2 * sizeof bytes + 1];
    for (int i = 0; i < 256; i++) bytes[i] = (uint8_t)(255 - i);
    lc_hex_encode(hex, bytes, sizeof bytes);
    CHECK_EQ_INT(strlen(hex), 2 * sizeof bytes);
    CHECK_OK(lc_hex_decode(back, sizeof back, hex, strlen(hex)));
    CHECK_EQ_MEM(back, bytes, sizeof bytes);
}

TEST(hex_decode_either_case)
{
    uint8_t out[4];
    static const uint8_t want[] = {0xde, 0xad, 0xbe, 0xef};
    CHECK_OK(lc_hex_decode(out, 4, "DEADBEEF", 8));
    CHECK_EQ_MEM(out, want, 4);
    CHECK_OK(lc_hex_decode(out, 4, "dEaDbEeF", 8));
    CHECK_EQ_MEM(out, want, 4);
    CHECK_OK(lc_hex_decode(out, 0, "", 0));
}

TEST(hex_decode_rejects_bad_chars)
{
    /* "\3770" is a 0xff byte then '0' (an octal escape stops at 3 digits). */
    static const char *const bad[] = {"0g",    "g0", "0 ", " 0", "0x", "-1", "+1",
                                      "\3770", "0/", "0:", "0@", "0G", "0`"};
    uint8_t out[1] = {0x5a};
    for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
        CHECK_MSG(lc_hex_decode(out, 1, bad[i], 2) == LC_EINVAL, "accepted \"%s\"", bad[i]);
        CHECK_EQ_INT(out[0], 0x5a); /* untouched on error */
    }
    uint8_t two[2] = {0x11, 0x22};
    CHECK_EQ_INT(lc_hex_decode(two, 2, "12\0004", 4), LC_EINVAL); /* NUL inside */
    CHECK_EQ_INT(two[0], 0x11);
}

TEST(hex_decode_rejects_wrong_length)
{
    uint8_t out[4];
    CHECK_EQ_INT(lc_hex_decode(out, 4, "abc", 3), LC_EINVAL);         /* odd */
    CHECK_EQ_INT(lc_hex_decode(out, 4, "abcdef", 6), LC_EINVAL);      /* short */
    CHECK_EQ_INT(lc_hex_decode(out, 4, "abcdef0123", 10), LC_EINVAL); /* long */
    CHECK_EQ_INT(lc_hex_decode(out, 1, "a", 1), LC_EINVAL);           /* half a byte */
    CHECK_EQ_INT(lc_hex_decode(out, 0, "ab", 2), LC_EINVAL);          /* nothing wanted */
    CHECK_EQ_INT(lc_hex_decode(out, SIZE_MAX, "ab", 2), LC_EINVAL);   /* overflow */
}

const test_case_t test_hex_cases[] = {
    TEST_CASE(hex_encode_known),
    TEST_CASE(hex_round_trip),
    TEST_CASE(hex_decode_either_case),
    TEST_CASE(hex_decode_rejects_bad_chars),
    TEST_CASE(hex_decode_rejects_wrong_length),
    TEST_END,
};
