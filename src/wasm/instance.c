/*
 * instance.c — instances of a loaded module, and guarded calls into them.
 *
 * An instance is the wasm2c instance struct (allocated here, its size from
 * the shim), the namespace its import forwarders receive (host context and
 * the module's host function table), and its limits.
 *
 * States:
 *
 *   state     how it is entered                        wasm_instance_call
 *   --------  ---------------------------------------  ------------------------
 *   READY     wasm_instance_new (start function ran)   runs the export
 *   TRAPPED   a call trapped (trap_code != 0)          LC_EINVAL, nothing runs
 *
 * A guarded call (guarded()) is the only way into wasm: it saves the
 * thread's wasm state, points trap_jb at its own sigsetjmp buffer, enters
 * IN_WASM, calls the shim, and restores everything on the way out, whether
 * the call returned or trapped (wasm_int.h, invariant 1).  Costs per call:
 * a sigsetjmp that saves no signal mask, a few thread-local stores, and
 * only with a time limit a clock read and an atomic store.
 */
#include <stdio.h>
#include <string.h>

#include "wasm_int.h"

struct wasm_instance {
    wasm_module_t *m;
    void *rt;              /* the wasm2c instance struct */
    wasm_rt_memory_t *mem; /* its exported memory */
    wasm__ns_t ns;
    wasm_limits_t limits;
    int trap_code;    /* the first trap (internal code), 0 = READY */
    int pending_host; /* a host function asked for a trap */
    char trap_msg[LC_ERR_MSG_MAX];
};

const char *wasm_trap_name(wasm_trap_t trap)
{
    switch (trap) {
    case WASM_TRAP_NONE:
        return "no trap";
    case WASM_TRAP_UNREACHABLE:
        return "unreachable executed";
    case WASM_TRAP_OOB:
        return "out of bounds memory access";
    case WASM_TRAP_INT_OVERFLOW:
        return "integer overflow";
    case WASM_TRAP_DIV_BY_ZERO:
        return "integer divide by zero";
    case WASM_TRAP_INVALID_CONVERSION:
        return "invalid conversion to integer";
    case WASM_TRAP_CALL_INDIRECT:
        return "indirect call signature mismatch";
    case WASM_TRAP_EXCEPTION:
        return "uncaught exception";
    case WASM_TRAP_STACK:
        return "call stack exhausted";
    case WASM_TRAP_TIMEOUT:
        return "time limit exceeded";
    case WASM_TRAP_HOST:
        return "trap requested by the host";
    }
    return "unknown trap";
}

static wasm_trap_t trap_of(int code)
{
    switch (code) {
    case WASM_RT_TRAP_OOB:
        return WASM_TRAP_OOB;
    case WASM_RT_TRAP_INT_OVERFLOW:
        return WASM_TRAP_INT_OVERFLOW;
    case WASM_RT_TRAP_DIV_BY_ZERO:
        return WASM_TRAP_DIV_BY_ZERO;
    case WASM_RT_TRAP_INVALID_CONVERSION:
        return WASM_TRAP_INVALID_CONVERSION;
    case WASM_RT_TRAP_UNREACHABLE:
        return WASM_TRAP_UNREACHABLE;
    case WASM_RT_TRAP_CALL_INDIRECT:
        return WASM_TRAP_CALL_INDIRECT;
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION:
        return WASM_TRAP_EXCEPTION;
    case WASM_RT_TRAP_EXHAUSTION:
        return WASM_TRAP_STACK;
    case WASM__TRAP_TIMEOUT:
        return WASM_TRAP_TIMEOUT;
    case WASM__TRAP_HOST:
        return WASM_TRAP_HOST;
    default:
        return WASM_TRAP_UNREACHABLE;
    }
}

uint64_t wasm__instance_memory_limit(const wasm_instance_t *inst)
{
    uint64_t four_gib = 4ull << 30;
    if (inst == NULL || inst->limits.memory_bytes == 0)
        return four_gib;
    return LC_MIN(inst->limits.memory_bytes, four_gib);
}

