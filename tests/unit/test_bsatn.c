/*
 * Tests for src/sats/bsatn.c: round trips of every kind with exact bytes,
 * rejection of bad and truncated input (every prefix of every valid
 * encoding), hostile lengths, nesting limits, the value order, and the v2
 * WebSocket frames of protocol.md §3.6 byte for byte.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

#include "base/base.h"
#include "net/net.h"
#include "sats/sats.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

static lc_arena_t *ar; /* the running test's arena, for the value builders */

static sats_value_t *val(void)
{
    return lc_arena_zalloc(ar, sizeof(sats_value_t));
}

static sats_value_t *vb(bool b)
{
    sats_value_t *v = val();
    v->u.b = b;
    return v;
}

static sats_value_t *vi(int64_t i)
{
    sats_value_t *v = val();
    v->u.i = i;
    return v;
}

static sats_value_t *vu(uint64_t u)
{
    sats_value_t *v = val();
    v->u.u = u;
    return v;
}

static sats_value_t *vf32(uint32_t bits)
{
    sats_value_t *v = val();
    memcpy(&v->u.f32, &bits, 4);
    return v;
}

static sats_value_t *vf64(uint64_t bits)
{
    sats_value_t *v = val();
    memcpy(&v->u.f64, &bits, 8);
    return v;
}

/* Little-endian bytes as hex; the rest of wide[] stays zero. */
static sats_value_t *vwide(const char *hex)
{
    sats_value_t *v = val();
    if (test_unhex(hex, v->u.wide, sizeof v->u.wide) < 0)
        abort();
    return v;
}

static sats_value_t *vstr(const char *s)
{
    sats_value_t *v = val();
    v->u.str.ptr = s;
    v->u.str.len = (uint32_t)strlen(s);
    return v;
}

static sats_value_t *vbytes(const char *hex)
{
    sats_value_t *v = val();
    uint8_t *p = lc_arena_alloc(ar, strlen(hex) / 2 + 1);
    long n = test_unhex(hex, p, strlen(hex) / 2 + 1);
    if (n < 0)
        abort();
    v->u.bytes.ptr = p;
    v->u.bytes.len = (uint32_t)n;
    return v;
}

static sats_value_t *vseq(uint32_t n, va_list ap)
{
    sats_value_t *v = val();
    v->u.elems.n = n;
    v->u.elems.items = n ? lc_arena_zalloc(ar, n * sizeof(sats_value_t)) : NULL;
    for (uint32_t i = 0; i < n; i++) v->u.elems.items[i] = *va_arg(ap, sats_value_t *);
    return v;
}

/* A product (or array) of the n values that follow. */
static sats_value_t *vp(uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sats_value_t *v = vseq(n, ap);
    va_end(ap);
    return v;
}

/* An array of the n values that follow (same layout as a product). */
static sats_value_t *varr(uint32_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    sats_value_t *v = vseq(n, ap);
    va_end(ap);
    return v;
}

static sats_value_t *vunit(void)
{
    return vp(0);
}

static sats_value_t *vs(uint8_t tag, sats_value_t *payload)
{
    sats_value_t *v = val();
    v->u.sum.tag = tag;
    v->u.sum.payload = payload ? payload : vunit();
    return v;
}

#define NAMES(...) ((const char *[]){__VA_ARGS__})
#define TYPES(...) ((const sats_type_t *[]){__VA_ARGS__})
#define PRIM(k)    sats_prim(SATS_##k)

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
    fprintf(stderr, "  %s ", label);
    for (size_t i = 0; i < n; i++) fprintf(stderr, "%02x", p[i]);
    fputc('\n', stderr);
}

/* Every proper prefix of p[0..n) must fail to decode and to skip with
 * LC_ECORRUPT; each prefix sits in its own allocation of exactly its size
 * so that the sanitizer sees any read past the end. */
static bool prefixes_fail(const sats_typespace_t *ts, const sats_type_t *t, const uint8_t *p,
                          size_t n)
{
    lc_arena_t scratch;
    lc_arena_init(&scratch, 0);
    bool ok = true;
    for (size_t k = 0; ok && k < n; k++) {
        uint8_t *copy = lc_malloc(k ? k : 1);
        memcpy(copy, p, k);
        sats_value_t v;
        lc_err_t err;
        int rc = sats_bsatn_decode_all(&scratch, copy, k, ts, t, &v, &err);
        lc_rd_t r = lc_rd_make(copy, k);
        int rc2 = sats_bsatn_skip(&r, ts, t, NULL);
        if (rc != LC_ECORRUPT || rc2 != LC_ECORRUPT) {
            fprintf(stderr, "  prefix of %zu bytes: decode %d, skip %d\n", k, rc, rc2);
            ok = false;
        }
        lc_free(copy);
        lc_arena_reset(&scratch);
    }
    lc_arena_free(&scratch);
    return ok;
}

/* The round trip every test value goes through:
 *   1. encode(v) == want
 *   2. decode_all(want) succeeds, equals v, and re-encodes to want
 *   3. skip(want) consumes exactly want
 *   4. every proper prefix and want plus one trailing byte fail cleanly */
static bool rt_bytes(const sats_typespace_t *ts, const sats_type_t *t, const sats_value_t *v,
                     const uint8_t *want, size_t n)
{
    lc_buf_t b = {0}, b2 = {0};
    lc_err_t err = {0};
    bool ok = false;
    sats_value_t back;
    if (sats_bsatn_encode(&b, ts, t, v, &err) != 0) {
        fprintf(stderr, "  encode failed: %s\n", err.msg);
        goto out;
    }
    if (b.len != n || (n > 0 && memcmp(b.data, want, n) != 0)) {
        print_hex("encoded: ", b.data, b.len);
        print_hex("expected:", want, n);
        goto out;
    }
    if (sats_bsatn_decode_all(ar, want, n, ts, t, &back, &err) != 0) {
        fprintf(stderr, "  decode failed: %s\n", err.msg);
        goto out;
    }
    if (!sats_value_eq(ts, t, v, &back) || sats_value_cmp(ts, t, &back, v) != 0) {
        fprintf(stderr, "  decoded value differs from the original\n");
        goto out;
    }
    if (sats_bsatn_encode(&b2, ts, t, &back, &err) != 0 || b2.len != n ||
        (n > 0 && memcmp(b2.data, want, n) != 0)) {
        print_hex("re-encoded:", b2.data, b2.len);
        goto out;
    }
    lc_rd_t r = lc_rd_make(want, n);
    if (sats_bsatn_skip(&r, ts, t, &err) != 0 || r.len != 0) {
        fprintf(stderr, "  skip did not consume the value\n");
        goto out;
    }
    if (!prefixes_fail(ts, t, want, n))
        goto out;
    lc_buf_reset(&b2);
    if (lc_buf_append(&b2, want, n) != 0 || lc_buf_putc(&b2, 0) != 0 ||
        sats_bsatn_decode_all(ar, b2.data, b2.len, ts, t, &back, &err) != LC_ECORRUPT) {
        fprintf(stderr, "  a trailing byte was accepted\n");
        goto out;
    }
    ok = true;
out:
    lc_buf_free(&b);
    lc_buf_free(&b2);
    return ok;
}

static bool rt(const sats_typespace_t *ts, const sats_type_t *t, const sats_value_t *v,
               const char *hex)
{
    static uint8_t want[8192];
    long n = test_unhex(hex, want, sizeof want);
    return n >= 0 && rt_bytes(ts, t, v, want, (size_t)n);
}

