/*
 * The catalog: system tables describing every table, column, index,
 * constraint and sequence (engine.md §1.7), the maps that find tables and
 * indexes by id and name, database open/close, and DDL.
 *
 * The system tables are real tables: their rows are written through
 * transactions like any other, so a changeset (and later the commit log)
 * carries DDL as row changes.  Bootstrap creates the twenty system tables
 * with fixed ids 1..20 and describes them in their own rows; user ids for
 * tables, indexes, constraints and sequences come from sequences starting at
 * STORE_FIRST_USER_ID.
 *
 * Column types of the system tables follow the reference's names and order
 * (they are stable on disk there); where the reference uses a rich type we
 * do not model yet (st_module.program_hash, st_var.value), the choice is
 * noted beside the column.
 */
#include <string.h>

#include "db_int.h"

/* ---------------------------------------------------------------- types */

typedef enum ctype {
    C_U16,
    C_U32,
    C_U64,
    C_I128,
    C_BOOL,
    C_STRING,
    C_BYTES,
    C_COLLIST,
    C_OPT_COLLIST,
    C_OPT_U32,
    C_IDENTITY,
    C_CONNID,
    C_TIMESTAMP,
    C_TABLE_TYPE,
    C_TABLE_ACCESS,
    C_INDEX_ALGO,
    C_CONSTRAINT_DATA,
    C_VAR_VALUE,
    C_PROGRAM_KIND,
} ctype_t;

typedef struct sys_col {
    const char *name;
    ctype_t type;
} sys_col_t;

typedef struct sys_index {
    uint8_t ncols;
    uint16_t cols[3];
    bool unique;
} sys_index_t;

typedef struct sys_table {
    uint32_t id;
    const char *name;
    store_access_t access;
    int8_t pk;      /* column or -1 */
    int8_t autoinc; /* column with a sequence from STORE_FIRST_USER_ID, or -1 */
    sys_col_t cols[9];
    sys_index_t idx[4];
} sys_table_t;

#define END                                                                                        \
    {                                                                                              \
        NULL, 0                                                                                    \
    }
#define U(...)                                                                                     \
    {                                                                                              \
        (uint8_t)(sizeof((uint16_t[]){__VA_ARGS__}) / 2), {__VA_ARGS__}, true                      \
    }
#define I(...)                                                                                     \
    {                                                                                              \
        (uint8_t)(sizeof((uint16_t[]){__VA_ARGS__}) / 2), {__VA_ARGS__}, false                     \
    }

