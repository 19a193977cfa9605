/*
 * Tests for the index building blocks of src/store: the order-preserving
 * key encoding (key.c), the B+tree (btree.c) and the hash index
 * (hashidx.c).
 *
 * Keys are checked against sats_value_cmp on random values of many types.
 * Both indexes are driven by thousands of seeded random inserts and deletes
 * and compared after every few operations with a simple model (a sorted
 * array of rows for the B+tree, a presence array for the hash index); the
 * B+tree's structural invariants are checked with store_btree_check.  Keys
 * live in a "universe": key[row] for every row id, which also backs the
 * fetch callback.
 *
 * Set LC_BENCH=1 to run the 1,000,000-entry B+tree benchmark and print its
 * timings and bytes per entry (otherwise it runs with 100,000 entries).
 */
#include <stdlib.h>
#include <time.h>

#include "base/base.h"
#include "sats/sats.h"
#include "store/store_int.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

typedef struct rng {
    uint64_t s;
} rng_t;

static uint64_t rnd(rng_t *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static uint32_t rnd_below(rng_t *r, uint32_t n)
{
    return (uint32_t)(rnd(r) % n);
}

/* memcmp order, shorter first on a common prefix: -1, 0, 1. */
static int keycmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    size_t m = LC_MIN(na, nb);
    int d = m ? memcmp(a, b, m) : 0;
    if (d != 0)
        return d < 0 ? -1 : 1;
    return (na > nb) - (na < nb);
}

static bool starts_with(const uint8_t *k, size_t n, const uint8_t *p, size_t pn)
{
    return n >= pn && (pn == 0 || memcmp(k, p, pn) == 0);
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

/* ---------------------------------------------------------------- key encoding */

/* Key-encode the BSATN given in hex; true if it yields key_hex and consumes
 * all the input. */
static bool key_is(const sats_typespace_t *ts, const sats_type_t *t, const char *bsatn_hex,
                   const char *key_hex)
{
    uint8_t in[256], want[256];
    long n = test_unhex(bsatn_hex, in, sizeof in), wn = test_unhex(key_hex, want, sizeof want);
    if (n < 0 || wn < 0)
        return false;
    lc_buf_t out = {0};
    lc_buf_putc(&out, 0xEE); /* keys are appended */
    lc_rd_t r = lc_rd_make(in, (size_t)n);
    int rc = store_key_append(&out, &r, ts, t);
    bool ok = rc == 0 && r.len == 0 && out.len == (size_t)wn + 1 && out.data[0] == 0xEE &&
              memcmp(out.data + 1, want, (size_t)wn) == 0;
    if (!ok) {
        fprintf(stderr, "  key of %s: rc %d, left %zu, got", bsatn_hex, rc, r.len);
        for (size_t i = 1; i < out.len; i++) fprintf(stderr, " %02x", out.data[i]);
        fprintf(stderr, ", want %s\n", key_hex);
    }
    lc_buf_free(&out);
    return ok;
}

/* store_key_append's result on BSATN given in hex; the output must be
 * unchanged on error. */
static int key_rc(const sats_typespace_t *ts, const sats_type_t *t, const char *bsatn_hex)
{
    uint8_t in[512];
    long n = test_unhex(bsatn_hex, in, sizeof in);
    if (n < 0)
        return 1;
    lc_buf_t out = {0};
    lc_buf_putc(&out, 0xEE);
    lc_rd_t r = lc_rd_make(in, (size_t)n);
    int rc = store_key_append(&out, &r, ts, t);
    if (rc < 0 && out.len != 1)
        rc = 2;
    lc_buf_free(&out);
    return rc;
}

TEST(store_key_primitives)
{
    const sats_type_t *P[SATS_KIND_COUNT];
    for (int k = SATS_STRING; k < SATS_KIND_COUNT; k++) P[k] = sats_prim((sats_kind_t)k);
    CHECK(key_is(NULL, P[SATS_BOOL], "00", "00"));
    CHECK(key_is(NULL, P[SATS_BOOL], "01", "01"));
    CHECK(key_is(NULL, P[SATS_U8], "fe", "fe"));
    CHECK(key_is(NULL, P[SATS_I8], "ff", "7f"));
    CHECK(key_is(NULL, P[SATS_I8], "00", "80"));
    CHECK(key_is(NULL, P[SATS_I8], "80", "00"));
    CHECK(key_is(NULL, P[SATS_U16], "3412", "1234"));
    CHECK(key_is(NULL, P[SATS_I16], "0080", "0000"));
    CHECK(key_is(NULL, P[SATS_U32], "78563412", "12345678"));
    CHECK(key_is(NULL, P[SATS_I32], "feffffff", "7ffffffe"));
    CHECK(key_is(NULL, P[SATS_U64], "0102030405060708", "0807060504030201"));
    CHECK(key_is(NULL, P[SATS_I64], "0100000000000000", "8000000000000001"));
    CHECK(key_is(NULL, P[SATS_U128], "01000000000000000000000000000002",
                 "02000000000000000000000000000001"));
    CHECK(key_is(NULL, P[SATS_I128], "ffffffffffffffffffffffffffffffff",
                 "7fffffffffffffffffffffffffffffff"));
    CHECK(key_is(NULL, P[SATS_U256],
                 "01000000000000000000000000000000 00000000000000000000000000000002",
                 "02000000000000000000000000000000 00000000000000000000000000000001"));
    CHECK(key_is(NULL, P[SATS_I256],
                 "00000000000000000000000000000000 00000000000000000000000000000000",
                 "80000000000000000000000000000000 00000000000000000000000000000000"));
    CHECK(key_is(NULL, P[SATS_F32], "0000803f", "bf800000")); /* 1.0 */
    CHECK(key_is(NULL, P[SATS_F32], "000080bf", "407fffff")); /* -1.0 */
    CHECK(key_is(NULL, P[SATS_F32], "00000000", "80000000")); /* +0 */
    CHECK(key_is(NULL, P[SATS_F32], "00000080", "80000000")); /* -0 is +0 */
    CHECK(key_is(NULL, P[SATS_F32], "0000807f", "ff800000")); /* +inf */
    CHECK(key_is(NULL, P[SATS_F32], "0000c07f", "ffffffff")); /* every NaN */
    CHECK(key_is(NULL, P[SATS_F32], "0100c0ff", "ffffffff"));
    CHECK(key_is(NULL, P[SATS_F64], "010000000000f07f", "ffffffffffffffff"));
    CHECK(key_is(NULL, P[SATS_F64], "000000000000f03f", "bff0000000000000"));
    CHECK(key_is(NULL, P[SATS_F64], "000000000000f0ff", "000fffffffffffff")); /* -inf */
}

TEST(store_key_strings_arrays_products_sums)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *str = sats_prim(SATS_STRING), *u8 = sats_prim(SATS_U8);
    const sats_type_t *u16 = sats_prim(SATS_U16), *u32 = sats_prim(SATS_U32);
    CHECK(key_is(NULL, str, "00000000", "0000"));
    CHECK(key_is(NULL, str, "03000000 610062", "61 00ff 62 0000"));
    CHECK(key_is(NULL, str, "02000000 0000", "00ff 00ff 0000"));
    CHECK(key_is(NULL, sats_type_bytes(), "03000000 ff0001", "ff 00ff 01 0000"));
    /* Array<Ref -> U8> is a byte string too */
    const sats_type_t *space[] = {u8, NULL};
    sats_typespace_t ts = {.n = 1, .types = space};
    const sats_type_t *bytes_ref = sats_type_array(&a, sats_type_ref(&a, 0));
    CHECK(key_is(&ts, bytes_ref, "02000000 0007", "00ff 07 0000"));
    const sats_type_t *arr16 = sats_type_array(&a, u16);
    CHECK(key_is(NULL, arr16, "00000000", "00"));
    CHECK(key_is(NULL, arr16, "02000000 0100 0200", "01 0001 01 0002 00"));
    const sats_type_t *arrstr = sats_type_array(&a, str);
    CHECK(key_is(NULL, arrstr, "01000000 00000000", "01 0000 00"));
    const sats_type_t *fields[] = {u8, str, u32};
    const sats_type_t *prod = sats_type_product(&a, 3, NULL, fields);
    CHECK(key_is(NULL, prod, "07 01000000 61 01000000", "07 61 0000 00000001"));
    const sats_type_t *opt = sats_type_option(&a, u8);
    CHECK(key_is(NULL, opt, "00 05", "00 05"));
    CHECK(key_is(NULL, opt, "01", "01"));
    space[1] = prod;
    ts.n = 2;
    CHECK(key_is(&ts, sats_type_ref(&a, 1), "00 00000000 ffffffff", "00 0000 ffffffff"));
    CHECK(key_is(NULL, sats_type_unit(), "", ""));
    CHECK(key_is(NULL, sats_type_identity(),
                 "01000000000000000000000000000000 00000000000000000000000000000002",
                 "02000000000000000000000000000000 00000000000000000000000000000001"));
    lc_arena_free(&a);
}

