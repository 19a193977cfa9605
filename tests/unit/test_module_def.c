/*
 * Tests for src/module/def.c and def_validate.c: decoding RawModuleDef V10
 * and V9 built byte by byte, naming (case policy, explicit names, generated
 * index/constraint/sequence/schedule names), every validation error of
 * module-abi.md §5.12 (alone and all together), hostile bytes (every
 * truncation, byte flips, failing allocations), and the store definition
 * of a table used to create it in a real store.
 */
#include <stdlib.h>

#include "mod_def_builder.h"
#include "module/mod_def.h"
#include "store/store.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

static mod_def_t *decode_or_print(const uint8_t *bytes, size_t len)
{
    mod_def_t *d = NULL;
    lc_err_t err;
    if (mod_def_decode(bytes, len, &d, &err) != 0)
        fprintf(stderr, "  decode failed: %s\n", err.msg);
    return d;
}

static mod_def_t *finish_decode(mdb_t *b)
{
    size_t len;
    uint8_t *bytes = mdb_finish(b, &len);
    mod_def_t *d = decode_or_print(bytes, len);
    lc_free(bytes);
    return d;
}

/* Decoding must fail with LC_EINVAL and the full report must contain every
 * one of the NULL-terminated substrings. */
static bool invalid_with(mdb_t *b, ...)
{
    size_t len;
    uint8_t *bytes = mdb_finish(b, &len);
    mod_def_t *d = NULL;
    lc_err_t err = {0};
    lc_buf_t report = {0};
    int rc = mod_def_decode_report(bytes, len, &d, &report, &err);
    lc_free(bytes);
    lc_buf_terminate(&report);
    const char *text = report.data ? (const char *)report.data : "";
    bool ok = rc == LC_EINVAL && d == NULL && err.code == LC_EINVAL;
    va_list ap;
    va_start(ap, b);
    for (const char *want; ok && (want = va_arg(ap, const char *)) != NULL;)
        ok = strstr(text, want) != NULL &&
             strstr(err.msg, "module definition is invalid") == err.msg;
    va_end(ap);
    if (!ok)
        fprintf(stderr, "  rc %d, report:\n%s  err: %s\n", rc, text, err.msg);
    mod_def_free(d);
    lc_buf_free(&report);
    return ok;
}

#define INVALID(b, ...) CHECK(invalid_with((b), __VA_ARGS__, (const char *)NULL))

static const sats_type_t *str_t(void)
{
    return sats_prim(SATS_STRING);
}

/* A chat module, the way the Rust bindings would describe it. */
static uint8_t *chat_bytes(size_t *len)
{
    mdb_t b;
    mdb_init(&b);
    lc_arena_t *a = &b.a;
    uint32_t user =
        mdb_type(&b, "User",
                 ROW(&b, 4, "identity", sats_type_identity(), "name", sats_type_option(a, str_t()),
                     "online", P(SATS_BOOL), "lastSeen", sats_type_timestamp()),
                 true);
    uint32_t status =
        mdb_type(&b, "Status",
                 SUM(a, 2, "Online", sats_type_unit(), "AwayFromKeyboard", sats_type_unit()), true);
    uint32_t msg =
        mdb_type(&b, "Message",
                 ROW(&b, 5, "id", P(SATS_U64), "sender", sats_type_identity(), "sent",
                     sats_type_timestamp(), "kind", sats_type_ref(a, status), "text", str_t()),
                 true);
    uint32_t rem = mdb_type(&b, "SendReminder",
                            ROW(&b, 3, "scheduledId", P(SATS_U64), "scheduledAt",
                                sats_type_schedule_at(), "text", str_t()),
                            true);
    uint32_t secret =
        mdb_type(&b, "Secret", ROW(&b, 2, "key", str_t(), "value", sats_type_bytes()), true);
    uint32_t score = mdb_type(&b, "Score",
                              ROW(&b, 4, "player", sats_type_identity(), "level", P(SATS_U32),
                                  "points", P(SATS_U64), "slot", P(SATS_U8)),
                              true);
    mdb_table(&b, &(mt_table_t){.name = "User",
                                .ref = user,
                                .npk = 1,
                                .pk = {0},
                                .idx = {{"User_identity_idx_btree", "identity", 0, 1, {0}}},
                                .nidx = 1,
                                .uniq = {{1, {0}}},
                                .nuniq = 1});
    mdb_table(&b, &(mt_table_t){.name = "Message",
                                .ref = msg,
                                .npk = 1,
                                .pk = {0},
                                .idx = {{"Message_id_idx_btree", "id", 0, 1, {0}},
                                        {"Message_sender_idx_btree", "sender", 0, 1, {1}},
                                        {"Message_kind_idx_direct", "kind", 2, 1, {3}}},
                                .nidx = 3,
                                .uniq = {{1, {0}}},
                                .nuniq = 1,
                                .seq = {{.col = 0}},
                                .nseq = 1});
    mdb_table(&b, &(mt_table_t){.name = "SendReminder",
                                .ref = rem,
                                .npk = 1,
                                .pk = {0},
                                .idx = {{"SendReminder_scheduledId_idx_btree", NULL, 0, 1, {0}}},
                                .nidx = 1,
                                .uniq = {{1, {0}}},
                                .nuniq = 1,
                                .seq = {{.col = 0}},
                                .nseq = 1});
    mdb_table(&b, &(mt_table_t){.name = "Secret",
                                .ref = secret,
                                .npk = 0,
                                .idx = {{"Secret_key_idx_hash", "key", 1, 1, {0}}},
                                .nidx = 1,
                                .private_ = true});
    mdb_table(&b, &(mt_table_t){.name = "Score",
                                .ref = score,
                                .idx = {{"Score_player_idx_hash", NULL, 1, 1, {0}},
                                        {"Score_slot_idx_direct", NULL, 2, 1, {3}},
                                        {"Score_level_points_idx_btree", NULL, 0, 2, {1, 2}}},
                                .nidx = 3});
    mdb_reducer(&b, "init", sats_type_unit(), 0);
    mdb_reducer(&b, "clientConnected", sats_type_unit(), 0);
    mdb_reducer(&b, "clientDisconnected", sats_type_unit(), 0);
    mdb_reducer(&b, "sendMessage", ROW(&b, 1, "text", str_t()), 1);
    mdb_reducer(&b, "setName", ROW(&b, 1, "name", str_t()), 1);
    mdb_reducer(&b, "sendReminder", ROW(&b, 1, "arg", sats_type_ref(a, rem)), 1);
    mdb_lifecycle(&b, 0, "init");
    mdb_lifecycle(&b, 1, "clientConnected");
    mdb_lifecycle(&b, 2, "clientDisconnected");
    mdb_schedule(&b, "SendReminder", 1, "sendReminder");
    mdb_rls(&b, "SELECT * FROM secret WHERE key = 'public'");
    return mdb_finish(&b, len);
}

static mod_def_t *chat_def(void)
{
    size_t len;
    uint8_t *bytes = chat_bytes(&len);
    mod_def_t *d = decode_or_print(bytes, len);
    lc_free(bytes);
    return d;
}

