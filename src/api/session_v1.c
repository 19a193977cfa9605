/*
 * session_v1.c — WebSocket sessions speaking the legacy v1 protocol
 * (v1.bsatn.spacetimedb, v1.json.spacetimedb; ../shared/spec/protocol.md
 * §6, §4.8), on the machinery of session.c (session_priv.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/session_priv.h"

/* ---------------------------------------------------------------- v1 (protocol.md §6, §4.8)
 *
 * A v1 session shares the machinery above: its Subscribe/SubscribeSingle/
 * SubscribeMulti become query sets (the legacy Subscribe's set has the id
 * V1_LEGACY_SET and is replaced by the next Subscribe), reads run on the
 * executor, messages go through sess__deliver.  What differs is the codec
 * (net_v1_*), and that execution errors never close the connection: a
 * failed call is a TransactionUpdate with status Failed.  Calls whose
 * arguments came as JSON are converted on the executor first and queued
 * from there, behind messages of the same client queued meanwhile. */

#define V1_LEGACY_SET UINT32_MAX

void sess__v1_send(session_t *s, const net_v1_server_msg_t *m, bool rows, uint64_t offset)
{
    lc_buf_t b;
    lc_err_t err;
    lc_buf_init(&b);
    if (net_v1_encode_server(&b, s->json, true, m, &err))
        sess__encode_failed(s, &err);
    else
        sess__deliver(s, &b, rows, offset);
    lc_buf_free(&b);
}

static void v1_sub_error(session_t *s, const net_v1_client_msg_t *m, const char *msg)
{
    net_v1_server_msg_t r = {.kind = NET_V1_SM_SUBSCRIPTION_ERROR,
                             .request_id = m->request_id,
                             .has_request_id = true,
                             .query_id = m->query_id,
                             .has_query_id = m->kind != NET_V1_CM_SUBSCRIBE,
                             .error = msg};
    sess__v1_send(s, &r, false, 0);
}

/* The row type of table name, for JSON rows (executor). */
static void v1_row_type(db_t *db, const char *name, net_v1_table_update_t *t)
{
    const mod_def_t *def = db_def(db);
    const mod_table_t *mt = def ? mod_def_table(def, name) : NULL;
    t->ts = def ? &def->typespace : NULL;
    t->row_type = mt ? mt->row_type : NULL;
}

/* v1 TableUpdates of a scan: rows as inserts, or as deletes. */
static int v1_tables(db_t *db, const tlist_t *l, const store_rows_t *rows, bool keep_empty,
                     bool as_deletes, net_v1_table_update_t **out, uint32_t *n)
{
    *out = l->n ? lc_calloc(l->n, sizeof **out) : NULL;
    *n = 0;
    if (l->n && !*out)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < l->n; i++) {
        if (rows[i].count == 0 && !keep_empty)
            continue;
        net_v1_table_update_t *t = &(*out)[(*n)++];
        t->table_id = l->t[i].table_id;
        t->table_name = l->t[i].name;
        v1_row_type(db, l->t[i].name, t);
        sess__rows_from_scan(&rows[i], as_deletes ? &t->deletes : &t->inserts);
    }
    return LC_OK;
}

static void v1_drop_set(session_t *s, uint32_t pos)
{
    sess__qset_free(s, &s->sets[pos]);
    memmove(&s->sets[pos], &s->sets[pos + 1], (s->nsets - pos - 1) * sizeof *s->sets);
    s->nsets--;
    sess__sets_counted(s, s->nsets + 1);
    atomic_fetch_sub(&s->api->stats.subscriptions, 1);
}

/* The current rows of l's tables as v1 TableUpdates (executor): scan, then
 * convert.  The caller frees *tu and the scans (sess__scans_free(*rows, l->n)). */
static int v1_scan(db_t *db, const tlist_t *l, bool keep_empty, bool as_deletes,
                   store_rows_t **rows, net_v1_table_update_t **tu, uint32_t *ntu, uint64_t *offset,
                   lc_err_t *err)
{
    int rc = sess__scan_tables(db, l, rows, offset, err);
    if (rc == LC_OK && v1_tables(db, l, *rows, keep_empty, as_deletes, tu, ntu))
        rc = lc_err_set(err, LC_ENOMEM, "out of memory");
    return rc;
}

