/*
 * Row writes inside the mutable transaction: insert (with sequences, set
 * semantics and unique checks), update through a unique index, deletes and
 * clear.  module-abi.md §3.5, §3.6, §6.6 and §6.7 are the contract.
 *
 * Insert, as numbered steps:
 *   1. Check that the bytes are exactly one row of the table's type.
 *   2. Fill every auto_inc column given as zero from its sequence.
 *   3. Place the row in the heap (cheap), so that keys are read uniformly
 *      from stored rows.
 *   4. Set semantics: if an identical row is live, drop the new copy: a
 *      successful no-op.  If an identical row was deleted earlier in this
 *      transaction, un-delete it instead.
 *   5. Unique constraints: any live row with the same key under a unique
 *      index is a violation; the new copy is dropped.
 *   6. Add the row to every index and record it in the undo log.
 *
 * Update finds the live row with the new row's key under the unique index.
 * If no indexed column changes, the new bytes fit the row's storage, no
 * view is open and no identical row was deleted earlier in the
 * transaction, the row is rewritten in place (db_int.h invariant 6): no
 * new slot, no index entries, nothing to free at commit.  Otherwise it is
 * a delete and an insert.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "db_int.h"

#define SEQUENCE_ALLOCATION_STEP 4096

/* What probing one key found among the rows other than self: rows deleted
 * by the transaction at offset T count only when byte-equal (T = 0: none
 * count). */
typedef struct probe {
    store_table_t *t;
    uint32_t self;
    const uint8_t *row;
    size_t len;
    uint64_t T;
    uint32_t identical; /* byte-equal row, live or deleted by this tx */
    bool identical_live;
    uint32_t conflict; /* a live row that is not byte-equal */
} probe_t;

static bool visit_probe(void *arg, uint32_t r)
{
    probe_t *p = arg;
    store_table_t *t = p->t;
    uint64_t xmax = t->ndead ? t->xmax[r] : 0;
    if (r == p->self || (xmax != 0 && xmax != p->T))
        return true;
    if (!store_heap_row_equals(t->heap, r, p->row, p->len)) {
        if (xmax == 0)
            p->conflict = r;
        return xmax != 0;
    }
    p->identical = r;
    p->identical_live = xmax == 0;
    return !p->identical_live;
}

static int check_row(store_table_t *t, const uint8_t *row, size_t len, lc_err_t *err)
{
    if (t->plain_len >= 0 && len == (size_t)t->plain_len)
        return LC_OK;
    lc_rd_t r = lc_rd_make(row, len);
    lc_err_t e;
    if (sats_bsatn_skip(&r, &t->ts, t->row_type, &e) != LC_OK)
        return lc_err_set(err, LC_ECORRUPT, "row for table %s does not decode: %s", t->name, e.msg);
    if (r.len != 0)
        return lc_err_set(err, LC_ECORRUPT, "row for table %s has %zu bytes left over", t->name,
                          r.len);
    return LC_OK;
}

/* ---------------------------------------------------------------- sequences */

static int int_width(const store_table_t *t, uint16_t col)
{
    const sats_type_t *rt = sats_resolve(&t->ts, t->row_type);
    return sats_prim_size(sats_resolve(&t->ts, rt->u.fields.items[col].type)->kind);
}

static __int128 sequence_take(store_sequence_t *s)
{
    __int128 v = s->next;
    __int128 next = v + s->increment;
    if (s->increment > 0 && (next > s->max_value || next < v))
        next = s->min_value;
    else if (s->increment < 0 && (next < s->min_value || next > v))
        next = s->max_value;
    s->next = next;
    return v;
}

/* Persist a new allocation mark before handing out values past the old one
 * (engine.md §1.4), so a restart never reissues a committed value. */