static const sys_table_t sys_tables[] = {
    {STORE_ST_TABLE,
     "st_table",
     STORE_PUBLIC,
     0,
     0,
     {{"table_id", C_U32},
      {"table_name", C_STRING},
      {"table_type", C_TABLE_TYPE},
      {"table_access", C_TABLE_ACCESS},
      {"table_primary_key", C_OPT_COLLIST},
      END},
     {U(0), U(1)}},
    {STORE_ST_COLUMN,
     "st_column",
     STORE_PUBLIC,
     -1,
     -1,
     {{"table_id", C_U32}, {"col_pos", C_U16}, {"col_name", C_STRING}, {"col_type", C_BYTES}, END},
     {U(0, 1)}},
    {STORE_ST_SEQUENCE,
     "st_sequence",
     STORE_PUBLIC,
     0,
     0,
     {{"sequence_id", C_U32},
      {"sequence_name", C_STRING},
      {"table_id", C_U32},
      {"col_pos", C_U16},
      {"increment", C_I128},
      {"start", C_I128},
      {"min_value", C_I128},
      {"max_value", C_I128},
      {"allocated", C_I128}},
     {U(0), I(2)}},
    {STORE_ST_INDEX,
     "st_index",
     STORE_PUBLIC,
     0,
     0,
     {{"index_id", C_U32},
      {"table_id", C_U32},
      {"index_name", C_STRING},
      {"index_algorithm", C_INDEX_ALGO},
      END},
     {U(0), I(1)}},
    {STORE_ST_CONSTRAINT,
     "st_constraint",
     STORE_PUBLIC,
     0,
     0,
     {{"constraint_id", C_U32},
      {"constraint_name", C_STRING},
      {"table_id", C_U32},
      {"constraint_data", C_CONSTRAINT_DATA},
      END},
     {U(0), I(2)}},
    /* program_hash: the 32 hash bytes; program_kind: 0 wasm, 1 js. */
    {STORE_ST_MODULE,
     "st_module",
     STORE_PUBLIC,
     -1,
     -1,
     {{"database_identity", C_IDENTITY},
      {"owner_identity", C_IDENTITY},
      {"program_kind", C_PROGRAM_KIND},
      {"program_hash", C_BYTES},
      {"program_bytes", C_BYTES},
      {"module_version", C_STRING},
      END},
     {{0}}},
    {STORE_ST_CLIENT,
     "st_client",
     STORE_PUBLIC,
     -1,
     -1,
     {{"identity", C_IDENTITY}, {"connection_id", C_CONNID}, END},
     {U(0, 1)}},
    /* value: a sum over the scalar types (the reference's StVarValue). */
    {STORE_ST_VAR,
     "st_var",
     STORE_PUBLIC,
     0,
     -1,
     {{"name", C_STRING}, {"value", C_VAR_VALUE}, END},
     {U(0)}},
    {STORE_ST_SCHEDULED,
     "st_scheduled",
     STORE_PUBLIC,
     0,
     0,
     {{"schedule_id", C_U32},
      {"table_id", C_U32},
      {"reducer_name", C_STRING},
      {"schedule_name", C_STRING},
      {"at_column", C_U16},
      END},
     {U(0), U(1)}},
    {STORE_ST_ROW_LEVEL_SECURITY,
     "st_row_level_security",
     STORE_PUBLIC,
     1,
     -1,
     {{"table_id", C_U32}, {"sql", C_STRING}, END},
     {U(1), I(0)}},
    {STORE_ST_CONNECTION_CREDENTIALS,
     "st_connection_credentials",
     STORE_PRIVATE,
     0,
     -1,
     {{"connection_id", C_CONNID}, {"jwt_payload", C_STRING}, END},
     {U(0)}},
    {STORE_ST_VIEW,
     "st_view",
     STORE_PUBLIC,
     0,
     0,
     {{"view_id", C_U32},
      {"view_name", C_STRING},
      {"table_id", C_OPT_U32},
      {"is_public", C_BOOL},
      {"is_anonymous", C_BOOL},
      END},
     {U(0), U(1)}},
    {STORE_ST_VIEW_PARAM,
     "st_view_param",
     STORE_PUBLIC,
     -1,
     -1,
     {{"view_id", C_U32},
      {"param_pos", C_U16},
      {"param_name", C_STRING},
      {"param_type", C_BYTES},
      END},
     {U(0, 1)}},
    {STORE_ST_VIEW_COLUMN,
     "st_view_column",
     STORE_PUBLIC,
     -1,
     -1,
     {{"view_id", C_U32}, {"col_pos", C_U16}, {"col_name", C_STRING}, {"col_type", C_BYTES}, END},
     {U(0, 1)}},
    {STORE_ST_VIEW_SUB,
     "st_view_sub",
     STORE_PUBLIC,
     -1,
     -1,
     {{"view_id", C_U32},
      {"arg_id", C_U64},
      {"identity", C_IDENTITY},
      {"num_subscribers", C_U64},
      {"has_subscribers", C_BOOL},
      {"last_called", C_TIMESTAMP},
      END},
     {I(2), I(4), U(0, 1, 2)}},
    {STORE_ST_VIEW_ARG,
     "st_view_arg",
     STORE_PUBLIC,
     0,
     0,
     {{"id", C_U64}, {"bytes", C_BYTES}, END},
     {U(0), U(1)}},
    {STORE_ST_EVENT_TABLE,
     "st_event_table",
     STORE_PUBLIC,
     0,
     -1,
     {{"table_id", C_U32}, END},
     {U(0)}},
    {STORE_ST_TABLE_ACCESSOR,
     "st_table_accessor",
     STORE_PUBLIC,
     -1,
     -1,
     {{"table_name", C_STRING}, {"accessor_name", C_STRING}, END},
     {U(0), U(1)}},
    {STORE_ST_INDEX_ACCESSOR,
     "st_index_accessor",
     STORE_PUBLIC,
     -1,
     -1,
     {{"index_name", C_STRING}, {"accessor_name", C_STRING}, END},
     {U(0), U(1)}},
    {STORE_ST_COLUMN_ACCESSOR,
     "st_column_accessor",
     STORE_PUBLIC,
     -1,
     -1,
     {{"table_name", C_STRING}, {"col_name", C_STRING}, {"accessor_name", C_STRING}, END},
     {U(0, 1), U(0, 2)}},
};

/* Index ids of the system tables' primary keys, fixed by bootstrap order. */
static uint32_t st_sequence_pk_index;

static const sats_type_t *units_sum(lc_arena_t *a, uint32_t n, const char *const *names)
{
    const sats_type_t *units[16];
    for (uint32_t i = 0; i < n; i++) units[i] = sats_type_unit();
    return sats_type_sum(a, n, names, units);
}

