/*
 * heap.c — the row heap: where a table's rows live in memory.
 *
 * A row arrives as BSATN (a product: its columns' BSATN back to back).  The
 * heap splits it in two.  Columns whose BSATN always has the same size
 * (sats_type_fixed_size >= 0: integers, floats, Identity, Timestamp, sums of
 * equal-size payloads, products of those) are copied into a fixed-size slot;
 * the BSATN of all other columns (strings, arrays, options, ...) is
 * concatenated, in column order, into one out-of-line "tail", and the slot
 * ends with a reference to it.  Reading a row interleaves the two again, so
 * a row reads back byte for byte as it was inserted.
 *
 * Slot (the fixed part of one row), store_layout_t.fixed_size bytes, no
 * alignment (every access goes through memcpy):
 *
 *   offset               size           contents
 *   -------------------  -------------  --------------------------------------
 *   cols[i].offset       cols[i].size   BSATN of fixed column i; fixed columns
 *                                       in column order, back to back from 0
 *   tail_offset          8              tail pointer (native byte order)
 *   tail_offset + 8      4              tail length in bytes (native u32)
 *
 * A row type whose fixed columns take no bytes and which has no tail still
 * gets a 1-byte slot, so that every row has a slot of its own.
 *
 * Page: a PAGE_SIZE block from lc_malloc holding S slots (S as large as fits;
 * a slot bigger than a page gets a page of its own, S = 1):
 *
 *   offset               size           contents
 *   -------------------  -------------  --------------------------------------
 *   0                    8 * W          presence bitmap, W = ceil(S / 64) u64
 *                                       words; bit s set = slot s holds a row
 *   8 * W                S * slot_size  slots; slot s at 8 * W + s * slot_size
 *
 * Row id r names slot r % S of page r / S.  Pages are found through a page
 * table (page_t: the block and its live count) that grows by doubling; a
 * bitmap over the page table marks pages with a free slot.
 *
 * Tails: a tail of n bytes takes one block of the smallest size class >= n.
 * Classes are 8, 12, 16, then four per doubling (20, 24, 28, 32, 40, ... ,
 * 3584, 4096): at most a quarter of a block is wasted.  Blocks are carved
 * from slabs (8 KiB, doubling up to 64 KiB, shared by all classes) and freed
 * blocks go on per-class free lists, so ordinary rows cost no malloc.  A
 * tail longer than 4096 bytes is one lc_malloc block of its own.
 *
 * Memory per row: slot_size plus 1/8 byte of bitmap, plus the tail block if
 * any.  (u32, i32) rows take 8.13 bytes; the reference's BFLATN pages take
 * 8 bytes plus a 64-byte granule for every var-len column.
 *
 * Invariants:
 *   1. Bit s of page p's bitmap is set exactly when row p * S + s is live;
 *      bits >= S of the last word are always set, so a word equal to ~0
 *      has no free slot.  page.live counts the live rows of the page.
 *   2. Every bitmap word of page p below page.hint is ~0 (full).
 *   3. Bit p of nonfull is set exactly when page p has a free slot (an
 *      unallocated page has S of them); every nonfull word below nf_hint is
 *      zero.
 *   4. An insert takes the lowest free row id, so the same sequence of
 *      inserts and deletes always yields the same row ids.
 *   5. A live row's tail length is the sum of the BSATN lengths of its tail
 *      columns; a zero-length tail has a NULL pointer; the block is of class
 *      size_class(length), or an lc_malloc block if length > MAX_CLASS_SIZE.
 *   6. Slots and tails never move while their row lives: pointers from
 *      store_heap_col stay valid until the row is deleted.
 *   7. A page left with no live row is released (kept as the one spare, or
 *      freed); pages and slabs are never partly freed.  Slabs are kept until
 *      the heap is freed; their free blocks serve later tails.
 *   8. A free tail block holds the next block of its free list in its first
 *      8 bytes (class sizes are >= 8).
 *   9. The row hash is a streaming hash of the row's BSATN: it does not
 *      depend on how the bytes are split into pieces, so hashing a stored
 *      row piece by piece equals hashing its BSATN in one go.  The seed is
 *      drawn once per process, so hashes agree across heaps.
 *
 * Threads: a heap is not locked.  The functions taking a const heap write
 * nothing (no scratch buffers), so readers may share a heap while no
 * insert or delete runs.
 */
#include <stdatomic.h>
#include <string.h>

#include "store/store_int.h"

#define PAGE_SIZE       65536u
#define MAX_FIXED_SIZE  (16u << 20) /* a row's fixed part: 16 MiB at most */
#define NCLASSES        35
#define MAX_CLASS_SIZE  4096u
#define MIN_SLAB_SIZE   8192u
#define MAX_SLAB_SIZE   65536u
#define ZERO_SIZE_SLACK 1024 /* as bsatn.c: zero-size array elements allowed */

