/*
 * hashidx.c — a hash index: open addressing over (key hash, row) slots.
 *
 * The index keeps no keys.  A slot holds 32 bits of the key's hash and the
 * row id; a lookup walks the probe sequence from the key's home slot and
 * asks the table for the key of every row whose stored hash matches
 * (fetch), so a false hash match costs one fetch and nothing more.
 *
 * Slot (8 bytes), in an array of cap slots (cap a power of two, or 0):
 *
 *   offset  size  field
 *   0       4     h: lc_hash_bytes(key, seed) folded to 32 bits
 *   4       4     row; STORE_ROW_NONE marks an empty slot
 *
 * The home slot of a hash is h & (cap - 1); probing is linear.  Because h
 * is kept, a resize never fetches a key.  The seed is random per index, so
 * keys chosen by a client cannot be aimed at one probe chain.
 *
 * Invariants:
 *   1. Every live entry sits in the probe run that starts at its home slot:
 *      no empty slot lies between its home and its position (cyclically).
 *   2. Deletion shifts later entries of the run back (no tombstones), so a
 *      probe never walks over dead slots and churn cannot degrade lookups.
 *   3. count <= 3/4 cap after every insert; after a delete the table halves
 *      when it is under 1/8 full and is freed when empty (cap 0).
 *   4. No two slots hold the same (h, row); in a unique index no two slots
 *      hold rows with equal keys.
 *
 * Non-unique indexes keep one slot per (key, row): a key held by k rows
 * forms a run of k slots, so heavily duplicated keys make long runs (use a
 * B+tree for low-cardinality columns).  Insert and delete of a non-unique
 * entry never fetch: they match on (h, row).
 *
 * fetch is called only for rows in the index (a unique insert, a lookup),
 * so the table must delete a row's entry before freeing the row.  A lookup's
 * visit callback must not modify the index.
 *
 * Fetch errors: an insert or delete returns them unchanged with nothing
 * modified; a lookup treats a row whose key cannot be fetched as not
 * matching (lookup has no error channel).
 */
#include <string.h>

#include "store/store_int.h"

#define MIN_CAP 16
#define MAX_CAP (1ULL << 32)

typedef struct hslot {
    uint32_t h;
    uint32_t row;
} hslot_t;

struct store_hashidx {
    hslot_t *slots;
    uint64_t cap;
    uint64_t count;
    uint64_t seed;
    uint32_t hmask; /* all ones except in tests */
    bool unique;
    store_key_fetch_cb fetch;
    void *ctx;
    lc_buf_t scratch;
};

static uint32_t key_hash(const store_hashidx_t *hx, const uint8_t *key, size_t len)
{
    uint64_t h = lc_hash_bytes(key, len, hx->seed);
    return (uint32_t)(h ^ h >> 32) & hx->hmask;
}

store_hashidx_t *store_hashidx_new(bool unique, store_key_fetch_cb fetch, void *ctx)
{
    store_hashidx_t *hx = lc_calloc(1, sizeof *hx);
    if (hx == NULL)
        return NULL;
    hx->unique = unique;
    hx->fetch = fetch;
    hx->ctx = ctx;
    hx->hmask = UINT32_MAX;
    if (lc_random_bytes(&hx->seed, sizeof hx->seed) < 0)
        hx->seed = lc_hash_u64((uint64_t)(uintptr_t)hx ^ (uint64_t)lc_now_mono_us());
    return hx;
}

void store_hashidx_free(store_hashidx_t *hx)
{
    if (hx == NULL)
        return;
    lc_free(hx->slots);
    lc_buf_free(&hx->scratch);
    lc_free(hx);
}

uint64_t store_hashidx_count(const store_hashidx_t *hx)
{
    return hx->count;
}

size_t store_hashidx_memory(const store_hashidx_t *hx)
{
    return sizeof *hx + hx->cap * sizeof(hslot_t) + hx->scratch.cap;
}

void store_hashidx_weaken_for_test(store_hashidx_t *hx, uint32_t bits)
{
    if (hx->count == 0)
        hx->hmask = bits >= 32 ? UINT32_MAX : (1u << bits) - 1;
}

/* Rebuild the table with newcap slots (no fetches: h is stored). */
static int resize(store_hashidx_t *hx, uint64_t newcap)
{
    hslot_t *ns = lc_malloc(newcap * sizeof *ns);
    if (ns == NULL)
        return LC_ENOMEM;
    memset(ns, 0xFF, newcap * sizeof *ns);
    uint64_t mask = newcap - 1;
    for (uint64_t i = 0; i < hx->cap; i++) {
        hslot_t s = hx->slots[i];
        if (s.row == STORE_ROW_NONE)
            continue;
        uint64_t j = s.h & mask;
        while (ns[j].row != STORE_ROW_NONE) j = (j + 1) & mask;
        ns[j] = s;
    }
    lc_free(hx->slots);
    hx->slots = ns;
    hx->cap = newcap;
    return 0;
}

