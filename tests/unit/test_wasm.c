/*
 * Tests of src/wasm: the section parser against hostile bytes, the compile
 * pipeline (cache, refusals, failing children), host imports, traps, the
 * watchdog, memory limits and threads.
 *
 * Test modules are .wat files in tests/wasm/, assembled with wat2wasm at
 * test time.  Compiling is the slow part, so all tests but the ones about
 * the cache itself share one cache directory for the whole run (removed at
 * exit): the main module is translated and compiled once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "wasm/wasm.h"
#include "wasm/wasm_int.h"

/* ---------------------------------------------------------------- helpers */

static char shared_cache[256];

static void remove_shared_cache(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", shared_cache);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", shared_cache);
}

static const char *cache_dir(void)
{
    if (shared_cache[0] == 0) {
        const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(shared_cache, sizeof shared_cache, "%s/lc-wasm-cache-XXXXXX", base);
        if (mkdtemp(shared_cache) == NULL) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(remove_shared_cache);
    }
    return shared_cache;
}

/* Assemble tests/wasm/<name>.wat into out (lc_buf_free it). */
static bool load_wat(const char *name, lc_buf_t *out)
{
    char wasm[512], cmd[1200];
    snprintf(wasm, sizeof wasm, "%s/%s.wasm", test_tmpdir(), name);
    snprintf(cmd, sizeof cmd, "wat2wasm %s tests/wasm/%s.wat -o %s",
             strcmp(name, "invalid") == 0 ? "--no-check" : "", name, wasm);
    if (system(cmd) != 0)
        return false;
    FILE *f = fopen(wasm, "rb");
    if (f == NULL)
        return false;
    lc_buf_init(out);
    uint8_t chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) lc_buf_append(out, chunk, n);
    fclose(f);
    return out->len > 0;
}

typedef struct host {
    wasm_instance_t *inst;
    int adds;
    int id_index, unreachable_index;
    int *crash_addr; /* NULL: trap_me(CRASH_CODE) writes through it */
} host_t;

enum { CRASH_CODE = 0xdead };

static uint64_t h_add(void *ctx, uint32_t a, uint64_t b)
{
    ((host_t *)ctx)->adds++;
    return (uint64_t)a + b;
}

static void h_trap_me(void *ctx, uint32_t code)
{
    host_t *h = ctx;
    if (code == CRASH_CODE)
        *(volatile int *)h->crash_addr = 1;
    if (code != 0)
        wasm_instance_trap(h->inst, "host says no (%u)", code);
}

/* Calls back into the instance: id(x) + 1, or unreachable when x == 0. */
static uint32_t h_reenter(void *ctx, uint32_t x)
{
    host_t *h = ctx;
    uint64_t arg = x, res = 0;
    wasm_trap_t trap;
    int idx = x == 0 ? h->unreachable_index : h->id_index;
    int rc = wasm_instance_call(h->inst, idx, &arg, x == 0 ? 0 : 1, &res, &trap, NULL);
    return rc == 0 ? (uint32_t)res + 1 : 0xdead;
}

