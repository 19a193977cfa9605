/*
 * sats — the Spacetime Algebraic Type System: types, values, and their
 * encodings (BSATN binary, SATS-JSON, human-readable text).
 *
 * ../shared/spec/protocol.md §2 and ../shared/spec/module-abi.md §5.2, §7 are
 * the contract.  In short:
 *
 *   - A type is a tree of sats_type_t: primitives, String, Array, Product
 *     (named or unnamed fields), Sum (tagged union, at most 256 variants) and
 *     Ref (an index into a typespace).  Special types (Identity, Timestamp,
 *     Option, ...) are ordinary products and sums recognised by their magic
 *     field or variant names; sats_type_special() tells which.
 *   - A value is a tree of sats_value_t.  A value carries no type: every
 *     operation on a value takes the type that describes it.
 *   - BSATN is little-endian, unpadded, not self-describing (see bsatn.c for
 *     the byte table and its invariants).
 *
 * Ownership: types and values built by this module live in the lc_arena_t
 * the caller passes; nothing here frees them individually.  The primitive
 * and special-type singletons returned by sats_prim() and sats_type_*()
 * without an arena are static and immutable.
 *
 * Hostile input: every decoder is bounded by the input length and by
 * SATS_MAX_DEPTH nesting levels (a Ref cycle cannot recurse forever), and
 * returns LC_ECORRUPT with a message naming what was wrong and where.
 */
#ifndef LC_SATS_H
#define LC_SATS_H

#include "base/base.h"

/* Nesting limit for types and values in every codec. */
#define SATS_MAX_DEPTH 64

/* The AlgebraicType variants; the numbers are the BSATN tags of the
 * meta-type (module-abi.md §5.2) and must not change. */
typedef enum sats_kind {
    SATS_REF = 0,
    SATS_SUM = 1,
    SATS_PRODUCT = 2,
    SATS_ARRAY = 3,
    SATS_STRING = 4,
    SATS_BOOL = 5,
    SATS_I8 = 6,
    SATS_U8 = 7,
    SATS_I16 = 8,
    SATS_U16 = 9,
    SATS_I32 = 10,
    SATS_U32 = 11,
    SATS_I64 = 12,
    SATS_U64 = 13,
    SATS_I128 = 14,
    SATS_U128 = 15,
    SATS_I256 = 16,
    SATS_U256 = 17,
    SATS_F32 = 18,
    SATS_F64 = 19,
    SATS_KIND_COUNT = 20
} sats_kind_t;

typedef struct sats_type sats_type_t;

/* A product element or a sum variant. */
typedef struct sats_field {
    const char *name; /* NUL-terminated; NULL when unnamed */
    const sats_type_t *type;
} sats_field_t;

struct sats_type {
    sats_kind_t kind;
    union {
        uint32_t ref; /* SATS_REF: index into the typespace */
        struct {      /* SATS_PRODUCT elements, SATS_SUM variants */
            uint32_t n;
            const sats_field_t *items;
        } fields;
        const sats_type_t *elem; /* SATS_ARRAY */
    } u;
};

/* The types a module defines; Refs index into it. */
typedef struct sats_typespace {
    uint32_t n;
    const sats_type_t **types;
} sats_typespace_t;

/* Special types, recognised structurally (protocol.md §2.1). */
typedef enum sats_special {
    SATS_SPECIAL_NONE = 0,
    SATS_SPECIAL_UNIT,          /* Product{} */
    SATS_SPECIAL_IDENTITY,      /* Product{__identity__: U256} */
    SATS_SPECIAL_CONNECTION_ID, /* Product{__connection_id__: U128} */
    SATS_SPECIAL_TIMESTAMP,     /* Product{__timestamp_micros_since_unix_epoch__: I64} */
    SATS_SPECIAL_TIME_DURATION, /* Product{__time_duration_micros__: I64} */
    SATS_SPECIAL_UUID,          /* Product{__uuid__: U128} */
    SATS_SPECIAL_OPTION,        /* Sum{some: T, none: Product{}} */
    SATS_SPECIAL_RESULT,        /* Sum{ok: T, err: E} */
    SATS_SPECIAL_SCHEDULE_AT,   /* Sum{Interval: TimeDuration, Time: Timestamp} */
} sats_special_t;

/* ---------------------------------------------------------------- types */

/* The static singleton for a primitive kind (String, Bool, I8 ... F64);
 * NULL for Ref/Sum/Product/Array. */
