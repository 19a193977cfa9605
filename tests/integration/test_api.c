/*
 * Integration tests of the /v1 HTTP API and WebSocket sessions against the
 * real `lightcone start` (protocol.md §1, §3, §7, §8), with the example
 * modules built by `make examples`.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "harness.h"
#include "http_client.h"
#include "unit/test.h"

/* ---------------------------------------------------------------- helpers */

static int call(int port, const char *auth, const char *db, const char *reducer, const char *json,
                http_resp_t *r)
{
    char path[256], headers[4096];
    snprintf(path, sizeof path, "/v1/database/%s/call/%s", db, reducer);
    snprintf(headers, sizeof headers, "%sContent-Type: application/json\r\n", auth ? auth : "");
    return http_request(port, "POST", path, headers, json, strlen(json), r);
}

#define START(s)                                                                                   \
    itest_server_t s;                                                                              \
    if (itest_server_start(&s, NULL) != 0) {                                                       \
        test_fail(__FILE__, __LINE__, "server did not start (log %s)", s.log_path);                \
        itest_server_cleanup(&s);                                                                  \
        return;                                                                                    \
    }

#define EXPECT_STATUS(r, want)                                                                     \
    do {                                                                                           \
        if ((r).status != (want)) {                                                                \
            test_fail(__FILE__, __LINE__, "status %d, expected %d; body: %s", (r).status, want,    \
                      (r).body ? (r).body : "");                                                   \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, "EXPECT(%s)", #cond);                                    \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

static void stop(itest_server_t *s)
{
    int status;
    itest_server_stop(s, SIGTERM, &status);
    itest_server_cleanup(s);
}

/* ---------------------------------------------------------------- identity */

TEST(api_ping_health_metrics_cors)
{
    START(s);
    http_resp_t r = {0};
    char v[256];
    http_request(s.port, "GET", "/v1/ping", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/ping", "Authorization: Bearer garbage\r\n", NULL, 0, &r);
    EXPECT_STATUS(r, 401);
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/health", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "\"version\""));
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/metrics", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "lightcone_connections_open"));
    EXPECT(strstr(r.body, "lightcone_reducer_calls_total"));
    http_resp_free(&r);
    http_request(s.port, "OPTIONS", "/v1/identity/websocket-token",
                 "Origin: http://example.com\r\nAccess-Control-Request-Method: POST\r\n", NULL, 0,
                 &r);
    EXPECT_STATUS(r, 200);
    EXPECT(http_header(&r, "access-control-allow-origin", v, sizeof v) == 0 && strcmp(v, "*") == 0);
    EXPECT(http_header(&r, "access-control-allow-headers", v, sizeof v) == 0 &&
           strstr(v, "authorization"));
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/nothing-here", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 404);
    http_resp_free(&r);
    http_request(s.port, "DELETE", "/v1/ping", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 405);
done:
    http_resp_free(&r);
    stop(&s);
}

TEST(api_identity_routes)
{
    START(s);
    http_resp_t r = {0};
    char auth[2048], hex[65], path[256];
    EXPECT(http_new_identity(s.port, auth, sizeof auth, hex) == 0);
    EXPECT(strlen(hex) == 64 && strncmp(hex, "c200", 4) == 0);
    http_request(s.port, "POST", "/v1/identity/websocket-token", auth, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "\"token\""));
    http_resp_free(&r);
    http_request(s.port, "POST", "/v1/identity/websocket-token", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 401);
    http_resp_free(&r);
    http_request(s.port, "POST", "/v1/identity/websocket-token", "Authorization: Basic abc\r\n",
                 NULL, 0, &r);
    EXPECT_STATUS(r, 400);
    EXPECT(strstr(r.body, "malformed token"));
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/identity/public-key", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "BEGIN PUBLIC KEY"));
    EXPECT(strstr(r.headers, "application/pem-certificate-chain"));
    http_resp_free(&r);
    snprintf(path, sizeof path, "/v1/identity/%s/verify", hex);
    http_request(s.port, "GET", path, auth, NULL, 0, &r);
    EXPECT_STATUS(r, 204);
    http_resp_free(&r);
    http_request(s.port, "GET",
                 "/v1/identity/c200000000000000000000000000000000000000000000000000000000000000/"
                 "verify",
                 auth, NULL, 0, &r);
    EXPECT_STATUS(r, 400);
    http_resp_free(&r);
    http_request(s.port, "GET", path, NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 401);
done:
    http_resp_free(&r);
    stop(&s);
}

/* ---------------------------------------------------------------- databases */

