/*
 * Tests of def_type.c: RawModuleDef as a SATS type and its typed JSON (what
 * GET /v1/database/:db/schema answers).  Definitions come from the C SDK's
 * examples (published into a database, read back with db_def_bytes), the
 * fixture definition, the V10 builder with every section, and a V9 built by
 * hand.  Each one must also survive JSON -> value -> BSATN unchanged, which
 * checks the type against the bytes field by field.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "unit/mod_def_builder.h"
#include "unit/module_fixture.h"

/* The typed JSON of bytes as text (NUL-terminated, lc_free'd by the
 * caller), or NULL with a message; *version gets 9 or 10. */
static char *def_json(const uint8_t *bytes, size_t len, int *version)
{
    lc_buf_t out = {0};
    lc_err_t err;
    if (mod_def_raw_json(bytes, len, &out, version, &err)) {
        fprintf(stderr, "  mod_def_raw_json: %s\n", err.msg);
        lc_buf_free(&out);
        return NULL;
    }
    lc_buf_putc(&out, 0);
    size_t n;
    return (char *)lc_buf_take(&out, &n);
}

/* JSON -> value of the version's payload type -> BSATN equals the bytes
 * after the version tag. */
static bool round_trips(const uint8_t *bytes, size_t len, const char *json)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    sats_typespace_t ts;
    const sats_type_t *root;
    sats_value_t v;
    lc_buf_t out = {0};
    lc_err_t err = {0};
    bool ok =
        mod_def_raw_typespace(&a, &ts, &root) == LC_OK && len > 0 && bytes[0] > 0 && bytes[0] < 3;
    const sats_type_t *t = ok ? root->u.fields.items[bytes[0]].type : NULL;
    ok = ok && sats_json_decode(&a, json, strlen(json), &ts, t, &v, &err) == LC_OK &&
         sats_bsatn_encode(&out, &ts, t, &v, &err) == LC_OK;
    if (!ok)
        fprintf(stderr, "  round trip: %s\n", err.msg);
    ok = ok && out.len == len - 1 && memcmp(out.data, bytes + 1, len - 1) == 0;
    lc_buf_free(&out);
    lc_arena_free(&a);
    return ok;
}

#define CHECK_HAS(json, s) CHECK_MSG(strstr((json), (s)) != NULL, "missing %s", (s))

/* ---------------------------------------------------------------- fixture and builder */

TEST(def_type_fixture_v10)
{
    static const char *const reducers[] = {"ok", "user_error"};
    lc_buf_t b = {0};
    fixture_def_v10(&b, reducers, 2, FIXTURE_CONNECT_REFUSES);
    int version = 0;
    char *json = def_json(b.data, b.len, &version);
    CHECK(json != NULL);
    CHECK_EQ_INT(version, 10);
    CHECK_HAS(json, "{\"sections\":[{\"Typespace\":{\"types\":[{\"Product\":{\"elements\":[{"
                    "\"name\":{\"some\":\"id\"},\"algebraic_type\":{\"U32\":[]}}]}}]}}");
    CHECK_HAS(json, "{\"Types\":[{\"source_name\":{\"scope\":[],\"source_name\":\"Thing\"},"
                    "\"ty\":0,\"custom_ordering\":true}]}");
    CHECK_HAS(json, "{\"Tables\":[{\"source_name\":\"thing\",\"product_type_ref\":0,"
                    "\"primary_key\":[0],\"indexes\":[{\"source_name\":{\"some\":\"thing_id_idx_"
                    "btree\"},\"accessor_name\":{\"none\":[]},\"algorithm\":{\"BTree\":{"
                    "\"columns\":[0]}}}]");
    CHECK_HAS(json, "\"constraints\":[{\"source_name\":{\"none\":[]},\"data\":{\"Unique\":{"
                    "\"columns\":[0]}}}]");
    CHECK_HAS(json, "\"sequences\":[{\"source_name\":{\"none\":[]},\"column\":0,\"start\":{"
                    "\"none\":[]},\"min_value\":{\"none\":[]},\"max_value\":{\"none\":[]},"
                    "\"increment\":1}]");
    CHECK_HAS(json, "\"table_type\":{\"User\":[]},\"table_access\":{\"Public\":[]},"
                    "\"default_values\":[],\"is_event\":false}");
    CHECK_HAS(json, "{\"source_name\":\"ok\",\"params\":{\"elements\":[]},\"visibility\":{"
                    "\"ClientCallable\":[]},\"ok_return_type\":{\"Product\":{\"elements\":[]}},"
                    "\"err_return_type\":{\"String\":[]}}");
    CHECK_HAS(json, "{\"LifeCycleReducers\":[{\"lifecycle_spec\":{\"OnConnect\":[]},"
                    "\"function_name\":\"user_error\"}]}");
    CHECK(round_trips(b.data, b.len, json));
    lc_free(json);
    lc_buf_free(&b);
}