const sats_type_t *sats_prim(sats_kind_t kind);
/* Static singletons for the special types with no parameter. */
const sats_type_t *sats_type_unit(void);
const sats_type_t *sats_type_identity(void);
const sats_type_t *sats_type_connection_id(void);
const sats_type_t *sats_type_timestamp(void);
const sats_type_t *sats_type_time_duration(void);
const sats_type_t *sats_type_uuid(void);
const sats_type_t *sats_type_schedule_at(void);
const sats_type_t *sats_type_bytes(void); /* Array<U8> */

/* Build compound types in arena a; names may be NULL (all unnamed) or hold
 * NULL entries.  Names are copied.  NULL on allocation failure. */
sats_type_t *sats_type_product(lc_arena_t *a, uint32_t n, const char *const *names,
                               const sats_type_t *const *types);
sats_type_t *sats_type_sum(lc_arena_t *a, uint32_t n, const char *const *names,
                           const sats_type_t *const *types);
sats_type_t *sats_type_array(lc_arena_t *a, const sats_type_t *elem);
sats_type_t *sats_type_ref(lc_arena_t *a, uint32_t ref);
sats_type_t *sats_type_option(lc_arena_t *a, const sats_type_t *some);
sats_type_t *sats_type_result(lc_arena_t *a, const sats_type_t *ok, const sats_type_t *err);

/* Which special type t is (after no Ref resolution). */
sats_special_t sats_type_special(const sats_type_t *t);
/* Follow Refs through ts until a non-Ref type; NULL if a Ref is out of range
 * or the chain is longer than SATS_MAX_DEPTH (a cycle).  ts may be NULL when
 * t holds no Refs. */
const sats_type_t *sats_resolve(const sats_typespace_t *ts, const sats_type_t *t);
/* Check that t is well formed in ts: Refs in range and not cyclic without
 * progress, sums of at most 256 variants, nesting within SATS_MAX_DEPTH. */
int sats_type_check(const sats_typespace_t *ts, const sats_type_t *t, lc_err_t *err);
/* Structural equality, field and variant names included. */
bool sats_type_eq(const sats_type_t *a, const sats_type_t *b);
/* Size in bytes of every BSATN value of t if that size is fixed (no String,
 * Array, or Sum with payloads of different sizes), else -1. */
int64_t sats_type_fixed_size(const sats_typespace_t *ts, const sats_type_t *t);
/* Append a readable rendering of t: "U32", "String", "Array<U8>",
 * "Option<String>", "Identity", "(id: U32, name: String)", "{A | B(U8)}". */
int sats_type_format(lc_buf_t *out, const sats_typespace_t *ts, const sats_type_t *t);
/* Bytes of the BSATN of a fixed-size primitive (Bool 1 ... U256 32, F32 4,
 * F64 8); 0 for String, Array, Product, Sum and Ref. */
int sats_prim_size(sats_kind_t kind);
/* The kind's name as the reference spells it ("U32", "String", ...). */
const char *sats_kind_name(sats_kind_t kind);

/* BSATN of the meta-type (module-abi.md §5.2): AlgebraicType and Typespace. */
int sats_type_encode(lc_buf_t *out, const sats_type_t *t);
int sats_type_decode(lc_arena_t *a, lc_rd_t *r, const sats_type_t **out, lc_err_t *err);
int sats_typespace_encode(lc_buf_t *out, const sats_typespace_t *ts);
int sats_typespace_decode(lc_arena_t *a, lc_rd_t *r, sats_typespace_t *out, lc_err_t *err);

/* ---------------------------------------------------------------- values */

typedef struct sats_value sats_value_t;

/* A value.  Which union member is live follows from the value's type
 * (resolved through Refs):
 *   Bool                 b
 *   I8 I16 I32 I64       i   (sign-extended)
 *   U8 U16 U32 U64       u
 *   I128 U128 I256 U256  wide: little-endian two's complement; 128-bit values
 *                        use wide[0..16), the rest is zero or sign fill
 *   F32 F64              f32 / f64
 *   String               str: UTF-8, also NUL-terminated (len excludes NUL)
 *   Array<U8>            bytes (not elems: byte strings stay compact)
 *   Array<T>             elems: n elements
 *   Product              elems: one value per field, in field order
 *   Sum                  sum: variant tag and its payload (unit payload is an
 *                        empty Product, never NULL)
 * Identity is its U256 in wide, ConnectionId/Uuid a U128, Timestamp and
 * TimeDuration an I64 in i — each wrapped in a one-field product, exactly as
 * the type says. */
struct sats_value {
    union {
        bool b;
        int64_t i;
        uint64_t u;
        uint8_t wide[32];
        float f32;
        double f64;
        struct {
            const char *ptr;
            uint32_t len;
        } str;
        struct {
            const uint8_t *ptr;
            uint32_t len;
        } bytes;
        struct {
            uint32_t n;
            sats_value_t *items;
        } elems;
        struct {
            uint8_t tag;
            sats_value_t *payload;
        } sum;
    } u;
};