static int sequence_ensure_allocated(store_tx_t *tx, store_sequence_t *s, __int128 v, lc_err_t *err)
{
    bool inside = s->increment > 0 ? v < s->allocated : v > s->allocated;
    if (inside)
        return LC_OK;
    undo_entry_t e = {.kind = UNDO_SEQ_ALLOC, .seq = s, .old_allocated = s->allocated};
    int rc = store__tx_push_undo(tx, &e, err);
    if (rc != LC_OK)
        return rc;
    s->allocated = v + (__int128)SEQUENCE_ALLOCATION_STEP * s->increment;
    return store__catalog_update_sequence(tx, s, err);
}

static bool bytes_zero(const uint8_t *p, int n)
{
    for (int i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Step 2: returns the row to store (a copy in the tx arena when a value was
 * generated) and the BSATN of the generated values in column order. */
static int fill_sequences(store_tx_t *tx, store_table_t *t, const uint8_t **row, size_t *len,
                          store_insert_result_t *res, lc_err_t *err)
{
    res->generated = NULL;
    res->generated_len = 0;
    if (t->nseqs == 0)
        return LC_OK;
    size_t offs[t->layout.ncols + 1];
    if (store__row_offsets(t, *row, *len, offs) != LC_OK)
        return lc_err_set(err, LC_ECORRUPT, "row for table %s does not decode", t->name);
    uint8_t *copy = NULL, *gen = lc_arena_alloc(&tx->arena, 16 * t->nseqs);
    uint32_t gen_len = 0;
    if (gen == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    for (uint16_t col = 0; col < t->layout.ncols; col++) { /* column order */
        for (uint32_t i = 0; i < t->nseqs; i++) {
            store_sequence_t *s = &t->seqs[i];
            if (s->col != col)
                continue;
            int w = int_width(t, col);
            if (!bytes_zero(*row + offs[col], w))
                continue;
            if (copy == NULL && (copy = lc_arena_memdup(&tx->arena, *row, *len)) == NULL)
                return lc_err_set(err, LC_ENOMEM, "out of memory");
            __int128 v = sequence_take(s);
            int rc = sequence_ensure_allocated(tx, s, v, err);
            if (rc != LC_OK)
                return rc;
            for (int b = 0; b < w; b++) {
                uint8_t byte = (uint8_t)((unsigned __int128)v >> (8 * b));
                copy[offs[col] + b] = byte;
                gen[gen_len++] = byte;
            }
        }
    }
    if (copy)
        *row = copy;
    res->generated = gen;
    res->generated_len = gen_len;
    return LC_OK;
}

/* ---------------------------------------------------------------- insert */

static int place_row(store_tx_t *tx, store_table_t *t, const uint8_t *row, size_t len,
                     uint32_t *out, lc_err_t *err)
{
    uint32_t r;
    int rc = store_heap_insert(t->heap, row, len, &r);
    if (rc == LC_OK && (rc = store__table_versions_reserve(t, r)) != LC_OK)
        store_heap_delete(t->heap, r);
    if (rc != LC_OK)
        return lc_err_set(err, rc, "storing a row of table %s: %s", t->name, lc_strerror(rc));
    t->xmin[r] = tx->offset;
    t->xmax[r] = 0;
    t->max_xmin = tx->offset;
    *out = r;
    return LC_OK;
}

/* Visit the rows with key under ix; a unique B-tree without dead rows has at
 * most one entry per key, found in one descent. */
static int probe_key(store_index_t *ix, const lc_buf_t *key, probe_t *p)
{
    uint32_t r;
    if (ix->table->ndead == 0 && store__ix_find_one(ix, key->data, key->len, &r)) {
        if (r != STORE_ROW_NONE)
            visit_probe(p, r);
        return LC_OK;
    }
    return store__index_lookup(ix, key->data, key->len, visit_probe, p);
}

static int violation(store_index_t *ix, uint32_t r, lc_err_t *err)
{
    char key[256];
    store__index_describe_key(ix, r, key, sizeof key);
    return lc_err_set(err, LC_EEXIST,
                      "duplicate key value violates unique constraint \"%s\" of table \"%s\": "
                      "%s already exists",
                      ix->constraint_name, ix->table->name, key);
}

/* Steps 4 and 5: probe every unique index with row r's key (the first one
 * also finds an identical row); without unique indexes, the row set. */
static int probe_row(store_tx_t *tx, store_table_t *t, uint32_t r, const uint8_t *row, size_t len,
                     probe_t *found, lc_err_t *err)
{
    *found = (probe_t){.t = t,
                       .self = r,
                       .row = row,
                       .len = len,
                       .T = tx->offset,
                       .identical = STORE_ROW_NONE,
                       .conflict = STORE_ROW_NONE};
    if (t->first_unique == NULL) {
        int rc = store_hashidx_lookup(t->rowset, row, len, visit_probe, found);
        found->conflict = STORE_ROW_NONE; /* equal hashes are not a constraint */
        return rc == LC_OK
                   ? LC_OK
                   : lc_err_set(err, rc, "reading a row of table %s: %s", t->name, lc_strerror(rc));
    }
    for (uint32_t i = 0; i < t->nindexes; i++) {
        store_index_t *ix = t->indexes[i];
        if (!ix->unique)
            continue;
        lc_buf_reset(&t->scratch);
        int rc = store__index_row_key(ix, r, &t->scratch);
        if (rc != LC_OK)
            return lc_err_set(err, rc, "reading a key of table %s: %s", t->name, lc_strerror(rc));
        probe_t p = *found;
        if ((rc = probe_key(ix, &t->scratch, &p)) != LC_OK)
            return lc_err_set(err, rc, "reading a key of table %s: %s", t->name, lc_strerror(rc));
        if (ix == t->first_unique) {
            *found = p;
            if (p.identical_live)
                return LC_OK; /* the row is there already: nothing can conflict */
        }
        if (p.conflict != STORE_ROW_NONE)
            return violation(ix, r, err);
    }
    return LC_OK;
}

static void fill_result(uint32_t r, const uint8_t *row, size_t len, bool existed,
                        store_insert_result_t *res)
{
    res->row = r;
    res->existed = existed;
    res->row_bsatn = row;
    res->row_len = (uint32_t)len;
}

/* Step 6 for row r placed by place_row (undo room reserved): index it and
 * log it, or take it out of the heap again. */
static int index_placed_row(store_tx_t *tx, store_table_t *t, uint32_t r, lc_err_t *err)
{
    int rc = store__table_index_row(t, r, err);
    if (rc != LC_OK) {
        store_heap_delete(t->heap, r);
        return rc;
    }
    undo_entry_t e = {.kind = UNDO_INSERT, .table = t, .row = r};
    store__tx_push_undo(tx, &e, NULL);
    t->live++;
    return LC_OK;
}

/* Steps 3-6 for a row already checked and with sequences filled. */
static int insert_checked(store_tx_t *tx, store_table_t *t, const uint8_t *row, size_t len,
                          store_insert_result_t *res, lc_err_t *err)
{
    int rc = store__tx_lock_table(tx, t, err);
    if (rc == LC_OK)
        rc = store__tx_reserve_undo(tx, 1, err);
    uint32_t r = STORE_ROW_NONE;
    if (rc != LC_OK || (rc = place_row(tx, t, row, len, &r, err)) != LC_OK)
        return rc;
    probe_t f;
    if ((rc = probe_row(tx, t, r, row, len, &f, err)) != LC_OK) {
        store_heap_delete(t->heap, r);
        return rc;
    }
    if (f.identical != STORE_ROW_NONE) {
        store_heap_delete(t->heap, r);
        if (!f.identical_live) { /* deleted earlier in this transaction */
            undo_entry_t e = {.kind = UNDO_UNDELETE, .table = t, .row = f.identical};
            store__row_revive(t, f.identical);
            store__tx_push_undo(tx, &e, NULL); /* room reserved above */
        }
        fill_result(f.identical, row, len, f.identical_live, res);
        return LC_OK;
    }
    if ((rc = index_placed_row(tx, t, r, err)) != LC_OK)
        return rc;
    fill_result(r, row, len, false, res);
    return LC_OK;
}

static store_table_t *table_or_error(store_tx_t *tx, uint32_t table_id, lc_err_t *err)
{
    store_table_t *t = store__table_by_id_writer(tx->db, table_id);
    if (t == NULL)
        lc_err_set(err, LC_ENOTFOUND, "no table with id %u", table_id);
    return t;
}

int store_insert(store_tx_t *tx, uint32_t table_id, const uint8_t *row, size_t len,
                 store_insert_result_t *res, lc_err_t *err)
{
    store_table_t *t = table_or_error(tx, table_id, err);
    if (t == NULL)
        return LC_ENOTFOUND;
    int rc = check_row(t, row, len, err);
    if (rc == LC_OK)
        rc = fill_sequences(tx, t, &row, &len, res, err);
    if (rc == LC_OK)
        rc = insert_checked(tx, t, row, len, res, err);
    return rc;
}

/* ---------------------------------------------------------------- delete */

static int delete_row(store_tx_t *tx, store_table_t *t, uint32_t r, lc_err_t *err)
{
    int rc = store__tx_lock_table(tx, t, err);
    undo_entry_t e = {.kind = UNDO_DELETE, .table = t, .row = r};
    if (rc == LC_OK)
        rc = store__tx_push_undo(tx, &e, err);
    if (rc != LC_OK)
        return rc;
    store__row_kill(t, r, tx->offset);
    return LC_OK;
}

/* The live row byte-equal to row (STORE_ROW_NONE if there is none). */
int store__find_live_copy(store_table_t *t, const uint8_t *row, size_t len, uint32_t *out,
                          lc_err_t *err)
{
    probe_t f = {.t = t,
                 .self = STORE_ROW_NONE,
                 .row = row,
                 .len = len,
                 .identical = STORE_ROW_NONE,
                 .conflict = STORE_ROW_NONE};
    if (t->first_unique) {
        lc_buf_t *key = &t->scratch;
        lc_buf_reset(key);
        int rc = store__index_key_of_bsatn(t->first_unique, row, len, key);
        if (rc == LC_OK)
            rc = store__index_lookup(t->first_unique, key->data, key->len, visit_probe, &f);
        if (rc != LC_OK)
            return lc_err_set(err, rc, "reading a key of table %s: %s", t->name, lc_strerror(rc));
    } else {
        int rc = store_hashidx_lookup(t->rowset, row, len, visit_probe, &f);
        if (rc != LC_OK)
            return lc_err_set(err, rc, "reading a row of table %s: %s", t->name, lc_strerror(rc));
    }
    *out = f.identical_live ? f.identical : STORE_ROW_NONE;
    return LC_OK;
}

int store_delete_value(store_tx_t *tx, uint32_t table_id, const uint8_t *row, size_t len,
                       uint32_t *deleted, lc_err_t *err)
{
    *deleted = 0;
    store_table_t *t = table_or_error(tx, table_id, err);
    if (t == NULL)
        return LC_ENOTFOUND;
    int rc = check_row(t, row, len, err);
    if (rc != LC_OK)
        return rc;
    uint32_t r = STORE_ROW_NONE;
    if ((rc = store__find_live_copy(t, row, len, &r, err)) != LC_OK || r == STORE_ROW_NONE)
        return rc;
    rc = delete_row(tx, t, r, err);
    if (rc == LC_OK)
        *deleted = 1;
    return rc;
}

int store_clear(store_tx_t *tx, uint32_t table_id, uint64_t *count, lc_err_t *err)
{
    *count = 0;
    store_table_t *t = table_or_error(tx, table_id, err);
    if (t == NULL)
        return LC_ENOTFOUND;
    for (uint32_t r = STORE_ROW_NONE; store_heap_next(t->heap, &r);) {
        if (t->xmax[r] != 0)
            continue;
        int rc = delete_row(tx, t, r, err);
        if (rc != LC_OK)
            return rc;
        (*count)++;
    }
    return LC_OK;
}

/* Delete each row in rows (ids collected before any deletion). */
int store__delete_rows(store_tx_t *tx, store_table_t *t, const uint32_t *rows, uint32_t n,
                       uint32_t *count, lc_err_t *err)
{
    *count = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (t->xmax[rows[i]] != 0)
            continue;
        int rc = delete_row(tx, t, rows[i], err);
        if (rc != LC_OK)
            return rc;
        (*count)++;
    }
    return LC_OK;
}

/* ---------------------------------------------------------------- update */

/* Whether row (BSATN) has the same bytes as stored row r in every column
 * some index reads: then no index entry changes when r takes row's bytes. */
static bool index_keys_unchanged(store_table_t *t, uint32_t r, const uint8_t *row, size_t len)
{
    size_t offs[t->layout.ncols + 1];
    bool fixed = t->layout.tail_offset < 0; /* BSATN offsets are the slot's */
    if (!fixed && store__row_offsets(t, row, len, offs) != LC_OK)
        return false;
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const store_index_t *ix = t->indexes[i];
        for (uint16_t k = 0; k < ix->ncols; k++) {
            uint16_t c = ix->cols[k];
            size_t n, off = fixed ? t->layout.cols[c].offset : offs[c];
            size_t new_n = fixed ? (size_t)t->layout.cols[c].fixed_size : offs[c + 1] - offs[c];
            const uint8_t *stored = store_heap_col(t->heap, r, c, &n);
            if (stored == NULL || n != new_n || memcmp(stored, row + off, n) != 0)
                return false;
        }
    }
    return true;
}

int store__split_overwritten(store_tx_t *tx, store_table_t *t, uint32_t r, const uint8_t *orig,
                             uint32_t orig_len, lc_err_t *err)
{
    int rc = store__tx_reserve_undo(tx, 2, err);
    if (rc != LC_OK)
        return rc;
    if (t->xmax[r] == 0) { /* still live: its current bytes become a new row */
        lc_buf_reset(&t->scratch);
        uint32_t n = STORE_ROW_NONE;
        if ((rc = store_heap_read(t->heap, r, &t->scratch)) != LC_OK)
            return lc_err_set(err, rc, "reading a row of table %s: %s", t->name, lc_strerror(rc));
        if ((rc = place_row(tx, t, t->scratch.data, t->scratch.len, &n, err)) != LC_OK ||
            (rc = index_placed_row(tx, t, n, err)) != LC_OK)
            return rc;
        undo_entry_t del = {.kind = UNDO_DELETE, .table = t, .row = r};
        store__row_kill(t, r, tx->offset);
        store__tx_push_undo(tx, &del, NULL);
    }
    NEVER(store_heap_overwrite(t->heap, r, orig, orig_len) != LC_OK);
    return LC_OK;
}

/* Update live row r to row's bytes in place when that is safe and cheap:
 * no index key changes, the new bytes fit r's storage, and no read view is
 * open (one opened later is handled at commit: tx.c, materialize).  *done
 * tells whether it happened; when not, nothing changed. */
static int overwrite_in_place(store_tx_t *tx, store_table_t *t, uint32_t r, const uint8_t *row,
                              size_t len, bool *done, lc_err_t *err)
{
    *done = false;
    if (t->is_event || atomic_load_explicit(&tx->db->nviews, memory_order_relaxed) != 0 ||
        !index_keys_unchanged(t, r, row, len))
        return LC_OK;
    int rc = store__tx_lock_table(tx, t, err);
    if (rc == LC_OK)
        rc = store__tx_reserve_undo(tx, 1, err);
    if (rc != LC_OK)
        return rc;
    lc_buf_reset(&t->scratch);
    if ((rc = store_heap_read(t->heap, r, &t->scratch)) != LC_OK)
        return lc_err_set(err, rc, "reading a row of table %s: %s", t->name, lc_strerror(rc));
    uint8_t *old = lc_arena_memdup(&tx->arena, t->scratch.data, t->scratch.len);
    if (old == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    rc = store_heap_overwrite(t->heap, r, row, len);
    if (rc == LC_ERANGE)
        return LC_OK; /* the tail would not fit: store a new version */
    if (rc != LC_OK)
        return lc_err_set(err, rc, "storing a row of table %s: %s", t->name, lc_strerror(rc));
    undo_entry_t e = {.kind = UNDO_OVERWRITE,
                      .table = t,
                      .row = r,
                      .old = old,
                      .old_len = (uint32_t)t->scratch.len};
    store__tx_push_undo(tx, &e, NULL); /* room reserved above */
    tx->noverwrites++;
    *done = true;
    return LC_OK;
}

int store_update(store_tx_t *tx, uint32_t table_id, uint32_t index_id, const uint8_t *row,
                 size_t len, store_insert_result_t *res, lc_err_t *err)
{
    store_table_t *t = table_or_error(tx, table_id, err);
    if (t == NULL)
        return LC_ENOTFOUND;
    store_index_t *ix = store__index_by_id_writer(tx->db, index_id);
    if (ix == NULL || ix->table != t)
        return lc_err_set(err, LC_ENOTFOUND, "no index with id %u on table %s", index_id, t->name);
    if (!ix->unique)
        return lc_err_set(err, LC_EINVAL, "index %s is not unique: cannot update through it",
                          ix->name);
    int rc = check_row(t, row, len, err);
    if (rc == LC_OK)
        rc = fill_sequences(tx, t, &row, &len, res, err);
    if (rc != LC_OK)
        return rc;
    /* Find the old row by the new row's key under ix. */
    lc_buf_t *key = &t->scratch;
    lc_buf_reset(key);
    probe_t f = {.t = t,
                 .self = STORE_ROW_NONE,
                 .row = row,
                 .len = len,
                 .identical = STORE_ROW_NONE,
                 .conflict = STORE_ROW_NONE};
    rc = store__index_key_of_bsatn(ix, row, len, key);
    if (rc == LC_OK)
        rc = store__index_lookup(ix, key->data, key->len, visit_probe, &f);
    if (rc != LC_OK)
        return lc_err_set(err, rc, "reading a key of table %s: %s", t->name, lc_strerror(rc));
    /* The live row with that key: the same bytes (nothing to do) or not. */
    if (f.identical_live) {
        fill_result(f.identical, row, len, true, res);
        return LC_OK;
    }
    uint32_t old = f.conflict;
    if (old == STORE_ROW_NONE)
        return lc_err_set(err, LC_ENOTFOUND, "no row in table %s with that %s key", t->name,
                          ix->name);
    /* A row with these bytes deleted earlier in the transaction is revived
     * by insert_checked (set semantics): not an in-place case. */
    bool done = false;
    if (f.identical == STORE_ROW_NONE &&
        ((rc = overwrite_in_place(tx, t, old, row, len, &done, err)) != LC_OK || done)) {
        if (done)
            fill_result(old, row, len, false, res);
        return rc;
    }
    uint32_t undo_mark = tx->nundo;
    if ((rc = delete_row(tx, t, old, err)) != LC_OK)
        return rc;
    rc = insert_checked(tx, t, row, len, res, err);
    if (rc != LC_OK) { /* put the old row back */
        store__row_revive(t, old);
        tx->nundo = undo_mark;
    }
    return rc;
}
