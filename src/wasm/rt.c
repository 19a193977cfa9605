/*
 * rt.c — Lightcone's implementation of wabt's wasm-rt.h: the runtime that
 * wasm2c's generated code calls, plus the per-thread state and the signal
 * handlers that turn faults and watchdog signals into traps.
 *
 * Where it departs from wabt's sample runtime (wasm-rt-impl.c):
 *   - the unwind target, the trap jump buffer and the active exception are
 *     per thread (several databases run wasm at once);
 *   - function types live in one process-wide, mutex-protected registry, so
 *     identical signatures get identical ids across modules;
 *   - wasm_rt_grow_memory honours the running instance's memory limit;
 *   - a fault is a trap only while the thread is in wasm (state IN_WASM,
 *     wasm_int.h); anywhere else it is a real crash, passed to the handler
 *     installed before ours (ASan's, say) or to the default action.
 *
 * Linear memories (WASM_RT_MEMCHECK_SIGNAL_HANDLER=1, the default on
 * x86-64): each reserves WASM__RESERVATION bytes PROT_NONE; pages become
 * read-write as the memory grows; the memory never moves, so a fault whose
 * address lies in the running instance's reservation is an out-of-bounds
 * access, and any other fault in wasm is taken as stack exhaustion (the
 * thread's guard page).  Runtime functions that allocate run in state
 * IN_HOST, so a timeout never longjmps out of malloc or mmap (invariant 2).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "wasm_int.h"

enum { ALTSTACK_SIZE = 64 * 1024, ALTSTACK_MIN = 16 * 1024 };

static __thread wasm__thread_t tls;

static struct sigaction prev_segv, prev_bus;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static atomic_bool initialized;
static pthread_key_t thread_key;

wasm__thread_t *wasm__thread(void)
{
    return &tls;
}

/* ---------------------------------------------------------------- signals */

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Not ours: hand it to whoever had the signal before, or die of it. */
static void chain(int sig, siginfo_t *si, void *uc)
{
    struct sigaction *prev = sig == SIGBUS ? &prev_bus : &prev_segv;
    if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction != NULL) {
        prev->sa_sigaction(sig, si, uc);
        return;
    }
    if (!(prev->sa_flags & SA_SIGINFO) && prev->sa_handler != SIG_DFL &&
        prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
        return;
    }
    /* The default action: a real fault re-occurs on return and kills the
     * process (with a core dump); a sent signal has to be raised again. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (si->si_code <= 0)
        raise(sig);
}

static void on_timeout_signal(wasm__thread_t *t)
{
    if (t->state == WASM__OUTSIDE)
        return; /* the call finished before the signal arrived */
    int64_t dl = atomic_load_explicit(&t->deadline_us, memory_order_relaxed);
    if (dl == 0 || mono_us() < dl)
        return; /* a later call, not overdue */
    if (t->state == WASM__IN_HOST) {
        t->timeout_pending = 1; /* invariant 2 */
        return;
    }
    siglongjmp(*t->trap_jb, WASM__TRAP_TIMEOUT);
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    wasm__thread_t *t = &tls;
    if (sig == wasm__watchdog_signal() && (sig != SIGSEGV || si->si_code == SI_TKILL)) {
        if (si->si_code == SI_TKILL && si->si_pid == getpid())
            on_timeout_signal(t);
        return;
    }
    if (t->state == WASM__IN_WASM && si->si_code > 0) {
        uintptr_t addr = (uintptr_t)si->si_addr;
        int code = t->cur != NULL && wasm__instance_owns_addr(t->cur, addr)
                       ? WASM_RT_TRAP_OOB
                       : WASM_RT_TRAP_EXHAUSTION;
        siglongjmp(*t->trap_jb, code);
    }
    chain(sig, si, uc);
}

static void thread_exit(void *arg)
{
    wasm__thread_t *t = arg;
    wasm__watchdog_remove(t);
    if (t->altstack != NULL) {
        stack_t cur;
        if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == t->altstack) {
            stack_t off = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = ALTSTACK_SIZE};
            sigaltstack(&off, NULL);
        }
        munmap((char *)t->altstack - getpagesize(), ALTSTACK_SIZE + getpagesize());
        t->altstack = NULL;
    }
    t->ready = false;
}

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    /* SA_NODEFER: handlers leave by siglongjmp without restoring the mask,
     * so the signal must not be blocked while they run. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &prev_segv);
    sigaction(SIGBUS, &sa, &prev_bus);
    if (wasm__watchdog_signal() != SIGSEGV) {
        sa.sa_flags |= SA_RESTART; /* host code interrupted in a syscall carries on */
        sigaction(wasm__watchdog_signal(), &sa, NULL);
    }
    pthread_key_create(&thread_key, thread_exit);
    atomic_store(&initialized, true);
}