/* Decode hex as a whole value of t; also check that skip agrees. */
static int dec(const sats_typespace_t *ts, const sats_type_t *t, const char *hex, sats_value_t *out,
               lc_err_t *err)
{
    static uint8_t buf[8192];
    long n = test_unhex(hex, buf, sizeof buf);
    if (n < 0)
        return LC_EINTERNAL;
    sats_value_t tmp;
    int rc = sats_bsatn_decode_all(ar, buf, (size_t)n, ts, t, out ? out : &tmp, err);
    lc_rd_t r = lc_rd_make(buf, (size_t)n);
    int rc2 = sats_bsatn_skip(&r, ts, t, NULL);
    if (rc2 == 0 && r.len != 0)
        rc2 = LC_ECORRUPT;
    if (rc != rc2)
        return LC_EINTERNAL; /* decode and skip disagree */
    return rc;
}

#define BEGIN                                                                                      \
    lc_arena_t arena_;                                                                             \
    lc_arena_init(&arena_, 0);                                                                     \
    ar = &arena_
#define END lc_arena_free(&arena_)

/* ---------------------------------------------------------------- primitives */

TEST(bsatn_bool)
{
    BEGIN;
    CHECK(rt(NULL, PRIM(BOOL), vb(false), "00"));
    CHECK(rt(NULL, PRIM(BOOL), vb(true), "01"));
    lc_err_t err;
    CHECK_EQ_INT(dec(NULL, PRIM(BOOL), "02", NULL, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "Bool") != NULL);
    CHECK_EQ_INT(dec(NULL, PRIM(BOOL), "ff", NULL, &err), LC_ECORRUPT);
    /* The offset of the bad byte is reported. */
    const sats_type_t *p = sats_type_product(ar, 2, NULL, TYPES(PRIM(U32), PRIM(BOOL)));
    CHECK_EQ_INT(dec(NULL, p, "00000000 02", NULL, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "byte 4") != NULL);
    END;
}

TEST(bsatn_small_ints)
{
    BEGIN;
    CHECK(rt(NULL, PRIM(I8), vi(-128), "80"));
    CHECK(rt(NULL, PRIM(I8), vi(127), "7f"));
    CHECK(rt(NULL, PRIM(I8), vi(-1), "ff"));
    CHECK(rt(NULL, PRIM(U8), vu(255), "ff"));
    CHECK(rt(NULL, PRIM(U8), vu(0), "00"));
    CHECK(rt(NULL, PRIM(I16), vi(INT16_MIN), "0080"));
    CHECK(rt(NULL, PRIM(I16), vi(0x1234), "3412"));
    CHECK(rt(NULL, PRIM(U16), vu(UINT16_MAX), "ffff"));
    CHECK(rt(NULL, PRIM(I32), vi(INT32_MIN), "00000080"));
    CHECK(rt(NULL, PRIM(I32), vi(-2), "feffffff"));
    CHECK(rt(NULL, PRIM(U32), vu(UINT32_MAX), "ffffffff"));
    CHECK(rt(NULL, PRIM(U32), vu(0x01020304), "04030201"));
    CHECK(rt(NULL, PRIM(I64), vi(INT64_MIN), "0000000000000080"));
    CHECK(rt(NULL, PRIM(I64), vi(INT64_MAX), "ffffffffffffff7f"));
    CHECK(rt(NULL, PRIM(I64), vi(-1), "ffffffffffffffff"));
    CHECK(rt(NULL, PRIM(U64), vu(UINT64_MAX), "ffffffffffffffff"));
    CHECK(rt(NULL, PRIM(U64), vu(0x0102030405060708ULL), "0807060504030201"));
    /* Decoding sign-extends and zero-extends. */
    sats_value_t v;
    CHECK_OK(dec(NULL, PRIM(I8), "80", &v, NULL));
    CHECK_EQ_INT(v.u.i, -128);
    CHECK_OK(dec(NULL, PRIM(I16), "feff", &v, NULL));
    CHECK_EQ_INT(v.u.i, -2);
    CHECK_OK(dec(NULL, PRIM(I32), "00000080", &v, NULL));
    CHECK_EQ_INT(v.u.i, INT32_MIN);
    CHECK_OK(dec(NULL, PRIM(U32), "ffffffff", &v, NULL));
    CHECK(v.u.u == UINT32_MAX);
    CHECK_OK(dec(NULL, PRIM(U8), "ff", &v, NULL));
    CHECK(v.u.u == 255);
    END;
}

