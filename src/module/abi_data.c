/*
 * The datastore imports of the host ABI: row counts, table and index
 * scans, insert and update (with the generated-columns write-back and the
 * schedule hook), the three kinds of delete, and clear.  module-abi.md
 * §3.4-3.7, §6.4, §6.6-6.8 are the contract; the store (store.h) does the
 * work in ctx->tx.
 *
 * Store codes become errnos per import (§2's host-side mapping):
 *
 *   import                  ENOTFOUND   ECORRUPT  EEXIST  EUNSUPPORTED  EINVAL
 *   row_count, scan, clear  4 table     trap      trap    trap          trap
 *   point scan / delete     5 index     3         trap    trap          trap
 *   range scan / delete     5 index     3         trap    10            trap
 *   insert                  4 table     3         12      trap          trap
 *   update                  4, 5 or 15  3         12      trap          14
 *   delete_all_by_eq        4 table     3         trap    trap          trap
 *
 * store_update answers ENOTFOUND for a missing table, a missing (or
 * foreign) index and a missing row alike; the import tells them apart
 * afterwards by asking the store for the table and reading the index's
 * st_index row.
 */
#include <string.h>

#include "module/mod_abi.h"
#include "sats/sats.h"

static const mod_abi_errmap_t TABLE_MAP = {.notfound = MOD_ERRNO_NO_SUCH_TABLE};
static const mod_abi_errmap_t POINT_MAP = {.notfound = MOD_ERRNO_NO_SUCH_INDEX,
                                           .corrupt = MOD_ERRNO_BSATN_DECODE_ERROR};
static const mod_abi_errmap_t RANGE_MAP = {.notfound = MOD_ERRNO_NO_SUCH_INDEX,
                                           .corrupt = MOD_ERRNO_BSATN_DECODE_ERROR,
                                           .unsupported = MOD_ERRNO_WRONG_INDEX_ALGO};
static const mod_abi_errmap_t WRITE_MAP = {.notfound = MOD_ERRNO_NO_SUCH_TABLE,
                                           .corrupt = MOD_ERRNO_BSATN_DECODE_ERROR,
                                           .exist = MOD_ERRNO_UNIQUE_ALREADY_EXISTS};
static const mod_abi_errmap_t DELETE_MAP = {.notfound = MOD_ERRNO_NO_SUCH_TABLE,
                                            .corrupt = MOD_ERRNO_BSATN_DECODE_ERROR};

/* ---------------------------------------------------------------- counts and scans */

/* The shape of row_count and clear: a per-table store call yielding a u64
 * that goes to the guest's out. */
static uint32_t table_count_op(void *c, const char *fn, uint32_t table_id, uint32_t out,
                               int (*op)(store_tx_t *, uint32_t, uint64_t *, lc_err_t *))
{
    mod_abi_ctx_t *ctx = c;
    if (ctx->tx == NULL)
        return MOD_ERRNO_NOT_IN_TRANSACTION;
    uint64_t n;
    lc_err_t err = {0};
    int rc = op(ctx->tx, table_id, &n, &err);
    if (rc != LC_OK)
        return mod_abi__store_errno(ctx, fn, rc, &err, &TABLE_MAP);
    mod_abi__write_u64(ctx, fn, "out", out, n);
    return 0;
}

uint32_t mod_abi__datastore_table_row_count(void *c, uint32_t table_id, uint32_t out)
{
    return table_count_op(c, "datastore_table_row_count", table_id, out, store_tx_row_count);
}

/* Turn a finished scan into an iterator and write its id to out. */
static uint32_t scan_done(mod_abi_ctx_t *ctx, const char *fn, int rc, lc_err_t *err,
                          const mod_abi_errmap_t *map, store_rows_t *rows, uint32_t out)
{
    if (rc != LC_OK)
        return mod_abi__store_errno(ctx, fn, rc, err, map);
    uint32_t id;
    if (mod_abi__iter_new(ctx, rows, &id) != LC_OK) {
        mod_abi__trap(ctx, fn, "out of memory");
        return 0;
    }
    mod_abi__write_u32(ctx, fn, "out", out, id);
    return 0;
}

uint32_t mod_abi__datastore_table_scan_bsatn(void *c, uint32_t table_id, uint32_t out)
{
    static const char fn[] = "datastore_table_scan_bsatn";
    mod_abi_ctx_t *ctx = c;
    if (ctx->tx == NULL)
        return MOD_ERRNO_NOT_IN_TRANSACTION;
    store_rows_t *rows = mod_abi__scratch(ctx);
    lc_err_t err = {0};
    int rc = store_tx_scan(ctx->tx, table_id, rows, &err);
    return scan_done(ctx, fn, rc, &err, &TABLE_MAP, rows, out);
}