/* ---------------------------------------------------------------- layout */

static int layout_col(const sats_typespace_t *ts, const sats_field_t *f, uint32_t i,
                      store_col_layout_t *c, uint64_t *off, uint32_t *ntail, lc_err_t *err)
{
    const sats_type_t *t = sats_resolve(ts, f->type);
    if (t == NULL)
        return lc_err_set(err, LC_EINVAL, "column %u has a type Ref outside the typespace", i);
    int64_t fs = sats_type_fixed_size(ts, t);
    c->type = t;
    if (fs >= 0 && fs <= (int64_t)MAX_FIXED_SIZE) {
        c->fixed_size = (int32_t)fs;
        c->offset = (uint32_t)*off;
        c->tail_index = UINT32_MAX;
        *off += (uint64_t)fs;
    } else {
        c->fixed_size = -1;
        c->offset = 0;
        c->tail_index = (*ntail)++;
    }
    return 0;
}

int store_layout_build(lc_arena_t *a, const sats_typespace_t *ts, const sats_type_t *row_type,
                       store_layout_t *out, lc_err_t *err)
{
    memset(out, 0, sizeof *out);
    const sats_type_t *t = sats_resolve(ts, row_type);
    if (t == NULL)
        return lc_err_set(err, LC_EINVAL, "row type is a Ref outside the typespace");
    if (t->kind != SATS_PRODUCT)
        return lc_err_set(err, LC_EINVAL, "row type is %s, not a product", sats_kind_name(t->kind));
    uint32_t n = t->u.fields.n;
    store_col_layout_t *cols = NULL;
    if (n > 0 && (cols = lc_arena_zalloc(a, (size_t)n * sizeof *cols)) == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    uint64_t off = 0;
    uint32_t ntail = 0;
    for (uint32_t i = 0; i < n; i++) {
        int rc = layout_col(ts, &t->u.fields.items[i], i, &cols[i], &off, &ntail, err);
        if (rc < 0)
            return rc;
        if (off > MAX_FIXED_SIZE)
            return lc_err_set(err, LC_ERANGE,
                              "the fixed-size columns of a row take more than %u bytes",
                              MAX_FIXED_SIZE);
    }
    out->ts = ts;
    out->ncols = n;
    out->cols = cols;
    out->ntail = ntail;
    out->tail_offset = ntail > 0 ? (int32_t)off : -1;
    out->fixed_size = (uint32_t)off + (ntail > 0 ? STORE_TAIL_REF_SIZE : 0);
    if (out->fixed_size == 0)
        out->fixed_size = 1;
    return 0;
}

/* ---------------------------------------------------------------- structs */

typedef struct page {
    uint8_t *mem;  /* NULL: not allocated (all slots free) */
    uint32_t live; /* live rows (invariant 1) */
    uint32_t hint; /* bitmap words below are full (invariant 2) */
} page_t;

/* A run of consecutive columns stored the same way: fixed columns are
 * contiguous in the slot, tail columns contiguous in the tail. */
typedef struct seg {
    bool tail;
    uint32_t first, count; /* columns first .. first + count - 1 */
    uint32_t off, len;     /* fixed runs: bytes [off, off + len) of the slot */
} seg_t;

struct store_heap {
    const store_layout_t *layout;
    uint32_t slot_size;
    uint32_t spp;         /* slots per page, S */
    uint32_t words;       /* bitmap words per page, W */
    size_t page_bytes;    /* PAGE_SIZE, or more for one huge slot */
    uint32_t fixed_bsatn; /* BSATN bytes of the fixed columns together */
    uint64_t seed;

    page_t *pages;
    uint32_t npages, cap_pages;
    uint64_t *nonfull; /* cap_pages / 64 words (invariant 3) */
    uint32_t nf_hint;
    uint8_t *spare;  /* one released empty page kept for reuse */
    uint32_t nalloc; /* pages allocated, spare excluded */
    uint64_t count;

    seg_t *segs;
    uint32_t nsegs;
    uint32_t last_tail_seg; /* index of the last tail run, if any */
    uint32_t *tail_cols;    /* column index of each tail column */
    uint32_t *colpos;       /* insert scratch: ncols + 1 input offsets */

    uint8_t *free_list[NCLASSES];
    uint8_t *bump; /* unused end of the newest slab */
    size_t bump_left;
    uint8_t **slabs;
    uint32_t nslabs, cap_slabs;
    size_t slab_bytes;
    size_t large_bytes; /* tails > MAX_CLASS_SIZE */
};

/* ---------------------------------------------------------------- hashing */

#define HK0 0xa0761d6478bd642fULL
#define HK1 0xe7037ed1a0b428dbULL

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* A streaming hash of a byte string of known total length (invariant 9):
 * 16-byte blocks in order, then the zero-padded remainder. */
typedef struct hasher {
    uint64_t h;
    size_t nbuf;
    uint8_t buf[16];
} hasher_t;

static void hasher_init(hasher_t *hs, uint64_t seed, size_t total)
{
    hs->h = seed ^ mix(seed ^ HK0, (uint64_t)total ^ HK1);
    hs->nbuf = 0;
}

static inline void hasher_block(hasher_t *hs, const uint8_t *p)
{
    hs->h = mix(lc_load_u64le(p) ^ HK0 ^ hs->h, lc_load_u64le(p + 8) ^ HK1);
}

static void hasher_feed(hasher_t *hs, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (hs->nbuf > 0) {
        size_t take = LC_MIN(16 - hs->nbuf, n);
        memcpy(hs->buf + hs->nbuf, p, take);
        hs->nbuf += take;
        p += take;
        n -= take;
        if (hs->nbuf < 16)
            return;
        hasher_block(hs, hs->buf);
        hs->nbuf = 0;
    }
    for (; n >= 16; p += 16, n -= 16) hasher_block(hs, p);
    if (n > 0)
        memcpy(hs->buf, p, n);
    hs->nbuf = n;
}

static uint64_t hasher_final(hasher_t *hs)
{
    memset(hs->buf + hs->nbuf, 0, 16 - hs->nbuf);
    return mix(lc_load_u64le(hs->buf) ^ HK0 ^ hs->h, lc_load_u64le(hs->buf + 8) ^ HK1 ^ hs->nbuf);
}

/* ---------------------------------------------------------------- spans */

static const int8_t prim_size[SATS_KIND_COUNT] = {
    [SATS_BOOL] = 1,  [SATS_I8] = 1,    [SATS_U8] = 1,    [SATS_I16] = 2, [SATS_U16] = 2,
    [SATS_I32] = 4,   [SATS_U32] = 4,   [SATS_I64] = 8,   [SATS_U64] = 8, [SATS_I128] = 16,
    [SATS_U128] = 16, [SATS_I256] = 32, [SATS_U256] = 32, [SATS_F32] = 4, [SATS_F64] = 8,
};

static int64_t span(const sats_typespace_t *ts, const sats_type_t *t, const uint8_t *p, size_t n,
                    int depth);

/* Length of an array value: u32 count, then its elements. */
static int64_t span_array(const sats_typespace_t *ts, const sats_type_t *elem, const uint8_t *p,
                          size_t n, int depth)
{
    if (n < 4)
        return -1;
    uint64_t count = lc_load_u32le(p), left = n - 4;
    const sats_type_t *e = sats_resolve(ts, elem);
    if (e == NULL)
        return -1;
    int64_t es = (unsigned)e->kind < SATS_KIND_COUNT ? prim_size[e->kind] : 0;
    if (es == 0)
        es = sats_type_fixed_size(ts, e);
    if (es >= 0)
        return count * (uint64_t)es <= left ? (int64_t)(4 + count * (uint64_t)es) : -1;
    if (count > left + ZERO_SIZE_SLACK)
        return -1;
    size_t off = 4;
    for (uint64_t i = 0; i < count; i++) {
        int64_t s = span(ts, e, p + off, n - off, depth + 1);
        if (s < 0)
            return -1;
        off += (size_t)s;
    }
    return (int64_t)off;
}

static int64_t span_fields(const sats_typespace_t *ts, const sats_type_t *t, const uint8_t *p,
                           size_t n, int depth)
{
    size_t off = 0;
    for (uint32_t i = 0; i < t->u.fields.n; i++) {
        int64_t s = span(ts, t->u.fields.items[i].type, p + off, n - off, depth + 1);
        if (s < 0)
            return -1;
        off += (size_t)s;
    }
    return (int64_t)off;
}

/* Length of the BSATN value of type t at p[0..n), or -1 if it does not fit
 * or is malformed.  Checks structure only (no UTF-8): stored rows and
 * inserted rows were validated before. */
static int64_t span(const sats_typespace_t *ts, const sats_type_t *t, const uint8_t *p, size_t n,
                    int depth)
{
    t = sats_resolve(ts, t);
    if (t == NULL || depth > SATS_MAX_DEPTH)
        return -1;
    switch (t->kind) {
    case SATS_STRING:
        if (n < 4 || lc_load_u32le(p) > n - 4)
            return -1;
        return 4 + (int64_t)lc_load_u32le(p);
    case SATS_ARRAY:
        return span_array(ts, t->u.elem, p, n, depth);
    case SATS_PRODUCT:
        return span_fields(ts, t, p, n, depth);
    case SATS_SUM: {
        if (n < 1 || p[0] >= t->u.fields.n)
            return -1;
        int64_t s = span(ts, t->u.fields.items[p[0]].type, p + 1, n - 1, depth + 1);
        return s < 0 ? -1 : 1 + s;
    }
    default:
        if ((unsigned)t->kind >= SATS_KIND_COUNT || prim_size[t->kind] == 0)
            return -1;
        return (size_t)prim_size[t->kind] <= n ? prim_size[t->kind] : -1;
    }
}

/* ---------------------------------------------------------------- tails */

/* Size classes: 8, 12, 16, then 2^k + j * 2^(k-2) for k = 4 .. 11, j = 1..4. */
static unsigned size_class(uint32_t len)
{
    if (len <= 16)
        return len <= 8 ? 0 : (len - 5) / 4;
    unsigned k = 31 - (unsigned)__builtin_clz(len - 1); /* 2^k < len <= 2^(k+1) */
    unsigned sub = (len - (1u << k) - 1) >> (k - 2);
    return 3 + (k - 4) * 4 + sub;
}

static uint32_t class_size(unsigned c)
{
    if (c < 3)
        return 8 + 4 * c;
    unsigned k = 4 + (c - 3) / 4, sub = (c - 3) % 4;
    return (1u << k) + (sub + 1) * (1u << (k - 2));
}

static void free_push(store_heap_t *h, unsigned c, uint8_t *blk)
{
    memcpy(blk, &h->free_list[c], sizeof(uint8_t *));
    h->free_list[c] = blk;
}

/* Give the unused end of the newest slab to the free lists. */
static void slab_retire(store_heap_t *h)
{
    while (h->bump_left >= 8) {
        unsigned c = size_class((uint32_t)h->bump_left);
        if (class_size(c) > h->bump_left)
            c--;
        free_push(h, c, h->bump);
        h->bump += class_size(c);
        h->bump_left -= class_size(c);
    }
    h->bump_left = 0;
}

static int slab_new(store_heap_t *h)
{
    if (h->nslabs == h->cap_slabs) {
        uint32_t cap = h->cap_slabs ? 2 * h->cap_slabs : 8;
        uint8_t **s = lc_realloc(h->slabs, cap * sizeof *s);
        if (s == NULL)
            return LC_ENOMEM;
        h->slabs = s;
        h->cap_slabs = cap;
    }
    size_t size = LC_MIN((size_t)MAX_SLAB_SIZE, (size_t)MIN_SLAB_SIZE << LC_MIN(h->nslabs, 8));
    uint8_t *slab = lc_malloc(size);
    if (slab == NULL)
        return LC_ENOMEM;
    slab_retire(h);
    h->slabs[h->nslabs++] = slab;
    h->slab_bytes += size;
    h->bump = slab;
    h->bump_left = size;
    return 0;
}

/* A block for a tail of len bytes (invariant 5). */
static int tail_alloc(store_heap_t *h, uint32_t len, uint8_t **out)
{
    *out = NULL;
    if (len == 0)
        return 0;
    if (len > MAX_CLASS_SIZE) {
        if ((*out = lc_malloc(len)) == NULL)
            return LC_ENOMEM;
        h->large_bytes += len;
        return 0;
    }
    unsigned c = size_class(len);
    uint8_t *blk = h->free_list[c];
    if (blk != NULL) {
        memcpy(&h->free_list[c], blk, sizeof(uint8_t *));
        *out = blk;
        return 0;
    }
    uint32_t size = class_size(c);
    if (h->bump_left < size && slab_new(h) < 0)
        return LC_ENOMEM;
    *out = h->bump;
    h->bump += size;
    h->bump_left -= size;
    return 0;
}

static void tail_free(store_heap_t *h, uint8_t *blk, uint32_t len)
{
    if (blk == NULL)
        return;
    if (len > MAX_CLASS_SIZE) {
        h->large_bytes -= len;
        lc_free(blk);
        return;
    }
    free_push(h, size_class(len), blk);
}

/* ---------------------------------------------------------------- slots */

static inline uint8_t *slot_ptr(const store_heap_t *h, uint32_t row)
{
    const page_t *pg = &h->pages[row / h->spp];
    return pg->mem + (size_t)h->words * 8 + (size_t)(row % h->spp) * h->slot_size;
}

static inline void tail_get(const store_heap_t *h, const uint8_t *slot, uint8_t **p, uint32_t *len)
{
    const uint8_t *ref = slot + h->layout->tail_offset;
    memcpy(p, ref, sizeof *p);
    memcpy(len, ref + 8, sizeof *len);
}

static inline void tail_set(const store_heap_t *h, uint8_t *slot, uint8_t *p, uint32_t len)
{
    uint8_t *ref = slot + h->layout->tail_offset;
    memcpy(ref, &p, sizeof p);
    memcpy(ref + 8, &len, sizeof len);
}

static inline uint64_t *bitmap(const page_t *pg)
{
    return (uint64_t *)(void *)pg->mem;
}

/* Size the pages: as many slots as fit with their bitmap (page layout). */
static void size_pages(store_heap_t *h)
{
    uint64_t s = (uint64_t)PAGE_SIZE * 8 / ((uint64_t)h->slot_size * 8 + 1);
    while (s > 0 && (s + 63) / 64 * 8 + s * h->slot_size > PAGE_SIZE) s--;
    if (s == 0)
        s = 1;
    h->spp = (uint32_t)s;
    h->words = (uint32_t)((s + 63) / 64);
    h->page_bytes = LC_MAX((size_t)PAGE_SIZE, (size_t)h->words * 8 + h->slot_size);
}

static int table_grow(store_heap_t *h)
{
    uint32_t cap = h->cap_pages ? 2 * h->cap_pages : 64;
    page_t *pages = lc_realloc(h->pages, (size_t)cap * sizeof *pages);
    if (pages == NULL)
        return LC_ENOMEM;
    h->pages = pages;
    uint64_t *nf = lc_realloc(h->nonfull, (size_t)cap / 64 * sizeof *nf);
    if (nf == NULL)
        return LC_ENOMEM;
    memset(nf + h->cap_pages / 64, 0, (size_t)(cap - h->cap_pages) / 64 * sizeof *nf);
    h->nonfull = nf;
    h->cap_pages = cap;
    return 0;
}

/* Give page p memory: the spare, or a new block (invariant 1). */
static int page_fill(store_heap_t *h, page_t *pg)
{
    uint8_t *mem = h->spare;
    h->spare = NULL;
    if (mem == NULL && (mem = lc_malloc(h->page_bytes)) == NULL)
        return LC_ENOMEM;
    pg->mem = mem;
    pg->live = 0;
    pg->hint = 0;
    uint64_t *bm = bitmap(pg);
    memset(bm, 0, (size_t)h->words * 8);
    if (h->spp % 64)
        bm[h->words - 1] = ~0ULL << (h->spp % 64);
    h->nalloc++;
    return 0;
}

/* The lowest page with a free slot, appending one if all are full
 * (invariants 3, 4). */
static int page_with_room(store_heap_t *h, uint32_t *out)
{
    uint32_t nw = (h->npages + 63) / 64;
    for (uint32_t w = h->nf_hint; w < nw; w++) {
        if (h->nonfull[w]) {
            h->nf_hint = w;
            *out = w * 64 + (uint32_t)__builtin_ctzll(h->nonfull[w]);
            return 0;
        }
    }
    if ((uint64_t)(h->npages + 1) * h->spp > UINT32_MAX)
        return LC_ERANGE; /* row ids would reach STORE_ROW_NONE */
    if (h->npages == h->cap_pages && table_grow(h) < 0)
        return LC_ENOMEM;
    uint32_t p = h->npages++;
    h->pages[p] = (page_t){NULL, 0, 0};
    h->nonfull[p / 64] |= 1ULL << (p % 64);
    h->nf_hint = p / 64;
    *out = p;
    return 0;
}

/* Take the lowest free slot (invariant 4). */
static int slot_take(store_heap_t *h, uint32_t *row)
{
    uint32_t p;
    int rc = page_with_room(h, &p);
    if (rc < 0)
        return rc;
    page_t *pg = &h->pages[p];
    if (pg->mem == NULL && (rc = page_fill(h, pg)) < 0)
        return rc;
    uint64_t *bm = bitmap(pg);
    uint32_t w = pg->hint;
    while (bm[w] == ~0ULL) w++;
    pg->hint = w;
    uint32_t s = w * 64 + (uint32_t)__builtin_ctzll(~bm[w]);
    bm[w] |= 1ULL << (s % 64);
    if (++pg->live == h->spp)
        h->nonfull[p / 64] &= ~(1ULL << (p % 64));
    h->count++;
    *row = p * h->spp + s;
    return 0;
}

static void slot_release(store_heap_t *h, uint32_t row)
{
    uint32_t p = row / h->spp, s = row % h->spp;
    page_t *pg = &h->pages[p];
    bitmap(pg)[s / 64] &= ~(1ULL << (s % 64));
    pg->hint = LC_MIN(pg->hint, s / 64);
    h->nonfull[p / 64] |= 1ULL << (p % 64);
    h->nf_hint = LC_MIN(h->nf_hint, p / 64);
    h->count--;
    if (--pg->live > 0)
        return;
    if (h->spare == NULL)
        h->spare = pg->mem; /* invariant 7 */
    else
        lc_free(pg->mem);
    pg->mem = NULL;
    h->nalloc--;
}

/* ---------------------------------------------------------------- new, free */

static int build_segs(store_heap_t *h)
{
    const store_layout_t *l = h->layout;
    uint32_t n = l->ncols;
    h->segs = lc_malloc(((size_t)n + 1) * sizeof *h->segs);
    h->tail_cols = lc_malloc(((size_t)l->ntail + 1) * sizeof *h->tail_cols);
    h->colpos = lc_malloc(((size_t)n + 1) * sizeof *h->colpos);
    if (h->segs == NULL || h->tail_cols == NULL || h->colpos == NULL)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const store_col_layout_t *c = &l->cols[i];
        bool tail = c->fixed_size < 0;
        seg_t *last = h->nsegs ? &h->segs[h->nsegs - 1] : NULL;
        if (tail)
            h->tail_cols[c->tail_index] = i;
        else
            h->fixed_bsatn += (uint32_t)c->fixed_size;
        if (last != NULL && last->tail == tail) {
            last->count++;
            last->len += tail ? 0 : (uint32_t)c->fixed_size;
            continue;
        }
        h->segs[h->nsegs++] =
            (seg_t){tail, i, 1, tail ? 0 : c->offset, tail ? 0 : (uint32_t)c->fixed_size};
        if (tail)
            h->last_tail_seg = h->nsegs - 1;
    }
    return 0;
}

