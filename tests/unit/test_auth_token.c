/*
 * Key pair and token tests: creating and reloading the server's ES256 keys
 * and the errors for bad key files; minting and validating tokens against
 * every rule of auth.h (format, algorithm, signature, claims, expiry,
 * identity); a fixed token built and signed outside Lightcone (Python's
 * cryptography package) with the key embedded below; libjwt as a second,
 * independent JWT implementation in both directions; and the credential
 * helpers the HTTP layer uses.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jwt.h>

#include "auth/auth.h"
#include "base/base.h"
#include "test.h"

#define ALICE_HEX "c20035600353a2e93544d898c6ed0eac323e200c0468300f22958f8b472a265d"
#define BOB_HEX   "c200e63a6bd07da2304dd6f5b4691d3338562ceaa43cad4624d0d181a7a6c0d4"

/* A fixed P-256 key pair, made with `openssl genpkey`. */
static const char VEC_PRIV[] = "-----BEGIN PRIVATE KEY-----\n"
                               "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgukTrSCHHKO5YpJ5U\n"
                               "965u1UhPRa7+T/QMgEtUa3w5mRihRANCAAS9w63v156g9ePUbYzd0+/+iBVGzzFQ\n"
                               "JfYXeNLn8sBwA3icA3uAhApAy+W1xoUYkc59MsGm9pcMklVnoTknAwmw\n"
                               "-----END PRIVATE KEY-----\n";
static const char VEC_PUB[] = "-----BEGIN PUBLIC KEY-----\n"
                              "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEvcOt79eeoPXj1G2M3dPv/ogVRs8x\n"
                              "UCX2F3jS5/LAcAN4nAN7gIQKQMvltcaFGJHOfTLBpvaXDJJVZ6E5JwMJsA==\n"
                              "-----END PUBLIC KEY-----\n";
/* The same private key in SEC1 form (`openssl ec`). */
static const char VEC_PRIV_SEC1[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEILpE60ghxyjuWKSeVPeubtVIT0Wu/k/0DIBLVGt8OZkYoAoGCCqGSM49\n"
    "AwEHoUQDQgAEvcOt79eeoPXj1G2M3dPv/ogVRs8xUCX2F3jS5/LAcAN4nAN7gIQK\n"
    "QMvltcaFGJHOfTLBpvaXDJJVZ6E5JwMJsA==\n"
    "-----END EC PRIVATE KEY-----\n";
/* The same again, encrypted with the passphrase "x". */
static const char VEC_PRIV_ENCRYPTED[] =
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgx4IkUwgSgqQICCAAw\n"
    "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEGSnn8fH9eXrLT5VJ6JacCYEgZAo\n"
    "gC6kdRheGT3SWAvFSDgbyh9IKGK/cNcoMLa/MZ1JH1xPyTl0lA6hTLKiziL/uVm5\n"
    "bgm19VXrrwRBhv4tAmQzbdjY7RwcLyzcknptmcKOaKPkTmYgPHZJkaoat68Ltt5D\n"
    "pG0L6p5bmKWd87+li9Z46+oFE7fNukukCbO/SrRg7OaJ/CcW393N4uOO2hJB7HA=\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";
/* Keys of the wrong kind: P-384 and Ed25519. */
static const char P384_PRIV[] = "-----BEGIN PRIVATE KEY-----\n"
                                "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCC8+EIpsfy8n9JJYty\n"
                                "ODcCfGF6LWjTYtninPCd2PuSinQHfa5JKuaryWaDz99DrtehZANiAARPXgxa1nkf\n"
                                "Y7sPekBQ3TLT0S3XjKxRKsqWWANgoWAMw0MP5kqpnplg8lxehOzcgU1SKV9uGGu9\n"
                                "RWQLv3BvG+5+j0oQv/mIhe8iI6iF9XbjcnXHCyTwgTWwPZLYxAt3hr4=\n"
                                "-----END PRIVATE KEY-----\n";
static const char ED25519_PRIV[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIE0gbeJN/OyJedm2q89hNWiFcCnaZIzakrxzBJ6X8YZ6\n"
    "-----END PRIVATE KEY-----\n";

/* Signed with VEC_PRIV by Python's cryptography package, header and
 * payload spelled by hand:
 *   {"typ":"JWT","alg":"ES256"}
 *   {"hex_identity":ALICE_HEX,"sub":"alice","iss":"localhost",
 *    "aud":["spacetimedb"],"iat":1700000000,"exp":null}             */
#define VEC_PAYLOAD                                                                                \
    "{\"hex_identity\":\"" ALICE_HEX "\",\"sub\":\"alice\",\"iss\":\"localhost\","                 \
    "\"aud\":[\"spacetimedb\"],\"iat\":1700000000,\"exp\":null}"
static const char VEC_TOKEN[] =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9."
    "eyJoZXhfaWRlbnRpdHkiOiJjMjAwMzU2MDAzNTNhMmU5MzU0NGQ4OThjNmVkMGVhYzMyM2UyMDBjMDQ2ODMwMGYyMjk1OG"
    "Y4YjQ3MmEyNjVkIiwic3ViIjoiYWxpY2UiLCJpc3MiOiJsb2NhbGhvc3QiLCJhdWQiOlsic3BhY2V0aW1lZGIiXSwiaWF0"
    "IjoxNzAwMDAwMDAwLCJleHAiOm51bGx9."
    "CV6R7PsmnaX5X_TCtVtc2n1wGI3KKxLPdRY13gxEsnBGPEZHvN4agt9ahsPScLDTvHh3Qt0vVltPUnOzF8gUyQ";
/* base64url of {"typ":"JWT","alg":"ES256"}: every minted token starts so. */
#define ES256_HEADER_B64 "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9"

/* ---------------------------------------------------------------- helpers */

static void b64url(char *out, const char *in, size_t n)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const uint8_t *p = (const uint8_t *)in;
    size_t k = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        for (int s = 18; s >= 0; s -= 6) out[k++] = A[(v >> s) & 63];
    }
    if (n - i == 1) {
        out[k++] = A[p[i] >> 2];
        out[k++] = A[(p[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];
        out[k++] = A[v >> 10];
        out[k++] = A[(v >> 4) & 63];
        out[k++] = A[(v & 15) << 2];
    }
    out[k] = 0;
}

/* header.payload.sig from raw JSON texts (sig already base64url). */
static void hand_token(char *out, size_t cap, const char *header, const char *payload,
                       const char *sig)
{
    char h[1024], p[2048];
    b64url(h, header, strlen(header));
    b64url(p, payload, strlen(payload));
    snprintf(out, cap, "%s.%s.%s", h, p, sig);
}

/* Validate a NUL-terminated token; the code, with err filled. */
static int validate(const auth_keys_t *k, const char *tok, lc_err_t *err)
{
    auth_claims_t c;
    int rc = auth_token_validate(k, tok, strlen(tok), &c, err);
    auth_claims_free(&c);
    return rc;
}

/* Sign payload JSON with k and validate it with k. */
static int sign_and_validate(const auth_keys_t *k, const char *payload, lc_err_t *err)
{
    char *tok;
    int rc = auth_token_sign(k, payload, strlen(payload), &tok, err);
    if (rc < 0)
        return rc;
    rc = validate(k, tok, err);
    lc_free(tok);
    return rc;
}

#define CHECK_ERR(expr, code, substr)                                                              \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        CHECK_MSG(rc_ == (code) && strstr(err.msg, (substr)) != NULL,                              \
                  "%s: rc %d (want %d), message \"%s\" (want \"%s\")", #expr, rc_, (code),         \
                  err.msg, (substr));                                                              \
    } while (0)