TEST(store_key_bad_input)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *u32 = sats_prim(SATS_U32), *str = sats_prim(SATS_STRING);
    CHECK_EQ_INT(key_rc(NULL, u32, "010203"), LC_ECORRUPT);
    CHECK_EQ_INT(key_rc(NULL, sats_prim(SATS_BOOL), "02"), LC_ECORRUPT);
    CHECK_EQ_INT(key_rc(NULL, str, "05000000 6162"), LC_ECORRUPT);
    CHECK_EQ_INT(key_rc(NULL, str, "0500"), LC_ECORRUPT);
    CHECK_EQ_INT(key_rc(NULL, sats_type_option(&a, u32), "02"), LC_ECORRUPT);
    CHECK_EQ_INT(key_rc(NULL, sats_type_option(&a, u32), "00 0102"), LC_ECORRUPT);
    CHECK_EQ_INT(key_rc(NULL, sats_type_array(&a, u32), "02000000 01000000"), LC_ECORRUPT);
    /* a Ref out of range is a bad type */
    CHECK_EQ_INT(key_rc(NULL, sats_type_ref(&a, 3), "00"), LC_EINVAL);
    /* an array of 2^32 - 1 units, with no bytes behind it */
    const sats_type_t *units = sats_type_array(&a, sats_type_unit());
    CHECK_EQ_INT(key_rc(NULL, units, "ffffffff"), LC_ECORRUPT);
    CHECK_EQ_INT(key_rc(NULL, units, "03000000"), 0);
    lc_arena_free(&a);
}

/* Nesting depth: the key encoder accepts exactly what sats_bsatn_skip
 * accepts for Array<Array<...>> (a recursive type through a Ref). */
TEST(store_key_depth_matches_bsatn)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *space[1];
    sats_typespace_t ts = {.n = 1, .types = space};
    space[0] = sats_type_array(&a, sats_type_ref(&a, 0));
    for (int depth = SATS_MAX_DEPTH - 3; depth <= SATS_MAX_DEPTH + 3; depth++) {
        lc_buf_t in = {0}, out = {0};
        for (int i = 0; i < depth - 1; i++) lc_buf_put_u32le(&in, 1);
        lc_buf_put_u32le(&in, 0);
        lc_rd_t r1 = lc_rd_make(in.data, in.len), r2 = r1;
        int k = store_key_append(&out, &r1, &ts, space[0]);
        int s = sats_bsatn_skip(&r2, &ts, space[0], NULL);
        bool same = (k == 0) == (s == 0);
        if (k == 0)
            same = same && out.len == 2 * (size_t)depth - 1 && r1.len == 0;
        lc_buf_free(&in);
        lc_buf_free(&out);
        CHECK_MSG(same, "depth %d: key rc %d, skip rc %d", depth, k, s);
    }
    lc_arena_free(&a);
}

TEST(store_key_fixed_len)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *u8 = sats_prim(SATS_U8), *i64 = sats_prim(SATS_I64);
    const sats_type_t *u32 = sats_prim(SATS_U32), *i32 = sats_prim(SATS_I32);
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_prim(SATS_BOOL)), 1);
    CHECK_EQ_INT(store_key_fixed_len(NULL, u32), 4);
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_prim(SATS_I256)), 32);
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_prim(SATS_F64)), 8);
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_prim(SATS_STRING)), -1);
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_type_bytes()), -1);
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_type_unit()), 0);
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_type_identity()), 32);
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_type_timestamp()), 8);
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_type_schedule_at()), 9);
    const sats_type_t *f2[] = {u8, i64};
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_type_product(&a, 2, NULL, f2)), 9);
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_type_option(&a, u32)), -1);
    const sats_type_t *v2[] = {u32, i32};
    CHECK_EQ_INT(store_key_fixed_len(NULL, sats_type_sum(&a, 2, NULL, v2)), 5);
    const sats_type_t *space[] = {sats_type_product(&a, 2, NULL, f2)};
    sats_typespace_t ts = {.n = 1, .types = space};
    CHECK_EQ_INT(store_key_fixed_len(&ts, sats_type_ref(&a, 0)), 9);
    CHECK_EQ_INT(store_key_fixed_len(&ts, sats_type_ref(&a, 5)), -1);
    lc_arena_free(&a);
}

/* ---------------------------------------------------------------- random values */

static void gen_value(lc_arena_t *a, const sats_typespace_t *ts, const sats_type_t *t, rng_t *r,
                      sats_value_t *v);

static void gen_wide(rng_t *r, sats_value_t *v, int n, bool is_signed)
{
    uint8_t *w = v->u.wide;
    memset(w, 0, 32);
    switch (rnd_below(r, 6)) {
    case 0:
        break;
    case 1:
        memset(w, 0xFF, (size_t)n);
        break;
    case 2:
        w[n - 1] = 0x80;
        break;
    case 3:
        memset(w, 0xFF, (size_t)n);
        w[n - 1] = 0x7F;
        break;
    case 4:
        w[0] = (uint8_t)rnd_below(r, 4);
        break;
    default:
        for (int i = 0; i < n; i++) w[i] = (uint8_t)rnd(r);
        if (rnd_below(r, 2))
            memset(w + 1, rnd_below(r, 2) ? 0xFF : 0, (size_t)n - 2);
    }
    if (n == 16 && is_signed && (w[15] & 0x80))
        memset(w + 16, 0xFF, 16);
}

static uint64_t gen_bits(rng_t *r, int bits)
{
    uint64_t edge[] = {
        0, 1, 2, ~0ULL, 1ULL << (bits - 1), (1ULL << (bits - 1)) - 1, (1ULL << (bits - 1)) + 1};
    uint64_t x = rnd_below(r, 2) ? edge[rnd_below(r, LC_ARRAY_LEN(edge))] : rnd(r);
    return bits == 64 ? x : x & ((1ULL << bits) - 1);
}

static void gen_float(rng_t *r, sats_kind_t k, sats_value_t *v)
{
    static const uint32_t f32s[] = {0,          0x80000000, 0x3f800000, 0xbf800000, 0x7f800000,
                                    0xff800000, 0x7fc00000, 0xffc00000, 0x00000001, 0x80000001,
                                    0x7f7fffff, 0xff7fffff, 0x7f800001, 0x3f000000};
    static const uint64_t f64s[] = {0,
                                    0x8000000000000000ULL,
                                    0x3ff0000000000000ULL,
                                    0xbff0000000000000ULL,
                                    0x7ff0000000000000ULL,
                                    0xfff0000000000000ULL,
                                    0x7ff8000000000000ULL,
                                    0xfff8000000000000ULL,
                                    1,
                                    0x8000000000000001ULL,
                                    0x7fefffffffffffffULL};
    if (k == SATS_F32) {
        uint32_t b = rnd_below(r, 2) ? f32s[rnd_below(r, LC_ARRAY_LEN(f32s))] : (uint32_t)rnd(r);
        memcpy(&v->u.f32, &b, 4);
    } else {
        uint64_t b = rnd_below(r, 2) ? f64s[rnd_below(r, LC_ARRAY_LEN(f64s))] : rnd(r);
        memcpy(&v->u.f64, &b, 8);
    }
}

