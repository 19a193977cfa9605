/*
 * def.c — reading RawModuleDef bytes (module-abi.md §5.1–§5.9, §5.13) into
 * the shared raw form (mod__raw_t), then handing it to def_validate.c;
 * plus the lookups and the store definition of a table.
 *
 * The bytes come from a module, so they are hostile until proven otherwise:
 *   1. Every read is bounds-checked (lc_rd_t); running out of bytes, an
 *      unknown enum tag, a bool other than 0/1, a string that is not UTF-8
 *      or holds a NUL is LC_ECORRUPT, with the path to the bad field
 *      ("table 2: index 0: ...").
 *   2. An array's element count is checked against the bytes left divided by
 *      the smallest encoding of one element before anything is allocated,
 *      so memory stays proportional to the input.
 *   3. Types go through the sats meta-type decoder (depth-limited).
 *
 * Layout of the V10 sections and of the V9 struct is the spec's; the first
 * V10 section of each kind wins (the reference's find_map), later ones are
 * decoded (to find their end) and ignored.
 */
#include <stdio.h>
#include <string.h>

#include "module/mod_def.h"

typedef struct dec {
    lc_arena_t *a;
    lc_rd_t r;
    const uint8_t *base;
    lc_err_t *err;
} dec_t;

static size_t off(const dec_t *d)
{
    return (size_t)(d->r.p - d->base);
}

static int nomem(dec_t *d)
{
    return lc_err_set(d->err, LC_ENOMEM, "out of memory decoding the module definition");
}

static int short_input(dec_t *d, const char *what)
{
    return LC_CORRUPT(d->err, "input ends inside %s at byte %zu", what, off(d));
}

/* Add where we were to an error on its way up. */
static int ctx(dec_t *d, int rc, const char *fmt, unsigned i)
{
    if (rc == LC_ECORRUPT)
        lc_err_prefix(d->err, fmt, i);
    return rc;
}

/* ---------------------------------------------------------------- scalars */

static int rd_u8(dec_t *d, uint8_t *v, const char *what)
{
    return lc_rd_u8(&d->r, v) ? short_input(d, what) : 0;
}

static int rd_u16(dec_t *d, uint16_t *v, const char *what)
{
    return lc_rd_u16le(&d->r, v) ? short_input(d, what) : 0;
}

static int rd_u32(dec_t *d, uint32_t *v, const char *what)
{
    return lc_rd_u32le(&d->r, v) ? short_input(d, what) : 0;
}

static int rd_bool(dec_t *d, bool *v, const char *what)
{
    uint8_t b;
    int rc = rd_u8(d, &b, what);
    if (rc == 0 && b > 1)
        return LC_CORRUPT(d->err, "%s is the byte %u, not a bool, at byte %zu", what, b,
                          off(d) - 1);
    *v = b == 1;
    return rc;
}

/* An enum tag below count. */
static int rd_tag(dec_t *d, uint8_t count, uint8_t *tag, const char *what)
{
    int rc = rd_u8(d, tag, what);
    if (rc == 0 && *tag >= count)
        return LC_CORRUPT(d->err, "unknown %s tag %u at byte %zu", what, *tag, off(d) - 1);
    return rc;
}

static int rd_i128(dec_t *d, __int128 *v, const char *what)
{
    uint64_t lo, hi;
    if (lc_rd_u64le(&d->r, &lo) || lc_rd_u64le(&d->r, &hi))
        return short_input(d, what);
    *v = (__int128)((unsigned __int128)hi << 64 | lo);
    return 0;
}

/* Option<i128>: tag 0 = some, 1 = none. */
static int rd_opt_i128(dec_t *d, bool *has, __int128 *v, const char *what)
{
    uint8_t tag;
    int rc = rd_tag(d, 2, &tag, what);
    *has = rc == 0 && tag == 0;
    *v = 0;
    return rc == 0 && *has ? rd_i128(d, v, what) : rc;
}

/* An array count n whose elements take at least min_size bytes each. */
static int rd_count(dec_t *d, uint32_t *n, size_t min_size, const char *what)
{
    int rc = rd_u32(d, n, what);
    if (rc == 0 && *n > d->r.len / min_size)
        return LC_CORRUPT(d->err, "%s count %u cannot fit in the %zu bytes left", what, *n,
                          d->r.len);
    return rc;
}

