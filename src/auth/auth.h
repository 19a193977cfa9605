/*
 * auth — who a client is.
 *
 * This module owns identities and connection ids today, and will own the
 * tokens that carry identities (JWT minting and validation, protocol.md
 * §7.2–7.4) and the server's signing keys.  It depends only on base.
 *
 * Identity
 * --------
 * A 256-bit number that names a user across connections and databases.  It
 * is derived, never stored: BLAKE3 over the token's issuer and subject
 * (protocol.md §7.1), so the same (issuer, subject) pair yields the same
 * identity on every server.
 *
 *   h1       = BLAKE3(issuer || "|" || subject)
 *   id_hash  = h1[0..26]
 *   h2       = BLAKE3(C2 00 || id_hash)
 *   BE       = C2 00 || h2[0..4] || id_hash          (32 bytes)
 *
 * Two byte orders meet here, and mixing them up silently names someone
 * else, so the struct holds one of them only:
 *
 *   form            order          where
 *   le[32]          little-endian  BSATN (u256), row storage, this struct
 *   hex display     big-endian     HTTP API, tokens' hex_identity, logs;
 *                                  lowercase, 64 chars, starts "c200"
 *
 * ConnectionId
 * ------------
 * A 128-bit random number naming one connection of one client.  BSATN is 16
 * bytes little-endian; the hex display is big-endian, 32 chars.  All-zero is
 * reserved: it means "no connection" (a scheduled reducer, an HTTP call
 * without one), so a generated id is never zero.
 */
#ifndef LC_AUTH_H
#define LC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- identity */

#define AUTH_IDENTITY_LEN     32
#define AUTH_IDENTITY_HEX_LEN 64

/* An identity as its 32 little-endian (BSATN) bytes. */
typedef struct auth_identity {
    uint8_t le[AUTH_IDENTITY_LEN];
} auth_identity_t;

/* Derive the identity of (issuer, subject), both NUL-terminated UTF-8, as in
 * protocol.md §7.1.  LC_EINVAL if either is NULL.  Length and emptiness
 * limits on claims are the token validator's business, not this function's. */
int auth_identity_from_claims(const char *issuer, const char *subject, auth_identity_t *out);
/* The display form: 64 lowercase hex digits, big-endian, NUL-terminated. */
void auth_identity_to_hex(const auth_identity_t *id, char out[AUTH_IDENTITY_HEX_LEN + 1]);
/* Parse len chars of display form: 64 hex digits (either case), optionally
 * preceded by "0x".  LC_EINVAL otherwise; *out is untouched on error. */
int auth_identity_from_hex(const char *hex, size_t len, auth_identity_t *out);

/* ---------------------------------------------------------------- connection id */

#define AUTH_CONNECTION_ID_LEN     16
#define AUTH_CONNECTION_ID_HEX_LEN 32

/* A connection id as its 16 little-endian (BSATN) bytes; all-zero = none. */
typedef struct auth_connection_id {
    uint8_t le[AUTH_CONNECTION_ID_LEN];
} auth_connection_id_t;

/* A fresh random, non-zero id.  LC_EIO if the kernel's CSPRNG fails. */
int auth_connection_id_generate(auth_connection_id_t *out);
/* The display form: 32 lowercase hex digits, big-endian, NUL-terminated. */
void auth_connection_id_to_hex(const auth_connection_id_t *id,
                               char out[AUTH_CONNECTION_ID_HEX_LEN + 1]);
/* Parse len chars of display form: 32 hex digits, optionally preceded by
 * "0x".  LC_EINVAL otherwise; *out is untouched on error. */
int auth_connection_id_from_hex(const char *hex, size_t len, auth_connection_id_t *out);
/* True for the reserved all-zero id ("no connection"). */
bool auth_connection_id_is_zero(const auth_connection_id_t *id);

#endif /* LC_AUTH_H */
