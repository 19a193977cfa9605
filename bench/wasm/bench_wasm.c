/*
 * bench_wasm — the cost of a call into a compiled wasm module.
 *
 *   build/bench/bench_wasm [calls]
 *
 * Compiles a tiny embedded module (the .wat is below) into a fresh cache
 * directory lightcone-bench-wasm-XXXXXX under $TMPDIR (or /tmp, deleted at
 * the end), makes one instance and times, on one thread with
 * CLOCK_MONOTONIC, `calls` calls (default 10,000,000) of:
 *
 *   nop          an export with an empty body: the fixed cost of
 *                wasm_instance_call (checks, sigsetjmp, thread state)
 *   nop+limit    the same with limits.time_ms set: adds a clock read, the
 *                deadline store and the watchdog's idle check
 *   add          (i32, i32) -> i32: arguments and a result
 *   call_host    an export that calls an imported host function once: adds
 *                the import forwarder (stack check, host state)
 *
 * and prints calls per second for each.  Build (the Makefile has no rule
 * for it yet):
 *
 *   make build/liblightcone.a
 *   gcc -O2 -g -std=c17 -D_GNU_SOURCE -Isrc bench/wasm/bench_wasm.c build/liblightcone.a \
 *       -Wl,--dynamic-list=src/wasm/exports.list -lpthread -lm -ldl -o build/bench/bench_wasm
 *
 * Module:
 *   (module
 *     (import "env" "host" (func $host (param i32) (result i32)))
 *     (memory (export "memory") 1)
 *     (func (export "nop"))
 *     (func (export "add") (param i32 i32) (result i32)
 *       (i32.add (local.get 0) (local.get 1)))
 *     (func (export "call_host") (param i32) (result i32) (call $host (local.get 0))))
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/wasm.h"

static const uint8_t module_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x03, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x00, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76,
    0x04, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x00, 0x03, 0x04, 0x03, 0x01, 0x02, 0x00, 0x05, 0x03, 0x01,
    0x00, 0x01, 0x07, 0x22, 0x04, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x03, 0x6e,
    0x6f, 0x70, 0x00, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x02, 0x09, 0x63, 0x61, 0x6c, 0x6c, 0x5f,
    0x68, 0x6f, 0x73, 0x74, 0x00, 0x03, 0x0a, 0x13, 0x03, 0x02, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00,
    0x20, 0x01, 0x6a, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b};

static uint32_t host(void *ctx, uint32_t x)
{
    return x + 1;
}

static const wasm_host_fn_t host_fns[] = {{"env", "host", "i:i", (void *)host}};

static int run(wasm_instance_t *inst, int index, const uint64_t *args, size_t nargs, long calls,
               const char *label)
{
    uint64_t res = 0;
    lc_err_t err;
    int64_t t0 = lc_now_mono_us();
    for (long i = 0; i < calls; i++) {
        if (wasm_instance_call(inst, index, args, nargs, &res, NULL, &err) != 0) {
            fprintf(stderr, "%s: %s\n", label, err.msg);
            return 1;
        }
    }
    double s = (double)(lc_now_mono_us() - t0) / 1e6;
    printf("%-10s %12.0f calls/s  (%.1f ns/call)\n", label, (double)calls / s, s * 1e9 / calls);
    return 0;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 10000000;
    char dir[256];
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof dir, "%s/lightcone-bench-wasm-XXXXXX", base);
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    wasm_engine_config_t cfg = {
        .cache_dir = dir, .opt_level = -1, .host_fns = host_fns, .nhost_fns = 1};
    wasm_engine_t *e = NULL;
    wasm_module_t *m = NULL;
    wasm_instance_t *inst = NULL;
    lc_err_t err;
    int rc = wasm_engine_new(&cfg, &e, &err);
    if (rc == 0)
        rc = wasm_module_compile(e, module_wasm, sizeof module_wasm, NULL, NULL, &m, &err);
    if (rc == 0)
        rc = wasm_instance_new(m, NULL, NULL, &inst, &err);
    if (rc) {
        fprintf(stderr, "bench_wasm: %s\n", err.msg);
        return 1;
    }
    uint64_t args[2] = {1, 2};
    wasm_limits_t lim = {.time_ms = 60000};
    rc = run(inst, wasm_module_export_index(m, "nop", NULL), NULL, 0, calls, "nop");
    wasm_instance_set_limits(inst, &lim);
    rc |= run(inst, wasm_module_export_index(m, "nop", NULL), NULL, 0, calls, "nop+limit");
    wasm_instance_set_limits(inst, NULL);
    rc |= run(inst, wasm_module_export_index(m, "add", NULL), args, 2, calls, "add");
    rc |= run(inst, wasm_module_export_index(m, "call_host", NULL), args, 1, calls, "call_host");
    wasm_instance_free(inst);
    wasm_module_release(m);
    wasm_engine_free(e);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_wasm: could not remove %s\n", dir);
    return rc;
}