/* An array of n elements of size bytes, zeroed, in the arena. */
static void *rd_alloc(dec_t *d, uint32_t n, size_t size)
{
    return n == 0 ? NULL : lc_arena_zalloc(d->a, (size_t)n * size);
}

/* ---------------------------------------------------------------- strings and bytes */

static int rd_str(dec_t *d, const char **out, const char *what)
{
    uint32_t n;
    const uint8_t *p;
    int rc = rd_u32(d, &n, what);
    if (rc == 0 && lc_rd_bytes(&d->r, n, &p))
        rc = short_input(d, what);
    if (rc)
        return rc;
    if (!sats_utf8_valid(p, n))
        return LC_CORRUPT(d->err, "%s is not valid UTF-8 (byte %zu)", what, off(d) - n);
    if (memchr(p, 0, n) != NULL)
        return LC_CORRUPT(d->err, "%s contains a NUL character (byte %zu)", what, off(d) - n);
    *out = lc_arena_strndup(d->a, (const char *)p, n);
    return *out ? 0 : nomem(d);
}

static int rd_opt_str(dec_t *d, const char **out, const char *what)
{
    uint8_t tag;
    int rc = rd_tag(d, 2, &tag, what);
    *out = NULL;
    return rc == 0 && tag == 0 ? rd_str(d, out, what) : rc;
}

/* Box<[u8]>, copied: the definition outlives the bytes it was read from. */
static int rd_bytes(dec_t *d, const uint8_t **out, uint32_t *n, const char *what)
{
    const uint8_t *p;
    int rc = rd_u32(d, n, what);
    if (rc == 0 && lc_rd_bytes(&d->r, *n, &p))
        rc = short_input(d, what);
    if (rc)
        return rc;
    *out = *n ? lc_arena_memdup(d->a, p, *n) : lc_arena_zalloc(d->a, 1);
    return *out ? 0 : nomem(d);
}

/* Array<String>. */
static int rd_strs(dec_t *d, uint32_t *n, const char ***out, const char *what)
{
    int rc = rd_count(d, n, 4, what);
    if (rc)
        return rc;
    *out = rd_alloc(d, *n, sizeof **out);
    if (*n && *out == NULL)
        return nomem(d);
    for (uint32_t i = 0; i < *n && rc == 0; i++) rc = ctx(d, rd_str(d, &(*out)[i], what), "#%u", i);
    return rc;
}

/* ColList: Array<u16>. */
static int rd_cols(dec_t *d, uint32_t *n, const uint16_t **out, const char *what)
{
    int rc = rd_count(d, n, 2, what);
    if (rc)
        return rc;
    uint16_t *cols = rd_alloc(d, *n, sizeof *cols);
    if (*n && cols == NULL)
        return nomem(d);
    for (uint32_t i = 0; i < *n && rc == 0; i++) rc = rd_u16(d, &cols[i], what);
    *out = cols;
    return rc;
}

/* ---------------------------------------------------------------- types */

static int rd_type(dec_t *d, const sats_type_t **out, const char *what)
{
    int rc = sats_type_decode(d->a, &d->r, out, d->err);
    if (rc == LC_ECORRUPT)
        lc_err_prefix(d->err, "%s", what);
    return rc;
}

/* A ProductType value: its elements, with no AlgebraicType tag before. */
static int rd_product(dec_t *d, const sats_type_t **out, const char *what)
{
    uint32_t n;
    int rc = rd_count(d, &n, 2, what);
    if (rc)
        return rc;
    const char **names = rd_alloc(d, n, sizeof *names);
    const sats_type_t **types = rd_alloc(d, n, sizeof *types);
    if (n && (names == NULL || types == NULL))
        return nomem(d);
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        rc = rd_opt_str(d, &names[i], what);
        if (rc == 0)
            rc = rd_type(d, &types[i], what);
    }
    if (rc)
        return rc;
    *out = sats_type_product(d->a, n, names, types);
    return *out ? 0 : nomem(d);
}

/* ---------------------------------------------------------------- tables */

static int rd_algo(dec_t *d, mod__raw_index_t *x)
{
    int rc = rd_tag(d, 3, &x->algo, "index algorithm");
    if (rc || x->algo != MOD_INDEX_DIRECT)
        return rc ? rc : rd_cols(d, &x->ncols, &x->cols, "index columns");
    uint16_t *col = lc_arena_alloc(d->a, sizeof *col);
    if (col == NULL)
        return nomem(d);
    x->ncols = 1;
    x->cols = col;
    return rd_u16(d, col, "direct index column");
}

