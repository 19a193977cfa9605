/*
 * def_type — RawModuleDef itself as a SATS type (module-abi.md §5), so that
 * the describe bytes a module wrote can be decoded generically and written
 * out as typed SATS-JSON for GET /v1/database/:db/schema (protocol.md §8.3),
 * which is what the CLI's `generate` and `describe` read.
 *
 * def.c reads the same bytes field by field into a mod__raw_t; this file
 * only describes their shape, with the field and variant names of the
 * reference's Rust structs (crates/lib/src/db/raw_def/v9.rs, v10.rs) since
 * the typed JSON keys are those names.
 *
 * The typespace, slot by slot:
 *
 *   slot  type                why a slot
 *   ----  ------------------  ------------------------------------------
 *   0     AlgebraicType       recursive: Sum/Product/Array contain it
 *   1     SumType             { variants: Array<SumTypeVariant> }
 *   2     ProductType         { elements: Array<ProductTypeElement> }
 *   3     RawModuleDefV10     recursive: a submodule holds a V10 def
 *   4     RawModuleDef        the root: V8BackCompat | V9 | V10
 *
 * Invariants:
 *   1. Every value of the root type is exactly what def.c accepts, byte for
 *      byte (same tags, same field order), so bytes mod_def_decode took
 *      always decode here.  V8BackCompat is a placeholder (unit): V8 is
 *      refused at publish, so no stored definition is ever V8.
 *   2. ArrayType is its element type (no wrapper), as the meta-type's BSATN
 *      has it (§5.2): {"Array": {"U8": []}}.
 *   3. AlgebraicTypeRef and ColId are plain U32 / U16, ColList Array<U16>,
 *      Box<[u8]> Array<U8> (a hex string in JSON), as the reference's
 *      SpacetimeType impls declare them.
 */
#include <stdarg.h>

#include "module/mod_def.h"

enum { SLOT_ALG, SLOT_SUM, SLOT_PRODUCT, SLOT_V10, SLOT_ROOT, NSLOTS };

/* n (name, type) pairs as a product (is_sum false) or a sum; NULL if any
 * type is NULL (an earlier allocation failed) or on allocation failure. */
static const sats_type_t *fields(lc_arena_t *a, bool is_sum, uint32_t n, ...)
{
    const char *names[24];
    const sats_type_t *types[24];
    bool ok = n <= 24;
    va_list ap;
    va_start(ap, n);
    for (uint32_t i = 0; ok && i < n; i++) {
        names[i] = va_arg(ap, const char *);
        types[i] = va_arg(ap, const sats_type_t *);
        ok = types[i] != NULL;
    }
    va_end(ap);
    if (!ok)
        return NULL;
    return is_sum ? sats_type_sum(a, n, names, types) : sats_type_product(a, n, names, types);
}

#define PRODUCT(a, n, ...) fields((a), false, (n), __VA_ARGS__)
#define SUM(a, n, ...)     fields((a), true, (n), __VA_ARGS__)

static const sats_type_t *array(lc_arena_t *a, const sats_type_t *elem)
{
    return elem ? sats_type_array(a, elem) : NULL;
}

static const sats_type_t *option(lc_arena_t *a, const sats_type_t *some)
{
    return some ? sats_type_option(a, some) : NULL;
}

/* The shared vocabulary of both versions. */
typedef struct vocab {
    lc_arena_t *a;
    const sats_type_t *str, *u16, *u32, *i128, *bool_, *unit, *bytes;
    const sats_type_t *opt_str, *opt_i128, *col_list;
    const sats_type_t *alg, *product, *typespace; /* Refs / Typespace */
    const sats_type_t *index_algo, *constraint_data, *table_type, *table_access;
    const sats_type_t *lifecycle, *visibility;
} vocab_t;