TEST(bsatn_wide_ints)
{
    BEGIN;
    const char *ff16 = "ffffffffffffffffffffffffffffffff";
    char buf[80];
    CHECK(rt(NULL, PRIM(I128), vwide(ff16), ff16)); /* -1 */
    CHECK(rt(NULL, PRIM(I128), vwide("000000000000000000000000000000 80"),
             "00000000000000000000000000000080")); /* min */
    CHECK(rt(NULL, PRIM(I128), vwide("ffffffffffffffffffffffffffffff7f"),
             "ffffffffffffffffffffffffffffff7f")); /* max */
    CHECK(rt(NULL, PRIM(I128), vwide("feffffffffffffffffffffffffffffff"),
             "feffffffffffffffffffffffffffffff")); /* -2 */
    CHECK(rt(NULL, PRIM(U128), vwide(ff16), ff16));
    CHECK(rt(NULL, PRIM(U128), vwide("01"), "01000000000000000000000000000000"));
    snprintf(buf, sizeof buf, "%s%s", ff16, ff16);
    CHECK(rt(NULL, PRIM(I256), vwide(buf), buf)); /* -1 */
    CHECK(rt(NULL, PRIM(U256), vwide(buf), buf)); /* max */
    CHECK(rt(NULL, PRIM(I256),
             vwide("0000000000000000000000000000000000000000000000000000000000000080"),
             "0000000000000000000000000000000000000000000000000000000000000080"));
    CHECK(rt(NULL, PRIM(I256),
             vwide("85ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
             "85ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")); /* -123 */
    /* Invariant 7: 128-bit values are sign- or zero-filled to 32 bytes. */
    sats_value_t v;
    CHECK_OK(dec(NULL, PRIM(I128), "feffffffffffffffffffffffffffffff", &v, NULL));
    for (int i = 16; i < 32; i++) CHECK_EQ_INT(v.u.wide[i], 0xff);
    CHECK_OK(dec(NULL, PRIM(U128), ff16, &v, NULL));
    for (int i = 16; i < 32; i++) CHECK_EQ_INT(v.u.wide[i], 0);
    CHECK_OK(dec(NULL, PRIM(I128), "ffffffffffffffffffffffffffffff7f", &v, NULL));
    for (int i = 16; i < 32; i++) CHECK_EQ_INT(v.u.wide[i], 0);
    END;
}

TEST(bsatn_floats)
{
    BEGIN;
    CHECK(rt(NULL, PRIM(F32), vf32(0x3f800000), "0000803f")); /* 1.0 */
    CHECK(rt(NULL, PRIM(F32), vf32(0x80000000), "00000080")); /* -0.0 */
    CHECK(rt(NULL, PRIM(F32), vf32(0x7fc00001), "0100c07f")); /* quiet NaN, payload */
    CHECK(rt(NULL, PRIM(F32), vf32(0xffc00000), "0000c0ff")); /* negative NaN */
    CHECK(rt(NULL, PRIM(F32), vf32(0x7f800001), "0100807f")); /* signalling NaN */
    CHECK(rt(NULL, PRIM(F32), vf32(0xff800000), "000080ff")); /* -inf */
    CHECK(rt(NULL, PRIM(F64), vf64(0x3ff0000000000000ULL), "000000000000f03f"));
    CHECK(rt(NULL, PRIM(F64), vf64(0x8000000000000000ULL), "0000000000000080"));
    CHECK(rt(NULL, PRIM(F64), vf64(0x7ff0000000000001ULL), "010000000000f07f"));
    CHECK(rt(NULL, PRIM(F64), vf64(0xfff8000000000000ULL), "000000000000f8ff"));
    CHECK(rt(NULL, PRIM(F64), vf64(0x0000000000000001ULL), "0100000000000000")); /* denormal */
    /* The exact bits survive decoding. */
    sats_value_t v;
    uint64_t bits;
    CHECK_OK(dec(NULL, PRIM(F64), "010000000000f07f", &v, NULL));
    memcpy(&bits, &v.u.f64, 8);
    CHECK(bits == 0x7ff0000000000001ULL);
    CHECK(isnan(v.u.f64));
    uint32_t bits32;
    CHECK_OK(dec(NULL, PRIM(F32), "00000080", &v, NULL));
    memcpy(&bits32, &v.u.f32, 4);
    CHECK(bits32 == 0x80000000u && signbit(v.u.f32));
    END;
}

TEST(bsatn_strings)
{
    BEGIN;
    CHECK(rt(NULL, PRIM(STRING), vstr(""), "00000000"));
    CHECK(rt(NULL, PRIM(STRING), vstr("Bob"), "03000000 426f62"));
    CHECK(rt(NULL, PRIM(STRING), vstr("h\xc3\xa9llo"), "06000000 68c3a96c6c6f"));
    CHECK(rt(NULL, PRIM(STRING), vstr("\xe2\x82\xac\xf0\x9d\x84\x9e"), "07000000 e282acf09d849e"));
    CHECK(rt(NULL, PRIM(STRING), vstr("\xf4\x8f\xbf\xbf"), "04000000 f48fbfbf")); /* U+10FFFF */
    CHECK(rt(NULL, PRIM(STRING), vstr("\xef\xbf\xbf"), "03000000 efbfbf"));       /* U+FFFF */
    CHECK(rt(NULL, PRIM(STRING), vstr("\xed\x9f\xbf"), "03000000 ed9fbf"));       /* U+D7FF */
    CHECK(rt(NULL, PRIM(STRING), vstr("\xee\x80\x80"), "03000000 ee8080"));       /* U+E000 */
    CHECK(rt(NULL, PRIM(STRING), vstr("a long enough ascii string, past 8"),
             "22000000 61206c6f6e6720656e6f75676820617363696920737472696e672c20706173742038"));
    /* Decoded strings are NUL-terminated copies. */
    sats_value_t v;
    CHECK_OK(dec(NULL, PRIM(STRING), "03000000 426f62", &v, NULL));
    CHECK_EQ_INT(v.u.str.len, 3);
    CHECK_EQ_STR(v.u.str.ptr, "Bob");
    CHECK_OK(dec(NULL, PRIM(STRING), "00000000", &v, NULL));
    CHECK(v.u.str.ptr != NULL && v.u.str.ptr[0] == 0);
    /* An embedded NUL is valid UTF-8 and kept (len counts it). */
    CHECK_OK(dec(NULL, PRIM(STRING), "03000000 610062", &v, NULL));
    CHECK_EQ_INT(v.u.str.len, 3);
    CHECK_EQ_MEM(v.u.str.ptr, "a\0b", 4);
    END;
}

TEST(bsatn_bad_utf8)
{
    BEGIN;
    static const char *const bad[] = {
        "01000000 80",                    /* lone continuation byte */
        "01000000 bf",                    /* lone continuation byte */
        "02000000 c080",                  /* overlong NUL */
        "02000000 c1bf",                  /* overlong */
        "03000000 e08080",                /* overlong 3-byte */
        "03000000 e09fbf",                /* overlong U+07FF */
        "04000000 f08fbfbf",              /* overlong U+FFFF */
        "03000000 eda080",                /* surrogate U+D800 */
        "03000000 edbfbf",                /* surrogate U+DFFF */
        "04000000 f4908080",              /* U+110000 */
        "04000000 f7bfbfbf",              /* above U+10FFFF */
        "01000000 f8",                    /* 5-byte lead */
        "01000000 ff",                    /* never valid */
        "02000000 e282",                  /* truncated sequence */
        "03000000 e2 28 a1",              /* bad continuation */
        "0a000000 6162636465666768 c328", /* bad after the ASCII fast path */
        "09000000 6162636465666768 e2",   /* truncated after 8 ASCII bytes */
    };
    lc_err_t err;
    for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
        CHECK_MSG(dec(NULL, PRIM(STRING), bad[i], NULL, &err) == LC_ECORRUPT, "accepted %s",
                  bad[i]);
        CHECK(strstr(err.msg, "UTF-8") != NULL);
    }
    CHECK(sats_utf8_valid("", 0));
    CHECK(sats_utf8_valid("\xc2\x80", 2));
    CHECK(!sats_utf8_valid("\xc2", 1));
    END;
}

TEST(bsatn_bytes)
{
    BEGIN;
    CHECK(rt(NULL, sats_type_bytes(), vbytes(""), "00000000"));
    CHECK(rt(NULL, sats_type_bytes(), vbytes("00ff10"), "03000000 00ff10"));
    /* Array<Array<U8>> is an array of byte strings. */
    const sats_type_t *aa = sats_type_array(ar, sats_type_bytes());
    CHECK(rt(NULL, aa, varr(2, vbytes("ab"), vbytes("")), "02000000 01000000ab 00000000"));
    /* Array<U8> spelled through a Ref decodes as bytes too. */
    const sats_type_t *types[] = {PRIM(U8)};
    sats_typespace_t ts = {1, types};
    const sats_type_t *ra = sats_type_array(ar, sats_type_ref(ar, 0));
    CHECK(rt(&ts, ra, vbytes("0102"), "02000000 0102"));
    /* Array<I8> is not bytes. */
    CHECK(rt(NULL, sats_type_array(ar, PRIM(I8)), varr(2, vi(-1), vi(2)), "02000000 ff02"));
    END;
}

/* ---------------------------------------------------------------- compound */

TEST(bsatn_arrays)
{
    BEGIN;
    const sats_type_t *au32 = sats_type_array(ar, PRIM(U32));
    CHECK(rt(NULL, au32, varr(0), "00000000"));
    CHECK(rt(NULL, au32, varr(2, vu(1), vu(2)), "02000000 01000000 02000000"));
    const sats_type_t *aau16 = sats_type_array(ar, sats_type_array(ar, PRIM(U16)));
    CHECK(rt(NULL, aau16, varr(3, varr(1, vu(1)), varr(0), varr(2, vu(2), vu(3))),
             "03000000 01000000 0100 00000000 02000000 0200 0300"));
    const sats_type_t *astr = sats_type_array(ar, PRIM(STRING));
    CHECK(rt(NULL, astr, varr(2, vstr("a"), vstr("")), "02000000 01000000 61 00000000"));
    const sats_type_t *abool = sats_type_array(ar, PRIM(BOOL));
    CHECK(rt(NULL, abool, varr(3, vb(true), vb(false), vb(true)), "03000000 010001"));
    lc_err_t err;
    CHECK_EQ_INT(dec(NULL, abool, "02000000 0102", NULL, &err), LC_ECORRUPT);
    END;
}

