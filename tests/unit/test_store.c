/* Unit tests for src/store: catalog, inserts, constraints, sequences,
 * updates, deletes, scans, transactions, changesets, read views, and a
 * randomized model test. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "store/store.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

/* person(id: u32 pk auto_inc, name: String unique, age: u8), index on age. */
static int make_person(store_db_t *db, uint32_t *table_id, lc_err_t *err)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *names[] = {"id", "name", "age"};
    const sats_type_t *types[] = {sats_prim(SATS_U32), sats_prim(SATS_STRING), sats_prim(SATS_U8)};
    static const uint16_t c0[] = {0}, c1[] = {1}, c2[] = {2};
    store_index_def_t idx[] = {{"person_id_idx_btree", STORE_INDEX_BTREE, 1, c0},
                               {"person_name_idx_btree", STORE_INDEX_BTREE, 1, c1},
                               {"person_age_idx_hash", STORE_INDEX_HASH, 1, c2}};
    store_constraint_def_t cons[] = {{"person_id_key", 1, c0}, {"person_name_key", 1, c1}};
    store_sequence_def_t seq[] = {{"person_id_seq", 0, 1, 1, (__int128)UINT32_MAX, 1}};
    store_table_def_t def = {.name = "person",
                             .row_type = sats_type_product(&a, 3, names, types),
                             .primary_key = 0,
                             .type = STORE_TABLE_USER,
                             .access = STORE_PUBLIC,
                             .nindexes = 3,
                             .indexes = idx,
                             .nconstraints = 2,
                             .constraints = cons,
                             .nsequences = 1,
                             .sequences = seq};
    store_tx_t *tx;
    int rc = store_tx_begin(db, &tx, err);
    if (rc == LC_OK) {
        rc = store_create_table(tx, &def, table_id, err);
        if (rc == LC_OK) {
            store_changeset_t cs;
            rc = store_tx_commit(tx, &cs, err);
            store_changeset_free(&cs);
        } else {
            store_tx_rollback(tx);
        }
    }
    lc_arena_free(&a);
    return rc;
}

/* A new in-memory database with the person table; its table and primary
 * key index ids. */
static void open_person(store_db_t **db, uint32_t *t, uint32_t *pk)
{
    lc_err_t err;
    CHECK_OK(store_db_open(db, &err));
    CHECK_OK(make_person(*db, t, &err));
    CHECK_OK(store_index_id(*db, "person_id_idx_btree", pk));
}

static size_t person_row(uint8_t *out, uint32_t id, const char *name, uint8_t age)
{
    size_t n = strlen(name), off = 0;
    lc_store_u32le(out, id);
    off += 4;
    lc_store_u32le(out + off, (uint32_t)n);
    off += 4;
    memcpy(out + off, name, n);
    off += n;
    out[off++] = age;
    return off;
}

static int insert_person(store_tx_t *tx, uint32_t t, uint32_t id, const char *name, uint8_t age,
                         store_insert_result_t *res, lc_err_t *err)
{
    uint8_t row[256];
    size_t n = person_row(row, id, name, age);
    store_insert_result_t local;
    return store_insert(tx, t, row, n, res ? res : &local, err);
}

static uint64_t tx_count(store_tx_t *tx, uint32_t t)
{
    uint64_t n = 0;
    store_tx_row_count(tx, t, &n, NULL);
    return n;
}

static int commit(store_tx_t *tx, store_changeset_t *cs)
{
    lc_err_t err;
    return store_tx_commit(tx, cs, &err);
}

static const store_table_changes_t *changes_for(const store_changeset_t *cs, uint32_t t)
{
    for (uint32_t i = 0; i < cs->ntables; i++)
        if (cs->tables[i].table_id == t)
            return &cs->tables[i];
    return NULL;
}

/* ---------------------------------------------------------------- catalog */

TEST(bootstrap_has_system_tables)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t id = 0;
    CHECK_OK(store_table_id(db, "st_column", &id));
    CHECK_EQ_INT(id, STORE_ST_COLUMN);
    CHECK_EQ_INT(store_table_id(db, "nope", &id), LC_ENOTFOUND);
    store_view_t *v;
    CHECK_OK(store_view_open(db, &v, &err));
    uint64_t n;
    CHECK_OK(store_view_row_count(v, STORE_ST_TABLE, &n, &err));
    CHECK_EQ_INT(n, 20);
    CHECK_OK(store_view_row_count(v, STORE_ST_SEQUENCE, &n, &err));
    CHECK(n >= 5);
    store_rows_t rows;
    store_rows_init(&rows);
    CHECK_OK(store_view_scan(v, STORE_ST_TABLE, &rows, &err));
    CHECK_EQ_INT(rows.count, 20);
    /* st_table row of st_table: id 1, name "st_table" */
    bool seen = false;
    for (uint32_t i = 0; i < rows.count; i++) {
        const uint8_t *p = rows.data.data + rows.offsets[i];
        if (lc_load_u32le(p) == 1 && lc_load_u32le(p + 4) == 8 && memcmp(p + 8, "st_table", 8) == 0)
            seen = true;
    }
    store_rows_free(&rows);
    store_view_close(v);
    CHECK(seen);
    CHECK_EQ_INT(store_db_committed_offset(db), 0);
    store_db_close(db);
}

TEST(create_table_writes_catalog_rows)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t = 0, again;
    CHECK_OK(make_person(db, &t, &err));
    CHECK_EQ_INT(t, STORE_FIRST_USER_ID);
    CHECK_EQ_INT(make_person(db, &again, &err), LC_EEXIST);
    CHECK(strstr(err.msg, "person already exists") != NULL);
    uint32_t ix;
    CHECK_OK(store_index_id(db, "person_name_idx_btree", &ix));
    CHECK(ix >= STORE_FIRST_USER_ID);
    store_view_t *v;
    CHECK_OK(store_view_open(db, &v, &err));
    uint64_t n;
    CHECK_OK(store_view_row_count(v, STORE_ST_TABLE, &n, &err));
    CHECK_EQ_INT(n, 21);
    CHECK_OK(store_view_row_count(v, STORE_ST_COLUMN, &n, &err));
    store_view_close(v);
    const char *name;
    CHECK_OK(store_table_info(db, t, &name, NULL, NULL));
    CHECK_EQ_STR(name, "person");
    store_db_close(db);
}