static const sats_type_t *make_ctype(lc_arena_t *a, ctype_t c)
{
    static const char *const table_type[] = {"System", "User"};
    static const char *const access[] = {"Public", "Private"};
    static const char *const kinds[] = {"Wasm", "Js"};
    static const char *const algo[] = {"Unused", "BTree", "Direct", "Hash"};
    static const char *const cdata[] = {"Unused", "Unique"};
    static const char *const var[] = {"Bool", "I8",  "U8",   "I16",  "U16", "I32", "U32",
                                      "I64",  "U64", "I128", "U128", "F32", "F64", "String"};
    const sats_type_t *collist = sats_type_array(a, sats_prim(SATS_U16));
    const char *columns[] = {"columns"}, *column[] = {"column"};
    switch (c) {
    case C_U16:
        return sats_prim(SATS_U16);
    case C_U32:
        return sats_prim(SATS_U32);
    case C_U64:
        return sats_prim(SATS_U64);
    case C_I128:
        return sats_prim(SATS_I128);
    case C_BOOL:
        return sats_prim(SATS_BOOL);
    case C_STRING:
        return sats_prim(SATS_STRING);
    case C_BYTES:
        return sats_type_bytes();
    case C_COLLIST:
        return collist;
    case C_OPT_COLLIST:
        return sats_type_option(a, collist);
    case C_OPT_U32:
        return sats_type_option(a, sats_prim(SATS_U32));
    case C_IDENTITY:
        return sats_type_identity();
    case C_CONNID:
        return sats_type_connection_id();
    case C_TIMESTAMP:
        return sats_type_timestamp();
    case C_TABLE_TYPE:
        return units_sum(a, 2, table_type);
    case C_TABLE_ACCESS:
        return units_sum(a, 2, access);
    case C_PROGRAM_KIND:
        return units_sum(a, 2, kinds);
    case C_INDEX_ALGO: {
        const sats_type_t *cols = sats_type_product(a, 1, columns, &collist);
        const sats_type_t *u16 = sats_prim(SATS_U16);
        const sats_type_t *col = sats_type_product(a, 1, column, &u16);
        const sats_type_t *v[] = {sats_prim(SATS_U128), cols, col, cols};
        return sats_type_sum(a, 4, algo, v);
    }
    case C_CONSTRAINT_DATA: {
        const sats_type_t *cols = sats_type_product(a, 1, columns, &collist);
        const sats_type_t *v[] = {sats_prim(SATS_U128), cols};
        return sats_type_sum(a, 2, cdata, v);
    }
    case C_VAR_VALUE: {
        static const sats_kind_t k[] = {SATS_BOOL, SATS_I8,  SATS_U8,  SATS_I16,   SATS_U16,
                                        SATS_I32,  SATS_U32, SATS_I64, SATS_U64,   SATS_I128,
                                        SATS_U128, SATS_F32, SATS_F64, SATS_STRING};
        const sats_type_t *v[14];
        for (int i = 0; i < 14; i++) v[i] = sats_prim(k[i]);
        return sats_type_sum(a, 14, var, v);
    }
    }
    return NULL;
}

/* ---------------------------------------------------------------- maps */

/* The id-indexed arrays beside the maps (store_db_t.table_slots). */
static void *slot_get(void **v, uint32_t cap, uint32_t id)
{
    return id < cap ? v[id] : NULL;
}

static int slot_put(void ***v, uint32_t *cap, uint32_t id, void *p)
{
    if (id >= STORE_ID_SLOTS)
        return LC_OK; /* found through the map */
    if (id >= *cap) {
        uint32_t ncap = *cap ? *cap : 64;
        while (ncap <= id) ncap *= 2;
        void **nv = lc_realloc(*v, sizeof *nv * ncap);
        if (nv == NULL)
            return LC_ENOMEM;
        memset(nv + *cap, 0, sizeof *nv * (ncap - *cap));
        *v = nv;
        *cap = ncap;
    }
    (*v)[id] = p;
    return LC_OK;
}

store_table_t *store__table_by_id_writer(store_db_t *db, uint32_t table_id)
{
    if (table_id < STORE_ID_SLOTS)
        return slot_get((void **)db->table_slots, db->table_slots_cap, table_id);
    return lc_map_get_u64(&db->tables_by_id, table_id);
}

store_index_t *store__index_by_id_writer(store_db_t *db, uint32_t index_id)
{
    if (index_id < STORE_ID_SLOTS)
        return slot_get((void **)db->index_slots, db->index_slots_cap, index_id);
    return lc_map_get_u64(&db->indexes_by_id, index_id);
}

store_table_t *store__table_by_id(store_db_t *db, uint32_t table_id)
{
    pthread_rwlock_rdlock(&db->catalog_lock);
    store_table_t *t = store__table_by_id_writer(db, table_id);
    pthread_rwlock_unlock(&db->catalog_lock);
    return t;
}

store_index_t *store__index_by_id(store_db_t *db, uint32_t index_id)
{
    pthread_rwlock_rdlock(&db->catalog_lock);
    store_index_t *ix = store__index_by_id_writer(db, index_id);
    pthread_rwlock_unlock(&db->catalog_lock);
    return ix;
}

static int graveyard_remove(store_db_t *db, store_table_t *t)
{
    for (uint32_t i = 0; i < db->ngraveyard; i++) {
        if (db->graveyard[i] == t) {
            db->graveyard[i] = db->graveyard[--db->ngraveyard];
            return 1;
        }
    }
    return 0;
}

