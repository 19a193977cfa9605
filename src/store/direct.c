/*
 * direct.c — a direct-address index: an array of row ids indexed by key.
 *
 * A key of key_len bytes (1..8) is read as a big-endian unsigned integer v,
 * which is exactly memcmp order of the store's key encoding for u8..u64,
 * i8..i64 and unit-only enums.  The row of key v sits in slot v - base of
 * one array, so array order is key order and a point operation is one
 * array access.  The array re-bases and grows in either direction as keys
 * arrive, and shrinks when deletes leave it mostly empty.
 *
 * Slot (4 bytes), in an array of cap slots covering keys [base, base+cap):
 *
 *   offset  size  field
 *   0       4     row id of key base + i; STORE_ROW_NONE marks an empty slot
 *
 * Further rows with the same key (a row deleted in a transaction and its
 * replacement, both present for a while) go to an overflow map, rare by
 * design: lc_map keyed by the key's u64 value, holding an ovf_t:
 *
 *   offset  size   field
 *   0       4      n: rows held (>= 1)
 *   4       4      cap: room for rows
 *   8       4*cap  rows, in insertion order
 *
 * A lookup or range scan visits the array row of a key first, then its
 * overflow rows.  Deleting the array row promotes the first overflow row
 * into the slot, so a key with rows always has one in the array.
 *
 * Every update of a row by its key passes through the overflow (the new
 * version is inserted before the old one is deleted), so the overflow's
 * memory is recycled rather than freed: the map keeps a small slot array
 * when it empties, and one two-row block is kept as a spare.  Both go when
 * the last key does (invariant 1).
 *
 * Density rule (the header's), with nkeys the number of distinct keys:
 * after an insert, the keys present span at most 2 * nkeys + 4096 slots
 * (max - min + 1 <= limit(nkeys)).  An insert that would break it returns
 * LC_ERANGE with nothing changed; the table then moves the entries to a
 * B+tree.  Growth allocates max(needed, min(2 * cap, limit)) slots, so the
 * array itself never grows beyond the rule; appends double it (4 bytes per
 * key plus at most 2x slack).  Inserting a key that already has a row never
 * fails with LC_ERANGE: it does not widen the span.
 *
 * Shrinking: after a delete, an array of more than 4 * nkeys + 8192 slots is
 * reallocated to max(span, limit(nkeys)) slots if that at least halves it;
 * the last delete frees it.  If deletes leave a few keys spread far apart
 * (span > limit), the array cannot shrink, and the next insert of a new
 * key returns LC_ERANGE (so memory follows the data after the migration).
 *
 * Invariants:
 *   1. nkeys == 0 exactly when the array is freed (slots NULL, cap 0); then
 *      the overflow map is empty and freed too, and there is no spare.
 *   2. When nkeys > 0, lo and hi are the first and last occupied slots,
 *      exactly (deletes at either end scan to the next occupied slot).
 *   3. Exactly nkeys slots are occupied; count = nkeys + overflow rows.
 *   4. base + cap - 1 <= dmax (the largest key_len-byte key) and
 *      cap <= 2^32, so a slot index fits in 32 bits (store_direct_next
 *      packs (slot, row-of-key) into its u64 position).
 *   5. Every overflow entry's key has an occupied slot, and no (key, row)
 *      appears twice between the slot and the overflow rows.
 *   6. After every successful insert, hi - lo + 1 <= 2 * nkeys + 4096.
 *
 * Costs: insert, delete and lookup are O(1), plus an overflow-map probe
 * only while the map is non-empty, and an empty-slot scan when the first or
 * last key is deleted (amortized over the deletes; a key inserted far from
 * the others and deleted again pays the distance, bounded by the array).
 * Range scans skip empty slots eight at a time; the density rule bounds
 * the empty slots at about one per key plus 4096.  Growth failures
 * (LC_ENOMEM) leave the index unchanged; deletes never fail for lack of
 * memory (a shrink that cannot allocate is skipped).
 *
 * Reads (lookup, range, next, count, memory) change nothing, so readers
 * may share the index; visit callbacks must not modify it.
 */