store_heap_t *store_heap_new(const store_layout_t *layout)
{
    store_heap_t *h = lc_calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->layout = layout;
    h->slot_size = layout->fixed_size ? layout->fixed_size : 1;
    h->seed = lc_hash_seed();
    size_pages(h);
    if (build_segs(h) < 0) {
        store_heap_free(h);
        return NULL;
    }
    return h;
}

void store_heap_free(store_heap_t *h)
{
    if (h == NULL)
        return;
    if (h->layout->tail_offset >= 0) {
        for (uint32_t row = STORE_ROW_NONE; store_heap_next(h, &row);) {
            uint8_t *t;
            uint32_t len;
            tail_get(h, slot_ptr(h, row), &t, &len);
            if (len > MAX_CLASS_SIZE)
                lc_free(t);
        }
    }
    for (uint32_t p = 0; p < h->npages; p++) lc_free(h->pages[p].mem);
    for (uint32_t i = 0; i < h->nslabs; i++) lc_free(h->slabs[i]);
    lc_free(h->spare);
    lc_free(h->pages);
    lc_free(h->nonfull);
    lc_free(h->slabs);
    lc_free(h->segs);
    lc_free(h->tail_cols);
    lc_free(h->colpos);
    lc_free(h);
}

/* ---------------------------------------------------------------- insert, delete */

