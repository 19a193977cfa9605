/*
 * key.c — order-preserving, prefix-free index keys.
 *
 * An index key is a byte string built from the BSATN of the indexed column
 * values.  Indexes compare keys with memcmp (a shorter key that is a prefix
 * of a longer one sorts first), so the encoding is chosen to make memcmp
 * order equal sats_value_cmp order:
 *
 *   type            key bytes                        BSATN read
 *   --------------  -------------------------------  --------------------
 *   Bool            1 byte, 0 or 1                   1 byte (0/1)
 *   U8 .. U256      value big-endian (n bytes)       n bytes LE
 *   I8 .. I256      big-endian, sign bit flipped     n bytes LE
 *   F32 / F64       IEEE bits big-endian; negative:  4 / 8 bytes LE
 *                   all bits flipped, else sign bit
 *                   flipped; any NaN is all ones,
 *                   -0 is written as +0
 *   String, bytes   each byte b: b, or 00 FF for     u32 len + len bytes
 *                   b == 00; then the end mark 00 00
 *   Array<T>        per element 01 + key(T); then    u32 count + elements
 *                   the end mark 00
 *   Product         the fields' keys concatenated    the fields in order
 *   Sum             tag byte, then key(payload)      u8 tag + payload
 *   Ref             as its target                    as its target
 *
 * "bytes" is Array<U8> (also through a Ref to U8): byte strings use the
 * escaped form, never the per-element form.
 *
 * Invariants:
 *   1. Order: for values a, b of type t, memcmp order of key(a), key(b)
 *      (shorter-is-smaller on a common prefix) equals sats_value_cmp(a, b).
 *      Floats follow the reference's order (decorum's Total), exactly as
 *      sats_value_cmp does: -inf < ... < -0 == +0 < ... < +inf < NaN, and
 *      every NaN (any sign or payload) has the same key.  So equal values
 *      have equal keys, which unique indexes rely on.
 *   2. Prefix-freeness: no key of t is a proper prefix of another key of t.
 *      Fixed-size keys are trivially prefix-free; an escaped string ends at
 *      the first 00 not followed by FF; an array ends at the first element
 *      mark that is 00 instead of 01; products and sums inherit it from
 *      their parts.  So a key of a k-column prefix of an index key is a
 *      prefix of the whole key exactly when the k columns are equal.
 *   3. Reads are bounds-checked: short input, a Bool byte other than 0/1,
 *      or a sum tag past the variant count is LC_ECORRUPT; a Ref that
 *      cannot be resolved is LC_EINVAL.  UTF-8 is not re-validated (rows are
 *      validated with sats_bsatn_skip on insert and the key of a string
 *      does not depend on its validity).
 *   4. Work is bounded: compound values nest at most SATS_MAX_DEPTH levels
 *      (the same limit as sats_bsatn_skip),
 *      and array elements that consume no input (Array<()>) are limited to
 *      the input length plus ZERO_SIZE_ALLOWANCE in one call, so the output
 *      is linear in the input.
 *   5. On error the output buffer is restored to its length at the call.
 */
#include <string.h>

#include "store/store_int.h"

#define ZERO_SIZE_ALLOWANCE (1u << 20)
#define FIXED_LEN_BUDGET    65536

typedef struct kenc {
    lc_buf_t *out;
    const sats_typespace_t *ts;
    size_t zero_left; /* array elements of zero input size still allowed */
} kenc_t;

static int enc_value(kenc_t *e, lc_rd_t *r, const sats_type_t *t, int depth);

static bool is_signed(sats_kind_t k)
{
    return k == SATS_I8 || k == SATS_I16 || k == SATS_I32 || k == SATS_I64 || k == SATS_I128 ||
           k == SATS_I256;
}

