/* Unit tests for src/sql: queries with their expected rows over a small
 * fixed schema, DML, SET/SHOW, every error with its message, and the access
 * paths the planner picks. */
#include <stdio.h>
#include <string.h>

#include "sql/sql.h"
#include "test.h"

/* ---------------------------------------------------------------- fixture */

/*
 * person(id U32 [btree, unique], name String, age U8 [btree], active Bool)
 * pet(id U32, owner U32 [hash], species String, weight F64)
 * toy(id U32, pet_id U32, color String) [btree (pet_id, color)]
 * secret(id U64, who Identity [hash], at Timestamp, note Option<String>,
 *        data Array<U8>, big I128, huge U256) -- private
 */
typedef struct fixture {
    store_db_t *db;
    lc_arena_t a;
    sql_table_t tables[64];
    sql_index_t ix[8];
    uint16_t cols[8][2];
    sql_schema_t schema;
    char out[16384];
} fixture_t;

static fixture_t F;

static const uint8_t SENDER[32] = {0xab, 0xcd, [31] = 0x07};

static int create(const char *name, uint32_t n, const char *const *names,
                  const sats_type_t *const *types, store_access_t access, uint32_t nix,
                  const store_index_def_t *ix, uint32_t ncons, const store_constraint_def_t *cons,
                  uint32_t *id)
{
    store_table_def_t def = {.name = name,
                             .row_type = sats_type_product(&F.a, n, names, types),
                             .primary_key = -1,
                             .type = STORE_TABLE_USER,
                             .access = access,
                             .nindexes = nix,
                             .indexes = ix,
                             .nconstraints = ncons,
                             .constraints = cons};
    store_tx_t *tx;
    lc_err_t err;
    int rc = store_tx_begin(F.db, &tx, &err);
    if (rc == LC_OK)
        rc = store_tx_end(tx, store_create_table(tx, &def, id, &err), &err);
    return rc;
}

static void add_sql_table(uint32_t *nt, const char *name, uint32_t id, bool priv, uint32_t nix,
                          const sql_index_t *ix)
{
    sql_table_t *t = &F.tables[(*nt)++];
    memset(t, 0, sizeof *t);
    const sats_typespace_t *ts;
    const sats_type_t *rt;
    store_table_info(F.db, id, &t->name, &ts, &rt);
    t->id = id;
    t->ts = ts;
    t->row_type = rt;
    t->is_private = priv;
    t->nindexes = nix;
    t->indexes = ix;
    (void)name;
}

static uint32_t index_id(const char *name)
{
    uint32_t id = 0;
    store_index_id(F.db, name, &id);
    return id;
}

static int make_tables(void)
{
    const sats_type_t *u8 = sats_prim(SATS_U8), *u32 = sats_prim(SATS_U32),
                      *str = sats_prim(SATS_STRING), *f64 = sats_prim(SATS_F64);
    static const uint16_t c0[] = {0}, c1[] = {1}, c12[] = {1, 2}, c2[] = {2};
    uint32_t person, pet, toy, secret;
    const char *pn[] = {"id", "name", "age", "active"};
    const sats_type_t *pt[] = {u32, str, u8, sats_prim(SATS_BOOL)};
    store_index_def_t pix[] = {{"person_id_idx", STORE_INDEX_BTREE, 1, c0},
                               {"person_age_idx", STORE_INDEX_BTREE, 1, c2}};
    store_constraint_def_t pcons[] = {{"person_id_key", 1, c0}};
    int rc = create("person", 4, pn, pt, STORE_PUBLIC, 2, pix, 1, pcons, &person);
    const char *qn[] = {"id", "owner", "species", "weight"};
    const sats_type_t *qt[] = {u32, u32, str, f64};
    store_index_def_t qix[] = {{"pet_owner_idx", STORE_INDEX_HASH, 1, c1}};
    rc = rc ? rc : create("pet", 4, qn, qt, STORE_PUBLIC, 1, qix, 0, NULL, &pet);
    const char *tn[] = {"id", "pet_id", "color"};
    const sats_type_t *tt[] = {u32, u32, str};
    store_index_def_t tix[] = {{"toy_pet_color_idx", STORE_INDEX_BTREE, 2, c12}};
    rc = rc ? rc : create("toy", 3, tn, tt, STORE_PUBLIC, 1, tix, 0, NULL, &toy);
    const char *sn[] = {"id", "who", "at", "note", "data", "big", "huge"};
    const sats_type_t *st[] = {sats_prim(SATS_U64),   sats_type_identity(),
                               sats_type_timestamp(), sats_type_option(&F.a, str),
                               sats_type_bytes(),     sats_prim(SATS_I128),
                               sats_prim(SATS_U256)};
    store_index_def_t six[] = {{"secret_who_idx", STORE_INDEX_HASH, 1, c1}};
    rc = rc ? rc : create("secret", 7, sn, st, STORE_PRIVATE, 1, six, 0, NULL, &secret);
    if (rc)
        return rc;
    F.ix[0] = (sql_index_t){index_id("person_id_idx"), true, 1, c0};
    F.ix[1] = (sql_index_t){index_id("person_age_idx"), true, 1, c2};
    F.ix[2] = (sql_index_t){index_id("pet_owner_idx"), false, 1, c1};
    F.ix[3] = (sql_index_t){index_id("toy_pet_color_idx"), true, 2, c12};
    F.ix[4] = (sql_index_t){index_id("secret_who_idx"), false, 1, c1};
    uint32_t nt = 0;
    add_sql_table(&nt, "person", person, false, 2, &F.ix[0]);
    add_sql_table(&nt, "pet", pet, false, 1, &F.ix[2]);
    add_sql_table(&nt, "toy", toy, false, 1, &F.ix[3]);
    add_sql_table(&nt, "secret", secret, true, 1, &F.ix[4]);
    /* the system tables, as sql_schema_from_def gives them */
    sql_schema_t sys;
    lc_err_t err;
    if ((rc = sql_schema_from_def(NULL, F.db, &F.a, &sys, &err)))
        return rc;
    for (uint32_t i = 0; i < sys.ntables && nt < 64; i++) F.tables[nt++] = sys.tables[i];
    F.schema.ntables = nt;
    F.schema.tables = F.tables;
    return LC_OK;
}

/* Run sql; the result as "[[cells],...]", "ins=N del=N upd=N" for writes,
 * or "ERR: message". */