static void path_in_tmp(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", test_tmpdir(), name);
}

static bool write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    bool ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    return ok && chmod(path, mode) == 0;
}

static char *read_text(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static void identity_hex(const auth_identity_t *id, char hex[AUTH_IDENTITY_HEX_LEN + 1])
{
    auth_identity_to_hex(id, hex);
}

/* ---------------------------------------------------------------- keys */

TEST(auth_keys_create_then_reload)
{
    char priv[300], pub[300];
    path_in_tmp(priv, sizeof priv, "id_ecdsa");
    path_in_tmp(pub, sizeof pub, "id_ecdsa.pub");
    lc_err_t err = {0};
    auth_keys_t *a, *b;
    CHECK_OK(auth_keys_load_or_create(priv, pub, &a, &err));

    struct stat st;
    CHECK_OK(stat(priv, &st));
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    CHECK_OK(stat(pub, &st));
    CHECK_EQ_INT(st.st_mode & 0777, 0644);
    CHECK(strncmp(read_text(priv), "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
    size_t len;
    const char *pem = auth_keys_public_pem(a, &len);
    CHECK_EQ_STR(read_text(pub), pem);
    CHECK_EQ_INT(len, strlen(pem));
    CHECK(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);

    /* Second start: the same pair, and tokens survive the restart. */
    CHECK_OK(auth_keys_load_or_create(priv, pub, &b, &err));
    CHECK_EQ_STR(auth_keys_public_pem(b, NULL), pem);
    char *tok;
    CHECK_OK(auth_token_mint(a, AUTH_LOCAL_ISSUER, "alice", 0, &tok, NULL, &err));
    CHECK_OK(validate(b, tok, &err));
    lc_free(tok);
    auth_keys_free(a);
    auth_keys_free(b);
}

TEST(auth_keys_from_pem_forms)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    /* The public PEM we serve is the standard SPKI text, byte for byte. */
    CHECK_OK(auth_keys_from_pem(VEC_PRIV, strlen(VEC_PRIV), VEC_PUB, strlen(VEC_PUB), &k, &err));
    CHECK_EQ_STR(auth_keys_public_pem(k, NULL), VEC_PUB);
    auth_keys_free(k);
    CHECK_OK(auth_keys_from_pem(VEC_PRIV, strlen(VEC_PRIV), NULL, 0, &k, &err));
    CHECK_EQ_STR(auth_keys_public_pem(k, NULL), VEC_PUB);
    auth_keys_free(k);
    CHECK_OK(auth_keys_from_pem(VEC_PRIV_SEC1, strlen(VEC_PRIV_SEC1), VEC_PUB, strlen(VEC_PUB), &k,
                                &err));
    CHECK_OK(validate(k, VEC_TOKEN, &err));
    auth_keys_free(k);
    CHECK_EQ_STR(AUTH_PUBLIC_KEY_CONTENT_TYPE, "application/pem-certificate-chain");
}

TEST(auth_keys_bad_pem)
{
    lc_err_t err = {0};
    auth_keys_t *k = NULL, *other;
    const char *junk = "not a key at all\n";
    CHECK_ERR(auth_keys_from_pem(junk, strlen(junk), NULL, 0, &k, &err), LC_EINVAL,
              "private key is not a PEM private key");
    CHECK_ERR(auth_keys_from_pem(VEC_PRIV, strlen(VEC_PRIV), junk, strlen(junk), &k, &err),
              LC_EINVAL, "public key is not a PEM public key");
    CHECK_ERR(auth_keys_from_pem(P384_PRIV, strlen(P384_PRIV), NULL, 0, &k, &err), LC_EINVAL,
              "not P-256");
    CHECK_ERR(auth_keys_from_pem(ED25519_PRIV, strlen(ED25519_PRIV), NULL, 0, &k, &err), LC_EINVAL,
              "not ECDSA P-256");
    CHECK_ERR(auth_keys_from_pem(VEC_PRIV_ENCRYPTED, strlen(VEC_PRIV_ENCRYPTED), NULL, 0, &k, &err),
              LC_EINVAL, "encrypted");
    /* A public key of another pair. */
    CHECK_OK(auth_keys_generate(&other, &err));
    const char *opub = auth_keys_public_pem(other, NULL);
    CHECK_ERR(auth_keys_from_pem(VEC_PRIV, strlen(VEC_PRIV), opub, strlen(opub), &k, &err),
              LC_EINVAL, "not one key pair");
    auth_keys_free(other);
    CHECK(k == NULL);
}

TEST(auth_keys_bad_files)
{
    char priv[300], pub[300], dir[300];
    path_in_tmp(priv, sizeof priv, "priv.pem");
    path_in_tmp(pub, sizeof pub, "pub.pem");
    lc_err_t err = {0};
    auth_keys_t *k = NULL;

    CHECK(write_file(priv, "garbage\n", 0600));
    CHECK(write_file(pub, VEC_PUB, 0644));
    CHECK_ERR(auth_keys_load_or_create(priv, pub, &k, &err), LC_EINVAL, "private key file ");
    CHECK(strstr(err.msg, "priv.pem is not a PEM private key") != NULL);

    /* Readable by others: refused, and the message says how to fix it. */
    CHECK(write_file(priv, VEC_PRIV, 0644));
    CHECK_ERR(auth_keys_load_or_create(priv, pub, &k, &err), LC_EPERM, "chmod 600");
    CHECK(write_file(priv, VEC_PRIV, 0600));
    CHECK_OK(auth_keys_load_or_create(priv, pub, &k, &err));
    auth_keys_free(k);
    k = NULL;

    CHECK(write_file(priv, P384_PRIV, 0600));
    CHECK_ERR(auth_keys_load_or_create(priv, pub, &k, &err), LC_EINVAL, "not P-256");
    CHECK(write_file(priv, VEC_PRIV, 0600));
    CHECK(write_file(pub, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", 0644));
    CHECK_ERR(auth_keys_load_or_create(priv, pub, &k, &err), LC_EINVAL,
              "pub.pem is not a PEM public key");

    /* Public key of another pair. */
    auth_keys_t *other;
    CHECK_OK(auth_keys_generate(&other, &err));
    CHECK(write_file(pub, auth_keys_public_pem(other, NULL), 0644));
    auth_keys_free(other);
    CHECK_ERR(auth_keys_load_or_create(priv, pub, &k, &err), LC_EINVAL, "not one key pair");
    CHECK(strstr(err.msg, "pub.pem") != NULL && strstr(err.msg, "priv.pem") != NULL);

    /* A directory where the key should be. */
    path_in_tmp(dir, sizeof dir, "adir");
    CHECK_OK(mkdir(dir, 0700));
    CHECK_ERR(auth_keys_load_or_create(dir, pub, &k, &err), LC_EINVAL, "not a regular file");

    /* Unreadable (root reads everything, so only as another user). */
    if (geteuid() != 0) {
        CHECK(write_file(priv, VEC_PRIV, 0000));
        CHECK_ERR(auth_keys_load_or_create(priv, pub, &k, &err), LC_EIO, "cannot read");
    }
    CHECK(k == NULL);
}

TEST(auth_keys_one_file_missing)
{
    char priv[300], pub[300], nodir[300];
    path_in_tmp(priv, sizeof priv, "k");
    path_in_tmp(pub, sizeof pub, "k.pub");
    lc_err_t err = {0};
    auth_keys_t *k = NULL;
    CHECK_OK(auth_keys_load_or_create(priv, pub, &k, &err));
    char want[512];
    snprintf(want, sizeof want, "%s", auth_keys_public_pem(k, NULL));
    auth_keys_free(k);

    /* Lost public key: derived again from the private one. */
    CHECK_OK(unlink(pub));
    CHECK_OK(auth_keys_load_or_create(priv, pub, &k, &err));
    CHECK_EQ_STR(auth_keys_public_pem(k, NULL), want);
    CHECK_EQ_STR(read_text(pub), want);
    auth_keys_free(k);
    k = NULL;

    /* Lost private key: an error, never a silent new identity provider. */
    CHECK_OK(unlink(priv));
    CHECK_ERR(auth_keys_load_or_create(priv, pub, &k, &err), LC_EINVAL, "is missing");
    CHECK(k == NULL);

    /* No directory to create them in. */
    path_in_tmp(nodir, sizeof nodir, "no/such/dir/k");
    CHECK_ERR(auth_keys_load_or_create(nodir, pub, &k, &err), LC_EINVAL, "is missing");
    CHECK_OK(unlink(pub));
    CHECK_ERR(auth_keys_load_or_create(nodir, pub, &k, &err), LC_EIO, "cannot create");
}

/* ---------------------------------------------------------------- minting */

TEST(auth_token_round_trip)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_generate(&k, &err));
    char *tok;
    auth_identity_t id;
    int64_t before = lc_now_wall_us() / 1000000;
    CHECK_OK(auth_token_mint(k, AUTH_LOCAL_ISSUER, "alice", 0, &tok, &id, &err));
    int64_t after = lc_now_wall_us() / 1000000;
    char hex[AUTH_IDENTITY_HEX_LEN + 1];
    identity_hex(&id, hex);
    CHECK_EQ_STR(hex, ALICE_HEX);
    CHECK(strncmp(tok, ES256_HEADER_B64 ".", sizeof ES256_HEADER_B64) == 0);

    auth_claims_t c;
    CHECK_OK(auth_token_validate(k, tok, strlen(tok), &c, &err));
    identity_hex(&c.identity, hex);
    CHECK_EQ_STR(hex, ALICE_HEX);
    CHECK_EQ_STR(c.issuer, "localhost");
    CHECK_EQ_STR(c.subject, "alice");
    CHECK(!c.has_exp);
    CHECK(c.iat >= before && c.iat <= after);
    /* The payload: the reference's claims in the reference's order. */
    char want[512];
    snprintf(want, sizeof want,
             "{\"hex_identity\":\"" ALICE_HEX "\",\"sub\":\"alice\",\"iss\":\"localhost\","
             "\"aud\":[\"spacetimedb\"],\"iat\":%lld,\"exp\":null}",
             (long long)c.iat);
    CHECK_EQ_STR(c.payload, want);
    CHECK_EQ_INT(c.payload_len, strlen(want));
    auth_claims_free(&c);
    lc_free(tok);

    /* With a lifetime, exp = iat + lifetime. */
    CHECK_OK(auth_token_mint(k, "https://auth.example.com", "bob", 3600, &tok, &id, &err));
    CHECK_OK(auth_token_validate(k, tok, strlen(tok), &c, &err));
    CHECK(c.has_exp);
    CHECK_EQ_INT(c.exp - c.iat, 3600);
    auth_identity_t want_id;
    CHECK_OK(auth_identity_from_claims("https://auth.example.com", "bob", &want_id));
    CHECK_EQ_MEM(c.identity.le, want_id.le, sizeof want_id.le);
    CHECK_EQ_MEM(id.le, want_id.le, sizeof want_id.le);
    auth_claims_free(&c);
    lc_free(tok);
    auth_keys_free(k);
}

static bool is_uuid_v4(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (s[i] == '-'))
            return false;
        if (!dash && !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

TEST(auth_token_anonymous)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_generate(&k, &err));
    char *t1, *t2;
    auth_identity_t i1, i2, derived;
    CHECK_OK(auth_token_mint(k, AUTH_LOCAL_ISSUER, NULL, 0, &t1, &i1, &err));
    CHECK_OK(auth_token_mint(k, AUTH_LOCAL_ISSUER, NULL, 0, &t2, &i2, &err));
    CHECK(memcmp(i1.le, i2.le, sizeof i1.le) != 0);
    auth_claims_t c;
    CHECK_OK(auth_token_validate(k, t1, strlen(t1), &c, &err));
    CHECK_MSG(is_uuid_v4(c.subject), "subject %s is not a UUIDv4", c.subject);
    CHECK_OK(auth_identity_from_claims(c.issuer, c.subject, &derived));
    CHECK_EQ_MEM(c.identity.le, derived.le, sizeof derived.le);
    CHECK_EQ_MEM(c.identity.le, i1.le, sizeof i1.le);
    auth_claims_free(&c);
    lc_free(t1);
    lc_free(t2);
    auth_keys_free(k);
}

TEST(auth_token_mint_bad_args)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_generate(&k, &err));
    char *tok = NULL;
    char long_sub[AUTH_CLAIM_MAX + 2];
    memset(long_sub, 'a', sizeof long_sub - 1);
    long_sub[sizeof long_sub - 1] = 0;
    CHECK_ERR(auth_token_mint(k, "", "alice", 0, &tok, NULL, &err), LC_EINVAL, "issuer");
    CHECK_ERR(auth_token_mint(k, NULL, "alice", 0, &tok, NULL, &err), LC_EINVAL, "issuer");
    CHECK_ERR(auth_token_mint(k, "localhost", long_sub, 0, &tok, NULL, &err), LC_EINVAL, "subject");
    CHECK_ERR(auth_token_mint(k, "localhost", "\xff\xfe", 0, &tok, NULL, &err), LC_EINVAL, "UTF-8");
    long_sub[AUTH_CLAIM_MAX] = 0; /* exactly 128 bytes is allowed */
    CHECK_OK(auth_token_mint(k, "localhost", long_sub, 0, &tok, NULL, &err));
    CHECK_OK(validate(k, tok, &err));
    lc_free(tok);
    auth_keys_free(k);
}

