/*
 * table.c — rows in and out of the host's tables: the operations behind the functions
 * LC_TABLE generates, and row iterators.
 *
 * Indexes.  lc__table_prepare derives a table's indexes from its declaration, in this order:
 * one per column carrying LC_PRIMARY_KEY, LC_UNIQUE, LC_BTREE, LC_HASH or LC_DIRECT (in column
 * order; LC_DIRECT if given, else LC_HASH if given, else btree), then one per LC_INDEX.  Each
 * gets the source name "{table}_{col}_{col}..._idx_{btree|hash|direct}" (module-abi.md §3.3),
 * which both the module definition and index_id_from_name use.  Table and index ids are looked
 * up on first use and kept: they are stable for the life of the instance (§3.1).
 *
 * Keys.  A key is passed as a row struct with the key columns filled in; the index's columns
 * are encoded from it in index order, which is the point / bound encoding of §3.7.
 *
 * Host errors the caller can act on come back as LC_STATUS_* (a unique violation, a missing
 * row for an update, a schedule too far out); anything else means the module and the host
 * disagree about the schema, and traps with a message (lc_panic).
 */
#include <stdlib.h>

#include "internal.h"

/* ---------------------------------------------------------------- preparing */

static const char *algo_name(uint32_t algo)
{
    return algo == LC_HASH ? "hash" : algo == LC_DIRECT ? "direct" : "btree";
}

static char *index_source_name(const lc_table_t *t, const lc_index_t *ix)
{
    size_t n = strlen(t->name) + sizeof "_idx_direct";
    for (uint16_t i = 0; i < ix->ncols; i++) n += strlen(t->row->fields[ix->cols[i]].name) + 1;
    char *s = malloc(n);
    if (!s)
        lc_panic("out of memory");
    char *p = s;
    p += lc_format(p, n, "%s", t->name);
    for (uint16_t i = 0; i < ix->ncols; i++)
        p += lc_format(p, n - (size_t)(p - s), "_%s", t->row->fields[ix->cols[i]].name);
    lc_format(p, n - (size_t)(p - s), "_idx_%s", algo_name(ix->algo));
    return s;
}

static lc_index_t *add_index(lc_table_t *t, const char *accessor, uint32_t algo, bool unique)
{
    if (t->nindexes == t->max_indexes)
        lc_panic("table %s: too many indexes", t->name);
    lc_index_t *ix = &t->indexes[t->nindexes++];
    *ix = (lc_index_t){.table = t, .accessor = accessor, .algo = algo, .unique = unique};
    return ix;
}

void lc__table_prepare(lc_table_t *t)
{
    if (t->prepared)
        return;
    for (uint32_t c = 0; c < t->row->nfields; c++) {
        uint32_t f = t->row->fields[c].flags;
        if (!(f & LC__INDEX_FLAGS))
            continue;
        uint32_t algo = (f & LC_DIRECT) ? LC_DIRECT : (f & LC_HASH) ? LC_HASH : LC_BTREE;
        lc_index_t *ix = add_index(t, t->row->fields[c].name, algo, (f & LC__UNIQUE_FLAGS) != 0);
        ix->ncols = 1;
        ix->cols[0] = (uint16_t)c;
    }
    for (uint32_t d = 0; d < t->ndecls; d++) {
        lc_index_t *ix = add_index(t, t->decls[d].name, t->decls[d].algo, false);
        ix->ncols = t->decls[d].ncols;
        memcpy(ix->cols, t->decls[d].cols, sizeof ix->cols);
    }
    for (uint32_t i = 0; i < t->nindexes; i++)
        t->indexes[i].source_name = index_source_name(t, &t->indexes[i]);
    t->prepared = true;
}

lc_index_t *lc__col_index(lc_table_t *t, uint16_t col)
{
    lc__table_prepare(t);
    for (uint32_t i = 0; i < t->nindexes; i++)
        if (t->indexes[i].ncols == 1 && t->indexes[i].cols[0] == col)
            return &t->indexes[i];
    lc_panic("table %s: column %s has no index", t->name, t->row->fields[col].name);
}

lc_index_t *lc__named_index(lc_table_t *t, const char *name)
{
    lc__table_prepare(t);
    for (uint32_t i = t->nindexes; i-- > 0;)
        if (strcmp(t->indexes[i].accessor, name) == 0)
            return &t->indexes[i];
    lc_panic("table %s: no index %s", t->name, name);
}

/* ---------------------------------------------------------------- ids */

static uint32_t table_id(lc_table_t *t)
{
    if (!t->have_id) {
        int32_t rc = lc_sys_table_id_from_name(t->name, (uint32_t)strlen(t->name), &t->id);
        if (rc != 0)
            lc_panic("table %s: %s", t->name, lc__errno_name(rc));
        t->have_id = true;
    }
    return t->id;
}

