/* Unit tests for in-place updates in src/store (write.c overwrite_in_place,
 * tx.c collect_overwrites and materialize): an update that changes no index
 * key rewrites the row where it is, and must still give the same changesets,
 * rollbacks and read-view snapshots as the delete-and-insert it replaces. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "store/store.h"
#include "test.h"

/* account(id: u32 pk, name: String, balance: i64, tag: u8), index on tag.
 * Updates that keep id and tag change no index key. */
static int make_account(store_db_t *db, uint32_t *table_id, lc_err_t *err)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *names[] = {"id", "name", "balance", "tag"};
    const sats_type_t *types[] = {sats_prim(SATS_U32), sats_prim(SATS_STRING), sats_prim(SATS_I64),
                                  sats_prim(SATS_U8)};
    static const uint16_t c0[] = {0}, c3[] = {3};
    store_index_def_t idx[] = {{"account_id_idx_btree", STORE_INDEX_BTREE, 1, c0},
                               {"account_tag_idx_btree", STORE_INDEX_BTREE, 1, c3}};
    store_constraint_def_t cons[] = {{"account_id_key", 1, c0}};
    store_table_def_t def = {.name = "account",
                             .row_type = sats_type_product(&a, 4, names, types),
                             .primary_key = 0,
                             .type = STORE_TABLE_USER,
                             .access = STORE_PUBLIC,
                             .nindexes = 2,
                             .indexes = idx,
                             .nconstraints = 1,
                             .constraints = cons};
    store_tx_t *tx;
    int rc = store_tx_begin(db, &tx, err);
    if (rc == LC_OK)
        rc = store_create_table(tx, &def, table_id, err);
    if (rc == LC_OK) {
        store_changeset_t cs;
        rc = store_tx_commit(tx, &cs, err);
        store_changeset_free(&cs);
    } else if (tx) {
        store_tx_rollback(tx);
    }
    lc_arena_free(&a);
    return rc;
}

/* A new in-memory database with the account table; its table and primary
 * key index ids. */
static void open_accounts(store_db_t **db, uint32_t *t, uint32_t *pk)
{
    lc_err_t err;
    CHECK_OK(store_db_open(db, &err));
    CHECK_OK(make_account(*db, t, &err));
    CHECK_OK(store_index_id(*db, "account_id_idx_btree", pk));
}

typedef struct acct {
    bool live;
    uint8_t name_len;
    char name[40];
    int64_t balance;
    uint8_t tag;
} acct_t;

static size_t acct_row(uint8_t *out, uint32_t id, const acct_t *a)
{
    size_t off = 0;
    lc_store_u32le(out, id);
    lc_store_u32le(out + 4, a->name_len);
    off = 8;
    memcpy(out + off, a->name, a->name_len);
    off += a->name_len;
    lc_store_u64le(out + off, (uint64_t)a->balance);
    off += 8;
    out[off++] = a->tag;
    return off;
}

/* Decode one row; false if it is not a well-formed account row. */
static bool acct_parse(const uint8_t *p, size_t len, uint32_t *id, acct_t *a)
{
    if (len < 8)
        return false;
    *id = lc_load_u32le(p);
    uint32_t n = lc_load_u32le(p + 4);
    if (n > sizeof a->name || len != 8 + n + 9)
        return false;
    memset(a, 0, sizeof *a);
    a->live = true;
    a->name_len = (uint8_t)n;
    memcpy(a->name, p + 8, n);
    a->balance = (int64_t)lc_load_u64le(p + 8 + n);
    a->tag = p[8 + n + 8];
    return true;
}

static bool acct_equal(const acct_t *x, const acct_t *y)
{
    return x->live == y->live &&
           (!x->live || (x->name_len == y->name_len && memcmp(x->name, y->name, x->name_len) == 0 &&
                         x->balance == y->balance && x->tag == y->tag));
}

#define IDS 64