TEST(bsatn_products)
{
    BEGIN;
    CHECK(rt(NULL, sats_type_unit(), vunit(), ""));
    const sats_type_t *inner = sats_type_product(
        ar, 3, NAMES("c", "d", "u"),
        TYPES(PRIM(STRING), sats_type_product(ar, 1, NULL, TYPES(PRIM(I16))), sats_type_unit()));
    const sats_type_t *outer =
        sats_type_product(ar, 3, NAMES("a", "b", "e"), TYPES(PRIM(U8), inner, PRIM(I64)));
    CHECK(rt(NULL, outer, vp(3, vu(7), vp(3, vstr("hi"), vp(1, vi(-3)), vunit()), vi(5)),
             "07 02000000 6869 fdff 0500000000000000"));
    END;
}

TEST(bsatn_sums)
{
    BEGIN;
    const sats_type_t *s =
        sats_type_sum(ar, 3, NAMES("A", "B", "C"), TYPES(sats_type_unit(), PRIM(U8), PRIM(STRING)));
    CHECK(rt(NULL, s, vs(0, NULL), "00"));
    CHECK(rt(NULL, s, vs(1, vu(5)), "01 05"));
    CHECK(rt(NULL, s, vs(2, vstr("x")), "02 01000000 78"));
    lc_err_t err;
    CHECK_EQ_INT(dec(NULL, s, "03", NULL, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "tag 3") != NULL);
    CHECK_EQ_INT(dec(NULL, s, "ff", NULL, &err), LC_ECORRUPT);
    /* A sum with no variants has no values. */
    CHECK_EQ_INT(dec(NULL, sats_type_sum(ar, 0, NULL, NULL), "00", NULL, &err), LC_ECORRUPT);
    /* The unit payload decodes as an empty product, never NULL. */
    sats_value_t v;
    CHECK_OK(dec(NULL, s, "00", &v, NULL));
    CHECK(v.u.sum.payload != NULL && v.u.sum.payload->u.elems.n == 0);
    /* Encoding tolerates a NULL unit payload, not a NULL payload elsewhere. */
    sats_value_t bare = {.u.sum = {0, NULL}};
    lc_buf_t b = {0};
    int rc0 = sats_bsatn_encode(&b, NULL, s, &bare, &err);
    bare.u.sum.tag = 1;
    int rc1 = sats_bsatn_encode(&b, NULL, s, &bare, &err);
    bool one_byte = b.len == 1 && b.data[0] == 0;
    lc_buf_free(&b);
    CHECK_OK(rc0);
    CHECK_EQ_INT(rc1, LC_EINVAL);
    CHECK(one_byte);
    END;
}

TEST(bsatn_options_results)
{
    BEGIN;
    const sats_type_t *oo = sats_type_option(ar, sats_type_option(ar, PRIM(U8)));
    CHECK(rt(NULL, oo, vs(1, NULL), "01"));
    CHECK(rt(NULL, oo, vs(0, vs(1, NULL)), "00 01"));
    CHECK(rt(NULL, oo, vs(0, vs(0, vu(5))), "00 00 05"));
    lc_err_t err;
    CHECK_EQ_INT(dec(NULL, oo, "02", NULL, &err), LC_ECORRUPT);
    CHECK_EQ_INT(dec(NULL, oo, "00 02", NULL, &err), LC_ECORRUPT);
    const sats_type_t *res = sats_type_result(ar, PRIM(U32), PRIM(STRING));
    CHECK(rt(NULL, res, vs(0, vu(7)), "00 07000000"));
    CHECK(rt(NULL, res, vs(1, vstr("e")), "01 01000000 65"));
    CHECK_EQ_INT(dec(NULL, res, "02", NULL, &err), LC_ECORRUPT);
    END;
}

TEST(bsatn_special_types)
{
    BEGIN;
    const char *id = "5d262a478b8f95220f3068040c203e32ac0eedc698d84435e9a25303603500c2";
    CHECK(rt(NULL, sats_type_identity(), vp(1, vwide(id)), id));
    CHECK(rt(NULL, sats_type_connection_id(), vp(1, vwide("efcdab8967452301efcdab8967452301")),
             "efcdab8967452301efcdab8967452301"));
    CHECK(rt(NULL, sats_type_uuid(), vp(1, vwide("00112233445566778899aabbccddeeff")),
             "00112233445566778899aabbccddeeff"));
    CHECK(rt(NULL, sats_type_timestamp(), vp(1, vi(1767225600000000)), "0040204648470600"));
    CHECK(rt(NULL, sats_type_timestamp(), vp(1, vi(-1)), "ffffffffffffffff"));
    CHECK(rt(NULL, sats_type_time_duration(), vp(1, vi(1500)), "dc05000000000000"));
    CHECK(rt(NULL, sats_type_time_duration(), vp(1, vi(-1500)), "24faffffffffffff"));
    CHECK(rt(NULL, sats_type_schedule_at(), vs(0, vp(1, vi(1500))), "00 dc05000000000000"));
    CHECK(rt(NULL, sats_type_schedule_at(), vs(1, vp(1, vi(1767225600000000))),
             "01 0040204648470600"));
    lc_err_t err;
    CHECK_EQ_INT(dec(NULL, sats_type_schedule_at(), "02 0000000000000000", NULL, &err),
                 LC_ECORRUPT);
    /* A table row with special columns. */
    const sats_type_t *row =
        sats_type_product(ar, 3, NAMES("owner", "at", "when"),
                          TYPES(sats_type_identity(), sats_type_option(ar, sats_type_timestamp()),
                                sats_type_schedule_at()));
    CHECK(rt(NULL, row, vp(3, vp(1, vwide("01")), vs(1, NULL), vs(0, vp(1, vi(1)))),
             "0100000000000000000000000000000000000000000000000000000000000000"
             " 01 00 0100000000000000"));
    END;
}

TEST(bsatn_refs)
{
    BEGIN;
    /* 0: List = Option<(head: I32, tail: &0)>; 1: &0; 2: Array<&1> */
    const sats_type_t *types[3];
    types[0] = sats_type_option(ar, sats_type_product(ar, 2, NAMES("head", "tail"),
                                                      TYPES(PRIM(I32), sats_type_ref(ar, 0))));
    types[1] = sats_type_ref(ar, 0);
    types[2] = sats_type_array(ar, sats_type_ref(ar, 1));
    sats_typespace_t ts = {3, types};
    CHECK_OK(sats_type_check(&ts, sats_type_ref(ar, 2), NULL));
    sats_value_t *nil = vs(1, NULL);
    sats_value_t *l2 = vs(0, vp(2, vi(1), vs(0, vp(2, vi(2), nil))));
    CHECK(rt(&ts, sats_type_ref(ar, 0), nil, "01"));
    CHECK(rt(&ts, sats_type_ref(ar, 1), l2, "00 01000000 00 02000000 01"));
    CHECK(
        rt(&ts, sats_type_ref(ar, 2), varr(2, l2, nil), "02000000 00 01000000 00 02000000 01 01"));
    END;
}

/* ---------------------------------------------------------------- rejections */

TEST(bsatn_trailing_bytes)
{
    BEGIN;
    lc_err_t err;
    sats_value_t v;
    uint8_t two[] = {0x01, 0x00};
    CHECK_EQ_INT(sats_bsatn_decode_all(ar, two, 2, NULL, PRIM(BOOL), &v, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "trailing") != NULL);
    /* decode (not _all) stops after the value. */
    lc_rd_t r = lc_rd_make(two, 2);
    CHECK_OK(sats_bsatn_decode(ar, &r, NULL, PRIM(BOOL), &v, &err));
    CHECK_EQ_INT(r.len, 1);
    CHECK(v.u.b);
    END;
}