static const char *q_as(const char *sql, bool owner)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_err_t err = {0};
    sql_caller_t caller = {.is_owner = owner};
    memcpy(caller.sender, SENDER, 32);
    sql_stmt_t *st;
    sql_plan_t *p;
    sql_result_t r;
    lc_buf_t b;
    lc_buf_init(&b);
    int rc = sql_parse(sql, strlen(sql), &a, &st, &err);
    if (rc == LC_OK)
        rc = sql_plan(st, &F.schema, &caller, &a, &p, &err);
    if (rc == LC_OK && sql_plan_is_write(p)) {
        store_tx_t *tx;
        rc = store_tx_begin(F.db, &tx, &err);
        if (rc == LC_OK)
            rc = store_tx_end(tx, sql_exec_tx(p, tx, &a, &r, &err), &err);
        if (rc == LC_OK)
            lc_buf_printf(
                &b, "ins=%llu del=%llu upd=%llu", (unsigned long long)r.stats.rows_inserted,
                (unsigned long long)r.stats.rows_deleted, (unsigned long long)r.stats.rows_updated);
    } else if (rc == LC_OK) {
        store_view_t *v;
        rc = store_view_open(F.db, &v, &err);
        if (rc == LC_OK) {
            rc = sql_exec_read(p, v, &a, &r, &err);
            store_view_close(v);
        }
        lc_buf_putc(&b, '[');
        for (uint32_t i = 0; rc == LC_OK && i < r.nrows; i++) {
            lc_buf_puts(&b, i ? ",[" : "[");
            for (uint32_t c = 0; rc == LC_OK && c < r.ncols; c++) {
                if (c)
                    lc_buf_putc(&b, ',');
                rc = sats_json_encode(&b, r.cols[c].ts, r.cols[c].type, &r.cells[i * r.ncols + c],
                                      SATS_JSON_UNTYPED, &err);
            }
            lc_buf_putc(&b, ']');
        }
        lc_buf_putc(&b, ']');
    }
    if (rc)
        snprintf(F.out, sizeof F.out, "ERR: %s", err.msg);
    else
        snprintf(F.out, sizeof F.out, "%.*s", (int)b.len, b.data ? (char *)b.data : "");
    lc_buf_free(&b);
    lc_arena_free(&a);
    return F.out;
}

static const char *q(const char *sql)
{
    return q_as(sql, true);
}

/* The access paths chosen for sql, or "ERR: ...". */
static const char *explain(const char *sql)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_err_t err = {0};
    sql_caller_t caller = {.is_owner = true};
    sql_stmt_t *st;
    sql_plan_t *p;
    lc_buf_t b;
    lc_buf_init(&b);
    int rc = sql_parse(sql, strlen(sql), &a, &st, &err);
    if (rc == LC_OK)
        rc = sql_plan(st, &F.schema, &caller, &a, &p, &err);
    if (rc == LC_OK)
        sql_plan_explain(p, &b);
    snprintf(F.out, sizeof F.out, "%s%.*s", rc ? "ERR: " : "",
             rc ? (int)strlen(err.msg) : (int)b.len,
             rc       ? err.msg
             : b.data ? (char *)b.data
                      : "");
    lc_buf_free(&b);
    lc_arena_free(&a);
    return F.out;
}

static const char *const SEED[] = {
    "INSERT INTO person VALUES (1, 'Alice', 30, true), (2, 'Bob', 25, false), "
    "(3, 'Carol', 35, true), (4, 'Dave', 25, true), (5, 'Eve', 40, false)",
    "INSERT INTO pet (id, owner, species, weight) VALUES (10, 1, 'cat', 4.5), (11, 1, 'dog', "
    "12.25),"
    " (12, 2, 'cat', 3.75), (13, 3, 'fish', 0.5), (14, 9, 'bird', 0.25)",
    "INSERT INTO toy VALUES (100, 10, 'red'), (101, 10, 'blue'), (102, 11, 'red'), "
    "(103, 13, 'green')",
    "INSERT INTO secret VALUES (1, "
    "0x0000000000000000000000000000000000000000000000000000000000000001,"
    " '2024-01-02T03:04:05Z', 'hello', 0xdead, -170141183460469231731687303715884105728, "
    "115792089237316195423570985008687907853269984665640564039457584007913129639935)",
    "INSERT INTO secret VALUES (2, "
    "0xabcd000000000000000000000000000000000000000000000000000000000007,"
    " 0, NULL, X'', 5, 0)",
};

static int fixture_open(void)
{
    memset(&F, 0, sizeof F);
    lc_arena_init(&F.a, 0);
    lc_err_t err;
    int rc = store_db_open(&F.db, &err);
    rc = rc ? rc : make_tables();
    for (size_t i = 0; rc == LC_OK && i < sizeof SEED / sizeof *SEED; i++)
        if (strncmp(q(SEED[i]), "ERR", 3) == 0) {
            fprintf(stderr, "seed %zu: %s\n", i, F.out);
            rc = LC_EINTERNAL;
        }
    return rc;
}

static void fixture_close(void)
{
    store_db_close(F.db);
    lc_arena_free(&F.a);
}

typedef struct qcase {
    const char *sql, *want;
} qcase_t;

/* Run every case; report the first mismatch with its SQL. */
static void run_cases(const qcase_t *c, size_t n, bool owner)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = q_as(c[i].sql, owner);
        bool ok = strcmp(c[i].want, "ERR: ") == 0 ? strncmp(got, "ERR: ", 5) == 0
                                                  : strcmp(got, c[i].want) == 0;
        CHECK_MSG(ok, "%s\n  got:  %s\n  want: %s", c[i].sql, got, c[i].want);
    }
}

#define RUN(cases, owner)                                                                          \
    do {                                                                                           \
        CHECK_OK(fixture_open());                                                                  \
        run_cases(cases, sizeof cases / sizeof *cases, owner);                                     \
        fixture_close();                                                                           \
    } while (0)

/* ---------------------------------------------------------------- tests */