/* Short strings over a small alphabet (NUL, 0x01, a, b, DEL, é), so that
 * equal values, prefixes and embedded NULs are common. */
static void gen_string(lc_arena_t *a, rng_t *r, sats_value_t *v, bool bytes)
{
    static const char *const alpha[] = {"\0", "\x01", "a", "b", "\x7f", "\xc3\xa9"};
    static const uint8_t balpha[] = {0x00, 0x01, 0xFF, 0x80, 'a'};
    uint32_t n = rnd_below(r, 5), len = 0;
    char *s = lc_arena_alloc(a, 2 * n + 1);
    for (uint32_t i = 0; i < n; i++) {
        if (bytes) {
            s[len++] = (char)balpha[rnd_below(r, LC_ARRAY_LEN(balpha))];
            continue;
        }
        const char *c = alpha[rnd_below(r, LC_ARRAY_LEN(alpha))];
        size_t cl = c[0] ? strlen(c) : 1;
        memcpy(s + len, c, cl);
        len += (uint32_t)cl;
    }
    s[len] = 0;
    if (bytes) {
        v->u.bytes.ptr = (const uint8_t *)s;
        v->u.bytes.len = len;
    } else {
        v->u.str.ptr = s;
        v->u.str.len = len;
    }
}

static void gen_items(lc_arena_t *a, const sats_typespace_t *ts, rng_t *r, sats_value_t *v,
                      uint32_t n, const sats_type_t *elem, const sats_field_t *fields)
{
    v->u.elems.n = n;
    v->u.elems.items = n ? lc_arena_zalloc(a, n * sizeof(sats_value_t)) : NULL;
    for (uint32_t i = 0; i < n; i++)
        gen_value(a, ts, fields ? fields[i].type : elem, r, &v->u.elems.items[i]);
}

static void gen_value(lc_arena_t *a, const sats_typespace_t *ts, const sats_type_t *t, rng_t *r,
                      sats_value_t *v)
{
    t = sats_resolve(ts, t);
    memset(v, 0, sizeof *v);
    switch (t->kind) {
    case SATS_BOOL:
        v->u.b = rnd_below(r, 2);
        break;
    case SATS_I8:
    case SATS_I16:
    case SATS_I32:
    case SATS_I64: {
        int bits = t->kind == SATS_I8    ? 8
                   : t->kind == SATS_I16 ? 16
                   : t->kind == SATS_I32 ? 32
                                         : 64;
        uint64_t x = gen_bits(r, bits) << (64 - bits);
        v->u.i = (int64_t)x >> (64 - bits);
        break;
    }
    case SATS_U8:
        v->u.u = gen_bits(r, 8);
        break;
    case SATS_U16:
        v->u.u = gen_bits(r, 16);
        break;
    case SATS_U32:
        v->u.u = gen_bits(r, 32);
        break;
    case SATS_U64:
        v->u.u = gen_bits(r, 64);
        break;
    case SATS_I128:
    case SATS_U128:
        gen_wide(r, v, 16, t->kind == SATS_I128);
        break;
    case SATS_I256:
    case SATS_U256:
        gen_wide(r, v, 32, t->kind == SATS_I256);
        break;
    case SATS_F32:
    case SATS_F64:
        gen_float(r, t->kind, v);
        break;
    case SATS_STRING:
        gen_string(a, r, v, false);
        break;
    case SATS_ARRAY: {
        const sats_type_t *et = sats_resolve(ts, t->u.elem);
        if (et->kind == SATS_U8)
            gen_string(a, r, v, true);
        else
            gen_items(a, ts, r, v, rnd_below(r, 4), t->u.elem, NULL);
        break;
    }
    case SATS_PRODUCT:
        gen_items(a, ts, r, v, t->u.fields.n, NULL, t->u.fields.items);
        break;
    case SATS_SUM:
        v->u.sum.tag = (uint8_t)rnd_below(r, t->u.fields.n);
        v->u.sum.payload = lc_arena_zalloc(a, sizeof(sats_value_t));
        gen_value(a, ts, t->u.fields.items[v->u.sum.tag].type, r, v->u.sum.payload);
        break;
    default:
        break;
    }
}

#define NVALUES 150

/* Random values of t: key order must be value order, keys of distinct
 * values must not be prefixes of each other, and the encoder must consume
 * exactly the BSATN. */
static void check_key_order(const sats_typespace_t *ts, const sats_type_t *t, uint64_t seed)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    rng_t r = {seed};
    sats_value_t *vals = lc_arena_zalloc(&a, NVALUES * sizeof *vals);
    lc_buf_t keys[NVALUES];
    memset(keys, 0, sizeof keys);
    for (int i = 0; i < NVALUES; i++) {
        gen_value(&a, ts, t, &r, &vals[i]);
        lc_buf_t bsatn = {0};
        int rc = sats_bsatn_encode(&bsatn, ts, t, &vals[i], NULL);
        lc_rd_t rd = lc_rd_make(bsatn.data, bsatn.len);
        if (rc == 0)
            rc = store_key_append(&keys[i], &rd, ts, t);
        size_t left = rd.len;
        lc_buf_free(&bsatn);
        CHECK_MSG(rc == 0 && left == 0, "value %d: rc %d, %zu bytes left", i, rc, left);
    }
    for (int i = 0; i < NVALUES; i++) {
        for (int j = 0; j < NVALUES; j++) {
            int kc = keycmp(keys[i].data, keys[i].len, keys[j].data, keys[j].len);
            int vc = sign(sats_value_cmp(ts, t, &vals[i], &vals[j]));
            CHECK_MSG(kc == vc, "values %d and %d: key order %d, value order %d", i, j, kc, vc);
            bool prefix =
                kc != 0 && starts_with(keys[i].data, keys[i].len, keys[j].data, keys[j].len);
            CHECK_MSG(!prefix, "key of value %d is a prefix of key of value %d", j, i);
        }
    }
    for (int i = 0; i < NVALUES; i++) lc_buf_free(&keys[i]);
    lc_arena_free(&a);
}

TEST(store_key_order_matches_value_order)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *str = sats_prim(SATS_STRING), *u8 = sats_prim(SATS_U8);
    const sats_type_t *i16 = sats_prim(SATS_I16), *u32 = sats_prim(SATS_U32);
    const sats_type_t *f3[] = {u8, str, i16};
    const sats_type_t *s2[] = {str, str};
    const sats_type_t *v3[] = {sats_type_unit(), u8, str};
    const sats_type_t *prod = sats_type_product(&a, 3, NULL, f3);
    const sats_type_t *space[] = {prod};
    sats_typespace_t ts = {.n = 1, .types = space};
    const sats_type_t *types[] = {
        sats_type_array(&a, sats_prim(SATS_U16)),
        sats_type_array(&a, str),
        sats_type_array(&a, sats_type_bytes()),
        sats_type_array(&a, sats_type_array(&a, sats_prim(SATS_I8))),
        prod,
        sats_type_product(&a, 2, NULL, s2),
        sats_type_option(&a, str),
        sats_type_option(&a, sats_prim(SATS_I32)),
        sats_type_array(&a, sats_type_option(&a, str)),
        sats_type_sum(&a, 3, NULL, v3),
        sats_type_identity(),
        sats_type_timestamp(),
        sats_type_schedule_at(),
        sats_type_ref(&a, 0),
        sats_type_array(&a, sats_type_ref(&a, 0)),
        sats_type_product(&a, 2, NULL, (const sats_type_t *[]){u32, str}),
    };
    uint64_t seed = 1;
    for (int k = SATS_STRING; k < SATS_KIND_COUNT; k++) {
        check_key_order(&ts, sats_prim((sats_kind_t)k), seed++);
        CHECK_MSG(!test_current_failed(), "kind %s", sats_kind_name((sats_kind_t)k));
    }
    check_key_order(&ts, sats_type_bytes(), seed++);
    CHECK(!test_current_failed());
    for (size_t i = 0; i < LC_ARRAY_LEN(types); i++) {
        check_key_order(&ts, types[i], seed++);
        CHECK_MSG(!test_current_failed(), "type %zu", i);
    }
    lc_arena_free(&a);
}

