/*
 * wasm_int.h — what the files of src/wasm share, and the contract between
 * the engine and the shared objects it builds.
 *
 * Files:
 *   binary.c    the section parser: imports, function exports, memory export
 *   shim.c      the generated C shim compiled into every module's .so
 *   compile.c   engine, compile pipeline (wasm2c, cc in child processes), cache
 *   rt.c        Lightcone's implementation of wabt's wasm-rt.h, thread state,
 *               signal handlers
 *   instance.c  instances and guarded calls
 *   watchdog.c  the thread that traps calls running past limits.time_ms
 *
 * The shim ABI (LCW_ABI_VERSION; bump it when anything below changes, so a
 * cached .so from an older build is rebuilt).  Every module .so exports:
 *
 *   uint32_t lcw_abi_version(void)
 *   size_t   lcw_instance_size(void)          sizeof the wasm2c instance struct
 *   uint32_t lcw_export_count(void)           function exports, as parsed here
 *   void     lcw_init_module(void)            once per load (registers types)
 *   void     lcw_instantiate(void *inst, const wasm__ns_t *ns)
 *   void     lcw_free(void *inst)
 *   wasm_rt_memory_t *lcw_memory(void *inst)  the export named "memory"
 *   int      lcw_call(void *inst, int export_index, const uint64_t *args,
 *                     uint64_t *results)      0, or -1: not callable
 *
 * and defines each imported function as a forwarder that calls
 * lcw_rt_host_enter(), then ns->fns[import index](ns->ctx, args...), then
 * lcw_rt_host_leave().  The same wasm__ns_t is passed for every import
 * namespace, so the order wasm2c gives them does not matter.
 *
 * Per-thread state (wasm__thread_t) — the fields the signal handlers read:
 *
 *   state     how it is entered                          a fault / timeout
 *   --------  -----------------------------------------  ----------------------------
 *   OUTSIDE   initial; restored when the outermost call  real crash / ignored
 *             returns
 *   WASM      wasm__guarded before entering wasm;        trap: longjmp to trap_jb
 *             lcw_rt_host_leave
 *   HOST      lcw_rt_host_enter (import forwarders and   real crash / timeout_pending
 *             the runtime's own allocating functions)
 *
 * Invariants:
 *   1. trap_jb points at the sigsetjmp buffer of the innermost running
 *      guarded call whenever state != OUTSIDE; each guarded call saves and
 *      restores trap_jb, unwind, cur, state and deadline_us.
 *   2. No longjmp ever leaves host code: while state == HOST a timeout only
 *      sets timeout_pending, which lcw_rt_host_leave turns into a trap.
 *   3. deadline_us is the earliest deadline of the calls on this thread's
 *      stack (0 = none); it is the only field another thread (the watchdog)
 *      reads, atomically.
 */
#ifndef LC_WASM_INT_H
#define LC_WASM_INT_H

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <wasm-rt.h>

#include "wasm.h"

#define LCW_ABI_VERSION 1

/* The name given to wasm2c with -n: symbols are Z_m..., Z_mZ_<export>;
 * WASM__MODNAME_MANGLED is its mangled form (wasm__mangle). */
#define WASM__MODNAME         "m"
#define WASM__MODNAME_MANGLED "Z_m"

/* ThreadSanitizer defers asynchronous signals until the thread enters an
 * intercepted function, which wasm code in a loop never does, and runs
 * handlers with every signal blocked.  Under it the watchdog sends SIGSEGV
 * (which TSan delivers at once; the handler tells it from a fault by
 * si_code == SI_TKILL) and sigsetjmp saves the signal mask. */
#if defined(__SANITIZE_THREAD__)
#define WASM__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WASM__TSAN 1
#endif
#endif
#ifdef WASM__TSAN
#define WASM__SAVEMASK 1
#else
#define WASM__SAVEMASK 0
#endif

/* Every linear memory reserves this much address space; accesses past its
 * committed pages fault on PROT_NONE pages (wasm2c's guard-page scheme:
 * a 32-bit address plus a 32-bit offset stays below 8 GiB). */
#define WASM__RESERVATION (8ull << 30)
#define WASM__PAGE        65536u
/* wasm_rt_memory_t.size is 32 bits: 65536 pages would read as 0 bytes. */
#define WASM__MAX_PAGES 65535u
/* Host functions and the runtime need this much stack left when wasm calls
 * them; below it the call traps with WASM_TRAP_STACK instead. */
#define WASM__STACK_HEADROOM (128u * 1024)
/* Tables larger than this are refused (trap at instantiation or grow
 * returns -1), so a hostile table size cannot ask for gigabytes. */
#define WASM__MAX_TABLE 10000000u

/* Trap codes beyond wasm_rt_trap_t, carried by the same longjmp. */
enum {
    WASM__TRAP_TIMEOUT = 64,
    WASM__TRAP_HOST = 65,
    WASM__TRAP_MEMLIMIT = 66, /* initial memory over limits.memory_bytes */
    WASM__TRAP_NOMEM = 67,    /* mmap/calloc failed in the runtime */
};

/* ---------------------------------------------------------------- binary.c */

typedef struct wasm__import {
    char *module, *name;
    char *sig; /* "iI:i"; 'v' v128, 'r' funcref, 'x' externref */
} wasm__import_t;

typedef struct wasm__export {
    char *name;
    char *sig;
    uint32_t nparams, nresults;
    bool callable; /* only i32/i64/f32/f64 in the signature */
} wasm__export_t;

