/*
 * Row-level security against the real server (protocol.md §4.6): the
 * examples/notes module's rules filter /sql and a WebSocket subscription
 * for every client but the database owner, including the rule that joins
 * `share`, whose changes add and remove notes from a reader's view.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "harness.h"
#include "http_client.h"
#include "unit/test.h"

typedef struct who {
    char auth[2048], hex[65];
} who_t;

static int new_identity(int port, who_t *w)
{
    return http_new_identity(port, w->auth, sizeof w->auth, w->hex);
}

static int publish_notes(int port, const who_t *owner)
{
    http_resp_t r = {0};
    int rc = http_publish_example(port, owner->auth, "notes", "notes", &r);
    rc = rc == 0 && r.status == 200 ? 0 : -1;
    http_resp_free(&r);
    return rc;
}

/* Call a reducer with JSON arguments; the HTTP status. */
static int call(int port, const who_t *w, const char *reducer, const char *args)
{
    char path[128], headers[4096];
    snprintf(path, sizeof path, "/v1/database/notes/call/%s", reducer);
    snprintf(headers, sizeof headers, "%sContent-Type: application/json\r\n", w->auth);
    http_resp_t r;
    int rc = http_request(port, "POST", path, headers, args, strlen(args), &r);
    int status = rc ? -1 : r.status;
    http_resp_free(&r);
    return status;
}

/* The rows of a /sql query as w sees them (JSON text in out), or -1. */
static int sql_rows(int port, const who_t *w, const char *q, char *out, size_t cap)
{
    http_resp_t r;
    out[0] = 0;
    if (http_request(port, "POST", "/v1/database/notes/sql", w->auth, q, strlen(q), &r))
        return -1;
    int n = -1;
    json_t *j = r.status == 200 ? json_loads(r.body, 0, NULL) : NULL;
    json_t *rows = json_object_get(json_array_get(j, 0), "rows");
    if (json_is_array(rows)) {
        n = (int)json_array_size(rows);
        char *s = json_dumps(rows, JSON_COMPACT);
        snprintf(out, cap, "%s", s ? s : "");
        free(s);
    }
    json_decref(j);
    http_resp_free(&r);
    return n;
}

/* The id of the note with text, as the owner reads it; 0 if none. */
static uint64_t note_id(int port, const who_t *owner, const char *text)
{
    char q[256], rows[4096];
    snprintf(q, sizeof q, "SELECT id FROM note WHERE text = '%s'", text);
    if (sql_rows(port, owner, q, rows, sizeof rows) != 1)
        return 0;
    return strtoull(rows + 2, NULL, 10); /* [[N]] */
}

/* Subscribe{request 1, set 1, [query]} in v2 BSATN. */
static int subscribe(ws_client_t *ws, const char *query)
{
    uint8_t msg[512];
    size_t n = 0, ql = strlen(query);
    msg[n++] = 0;
    lc_store_u32le(msg + n, 1), n += 4;
    lc_store_u32le(msg + n, 1), n += 4;
    lc_store_u32le(msg + n, 1), n += 4;
    lc_store_u32le(msg + n, (uint32_t)ql), n += 4;
    memcpy(msg + n, query, ql), n += ql;
    return ws_send(ws, 1, msg, n);
}

/* The next server message (v2: compression byte, then the tag); its tag
 * or -1.  *m is malloc'd. */
static int next_message(ws_client_t *ws, uint8_t **m, size_t *len)
{
    int op;
    free(*m);
    *m = NULL;
    if (ws_recv(ws, 5000, &op, m, len) || op != 2 || *len < 2 || (*m)[0] != 0)
        return -1;
    return (*m)[1];
}

static bool has(const uint8_t *m, size_t len, const char *text)
{
    return m && memmem(m, len, text, strlen(text)) != NULL;
}

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, "EXPECT(%s)", #cond);                                    \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

