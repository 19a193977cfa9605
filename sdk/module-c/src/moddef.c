/*
 * moddef.c — the module definition: RawModuleDef::V10 (module-abi.md §5) written from the
 * registry of tables and reducers.
 *
 * Layout written (every section the same way the official bindings fill it):
 *   tag 2 (V10), Array<Section> of
 *     0 Typespace          every named product/sum: table rows, LC_STRUCT, LC_SUM, LC_ENUM
 *     1 Types              one RawTypeDefV10 per typespace slot, scope [], custom_ordering true
 *     2 Tables             per table: source name, row ref, primary key, indexes, unique
 *                          constraints, sequences, User, Public/Private, no defaults, is_event
 *     3 Reducers           in registration order (= reducer ids); lifecycle and scheduled
 *                          reducers Private, the others ClientCallable
 *     6 Schedules          only when a table has LC_SCHEDULE
 *     7 LifeCycleReducers  only when LC_INIT / LC_CLIENT_(DIS)CONNECTED are used
 *     8 RowLevelSecurity   only when LC_RLS is used: the rules' SQL, in definition order
 *     9 CaseConversionPolicy  None: canonical names are the C names as written.  Under the
 *                          default (SnakeCase, §5.10) a column `u8` would become `u_8` and
 *                          a variant `big_box` `bigBox`; C names are snake_case already.
 *
 * Types in a use position (a column, a field, a parameter) are written inline when they are
 * primitives, strings, arrays, options or the special types of §5.2, and as Ref(slot) when
 * they are named products or sums (§5.3).  Slots are assigned depth-first in the order types
 * are met: table rows first, then reducer parameters.  Two descriptors with the same name are
 * the same type (a header's static copies in several files); a different type with a name
 * already taken traps, since the host would refuse the module anyway.
 */
#include "internal.h"

/* ---------------------------------------------------------------- primitives */

static void w_u8(lc_writer *w, uint8_t v)
{
    lc_write_bytes(w, &v, 1);
}
static void w_u16(lc_writer *w, uint16_t v)
{
    lc_write_bytes(w, &v, 2);
}
static void w_u32(lc_writer *w, uint32_t v)
{
    lc_write_bytes(w, &v, 4);
}
static void w_bool(lc_writer *w, bool v)
{
    w_u8(w, v ? 1 : 0);
}

static void w_str(lc_writer *w, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    w_u32(w, n);
    lc_write_bytes(w, s, n);
}

static void w_some_str(lc_writer *w, const char *s)
{
    w_u8(w, 0);
    w_str(w, s);
}

static void w_none(lc_writer *w)
{
    w_u8(w, 1);
}

/* i128 = 16 bytes little-endian. */
static void w_i128(lc_writer *w, int64_t v)
{
    int64_t words[2] = {v, v < 0 ? -1 : 0};
    lc_write_bytes(w, words, 16);
}

static void w_collist1(lc_writer *w, uint16_t col)
{
    w_u32(w, 1);
    w_u16(w, col);
}

/* ---------------------------------------------------------------- typespace */

typedef struct typespace {
    const lc_type_t **slots;
    uint32_t n, cap;
} typespace;

static bool is_named(const lc_type_t *t)
{
    return t->kind == LC_K_PRODUCT || t->kind == LC_K_SUM || t->kind == LC_K_ENUM;
}

/* The same type written twice (static copies in two files): same kind and member names. */
static bool same_shape(const lc_type_t *a, const lc_type_t *b)
{
    if (a->kind != b->kind || a->nfields != b->nfields)
        return false;
    for (uint32_t i = 0; i < a->nfields; i++)
        if (strcmp(a->fields[i].name, b->fields[i].name) != 0)
            return false;
    return true;
}

static int32_t slot_of(const typespace *ts, const lc_type_t *t)
{
    for (uint32_t i = 0; i < ts->n; i++) {
        if (ts->slots[i] == t)
            return (int32_t)i;
        if (strcmp(ts->slots[i]->name, t->name) == 0) {
            if (!same_shape(ts->slots[i], t))
                lc_panic("two different types are named '%s'", t->name);
            return (int32_t)i;
        }
    }
    return -1;
}

