/*
 * compile.c — the engine and the compile pipeline: check, translate,
 * compile, cache, load.
 *
 * Steps of wasm_module_compile (each stage reported to the progress
 * callback as it starts):
 *
 *   1. CHECKING     parse the sections (binary.c); refuse imports of
 *                   memories, tables, globals or tags, imports the host
 *                   table lacks or types differently, and a module without
 *                   an exported memory "memory"; hash the bytes (BLAKE3).
 *   2. cache        <cache_dir>/<hex hash>.so exists: go to 5.
 *   3. TRANSLATING  in a fresh directory <cache_dir>/.tmp-<hash>-XXXXXX:
 *                   write module.wasm, run `wasm2c module.wasm -n m -o m.c`
 *                   and write the shim (shim.c) as shim.c.
 *   4. COMPILING    run `cc -O<n> -fPIC -shared -fvisibility=hidden
 *                   -fstack-clash-protection ... -o module.so m.c shim.c`
 *                   (stack-clash protection: a wasm frame larger than the
 *                   thread's guard page still faults on it, so deep
 *                   recursion is a trap, not a write past the stack);
 *                   rename module.so to the cache name (atomic, so
 *                   concurrent compiles of one module are safe: each has
 *                   its own directory, the last rename wins with identical
 *                   bytes); remove the directory.
 *   5. LOADING      dlopen(RTLD_NOW | RTLD_LOCAL), find the shim's
 *                   functions, check its ABI version and export count, run
 *                   the module's init.  A cached .so that fails here (an
 *                   older build's) is rebuilt once through steps 3 and 4.
 *
 * Child processes (wasm2c, cc) are forked with their own process group, an
 * RLIMIT_AS limit and stdout/stderr in a file of the temporary directory;
 * past the timeout the whole group is killed.  A child that fails or dies
 * is an error for the caller, never a problem for this process.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wasm_int.h"

enum { OUTPUT_MAX = 4096 };

/* One module init at a time: wasm2c's init writes the module's statics. */
static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;

/* ---------------------------------------------------------------- engine */

/* Whether a host signature is well-formed: [iIfF]* ':' [iIfF]?. */
static bool host_sig_ok(const char *sig)
{
    const char *colon = sig != NULL ? strchr(sig, ':') : NULL;
    if (colon == NULL || strspn(sig, "iIfF") != (size_t)(colon - sig))
        return false;
    return strlen(colon + 1) <= 1 && strspn(colon + 1, "iIfF") == strlen(colon + 1);
}

static int mkdirs(const char *path, lc_err_t *err)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return lc_err_set(err, LC_EINVAL, "cache directory path is too long");
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != 0)
            continue;
        char c = *p;
        *p = 0;
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return lc_err_set(err, LC_EIO, "cannot create %s: %s", buf, strerror(errno));
        *p = c;
        if (c == 0)
            break;
    }
    return LC_OK;
}

static int check_config(const wasm_engine_config_t *cfg, lc_err_t *err)
{
    if (cfg->cache_dir == NULL || cfg->cache_dir[0] == 0)
        return lc_err_set(err, LC_EINVAL, "the wasm engine needs a cache directory");
    for (size_t i = 0; i < cfg->nhost_fns; i++) {
        const wasm_host_fn_t *h = &cfg->host_fns[i];
        if (h->module == NULL || h->name == NULL || h->fn == NULL || !host_sig_ok(h->sig))
            return lc_err_set(err, LC_EINVAL, "host function %zu (%s.%s) is malformed", i,
                              h->module ? h->module : "?", h->name ? h->name : "?");
    }
    return LC_OK;
}

