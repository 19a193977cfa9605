/*
 * bsatn.c — the BSATN value codec (protocol.md §2.1, module-abi.md §7), and
 * the total order on values.
 *
 * BSATN is not self-describing: the bytes of a value are read with its type
 * in hand.  Everything is little-endian, unpadded and untagged except sums:
 *
 *   type                  bytes          notes
 *   --------------------  -------------  -----------------------------------
 *   Bool                  1              0 = false, 1 = true, else corrupt
 *   I8 / U8               1
 *   I16 / U16             2              two's complement, LE
 *   I32 / U32             4
 *   I64 / U64             8
 *   I128 / U128           16
 *   I256 / U256           32
 *   F32 / F64             4 / 8          IEEE-754 bit pattern, any bits
 *   String                4 + k          u32 byte length k, then k bytes of
 *                                        UTF-8 (no NUL terminator)
 *   Array<U8>             4 + k          u32 length k, then k raw bytes
 *   Array<T>              4 + ...        u32 element count, then elements
 *   Product               sum of fields  fields in order; no names, no count
 *   Sum                   1 + payload    u8 variant index, then its payload
 *   Product{} (unit)      0
 *   Ref                   as its target  resolved through the typespace
 *
 * So Option<T> is 00 + T for some and 01 for none, Identity is 32 bytes,
 * Timestamp 8, ScheduleAt 1 + 8.
 *
 * One walker, dec_value(), serves both sats_bsatn_decode() and
 * sats_bsatn_skip(): with no output value it checks and skips without
 * allocating, so the two accept exactly the same bytes.
 *
 * Invariants:
 *   1. No read goes past the input: every fixed-size read and every length
 *      is checked against the bytes left first; short input is LC_ECORRUPT.
 *   2. A Bool byte is 0 or 1; a String is well-formed UTF-8 (no overlong
 *      forms, no surrogates, nothing above U+10FFFF); a sum tag is below the
 *      variant count.  Anything else is LC_ECORRUPT.
 *   3. Nothing is allocated for a length before it is checked against the
 *      input.  A String or Array<U8> of k bytes needs k bytes left.  An
 *      Array<T> of n elements needs n * min(T) bytes left, where min(T) is
 *      the least number of bytes a T can take (prims their size, String and
 *      Array 4, Sum 1, Product the sum of its fields).
 *   4. Zero-size elements (an empty product, or a type whose smallest size
 *      cannot be worked out within MIN_SIZE_BUDGET steps) take no input, so
 *      invariant 3 does not bound them.  Instead one decode may hold at most
 *      (input length + ZERO_SIZE_SLACK) of them in all its arrays together;
 *      a count beyond what is left of that allowance is LC_ECORRUPT.  With
 *      invariant 3 this keeps the memory of a decode linear in its input.
 *   5. Values nest at most SATS_MAX_DEPTH compound levels (Product, Sum,
 *      Array); deeper input is LC_ECORRUPT, so a recursive type through a Ref
 *      cannot exhaust the stack.  Refs that leave the typespace or form a
 *      cycle are a bad type: LC_EINVAL.
 *   6. Decoded strings are copied into the arena and NUL-terminated; decoded
 *      byte strings are copied too.  A decoded value never points into the
 *      input, which the caller may free.  Empty strings and byte strings
 *      point at a static "".
 *   7. Values of I8..I64 are sign-extended into .i, U8..U64 zero-extended
 *      into .u; I128/U128 fill wide[16..32) with sign or zero.
 *   8. Encoding trusts no value: a sum tag out of range, a product with the
 *      wrong element count or a missing pointer is LC_EINVAL, and on any
 *      error the output buffer is cut back to its length before the call.
 */
#include <string.h>

#include "sats/sats.h"

#define ZERO_SIZE_SLACK 1024
#define MIN_SIZE_BUDGET 64

/* ---------------------------------------------------------------- UTF-8 */

