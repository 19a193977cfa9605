/*
 * Recovery: rebuild a database from its snapshot and log.  As numbered
 * steps:
 *   1. Bootstrap an empty database (the system tables at offset 0).
 *   2. Open the log, which cuts a torn tail back to the last whole record
 *      (and refuses damage anywhere before it).
 *   3. Take the newest snapshot that verifies and is not ahead of the log
 *      (a snapshot past the log's end cannot be trusted: it may hold a
 *      transaction that never became durable); a damaged one is skipped
 *      with a warning when an older one or the log can stand in for it.
 *   4. Replay every record after the snapshot: per record, in one
 *      transaction at the record's offset: system-table deletes, then
 *      inserts; the catalog is brought up to date; then user tables'
 *      truncates, deletes and inserts (deletes first, so an updated row's
 *      old version leaves before its new one arrives).
 *   5. Sequences resume at their persisted allocation marks.
 */
#include <stdio.h>
#include <string.h>

#include "dur_int.h"

typedef struct replay_ctx {
    store_db_t *db;
    uint64_t applied;
    lc_err_t *err;
} replay_ctx_t;

static int apply_group(store_tx_t *tx, const struct dur_group *g, lc_err_t *err)
{
    lc_rd_t r = lc_rd_make(g->rows, g->rows_len);
    for (uint32_t i = 0; i < g->nrows; i++) {
        uint64_t len = 0;
        const uint8_t *row;
        if (dur__get_varint(&r, &len) != LC_OK || lc_rd_bytes(&r, len, &row) != LC_OK)
            return LC_CORRUPT(err, "row %u of table %u is truncated", i, g->table_id);
        int rc;
        if (g->is_delete) {
            uint32_t deleted;
            rc = store_delete_value(tx, g->table_id, row, len, &deleted, err);
            if (rc == LC_OK && deleted != 1)
                rc = LC_CORRUPT(err, "a deleted row of table %u is not in the database",
                                g->table_id);
        } else {
            store_insert_result_t res;
            rc = store_insert(tx, g->table_id, row, len, &res, err);
        }
        if (rc != LC_OK)
            return rc;
    }
    return LC_OK;
}

/* Apply the groups of one kind (deletes or inserts) for system or user
 * tables. */
static int apply_groups(store_tx_t *tx, const dur_txdata_t *d, bool system, bool deletes,
                        lc_err_t *err)
{
    for (uint32_t i = 0; i < d->ngroups; i++) {
        const struct dur_group *g = &d->groups[i];
        if (g->is_delete != deletes || (g->table_id < STORE_FIRST_USER_ID) != system)
            continue;
        int rc = apply_group(tx, g, err);
        if (rc != LC_OK)
            return rc;
    }
    return LC_OK;
}

static int apply_truncates(store_tx_t *tx, const dur_txdata_t *d, bool system, lc_err_t *err)
{
    for (uint32_t i = 0; i < d->ntruncates; i++) {
        if ((d->truncates[i] < STORE_FIRST_USER_ID) != system)
            continue;
        uint64_t n;
        int rc = store_clear(tx, d->truncates[i], &n, err);
        if (rc != LC_OK)
            return rc;
    }
    return LC_OK;
}

static bool touches_catalog(const dur_txdata_t *d)
{
    for (uint32_t i = 0; i < d->ngroups; i++)
        if (d->groups[i].table_id < STORE_FIRST_USER_ID)
            return true;
    for (uint32_t i = 0; i < d->ntruncates; i++)
        if (d->truncates[i] < STORE_FIRST_USER_ID)
            return true;
    return false;
}

/* Step 4 for one transaction.  The catalog is synced only after records
 * that changed system tables: most records touch user rows alone. */
static int apply_txdata(store_tx_t *tx, const dur_txdata_t *d, lc_err_t *err)
{
    int rc = apply_truncates(tx, d, true, err);
    if (rc == LC_OK)
        rc = apply_groups(tx, d, true, true, err);
    if (rc == LC_OK)
        rc = apply_groups(tx, d, true, false, err);
    if (rc == LC_OK && touches_catalog(d))
        rc = store_tx_sync_catalog(tx, err);
    if (rc == LC_OK)
        rc = apply_truncates(tx, d, false, err);
    if (rc == LC_OK)
        rc = apply_groups(tx, d, false, true, err);
    if (rc == LC_OK)
        rc = apply_groups(tx, d, false, false, err);
    return rc;
}

