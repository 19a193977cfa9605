/* Unit tests for src/durability: transaction records, snapshots, recovery
 * (snapshot + log replay equals the state before the crash). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durability/dur_int.h"
#include "test.h"

/* ---------------------------------------------------------------- a workload */

/* item(id: u64 pk auto_inc, name: String unique, tags: Array<U32>, note: Option<String>) */
static int log_changeset(dur_log_t *log, const store_changeset_t *cs, lc_err_t *err)
{
    lc_buf_t rec = {0};
    int rc = dur_txdata_encode(&rec, cs, 1000);
    if (rc == LC_OK)
        rc = dur_log_append(log, cs->tx_offset, rec.data, rec.len, err);
    lc_buf_free(&rec);
    return rc;
}

/* Create the table; with a log, the creation is logged like any other
 * transaction. */
static int make_item_table(store_db_t *db, dur_log_t *log, uint32_t *table_id, lc_err_t *err)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *names[] = {"id", "name", "tags", "note"};
    const sats_type_t *types[] = {sats_prim(SATS_U64), sats_prim(SATS_STRING),
                                  sats_type_array(&a, sats_prim(SATS_U32)),
                                  sats_type_option(&a, sats_prim(SATS_STRING))};
    static const uint16_t c0[] = {0}, c1[] = {1};
    store_index_def_t idx[] = {{"item_id_idx", STORE_INDEX_BTREE, 1, c0},
                               {"item_name_idx", STORE_INDEX_HASH, 1, c1}};
    store_constraint_def_t cons[] = {{"item_id_key", 1, c0}, {"item_name_key", 1, c1}};
    store_sequence_def_t seq[] = {{"item_id_seq", 0, 1, 1, (__int128)INT64_MAX, 1}};
    store_table_def_t def = {.name = "item",
                             .row_type = sats_type_product(&a, 4, names, types),
                             .primary_key = 0,
                             .type = STORE_TABLE_USER,
                             .nindexes = 2,
                             .indexes = idx,
                             .nconstraints = 2,
                             .constraints = cons,
                             .nsequences = 1,
                             .sequences = seq};
    store_tx_t *tx;
    int rc = store_tx_begin(db, &tx, err);
    if (rc == LC_OK)
        rc = store_create_table(tx, &def, table_id, err);
    store_changeset_t cs;
    if (rc == LC_OK)
        rc = store_tx_commit(tx, &cs, err);
    else if (tx)
        store_tx_rollback(tx);
    if (rc == LC_OK && log)
        rc = log_changeset(log, &cs, err);
    if (rc == LC_OK)
        store_changeset_free(&cs);
    lc_arena_free(&a);
    return rc;
}

static size_t item_row(uint8_t *out, uint64_t id, const char *name, uint32_t ntags,
                       const char *note)
{
    size_t off = 0, n = strlen(name);
    lc_store_u64le(out, id);
    off += 8;
    lc_store_u32le(out + off, (uint32_t)n);
    memcpy(out + off + 4, name, n);
    off += 4 + n;
    lc_store_u32le(out + off, ntags);
    off += 4;
    for (uint32_t i = 0; i < ntags; i++, off += 4) lc_store_u32le(out + off, i * 7);
    if (note) {
        out[off++] = 0;
        n = strlen(note);
        lc_store_u32le(out + off, (uint32_t)n);
        memcpy(out + off + 4, note, n);
        off += 4 + n;
    } else {
        out[off++] = 1;
    }
    return off;
}