/* ---------------------------------------------------------------- writes */

TEST(insert_scan_and_changeset)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_person(db, &t, &err));
    store_tx_t *tx;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    store_insert_result_t res;
    CHECK_OK(insert_person(tx, t, 7, "Alice", 30, &res, &err));
    CHECK(!res.existed);
    CHECK_EQ_INT(res.generated_len, 0); /* 7 was given, nothing generated */
    CHECK_OK(insert_person(tx, t, 8, "Bob", 40, NULL, &err));
    CHECK_EQ_INT(tx_count(tx, t), 2);
    store_rows_t rows;
    store_rows_init(&rows);
    CHECK_OK(store_tx_scan(tx, t, &rows, &err));
    CHECK_EQ_INT(rows.count, 2);
    store_rows_free(&rows);
    store_changeset_t cs;
    CHECK_OK(commit(tx, &cs));
    CHECK_EQ_INT(cs.tx_offset, 2); /* offset 1 created the table */
    const store_table_changes_t *c = changes_for(&cs, t);
    CHECK(c != NULL);
    CHECK_EQ_INT(c->ninserts, 2);
    CHECK_EQ_INT(c->ndeletes, 0);
    CHECK_EQ_STR(c->table_name, "person");
    uint8_t want[64];
    size_t wn = person_row(want, 7, "Alice", 30);
    CHECK_EQ_INT(c->insert_lens[0], wn);
    CHECK_EQ_MEM(c->inserts[0], want, wn);
    store_changeset_free(&cs);
    CHECK_EQ_INT(store_db_committed_offset(db), 2);
    store_db_close(db);
}

TEST(set_semantics_identical_insert_is_noop)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_person(db, &t, &err));
    store_tx_t *tx;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    store_insert_result_t a, b;
    CHECK_OK(insert_person(tx, t, 1, "Ann", 5, &a, &err));
    CHECK_OK(insert_person(tx, t, 1, "Ann", 5, &b, &err));
    CHECK(b.existed);
    CHECK_EQ_INT(b.row, a.row);
    CHECK_EQ_INT(tx_count(tx, t), 1);
    store_changeset_t cs;
    CHECK_OK(commit(tx, &cs));
    CHECK_EQ_INT(changes_for(&cs, t)->ninserts, 1);
    store_changeset_free(&cs);
    /* and against committed rows */
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(insert_person(tx, t, 1, "Ann", 5, &b, &err));
    CHECK(b.existed);
    CHECK_OK(commit(tx, &cs));
    CHECK_EQ_INT(cs.tx_offset, 0); /* nothing changed: no offset consumed */
    CHECK_EQ_INT(cs.ntables, 0);
    store_changeset_free(&cs);
    store_db_close(db);
}

TEST(unique_violation_names_table_constraint_and_value)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_person(db, &t, &err));
    store_tx_t *tx;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(insert_person(tx, t, 1, "Bob", 5, NULL, &err));
    CHECK_EQ_INT(insert_person(tx, t, 2, "Bob", 6, NULL, &err), LC_EEXIST);
    CHECK_MSG(strstr(err.msg, "unique constraint \"person_name_key\"") &&
                  strstr(err.msg, "table \"person\"") && strstr(err.msg, "(name)=(\"Bob\")"),
              "message: %s", err.msg);
    CHECK_EQ_INT(insert_person(tx, t, 1, "Carl", 6, NULL, &err), LC_EEXIST);
    CHECK(strstr(err.msg, "person_id_key") && strstr(err.msg, "(id)=(1)"));
    CHECK_EQ_INT(tx_count(tx, t), 1); /* the failed rows left nothing */
    store_tx_rollback(tx);
    store_db_close(db);
}

TEST(sequences_fill_zero_columns)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_person(db, &t, &err));
    store_tx_t *tx;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    store_insert_result_t r1, r2;
    CHECK_OK(insert_person(tx, t, 0, "A", 1, &r1, &err));
    CHECK_EQ_INT(r1.generated_len, 4);
    CHECK_EQ_INT(lc_load_u32le(r1.generated), 1);
    CHECK_EQ_INT(lc_load_u32le(r1.row_bsatn), 1);
    CHECK_OK(insert_person(tx, t, 0, "B", 1, &r2, &err));
    CHECK_EQ_INT(lc_load_u32le(r2.generated), 2);
    store_changeset_t cs;
    CHECK_OK(commit(tx, &cs));
    /* the allocation mark was persisted in st_sequence in the same tx */
    const store_table_changes_t *seq = changes_for(&cs, STORE_ST_SEQUENCE);
    CHECK(seq != NULL && seq->ninserts == 1 && seq->ndeletes == 1);
    store_changeset_free(&cs);
    /* values are not reused after a rollback */
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(insert_person(tx, t, 0, "C", 1, &r1, &err));
    CHECK_EQ_INT(lc_load_u32le(r1.generated), 3);
    store_tx_rollback(tx);
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(insert_person(tx, t, 0, "C", 1, &r1, &err));
    CHECK_EQ_INT(lc_load_u32le(r1.generated), 4);
    CHECK_OK(commit(tx, &cs));
    store_changeset_free(&cs);
    store_db_close(db);
}