static const qcase_t select_cases[] = {
    {"SELECT * FROM person WHERE id = 3", "[[3,\"Carol\",35,true]]"},
    {"select * from person where id = 3;", "[[3,\"Carol\",35,true]]"},
    {"SELECT * FROM \"person\" WHERE \"id\" = 3", "[[3,\"Carol\",35,true]]"},
    {"SELECT * FROM person AS p WHERE p.id = 3", "[[3,\"Carol\",35,true]]"},
    {"SELECT * FROM person p WHERE p.id = 3", "[[3,\"Carol\",35,true]]"},
    {"SELECT p.* FROM person p WHERE p.id = 3", "[[3,\"Carol\",35,true]]"},
    {"SELECT person.* FROM person WHERE person.id = 3", "[[3,\"Carol\",35,true]]"},
    {"SELECT name FROM person WHERE id = 1", "[[\"Alice\"]]"},
    {"SELECT name AS n, id FROM person WHERE id <= 2", "[[\"Alice\",1],[\"Bob\",2]]"},
    {"SELECT name n FROM person WHERE id = 2", "[[\"Bob\"]]"},
    {"SELECT id FROM person WHERE id <> 3", "[[1],[2],[4],[5]]"},
    {"SELECT id FROM person WHERE id != 3", "[[1],[2],[4],[5]]"},
    {"SELECT id FROM person WHERE id < 3", "[[1],[2]]"},
    {"SELECT id FROM person WHERE id <= 3", "[[1],[2],[3]]"},
    {"SELECT id FROM person WHERE id > 3", "[[4],[5]]"},
    {"SELECT id FROM person WHERE id >= 3", "[[3],[4],[5]]"},
    {"SELECT id FROM person WHERE 3 < id", "[[4],[5]]"},
    {"SELECT id FROM person WHERE 3 >= id", "[[1],[2],[3]]"},
    {"SELECT id FROM person WHERE id > 1 AND id < 4", "[[2],[3]]"},
    {"SELECT id FROM person WHERE id > 1 AND id < 4 AND id > 2", "[[3]]"},
    {"SELECT id FROM person WHERE id >= 2 AND id <= 2", "[[2]]"},
    {"SELECT id FROM person WHERE id > 4 AND id < 2", "[]"},
    {"SELECT id FROM person WHERE id = 1 OR id = 5", "[[1],[5]]"},
    {"SELECT id FROM person WHERE (id = 1 OR id = 5) AND active = true", "[[1]]"},
    {"SELECT id FROM person WHERE id = 1 OR id = 5 AND active = true", "[[1]]"},
    {"SELECT id FROM person WHERE NOT id = 1", "[[2],[3],[4],[5]]"},
    {"SELECT id FROM person WHERE NOT (id = 1 OR id = 2)", "[[3],[4],[5]]"},
    {"SELECT id FROM person WHERE NOT NOT id = 1", "[[1]]"},
    {"SELECT id FROM person WHERE active", "[[1],[3],[4]]"},
    {"SELECT id FROM person WHERE NOT active", "[[2],[5]]"},
    {"SELECT id FROM person WHERE active = false", "[[2],[5]]"},
    {"SELECT id FROM person WHERE TRUE", "[[1],[2],[3],[4],[5]]"},
    {"SELECT id FROM person WHERE FALSE", "[]"},
    {"SELECT id FROM person WHERE id IN (1, 3, 99)", "[[1],[3]]"},
    {"SELECT id FROM person WHERE id NOT IN (1, 3)", "[[2],[4],[5]]"},
    {"SELECT id FROM person WHERE name IN ('Bob', 'Eve')", "[[2],[5]]"},
    {"SELECT id FROM person WHERE name = 'Bob'", "[[2]]"},
    {"SELECT id FROM person WHERE name > 'C'", "[[3],[4],[5]]"},
    {"SELECT id FROM person WHERE name = 'bob'", "[]"},
    {"SELECT id FROM person WHERE age = 25", "[[2],[4]]"},
    {"SELECT id FROM person WHERE age >= 35", "[[3],[5]]"},
    {"SELECT id FROM person WHERE age = 25 AND active", "[[4]]"},
    {"SELECT id FROM person WHERE age = +25", "[[2],[4]]"},
    {"SELECT id FROM person WHERE age = 255", "[]"},
    {"SELECT id FROM person WHERE id = 0", "[]"},
    {"SELECT id FROM pet WHERE weight > 4", "[[10],[11]]"},
    {"SELECT id FROM pet WHERE weight > 4.5", "[[11]]"},
    {"SELECT id FROM pet WHERE weight < 1e0", "[[13],[14]]"},
    {"SELECT id FROM pet WHERE weight = 0.25", "[[14]]"},
    {"SELECT id FROM pet WHERE weight > -1", "[[10],[11],[12],[13],[14]]"},
    {"SELECT id FROM pet WHERE owner = 1", "[[10],[11]]"},
    {"SELECT id FROM pet WHERE owner = 1 AND species = 'dog'", "[[11]]"},
    {"SELECT id FROM pet WHERE owner > 1", "[[12],[13],[14]]"},
    {"SELECT species FROM pet WHERE id = 12", "[[\"cat\"]]"},
    {"SELECT id, weight FROM pet WHERE species = 'cat'", "[[10,4.5],[12,3.75]]"},
    {"SELECT * FROM toy WHERE pet_id = 10 ORDER BY id", "[[100,10,\"red\"],[101,10,\"blue\"]]"},
    {"SELECT id FROM toy WHERE pet_id = 10", "[[101],[100]]"}, /* index order: (10, blue) first */
    {"SELECT id FROM toy WHERE pet_id = 10 AND color = 'blue'", "[[101]]"},
    {"SELECT id FROM toy WHERE color = 'red'", "[[100],[102]]"},
    {"SELECT id FROM toy WHERE pet_id >= 11", "[[102],[103]]"},
    /* quoted strings */
    {"SELECT id FROM person WHERE name = 'O''Brien'", "[]"},
    {"SELECT id FROM person WHERE name = ''", "[]"},
    /* comments and whitespace */
    {"SELECT id -- the key\nFROM person\n\tWHERE id = 2", "[[2]]"},
    /* ORDER BY, LIMIT, OFFSET */
    {"SELECT id FROM person ORDER BY age", "[[2],[4],[1],[3],[5]]"},
    {"SELECT id FROM person ORDER BY age DESC", "[[5],[3],[1],[2],[4]]"},
    {"SELECT id FROM person ORDER BY age DESC, id DESC", "[[5],[3],[1],[4],[2]]"},
    {"SELECT id FROM person ORDER BY age ASC, id DESC", "[[4],[2],[1],[3],[5]]"},
    {"SELECT id FROM person ORDER BY name DESC", "[[5],[4],[3],[2],[1]]"},
    {"SELECT name AS n FROM person ORDER BY n LIMIT 2", "[[\"Alice\"],[\"Bob\"]]"},
    {"SELECT id FROM person ORDER BY id LIMIT 2", "[[1],[2]]"},
    {"SELECT id FROM person ORDER BY id LIMIT 2 OFFSET 2", "[[3],[4]]"},
    {"SELECT id FROM person ORDER BY id OFFSET 2 LIMIT 2", "[[3],[4]]"},
    {"SELECT id FROM person ORDER BY id OFFSET 4", "[[5]]"},
    {"SELECT id FROM person ORDER BY id OFFSET 10", "[]"},
    {"SELECT id FROM person LIMIT 0", "[]"},
    {"SELECT id FROM person ORDER BY id DESC LIMIT 1", "[[5]]"},
    {"SELECT id FROM pet ORDER BY weight", "[[14],[13],[12],[10],[11]]"},
    {"SELECT p.id FROM person p ORDER BY p.age, p.id", "[[2],[4],[1],[3],[5]]"},
    /* aggregates */
    {"SELECT COUNT(*) AS n FROM person", "[[5]]"},
    {"SELECT COUNT(*) FROM person", "[[5]]"},
    {"SELECT count(*) AS n FROM person WHERE age = 25", "[[2]]"},
    {"SELECT COUNT(*) AS n FROM person WHERE id > 100", "[[0]]"},
    {"SELECT COUNT(id) AS n FROM person", "[[5]]"},
    {"SELECT SUM(age) AS s FROM person", "[[155]]"},
    {"SELECT SUM(weight) AS w FROM pet WHERE species = 'cat'", "[[8.25]]"},
    {"SELECT MIN(age) AS lo, MAX(age) AS hi FROM person", "[[25,40]]"},
    {"SELECT MIN(name) AS n FROM person", "[[\"Alice\"]]"},
    {"SELECT MAX(id) AS m FROM person WHERE id > 100", "[]"},
    {"SELECT SUM(id) AS s FROM person WHERE id > 100", "[[0]]"},
    {"SELECT age, COUNT(*) AS n FROM person GROUP BY age", "[[25,2],[30,1],[35,1],[40,1]]"},
    {"SELECT age, COUNT(*) AS n FROM person GROUP BY age ORDER BY n DESC, age",
     "[[25,2],[30,1],[35,1],[40,1]]"},
    {"SELECT active, COUNT(*) AS n, SUM(age) AS s FROM person GROUP BY active",
     "[[false,2,65],[true,3,90]]"},
    {"SELECT active, MAX(name) AS m FROM person GROUP BY active ORDER BY active DESC",
     "[[true,\"Dave\"],[false,\"Eve\"]]"},
    {"SELECT species, COUNT(*) AS n FROM pet GROUP BY species ORDER BY n DESC, species LIMIT 2",
     "[[\"cat\",2],[\"bird\",1]]"},
    {"SELECT owner, SUM(weight) AS w FROM pet WHERE owner < 3 GROUP BY owner",
     "[[1,16.75],[2,3.75]]"},
    {"SELECT COUNT(*) AS n FROM person GROUP BY active", "[[2],[3]]"},
    {"SELECT age, COUNT(*) AS n FROM person WHERE id > 100 GROUP BY age", "[]"},
    {"SELECT COUNT(note) AS n FROM secret", "[[1]]"},
    /* joins */
    {"SELECT person.* FROM person JOIN pet ON person.id = pet.owner WHERE pet.species = 'cat'",
     "[[1,\"Alice\",30,true],[2,\"Bob\",25,false]]"},
    {"SELECT pet.* FROM person JOIN pet ON person.id = pet.owner WHERE person.name = 'Alice'",
     "[[10,1,\"cat\",4.5],[11,1,\"dog\",12.25]]"},
    {"SELECT p.name, q.species FROM person p JOIN pet q ON p.id = q.owner",
     "[[\"Alice\",\"cat\"],[\"Alice\",\"dog\"],[\"Bob\",\"cat\"],[\"Carol\",\"fish\"]]"},
    {"SELECT p.name, q.species FROM pet q JOIN person p ON p.id = q.owner",
     "[[\"Alice\",\"cat\"],[\"Alice\",\"dog\"],[\"Bob\",\"cat\"],[\"Carol\",\"fish\"]]"},
    {"SELECT p.name, q.species FROM person p INNER JOIN pet q ON q.owner = p.id WHERE q.weight > 4",
     "[[\"Alice\",\"cat\"],[\"Alice\",\"dog\"]]"},
    {"SELECT p.name, t.color FROM person p JOIN pet q ON p.id = q.owner JOIN toy t ON t.pet_id = "
     "q.id ORDER BY t.id",
     "[[\"Alice\",\"red\"],[\"Alice\",\"blue\"],[\"Alice\",\"red\"],[\"Carol\",\"green\"]]"},
    {"SELECT t.* FROM toy t JOIN pet q ON t.pet_id = q.id WHERE q.species = 'fish'",
     "[[103,13,\"green\"]]"},
    {"SELECT q.id FROM pet q JOIN toy t ON t.pet_id = q.id WHERE t.color = 'red' ORDER BY q.id",
     "[[10],[11]]"},
    {"SELECT a.id, b.id FROM person a JOIN person b ON a.age = b.age WHERE a.id < b.id", "[[2,4]]"},
    {"SELECT a.id, b.id FROM person a CROSS JOIN person b WHERE a.id = 1 AND b.id > 4", "[[1,5]]"},
    {"SELECT a.id, b.id FROM person a JOIN pet b WHERE a.id = b.owner AND b.species = 'fish'",
     "[[3,13]]"},
    {"SELECT COUNT(*) AS n FROM person p JOIN pet q ON p.id = q.owner", "[[4]]"},
    {"SELECT a.id, b.id FROM pet a JOIN pet b ON a.species = b.species WHERE a.id <> b.id",
     "[[10,12],[12,10]]"},
    {"SELECT a.id, b.id FROM pet a JOIN pet b ON a.weight < b.weight WHERE b.id = 10",
     "[[12,10],[13,10],[14,10]]"},
    {"SELECT COUNT(*) AS n FROM person a CROSS JOIN pet b", "[[25]]"},
    {"SELECT t.id, q.species FROM toy t JOIN pet q ON t.pet_id = q.id ORDER BY t.id",
     "[[100,\"cat\"],[101,\"cat\"],[102,\"dog\"],[103,\"fish\"]]"},
    {"SELECT t.id FROM toy t JOIN pet q ON t.pet_id = q.id WHERE q.owner = 1 ORDER BY t.id DESC",
     "[[102],[101],[100]]"},
    {"SELECT p.name, COUNT(*) AS pets FROM person p JOIN pet q ON p.id = q.owner GROUP BY p.name "
     "ORDER BY pets DESC, p.name",
     "[[\"Alice\",2],[\"Bob\",1],[\"Carol\",1]]"},
    {"SELECT p.id FROM person p JOIN pet q ON p.id = q.owner AND q.weight < 1", "[[3]]"},
    /* special types (owner only) */
    {"SELECT id FROM secret WHERE who = "
     "0x0000000000000000000000000000000000000000000000000000000000000001",
     "[[1]]"},
    {"SELECT id FROM secret WHERE who = "
     "'0000000000000000000000000000000000000000000000000000000000000001'",
     "[[1]]"},
    {"SELECT id FROM secret WHERE who = :sender", "[[2]]"},
    {"SELECT id FROM secret WHERE :sender = who", "[[2]]"},
    {"SELECT id FROM secret WHERE who <> :sender", "[[1]]"},
    {"SELECT id FROM secret WHERE at = '2024-01-02T03:04:05Z'", "[[1]]"},
    {"SELECT id FROM secret WHERE at = '2024-01-02T04:04:05+01:00'", "[[1]]"},
    {"SELECT id FROM secret WHERE at > '2024-01-01'", "[[1]]"},
    {"SELECT id FROM secret WHERE at < '2024-01-02T03:04:05.000001Z'", "[[1],[2]]"},
    {"SELECT id FROM secret WHERE at = 0", "[[2]]"},
    {"SELECT id FROM secret WHERE note IS NULL", "[[2]]"},
    {"SELECT id FROM secret WHERE note IS NOT NULL", "[[1]]"},
    {"SELECT id FROM secret WHERE note = 'hello'", "[[1]]"},
    {"SELECT id FROM secret WHERE note = NULL", "[[2]]"},
    {"SELECT id FROM secret WHERE data = 0xDEAD", "[[1]]"},
    {"SELECT id FROM secret WHERE data = X'dead'", "[[1]]"},
    {"SELECT id FROM secret WHERE data = X''", "[[2]]"},
    {"SELECT id FROM secret WHERE big < 0", "[[1]]"},
    {"SELECT id FROM secret WHERE big = -170141183460469231731687303715884105728", "[[1]]"},
    {"SELECT id FROM secret WHERE big = 5", "[[2]]"},
    {"SELECT id FROM secret WHERE huge > 0", "[[1]]"},
    {"SELECT id FROM secret WHERE huge = "
     "115792089237316195423570985008687907853269984665640564039457584007913129639935",
     "[[1]]"},
    {"SELECT id FROM secret ORDER BY big DESC", "[[2],[1]]"},
    {"SELECT MAX(at) AS t FROM secret", "[[[1704164645000000]]]"},
    {"SELECT COUNT(*) AS n FROM st_table WHERE table_name = 'person'", "[[1]]"},
};

