/*
 * store_int.h — the private pieces of src/store, shared only inside the
 * module (other modules include store.h).  Three building blocks:
 *
 *   1. Order-preserving key encoding (key.c): index keys are byte strings
 *      whose memcmp order equals the SATS value order, and each column's
 *      encoding is prefix-free, so "the first k columns equal" is "the key
 *      starts with the encoding of those k values".
 *   2. Row heap (heap.c): fixed-size parts of rows in 64 KiB pages of slots,
 *      variable-size parts out of line in a size-class slab, addressed by a
 *      stable 32-bit row id.
 *   3. Indexes (btree.c, hashidx.c): a B+tree and a hash index over
 *      (key bytes, row id) entries.
 *
 * Row ids: a row id names a slot: page = row >> STORE_PAGE_SHIFT_FOR(layout)
 * is NOT assumed by callers; treat row ids as opaque u32 handles, stable for
 * the life of the row.  STORE_ROW_NONE (0xFFFFFFFF) is never a valid row.
 */
#ifndef LC_STORE_INT_H
#define LC_STORE_INT_H

#include "base/base.h"
#include "sats/sats.h"

#define STORE_ROW_NONE UINT32_MAX

/* ================================================================ key.c */

/*
 * Encoding of one value of type t (given as its BSATN bytes) into key
 * bytes whose memcmp order is sats_value_cmp order:
 *
 *   Bool            1 byte 0/1
 *   U8..U256        big-endian
 *   I8..I256        big-endian with the sign bit flipped
 *   F32/F64         IEEE bits big-endian; negative: all bits flipped,
 *                   otherwise the sign bit flipped; every NaN is all
 *                   ones and -0 is +0 (the reference's decorum::Total)
 *   String, bytes   each 0x00 byte written as 0x00 0xFF, then 0x00 0x00
 *   Array<T>        each element as 0x01 + element key, then 0x00
 *   Product         fields' keys concatenated
 *   Sum             tag byte, then the payload's key
 *
 * Every encoding is prefix-free: no key of a type is a proper prefix of
 * another key of the same type.
 */

/* Append the key encoding of the BSATN value at r (of type t) to out,
 * advancing r past it.  The BSATN must already be valid (rows are
 * validated on insert); malformed input still returns LC_ECORRUPT. */
int store_key_append(lc_buf_t *out, lc_rd_t *r, const sats_typespace_t *ts, const sats_type_t *t);
/* Length of the key encoding if every value of t encodes to the same number
 * of key bytes, else -1. */
int64_t store_key_fixed_len(const sats_typespace_t *ts, const sats_type_t *t);

/* Key bytes (at most 8) read as a big-endian unsigned integer: for fixed
 * integer keys, the integer order is the key order. */