/* One transaction of the workload: a few inserts, a delete, an update. */
static int workload_tx(store_db_t *db, uint32_t t, unsigned k, store_changeset_t *cs, lc_err_t *err)
{
    store_tx_t *tx;
    int rc = store_tx_begin(db, &tx, err);
    if (rc != LC_OK)
        return rc;
    uint8_t row[512];
    for (unsigned i = 0; rc == LC_OK && i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "item-%u-%u", k, i);
        size_t n = item_row(row, 0, name, (k + i) % 5, i % 2 ? "noted" : NULL);
        store_insert_result_t res;
        rc = store_insert(tx, t, row, n, &res, err);
    }
    uint32_t pk_ix;
    if (rc == LC_OK)
        rc = store_index_id(db, "item_id_idx", &pk_ix);
    if (rc == LC_OK && k % 3 == 0) { /* delete an early item */
        uint8_t key[8];
        uint32_t n;
        lc_store_u64le(key, k / 3 + 1);
        rc = store_delete_by_point(tx, pk_ix, key, 8, &n, err);
    }
    if (rc == LC_OK && k % 4 == 1) { /* update one */
        char name[32];
        snprintf(name, sizeof name, "renamed-%u", k);
        size_t n = item_row(row, k, name, 2, "updated");
        store_insert_result_t res;
        int u = store_update(tx, t, pk_ix, row, n, &res, err);
        rc = u == LC_ENOTFOUND ? LC_OK : u;
    }
    if (rc != LC_OK) {
        store_tx_rollback(tx);
        return rc;
    }
    return store_tx_commit(tx, cs, err);
}

/* A digest of every table's rows (sorted), to compare whole states. */
static int cmp_rows(const void *a, const void *b)
{
    const lc_buf_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void fingerprint(store_db_t *db, uint8_t out[32])
{
    lc_blake3_t h;
    lc_blake3_init(&h);
    uint32_t *ids, n;
    store_view_t *v;
    if (store_table_ids(db, &ids, &n, NULL) != LC_OK || store_view_open(db, &v, NULL) != LC_OK)
        return;
    for (uint32_t i = 0; i < n; i++) {
        store_rows_t rows;
        store_rows_init(&rows);
        store_view_scan(v, ids[i], &rows, NULL);
        lc_buf_t *sorted = lc_calloc(rows.count + 1, sizeof *sorted);
        for (uint32_t r = 0; r < rows.count; r++) {
            size_t end = r + 1 < rows.count ? rows.offsets[r + 1] : rows.data.len;
            sorted[r].data = rows.data.data + rows.offsets[r];
            sorted[r].len = end - rows.offsets[r];
        }
        qsort(sorted, rows.count, sizeof *sorted, cmp_rows);
        lc_blake3_update(&h, &ids[i], 4);
        for (uint32_t r = 0; r < rows.count; r++) {
            uint32_t len = (uint32_t)sorted[r].len;
            lc_blake3_update(&h, &len, 4);
            lc_blake3_update(&h, sorted[r].data, len);
        }
        lc_free(sorted);
        store_rows_free(&rows);
    }
    store_view_close(v);
    lc_free(ids);
    lc_blake3_final(&h, out, 32);
}

/* ---------------------------------------------------------------- txdata */

TEST(txdata_round_trip_and_truncation)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_item_table(db, NULL, &t, &err));
    store_changeset_t cs;
    CHECK_OK(workload_tx(db, t, 1, &cs, &err));
    lc_buf_t rec = {0};
    CHECK_OK(dur_txdata_encode(&rec, &cs, 1767225600000000LL));
    lc_arena_t a;
    lc_arena_init(&a, 0);
    dur_txdata_t d;
    int rc = dur_txdata_decode(&a, rec.data, rec.len, &d, &err);
    uint32_t rows = 0;
    for (uint32_t i = 0; rc == LC_OK && i < d.ngroups; i++) rows += d.groups[i].nrows;
    uint32_t want = 0;
    for (uint32_t i = 0; i < cs.ntables; i++)
        want += cs.tables[i].ninserts + (cs.tables[i].truncated ? 0 : cs.tables[i].ndeletes);
    bool every_prefix_fails = true;
    for (size_t cut = 0; cut < rec.len; cut++) {
        lc_arena_reset(&a);
        if (dur_txdata_decode(&a, rec.data, cut, &d, NULL) != LC_ECORRUPT)
            every_prefix_fails = false;
    }
    lc_arena_free(&a);
    lc_buf_free(&rec);
    store_changeset_free(&cs);
    store_db_close(db);
    CHECK_OK(rc);
    CHECK_EQ_INT(d.timestamp_us, 1767225600000000LL);
    CHECK_EQ_INT(rows, want);
    CHECK(every_prefix_fails);
}

