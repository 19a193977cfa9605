/*
 * api internals shared by api.c (server, route table, CORS, auth
 * middleware, response helpers), routes_identity.c, routes_database.c and
 * session.c (WebSocket sessions and the per-database fan-out).
 */
#ifndef LC_API_INT_H
#define LC_API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "api/api.h"

struct api {
    api_config_t cfg;
    net_server_t *net;
    db_registry_t *reg;
    pthread_mutex_t mu; /* guards lazily created per-database state (e->user) */
    struct api_workers *workers;
    struct {
        atomic_uint_fast64_t reducer_calls, reducer_errors, reducer_us;
        atomic_uint_fast64_t transactions, subscriptions, sessions_total;
        atomic_uint_fast64_t http_errors;
    } stats;
};

/* The caller of a request, after the auth middleware (protocol.md §7.5). */
typedef struct api_caller {
    auth_claims_t claims; /* identity, issuer, subject, payload */
    char *token;          /* the token presented, or the one minted (lc_malloc'd) */
    bool minted;          /* no credentials came: a new anonymous identity */
} api_caller_t;

/* ---------------------------------------------------------------- workers.c */

/* Threads for work that blocks (publishing, HTTP reducer calls, log
 * followers): fn(arg) runs on one of them.  LC_EBUSY when stopping. */
int api_defer(api_t *api, void (*fn)(void *arg), void *arg);
int api__workers_start(api_t *api, lc_err_t *err);
void api__workers_stop(api_t *api);

/* ---------------------------------------------------------------- api.c */

/* Authenticate req: a Bearer header or ?token=, validated; none → a fresh
 * anonymous identity and token.  On failure answers req itself (400/401)
 * and returns the error; the caller must not touch req then. */
int api_auth(api_t *api, net_http_req_t *req, api_caller_t *out);
/* Like api_auth, but without credentials fails with 401 (routes that
 * require auth). */
int api_auth_required(api_t *api, net_http_req_t *req, api_caller_t *out);
void api_caller_free(api_caller_t *c);
/* spacetime-identity and spacetime-identity-token headers (§7.5). */
void api_identity_headers(net_http_req_t *req, const api_caller_t *c);

/* Answer with a plain-text body (printf-style); CORS headers are added. */
int api_text(net_http_req_t *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answer with a JSON body (steals j). */
int api_json(net_http_req_t *req, int status, struct json_t *j);
/* Answer with raw bytes and a content type. */
int api_bytes(net_http_req_t *req, int status, const char *content_type, const void *p, size_t len);
/* The HTTP status for an lc error code from the registry or a database. */
int api_status_of(int rc);
/* Add the CORS headers every /v1 response carries (§8.1). */
void api_cors(net_http_req_t *req);

/* ---------------------------------------------------------------- routes */

/* A route handler.  params[0..n) are the path's variable parts (decoded).
 * It answers req exactly once (now or later). */
typedef void (*api_route_fn)(api_t *api, net_http_req_t *req, char **params);

void api_route_identity_new(api_t *api, net_http_req_t *req, char **params);
void api_route_identity_ws_token(api_t *api, net_http_req_t *req, char **params);
void api_route_identity_public_key(api_t *api, net_http_req_t *req, char **params);
void api_route_identity_verify(api_t *api, net_http_req_t *req, char **params);
void api_route_identity_databases(api_t *api, net_http_req_t *req, char **params);

void api_route_db_publish_new(api_t *api, net_http_req_t *req, char **params);
void api_route_db_publish(api_t *api, net_http_req_t *req, char **params);
void api_route_db_info(api_t *api, net_http_req_t *req, char **params);
void api_route_db_pre_publish(api_t *api, net_http_req_t *req, char **params);
void api_route_db_delete(api_t *api, net_http_req_t *req, char **params);
void api_route_db_names(api_t *api, net_http_req_t *req, char **params);
void api_route_db_names_add(api_t *api, net_http_req_t *req, char **params);
void api_route_db_names_set(api_t *api, net_http_req_t *req, char **params);
void api_route_db_identity(api_t *api, net_http_req_t *req, char **params);
void api_route_db_call(api_t *api, net_http_req_t *req, char **params);
void api_route_db_sql(api_t *api, net_http_req_t *req, char **params);
void api_route_db_logs(api_t *api, net_http_req_t *req, char **params);
void api_route_db_schema(api_t *api, net_http_req_t *req, char **params);
void api_route_db_timestamp(api_t *api, net_http_req_t *req, char **params);
void api_route_db_subscribe(api_t *api, net_http_req_t *req, char **params);

/* ---------------------------------------------------------------- session.c */

/* Take over an authenticated upgrade request for database e (a reference
 * the session keeps): choose the subprotocol, accept, run the connect
 * lifecycle, send InitialConnection, then serve messages.  Takes ownership
 * of req, e's reference and *caller (zeroed). */
void api_session_start(api_t *api, net_http_req_t *req, db_entry_t *e, api_caller_t *caller);
/* Registry hooks: fan a commit out to the database's sessions; release
 * messages held for confirmed reads; free the per-database state. */
void api_sessions_on_commit(api_t *api, db_entry_t *e, const store_changeset_t *cs,
                            const mod_caller_t *caller);
void api_sessions_on_durable(api_t *api, db_entry_t *e, uint64_t offset);
void api_sessions_free(api_t *api, db_entry_t *e);

#endif /* LC_API_INT_H */