static inline uint64_t store__load_be(const uint8_t *p, size_t n)
{
    if (n == 4)
        return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

/* ================================================================ heap.c */

/* Where column i of a row lives.  A column whose BSATN is always the same
 * size (sats_type_fixed_size >= 0) is stored inline in the fixed part at
 * offset; the BSATN bytes of all other columns are concatenated, in column
 * order, into one out-of-line "tail" per row, and the fixed part holds a
 * tail reference (pointer and length, STORE_TAIL_REF_SIZE bytes) at
 * layout->tail_offset. */
typedef struct store_col_layout {
    const sats_type_t *type;
    int32_t fixed_size;  /* BSATN size if fixed, else -1 (lives in the tail) */
    uint32_t offset;     /* offset in the fixed part (fixed columns only) */
    uint32_t tail_index; /* position among tail columns (tail columns only) */
} store_col_layout_t;

#define STORE_TAIL_REF_SIZE 12 /* 8-byte pointer + 4-byte length, unaligned */

typedef struct store_layout {
    const sats_typespace_t *ts;
    uint32_t ncols;
    store_col_layout_t *cols;
    uint32_t fixed_size; /* bytes of the fixed part, tail ref included */
    int32_t tail_offset; /* offset of the tail ref, -1 if no tail columns */
    uint32_t ntail;      /* number of tail columns */
} store_layout_t;

/* Compute the layout of rows of the product type row_type in arena a. */
int store_layout_build(lc_arena_t *a, const sats_typespace_t *ts, const sats_type_t *row_type,
                       store_layout_t *out, lc_err_t *err);

typedef struct store_heap store_heap_t;

store_heap_t *store_heap_new(const store_layout_t *layout);
void store_heap_free(store_heap_t *h);
/* Store a row given as valid BSATN (already checked with sats_bsatn_skip);
 * *row receives its id.  No malloc per row except for tails larger than the
 * largest slab class. */
int store_heap_insert(store_heap_t *h, const uint8_t *bsatn, size_t len, uint32_t *row);
/* Replace a live row's bytes in place, keeping its id.  LC_ERANGE (and no
 * change) when the new row's tail would not fit the old tail's block: the
 * caller then stores a new row instead.  Never allocates, so writing the
 * old bytes back always succeeds. */
int store_heap_overwrite(store_heap_t *h, uint32_t row, const uint8_t *bsatn, size_t len);
/* Free a live row's slot and tail; its id may be reused by a later insert. */
void store_heap_delete(store_heap_t *h, uint32_t row);
bool store_heap_is_live(const store_heap_t *h, uint32_t row);
/* Append the row's BSATN to out. */
int store_heap_read(const store_heap_t *h, uint32_t row, lc_buf_t *out);
/* Size of the row's BSATN. */
size_t store_heap_row_len(const store_heap_t *h, uint32_t row);
/* Point at the BSATN bytes of one column of a live row (inline or in the
 * tail); valid until the row is deleted. */
const uint8_t *store_heap_col(const store_heap_t *h, uint32_t row, uint32_t col, size_t *len);
/* Hash of the row's BSATN (seeded per heap), and equality with BSATN bytes:
 * used for set semantics (a table never holds two identical rows). */
uint64_t store_heap_row_hash(const store_heap_t *h, uint32_t row);
uint64_t store_heap_hash_bsatn(const store_heap_t *h, const uint8_t *bsatn, size_t len);
bool store_heap_row_equals(const store_heap_t *h, uint32_t row, const uint8_t *bsatn, size_t len);
/* Iterate live rows in row-id order: start with *row = STORE_ROW_NONE;
 * returns false at the end. */
bool store_heap_next(const store_heap_t *h, uint32_t *row);
uint64_t store_heap_count(const store_heap_t *h);
/* Bytes held by the heap (pages, slabs, large tails). */
size_t store_heap_memory(const store_heap_t *h);

/* ================================================================ indexes */

/* Indexes call back into the table to get the full key of a row when the
 * bytes kept inline in the index do not settle a comparison. */
typedef int (*store_key_fetch_cb)(void *ctx, uint32_t row, lc_buf_t *out);

typedef enum store_bound_kind {
    STORE_BOUND_UNBOUNDED = 0,
    STORE_BOUND_INCLUDED = 1,
    STORE_BOUND_EXCLUDED = 2,
} store_bound_kind_t;

/* A bound on key prefixes.  Because column encodings are prefix-free, a
 * bound key P made of the first k columns means:
 *   lower INCLUDED  keys >= P                 (P itself and all extending it)
 *   lower EXCLUDED  keys >  every key starting with P
 *   upper INCLUDED  keys <= every key starting with P
 *   upper EXCLUDED  keys <  P
 * which is exactly the ABI's range-scan semantics (module-abi.md §3.7). */
typedef struct store_bound {
    store_bound_kind_t kind;
    const uint8_t *key;
    size_t len;
} store_bound_t;

/* ---------------------------------------------------------------- B+tree */

typedef struct store_btree store_btree_t;

/* A B+tree of (key, row) entries ordered by key bytes, then row id.
 * inline_width bytes of each key are stored in the tree; if key_complete
 * is true every key fits in inline_width (fixed-length keys) and fetch is
 * never called, otherwise ties on the inline prefix call fetch(ctx, row).
 * unique: at most one entry per key. */
store_btree_t *store_btree_new(uint32_t inline_width, bool key_complete, bool unique,
                               store_key_fetch_cb fetch, void *ctx);
void store_btree_free(store_btree_t *bt);
/* Insert (key, row).  Unique tree and key present: LC_EEXIST, *existing =
 * the row holding it (if existing is not NULL), tree unchanged. */
int store_btree_insert(store_btree_t *bt, const uint8_t *key, size_t len, uint32_t row,
                       uint32_t *existing);
/* Remove (key, row); LC_ENOTFOUND if absent. */
int store_btree_delete(store_btree_t *bt, const uint8_t *key, size_t len, uint32_t row);
/* The row of the first entry whose key equals key, or STORE_ROW_NONE.
 * Like the range iterator, safe on several reader threads at once. */
uint32_t store_btree_find(store_btree_t *bt, const uint8_t *key, size_t len);
uint64_t store_btree_count(const store_btree_t *bt);
size_t store_btree_memory(const store_btree_t *bt);

/* A range iterator; valid until the tree is next modified. */
typedef struct store_btree_iter {
    store_btree_t *bt;
    void *leaf;
    uint32_t pos;
    store_bound_t hi;
    lc_buf_t scratch; /* fetched keys; freed by store_btree_iter_done */
    bool done;
    int err; /* a fetch error that ended the scan early, else 0 */
} store_btree_iter_t;

void store_btree_range(store_btree_t *bt, const store_bound_t *lo, const store_bound_t *hi,
                       store_btree_iter_t *it);
bool store_btree_iter_next(store_btree_iter_t *it, uint32_t *row);
void store_btree_iter_done(store_btree_iter_t *it);
/* Verify every structural invariant of the tree (btree.c); 0 or
 * LC_EINTERNAL (or a fetch error).  O(n): for tests and debugging. */
int store_btree_check(store_btree_t *bt);

/* ---------------------------------------------------------------- hash index */

typedef struct store_hashidx store_hashidx_t;

/* Open addressing over (key hash, row); keys are compared by fetching the
 * row's key.  Point lookups only. */
store_hashidx_t *store_hashidx_new(bool unique, store_key_fetch_cb fetch, void *ctx);
void store_hashidx_free(store_hashidx_t *hx);
int store_hashidx_insert(store_hashidx_t *hx, const uint8_t *key, size_t len, uint32_t row,
                         uint32_t *existing);
int store_hashidx_delete(store_hashidx_t *hx, const uint8_t *key, size_t len, uint32_t row);
/* Call visit(arg, row) for every row whose key equals key; stops early
 * when visit returns false.  Returns LC_OK, or the error of a key fetch
 * (a key that cannot be compared is never taken for a miss).  Safe to call
 * from several reader threads at once. */
int store_hashidx_lookup(store_hashidx_t *hx, const uint8_t *key, size_t len,
                         bool (*visit)(void *arg, uint32_t row), void *arg);
uint64_t store_hashidx_count(const store_hashidx_t *hx);
size_t store_hashidx_memory(const store_hashidx_t *hx);
/* Tests only: keep just the low `bits` bits of every key hash (0..32), so
 * that distinct keys collide and the fetch comparisons are exercised.  Call
 * on an empty index. */
void store_hashidx_weaken_for_test(store_hashidx_t *hx, uint32_t bits);

/* ---------------------------------------------------------------- direct index */

typedef struct store_direct store_direct_t;

/* An index for keys of at most 8 bytes (integers, simple enums) that are
 * DENSE: an array of row ids indexed by key - base, where key is the key
 * bytes read as a big-endian u64 (so array order is key order).  Point
 * lookups and inserts are one array access.  Several rows may share a key
 * (a row deleted in a transaction and a new one with its key): the first
 * sits in the array, further ones in a small overflow table.
 *
 * Density rule: the array never spans more than 2 * count + 4096 slots.
 * An insert that would break it returns LC_ERANGE and changes nothing; the
 * caller then moves the entries to a B+tree (store_direct_next lists them). */
store_direct_t *store_direct_new(uint32_t key_len);
void store_direct_free(store_direct_t *d);
int store_direct_insert(store_direct_t *d, const uint8_t *key, size_t len, uint32_t row);
/* LC_ENOTFOUND if (key, row) is absent. */
int store_direct_delete(store_direct_t *d, const uint8_t *key, size_t len, uint32_t row);
/* Visit every row with this key; stop early when visit returns false. */
void store_direct_lookup(const store_direct_t *d, const uint8_t *key, size_t len,
                         bool (*visit)(void *arg, uint32_t row), void *arg);
/* Visit rows whose keys lie within [lo, hi] bounds, in key order (rows of
 * one key in any order).  Same bound semantics as store_btree_range; the
 * bounds' keys are prefixes of at most key_len bytes. */
void store_direct_range(const store_direct_t *d, const store_bound_t *lo, const store_bound_t *hi,
                        bool (*visit)(void *arg, uint32_t row), void *arg);
/* All entries in key order, for moving them to a B+tree: start with
 * *pos = 0; fills key (key_len bytes) and row; false at the end. */
bool store_direct_next(const store_direct_t *d, uint64_t *pos, uint8_t *key, uint32_t *row);
uint64_t store_direct_count(const store_direct_t *d);
size_t store_direct_memory(const store_direct_t *d);

#endif /* LC_STORE_INT_H */