/* rows (a scan) hold exactly the live accounts of m. */
static bool rows_match(const store_rows_t *rows, const acct_t *m, const char **why)
{
    acct_t seen[IDS];
    memset(seen, 0, sizeof seen);
    for (uint32_t k = 0; k < rows->count; k++) {
        size_t end = k + 1 < rows->count ? rows->offsets[k + 1] : rows->data.len;
        uint32_t id;
        acct_t a;
        if (!acct_parse(rows->data.data + rows->offsets[k], end - rows->offsets[k], &id, &a) ||
            id >= IDS || seen[id].live) {
            *why = "a malformed or repeated row";
            return false;
        }
        seen[id] = a;
    }
    for (uint32_t id = 0; id < IDS; id++)
        if (!acct_equal(&seen[id], &m[id])) {
            *why = "rows differ";
            return false;
        }
    return true;
}

/* Apply a changeset to a copy of before: each delete must name a live row
 * byte for byte, each insert a free id; no row is both deleted and
 * inserted with the same bytes (that is no change). */
static bool apply_changes(const store_changeset_t *cs, uint32_t table, acct_t *m, const char **why)
{
    for (uint32_t i = 0; i < cs->ntables; i++) {
        const store_table_changes_t *tc = &cs->tables[i];
        if (tc->table_id != table)
            continue;
        for (uint32_t k = 0; k < tc->ndeletes; k++) {
            uint32_t id;
            acct_t a;
            if (!acct_parse(tc->deletes[k], tc->delete_lens[k], &id, &a) || id >= IDS ||
                !acct_equal(&m[id], &a)) {
                *why = "a delete of a row that was not there";
                return false;
            }
            for (uint32_t j = 0; j < tc->ninserts; j++)
                if (tc->insert_lens[j] == tc->delete_lens[k] &&
                    memcmp(tc->inserts[j], tc->deletes[k], tc->delete_lens[k]) == 0) {
                    *why = "the same row deleted and inserted";
                    return false;
                }
            m[id].live = false;
        }
        for (uint32_t k = 0; k < tc->ninserts; k++) {
            uint32_t id;
            acct_t a;
            if (!acct_parse(tc->inserts[k], tc->insert_lens[k], &id, &a) || id >= IDS ||
                m[id].live) {
                *why = "an insert over a live row";
                return false;
            }
            m[id] = a;
        }
    }
    return true;
}

typedef struct rnd {
    uint64_t s;
} rnd_t;

static uint32_t rnd_next(rnd_t *r, uint32_t n)
{
    r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(r->s >> 33) % n;
}

/* A new value for account a: the name keeps its length (same storage) or
 * not; the tag (an index key) changes now and then. */
static void acct_mutate(rnd_t *r, acct_t *a)
{
    uint32_t what = rnd_next(r, 10);
    if (what < 5)
        a->balance += (int64_t)rnd_next(r, 1000) - 500;
    else if (what < 7)
        for (uint32_t i = 0; i < a->name_len; i++) a->name[i] = (char)('a' + rnd_next(r, 26));
    else if (what < 9) {
        a->name_len = (uint8_t)rnd_next(r, sizeof a->name + 1);
        for (uint32_t i = 0; i < a->name_len; i++) a->name[i] = (char)('a' + rnd_next(r, 26));
    } else
        a->tag = (uint8_t)rnd_next(r, 4);
}

typedef struct world {
    store_db_t *db;
    uint32_t t, pk, tag_ix;
    acct_t committed[IDS], working[IDS];
    rnd_t rnd;
} world_t;

static void step(world_t *w, store_tx_t *tx, const acct_t *at_start)
{
    lc_err_t err;
    uint32_t id = rnd_next(&w->rnd, IDS);
    acct_t *m = &w->working[id];
    uint8_t row[128];
    store_insert_result_t res;
    switch (rnd_next(&w->rnd, 8)) {
    case 0: { /* insert */
        acct_t a = {.live = true, .name_len = 3, .balance = 100, .tag = (uint8_t)(id % 4)};
        memcpy(a.name, "new", 3);
        int rc = store_insert(tx, w->t, row, acct_row(row, id, &a), &res, &err);
        bool identical = acct_equal(m, &a);
        CHECK_MSG(m->live && !identical ? rc == LC_EEXIST : rc == LC_OK, "insert %u: rc %d", id,
                  rc);
        if (rc == LC_OK)
            *m = a;
        break;
    }
    case 1: { /* delete */
        uint8_t key[4];
        uint32_t n;
        lc_store_u32le(key, id);
        CHECK_OK(store_delete_by_point(tx, w->pk, key, 4, &n, &err));
        CHECK_EQ_INT(n, m->live);
        m->live = false;
        break;
    }
    case 2: /* back to the value before the transaction */
        if (m->live && at_start[id].live) {
            CHECK_OK(
                store_update(tx, w->t, w->pk, row, acct_row(row, id, &at_start[id]), &res, &err));
            *m = at_start[id];
            break;
        }
        /* fall through */
    default: { /* update */
        acct_t a = *m;
        acct_mutate(&w->rnd, &a);
        a.live = true;
        int rc = store_update(tx, w->t, w->pk, row, acct_row(row, id, &a), &res, &err);
        CHECK_MSG(rc == (m->live ? LC_OK : LC_ENOTFOUND), "update %u: rc %d (%s)", id, rc, err.msg);
        if (rc == LC_OK)
            *m = a;
        break;
    }
    }
}

