/*
 * store — the in-memory relational engine every database runs on: tables
 * of typed rows, indexes, constraints, sequences, the catalog as system
 * tables, transactions with exact rollback, changesets, and read views.
 *
 * Model (../shared/spec/engine.md §1–2, module-abi.md §3.4–3.7, §6.6–6.8):
 *   - A table is a SET of rows of one SATS product type; rows enter and
 *     leave as BSATN.  Inserting a row identical to a present one is a
 *     successful no-op; re-inserting a row deleted earlier in the same
 *     transaction un-deletes it.
 *   - Unique constraints and primary keys are enforced through indexes
 *     (B-tree or hash) on their columns.  Sequences fill auto_inc columns
 *     given as zero.
 *   - One mutable transaction at a time per database (store_tx_begin
 *     blocks until the previous one ended).  It writes in place, keeps an
 *     undo log, and sees its own writes; commit yields a changeset, rollback
 *     restores everything exactly.
 *   - Read views see the committed state as of their creation while the
 *     writer goes on: rows carry the offsets of the transactions that
 *     created and deleted them, and readers hold the table lock only for
 *     one bounded chunk of rows at a time.
 *   - The catalog lives in system tables (st_table, st_column, st_index,
 *     st_constraint, st_sequence, ...), readable like any table; DDL is row
 *     changes to them, so a commit log of changesets can rebuild everything.
 *
 * Transaction state table:
 *
 *   state      entered by            leaves by
 *   ACTIVE     store_tx_begin()      store_tx_commit() -> (freed)
 *                                    store_tx_rollback() -> (freed)
 *   FAILED     an operation failed   store_tx_rollback() only (a failed
 *              mid-way (ENOMEM)      operation may have left partial
 *                                    effects that only rollback undoes)
 *
 * Ownership: a store_db_t owns its tables; a transaction owns its arena,
 * from which changesets and scan results are allocated — they stay valid
 * until store_changeset_free() / the transaction ends, as stated below.
 * Thread safety: one writer thread per database; any number of reader
 * threads through read views.
 */
#ifndef LC_STORE_H
#define LC_STORE_H

#include "base/base.h"
#include "sats/sats.h"

typedef struct store_db store_db_t;
typedef struct store_tx store_tx_t;
typedef struct store_view store_view_t;

/* ---------------------------------------------------------------- schema */

typedef enum store_index_algo {
    STORE_INDEX_BTREE = 1,  /* st_index tag 1 */
    STORE_INDEX_DIRECT = 2, /* st_index tag 2; stored as a B-tree */
    STORE_INDEX_HASH = 3,   /* st_index tag 3 */
} store_index_algo_t;

typedef struct store_index_def {
    const char *name;
    store_index_algo_t algo;
    uint16_t ncols;
    const uint16_t *cols;
} store_index_def_t;

typedef struct store_constraint_def {
    const char *name;
    uint16_t ncols;
    const uint16_t *cols; /* unique over these columns; needs an index on exactly them */
} store_constraint_def_t;

typedef struct store_sequence_def {
    const char *name;
    uint16_t col;
    __int128 start, min_value, max_value, increment;
} store_sequence_def_t;

typedef enum store_table_type { STORE_TABLE_SYSTEM = 0, STORE_TABLE_USER = 1 } store_table_type_t;
typedef enum store_access { STORE_PUBLIC = 0, STORE_PRIVATE = 1 } store_access_t;

/* Everything needed to create a table.  row_type must be a product whose
 * elements are named; it may contain Refs into ts.  The store copies the
 * definition (ts included), so the caller's memory can go afterwards. */
typedef struct store_table_def {
    const char *name;
    const sats_typespace_t *ts;
    const sats_type_t *row_type;
    int32_t primary_key; /* column, or -1 */
    store_table_type_t type;
    store_access_t access;
    bool is_event;
    uint32_t nindexes;
    const store_index_def_t *indexes;
    uint32_t nconstraints;
    const store_constraint_def_t *constraints;
    uint32_t nsequences;
    const store_sequence_def_t *sequences;
} store_table_def_t;

/* Fixed ids of the system tables (engine.md §1.7). */
enum {
    STORE_ST_TABLE = 1,
    STORE_ST_COLUMN = 2,
    STORE_ST_SEQUENCE = 3,
    STORE_ST_INDEX = 4,
    STORE_ST_CONSTRAINT = 5,
    STORE_ST_MODULE = 6,
    STORE_ST_CLIENT = 7,
    STORE_ST_VAR = 8,
    STORE_ST_SCHEDULED = 9,
    STORE_ST_ROW_LEVEL_SECURITY = 10,
    STORE_ST_CONNECTION_CREDENTIALS = 11,
    STORE_ST_VIEW = 12,
    STORE_ST_VIEW_PARAM = 13,
    STORE_ST_VIEW_COLUMN = 14,
    STORE_ST_VIEW_SUB = 15,
    STORE_ST_VIEW_ARG = 16,
    STORE_ST_EVENT_TABLE = 17,
    STORE_ST_TABLE_ACCESSOR = 18,
    STORE_ST_INDEX_ACCESSOR = 19,
    STORE_ST_COLUMN_ACCESSOR = 20,
    STORE_FIRST_USER_ID = 4096, /* ids below are reserved for the system */
};