#include <string.h>

#include "store/store_int.h"

#define INIT_CAP      16
#define GROW_SLACK    4096 /* limit(n) = 2n + GROW_SLACK */
#define SHRINK_SLACK  8192 /* shrink when cap > 4n + SHRINK_SLACK */
#define MAX_CAP       (1ULL << 32)
#define MAP_SLOT      32 /* sizeof(lc_map_slot_t): hash, key, klen, value */
#define OVF_SPARE_CAP 2  /* the first block of a key; the one kept spare */
#define OVF_KEEP_MAP  64 /* an emptied overflow map keeps up to this many slots */

typedef struct ovf {
    uint32_t n;
    uint32_t cap;
    uint32_t rows[];
} ovf_t;

struct store_direct {
    uint32_t *slots; /* cap row ids, slot i for key base + i */
    uint64_t base;
    uint64_t cap;
    uint64_t lo, hi;  /* first and last occupied slot (invariant 2) */
    uint64_t nkeys;   /* occupied slots */
    uint64_t count;   /* entries: nkeys + overflow rows */
    uint64_t dmax;    /* largest key: 2^(8 * key_len) - 1 */
    uint32_t key_len; /* 1..8 */
    lc_map_t ovf;     /* key value -> ovf_t * */
    size_t ovf_bytes; /* bytes of ovf_t blocks, the spare included */
    ovf_t *spare;     /* a free block of OVF_SPARE_CAP rows, or NULL */
};

/* ---------------------------------------------------------------- helpers */

static inline uint64_t load_key(const store_direct_t *d, const uint8_t *p)
{
    return store__load_be(p, d->key_len);
}

static void put_key(const store_direct_t *d, uint64_t v, uint8_t *out)
{
    for (uint32_t i = d->key_len; i-- > 0; v >>= 8) out[i] = (uint8_t)v;
}

static inline uint64_t limit(uint64_t nkeys)
{
    return 2 * nkeys + GROW_SLACK;
}

/* The first occupied slot in [i, end), or end. */
static uint64_t skip_up(const uint32_t *s, uint64_t i, uint64_t end)
{
    if (i < end && s[i] != STORE_ROW_NONE)
        return i;
    while (i + 8 <= end) {
        uint64_t w[4];
        memcpy(w, s + i, sizeof w);
        if ((w[0] & w[1] & w[2] & w[3]) != UINT64_MAX)
            break;
        i += 8;
    }
    while (i < end && s[i] == STORE_ROW_NONE) i++;
    return i;
}

/* The last occupied slot in [floor, i]; slot floor must be occupied. */
static uint64_t skip_down(const uint32_t *s, uint64_t i, uint64_t floor)
{
    while (i >= floor + 8) {
        uint64_t w[4];
        memcpy(w, s + i - 7, sizeof w);
        if ((w[0] & w[1] & w[2] & w[3]) != UINT64_MAX)
            break;
        i -= 8;
    }
    while (s[i] == STORE_ROW_NONE) i--;
    return i;
}

/* Move the array to cover [nb, nb + ncap), keeping every occupied slot.
 * The new range must hold [base + lo, base + hi].  LC_ENOMEM leaves the
 * index unchanged. */