int wasm__instance_pending_trap(const wasm_instance_t *inst)
{
    if (inst->pending_host)
        return WASM__TRAP_HOST;
    return inst->trap_code; /* it trapped in a nested call */
}

bool wasm__instance_owns_addr(const wasm_instance_t *inst, uintptr_t addr)
{
    uintptr_t base = inst->mem != NULL ? (uintptr_t)inst->mem->data : 0;
    return base != 0 && addr - base < WASM__RESERVATION;
}

/* Run the start sequence (index < 0) or export `index`; 0 or a trap code. */
static int guarded(wasm_instance_t *inst, int index, const uint64_t *args, uint64_t *results)
{
    wasm__thread_t *t = wasm__thread();
    jmp_buf *saved_jb = t->trap_jb, *saved_unwind = t->unwind;
    wasm_instance_t *saved_cur = t->cur;
    int saved_state = t->state;
    int64_t saved_dl = atomic_load_explicit(&t->deadline_us, memory_order_relaxed), dl = saved_dl;
    if (inst->limits.time_ms > 0) {
        dl = lc_now_mono_us() + (int64_t)inst->limits.time_ms * 1000;
        if (saved_dl != 0 && saved_dl < dl)
            dl = saved_dl;
    }
    if (dl != saved_dl) {
        /* Before the jump buffer is set: harmless, as a timeout only acts
         * on a thread IN_WASM. */
        atomic_store(&t->deadline_us, dl); /* watchdog.c, invariant 1 */
        wasm__watchdog_kick();
    }
    jmp_buf jb;
    t->trap_jb = &jb;
    t->unwind = &jb;
    t->cur = inst;
    int code = sigsetjmp(jb, WASM__SAVEMASK);
    if (code == 0) {
        atomic_signal_fence(memory_order_seq_cst);
        t->state = WASM__IN_WASM;
        atomic_signal_fence(memory_order_seq_cst);
        if (index < 0)
            inst->m->so.instantiate(inst->rt, &inst->ns);
        else
            inst->m->so.call(inst->rt, index, args, results);
    }
    atomic_signal_fence(memory_order_seq_cst);
    t->state = saved_state;
    atomic_signal_fence(memory_order_seq_cst);
    if (dl != saved_dl)
        atomic_store_explicit(&t->deadline_us, saved_dl, memory_order_relaxed);
    t->trap_jb = saved_jb;
    t->unwind = saved_unwind;
    t->cur = saved_cur;
    if (saved_state == WASM__OUTSIDE)
        t->timeout_pending = 0;
    return code;
}

static int report_trap(wasm_instance_t *inst, int code, wasm_trap_t *trap, lc_err_t *err)
{
    wasm_trap_t tr = trap_of(code);
    if (inst->trap_code == 0)
        inst->trap_code = code;
    if (trap != NULL)
        *trap = tr;
    if (tr == WASM_TRAP_HOST)
        return lc_err_set(err, LC_EINTERNAL, "%s", inst->trap_msg);
    return lc_err_set(err, LC_EINTERNAL, "wasm trap: %s", wasm_trap_name(tr));
}

static int start_failed(wasm_instance_t *inst, int code, lc_err_t *err)
{
    if (code == WASM__TRAP_MEMLIMIT)
        return lc_err_set(
            err, LC_ERANGE,
            "the module's initial memory is larger than the memory limit (%llu bytes)",
            (unsigned long long)wasm__instance_memory_limit(inst));
    if (code == WASM__TRAP_NOMEM)
        return lc_err_set(err, LC_ENOMEM, "out of memory instantiating the module");
    report_trap(inst, code, NULL, err);
    return lc_err_prefix(err, "instantiating the module: ");
}

