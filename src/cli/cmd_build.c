/*
 * cmd_build.c — `lightcone build [DIR]`: compile a C module project to a wasm32 module.
 *
 * A project is a directory of C files using the C module SDK (docs/MODULES-IN-C.md).  Every
 * *.c directly in DIR is compiled together with the SDK library's sources, by clang, into
 * DIR/build/<name of DIR>.wasm, in one compiler run.
 *
 * Where the SDK is found (the first that holds include/lightcone.h):
 *   1. $LIGHTCONE_SDK
 *   2. <directory of the lightcone binary>/../sdk/module-c   (a checkout: build/lightcone)
 *   3. <directory of the lightcone binary>/../share/lightcone/sdk/module-c   (an install)
 *   4. ./sdk/module-c   (run from the root of a checkout)
 * The compiler is $LIGHTCONE_CC or clang; $LIGHTCONE_CFLAGS adds flags.  The flags here and
 * WASM_CFLAGS / WASM_LDFLAGS in the Makefile (make examples) must stay in step.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "cli_int.h"

const char cli_build_summary[] = "Compile a C module project (all *.c in DIR) to wasm32";
const char cli_build_usage[] =
    "  [DIR]                the project directory (default: .); the module is written to\n"
    "                       DIR/build/<name of DIR>.wasm\n"
    "  -o, --out FILE       write the module to FILE instead\n"
    "Environment: LIGHTCONE_SDK (the SDK directory), LIGHTCONE_CC (default clang),\n"
    "LIGHTCONE_CFLAGS (extra compiler flags).\n";

static const char *const compile_flags[] = {
    "--target=wasm32-wasi",
    "-std=c17",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror=implicit-function-declaration",
    "-Werror=incompatible-pointer-types",
    "-Werror=int-conversion",
    "-Werror=return-type",
    "-nostartfiles",
    "-Wl,--no-entry",
    "-Wl,--strip-debug",
    "-Wl,-z,stack-size=1048576",
};

#define NFLAGS (sizeof compile_flags / sizeof compile_flags[0])

/* snprintf that reports whether everything fit (paths longer than PATH_MAX are refused). */
static bool fmt(char *out, size_t cap, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static bool fmt(char *out, size_t cap, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(out, cap, format, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < cap;
}

static void usage(FILE *f)
{
    fprintf(f, "%s\n\nUsage: lightcone build [OPTIONS] [DIR]\n\nOptions:\n%s", cli_build_summary,
            cli_build_usage);
}

static bool is_sdk(const char *dir)
{
    char path[PATH_MAX + 32];
    return fmt(path, sizeof path, "%s/include/lightcone.h", dir) && access(path, R_OK) == 0;
}

/* Try `base/rel` as the SDK; on success leave its real path in out. */
static bool try_sdk(char *out, const char *base, const char *rel)
{
    char path[PATH_MAX * 2];
    return fmt(path, sizeof path, "%s%s%s", base, rel[0] ? "/" : "", rel) && is_sdk(path) &&
           realpath(path, out) != NULL;
}

static int find_sdk(char out[PATH_MAX])
{
    const char *env = getenv("LIGHTCONE_SDK");
    if (env && *env) {
        if (try_sdk(out, env, ""))
            return 0;
        fprintf(stderr, "error: LIGHTCONE_SDK=%s holds no include/lightcone.h\n", env);
        return -1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *bin = dirname(exe);
        if (try_sdk(out, bin, "../sdk/module-c") ||
            try_sdk(out, bin, "../share/lightcone/sdk/module-c"))
            return 0;
    }
    if (try_sdk(out, ".", "sdk/module-c"))
        return 0;
    fprintf(stderr, "error: cannot find the C module SDK (sdk/module-c): set LIGHTCONE_SDK\n");
    return -1;
}

/* The wasm32 compiler-rt builtins, when installed (64-bit math beyond what wasm has). */
static bool builtins_path(const char *cc, char *out, size_t cap)
{
    char cmd[PATH_MAX + 64];
    if (!fmt(cmd, sizeof cmd, "%s --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null", cc))
        return false;
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    bool ok = fgets(out, (int)cap, p) != NULL;
    pclose(p);
    if (!ok)
        return false;
    out[strcspn(out, "\n")] = 0;
    return access(out, R_OK) == 0;
}

/* Copy the compiler's diagnostics from fd to stderr until it closes, keeping
 * the progress line below them: erased before a message, drawn again only
 * at the start of a line. */
static void relay(int fd)
{
    char buf[4096];
    bool at_line_start = true;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, 100);
        if (r < 0 && errno != EINTR)
            return;
        if (r <= 0) {
            if (at_line_start)
                cli_progress_tick();
            continue;
        }
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        cli_progress_clear();
        (void)!write(STDERR_FILENO, buf, (size_t)n);
        at_line_start = buf[n - 1] == '\n';
    }
}

