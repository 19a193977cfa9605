/*
 * Transactions: writes in place, an undo log, and changesets.
 *
 * The one mutable transaction of a database (store_tx_begin holds the
 * database's writer mutex until commit or rollback) stamps its offset T on
 * the rows it creates (xmin) and deletes (xmax), and records each step in
 * the undo log.  See db_int.h for the visibility rules and invariants.
 *
 * Commit, as numbered steps:
 *   1. Walk the undo log in order and build the changeset: a row that
 *      existed before the transaction and was overwritten in place is a
 *      delete of its bytes before and (if still live) an insert of its bytes
 *      now; an INSERT whose row is still live is an insert; a DELETE of a
 *      row that existed before the transaction (xmin != T) and is still
 *      deleted is a delete, reported once (a flag bit on xmax dedupes
 *      delete/undelete/delete).
 *   2. Clear the flag bits.
 *   3. Under views_mu: if a view is open, turn rows overwritten in place
 *      into two versions (db_int.h invariant 6); if the changeset is not
 *      empty, publish T as the committed offset.  Note the oldest open
 *      view.
 *   4. Free the rows this transaction deleted that no view can still see
 *      (rows it created itself, and all of them when no older view is
 *      open); park the others on their table's pending list.  Event-table
 *      rows are freed here too: they are reported, never stored.
 *   5. Release the table locks and the writer mutex.
 *
 * Rollback walks the undo log backwards and inverts each step; freed rows
 * never need restoring because nothing is freed before commit
 * (invariant 5).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define XMAX_FLAG (1ULL << 63)

/* ---------------------------------------------------------------- plumbing */

int store__tx_lock_table(store_tx_t *tx, store_table_t *t, lc_err_t *err)
{
    if (t->write_locked)
        return LC_OK;
    if (lc_grow(&tx->locked, &tx->locked_cap, tx->nlocked, sizeof *tx->locked, 8) != LC_OK)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    pthread_rwlock_wrlock(&t->lock);
    t->write_locked = true;
    tx->locked[tx->nlocked++] = t;
    return LC_OK;
}

