/*
 * bench_store — Lightcone's relational store side by side with SQLite in
 * memory, on the same data in the same process (run by `make bench-store`).
 *
 *   build/bench/bench_store [rows]      rows defaults to 1,000,000
 *
 * The table is bench(id: u32 primary key, value: i32): in Lightcone a
 * unique constraint over a B-tree index on id; in SQLite
 * `CREATE TABLE bench(id INTEGER PRIMARY KEY, value INTEGER)` in
 * `:memory:`, driven through prepared statements (BEGIN and COMMIT
 * included) on a connection opened with SQLITE_OPEN_NOMUTEX.
 *
 * Workloads, in this order, each timed with CLOCK_MONOTONIC:
 *
 *   1. insert        every id once, in random order, 1000 rows per tx
 *   2. memory        after step 1: Lightcone's store_table_memory() and
 *                    process RSS growth, SQLite's sqlite3_memory_used()
 *                    growth, each divided by the row count
 *   3. point_lookup  `rows` lookups of uniformly random ids: Lightcone in
 *                    one transaction (store_tx_index_point) and again in a
 *                    read view (store_view_index_point); SQLite SELECT
 *                    value WHERE id=? inside one BEGIN ... COMMIT
 *   4. range_scan    10,000 scans of 100 consecutive ids (tx and view)
 *   5. update        every row's value once, by id, in random order, 1000
 *                    per tx: store_update through the primary-key index vs
 *                    UPDATE ... WHERE id=?
 *   6. delete        every row by id, in random order, 1000 per tx:
 *                    store_delete_by_point vs DELETE ... WHERE id=?
 *   7. insert_1pertx like 1, one row per transaction, into fresh databases
 *                    (last, so that it cannot disturb the RSS figure)
 *
 * Every result is checked as it goes (rows found, values right, counts
 * after update and delete); any mismatch ends the program with status 1,
 * since a benchmark that silently measures the wrong work is worse than
 * none.  Output: a table, then one greppable line per workload:
 *
 *   store <workload> lightcone_ops=N sqlite_ops=M ratio=R
 *   store memory lightcone_bytes_per_row=X rss_bytes_per_row=Y sqlite_bytes_per_row=Z ...
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

#define BATCH      1000
#define NSCANS     10000
#define SCAN_WIDTH 100
#define SEED       0x5eedb0a7c0ffee01ull

/* ---------------------------------------------------------------- helpers */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_store: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void lc_ok(int rc, const lc_err_t *err, const char *what)
{
    if (rc != LC_OK)
        die("lightcone %s: %s: %s", what, lc_strerror(rc), err->msg);
}

static void sq_ok(int rc, int want, sqlite3 *db, const char *what)
{
    if (rc != want)
        die("sqlite %s: %s", what, sqlite3_errmsg(db));
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f == NULL || fscanf(f, "%lu %lu", &size, &resident) != 2)
        die("cannot read /proc/self/statm");
    fclose(f);
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static uint64_t rng_state = SEED;

/* splitmix64: fixed seed, so every run does the same work. */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ids 1..n in random order */
static uint32_t *shuffled_ids(uint32_t n)
{
    uint32_t *v = malloc(sizeof *v * n);
    if (v == NULL)
        die("out of memory");
    for (uint32_t i = 0; i < n; i++) v[i] = i + 1;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rng_next() % (i + 1));
        uint32_t x = v[i];
        v[i] = v[j];
        v[j] = x;
    }
    return v;
}

/* The value a row holds after the inserts, and after the updates. */
static int32_t value0(uint32_t id)
{
    return (int32_t)(id * 2654435761u);
}

static int32_t value1(uint32_t id)
{
    return (int32_t)(id * 2654435761u ^ 0x5bd1e995u);
}

static void put_row(uint8_t row[8], uint32_t id, int32_t value)
{
    lc_store_u32le(row, id);
    lc_store_u32le(row + 4, (uint32_t)value);
}

static void rows_reset(store_rows_t *rs)
{
    rs->count = 0;
    lc_buf_reset(&rs->data);
}

static const uint8_t *row_at(const store_rows_t *rs, uint32_t i)
{
    return rs->data.data + rs->offsets[i];
}

/* ---------------------------------------------------------------- Lightcone */

typedef struct lc_bench {
    store_db_t *db;
    uint32_t table, pk;
} lc_bench_t;