static void collect(typespace *ts, const lc_type_t *t)
{
    if (t->kind == LC_K_ARRAY || t->kind == LC_K_OPTION) {
        collect(ts, t->elem);
        return;
    }
    if (!is_named(t) || slot_of(ts, t) >= 0)
        return;
    if (ts->n == ts->cap) {
        uint32_t cap = ts->cap ? ts->cap * 2 : 16;
        const lc_type_t **slots = lc_alloc(cap * sizeof *slots);
        if (ts->n)
            memcpy(slots, ts->slots, ts->n * sizeof *slots);
        ts->slots = slots;
        ts->cap = cap;
    }
    ts->slots[ts->n++] = t;
    for (uint32_t i = 0; i < t->nfields; i++)
        if (t->fields[i].type)
            collect(ts, t->fields[i].type);
}

/* AlgebraicType tags (§5.2). */
enum {
    AT_REF = 0,
    AT_SUM = 1,
    AT_PRODUCT = 2,
    AT_ARRAY = 3,
    AT_STRING = 4,
    AT_BOOL = 5,
    AT_I8 = 6,
    AT_U8,
    AT_I16,
    AT_U16,
    AT_I32,
    AT_U32,
    AT_I64,
    AT_U64,
    AT_I128,
    AT_U128,
    AT_I256,
    AT_U256,
    AT_F32,
    AT_F64,
};

static void w_unit(lc_writer *w)
{
    w_u8(w, AT_PRODUCT);
    w_u32(w, 0);
}

/* Product{ name: prim } — how Identity, ConnectionId, Timestamp and TimeDuration look. */
static void w_special(lc_writer *w, const char *name, uint8_t prim)
{
    w_u8(w, AT_PRODUCT);
    w_u32(w, 1);
    w_some_str(w, name);
    w_u8(w, prim);
}

static void w_use(lc_writer *w, const typespace *ts, const lc_type_t *t);

static void w_option(lc_writer *w, const typespace *ts, const lc_type_t *elem)
{
    w_u8(w, AT_SUM);
    w_u32(w, 2);
    w_some_str(w, "some");
    w_use(w, ts, elem);
    w_some_str(w, "none");
    w_unit(w);
}

static void w_schedule_at(lc_writer *w)
{
    w_u8(w, AT_SUM);
    w_u32(w, 2);
    w_some_str(w, "Interval");
    w_special(w, "__time_duration_micros__", AT_I64);
    w_some_str(w, "Time");
    w_special(w, "__timestamp_micros_since_unix_epoch__", AT_I64);
}

static void w_use(lc_writer *w, const typespace *ts, const lc_type_t *t)
{
    static const uint8_t prim[] = {
        [LC_K_BOOL] = AT_BOOL,     [LC_K_I8] = AT_I8,     [LC_K_U8] = AT_U8,
        [LC_K_I16] = AT_I16,       [LC_K_U16] = AT_U16,   [LC_K_I32] = AT_I32,
        [LC_K_U32] = AT_U32,       [LC_K_I64] = AT_I64,   [LC_K_U64] = AT_U64,
        [LC_K_I128] = AT_I128,     [LC_K_U128] = AT_U128, [LC_K_I256] = AT_I256,
        [LC_K_U256] = AT_U256,     [LC_K_F32] = AT_F32,   [LC_K_F64] = AT_F64,
        [LC_K_STRING] = AT_STRING,
    };
    switch (t->kind) {
    case LC_K_BYTES:
        w_u8(w, AT_ARRAY);
        w_u8(w, AT_U8);
        return;
    case LC_K_ARRAY:
        w_u8(w, AT_ARRAY);
        w_use(w, ts, t->elem);
        return;
    case LC_K_OPTION:
        w_option(w, ts, t->elem);
        return;
    case LC_K_PRODUCT:
    case LC_K_SUM:
    case LC_K_ENUM:
        w_u8(w, AT_REF);
        w_u32(w, (uint32_t)slot_of(ts, t));
        return;
    case LC_K_IDENTITY:
        w_special(w, "__identity__", AT_U256);
        return;
    case LC_K_CONNECTION_ID:
        w_special(w, "__connection_id__", AT_U128);
        return;
    case LC_K_TIMESTAMP:
        w_special(w, "__timestamp_micros_since_unix_epoch__", AT_I64);
        return;
    case LC_K_TIME_DURATION:
        w_special(w, "__time_duration_micros__", AT_I64);
        return;
    case LC_K_SCHEDULE_AT:
        w_schedule_at(w);
        return;
    default:
        if (t->kind >= sizeof prim || prim[t->kind] == 0)
            lc_panic("type of kind %u cannot be described", t->kind);
        w_u8(w, prim[t->kind]);
    }
}

