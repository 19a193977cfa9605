/*
 * Client lifecycle (module-abi.md §6.3): connect writes the client's
 * st_client row and runs client_connected in the same transaction — if
 * the reducer fails, the transaction rolls back and the connection is
 * refused.  Disconnect runs client_disconnected with the row's removal in
 * one transaction; if the reducer fails, a second transaction removes the
 * row anyway, because a disconnect cannot be refused.
 *
 * JWT payloads (for the get_jwt import) are kept in memory per connection
 * id for as long as the client is connected.
 */
#include <stdio.h>
#include <string.h>

#include "db/db_int.h"

static void client_row(uint8_t row[48], const mod_caller_t *c)
{
    memcpy(row, c->identity, 32);
    memcpy(row + 32, c->connection_id, 16);
}

int db__jwt_lookup(void *arg, const uint8_t connection_id[16], const uint8_t **payload, size_t *len)
{
    db_t *db = arg;
    const char *p = lc_map_get(&db->jwts, connection_id, 16);
    if (!p)
        return LC_ENOTFOUND;
    *payload = (const uint8_t *)p;
    *len = strlen(p);
    return LC_OK;
}

static void forget_jwt(db_t *db, const uint8_t connection_id[16])
{
    lc_free(lc_map_del(&db->jwts, connection_id, 16));
}

static void report(db_job_t *j, mod_status_t st, const char *msg)
{
    db_call_result_t res = {.timestamp_us = j->caller.timestamp_us,
                            .request_id = j->caller.request_id};
    res.outcome.status = st;
    if (msg)
        snprintf(res.outcome.message, sizeof res.outcome.message, "%s", msg);
    if (j->cb)
        j->cb(j->arg, &res);
}

static int commit_quietly(db_t *db, store_tx_t *tx, int64_t ts, lc_err_t *err)
{
    store_changeset_t cs;
    int rc = db__commit(db, tx, ts, &cs, err);
    if (rc == LC_OK) {
        db__notify_commit(db, &cs);
        store_changeset_free(&cs);
    }
    return rc;
}

typedef struct connect_ctx {
    db_job_t *job;
    db_t *db;
} connect_ctx_t;

static void connect_done(void *arg, const db_call_result_t *res)
{
    connect_ctx_t *c = arg;
    if (res->outcome.status != MOD_OK)
        forget_jwt(c->db, c->job->caller.connection_id);
    if (c->job->cb)
        c->job->cb(c->job->arg, res);
}

void db__run_connect(db_t *db, db_job_t *j)
{
    lc_err_t err;
    store_tx_t *tx;
    if (store_tx_begin(db->store, &tx, &err)) {
        report(j, MOD_INTERNAL_ERROR, err.msg);
        return;
    }
    uint8_t row[48];
    client_row(row, &j->caller);
    store_insert_result_t ir;
    if (store_insert(tx, STORE_ST_CLIENT, row, sizeof row, &ir, &err)) {
        store_tx_rollback(tx);
        report(j, MOD_INTERNAL_ERROR, err.msg);
        return;
    }
    if (j->jwt) {
        if (lc_map_put(&db->jwts, j->caller.connection_id, 16, j->jwt, NULL) == LC_OK)
            j->jwt = NULL; /* the map owns it now */
    }
    int rid = db->host ? mod_host_lifecycle_reducer(db->host, MOD_LIFECYCLE_CONNECT) : -1;
    if (rid < 0) {
        if (commit_quietly(db, tx, j->caller.timestamp_us, &err))
            report(j, MOD_INTERNAL_ERROR, err.msg);
        else
            report(j, MOD_OK, NULL);
        return;
    }
    connect_ctx_t c = {j, db};
    db__finish_reducer(db, tx, (uint32_t)rid, &j->caller, NULL, 0, connect_done, &c);
}

static void ignore_result(void *arg, const db_call_result_t *res)
{
    *(bool *)arg = res->outcome.status == MOD_OK;
}

/* Remove the client's row; *existed says whether it was there. */
static int delete_client_row(db_t *db, store_tx_t *tx, const mod_caller_t *c, bool *existed,
                             lc_err_t *err)
{
    uint8_t row[48];
    client_row(row, c);
    uint32_t n = 0;
    int rc = store_delete_value(tx, STORE_ST_CLIENT, row, sizeof row, &n, err);
    *existed = n > 0;
    return rc;
}

static void disconnect(db_t *db, const mod_caller_t *caller)
{
    lc_err_t err;
    store_tx_t *tx;
    bool existed = false, ok = false;
    forget_jwt(db, caller->connection_id);
    if (store_tx_begin(db->store, &tx, &err))
        return;
    if (delete_client_row(db, tx, caller, &existed, &err) || !existed) {
        store_tx_rollback(tx); /* not connected: nothing to do */
        return;
    }
    int rid = db->host ? mod_host_lifecycle_reducer(db->host, MOD_LIFECYCLE_DISCONNECT) : -1;
    if (rid >= 0) {
        db__finish_reducer(db, tx, (uint32_t)rid, caller, NULL, 0, ignore_result, &ok);
        if (ok)
            return;
        /* The reducer failed and its transaction rolled back, row
         * included: remove the row on its own. */
        if (store_tx_begin(db->store, &tx, &err))
            return;
        if (delete_client_row(db, tx, caller, &existed, &err)) {
            store_tx_rollback(tx);
            return;
        }
    }
    if (commit_quietly(db, tx, caller->timestamp_us, &err))
        lc_log(LC_LOG_ERROR, "disconnect: %s", err.msg);
}

void db__run_disconnect(db_t *db, db_job_t *j)
{
    disconnect(db, &j->caller);
    report(j, MOD_OK, NULL);
}

/* Clients still in st_client after a crash never disconnected: run the
 * disconnect procedure for each (before the executor starts). */
int db__disconnect_leftovers(db_t *db)
{
    store_tx_t *tx;
    store_rows_t rows;
    store_rows_init(&rows);
    int rc = store_tx_begin(db->store, &tx, NULL);
    if (rc)
        return rc;
    rc = store_tx_scan(tx, STORE_ST_CLIENT, &rows, NULL);
    store_tx_rollback(tx);
    for (uint32_t i = 0; rc == LC_OK && i < rows.count; i++) {
        mod_caller_t c = {.timestamp_us = lc_now_wall_us()};
        memcpy(c.identity, rows.data.data + rows.offsets[i], 32);
        memcpy(c.connection_id, rows.data.data + rows.offsets[i] + 32, 16);
        disconnect(db, &c);
    }
    store_rows_free(&rows);
    return rc;
}