TEST(sql_select)
{
    RUN(select_cases, true);
}

static const qcase_t error_cases[] = {
    {"", "ERR: empty query"},
    {"   ", "ERR: empty query"},
    {"SELECT * FORM person", "ERR: expected FROM at 1:10, found `FORM`"},
    {"SELECT * FROM", "ERR: expected a table name at 1:14, found end of input"},
    {"SELECT FROM person", "ERR: expected a column name at 1:8, found `FROM`"},
    {"SELECT * FROM person WHERE", "ERR: expected an expression at 1:27, found end of input"},
    {"SELECT * FROM person WHERE id =", "ERR: expected an expression at 1:32, found end of input"},
    {"SELECT * FROM person WHERE id = 1 AND",
     "ERR: expected an expression at 1:38, found end of input"},
    {"SELECT * FROM person WHERE (id = 1", "ERR: expected `)` at 1:35, found end of input"},
    {"SELECT * FROM person\nWHERE id = = 1", "ERR: expected an expression at 2:12, found `=`"},
    {"SELECT * FROM person WHERE name = 'abc", "ERR: unterminated string literal at 1:35"},
    {"SELECT * FROM \"person", "ERR: unterminated quoted identifier at 1:15"},
    {"SELECT * FROM person WHERE id = 1 #", "ERR: unexpected character `#` at 1:35"},
    {"SELECT * FROM person; SELECT * FROM pet", "ERR: Multiple SQL statements are not supported"},
    {"SELECT * FROM person garbage more", "ERR: expected end of statement at 1:30, found `more`"},
    {"SELECT * FROM person LIMIT x", "ERR: expected an integer after LIMIT at 1:28, found `x`"},
    {"SELECT * FROM person LIMIT 1 LIMIT 2", "ERR: expected end of statement at 1:36, found `2`"},
    {"SELECT * FROM person ORDER id", "ERR: expected BY at 1:28, found `id`"},
    {"SELECT DISTINCT id FROM person", "ERR: DISTINCT is not supported at 1:8"},
    {"SELECT COUNT(DISTINCT id) AS n FROM person", "ERR: DISTINCT is not supported at 1:23"},
    {"SELECT * FROM person, pet", "ERR: implicit comma joins are not supported at 1:21"},
    {"SELECT * FROM person LEFT JOIN pet ON person.id = pet.owner",
     "ERR: outer joins are not supported at 1:22"},
    {"SELECT * FROM person WHERE lower(name) = 'x'", "ERR: functions are not supported at 1:28"},
    {"SELECT * FROM person WHERE name LIKE 'x'", "ERR: LIKE and BETWEEN are not supported at 1:33"},
    {"SELECT * FROM person WHERE id IN (SELECT 1)",
     "ERR: expected a literal at 1:35, found `SELECT`"},
    {"SELECT * FROM person WHERE id = :who", "ERR: expected `:sender` at 1:33, found `:who`"},
    {"SELECT * FROM person GROUP BY id HAVING id > 1", "ERR: HAVING is not supported at 1:34"},
    {"DROP TABLE person",
     "ERR: expected SELECT, INSERT, UPDATE, DELETE, SET or SHOW at 1:1, found `DROP`"},
    {"SELECT * FROM nope",
     "ERR: no such table: `nope`. If the table exists, it may be marked private."},
    {"SELECT nope FROM person", "ERR: no such column: `nope` at 1:8"},
    {"SELECT * FROM person WHERE nope = 1", "ERR: no such column: `nope` at 1:28"},
    {"SELECT x.* FROM person", "ERR: no such table or alias: `x` at 1:8"},
    {"SELECT * FROM person p WHERE q.id = 1", "ERR: no such table or alias: `q` at 1:30"},
    {"SELECT id FROM person p JOIN pet q ON p.id = q.owner",
     "ERR: ambiguous column `id` at 1:8: qualify it"},
    {"SELECT * FROM person JOIN pet ON person.id = pet.owner",
     "ERR: SELECT * is not supported for joins; select `t.*` for one table"},
    {"SELECT person.* FROM person JOIN person ON person.id = person.id",
     "ERR: table `person` appears twice in FROM: give it an alias"},
    {"SELECT * FROM person WHERE id = 'one'",
     "ERR: string literal `one` cannot be used for column `id` of type U32"},
    {"SELECT * FROM person WHERE id = 1.5",
     "ERR: float literal `1.5` cannot be used for column `id` of type U32"},
    {"SELECT * FROM person WHERE id = -1",
     "ERR: integer literal `-1` is out of range for column `id` of type U32"},
    {"SELECT * FROM person WHERE age = 256",
     "ERR: integer literal `256` is out of range for column `age` of type U8"},
    {"SELECT * FROM person WHERE id = 4294967296",
     "ERR: integer literal `4294967296` is out of range for column `id` of type U32"},
    {"SELECT * FROM person WHERE name = 5",
     "ERR: integer literal `5` cannot be used for column `name` of type String"},
    {"SELECT * FROM person WHERE active = 1",
     "ERR: integer literal `1` cannot be used for column `active` of type Bool"},
    {"SELECT * FROM person WHERE id = NULL",
     "ERR: NULL cannot be used for column `id`: it is not an Option"},
    {"SELECT * FROM person WHERE id IS NULL",
     "ERR: IS NULL at 1:31 needs an Option column; `id` is not nullable"},
    {"SELECT * FROM person WHERE id = name",
     "ERR: cannot compare `id` of type U32 with `name` of type String at 1:31"},
    {"SELECT * FROM person WHERE 1 = 1", "ERR: comparison at 1:30 needs a column on one side"},
    {"SELECT * FROM person WHERE id", "ERR: column `id` at 1:28 is not a Bool condition"},
    {"SELECT * FROM person WHERE 'x'", "ERR: literal at 1:28 is not a condition"},
    {"SELECT * FROM person WHERE id = :sender",
     "ERR: `:sender` cannot be used for column `id` of type U32"},
    {"SELECT id FROM secret WHERE who = 0x01",
     "ERR: hex literal `01` cannot be used for column `who` of type Identity"},
    {"SELECT id FROM secret WHERE at = 'yesterday'",
     "ERR: string literal `yesterday` cannot be used for column `at` of type Timestamp"},
    {"SELECT id FROM secret WHERE big = 170141183460469231731687303715884105728",
     "ERR: integer literal `170141183460469231731687303715884105728` is out of range for column "
     "`big` "
     "of type I128"},
    {"SELECT id, COUNT(*) AS n FROM person",
     "ERR: column `id` at 1:8 must appear in GROUP BY or be used in an aggregate"},
    {"SELECT *, COUNT(*) AS n FROM person",
     "ERR: `*` at 1:8 cannot be mixed with aggregates or GROUP BY"},
    {"SELECT SUM(name) AS s FROM person",
     "ERR: SUM at 1:8 needs an integer (up to 64 bits) or float column"},
    {"SELECT age, COUNT(*) AS n FROM person GROUP BY age ORDER BY id",
     "ERR: ORDER BY `id` at 1:61 must name a column of the result"},
    {"SHOW nothing", "ERR: unknown variable: `nothing`"},
    {"SET row_limit = 'x'", "ERR: string literal `x` cannot be used for `row_limit` of type U64"},
    {"INSERT INTO person VALUES (1, 'x')", "ERR: INSERT row 1 has 2 values for 4 columns"},
    {"INSERT INTO person (id, name) VALUES (9, 'x')",
     "ERR: INSERT must give every column; missing `age`"},
    {"INSERT INTO person (id, name, age, nope) VALUES (9, 'x', 1, true)",
     "ERR: no such column: `nope` at 1:36"},
    {"INSERT INTO person (id, id, age, active) VALUES (9, 9, 1, true)",
     "ERR: column `id` given twice at 1:25"},
    {"INSERT INTO person VALUES (1, 'Dup', 1, true)", "ERR: "},
    {"INSERT INTO person VALUES (9, 'x', 300, true)",
     "ERR: integer literal `300` is out of range for column `age` of type U8"},
    {"INSERT INTO person VALUES (9, 'x', 1, id)", "ERR: expected a literal at 1:39, found `id`"},
    {"INSERT INTO st_table VALUES (1)", "ERR: cannot modify system table `st_table`"},
    {"UPDATE person SET nope = 1", "ERR: no such column: `nope` at 1:19"},
    {"UPDATE person SET age = 'old'",
     "ERR: string literal `old` cannot be used for column `age` of type U8"},
    {"UPDATE person SET id = 1", "ERR: "},
    {"DELETE FROM nope",
     "ERR: no such table: `nope`. If the table exists, it may be marked private."},
    {"DELETE person", "ERR: expected FROM at 1:8, found `person`"},
    {"UPDATE person age = 1", "ERR: expected SET at 1:15, found `age`"},
};