/* Append the BSATN of v (of type t in ts). */
int sats_bsatn_encode(lc_buf_t *out, const sats_typespace_t *ts, const sats_type_t *t,
                      const sats_value_t *v, lc_err_t *err);
/* Decode one value of type t from r into arena a; r advances past it. */
int sats_bsatn_decode(lc_arena_t *a, lc_rd_t *r, const sats_typespace_t *ts, const sats_type_t *t,
                      sats_value_t *out, lc_err_t *err);
/* Check that r starts with a valid BSATN value of type t and skip it, with
 * no allocation (used on rows and reducer arguments on the hot path). */
int sats_bsatn_skip(lc_rd_t *r, const sats_typespace_t *ts, const sats_type_t *t, lc_err_t *err);
/* Decode a whole buffer: like sats_bsatn_decode, but trailing bytes are an
 * error. */
int sats_bsatn_decode_all(lc_arena_t *a, const void *p, size_t n, const sats_typespace_t *ts,
                          const sats_type_t *t, sats_value_t *out, lc_err_t *err);

/* Total order on values of type t, as the reference orders them: integers
 * numerically, floats numerically with -0 == +0 and every NaN equal and
 * above +inf (decorum's Total, as the reference), strings and bytes bytewise, bools
 * false < true, products and arrays lexicographically, sums by tag then
 * payload.  Returns <0, 0, >0. */
int sats_value_cmp(const sats_typespace_t *ts, const sats_type_t *t, const sats_value_t *a,
                   const sats_value_t *b);
bool sats_value_eq(const sats_typespace_t *ts, const sats_type_t *t, const sats_value_t *a,
                   const sats_value_t *b);
/* Whether p[0..n) is well-formed UTF-8 as BSATN requires: no overlong forms,
 * no surrogates (U+D800..U+DFFF), nothing above U+10FFFF. */
bool sats_utf8_valid(const void *p, size_t n);

/* ---------------------------------------------------------------- SATS-JSON */

struct json_t; /* jansson */

typedef enum sats_json_mode {
    /* Typed: products as objects by field name, sums as {"name": payload}
     * (v1.json messages, /schema, typed API bodies). */
    SATS_JSON_TYPED = 0,
    /* Untyped: products as arrays, sums as [tag, payload] (/sql rows). */
    SATS_JSON_UNTYPED = 1,
} sats_json_mode_t;

/* Build a jansson value for v; NULL on allocation failure (err filled).
 * The caller owns the result (json_decref).  jansson integers are int64, so
 * a u64/u128/i128 outside int64 becomes a JSON real here; sats_json_encode
 * is exact. */
struct json_t *sats_json_from_value(const sats_typespace_t *ts, const sats_type_t *t,
                                    const sats_value_t *v, sats_json_mode_t mode, lc_err_t *err);
/* Append compact JSON text for v. */
int sats_json_encode(lc_buf_t *out, const sats_typespace_t *ts, const sats_type_t *t,
                     const sats_value_t *v, sats_json_mode_t mode, lc_err_t *err);
/* Read a value of type t from JSON, accepting every input form of
 * protocol.md §2.2 (products as arrays or objects, sums as {"name": v},
 * {"tag": v} or [tag, v], null for none, bytes as hex or number arrays). */
int sats_json_to_value(lc_arena_t *a, const struct json_t *j, const sats_typespace_t *ts,
                       const sats_type_t *t, sats_value_t *out, lc_err_t *err);
/* Parse JSON text, then sats_json_to_value. */
int sats_json_decode(lc_arena_t *a, const char *text, size_t len, const sats_typespace_t *ts,
                     const sats_type_t *t, sats_value_t *out, lc_err_t *err);

/* ---------------------------------------------------------------- printing */

/* Append a human-readable rendering of v, as the reference CLI prints SQL
 * results: strings quoted, identities as 0x-hex, timestamps in RFC 3339,
 * options as their payload or null-like "(none = ())", products as
 * "(a = 1, b = 2)". */
int sats_print_value(lc_buf_t *out, const sats_typespace_t *ts, const sats_type_t *t,
                     const sats_value_t *v);
/* Render a table of already-printed cells with a header and a separator
 * line, psql style:
 *    id | name
 *   ----+-------
 *    1  | "Bob"
 * cells holds nrows * ncols NUL-terminated strings, row-major. */
int sats_print_table(lc_buf_t *out, uint32_t ncols, const char *const *headers, uint32_t nrows,
                     const char *const *cells);

#endif /* LC_SATS_H */