/* A one-table module {id: U32, name: String} with pk id; for error cases. */
static uint32_t simple_table(mdb_t *b, const char *name)
{
    uint32_t ref = mdb_type(b, name, ROW(b, 2, "id", P(SATS_U32), "name", str_t()), true);
    char idx[64];
    snprintf(idx, sizeof idx, "%s_id_idx_btree", name);
    mt_table_t t = {.name = name, .ref = ref, .npk = 1, .pk = {0}, .nidx = 1, .nuniq = 1};
    t.idx[0] = (mt_index_t){idx, NULL, 0, 1, {0}};
    t.uniq[0] = (mt_unique_t){1, {0}};
    mdb_table(b, &t);
    return ref;
}

/* ---------------------------------------------------------------- the chat module */

TEST(chat_tables_and_names)
{
    mod_def_t *d = chat_def();
    CHECK(d != NULL);
    CHECK_EQ_INT(d->version, MOD_DEF_V10);
    CHECK_EQ_INT(d->case_policy, MOD_CASE_POLICY_SNAKE);
    CHECK_EQ_INT(d->ntables, 5);
    const mod_table_t *u = &d->tables[0];
    CHECK_EQ_STR(u->name, "user");
    CHECK_EQ_STR(u->source_name, "User");
    CHECK_EQ_INT(u->ncols, 4);
    CHECK_EQ_STR(u->cols[3].name, "last_seen");
    CHECK_EQ_STR(u->cols[3].accessor, "lastSeen");
    CHECK_EQ_STR(u->row_type->u.fields.items[3].name, "last_seen");
    CHECK_EQ_STR(u->accessor_row_type->u.fields.items[3].name, "lastSeen");
    CHECK_EQ_INT(u->primary_key, 0);
    CHECK_EQ_INT(u->access, MOD_ACCESS_PUBLIC);
    CHECK_EQ_STR(u->indexes[0].name, "user_identity_idx_btree");
    CHECK_EQ_STR(u->indexes[0].source_name, "User_identity_idx_btree");
    CHECK_EQ_STR(u->indexes[0].accessor_name, "identity");
    CHECK_EQ_STR(u->constraints[0].name, "user_identity_key");

    const mod_table_t *m = &d->tables[1];
    CHECK_EQ_STR(m->name, "message");
    CHECK_EQ_INT(m->nindexes, 3);
    CHECK_EQ_STR(m->indexes[2].name, "message_kind_idx_direct");
    CHECK_EQ_INT(m->indexes[2].algo, MOD_INDEX_DIRECT);
    CHECK_EQ_STR(m->sequences[0].name, "message_id_seq");
    CHECK(m->sequences[0].start == 1 && m->sequences[0].min_value == 1);
    CHECK(m->sequences[0].increment == 1);
    CHECK(m->sequences[0].max_value == (__int128)(((unsigned __int128)1 << 127) - 1));

    const mod_table_t *s = &d->tables[2];
    CHECK_EQ_STR(s->name, "send_reminder");
    CHECK_EQ_STR(s->cols[0].name, "scheduled_id");
    CHECK(s->schedule != NULL);
    CHECK_EQ_STR(s->schedule->name, "send_reminder_sched");
    CHECK_EQ_STR(s->schedule->function_name, "send_reminder");
    CHECK_EQ_INT(s->schedule->function, 5);
    CHECK(!s->schedule->is_procedure);
    CHECK_EQ_INT(s->schedule->at_col, 1);
    CHECK_EQ_INT(s->schedule->id_col, 0);

    CHECK_EQ_INT(d->tables[3].access, MOD_ACCESS_PRIVATE);
    CHECK_EQ_STR(d->tables[3].indexes[0].name, "secret_key_idx_hash");
    CHECK_EQ_INT(d->tables[3].primary_key, -1);
    const mod_table_t *sc = &d->tables[4];
    CHECK_EQ_STR(sc->indexes[0].name, "score_player_idx_hash");
    CHECK_EQ_STR(sc->indexes[1].name, "score_slot_idx_direct");
    CHECK_EQ_STR(sc->indexes[2].name, "score_level_points_idx_btree");
    CHECK_EQ_INT(sc->indexes[2].ncols, 2);
    CHECK(sc->indexes[0].accessor_name == NULL);
    CHECK_EQ_INT(d->nrls, 1);
    mod_def_free(d);
}

TEST(chat_reducers_and_lookups)
{
    mod_def_t *d = chat_def();
    CHECK(d != NULL);
    static const char *const names[] = {"init",         "client_connected", "client_disconnected",
                                        "send_message", "set_name",         "send_reminder"};
    CHECK_EQ_INT(d->nreducers, 6);
    for (uint32_t i = 0; i < 6; i++) {
        CHECK_EQ_STR(d->reducers[i].name, names[i]);
        CHECK_EQ_INT(d->reducers[i].id, i);
    }
    CHECK_EQ_INT(d->reducers[0].lifecycle, MOD_LIFECYCLE_INIT);
    CHECK_EQ_INT(d->reducers[1].lifecycle, MOD_LIFECYCLE_CONNECT);
    CHECK_EQ_INT(d->reducers[2].lifecycle, MOD_LIFECYCLE_DISCONNECT);
    CHECK_EQ_INT(d->lifecycle[MOD_LIFECYCLE_INIT], 0);
    CHECK_EQ_INT(d->lifecycle[MOD_LIFECYCLE_DISCONNECT], 2);
    CHECK_EQ_INT(d->reducers[3].visibility, MOD_VIS_CLIENT);
    CHECK_EQ_INT(d->reducers[5].visibility, MOD_VIS_PRIVATE); /* scheduled */
    CHECK_EQ_INT(d->reducers[0].visibility, MOD_VIS_PRIVATE); /* lifecycle */
    CHECK_EQ_STR(d->reducers[3].params->u.fields.items[0].name, "text");

    CHECK(mod_def_table(d, "user") == &d->tables[0]);
    CHECK(mod_def_table(d, "User") == &d->tables[0]);
    CHECK(mod_def_table(d, "nobody") == NULL);
    CHECK(mod_def_reducer(d, "send_message") == &d->reducers[3]);
    CHECK(mod_def_reducer(d, "sendMessage") == NULL);
    const mod_table_t *t = NULL;
    const mod_index_t *x = mod_def_index(d, "Message_sender_idx_btree", &t);
    CHECK(x != NULL && t == &d->tables[1]);
    CHECK(mod_def_index(d, "message_sender_idx_btree", NULL) == x);
    CHECK_EQ_INT(x->table, 1);

    /* Types: PascalCase names, camelCase variants in the canonical typespace. */
    CHECK_EQ_INT(d->ntypes, 6);
    CHECK_EQ_STR(d->types[1].name, "Status");
    const sats_type_t *st = d->typespace.types[d->types[1].ref];
    CHECK_EQ_STR(st->u.fields.items[1].name, "awayFromKeyboard");
    CHECK_EQ_STR(d->accessor_typespace.types[1]->u.fields.items[1].name, "AwayFromKeyboard");
    /* Special types keep their magic names. */
    const sats_type_t *sat = d->tables[2].row_type->u.fields.items[1].type;
    CHECK_EQ_INT(sats_type_special(sat), SATS_SPECIAL_SCHEDULE_AT);
    mod_def_free(d);
}

