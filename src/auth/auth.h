/*
 * auth — who a client is.
 *
 * This module owns identities and connection ids, the tokens that carry
 * identities (JWT minting and validation, protocol.md §7.2–7.5) and the
 * server's signing keys.  It depends only on base (and OpenSSL, jansson).
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

#include "base/base.h"

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

/* ---------------------------------------------------------------- keys */

/*
 * The server's signing key pair: ECDSA on curve P-256 (ES256), as the
 * reference keeps it (protocol.md §7.2): the private key in PKCS#8 PEM
 * ("BEGIN PRIVATE KEY"; SEC1 "BEGIN EC PRIVATE KEY" is read too), the public
 * key in SPKI PEM ("BEGIN PUBLIC KEY").  Created on first start; the private
 * key file must not be readable by anyone but its owner (0600, as ssh asks).
 *
 * An auth_keys_t is immutable once made and may be shared by any number of
 * threads; it owns its OpenSSL keys and is freed with auth_keys_free().
 */
typedef struct auth_keys auth_keys_t;

/* Content type of GET /v1/identity/public-key (protocol.md §8.2). */
#define AUTH_PUBLIC_KEY_CONTENT_TYPE "application/pem-certificate-chain"

/* Load the pair from priv_path and pub_path, or, when neither file exists,
 * create a new pair and write both (each under a temporary name, fsynced and
 * renamed; the private key 0600, the public key 0644).  Errors (LC_EIO,
 * LC_EINVAL, LC_EPERM) name the file and the problem: only one of the two
 * exists, unreadable, not PEM, encrypted, not P-256, the two do not match,
 * the private key readable by others. */
int auth_keys_load_or_create(const char *priv_path, const char *pub_path, auth_keys_t **out,
                             lc_err_t *err);
/* Make keys from PEM text in memory.  pub_pem may be NULL: the public key
 * is then derived from the private one.  Same checks as above. */
int auth_keys_from_pem(const char *priv_pem, size_t priv_len, const char *pub_pem, size_t pub_len,
                       auth_keys_t **out, lc_err_t *err);
/* A fresh pair in memory only (tests, throwaway servers). */
int auth_keys_generate(auth_keys_t **out, lc_err_t *err);
void auth_keys_free(auth_keys_t *keys);
/* The public key as SPKI PEM text (NUL-terminated; *len without the NUL),
 * the body of GET /v1/identity/public-key.  Owned by keys. */
const char *auth_keys_public_pem(const auth_keys_t *keys, size_t *len);

/* ---------------------------------------------------------------- tokens */

/*
 * Tokens are JWS compact serialisations (RFC 7515), ES256 only:
 *
 *   base64url(header) "." base64url(payload) "." base64url(r || s)
 *
 *   part       content
 *   header     {"typ":"JWT","alg":"ES256"}
 *   payload    {"hex_identity":"<64 hex>","sub":…,"iss":…,"aud":["spacetimedb"],
 *               "iat":<s>,"exp":null|<s>, extra claims…}   (this key order)
 *   signature  ECDSA P-256 over SHA-256 of the ASCII "header.payload",
 *              r and s as 32 big-endian bytes each (64 bytes)
 *
 * base64url without padding; trailing bits that do not encode data must be
 * zero, so a token has exactly one spelling.
 *
 * Validation (protocol.md §7.4), in this order; the first failure is the
 * error:
 *   1. shape: three parts, base64url, header and payload JSON objects,
 *      at most AUTH_TOKEN_MAX bytes                          -> LC_EINVAL
 *   2. header "alg" is "ES256" (never "none", never HS256 keyed with our
 *      public key) and no "crit" header                       -> LC_EINVAL
 *   3. the signature verifies with this server's public key   -> LC_EPERM
 *      (the issuer is not restricted: anything we signed is ours.  Tokens of
 *      other issuers would need OIDC discovery, which Lightcone does not do.)
 *   4. claims: iss and sub strings, non-empty, <= 128 bytes; iat an integer;
 *      aud absent, a string or an array of strings; exp absent, null or an
 *      integer; hex_identity absent or a string           -> LC_EPERM
 *   5. exp, when an integer, is not more than AUTH_EXP_LEEWAY_S in the past
 *      (nbf is not checked, as in the reference)             -> LC_EPERM
 *   6. hex_identity, when present, equals the identity derived from
 *      (iss, sub); the identity used is always the derived one -> LC_EPERM
 * Messages start "invalid token: " and say which rule failed.  Both codes
 * mean 401 to the HTTP layer (§1.3); the message is the response body.
 */

