/*
 * Publishing: the first publish of a database (create tables, run init),
 * updates (automatic migrations, module-abi.md §6.5), --delete-data, and
 * loading the stored module when a database opens.
 *
 * The module's bytes live in st_module (engine.md §1.7), so a database's
 * program is as durable as its data and travels with backups; the
 * compiled shared object is only a cache (wasm.h).
 *
 * Steps of a first publish (module-abi.md §6.2), all in ONE transaction so
 * that a failing init leaves nothing behind:
 *   1. create every table, in order of canonical name;
 *   2. write the st_module row;
 *   3. call init (if any) as the owner, connection id 0, empty args;
 *   4. commit, log "Database initialized", load the scheduler.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"
#include "sql/sql.h"

#define MODULE_VERSION "lightcone-1"

mod_host_config_t db__host_config(db_t *db)
{
    mod_host_config_t c = {
        .engine = db->cfg.engine,
        .limits = db->cfg.limits,
        .log = db->log,
        .on_schedule = db__on_schedule,
        .hook_arg = db,
        .jwt = db__jwt_lookup,
    };
    memcpy(c.database_identity, db->cfg.identity, 32);
    return c;
}

/* ---------------------------------------------------------------- st_module */

static int write_module_row(db_t *db, store_tx_t *tx, const mod_host_t *h, const uint8_t *owner,
                            const uint8_t *wasm, size_t len, lc_err_t *err)
{
    lc_buf_t b;
    lc_buf_init(&b);
    lc_buf_append(&b, db->cfg.identity, 32);
    lc_buf_append(&b, owner, 32);
    lc_buf_putc(&b, 0); /* program_kind: wasm */
    lc_buf_put_u32le(&b, 32);
    lc_buf_append(&b, mod_host_hash(h), 32);
    lc_buf_put_u32le(&b, (uint32_t)len);
    lc_buf_append(&b, wasm, len);
    lc_buf_put_u32le(&b, sizeof MODULE_VERSION - 1);
    lc_buf_append(&b, MODULE_VERSION, sizeof MODULE_VERSION - 1);
    int rc = b.oom ? lc_err_set(err, LC_ENOMEM, "out of memory") : LC_OK;
    store_insert_result_t res;
    if (rc == LC_OK)
        rc = store_insert(tx, STORE_ST_MODULE, b.data, b.len, &res, err);
    lc_buf_free(&b);
    return rc;
}

/* The st_module row, if any: owner and program bytes (pointing into rows). */
typedef struct module_row {
    const uint8_t *owner;
    const uint8_t *program;
    uint32_t program_len;
    const uint8_t *row; /* whole row, for deleting it */
    size_t row_len;
} module_row_t;

static int read_module_row(store_tx_t *tx, store_rows_t *rows, module_row_t *out, lc_err_t *err)
{
    int rc = store_tx_scan(tx, STORE_ST_MODULE, rows, err);
    if (rc || rows->count == 0)
        return rc ? rc : LC_ENOTFOUND;
    size_t len = rows->count > 1 ? rows->offsets[1] : rows->data.len;
    lc_rd_t r = lc_rd_make(rows->data.data, len);
    const uint8_t *skip, *hash;
    uint32_t hash_len = 0;
    out->row = rows->data.data;
    out->row_len = len;
    out->owner = rows->data.data + 32;
    if (lc_rd_bytes(&r, 65, &skip) || lc_rd_u32le(&r, &hash_len) ||
        lc_rd_bytes(&r, hash_len, &hash) || lc_rd_u32le(&r, &out->program_len) ||
        lc_rd_bytes(&r, out->program_len, &out->program))
        return lc_err_set(err, LC_ECORRUPT, "st_module row does not decode");
    return LC_OK;
}

/* ---------------------------------------------------------------- first publish */

static int cmp_table_names(const void *a, const void *b, void *arg)
{
    const mod_def_t *d = arg;
    return strcmp(d->tables[*(const uint32_t *)a].name, d->tables[*(const uint32_t *)b].name);
}