static int rd_index(dec_t *d, void *p)
{
    mod__raw_index_t *x = p;
    int rc = rd_opt_str(d, &x->name, "index name");
    if (rc == 0)
        rc = rd_opt_str(d, &x->accessor, "index accessor name");
    return rc ? rc : rd_algo(d, x);
}

static int rd_constraint(dec_t *d, void *p)
{
    mod__raw_constraint_t *x = p;
    uint8_t kind;
    int rc = rd_opt_str(d, &x->name, "constraint name");
    if (rc == 0)
        rc = rd_tag(d, 1, &kind, "constraint kind");
    return rc ? rc : rd_cols(d, &x->ncols, &x->cols, "unique constraint columns");
}

static int rd_sequence(dec_t *d, void *p)
{
    mod__raw_sequence_t *x = p;
    int rc = rd_opt_str(d, &x->name, "sequence name");
    if (rc == 0)
        rc = rd_u16(d, &x->col, "sequence column");
    if (rc == 0)
        rc = rd_opt_i128(d, &x->has_start, &x->start, "sequence start");
    if (rc == 0)
        rc = rd_opt_i128(d, &x->has_min, &x->min_value, "sequence min_value");
    if (rc == 0)
        rc = rd_opt_i128(d, &x->has_max, &x->max_value, "sequence max_value");
    return rc ? rc : rd_i128(d, &x->increment, "sequence increment");
}

static int rd_default(dec_t *d, void *p)
{
    mod__raw_default_t *x = p;
    int rc = rd_u16(d, &x->col, "default value column");
    return rc ? rc : rd_bytes(d, &x->bytes, &x->len, "default value");
}

/* An array of n structs read by fn, each at least min_size bytes. */
#define RD_ARRAY(d, n, out, min_size, fn, what)                                                    \
    rd_array((d), (n), (void **)(out), sizeof **(out), (min_size), (fn), (what))

static int rd_array(dec_t *d, uint32_t *n, void **out, size_t size, size_t min_size,
                    int (*fn)(dec_t *, void *), const char *what)
{
    int rc = rd_count(d, n, min_size, what);
    if (rc)
        return rc;
    uint8_t *items = rd_alloc(d, *n, size);
    if (*n && items == NULL)
        return nomem(d);
    *out = items;
    uint32_t i = 0;
    for (; i < *n && rc == 0; i++) rc = fn(d, items + (size_t)i * size);
    if (rc == LC_ECORRUPT)
        lc_err_prefix(d->err, "%s %u", what, i - 1);
    return rc;
}

static int rd_table_common(dec_t *d, mod__raw_table_t *t)
{
    int rc = rd_str(d, &t->name, "table name");
    if (rc == 0)
        rc = rd_u32(d, &t->type_ref, "table product_type_ref");
    if (rc == 0)
        rc = rd_cols(d, &t->npk, &t->pk, "primary key");
    if (rc == 0)
        rc = RD_ARRAY(d, &t->nindexes, &t->indexes, 3, rd_index, "index");
    if (rc == 0)
        rc = RD_ARRAY(d, &t->nconstraints, &t->constraints, 6, rd_constraint, "constraint");
    if (rc == 0)
        rc = RD_ARRAY(d, &t->nsequences, &t->sequences, 22, rd_sequence, "sequence");
    return rc;
}

static int rd_type_access(dec_t *d, mod__raw_table_t *t)
{
    int rc = rd_tag(d, 2, &t->table_type, "table type");
    return rc ? rc : rd_tag(d, 2, &t->access, "table access");
}

static int rd_table_v10(dec_t *d, void *p)
{
    mod__raw_table_t *t = p;
    int rc = rd_table_common(d, t);
    if (rc == 0)
        rc = rd_type_access(d, t);
    if (rc == 0)
        rc = RD_ARRAY(d, &t->ndefaults, &t->defaults, 6, rd_default, "default value");
    if (rc == 0)
        rc = rd_bool(d, &t->is_event, "table is_event");
    return rc;
}

static int rd_table_v9(dec_t *d, void *p)
{
    mod__raw_table_t *t = p;
    uint8_t tag;
    int rc = rd_table_common(d, t);
    if (rc == 0)
        rc = rd_tag(d, 2, &tag, "table schedule");
    if (rc == 0 && tag == 0) {
        t->has_schedule = true;
        rc = rd_opt_str(d, &t->schedule.name, "schedule name");
        if (rc == 0)
            rc = rd_str(d, &t->schedule.function, "schedule reducer name");
        if (rc == 0)
            rc = rd_u16(d, &t->schedule.at_col, "schedule column");
    }
    if (rc == 0)
        rc = rd_type_access(d, t);
    return rc;
}

