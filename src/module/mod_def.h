/*
 * mod_def — a module's definition: what `__describe_module__` wrote
 * (RawModuleDef, ../shared/spec/module-abi.md §5), decoded, named,
 * validated, and compared with the previous definition of the same
 * database to plan an automatic migration (§6.5).  README.md beside this
 * file is the essay; this header is the surface.
 *
 * RawModuleDef as bytes (BSATN; module-abi.md §5.1, §5.13):
 *
 *   field            size   contents
 *   ---------------  -----  -------------------------------------------------
 *   version tag      1      0 = V8 (refused), 1 = V9, 2 = V10
 *   V10: sections    4+...  u32 count, then per section: u8 kind (0..14) and
 *                           its payload; the first section of each kind wins
 *   V9: fields       ...    typespace, tables, reducers, types, misc exports,
 *                           row-level security, in that order
 *   (trailing bytes after the value are ignored, as by the reference)
 *
 * Invariants of a mod_def_t returned by mod_def_decode():
 *   1. It passed every check of module-abi.md §5.12; a definition with any
 *      error is never returned, and the errors are reported all together.
 *   2. Every canonical and source name of tables, indexes, constraints,
 *      sequences, schedules and views is unique in one global namespace.
 *   3. typespace holds the canonical names (columns snake_case, sum variants
 *      camelCase under the SnakeCase policy); accessor_typespace the names as
 *      declared.  Both have the same shape, slot for slot.
 *   4. Every column type, parameter and return type is a valid "use": Refs
 *      into the typespace are in range and every Ref chain reaches a
 *      declared type or a structural type; values of them can be decoded.
 *   5. Reducer i is the module's ReducerId i (declaration order, §5.11).
 *
 * Ownership: a mod_def_t owns all its memory (one arena); every pointer in
 * it lives until mod_def_free().  It is immutable after decoding and may be
 * read from any thread.  A mod_migration_t borrows the two definitions it
 * compares and must be freed before them.
 */
#ifndef LC_MOD_DEF_H
#define LC_MOD_DEF_H

#include "base/base.h"
#include "sats/sats.h"
#include "store/store.h"

/* "No such item" in the uint32_t index fields below. */
#define MOD_NONE UINT32_MAX

typedef enum mod_def_version { MOD_DEF_V9 = 9, MOD_DEF_V10 = 10 } mod_def_version_t;

typedef enum mod_case_policy {
    MOD_CASE_POLICY_NONE = 0,  /* names as declared (V9 always) */
    MOD_CASE_POLICY_SNAKE = 1, /* the V10 default */
} mod_case_policy_t;

/* Tags of RawIndexAlgorithm. */
typedef enum mod_index_algo {
    MOD_INDEX_BTREE = 0,
    MOD_INDEX_HASH = 1,
    MOD_INDEX_DIRECT = 2,
} mod_index_algo_t;

typedef enum mod_lifecycle {
    MOD_LIFECYCLE_NONE = 0,
    MOD_LIFECYCLE_INIT,
    MOD_LIFECYCLE_CONNECT,
    MOD_LIFECYCLE_DISCONNECT,
} mod_lifecycle_t;

/* FunctionVisibility tags. */
typedef enum mod_visibility {
    MOD_VIS_PRIVATE = 0, /* only the owner may call it from outside */
    MOD_VIS_CLIENT = 1,  /* callable by any client */
} mod_visibility_t;

typedef enum mod_table_type { MOD_TABLE_SYSTEM = 0, MOD_TABLE_USER = 1 } mod_table_type_t;
typedef enum mod_access { MOD_ACCESS_PUBLIC = 0, MOD_ACCESS_PRIVATE = 1 } mod_access_t;

/* HTTP route methods: the Method tags, then Any. */
typedef enum mod_http_method {
    MOD_HTTP_GET = 0,
    MOD_HTTP_HEAD,
    MOD_HTTP_POST,
    MOD_HTTP_PUT,
    MOD_HTTP_DELETE,
    MOD_HTTP_CONNECT,
    MOD_HTTP_OPTIONS,
    MOD_HTTP_TRACE,
    MOD_HTTP_PATCH,
    MOD_HTTP_EXTENSION, /* extension_method holds its name */
    MOD_HTTP_ANY,
} mod_http_method_t;