/* ---------------------------------------------------------------- snapshots */

TEST(snapshot_restores_the_same_state)
{
    store_db_t *db, *db2;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_item_table(db, NULL, &t, &err));
    for (unsigned k = 0; k < 40; k++) {
        store_changeset_t cs;
        CHECK_OK(workload_tx(db, t, k, &cs, &err));
        store_changeset_free(&cs);
    }
    store_view_t *v;
    CHECK_OK(store_view_open(db, &v, &err));
    CHECK_OK(dur_snapshot_write(test_tmpdir(), db, v, 2, &err));
    uint64_t at = store_view_offset(v);
    store_view_close(v);
    uint8_t before[32], after[32];
    fingerprint(db, before);

    char path[PATH_MAX], sdir[PATH_MAX];
    snprintf(sdir, sizeof sdir, "%s/snapshots", test_tmpdir());
    dur__snapshot_path(path, sizeof path, sdir, at);
    lc_buf_t snap = {0};
    uint64_t off;
    CHECK_OK(dur__snapshot_read(path, &snap, &off, &err));
    CHECK_EQ_INT(off, at);
    CHECK_OK(store_db_open(&db2, &err));
    int rc = dur__snapshot_restore(db2, &snap, &err);
    lc_buf_free(&snap);
    CHECK_MSG(rc == LC_OK, "restore: %s", err.msg);
    fingerprint(db2, after);
    CHECK_EQ_MEM(after, before, 32);
    CHECK_EQ_INT(store_db_committed_offset(db2), at);
    /* the restored table works: constraints and sequences included */
    store_db_resume_sequences(db2);
    uint32_t t2;
    CHECK_OK(store_table_id(db2, "item", &t2));
    store_tx_t *tx;
    CHECK_OK(store_tx_begin(db2, &tx, &err));
    uint8_t row[256];
    size_t n = item_row(row, 0, "item-39-2", 0, NULL);
    store_insert_result_t res;
    CHECK_EQ_INT(store_insert(tx, t2, row, n, &res, &err), LC_EEXIST); /* name is unique */
    n = item_row(row, 0, "fresh", 0, NULL);
    CHECK_OK(store_insert(tx, t2, row, n, &res, &err));
    CHECK(lc_load_u64le(res.generated) > 120); /* past every value handed out */
    store_tx_rollback(tx);
    store_db_close(db2);
    store_db_close(db);
}

TEST(damaged_snapshot_is_refused)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_item_table(db, NULL, &t, &err));
    store_view_t *v;
    CHECK_OK(store_view_open(db, &v, &err));
    CHECK_OK(dur_snapshot_write(test_tmpdir(), db, v, 0, &err));
    uint64_t at = store_view_offset(v);
    store_view_close(v);
    store_db_close(db);
    char path[PATH_MAX], sdir[PATH_MAX];
    snprintf(sdir, sizeof sdir, "%s/snapshots", test_tmpdir());
    dur__snapshot_path(path, sizeof path, sdir, at);
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    uint8_t byte;
    CHECK(pread(fd, &byte, 1, 40) == 1);
    byte ^= 0x10;
    CHECK(pwrite(fd, &byte, 1, 40) == 1);
    close(fd);
    lc_buf_t snap = {0};
    uint64_t off;
    int rc = dur__snapshot_read(path, &snap, &off, &err);
    lc_buf_free(&snap);
    CHECK_EQ_INT(rc, LC_ECORRUPT);
    CHECK(strstr(err.msg, "checksum mismatch") != NULL);
}