/* ---------------------------------------------------------------- functions */

static int rd_reducer_v10(dec_t *d, void *p)
{
    mod__raw_reducer_t *x = p;
    int rc = rd_str(d, &x->name, "reducer name");
    if (rc == 0)
        rc = rd_product(d, &x->params, "reducer params");
    if (rc == 0)
        rc = rd_tag(d, 2, &x->visibility, "reducer visibility");
    if (rc == 0)
        rc = rd_type(d, &x->ok_type, "reducer ok_return_type");
    if (rc == 0)
        rc = rd_type(d, &x->err_type, "reducer err_return_type");
    x->lifecycle = -1;
    return rc;
}

static int rd_reducer_v9(dec_t *d, void *p)
{
    mod__raw_reducer_t *x = p;
    uint8_t tag, spec = 0;
    int rc = rd_str(d, &x->name, "reducer name");
    if (rc == 0)
        rc = rd_product(d, &x->params, "reducer params");
    if (rc == 0)
        rc = rd_tag(d, 2, &tag, "reducer lifecycle");
    if (rc == 0 && tag == 0)
        rc = rd_tag(d, 3, &spec, "lifecycle");
    x->lifecycle = rc == 0 && tag == 0 ? spec : -1;
    x->visibility = MOD_VIS_CLIENT;
    return rc;
}

static int rd_procedure_v10(dec_t *d, void *p)
{
    mod__raw_procedure_t *x = p;
    int rc = rd_str(d, &x->name, "procedure name");
    if (rc == 0)
        rc = rd_product(d, &x->params, "procedure params");
    if (rc == 0)
        rc = rd_type(d, &x->return_type, "procedure return type");
    return rc ? rc : rd_tag(d, 2, &x->visibility, "procedure visibility");
}

/* V9 procedures have no visibility field. */
static int rd_procedure_v9(dec_t *d, void *p)
{
    mod__raw_procedure_t *x = p;
    int rc = rd_str(d, &x->name, "procedure name");
    if (rc == 0)
        rc = rd_product(d, &x->params, "procedure params");
    x->visibility = MOD_VIS_CLIENT;
    return rc ? rc : rd_type(d, &x->return_type, "procedure return type");
}

static int rd_view(dec_t *d, void *p)
{
    mod__raw_view_t *x = p;
    int rc = rd_str(d, &x->name, "view name");
    if (rc == 0)
        rc = rd_u32(d, &x->index, "view index");
    if (rc == 0)
        rc = rd_bool(d, &x->is_public, "view is_public");
    if (rc == 0)
        rc = rd_bool(d, &x->is_anonymous, "view is_anonymous");
    if (rc == 0)
        rc = rd_product(d, &x->params, "view params");
    return rc ? rc : rd_type(d, &x->return_type, "view return type");
}

static int rd_schedule(dec_t *d, void *p)
{
    mod__raw_schedule_t *x = p;
    int rc = rd_opt_str(d, &x->name, "schedule name");
    if (rc == 0)
        rc = rd_str(d, &x->table, "schedule table name");
    if (rc == 0)
        rc = rd_u16(d, &x->at_col, "schedule column");
    return rc ? rc : rd_str(d, &x->function, "schedule function name");
}

static int rd_lifecycle(dec_t *d, void *p)
{
    mod__raw_lifecycle_t *x = p;
    int rc = rd_tag(d, 3, &x->spec, "lifecycle");
    return rc ? rc : rd_str(d, &x->function, "lifecycle function name");
}

/* ---------------------------------------------------------------- other sections */

static int rd_scoped_name(dec_t *d, mod__raw_typedef_t *x)
{
    int rc = rd_strs(d, &x->nscope, &x->scope, "type scope");
    return rc ? rc : rd_str(d, &x->name, "type name");
}

static int rd_typedef(dec_t *d, void *p)
{
    mod__raw_typedef_t *x = p;
    int rc = rd_scoped_name(d, x);
    if (rc == 0)
        rc = rd_u32(d, &x->ref, "type ref");
    return rc ? rc : rd_bool(d, &x->custom_ordering, "type custom_ordering");
}

