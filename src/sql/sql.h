/*
 * sql — the ad-hoc SQL engine behind POST /v1/database/:name/sql and
 * `lightcone sql`: lexer, parser, planner and executor
 * (../shared/spec/protocol.md §5, §8.3; engine.md §4).
 *
 * Pipeline:
 *   1. sql_parse()   text -> sql_stmt_t (AST in the caller's arena).  Errors
 *                    name the position: "expected FROM at 1:14, found `FORM`".
 *   2. sql_plan()    resolves tables and columns against an sql_schema_t,
 *                    types every literal against its column, hides private
 *                    tables from non-owners and chooses access paths: index
 *                    point probes for `col = lit`, B-tree range scans for
 *                    `<`, `<=`, `>`, `>=`, index nested-loop joins when the
 *                    joined table has an index on its join column, else a
 *                    nested-loop join over a scan.
 *   3. sql_exec_read() over a read view (SELECT, SHOW) or sql_exec_tx()
 *                    inside the mutable transaction (anything, DML included).
 *   4. sql_result_json() writes the /sql response body;
 *      sql_result_print() the psql-style table the CLI shows.
 *
 * Supported beyond the reference (anchors.md §3): ORDER BY, OFFSET, NOT,
 * IN (list), IS [NOT] NULL on Option columns, COUNT(col), SUM, MIN, MAX,
 * GROUP BY.
 *
 * Invariants:
 *   1. An index access path only narrows the candidate rows: the full WHERE
 *      predicate is always re-evaluated on every row, so a plan's result
 *      never depends on which path was chosen.
 *   2. Every literal in a plan has the exact SATS type of the column it is
 *      compared with or assigned to; comparisons are sats_value_cmp.
 *
 * Ownership: the statement, plan and result live in the arena the caller
 * passes (the plan borrows and annotates the statement, and borrows the
 * schema, which must outlive it).  Nothing here keeps a pointer after a
 * call returns except into those.
 */
#ifndef LC_SQL_H
#define LC_SQL_H

#include "base/base.h"
#include "module/mod_def.h"
#include "sats/sats.h"
#include "store/store.h"

/* Queries longer than this are refused (engine.md §4.1). */
#define SQL_MAX_LENGTH 50000

/* ---------------------------------------------------------------- schema */

/* An index the planner may use. */
typedef struct sql_index {
    uint32_t id; /* store index id */
    bool btree;  /* supports range scans (B-tree or direct) */
    uint16_t ncols;
    const uint16_t *cols;
} sql_index_t;

/* A table as SQL sees it. */
typedef struct sql_table {
    const char *name; /* canonical */
    uint32_t id;      /* store table id */
    const sats_typespace_t *ts;
    const sats_type_t *row_type; /* a Product with named elements */
    bool is_private;             /* owner only */
    bool is_system;              /* st_*: read-only to SQL */
    uint32_t nindexes;
    const sql_index_t *indexes;
    /* Row-level security (protocol.md §4.6): the module's rules that
     * return this table's rows, as SQL.  A non-owner sees a row when any
     * rule returns it (none: every row). */
    uint32_t nrls;
    const char *const *rls;
} sql_table_t;

typedef struct sql_schema {
    uint32_t ntables;
    const sql_table_t *tables;
} sql_schema_t;

/* The schema of a database: the module's tables (def may be NULL) and the
 * system tables, with their store ids, allocated in a.  Each row-level
 * security rule of def is checked (a subscription-style query returning
 * whole rows of one public table, joins on indexed columns) and attached
 * to the table it returns; a bad rule is LC_EINVAL
 * "row-level security rule `<sql>`: <cause>". */
int sql_schema_from_def(const mod_def_t *def, store_db_t *db, lc_arena_t *a, sql_schema_t *out,
                        lc_err_t *err);

/* ---------------------------------------------------------------- parse and plan */

typedef struct sql_stmt sql_stmt_t;
typedef struct sql_plan sql_plan_t;

/* Parse exactly one statement (a trailing ';' is allowed).  LC_EINVAL with
 * a message naming the line:column of the offending token. */
int sql_parse(const char *text, size_t len, lc_arena_t *a, sql_stmt_t **out, lc_err_t *err);

/* Who runs the statement. */
typedef struct sql_caller {
    bool is_owner;      /* sees private tables; may write; not filtered by RLS */
    bool no_rls;        /* plan without row-level security (its own rules) */
    uint8_t sender[32]; /* Identity, as its big-endian hex reads (for :sender) */
} sql_caller_t;

/* Resolve and type-check stmt against schema and choose access paths.
 * For a non-owner, every FROM table with row-level security rules gets
 * them planned too (with the caller's :sender): the executor keeps only
 * the rows some rule returns, and sql_sub_match checks rules of one
 * table.
 * Errors (LC_ENOTFOUND, LC_EINVAL, LC_ERANGE, LC_EPERM, LC_EUNSUPPORTED)
 * carry the reference's texts where it has them. */