/* ---------------------------------------------------------------- universes */

/* key[row] for rows 0..n-1, stored in one buffer; backs the fetch callback. */
typedef struct universe {
    uint32_t n;
    lc_buf_t bytes;
    uint32_t *off, *len;
    bool fail;
    uint64_t fetches;
} universe_t;

static const uint8_t *ukey(const universe_t *u, uint32_t row)
{
    return u->bytes.data + u->off[row];
}

static int uni_fetch(void *ctx, uint32_t row, lc_buf_t *out)
{
    universe_t *u = ctx;
    u->fetches++;
    if (u->fail)
        return LC_EIO;
    if (row >= u->n)
        return LC_ENOTFOUND;
    return lc_buf_append(out, ukey(u, row), u->len[row]);
}

static void uni_init(universe_t *u, uint32_t n)
{
    memset(u, 0, sizeof *u);
    u->n = n;
    u->off = lc_calloc(n, sizeof *u->off);
    u->len = lc_calloc(n, sizeof *u->len);
}

static void uni_free(universe_t *u)
{
    lc_buf_free(&u->bytes);
    lc_free(u->off);
    lc_free(u->len);
}

static void put_be(lc_buf_t *b, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) lc_buf_putc(b, (uint8_t)(v >> (8 * i)));
}

/* Append the key of a String of n chars: a run of 'x' (shared prefixes),
 * then a short tail over {NUL, a, b}. */
static void put_string_key(lc_buf_t *b, rng_t *r, uint32_t xs, uint32_t tail)
{
    lc_buf_t bsatn = {0};
    lc_buf_put_u32le(&bsatn, xs + tail);
    for (uint32_t i = 0; i < xs; i++) lc_buf_putc(&bsatn, 'x');
    for (uint32_t i = 0; i < tail; i++) lc_buf_putc(&bsatn, "\0ab"[rnd_below(r, 3)]);
    lc_rd_t rd = lc_rd_make(bsatn.data, bsatn.len);
    store_key_append(b, &rd, NULL, sats_prim(SATS_STRING));
    lc_buf_free(&bsatn);
}

typedef enum ukind {
    U_U32,     /* 4-byte big-endian value in [0, domain) */
    U_WIDE,    /* the same value repeated 50 times: 200-byte keys */
    U_U16U32,  /* (u16, u32) two-column fixed key */
    U_STR,     /* short strings */
    U_LONGSTR, /* strings around 250-300 bytes with shared prefixes */
    U_PAIR,    /* (u32, String) two-column variable key */
} ukind_t;

static void uni_build(universe_t *u, ukind_t kind, uint32_t n, uint32_t domain, uint64_t seed)
{
    static const uint32_t xs[] = {0, 0, 1, 250, 252, 253, 300};
    rng_t r = {seed};
    uni_init(u, n);
    for (uint32_t row = 0; row < n; row++) {
        u->off[row] = (uint32_t)u->bytes.len;
        uint32_t v = rnd_below(&r, domain);
        switch (kind) {
        case U_U32:
            put_be(&u->bytes, v, 4);
            break;
        case U_WIDE:
            for (int i = 0; i < 50; i++) put_be(&u->bytes, v, 4);
            break;
        case U_U16U32:
            put_be(&u->bytes, v % 7, 2);
            put_be(&u->bytes, v, 4);
            break;
        case U_STR:
            put_string_key(&u->bytes, &r, rnd_below(&r, 3), rnd_below(&r, 5));
            break;
        case U_LONGSTR:
            put_string_key(&u->bytes, &r, xs[rnd_below(&r, LC_ARRAY_LEN(xs))], rnd_below(&r, 4));
            break;
        case U_PAIR:
            put_be(&u->bytes, v % 13, 4);
            put_string_key(&u->bytes, &r, rnd_below(&r, 2), rnd_below(&r, 4));
            break;
        }
        u->len[row] = (uint32_t)(u->bytes.len - u->off[row]);
    }
}

/* ---------------------------------------------------------------- B+tree model */

/* The entries as rows sorted by (key, row). */
typedef struct model {
    const universe_t *u;
    uint32_t *rows;
    uint32_t n;
    bool *present;
} model_t;

static int entry_cmp(const universe_t *u, const uint8_t *k, size_t kl, uint32_t row, uint32_t other)
{
    int c = keycmp(k, kl, ukey(u, other), u->len[other]);
    return c != 0 ? c : (row > other) - (row < other);
}