static int relocate(store_direct_t *d, uint64_t nb, uint64_t ncap)
{
    uint64_t n = d->nkeys ? d->hi - d->lo + 1 : 0;
    uint64_t from = d->lo, to = d->nkeys ? d->base + d->lo - nb : 0;
    uint32_t *s;
    if (ncap >= d->cap) {
        s = lc_realloc(d->slots, (size_t)ncap * sizeof *s);
        if (s == NULL)
            return LC_ENOMEM;
        if (n > 0 && to != from)
            memmove(s + to, s + from, (size_t)n * sizeof *s);
    } else {
        s = lc_malloc((size_t)ncap * sizeof *s);
        if (s == NULL)
            return LC_ENOMEM;
        if (n > 0)
            memcpy(s + to, d->slots + from, (size_t)n * sizeof *s);
        lc_free(d->slots);
    }
    memset(s, 0xFF, (size_t)to * sizeof *s);
    memset(s + to + n, 0xFF, (size_t)(ncap - to - n) * sizeof *s);
    d->slots = s;
    d->base = nb;
    d->cap = ncap;
    if (n > 0) {
        d->lo = to;
        d->hi = to + n - 1;
    }
    return LC_OK;
}

/* n slots (n >= 1), but no more than there are keys. */
static uint64_t in_domain(const store_direct_t *d, uint64_t n)
{
    return n - 1 > d->dmax ? d->dmax + 1 : n;
}

/* Base nb for ncap slots, moved down if the array would pass the largest
 * key (invariant 4). */
static uint64_t clamp_base(const store_direct_t *d, uint64_t nb, uint64_t ncap)
{
    return nb > d->dmax - (ncap - 1) ? d->dmax - (ncap - 1) : nb;
}

/* Make the array cover key v, which lies outside it and is new: LC_ERANGE
 * if the density rule forbids it (invariant 6), LC_ENOMEM, or 0. */
static int grow_for(store_direct_t *d, uint64_t v)
{
    uint64_t lo = v, hi = v;
    if (d->nkeys > 0) {
        lo = LC_MIN(v, d->base + d->lo);
        hi = LC_MAX(v, d->base + d->hi);
    }
    uint64_t lim = LC_MIN(limit(d->nkeys + 1), MAX_CAP);
    if (hi - lo >= lim)
        return LC_ERANGE;
    uint64_t ncap = LC_MAX(LC_MIN(d->cap ? 2 * d->cap : INIT_CAP, lim), hi - lo + 1);
    ncap = in_domain(d, ncap);
    /* slack goes where the keys are heading: above on the way up */
    uint64_t nb = lo;
    if (d->nkeys > 0 && v < d->base)
        nb = hi >= ncap - 1 ? hi - (ncap - 1) : 0;
    return relocate(d, clamp_base(d, nb, ncap), ncap);
}

static void ovf_release(store_direct_t *d);

/* After a delete: give memory back when the array is mostly empty. */
static void maybe_shrink(store_direct_t *d)
{
    if (d->nkeys == 0) {
        ovf_release(d);
        lc_free(d->slots);
        d->slots = NULL;
        d->base = d->cap = d->lo = d->hi = 0;
        return;
    }
    if (d->cap <= 4 * d->nkeys + SHRINK_SLACK)
        return;
    uint64_t span = d->hi - d->lo + 1;
    uint64_t ncap = LC_MAX(span, in_domain(d, limit(d->nkeys)));
    if (2 * ncap > d->cap)
        return; /* too spread out: the next insert will say LC_ERANGE */
    (void)relocate(d, clamp_base(d, d->base + d->lo, ncap), ncap);
}

/* ---------------------------------------------------------------- overflow */

static ovf_t *ovf_get(const store_direct_t *d, uint64_t v)
{
    return lc_map_count(&d->ovf) ? lc_map_get_u64(&d->ovf, v) : NULL;
}

static bool ovf_has(const ovf_t *o, uint32_t row)
{
    for (uint32_t j = 0; o != NULL && j < o->n; j++) {
        if (o->rows[j] == row)
            return true;
    }
    return false;
}

/* Give up block o, which is counted in ovf_bytes (keep: it was in use):
 * keep it as the spare if it fits, else free it. */
static void ovf_drop(store_direct_t *d, ovf_t *o, bool keep)
{
    if (keep && o->cap == OVF_SPARE_CAP && d->spare == NULL) {
        d->spare = o;
        return;
    }
    d->ovf_bytes -= sizeof *o + (size_t)o->cap * sizeof o->rows[0];
    lc_free(o);
}