static void h_slow(void *ctx)
{
    struct timespec ts = {0, 150 * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static double h_fmix(void *ctx, float a, double b)
{
    return (double)a * 2 + b;
}

static const wasm_host_fn_t host_fns[] = {
    {"env", "add", "iI:I", (void *)h_add},
    {"env", "trap_me", "i:", (void *)h_trap_me},
    {"env", "reenter", "i:i", (void *)h_reenter},
    {"env", "slow", ":", (void *)h_slow},
    {"spacetime_10.0", "fmix", "fF:F", (void *)h_fmix},
};

static int new_engine(const char *dir, wasm_engine_t **e)
{
    wasm_engine_config_t cfg = {.cache_dir = dir,
                                .opt_level = -1,
                                .host_fns = host_fns,
                                .nhost_fns = LC_ARRAY_LEN(host_fns)};
    return wasm_engine_new(&cfg, e, NULL);
}

/* An engine on the shared cache with tests/wasm/<name>.wat compiled. */
typedef struct fixture {
    wasm_engine_t *e;
    wasm_module_t *m;
    lc_buf_t wasm;
} fixture_t;

static int fixture_open(fixture_t *f, const char *name)
{
    memset(f, 0, sizeof *f);
    if (!load_wat(name, &f->wasm) || new_engine(cache_dir(), &f->e))
        return -1;
    lc_err_t err;
    int rc = wasm_module_compile(f->e, f->wasm.data, f->wasm.len, NULL, NULL, &f->m, &err);
    if (rc)
        fprintf(stderr, "compile %s: %s\n", name, err.msg);
    return rc;
}

static void fixture_close(fixture_t *f)
{
    wasm_module_release(f->m);
    wasm_engine_free(f->e);
    lc_buf_free(&f->wasm);
}

static int new_instance(fixture_t *f, host_t *h, const wasm_limits_t *lim, wasm_instance_t **inst)
{
    memset(h, 0, sizeof *h);
    h->id_index = wasm_module_export_index(f->m, "id", "i:i");
    h->unreachable_index = wasm_module_export_index(f->m, "unreachable", NULL);
    int rc = wasm_instance_new(f->m, h, lim, inst, NULL);
    h->inst = rc == 0 ? *inst : NULL;
    return rc;
}

/* Call export `name`; returns the call's status. */
static int call(fixture_t *f, wasm_instance_t *inst, const char *name, const uint64_t *args,
                size_t nargs, uint64_t *res, wasm_trap_t *trap, lc_err_t *err)
{
    int idx = wasm_module_export_index(f->m, name, NULL);
    uint64_t dummy[4];
    return wasm_instance_call(inst, idx, args, nargs, res ? res : dummy, trap, err);
}

/* ---------------------------------------------------------------- parser */

TEST(wasm_parse_basic)
{
    lc_buf_t b;
    CHECK(load_wat("basic", &b));
    wasm__info_t info;
    int rc = wasm__parse(b.data, b.len, &info, NULL);
    lc_buf_free(&b);
    CHECK_OK(rc);
    CHECK_EQ_INT(info.nimports, 5);
    CHECK_EQ_INT(info.nimport_modules, 2);
    CHECK_EQ_STR(info.imports[0].module, "env");
    CHECK_EQ_STR(info.imports[0].sig, "iI:I");
    CHECK_EQ_STR(info.imports[4].sig, "fF:F");
    CHECK(info.memory_export);
    CHECK_EQ_STR(info.exports[0].name, "nop");
    CHECK_EQ_STR(info.exports[0].sig, ":");
    bool saw_ref = false;
    for (uint32_t i = 0; i < info.nexports; i++)
        if (strcmp(info.exports[i].name, "ref") == 0)
            saw_ref = !info.exports[i].callable && strcmp(info.exports[i].sig, "x:") == 0;
    CHECK(saw_ref);
    wasm__info_free(&info);
}

/* Every prefix and many single-byte corruptions of a valid module parse to
 * a result or a clean error (run under ASan, this is the hostile-input test). */
TEST(wasm_parse_hostile)
{
    lc_buf_t b;
    CHECK(load_wat("basic", &b));
    int ok = 0, failed = 0;
    for (size_t len = 0; len <= b.len; len++) {
        wasm__info_t info;
        lc_err_t err = {0};
        int rc = wasm__parse(b.data, len, &info, &err);
        wasm__info_free(&info);
        if (rc == 0) {
            ok++;
        } else {
            failed++;
            CHECK_MSG(rc == LC_ECORRUPT || rc == LC_EINVAL, "prefix %zu: rc %d", len, rc);
            CHECK_MSG(err.msg[0] != 0, "prefix %zu: no message", len);
        }
    }
    CHECK(ok > 0 && failed > 0);
    static const uint8_t junk[] = {0x00, 0x7f, 0x80, 0xff, 0x01};
    for (size_t i = 8; i < b.len; i++) {
        for (size_t k = 0; k < sizeof junk; k++) {
            uint8_t save = b.data[i];
            b.data[i] = junk[k];
            wasm__info_t info;
            int rc = wasm__parse(b.data, b.len, &info, NULL);
            wasm__info_free(&info);
            b.data[i] = save;
            CHECK(rc == 0 || rc == LC_ECORRUPT || rc == LC_EINVAL || rc == LC_ENOMEM);
        }
    }
    lc_buf_free(&b);
}

TEST(wasm_parse_rejects)
{
    wasm__info_t info;
    lc_err_t err;
    CHECK_EQ_INT(wasm__parse((const uint8_t *)"hello world", 11, &info, &err), LC_EINVAL);
    CHECK(strstr(err.msg, "not a wasm binary") != NULL);
    static const uint8_t v2[] = {0, 'a', 's', 'm', 2, 0, 0, 0};
    CHECK_EQ_INT(wasm__parse(v2, sizeof v2, &info, &err), LC_EINVAL);
    /* a section claiming more bytes than there are */
    static const uint8_t big[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f};
    CHECK_EQ_INT(wasm__parse(big, sizeof big, &info, &err), LC_ECORRUPT);
    /* a type count of 2^32-1 in a 2-byte section */
    static const uint8_t count[] = {0, 'a', 's',  'm',  1,    0,    0,   0,
                                    1, 5,   0xff, 0xff, 0xff, 0xff, 0x0f};
    CHECK_EQ_INT(wasm__parse(count, sizeof count, &info, &err), LC_ECORRUPT);
    /* an over-long LEB128 */
    static const uint8_t leb[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0};
    CHECK_EQ_INT(wasm__parse(leb, sizeof leb, &info, &err), LC_ECORRUPT);
    /* the type section twice */
    static const uint8_t twice[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 1, 0, 1, 1, 0};
    CHECK_EQ_INT(wasm__parse(twice, sizeof twice, &info, &err), LC_ECORRUPT);
    CHECK(strstr(err.msg, "out of order") != NULL);
}

TEST(wasm_mangle)
{
    lc_buf_t b;
    lc_buf_init(&b);
    wasm__mangle(&b, "spacetime_10.0");
    wasm__mangle(&b, "Zy-z");
    wasm__mangle(&b, "\xc3\xbc");
    lc_buf_terminate(&b);
    CHECK_EQ_STR((char *)b.data, "Z_spacetime_10Z2E0Z_Z5AyZ2DzZ_ZC3ZBC");
    lc_buf_free(&b);
}

/* ---------------------------------------------------------------- pipeline */

typedef struct stages {
    int n;
    wasm_stage_t s[8];
} stages_t;

static void on_stage(void *arg, wasm_stage_t stage, const char *detail)
{
    stages_t *st = arg;
    if (st->n < 8)
        st->s[st->n++] = stage;
}

static int count_entries(const char *dir, const char *prefix)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "exit $(ls -A '%s' | grep -c '^%s')", dir, prefix);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(wasm_cache_hit)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cache/sub", test_tmpdir());
    lc_buf_t b;
    CHECK(load_wat("tiny", &b));
    wasm_engine_t *e;
    CHECK_OK(new_engine(dir, &e));
    stages_t s1 = {0}, s2 = {0};
    wasm_module_t *m1, *m2;
    lc_err_t err;
    CHECK_OK(wasm_module_compile(e, b.data, b.len, on_stage, &s1, &m1, &err));
    CHECK_OK(wasm_module_compile(e, b.data, b.len, on_stage, &s2, &m2, &err));
    CHECK_EQ_INT(s1.n, 4);
    CHECK_EQ_INT(s1.s[0], WASM_STAGE_CHECKING);
    CHECK_EQ_INT(s1.s[1], WASM_STAGE_TRANSLATING);
    CHECK_EQ_INT(s1.s[2], WASM_STAGE_COMPILING);
    CHECK_EQ_INT(s1.s[3], WASM_STAGE_LOADING);
    CHECK_EQ_INT(s2.n, 2);
    CHECK_EQ_INT(s2.s[0], WASM_STAGE_CHECKING);
    CHECK_EQ_INT(s2.s[1], WASM_STAGE_LOADING);
    uint8_t hash[32];
    lc_blake3(hash, b.data, b.len);
    CHECK_EQ_MEM(wasm_module_hash(m1), hash, 32);
    char hex[65];
    lc_hex_encode(hex, hash, 32);
    CHECK_EQ_INT(count_entries(dir, hex), 1);
    CHECK_EQ_INT(count_entries(dir, ".tmp"), 0);
    /* both loads work side by side */
    wasm_instance_t *i1, *i2;
    CHECK_OK(wasm_instance_new(m1, NULL, NULL, &i1, NULL));
    CHECK_OK(wasm_instance_new(m2, NULL, NULL, &i2, NULL));
    uint64_t size;
    CHECK(wasm_instance_memory(i1, &size) != NULL);
    CHECK_EQ_INT(size, 4 * 65536);
    wasm_instance_free(i1);
    wasm_instance_free(i2);
    wasm_module_release(m1);
    wasm_module_release(m2);
    wasm_engine_free(e);
    lc_buf_free(&b);
}

