/*
 * db — one hosted database: its store, its durable log and snapshots, its
 * module, its module log, its scheduler, and the executor thread that runs
 * every write.
 *
 * All writes to a database run serially on its executor thread (design
 * brief: no lock conflicts, no retries).  Callers hand it jobs — reducer
 * calls, connects, disconnects, publishes — and get the result through a
 * callback run on the executor thread, or wait for it with the _sync
 * wrappers.  Reads go through store views (store.h) and never wait for
 * the executor.
 *
 * Database states:
 *
 *   state      entered by                       left by
 *   EMPTY      db_open on a new directory       db_publish (init)   -> RUNNING
 *   RUNNING    db_open with a module, publish   db_close            -> CLOSED
 *   CLOSED     db_close                         (freed)
 *
 * In EMPTY, calls answer "database has no module".  Republish keeps
 * RUNNING: the new module is compiled on the caller's thread while the old
 * one serves, and swapped between two transactions.
 *
 * Public surface (prefix db_):
 *   db_open / db_close          recover or create; start and stop threads
 *   db_publish                  first publish (init) or update (migration)
 *   db_call / db_call_sync      a reducer call by name
 *   db_connect / db_disconnect  client lifecycle (client_connected may refuse)
 *   db_store, db_log, db_def    the parts, for reads
 *   db_wait_durable, db_durable_offset   confirmed reads
 */
#ifndef LC_DB_H
#define LC_DB_H

#include "base/base.h"
#include "durability/durability.h"
#include "module/module.h"
#include "store/store.h"
#include "wasm/wasm.h"

typedef struct db db_t;

/* Transactions between snapshots unless configured: the reference's 1,000,000. */
#define DB_SNAPSHOT_EVERY 1000000

typedef struct db_config {
    const char *dir;       /* the database's directory; NULL = in memory, nothing durable */
    wasm_engine_t *engine; /* shared by all databases (borrowed) */
    uint8_t identity[32];  /* the database identity, little-endian */
    dur_fsync_policy_t fsync;
    uint32_t fsync_interval_ms;
    uint64_t snapshot_every; /* transactions between snapshots; 0 = DB_SNAPSHOT_EVERY */
    wasm_limits_t limits;    /* per call; time_ms 0 = no watchdog */
    uint64_t log_max_bytes;  /* module log bound; 0 = default */
    /* Called on the executor thread after every commit that changed
     * something (subscriptions attach here), before the caller's callback.
     * caller is the calling client for a reducer call made with db_call,
     * NULL for everything else (schedules, lifecycle, publish).  May be NULL. */
    void (*on_commit)(void *arg, const store_changeset_t *cs, const mod_caller_t *caller);
    /* Called on the durability thread when the durable offset advances
     * (confirmed reads attach here).  May be NULL. */
    void (*on_durable)(void *arg, uint64_t offset);
    void *hook_arg;
} db_config_t;

/* Open the database in cfg->dir (recovering it) or a new in-memory one.
 * If it holds a module, the module is loaded (compiled if the cache lost
 * it), the scheduler reloads every schedule row, and clients left in
 * st_client by a crash are disconnected. */
int db_open(const db_config_t *cfg, db_t **out, lc_err_t *err);
/* Finish queued jobs, stop the executor, the scheduler and the durability
 * threads (the log is synced), and free everything. */
void db_close(db_t *db);

/* ---------------------------------------------------------------- publish */

typedef struct db_publish_opts {
    uint8_t owner[32]; /* identity of the publisher (init's caller) */
    bool clear;        /* drop all tables and data first (--delete-data) */
    wasm_progress_cb progress;
    void *progress_arg;
} db_publish_opts_t;

typedef struct db_publish_result {
    bool created;        /* first publish: tables created, init ran */
    bool updated;        /* an existing module was replaced */
    bool breaks_clients; /* the migration disconnects clients */
    bool rejected;       /* an update the migration refused or could not apply */
    lc_buf_t plan;       /* human-readable plan or refusal reasons (caller frees) */
} db_publish_result_t;