/* Append row to key v's overflow rows.  A full block is replaced by a
 * bigger copy, swapped into the map before the old one is freed, so
 * LC_ENOMEM changes nothing. */
static int ovf_add(store_direct_t *d, uint64_t v, uint32_t row)
{
    ovf_t *o = ovf_get(d, v);
    if (o != NULL && o->n < o->cap) {
        o->rows[o->n++] = row;
        return LC_OK;
    }
    uint32_t n = o ? o->n : 0, cap = o ? o->cap : 0;
    uint32_t ncap = (uint32_t)LC_MIN(cap ? 2 * (uint64_t)cap : OVF_SPARE_CAP, UINT32_MAX);
    size_t bytes = sizeof(ovf_t) + (size_t)ncap * sizeof(uint32_t);
    bool spare = ncap == OVF_SPARE_CAP && d->spare != NULL; /* already counted */
    ovf_t *no = spare ? d->spare : lc_malloc(bytes);
    if (no == NULL)
        return LC_ENOMEM;
    if (n > 0)
        memcpy(no->rows, o->rows, (size_t)n * sizeof no->rows[0]);
    no->rows[n] = row;
    no->n = n + 1;
    no->cap = ncap;
    if (lc_map_put_u64(&d->ovf, v, no) < 0) {
        if (!spare)
            lc_free(no);
        return LC_ENOMEM;
    }
    if (spare)
        d->spare = NULL;
    else
        d->ovf_bytes += bytes;
    if (o != NULL)
        ovf_drop(d, o, true);
    return LC_OK;
}

/* Remove overflow row j of key v; the block goes with its last row. */
static void ovf_remove(store_direct_t *d, uint64_t v, ovf_t *o, uint32_t j)
{
    memmove(o->rows + j, o->rows + j + 1, (size_t)(o->n - j - 1) * sizeof o->rows[0]);
    if (--o->n > 0)
        return;
    lc_map_del_u64(&d->ovf, v);
    if (lc_map_count(&d->ovf) == 0 && d->ovf.cap > OVF_KEEP_MAP)
        lc_map_free(&d->ovf); /* the seed stays: the map remains usable */
    ovf_drop(d, o, true);
}

/* No overflow left and no key: free what was kept for reuse. */
static void ovf_release(store_direct_t *d)
{
    if (d->spare != NULL) {
        d->ovf_bytes -= sizeof *d->spare + OVF_SPARE_CAP * sizeof d->spare->rows[0];
        lc_free(d->spare);
        d->spare = NULL;
    }
    if (lc_map_count(&d->ovf) == 0)
        lc_map_free(&d->ovf);
}

/* Visit key v's overflow rows; false if visit asked to stop. */
static bool ovf_visit(const store_direct_t *d, uint64_t v, bool (*visit)(void *, uint32_t),
                      void *arg)
{
    const ovf_t *o = ovf_get(d, v);
    for (uint32_t j = 0; o != NULL && j < o->n; j++) {
        if (!visit(arg, o->rows[j]))
            return false;
    }
    return true;
}

/* ---------------------------------------------------------------- lifecycle */

store_direct_t *store_direct_new(uint32_t key_len)
{
    if (key_len < 1 || key_len > 8)
        return NULL;
    store_direct_t *d = lc_calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->key_len = key_len;
    d->dmax = key_len == 8 ? UINT64_MAX : (1ULL << (8 * key_len)) - 1;
    lc_map_init(&d->ovf);
    return d;
}

void store_direct_free(store_direct_t *d)
{
    if (d == NULL)
        return;
    size_t pos = 0;
    void *val;
    while (lc_map_next(&d->ovf, &pos, NULL, NULL, &val)) lc_free(val);
    lc_map_free(&d->ovf);
    lc_free(d->spare);
    lc_free(d->slots);
    lc_free(d);
}

