/*
 * watchdog.c — one thread per process that stops wasm calls running past
 * their instance's limits.time_ms.
 *
 * A call with a time limit stores its deadline in its thread's
 * wasm__thread_t (deadline_us, atomic); that is the whole per-call cost,
 * plus a read of the `idle` flag.  Every TICK_MS the watchdog walks the
 * threads that run wasm and sends the overdue ones a signal with
 * pthread_kill; the handler (rt.c) traps if the thread is in wasm, or
 * leaves a pending flag for the import forwarder if it is in a host
 * function.  An overdue thread is signalled again on every tick until its
 * deadline is cleared, so a signal that arrived at a bad moment costs at
 * most one tick.
 *
 * States:
 *
 *   state     how it is entered                              thread
 *   --------  ---------------------------------------------  -------------------------
 *   STOPPED   initial; the last engine's wasm__watchdog_unref  none
 *   RUNNING   wasm__watchdog_kick with engines referenced      ticks every TICK_MS
 *   IDLE      IDLE_TICKS ticks without a deadline               waits for a kick
 *
 * Invariants:
 *   1. A call stores its deadline (seq_cst) before reading `idle` (seq_cst);
 *      the watchdog sets `idle` (seq_cst) before its last scan of the
 *      deadlines.  So either the watchdog sees the deadline or the call sees
 *      idle and wakes it: no deadline is ever missed while it sleeps.
 *   2. A thread leaves the list (under mu) before it exits, and the watchdog
 *      signals only while holding mu: it never signals a dead thread.
 */
#include <errno.h>
#include <time.h>

#include "wasm_int.h"

enum { TICK_MS = 5, IDLE_TICKS = 40 };

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    wasm__thread_t *threads; /* threads that run wasm */
    long users;              /* engines */
    bool running, stop;
    pthread_t thread;
    atomic_bool idle; /* true when no thread is ticking: a kick must wake it */
} wd = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, false, false, 0, true};

int wasm__watchdog_signal(void)
{
#ifdef WASM__TSAN
    return SIGSEGV;
#else
    return SIGRTMIN + 5;
#endif
}

/* Signal the overdue threads; true if any deadline is set.  Holds mu. */
static bool scan(void)
{
    bool any = false;
    int64_t now = lc_now_mono_us();
    for (wasm__thread_t *t = wd.threads; t != NULL; t = t->wd_next) {
        int64_t dl = atomic_load(&t->deadline_us);
        if (dl == 0)
            continue;
        any = true;
        if (now >= dl)
            pthread_kill(t->self, wasm__watchdog_signal());
    }
    return any;
}

static void wait_tick(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += TICK_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&wd.cv, &wd.mu, &ts);
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    int quiet = 0;
    pthread_mutex_lock(&wd.mu);
    while (!wd.stop) {
        if (scan()) {
            quiet = 0;
        } else if (++quiet >= IDLE_TICKS) {
            atomic_store(&wd.idle, true); /* invariant 1 */
            if (scan()) {
                atomic_store(&wd.idle, false);
                quiet = 0;
            }
            while (atomic_load(&wd.idle) && !wd.stop) pthread_cond_wait(&wd.cv, &wd.mu);
            quiet = 0;
            continue;
        }
        wait_tick();
    }
    pthread_mutex_unlock(&wd.mu);
    return NULL;
}

void wasm__watchdog_kick(void)
{
    if (!atomic_load(&wd.idle))
        return;
    pthread_mutex_lock(&wd.mu);
    if (wd.users > 0 && !wd.running && !wd.stop) {
        if (pthread_create(&wd.thread, NULL, watchdog_main, NULL) == 0)
            wd.running = true;
        else
            lc_log_error("wasm: cannot start the watchdog thread; time limits are not enforced");
    }
    atomic_store(&wd.idle, false);
    pthread_cond_signal(&wd.cv);
    pthread_mutex_unlock(&wd.mu);
}

void wasm__watchdog_ref(void)
{
    pthread_mutex_lock(&wd.mu);
    wd.users++;
    pthread_mutex_unlock(&wd.mu);
}

void wasm__watchdog_unref(void)
{
    pthread_mutex_lock(&wd.mu);
    bool join = --wd.users == 0 && wd.running;
    if (join) {
        wd.stop = true;
        pthread_cond_signal(&wd.cv);
    }
    pthread_mutex_unlock(&wd.mu);
    if (!join)
        return;
    pthread_join(wd.thread, NULL);
    pthread_mutex_lock(&wd.mu);
    wd.running = false;
    wd.stop = false;
    atomic_store(&wd.idle, true);
    pthread_mutex_unlock(&wd.mu);
}

void wasm__watchdog_add(wasm__thread_t *t)
{
    pthread_mutex_lock(&wd.mu);
    t->wd_prev = NULL;
    t->wd_next = wd.threads;
    if (wd.threads != NULL)
        wd.threads->wd_prev = t;
    wd.threads = t;
    pthread_mutex_unlock(&wd.mu);
}

void wasm__watchdog_remove(wasm__thread_t *t)
{
    pthread_mutex_lock(&wd.mu);
    if (t->wd_prev != NULL)
        t->wd_prev->wd_next = t->wd_next;
    else if (wd.threads == t)
        wd.threads = t->wd_next;
    if (t->wd_next != NULL)
        t->wd_next->wd_prev = t->wd_prev;
    t->wd_next = t->wd_prev = NULL;
    pthread_mutex_unlock(&wd.mu);
}