/* Integers: little-endian in, big-endian out, sign bit flipped if signed. */
static int enc_int(kenc_t *e, lc_rd_t *r, sats_kind_t k)
{
    int n = sats_prim_size(k);
    const uint8_t *p;
    if (lc_rd_bytes(r, (size_t)n, &p) < 0)
        return LC_ECORRUPT;
    uint8_t *o = lc_buf_extend(e->out, (size_t)n);
    if (o == NULL)
        return LC_ENOMEM;
    for (int i = 0; i < n; i++) o[i] = p[n - 1 - i];
    if (is_signed(k))
        o[0] ^= 0x80;
    return 0;
}

static int enc_bool(kenc_t *e, lc_rd_t *r)
{
    uint8_t v;
    if (lc_rd_u8(r, &v) < 0 || v > 1)
        return LC_ECORRUPT;
    return lc_buf_putc(e->out, v);
}

/* Floats: the reference orders them as decorum's Total does (every NaN is
 * one value above +inf, -0 equals +0), as sats_value_cmp does.  NaN keys are
 * all ones; -0 is written as +0; otherwise the IEEE bits are mapped so that
 * unsigned big-endian order is numeric order. */
static int enc_float(kenc_t *e, lc_rd_t *r, int n)
{
    const uint8_t *p;
    if (lc_rd_bytes(r, (size_t)n, &p) < 0)
        return LC_ECORRUPT;
    uint64_t bits = 0;
    for (int i = n - 1; i >= 0; i--) bits = bits << 8 | p[i];
    uint64_t sign = 1ULL << (8 * n - 1), mask = n == 8 ? ~0ULL : (1ULL << 32) - 1;
    uint64_t exp = n == 8 ? 0x7ff0000000000000ULL : 0x7f800000ULL;
    if ((bits & exp) == exp && (bits & ~exp & ~sign & mask) != 0)
        bits = mask; /* NaN */
    else if ((bits & ~sign & mask) == 0)
        bits = sign; /* either zero */
    else
        bits = (bits & sign) ? (~bits & mask) : (bits | sign);
    uint8_t *o = lc_buf_extend(e->out, (size_t)n);
    if (o == NULL)
        return LC_ENOMEM;
    for (int i = 0; i < n; i++) o[i] = (uint8_t)(bits >> (8 * (n - 1 - i)));
    return 0;
}

/* Byte strings: 00 becomes 00 FF; the end is marked by 00 00. */
static int enc_blob(kenc_t *e, lc_rd_t *r)
{
    uint32_t len;
    const uint8_t *p;
    if (lc_rd_u32le(r, &len) < 0 || lc_rd_bytes(r, len, &p) < 0)
        return LC_ECORRUPT;
    static const uint8_t esc[2] = {0x00, 0xFF}, end[2] = {0x00, 0x00};
    size_t i = 0;
    while (i < len) {
        const uint8_t *z = memchr(p + i, 0, len - i);
        size_t seg = z ? (size_t)(z - (p + i)) : len - i;
        if (lc_buf_append(e->out, p + i, seg) < 0)
            return LC_ENOMEM;
        i += seg;
        if (z != NULL) {
            if (lc_buf_append(e->out, esc, 2) < 0)
                return LC_ENOMEM;
            i++;
        }
    }
    return lc_buf_append(e->out, end, 2) < 0 ? LC_ENOMEM : 0;
}

static int enc_array(kenc_t *e, lc_rd_t *r, const sats_type_t *elem, int depth)
{
    const sats_type_t *et = sats_resolve(e->ts, elem);
    if (et == NULL)
        return LC_EINVAL;
    if (et->kind == SATS_U8)
        return enc_blob(e, r);
    uint32_t n;
    if (lc_rd_u32le(r, &n) < 0)
        return LC_ECORRUPT;
    for (uint32_t i = 0; i < n; i++) {
        size_t before = r->len;
        if (lc_buf_putc(e->out, 0x01) < 0)
            return LC_ENOMEM;
        int rc = enc_value(e, r, et, depth + 1);
        if (rc < 0)
            return rc;
        if (r->len == before && e->zero_left-- == 0)
            return LC_ECORRUPT; /* invariant 4 */
    }
    return lc_buf_putc(e->out, 0x00) < 0 ? LC_ENOMEM : 0;
}