uint64_t store_direct_count(const store_direct_t *d)
{
    return d->count;
}

size_t store_direct_memory(const store_direct_t *d)
{
    size_t map = d->ovf.cap * MAP_SLOT + lc_map_count(&d->ovf) * 16; /* + key copies */
    return sizeof *d + (size_t)d->cap * sizeof d->slots[0] + map + d->ovf_bytes;
}

/* ---------------------------------------------------------------- insert, delete */

/* Key v already has a row in slot *slot: add row to its overflow. */
static int add_shared(store_direct_t *d, uint64_t v, uint32_t first, uint32_t row)
{
    if (first == row || ovf_has(ovf_get(d, v), row))
        return LC_EEXIST;
    int rc = ovf_add(d, v, row);
    if (rc == LC_OK)
        d->count++;
    return rc;
}

int store_direct_insert(store_direct_t *d, const uint8_t *key, size_t len, uint32_t row)
{
    if (len != d->key_len || row == STORE_ROW_NONE)
        return LC_EINVAL;
    uint64_t v = load_key(d, key);
    uint64_t i = v - d->base;
    if (v < d->base || i >= d->cap) {
        int rc = grow_for(d, v);
        if (rc < 0)
            return rc;
        i = v - d->base;
    }
    uint32_t *slot = &d->slots[i];
    if (*slot != STORE_ROW_NONE)
        return add_shared(d, v, *slot, row);
    if (d->nkeys == 0) {
        d->lo = d->hi = i;
    } else {
        uint64_t lo = LC_MIN(d->lo, i), hi = LC_MAX(d->hi, i);
        if (hi - lo >= limit(d->nkeys + 1))
            return LC_ERANGE;
        d->lo = lo;
        d->hi = hi;
    }
    *slot = row;
    d->nkeys++;
    d->count++;
    return LC_OK;
}

/* Empty slot i (no overflow rows) and restore invariants 1 and 2. */
static void clear_slot(store_direct_t *d, uint64_t i)
{
    d->slots[i] = STORE_ROW_NONE;
    d->nkeys--;
    if (d->nkeys > 0 && i == d->lo)
        d->lo = skip_up(d->slots, i + 1, d->hi + 1);
    else if (d->nkeys > 0 && i == d->hi)
        d->hi = skip_down(d->slots, i - 1, d->lo);
    maybe_shrink(d);
}

int store_direct_delete(store_direct_t *d, const uint8_t *key, size_t len, uint32_t row)
{
    if (len != d->key_len)
        return LC_EINVAL;
    uint64_t v = load_key(d, key);
    uint64_t i = v - d->base;
    if (v < d->base || i >= d->cap || d->slots[i] == STORE_ROW_NONE)
        return LC_ENOTFOUND;
    ovf_t *o = ovf_get(d, v);
    if (d->slots[i] == row) {
        if (o != NULL) {
            d->slots[i] = o->rows[0]; /* promote */
            ovf_remove(d, v, o, 0);
        } else {
            clear_slot(d, i);
        }
        d->count--;
        return LC_OK;
    }
    for (uint32_t j = 0; o != NULL && j < o->n; j++) {
        if (o->rows[j] == row) {
            ovf_remove(d, v, o, j);
            d->count--;
            return LC_OK;
        }
    }
    return LC_ENOTFOUND;
}

/* ---------------------------------------------------------------- read */

void store_direct_lookup(const store_direct_t *d, const uint8_t *key, size_t len,
                         bool (*visit)(void *arg, uint32_t row), void *arg)
{
    if (len != d->key_len)
        return;
    uint64_t v = load_key(d, key);
    uint64_t i = v - d->base;
    if (v < d->base || i >= d->cap || d->slots[i] == STORE_ROW_NONE)
        return;
    if (visit(arg, d->slots[i]))
        (void)ovf_visit(d, v, visit, arg);
}