TEST(api_publish_call_sql_logs_delete)
{
    START(s);
    http_resp_t r = {0};
    char auth[2048], hex[65], other[2048], ohex[65];
    EXPECT(http_new_identity(s.port, auth, sizeof auth, hex) == 0);
    EXPECT(http_new_identity(s.port, other, sizeof other, ohex) == 0);
    EXPECT(http_publish_example(s.port, auth, "bank", "bank", &r) == 0);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "\"op\":\"created\""));
    EXPECT(strstr(r.body, "\"domain\":\"bank\""));
    http_resp_free(&r);
    /* Republishing is the owner's right only. */
    EXPECT(http_publish_example(s.port, auth, "bank", "bank", &r) == 0);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "\"op\":\"updated\""));
    http_resp_free(&r);
    EXPECT(http_publish_example(s.port, other, "bank", "bank", &r) == 0);
    EXPECT_STATUS(r, 403);
    http_resp_free(&r);
    /* pre_publish: the plan a publish would apply, nothing changed. */
    {
        size_t wl;
        char *w = http_read_example("chat", &wl);
        EXPECT(w);
        http_request(s.port, "POST", "/v1/database/bank/pre_publish", auth, w, wl, &r);
        free(w);
        EXPECT_STATUS(r, 200);
        EXPECT(strstr(r.body, "AutoMigrate") || strstr(r.body, "ManualMigrate"));
        EXPECT(strstr(r.body, "accounts"));
        http_resp_free(&r);
        http_request(s.port, "GET", "/v1/database/bank", NULL, NULL, 0, &r);
        EXPECT_STATUS(r, 200);
        http_resp_free(&r);
    }
    /* A module that is not wasm is refused with a reason. */
    http_request(s.port, "PUT", "/v1/database/junk", auth, "not wasm", 8, &r);
    EXPECT_STATUS(r, 400);
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/database/junk", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 404);
    EXPECT(strstr(r.body, "`junk` not found"));
    http_resp_free(&r);
    http_request(s.port, "PUT", "/v1/database/Bad_Name", auth, "x", 1, &r);
    EXPECT_STATUS(r, 400);
    http_resp_free(&r);
    /* Describe. */
    http_request(s.port, "GET", "/v1/database/bank", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, hex));
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/database/bank/names", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "\"bank\""));
    http_resp_free(&r);
    /* The module definition as typed SATS-JSON (§8.3). */
    http_request(s.port, "GET", "/v1/database/bank/schema?version=10", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "{\"sections\":["));
    EXPECT(strstr(r.body, "\"source_name\":\"accounts\""));
    EXPECT(strstr(r.body, "\"source_name\":\"transfer\""));
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/database/bank/schema", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 400);
    EXPECT(strstr(r.body, "version is required"));
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/database/bank/schema?version=9", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 400);
    EXPECT(strstr(r.body, "version 10"));
    http_resp_free(&r);
    /* Renaming is the owner's right; the old name is released. */
    http_request(s.port, "PUT", "/v1/database/bank/names", other, "[\"bank2\"]", 9, &r);
    EXPECT_STATUS(r, 401);
    http_resp_free(&r);
    http_request(s.port, "PUT", "/v1/database/bank/names", auth, "[\"bank2\"]", 9, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strcmp(r.body, "\"Success\"") == 0);
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/database/bank", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 404);
    http_resp_free(&r);
    http_request(s.port, "POST", "/v1/database/bank2/names", auth, "bank", 4, &r);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    /* Calls. */
    call(s.port, auth, "bank", "seed", "[3, 100]", &r);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    call(s.port, auth, "bank", "transfer", "[0, 1, 10]", &r);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    call(s.port, auth, "bank", "transfer", "{\"from\": 1, \"to\": 2, \"amount\": 5}", &r);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    call(s.port, auth, "bank", "transfer", "[0, 0, 1]", &r);
    EXPECT_STATUS(r, 530);
    EXPECT(strstr(r.body, "same account"));
    http_resp_free(&r);
    call(s.port, auth, "bank", "transfer", "[0, 1]", &r);
    EXPECT_STATUS(r, 400);
    http_resp_free(&r);
    call(s.port, auth, "bank", "nope", "[]", &r);
    EXPECT_STATUS(r, 404);
    http_resp_free(&r);
    http_request(s.port, "POST", "/v1/database/bank/call/seed", "Content-Type: text/plain\r\n",
                 "[1,1]", 5, &r);
    EXPECT_STATUS(r, 415);
    http_resp_free(&r);
    /* SQL. */
    http_request(s.port, "POST", "/v1/database/bank/sql", auth, "SELECT * FROM accounts", 22, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "\"rows\":[[0,90],[1,105],[2,105]]") || strstr(r.body, "[0,90]"));
    EXPECT(strstr(r.body, "\"schema\""));
    http_resp_free(&r);
    http_request(s.port, "POST", "/v1/database/bank/sql", auth, "SELECT * FROM nope", 18, &r);
    EXPECT_STATUS(r, 400);
    EXPECT(strstr(r.body, "no such table"));
    http_resp_free(&r);
    {
        static const char q1[] = "SELECT id FROM accounts WHERE balance > 100 ORDER BY id";
        http_request(s.port, "POST", "/v1/database/bank/sql", auth, q1, sizeof q1 - 1, &r);
        EXPECT_STATUS(r, 200);
        EXPECT(strstr(r.body, "\"rows\":[[1],[2]]"));
        http_resp_free(&r);
        static const char q2[] = "SELECT COUNT(*) AS n FROM accounts";
        http_request(s.port, "POST", "/v1/database/bank/sql", auth, q2, sizeof q2 - 1, &r);
        EXPECT_STATUS(r, 200);
        EXPECT(strstr(r.body, "\"rows\":[[3]]"));
        http_resp_free(&r);
        /* DML is the owner's; it commits like a reducer and answers durable. */
        static const char q3[] = "INSERT INTO accounts VALUES (7, 70)";
        http_request(s.port, "POST", "/v1/database/bank/sql", other, q3, sizeof q3 - 1, &r);
        EXPECT_STATUS(r, 400);
        http_resp_free(&r);
        http_request(s.port, "POST", "/v1/database/bank/sql", auth, q3, sizeof q3 - 1, &r);
        EXPECT_STATUS(r, 200);
        EXPECT(strstr(r.body, "\"rows_inserted\":1"));
        http_resp_free(&r);
        static const char q4[] = "SELECT balance FROM accounts WHERE id = 7";
        http_request(s.port, "POST", "/v1/database/bank/sql", other, q4, sizeof q4 - 1, &r);
        EXPECT_STATUS(r, 200);
        EXPECT(strstr(r.body, "[[70]]"));
        http_resp_free(&r);
        static const char q5[] = "SELECT * FORM accounts";
        http_request(s.port, "POST", "/v1/database/bank/sql", auth, q5, sizeof q5 - 1, &r);
        EXPECT_STATUS(r, 400);
        EXPECT(strstr(r.body, "1:10"));
        http_resp_free(&r);
    }
    /* Logs: the owner's; others are refused. */
    http_request(s.port, "GET", "/v1/database/bank/logs?num_lines=100", auth, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "Database initialized"));
    EXPECT(strstr(r.body, "same account")); /* the user error is logged */
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/database/bank/logs", other, NULL, 0, &r);
    EXPECT_STATUS(r, 403);
    http_resp_free(&r);
    /* Delete: the owner's right. */
    http_request(s.port, "DELETE", "/v1/database/bank", other, NULL, 0, &r);
    EXPECT_STATUS(r, 403);
    http_resp_free(&r);
    http_request(s.port, "DELETE", "/v1/database/bank", auth, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    http_request(s.port, "GET", "/v1/database/bank", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 404);
done:
    http_resp_free(&r);
    stop(&s);
}