uint32_t mod_abi__datastore_index_scan_point_bsatn(void *c, uint32_t index_id, uint32_t point,
                                                   uint32_t point_len, uint32_t out)
{
    static const char fn[] = "datastore_index_scan_point_bsatn";
    mod_abi_ctx_t *ctx = c;
    const uint8_t *p = mod_abi__mem(ctx, fn, "point", point, point_len);
    if (p == NULL)
        return 0;
    if (ctx->tx == NULL)
        return MOD_ERRNO_NOT_IN_TRANSACTION;
    store_rows_t *rows = mod_abi__scratch(ctx);
    lc_err_t err = {0};
    int rc = store_tx_index_point(ctx->tx, index_id, p, point_len, rows, &err);
    return scan_done(ctx, fn, rc, &err, &POINT_MAP, rows, out);
}

/* The guest's prefix and bounds (§3.7), or false after trapping.  The
 * prefix is read only when prefix_elems > 0; both bounds always. */
static bool range_args(mod_abi_ctx_t *ctx, const char *fn, uint32_t prefix, uint32_t prefix_len,
                       uint32_t prefix_elems, uint32_t rstart, uint32_t rstart_len, uint32_t rend,
                       uint32_t rend_len, store_range_t *r)
{
    if (prefix_elems > UINT16_MAX) {
        mod_abi__trap(ctx, fn, "prefix_elems %u is not a column id (u16)", prefix_elems);
        return false;
    }
    memset(r, 0, sizeof *r);
    r->prefix_elems = (uint16_t)prefix_elems;
    if (prefix_elems > 0) {
        if ((r->prefix = mod_abi__mem(ctx, fn, "prefix", prefix, prefix_len)) == NULL)
            return false;
        r->prefix_len = prefix_len;
    }
    if ((r->start = mod_abi__mem(ctx, fn, "rstart", rstart, rstart_len)) == NULL)
        return false;
    r->start_len = rstart_len;
    if ((r->end = mod_abi__mem(ctx, fn, "rend", rend, rend_len)) == NULL)
        return false;
    r->end_len = rend_len;
    return true;
}

uint32_t mod_abi__datastore_index_scan_range_bsatn(void *c, uint32_t index_id, uint32_t prefix,
                                                   uint32_t prefix_len, uint32_t prefix_elems,
                                                   uint32_t rstart, uint32_t rstart_len,
                                                   uint32_t rend, uint32_t rend_len, uint32_t out)
{
    static const char fn[] = "datastore_index_scan_range_bsatn";
    mod_abi_ctx_t *ctx = c;
    store_range_t r;
    if (!range_args(ctx, fn, prefix, prefix_len, prefix_elems, rstart, rstart_len, rend, rend_len,
                    &r))
        return 0;
    if (ctx->tx == NULL)
        return MOD_ERRNO_NOT_IN_TRANSACTION;
    store_rows_t *rows = mod_abi__scratch(ctx);
    lc_err_t err = {0};
    int rc = store_tx_index_range(ctx->tx, index_id, &r, rows, &err);
    return scan_done(ctx, fn, rc, &err, &RANGE_MAP, rows, out);
}

/* ---------------------------------------------------------------- insert and update */

/* After a successful insert or update: schedule, write the generated
 * values over the start of the guest's row buffer and their length to
 * *row_len_ptr (§3.5).  On SCHEDULE_AT_DELAY_TOO_LONG the buffer is
 * rewritten but the length is not, as in the reference. */
static uint32_t write_done(mod_abi_ctx_t *ctx, const char *fn, uint32_t table_id, uint32_t row,
                           uint32_t len, uint32_t row_len_ptr, const store_insert_result_t *res)
{
    int sched = 0;
    if (ctx->hooks.schedule) {
        sched = ctx->hooks.schedule(ctx->hook_arg, table_id, res->row_bsatn, res->row_len);
        if (sched != 0 && sched != MOD_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG) {
            mod_abi__trap(ctx, fn, "scheduling the row failed: %s",
                          sched < 0 ? lc_strerror(sched) : "bad hook result");
            return 0;
        }
    }
    if (NEVER(res->generated_len > len))
        return 0;
    if (!mod_abi__write(ctx, fn, "row", row, res->generated, res->generated_len))
        return 0;
    if (sched != 0)
        return (uint32_t)sched;
    mod_abi__write_u32(ctx, fn, "row_len_ptr", row_len_ptr, res->generated_len);
    return 0;
}

