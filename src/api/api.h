/*
 * api — the /v1 HTTP API and the WebSocket sessions of protocol.md, on top
 * of the network transport (net.h), the database registry (db.h) and the
 * server's keys (auth.h).
 *
 * Requests flow: net (loop thread) -> api_route (the route table in
 * api.c) -> a route handler, which answers at once or hands work to a
 * database's executor and answers from there.  WebSocket sessions
 * (session.c) speak v3/v2 (v1 refused for now) to one database each.
 *
 * Public surface (prefix api_):
 *   api_start / api_stop   open the registry, listen, serve; shut down
 *   api_port               the port actually bound
 *   api_registry           the registry (for the server's own use)
 */
#ifndef LC_API_H
#define LC_API_H

#include "auth/auth.h"
#include "base/base.h"
#include "db/db.h"
#include "net/net.h"

typedef struct api api_t;

typedef struct api_config {
    net_config_t net;        /* listen address, limits (on_request is set by api) */
    db_registry_config_t db; /* data directory, engine, fsync, limits (hooks set by api) */
    const auth_keys_t *keys; /* borrowed for the api's life */
    /* Who may create databases: NULL/0 = anyone (the reference's rule);
     * otherwise only these identities (LE). */
    const uint8_t (*creators)[32];
    size_t ncreators;
    /* ...or holders of tokens from this issuer (NULL = no issuer rule), as
     * the reference's TEMP_SPACETIMEAUTH_ISSUER_REQUIRED_TO_PUBLISH. */
    const char *creator_issuer;
} api_config_t;

int api_start(const api_config_t *cfg, api_t **out, lc_err_t *err);
int api_port(const api_t *api);
db_registry_t *api_registry(api_t *api);
/* Stop accepting, close every session (1001), close every database. */
void api_stop(api_t *api);

#endif /* LC_API_H */