/* The store accepts every table's definition, and rows go in. */
TEST(chat_store_defs_create_tables)
{
    mod_def_t *d = chat_def();
    CHECK(d != NULL);
    store_db_t *db;
    lc_err_t err;
    CHECK_OK(store_db_open(&db, &err));
    store_tx_t *tx;
    CHECK_OK(store_tx_begin(db, &tx, &err));
    lc_arena_t a;
    lc_arena_init(&a, 0);
    int rc = 0;
    for (uint32_t i = 0; i < d->ntables && rc == 0; i++) {
        store_table_def_t def;
        uint32_t id;
        rc = mod_def_table_store_def(d, i, &a, &def, &err);
        if (rc == 0)
            rc = store_create_table(tx, &def, &id, &err);
    }
    uint8_t row[42] = {0};
    row[0] = 7;     /* identity */
    row[32] = 1;    /* name: none */
    row[33] = 1;    /* online */
    row[34] = 0x40; /* last_seen */
    uint32_t user_id = 0;
    store_insert_result_t res;
    if (rc == 0)
        rc = store_table_id(db, "user", &user_id);
    if (rc == 0)
        rc = store_insert(tx, user_id, row, sizeof row, &res, &err);
    store_changeset_t cs = {0};
    if (rc == 0)
        rc = store_tx_commit(tx, &cs, &err);
    else
        store_tx_rollback(tx);
    store_changeset_free(&cs);
    lc_arena_free(&a);
    store_db_close(db);
    store_table_def_t unused;
    int bad = mod_def_table_store_def(d, 99, NULL, &unused, NULL);
    mod_def_free(d);
    CHECK_MSG(rc == 0, "store: %s", err.msg);
    CHECK_EQ_INT(bad, LC_ENOTFOUND);
}

TEST(store_def_fields)
{
    mod_def_t *d = chat_def();
    CHECK(d != NULL);
    lc_arena_t a;
    lc_arena_init(&a, 0);
    store_table_def_t def;
    int rc = mod_def_table_store_def(d, 1, &a, &def, NULL);
    bool ok = rc == 0 && strcmp(def.name, "message") == 0 && def.nindexes == 3 &&
              def.indexes[2].algo == STORE_INDEX_DIRECT && def.nconstraints == 1 &&
              strcmp(def.constraints[0].name, "message_id_key") == 0 && def.nsequences == 1 &&
              def.sequences[0].start == 1 && def.primary_key == 0 && def.access == STORE_PUBLIC &&
              def.ts == &d->typespace && def.row_type == d->tables[1].row_type;
    rc = rc ? rc : mod_def_table_store_def(d, 3, &a, &def, NULL);
    ok = ok && rc == 0 && def.access == STORE_PRIVATE && def.indexes[0].algo == STORE_INDEX_HASH &&
         def.primary_key == -1;
    lc_arena_free(&a);
    mod_def_free(d);
    CHECK(ok);
}

/* ---------------------------------------------------------------- V9 */

static uint8_t *v9_bytes(size_t *len)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_buf_t o = {0};
    lc_buf_putc(&o, 1);
    lc_buf_put_u32le(&o, 2); /* typespace */
    sats_type_encode(&o, PRODUCT(&a, 3, "id", P(SATS_U32), "lastName", str_t(), "age", P(SATS_U8)));
    sats_type_encode(&o,
                     PRODUCT(&a, 2, "scheduled_id", P(SATS_U64), "at", sats_type_schedule_at()));
    lc_buf_put_u32le(&o, 2); /* tables */
    put_str(&o, "person");
    lc_buf_put_u32le(&o, 0);
    put_cols(&o, 1, (uint16_t[]){0});
    lc_buf_put_u32le(&o, 1); /* index: no name, accessor "id", btree [0] */
    put_opt_str(&o, NULL);
    put_opt_str(&o, "id");
    lc_buf_putc(&o, 0);
    put_cols(&o, 1, (uint16_t[]){0});
    lc_buf_put_u32le(&o, 1); /* unique [0] */
    put_opt_str(&o, NULL);
    lc_buf_putc(&o, 0);
    put_cols(&o, 1, (uint16_t[]){0});
    lc_buf_put_u32le(&o, 1); /* sequence on 0 */
    put_opt_str(&o, NULL);
    lc_buf_put_u16le(&o, 0);
    for (int i = 0; i < 3; i++) lc_buf_putc(&o, 1);
    put_i128(&o, 1);
    lc_buf_putc(&o, 1); /* no schedule */
    lc_buf_putc(&o, 1); /* user */
    lc_buf_putc(&o, 0); /* public */
    put_str(&o, "tick_timer");
    lc_buf_put_u32le(&o, 1);
    put_cols(&o, 1, (uint16_t[]){0});
    lc_buf_put_u32le(&o, 1);
    put_opt_str(&o, NULL);
    put_opt_str(&o, NULL);
    lc_buf_putc(&o, 0);
    put_cols(&o, 1, (uint16_t[]){0});
    lc_buf_put_u32le(&o, 1);
    put_opt_str(&o, NULL);
    lc_buf_putc(&o, 0);
    put_cols(&o, 1, (uint16_t[]){0});
    lc_buf_put_u32le(&o, 0);
    lc_buf_putc(&o, 0); /* schedule: some */
    put_opt_str(&o, NULL);
    put_str(&o, "tick");
    lc_buf_put_u16le(&o, 1);
    lc_buf_putc(&o, 1);
    lc_buf_putc(&o, 1);      /* private */
    lc_buf_put_u32le(&o, 3); /* reducers */
    put_str(&o, "addPerson");
    put_product(&o, PRODUCT(&a, 1, "lastName", str_t()));
    lc_buf_putc(&o, 1);
    put_str(&o, "init");
    put_product(&o, sats_type_unit());
    lc_buf_putc(&o, 0);
    lc_buf_putc(&o, 0); /* Init */
    put_str(&o, "tick");
    put_product(&o, PRODUCT(&a, 1, "t", sats_type_ref(&a, 1)));
    lc_buf_putc(&o, 1);
    lc_buf_put_u32le(&o, 2); /* types */
    lc_buf_put_u32le(&o, 0);
    put_str(&o, "Person");
    lc_buf_put_u32le(&o, 0);
    lc_buf_putc(&o, 1);
    lc_buf_put_u32le(&o, 0);
    put_str(&o, "TickTimer");
    lc_buf_put_u32le(&o, 1);
    lc_buf_putc(&o, 1);
    lc_buf_put_u32le(&o, 2); /* misc: a default value, a procedure */
    lc_buf_putc(&o, 0);
    put_str(&o, "person");
    lc_buf_put_u16le(&o, 2);
    put_hex(&o, "2a");
    lc_buf_putc(&o, 1);
    put_str(&o, "fetch");
    put_product(&o, sats_type_unit());
    sats_type_encode(&o, str_t());
    lc_buf_put_u32le(&o, 1); /* rls */
    put_str(&o, "SELECT * FROM person");
    lc_arena_free(&a);
    return lc_buf_take(&o, len);
}

