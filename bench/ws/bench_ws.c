/*
 * Reducer calls over WebSocket: the server (api_start, in this process,
 * on a durable data directory with group commit and confirmed reads, as a
 * client gets by default) and clients speaking v2 over real sockets.
 *
 *   latency     one client, one call at a time: p50 and p99 round trip of
 *               examples/bank's transfer
 *   throughput  C clients, each keeping D calls in flight: calls/s
 *
 * Build and run:  make examples build/bench/bench_ws && build/bench/bench_ws
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "integration/http_client.h"
#include "module/mod_abi.h"
#include "unit/module_fixture.h"
#include "unit/test.h"

#define ACCOUNTS 100000

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_ws: %s: %s\n", what, msg ? msg : "");
    exit(1);
}

/* CallReducer{request_id, flags 0, "transfer", (from, to, 1)} in v2 BSATN. */
static size_t transfer_msg(uint8_t *m, uint32_t request_id, uint32_t from, uint32_t to)
{
    size_t n = 0;
    m[n++] = 3;
    lc_store_u32le(m + n, request_id), n += 4;
    m[n++] = 0;
    lc_store_u32le(m + n, 8), n += 4;
    memcpy(m + n, "transfer", 8), n += 8;
    lc_store_u32le(m + n, 16), n += 4;
    lc_store_u32le(m + n, from), n += 4;
    lc_store_u32le(m + n, to), n += 4;
    lc_store_u64le(m + n, 1), n += 8;
    return n;
}

static uint32_t rnd(uint64_t *s, uint32_t n)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (uint32_t)((*s * 2685821657736338717ull) >> 32) % n;
}

static void connect_client(ws_client_t *ws, int port)
{
    if (ws_connect(ws, port, "/v1/database/bank/subscribe?compression=None", "v2.bsatn.spacetimedb",
                   NULL) != 0)
        die("connect", "WebSocket upgrade refused");
    int op;
    uint8_t *m;
    size_t len;
    if (ws_recv(ws, 10000, &op, &m, &len) || len < 2 || m[1] != 0)
        die("connect", "no InitialConnection");
    free(m);
}