static int vocab_init(vocab_t *v, lc_arena_t *a)
{
    v->a = a;
    v->str = sats_prim(SATS_STRING);
    v->u16 = sats_prim(SATS_U16);
    v->u32 = sats_prim(SATS_U32);
    v->i128 = sats_prim(SATS_I128);
    v->bool_ = sats_prim(SATS_BOOL);
    v->unit = sats_type_unit();
    v->bytes = sats_type_bytes();
    v->opt_str = option(a, v->str);
    v->opt_i128 = option(a, v->i128);
    v->col_list = array(a, v->u16);
    v->alg = sats_type_ref(a, SLOT_ALG);
    v->product = sats_type_ref(a, SLOT_PRODUCT);
    v->typespace = PRODUCT(a, 1, "types", array(a, v->alg));
    v->index_algo =
        SUM(a, 3, "BTree", PRODUCT(a, 1, "columns", v->col_list), "Hash",
            PRODUCT(a, 1, "columns", v->col_list), "Direct", PRODUCT(a, 1, "column", v->u16));
    v->constraint_data = SUM(a, 1, "Unique", PRODUCT(a, 1, "columns", v->col_list));
    v->table_type = SUM(a, 2, "System", v->unit, "User", v->unit);
    v->table_access = SUM(a, 2, "Public", v->unit, "Private", v->unit);
    v->lifecycle = SUM(a, 3, "Init", v->unit, "OnConnect", v->unit, "OnDisconnect", v->unit);
    v->visibility = SUM(a, 2, "Private", v->unit, "ClientCallable", v->unit);
    bool ok = v->opt_str && v->opt_i128 && v->col_list && v->alg && v->product && v->typespace &&
              v->index_algo && v->constraint_data && v->table_type && v->table_access &&
              v->lifecycle && v->visibility;
    return ok ? LC_OK : LC_ENOMEM;
}

/* Slots 0..2: AlgebraicType, SumType, ProductType (§5.2). */
static const sats_type_t *meta_alg(const vocab_t *v)
{
    static const char *const names[SATS_KIND_COUNT] = {
        "Ref", "Sum", "Product", "Array", "String", "Bool", "I8",   "U8",   "I16", "U16",
        "I32", "U32", "I64",     "U64",   "I128",   "U128", "I256", "U256", "F32", "F64",
    };
    const sats_type_t *types[SATS_KIND_COUNT];
    types[SATS_REF] = v->u32;
    types[SATS_SUM] = sats_type_ref(v->a, SLOT_SUM);
    types[SATS_PRODUCT] = v->product;
    types[SATS_ARRAY] = v->alg; /* invariant 2 */
    for (int k = SATS_STRING; k < SATS_KIND_COUNT; k++) types[k] = v->unit;
    return types[SATS_SUM] ? sats_type_sum(v->a, SATS_KIND_COUNT, names, types) : NULL;
}

/* SumType { variants: [...] } or ProductType { elements: [...] }: each item
 * a { name, algebraic_type } pair. */
static const sats_type_t *meta_fields(const vocab_t *v, const char *list)
{
    return PRODUCT(v->a, 1, list,
                   array(v->a, PRODUCT(v->a, 2, "name", v->opt_str, "algebraic_type", v->alg)));
}

/* ---------------------------------------------------------------- V10 */

static const sats_type_t *v10_table(const vocab_t *v)
{
    lc_arena_t *a = v->a;
    const sats_type_t *index = PRODUCT(a, 3, "source_name", v->opt_str, "accessor_name", v->opt_str,
                                       "algorithm", v->index_algo);
    const sats_type_t *constraint =
        PRODUCT(a, 2, "source_name", v->opt_str, "data", v->constraint_data);
    const sats_type_t *sequence =
        PRODUCT(a, 6, "source_name", v->opt_str, "column", v->u16, "start", v->opt_i128,
                "min_value", v->opt_i128, "max_value", v->opt_i128, "increment", v->i128);
    const sats_type_t *default_value = PRODUCT(a, 2, "col_id", v->u16, "value", v->bytes);
    return PRODUCT(a, 10, "source_name", v->str, "product_type_ref", v->u32, "primary_key",
                   v->col_list, "indexes", array(a, index), "constraints", array(a, constraint),
                   "sequences", array(a, sequence), "table_type", v->table_type, "table_access",
                   v->table_access, "default_values", array(a, default_value), "is_event",
                   v->bool_);
}