/* Compile and check the module on the calling thread, then have the
 * executor install it between two transactions: on a database without a
 * module, create its tables and run init in one transaction; otherwise
 * plan an automatic migration and apply it, or refuse with the reasons in
 * result->plan (LC_EINVAL).  A failure changes nothing. */
int db_publish(db_t *db, const uint8_t *wasm, size_t len, const db_publish_opts_t *opts,
               db_publish_result_t *result, lc_err_t *err);

/* Dry run of an update (pre_publish): compile and check the module, plan
 * the migration from the current definition, change nothing.  result gets
 * the rendered plan, breaks_clients and rejected (a manual migration is
 * needed).  LC_ENOTFOUND if the database has no module yet. */
int db_plan_update(db_t *db, const uint8_t *wasm, size_t len, db_publish_result_t *result,
                   lc_err_t *err);

/* ---------------------------------------------------------------- calls */

typedef struct db_call_result {
    mod_outcome_t outcome;
    uint64_t tx_offset;          /* committed offset; 0 if nothing was written */
    const store_changeset_t *cs; /* what it changed (valid during the callback) */
    int64_t timestamp_us;
    uint32_t request_id; /* the caller's (mod_caller_t) */
} db_call_result_t;

typedef void (*db_call_cb)(void *arg, const db_call_result_t *res);

/* Queue a call of the reducer named `reducer` (canonical name) with BSATN
 * args (copied).  cb runs on the executor thread once it committed or
 * rolled back.  A client may not call lifecycle reducers
 * (MOD_BAD_REQUEST). */
int db_call(db_t *db, const char *reducer, const uint8_t *args, size_t len,
            const mod_caller_t *caller, db_call_cb cb, void *arg);
/* db_call and wait; out receives the outcome and tx offset (cs is NULL). */
int db_call_sync(db_t *db, const char *reducer, const uint8_t *args, size_t len,
                 const mod_caller_t *caller, db_call_result_t *out);

/* A client connects: st_client row, then client_connected if the module
 * has one.  MOD_USER_ERROR in out means the module refused the client. */
int db_connect(db_t *db, const uint8_t identity[32], const uint8_t connection_id[16],
               const char *jwt_payload, mod_outcome_t *out);
/* A client went away: client_disconnected, and the st_client row is
 * removed whatever it does (disconnects cannot be refused). */
int db_disconnect(db_t *db, const uint8_t identity[32], const uint8_t connection_id[16]);

/* Run fn(arg, db) on the executor thread between two transactions, after
 * every job queued before it (subscriptions read their initial rows here,
 * so that the rows and the updates that follow line up exactly).  The
 * store may be read but not written.  LC_EBUSY if the database is closing
 * (fn will not run). */
int db_exec(db_t *db, void (*fn)(void *arg, db_t *db), void *arg);
/* On the executor thread only (inside a db_exec function): run fn in a
 * new write transaction and commit it through the log and the commit hook
 * like a reducer's, or roll it back if fn fails.  *tx_offset = the
 * committed offset (0 if nothing changed).  Used by SQL DML. */
int db_exec_write(db_t *db, int (*fn)(void *arg, store_tx_t *tx, lc_err_t *err), void *arg,
                  uint64_t *tx_offset, lc_err_t *err);
/* The committed offset (executor thread: exact; elsewhere: a recent one). */
uint64_t db_committed_offset(db_t *db);

/* ---------------------------------------------------------------- parts */

store_db_t *db_store(db_t *db);
mod_log_t *db_log(db_t *db);
/* The current module definition (NULL before the first publish).  Valid
 * until the next publish; callers on other threads hold db_def_retain. */
const mod_def_t *db_def(db_t *db);
/* Append the RawModuleDef bytes the current module described itself with
 * (executor thread, as db_def).  LC_ENOTFOUND before the first publish. */
int db_def_bytes(db_t *db, lc_buf_t *out);
bool db_has_module(db_t *db);
/* Changes whenever a publish may have replaced the definition (executor
 * thread): holders of pointers into db_def() compare it to know when to
 * look again (an address alone can be reused). */