static int rd_rls(dec_t *d, void *p)
{
    return rd_str(d, (const char **)p, "row-level security SQL");
}

static int rd_explicit(dec_t *d, void *p)
{
    mod__raw_explicit_t *x = p;
    int rc = rd_tag(d, 3, &x->kind, "explicit name kind");
    if (rc == 0)
        rc = rd_str(d, &x->source, "explicit source name");
    return rc ? rc : rd_str(d, &x->canonical, "explicit canonical name");
}

static int rd_handler(dec_t *d, void *p)
{
    return rd_str(d, (const char **)p, "HTTP handler name");
}

static int rd_route(dec_t *d, void *p)
{
    mod__raw_route_t *x = p;
    uint8_t any;
    int rc = rd_str(d, &x->handler, "HTTP route handler");
    if (rc == 0)
        rc = rd_tag(d, 2, &any, "HTTP route method");
    x->method = MOD_HTTP_ANY;
    if (rc == 0 && any == 1)
        rc = rd_tag(d, MOD_HTTP_EXTENSION + 1, &x->method, "HTTP method");
    if (rc == 0 && x->method == MOD_HTTP_EXTENSION)
        rc = rd_str(d, &x->extension, "HTTP extension method");
    return rc ? rc : rd_str(d, &x->path, "HTTP route path");
}

static int rd_view_pk(dec_t *d, void *p)
{
    mod__raw_view_pk_t *x = p;
    int rc = rd_str(d, &x->view, "view primary key view name");
    return rc ? rc : rd_strs(d, &x->ncols, &x->cols, "view primary key columns");
}

static int rd_misc(dec_t *d, mod__raw_t *raw, uint32_t n)
{
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        uint8_t tag;
        rc = rd_tag(d, 3, &tag, "misc export");
        if (rc == 0 && tag == 0) {
            mod__raw_default_t *x = &raw->defaults[raw->ndefaults++];
            rc = rd_str(d, &x->table, "default value table");
            if (rc == 0)
                rc = rd_default(d, x);
        } else if (rc == 0 && tag == 1) {
            rc = rd_procedure_v9(d, &raw->procedures[raw->nprocedures++]);
        } else if (rc == 0) {
            rc = rd_view(d, &raw->views[raw->nviews++]);
        }
        rc = ctx(d, rc, "misc export %u", i);
    }
    return rc;
}

/* ---------------------------------------------------------------- V9 and V10 */

static int rd_v9(dec_t *d, mod__raw_t *raw)
{
    raw->version = 9;
    raw->case_policy = MOD_CASE_POLICY_NONE;
    uint32_t nmisc;
    int rc = sats_typespace_decode(d->a, &d->r, &raw->ts, d->err);
    if (rc == LC_ECORRUPT)
        lc_err_prefix(d->err, "typespace");
    if (rc == 0)
        rc = RD_ARRAY(d, &raw->ntables, &raw->tables, 23, rd_table_v9, "table");
    if (rc == 0)
        rc = RD_ARRAY(d, &raw->nreducers, &raw->reducers, 9, rd_reducer_v9, "reducer");
    if (rc == 0)
        rc = RD_ARRAY(d, &raw->ntypes, &raw->types, 13, rd_typedef, "type");
    if (rc == 0)
        rc = rd_count(d, &nmisc, 7, "misc exports");
    if (rc)
        return rc;
    /* One array per kind, each large enough for every misc export. */
    raw->defaults = rd_alloc(d, nmisc, sizeof *raw->defaults);
    raw->procedures = rd_alloc(d, nmisc, sizeof *raw->procedures);
    raw->views = rd_alloc(d, nmisc, sizeof *raw->views);
    if (nmisc && (!raw->defaults || !raw->procedures || !raw->views))
        return nomem(d);
    rc = rd_misc(d, raw, nmisc);
    return rc ? rc : RD_ARRAY(d, &raw->nrls, &raw->rls, 4, rd_rls, "row-level security rule");
}

enum {
    SEC_TYPESPACE,
    SEC_TYPES,
    SEC_TABLES,
    SEC_REDUCERS,
    SEC_PROCEDURES,
    SEC_VIEWS,
    SEC_SCHEDULES,
    SEC_LIFECYCLE,
    SEC_RLS,
    SEC_CASE,
    SEC_EXPLICIT,
    SEC_HANDLERS,
    SEC_ROUTES,
    SEC_VIEW_PKS,
    SEC_SUBMODULES,
    SEC_COUNT
};