/* Answer a (un)subscribe: the applied message of kind with the scanned
 * tables tu (freed here), or on failure (rc) the SubscriptionError. */
static void v1_answer(session_t *s, const net_v1_client_msg_t *m, net_v1_server_kind_t kind,
                      uint64_t t0, int rc, const lc_err_t *err, net_v1_table_update_t *tu,
                      uint32_t ntu, uint64_t offset)
{
    if (rc == LC_OK) {
        net_v1_server_msg_t r = {.kind = kind,
                                 .request_id = m->request_id,
                                 .query_id = m->query_id,
                                 .duration_us = (int64_t)(lc_now_mono_us() - t0),
                                 .ntables = ntu,
                                 .tables = tu};
        sess__v1_send(s, &r, true, offset);
    } else {
        v1_sub_error(s, m, err->msg);
    }
    lc_free(tu);
}

/* Subscribe (the legacy set), SubscribeSingle and SubscribeMulti. */
static void v1_subscribe(session_t *s, db_t *db, const net_v1_client_msg_t *m)
{
    uint64_t t0 = lc_now_mono_us();
    bool legacy = m->kind == NET_V1_CM_SUBSCRIBE, single = m->kind == NET_V1_CM_SUBSCRIBE_SINGLE;
    uint32_t id = legacy ? V1_LEGACY_SET : m->query_id, pos;
    lc_err_t err;
    if (!legacy && sess__find_set(s, id, NULL)) {
        char msg[96];
        snprintf(msg, sizeof msg, "query id %u is already in use", id);
        v1_sub_error(s, m, msg);
        return;
    }
    tlist_t l = {0};
    store_rows_t *rows = NULL;
    net_v1_table_update_t *tu = NULL;
    uint32_t ntu = 0;
    uint64_t offset = 0;
    int rc = LC_OK;
    for (uint32_t i = 0; rc == LC_OK && i < m->nqueries; i++)
        rc = sess__resolve_query(s, db, m->queries[i], legacy, &l, &err);
    if (rc == LC_OK)
        rc = v1_scan(db, &l, single, false, &rows, &tu, &ntu, &offset, &err);
    if (rc == LC_OK && legacy && sess__find_set(s, id, &pos))
        v1_drop_set(s, pos); /* Subscribe replaces the whole legacy set */
    if (rc == LC_OK && (rc = sess__add_set(s, id, &l)))
        lc_err_set(&err, rc, "out of memory");
    if (rc == LC_OK)
        atomic_fetch_add(&s->api->stats.subscriptions, 1);
    v1_answer(s, m,
              legacy   ? NET_V1_SM_INITIAL_SUBSCRIPTION
              : single ? NET_V1_SM_SUBSCRIBE_APPLIED
                       : NET_V1_SM_SUBSCRIBE_MULTI_APPLIED,
              t0, rc, &err, tu, ntu, offset);
    sess__scans_free(rows, l.n);
    sess__tlist_free(s, &l);
}

/* Unsubscribe and UnsubscribeMulti: the set's rows come back as deletes. */
static void v1_unsubscribe(session_t *s, db_t *db, const net_v1_client_msg_t *m)
{
    uint64_t t0 = lc_now_mono_us();
    uint32_t pos;
    qset_t *q = sess__find_set(s, m->query_id, &pos);
    bool single = m->kind == NET_V1_CM_UNSUBSCRIBE;
    if (!q || (single && q->ntables != 1)) {
        char msg[96];
        snprintf(msg, sizeof msg, "Subscription not found: query id %u", m->query_id);
        v1_sub_error(s, m, msg);
        return;
    }
    tlist_t l = {q->tables, q->ntables, q->ntables};
    store_rows_t *rows = NULL;
    net_v1_table_update_t *tu = NULL;
    uint32_t ntu = 0;
    uint64_t offset = 0;
    lc_err_t err;
    int rc = v1_scan(db, &l, single, true, &rows, &tu, &ntu, &offset, &err);
    v1_answer(s, m, single ? NET_V1_SM_UNSUBSCRIBE_APPLIED : NET_V1_SM_UNSUBSCRIBE_MULTI_APPLIED,
              t0, rc, &err, tu, ntu, offset);
    sess__scans_free(rows, l.n);
    if (rc == LC_OK)
        v1_drop_set(s, pos);
}

