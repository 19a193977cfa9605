/*
 * The crash-test child: a tiny bank on the store with a durable log.
 *
 *   crash_child DIR run      recover, then commit transfers forever; each
 *                            time the durable offset advances, print
 *                            "durable <offset>" (flushed) on stdout
 *   crash_child DIR verify   recover, check the invariants, print
 *                            "state <offset> <ledger rows>" and exit 0
 *
 * Every transaction moves money between two accounts AND appends a ledger
 * row numbered one past the last, so a half-applied transaction would show
 * as a wrong total or a gap in the ledger.  The driver
 * (tests/integration/test_crash.c) kills `run` with SIGKILL at random
 * moments and checks with `verify` that every offset reported durable
 * survived.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durability/durability.h"

#define ACCOUNTS       100
#define START_BALANCE  1000
#define SNAPSHOT_EVERY 200

static uint32_t accounts, ledger, acc_pk, ledger_pk;

static void die(const char *what, const lc_err_t *err)
{
    fprintf(stderr, "crash_child: %s: %s\n", what, err ? err->msg : "");
    exit(2);
}

static void create_tables(store_db_t *db, store_changeset_t *cs, lc_err_t *err)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *an[] = {"id", "balance"}, *ln[] = {"n"};
    const sats_type_t *at[] = {sats_prim(SATS_U32), sats_prim(SATS_I64)};
    const sats_type_t *lt[] = {sats_prim(SATS_U64)};
    static const uint16_t c0[] = {0};
    store_index_def_t aix = {"accounts_id", STORE_INDEX_BTREE, 1, c0};
    store_index_def_t lix = {"ledger_n", STORE_INDEX_BTREE, 1, c0};
    store_constraint_def_t acon = {"accounts_id_key", 1, c0}, lcon = {"ledger_n_key", 1, c0};
    store_table_def_t adef = {.name = "accounts",
                              .row_type = sats_type_product(&a, 2, an, at),
                              .primary_key = 0,
                              .type = STORE_TABLE_USER,
                              .nindexes = 1,
                              .indexes = &aix,
                              .nconstraints = 1,
                              .constraints = &acon};
    store_table_def_t ldef = {.name = "ledger",
                              .row_type = sats_type_product(&a, 1, ln, lt),
                              .primary_key = 0,
                              .type = STORE_TABLE_USER,
                              .nindexes = 1,
                              .indexes = &lix,
                              .nconstraints = 1,
                              .constraints = &lcon};
    store_tx_t *tx;
    if (store_tx_begin(db, &tx, err) || store_create_table(tx, &adef, &accounts, err) ||
        store_create_table(tx, &ldef, &ledger, err))
        die("creating tables", err);
    for (uint32_t i = 0; i < ACCOUNTS; i++) {
        uint8_t row[12];
        lc_store_u32le(row, i);
        lc_store_u64le(row + 4, START_BALANCE);
        store_insert_result_t res;
        if (store_insert(tx, accounts, row, sizeof row, &res, err))
            die("seeding", err);
    }
    if (store_tx_commit(tx, cs, err))
        die("commit", err);
    lc_arena_free(&a);
}

/* The state must be whole: the total is conserved, the ledger has no gap. */
static uint64_t verify(store_db_t *db, lc_err_t *err)
{
    store_view_t *v;
    store_rows_t rows;
    store_rows_init(&rows);
    if (store_view_open(db, &v, err) || store_view_scan(v, accounts, &rows, err))
        die("scanning accounts", err);
    int64_t total = 0;
    for (uint32_t i = 0; i < rows.count; i++)
        total += (int64_t)lc_load_u64le(rows.data.data + rows.offsets[i] + 4);
    if (rows.count != ACCOUNTS || total != (int64_t)ACCOUNTS * START_BALANCE) {
        fprintf(stderr, "crash_child: %u accounts holding %lld: a transaction was half-applied\n",
                rows.count, (long long)total);
        exit(1);
    }
    store_rows_free(&rows);
    store_rows_init(&rows);
    if (store_view_scan(v, ledger, &rows, err))
        die("scanning ledger", err);
    uint64_t max = 0;
    for (uint32_t i = 0; i < rows.count; i++) {
        uint64_t n = lc_load_u64le(rows.data.data + rows.offsets[i]);
        max = n > max ? n : max;
    }
    if (max != rows.count) {
        fprintf(stderr, "crash_child: ledger has %u rows but reaches %llu: a gap\n", rows.count,
                (unsigned long long)max);
        exit(1);
    }
    store_rows_free(&rows);
    store_view_close(v);
    return max;
}

