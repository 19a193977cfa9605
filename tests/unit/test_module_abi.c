/* Unit tests for the host ABI (src/module/abi*.c): every one of the 30
 * imports called as the engine would, against a real store and a fake
 * 1 MiB linear memory, with traps and hook calls recorded. */
#include <stdlib.h>

#include "module/mod_abi.h"
#include "test.h"

/* ---------------------------------------------------------------- fixture */

#define MEM_SIZE (1u << 20)
/* Fixed guest addresses used by the tests. */
#define A_NAME 0x100u
#define A_OUT  0x800u
#define A_LEN  0x900u
#define A_ROW  0x1000u
#define A_B1   0x2000u
#define A_B2   0x2800u
#define A_BUF  0x10000u /* 512 KiB of room for iteration */

typedef struct logrec {
    mod_log_level_t level;
    bool has_target, has_filename, has_function;
    char target[64], filename[64], function[64], message[256];
    uint32_t line;
} logrec_t;

static struct fx {
    store_db_t *db;
    store_tx_t *tx;
    uint32_t person, ix_id, ix_name, ix_age_hash, ix_age_name;
    mod_abi_ctx_t ctx;
    lc_map_t table_aliases, index_aliases;
    uint8_t *mem;
    int traps;
    char trap_msg[1024];
    int nlogs;
    logrec_t logs[16];
    /* schedule hook */
    int sched_calls, sched_result;
    uint32_t sched_table;
    uint8_t sched_row[64];
    size_t sched_len;
    /* other hooks */
    const char *jwt_payload;
    int imm_calls;
    char imm_name[64];
    uint8_t imm_args[16];
    size_t imm_args_len;
    int tx_begins, tx_commits, tx_aborts;
    int64_t slept_until;
    int http_mode; /* 0 ok, 1 transport error */
} F;

static uint8_t *fake_memory(void *inst, uint64_t *size)
{
    (void)inst;
    *size = MEM_SIZE;
    return F.mem;
}

static void fake_trap(void *inst, const char *msg)
{
    (void)inst;
    F.traps++;
    snprintf(F.trap_msg, sizeof F.trap_msg, "%s", msg);
}

static void copy_bytes(char *dst, size_t cap, mod_log_bytes_t b, bool *present)
{
    if (present)
        *present = b.p != NULL;
    size_t n = b.p ? LC_MIN(b.len, cap - 1) : 0;
    if (n)
        memcpy(dst, b.p, n);
    dst[n] = 0;
}

static void log_hook(void *arg, const mod_log_record_t *rec)
{
    (void)arg;
    if (F.nlogs == (int)LC_ARRAY_LEN(F.logs))
        return;
    logrec_t *l = &F.logs[F.nlogs++];
    l->level = rec->level;
    l->line = rec->line;
    copy_bytes(l->target, sizeof l->target, rec->target, &l->has_target);
    copy_bytes(l->filename, sizeof l->filename, rec->filename, &l->has_filename);
    copy_bytes(l->function, sizeof l->function, rec->function, &l->has_function);
    copy_bytes(l->message, sizeof l->message, rec->message, NULL);
}

static int schedule_hook(void *arg, uint32_t table_id, const uint8_t *row, size_t len)
{
    (void)arg;
    F.sched_calls++;
    F.sched_table = table_id;
    F.sched_len = LC_MIN(len, sizeof F.sched_row);
    memcpy(F.sched_row, row, F.sched_len);
    return F.sched_result;
}

static int jwt_hook(void *arg, const uint8_t cid[16], const uint8_t **payload, size_t *len)
{
    (void)arg;
    *payload = cid[0] == 7 ? (const uint8_t *)F.jwt_payload : NULL;
    *len = *payload ? strlen(F.jwt_payload) : 0;
    return LC_OK;
}

static int tx_begin_hook(void *arg, store_tx_t **tx, lc_err_t *err)
{
    (void)arg;
    F.tx_begins++;
    return store_tx_begin(F.db, tx, err);
}

static int tx_commit_hook(void *arg, store_tx_t *tx, lc_err_t *err)
{
    (void)arg;
    F.tx_commits++;
    store_changeset_t cs;
    int rc = store_tx_commit(tx, &cs, err);
    if (rc == LC_OK)
        store_changeset_free(&cs);
    return rc;
}

static void tx_abort_hook(void *arg, store_tx_t *tx)
{
    (void)arg;
    F.tx_aborts++;
    store_tx_rollback(tx);
}

static int immediate_hook(void *arg, const char *name, size_t name_len, const uint8_t *args,
                          size_t args_len)
{
    (void)arg;
    F.imm_calls++;
    snprintf(F.imm_name, sizeof F.imm_name, "%.*s", (int)name_len, name);
    F.imm_args_len = LC_MIN(args_len, sizeof F.imm_args);
    memcpy(F.imm_args, args, F.imm_args_len);
    return LC_OK;
}

static int64_t sleep_hook(void *arg, int64_t wake_at_us)
{
    (void)arg;
    F.slept_until = wake_at_us;
    return wake_at_us + 5;
}

static int http_hook(void *arg, const uint8_t *req, size_t req_len, const uint8_t *body,
                     size_t body_len, lc_buf_t *resp, lc_buf_t *resp_body, lc_buf_t *error)
{
    (void)arg, (void)req, (void)req_len;
    if (F.http_mode == 1) {
        lc_buf_puts(error, "connection refused");
        return MOD_ERRNO_HTTP_ERROR;
    }
    lc_buf_append(resp, "RESP", 4);
    lc_buf_append(resp_body, body, body_len);
    return 0;
}

/* person(id: u32 pk auto_inc, name: String unique, age: u8), indexes:
 * id (btree, unique), name (btree, unique), age (hash), (age, name) btree. */
static int make_person(void)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char *names[] = {"id", "name", "age"};
    const sats_type_t *types[] = {sats_prim(SATS_U32), sats_prim(SATS_STRING), sats_prim(SATS_U8)};
    static const uint16_t c0[] = {0}, c1[] = {1}, c2[] = {2}, c21[] = {2, 1};
    store_index_def_t idx[] = {{"person_id_idx_btree", STORE_INDEX_BTREE, 1, c0},
                               {"person_name_idx_btree", STORE_INDEX_BTREE, 1, c1},
                               {"person_age_idx_hash", STORE_INDEX_HASH, 1, c2},
                               {"person_age_name_idx_btree", STORE_INDEX_BTREE, 2, c21}};
    store_constraint_def_t cons[] = {{"person_id_key", 1, c0}, {"person_name_key", 1, c1}};
    store_sequence_def_t seq[] = {{"person_id_seq", 0, 1, 1, (__int128)UINT32_MAX, 1}};
    store_table_def_t def = {.name = "person",
                             .row_type = sats_type_product(&a, 3, names, types),
                             .primary_key = 0,
                             .type = STORE_TABLE_USER,
                             .access = STORE_PUBLIC,
                             .nindexes = 4,
                             .indexes = idx,
                             .nconstraints = 2,
                             .constraints = cons,
                             .nsequences = 1,
                             .sequences = seq};
    store_tx_t *tx;
    lc_err_t err;
    int rc = store_tx_begin(F.db, &tx, &err);
    if (rc == LC_OK) {
        rc = store_create_table(tx, &def, &F.person, &err);
        rc = store_tx_end(tx, rc, &err);
    }
    lc_arena_free(&a);
    if (rc == LC_OK)
        rc = store_index_id(F.db, "person_id_idx_btree", &F.ix_id);
    if (rc == LC_OK)
        rc = store_index_id(F.db, "person_name_idx_btree", &F.ix_name);
    if (rc == LC_OK)
        rc = store_index_id(F.db, "person_age_idx_hash", &F.ix_age_hash);
    if (rc == LC_OK)
        rc = store_index_id(F.db, "person_age_name_idx_btree", &F.ix_age_name);
    return rc;
}

/* Open a database with the person table and a context over fake memory;
 * with_tx: a transaction is open and current. */
static int setup(bool with_tx)
{
    memset(&F, 0, sizeof F);
    F.mem = calloc(1, MEM_SIZE);
    if (F.mem == NULL || store_db_open(&F.db, NULL) != LC_OK || make_person() != LC_OK)
        return -1;
    mod_abi_ctx_init(&F.ctx);
    F.ctx.memory = fake_memory;
    F.ctx.trap = fake_trap;
    F.ctx.db = F.db;
    for (int i = 0; i < 32; i++) F.ctx.database_identity[i] = (uint8_t)(0xA0 + i);
    lc_map_init(&F.table_aliases);
    lc_map_init(&F.index_aliases);
    mod_abi_alias_put(&F.table_aliases, "Person", F.person);
    mod_abi_alias_put(&F.index_aliases, "person_id_idx", F.ix_id);
    F.ctx.table_aliases = &F.table_aliases;
    F.ctx.index_aliases = &F.index_aliases;
    F.ctx.func_name = "add_person";
    F.ctx.hooks.log = log_hook;
    mod_abi_call_begin(&F.ctx);
    if (with_tx && store_tx_begin(F.db, &F.tx, NULL) != LC_OK)
        return -1;
    F.ctx.tx = F.tx;
    return 0;
}

static void teardown(void)
{
    mod_abi_call_end(&F.ctx);
    if (F.ctx.tx && F.ctx.tx != F.tx)
        store_tx_rollback(F.ctx.tx);
    if (F.tx)
        store_tx_rollback(F.tx);
    mod_abi_ctx_free(&F.ctx);
    lc_map_free(&F.table_aliases);
    lc_map_free(&F.index_aliases);
    store_db_close(F.db);
    free(F.mem);
}

/* ---------------------------------------------------------------- guest helpers */

#define C        (&F.ctx)
#define ERR_NEG1 ((uint32_t)-1)

static void put(uint32_t at, const void *p, size_t n)
{
    memcpy(F.mem + at, p, n);
}

static uint32_t put_str(uint32_t at, const char *s)
{
    put(at, s, strlen(s));
    return (uint32_t)strlen(s);
}

static void put_u32(uint32_t at, uint32_t v)
{
    lc_store_u32le(F.mem + at, v);
}

static uint32_t get_u32(uint32_t at)
{
    return lc_load_u32le(F.mem + at);
}

