/*
 * module — a database's program: its definition, its wasm instance, and
 * the calls into it (reducers, lifecycle hooks, scheduled reducers).
 *
 * A module host (mod_host_t) owns one compiled module (wasm_module_t), the
 * main-lane instance that runs every call, the validated module definition
 * (mod_def_t, mod_def.h) and the host-ABI context (mod_abi.h).  It does
 * not own the store, the transaction or the log: the database layer
 * (src/db) opens a transaction, asks the host to run a reducer in it, and
 * commits or rolls back by the outcome.
 *
 * Instance states (module-abi.md §1.3, §1.5):
 *
 *   state      entered by                          left by
 *   READY      mod_host_create, replace_instance   a trap  -> BROKEN
 *   BROKEN     a trap during a call                the next call: a fresh
 *                                                  instance is set up
 *                                                  (_initialize, __preinit__*,
 *                                                  __setup__, __describe_module__)
 *
 * Public surface (prefix mod_):
 *   mod_host_create / _free     compile + instantiate + describe + validate
 *   mod_host_def                the module definition
 *   mod_host_bind               attach to a store whose tables exist
 *   mod_host_call_reducer       one reducer call inside the caller's tx
 *   mod_check_args              BSATN arguments against a reducer's params
 *   definitions, migrations     mod_def.h;  logs  mod_log.h;  ABI  mod_abi.h
 */
#ifndef LC_MODULE_H
#define LC_MODULE_H

#include "base/base.h"
#include "module/mod_abi.h"
#include "module/mod_def.h"
#include "module/mod_log.h"
#include "store/store.h"
#include "wasm/wasm.h"

typedef struct mod_host mod_host_t;

/* Called by the host when a transaction wrote a row into a schedule
 * table: the db's scheduler enqueues (table, id) to fire after delay_us.
 * Returns 0, or MOD_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG. */
typedef int (*mod_schedule_cb)(void *arg, uint32_t table_id, uint64_t scheduled_id, int64_t at_us,
                               bool interval);

typedef struct mod_host_config {
    wasm_engine_t *engine;
    wasm_limits_t limits;          /* per call: time budget, memory */
    mod_log_t *log;                /* module log of the database (borrowed) */
    uint8_t database_identity[32]; /* little-endian, as the ABI writes it */
    mod_schedule_cb on_schedule;   /* may be NULL (no scheduler) */
    void *hook_arg;
    /* The JWT payload of a connection, for get_jwt; NULL = none known. */
    int (*jwt)(void *arg, const uint8_t connection_id[16], const uint8_t **payload, size_t *len);
} mod_host_config_t;

/* Compile (or take from the cache), instantiate, run the initializers and
 * __describe_module__, decode and validate the definition.  Every failure
 * is a message for the publisher (LC_EINVAL bad module, LC_EIO compiler).
 * progress may be NULL. */
int mod_host_create(const mod_host_config_t *cfg, const uint8_t *wasm, size_t len,
                    wasm_progress_cb progress, void *progress_arg, mod_host_t **out, lc_err_t *err);
void mod_host_free(mod_host_t *h);

const mod_def_t *mod_host_def(const mod_host_t *h);
/* The RawModuleDef bytes __describe_module__ wrote (BSATN, module-abi.md
 * §5), owned by h and valid until mod_host_free. */
const uint8_t *mod_host_def_bytes(const mod_host_t *h, size_t *len);
const uint8_t *mod_host_hash(const mod_host_t *h);

/* Attach to db, whose tables for this definition exist: source-name
 * aliases of tables and indexes, schedule tables.  Call again after the
 * tables change (migration). */
int mod_host_bind(mod_host_t *h, store_db_t *db, lc_err_t *err);

/* ---------------------------------------------------------------- calls */

typedef struct mod_caller {
    uint8_t identity[32];      /* little-endian */
    uint8_t connection_id[16]; /* little-endian; all zero = none */
    int64_t timestamp_us;      /* the call's timestamp, µs since the Unix epoch */
    /* The client's request id, handed back in the call's result
     * (db_call_result_t); the module never sees it. */
    uint32_t request_id;
} mod_caller_t;

typedef enum mod_status {
    MOD_OK = 0,
    MOD_USER_ERROR,     /* the reducer returned an error message */
    MOD_INTERNAL_ERROR, /* trap, unknown return code, host failure */
    MOD_BAD_REQUEST,    /* no such reducer, bad arguments: never called */
} mod_status_t;

typedef struct mod_outcome {
    mod_status_t status;
    wasm_trap_t trap;  /* WASM_TRAP_NONE unless it trapped */
    uint64_t wall_us;  /* time inside the module */
    char message[512]; /* user error or internal error text (truncated) */
} mod_outcome_t;

/* Run reducer `reducer` (index in the definition's reducers) inside tx.
 * args is the BSATN of its parameters (checked first: see mod_check_args).
 * The outcome says whether the caller should commit (MOD_OK) or roll back.
 * Returns LC_OK whenever an outcome was produced; an error only if the
 * host itself failed (out of memory). */
int mod_host_call_reducer(mod_host_t *h, store_tx_t *tx, uint32_t reducer,
                          const mod_caller_t *caller, const uint8_t *args, size_t len,
                          mod_outcome_t *out);

/* Check that args is exactly one value of the reducer's params product.
 * LC_EINVAL with a message naming the reducer and what is wrong. */
int mod_check_args(const mod_def_t *def, uint32_t reducer, const uint8_t *args, size_t len,
                   lc_err_t *err);

/* ---------------------------------------------------------------- lookups */

/* Index of the reducer with this canonical name, or -1. */
int mod_host_reducer_find(const mod_host_t *h, const char *name);
const char *mod_host_reducer_name(const mod_host_t *h, uint32_t reducer);
mod_lifecycle_t mod_host_reducer_lifecycle(const mod_host_t *h, uint32_t reducer);
/* The reducer with this lifecycle role, or -1. */
int mod_host_lifecycle_reducer(const mod_host_t *h, mod_lifecycle_t role);

/* What the scheduler needs of a schedule table (after mod_host_bind). */
typedef struct mod_schedule_info {
    uint32_t reducer;     /* the scheduled reducer's index */
    uint32_t pk_index_id; /* store index on the u64 scheduled_id */
} mod_schedule_info_t;
/* LC_ENOTFOUND if table_id is not a schedule table. */
int mod_host_schedule_info(const mod_host_t *h, uint32_t table_id, mod_schedule_info_t *out);
/* Read a schedule row's id and ScheduleAt: *interval true = Interval(at
 * µs), false = Time(at µs since the epoch). */
int mod_host_schedule_row(const mod_host_t *h, uint32_t table_id, const uint8_t *row, size_t len,
                          uint64_t *id, int64_t *at, bool *interval);

/* Counters for metrics and tests. */
typedef struct mod_host_stats {
    uint64_t calls, traps, instances_created;
} mod_host_stats_t;
void mod_host_stats(const mod_host_t *h, mod_host_stats_t *out);

#endif /* LC_MODULE_H */
