/*
 * Reads: table scans, index point and range scans, row counts — for the
 * mutable transaction (which sees its own writes) and for read views (which
 * see the committed state as of their offset), and the read views
 * themselves.
 *
 * A view scanning a table holds the table's read lock for at most
 * VIEW_CHUNK_ROWS rows at a time and resumes by row id, so the writer waits
 * at most one chunk (db_int.h invariant 3).  Index scans through a view
 * hold the lock for the whole scan: they are bounded by the key range.
 */
#include <string.h>

#include "db_int.h"

#define VIEW_CHUNK_ROWS 1024

/* Who is reading: the writer, or a view at offset S. */
typedef struct reader {
    bool writer;
    uint64_t S;
    store_db_t *db;
} reader_t;

/* Take t's read lock for a view, unless this thread runs the active
 * transaction: it holds the write lock already and cannot be mutating
 * while it reads.  Returns whether the lock was taken.  (Such a view would
 * see the bytes of rows the transaction rewrote in place: db_int.h
 * invariant 6 assumes no view is read on the writer's thread during a
 * transaction, which no caller does.) */
static bool read_lock(reader_t rd, store_table_t *t)
{
    if (rd.writer || rd.db->writer_thread == (unsigned long)pthread_self())
        return false;
    pthread_rwlock_rdlock(&t->lock);
    return true;
}

static void read_unlock(bool locked, store_table_t *t)
{
    if (locked)
        pthread_rwlock_unlock(&t->lock);
}

/* Whether every present row of t is visible to rd, so that the per-row
 * check (a cache miss on the version arrays) can be skipped. */
static inline bool all_visible(const store_table_t *t, reader_t rd)
{
    return t->ndead == 0 && (rd.writer || t->max_xmin <= rd.S);
}

static inline bool visible(const store_table_t *t, uint32_t r, reader_t rd)
{
    if (all_visible(t, rd))
        return true;
    if (rd.writer)
        return t->xmax[r] == 0;
    return t->xmin[r] <= rd.S && (t->xmax[r] == 0 || t->xmax[r] > rd.S);
}

/* ---------------------------------------------------------------- result sets */

void store_rows_init(store_rows_t *rs)
{
    memset(rs, 0, sizeof *rs);
}

void store_rows_free(store_rows_t *rs)
{
    lc_buf_free(&rs->data);
    lc_free(rs->offsets);
    memset(rs, 0, sizeof *rs);
}

static int rows_add(store_rows_t *rs, const store_table_t *t, uint32_t r)
{
    if (lc_grow(&rs->offsets, &rs->cap, rs->count, sizeof *rs->offsets, 64) != LC_OK)
        return LC_ENOMEM;
    uint32_t off = (uint32_t)rs->data.len;
    int rc = store_heap_read(t->heap, r, &rs->data);
    if (rc == LC_OK)
        rs->offsets[rs->count++] = off;
    return rc;
}

static const reader_t WRITER = {true, 0, NULL};

static reader_t view_reader(const store_view_t *v)
{
    return (reader_t){false, v->offset, v->db};
}

/* ---------------------------------------------------------------- catalog access */

static store_table_t *find_table(store_db_t *db, reader_t rd, uint32_t table_id, lc_err_t *err)
{
    store_table_t *t =
        rd.writer ? store__table_by_id_writer(db, table_id) : store__table_by_id(db, table_id);
    if (t == NULL)
        lc_err_set(err, LC_ENOTFOUND, "no table with id %u", table_id);
    return t;
}

static store_index_t *find_index(store_db_t *db, reader_t rd, uint32_t index_id, lc_err_t *err)
{
    store_index_t *ix =
        rd.writer ? store__index_by_id_writer(db, index_id) : store__index_by_id(db, index_id);
    if (ix == NULL)
        lc_err_set(err, LC_ENOTFOUND, "no index with id %u", index_id);
    return ix;
}

/* ---------------------------------------------------------------- scans */