static void check_view(world_t *w, store_view_t *v, const acct_t *snap, int txn)
{
    lc_err_t err;
    store_rows_t rows;
    store_rows_init(&rows);
    CHECK_OK(store_view_scan(v, w->t, &rows, &err));
    const char *why = "";
    CHECK_MSG(rows_match(&rows, snap, &why), "tx %d: a view's scan: %s", txn, why);
    store_rows_free(&rows);
    /* the tag index finds the same rows as the snapshot */
    for (uint8_t tag = 0; tag < 4; tag++) {
        store_rows_init(&rows);
        CHECK_OK(store_view_index_point(v, w->tag_ix, &tag, 1, &rows, &err));
        uint32_t want = 0;
        for (uint32_t id = 0; id < IDS; id++) want += snap[id].live && snap[id].tag == tag;
        CHECK_MSG(rows.count == want, "tx %d: tag %u: %u rows through a view, %u expected", txn,
                  tag, rows.count, want);
        store_rows_free(&rows);
    }
}

static void check_writer(world_t *w, const acct_t *m, int txn, const char *when)
{
    lc_err_t err;
    store_tx_t *tx;
    CHECK_OK(store_tx_begin(w->db, &tx, &err));
    store_rows_t rows;
    store_rows_init(&rows);
    CHECK_OK(store_tx_scan(tx, w->t, &rows, &err));
    const char *why = "";
    CHECK_MSG(rows_match(&rows, m, &why), "tx %d %s: %s", txn, when, why);
    store_rows_free(&rows);
    store_tx_rollback(tx);
}

/* Random transactions of inserts, deletes and updates (most of them in
 * place), committed or rolled back, with up to two read views open across
 * several transactions.  After each: the writer's rows equal the model,
 * the changeset turns the old model into the new one, and every open view
 * still reads the rows of the moment it was opened. */
static void run_model(uint64_t seed)
{
    static world_t w;
    memset(&w, 0, sizeof w);
    w.rnd.s = seed;
    lc_err_t err;
    open_accounts(&w.db, &w.t, &w.pk);
    CHECK_OK(store_index_id(w.db, "account_tag_idx_btree", &w.tag_ix));
    store_view_t *views[2] = {NULL, NULL};
    static acct_t snaps[2][IDS];
    for (int txn = 0; txn < 1500; txn++) {
        for (int k = 0; k < 2; k++) {
            uint32_t dice = rnd_next(&w.rnd, 16);
            if (views[k] && dice == 0) {
                store_view_close(views[k]);
                views[k] = NULL;
            } else if (!views[k] && dice == 1) {
                CHECK_OK(store_view_open(w.db, &views[k], &err));
                memcpy(snaps[k], w.committed, sizeof w.committed);
            }
        }
        store_tx_t *tx;
        CHECK_OK(store_tx_begin(w.db, &tx, &err));
        memcpy(w.working, w.committed, sizeof w.working);
        uint32_t steps = 1 + rnd_next(&w.rnd, 12);
        bool late_view = rnd_next(&w.rnd, 8) == 0 && !views[1];
        for (uint32_t s = 0; s < steps; s++) {
            step(&w, tx, w.committed);
            /* a view opened mid-transaction sees the state before it */
            if (late_view && s == steps / 2) {
                CHECK_OK(store_view_open(w.db, &views[1], &err));
                memcpy(snaps[1], w.committed, sizeof w.committed);
            }
        }
        if (rnd_next(&w.rnd, 5) == 0) {
            store_tx_rollback(tx);
        } else {
            store_changeset_t cs;
            CHECK_OK(store_tx_commit(tx, &cs, &err));
            acct_t applied[IDS];
            memcpy(applied, w.committed, sizeof applied);
            const char *why = "";
            CHECK_MSG(apply_changes(&cs, w.t, applied, &why), "tx %d: changeset: %s", txn, why);
            for (uint32_t id = 0; id < IDS; id++)
                CHECK_MSG(acct_equal(&applied[id], &w.working[id]),
                          "tx %d: the changeset misses a change of row %u", txn, id);
            store_changeset_free(&cs);
            memcpy(w.committed, w.working, sizeof w.committed);
        }
        check_writer(&w, w.committed, txn, "after commit or rollback");
        for (int k = 0; k < 2; k++)
            if (views[k])
                check_view(&w, views[k], snaps[k], txn);
    }
    for (int k = 0; k < 2; k++) store_view_close(views[k]);
    store_db_close(w.db);
}

