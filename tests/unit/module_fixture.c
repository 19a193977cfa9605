/*
 * Module fixtures (module_fixture.h): example modules, a shared compile
 * cache, a V10 module-definition builder and a hostile module in WAT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test.h"
#include "unit/module_fixture.h"

const char *const hostile_reducers[HOSTILE_COUNT] = {
    "ok",   "user_error", "bad_code", "unreachable", "spin",     "recurse",
    "grow", "oob_insert", "oob_name", "oob_log",     "oob_sink", "insert_then_trap",
};

const char *fixture_cache_dir(void)
{
    const char *env = getenv("LC_WASM_CACHE");
    if (env && *env)
        return env;
    mkdir("build", 0755);
    mkdir("build/wasm-cache", 0755);
    return "build/wasm-cache";
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = n > 0 ? lc_malloc((size_t)n) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        lc_free(p);
        p = NULL;
    }
    fclose(f);
    *len = p ? (size_t)n : 0;
    return p;
}

uint8_t *fixture_example(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "build/examples/%s.wasm", name);
    uint8_t *p = read_file(path, len);
    if (!p)
        fprintf(stderr, "  %s missing: run `make examples`\n", path);
    return p;
}

/* ---------------------------------------------------------------- V10 definition */

static void put_str(lc_buf_t *b, const char *s)
{
    lc_buf_put_u32le(b, (uint32_t)strlen(s));
    lc_buf_append(b, s, strlen(s));
}

static void put_collist(lc_buf_t *b, uint16_t col)
{
    lc_buf_put_u32le(b, 1);
    lc_buf_put_u16le(b, col);
}

static void put_i128(lc_buf_t *b, int64_t v)
{
    lc_buf_put_u64le(b, (uint64_t)v);
    lc_buf_put_u64le(b, v < 0 ? UINT64_MAX : 0);
}

/* One table like `thing`: (id: u32) primary key, auto_inc, row type 0. */
static void put_table(lc_buf_t *out, const char *name)
{
    char ix[64];
    snprintf(ix, sizeof ix, "%s_id_idx_btree", name);
    put_str(out, name);
    lc_buf_put_u32le(out, 0); /* product_type_ref */
    put_collist(out, 0);      /* primary_key */
    lc_buf_put_u32le(out, 1); /* indexes */
    lc_buf_putc(out, 0);
    put_str(out, ix);
    lc_buf_putc(out, 1); /* accessor_name: none */
    lc_buf_putc(out, 0); /* BTree */
    put_collist(out, 0);
    lc_buf_put_u32le(out, 1); /* constraints */
    lc_buf_putc(out, 1);      /* source_name: none */
    lc_buf_putc(out, 0);      /* Unique */
    put_collist(out, 0);
    lc_buf_put_u32le(out, 1); /* sequences */
    lc_buf_putc(out, 1);      /* source_name: none */
    lc_buf_put_u16le(out, 0); /* column */
    lc_buf_putc(out, 1);      /* start: none */
    lc_buf_putc(out, 1);      /* min: none */
    lc_buf_putc(out, 1);      /* max: none */
    put_i128(out, 1);         /* increment */
    lc_buf_putc(out, 1);      /* User */
    lc_buf_putc(out, 0);      /* Public */
    lc_buf_put_u32le(out, 0); /* default_values */
    lc_buf_putc(out, 0);      /* is_event */
}