/* One call's reply: ReducerResult with outcome Ok. */
static void expect_ok(ws_client_t *ws)
{
    int op;
    uint8_t *m;
    size_t len;
    if (ws_recv(ws, 30000, &op, &m, &len))
        die("recv", "no reply");
    if (len < 15 || m[1] != 6 || m[14] != 0)
        die("recv", "not a successful ReducerResult");
    free(m);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void latency(int port, int n)
{
    ws_client_t ws;
    connect_client(&ws, port);
    uint64_t *us = malloc((size_t)n * sizeof *us), seed = 42;
    uint8_t m[64];
    for (int i = -n / 10; i < n; i++) { /* the first tenth warms up */
        uint32_t from = rnd(&seed, ACCOUNTS), to = (from + 1 + rnd(&seed, ACCOUNTS - 1)) % ACCOUNTS;
        uint64_t t0 = lc_now_mono_us();
        ws_send(&ws, 1, m, transfer_msg(m, (uint32_t)i, from, to));
        expect_ok(&ws);
        if (i >= 0)
            us[i] = lc_now_mono_us() - t0;
    }
    qsort(us, (size_t)n, sizeof *us, cmp_u64);
    printf("latency     1 client, no pipelining, confirmed reads: p50 %.3f ms, p99 %.3f ms "
           "(%d calls)\n",
           (double)us[n / 2] / 1000, (double)us[n * 99 / 100] / 1000, n);
    free(us);
    ws_close(&ws);
}

typedef struct worker {
    int port, depth;
    uint64_t seed;
    atomic_bool *stop;
    uint64_t done;
} worker_t;

static void *client_main(void *arg)
{
    worker_t *w = arg;
    ws_client_t ws;
    connect_client(&ws, w->port);
    uint8_t m[64];
    uint32_t id = 0;
    for (int i = 0; i < w->depth; i++) {
        uint32_t from = rnd(&w->seed, ACCOUNTS), to = (from + 1) % ACCOUNTS;
        ws_send(&ws, 1, m, transfer_msg(m, id++, from, to));
    }
    while (!atomic_load(w->stop)) {
        expect_ok(&ws);
        w->done++;
        uint32_t from = rnd(&w->seed, ACCOUNTS), to = (from + 1) % ACCOUNTS;
        ws_send(&ws, 1, m, transfer_msg(m, id++, from, to));
    }
    for (int i = 0; i < w->depth; i++) expect_ok(&ws);
    ws_close(&ws);
    return NULL;
}

static void throughput(int port, int clients, int depth, int seconds)
{
    atomic_bool stop = false;
    worker_t *w = calloc((size_t)clients, sizeof *w);
    pthread_t *t = calloc((size_t)clients, sizeof *t);
    for (int i = 0; i < clients; i++) {
        w[i] = (worker_t){port, depth, 1000 + (uint64_t)i, &stop, 0};
        pthread_create(&t[i], NULL, client_main, &w[i]);
    }
    sleep(1); /* warm-up */
    uint64_t before = 0, after = 0;
    for (int i = 0; i < clients; i++)
        before += w[i].done; /* a racy read is fine for a start count */
    uint64_t t0 = lc_now_mono_us();
    sleep((unsigned)seconds);
    for (int i = 0; i < clients; i++) after += w[i].done;
    uint64_t us = lc_now_mono_us() - t0;
    atomic_store(&stop, true);
    for (int i = 0; i < clients; i++) pthread_join(t[i], NULL);
    printf("throughput  %d clients x %d in flight, confirmed reads: %.0f calls/s\n", clients, depth,
           (double)(after - before) * 1e6 / (double)us);
    free(w);
    free(t);
}

int main(int argc, char **argv)
{
    lc_log_set_level(LC_LOG_WARN);
    int clients = argc > 1 ? atoi(argv[1]) : 64, depth = argc > 2 ? atoi(argv[2]) : 16;
    size_t nfns, len;
    lc_err_t err;
    wasm_engine_config_t ec = {.cache_dir = fixture_cache_dir(), .opt_level = -1};
    ec.host_fns = mod_abi_host_fns(&nfns);
    ec.nhost_fns = nfns;
    wasm_engine_t *engine;
    auth_keys_t *keys;
    if (wasm_engine_new(&ec, &engine, &err) || auth_keys_generate(&keys, &err))
        die("setup", err.msg);
    api_config_t ac = {.keys = keys};
    net_config_default(&ac.net);
    ac.net.port = 0;
    ac.db.data_dir = test_tmpdir();
    ac.db.engine = engine;
    ac.db.fsync = DUR_FSYNC_EVERY_BATCH;
    api_t *api;
    if (api_start(&ac, &api, &err))
        die("api_start", err.msg);
    uint8_t *wasm = fixture_example("bank", &len);
    if (!wasm)
        die("bank.wasm", "run `make examples`");
    db_entry_t *e;
    uint8_t owner[32] = {1};
    db_publish_opts_t po = {0};
    db_publish_result_t pr;
    if (db_registry_create(api_registry(api), "bank", owner, &e, &err) ||
        db_publish(e->db, wasm, len, &po, &pr, &err))
        die("publish", err.msg);
    lc_buf_free(&pr.plan);
    uint8_t seed[12];
    lc_store_u32le(seed, ACCOUNTS);
    lc_store_u64le(seed + 4, 1000000000);
    mod_caller_t c = {.timestamp_us = lc_now_wall_us()};
    db_call_result_t r;
    if (db_call_sync(e->db, "seed", seed, sizeof seed, &c, &r) || r.outcome.status != MOD_OK)
        die("seed", r.outcome.message);
    db_entry_release(e);
    lc_free(wasm);
    int port = api_port(api);
    latency(port, 5000);
    throughput(port, clients, depth, 5);
    api_stop(api);
    auth_keys_free(keys);
    wasm_engine_free(engine);
    return 0;
}