/* ---------------------------------------------------------------- database */

/* A new database holding only the bootstrapped system tables. */
int store_db_open(store_db_t **out, lc_err_t *err);
/* Free everything.  No transaction or view may be open. */
void store_db_close(store_db_t *db);
/* Offset of the last committed transaction that changed something (0 if
 * none). */
uint64_t store_db_committed_offset(const store_db_t *db);

/* Catalog lookups (any thread; they read the committed catalog). */
int store_table_id(store_db_t *db, const char *name, uint32_t *table_id);
int store_index_id(store_db_t *db, const char *name, uint32_t *index_id);
/* Name, row type and typespace of a table (borrowed; valid while the table
 * exists). */
int store_table_info(store_db_t *db, uint32_t table_id, const char **name,
                     const sats_typespace_t **ts, const sats_type_t **row_type);
/* Bytes held by a table: rows and indexes (for benchmarks and metrics). */
size_t store_table_memory(store_db_t *db, uint32_t table_id);

/* ---------------------------------------------------------------- transactions */

/* Begin the mutable transaction; blocks while another one is active. */
int store_tx_begin(store_db_t *db, store_tx_t **out, lc_err_t *err);
/* The transaction's arena: lives until commit or rollback. */
lc_arena_t *store_tx_arena(store_tx_t *tx);

/* One table's part of a changeset.  Rows are BSATN, allocated in the
 * changeset.  A row inserted and deleted in the same transaction appears in
 * neither list; an event table's inserts appear but were never stored. */
typedef struct store_table_changes {
    uint32_t table_id;
    const char *table_name;
    uint32_t ninserts, ndeletes;
    const uint8_t *const *inserts; /* row bytes */
    const uint32_t *insert_lens;
    const uint8_t *const *deletes;
    const uint32_t *delete_lens;
    bool truncated; /* the table was empty after the transaction */
} store_table_changes_t;

typedef struct store_changeset {
    uint64_t tx_offset; /* 0 if nothing changed (no offset consumed) */
    uint32_t ntables;
    store_table_changes_t *tables; /* ordered by table id */
    lc_arena_t arena;              /* owns everything above */
} store_changeset_t;

/* Commit: make the changes visible to new readers and fill cs (which the
 * caller frees with store_changeset_free).  tx is freed. */
int store_tx_commit(store_tx_t *tx, store_changeset_t *cs, lc_err_t *err);
/* The same into a changeset kept for reuse: cs is zeroed memory or one a
 * previous commit filled (freed or not); its arena is reset rather than
 * made anew, so a small changeset costs no malloc. */
int store_tx_commit_reuse(store_tx_t *tx, store_changeset_t *cs, lc_err_t *err);
/* Undo every change of the transaction exactly; tx is freed. */
void store_tx_rollback(store_tx_t *tx);
void store_changeset_free(store_changeset_t *cs);
/* End tx by the outcome of the work done in it: commit if rc is LC_OK
 * (for callers that need no changeset: restore, replay, bootstrap),
 * otherwise roll back.  Returns the work's error or the commit's. */
int store_tx_end(store_tx_t *tx, int rc, lc_err_t *err);

/* ---------------------------------------------------------------- writes */

typedef struct store_insert_result {
    uint32_t row;             /* handle of the row now in the table */
    bool existed;             /* an identical row was already there: no change */
    const uint8_t *row_bsatn; /* the stored row, sequences filled (tx arena) */
    uint32_t row_len;
    const uint8_t *generated; /* BSATN of the generated column values, in */
    uint32_t generated_len;   /* column order (module-abi.md §3.5), tx arena */
} store_insert_result_t;

/* Insert one row (BSATN of the table's row type).  Errors: LC_ENOTFOUND (no
 * table), LC_ECORRUPT (row does not decode), LC_EEXIST (unique violation,
 * message names table, constraint and value). */
int store_insert(store_tx_t *tx, uint32_t table_id, const uint8_t *row, size_t len,
                 store_insert_result_t *res, lc_err_t *err);
/* Replace the row whose key under the unique index index_id equals the new
 * row's.  LC_ENOTFOUND: no such index or no row with that key;
 * LC_EINVAL: index not unique. */
int store_update(store_tx_t *tx, uint32_t table_id, uint32_t index_id, const uint8_t *row,
                 size_t len, store_insert_result_t *res, lc_err_t *err);
/* Delete the row byte-equal to row, if present; *deleted = 0 or 1. */
int store_delete_value(store_tx_t *tx, uint32_t table_id, const uint8_t *row, size_t len,
                       uint32_t *deleted, lc_err_t *err);