TEST(v9_module)
{
    size_t len;
    uint8_t *bytes = v9_bytes(&len);
    mod_def_t *d = decode_or_print(bytes, len);
    lc_free(bytes);
    CHECK(d != NULL);
    bool ok = d->version == MOD_DEF_V9 && d->case_policy == MOD_CASE_POLICY_NONE;
    const mod_table_t *t = &d->tables[0];
    ok = ok && strcmp(t->name, "person") == 0 && strcmp(t->cols[1].name, "lastName") == 0;
    ok = ok && strcmp(t->indexes[0].name, "person_id_idx_btree") == 0 &&
         strcmp(t->indexes[0].source_name, "person_id_idx_btree") == 0 &&
         strcmp(t->indexes[0].accessor_name, "id") == 0;
    ok = ok && strcmp(t->constraints[0].name, "person_id_key") == 0 &&
         strcmp(t->sequences[0].name, "person_id_seq") == 0;
    ok = ok && t->cols[2].default_value && t->cols[2].default_len == 1 &&
         t->cols[2].default_value[0] == 0x2a;
    const mod_table_t *tt = &d->tables[1];
    ok = ok && tt->schedule && strcmp(tt->schedule->name, "tick_timer_sched") == 0 &&
         tt->schedule->function == 2 && tt->access == MOD_ACCESS_PRIVATE;
    ok = ok && d->nreducers == 3 && strcmp(d->reducers[0].name, "addPerson") == 0 &&
         d->reducers[1].lifecycle == MOD_LIFECYCLE_INIT && d->lifecycle[MOD_LIFECYCLE_INIT] == 1;
    /* V9 keeps every reducer client-callable, as the reference does. */
    ok = ok && d->reducers[2].visibility == MOD_VIS_CLIENT;
    ok = ok && d->nprocedures == 1 && strcmp(d->procedures[0].name, "fetch") == 0;
    ok = ok && d->nrls == 1 && strcmp(d->types[1].name, "TickTimer") == 0;
    mod_def_free(d);
    CHECK(ok);
}

/* ---------------------------------------------------------------- naming */

/* The reference's own case-conversion fixture (validate/v10.rs). */
static void fruit_module(mdb_t *b)
{
    lc_arena_t *a = &b->a;
    uint32_t color = mdb_type(b, "FruitColor",
                              SUM(a, 3, "RedApple", sats_type_unit(), "GreenApple",
                                  sats_type_unit(), "YellowApple", sats_type_unit()),
                              true);
    mdb_scoped_type(b, "myLib", "metaInfo", ROW(b, 1, "kind", P(SATS_U8)));
    uint32_t basket = mdb_type(b, "FruitBasket",
                               ROW(b, 4, "BasketId", P(SATS_U64), "fruitName", str_t(), "ItemCount",
                                   P(SATS_U32), "color_label", sats_type_ref(a, color)),
                               true);
    mdb_table(b, &(mt_table_t){.name = "FruitBasket",
                               .ref = basket,
                               .idx = {{"RawBasketLookup", "fruitNameIndex", 0, 2, {0, 1}},
                                       {"RawCountDirect", "ItemCount", 2, 1, {2}}},
                               .nidx = 2,
                               .uniq = {{1, {2}}},
                               .nuniq = 1,
                               .seq = {{.col = 0}},
                               .nseq = 1});
    uint32_t rec = mdb_type(b, "deliveryRecord",
                            ROW(b, 3, "recordId", P(SATS_U64), "ScheduledAt",
                                sats_type_schedule_at(), "SeqId", P(SATS_U64)),
                            true);
    mdb_table(b, &(mt_table_t){.name = "deliveryRecord",
                               .ref = rec,
                               .npk = 1,
                               .pk = {2},
                               .idx = {{"SeqIdIndex", "SeqId", 0, 1, {2}}},
                               .nidx = 1,
                               .uniq = {{1, {2}}},
                               .nuniq = 1,
                               .seq = {{.col = 2}},
                               .nseq = 1,
                               .system = true});
    mdb_reducer(b, "doDelivery", ROW(b, 1, "a", sats_type_ref(a, rec)), 1);
    mdb_reducer(b, "ProcessItem", ROW(b, 1, "b", P(SATS_U32)), 1);
    mdb_schedule(b, "deliveryRecord", 1, "doDelivery");
}

TEST(snake_case_policy_like_the_reference)
{
    mdb_t b;
    mdb_init(&b);
    fruit_module(&b);
    mod_def_t *d = finish_decode(&b);
    CHECK(d != NULL);
    const mod_table_t *fb = mod_def_table(d, "fruit_basket"),
                      *dr = mod_def_table(d, "delivery_record");
    bool ok = fb && dr && strcmp(fb->source_name, "FruitBasket") == 0;
    ok = ok && strcmp(fb->cols[0].name, "basket_id") == 0 &&
         strcmp(fb->cols[1].name, "fruit_name") == 0 &&
         strcmp(fb->cols[2].name, "item_count") == 0 &&
         strcmp(fb->cols[3].name, "color_label") == 0;
    ok = ok && strcmp(fb->indexes[0].name, "fruit_basket_basket_id_fruit_name_idx_btree") == 0 &&
         strcmp(fb->indexes[0].source_name, "RawBasketLookup") == 0 &&
         strcmp(fb->indexes[0].accessor_name, "fruitNameIndex") == 0 &&
         strcmp(fb->indexes[1].name, "fruit_basket_item_count_idx_direct") == 0;
    ok = ok && strcmp(fb->constraints[0].name, "fruit_basket_item_count_key") == 0 &&
         strcmp(fb->sequences[0].name, "fruit_basket_basket_id_seq") == 0;
    ok = ok && dr->cols[1].name && strcmp(dr->cols[1].name, "scheduled_at") == 0 &&
         strcmp(dr->schedule->name, "delivery_record_sched") == 0 &&
         strcmp(dr->schedule->function_name, "do_delivery") == 0;
    ok = ok && mod_def_reducer(d, "do_delivery") && mod_def_reducer(d, "process_item");
    ok = ok && strcmp(d->types[0].name, "FruitColor") == 0 &&
         strcmp(d->types[1].name, "MyLib::MetaInfo") == 0 &&
         strcmp(d->types[1].source_name, "myLib::metaInfo") == 0;
    const sats_type_t *color = d->typespace.types[d->types[0].ref];
    ok = ok && strcmp(color->u.fields.items[0].name, "redApple") == 0 &&
         strcmp(color->u.fields.items[2].name, "yellowApple") == 0;
    mod_def_free(d);
    CHECK(ok);
}