/* ---------------------------------------------------------------- the definition */

typedef struct mod_type_def {
    const char *name;        /* canonical, scoped: "Scope::Name" (PascalCase) */
    const char *source_name; /* as declared, scoped */
    uint32_t ref;            /* its typespace slot */
    bool custom_ordering;
} mod_type_def_t;

typedef struct mod_column {
    const char *name;        /* canonical */
    const char *accessor;    /* as declared in module code */
    const sats_type_t *type; /* in the def's typespace; may be a Ref */
    /* The BSATN of the column's default value (exactly one value), used
     * when a migration adds the column; NULL when it has none. */
    const uint8_t *default_value;
    uint32_t default_len;
} mod_column_t;

typedef struct mod_index {
    uint32_t table;            /* its table's position in mod_def_t.tables */
    const char *name;          /* canonical: explicit, or {table}_{cols}_idx_{algo} */
    const char *source_name;   /* what module code passes to index_id_from_name */
    const char *accessor_name; /* NULL if none */
    mod_index_algo_t algo;
    uint16_t ncols;
    const uint16_t *cols;
} mod_index_t;

/* A unique constraint. */
typedef struct mod_constraint {
    const char *name; /* {table}_{cols}_key */
    uint16_t ncols;
    const uint16_t *cols;
} mod_constraint_t;

typedef struct mod_sequence {
    const char *name; /* given, or {table}_{col}_seq */
    uint16_t col;
    /* Defaults applied (module-abi.md §6.6): start 1, min 1, max i128::MAX. */
    __int128 start, min_value, max_value, increment;
    /* Which of start/min/max were declared (migrations compare declarations). */
    bool has_start, has_min, has_max;
} mod_sequence_t;

typedef struct mod_schedule {
    const char *name;          /* {table}_sched (V9: may be given) */
    const char *function_name; /* canonical name of the function it calls */
    uint32_t function;         /* index in reducers, or in procedures */
    bool is_procedure;
    uint16_t at_col; /* the ScheduleAt column */
    uint16_t id_col; /* the u64 primary key (scheduled_id) */
} mod_schedule_t;

typedef struct mod_table {
    uint32_t id;             /* position in mod_def_t.tables */
    const char *name;        /* canonical */
    const char *source_name; /* accessor name in module code */
    uint32_t type_ref;       /* product_type_ref */
    /* The row type: a Product (never a Ref) with canonical column names, in
     * the def's typespace; and the same product with declared names. */
    const sats_type_t *row_type;
    const sats_type_t *accessor_row_type;
    uint16_t ncols;
    const mod_column_t *cols;
    int32_t primary_key; /* column, or -1 */
    uint32_t nindexes;
    const mod_index_t *indexes;
    uint32_t nconstraints;
    const mod_constraint_t *constraints;
    uint32_t nsequences;
    const mod_sequence_t *sequences;
    const mod_schedule_t *schedule; /* NULL if not a schedule table */
    mod_table_type_t type;
    mod_access_t access;
    bool is_event;
} mod_table_t;

typedef struct mod_reducer {
    uint32_t id; /* ReducerId: declaration order */
    const char *name;
    const char *source_name;
    const sats_type_t *params; /* Product as declared (Refs into the typespace) */
    mod_visibility_t visibility;
    mod_lifecycle_t lifecycle;
} mod_reducer_t;

typedef struct mod_procedure {
    uint32_t id;
    const char *name;
    const char *source_name;
    const sats_type_t *params;
    const sats_type_t *return_type;
    mod_visibility_t visibility;
} mod_procedure_t;

