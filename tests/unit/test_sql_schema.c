/* Unit tests for sql_schema_from_def: a module definition's tables, their
 * indexes and access, as the SQL planner sees them, over a real store. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mod_def_builder.h"
#include "sql/sql.h"
#include "test.h"

/* Player(id: u32 pk btree, lastScore: u64 hash) public; Vault(key: String)
 * private. */
static mod_def_t *game_def(void)
{
    mdb_t b;
    mdb_init(&b);
    uint32_t player =
        mdb_type(&b, "Player", ROW(&b, 2, "id", P(SATS_U32), "lastScore", P(SATS_U64)), true);
    uint32_t vault = mdb_type(&b, "Vault", ROW(&b, 1, "key", sats_prim(SATS_STRING)), true);
    mdb_table(&b, &(mt_table_t){.name = "Player",
                                .ref = player,
                                .npk = 1,
                                .pk = {0},
                                .idx = {{"Player_id_idx_btree", "id", 0, 1, {0}},
                                        {"Player_lastScore_idx_hash", "lastScore", 1, 1, {1}}},
                                .nidx = 2,
                                .uniq = {{1, {0}}},
                                .nuniq = 1});
    mdb_table(&b, &(mt_table_t){.name = "Vault", .ref = vault, .private_ = true});
    size_t len;
    uint8_t *bytes = mdb_finish(&b, &len);
    mod_def_t *d = NULL;
    mod_def_decode(bytes, len, &d, NULL);
    lc_free(bytes);
    return d;
}

static int create_all(store_db_t *db, const mod_def_t *d, lc_err_t *err)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    store_tx_t *tx = NULL;
    int rc = store_tx_begin(db, &tx, err);
    for (uint32_t i = 0; rc == LC_OK && i < d->ntables; i++) {
        store_table_def_t def;
        uint32_t id;
        rc = mod_def_table_store_def(d, i, &a, &def, err);
        rc = rc ? rc : store_create_table(tx, &def, &id, err);
    }
    if (tx)
        rc = store_tx_end(tx, rc, err);
    lc_arena_free(&a);
    return rc;
}

/* Parse, plan and run sql over db; the explain text and result rows. */
static int run(store_db_t *db, const sql_schema_t *sc, bool owner, const char *sql, lc_buf_t *plan,
               lc_buf_t *json, lc_err_t *err)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    sql_caller_t caller = {.is_owner = owner};
    sql_stmt_t *st;
    sql_plan_t *p = NULL;
    sql_result_t r;
    int rc = sql_parse(sql, strlen(sql), &a, &st, err);
    rc = rc ? rc : sql_plan(st, sc, &caller, &a, &p, err);
    if (rc == LC_OK && plan)
        sql_plan_explain(p, plan);
    if (rc == LC_OK && sql_plan_is_write(p)) {
        store_tx_t *tx;
        rc = store_tx_begin(db, &tx, err);
        if (rc == LC_OK)
            rc = store_tx_end(tx, sql_exec_tx(p, tx, &a, &r, err), err);
    } else if (rc == LC_OK) {
        store_view_t *v;
        rc = store_view_open(db, &v, err);
        if (rc == LC_OK) {
            rc = sql_exec_read(p, v, &a, &r, err);
            store_view_close(v);
        }
    }
    if (rc == LC_OK && json)
        rc = sql_result_json(json, &r, 0, err);
    lc_arena_free(&a);
    return rc;
}

TEST(sql_schema_from_mod_def)
{
    mod_def_t *d = game_def();
    CHECK(d != NULL);
    store_db_t *db;
    lc_err_t err = {0};
    CHECK_OK(store_db_open(&db, &err));
    lc_arena_t a;
    lc_arena_init(&a, 0);
    sql_schema_t sc;
    lc_buf_t plan, json;
    lc_buf_init(&plan);
    lc_buf_init(&json);
    int rc = create_all(db, d, &err);
    rc = rc ? rc : sql_schema_from_def(d, db, &a, &sc, &err);
    const sql_table_t *player = NULL, *vault = NULL, *st_table = NULL;
    for (uint32_t i = 0; rc == LC_OK && i < sc.ntables; i++) {
        if (strcmp(sc.tables[i].name, "player") == 0)
            player = &sc.tables[i];
        if (strcmp(sc.tables[i].name, "vault") == 0)
            vault = &sc.tables[i];
        if (strcmp(sc.tables[i].name, "st_table") == 0)
            st_table = &sc.tables[i];
    }
    if (rc == LC_OK)
        rc = run(db, &sc, true, "INSERT INTO player VALUES (1, 10), (2, 20), (3, 20)", NULL, NULL,
                 &err);
    if (rc == LC_OK)
        rc = run(db, &sc, false, "SELECT id FROM player WHERE last_score = 20 ORDER BY id DESC",
                 &plan, &json, &err);
    lc_err_t guest_err = {0};
    int guest = run(db, &sc, false, "SELECT * FROM vault", NULL, NULL, &guest_err);
    lc_buf_terminate(&plan);
    lc_buf_terminate(&json);
    store_db_close(db);
    mod_def_free(d);
    CHECK_MSG(rc == LC_OK, "%s", err.msg);
    CHECK(player && vault && st_table);
    CHECK(!player->is_private && vault->is_private && st_table->is_system);
    CHECK_EQ_INT(player->nindexes, 2);
    CHECK(player->indexes[0].btree && !player->indexes[1].btree);
    CHECK(strstr((char *)plan.data, "IxScan(player.") && strstr((char *)plan.data, " point)"));
    CHECK(strstr((char *)json.data, "\"rows\":[[3],[2]]") != NULL);
    CHECK_EQ_INT(guest, LC_ENOTFOUND);
    CHECK_EQ_STR(guest_err.msg,
                 "no such table: `vault`. If the table exists, it may be marked private.");
    lc_buf_free(&plan);
    lc_buf_free(&json);
    lc_arena_free(&a);
}

