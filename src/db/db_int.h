/*
 * db internals: the database struct, jobs, and the pieces split across
 * db.c (executor, calls, open/close), publish.c (first publish, update,
 * loading the module at open), lifecycle.c (connect/disconnect) and
 * sched.c (the scheduler heap).  Everything here runs on the executor
 * thread unless it says otherwise.
 */
#ifndef LC_DB_INT_H
#define LC_DB_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "db/db.h"

typedef enum db_job_kind {
    DB_JOB_CALL,
    DB_JOB_CONNECT,
    DB_JOB_DISCONNECT,
    DB_JOB_INSTALL,
    DB_JOB_EXEC,
} db_job_kind_t;

typedef struct db_job db_job_t;

/* Call jobs whose name and arguments fit in this many bytes are pooled. */
#define DB_JOB_INLINE   256
#define DB_JOB_POOL_MAX 8192
struct db_job {
    db_job_t *next;
    db_job_kind_t kind;
    bool inline_data; /* name and args live in the job's own allocation */
    bool pooled;      /* a DB_JOB_INLINE-sized call job: back to the pool when done */
    char *name;       /* CALL: reducer */
    uint8_t *args;
    size_t len;
    char *jwt; /* CONNECT: JWT payload, may be NULL */
    mod_caller_t caller;
    db_call_cb cb;
    void *arg;
    /* INSTALL */
    mod_host_t *host; /* the new module (ownership passes to the executor) */
    const db_publish_opts_t *opts;
    db_publish_result_t *result;
    lc_err_t *err;
    const uint8_t *wasm; /* borrowed from db_publish's caller, who waits */
    size_t wasm_len;
    int rc;
    void (*exec_fn)(void *arg, db_t *db); /* EXEC */
};

/* One pending scheduled call. */
typedef struct db_sched_entry {
    int64_t due_us;
    uint32_t table_id;
    uint64_t id;
} db_sched_entry_t;

struct db {
    db_config_t cfg;
    char *dir;
    store_db_t *store;
    dur_writer_t *writer;    /* NULL in memory */
    dur_snapshotter_t *snap; /* NULL in memory */
    mod_log_t *log;
    mod_host_t *host;            /* executor-owned once running */
    const mod_caller_t *calling; /* during a client's reducer call: its caller */
    atomic_bool has_module;      /* host != NULL, readable from any thread */
    uint64_t def_generation;     /* bumped by every install (db_def_generation) */
    /* run_call's memory of the last reducer found by name (executor). */
    const mod_host_t *last_reducer_host;
    uint64_t last_reducer_gen;
    int last_reducer_id;
    char last_reducer_name[64];
    lc_buf_t logq;           /* log records of this batch, framed (executor only) */
    uint64_t logq_first;     /* offset of the first of them */
    size_t logq_n;           /* how many */
    uint32_t inline_backoff; /* batches before trying an inline sync again */

    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu; /* guards head, tail, stopping */
    pthread_cond_t cv;
    db_job_t *head, *tail;
    atomic_bool queued; /* head != NULL, readable without mu */
    bool batch_rest;    /* executor only: jobs of the current batch remain */
    /* The changeset of reducer calls, kept for the next (executor only). */
    store_changeset_t call_cs;
    bool call_cs_busy;
    bool stopping;
    db_job_t *free_jobs; /* recycled call jobs (guarded by mu) */
    uint32_t nfree_jobs;

    db_sched_entry_t *heap; /* min-heap by due_us (executor only) */
    size_t nheap, capheap;
    lc_map_t sched_live; /* (table_id, id) -> due_us of the live entry */
    lc_map_t jwts;       /* connection id (16 bytes) -> JWT payload (char *), executor only */

    struct {
        atomic_uint_fast64_t calls, commits, rollbacks, scheduled_runs;
    } stats;
};

/* db.c */
/* The executor hands its batch's log records to the writer at most this
 * many (or bytes) at a time, so the writer overlaps a long batch. */
#define DB_LOGQ_MAX_RECORDS 256
#define DB_LOGQ_MAX_BYTES   (256 * 1024)
/* Batches up to this many records, with no job waiting, are synced by the
 * executor itself (db.c commit_inline). */
#define DB_INLINE_MAX_RECORDS 1
/* Batches synced by the writer thread after a job arrived during an inline
 * sync (more than one client: the thread overlaps their calls with it). */
#define DB_INLINE_BACKOFF 64
void db__flush_log(db_t *db);
int db__commit(db_t *db, store_tx_t *tx, int64_t ts_us, store_changeset_t *cs, lc_err_t *err);
void db__notify_commit(db_t *db, const store_changeset_t *cs);
void db__finish_reducer(db_t *db, store_tx_t *tx, uint32_t rid, const mod_caller_t *caller,
                        const uint8_t *args, size_t len, db_call_cb cb, void *arg);
void db__run_reducer(db_t *db, uint32_t rid, const mod_caller_t *caller, const uint8_t *args,
                     size_t len, db_call_cb cb, void *arg);
db_job_t *db__job_new(db_job_kind_t kind);
void db__job_free(db_job_t *j);
int db__submit_install(db_t *db, db_job_t *j, db_call_result_t *res);

/* publish.c */
int db__load_module(db_t *db, lc_err_t *err);
void db__run_install(db_t *db, db_job_t *j);
mod_host_config_t db__host_config(db_t *db);

/* migrate.c */
int db__apply_migration(db_t *db, store_tx_t *tx, const mod_def_t *old, const mod_def_t *new_,
                        const mod_migration_t *plan, lc_err_t *err);

/* lifecycle.c */
int db__jwt_lookup(void *arg, const uint8_t connection_id[16], const uint8_t **payload,
                   size_t *len);
void db__run_connect(db_t *db, db_job_t *j);
void db__run_disconnect(db_t *db, db_job_t *j);
int db__disconnect_leftovers(db_t *db);

/* sched.c */
int db__sched_push(db_t *db, int64_t due_us, uint32_t table_id, uint64_t id);
int64_t db__sched_next_due(db_t *db); /* -1 when empty */
void db__sched_run_due(db_t *db, int64_t now_us);
int db__sched_load(db_t *db);
void db__sched_clear(db_t *db);
void db__sched_free(db_t *db);
int db__on_schedule(void *arg, uint32_t table_id, uint64_t id, int64_t at_us, bool interval);

#endif /* LC_DB_INT_H */