TEST(snapshot_pruning_keeps_the_newest)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_item_table(db, NULL, &t, &err));
    for (unsigned k = 0; k < 5; k++) {
        store_changeset_t cs;
        CHECK_OK(workload_tx(db, t, k, &cs, &err));
        store_changeset_free(&cs);
        store_view_t *v;
        CHECK_OK(store_view_open(db, &v, &err));
        CHECK_OK(dur_snapshot_write(test_tmpdir(), db, v, 2, &err));
        store_view_close(v);
    }
    store_db_close(db);
    char sdir[PATH_MAX];
    snprintf(sdir, sizeof sdir, "%s/snapshots", test_tmpdir());
    uint64_t *offs;
    uint32_t n;
    CHECK_OK(dur__list_snapshots(sdir, &offs, &n));
    uint64_t newest = n ? offs[n - 1] : 0;
    lc_free(offs);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(newest, 6); /* 1 created the table, 2..6 the workload */
}

/* ---------------------------------------------------------------- recovery */

/* Commit the workload's transactions k0..k1-1, logging each; fps[k] gets
 * the state after transaction k. */
static int commit_logged(store_db_t *db, dur_log_t *log, uint32_t t, unsigned k0, unsigned k1,
                         uint8_t (*fps)[32], lc_err_t *err)
{
    int rc = LC_OK;
    for (unsigned k = k0; rc == LC_OK && k < k1; k++) {
        store_changeset_t cs;
        rc = workload_tx(db, t, k, &cs, err);
        if (rc != LC_OK)
            break;
        rc = log_changeset(log, &cs, err);
        store_changeset_free(&cs);
        if (fps)
            fingerprint(db, fps[k]);
    }
    return rc == LC_OK ? dur_log_sync(log, err) : rc;
}

TEST(snapshot_plus_replay_equals_the_state_before_the_crash)
{
    const char *dir = test_tmpdir();
    lc_err_t err;
    store_db_t *db;
    dur_log_t *log;
    dur_log_open_info_t li;
    CHECK_OK(store_db_open(&db, &err));
    CHECK_OK(dur_log_open(dir, NULL, &log, &li, &err));
    uint32_t t; /* transaction 1 creates the table, logged like the rest */
    CHECK_OK(make_item_table(db, log, &t, &err));
    static uint8_t fps[80][32];
    CHECK_OK(commit_logged(db, log, t, 0, 30, fps, &err));
    store_view_t *v;
    CHECK_OK(store_view_open(db, &v, &err));
    CHECK_OK(dur_snapshot_write(dir, db, v, 2, &err));
    store_view_close(v);
    CHECK_OK(commit_logged(db, log, t, 30, 60, fps, &err));
    CHECK_OK(dur_log_close(log, &err));
    uint8_t before[32], after[32];
    fingerprint(db, before);
    uint64_t offset = store_db_committed_offset(db);
    store_db_close(db);

    dur_recovery_info_t info;
    CHECK_OK(dur_recover(dir, &db, &info, &err));
    fingerprint(db, after);
    store_db_close(db);
    CHECK_EQ_MEM(after, before, 32);
    CHECK_EQ_INT(info.last_offset, offset);
    CHECK_EQ_INT(info.snapshot_offset, 31); /* creation + 30 */
    CHECK_EQ_INT(info.replayed, 30);
    CHECK_EQ_MEM(fps[59], before, 32);
}

/* Cut the log inside its last record at every byte: recovery must give the
 * state after the previous transaction, every time. */