bool sats_utf8_valid(const void *p, size_t n)
{
    const uint8_t *s = p;
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((w & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1Fu, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0Fu, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return false; /* a continuation byte first, or 0xF8..0xFF */
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* ---------------------------------------------------------------- helpers */

static bool is_bytes_elem(const sats_typespace_t *ts, const sats_type_t *elem)
{
    const sats_type_t *e = sats_resolve(ts, elem);
    return e != NULL && e->kind == SATS_U8;
}

int sats_prim_size(sats_kind_t k)
{
    static const int8_t sizes[SATS_KIND_COUNT] = {
        [SATS_BOOL] = 1, [SATS_I8] = 1,    [SATS_U8] = 1,    [SATS_I16] = 2,   [SATS_U16] = 2,
        [SATS_I32] = 4,  [SATS_U32] = 4,   [SATS_F32] = 4,   [SATS_I64] = 8,   [SATS_U64] = 8,
        [SATS_F64] = 8,  [SATS_I128] = 16, [SATS_U128] = 16, [SATS_I256] = 32, [SATS_U256] = 32,
    };
    return (unsigned)k < SATS_KIND_COUNT ? sizes[k] : 0;
}

/* Bytes of a primitive, or of the u32 length in front of a String/Array. */
static int width_of(sats_kind_t k)
{
    return k == SATS_STRING || k == SATS_ARRAY ? 4 : sats_prim_size(k);
}

/* Invariant 3: the least number of bytes a value of t takes; 0 for
 * zero-size types and for types too big or too broken to work out. */
static size_t min_size(const sats_typespace_t *ts, const sats_type_t *t, int *budget)
{
    t = sats_resolve(ts, t);
    if (t == NULL || --*budget < 0)
        return 0;
    if (t->kind != SATS_PRODUCT)
        return (size_t)width_of(t->kind);
    size_t total = 0;
    for (uint32_t i = 0; i < t->u.fields.n && total < (1u << 20); i++) {
        if (*budget <= 0)
            return 0;
        total += min_size(ts, t->u.fields.items[i].type, budget);
    }
    return total;
}

/* ---------------------------------------------------------------- decode */

typedef struct dec {
    lc_arena_t *a; /* NULL when only skipping */
    lc_rd_t *r;
    const sats_typespace_t *ts;
    const uint8_t *base; /* where decoding began, for byte offsets */
    size_t zero_left;    /* invariant 4 allowance */
    lc_err_t *err;
} dec_t;

static int dec_value(dec_t *d, const sats_type_t *t, sats_value_t *out, int depth);

static size_t off(const dec_t *d)
{
    return (size_t)(d->r->p - d->base);
}

static int truncated(dec_t *d, const char *what, size_t need)
{
    return LC_CORRUPT(d->err, "value is truncated: %s at byte %zu needs %zu bytes, %zu left", what,
                      off(d), need, d->r->len);
}

static int nomem(dec_t *d)
{
    return lc_err_set(d->err, LC_ENOMEM, "out of memory decoding BSATN");
}

/* Point *p at the next n bytes, or report the truncation. */
static int take(dec_t *d, size_t n, const char *what, const uint8_t **p)
{
    if (lc_rd_bytes(d->r, n, p) < 0)
        return truncated(d, what, n);
    return 0;
}

static int dec_len(dec_t *d, const char *what, uint32_t *n)
{
    const uint8_t *p;
    int rc = take(d, 4, what, &p);
    if (rc == 0)
        *n = lc_load_u32le(p);
    return rc;
}

static int dec_bool(dec_t *d, sats_value_t *out)
{
    const uint8_t *p;
    int rc = take(d, 1, "Bool", &p);
    if (rc < 0)
        return rc;
    if (*p > 1)
        return LC_CORRUPT(d->err, "Bool at byte %zu is 0x%02x; only 0 and 1 are allowed",
                          off(d) - 1, *p);
    if (out)
        out->u.b = *p == 1;
    return 0;
}

static int dec_int(dec_t *d, sats_kind_t kind, sats_value_t *out)
{
    int w = width_of(kind);
    const uint8_t *p;
    int rc = take(d, (size_t)w, sats_kind_name(kind), &p);
    if (rc < 0 || out == NULL)
        return rc;
    switch (kind) {
    case SATS_I8:
        out->u.i = (int8_t)p[0];
        break;
    case SATS_U8:
        out->u.u = p[0];
        break;
    case SATS_I16:
        out->u.i = (int16_t)lc_load_u16le(p);
        break;
    case SATS_U16:
        out->u.u = lc_load_u16le(p);
        break;
    case SATS_I32:
        out->u.i = (int32_t)lc_load_u32le(p);
        break;
    case SATS_U32:
        out->u.u = lc_load_u32le(p);
        break;
    case SATS_I64:
        out->u.i = (int64_t)lc_load_u64le(p);
        break;
    case SATS_U64:
        out->u.u = lc_load_u64le(p);
        break;
    case SATS_F32: {
        uint32_t bits = lc_load_u32le(p);
        memcpy(&out->u.f32, &bits, 4);
        break;
    }
    case SATS_F64: {
        uint64_t bits = lc_load_u64le(p);
        memcpy(&out->u.f64, &bits, 8);
        break;
    }
    default: /* 128- and 256-bit: invariant 7 */
        memcpy(out->u.wide, p, (size_t)w);
        memset(out->u.wide + w, kind == SATS_I128 && (p[15] & 0x80) ? 0xff : 0, 32 - (size_t)w);
        break;
    }
    return 0;
}

static int dec_string(dec_t *d, sats_value_t *out)
{
    uint32_t len;
    const uint8_t *p;
    int rc = dec_len(d, "String length", &len);
    if (rc < 0 || (rc = take(d, len, "String", &p)) < 0)
        return rc;
    if (!sats_utf8_valid(p, len))
        return LC_CORRUPT(d->err, "String of %u bytes at byte %zu is not valid UTF-8", len,
                          off(d) - len);
    if (out == NULL)
        return 0;
    out->u.str.len = len;
    out->u.str.ptr = len ? lc_arena_strndup(d->a, (const char *)p, len) : "";
    return out->u.str.ptr ? 0 : nomem(d);
}

static int dec_bytes(dec_t *d, sats_value_t *out)
{
    uint32_t len;
    const uint8_t *p;
    int rc = dec_len(d, "Array<U8> length", &len);
    if (rc < 0 || (rc = take(d, len, "Array<U8>", &p)) < 0 || out == NULL)
        return rc;
    out->u.bytes.len = len;
    out->u.bytes.ptr = len ? lc_arena_memdup(d->a, p, len) : (const uint8_t *)"";
    return out->u.bytes.ptr ? 0 : nomem(d);
}

/* Invariants 3 and 4: may n elements of elem be allocated? */
static int check_count(dec_t *d, const sats_type_t *elem, uint32_t n)
{
    int budget = MIN_SIZE_BUDGET;
    size_t min = min_size(d->ts, elem, &budget);
    if (min > 0) {
        if (n > d->r->len / min)
            return LC_CORRUPT(d->err,
                              "Array of %u elements at byte %zu needs at least %zu bytes each, "
                              "but only %zu bytes are left",
                              n, off(d) - 4, min, d->r->len);
        return 0;
    }
    if (n > d->zero_left)
        return LC_CORRUPT(d->err,
                          "Array of %u zero-size elements at byte %zu is over the limit of %zu", n,
                          off(d) - 4, d->zero_left);
    d->zero_left -= n;
    return 0;
}

static int dec_array(dec_t *d, const sats_type_t *elem, sats_value_t *out, int depth)
{
    if (is_bytes_elem(d->ts, elem))
        return dec_bytes(d, out);
    uint32_t n;
    int rc = dec_len(d, "Array count", &n);
    if (rc < 0 || (rc = check_count(d, elem, n)) < 0)
        return rc;
    sats_value_t *items = NULL;
    if (out != NULL && n > 0) {
        items = lc_arena_zalloc(d->a, (size_t)n * sizeof *items);
        if (items == NULL)
            return nomem(d);
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = dec_value(d, elem, items ? &items[i] : NULL, depth + 1)) < 0)
            return rc;
    }
    if (out) {
        out->u.elems.n = n;
        out->u.elems.items = items;
    }
    return 0;
}

static int dec_product(dec_t *d, const sats_type_t *t, sats_value_t *out, int depth)
{
    uint32_t n = t->u.fields.n;
    sats_value_t *items = NULL;
    if (out != NULL && n > 0) {
        items = lc_arena_zalloc(d->a, (size_t)n * sizeof *items);
        if (items == NULL)
            return nomem(d);
    }
    for (uint32_t i = 0; i < n; i++) {
        int rc = dec_value(d, t->u.fields.items[i].type, items ? &items[i] : NULL, depth + 1);
        if (rc < 0)
            return rc;
    }
    if (out) {
        out->u.elems.n = n;
        out->u.elems.items = items;
    }
    return 0;
}

static int dec_sum(dec_t *d, const sats_type_t *t, sats_value_t *out, int depth)
{
    const uint8_t *p;
    int rc = take(d, 1, "sum tag", &p);
    if (rc < 0)
        return rc;
    if (*p >= t->u.fields.n)
        return LC_CORRUPT(d->err,
                          "sum tag %u at byte %zu is out of range: the type has %u variants", *p,
                          off(d) - 1, t->u.fields.n);
    sats_value_t *payload = NULL;
    if (out != NULL) {
        payload = lc_arena_zalloc(d->a, sizeof *payload);
        if (payload == NULL)
            return nomem(d);
        out->u.sum.tag = *p;
        out->u.sum.payload = payload;
    }
    return dec_value(d, t->u.fields.items[*p].type, payload, depth + 1);
}

static int dec_value(dec_t *d, const sats_type_t *t, sats_value_t *out, int depth)
{
    const sats_type_t *rt = sats_resolve(d->ts, t);
    if (rt == NULL)
        return lc_err_set(d->err, LC_EINVAL,
                          t == NULL ? "value has no type"
                                    : "type refers outside the typespace or is a cycle of refs");
    switch (rt->kind) {
    case SATS_SUM:
    case SATS_PRODUCT:
    case SATS_ARRAY:
        if (depth >= SATS_MAX_DEPTH)
            return LC_CORRUPT(d->err, "value at byte %zu nests deeper than %d levels", off(d),
                              SATS_MAX_DEPTH);
        if (rt->kind == SATS_SUM)
            return dec_sum(d, rt, out, depth);
        if (rt->kind == SATS_PRODUCT)
            return dec_product(d, rt, out, depth);
        return dec_array(d, rt->u.elem, out, depth);
    case SATS_STRING:
        return dec_string(d, out);
    case SATS_BOOL:
        return dec_bool(d, out);
    default:
        if ((int)rt->kind > SATS_BOOL && (int)rt->kind < SATS_KIND_COUNT)
            return dec_int(d, rt->kind, out);
        return lc_err_set(d->err, LC_EINVAL, "type has unknown kind %d", (int)rt->kind);
    }
}

static dec_t dec_make(lc_arena_t *a, lc_rd_t *r, const sats_typespace_t *ts, lc_err_t *err)
{
    size_t allowance = r->len > SIZE_MAX - ZERO_SIZE_SLACK ? SIZE_MAX : r->len + ZERO_SIZE_SLACK;
    dec_t d = {.a = a, .r = r, .ts = ts, .base = r->p, .zero_left = allowance, .err = err};
    return d;
}

int sats_bsatn_decode(lc_arena_t *a, lc_rd_t *r, const sats_typespace_t *ts, const sats_type_t *t,
                      sats_value_t *out, lc_err_t *err)
{
    if (NEVER(a == NULL || out == NULL))
        return lc_err_set(err, LC_EINTERNAL, "BSATN decode needs an arena and an output value");
    dec_t d = dec_make(a, r, ts, err);
    memset(out, 0, sizeof *out);
    return dec_value(&d, t, out, 0);
}

int sats_bsatn_skip(lc_rd_t *r, const sats_typespace_t *ts, const sats_type_t *t, lc_err_t *err)
{
    dec_t d = dec_make(NULL, r, ts, err);
    return dec_value(&d, t, NULL, 0);
}

int sats_bsatn_decode_all(lc_arena_t *a, const void *p, size_t n, const sats_typespace_t *ts,
                          const sats_type_t *t, sats_value_t *out, lc_err_t *err)
{
    lc_rd_t r = lc_rd_make(p, n);
    int rc = sats_bsatn_decode(a, &r, ts, t, out, err);
    if (rc < 0)
        return rc;
    if (r.len != 0)
        return LC_CORRUPT(err, "%zu trailing bytes after the value (which ends at byte %zu)", r.len,
                          n - r.len);
    return 0;
}

/* ---------------------------------------------------------------- encode */

typedef struct enc {
    lc_buf_t *out;
    const sats_typespace_t *ts;
    lc_err_t *err;
} enc_t;

static int enc_value(enc_t *e, const sats_type_t *t, const sats_value_t *v, int depth);

static int enc_rc(enc_t *e, int rc)
{
    if (rc < 0)
        return lc_err_set(e->err, rc, "out of memory encoding BSATN");
    return 0;
}

static int enc_put(enc_t *e, const void *p, size_t n)
{
    return enc_rc(e, lc_buf_append(e->out, p, n));
}

static int enc_blob(enc_t *e, const void *p, uint32_t len, const char *what)
{
    if (p == NULL && len > 0)
        return lc_err_set(e->err, LC_EINVAL, "%s value of %u bytes has no data", what, len);
    int rc = enc_rc(e, lc_buf_put_u32le(e->out, len));
    return rc < 0 ? rc : enc_put(e, p, len);
}

static int enc_prim(enc_t *e, sats_kind_t kind, const sats_value_t *v)
{
    uint8_t b[8];
    switch (kind) {
    case SATS_BOOL:
        b[0] = v->u.b ? 1 : 0;
        return enc_put(e, b, 1);
    case SATS_I8:
    case SATS_I16:
    case SATS_I32:
    case SATS_I64:
        lc_store_u64le(b, (uint64_t)v->u.i);
        break;
    case SATS_U8:
    case SATS_U16:
    case SATS_U32:
    case SATS_U64:
        lc_store_u64le(b, v->u.u);
        break;
    case SATS_F32: {
        uint32_t bits;
        memcpy(&bits, &v->u.f32, 4);
        lc_store_u32le(b, bits);
        break;
    }
    case SATS_F64: {
        uint64_t bits;
        memcpy(&bits, &v->u.f64, 8);
        lc_store_u64le(b, bits);
        break;
    }
    default: /* 128- and 256-bit */
        return enc_put(e, v->u.wide, (size_t)width_of(kind));
    }
    return enc_put(e, b, (size_t)width_of(kind));
}

static int enc_fields(enc_t *e, const sats_type_t *t, const sats_value_t *items, uint32_t n,
                      int depth)
{
    if (n != t->u.fields.n)
        return lc_err_set(e->err, LC_EINVAL, "product value has %u elements, its type %u", n,
                          t->u.fields.n);
    if (n > 0 && items == NULL)
        return lc_err_set(e->err, LC_EINVAL, "product value of %u elements has no items", n);
    for (uint32_t i = 0; i < n; i++) {
        int rc = enc_value(e, t->u.fields.items[i].type, &items[i], depth + 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int enc_array(enc_t *e, const sats_type_t *elem, const sats_value_t *v, int depth)
{
    if (is_bytes_elem(e->ts, elem))
        return enc_blob(e, v->u.bytes.ptr, v->u.bytes.len, "Array<U8>");
    uint32_t n = v->u.elems.n;
    if (n > 0 && v->u.elems.items == NULL)
        return lc_err_set(e->err, LC_EINVAL, "array value of %u elements has no items", n);
    int rc = enc_rc(e, lc_buf_put_u32le(e->out, n));
    for (uint32_t i = 0; rc == 0 && i < n; i++)
        rc = enc_value(e, elem, &v->u.elems.items[i], depth + 1);
    return rc;
}

static int enc_sum(enc_t *e, const sats_type_t *t, const sats_value_t *v, int depth)
{
    uint8_t tag = v->u.sum.tag;
    if (tag >= t->u.fields.n)
        return lc_err_set(e->err, LC_EINVAL, "sum value has tag %u, but its type has %u variants",
                          tag, t->u.fields.n);
    const sats_type_t *vt = t->u.fields.items[tag].type;
    /* Tolerate a missing unit payload; anything else needs one. */
    bool unit = sats_type_special(sats_resolve(e->ts, vt)) == SATS_SPECIAL_UNIT;
    if (v->u.sum.payload == NULL && !unit)
        return lc_err_set(e->err, LC_EINVAL, "sum value with tag %u has no payload", tag);
    int rc = enc_put(e, &tag, 1);
    if (rc < 0 || v->u.sum.payload == NULL)
        return rc;
    return enc_value(e, vt, v->u.sum.payload, depth + 1);
}

static int enc_value(enc_t *e, const sats_type_t *t, const sats_value_t *v, int depth)
{
    const sats_type_t *rt = sats_resolve(e->ts, t);
    if (rt == NULL)
        return lc_err_set(e->err, LC_EINVAL,
                          "type refers outside the typespace or is a cycle of refs");
    if (v == NULL)
        return lc_err_set(e->err, LC_EINVAL, "missing value for a %s", sats_kind_name(rt->kind));
    switch (rt->kind) {
    case SATS_SUM:
    case SATS_PRODUCT:
    case SATS_ARRAY:
        if (depth >= SATS_MAX_DEPTH)
            return lc_err_set(e->err, LC_EINVAL, "value nests deeper than %d levels",
                              SATS_MAX_DEPTH);
        if (rt->kind == SATS_SUM)
            return enc_sum(e, rt, v, depth);
        if (rt->kind == SATS_PRODUCT)
            return enc_fields(e, rt, v->u.elems.items, v->u.elems.n, depth);
        return enc_array(e, rt->u.elem, v, depth);
    case SATS_STRING:
        return enc_blob(e, v->u.str.ptr, v->u.str.len, "String");
    default:
        if ((int)rt->kind >= SATS_BOOL && (int)rt->kind < SATS_KIND_COUNT)
            return enc_prim(e, rt->kind, v);
        return lc_err_set(e->err, LC_EINVAL, "type has unknown kind %d", (int)rt->kind);
    }
}

int sats_bsatn_encode(lc_buf_t *out, const sats_typespace_t *ts, const sats_type_t *t,
                      const sats_value_t *v, lc_err_t *err)
{
    enc_t e = {.out = out, .ts = ts, .err = err};
    size_t start = out->len;
    int rc = enc_value(&e, t, v, 0);
    if (rc < 0)
        out->len = start; /* no partial value is left behind */
    return rc;
}

/* ---------------------------------------------------------------- compare */

static int cmp_u64(uint64_t a, uint64_t b)
{
    return (a > b) - (a < b);
}

/* Two's complement (or unsigned) little-endian integers of n bytes. */
static int cmp_wide(const uint8_t *a, const uint8_t *b, int n, bool is_signed)
{
    if (is_signed) {
        bool na = a[n - 1] & 0x80, nb = b[n - 1] & 0x80;
        if (na != nb)
            return na ? -1 : 1;
    }
    for (int i = n - 1; i >= 0; i--) {
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

/* The reference orders floats as decorum's Total does (module-abi.md §3.7):
 * every NaN is one value, greater than everything else, and -0 equals +0.
 * Canonicalise those, then map the bits so that unsigned order is the
 * IEEE 754 order of the remaining values. */
static uint64_t total_key(uint64_t bits, int width)
{
    uint64_t sign = 1ULL << (width - 1);
    uint64_t mask = width == 64 ? ~0ULL : (1ULL << width) - 1;
    uint64_t exp = width == 64 ? 0x7ff0000000000000ULL : 0x7f800000ULL;
    uint64_t frac = width == 64 ? 0x000fffffffffffffULL : 0x007fffffULL;
    if ((bits & exp) == exp && (bits & frac) != 0)
        return mask; /* NaN: above +inf, all NaNs equal */
    if ((bits & ~sign & mask) == 0)
        bits = 0; /* -0 is +0 */
    return (bits & sign) ? (~bits & mask) : (bits | sign);
}

static int cmp_float(sats_kind_t kind, const sats_value_t *a, const sats_value_t *b)
{
    if (kind == SATS_F32) {
        uint32_t x, y;
        memcpy(&x, &a->u.f32, 4);
        memcpy(&y, &b->u.f32, 4);
        return cmp_u64(total_key(x, 32), total_key(y, 32));
    }
    uint64_t x, y;
    memcpy(&x, &a->u.f64, 8);
    memcpy(&y, &b->u.f64, 8);
    return cmp_u64(total_key(x, 64), total_key(y, 64));
}

static int cmp_mem(const void *a, uint32_t na, const void *b, uint32_t nb)
{
    uint32_t n = LC_MIN(na, nb);
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    return cmp_u64(na, nb);
}

static int cmp_value(const sats_typespace_t *ts, const sats_type_t *t, const sats_value_t *a,
                     const sats_value_t *b, int depth);

static int cmp_seq(const sats_typespace_t *ts, const sats_type_t *t, const sats_value_t *a,
                   const sats_value_t *b, int depth)
{
    bool product = t->kind == SATS_PRODUCT;
    uint32_t na = a->u.elems.n, nb = b->u.elems.n;
    uint32_t n = LC_MIN(na, nb);
    if (product)
        n = LC_MIN(n, t->u.fields.n);
    if ((n > 0 && (a->u.elems.items == NULL || b->u.elems.items == NULL)))
        return cmp_u64(na, nb);
    for (uint32_t i = 0; i < n; i++) {
        const sats_type_t *et = product ? t->u.fields.items[i].type : t->u.elem;
        int c = cmp_value(ts, et, &a->u.elems.items[i], &b->u.elems.items[i], depth + 1);
        if (c != 0)
            return c;
    }
    return cmp_u64(na, nb);
}

static int cmp_sum(const sats_typespace_t *ts, const sats_type_t *t, const sats_value_t *a,
                   const sats_value_t *b, int depth)
{
    uint8_t ta = a->u.sum.tag, tb = b->u.sum.tag;
    if (ta != tb)
        return ta < tb ? -1 : 1;
    if (ta >= t->u.fields.n || a->u.sum.payload == NULL || b->u.sum.payload == NULL)
        return 0;
    return cmp_value(ts, t->u.fields.items[ta].type, a->u.sum.payload, b->u.sum.payload, depth + 1);
}

static int cmp_value(const sats_typespace_t *ts, const sats_type_t *t, const sats_value_t *a,
                     const sats_value_t *b, int depth)
{
    t = sats_resolve(ts, t);
    if (t == NULL || depth > SATS_MAX_DEPTH || a == b)
        return 0;
    switch (t->kind) {
    case SATS_BOOL:
        return (int)a->u.b - (int)b->u.b;
    case SATS_I8:
    case SATS_I16:
    case SATS_I32:
    case SATS_I64:
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    case SATS_U8:
    case SATS_U16:
    case SATS_U32:
    case SATS_U64:
        return cmp_u64(a->u.u, b->u.u);
    case SATS_I128:
        return cmp_wide(a->u.wide, b->u.wide, 16, true);
    case SATS_U128:
        return cmp_wide(a->u.wide, b->u.wide, 16, false);
    case SATS_I256:
        return cmp_wide(a->u.wide, b->u.wide, 32, true);
    case SATS_U256:
        return cmp_wide(a->u.wide, b->u.wide, 32, false);
    case SATS_F32:
    case SATS_F64:
        return cmp_float(t->kind, a, b);
    case SATS_STRING:
        return cmp_mem(a->u.str.ptr, a->u.str.len, b->u.str.ptr, b->u.str.len);
    case SATS_ARRAY:
        if (is_bytes_elem(ts, t->u.elem))
            return cmp_mem(a->u.bytes.ptr, a->u.bytes.len, b->u.bytes.ptr, b->u.bytes.len);
        return cmp_seq(ts, t, a, b, depth);
    case SATS_PRODUCT:
        return cmp_seq(ts, t, a, b, depth);
    case SATS_SUM:
        return cmp_sum(ts, t, a, b, depth);
    default:
        return 0;
    }
}

int sats_value_cmp(const sats_typespace_t *ts, const sats_type_t *t, const sats_value_t *a,
                   const sats_value_t *b)
{
    return cmp_value(ts, t, a, b, 0);
}

bool sats_value_eq(const sats_typespace_t *ts, const sats_type_t *t, const sats_value_t *a,
                   const sats_value_t *b)
{
    return cmp_value(ts, t, a, b, 0) == 0;
}