TEST(def_type_every_v10_section)
{
    mdb_t b;
    mdb_init(&b);
    lc_arena_t *a = &b.a;
    const sats_type_t *row = PRODUCT(a, 3, "id", P(SATS_U64), "at", sats_type_schedule_at(), "tags",
                                     sats_type_array(a, sats_type_option(a, P(SATS_I8))));
    uint32_t ref = mdb_scoped_type(&b, "game", "Timer", row);
    mt_table_t t = {.name = "timer",
                    .ref = ref,
                    .npk = 1,
                    .pk = {0},
                    .nidx = 2,
                    .nuniq = 1,
                    .nseq = 1,
                    .private_ = true,
                    .ndefs = 1,
                    .is_event = true};
    t.idx[0] = (mt_index_t){.source = "timer_id_idx_btree", .algo = 0, .ncols = 1, .cols = {0}};
    t.idx[1] =
        (mt_index_t){.source = "timer_id_idx_direct", .accessor = "by_id", .algo = 2, .cols = {0}};
    t.uniq[0] = (mt_unique_t){.ncols = 1, .cols = {0}};
    t.seq[0] = (mt_seq_t){.name = "s", .col = 0, .has_start = true, .start = -5};
    t.defs[0] = (mt_default_t){.col = 2, .hex = "00000000"};
    mdb_table(&b, &t);
    mdb_reducer(&b, "tick", PRODUCT(a, 1, "t", sats_type_ref(a, ref)), 0);
    mdb_lifecycle(&b, 0, "tick");
    mdb_schedule(&b, "timer", 1, "tick");
    mdb_procedure(&b, "fetch", sats_type_unit(), P(SATS_STRING), 1);
    mdb_view(&b, "my_timers", 0, true, false, sats_type_unit(),
             sats_type_array(a, sats_type_ref(a, ref)));
    mdb_view_pk(&b, "my_timers", 1, "id");
    mdb_rls(&b, "SELECT * FROM timer");
    mdb_explicit(&b, 1, "tick", "Tick");
    mdb_http_handler(&b, "hook");
    mdb_http_route(&b, "hook", -1, "/any");
    mdb_http_route(&b, "hook", 2, "/post");
    b.case_policy = 0;
    size_t len;
    uint8_t *bytes = mdb_finish(&b, &len);
    int version = 0;
    char *json = def_json(bytes, len, &version);
    CHECK(json != NULL);
    CHECK_EQ_INT(version, 10);
    CHECK_HAS(json, "\"scope\":[\"game\"],\"source_name\":\"Timer\"");
    CHECK_HAS(json, "{\"name\":{\"some\":\"at\"},\"algebraic_type\":{\"Sum\":{\"variants\":[{"
                    "\"name\":{\"some\":\"Interval\"}");
    CHECK_HAS(json, "\"algebraic_type\":{\"Array\":{\"Sum\":{\"variants\":[{\"name\":{\"some\":"
                    "\"some\"},\"algebraic_type\":{\"I8\":[]}}");
    CHECK_HAS(json, "\"algorithm\":{\"Direct\":{\"column\":0}}");
    CHECK_HAS(json, "\"accessor_name\":{\"some\":\"by_id\"}");
    CHECK_HAS(json, "\"start\":{\"some\":-5}");
    CHECK_HAS(json, "\"default_values\":[{\"col_id\":2,\"value\":\"00000000\"}],\"is_event\":true");
    CHECK_HAS(json, "\"table_access\":{\"Private\":[]}");
    CHECK_HAS(json, "\"params\":{\"elements\":[{\"name\":{\"some\":\"t\"},\"algebraic_type\":{"
                    "\"Ref\":0}}]},\"visibility\":{\"Private\":[]}");
    CHECK_HAS(json, "{\"LifeCycleReducers\":[{\"lifecycle_spec\":{\"Init\":[]}");
    CHECK_HAS(json, "{\"Schedules\":[{\"source_name\":{\"none\":[]},\"table_name\":\"timer\","
                    "\"schedule_at_col\":1,\"function_name\":\"tick\"}]}");
    CHECK_HAS(json, "{\"Procedures\":[{\"source_name\":\"fetch\"");
    CHECK_HAS(json, "{\"Views\":[{\"source_name\":\"my_timers\",\"index\":0,\"is_public\":true,"
                    "\"is_anonymous\":false");
    CHECK_HAS(json, "{\"ViewPrimaryKeys\":[{\"view_source_name\":\"my_timers\",\"columns\":["
                    "\"id\"]}]}");
    CHECK_HAS(json, "{\"RowLevelSecurity\":[{\"sql\":\"SELECT * FROM timer\"}]}");
    CHECK_HAS(json, "{\"ExplicitNames\":{\"entries\":[{\"Function\":{\"source_name\":\"tick\","
                    "\"canonical_name\":\"Tick\"}}]}}");
    CHECK_HAS(json, "{\"HttpHandlers\":[{\"source_name\":\"hook\"}]}");
    CHECK_HAS(json, "{\"handler_function\":\"hook\",\"method\":{\"Any\":[]},\"path\":\"/any\"}");
    CHECK_HAS(json, "\"method\":{\"Method\":{\"Post\":[]}}");
    CHECK_HAS(json, "{\"CaseConversionPolicy\":{\"None\":[]}}");
    CHECK(round_trips(bytes, len, json));
    lc_free(json);
    lc_free(bytes);
}