TEST(torn_last_record_recovers_the_previous_commit)
{
    const char *dir = test_tmpdir();
    lc_err_t err;
    store_db_t *db;
    dur_log_t *log;
    dur_log_open_info_t li;
    CHECK_OK(store_db_open(&db, &err));
    CHECK_OK(dur_log_open(dir, NULL, &log, &li, &err));
    uint32_t t;
    CHECK_OK(make_item_table(db, log, &t, &err));
    static uint8_t fps[8][32];
    CHECK_OK(commit_logged(db, log, t, 0, 7, fps, &err));
    CHECK_OK(dur_log_close(log, &err));
    store_db_close(db);
    char seg[PATH_MAX], copy[PATH_MAX + 8];
    snprintf(seg, sizeof seg, "%s/clog/00000000000000000001.log", dir);
    snprintf(copy, sizeof copy, "%s.orig", seg);
    lc_buf_t orig = {0};
    CHECK_OK(dur__read_file(seg, &orig, &err));
    /* find where the last record starts: recover with it cut to 0 bytes */
    size_t last_start = orig.len;
    for (size_t cut = orig.len - 1; cut > 10; cut--) {
        /* the record header holds min_tx_offset 8 = the last transaction */
        if (cut + 22 <= orig.len && lc_load_u64le(orig.data + cut) == 8 &&
            lc_load_u32le(orig.data + cut + 18) + 26 == orig.len - cut) {
            last_start = cut;
            break;
        }
    }
    CHECK(last_start < orig.len);
    int failures = 0;
    lc_log_level_t level = lc_log_get_level();
    lc_log_set_level(LC_LOG_ERROR); /* one "cut a torn tail" warning per cut */
    for (size_t len = last_start; len < orig.len && failures == 0; len++) {
        int fd = open(seg, O_WRONLY | O_TRUNC);
        CHECK(fd >= 0);
        CHECK(dur__write_all(fd, orig.data, len, seg, &err) == LC_OK);
        close(fd);
        unlink(copy);
        dur_recovery_info_t info;
        if (dur_recover(dir, &db, &info, &err) != LC_OK) {
            test_fail(__FILE__, __LINE__, "cut at %zu: %s", len, err.msg);
            failures++;
            break;
        }
        uint8_t fp[32];
        fingerprint(db, fp);
        store_db_close(db);
        if (memcmp(fp, fps[5], 32) != 0 || info.last_offset != 7) {
            test_fail(__FILE__, __LINE__, "cut at %zu: recovered offset %llu, not the state of 7",
                      len, (unsigned long long)info.last_offset);
            failures++;
        }
    }
    lc_log_set_level(level);
    lc_buf_free(&orig);
}

TEST(backup_while_writing_then_restore)
{
    const char *dir = test_tmpdir();
    char src[PATH_MAX], bak[PATH_MAX], dst[PATH_MAX];
    snprintf(src, sizeof src, "%s/src", dir);
    snprintf(bak, sizeof bak, "%s/backup", dir);
    snprintf(dst, sizeof dst, "%s/restored", dir);
    lc_err_t err;
    store_db_t *db;
    dur_log_t *log;
    dur_log_open_info_t li;
    CHECK_OK(store_db_open(&db, &err));
    CHECK_OK(dur_log_open(src, NULL, &log, &li, &err));
    uint32_t t;
    CHECK_OK(make_item_table(db, log, &t, &err));
    CHECK_OK(commit_logged(db, log, t, 0, 20, NULL, &err));
    store_view_t *v;
    CHECK_OK(store_view_open(db, &v, &err));
    CHECK_OK(dur_snapshot_write(src, db, v, 2, &err));
    store_view_close(v);
    CHECK_OK(commit_logged(db, log, t, 20, 40, NULL, &err));
    /* the source stays open for writing: a backup must not need it closed */
    dur_recovery_info_t info;
    CHECK_OK(dur_backup(src, bak, &info, &err));
    CHECK_EQ_INT(info.last_offset, 41);
    CHECK_EQ_INT(dur_backup(src, bak, &info, &err), LC_EEXIST); /* never over a backup */
    CHECK_OK(commit_logged(db, log, t, 40, 45, NULL, &err));
    CHECK_OK(dur_restore(bak, dst, &info, &err));
    CHECK_EQ_INT(info.last_offset, 41);
    store_db_t *restored;
    CHECK_OK(dur_recover(dst, &restored, &info, &err));
    uint64_t n1, n2;
    store_view_t *v1, *v2;
    store_view_open(restored, &v1, &err);
    store_view_row_count(v1, t, &n1, &err);
    store_view_close(v1);
    store_db_close(restored);
    CHECK_OK(dur_log_close(log, &err));
    /* the source recovers to its own, later state */
    store_db_close(db);
    CHECK_OK(dur_recover(src, &db, &info, &err));
    CHECK_EQ_INT(info.last_offset, 46);
    store_view_open(db, &v2, &err);
    store_view_row_count(v2, t, &n2, &err);
    store_view_close(v2);
    store_db_close(db);
    CHECK(n1 > 0 && n2 > n1);
}

