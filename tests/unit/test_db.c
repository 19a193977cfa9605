/*
 * Tests of the database layer with real modules: publish, reducer calls,
 * rollbacks, lifecycle hooks, schedules, restarts, hostile modules and
 * republish with migrations.  The modules are the C SDK's examples (built
 * by `make examples`) and a hostile module in WAT (module_fixture.c).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "db/db.h"
#include "test.h"
#include "unit/module_fixture.h"

/* ---------------------------------------------------------------- helpers */

static wasm_engine_t *engine;

static wasm_engine_t *get_engine(void)
{
    if (engine)
        return engine;
    size_t n;
    wasm_engine_config_t cfg = {.cache_dir = fixture_cache_dir(), .opt_level = -1};
    cfg.host_fns = mod_abi_host_fns(&n);
    cfg.nhost_fns = n;
    lc_err_t err;
    if (wasm_engine_new(&cfg, &engine, &err)) {
        fprintf(stderr, "  engine: %s\n", err.msg);
        return NULL;
    }
    return engine;
}

/* Close the database and the engine (tests must free everything). */
static void finish(db_t *db)
{
    db_close(db);
    if (engine)
        wasm_engine_free(engine);
    engine = NULL;
}

static const uint8_t OWNER[32] = {0xAA, 0xBB};
static const uint8_t DB_ID[32] = {0x01, 0x02, 0x03};

static int open_db(const char *dir, uint32_t time_ms, db_t **out)
{
    db_config_t cfg = {.dir = dir, .engine = get_engine(), .fsync = DUR_FSYNC_NEVER};
    memcpy(cfg.identity, DB_ID, 32);
    cfg.limits.time_ms = time_ms;
    cfg.limits.memory_bytes = 64u << 20;
    lc_err_t err;
    if (!cfg.engine)
        return LC_EINVAL;
    int rc = db_open(&cfg, out, &err);
    if (rc)
        fprintf(stderr, "  db_open: %s\n", err.msg);
    return rc;
}

/* Publish wasm; on failure err holds the message. */
static int publish(db_t *db, const uint8_t *wasm, size_t len, bool clear, lc_err_t *err,
                   db_publish_result_t *res)
{
    db_publish_opts_t o = {.clear = clear};
    memcpy(o.owner, OWNER, 32);
    db_publish_result_t r;
    int rc = db_publish(db, wasm, len, &o, res ? res : &r, err);
    if (!res)
        lc_buf_free(&r.plan);
    return rc;
}

static int publish_example(db_t *db, const char *name)
{
    size_t len;
    uint8_t *wasm = fixture_example(name, &len);
    if (!wasm)
        return LC_ENOTFOUND;
    lc_err_t err;
    int rc = publish(db, wasm, len, false, &err, NULL);
    if (rc)
        fprintf(stderr, "  publish %s: %s\n", name, err.msg);
    lc_free(wasm);
    return rc;
}

static mod_caller_t caller_of(uint8_t who)
{
    mod_caller_t c = {.timestamp_us = lc_now_wall_us()};
    c.identity[0] = who;
    c.connection_id[0] = who;
    return c;
}

static db_call_result_t call(db_t *db, const char *reducer, const void *args, size_t len)
{
    db_call_result_t r;
    mod_caller_t c = caller_of(7);
    memset(&r, 0, sizeof r);
    if (db_call_sync(db, reducer, args, len, &c, &r))
        r.outcome.status = MOD_INTERNAL_ERROR;
    return r;
}

/* All rows of a table by name, as a store_rows_t (caller frees). */
static int table_rows(db_t *db, const char *table, store_rows_t *rows)
{
    uint32_t id;
    store_rows_init(rows);
    if (store_table_id(db_store(db), table, &id))
        return LC_ENOTFOUND;
    store_view_t *v;
    int rc = store_view_open(db_store(db), &v, NULL);
    if (rc == LC_OK)
        rc = store_view_scan(v, id, rows, NULL);
    if (rc == LC_OK)
        store_view_close(v);
    return rc;
}

/* bank: the balance of account id, or INT64_MIN if missing. */
static int64_t balance(db_t *db, uint32_t id)
{
    store_rows_t rows;
    int64_t b = INT64_MIN;
    if (table_rows(db, "accounts", &rows) == LC_OK)
        for (uint32_t i = 0; i < rows.count; i++) {
            const uint8_t *r = rows.data.data + rows.offsets[i];
            if (lc_load_u32le(r) == id)
                b = (int64_t)lc_load_u64le(r + 4);
        }
    store_rows_free(&rows);
    return b;
}