/* Delete every row of the table; *count = rows deleted. */
int store_clear(store_tx_t *tx, uint32_t table_id, uint64_t *count, lc_err_t *err);

/* ---------------------------------------------------------------- reads */

/* A result set: whole BSATN rows concatenated, with their offsets. */
typedef struct store_rows {
    lc_buf_t data;
    uint32_t count;
    uint32_t *offsets; /* start of each row in data; count entries */
    uint32_t cap;
} store_rows_t;

void store_rows_init(store_rows_t *rs);
void store_rows_free(store_rows_t *rs);

/* A range bound on one index column, as in module-abi.md §3.7. */
typedef struct store_range {
    const uint8_t *prefix; /* BSATN of the first prefix_elems key columns */
    size_t prefix_len;
    uint16_t prefix_elems;
    const uint8_t *start; /* BSATN Bound<V>: tag 0 Included(v), 1 Excluded(v), 2 Unbounded */
    size_t start_len;
    const uint8_t *end;
    size_t end_len;
} store_range_t;

/* Reads inside the mutable transaction (it sees its own writes).  Rows are
 * appended to out.  Errors: LC_ENOTFOUND (table/index), LC_ECORRUPT (key
 * bytes do not decode), LC_EUNSUPPORTED (range scan on a hash index). */
int store_tx_row_count(store_tx_t *tx, uint32_t table_id, uint64_t *count, lc_err_t *err);
int store_tx_scan(store_tx_t *tx, uint32_t table_id, store_rows_t *out, lc_err_t *err);
int store_tx_index_point(store_tx_t *tx, uint32_t index_id, const uint8_t *point, size_t len,
                         store_rows_t *out, lc_err_t *err);
int store_tx_index_range(store_tx_t *tx, uint32_t index_id, const store_range_t *range,
                         store_rows_t *out, lc_err_t *err);
/* Delete what the point / range scan would return; *count = rows deleted. */
int store_delete_by_point(store_tx_t *tx, uint32_t index_id, const uint8_t *point, size_t len,
                          uint32_t *count, lc_err_t *err);
int store_delete_by_range(store_tx_t *tx, uint32_t index_id, const store_range_t *range,
                          uint32_t *count, lc_err_t *err);

/* ---------------------------------------------------------------- DDL */

/* Create a table (and its indexes, constraints, sequences) inside tx, as
 * rows of the system tables; *table_id receives its new id. */
int store_create_table(store_tx_t *tx, const store_table_def_t *def, uint32_t *table_id,
                       lc_err_t *err);
/* Drop a user table with everything attached to it. */
int store_drop_table(store_tx_t *tx, uint32_t table_id, lc_err_t *err);

/* ---------------------------------------------------------------- recovery */

/* Begin the mutable transaction so that it commits at exactly offset
 * (replaying a log record or restoring a snapshot); offset must be greater
 * than the committed offset.  Rows are then written with store_insert,
 * store_delete_value and store_clear; values in auto_inc columns are never
 * zero in logged rows, so no sequence value is drawn. */
int store_tx_begin_at(store_db_t *db, uint64_t offset, store_tx_t **out, lc_err_t *err);
/* Make the in-memory tables agree with the catalog rows as tx sees them:
 * create the tables whose st_table rows appeared (with their columns,
 * indexes, constraints and sequences from st_column, st_index,
 * st_constraint, st_sequence), retire those whose rows went, and take the
 * sequences' allocation marks.  Call after writing system-table rows and
 * before writing rows of the tables they describe. */
int store_tx_sync_catalog(store_tx_t *tx, lc_err_t *err);
/* After recovery: every sequence resumes at its persisted allocation mark
 * (so values handed out before a crash are never reissued). */
void store_db_resume_sequences(store_db_t *db);
/* The ids of all tables, ascending (system tables first); the caller frees
 * *ids with lc_free. */
int store_table_ids(store_db_t *db, uint32_t **ids, uint32_t *n, lc_err_t *err);

/* ---------------------------------------------------------------- read views */

/* A consistent view of the committed state as of now; usable from any
 * thread while the writer goes on.  Close it to let deleted rows be freed. */
int store_view_open(store_db_t *db, store_view_t **out, lc_err_t *err);
void store_view_close(store_view_t *v);
uint64_t store_view_offset(const store_view_t *v);
int store_view_row_count(store_view_t *v, uint32_t table_id, uint64_t *count, lc_err_t *err);
int store_view_scan(store_view_t *v, uint32_t table_id, store_rows_t *out, lc_err_t *err);
int store_view_index_point(store_view_t *v, uint32_t index_id, const uint8_t *point, size_t len,
                           store_rows_t *out, lc_err_t *err);
int store_view_index_range(store_view_t *v, uint32_t index_id, const store_range_t *range,
                           store_rows_t *out, lc_err_t *err);

#endif /* LC_STORE_H */