TEST(explicit_names_override_the_policy)
{
    mdb_t b;
    mdb_init(&b);
    fruit_module(&b);
    mdb_explicit(&b, 0, "FruitBasket", "FB");
    mdb_explicit(&b, 1, "doDelivery", "Deliver");
    mdb_explicit(&b, 2, "RawBasketLookup", "fb_lookuP");
    mod_def_t *d = finish_decode(&b);
    CHECK(d != NULL);
    const mod_table_t *fb = mod_def_table(d, "FB");
    bool ok =
        fb && mod_def_table(d, "fruit_basket") == NULL && mod_def_table(d, "FruitBasket") == fb;
    ok = ok && strcmp(fb->cols[0].name, "basket_id") == 0 &&
         strcmp(fb->indexes[0].name, "fb_lookuP") == 0 &&
         strcmp(fb->indexes[1].name, "FB_item_count_idx_direct") == 0 &&
         strcmp(fb->constraints[0].name, "FB_item_count_key") == 0 &&
         strcmp(fb->sequences[0].name, "FB_basket_id_seq") == 0;
    ok = ok && mod_def_reducer(d, "Deliver") && !mod_def_reducer(d, "do_delivery") &&
         mod_def_reducer(d, "process_item");
    const mod_table_t *dr = mod_def_table(d, "delivery_record");
    ok = ok && dr && strcmp(dr->indexes[0].name, "delivery_record_seq_id_idx_btree") == 0 &&
         strcmp(dr->schedule->function_name, "Deliver") == 0;
    ok = ok && mod_def_index(d, "fb_lookuP", NULL) == &fb->indexes[0] &&
         mod_def_index(d, "RawBasketLookup", NULL) == &fb->indexes[0];
    mod_def_free(d);
    CHECK(ok);
}

TEST(case_policy_none_keeps_names)
{
    mdb_t b;
    mdb_init(&b);
    fruit_module(&b);
    b.case_policy = 0;
    mod_def_t *d = finish_decode(&b);
    CHECK(d != NULL);
    const mod_table_t *fb = mod_def_table(d, "FruitBasket");
    bool ok = d->case_policy == MOD_CASE_POLICY_NONE && fb &&
              strcmp(fb->cols[0].name, "BasketId") == 0 &&
              strcmp(fb->indexes[0].name, "FruitBasket_BasketId_fruitName_idx_btree") == 0 &&
              strcmp(fb->constraints[0].name, "FruitBasket_ItemCount_key") == 0 &&
              mod_def_reducer(d, "doDelivery") && strcmp(d->types[1].name, "myLib::metaInfo") == 0;
    const sats_type_t *color = d->typespace.types[d->types[0].ref];
    ok = ok && strcmp(color->u.fields.items[0].name, "RedApple") == 0;
    mod_def_free(d);
    CHECK(ok);
}

TEST(views_procedures_http)
{
    mdb_t b;
    mdb_init(&b);
    lc_arena_t *a = &b.a;
    uint32_t row = mdb_type(&b, "Player", ROW(&b, 2, "id", P(SATS_U64), "name", str_t()), true);
    mt_table_t t = {.name = "player", .ref = row, .npk = 1, .pk = {0}, .nidx = 1, .nuniq = 1};
    t.idx[0] = (mt_index_t){"player_id_idx_btree", NULL, 0, 1, {0}};
    t.uniq[0] = (mt_unique_t){1, {0}};
    mdb_table(&b, &t);
    mdb_view(&b, "myPlayer", 0, true, false, sats_type_unit(),
             sats_type_option(a, sats_type_ref(a, row)));
    mdb_view(&b, "allPlayers", 0, true, true, sats_type_unit(),
             ROW(&b, 1, "__query__", sats_type_ref(a, row)));
    mdb_view_pk(&b, "myPlayer", 1, "id");
    mdb_procedure(&b, "fetchScore", ROW(&b, 1, "url", str_t()), P(SATS_U32), 1);
    mdb_http_handler(&b, "hook");
    mdb_http_route(&b, "hook", 2, "/hook");
    mdb_http_route(&b, "hook", 0, "/hook");
    mod_def_t *d = finish_decode(&b);
    CHECK(d != NULL);
    bool ok = d->nviews == 2 && strcmp(d->views[0].name, "my_player") == 0 &&
              d->views[0].primary_key == 0 && !d->views[0].is_query;
    ok = ok && d->views[1].is_query && d->views[1].primary_key == 0 && d->views[1].is_anonymous;
    ok = ok && mod_def_procedure(d, "fetch_score") && d->nhttp_handlers == 1 &&
         d->nhttp_routes == 2 && d->http_routes[0].method == MOD_HTTP_POST;
    ok = ok && mod_def_view(d, "all_players") == &d->views[1];
    mod_def_free(d);
    CHECK(ok);
}

/* ---------------------------------------------------------------- validation errors */

TEST(error_typespace_and_types)
{
    mdb_t b;
    mdb_init(&b);
    mdb_type(&b, NULL, PRODUCT(&b.a, 1, "x", sats_type_ref(&b.a, 99)), false);
    INVALID(&b, "typespace type 0 refers to type ref 99, which is out of range");

    mdb_init(&b);
    mdb_type(&b, NULL, sats_type_ref(&b.a, 1), false);
    mdb_type(&b, NULL, sats_type_ref(&b.a, 0), false);
    INVALID(&b, "is a cycle of refs with no structure");

    mdb_init(&b);
    mdb_type(&b, "Dup", P(SATS_U8), true);
    mdb_type(&b, "dup", P(SATS_U8), true);
    mdb_type(&b, "Dup", P(SATS_U8), true);
    INVALID(&b, "name `Dup` is used for more than one type");

    mdb_init(&b);
    mdb_type(&b, "Unordered", ROW(&b, 2, "b", P(SATS_U8), "a", P(SATS_U8)), false);
    INVALID(&b, "type `Unordered` is not marked with a custom ordering");

    mdb_init(&b);
    mdb_type(&b, "Plain", P(SATS_U8), true);
    lc_buf_t *o = mdb_sec(&b, MDB_TYPES);
    lc_buf_put_u32le(o, 0);
    put_str(o, "Dangling");
    lc_buf_put_u32le(o, 42);
    lc_buf_putc(o, 1);
    INVALID(&b, "type `Dangling` refers to type ref 42",
            "type `Plain`: U8 is not a product or sum");

    mdb_init(&b);
    mdb_type(&b, "Nameless", PRODUCT(&b.a, 1, NULL, P(SATS_U8)), true);
    INVALID(&b, "type `Nameless`: element 0 has no name");
}

TEST(error_inline_types_in_use)
{
    mdb_t b;
    mdb_init(&b);
    uint32_t ref = mdb_type(
        &b, "T", ROW(&b, 2, "id", P(SATS_U32), "inner", ROW(&b, 1, "x", P(SATS_U8))), true);
    mdb_table(&b, &(mt_table_t){.name = "t", .ref = ref});
    mdb_reducer(&b, "r", ROW(&b, 1, "p", SUM(&b.a, 1, "A", P(SATS_U8))), 1);
    INVALID(&b, "table `t` column `inner`: the type (x: U8) must be declared in the Types section",
            "reducer `r` parameter `p`: the type");

    mdb_init(&b);
    uint32_t cyc = mdb_type(&b, NULL, sats_type_array(&b.a, sats_type_ref(&b.a, 0)), false);
    mdb_reducer(&b, "r", ROW(&b, 1, "p", sats_type_ref(&b.a, cyc)), 1);
    INVALID(&b, "refers to itself without passing through a declared type");
}