static uint64_t get_u64(uint32_t at)
{
    return lc_load_u64le(F.mem + at);
}

static size_t person_row(uint8_t *out, uint32_t id, const char *name, uint8_t age)
{
    size_t n = strlen(name);
    lc_store_u32le(out, id);
    lc_store_u32le(out + 4, (uint32_t)n);
    memcpy(out + 8, name, n);
    out[8 + n] = age;
    return 9 + n;
}

/* Insert a person through the ABI; returns the errno. */
static uint32_t abi_insert(uint32_t id, const char *name, uint8_t age)
{
    size_t n = person_row(F.mem + A_ROW, id, name, age);
    put_u32(A_LEN, (uint32_t)n);
    return mod_abi__datastore_insert_bsatn(C, F.person, A_ROW, A_LEN);
}

/* Drain iterator `it` with a big buffer into out; returns rows' bytes. */
static size_t drain(uint32_t it, uint8_t *out, size_t cap)
{
    size_t total = 0;
    for (;;) {
        put_u32(A_LEN, 256 * 1024);
        uint32_t rc = mod_abi__row_iter_bsatn_advance(C, it, A_BUF, A_LEN);
        if (rc != 0 && rc != ERR_NEG1)
            return (size_t)-1;
        uint32_t n = get_u32(A_LEN);
        if (total + n <= cap)
            memcpy(out + total, F.mem + A_BUF, n);
        total += n;
        if (rc == ERR_NEG1)
            return total;
    }
}

/* Bound<String> at `at`: tag 0 Included, 1 Excluded, 2 Unbounded. */
static uint32_t put_bound(uint32_t at, uint8_t tag, const char *s)
{
    F.mem[at] = tag;
    if (tag == 2)
        return 1;
    put_u32(at + 1, (uint32_t)strlen(s));
    return 5 + put_str(at + 5, s);
}

#define CHECK_TRAP(expr, substr)                                                                   \
    do {                                                                                           \
        int before_ = F.traps;                                                                     \
        (void)(expr);                                                                              \
        CHECK_MSG(F.traps == before_ + 1, "%s did not trap", #expr);                               \
        CHECK_MSG(strstr(F.trap_msg, substr) != NULL, "trap message \"%s\" lacks \"%s\"",          \
                  F.trap_msg, substr);                                                             \
    } while (0)

#define CHECK_NO_TRAP() CHECK_MSG(F.traps == 0, "unexpected trap: %s", F.trap_msg)

/* ---------------------------------------------------------------- the table */

TEST(abi_table_lists_all_thirty_imports)
{
    static const char *const want[][3] = {
        {"spacetime_10.0", "table_id_from_name", "iii:i"},
        {"spacetime_10.0", "index_id_from_name", "iii:i"},
        {"spacetime_10.0", "datastore_table_row_count", "ii:i"},
        {"spacetime_10.0", "datastore_table_scan_bsatn", "ii:i"},
        {"spacetime_10.0", "datastore_index_scan_range_bsatn", "iiiiiiiii:i"},
        {"spacetime_10.0", "datastore_btree_scan_bsatn", "iiiiiiiii:i"},
        {"spacetime_10.0", "row_iter_bsatn_advance", "iii:i"},
        {"spacetime_10.0", "row_iter_bsatn_close", "i:i"},
        {"spacetime_10.0", "datastore_insert_bsatn", "iii:i"},
        {"spacetime_10.0", "datastore_update_bsatn", "iiii:i"},
        {"spacetime_10.0", "datastore_delete_by_index_scan_range_bsatn", "iiiiiiiii:i"},
        {"spacetime_10.0", "datastore_delete_by_btree_scan_bsatn", "iiiiiiiii:i"},
        {"spacetime_10.0", "datastore_delete_all_by_eq_bsatn", "iiii:i"},
        {"spacetime_10.0", "bytes_source_read", "iii:i"},
        {"spacetime_10.0", "bytes_sink_write", "iii:i"},
        {"spacetime_10.0", "console_log", "iiiiiiii:"},
        {"spacetime_10.0", "console_timer_start", "ii:i"},
        {"spacetime_10.0", "console_timer_end", "i:i"},
        {"spacetime_10.0", "identity", "i:"},
        {"spacetime_10.0", "volatile_nonatomic_schedule_immediate", "iiii:"},
        {"spacetime_10.1", "bytes_source_remaining_length", "ii:i"},
        {"spacetime_10.2", "get_jwt", "ii:i"},
        {"spacetime_10.3", "procedure_sleep_until", "I:I"},
        {"spacetime_10.3", "procedure_start_mut_tx", "i:i"},
        {"spacetime_10.3", "procedure_commit_mut_tx", ":i"},
        {"spacetime_10.3", "procedure_abort_mut_tx", ":i"},
        {"spacetime_10.3", "procedure_http_request", "iiiii:i"},
        {"spacetime_10.4", "datastore_index_scan_point_bsatn", "iiii:i"},
        {"spacetime_10.4", "datastore_delete_by_index_scan_point_bsatn", "iiii:i"},
        {"spacetime_10.5", "datastore_clear", "ii:i"},
    };
    size_t n;
    const wasm_host_fn_t *fns = mod_abi_host_fns(&n);
    CHECK_EQ_INT(n, 30);
    for (size_t i = 0; i < LC_ARRAY_LEN(want); i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++) {
            if (strcmp(fns[j].module, want[i][0]) || strcmp(fns[j].name, want[i][1]))
                continue;
            CHECK_MSG(!found, "%s listed twice", want[i][1]);
            CHECK_EQ_STR(fns[j].sig, want[i][2]);
            CHECK(fns[j].fn != NULL);
            found = true;
        }
        CHECK_MSG(found, "%s.%s missing", want[i][0], want[i][1]);
    }
    /* the deprecated names are the same functions */
    const void *range = NULL, *btree = NULL;
    for (size_t j = 0; j < n; j++) {
        if (!strcmp(fns[j].name, "datastore_index_scan_range_bsatn"))
            range = fns[j].fn;
        if (!strcmp(fns[j].name, "datastore_btree_scan_bsatn"))
            btree = fns[j].fn;
    }
    CHECK(range == btree);
}

/* ---------------------------------------------------------------- lookups */

TEST(abi_name_lookups_canonical_alias_and_errors)
{
    CHECK_OK(setup(true));
    uint32_t n = put_str(A_NAME, "person");
    CHECK_EQ_INT(mod_abi__table_id_from_name(C, A_NAME, n, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), F.person);
    put_u32(A_OUT, 0);
    n = put_str(A_NAME, "Person"); /* source name */
    CHECK_EQ_INT(mod_abi__table_id_from_name(C, A_NAME, n, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), F.person);
    n = put_str(A_NAME, "st_table"); /* system tables resolve too */
    CHECK_EQ_INT(mod_abi__table_id_from_name(C, A_NAME, n, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), STORE_ST_TABLE);
    put_u32(A_OUT, 0xDEAD);
    n = put_str(A_NAME, "nobody");
    CHECK_EQ_INT(mod_abi__table_id_from_name(C, A_NAME, n, A_OUT), MOD_ERRNO_NO_SUCH_TABLE);
    CHECK_EQ_INT(get_u32(A_OUT), 0xDEAD);
    put(A_NAME, "per\0son", 7); /* an interior NUL matches nothing */
    CHECK_EQ_INT(mod_abi__table_id_from_name(C, A_NAME, 7, A_OUT), MOD_ERRNO_NO_SUCH_TABLE);

    n = put_str(A_NAME, "person_age_idx_hash");
    CHECK_EQ_INT(mod_abi__index_id_from_name(C, A_NAME, n, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), F.ix_age_hash);
    n = put_str(A_NAME, "person_id_idx");
    CHECK_EQ_INT(mod_abi__index_id_from_name(C, A_NAME, n, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), F.ix_id);
    n = put_str(A_NAME, "person_idx_direct");
    CHECK_EQ_INT(mod_abi__index_id_from_name(C, A_NAME, n, A_OUT), MOD_ERRNO_NO_SUCH_INDEX);
    CHECK_NO_TRAP();

    F.mem[A_NAME] = 0xFF;
    CHECK_TRAP(mod_abi__table_id_from_name(C, A_NAME, 3, A_OUT), "table_id_from_name: name");
    CHECK_TRAP(mod_abi__index_id_from_name(C, A_NAME, 3, A_OUT), "not valid UTF-8");
    CHECK_TRAP(mod_abi__table_id_from_name(C, 0, 0, A_OUT), "null pointer");
    CHECK_TRAP(mod_abi__index_id_from_name(C, 0, 0, A_OUT), "null pointer");
    CHECK_TRAP(mod_abi__table_id_from_name(C, MEM_SIZE - 2, 3, A_OUT), "out of bounds");
    CHECK_TRAP(mod_abi__index_id_from_name(C, 0xFFFFFFFFu, 0xFFFFFFFFu, A_OUT), "out of bounds");
    n = put_str(A_NAME, "person");
    CHECK_TRAP(mod_abi__table_id_from_name(C, A_NAME, n, 0), "out");
    CHECK_TRAP(mod_abi__table_id_from_name(C, A_NAME, n, MEM_SIZE - 3), "out of bounds");
    n = put_str(A_NAME, "person_id_idx_btree");
    CHECK_TRAP(mod_abi__index_id_from_name(C, A_NAME, n, MEM_SIZE), "out of bounds");
    CHECK_TRAP(mod_abi__index_id_from_name(C, A_NAME, n, 0), "out is a null pointer");

    F.ctx.tx = NULL;
    CHECK_EQ_INT(mod_abi__table_id_from_name(C, A_NAME, n, A_OUT), MOD_ERRNO_NOT_IN_TRANSACTION);
    CHECK_EQ_INT(mod_abi__index_id_from_name(C, A_NAME, n, A_OUT), MOD_ERRNO_NOT_IN_TRANSACTION);
    /* the name is checked before the transaction */
    CHECK_TRAP(mod_abi__table_id_from_name(C, 0, 0, A_OUT), "null pointer");
    teardown();
}

/* ---------------------------------------------------------------- insert and update */

