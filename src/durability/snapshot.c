/*
 * Snapshots: the whole committed state of a database at one offset, so
 * that recovery replays only the log after it.
 *
 * File DIR/snapshots/<20-digit offset>.snap:
 *
 *   off  size  field
 *   0    8     magic "LCSNAP\0\1" (the last byte is the format version)
 *   8    8     tx_offset, u64 LE: the state after this transaction
 *   16   4     ntables, u32 LE
 *   20   ..    per table, ascending id: u32 table_id, u64 nrows,
 *              nrows x (varint len, row BSATN)
 *   end  4     CRC32C of every byte before it
 *
 * Invariants:
 *   1. A snapshot file appears under its final name only complete: it is
 *      written as <name>.tmp, fsynced, renamed, and the directory fsynced.
 *   2. The rows are those of one read view, so the snapshot is a
 *      transaction-consistent state; the caller takes it at an offset that
 *      is already durable in the log (never ahead of it).
 *   3. System tables come first, so restoring rebuilds the catalog (and the
 *      table objects) before the rows that need them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dur_int.h"

static const uint8_t SNAP_MAGIC[8] = {'L', 'C', 'S', 'N', 'A', 'P', 0, 1};

/* ---------------------------------------------------------------- writing */

typedef struct snap_writer {
    int fd;
    lc_buf_t buf;
    uint32_t crc;
    const char *path;
} snap_writer_t;

static int sw_flush(snap_writer_t *w, lc_err_t *err)
{
    w->crc = lc_crc32c(w->crc, w->buf.data, w->buf.len);
    int rc = dur__write_all(w->fd, w->buf.data, w->buf.len, w->path, err);
    lc_buf_reset(&w->buf);
    return rc;
}

static int write_table(snap_writer_t *w, store_view_t *view, uint32_t id, lc_err_t *err)
{
    store_rows_t rows;
    store_rows_init(&rows);
    int rc = store_view_scan(view, id, &rows, err);
    if (rc == LC_OK && rows.count > 0) {
        lc_buf_put_u32le(&w->buf, id);
        lc_buf_put_u64le(&w->buf, rows.count);
        for (uint32_t i = 0; i < rows.count && rc == LC_OK; i++) {
            size_t end = i + 1 < rows.count ? rows.offsets[i + 1] : rows.data.len;
            dur__put_varint(&w->buf, end - rows.offsets[i]);
            lc_buf_append(&w->buf, rows.data.data + rows.offsets[i], end - rows.offsets[i]);
            if (w->buf.len >= (1u << 20))
                rc = sw_flush(w, err);
        }
    }
    store_rows_free(&rows);
    if (rc == LC_OK && w->buf.oom)
        rc = lc_err_set(err, LC_ENOMEM, "out of memory writing a snapshot");
    return rc;
}

static int count_nonempty(store_view_t *view, const uint32_t *ids, uint32_t n, uint32_t *count,
                          lc_err_t *err)
{
    *count = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t rows;
        int rc = store_view_row_count(view, ids[i], &rows, err);
        if (rc != LC_OK)
            return rc;
        *count += rows > 0;
    }
    return LC_OK;
}

static int write_body(snap_writer_t *w, store_db_t *db, store_view_t *view, lc_err_t *err)
{
    uint32_t *ids, n, nonempty;
    int rc = store_table_ids(db, &ids, &n, err);
    if (rc != LC_OK)
        return rc;
    rc = count_nonempty(view, ids, n, &nonempty, err);
    lc_buf_append(&w->buf, SNAP_MAGIC, sizeof SNAP_MAGIC);
    lc_buf_put_u64le(&w->buf, store_view_offset(view));
    lc_buf_put_u32le(&w->buf, nonempty);
    for (uint32_t i = 0; rc == LC_OK && i < n; i++) rc = write_table(w, view, ids[i], err);
    lc_free(ids);
    if (rc == LC_OK)
        rc = sw_flush(w, err);
    if (rc == LC_OK) {
        uint8_t crc[4];
        lc_store_u32le(crc, w->crc);
        rc = dur__write_all(w->fd, crc, 4, w->path, err);
    }
    return rc;
}

/* Delete all but the newest keep snapshots (and stray temporary files). */
static void prune(const char *sdir, uint32_t keep)
{
    uint64_t *offs;
    uint32_t n;
    if (dur__list_snapshots(sdir, &offs, &n) != LC_OK)
        return;
    for (uint32_t i = 0; i + keep < n; i++) { /* ascending: the oldest first */
        char path[PATH_MAX];
        dur__snapshot_path(path, sizeof path, sdir, offs[i]);
        if (unlink(path) != 0)
            lc_log_warn("cannot remove old snapshot %s: %s", path, strerror(errno));
    }
    lc_free(offs);
}

