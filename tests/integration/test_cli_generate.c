/*
 * Integration tests of `lightcone generate --bin-path` (docs/CLI.md): bindings from a local
 * .wasm, without a server, must be byte for byte what `generate` writes from the server's
 * /schema for the same module once published; and each way a local module can be wrong
 * (missing, not wasm, a trapping __describe_module__, a definition that does not decode)
 * is a clear message with exit code 1.  The CLI's configuration and its compiled-module
 * cache live in the test's own XDG_CONFIG_HOME and XDG_CACHE_HOME.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "cli_run.h"
#include "harness.h"
#include "unit/test.h"

/* Fresh configuration and cache directories for the CLI under test. */
static void fresh_dirs(void)
{
    char dir[400];
    snprintf(dir, sizeof dir, "%s/config", test_tmpdir());
    mkdir(dir, 0700);
    setenv("XDG_CONFIG_HOME", dir, 1);
    snprintf(dir, sizeof dir, "%s/cache", test_tmpdir());
    mkdir(dir, 0700);
    setenv("XDG_CACHE_HOME", dir, 1);
}

/* The whole of path (lc_malloc'd, NUL-terminated); NULL if unreadable. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    lc_buf_t b;
    lc_buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) lc_buf_append(&b, chunk, n);
    fclose(f);
    lc_buf_terminate(&b);
    return (char *)lc_buf_take(&b, len);
}

/* Whether dir/a and dir/b hold the same bytes (and exist). */
static bool same_file(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    bool same = x && y && na == nb && memcmp(x, y, na) == 0;
    lc_free(x);
    lc_free(y);
    return same;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(p, 1, n, f);
        fclose(f);
    }
}

/* Whether the cache directory holds a compiled module. */
static bool cache_has_module(void)
{
    char dir[500];
    snprintf(dir, sizeof dir, "%s/lightcone/wasm-cache", getenv("XDG_CACHE_HOME"));
    DIR *d = opendir(dir);
    bool found = false;
    for (struct dirent *e; d && (e = readdir(d));) found |= strstr(e->d_name, ".so") != NULL;
    if (d)
        closedir(d);
    return found;
}

/* --bin-path FILE.wasm writes what generate from the server writes for the same module:
 * TypeScript and C, for chat (NAME defaulting to the file's base name) and alltypes. */
TEST(cli_generate_bin_path_matches_server)
{
    char *out = malloc(OUT_CAP), url[64], srv[450], bin[450], a[600], b[600];
    fresh_dirs();
    itest_server_t s;
    if (itest_server_start(&s, NULL) != 0) {
        test_fail(__FILE__, __LINE__, "server did not start (log %s)", s.log_path);
        itest_server_cleanup(&s);
        free(out);
        return;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    snprintf(srv, sizeof srv, "%s/srv", test_tmpdir());
    snprintf(bin, sizeof bin, "%s/bin", test_tmpdir());
    RUN(0, "publish", "-s", url, "chat", "-b", "build/examples/chat.wasm");
    RUN(0, "publish", "-s", url, "alltypes", "-b", "build/examples/alltypes.wasm");

    RUN(0, "generate", "-s", url, "--out-dir", srv, "chat");
    RUN(0, "generate", "--bin-path", "build/examples/chat.wasm", "--out-dir", bin);
    snprintf(a, sizeof a, "%s/index.mjs", srv);
    snprintf(b, sizeof b, "%s/index.mjs", bin);
    EXPECT(same_file(a, b));
    EXPECT(cache_has_module());
    RUN(0, "generate", "-s", url, "--lang", "c", "-o", srv, "chat");
    RUN(0, "generate", "-b", "build/examples/chat.wasm", "--lang", "c", "-o", bin, "chat");
    snprintf(a, sizeof a, "%s/chat_bindings.h", srv);
    snprintf(b, sizeof b, "%s/chat_bindings.h", bin);
    EXPECT(same_file(a, b));

    RUN(0, "generate", "-s", url, "-o", srv, "alltypes");
    RUN(0, "generate", "-b", "build/examples/alltypes.wasm", "-o", bin, "alltypes");
    snprintf(a, sizeof a, "%s/index.mjs", srv);
    snprintf(b, sizeof b, "%s/index.mjs", bin);
    EXPECT(same_file(a, b));
    /* The reference's camelCase accessors over the module's names. */
    char *text = slurp(b, NULL);
    bool ok = text && strstr(text, "  allTypes: __table(\n    {\n      name: 'all_types',") &&
              strstr(text, "  optI32: __t.option(__t.i32()).name('opt_i32'),") &&
              strstr(text, "  all_types: 'allTypes',") && strstr(text, "delayMs: __t.i64()") &&
              strstr(text, "__reducerSchema('set_alarm', SetAlarmReducer)");
    lc_free(text);
    EXPECT(ok);
done:
    itest_server_stop(&s, SIGTERM, &(int){0});
    itest_server_cleanup(&s);
    free(out);
}

/* (module (memory (export "memory") 1)
 *   (func (export "__call_reducer__") (param i32 i64 i64 i64 i64 i64 i64 i64 i32 i32)
 *     (result i32) i32.const 0)
 *   (func (export "__describe_module__") (param i32) unreachable)) */
static const uint8_t trapping_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x13, 0x02, 0x60, 0x0a, 0x7f, 0x7e,
    0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x03,
    0x03, 0x02, 0x00, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x33, 0x03, 0x06, 0x6d, 0x65,
    0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x10, 0x5f, 0x5f, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x72,
    0x65, 0x64, 0x75, 0x63, 0x65, 0x72, 0x5f, 0x5f, 0x00, 0x00, 0x13, 0x5f, 0x5f, 0x64, 0x65,
    0x73, 0x63, 0x72, 0x69, 0x62, 0x65, 0x5f, 0x6d, 0x6f, 0x64, 0x75, 0x6c, 0x65, 0x5f, 0x5f,
    0x00, 0x01, 0x0a, 0x0a, 0x02, 0x04, 0x00, 0x41, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x0b,
};