static uint32_t index_id(lc_index_t *ix)
{
    if (!ix->have_id) {
        int32_t rc =
            lc_sys_index_id_from_name(ix->source_name, (uint32_t)strlen(ix->source_name), &ix->id);
        if (rc != 0)
            lc_panic("index %s: %s", ix->source_name, lc__errno_name(rc));
        ix->have_id = true;
    }
    return ix->id;
}

/* ---------------------------------------------------------------- encoding */

static void write_key(lc_writer *w, const lc_index_t *ix, const void *row)
{
    const lc_field_t *f = ix->table->row->fields;
    for (uint16_t i = 0; i < ix->ncols; i++)
        lc_write_value(w, f[ix->cols[i]].type, (const uint8_t *)row + f[ix->cols[i]].offset);
}

static bool is_zero(const void *p, uint32_t n)
{
    const uint8_t *b = p;
    for (uint32_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* Which LC_AUTO_INC columns hold 0 (the host fills those, §3.5): bit c for column c < 64. */
static uint64_t zero_auto_inc(const lc_table_t *t, const void *row)
{
    uint64_t mask = 0;
    for (uint32_t c = 0; c < t->row->nfields && c < 64; c++) {
        const lc_field_t *f = &t->row->fields[c];
        if ((f->flags & LC_AUTO_INC) && is_zero((const uint8_t *)row + f->offset, f->type->size))
            mask |= (uint64_t)1 << c;
    }
    return mask;
}

/* Store the generated values the host wrote back over the row buffer, in column order. */
static void write_back(const lc_table_t *t, void *row, uint64_t mask, const uint8_t *buf,
                       uint32_t len)
{
    lc_reader r = {buf, len, 0};
    for (uint32_t c = 0; c < t->row->nfields && c < 64 && r.pos < len; c++) {
        if (!(mask & ((uint64_t)1 << c)))
            continue;
        const lc_field_t *f = &t->row->fields[c];
        if (lc_read_value(&r, f->type, (uint8_t *)row + f->offset))
            lc_panic("table %s: bad generated value for %s", t->name, f->name);
    }
}

/* ---------------------------------------------------------------- writes */

int lc__insert(lc_table_t *t, void *row)
{
    _Alignas(8) uint8_t small[512];
    lc_writer w;
    lc_writer_init(&w, small, sizeof small);
    lc_write_value(&w, t->row, row);
    uint64_t mask = zero_auto_inc(t, row);
    uint32_t len = w.len;
    int32_t rc = lc_sys_insert(table_id(t), w.data, &len);
    if (rc == LC_ERRNO_UNIQUE_ALREADY_EXISTS || rc == LC_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG)
        return rc;
    if (rc != 0)
        lc_panic("insert into %s: %s", t->name, lc__errno_name(rc));
    if (mask && len)
        write_back(t, row, mask, w.data, len);
    return LC_STATUS_OK;
}

int lc__update(lc_index_t *ix, void *row)
{
    lc_table_t *t = ix->table;
    _Alignas(8) uint8_t small[512];
    lc_writer w;
    lc_writer_init(&w, small, sizeof small);
    lc_write_value(&w, t->row, row);
    uint64_t mask = zero_auto_inc(t, row);
    uint32_t len = w.len;
    int32_t rc = lc_sys_update(table_id(t), index_id(ix), w.data, &len);
    if (rc == LC_ERRNO_UNIQUE_ALREADY_EXISTS || rc == LC_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG ||
        rc == LC_ERRNO_NO_SUCH_ROW)
        return rc;
    if (rc != 0)
        lc_panic("update of %s through %s: %s", t->name, ix->source_name, lc__errno_name(rc));
    if (mask && len)
        write_back(t, row, mask, w.data, len);
    return LC_STATUS_OK;
}

uint32_t lc__delete_row(lc_table_t *t, const void *row)
{
    _Alignas(8) uint8_t small[512];
    lc_writer w;
    lc_writer_init(&w, small, sizeof small);
    uint32_t one = 1;
    lc_write_bytes(&w, &one, 4);
    lc_write_value(&w, t->row, row);
    uint32_t n = 0;
    int32_t rc = lc_sys_delete_by_eq(table_id(t), w.data, w.len, &n);
    if (rc != 0)
        lc_panic("delete from %s: %s", t->name, lc__errno_name(rc));
    return n;
}

uint32_t lc__delete_point(lc_index_t *ix, const void *key_row)
{
    _Alignas(8) uint8_t small[256];
    lc_writer w;
    lc_writer_init(&w, small, sizeof small);
    write_key(&w, ix, key_row);
    uint32_t n = 0;
    int32_t rc = lc_sys_delete_by_point(index_id(ix), w.data, w.len, &n);
    if (rc != 0)
        lc_panic("delete from %s through %s: %s", ix->table->name, ix->source_name,
                 lc__errno_name(rc));
    return n;
}

uint64_t lc__count(lc_table_t *t)
{
    uint64_t n = 0;
    int32_t rc = lc_sys_table_row_count(table_id(t), &n);
    if (rc != 0)
        lc_panic("count of %s: %s", t->name, lc__errno_name(rc));
    return n;
}

uint64_t lc__clear(lc_table_t *t)
{
    uint64_t n = 0;
    int32_t rc = lc_sys_clear(table_id(t), &n);
    if (rc != 0)
        lc_panic("clear of %s: %s", t->name, lc__errno_name(rc));
    return n;
}

/* ---------------------------------------------------------------- reads */

static lc_iter iter_of(const lc_table_t *t, uint32_t handle)
{
    return (lc_iter){.handle = handle, .row = t->row};
}

lc_iter lc__scan_all(lc_table_t *t)
{
    uint32_t h = 0;
    int32_t rc = lc_sys_table_scan(table_id(t), &h);
    if (rc != 0)
        lc_panic("scan of %s: %s", t->name, lc__errno_name(rc));
    return iter_of(t, h);
}

lc_iter lc__scan_point(lc_index_t *ix, const void *key_row)
{
    _Alignas(8) uint8_t small[256];
    lc_writer w;
    lc_writer_init(&w, small, sizeof small);
    write_key(&w, ix, key_row);
    uint32_t h = 0;
    int32_t rc = lc_sys_index_scan_point(index_id(ix), w.data, w.len, &h);
    if (rc != 0)
        lc_panic("lookup in %s through %s: %s", ix->table->name, ix->source_name,
                 lc__errno_name(rc));
    return iter_of(ix->table, h);
}

/* A Bound<V> on the index's first column: Included(v), or Unbounded when row is NULL. */
static void write_bound(lc_writer *w, const lc_index_t *ix, const void *row)
{
    uint8_t tag = row ? 0 : 2;
    lc_write_bytes(w, &tag, 1);
    if (row) {
        const lc_field_t *f = &ix->table->row->fields[ix->cols[0]];
        lc_write_value(w, f->type, (const uint8_t *)row + f->offset);
    }
}

lc_iter lc__scan_range(lc_index_t *ix, const void *lo_row, const void *hi_row)
{
    _Alignas(8) uint8_t small_lo[128], small_hi[128];
    lc_writer lo, hi;
    lc_writer_init(&lo, small_lo, sizeof small_lo);
    lc_writer_init(&hi, small_hi, sizeof small_hi);
    write_bound(&lo, ix, lo_row);
    write_bound(&hi, ix, hi_row);
    uint32_t h = 0;
    int32_t rc =
        lc_sys_index_scan_range(index_id(ix), lo.data, 0, 0, lo.data, lo.len, hi.data, hi.len, &h);
    if (rc != 0)
        lc_panic("range scan of %s through %s: %s", ix->table->name, ix->source_name,
                 lc__errno_name(rc));
    return iter_of(ix->table, h);
}

bool lc__find(lc_index_t *ix, const void *key_row, void *out)
{
    _Alignas(8) uint8_t small[512];
    lc_iter it = lc__scan_point(ix, key_row);
    it.buf = small;
    it.cap = sizeof small;
    bool found = lc_iter_next(&it, out);
    lc_iter_close(&it);
    return found;
}

/* ---------------------------------------------------------------- iterators */

#define ITER_FIRST_BUFFER 4096

/* Fetch the next batch of whole rows (§3.4); false when the iterator is exhausted. */
static bool refill(lc_iter *it)
{
    while (it->handle) {
        if (!it->buf) {
            it->cap = ITER_FIRST_BUFFER;
            it->buf = lc_alloc(it->cap);
        }
        uint32_t n = it->cap;
        int32_t rc = lc_sys_iter_advance(it->handle, it->buf, &n);
        if (rc == LC_ERRNO_BUFFER_TOO_SMALL) {
            it->cap = n;
            it->buf = lc_alloc(n);
            continue;
        }
        if (rc == -1)
            it->handle = 0;
        else if (rc != 0 || n == 0)
            lc_panic("reading rows: %s", rc ? lc__errno_name(rc) : "no progress");
        it->len = n;
        it->pos = 0;
        if (n > 0)
            return true;
    }
    return false;
}

bool lc_iter_next(lc_iter *it, void *row)
{
    if (it->pos >= it->len && !refill(it))
        return false;
    lc_reader r = {it->buf, it->len, it->pos};
    if (lc_read_value(&r, it->row, row))
        lc_panic("a row of %s does not decode", it->row->name);
    it->pos = r.pos;
    return true;
}

void lc_iter_close(lc_iter *it)
{
    if (it->handle)
        lc_sys_iter_close(it->handle);
    it->handle = 0;
    it->len = it->pos = 0;
}