typedef struct compile_arg {
    wasm_engine_t *e;
    lc_buf_t *b;
    int rc;
} compile_arg_t;

static void *compile_thread(void *p)
{
    compile_arg_t *a = p;
    wasm_module_t *m = NULL;
    a->rc = wasm_module_compile(a->e, a->b->data, a->b->len, NULL, NULL, &m, NULL);
    wasm_instance_t *inst;
    if (a->rc == 0 && (a->rc = wasm_instance_new(m, NULL, NULL, &inst, NULL)) == 0)
        wasm_instance_free(inst);
    wasm_module_release(m);
    return NULL;
}

TEST(wasm_concurrent_compile)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cache", test_tmpdir());
    lc_buf_t b;
    CHECK(load_wat("tiny", &b));
    wasm_engine_t *e;
    CHECK_OK(new_engine(dir, &e));
    compile_arg_t a = {e, &b, -1}, c = {e, &b, -1};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, compile_thread, &a);
    pthread_create(&t2, NULL, compile_thread, &c);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    CHECK_OK(a.rc);
    CHECK_OK(c.rc);
    CHECK_EQ_INT(count_entries(dir, ".tmp"), 0);
    wasm_engine_free(e);
    lc_buf_free(&b);
}

/* Compile tests/wasm/<name>.wat on the shared cache; its status and error. */
static int compile_only(const char *name, lc_err_t *err)
{
    lc_buf_t b;
    if (!load_wat(name, &b))
        return 999;
    wasm_engine_t *e;
    if (new_engine(cache_dir(), &e)) {
        lc_buf_free(&b);
        return 998;
    }
    wasm_module_t *m = NULL;
    int rc = wasm_module_compile(e, b.data, b.len, NULL, NULL, &m, err);
    wasm_module_release(m);
    wasm_engine_free(e);
    lc_buf_free(&b);
    return rc;
}