int store__catalog_add(store_db_t *db, store_table_t *t)
{
    pthread_rwlock_wrlock(&db->catalog_lock);
    int rc = lc_map_puts(&db->tables_by_name, t->name, t);
    if (rc == LC_OK)
        rc = lc_map_put_u64(&db->tables_by_id, t->table_id, t);
    if (rc == LC_OK)
        rc = slot_put((void ***)&db->table_slots, &db->table_slots_cap, t->table_id, t);
    for (uint32_t i = 0; rc == LC_OK && i < t->nindexes; i++) {
        store_index_t *ix = t->indexes[i];
        rc = lc_map_puts(&db->indexes_by_name, ix->name, ix);
        if (rc == LC_OK)
            rc = lc_map_put_u64(&db->indexes_by_id, ix->index_id, ix);
        if (rc == LC_OK)
            rc = slot_put((void ***)&db->index_slots, &db->index_slots_cap, ix->index_id, ix);
    }
    if (rc == LC_OK)
        graveyard_remove(db, t);
    pthread_rwlock_unlock(&db->catalog_lock);
    return rc;
}

void store__catalog_remove(store_db_t *db, store_table_t *t)
{
    pthread_rwlock_wrlock(&db->catalog_lock);
    lc_map_del(&db->tables_by_name, t->name, strlen(t->name));
    lc_map_del_u64(&db->tables_by_id, t->table_id);
    slot_put((void ***)&db->table_slots, &db->table_slots_cap, t->table_id, NULL);
    for (uint32_t i = 0; i < t->nindexes; i++) {
        lc_map_del(&db->indexes_by_name, t->indexes[i]->name, strlen(t->indexes[i]->name));
        lc_map_del_u64(&db->indexes_by_id, t->indexes[i]->index_id);
        slot_put((void ***)&db->index_slots, &db->index_slots_cap, t->indexes[i]->index_id, NULL);
    }
    /* Readers may still hold the table: keep it until the database closes. */
    store_table_t **v = lc_realloc(db->graveyard, sizeof *v * (db->ngraveyard + 1));
    if (v) {
        db->graveyard = v;
        db->graveyard[db->ngraveyard++] = t;
    } else {
        lc_log_warn("table %s: out of memory retiring it; its memory is kept", t->name);
    }
    pthread_rwlock_unlock(&db->catalog_lock);
}

int store_table_id(store_db_t *db, const char *name, uint32_t *table_id)
{
    pthread_rwlock_rdlock(&db->catalog_lock);
    store_table_t *t = lc_map_gets(&db->tables_by_name, name);
    if (t)
        *table_id = t->table_id;
    pthread_rwlock_unlock(&db->catalog_lock);
    return t ? LC_OK : LC_ENOTFOUND;
}

int store_index_id(store_db_t *db, const char *name, uint32_t *index_id)
{
    pthread_rwlock_rdlock(&db->catalog_lock);
    store_index_t *ix = lc_map_gets(&db->indexes_by_name, name);
    if (ix)
        *index_id = ix->index_id;
    pthread_rwlock_unlock(&db->catalog_lock);
    return ix ? LC_OK : LC_ENOTFOUND;
}

int store_table_info(store_db_t *db, uint32_t table_id, const char **name,
                     const sats_typespace_t **ts, const sats_type_t **row_type)
{
    store_table_t *t = store__table_by_id(db, table_id);
    if (t == NULL)
        return LC_ENOTFOUND;
    if (name)
        *name = t->name;
    if (ts)
        *ts = &t->ts;
    if (row_type)
        *row_type = t->row_type;
    return LC_OK;
}

size_t store_table_memory(store_db_t *db, uint32_t table_id)
{
    store_table_t *t = store__table_by_id(db, table_id);
    if (t == NULL)
        return 0;
    size_t n = store_heap_memory(t->heap) + 2 * sizeof(uint64_t) * t->vcap;
    for (uint32_t i = 0; i < t->nindexes; i++) n += store__ix_memory(t->indexes[i]);
    if (t->first_unique == NULL)
        n += store_hashidx_memory(t->rowset);
    return n;
}

uint64_t store_db_committed_offset(const store_db_t *db)
{
    return db->committed;
}

/* ---------------------------------------------------------------- row encoding */

static void put_i128(lc_buf_t *b, __int128 v)
{
    lc_buf_put_u64le(b, (uint64_t)v);
    lc_buf_put_u64le(b, (uint64_t)((unsigned __int128)v >> 64));
}

static void put_str(lc_buf_t *b, const char *s)
{
    size_t n = strlen(s);
    lc_buf_put_u32le(b, (uint32_t)n);
    lc_buf_append(b, s, n);
}

static void put_cols(lc_buf_t *b, const uint16_t *cols, uint16_t n)
{
    lc_buf_put_u32le(b, n);
    for (uint16_t i = 0; i < n; i++) lc_buf_put_u16le(b, cols[i]);
}