/* The module's program bytes (st_module) and schedules (st_scheduled) are
 * rows like any other: they come back with the log. */
TEST(program_bytes_and_schedules_survive_recovery)
{
    const char *dir = test_tmpdir();
    lc_err_t err;
    store_db_t *db;
    dur_log_t *log;
    dur_log_open_info_t li;
    CHECK_OK(store_db_open(&db, &err));
    CHECK_OK(dur_log_open(dir, NULL, &log, &li, &err));
    uint32_t t;
    CHECK_OK(make_item_table(db, log, &t, &err));
    lc_buf_t module = {0}, sched = {0};
    uint8_t identity[32] = {0xc2, 0x00, 7};
    lc_buf_append(&module, identity, 32); /* database_identity */
    lc_buf_append(&module, identity, 32); /* owner_identity */
    lc_buf_putc(&module, 0);              /* program_kind: Wasm */
    lc_buf_put_u32le(&module, 32);        /* program_hash */
    for (int i = 0; i < 32; i++) lc_buf_putc(&module, (uint8_t)i);
    lc_buf_put_u32le(&module, 5000); /* program_bytes */
    for (int i = 0; i < 5000; i++) lc_buf_putc(&module, (uint8_t)(i * 31));
    lc_buf_put_u32le(&module, 5); /* module_version */
    lc_buf_puts(&module, "2.0.0");
    lc_buf_put_u32le(&sched, 0); /* schedule_id: from the sequence */
    lc_buf_put_u32le(&sched, t); /* table_id */
    lc_buf_put_u32le(&sched, 4);
    lc_buf_puts(&sched, "tick"); /* reducer_name */
    lc_buf_put_u32le(&sched, 9);
    lc_buf_puts(&sched, "item_tick"); /* schedule_name */
    lc_buf_put_u16le(&sched, 0);      /* at_column */
    store_tx_t *tx;
    store_insert_result_t res;
    store_changeset_t cs;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(store_insert(tx, STORE_ST_MODULE, module.data, module.len, &res, &err));
    CHECK_OK(store_insert(tx, STORE_ST_SCHEDULED, sched.data, sched.len, &res, &err));
    CHECK_OK(store_tx_commit(tx, &cs, &err));
    CHECK_OK(log_changeset(log, &cs, &err));
    store_changeset_free(&cs);
    CHECK_OK(dur_log_close(log, &err));
    store_db_close(db);

    dur_recovery_info_t info;
    CHECK_OK(dur_recover(dir, &db, &info, &err));
    store_view_t *v;
    store_rows_t rows, srows;
    store_rows_init(&rows);
    store_rows_init(&srows);
    CHECK_OK(store_view_open(db, &v, &err));
    int rc = store_view_scan(v, STORE_ST_MODULE, &rows, &err);
    int rc2 = store_view_scan(v, STORE_ST_SCHEDULED, &srows, &err);
    store_view_close(v);
    store_db_close(db);
    bool module_back = rows.count == 1 && rows.data.len == module.len &&
                       memcmp(rows.data.data, module.data, module.len) == 0;
    bool sched_back = srows.count == 1 && lc_load_u32le(srows.data.data) >= STORE_FIRST_USER_ID &&
                      memcmp(srows.data.data + 4, sched.data + 4, sched.len - 4) == 0;
    store_rows_free(&rows);
    store_rows_free(&srows);
    lc_buf_free(&module);
    lc_buf_free(&sched);
    CHECK_OK(rc);
    CHECK_OK(rc2);
    CHECK(module_back);
    CHECK(sched_back);
}

