/* Crash safety through the server: the real lightcone binary hosts
 * examples/bank under a pipelined transfer load with confirmed reads (a
 * reply means the transaction is on disk), is killed with SIGKILL at a random
 * moment, and restarts on the same data directory; every acknowledged
 * transfer must still be there and no money may appear or vanish.
 *
 * The bank keeps no ledger, so the load is shaped to be checkable from the
 * balances alone: every transfer moves 1 from account 0 to one of the others.
 * After a restart, account 0 has lost at least as much as was acknowledged
 * and at most as much as was sent, no other account lost anything, and the
 * total is what the seed made.  LC_CRASH_SERVER_CYCLES sets the number of
 * kill cycles (default 3; `make crashtest` runs many). */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "harness.h"
#include "http_client.h"
#include "unit/test.h"

#define ACCOUNTS 100
#define BALANCE  1000000000LL
#define CLIENTS  4
#define DEPTH    8

typedef struct client {
    pthread_t tid;
    int port;
    long long sent, acked;
} client_t;

/* CallReducer{id, 0, "transfer", (0, to, 1)} in v2 BSATN. */
static size_t transfer_msg(uint8_t *m, uint32_t id, uint32_t to)
{
    m[0] = 3;
    lc_store_u32le(m + 1, id);
    m[5] = 0;
    lc_store_u32le(m + 6, 8);
    memcpy(m + 10, "transfer", 8);
    lc_store_u32le(m + 18, 16);
    lc_store_u32le(m + 22, 0);
    lc_store_u32le(m + 26, to);
    lc_store_u64le(m + 30, 1);
    return 38;
}

/* Keep DEPTH transfers in flight until the connection dies (the kill);
 * count those sent and those acknowledged as committed. */
static void *client_main(void *arg)
{
    client_t *c = arg;
    ws_client_t ws;
    int op;
    uint8_t *msg, m[64];
    size_t len;
    if (ws_connect(&ws, c->port, "/v1/database/bank/subscribe?compression=None",
                   "v2.bsatn.spacetimedb", NULL) != 0)
        return NULL;
    uint32_t id = 0;
    bool alive = ws_recv(&ws, 10000, &op, &msg, &len) == 0; /* InitialConnection */
    if (alive)
        free(msg);
    for (int i = 0; alive && i < DEPTH; i++, c->sent++)
        alive = ws_send(&ws, 1, m, transfer_msg(m, id, 1 + id % (ACCOUNTS - 1))) == 0, id++;
    while (alive && ws_recv(&ws, 10000, &op, &msg, &len) == 0) {
        /* ReducerResult: tag, variant 6, request id, timestamp, outcome 0/1 = ok */
        if (len >= 15 && msg[1] == 6 && (msg[14] == 0 || msg[14] == 1))
            c->acked++;
        free(msg);
        c->sent++;
        alive = ws_send(&ws, 1, m, transfer_msg(m, id, 1 + id % (ACCOUNTS - 1))) == 0;
        id++;
    }
    ws_close(&ws);
    return NULL;
}

/* The balances through the SQL route: 0 and fills bal[ACCOUNTS]. */
static int read_balances(int port, long long *bal, char *why, size_t cap)
{
    http_resp_t r;
    if (http_request(port, "POST", "/v1/database/bank/sql", NULL, "SELECT * FROM accounts", 22,
                     &r) ||
        r.status != 200) {
        snprintf(why, cap, "sql: status %d %s", r.status, r.body ? r.body : "");
        http_resp_free(&r);
        return -1;
    }
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *rows = json_object_get(json_array_get(j, 0), "rows");
    int n = 0;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *row = json_array_get(rows, i);
        long long id = json_integer_value(json_array_get(row, 0));
        if (id >= 0 && id < ACCOUNTS)
            bal[id] = json_integer_value(json_array_get(row, 1)), n++;
    }
    json_decref(j);
    http_resp_free(&r);
    if (n != ACCOUNTS)
        return snprintf(why, cap, "sql: %d accounts, expected %d", n, ACCOUNTS), -1;
    return 0;
}