void fixture_def_v10(lc_buf_t *out, const char *const *reducers, size_t n, unsigned flags)
{
    lc_buf_putc(out, 2); /* RawModuleDef::V10 */
    lc_buf_put_u32le(out, flags & FIXTURE_CONNECT_REFUSES ? 5 : 4);
    /* Typespace: [Product{ id: U32 }] */
    lc_buf_putc(out, 0);
    lc_buf_put_u32le(out, 1);
    lc_buf_putc(out, 2); /* Product */
    lc_buf_put_u32le(out, 1);
    lc_buf_putc(out, 0); /* name: some */
    put_str(out, "id");
    lc_buf_putc(out, 11); /* U32 */
    /* Types: [Thing -> 0] */
    lc_buf_putc(out, 1);
    lc_buf_put_u32le(out, 1);
    lc_buf_put_u32le(out, 0); /* scope: [] */
    put_str(out, "Thing");
    lc_buf_put_u32le(out, 0);
    lc_buf_putc(out, 1); /* custom_ordering */
    /* Tables */
    lc_buf_putc(out, 2);
    lc_buf_put_u32le(out, flags & FIXTURE_EXTRA_TABLE ? 2 : 1);
    put_table(out, "thing");
    if (flags & FIXTURE_EXTRA_TABLE)
        put_table(out, "extra");
    /* Reducers */
    lc_buf_putc(out, 3);
    lc_buf_put_u32le(out, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        put_str(out, reducers[i]);
        lc_buf_put_u32le(out, 0); /* params: Product{} */
        lc_buf_putc(out, 1);      /* ClientCallable */
        lc_buf_putc(out, 2);      /* ok: Product{} */
        lc_buf_put_u32le(out, 0);
        lc_buf_putc(out, 4); /* err: String */
    }
    if (flags & FIXTURE_CONNECT_REFUSES) {
        /* LifeCycleReducers: [OnConnect -> user_error] */
        lc_buf_putc(out, 7);
        lc_buf_put_u32le(out, 1);
        lc_buf_putc(out, 1);
        put_str(out, "user_error");
    }
}

/* ---------------------------------------------------------------- WAT */

uint8_t *fixture_wat(const char *wat, size_t *len)
{
    char src[512], dst[512], cmd[1200];
    snprintf(src, sizeof src, "%s/m.wat", test_tmpdir());
    snprintf(dst, sizeof dst, "%s/m.wasm", test_tmpdir());
    FILE *f = fopen(src, "w");
    if (!f)
        return NULL;
    fputs(wat, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "wat2wasm %s -o %s", src, dst);
    if (system(cmd) != 0) {
        fprintf(stderr, "  wat2wasm failed\n");
        return NULL;
    }
    return read_file(dst, len);
}

/* The hostile module.  Memory: 8 = a u32 length slot, 16 = a u32 out
 * slot, 32 = a row buffer, 4096 = "thing", 4200 = "nope", 8192 = the
 * module definition. */