TEST(rollback_restores_everything)
{
    uint32_t t, pk;
    store_db_t *db;
    open_person(&db, &t, &pk);
    lc_err_t err;
    store_tx_t *tx;
    store_changeset_t cs;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    for (uint32_t i = 1; i <= 50; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%u", i);
        CHECK_OK(insert_person(tx, t, i, name, (uint8_t)i, NULL, &err));
    }
    CHECK_OK(commit(tx, &cs));
    store_changeset_free(&cs);
    store_rows_t before, after;
    store_rows_init(&before);
    store_rows_init(&after);
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(store_tx_scan(tx, t, &before, &err));
    uint8_t key[4];
    uint32_t n;
    lc_store_u32le(key, 3);
    CHECK_OK(store_delete_by_point(tx, pk, key, 4, &n, &err));
    CHECK_EQ_INT(n, 1);
    CHECK_OK(insert_person(tx, t, 100, "new", 1, NULL, &err));
    uint8_t row[64];
    size_t len = person_row(row, 4, "renamed", 99);
    store_insert_result_t res;
    CHECK_OK(store_update(tx, t, pk, row, len, &res, &err));
    uint64_t cleared;
    CHECK_OK(store_clear(tx, t, &cleared, &err));
    CHECK_EQ_INT(cleared, 50);
    CHECK_OK(insert_person(tx, t, 5, "p5", 5, NULL, &err)); /* un-delete */
    store_tx_rollback(tx);
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(store_tx_scan(tx, t, &after, &err));
    CHECK_EQ_INT(after.count, before.count);
    CHECK_EQ_INT(after.data.len, before.data.len);
    CHECK_EQ_MEM(after.data.data, before.data.data, before.data.len);
    /* indexes were restored too */
    store_rows_t one;
    store_rows_init(&one);
    CHECK_OK(store_tx_index_point(tx, pk, key, 4, &one, &err));
    CHECK_EQ_INT(one.count, 1);
    store_rows_free(&one);
    store_tx_rollback(tx);
    store_rows_free(&before);
    store_rows_free(&after);
    store_db_close(db);
}

TEST(delete_then_reinsert_undeletes_and_reports_nothing)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_person(db, &t, &err));
    store_tx_t *tx;
    store_changeset_t cs;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(insert_person(tx, t, 1, "A", 1, NULL, &err));
    CHECK_OK(commit(tx, &cs));
    store_changeset_free(&cs);
    CHECK_OK(store_tx_begin(db, &tx, &err));
    uint8_t row[64];
    size_t len = person_row(row, 1, "A", 1);
    uint32_t n;
    CHECK_OK(store_delete_value(tx, t, row, len, &n, &err));
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(tx_count(tx, t), 0);
    CHECK_OK(store_delete_value(tx, t, row, len, &n, &err));
    CHECK_EQ_INT(n, 0);
    CHECK_OK(insert_person(tx, t, 1, "A", 1, NULL, &err));
    CHECK_OK(store_delete_value(tx, t, row, len, &n, &err)); /* delete again */
    CHECK_OK(insert_person(tx, t, 1, "A", 1, NULL, &err));   /* and back */
    CHECK_EQ_INT(tx_count(tx, t), 1);
    /* a row inserted and deleted within the transaction */
    CHECK_OK(insert_person(tx, t, 2, "B", 2, NULL, &err));
    len = person_row(row, 2, "B", 2);
    CHECK_OK(store_delete_value(tx, t, row, len, &n, &err));
    CHECK_OK(commit(tx, &cs));
    CHECK_EQ_INT(cs.ntables, 0);
    store_changeset_free(&cs);
    /* delete, undelete, delete reports one delete */
    CHECK_OK(store_tx_begin(db, &tx, &err));
    len = person_row(row, 1, "A", 1);
    CHECK_OK(store_delete_value(tx, t, row, len, &n, &err));
    CHECK_OK(insert_person(tx, t, 1, "A", 1, NULL, &err));
    CHECK_OK(store_delete_value(tx, t, row, len, &n, &err));
    CHECK_OK(commit(tx, &cs));
    CHECK_EQ_INT(changes_for(&cs, t)->ndeletes, 1);
    CHECK(changes_for(&cs, t)->truncated);
    store_changeset_free(&cs);
    store_db_close(db);
}

TEST(update_through_unique_index)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t, pk, age_ix;
    CHECK_OK(make_person(db, &t, &err));
    CHECK_OK(store_index_id(db, "person_id_idx_btree", &pk));
    CHECK_OK(store_index_id(db, "person_age_idx_hash", &age_ix));
    store_tx_t *tx;
    store_changeset_t cs;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(insert_person(tx, t, 1, "A", 1, NULL, &err));
    CHECK_OK(insert_person(tx, t, 2, "B", 2, NULL, &err));
    CHECK_OK(commit(tx, &cs));
    store_changeset_free(&cs);
    CHECK_OK(store_tx_begin(db, &tx, &err));
    uint8_t row[64];
    size_t len = person_row(row, 1, "A2", 10);
    store_insert_result_t res;
    CHECK_OK(store_update(tx, t, pk, row, len, &res, &err));
    CHECK(!res.existed);
    CHECK_OK(store_update(tx, t, pk, row, len, &res, &err)); /* same row again */
    CHECK(res.existed);
    len = person_row(row, 9, "Z", 1);
    CHECK_EQ_INT(store_update(tx, t, pk, row, len, &res, &err), LC_ENOTFOUND);
    CHECK_EQ_INT(store_update(tx, t, age_ix, row, len, &res, &err), LC_EINVAL);
    len = person_row(row, 1, "B", 1); /* would collide with row 2's name */
    CHECK_EQ_INT(store_update(tx, t, pk, row, len, &res, &err), LC_EEXIST);
    CHECK_EQ_INT(tx_count(tx, t), 2); /* the old row is back */
    CHECK_OK(commit(tx, &cs));
    const store_table_changes_t *c = changes_for(&cs, t);
    CHECK(c && c->ninserts == 1 && c->ndeletes == 1);
    uint8_t want[64];
    size_t wn = person_row(want, 1, "A", 1);
    CHECK_EQ_MEM(c->deletes[0], want, wn);
    wn = person_row(want, 1, "A2", 10);
    CHECK_EQ_MEM(c->inserts[0], want, wn);
    store_changeset_free(&cs);
    store_db_close(db);
}

TEST(bad_rows_are_rejected)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_person(db, &t, &err));
    store_tx_t *tx;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    uint8_t row[64];
    size_t len = person_row(row, 1, "A", 1);
    store_insert_result_t res;
    for (size_t cut = 0; cut < len; cut++)
        CHECK_EQ_INT(store_insert(tx, t, row, cut, &res, &err), LC_ECORRUPT);
    row[len] = 0;
    CHECK_EQ_INT(store_insert(tx, t, row, len + 1, &res, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "left over") != NULL);
    CHECK_EQ_INT(store_insert(tx, 999999, row, len, &res, &err), LC_ENOTFOUND);
    CHECK_EQ_INT(tx_count(tx, t), 0);
    store_tx_rollback(tx);
    store_db_close(db);
}