/* The guest's row buffer (*row_len_ptr bytes at row), or NULL after
 * trapping. */
static const uint8_t *row_arg(mod_abi_ctx_t *ctx, const char *fn, uint32_t row,
                              uint32_t row_len_ptr, uint32_t *len)
{
    if (!mod_abi__read_u32(ctx, fn, "row_len_ptr", row_len_ptr, len))
        return NULL;
    return mod_abi__mem(ctx, fn, "row", row, *len);
}

uint32_t mod_abi__datastore_insert_bsatn(void *c, uint32_t table_id, uint32_t row,
                                         uint32_t row_len_ptr)
{
    static const char fn[] = "datastore_insert_bsatn";
    mod_abi_ctx_t *ctx = c;
    uint32_t len;
    const uint8_t *p = row_arg(ctx, fn, row, row_len_ptr, &len);
    if (p == NULL)
        return 0;
    if (ctx->tx == NULL)
        return MOD_ERRNO_NOT_IN_TRANSACTION;
    store_insert_result_t res;
    lc_err_t err = {0};
    int rc = store_insert(ctx->tx, table_id, p, len, &res, &err);
    if (rc != LC_OK)
        return mod_abi__store_errno(ctx, fn, rc, &err, &WRITE_MAP);
    return write_done(ctx, fn, table_id, row, len, row_len_ptr, &res);
}

/* The table of index_id by its st_index row (index_id u32, table_id u32,
 * ...): LC_OK, LC_ENOTFOUND, or another store error. */
static int index_table(mod_abi_ctx_t *ctx, uint32_t index_id, uint32_t *table_id)
{
    uint32_t pk;
    int rc = store_index_id(ctx->db, "st_index_index_id_idx_btree", &pk);
    if (NEVER(rc != LC_OK))
        return LC_EINTERNAL;
    uint8_t key[4];
    lc_store_u32le(key, index_id);
    store_rows_t rows;
    store_rows_init(&rows);
    rc = store_tx_index_point(ctx->tx, pk, key, sizeof key, &rows, NULL);
    if (rc == LC_OK && (rows.count == 0 || rows.data.len < 8))
        rc = LC_ENOTFOUND;
    if (rc == LC_OK)
        *table_id = lc_load_u32le(rows.data.data + 4);
    store_rows_free(&rows);
    return rc;
}

/* Which of "no table", "no index on it" or "no row" an update's
 * LC_ENOTFOUND meant. */
static uint32_t update_notfound(mod_abi_ctx_t *ctx, const char *fn, uint32_t table_id,
                                uint32_t index_id, const lc_err_t *err)
{
    uint64_t n;
    if (store_tx_row_count(ctx->tx, table_id, &n, NULL) == LC_ENOTFOUND)
        return MOD_ERRNO_NO_SUCH_TABLE;
    uint32_t owner = 0;
    int rc = index_table(ctx, index_id, &owner);
    if (rc == LC_ENOTFOUND || (rc == LC_OK && owner != table_id))
        return MOD_ERRNO_NO_SUCH_INDEX;
    if (rc != LC_OK) {
        mod_abi__trap(ctx, fn, "%s", err->msg);
        return 0;
    }
    return MOD_ERRNO_NO_SUCH_ROW;
}

uint32_t mod_abi__datastore_update_bsatn(void *c, uint32_t table_id, uint32_t index_id,
                                         uint32_t row, uint32_t row_len_ptr)
{
    static const char fn[] = "datastore_update_bsatn";
    mod_abi_ctx_t *ctx = c;
    uint32_t len;
    const uint8_t *p = row_arg(ctx, fn, row, row_len_ptr, &len);
    if (p == NULL)
        return 0;
    if (ctx->tx == NULL)
        return MOD_ERRNO_NOT_IN_TRANSACTION;
    store_insert_result_t res;
    lc_err_t err = {0};
    int rc = store_update(ctx->tx, table_id, index_id, p, len, &res, &err);
    if (rc == LC_ENOTFOUND)
        return update_notfound(ctx, fn, table_id, index_id, &err);
    if (rc == LC_EINVAL)
        return MOD_ERRNO_INDEX_NOT_UNIQUE;
    if (rc != LC_OK)
        return mod_abi__store_errno(ctx, fn, rc, &err, &WRITE_MAP);
    return write_done(ctx, fn, table_id, row, len, row_len_ptr, &res);
}

/* ---------------------------------------------------------------- deletes */

