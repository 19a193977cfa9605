/*
 * Database routes (protocol.md §8.3, §8.5): publish, describe, delete,
 * names, reducer calls over HTTP, SQL (src/sql: SELECT with joins, filters,
 * aggregates, ORDER BY/LIMIT; DML for the owner), logs (with follow), the
 * schema, the WebSocket upgrade.
 *
 * Anything that blocks runs on a worker (api_defer).  Anything that reads
 * the module definition runs on the database's executor (db_exec), where
 * the definition cannot change under it: run_on_executor wraps that.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "sql/sql.h"

/* ---------------------------------------------------------------- helpers */

/* Find the database of params[0]; on failure answers req (400/404). */
static int find_db(api_t *api, net_http_req_t *req, const char *name, db_entry_t **e)
{
    lc_err_t err;
    int rc = db_registry_find(api->reg, name, e, &err);
    if (rc)
        api_text(req, rc == LC_ENOTFOUND ? 404 : 400, "%s", err.msg);
    return rc;
}

static bool is_owner(const db_entry_t *e, const api_caller_t *c)
{
    return memcmp(e->owner, c->claims.identity.le, 32) == 0;
}

static bool query_flag(net_http_req_t *req, const char *name)
{
    const char *v;
    return net_http_query_param(req, name, &v) == LC_OK && strcmp(v, "true") == 0;
}

/* Run fn(arg, db) on the executor and wait for it (worker threads only). */
typedef struct exec_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    void (*fn)(void *arg, db_t *db);
    void *arg;
} exec_wait_t;