static int insert_row(store_tx_t *tx, uint32_t table_id, lc_buf_t *b, uint32_t *generated,
                      lc_err_t *err)
{
    if ((b->data == NULL && lc_buf_reserve(b, 1) != LC_OK) || b->oom) {
        lc_buf_reset(b);
        return lc_err_set(err, LC_ENOMEM, "out of memory writing the catalog");
    }
    store_insert_result_t res;
    int rc = store_insert(tx, table_id, b->data, b->len, &res, err);
    if (rc == LC_OK && generated)
        *generated = res.generated_len >= 4 ? lc_load_u32le(res.generated) : 0;
    lc_buf_reset(b);
    return rc;
}

static int write_table_row(store_tx_t *tx, lc_buf_t *b, uint32_t id, const char *name,
                           store_table_type_t type, store_access_t access, int32_t pk,
                           uint32_t *out_id, lc_err_t *err)
{
    lc_buf_put_u32le(b, id);
    put_str(b, name);
    lc_buf_putc(b, (uint8_t)type);
    lc_buf_putc(b, (uint8_t)access);
    if (pk >= 0) {
        uint16_t col = (uint16_t)pk;
        lc_buf_putc(b, 0); /* some */
        put_cols(b, &col, 1);
    } else {
        lc_buf_putc(b, 1); /* none */
    }
    uint32_t gen = 0;
    int rc = insert_row(tx, STORE_ST_TABLE, b, &gen, err);
    if (out_id)
        *out_id = id ? id : gen;
    return rc;
}

static int write_column_rows(store_tx_t *tx, lc_buf_t *b, store_table_t *t, lc_err_t *err)
{
    const sats_type_t *rt = sats_resolve(&t->ts, t->row_type);
    lc_buf_t ty = {0};
    int rc = LC_OK;
    for (uint32_t i = 0; rc == LC_OK && i < rt->u.fields.n; i++) {
        lc_buf_reset(&ty);
        sats_type_encode(&ty, rt->u.fields.items[i].type);
        lc_buf_put_u32le(b, t->table_id);
        lc_buf_put_u16le(b, (uint16_t)i);
        put_str(b, rt->u.fields.items[i].name);
        lc_buf_put_u32le(b, (uint32_t)ty.len);
        lc_buf_append(b, ty.data, ty.len);
        rc = insert_row(tx, STORE_ST_COLUMN, b, NULL, err);
    }
    lc_buf_free(&ty);
    return rc;
}

static int write_index_row(store_tx_t *tx, lc_buf_t *b, uint32_t id, uint32_t table_id,
                           const store_index_def_t *def, const char *name, uint32_t *out_id,
                           lc_err_t *err)
{
    lc_buf_put_u32le(b, id);
    lc_buf_put_u32le(b, table_id);
    put_str(b, name);
    lc_buf_putc(b, (uint8_t)def->algo);
    if (def->algo == STORE_INDEX_DIRECT)
        lc_buf_put_u16le(b, def->cols[0]);
    else
        put_cols(b, def->cols, def->ncols);
    uint32_t gen = 0;
    int rc = insert_row(tx, STORE_ST_INDEX, b, &gen, err);
    *out_id = id ? id : gen;
    return rc;
}

static int write_constraint_row(store_tx_t *tx, lc_buf_t *b, uint32_t id, uint32_t table_id,
                                const char *name, const uint16_t *cols, uint16_t ncols,
                                lc_err_t *err)
{
    lc_buf_put_u32le(b, id);
    put_str(b, name);
    lc_buf_put_u32le(b, table_id);
    lc_buf_putc(b, 1); /* Unique */
    put_cols(b, cols, ncols);
    return insert_row(tx, STORE_ST_CONSTRAINT, b, NULL, err);
}

static void sequence_row(lc_buf_t *b, const store_sequence_t *s, uint32_t table_id)
{
    lc_buf_put_u32le(b, s->sequence_id);
    put_str(b, s->name);
    lc_buf_put_u32le(b, table_id);
    lc_buf_put_u16le(b, s->col);
    put_i128(b, s->increment);
    put_i128(b, s->start);
    put_i128(b, s->min_value);
    put_i128(b, s->max_value);
    put_i128(b, s->allocated);
}

int store__catalog_update_sequence(store_tx_t *tx, store_sequence_t *s, lc_err_t *err)
{
    store_table_t *t = s->table;
    if (s->sequence_id == 0)
        return LC_OK; /* the sequence's own row is being created right now */
    lc_buf_t b = {0};
    sequence_row(&b, s, t->table_id);
    if (b.oom) {
        lc_buf_free(&b);
        return lc_err_set(err, LC_ENOMEM, "out of memory writing the catalog");
    }
    store_insert_result_t res;
    int rc = store_update(tx, STORE_ST_SEQUENCE, st_sequence_pk_index, b.data, b.len, &res, err);
    lc_buf_free(&b);
    return rc;
}