void wasm__rt_init(void)
{
    pthread_once(&init_once, install_handlers);
}

/* An alternate signal stack, so that a stack overflow can be handled:
 * the thread's own one if it has one (ASan gives every thread one). */
static int setup_altstack(wasm__thread_t *t, lc_err_t *err)
{
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) && cur.ss_size >= ALTSTACK_MIN)
        return LC_OK;
    size_t page = (size_t)getpagesize();
    char *p = mmap(NULL, ALTSTACK_SIZE + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED)
        return lc_err_set(err, LC_ENOMEM, "cannot allocate a signal stack: %s", strerror(errno));
    mprotect(p, page, PROT_NONE); /* a guard below it */
    stack_t ss = {.ss_sp = p + page, .ss_flags = 0, .ss_size = ALTSTACK_SIZE};
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(p, ALTSTACK_SIZE + page);
        return lc_err_set(err, LC_EIO, "cannot set a signal stack: %s", strerror(errno));
    }
    t->altstack = p + page;
    return LC_OK;
}

static void find_stack(wasm__thread_t *t)
{
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_destroy(&attr);
    }
    t->stack_lo = (uintptr_t)addr;
}

int wasm__thread_setup(lc_err_t *err)
{
    wasm__thread_t *t = &tls;
    if (t->ready)
        return LC_OK;
    wasm__rt_init();
    int rc = setup_altstack(t, err);
    if (rc)
        return rc;
    find_stack(t);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSEGV);
    sigaddset(&set, SIGBUS);
    sigaddset(&set, wasm__watchdog_signal());
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    t->self = pthread_self();
    t->state = WASM__OUTSIDE;
    /* The key's destructor takes the thread off the watchdog's list: no
     * destructor, no list (wasm_int.h, watchdog.c invariant 2). */
    if (pthread_setspecific(thread_key, t) != 0)
        return lc_err_set(err, LC_ENOMEM, "cannot register the thread for running wasm");
    wasm__watchdog_add(t);
    t->ready = true;
    return LC_OK;
}

/* ---------------------------------------------------------------- host calls */

void *lcw_rt_host_enter(void)
{
    wasm__thread_t *t = &tls;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (sp < t->stack_lo + WASM__STACK_HEADROOM)
        wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
    atomic_signal_fence(memory_order_seq_cst);
    t->state = WASM__IN_HOST;
    atomic_signal_fence(memory_order_seq_cst);
    return t;
}

void lcw_rt_host_leave(void *thread)
{
    wasm__thread_t *t = thread;
    atomic_signal_fence(memory_order_seq_cst);
    t->state = WASM__IN_WASM;
    atomic_signal_fence(memory_order_seq_cst);
    if (t->timeout_pending) {
        /* Checked again: the signal may have been meant for a nested call
         * that has returned since, with a deadline earlier than ours. */
        t->timeout_pending = 0;
        int64_t dl = atomic_load_explicit(&t->deadline_us, memory_order_relaxed);
        if (dl != 0 && mono_us() >= dl)
            wasm_rt_trap((wasm_rt_trap_t)WASM__TRAP_TIMEOUT);
    }
    int code = t->cur != NULL ? wasm__instance_pending_trap(t->cur) : 0;
    if (code)
        wasm_rt_trap((wasm_rt_trap_t)code);
}

/* The runtime's own allocating work, called from wasm: host state while
 * it runs (or nothing, when called outside any call). */
static void *rt_enter(void)
{
    return tls.state == WASM__IN_WASM ? lcw_rt_host_enter() : NULL;
}

static void rt_leave(void *t)
{
    if (t != NULL)
        lcw_rt_host_leave(t);
}

/* ---------------------------------------------------------------- traps */

void wasm_rt_init(void)
{
    wasm__rt_init();
}

bool wasm_rt_is_initialized(void)
{
    return atomic_load(&initialized);
}

/* The runtime lives as long as the process: loaded modules keep the type
 * ids it handed out. */
void wasm_rt_free(void) {}

void wasm_rt_trap(wasm_rt_trap_t code)
{
    wasm__thread_t *t = &tls;
    if (t->trap_jb == NULL) {
        static const char msg[] = "lightcone: wasm trap outside of any call\n";
        (void)!write(2, msg, sizeof msg - 1);
        abort();
    }
    siglongjmp(*t->trap_jb, code != WASM_RT_TRAP_NONE ? (int)code : WASM_RT_TRAP_UNREACHABLE);
}

