/*
 * Identity and ConnectionId tests: the derivation vectors of protocol.md
 * §7.1, the byte order against the §3.6 frame 1 bytes, hex parsing, and
 * connection id generation.
 */
#include "auth/auth.h"
#include "base/base.h"
#include "test.h"

#define ALICE_HEX "c20035600353a2e93544d898c6ed0eac323e200c0468300f22958f8b472a265d"
#define BOB_HEX   "c200e63a6bd07da2304dd6f5b4691d3338562ceaa43cad4624d0d181a7a6c0d4"
/* The identity field of protocol.md §3.6 frame 1: alice, as BSATN (LE). */
#define ALICE_LE_HEX "5d262a478b8f95220f3068040c203e32ac0eedc698d84435e9a25303603500c2"

TEST(identity_from_claims_vectors)
{
    auth_identity_t id;
    char hex[AUTH_IDENTITY_HEX_LEN + 1];
    CHECK_OK(auth_identity_from_claims("localhost", "alice", &id));
    auth_identity_to_hex(&id, hex);
    CHECK_EQ_STR(hex, ALICE_HEX);
    CHECK_OK(auth_identity_from_claims("localhost", "bob", &id));
    auth_identity_to_hex(&id, hex);
    CHECK_EQ_STR(hex, BOB_HEX);
}

/* The struct holds the BSATN bytes: the display form reversed. */
TEST(identity_le_is_reversed_be)
{
    auth_identity_t id;
    uint8_t want_le[AUTH_IDENTITY_LEN], be[AUTH_IDENTITY_LEN];
    CHECK_OK(auth_identity_from_claims("localhost", "alice", &id));
    CHECK_OK(lc_hex_decode(want_le, sizeof want_le, ALICE_LE_HEX, strlen(ALICE_LE_HEX)));
    CHECK_EQ_MEM(id.le, want_le, sizeof want_le);
    CHECK_OK(lc_hex_decode(be, sizeof be, ALICE_HEX, strlen(ALICE_HEX)));
    for (int i = 0; i < AUTH_IDENTITY_LEN; i++)
        CHECK_EQ_INT(id.le[i], be[AUTH_IDENTITY_LEN - 1 - i]);
    CHECK_EQ_INT(id.le[31], 0xc2);
    CHECK_EQ_INT(id.le[30], 0x00);
}

/* Same claims, same identity; moving a byte across the separator changes
 * it.  The separator is not escaped, so ("a|b", "c") and ("a", "b|c") hash
 * the same bytes and share an identity: that is the reference's rule, kept
 * for compatibility, and issuers are trusted URLs that contain no "|". */
TEST(identity_from_claims_distinct)
{
    auth_identity_t a, b, c;
    CHECK_OK(auth_identity_from_claims("localhost", "alice", &a));
    CHECK_OK(auth_identity_from_claims("localhost", "alice", &b));
    CHECK_EQ_MEM(a.le, b.le, sizeof a.le);
    CHECK_OK(auth_identity_from_claims("localhos", "talice", &c));
    CHECK(memcmp(a.le, c.le, sizeof a.le) != 0);
    CHECK_OK(auth_identity_from_claims("a|b", "c", &b));
    CHECK_OK(auth_identity_from_claims("a", "b|c", &c));
    CHECK_EQ_MEM(b.le, c.le, sizeof b.le);
    CHECK_OK(auth_identity_from_claims("", "", &c));
    CHECK_EQ_INT(c.le[31], 0xc2);
    CHECK_EQ_INT(auth_identity_from_claims(NULL, "x", &c), LC_EINVAL);
    CHECK_EQ_INT(auth_identity_from_claims("x", NULL, &c), LC_EINVAL);
}

TEST(identity_hex_round_trip)
{
    auth_identity_t id, back;
    char hex[AUTH_IDENTITY_HEX_LEN + 1];
    CHECK_OK(auth_identity_from_claims("localhost", "bob", &id));
    auth_identity_to_hex(&id, hex);
    CHECK_OK(auth_identity_from_hex(hex, strlen(hex), &back));
    CHECK_EQ_MEM(back.le, id.le, sizeof id.le);

    memset(&back, 0, sizeof back);
    CHECK_OK(auth_identity_from_hex("0x" BOB_HEX, strlen("0x" BOB_HEX), &back));
    CHECK_EQ_MEM(back.le, id.le, sizeof id.le);

    /* upper case is accepted on input; output is always lower case */
    static const char upper[] = "C200E63A6BD07DA2304DD6F5B4691D3338562CEAA43CAD4624D0D181A7A6C0D4";
    memset(&back, 0, sizeof back);
    CHECK_OK(auth_identity_from_hex(upper, strlen(upper), &back));
    CHECK_EQ_MEM(back.le, id.le, sizeof id.le);
    auth_identity_to_hex(&back, hex);
    CHECK_EQ_STR(hex, BOB_HEX);
}