static int scan_rows(store_table_t *t, reader_t rd, store_rows_t *out, lc_err_t *err)
{
    uint32_t r = STORE_ROW_NONE;
    bool more = true;
    while (more) {
        bool locked = read_lock(rd, t);
        int rc = LC_OK;
        for (int n = 0; n < VIEW_CHUNK_ROWS && rc == LC_OK; n++) {
            if (!(more = store_heap_next(t->heap, &r)))
                break;
            if (visible(t, r, rd))
                rc = rows_add(out, t, r);
        }
        read_unlock(locked, t);
        if (rc != LC_OK)
            return lc_err_set(err, rc, "scanning table %s: %s", t->name, lc_strerror(rc));
    }
    return LC_OK;
}

static uint64_t count_rows(store_table_t *t, reader_t rd)
{
    if (rd.writer)
        return t->live;
    uint64_t n = 0;
    uint32_t r = STORE_ROW_NONE;
    bool more = true;
    while (more) {
        bool locked = read_lock(rd, t);
        for (int i = 0; i < VIEW_CHUNK_ROWS; i++) {
            if (!(more = store_heap_next(t->heap, &r)))
                break;
            n += visible(t, r, rd);
        }
        read_unlock(locked, t);
    }
    return n;
}

/* Collects visible rows from an index into a result set and/or id list. */
typedef struct collect {
    store_table_t *t;
    reader_t rd;
    store_rows_t *out; /* or NULL */
    uint32_t *ids;     /* or NULL */
    uint32_t nids, cap;
    int rc;
} collect_t;

static bool visit_collect(void *arg, uint32_t r)
{
    collect_t *c = arg;
    if (!visible(c->t, r, c->rd))
        return true;
    if (c->out) {
        c->rc = rows_add(c->out, c->t, r);
        return c->rc == LC_OK;
    }
    if (lc_grow(&c->ids, &c->cap, c->nids, sizeof *c->ids, 64) != LC_OK) {
        c->rc = LC_ENOMEM;
        return false;
    }
    c->ids[c->nids++] = r;
    return true;
}

/* Visit the rows with key under ix.  A unique B-tree whose rows are all
 * visible holds at most one entry per key: one descent finds it. */
static int lookup_key(store_index_t *ix, reader_t rd, const lc_buf_t *key, collect_t *c)
{
    uint32_t r;
    if (ix->unique && all_visible(ix->table, rd) &&
        store__ix_find_one(ix, key->data, key->len, &r)) {
        if (r != STORE_ROW_NONE)
            visit_collect(c, r);
        return LC_OK;
    }
    return store__index_lookup(ix, key->data, key->len, visit_collect, c);
}

static int point_scan(store_index_t *ix, reader_t rd, const uint8_t *p, size_t n, collect_t *c,
                      lc_err_t *err)
{
    uint8_t small[64];
    lc_buf_t key;
    lc_buf_init_with(&key, small, sizeof small); /* grows onto the heap if needed */
    int rc = store__index_point_key(ix, p, n, &key, err);
    if (rc == LC_OK) {
        bool locked = read_lock(rd, ix->table);
        rc = lookup_key(ix, rd, &key, c);
        read_unlock(locked, ix->table);
        if (rc == LC_OK)
            rc = c->rc;
        if (rc != LC_OK)
            lc_err_set(err, rc, "index %s: %s", ix->name, lc_strerror(rc));
    }
    lc_buf_free(&key);
    return rc;
}

/* Decode one BSATN Bound<V> (tag 0 Included, 1 Excluded, 2 Unbounded) of
 * the key element type t, appending v's key after the prefix in key. */
static int decode_bound(const store_index_t *ix, const sats_type_t *t, const uint8_t *p, size_t n,
                        lc_buf_t *key, store_bound_kind_t *kind, lc_err_t *err)
{
    lc_rd_t r = lc_rd_make(p, n);
    uint8_t tag;
    if (lc_rd_u8(&r, &tag) != LC_OK || tag > 2)
        return lc_err_set(err, LC_ECORRUPT, "range bound for index %s: bad tag", ix->name);
    if (tag == 2) {
        *kind = STORE_BOUND_INCLUDED; /* every key with the prefix */
    } else {
        *kind = tag == 0 ? STORE_BOUND_INCLUDED : STORE_BOUND_EXCLUDED;
        int rc = store_key_append(key, &r, &ix->table->ts, t);
        if (rc != LC_OK)
            return rc == LC_ENOMEM
                       ? lc_err_set(err, rc, "out of memory")
                       : lc_err_set(err, LC_ECORRUPT, "range bound for index %s does not decode",
                                    ix->name);
    }
    if (r.len != 0)
        return lc_err_set(err, LC_ECORRUPT, "range bound for index %s has %zu bytes left over",
                          ix->name, r.len);
    return LC_OK;
}