TEST(bsatn_depth_limit)
{
    BEGIN;
    /* Nest = Option<&0>: k "00" bytes and a final "01" are k + 1 nested sums
     * and the empty product inside the last none: k + 2 levels. */
    const sats_type_t *types[] = {sats_type_option(ar, sats_type_ref(ar, 0))};
    sats_typespace_t ts = {1, types};
    char hex[2 * (SATS_MAX_DEPTH + 2) + 1];
    for (int i = 0; i < SATS_MAX_DEPTH - 2; i++) memcpy(hex + 2 * i, "00", 2);
    strcpy(hex + 2 * (SATS_MAX_DEPTH - 2), "01");
    lc_err_t err;
    CHECK_OK(dec(&ts, types[0], hex, NULL, &err)); /* 64 levels */
    for (int i = 0; i < SATS_MAX_DEPTH - 1; i++) memcpy(hex + 2 * i, "00", 2);
    strcpy(hex + 2 * (SATS_MAX_DEPTH - 1), "01");
    CHECK_EQ_INT(dec(&ts, types[0], hex, NULL, &err), LC_ECORRUPT); /* 65 levels */
    CHECK(strstr(err.msg, "deeper") != NULL);
    /* Deeper still, and a hostile run of "some" bytes, fail the same way. */
    memset(hex, '0', 2 * (SATS_MAX_DEPTH + 2));
    hex[2 * (SATS_MAX_DEPTH + 2)] = 0;
    CHECK_EQ_INT(dec(&ts, types[0], hex, NULL, &err), LC_ECORRUPT);

    /* A statically deep type: 64 nested arrays are fine, 65 are not (the
     * innermost Array<U8> is bytes, but counts as a level all the same). */
    const sats_type_t *t = PRIM(U8);
    for (int i = 0; i < SATS_MAX_DEPTH; i++) t = sats_type_array(ar, t);
    char deep[8 * (SATS_MAX_DEPTH + 1) + 1] = "";
    for (int i = 0; i < SATS_MAX_DEPTH - 1; i++) strcat(deep, "01000000");
    strcat(deep, "00000000");
    CHECK_OK(dec(NULL, t, deep, NULL, &err));
    const sats_type_t *t65 = sats_type_array(ar, t);
    char deep65[sizeof deep];
    snprintf(deep65, sizeof deep65, "01000000%s", deep);
    CHECK_EQ_INT(dec(NULL, t65, deep65, NULL, &err), LC_ECORRUPT);
    /* Encoding a value that deep fails too. */
    sats_value_t *v = vbytes("");
    for (int i = 0; i < SATS_MAX_DEPTH; i++) v = varr(1, v);
    lc_buf_t b = {0};
    int rc = sats_bsatn_encode(&b, NULL, t65, v, &err);
    lc_buf_free(&b);
    CHECK_EQ_INT(rc, LC_EINVAL);
    END;
}

TEST(bsatn_bad_types)
{
    BEGIN;
    lc_err_t err;
    sats_value_t v;
    uint8_t byte = 0;
    /* A cycle of refs, an out-of-range ref, and no typespace at all. */
    const sats_type_t *cyc[] = {sats_type_ref(ar, 1), sats_type_ref(ar, 0)};
    sats_typespace_t cts = {2, cyc};
    CHECK_EQ_INT(sats_bsatn_decode_all(ar, &byte, 1, &cts, cyc[0], &v, &err), LC_EINVAL);
    CHECK_EQ_INT(sats_bsatn_decode_all(ar, &byte, 1, &cts, sats_type_ref(ar, 2), &v, &err),
                 LC_EINVAL);
    CHECK_EQ_INT(sats_bsatn_decode_all(ar, &byte, 1, NULL, cyc[0], &v, &err), LC_EINVAL);
    lc_rd_t r = lc_rd_make(&byte, 1);
    CHECK_EQ_INT(sats_bsatn_skip(&r, &cts, cyc[0], &err), LC_EINVAL);
    lc_buf_t b = {0};
    int rc = sats_bsatn_encode(&b, &cts, cyc[0], vu(1), &err);
    lc_buf_free(&b);
    CHECK_EQ_INT(rc, LC_EINVAL);
    END;
}

TEST(bsatn_hostile_lengths)
{
    BEGIN;
    lc_err_t err;
    /* Lengths past the end: rejected before any allocation. */
    CHECK_EQ_INT(dec(NULL, PRIM(STRING), "ffffffff 61", NULL, &err), LC_ECORRUPT);
    CHECK_EQ_INT(dec(NULL, sats_type_bytes(), "ffffffff 61", NULL, &err), LC_ECORRUPT);
    CHECK_EQ_INT(dec(NULL, sats_type_array(ar, PRIM(U64)), "ffffffff", NULL, &err), LC_ECORRUPT);
    /* 2 U64s need 16 bytes; 15 are there. */
    CHECK_EQ_INT(dec(NULL, sats_type_array(ar, PRIM(U64)),
                     "02000000 000000000000000000000000000000", NULL, &err),
                 LC_ECORRUPT);
    CHECK(strstr(err.msg, "at least 8 bytes") != NULL);
    /* Strings take at least 4 bytes each. */
    CHECK_EQ_INT(
        dec(NULL, sats_type_array(ar, PRIM(STRING)), "03000000 0000000000000000", NULL, &err),
        LC_ECORRUPT);
    /* Product elements count the sum of their fields. */
    const sats_type_t *row = sats_type_product(ar, 2, NULL, TYPES(PRIM(U32), PRIM(STRING)));
    CHECK_EQ_INT(dec(NULL, sats_type_array(ar, row), "02000000 0000000000000000", NULL, &err),
                 LC_ECORRUPT);
    CHECK(strstr(err.msg, "at least 8 bytes") != NULL);

    /* Zero-size elements: invariant 4 allows input length + 1024 of them. */
    const sats_type_t *aunit = sats_type_array(ar, sats_type_unit());
    sats_value_t v;
    CHECK_OK(dec(NULL, aunit, "05000000", &v, &err));
    CHECK_EQ_INT(v.u.elems.n, 5);
    CHECK(rt(NULL, aunit, varr(3, vunit(), vunit(), vunit()), "03000000"));
    CHECK_OK(dec(NULL, aunit, "04040000", NULL, &err)); /* 1028 = 4 + 1024 */
    CHECK_EQ_INT(dec(NULL, aunit, "05040000", NULL, &err), LC_ECORRUPT);
    CHECK_EQ_INT(dec(NULL, aunit, "ffffffff", NULL, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "zero-size") != NULL);
    /* The allowance is shared by every array in one decode. */
    const sats_type_t *aaunit = sats_type_array(ar, aunit);
    CHECK_OK(dec(NULL, aaunit, "02000000 f4010000 f4010000", NULL, &err)); /* 500 + 500 */
    CHECK_EQ_INT(dec(NULL, aaunit, "02000000 e8030000 e8030000", NULL, &err), LC_ECORRUPT);
    /* A product of units is zero-size too; so is an empty array of them. */
    const sats_type_t *uu =
        sats_type_product(ar, 2, NULL, TYPES(sats_type_unit(), sats_type_unit()));
    CHECK_EQ_INT(dec(NULL, sats_type_array(ar, uu), "ffffff7f", NULL, &err), LC_ECORRUPT);
    CHECK_OK(dec(NULL, sats_type_array(ar, uu), "00000000", NULL, &err));
    END;
}