TEST(sql_errors)
{
    RUN(error_cases, true);
}

/* What a client that is not the owner may see and do. */
static const qcase_t guest_cases[] = {
    {"SELECT COUNT(*) AS n FROM person", "[[5]]"},
    {"SELECT * FROM secret",
     "ERR: no such table: `secret`. If the table exists, it may be marked private."},
    {"SELECT person.* FROM person JOIN secret s ON person.id = s.id",
     "ERR: no such table: `secret`. If the table exists, it may be marked private."},
    {"SELECT * FROM st_table",
     "ERR: no such table: `st_table`. If the table exists, it may be marked private."},
    {"INSERT INTO person VALUES (9, 'x', 1, true)",
     "ERR: Only owners are authorized to run SQL DML statements"},
    {"DELETE FROM person", "ERR: Only owners are authorized to run SQL DML statements"},
    {"UPDATE person SET age = 1", "ERR: Only owners are authorized to run SQL DML statements"},
    {"SET row_limit = 5", "ERR: Only owners may set system variables"},
    {"SHOW row_limit", "ERR: Only owners may read system variables"},
    {"SELECT COUNT(*) AS n FROM person", "[[5]]"},
};

TEST(sql_guest)
{
    RUN(guest_cases, false);
}

/* SET row_limit bounds what other callers may read, by estimate. */
static const qcase_t limit_cases[] = {
    {"SET row_limit = 4", "ins=0 del=0 upd=0"},
    {"SELECT * FROM person", "[[1,\"Alice\",30,true],[2,\"Bob\",25,false],[3,\"Carol\",35,true],"
                             "[4,\"Dave\",25,true],[5,\"Eve\",40,false]]"},
};

