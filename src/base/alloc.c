/*
 * Allocation wrappers.  Every Lightcone allocation goes through these so that
 * (1) tests can count live blocks and catch leaks per test, and (2) fault
 * injection can make the Nth allocation fail, proving that every caller
 * handles LC_ENOMEM (style rule 16).  Counters are atomics: allocations happen
 * on every thread.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

static atomic_long live_blocks;
/* Counting costs a locked instruction on a line every thread writes, so it
 * is on only where someone reads the count (the test runner). */
static atomic_bool tracking;
static atomic_long fail_countdown; /* 0 = off; otherwise fail when it reaches 1 */

static bool should_fail(void)
{
    long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (n == 0)
        return false;
    if (n == 1)
        return true; /* stays at 1: every later allocation fails too */
    atomic_fetch_sub(&fail_countdown, 1);
    return false;
}

void lc_fault_alloc_after(long n)
{
    atomic_store(&fail_countdown, n);
}

void lc_alloc_track(bool on)
{
    atomic_store(&tracking, on);
}

static inline void track_delta(long d)
{
    if (atomic_load_explicit(&tracking, memory_order_relaxed))
        atomic_fetch_add_explicit(&live_blocks, d, memory_order_relaxed);
}

long lc_alloc_live(void)
{
    return atomic_load(&live_blocks);
}

void *lc_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    void *p = malloc(n ? n : 1);
    if (p)
        track_delta(1);
    return p;
}

void *lc_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p)
        track_delta(1);
    return p;
}

void *lc_realloc(void *p, size_t n)
{
    if (p == NULL)
        return lc_malloc(n);
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void lc_free(void *p)
{
    if (p == NULL)
        return;
    track_delta(-1);
    free(p);
}

char *lc_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = lc_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

int lc_grow(void *array, uint32_t *cap, uint32_t n, size_t elem, uint32_t first_cap)
{
    if (n < *cap)
        return LC_OK;
    if (*cap > UINT32_MAX / 2)
        return LC_ENOMEM;
    uint32_t ncap = *cap ? *cap * 2 : first_cap;
    /* array points at some T *; copy the pointer in and out rather than
     * access it as a void * (which would break strict aliasing). */
    void *old;
    memcpy(&old, array, sizeof old);
    void *p = lc_realloc(old, (size_t)ncap * elem);
    if (p == NULL)
        return LC_ENOMEM;
    memcpy(array, &p, sizeof p);
    *cap = ncap;
    return LC_OK;
}