int store__tx_reserve_undo(store_tx_t *tx, uint32_t n, lc_err_t *err)
{
    if (tx->undo_cap - tx->nundo >= n)
        return LC_OK;
    uint32_t cap = tx->undo_cap ? tx->undo_cap : 64;
    while (cap - tx->nundo < n) cap *= 2;
    undo_entry_t *v = lc_realloc(tx->undo, sizeof *v * cap);
    if (v == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    tx->undo = v;
    tx->undo_cap = cap;
    return LC_OK;
}

int store__tx_push_undo(store_tx_t *tx, const undo_entry_t *e, lc_err_t *err)
{
    int rc = store__tx_reserve_undo(tx, 1, err);
    if (rc == LC_OK)
        tx->undo[tx->nundo++] = *e;
    return rc;
}

uint64_t store__oldest_view(store_db_t *db)
{
    /* No view: no lock.  A view that opens after this read takes the
     * committed offset, which already hides every row the caller frees. */
    if (atomic_load_explicit(&db->nviews, memory_order_acquire) == 0)
        return UINT64_MAX;
    uint64_t oldest = UINT64_MAX;
    pthread_mutex_lock(&db->views_mu);
    for (store_view_t *v = db->views; v; v = v->next)
        if (v->offset < oldest)
            oldest = v->offset;
    pthread_mutex_unlock(&db->views_mu);
    return oldest;
}

/* Free pending rows no open view can see any more. */
static int collect_pending(store_tx_t *tx, lc_err_t *err)
{
    store_db_t *db = tx->db;
    if (db->pending_rows == 0)
        return LC_OK;
    uint64_t oldest = store__oldest_view(db);
    size_t pos = 0;
    void *val;
    while (lc_map_next(&db->tables_by_id, &pos, NULL, NULL, &val)) {
        store_table_t *t = val;
        if (t->npending == 0)
            continue;
        int rc = store__tx_lock_table(tx, t, err);
        if (rc != LC_OK)
            return rc;
        uint32_t keep = 0;
        for (uint32_t i = 0; i < t->npending; i++) {
            uint32_t r = t->pending[i];
            if (t->xmax[r] <= oldest) {
                store__table_free_row(t, r);
                db->pending_rows--;
            } else
                t->pending[keep++] = r;
        }
        t->npending = keep;
        store__table_trim(t);
    }
    return LC_OK;
}

int store_tx_begin(store_db_t *db, store_tx_t **out, lc_err_t *err)
{
    pthread_mutex_lock(&db->writer);
    /* Reuse the previous transaction's arena and arrays: a stream of small
     * transactions then allocates nothing to begin and end. */
    store_tx_t *tx = db->spare;
    db->spare = NULL;
    if (tx == NULL && (tx = lc_calloc(1, sizeof *tx)) != NULL)
        lc_arena_init(&tx->arena, 16384);
    if (tx == NULL) {
        pthread_mutex_unlock(&db->writer);
        return lc_err_set(err, LC_ENOMEM, "out of memory starting a transaction");
    }
    tx->db = db;
    tx->offset = db->committed + 1;
    db->active = tx;
    db->writer_thread = (unsigned long)pthread_self();
    int rc = collect_pending(tx, err);
    if (rc != LC_OK) {
        store_tx_rollback(tx);
        return rc;
    }
    *out = tx;
    return LC_OK;
}

lc_arena_t *store_tx_arena(store_tx_t *tx)
{
    return &tx->arena;
}

static void end_tx(store_tx_t *tx)
{
    for (uint32_t i = 0; i < tx->nlocked; i++) {
        tx->locked[i]->write_locked = false;
        pthread_rwlock_unlock(&tx->locked[i]->lock);
    }
    store_db_t *db = tx->db;
    db->active = NULL;
    db->writer_thread = 0;
    lc_arena_reset(&tx->arena);
    tx->nundo = tx->nlocked = tx->noverwrites = 0;
    tx->failed = tx->at_offset = false;
    if (tx->undo_cap > 4096) { /* a huge transaction's log is not kept */
        lc_free(tx->undo);
        tx->undo = NULL;
        tx->undo_cap = 0;
    }
    db->spare = tx;
    pthread_mutex_unlock(&db->writer);
}

static void builder_free(store__cs_builder_t *b);

void store__tx_free(store_tx_t *tx)
{
    if (tx == NULL)
        return;
    lc_free(tx->locked);
    lc_free(tx->undo);
    builder_free(&tx->build);
    lc_arena_free(&tx->arena);
    lc_free(tx);
}

/* ---------------------------------------------------------------- rollback */

static void undo_one(store_tx_t *tx, const undo_entry_t *e)
{
    store_table_t *t = e->table;
    switch (e->kind) {
    case UNDO_INSERT:
        if (t->xmax[e->row] == 0)
            t->live--;
        store__table_free_row(t, e->row);
        break;
    case UNDO_DELETE:
        store__row_revive(t, e->row);
        break;
    case UNDO_UNDELETE:
        store__row_kill(t, e->row, tx->offset);
        break;
    case UNDO_OVERWRITE: /* same sizes as before: cannot fail */
        NEVER(store_heap_overwrite(t->heap, e->row, e->old, e->old_len) != LC_OK);
        break;
    case UNDO_SEQ_ALLOC:
        e->seq->allocated = e->old_allocated;
        break;
    case UNDO_CREATE_TABLE:
        store__catalog_remove(tx->db, t);
        t->dropped = true;
        break;
    case UNDO_DROP_TABLE:
        t->dropped = false;
        if (store__catalog_add(tx->db, t) != LC_OK)
            lc_log_error("rollback could not restore table %s: out of memory", t->name);
        break;
    }
}

void store_tx_rollback(store_tx_t *tx)
{
    for (uint32_t i = tx->nundo; i-- > 0;) undo_one(tx, &tx->undo[i]);
    end_tx(tx);
}

/* ---------------------------------------------------------------- commit */

typedef store__row_ref_t row_ref_t;
typedef store__table_builder_t table_builder_t;
typedef store__cs_builder_t cs_builder_t;

enum {
    BUILDER_KEEP_BYTES = 256 * 1024, /* a bigger changeset's buffers are not kept */
    BUILDER_KEEP_ROWS = 4096,
};

static table_builder_t *builder_for(cs_builder_t *b, store_table_t *t)
{
    for (uint32_t i = b->n; i-- > 0;)
        if (b->tables[i].t == t)
            return &b->tables[i];
    uint32_t old_cap = b->cap;
    if (lc_grow(&b->tables, &b->cap, b->n, sizeof *b->tables, 8) != LC_OK)
        return NULL;
    if (b->cap > old_cap)
        memset(b->tables + old_cap, 0, (b->cap - old_cap) * sizeof *b->tables);
    table_builder_t *tb = &b->tables[b->n++];
    tb->t = t;
    tb->nins = tb->ndel = 0;
    return tb;
}

/* Add a row to the changeset: stored row r, or (r = STORE_ROW_NONE) the
 * given bytes. */
static int add_row(cs_builder_t *b, store_table_t *t, uint32_t r, const uint8_t *bytes,
                   uint32_t len, bool insert)
{
    table_builder_t *tb = builder_for(b, t);
    if (tb == NULL)
        return LC_ENOMEM;
    row_ref_t **v = insert ? &tb->ins : &tb->del;
    uint32_t *n = insert ? &tb->nins : &tb->ndel;
    uint32_t *cap = insert ? &tb->cap_ins : &tb->cap_del;
    if (lc_grow(v, cap, *n, sizeof **v, 16) != LC_OK)
        return LC_ENOMEM;
    size_t off = b->data.len;
    int rc = r != STORE_ROW_NONE                        ? store_heap_read(t->heap, r, &b->data)
             : lc_buf_append(&b->data, bytes, len) == 0 ? LC_OK
                                                        : LC_ENOMEM;
    if (rc != LC_OK)
        return rc;
    (*v)[(*n)++] = (row_ref_t){off, (uint32_t)(b->data.len - off)};
    return LC_OK;
}

static void builder_free(cs_builder_t *b)
{
    for (uint32_t i = 0; i < b->cap; i++) {
        lc_free(b->tables[i].ins);
        lc_free(b->tables[i].del);
    }
    lc_free(b->tables);
    lc_buf_free(&b->data);
    memset(b, 0, sizeof *b);
}

/* Empty the builder for the next commit, keeping its memory unless this
 * changeset was a big one. */
static void builder_reset(cs_builder_t *b)
{
    bool big = b->data.cap > BUILDER_KEEP_BYTES;
    for (uint32_t i = 0; i < b->n && !big; i++)
        big = b->tables[i].cap_ins > BUILDER_KEEP_ROWS || b->tables[i].cap_del > BUILDER_KEEP_ROWS;
    if (big) {
        builder_free(b);
        return;
    }
    b->n = 0;
    lc_buf_reset(&b->data);
    b->data.oom = false;
}

/* Set e->first on each row's first UNDO_OVERWRITE entry: its old bytes are
 * the row's bytes before the transaction.  A set of the rows seen, in the
 * tx arena, rather than a flag in the version arrays: those would cost two
 * cache misses per row. */
static int mark_first_overwrites(store_tx_t *tx)
{
    uint32_t cap = 4;
    while (cap < 2 * tx->noverwrites) cap *= 2;
    const undo_entry_t **seen = lc_arena_zalloc(&tx->arena, cap * sizeof *seen);
    if (seen == NULL)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < tx->nundo; i++) {
        undo_entry_t *e = &tx->undo[i];
        if (e->kind != UNDO_OVERWRITE)
            continue;
        uint32_t h =
            (uint32_t)(((uint64_t)e->table->table_id << 32 | e->row) * 0x9e3779b97f4a7c15ULL >>
                       40) &
            (cap - 1);
        e->first = true;
        for (; seen[h] != NULL && e->first; h = (h + 1) & (cap - 1))
            e->first = seen[h]->table != e->table || seen[h]->row != e->row;
        if (e->first)
            seen[h] = e;
    }
    return LC_OK;
}