TEST(wasm_refusals)
{
    lc_err_t err;
    CHECK_EQ_INT(compile_only("bad_import", &err), LC_EINVAL);
    CHECK_EQ_STR(err.msg, "unknown import `spacetime_10.9`.`foo`");
    CHECK_EQ_INT(compile_only("bad_sig", &err), LC_EINVAL);
    CHECK_EQ_STR(err.msg, "import `env`.`add` has signature (i32) -> i32, expected (i32, i64) -> "
                          "i64");
    CHECK_EQ_INT(compile_only("import_memory", &err), LC_EINVAL);
    CHECK(strstr(err.msg, "imports of memories, tables or globals are not supported") != NULL);
    CHECK_EQ_INT(compile_only("no_memory", &err), LC_EINVAL);
    CHECK(strstr(err.msg, "memory") != NULL);
    wasm_engine_t *e;
    CHECK_OK(new_engine(cache_dir(), &e));
    wasm_module_t *m = NULL;
    CHECK_EQ_INT(
        wasm_module_compile(e, (const uint8_t *)"\0asm\1\0\0\0\1\5", 10, NULL, NULL, &m, &err),
        LC_ECORRUPT);
    CHECK(m == NULL);
    wasm_engine_free(e);
}

TEST(wasm_translator_failures)
{
    lc_err_t err;
    CHECK_EQ_INT(compile_only("invalid", &err), LC_EINVAL);
    CHECK_MSG(strstr(err.msg, "invalid module (wasm2c exit status 1)") != NULL &&
                  strstr(err.msg, "type mismatch") != NULL,
              "%s", err.msg);
    /* wasm2c 1.0.32 aborts on v128 exports: an error, not a crash */
    CHECK_EQ_INT(compile_only("simd", &err), LC_EINVAL);
    CHECK_MSG(strstr(err.msg, "invalid module (wasm2c") != NULL, "%s", err.msg);
}

/* A C compiler that crashes, and one that never finishes. */
TEST(wasm_compiler_failures)
{
    char crash[512], hang[512], dir[512];
    snprintf(crash, sizeof crash, "%s/crash.sh", test_tmpdir());
    snprintf(hang, sizeof hang, "%s/hang.sh", test_tmpdir());
    snprintf(dir, sizeof dir, "%s/cache", test_tmpdir());
    FILE *f = fopen(crash, "w");
    CHECK(f != NULL);
    fputs("#!/bin/sh\necho compiler going down >&2\nkill -SEGV $$\n", f);
    fclose(f);
    f = fopen(hang, "w");
    CHECK(f != NULL);
    fputs("#!/bin/sh\nexec sleep 30\n", f);
    fclose(f);
    chmod(crash, 0755);
    chmod(hang, 0755);
    lc_buf_t b;
    CHECK(load_wat("tiny", &b));
    const char *ccs[] = {crash, hang, "/nonexistent/cc"};
    const char *want[] = {"killed by signal 11", "timed out after 1000 ms", "exit status 127"};
    for (int i = 0; i < 3; i++) {
        wasm_engine_config_t cfg = {
            .cache_dir = dir, .cc = ccs[i], .opt_level = -1, .compile_timeout_ms = 1000};
        wasm_engine_t *e;
        CHECK_OK(wasm_engine_new(&cfg, &e, NULL));
        wasm_module_t *m = NULL;
        lc_err_t err;
        int rc = wasm_module_compile(e, b.data, b.len, NULL, NULL, &m, &err);
        wasm_engine_free(e);
        CHECK_EQ_INT(rc, LC_EIO);
        CHECK_MSG(strstr(err.msg, want[i]) != NULL, "%s", err.msg);
    }
    CHECK_EQ_INT(count_entries(dir, ".tmp"), 0);
    lc_buf_free(&b);
}

