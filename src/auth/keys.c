/*
 * The server's ES256 key pair: loading it from PEM files, creating it on
 * first start, and the two raw operations tokens need (sign, verify).  Every
 * OpenSSL call of the module is here, so token.c deals in bytes only.
 *
 * Files (protocol.md §7.2, anchors.md §4.2): the private key is PKCS#8 PEM,
 * the public key SPKI PEM, as the reference's EcKeyPair::generate writes
 * them, so a key pair can move between the two servers.
 *
 * Invariants:
 *   1. keys->priv and keys->pub are the same P-256 key pair (checked with
 *      EVP_PKEY_eq and by signing and verifying once at load time).
 *   2. After auth_keys_* returns, the struct is never written again, so
 *      threads may share it.  (OpenSSL 3 keeps its own caches in an
 *      EVP_PKEY under its own locks; the load-time signature fills them.)
 *   3. A key file is replaced only by rename(2) of a complete, fsynced
 *      temporary file: a crash leaves the old state or the new, never half
 *      a key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth/auth_int.h"

struct auth_keys {
    EVP_PKEY *priv; /* private key (holds the public half too) */
    EVP_PKEY *pub;  /* public key only, what tokens are checked with */
    char *pub_pem;  /* SPKI PEM of pub, NUL-terminated */
    size_t pub_pem_len;
};

enum {
    KEY_FILE_MAX = 64 * 1024, /* far above any PEM key; bounds the read */
    P256_COORD = 32,          /* bytes of r and of s */
    DER_SIG_MAX = 80,         /* a DER ECDSA-P256 signature is <= 72 bytes */
};

static const char SELF_TEST_MSG[] = "lightcone key check";

/* ---------------------------------------------------------------- PEM */

/* OpenSSL would otherwise prompt on the terminal for a passphrase. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

/* Copy a memory BIO's contents into an lc_malloc'd string. */
static int bio_to_string(BIO *bio, char **out, size_t *len)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0)
        return LC_EINTERNAL;
    char *s = lc_malloc((size_t)n + 1);
    if (s == NULL)
        return LC_ENOMEM;
    memcpy(s, data, (size_t)n);
    s[n] = 0;
    *out = s;
    *len = (size_t)n;
    return 0;
}

/* PEM text of a key: SPKI for the public half, PKCS#8 for the private. */
static int key_to_pem(EVP_PKEY *pkey, bool private_key, char **out, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return LC_ENOMEM;
    int ok = private_key ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
                         : PEM_write_bio_PUBKEY(bio, pkey);
    int rc = ok == 1 ? bio_to_string(bio, out, len) : LC_EINTERNAL;
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

/* Whether PEM text looks like an encrypted key, to say so instead of "not
 * a key" (we never prompt for a passphrase). */
static bool pem_is_encrypted(const char *pem, size_t len)
{
    static const char tag[] = "ENCRYPTED";
    for (size_t i = 0; i + sizeof tag - 1 <= len; i++)
        if (memcmp(pem + i, tag, sizeof tag - 1) == 0)
            return true;
    return false;
}

/* The key must be ECDSA on P-256: ES256 is defined on no other curve. */
static int check_p256(EVP_PKEY *pkey, const char *what, lc_err_t *err)
{
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
        const char *type = EVP_PKEY_get0_type_name(pkey);
        return lc_err_set(err, LC_EINVAL, "%s is a %s key, not ECDSA P-256 (ES256)", what,
                          type ? type : "non-EC");
    }
    char group[64] = "";
    size_t glen = 0;
    if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &glen) != 1)
        group[0] = 0;
    ERR_clear_error();
    if (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0)
        return lc_err_set(err, LC_EINVAL, "%s is on curve %s, not P-256 (ES256 needs P-256)", what,
                          group[0] ? group : "(unknown)");
    return 0;
}