TEST(abi_insert_writes_back_generated_columns)
{
    CHECK_OK(setup(true));
    CHECK_EQ_INT(abi_insert(0, "alice", 30), 0);
    CHECK_EQ_INT(get_u32(A_LEN), 4); /* just the generated id */
    CHECK_EQ_INT(get_u32(A_ROW), 1);
    CHECK_EQ_INT(abi_insert(0, "bob", 31), 0);
    CHECK_EQ_INT(get_u32(A_LEN), 4);
    CHECK_EQ_INT(get_u32(A_ROW), 2);
    /* a non-zero id is stored as given: nothing generated */
    CHECK_EQ_INT(abi_insert(10, "carol", 32), 0);
    CHECK_EQ_INT(get_u32(A_LEN), 0);
    CHECK_EQ_INT(get_u32(A_ROW), 10);
    /* set semantics: the identical row again is a no-op */
    CHECK_EQ_INT(abi_insert(10, "carol", 32), 0);
    CHECK_EQ_INT(mod_abi__datastore_table_row_count(C, F.person, A_OUT), 0);
    CHECK_EQ_INT(get_u64(A_OUT), 3);
    /* unique violations */
    CHECK_EQ_INT(abi_insert(10, "dave", 33), MOD_ERRNO_UNIQUE_ALREADY_EXISTS);
    CHECK_EQ_INT(abi_insert(11, "alice", 33), MOD_ERRNO_UNIQUE_ALREADY_EXISTS);
    /* bytes that are not one row */
    size_t len = person_row(F.mem + A_ROW, 12, "eve", 1);
    put_u32(A_LEN, (uint32_t)len - 1);
    CHECK_EQ_INT(mod_abi__datastore_insert_bsatn(C, F.person, A_ROW, A_LEN),
                 MOD_ERRNO_BSATN_DECODE_ERROR);
    put_u32(A_LEN, (uint32_t)len + 1);
    CHECK_EQ_INT(mod_abi__datastore_insert_bsatn(C, F.person, A_ROW, A_LEN),
                 MOD_ERRNO_BSATN_DECODE_ERROR);
    put_u32(A_LEN, (uint32_t)len);
    CHECK_EQ_INT(mod_abi__datastore_insert_bsatn(C, 999999, A_ROW, A_LEN), MOD_ERRNO_NO_SUCH_TABLE);
    CHECK_EQ_INT(get_u32(A_LEN), len); /* errors leave the length alone */
    CHECK_NO_TRAP();

    CHECK_TRAP(mod_abi__datastore_insert_bsatn(C, F.person, 0, A_LEN), "row is a null pointer");
    put_u32(A_LEN, 0);
    CHECK_TRAP(mod_abi__datastore_insert_bsatn(C, F.person, 0, A_LEN), "null pointer");
    CHECK_TRAP(mod_abi__datastore_insert_bsatn(C, F.person, A_ROW, 0), "row_len_ptr");
    put_u32(A_LEN, 64);
    CHECK_TRAP(mod_abi__datastore_insert_bsatn(C, F.person, MEM_SIZE - 32, A_LEN),
               "datastore_insert_bsatn: row");
    CHECK_TRAP(mod_abi__datastore_insert_bsatn(C, F.person, A_ROW, MEM_SIZE - 2), "out of bounds");

    F.ctx.tx = NULL;
    len = person_row(F.mem + A_ROW, 0, "zed", 1);
    put_u32(A_LEN, (uint32_t)len);
    CHECK_EQ_INT(mod_abi__datastore_insert_bsatn(C, F.person, A_ROW, A_LEN),
                 MOD_ERRNO_NOT_IN_TRANSACTION);
    CHECK_EQ_INT(get_u32(A_ROW), 0); /* untouched */
    teardown();
}

TEST(abi_insert_calls_the_schedule_hook)
{
    CHECK_OK(setup(true));
    F.ctx.hooks.schedule = schedule_hook;
    CHECK_EQ_INT(abi_insert(0, "alice", 30), 0);
    CHECK_EQ_INT(F.sched_calls, 1);
    CHECK_EQ_INT(F.sched_table, F.person);
    uint8_t want[32];
    size_t n = person_row(want, 1, "alice", 30); /* the stored row, id filled */
    CHECK_EQ_INT(F.sched_len, n);
    CHECK_EQ_MEM(F.sched_row, want, n);

    F.sched_result = MOD_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG;
    CHECK_EQ_INT(abi_insert(0, "bob", 30), MOD_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG);
    uint32_t len = (uint32_t)person_row(want, 0, "bob", 30);
    CHECK_EQ_INT(get_u32(A_LEN), len); /* the length is not rewritten */
    CHECK_EQ_INT(get_u32(A_ROW), 2);   /* the buffer is, as in the reference */
    CHECK_EQ_INT(mod_abi__datastore_table_row_count(C, F.person, A_OUT), 0);
    CHECK_EQ_INT(get_u64(A_OUT), 2); /* the row stays written */

    F.sched_result = LC_ENOMEM;
    CHECK_TRAP(abi_insert(0, "carol", 30), "datastore_insert_bsatn: scheduling");
    F.sched_result = 0;
    person_row(F.mem + A_ROW, 1, "alice2", 30);
    put_u32(A_LEN, (uint32_t)person_row(F.mem + A_ROW, 1, "alice2", 30));
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, F.person, F.ix_id, A_ROW, A_LEN), 0);
    CHECK_EQ_INT(F.sched_calls, 4);
    teardown();
}

TEST(abi_update_replaces_by_unique_index)
{
    CHECK_OK(setup(true));
    CHECK_EQ_INT(abi_insert(0, "alice", 30), 0);
    CHECK_EQ_INT(abi_insert(0, "bob", 31), 0);
    /* by the primary key */
    size_t len = person_row(F.mem + A_ROW, 1, "alicia", 40);
    put_u32(A_LEN, (uint32_t)len);
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, F.person, F.ix_id, A_ROW, A_LEN), 0);
    CHECK_EQ_INT(get_u32(A_LEN), 0);
    put_u32(A_B1, 1);
    CHECK_EQ_INT(mod_abi__datastore_index_scan_point_bsatn(C, F.ix_id, A_B1, 4, A_OUT), 0);
    uint8_t got[64], want[64];
    CHECK_EQ_INT(drain(get_u32(A_OUT), got, sizeof got), len);
    person_row(want, 1, "alicia", 40);
    CHECK_EQ_MEM(got, want, len);
    /* by the unique name, with the id generated: written back */
    len = person_row(F.mem + A_ROW, 0, "bob", 50);
    put_u32(A_LEN, (uint32_t)len);
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, F.person, F.ix_name, A_ROW, A_LEN), 0);
    CHECK_EQ_INT(get_u32(A_LEN), 4);
    CHECK_EQ_INT(get_u32(A_ROW), 3);
    CHECK_EQ_INT(mod_abi__datastore_table_row_count(C, F.person, A_OUT), 0);
    CHECK_EQ_INT(get_u64(A_OUT), 2);

    /* errors */
    len = person_row(F.mem + A_ROW, 1, "bob", 40); /* name of row 3 */
    put_u32(A_LEN, (uint32_t)len);
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, F.person, F.ix_id, A_ROW, A_LEN),
                 MOD_ERRNO_UNIQUE_ALREADY_EXISTS);
    len = person_row(F.mem + A_ROW, 77, "nobody", 40);
    put_u32(A_LEN, (uint32_t)len);
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, F.person, F.ix_id, A_ROW, A_LEN),
                 MOD_ERRNO_NO_SUCH_ROW);
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, F.person, F.ix_age_hash, A_ROW, A_LEN),
                 MOD_ERRNO_INDEX_NOT_UNIQUE);
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, F.person, F.ix_age_name, A_ROW, A_LEN),
                 MOD_ERRNO_INDEX_NOT_UNIQUE);
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, F.person, 999999, A_ROW, A_LEN),
                 MOD_ERRNO_NO_SUCH_INDEX);
    uint32_t foreign;
    CHECK_OK(store_index_id(F.db, "st_table_table_id_idx_btree", &foreign));
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, F.person, foreign, A_ROW, A_LEN),
                 MOD_ERRNO_NO_SUCH_INDEX); /* an index of another table */
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, 999999, F.ix_id, A_ROW, A_LEN),
                 MOD_ERRNO_NO_SUCH_TABLE);
    put_u32(A_LEN, (uint32_t)len - 2);
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, F.person, F.ix_id, A_ROW, A_LEN),
                 MOD_ERRNO_BSATN_DECODE_ERROR);
    CHECK_NO_TRAP();
    CHECK_TRAP(mod_abi__datastore_update_bsatn(C, F.person, F.ix_id, 0, A_LEN), "null pointer");
    CHECK_TRAP(mod_abi__datastore_update_bsatn(C, F.person, F.ix_id, A_ROW, 0), "row_len_ptr");
    CHECK_TRAP(mod_abi__datastore_update_bsatn(C, F.person, F.ix_id, MEM_SIZE - 1, A_LEN),
               "out of bounds");
    F.ctx.tx = NULL;
    CHECK_EQ_INT(mod_abi__datastore_update_bsatn(C, F.person, F.ix_id, A_ROW, A_LEN),
                 MOD_ERRNO_NOT_IN_TRANSACTION);
    teardown();
}

/* ---------------------------------------------------------------- scans and iteration */