/* Find where each column starts in the input (colpos), and the tail size. */
static int split(store_heap_t *h, const uint8_t *bsatn, size_t len, uint32_t *tail_len)
{
    const store_layout_t *l = h->layout;
    size_t pos = 0, tail = 0;
    for (uint32_t i = 0; i < l->ncols; i++) {
        const store_col_layout_t *c = &l->cols[i];
        int64_t s = c->fixed_size;
        if (s < 0)
            s = span(l->ts, c->type, bsatn + pos, len - pos, 0);
        if (s < 0 || (size_t)s > len - pos)
            return LC_CORRUPT(NULL, "row column %u does not fit in %zu bytes", i, len);
        if (c->fixed_size < 0)
            tail += (size_t)s;
        h->colpos[i] = (uint32_t)pos;
        pos += (size_t)s;
    }
    if (pos != len)
        return LC_CORRUPT(NULL, "%zu trailing bytes after the row", len - pos);
    h->colpos[l->ncols] = (uint32_t)len;
    *tail_len = (uint32_t)tail;
    return 0;
}

/* Copy the split row into its slot and tail block. */
static void scatter(store_heap_t *h, const uint8_t *bsatn, uint8_t *slot, uint8_t *tail)
{
    size_t tpos = 0;
    for (uint32_t i = 0; i < h->nsegs; i++) {
        const seg_t *sg = &h->segs[i];
        const uint8_t *src = bsatn + h->colpos[sg->first];
        size_t n = h->colpos[sg->first + sg->count] - h->colpos[sg->first];
        if (n == 0)
            continue;
        if (sg->tail) {
            memcpy(tail + tpos, src, n);
            tpos += n;
        } else {
            memcpy(slot + sg->off, src, n);
        }
    }
}