/* One section's payload into r (a scratch copy when it is not the first of
 * its kind). */
static int rd_section(dec_t *d, uint8_t kind, mod__raw_t *r)
{
    switch (kind) {
    case SEC_TYPESPACE: {
        int rc = sats_typespace_decode(d->a, &d->r, &r->ts, d->err);
        if (rc == LC_ECORRUPT)
            lc_err_prefix(d->err, "typespace");
        return rc;
    }
    case SEC_TYPES:
        return RD_ARRAY(d, &r->ntypes, &r->types, 13, rd_typedef, "type");
    case SEC_TABLES:
        return RD_ARRAY(d, &r->ntables, &r->tables, 31, rd_table_v10, "table");
    case SEC_REDUCERS:
        return RD_ARRAY(d, &r->nreducers, &r->reducers, 11, rd_reducer_v10, "reducer");
    case SEC_PROCEDURES:
        return RD_ARRAY(d, &r->nprocedures, &r->procedures, 10, rd_procedure_v10, "procedure");
    case SEC_VIEWS:
        return RD_ARRAY(d, &r->nviews, &r->views, 15, rd_view, "view");
    case SEC_SCHEDULES:
        return RD_ARRAY(d, &r->nschedules, &r->schedules, 11, rd_schedule, "schedule");
    case SEC_LIFECYCLE:
        return RD_ARRAY(d, &r->nlifecycles, &r->lifecycles, 5, rd_lifecycle, "lifecycle reducer");
    case SEC_RLS:
        return RD_ARRAY(d, &r->nrls, &r->rls, 4, rd_rls, "row-level security rule");
    case SEC_CASE:
        return rd_tag(d, 4, &r->case_policy, "case conversion policy");
    case SEC_EXPLICIT:
        return RD_ARRAY(d, &r->nexplicit, &r->explicit_names, 9, rd_explicit, "explicit name");
    case SEC_HANDLERS:
        return RD_ARRAY(d, &r->nhandlers, &r->handlers, 4, rd_handler, "HTTP handler");
    case SEC_ROUTES:
        return RD_ARRAY(d, &r->nroutes, &r->routes, 9, rd_route, "HTTP route");
    case SEC_VIEW_PKS:
        return RD_ARRAY(d, &r->nview_pks, &r->view_pks, 8, rd_view_pk, "view primary key");
    default:
        return lc_err_set(d->err, LC_EUNSUPPORTED,
                          "module definition has submodules, which Lightcone does not support");
    }
}

/* Copy section `kind` of src into dst (the first section of a kind wins). */
static void take_section(mod__raw_t *dst, const mod__raw_t *src, uint8_t kind)
{
#define TAKE(n, p)                                                                                 \
    do {                                                                                           \
        dst->n = src->n;                                                                           \
        dst->p = src->p;                                                                           \
    } while (0)
    switch (kind) {
    case SEC_TYPESPACE:
        dst->ts = src->ts;
        break;
    case SEC_TYPES:
        TAKE(ntypes, types);
        break;
    case SEC_TABLES:
        TAKE(ntables, tables);
        break;
    case SEC_REDUCERS:
        TAKE(nreducers, reducers);
        break;
    case SEC_PROCEDURES:
        TAKE(nprocedures, procedures);
        break;
    case SEC_VIEWS:
        TAKE(nviews, views);
        break;
    case SEC_SCHEDULES:
        TAKE(nschedules, schedules);
        break;
    case SEC_LIFECYCLE:
        TAKE(nlifecycles, lifecycles);
        break;
    case SEC_RLS:
        TAKE(nrls, rls);
        break;
    case SEC_CASE:
        dst->case_policy = src->case_policy;
        break;
    case SEC_EXPLICIT:
        TAKE(nexplicit, explicit_names);
        break;
    case SEC_HANDLERS:
        TAKE(nhandlers, handlers);
        break;
    case SEC_ROUTES:
        TAKE(nroutes, routes);
        break;
    case SEC_VIEW_PKS:
        TAKE(nview_pks, view_pks);
        break;
    default:
        break;
    }
#undef TAKE
}