/* Create every table of h's definition inside tx (step 1). */
static int create_tables(db_t *db, store_tx_t *tx, const mod_def_t *def, lc_err_t *err)
{
    uint32_t n = def->ntables;
    uint32_t *order = lc_malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) order[i] = i;
    qsort_r(order, n, sizeof *order, cmp_table_names, (void *)def);
    int rc = LC_OK;
    for (uint32_t i = 0; rc == LC_OK && i < n; i++) {
        lc_arena_t a;
        lc_arena_init(&a, 0);
        store_table_def_t sdef;
        uint32_t id;
        rc = mod_def_table_store_def(def, order[i], &a, &sdef, err);
        if (rc == LC_OK)
            rc = store_create_table(tx, &sdef, &id, err);
        if (rc == LC_OK)
            mod_log_system(db->log, "Creating table `%s`", sdef.name);
        lc_arena_free(&a);
    }
    lc_free(order);
    return rc;
}

/* Drop every user table and the st_module row (--delete-data). */
static int clear_database(db_t *db, store_tx_t *tx, lc_err_t *err)
{
    uint32_t *ids, n;
    int rc = store_table_ids(db->store, &ids, &n, err);
    for (uint32_t i = 0; rc == LC_OK && i < n; i++)
        if (ids[i] >= STORE_FIRST_USER_ID)
            rc = store_drop_table(tx, ids[i], err);
    if (rc == LC_OK)
        lc_free(ids);
    uint64_t cleared;
    if (rc == LC_OK)
        rc = store_clear(tx, STORE_ST_MODULE, &cleared, err);
    return rc;
}

static void init_result_cb(void *arg, const db_call_result_t *res)
{
    *(mod_outcome_t *)arg = res->outcome;
}

/* Row-level security rules are checked once their tables exist, at init
 * and at each update (module-abi.md §5): a rule that does not plan
 * refuses the publish. */
static int check_rls(db_t *db, const mod_def_t *def, lc_err_t *err)
{
    if (def->nrls == 0)
        return LC_OK;
    for (uint32_t i = 0; i < def->nrls; i++)
        mod_log_system(db->log, "Creating row level security `%s`", def->rls[i]);
    lc_arena_t a;
    sql_schema_t sc;
    lc_arena_init(&a, 16 * 1024);
    int rc = sql_schema_from_def(def, db->store, &a, &sc, err);
    lc_arena_free(&a);
    return rc;
}

static int first_publish(db_t *db, db_job_t *j, store_tx_t *tx, const uint8_t *wasm, size_t len)
{
    mod_host_t *h = j->host;
    const mod_def_t *def = mod_host_def(h);
    int rc = create_tables(db, tx, def, j->err);
    if (rc == LC_OK)
        rc = check_rls(db, def, j->err);
    if (rc == LC_OK)
        rc = write_module_row(db, tx, h, j->opts->owner, wasm, len, j->err);
    if (rc == LC_OK)
        rc = mod_host_bind(h, db->store, j->err);
    if (rc) {
        store_tx_rollback(tx);
        return rc;
    }
    /* The new host becomes the database's now, so that init (and any
     * schedule row it writes) runs against it. */
    mod_host_t *old = db->host;
    db->host = h;
    int init = mod_host_lifecycle_reducer(h, MOD_LIFECYCLE_INIT);
    mod_caller_t caller = {.timestamp_us = lc_now_wall_us()};
    memcpy(caller.identity, j->opts->owner, 32);
    mod_outcome_t out = {0};
    if (init >= 0) {
        mod_log_system(db->log, "Invoking `init` reducer");
        db__finish_reducer(db, tx, (uint32_t)init, &caller, NULL, 0, init_result_cb, &out);
    } else {
        store_changeset_t cs;
        if (db__commit(db, tx, caller.timestamp_us, &cs, j->err) == LC_OK) {
            db__notify_commit(db, &cs);
            store_changeset_free(&cs);
        } else {
            out.status = MOD_INTERNAL_ERROR;
            snprintf(out.message, sizeof out.message, "%s", j->err->msg);
        }
    }
    if (out.status != MOD_OK) {
        db->host = old;
        db__sched_clear(db);
        if (old)
            mod_host_bind(old, db->store, NULL);
        return lc_err_set(j->err, LC_EINVAL, "init reducer failed: %s", out.message);
    }
    j->host = old; /* freed by the caller of install */
    mod_log_system(db->log, "Database initialized");
    db__sched_clear(db);
    db__sched_load(db);
    j->result->created = true;
    return LC_OK;
}

/* ---------------------------------------------------------------- update */