int store_heap_insert(store_heap_t *h, const uint8_t *bsatn, size_t len, uint32_t *row)
{
    *row = STORE_ROW_NONE;
    if (len > UINT32_MAX)
        return LC_ERANGE;
    if (h->layout->tail_offset < 0) {
        /* Fixed columns only: the row's BSATN is the slot, as is. */
        if (len != h->fixed_bsatn)
            return LC_CORRUPT(NULL, "row has %zu bytes, its type %u", len, h->fixed_bsatn);
        int rc = slot_take(h, row);
        if (rc < 0)
            return rc;
        uint8_t *slot = slot_ptr(h, *row);
        if (len > 0)
            memcpy(slot, bsatn, len);
        else
            slot[0] = 0;
        return 0;
    }
    uint32_t tail_len = 0;
    uint8_t *tail = NULL;
    int rc = split(h, bsatn, len, &tail_len);
    if (rc < 0 || (rc = tail_alloc(h, tail_len, &tail)) < 0)
        return rc;
    if ((rc = slot_take(h, row)) < 0) {
        tail_free(h, tail, tail_len);
        return rc;
    }
    uint8_t *slot = slot_ptr(h, *row);
    scatter(h, bsatn, slot, tail);
    tail_set(h, slot, tail, tail_len);
    return 0;
}