TEST(wasm_engine_config)
{
    wasm_engine_t *e = NULL;
    wasm_engine_config_t cfg = {0};
    CHECK_EQ_INT(wasm_engine_new(&cfg, &e, NULL), LC_EINVAL);
    static const wasm_host_fn_t bad[] = {{"env", "f", "ii:ii", (void *)h_add}};
    cfg.cache_dir = test_tmpdir();
    cfg.host_fns = bad;
    cfg.nhost_fns = 1;
    CHECK_EQ_INT(wasm_engine_new(&cfg, &e, NULL), LC_EINVAL);
    CHECK(e == NULL);
}

/* ---------------------------------------------------------------- calls */

TEST(wasm_exports_and_imports)
{
    fixture_t f;
    CHECK_OK(fixture_open(&f, "basic"));
    const wasm_module_t *m = f.m;
    CHECK(wasm_module_export_index(m, "id", "i:i") >= 0);
    CHECK_EQ_INT(wasm_module_export_index(m, "id", "I:i"), -1);
    CHECK_EQ_INT(wasm_module_export_index(m, "nope", NULL), -1);
    int i = wasm_module_export_index(m, "call_add", NULL);
    CHECK_EQ_STR(wasm_module_export_name(m, (size_t)i), "call_add");
    CHECK_EQ_STR(wasm_module_export_sig(m, (size_t)i), "iI:I");
    CHECK_EQ_STR(wasm_module_export_name(m, 0), "nop");
    CHECK_EQ_INT(wasm_module_import_count(m), 5);
    const char *mod, *name;
    wasm_module_import(m, 4, &mod, &name);
    CHECK_EQ_STR(mod, "spacetime_10.0");
    CHECK_EQ_STR(name, "fmix");
    fixture_close(&f);
}

TEST(wasm_host_calls)
{
    fixture_t f;
    CHECK_OK(fixture_open(&f, "basic"));
    host_t h;
    wasm_instance_t *inst;
    CHECK_OK(new_instance(&f, &h, NULL, &inst));
    uint64_t args[2] = {7, 1ull << 40}, res = 0;
    lc_err_t err;
    CHECK_OK(call(&f, inst, "call_add", args, 2, &res, NULL, &err));
    CHECK_EQ_INT(res, (1ull << 40) + 7);
    CHECK_EQ_INT(h.adds, 1);
    /* f32 and f64 through the import and back */
    float a = 1.25f;
    double d = 10.5;
    uint32_t abits;
    memcpy(&abits, &a, 4);
    memcpy(&args[1], &d, 8);
    args[0] = abits;
    CHECK_OK(call(&f, inst, "call_fmix", args, 2, &res, NULL, &err));
    double r;
    memcpy(&r, &res, 8);
    CHECK(r == 13.0);
    /* several results */
    uint64_t multi[4];
    args[0] = 5;
    CHECK_OK(call(&f, inst, "multi", args, 1, multi, NULL, &err));
    CHECK_EQ_INT(multi[0], 5);
    CHECK_EQ_INT(multi[1], (uint64_t)-2);
    float f32;
    uint32_t fbits = (uint32_t)multi[2];
    memcpy(&f32, &fbits, 4);
    CHECK(f32 == 1.5f);
    memcpy(&d, &multi[3], 8);
    CHECK(d == -0.25);
    /* globals persist between calls */
    CHECK_OK(call(&f, inst, "count", NULL, 0, &res, NULL, &err));
    CHECK_OK(call(&f, inst, "count", NULL, 0, &res, NULL, &err));
    CHECK_EQ_INT(res, 2);
    /* a host function calling back into the same instance */
    args[0] = 41;
    CHECK_OK(call(&f, inst, "reenter", args, 1, &res, NULL, &err));
    CHECK_EQ_INT(res, 42);
    /* wrong argument count, bad index, an export the host cannot call */
    CHECK_EQ_INT(call(&f, inst, "call_add", args, 1, &res, NULL, &err), LC_EINVAL);
    CHECK_EQ_INT(wasm_instance_call(inst, 999, NULL, 0, &res, NULL, &err), LC_EINVAL);
    CHECK_EQ_INT(call(&f, inst, "ref", args, 1, &res, NULL, &err), LC_EUNSUPPORTED);
    wasm_instance_free(inst);
    fixture_close(&f);
}