TEST(rls_notes_sql_and_subscription)
{
    itest_server_t s;
    if (itest_server_start(&s, NULL) != 0) {
        test_fail(__FILE__, __LINE__, "server did not start (log %s)", s.log_path);
        itest_server_cleanup(&s);
        return;
    }
    who_t owner, alice, bob;
    ws_client_t ws = {.fd = -1};
    uint8_t *m = NULL;
    size_t len = 0;
    char rows[8192], args[256];
    EXPECT(new_identity(s.port, &owner) == 0 && new_identity(s.port, &alice) == 0 &&
           new_identity(s.port, &bob) == 0);
    EXPECT(publish_notes(s.port, &owner) == 0);
    EXPECT(call(s.port, &alice, "add_note", "[\"alice secret\"]") == 200);
    EXPECT(call(s.port, &bob, "add_note", "[\"bob diary\"]") == 200);
    uint64_t secret = note_id(s.port, &owner, "alice secret");
    EXPECT(secret != 0);

    /* /sql: the owner sees every note, each other client its own. */
    EXPECT(sql_rows(s.port, &owner, "SELECT * FROM note", rows, sizeof rows) == 2);
    EXPECT(sql_rows(s.port, &alice, "SELECT * FROM note", rows, sizeof rows) == 1);
    EXPECT(strstr(rows, "alice secret") && !strstr(rows, "bob diary"));
    EXPECT(sql_rows(s.port, &bob, "SELECT text FROM note", rows, sizeof rows) == 1);
    EXPECT(strstr(rows, "bob diary"));
    EXPECT(sql_rows(s.port, &bob, "SELECT COUNT(*) AS n FROM note", rows, sizeof rows) == 1);
    EXPECT(strcmp(rows, "[[1]]") == 0);
    /* Not the owner's: editing someone else's note fails in the reducer. */
    snprintf(args, sizeof args, "[%llu, \"mine now\"]", (unsigned long long)secret);
    EXPECT(call(s.port, &bob, "edit_note", args) != 200);

    /* Bob subscribes: only his note at first. */
    EXPECT(ws_connect(&ws, s.port, "/v1/database/notes/subscribe?compression=None",
                      "v2.bsatn.spacetimedb", bob.auth) == 0);
    EXPECT(next_message(&ws, &m, &len) == 0); /* InitialConnection */
    EXPECT(subscribe(&ws, "SELECT * FROM note") == 0);
    EXPECT(next_message(&ws, &m, &len) == 1); /* SubscribeApplied */
    EXPECT(has(m, len, "bob diary") && !has(m, len, "alice secret"));

    /* Alice's private note never reaches Bob; her shared one does. */
    EXPECT(call(s.port, &alice, "add_note", "[\"alice private\"]") == 200);
    snprintf(args, sizeof args, "[%llu, \"0x%s\"]", (unsigned long long)secret, bob.hex);
    EXPECT(call(s.port, &alice, "share_note", args) == 200);
    EXPECT(next_message(&ws, &m, &len) == 4); /* TransactionUpdate */
    EXPECT(has(m, len, "alice secret") && !has(m, len, "alice private"));
    EXPECT(sql_rows(s.port, &bob, "SELECT * FROM note", rows, sizeof rows) == 2);
    EXPECT(sql_rows(s.port, &bob, "SELECT * FROM share", rows, sizeof rows) == 1);
    EXPECT(sql_rows(s.port, &alice, "SELECT * FROM share", rows, sizeof rows) == 0);

    /* An edit of the shared note reaches Bob as an update. */
    snprintf(args, sizeof args, "[%llu, \"alice edited\"]", (unsigned long long)secret);
    EXPECT(call(s.port, &alice, "edit_note", args) == 200);
    EXPECT(next_message(&ws, &m, &len) == 4);
    EXPECT(has(m, len, "alice edited") && has(m, len, "alice secret"));

    /* Unsharing takes it away again: a delete of the row Bob holds. */
    snprintf(args, sizeof args, "[%llu, \"0x%s\"]", (unsigned long long)secret, bob.hex);
    EXPECT(call(s.port, &alice, "unshare_note", args) == 200);
    EXPECT(next_message(&ws, &m, &len) == 4);
    EXPECT(has(m, len, "alice edited"));
    EXPECT(sql_rows(s.port, &bob, "SELECT * FROM note", rows, sizeof rows) == 1);
    EXPECT(!strstr(rows, "alice"));
    EXPECT(sql_rows(s.port, &owner, "SELECT * FROM note", rows, sizeof rows) == 3);
done:
    free(m);
    ws_close(&ws);
    int status;
    itest_server_stop(&s, SIGTERM, &status);
    itest_server_cleanup(&s);
}

/* Publishing installs the rules and says so in the database's log
 * (module-abi.md §5); bad rules are refused by sql_schema_from_def
 * (tests/unit/test_sql_schema.c). */
TEST(rls_rules_logged_at_publish)
{
    itest_server_t s;
    if (itest_server_start(&s, NULL) != 0) {
        test_fail(__FILE__, __LINE__, "server did not start (log %s)", s.log_path);
        itest_server_cleanup(&s);
        return;
    }
    who_t owner;
    char rows[512];
    EXPECT(new_identity(s.port, &owner) == 0);
    EXPECT(publish_notes(s.port, &owner) == 0);
    http_resp_t r;
    EXPECT(http_request(s.port, "GET", "/v1/database/notes/logs?num_lines=50", owner.auth, NULL, 0,
                        &r) == 0);
    bool logged = r.status == 200 && r.body &&
                  strstr(r.body, "Creating row level security `SELECT * FROM note WHERE owner = "
                                 ":sender`");
    http_resp_free(&r);
    EXPECT(logged);
    EXPECT(sql_rows(s.port, &owner, "SELECT * FROM share", rows, sizeof rows) == 0);
done:;
    int status;
    itest_server_stop(&s, SIGTERM, &status);
    itest_server_cleanup(&s);
}

const test_case_t test_rls_cases[] = {
    TEST_CASE(rls_notes_sql_and_subscription),
    TEST_CASE(rls_rules_logged_at_publish),
    TEST_END,
};