static int range_bounds(const store_index_t *ix, const store_range_t *range, lc_buf_t *lo,
                        lc_buf_t *hi, store_bound_t *blo, store_bound_t *bhi, lc_err_t *err)
{
    uint16_t k = range->prefix_elems;
    if (k >= ix->nkey_types)
        return lc_err_set(err, LC_ECORRUPT,
                          "range scan on index %s: %u prefix columns leave none for the range",
                          ix->name, k);
    lc_rd_t r = lc_rd_make(range->prefix, k ? range->prefix_len : 0);
    for (uint16_t i = 0; i < k; i++) {
        int rc = store_key_append(lo, &r, &ix->table->ts, ix->key_types[i]);
        if (rc != LC_OK)
            return rc == LC_ENOMEM
                       ? lc_err_set(err, rc, "out of memory")
                       : lc_err_set(err, LC_ECORRUPT, "range prefix for index %s does not decode",
                                    ix->name);
    }
    if (r.len != 0)
        return lc_err_set(err, LC_ECORRUPT, "range prefix for index %s has %zu bytes left over",
                          ix->name, r.len);
    if (lc_buf_append(hi, lo->data, lo->len) != LC_OK)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    int rc =
        decode_bound(ix, ix->key_types[k], range->start, range->start_len, lo, &blo->kind, err);
    if (rc == LC_OK)
        rc = decode_bound(ix, ix->key_types[k], range->end, range->end_len, hi, &bhi->kind, err);
    blo->key = lo->data;
    blo->len = lo->len;
    bhi->key = hi->data;
    bhi->len = hi->len;
    return rc;
}

static int range_scan(store_index_t *ix, reader_t rd, const store_range_t *range, collect_t *c,
                      lc_err_t *err)
{
    if (ix->hx)
        return lc_err_set(err, LC_EUNSUPPORTED, "index %s is a hash index: no range scans",
                          ix->name);
    lc_buf_t lo = {0}, hi = {0};
    store_bound_t blo, bhi;
    int rc = range_bounds(ix, range, &lo, &hi, &blo, &bhi, err);
    if (rc == LC_OK) {
        bool locked = read_lock(rd, ix->table);
        rc = store__ix_range(ix, &blo, &bhi, visit_collect, c);
        read_unlock(locked, ix->table);
        if (rc == LC_OK)
            rc = c->rc;
        if (rc != LC_OK)
            lc_err_set(err, rc, "index %s: %s", ix->name, lc_strerror(rc));
    }
    lc_buf_free(&lo);
    lc_buf_free(&hi);
    return rc;
}

/* ---------------------------------------------------------------- tx reads */

int store_tx_row_count(store_tx_t *tx, uint32_t table_id, uint64_t *count, lc_err_t *err)
{
    store_table_t *t = find_table(tx->db, WRITER, table_id, err);
    if (t == NULL)
        return LC_ENOTFOUND;
    *count = count_rows(t, WRITER);
    return LC_OK;
}

int store_tx_scan(store_tx_t *tx, uint32_t table_id, store_rows_t *out, lc_err_t *err)
{
    store_table_t *t = find_table(tx->db, WRITER, table_id, err);
    return t ? scan_rows(t, WRITER, out, err) : LC_ENOTFOUND;
}

int store_tx_index_point(store_tx_t *tx, uint32_t index_id, const uint8_t *point, size_t len,
                         store_rows_t *out, lc_err_t *err)
{
    store_index_t *ix = find_index(tx->db, WRITER, index_id, err);
    if (ix == NULL)
        return LC_ENOTFOUND;
    collect_t c = {.t = ix->table, .rd = WRITER, .out = out};
    return point_scan(ix, WRITER, point, len, &c, err);
}