/* ---------------------------------------------------------------- scans */

static uint32_t bound(uint8_t *out, int tag, uint32_t v)
{
    out[0] = (uint8_t)tag;
    if (tag == 2)
        return 1;
    lc_store_u32le(out + 1, v);
    return 5;
}

TEST(index_point_and_range_scans)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t, pk, age_ix;
    CHECK_OK(make_person(db, &t, &err));
    CHECK_OK(store_index_id(db, "person_id_idx_btree", &pk));
    CHECK_OK(store_index_id(db, "person_age_idx_hash", &age_ix));
    store_tx_t *tx;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    for (uint32_t i = 1; i <= 20; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%u", i);
        CHECK_OK(insert_person(tx, t, i, name, (uint8_t)(i % 3), NULL, &err));
    }
    struct {
        int lo_tag;
        uint32_t lo;
        int hi_tag;
        uint32_t hi;
        uint32_t want;
    } cases[] = {{0, 5, 0, 10, 6}, {1, 5, 0, 10, 5}, {0, 5, 1, 10, 5},
                 {1, 5, 1, 10, 4}, {2, 0, 0, 3, 3},  {0, 18, 2, 0, 3},
                 {2, 0, 2, 0, 20}, {0, 10, 0, 5, 0}, {0, 7, 0, 7, 1}};
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        uint8_t lo[5], hi[5];
        store_range_t r = {NULL,
                           0,
                           0,
                           lo,
                           bound(lo, cases[i].lo_tag, cases[i].lo),
                           hi,
                           bound(hi, cases[i].hi_tag, cases[i].hi)};
        store_rows_t rows;
        store_rows_init(&rows);
        CHECK_OK(store_tx_index_range(tx, pk, &r, &rows, &err));
        uint32_t got = rows.count;
        /* ascending key order */
        bool sorted = true;
        for (uint32_t k = 1; k < rows.count; k++)
            sorted &= lc_load_u32le(rows.data.data + rows.offsets[k - 1]) <
                      lc_load_u32le(rows.data.data + rows.offsets[k]);
        store_rows_free(&rows);
        CHECK_MSG(got == cases[i].want, "case %zu: %u rows, expected %u", i, got, cases[i].want);
        CHECK(sorted);
    }
    uint8_t age = 1;
    store_rows_t rows;
    store_rows_init(&rows);
    CHECK_OK(store_tx_index_point(tx, age_ix, &age, 1, &rows, &err));
    CHECK_EQ_INT(rows.count, 7); /* 1,4,...,19 */
    store_rows_free(&rows);
    uint8_t b[5];
    store_range_t hr = {NULL, 0, 0, b, bound(b, 2, 0), b, bound(b, 2, 0)};
    store_rows_init(&rows);
    CHECK_EQ_INT(store_tx_index_range(tx, age_ix, &hr, &rows, &err), LC_EUNSUPPORTED);
    store_range_t bad = {NULL, 0, 1, b, 1, b, 1}; /* a prefix leaves no column */
    CHECK_EQ_INT(store_tx_index_range(tx, pk, &bad, &rows, &err), LC_ECORRUPT);
    uint8_t junk[3] = {1, 2, 3};
    CHECK_EQ_INT(store_tx_index_point(tx, pk, junk, 3, &rows, &err), LC_ECORRUPT);
    store_rows_free(&rows);
    uint32_t n;
    uint8_t lo[5], hi[5];
    store_range_t del = {NULL, 0, 0, lo, bound(lo, 0, 1), hi, bound(hi, 1, 6)};
    CHECK_OK(store_delete_by_range(tx, pk, &del, &n, &err));
    CHECK_EQ_INT(n, 5);
    CHECK_OK(store_delete_by_point(tx, age_ix, &age, 1, &n, &err));
    CHECK_EQ_INT(n, 5); /* 7,10,13,16,19 remain with age 1 */
    CHECK_EQ_INT(tx_count(tx, t), 10);
    store_tx_rollback(tx);
    store_db_close(db);
}

/* pair(a: u32, b: String) with a non-unique btree on (a, b): prefix scans. */
TEST(multi_column_prefix_scans)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *names[] = {"a", "b"};
    const sats_type_t *types[] = {sats_prim(SATS_U32), sats_prim(SATS_STRING)};
    static const uint16_t cols[] = {0, 1};
    store_index_def_t idx = {"pair_ab", STORE_INDEX_BTREE, 2, cols};
    store_table_def_t def = {.name = "pair",
                             .row_type = sats_type_product(&a, 2, names, types),
                             .primary_key = -1,
                             .type = STORE_TABLE_USER,
                             .nindexes = 1,
                             .indexes = &idx};
    store_tx_t *tx;
    uint32_t t, ix;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(store_create_table(tx, &def, &t, &err));
    lc_arena_free(&a);
    CHECK_OK(store_index_id(db, "pair_ab", &ix));
    const char *words[] = {"", "a", "ab", "b", "ba", "zz"};
    for (uint32_t x = 1; x <= 3; x++)
        for (size_t w = 0; w < LC_ARRAY_LEN(words); w++) {
            uint8_t row[32];
            size_t n = strlen(words[w]);
            lc_store_u32le(row, x);
            lc_store_u32le(row + 4, (uint32_t)n);
            memcpy(row + 8, words[w], n);
            store_insert_result_t res;
            CHECK_OK(store_insert(tx, t, row, 8 + n, &res, &err));
        }
    /* a = 2 and b in ["a", "b") -> "a", "ab" */
    uint8_t prefix[4], lo[16], hi[16];
    lc_store_u32le(prefix, 2);
    lo[0] = 0;
    lc_store_u32le(lo + 1, 1);
    lo[5] = 'a';
    hi[0] = 1;
    lc_store_u32le(hi + 1, 1);
    hi[5] = 'b';
    store_range_t r = {prefix, 4, 1, lo, 6, hi, 6};
    store_rows_t rows;
    store_rows_init(&rows);
    CHECK_OK(store_tx_index_range(tx, ix, &r, &rows, &err));
    CHECK_EQ_INT(rows.count, 2);
    store_rows_free(&rows);
    /* a in (1, 3] with b unbounded: the 12 rows of a=2 and a=3 */
    uint8_t l2[5], h2[5];
    store_range_t r2 = {NULL, 0, 0, l2, bound(l2, 1, 1), h2, bound(h2, 0, 3)};
    store_rows_init(&rows);
    CHECK_OK(store_tx_index_range(tx, ix, &r2, &rows, &err));
    CHECK_EQ_INT(rows.count, 12);
    store_rows_free(&rows);
    /* point on the full key */
    uint8_t point[16];
    lc_store_u32le(point, 3);
    lc_store_u32le(point + 4, 2);
    memcpy(point + 8, "ba", 2);
    store_rows_init(&rows);
    CHECK_OK(store_tx_index_point(tx, ix, point, 10, &rows, &err));
    CHECK_EQ_INT(rows.count, 1);
    store_rows_free(&rows);
    store_tx_rollback(tx);
    CHECK_EQ_INT(store_table_id(db, "pair", &t), LC_ENOTFOUND); /* creation undone */
    store_db_close(db);
}