const char *wasm_rt_strerror(wasm_rt_trap_t trap)
{
    switch ((int)trap) {
    case WASM_RT_TRAP_NONE:
        return "no error";
    case WASM_RT_TRAP_OOB:
        return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW:
        return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO:
        return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION:
        return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE:
        return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT:
        return "indirect call signature mismatch";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION:
        return "uncaught exception";
    case WASM_RT_TRAP_EXHAUSTION:
        return "call stack exhausted";
    default:
        return "unknown trap";
    }
}

/* ---------------------------------------------------------------- types */

/* Registered signatures: [nparams, nresults, types...] as bytes; ids are
 * index + 1.  A small open-addressing table finds them, so a module with
 * many types does not make registration quadratic.  Allocated with plain
 * malloc: it lives as long as the process. */
typedef struct ftype {
    size_t len;
    uint8_t b[];
} ftype_t;

static struct {
    pthread_mutex_t mu;
    ftype_t **v;
    uint32_t n, cap;
    uint32_t *slot; /* id, or 0 = empty */
    uint32_t nslot; /* power of two */
} ftypes = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, NULL, 0};

static _Noreturn void rt_oom(void)
{
    static const char msg[] = "lightcone: out of memory registering wasm function types\n";
    (void)!write(2, msg, sizeof msg - 1);
    abort();
}

static uint32_t *ftype_find(const uint8_t *b, size_t len)
{
    uint64_t h = lc_hash_bytes(b, len, 0x9e3779b97f4a7c15ull);
    for (uint32_t i = (uint32_t)h & (ftypes.nslot - 1);; i = (i + 1) & (ftypes.nslot - 1)) {
        uint32_t id = ftypes.slot[i];
        if (id == 0)
            return &ftypes.slot[i];
        const ftype_t *f = ftypes.v[id - 1];
        if (f->len == len && memcmp(f->b, b, len) == 0)
            return &ftypes.slot[i];
    }
}

static void ftype_rehash(void)
{
    uint32_t n = ftypes.nslot ? ftypes.nslot * 2 : 64;
    uint32_t *slot = calloc(n, sizeof *slot);
    if (slot == NULL)
        rt_oom();
    free(ftypes.slot);
    ftypes.slot = slot;
    ftypes.nslot = n;
    for (uint32_t id = 1; id <= ftypes.n; id++)
        *ftype_find(ftypes.v[id - 1]->b, ftypes.v[id - 1]->len) = id;
}

static uint32_t ftype_intern(const uint8_t *b, size_t len)
{
    if ((ftypes.n + 1) * 2 > ftypes.nslot)
        ftype_rehash();
    uint32_t *s = ftype_find(b, len);
    if (*s != 0)
        return *s;
    if (ftypes.n == ftypes.cap) {
        uint32_t cap = ftypes.cap ? ftypes.cap * 2 : 32;
        ftype_t **v = realloc(ftypes.v, cap * sizeof *v);
        if (v == NULL)
            rt_oom();
        ftypes.v = v;
        ftypes.cap = cap;
    }
    ftype_t *f = malloc(sizeof *f + len);
    if (f == NULL)
        rt_oom();
    f->len = len;
    memcpy(f->b, b, len);
    ftypes.v[ftypes.n++] = f;
    *s = ftypes.n;
    return ftypes.n;
}

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
    size_t len = 8 + (size_t)params + results;
    uint8_t small[256], *b = len <= sizeof small ? small : malloc(len);
    if (b == NULL)
        rt_oom();
    memcpy(b, &params, 4);
    memcpy(b + 4, &results, 4);
    va_list ap;
    va_start(ap, results);
    for (size_t i = 8; i < len; i++) b[i] = (uint8_t)va_arg(ap, int);
    va_end(ap);
    pthread_mutex_lock(&ftypes.mu);
    uint32_t id = ftype_intern(b, len);
    pthread_mutex_unlock(&ftypes.mu);
    if (b != small)
        free(b);
    return id;
}

/* ---------------------------------------------------------------- exceptions */

static atomic_uint tag_count;

uint32_t wasm_rt_register_tag(uint32_t size)
{
    (void)size; /* checked when an exception is loaded */
    return atomic_fetch_add(&tag_count, 1);
}

void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void *values)
{
    wasm__thread_t *t = &tls;
    if (size > sizeof t->exc)
        wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
    t->exc_tag = tag;
    t->exc_size = size;
    if (size)
        memcpy(t->exc, values, size);
}

void wasm_rt_throw(void)
{
    wasm__thread_t *t = &tls;
    if (t->unwind == NULL)
        wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
    siglongjmp(*t->unwind, WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
}

WASM_RT_UNWIND_TARGET *wasm_rt_get_unwind_target(void)
{
    return tls.unwind;
}

void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET *target)
{
    tls.unwind = target;
}