static int update_module(db_t *db, db_job_t *j, store_tx_t *tx, const uint8_t *wasm, size_t len)
{
    mod_host_t *h = j->host;
    mod_migration_t *plan = NULL;
    int rc = mod_def_plan_migration(mod_host_def(db->host), mod_host_def(h), &plan, j->err);
    if (rc == LC_OK)
        mod_migration_render(plan, &j->result->plan);
    if (rc) {
        store_tx_rollback(tx);
        mod_migration_free(plan);
        return rc;
    }
    if (plan->refused) {
        store_tx_rollback(tx);
        mod_migration_free(plan);
        return lc_err_set(j->err, LC_EINVAL,
                          "this update needs a manual migration; publish with --delete-data "
                          "to clear the database, or change the module:\n%.*s",
                          (int)j->result->plan.len, (const char *)j->result->plan.data);
    }
    j->result->breaks_clients = plan->breaks_clients;
    rc = db__apply_migration(db, tx, mod_host_def(db->host), mod_host_def(h), plan, j->err);
    mod_migration_free(plan);
    if (rc == LC_OK)
        rc = check_rls(db, mod_host_def(h), j->err);
    store_rows_t rows;
    store_rows_init(&rows);
    module_row_t mr;
    uint8_t owner[32];
    if (rc == LC_OK && (rc = read_module_row(tx, &rows, &mr, j->err)) == LC_OK) {
        uint32_t n;
        memcpy(owner, mr.owner, 32);
        rc = store_delete_value(tx, STORE_ST_MODULE, mr.row, mr.row_len, &n, j->err);
    }
    store_rows_free(&rows);
    if (rc == LC_OK)
        rc = write_module_row(db, tx, h, owner, wasm, len, j->err);
    if (rc == LC_OK)
        rc = mod_host_bind(h, db->store, j->err);
    store_changeset_t cs;
    if (rc == LC_OK)
        rc = db__commit(db, tx, lc_now_wall_us(), &cs, j->err);
    else
        store_tx_rollback(tx);
    if (rc) {
        mod_host_bind(db->host, db->store, NULL);
        mod_log_system(db->log, "Database update failed: %s", j->err->msg);
        return rc;
    }
    db__notify_commit(db, &cs);
    store_changeset_free(&cs);
    j->host = db->host;
    db->host = h;
    mod_log_system(db->log, "Updated program to %02x%02x%02x%02x…", mod_host_hash(h)[0],
                   mod_host_hash(h)[1], mod_host_hash(h)[2], mod_host_hash(h)[3]);
    mod_log_system(db->log, "Database updated");
    db__sched_clear(db);
    db__sched_load(db);
    j->result->updated = true;
    return LC_OK;
}

/* The executor's half of db_publish. */
void db__run_install(db_t *db, db_job_t *j)
{
    db_call_result_t res = {0};
    store_tx_t *tx;
    j->rc = store_tx_begin(db->store, &tx, j->err);
    if (j->rc == LC_OK && j->opts->clear && db->host) {
        if ((j->rc = clear_database(db, tx, j->err)))
            store_tx_rollback(tx);
        else {
            /* From here it is a first publish: the old host stays until
             * the new one has succeeded. */
            mod_host_t *old = db->host;
            db->host = NULL;
            j->rc = first_publish(db, j, tx, j->wasm, j->wasm_len);
            if (j->rc) {
                db->host = old;
                mod_host_bind(old, db->store, NULL);
                db__sched_clear(db);
                db__sched_load(db);
            } else {
                mod_host_free(old);
            }
        }
    } else if (j->rc == LC_OK) {
        j->rc = db->host ? update_module(db, j, tx, j->wasm, j->wasm_len)
                         : first_publish(db, j, tx, j->wasm, j->wasm_len);
    }
    /* Whichever host lost — the replaced one, or the new one on failure —
     * is freed here, on the thread that ran it last. */
    mod_host_free(j->host);
    j->host = NULL;
    atomic_store(&db->has_module, db->host != NULL);
    db->def_generation++; /* whatever happened, borrowed definitions are stale */
    if (j->cb)
        j->cb(j->arg, &res);
}