/* Dense primary keys live in a direct array; a far-away key moves them to
 * a B+tree; random-order dense keys move back to an array. */
TEST(primary_key_index_adapts_to_key_density)
{
    uint32_t t, pk;
    store_db_t *db;
    open_person(&db, &t, &pk);
    lc_err_t err;
    store_tx_t *tx;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    uint32_t ids[9000];
    unsigned seed = 7;
    for (uint32_t i = 0; i < 9000; i++) ids[i] = i + 1;
    for (uint32_t i = 8999; i > 0; i--) { /* random order: starts sparse */
        seed = seed * 1103515245u + 12345u;
        uint32_t j = (seed >> 8) % (i + 1), tmp = ids[i];
        ids[i] = ids[j];
        ids[j] = tmp;
    }
    for (uint32_t i = 0; i < 9000; i++) {
        char name[16];
        snprintf(name, sizeof name, "d%u", ids[i]);
        CHECK_OK(insert_person(tx, t, ids[i], name, 1, NULL, &err));
    }
    CHECK_OK(insert_person(tx, t, 3000000000u, "far", 1, NULL, &err));
    CHECK_EQ_INT(insert_person(tx, t, 4500, "dup", 1, NULL, &err), LC_EEXIST);
    for (uint32_t id = 1; id <= 9000; id += 97) {
        uint8_t key[4];
        lc_store_u32le(key, id);
        store_rows_t rows;
        store_rows_init(&rows);
        CHECK_OK(store_tx_index_point(tx, pk, key, 4, &rows, &err));
        uint32_t got = rows.count, gid = rows.count ? lc_load_u32le(rows.data.data) : 0;
        store_rows_free(&rows);
        CHECK_MSG(got == 1 && gid == id, "id %u: %u rows", id, got);
    }
    uint8_t lo[5], hi[5];
    store_range_t r = {NULL, 0, 0, lo, bound(lo, 0, 8990), hi, bound(hi, 2, 0)};
    store_rows_t rows;
    store_rows_init(&rows);
    CHECK_OK(store_tx_index_range(tx, pk, &r, &rows, &err));
    uint32_t n = rows.count;
    uint32_t last = rows.count ? lc_load_u32le(rows.data.data + rows.offsets[n - 1]) : 0;
    store_rows_free(&rows);
    CHECK_EQ_INT(n, 12); /* 8990..9000 and the far one */
    CHECK_EQ_INT(last, 3000000000u);
    size_t mem = store_table_memory(db, t);
    store_tx_rollback(tx);
    CHECK(mem > 0);
    store_db_close(db);
}

/* A signed primary key: negative keys sort first, and point lookups agree
 * with range scans (two encodings of the same key must match). */
TEST(signed_integer_keys_order_and_match)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *names[] = {"k"};
    const sats_type_t *types[] = {sats_prim(SATS_I64)};
    static const uint16_t c0[] = {0};
    store_index_def_t idx = {"sk_k", STORE_INDEX_BTREE, 1, c0};
    store_constraint_def_t con = {"sk_k_key", 1, c0};
    store_table_def_t def = {.name = "sk",
                             .row_type = sats_type_product(&a, 1, names, types),
                             .primary_key = 0,
                             .type = STORE_TABLE_USER,
                             .nindexes = 1,
                             .indexes = &idx,
                             .nconstraints = 1,
                             .constraints = &con};
    store_tx_t *tx;
    uint32_t t, ix;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(store_create_table(tx, &def, &t, &err));
    lc_arena_free(&a);
    CHECK_OK(store_index_id(db, "sk_k", &ix));
    const int64_t keys[] = {5, -3, INT64_MIN, 0, INT64_MAX, -1, 7000000000LL};
    for (size_t i = 0; i < LC_ARRAY_LEN(keys); i++) {
        uint8_t row[8];
        lc_store_u64le(row, (uint64_t)keys[i]);
        store_insert_result_t res;
        CHECK_OK(store_insert(tx, t, row, 8, &res, &err));
    }
    for (size_t i = 0; i < LC_ARRAY_LEN(keys); i++) {
        uint8_t key[8];
        lc_store_u64le(key, (uint64_t)keys[i]);
        store_rows_t rows;
        store_rows_init(&rows);
        CHECK_OK(store_tx_index_point(tx, ix, key, 8, &rows, &err));
        uint32_t n = rows.count;
        store_rows_free(&rows);
        CHECK_EQ_INT(n, 1);
    }
    /* k in [-3, 5): -3, -1, 0 in ascending order */
    uint8_t lo[9] = {0}, hi[9] = {1};
    lc_store_u64le(lo + 1, (uint64_t)-3);
    lc_store_u64le(hi + 1, 5);
    store_range_t r = {NULL, 0, 0, lo, 9, hi, 9};
    store_rows_t rows;
    store_rows_init(&rows);
    CHECK_OK(store_tx_index_range(tx, ix, &r, &rows, &err));
    int64_t got[3] = {0};
    for (uint32_t i = 0; i < rows.count && i < 3; i++)
        got[i] = (int64_t)lc_load_u64le(rows.data.data + rows.offsets[i]);
    uint32_t n = rows.count;
    store_rows_free(&rows);
    store_tx_rollback(tx);
    store_db_close(db);
    CHECK_EQ_INT(n, 3);
    CHECK(got[0] == -3 && got[1] == -1 && got[2] == 0);
}