TEST(abi_row_count_scan_and_chunked_iteration)
{
    CHECK_OK(setup(true));
    /* an empty table: a real iterator that ends at once */
    CHECK_EQ_INT(mod_abi__datastore_table_scan_bsatn(C, F.person, A_OUT), 0);
    uint32_t it = get_u32(A_OUT);
    CHECK_EQ_INT(it, 1);
    put_u32(A_LEN, 16);
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_advance(C, it, A_BUF, A_LEN), ERR_NEG1);
    CHECK_EQ_INT(get_u32(A_LEN), 0);
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_advance(C, it, A_BUF, A_LEN), MOD_ERRNO_NO_SUCH_ITER);

    /* 100 rows of 1009 bytes: chunks close past 32768 bytes, every 33 rows */
    char name[1001];
    memset(name, 'x', 1000);
    name[1000] = 0;
    for (int i = 0; i < 100; i++) {
        name[0] = (char)('A' + i / 26), name[1] = (char)('a' + i % 26);
        CHECK_EQ_INT(abi_insert(0, name, (uint8_t)i), 0);
    }
    CHECK_EQ_INT(mod_abi__datastore_table_row_count(C, F.person, A_OUT), 0);
    CHECK_EQ_INT(get_u64(A_OUT), 100);
    store_rows_t rows;
    store_rows_init(&rows);
    CHECK_OK(store_tx_scan(F.tx, F.person, &rows, NULL));
    CHECK_EQ_INT(rows.data.len, 100 * 1009);

    CHECK_EQ_INT(mod_abi__datastore_table_scan_bsatn(C, F.person, A_OUT), 0);
    it = get_u32(A_OUT);
    CHECK_EQ_INT(it, 1); /* the freed slot is reused */
    put_u32(A_LEN, 1000);
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_advance(C, it, A_BUF, A_LEN), MOD_ERRNO_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(get_u32(A_LEN), 33 * 1009); /* the next chunk's size */
    put_u32(A_LEN, 33 * 1009 + 1008);        /* one chunk fits, not two */
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_advance(C, it, A_BUF, A_LEN), 0);
    CHECK_EQ_INT(get_u32(A_LEN), 33 * 1009);
    CHECK_EQ_MEM(F.mem + A_BUF, rows.data.data, 33 * 1009);
    put_u32(A_LEN, 2 * 33 * 1009);
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_advance(C, it, A_BUF, A_LEN), 0);
    CHECK_EQ_INT(get_u32(A_LEN), 2 * 33 * 1009);
    CHECK_EQ_MEM(F.mem + A_BUF, rows.data.data + 33 * 1009, 2 * 33 * 1009);
    put_u32(A_LEN, 5000);
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_advance(C, it, A_BUF, A_LEN), ERR_NEG1);
    CHECK_EQ_INT(get_u32(A_LEN), 1009);
    CHECK_EQ_MEM(F.mem + A_BUF, rows.data.data + 99 * 1009, 1009);
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_close(C, it), MOD_ERRNO_NO_SUCH_ITER);

    /* snapshot semantics: rows written after the scan are not seen */
    CHECK_EQ_INT(mod_abi__datastore_table_scan_bsatn(C, F.person, A_OUT), 0);
    it = get_u32(A_OUT);
    CHECK_EQ_INT(abi_insert(0, "late", 1), 0);
    static uint8_t all[120 * 1024];
    CHECK_EQ_INT(drain(it, all, sizeof all), rows.data.len);
    CHECK_EQ_MEM(all, rows.data.data, rows.data.len);
    store_rows_free(&rows);

    /* slab ids: 1 and 2 open, 1 closed, then 1 again */
    CHECK_EQ_INT(mod_abi__datastore_table_scan_bsatn(C, F.person, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), 1);
    CHECK_EQ_INT(mod_abi__datastore_table_scan_bsatn(C, F.person, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), 2);
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_close(C, 1), 0);
    CHECK_EQ_INT(mod_abi__datastore_table_scan_bsatn(C, F.person, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), 1);
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_close(C, 0), MOD_ERRNO_NO_SUCH_ITER);
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_close(C, 9), MOD_ERRNO_NO_SUCH_ITER);
    put_u32(A_LEN, 10);
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_advance(C, 9, 0, 0), MOD_ERRNO_NO_SUCH_ITER);

    /* errors */
    CHECK_EQ_INT(mod_abi__datastore_table_scan_bsatn(C, 999999, A_OUT), MOD_ERRNO_NO_SUCH_TABLE);
    CHECK_EQ_INT(mod_abi__datastore_table_row_count(C, 999999, A_OUT), MOD_ERRNO_NO_SUCH_TABLE);
    CHECK_NO_TRAP();
    put_u32(A_LEN, 0);
    CHECK_TRAP(mod_abi__row_iter_bsatn_advance(C, 1, 0, A_LEN), "buffer is a null pointer");
    CHECK_TRAP(mod_abi__row_iter_bsatn_advance(C, 1, A_BUF, 0), "buffer_len_ptr");
    put_u32(A_LEN, 100);
    CHECK_TRAP(mod_abi__row_iter_bsatn_advance(C, 1, MEM_SIZE - 50, A_LEN), "out of bounds");
    CHECK_TRAP(mod_abi__row_iter_bsatn_advance(C, 1, A_BUF, MEM_SIZE - 1), "out of bounds");
    CHECK_TRAP(mod_abi__datastore_table_scan_bsatn(C, F.person, 0), "out is a null pointer");
    CHECK_TRAP(mod_abi__datastore_table_row_count(C, F.person, MEM_SIZE - 4), "out of bounds");
    CHECK_TRAP(mod_abi__datastore_table_row_count(C, F.person, 0), "out is a null pointer");
    CHECK_TRAP(mod_abi__datastore_table_scan_bsatn(C, F.person, MEM_SIZE - 3), "out of bounds");
    F.ctx.tx = NULL;
    CHECK_EQ_INT(mod_abi__datastore_table_scan_bsatn(C, F.person, A_OUT),
                 MOD_ERRNO_NOT_IN_TRANSACTION);
    CHECK_EQ_INT(mod_abi__datastore_table_row_count(C, F.person, A_OUT),
                 MOD_ERRNO_NOT_IN_TRANSACTION);
    teardown();
}

/* Four people for the index tests: (1 ann 30) (2 bea 30) (3 cid 30) (4 dan 40). */
static int four_people(void)
{
    const char *names[] = {"ann", "bea", "cid", "dan"};
    for (int i = 0; i < 4; i++)
        if (abi_insert(0, names[i], i < 3 ? 30 : 40) != 0)
            return -1;
    return 0;
}

/* The ids of the rows an iterator yields, in order, as a string "1,2". */
static void ids_of(uint32_t it, char *out, size_t cap)
{
    uint8_t buf[4096];
    size_t n = drain(it, buf, sizeof buf), off = 0;
    out[0] = 0;
    while (n != (size_t)-1 && off < n) {
        uint32_t id = lc_load_u32le(buf + off), len = lc_load_u32le(buf + off + 4);
        snprintf(out + strlen(out), cap - strlen(out), "%s%u", off ? "," : "", id);
        off += 9 + len;
    }
}

TEST(abi_point_and_range_scans)
{
    CHECK_OK(setup(true));
    CHECK_OK(four_people());
    char ids[64];
    /* point scans on the unique B-tree and the hash index */
    put_u32(A_B1, 2);
    CHECK_EQ_INT(mod_abi__datastore_index_scan_point_bsatn(C, F.ix_id, A_B1, 4, A_OUT), 0);
    ids_of(get_u32(A_OUT), ids, sizeof ids);
    CHECK_EQ_STR(ids, "2");
    F.mem[A_B1] = 30;
    CHECK_EQ_INT(mod_abi__datastore_index_scan_point_bsatn(C, F.ix_age_hash, A_B1, 1, A_OUT), 0);
    ids_of(get_u32(A_OUT), ids, sizeof ids);
    CHECK(strlen(ids) == 5 && strchr(ids, '1') && strchr(ids, '2') && strchr(ids, '3'));
    CHECK_EQ_INT(mod_abi__datastore_index_scan_point_bsatn(C, F.ix_age_hash, A_B1, 2, A_OUT),
                 MOD_ERRNO_BSATN_DECODE_ERROR);
    CHECK_EQ_INT(mod_abi__datastore_index_scan_point_bsatn(C, 999999, A_B1, 1, A_OUT),
                 MOD_ERRNO_NO_SUCH_INDEX);

    /* (age, name): prefix age = 30, name in ["bea", "dan") */
    F.mem[A_NAME] = 30;
    uint32_t sl = put_bound(A_B1, 0, "bea"), el = put_bound(A_B2, 1, "dan");
    CHECK_EQ_INT(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, A_NAME, 1, 1, A_B1, sl,
                                                           A_B2, el, A_OUT),
                 0);
    ids_of(get_u32(A_OUT), ids, sizeof ids);
    CHECK_EQ_STR(ids, "2,3");
    /* name in ("ann", "cid"] */
    sl = put_bound(A_B1, 1, "ann"), el = put_bound(A_B2, 0, "cid");
    CHECK_EQ_INT(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, A_NAME, 1, 1, A_B1, sl,
                                                           A_B2, el, A_OUT),
                 0);
    ids_of(get_u32(A_OUT), ids, sizeof ids);
    CHECK_EQ_STR(ids, "2,3");
    /* no prefix, age unbounded: every row in key order; prefix pointer unused */
    sl = put_bound(A_B1, 2, NULL), el = put_bound(A_B2, 2, NULL);
    CHECK_EQ_INT(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 0, A_B1, sl,
                                                           A_B2, el, A_OUT),
                 0);
    ids_of(get_u32(A_OUT), ids, sizeof ids);
    CHECK_EQ_STR(ids, "1,2,3,4");
    /* age >= 31 (Included on a u8), unbounded end */
    F.mem[A_B1] = 0, F.mem[A_B1 + 1] = 31;
    CHECK_EQ_INT(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 0, A_B1, 2, A_B2,
                                                           el, A_OUT),
                 0);
    ids_of(get_u32(A_OUT), ids, sizeof ids);
    CHECK_EQ_STR(ids, "4");
    /* the deprecated name (same function) on the name index: names < "cid" */
    sl = put_bound(A_B1, 2, NULL), el = put_bound(A_B2, 1, "cid");
    CHECK_EQ_INT(
        mod_abi__datastore_index_scan_range_bsatn(C, F.ix_name, 0, 0, 0, A_B1, sl, A_B2, el, A_OUT),
        0);
    ids_of(get_u32(A_OUT), ids, sizeof ids);
    CHECK_EQ_STR(ids, "1,2");

    /* errors */
    CHECK_EQ_INT(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_hash, 0, 0, 0, A_B1, sl,
                                                           A_B2, el, A_OUT),
                 MOD_ERRNO_WRONG_INDEX_ALGO);
    CHECK_EQ_INT(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_name, A_NAME, 4, 1, A_B1, sl,
                                                           A_B2, el, A_OUT),
                 MOD_ERRNO_BSATN_DECODE_ERROR); /* no column left for the range */
    CHECK_EQ_INT(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, A_NAME, 1, 1, A_B1, 0,
                                                           A_B2, el, A_OUT),
                 MOD_ERRNO_BSATN_DECODE_ERROR); /* an empty bound */
    F.mem[A_B1] = 3;                            /* bad tag */
    CHECK_EQ_INT(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, A_NAME, 1, 1, A_B1, 1,
                                                           A_B2, el, A_OUT),
                 MOD_ERRNO_BSATN_DECODE_ERROR);
    CHECK_EQ_INT(
        mod_abi__datastore_index_scan_range_bsatn(C, 999999, 0, 0, 0, A_B2, el, A_B2, el, A_OUT),
        MOD_ERRNO_NO_SUCH_INDEX);
    CHECK_NO_TRAP();
    el = put_bound(A_B2, 2, NULL);
    CHECK_TRAP(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 70000, A_B2, el,
                                                         A_B2, el, A_OUT),
               "prefix_elems 70000");
    CHECK_TRAP(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, 0, 1, 1, A_B2, el, A_B2,
                                                         el, A_OUT),
               "prefix is a null pointer");
    CHECK_TRAP(
        mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 0, 0, 0, A_B2, el, A_OUT),
        "rstart is a null pointer");
    CHECK_TRAP(
        mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 0, A_B2, el, 0, 0, A_OUT),
        "rend is a null pointer");
    CHECK_TRAP(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 0, A_B2, el,
                                                         MEM_SIZE, 1, A_OUT),
               "out of bounds");
    CHECK_TRAP(
        mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 0, A_B2, el, A_B2, el, 0),
        "out is a null pointer");
    CHECK_TRAP(mod_abi__datastore_index_scan_point_bsatn(C, F.ix_id, 0, 0, A_OUT), "point");
    CHECK_TRAP(mod_abi__datastore_index_scan_point_bsatn(C, F.ix_id, MEM_SIZE - 2, 4, A_OUT),
               "out of bounds");
    F.ctx.tx = NULL;
    CHECK_EQ_INT(mod_abi__datastore_index_scan_point_bsatn(C, F.ix_id, A_B1, 4, A_OUT),
                 MOD_ERRNO_NOT_IN_TRANSACTION);
    CHECK_EQ_INT(mod_abi__datastore_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 0, A_B2, el,
                                                           A_B2, el, A_OUT),
                 MOD_ERRNO_NOT_IN_TRANSACTION);
    teardown();
}