static void exec_trampoline(void *arg, db_t *db)
{
    exec_wait_t *w = arg;
    w->fn(w->arg, db);
    pthread_mutex_lock(&w->mu);
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static int run_on_executor(db_t *db, void (*fn)(void *arg, db_t *db), void *arg)
{
    exec_wait_t w = {.fn = fn, .arg = arg};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    int rc = db_exec(db, exec_trampoline, &w);
    if (rc == LC_OK) {
        pthread_mutex_lock(&w.mu);
        while (!w.done) pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
    }
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
    return rc;
}

/* A deferred request: what a worker needs to finish it. */
typedef struct deferred {
    api_t *api;
    net_http_req_t *req;
    api_caller_t caller;
    db_entry_t *entry; /* a reference, or NULL */
    char *name;        /* database name, or reducer name */
    bool clear;
} deferred_t;

static deferred_t *deferred_new(api_t *api, net_http_req_t *req, api_caller_t *caller,
                                const char *name)
{
    deferred_t *d = lc_calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->api = api;
    d->req = req;
    d->caller = *caller;
    memset(caller, 0, sizeof *caller);
    if (name) {
        size_t n = strlen(name) + 1;
        if (!(d->name = lc_malloc(n))) {
            lc_free(d);
            return NULL;
        }
        memcpy(d->name, name, n);
    }
    return d;
}

static void deferred_free(deferred_t *d)
{
    api_caller_free(&d->caller);
    db_entry_release(d->entry);
    lc_free(d->name);
    lc_free(d);
}

/* Queue d's work; on failure answer 503 and free d. */
static void defer(deferred_t *d, void (*fn)(void *arg))
{
    if (api_defer(d->api, fn, d)) {
        api_text(d->req, 503, "the server is shutting down");
        deferred_free(d);
    }
}

/* The common path of a database route that works on a worker: auth (when
 * auth), find the database, check ownership (owner_only), then run fn
 * with a deferred holding the caller, the entry and name.  Answers req
 * itself on every failure. */
static void defer_db_route(api_t *api, net_http_req_t *req, const char *db, const char *name,
                           bool auth, bool owner_only, void (*fn)(void *arg))
{
    api_caller_t c = {0};
    if (auth && api_auth(api, req, &c))
        return;
    db_entry_t *e;
    if (find_db(api, req, db, &e)) {
        api_caller_free(&c);
        return;
    }
    if (owner_only && !is_owner(e, &c)) {
        db_entry_release(e);
        api_caller_free(&c);
        api_text(req, 403, "only the owner of %s may do this", db);
        return;
    }
    deferred_t *d = deferred_new(api, req, &c, name);
    if (!d) {
        db_entry_release(e);
        api_caller_free(&c);
        api_text(req, 500, "out of memory");
        return;
    }
    d->entry = e;
    defer(d, fn);
}

/* ---------------------------------------------------------------- publish */

static bool may_create(api_t *api, const api_caller_t *c)
{
    const char *iss = api->cfg.creator_issuer;
    if (api->cfg.ncreators == 0 && !iss)
        return true;
    for (size_t i = 0; i < api->cfg.ncreators; i++)
        if (memcmp(api->cfg.creators[i], c->claims.identity.le, 32) == 0)
            return true;
    return iss && c->claims.issuer && strcmp(c->claims.issuer, iss) == 0;
}

static void publish_run(void *arg)
{
    deferred_t *d = arg;
    api_t *api = d->api;
    net_http_req_t *req = d->req;
    lc_err_t err;
    bool created = false;
    int rc = LC_ENOTFOUND;
    if (d->name)
        rc = db_registry_find(api->reg, d->name, &d->entry, &err);
    if (rc == LC_OK && !is_owner(d->entry, &d->caller)) {
        api_json(req, 403, json_pack("{s:{s:s}}", "PermissionDenied", "name", d->name));
        goto out;
    }
    if (rc == LC_ENOTFOUND) {
        if (!may_create(api, &d->caller)) {
            api_text(req, 403, "this identity may not create databases on this server");
            goto out;
        }
        rc = db_registry_create(api->reg, d->name, d->caller.claims.identity.le, &d->entry, &err);
        created = rc == LC_OK;
    }
    if (rc) {
        api_text(req, api_status_of(rc), "%s", err.msg);
        goto out;
    }
    size_t len;
    const uint8_t *wasm = net_http_body(req, &len);
    db_publish_opts_t o = {.clear = d->clear};
    memcpy(o.owner, d->entry->owner, 32);
    db_publish_result_t res;
    bool had_module = db_has_module(d->entry->db);
    rc = db_publish(d->entry->db, wasm, len, &o, &res, &err);
    bool refused = res.rejected; /* the reference's "Database update rejected" */
    lc_buf_free(&res.plan);
    if (rc) {
        if (created)
            db_registry_delete(api->reg, d->entry, NULL);
        if (refused)
            api_text(req, 400, "Database update rejected: %s", err.msg);
        else
            api_text(req, rc == LC_EIO ? 500 : 400, "%s", err.msg);
        goto out;
    }
    if (res.breaks_clients)
        api_sessions_free(api, d->entry); /* table ids changed under live subscriptions */
    api_identity_headers(req, &d->caller);
    json_t *domain = d->entry->name[0] ? json_string(d->entry->name) : json_null();
    api_json(req, 200,
             json_pack("{s:{s:o, s:s, s:s}}", "Success", "domain", domain, "database_identity",
                       d->entry->identity_hex, "op", had_module ? "updated" : "created"));
out:
    deferred_free(d);
}

static void publish(api_t *api, net_http_req_t *req, const char *name)
{
    api_caller_t c;
    if (api_auth(api, req, &c))
        return;
    const char *host_type;
    if (net_http_query_param(req, "host_type", &host_type) == LC_OK &&
        strcmp(host_type, "Wasm") != 0) {
        api_caller_free(&c);
        api_text(req, 400, "host_type %s is not supported: Lightcone runs wasm modules", host_type);
        return;
    }
    deferred_t *d = deferred_new(api, req, &c, name);
    if (!d) {
        api_caller_free(&c);
        api_text(req, 500, "out of memory");
        return;
    }
    d->clear = query_flag(req, "clear");
    defer(d, publish_run);
}

void api_route_db_publish_new(api_t *api, net_http_req_t *req, char **params)
{
    publish(api, req, NULL);
}

void api_route_db_publish(api_t *api, net_http_req_t *req, char **params)
{
    publish(api, req, params[0]);
}

/* POST /pre_publish: the migration plan a publish would apply (owner). */
static void pre_publish_run(void *arg)
{
    deferred_t *d = arg;
    size_t len;
    const uint8_t *wasm = net_http_body(d->req, &len);
    db_publish_result_t res;
    lc_err_t err;
    int rc = db_plan_update(d->entry->db, wasm, len, &res, &err);
    if (rc)
        api_text(d->req, api_status_of(rc), "%s", err.msg);
    else if (res.rejected)
        api_json(d->req, 200,
                 json_pack("{s:{s:s%, s:b}}", "ManualMigrate", "reason", res.plan.data,
                           res.plan.len, "major_version_upgrade", 0));
    else
        api_json(d->req, 200,
                 json_pack("{s:{s:s%, s:b, s:s, s:b}}", "AutoMigrate", "migrate_plan",
                           res.plan.data ? (const char *)res.plan.data : "", res.plan.len,
                           "break_clients", res.breaks_clients, "token", "0x",
                           "major_version_upgrade", 0));
    lc_buf_free(&res.plan);
    deferred_free(d);
}

void api_route_db_pre_publish(api_t *api, net_http_req_t *req, char **params)
{
    defer_db_route(api, req, params[0], NULL, true, true, pre_publish_run);
}

/* ---------------------------------------------------------------- describe, delete, names */

static json_t *typed_identity(const uint8_t le[32])
{
    auth_identity_t id;
    char hex[AUTH_IDENTITY_HEX_LEN + 3] = "0x";
    memcpy(id.le, le, 32);
    auth_identity_to_hex(&id, hex + 2);
    return json_pack("{s:s}", "__identity__", hex);
}

void api_route_db_info(api_t *api, net_http_req_t *req, char **params)
{
    db_entry_t *e;
    if (find_db(api, req, params[0], &e))
        return;
    api_json(req, 200,
             json_pack("{s:o, s:o, s:{s:[]}, s:s}", "database_identity",
                       typed_identity(e->identity), "owner_identity", typed_identity(e->owner),
                       "host_type", "Wasm", "initial_program", "0x"));
    db_entry_release(e);
}

void api_route_db_delete(api_t *api, net_http_req_t *req, char **params)
{
    api_caller_t c;
    if (api_auth(api, req, &c))
        return;
    db_entry_t *e;
    lc_err_t err;
    int rc = db_registry_find(api->reg, params[0], &e, &err);
    if (rc == LC_ENOTFOUND)
        api_bytes(req, 200, NULL, "", 0); /* as the reference: nothing to delete */
    else if (rc)
        api_text(req, 400, "%s", err.msg);
    else if (!is_owner(e, &c))
        api_text(req, 403, "only the owner of %s may delete it", params[0]);
    else if (db_registry_delete(api->reg, e, &err))
        api_text(req, 500, "%s", err.msg);
    else {
        api_sessions_free(api, e); /* connected clients: 1001 "module exited" */
        api_bytes(req, 200, NULL, "", 0);
    }
    if (rc == LC_OK)
        db_entry_release(e);
    api_caller_free(&c);
}

void api_route_db_names(api_t *api, net_http_req_t *req, char **params)
{
    db_entry_t *e;
    if (find_db(api, req, params[0], &e))
        return;
    json_t *names = json_array();
    if (e->name[0])
        json_array_append_new(names, json_string(e->name));
    api_json(req, 200, json_pack("{s:o}", "names", names));
    db_entry_release(e);
}

/* POST /names (body: one name) and PUT /names (body: a JSON array of
 * names): owner only.  A database has one name here, so PUT takes an array
 * of exactly one. */
static void set_name(api_t *api, net_http_req_t *req, const char *db, bool json_array)
{
    api_caller_t c;
    if (api_auth(api, req, &c))
        return;
    db_entry_t *e;
    if (find_db(api, req, db, &e)) {
        api_caller_free(&c);
        return;
    }
    size_t len;
    const char *body = (const char *)net_http_body(req, &len);
    char name[DB_NAME_MAX + 1] = "";
    json_t *j = json_array ? json_loadb(body, len, 0, NULL) : NULL;
    if (json_array &&
        (!json_is_array(j) || json_array_size(j) != 1 || !json_is_string(json_array_get(j, 0))))
        api_text(req, 400, "expected a JSON array with one name (a database has one name here)");
    else {
        const char *n = json_array ? json_string_value(json_array_get(j, 0)) : body;
        size_t nl = json_array ? strlen(n) : len;
        lc_err_t err;
        if (nl <= DB_NAME_MAX) {
            memcpy(name, n, nl);
            name[nl] = 0;
        }
        if (nl > DB_NAME_MAX)
            api_text(req, 400, "the name is too long");
        else if (!is_owner(e, &c))
            api_json(req, 401,
                     json_pack("{s:{s:s}}", "NotYourDatabase", "database", e->identity_hex));
        else if (db_registry_rename(api->reg, e, name, &err))
            api_json(req, 400, json_pack("{s:s}", "OtherError", err.msg));
        else if (json_array)
            api_json(req, 200, json_string("Success"));
        else
            api_json(req, 200,
                     json_pack("{s:{s:s, s:s}}", "Success", "domain", name, "database_identity",
                               e->identity_hex));
    }
    json_decref(j);
    db_entry_release(e);
    api_caller_free(&c);
}

void api_route_db_names_add(api_t *api, net_http_req_t *req, char **params)
{
    set_name(api, req, params[0], false);
}

void api_route_db_names_set(api_t *api, net_http_req_t *req, char **params)
{
    set_name(api, req, params[0], true);
}

void api_route_db_identity(api_t *api, net_http_req_t *req, char **params)
{
    db_entry_t *e;
    if (find_db(api, req, params[0], &e))
        return;
    api_bytes(req, 200, "text/plain; charset=utf-8", e->identity_hex, 64);
    db_entry_release(e);
}

void api_route_db_timestamp(api_t *api, net_http_req_t *req, char **params)
{
    db_entry_t *e;
    if (find_db(api, req, params[0], &e))
        return;
    db_entry_release(e);
    api_json(
        req, 200,
        json_pack("{s:I}", "__timestamp_micros_since_unix_epoch__", (json_int_t)lc_now_wall_us()));
}

/* Copy the definition bytes on the executor, where the module cannot be
 * replaced under the copy. */
static void schema_bytes(void *arg, db_t *db)
{
    lc_buf_t *b = arg;
    if (db_def_bytes(db, b))
        lc_buf_free(b);
}

static void schema_run(void *arg)
{
    deferred_t *d = arg;
    int want = atoi(d->name);
    lc_buf_t bytes, json;
    lc_buf_init(&bytes);
    lc_buf_init(&json);
    lc_err_t err;
    int version = 0;
    if (run_on_executor(d->entry->db, schema_bytes, &bytes))
        api_text(d->req, 503, "the database is shutting down");
    else if (bytes.len == 0)
        api_text(d->req, 404, "the database has no module");
    else if (mod_def_raw_json(bytes.data, bytes.len, &json, &version, &err))
        api_text(d->req, 500, "%s", err.msg);
    else if (version != want)
        /* Converting between V9 and V10 is left to the CLI issue: the
         * reference converts V9 up, never V10 down. */
        api_text(d->req, 400, "the module emits a version %d definition; ask for version=%d",
                 version, version);
    else
        api_bytes(d->req, 200, "application/json", json.data, json.len);
    lc_buf_free(&bytes);
    lc_buf_free(&json);
    deferred_free(d);
}

void api_route_db_schema(api_t *api, net_http_req_t *req, char **params)
{
    const char *v;
    if (net_http_query_param(req, "version", &v) || (strcmp(v, "9") && strcmp(v, "10"))) {
        api_text(req, 400, "version is required: 9 or 10");
        return;
    }
    defer_db_route(api, req, params[0], v, false, false, schema_run); /* public */
}

/* ---------------------------------------------------------------- call */

/* Arguments as JSON → BSATN of the reducer's parameters (executor). */
typedef struct args_conv {
    const char *reducer;
    const uint8_t *json;
    size_t json_len;
    lc_buf_t bsatn;
    int status; /* 0 ok, else the HTTP status */
    lc_err_t err;
} args_conv_t;

static void convert_args(void *arg, db_t *db)
{
    args_conv_t *c = arg;
    const mod_def_t *def = db_def(db);
    const mod_reducer_t *r = def ? mod_def_reducer(def, c->reducer) : NULL;
    if (!r) {
        c->status = 404;
        if (def && mod_def_procedure(def, c->reducer))
            lc_err_set(&c->err, LC_EUNSUPPORTED, "calling procedures is not supported yet");
        else
            lc_err_set(&c->err, LC_ENOTFOUND, "No such reducer `%s`.", c->reducer);
        return;
    }
    if (r->lifecycle != MOD_LIFECYCLE_NONE) {
        c->status = 400;
        lc_err_set(&c->err, LC_EINVAL, "can't directly call special lifecycle reducer `%s`",
                   c->reducer);
        return;
    }
    lc_arena_t a;
    lc_arena_init(&a, 0);
    sats_value_t v;
    const char *text = c->json_len ? (const char *)c->json : "[]";
    size_t len = c->json_len ? c->json_len : 2;
    lc_err_t e;
    if (sats_json_decode(&a, text, len, &def->typespace, r->params, &v, &e) ||
        sats_bsatn_encode(&c->bsatn, &def->typespace, r->params, &v, &e)) {
        c->status = 400;
        lc_err_set(&c->err, LC_EINVAL, "invalid arguments for reducer `%s`: %s", c->reducer, e.msg);
    }
    lc_arena_free(&a);
}

static void call_run(void *arg)
{
    deferred_t *d = arg;
    net_http_req_t *req = d->req;
    db_t *db = d->entry->db;
    size_t len;
    args_conv_t c = {.reducer = d->name};
    c.json = net_http_body(req, &len);
    c.json_len = len;
    lc_buf_init(&c.bsatn);
    if (run_on_executor(db, convert_args, &c)) {
        api_text(req, 503, "the database is shutting down");
        goto out;
    }
    if (c.status) {
        api_text(req, c.status, "%s", c.err.msg);
        goto out;
    }
    /* A temporary connection, as the reference's with_connection (§7.5). */
    mod_caller_t caller = {.timestamp_us = lc_now_wall_us()};
    memcpy(caller.identity, d->caller.claims.identity.le, 32);
    lc_random_bytes(caller.connection_id, 16);
    caller.connection_id[0] |= 1; /* never all zero */
    mod_outcome_t o;
    if (db_connect(db, caller.identity, caller.connection_id, d->caller.claims.payload, &o)) {
        api_text(req, 503, "the database is shutting down");
        goto out;
    }
    if (o.status != MOD_OK) {
        api_text(req, 403, "%s", o.message);
        goto out;
    }
    db_call_result_t r;
    uint64_t t0 = lc_now_mono_us();
    int rc = db_call_sync(db, d->name, c.bsatn.data, c.bsatn.len, &caller, &r);
    uint64_t us = lc_now_mono_us() - t0;
    db_disconnect(db, caller.identity, caller.connection_id);
    atomic_fetch_add(&d->api->stats.reducer_calls, 1);
    atomic_fetch_add(&d->api->stats.reducer_us, us);
    char dur[32];
    snprintf(dur, sizeof dur, "%" PRIu64, (uint64_t)r.outcome.wall_us);
    net_http_add_header(req, "spacetime-execution-duration-micros", dur);
    net_http_add_header(req, "spacetime-energy-used", "0");
    api_identity_headers(req, &d->caller);
    if (rc)
        api_text(req, 503, "the database is shutting down");
    else if (r.outcome.status == MOD_OK)
        api_bytes(req, 200, NULL, "", 0);
    else {
        atomic_fetch_add(&d->api->stats.reducer_errors, 1);
        api_text(req, r.outcome.status == MOD_BAD_REQUEST ? 400 : 530, "%s", r.outcome.message);
    }
out:
    lc_buf_free(&c.bsatn);
    deferred_free(d);
}

void api_route_db_call(api_t *api, net_http_req_t *req, char **params)
{
    const char *ct = net_http_header(req, "content-type");
    size_t len;
    net_http_body(req, &len);
    if (len && (!ct || strncmp(ct, "application/json", 16) != 0)) {
        api_text(req, 415, "Expected request with `Content-Type: application/json`");
        return;
    }
    defer_db_route(api, req, params[0], params[1], true, false, call_run);
}

/* ---------------------------------------------------------------- sql */

typedef struct sql_job {
    const api_caller_t *caller;
    const db_entry_t *entry;
    const char *text;
    size_t len;
    lc_buf_t json;      /* the answer */
    uint64_t tx_offset; /* DML: the committed offset (0: nothing changed) */
    int status;         /* 0 ok, else the HTTP status */
    lc_err_t err;
    /* for the write transaction */
    const sql_plan_t *plan;
    lc_arena_t *arena;
    sql_result_t *result;
} sql_job_t;

static int sql_write(void *arg, store_tx_t *tx, lc_err_t *err)
{
    sql_job_t *j = arg;
    return sql_exec_tx(j->plan, tx, j->arena, j->result, err);
}

/* Parse, plan and run one statement (executor: the schema is stable). */
static void sql_execute(void *arg, db_t *db)
{
    sql_job_t *j = arg;
    uint64_t t0 = lc_now_mono_us();
    lc_arena_t a;
    lc_arena_init(&a, 0);
    sql_schema_t schema;
    sql_stmt_t *stmt;
    sql_plan_t *plan;
    sql_result_t res;
    memset(&res, 0, sizeof res);
    sql_caller_t who = {.is_owner = is_owner(j->entry, j->caller)};
    for (int i = 0; i < 32; i++) /* :sender reads big-endian, as the hex */
        who.sender[i] = j->caller->claims.identity.le[31 - i];
    int rc = sql_schema_from_def(db_def(db), db_store(db), &a, &schema, &j->err);
    if (rc == LC_OK)
        rc = sql_parse(j->text, j->len, &a, &stmt, &j->err);
    if (rc == LC_OK)
        rc = sql_plan(stmt, &schema, &who, &a, &plan, &j->err);
    if (rc == LC_OK && sql_plan_is_write(plan)) {
        j->plan = plan;
        j->arena = &a;
        j->result = &res;
        rc = db_exec_write(db, sql_write, j, &j->tx_offset, &j->err);
    } else if (rc == LC_OK) {
        store_view_t *v;
        if ((rc = store_view_open(db_store(db), &v, &j->err)) == LC_OK) {
            rc = sql_exec_read(plan, v, &a, &res, &j->err);
            store_view_close(v);
        }
    }
    if (rc == LC_OK)
        rc = sql_result_json(&j->json, &res, lc_now_mono_us() - t0, &j->err);
    if (rc)
        j->status = rc == LC_ENOMEM || rc == LC_EINTERNAL || rc == LC_EIO ? 500 : 400;
    lc_arena_free(&a);
}

static void sql_run(void *arg)
{
    deferred_t *d = arg;
    size_t len;
    sql_job_t j = {.caller = &d->caller, .entry = d->entry};
    j.text = (const char *)net_http_body(d->req, &len);
    j.len = len;
    lc_buf_init(&j.json);
    const char *v;
    bool confirmed =
        !(net_http_query_param(d->req, "confirmed", &v) == LC_OK && strcmp(v, "false") == 0);
    if (run_on_executor(d->entry->db, sql_execute, &j))
        api_text(d->req, 503, "the database is shutting down");
    else if (j.status)
        api_text(d->req, j.status, "%s", j.err.msg);
    else {
        /* Confirmed (the default): DML answers once it is durable. */
        if (confirmed && j.tx_offset)
            db_wait_durable(d->entry->db, j.tx_offset, -1);
        api_identity_headers(d->req, &d->caller);
        api_bytes(d->req, 200, "application/json", j.json.data, j.json.len);
    }
    lc_buf_free(&j.json);
    deferred_free(d);
}

void api_route_db_sql(api_t *api, net_http_req_t *req, char **params)
{
    defer_db_route(api, req, params[0], NULL, true, false, sql_run);
}

/* ---------------------------------------------------------------- logs */

static void logs_run(void *arg)
{
    deferred_t *d = arg;
    net_http_req_t *req = d->req;
    mod_log_t *log = db_log(d->entry->db);
    const char *v;
    size_t num = 0;
    bool has_num = net_http_query_param(req, "num_lines", &v) == LC_OK;
    if (has_num)
        num = (size_t)strtoull(v, NULL, 10);
    bool follow = query_flag(req, "follow");
    lc_buf_t b;
    lc_buf_init(&b);
    uint64_t cursor;
    if (has_num && num == 0)
        mod_log_read(log, 0, NULL, &cursor); /* only new lines */
    else
        mod_log_read(log, num, &b, &cursor);
    api_cors(req);
    if (!follow) {
        net_http_respond(req, 200, "application/x-ndjson", b.data, b.len);
        goto out;
    }
    if (net_http_stream_begin(req, 200, "application/x-ndjson", NULL, NULL) == LC_OK &&
        (b.len == 0 || net_http_stream_write(req, b.data, b.len) == LC_OK)) {
        /* Follow until the client goes away or the database closes. */
        while (!net_http_gone(req)) {
            lc_buf_reset(&b);
            int rc = mod_log_wait(log, cursor, 1000, &b, &cursor);
            if (rc && rc != LC_EBUSY)
                break;
            if (rc == LC_EBUSY && b.len == 0 && net_http_gone(req))
                break;
            if (b.len && net_http_stream_write(req, b.data, b.len))
                break;
        }
    }
    net_http_stream_end(req);
out:
    lc_buf_free(&b);
    deferred_free(d);
}

void api_route_db_logs(api_t *api, net_http_req_t *req, char **params)
{
    defer_db_route(api, req, params[0], NULL, true, true, logs_run);
}

/* ---------------------------------------------------------------- subscribe */

void api_route_db_subscribe(api_t *api, net_http_req_t *req, char **params)
{
    api_caller_t c;
    if (api_auth(api, req, &c))
        return;
    db_entry_t *e;
    if (find_db(api, req, params[0], &e)) {
        api_caller_free(&c);
        return;
    }
    api_session_start(api, req, e, &c);
}