/* A typespace slot: the product or sum itself. */
static void w_body(lc_writer *w, const typespace *ts, const lc_type_t *t)
{
    w_u8(w, t->kind == LC_K_PRODUCT ? AT_PRODUCT : AT_SUM);
    w_u32(w, t->nfields);
    for (uint32_t i = 0; i < t->nfields; i++) {
        w_some_str(w, t->fields[i].name);
        if (t->fields[i].type)
            w_use(w, ts, t->fields[i].type);
        else
            w_unit(w);
    }
}

static void w_typespace(lc_writer *w, const typespace *ts)
{
    w_u32(w, ts->n);
    for (uint32_t i = 0; i < ts->n; i++) w_body(w, ts, ts->slots[i]);
}

static void w_types(lc_writer *w, const typespace *ts)
{
    w_u32(w, ts->n);
    for (uint32_t i = 0; i < ts->n; i++) {
        w_u32(w, 0); /* scope: [] */
        w_str(w, ts->slots[i]->name);
        w_u32(w, i);
        w_bool(w, true);
    }
}

/* ---------------------------------------------------------------- tables */

static uint32_t count_cols(const lc_table_t *t, uint32_t flags)
{
    uint32_t n = 0;
    for (uint32_t c = 0; c < t->row->nfields; c++) n += (t->row->fields[c].flags & flags) != 0;
    return n;
}

static void w_index(lc_writer *w, const lc_index_t *ix)
{
    w_some_str(w, ix->source_name);
    w_some_str(w, ix->accessor);
    if (ix->algo == LC_DIRECT) {
        w_u8(w, 2);
        w_u16(w, ix->cols[0]);
        return;
    }
    w_u8(w, ix->algo == LC_HASH ? 1 : 0);
    w_u32(w, ix->ncols);
    for (uint16_t i = 0; i < ix->ncols; i++) w_u16(w, ix->cols[i]);
}

static void w_table(lc_writer *w, const typespace *ts, const lc_table_t *t)
{
    const lc_field_t *f = t->row->fields;
    uint32_t n = t->row->nfields;
    w_str(w, t->name);
    w_u32(w, (uint32_t)slot_of(ts, t->row));
    w_u32(w, count_cols(t, LC_PRIMARY_KEY));
    for (uint32_t c = 0; c < n; c++)
        if (f[c].flags & LC_PRIMARY_KEY)
            w_u16(w, (uint16_t)c);
    w_u32(w, t->nindexes);
    for (uint32_t i = 0; i < t->nindexes; i++) w_index(w, &t->indexes[i]);
    w_u32(w, count_cols(t, LC__UNIQUE_FLAGS)); /* constraints: Unique per unique column */
    for (uint32_t c = 0; c < n; c++) {
        if (!(f[c].flags & LC__UNIQUE_FLAGS))
            continue;
        w_none(w);
        w_u8(w, 0);
        w_collist1(w, (uint16_t)c);
    }
    w_u32(w, count_cols(t, LC_AUTO_INC)); /* sequences: defaults, increment 1 */
    for (uint32_t c = 0; c < n; c++) {
        if (!(f[c].flags & LC_AUTO_INC))
            continue;
        w_none(w);
        w_u16(w, (uint16_t)c);
        w_none(w);
        w_none(w);
        w_none(w);
        w_i128(w, 1);
    }
    w_u8(w, 1); /* TableType::User */
    w_u8(w, (t->access & LC_PRIVATE) ? 1 : 0);
    w_u32(w, 0); /* default_values */
    w_bool(w, (t->access & LC_EVENT) != 0);
}

/* ---------------------------------------------------------------- reducers */

static uint32_t count_tables(void)
{
    uint32_t n = 0;
    for (lc_table_t *t = lc__tables(); t; t = t->next) n++;
    return n;
}

static const lc_table_t *schedule_of(const char *reducer)
{
    for (lc_table_t *t = lc__tables(); t; t = t->next)
        if (t->schedule && strcmp(t->schedule->reducer, reducer) == 0)
            return t;
    return NULL;
}

