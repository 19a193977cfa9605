/*
 * wasm — the module engine: WebAssembly modules compiled ahead of time.
 *
 * A .wasm is checked (imports, exports, signatures), translated to C with
 * wasm2c, compiled by the system C compiler in a child process into a
 * shared object cached by the module's BLAKE3 hash, and loaded with dlopen.
 * The generated code runs on Lightcone's own implementation of wabt's
 * wasm-rt.h interface (rt.c): thread-local unwind targets, per-instance
 * memory limits, guard-page bounds checks, and a watchdog that traps a call
 * running past its time budget.  Nothing here knows SpacetimeDB: the host
 * functions a module may import are given as a table by the caller
 * (src/module supplies the spacetime_10.x ABI).
 *
 * Public surface (prefix wasm_):
 *   engine     wasm_engine_new/free: cache directory, compiler, host functions
 *   modules    wasm_module_compile (with progress stages), wasm_module_release,
 *              export queries (wasm_module_export_index, _export_count/_name)
 *   instances  wasm_instance_new/free, wasm_instance_call, wasm_instance_memory,
 *              wasm_instance_trap (from inside a host function)
 *
 * A thread that runs wasm gets an alternate signal stack on its first call
 * (stack overflow in wasm is caught on the guard page; it is freed when the
 * thread exits).  Wasm recursion depth is bounded by the calling thread's
 * stack size: give threads that run modules a generous stack (8 MiB).
 * The engine installs SIGSEGV and SIGBUS handlers (faults outside wasm are
 * passed on to the previous handler, or kill the process as usual) and
 * uses SIGRTMIN+5 for the watchdog (SIGSEGV under ThreadSanitizer).
 *
 * Ownership: an engine outlives its modules; a module is refcounted (each
 * instance holds a reference); an instance belongs to one thread at a time.
 * Every call into wasm runs on the calling thread.  Any import not in the
 * host table is refused at compile time ("unknown import").
 *
 * Value types in signatures are written as strings of 'i' (i32), 'I' (i64),
 * 'f' (f32), 'F' (f64): params, then ':' and results, e.g. "iii:i" for
 * (i32, i32, i32) -> i32, "i:" for (i32) -> ().  Export signatures may also
 * show 'v' (v128), 'r' (funcref) and 'x' (externref); such exports are
 * listed but cannot be called from the host (LC_EUNSUPPORTED).  A host
 * function has at most one result.  Host functions are called
 * as C functions whose first argument is the instance's host context:
 *     uint32_t fn(void *host_ctx, uint32_t a, uint64_t b)   for "iI:i"
 * (i32 -> uint32_t, i64 -> uint64_t, f32 -> float, f64 -> double; no
 * result -> void).
 */
#ifndef LC_WASM_H
#define LC_WASM_H

#include "base/base.h"

typedef struct wasm_engine wasm_engine_t;
typedef struct wasm_module wasm_module_t;
typedef struct wasm_instance wasm_instance_t;

/* ---------------------------------------------------------------- engine */

/* One function the host offers for import. */
typedef struct wasm_host_fn {
    const char *module; /* import module name, e.g. "spacetime_10.0" */
    const char *name;   /* import field name, e.g. "console_log" */
    const char *sig;    /* e.g. "iii:i" (see above) */
    void *fn;           /* C function: first argument is the host context */
} wasm_host_fn_t;

typedef struct wasm_engine_config {
    const char *cache_dir;       /* compiled modules live here as <hash>.so (created if missing) */
    const char *cc;              /* C compiler; NULL = "cc" */
    int opt_level;               /* -O level for generated code; default 1 when < 0 */
    uint64_t compile_mem_limit;  /* bytes of address space for the compiler child; 0 = 4 GiB */
    uint32_t compile_timeout_ms; /* 0 = 10 minutes */
    const wasm_host_fn_t *host_fns; /* the table is borrowed for the engine's life */
    size_t nhost_fns;
    const char *wasm2c; /* the translator; NULL = "wasm2c" */
} wasm_engine_config_t;

int wasm_engine_new(const wasm_engine_config_t *cfg, wasm_engine_t **out, lc_err_t *err);
/* Free the engine.  Every module must have been released. */
void wasm_engine_free(wasm_engine_t *e);

/* ---------------------------------------------------------------- modules */

/* Stages reported while compiling, in order; a cache hit reports only
 * CHECKING then LOADING. */
typedef enum wasm_stage {
    WASM_STAGE_CHECKING,    /* parsing sections, imports, exports */
    WASM_STAGE_TRANSLATING, /* wasm2c */
    WASM_STAGE_COMPILING,   /* the C compiler */
    WASM_STAGE_LOADING,     /* dlopen and module init */
} wasm_stage_t;

typedef void (*wasm_progress_cb)(void *arg, wasm_stage_t stage, const char *detail);

/* Check, translate, compile (or take from the cache) and load a module.
 * Errors (all LC_EINVAL with a message for the publisher unless noted):
 * not a wasm binary; malformed sections (LC_ECORRUPT); invalid (wasm2c
 * refuses it or dies on it: its message is included); an import not in the
 * host table ("unknown import `spacetime_10.9`.`foo`"), or with the wrong
 * signature ("import `env`.`f` has signature (i32) -> i32, expected ...");
 * an imported memory, table, global or tag; no exported memory "memory";
 * compiler failure or timeout (LC_EIO, compiler output included,
 * truncated).  The server's state is untouched by a failure.  Safe to call
 * from several threads at once, also for the same module.  The progress
 * callback runs on the calling thread; its detail is the module's hash for
 * CHECKING, the program for TRANSLATING and COMPILING, the .so's path for
 * LOADING. */
