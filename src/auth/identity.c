/*
 * Identities and connection ids: derivation, display and parsing.  The
 * formats and byte orders are described in auth.h; the derivation follows
 * protocol.md §7.1 exactly, since identities must agree with those minted
 * by SpacetimeDB for the same token claims.
 */
#include <string.h>

#include "auth/auth.h"
#include "base/base.h"

/* The two fixed bytes that start every locally derived identity (BE). */
static const uint8_t ID_PREFIX[2] = {0xC2, 0x00};

enum {
    ID_HASH_LEN = 26, /* bytes of h1 kept in the identity */
    ID_CHECK_LEN = 4, /* bytes of h2 kept in the identity */
};

/* Copy n bytes from src to dst in reverse order (LE <-> BE). */
static void reverse_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = src[n - 1 - i];
}

/* Skip an optional "0x" so that both display spellings parse. */
static void skip_0x(const char **hex, size_t *len)
{
    if (*len >= 2 && (*hex)[0] == '0' && (*hex)[1] == 'x') {
        *hex += 2;
        *len -= 2;
    }
}

int auth_identity_from_claims(const char *issuer, const char *subject, auth_identity_t *out)
{
    if (issuer == NULL || subject == NULL)
        return LC_EINVAL;
    lc_blake3_t h;
    uint8_t h1[LC_BLAKE3_OUT_LEN], h2[LC_BLAKE3_OUT_LEN], be[AUTH_IDENTITY_LEN];

    lc_blake3_init(&h);
    lc_blake3_update(&h, issuer, strlen(issuer));
    lc_blake3_update(&h, "|", 1);
    lc_blake3_update(&h, subject, strlen(subject));
    lc_blake3_final(&h, h1, sizeof h1);

    /* h2 covers the prefix and id_hash: the 28 bytes that end up beside it. */
    lc_blake3_init(&h);
    lc_blake3_update(&h, ID_PREFIX, sizeof ID_PREFIX);
    lc_blake3_update(&h, h1, ID_HASH_LEN);
    lc_blake3_final(&h, h2, sizeof h2);

    memcpy(be, ID_PREFIX, sizeof ID_PREFIX);
    memcpy(be + sizeof ID_PREFIX, h2, ID_CHECK_LEN);
    memcpy(be + sizeof ID_PREFIX + ID_CHECK_LEN, h1, ID_HASH_LEN);
    reverse_copy(out->le, be, sizeof be);
    return 0;
}

void auth_identity_to_hex(const auth_identity_t *id, char out[AUTH_IDENTITY_HEX_LEN + 1])
{
    uint8_t be[AUTH_IDENTITY_LEN];
    reverse_copy(be, id->le, sizeof be);
    lc_hex_encode(out, be, sizeof be);
}

int auth_identity_from_hex(const char *hex, size_t len, auth_identity_t *out)
{
    uint8_t be[AUTH_IDENTITY_LEN];
    skip_0x(&hex, &len);
    int rc = lc_hex_decode(be, sizeof be, hex, len);
    if (rc < 0)
        return rc;
    reverse_copy(out->le, be, sizeof be);
    return 0;
}

bool auth_connection_id_is_zero(const auth_connection_id_t *id)
{
    for (size_t i = 0; i < sizeof id->le; i++)
        if (id->le[i] != 0)
            return false;
    return true;
}

/* Zero means "none", so a zero draw is redrawn.  Its odds are 2^-128; only
 * a broken random source would repeat it, and that is reported, not looped
 * on forever. */
int auth_connection_id_generate(auth_connection_id_t *out)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        int rc = lc_random_bytes(out->le, sizeof out->le);
        if (rc < 0)
            return rc;
        if (!auth_connection_id_is_zero(out))
            return 0;
    }
    return LC_EIO;
}

void auth_connection_id_to_hex(const auth_connection_id_t *id,
                               char out[AUTH_CONNECTION_ID_HEX_LEN + 1])
{
    uint8_t be[AUTH_CONNECTION_ID_LEN];
    reverse_copy(be, id->le, sizeof be);
    lc_hex_encode(out, be, sizeof be);
}

int auth_connection_id_from_hex(const char *hex, size_t len, auth_connection_id_t *out)
{
    uint8_t be[AUTH_CONNECTION_ID_LEN];
    skip_0x(&hex, &len);
    int rc = lc_hex_decode(be, sizeof be, hex, len);
    if (rc < 0)
        return rc;
    reverse_copy(out->le, be, sizeof be);
    return 0;
}