uint64_t db_def_generation(db_t *db);

uint64_t db_durable_offset(db_t *db);
/* On the executor (a job's callback, or its log flush and durability
 * notice): whether there is no other work (no job left in the batch,
 * nothing queued).  A reply to it is
 * worth writing at once (net_ws_send_urgent); one among many is better left
 * to the loop, which writes a connection's replies together.  False on any
 * other thread. */
bool db_running_alone(db_t *db);
/* Wait until offset is durable (-1: forever). */
int db_wait_durable(db_t *db, uint64_t offset, int64_t timeout_us);

typedef struct db_stats {
    uint64_t calls, commits, rollbacks, scheduled_runs;
} db_stats_t;
void db_stats(db_t *db, db_stats_t *out);

/* ---------------------------------------------------------------- registry
 *
 * Every database the server hosts (registry.c): found by identity or name,
 * owned by the identity that created it, persisted under the server's data
 * directory (or kept in memory).  Entries are refcounted: a request that
 * found one may use it while another deletes it. */

typedef struct db_registry db_registry_t;

#define DB_NAME_MAX 63

typedef struct db_entry {
    uint8_t identity[32]; /* the database identity, little-endian */
    char identity_hex[65];
    uint8_t owner[32];
    char name[DB_NAME_MAX + 1]; /* "" if unnamed */
    db_t *db;
    void *user; /* the API layer's per-database state */
} db_entry_t;

typedef struct db_registry_config {
    const char *data_dir; /* databases live in DATA/databases/; NULL = in memory */
    wasm_engine_t *engine;
    dur_fsync_policy_t fsync;
    uint32_t fsync_interval_ms;
    wasm_limits_t limits;
    /* Per-entry versions of db_config_t's hooks; on_entry_free runs before
     * an entry's database is closed (free e->user there). */
    void (*on_commit)(void *arg, db_entry_t *e, const store_changeset_t *cs,
                      const mod_caller_t *caller);
    void (*on_durable)(void *arg, db_entry_t *e, uint64_t offset);
    void (*on_entry_free)(void *arg, db_entry_t *e);
    void *hook_arg;
} db_registry_config_t;

/* Open every database under data_dir (recovering each). */
int db_registry_open(const db_registry_config_t *cfg, db_registry_t **out, lc_err_t *err);
/* Release every entry (closing databases nobody else holds). */
void db_registry_close(db_registry_t *r);
/* Whether s is a valid database name: ^[a-z0-9]+(-[a-z0-9]+)*$, not an identity. */
bool db_name_valid(const char *s);
/* Find by name or 64-hex identity (0x allowed); a reference for the caller.
 * LC_EINVAL bad syntax; LC_ENOTFOUND ("`x` not found" / "No such database."). */
int db_registry_find(db_registry_t *r, const char *name_or_identity, db_entry_t **out,
                     lc_err_t *err);
/* Create a database (name may be NULL) owned by owner, with a new identity;
 * a reference for the caller.  LC_EEXIST if the name is taken. */
int db_registry_create(db_registry_t *r, const char *name, const uint8_t owner[32],
                       db_entry_t **out, lc_err_t *err);
/* Forget a database: lookups stop finding it, its files are marked
 * deleted, and it closes when the last reference goes. */
int db_registry_delete(db_registry_t *r, db_entry_t *e, lc_err_t *err);
/* Give a database a (new) name; its old name is released.  LC_EEXIST if
 * another database has it. */
int db_registry_rename(db_registry_t *r, db_entry_t *e, const char *name, lc_err_t *err);
/* Identities (hex) of the databases owner owns: writes up to cap, returns
 * how many there are. */
size_t db_registry_owned_by(db_registry_t *r, const uint8_t owner[32], char (*hex)[65], size_t cap);
/* Call fn for every entry, under the registry's lock (fn must not block). */
void db_registry_each(db_registry_t *r, void (*fn)(void *arg, db_entry_t *e), void *arg);
void db_entry_retain(db_entry_t *e);
void db_entry_release(db_entry_t *e);

#endif /* LC_DB_H */