/* ---------------------------------------------------------------- deletes */

TEST(abi_deletes_and_clear_report_counts)
{
    CHECK_OK(setup(true));
    CHECK_OK(four_people());
    /* by point */
    put_u32(A_B1, 4);
    CHECK_EQ_INT(mod_abi__datastore_delete_by_index_scan_point_bsatn(C, F.ix_id, A_B1, 4, A_OUT),
                 0);
    CHECK_EQ_INT(get_u32(A_OUT), 1);
    CHECK_EQ_INT(mod_abi__datastore_delete_by_index_scan_point_bsatn(C, F.ix_id, A_B1, 4, A_OUT),
                 0);
    CHECK_EQ_INT(get_u32(A_OUT), 0);
    CHECK_EQ_INT(mod_abi__datastore_delete_by_index_scan_point_bsatn(C, F.ix_id, A_B1, 3, A_OUT),
                 MOD_ERRNO_BSATN_DECODE_ERROR);
    CHECK_EQ_INT(mod_abi__datastore_delete_by_index_scan_point_bsatn(C, 999999, A_B1, 4, A_OUT),
                 MOD_ERRNO_NO_SUCH_INDEX);
    /* by value: [present, absent] deletes one; a bad second row deletes none */
    uint8_t *p = F.mem + A_ROW;
    lc_store_u32le(p, 2);
    size_t off = 4 + person_row(p + 4, 1, "ann", 30);
    off += person_row(p + off, 9, "zoe", 1);
    CHECK_EQ_INT(
        mod_abi__datastore_delete_all_by_eq_bsatn(C, F.person, A_ROW, (uint32_t)off, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), 1);
    off = 4 + person_row(p + 4, 2, "bea", 30);
    off += person_row(p + off, 3, "cid", 30);
    put_u32(A_OUT, 0xDEAD);
    CHECK_EQ_INT(
        mod_abi__datastore_delete_all_by_eq_bsatn(C, F.person, A_ROW, (uint32_t)off - 1, A_OUT),
        MOD_ERRNO_BSATN_DECODE_ERROR);
    CHECK_EQ_INT(get_u32(A_OUT), 0xDEAD);
    CHECK_EQ_INT(mod_abi__datastore_delete_all_by_eq_bsatn(C, F.person, A_ROW, 3, A_OUT),
                 MOD_ERRNO_BSATN_DECODE_ERROR);
    CHECK_EQ_INT(mod_abi__datastore_delete_all_by_eq_bsatn(C, 999999, A_ROW, (uint32_t)off, A_OUT),
                 MOD_ERRNO_NO_SUCH_TABLE);
    CHECK_EQ_INT(mod_abi__datastore_table_row_count(C, F.person, A_OUT), 0);
    CHECK_EQ_INT(get_u64(A_OUT), 2);
    /* by range: everyone aged 30 (bea, cid) */
    CHECK_EQ_INT(abi_insert(0, "eve", 50), 0);
    F.mem[A_B1] = 0, F.mem[A_B1 + 1] = 30;
    F.mem[A_B2] = 1, F.mem[A_B2 + 1] = 31;
    CHECK_EQ_INT(mod_abi__datastore_delete_by_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 0,
                                                                     A_B1, 2, A_B2, 2, A_OUT),
                 0);
    CHECK_EQ_INT(get_u32(A_OUT), 2);
    CHECK_EQ_INT(mod_abi__datastore_delete_by_index_scan_range_bsatn(C, F.ix_age_hash, 0, 0, 0,
                                                                     A_B1, 2, A_B2, 2, A_OUT),
                 MOD_ERRNO_WRONG_INDEX_ALGO);
    CHECK_EQ_INT(mod_abi__datastore_delete_by_index_scan_range_bsatn(C, F.ix_id, A_B1, 1, 1, A_B1,
                                                                     2, A_B2, 2, A_OUT),
                 MOD_ERRNO_BSATN_DECODE_ERROR);
    CHECK_EQ_INT(mod_abi__datastore_delete_by_index_scan_range_bsatn(C, 999999, 0, 0, 0, A_B1, 2,
                                                                     A_B2, 2, A_OUT),
                 MOD_ERRNO_NO_SUCH_INDEX);
    /* clear */
    CHECK_EQ_INT(abi_insert(0, "fay", 50), 0);
    CHECK_EQ_INT(mod_abi__datastore_clear(C, F.person, A_OUT), 0);
    CHECK_EQ_INT(get_u64(A_OUT), 2);
    CHECK_EQ_INT(mod_abi__datastore_clear(C, F.person, A_OUT), 0);
    CHECK_EQ_INT(get_u64(A_OUT), 0);
    CHECK_EQ_INT(mod_abi__datastore_clear(C, 999999, A_OUT), MOD_ERRNO_NO_SUCH_TABLE);
    CHECK_NO_TRAP();

    CHECK_TRAP(mod_abi__datastore_clear(C, F.person, 0), "datastore_clear: out");
    CHECK_TRAP(mod_abi__datastore_delete_all_by_eq_bsatn(C, F.person, 0, 0, A_OUT), "rel");
    CHECK_TRAP(mod_abi__datastore_delete_all_by_eq_bsatn(C, F.person, MEM_SIZE - 1, 4, A_OUT),
               "out of bounds");
    lc_store_u32le(p, 0);
    CHECK_TRAP(mod_abi__datastore_delete_all_by_eq_bsatn(C, F.person, A_ROW, 4, 0), "out");
    CHECK_TRAP(mod_abi__datastore_delete_by_index_scan_point_bsatn(C, F.ix_id, 0, 4, A_OUT),
               "point is a null pointer");
    CHECK_TRAP(mod_abi__datastore_delete_by_index_scan_point_bsatn(C, F.ix_id, A_B1, 4, 0),
               "out is a null pointer");
    CHECK_TRAP(
        mod_abi__datastore_delete_by_index_scan_point_bsatn(C, F.ix_id, MEM_SIZE - 3, 4, A_OUT),
        "point [1048573, +4) is out of bounds of memory (1048576 bytes)");
    CHECK_TRAP(mod_abi__datastore_clear(C, F.person, MEM_SIZE - 7), "out of bounds");
    CHECK_TRAP(mod_abi__datastore_delete_by_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 0, 0, 0,
                                                                   A_B2, 2, A_OUT),
               "rstart");
    CHECK_TRAP(mod_abi__datastore_delete_by_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 0, A_B1,
                                                                   2, A_B2, 2, MEM_SIZE - 3),
               "out of bounds");
    CHECK_TRAP(mod_abi__datastore_delete_by_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 65536,
                                                                   A_B1, 2, A_B2, 2, A_OUT),
               "prefix_elems");
    F.ctx.tx = NULL;
    CHECK_EQ_INT(mod_abi__datastore_clear(C, F.person, A_OUT), MOD_ERRNO_NOT_IN_TRANSACTION);
    CHECK_EQ_INT(mod_abi__datastore_delete_all_by_eq_bsatn(C, F.person, A_ROW, 4, A_OUT),
                 MOD_ERRNO_NOT_IN_TRANSACTION);
    CHECK_EQ_INT(mod_abi__datastore_delete_by_index_scan_point_bsatn(C, F.ix_id, A_B1, 4, A_OUT),
                 MOD_ERRNO_NOT_IN_TRANSACTION);
    CHECK_EQ_INT(mod_abi__datastore_delete_by_index_scan_range_bsatn(C, F.ix_age_name, 0, 0, 0,
                                                                     A_B1, 2, A_B2, 2, A_OUT),
                 MOD_ERRNO_NOT_IN_TRANSACTION);
    teardown();
}

/* ---------------------------------------------------------------- bytes */