/* ---------------------------------------------------------------- V9 and bad input */

static void v9_str(lc_buf_t *o, const char *s)
{
    lc_buf_put_u32le(o, (uint32_t)strlen(s));
    lc_buf_append(o, s, strlen(s));
}

static uint8_t *v9_def(size_t *len)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_buf_t o = {0};
    lc_buf_putc(&o, 1);
    lc_buf_put_u32le(&o, 1); /* typespace */
    sats_type_encode(&o, PRODUCT(&a, 2, "id", P(SATS_U64), "at", sats_type_schedule_at()));
    lc_buf_put_u32le(&o, 1); /* tables */
    v9_str(&o, "timer");
    lc_buf_put_u32le(&o, 0);
    lc_buf_put_u32le(&o, 0); /* primary key: none */
    lc_buf_put_u32le(&o, 0); /* indexes */
    lc_buf_put_u32le(&o, 0); /* constraints */
    lc_buf_put_u32le(&o, 0); /* sequences */
    lc_buf_putc(&o, 0);      /* schedule: some */
    lc_buf_putc(&o, 1);      /* name: none */
    v9_str(&o, "tick");
    lc_buf_put_u16le(&o, 1);
    lc_buf_putc(&o, 1);      /* User */
    lc_buf_putc(&o, 0);      /* Public */
    lc_buf_put_u32le(&o, 1); /* reducers */
    v9_str(&o, "init");
    lc_buf_put_u32le(&o, 0);
    lc_buf_putc(&o, 0); /* lifecycle: some(Init) */
    lc_buf_putc(&o, 0);
    lc_buf_put_u32le(&o, 1); /* types */
    lc_buf_put_u32le(&o, 0);
    v9_str(&o, "Timer");
    lc_buf_put_u32le(&o, 0);
    lc_buf_putc(&o, 1);
    lc_buf_put_u32le(&o, 2); /* misc: a default value, a view */
    lc_buf_putc(&o, 0);
    v9_str(&o, "timer");
    lc_buf_put_u16le(&o, 0);
    lc_buf_put_u32le(&o, 1);
    lc_buf_putc(&o, 0x2a);
    lc_buf_putc(&o, 2);
    v9_str(&o, "v");
    lc_buf_put_u32le(&o, 3);
    lc_buf_putc(&o, 1);
    lc_buf_putc(&o, 0);
    lc_buf_put_u32le(&o, 0);
    sats_type_encode(&o, sats_type_array(&a, sats_type_ref(&a, 0)));
    lc_buf_put_u32le(&o, 1); /* rls */
    v9_str(&o, "SELECT * FROM timer");
    lc_arena_free(&a);
    return lc_buf_take(&o, len);
}