typedef struct mod_view {
    uint32_t id;
    const char *name;
    const char *source_name;
    uint32_t fn_index; /* the fn_ptr passed to __call_view__ / __call_view_anon__ */
    bool is_public, is_anonymous;
    bool is_query; /* returns Product{__query__: Ref(T)} rather than Array/Option */
    const sats_type_t *params;
    const sats_type_t *return_type;
    uint32_t type_ref;   /* T: the row product of the view */
    int32_t primary_key; /* column of T, or -1 */
} mod_view_t;

typedef struct mod_http_handler {
    const char *name;
    const char *source_name;
} mod_http_handler_t;

typedef struct mod_http_route {
    uint32_t handler; /* index in http_handlers */
    mod_http_method_t method;
    const char *extension_method; /* MOD_HTTP_EXTENSION only */
    const char *path;
} mod_http_route_t;

typedef struct mod_def {
    mod_def_version_t version;
    mod_case_policy_t case_policy;
    sats_typespace_t typespace;          /* canonical names (invariant 3) */
    sats_typespace_t accessor_typespace; /* names as declared */
    uint32_t ntypes;
    const mod_type_def_t *types;
    uint32_t ntables;
    const mod_table_t *tables; /* declaration order */
    uint32_t nreducers;
    const mod_reducer_t *reducers;
    uint32_t nprocedures;
    const mod_procedure_t *procedures;
    uint32_t nviews;
    const mod_view_t *views;
    uint32_t nhttp_handlers;
    const mod_http_handler_t *http_handlers;
    uint32_t nhttp_routes;
    const mod_http_route_t *http_routes;
    uint32_t nrls;
    const char *const *rls; /* row-level-security SQL, as declared */
    /* The reducer for each mod_lifecycle_t role, or -1 ([0] is unused). */
    int32_t lifecycle[4];

    /* private */
    lc_arena_t arena;
    lc_map_t by_table, by_reducer, by_procedure, by_view, by_index;
} mod_def_t;

/* Decode the bytes __describe_module__ wrote, name and validate them.
 * Errors: LC_ECORRUPT "module definition does not decode: ..." (truncated
 * or malformed bytes); LC_EUNSUPPORTED (V8, submodules); LC_EINVAL
 * "module definition is invalid (N errors):" and one line per error, each
 * naming the table, column, reducer ... concerned (cut to fit lc_err_t;
 * mod_def_decode_report gives them all); LC_ENOMEM. */
int mod_def_decode(const uint8_t *bytes, size_t len, mod_def_t **out, lc_err_t *err);
/* The same; when validation fails, the complete error text (every line)
 * is also appended to report (which may be NULL). */
int mod_def_decode_report(const uint8_t *bytes, size_t len, mod_def_t **out, lc_buf_t *report,
                          lc_err_t *err);
void mod_def_free(mod_def_t *d);

/* Lookups; NULL when absent.  Tables and indexes match canonical or source
 * names; reducers, procedures and views match canonical names. */
const mod_table_t *mod_def_table(const mod_def_t *d, const char *name);
const mod_reducer_t *mod_def_reducer(const mod_def_t *d, const char *name);
const mod_procedure_t *mod_def_procedure(const mod_def_t *d, const char *name);
const mod_view_t *mod_def_view(const mod_def_t *d, const char *name);
/* The index and (if table is not NULL) its table. */
const mod_index_t *mod_def_index(const mod_def_t *d, const char *name, const mod_table_t **table);

/* The store definition of table table_index: canonical names, indexes,
 * constraints, sequences (defaults applied), access, event flag.  Arrays
 * are allocated in a; names and types point into d (which must outlive the
 * store call that copies them).  LC_ENOTFOUND for a bad index. */
int mod_def_table_store_def(const mod_def_t *d, uint32_t table_index, lc_arena_t *a,
                            store_table_def_t *out, lc_err_t *err);

/* ---------------------------------------------------------------- names (names.c) */

typedef enum mod_case {
    MOD_CASE_SNAKE,  /* add_person_2 */
    MOD_CASE_CAMEL,  /* addPerson2 */
    MOD_CASE_PASCAL, /* AddPerson2 */
} mod_case_t;