static void lc_open(lc_bench_t *b)
{
    lc_err_t err = {0};
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *names[] = {"id", "value"};
    const sats_type_t *types[] = {sats_prim(SATS_U32), sats_prim(SATS_I32)};
    static const uint16_t c0[] = {0};
    store_index_def_t idx[] = {{"bench_id_idx_btree", STORE_INDEX_BTREE, 1, c0}};
    store_constraint_def_t cons[] = {{"bench_id_key", 1, c0}};
    store_table_def_t def = {.name = "bench",
                             .row_type = sats_type_product(&a, 2, names, types),
                             .primary_key = 0,
                             .type = STORE_TABLE_USER,
                             .access = STORE_PUBLIC,
                             .nindexes = 1,
                             .indexes = idx,
                             .nconstraints = 1,
                             .constraints = cons};
    lc_ok(store_db_open(&b->db, &err), &err, "open");
    store_tx_t *tx;
    lc_ok(store_tx_begin(b->db, &tx, &err), &err, "begin");
    lc_ok(store_create_table(tx, &def, &b->table, &err), &err, "create table");
    store_changeset_t cs;
    lc_ok(store_tx_commit(tx, &cs, &err), &err, "commit");
    store_changeset_free(&cs);
    lc_arena_free(&a);
    lc_ok(store_index_id(b->db, "bench_id_idx_btree", &b->pk), &err, "index id");
}

static void lc_commit(store_tx_t *tx, uint32_t table, uint32_t ninserts, uint32_t ndeletes)
{
    lc_err_t err = {0};
    store_changeset_t cs;
    lc_ok(store_tx_commit(tx, &cs, &err), &err, "commit");
    if (cs.ntables != 1 || cs.tables[0].table_id != table || cs.tables[0].ninserts != ninserts ||
        cs.tables[0].ndeletes != ndeletes)
        die("lightcone changeset: %u tables, %u inserts, %u deletes; expected %u, %u", cs.ntables,
            cs.ntables ? cs.tables[0].ninserts : 0, cs.ntables ? cs.tables[0].ndeletes : 0,
            ninserts, ndeletes);
    store_changeset_free(&cs);
}

static uint64_t lc_count(lc_bench_t *b)
{
    lc_err_t err = {0};
    store_tx_t *tx;
    uint64_t n = 0;
    lc_ok(store_tx_begin(b->db, &tx, &err), &err, "begin");
    lc_ok(store_tx_row_count(tx, b->table, &n, &err), &err, "row count");
    store_tx_rollback(tx);
    return n;
}

static double lc_insert(lc_bench_t *b, const uint32_t *ids, uint32_t n, uint32_t batch)
{
    lc_err_t err = {0};
    double t0 = now_s();
    for (uint32_t i = 0; i < n; i += batch) {
        uint32_t end = i + batch < n ? i + batch : n;
        store_tx_t *tx;
        lc_ok(store_tx_begin(b->db, &tx, &err), &err, "begin");
        for (uint32_t j = i; j < end; j++) {
            uint8_t row[8];
            put_row(row, ids[j], value0(ids[j]));
            store_insert_result_t res;
            lc_ok(store_insert(tx, b->table, row, sizeof row, &res, &err), &err, "insert");
            if (res.existed)
                die("lightcone insert of id %u: row already there", ids[j]);
        }
        lc_commit(tx, b->table, end - i, 0);
    }
    return n / (now_s() - t0);
}

/* Point lookups in one transaction (view == false) or one read view. */
static double lc_lookup(lc_bench_t *b, const uint32_t *keys, uint32_t n, bool view)
{
    lc_err_t err = {0};
    store_tx_t *tx = NULL;
    store_view_t *v = NULL;
    store_rows_t rows;
    store_rows_init(&rows);
    double t0 = now_s();
    if (view)
        lc_ok(store_view_open(b->db, &v, &err), &err, "view open");
    else
        lc_ok(store_tx_begin(b->db, &tx, &err), &err, "begin");
    for (uint32_t i = 0; i < n; i++) {
        uint8_t key[4];
        lc_store_u32le(key, keys[i]);
        rows_reset(&rows);
        int rc = view ? store_view_index_point(v, b->pk, key, 4, &rows, &err)
                      : store_tx_index_point(tx, b->pk, key, 4, &rows, &err);
        lc_ok(rc, &err, "point lookup");
        if (rows.count != 1 || lc_load_u32le(row_at(&rows, 0)) != keys[i] ||
            (int32_t)lc_load_u32le(row_at(&rows, 0) + 4) != value0(keys[i]))
            die("lightcone lookup of id %u: %u rows or wrong row", keys[i], rows.count);
    }
    if (view)
        store_view_close(v);
    else
        store_tx_rollback(tx);
    double ops = n / (now_s() - t0);
    store_rows_free(&rows);
    return ops;
}

