/*
 * Recovery support: transactions at a given offset, and rebuilding the
 * in-memory tables from the catalog rows.
 *
 * The catalog rows are the truth (catalog.c): a log replay or a snapshot
 * restore writes rows into the system tables like any others, and
 * store_tx_sync_catalog then makes the table objects agree with them, as
 * numbered steps:
 *   1. Every live st_table row of a user table that has no table object
 *      gets one, built from its st_column, st_index, st_constraint,
 *      st_sequence and st_event_table rows, with the ids those rows hold.
 *   2. Every user table object whose st_table row is gone is retired.
 *   3. Every sequence takes the allocation mark of its st_sequence row.
 * Each change is in the undo log, so rolling back the transaction undoes it.
 */
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

int store_tx_begin_at(store_db_t *db, uint64_t offset, store_tx_t **out, lc_err_t *err)
{
    store_tx_t *tx;
    int rc = store_tx_begin(db, &tx, err);
    if (rc != LC_OK)
        return rc;
    if (offset <= db->committed) {
        store_tx_rollback(tx);
        return lc_err_set(err, LC_EINVAL, "offset %llu is not after the committed offset %llu",
                          (unsigned long long)offset, (unsigned long long)db->committed);
    }
    tx->offset = offset;
    tx->at_offset = true;
    *out = tx;
    return LC_OK;
}

/* ---------------------------------------------------------------- reading catalog rows */

/* A cursor over the live rows of one system table. */
typedef struct st_rows {
    store_table_t *t;
    uint32_t r;
} st_rows_t;

static bool st_next(st_rows_t *it)
{
    while (store_heap_next(it->t->heap, &it->r))
        if (it->t->xmax[it->r] == 0)
            return true;
    return false;
}

static const uint8_t *col(const st_rows_t *it, uint16_t c, size_t *len)
{
    return store_heap_col(it->t->heap, it->r, c, len);
}

static uint32_t col_u32(const st_rows_t *it, uint16_t c)
{
    size_t n;
    const uint8_t *p = col(it, c, &n);
    return p && n >= 4 ? lc_load_u32le(p) : 0;
}

static uint16_t col_u16(const st_rows_t *it, uint16_t c)
{
    size_t n;
    const uint8_t *p = col(it, c, &n);
    return p && n >= 2 ? lc_load_u16le(p) : 0;
}

static __int128 col_i128(const st_rows_t *it, uint16_t c)
{
    size_t n;
    const uint8_t *p = col(it, c, &n);
    if (p == NULL || n < 16)
        return 0;
    return (__int128)((unsigned __int128)lc_load_u64le(p + 8) << 64 | lc_load_u64le(p));
}

/* A String or bytes column: its contents after the u32 length. */
static const uint8_t *col_bytes(const st_rows_t *it, uint16_t c, uint32_t *len)
{
    size_t n;
    const uint8_t *p = col(it, c, &n);
    if (p == NULL || n < 4 || lc_load_u32le(p) != n - 4)
        return NULL;
    *len = (uint32_t)(n - 4);
    return p + 4;
}

static char *col_str(lc_arena_t *a, const st_rows_t *it, uint16_t c)
{
    uint32_t n;
    const uint8_t *p = col_bytes(it, c, &n);
    return p ? lc_arena_strndup(a, (const char *)p, n) : NULL;
}

/* A ColList (Array<u16>) at the start of p. */
static uint16_t *read_cols(lc_arena_t *a, const uint8_t *p, size_t n, uint16_t *count)
{
    if (n < 4 || lc_load_u32le(p) > (n - 4) / 2)
        return NULL;
    *count = (uint16_t)lc_load_u32le(p);
    uint16_t *cols = lc_arena_alloc(a, sizeof *cols * (*count ? *count : 1));
    for (uint16_t i = 0; cols && i < *count; i++) cols[i] = lc_load_u16le(p + 4 + 2 * i);
    return cols;
}

static st_rows_t st_open(store_db_t *db, uint32_t st)
{
    return (st_rows_t){store__table_by_id_writer(db, st), STORE_ROW_NONE};
}

/* ---------------------------------------------------------------- building a table */

typedef struct def_builder {
    lc_arena_t *a;
    store_table_def_t def;
    uint32_t *index_ids;
    uint32_t *seq_ids;
    __int128 *seq_allocated;
} def_builder_t;