static const sats_type_t *v10_http_route(const vocab_t *v)
{
    lc_arena_t *a = v->a;
    const sats_type_t *method =
        SUM(a, 10, "Get", v->unit, "Head", v->unit, "Post", v->unit, "Put", v->unit, "Delete",
            v->unit, "Connect", v->unit, "Options", v->unit, "Trace", v->unit, "Patch", v->unit,
            "Extension", v->str);
    const sats_type_t *method_or_any = SUM(a, 2, "Any", v->unit, "Method", method);
    return PRODUCT(a, 3, "handler_function", v->str, "method", method_or_any, "path", v->str);
}

/* Slot 3: RawModuleDefV10 { sections: Array<RawModuleDefV10Section> }. */
static const sats_type_t *v10_def(const vocab_t *v)
{
    lc_arena_t *a = v->a;
    const sats_type_t *type_def = PRODUCT(
        a, 3, "source_name", PRODUCT(a, 2, "scope", array(a, v->str), "source_name", v->str), "ty",
        v->u32, "custom_ordering", v->bool_);
    const sats_type_t *reducer =
        PRODUCT(a, 5, "source_name", v->str, "params", v->product, "visibility", v->visibility,
                "ok_return_type", v->alg, "err_return_type", v->alg);
    const sats_type_t *procedure = PRODUCT(a, 4, "source_name", v->str, "params", v->product,
                                           "return_type", v->alg, "visibility", v->visibility);
    const sats_type_t *view =
        PRODUCT(a, 6, "source_name", v->str, "index", v->u32, "is_public", v->bool_, "is_anonymous",
                v->bool_, "params", v->product, "return_type", v->alg);
    const sats_type_t *schedule = PRODUCT(a, 4, "source_name", v->opt_str, "table_name", v->str,
                                          "schedule_at_col", v->u16, "function_name", v->str);
    const sats_type_t *lifecycle =
        PRODUCT(a, 2, "lifecycle_spec", v->lifecycle, "function_name", v->str);
    /* def.c accepts tags 0..3; the reference names the first two. */
    const sats_type_t *case_policy = SUM(a, 4, "None", v->unit, "SnakeCase", v->unit, "CamelCase",
                                         v->unit, "PascalCase", v->unit);
    const sats_type_t *mapping = PRODUCT(a, 2, "source_name", v->str, "canonical_name", v->str);
    const sats_type_t *explicit_names =
        PRODUCT(a, 1, "entries",
                array(a, SUM(a, 3, "Table", mapping, "Function", mapping, "Index", mapping)));
    const sats_type_t *view_pk =
        PRODUCT(a, 2, "view_source_name", v->str, "columns", array(a, v->str));
    const sats_type_t *submodule =
        PRODUCT(a, 2, "namespace", v->str, "module", sats_type_ref(a, SLOT_V10));
    const sats_type_t *section = SUM(
        a, 15, "Typespace", v->typespace, "Types", array(a, type_def), "Tables",
        array(a, v10_table(v)), "Reducers", array(a, reducer), "Procedures", array(a, procedure),
        "Views", array(a, view), "Schedules", array(a, schedule), "LifeCycleReducers",
        array(a, lifecycle), "RowLevelSecurity", array(a, PRODUCT(a, 1, "sql", v->str)),
        "CaseConversionPolicy", case_policy, "ExplicitNames", explicit_names, "HttpHandlers",
        array(a, PRODUCT(a, 1, "source_name", v->str)), "HttpRoutes", array(a, v10_http_route(v)),
        "ViewPrimaryKeys", array(a, view_pk), "Submodules", array(a, submodule));
    return PRODUCT(a, 1, "sections", array(a, section));
}

/* ---------------------------------------------------------------- V9 (§5.13) */