int db_publish(db_t *db, const uint8_t *wasm, size_t len, const db_publish_opts_t *opts,
               db_publish_result_t *result, lc_err_t *err)
{
    memset(result, 0, sizeof *result);
    lc_buf_init(&result->plan);
    mod_host_config_t hc = db__host_config(db);
    mod_host_t *h;
    bool had_module = db_has_module(db);
    int rc = mod_host_create(&hc, wasm, len, opts->progress, opts->progress_arg, &h, err);
    if (rc)
        return rc;
    db_job_t *j = db__job_new(DB_JOB_INSTALL);
    if (!j) {
        mod_host_free(h);
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    }
    j->host = h;
    j->opts = opts;
    j->result = result;
    j->err = err;
    j->wasm = wasm;
    j->wasm_len = len;
    db_call_result_t res;
    rc = db__submit_install(db, j, &res);
    if (rc) {
        mod_host_free(h); /* the job itself was freed */
        return lc_err_set(err, rc, "the database is shutting down");
    }
    rc = j->rc;
    result->rejected = rc != LC_OK && had_module && !opts->clear;
    db__job_free(j);
    return rc;
}

/* ---------------------------------------------------------------- open */

/* At open: if st_module holds a program, compile (usually a cache hit),
 * bind, reload schedules and disconnect clients a crash left behind. */
int db__load_module(db_t *db, lc_err_t *err)
{
    store_tx_t *tx;
    int rc = store_tx_begin(db->store, &tx, err);
    if (rc)
        return rc;
    store_rows_t rows;
    store_rows_init(&rows);
    module_row_t mr;
    rc = read_module_row(tx, &rows, &mr, err);
    if (rc == LC_ENOTFOUND) {
        store_rows_free(&rows);
        store_tx_rollback(tx);
        return LC_OK;
    }
    mod_host_config_t hc = db__host_config(db);
    if (rc == LC_OK)
        rc = mod_host_create(&hc, mr.program, mr.program_len, NULL, NULL, &db->host, err);
    store_rows_free(&rows);
    store_tx_rollback(tx);
    if (rc == LC_OK)
        rc = mod_host_bind(db->host, db->store, err);
    if (rc)
        return lc_err_prefix(err, "loading the database's module: ");
    atomic_store(&db->has_module, true);
    if ((rc = db__sched_load(db)))
        return lc_err_set(err, rc, "loading schedules");
    return db__disconnect_leftovers(db);
}

/* ---------------------------------------------------------------- dry run */

typedef struct plan_job {
    const mod_host_t *host;
    db_publish_result_t *result;
    lc_err_t *err;
    int rc;
} plan_job_t;

static void plan_on_executor(void *arg, db_t *db)
{
    plan_job_t *p = arg;
    if (!db->host) {
        p->rc = lc_err_set(p->err, LC_ENOTFOUND, "the database has no module yet");
        return;
    }
    mod_migration_t *plan = NULL;
    p->rc = mod_def_plan_migration(mod_host_def(db->host), mod_host_def(p->host), &plan, p->err);
    if (p->rc == LC_OK) {
        mod_migration_render(plan, &p->result->plan);
        p->result->breaks_clients = plan->breaks_clients;
        p->result->rejected = plan->refused;
    }
    mod_migration_free(plan);
}

typedef struct plan_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    plan_job_t job;
} plan_wait_t;

static void plan_trampoline(void *arg, db_t *db)
{
    plan_wait_t *w = arg;
    plan_on_executor(&w->job, db);
    pthread_mutex_lock(&w->mu);
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int db_plan_update(db_t *db, const uint8_t *wasm, size_t len, db_publish_result_t *result,
                   lc_err_t *err)
{
    memset(result, 0, sizeof *result);
    lc_buf_init(&result->plan);
    mod_host_config_t hc = db__host_config(db);
    hc.on_schedule = NULL; /* this host never runs a call */
    mod_host_t *h;
    int rc = mod_host_create(&hc, wasm, len, NULL, NULL, &h, err);
    if (rc)
        return rc;
    plan_wait_t w = {.job = {.host = h, .result = result, .err = err}};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    rc = db_exec(db, plan_trampoline, &w);
    if (rc == LC_OK) {
        pthread_mutex_lock(&w.mu);
        while (!w.done) pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        rc = w.job.rc;
    } else {
        lc_err_set(err, rc, "the database is shutting down");
    }
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
    mod_host_free(h);
    return rc;
}