static int build_columns(store_db_t *db, uint32_t table_id, def_builder_t *b, lc_err_t *err)
{
    const char *names[1024];
    const sats_type_t *types[1024];
    uint32_t n = 0;
    bool seen[1024] = {false};
    st_rows_t it = st_open(db, STORE_ST_COLUMN);
    while (st_next(&it)) {
        if (col_u32(&it, 0) != table_id)
            continue;
        uint16_t pos = col_u16(&it, 1);
        uint32_t tlen;
        const uint8_t *tp = col_bytes(&it, 3, &tlen);
        lc_rd_t r = lc_rd_make(tp, tp ? tlen : 0);
        if (pos >= 1024 || seen[pos] || tp == NULL ||
            sats_type_decode(b->a, &r, &types[pos], NULL) != LC_OK ||
            (names[pos] = col_str(b->a, &it, 2)) == NULL)
            return lc_err_set(err, LC_ECORRUPT, "st_column rows of table %u are damaged", table_id);
        seen[pos] = true;
        if ((uint32_t)pos + 1u > n)
            n = (uint32_t)pos + 1u;
    }
    for (uint32_t i = 0; i < n; i++)
        if (!seen[i])
            return lc_err_set(err, LC_ECORRUPT, "table %u has no st_column row for column %u",
                              table_id, i);
    b->def.row_type = sats_type_product(b->a, n, names, types);
    return b->def.row_type ? LC_OK : lc_err_set(err, LC_ENOMEM, "out of memory");
}