typedef struct wasm__info {
    wasm__import_t *imports; /* function imports, in import order */
    uint32_t nimports;
    uint32_t nimport_modules; /* distinct module names among them */
    wasm__export_t *exports;  /* function exports, in export order */
    uint32_t nexports;
    bool memory_export; /* a memory exported as "memory" */
    /* The first refused import of another kind, for the error message. */
    char *bad_import_module, *bad_import_name;
    const char *bad_import_kind;
} wasm__info_t;

/* Parse the sections of a module.  Malformed bytes: LC_ECORRUPT; not a
 * wasm binary: LC_EINVAL.  Frees nothing on error (call wasm__info_free). */
int wasm__parse(const uint8_t *p, size_t len, wasm__info_t *info, lc_err_t *err);
void wasm__info_free(wasm__info_t *info);

/* ---------------------------------------------------------------- shim.c */

/* What the shim's forwarders receive for every import namespace. */
typedef struct wasm__ns {
    void *ctx;        /* the instance's host context */
    void *const *fns; /* host functions, by import index */
} wasm__ns_t;

/* wasm2c's name mangling: "Z_" then each byte as is if it is an ASCII
 * letter or digit other than 'Z', or '_', else "Z%02X". */
int wasm__mangle(lc_buf_t *b, const char *name);
/* The C source of the shim for this module. */
int wasm__shim_source(const wasm__info_t *info, lc_buf_t *out);

/* ---------------------------------------------------------------- compile.c */

/* The shim's functions in one loaded .so (wasm_int.h's header comment). */
typedef struct wasm__so {
    uint32_t (*abi_version)(void);
    size_t (*instance_size)(void);
    uint32_t (*export_count)(void);
    void (*init_module)(void);
    void (*instantiate)(void *inst, void *ns);
    void (*free)(void *inst);
    wasm_rt_memory_t *(*memory)(void *inst);
    int (*call)(void *inst, int index, const uint64_t *args, uint64_t *results);
} wasm__so_t;

struct wasm_engine {
    char *cache_dir, *cc, *wasm2c;
    int opt_level;
    uint64_t compile_mem_limit;
    uint32_t compile_timeout_ms;
    const wasm_host_fn_t *host_fns; /* borrowed */
    size_t nhost_fns;
    atomic_long modules; /* live modules, for wasm_engine_free's check */
};

struct wasm_module {
    wasm_engine_t *engine;
    atomic_long refs;
    uint8_t hash[LC_BLAKE3_OUT_LEN];
    void *dl;
    wasm__so_t so;
    size_t inst_size;
    wasm__info_t info;
    void **import_fns; /* the host function for each import, in import order */
};

/* ---------------------------------------------------------------- rt.c */

typedef enum wasm__state {
    WASM__OUTSIDE = 0,
    WASM__IN_WASM = 1,
    WASM__IN_HOST = 2,
} wasm__state_t;

typedef struct wasm__thread {
    jmp_buf *trap_jb;     /* invariant 1 */
    jmp_buf *unwind;      /* wasm_rt_{get,set}_unwind_target */
    wasm_instance_t *cur; /* innermost running instance */
    volatile sig_atomic_t state;
    volatile sig_atomic_t timeout_pending;
    _Atomic int64_t deadline_us; /* invariant 3 */
    uintptr_t stack_lo;          /* lowest usable address of this thread's stack */
    bool ready;                  /* alternate stack and watchdog entry set up */
    pthread_t self;
    void *altstack; /* ours (NULL when the thread had one already) */
    struct wasm__thread *wd_next, *wd_prev;
    /* the active wasm exception (wasm_rt_load_exception) */
    uint32_t exc_tag, exc_size;
    uint8_t exc[256];
} wasm__thread_t;

/* The calling thread's state; wasm__thread_setup must have run on it. */
wasm__thread_t *wasm__thread(void);
/* Set up the calling thread for running wasm (alternate signal stack,
 * stack bounds, watchdog entry); cheap after the first time. */
int wasm__thread_setup(lc_err_t *err);
/* Install the signal handlers (once per process). */
void wasm__rt_init(void);
/* The limits of the innermost running instance (for wasm_rt_grow_memory). */
uint64_t wasm__instance_memory_limit(const wasm_instance_t *inst);
/* Whether a host function asked the instance to trap, or it trapped in a
 * nested call (checked when an import returns). */
int wasm__instance_pending_trap(const wasm_instance_t *inst);
/* Whether addr lies in the instance's memory reservation. */
bool wasm__instance_owns_addr(const wasm_instance_t *inst, uintptr_t addr);
/* Called by every import forwarder around the host function. */
void *lcw_rt_host_enter(void);
void lcw_rt_host_leave(void *thread);

/* ---------------------------------------------------------------- watchdog.c */

/* The signal the watchdog sends to a thread whose call is overdue. */
int wasm__watchdog_signal(void);
/* An engine starts/stops using the watchdog (the last one stops it). */
void wasm__watchdog_ref(void);
void wasm__watchdog_unref(void);
/* A thread that runs wasm joins/leaves the watchdog's list. */
void wasm__watchdog_add(wasm__thread_t *t);
void wasm__watchdog_remove(wasm__thread_t *t);
/* A deadline was just set: make sure the watchdog is awake. */
void wasm__watchdog_kick(void);

#endif /* LC_WASM_INT_H */