static size_t transfer_args(uint8_t *a, uint32_t from, uint32_t to, int64_t amount)
{
    lc_store_u32le(a, from);
    lc_store_u32le(a + 4, to);
    lc_store_u64le(a + 8, (uint64_t)amount);
    return 16;
}

static size_t seed_args(uint8_t *a, uint32_t n, int64_t bal)
{
    lc_store_u32le(a, n);
    lc_store_u64le(a + 4, (uint64_t)bal);
    return 12;
}

/* ---------------------------------------------------------------- bank */

TEST(bank_publish_seed_transfer)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 0, &db));
    CHECK_OK(publish_example(db, "bank"));
    uint8_t a[16];
    db_call_result_t r = call(db, "seed", a, seed_args(a, 5, 1000));
    CHECK_EQ_INT(r.outcome.status, MOD_OK);
    CHECK(r.tx_offset > 0);
    CHECK_EQ_INT(balance(db, 4), 1000);
    r = call(db, "transfer", a, transfer_args(a, 0, 1, 10));
    CHECK_MSG(r.outcome.status == MOD_OK, "transfer: %s", r.outcome.message);
    CHECK_EQ_INT(balance(db, 0), 990);
    CHECK_EQ_INT(balance(db, 1), 1010);
    /* Seeding again keeps existing accounts. */
    r = call(db, "seed", a, seed_args(a, 6, 5));
    CHECK_EQ_INT(r.outcome.status, MOD_OK);
    CHECK_EQ_INT(balance(db, 0), 990);
    CHECK_EQ_INT(balance(db, 5), 5);
    finish(db);
}

TEST(bank_user_errors_roll_back)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 0, &db));
    CHECK_OK(publish_example(db, "bank"));
    uint8_t a[16];
    CHECK_EQ_INT(call(db, "seed", a, seed_args(a, 2, 100)).outcome.status, MOD_OK);
    struct {
        uint32_t from, to;
        int64_t amount;
    } bad[] = {{0, 0, 1}, {0, 1, 0}, {0, 1, -5}, {0, 9, 1}, {9, 0, 1}, {0, 1, 101}};
    for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
        db_call_result_t r =
            call(db, "transfer", a, transfer_args(a, bad[i].from, bad[i].to, bad[i].amount));
        CHECK_MSG(r.outcome.status == MOD_USER_ERROR, "case %zu: status %d (%s)", i,
                  r.outcome.status, r.outcome.message);
        CHECK_MSG(r.outcome.message[0] != 0, "case %zu: empty message", i);
        CHECK_EQ_INT(r.tx_offset, 0);
    }
    CHECK_EQ_INT(balance(db, 0), 100);
    CHECK_EQ_INT(balance(db, 1), 100);
    db_stats_t st;
    db_stats(db, &st);
    CHECK_EQ_INT(st.rollbacks, LC_ARRAY_LEN(bad));
    finish(db);
}

TEST(bad_requests_never_reach_the_module)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 0, &db));
    uint8_t a[32] = {0};
    db_call_result_t r = call(db, "transfer", a, 16);
    CHECK_EQ_INT(r.outcome.status, MOD_BAD_REQUEST); /* no module yet */
    CHECK_OK(publish_example(db, "bank"));
    r = call(db, "transfer", a, 15);
    CHECK_EQ_INT(r.outcome.status, MOD_BAD_REQUEST);
    CHECK_MSG(strstr(r.outcome.message, "transfer"), "%s", r.outcome.message);
    r = call(db, "transfer", a, 17);
    CHECK_EQ_INT(r.outcome.status, MOD_BAD_REQUEST);
    r = call(db, "no_such_reducer", NULL, 0);
    CHECK_EQ_INT(r.outcome.status, MOD_BAD_REQUEST);
    CHECK_MSG(strstr(r.outcome.message, "no such reducer"), "%s", r.outcome.message);
    db_stats_t st;
    db_stats(db, &st);
    CHECK_EQ_INT(st.calls, 0);
    finish(db);
}