static void set_limits(wasm_instance_t *inst, const wasm_limits_t *limits)
{
    if (limits != NULL)
        inst->limits = *limits;
    else
        memset(&inst->limits, 0, sizeof inst->limits);
}

int wasm_instance_new(wasm_module_t *m, void *host_ctx, const wasm_limits_t *limits,
                      wasm_instance_t **out, lc_err_t *err)
{
    *out = NULL;
    int rc = wasm__thread_setup(err);
    if (rc)
        return rc;
    wasm_instance_t *inst = lc_calloc(1, sizeof *inst);
    if (inst == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory creating an instance");
    inst->rt = lc_calloc(1, m->inst_size);
    if (inst->rt == NULL) {
        lc_free(inst);
        return lc_err_set(err, LC_ENOMEM, "out of memory creating an instance");
    }
    inst->m = m;
    inst->ns.ctx = host_ctx;
    inst->ns.fns = m->import_fns;
    set_limits(inst, limits);
    inst->mem = m->so.memory(inst->rt); /* a field's address: valid before instantiation */
    int code = guarded(inst, -1, NULL, NULL);
    if (code != 0) {
        rc = start_failed(inst, code, err);
        m->so.free(inst->rt);
        lc_free(inst->rt);
        lc_free(inst);
        return rc;
    }
    wasm_module_retain(m);
    *out = inst;
    return LC_OK;
}

void wasm_instance_free(wasm_instance_t *inst)
{
    if (inst == NULL)
        return;
    inst->m->so.free(inst->rt);
    lc_free(inst->rt);
    wasm_module_release(inst->m);
    lc_free(inst);
}

void wasm_instance_set_limits(wasm_instance_t *inst, const wasm_limits_t *limits)
{
    set_limits(inst, limits);
}

static int check_call(wasm_instance_t *inst, int index, size_t nargs, lc_err_t *err)
{
    const wasm__info_t *info = &inst->m->info;
    if (inst->trap_code != 0)
        return lc_err_set(err, LC_EINVAL, "the instance trapped earlier and cannot be called");
    if (index < 0 || (uint32_t)index >= info->nexports)
        return lc_err_set(err, LC_EINVAL, "no function export number %d", index);
    const wasm__export_t *ex = &info->exports[index];
    if (!ex->callable)
        return lc_err_set(err, LC_EUNSUPPORTED,
                          "export `%s` has signature %s, which the host cannot call", ex->name,
                          ex->sig);
    if (nargs != ex->nparams)
        return lc_err_set(err, LC_EINVAL, "export `%s` takes %u arguments, %zu given", ex->name,
                          ex->nparams, nargs);
    return LC_OK;
}

int wasm_instance_call(wasm_instance_t *inst, int index, const uint64_t *args, size_t nargs,
                       uint64_t *result, wasm_trap_t *trap, lc_err_t *err)
{
    if (trap != NULL)
        *trap = WASM_TRAP_NONE;
    int rc = check_call(inst, index, nargs, err);
    if (rc == 0)
        rc = wasm__thread_setup(err);
    if (rc)
        return rc;
    uint64_t scratch[16];
    if (result == NULL) {
        if (inst->m->info.exports[index].nresults > LC_ARRAY_LEN(scratch))
            return lc_err_set(err, LC_EINVAL, "no room given for the call's results");
        result = scratch;
    }
    int code = guarded(inst, index, args, result);
    return code == 0 ? LC_OK : report_trap(inst, code, trap, err);
}

uint8_t *wasm_instance_memory(wasm_instance_t *inst, uint64_t *size)
{
    if (size != NULL)
        *size = inst->mem != NULL ? inst->mem->size : 0;
    return inst->mem != NULL ? inst->mem->data : NULL;
}

void wasm_instance_trap(wasm_instance_t *inst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(inst->trap_msg, sizeof inst->trap_msg, fmt, ap);
    va_end(ap);
    inst->pending_host = 1;
}