static int build_indexes(store_db_t *db, uint32_t table_id, def_builder_t *b, lc_err_t *err)
{
    st_rows_t it = st_open(db, STORE_ST_INDEX);
    uint32_t n = 0;
    while (st_next(&it)) n += col_u32(&it, 1) == table_id;
    store_index_def_t *v = lc_arena_zalloc(b->a, sizeof *v * (n ? n : 1));
    b->index_ids = lc_arena_alloc(b->a, sizeof *b->index_ids * (n ? n : 1));
    if (v == NULL || b->index_ids == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    it = st_open(db, STORE_ST_INDEX);
    uint32_t i = 0;
    while (i < n && st_next(&it)) {
        if (col_u32(&it, 1) != table_id)
            continue;
        size_t alen;
        const uint8_t *algo = col(&it, 3, &alen);
        b->index_ids[i] = col_u32(&it, 0);
        v[i].name = col_str(b->a, &it, 2);
        if (algo && alen == 3 && algo[0] == STORE_INDEX_DIRECT) {
            uint16_t *c = lc_arena_alloc(b->a, sizeof *c);
            if (c)
                *c = lc_load_u16le(algo + 1);
            v[i].cols = c;
            v[i].ncols = 1;
        } else if (algo && alen >= 5) {
            v[i].cols = read_cols(b->a, algo + 1, alen - 1, &v[i].ncols);
        }
        v[i].algo = algo ? (store_index_algo_t)algo[0] : 0;
        if (v[i].name == NULL || v[i].cols == NULL || v[i].algo < STORE_INDEX_BTREE ||
            v[i].algo > STORE_INDEX_HASH)
            return lc_err_set(err, LC_ECORRUPT, "st_index row %u is damaged", b->index_ids[i]);
        i++;
    }
    b->def.nindexes = i;
    b->def.indexes = v;
    return LC_OK;
}

static int build_constraints(store_db_t *db, uint32_t table_id, def_builder_t *b, lc_err_t *err)
{
    st_rows_t it = st_open(db, STORE_ST_CONSTRAINT);
    uint32_t n = 0;
    while (st_next(&it)) n += col_u32(&it, 2) == table_id;
    store_constraint_def_t *v = lc_arena_zalloc(b->a, sizeof *v * (n ? n : 1));
    if (v == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    it = st_open(db, STORE_ST_CONSTRAINT);
    uint32_t i = 0;
    while (i < n && st_next(&it)) {
        if (col_u32(&it, 2) != table_id)
            continue;
        size_t dlen;
        const uint8_t *data = col(&it, 3, &dlen);
        v[i].name = col_str(b->a, &it, 1);
        if (data && dlen >= 5 && data[0] == 1)
            v[i].cols = read_cols(b->a, data + 1, dlen - 1, &v[i].ncols);
        if (v[i].name == NULL || v[i].cols == NULL)
            return lc_err_set(err, LC_ECORRUPT, "st_constraint rows of table %u are damaged",
                              table_id);
        i++;
    }
    b->def.nconstraints = i;
    b->def.constraints = v;
    return LC_OK;
}

static int build_sequences(store_db_t *db, uint32_t table_id, def_builder_t *b, lc_err_t *err)
{
    st_rows_t it = st_open(db, STORE_ST_SEQUENCE);
    uint32_t n = 0;
    while (st_next(&it)) n += col_u32(&it, 2) == table_id;
    store_sequence_def_t *v = lc_arena_zalloc(b->a, sizeof *v * (n ? n : 1));
    b->seq_ids = lc_arena_alloc(b->a, sizeof *b->seq_ids * (n ? n : 1));
    b->seq_allocated = lc_arena_alloc(b->a, sizeof *b->seq_allocated * (n ? n : 1));
    if (v == NULL || b->seq_ids == NULL || b->seq_allocated == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    it = st_open(db, STORE_ST_SEQUENCE);
    uint32_t i = 0;
    while (i < n && st_next(&it)) {
        if (col_u32(&it, 2) != table_id)
            continue;
        b->seq_ids[i] = col_u32(&it, 0);
        v[i].name = col_str(b->a, &it, 1);
        v[i].col = col_u16(&it, 3);
        v[i].increment = col_i128(&it, 4);
        v[i].start = col_i128(&it, 5);
        v[i].min_value = col_i128(&it, 6);
        v[i].max_value = col_i128(&it, 7);
        b->seq_allocated[i] = col_i128(&it, 8);
        if (v[i].name == NULL)
            return lc_err_set(err, LC_ECORRUPT, "st_sequence rows of table %u are damaged",
                              table_id);
        i++;
    }
    b->def.nsequences = i;
    b->def.sequences = v;
    return LC_OK;
}

static bool is_event_table(store_db_t *db, uint32_t table_id)
{
    st_rows_t it = st_open(db, STORE_ST_EVENT_TABLE);
    while (st_next(&it))
        if (col_u32(&it, 0) == table_id)
            return true;
    return false;
}

static const char *unique_name_for(const def_builder_t *b, const store_index_def_t *ix)
{
    for (uint32_t i = 0; i < b->def.nconstraints; i++) {
        const store_constraint_def_t *c = &b->def.constraints[i];
        if (c->ncols == ix->ncols && memcmp(c->cols, ix->cols, sizeof *c->cols * c->ncols) == 0)
            return c->name;
    }
    return NULL;
}

/* Step 1 for one st_table row. */
static int build_table(store_tx_t *tx, const st_rows_t *row, lc_err_t *err)
{
    store_db_t *db = tx->db;
    uint32_t table_id = col_u32(row, 0);
    lc_arena_t a;
    lc_arena_init(&a, 4096);
    def_builder_t b = {.a = &a};
    size_t n;
    const uint8_t *type = col(row, 2, &n), *access = col(row, 3, &n);
    const uint8_t *pk = col(row, 4, &n);
    b.def.name = col_str(&a, row, 1);
    b.def.type = type && *type ? STORE_TABLE_USER : STORE_TABLE_SYSTEM;
    b.def.access = access && *access ? STORE_PRIVATE : STORE_PUBLIC;
    b.def.primary_key = pk && n >= 7 && pk[0] == 0 ? lc_load_u16le(pk + 5) : -1;
    b.def.is_event = is_event_table(db, table_id);
    int rc =
        b.def.name ? LC_OK : lc_err_set(err, LC_ECORRUPT, "st_table row %u is damaged", table_id);
    if (rc == LC_OK)
        rc = build_columns(db, table_id, &b, err);
    if (rc == LC_OK)
        rc = build_indexes(db, table_id, &b, err);
    if (rc == LC_OK)
        rc = build_constraints(db, table_id, &b, err);
    if (rc == LC_OK)
        rc = build_sequences(db, table_id, &b, err);
    store_table_t *t = NULL;
    if (rc == LC_OK)
        rc = store__table_new(&b.def, table_id, &t, err);
    for (uint32_t i = 0; rc == LC_OK && i < b.def.nindexes; i++)
        rc = store__table_add_index(t, &b.def.indexes[i], b.index_ids[i],
                                    unique_name_for(&b, &b.def.indexes[i]), err);
    for (uint32_t i = 0; rc == LC_OK && i < b.def.nsequences; i++)
        rc = store__table_add_sequence(t, &b.def.sequences[i], b.seq_ids[i], err);
    undo_entry_t e = {.kind = UNDO_CREATE_TABLE, .table = t};
    if (rc == LC_OK && (rc = store__tx_reserve_undo(tx, 1, err)) == LC_OK &&
        (rc = store__catalog_add(db, t)) != LC_OK)
        lc_err_set(err, rc, "out of memory");
    if (rc == LC_OK)
        store__tx_push_undo(tx, &e, NULL);
    else
        store__table_free(t);
    lc_arena_free(&a);
    return rc;
}

/* ---------------------------------------------------------------- sync */

static bool has_st_table_row(store_db_t *db, uint32_t table_id)
{
    st_rows_t it = st_open(db, STORE_ST_TABLE);
    while (st_next(&it))
        if (col_u32(&it, 0) == table_id)
            return true;
    return false;
}

/* Step 2. */
static int retire_dropped(store_tx_t *tx, lc_err_t *err)
{
    uint32_t *ids, n;
    int rc = store_table_ids(tx->db, &ids, &n, err);
    for (uint32_t i = 0; rc == LC_OK && i < n; i++) {
        if (ids[i] < STORE_FIRST_USER_ID || has_st_table_row(tx->db, ids[i]))
            continue;
        store_table_t *t = store__table_by_id_writer(tx->db, ids[i]);
        if ((rc = store__tx_reserve_undo(tx, 1, err)) != LC_OK)
            break;
        store__catalog_remove(tx->db, t);
        t->dropped = true;
        undo_entry_t e = {.kind = UNDO_DROP_TABLE, .table = t};
        store__tx_push_undo(tx, &e, NULL);
    }
    if (rc == LC_OK)
        lc_free(ids);
    return rc;
}

/* Step 3. */
static void take_allocation_marks(store_db_t *db)
{
    st_rows_t it = st_open(db, STORE_ST_SEQUENCE);
    while (st_next(&it)) {
        store_table_t *t = store__table_by_id_writer(db, col_u32(&it, 2));
        uint32_t id = col_u32(&it, 0);
        for (uint32_t i = 0; t && i < t->nseqs; i++)
            if (t->seqs[i].sequence_id == id)
                t->seqs[i].allocated = col_i128(&it, 8);
    }
}

int store_tx_sync_catalog(store_tx_t *tx, lc_err_t *err)
{
    st_rows_t it = st_open(tx->db, STORE_ST_TABLE);
    int rc = LC_OK;
    while (rc == LC_OK && st_next(&it)) {
        uint32_t id = col_u32(&it, 0);
        if (id >= STORE_FIRST_USER_ID && store__table_by_id_writer(tx->db, id) == NULL)
            rc = build_table(tx, &it, err);
    }
    if (rc == LC_OK)
        rc = retire_dropped(tx, err);
    if (rc == LC_OK)
        take_allocation_marks(tx->db);
    return rc;
}

void store_db_resume_sequences(store_db_t *db)
{
    size_t pos = 0;
    void *val;
    while (lc_map_next(&db->tables_by_id, &pos, NULL, NULL, &val)) {
        store_table_t *t = val;
        for (uint32_t i = 0; i < t->nseqs; i++) t->seqs[i].next = t->seqs[i].allocated;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int store_table_ids(store_db_t *db, uint32_t **ids, uint32_t *n, lc_err_t *err)
{
    pthread_rwlock_rdlock(&db->catalog_lock);
    size_t count = lc_map_count(&db->tables_by_id), pos = 0, i = 0;
    uint32_t *v = lc_malloc(sizeof *v * (count ? count : 1));
    void *val;
    while (v && lc_map_next(&db->tables_by_id, &pos, NULL, NULL, &val))
        v[i++] = ((store_table_t *)val)->table_id;
    pthread_rwlock_unlock(&db->catalog_lock);
    if (v == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    qsort(v, i, sizeof *v, cmp_u32);
    *ids = v;
    *n = (uint32_t)i;
    return LC_OK;
}