TEST(abi_bytes_sources_read_and_end)
{
    CHECK_OK(setup(false));
    uint32_t id = 99;
    CHECK_OK(mod_abi_source_new(C, (const uint8_t *)"", 0, &id, NULL));
    CHECK_EQ_INT(id, 0); /* empty = the invalid source */
    CHECK_OK(mod_abi_source_new(C, (const uint8_t *)"0123456789", 10, &id, NULL));
    CHECK_EQ_INT(id, 1);
    uint32_t id2;
    CHECK_OK(mod_abi_source_new(C, (const uint8_t *)"xy", 2, &id2, NULL));
    CHECK_EQ_INT(id2, 2);
    CHECK_EQ_INT(mod_abi__bytes_source_remaining_length(C, id, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), 10);
    put_u32(A_LEN, 4);
    CHECK_EQ_INT(mod_abi__bytes_source_read(C, id, A_BUF, A_LEN), 0);
    CHECK_EQ_INT(get_u32(A_LEN), 4);
    CHECK_EQ_MEM(F.mem + A_BUF, "0123", 4);
    put_u32(A_LEN, 0);
    CHECK_EQ_INT(mod_abi__bytes_source_read(C, id, A_BUF, A_LEN), 0);
    CHECK_EQ_INT(get_u32(A_LEN), 0);
    CHECK_EQ_INT(mod_abi__bytes_source_remaining_length(C, id, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), 6);
    put_u32(A_LEN, 100);
    CHECK_EQ_INT(mod_abi__bytes_source_read(C, id, A_BUF, A_LEN), ERR_NEG1);
    CHECK_EQ_INT(get_u32(A_LEN), 6);
    CHECK_EQ_MEM(F.mem + A_BUF, "456789", 6);
    /* gone once read to the end */
    put_u32(A_OUT, 0xDEAD);
    CHECK_EQ_INT(mod_abi__bytes_source_remaining_length(C, id, A_OUT), MOD_ERRNO_NO_SUCH_BYTES);
    CHECK_EQ_INT(get_u32(A_OUT), 0xDEAD);
    CHECK_EQ_INT(mod_abi__bytes_source_read(C, id, A_BUF, A_LEN), MOD_ERRNO_NO_SUCH_BYTES);
    CHECK_EQ_INT(mod_abi__bytes_source_read(C, 0, 0, 0), MOD_ERRNO_NO_SUCH_BYTES);
    CHECK_EQ_INT(mod_abi__bytes_source_remaining_length(C, 0, 0), MOD_ERRNO_NO_SUCH_BYTES);
    /* exact fit ends the source too */
    put_u32(A_LEN, 2);
    CHECK_EQ_INT(mod_abi__bytes_source_read(C, id2, A_BUF, A_LEN), ERR_NEG1);
    CHECK_NO_TRAP();
    CHECK_OK(mod_abi_source_new(C, (const uint8_t *)"abc", 3, &id, NULL));
    CHECK_EQ_INT(id, 3);
    put_u32(A_LEN, 0);
    CHECK_TRAP(mod_abi__bytes_source_read(C, id, 0, A_LEN), "bytes_source_read: buffer is a null");
    CHECK_TRAP(mod_abi__bytes_source_read(C, id, A_BUF, 0), "buffer_len_ptr");
    put_u32(A_LEN, 10);
    CHECK_TRAP(mod_abi__bytes_source_read(C, id, MEM_SIZE - 9, A_LEN), "out of bounds");
    CHECK_TRAP(mod_abi__bytes_source_remaining_length(C, id, 0), "out is a null pointer");
    CHECK_TRAP(mod_abi__bytes_source_remaining_length(C, id, MEM_SIZE - 3), "out of bounds");
    teardown();
}

TEST(abi_bytes_sinks_collect_writes)
{
    CHECK_OK(setup(false));
    uint32_t s1, s2;
    CHECK_OK(mod_abi_sink_new(C, &s1, NULL));
    CHECK_OK(mod_abi_sink_new(C, &s2, NULL));
    CHECK_EQ_INT(s1, 1);
    CHECK_EQ_INT(s2, 2);
    size_t len = 99;
    CHECK(mod_abi_sink_data(C, s1, &len) == NULL && len == 0); /* empty so far */
    put_str(A_BUF, "hello world");
    put_u32(A_LEN, 5);
    CHECK_EQ_INT(mod_abi__bytes_sink_write(C, s1, A_BUF, A_LEN), 0);
    CHECK_EQ_INT(get_u32(A_LEN), 5);
    put_u32(A_LEN, 6);
    CHECK_EQ_INT(mod_abi__bytes_sink_write(C, s1, A_BUF + 5, A_LEN), 0);
    put_u32(A_LEN, 0);
    CHECK_EQ_INT(mod_abi__bytes_sink_write(C, s1, A_BUF, A_LEN), 0);
    const uint8_t *d = mod_abi_sink_data(C, s1, &len);
    CHECK_EQ_INT(len, 11);
    CHECK_EQ_MEM(d, "hello world", 11);
    CHECK(mod_abi_sink_data(C, s2, &len) == NULL && len == 0);
    CHECK_EQ_INT(mod_abi__bytes_sink_write(C, 7, A_BUF, A_LEN), MOD_ERRNO_NO_SUCH_BYTES);
    CHECK_EQ_INT(mod_abi__bytes_sink_write(C, 0, 0, 0), MOD_ERRNO_NO_SUCH_BYTES);
    CHECK(mod_abi_sink_data(C, 7, &len) == NULL);
    CHECK_NO_TRAP();
    CHECK_TRAP(mod_abi__bytes_sink_write(C, s1, 0, A_LEN), "bytes_sink_write: buffer is a null");
    CHECK_TRAP(mod_abi__bytes_sink_write(C, s1, A_BUF, 0), "buffer_len_ptr");
    put_u32(A_LEN, 0x7FFFFFFF);
    CHECK_TRAP(mod_abi__bytes_sink_write(C, s1, A_BUF, A_LEN), "out of bounds");
    CHECK_TRAP(mod_abi__bytes_sink_write(C, s1, A_BUF, 0xFFFFFFFFu), "out of bounds");
    teardown();
}

TEST(abi_handles_reset_at_call_end)
{
    CHECK_OK(setup(true));
    uint32_t src, sink;
    CHECK_OK(mod_abi_source_new(C, (const uint8_t *)"abc", 3, &src, NULL));
    CHECK_OK(mod_abi_sink_new(C, &sink, NULL));
    CHECK_EQ_INT(mod_abi__datastore_table_scan_bsatn(C, F.person, A_OUT), 0);
    uint32_t it = get_u32(A_OUT);
    uint32_t timer = mod_abi__console_timer_start(C, A_NAME, 0 + put_str(A_NAME, "t"));
    CHECK_EQ_INT(timer, 1);
    mod_abi_call_end(C);
    mod_abi_call_begin(C);
    CHECK_EQ_INT(mod_abi__bytes_source_remaining_length(C, src, A_OUT), MOD_ERRNO_NO_SUCH_BYTES);
    put_u32(A_LEN, 0);
    CHECK_EQ_INT(mod_abi__bytes_sink_write(C, sink, A_BUF, A_LEN), MOD_ERRNO_NO_SUCH_BYTES);
    CHECK_EQ_INT(mod_abi__row_iter_bsatn_close(C, it), MOD_ERRNO_NO_SUCH_ITER);
    CHECK_EQ_INT(mod_abi__console_timer_end(C, timer), MOD_ERRNO_NO_SUCH_CONSOLE_TIMER);
    /* counters restart at 1 */
    CHECK_OK(mod_abi_source_new(C, (const uint8_t *)"z", 1, &src, NULL));
    CHECK_OK(mod_abi_sink_new(C, &sink, NULL));
    CHECK_EQ_INT(src, 1);
    CHECK_EQ_INT(sink, 1);
    CHECK_EQ_INT(mod_abi__datastore_table_scan_bsatn(C, F.person, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), 1);
    CHECK_NO_TRAP();
    teardown();
}

/* ---------------------------------------------------------------- logging and timers */

TEST(abi_console_log_records_and_never_traps)
{
    CHECK_OK(setup(false));
    uint32_t tl = put_str(A_NAME, "my_module"), fl = put_str(A_B1, "src/lib.rs");
    uint32_t ml = put_str(A_B2, "hello");
    mod_abi__console_log(C, 2, A_NAME, tl, A_B1, fl, 42, A_B2, ml);
    CHECK_EQ_INT(F.nlogs, 1);
    logrec_t *l = &F.logs[0];
    CHECK_EQ_INT(l->level, MOD_LOG_INFO);
    CHECK(l->has_target && l->has_filename && l->has_function);
    CHECK_EQ_STR(l->target, "my_module");
    CHECK_EQ_STR(l->filename, "src/lib.rs");
    CHECK_EQ_STR(l->function, "add_person");
    CHECK_EQ_STR(l->message, "hello");
    CHECK_EQ_INT(l->line, 42);
    /* absent target, filename, line, function; levels */
    F.ctx.func_name = NULL;
    static const uint32_t levels[][2] = {
        {0, MOD_LOG_ERROR},   {1, MOD_LOG_WARN},  {3, MOD_LOG_DEBUG},   {4, MOD_LOG_TRACE},
        {101, MOD_LOG_PANIC}, {5, MOD_LOG_DEBUG}, {256, MOD_LOG_ERROR}, {0x165, MOD_LOG_PANIC}};
    for (size_t i = 0; i < LC_ARRAY_LEN(levels); i++) {
        mod_abi__console_log(C, levels[i][0], 0, 5, 0, 0, UINT32_MAX, A_B2, ml);
        CHECK_EQ_INT(F.logs[F.nlogs - 1].level, levels[i][1]);
    }
    l = &F.logs[F.nlogs - 1];
    CHECK(!l->has_target && !l->has_filename && !l->has_function);
    CHECK_EQ_INT(l->line, UINT32_MAX);
    /* an empty message at a valid pointer is logged */
    int n = F.nlogs;
    mod_abi__console_log(C, 2, 0, 0, 0, 0, 1, A_B2, 0);
    CHECK_EQ_INT(F.nlogs, n + 1);
    CHECK_EQ_STR(F.logs[n].message, "");
    /* bad pointers: silently nothing */
    mod_abi__console_log(C, 2, 0, 0, 0, 0, 1, 0, 0);
    mod_abi__console_log(C, 2, 0, 0, 0, 0, 1, MEM_SIZE - 2, 5);
    mod_abi__console_log(C, 2, MEM_SIZE, 1, 0, 0, 1, A_B2, ml);
    mod_abi__console_log(C, 2, 0, 0, 0xFFFFFFFFu, 0xFFFFFFFFu, 1, A_B2, ml);
    CHECK_EQ_INT(F.nlogs, n + 1);
    CHECK_NO_TRAP();
    /* no log hook: nothing, no crash */
    F.ctx.hooks.log = NULL;
    mod_abi__console_log(C, 2, 0, 0, 0, 0, 1, A_B2, ml);
    CHECK_EQ_INT(F.nlogs, n + 1);
    teardown();
}