TEST(bank_survives_restart)
{
    const char *dir = test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/db", dir);
    db_t *db;
    CHECK_OK(open_db(path, 0, &db));
    CHECK_OK(publish_example(db, "bank"));
    uint8_t a[16];
    CHECK_EQ_INT(call(db, "seed", a, seed_args(a, 3, 50)).outcome.status, MOD_OK);
    CHECK_EQ_INT(call(db, "transfer", a, transfer_args(a, 2, 0, 7)).outcome.status, MOD_OK);
    db_close(db);
    CHECK_OK(open_db(path, 0, &db));
    CHECK(db_has_module(db));
    CHECK_EQ_INT(balance(db, 0), 57);
    CHECK_EQ_INT(balance(db, 2), 43);
    CHECK_EQ_INT(call(db, "transfer", a, transfer_args(a, 0, 1, 57)).outcome.status, MOD_OK);
    CHECK_EQ_INT(balance(db, 1), 107);
    finish(db);
}

/* ---------------------------------------------------------------- chat */

static bool user_online(db_t *db, uint8_t who, bool *online, char *name, size_t cap)
{
    store_rows_t rows;
    bool found = false;
    if (table_rows(db, "user", &rows) == LC_OK)
        for (uint32_t i = 0; i < rows.count; i++) {
            const uint8_t *r = rows.data.data + rows.offsets[i];
            if (r[0] != who)
                continue;
            found = true;
            const uint8_t *p = r + 32;
            name[0] = 0;
            if (*p == 0) { /* some(name) */
                uint32_t n = lc_load_u32le(p + 1);
                snprintf(name, cap, "%.*s", (int)n, (const char *)p + 5);
                p += 5 + n;
            } else {
                p += 1;
            }
            *online = *p == 1;
        }
    store_rows_free(&rows);
    return found;
}

static size_t string_arg(uint8_t *a, const char *s)
{
    lc_store_u32le(a, (uint32_t)strlen(s));
    memcpy(a + 4, s, strlen(s));
    return 4 + strlen(s);
}

TEST(chat_lifecycle_and_messages)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 0, &db));
    CHECK_OK(publish_example(db, "chat"));
    mod_caller_t alice = caller_of(1);
    mod_outcome_t o;
    CHECK_OK(db_connect(db, alice.identity, alice.connection_id, NULL, &o));
    CHECK_EQ_INT(o.status, MOD_OK);
    bool online = false;
    char name[64];
    CHECK(user_online(db, 1, &online, name, sizeof name));
    CHECK(online);
    uint8_t a[64];
    db_call_result_t r;
    CHECK_OK(db_call_sync(db, "set_name", a, string_arg(a, ""), &alice, &r));
    CHECK_EQ_INT(r.outcome.status, MOD_USER_ERROR);
    CHECK_OK(db_call_sync(db, "set_name", a, string_arg(a, "alice"), &alice, &r));
    CHECK_EQ_INT(r.outcome.status, MOD_OK);
    CHECK_OK(db_call_sync(db, "send_message", a, string_arg(a, "hello"), &alice, &r));
    CHECK_EQ_INT(r.outcome.status, MOD_OK);
    CHECK_OK(db_call_sync(db, "send_message", a, string_arg(a, ""), &alice, &r));
    CHECK_EQ_INT(r.outcome.status, MOD_USER_ERROR);
    store_rows_t rows;
    CHECK_OK(table_rows(db, "message", &rows));
    CHECK_EQ_INT(rows.count, 1);
    store_rows_free(&rows);
    /* Lifecycle reducers cannot be called directly. */
    CHECK_OK(db_call_sync(db, "client_connected", NULL, 0, &alice, &r));
    CHECK_EQ_INT(r.outcome.status, MOD_BAD_REQUEST);
    CHECK_OK(db_disconnect(db, alice.identity, alice.connection_id));
    CHECK(user_online(db, 1, &online, name, sizeof name));
    CHECK(!online);
    CHECK_EQ_STR(name, "alice");
    /* A client that reconnects is online again with its name. */
    CHECK_OK(db_connect(db, alice.identity, alice.connection_id, NULL, &o));
    CHECK(user_online(db, 1, &online, name, sizeof name));
    CHECK(online);
    CHECK_EQ_STR(name, "alice");
    finish(db);
}

/* ---------------------------------------------------------------- schedules */