TEST(auth_token_websocket)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_generate(&k, &err));
    /* An external identity with a string aud and an extra claim. */
    const char *payload = "{\"email\":\"a@example.com\",\"sub\":\"u1\",\"iss\":\"https://idp\","
                          "\"aud\":\"app\",\"iat\":1700000000,\"exp\":null,\"roles\":[1,2]}";
    char *long_tok, *ws_tok;
    CHECK_OK(auth_token_sign(k, payload, strlen(payload), &long_tok, &err));
    auth_claims_t caller, ws;
    CHECK_OK(auth_token_validate(k, long_tok, strlen(long_tok), &caller, &err));
    CHECK_OK(auth_token_mint_websocket(k, &caller, &ws_tok, &err));
    CHECK_OK(auth_token_validate(k, ws_tok, strlen(ws_tok), &ws, &err));
    CHECK_EQ_MEM(ws.identity.le, caller.identity.le, sizeof ws.identity.le);
    CHECK_EQ_STR(ws.issuer, "https://idp");
    CHECK_EQ_STR(ws.subject, "u1");
    CHECK(ws.has_exp);
    CHECK_EQ_INT(ws.exp - ws.iat, AUTH_WS_TOKEN_LIFETIME_S);
    char hex[AUTH_IDENTITY_HEX_LEN + 1], want[512];
    identity_hex(&caller.identity, hex);
    snprintf(want, sizeof want,
             "{\"hex_identity\":\"%s\",\"sub\":\"u1\",\"iss\":\"https://idp\",\"aud\":[\"app\"],"
             "\"iat\":%lld,\"exp\":%lld,\"email\":\"a@example.com\",\"roles\":[1,2]}",
             hex, (long long)ws.iat, (long long)ws.exp);
    CHECK_EQ_STR(ws.payload, want);
    auth_claims_free(&caller);
    auth_claims_free(&ws);
    lc_free(long_tok);
    lc_free(ws_tok);
    auth_keys_free(k);
}

