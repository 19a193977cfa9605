/*
 * subs — subscription queries: compiled once per distinct query, shared by
 * every subscriber, and maintained incrementally from each transaction's
 * changeset (../shared/spec/protocol.md §4-§5, engine.md §5).
 *
 * A subs_mgr_t is one database's registry of compiled queries.  A query is
 * keyed by its normalised plan (sql_sub_key: tables, resolved columns,
 * typed literals, the bound :sender), so two sessions subscribing to the
 * same query in different spellings share one subs_query_t, evaluated once
 * per transaction; its delta rows are one buffer that every subscriber
 * borrows.
 *
 * Threads: the registry has a mutex; subs_eval and the delta accessors are
 * for the thread that commits (the executor), subs_release may run on any.
 *
 * Ownership: a query lives while it has references (subs_compile gives
 * one; subs_release drops it).  It borrows the module definition and the
 * store it was compiled against: when the definition is replaced, callers
 * call subs_recompile before the next use.  Rows returned by subs_initial live in the
 * caller's arena; delta rows live until the next subs_eval.
 */
#ifndef LC_SUBS_H
#define LC_SUBS_H

#include "base/base.h"
#include "sql/sql.h"
#include "store/store.h"

/* A bag of BSATN rows of the query's table: row i is data[offsets[i] ..
 * (i + 1 < nrows ? offsets[i + 1] : len)). */
typedef struct subs_rows {
    const uint8_t *data;
    size_t len;
    uint32_t nrows;
    const uint32_t *offsets;
} subs_rows_t;

typedef struct subs_mgr subs_mgr_t;
typedef struct subs_query subs_query_t;

int subs_mgr_new(subs_mgr_t **out, lc_err_t *err);
/* Free the registry; every query must have been released. */
void subs_mgr_free(subs_mgr_t *m);
/* Number of live distinct queries. */
uint32_t subs_mgr_count(subs_mgr_t *m);

/* Compile sql (protocol.md §5) for caller against schema (borrowed: it
 * must outlive the query) or, if schema is NULL, against def's tables in
 * db (a schema the query owns), or
 * take a reference to the identical query already registered.  Errors
 * (LC_EINVAL, LC_ENOTFOUND, LC_EUNSUPPORTED, ...) carry the message for a
 * SubscriptionError: "<cause>, executing: `<sql>`". */
int subs_compile(subs_mgr_t *m, const sql_schema_t *schema, const mod_def_t *def, store_db_t *db,
                 const char *sql, const sql_caller_t *caller, subs_query_t **out, lc_err_t *err);
/* The module definition changed (same table ids): recompile every query
 * from its text and caller against def's tables in db.  A query that no
 * longer compiles matches nothing from then on. */
void subs_recompile(subs_mgr_t *m, const mod_def_t *def, store_db_t *db);
/* Drop a reference; the last one unregisters and frees the query. */
void subs_release(subs_mgr_t *m, subs_query_t *q);

/* The table whose rows the query returns. */
const char *subs_query_table(const subs_query_t *q);
uint32_t subs_query_table_id(const subs_query_t *q);
/* The normalised key (NUL-terminated). */
const char *subs_query_key(const subs_query_t *q);

/* All rows the query matches in view v (a bag), in arena a. */
int subs_initial(const subs_query_t *q, store_view_t *v, lc_arena_t *a, subs_rows_t *out,
                 lc_err_t *err);

/* Evaluate every registered query once over a committed transaction: cs
 * its changes, v a view of the state right after it.  Single-table
 * queries filter the changed rows; joins use the delta formula
 * (engine.md §5.3) with multiplicities cancelled. */
int subs_eval(subs_mgr_t *m, const store_changeset_t *cs, store_view_t *v, lc_err_t *err);
/* The rows the last subs_eval added to and removed from q's result;
 * false if it did not change. */
bool subs_delta(const subs_query_t *q, subs_rows_t *ins, subs_rows_t *del);

#endif /* LC_SUBS_H */