int wasm_engine_new(const wasm_engine_config_t *cfg, wasm_engine_t **out, lc_err_t *err)
{
    *out = NULL;
    int rc = check_config(cfg, err);
    if (rc == 0)
        rc = mkdirs(cfg->cache_dir, err);
    if (rc)
        return rc;
    wasm_engine_t *e = lc_calloc(1, sizeof *e);
    if (e == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory creating the wasm engine");
    e->cache_dir = lc_strdup(cfg->cache_dir);
    e->cc = lc_strdup(cfg->cc != NULL ? cfg->cc : "cc");
    e->wasm2c = lc_strdup(cfg->wasm2c != NULL ? cfg->wasm2c : "wasm2c");
    if (e->cache_dir == NULL || e->cc == NULL || e->wasm2c == NULL) {
        wasm_engine_free(e);
        return lc_err_set(err, LC_ENOMEM, "out of memory creating the wasm engine");
    }
    e->opt_level = cfg->opt_level < 0 ? 1 : LC_MIN(cfg->opt_level, 3);
    e->compile_mem_limit = cfg->compile_mem_limit ? cfg->compile_mem_limit : 4ull << 30;
    e->compile_timeout_ms = cfg->compile_timeout_ms ? cfg->compile_timeout_ms : 10 * 60 * 1000;
    e->host_fns = cfg->host_fns;
    e->nhost_fns = cfg->nhost_fns;
    wasm__rt_init();
    wasm__watchdog_ref();
    *out = e;
    return LC_OK;
}

void wasm_engine_free(wasm_engine_t *e)
{
    if (e == NULL)
        return;
    LC_ASSERT(atomic_load(&e->modules) == 0);
    if (e->cache_dir != NULL && e->cc != NULL && e->wasm2c != NULL)
        wasm__watchdog_unref();
    lc_free(e->cache_dir);
    lc_free(e->cc);
    lc_free(e->wasm2c);
    lc_free(e);
}

/* ---------------------------------------------------------------- checking */

static void put_types(lc_buf_t *b, const char *p, size_t n)
{
    static const char codes[] = "iIfFvrx";
    static const char *const names[] = {"i32", "i64", "f32", "f64", "v128", "funcref", "externref"};
    for (size_t i = 0; i < n; i++) {
        const char *pos = strchr(codes, p[i]);
        lc_buf_printf(b, "%s%s", i ? ", " : "", pos != NULL ? names[pos - codes] : "?");
    }
}

/* "(i32, i64) -> i32" for "iI:i"; "() -> ()" for ":". */
static void sig_pretty(char *out, size_t n, const char *sig)
{
    const char *colon = strchr(sig, ':');
    size_t nres = strlen(colon + 1);
    lc_buf_t b;
    lc_buf_init(&b);
    lc_buf_putc(&b, '(');
    put_types(&b, sig, (size_t)(colon - sig));
    lc_buf_puts(&b, nres == 1 ? ") -> " : ") -> (");
    put_types(&b, colon + 1, nres);
    if (nres != 1)
        lc_buf_putc(&b, ')');
    lc_buf_terminate(&b);
    snprintf(out, n, "%s", b.oom ? sig : (const char *)b.data);
    lc_buf_free(&b);
}

static const wasm_host_fn_t *find_host(const wasm_engine_t *e, const wasm__import_t *im)
{
    for (size_t i = 0; i < e->nhost_fns; i++)
        if (strcmp(e->host_fns[i].module, im->module) == 0 &&
            strcmp(e->host_fns[i].name, im->name) == 0)
            return &e->host_fns[i];
    return NULL;
}

/* Resolve every import against the host table; fns gets one pointer each. */
static int check_imports(const wasm_engine_t *e, const wasm__info_t *info, void **fns,
                         lc_err_t *err)
{
    if (info->bad_import_kind != NULL)
        return lc_err_set(err, LC_EINVAL,
                          "imports of memories, tables or globals are not supported (`%s`.`%s` "
                          "is a %s)",
                          info->bad_import_module, info->bad_import_name, info->bad_import_kind);
    for (uint32_t i = 0; i < info->nimports; i++) {
        const wasm__import_t *im = &info->imports[i];
        const wasm_host_fn_t *h = find_host(e, im);
        if (h == NULL)
            return lc_err_set(err, LC_EINVAL, "unknown import `%s`.`%s`", im->module, im->name);
        if (strcmp(h->sig, im->sig) != 0) {
            char got[128], want[128];
            sig_pretty(got, sizeof got, im->sig);
            sig_pretty(want, sizeof want, h->sig);
            return lc_err_set(err, LC_EINVAL, "import `%s`.`%s` has signature %s, expected %s",
                              im->module, im->name, got, want);
        }
        fns[i] = h->fn;
    }
    if (!info->memory_export)
        return lc_err_set(err, LC_EINVAL, "the module does not export its memory as \"memory\"");
    return LC_OK;
}

/* ---------------------------------------------------------------- children */

typedef struct child {
    int status; /* waitpid status */
    bool timed_out;
    char out[OUTPUT_MAX]; /* what it wrote to stdout and stderr (truncated) */
} child_t;

static void read_output(const char *path, child_t *c)
{
    c->out[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, c->out, sizeof c->out - 1);
    close(fd);
    n = n < 0 ? 0 : n;
    while (n > 0 && (c->out[n - 1] == '\n' || c->out[n - 1] == ' ')) n--;
    c->out[n] = 0;
}

/* In the child between fork and exec: async-signal-safe calls only. */
static _Noreturn void child_exec(char *const argv[], const char *dir, int nullfd, int outfd,
                                 const struct rlimit *rl)
{
    setpgid(0, 0);
    if (chdir(dir) != 0 || dup2(nullfd, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
        _exit(126);
    setrlimit(RLIMIT_AS, rl);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(argv[0], argv);
    static const char msg[] = "cannot execute the program (not found or not executable)\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
}

static int wait_child(pid_t pid, uint32_t timeout_ms, child_t *c)
{
    int64_t deadline = lc_now_mono_us() + (int64_t)timeout_ms * 1000;
    long sleep_us = 500;
    for (;;) {
        pid_t r = waitpid(pid, &c->status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return LC_EIO;
        if (lc_now_mono_us() >= deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &c->status, 0) < 0 && errno == EINTR) {
            }
            c->timed_out = true;
            break;
        }
        struct timespec ts = {0, sleep_us * 1000};
        nanosleep(&ts, NULL);
        sleep_us = LC_MIN(sleep_us * 2, 20000);
    }
    kill(-pid, SIGKILL); /* anything the child left behind in its group */
    return LC_OK;
}

/* Run argv in dir; c gets its status and output. */
static int run_child(const wasm_engine_t *e, char *const argv[], const char *dir, child_t *c,
                     lc_err_t *err)
{
    char outpath[PATH_MAX];
    snprintf(outpath, sizeof outpath, "%s/output.txt", dir);
    memset(c, 0, sizeof *c);
    int outfd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (outfd < 0 || nullfd < 0) {
        int e2 = errno;
        if (outfd >= 0)
            close(outfd);
        if (nullfd >= 0)
            close(nullfd);
        return lc_err_set(err, LC_EIO, "cannot run %s: %s", argv[0], strerror(e2));
    }
    struct rlimit rl = {e->compile_mem_limit, e->compile_mem_limit};
    pid_t pid = fork();
    if (pid == 0)
        child_exec(argv, dir, nullfd, outfd, &rl);
    int fork_errno = errno;
    close(outfd);
    close(nullfd);
    if (pid < 0)
        return lc_err_set(err, LC_EIO, "cannot run %s: %s", argv[0], strerror(fork_errno));
    setpgid(pid, pid); /* also in the child: whichever runs first */
    int rc = wait_child(pid, e->compile_timeout_ms, c);
    read_output(outpath, c);
    unlink(outpath);
    if (rc)
        return lc_err_set(err, LC_EIO, "lost track of %s: %s", argv[0], strerror(errno));
    return LC_OK;
}

/* How a child failed, as text ("exit status 1", "killed by signal 11"). */
static const char *child_failure(const child_t *c, const wasm_engine_t *e, char *buf, size_t n)
{
    if (c->timed_out)
        snprintf(buf, n, "timed out after %u ms", e->compile_timeout_ms);
    else if (WIFSIGNALED(c->status))
        snprintf(buf, n, "killed by signal %d", WTERMSIG(c->status));
    else if (WIFEXITED(c->status) && WEXITSTATUS(c->status) != 0)
        snprintf(buf, n, "exit status %d", WEXITSTATUS(c->status));
    else
        return NULL;
    return buf;
}

/* ---------------------------------------------------------------- pipeline */

typedef struct job {
    wasm_engine_t *e;
    const uint8_t *wasm;
    size_t len;
    const wasm__info_t *info;
    char hex[2 * LC_BLAKE3_OUT_LEN + 1];
    char so_path[PATH_MAX];
    char dir[PATH_MAX - 64]; /* the temporary directory (room left for file names) */
    wasm_progress_cb progress;
    void *progress_arg;
} job_t;

static void report(const job_t *j, wasm_stage_t stage, const char *detail)
{
    if (j->progress != NULL)
        j->progress(j->progress_arg, stage, detail);
}

static int write_file(const job_t *j, const char *name, const void *p, size_t n, lc_err_t *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", j->dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return lc_err_set(err, LC_EIO, "cannot write %s: %s", path, strerror(errno));
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e2 = errno;
            close(fd);
            return lc_err_set(err, LC_EIO, "cannot write %s: %s", path, strerror(e2));
        }
        b += w;
        n -= (size_t)w;
    }
    if (close(fd) != 0)
        return lc_err_set(err, LC_EIO, "cannot write %s: %s", path, strerror(errno));
    return LC_OK;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
    }
    rmdir(dir);
}