/* ---------------------------------------------------------------- views */

TEST(read_view_sees_its_snapshot)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_person(db, &t, &err));
    store_tx_t *tx;
    store_changeset_t cs;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    for (uint32_t i = 1; i <= 10; i++) {
        char name[8];
        snprintf(name, sizeof name, "v%u", i);
        CHECK_OK(insert_person(tx, t, i, name, 1, NULL, &err));
    }
    CHECK_OK(commit(tx, &cs));
    store_changeset_free(&cs);
    store_view_t *old;
    CHECK_OK(store_view_open(db, &old, &err));
    uint64_t n;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    uint64_t cleared;
    CHECK_OK(store_clear(tx, t, &cleared, &err));
    CHECK_OK(insert_person(tx, t, 50, "x", 1, NULL, &err));
    /* uncommitted changes are invisible */
    CHECK_OK(store_view_row_count(old, t, &n, &err));
    CHECK_EQ_INT(n, 10);
    CHECK_OK(commit(tx, &cs));
    store_changeset_free(&cs);
    CHECK_OK(store_view_row_count(old, t, &n, &err));
    CHECK_EQ_INT(n, 10);
    uint32_t pk;
    CHECK_OK(store_index_id(db, "person_id_idx_btree", &pk));
    uint8_t key[4];
    lc_store_u32le(key, 3);
    store_rows_t rows;
    store_rows_init(&rows);
    CHECK_OK(store_view_index_point(old, pk, key, 4, &rows, &err));
    CHECK_EQ_INT(rows.count, 1);
    store_rows_free(&rows);
    store_view_t *fresh;
    CHECK_OK(store_view_open(db, &fresh, &err));
    CHECK_OK(store_view_row_count(fresh, t, &n, &err));
    CHECK_EQ_INT(n, 1);
    store_view_close(fresh);
    store_view_close(old);
    /* the next transaction frees the rows nobody can see any more */
    size_t before = store_table_memory(db, t);
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_EQ_INT(tx_count(tx, t), 1);
    store_tx_rollback(tx);
    CHECK(store_table_memory(db, t) <= before);
    store_db_close(db);
}

/* A row deleted, revived by an identical insert and deleted again has two
 * delete entries; with a view open it must wait on the pending list once
 * (twice, and it was freed twice when the view closed). */
TEST(row_deleted_twice_under_a_view_is_freed_once)
{
    uint32_t t, pk;
    store_db_t *db;
    open_person(&db, &t, &pk);
    lc_err_t err;
    store_tx_t *tx;
    store_changeset_t cs;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(insert_person(tx, t, 1, "ann", 30, NULL, &err));
    CHECK_OK(insert_person(tx, t, 2, "bob", 40, NULL, &err));
    CHECK_OK(commit(tx, &cs));
    store_changeset_free(&cs);
    store_view_t *v;
    CHECK_OK(store_view_open(db, &v, &err));
    CHECK_OK(store_tx_begin(db, &tx, &err));
    uint8_t key[4];
    uint32_t n;
    lc_store_u32le(key, 1);
    CHECK_OK(store_delete_by_point(tx, pk, key, 4, &n, &err));
    CHECK_OK(insert_person(tx, t, 1, "ann", 30, NULL, &err)); /* revives it */
    CHECK_OK(store_delete_by_point(tx, pk, key, 4, &n, &err));
    CHECK_EQ_INT(n, 1);
    CHECK_OK(commit(tx, &cs));
    CHECK(cs.ntables == 1 && cs.tables[0].ndeletes == 1 && cs.tables[0].ninserts == 0);
    store_changeset_free(&cs);
    uint64_t count;
    CHECK_OK(store_view_row_count(v, t, &count, &err));
    CHECK_EQ_INT(count, 2);
    store_view_close(v);
    for (int i = 0; i < 2; i++) { /* the first frees the parked row */
        CHECK_OK(store_tx_begin(db, &tx, &err));
        CHECK_EQ_INT(tx_count(tx, t), 1);
        store_tx_rollback(tx);
    }
    store_db_close(db);
}

typedef struct reader_arg {
    store_db_t *db;
    uint32_t table, age_ix, name_ix;
    _Atomic bool stop;
    _Atomic int inconsistent, views;
} reader_arg_t;

/* Every committed transaction keeps the row count a multiple of 10. */
static void *reader_main(void *p)
{
    reader_arg_t *ra = p;
    while (!ra->stop) {
        store_view_t *v;
        if (store_view_open(ra->db, &v, NULL) != LC_OK)
            continue;
        store_rows_t rows;
        store_rows_init(&rows);
        if (store_view_scan(v, ra->table, &rows, NULL) == LC_OK && rows.count % 10 != 0)
            ra->inconsistent++;
        uint64_t n = 0;
        store_view_row_count(v, ra->table, &n, NULL);
        if (n != rows.count)
            ra->inconsistent++;
        /* every row has age 1: the hash index sees the same rows */
        store_rows_t by_age, by_name;
        store_rows_init(&by_age);
        store_rows_init(&by_name);
        uint8_t age = 1, name[8] = {2, 0, 0, 0, 'r', '1'};
        if (store_view_index_point(v, ra->age_ix, &age, 1, &by_age, NULL) != LC_OK ||
            by_age.count != rows.count)
            ra->inconsistent++;
        if (store_view_index_point(v, ra->name_ix, name, 6, &by_name, NULL) != LC_OK ||
            by_name.count > 1)
            ra->inconsistent++;
        store_rows_free(&by_age);
        store_rows_free(&by_name);
        store_rows_free(&rows);
        store_view_close(v);
        ra->views++;
    }
    return NULL;
}

