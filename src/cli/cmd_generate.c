/*
 * cmd_generate.c — `lightcone generate`: client bindings from a module's definition.
 *
 * The input is the module definition as the server gives it at
 * GET /v1/database/:db/schema?version=10 (typed SATS-JSON RawModuleDefV10, module-abi.md §5),
 * or the same JSON from a file (--schema-file).  Two outputs:
 *
 *   --lang typescript  DIR/index.mjs: plain ES module calling the npm `spacetimedb` SDK's
 *                      public API (schema, table, t.*, reducers, reducerSchema,
 *                      DbConnectionBuilder, ...) exactly as `spacetime generate` output does,
 *                      so the SDK sees the same remote-module description
 *                      (tests/e2e/bindings/chat.mjs is the hand-written model).
 *   --lang c           DIR/<db>_bindings.h: a C struct per table row and per named type, a
 *                      tagged union per sum type, and the table and reducer names as
 *                      constants, for the C client SDK that is to come.
 *
 * Names follow `spacetime generate --lang typescript` (2.x), with the case conversion of the
 * reference (convert_case, module/names.c):
 *
 *   what                 in JavaScript (accessor)              on the wire / in SQL
 *   table                conn.db.<camelCase>  (all_types →     name: '<canonical name>'
 *                        allTypes); the declared name stays
 *                        as a deprecated alias on conn.db
 *   column, row field    row.<camelCase> (opt_i32 → optI32)    .name('<canonical>') when it differs
 *   product field,       <camelCase> keys                      (by position in BSATN)
 *   reducer parameter
 *   reducer              conn.reducers.<camelCase> (made by    its canonical name
 *                        the SDK from the wire name)
 *   index                conn.db.<table>.<accessor>: the       (client side only)
 *                        module's index accessor as declared,
 *                        and every primary key or unique
 *                        column's camelCase name
 *   sum variant          as declared ({ tag: 'rect' })         (by position)
 *   named type           PascalCase constant
 *
 * Canonical names are the server's: as declared under CaseConversionPolicy None, else
 * snake_case, an ExplicitNames entry winning for tables and reducers.  Should two names of
 * one product meet in the same camelCase key, that product keeps its declared names (a
 * lost key would shift every later field).  Lifecycle and private reducers are left out:
 * clients cannot call them.
 *
 * Special types are recognised by shape as the reference does: a one-field product named
 * __identity__ / __connection_id__ / __timestamp_micros_since_unix_epoch__ /
 * __time_duration_micros__, the sum {some, none} (option) and {Interval, Time} (ScheduleAt).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "cli_int.h"
#include "module/module.h"

/* ---------------------------------------------------------------- schema walking */

typedef enum special {
    SP_NONE,
    SP_IDENTITY,
    SP_CONNECTION_ID,
    SP_TIMESTAMP,
    SP_DURATION,
    SP_SCHEDULE_AT,
    SP_OPTION,
    SP_UNIT,
} special_t;

json_t *cli_schema_section(json_t *def, const char *name)
{
    json_t *s;
    size_t i;
    json_array_foreach(json_object_get(def, "sections"), i, s)
    {
        json_t *v = json_object_get(s, name);
        if (v)
            return v;
    }
    return NULL;
}

const char *cli_type_kind(json_t *at, json_t **payload)
{
    void *it = json_object_iter(at);
    if (!it) {
        *payload = NULL;
        return "";
    }
    *payload = json_object_iter_value(it);
    return json_object_iter_key(it);
}

/* An Option<T>'s "some", a product element's or sum variant's name ("" if none). */
const char *cli_elem_name(json_t *el)
{
    const char *s = json_string_value(json_object_get(json_object_get(el, "name"), "some"));
    return s ? s : "";
}

static special_t special_of(json_t *at)
{
    json_t *p;
    const char *k = cli_type_kind(at, &p);
    if (strcmp(k, "Product") == 0) {
        json_t *els = json_object_get(p, "elements");
        if (json_array_size(els) == 0)
            return SP_UNIT;
        if (json_array_size(els) != 1)
            return SP_NONE;
        const char *n = cli_elem_name(json_array_get(els, 0));
        if (strcmp(n, "__identity__") == 0)
            return SP_IDENTITY;
        if (strcmp(n, "__connection_id__") == 0)
            return SP_CONNECTION_ID;
        if (strcmp(n, "__timestamp_micros_since_unix_epoch__") == 0)
            return SP_TIMESTAMP;
        if (strcmp(n, "__time_duration_micros__") == 0)
            return SP_DURATION;
    } else if (strcmp(k, "Sum") == 0) {
        json_t *vs = json_object_get(p, "variants");
        if (json_array_size(vs) != 2)
            return SP_NONE;
        const char *a = cli_elem_name(json_array_get(vs, 0));
        const char *b = cli_elem_name(json_array_get(vs, 1));
        if (strcmp(a, "some") == 0 && strcmp(b, "none") == 0)
            return SP_OPTION;
        if (strcmp(a, "Interval") == 0 && strcmp(b, "Time") == 0)
            return SP_SCHEDULE_AT;
    }
    return SP_NONE;
}

/* The generator's state: the definition's parts and, per typespace slot, its name. */
typedef struct gen {
    json_t *def, *types, *tables, *reducers, *lifecycle, *explicit_names;
    bool snake; /* CaseConversionPolicy other than None: canonical names are snake_case */
    size_t ntypes;
    char **names;       /* [ntypes] identifier of a named slot (NULL: anonymous) */
    uint8_t *state;     /* [ntypes] 0 unvisited, 1 in progress, 2 emitted */
    bool *is_row;       /* [ntypes] a table's row type */
    const char *prefix; /* C identifiers' prefix */
    lc_buf_t out;
} gen_t;

/* s in case `to` as the reference converts it, lc_malloc'd; s itself when that leaves
 * nothing (a name such as "_"). */
static char *convert(const char *s, mod_case_t to)
{
    lc_buf_t b;
    lc_buf_init(&b);
    if (mod_name_convert_buf(&b, s, to) != 0 || b.len == 0) {
        b.len = 0;
        lc_buf_puts(&b, s);
    }
    lc_buf_terminate(&b);
    char *o = lc_malloc(b.len + 1);
    memcpy(o, b.oom ? "" : (const char *)b.data, b.oom ? 1 : b.len + 1);
    lc_buf_free(&b);
    return o;
}