int dur_snapshot_write(const char *dir, store_db_t *db, store_view_t *view, uint32_t keep,
                       lc_err_t *err)
{
    char sdir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8];
    snprintf(sdir, sizeof sdir, "%s/snapshots", dir);
    int rc = dur__mkdirs(sdir, err);
    if (rc != LC_OK)
        return rc;
    dur__snapshot_path(path, sizeof path, sdir, store_view_offset(view));
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snap_writer_t w = {.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600),
                       .path = tmp};
    if (w.fd < 0)
        return lc_err_set(err, LC_EIO, "cannot create %s: %s", tmp, strerror(errno));
    rc = write_body(&w, db, view, err);
    if (rc == LC_OK && fdatasync(w.fd) != 0)
        rc = lc_err_set(err, LC_EIO, "cannot sync %s: %s", tmp, strerror(errno));
    close(w.fd);
    lc_buf_free(&w.buf);
    if (rc == LC_OK && rename(tmp, path) != 0)
        rc = lc_err_set(err, LC_EIO, "cannot rename %s: %s", tmp, strerror(errno));
    if (rc == LC_OK)
        rc = dur__fsync_dir(sdir, err);
    if (rc != LC_OK) {
        unlink(tmp);
        return rc;
    }
    if (keep > 0)
        prune(sdir, keep);
    return LC_OK;
}

/* ---------------------------------------------------------------- reading */

int dur__snapshot_read(const char *path, lc_buf_t *out, uint64_t *offset, lc_err_t *err)
{
    int rc = dur__read_file(path, out, err);
    if (rc != LC_OK)
        return rc;
    if (out->len < 24 || memcmp(out->data, SNAP_MAGIC, sizeof SNAP_MAGIC) != 0)
        return LC_CORRUPT(err, "snapshot %s: not a Lightcone snapshot (bad magic or version)",
                          path);
    uint32_t want = lc_load_u32le(out->data + out->len - 4);
    if (lc_crc32c(0, out->data, out->len - 4) != want)
        return LC_CORRUPT(err, "snapshot %s: checksum mismatch", path);
    *offset = lc_load_u64le(out->data + 8);
    return LC_OK;
}

/* Insert one table's rows from the snapshot. */
static int restore_table(store_tx_t *tx, lc_rd_t *r, uint32_t id, uint64_t nrows, lc_err_t *err)
{
    for (uint64_t i = 0; i < nrows; i++) {
        uint64_t len = 0;
        const uint8_t *row;
        if (dur__get_varint(r, &len) != LC_OK || lc_rd_bytes(r, len, &row) != LC_OK)
            return LC_CORRUPT(err, "snapshot: rows of table %u are truncated", id);
        store_insert_result_t res;
        int rc = store_insert(tx, id, row, len, &res, err);
        if (rc != LC_OK)
            return lc_err_prefix(err, "snapshot: restoring table %u", id);
    }
    return LC_OK;
}

/* Empty every system table: the bootstrap rows give way to the snapshot's. */
static int clear_system_tables(store_tx_t *tx, store_db_t *db, lc_err_t *err)
{
    uint32_t *ids, n;
    int rc = store_table_ids(db, &ids, &n, err);
    for (uint32_t i = 0; rc == LC_OK && i < n && ids[i] < STORE_FIRST_USER_ID; i++) {
        uint64_t count;
        rc = store_clear(tx, ids[i], &count, err);
    }
    if (rc == LC_OK)
        lc_free(ids);
    return rc;
}

int dur__snapshot_restore(store_db_t *db, const lc_buf_t *snap, lc_err_t *err)
{
    lc_rd_t r = lc_rd_make(snap->data + 20, snap->len - 24);
    uint64_t offset = lc_load_u64le(snap->data + 8);
    uint32_t ntables = lc_load_u32le(snap->data + 16);
    store_tx_t *tx;
    int rc = store_tx_begin_at(db, offset, &tx, err);
    if (rc != LC_OK)
        return rc;
    rc = clear_system_tables(tx, db, err);
    bool synced = false;
    for (uint32_t i = 0; rc == LC_OK && i < ntables; i++) {
        uint32_t id;
        uint64_t nrows;
        if (lc_rd_u32le(&r, &id) != LC_OK || lc_rd_u64le(&r, &nrows) != LC_OK) {
            rc = LC_CORRUPT(err, "snapshot: truncated table header");
            break;
        }
        if (id >= STORE_FIRST_USER_ID && !synced) {
            synced = true;
            rc = store_tx_sync_catalog(tx, err);
        }
        if (rc == LC_OK)
            rc = restore_table(tx, &r, id, nrows, err);
    }
    if (rc == LC_OK && !synced)
        rc = store_tx_sync_catalog(tx, err);
    if (rc == LC_OK && r.len != 0)
        rc = LC_CORRUPT(err, "snapshot: %zu bytes left over", r.len);
    return store_tx_end(tx, rc, err);
}