TEST(api_databases_survive_restart)
{
    START(s);
    http_resp_t r = {0};
    char auth[2048], hex[65], path[256];
    int status;
    EXPECT(http_new_identity(s.port, auth, sizeof auth, hex) == 0);
    EXPECT(http_publish_example(s.port, auth, "bank", "bank", &r) == 0);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    call(s.port, auth, "bank", "seed", "[2, 7]", &r);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    EXPECT(itest_server_stop(&s, SIGTERM, &status) == 0);
    /* Same data directory, new process. */
    EXPECT(itest_server_restart(&s, NULL) == 0);
    http_request(s.port, "POST", "/v1/database/bank/sql", auth, "SELECT * FROM accounts", 22, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "[1,7]"));
    http_resp_free(&r);
    snprintf(path, sizeof path, "/v1/identity/%s/databases", hex);
    http_request(s.port, "GET", path, NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "\"identities\":[\""));
done:
    http_resp_free(&r);
    stop(&s);
}

TEST(api_malformed_http_is_answered_and_server_keeps_serving)
{
    START(s);
    http_resp_t r = {0};
    char out[4096];
    int st = http_raw(s.port, "GARBAGE\r\n\r\n", 11, out, sizeof out);
    EXPECT(st == 400);
    st = http_raw(s.port, "GET /v1/ping HTTP/1.1\r\nContent-Length: zz\r\n\r\n", 45, out,
                  sizeof out);
    EXPECT(st == 400);
    http_request(s.port, "GET", "/v1/ping", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
done:
    http_resp_free(&r);
    stop(&s);
}

/* ---------------------------------------------------------------- WebSocket */

TEST(api_websocket_connect_call_and_errors)
{
    START(s);
    http_resp_t r = {0};
    ws_client_t ws = {.fd = -1};
    char auth[2048], hex[65];
    uint8_t *m = NULL;
    size_t len;
    int op;
    EXPECT(http_new_identity(s.port, auth, sizeof auth, hex) == 0);
    EXPECT(http_publish_example(s.port, auth, "bank", "bank", &r) == 0);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    /* Unknown database and unknown protocol are refused before the upgrade. */
    EXPECT(ws_connect(&ws, s.port, "/v1/database/nope/subscribe", "v2.bsatn.spacetimedb", NULL) ==
           404);
    ws_close(&ws);
    EXPECT(ws_connect(&ws, s.port, "/v1/database/bank/subscribe", "chat", NULL) == 400);
    ws_close(&ws);
    EXPECT(ws_connect(&ws, s.port, "/v1/database/bank/subscribe?compression=None",
                      "v3.bsatn.spacetimedb, v2.bsatn.spacetimedb", auth) == 0);
    EXPECT(strcmp(ws.protocol, "v3.bsatn.spacetimedb") == 0);
    /* InitialConnection first: tag byte 0 (no compression), message tag 0. */
    EXPECT(ws_recv(&ws, 5000, &op, &m, &len) == 0);
    EXPECT(op == 2 && len > 1 + 1 + 32 + 16 && m[0] == 0 && m[1] == 0);
    free(m);
    m = NULL;
    /* CallReducer{request_id 7, flags 0, "seed", args (u32 2, i64 5)}. */
    uint8_t msg[64];
    size_t n = 0;
    msg[n++] = 3;
    lc_store_u32le(msg + n, 7), n += 4;
    msg[n++] = 0;
    lc_store_u32le(msg + n, 4), n += 4;
    memcpy(msg + n, "seed", 4), n += 4;
    lc_store_u32le(msg + n, 12), n += 4;
    lc_store_u32le(msg + n, 2), n += 4;
    lc_store_u64le(msg + n, 5), n += 8;
    EXPECT(ws_send(&ws, 1, msg, n) == 0);
    EXPECT(ws_recv(&ws, 5000, &op, &m, &len) == 0);
    /* ReducerResult: tag 6, request id 7, timestamp, outcome Ok (0). */
    EXPECT(op == 2 && len >= 15 && m[0] == 0 && m[1] == 6 && lc_load_u32le(m + 2) == 7);
    EXPECT(m[14] == 0);
    free(m);
    m = NULL;
    /* A user error: outcome Err (2) with the message as a BSATN string. */
    n = 0;
    msg[n++] = 3;
    lc_store_u32le(msg + n, 8), n += 4;
    msg[n++] = 0;
    lc_store_u32le(msg + n, 8), n += 4;
    memcpy(msg + n, "transfer", 8), n += 8;
    lc_store_u32le(msg + n, 16), n += 4;
    lc_store_u32le(msg + n, 1), n += 4;
    lc_store_u32le(msg + n, 1), n += 4;
    lc_store_u64le(msg + n, 1), n += 8;
    EXPECT(ws_send(&ws, 1, msg, n) == 0);
    EXPECT(ws_recv(&ws, 5000, &op, &m, &len) == 0);
    EXPECT(m[1] == 6 && lc_load_u32le(m + 2) == 8 && m[14] == 2);
    EXPECT(memmem(m, len, "same account", 12));
    free(m);
    m = NULL;
    /* A text frame closes the session with 1011. */
    EXPECT(ws_send(&ws, 0, "hello", 5) == 0);
    EXPECT(ws_recv(&ws, 5000, &op, &m, &len) == 0);
    EXPECT(op == 8 && len >= 2 && (m[0] << 8 | m[1]) == 1011);
    /* The server still serves. */
    http_request(s.port, "GET", "/v1/ping", NULL, NULL, 0, &r);
    EXPECT_STATUS(r, 200);
done:
    free(m);
    ws_close(&ws);
    http_resp_free(&r);
    stop(&s);
}

/* ---------------------------------------------------------------- configuration */

static int write_config(const itest_server_t *s, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/config.toml", s->data_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

TEST(api_config_restricts_who_creates_databases)
{
    START(s);
    http_resp_t r = {0};
    char a[2048], ahex[65], b[2048], bhex[65], cfg[512];
    int status;
    char path[400];
    snprintf(path, sizeof path, "%s/config.toml", s.data_dir);
    EXPECT(access(path, R_OK) == 0); /* the commented template, written on first start */
    EXPECT(http_new_identity(s.port, a, sizeof a, ahex) == 0);
    EXPECT(http_new_identity(s.port, b, sizeof b, bhex) == 0);
    EXPECT(itest_server_stop(&s, SIGTERM, &status) == 0);
    snprintf(cfg, sizeof cfg, "[database]\ncreate-allowed-identities = [\"%s\"] # only a\n", ahex);
    EXPECT(write_config(&s, cfg) == 0);
    EXPECT(itest_server_restart(&s, NULL) == 0);
    EXPECT(http_publish_example(s.port, b, "bank", "bank", &r) == 0);
    EXPECT_STATUS(r, 403);
    http_resp_free(&r);
    EXPECT(http_publish_example(s.port, a, "bank", "bank", &r) == 0);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    /* An issuer rule: every token this server mints has iss "localhost". */
    EXPECT(itest_server_stop(&s, SIGTERM, &status) == 0);
    EXPECT(write_config(&s, "[database]\ncreate-allowed-issuer = \"localhost\"\n") == 0);
    EXPECT(itest_server_restart(&s, NULL) == 0);
    EXPECT(http_publish_example(s.port, b, "chat", "chat", &r) == 0);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    EXPECT(itest_server_stop(&s, SIGTERM, &status) == 0);
    EXPECT(write_config(&s, "[database]\ncreate-allowed-issuer = \"https://elsewhere\"\n") == 0);
    EXPECT(itest_server_restart(&s, NULL) == 0);
    EXPECT(http_publish_example(s.port, b, "chat2", "chat", &r) == 0);
    EXPECT_STATUS(r, 403);
    http_resp_free(&r);
    /* A bad setting stops the server from starting, naming the line. */
    EXPECT(itest_server_stop(&s, SIGTERM, &status) == 0);
    EXPECT(write_config(&s, "[database]\nfsync = \"sometimes\"\n") == 0);
    EXPECT(itest_server_restart(&s, NULL) != 0);
    EXPECT(itest_log_contains(&s, "config.toml line 2"));
done:
    http_resp_free(&r);
    stop(&s);
}

TEST(api_backup_and_restore_a_hosted_database)
{
    START(s);
    http_resp_t r = {0};
    char auth[2048], hex[65], out[4096], bk[400];
    int status;
    EXPECT(http_new_identity(s.port, auth, sizeof auth, hex) == 0);
    EXPECT(http_publish_example(s.port, auth, "bank", "bank", &r) == 0);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    call(s.port, auth, "bank", "seed", "[3, 9]", &r);
    EXPECT_STATUS(r, 200);
    http_resp_free(&r);
    /* A hot backup, found by name, while the server serves. */
    snprintf(bk, sizeof bk, "%s/bk", s.dir);
    const char *b[] = {"backup", "bank", bk, "--data-dir", s.data_dir, NULL};
    EXPECT(itest_run(out, sizeof out, b) == 0);
    EXPECT(itest_server_stop(&s, SIGTERM, &status) == 0);
    const char *rs[] = {"restore", bk, "bank2", "--data-dir", s.data_dir, NULL};
    EXPECT(itest_run(out, sizeof out, rs) == 0);
    EXPECT(itest_server_restart(&s, NULL) == 0);
    http_request(s.port, "POST", "/v1/database/bank2/sql", auth, "SELECT * FROM accounts", 22, &r);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "[2,9]"));
    http_resp_free(&r);
    /* The copy keeps its owner: the same identity may update it. */
    EXPECT(http_publish_example(s.port, auth, "bank2", "bank", &r) == 0);
    EXPECT_STATUS(r, 200);
    EXPECT(strstr(r.body, "\"op\":\"updated\""));
done:
    http_resp_free(&r);
    stop(&s);
}

const test_case_t test_api_cases[] = {
    TEST_CASE(api_ping_health_metrics_cors),
    TEST_CASE(api_identity_routes),
    TEST_CASE(api_publish_call_sql_logs_delete),
    TEST_CASE(api_databases_survive_restart),
    TEST_CASE(api_malformed_http_is_answered_and_server_keeps_serving),
    TEST_CASE(api_websocket_connect_call_and_errors),
    TEST_CASE(api_config_restricts_who_creates_databases),
    TEST_CASE(api_backup_and_restore_a_hosted_database),
    TEST_END,
};
