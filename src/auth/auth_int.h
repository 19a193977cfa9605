/*
 * auth_int.h — what keys.c lends token.c: the raw ES256 operations.  The
 * key struct itself stays private to keys.c.
 */
#ifndef LC_AUTH_INT_H
#define LC_AUTH_INT_H

#include "auth/auth.h"

/* An ES256 signature: r and s, 32 big-endian bytes each (RFC 7518 §3.4). */
#define AUTH__SIG_LEN 64

/* Sign len bytes of msg with the private key (ECDSA over SHA-256). */
int auth__sign(const auth_keys_t *keys, const void *msg, size_t len, uint8_t sig[AUTH__SIG_LEN],
               lc_err_t *err);
/* 1 if sig is a valid signature of msg under the public key, 0 if not. */
int auth__verify(const auth_keys_t *keys, const void *msg, size_t len,
                 const uint8_t sig[AUTH__SIG_LEN]);

#endif /* LC_AUTH_INT_H */