static double lc_range(lc_bench_t *b, const uint32_t *starts, uint32_t n, bool view)
{
    lc_err_t err = {0};
    store_tx_t *tx = NULL;
    store_view_t *v = NULL;
    store_rows_t rows;
    store_rows_init(&rows);
    double t0 = now_s();
    if (view)
        lc_ok(store_view_open(b->db, &v, &err), &err, "view open");
    else
        lc_ok(store_tx_begin(b->db, &tx, &err), &err, "begin");
    for (uint32_t i = 0; i < n; i++) {
        uint8_t lo[5] = {0}, hi[5] = {0}; /* Bound tag 0: Included */
        lc_store_u32le(lo + 1, starts[i]);
        lc_store_u32le(hi + 1, starts[i] + SCAN_WIDTH - 1);
        store_range_t r = {NULL, 0, 0, lo, sizeof lo, hi, sizeof hi};
        rows_reset(&rows);
        int rc = view ? store_view_index_range(v, b->pk, &r, &rows, &err)
                      : store_tx_index_range(tx, b->pk, &r, &rows, &err);
        lc_ok(rc, &err, "range scan");
        if (rows.count != SCAN_WIDTH)
            die("lightcone range from %u: %u rows", starts[i], rows.count);
        for (uint32_t k = 0; k < rows.count; k++)
            if (lc_load_u32le(row_at(&rows, k)) != starts[i] + k)
                die("lightcone range from %u: row %u out of order", starts[i], k);
    }
    if (view)
        store_view_close(v);
    else
        store_tx_rollback(tx);
    double ops = n / (now_s() - t0);
    store_rows_free(&rows);
    return ops;
}

static double lc_update(lc_bench_t *b, const uint32_t *ids, uint32_t n)
{
    lc_err_t err = {0};
    double t0 = now_s();
    for (uint32_t i = 0; i < n; i += BATCH) {
        uint32_t end = i + BATCH < n ? i + BATCH : n;
        store_tx_t *tx;
        lc_ok(store_tx_begin(b->db, &tx, &err), &err, "begin");
        for (uint32_t j = i; j < end; j++) {
            uint8_t row[8];
            put_row(row, ids[j], value1(ids[j]));
            store_insert_result_t res;
            lc_ok(store_update(tx, b->table, b->pk, row, sizeof row, &res, &err), &err, "update");
            if (res.existed)
                die("lightcone update of id %u changed nothing", ids[j]);
        }
        lc_commit(tx, b->table, end - i, end - i);
    }
    return n / (now_s() - t0);
}

/* Every row holds value1(id), each id 1..n once. */
static void lc_verify_updated(lc_bench_t *b, uint32_t n)
{
    lc_err_t err = {0};
    store_tx_t *tx;
    store_rows_t rows;
    store_rows_init(&rows);
    lc_ok(store_tx_begin(b->db, &tx, &err), &err, "begin");
    lc_ok(store_tx_scan(tx, b->table, &rows, &err), &err, "scan");
    store_tx_rollback(tx);
    uint8_t *seen = calloc(n + 1, 1);
    if (seen == NULL)
        die("out of memory");
    if (rows.count != n)
        die("lightcone after update: %u rows, expected %u", rows.count, n);
    for (uint32_t i = 0; i < rows.count; i++) {
        uint32_t id = lc_load_u32le(row_at(&rows, i));
        if (id == 0 || id > n || seen[id]++ ||
            (int32_t)lc_load_u32le(row_at(&rows, i) + 4) != value1(id))
            die("lightcone after update: bad row id %u", id);
    }
    free(seen);
    store_rows_free(&rows);
}