/* The issuer of tokens the server mints for itself, as the reference's. */
#define AUTH_LOCAL_ISSUER "localhost"
/* The audience put in minted tokens. */
#define AUTH_AUDIENCE "spacetimedb"
/* Lifetime of POST /v1/identity/websocket-token tokens (§7.3). */
#define AUTH_WS_TOKEN_LIFETIME_S 60
/* Leeway when checking exp (§7.4). */
#define AUTH_EXP_LEEWAY_S 60
/* Longest iss and sub accepted (§7.4). */
#define AUTH_CLAIM_MAX 128
/* Longest token accepted; real ones are under 1 KiB. */
#define AUTH_TOKEN_MAX 16384

/* What a valid token says.  Every pointer is lc_malloc'd and owned by the
 * struct; release with auth_claims_free().  A zeroed struct is empty. */
typedef struct auth_claims {
    auth_identity_t identity; /* always derived from (issuer, subject) */
    char *issuer;             /* iss */
    char *subject;            /* sub */
    char *payload;            /* the payload JSON exactly as in the token,
                                 NUL-terminated (what a module's get_jwt reads) */
    size_t payload_len;
    int64_t iat;  /* seconds since the epoch */
    int64_t exp;  /* seconds since the epoch, when has_exp */
    bool has_exp; /* false: the token never expires */
} auth_claims_t;

/* Mint a token for (issuer, subject) with the claims of the format above,
 * iat = now and exp = now + lifetime_s (lifetime_s <= 0: "exp":null, never
 * expires).  subject NULL means a new anonymous identity: a fresh random
 * UUIDv4 subject (§7.2).  *token is lc_malloc'd, NUL-terminated; identity
 * (may be NULL) receives the identity the token names. */
int auth_token_mint(const auth_keys_t *keys, const char *issuer, const char *subject,
                    int64_t lifetime_s, char **token, auth_identity_t *identity, lc_err_t *err);
/* The short-lived token of POST /v1/identity/websocket-token (§7.3): the
 * caller's claims (iss, sub, aud, extra claims) re-signed with iat = now
 * and exp = now + AUTH_WS_TOKEN_LIFETIME_S.  *token is lc_malloc'd. */
int auth_token_mint_websocket(const auth_keys_t *keys, const auth_claims_t *caller, char **token,
                              lc_err_t *err);
/* Sign len bytes of payload JSON (an object) as they are, under the ES256
 * header.  The building block of the two above, and of tests that need
 * tokens with unusual claims.  *token is lc_malloc'd. */
int auth_token_sign(const auth_keys_t *keys, const char *payload, size_t len, char **token,
                    lc_err_t *err);
/* Validate len bytes of token against keys as described above.  On success
 * *out holds the claims (free with auth_claims_free); on error *out is
 * empty. */
int auth_token_validate(const auth_keys_t *keys, const char *token, size_t len, auth_claims_t *out,
                        lc_err_t *err);
void auth_claims_free(auth_claims_t *claims);

/* ---------------------------------------------------------------- credentials */

/*
 * Where a request's token comes from (protocol.md §1.3, §7.5): the
 * Authorization header, which must be "Bearer <jwt>" (scheme in any case),
 * then the "token" query parameter.  As in the reference, a header that is
 * not Bearer falls back to the query parameter, and is an error (400
 * "Authorization is invalid: malformed token") only when there is none.
 * Basic credentials are not accepted (the reference dropped them).
 */
#define AUTH_MALFORMED_HEADER_MSG "Authorization is invalid: malformed token"

/* The token of "Bearer <t>" in value[0..len): *tok points into value.
 * LC_EINVAL with AUTH_MALFORMED_HEADER_MSG for any other scheme or an empty
 * token. */
int auth_bearer_parse(const char *value, size_t len, const char **tok, size_t *tok_len,
                      lc_err_t *err);
/* The form-decoded value ("%XX" and '+', leniently as the reference's
 * serde_urlencoded) of the first "token" parameter of a query string
 * (without the '?'), lc_malloc'd and NUL-terminated into *tok.  LC_ENOTFOUND
 * when absent; LC_EINVAL when it decodes to a NUL byte. */
int auth_query_token(const char *query, size_t len, char **tok, lc_err_t *err);
/* A request's token by the rule above.  authorization is the header value
 * (NULL when absent), query the query string (NULL when none).  0 with *tok
 * an lc_malloc'd copy, or 0 with *tok NULL when the request carries no
 * credentials (anonymous); LC_EINVAL for a malformed header with no query
 * token. */
int auth_request_token(const char *authorization, size_t auth_len, const char *query,
                       size_t query_len, char **tok, lc_err_t *err);

#endif /* LC_AUTH_H */