TEST(wasm_names_and_duplicate_imports)
{
    fixture_t f;
    CHECK_OK(fixture_open(&f, "names"));
    CHECK_EQ_INT(wasm_module_import_count(f.m), 2);
    int weird = wasm_module_export_index(f.m, "w\xc3\xa9ird Z.name-1", ":I");
    int reducer = wasm_module_export_index(f.m, "__call_reducer__", ":i");
    CHECK(weird >= 0 && reducer >= 0);
    host_t h;
    wasm_instance_t *inst;
    CHECK_OK(new_instance(&f, &h, NULL, &inst));
    uint64_t res = 0;
    CHECK_OK(wasm_instance_call(inst, weird, NULL, 0, &res, NULL, NULL));
    CHECK_EQ_INT(res, 10);
    CHECK_EQ_INT(h.adds, 2);
    CHECK_OK(wasm_instance_call(inst, reducer, NULL, 0, &res, NULL, NULL));
    CHECK_EQ_INT(res, 5);
    wasm_instance_free(inst);
    fixture_close(&f);
}

TEST(wasm_memory_access)
{
    fixture_t f;
    CHECK_OK(fixture_open(&f, "basic"));
    host_t h;
    wasm_instance_t *inst;
    CHECK_OK(new_instance(&f, &h, NULL, &inst));
    uint64_t size = 0;
    uint8_t *mem = wasm_instance_memory(inst, &size);
    CHECK_EQ_INT(size, 65536);
    CHECK_EQ_INT(lc_load_u32le(mem), 1234); /* the start function ran */
    CHECK_EQ_MEM(mem + 16, "hello", 5);     /* the data segment */
    lc_store_u32le(mem + 100, 0xcafe);
    uint64_t args[2] = {100, 0}, res = 0;
    CHECK_OK(call(&f, inst, "load", args, 1, &res, NULL, NULL));
    CHECK_EQ_INT(res, 0xcafe);
    args[0] = 200;
    args[1] = 77;
    CHECK_OK(call(&f, inst, "store", args, 2, NULL, NULL, NULL));
    CHECK_EQ_INT(lc_load_u32le(mem + 200), 77);
    wasm_instance_free(inst);
    fixture_close(&f);
}

TEST(wasm_memory_limits)
{
    fixture_t f;
    CHECK_OK(fixture_open(&f, "basic"));
    host_t h;
    wasm_instance_t *inst;
    wasm_limits_t lim = {.memory_bytes = 2 * 65536};
    CHECK_OK(new_instance(&f, &h, &lim, &inst));
    uint64_t arg = 1, res = 0;
    CHECK_OK(call(&f, inst, "grow", &arg, 1, &res, NULL, NULL));
    CHECK_EQ_INT(res, 1);
    CHECK_OK(call(&f, inst, "grow", &arg, 1, &res, NULL, NULL));
    CHECK_EQ_INT((uint32_t)res, UINT32_MAX); /* past limits.memory_bytes */
    CHECK_OK(call(&f, inst, "size", NULL, 0, &res, NULL, NULL));
    CHECK_EQ_INT(res, 2);
    uint64_t size;
    CHECK(wasm_instance_memory(inst, &size) != NULL);
    CHECK_EQ_INT(size, 2 * 65536);
    /* the module's own maximum (100 pages) */
    wasm_instance_set_limits(inst, NULL);
    arg = 200;
    CHECK_OK(call(&f, inst, "grow", &arg, 1, &res, NULL, NULL));
    CHECK_EQ_INT((uint32_t)res, UINT32_MAX);
    arg = 98;
    CHECK_OK(call(&f, inst, "grow", &arg, 1, &res, NULL, NULL));
    CHECK_EQ_INT(res, 2);
    /* memory.fill over the grown memory's last byte */
    uint64_t fill[2] = {100 * 65536 - 10, 10};
    CHECK_OK(call(&f, inst, "fill", fill, 2, NULL, NULL, NULL));
    wasm_instance_free(inst);

    /* an initial memory over the limit fails instantiation */
    lim.memory_bytes = 65536 / 2;
    wasm_instance_t *none = NULL;
    lc_err_t err;
    CHECK_EQ_INT(wasm_instance_new(f.m, &h, &lim, &none, &err), LC_ERANGE);
    CHECK(none == NULL);
    fixture_close(&f);
}