/* Same size class (or both empty, or both the same large size): the tail
 * block of one fits the other, so an overwrite needs no allocation. */
static bool tail_fits(uint32_t old_len, uint32_t new_len)
{
    if (old_len == 0 || new_len == 0 || old_len > MAX_CLASS_SIZE || new_len > MAX_CLASS_SIZE)
        return old_len == new_len;
    return size_class(old_len) == size_class(new_len);
}

int store_heap_overwrite(store_heap_t *h, uint32_t row, const uint8_t *bsatn, size_t len)
{
    if (NEVER(!store_heap_is_live(h, row)))
        return LC_EINTERNAL;
    uint8_t *slot = slot_ptr(h, row);
    if (h->layout->tail_offset < 0) {
        if (len != h->fixed_bsatn)
            return LC_CORRUPT(NULL, "row has %zu bytes, its type %u", len, h->fixed_bsatn);
        if (len > 0)
            memcpy(slot, bsatn, len);
        return 0;
    }
    uint32_t tail_len = 0, old_len;
    uint8_t *tail;
    int rc = split(h, bsatn, len, &tail_len);
    if (rc < 0)
        return rc;
    tail_get(h, slot, &tail, &old_len);
    if (!tail_fits(old_len, tail_len))
        return LC_ERANGE;
    scatter(h, bsatn, slot, tail);
    tail_set(h, slot, tail, tail_len);
    return 0;
}