/* ---------------------------------------------------------------- validation */

TEST(auth_token_fixed_vector)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_from_pem(VEC_PRIV, strlen(VEC_PRIV), VEC_PUB, strlen(VEC_PUB), &k, &err));
    auth_claims_t c;
    CHECK_OK(auth_token_validate(k, VEC_TOKEN, strlen(VEC_TOKEN), &c, &err));
    char hex[AUTH_IDENTITY_HEX_LEN + 1];
    identity_hex(&c.identity, hex);
    CHECK_EQ_STR(hex, ALICE_HEX);
    CHECK_EQ_STR(c.issuer, "localhost");
    CHECK_EQ_STR(c.subject, "alice");
    CHECK_EQ_INT(c.iat, 1700000000);
    CHECK(!c.has_exp);
    CHECK_EQ_STR(c.payload, VEC_PAYLOAD);
    auth_claims_free(&c);

    /* The same claims minted here differ only by iat and signature. */
    char *tok;
    CHECK_OK(auth_token_sign(k, VEC_PAYLOAD, strlen(VEC_PAYLOAD), &tok, &err));
    const char *dot = strrchr(VEC_TOKEN, '.');
    CHECK(strncmp(tok, VEC_TOKEN, (size_t)(dot - VEC_TOKEN) + 1) == 0);
    CHECK_OK(validate(k, tok, &err));
    lc_free(tok);
    auth_keys_free(k);
}