static int rd_v10(dec_t *d, mod__raw_t *raw)
{
    raw->version = 10;
    raw->case_policy = MOD_CASE_POLICY_SNAKE;
    bool seen[SEC_COUNT] = {0};
    uint32_t n;
    int rc = rd_count(d, &n, 1, "sections");
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        uint8_t kind;
        mod__raw_t scratch = {0};
        rc = rd_tag(d, SEC_COUNT, &kind, "section");
        if (rc == 0)
            rc = ctx(d, rd_section(d, kind, &scratch), "section %u", i);
        if (rc == 0 && !seen[kind])
            take_section(raw, &scratch, kind);
        if (rc == 0)
            seen[kind] = true;
    }
    return rc;
}

static int rd_module(dec_t *d, mod__raw_t *raw)
{
    uint8_t tag;
    if (rd_u8(d, &tag, "the version tag"))
        return LC_ECORRUPT;
    if (tag == 0)
        return lc_err_set(d->err, LC_EUNSUPPORTED,
                          "module definition V8 is not supported; rebuild with SpacetimeDB 1.0 "
                          "or later bindings");
    if (tag == 1)
        return rd_v9(d, raw);
    if (tag == 2)
        return rd_v10(d, raw);
    return LC_CORRUPT(d->err, "unknown RawModuleDef version tag %u", tag);
}

/* ---------------------------------------------------------------- errors */