/* The keys starting with prefix p (len <= key_len) are [*min, *max]. */
static void prefix_span(const store_direct_t *d, const uint8_t *p, size_t len, uint64_t *min,
                        uint64_t *max)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) v = v << 8 | p[i];
    uint32_t free_bits = 8 * (d->key_len - (uint32_t)len);
    *min = free_bits == 64 ? 0 : v << free_bits;
    *max = *min | (free_bits == 64 ? UINT64_MAX : (1ULL << free_bits) - 1);
}

/* The smallest key a lower bound admits; false if it admits none.  A bound
 * longer than key_len sorts after the key of its first key_len bytes, q,
 * and no key starts with it: both kinds mean keys > q. */
static bool lower_key(const store_direct_t *d, const store_bound_t *b, uint64_t *out)
{
    uint64_t min, max;
    *out = 0;
    if (b == NULL || b->kind == STORE_BOUND_UNBOUNDED)
        return true;
    if (b->len > d->key_len) {
        min = max = load_key(d, b->key);
    } else {
        prefix_span(d, b->key, b->len, &min, &max);
        if (b->kind == STORE_BOUND_INCLUDED) {
            *out = min;
            return true;
        }
    }
    *out = max + 1;
    return max < d->dmax;
}

/* The largest key an upper bound admits; false if it admits none.  A bound
 * longer than key_len: both kinds mean keys <= q. */
static bool upper_key(const store_direct_t *d, const store_bound_t *b, uint64_t *out)
{
    uint64_t min, max;
    *out = d->dmax;
    if (b == NULL || b->kind == STORE_BOUND_UNBOUNDED)
        return true;
    if (b->len > d->key_len) {
        *out = load_key(d, b->key);
        return true;
    }
    prefix_span(d, b->key, b->len, &min, &max);
    *out = b->kind == STORE_BOUND_INCLUDED ? max : min - 1;
    return b->kind == STORE_BOUND_INCLUDED || min > 0;
}

void store_direct_range(const store_direct_t *d, const store_bound_t *lo, const store_bound_t *hi,
                        bool (*visit)(void *arg, uint32_t row), void *arg)
{
    uint64_t a, b;
    if (d->nkeys == 0 || !lower_key(d, lo, &a) || !upper_key(d, hi, &b))
        return;
    a = LC_MAX(a, d->base + d->lo);
    b = LC_MIN(b, d->base + d->hi);
    if (a > b)
        return;
    bool ovf = lc_map_count(&d->ovf) > 0;
    uint64_t end = b - d->base + 1;
    for (uint64_t i = skip_up(d->slots, a - d->base, end); i < end;
         i = skip_up(d->slots, i + 1, end)) {
        if (!visit(arg, d->slots[i]))
            return;
        if (ovf && !ovf_visit(d, d->base + i, visit, arg))
            return;
    }
}

/* *pos packs (slot << 32 | j): j = 0 for the slot's row, j >= 1 for
 * overflow row j - 1 (invariant 4 keeps slot < 2^32). */
bool store_direct_next(const store_direct_t *d, uint64_t *pos, uint8_t *key, uint32_t *row)
{
    if (d->nkeys == 0)
        return false;
    uint64_t i = *pos >> 32, j = *pos & UINT32_MAX;
    if (i < d->lo) {
        i = d->lo;
        j = 0;
    }
    for (; i <= d->hi; i = skip_up(d->slots, i + 1, d->hi + 1), j = 0) {
        uint32_t r = d->slots[i];
        if (r == STORE_ROW_NONE)
            continue;
        if (j > 0) {
            const ovf_t *o = ovf_get(d, d->base + i);
            if (o == NULL || j > o->n)
                continue;
            r = o->rows[j - 1];
        }
        put_key(d, d->base + i, key);
        *row = r;
        *pos = i << 32 | (j + 1);
        return true;
    }
    return false;
}
