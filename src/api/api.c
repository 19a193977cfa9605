/*
 * The /v1 API: the route table, CORS, the auth middleware, response
 * helpers and the server's start and stop (protocol.md §7.5, §8).
 *
 * Routes are data (style rule 13): one row per (method, path pattern,
 * handler).  A pattern's ":x" parts match one path segment, percent-
 * decoded, handed to the handler as params in order; "*" matches the rest.
 * Dispatch is on the connection's loop thread: handlers must not block.
 * Work that blocks — publishing (compiling), HTTP reducer calls (they wait
 * for the executor), following logs — runs on the API's worker threads
 * (api_defer) and answers from there (net answers are thread-safe).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/session_int.h"

/* ---------------------------------------------------------------- responses */

void api_cors(net_http_req_t *req)
{
    net_http_add_header(req, "access-control-allow-origin", "*");
    net_http_add_header(req, "access-control-allow-methods", "*");
    net_http_add_header(req, "access-control-allow-headers", "authorization, accept, content-type");
    net_http_add_header(req, "access-control-expose-headers",
                        "spacetime-identity, spacetime-identity-token, "
                        "spacetime-execution-duration-micros");
}

int api_bytes(net_http_req_t *req, int status, const char *content_type, const void *p, size_t len)
{
    api_cors(req);
    return net_http_respond(req, status, content_type, p, len);
}

int api_text(net_http_req_t *req, int status, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof msg)
        n = sizeof msg - 1;
    return api_bytes(req, status, "text/plain; charset=utf-8", msg, (size_t)n);
}

int api_json(net_http_req_t *req, int status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!text)
        return api_text(req, 500, "out of memory");
    int rc = api_bytes(req, status, "application/json", text, strlen(text));
    free(text);
    return rc;
}

int api_status_of(int rc)
{
    switch (rc) {
    case LC_OK:
        return 200;
    case LC_EINVAL:
    case LC_ECORRUPT:
    case LC_ERANGE:
        return 400;
    case LC_EPERM:
        return 403;
    case LC_ENOTFOUND:
        return 404;
    case LC_EEXIST:
        return 409;
    case LC_EBUSY:
        return 503;
    case LC_EUNSUPPORTED:
        return 501;
    default:
        return 500;
    }
}

/* ---------------------------------------------------------------- auth */

void api_caller_free(api_caller_t *c)
{
    auth_claims_free(&c->claims);
    lc_free(c->token);
    memset(c, 0, sizeof *c);
}

/* The request's token (auth.h's rule: Bearer header, then ?token=): *tok
 * lc_malloc'd, NULL if none; LC_EINVAL for a malformed header. */
static int find_token(net_http_req_t *req, char **tok, lc_err_t *err)
{
    const char *h = net_http_header(req, "authorization"), *q = net_http_query(req);
    return auth_request_token(h, h ? strlen(h) : 0, q, strlen(q), tok, err);
}

static int auth_common(api_t *api, net_http_req_t *req, api_caller_t *out, bool required)
{
    memset(out, 0, sizeof *out);
    lc_err_t err;
    char *tok;
    int rc = find_token(req, &tok, &err);
    if (rc) {
        api_text(req, 400, "%s", err.msg);
        return rc;
    }
    if (!tok) {
        if (required) {
            api_text(req, 401, "Authorization required: send a token");
            return LC_EPERM;
        }
        rc = auth_token_mint(api->cfg.keys, AUTH_LOCAL_ISSUER, NULL, 0, &tok, NULL, &err);
        out->minted = true;
        if (rc) {
            api_text(req, 500, "cannot mint a token: %s", err.msg);
            return rc;
        }
    }
    rc = auth_token_validate(api->cfg.keys, tok, strlen(tok), &out->claims, &err);
    if (rc) {
        lc_free(tok);
        api_text(req, 401, "%s", err.msg);
        return rc;
    }
    out->token = tok;
    return LC_OK;
}

int api_auth(api_t *api, net_http_req_t *req, api_caller_t *out)
{
    return auth_common(api, req, out, false);
}

int api_auth_required(api_t *api, net_http_req_t *req, api_caller_t *out)
{
    return auth_common(api, req, out, true);
}

void api_identity_headers(net_http_req_t *req, const api_caller_t *c)
{
    char hex[AUTH_IDENTITY_HEX_LEN + 1];
    auth_identity_to_hex(&c->claims.identity, hex);
    net_http_add_header(req, "spacetime-identity", hex);
    if (c->token)
        net_http_add_header(req, "spacetime-identity-token", c->token);
}

/* ---------------------------------------------------------------- routes */

typedef struct route {
    const char *method;
    const char *pattern;
    api_route_fn fn;
} route_t;

static void route_ping(api_t *api, net_http_req_t *req, char **params);
static void route_health(api_t *api, net_http_req_t *req, char **params);
static void route_metrics(api_t *api, net_http_req_t *req, char **params);