void mod__errs_add(mod__errs_t *e, const char *fmt, ...)
{
    char line[LC_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    if (e->n >= MOD__MAX_ERRORS) {
        e->dropped++;
        return;
    }
    /* Drop exact repeats, as the reference's sort_deduplicate does. */
    for (size_t at = 0; at < e->text.len;) {
        const char *p = (const char *)e->text.data + at;
        const char *nl = memchr(p, '\n', e->text.len - at);
        size_t len = (size_t)(nl - p);
        if (len == n && memcmp(p, line, n) == 0)
            return;
        at += len + 1;
    }
    lc_buf_append(&e->text, line, n);
    lc_buf_putc(&e->text, '\n');
    e->n++;
}

/* The message for lc_err_t: as many whole lines as fit, then a count. */
static int report_invalid(const mod__errs_t *e, lc_buf_t *report, lc_err_t *err)
{
    uint32_t total = e->n + e->dropped;
    char head[96];
    snprintf(head, sizeof head, "module definition is invalid (%u error%s):", total,
             total == 1 ? "" : "s");
    if (report) {
        lc_buf_puts(report, head);
        lc_buf_putc(report, '\n');
        lc_buf_append(report, e->text.data, e->text.len);
        if (e->dropped)
            lc_buf_printf(report, "... and %u more\n", e->dropped);
    }
    if (err == NULL)
        return LC_EINVAL;
    lc_err_set(err, LC_EINVAL, "%s", head);
    size_t len = strlen(err->msg), at = 0;
    uint32_t shown = 0;
    while (at < e->text.len) {
        const char *p = (const char *)e->text.data + at;
        size_t line = (size_t)((const char *)memchr(p, '\n', e->text.len - at) - p);
        if (len + 1 + line + 24 >= sizeof err->msg)
            break;
        err->msg[len++] = '\n';
        memcpy(err->msg + len, p, line);
        len += line;
        at += line + 1;
        shown++;
    }
    if (shown < total)
        snprintf(err->msg + len, sizeof err->msg - len, "\n... and %u more", total - shown);
    else
        err->msg[len] = 0;
    return LC_EINVAL;
}

/* ---------------------------------------------------------------- decode */

int mod_def_decode_report(const uint8_t *bytes, size_t len, mod_def_t **out, lc_buf_t *report,
                          lc_err_t *err)
{
    *out = NULL;
    mod_def_t *d = lc_calloc(1, sizeof *d);
    if (d == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory decoding the module definition");
    lc_arena_init(&d->arena, 0);
    lc_map_init(&d->by_table);
    lc_map_init(&d->by_reducer);
    lc_map_init(&d->by_procedure);
    lc_map_init(&d->by_view);
    lc_map_init(&d->by_index);
    mod__raw_t raw = {0};
    dec_t dec = {.a = &d->arena, .r = lc_rd_make(bytes, len), .base = bytes, .err = err};
    int rc = rd_module(&dec, &raw);
    if (rc == LC_ECORRUPT)
        lc_err_prefix(err, "module definition does not decode");
    mod__errs_t errs = {0};
    if (rc == 0)
        rc = mod__validate(&raw, d, &errs);
    if (rc == LC_ENOMEM)
        lc_err_set(err, LC_ENOMEM, "out of memory validating the module definition");
    else if (rc == 0 && (errs.n > 0 || errs.text.oom))
        rc = errs.text.oom ? lc_err_set(err, LC_ENOMEM, "out of memory reporting module errors")
                           : report_invalid(&errs, report, err);
    lc_buf_free(&errs.text);
    if (rc) {
        mod_def_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int mod_def_decode(const uint8_t *bytes, size_t len, mod_def_t **out, lc_err_t *err)
{
    return mod_def_decode_report(bytes, len, out, NULL, err);
}

void mod_def_free(mod_def_t *d)
{
    if (d == NULL)
        return;
    lc_map_free(&d->by_table);
    lc_map_free(&d->by_reducer);
    lc_map_free(&d->by_procedure);
    lc_map_free(&d->by_view);
    lc_map_free(&d->by_index);
    lc_arena_free(&d->arena);
    lc_free(d);
}

/* ---------------------------------------------------------------- lookups */

const mod_table_t *mod_def_table(const mod_def_t *d, const char *name)
{
    return lc_map_gets(&d->by_table, name);
}

const mod_reducer_t *mod_def_reducer(const mod_def_t *d, const char *name)
{
    return lc_map_gets(&d->by_reducer, name);
}

const mod_procedure_t *mod_def_procedure(const mod_def_t *d, const char *name)
{
    return lc_map_gets(&d->by_procedure, name);
}

const mod_view_t *mod_def_view(const mod_def_t *d, const char *name)
{
    return lc_map_gets(&d->by_view, name);
}

const mod_index_t *mod_def_index(const mod_def_t *d, const char *name, const mod_table_t **table)
{
    const mod_index_t *x = lc_map_gets(&d->by_index, name);
    if (table)
        *table = x ? &d->tables[x->table] : NULL;
    return x;
}

/* ---------------------------------------------------------------- store definition */

static store_index_algo_t store_algo(mod_index_algo_t a)
{
    return a == MOD_INDEX_HASH     ? STORE_INDEX_HASH
           : a == MOD_INDEX_DIRECT ? STORE_INDEX_DIRECT
                                   : STORE_INDEX_BTREE;
}

int mod_def_table_store_def(const mod_def_t *d, uint32_t table_index, lc_arena_t *a,
                            store_table_def_t *out, lc_err_t *err)
{
    if (table_index >= d->ntables)
        return lc_err_set(err, LC_ENOTFOUND, "module has no table %u", table_index);
    const mod_table_t *t = &d->tables[table_index];
    store_index_def_t *ix = t->nindexes ? lc_arena_zalloc(a, t->nindexes * sizeof *ix) : NULL;
    store_constraint_def_t *cs =
        t->nconstraints ? lc_arena_zalloc(a, t->nconstraints * sizeof *cs) : NULL;
    store_sequence_def_t *sq =
        t->nsequences ? lc_arena_zalloc(a, t->nsequences * sizeof *sq) : NULL;
    if ((t->nindexes && !ix) || (t->nconstraints && !cs) || (t->nsequences && !sq))
        return lc_err_set(err, LC_ENOMEM, "out of memory building table `%s`", t->name);
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const mod_index_t *x = &t->indexes[i];
        ix[i] = (store_index_def_t){x->name, store_algo(x->algo), x->ncols, x->cols};
    }
    for (uint32_t i = 0; i < t->nconstraints; i++) {
        const mod_constraint_t *c = &t->constraints[i];
        cs[i] = (store_constraint_def_t){c->name, c->ncols, c->cols};
    }
    for (uint32_t i = 0; i < t->nsequences; i++) {
        const mod_sequence_t *s = &t->sequences[i];
        sq[i] = (store_sequence_def_t){s->name,      s->col,       s->start,
                                       s->min_value, s->max_value, s->increment};
    }
    *out = (store_table_def_t){
        .name = t->name,
        .ts = &d->typespace,
        .row_type = t->row_type,
        .primary_key = t->primary_key,
        .type = t->type == MOD_TABLE_SYSTEM ? STORE_TABLE_SYSTEM : STORE_TABLE_USER,
        .access = t->access == MOD_ACCESS_PUBLIC ? STORE_PUBLIC : STORE_PRIVATE,
        .is_event = t->is_event,
        .nindexes = t->nindexes,
        .indexes = ix,
        .nconstraints = t->nconstraints,
        .constraints = cs,
        .nsequences = t->nsequences,
        .sequences = sq,
    };
    return 0;
}