int sql_plan(sql_stmt_t *stmt, const sql_schema_t *schema, const sql_caller_t *caller,
             lc_arena_t *a, sql_plan_t **out, lc_err_t *err);
/* Whether the plan writes (INSERT, UPDATE, DELETE, SET). */
bool sql_plan_is_write(const sql_plan_t *p);
/* A one-line rendering of the access paths, for tests and EXPLAIN-like
 * diagnostics, e.g. "IxJoin(IxScan(t.3 = ..), s.7)". */
int sql_plan_explain(const sql_plan_t *p, lc_buf_t *out);

/* ---------------------------------------------------------------- execute */

typedef struct sql_stats {
    uint64_t rows_inserted, rows_deleted, rows_updated, rows_scanned;
} sql_stats_t;

typedef struct sql_col {
    const char *name;
    const sats_typespace_t *ts;
    const sats_type_t *type;
} sql_col_t;

/* Rows of a result, row-major: cell (r, c) is cells[r * ncols + c]. */
typedef struct sql_result {
    uint32_t ncols;
    const sql_col_t *cols;
    uint32_t nrows;
    const sats_value_t *cells;
    sql_stats_t stats;
} sql_result_t;

/* Run a read-only plan over a read view; LC_EINVAL for a write plan. */
int sql_exec_read(const sql_plan_t *p, store_view_t *v, lc_arena_t *a, sql_result_t *out,
                  lc_err_t *err);
/* Run any plan inside the mutable transaction (the caller commits or rolls
 * back).  DML results have no columns; the counts are in out->stats. */
int sql_exec_tx(const sql_plan_t *p, store_tx_t *tx, lc_arena_t *a, sql_result_t *out,
                lc_err_t *err);

/* Append the /sql response body: [{"schema":{"elements":[...]},"rows":[...],
 * "total_duration_micros":N,"stats":{...}}] with rows in untyped SATS-JSON. */
int sql_result_json(lc_buf_t *out, const sql_result_t *r, uint64_t duration_us, lc_err_t *err);
/* Append the result as a psql-style text table (sats_print_table). */
int sql_result_print(lc_buf_t *out, const sql_result_t *r);

/* ---------------------------------------------------------------- subscriptions (sub.c) */

/* Whether a parsed statement is in the reference's subscription subset
 * (protocol.md §5.2-§5.3): SELECT * or t.* over one table or a join of two
 * on one column equality; WHERE of comparisons under AND/OR.  Before
 * sql_plan; LC_EUNSUPPORTED with the message otherwise. */
int sql_sub_check(const sql_stmt_t *stmt, lc_err_t *err);

/* The shape of a planned subscription query. */
typedef struct sql_sub_shape {
    uint32_t ntables;        /* 1, or 2 for a join */
    int ret;                 /* FROM position of the table whose rows it returns */
    const sql_table_t *t[2]; /* FROM order */
    int join_col[2];         /* joins: the ON column of each table */
    uint32_t join_ix[2];     /* joins: a single-column index on each */
} sql_sub_shape_t;
/* Fill out for a plan of a statement sql_sub_check accepted; a join
 * without single-column indexes on both join columns is LC_EUNSUPPORTED
 * "Subscriptions require indexes on join columns", and so is a plan with
 * a row-level security rule that joins (sql_sub_match could not check
 * it row by row: src/subs expands such queries itself). */
int sql_sub_shape(const sql_plan_t *p, sql_sub_shape_t *out, lc_err_t *err);
/* Whether one row (rows[i]: the decoded row of FROM table i) satisfies the
 * plan's ON and WHERE and the row-level security of each table. */
bool sql_sub_match(const sql_plan_t *p, sats_value_t *const *rows);
/* Append a canonical key of the plan: table ids, resolved column
 * positions and typed literal values (:sender as its bound value), so
 * spelling, aliases and whitespace do not matter; a plan filtered by
 * row-level security also keys on the caller. */
int sql_sub_key(const sql_plan_t *p, lc_buf_t *out);
/* The caller row-level security rules are planned as for subscriber: the
 * owner (rules read any table), without rules of its own, with the
 * subscriber's :sender.  In arena a; NULL when out of memory. */
sql_caller_t *sql_rls_caller(const sql_caller_t *subscriber, lc_arena_t *a);
/* Parse text, check it is in the subscription subset, plan it for caller
 * (who must outlive the plan) and fill its shape, in a: a subscription
 * query, or a row-level security rule (from a table's rls). */
int sql_sub_compile(const char *text, const sql_schema_t *schema, const sql_caller_t *caller,
                    lc_arena_t *a, sql_plan_t **plan, sql_sub_shape_t *shape, lc_err_t *err);
/* Append what a key filtered by row-level security adds: the caller. */
int sql_sub_key_caller(lc_buf_t *out, const sql_caller_t *caller);

#endif /* LC_SQL_H */
