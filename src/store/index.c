/*
 * One index's structure, behind one set of calls: a B+tree (ordered), a
 * hash index (points only), or a direct array (dense integer keys).
 *
 * Adaptive direct indexes: a unique index whose key is an integer of at
 * most 8 bytes (u8..u64, i8..i64, a unit-only enum) starts as a direct
 * array — one memory access per lookup or insert instead of a descent
 * through a tree.  The first insert that would make the array too sparse
 * (store_direct_insert's LC_ERANGE) moves the entries to a B+tree; the
 * B+tree moves back to an array when its keys become dense again (checked
 * when the entry count reaches a power of two, so the moves cost O(1)
 * amortised per insert).  Auto_inc ids stay in the array for good.
 */
#include <string.h>

#include "db_int.h"

/* Keys up to this many bytes are kept whole in B+tree entries. */
#define INLINE_KEY_MAX 32
/* Bytes of a longer key kept inline before the tree asks for the rest. */
#define INLINE_KEY_PREFIX 16
/* Below this many entries a B+tree is not worth moving to an array. */
#define DIRECT_MIN_ENTRIES 4096

static int fetch_key_cb(void *ctx, uint32_t row, lc_buf_t *out)
{
    return store__index_row_key(ctx, row, out);
}

static int64_t key_fixed_len(const store_index_t *ix)
{
    int64_t total = 0;
    for (uint16_t i = 0; i < ix->nkey_types; i++) {
        int64_t n = store_key_fixed_len(&ix->table->ts, ix->key_types[i]);
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}

static store_btree_t *new_btree(store_index_t *ix)
{
    int64_t fixed = key_fixed_len(ix);
    bool complete = fixed >= 0 && fixed <= INLINE_KEY_MAX;
    uint32_t width = complete ? (uint32_t)(fixed ? fixed : 1) : INLINE_KEY_PREFIX;
    return store_btree_new(width, complete, false, fetch_key_cb, ix);
}

int store__ix_create(store_index_t *ix)
{
    if (ix->algo == STORE_INDEX_HASH) {
        ix->hx = store_hashidx_new(false, fetch_key_cb, ix);
        return ix->hx ? LC_OK : LC_ENOMEM;
    }
    int64_t fixed = key_fixed_len(ix);
    ix->direct_len =
        ix->unique && ix->nkey_types == 1 && fixed >= 1 && fixed <= 8 ? (uint8_t)fixed : 0;
    if (ix->direct_len) {
        ix->dx = store_direct_new(ix->direct_len);
        return ix->dx ? LC_OK : LC_ENOMEM;
    }
    ix->bt = new_btree(ix);
    return ix->bt ? LC_OK : LC_ENOMEM;
}

void store__ix_free(store_index_t *ix)
{
    store_btree_free(ix->bt);
    store_hashidx_free(ix->hx);
    store_direct_free(ix->dx);
    ix->bt = NULL;
    ix->hx = NULL;
    ix->dx = NULL;
}

/* ---------------------------------------------------------------- moving */

static void track_range(store_index_t *ix, const uint8_t *key, size_t len)
{
    uint64_t v = store__load_be(key, len);
    if (ix->bt_entries == 0 || v < ix->kmin)
        ix->kmin = v;
    if (ix->bt_entries == 0 || v > ix->kmax)
        ix->kmax = v;
}

/* The array became too sparse: move every entry to a B+tree. */
static int direct_to_btree(store_index_t *ix)
{
    store_btree_t *bt = new_btree(ix);
    if (bt == NULL)
        return LC_ENOMEM;
    uint64_t pos = 0;
    uint8_t key[8];
    uint32_t row;
    int rc = LC_OK;
    ix->bt_entries = 0;
    while (rc == LC_OK && store_direct_next(ix->dx, &pos, key, &row)) {
        rc = store_btree_insert(bt, key, ix->direct_len, row, NULL);
        if (rc == LC_OK) {
            track_range(ix, key, ix->direct_len); /* first call sets both bounds */
            ix->bt_entries++;
        }
    }
    if (rc != LC_OK) {
        store_btree_free(bt);
        return rc;
    }
    store_direct_free(ix->dx);
    ix->dx = NULL;
    ix->bt = bt;
    return LC_OK;
}

typedef struct move_ctx {
    store_index_t *ix;
    store_direct_t *dx;
    lc_buf_t key;
    int rc;
} move_ctx_t;

static bool move_row(void *arg, uint32_t row)
{
    move_ctx_t *m = arg;
    lc_buf_reset(&m->key);
    m->rc = store__index_row_key(m->ix, row, &m->key);
    if (m->rc == LC_OK)
        m->rc = store_direct_insert(m->dx, m->key.data, m->key.len, row);
    return m->rc == LC_OK;
}

/* The tree's keys became dense: move them to an array if they fit. */
static void maybe_btree_to_direct(store_index_t *ix)
{
    uint64_t n = ix->bt_entries;
    if (n < DIRECT_MIN_ENTRIES || (n & (n - 1)) != 0 || ix->kmax - ix->kmin >= 2 * n + 4096)
        return;
    move_ctx_t m = {ix, store_direct_new(ix->direct_len), {0}, LC_OK};
    if (m.dx == NULL)
        return;
    store_bound_t all = {STORE_BOUND_UNBOUNDED, NULL, 0};
    store__ix_range(ix, &all, &all, move_row, &m);
    lc_buf_free(&m.key);
    if (m.rc != LC_OK) { /* not dense after all, or out of memory: stay a tree */
        store_direct_free(m.dx);
        return;
    }
    store_btree_free(ix->bt);
    ix->bt = NULL;
    ix->dx = m.dx;
}

/* ---------------------------------------------------------------- entries */

int store__ix_insert(store_index_t *ix, const uint8_t *key, size_t len, uint32_t r)
{
    if (ix->hx)
        return store_hashidx_insert(ix->hx, key, len, r, NULL);
    if (ix->dx) {
        int rc = store_direct_insert(ix->dx, key, len, r);
        if (rc != LC_ERANGE)
            return rc;
        if ((rc = direct_to_btree(ix)) != LC_OK)
            return rc;
    }
    int rc = store_btree_insert(ix->bt, key, len, r, NULL);
    if (rc == LC_OK && ix->direct_len) {
        track_range(ix, key, len);
        ix->bt_entries++;
        maybe_btree_to_direct(ix);
    }
    return rc;
}

int store__ix_remove(store_index_t *ix, const uint8_t *key, size_t len, uint32_t r)
{
    if (ix->hx)
        return store_hashidx_delete(ix->hx, key, len, r);
    if (ix->dx)
        return store_direct_delete(ix->dx, key, len, r);
    int rc = store_btree_delete(ix->bt, key, len, r);
    if (rc == LC_OK && ix->direct_len)
        ix->bt_entries--; /* the range stays as it was: a bound, not exact */
    return rc;
}

bool store__ix_find_one(store_index_t *ix, const uint8_t *key, size_t len, uint32_t *row)
{
    /* Only where the tree holds whole keys: a fetch there could fail (out of
     * memory) and find cannot report it, while the range walk can. */
    if (ix->bt && ix->int_width) {
        *row = store_btree_find(ix->bt, key, len);
        return true;
    }
    if (ix->dx) {
        *row = STORE_ROW_NONE;
        store_direct_lookup(ix->dx, key, len, store__first_row, row);
        return true;
    }
    return false;
}

bool store__first_row(void *arg, uint32_t row)
{
    *(uint32_t *)arg = row;
    return false;
}

int store__index_lookup(store_index_t *ix, const uint8_t *key, size_t len,
                        bool (*visit)(void *arg, uint32_t row), void *arg)
{
    if (ix->hx)
        return store_hashidx_lookup(ix->hx, key, len, visit, arg);
    if (ix->dx) {
        store_direct_lookup(ix->dx, key, len, visit, arg);
        return LC_OK;
    }
    store_bound_t b = {STORE_BOUND_INCLUDED, key, len};
    return store__ix_range(ix, &b, &b, visit, arg);
}

int store__ix_range(store_index_t *ix, const store_bound_t *lo, const store_bound_t *hi,
                    bool (*visit)(void *arg, uint32_t row), void *arg)
{
    if (ix->hx)
        return LC_EUNSUPPORTED;
    if (ix->dx) {
        store_direct_range(ix->dx, lo, hi, visit, arg);
        return LC_OK;
    }
    store_btree_iter_t it;
    store_btree_range(ix->bt, lo, hi, &it);
    uint32_t row;
    while (store_btree_iter_next(&it, &row))
        if (!visit(arg, row))
            break;
    int rc = it.err;
    store_btree_iter_done(&it);
    return rc;
}

size_t store__ix_memory(const store_index_t *ix)
{
    return ix->hx   ? store_hashidx_memory(ix->hx)
           : ix->dx ? store_direct_memory(ix->dx)
                    : store_btree_memory(ix->bt);
}