/* Run argv; returns its exit status, 127 if it could not be started.  With a
 * live progress line, the child's stderr comes through relay(). */
static int run(char **argv)
{
    int pfd[2] = {-1, -1};
    bool piped = cli_progress_active() && pipe2(pfd, O_CLOEXEC) == 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (piped)
            dup2(pfd[1], STDERR_FILENO);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (piped) {
        close(pfd[1]);
        if (pid > 0)
            relay(pfd[0]);
        close(pfd[0]);
    }
    if (pid < 0)
        return 127;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Count whitespace-separated words of s (LIGHTCONE_CFLAGS). */
static size_t count_words(const char *s)
{
    size_t n = 0;
    for (bool in = false; s && *s; s++) {
        bool space = *s == ' ' || *s == '\t' || *s == '\n';
        n += !space && !in;
        in = !space;
    }
    return n;
}

typedef struct build {
    const char *dir, *out, *cc;
    char sdk[PATH_MAX];
    char prefix_user[PATH_MAX + 32], prefix_sdk[PATH_MAX + 32];
    char inc_sdk[PATH_MAX + 16], inc_user[PATH_MAX + 8];
    char builtins[PATH_MAX];
    glob_t user, lib;
    char *cflags; /* a copy of LIGHTCONE_CFLAGS, cut into words */
    bool quiet;
} build_t;

static char **make_argv(build_t *b)
{
    size_t n = 16 + NFLAGS + b->user.gl_pathc + b->lib.gl_pathc + count_words(b->cflags), i = 0;
    char **argv = lc_calloc(n, sizeof *argv);
    if (!argv)
        return NULL;
    argv[i++] = (char *)b->cc;
    for (size_t f = 0; f < NFLAGS; f++) argv[i++] = (char *)compile_flags[f];
    argv[i++] = b->inc_sdk;
    argv[i++] = b->inc_user;
    argv[i++] = b->prefix_user;
    argv[i++] = b->prefix_sdk;
    for (char *w = b->cflags ? strtok(b->cflags, " \t\n") : NULL; w; w = strtok(NULL, " \t\n"))
        argv[i++] = w;
    argv[i++] = "-o";
    argv[i++] = (char *)b->out;
    for (size_t k = 0; k < b->user.gl_pathc; k++) argv[i++] = b->user.gl_pathv[k];
    for (size_t k = 0; k < b->lib.gl_pathc; k++) argv[i++] = b->lib.gl_pathv[k];
    if (cli_progress_active() && cli_color(2))
        argv[i++] = "-fdiagnostics-color=always"; /* relay() pipes stderr */
    argv[i++] = "-nodefaultlibs";
    argv[i++] = "-lc";
    if (b->builtins[0])
        argv[i++] = b->builtins;
    argv[i] = NULL;
    return argv;
}

static int compile(build_t *b)
{
    char pattern[PATH_MAX + 16];
    if (!fmt(pattern, sizeof pattern, "%s/*.c", b->dir) || glob(pattern, 0, NULL, &b->user) != 0 ||
        b->user.gl_pathc == 0) {
        fprintf(stderr, "error: no .c files in %s\n", b->dir);
        return CLI_EXIT_USAGE;
    }
    if (!fmt(pattern, sizeof pattern, "%s/src/*.c", b->sdk) ||
        glob(pattern, 0, NULL, &b->lib) != 0) {
        fprintf(stderr, "error: the SDK in %s has no sources\n", b->sdk);
        return CLI_EXIT_FAILURE;
    }
    if (!fmt(b->inc_sdk, sizeof b->inc_sdk, "-I%s/include", b->sdk) ||
        !fmt(b->inc_user, sizeof b->inc_user, "-I%s", b->dir) ||
        !fmt(b->prefix_user, sizeof b->prefix_user, "-fmacro-prefix-map=%s/=", b->dir) ||
        !fmt(b->prefix_sdk, sizeof b->prefix_sdk, "-fmacro-prefix-map=%s/src/=lightcone/",
             b->sdk)) {
        fprintf(stderr, "error: path too long\n");
        return CLI_EXIT_FAILURE;
    }
    if (!builtins_path(b->cc, b->builtins, sizeof b->builtins))
        b->builtins[0] = 0;
    const char *env = getenv("LIGHTCONE_CFLAGS");
    if (env && *env && (b->cflags = lc_malloc(strlen(env) + 1)) != NULL)
        memcpy(b->cflags, env, strlen(env) + 1);
    char stage[PATH_MAX + 64];
    snprintf(stage, sizeof stage, "compiling %s (%s, wasm32)", b->dir, b->cc);
    cli_progress_t pr;
    cli_progress_start(&pr, stage, NULL);
    char **argv = make_argv(b);
    int status = argv ? run(argv) : 127;
    cli_progress_end(&pr, NULL); /* "built ..." below says it */
    if (!argv)
        return CLI_EXIT_FAILURE;
    lc_free(argv);
    if (status == 127) {
        fprintf(stderr,
                "error: cannot run %s: install clang, lld and wasi-libc (scripts/deps.sh)\n",
                b->cc);
        return CLI_EXIT_FAILURE;
    }
    if (status != 0) {
        fprintf(stderr, "error: compiling %s failed\n", b->dir);
        return CLI_EXIT_FAILURE;
    }
    struct stat st;
    if (!b->quiet && stat(b->out, &st) == 0)
        printf("built %s (%lld bytes)\n", b->out, (long long)st.st_size);
    return CLI_EXIT_OK;
}

/* DIR/build/<name>.wasm, creating DIR/build. */
static int default_out(const char *dir, char *out, size_t cap)
{
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return -1;
    char bdir[PATH_MAX + 8];
    if (!fmt(bdir, sizeof bdir, "%s/build", dir))
        return -1;
    if (mkdir(bdir, 0755) != 0 && access(bdir, W_OK) != 0)
        return -1;
    const char *name = strrchr(real, '/');
    name = name && name[1] ? name + 1 : "module";
    return fmt(out, cap, "%s/%s.wasm", bdir, name) ? 0 : -1;
}

static int parse(int argc, char **argv, const char **dir, const char **out)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return -1;
        }
        if (opt == 'o') {
            *out = optarg;
            continue;
        }
        fprintf(stderr, "error: unknown or incomplete option '%s'\n", argv[optind - 1]);
        return CLI_EXIT_USAGE;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "error: expected one directory, got '%s'\n", argv[optind + 1]);
        return CLI_EXIT_USAGE;
    }
    *dir = optind < argc ? argv[optind] : ".";
    return 0;
}