static void w_reducer(lc_writer *w, const typespace *ts, const lc_reducer_t *r)
{
    w_str(w, r->name);
    w_u32(w, r->nparams);
    for (uint32_t i = 0; i < r->nparams; i++) {
        w_some_str(w, r->params[i].name);
        w_use(w, ts, r->params[i].type);
    }
    bool callable = r->client_callable && !schedule_of(r->name);
    w_u8(w, callable ? 1 : 0); /* FunctionVisibility */
    w_unit(w);                 /* ok_return_type */
    w_u8(w, AT_STRING);        /* err_return_type */
}

static const lc_reducer_t *reducer_named(const char *name)
{
    for (lc_reducer_t *r = lc__reducers(); r; r = r->next)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

static uint32_t count_schedules(void)
{
    uint32_t n = 0;
    for (lc_table_t *t = lc__tables(); t; t = t->next) {
        if (!t->schedule)
            continue;
        const lc_reducer_t *r = reducer_named(t->schedule->reducer);
        if (!r)
            lc_panic("LC_SCHEDULE(%s) in table %s: there is no reducer %s", t->schedule->reducer,
                     t->name, t->schedule->reducer);
        if (r->nparams != 1 || r->params[0].type->kind != LC_K_PRODUCT ||
            strcmp(r->params[0].type->name, t->name) != 0)
            lc_panic("reducer %s is scheduled by table %s: its one argument must be %s_t", r->name,
                     t->name, t->name);
        n++;
    }
    return n;
}

static void w_schedules(lc_writer *w, uint32_t n)
{
    w_u32(w, n);
    for (lc_table_t *t = lc__tables(); t; t = t->next) {
        if (!t->schedule)
            continue;
        w_none(w);
        w_str(w, t->name);
        w_u16(w, t->schedule->col);
        w_str(w, t->schedule->reducer);
    }
}

static uint32_t count_lifecycle(void)
{
    uint32_t n = 0;
    for (lc_reducer_t *r = lc__reducers(); r; r = r->next) n += r->lifecycle != LC_LIFECYCLE_NONE;
    return n;
}

static void w_lifecycle(lc_writer *w, uint32_t n)
{
    w_u32(w, n);
    for (lc_reducer_t *r = lc__reducers(); r; r = r->next) {
        if (r->lifecycle == LC_LIFECYCLE_NONE)
            continue;
        w_u8(w, (uint8_t)r->lifecycle);
        w_str(w, r->name);
    }
}

/* ---------------------------------------------------------------- the module */

void lc__write_module_def(lc_writer *w)
{
    typespace ts = {0};
    uint32_t nreducers = 0;
    for (lc_table_t *t = lc__tables(); t; t = t->next) collect(&ts, t->row);
    for (lc_reducer_t *r = lc__reducers(); r; r = r->next, nreducers++)
        for (uint32_t i = 0; i < r->nparams; i++) collect(&ts, r->params[i].type);
    uint32_t nsched = count_schedules(), nlife = count_lifecycle(), nrls = 0;
    for (lc_rls_t *r = lc__rls(); r; r = r->next) nrls++;

    w_u8(w, 2); /* RawModuleDef::V10 */
    w_u32(w, 5 + (nsched > 0) + (nlife > 0) + (nrls > 0));
    w_u8(w, 0);
    w_typespace(w, &ts);
    w_u8(w, 1);
    w_types(w, &ts);
    w_u8(w, 2);
    w_u32(w, count_tables());
    for (lc_table_t *t = lc__tables(); t; t = t->next) w_table(w, &ts, t);
    w_u8(w, 3);
    w_u32(w, nreducers);
    for (lc_reducer_t *r = lc__reducers(); r; r = r->next) w_reducer(w, &ts, r);
    if (nsched) {
        w_u8(w, 6);
        w_schedules(w, nsched);
    }
    if (nlife) {
        w_u8(w, 7);
        w_lifecycle(w, nlife);
    }
    if (nrls) {
        w_u8(w, 8);
        w_u32(w, nrls);
        for (lc_rls_t *r = lc__rls(); r; r = r->next) w_str(w, r->sql);
    }
    w_u8(w, 9);
    w_u8(w, 0); /* CaseConversionPolicy::None: names stay as written in C */
}
