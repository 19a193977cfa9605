/*
 * lc_map_t: an open-addressing hash map from byte strings to pointers.
 *
 * Linear probing in a power-of-two table; each slot caches the key's full
 * hash so that probes compare 8 bytes before touching key memory.  Deletion
 * shifts later members of the probe run back (no tombstones), so lookups
 * never slow down after churn.
 *
 * Invariants:
 *   1. A slot is empty exactly when its key is NULL.
 *   2. count <= cap * 3/4 (the table grows before it gets fuller).
 *   3. For every live slot s, every slot from s's home bucket up to s is
 *      occupied (no gaps in a probe run) — what backward-shift preserves.
 *   4. Hashes are seeded per process from the CSPRNG, so a client that
 *      chooses keys cannot predict collisions.
 */
#include <stdatomic.h>
#include <string.h>

#include "base.h"

struct lc_map_slot {
    uint64_t hash;
    uint8_t *key; /* lc_malloc'd copy; NULL = empty */
    size_t klen;
    void *val;
};

/* ---------------------------------------------------------------- hashing */

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t load_tail(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint64_t lc_hash_bytes(const void *data, size_t n, uint64_t seed)
{
    const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
    const uint8_t *p = data;
    uint64_t h = seed ^ mix(seed ^ k0, (uint64_t)n ^ k1);
    while (n >= 16) {
        h = mix(lc_load_u64le(p) ^ k0 ^ h, lc_load_u64le(p + 8) ^ k1);
        p += 16;
        n -= 16;
    }
    uint64_t a = n >= 8 ? lc_load_u64le(p) : load_tail(p, n);
    uint64_t b = n > 8 ? load_tail(p + 8, n - 8) : 0;
    return mix(a ^ k0 ^ h, b ^ k1 ^ (uint64_t)n);
}

uint64_t lc_hash_seed(void)
{
    static _Atomic uint64_t seed;
    uint64_t s = atomic_load_explicit(&seed, memory_order_relaxed);
    if (s == 0) {
        if (lc_random_bytes(&s, sizeof s) != LC_OK || s == 0)
            s = 0x9e3779b97f4a7c15ULL ^ (uint64_t)lc_now_mono_us();
        s |= 1;
        uint64_t expected = 0;
        if (!atomic_compare_exchange_strong(&seed, &expected, s))
            s = expected; /* another thread won; use its seed */
    }
    return s;
}

/* ---------------------------------------------------------------- table */

void lc_map_init(lc_map_t *m)
{
    memset(m, 0, sizeof *m);
    m->seed = lc_hash_seed();
}

void lc_map_free(lc_map_t *m)
{
    for (size_t i = 0; i < m->cap; i++) lc_free(m->slots[i].key);
    lc_free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}

static size_t find(const lc_map_t *m, const void *key, size_t klen, uint64_t h, bool *found)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const lc_map_slot_t *s = &m->slots[i];
        if (s->key == NULL) {
            *found = false;
            return i;
        }
        if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0) {
            *found = true;
            return i;
        }
    }
}

static int grow(lc_map_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : 8;
    lc_map_slot_t *slots = lc_calloc(cap, sizeof *slots);
    if (slots == NULL)
        return LC_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        lc_map_slot_t *s = &m->slots[i];
        if (s->key == NULL)
            continue;
        size_t j = s->hash & (cap - 1);
        while (slots[j].key) j = (j + 1) & (cap - 1);
        slots[j] = *s;
    }
    lc_free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return LC_OK;
}

void *lc_map_get(const lc_map_t *m, const void *key, size_t klen)
{
    if (m->count == 0)
        return NULL;
    bool found;
    size_t i = find(m, key, klen, lc_hash_bytes(key, klen, m->seed), &found);
    return found ? m->slots[i].val : NULL;
}

int lc_map_put(lc_map_t *m, const void *key, size_t klen, void *val, void **old)
{
    if (old)
        *old = NULL;
    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != LC_OK)
        return LC_ENOMEM;
    uint64_t h = lc_hash_bytes(key, klen, m->seed);
    bool found;
    size_t i = find(m, key, klen, h, &found);
    lc_map_slot_t *s = &m->slots[i];
    if (found) {
        if (old)
            *old = s->val;
        s->val = val;
        return LC_OK;
    }
    uint8_t *copy = lc_malloc(klen);
    if (copy == NULL)
        return LC_ENOMEM;
    if (klen)
        memcpy(copy, key, klen);
    s->hash = h;
    s->key = copy;
    s->klen = klen;
    s->val = val;
    m->count++;
    return LC_OK;
}

/* Close the gap at i by moving back later members of the probe run whose
 * home bucket does not lie cyclically in (i, j] (invariant 3). */
static void backward_shift(lc_map_t *m, size_t i)
{
    size_t mask = m->cap - 1;
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = m->slots[j].hash & mask;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        m->slots[i] = m->slots[j];
        i = j;
    }
    memset(&m->slots[i], 0, sizeof m->slots[i]);
}

void *lc_map_del(lc_map_t *m, const void *key, size_t klen)
{
    if (m->count == 0)
        return NULL;
    bool found;
    size_t i = find(m, key, klen, lc_hash_bytes(key, klen, m->seed), &found);
    if (!found)
        return NULL;
    void *val = m->slots[i].val;
    lc_free(m->slots[i].key);
    m->count--;
    backward_shift(m, i);
    return val;
}

bool lc_map_next(const lc_map_t *m, size_t *pos, const void **key, size_t *klen, void **val)
{
    for (size_t i = *pos; i < m->cap; i++) {
        const lc_map_slot_t *s = &m->slots[i];
        if (s->key == NULL)
            continue;
        if (key)
            *key = s->key;
        if (klen)
            *klen = s->klen;
        if (val)
            *val = s->val;
        *pos = i + 1;
        return true;
    }
    *pos = m->cap;
    return false;
}

void *lc_map_get_u64(const lc_map_t *m, uint64_t key)
{
    uint8_t k[8];
    lc_store_u64le(k, key);
    return lc_map_get(m, k, sizeof k);
}

int lc_map_put_u64(lc_map_t *m, uint64_t key, void *val)
{
    uint8_t k[8];
    lc_store_u64le(k, key);
    return lc_map_put(m, k, sizeof k, val, NULL);
}

void *lc_map_del_u64(lc_map_t *m, uint64_t key)
{
    uint8_t k[8];
    lc_store_u64le(k, key);
    return lc_map_del(m, k, sizeof k);
}