/* The first overwrite of a row that existed before the transaction (a row
 * it created reports its last bytes as an insert).  No row of t created by
 * the transaction: no need to read the version array. */
static bool first_overwrite(const undo_entry_t *e, uint64_t T)
{
    store_table_t *t = e->table;
    return e->kind == UNDO_OVERWRITE && e->first && (t->max_xmin < T || t->xmin[e->row] != T);
}

/* Step 1a: rows overwritten in place report their bytes before the
 * transaction (the first overwrite's old bytes) as deleted and, unless
 * deleted since, their bytes now as inserted.  A deleted one gets the flag,
 * so that its delete entries stay silent in step 1b. */
static int collect_overwrites(store_tx_t *tx, cs_builder_t *b)
{
    uint64_t T = tx->offset;
    for (uint32_t i = 0; i < tx->nundo; i++) {
        const undo_entry_t *e = &tx->undo[i];
        store_table_t *t = e->table;
        if (!first_overwrite(e, T))
            continue;
        bool live = t->ndead == 0 || t->xmax[e->row] == 0;
        if (live && store_heap_row_equals(t->heap, e->row, e->old, e->old_len))
            continue; /* overwritten back to its old bytes: no change at all */
        uint32_t twin = STORE_ROW_NONE;
        if (!live && store__find_live_copy(t, e->old, e->old_len, &twin, NULL) != LC_OK)
            return LC_ENOMEM;
        if (twin != STORE_ROW_NONE) {
            /* Deleted, then inserted again with its old bytes as a new row
             * (the dead row's heap bytes were not the old ones, so set
             * semantics did not revive it): no change at all either.  The
             * flag silences the new row's insert entry. */
            t->xmax[e->row] |= XMAX_FLAG;
            t->xmax[twin] |= XMAX_FLAG;
            continue;
        }
        int rc = add_row(b, t, STORE_ROW_NONE, e->old, e->old_len, false);
        if (rc == LC_OK && live)
            rc = add_row(b, t, e->row, NULL, 0, true);
        if (!live)
            t->xmax[e->row] |= XMAX_FLAG;
        if (rc != LC_OK)
            return rc;
    }
    return LC_OK;
}

