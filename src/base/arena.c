/*
 * Arenas: bump allocation in chunks, released all at once.
 *
 * Layout: a singly linked list of chunks, newest first.  Each allocation is
 * rounded up to 16 bytes and carved from the newest chunk; when it does not
 * fit, a new chunk of max(chunk_size, request) is pushed.  Large requests get
 * a chunk of their own, so one big row does not waste a default chunk.
 *
 * Invariants:
 *   1. Every pointer handed out is 16-byte aligned and stays valid until the
 *      next lc_arena_reset() or lc_arena_free().
 *   2. reset keeps the newest chunk (when it is a default-sized one) to serve
 *      the next lifetime without a malloc; free releases all.
 *   3. Cleanups run exactly once, newest first, before memory is released.
 */
#include <stdio.h>
#include <string.h>

#include "base.h"

#define ARENA_ALIGN         16
#define ARENA_DEFAULT_CHUNK 8192

struct lc_arena_chunk {
    lc_arena_chunk_t *next;
    size_t size; /* usable bytes in mem[] */
    size_t used;
    _Alignas(ARENA_ALIGN) uint8_t mem[];
};

struct lc_arena_cleanup {
    lc_arena_cleanup_t *next;
    void (*fn)(void *arg);
    void *arg;
};

void lc_arena_init(lc_arena_t *a, size_t chunk_size)
{
    memset(a, 0, sizeof *a);
    a->chunk_size = chunk_size ? chunk_size : ARENA_DEFAULT_CHUNK;
}

static void run_cleanups(lc_arena_t *a)
{
    while (a->cleanups) {
        lc_arena_cleanup_t *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->arg); /* c itself lives in the arena: freed with the chunks */
    }
}

static void free_chunks(lc_arena_chunk_t *c)
{
    while (c) {
        lc_arena_chunk_t *next = c->next;
        lc_free(c);
        c = next;
    }
}

void lc_arena_reset(lc_arena_t *a)
{
    run_cleanups(a);
    lc_arena_chunk_t *keep = a->chunk;
    if (keep && keep->size == a->chunk_size) {
        free_chunks(keep->next);
        keep->next = NULL;
        keep->used = 0;
    } else {
        free_chunks(keep);
        a->chunk = NULL;
    }
    a->total = 0;
}

void lc_arena_free(lc_arena_t *a)
{
    run_cleanups(a);
    free_chunks(a->chunk);
    a->chunk = NULL;
    a->total = 0;
}

static lc_arena_chunk_t *push_chunk(lc_arena_t *a, size_t need)
{
    size_t size = need > a->chunk_size ? need : a->chunk_size;
    lc_arena_chunk_t *c = lc_malloc(sizeof *c + size);
    if (c == NULL)
        return NULL;
    c->size = size;
    c->used = 0;
    if (a->chunk && size != a->chunk_size) {
        /* An oversized chunk goes behind the current one, which keeps
         * serving small requests. */
        c->next = a->chunk->next;
        a->chunk->next = c;
    } else {
        c->next = a->chunk;
        a->chunk = c;
    }
    return c;
}

void *lc_arena_alloc(lc_arena_t *a, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    size_t rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (rounded == 0)
        rounded = ARENA_ALIGN;
    lc_arena_chunk_t *c = a->chunk;
    if (c == NULL || c->size - c->used < rounded) {
        c = push_chunk(a, rounded);
        if (c == NULL)
            return NULL;
    }
    void *p = c->mem + c->used;
    c->used += rounded;
    a->total += rounded;
    return p;
}

void *lc_arena_zalloc(lc_arena_t *a, size_t n)
{
    void *p = lc_arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

void *lc_arena_memdup(lc_arena_t *a, const void *p, size_t n)
{
    void *q = lc_arena_alloc(a, n);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

char *lc_arena_strndup(lc_arena_t *a, const char *s, size_t n)
{
    char *q = lc_arena_alloc(a, n + 1);
    if (q == NULL)
        return NULL;
    if (n)
        memcpy(q, s, n);
    q[n] = 0;
    return q;
}

char *lc_arena_strdup(lc_arena_t *a, const char *s)
{
    return lc_arena_strndup(a, s, strlen(s));
}

char *lc_arena_printf(lc_arena_t *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *q = n < 0 ? NULL : lc_arena_alloc(a, (size_t)n + 1);
    if (q)
        vsnprintf(q, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return q;
}

int lc_arena_on_reset(lc_arena_t *a, void (*fn)(void *arg), void *arg)
{
    lc_arena_cleanup_t *c = lc_arena_alloc(a, sizeof *c);
    if (c == NULL)
        return LC_ENOMEM;
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
    return LC_OK;
}