static int translate(job_t *j, lc_err_t *err)
{
    report(j, WASM_STAGE_TRANSLATING, j->e->wasm2c);
    int rc = write_file(j, "module.wasm", j->wasm, j->len, err);
    if (rc)
        return rc;
    char *argv[] = {j->e->wasm2c, "module.wasm", "-n", WASM__MODNAME, "-o", "m.c", NULL};
    child_t c;
    rc = run_child(j->e, argv, j->dir, &c, err);
    if (rc)
        return rc;
    char why[64];
    if (child_failure(&c, j->e, why, sizeof why) != NULL)
        return lc_err_set(err, c.timed_out ? LC_EIO : LC_EINVAL, "invalid module (wasm2c %s): %s",
                          why, c.out);
    lc_buf_t shim;
    lc_buf_init(&shim);
    rc = wasm__shim_source(j->info, &shim);
    if (rc == 0)
        rc = write_file(j, "shim.c", shim.data, shim.len, err);
    else
        lc_err_set(err, rc, "out of memory generating the module shim");
    lc_buf_free(&shim);
    return rc;
}

static int compile_c(job_t *j, lc_err_t *err)
{
    report(j, WASM_STAGE_COMPILING, j->e->cc);
    char opt[8];
    snprintf(opt, sizeof opt, "-O%d", j->e->opt_level);
    char *argv[] = {j->e->cc,
                    opt,
                    "-fPIC",
                    "-shared",
                    "-fvisibility=hidden",
                    "-fno-strict-aliasing",
                    "-fstack-clash-protection", /* big frames still hit the guard page */
                    "-DNDEBUG",
                    "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1",
                    "-w",
                    "-o",
                    "module.so",
                    "m.c",
                    "shim.c",
                    "-lm", /* float intrinsics (sqrt, ...) whatever the server links */
                    NULL};
    child_t c;
    int rc = run_child(j->e, argv, j->dir, &c, err);
    if (rc)
        return rc;
    char why[64];
    if (child_failure(&c, j->e, why, sizeof why) != NULL)
        return lc_err_set(err, LC_EIO, "compiling the module failed (%s %s): %s", j->e->cc, why,
                          c.out);
    char from[PATH_MAX];
    snprintf(from, sizeof from, "%s/module.so", j->dir);
    if (rename(from, j->so_path) != 0)
        return lc_err_set(err, LC_EIO, "cannot move the compiled module to %s: %s", j->so_path,
                          strerror(errno));
    return LC_OK;
}