uint32_t wasm_rt_exception_tag(void)
{
    return tls.exc_tag;
}

uint32_t wasm_rt_exception_size(void)
{
    return tls.exc_size;
}

void *wasm_rt_exception(void)
{
    return tls.exc;
}

/* ---------------------------------------------------------------- memories */

static uint64_t memory_limit(void)
{
    return wasm__instance_memory_limit(tls.state != WASM__OUTSIDE ? tls.cur : NULL);
}

static int reserve(wasm_rt_memory_t *mem, uint32_t initial, uint32_t max)
{
    if ((uint64_t)initial * WASM__PAGE > memory_limit() || initial > max)
        return WASM__TRAP_MEMLIMIT;
    uint8_t *p = mmap(NULL, WASM__RESERVATION, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return WASM__TRAP_NOMEM;
    if (initial > 0 && mprotect(p, (size_t)initial * WASM__PAGE, PROT_READ | PROT_WRITE) != 0) {
        munmap(p, WASM__RESERVATION);
        return WASM__TRAP_NOMEM;
    }
    mem->data = p;
    mem->pages = initial;
    mem->max_pages = max;
    mem->size = initial * WASM__PAGE;
    return 0;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial, uint32_t max)
{
    memset(mem, 0, sizeof *mem);
    void *t = rt_enter();
    int code = reserve(mem, initial, LC_MIN(max, WASM__MAX_PAGES));
    rt_leave(t);
    if (code)
        wasm_rt_trap((wasm_rt_trap_t)code);
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta)
{
    uint32_t old = mem->pages;
    uint64_t pages = (uint64_t)old + delta;
    if (delta == 0)
        return old;
    if (pages > mem->max_pages || pages * WASM__PAGE > memory_limit())
        return UINT32_MAX;
    void *t = rt_enter();
    int rc = mprotect(mem->data + (size_t)old * WASM__PAGE, (size_t)delta * WASM__PAGE,
                      PROT_READ | PROT_WRITE);
    if (rc == 0) {
        mem->pages = (uint32_t)pages;
        mem->size = (uint32_t)(pages * WASM__PAGE);
    }
    rt_leave(t);
    return rc == 0 ? old : UINT32_MAX;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem)
{
    if (mem->data != NULL)
        munmap(mem->data, WASM__RESERVATION);
    memset(mem, 0, sizeof *mem);
}

/* ---------------------------------------------------------------- tables */

#define TABLE_OPS(type)                                                                            \
    void wasm_rt_allocate_##type##_table(wasm_rt_##type##_table_t *table, uint32_t elements,       \
                                         uint32_t max_elements)                                    \
    {                                                                                              \
        memset(table, 0, sizeof *table);                                                           \
        if (elements > WASM__MAX_TABLE)                                                            \
            wasm_rt_trap((wasm_rt_trap_t)WASM__TRAP_NOMEM);                                        \
        void *t = rt_enter();                                                                      \
        table->data = lc_calloc(elements, sizeof *table->data);                                    \
        rt_leave(t);                                                                               \
        if (table->data == NULL)                                                                   \
            wasm_rt_trap((wasm_rt_trap_t)WASM__TRAP_NOMEM);                                        \
        table->size = elements;                                                                    \
        table->max_size = max_elements;                                                            \
    }                                                                                              \
    void wasm_rt_free_##type##_table(wasm_rt_##type##_table_t *table)                              \
    {                                                                                              \
        lc_free(table->data);                                                                      \
        memset(table, 0, sizeof *table);                                                           \
    }                                                                                              \
    uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t *table, uint32_t delta,          \
                                         wasm_rt_##type##_t init)                                  \
    {                                                                                              \
        uint32_t old = table->size;                                                                \
        uint64_t n = (uint64_t)old + delta;                                                        \
        if (delta == 0)                                                                            \
            return old;                                                                            \
        if (n > table->max_size || n > WASM__MAX_TABLE)                                            \
            return UINT32_MAX;                                                                     \
        void *t = rt_enter();                                                                      \
        void *data = lc_realloc(table->data, (size_t)n * sizeof *table->data);                     \
        if (data != NULL) {                                                                        \
            table->data = data;                                                                    \
            for (uint64_t i = old; i < n; i++) table->data[i] = init;                              \
            table->size = (uint32_t)n;                                                             \
        }                                                                                          \
        rt_leave(t);                                                                               \
        return data != NULL ? old : UINT32_MAX;                                                    \
    }

TABLE_OPS(funcref)
TABLE_OPS(externref)