TEST(concurrent_readers_see_whole_transactions)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t;
    CHECK_OK(make_person(db, &t, &err));
    reader_arg_t ra = {.db = db, .table = t};
    CHECK_OK(store_index_id(db, "person_age_idx_hash", &ra.age_ix));
    CHECK_OK(store_index_id(db, "person_name_idx_btree", &ra.name_ix));
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader_main, &ra) == 0);
    uint32_t next = 1;
    /* Keep writing until the reader has checked enough views, however the
     * scheduler interleaves the two threads. */
    for (int round = 0; (round < 300 || ra.views < 50) && round < 1000000; round++) {
        store_tx_t *tx;
        store_changeset_t cs;
        if (store_tx_begin(db, &tx, &err) != LC_OK)
            break;
        if (round % 3 == 2) { /* delete ten, keeping a multiple of ten */
            uint64_t n;
            store_clear(tx, t, &n, &err);
        } else {
            for (int k = 0; k < 10; k++, next++) {
                char name[16];
                snprintf(name, sizeof name, "r%u", next);
                insert_person(tx, t, next, name, 1, NULL, &err);
            }
        }
        store_tx_commit(tx, &cs, &err);
        store_changeset_free(&cs);
    }
    ra.stop = true;
    pthread_join(th, NULL);
    CHECK_EQ_INT(ra.inconsistent, 0);
    CHECK(ra.views > 0);
    store_db_close(db);
}

/* ---------------------------------------------------------------- flavours */

TEST(event_table_reports_inserts_but_keeps_nothing)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *names[] = {"x"};
    const sats_type_t *types[] = {sats_prim(SATS_U64)};
    store_table_def_t def = {.name = "ev",
                             .row_type = sats_type_product(&a, 1, names, types),
                             .primary_key = -1,
                             .type = STORE_TABLE_USER,
                             .is_event = true};
    store_tx_t *tx;
    store_changeset_t cs;
    uint32_t t;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(store_create_table(tx, &def, &t, &err));
    CHECK_OK(commit(tx, &cs));
    store_changeset_free(&cs);
    lc_arena_free(&a);
    CHECK_OK(store_tx_begin(db, &tx, &err));
    uint8_t row[8] = {1};
    store_insert_result_t res;
    CHECK_OK(store_insert(tx, t, row, 8, &res, &err));
    CHECK_OK(commit(tx, &cs));
    CHECK_EQ_INT(changes_for(&cs, t)->ninserts, 1);
    store_changeset_free(&cs);
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_EQ_INT(tx_count(tx, t), 0);
    store_tx_rollback(tx);
    store_db_close(db);
}

TEST(drop_table_and_rollback)
{
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    uint32_t t, id;
    CHECK_OK(make_person(db, &t, &err));
    store_tx_t *tx;
    store_changeset_t cs;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_EQ_INT(store_drop_table(tx, STORE_ST_TABLE, &err), LC_EPERM);
    CHECK_OK(store_drop_table(tx, t, &err));
    CHECK_EQ_INT(store_table_id(db, "person", &id), LC_ENOTFOUND);
    store_tx_rollback(tx);
    CHECK_OK(store_table_id(db, "person", &id));
    CHECK_OK(store_tx_begin(db, &tx, &err));
    CHECK_OK(store_drop_table(tx, t, &err));
    CHECK_OK(commit(tx, &cs));
    const store_table_changes_t *c = changes_for(&cs, STORE_ST_TABLE);
    CHECK(c && c->ndeletes == 1);
    store_changeset_free(&cs);
    CHECK_EQ_INT(store_table_id(db, "person", &id), LC_ENOTFOUND);
    store_db_close(db);
}

/* Make the Nth allocation fail during a transaction, for every N until the
 * transaction succeeds: each attempt must end in a clean error (then
 * rollback) or a commit, and the table must hold exactly what was
 * committed. */
TEST(allocation_failures_leave_consistent_state)
{
    uint32_t t, pk;
    store_db_t *db;
    open_person(&db, &t, &pk);
    lc_err_t err;
    uint64_t committed_rows = 0;
    bool done = false;
    for (long n = 1; !done && n < 5000; n++) {
        store_tx_t *tx;
        lc_fault_alloc_after(n);
        int rc = store_tx_begin(db, &tx, &err);
        if (rc != LC_OK) {
            lc_fault_alloc_after(0);
            CHECK_EQ_INT(rc, LC_ENOMEM);
            continue;
        }
        for (uint32_t i = 0; i < 40 && rc == LC_OK; i++) {
            char name[16];
            snprintf(name, sizeof name, "f%ld_%u", n, i);
            rc = insert_person(tx, t, 0, name, 1, NULL, &err);
        }
        uint8_t key[4];
        uint32_t deleted = 0;
        lc_store_u32le(key, 1);
        if (rc == LC_OK)
            rc = store_delete_by_point(tx, pk, key, 4, &deleted, &err);
        if (rc != LC_OK) {
            lc_fault_alloc_after(0);
            CHECK_MSG(rc == LC_ENOMEM, "n=%ld: rc %d (%s)", n, rc, err.msg);
            store_tx_rollback(tx);
        } else {
            store_changeset_t cs;
            rc = store_tx_commit(tx, &cs, &err);
            lc_fault_alloc_after(0);
            store_changeset_free(&cs);
            if (rc == LC_OK) {
                committed_rows += 40 - deleted;
                done = true;
            } else {
                CHECK_EQ_INT(rc, LC_ENOMEM);
            }
        }
        CHECK_OK(store_tx_begin(db, &tx, &err));
        uint64_t count = tx_count(tx, t);
        store_rows_t rows;
        store_rows_init(&rows);
        int scan = store_tx_scan(tx, t, &rows, &err);
        uint32_t scanned = rows.count;
        store_rows_free(&rows);
        store_tx_rollback(tx);
        CHECK_OK(scan);
        CHECK_MSG(count == committed_rows && scanned == committed_rows,
                  "n=%ld: %llu counted, %u scanned, %llu committed", n, (unsigned long long)count,
                  scanned, (unsigned long long)committed_rows);
    }
    CHECK(done);
    store_db_close(db);
}

/* ---------------------------------------------------------------- model test */

/* Random operations against a simple array model of person rows; the full
 * contents are compared after every transaction. */