static int enc_product(kenc_t *e, lc_rd_t *r, const sats_type_t *t, int depth)
{
    for (uint32_t i = 0; i < t->u.fields.n; i++) {
        int rc = enc_value(e, r, t->u.fields.items[i].type, depth + 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int enc_sum(kenc_t *e, lc_rd_t *r, const sats_type_t *t, int depth)
{
    uint8_t tag;
    if (lc_rd_u8(r, &tag) < 0 || tag >= t->u.fields.n)
        return LC_ECORRUPT;
    if (lc_buf_putc(e->out, tag) < 0)
        return LC_ENOMEM;
    return enc_value(e, r, t->u.fields.items[tag].type, depth + 1);
}

static int enc_value(kenc_t *e, lc_rd_t *r, const sats_type_t *t, int depth)
{
    t = sats_resolve(e->ts, t);
    if (t == NULL)
        return LC_EINVAL;
    bool compound = t->kind == SATS_ARRAY || t->kind == SATS_PRODUCT || t->kind == SATS_SUM;
    if (compound && depth >= SATS_MAX_DEPTH)
        return LC_ECORRUPT; /* as sats_bsatn_skip: at most SATS_MAX_DEPTH levels */
    switch (t->kind) {
    case SATS_BOOL:
        return enc_bool(e, r);
    case SATS_F32:
        return enc_float(e, r, 4);
    case SATS_F64:
        return enc_float(e, r, 8);
    case SATS_STRING:
        return enc_blob(e, r);
    case SATS_ARRAY:
        return enc_array(e, r, t->u.elem, depth);
    case SATS_PRODUCT:
        return enc_product(e, r, t, depth);
    case SATS_SUM:
        return enc_sum(e, r, t, depth);
    default:
        if (sats_prim_size(t->kind) == 0)
            return LC_EINVAL;
        return enc_int(e, r, t->kind);
    }
}

int store_key_append(lc_buf_t *out, lc_rd_t *r, const sats_typespace_t *ts, const sats_type_t *t)
{
    kenc_t e = {.out = out, .ts = ts, .zero_left = r->len + ZERO_SIZE_ALLOWANCE};
    size_t start = out->len;
    int rc = enc_value(&e, r, t, 0);
    if (rc < 0)
        out->len = start; /* invariant 5 */
    return rc;
}

/* ---------------------------------------------------------------- fixed length */

static int64_t fixed_len(const sats_typespace_t *ts, const sats_type_t *t, int depth,
                         uint32_t *budget)
{
    t = sats_resolve(ts, t);
    if (t == NULL || depth > SATS_MAX_DEPTH || (*budget)-- == 0)
        return -1;
    switch (t->kind) {
    case SATS_STRING:
    case SATS_ARRAY:
        return -1;
    case SATS_PRODUCT: {
        int64_t sum = 0;
        for (uint32_t i = 0; i < t->u.fields.n; i++) {
            int64_t f = fixed_len(ts, t->u.fields.items[i].type, depth + 1, budget);
            if (f < 0)
                return -1;
            sum += f;
        }
        return sum;
    }
    case SATS_SUM: {
        int64_t common = 0;
        for (uint32_t i = 0; i < t->u.fields.n; i++) {
            int64_t f = fixed_len(ts, t->u.fields.items[i].type, depth + 1, budget);
            if (f < 0 || (i > 0 && f != common))
                return -1;
            common = f;
        }
        return 1 + common;
    }
    default:
        return sats_prim_size(t->kind) > 0 ? sats_prim_size(t->kind) : -1;
    }
}

int64_t store_key_fixed_len(const sats_typespace_t *ts, const sats_type_t *t)
{
    uint32_t budget = FIXED_LEN_BUDGET;
    return fixed_len(ts, t, 0, &budget);
}