TEST(error_table_shape)
{
    mdb_t b;
    mdb_init(&b);
    mdb_table(&b, &(mt_table_t){.name = "noref", .ref = 5});
    uint32_t prim = mdb_type(&b, NULL, P(SATS_U32), false);
    mdb_table(&b, &(mt_table_t){.name = "prim", .ref = prim});
    INVALID(&b, "table `noref`: its row type (type ref 5) is not a product type",
            "table `prim`: its row type");

    mdb_init(&b);
    uint32_t r = mdb_type(&b, "Anon", PRODUCT(&b.a, 2, "id", P(SATS_U32), NULL, P(SATS_U8)), true);
    mdb_table(&b, &(mt_table_t){.name = "anon", .ref = r});
    INVALID(&b, "table `anon` has unnamed column 1");

    mdb_init(&b);
    r = mdb_type(&b, "T", ROW(&b, 1, "id", P(SATS_U32)), true);
    mdb_table(&b, &(mt_table_t){.name = "1bad", .ref = r});
    INVALID(&b, "table `1bad`: invalid name `1bad`: it must start with `_` or a letter");

    mdb_init(&b);
    simple_table(&b, "st_mine");
    INVALID(&b, "table `st_mine`: the name `st_mine` is reserved for system tables");

    mdb_init(&b);
    simple_table(&b, "twice");
    uint32_t r2 = mdb_type(&b, NULL, ROW(&b, 1, "x", P(SATS_U8)), false);
    mdb_table(&b, &(mt_table_t){.name = "twice", .ref = r2});
    INVALID(&b, "name `twice` is used for more than one table");
}

TEST(error_primary_key_constraints_indexes)
{
    mdb_t b;
    mdb_init(&b);
    uint32_t r =
        mdb_type(&b, "T", ROW(&b, 3, "a", P(SATS_U32), "b", P(SATS_I32), "c", str_t()), true);
    mdb_table(&b, &(mt_table_t){.name = "two_pk", .ref = r, .npk = 2, .pk = {0, 1}});
    mdb_table(&b, &(mt_table_t){.name = "far_pk", .ref = r, .npk = 1, .pk = {9}});
    mdb_table(&b, &(mt_table_t){.name = "bare_pk", .ref = r, .npk = 1, .pk = {0}});
    mdb_table(&b, &(mt_table_t){.name = "lonely", .ref = r, .uniq = {{1, {2}}}, .nuniq = 1});
    mdb_table(&b,
              &(mt_table_t){
                  .name = "far_idx", .ref = r, .idx = {{"far_idx_x", NULL, 0, 1, {7}}}, .nidx = 1});
    mdb_table(&b, &(mt_table_t){.name = "rep_idx",
                                .ref = r,
                                .idx = {{"rep_idx_x", NULL, 0, 2, {0, 0}}},
                                .nidx = 1});
    mdb_table(&b, &(mt_table_t){.name = "direct_i32",
                                .ref = r,
                                .idx = {{"direct_i32_b", NULL, 2, 1, {1}}},
                                .nidx = 1});
    mdb_table(&b, &(mt_table_t){
                      .name = "no_source", .ref = r, .idx = {{NULL, NULL, 0, 1, {0}}}, .nidx = 1});
    mdb_table(&b, &(mt_table_t){.name = "far_unique", .ref = r, .uniq = {{1, {8}}}, .nuniq = 1});
    INVALID(&b, "table `two_pk` has a primary key of 2 columns; at most one is supported",
            "table `far_pk`: primary key column 9 does not exist",
            "table `bare_pk` column `a` is the primary key but has no unique constraint",
            "table `lonely`: unique constraint `lonely_c_key` has no index on exactly its columns",
            "table `far_idx`: column 7 referenced by `far_idx_col_7_idx_btree` does not exist",
            "table `rep_idx`: `rep_idx_a_a_idx_btree` lists column 0 more than once",
            "table `direct_i32`: direct index `direct_i_32_b_idx_direct` cannot use column `b` of "
            "type I32",
            "table `no_source`: index 0 has no source name",
            "column 8 referenced by `far_unique_col_8_key` does not exist");
}

TEST(error_sequences_and_defaults)
{
    mdb_t b;
    mdb_init(&b);
    uint32_t r =
        mdb_type(&b, "T", ROW(&b, 3, "a", P(SATS_U32), "b", P(SATS_U16), "c", str_t()), true);
    mdb_table(&b, &(mt_table_t){.name = "seq_str", .ref = r, .seq = {{.col = 2}}, .nseq = 1});
    mdb_table(&b, &(mt_table_t){.name = "seq_two",
                                .ref = r,
                                .seq = {{.col = 0}, {.name = "other", .col = 0}},
                                .nseq = 2});
    mdb_table(&b, &(mt_table_t){
                      .name = "seq_range",
                      .ref = r,
                      .seq = {{.col = 0, .has_start = true, .start = 1, .has_min = true, .min = 5}},
                      .nseq = 1});
    mdb_table(&b, &(mt_table_t){.name = "seq_far", .ref = r, .seq = {{.col = 6}}, .nseq = 1});
    mdb_table(&b, &(mt_table_t){.name = "def_bad", .ref = r, .defs = {{1, "05"}}, .ndefs = 1});
    mdb_table(&b, &(mt_table_t){
                      .name = "def_two", .ref = r, .defs = {{1, "0500"}, {1, "0600"}}, .ndefs = 2});
    mdb_table(&b, &(mt_table_t){.name = "def_far", .ref = r, .defs = {{4, "00"}}, .ndefs = 1});
    mdb_table(&b, &(mt_table_t){
                      .name = "def_ok", .ref = r, .defs = {{2, "0300000061626364"}}, .ndefs = 1});
    INVALID(&b, "table `seq_str` column `c`: sequence `seq_str_c_seq` needs an integer column",
            "table `seq_two` column `a` has more than one auto_inc sequence",
            "table `seq_range`: sequence `seq_range_a_seq` needs min_value <= start <= max_value, "
            "not 5 <= 1 <= none",
            "table `seq_far`: column 6 referenced by `seq_far_col_6_seq` does not exist",
            "table `def_bad` column `b`: the default value does not decode",
            "table `def_two` column `b` has more than one default value",
            "table `def_far`: default value for column 4, which does not exist");
}

TEST(default_value_bytes_are_exact)
{
    mdb_t b;
    mdb_init(&b);
    uint32_t r = mdb_type(&b, "T", ROW(&b, 2, "a", P(SATS_U32), "c", str_t()), true);
    /* Trailing bytes after the value are ignored, as by the reference. */
    mdb_table(&b,
              &(mt_table_t){.name = "t", .ref = r, .defs = {{1, "0200000068699999"}}, .ndefs = 1});
    mod_def_t *d = finish_decode(&b);
    CHECK(d != NULL);
    bool ok = d->tables[0].cols[1].default_len == 6 && d->tables[0].cols[0].default_value == NULL;
    mod_def_free(d);
    CHECK(ok);
}