static const route_t routes[] = {
    {"GET", "/v1/ping", route_ping},
    {"GET", "/v1/health", route_health},
    {"GET", "/v1/metrics", route_metrics},
    {"POST", "/v1/identity", api_route_identity_new},
    {"POST", "/v1/identity/websocket-token", api_route_identity_ws_token},
    {"GET", "/v1/identity/public-key", api_route_identity_public_key},
    {"GET", "/v1/identity/:identity/verify", api_route_identity_verify},
    {"GET", "/v1/identity/:identity/databases", api_route_identity_databases},
    {"POST", "/v1/database", api_route_db_publish_new},
    {"PUT", "/v1/database/:db", api_route_db_publish},
    {"GET", "/v1/database/:db", api_route_db_info},
    {"DELETE", "/v1/database/:db", api_route_db_delete},
    {"POST", "/v1/database/:db/pre_publish", api_route_db_pre_publish},
    {"GET", "/v1/database/:db/names", api_route_db_names},
    {"POST", "/v1/database/:db/names", api_route_db_names_add},
    {"PUT", "/v1/database/:db/names", api_route_db_names_set},
    {"GET", "/v1/database/:db/identity", api_route_db_identity},
    {"POST", "/v1/database/:db/call/:name", api_route_db_call},
    {"POST", "/v1/database/:db/sql", api_route_db_sql},
    {"GET", "/v1/database/:db/logs", api_route_db_logs},
    {"GET", "/v1/database/:db/schema", api_route_db_schema},
    {"GET", "/v1/database/:db/unstable/timestamp", api_route_db_timestamp},
    {"GET", "/v1/database/:db/subscribe", api_route_db_subscribe},
};

#define MAX_PARAMS 4

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Percent-decode seg[0..n) into a new string; NULL if malformed or if it
 * would hold a NUL. */
static char *decode_segment(const char *seg, size_t n)
{
    char *out = lc_malloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; out && i < n; i++) {
        if (seg[i] != '%') {
            out[o++] = seg[i];
            continue;
        }
        int a = i + 2 < n ? hexval(seg[i + 1]) : -1, b = i + 2 < n ? hexval(seg[i + 2]) : -1;
        if (a < 0 || b < 0 || (a == 0 && b == 0)) {
            lc_free(out);
            return NULL;
        }
        out[o++] = (char)(a * 16 + b);
        i += 2;
    }
    if (out)
        out[o] = 0;
    return out;
}

/* Match path against pattern; params receive the decoded variable parts.
 * 1 = match, 0 = no match, -1 = match but a part does not decode. */
static int match(const char *pattern, const char *path, char **params, int *nparams)
{
    *nparams = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return 0;
        p++, s++;
        const char *pe = strchr(p, '/'), *se = strchr(s, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), sl = se ? (size_t)(se - s) : strlen(s);
        if (p[0] == ':') {
            if (sl == 0 || *nparams == MAX_PARAMS)
                return 0;
            char *v = decode_segment(s, sl);
            if (!v)
                return -1;
            params[(*nparams)++] = v;
        } else if (pl != sl || memcmp(p, s, pl) != 0) {
            return 0;
        }
        p += pl, s += sl;
    }
    /* A trailing slash on the request is tolerated. */
    return *p == 0 && (*s == 0 || (s[0] == '/' && s[1] == 0)) ? 1 : 0;
}

static void free_params(char **params, int n)
{
    for (int i = 0; i < n; i++) lc_free(params[i]);
}

static void on_request(net_http_req_t *req, void *user)
{
    api_t *api = user;
    const char *method = net_http_method(req), *path = net_http_path(req);
    if (strncmp(path, "/v1/", 4) != 0 && strcmp(path, "/v1") != 0) {
        api_text(req, 404, "Not found: %s", path);
        return;
    }
    if (strcmp(method, "OPTIONS") == 0) { /* CORS preflight (§8.1) */
        api_bytes(req, 200, NULL, "", 0);
        return;
    }
    bool path_known = false;
    for (size_t i = 0; i < LC_ARRAY_LEN(routes); i++) {
        char *params[MAX_PARAMS];
        int n;
        int m = match(routes[i].pattern, path, params, &n);
        if (m < 0) {
            free_params(params, n);
            api_text(req, 400, "malformed percent-escape in the path");
            return;
        }
        if (m == 0)
            continue;
        path_known = true;
        if (strcmp(routes[i].method, method) != 0) {
            free_params(params, n);
            continue;
        }
        routes[i].fn(api, req, params);
        free_params(params, n);
        return;
    }
    if (path_known)
        api_text(req, 405, "method %s is not allowed here", method);
    else
        api_text(req, 404, "Not found: %s", path);
}

/* ---------------------------------------------------------------- small routes */

static void route_ping(api_t *api, net_http_req_t *req, char **params)
{
    char *tok;
    lc_err_t err;
    if (find_token(req, &tok, &err)) {
        api_text(req, 400, "%s", err.msg);
        return;
    }
    if (tok) {
        auth_claims_t c;
        int rc = auth_token_validate(api->cfg.keys, tok, strlen(tok), &c, &err);
        lc_free(tok);
        if (rc) {
            api_text(req, 401, "%s", err.msg);
            return;
        }
        auth_claims_free(&c);
    }
    api_bytes(req, 200, NULL, "", 0);
}