/* Append s converted to case `to`, exactly as Rust's convert_case 0.6
 * `to_case` with its default word boundaries (module-abi.md §5.10). */
int mod_name_convert_buf(lc_buf_t *out, const char *s, mod_case_t to);
/* The same into a NUL-terminated string in a; NULL on allocation failure. */
char *mod_name_convert(lc_arena_t *a, const char *s, mod_case_t to);
/* NULL if s is a valid identifier (non-empty; `_` or a letter, then
 * letters, digits or `_`), else why not, as a phrase for an error line. */
const char *mod_ident_problem(const char *s);

/* ---------------------------------------------------------------- migrations (migrate.c) */

/* Step kinds, in the order the host applies them: every removal before
 * every addition (so an index dropped and re-created under the same name
 * works), as the reference sorts its plan. */
typedef enum mod_step_kind {
    MOD_STEP_REMOVE_INDEX,
    MOD_STEP_REMOVE_CONSTRAINT,
    MOD_STEP_REMOVE_SEQUENCE,
    MOD_STEP_REMOVE_SCHEDULE,
    MOD_STEP_REMOVE_VIEW,
    MOD_STEP_REMOVE_RLS,
    MOD_STEP_REMOVE_TABLE,           /* check_empty: refuse at apply time if rows remain */
    MOD_STEP_CHANGE_COLUMNS,         /* layout-compatible type changes (sums gained variants) */
    MOD_STEP_RESCHEMA_EVENT_TABLE,   /* an event table's columns changed freely */
    MOD_STEP_ADD_COLUMNS,            /* new columns at the end, filled with defaults */
    MOD_STEP_CHANGE_INDEX_SOURCE,    /* index source name (alias) renamed */
    MOD_STEP_CHANGE_TABLE_ACCESSOR,  /* table source name (alias) renamed */
    MOD_STEP_CHANGE_COLUMN_ACCESSOR, /* column accessor renamed (new_item = column) */
    MOD_STEP_ADD_TABLE,              /* with its indexes, constraints, sequences, schedule */
    MOD_STEP_ADD_INDEX,
    MOD_STEP_ADD_CONSTRAINT, /* existing rows are checked when it is created */
    MOD_STEP_ADD_SEQUENCE,   /* check_sequence: no existing value in [min, max] */
    MOD_STEP_ADD_SCHEDULE,
    MOD_STEP_ADD_VIEW,
    MOD_STEP_ADD_RLS,
    MOD_STEP_CHANGE_ACCESS, /* public <-> private (is_view: of a view) */
    MOD_STEP_CHANGE_PRIMARY_KEY,
    MOD_STEP_UPDATE_VIEW,    /* re-evaluate a view whose shape did not change */
    MOD_STEP_DISCONNECT_ALL, /* the plan breaks clients */
} mod_step_kind_t;

typedef struct mod_step {
    mod_step_kind_t kind;
    const char *table; /* canonical table or view name; NULL for RLS and disconnect */
    const char *name;  /* the index, constraint, sequence, schedule, column or view; RLS SQL */
    /* Positions of the table concerned in old->tables and new_->tables
     * (views: in ->views); both are set whenever the table is in both
     * definitions, MOD_NONE where it is absent (added or removed). */
    uint32_t old_table, new_table;
    /* Position of the item within its table in the old / new def, or MOD_NONE. */
    uint32_t old_item, new_item;
    bool is_view;
    bool check_empty;    /* REMOVE_TABLE */
    bool check_sequence; /* ADD_SEQUENCE on an existing table */
    bool rebuild;        /* REMOVE_INDEX + ADD_INDEX pair of an algorithm change */
    /* ADD_COLUMNS: the new columns are [first_col, first_col + ncols) of the
     * new table; defaults is the BSATN of their default values in order, so
     * that an old row followed by these bytes is the new row. */
    uint16_t first_col, ncols;
    const uint8_t *defaults;
    uint32_t defaults_len;
} mod_step_t;

