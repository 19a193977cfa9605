/*
 * Tokens: ES256 JSON Web Tokens minted and validated by the server
 * (protocol.md §7.2–7.4).  The format and the validation rules, numbered,
 * are in auth.h; the signing itself is in keys.c.
 *
 * Why not libjwt, which the design names: its 1.10 API, the one Debian
 * ships, sorts claim keys (the reference mints them in a fixed order that
 * tokens should keep), verifies with whatever algorithm the token's header
 * names using the key bytes it is given (so an HS256 token keyed with our
 * public PEM, which anyone can fetch, would pass), and reports every failure
 * as EINVAL.  JWS compact form is small enough to write directly against
 * OpenSSL, with each rule checked explicitly.  The unit tests still use
 * libjwt as an independent implementation to cross-check ours.
 *
 * JSON is read and written with jansson; objects keep insertion order, so
 * minted claims come out in the reference's order.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "auth/auth_int.h"

/* The one header we mint, in the reference's key order. */
static const char JWS_HEADER[] = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";

/* Claims with a meaning of their own; every other key is an extra claim,
 * carried over when a token is re-signed (§7.3). */
static const char *const STANDARD_CLAIMS[] = {"hex_identity", "sub", "iss", "aud", "iat", "exp"};

/* ---------------------------------------------------------------- base64url */

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Append the unpadded base64url form of n bytes to out. */
static int b64url_append(lc_buf_t *out, const void *data, size_t n)
{
    const uint8_t *p = data;
    char *o = (char *)lc_buf_extend(out, (n * 4 + 2) / 3);
    if (o == NULL)
        return LC_ENOMEM;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = B64URL[v >> 18];
        *o++ = B64URL[(v >> 12) & 63];
        *o++ = B64URL[(v >> 6) & 63];
        *o++ = B64URL[v & 63];
    }
    if (n - i == 1) {
        *o++ = B64URL[p[i] >> 2];
        *o++ = B64URL[(p[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];
        *o++ = B64URL[v >> 10];
        *o++ = B64URL[(v >> 4) & 63];
        *o++ = B64URL[(v & 15) << 2];
    }
    return 0;
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decode len chars of unpadded base64url into out (room for len * 3 / 4
 * bytes).  Strict: no padding, no other alphabet, unused trailing bits
 * zero, so that every byte string has one spelling.  -1 on bad input. */
static long b64url_decode(const char *in, size_t len, uint8_t *out)
{
    if (len % 4 == 1)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    if ((acc & ((1u << bits) - 1)) != 0)
        return -1;
    return n;
}

/* ---------------------------------------------------------------- signing */

int auth_token_sign(const auth_keys_t *keys, const char *payload, size_t len, char **token,
                    lc_err_t *err)
{
    lc_buf_t b;
    lc_buf_init(&b);
    b64url_append(&b, JWS_HEADER, sizeof JWS_HEADER - 1);
    lc_buf_putc(&b, '.');
    b64url_append(&b, payload, len);
    if (b.oom) {
        lc_buf_free(&b);
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    }
    uint8_t sig[AUTH__SIG_LEN];
    int rc = auth__sign(keys, b.data, b.len, sig, err);
    if (rc < 0) {
        lc_buf_free(&b);
        return rc;
    }
    lc_buf_putc(&b, '.');
    b64url_append(&b, sig, sizeof sig);
    if (lc_buf_terminate(&b) < 0 || b.oom) {
        lc_buf_free(&b);
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    }
    size_t n;
    *token = (char *)lc_buf_take(&b, &n);
    return 0;
}

/* ---------------------------------------------------------------- claims */

static int dump_cb(const char *p, size_t n, void *data)
{
    return lc_buf_append(data, p, n) < 0 ? -1 : 0;
}

static bool is_standard_claim(const char *key)
{
    for (size_t i = 0; i < LC_ARRAY_LEN(STANDARD_CLAIMS); i++)
        if (strcmp(key, STANDARD_CLAIMS[i]) == 0)
            return true;
    return false;
}

/* Set key to v in obj, taking v; false if v is NULL or the set failed. */
static bool set_new(json_t *obj, const char *key, json_t *v)
{
    return v != NULL && json_object_set_new(obj, key, v) == 0;
}

/* The claims JSON of a token we mint, keys in the reference's order:
 * hex_identity, sub, iss, aud, iat, exp, then the extra claims of extra
 * (may be NULL).  aud is taken over (an array; NULL means ["spacetimedb"]).
 * Returns the lc_malloc'd, NUL-terminated JSON in *json. */
static int claims_build(const char *iss, const char *sub, json_t *aud, int64_t iat,
                        int64_t lifetime_s, json_t *extra, auth_identity_t *id, lc_buf_t *json,
                        lc_err_t *err)
{
    if (aud == NULL)
        aud = json_pack("[s]", AUTH_AUDIENCE);
    char hex[AUTH_IDENTITY_HEX_LEN + 1];
    auth_identity_from_claims(iss, sub, id);
    auth_identity_to_hex(id, hex);
    json_t *obj = json_object();
    bool ok = obj != NULL && set_new(obj, "hex_identity", json_string(hex)) &&
              set_new(obj, "sub", json_string(sub)) && set_new(obj, "iss", json_string(iss));
    if (ok)
        ok = set_new(obj, "aud", aud); /* takes aud, even when it fails */
    else
        json_decref(aud);
    ok = ok && set_new(obj, "iat", json_integer(iat)) &&
         set_new(obj, "exp", lifetime_s > 0 ? json_integer(iat + lifetime_s) : json_null());
    const char *key;
    json_t *v;
    if (ok && extra != NULL)
        json_object_foreach(extra, key, v)
        {
            if (!is_standard_claim(key) && json_object_set(obj, key, v) != 0)
                ok = false;
        }
    if (ok && json_dump_callback(obj, dump_cb, json, JSON_COMPACT) != 0)
        ok = false;
    json_decref(obj);
    if (!ok || json->oom || lc_buf_terminate(json) < 0)
        return lc_err_set(err, LC_ENOMEM, "out of memory building token claims");
    return 0;
}

/* A claim we would reject on validation is refused when minting too. */
static int check_claim_arg(const char *name, const char *v, lc_err_t *err)
{
    if (v == NULL || v[0] == 0 || strlen(v) > AUTH_CLAIM_MAX)
        return lc_err_set(err, LC_EINVAL, "token %s must be 1 to %d bytes", name, AUTH_CLAIM_MAX);
    json_t *s = json_string(v); /* NULL unless valid UTF-8 */
    if (s == NULL)
        return lc_err_set(err, LC_EINVAL, "token %s is not valid UTF-8", name);
    json_decref(s);
    return 0;
}

/* A random UUIDv4, lowercase and hyphenated (the reference's Uuid::new_v4). */
static int uuid_v4(char out[37], lc_err_t *err)
{
    uint8_t b[16];
    if (lc_random_bytes(b, sizeof b) < 0)
        return lc_err_set(err, LC_EIO, "cannot read random bytes for a new identity");
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char hex[33];
    lc_hex_encode(hex, b, sizeof b);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    return 0;
}

static int64_t now_s(void)
{
    return lc_now_wall_us() / 1000000;
}

static int sign_claims(const auth_keys_t *keys, lc_buf_t *json, char **token, lc_err_t *err)
{
    int rc = auth_token_sign(keys, (const char *)json->data, json->len, token, err);
    lc_buf_free(json);
    return rc;
}

int auth_token_mint(const auth_keys_t *keys, const char *issuer, const char *subject,
                    int64_t lifetime_s, char **token, auth_identity_t *identity, lc_err_t *err)
{
    char uuid[37];
    int rc = check_claim_arg("issuer", issuer, err);
    if (rc == 0 && subject == NULL && (rc = uuid_v4(uuid, err)) == 0)
        subject = uuid;
    if (rc == 0)
        rc = check_claim_arg("subject", subject, err);
    if (rc < 0)
        return rc;
    auth_identity_t id;
    lc_buf_t json;
    lc_buf_init(&json);
    rc = claims_build(issuer, subject, NULL, now_s(), lifetime_s, NULL, &id, &json, err);
    if (rc < 0) {
        lc_buf_free(&json);
        return rc;
    }
    rc = sign_claims(keys, &json, token, err);
    if (rc == 0 && identity != NULL)
        *identity = id;
    return rc;
}

/* The caller's aud as an array (the reference normalises a string to a
 * one-element list and an absent one to []). */
static json_t *aud_array(json_t *payload)
{
    json_t *aud = json_object_get(payload, "aud");
    if (json_is_string(aud))
        return json_pack("[O]", aud);
    if (json_is_array(aud))
        return json_deep_copy(aud);
    return json_array();
}

int auth_token_mint_websocket(const auth_keys_t *keys, const auth_claims_t *caller, char **token,
                              lc_err_t *err)
{
    if (caller == NULL || caller->payload == NULL || caller->issuer == NULL ||
        caller->subject == NULL)
        return lc_err_set(err, LC_EINVAL, "no caller claims to re-sign");
    json_t *payload = json_loadb(caller->payload, caller->payload_len, 0, NULL);
    if (!json_is_object(payload)) {
        json_decref(payload);
        return lc_err_set(err, LC_EINVAL, "the caller's claims are not a JSON object");
    }
    auth_identity_t id;
    lc_buf_t json;
    lc_buf_init(&json);
    int rc = claims_build(caller->issuer, caller->subject, aud_array(payload), now_s(),
                          AUTH_WS_TOKEN_LIFETIME_S, payload, &id, &json, err);
    json_decref(payload);
    if (rc < 0) {
        lc_buf_free(&json);
        return rc;
    }
    return sign_claims(keys, &json, token, err);
}

/* ---------------------------------------------------------------- validation */

void auth_claims_free(auth_claims_t *claims)
{
    if (claims == NULL)
        return;
    lc_free(claims->issuer);
    lc_free(claims->subject);
    lc_free(claims->payload);
    memset(claims, 0, sizeof *claims);
}

/* A token split into its parts and decoded (validation rule 1). */
typedef struct jws {
    const char *signed_part; /* "header.payload", what the signature covers */
    size_t signed_len;
    json_t *header;
    json_t *payload;
    char *payload_text; /* decoded payload bytes, lc_malloc'd, NUL-terminated */
    size_t payload_len;
    uint8_t sig[AUTH__SIG_LEN];
    long sig_len; /* decoded length; ES256 needs AUTH__SIG_LEN */
} jws_t;

static void jws_free(jws_t *j)
{
    json_decref(j->header);
    json_decref(j->payload);
    lc_free(j->payload_text);
}

/* Decode one base64url part holding a JSON object. */
static int decode_json_part(const char *name, const char *p, size_t n, json_t **out, char **text,
                            size_t *text_len, lc_err_t *err)
{
    uint8_t *buf = lc_malloc(n * 3 / 4 + 1);
    if (buf == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    long len = b64url_decode(p, n, buf);
    if (len < 0) {
        lc_free(buf);
        return lc_err_set(err, LC_EINVAL, "invalid token: malformed: the %s is not base64url",
                          name);
    }
    buf[len] = 0;
    json_error_t je;
    json_t *j = json_loadb((const char *)buf, (size_t)len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        lc_free(buf);
        return lc_err_set(err, LC_EINVAL,
                          "invalid token: malformed: the %s is not a JSON object%s%s", name,
                          j == NULL ? ": " : "", j == NULL ? je.text : "");
    }
    *out = j;
    if (text != NULL) {
        *text = (char *)buf;
        *text_len = (size_t)len;
    } else {
        lc_free(buf);
    }
    return 0;
}

static int jws_parse(const char *token, size_t len, jws_t *j, lc_err_t *err)
{
    if (len == 0)
        return lc_err_set(err, LC_EINVAL, "invalid token: malformed: empty");
    if (len > AUTH_TOKEN_MAX)
        return lc_err_set(err, LC_EINVAL, "invalid token: malformed: longer than %d bytes",
                          AUTH_TOKEN_MAX);
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    const char *end = token + len;
    if (dot2 == NULL || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1)) != NULL)
        return lc_err_set(err, LC_EINVAL,
                          "invalid token: malformed: not three dot-separated parts");
    j->signed_part = token;
    j->signed_len = (size_t)(dot2 - token);
    int rc = decode_json_part("header", token, (size_t)(dot1 - token), &j->header, NULL, NULL, err);
    if (rc == 0)
        rc = decode_json_part("payload", dot1 + 1, (size_t)(dot2 - dot1 - 1), &j->payload,
                              &j->payload_text, &j->payload_len, err);
    if (rc < 0)
        return rc;
    size_t sig_chars = (size_t)(end - dot2 - 1);
    if (sig_chars > (AUTH__SIG_LEN * 4 + 2) / 3) {
        /* Too long for ES256: no room to decode, but still say "malformed"
         * rather than "bad signature" for characters outside the alphabet. */
        for (size_t i = 0; i < sig_chars; i++)
            if (b64url_value(dot2[1 + i]) < 0)
                return lc_err_set(err, LC_EINVAL,
                                  "invalid token: malformed: the signature is not base64url");
        j->sig_len = (long)(sig_chars * 3 / 4);
    } else if ((j->sig_len = b64url_decode(dot2 + 1, sig_chars, j->sig)) < 0)
        return lc_err_set(err, LC_EINVAL,
                          "invalid token: malformed: the signature is not base64url");
    return 0;
}

/* Rule 2: ES256 only, whatever the header asks for. */
static int check_header(json_t *header, lc_err_t *err)
{
    const char *alg = json_string_value(json_object_get(header, "alg"));
    if (alg == NULL)
        return lc_err_set(err, LC_EINVAL, "invalid token: malformed: the header has no alg");
    if (strcmp(alg, "none") == 0)
        return lc_err_set(err, LC_EINVAL,
                          "invalid token: unsigned (alg \"none\") tokens are not "
                          "accepted");
    if (strcmp(alg, "ES256") != 0)
        return lc_err_set(err, LC_EINVAL,
                          "invalid token: algorithm \"%.32s\" is not accepted; "
                          "only ES256",
                          alg);
    if (json_object_get(header, "crit") != NULL)
        return lc_err_set(err, LC_EINVAL,
                          "invalid token: critical header extensions (crit) are not supported");
    return 0;
}

/* Rule 3. */
static int check_signature(const auth_keys_t *keys, const jws_t *j, lc_err_t *err)
{
    if (j->sig_len != AUTH__SIG_LEN)
        return lc_err_set(err, LC_EPERM,
                          "invalid token: bad signature: %ld bytes, not the %d of ES256 (r || s)",
                          j->sig_len, AUTH__SIG_LEN);
    if (auth__verify(keys, j->signed_part, j->signed_len, j->sig) == 1)
        return 0;
    const char *iss = json_string_value(json_object_get(j->payload, "iss"));
    return lc_err_set(err, LC_EPERM,
                      "invalid token: bad signature: not signed by this server's key "
                      "(issuer \"%.128s\"; only tokens this server signed are accepted, there "
                      "is no OIDC discovery)",
                      iss ? iss : "");
}

/* A required string claim of 1..AUTH_CLAIM_MAX bytes (rule 4). */
static int string_claim(json_t *payload, const char *name, const char **out, lc_err_t *err)
{
    json_t *v = json_object_get(payload, name);
    if (v == NULL)
        return lc_err_set(err, LC_EPERM, "invalid token: missing required claim %s", name);
    if (!json_is_string(v))
        return lc_err_set(err, LC_EPERM, "invalid token: claim %s is not a string", name);
    size_t n = json_string_length(v);
    if (n == 0 || n > AUTH_CLAIM_MAX)
        return lc_err_set(err, LC_EPERM, "invalid token: claim %s is %s", name,
                          n == 0 ? "empty" : "longer than 128 bytes");
    if (strlen(json_string_value(v)) != n)
        return lc_err_set(err, LC_EPERM, "invalid token: claim %s contains a NUL", name);
    *out = json_string_value(v);
    return 0;
}

static bool aud_ok(json_t *aud)
{
    if (aud == NULL || json_is_string(aud))
        return true;
    if (!json_is_array(aud))
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(aud, i, v)
    {
        if (!json_is_string(v))
            return false;
    }
    return true;
}

/* Rules 4 and 5: the shapes of the other claims, and expiry. */
static int check_times(json_t *payload, auth_claims_t *out, lc_err_t *err)
{
    json_t *iat = json_object_get(payload, "iat");
    if (iat == NULL)
        return lc_err_set(err, LC_EPERM, "invalid token: missing required claim iat");
    if (!json_is_integer(iat))
        return lc_err_set(err, LC_EPERM, "invalid token: claim iat is not an integer");
    out->iat = json_integer_value(iat);
    if (!aud_ok(json_object_get(payload, "aud")))
        return lc_err_set(err, LC_EPERM,
                          "invalid token: claim aud is not a string or an array of strings");
    json_t *exp = json_object_get(payload, "exp");
    if (exp == NULL || json_is_null(exp))
        return 0;
    if (!json_is_integer(exp))
        return lc_err_set(err, LC_EPERM, "invalid token: claim exp is not an integer or null");
    out->exp = json_integer_value(exp);
    out->has_exp = true;
    int64_t now = now_s();
    if (out->exp < now - AUTH_EXP_LEEWAY_S)
        return lc_err_set(err, LC_EPERM, "invalid token: expired (exp %lld, now %lld)",
                          (long long)out->exp, (long long)now);
    return 0;
}

/* Rule 6. */
static int check_identity(json_t *payload, const auth_identity_t *derived, lc_err_t *err)
{
    json_t *v = json_object_get(payload, "hex_identity");
    if (v == NULL || json_is_null(v))
        return 0;
    auth_identity_t claimed;
    const char *s = json_string_value(v);
    if (s == NULL || auth_identity_from_hex(s, json_string_length(v), &claimed) < 0)
        return lc_err_set(err, LC_EPERM, "invalid token: claim hex_identity is not an identity");
    if (memcmp(claimed.le, derived->le, sizeof claimed.le) == 0)
        return 0;
    char want[AUTH_IDENTITY_HEX_LEN + 1];
    auth_identity_to_hex(derived, want);
    return lc_err_set(err, LC_EPERM,
                      "invalid token: wrong identity: hex_identity %.66s is not %s, the identity "
                      "of its iss and sub",
                      s, want);
}

static int check_claims(jws_t *j, auth_claims_t *out, lc_err_t *err)
{
    const char *iss, *sub;
    int rc = string_claim(j->payload, "iss", &iss, err);
    if (rc == 0)
        rc = string_claim(j->payload, "sub", &sub, err);
    if (rc == 0)
        rc = check_times(j->payload, out, err);
    if (rc == 0)
        rc = auth_identity_from_claims(iss, sub, &out->identity);
    if (rc == 0)
        rc = check_identity(j->payload, &out->identity, err);
    if (rc < 0)
        return rc;
    out->issuer = lc_strdup(iss);
    out->subject = lc_strdup(sub);
    out->payload = j->payload_text;
    out->payload_len = j->payload_len;
    j->payload_text = NULL;
    if (out->issuer == NULL || out->subject == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    return 0;
}

int auth_token_validate(const auth_keys_t *keys, const char *token, size_t len, auth_claims_t *out,
                        lc_err_t *err)
{
    memset(out, 0, sizeof *out);
    jws_t j = {0};
    int rc = jws_parse(token, len, &j, err);
    if (rc == 0)
        rc = check_header(j.header, err);
    if (rc == 0)
        rc = check_signature(keys, &j, err);
    if (rc == 0)
        rc = check_claims(&j, out, err);
    jws_free(&j);
    if (rc < 0)
        auth_claims_free(out);
    return rc;
}