TEST(bsatn_decode_fault_injection)
{
    BEGIN;
    /* Each allocation failing in turn gives LC_ENOMEM, never a crash. */
    const sats_type_t *t = sats_type_array(
        ar, sats_type_product(ar, 2, NULL, TYPES(PRIM(STRING), sats_type_option(ar, PRIM(U8)))));
    uint8_t buf[64];
    long n = test_unhex("02000000 01000000 61 00 07 02000000 6263 01", buf, sizeof buf);
    CHECK(n > 0);
    bool saw_ok = false;
    for (long fail = 1; fail < 50 && !saw_ok; fail++) {
        lc_arena_t small;
        lc_arena_init(&small, 64);
        sats_value_t v;
        lc_fault_alloc_after(fail);
        int rc = sats_bsatn_decode_all(&small, buf, (size_t)n, NULL, t, &v, NULL);
        lc_fault_alloc_after(0);
        lc_arena_free(&small);
        CHECK(rc == 0 || rc == LC_ENOMEM);
        saw_ok = rc == 0;
    }
    CHECK(saw_ok);
    END;
}

TEST(bsatn_encode_errors)
{
    BEGIN;
    lc_err_t err;
    lc_buf_t b = {0};
    const sats_type_t *s = sats_type_sum(ar, 2, NULL, TYPES(PRIM(U8), PRIM(U8)));
    int rc1 = sats_bsatn_encode(&b, NULL, s, vs(2, vu(1)), &err);
    const sats_type_t *p = sats_type_product(ar, 2, NULL, TYPES(PRIM(U8), PRIM(U8)));
    int rc2 = sats_bsatn_encode(&b, NULL, p, vp(1, vu(1)), &err);
    sats_value_t bad_str = {.u.str = {NULL, 3}};
    int rc3 = sats_bsatn_encode(&b, NULL, PRIM(STRING), &bad_str, &err);
    sats_value_t bad_arr = {.u.elems = {2, NULL}};
    int rc4 = sats_bsatn_encode(&b, NULL, sats_type_array(ar, PRIM(U16)), &bad_arr, &err);
    int rc5 = sats_bsatn_encode(&b, NULL, PRIM(U8), NULL, &err);
    /* A failure deep inside leaves nothing partial behind. */
    const sats_type_t *pair = sats_type_product(ar, 2, NULL, TYPES(PRIM(U32), s));
    int rc6 = sats_bsatn_encode(&b, NULL, pair, vp(2, vu(1), vs(9, NULL)), &err);
    size_t len = b.len;
    lc_buf_free(&b);
    CHECK_EQ_INT(rc6, LC_EINVAL);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(rc1, LC_EINVAL);
    CHECK_EQ_INT(rc2, LC_EINVAL);
    CHECK_EQ_INT(rc3, LC_EINVAL);
    CHECK_EQ_INT(rc4, LC_EINVAL);
    CHECK_EQ_INT(rc5, LC_EINVAL);
    END;
}

/* ---------------------------------------------------------------- order */

static bool ascending(const sats_typespace_t *ts, const sats_type_t *t, sats_value_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int c = sats_value_cmp(ts, t, v[i], v[j]);
            int want = (i > j) - (i < j);
            if ((c > 0) - (c < 0) != want || sats_value_eq(ts, t, v[i], v[j]) != (i == j)) {
                fprintf(stderr, "  cmp(v[%zu], v[%zu]) = %d\n", i, j, c);
                return false;
            }
        }
    }
    return true;
}
#define ASCENDING(ts, t, ...)                                                                      \
    ascending(ts, t, (sats_value_t *[]){__VA_ARGS__},                                              \
              LC_ARRAY_LEN(((sats_value_t *[]){__VA_ARGS__})))