/* Load for ms, SIGKILL, restart; the totals so far go in *sent, *acked. */
static int load_and_kill(itest_server_t *s, int ms, long long *sent, long long *acked, char *why,
                         size_t cap)
{
    client_t c[CLIENTS] = {0};
    for (int i = 0; i < CLIENTS; i++) {
        c[i].port = s->port;
        pthread_create(&c[i].tid, NULL, client_main, &c[i]);
    }
    usleep((useconds_t)ms * 1000);
    int status;
    itest_server_stop(s, SIGKILL, &status);
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(c[i].tid, NULL);
        *sent += c[i].sent, *acked += c[i].acked;
    }
    if (itest_server_restart(s, NULL) != 0)
        return snprintf(why, cap, "restart failed (log %s)", s->log_path), -1;
    return 0;
}

static int check_balances(const long long *bal, long long sent, long long acked, char *why,
                          size_t cap)
{
    long long total = 0, moved = BALANCE - bal[0];
    for (int i = 0; i < ACCOUNTS; i++) {
        total += bal[i];
        if (i > 0 && bal[i] < BALANCE)
            return snprintf(why, cap, "account %d lost money: %lld", i, bal[i]), -1;
    }
    if (total != (long long)ACCOUNTS * BALANCE)
        return snprintf(why, cap, "total %lld, expected %lld", total, ACCOUNTS * BALANCE), -1;
    if (moved < acked)
        return snprintf(why, cap, "%lld transfers acknowledged, only %lld survived", acked, moved),
               -1;
    if (moved > sent)
        return snprintf(why, cap, "%lld transfers applied, only %lld sent", moved, sent), -1;
    return 0;
}

static int run_cycles(itest_server_t *s, int cycles, long long *acked_out, char *why, size_t cap)
{
    http_resp_t r = {0};
    char body[64];
    const char *wasm_path = "build/examples/bank.wasm";
    FILE *f = fopen(wasm_path, "rb");
    if (!f)
        return snprintf(why, cap, "%s missing: run `make examples`", wasm_path), -1;
    static uint8_t wasm[1 << 20];
    size_t n = fread(wasm, 1, sizeof wasm, f);
    fclose(f);
    if (http_request(s->port, "PUT", "/v1/database/bank", NULL, wasm, n, &r) || r.status != 200)
        return snprintf(why, cap, "publish: status %d", r.status), http_resp_free(&r), -1;
    http_resp_free(&r);
    int len = snprintf(body, sizeof body, "[%d, %lld]", ACCOUNTS, BALANCE);
    if (http_request(s->port, "POST", "/v1/database/bank/call/seed",
                     "Content-Type: application/json\r\n", body, (size_t)len, &r) ||
        r.status != 200)
        return snprintf(why, cap, "seed: status %d", r.status), http_resp_free(&r), -1;
    http_resp_free(&r);
    long long sent = 0, acked = 0, bal[ACCOUNTS];
    for (int i = 0; i < cycles; i++) {
        if (load_and_kill(s, 100 + rand() % 400, &sent, &acked, why, cap) ||
            read_balances(s->port, bal, why, cap) || check_balances(bal, sent, acked, why, cap)) {
            size_t w = strlen(why);
            snprintf(why + w, cap - w, " (cycle %d)", i);
            return -1;
        }
    }
    *acked_out = acked;
    return 0;
}

TEST(server_sigkill_under_bank_load_keeps_acked_transfers)
{
    const char *env = getenv("LC_CRASH_SERVER_CYCLES");
    int cycles = env && *env ? atoi(env) : 3;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    itest_server_t s;
    if (itest_server_start(&s, NULL) != 0) {
        test_fail(__FILE__, __LINE__, "server did not start (log %s)", s.log_path);
        itest_server_cleanup(&s);
        return;
    }
    char why[512] = "";
    long long acked = 0;
    int rc = run_cycles(&s, cycles, &acked, why, sizeof why);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "%s", why);
    else if (acked == 0)
        test_fail(__FILE__, __LINE__, "no transfer was acknowledged in %d cycles", cycles);
    int status;
    itest_server_stop(&s, SIGTERM, &status);
    itest_server_cleanup(&s);
}

const test_case_t test_crash_server_cases[] = {
    TEST_CASE(server_sigkill_under_bank_load_keeps_acked_transfers),
    TEST_END,
};