static void v1_one_off(session_t *s, db_t *db, const net_v1_client_msg_t *m)
{
    uint64_t t0 = lc_now_mono_us();
    tlist_t l = {0};
    store_rows_t *rows = NULL;
    net_v1_table_update_t *tu = NULL;
    uint32_t ntu = 0;
    uint64_t offset = 0;
    lc_err_t err;
    int rc = m->nqueries == 1 ? sess__resolve_query(s, db, m->queries[0], false, &l, &err)
                              : lc_err_set(&err, LC_EINVAL, "no query");
    if (rc == LC_OK)
        rc = v1_scan(db, &l, true, false, &rows, &tu, &ntu, &offset, &err);
    net_v1_server_msg_t r = {.kind = NET_V1_SM_ONE_OFF_QUERY_RESPONSE,
                             .message_id = m->message_id,
                             .message_id_len = m->message_id_len,
                             .error = rc ? err.msg : NULL,
                             .ntables = rc ? 0 : ntu,
                             .tables = tu,
                             .duration_us = (int64_t)(lc_now_mono_us() - t0)};
    sess__v1_send(s, &r, rc == LC_OK, offset);
    lc_free(tu);
    sess__scans_free(rows, l.n);
    sess__tlist_free(s, &l);
}

/* The v1 TableUpdates of session s for a transaction: one per changed
 * table any of its sets reads (tr's arena). */
static int v1_updates(session_t *s, tx_rows_t *tr, net_v1_table_update_t **out, uint32_t *n)
{
    *out = NULL;
    *n = 0;
    uint32_t cap = 0;
    for (uint32_t i = 0; i < s->nsets; i++) cap += s->sets[i].ntables;
    if (cap == 0)
        return LC_OK;
    net_v1_table_update_t *tu = lc_arena_zalloc(&tr->arena, cap * sizeof *tu);
    if (!tu)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < s->nsets; i++) {
        for (uint32_t j = 0; j < s->sets[i].ntables; j++) {
            const qtable_t *q = &s->sets[i].tables[j];
            const store_table_changes_t *c;
            subs_rows_t ins, del;
            if (q->q) { /* compiled queries are not merged by table */
                if (!subs_delta(q->q, &ins, &del))
                    continue;
                net_v1_table_update_t *u = &tu[(*n)++];
                u->table_id = q->table_id;
                u->table_name = q->name;
                v1_row_type(s->e->db, q->name, u);
                sess__rows_from_subs(&ins, &u->inserts);
                sess__rows_from_subs(&del, &u->deletes);
                continue;
            }
            const tx_table_t *t = sess__tx_rows_table(tr, q->table_id, &c);
            bool seen = false;
            for (uint32_t k = 0; k < *n && !seen; k++) seen = tu[k].table_id == q->table_id;
            if (seen || !t || (c->ninserts == 0 && c->ndeletes == 0))
                continue;
            if (t->rc)
                return t->rc;
            net_v1_table_update_t *u = &tu[(*n)++];
            u->table_id = q->table_id;
            u->table_name = q->name;
            v1_row_type(s->e->db, q->name, u);
            u->inserts = t->ins;
            u->deletes = t->del;
        }
    }
    *out = tu;
    return LC_OK;
}

/* A non-caller's update (§4.8): light when asked or for V10 modules
 * (which hide reducer details from others); full otherwise. */
void sess__v1_fanout(session_t *s, tx_rows_t *tr, const store_changeset_t *cs,
                     const mod_caller_t *caller)
{
    net_v1_table_update_t *tu;
    uint32_t n;
    lc_err_t err;
    if (v1_updates(s, tr, &tu, &n)) {
        lc_err_set(&err, LC_ENOMEM, "out of memory");
        sess__encode_failed(s, &err);
        return;
    }
    if (n == 0)
        return;
    const mod_def_t *def = db_def(s->e->db);
    bool light = s->light || !def || def->version == MOD_DEF_V10;
    net_v1_server_msg_t m = {.kind = light ? NET_V1_SM_TRANSACTION_UPDATE_LIGHT
                                           : NET_V1_SM_TRANSACTION_UPDATE,
                             .status = NET_V1_COMMITTED,
                             .ntables = n,
                             .tables = tu,
                             .timestamp_us = caller ? caller->timestamp_us : lc_now_wall_us(),
                             .identity = caller ? caller->identity : NULL,
                             .connection_id = caller ? caller->connection_id : NULL,
                             .reducer_name = "",
                             .reducer_id = UINT32_MAX};
    sess__v1_send(s, &m, true, cs->tx_offset);
}