TEST(alltypes_schedule_fires)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 0, &db));
    CHECK_OK(publish_example(db, "alltypes"));
    /* init scheduled an interval tick; wait for a few runs. */
    store_rows_t rows;
    uint32_t seen = 0;
    for (int i = 0; i < 400 && seen < 3; i++) {
        usleep(10000);
        CHECK_OK(table_rows(db, "tick_log", &rows));
        seen = rows.count;
        store_rows_free(&rows);
    }
    CHECK_MSG(seen >= 3, "only %u ticks in 4 s", seen);
    db_stats_t st;
    db_stats(db, &st);
    CHECK(st.scheduled_runs >= 3);
    finish(db);
}

/* ---------------------------------------------------------------- hostile */

static int publish_hostile(db_t *db, const char *variant, lc_err_t *err)
{
    size_t len;
    uint8_t *wasm = fixture_hostile(variant, &len);
    if (!wasm)
        return lc_err_set(err, LC_EINVAL, "could not build the hostile module");
    int rc = publish(db, wasm, len, false, err, NULL);
    lc_free(wasm);
    return rc;
}

static uint64_t thing_rows(db_t *db)
{
    store_rows_t rows;
    uint64_t n = 0;
    if (table_rows(db, "thing", &rows) == LC_OK)
        n = rows.count;
    store_rows_free(&rows);
    return n;
}

TEST(hostile_module_calls)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 200, &db));
    lc_err_t err;
    CHECK_MSG(publish_hostile(db, "ok", &err) == LC_OK, "%s", err.msg);
    struct {
        int id;
        mod_status_t status;
        wasm_trap_t trap;
        const char *msg;
    } cases[] = {
        {HOSTILE_OK, MOD_OK, WASM_TRAP_NONE, NULL},
        {HOSTILE_USER_ERROR, MOD_USER_ERROR, WASM_TRAP_NONE, "nope"},
        {HOSTILE_BAD_CODE, MOD_INTERNAL_ERROR, WASM_TRAP_NONE, "unknown return code 7"},
        {HOSTILE_UNREACHABLE, MOD_INTERNAL_ERROR, WASM_TRAP_UNREACHABLE, NULL},
        {HOSTILE_SPIN, MOD_INTERNAL_ERROR, WASM_TRAP_TIMEOUT, "200 ms"},
        {HOSTILE_RECURSE, MOD_INTERNAL_ERROR, WASM_TRAP_STACK, NULL},
        {HOSTILE_GROW, MOD_OK, WASM_TRAP_NONE, NULL},
        {HOSTILE_OOB_INSERT, MOD_INTERNAL_ERROR, WASM_TRAP_HOST, "datastore_insert_bsatn"},
        {HOSTILE_OOB_NAME, MOD_INTERNAL_ERROR, WASM_TRAP_HOST, "table_id_from_name"},
        {HOSTILE_OOB_LOG, MOD_OK, WASM_TRAP_NONE, NULL},
        {HOSTILE_OOB_SINK, MOD_INTERNAL_ERROR, WASM_TRAP_HOST, "bytes_sink_write"},
        {HOSTILE_INSERT_THEN_TRAP, MOD_INTERNAL_ERROR, WASM_TRAP_UNREACHABLE, NULL},
        {HOSTILE_OK, MOD_OK, WASM_TRAP_NONE, NULL},
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        db_call_result_t r = call(db, hostile_reducers[cases[i].id], NULL, 0);
        CHECK_MSG(r.outcome.status == cases[i].status, "%s: status %d, expected %d (%s)",
                  hostile_reducers[cases[i].id], r.outcome.status, cases[i].status,
                  r.outcome.message);
        CHECK_MSG(r.outcome.trap == cases[i].trap, "%s: trap %d, expected %d (%s)",
                  hostile_reducers[cases[i].id], r.outcome.trap, cases[i].trap, r.outcome.message);
        CHECK_MSG(!cases[i].msg || strstr(r.outcome.message, cases[i].msg),
                  "%s: message \"%s\" lacks \"%s\"", hostile_reducers[cases[i].id],
                  r.outcome.message, cases[i].msg);
    }
    /* Two successful inserts; the one followed by a trap rolled back. */
    CHECK_EQ_INT(thing_rows(db), 2);
    finish(db);
}