int store_tx_index_range(store_tx_t *tx, uint32_t index_id, const store_range_t *range,
                         store_rows_t *out, lc_err_t *err)
{
    store_index_t *ix = find_index(tx->db, WRITER, index_id, err);
    if (ix == NULL)
        return LC_ENOTFOUND;
    collect_t c = {.t = ix->table, .rd = WRITER, .out = out};
    return range_scan(ix, WRITER, range, &c, err);
}

int store_delete_by_point(store_tx_t *tx, uint32_t index_id, const uint8_t *point, size_t len,
                          uint32_t *count, lc_err_t *err)
{
    *count = 0;
    store_index_t *ix = find_index(tx->db, WRITER, index_id, err);
    if (ix == NULL)
        return LC_ENOTFOUND;
    collect_t c = {.t = ix->table, .rd = WRITER};
    int rc = point_scan(ix, WRITER, point, len, &c, err);
    if (rc == LC_OK)
        rc = store__delete_rows(tx, ix->table, c.ids, c.nids, count, err);
    lc_free(c.ids);
    return rc;
}

int store_delete_by_range(store_tx_t *tx, uint32_t index_id, const store_range_t *range,
                          uint32_t *count, lc_err_t *err)
{
    *count = 0;
    store_index_t *ix = find_index(tx->db, WRITER, index_id, err);
    if (ix == NULL)
        return LC_ENOTFOUND;
    collect_t c = {.t = ix->table, .rd = WRITER};
    int rc = range_scan(ix, WRITER, range, &c, err);
    if (rc == LC_OK)
        rc = store__delete_rows(tx, ix->table, c.ids, c.nids, count, err);
    lc_free(c.ids);
    return rc;
}

/* ---------------------------------------------------------------- views */

int store_view_open(store_db_t *db, store_view_t **out, lc_err_t *err)
{
    store_view_t *v = lc_calloc(1, sizeof *v);
    if (v == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory opening a read view");
    v->db = db;
    pthread_mutex_lock(&db->views_mu);
    v->offset = db->committed;
    v->next = db->views;
    if (db->views)
        db->views->prev = v;
    db->views = v;
    db->nviews++;
    pthread_mutex_unlock(&db->views_mu);
    *out = v;
    return LC_OK;
}

void store_view_close(store_view_t *v)
{
    if (v == NULL)
        return;
    store_db_t *db = v->db;
    pthread_mutex_lock(&db->views_mu);
    if (v->prev)
        v->prev->next = v->next;
    else
        db->views = v->next;
    if (v->next)
        v->next->prev = v->prev;
    db->nviews--;
    pthread_mutex_unlock(&db->views_mu);
    lc_free(v);
}

uint64_t store_view_offset(const store_view_t *v)
{
    return v->offset;
}

int store_view_row_count(store_view_t *v, uint32_t table_id, uint64_t *count, lc_err_t *err)
{
    store_table_t *t = find_table(v->db, view_reader(v), table_id, err);
    if (t == NULL)
        return LC_ENOTFOUND;
    *count = count_rows(t, view_reader(v));
    return LC_OK;
}

int store_view_scan(store_view_t *v, uint32_t table_id, store_rows_t *out, lc_err_t *err)
{
    store_table_t *t = find_table(v->db, view_reader(v), table_id, err);
    return t ? scan_rows(t, view_reader(v), out, err) : LC_ENOTFOUND;
}

int store_view_index_point(store_view_t *v, uint32_t index_id, const uint8_t *point, size_t len,
                           store_rows_t *out, lc_err_t *err)
{
    store_index_t *ix = find_index(v->db, view_reader(v), index_id, err);
    if (ix == NULL)
        return LC_ENOTFOUND;
    collect_t c = {.t = ix->table, .rd = view_reader(v), .out = out};
    return point_scan(ix, view_reader(v), point, len, &c, err);
}

int store_view_index_range(store_view_t *v, uint32_t index_id, const store_range_t *range,
                           store_rows_t *out, lc_err_t *err)
{
    store_index_t *ix = find_index(v->db, view_reader(v), index_id, err);
    if (ix == NULL)
        return LC_ENOTFOUND;
    collect_t c = {.t = ix->table, .rd = view_reader(v), .out = out};
    return range_scan(ix, view_reader(v), range, &c, err);
}
