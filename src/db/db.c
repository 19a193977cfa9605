/*
 * A hosted database: the executor thread and everything it ties together.
 *
 * The executor owns the module host, the scheduler heap and every write
 * transaction.  Jobs arrive on a mutex-protected list; the executor takes
 * the whole list at once and runs it, so a burst of calls costs one lock
 * round trip, not one per call.  Each commit's log record is queued, and
 * at the end of the batch (or every DB_LOGQ_MAX_RECORDS) the records go to
 * the group-commit writer (durability.h) in one submit — under load the
 * executor never waits for the disk.  A batch of one transaction with no
 * job waiting is written and synced by the executor itself
 * (commit_inline): one client's round trip is a thread hand-off shorter.
 * Callers that need confirmed reads wait on db_wait_durable, which covers
 * a record only once the writer has it.
 *
 * Scheduled reducers (module-abi.md §6.4): a write into a schedule table
 * pushes (due time, table, scheduled id) onto a min-heap; the executor
 * sleeps until the earliest due time or the next job.  When an entry is
 * due it re-reads the row — gone means cancelled — calls the reducer with
 * the row as its argument, then deletes a one-shot row in a separate
 * transaction or pushes an interval row's next tick (missed ticks are
 * skipped, no drift).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "db/db_int.h"

/* ---------------------------------------------------------------- jobs */

static void job_free(db_job_t *j)
{
    if (!j->inline_data) {
        lc_free(j->args);
        lc_free(j->name);
    }
    lc_free(j->jwt);
    lc_free(j);
}

/* Queue a job; fails only when the database is closing. */
static int submit(db_t *db, db_job_t *j)
{
    pthread_mutex_lock(&db->mu);
    if (db->stopping) {
        pthread_mutex_unlock(&db->mu);
        return LC_EBUSY;
    }
    j->next = NULL;
    bool was_empty = db->head == NULL;
    if (db->tail)
        db->tail->next = j;
    else
        db->head = j;
    db->tail = j;
    atomic_store_explicit(&db->queued, true, memory_order_relaxed);
    pthread_mutex_unlock(&db->mu);
    /* Outside the lock, so that the executor does not wake only to block
     * on it; and only for the first job: with more queued, it is awake or
     * already signalled. */
    if (was_empty)
        pthread_cond_signal(&db->cv);
    return LC_OK;
}

/* A waiter for the _sync wrappers: the executor fills the result and
 * signals. */
typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    db_call_result_t res;
} waiter_t;

static void waiter_init(waiter_t *w)
{
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->done = false;
    memset(&w->res, 0, sizeof w->res);
}