TEST(in_place_updates_match_the_model)
{
    run_model(1);
    run_model(20261203);
}

/* Updates in place report the row's bytes before the transaction and after
 * it, once, however often the row changed in between. */
TEST(in_place_update_changeset_and_rollback)
{
    uint32_t t, pk;
    store_db_t *db;
    open_accounts(&db, &t, &pk);
    lc_err_t err;
    acct_t a = {.live = true, .name_len = 5, .balance = 10, .tag = 1};
    memcpy(a.name, "alice", 5);
    uint8_t row[128], first[128];
    size_t first_len = acct_row(first, 7, &a);
    store_insert_result_t res;
    store_tx_t *tx;
    store_changeset_t cs;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(store_insert(tx, t, first, first_len, &res, &err));
    CHECK_OK(store_tx_commit(tx, &cs, &err));
    store_changeset_free(&cs);

    /* three updates, one of them moving the name to another size */
    CHECK_OK(store_tx_begin(db, &tx, &err));
    acct_t b = a;
    for (int i = 0; i < 3; i++) {
        b.balance += 5;
        if (i == 1) {
            b.name_len = 30;
            memset(b.name, 'z', 30);
        }
        CHECK_OK(store_update(tx, t, pk, row, acct_row(row, 7, &b), &res, &err));
    }
    size_t last_len = acct_row(row, 7, &b);
    CHECK_OK(store_tx_commit(tx, &cs, &err));
    CHECK_EQ_INT(cs.ntables, 1);
    CHECK_EQ_INT(cs.tables[0].ndeletes, 1);
    CHECK_EQ_INT(cs.tables[0].ninserts, 1);
    CHECK(cs.tables[0].delete_lens[0] == first_len &&
          memcmp(cs.tables[0].deletes[0], first, first_len) == 0);
    CHECK(cs.tables[0].insert_lens[0] == last_len &&
          memcmp(cs.tables[0].inserts[0], row, last_len) == 0);
    store_changeset_free(&cs);

    /* an in-place update keeps the row's id; rollback restores its bytes */
    CHECK_OK(store_tx_begin(db, &tx, &err));
    acct_t c = b;
    c.balance = -1;
    uint8_t before[128];
    size_t before_len = acct_row(before, 7, &b);
    CHECK_OK(store_update(tx, t, pk, row, acct_row(row, 7, &c), &res, &err));
    store_rows_t rows;
    store_rows_init(&rows);
    uint8_t key[4];
    lc_store_u32le(key, 7);
    CHECK_OK(store_tx_index_point(tx, pk, key, 4, &rows, &err));
    CHECK_EQ_INT(rows.count, 1);
    store_rows_free(&rows);
    store_tx_rollback(tx);
    CHECK_OK(store_tx_begin(db, &tx, &err));
    store_rows_init(&rows);
    CHECK_OK(store_tx_index_point(tx, pk, key, 4, &rows, &err));
    CHECK(rows.count == 1 && rows.data.len == before_len &&
          memcmp(rows.data.data, before, before_len) == 0);
    store_rows_free(&rows);
    /* updated in place then deleted: one delete of the committed bytes */
    CHECK_OK(store_update(tx, t, pk, row, acct_row(row, 7, &c), &res, &err));
    uint32_t row_id = res.row;
    c.balance = -2;
    CHECK_OK(store_update(tx, t, pk, row, acct_row(row, 7, &c), &res, &err));
    CHECK_EQ_INT(res.row, row_id);
    uint32_t n;
    CHECK_OK(store_delete_by_point(tx, pk, key, 4, &n, &err));
    CHECK_EQ_INT(n, 1);
    CHECK_OK(store_tx_commit(tx, &cs, &err));
    CHECK(cs.ntables == 1 && cs.tables[0].ndeletes == 1 && cs.tables[0].ninserts == 0);
    CHECK(cs.tables[0].delete_lens[0] == before_len &&
          memcmp(cs.tables[0].deletes[0], before, before_len) == 0);
    store_changeset_free(&cs);
    store_db_close(db);
}