TEST(abi_format_duration_as_rust_debug)
{
    static const struct {
        uint64_t ns;
        const char *want;
    } cases[] = {
        {0, "0ns"},
        {1, "1ns"},
        {999, "999ns"},
        {1000, "1\xC2\xB5s"},
        {12500, "12.5\xC2\xB5s"},
        {1234000, "1.234ms"},
        {1000001, "1.000001ms"},
        {999999999, "999.999999ms"},
        {1000000000, "1s"},
        {1000000001, "1.000000001s"},
        {1500000000, "1.5s"},
        {2000001000, "2.000001s"},
        {3600000000000ull, "3600s"},
    };
    char out[48];
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        mod_abi_format_duration(out, sizeof out, cases[i].ns);
        CHECK_EQ_STR(out, cases[i].want);
    }
}

TEST(abi_console_timers_log_their_span)
{
    CHECK_OK(setup(false));
    uint32_t n = put_str(A_NAME, "load");
    uint32_t t1 = mod_abi__console_timer_start(C, A_NAME, n);
    uint32_t t2 = mod_abi__console_timer_start(C, A_NAME, 0); /* empty name */
    CHECK_EQ_INT(t1, 1);
    CHECK_EQ_INT(t2, 2);
    CHECK_EQ_INT(mod_abi__console_timer_end(C, t1), 0);
    CHECK_EQ_INT(F.nlogs, 1);
    logrec_t *l = &F.logs[0];
    CHECK_EQ_INT(l->level, MOD_LOG_INFO);
    CHECK(!l->has_target && !l->has_filename);
    CHECK_EQ_INT(l->line, UINT32_MAX);
    CHECK_EQ_STR(l->function, "add_person");
    const char *prefix = "Timing span \"load\": ";
    CHECK_MSG(strncmp(l->message, prefix, strlen(prefix)) == 0, "message %s", l->message);
    size_t ml = strlen(l->message);
    CHECK(ml > 2 && l->message[ml - 1] == 's');
    CHECK_EQ_INT(mod_abi__console_timer_end(C, t1), MOD_ERRNO_NO_SUCH_CONSOLE_TIMER);
    CHECK_EQ_INT(mod_abi__console_timer_end(C, 0), MOD_ERRNO_NO_SUCH_CONSOLE_TIMER);
    /* the freed slot is reused; the name is printed as Rust's {:?} */
    put(A_NAME, "a\"b\\c\n\x01\xFF\xC3\xA9", 10);
    uint32_t t3 = mod_abi__console_timer_start(C, A_NAME, 10);
    CHECK_EQ_INT(t3, 1);
    CHECK_EQ_INT(mod_abi__console_timer_end(C, t3), 0);
    prefix = "Timing span \"a\\\"b\\\\c\\n\\u{1}\xEF\xBF\xBD\xC3\xA9\": ";
    CHECK_MSG(strncmp(F.logs[1].message, prefix, strlen(prefix)) == 0, "message %s",
              F.logs[1].message);
    CHECK_EQ_INT(mod_abi__console_timer_end(C, t2), 0);
    CHECK(strncmp(F.logs[2].message, "Timing span \"\": ", 16) == 0);
    CHECK_NO_TRAP();
    CHECK_TRAP(mod_abi__console_timer_start(C, 0, 0), "console_timer_start: name is a null");
    CHECK_TRAP(mod_abi__console_timer_start(C, MEM_SIZE - 1, 2), "out of bounds");
    teardown();
}

/* ---------------------------------------------------------------- identity, JWT, scheduling */

TEST(abi_identity_writes_the_database_identity)
{
    CHECK_OK(setup(false));
    mod_abi__identity(C, A_OUT + 1); /* unaligned is fine */
    CHECK_EQ_MEM(F.mem + A_OUT + 1, F.ctx.database_identity, 32);
    CHECK_NO_TRAP();
    CHECK_TRAP(mod_abi__identity(C, 0), "identity: out is a null pointer");
    CHECK_TRAP(mod_abi__identity(C, MEM_SIZE - 31), "out of bounds");
    teardown();
}

TEST(abi_get_jwt_from_store_and_hook)
{
    CHECK_OK(setup(true));
    /* the reference reads st_connection_credentials(connection_id, jwt_payload) */
    uint8_t row[64], cid[16];
    for (int i = 0; i < 16; i++) cid[i] = (uint8_t)(i + 1);
    memcpy(row, cid, 16);
    lc_store_u32le(row + 16, 9);
    memcpy(row + 20, "{\"sub\":1}", 9);
    store_insert_result_t res;
    CHECK_OK(store_insert(F.tx, STORE_ST_CONNECTION_CREDENTIALS, row, 29, &res, NULL));
    put(A_B1, cid, 16);
    CHECK_EQ_INT(mod_abi__get_jwt(C, A_B1, A_OUT), 0);
    uint32_t src = get_u32(A_OUT);
    CHECK_EQ_INT(src, 1);
    put_u32(A_LEN, 64);
    CHECK_EQ_INT(mod_abi__bytes_source_read(C, src, A_BUF, A_LEN), ERR_NEG1);
    CHECK_EQ_INT(get_u32(A_LEN), 9);
    CHECK_EQ_MEM(F.mem + A_BUF, "{\"sub\":1}", 9);
    F.mem[A_B1] = 0x55; /* unknown connection: 0 */
    put_u32(A_OUT, 0xDEAD);
    CHECK_EQ_INT(mod_abi__get_jwt(C, A_B1, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), 0);
    /* through the hook */
    F.ctx.hooks.jwt = jwt_hook;
    F.jwt_payload = "{\"iss\":\"x\"}";
    F.mem[A_B1] = 7;
    CHECK_EQ_INT(mod_abi__get_jwt(C, A_B1, A_OUT), 0);
    src = get_u32(A_OUT);
    CHECK_EQ_INT(mod_abi__bytes_source_remaining_length(C, src, A_LEN), 0);
    CHECK_EQ_INT(get_u32(A_LEN), strlen(F.jwt_payload));
    F.mem[A_B1] = 8;
    CHECK_EQ_INT(mod_abi__get_jwt(C, A_B1, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT), 0);
    CHECK_NO_TRAP();
    CHECK_TRAP(mod_abi__get_jwt(C, 0, A_OUT), "get_jwt: connection_id is a null pointer");
    CHECK_TRAP(mod_abi__get_jwt(C, MEM_SIZE - 15, A_OUT), "out of bounds");
    CHECK_TRAP(mod_abi__get_jwt(C, A_B1, 0), "out is a null pointer");
    F.ctx.tx = NULL;
    CHECK_EQ_INT(mod_abi__get_jwt(C, A_B1, A_OUT), MOD_ERRNO_NOT_IN_TRANSACTION);
    teardown();
}

TEST(abi_schedule_immediate_goes_to_the_hook)
{
    CHECK_OK(setup(false));
    uint32_t n = put_str(A_NAME, "tick");
    put(A_B1, "\x01\x02\x03", 3);
    CHECK_TRAP(mod_abi__volatile_nonatomic_schedule_immediate(C, A_NAME, n, A_B1, 3),
               "not available");
    F.ctx.hooks.schedule_immediate = immediate_hook;
    F.traps = 0;
    mod_abi__volatile_nonatomic_schedule_immediate(C, A_NAME, n, A_B1, 3);
    CHECK_NO_TRAP();
    CHECK_EQ_INT(F.imm_calls, 1);
    CHECK_EQ_STR(F.imm_name, "tick");
    CHECK_EQ_INT(F.imm_args_len, 3);
    CHECK_EQ_MEM(F.imm_args, "\x01\x02\x03", 3);
    F.mem[A_NAME] = 0xC0;
    CHECK_TRAP(mod_abi__volatile_nonatomic_schedule_immediate(C, A_NAME, n, A_B1, 3),
               "not valid UTF-8");
    CHECK_TRAP(mod_abi__volatile_nonatomic_schedule_immediate(C, 0, 0, A_B1, 3), "name");
    CHECK_TRAP(mod_abi__volatile_nonatomic_schedule_immediate(C, A_B1, 1, 0, 0),
               "args is a null pointer");
    CHECK_TRAP(mod_abi__volatile_nonatomic_schedule_immediate(C, A_B1, 1, MEM_SIZE - 2, 3),
               "out of bounds");
    CHECK_EQ_INT(F.imm_calls, 1);
    teardown();
}

/* ---------------------------------------------------------------- procedures */