static void waiter_done_cb(void *arg, const db_call_result_t *res)
{
    waiter_t *w = arg;
    pthread_mutex_lock(&w->mu);
    w->res = *res;
    w->res.cs = NULL;
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void waiter_wait(waiter_t *w)
{
    pthread_mutex_lock(&w->mu);
    while (!w->done) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

static void outcome_set(mod_outcome_t *o, mod_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void outcome_set(mod_outcome_t *o, mod_status_t st, const char *fmt, ...)
{
    memset(o, 0, sizeof *o);
    o->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->message, sizeof o->message, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- commit */

/* The database whose executor runs on this thread: its commits' log
 * records wait in db->logq until the end of the batch. */
static _Thread_local db_t *executing;

/* Whether jobs wait in the executor's queue. */
static bool jobs_waiting(db_t *db)
{
    pthread_mutex_lock(&db->mu);
    bool waiting = db->head != NULL;
    pthread_mutex_unlock(&db->mu);
    return waiting;
}

/* Whether the executor should write and sync its records itself: a lone
 * transaction with nothing else waiting (one client, light load) is
 * answered a thread hand-off sooner that way, and nobody waits meanwhile.
 * Under load batches are larger and the writer thread syncs while the
 * executor runs the next one. */
static bool commit_inline(db_t *db)
{
    if (executing != db || db->logq_n > DB_INLINE_MAX_RECORDS)
        return false;
    if (db->inline_backoff > 0) {
        db->inline_backoff--;
        return false;
    }
    return !jobs_waiting(db);
}

/* Hand the queued log records to the writer in one submit (or sync them
 * here: commit_inline).  A failure means the writer has failed permanently
 * (disk full, I/O error): the transactions are committed in memory but
 * will never be durable, and confirmed reads will never see them; say so
 * loudly. */
void db__flush_log(db_t *db)
{
    if (db->logq_n == 0)
        return;
    lc_err_t err;
    int rc;
    if (commit_inline(db)) {
        rc = dur_writer_submit_framed_inline(db->writer, db->logq_first, db->logq_n, db->logq.data,
                                             db->logq.len, &err);
        /* A job that came during the sync means a second client, whose
         * call the writer thread would have overlapped with the sync:
         * leave syncing to the thread for a while. */
        if (jobs_waiting(db))
            db->inline_backoff = DB_INLINE_BACKOFF;
    } else {
        rc = dur_writer_submit_framed(db->writer, db->logq_first, db->logq_n, db->logq.data,
                                      db->logq.len, &err);
    }
    if (rc)
        lc_log(LC_LOG_ERROR, "database log write failed at offsets %" PRIu64 "..%" PRIu64 ": %s",
               db->logq_first, db->logq_first + db->logq_n - 1, err.msg);
    lc_buf_reset(&db->logq);
    db->logq_n = 0;
}

/* Queue the log record of cs (framed as dur_writer_submit_framed takes it).
 * Records leave at the end of the executor's batch, or sooner when many
 * pile up, so the writer keeps busy; off the executor, at once. */
static void queue_log_record(db_t *db, const store_changeset_t *cs, int64_t ts_us)
{
    if (db->logq_n && cs->tx_offset != db->logq_first + db->logq_n)
        db__flush_log(db); /* frames imply consecutive offsets; the writer reports the gap */
    size_t start = db->logq.len;
    lc_buf_put_u32le(&db->logq, 0);
    if (dur_txdata_encode(&db->logq, cs, ts_us) != LC_OK || db->logq.oom) {
        db->logq.len = start;
        db->logq.oom = false;
        db__flush_log(db);
        lc_log(LC_LOG_ERROR, "database log write failed at offset %" PRIu64 ": out of memory",
               cs->tx_offset);
        return;
    }
    lc_store_u32le(db->logq.data + start, (uint32_t)(db->logq.len - start - 4));
    if (db->logq_n++ == 0)
        db->logq_first = cs->tx_offset;
    if (executing != db || db->logq_n >= DB_LOGQ_MAX_RECORDS || db->logq.len >= DB_LOGQ_MAX_BYTES)
        db__flush_log(db);
}

/* Commit tx and queue the changeset for the log.  On success *cs holds the
 * changeset (caller frees). */
/* reuse: cs is kept across commits (store_tx_commit_reuse). */
static int commit_into(db_t *db, store_tx_t *tx, int64_t ts_us, store_changeset_t *cs, bool reuse,
                       lc_err_t *err)
{
    int rc = reuse ? store_tx_commit_reuse(tx, cs, err) : store_tx_commit(tx, cs, err);
    if (rc)
        return rc;
    atomic_fetch_add(&db->stats.commits, 1);
    if (cs->tx_offset != 0 && db->writer)
        queue_log_record(db, cs, ts_us);
    return LC_OK;
}

int db__commit(db_t *db, store_tx_t *tx, int64_t ts_us, store_changeset_t *cs, lc_err_t *err)
{
    return commit_into(db, tx, ts_us, cs, false, err);
}

/* Tell the commit hook (subscriptions, the network layer) what changed. */
void db__notify_commit(db_t *db, const store_changeset_t *cs)
{
    if (db->cfg.on_commit && cs->tx_offset)
        db->cfg.on_commit(db->cfg.hook_arg, cs, db->calling);
}

/* Run reducer rid inside tx and finish tx by its outcome. */
void db__finish_reducer(db_t *db, store_tx_t *tx, uint32_t rid, const mod_caller_t *caller,
                        const uint8_t *args, size_t len, db_call_cb cb, void *arg)
{
    db_call_result_t res = {.timestamp_us = caller->timestamp_us, .request_id = caller->request_id};
    lc_err_t err;
    atomic_fetch_add(&db->stats.calls, 1);
    mod_host_call_reducer(db->host, tx, rid, caller, args, len, &res.outcome);
    if (res.outcome.status != MOD_OK) {
        store_tx_rollback(tx);
        atomic_fetch_add(&db->stats.rollbacks, 1);
        mod_log_error_for(db->log, mod_host_reducer_name(db->host, rid), caller->timestamp_us,
                          res.outcome.message);
        if (cb)
            cb(arg, &res);
        return;
    }
    /* The database's own changeset, reused call after call, unless a
     * callback below runs a reducer in turn. */
    store_changeset_t local, *cs = db->call_cs_busy ? &local : &db->call_cs;
    bool reuse = cs == &db->call_cs;
    if (commit_into(db, tx, caller->timestamp_us, cs, reuse, &err)) {
        outcome_set(&res.outcome, MOD_INTERNAL_ERROR, "commit failed: %s", err.msg);
        if (cb)
            cb(arg, &res);
        return;
    }
    res.tx_offset = cs->tx_offset;
    res.cs = cs;
    db->call_cs_busy |= reuse;
    db__notify_commit(db, cs);
    if (cb)
        cb(arg, &res);
    if (reuse)
        db->call_cs_busy = false;
    else
        store_changeset_free(cs);
}

/* Run reducer rid in a new transaction. */
void db__run_reducer(db_t *db, uint32_t rid, const mod_caller_t *caller, const uint8_t *args,
                     size_t len, db_call_cb cb, void *arg)
{
    store_tx_t *tx;
    lc_err_t err;
    if (store_tx_begin(db->store, &tx, &err)) {
        db_call_result_t res = {.timestamp_us = caller->timestamp_us,
                                .request_id = caller->request_id};
        outcome_set(&res.outcome, MOD_INTERNAL_ERROR, "%s", err.msg);
        if (cb)
            cb(arg, &res);
        return;
    }
    db__finish_reducer(db, tx, rid, caller, args, len, cb, arg);
}

/* ---------------------------------------------------------------- job kinds */

/* The reducer called name, remembering the last one found: clients call
 * the same few reducers over and over, and a comparison is cheaper than a
 * hash lookup.  The memory is keyed by the host and the definition's
 * generation (every install bumps it, so a new host at an old address
 * does not match). */
static int find_reducer(db_t *db, const char *name)
{
    if (db->last_reducer_host == db->host && db->last_reducer_gen == db->def_generation &&
        strcmp(db->last_reducer_name, name) == 0)
        return db->last_reducer_id;
    int rid = mod_host_reducer_find(db->host, name);
    if (rid >= 0 && strlen(name) < sizeof db->last_reducer_name) {
        strcpy(db->last_reducer_name, name);
        db->last_reducer_id = rid;
        db->last_reducer_host = db->host;
        db->last_reducer_gen = db->def_generation;
    }
    return rid;
}

static void run_call(db_t *db, db_job_t *j)
{
    db_call_result_t res = {.timestamp_us = j->caller.timestamp_us,
                            .request_id = j->caller.request_id};
    if (!db->host) {
        outcome_set(&res.outcome, MOD_BAD_REQUEST, "database has no module: publish one first");
        goto fail;
    }
    int rid = find_reducer(db, j->name);
    if (rid < 0) {
        if (mod_def_procedure(mod_host_def(db->host), j->name))
            outcome_set(&res.outcome, MOD_BAD_REQUEST,
                        "`%s` is a procedure; calling procedures is not supported yet", j->name);
        else
            outcome_set(&res.outcome, MOD_BAD_REQUEST, "no such reducer `%s`", j->name);
        goto fail;
    }
    if (mod_host_reducer_lifecycle(db->host, (uint32_t)rid) != MOD_LIFECYCLE_NONE) {
        outcome_set(&res.outcome, MOD_BAD_REQUEST,
                    "can't directly call special lifecycle reducer `%s`", j->name);
        goto fail;
    }
    lc_err_t err;
    if (mod_check_args(mod_host_def(db->host), (uint32_t)rid, j->args, j->len, &err)) {
        outcome_set(&res.outcome, MOD_BAD_REQUEST, "%s", err.msg);
        goto fail;
    }
    db->calling = &j->caller; /* the commit hook tells the caller apart */
    db__run_reducer(db, (uint32_t)rid, &j->caller, j->args, j->len, j->cb, j->arg);
    db->calling = NULL;
    return;
fail:
    mod_log_error_for(db->log, j->name, j->caller.timestamp_us, res.outcome.message);
    if (j->cb)
        j->cb(j->arg, &res);
}

/* Run one job; a pooled call job is handed back in *recycle instead of
 * being freed. */
static void run_job(db_t *db, db_job_t *j, db_job_t **recycle)
{
    switch (j->kind) {
    case DB_JOB_CALL:
        run_call(db, j);
        break;
    case DB_JOB_CONNECT:
        db__run_connect(db, j);
        break;
    case DB_JOB_DISCONNECT:
        db__run_disconnect(db, j);
        break;
    case DB_JOB_INSTALL:
        db__run_install(db, j); /* the waiting publisher frees the job */
        return;
    case DB_JOB_EXEC:
        j->exec_fn(j->arg, db);
        break;
    }
    if (j->pooled) {
        j->next = *recycle;
        *recycle = j;
    } else {
        job_free(j);
    }
}

/* Give finished pooled jobs back to the pool (one lock per batch). */
static void recycle_jobs(db_t *db, db_job_t *list)
{
    pthread_mutex_lock(&db->mu);
    while (list && db->nfree_jobs < DB_JOB_POOL_MAX) {
        db_job_t *next = list->next;
        list->next = db->free_jobs;
        db->free_jobs = list;
        db->nfree_jobs++;
        list = next;
    }
    pthread_mutex_unlock(&db->mu);
    while (list) {
        db_job_t *next = list->next;
        job_free(list);
        list = next;
    }
}

/* ---------------------------------------------------------------- executor */

static void *executor_main(void *arg)
{
    db_t *db = arg;
    executing = db;
    pthread_mutex_lock(&db->mu);
    for (;;) {
        if (!db->head) {
            if (db->stopping)
                break;
            int64_t due = db__sched_next_due(db);
            if (due < 0) {
                pthread_cond_wait(&db->cv, &db->mu);
            } else {
                int64_t now = lc_now_wall_us();
                if (due > now) {
                    struct timespec ts;
                    clock_gettime(CLOCK_REALTIME, &ts);
                    int64_t ns = ts.tv_nsec + (due - now) * 1000;
                    ts.tv_sec += ns / 1000000000;
                    ts.tv_nsec = ns % 1000000000;
                    pthread_cond_timedwait(&db->cv, &db->mu, &ts);
                }
            }
        }
        db_job_t *batch = db->head, *recycle = NULL;
        db->head = db->tail = NULL;
        atomic_store_explicit(&db->queued, false, memory_order_relaxed);
        pthread_mutex_unlock(&db->mu);
        while (batch) {
            db_job_t *next = batch->next;
            db->batch_rest = next != NULL;
            run_job(db, batch, &recycle);
            batch = next;
        }
        db->batch_rest = false;
        if (recycle)
            recycle_jobs(db, recycle);
        db__sched_run_due(db, lc_now_wall_us());
        db__flush_log(db);
        pthread_mutex_lock(&db->mu);
    }
    pthread_mutex_unlock(&db->mu);
    return NULL;
}

/* ---------------------------------------------------------------- public calls */

bool db_running_alone(db_t *db)
{
    return executing == db && !db->batch_rest &&
           !atomic_load_explicit(&db->queued, memory_order_relaxed);
}

static db_job_t *job_new(db_job_kind_t kind)
{
    db_job_t *j = lc_calloc(1, sizeof *j);
    if (j)
        j->kind = kind;
    return j;
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = lc_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* A call job with room for need bytes of name and arguments.  Small ones
 * come from the database's pool: jobs are allocated by clients' threads
 * and freed by the executor, a pattern that costs glibc's malloc page
 * faults and lock traffic on every call. */
static db_job_t *call_job_get(db_t *db, size_t need)
{
    db_job_t *j = NULL;
    if (need <= DB_JOB_INLINE) {
        pthread_mutex_lock(&db->mu);
        if ((j = db->free_jobs)) {
            db->free_jobs = j->next;
            db->nfree_jobs--;
        }
        pthread_mutex_unlock(&db->mu);
        if (!j)
            j = lc_malloc(sizeof *j + DB_JOB_INLINE);
    } else {
        j = lc_malloc(sizeof *j + need);
    }
    if (j) {
        memset(j, 0, sizeof *j);
        j->pooled = need <= DB_JOB_INLINE;
    }
    return j;
}

int db_call(db_t *db, const char *reducer, const uint8_t *args, size_t len,
            const mod_caller_t *caller, db_call_cb cb, void *arg)
{
    /* The job carries its name and arguments in its own allocation. */
    size_t nlen = strlen(reducer) + 1;
    db_job_t *j = call_job_get(db, nlen + len);
    if (!j)
        return LC_ENOMEM;
    j->kind = DB_JOB_CALL;
    j->inline_data = true;
    j->name = (char *)(j + 1);
    memcpy(j->name, reducer, nlen);
    j->args = len ? (uint8_t *)j->name + nlen : NULL;
    if (len)
        memcpy(j->args, args, len);
    j->len = len;
    j->caller = *caller;
    j->cb = cb;
    j->arg = arg;
    int rc = submit(db, j);
    if (rc)
        job_free(j);
    return rc;
}

int db_call_sync(db_t *db, const char *reducer, const uint8_t *args, size_t len,
                 const mod_caller_t *caller, db_call_result_t *out)
{
    waiter_t w;
    waiter_init(&w);
    int rc = db_call(db, reducer, args, len, caller, waiter_done_cb, &w);
    if (rc) {
        pthread_mutex_destroy(&w.mu);
        pthread_cond_destroy(&w.cv);
        return rc;
    }
    waiter_wait(&w);
    *out = w.res;
    return LC_OK;
}

/* A lifecycle job for (identity, connection_id), timestamped now. */
static db_job_t *client_job(db_job_kind_t kind, const uint8_t identity[32],
                            const uint8_t connection_id[16])
{
    db_job_t *j = job_new(kind);
    if (j) {
        memcpy(j->caller.identity, identity, 32);
        memcpy(j->caller.connection_id, connection_id, 16);
        j->caller.timestamp_us = lc_now_wall_us();
    }
    return j;
}

/* Queue j and wait for its result (j is the executor's afterwards). */
static int submit_and_wait(db_t *db, db_job_t *j, db_call_result_t *res)
{
    waiter_t w;
    waiter_init(&w);
    j->cb = waiter_done_cb;
    j->arg = &w;
    int rc = submit(db, j);
    if (rc) {
        job_free(j);
        pthread_mutex_destroy(&w.mu);
        pthread_cond_destroy(&w.cv);
        return rc;
    }
    waiter_wait(&w);
    if (res)
        *res = w.res;
    return LC_OK;
}

int db_connect(db_t *db, const uint8_t identity[32], const uint8_t connection_id[16],
               const char *jwt_payload, mod_outcome_t *out)
{
    db_job_t *j = client_job(DB_JOB_CONNECT, identity, connection_id);
    if (!j)
        return LC_ENOMEM;
    if (jwt_payload && !(j->jwt = dupstr(jwt_payload))) {
        job_free(j);
        return LC_ENOMEM;
    }
    db_call_result_t res;
    int rc = submit_and_wait(db, j, &res);
    if (rc == LC_OK && out)
        *out = res.outcome;
    return rc;
}

int db_disconnect(db_t *db, const uint8_t identity[32], const uint8_t connection_id[16])
{
    db_job_t *j = client_job(DB_JOB_DISCONNECT, identity, connection_id);
    return j ? submit_and_wait(db, j, NULL) : LC_ENOMEM;
}

int db_exec(db_t *db, void (*fn)(void *arg, db_t *db), void *arg)
{
    db_job_t *j = job_new(DB_JOB_EXEC);
    if (!j)
        return LC_ENOMEM;
    j->exec_fn = fn;
    j->arg = arg;
    int rc = submit(db, j);
    if (rc)
        job_free(j);
    return rc;
}

int db_exec_write(db_t *db, int (*fn)(void *arg, store_tx_t *tx, lc_err_t *err), void *arg,
                  uint64_t *tx_offset, lc_err_t *err)
{
    store_tx_t *tx;
    *tx_offset = 0;
    int rc = store_tx_begin(db->store, &tx, err);
    if (rc)
        return rc;
    if ((rc = fn(arg, tx, err))) {
        store_tx_rollback(tx);
        return rc;
    }
    store_changeset_t cs;
    if ((rc = db__commit(db, tx, lc_now_wall_us(), &cs, err)))
        return rc;
    *tx_offset = cs.tx_offset;
    db__notify_commit(db, &cs);
    store_changeset_free(&cs);
    return LC_OK;
}

uint64_t db_committed_offset(db_t *db)
{
    return store_db_committed_offset(db->store);
}

int db__submit_install(db_t *db, db_job_t *j, db_call_result_t *res)
{
    return submit_and_wait(db, j, res); /* frees j if it cannot be queued */
}

db_job_t *db__job_new(db_job_kind_t kind)
{
    return job_new(kind);
}

void db__job_free(db_job_t *j)
{
    job_free(j);
}

/* ---------------------------------------------------------------- open / close */

static void on_durable(void *arg, uint64_t offset)
{
    db_t *db = arg;
    if (db->cfg.on_durable) /* replies waiting for this offset first */
        db->cfg.on_durable(db->cfg.hook_arg, offset);
    if (db->snap)
        dur_snapshotter_notify(db->snap, offset);
}

static int open_durable(db_t *db, lc_err_t *err)
{
    dur_recovery_info_t info;
    int rc = dur_recover(db->cfg.dir, &db->store, &info, err);
    if (rc)
        return lc_err_prefix(err, "recovering database in %s: ", db->cfg.dir);
    dur_log_t *log;
    if ((rc = dur_log_open(db->cfg.dir, NULL, &log, NULL, err)))
        return rc;
    if ((rc = dur_writer_start(log, db->cfg.fsync, db->cfg.fsync_interval_ms, on_durable, db,
                               &db->writer, err))) {
        dur_log_close(log, NULL);
        return rc;
    }
    /* The reference's cadence (SNAPSHOT_FREQUENCY, engine.md §3.10).  Every
     * 100,000 cost a bank load 3 snapshots a second, 4% of the machine. */
    uint64_t every = db->cfg.snapshot_every ? db->cfg.snapshot_every : DB_SNAPSHOT_EVERY;
    return dur_snapshotter_start(db->cfg.dir, db->store, every, 2, &db->snap, err);
}

int db_open(const db_config_t *cfg, db_t **out, lc_err_t *err)
{
    db_t *db = lc_calloc(1, sizeof *db);
    if (!db)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    db->cfg = *cfg;
    if (cfg->dir && !(db->cfg.dir = db->dir = dupstr(cfg->dir))) {
        lc_free(db);
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    }
    lc_buf_init(&db->logq);
    lc_map_init(&db->sched_live);
    lc_map_init(&db->jwts);
    pthread_mutex_init(&db->mu, NULL);
    pthread_cond_init(&db->cv, NULL);
    int rc;
    if (cfg->dir) {
        if (mkdir(cfg->dir, 0700) && errno != EEXIST) {
            rc = lc_err_set(err, LC_EIO, "cannot create %s: %s", cfg->dir, strerror(errno));
            goto fail;
        }
        rc = open_durable(db, err);
    } else {
        rc = store_db_open(&db->store, err);
    }
    if (rc)
        goto fail;
    char logdir[4096];
    if (cfg->dir)
        snprintf(logdir, sizeof logdir, "%s/module_logs", cfg->dir);
    mod_log_config_t lcfg = {0};
    lcfg.max_total_bytes = cfg->log_max_bytes;
    if ((rc = mod_log_open(cfg->dir ? logdir : NULL, &lcfg, &db->log, err)))
        goto fail;
    if ((rc = db__load_module(db, err)))
        goto fail;
    if (pthread_create(&db->thread, NULL, executor_main, db)) {
        rc = lc_err_set(err, LC_ENOMEM, "cannot start the database's executor thread");
        goto fail;
    }
    db->thread_started = true;
    *out = db;
    return LC_OK;
fail:
    db_close(db);
    return rc;
}

void db_close(db_t *db)
{
    if (!db)
        return;
    if (db->thread_started) {
        pthread_mutex_lock(&db->mu);
        db->stopping = true;
        pthread_cond_signal(&db->cv);
        pthread_mutex_unlock(&db->mu);
        pthread_join(db->thread, NULL);
    }
    /* The writer first: its on_durable callback feeds the snapshotter. */
    if (db->writer) {
        lc_err_t err;
        if (dur_writer_stop(db->writer, &err))
            lc_log(LC_LOG_ERROR, "closing the log of %s: %s", db->cfg.dir, err.msg);
    }
    if (db->snap)
        dur_snapshotter_stop(db->snap);
    mod_host_free(db->host);
    db__sched_free(db);
    if (db->log)
        mod_log_close(db->log);
    if (db->store)
        store_db_close(db->store);
    lc_buf_free(&db->logq);
    store_changeset_free(&db->call_cs);
    while (db->free_jobs) {
        db_job_t *next = db->free_jobs->next;
        job_free(db->free_jobs);
        db->free_jobs = next;
    }
    size_t pos = 0;
    const void *k;
    size_t kl;
    void *v;
    while (lc_map_next(&db->jwts, &pos, &k, &kl, &v)) lc_free(v);
    lc_map_free(&db->jwts);
    pthread_mutex_destroy(&db->mu);
    pthread_cond_destroy(&db->cv);
    lc_free(db->dir);
    lc_free(db);
}

/* ---------------------------------------------------------------- parts */

store_db_t *db_store(db_t *db)
{
    return db->store;
}

mod_log_t *db_log(db_t *db)
{
    return db->log;
}

const mod_def_t *db_def(db_t *db)
{
    return db->host ? mod_host_def(db->host) : NULL;
}

int db_def_bytes(db_t *db, lc_buf_t *out)
{
    if (!db->host)
        return LC_ENOTFOUND;
    size_t len;
    const uint8_t *p = mod_host_def_bytes(db->host, &len);
    return lc_buf_append(out, p, len) ? LC_ENOMEM : LC_OK;
}

uint64_t db_def_generation(db_t *db)
{
    return db->def_generation;
}

bool db_has_module(db_t *db)
{
    return atomic_load(&db->has_module);
}

uint64_t db_durable_offset(db_t *db)
{
    return db->writer ? dur_writer_durable(db->writer) : store_db_committed_offset(db->store);
}

int db_wait_durable(db_t *db, uint64_t offset, int64_t timeout_us)
{
    return db->writer ? dur_writer_wait(db->writer, offset, timeout_us) : LC_OK;
}

void db_stats(db_t *db, db_stats_t *out)
{
    out->calls = atomic_load(&db->stats.calls);
    out->commits = atomic_load(&db->stats.commits);
    out->rollbacks = atomic_load(&db->stats.rollbacks);
    out->scheduled_runs = atomic_load(&db->stats.scheduled_runs);
}