/* Steps 3 and 4: build the shared object into the cache. */
static int build(job_t *j, lc_err_t *err)
{
    int n = snprintf(j->dir, sizeof j->dir, "%s/.tmp-%.16s-XXXXXX", j->e->cache_dir, j->hex);
    if (n >= (int)sizeof j->dir)
        return lc_err_set(err, LC_EINVAL, "cache directory path is too long");
    if (mkdtemp(j->dir) == NULL)
        return lc_err_set(err, LC_EIO, "cannot create a directory in %s: %s", j->e->cache_dir,
                          strerror(errno));
    int rc = translate(j, err);
    if (rc == 0)
        rc = compile_c(j, err);
    remove_dir(j->dir);
    return rc;
}

static int find_symbols(void *dl, wasm__so_t *so)
{
    static const char *const names[] = {"lcw_abi_version", "lcw_instance_size", "lcw_export_count",
                                        "lcw_init_module", "lcw_instantiate",   "lcw_free",
                                        "lcw_memory",      "lcw_call"};
    void *p[LC_ARRAY_LEN(names)];
    for (size_t i = 0; i < LC_ARRAY_LEN(names); i++)
        if ((p[i] = dlsym(dl, names[i])) == NULL)
            return -1;
    /* POSIX guarantees object and function pointers convert (dlsym). */
    memcpy(&so->abi_version, &p[0], sizeof p[0]);
    memcpy(&so->instance_size, &p[1], sizeof p[1]);
    memcpy(&so->export_count, &p[2], sizeof p[2]);
    memcpy(&so->init_module, &p[3], sizeof p[3]);
    memcpy(&so->instantiate, &p[4], sizeof p[4]);
    memcpy(&so->free, &p[5], sizeof p[5]);
    memcpy(&so->memory, &p[6], sizeof p[6]);
    memcpy(&so->call, &p[7], sizeof p[7]);
    return 0;
}

/* Step 5. */
static int load(job_t *j, wasm_module_t *m, lc_err_t *err)
{
    report(j, WASM_STAGE_LOADING, j->so_path);
    void *dl = dlopen(j->so_path, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL)
        return lc_err_set(err, LC_EIO, "cannot load the compiled module: %s", dlerror());
    if (find_symbols(dl, &m->so) != 0 || m->so.abi_version() != LCW_ABI_VERSION ||
        m->so.export_count() != j->info->nexports) {
        dlclose(dl);
        return lc_err_set(err, LC_EIO, "%s was built by another version of the engine", j->so_path);
    }
    pthread_mutex_lock(&init_mu);
    m->so.init_module();
    pthread_mutex_unlock(&init_mu);
    m->dl = dl;
    m->inst_size = m->so.instance_size();
    return LC_OK;
}