static int64_t balance(store_tx_t *tx, uint32_t id, lc_err_t *err)
{
    uint8_t key[4];
    lc_store_u32le(key, id);
    store_rows_t rows;
    store_rows_init(&rows);
    if (store_tx_index_point(tx, acc_pk, key, 4, &rows, err) || rows.count != 1)
        die("reading a balance", err);
    int64_t b = (int64_t)lc_load_u64le(rows.data.data + 4);
    store_rows_free(&rows);
    return b;
}

static void set_balance(store_tx_t *tx, uint32_t id, int64_t b, lc_err_t *err)
{
    uint8_t row[12];
    lc_store_u32le(row, id);
    lc_store_u64le(row + 4, (uint64_t)b);
    store_insert_result_t res;
    if (store_update(tx, accounts, acc_pk, row, sizeof row, &res, err))
        die("updating a balance", err);
}

static void transfer(store_db_t *db, uint64_t n, store_changeset_t *cs, lc_err_t *err)
{
    uint32_t from = (uint32_t)(rand() % ACCOUNTS), to = (uint32_t)(rand() % ACCOUNTS);
    store_tx_t *tx;
    if (store_tx_begin(db, &tx, err))
        die("begin", err);
    int64_t amount = rand() % 50;
    if (from != to) {
        set_balance(tx, from, balance(tx, from, err) - amount, err);
        set_balance(tx, to, balance(tx, to, err) + amount, err);
    }
    uint8_t row[8];
    lc_store_u64le(row, n);
    store_insert_result_t res;
    if (store_insert(tx, ledger, row, 8, &res, err) || store_tx_commit(tx, cs, err))
        die("ledger", err);
}

static _Atomic(dur_snapshotter_t *) snapshotter; /* read by the writer thread */

static void on_durable(void *arg, uint64_t offset)
{
    (void)arg;
    printf("durable %llu\n", (unsigned long long)offset);
    fflush(stdout);
    dur_snapshotter_t *s = snapshotter;
    if (s)
        dur_snapshotter_notify(s, offset);
}

static void submit(dur_writer_t *w, store_changeset_t *cs, lc_buf_t *rec, lc_err_t *err)
{
    lc_buf_reset(rec);
    if (dur_txdata_encode(rec, cs, lc_now_wall_us()) ||
        dur_writer_submit(w, cs->tx_offset, rec->data, rec->len, err))
        die("logging", err);
    store_changeset_free(cs);
}

static void lookup_tables(store_db_t *db)
{
    if (store_table_id(db, "ledger", &ledger) || store_index_id(db, "accounts_id", &acc_pk) ||
        store_index_id(db, "ledger_n", &ledger_pk))
        die("catalog", NULL);
}

static void run(const char *dir, store_db_t *db, lc_err_t *err)
{
    dur_log_t *log;
    dur_log_open_info_t li;
    dur_writer_t *w;
    if (dur_log_open(dir, NULL, &log, &li, err) ||
        dur_writer_start(log, DUR_FSYNC_EVERY_BATCH, 0, on_durable, NULL, &w, err))
        die("opening the log", err);
    dur_snapshotter_t *s;
    if (dur_snapshotter_start(dir, db, SNAPSHOT_EVERY, 2, &s, err))
        die("snapshotter", err);
    snapshotter = s;
    srand((unsigned)getpid());
    lc_buf_t rec = {0};
    store_changeset_t cs;
    if (store_table_id(db, "accounts", &accounts) != LC_OK) { /* fresh */
        create_tables(db, &cs, err);
        submit(w, &cs, &rec, err);
    }
    lookup_tables(db);
    uint64_t n = verify(db, err);
    for (;;) {
        transfer(db, ++n, &cs, err);
        submit(w, &cs, &rec, err);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[2], "run") && strcmp(argv[2], "verify"))) {
        fprintf(stderr, "usage: crash_child DIR run|verify\n");
        return 2;
    }
    lc_err_t err;
    store_db_t *db;
    dur_recovery_info_t info;
    lc_log_set_level(LC_LOG_WARN); /* one line per snapshot would drown the test output */
    if (dur_recover(argv[1], &db, &info, &err))
        die("recovery", &err);
    if (strcmp(argv[2], "run") == 0)
        run(argv[1], db, &err); /* never returns */
    uint64_t n = 0;
    if (store_table_id(db, "accounts", &accounts) == LC_OK) {
        lookup_tables(db);
        n = verify(db, &err);
    }
    printf("state %llu %llu\n", (unsigned long long)store_db_committed_offset(db),
           (unsigned long long)n);
    store_db_close(db);
    return 0;
}