static const qcase_t limit_guest_cases[] = {
    {"SELECT * FROM person", "ERR: Estimated cardinality (5 rows) exceeds limit (4 rows)"},
    {"SELECT * FROM person WHERE id > 1",
     "ERR: Estimated cardinality (5 rows) exceeds limit (4 rows)"},
    {"SELECT * FROM person WHERE id = 1", "[[1,\"Alice\",30,true]]"},
    {"SELECT * FROM pet WHERE owner = 1", "[[10,1,\"cat\",4.5],[11,1,\"dog\",12.25]]"},
    {"SELECT a.id FROM toy a JOIN toy b ON a.id = b.id",
     "ERR: Estimated cardinality (16 rows) exceeds limit (4 rows)"},
    {"SELECT q.id FROM person p JOIN pet q ON p.id = q.owner WHERE p.id = 3", "[[13]]"},
};

TEST(sql_row_limit)
{
    CHECK_OK(fixture_open());
    run_cases(limit_cases, sizeof limit_cases / sizeof *limit_cases, true);
    run_cases(limit_guest_cases, sizeof limit_guest_cases / sizeof *limit_guest_cases, false);
    fixture_close();
}

static const qcase_t dml_cases[] = {
    {"INSERT INTO person VALUES (6, 'Frank', 50, true)", "ins=1 del=0 upd=0"},
    {"INSERT INTO person VALUES (6, 'Frank', 50, true)", "ins=0 del=0 upd=0"},
    {"SELECT * FROM person WHERE id = 6", "[[6,\"Frank\",50,true]]"},
    {"INSERT INTO person (active, age, name, id) VALUES (false, 1, 'Gina', 7), (true, 2, 'Hal', 8)",
     "ins=2 del=0 upd=0"},
    {"SELECT id, name, age, active FROM person WHERE id >= 7",
     "[[7,\"Gina\",1,false],[8,\"Hal\",2,true]]"},
    {"UPDATE person SET age = 51 WHERE id = 6", "ins=0 del=0 upd=1"},
    {"SELECT age FROM person WHERE id = 6", "[[51]]"},
    {"UPDATE person SET age = 0, active = false WHERE age < 3", "ins=0 del=0 upd=2"},
    {"SELECT id FROM person WHERE age = 0 AND NOT active", "[[7],[8]]"},
    {"UPDATE person SET name = 'nobody' WHERE id > 100", "ins=0 del=0 upd=0"},
    {"DELETE FROM person WHERE id IN (7, 8)", "ins=0 del=2 upd=0"},
    {"DELETE FROM person WHERE id = 7", "ins=0 del=0 upd=0"},
    {"SELECT COUNT(*) AS n FROM person", "[[6]]"},
    {"DELETE FROM pet WHERE owner = 1", "ins=0 del=2 upd=0"},
    {"SELECT id FROM pet", "[[12],[13],[14]]"},
    {"DELETE FROM toy", "ins=0 del=4 upd=0"},
    {"SELECT * FROM toy", "[]"},
    /* a failing statement changes nothing */
    {"UPDATE person SET id = 1 WHERE id = 2", "ERR: "},
    {"SELECT id, name FROM person WHERE id <= 2", "[[1,\"Alice\"],[2,\"Bob\"]]"},
    {"INSERT INTO person VALUES (20, 'T', 1, true), (1, 'Dup', 1, true)", "ERR: "},
    {"SELECT COUNT(*) AS n FROM person WHERE id = 20", "[[0]]"},
    {"INSERT INTO secret VALUES (3, "
     "0x0000000000000000000000000000000000000000000000000000000000000003,"
     " '1970-01-01T00:00:01Z', 'x', X'00ff', -1, 1)",
     "ins=1 del=0 upd=0"},
    {"SELECT at, note, data, big FROM secret WHERE id = 3", "[[[1000000],[0,\"x\"],\"00ff\",-1]]"},
    {"UPDATE secret SET note = NULL WHERE id = 3", "ins=0 del=0 upd=1"},
    {"SELECT id FROM secret WHERE note IS NULL ORDER BY id", "[[2],[3]]"},
    {"SHOW row_limit", "[]"},
    {"SET row_limit = 100", "ins=0 del=0 upd=0"},
    {"SHOW row_limit", "[[\"row_limit\",[8,100]]]"},
    {"SET row_limit TO 5", "ins=0 del=0 upd=0"},
    {"SHOW ROW_LIMIT", "[[\"row_limit\",[8,5]]]"},
};