static int parse_pem(const char *pem, size_t len, bool private_key, const char *what,
                     EVP_PKEY **out, lc_err_t *err)
{
    if (len > KEY_FILE_MAX)
        return lc_err_set(err, LC_EINVAL, "%s is too large to be a PEM key", what);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory reading %s", what);
    EVP_PKEY *pkey = private_key ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL)
                                 : PEM_read_bio_PUBKEY(bio, NULL, no_password, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (pkey == NULL) {
        if (private_key && pem_is_encrypted(pem, len))
            return lc_err_set(err, LC_EINVAL,
                              "%s is encrypted with a passphrase; give an unencrypted key", what);
        return lc_err_set(
            err, LC_EINVAL, "%s is not a PEM %s key (expected \"-----BEGIN %s-----\")", what,
            private_key ? "private" : "public", private_key ? "PRIVATE KEY" : "PUBLIC KEY");
    }
    int rc = check_p256(pkey, what, err);
    if (rc < 0) {
        EVP_PKEY_free(pkey);
        return rc;
    }
    *out = pkey;
    return 0;
}

/* The public half of priv as a key of its own. */
static int derive_public(EVP_PKEY *priv, EVP_PKEY **out, lc_err_t *err)
{
    char *pem;
    size_t len;
    int rc = key_to_pem(priv, false, &pem, &len);
    if (rc < 0)
        return lc_err_set(err, rc, "cannot derive the public key from the private key");
    rc = parse_pem(pem, len, false, "derived public key", out, err);
    lc_free(pem);
    return rc;
}

/* ---------------------------------------------------------------- keys */

void auth_keys_free(auth_keys_t *keys)
{
    if (keys == NULL)
        return;
    EVP_PKEY_free(keys->priv);
    EVP_PKEY_free(keys->pub);
    lc_free(keys->pub_pem);
    lc_free(keys);
}

/* Take ownership of priv and pub (both freed on error), check that they
 * are one pair (invariant 1) and build the struct.  The names are for the
 * mismatch message. */