TEST(error_functions)
{
    mdb_t b;
    mdb_init(&b);
    mdb_reducer(&b, "same", sats_type_unit(), 1);
    mdb_reducer(&b, "same", sats_type_unit(), 1);
    mdb_procedure(&b, "same", sats_type_unit(), P(SATS_U8), 1);
    mdb_reducer(&b, "anon", PRODUCT(&b.a, 1, NULL, P(SATS_U8)), 1);
    mdb_reducer_ret(&b, "ret", sats_type_unit(), 1, P(SATS_U8), str_t());
    mdb_reducer(&b, "bad-name", sats_type_unit(), 1);
    INVALID(
        &b, "name `same` is used for more than one reducer, procedure or view",
        "reducer `anon` parameter 0 has no name",
        "reducer `ret` must return Result<(), String>, not Result<U8, String>",
        "reducer `bad-name`: invalid name `bad-name`: it may contain only letters, digits and `_`");

    mdb_init(&b);
    mdb_reducer(&b, "init", sats_type_unit(), 0);
    mdb_reducer(&b, "init2", sats_type_unit(), 0);
    mdb_lifecycle(&b, 0, "init");
    mdb_lifecycle(&b, 0, "init2");
    mdb_lifecycle(&b, 1, "missing");
    INVALID(&b, "more than one reducer is declared for lifecycle event Init",
            "lifecycle event OnConnect names `missing`, which is not a reducer");
}

TEST(error_schedules)
{
    mdb_t b;
    mdb_init(&b);
    uint32_t ok_row =
        mdb_type(&b, "Timer", ROW(&b, 2, "id", P(SATS_U64), "at", sats_type_schedule_at()), true);
    uint32_t bad_row = mdb_type(&b, "Bad", ROW(&b, 2, "id", P(SATS_U32), "at", P(SATS_U64)), true);
    mt_table_t t = {.ref = ok_row, .npk = 1, .pk = {0}, .nidx = 1, .nuniq = 1};
    t.uniq[0] = (mt_unique_t){1, {0}};
    t.name = "timer";
    t.idx[0] = (mt_index_t){"timer_id", NULL, 0, 1, {0}};
    mdb_table(&b, &t);
    t.name = "timer2";
    t.idx[0] = (mt_index_t){"timer2_id", NULL, 0, 1, {0}};
    mdb_table(&b, &t);
    t.name = "bad";
    t.ref = bad_row;
    t.idx[0] = (mt_index_t){"bad_id", NULL, 0, 1, {0}};
    mdb_table(&b, &t);
    mdb_reducer(&b, "wrongArgs", ROW(&b, 1, "x", P(SATS_U64)), 1);
    mdb_reducer(&b, "fire", ROW(&b, 1, "row", sats_type_ref(&b.a, bad_row)), 1);
    mdb_schedule(&b, "timer", 1, "nowhere");
    mdb_schedule(&b, "timer2", 1, "wrongArgs");
    mdb_schedule(&b, "bad", 1, "fire");
    mdb_schedule(&b, "ghost", 1, "fire");
    INVALID(&b, "schedule `timer_sched` of table `timer` calls `nowhere`, which is not a reducer",
            "reducer `wrong_args` is scheduled by table `timer2`, so it must take exactly one "
            "argument of the table's row type",
            "schedule table `bad` must have a primary key column `scheduled_id: u64`",
            "schedule for table `ghost`, which does not exist");
}

TEST(error_views_and_http)
{
    mdb_t b;
    mdb_init(&b);
    uint32_t row = mdb_type(&b, "R", ROW(&b, 1, "id", P(SATS_U64)), true);
    mdb_view(&b, "flat", 0, true, true, sats_type_unit(), P(SATS_U64));
    mdb_view(&b, "ok", 1, true, true, sats_type_unit(),
             sats_type_array(&b.a, sats_type_ref(&b.a, row)));
    uint32_t anon = mdb_type(&b, "Anon", PRODUCT(&b.a, 1, NULL, P(SATS_U8)), true);
    mdb_view(&b, "unnamed", 2, true, true, sats_type_unit(),
             sats_type_option(&b.a, sats_type_ref(&b.a, anon)));
    mdb_procedure(&b, "proc", sats_type_unit(), ROW(&b, 1, "inline", P(SATS_U8)), 1);
    mdb_view_pk(&b, "nope", 1, "id");
    mdb_view_pk(&b, "ok", 1, "missing");
    mdb_view_pk(&b, "ok", 1, "id");
    mdb_http_handler(&b, "h");
    mdb_http_handler(&b, "h");
    mdb_http_route(&b, "h", -1, "/Upper");
    mdb_http_route(&b, "ghost", -1, "/a");
    mdb_http_route(&b, "h", -1, "/b");
    mdb_http_route(&b, "h", 0, "/b");
    INVALID(&b, "view `flat` has return type U64; it must be Vec<T>, Option<T> or a query of T",
            "primary key declared for view `nope`, which does not exist",
            "view `ok` has no column `missing` for its primary key",
            "view `ok` has more than one primary key declaration",
            "HTTP handler name `h` is used more than once", "HTTP route path `/Upper` is invalid",
            "HTTP route `/a` refers to unknown HTTP handler `ghost`",
            "HTTP route `/b` overlaps an earlier route", "view `unnamed` has unnamed column 0",
            "procedure `proc` return type: the type (inline: U8) must be declared");
}

TEST(error_case_policy_unsupported)
{
    mdb_t b;
    mdb_init(&b);
    b.case_policy = 2;
    INVALID(&b, "case conversion policy CamelCase is not supported");
}

/* Many errors are reported together, each once; the lc_err_t message is
 * cut to whole lines with a count of the rest. */
TEST(all_errors_together)
{
    mdb_t b;
    mdb_init(&b);
    char name[32];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "Table%d", i);
        mdb_table(&b, &(mt_table_t){.name = name, .ref = 1000 + (uint32_t)i});
    }
    size_t len;
    uint8_t *bytes = mdb_finish(&b, &len);
    mod_def_t *d = NULL;
    lc_err_t err;
    lc_buf_t report = {0};
    int rc = mod_def_decode_report(bytes, len, &d, &report, &err);
    lc_free(bytes);
    lc_buf_terminate(&report);
    const char *text = (const char *)report.data;
    bool ok = rc == LC_EINVAL && strstr(text, "(40 errors)") && strstr(text, "table `Table0`") &&
              strstr(text, "table `Table39`") && strstr(err.msg, "(40 errors)") &&
              strstr(err.msg, "more") && strlen(err.msg) < LC_ERR_MSG_MAX;
    lc_buf_free(&report);
    CHECK(ok);
}

/* ---------------------------------------------------------------- hostile bytes */