/* Step 1b: the other rows, each delete reported once (the flag). */
static int collect_changes(store_tx_t *tx, cs_builder_t *b)
{
    uint64_t T = tx->offset;
    int rc = tx->noverwrites > 0 ? collect_overwrites(tx, b) : LC_OK;
    for (uint32_t i = 0; i < tx->nundo && rc == LC_OK; i++) {
        const undo_entry_t *e = &tx->undo[i];
        store_table_t *t = e->table;
        if (e->kind == UNDO_INSERT && t->xmax[e->row] == 0)
            rc = add_row(b, t, e->row, NULL, 0, true);
        else if (e->kind == UNDO_DELETE && t->xmax[e->row] == T && t->xmin[e->row] != T) {
            rc = add_row(b, t, e->row, NULL, 0, false);
            t->xmax[e->row] |= XMAX_FLAG;
        }
    }
    return rc;
}

/* Step 2. */
static void clear_flags(store_tx_t *tx)
{
    for (uint32_t i = 0; i < tx->nundo; i++) {
        const undo_entry_t *e = &tx->undo[i];
        bool flagged = e->kind == UNDO_DELETE || (tx->noverwrites > 0 && e->kind == UNDO_INSERT) ||
                       (e->kind == UNDO_OVERWRITE && e->table->ndead > 0);
        if (flagged)
            e->table->xmax[e->row] &= ~XMAX_FLAG;
    }
}