TEST(hostile_module_load_errors)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 200, &db));
    lc_err_t err;
    CHECK_EQ_INT(publish_hostile(db, "unknown-import", &err), LC_EINVAL);
    CHECK_MSG(strstr(err.msg, "no_such_function"), "%s", err.msg);
    CHECK_EQ_INT(publish_hostile(db, "no-call-reducer", &err), LC_EINVAL);
    CHECK_MSG(strstr(err.msg, "__call_reducer__"), "%s", err.msg);
    CHECK(publish_hostile(db, "bad-def", &err) != LC_OK);
    CHECK_MSG(strstr(err.msg, "module definition"), "%s", err.msg);
    static const uint8_t junk[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0xff, 0xff};
    CHECK(publish(db, junk, sizeof junk, false, &err, NULL) != LC_OK);
    CHECK(!db_has_module(db));
    /* The database still takes a good module afterwards. */
    CHECK_MSG(publish_hostile(db, "ok", &err) == LC_OK, "%s", err.msg);
    CHECK_EQ_INT(call(db, "ok", NULL, 0).outcome.status, MOD_OK);
    finish(db);
}

/* ---------------------------------------------------------------- alltypes */

/* insert_row's arguments: one value of every SATS type, all distinctive. */
static void alltypes_args(lc_buf_t *b, int salt)
{
    uint8_t big[32];
    for (int i = 0; i < 32; i++) big[i] = (uint8_t)(i * 7 + salt);
    lc_buf_putc(b, (uint8_t)(200 + salt));         /* u8 */
    lc_buf_put_u16le(b, (uint16_t)(60000 + salt)); /* u16 */
    lc_buf_put_u32le(b, 4000000000u + (uint32_t)salt);
    lc_buf_put_u64le(b, 18000000000000000000ull + (uint64_t)salt);
    lc_buf_append(b, big, 16);                      /* u128 */
    lc_buf_append(b, big, 32);                      /* u256 */
    lc_buf_putc(b, (uint8_t)(int8_t)(-100 - salt)); /* i8 */
    lc_buf_put_u16le(b, (uint16_t)(int16_t)-30000);
    lc_buf_put_u32le(b, (uint32_t)(-2000000000 + salt));
    lc_buf_put_u64le(b, (uint64_t)(-9000000000000000000ll));
    big[15] |= 0x80;
    lc_buf_append(b, big, 16); /* i128, negative */
    big[31] |= 0x80;
    lc_buf_append(b, big, 32);                                   /* i256, negative */
    lc_buf_put_u32le(b, 0xC0490FDBu);                            /* f32 -3.14159 */
    lc_buf_put_u64le(b, 0x7FF8000000000001ull + (uint64_t)salt); /* f64: a NaN payload */
    lc_buf_putc(b, 1);                                           /* bool */
    lc_buf_put_u32le(b, 7);
    lc_buf_append(b, "h\xC3\xA9llo!", 7); /* string, UTF-8 */
    lc_buf_put_u32le(b, 3);
    lc_buf_append(b, "\x00\xFF\x10", 3); /* bytes */
    lc_buf_put_u32le(b, 2);              /* array<i32> */
    lc_buf_put_u32le(b, (uint32_t)-1);
    lc_buf_put_u32le(b, 42);
    lc_buf_put_u32le(b, 2); /* array<string> */
    lc_buf_put_u32le(b, 1);
    lc_buf_append(b, "a", 1);
    lc_buf_put_u32le(b, 0);
    lc_buf_putc(b, 0); /* option<i32>: some */
    lc_buf_put_u32le(b, (uint32_t)(-7 - salt));
    lc_buf_putc(b, 1);                 /* option<string>: none */
    lc_buf_put_u32le(b, (uint32_t)-3); /* point.x */
    lc_buf_put_u32le(b, 4);            /* point.y */
    lc_buf_putc(b, 1);                 /* shape: rect */
    lc_buf_put_u32le(b, 5);
    lc_buf_put_u32le(b, (uint32_t)(6 + salt));
    lc_buf_putc(b, 2);                                         /* color: blue */
    lc_buf_append(b, big, 32);                                 /* identity */
    lc_buf_append(b, big + 8, 16);                             /* connection id */
    lc_buf_put_u64le(b, 1700000000000000ull + (uint64_t)salt); /* timestamp */
    lc_buf_put_u64le(b, (uint64_t)-1500);                      /* duration, negative */
}