TEST(def_type_v9)
{
    size_t len;
    uint8_t *bytes = v9_def(&len);
    int version = 0;
    char *json = def_json(bytes, len, &version);
    CHECK(json != NULL);
    CHECK_EQ_INT(version, 9);
    CHECK_HAS(json, "{\"typespace\":{\"types\":[{\"Product\":");
    CHECK_HAS(json, "\"tables\":[{\"name\":\"timer\",\"product_type_ref\":0,\"primary_key\":[],"
                    "\"indexes\":[],\"constraints\":[],\"sequences\":[],\"schedule\":{\"some\":{"
                    "\"name\":{\"none\":[]},\"reducer_name\":\"tick\",\"scheduled_at_column\":1}}");
    CHECK_HAS(json, "\"reducers\":[{\"name\":\"init\",\"params\":{\"elements\":[]},"
                    "\"lifecycle\":{\"some\":{\"Init\":[]}}}]");
    CHECK_HAS(json, "\"types\":[{\"name\":{\"scope\":[],\"name\":\"Timer\"},\"ty\":0,"
                    "\"custom_ordering\":true}]");
    CHECK_HAS(json, "{\"ColumnDefaultValue\":{\"table\":\"timer\",\"col_id\":0,\"value\":\"2a\"}}");
    CHECK_HAS(json, "{\"View\":{\"name\":\"v\",\"index\":3,\"is_public\":true");
    CHECK_HAS(json, "\"row_level_security\":[{\"sql\":\"SELECT * FROM timer\"}]}");
    CHECK(round_trips(bytes, len, json));
    lc_free(json);
    lc_free(bytes);
}

TEST(def_type_bad_bytes)
{
    static const char *const reducers[] = {"ok"};
    lc_buf_t b = {0}, out = {0};
    fixture_def_v10(&b, reducers, 1, 0);
    lc_err_t err;
    int version = 0;
    CHECK_EQ_INT(mod_def_raw_json(b.data, b.len - 3, &out, &version, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "module definition does not decode") != NULL);
    b.data[0] = 0;
    CHECK_EQ_INT(mod_def_raw_json(b.data, b.len, &out, &version, &err), LC_EUNSUPPORTED);
    b.data[0] = 3;
    CHECK_EQ_INT(mod_def_raw_json(b.data, b.len, &out, &version, &err), LC_ECORRUPT);
    CHECK_EQ_INT(version, 0);
    lc_buf_free(&out);
    lc_buf_free(&b);
}

/* ---------------------------------------------------------------- the examples */

typedef struct bytes_job {
    lc_buf_t buf;
    int rc;
    atomic_bool done;
} bytes_job_t;

static void read_bytes(void *arg, db_t *db)
{
    bytes_job_t *j = arg;
    j->rc = db_def_bytes(db, &j->buf);
    atomic_store(&j->done, true);
}

/* Publish build/examples/<name>.wasm into a fresh database and return the
 * typed JSON of its definition (version 10), checking the round trip. */