TEST(bsatn_order_numbers)
{
    BEGIN;
    CHECK(ASCENDING(NULL, PRIM(BOOL), vb(false), vb(true)));
    CHECK(ASCENDING(NULL, PRIM(I32), vi(INT32_MIN), vi(-5), vi(0), vi(3), vi(INT32_MAX)));
    CHECK(ASCENDING(NULL, PRIM(I64), vi(INT64_MIN), vi(-1), vi(0), vi(INT64_MAX)));
    CHECK(ASCENDING(NULL, PRIM(U64), vu(0), vu(1), vu(1ULL << 63), vu(UINT64_MAX)));
    CHECK(ASCENDING(NULL, PRIM(I128), vwide("00000000000000000000000000000080"),
                    vwide("feffffffffffffffffffffffffffffff"),
                    vwide("ffffffffffffffffffffffffffffffff"), vwide("00"), vwide("01"),
                    vwide("0001"), vwide("ffffffffffffffffffffffffffffff7f")));
    CHECK(ASCENDING(NULL, PRIM(U128), vwide("00"), vwide("ff"), vwide("0001"),
                    vwide("00000000000000000000000000000080"),
                    vwide("ffffffffffffffffffffffffffffffff")));
    CHECK(ASCENDING(NULL, PRIM(I256),
                    vwide("0000000000000000000000000000000000000000000000000000000000000080"),
                    vwide("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
                    vwide("00"), vwide("000000000000000000000000000000000001")));
    CHECK(ASCENDING(NULL, PRIM(U256), vwide("00"),
                    vwide("00000000000000000000000000000000000000000000000000000000000001"),
                    vwide("0000000000000000000000000000000000000000000000000000000000000080")));
    /* The reference's order (decorum's Total): -inf < -1 < 0 < denormal < 1
     * < inf < NaN, with -0 == +0 and every NaN equal. */
    CHECK(ASCENDING(NULL, PRIM(F64), vf64(0xfff0000000000000ULL), vf64(0xbff0000000000000ULL),
                    vf64(0), vf64(1), vf64(0x3ff0000000000000ULL), vf64(0x7ff0000000000000ULL),
                    vf64(0x7ff8000000000000ULL)));
    CHECK(ASCENDING(NULL, PRIM(F32), vf32(0xff800000), vf32(0xbf800000), vf32(0), vf32(0x3f800000),
                    vf32(0x7f800000), vf32(0x7fc00000)));
    CHECK(sats_value_eq(NULL, PRIM(F64), vf64(0x8000000000000000ULL), vf64(0)));
    CHECK(sats_value_eq(NULL, PRIM(F64), vf64(0xfff8000000000000ULL), vf64(0x7ff0000000000001ULL)));
    CHECK(sats_value_eq(NULL, PRIM(F32), vf32(0x80000000), vf32(0)));
    /* A NaN equals itself, bit for bit. */
    CHECK(sats_value_eq(NULL, PRIM(F64), vf64(0x7ff8000000000000ULL), vf64(0x7ff8000000000000ULL)));
    END;
}

TEST(bsatn_order_compound)
{
    BEGIN;
    CHECK(ASCENDING(NULL, PRIM(STRING), vstr(""), vstr("a"), vstr("ab"), vstr("b"), vstr("z"),
                    vstr("\xc3\xa9")));
    CHECK(ASCENDING(NULL, sats_type_bytes(), vbytes(""), vbytes("00"), vbytes("0000"), vbytes("01"),
                    vbytes("ff")));
    const sats_type_t *ai = sats_type_array(ar, PRIM(I16));
    CHECK(ASCENDING(NULL, ai, varr(0), varr(1, vi(-1)), varr(1, vi(0)), varr(2, vi(1), vi(2)),
                    varr(3, vi(1), vi(2), vi(0)), varr(2, vi(1), vi(3))));
    const sats_type_t *p = sats_type_product(ar, 2, NULL, TYPES(PRIM(U8), PRIM(STRING)));
    CHECK(ASCENDING(NULL, p, vp(2, vu(1), vstr("a")), vp(2, vu(1), vstr("b")),
                    vp(2, vu(2), vstr("a"))));
    const sats_type_t *s =
        sats_type_sum(ar, 3, NAMES("A", "B", "C"), TYPES(sats_type_unit(), PRIM(I8), PRIM(STRING)));
    CHECK(ASCENDING(NULL, s, vs(0, NULL), vs(1, vi(-3)), vs(1, vi(2)), vs(2, vstr(""))));
    /* Option: some(x) sorts before none (tag 0 < tag 1). */
    const sats_type_t *o = sats_type_option(ar, PRIM(U32));
    CHECK(ASCENDING(NULL, o, vs(0, vu(1)), vs(0, vu(100)), vs(1, NULL)));
    CHECK(ASCENDING(NULL, sats_type_identity(), vp(1, vwide("ff")), vp(1, vwide("0001"))));
    /* Through a ref. */
    const sats_type_t *types[] = {PRIM(I64)};
    sats_typespace_t ts = {1, types};
    CHECK(ASCENDING(&ts, sats_type_ref(ar, 0), vi(-7), vi(7)));
    END;
}

/* ---------------------------------------------------------------- v2 frames */

/* Value builders for the shared structures. */
static sats_value_t *qsid(uint32_t id)
{
    return vp(1, vu(id));
}
static sats_value_t *tstamp(int64_t us)
{
    return vp(1, vi(us));
}
static sats_value_t *fixed(uint16_t n, const char *rows)
{
    return vp(2, vs(0, vu(n)), vbytes(rows));
}
static sats_value_t *no_rows(void)
{
    return vp(2, vs(1, varr(0)), vbytes(""));
}
static sats_value_t *table_rows(const char *name, sats_value_t *list)
{
    return vp(2, vstr(name), list);
}
static sats_value_t *persistent(sats_value_t *ins, sats_value_t *del)
{
    return vs(0, vp(2, ins, del));
}
static sats_value_t *tx_update_one(const char *table, sats_value_t *rows)
{
    sats_value_t *tu = vp(2, vstr(table), varr(1, rows));
    return vp(1, varr(1, vp(2, qsid(0), varr(1, tu))));
}

#define TS_2026 1767225600000000
#define BOB     "03000000426f62"
#define ALICE   "05000000416c696365"

typedef struct frame {
    const char *name;
    bool server;
    sats_value_t *value;
    const char *hex; /* as in the spec; server frames include the 00 compression tag */
} frame_t;

static size_t v2_frames(frame_t *f)
{
    size_t n = 0;
#define FRAME(nm, srv, v, h) f[n++] = (frame_t){nm, srv, v, h}
    FRAME("1 InitialConnection", true,
          vs(0,
             vp(3, vp(1, vwide("5d262a478b8f95220f3068040c203e32ac0eedc698d84435e9a25303603500c2")),
                vp(1, vwide("efcdab8967452301efcdab8967452301")), vstr("eyJ.x.y"))),
          "00 00 5d262a478b8f95220f3068040c203e32ac0eedc698d84435e9a25303603500c2"
          " efcdab8967452301efcdab8967452301 07000000 65794a2e782e79");
    FRAME("2 Subscribe", false, vs(0, vp(3, vu(1), qsid(0), varr(1, vstr("SELECT * FROM person")))),
          "00 01000000 00000000 01000000 14000000 53454c454354202a2046524f4d20706572736f6e");
    FRAME("3 SubscribeApplied", true,
          vs(1, vp(3, vu(1), qsid(0), vp(1, varr(1, table_rows("person", fixed(7, BOB)))))),
          "00 01 01000000 00000000 01000000 06000000 706572736f6e 00 0700 07000000 " BOB);
    FRAME("4 CallReducer", false, vs(3, vp(4, vu(2), vu(0), vstr("add"), vbytes(BOB))),
          "03 02000000 00 03000000 616464 07000000 " BOB);
    FRAME("5 ReducerResult Ok", true,
          vs(6, vp(3, vu(2), tstamp(TS_2026),
                   vs(0, vp(2, vbytes(""),
                            tx_update_one("person", persistent(fixed(7, BOB), no_rows())))))),
          "00 06 02000000 0040204648470600 00 00000000 01000000 00000000"
          " 01000000 06000000 706572736f6e 01000000 00 00 0700 07000000 " BOB
          " 01 00000000 00000000");
    FRAME(
        "6 TransactionUpdate", true,
        vs(4, tx_update_one("person", persistent(fixed(9, ALICE), fixed(7, BOB)))),
        "00 04 01000000 00000000 01000000 06000000706572736f6e 01000000 00 00 0900 09000000 " ALICE
        " 00 0700 07000000 " BOB);
    FRAME("7 UnsubscribeApplied None", true, vs(2, vp(3, vu(3), qsid(0), vs(1, NULL))),
          "00 02 03000000 00000000 01");
    FRAME("7 UnsubscribeApplied Some", true,
          vs(2, vp(3, vu(3), qsid(0),
                   vs(0, vp(1, varr(1, table_rows("person", vp(2, vs(1, varr(2, vu(0), vu(7))),
                                                               vbytes(BOB ALICE)))))))),
          "00 02 03000000 00000000 00 01000000 06000000706572736f6e 01 02000000 0000000000000000"
          " 0700000000000000 10000000 03000000426f62 05000000416c696365");
    FRAME("8 SubscriptionError Some", true,
          vs(3, vp(3, vs(0, vu(5)), qsid(7), vstr("no such table"))),
          "00 03 00 05000000 07000000 0d000000 6e6f2073756368207461626c65");
    FRAME("8 SubscriptionError None", true,
          vs(3, vp(3, vs(1, NULL), qsid(7), vstr("no such table"))),
          "00 03 01 07000000 0d000000 6e6f2073756368207461626c65");
    FRAME("9 ReducerResult Err", true,
          vs(6, vp(3, vu(2), tstamp(TS_2026), vs(2, vbytes("0b0000006e6f7420616c6c6f776564")))),
          "00 06 02000000 0040204648470600 02 0f000000 0b0000006e6f7420616c6c6f776564");
    FRAME("9 ReducerResult InternalError", true,
          vs(6, vp(3, vu(2), tstamp(TS_2026), vs(3, vstr("no such reducer")))),
          "00 06 02000000 0040204648470600 03 0f000000 6e6f20737563682072656475636572");
    FRAME("9 ReducerResult OkEmpty", true, vs(6, vp(3, vu(2), tstamp(TS_2026), vs(1, NULL))),
          "00 06 02000000 0040204648470600 01");
    FRAME("10 OneOffQueryResult Err", true, vs(5, vp(2, vu(9), vs(1, vstr("bad query")))),
          "00 05 09000000 01 09000000 626164207175657279");
    FRAME("10 OneOffQueryResult Ok", true, vs(5, vp(2, vu(9), vs(0, vp(1, varr(0))))),
          "00 05 09000000 00 00000000");
    FRAME("11 ProcedureResult", true,
          vs(7, vp(4, vs(0, vbytes("2a000000")), tstamp(TS_2026), vp(1, vi(1500)), vu(11))),
          "00 07 00 04000000 2a000000 0040204648470600 dc05000000000000 0b000000");
    FRAME("12 SubscribeApplied FixedSize(12)", true,
          vs(1, vp(3, vu(1), qsid(0),
                   vp(1, varr(1, table_rows("score", fixed(12, "01000000 0a00000000000000"
                                                               " 02000000 1400000000000000")))))),
          "00 01 01000000 00000000 01000000 05000000 73636f7265 00 0c00 18000000 01000000"
          " 0a00000000000000 02000000 1400000000000000");
    FRAME("13 Unsubscribe", false, vs(1, vp(3, vu(3), qsid(0), vs(1, NULL))),
          "01 03000000 00000000 01");
    FRAME("14 OneOffQuery", false, vs(2, vp(2, vu(9), vstr("SELECT * FROM person"))),
          "02 09000000 14000000 53454c454354202a2046524f4d20706572736f6e");
    FRAME("15 CallProcedure", false, vs(4, vp(4, vu(11), vu(0), vstr("get_score"), vbytes(""))),
          "04 0b000000 00 09000000 6765745f73636f7265 00000000");
#undef FRAME
    return n;
}

TEST(bsatn_v2_typespace)
{
    BEGIN;
    sats_typespace_t ts;
    CHECK_OK(net_v2_typespace(ar, &ts));
    lc_err_t err;
    CHECK_OK(sats_type_check(&ts, sats_type_ref(ar, NET_V2_CLIENT_MESSAGE), &err));
    CHECK_OK(sats_type_check(&ts, sats_type_ref(ar, NET_V2_SERVER_MESSAGE), &err));
    CHECK_EQ_INT(sats_type_fixed_size(&ts, sats_type_ref(ar, NET_V2_QUERY_SET_ID)), 4);
    CHECK_EQ_INT(sats_type_fixed_size(&ts, sats_type_ref(ar, NET_V2_UNSUBSCRIBE_FLAGS)), 1);
    CHECK_EQ_INT(sats_type_fixed_size(&ts, sats_type_ref(ar, NET_V2_SERVER_MESSAGE)), -1);
    /* The whole typespace survives the meta-codec. */
    lc_buf_t b = {0};
    CHECK_OK(sats_typespace_encode(&b, &ts));
    lc_rd_t r = lc_rd_make(b.data, b.len);
    sats_typespace_t back;
    int rc = sats_typespace_decode(ar, &r, &back, &err);
    size_t left = r.len;
    lc_buf_free(&b);
    CHECK_OK(rc);
    CHECK_EQ_INT(left, 0);
    CHECK_EQ_INT(back.n, ts.n);
    for (uint32_t i = 0; i < ts.n; i++) CHECK(sats_type_eq(back.types[i], ts.types[i]));
    END;
}

TEST(bsatn_v2_frames_exact)
{
    BEGIN;
    sats_typespace_t ts;
    CHECK_OK(net_v2_typespace(ar, &ts));
    const sats_type_t *client = sats_type_ref(ar, NET_V2_CLIENT_MESSAGE);
    const sats_type_t *server = sats_type_ref(ar, NET_V2_SERVER_MESSAGE);
    frame_t frames[32];
    size_t n = v2_frames(frames);
    CHECK_EQ_INT(n, 20);
    for (size_t i = 0; i < n; i++) {
        static uint8_t buf[1024];
        long len = test_unhex(frames[i].hex, buf, sizeof buf);
        CHECK_MSG(len > 0, "frame %s: bad hex", frames[i].name);
        const uint8_t *p = buf;
        if (frames[i].server) {
            CHECK_MSG(buf[0] == 0, "frame %s: no compression tag", frames[i].name);
            p++, len--;
        }
        const sats_type_t *t = frames[i].server ? server : client;
        CHECK_MSG(rt_bytes(&ts, t, frames[i].value, p, (size_t)len), "frame %s", frames[i].name);
    }
    END;
}

/* Decode the spec bytes (without building a value first) and look inside. */
TEST(bsatn_v2_frames_decoded)
{
    BEGIN;
    sats_typespace_t ts;
    CHECK_OK(net_v2_typespace(ar, &ts));
    const sats_type_t *server = sats_type_ref(ar, NET_V2_SERVER_MESSAGE);
    const sats_type_t *client = sats_type_ref(ar, NET_V2_CLIENT_MESSAGE);
    sats_value_t v;
    lc_err_t err;
    CHECK_OK(dec(&ts, server,
                 "00 5d262a478b8f95220f3068040c203e32ac0eedc698d84435e9a25303603500c2"
                 " efcdab8967452301efcdab8967452301 07000000 65794a2e782e79",
                 &v, &err));
    CHECK_EQ_INT(v.u.sum.tag, 0);
    sats_value_t *ic = v.u.sum.payload;
    CHECK_EQ_INT(ic->u.elems.n, 3);
    CHECK_EQ_INT(ic->u.elems.items[0].u.elems.items[0].u.wide[31], 0xc2);
    CHECK_EQ_INT(ic->u.elems.items[1].u.elems.items[0].u.wide[0], 0xef);
    CHECK_EQ_STR(ic->u.elems.items[2].u.str.ptr, "eyJ.x.y");

    CHECK_OK(dec(&ts, server, "06 02000000 0040204648470600 01", &v, &err));
    CHECK_EQ_INT(v.u.sum.tag, 6);
    CHECK_EQ_INT(v.u.sum.payload->u.elems.items[1].u.elems.items[0].u.i, TS_2026);

    CHECK_OK(dec(&ts, client, "03 02000000 00 03000000 616464 07000000 " BOB, &v, &err));
    sats_value_t *cr = v.u.sum.payload;
    CHECK_EQ_STR(cr->u.elems.items[2].u.str.ptr, "add");
    CHECK_EQ_INT(cr->u.elems.items[3].u.bytes.len, 7);
    CHECK_EQ_MEM(cr->u.elems.items[3].u.bytes.ptr, "\x03\0\0\0Bob", 7);

    /* Bad tags in the message sums. */
    CHECK_EQ_INT(dec(&ts, client, "05", NULL, &err), LC_ECORRUPT);
    CHECK_EQ_INT(dec(&ts, server, "08", NULL, &err), LC_ECORRUPT);
    CHECK_EQ_INT(dec(&ts, client, "01 03000000 00000000 02", NULL, &err), LC_ECORRUPT);
    END;
}

const test_case_t test_bsatn_cases[] = {
    TEST_CASE(bsatn_bool),
    TEST_CASE(bsatn_small_ints),
    TEST_CASE(bsatn_wide_ints),
    TEST_CASE(bsatn_floats),
    TEST_CASE(bsatn_strings),
    TEST_CASE(bsatn_bad_utf8),
    TEST_CASE(bsatn_bytes),
    TEST_CASE(bsatn_arrays),
    TEST_CASE(bsatn_products),
    TEST_CASE(bsatn_sums),
    TEST_CASE(bsatn_options_results),
    TEST_CASE(bsatn_special_types),
    TEST_CASE(bsatn_refs),
    TEST_CASE(bsatn_trailing_bytes),
    TEST_CASE(bsatn_depth_limit),
    TEST_CASE(bsatn_bad_types),
    TEST_CASE(bsatn_hostile_lengths),
    TEST_CASE(bsatn_decode_fault_injection),
    TEST_CASE(bsatn_encode_errors),
    TEST_CASE(bsatn_order_numbers),
    TEST_CASE(bsatn_order_compound),
    TEST_CASE(bsatn_v2_typespace),
    TEST_CASE(bsatn_v2_frames_exact),
    TEST_CASE(bsatn_v2_frames_decoded),
    TEST_END,
};