/* db_call's callback for a v1 caller: its TransactionUpdate, committed or
 * failed (§4.8); NoSuccessNotify drops an empty success. */
static void v1_reducer_done(void *arg, const db_call_result_t *res)
{
    op_t *op = arg;
    session_t *s = op->s;
    const net_v1_client_msg_t *m = op->m1;
    const mod_outcome_t *o = &res->outcome;
    atomic_fetch_add(&s->api->stats.reducer_calls, 1);
    atomic_fetch_add(&s->api->stats.reducer_us, o->wall_us);
    if (o->status != MOD_OK)
        atomic_fetch_add(&s->api->stats.reducer_errors, 1);
    if (!sess__live(s)) {
        sess__op_free(op);
        return;
    }
    char text[sizeof o->message];
    snprintf(text, sizeof text, "%s", o->message);
    sess__utf8_trim(text);
    const mod_def_t *def = db_def(s->e->db);
    const mod_reducer_t *r = def ? mod_def_reducer(def, m->name) : NULL;
    tx_rows_t tr = {.cs = res->cs};
    lc_arena_init(&tr.arena, 4096);
    net_v1_table_update_t *tu = NULL;
    uint32_t n = 0;
    int rc = LC_OK;
    bool ok = o->status == MOD_OK;
    if (ok && res->cs && res->tx_offset) {
        lc_arena_free(&tr.arena);
        if ((rc = sess__tx_rows_init(&tr, res->cs)) == LC_OK)
            rc = v1_updates(s, &tr, &tu, &n);
    }
    net_v1_server_msg_t u = {.kind = NET_V1_SM_TRANSACTION_UPDATE,
                             .status = ok ? NET_V1_COMMITTED : NET_V1_FAILED,
                             .error = text,
                             .ntables = n,
                             .tables = tu,
                             .timestamp_us = res->timestamp_us,
                             .identity = s->caller.claims.identity.le,
                             .connection_id = s->connection_id,
                             .reducer_name = m->name,
                             .reducer_id = r ? r->id : UINT32_MAX,
                             .args = m->args,
                             .args_len = m->args_len,
                             .request_id = m->request_id,
                             .duration_us = (int64_t)o->wall_us};
    if (rc) {
        lc_err_t err;
        lc_err_set(&err, rc, "out of memory");
        sess__encode_failed(s, &err);
    } else if (!(ok && n == 0 && m->flags == NET_V1_NO_SUCCESS_NOTIFY)) {
        sess__v1_send(s, &u, ok, ok ? res->tx_offset : 0);
    }
    sess__tx_rows_free(&tr);
    sess__op_free(op);
}

static void caller_of(session_t *s, mod_caller_t *c)
{
    memset(c, 0, sizeof *c);
    c->timestamp_us = lc_now_wall_us();
    memcpy(c->identity, s->caller.claims.identity.le, 32);
    memcpy(c->connection_id, s->connection_id, 16);
}

/* Answer a call that was never made (v1_reducer_done owns op). */
static void v1_call_refused(op_t *op, const char *fmt, const char *name, const char *why)
{
    db_call_result_t res;
    memset(&res, 0, sizeof res);
    res.outcome.status = MOD_BAD_REQUEST;
    snprintf(res.outcome.message, sizeof res.outcome.message, fmt, name, why);
    res.timestamp_us = lc_now_wall_us();
    v1_reducer_done(op, &res);
}

/* A call with JSON arguments (executor): to BSATN through the reducer's
 * parameter types, then queued. */
