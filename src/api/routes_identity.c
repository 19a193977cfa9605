/*
 * Identity routes (protocol.md §8.2): minting identities, short-lived
 * WebSocket tokens, the server's public key, verification, and the
 * databases an identity owns.
 */
#include <string.h>

#include "api/api_int.h"

static json_t *identity_json(const auth_identity_t *id)
{
    char hex[AUTH_IDENTITY_HEX_LEN + 1];
    auth_identity_to_hex(id, hex);
    return json_string(hex);
}

void api_route_identity_new(api_t *api, net_http_req_t *req, char **params)
{
    char *tok;
    auth_identity_t id;
    lc_err_t err;
    if (auth_token_mint(api->cfg.keys, AUTH_LOCAL_ISSUER, NULL, 0, &tok, &id, &err)) {
        api_text(req, 500, "cannot mint a token: %s", err.msg);
        return;
    }
    api_json(req, 200, json_pack("{s:o, s:s}", "identity", identity_json(&id), "token", tok));
    lc_free(tok);
}

void api_route_identity_ws_token(api_t *api, net_http_req_t *req, char **params)
{
    api_caller_t c;
    if (api_auth_required(api, req, &c))
        return;
    char *tok;
    lc_err_t err;
    if (auth_token_mint_websocket(api->cfg.keys, &c.claims, &tok, &err))
        api_text(req, 500, "cannot mint a token: %s", err.msg);
    else
        api_json(req, 200, json_pack("{s:s}", "token", tok)), lc_free(tok);
    api_caller_free(&c);
}

void api_route_identity_public_key(api_t *api, net_http_req_t *req, char **params)
{
    size_t len;
    const char *pem = auth_keys_public_pem(api->cfg.keys, &len);
    api_bytes(req, 200, AUTH_PUBLIC_KEY_CONTENT_TYPE, pem, len);
}

/* Parse a 64-hex identity path parameter (0x allowed). */
static bool identity_param(const char *s, auth_identity_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    return strlen(s) == AUTH_IDENTITY_HEX_LEN &&
           auth_identity_from_hex(s, AUTH_IDENTITY_HEX_LEN, out) == LC_OK;
}

void api_route_identity_verify(api_t *api, net_http_req_t *req, char **params)
{
    auth_identity_t id;
    if (!identity_param(params[0], &id)) {
        api_text(req, 400, "`%s` is not an identity", params[0]);
        return;
    }
    api_caller_t c;
    if (api_auth_required(api, req, &c))
        return;
    bool same = memcmp(c.claims.identity.le, id.le, 32) == 0;
    api_caller_free(&c);
    if (same)
        api_bytes(req, 204, NULL, "", 0);
    else
        api_text(req, 400, "the token does not belong to identity %s", params[0]);
}

void api_route_identity_databases(api_t *api, net_http_req_t *req, char **params)
{
    auth_identity_t id;
    if (!identity_param(params[0], &id)) {
        api_text(req, 400, "`%s` is not an identity", params[0]);
        return;
    }
    size_t n = db_registry_owned_by(api->reg, id.le, NULL, 0);
    char(*hex)[65] = lc_malloc((n ? n : 1) * sizeof *hex);
    if (!hex) {
        api_text(req, 500, "out of memory");
        return;
    }
    size_t total = db_registry_owned_by(api->reg, id.le, hex, n);
    if (total < n)
        n = total;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, json_string(hex[i]));
    lc_free(hex);
    api_json(req, 200, json_pack("{s:o}", "identities", arr));
}