/* First index whose entry is >= (k, row). */
static uint32_t model_lower(const model_t *m, const uint8_t *k, size_t kl, uint32_t row)
{
    uint32_t lo = 0, hi = m->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (entry_cmp(m->u, k, kl, row, m->rows[mid]) <= 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void model_insert(model_t *m, uint32_t row)
{
    uint32_t i = model_lower(m, ukey(m->u, row), m->u->len[row], row);
    memmove(m->rows + i + 1, m->rows + i, (m->n - i) * sizeof *m->rows);
    m->rows[i] = row;
    m->n++;
    m->present[row] = true;
}

static void model_delete(model_t *m, uint32_t row)
{
    uint32_t i = model_lower(m, ukey(m->u, row), m->u->len[row], row);
    memmove(m->rows + i, m->rows + i + 1, (m->n - i - 1) * sizeof *m->rows);
    m->n--;
    m->present[row] = false;
}

/* The first row whose key equals k, or STORE_ROW_NONE. */
static uint32_t model_find(const model_t *m, const uint8_t *k, size_t kl)
{
    uint32_t i = model_lower(m, k, kl, 0);
    if (i < m->n && keycmp(k, kl, ukey(m->u, m->rows[i]), m->u->len[m->rows[i]]) == 0)
        return m->rows[i];
    return STORE_ROW_NONE;
}

static bool in_bounds(const uint8_t *k, size_t kl, const store_bound_t *lo, const store_bound_t *hi)
{
    switch (lo->kind) {
    case STORE_BOUND_INCLUDED:
        if (keycmp(k, kl, lo->key, lo->len) < 0)
            return false;
        break;
    case STORE_BOUND_EXCLUDED:
        if (keycmp(k, kl, lo->key, lo->len) <= 0 || starts_with(k, kl, lo->key, lo->len))
            return false;
        break;
    default:
        break;
    }
    switch (hi->kind) {
    case STORE_BOUND_INCLUDED:
        return keycmp(k, kl, hi->key, hi->len) <= 0 || starts_with(k, kl, hi->key, hi->len);
    case STORE_BOUND_EXCLUDED:
        return keycmp(k, kl, hi->key, hi->len) < 0;
    default:
        return true;
    }
}

/* The rows the tree yields for [lo, hi] must be the model's, in order. */
static void check_range(store_btree_t *bt, const model_t *m, const store_bound_t *lo,
                        const store_bound_t *hi)
{
    store_btree_iter_t it;
    store_btree_range(bt, lo, hi, &it);
    uint32_t i = 0, row, got = 0;
    bool ok = true;
    while (ok && store_btree_iter_next(&it, &row)) {
        while (i < m->n && !in_bounds(ukey(m->u, m->rows[i]), m->u->len[m->rows[i]], lo, hi)) i++;
        ok = i < m->n && m->rows[i] == row;
        i++;
        got++;
    }
    while (ok && i < m->n) {
        ok = !in_bounds(ukey(m->u, m->rows[i]), m->u->len[m->rows[i]], lo, hi);
        i++;
    }
    int err = it.err;
    store_btree_iter_done(&it);
    CHECK_MSG(ok && err == 0, "range (%d, %zu bytes) .. (%d, %zu bytes): mismatch after %u rows",
              lo->kind, lo->len, hi->kind, hi->len, got);
}

/* A bound key: a whole key, a column-aligned or arbitrary prefix of one, or
 * empty. */
static void random_bound(rng_t *r, const universe_t *u, ukind_t kind, store_bound_t *b,
                         uint8_t *buf)
{
    b->kind = (store_bound_kind_t)rnd_below(r, 3);
    uint32_t row = rnd_below(r, u->n), len = u->len[row];
    switch (rnd_below(r, 4)) {
    case 0:
        break;
    case 1:
        len = kind == U_PAIR ? 4 : kind == U_U16U32 ? 2 : len;
        break;
    case 2:
        len = rnd_below(r, len + 1);
        break;
    default:
        len = rnd_below(r, 4) == 0 ? 0 : len;
    }
    memcpy(buf, ukey(u, row), len);
    b->key = buf;
    b->len = len;
}

static void check_all(store_btree_t *bt, const model_t *m, rng_t *r)
{
    CHECK_EQ_INT(store_btree_count(bt), m->n);
    CHECK_OK(store_btree_check(bt));
    store_bound_t none = {0};
    check_range(bt, m, &none, &none);
    if (test_current_failed())
        return;
    for (int i = 0; i < 10; i++) {
        uint32_t row = rnd_below(r, m->u->n);
        const uint8_t *k = ukey(m->u, row);
        size_t kl = m->u->len[row] - (i == 9 && m->u->len[row] > 0);
        uint32_t want = model_find(m, k, kl), got = store_btree_find(bt, k, kl);
        CHECK_MSG(want == got, "find row %u's key: got %u, want %u", row, got, want);
    }
}

typedef struct btcfg {
    ukind_t kind;
    uint32_t rows, domain, width, ops;
    bool complete, unique;
    uint64_t seed;
} btcfg_t;

static void btree_op(store_btree_t *bt, model_t *m, rng_t *r, uint32_t insert_pct, bool unique)
{
    const universe_t *u = m->u;
    uint32_t row = rnd_below(r, u->n), existing = 0;
    const uint8_t *k = ukey(u, row);
    size_t kl = u->len[row];
    if (rnd_below(r, 100) < insert_pct) {
        int rc = store_btree_insert(bt, k, kl, row, &existing);
        uint32_t dup = m->present[row] ? row : unique ? model_find(m, k, kl) : STORE_ROW_NONE;
        if (dup != STORE_ROW_NONE) {
            CHECK_MSG(rc == LC_EEXIST && existing == dup, "insert row %u: rc %d existing %u", row,
                      rc, existing);
            return;
        }
        CHECK_MSG(rc == 0, "insert row %u: rc %d", row, rc);
        model_insert(m, row);
        return;
    }
    uint32_t other = (row + 1) % u->n; /* row's key with another row id */
    bool other_there = m->present[other] && keycmp(k, kl, ukey(u, other), u->len[other]) == 0;
    if (!other_there)
        CHECK_EQ_INT(store_btree_delete(bt, k, kl, other), LC_ENOTFOUND);
    int rc = store_btree_delete(bt, k, kl, row);
    CHECK_EQ_INT(rc, m->present[row] ? 0 : LC_ENOTFOUND);
    if (rc == 0)
        model_delete(m, row);
}

static void run_btree_model(const btcfg_t *c)
{
    universe_t u;
    uni_build(&u, c->kind, c->rows, c->domain, c->seed);
    model_t m = {.u = &u};
    m.rows = lc_calloc(c->rows, sizeof *m.rows);
    m.present = lc_calloc(c->rows, sizeof *m.present);
    store_btree_t *bt = store_btree_new(c->width, c->complete, c->unique, uni_fetch, &u);
    size_t empty_mem = store_btree_memory(bt);
    rng_t r = {c->seed * 7919 + 1};
    uint8_t lokey[1024], hikey[1024];
    for (uint32_t op = 0; op < c->ops; op++) {
        btree_op(bt, &m, &r, op < c->ops * 3 / 5 ? 65 : 40, c->unique);
        if (test_current_failed())
            return;
        if (op % 97 == 0)
            check_all(bt, &m, &r);
        for (int i = 0; op % 211 == 0 && i < 12 && !test_current_failed(); i++) {
            store_bound_t lo, hi;
            random_bound(&r, &u, c->kind, &lo, lokey);
            random_bound(&r, &u, c->kind, &hi, hikey);
            check_range(bt, &m, &lo, &hi);
        }
        if (test_current_failed())
            return;
    }
    /* delete everything in random order */
    while (m.n > 0) {
        uint32_t row = m.rows[rnd_below(&r, m.n)];
        CHECK_OK(store_btree_delete(bt, ukey(&u, row), u.len[row], row));
        model_delete(&m, row);
        if (m.n % 151 == 0)
            check_all(bt, &m, &r);
        if (test_current_failed())
            return;
    }
    check_all(bt, &m, &r);
    size_t mem = store_btree_memory(bt);
    CHECK_MSG(mem <= empty_mem + 2048, "memory %zu after deleting everything", mem);
    store_btree_free(bt);
    lc_free(m.rows);
    lc_free(m.present);
    uni_free(&u);
}

TEST(btree_model_u32_unique)
{
    btcfg_t c = {U_U32, 4000, 2500, 4, 16000, true, true, 11};
    run_btree_model(&c);
}

TEST(btree_model_u32_nonunique)
{
    btcfg_t c = {U_U32, 4000, 300, 4, 16000, true, false, 12};
    run_btree_model(&c);
}

TEST(btree_model_wide_unique_deep)
{
    btcfg_t c = {U_WIDE, 5000, 4000, 200, 20000, true, true, 13};
    run_btree_model(&c);
}

TEST(btree_model_wide_nonunique_deep)
{
    btcfg_t c = {U_WIDE, 5000, 500, 200, 20000, true, false, 14};
    run_btree_model(&c);
}

TEST(btree_model_two_fixed_columns)
{
    btcfg_t c = {U_U16U32, 3000, 1000, 6, 10000, true, false, 15};
    run_btree_model(&c);
}

TEST(btree_model_strings_unique)
{
    btcfg_t c = {U_STR, 3000, 1, 3, 12000, false, true, 16};
    run_btree_model(&c);
}

TEST(btree_model_strings_nonunique)
{
    btcfg_t c = {U_STR, 3000, 1, 3, 12000, false, false, 17};
    run_btree_model(&c);
}

TEST(btree_model_long_strings_deep)
{
    /* inline width 300 is clamped to 254: keys of 255+ bytes are truncated */
    btcfg_t c = {U_LONGSTR, 3000, 1, 300, 12000, false, false, 18};
    run_btree_model(&c);
}

TEST(btree_model_long_strings_unique_deep)
{
    btcfg_t c = {U_LONGSTR, 3000, 1, 254, 12000, false, true, 19};
    run_btree_model(&c);
}

TEST(btree_model_two_columns_var)
{
    btcfg_t c = {U_PAIR, 3000, 1000, 6, 12000, false, false, 20};
    run_btree_model(&c);
}

TEST(btree_model_two_columns_var_unique)
{
    btcfg_t c = {U_PAIR, 3000, 1000, 6, 12000, false, true, 21};
    run_btree_model(&c);
}

TEST(btree_model_zero_inline_width)
{
    btcfg_t c = {U_STR, 1500, 1, 0, 6000, false, false, 22};
    run_btree_model(&c);
}

/* ---------------------------------------------------------------- B+tree cases */

static void be32(uint8_t *k, uint32_t v)
{
    k[0] = (uint8_t)(v >> 24);
    k[1] = (uint8_t)(v >> 16);
    k[2] = (uint8_t)(v >> 8);
    k[3] = (uint8_t)v;
}

TEST(btree_duplicates_and_bad_arguments)
{
    store_btree_t *bt = store_btree_new(4, true, true, NULL, NULL);
    uint8_t k[4], k5[5] = {0};
    uint32_t existing = 0;
    be32(k, 42);
    CHECK_OK(store_btree_insert(bt, k, 4, 1, &existing));
    CHECK_EQ_INT(existing, STORE_ROW_NONE);
    CHECK_EQ_INT(store_btree_insert(bt, k, 4, 2, &existing), LC_EEXIST);
    CHECK_EQ_INT(existing, 1);
    CHECK_EQ_INT(store_btree_insert(bt, k, 4, 1, NULL), LC_EEXIST);
    CHECK_EQ_INT(store_btree_insert(bt, k5, 5, 3, NULL), LC_EINVAL);
    CHECK_EQ_INT(store_btree_insert(bt, k, 4, STORE_ROW_NONE, NULL), LC_EINVAL);
    CHECK_EQ_INT(store_btree_delete(bt, k, 4, 2), LC_ENOTFOUND);
    CHECK_EQ_INT(store_btree_find(bt, k, 3), STORE_ROW_NONE);
    CHECK_EQ_INT(store_btree_find(bt, k, 4), 1);
    CHECK_EQ_INT(store_btree_count(bt), 1);
    store_btree_free(bt);

    bt = store_btree_new(4, true, false, NULL, NULL);
    CHECK_OK(store_btree_insert(bt, k, 4, 9, NULL));
    CHECK_OK(store_btree_insert(bt, k, 4, 7, NULL));
    CHECK_EQ_INT(store_btree_insert(bt, k, 4, 9, &existing), LC_EEXIST);
    CHECK_EQ_INT(existing, 9);
    CHECK_EQ_INT(store_btree_find(bt, k, 4), 7);
    CHECK_OK(store_btree_delete(bt, k, 4, 7));
    CHECK_EQ_INT(store_btree_find(bt, k, 4), 9);
    CHECK_OK(store_btree_check(bt));
    store_btree_free(bt);
}

/* Unique violations on truncated keys are found through fetch. */
TEST(btree_unique_truncated_keys)
{
    universe_t u;
    uni_init(&u, 4);
    const char *keys[] = {"abcdefgh", "abcdefgx", "abcdefgh", "abc"};
    for (uint32_t i = 0; i < 4; i++) {
        u.off[i] = (uint32_t)u.bytes.len;
        u.len[i] = (uint32_t)strlen(keys[i]);
        lc_buf_puts(&u.bytes, keys[i]);
    }
    store_btree_t *bt = store_btree_new(4, false, true, uni_fetch, &u);
    uint32_t existing;
    CHECK_OK(store_btree_insert(bt, ukey(&u, 0), u.len[0], 0, NULL));
    CHECK_OK(store_btree_insert(bt, ukey(&u, 1), u.len[1], 1, NULL));
    CHECK_OK(store_btree_insert(bt, ukey(&u, 3), u.len[3], 3, NULL));
    CHECK_EQ_INT(store_btree_insert(bt, ukey(&u, 2), u.len[2], 2, &existing), LC_EEXIST);
    CHECK_EQ_INT(existing, 0);
    CHECK(u.fetches > 0);
    CHECK_EQ_INT(store_btree_find(bt, (const uint8_t *)"abcdefgx", 8), 1);
    CHECK_EQ_INT(store_btree_find(bt, (const uint8_t *)"abcd", 4), STORE_ROW_NONE);
    CHECK_EQ_INT(store_btree_find(bt, (const uint8_t *)"abc", 3), 3);
    /* fetch failures abort the operation and change nothing */
    u.fail = true;
    CHECK_EQ_INT(store_btree_insert(bt, ukey(&u, 2), u.len[2], 2, NULL), LC_EIO);
    CHECK_EQ_INT(store_btree_delete(bt, ukey(&u, 1), u.len[1], 1), LC_EIO);
    CHECK_EQ_INT(store_btree_find(bt, ukey(&u, 1), u.len[1]), STORE_ROW_NONE);
    store_bound_t lo = {STORE_BOUND_INCLUDED, (const uint8_t *)"abcdefgz", 8}, hi = {0};
    store_btree_iter_t it;
    uint32_t row;
    store_btree_range(bt, &lo, &hi, &it);
    CHECK(!store_btree_iter_next(&it, &row));
    CHECK_EQ_INT(it.err, LC_EIO);
    store_btree_iter_done(&it);
    u.fail = false;
    CHECK_EQ_INT(store_btree_count(bt), 3);
    CHECK_OK(store_btree_check(bt));
    CHECK_OK(store_btree_delete(bt, ukey(&u, 1), u.len[1], 1));
    store_btree_free(bt);
    uni_free(&u);
}

/* With the Nth allocation failing, an insert either succeeds or returns
 * LC_ENOMEM and leaves the tree as it was. */
TEST(btree_insert_out_of_memory)
{
    store_btree_t *bt = store_btree_new(4, true, true, NULL, NULL);
    rng_t r = {5};
    int failures = 0;
    for (uint32_t i = 0; i < 60000; i++) {
        uint8_t k[4];
        be32(k, (uint32_t)rnd(&r));
        lc_fault_alloc_after(1);
        int rc = store_btree_insert(bt, k, 4, i, NULL);
        lc_fault_alloc_after(0);
        if (rc == LC_ENOMEM) {
            failures++;
            CHECK_EQ_INT(store_btree_count(bt), i);
            CHECK_OK(store_btree_check(bt));
            rc = store_btree_insert(bt, k, 4, i, NULL);
        }
        CHECK_OK(rc);
    }
    CHECK(failures > 100);
    CHECK_OK(store_btree_check(bt));
    store_btree_free(bt);
}

/* Sequential keys fill leaves completely, both ascending and descending;
 * the tree empties back to nothing. */
TEST(btree_sequential_fill)
{
    for (int dir = 0; dir < 2; dir++) {
        store_btree_t *bt = store_btree_new(4, true, true, NULL, NULL);
        size_t empty = store_btree_memory(bt);
        uint32_t n = 200000;
        for (uint32_t i = 0; i < n; i++) {
            uint8_t k[4];
            be32(k, dir ? n - i : i);
            CHECK_OK(store_btree_insert(bt, k, 4, i, NULL));
        }
        CHECK_OK(store_btree_check(bt));
        double per = (double)(store_btree_memory(bt) - empty) / n;
        CHECK_MSG(per < 8.6, "%.2f bytes per entry (direction %d)", per, dir);
        for (uint32_t i = 0; i < n; i++) {
            uint8_t k[4];
            be32(k, dir ? n - i : i);
            CHECK_EQ_INT(store_btree_find(bt, k, 4), i);
        }
        for (uint32_t i = 0; i < n; i++) {
            uint8_t k[4];
            be32(k, dir ? n - i : i);
            CHECK_OK(store_btree_delete(bt, k, 4, i));
            if (i % 20011 == 0)
                CHECK_OK(store_btree_check(bt));
        }
        CHECK_EQ_INT(store_btree_memory(bt), empty);
        CHECK_OK(store_btree_check(bt));
        store_btree_free(bt);
    }
}

/* Churn on a tree of real 4 KiB nodes three levels deep: the contents
 * track a bitmap and memory stays bounded. */
TEST(btree_churn_three_levels)
{
    enum { DOMAIN = 400000 };
    store_btree_t *bt = store_btree_new(4, true, true, NULL, NULL);
    uint8_t *bits = lc_calloc(DOMAIN, 1);
    rng_t r = {77};
    uint64_t n = 0;
    size_t peak = 0;
    for (int round = 0; round < 6; round++) {
        uint32_t ins_pct = round % 2 == 0 ? 80 : 25;
        for (int op = 0; op < 150000; op++) {
            uint32_t v = rnd_below(&r, DOMAIN);
            uint8_t k[4];
            be32(k, v);
            if (rnd_below(&r, 100) < ins_pct) {
                CHECK_EQ_INT(store_btree_insert(bt, k, 4, v, NULL), bits[v] ? LC_EEXIST : 0);
                n += !bits[v];
                bits[v] = 1;
            } else {
                CHECK_EQ_INT(store_btree_delete(bt, k, 4, v), bits[v] ? 0 : LC_ENOTFOUND);
                n -= bits[v];
                bits[v] = 0;
            }
        }
        CHECK_EQ_INT(store_btree_count(bt), n);
        CHECK_OK(store_btree_check(bt));
        store_btree_iter_t it;
        store_btree_range(bt, NULL, NULL, &it);
        uint32_t row, expect = 0, seen = 0;
        while (store_btree_iter_next(&it, &row)) {
            while (expect < DOMAIN && !bits[expect]) expect++;
            CHECK_EQ_INT(row, expect);
            expect++;
            seen++;
        }
        store_btree_iter_done(&it);
        CHECK_EQ_INT(seen, n);
        size_t mem = store_btree_memory(bt);
        peak = LC_MAX(peak, mem);
        /* a quarter-full floor: at most 4 x 8 bytes per entry plus slack */
        CHECK_MSG(mem <= 32 * n + 64 * 4096, "memory %zu for %" PRIu64 " entries", mem, n);
    }
    for (uint32_t v = 0; v < DOMAIN; v++) {
        if (bits[v]) {
            uint8_t k[4];
            be32(k, v);
            CHECK_OK(store_btree_delete(bt, k, 4, v));
        }
    }
    CHECK_EQ_INT(store_btree_count(bt), 0);
    CHECK(store_btree_memory(bt) < 1024);
    lc_free(bits);
    store_btree_free(bt);
}

/* Two-column prefix scans as the ABI issues them: prefix [a], range on b. */
TEST(btree_two_column_prefix_scans)
{
    store_btree_t *bt = store_btree_new(8, true, false, NULL, NULL);
    for (uint32_t a = 0; a < 10; a++)
        for (uint32_t b = 0; b < 10; b++) {
            uint8_t k[8];
            be32(k, a);
            be32(k + 4, b);
            CHECK_OK(store_btree_insert(bt, k, 8, a * 10 + b, NULL));
        }
    uint8_t lo_k[8], hi_k[8];
    be32(lo_k, 3);
    be32(lo_k + 4, 4);
    be32(hi_k, 3);
    be32(hi_k + 4, 7);
    struct {
        store_bound_kind_t lk, hk;
        size_t ll, hl;
        uint32_t first, count;
    } cases[] = {
        {STORE_BOUND_INCLUDED, STORE_BOUND_INCLUDED, 8, 8, 34, 4},  /* 3, 4..=7 */
        {STORE_BOUND_EXCLUDED, STORE_BOUND_EXCLUDED, 8, 8, 35, 2},  /* 3, 5..7 */
        {STORE_BOUND_INCLUDED, STORE_BOUND_INCLUDED, 4, 4, 30, 10}, /* a = 3 */
        {STORE_BOUND_EXCLUDED, STORE_BOUND_UNBOUNDED, 4, 0, 40, 60},
        {STORE_BOUND_UNBOUNDED, STORE_BOUND_EXCLUDED, 0, 4, 0, 30},
        {STORE_BOUND_UNBOUNDED, STORE_BOUND_INCLUDED, 0, 4, 0, 40},
        {STORE_BOUND_EXCLUDED, STORE_BOUND_INCLUDED, 4, 4, 0, 0},
        {STORE_BOUND_INCLUDED, STORE_BOUND_EXCLUDED, 4, 4, 0, 0},
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        store_bound_t lo = {cases[i].lk, lo_k, cases[i].ll}, hi = {cases[i].hk, hi_k, cases[i].hl};
        store_btree_iter_t it;
        store_btree_range(bt, &lo, &hi, &it);
        uint32_t row, n = 0;
        while (store_btree_iter_next(&it, &row)) {
            CHECK_MSG(row == cases[i].first + n, "case %zu: row %u at %u", i, row, n);
            n++;
        }
        store_btree_iter_done(&it);
        CHECK_MSG(n == cases[i].count, "case %zu: %u rows", i, n);
    }
    store_btree_free(bt);
}

/* 1M (or 100k) u32 keys: bytes per entry and timings, sequential and random
 * order.  Prints with LC_BENCH set. */
static double now_s(void)
{
    return (double)lc_now_mono_us() / 1e6;
}

TEST(btree_bench_u32)
{
    bool bench = getenv("LC_BENCH") != NULL;
    uint32_t n = bench ? 1000000 : 100000;
    uint32_t *perm = lc_malloc(n * sizeof *perm);
    for (uint32_t i = 0; i < n; i++) perm[i] = i;
    rng_t r = {99};
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = rnd_below(&r, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int order = 0; order < 2; order++) {
        store_btree_t *bt = store_btree_new(4, true, true, NULL, NULL);
        double t0 = now_s();
        for (uint32_t i = 0; i < n; i++) {
            uint8_t k[4];
            uint32_t v = order ? perm[i] : i;
            be32(k, v);
            CHECK_OK(store_btree_insert(bt, k, 4, v, NULL));
        }
        double t1 = now_s();
        uint32_t misses = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint8_t k[4];
            be32(k, perm[i]);
            misses += store_btree_find(bt, k, 4) != perm[i];
        }
        double t2 = now_s();
        CHECK_EQ_INT(misses, 0);
        double per = (double)store_btree_memory(bt) / n;
        CHECK_MSG(per < (order ? 14.0 : 8.6), "%.2f bytes per entry", per);
        if (bench)
            printf("btree %s: %u inserts %.3fs (%.0f ns each), %u random lookups %.3fs (%.0f ns "
                   "each), %.2f bytes/entry\n",
                   order ? "random" : "sequential", n, t1 - t0, (t1 - t0) * 1e9 / n, n, t2 - t1,
                   (t2 - t1) * 1e9 / n, per);
        double t3 = now_s();
        for (uint32_t i = 0; i < n; i++) {
            uint8_t k[4];
            be32(k, perm[i]);
            CHECK_OK(store_btree_delete(bt, k, 4, perm[i]));
        }
        if (bench)
            printf("btree %s: %u random deletes %.3fs\n", order ? "random" : "sequential", n,
                   now_s() - t3);
        store_btree_free(bt);
    }
    lc_free(perm);
}

/* ---------------------------------------------------------------- hash index */

typedef struct collect {
    uint32_t rows[4096];
    uint32_t n, stop_after;
} collect_t;

static bool collect_cb(void *arg, uint32_t row)
{
    collect_t *c = arg;
    if (c->n < LC_ARRAY_LEN(c->rows))
        c->rows[c->n++] = row;
    return c->stop_after == 0 || c->n < c->stop_after;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Lookup of row's key must visit exactly the present rows with that key. */
static void check_lookup(store_hashidx_t *hx, const universe_t *u, const bool *present,
                         uint32_t row, bool unique)
{
    collect_t c = {.n = 0};
    store_hashidx_lookup(hx, ukey(u, row), u->len[row], collect_cb, &c);
    qsort(c.rows, c.n, sizeof c.rows[0], cmp_u32);
    uint32_t want = 0;
    for (uint32_t q = 0; q < u->n; q++) {
        if (!present[q] || keycmp(ukey(u, q), u->len[q], ukey(u, row), u->len[row]) != 0)
            continue;
        CHECK_MSG(want < c.n && c.rows[want] == q, "lookup of row %u's key: missing row %u", row,
                  q);
        want++;
    }
    CHECK_MSG(want == c.n, "lookup of row %u's key: %u rows, want %u", row, c.n, want);
    CHECK(!unique || c.n <= 1);
}

static void run_hash_model(ukind_t kind, uint32_t rows, uint32_t domain, bool unique,
                           uint32_t hash_bits, uint32_t ops, uint64_t seed)
{
    universe_t u;
    uni_build(&u, kind, rows, domain, seed);
    bool *present = lc_calloc(rows, sizeof *present);
    store_hashidx_t *hx = store_hashidx_new(unique, uni_fetch, &u);
    store_hashidx_weaken_for_test(hx, hash_bits);
    size_t empty_mem = store_hashidx_memory(hx);
    rng_t r = {seed + 1000};
    uint64_t n = 0;
    for (uint32_t op = 0; op < ops; op++) {
        uint32_t row = rnd_below(&r, rows), existing = 0;
        const uint8_t *k = ukey(&u, row);
        size_t kl = u.len[row];
        uint32_t pct = (op / 2000) % 2 == 0 ? 70 : 30;
        if (rnd_below(&r, 100) < pct) {
            uint32_t dup = present[row] ? row : STORE_ROW_NONE;
            for (uint32_t q = 0; unique && dup == STORE_ROW_NONE && q < rows; q++)
                if (present[q] && keycmp(ukey(&u, q), u.len[q], k, kl) == 0)
                    dup = q;
            int rc = store_hashidx_insert(hx, k, kl, row, &existing);
            if (dup != STORE_ROW_NONE) {
                CHECK_MSG(rc == LC_EEXIST && existing == dup, "insert %u: rc %d existing %u", row,
                          rc, existing);
            } else {
                CHECK_MSG(rc == 0, "insert %u: rc %d", row, rc);
                present[row] = true;
                n++;
            }
        } else {
            CHECK_EQ_INT(store_hashidx_delete(hx, k, kl, row), present[row] ? 0 : LC_ENOTFOUND);
            n -= present[row];
            present[row] = false;
        }
        CHECK_EQ_INT(store_hashidx_count(hx), n);
        if (op % 53 == 0) {
            for (int i = 0; i < 8 && !test_current_failed(); i++)
                check_lookup(hx, &u, present, rnd_below(&r, rows), unique);
            if (test_current_failed())
                return;
        }
    }
    for (uint32_t q = 0; q < rows; q++) {
        if (present[q])
            CHECK_OK(store_hashidx_delete(hx, ukey(&u, q), u.len[q], q));
    }
    CHECK_EQ_INT(store_hashidx_count(hx), 0);
    CHECK(store_hashidx_memory(hx) <= empty_mem + 1024);
    store_hashidx_free(hx);
    lc_free(present);
    uni_free(&u);
}

TEST(hashidx_model_unique)
{
    run_hash_model(U_STR, 2000, 1, true, 32, 20000, 31);
}

TEST(hashidx_model_nonunique)
{
    run_hash_model(U_U32, 3000, 200, false, 32, 20000, 32);
}

TEST(hashidx_forced_collisions)
{
    run_hash_model(U_STR, 600, 1, true, 3, 8000, 33);
    if (test_current_failed())
        return;
    run_hash_model(U_PAIR, 600, 50, false, 2, 8000, 34);
    if (test_current_failed())
        return;
    run_hash_model(U_U32, 300, 100, true, 0, 4000, 35);
}

TEST(hashidx_early_stop_and_errors)
{
    universe_t u;
    uni_build(&u, U_U32, 100, 1, 36); /* every row has the same key */
    store_hashidx_t *hx = store_hashidx_new(false, uni_fetch, &u);
    for (uint32_t q = 0; q < 100; q++) CHECK_OK(store_hashidx_insert(hx, ukey(&u, q), 4, q, NULL));
    CHECK_EQ_INT(store_hashidx_insert(hx, ukey(&u, 5), 4, STORE_ROW_NONE, NULL), LC_EINVAL);
    collect_t c = {.n = 0, .stop_after = 3};
    store_hashidx_lookup(hx, ukey(&u, 0), 4, collect_cb, &c);
    CHECK_EQ_INT(c.n, 3);
    c = (collect_t){.n = 0};
    store_hashidx_lookup(hx, ukey(&u, 0), 4, collect_cb, &c);
    CHECK_EQ_INT(c.n, 100);
    uint8_t other[4] = {1, 2, 3, 4};
    c.n = 0;
    store_hashidx_lookup(hx, other, 4, collect_cb, &c);
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(store_hashidx_delete(hx, other, 4, 5), LC_ENOTFOUND);
    store_hashidx_free(hx);

    hx = store_hashidx_new(true, uni_fetch, &u);
    CHECK_OK(store_hashidx_insert(hx, ukey(&u, 0), 4, 0, NULL));
    u.fail = true;
    CHECK_EQ_INT(store_hashidx_insert(hx, ukey(&u, 1), 4, 1, NULL), LC_EIO);
    CHECK_EQ_INT(store_hashidx_count(hx), 1);
    u.fail = false;
    store_hashidx_free(hx);
    uni_free(&u);
}

/* Insert/delete churn: memory follows the live count and returns to the
 * bare struct. */
TEST(hashidx_churn_memory)
{
    universe_t u;
    uni_build(&u, U_U32, 50000, 1u << 30, 37);
    store_hashidx_t *hx = store_hashidx_new(true, uni_fetch, &u);
    size_t empty = store_hashidx_memory(hx);
    for (int round = 0; round < 5; round++) {
        for (uint32_t q = 0; q < u.n; q++) {
            int rc = store_hashidx_insert(hx, ukey(&u, q), 4, q, NULL);
            CHECK(rc == 0 || rc == LC_EEXIST);
        }
        CHECK(store_hashidx_memory(hx) < empty + 24 * (size_t)u.n + 1024);
        for (uint32_t q = 0; q < u.n; q++) {
            collect_t c = {.n = 0};
            store_hashidx_lookup(hx, ukey(&u, q), 4, collect_cb, &c);
            CHECK_EQ_INT(c.n, 1);
        }
        for (uint32_t q = 0; q < u.n; q++) (void)store_hashidx_delete(hx, ukey(&u, q), 4, q);
        CHECK_EQ_INT(store_hashidx_count(hx), 0);
        CHECK(store_hashidx_memory(hx) <= empty + 64);
    }
    store_hashidx_free(hx);
    uni_free(&u);
}

const test_case_t test_store_index_cases[] = {
    TEST_CASE(store_key_primitives),
    TEST_CASE(store_key_strings_arrays_products_sums),
    TEST_CASE(store_key_bad_input),
    TEST_CASE(store_key_depth_matches_bsatn),
    TEST_CASE(store_key_fixed_len),
    TEST_CASE(store_key_order_matches_value_order),
    TEST_CASE(btree_model_u32_unique),
    TEST_CASE(btree_model_u32_nonunique),
    TEST_CASE(btree_model_wide_unique_deep),
    TEST_CASE(btree_model_wide_nonunique_deep),
    TEST_CASE(btree_model_two_fixed_columns),
    TEST_CASE(btree_model_strings_unique),
    TEST_CASE(btree_model_strings_nonunique),
    TEST_CASE(btree_model_long_strings_deep),
    TEST_CASE(btree_model_long_strings_unique_deep),
    TEST_CASE(btree_model_two_columns_var),
    TEST_CASE(btree_model_two_columns_var_unique),
    TEST_CASE(btree_model_zero_inline_width),
    TEST_CASE(btree_duplicates_and_bad_arguments),
    TEST_CASE(btree_unique_truncated_keys),
    TEST_CASE(btree_insert_out_of_memory),
    TEST_CASE(btree_sequential_fill),
    TEST_CASE(btree_churn_three_levels),
    TEST_CASE(btree_two_column_prefix_scans),
    TEST_CASE(btree_bench_u32),
    TEST_CASE(hashidx_model_unique),
    TEST_CASE(hashidx_model_nonunique),
    TEST_CASE(hashidx_forced_collisions),
    TEST_CASE(hashidx_early_stop_and_errors),
    TEST_CASE(hashidx_churn_memory),
    TEST_END,
};