/* "all_types" / "my-thing" → "AllTypes" / "MyThing": an identifier for a named type or a
 * reducer's parameters (never starting with a digit). */
static char *pascal(const char *s)
{
    char *p = convert(s, MOD_CASE_PASCAL);
    if (p[0] && !(p[0] >= '0' && p[0] <= '9'))
        return p;
    char *o = lc_malloc(strlen(p) + 2);
    o[0] = '_';
    strcpy(o + 1, p);
    lc_free(p);
    return o;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(lc_malloc(n), s, n);
}

/* The canonical (wire and SQL) name of a table (kind "Table") or reducer ("Function")
 * declared as src: its ExplicitNames entry, else src under the case policy. */
static char *canonical(gen_t *g, const char *kind, const char *src)
{
    json_t *e;
    size_t i;
    json_array_foreach(json_object_get(g->explicit_names, "entries"), i, e)
    {
        json_t *m = json_object_get(e, kind);
        const char *from = json_string_value(json_object_get(m, "source_name"));
        const char *to = json_string_value(json_object_get(m, "canonical_name"));
        if (from && to && strcmp(from, src) == 0)
            return dup_str(to);
    }
    return g->snake ? convert(src, MOD_CASE_SNAKE) : dup_str(src);
}

/* Whether two named elements of els meet in one camelCase key. */
static bool keys_clash(json_t *els)
{
    size_t n = json_array_size(els);
    char **k = lc_calloc(n + 1, sizeof *k);
    bool clash = false;
    for (size_t i = 0; i < n && !clash; i++) {
        const char *name = cli_elem_name(json_array_get(els, i));
        k[i] = *name ? convert(name, MOD_CASE_CAMEL) : NULL;
        for (size_t j = 0; j < i && k[i] && !clash; j++) clash = k[j] && strcmp(k[j], k[i]) == 0;
    }
    for (size_t i = 0; i < n; i++) lc_free(k[i]);
    lc_free(k);
    return clash;
}

/* The JavaScript key of element i of els (a product's elements or a reducer's params):
 * camelCase, unless two elements would share a key (then every element keeps its
 * declared name); "<unnamed><i>" for an unnamed one.  lc_malloc'd. */
static char *field_key(json_t *els, size_t i, const char *unnamed)
{
    const char *n = cli_elem_name(json_array_get(els, i));
    if (!*n) {
        char tmp[48];
        snprintf(tmp, sizeof tmp, "%s%zu", unnamed, i);
        return dup_str(tmp);
    }
    return keys_clash(els) ? dup_str(n) : convert(n, MOD_CASE_CAMEL);
}

static void gen_free(gen_t *g)
{
    for (size_t i = 0; i < g->ntypes; i++) lc_free(g->names[i]);
    lc_free(g->names);
    lc_free(g->state);
    lc_free(g->is_row);
    lc_buf_free(&g->out);
}

static int gen_init(gen_t *g, json_t *def)
{
    memset(g, 0, sizeof *g);
    lc_buf_init(&g->out);
    g->def = def;
    g->types = json_object_get(cli_schema_section(def, "Typespace"), "types");
    g->tables = cli_schema_section(def, "Tables");
    g->reducers = cli_schema_section(def, "Reducers");
    g->lifecycle = cli_schema_section(def, "LifeCycleReducers");
    g->explicit_names = cli_schema_section(def, "ExplicitNames");
    /* As the server decides (def_validate.c): a V10 definition without the section is
     * SnakeCase. */
    json_t *policy = cli_schema_section(def, "CaseConversionPolicy");
    g->snake = !json_object_get(policy, "None");
    if (!json_is_array(g->types))
        return -1;
    g->ntypes = json_array_size(g->types);
    g->names = lc_calloc(g->ntypes + 1, sizeof *g->names);
    g->state = lc_calloc(g->ntypes + 1, 1);
    g->is_row = lc_calloc(g->ntypes + 1, sizeof *g->is_row);
    json_t *t;
    size_t i;
    json_array_foreach(cli_schema_section(def, "Types"), i, t)
    {
        json_int_t ty = json_integer_value(json_object_get(t, "ty"));
        const char *n =
            json_string_value(json_object_get(json_object_get(t, "source_name"), "source_name"));
        if (n && ty >= 0 && (size_t)ty < g->ntypes && !g->names[ty])
            g->names[ty] = pascal(n);
    }
    json_array_foreach(g->tables, i, t)
    {
        json_int_t ty = json_integer_value(json_object_get(t, "product_type_ref"));
        if (ty >= 0 && (size_t)ty < g->ntypes)
            g->is_row[ty] = true;
    }
    return 0;
}

static bool is_lifecycle(gen_t *g, const char *reducer)
{
    json_t *l;
    size_t i;
    json_array_foreach(g->lifecycle, i, l)
    {
        const char *f = json_string_value(json_object_get(l, "function_name"));
        if (f && strcmp(f, reducer) == 0)
            return true;
    }
    return false;
}

static bool client_callable(gen_t *g, json_t *r)
{
    const char *name = json_string_value(json_object_get(r, "source_name"));
    return name && json_object_get(json_object_get(r, "visibility"), "ClientCallable") &&
           !is_lifecycle(g, name);
}

static json_t *table_row(gen_t *g, json_t *table)
{
    return json_array_get(g->types,
                          (size_t)json_integer_value(json_object_get(table, "product_type_ref")));
}

/* The name of column col of a table ("" if out of range). */
static const char *column_name(gen_t *g, json_t *table, json_int_t col)
{
    json_t *p;
    cli_type_kind(table_row(g, table), &p);
    return cli_elem_name(json_array_get(json_object_get(p, "elements"), (size_t)col));
}

/* ---------------------------------------------------------------- TypeScript */

static const char *const ts_prims[][2] = {
    {"Bool", "bool"}, {"I8", "i8"},     {"U8", "u8"},     {"I16", "i16"},
    {"U16", "u16"},   {"I32", "i32"},   {"U32", "u32"},   {"I64", "i64"},
    {"U64", "u64"},   {"I128", "i128"}, {"U128", "u128"}, {"I256", "i256"},
    {"U256", "u256"}, {"F32", "f32"},   {"F64", "f64"},   {"String", "string"},
};

static void ts_type(gen_t *g, json_t *at);