/* ---------------------------------------------------------------- traps */

/* Call `name` on a fresh instance, expect trap `want`, then check that a
 * fresh instance of the same module works. */
static void expect_trap(fixture_t *f, const char *name, const uint64_t *args, size_t nargs,
                        const wasm_limits_t *lim, wasm_trap_t want, const char *msg)
{
    host_t h;
    wasm_instance_t *inst;
    CHECK_OK(new_instance(f, &h, lim, &inst));
    wasm_trap_t trap = WASM_TRAP_NONE;
    lc_err_t err = {0};
    uint64_t res = 0;
    int rc = call(f, inst, name, args, nargs, &res, &trap, &err);
    CHECK_MSG(rc == LC_EINTERNAL, "%s: rc %d", name, rc);
    CHECK_MSG(trap == want, "%s: trap %d (%s), expected %d", name, trap, err.msg, want);
    CHECK_EQ_STR(err.msg, msg);
    /* the trapped instance refuses further calls */
    CHECK_EQ_INT(call(f, inst, "nop", NULL, 0, NULL, NULL, NULL), LC_EINVAL);
    wasm_instance_free(inst);
    CHECK_OK(new_instance(f, &h, lim, &inst));
    uint64_t x = 9;
    CHECK_OK(call(f, inst, "id", &x, 1, &res, NULL, NULL));
    CHECK_EQ_INT(res, 9);
    wasm_instance_free(inst);
}

TEST(wasm_traps)
{
    fixture_t f;
    CHECK_OK(fixture_open(&f, "basic"));
    uint64_t args[2] = {0, 0};
    expect_trap(&f, "unreachable", NULL, 0, NULL, WASM_TRAP_UNREACHABLE,
                "wasm trap: unreachable executed");
    args[0] = 0xfffffff0u;
    expect_trap(&f, "load", args, 1, NULL, WASM_TRAP_OOB, "wasm trap: out of bounds memory access");
    args[0] = 65536 - 2;
    expect_trap(&f, "load", args, 1, NULL, WASM_TRAP_OOB, "wasm trap: out of bounds memory access");
    args[0] = 1;
    args[1] = 0;
    expect_trap(&f, "div", args, 2, NULL, WASM_TRAP_DIV_BY_ZERO,
                "wasm trap: integer divide by zero");
    args[0] = 0x80000000u;
    args[1] = (uint32_t)-1;
    expect_trap(&f, "div", args, 2, NULL, WASM_TRAP_INT_OVERFLOW, "wasm trap: integer overflow");
    args[0] = 0; /* table slot 0 holds () -> () */
    expect_trap(&f, "call_ind", args, 1, NULL, WASM_TRAP_CALL_INDIRECT,
                "wasm trap: indirect call signature mismatch");
    args[0] = 2; /* null slot */
    expect_trap(&f, "call_ind", args, 1, NULL, WASM_TRAP_CALL_INDIRECT,
                "wasm trap: indirect call signature mismatch");
    args[0] = 0;
    expect_trap(&f, "recurse", args, 1, NULL, WASM_TRAP_STACK, "wasm trap: call stack exhausted");
    args[0] = 3;
    expect_trap(&f, "host_trap", args, 1, NULL, WASM_TRAP_HOST, "host says no (3)");
    /* a trap in a nested call (host -> wasm) traps the outer call too */
    args[0] = 0;
    expect_trap(&f, "reenter", args, 1, NULL, WASM_TRAP_UNREACHABLE,
                "wasm trap: unreachable executed");
    fixture_close(&f);
}

TEST(wasm_timeouts)
{
    fixture_t f;
    CHECK_OK(fixture_open(&f, "basic"));
    wasm_limits_t lim = {.time_ms = 50};
    expect_trap(&f, "spin", NULL, 0, &lim, WASM_TRAP_TIMEOUT, "wasm trap: time limit exceeded");
    expect_trap(&f, "spin_host", NULL, 0, &lim, WASM_TRAP_TIMEOUT,
                "wasm trap: time limit exceeded");
    /* a host function running past the deadline: the trap comes when it returns */
    lim.time_ms = 20;
    expect_trap(&f, "call_slow", NULL, 0, &lim, WASM_TRAP_TIMEOUT,
                "wasm trap: time limit exceeded");
    /* calls within their limit are untouched */
    host_t h;
    wasm_instance_t *inst;
    lim.time_ms = 10000;
    CHECK_OK(new_instance(&f, &h, &lim, &inst));
    uint64_t x = 5, res;
    for (int i = 0; i < 1000; i++) CHECK_OK(call(&f, inst, "id", &x, 1, &res, NULL, NULL));
    wasm_instance_free(inst);
    fixture_close(&f);
}