typedef struct mod_migration {
    const mod_def_t *old_def, *new_def; /* borrowed */
    uint32_t nsteps;
    mod_step_t *steps; /* sorted: see mod_step_kind_t */
    /* Why the plan cannot be applied automatically, one line each ("table
     * `user`: removing column `age` requires a manual migration"); empty
     * when the plan is allowed. */
    uint32_t nreasons;
    const char **reasons;
    bool refused;        /* nreasons > 0 */
    bool breaks_clients; /* contains MOD_STEP_DISCONNECT_ALL */

    /* private */
    lc_arena_t arena;
    uint32_t cap_steps, cap_reasons;
} mod_migration_t;

/* Compare old and new_ (both validated) and plan the migration.  Returns
 * LC_OK with *plan set whether the plan is allowed or refused (see
 * plan->refused and plan->reasons); an error only for LC_ENOMEM. */
int mod_def_plan_migration(const mod_def_t *old, const mod_def_t *new_, mod_migration_t **plan,
                           lc_err_t *err);
void mod_migration_free(mod_migration_t *plan);
/* LC_OK if the plan is allowed; else LC_EINVAL with the reasons as the
 * message ("automatic migration is not possible:" then one per line). */
int mod_migration_check(const mod_migration_t *plan, lc_err_t *err);
/* Append a human-readable rendering for the publisher, one line per step:
 * "+ table `foo`", "~ table `bar`: add index `bar_x_idx_btree`", ...,
 * then the reasons of a refused plan ("x table `user`: ..."). */
int mod_migration_render(const mod_migration_t *plan, lc_buf_t *out);

/* ---------------------------------------------------------------- internal to src/module */

/* The undecoded-but-parsed definition: what def.c reads from the bytes and
 * def_validate.c turns into a mod_def_t.  V9 and V10 share it. */
typedef struct mod__raw_index {
    const char *name; /* V10 source_name; V9 name; NULL if absent */
    const char *accessor;
    uint8_t algo;
    uint32_t ncols;
    const uint16_t *cols;
} mod__raw_index_t;

typedef struct mod__raw_constraint {
    const char *name;
    uint32_t ncols;
    const uint16_t *cols;
} mod__raw_constraint_t;

typedef struct mod__raw_sequence {
    const char *name;
    uint16_t col;
    bool has_start, has_min, has_max;
    __int128 start, min_value, max_value, increment;
} mod__raw_sequence_t;

typedef struct mod__raw_default {
    const char *table; /* V9 only: the table it belongs to */
    uint16_t col;
    const uint8_t *bytes;
    uint32_t len;
} mod__raw_default_t;

typedef struct mod__raw_schedule {
    const char *name;  /* optional */
    const char *table; /* V10 only */
    uint16_t at_col;
    const char *function;
} mod__raw_schedule_t;

typedef struct mod__raw_table {
    const char *name;
    uint32_t type_ref;
    uint32_t npk;
    const uint16_t *pk;
    uint32_t nindexes, nconstraints, nsequences, ndefaults;
    mod__raw_index_t *indexes;
    mod__raw_constraint_t *constraints;
    mod__raw_sequence_t *sequences;
    mod__raw_default_t *defaults; /* V10 */
    uint8_t table_type, access;
    bool is_event;
    bool has_schedule; /* V9 */
    mod__raw_schedule_t schedule;
} mod__raw_table_t;

typedef struct mod__raw_reducer {
    const char *name;
    const sats_type_t *params;
    uint8_t visibility;
    const sats_type_t *ok_type, *err_type; /* V10 */
    int lifecycle;                         /* V9: Lifecycle tag, or -1 */
} mod__raw_reducer_t;

typedef struct mod__raw_procedure {
    const char *name;
    const sats_type_t *params, *return_type;
    uint8_t visibility;
} mod__raw_procedure_t;

typedef struct mod__raw_view {
    const char *name;
    uint32_t index;
    bool is_public, is_anonymous;
    const sats_type_t *params, *return_type;
} mod__raw_view_t;