static void route_health(api_t *api, net_http_req_t *req, char **params)
{
    api_json(req, 200,
             json_pack("{s:s, s:s, s:[i], s:b}", "package_name", "lightcone", "version", LC_VERSION,
                       "nodes", 0, "schedulable", 1));
}

static void count_db(void *arg, db_entry_t *e)
{
    (*(uint64_t *)arg)++;
}

static void route_metrics(api_t *api, net_http_req_t *req, char **params)
{
    net_metrics_t m;
    net_server_metrics(api->net, &m);
    uint64_t dbs = 0;
    db_registry_each(api->reg, count_db, &dbs);
    lc_buf_t b;
    lc_buf_init(&b);
#define METRIC(name, type, help, value)                                                            \
    lc_buf_printf(&b,                                                                              \
                  "# HELP lightcone_" name " " help "\n# TYPE lightcone_" name " " type            \
                  "\nlightcone_" name " %" PRIu64 "\n",                                            \
                  (uint64_t)(value))
    METRIC("connections_open", "gauge", "TCP connections open now.", m.connections_open);
    METRIC("connections_total", "counter", "TCP connections accepted.", m.connections_total);
    METRIC("websockets_open", "gauge", "WebSocket sessions open now.", m.websockets_open);
    METRIC("http_requests_total", "counter", "HTTP requests received.", m.http_requests);
    METRIC("bytes_in_total", "counter", "Bytes received.", m.bytes_in);
    METRIC("bytes_out_total", "counter", "Bytes sent.", m.bytes_out);
    METRIC("ws_messages_in_total", "counter", "WebSocket messages received.", m.ws_messages_in);
    METRIC("ws_messages_out_total", "counter", "WebSocket messages sent.", m.ws_messages_out);
    METRIC("databases", "gauge", "Databases hosted.", dbs);
    METRIC("reducer_calls_total", "counter", "Reducer calls from clients.",
           atomic_load(&api->stats.reducer_calls));
    METRIC("reducer_errors_total", "counter", "Reducer calls that failed.",
           atomic_load(&api->stats.reducer_errors));
    METRIC("reducer_duration_us_total", "counter",
           "Time spent in reducers called by clients, in microseconds.",
           atomic_load(&api->stats.reducer_us));
    METRIC("transactions_total", "counter", "Committed transactions that changed rows.",
           atomic_load(&api->stats.transactions));
    METRIC("subscriptions_total", "counter", "Query sets subscribed.",
           atomic_load(&api->stats.subscriptions));
    METRIC("sessions_total", "counter", "WebSocket sessions accepted.",
           atomic_load(&api->stats.sessions_total));
#undef METRIC
    if (b.oom)
        api_text(req, 500, "out of memory");
    else
        api_bytes(req, 200, "text/plain; version=0.0.4", b.data, b.len);
    lc_buf_free(&b);
}

/* ---------------------------------------------------------------- registry hooks */

static void hook_commit(void *arg, db_entry_t *e, const store_changeset_t *cs,
                        const mod_caller_t *caller)
{
    api_t *api = arg;
    atomic_fetch_add(&api->stats.transactions, 1);
    api_sessions_on_commit(api, e, cs, caller);
}

static void hook_durable(void *arg, db_entry_t *e, uint64_t offset)
{
    api_sessions_on_durable(arg, e, offset);
}

static void hook_entry_free(void *arg, db_entry_t *e)
{
    api_sessions_free(arg, e);
}

/* ---------------------------------------------------------------- start / stop */

int api_start(const api_config_t *cfg, api_t **out, lc_err_t *err)
{
    api_t *api = lc_calloc(1, sizeof *api);
    if (!api)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    api->cfg = *cfg;
    pthread_mutex_init(&api->mu, NULL);
    db_registry_config_t rc_cfg = cfg->db;
    rc_cfg.on_commit = hook_commit;
    rc_cfg.on_durable = hook_durable;
    rc_cfg.on_entry_free = hook_entry_free;
    rc_cfg.hook_arg = api;
    int rc = api__workers_start(api, err);
    if (rc == LC_OK)
        rc = db_registry_open(&rc_cfg, &api->reg, err);
    if (rc == LC_OK) {
        net_config_t nc = cfg->net;
        nc.on_request = on_request;
        nc.user = api;
        rc = net_server_start(&nc, &api->net, err);
    }
    if (rc) {
        api_stop(api);
        return rc;
    }
    *out = api;
    return LC_OK;
}

int api_port(const api_t *api)
{
    return net_server_port(api->net);
}

db_registry_t *api_registry(api_t *api)
{
    return api->reg;
}

void api_stop(api_t *api)
{
    if (!api)
        return;
    if (api->net)
        net_server_stop(api->net); /* sessions close with 1001 */
    /* Disconnect jobs of closing sessions touch api and the registry:
     * wait for them before either goes. */
    api_sessions_drain(api);
    api__workers_stop(api);
    db_registry_close(api->reg);
    pthread_mutex_destroy(&api->mu);
    lc_free(api);
}