static int replay_record(void *arg, uint64_t offset, const uint8_t *payload, size_t len)
{
    replay_ctx_t *ctx = arg;
    lc_arena_t a;
    lc_arena_init(&a, 4096);
    dur_txdata_t d;
    store_tx_t *tx = NULL;
    int rc = dur_txdata_decode(&a, payload, len, &d, ctx->err);
    if (rc == LC_OK)
        rc = store_tx_begin_at(ctx->db, offset, &tx, ctx->err);
    if (rc == LC_OK)
        rc = store_tx_end(tx, apply_txdata(tx, &d, ctx->err), ctx->err);
    lc_arena_free(&a);
    if (rc != LC_OK)
        return lc_err_prefix(ctx->err, "replaying transaction %llu", (unsigned long long)offset);
    ctx->applied++;
    return LC_OK;
}

/* Step 3: restore the newest usable snapshot not past last_offset. */
static int restore_snapshot(const char *dir, store_db_t *db, uint64_t last_offset,
                            uint64_t first_log_offset, uint64_t *used, lc_err_t *err)
{
    char sdir[PATH_MAX], path[PATH_MAX];
    snprintf(sdir, sizeof sdir, "%s/snapshots", dir);
    uint64_t *offs;
    uint32_t n;
    *used = 0;
    if (dur__list_snapshots(sdir, &offs, &n) != LC_OK)
        return lc_err_set(err, LC_EIO, "cannot list the snapshots in %s", sdir);
    int rc = LC_OK;
    for (uint32_t i = n; i-- > 0 && *used == 0;) {
        if (offs[i] > last_offset) {
            lc_log_warn("snapshot %llu is past the end of the log (%llu): ignored",
                        (unsigned long long)offs[i], (unsigned long long)last_offset);
            continue;
        }
        lc_buf_t snap = {0};
        uint64_t off;
        lc_err_t e;
        dur__snapshot_path(path, sizeof path, sdir, offs[i]);
        rc = dur__snapshot_read(path, &snap, &off, &e);
        if (rc == LC_OK && off == offs[i]) {
            rc = dur__snapshot_restore(db, &snap, err);
            if (rc == LC_OK)
                *used = off;
        } else {
            lc_log_warn("%s", rc == LC_OK ? "snapshot offset does not match its name" : e.msg);
            rc = LC_OK;
        }
        lc_buf_free(&snap);
        if (rc != LC_OK)
            break;
    }
    lc_free(offs);
    if (rc == LC_OK && *used == 0 && first_log_offset > 1)
        rc = lc_err_set(err, LC_ECORRUPT,
                        "no usable snapshot, and the log in %s starts at transaction %llu: the "
                        "transactions before it are lost",
                        dir, (unsigned long long)first_log_offset);
    if (rc == LC_OK && *used && first_log_offset > *used + 1 && last_offset > *used)
        rc = lc_err_set(err, LC_ECORRUPT,
                        "the log in %s starts at transaction %llu but the snapshot ends at %llu",
                        dir, (unsigned long long)first_log_offset, (unsigned long long)*used);
    return rc;
}

int dur_recover(const char *dir, store_db_t **out, dur_recovery_info_t *info, lc_err_t *err)
{
    memset(info, 0, sizeof *info);
    store_db_t *db;
    int rc = store_db_open(&db, err); /* step 1 */
    if (rc != LC_OK)
        return rc;
    dur_log_t *log;
    dur_log_open_info_t li;
    rc = dur_log_open(dir, NULL, &log, &li, err); /* step 2 */
    if (rc == LC_OK)
        rc = dur_log_close(log, err);
    if (rc == LC_OK)
        rc =
            restore_snapshot(dir, db, li.last_offset, li.first_offset, &info->snapshot_offset, err);
    replay_ctx_t ctx = {db, 0, err};
    if (rc == LC_OK && li.last_offset > info->snapshot_offset)
        rc = dur_log_read(dir, info->snapshot_offset + 1, replay_record, &ctx, err);
    if (rc != LC_OK) {
        store_db_close(db);
        return rc;
    }
    store_db_resume_sequences(db); /* step 5 */
    info->replayed = ctx.applied;
    info->last_offset = store_db_committed_offset(db);
    info->tail_repaired = li.tail_repaired;
    *out = db;
    return LC_OK;
}