TEST(auth_token_other_key_rejected)
{
    lc_err_t err = {0};
    auth_keys_t *a, *b;
    CHECK_OK(auth_keys_generate(&a, &err));
    CHECK_OK(auth_keys_generate(&b, &err));
    char *tok;
    CHECK_OK(auth_token_mint(a, "https://other.example", "x", 0, &tok, NULL, &err));
    CHECK_OK(validate(a, tok, &err));
    CHECK_ERR(validate(b, tok, &err), LC_EPERM, "bad signature: not signed by this server");
    CHECK(strstr(err.msg, "https://other.example") != NULL);
    CHECK(strstr(err.msg, "OIDC") != NULL);
    CHECK_ERR(validate(b, VEC_TOKEN, &err), LC_EPERM, "bad signature");
    lc_free(tok);
    auth_keys_free(a);
    auth_keys_free(b);
}

TEST(auth_token_tampered)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_from_pem(VEC_PRIV, strlen(VEC_PRIV), NULL, 0, &k, &err));
    char tok[1024];

    /* bob's claims under alice's signature. */
    const char *sig = strrchr(VEC_TOKEN, '.') + 1;
    hand_token(tok, sizeof tok, "{\"typ\":\"JWT\",\"alg\":\"ES256\"}",
               "{\"sub\":\"bob\",\"iss\":\"localhost\",\"iat\":1700000000}", sig);
    CHECK_ERR(validate(k, tok, &err), LC_EPERM, "bad signature");

    /* One signature character changed (a flip in the middle, so every bit
     * it carries is data). */
    snprintf(tok, sizeof tok, "%s", VEC_TOKEN);
    char *s = strrchr(tok, '.') + 10;
    *s = *s == 'A' ? 'B' : 'A';
    CHECK_ERR(validate(k, tok, &err), LC_EPERM, "bad signature");

    /* Signature cut short, or too long. */
    snprintf(tok, sizeof tok, "%s", VEC_TOKEN);
    tok[strlen(tok) - 6] = 0; /* 80 chars: 60 whole bytes */
    CHECK_ERR(validate(k, tok, &err), LC_EPERM, "not the 64 of ES256");
    snprintf(tok, sizeof tok, "%sAAAA", VEC_TOKEN);
    CHECK_ERR(validate(k, tok, &err), LC_EPERM, "not the 64 of ES256");

    /* The signature's bytes, but its last character spelled with non-zero
     * unused bits: the same bytes, yet a different token, so refused. */
    snprintf(tok, sizeof tok, "%s", VEC_TOKEN);
    s = tok + strlen(tok) - 1; /* 'Q' = 010000: low 4 bits unused */
    CHECK(*s == 'Q');
    *s = 'R';
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "signature is not base64url");

    /* A zero signature. */
    char zeros[87];
    memset(zeros, 'A', 86);
    zeros[86] = 0;
    snprintf(tok, sizeof tok, "%.*s%s", (int)(sig - VEC_TOKEN), VEC_TOKEN, zeros);
    CHECK_ERR(validate(k, tok, &err), LC_EPERM, "bad signature");
    auth_keys_free(k);
}

TEST(auth_token_alg_none_and_others)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_from_pem(VEC_PRIV, strlen(VEC_PRIV), NULL, 0, &k, &err));
    const char *claims = "{\"sub\":\"alice\",\"iss\":\"localhost\",\"iat\":1700000000}";
    char tok[1024];
    hand_token(tok, sizeof tok, "{\"alg\":\"none\"}", claims, "");
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "alg \"none\"");
    hand_token(tok, sizeof tok, "{\"alg\":\"none\",\"typ\":\"JWT\"}", claims,
               strrchr(VEC_TOKEN, '.') + 1);
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "alg \"none\"");
    hand_token(tok, sizeof tok, "{\"alg\":\"RS256\"}", claims, "AAAA");
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "\"RS256\" is not accepted; only ES256");
    hand_token(tok, sizeof tok, "{\"typ\":\"JWT\"}", claims, "AAAA");
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "no alg");
    hand_token(tok, sizeof tok, "{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false}", claims,
               "AAAA");
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "crit");

    /* HS256 keyed with our public PEM, which GET /v1/identity/public-key
     * hands to anyone.  libjwt 1.10 accepts this forgery when given the
     * public key; we must not. */
    jwt_t *j;
    CHECK_OK(jwt_new(&j));
    CHECK_OK(jwt_add_grant(j, "sub", "alice"));
    CHECK_OK(jwt_add_grant(j, "iss", "localhost"));
    CHECK_OK(jwt_add_grant_int(j, "iat", 1700000000));
    CHECK_OK(jwt_set_alg(j, JWT_ALG_HS256, (const unsigned char *)VEC_PUB, (int)strlen(VEC_PUB)));
    char *forged = jwt_encode_str(j);
    jwt_free(j);
    CHECK(forged != NULL);
    jwt_t *decoded = NULL;
    int lib_rc = jwt_decode(&decoded, forged, (const unsigned char *)VEC_PUB, (int)strlen(VEC_PUB));
    jwt_free(decoded);
    lc_err_clear(&err);
    int rc = validate(k, forged, &err);
    free(forged);
    CHECK_EQ_INT(lib_rc, 0); /* documents why the header is checked first */
    CHECK_MSG(rc == LC_EINVAL && strstr(err.msg, "\"HS256\" is not accepted") != NULL, "rc %d: %s",
              rc, err.msg);
    auth_keys_free(k);
}