/* The one row of all_types, or 0 bytes. */
static size_t alltypes_row(db_t *db, uint8_t *out, size_t cap)
{
    store_rows_t rows;
    size_t n = 0;
    if (table_rows(db, "all_types", &rows) == LC_OK && rows.count == 1 && rows.data.len <= cap) {
        memcpy(out, rows.data.data, rows.data.len);
        n = rows.data.len;
    }
    store_rows_free(&rows);
    return n;
}

TEST(alltypes_round_trip_byte_for_byte)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 0, &db));
    CHECK_OK(publish_example(db, "alltypes"));
    lc_buf_t args;
    lc_buf_init(&args);
    alltypes_args(&args, 0);
    db_call_result_t r = call(db, "insert_row", args.data, args.len);
    CHECK_MSG(r.outcome.status == MOD_OK, "insert_row: %s", r.outcome.message);
    uint8_t row[1024];
    size_t n = alltypes_row(db, row, sizeof row);
    CHECK_EQ_INT(n, 8 + args.len);
    uint64_t id = lc_load_u64le(row);
    CHECK(id >= 1);
    CHECK_EQ_MEM(row + 8, args.data, args.len);
    /* update_row(id, ...) replaces every column. */
    lc_buf_t up;
    lc_buf_init(&up);
    lc_buf_put_u64le(&up, id);
    alltypes_args(&up, 1);
    r = call(db, "update_row", up.data, up.len);
    CHECK_MSG(r.outcome.status == MOD_OK, "update_row: %s", r.outcome.message);
    n = alltypes_row(db, row, sizeof row);
    CHECK_EQ_INT(n, up.len);
    CHECK_EQ_MEM(row, up.data, up.len);
    uint8_t idb[8];
    lc_store_u64le(idb, id);
    CHECK_EQ_INT(call(db, "delete_row", idb, 8).outcome.status, MOD_OK);
    CHECK_EQ_INT(alltypes_row(db, row, sizeof row), 0);
    CHECK_EQ_INT(call(db, "delete_row", idb, 8).outcome.status, MOD_USER_ERROR);
    lc_buf_free(&args);
    lc_buf_free(&up);
    finish(db);
}

static uint32_t count_rows(db_t *db, const char *table)
{
    store_rows_t rows;
    uint32_t n = 0;
    if (table_rows(db, table, &rows) == LC_OK)
        n = rows.count;
    store_rows_free(&rows);
    return n;
}

TEST(one_shot_schedule_runs_once_and_is_deleted)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 0, &db));
    CHECK_OK(publish_example(db, "alltypes"));
    uint8_t a[32];
    lc_store_u64le(a, 30);
    size_t len = 8 + string_arg(a + 8, "wake");
    CHECK_EQ_INT(call(db, "set_alarm", a, len).outcome.status, MOD_OK);
    lc_store_u64le(a, 3600 * 1000);
    CHECK_EQ_INT(call(db, "set_alarm", a, len).outcome.status, MOD_OK);
    CHECK_EQ_INT(count_rows(db, "alarm"), 2);
    for (int i = 0; i < 300 && count_rows(db, "alarm_log") == 0; i++) usleep(10000);
    CHECK_EQ_INT(count_rows(db, "alarm_log"), 1);
    for (int i = 0; i < 300 && count_rows(db, "alarm") == 2; i++) usleep(10000);
    CHECK_EQ_INT(count_rows(db, "alarm"), 1); /* the hour-long one waits */
    usleep(100000);
    CHECK_EQ_INT(count_rows(db, "alarm_log"), 1); /* it ran once */
    finish(db);
}

/* ---------------------------------------------------------------- lifecycle */

TEST(client_connected_may_refuse)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 0, &db));
    lc_err_t err;
    CHECK_MSG(publish_hostile(db, "refuse-connect", &err) == LC_OK, "%s", err.msg);
    mod_caller_t c = caller_of(3);
    mod_outcome_t o;
    CHECK_OK(db_connect(db, c.identity, c.connection_id, NULL, &o));
    CHECK_EQ_INT(o.status, MOD_USER_ERROR);
    CHECK_EQ_STR(o.message, "nope");
    CHECK_EQ_INT(count_rows(db, "st_client"), 0);
    finish(db);
}

/* ---------------------------------------------------------------- republish */