TEST(sql_dml)
{
    RUN(dml_cases, true);
}

static const qcase_t plan_cases[] = {
    {"SELECT * FROM person", "Scan(person)"},
    {"SELECT * FROM person WHERE id = 3", "IxScan(person.%u point)"},
    {"SELECT * FROM person WHERE 3 = id", "IxScan(person.%u point)"},
    {"SELECT * FROM person WHERE id > 3", "IxScan(person.%u range)"},
    {"SELECT * FROM person WHERE id > 1 AND id <= 3", "IxScan(person.%u range)"},
    {"SELECT * FROM person WHERE id <> 3", "Scan(person)"},
    {"SELECT * FROM person WHERE id = 3 OR id = 4", "Scan(person)"},
    {"SELECT * FROM person WHERE name = 'Bob'", "Scan(person)"},
    {"SELECT * FROM person WHERE age = 25", "IxScan(person.%2$u point)"},
    {"SELECT * FROM pet WHERE owner = 1", "IxScan(pet.%3$u point)"},
    {"SELECT * FROM pet WHERE owner > 1", "Scan(pet)"},
    {"SELECT * FROM toy WHERE pet_id = 10", "IxScan(toy.%4$u range)"},
    {"SELECT * FROM toy WHERE pet_id = 10 AND color = 'red'", "IxScan(toy.%4$u point)"},
    {"SELECT * FROM toy WHERE color = 'red'", "Scan(toy)"},
    {"SELECT p.* FROM person p JOIN pet q ON p.id = q.owner",
     "Scan(person) IxJoin IxLookup(pet.%3$u on #0.0)"},
    {"SELECT q.* FROM pet q JOIN person p ON p.id = q.owner",
     "Scan(pet) IxJoin IxLookup(person.%1$u on #0.1)"},
    {"SELECT q.* FROM pet q JOIN toy t ON t.pet_id = q.id",
     "Scan(pet) IxJoin IxLookup(toy.%4$u on #0.0)"},
    {"SELECT t.* FROM toy t JOIN pet q ON t.pet_id = q.id", "Scan(toy) SortJoin Scan(pet)"},
    {"SELECT t.* FROM toy t JOIN pet q ON t.pet_id = q.id WHERE q.owner = 1",
     "Scan(toy) SortJoin IxScan(pet.%3$u point)"},
    {"SELECT a.id FROM pet a JOIN pet b ON a.species = b.species", "Scan(pet) SortJoin Scan(pet)"},
    {"SELECT a.id FROM pet a JOIN pet b ON a.weight < b.weight", "Scan(pet) NLJoin Scan(pet)"},
    {"SELECT a.id FROM person a CROSS JOIN pet b", "Scan(person) NLJoin Scan(pet)"},
    {"SELECT p.* FROM person p JOIN pet q ON p.id = q.owner WHERE p.id = 1",
     "IxScan(person.%1$u point) IxJoin IxLookup(pet.%3$u on #0.0)"},
    {"SELECT a.id FROM person a JOIN person b WHERE a.id = b.id",
     "Scan(person) IxJoin IxLookup(person.%1$u on #0.0)"},
};

TEST(sql_plans)
{
    CHECK_OK(fixture_open());
    for (size_t i = 0; i < sizeof plan_cases / sizeof *plan_cases; i++) {
        char want[256];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(want, sizeof want, plan_cases[i].want, F.ix[0].id, F.ix[1].id, F.ix[2].id,
                 F.ix[3].id);
#pragma GCC diagnostic pop
        const char *got = explain(plan_cases[i].sql);
        if (strcmp(got, want) != 0) {
            test_fail(__FILE__, __LINE__, "%s\n  got:  %s\n  want: %s", plan_cases[i].sql, got,
                      want);
            break;
        }
    }
    fixture_close();
}

/* Every prefix and every one-byte corruption of some queries either runs
 * or fails cleanly (the sanitizer build checks the "cleanly"). */
TEST(sql_robust)
{
    CHECK_OK(fixture_open());
    static const char q1[] =
        "SELECT p.name AS n, COUNT(*) AS c FROM person p JOIN pet q ON p.id = q.owner WHERE "
        "(q.weight > 1.5 OR NOT p.active) AND p.id IN (1, 2) GROUP BY p.name ORDER BY c DESC "
        "LIMIT 3 OFFSET 0";
    static const char q2[] =
        "INSERT INTO secret (id, who, at, note, data, big, huge) VALUES (9, X'0102', "
        "'2020-02-02T02:02:02.5Z', 'it''s', 0xff, -5, 7)";
    static const char *const qs[] = {
        q1,
        q2,
        "UPDATE person SET name = 'x', age = 3 WHERE id >= 4 AND name <> \"id\"",
        "SELECT id FROM secret WHERE note IS NOT NULL AND who = :sender; ",
    };
    static const char noise[] = "'\"()-.;*:0xX ";
    for (size_t k = 0; k < sizeof qs / sizeof *qs; k++) {
        char buf[512];
        size_t n = strlen(qs[k]);
        for (size_t len = 0; len <= n; len++) {
            memcpy(buf, qs[k], len);
            buf[len] = 0;
            q(buf);
        }
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < sizeof noise - 1; c++) {
                memcpy(buf, qs[k], n + 1);
                buf[i] = noise[c];
                q(buf);
            }
    }
    fixture_close();
}