/* Step 3a, with views_mu held and a view open: no view may read a row
 * overwritten in place, so each becomes two versions as if updated the
 * usual way.  The changeset is unaffected (it reports the same bytes). */
static int materialize(store_tx_t *tx, lc_err_t *err)
{
    uint64_t T = tx->offset;
    uint32_t n = tx->nundo; /* splitting appends: only the entries before */
    int rc = LC_OK;
    for (uint32_t i = 0; i < n && rc == LC_OK; i++) {
        undo_entry_t e = tx->undo[i]; /* a copy: splitting may move the log */
        if (first_overwrite(&e, T))
            rc = store__split_overwritten(tx, e.table, e.row, e.old, e.old_len, err);
    }
    return rc;
}

static int cmp_builders(const void *a, const void *b)
{
    uint32_t x = ((const table_builder_t *)a)->t->table_id;
    uint32_t y = ((const table_builder_t *)b)->t->table_id;
    return x < y ? -1 : x > y;
}

static int fill_refs(lc_arena_t *a, const uint8_t *base, const row_ref_t *refs, uint32_t n,
                     const uint8_t *const **rows, const uint32_t **lens)
{
    const uint8_t **r = lc_arena_alloc(a, sizeof *r * (n ? n : 1));
    uint32_t *l = lc_arena_alloc(a, sizeof *l * (n ? n : 1));
    if (r == NULL || l == NULL)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        r[i] = base + refs[i].off;
        l[i] = refs[i].len;
    }
    *rows = r;
    *lens = l;
    return LC_OK;
}

/* Copy the builder into the changeset's arena. */
static int build_changeset(cs_builder_t *b, store_changeset_t *cs)
{
    if (b->n > 1)
        qsort(b->tables, b->n, sizeof *b->tables, cmp_builders);
    uint8_t *base = lc_arena_memdup(&cs->arena, b->data.data, b->data.len);
    cs->tables = lc_arena_zalloc(&cs->arena, sizeof *cs->tables * (b->n ? b->n : 1));
    if ((base == NULL && b->data.len) || cs->tables == NULL)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < b->n; i++) {
        table_builder_t *tb = &b->tables[i];
        store_table_changes_t *tc = &cs->tables[i];
        tc->table_id = tb->t->table_id;
        tc->table_name = lc_arena_strdup(&cs->arena, tb->t->name);
        tc->ninserts = tb->nins;
        tc->ndeletes = tb->ndel;
        tc->truncated = tb->ndel > 0 && tb->t->live == (tb->t->is_event ? tb->nins : 0);
        if (tc->table_name == NULL ||
            fill_refs(&cs->arena, base, tb->ins, tb->nins, &tc->inserts, &tc->insert_lens) ||
            fill_refs(&cs->arena, base, tb->del, tb->ndel, &tc->deletes, &tc->delete_lens))
            return LC_ENOMEM;
    }
    cs->ntables = b->n;
    return LC_OK;
}

static int park_pending(store_db_t *db, store_table_t *t, uint32_t r)
{
    if (lc_grow(&t->pending, &t->pending_cap, t->npending, sizeof *t->pending, 64) != LC_OK)
        return LC_ENOMEM;
    t->pending[t->npending++] = r;
    db->pending_rows++;
    return LC_OK;
}