TEST(republish_allowed_and_refused)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 0, &db));
    CHECK_OK(publish_example(db, "bank"));
    uint8_t a[16];
    CHECK_EQ_INT(call(db, "seed", a, seed_args(a, 3, 10)).outcome.status, MOD_OK);
    /* The same module again: an empty plan, allowed, data kept. */
    size_t len;
    uint8_t *wasm = fixture_example("bank", &len);
    CHECK(wasm);
    lc_err_t err;
    db_publish_result_t res;
    int rc = publish(db, wasm, len, false, &err, &res);
    lc_buf_free(&res.plan);
    lc_free(wasm);
    CHECK_MSG(rc == LC_OK, "%s", err.msg);
    CHECK(res.updated);
    CHECK_EQ_INT(balance(db, 2), 10);
    CHECK_EQ_INT(call(db, "transfer", a, transfer_args(a, 0, 2, 5)).outcome.status, MOD_OK);
    /* chat instead of bank removes the non-empty table `accounts`: refused. */
    wasm = fixture_example("chat", &len);
    CHECK(wasm);
    rc = publish(db, wasm, len, false, &err, &res);
    CHECK_EQ_INT(rc, LC_EINVAL);
    CHECK_MSG(strstr(err.msg, "accounts"), "%s", err.msg);
    lc_buf_free(&res.plan);
    CHECK_EQ_INT(balance(db, 2), 15); /* bank still serves */
    CHECK_EQ_INT(call(db, "transfer", a, transfer_args(a, 2, 0, 1)).outcome.status, MOD_OK);
    /* ...unless the publisher clears the data. */
    rc = publish(db, wasm, len, true, &err, &res);
    lc_buf_free(&res.plan);
    lc_free(wasm);
    CHECK_MSG(rc == LC_OK, "%s", err.msg);
    uint32_t id;
    CHECK(store_table_id(db_store(db), "accounts", &id) == LC_ENOTFOUND);
    CHECK_OK(store_table_id(db_store(db), "user", &id));
    finish(db);
}

TEST(republish_migrates_with_clients_connected)
{
    db_t *db;
    CHECK_OK(open_db(NULL, 0, &db));
    lc_err_t err;
    CHECK_MSG(publish_hostile(db, "ok", &err) == LC_OK, "%s", err.msg);
    CHECK_EQ_INT(call(db, "ok", NULL, 0).outcome.status, MOD_OK);
    CHECK_EQ_INT(call(db, "ok", NULL, 0).outcome.status, MOD_OK);
    mod_caller_t c = caller_of(5);
    mod_outcome_t o;
    CHECK_OK(db_connect(db, c.identity, c.connection_id, NULL, &o));
    CHECK_EQ_INT(o.status, MOD_OK);
    /* Adding a table is an automatic migration: data and clients stay. */
    CHECK_MSG(publish_hostile(db, "extra-table", &err) == LC_OK, "%s", err.msg);
    CHECK_EQ_INT(thing_rows(db), 2);
    uint32_t id;
    CHECK_OK(store_table_id(db_store(db), "extra", &id));
    CHECK_EQ_INT(count_rows(db, "st_client"), 1);
    CHECK_EQ_INT(call(db, "ok", NULL, 0).outcome.status, MOD_OK);
    CHECK_EQ_INT(thing_rows(db), 3);
    /* Removing the (empty) table again is allowed too. */
    CHECK_MSG(publish_hostile(db, "ok", &err) == LC_OK, "%s", err.msg);
    CHECK(store_table_id(db_store(db), "extra", &id) == LC_ENOTFOUND);
    CHECK_EQ_INT(thing_rows(db), 3);
    CHECK_OK(db_disconnect(db, c.identity, c.connection_id));
    CHECK_EQ_INT(count_rows(db, "st_client"), 0);
    finish(db);
}

const test_case_t test_db_cases[] = {
    TEST_CASE(bank_publish_seed_transfer),
    TEST_CASE(bank_user_errors_roll_back),
    TEST_CASE(bad_requests_never_reach_the_module),
    TEST_CASE(bank_survives_restart),
    TEST_CASE(chat_lifecycle_and_messages),
    TEST_CASE(alltypes_schedule_fires),
    TEST_CASE(hostile_module_calls),
    TEST_CASE(hostile_module_load_errors),
    TEST_CASE(republish_allowed_and_refused),
    TEST_CASE(republish_migrates_with_clients_connected),
    TEST_CASE(alltypes_round_trip_byte_for_byte),
    TEST_CASE(one_shot_schedule_runs_once_and_is_deleted),
    TEST_CASE(client_connected_may_refuse),
    TEST_END,
};