static const char hostile_wat[] =
    "(module\n"
    "  (import \"spacetime_10.0\" \"bytes_sink_write\" (func $sink (param i32 i32 i32) (result "
    "i32)))\n"
    "  (import \"spacetime_10.0\" \"console_log\" (func $log (param i32 i32 i32 i32 i32 i32 i32 "
    "i32)))\n"
    "  (import \"spacetime_10.0\" \"datastore_insert_bsatn\" (func $insert (param i32 i32 i32) "
    "(result i32)))\n"
    "  (import \"spacetime_10.0\" \"table_id_from_name\" (func $tid (param i32 i32 i32) (result "
    "i32)))\n"
    "%s" /* extra import */
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 4096) \"thing\")\n"
    "  (data (i32.const 4200) \"nope\")\n"
    "  (data (i32.const 8192) \"%s\")\n"
    "  (func (export \"__describe_module__\") (param $s i32)\n"
    "    (i32.store (i32.const 8) (i32.const %zu))\n"
    "    (drop (call $sink (local.get $s) (i32.const 8192) (i32.const 8))))\n"
    "  (func $ok (result i32) (local $st i32)\n"
    "    (local.set $st (call $tid (i32.const 4096) (i32.const 5) (i32.const 16)))\n"
    "    (if (local.get $st) (then (return (i32.add (local.get $st) (i32.const 100)))))\n"
    "    (i32.store (i32.const 32) (i32.const 0))\n"
    "    (i32.store (i32.const 8) (i32.const 4))\n"
    "    (call $insert (i32.load (i32.const 16)) (i32.const 32) (i32.const 8)))\n"
    "  (func $recurse (param $n i32) (result i32)\n"
    "    (i32.store (i32.const 24) (local.get $n))\n"
    "    (i32.add (call $recurse (i32.add (local.get $n) (i32.const 1))) (i32.load (i32.const "
    "24))))\n"
    "  (func $grow (result i32)\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.eq (memory.grow (i32.const 256)) (i32.const -1)))\n"
    "      (br $l)))\n"
    "    (i32.const 0))\n"
    "  (func (export \"%s\") (param $id i32) (param i64 i64 i64 i64 i64 i64 i64) (param $args "
    "i32) (param $err i32) (result i32)\n"
    "    (if (i32.eq (local.get $id) (i32.const 0)) (then (return (call $ok))))\n"
    "    (if (i32.eq (local.get $id) (i32.const 1)) (then\n"
    "      (i32.store (i32.const 8) (i32.const 4))\n"
    "      (drop (call $sink (local.get $err) (i32.const 4200) (i32.const 8)))\n"
    "      (return (i32.const 1))))\n"
    "    (if (i32.eq (local.get $id) (i32.const 2)) (then (return (i32.const 7))))\n"
    "    (if (i32.eq (local.get $id) (i32.const 3)) (then unreachable))\n"
    "    (if (i32.eq (local.get $id) (i32.const 4)) (then (loop $l (br $l))))\n"
    "    (if (i32.eq (local.get $id) (i32.const 5)) (then (return (call $recurse (i32.const "
    "0)))))\n"
    "    (if (i32.eq (local.get $id) (i32.const 6)) (then (return (call $grow))))\n"
    "    (if (i32.eq (local.get $id) (i32.const 7)) (then\n"
    "      (drop (call $tid (i32.const 4096) (i32.const 5) (i32.const 16)))\n"
    "      (i32.store (i32.const 8) (i32.const 4))\n"
    "      (return (call $insert (i32.load (i32.const 16)) (i32.const -16) (i32.const 8)))))\n"
    "    (if (i32.eq (local.get $id) (i32.const 8)) (then\n"
    "      (return (call $tid (i32.const 4096) (i32.const 0x7fffffff) (i32.const 16)))))\n"
    "    (if (i32.eq (local.get $id) (i32.const 9)) (then\n"
    "      (call $log (i32.const 2) (i32.const -16) (i32.const 100) (i32.const 0) (i32.const 5)\n"
    "        (i32.const 7) (i32.const -256) (i32.const 1000))\n"
    "      (return (i32.const 0))))\n"
    "    (if (i32.eq (local.get $id) (i32.const 10)) (then\n"
    "      (i32.store (i32.const 8) (i32.const 4))\n"
    "      (return (call $sink (local.get $err) (i32.const 0) (i32.const 8)))))\n"
    "    (if (i32.eq (local.get $id) (i32.const 11)) (then\n"
    "      (drop (call $ok)) unreachable))\n"
    "    (i32.const 99))\n"
    ")\n";

uint8_t *fixture_hostile(const char *variant, size_t *len)
{
    lc_buf_t def, esc, wat;
    lc_buf_init(&def);
    lc_buf_init(&esc);
    lc_buf_init(&wat);
    unsigned flags = strcmp(variant, "extra-table") == 0      ? FIXTURE_EXTRA_TABLE
                     : strcmp(variant, "refuse-connect") == 0 ? FIXTURE_CONNECT_REFUSES
                                                              : 0;
    fixture_def_v10(&def, hostile_reducers, HOSTILE_COUNT, flags);
    size_t deflen = def.len;
    if (strcmp(variant, "bad-def") == 0)
        deflen = def.len / 2;
    for (size_t i = 0; i < deflen; i++) {
        char h[4];
        snprintf(h, sizeof h, "\\%02x", def.data[i]);
        lc_buf_append(&esc, h, 3);
    }
    lc_buf_putc(&esc, 0);
    const char *extra = strcmp(variant, "unknown-import") == 0
                            ? "  (import \"spacetime_10.0\" \"no_such_function\" (func (param "
                              "i32)))\n"
                            : "";
    const char *call =
        strcmp(variant, "no-call-reducer") == 0 ? "__call_reducer_renamed__" : "__call_reducer__";
    size_t cap = sizeof hostile_wat + esc.len + 256;
    char *text = lc_malloc(cap);
    uint8_t *bin = NULL;
    if (text) {
        snprintf(text, cap, hostile_wat, extra, (const char *)esc.data, deflen, call);
        bin = fixture_wat(text, len);
    }
    lc_free(text);
    lc_buf_free(&def);
    lc_buf_free(&esc);
    lc_buf_free(&wat);
    return bin;
}