/* Transfers between accounts keep the total balance; readers on another
 * thread must see that total in every view, while the writer updates in
 * place and views open and close under it. */
typedef struct transfer_reader {
    store_db_t *db;
    uint32_t t;
    int64_t total;
    _Atomic bool stop;
    _Atomic int bad, views;
} transfer_reader_t;

static void *transfer_reader_main(void *p)
{
    transfer_reader_t *tr = p;
    while (!atomic_load(&tr->stop)) {
        store_view_t *v;
        if (store_view_open(tr->db, &v, NULL) != LC_OK)
            continue;
        store_rows_t rows;
        store_rows_init(&rows);
        int64_t sum = 0;
        if (store_view_scan(v, tr->t, &rows, NULL) != LC_OK || rows.count != IDS)
            tr->bad++;
        for (uint32_t k = 0; k < rows.count; k++) {
            size_t end = k + 1 < rows.count ? rows.offsets[k + 1] : rows.data.len;
            uint32_t id;
            acct_t a;
            if (acct_parse(rows.data.data + rows.offsets[k], end - rows.offsets[k], &id, &a))
                sum += a.balance;
        }
        if (sum != tr->total)
            tr->bad++;
        store_rows_free(&rows);
        store_view_close(v);
        tr->views++;
    }
    return NULL;
}

TEST(concurrent_readers_see_whole_transfers)
{
    uint32_t t, pk;
    store_db_t *db;
    open_accounts(&db, &t, &pk);
    lc_err_t err;
    acct_t m[IDS];
    store_tx_t *tx;
    store_changeset_t cs;
    uint8_t row[128];
    store_insert_result_t res;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    for (uint32_t id = 0; id < IDS; id++) {
        m[id] = (acct_t){.live = true, .name_len = 2, .balance = 1000, .tag = 0};
        memcpy(m[id].name, "ac", 2);
        CHECK_OK(store_insert(tx, t, row, acct_row(row, id, &m[id]), &res, &err));
    }
    CHECK_OK(store_tx_commit(tx, &cs, &err));
    store_changeset_free(&cs);
    transfer_reader_t tr = {.db = db, .t = t, .total = 1000 * IDS};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, transfer_reader_main, &tr) == 0);
    rnd_t r = {7};
    for (int round = 0; (round < 2000 || tr.views < 50) && round < 2000000; round++) {
        CHECK_OK(store_tx_begin(db, &tx, &err));
        for (int k = 0; k < 3; k++) {
            uint32_t from = rnd_next(&r, IDS), to = rnd_next(&r, IDS);
            int64_t amount = rnd_next(&r, 50);
            m[from].balance -= amount;
            m[to].balance += amount;
            CHECK_OK(store_update(tx, t, pk, row, acct_row(row, from, &m[from]), &res, &err));
            CHECK_OK(store_update(tx, t, pk, row, acct_row(row, to, &m[to]), &res, &err));
        }
        CHECK_OK(store_tx_commit(tx, &cs, &err));
        store_changeset_free(&cs);
    }
    atomic_store(&tr.stop, true);
    pthread_join(th, NULL);
    CHECK_EQ_INT(tr.bad, 0);
    CHECK(tr.views >= 50);
    store_db_close(db);
}

const test_case_t test_store_inplace_cases[] = {
    TEST_CASE(in_place_updates_match_the_model),
    TEST_CASE(in_place_update_changeset_and_rollback),
    TEST_CASE(concurrent_readers_see_whole_transfers),
    TEST_END,
};
