/*
 * Reducer calls per second, in process (no network): the database layer
 * (db.h) running a module's reducers on its executor thread, fed by one
 * client thread that keeps up to DEPTH calls in flight.
 *
 *   empty     a reducer that returns at once (WAT module, module_fixture.c)
 *   transfer  examples/bank's transfer between uniformly random accounts
 *             of 100,000 (each call two point lookups and two updates)
 *
 * Each workload runs in memory and with the durable log (group commit,
 * fdatasync per batch); the whole process is pinned to one CPU so the
 * figure is what one core does, client included.  Build and run:
 *   make examples build/bench/bench_module && build/bench/bench_module [--all-cores] [WORKLOAD]
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "unit/module_fixture.h"
#include "unit/test.h"

#define DEPTH    4096
#define ACCOUNTS 100000

static atomic_uint_fast64_t done_calls, failed_calls;

static void on_done(void *arg, const db_call_result_t *res)
{
    if (res->outcome.status != MOD_OK && atomic_fetch_add(&failed_calls, 1) == 0)
        fprintf(stderr, "call failed: %s\n", res->outcome.message);
    atomic_fetch_add(&done_calls, 1);
}

static void die(const char *what, const lc_err_t *err)
{
    fprintf(stderr, "bench_module: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static const char NOOP_WAT[] =
    "(module\n"
    "  (import \"spacetime_10.0\" \"bytes_sink_write\" (func $sink (param i32 i32 i32) (result "
    "i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 8192) \"%s\")\n"
    "  (func (export \"__describe_module__\") (param $s i32)\n"
    "    (i32.store (i32.const 8) (i32.const %zu))\n"
    "    (drop (call $sink (local.get $s) (i32.const 8192) (i32.const 8))))\n"
    "  (func (export \"__call_reducer__\") (param i32 i64 i64 i64 i64 i64 i64 i64 i32 i32) "
    "(result i32) (i32.const 0)))\n";

static uint8_t *noop_module(size_t *len)
{
    static const char *const names[] = {"noop"};
    lc_buf_t def, esc;
    lc_buf_init(&def);
    lc_buf_init(&esc);
    fixture_def_v10(&def, names, 1, 0);
    for (size_t i = 0; i < def.len; i++) lc_buf_printf(&esc, "\\%02x", def.data[i]);
    lc_buf_terminate(&esc);
    size_t cap = sizeof NOOP_WAT + esc.len + 32;
    char *wat = malloc(cap);
    snprintf(wat, cap, NOOP_WAT, (const char *)esc.data, def.len);
    uint8_t *wasm = fixture_wat(wat, len);
    free(wat);
    lc_buf_free(&def);
    lc_buf_free(&esc);
    return wasm;
}

static db_t *open_with(wasm_engine_t *e, const char *dir, const uint8_t *wasm, size_t len)
{
    db_config_t cfg = {.dir = dir, .engine = e, .fsync = DUR_FSYNC_EVERY_BATCH};
    cfg.identity[0] = 1;
    lc_err_t err;
    db_t *db;
    if (db_open(&cfg, &db, &err))
        die("db_open", &err);
    db_publish_opts_t o = {0};
    db_publish_result_t res;
    if (db_publish(db, wasm, len, &o, &res, &err))
        die("publish", &err);
    lc_buf_free(&res.plan);
    return db;
}

/* xorshift64*: cheap, good enough to pick accounts. */
static uint64_t rng = 88172645463325252ull;
static uint32_t next_rand(uint32_t n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 2685821657736338717ull) >> 32) % n;
}

/* Run n calls of reducer with args from make_args, DEPTH in flight. */
static double run(db_t *db, const char *reducer, uint64_t n, size_t (*make_args)(uint8_t *a))
{
    mod_caller_t c = {.timestamp_us = lc_now_wall_us()};
    uint8_t a[64];
    atomic_store(&done_calls, 0);
    atomic_store(&failed_calls, 0);
    uint64_t t0 = lc_now_mono_us();
    for (uint64_t i = 0; i < n; i++) {
        while (i - atomic_load(&done_calls) >= DEPTH) sched_yield();
        size_t len = make_args ? make_args(a) : 0;
        if (db_call(db, reducer, a, len, &c, on_done, NULL))
            die("db_call", NULL);
    }
    while (atomic_load(&done_calls) < n) sched_yield();
    uint64_t us = lc_now_mono_us() - t0;
    if (atomic_load(&failed_calls))
        fprintf(stderr, "%" PRIu64 " calls failed\n", (uint64_t)atomic_load(&failed_calls));
    return (double)n * 1e6 / (double)us;
}

static size_t transfer_args(uint8_t *a)
{
    uint32_t from = next_rand(ACCOUNTS), to = next_rand(ACCOUNTS - 1);
    if (to >= from)
        to++;
    lc_store_u32le(a, from);
    lc_store_u32le(a + 4, to);
    lc_store_u64le(a + 8, 1);
    return 16;
}

static void seed(db_t *db)
{
    uint8_t a[12];
    lc_store_u32le(a, ACCOUNTS);
    lc_store_u64le(a + 4, 1000000000);
    mod_caller_t c = {.timestamp_us = lc_now_wall_us()};
    db_call_result_t r;
    if (db_call_sync(db, "seed", a, sizeof a, &c, &r) || r.outcome.status != MOD_OK)
        die("seed", NULL);
}

static const char *only_workload;

static void bench(wasm_engine_t *e, const char *name, const uint8_t *wasm, size_t len,
                  const char *reducer, size_t (*make_args)(uint8_t *), uint64_t n, bool durable)
{
    if (only_workload && strncmp(name, only_workload, strlen(only_workload)) != 0)
        return;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/db-%s-%d", test_tmpdir(), name, durable);
    db_t *db = open_with(e, durable ? dir : NULL, wasm, len);
    if (make_args)
        seed(db);
    run(db, reducer, n / 10, make_args); /* warm-up */
    double best = 0;
    for (int i = 0; i < 3; i++) {
        double r = run(db, reducer, n, make_args);
        if (r > best)
            best = r;
    }
    printf("%-9s %-9s %12.0f calls/s  (best of 3 x %" PRIu64 " calls)\n", name,
           durable ? "durable" : "in-memory", best, n);
    db_close(db);
}

int main(int argc, char **argv)
{
    lc_log_set_level(LC_LOG_WARN);
    bool all_cores = false;
    const char *only = NULL; /* run only workloads whose name starts with this */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--all-cores") == 0)
            all_cores = true;
        else
            only = argv[i];
    }
    if (!all_cores) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    only_workload = only;
    size_t n;
    wasm_engine_config_t cfg = {.cache_dir = fixture_cache_dir(), .opt_level = -1};
    cfg.host_fns = mod_abi_host_fns(&n);
    cfg.nhost_fns = n;
    wasm_engine_t *e;
    lc_err_t err;
    if (wasm_engine_new(&cfg, &e, &err))
        die("engine", &err);
    size_t noop_len, bank_len;
    uint8_t *noop = noop_module(&noop_len), *bank = fixture_example("bank", &bank_len);
    if (!noop || !bank)
        die("modules (run `make examples`)", NULL);
    bench(e, "empty", noop, noop_len, "noop", NULL, 2000000, false);
    bench(e, "empty", noop, noop_len, "noop", NULL, 1000000, true);
    bench(e, "transfer", bank, bank_len, "transfer", transfer_args, 1000000, false);
    bench(e, "transfer", bank, bank_len, "transfer", transfer_args, 1000000, true);
    lc_free(noop);
    lc_free(bank);
    wasm_engine_free(e);
    return 0;
}