/* Step 4. */
static void free_dead_rows(store_tx_t *tx, uint64_t oldest)
{
    uint64_t T = tx->offset;
    bool parked = false;
    for (uint32_t i = 0; i < tx->nundo; i++) {
        const undo_entry_t *e = &tx->undo[i];
        store_table_t *t = e->table;
        if (e->kind == UNDO_INSERT && t->is_event && t->xmax[e->row] == 0) {
            store__table_free_row(t, e->row); /* reported, never stored */
            t->live--;
            continue;
        }
        if ((e->kind != UNDO_INSERT && e->kind != UNDO_DELETE) || t->xmax[e->row] != T ||
            !store_heap_is_live(t->heap, e->row))
            continue;
        /* A row this transaction created was never visible to a view. */
        if (t->xmin[e->row] == T || oldest >= T)
            store__table_free_row(t, e->row);
        else if (park_pending(tx->db, t, e->row) == LC_OK) {
            /* A row deleted, revived and deleted again has two entries:
             * the flag parks it once. */
            t->xmax[e->row] |= XMAX_FLAG;
            parked = true;
        } else
            lc_log_warn("table %s: cannot defer freeing a row (out of memory); it stays "
                        "allocated until the database closes",
                        t->name);
    }
    for (uint32_t i = 0; i < tx->nundo && parked; i++) {
        const undo_entry_t *e = &tx->undo[i];
        if (e->kind == UNDO_DELETE)
            e->table->xmax[e->row] &= ~XMAX_FLAG;
    }
}

#define CHANGESET_CHUNK 4096

static int commit(store_tx_t *tx, store_changeset_t *cs, lc_err_t *err);

int store_tx_commit(store_tx_t *tx, store_changeset_t *cs, lc_err_t *err)
{
    memset(cs, 0, sizeof *cs);
    lc_arena_init(&cs->arena, CHANGESET_CHUNK);
    return commit(tx, cs, err);
}

int store_tx_commit_reuse(store_tx_t *tx, store_changeset_t *cs, lc_err_t *err)
{
    lc_arena_t a = cs->arena;
    if (a.chunk_size == 0)
        lc_arena_init(&a, CHANGESET_CHUNK);
    else
        lc_arena_reset(&a); /* keeps its chunk: no malloc for a small changeset */
    memset(cs, 0, sizeof *cs);
    cs->arena = a;
    return commit(tx, cs, err);
}

static int commit(store_tx_t *tx, store_changeset_t *cs, lc_err_t *err)
{
    if (tx->failed) {
        store_tx_rollback(tx);
        return lc_err_set(err, LC_EINTERNAL,
                          "transaction was rolled back: an earlier operation failed mid-way");
    }
    cs_builder_t *b = &tx->build;
    int rc = tx->noverwrites > 0 ? mark_first_overwrites(tx) : LC_OK;
    if (rc == LC_OK)
        rc = collect_changes(tx, b);
    clear_flags(tx);
    if (rc == LC_OK)
        rc = build_changeset(b, cs);
    if (rc != LC_OK) {
        builder_free(b);
        store_changeset_free(cs);
        store_tx_rollback(tx);
        return lc_err_set(err, LC_ENOMEM, "out of memory committing; transaction rolled back");
    }
    store_db_t *db = tx->db;
    pthread_mutex_lock(&db->views_mu);
    if (tx->noverwrites > 0 && db->views != NULL && (rc = materialize(tx, err)) != LC_OK) {
        pthread_mutex_unlock(&db->views_mu);
        builder_reset(b);
        store_changeset_free(cs);
        store_tx_rollback(tx);
        return rc;
    }
    if (b->n > 0 || tx->at_offset) {
        cs->tx_offset = tx->offset;
        db->committed = tx->offset;
    }
    pthread_mutex_unlock(&db->views_mu);
    builder_reset(b);
    free_dead_rows(tx, store__oldest_view(db));
    for (uint32_t i = 0; i < tx->nlocked; i++) store__table_trim(tx->locked[i]);
    end_tx(tx);
    return LC_OK;
}

int store_tx_end(store_tx_t *tx, int rc, lc_err_t *err)
{
    if (rc != LC_OK) {
        store_tx_rollback(tx);
        return rc;
    }
    store_changeset_t cs;
    rc = store_tx_commit(tx, &cs, err);
    store_changeset_free(&cs);
    return rc;
}

void store_changeset_free(store_changeset_t *cs)
{
    lc_arena_free(&cs->arena);
    cs->tables = NULL;
    cs->ntables = 0;
}