static double lc_delete(lc_bench_t *b, const uint32_t *ids, uint32_t n)
{
    lc_err_t err = {0};
    double t0 = now_s();
    for (uint32_t i = 0; i < n; i += BATCH) {
        uint32_t end = i + BATCH < n ? i + BATCH : n;
        store_tx_t *tx;
        lc_ok(store_tx_begin(b->db, &tx, &err), &err, "begin");
        for (uint32_t j = i; j < end; j++) {
            uint8_t key[4];
            uint32_t deleted;
            lc_store_u32le(key, ids[j]);
            lc_ok(store_delete_by_point(tx, b->pk, key, 4, &deleted, &err), &err, "delete");
            if (deleted != 1)
                die("lightcone delete of id %u: %u rows", ids[j], deleted);
        }
        lc_commit(tx, b->table, 0, end - i);
    }
    return n / (now_s() - t0);
}

/* ---------------------------------------------------------------- SQLite */

typedef struct sq_bench {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *insert, *select, *range, *update, *delete, *count;
} sq_bench_t;

static sqlite3_stmt *sq_prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    sq_ok(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, db, sql);
    return st;
}

static void sq_open(sq_bench_t *b)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(":memory:", &b->db, flags, NULL) != SQLITE_OK)
        die("sqlite open: %s", b->db ? sqlite3_errmsg(b->db) : "out of memory");
    sq_ok(sqlite3_exec(b->db, "CREATE TABLE bench(id INTEGER PRIMARY KEY, value INTEGER)", NULL,
                       NULL, NULL),
          SQLITE_OK, b->db, "create table");
    b->begin = sq_prepare(b->db, "BEGIN");
    b->commit = sq_prepare(b->db, "COMMIT");
    b->insert = sq_prepare(b->db, "INSERT INTO bench(id, value) VALUES (?1, ?2)");
    b->select = sq_prepare(b->db, "SELECT value FROM bench WHERE id = ?1");
    b->range = sq_prepare(b->db, "SELECT id, value FROM bench WHERE id BETWEEN ?1 AND ?2");
    b->update = sq_prepare(b->db, "UPDATE bench SET value = ?2 WHERE id = ?1");
    b->delete = sq_prepare(b->db, "DELETE FROM bench WHERE id = ?1");
    b->count = sq_prepare(b->db, "SELECT count(*) FROM bench");
}

static void sq_close(sq_bench_t *b)
{
    sqlite3_stmt *all[] = {b->begin, b->commit, b->insert, b->select,
                           b->range, b->update, b->delete, b->count};
    for (size_t i = 0; i < LC_ARRAY_LEN(all); i++) sqlite3_finalize(all[i]);
    sq_ok(sqlite3_close(b->db), SQLITE_OK, b->db, "close");
}

static void sq_run(sq_bench_t *b, sqlite3_stmt *st, const char *what)
{
    sq_ok(sqlite3_step(st), SQLITE_DONE, b->db, what);
    sqlite3_reset(st);
}

static uint64_t sq_count(sq_bench_t *b)
{
    sq_ok(sqlite3_step(b->count), SQLITE_ROW, b->db, "count");
    uint64_t n = (uint64_t)sqlite3_column_int64(b->count, 0);
    sqlite3_reset(b->count);
    return n;
}

/* Run the one-id statement st (insert/update/delete) for every id, batch
 * per transaction; each must change exactly one row. */
static double sq_write(sq_bench_t *b, sqlite3_stmt *st, const uint32_t *ids, uint32_t n,
                       uint32_t batch, int32_t (*value)(uint32_t), const char *what)
{
    double t0 = now_s();
    for (uint32_t i = 0; i < n; i += batch) {
        uint32_t end = i + batch < n ? i + batch : n;
        sq_run(b, b->begin, "begin");
        for (uint32_t j = i; j < end; j++) {
            sqlite3_bind_int64(st, 1, ids[j]);
            if (value)
                sqlite3_bind_int(st, 2, value(ids[j]));
            sq_run(b, st, what);
            if (sqlite3_changes(b->db) != 1)
                die("sqlite %s of id %u: %d rows", what, ids[j], sqlite3_changes(b->db));
        }
        sq_run(b, b->commit, "commit");
    }
    return n / (now_s() - t0);
}