int wasm_module_compile(wasm_engine_t *e, const uint8_t *wasm, size_t len,
                        wasm_progress_cb progress, void *progress_arg, wasm_module_t **out,
                        lc_err_t *err);
/* The BLAKE3 hash of the module's bytes (32 bytes). */
const uint8_t *wasm_module_hash(const wasm_module_t *m);
void wasm_module_retain(wasm_module_t *m);
void wasm_module_release(wasm_module_t *m);

/* Function exports, in the order of the module's export section. */
size_t wasm_module_export_count(const wasm_module_t *m);
const char *wasm_module_export_name(const wasm_module_t *m, size_t i);
const char *wasm_module_export_sig(const wasm_module_t *m, size_t i);
/* Index of the function export with this name and signature (sig NULL =
 * any), or -1. */
int wasm_module_export_index(const wasm_module_t *m, const char *name, const char *sig);
/* Import module/name pairs the module uses, in import order. */
size_t wasm_module_import_count(const wasm_module_t *m);
void wasm_module_import(const wasm_module_t *m, size_t i, const char **module, const char **name);

/* ---------------------------------------------------------------- instances */

/* memory_bytes: memory.grow past it returns -1 in wasm, an initial memory
 * larger than it fails wasm_instance_new (LC_ERANGE).  Memories stop at
 * 65535 pages (4 GiB - 64 KiB): wasm-rt.h keeps the size in 32 bits.
 * time_ms: checked by the watchdog every 5 ms, so a call traps between
 * time_ms and time_ms + 5 ms; a host function is never interrupted (the
 * trap comes when it returns).  For nested calls the earliest deadline wins. */
typedef struct wasm_limits {
    uint64_t memory_bytes; /* linear memory may not grow past this; 0 = 4 GiB */
    uint32_t time_ms;      /* a call running longer traps (WASM_TRAP_TIMEOUT); 0 = none */
} wasm_limits_t;

/* Why a call trapped. */
typedef enum wasm_trap {
    WASM_TRAP_NONE = 0,
    WASM_TRAP_UNREACHABLE,  /* `unreachable` (Rust panics, C abort) */
    WASM_TRAP_OOB,          /* memory or table access out of bounds */
    WASM_TRAP_INT_OVERFLOW, /* integer overflow on divide or truncation */
    WASM_TRAP_DIV_BY_ZERO,
    WASM_TRAP_INVALID_CONVERSION,
    WASM_TRAP_CALL_INDIRECT, /* bad indirect call */
    WASM_TRAP_EXCEPTION,     /* uncaught wasm exception */
    WASM_TRAP_STACK,         /* call stack exhausted */
    WASM_TRAP_TIMEOUT,       /* ran past limits.time_ms */
    WASM_TRAP_HOST,          /* a host function asked for a trap (wasm_instance_trap) */
} wasm_trap_t;

/* A new instance: memories, tables and globals set up, data and element
 * segments applied, the start function run.  host_ctx is passed to every
 * host function this instance calls.  Does not call any export.  A trap in
 * the start function fails it (LC_EINTERNAL, "instantiating the module:
 * wasm trap: ..."); limits may be NULL (none).  The instance holds a
 * reference to m. */
int wasm_instance_new(wasm_module_t *m, void *host_ctx, const wasm_limits_t *limits,
                      wasm_instance_t **out, lc_err_t *err);
void wasm_instance_free(wasm_instance_t *inst);
void wasm_instance_set_limits(wasm_instance_t *inst, const wasm_limits_t *limits);

/* Call function export `index` (see wasm_module_export_index) with args
 * given as 64-bit slots (i32 in the low half, floats bit-cast); the result,
 * if any, goes to *result (an export with several results fills
 * result[0..n); result may be NULL for up to 16 results the caller does not
 * want).  Returns LC_OK, or LC_EINTERNAL when the call trapped: *trap says
 * why and err carries a message ("wasm trap: out of bounds memory access",
 * or the host's message for WASM_TRAP_HOST).  Other errors (nothing ran):
 * LC_EINVAL for a bad index, a wrong argument count or an instance that
 * trapped before; LC_EUNSUPPORTED for an export with v128 or reference
 * types.  After a trap the instance must not be called again (free it).
 * Calls may nest: a host function may call back into the same instance; a
 * trap in the nested call makes the outer call trap too when the host
 * function returns. */
int wasm_instance_call(wasm_instance_t *inst, int index, const uint64_t *args, size_t nargs,
                       uint64_t *result, wasm_trap_t *trap, lc_err_t *err);

/* The instance's exported linear memory (the export named "memory"): its
 * base and current size in bytes.  The base may move when memory grows;
 * fetch it again after any call into wasm.  (This engine never moves it,
 * but callers must not rely on that.) */
uint8_t *wasm_instance_memory(wasm_instance_t *inst, uint64_t *size);

/* From inside a host function: make the running call trap with this
 * message once the host function returns (the host function must still
 * return normally, releasing whatever it holds). */
void wasm_instance_trap(wasm_instance_t *inst, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The trap's name for messages ("out of bounds memory access", ...). */
const char *wasm_trap_name(wasm_trap_t trap);

#endif /* LC_WASM_H */