static int keys_make(EVP_PKEY *priv, EVP_PKEY *pub, const char *priv_what, const char *pub_what,
                     auth_keys_t **out, lc_err_t *err)
{
    auth_keys_t *k = lc_calloc(1, sizeof *k);
    if (k == NULL) {
        EVP_PKEY_free(priv);
        EVP_PKEY_free(pub);
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    }
    k->priv = priv;
    k->pub = pub;
    int rc = 0;
    if (EVP_PKEY_eq(priv, pub) != 1)
        rc = lc_err_set(err, LC_EINVAL, "%s does not belong to %s: they are not one key pair",
                        pub_what, priv_what);
    else if (key_to_pem(pub, false, &k->pub_pem, &k->pub_pem_len) < 0)
        rc = lc_err_set(err, LC_ENOMEM, "cannot encode the public key");
    ERR_clear_error();
    uint8_t sig[AUTH__SIG_LEN];
    if (rc == 0 && (rc = auth__sign(k, SELF_TEST_MSG, sizeof SELF_TEST_MSG, sig, err)) == 0 &&
        auth__verify(k, SELF_TEST_MSG, sizeof SELF_TEST_MSG, sig) != 1)
        rc = lc_err_set(err, LC_EINTERNAL, "the key pair fails its own signature check");
    if (rc < 0) {
        auth_keys_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

/* auth_keys_from_pem with names for the messages ("private key file x"). */
static int keys_from_pem(const char *priv_pem, size_t priv_len, const char *priv_what,
                         const char *pub_pem, size_t pub_len, const char *pub_what,
                         auth_keys_t **out, lc_err_t *err)
{
    EVP_PKEY *priv = NULL, *pub = NULL;
    int rc = parse_pem(priv_pem, priv_len, true, priv_what, &priv, err);
    if (rc < 0)
        return rc;
    rc = pub_pem ? parse_pem(pub_pem, pub_len, false, pub_what, &pub, err)
                 : derive_public(priv, &pub, err);
    if (rc < 0) {
        EVP_PKEY_free(priv);
        return rc;
    }
    return keys_make(priv, pub, priv_what, pub_what, out, err);
}

int auth_keys_from_pem(const char *priv_pem, size_t priv_len, const char *pub_pem, size_t pub_len,
                       auth_keys_t **out, lc_err_t *err)
{
    return keys_from_pem(priv_pem, priv_len, "private key", pub_pem, pub_len, "public key", out,
                         err);
}

int auth_keys_generate(auth_keys_t **out, lc_err_t *err)
{
    EVP_PKEY *priv = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ERR_clear_error();
    if (priv == NULL)
        return lc_err_set(err, LC_EINTERNAL, "cannot generate a P-256 key pair");
    EVP_PKEY *pub;
    int rc = derive_public(priv, &pub, err);
    if (rc < 0) {
        EVP_PKEY_free(priv);
        return rc;
    }
    return keys_make(priv, pub, "generated private key", "generated public key", out, err);
}

const char *auth_keys_public_pem(const auth_keys_t *keys, size_t *len)
{
    if (len)
        *len = keys->pub_pem_len;
    return keys->pub_pem;
}

/* ---------------------------------------------------------------- files */

/* Read a key file whole.  *missing is set (and 0 returned) when the file
 * does not exist.  A private key must be a regular file that only its
 * owner can access. */
static int read_key_file(const char *path, bool private_key, char **data, size_t *len,
                         bool *missing, lc_err_t *err)
{
    const char *what = private_key ? "private key file" : "public key file";
    *missing = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        *missing = true;
        return 0;
    }
    if (fd < 0)
        return lc_err_set(err, LC_EIO, "cannot read %s %s: %s", what, path, strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = lc_err_set(err, LC_EIO, "cannot stat %s %s: %s", what, path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = lc_err_set(err, LC_EINVAL, "%s %s is not a regular file", what, path);
    else if (st.st_size > KEY_FILE_MAX)
        rc = lc_err_set(err, LC_EINVAL, "%s %s is too large to be a PEM key", what, path);
    else if (private_key && (st.st_mode & 077) != 0)
        rc = lc_err_set(err, LC_EPERM,
                        "%s %s can be read or written by other users (mode %04o); "
                        "run chmod 600 on it",
                        what, path, (unsigned)(st.st_mode & 07777));
    char *buf = rc == 0 ? lc_malloc((size_t)st.st_size + 1) : NULL;
    if (rc == 0 && buf == NULL)
        rc = lc_err_set(err, LC_ENOMEM, "out of memory reading %s", path);
    size_t got = 0;
    while (rc == 0 && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = lc_err_set(err, LC_EIO, "cannot read %s %s: %s", what, path,
                            n < 0 ? strerror(errno) : "file shrank while reading");
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (rc < 0) {
        lc_free(buf);
        return rc;
    }
    buf[got] = 0;
    *data = buf;
    *len = got;
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* fsync the directory holding path, so a rename into it is durable. */
static int sync_parent_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 0 : (size_t)(slash - path);
    if (n >= sizeof dir)
        return -1;
    if (slash == NULL)
        strcpy(dir, ".");
    else if (n == 0)
        strcpy(dir, "/");
    else {
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Invariant 3: write a temporary file beside path, fsync, rename. */
static int write_key_file(const char *path, const char *data, size_t len, mode_t mode,
                          lc_err_t *err)
{
    size_t plen = strlen(path);
    char *tmp = lc_malloc(plen + sizeof ".tmp-XXXXXX");
    if (tmp == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    int fd = mkstemp(tmp); /* created 0600: the key is never briefly public */
    int rc = 0;
    if (fd < 0)
        rc = lc_err_set(err, LC_EIO, "cannot create %s: %s", path, strerror(errno));
    else if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0)
        rc = lc_err_set(err, LC_EIO, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = lc_err_set(err, LC_EIO, "cannot write %s: %s", path, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = lc_err_set(err, LC_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (rc == 0 && sync_parent_dir(path) != 0)
        rc = lc_err_set(err, LC_EIO, "cannot sync the directory of %s: %s", path, strerror(errno));
    if (rc < 0 && fd >= 0)
        unlink(tmp);
    lc_free(tmp);
    return rc;
}

/* First start: a new pair, the private key written before the public one.
 * A crash between the two leaves only the private key, which the next
 * start completes (see load_pair). */
static int create_pair(const char *priv_path, const char *pub_path, auth_keys_t **out,
                       lc_err_t *err)
{
    auth_keys_t *k;
    int rc = auth_keys_generate(&k, err);
    if (rc < 0)
        return rc;
    char *pem;
    size_t len;
    if ((rc = key_to_pem(k->priv, true, &pem, &len)) < 0) {
        auth_keys_free(k);
        return lc_err_set(err, rc, "cannot encode the new private key");
    }
    rc = write_key_file(priv_path, pem, len, 0600, err);
    OPENSSL_cleanse(pem, len);
    lc_free(pem);
    if (rc == 0)
        rc = write_key_file(pub_path, k->pub_pem, k->pub_pem_len, 0644, err);
    if (rc < 0) {
        auth_keys_free(k);
        return rc;
    }
    lc_log_info("created a new token signing key pair: %s, %s", priv_path, pub_path);
    *out = k;
    return 0;
}

/* Parse the private key text; the public one if given, else derive and
 * write it (the file was lost, or a crash cut create_pair short). */
static int load_pair(const char *priv_path, const char *priv_pem, size_t priv_len,
                     const char *pub_path, const char *pub_pem, size_t pub_len, auth_keys_t **out,
                     lc_err_t *err)
{
    char priv_what[4200], pub_what[4200];
    snprintf(priv_what, sizeof priv_what, "private key file %s", priv_path);
    snprintf(pub_what, sizeof pub_what, "public key file %s", pub_path);
    int rc = keys_from_pem(priv_pem, priv_len, priv_what, pub_pem, pub_len, pub_what, out, err);
    if (rc < 0 || pub_pem != NULL)
        return rc;
    rc = write_key_file(pub_path, (*out)->pub_pem, (*out)->pub_pem_len, 0644, err);
    if (rc < 0) {
        auth_keys_free(*out);
        *out = NULL;
        return rc;
    }
    lc_log_warn("public key file %s was missing; derived it from %s", pub_path, priv_path);
    return 0;
}

int auth_keys_load_or_create(const char *priv_path, const char *pub_path, auth_keys_t **out,
                             lc_err_t *err)
{
    char *priv_pem = NULL, *pub_pem = NULL;
    size_t priv_len = 0, pub_len = 0;
    bool priv_missing, pub_missing;
    int rc = read_key_file(priv_path, true, &priv_pem, &priv_len, &priv_missing, err);
    if (rc == 0)
        rc = read_key_file(pub_path, false, &pub_pem, &pub_len, &pub_missing, err);
    if (rc == 0) {
        if (priv_missing && pub_missing)
            rc = create_pair(priv_path, pub_path, out, err);
        else if (priv_missing)
            rc = lc_err_set(err, LC_EINVAL,
                            "private key file %s is missing but public key file %s exists: "
                            "restore the private key, or remove both files to create a new "
                            "pair (tokens signed with the old key will stop working)",
                            priv_path, pub_path);
        else
            rc = load_pair(priv_path, priv_pem, priv_len, pub_path, pub_pem, pub_len, out, err);
    }
    if (priv_pem != NULL)
        OPENSSL_cleanse(priv_pem, priv_len);
    lc_free(priv_pem);
    lc_free(pub_pem);
    return rc;
}

/* ---------------------------------------------------------------- ES256 */

int auth__sign(const auth_keys_t *keys, const void *msg, size_t len, uint8_t sig[AUTH__SIG_LEN],
               lc_err_t *err)
{
    uint8_t der[DER_SIG_MAX];
    size_t der_len = sizeof der;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ECDSA_SIG *es = NULL;
    int rc = LC_EINTERNAL;
    if (ctx != NULL && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, keys->priv) == 1 &&
        EVP_DigestSign(ctx, der, &der_len, msg, len) == 1) {
        const unsigned char *p = der;
        es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    }
    if (es != NULL) {
        const BIGNUM *r, *s;
        ECDSA_SIG_get0(es, &r, &s);
        if (BN_bn2binpad(r, sig, P256_COORD) == P256_COORD &&
            BN_bn2binpad(s, sig + P256_COORD, P256_COORD) == P256_COORD)
            rc = 0;
    }
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (rc < 0)
        return lc_err_set(err, rc, "cannot sign the token");
    return 0;
}

/* JWS carries r || s; OpenSSL verifies DER, so re-encode first. */
int auth__verify(const auth_keys_t *keys, const void *msg, size_t len,
                 const uint8_t sig[AUTH__SIG_LEN])
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, P256_COORD, NULL);
    BIGNUM *s = BN_bin2bn(sig + P256_COORD, P256_COORD, NULL);
    int ok = 0;
    if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        ERR_clear_error();
        return 0;
    }
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG(es, &der);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (der_len > 0 && ctx != NULL &&
        EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, keys->pub) == 1 &&
        EVP_DigestVerify(ctx, der, (size_t)der_len, msg, len) == 1)
        ok = 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    ERR_clear_error();
    return ok;
}