/* Limits on length and expression depth. */
TEST(sql_limits)
{
    CHECK_OK(fixture_open());
    lc_buf_t b;
    lc_buf_init(&b);
    lc_buf_puts(&b, "SELECT id FROM person WHERE ");
    for (int i = 0; i < 200; i++) lc_buf_putc(&b, '(');
    lc_buf_puts(&b, "id = 1");
    for (int i = 0; i < 200; i++) lc_buf_putc(&b, ')');
    lc_buf_terminate(&b);
    CHECK_EQ_STR(q((char *)b.data),
                 "ERR: expression too complex: more than 128 nesting levels or 1024 operators");
    lc_buf_reset(&b);
    lc_buf_puts(&b, "SELECT id FROM person WHERE ");
    for (int i = 0; i < 100; i++) lc_buf_puts(&b, "NOT (");
    lc_buf_puts(&b, "id = 1");
    for (int i = 0; i < 100; i++) lc_buf_putc(&b, ')');
    lc_buf_terminate(&b);
    CHECK_EQ_STR(q((char *)b.data),
                 "ERR: expression too complex: more than 128 nesting levels or 1024 operators");
    lc_buf_reset(&b);
    lc_buf_puts(&b, "SELECT id FROM person WHERE NOT NOT (");
    for (int i = 0; i < 60; i++) lc_buf_putc(&b, '(');
    lc_buf_puts(&b, "id = 1");
    for (int i = 0; i < 60; i++) lc_buf_putc(&b, ')');
    lc_buf_putc(&b, ')');
    lc_buf_terminate(&b);
    CHECK_EQ_STR(q((char *)b.data), "[[1]]");
    lc_buf_reset(&b);
    lc_buf_puts(&b, "SELECT id FROM person WHERE id = 0");
    for (int i = 1; i < 1000; i++) lc_buf_printf(&b, " OR id = %d", i);
    lc_buf_terminate(&b);
    CHECK_EQ_STR(q((char *)b.data), "[[1],[2],[3],[4],[5]]");
    lc_buf_puts(&b, " OR id = 1000 OR id = 1001 OR id = 1002 OR id = 1003 OR id = 1004 OR id = 0");
    lc_buf_puts(&b, " OR id = 1000 OR id = 1001 OR id = 1002 OR id = 1003 OR id = 1004 OR id = 0");
    lc_buf_puts(&b, " OR id = 1000 OR id = 1001 OR id = 1002 OR id = 1003 OR id = 1004 OR id = 0");
    lc_buf_puts(&b, " OR id = 1000 OR id = 1001 OR id = 1002 OR id = 1003 OR id = 1004 OR id = 0");
    lc_buf_puts(&b, " OR id = 1000 OR id = 1001 OR id = 1002 OR id = 1003 OR id = 1004 OR id = 0");
    lc_buf_terminate(&b);
    CHECK_EQ_STR(q((char *)b.data),
                 "ERR: expression too complex: more than 128 nesting levels or 1024 operators");
    lc_buf_reset(&b);
    lc_buf_puts(&b, "SELECT id FROM person WHERE name = '");
    for (int i = 0; i < SQL_MAX_LENGTH; i++) lc_buf_putc(&b, 'a');
    lc_buf_puts(&b, "'");
    lc_buf_terminate(&b);
    CHECK(strncmp(q((char *)b.data), "ERR: query too long: ", 21) == 0);
    lc_buf_free(&b);
    fixture_close();
}

/* The /sql body and the CLI's table. */
TEST(sql_json_and_print)
{
    CHECK_OK(fixture_open());
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_err_t err;
    sql_caller_t caller = {.is_owner = true};
    const char *sql = "SELECT id, name AS who FROM person WHERE id <= 2";
    sql_stmt_t *st;
    sql_plan_t *p;
    sql_result_t r;
    store_view_t *v;
    lc_buf_t b;
    lc_buf_init(&b);
    CHECK_OK(sql_parse(sql, strlen(sql), &a, &st, &err));
    CHECK_OK(sql_plan(st, &F.schema, &caller, &a, &p, &err));
    CHECK(!sql_plan_is_write(p));
    CHECK_OK(store_view_open(F.db, &v, &err));
    int rc = sql_exec_read(p, v, &a, &r, &err);
    store_view_close(v);
    CHECK_OK(rc);
    CHECK_OK(sql_result_json(&b, &r, 42, &err));
    lc_buf_terminate(&b);
    CHECK_EQ_STR(
        (char *)b.data,
        "[{\"schema\":{\"elements\":[{\"name\":{\"some\":\"id\"},\"algebraic_type\":{\"U32\":[]}"
        "},{\"name\":{\"some\":\"who\"},\"algebraic_type\":{\"String\":[]}}]},\"rows\":[[1,"
        "\"Alice\"],[2,\"Bob\"]],\"total_duration_micros\":42,\"stats\":{\"rows_inserted\":0,"
        "\"rows_deleted\":0,\"rows_updated\":0}}]");
    lc_buf_reset(&b);
    CHECK_OK(sql_result_print(&b, &r));
    lc_buf_terminate(&b);
    CHECK(strstr((char *)b.data, "who") != NULL);
    CHECK(strstr((char *)b.data, "\"Alice\"") != NULL);
    lc_buf_free(&b);
    lc_arena_free(&a);
    fixture_close();
}

/* A write plan cannot run over a read view; reads can run inside a tx. */
TEST(sql_exec_modes)
{
    CHECK_OK(fixture_open());
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_err_t err;
    sql_caller_t caller = {.is_owner = true};
    sql_stmt_t *st;
    sql_plan_t *p;
    sql_result_t r;
    const char *del = "DELETE FROM person WHERE id = 1";
    CHECK_OK(sql_parse(del, strlen(del), &a, &st, &err));
    CHECK_OK(sql_plan(st, &F.schema, &caller, &a, &p, &err));
    CHECK(sql_plan_is_write(p));
    store_view_t *v;
    CHECK_OK(store_view_open(F.db, &v, &err));
    CHECK_EQ_INT(sql_exec_read(p, v, &a, &r, &err), LC_EINVAL);
    store_view_close(v);
    store_tx_t *tx;
    CHECK_OK(store_tx_begin(F.db, &tx, &err));
    CHECK_OK(sql_exec_tx(p, tx, &a, &r, &err));
    CHECK_EQ_INT(r.stats.rows_deleted, 1);
    const char *sel = "SELECT COUNT(*) AS n FROM person";
    CHECK_OK(sql_parse(sel, strlen(sel), &a, &st, &err));
    CHECK_OK(sql_plan(st, &F.schema, &caller, &a, &p, &err));
    int rc = sql_exec_tx(p, tx, &a, &r, &err);
    store_tx_rollback(tx);
    CHECK_OK(rc);
    CHECK_EQ_INT(r.cells[0].u.u, 4);                              /* the tx sees its own delete */
    CHECK_EQ_STR(q("SELECT COUNT(*) AS n FROM person"), "[[5]]"); /* rolled back */
    lc_arena_free(&a);
    fixture_close();
}

const test_case_t test_sql_engine_cases[] = {
    TEST_CASE(sql_select),
    TEST_CASE(sql_errors),
    TEST_CASE(sql_guest),
    TEST_CASE(sql_row_limit),
    TEST_CASE(sql_dml),
    TEST_CASE(sql_plans),
    TEST_CASE(sql_json_and_print),
    TEST_CASE(sql_exec_modes),
    TEST_CASE(sql_robust),
    TEST_CASE(sql_limits),
    TEST_END,
};