/* "{ a: T, b: U }" for a product's elements or a reducer's params (camel: camelCase keys)
 * or a sum's variants (their declared names). */
static void ts_fields(gen_t *g, json_t *els, const char *unnamed, bool camel)
{
    json_t *el;
    size_t i;
    lc_buf_puts(&g->out, "{");
    json_array_foreach(els, i, el)
    {
        const char *n = cli_elem_name(el);
        char *k = camel || !*n ? field_key(els, i, unnamed) : dup_str(n);
        lc_buf_printf(&g->out, "%s%s: ", i ? ", " : " ", k);
        lc_free(k);
        ts_type(g, json_object_get(el, "algebraic_type"));
    }
    lc_buf_puts(&g->out, i ? " }" : "}");
}

static void ts_type(gen_t *g, json_t *at)
{
    json_t *p;
    const char *k = cli_type_kind(at, &p);
    for (size_t i = 0; i < sizeof ts_prims / sizeof ts_prims[0]; i++)
        if (strcmp(k, ts_prims[i][0]) == 0) {
            lc_buf_printf(&g->out, "__t.%s()", ts_prims[i][1]);
            return;
        }
    switch (special_of(at)) {
    case SP_IDENTITY:
        lc_buf_puts(&g->out, "__t.identity()");
        return;
    case SP_CONNECTION_ID:
        lc_buf_puts(&g->out, "__t.connectionId()");
        return;
    case SP_TIMESTAMP:
        lc_buf_puts(&g->out, "__t.timestamp()");
        return;
    case SP_DURATION:
        lc_buf_puts(&g->out, "__t.timeDuration()");
        return;
    case SP_SCHEDULE_AT:
        lc_buf_puts(&g->out, "__t.scheduleAt()");
        return;
    case SP_UNIT:
        lc_buf_puts(&g->out, "__t.unit()");
        return;
    case SP_OPTION:
        lc_buf_puts(&g->out, "__t.option(");
        ts_type(g, json_object_get(json_array_get(json_object_get(p, "variants"), 0),
                                   "algebraic_type"));
        lc_buf_puts(&g->out, ")");
        return;
    case SP_NONE:
        break;
    }
    json_t *ep;
    if (strcmp(k, "Array") == 0 && strcmp(cli_type_kind(p, &ep), "U8") == 0) {
        lc_buf_puts(&g->out, "__t.byteArray()"); /* a Uint8Array, as the reference has it */
    } else if (strcmp(k, "Array") == 0) {
        lc_buf_puts(&g->out, "__t.array(");
        ts_type(g, p);
        lc_buf_puts(&g->out, ")");
    } else if (strcmp(k, "Ref") == 0) {
        json_int_t r = json_integer_value(p);
        if (r >= 0 && (size_t)r < g->ntypes && g->names[r])
            lc_buf_printf(&g->out, "%s%s", g->names[r], g->is_row[r] ? "Row" : "");
        else
            ts_type(g, json_array_get(g->types, (size_t)r));
    } else if (strcmp(k, "Product") == 0) {
        lc_buf_puts(&g->out, "__t.object('Anonymous', ");
        ts_fields(g, json_object_get(p, "elements"), "field", true);
        lc_buf_puts(&g->out, ")");
    } else if (strcmp(k, "Sum") == 0) {
        lc_buf_puts(&g->out, "__t.enum('Anonymous', ");
        ts_fields(g, json_object_get(p, "variants"), "variant", false);
        lc_buf_puts(&g->out, ")");
    } else {
        lc_buf_puts(&g->out, "__t.unit() /* unknown type */");
    }
}

/* Collect the Refs inside at, depth first, so that each named type is defined
 * before its first use; a cycle is cut (the later one gets t.lazy). */
static void ts_named(gen_t *g, size_t ty);