/* The same, but __describe_module__ writes the three bytes 07 07 07 (no RawModuleDef
 * version has tag 7) with bytes_sink_write: (data (i32.const 16) "\03\00\00\00")
 * (data (i32.const 32) "\07\07\07") and (call $bytes_sink_write (local.get 0)
 * (i32.const 32) (i32.const 16)). */
static const uint8_t bad_def_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1a, 0x03, 0x60, 0x03, 0x7f, 0x7f, 0x7f,
    0x01, 0x7f, 0x60, 0x0a, 0x7f, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7e, 0x7f, 0x7f, 0x01, 0x7f,
    0x60, 0x01, 0x7f, 0x00, 0x02, 0x23, 0x01, 0x0e, 0x73, 0x70, 0x61, 0x63, 0x65, 0x74, 0x69, 0x6d,
    0x65, 0x5f, 0x31, 0x30, 0x2e, 0x30, 0x10, 0x62, 0x79, 0x74, 0x65, 0x73, 0x5f, 0x73, 0x69, 0x6e,
    0x6b, 0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x00, 0x03, 0x03, 0x02, 0x01, 0x02, 0x05, 0x03,
    0x01, 0x00, 0x01, 0x07, 0x33, 0x03, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x10,
    0x5f, 0x5f, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x72, 0x65, 0x64, 0x75, 0x63, 0x65, 0x72, 0x5f, 0x5f,
    0x00, 0x01, 0x13, 0x5f, 0x5f, 0x64, 0x65, 0x73, 0x63, 0x72, 0x69, 0x62, 0x65, 0x5f, 0x6d, 0x6f,
    0x64, 0x75, 0x6c, 0x65, 0x5f, 0x5f, 0x00, 0x02, 0x0a, 0x12, 0x02, 0x04, 0x00, 0x41, 0x00, 0x0b,
    0x0b, 0x00, 0x20, 0x00, 0x41, 0x20, 0x41, 0x10, 0x10, 0x00, 0x1a, 0x0b, 0x0b, 0x12, 0x02, 0x00,
    0x41, 0x10, 0x0b, 0x04, 0x03, 0x00, 0x00, 0x00, 0x00, 0x41, 0x20, 0x0b, 0x03, 0x07, 0x07, 0x07,
};

/* Each wrong local module: exit 1 and a message naming the file and the problem; usage
 * mistakes: exit 2. */
TEST(cli_generate_bin_path_errors)
{
    char *out = malloc(OUT_CAP), gen[450], trap[450], bad[450], text[450];
    fresh_dirs();
    snprintf(gen, sizeof gen, "%s/gen", test_tmpdir());
    snprintf(trap, sizeof trap, "%s/trap.wasm", test_tmpdir());
    snprintf(bad, sizeof bad, "%s/bad.wasm", test_tmpdir());
    snprintf(text, sizeof text, "%s/notes.wasm", test_tmpdir());
    write_bytes(trap, trapping_wasm, sizeof trapping_wasm);
    write_bytes(bad, bad_def_wasm, sizeof bad_def_wasm);
    write_bytes(text, "hello\n", 6);

    RUN(1, "generate", "--bin-path", "/nonexistent/x.wasm", "-o", gen);
    EXPECT(strstr(out, "cannot read /nonexistent/x.wasm: No such file or directory"));
    RUN(1, "generate", "-b", text, "-o", gen);
    EXPECT(strstr(out, "is not a WebAssembly module"));
    RUN(1, "generate", "-b", trap, "-o", gen);
    EXPECT(strstr(out, "trap.wasm: ") && strstr(out, "unreachable"));
    RUN(1, "generate", "-b", bad, "-o", gen);
    EXPECT(strstr(out, "bad.wasm: ") && strstr(out, "does not decode"));
    RUN(2, "generate", "-b", trap, "--schema-file", bad, "-o", gen);
    RUN(2, "generate", "-b", trap, "one", "two");
    EXPECT(access(gen, F_OK) != 0); /* nothing was written */
done:
    free(out);
}

const test_case_t test_cli_generate_cases[] = {
    TEST_CASE(cli_generate_bin_path_matches_server),
    TEST_CASE(cli_generate_bin_path_errors),
    TEST_END,
};