uint32_t mod_abi__datastore_delete_by_index_scan_point_bsatn(void *c, uint32_t index_id,
                                                             uint32_t point, uint32_t point_len,
                                                             uint32_t out)
{
    static const char fn[] = "datastore_delete_by_index_scan_point_bsatn";
    mod_abi_ctx_t *ctx = c;
    const uint8_t *p = mod_abi__mem(ctx, fn, "point", point, point_len);
    if (p == NULL)
        return 0;
    if (ctx->tx == NULL)
        return MOD_ERRNO_NOT_IN_TRANSACTION;
    uint32_t n;
    lc_err_t err = {0};
    int rc = store_delete_by_point(ctx->tx, index_id, p, point_len, &n, &err);
    if (rc != LC_OK)
        return mod_abi__store_errno(ctx, fn, rc, &err, &POINT_MAP);
    mod_abi__write_u32(ctx, fn, "out", out, n);
    return 0;
}

uint32_t mod_abi__datastore_delete_by_index_scan_range_bsatn(void *c, uint32_t index_id,
                                                             uint32_t prefix, uint32_t prefix_len,
                                                             uint32_t prefix_elems, uint32_t rstart,
                                                             uint32_t rstart_len, uint32_t rend,
                                                             uint32_t rend_len, uint32_t out)
{
    static const char fn[] = "datastore_delete_by_index_scan_range_bsatn";
    mod_abi_ctx_t *ctx = c;
    store_range_t r;
    if (!range_args(ctx, fn, prefix, prefix_len, prefix_elems, rstart, rstart_len, rend, rend_len,
                    &r))
        return 0;
    if (ctx->tx == NULL)
        return MOD_ERRNO_NOT_IN_TRANSACTION;
    uint32_t n;
    lc_err_t err = {0};
    int rc = store_delete_by_range(ctx->tx, index_id, &r, &n, &err);
    if (rc != LC_OK)
        return mod_abi__store_errno(ctx, fn, rc, &err, &RANGE_MAP);
    mod_abi__write_u32(ctx, fn, "out", out, n);
    return 0;
}

/* Walk rel = u32 count + rows of the table's type.  With del false only
 * check that it decodes (the reference decodes the whole relation before
 * deleting anything); with del true delete each row, counting into *n.
 * Bytes after the last row are ignored, as by the reference's decoder. */
static int walk_rel(mod_abi_ctx_t *ctx, uint32_t table_id, const uint8_t *rel, uint32_t rel_len,
                    bool del, uint32_t *n, lc_err_t *err)
{
    const sats_typespace_t *ts;
    const sats_type_t *rt;
    int rc = store_table_info(ctx->db, table_id, NULL, &ts, &rt);
    if (rc != LC_OK)
        return lc_err_set(err, rc, "no table with id %u", table_id);
    lc_rd_t r = lc_rd_make(rel, rel_len);
    uint32_t count;
    if (lc_rd_u32le(&r, &count) != LC_OK)
        return lc_err_set(err, LC_ECORRUPT, "the rows to delete do not decode: no count");
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *row = r.p;
        if ((rc = sats_bsatn_skip(&r, ts, rt, err)) != LC_OK)
            return rc;
        size_t len = (size_t)(r.p - row);
        uint32_t gone = 0;
        if (del && (rc = store_delete_value(ctx->tx, table_id, row, len, &gone, err)) != LC_OK)
            return rc;
        *n += gone;
        if (len == 0) /* rows of an empty type are all the same row */
            break;
    }
    return LC_OK;
}

uint32_t mod_abi__datastore_delete_all_by_eq_bsatn(void *c, uint32_t table_id, uint32_t rel,
                                                   uint32_t rel_len, uint32_t out)
{
    static const char fn[] = "datastore_delete_all_by_eq_bsatn";
    mod_abi_ctx_t *ctx = c;
    const uint8_t *p = mod_abi__mem(ctx, fn, "rel", rel, rel_len);
    if (p == NULL)
        return 0;
    if (ctx->tx == NULL)
        return MOD_ERRNO_NOT_IN_TRANSACTION;
    uint32_t n = 0;
    lc_err_t err = {0};
    int rc = walk_rel(ctx, table_id, p, rel_len, false, &n, &err);
    if (rc == LC_OK)
        rc = walk_rel(ctx, table_id, p, rel_len, true, &n, &err);
    if (rc != LC_OK)
        return mod_abi__store_errno(ctx, fn, rc, &err, &DELETE_MAP);
    mod_abi__write_u32(ctx, fn, "out", out, n);
    return 0;
}

uint32_t mod_abi__datastore_clear(void *c, uint32_t table_id, uint32_t out)
{
    return table_count_op(c, "datastore_clear", table_id, out, store_clear);
}