TEST(auth_token_expiry)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_generate(&k, &err));
    long long now = (long long)(lc_now_wall_us() / 1000000);
    char payload[256];
    const char *fmt = "{\"sub\":\"alice\",\"iss\":\"localhost\",\"iat\":%lld,\"exp\":%lld}";

    snprintf(payload, sizeof payload, fmt, now - 7200, now - 3600);
    CHECK_ERR(sign_and_validate(k, payload, &err), LC_EPERM, "invalid token: expired");
    /* Within the 60 s leeway (with ample margin for a slow run). */
    snprintf(payload, sizeof payload, fmt, now - 100, now - 10);
    CHECK_OK(sign_and_validate(k, payload, &err));
    snprintf(payload, sizeof payload, fmt, now, now + 3600);
    CHECK_OK(sign_and_validate(k, payload, &err));
    /* nbf is not checked, as in the reference. */
    snprintf(payload, sizeof payload, "{\"sub\":\"a\",\"iss\":\"b\",\"iat\":%lld,\"nbf\":%lld}",
             now, now + 86400);
    CHECK_OK(sign_and_validate(k, payload, &err));
    snprintf(payload, sizeof payload, "{\"sub\":\"a\",\"iss\":\"b\",\"iat\":%lld,\"exp\":%lld}",
             now, -5LL);
    CHECK_ERR(sign_and_validate(k, payload, &err), LC_EPERM, "expired");
    snprintf(payload, sizeof payload, "{\"sub\":\"a\",\"iss\":\"b\",\"iat\":1,\"exp\":\"never\"}");
    CHECK_ERR(sign_and_validate(k, payload, &err), LC_EPERM, "exp is not an integer");
    snprintf(payload, sizeof payload, "{\"sub\":\"a\",\"iss\":\"b\",\"iat\":1,\"exp\":1e12}");
    CHECK_ERR(sign_and_validate(k, payload, &err), LC_EPERM, "exp is not an integer");
    auth_keys_free(k);
}

TEST(auth_token_malformed)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_from_pem(VEC_PRIV, strlen(VEC_PRIV), NULL, 0, &k, &err));
    const char *sig = strrchr(VEC_TOKEN, '.') + 1;
    const char *hdr = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";
    char tok[AUTH_TOKEN_MAX + 8];

    CHECK_ERR(validate(k, "", &err), LC_EINVAL, "malformed: empty");
    CHECK_ERR(validate(k, "abc", &err), LC_EINVAL, "not three");
    CHECK_ERR(validate(k, "a.b", &err), LC_EINVAL, "not three");
    CHECK_ERR(validate(k, "a.b.c.d", &err), LC_EINVAL, "not three");
    CHECK_ERR(validate(k, "!!!!.e30.AAAA", &err), LC_EINVAL, "header is not base64url");
    /* Padding is not part of base64url in JWS. */
    CHECK_ERR(validate(k, "e30=.e30.AAAA", &err), LC_EINVAL, "header is not base64url");
    CHECK_ERR(validate(k, "e.e30.AAAA", &err), LC_EINVAL, "header is not base64url");
    hand_token(tok, sizeof tok, "not json", "{}", sig);
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "header is not a JSON object");
    hand_token(tok, sizeof tok, hdr, "{\"sub\":", sig);
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "payload is not a JSON object");
    hand_token(tok, sizeof tok, hdr, "[1,2]", sig);
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "payload is not a JSON object");
    hand_token(tok, sizeof tok, hdr, "{\"sub\":\"a\",\"sub\":\"b\",\"iss\":\"c\",\"iat\":1}", sig);
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "payload is not a JSON object");
    snprintf(tok, sizeof tok, "%.*s!!", (int)strlen(VEC_TOKEN) - 2, VEC_TOKEN);
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "signature is not base64url");

    memset(tok, 'A', AUTH_TOKEN_MAX + 1);
    tok[AUTH_TOKEN_MAX + 1] = 0;
    CHECK_ERR(validate(k, tok, &err), LC_EINVAL, "longer than");
    /* A length, not a NUL, ends the token: trailing bytes are refused. */
    auth_claims_t c;
    CHECK_ERR(auth_token_validate(k, VEC_TOKEN, strlen(VEC_TOKEN) + 1, &c, &err), LC_EINVAL,
              "signature is not base64url");
    CHECK(c.issuer == NULL && c.payload == NULL);
    auth_keys_free(k);
}