static const sats_type_t *v9_table(const vocab_t *v)
{
    lc_arena_t *a = v->a;
    const sats_type_t *index =
        PRODUCT(a, 3, "name", v->opt_str, "accessor_name", v->opt_str, "algorithm", v->index_algo);
    const sats_type_t *constraint = PRODUCT(a, 2, "name", v->opt_str, "data", v->constraint_data);
    const sats_type_t *sequence =
        PRODUCT(a, 6, "name", v->opt_str, "column", v->u16, "start", v->opt_i128, "min_value",
                v->opt_i128, "max_value", v->opt_i128, "increment", v->i128);
    const sats_type_t *schedule =
        PRODUCT(a, 3, "name", v->opt_str, "reducer_name", v->str, "scheduled_at_column", v->u16);
    return PRODUCT(a, 9, "name", v->str, "product_type_ref", v->u32, "primary_key", v->col_list,
                   "indexes", array(a, index), "constraints", array(a, constraint), "sequences",
                   array(a, sequence), "schedule", option(a, schedule), "table_type", v->table_type,
                   "table_access", v->table_access);
}

static const sats_type_t *v9_def(const vocab_t *v)
{
    lc_arena_t *a = v->a;
    const sats_type_t *reducer =
        PRODUCT(a, 3, "name", v->str, "params", v->product, "lifecycle", option(a, v->lifecycle));
    const sats_type_t *type_def =
        PRODUCT(a, 3, "name", PRODUCT(a, 2, "scope", array(a, v->str), "name", v->str), "ty",
                v->u32, "custom_ordering", v->bool_);
    const sats_type_t *misc =
        SUM(a, 3, "ColumnDefaultValue",
            PRODUCT(a, 3, "table", v->str, "col_id", v->u16, "value", v->bytes), "Procedure",
            PRODUCT(a, 3, "name", v->str, "params", v->product, "return_type", v->alg), "View",
            PRODUCT(a, 6, "name", v->str, "index", v->u32, "is_public", v->bool_, "is_anonymous",
                    v->bool_, "params", v->product, "return_type", v->alg));
    return PRODUCT(a, 6, "typespace", v->typespace, "tables", array(a, v9_table(v)), "reducers",
                   array(a, reducer), "types", array(a, type_def), "misc_exports", array(a, misc),
                   "row_level_security", array(a, PRODUCT(a, 1, "sql", v->str)));
}

/* ---------------------------------------------------------------- the typespace */

int mod_def_raw_typespace(lc_arena_t *a, sats_typespace_t *ts, const sats_type_t **raw_module_def)
{
    vocab_t v;
    const sats_type_t **slots = lc_arena_zalloc(a, NSLOTS * sizeof *slots);
    if (!slots || vocab_init(&v, a))
        return LC_ENOMEM;
    slots[SLOT_ALG] = meta_alg(&v);
    slots[SLOT_SUM] = meta_fields(&v, "variants");
    slots[SLOT_PRODUCT] = meta_fields(&v, "elements");
    slots[SLOT_V10] = v10_def(&v);
    slots[SLOT_ROOT] =
        SUM(a, 3, "V8BackCompat", v.unit, "V9", v9_def(&v), "V10", sats_type_ref(a, SLOT_V10));
    for (int i = 0; i < NSLOTS; i++)
        if (!slots[i])
            return LC_ENOMEM;
    ts->n = NSLOTS;
    ts->types = slots;
    *raw_module_def = slots[SLOT_ROOT];
    return LC_OK;
}

int mod_def_raw_json(const uint8_t *bytes, size_t len, lc_buf_t *out, int *version, lc_err_t *err)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    sats_typespace_t ts;
    const sats_type_t *root;
    sats_value_t v;
    lc_rd_t r = lc_rd_make(bytes, len); /* trailing bytes ignored, as mod_def_decode */
    int rc = mod_def_raw_typespace(&a, &ts, &root);
    if (rc)
        lc_err_set(err, rc, "out of memory");
    else if ((rc = sats_bsatn_decode(&a, &r, &ts, root, &v, err)) != LC_OK)
        lc_err_prefix(err, "module definition does not decode");
    else if (v.u.sum.tag == 0)
        rc =
            lc_err_set(err, LC_EUNSUPPORTED, "the module definition is V8, which is not supported");
    else {
        *version = v.u.sum.tag == 1 ? MOD_DEF_V9 : MOD_DEF_V10;
        rc = sats_json_encode(out, &ts, root->u.fields.items[v.u.sum.tag].type, v.u.sum.payload,
                              SATS_JSON_TYPED, err);
    }
    lc_arena_free(&a);
    return rc;
}