typedef struct mod__raw_lifecycle {
    uint8_t spec; /* 0 Init, 1 OnConnect, 2 OnDisconnect */
    const char *function;
} mod__raw_lifecycle_t;

typedef struct mod__raw_typedef {
    uint32_t nscope;
    const char **scope;
    const char *name;
    uint32_t ref;
    bool custom_ordering;
} mod__raw_typedef_t;

typedef struct mod__raw_explicit {
    uint8_t kind; /* 0 Table, 1 Function, 2 Index */
    const char *source, *canonical;
} mod__raw_explicit_t;

typedef struct mod__raw_route {
    const char *handler;
    uint8_t method; /* mod_http_method_t */
    const char *extension;
    const char *path;
} mod__raw_route_t;

typedef struct mod__raw_view_pk {
    const char *view;
    uint32_t ncols;
    const char **cols;
} mod__raw_view_pk_t;

typedef struct mod__raw {
    int version; /* 9 or 10 */
    sats_typespace_t ts;
    uint8_t case_policy; /* V10 tag (0 None, 1 SnakeCase, 2 Camel, 3 Pascal) */
    uint32_t ntypes, ntables, nreducers, nprocedures, nviews, nschedules, nlifecycles, nrls,
        nexplicit, nhandlers, nroutes, nview_pks, ndefaults;
    mod__raw_typedef_t *types;
    mod__raw_table_t *tables;
    mod__raw_reducer_t *reducers;
    mod__raw_procedure_t *procedures;
    mod__raw_view_t *views;
    mod__raw_schedule_t *schedules;   /* V10 */
    mod__raw_lifecycle_t *lifecycles; /* V10 */
    const char **rls;
    mod__raw_explicit_t *explicit_names;
    const char **handlers;
    mod__raw_route_t *routes;
    mod__raw_view_pk_t *view_pks;
    mod__raw_default_t *defaults; /* V9 misc exports */
} mod__raw_t;

/* Validation errors: one line each, duplicates dropped, at most
 * MOD__MAX_ERRORS kept (the rest only counted). */
#define MOD__MAX_ERRORS 1000
typedef struct mod__errs {
    lc_buf_t text; /* lines, each ending in '\n' */
    uint32_t n;    /* kept */
    uint32_t dropped;
} mod__errs_t;

void mod__errs_add(mod__errs_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Build d (whose arena already holds raw's memory) from raw; every problem
 * goes to errs.  Returns LC_ENOMEM or LC_OK (even with errors). */
int mod__validate(const mod__raw_t *raw, mod_def_t *d, mod__errs_t *errs);
/* Structural names of a Lifecycle tag and an index algorithm, for messages. */
const char *mod__lifecycle_name(int spec);
const char *mod__algo_name(mod_index_algo_t algo);

/* ---------------------------------------------------------------- RawModuleDef as a type
 * (def_type.c) */

/* Build, in arena a, a typespace describing RawModuleDef itself (module-
 * abi.md §5: the V8BackCompat | V9 | V10 sum, every section, and the
 * recursive AlgebraicType meta-type behind Refs); *raw_module_def is the
 * root sum.  Every definition mod_def_decode accepts decodes with it
 * (sats_bsatn_decode), and its typed SATS-JSON is what GET .../schema
 * answers.  LC_ENOMEM only. */
int mod_def_raw_typespace(lc_arena_t *a, sats_typespace_t *ts, const sats_type_t **raw_module_def);
/* Decode RawModuleDef bytes with that type and append the typed SATS-JSON
 * of the variant's payload (a RawModuleDefV9 or RawModuleDefV10 object);
 * *version is MOD_DEF_V9 or MOD_DEF_V10.  LC_ECORRUPT for bytes that do
 * not decode, LC_EUNSUPPORTED for V8, LC_ENOMEM. */
int mod_def_raw_json(const uint8_t *bytes, size_t len, lc_buf_t *out, int *version, lc_err_t *err);

#endif /* LC_MOD_DEF_H */