static int write_sequence_row(store_tx_t *tx, lc_buf_t *b, store_sequence_t *s, uint32_t table_id,
                              lc_err_t *err)
{
    sequence_row(b, s, table_id);
    uint32_t gen = 0;
    int rc = insert_row(tx, STORE_ST_SEQUENCE, b, &gen, err);
    if (rc == LC_OK && s->sequence_id == 0)
        s->sequence_id = gen;
    return rc;
}

/* ---------------------------------------------------------------- DDL */

/* The unique constraint covering exactly def's columns, if any. */
static const store_constraint_def_t *constraint_for(const store_table_def_t *def,
                                                    const store_index_def_t *ix)
{
    for (uint32_t i = 0; i < def->nconstraints; i++) {
        const store_constraint_def_t *c = &def->constraints[i];
        if (c->ncols == ix->ncols && memcmp(c->cols, ix->cols, sizeof *c->cols * c->ncols) == 0)
            return c;
    }
    return NULL;
}

static bool has_index_on(const store_table_def_t *def, const store_constraint_def_t *c)
{
    for (uint32_t i = 0; i < def->nindexes; i++)
        if (constraint_for(def, &def->indexes[i]) == c)
            return true;
    return false;
}

static int create_index(store_tx_t *tx, lc_buf_t *b, store_table_t *t, const store_index_def_t *ix,
                        const char *unique_name, lc_err_t *err)
{
    char *name = ix->name
                     ? lc_arena_strdup(&tx->arena, ix->name)
                     : lc_arena_printf(&tx->arena, "%s_idx", unique_name ? unique_name : t->name);
    uint32_t index_id;
    int rc = name ? write_index_row(tx, b, 0, t->table_id, ix, name, &index_id, err)
                  : lc_err_set(err, LC_ENOMEM, "out of memory");
    if (rc != LC_OK)
        return rc;
    store_index_def_t named = *ix;
    named.name = name;
    return store__table_add_index(t, &named, index_id, unique_name, err);
}

static int create_indexes(store_tx_t *tx, lc_buf_t *b, store_table_t *t,
                          const store_table_def_t *def, lc_err_t *err)
{
    int rc = LC_OK;
    for (uint32_t i = 0; rc == LC_OK && i < def->nindexes; i++) {
        const store_constraint_def_t *c = constraint_for(def, &def->indexes[i]);
        rc = create_index(tx, b, t, &def->indexes[i], c ? c->name : NULL, err);
    }
    for (uint32_t i = 0; rc == LC_OK && i < def->nconstraints; i++) {
        const store_constraint_def_t *c = &def->constraints[i];
        if (c->name == NULL)
            return lc_err_set(err, LC_EINVAL, "table %s: a unique constraint needs a name",
                              def->name);
        rc = write_constraint_row(tx, b, 0, t->table_id, c->name, c->cols, c->ncols, err);
        if (rc == LC_OK && !has_index_on(def, c)) { /* enforce through an implicit index */
            store_index_def_t ix = {NULL, STORE_INDEX_BTREE, c->ncols, c->cols};
            rc = create_index(tx, b, t, &ix, c->name, err);
        }
    }
    return rc;
}

static int create_sequences(store_tx_t *tx, lc_buf_t *b, store_table_t *t,
                            const store_table_def_t *def, lc_err_t *err)
{
    int rc = LC_OK;
    for (uint32_t i = 0; rc == LC_OK && i < def->nsequences; i++)
        rc = store__table_add_sequence(t, &def->sequences[i], 0, err);
    /* Rows after all adds: the array is stable from here on. */
    for (uint32_t i = 0; rc == LC_OK && i < t->nseqs; i++)
        rc = write_sequence_row(tx, b, &t->seqs[i], t->table_id, err);
    return rc;
}

int store_create_table(store_tx_t *tx, const store_table_def_t *def, uint32_t *table_id,
                       lc_err_t *err)
{
    uint32_t existing;
    if (def->name && store_table_id(tx->db, def->name, &existing) == LC_OK)
        return lc_err_set(err, LC_EEXIST, "table %s already exists", def->name);
    store_table_t *t = NULL;
    int rc = store__table_new(def, 0, &t, err);
    if (rc != LC_OK)
        return rc;
    lc_buf_t b = {0};
    uint32_t id = 0;
    rc = write_table_row(tx, &b, 0, def->name, def->type, def->access, def->primary_key, &id, err);
    t->table_id = id;
    if (rc == LC_OK)
        rc = write_column_rows(tx, &b, t, err);
    if (rc == LC_OK)
        rc = create_indexes(tx, &b, t, def, err);
    if (rc == LC_OK)
        rc = create_sequences(tx, &b, t, def, err);
    if (rc == LC_OK && def->is_event) {
        lc_buf_put_u32le(&b, id);
        rc = insert_row(tx, STORE_ST_EVENT_TABLE, &b, NULL, err);
    }
    lc_buf_free(&b);
    undo_entry_t e = {.kind = UNDO_CREATE_TABLE, .table = t};
    if (rc == LC_OK && (rc = store__tx_reserve_undo(tx, 1, err)) == LC_OK &&
        (rc = store__catalog_add(tx->db, t)) != LC_OK)
        lc_err_set(err, rc, "out of memory registering table %s", def->name);
    if (rc != LC_OK) {
        /* The catalog rows written so far stay in the transaction, which
         * the caller rolls back; the table object was never published. */
        tx->failed = true;
        store__table_free(t);
        return rc;
    }
    store__tx_push_undo(tx, &e, NULL);
    *table_id = id;
    return LC_OK;
}