static char *example_json(const char *name)
{
    size_t n;
    wasm_engine_config_t ecfg = {.cache_dir = fixture_cache_dir(), .opt_level = -1};
    ecfg.host_fns = mod_abi_host_fns(&n);
    ecfg.nhost_fns = n;
    wasm_engine_t *engine = NULL;
    db_t *db = NULL;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), name);
    db_config_t cfg = {.dir = dir, .fsync = DUR_FSYNC_NEVER};
    cfg.limits.time_ms = 10000;
    cfg.limits.memory_bytes = 64u << 20;
    bytes_job_t j = {.rc = -1};
    lc_err_t err = {0};
    char *json = NULL;
    size_t len;
    uint8_t *wasm = fixture_example(name, &len);
    db_publish_opts_t o = {0};
    db_publish_result_t r = {0};
    if (wasm && wasm_engine_new(&ecfg, &engine, &err) == LC_OK &&
        (cfg.engine = engine, db_open(&cfg, &db, &err) == LC_OK) &&
        db_publish(db, wasm, len, &o, &r, &err) == LC_OK && db_exec(db, read_bytes, &j) == LC_OK) {
        while (!atomic_load(&j.done)) usleep(1000);
        int version = 0;
        json = j.rc == LC_OK ? def_json(j.buf.data, j.buf.len, &version) : NULL;
        if (json && (version != 10 || !round_trips(j.buf.data, j.buf.len, json))) {
            fprintf(stderr, "  %s: version %d, or no round trip\n", name, version);
            lc_free(json);
            json = NULL;
        }
    } else if (err.msg[0]) {
        fprintf(stderr, "  %s: %s\n", name, err.msg);
    }
    lc_buf_free(&r.plan);
    lc_buf_free(&j.buf);
    if (db)
        db_close(db);
    if (engine)
        wasm_engine_free(engine);
    lc_free(wasm);
    return json;
}

TEST(def_type_examples)
{
    char *json = example_json("bank");
    CHECK(json != NULL);
    CHECK_HAS(json, "\"Tables\":[{\"source_name\":\"accounts\"");
    CHECK_HAS(json, "{\"name\":{\"some\":\"id\"},\"algebraic_type\":{\"U32\":[]}}");
    CHECK_HAS(json, "{\"name\":{\"some\":\"balance\"},\"algebraic_type\":{\"I64\":[]}}");
    CHECK_HAS(json, "{\"source_name\":\"transfer\",\"params\":{\"elements\":[{\"name\":{\"some\":"
                    "\"from\"}");
    CHECK_HAS(json, "{\"source_name\":\"seed\"");
    lc_free(json);

    json = example_json("chat");
    CHECK(json != NULL);
    CHECK_HAS(json, "{\"source_name\":\"user\"");
    CHECK_HAS(json, "{\"source_name\":\"message\"");
    CHECK_HAS(json, "{\"name\":{\"some\":\"identity\"},\"algebraic_type\":{\"Product\":{"
                    "\"elements\":[{\"name\":{\"some\":\"__identity__\"},\"algebraic_type\":{"
                    "\"U256\":[]}}]}}}");
    CHECK_HAS(json, "{\"source_name\":\"send_message\"");
    CHECK_HAS(json,
              "{\"lifecycle_spec\":{\"OnConnect\":[]},\"function_name\":\"client_connected\"}");
    CHECK_HAS(json, "{\"lifecycle_spec\":{\"OnDisconnect\":[]}");
    lc_free(json);

    json = example_json("alltypes");
    CHECK(json != NULL);
    CHECK_HAS(json, "{\"source_name\":\"all_types\"");
    CHECK_HAS(json, "{\"name\":{\"some\":\"u256\"},\"algebraic_type\":{\"U256\":[]}}");
    CHECK_HAS(json, "{\"name\":{\"some\":\"f64\"},\"algebraic_type\":{\"F64\":[]}}");
    lc_free(json);
}

const test_case_t test_module_def_type_cases[] = {
    TEST_CASE(def_type_fixture_v10), TEST_CASE(def_type_every_v10_section), TEST_CASE(def_type_v9),
    TEST_CASE(def_type_bad_bytes),   TEST_CASE(def_type_examples),          TEST_END,
};