/* A fault in a host function called from wasm, or outside any call, is a
 * real crash: the process dies of it (or ASan reports it), never a trap. */
TEST(wasm_host_crash_is_not_a_trap)
{
    fixture_t f;
    CHECK_OK(fixture_open(&f, "basic"));
    for (int outside = 0; outside < 2; outside++) {
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            FILE *devnull = freopen("/dev/null", "w", stderr);
            (void)devnull;
            host_t h;
            wasm_instance_t *inst;
            if (new_instance(&f, &h, NULL, &inst) != 0)
                _exit(2);
            if (outside)
                *(volatile int *)h.crash_addr = 1;
            uint64_t arg = CRASH_CODE, res;
            wasm_trap_t trap;
            _exit(call(&f, inst, "host_trap", &arg, 1, &res, &trap, NULL) == 0 ? 0 : 3);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK_MSG(!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 2 &&
                                         WEXITSTATUS(status) != 3),
                  "child status %#x", status);
    }
    fixture_close(&f);
}

/* ---------------------------------------------------------------- threads */

typedef struct worker {
    fixture_t *f;
    int iterations;
    bool trapper;
    int failures;
} worker_t;

static void *worker_main(void *p)
{
    worker_t *w = p;
    static const char *const traps[] = {"unreachable", "load", "recurse", "div", "spin"};
    static const uint64_t targs[][2] = {{0, 0}, {0xfffffff0u, 0}, {0, 0}, {1, 0}, {0, 0}};
    static const size_t tnargs[] = {0, 1, 1, 2, 0};
    /* both run with a deadline: the trapper's stops its loops, the other's
     * is never reached but keeps the watchdog busy */
    wasm_limits_t lim = {.time_ms = w->trapper ? 10 : 10000};
    for (int i = 0; i < w->iterations; i++) {
        host_t h;
        wasm_instance_t *inst;
        if (new_instance(w->f, &h, &lim, &inst) != 0) {
            w->failures++;
            continue;
        }
        uint64_t res = 0, args[2] = {(uint64_t)i, 3};
        wasm_trap_t trap;
        if (w->trapper) {
            int k = i % 5;
            if (call(w->f, inst, traps[k], targs[k], tnargs[k], &res, &trap, NULL) != LC_EINTERNAL)
                w->failures++;
        } else {
            for (int j = 0; j < 50; j++)
                if (call(w->f, inst, "call_add", args, 2, &res, &trap, NULL) != 0 ||
                    res != (uint64_t)i + 3)
                    w->failures++;
        }
        wasm_instance_free(inst);
    }
    return NULL;
}

TEST(wasm_threads)
{
    fixture_t f;
    CHECK_OK(fixture_open(&f, "basic"));
    worker_t a = {&f, 60, true, 0}, b = {&f, 60, false, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, worker_main, &a);
    pthread_create(&tb, NULL, worker_main, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_EQ_INT(a.failures, 0);
    CHECK_EQ_INT(b.failures, 0);
    fixture_close(&f);
}

const test_case_t test_wasm_cases[] = {
    TEST_CASE(wasm_parse_basic),
    TEST_CASE(wasm_parse_hostile),
    TEST_CASE(wasm_parse_rejects),
    TEST_CASE(wasm_mangle),
    TEST_CASE(wasm_cache_hit),
    TEST_CASE(wasm_concurrent_compile),
    TEST_CASE(wasm_refusals),
    TEST_CASE(wasm_translator_failures),
    TEST_CASE(wasm_compiler_failures),
    TEST_CASE(wasm_engine_config),
    TEST_CASE(wasm_exports_and_imports),
    TEST_CASE(wasm_host_calls),
    TEST_CASE(wasm_names_and_duplicate_imports),
    TEST_CASE(wasm_memory_access),
    TEST_CASE(wasm_memory_limits),
    TEST_CASE(wasm_traps),
    TEST_CASE(wasm_timeouts),
    TEST_CASE(wasm_host_crash_is_not_a_trap),
    TEST_CASE(wasm_threads),
    TEST_END,
};