bool store_heap_is_live(const store_heap_t *h, uint32_t row)
{
    if (row == STORE_ROW_NONE || row / h->spp >= h->npages)
        return false;
    const page_t *pg = &h->pages[row / h->spp];
    uint32_t s = row % h->spp;
    return pg->mem != NULL && (bitmap(pg)[s / 64] >> (s % 64) & 1);
}

void store_heap_delete(store_heap_t *h, uint32_t row)
{
    if (NEVER(!store_heap_is_live(h, row)))
        return;
    if (h->layout->tail_offset >= 0) {
        uint8_t *t;
        uint32_t len;
        tail_get(h, slot_ptr(h, row), &t, &len);
        tail_free(h, t, len);
    }
    slot_release(h, row);
}

/* ---------------------------------------------------------------- reading */

/* Where an empty tail (NULL pointer) reads from. */
static const uint8_t no_tail[1];

/* Called with each piece of a row's BSATN in order; false stops the walk. */
typedef bool (*piece_fn)(void *ctx, const uint8_t *p, size_t n);

/* Length of the run of count tail columns starting with tail column k at
 * t[0..n). */
static int64_t tail_run(const store_heap_t *h, uint32_t k, uint32_t count, const uint8_t *t,
                        size_t n)
{
    const store_layout_t *l = h->layout;
    size_t off = 0;
    for (uint32_t i = 0; i < count; i++) {
        const store_col_layout_t *c = &l->cols[h->tail_cols[k + i]];
        int64_t s = span(l->ts, c->type, t + off, n - off, 0);
        if (NEVER(s < 0))
            return -1;
        off += (size_t)s;
    }
    return (int64_t)off;
}

/* Walk a live row's BSATN as pieces (invariant 5): 0 when done, 1 when fn
 * stopped, LC_ECORRUPT if the tail does not parse (a heap bug). */
static int pieces(const store_heap_t *h, uint32_t row, piece_fn fn, void *ctx)
{
    const uint8_t *slot = slot_ptr(h, row);
    uint8_t *t = NULL;
    uint32_t tlen = 0, tpos = 0, k = 0;
    if (h->layout->tail_offset >= 0)
        tail_get(h, slot, &t, &tlen);
    if (t == NULL)
        t = (uint8_t *)no_tail;
    for (uint32_t i = 0; i < h->nsegs; i++) {
        const seg_t *sg = &h->segs[i];
        const uint8_t *p = sg->tail ? t + tpos : slot + sg->off;
        int64_t n = sg->len;
        if (sg->tail) {
            n = i == h->last_tail_seg ? tlen - tpos : tail_run(h, k, sg->count, p, tlen - tpos);
            if (n < 0)
                return LC_ECORRUPT;
            tpos += (uint32_t)n;
            k += sg->count;
        }
        if (n > 0 && !fn(ctx, p, (size_t)n))
            return 1;
    }
    return 0;
}

static bool append_piece(void *ctx, const uint8_t *p, size_t n)
{
    return lc_buf_append(ctx, p, n) == 0;
}