typedef struct model_row {
    bool live;
    char name[12];
    uint8_t age;
} model_row_t;

#define MODEL_IDS 300

static void model_name(char *out, unsigned v)
{
    snprintf(out, 12, "n%u", v % 400);
}

static bool model_name_taken(const model_row_t *m, const char *name, uint32_t except)
{
    for (uint32_t i = 1; i < MODEL_IDS; i++)
        if (i != except && m[i].live && strcmp(m[i].name, name) == 0)
            return true;
    return false;
}

static int model_compare(store_tx_t *tx, uint32_t t, const model_row_t *m)
{
    store_rows_t rows;
    store_rows_init(&rows);
    if (store_tx_scan(tx, t, &rows, NULL) != LC_OK)
        return -1;
    uint32_t live = 0;
    int bad = 0;
    for (uint32_t i = 1; i < MODEL_IDS; i++) live += m[i].live;
    if (live != rows.count)
        bad = 1;
    for (uint32_t k = 0; k < rows.count && !bad; k++) {
        const uint8_t *p = rows.data.data + rows.offsets[k];
        uint32_t id = lc_load_u32le(p), nlen = lc_load_u32le(p + 4);
        if (id >= MODEL_IDS || !m[id].live || nlen != strlen(m[id].name) ||
            memcmp(p + 8, m[id].name, nlen) != 0 || p[8 + nlen] != m[id].age)
            bad = 2;
    }
    store_rows_free(&rows);
    return bad;
}

static void model_step(store_tx_t *tx, uint32_t t, uint32_t pk, model_row_t *m, unsigned *seed)
{
    lc_err_t err;
    *seed = *seed * 1103515245u + 12345u;
    unsigned r = *seed >> 8;
    uint32_t id = 1 + r % (MODEL_IDS - 1);
    char name[12];
    model_name(name, r >> 9);
    uint8_t age = (uint8_t)(r >> 3);
    uint8_t row[64];
    size_t len = person_row(row, id, name, age);
    store_insert_result_t res;
    switch ((r >> 16) % 4) {
    case 0:
    case 1: {
        int rc = store_insert(tx, t, row, len, &res, &err);
        bool identical = m[id].live && strcmp(m[id].name, name) == 0 && m[id].age == age;
        bool conflict = !identical && (m[id].live || model_name_taken(m, name, 0));
        if (conflict ? rc != LC_EEXIST : rc != LC_OK)
            test_fail(__FILE__, __LINE__, "insert %u %s: rc %d (%s)", id, name, rc, err.msg);
        if (rc == LC_OK) {
            m[id].live = true;
            memcpy(m[id].name, name, sizeof name);
            m[id].age = age;
        }
        break;
    }
    case 2: {
        uint8_t key[4];
        uint32_t n;
        lc_store_u32le(key, id);
        if (store_delete_by_point(tx, pk, key, 4, &n, &err) != LC_OK || n != m[id].live)
            test_fail(__FILE__, __LINE__, "delete %u: %u rows", id, n);
        m[id].live = false;
        break;
    }
    case 3: {
        int rc = store_update(tx, t, pk, row, len, &res, &err);
        int want = !m[id].live ? LC_ENOTFOUND : model_name_taken(m, name, id) ? LC_EEXIST : LC_OK;
        if (rc != want)
            test_fail(__FILE__, __LINE__, "update %u: rc %d, expected %d (%s)", id, rc, want,
                      err.msg);
        if (rc == LC_OK) {
            memcpy(m[id].name, name, sizeof name);
            m[id].age = age;
        }
        break;
    }
    }
}

TEST(model_random_operations)
{
    uint32_t t, pk;
    store_db_t *db;
    open_person(&db, &t, &pk);
    lc_err_t err;
    static model_row_t committed[MODEL_IDS], working[MODEL_IDS];
    memset(committed, 0, sizeof committed);
    unsigned seed = 42;
    for (int txn = 0; txn < 400; txn++) {
        store_tx_t *tx;
        CHECK_OK(store_tx_begin(db, &tx, &err));
        memcpy(working, committed, sizeof working);
        int steps = 1 + (int)(seed % 25);
        for (int s = 0; s < steps; s++) model_step(tx, t, pk, working, &seed);
        CHECK_MSG(model_compare(tx, t, working) == 0, "tx %d: contents differ from the model", txn);
        if (seed % 5 == 0) {
            store_tx_rollback(tx);
        } else {
            store_changeset_t cs;
            CHECK_OK(commit(tx, &cs));
            store_changeset_free(&cs);
            memcpy(committed, working, sizeof committed);
        }
        CHECK_OK(store_tx_begin(db, &tx, &err));
        int cmp = model_compare(tx, t, committed);
        store_tx_rollback(tx);
        CHECK_MSG(cmp == 0, "after tx %d: committed contents differ from the model", txn);
    }
    store_db_close(db);
}

const test_case_t test_store_cases[] = {
    TEST_CASE(bootstrap_has_system_tables),
    TEST_CASE(create_table_writes_catalog_rows),
    TEST_CASE(insert_scan_and_changeset),
    TEST_CASE(set_semantics_identical_insert_is_noop),
    TEST_CASE(unique_violation_names_table_constraint_and_value),
    TEST_CASE(sequences_fill_zero_columns),
    TEST_CASE(rollback_restores_everything),
    TEST_CASE(delete_then_reinsert_undeletes_and_reports_nothing),
    TEST_CASE(update_through_unique_index),
    TEST_CASE(bad_rows_are_rejected),
    TEST_CASE(index_point_and_range_scans),
    TEST_CASE(multi_column_prefix_scans),
    TEST_CASE(primary_key_index_adapts_to_key_density),
    TEST_CASE(signed_integer_keys_order_and_match),
    TEST_CASE(read_view_sees_its_snapshot),
    TEST_CASE(row_deleted_twice_under_a_view_is_freed_once),
    TEST_CASE(concurrent_readers_see_whole_transactions),
    TEST_CASE(event_table_reports_inserts_but_keeps_nothing),
    TEST_CASE(drop_table_and_rollback),
    TEST_CASE(allocation_failures_leave_consistent_state),
    TEST_CASE(model_random_operations),
    TEST_END,
};