/* Delete the rows of system table st whose u32 column col equals id. */
static int delete_catalog_rows(store_tx_t *tx, uint32_t st, uint16_t col, uint32_t id,
                               lc_err_t *err)
{
    store_table_t *t = store__table_by_id(tx->db, st);
    uint32_t *rows = NULL, n = 0, cap = 0;
    for (uint32_t r = STORE_ROW_NONE; store_heap_next(t->heap, &r);) {
        size_t len;
        const uint8_t *p = store_heap_col(t->heap, r, col, &len);
        if (t->xmax[r] != 0 || p == NULL || len != 4 || lc_load_u32le(p) != id)
            continue;
        if (lc_grow(&rows, &cap, n, sizeof *rows, 16) != LC_OK) {
            lc_free(rows);
            return lc_err_set(err, LC_ENOMEM, "out of memory");
        }
        rows[n++] = r;
    }
    uint32_t count;
    int rc = store__delete_rows(tx, t, rows, n, &count, err);
    lc_free(rows);
    return rc;
}

int store_drop_table(store_tx_t *tx, uint32_t table_id, lc_err_t *err)
{
    store_table_t *t = store__table_by_id(tx->db, table_id);
    if (t == NULL)
        return lc_err_set(err, LC_ENOTFOUND, "no table with id %u", table_id);
    if (t->type == STORE_TABLE_SYSTEM)
        return lc_err_set(err, LC_EPERM, "system table %s cannot be dropped", t->name);
    static const struct {
        uint32_t st;
        uint16_t col;
    } owned[] = {{STORE_ST_TABLE, 0},       {STORE_ST_COLUMN, 0},
                 {STORE_ST_INDEX, 1},       {STORE_ST_CONSTRAINT, 2},
                 {STORE_ST_SEQUENCE, 2},    {STORE_ST_SCHEDULED, 1},
                 {STORE_ST_EVENT_TABLE, 0}, {STORE_ST_ROW_LEVEL_SECURITY, 0}};
    int rc = store__tx_reserve_undo(tx, 1, err);
    for (size_t i = 0; rc == LC_OK && i < LC_ARRAY_LEN(owned); i++)
        rc = delete_catalog_rows(tx, owned[i].st, owned[i].col, table_id, err);
    if (rc != LC_OK)
        return rc;
    store__catalog_remove(tx->db, t);
    t->dropped = true;
    undo_entry_t e = {.kind = UNDO_DROP_TABLE, .table = t};
    store__tx_push_undo(tx, &e, NULL);
    return LC_OK;
}

/* ---------------------------------------------------------------- bootstrap */

static int build_sys_table(store_db_t *db, lc_arena_t *a, const sys_table_t *st,
                           uint32_t *next_index_id, uint32_t *next_seq_id, store_table_t **out,
                           lc_err_t *err)
{
    const char *names[9];
    const sats_type_t *types[9];
    uint32_t n = 0;
    for (; n < 9 && st->cols[n].name; n++) {
        names[n] = st->cols[n].name;
        types[n] = make_ctype(a, st->cols[n].type);
    }
    store_table_def_t def = {.name = st->name,
                             .row_type = sats_type_product(a, n, names, types),
                             .primary_key = st->pk,
                             .type = STORE_TABLE_SYSTEM,
                             .access = st->access};
    int rc = store__table_new(&def, st->id, out, err);
    for (int i = 0; rc == LC_OK && i < 4 && st->idx[i].ncols; i++) {
        const sys_index_t *si = &st->idx[i];
        char *iname = lc_arena_printf(a, "%s_%s%s_idx_btree", st->name, names[si->cols[0]],
                                      si->ncols > 1 ? "_etc" : "");
        char *cname =
            si->unique ? lc_arena_printf(a, "%s_%s_key", st->name, names[si->cols[0]]) : NULL;
        store_index_def_t ix = {iname, STORE_INDEX_BTREE, si->ncols, si->cols};
        uint32_t id = (*next_index_id)++;
        rc = store__table_add_index(*out, &ix, id, cname, err);
        if (rc == LC_OK && st->id == STORE_ST_SEQUENCE && i == 0)
            st_sequence_pk_index = id;
    }
    if (rc == LC_OK && st->autoinc >= 0) {
        char *sname = lc_arena_printf(a, "%s_%s_seq", st->name, names[st->autoinc]);
        store_sequence_def_t sd = {sname, (uint16_t)st->autoinc, STORE_FIRST_USER_ID,
                                   1,     (__int128)UINT32_MAX,  1};
        rc = store__table_add_sequence(*out, &sd, (*next_seq_id)++, err);
    }
    if (rc == LC_OK)
        rc = store__catalog_add(db, *out);
    (void)db;
    return rc;
}