int cli_build_module(const char *dir, const char *out, bool quiet, char *out_path, size_t cap)
{
    char clean[PATH_MAX];
    if (!fmt(clean, sizeof clean, "%s", dir)) {
        fprintf(stderr, "error: path too long\n");
        return CLI_EXIT_USAGE;
    }
    for (size_t n = strlen(clean); n > 1 && clean[n - 1] == '/'; n--) clean[n - 1] = 0;
    dir = clean;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "error: %s is not a directory\n", dir);
        return CLI_EXIT_USAGE;
    }
    build_t b = {.dir = dir, .cc = getenv("LIGHTCONE_CC"), .quiet = quiet};
    if (!b.cc || !*b.cc)
        b.cc = "clang";
    if (find_sdk(b.sdk) != 0)
        return CLI_EXIT_FAILURE;
    char def_out[PATH_MAX + 64];
    if (!out) {
        if (default_out(dir, def_out, sizeof def_out) != 0) {
            fprintf(stderr, "error: cannot create %s/build\n", dir);
            return CLI_EXIT_FAILURE;
        }
        out = def_out;
    }
    if (out_path && !fmt(out_path, cap, "%s", out)) {
        fprintf(stderr, "error: path too long\n");
        return CLI_EXIT_USAGE;
    }
    b.out = out;
    int rc = compile(&b);
    if (b.user.gl_pathv)
        globfree(&b.user);
    if (b.lib.gl_pathv)
        globfree(&b.lib);
    lc_free(b.cflags);
    return rc;
}

int cli_cmd_build(const cli_command_t *cmd, int argc, char **argv)
{
    (void)cmd;
    const char *dir = NULL, *out = NULL;
    int rc = parse(argc, argv, &dir, &out);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    return cli_build_module(dir, out, false, NULL, 0);
}