static void notify_snapshotter(void *arg, uint64_t offset)
{
    dur_snapshotter_notify(arg, offset);
}

/* Snapshots every 40 transactions, taken by their own thread beside the
 * group-commit writer; recovery starts from the newest. */
TEST(snapshotter_takes_snapshots_every_n_transactions)
{
    const char *dir = test_tmpdir();
    lc_err_t err;
    store_db_t *db;
    dur_log_t *log;
    dur_log_open_info_t li;
    dur_snapshotter_t *snap;
    dur_writer_t *w;
    uint32_t t;
    CHECK_OK(store_db_open(&db, &err));
    CHECK_OK(dur_log_open(dir, NULL, &log, &li, &err));
    CHECK_OK(make_item_table(db, log, &t, &err)); /* transaction 1, logged */
    CHECK_OK(dur_snapshotter_start(dir, db, 40, 3, &snap, &err));
    CHECK_OK(dur_writer_start(log, DUR_FSYNC_EVERY_BATCH, 0, notify_snapshotter, snap, &w, &err));
    lc_buf_t rec = {0};
    int rc = LC_OK;
    uint64_t taken = 0;
    /* six rounds of 40 transactions; after each, the snapshotter catches up */
    for (unsigned round = 0; rc == LC_OK && round < 6; round++) {
        for (unsigned k = round * 40; rc == LC_OK && k < round * 40 + 40; k++) {
            store_changeset_t cs = {0};
            rc = workload_tx(db, t, k, &cs, &err);
            lc_buf_reset(&rec);
            if (rc == LC_OK && (rc = dur_txdata_encode(&rec, &cs, 1)) == LC_OK)
                rc = dur_writer_submit(w, cs.tx_offset, rec.data, rec.len, &err);
            store_changeset_free(&cs);
        }
        if (rc == LC_OK)
            rc = dur_writer_wait(w, store_db_committed_offset(db), 10 * 1000 * 1000);
        for (int i = 0; i < 500 && dur_snapshotter_taken(snap) <= round; i++) usleep(10000);
        taken = dur_snapshotter_taken(snap);
    }
    lc_buf_free(&rec);
    dur_snapshotter_stop(snap);
    CHECK_OK(dur_writer_stop(w, &err));
    CHECK_OK(rc);
    uint8_t before[32], after[32];
    fingerprint(db, before);
    store_db_close(db);
    CHECK_MSG(taken == 6, "%llu snapshots, expected 6", (unsigned long long)taken);
    dur_recovery_info_t info;
    CHECK_OK(dur_recover(dir, &db, &info, &err));
    fingerprint(db, after);
    store_db_close(db);
    CHECK_EQ_INT(info.snapshot_offset, 241); /* creation + 6 x 40 */
    CHECK_EQ_INT(info.replayed, 0);
    CHECK_EQ_MEM(after, before, 32);
    char sdir[PATH_MAX];
    snprintf(sdir, sizeof sdir, "%s/snapshots", dir);
    uint64_t *offs;
    uint32_t n;
    CHECK_OK(dur__list_snapshots(sdir, &offs, &n));
    lc_free(offs);
    CHECK_EQ_INT(n, 3); /* keep = 3 */
}

const test_case_t test_durability_cases[] = {
    TEST_CASE(txdata_round_trip_and_truncation),
    TEST_CASE(snapshot_restores_the_same_state),
    TEST_CASE(damaged_snapshot_is_refused),
    TEST_CASE(snapshot_pruning_keeps_the_newest),
    TEST_CASE(snapshot_plus_replay_equals_the_state_before_the_crash),
    TEST_CASE(torn_last_record_recovers_the_previous_commit),
    TEST_CASE(backup_while_writing_then_restore),
    TEST_CASE(program_bytes_and_schedules_survive_recovery),
    TEST_CASE(snapshotter_takes_snapshots_every_n_transactions),
    TEST_END,
};