/* Whether row's key equals key; a fetch error is returned negative. */
/* 1 if row's key equals key, 0 if not, or the fetch's error.  buf is the
 * caller's: lookups run on reader threads at the same time, so they must
 * not share the index's scratch. */
static int key_equals(const store_hashidx_t *hx, lc_buf_t *buf, uint32_t row, const uint8_t *key,
                      size_t len)
{
    lc_buf_reset(buf);
    int rc = hx->fetch ? hx->fetch(hx->ctx, row, buf) : LC_EINVAL;
    if (rc < 0)
        return rc;
    return buf->len == len && (len == 0 || memcmp(buf->data, key, len) == 0);
}

int store_hashidx_insert(store_hashidx_t *hx, const uint8_t *key, size_t len, uint32_t row,
                         uint32_t *existing)
{
    if (existing != NULL)
        *existing = STORE_ROW_NONE;
    if (row == STORE_ROW_NONE)
        return LC_EINVAL;
    if ((hx->count + 1) * 4 > hx->cap * 3) {
        if (hx->cap >= MAX_CAP)
            return LC_ERANGE;
        int rc = resize(hx, hx->cap ? hx->cap * 2 : MIN_CAP);
        if (rc < 0)
            return rc;
    }
    uint32_t h = key_hash(hx, key, len);
    uint64_t mask = hx->cap - 1, i = h & mask;
    for (; hx->slots[i].row != STORE_ROW_NONE; i = (i + 1) & mask) {
        hslot_t s = hx->slots[i];
        if (s.h != h)
            continue;
        int eq = s.row == row ? 1 : hx->unique ? key_equals(hx, &hx->scratch, s.row, key, len) : 0;
        if (eq < 0)
            return eq;
        if (eq) {
            if (existing != NULL)
                *existing = s.row;
            return LC_EEXIST;
        }
    }
    hx->slots[i] = (hslot_t){.h = h, .row = row};
    hx->count++;
    return 0;
}

/* Empty slot i, shifting back the entries after it that may move. */
static void remove_at(store_hashidx_t *hx, uint64_t i)
{
    uint64_t mask = hx->cap - 1, j = i;
    for (;;) {
        j = (j + 1) & mask;
        hslot_t s = hx->slots[j];
        if (s.row == STORE_ROW_NONE)
            break;
        uint64_t home = s.h & mask;
        /* s may move to i unless its home lies cyclically in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            hx->slots[i] = s;
            i = j;
        }
    }
    hx->slots[i].row = STORE_ROW_NONE;
    hx->slots[i].h = UINT32_MAX;
}

int store_hashidx_delete(store_hashidx_t *hx, const uint8_t *key, size_t len, uint32_t row)
{
    if (hx->count == 0)
        return LC_ENOTFOUND;
    uint32_t h = key_hash(hx, key, len);
    uint64_t mask = hx->cap - 1, i = h & mask;
    for (; hx->slots[i].row != STORE_ROW_NONE; i = (i + 1) & mask) {
        if (hx->slots[i].h == h && hx->slots[i].row == row)
            break;
    }
    if (hx->slots[i].row == STORE_ROW_NONE)
        return LC_ENOTFOUND;
    remove_at(hx, i);
    hx->count--;
    if (hx->count == 0) {
        lc_free(hx->slots);
        hx->slots = NULL;
        hx->cap = 0;
    } else if (hx->cap > MIN_CAP && hx->count * 8 < hx->cap) {
        (void)resize(hx, hx->cap / 2); /* on failure keep the larger table */
    }
    return 0;
}

int store_hashidx_lookup(store_hashidx_t *hx, const uint8_t *key, size_t len,
                         bool (*visit)(void *arg, uint32_t row), void *arg)
{
    if (hx->count == 0)
        return LC_OK;
    uint8_t small[64];
    lc_buf_t buf;
    lc_buf_init_with(&buf, small, sizeof small);
    uint32_t h = key_hash(hx, key, len);
    uint64_t mask = hx->cap - 1;
    int rc = LC_OK;
    for (uint64_t i = h & mask; hx->slots[i].row != STORE_ROW_NONE; i = (i + 1) & mask) {
        hslot_t s = hx->slots[i];
        if (s.h != h)
            continue;
        int eq = key_equals(hx, &buf, s.row, key, len);
        if (eq < 0) {
            rc = eq; /* a key that cannot be read is an error, not a miss */
            break;
        }
        if (eq && (!visit(arg, s.row) || hx->unique))
            break;
    }
    lc_buf_free(&buf);
    return rc;
}