static double sq_lookup(sq_bench_t *b, const uint32_t *keys, uint32_t n)
{
    double t0 = now_s();
    sq_run(b, b->begin, "begin");
    for (uint32_t i = 0; i < n; i++) {
        sqlite3_bind_int64(b->select, 1, keys[i]);
        sq_ok(sqlite3_step(b->select), SQLITE_ROW, b->db, "lookup");
        if (sqlite3_column_int(b->select, 0) != value0(keys[i]))
            die("sqlite lookup of id %u: wrong value", keys[i]);
        sqlite3_reset(b->select);
    }
    sq_run(b, b->commit, "commit");
    return n / (now_s() - t0);
}

static double sq_range(sq_bench_t *b, const uint32_t *starts, uint32_t n)
{
    double t0 = now_s();
    sq_run(b, b->begin, "begin");
    for (uint32_t i = 0; i < n; i++) {
        sqlite3_bind_int64(b->range, 1, starts[i]);
        sqlite3_bind_int64(b->range, 2, starts[i] + SCAN_WIDTH - 1);
        uint32_t k = 0;
        int rc;
        while ((rc = sqlite3_step(b->range)) == SQLITE_ROW) {
            if (sqlite3_column_int64(b->range, 0) != starts[i] + k ||
                sqlite3_column_int(b->range, 1) != value0(starts[i] + k))
                die("sqlite range from %u: row %u wrong", starts[i], k);
            k++;
        }
        sq_ok(rc, SQLITE_DONE, b->db, "range");
        if (k != SCAN_WIDTH)
            die("sqlite range from %u: %u rows", starts[i], k);
        sqlite3_reset(b->range);
    }
    sq_run(b, b->commit, "commit");
    return n / (now_s() - t0);
}

static void sq_verify_updated(sq_bench_t *b, uint32_t n)
{
    sqlite3_stmt *st = sq_prepare(b->db, "SELECT id, value FROM bench ORDER BY id");
    uint32_t k = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        k++;
        if (sqlite3_column_int64(st, 0) != k || sqlite3_column_int(st, 1) != value1(k))
            die("sqlite after update: bad row %u", k);
    }
    sq_ok(rc, SQLITE_DONE, b->db, "scan");
    sqlite3_finalize(st);
    if (k != n)
        die("sqlite after update: %u rows, expected %u", k, n);
}

/* ---------------------------------------------------------------- report */

typedef struct result {
    const char *name;
    double lc, sq;
} result_t;

static result_t results[16];
static int nresults;

static void record(const char *name, double lc, double sq)
{
    results[nresults++] = (result_t){name, lc, sq};
    fprintf(stderr, "  %-20s lightcone %12.0f ops/s   sqlite %12.0f ops/s\n", name, lc, sq);
}