static void v1_json_call(op_t *op, db_t *db)
{
    const net_v1_client_msg_t *m = op->m1;
    const mod_def_t *def = db_def(db);
    const mod_reducer_t *r = def ? mod_def_reducer(def, m->name) : NULL;
    if (!r) {
        v1_call_refused(op, "no such reducer `%.200s`%s", m->name, "");
        return;
    }
    lc_arena_t a;
    lc_arena_init(&a, 0);
    lc_buf_t args;
    lc_buf_init(&args);
    sats_value_t v;
    lc_err_t e;
    const char *text = m->args_len ? (const char *)m->args : "[]";
    size_t len = m->args_len ? m->args_len : 2;
    if (sats_json_decode(&a, text, len, &def->typespace, r->params, &v, &e) ||
        sats_bsatn_encode(&args, &def->typespace, r->params, &v, &e)) {
        v1_call_refused(op, "invalid arguments for reducer `%s`: %.300s", m->name, e.msg);
    } else {
        mod_caller_t c;
        caller_of(op->s, &c);
        if (db_call(db, m->name, args.data, args.len, &c, v1_reducer_done, op))
            v1_call_refused(op, "cannot call reducer `%.200s`: %s", m->name, "module exited");
    }
    lc_buf_free(&args);
    lc_arena_free(&a);
}

/* Every v1 message but a BSATN call, on the executor. */
static void v1_exec(void *arg, db_t *db)
{
    op_t *op = arg;
    session_t *s = op->s;
    const net_v1_client_msg_t *m = op->m1;
    if (!sess__live(s)) {
        sess__op_free(op);
        return;
    }
    sess__subs_sync(s->sd, db);
    switch (m->kind) {
    case NET_V1_CM_CALL_REDUCER:
        v1_json_call(op, db); /* owns op */
        return;
    case NET_V1_CM_SUBSCRIBE:
    case NET_V1_CM_SUBSCRIBE_SINGLE:
    case NET_V1_CM_SUBSCRIBE_MULTI:
        v1_subscribe(s, db, m);
        break;
    case NET_V1_CM_UNSUBSCRIBE:
    case NET_V1_CM_UNSUBSCRIBE_MULTI:
        v1_unsubscribe(s, db, m);
        break;
    case NET_V1_CM_ONE_OFF_QUERY:
        v1_one_off(s, db, m);
        break;
    case NET_V1_CM_CALL_PROCEDURE: {
        net_v1_server_msg_t r = {.kind = NET_V1_SM_PROCEDURE_RESULT,
                                 .error = "procedures are not supported yet",
                                 .request_id = m->request_id};
        sess__v1_send(s, &r, false, 0);
        break;
    }
    }
    sess__op_free(op);
}

static int v1_submit(session_t *s, frame_t *f, const net_v1_client_msg_t *m)
{
    op_t *op = sess__op_new(s);
    if (!op)
        return LC_ENOMEM;
    op->f = f;
    op->m1 = m;
    op->request_id = m->request_id;
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    int rc;
    if (m->kind == NET_V1_CM_CALL_REDUCER && !m->json) {
        mod_caller_t c;
        caller_of(s, &c);
        rc = db_call(s->e->db, m->name, m->args, m->args_len, &c, v1_reducer_done, op);
    } else {
        rc = db_exec(s->e->db, v1_exec, op);
    }
    if (rc)
        sess__op_free(op);
    return rc;
}

/* One v1 message, binary (BSATN) or text (JSON) whatever was negotiated
 * (§1.4); only a message that cannot be read closes the connection. */
void sess__v1_handle_locked(session_t *s, net_ws_msg_t *msg)
{
    frame_t *f = lc_malloc(sizeof *f);
    if (!f) {
        net_ws_msg_free(msg);
        sess__fail_locked(s, NET_WS_INTERNAL_ERROR, "out of memory");
        return;
    }
    atomic_init(&f->refs, 1);
    lc_arena_init(&f->arena, 1024);
    f->msg = msg;
    lc_err_t err;
    net_v1_client_msg_t *m = lc_arena_alloc(&f->arena, sizeof *m);
    int rc = m ? net_v1_decode_client(&f->arena, !msg->binary, msg->data, msg->len, m, &err)
               : lc_err_set(&err, LC_ENOMEM, "out of memory");
    if (rc == LC_OK && (rc = v1_submit(s, f, m)))
        lc_err_set(&err, rc, rc == LC_EBUSY ? "module exited" : "out of memory");
    if (rc)
        sess__fail_locked(s, rc == LC_EBUSY ? NET_WS_GOING_AWAY : NET_WS_INTERNAL_ERROR, err.msg);
    sess__frame_unref(f);
}