TEST(identity_from_hex_rejects)
{
    auth_identity_t id;
    memset(&id, 0x77, sizeof id);
    static const char *const bad[] = {
        "",
        "0x",
        BOB_HEX "0",                                                         /* 65 digits */
        "c200e63a6bd07da2304dd6f5b4691d3338562ceaa43cad4624d0d181a7a6c0d",   /* 63 */
        "c200e63a6bd07da2304dd6f5b4691d3338562ceaa43cad4624d0d181a7a6c0d4 ", /* space */
        "0X" BOB_HEX,                                                        /* only 0x */
        "0x0x" BOB_HEX,
        "c200e63a6bd07da2304dd6f5b4691d3338562ceaa43cad4624d0d181a7a6c0dg",   /* bad digit */
        "c200e63a6bd07da2304dd6f5b4691d3338562ceaa43cad4624d0d181a7a6c0d4c2", /* 66 no 0x */
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++)
        CHECK_MSG(auth_identity_from_hex(bad[i], strlen(bad[i]), &id) == LC_EINVAL,
                  "accepted \"%s\"", bad[i]);
    for (size_t i = 0; i < sizeof id.le; i++) CHECK_EQ_INT(id.le[i], 0x77);
    /* len is what counts, not the NUL: a prefix of a valid string is short */
    CHECK_EQ_INT(auth_identity_from_hex(BOB_HEX, 62, &id), LC_EINVAL);
}

TEST(connection_id_hex)
{
    auth_connection_id_t id, back;
    char hex[AUTH_CONNECTION_ID_HEX_LEN + 1];
    static const char le_hex[] = "efcdab8967452301efcdab8967452301";
    CHECK_OK(lc_hex_decode(id.le, sizeof id.le, le_hex, strlen(le_hex)));
    auth_connection_id_to_hex(&id, hex);
    CHECK_EQ_STR(hex, "0123456789abcdef0123456789abcdef");
    CHECK_OK(auth_connection_id_from_hex(hex, strlen(hex), &back));
    CHECK_EQ_MEM(back.le, id.le, sizeof id.le);
    memset(&back, 0, sizeof back);
    CHECK_OK(auth_connection_id_from_hex("0x0123456789ABCDEF0123456789abcdef", 34, &back));
    CHECK_EQ_MEM(back.le, id.le, sizeof id.le);
    CHECK_EQ_INT(auth_connection_id_from_hex(hex, 31, &back), LC_EINVAL);
    CHECK_EQ_INT(auth_connection_id_from_hex("0123456789abcdef0123456789abcdeg", 32, &back),
                 LC_EINVAL);
    CHECK_EQ_INT(auth_connection_id_from_hex(ALICE_HEX, 64, &back), LC_EINVAL);
}

TEST(connection_id_zero)
{
    auth_connection_id_t id;
    memset(&id, 0, sizeof id);
    CHECK(auth_connection_id_is_zero(&id));
    id.le[15] = 1;
    CHECK(!auth_connection_id_is_zero(&id));
    id.le[15] = 0;
    id.le[0] = 0x80;
    CHECK(!auth_connection_id_is_zero(&id));
    char hex[AUTH_CONNECTION_ID_HEX_LEN + 1];
    memset(&id, 0, sizeof id);
    auth_connection_id_to_hex(&id, hex);
    CHECK_EQ_STR(hex, "00000000000000000000000000000000");
}

TEST(connection_id_generate)
{
    enum { N = 64 };
    auth_connection_id_t ids[N];
    for (int i = 0; i < N; i++) {
        CHECK_OK(auth_connection_id_generate(&ids[i]));
        CHECK(!auth_connection_id_is_zero(&ids[i]));
        for (int j = 0; j < i; j++) CHECK(memcmp(ids[i].le, ids[j].le, sizeof ids[i].le) != 0);
    }
}

const test_case_t test_identity_cases[] = {
    TEST_CASE(identity_from_claims_vectors),
    TEST_CASE(identity_le_is_reversed_be),
    TEST_CASE(identity_from_claims_distinct),
    TEST_CASE(identity_hex_round_trip),
    TEST_CASE(identity_from_hex_rejects),
    TEST_CASE(connection_id_hex),
    TEST_CASE(connection_id_zero),
    TEST_CASE(connection_id_generate),
    TEST_END,
};