int main(int argc, char **argv)
{
    uint32_t n = 1000000;
    if (argc > 1) {
        long v = strtol(argv[1], NULL, 10);
        if (v < SCAN_WIDTH || v > 100000000)
            die("usage: bench_store [rows >= %d]", SCAN_WIDTH);
        n = (uint32_t)v;
    }
    uint32_t nscans = n / SCAN_WIDTH < NSCANS ? n / SCAN_WIDTH : NSCANS;

    /* All the work, drawn up front from the fixed seed (and touched, so
     * that it does not count as store memory). */
    uint32_t *insert_ids = shuffled_ids(n);
    uint32_t *update_ids = shuffled_ids(n);
    uint32_t *delete_ids = shuffled_ids(n);
    uint32_t *lookup_keys = malloc(sizeof *lookup_keys * n);
    uint32_t *scan_starts = malloc(sizeof *scan_starts * nscans);
    if (lookup_keys == NULL || scan_starts == NULL)
        die("out of memory");
    for (uint32_t i = 0; i < n; i++) lookup_keys[i] = 1 + (uint32_t)(rng_next() % n);
    for (uint32_t i = 0; i < nscans; i++)
        scan_starts[i] = 1 + (uint32_t)(rng_next() % (n - SCAN_WIDTH + 1));

    fprintf(stderr, "bench_store: %u rows, sqlite %s\n", n, sqlite3_libversion());

    /* 1, 2. insert in batches, and memory */
    lc_bench_t lc;
    lc_open(&lc);
    size_t rss0 = rss_bytes();
    double lc_ins = lc_insert(&lc, insert_ids, n, BATCH);
    size_t rss1 = rss_bytes();
    size_t lc_mem = store_table_memory(lc.db, lc.table);
    if (lc_count(&lc) != n)
        die("lightcone after insert: wrong row count");

    sq_bench_t sq;
    sq_open(&sq);
    sqlite3_int64 sq_mem0 = sqlite3_memory_used();
    double sq_ins = sq_write(&sq, sq.insert, insert_ids, n, BATCH, value0, "insert");
    sqlite3_int64 sq_mem1 = sqlite3_memory_used();
    if (sq_count(&sq) != n)
        die("sqlite after insert: wrong row count");
    record("insert", lc_ins, sq_ins);

    /* 3. point lookups */
    double sq_pt = sq_lookup(&sq, lookup_keys, n);
    record("point_lookup", lc_lookup(&lc, lookup_keys, n, false), sq_pt);
    record("point_lookup_view", lc_lookup(&lc, lookup_keys, n, true), sq_pt);

    /* 4. range scans */
    double sq_rg = sq_range(&sq, scan_starts, nscans);
    record("range_scan", lc_range(&lc, scan_starts, nscans, false), sq_rg);
    record("range_scan_view", lc_range(&lc, scan_starts, nscans, true), sq_rg);

    /* 5. updates */
    double lc_upd = lc_update(&lc, update_ids, n);
    lc_verify_updated(&lc, n);
    double sq_upd = sq_write(&sq, sq.update, update_ids, n, BATCH, value1, "update");
    sq_verify_updated(&sq, n);
    record("update", lc_upd, sq_upd);

    /* 6. deletes */
    double lc_del = lc_delete(&lc, delete_ids, n);
    if (lc_count(&lc) != 0)
        die("lightcone after delete: rows left");
    size_t lc_mem_empty = store_table_memory(lc.db, lc.table);
    double sq_del = sq_write(&sq, sq.delete, delete_ids, n, BATCH, NULL, "delete");
    if (sq_count(&sq) != 0)
        die("sqlite after delete: rows left");
    record("delete", lc_del, sq_del);
    sq_close(&sq);
    store_db_close(lc.db);

    /* 7. insert, one row per transaction, into fresh databases */
    lc_open(&lc);
    double lc_ins1 = lc_insert(&lc, insert_ids, n, 1);
    if (lc_count(&lc) != n)
        die("lightcone after insert_1pertx: wrong row count");
    store_db_close(lc.db);
    sq_open(&sq);
    double sq_ins1 = sq_write(&sq, sq.insert, insert_ids, n, 1, value0, "insert");
    if (sq_count(&sq) != n)
        die("sqlite after insert_1pertx: wrong row count");
    sq_close(&sq);
    record("insert_1pertx", lc_ins1, sq_ins1);

    /* report */
    printf("\n%-20s %14s %14s %8s\n", "workload (ops/s)", "lightcone", "sqlite", "ratio");
    for (int i = 0; i < nresults; i++)
        printf("%-20s %14.0f %14.0f %8.2f\n", results[i].name, results[i].lc, results[i].sq,
               results[i].lc / results[i].sq);
    double lc_bpr = (double)lc_mem / n, rss_bpr = ((double)rss1 - (double)rss0) / n;
    double sq_bpr = (double)(sq_mem1 - sq_mem0) / n;
    printf("%-20s %14.1f %14.1f %8.2f   (bytes/row; lightcone rss %.1f)\n\n", "memory", lc_bpr,
           sq_bpr, lc_bpr / sq_bpr, rss_bpr);
    for (int i = 0; i < nresults; i++)
        printf("store %s lightcone_ops=%.0f sqlite_ops=%.0f ratio=%.2f\n", results[i].name,
               results[i].lc, results[i].sq, results[i].lc / results[i].sq);
    printf("store memory lightcone_bytes_per_row=%.1f rss_bytes_per_row=%.1f "
           "sqlite_bytes_per_row=%.1f lightcone_table_mb=%.1f rss_growth_mb=%.1f "
           "lightcone_empty_table_bytes=%zu rows=%u\n",
           lc_bpr, rss_bpr, sq_bpr, lc_mem / 1e6, (rss1 - (double)rss0) / 1e6, lc_mem_empty, n);

    free(insert_ids);
    free(update_ids);
    free(delete_ids);
    free(lookup_keys);
    free(scan_starts);
    return 0;
}