TEST(auth_token_claim_rules)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_generate(&k, &err));
    char long_iss[AUTH_CLAIM_MAX + 2], payload[512];
    memset(long_iss, 'i', sizeof long_iss - 1);
    long_iss[sizeof long_iss - 1] = 0;

    CHECK_ERR(sign_and_validate(k, "{\"sub\":\"a\",\"iat\":1}", &err), LC_EPERM,
              "missing required claim iss");
    CHECK_ERR(sign_and_validate(k, "{\"iss\":\"a\",\"iat\":1}", &err), LC_EPERM,
              "missing required claim sub");
    CHECK_ERR(sign_and_validate(k, "{\"iss\":\"a\",\"sub\":\"\",\"iat\":1}", &err), LC_EPERM,
              "claim sub is empty");
    CHECK_ERR(sign_and_validate(k, "{\"iss\":7,\"sub\":\"a\",\"iat\":1}", &err), LC_EPERM,
              "claim iss is not a string");
    snprintf(payload, sizeof payload, "{\"iss\":\"%s\",\"sub\":\"a\",\"iat\":1}", long_iss);
    CHECK_ERR(sign_and_validate(k, payload, &err), LC_EPERM, "longer than 128 bytes");
    long_iss[AUTH_CLAIM_MAX] = 0;
    snprintf(payload, sizeof payload, "{\"iss\":\"%s\",\"sub\":\"a\",\"iat\":1}", long_iss);
    CHECK_OK(sign_and_validate(k, payload, &err));

    CHECK_ERR(sign_and_validate(k, "{\"iss\":\"a\",\"sub\":\"b\"}", &err), LC_EPERM,
              "missing required claim iat");
    CHECK_ERR(sign_and_validate(k, "{\"iss\":\"a\",\"sub\":\"b\",\"iat\":\"1\"}", &err), LC_EPERM,
              "iat is not an integer");
    CHECK_ERR(sign_and_validate(k, "{\"iss\":\"a\",\"sub\":\"b\",\"iat\":1,\"aud\":5}", &err),
              LC_EPERM, "claim aud");
    CHECK_ERR(
        sign_and_validate(k, "{\"iss\":\"a\",\"sub\":\"b\",\"iat\":1,\"aud\":[\"x\",1]}", &err),
        LC_EPERM, "claim aud");
    CHECK_OK(sign_and_validate(k, "{\"iss\":\"a\",\"sub\":\"b\",\"iat\":1,\"aud\":\"x\"}", &err));
    CHECK_OK(sign_and_validate(k, "{\"iss\":\"a\",\"sub\":\"b\",\"iat\":1,\"aud\":[]}", &err));
    auth_keys_free(k);
}

TEST(auth_token_identity_claim)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_generate(&k, &err));
    const char *fmt = "{\"hex_identity\":%s,\"sub\":\"alice\",\"iss\":\"localhost\",\"iat\":1}";
    char payload[256];

    snprintf(payload, sizeof payload, fmt, "\"" BOB_HEX "\"");
    CHECK_ERR(sign_and_validate(k, payload, &err), LC_EPERM, "wrong identity");
    CHECK(strstr(err.msg, BOB_HEX) != NULL && strstr(err.msg, ALICE_HEX) != NULL);
    snprintf(payload, sizeof payload, fmt, "\"c200nothex\"");
    CHECK_ERR(sign_and_validate(k, payload, &err), LC_EPERM, "hex_identity is not an identity");
    snprintf(payload, sizeof payload, fmt, "42");
    CHECK_ERR(sign_and_validate(k, payload, &err), LC_EPERM, "hex_identity is not an identity");
    snprintf(payload, sizeof payload, fmt, "\"0x" ALICE_HEX "\"");
    CHECK_OK(sign_and_validate(k, payload, &err));
    snprintf(payload, sizeof payload, fmt, "null");
    CHECK_OK(sign_and_validate(k, payload, &err));
    auth_keys_free(k);
}

/* libjwt, an independent implementation, in both directions. */
TEST(auth_token_libjwt_interop)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_from_pem(VEC_PRIV, strlen(VEC_PRIV), VEC_PUB, strlen(VEC_PUB), &k, &err));

    jwt_t *j;
    CHECK_OK(jwt_new(&j));
    CHECK_OK(jwt_add_grant(j, "sub", "alice"));
    CHECK_OK(jwt_add_grant(j, "iss", "localhost"));
    CHECK_OK(jwt_add_grant_int(j, "iat", 1700000000));
    CHECK_OK(jwt_add_grants_json(j, "{\"aud\":[\"spacetimedb\"],\"exp\":null}"));
    CHECK_OK(jwt_set_alg(j, JWT_ALG_ES256, (const unsigned char *)VEC_PRIV, (int)strlen(VEC_PRIV)));
    char *theirs = jwt_encode_str(j);
    jwt_free(j);
    CHECK(theirs != NULL);
    auth_claims_t c;
    int rc = auth_token_validate(k, theirs, strlen(theirs), &c, &err);
    free(theirs);
    CHECK_MSG(rc == 0, "libjwt's token: %s", err.msg);
    char hex[AUTH_IDENTITY_HEX_LEN + 1];
    identity_hex(&c.identity, hex);
    CHECK_EQ_STR(hex, ALICE_HEX);
    auth_claims_free(&c);

    char *ours;
    CHECK_OK(auth_token_mint(k, AUTH_LOCAL_ISSUER, "bob", 600, &ours, NULL, &err));
    jwt_t *d = NULL;
    rc = jwt_decode(&d, ours, (const unsigned char *)VEC_PUB, (int)strlen(VEC_PUB));
    lc_free(ours);
    CHECK_EQ_INT(rc, 0);
    bool ok = jwt_get_alg(d) == JWT_ALG_ES256 && jwt_get_grant(d, "sub") != NULL &&
              strcmp(jwt_get_grant(d, "sub"), "bob") == 0 &&
              strcmp(jwt_get_grant(d, "hex_identity"), BOB_HEX) == 0;
    jwt_free(d);
    CHECK(ok);
    auth_keys_free(k);
}

/* Allocation failures anywhere in mint and validate give a clean error and
 * leak nothing (the runner counts blocks). */
TEST(auth_token_alloc_failures)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_generate(&k, &err));
    int failures = 0;
    for (long n = 1; n < 64; n++) {
        char *tok = NULL;
        auth_claims_t c;
        lc_fault_alloc_after(n);
        int rc = auth_token_mint(k, AUTH_LOCAL_ISSUER, NULL, 60, &tok, NULL, &err);
        if (rc == 0) {
            rc = auth_token_validate(k, tok, strlen(tok), &c, &err);
            if (rc == 0)
                auth_claims_free(&c);
        }
        lc_fault_alloc_after(0);
        lc_free(tok);
        if (rc < 0) {
            failures++;
            CHECK_MSG(rc == LC_ENOMEM, "allocation %ld: rc %d %s", n, rc, err.msg);
        }
    }
    CHECK(failures > 0);
    auth_keys_free(k);
}