/* Describe one system table in the catalog tables. */
static int describe_sys_table(store_tx_t *tx, lc_buf_t *b, store_table_t *t, uint32_t *next_cid,
                              lc_err_t *err)
{
    int rc = write_table_row(tx, b, t->table_id, t->name, STORE_TABLE_SYSTEM, t->access,
                             t->primary_key, NULL, err);
    if (rc == LC_OK)
        rc = write_column_rows(tx, b, t, err);
    for (uint32_t i = 0; rc == LC_OK && i < t->nindexes; i++) {
        store_index_t *ix = t->indexes[i];
        store_index_def_t d = {ix->name, ix->algo, ix->ncols, ix->cols};
        uint32_t id;
        rc = write_index_row(tx, b, ix->index_id, t->table_id, &d, ix->name, &id, err);
        if (rc == LC_OK && ix->unique)
            rc = write_constraint_row(tx, b, (*next_cid)++, t->table_id, ix->constraint_name,
                                      ix->cols, ix->ncols, err);
    }
    for (uint32_t i = 0; rc == LC_OK && i < t->nseqs; i++)
        rc = write_sequence_row(tx, b, &t->seqs[i], t->table_id, err);
    return rc;
}

/* Make every bootstrap row part of the initial state (offset 0). */
static void settle_bootstrap(store_db_t *db)
{
    size_t pos = 0;
    void *val;
    while (lc_map_next(&db->tables_by_id, &pos, NULL, NULL, &val)) {
        store_table_t *t = val;
        for (uint32_t r = STORE_ROW_NONE; store_heap_next(t->heap, &r);) t->xmin[r] = 0;
    }
    db->committed = 0;
}

int store__bootstrap(store_db_t *db, lc_err_t *err)
{
    lc_arena_t a;
    lc_arena_init(&a, 8192);
    uint32_t next_index = 1, next_seq = 1, next_cid = 1;
    int rc = LC_OK;
    store_table_t *tables[LC_ARRAY_LEN(sys_tables)] = {0};
    for (size_t i = 0; rc == LC_OK && i < LC_ARRAY_LEN(sys_tables); i++)
        rc = build_sys_table(db, &a, &sys_tables[i], &next_index, &next_seq, &tables[i], err);
    store_tx_t *tx = NULL;
    if (rc == LC_OK)
        rc = store_tx_begin(db, &tx, err);
    lc_buf_t b = {0};
    for (size_t i = 0; rc == LC_OK && i < LC_ARRAY_LEN(sys_tables); i++)
        rc = describe_sys_table(tx, &b, tables[i], &next_cid, err);
    lc_buf_free(&b);
    lc_arena_free(&a);
    if (tx == NULL)
        return rc;
    rc = store_tx_end(tx, rc, err);
    if (rc == LC_OK)
        settle_bootstrap(db);
    return rc;
}

/* ---------------------------------------------------------------- open / close */

int store_db_open(store_db_t **out, lc_err_t *err)
{
    store_db_t *db = lc_calloc(1, sizeof *db);
    if (db == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory opening a database");
    lc_map_init(&db->tables_by_name);
    lc_map_init(&db->tables_by_id);
    lc_map_init(&db->indexes_by_name);
    lc_map_init(&db->indexes_by_id);
    pthread_rwlock_init(&db->catalog_lock, NULL);
    pthread_mutex_init(&db->writer, NULL);
    pthread_mutex_init(&db->views_mu, NULL);
    int rc = store__bootstrap(db, err);
    if (rc != LC_OK) {
        store_db_close(db);
        return rc;
    }
    *out = db;
    return LC_OK;
}

void store_db_close(store_db_t *db)
{
    if (db == NULL)
        return;
    LC_ASSERT(db->active == NULL && db->views == NULL);
    store__tx_free(db->spare);
    size_t pos = 0;
    void *val;
    while (lc_map_next(&db->tables_by_id, &pos, NULL, NULL, &val)) store__table_free(val);
    for (uint32_t i = 0; i < db->ngraveyard; i++) store__table_free(db->graveyard[i]);
    lc_free(db->graveyard);
    lc_free(db->table_slots);
    lc_free(db->index_slots);
    lc_map_free(&db->tables_by_name);
    lc_map_free(&db->tables_by_id);
    lc_map_free(&db->indexes_by_name);
    lc_map_free(&db->indexes_by_id);
    pthread_rwlock_destroy(&db->catalog_lock);
    pthread_mutex_destroy(&db->writer);
    pthread_mutex_destroy(&db->views_mu);
    lc_free(db);
}