/* The schema of d with its rules replaced by rules[0..n); "ok" or the
 * error.  The rules are not d's to free: they are put back. */
static char RLS_MSG[512];
static const char *schema_with_rules(mod_def_t *d, store_db_t *db, const char *const *rules,
                                     uint32_t n, lc_arena_t *a, sql_schema_t *sc)
{
    uint32_t nrls = d->nrls;
    const char *const *rls = d->rls;
    d->nrls = n;
    d->rls = rules;
    lc_err_t err = {0};
    int rc = sql_schema_from_def(d, db, a, sc, &err);
    d->nrls = nrls;
    d->rls = rls;
    snprintf(RLS_MSG, sizeof RLS_MSG, "%s", rc ? err.msg : "ok");
    return RLS_MSG;
}

TEST(sql_schema_rls_rules)
{
    mod_def_t *d = game_def();
    CHECK(d != NULL);
    store_db_t *db;
    lc_err_t err = {0};
    CHECK_OK(store_db_open(&db, &err));
    CHECK_OK(create_all(db, d, &err));
    lc_arena_t a;
    lc_arena_init(&a, 0);
    sql_schema_t sc;
    static const char *const bad[][2] = {
        {"SELECT * FROM Vault", "row-level security rule `SELECT * FROM Vault`: row-level "
                                "security applies to public tables only; `vault` is private"},
        {"SELECT * FROM nope", "row-level security rule `SELECT * FROM nope`: no such table: "
                               "`nope`. If the table exists, it may be marked private."},
        {"SELECT id FROM Player",
         "row-level security rule `SELECT id FROM Player`: Subscriptions must be typed to a "
         "single table: select whole rows with SELECT * or SELECT t.*"},
        {"SELECT * FROM Player WHERE", "row-level security rule `SELECT * FROM Player WHERE`: "},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *got = schema_with_rules(d, db, &bad[i][0], 1, &a, &sc);
        CHECK_MSG(strncmp(got, bad[i][1], strlen(bad[i][1])) == 0, "rule %zu: %s", i, got);
    }
    /* Good rules are attached to the table they return, in order. */
    static const char *const good[] = {"SELECT * FROM Player WHERE id = 1",
                                       "SELECT * FROM Player WHERE last_score > 10"};
    CHECK_EQ_STR(schema_with_rules(d, db, good, 2, &a, &sc), "ok");
    const sql_table_t *player = NULL, *vault = NULL;
    for (uint32_t i = 0; i < sc.ntables; i++) {
        if (strcasecmp(sc.tables[i].name, "Player") == 0)
            player = &sc.tables[i];
        if (strcasecmp(sc.tables[i].name, "Vault") == 0)
            vault = &sc.tables[i];
    }
    CHECK(player && vault);
    if (player && vault) {
        CHECK_EQ_INT(player->nrls, 2);
        CHECK_EQ_STR(player->rls[1], good[1]);
        CHECK_EQ_INT(vault->nrls, 0);
    }
    /* A non-owner sees the rows some rule returns; the owner all of them. */
    lc_buf_t json;
    lc_buf_init(&json);
    CHECK_OK(
        run(db, &sc, true, "INSERT INTO Player VALUES (1, 0), (2, 5), (3, 50)", NULL, NULL, &err));
    CHECK_OK(run(db, &sc, false, "SELECT id FROM Player ORDER BY id", NULL, &json, &err));
    CHECK(json.len > 0 && strstr((const char *)json.data, "\"rows\":[[1],[3]]"));
    lc_buf_reset(&json);
    CHECK_OK(
        run(db, &sc, false, "SELECT COUNT(*) AS n FROM Player WHERE id > 1", NULL, &json, &err));
    CHECK(json.len > 0 && strstr((const char *)json.data, "\"rows\":[[1]]"));
    lc_buf_reset(&json);
    CHECK_OK(run(db, &sc, true, "SELECT id FROM Player ORDER BY id", NULL, &json, &err));
    CHECK(json.len > 0 && strstr((const char *)json.data, "\"rows\":[[1],[2],[3]]"));
    lc_buf_free(&json);
    lc_arena_free(&a);
    store_db_close(db);
    mod_def_free(d);
}

const test_case_t test_sql_schema_cases[] = {
    TEST_CASE(sql_schema_from_mod_def),
    TEST_CASE(sql_schema_rls_rules),
    TEST_END,
};