/* One key pair shared by threads (auth.h: immutable once made). */
static void *mint_validate_loop(void *arg)
{
    const auth_keys_t *k = arg;
    for (int i = 0; i < 40; i++) {
        char *tok;
        auth_claims_t c;
        if (auth_token_mint(k, AUTH_LOCAL_ISSUER, NULL, 0, &tok, NULL, NULL) < 0)
            return (void *)1;
        int rc = auth_token_validate(k, tok, strlen(tok), &c, NULL);
        lc_free(tok);
        if (rc < 0)
            return (void *)1;
        auth_claims_free(&c);
    }
    return NULL;
}

TEST(auth_token_threads)
{
    lc_err_t err = {0};
    auth_keys_t *k;
    CHECK_OK(auth_keys_generate(&k, &err));
    pthread_t th[4];
    for (int i = 0; i < 4; i++) CHECK_OK(pthread_create(&th[i], NULL, mint_validate_loop, k));
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += r != NULL;
    }
    auth_keys_free(k);
    CHECK_EQ_INT(bad, 0);
}

/* ---------------------------------------------------------------- credentials */

static bool bearer_is(const char *value, const char *want)
{
    const char *t;
    size_t n;
    if (auth_bearer_parse(value, strlen(value), &t, &n, NULL) < 0)
        return want == NULL;
    return want != NULL && n == strlen(want) && memcmp(t, want, n) == 0;
}

TEST(auth_creds_bearer)
{
    CHECK(bearer_is("Bearer abc.def.ghi", "abc.def.ghi"));
    CHECK(bearer_is("bearer abc", "abc"));
    CHECK(bearer_is("  BEARER \t abc  ", "abc"));
    CHECK(bearer_is("Basic dG9rZW46YWJj", NULL)); /* the reference dropped Basic */
    CHECK(bearer_is("Bearer", NULL));
    CHECK(bearer_is("Bearer ", NULL));
    CHECK(bearer_is("Bearerabc", NULL));
    CHECK(bearer_is("Bearer a b", NULL));
    CHECK(bearer_is("", NULL));
    lc_err_t err = {0};
    const char *t;
    size_t n;
    CHECK_EQ_INT(auth_bearer_parse("Basic x", 7, &t, &n, &err), LC_EINVAL);
    CHECK_EQ_STR(err.msg, AUTH_MALFORMED_HEADER_MSG);
}

static bool query_is(const char *q, const char *want)
{
    char *tok = NULL;
    int rc = auth_query_token(q, strlen(q), &tok, NULL);
    bool ok = want == NULL ? rc == LC_ENOTFOUND : rc == 0 && strcmp(tok, want) == 0;
    lc_free(tok);
    return ok;
}

TEST(auth_creds_query)
{
    CHECK(query_is("token=abc", "abc"));
    CHECK(query_is("compression=Gzip&token=a.b-c_d&light=true", "a.b-c_d"));
    CHECK(query_is("token=a%2Eb+c%zz%4", "a.b c%zz%4"));
    CHECK(query_is("token=first&token=second", "first"));
    CHECK(query_is("token", ""));
    CHECK(query_is("tokens=x&xtoken=y", NULL));
    CHECK(query_is("", NULL));
    char *tok = NULL;
    lc_err_t err = {0};
    CHECK_EQ_INT(auth_query_token("token=a%00b", 11, &tok, &err), LC_EINVAL);
    CHECK(tok == NULL);
}

TEST(auth_creds_request)
{
    lc_err_t err = {0};
    char *tok;
    const char *bearer = "Bearer fromheader", *basic = "Basic dG9rZW46YWJj";
    const char *q = "compression=None&token=fromquery";
    CHECK_OK(auth_request_token(bearer, strlen(bearer), q, strlen(q), &tok, &err));
    CHECK_EQ_STR(tok, "fromheader");
    lc_free(tok);
    CHECK_OK(auth_request_token(NULL, 0, q, strlen(q), &tok, &err));
    CHECK_EQ_STR(tok, "fromquery");
    lc_free(tok);
    CHECK_OK(auth_request_token(basic, strlen(basic), q, strlen(q), &tok, &err));
    CHECK_EQ_STR(tok, "fromquery");
    lc_free(tok);
    CHECK_EQ_INT(auth_request_token(basic, strlen(basic), "light=true", 10, &tok, &err), LC_EINVAL);
    CHECK_EQ_STR(err.msg, AUTH_MALFORMED_HEADER_MSG);
    CHECK(tok == NULL);
    CHECK_OK(auth_request_token(NULL, 0, "light=true", 10, &tok, &err));
    CHECK(tok == NULL);
    CHECK_OK(auth_request_token(NULL, 0, NULL, 0, &tok, &err));
    CHECK(tok == NULL);
}

const test_case_t test_auth_token_cases[] = {
    TEST_CASE(auth_keys_create_then_reload),
    TEST_CASE(auth_keys_from_pem_forms),
    TEST_CASE(auth_keys_bad_pem),
    TEST_CASE(auth_keys_bad_files),
    TEST_CASE(auth_keys_one_file_missing),
    TEST_CASE(auth_token_round_trip),
    TEST_CASE(auth_token_anonymous),
    TEST_CASE(auth_token_mint_bad_args),
    TEST_CASE(auth_token_websocket),
    TEST_CASE(auth_token_fixed_vector),
    TEST_CASE(auth_token_other_key_rejected),
    TEST_CASE(auth_token_tampered),
    TEST_CASE(auth_token_alg_none_and_others),
    TEST_CASE(auth_token_expiry),
    TEST_CASE(auth_token_malformed),
    TEST_CASE(auth_token_claim_rules),
    TEST_CASE(auth_token_identity_claim),
    TEST_CASE(auth_token_libjwt_interop),
    TEST_CASE(auth_token_alloc_failures),
    TEST_CASE(auth_token_threads),
    TEST_CASE(auth_creds_bearer),
    TEST_CASE(auth_creds_query),
    TEST_CASE(auth_creds_request),
    TEST_END,
};