int store_heap_read(const store_heap_t *h, uint32_t row, lc_buf_t *out)
{
    if (NEVER(!store_heap_is_live(h, row)))
        return LC_EINTERNAL;
    if (lc_buf_reserve(out, store_heap_row_len(h, row)) < 0)
        return LC_ENOMEM;
    int rc = pieces(h, row, append_piece, out);
    return rc == 1 ? LC_ENOMEM : rc;
}

size_t store_heap_row_len(const store_heap_t *h, uint32_t row)
{
    if (h->layout->tail_offset < 0)
        return h->fixed_bsatn;
    uint8_t *t;
    uint32_t len;
    tail_get(h, slot_ptr(h, row), &t, &len);
    return (size_t)h->fixed_bsatn + len;
}

const uint8_t *store_heap_col(const store_heap_t *h, uint32_t row, uint32_t col, size_t *len)
{
    const store_layout_t *l = h->layout;
    *len = 0;
    if (NEVER(col >= l->ncols || !store_heap_is_live(h, row)))
        return NULL;
    const store_col_layout_t *c = &l->cols[col];
    const uint8_t *slot = slot_ptr(h, row);
    if (c->fixed_size >= 0) {
        *len = (size_t)c->fixed_size;
        return slot + c->offset;
    }
    uint8_t *t;
    uint32_t tlen;
    tail_get(h, slot, &t, &tlen);
    if (t == NULL)
        t = (uint8_t *)no_tail;
    int64_t off = tail_run(h, 0, c->tail_index, t, tlen);
    if (off < 0)
        return NULL;
    int64_t n = c->tail_index + 1 == l->ntail
                    ? (int64_t)tlen - off
                    : tail_run(h, c->tail_index, 1, t + off, tlen - (size_t)off);
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    return t + off;
}

/* ---------------------------------------------------------------- hash, equality */

static bool hash_piece(void *ctx, const uint8_t *p, size_t n)
{
    hasher_feed(ctx, p, n);
    return true;
}

uint64_t store_heap_row_hash(const store_heap_t *h, uint32_t row)
{
    hasher_t hs;
    hasher_init(&hs, h->seed, store_heap_row_len(h, row));
    (void)pieces(h, row, hash_piece, &hs);
    return hasher_final(&hs);
}

uint64_t store_heap_hash_bsatn(const store_heap_t *h, const uint8_t *bsatn, size_t len)
{
    hasher_t hs;
    hasher_init(&hs, h->seed, len);
    hasher_feed(&hs, bsatn, len);
    return hasher_final(&hs);
}

typedef struct cmp_ctx {
    const uint8_t *p; /* the rest of the BSATN compared against */
} cmp_ctx_t;

static bool cmp_piece(void *ctx, const uint8_t *p, size_t n)
{
    cmp_ctx_t *c = ctx;
    if (memcmp(c->p, p, n) != 0)
        return false;
    c->p += n;
    return true;
}

bool store_heap_row_equals(const store_heap_t *h, uint32_t row, const uint8_t *bsatn, size_t len)
{
    if (store_heap_row_len(h, row) != len)
        return false;
    cmp_ctx_t c = {bsatn};
    return pieces(h, row, cmp_piece, &c) == 0;
}

/* ---------------------------------------------------------------- iteration */

bool store_heap_next(const store_heap_t *h, uint32_t *row)
{
    uint64_t start = *row == STORE_ROW_NONE ? 0 : (uint64_t)*row + 1;
    uint32_t p = (uint32_t)(start / h->spp), s = (uint32_t)(start % h->spp);
    for (; p < h->npages; p++, s = 0) {
        const page_t *pg = &h->pages[p];
        if (pg->mem == NULL || pg->live == 0)
            continue;
        const uint64_t *bm = bitmap(pg);
        for (uint32_t w = s / 64; w < h->words; w++) {
            uint64_t bits = bm[w] & (w == s / 64 ? ~0ULL << (s % 64) : ~0ULL);
            if (bits == 0)
                continue;
            uint32_t slot = w * 64 + (uint32_t)__builtin_ctzll(bits);
            if (slot >= h->spp)
                break; /* the always-set padding bits (invariant 1) */
            *row = p * h->spp + slot;
            return true;
        }
    }
    return false;
}

uint64_t store_heap_count(const store_heap_t *h)
{
    return h->count;
}

size_t store_heap_memory(const store_heap_t *h)
{
    size_t n = sizeof *h + (size_t)h->nalloc * h->page_bytes + h->slab_bytes + h->large_bytes;
    if (h->spare != NULL)
        n += h->page_bytes;
    n += (size_t)h->cap_pages * sizeof(page_t) + (size_t)h->cap_pages / 8;
    n += (size_t)h->cap_slabs * sizeof(uint8_t *);
    n += (size_t)(h->layout->ncols + 1) * (sizeof(seg_t) + 4) + (h->layout->ntail + 1) * 4;
    return n;
}