TEST(v8_refused)
{
    uint8_t bytes[] = {0, 0, 0, 0, 0};
    mod_def_t *d = NULL;
    lc_err_t err;
    CHECK_EQ_INT(mod_def_decode(bytes, sizeof bytes, &d, &err), LC_EUNSUPPORTED);
    CHECK_EQ_STR(err.msg, "module definition V8 is not supported; rebuild with SpacetimeDB 1.0 or "
                          "later bindings");
    CHECK(d == NULL);
    uint8_t bad[] = {7};
    CHECK_EQ_INT(mod_def_decode(bad, 1, &d, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "module definition does not decode: unknown RawModuleDef version tag 7"));
    CHECK_EQ_INT(mod_def_decode(bad, 0, &d, &err), LC_ECORRUPT);
}

TEST(every_truncation_fails_cleanly)
{
    size_t len;
    uint8_t *bytes = chat_bytes(&len);
    bool ok = true;
    for (size_t k = 0; k < len && ok; k++) {
        uint8_t *copy = lc_malloc(k + 1);
        memcpy(copy, bytes, k);
        mod_def_t *d = NULL;
        lc_err_t err;
        int rc = mod_def_decode(copy, k, &d, &err);
        ok = rc == LC_ECORRUPT && d == NULL &&
             strncmp(err.msg, "module definition does not decode: ", 35) == 0;
        if (!ok)
            fprintf(stderr, "  prefix %zu: rc %d %s\n", k, rc, err.msg);
        lc_free(copy);
    }
    /* Trailing bytes after the value are ignored. */
    uint8_t *longer = lc_malloc(len + 3);
    memcpy(longer, bytes, len);
    memset(longer + len, 0xEE, 3);
    mod_def_t *d = decode_or_print(longer, len + 3);
    ok = ok && d != NULL;
    mod_def_free(d);
    lc_free(longer);
    lc_free(bytes);
    CHECK(ok);
}

TEST(byte_flips_never_crash)
{
    size_t len;
    uint8_t *bytes = chat_bytes(&len);
    static const uint8_t flips[] = {0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF};
    bool ok = true;
    for (size_t k = 0; k < len && ok; k++) {
        for (size_t f = 0; f < sizeof flips && ok; f++) {
            uint8_t saved = bytes[k];
            bytes[k] = flips[f];
            mod_def_t *d = NULL;
            lc_err_t err;
            int rc = mod_def_decode(bytes, len, &d, &err);
            ok = rc == 0 || rc == LC_ECORRUPT || rc == LC_EINVAL || rc == LC_EUNSUPPORTED;
            ok = ok && (rc == 0) == (d != NULL);
            mod_def_free(d);
            bytes[k] = saved;
        }
    }
    lc_free(bytes);
    CHECK(ok);
}

TEST(huge_counts_are_refused_before_allocating)
{
    uint8_t bytes[] = {2, 1, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0x7F};
    mod_def_t *d = NULL;
    lc_err_t err;
    CHECK_EQ_INT(mod_def_decode(bytes, sizeof bytes, &d, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "cannot fit"));
    uint8_t sections[] = {2, 0xFF, 0xFF, 0xFF, 0xFF};
    CHECK_EQ_INT(mod_def_decode(sections, sizeof sections, &d, &err), LC_ECORRUPT);
    uint8_t submodule[] = {2, 1, 0, 0, 0, 14, 0, 0, 0, 0};
    CHECK_EQ_INT(mod_def_decode(submodule, sizeof submodule, &d, &err), LC_EUNSUPPORTED);
}

TEST(failing_allocations)
{
    size_t len;
    uint8_t *bytes = chat_bytes(&len);
    bool ok = true, done = false;
    for (long n = 1; !done && ok && n < 100000; n++) {
        mod_def_t *d = NULL;
        lc_err_t err;
        lc_fault_alloc_after(n);
        int rc = mod_def_decode(bytes, len, &d, &err);
        lc_fault_alloc_after(0);
        ok = rc == 0 || rc == LC_ENOMEM;
        if (!ok)
            fprintf(stderr, "  allocation %ld: rc %d %s\n", n, rc, err.msg);
        done = rc == 0;
        mod_def_free(d);
    }
    lc_free(bytes);
    CHECK(ok && done);
}

/* The first section of a kind wins; an unknown kind cannot be skipped. */
TEST(sections)
{
    uint8_t twice[] = {2, 2, 0, 0, 0, 9, 0, 9, 1};
    mod_def_t *d = decode_or_print(twice, sizeof twice);
    CHECK(d != NULL);
    mod_case_policy_t policy = d->case_policy;
    mod_def_free(d);
    CHECK_EQ_INT(policy, MOD_CASE_POLICY_NONE);
    uint8_t unknown[] = {2, 1, 0, 0, 0, 15};
    lc_err_t err;
    CHECK_EQ_INT(mod_def_decode(unknown, sizeof unknown, &d, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "unknown section tag 15"));
    uint8_t bad_bool[] = {2, 1, 0, 0, 0, 2, 1, 0, 0, 0, 1, 0, 0, 0, 't', 0, 0, 0, 0, 0, 0,
                          0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,   0, 0, 0, 0, 0, 7};
    CHECK_EQ_INT(mod_def_decode(bad_bool, sizeof bad_bool, &d, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "table is_event is the byte 7, not a bool"));
}

TEST(empty_module)
{
    uint8_t bytes[] = {2, 0, 0, 0, 0};
    mod_def_t *d = decode_or_print(bytes, sizeof bytes);
    CHECK(d != NULL);
    bool ok = d->ntables == 0 && d->nreducers == 0 && d->typespace.n == 0 &&
              d->lifecycle[MOD_LIFECYCLE_INIT] == -1;
    mod_def_free(d);
    CHECK(ok);
}

const test_case_t test_module_def_cases[] = {
    TEST_CASE(chat_tables_and_names),
    TEST_CASE(chat_reducers_and_lookups),
    TEST_CASE(chat_store_defs_create_tables),
    TEST_CASE(store_def_fields),
    TEST_CASE(v9_module),
    TEST_CASE(snake_case_policy_like_the_reference),
    TEST_CASE(explicit_names_override_the_policy),
    TEST_CASE(case_policy_none_keeps_names),
    TEST_CASE(views_procedures_http),
    TEST_CASE(error_typespace_and_types),
    TEST_CASE(error_inline_types_in_use),
    TEST_CASE(error_table_shape),
    TEST_CASE(error_primary_key_constraints_indexes),
    TEST_CASE(error_sequences_and_defaults),
    TEST_CASE(default_value_bytes_are_exact),
    TEST_CASE(error_functions),
    TEST_CASE(error_schedules),
    TEST_CASE(error_views_and_http),
    TEST_CASE(error_case_policy_unsupported),
    TEST_CASE(all_errors_together),
    TEST_CASE(v8_refused),
    TEST_CASE(every_truncation_fails_cleanly),
    TEST_CASE(byte_flips_never_crash),
    TEST_CASE(huge_counts_are_refused_before_allocating),
    TEST_CASE(failing_allocations),
    TEST_CASE(sections),
    TEST_CASE(empty_module),
    TEST_END,
};