TEST(abi_procedure_transactions)
{
    CHECK_OK(setup(false));
    /* no hooks: cannot start */
    CHECK_TRAP(mod_abi__procedure_start_mut_tx(C, A_OUT), "no procedure transactions");
    CHECK_EQ_INT(mod_abi__procedure_commit_mut_tx(C), MOD_ERRNO_TRANSACTION_NOT_ANONYMOUS);
    CHECK_EQ_INT(mod_abi__procedure_abort_mut_tx(C), MOD_ERRNO_TRANSACTION_NOT_ANONYMOUS);
    F.ctx.hooks.tx_begin = tx_begin_hook;
    F.ctx.hooks.tx_commit = tx_commit_hook;
    F.ctx.hooks.tx_abort = tx_abort_hook;
    F.ctx.async_lane = true;
    F.traps = 0;
    int64_t before = lc_now_wall_us();
    CHECK_EQ_INT(mod_abi__procedure_start_mut_tx(C, A_OUT), 0);
    CHECK(F.ctx.tx != NULL && F.ctx.tx_anonymous);
    CHECK((int64_t)get_u64(A_OUT) >= before);
    CHECK_EQ_INT(mod_abi__procedure_start_mut_tx(C, A_OUT), MOD_ERRNO_WOULD_BLOCK_TRANSACTION);
    CHECK_EQ_INT(F.tx_begins, 1);
    CHECK_EQ_INT(abi_insert(0, "ann", 1), 0);
    CHECK_EQ_INT(mod_abi__procedure_commit_mut_tx(C), 0);
    CHECK(F.ctx.tx == NULL && !F.ctx.tx_anonymous);
    CHECK_EQ_INT(F.tx_commits, 1);
    CHECK_EQ_INT(mod_abi__procedure_commit_mut_tx(C), MOD_ERRNO_TRANSACTION_NOT_ANONYMOUS);
    CHECK_EQ_INT(abi_insert(0, "bea", 1), MOD_ERRNO_NOT_IN_TRANSACTION);
    /* abort */
    CHECK_EQ_INT(mod_abi__procedure_start_mut_tx(C, A_OUT), 0);
    CHECK_EQ_INT(abi_insert(0, "bea", 1), 0);
    CHECK_EQ_INT(mod_abi__procedure_abort_mut_tx(C), 0);
    CHECK_EQ_INT(F.tx_aborts, 1);
    CHECK(F.ctx.tx == NULL);
    CHECK_NO_TRAP();
    /* committed once, aborted once */
    store_view_t *v;
    uint64_t rows;
    CHECK_OK(store_view_open(F.db, &v, NULL));
    CHECK_OK(store_view_row_count(v, F.person, &rows, NULL));
    store_view_close(v);
    CHECK_EQ_INT(rows, 1);
    /* a bad out pointer traps after the transaction started */
    CHECK_TRAP(mod_abi__procedure_start_mut_tx(C, 0), "procedure_start_mut_tx: out");
    CHECK(F.ctx.tx_anonymous);
    CHECK_EQ_INT(mod_abi__procedure_abort_mut_tx(C), 0);
    CHECK_TRAP(mod_abi__procedure_start_mut_tx(C, MEM_SIZE - 4), "out of bounds");
    CHECK_EQ_INT(mod_abi__procedure_abort_mut_tx(C), 0);
    /* a reducer's transaction is not anonymous */
    CHECK_OK(store_tx_begin(F.db, &F.tx, NULL));
    F.ctx.tx = F.tx;
    CHECK_EQ_INT(mod_abi__procedure_commit_mut_tx(C), MOD_ERRNO_TRANSACTION_NOT_ANONYMOUS);
    CHECK_EQ_INT(mod_abi__procedure_abort_mut_tx(C), MOD_ERRNO_TRANSACTION_NOT_ANONYMOUS);
    CHECK_EQ_INT(mod_abi__procedure_start_mut_tx(C, A_OUT), MOD_ERRNO_WOULD_BLOCK_TRANSACTION);
    CHECK(F.ctx.tx == F.tx);
    teardown();
}

TEST(abi_procedure_sleep_until)
{
    CHECK_OK(setup(false));
    CHECK_TRAP(mod_abi__procedure_sleep_until(C, 0), "only available in async instances");
    F.ctx.async_lane = true;
    F.traps = 0;
    int64_t now = lc_now_wall_us();
    CHECK((int64_t)mod_abi__procedure_sleep_until(C, (uint64_t)-5) >= now); /* negative */
    CHECK((int64_t)mod_abi__procedure_sleep_until(C, 1000) >= now);         /* past */
    CHECK_NO_TRAP();
    uint64_t future = (uint64_t)(now + 3600000000ll);
    CHECK_TRAP(mod_abi__procedure_sleep_until(C, future), "not available");
    F.ctx.hooks.sleep_until = sleep_hook;
    CHECK_EQ_INT(mod_abi__procedure_sleep_until(C, future), future + 5);
    CHECK_EQ_INT(F.slept_until, future);
    teardown();
}

/* A minimal BSATN http::Request: Get, no headers, no timeout, uri, Http11. */
static uint32_t put_request(uint32_t at, const char *uri)
{
    uint8_t *p = F.mem + at;
    size_t n = strlen(uri), off = 0;
    p[off++] = 0;               /* Method::Get */
    lc_store_u32le(p + off, 0); /* Headers { entries: [] } */
    off += 4;
    p[off++] = 1; /* timeout: none */
    lc_store_u32le(p + off, (uint32_t)n);
    off += 4;
    memcpy(p + off, uri, n);
    off += n;
    p[off++] = 2; /* Version::Http11 */
    return (uint32_t)off;
}

TEST(abi_procedure_http_request)
{
    CHECK_OK(setup(false));
    uint32_t rl = put_request(A_ROW, "http://example.com/");
    put_str(A_B1, "body!");
    CHECK_TRAP(mod_abi__procedure_http_request(C, A_ROW, rl, A_B1, 5, A_OUT),
               "procedure_http_request: only available in async");
    F.ctx.async_lane = true;
    F.traps = 0;
    /* no hook: HTTP_ERROR with a BSATN String message in out[0] */
    put_u32(A_OUT + 4, 0xDEAD);
    CHECK_EQ_INT(mod_abi__procedure_http_request(C, A_ROW, rl, A_B1, 5, A_OUT),
                 MOD_ERRNO_HTTP_ERROR);
    CHECK_EQ_INT(get_u32(A_OUT + 4), 0xDEAD);
    uint32_t src = get_u32(A_OUT);
    put_u32(A_LEN, 256);
    CHECK_EQ_INT(mod_abi__bytes_source_read(C, src, A_BUF, A_LEN), ERR_NEG1);
    const char *msg = "HTTP requests are not available on this host";
    CHECK_EQ_INT(get_u32(A_LEN), 4 + strlen(msg));
    CHECK_EQ_INT(get_u32(A_BUF), strlen(msg));
    CHECK_EQ_MEM(F.mem + A_BUF + 4, msg, strlen(msg));
    /* hook: response and body sources */
    F.ctx.hooks.http = http_hook;
    CHECK_EQ_INT(mod_abi__procedure_http_request(C, A_ROW, rl, A_B1, 5, A_OUT), 0);
    uint32_t resp = get_u32(A_OUT), body = get_u32(A_OUT + 4);
    CHECK(resp != 0 && body != 0 && resp != body);
    put_u32(A_LEN, 256);
    CHECK_EQ_INT(mod_abi__bytes_source_read(C, resp, A_BUF, A_LEN), ERR_NEG1);
    CHECK_EQ_MEM(F.mem + A_BUF, "RESP", 4);
    put_u32(A_LEN, 256);
    CHECK_EQ_INT(mod_abi__bytes_source_read(C, body, A_BUF, A_LEN), ERR_NEG1);
    CHECK_EQ_MEM(F.mem + A_BUF, "body!", 5);
    /* an empty body gives source 0 */
    CHECK_EQ_INT(mod_abi__procedure_http_request(C, A_ROW, rl, A_B1, 0, A_OUT), 0);
    CHECK_EQ_INT(get_u32(A_OUT + 4), 0);
    F.http_mode = 1;
    CHECK_EQ_INT(mod_abi__procedure_http_request(C, A_ROW, rl, A_B1, 5, A_OUT),
                 MOD_ERRNO_HTTP_ERROR);
    /* bad request bytes */
    F.mem[A_ROW] = 10; /* no such Method */
    CHECK_EQ_INT(mod_abi__procedure_http_request(C, A_ROW, rl, A_B1, 5, A_OUT),
                 MOD_ERRNO_BSATN_DECODE_ERROR);
    rl = put_request(A_ROW, "x");
    CHECK_EQ_INT(mod_abi__procedure_http_request(C, A_ROW, rl - 1, A_B1, 5, A_OUT),
                 MOD_ERRNO_BSATN_DECODE_ERROR);
    CHECK_NO_TRAP();
    CHECK_TRAP(mod_abi__procedure_http_request(C, 0, 0, A_B1, 5, A_OUT), "request is a null");
    CHECK_TRAP(mod_abi__procedure_http_request(C, MEM_SIZE - 4, rl, A_B1, 5, A_OUT),
               "out of bounds");
    CHECK_TRAP(mod_abi__procedure_http_request(C, A_ROW, rl, 0, 0, A_OUT), "body is a null");
    CHECK_TRAP(mod_abi__procedure_http_request(C, A_ROW, rl, MEM_SIZE - 1, 5, A_OUT),
               "out of bounds");
    F.http_mode = 0;
    CHECK_TRAP(mod_abi__procedure_http_request(C, A_ROW, rl, A_B1, 5, 0), "out is a null");
    /* a transaction is open: would block */
    CHECK_OK(store_tx_begin(F.db, &F.tx, NULL));
    F.ctx.tx = F.tx;
    CHECK_EQ_INT(mod_abi__procedure_http_request(C, A_ROW, rl, A_B1, 5, A_OUT),
                 MOD_ERRNO_WOULD_BLOCK_TRANSACTION);
    teardown();
}

const test_case_t test_module_abi_cases[] = {
    TEST_CASE(abi_table_lists_all_thirty_imports),
    TEST_CASE(abi_name_lookups_canonical_alias_and_errors),
    TEST_CASE(abi_insert_writes_back_generated_columns),
    TEST_CASE(abi_insert_calls_the_schedule_hook),
    TEST_CASE(abi_update_replaces_by_unique_index),
    TEST_CASE(abi_row_count_scan_and_chunked_iteration),
    TEST_CASE(abi_point_and_range_scans),
    TEST_CASE(abi_deletes_and_clear_report_counts),
    TEST_CASE(abi_bytes_sources_read_and_end),
    TEST_CASE(abi_bytes_sinks_collect_writes),
    TEST_CASE(abi_handles_reset_at_call_end),
    TEST_CASE(abi_console_log_records_and_never_traps),
    TEST_CASE(abi_format_duration_as_rust_debug),
    TEST_CASE(abi_console_timers_log_their_span),
    TEST_CASE(abi_identity_writes_the_database_identity),
    TEST_CASE(abi_get_jwt_from_store_and_hook),
    TEST_CASE(abi_schedule_immediate_goes_to_the_hook),
    TEST_CASE(abi_procedure_transactions),
    TEST_CASE(abi_procedure_sleep_until),
    TEST_CASE(abi_procedure_http_request),
    TEST_END,
};