static int compile_or_load(job_t *j, wasm_module_t *m, lc_err_t *err)
{
    if (access(j->so_path, F_OK) == 0) {
        lc_err_t lerr;
        if (load(j, m, &lerr) == 0)
            return LC_OK;
        lc_log_warn("wasm: rebuilding cached module %s: %s", j->so_path, lerr.msg);
    }
    int rc = build(j, err);
    return rc ? rc : load(j, m, err);
}

static int module_new(wasm_engine_t *e, wasm__info_t *info, wasm_module_t **out, lc_err_t *err)
{
    wasm_module_t *m = lc_calloc(1, sizeof *m);
    void **fns = lc_calloc(info->nimports, sizeof *fns);
    if (m == NULL || fns == NULL) {
        lc_free(m);
        lc_free(fns);
        return lc_err_set(err, LC_ENOMEM, "out of memory loading the module");
    }
    m->engine = e;
    m->import_fns = fns;
    m->info = *info;
    memset(info, 0, sizeof *info);
    atomic_store(&m->refs, 1);
    *out = m;
    return LC_OK;
}

static void module_destroy(wasm_module_t *m)
{
    if (m->dl != NULL)
        dlclose(m->dl);
    wasm__info_free(&m->info);
    lc_free(m->import_fns);
    lc_free(m);
}

int wasm_module_compile(wasm_engine_t *e, const uint8_t *wasm, size_t len,
                        wasm_progress_cb progress, void *progress_arg, wasm_module_t **out,
                        lc_err_t *err)
{
    *out = NULL;
    job_t j = {
        .e = e, .wasm = wasm, .len = len, .progress = progress, .progress_arg = progress_arg};
    uint8_t hash[LC_BLAKE3_OUT_LEN];
    lc_blake3(hash, wasm, len);
    lc_hex_encode(j.hex, hash, sizeof hash);
    report(&j, WASM_STAGE_CHECKING, j.hex);

    wasm__info_t info;
    wasm_module_t *m = NULL;
    int rc = wasm__parse(wasm, len, &info, err);
    if (rc == 0)
        rc = module_new(e, &info, &m, err);
    wasm__info_free(&info);
    if (rc)
        return rc;
    memcpy(m->hash, hash, sizeof hash);
    j.info = &m->info;
    rc = check_imports(e, &m->info, m->import_fns, err);
    if (rc == 0 && snprintf(j.so_path, sizeof j.so_path, "%s/%s.so", e->cache_dir, j.hex) >=
                       (int)sizeof j.so_path)
        rc = lc_err_set(err, LC_EINVAL, "cache directory path is too long");
    if (rc == 0)
        rc = compile_or_load(&j, m, err);
    if (rc) {
        module_destroy(m);
        return rc;
    }
    atomic_fetch_add(&e->modules, 1);
    *out = m;
    return LC_OK;
}

/* ---------------------------------------------------------------- queries */

const uint8_t *wasm_module_hash(const wasm_module_t *m)
{
    return m->hash;
}

void wasm_module_retain(wasm_module_t *m)
{
    atomic_fetch_add(&m->refs, 1);
}

void wasm_module_release(wasm_module_t *m)
{
    if (m == NULL || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    atomic_fetch_sub(&m->engine->modules, 1);
    module_destroy(m);
}

size_t wasm_module_export_count(const wasm_module_t *m)
{
    return m->info.nexports;
}

const char *wasm_module_export_name(const wasm_module_t *m, size_t i)
{
    return i < m->info.nexports ? m->info.exports[i].name : NULL;
}

const char *wasm_module_export_sig(const wasm_module_t *m, size_t i)
{
    return i < m->info.nexports ? m->info.exports[i].sig : NULL;
}

int wasm_module_export_index(const wasm_module_t *m, const char *name, const char *sig)
{
    for (uint32_t i = 0; i < m->info.nexports; i++) {
        const wasm__export_t *ex = &m->info.exports[i];
        if (strcmp(ex->name, name) == 0 && (sig == NULL || strcmp(ex->sig, sig) == 0))
            return (int)i;
    }
    return -1;
}

size_t wasm_module_import_count(const wasm_module_t *m)
{
    return m->info.nimports;
}

void wasm_module_import(const wasm_module_t *m, size_t i, const char **module, const char **name)
{
    *module = i < m->info.nimports ? m->info.imports[i].module : NULL;
    *name = i < m->info.nimports ? m->info.imports[i].name : NULL;
}