static void ts_deps(gen_t *g, json_t *at)
{
    if (json_is_array(at)) {
        json_t *x;
        size_t i;
        json_array_foreach(at, i, x) ts_deps(g, x);
        return;
    }
    if (!json_is_object(at))
        return;
    json_t *r = json_object_get(at, "Ref");
    if (json_is_integer(r) && json_integer_value(r) >= 0 &&
        (size_t)json_integer_value(r) < g->ntypes) {
        ts_named(g, (size_t)json_integer_value(r));
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(at, k, v) ts_deps(g, v);
}

static json_t *table_of_type(gen_t *g, size_t ty)
{
    json_t *t;
    size_t i;
    json_array_foreach(g->tables, i, t) if ((size_t)json_integer_value(json_object_get(
                                                t, "product_type_ref")) == ty) return t;
    return NULL;
}

static bool col_in(json_t *cols, size_t col)
{
    json_t *c;
    size_t i;
    json_array_foreach(cols, i, c) if ((size_t)json_integer_value(c) == col) return true;
    return false;
}

/* ".primaryKey()" / ".unique()" / ".autoInc()" on column col of table. */
static void ts_column_attrs(gen_t *g, json_t *table, size_t col)
{
    json_t *pk = json_object_get(table, "primary_key"), *c;
    size_t i;
    bool is_pk = json_array_size(pk) == 1 && col_in(pk, col);
    if (is_pk)
        lc_buf_puts(&g->out, ".primaryKey()");
    json_array_foreach(json_object_get(table, "constraints"), i, c)
    {
        json_t *cols =
            json_object_get(json_object_get(json_object_get(c, "data"), "Unique"), "columns");
        if (!is_pk && json_array_size(cols) == 1 && col_in(cols, col))
            lc_buf_puts(&g->out, ".unique()");
    }
    json_array_foreach(json_object_get(table, "sequences"), i,
                       c) if ((size_t)json_integer_value(json_object_get(c, "column")) == col)
        lc_buf_puts(&g->out, ".autoInc()");
}

/* A column's canonical name under the case policy, lc_malloc'd. */
static char *column_canonical(gen_t *g, const char *declared)
{
    return g->snake ? convert(declared, MOD_CASE_SNAKE) : dup_str(declared);
}

/* Each column keyed by its camelCase name, with .name('<canonical>') where the two differ:
 * the SDK builds rows with the keys and quotes the canonical name in SQL. */
static void ts_row(gen_t *g, size_t ty, json_t *table)
{
    json_t *p, *el;
    size_t i;
    cli_type_kind(json_array_get(g->types, ty), &p);
    json_t *els = json_object_get(p, "elements");
    lc_buf_printf(&g->out, "export const %sRow = __t.row({\n", g->names[ty]);
    json_array_foreach(els, i, el)
    {
        char *key = field_key(els, i, "field");
        char *wire = column_canonical(g, cli_elem_name(el));
        lc_buf_printf(&g->out, "  %s: ", key);
        ts_type(g, json_object_get(el, "algebraic_type"));
        ts_column_attrs(g, table, i);
        if (strcmp(key, wire) != 0)
            lc_buf_printf(&g->out, ".name('%s')", wire);
        lc_buf_puts(&g->out, ",\n");
        lc_free(key);
        lc_free(wire);
    }
    lc_buf_puts(&g->out, "});\n\n");
}

static void ts_named(gen_t *g, size_t ty)
{
    if (g->state[ty])
        return;
    g->state[ty] = 1;
    json_t *at = json_array_get(g->types, ty), *p;
    ts_deps(g, at);
    g->state[ty] = 2;
    if (!g->names[ty])
        return; /* anonymous: written inline where used */
    json_t *table = g->is_row[ty] ? table_of_type(g, ty) : NULL;
    if (table) {
        ts_row(g, ty, table);
        return;
    }
    const char *k = cli_type_kind(at, &p);
    bool sum = strcmp(k, "Sum") == 0;
    if ((!sum && strcmp(k, "Product") != 0) || special_of(at) != SP_NONE) {
        lc_buf_printf(&g->out, "export const %s = ", g->names[ty]);
        ts_type(g, at);
        lc_buf_puts(&g->out, ";\n\n");
        return;
    }
    lc_buf_printf(&g->out, "export const %s = __t.%s('%s', ", g->names[ty], sum ? "enum" : "object",
                  g->names[ty]);
    ts_fields(g, json_object_get(p, sum ? "variants" : "elements"), sum ? "variant" : "field",
              !sum);
    lc_buf_puts(&g->out, ");\n\n");
}

static const char ts_header[] =
    "// Module bindings for database '%s', generated by `lightcone generate --lang typescript`.\n"
    "// Do not edit: run the command again after changing the module.\n"
    "//\n"
    "// Plain JavaScript calling the public API of the npm `spacetimedb` SDK (2.8.x) the way\n"
    "// `spacetime generate` output does.  Accessors are camelCase as there: conn.db.<table>,\n"
    "// row.<column>, conn.reducers.<reducer>({ ...params }); the database keeps its names.\n"
    "import {\n"
    "  DbConnectionBuilder as __DbConnectionBuilder,\n"
    "  DbConnectionImpl as __DbConnectionImpl,\n"
    "  SubscriptionBuilderImpl as __SubscriptionBuilderImpl,\n"
    "  convertToAccessorMap as __convertToAccessorMap,\n"
    "  makeQueryBuilder as __makeQueryBuilder,\n"
    "  procedures as __procedures,\n"
    "  reducerSchema as __reducerSchema,\n"
    "  reducers as __reducers,\n"
    "  schema as __schema,\n"
    "  t as __t,\n"
    "  table as __table,\n"
    "} from 'spacetimedb';\n\n";

static const char ts_footer[] =
    "const proceduresSchema = __procedures();\n\n"
    "const REMOTE_MODULE = {\n"
    "  versionInfo: {\n"
    "    cliVersion: '2.8.3',\n"
    "  },\n"
    "  tables: tablesSchema.schemaType.tables,\n"
    "  reducers: reducersSchema.reducersType.reducers,\n"
    "  ...proceduresSchema,\n"
    "};\n\n"
    "export const tables = __makeQueryBuilder(tablesSchema.schemaType);\n"
    "export const reducers = __convertToAccessorMap(reducersSchema.reducersType.reducers);\n"
    "export const procedures = __convertToAccessorMap(proceduresSchema.procedures);\n\n"
    "export class SubscriptionBuilder extends __SubscriptionBuilderImpl {}\n\n"
    "export class DbConnectionBuilder extends __DbConnectionBuilder {}\n\n"
    "export class DbConnection extends __DbConnectionImpl {\n"
    "  constructor(config) {\n"
    "    super(config);\n"
    "    for (const [alias, accessor] of Object.entries(TABLE_ALIASES))\n"
    "      if (!(alias in this.db))\n"
    "        Object.defineProperty(this.db, alias, { get: () => this.db[accessor] });\n"
    "  }\n\n"
    "  static builder = () => {\n"
    "    return new DbConnectionBuilder(REMOTE_MODULE, config => new DbConnection(config));\n"
    "  };\n\n"
    "  subscriptionBuilder = () => {\n"
    "    return new SubscriptionBuilder(this);\n"
    "  };\n"
    "}\n";

/* "['a', 'b']": the row keys of columns cols of table. */
static void ts_column_list(gen_t *g, json_t *table, json_t *cols)
{
    json_t *c, *p;
    size_t i;
    cli_type_kind(table_row(g, table), &p);
    json_t *els = json_object_get(p, "elements");
    lc_buf_puts(&g->out, "[");
    json_array_foreach(cols, i, c)
    {
        json_int_t col = json_integer_value(c);
        char *key = col >= 0 && (size_t)col < json_array_size(els)
                        ? field_key(els, (size_t)col, "field")
                        : dup_str("");
        lc_buf_printf(&g->out, "%s'%s'", i ? ", " : "", key);
        lc_free(key);
    }
    lc_buf_puts(&g->out, "]");
}

/* The module's index accessor as declared becomes conn.db.<table>.<accessor>.  The client
 * cache scans whatever the algorithm, and the SDK (2.8) refuses any but btree there, so
 * every index is declared btree as the reference does. */
static void ts_index(gen_t *g, json_t *table, json_t *ix)
{
    const char *name =
        json_string_value(json_object_get(json_object_get(ix, "source_name"), "some"));
    const char *acc =
        json_string_value(json_object_get(json_object_get(ix, "accessor_name"), "some"));
    json_t *alg;
    cli_type_kind(json_object_get(ix, "algorithm"), &alg);
    json_t *cols = json_object_get(alg, "columns");
    json_t *one = NULL;
    if (!cols) { /* Direct { column } */
        one = json_pack("[O]", json_object_get(alg, "column"));
        cols = one;
    }
    lc_buf_printf(&g->out, "        { accessor: '%s', name: '%s', algorithm: 'btree', columns: ",
                  acc ? acc : (name ? name : ""), name ? name : "");
    ts_column_list(g, table, cols);
    lc_buf_puts(&g->out, " },\n");
    json_decref(one);
}

static void ts_constraint(gen_t *g, json_t *table, const char *tname, json_t *c)
{
    json_t *cols =
        json_object_get(json_object_get(json_object_get(c, "data"), "Unique"), "columns");
    if (!cols)
        return;
    const char *name =
        json_string_value(json_object_get(json_object_get(c, "source_name"), "some"));
    lc_buf_puts(&g->out, "        { name: '");
    if (name) {
        lc_buf_puts(&g->out, name);
    } else { /* the name the server gives it: <table>_<columns>_key */
        json_t *x;
        size_t i;
        lc_buf_puts(&g->out, tname);
        json_array_foreach(cols, i, x)
        {
            char *col = column_canonical(g, column_name(g, table, json_integer_value(x)));
            lc_buf_printf(&g->out, "_%s", col);
            lc_free(col);
        }
        lc_buf_puts(&g->out, "_key");
    }
    lc_buf_puts(&g->out, "', constraint: 'unique', columns: ");
    ts_column_list(g, table, cols);
    lc_buf_puts(&g->out, " },\n");
}

/* One __table per table, keyed by its camelCase accessor; then TABLE_ALIASES, the declared
 * names that differ from it, which DbConnection adds to conn.db as deprecated aliases. */
static void ts_tables(gen_t *g)
{
    json_t *t, *x;
    size_t i, j;
    lc_buf_t aliases;
    lc_buf_init(&aliases);
    lc_buf_puts(&g->out, "const tablesSchema = __schema({\n");
    json_array_foreach(g->tables, i, t)
    {
        const char *src = json_string_value(json_object_get(t, "source_name"));
        size_t ty = (size_t)json_integer_value(json_object_get(t, "product_type_ref"));
        if (!src || ty >= g->ntypes || !g->names[ty])
            continue;
        char *acc = convert(src, MOD_CASE_CAMEL), *name = canonical(g, "Table", src);
        lc_buf_printf(&g->out, "  %s: __table(\n    {\n      name: '%s',\n", acc, name);
        if (json_is_true(json_object_get(t, "is_event")))
            lc_buf_puts(&g->out, "      event: true,\n");
        lc_buf_puts(&g->out, "      indexes: [\n");
        json_array_foreach(json_object_get(t, "indexes"), j, x) ts_index(g, t, x);
        lc_buf_puts(&g->out, "      ],\n      constraints: [\n");
        json_array_foreach(json_object_get(t, "constraints"), j, x) ts_constraint(g, t, name, x);
        lc_buf_printf(&g->out, "      ],\n    },\n    %sRow\n  ),\n", g->names[ty]);
        if (strcmp(acc, src) != 0)
            lc_buf_printf(&aliases, "  %s: '%s',\n", src, acc);
        lc_free(acc);
        lc_free(name);
    }
    lc_buf_puts(&g->out, "});\n\n");
    lc_buf_puts(&g->out,
                "// The tables' declared names, kept on conn.db as deprecated aliases of the\n"
                "// camelCase accessors (a table my_table is conn.db.myTable; conn.db.my_table "
                "still works).\n"
                "const TABLE_ALIASES = {");
    if (aliases.len) {
        lc_buf_puts(&g->out, "\n");
        lc_buf_append(&g->out, aliases.data, aliases.len);
    }
    lc_buf_puts(&g->out, "};\n\n");
    lc_buf_free(&aliases);
}

static void ts_reducers(gen_t *g)
{
    json_t *r;
    size_t i;
    json_array_foreach(g->reducers, i, r)
    {
        if (!client_callable(g, r))
            continue;
        char *pn = pascal(json_string_value(json_object_get(r, "source_name")));
        lc_buf_printf(&g->out, "export const %sReducer = ", pn);
        ts_fields(g, json_object_get(json_object_get(r, "params"), "elements"), "arg", true);
        lc_buf_puts(&g->out, ";\n");
        lc_free(pn);
    }
    lc_buf_puts(&g->out, "\nconst reducersSchema = __reducers(");
    bool first = true;
    json_array_foreach(g->reducers, i, r)
    {
        if (!client_callable(g, r))
            continue;
        const char *n = json_string_value(json_object_get(r, "source_name"));
        char *pn = pascal(n), *wire = canonical(g, "Function", n);
        lc_buf_printf(&g->out, "%s\n  __reducerSchema('%s', %sReducer)", first ? "" : ",", wire,
                      pn);
        first = false;
        lc_free(pn);
        lc_free(wire);
    }
    lc_buf_puts(&g->out, first ? ");\n\n" : "\n);\n\n");
}

static void gen_typescript(gen_t *g, const char *db)
{
    lc_buf_printf(&g->out, ts_header, db);
    for (size_t i = 0; i < g->ntypes; i++) ts_named(g, i);
    ts_tables(g);
    ts_reducers(g);
    lc_buf_puts(&g->out, ts_footer);
}

/* ---------------------------------------------------------------- C */

static const char *const c_prims[][2] = {
    {"Bool", "bool"},     {"I8", "int8_t"},     {"U8", "uint8_t"},    {"I16", "int16_t"},
    {"U16", "uint16_t"},  {"I32", "int32_t"},   {"U32", "uint32_t"},  {"I64", "int64_t"},
    {"U64", "uint64_t"},  {"I128", "LCB_I128"}, {"U128", "LCB_U128"}, {"I256", "LCB_I256"},
    {"U256", "LCB_U256"}, {"F32", "float"},     {"F64", "double"},    {"String", "const char *"},
};

static void c_named(gen_t *g, size_t ty);

/* The C type of at, inline (anonymous products and sums become inline structs). */
static void c_type(gen_t *g, json_t *at, int depth)
{
    json_t *p;
    const char *k = cli_type_kind(at, &p);
    for (size_t i = 0; i < sizeof c_prims / sizeof c_prims[0]; i++)
        if (strcmp(k, c_prims[i][0]) == 0) {
            lc_buf_puts(&g->out, c_prims[i][1]);
            return;
        }
    switch (special_of(at)) {
    case SP_IDENTITY:
        lc_buf_puts(&g->out, "lcb_identity_t");
        return;
    case SP_CONNECTION_ID:
        lc_buf_puts(&g->out, "lcb_connection_id_t");
        return;
    case SP_TIMESTAMP:
        lc_buf_puts(&g->out, "lcb_timestamp_t");
        return;
    case SP_DURATION:
        lc_buf_puts(&g->out, "lcb_time_duration_t");
        return;
    case SP_SCHEDULE_AT:
        lc_buf_puts(&g->out, "lcb_schedule_at_t");
        return;
    case SP_UNIT:
        lc_buf_puts(&g->out, "lcb_unit_t");
        return;
    case SP_OPTION:
        lc_buf_puts(&g->out, "struct { bool some; ");
        c_type(g,
               json_object_get(json_array_get(json_object_get(p, "variants"), 0), "algebraic_type"),
               depth + 1);
        lc_buf_puts(&g->out, " value; }");
        return;
    case SP_NONE:
        break;
    }
    if (strcmp(k, "Array") == 0) {
        lc_buf_puts(&g->out, "struct { ");
        c_type(g, p, depth + 1);
        lc_buf_puts(&g->out, " *items; uint32_t len; }");
    } else if (strcmp(k, "Ref") == 0) {
        json_int_t r = json_integer_value(p);
        if (r >= 0 && (size_t)r < g->ntypes && g->names[r])
            lc_buf_printf(&g->out, "%s_%s_t", g->prefix, g->names[r]);
        else
            c_type(g, json_array_get(g->types, (size_t)r), depth + 1);
    } else if (strcmp(k, "Product") == 0 || strcmp(k, "Sum") == 0) {
        bool sum = k[0] == 'S';
        json_t *el;
        size_t i;
        lc_buf_puts(&g->out, sum ? "struct { uint8_t tag; union { " : "struct { ");
        json_array_foreach(json_object_get(p, sum ? "variants" : "elements"), i, el)
        {
            c_type(g, json_object_get(el, "algebraic_type"), depth + 1);
            const char *n = cli_elem_name(el);
            if (*n)
                lc_buf_printf(&g->out, " %s; ", n);
            else
                lc_buf_printf(&g->out, " f%zu; ", i);
        }
        lc_buf_puts(&g->out, sum ? "} value; }" : "}");
    } else {
        lc_buf_puts(&g->out, "lcb_unit_t");
    }
}

static void c_deps(gen_t *g, json_t *at)
{
    if (json_is_array(at)) {
        json_t *x;
        size_t i;
        json_array_foreach(at, i, x) c_deps(g, x);
        return;
    }
    if (!json_is_object(at))
        return;
    json_t *r = json_object_get(at, "Ref");
    if (json_is_integer(r) && json_integer_value(r) >= 0 &&
        (size_t)json_integer_value(r) < g->ntypes) {
        c_named(g, (size_t)json_integer_value(r));
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(at, k, v) c_deps(g, v);
}

static void c_named(gen_t *g, size_t ty)
{
    if (g->state[ty])
        return;
    g->state[ty] = 1;
    json_t *at = json_array_get(g->types, ty), *p, *el;
    c_deps(g, at);
    g->state[ty] = 2;
    if (!g->names[ty])
        return;
    const char *k = cli_type_kind(at, &p);
    bool sum = strcmp(k, "Sum") == 0;
    size_t i;
    if (sum && special_of(at) == SP_NONE) {
        json_array_foreach(json_object_get(p, "variants"), i, el)
        {
            char *vn = pascal(cli_elem_name(el));
            lc_buf_printf(&g->out, "#define %s_%s_%s %zu\n", g->prefix, g->names[ty], vn, i);
            lc_free(vn);
        }
    }
    lc_buf_printf(&g->out, "/* %s %s */\ntypedef ", g->is_row[ty] ? "table row" : "type",
                  g->names[ty]);
    if ((sum || strcmp(k, "Product") == 0) && special_of(at) == SP_NONE) {
        lc_buf_printf(&g->out, "struct %s_%s {\n%s", g->prefix, g->names[ty],
                      sum ? "    uint8_t tag; /* the variant: the constants above */\n    union {\n"
                          : "");
        json_array_foreach(json_object_get(p, sum ? "variants" : "elements"), i, el)
        {
            lc_buf_puts(&g->out, sum ? "        " : "    ");
            c_type(g, json_object_get(el, "algebraic_type"), 1);
            const char *n = cli_elem_name(el);
            if (*n)
                lc_buf_printf(&g->out, " %s;\n", n);
            else
                lc_buf_printf(&g->out, " f%zu;\n", i);
        }
        lc_buf_printf(&g->out, "%s}", sum ? "    } value;\n" : "");
    } else {
        c_type(g, at, 0);
    }
    lc_buf_printf(&g->out, " %s_%s_t;\n\n", g->prefix, g->names[ty]);
}

static const char c_header[] =
    "/*\n"
    " * Bindings for database '%s', generated by `lightcone generate --lang c`.\n"
    " * Do not edit: run the command again after changing the module.\n"
    " *\n"
    " * One struct per table row and per type the module defines (a sum type is a tag and a\n"
    " * union; the tag's values are the #defines before it), and the names of tables and\n"
    " * reducers.  Strings are NUL-terminated; arrays are {items, len}; 128- and 256-bit\n"
    " * integers are little-endian byte arrays, as in BSATN.\n"
    " */\n"
    "#ifndef %s_BINDINGS_H\n#define %s_BINDINGS_H\n\n"
    "#include <stdbool.h>\n#include <stdint.h>\n\n"
    "#ifndef LCB_COMMON_TYPES\n#define LCB_COMMON_TYPES\n"
    "typedef struct { uint8_t bytes[16]; } LCB_U128;\n"
    "typedef struct { uint8_t bytes[16]; } LCB_I128;\n"
    "typedef struct { uint8_t bytes[32]; } LCB_U256;\n"
    "typedef struct { uint8_t bytes[32]; } LCB_I256;\n"
    "typedef struct { uint8_t unused; } lcb_unit_t;\n"
    "typedef struct { uint8_t bytes[32]; } lcb_identity_t;\n"
    "typedef struct { uint8_t bytes[16]; } lcb_connection_id_t;\n"
    "typedef struct { int64_t micros_since_unix_epoch; } lcb_timestamp_t;\n"
    "typedef struct { int64_t micros; } lcb_time_duration_t;\n"
    "#define LCB_SCHEDULE_AT_INTERVAL 0\n#define LCB_SCHEDULE_AT_TIME 1\n"
    "typedef struct { uint8_t tag; union { lcb_time_duration_t interval; lcb_timestamp_t time; "
    "} value; } lcb_schedule_at_t;\n"
    "#endif\n\n";

static void c_upper(lc_buf_t *b, const char *s)
{
    for (; *s; s++)
        lc_buf_putc(b, (uint8_t)(*s >= 'a' && *s <= 'z'                                   ? *s - 32
                                 : ((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')) ? *s
                                                                                          : '_'));
}

static void gen_c(gen_t *g, const char *db)
{
    lc_buf_t up;
    lc_buf_init(&up);
    c_upper(&up, g->prefix);
    lc_buf_terminate(&up);
    const char *U = (const char *)up.data;
    lc_buf_printf(&g->out, c_header, db, U, U);
    for (size_t i = 0; i < g->ntypes; i++) c_named(g, i);
    json_t *x;
    size_t i;
    lc_buf_puts(&g->out, "/* Tables: the names to subscribe to (SELECT * FROM <name>). */\n");
    json_array_foreach(g->tables, i, x)
    {
        const char *n = json_string_value(json_object_get(x, "source_name"));
        lc_buf_printf(&g->out, "#define %s_TABLE_", U);
        c_upper(&g->out, n ? n : "");
        lc_buf_printf(&g->out, " \"%s\"\n", n ? n : "");
    }
    lc_buf_puts(&g->out, "\n/* Reducers a client may call, and their arguments in order. */\n");
    json_array_foreach(g->reducers, i, x)
    {
        if (!client_callable(g, x))
            continue;
        const char *n = json_string_value(json_object_get(x, "source_name"));
        lc_buf_printf(&g->out, "#define %s_REDUCER_", U);
        c_upper(&g->out, n);
        lc_buf_printf(&g->out, " \"%s\"\ntypedef struct %s_%s_args {\n", n, g->prefix, n);
        json_t *el;
        size_t j;
        json_array_foreach(json_object_get(json_object_get(x, "params"), "elements"), j, el)
        {
            lc_buf_puts(&g->out, "    ");
            c_type(g, json_object_get(el, "algebraic_type"), 1);
            const char *pn = cli_elem_name(el);
            if (*pn)
                lc_buf_printf(&g->out, " %s;\n", pn);
            else
                lc_buf_printf(&g->out, " arg%zu;\n", j);
        }
        if (j == 0)
            lc_buf_puts(&g->out, "    uint8_t unused;\n");
        lc_buf_printf(&g->out, "} %s_%s_args_t;\n", g->prefix, n);
    }
    lc_buf_printf(&g->out, "\n#endif /* %s_BINDINGS_H */\n", U);
    lc_buf_free(&up);
}

/* ---------------------------------------------------------------- command */

const char cli_generate_summary[] = "Generate client bindings for a database's module";
const char cli_generate_usage[] =
    "  NAME                 the database whose module to describe\n"
    "  -l, --lang LANG      typescript (index.mjs for the npm spacetimedb SDK) or c (a header)\n"
    "  -o, --out-dir DIR    where to write (created if missing; default .)\n"
    "  -b, --bin-path FILE  describe the compiled module FILE.wasm here, without a server;\n"
    "                       NAME (default: FILE's base name) then only names the output\n"
    "  --schema-file FILE   read the module definition (GET .../schema?version=10) from FILE\n"
    "                       instead of asking the server; NAME then only names the output\n"
    "  -s, --server SERVER  a saved server's name or a URL (default: the default server)\n";

typedef struct gen_opts {
    const char *lang, *out_dir, *schema_file, *bin_path;
} gen_opts_t;

static int gen_opt(void *arg, int opt, const char *val)
{
    gen_opts_t *o = arg;
    if (opt == 'l')
        o->lang = val;
    else if (opt == 'o')
        o->out_dir = val;
    else if (opt == 'F')
        o->schema_file = val;
    else if (opt == 'b')
        o->bin_path = val;
    return 0;
}

int cli_fetch_schema(cli_ctx_t *ctx, const char *name, json_t **out)
{
    lc_buf_t path;
    lc_buf_init(&path);
    lc_buf_puts(&path, "/v1/database/");
    cli_http_escape(&path, name);
    lc_buf_puts(&path, "/schema?version=10");
    lc_buf_terminate(&path);
    cli_http_resp_t r;
    int rc = cli_ctx_request(ctx, "GET", path.oom ? "/" : (const char *)path.data, false, NULL,
                             NULL, 0, NULL, NULL, &r);
    *out = NULL;
    if (rc == CLI_EXIT_OK && !(*out = json_loads(r.body, 0, NULL))) {
        cli_errorf("unexpected answer from the server: %.200s", r.body);
        rc = CLI_EXIT_FAILURE;
    }
    cli_http_resp_free(&r);
    lc_buf_free(&path);
    return rc;
}

int cli_mkdir_p(const char *dir)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
        return -1;
    for (char *q = tmp + 1; *q; q++)
        if (*q == '/') {
            *q = 0;
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
                return -1;
            *q = '/';
        }
    return mkdir(tmp, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

uint8_t *cli_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    lc_buf_t b;
    lc_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) lc_buf_append(&b, chunk, n);
    lc_buf_terminate(&b); /* an empty file is still a buffer, not NULL */
    int saved = ferror(f) ? EIO : b.oom ? ENOMEM : 0;
    fclose(f);
    if (saved) {
        lc_buf_free(&b);
        errno = saved;
        return NULL;
    }
    return lc_buf_take(&b, len);
}

static int write_output(const char *dir, const char *file, lc_buf_t *b)
{
    char path[4352];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = cli_mkdir_p(dir) == 0 ? fopen(path, "w") : NULL;
    if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
        cli_errorf("cannot write %s: %s", path, strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    printf("wrote %s\n", path);
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- --bin-path
 *
 * The definition of a local module, as the server would answer GET .../schema?version=10
 * once it were published: the same engine compiles the wasm (wasm2c + cc), the same host
 * instantiates it and runs __describe_module__ and validates what it wrote (mod_host_create),
 * and the same encoder turns the bytes into JSON (mod_def_raw_json).
 *
 * Compiled modules are kept in a per-user cache, $XDG_CACHE_HOME/lightcone/wasm-cache
 * (default ~/.cache/lightcone/wasm-cache; without a home, the directory the server uses for
 * --in-memory): compiling takes seconds, and a second generate of the same module — the
 * usual edit, build, generate loop — finds it by its hash. */

static void wasm_cache_dir(char *dir, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(dir, cap, "%s/lightcone/wasm-cache", xdg);
    else if (home && *home)
        snprintf(dir, cap, "%s/.cache/lightcone/wasm-cache", home);
    else
        mod_abi_tmp_cache_dir(dir, cap);
}

/* Run the module's __describe_module__ and encode the definition as the schema route does. */
static int describe_wasm(const uint8_t *wasm, size_t len, lc_buf_t *json, int *version,
                         lc_err_t *err)
{
    char cache[4200];
    wasm_cache_dir(cache, sizeof cache);
    if (cli_mkdir_p(cache) != 0)
        return lc_err_set(err, LC_EIO, "cannot create the cache directory %s: %s", cache,
                          strerror(errno));
    wasm_engine_t *engine = NULL;
    int rc = mod_abi_engine_new(cache, &engine, err);
    if (rc)
        return rc;
    /* Describing runs the module's initializers: bound them as a reducer call would be. */
    mod_host_config_t hc = {.engine = engine, .limits = {.time_ms = 10000}};
    mod_host_t *host = NULL;
    rc = mod_host_create(&hc, wasm, len, NULL, NULL, &host, err);
    if (rc == LC_OK) {
        size_t n;
        const uint8_t *def = mod_host_def_bytes(host, &n);
        rc = mod_def_raw_json(def, n, json, version, err);
    }
    mod_host_free(host);
    wasm_engine_free(engine);
    return rc;
}

/* --bin-path FILE: the module definition of a local .wasm into *out; an exit code. */
static int schema_from_wasm(const char *path, json_t **out)
{
    uint8_t *wasm = NULL;
    size_t len = 0;
    *out = NULL;
    if (!(wasm = cli_read_file(path, &len))) {
        cli_errorf("cannot read %s: %s", path, strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    int rc = CLI_EXIT_FAILURE;
    lc_buf_t json;
    lc_buf_init(&json);
    lc_err_t err;
    int version = 0;
    if (len < 4 || memcmp(wasm, "\0asm", 4) != 0)
        cli_errorf("%s is not a WebAssembly module (build one with `lightcone build`)", path);
    else if (describe_wasm(wasm, len, &json, &version, &err) != LC_OK)
        cli_errorf("%s: %s", path, err.msg);
    else if (version != MOD_DEF_V10)
        cli_errorf("%s describes itself with a version %d definition; generate reads version 10",
                   path, version);
    else if (!(*out = json_loadb((const char *)json.data, json.len, 0, NULL)))
        cli_errorf("%s", "out of memory");
    else
        rc = CLI_EXIT_OK;
    lc_buf_free(&json);
    lc_free(wasm);
    return rc;
}

/* The output's name for --bin-path without NAME: the file's base name without ".wasm". */
static void name_from_path(const char *path, char *name, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".wasm") == 0)
        n -= 5;
    snprintf(name, cap, "%.*s", (int)(n < cap ? n : cap - 1), base);
}

/* Generate into opts->out_dir from def; returns an exit code. */
static int generate(const gen_opts_t *o, const char *name, json_t *def)
{
    gen_t g;
    if (gen_init(&g, def) != 0) {
        gen_free(&g);
        cli_errorf("%s", "the module definition has no typespace (is it a v10 definition?)");
        return CLI_EXIT_FAILURE;
    }
    char prefix[128], file[160];
    size_t n = 0;
    for (const char *s = name; *s && n + 1 < sizeof prefix; s++) {
        bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                  (*s >= '0' && *s <= '9' && n > 0);
        prefix[n++] = ok ? *s : '_';
    }
    prefix[n] = 0;
    g.prefix = prefix;
    bool ts = strcmp(o->lang, "c") != 0;
    if (ts) {
        gen_typescript(&g, name);
        snprintf(file, sizeof file, "index.mjs");
    } else {
        gen_c(&g, name);
        snprintf(file, sizeof file, "%s_bindings.h", prefix);
    }
    int rc = g.out.oom ? CLI_EXIT_FAILURE : write_output(o->out_dir, file, &g.out);
    gen_free(&g);
    return rc;
}

int cli_cmd_generate(const cli_command_t *cmd, int argc, char **argv)
{
    static const struct option extra[] = {
        {"lang", required_argument, NULL, 'l'},
        {"out-dir", required_argument, NULL, 'o'},
        {"schema-file", required_argument, NULL, 'F'},
        {"bin-path", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    gen_opts_t o = {"typescript", ".", NULL, NULL};
    cli_opts_t co = {0};
    int rc = cli_parse(cmd, argc, argv, "l:o:b:", extra, gen_opt, &o, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (strcmp(o.lang, "typescript") != 0 && strcmp(o.lang, "ts") != 0 && strcmp(o.lang, "c") != 0)
        return cli_usage_error(cmd, "--lang: expected typescript or c, got '%s'", o.lang);
    if (o.bin_path && o.schema_file)
        return cli_usage_error(cmd, "%s", "--bin-path and --schema-file exclude each other");
    char base[256];
    if (o.bin_path && argc - optind == 0) /* NAME defaults to the file's base name */
        name_from_path(o.bin_path, base, sizeof base);
    else if (argc - optind != 1)
        return cli_usage_error(cmd, "%s",
                               argc - optind < 1 ? "missing the database name"
                                                 : "expected one database name");
    const char *name = argc - optind == 1 ? argv[optind] : base;
    json_t *def = NULL;
    if (o.bin_path) {
        if ((rc = schema_from_wasm(o.bin_path, &def)))
            return rc;
    } else if (o.schema_file) {
        json_error_t je;
        if (!(def = json_load_file(o.schema_file, 0, &je))) {
            cli_errorf("cannot read %s: %s", o.schema_file, je.text);
            return CLI_EXIT_FAILURE;
        }
    } else {
        cli_ctx_t ctx = {0};
        if ((rc = cli_ctx_open(&ctx, cmd, co.server)))
            return rc;
        rc = cli_fetch_schema(&ctx, name, &def);
        cli_ctx_close(&ctx);
        if (rc)
            return rc;
    }
    rc = generate(&o, name, def);
    json_decref(def);
    return rc;
}
