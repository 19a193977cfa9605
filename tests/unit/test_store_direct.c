/*
 * Tests for the direct index (src/store/direct.c): an array of row ids
 * indexed by a key of 1..8 bytes read as a big-endian integer.
 *
 * The model is a sorted array of (key, row) entries.  Seeded random inserts
 * and deletes in a dense key window (with duplicate keys, exact duplicates,
 * far-away keys and keys right at the density limit) run against both, and
 * every few hundred operations the index is compared with the model in
 * full: count, store_direct_next (order and contents), a lookup of every
 * key, and random range scans whose bounds mix every kind with empty,
 * partial, full-length and over-long prefixes.  The model predicts
 * LC_ERANGE from the density rule (span of distinct keys after the insert
 * <= 2 * distinct keys + 4096), so each refusal is checked to be exact and
 * to leave the index unchanged.
 *
 * Set LC_BENCH=1 to run the benchmark with 1,000,000 keys and print its
 * timings and bytes per key (otherwise it runs with 100,000 keys).
 */
#include <stdlib.h>

#include "base/base.h"
#include "store/store_int.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

typedef struct rng {
    uint64_t s;
} rng_t;

static uint64_t rnd(rng_t *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static uint32_t rnd_below(rng_t *r, uint32_t n)
{
    return (uint32_t)(rnd(r) % n);
}

static uint64_t dmax_of(uint32_t key_len)
{
    return key_len == 8 ? UINT64_MAX : (1ULL << (8 * key_len)) - 1;
}

static void enc(uint32_t key_len, uint64_t v, uint8_t *out)
{
    for (uint32_t i = key_len; i-- > 0; v >>= 8) out[i] = (uint8_t)v;
}

static uint64_t dec(uint32_t key_len, const uint8_t *p)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < key_len; i++) v = v << 8 | p[i];
    return v;
}

/* memcmp order, shorter first on a common prefix: -1, 0, 1. */
static int keycmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    size_t m = LC_MIN(na, nb);
    int d = m ? memcmp(a, b, m) : 0;
    if (d != 0)
        return d < 0 ? -1 : 1;
    return (na > nb) - (na < nb);
}

static bool starts_with(const uint8_t *k, size_t n, const uint8_t *p, size_t pn)
{
    return n >= pn && (pn == 0 || memcmp(k, p, pn) == 0);
}

/* The bound semantics of store_int.h, stated on bytes. */
static bool in_bounds(const uint8_t *k, size_t kl, const store_bound_t *lo, const store_bound_t *hi)
{
    switch (lo->kind) {
    case STORE_BOUND_INCLUDED:
        if (keycmp(k, kl, lo->key, lo->len) < 0)
            return false;
        break;
    case STORE_BOUND_EXCLUDED:
        if (keycmp(k, kl, lo->key, lo->len) <= 0 || starts_with(k, kl, lo->key, lo->len))
            return false;
        break;
    default:
        break;
    }
    switch (hi->kind) {
    case STORE_BOUND_INCLUDED:
        return keycmp(k, kl, hi->key, hi->len) <= 0 || starts_with(k, kl, hi->key, hi->len);
    case STORE_BOUND_EXCLUDED:
        return keycmp(k, kl, hi->key, hi->len) < 0;
    default:
        return true;
    }
}

/* Rows gathered by a visit callback; stops after stop_after rows if set. */
typedef struct rows {
    uint32_t *r;
    size_t n, cap;
    size_t stop_after;
} rows_t;

static bool collect(void *arg, uint32_t row)
{
    rows_t *rs = arg;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 64;
        rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
    }
    rs->r[rs->n++] = row;
    return rs->n != rs->stop_after;
}

static void rows_reset(rows_t *rs)
{
    rs->n = 0;
    rs->stop_after = 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* ---------------------------------------------------------------- model */

typedef struct ent {
    uint64_t key;
    uint32_t row;
} ent_t;

static int cmp_ent(const void *a, const void *b)
{
    const ent_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Entries sorted by (key, row); keyof[row] is the key of every row ever
 * inserted (rows are never reused). */
typedef struct model {
    uint32_t key_len;
    uint64_t dmax;
    ent_t *e;
    size_t n, cap;
    uint64_t nkeys; /* distinct keys */
    uint64_t *keyof;
    uint32_t nrows; /* rows handed out: 0 .. nrows - 1 */
} model_t;

static void model_init(model_t *m, uint32_t key_len, uint32_t max_rows)
{
    memset(m, 0, sizeof *m);
    m->key_len = key_len;
    m->dmax = dmax_of(key_len);
    m->keyof = calloc(max_rows, sizeof *m->keyof);
}

static void model_free(model_t *m)
{
    free(m->e);
    free(m->keyof);
}

/* Position of the first entry >= (key, row). */
static size_t model_pos(const model_t *m, uint64_t key, uint32_t row)
{
    size_t lo = 0, hi = m->n;
    ent_t t = {key, row};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_ent(&m->e[mid], &t) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool model_has(const model_t *m, uint64_t key, uint32_t row)
{
    size_t i = model_pos(m, key, row);
    return i < m->n && m->e[i].key == key && m->e[i].row == row;
}

static bool model_has_key(const model_t *m, uint64_t key)
{
    size_t i = model_pos(m, key, 0);
    return i < m->n && m->e[i].key == key;
}

static void model_add(model_t *m, uint64_t key, uint32_t row)
{
    if (!model_has_key(m, key))
        m->nkeys++;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 256;
        m->e = realloc(m->e, m->cap * sizeof *m->e);
    }
    size_t i = model_pos(m, key, row);
    memmove(m->e + i + 1, m->e + i, (m->n - i) * sizeof *m->e);
    m->e[i] = (ent_t){key, row};
    m->n++;
}

static void model_del(model_t *m, size_t i)
{
    uint64_t key = m->e[i].key;
    memmove(m->e + i, m->e + i + 1, (m->n - i - 1) * sizeof *m->e);
    m->n--;
    if (!model_has_key(m, key))
        m->nkeys--;
}

/* What store_direct_insert must return for (key, row). */
static int model_predict(const model_t *m, uint64_t key, uint32_t row)
{
    if (model_has(m, key, row))
        return LC_EEXIST;
    if (m->n == 0 || model_has_key(m, key))
        return LC_OK;
    uint64_t lo = LC_MIN(m->e[0].key, key), hi = LC_MAX(m->e[m->n - 1].key, key);
    return hi - lo >= 2 * (m->nkeys + 1) + 4096 ? LC_ERANGE : LC_OK;
}

/* Insert (key, row) into both and compare the result with the prediction. */
static int do_insert(store_direct_t *d, model_t *m, uint64_t key, uint32_t row)
{
    uint8_t k[8];
    enc(m->key_len, key, k);
    int want = model_predict(m, key, row);
    int rc = store_direct_insert(d, k, m->key_len, row);
    if (rc == LC_OK) {
        model_add(m, key, row);
        m->keyof[row] = key;
    }
    return rc == want ? rc : 1000 + rc;
}

static uint32_t new_row(model_t *m)
{
    return m->nrows++;
}

/* ---------------------------------------------------------------- full check */

/* The key of a row handed out by the model (all ones for a stray row). */
static uint64_t key_of(const model_t *m, uint32_t row)
{
    return row < m->nrows ? m->keyof[row] : UINT64_MAX;
}

/* store_direct_next lists exactly the model's entries, keys ascending. */
static bool check_next(const store_direct_t *d, const model_t *m)
{
    ent_t *got = malloc((m->n + 1) * sizeof *got);
    size_t n = 0;
    uint64_t pos = 0, prev = 0;
    uint8_t k[8];
    uint32_t row;
    bool ok = true;
    while (ok && store_direct_next(d, &pos, k, &row)) {
        uint64_t key = dec(m->key_len, k);
        ok = n < m->n && (n == 0 || key >= prev) && key_of(m, row) == key;
        if (ok)
            got[n++] = (ent_t){key, row};
        prev = key;
    }
    ok = ok && n == m->n && !store_direct_next(d, &pos, k, &row);
    qsort(got, n, sizeof *got, cmp_ent);
    for (size_t i = 0; ok && i < n; i++) ok = cmp_ent(&got[i], &m->e[i]) == 0;
    free(got);
    return ok;
}

/* A lookup of every key finds exactly its rows; absent keys find none. */
static bool check_lookups(const store_direct_t *d, const model_t *m, rng_t *r)
{
    rows_t rs = {0};
    bool ok = true;
    uint8_t k[9] = {0};
    for (size_t i = 0; ok && i < m->n;) {
        size_t j = i;
        while (j < m->n && m->e[j].key == m->e[i].key) j++;
        enc(m->key_len, m->e[i].key, k);
        rows_reset(&rs);
        store_direct_lookup(d, k, m->key_len, collect, &rs);
        qsort(rs.r, rs.n, sizeof *rs.r, cmp_u32);
        ok = rs.n == j - i;
        for (size_t x = 0; ok && x < rs.n; x++) ok = rs.r[x] == m->e[i + x].row;
        /* the wrong length never matches */
        rows_reset(&rs);
        store_direct_lookup(d, k, m->key_len + 1, collect, &rs);
        store_direct_lookup(d, k, m->key_len - 1, collect, &rs);
        ok = ok && rs.n == 0;
        i = j;
    }
    for (int t = 0; ok && t < 50 && m->n > 0; t++) {
        uint64_t key = m->e[rnd_below(r, (uint32_t)m->n)].key + rnd_below(r, 5) - 2;
        key &= m->dmax;
        enc(m->key_len, key, k);
        rows_reset(&rs);
        store_direct_lookup(d, k, m->key_len, collect, &rs);
        ok = (rs.n > 0) == model_has_key(m, key);
    }
    free(rs.r);
    return ok;
}

/* One range scan against the model: the same rows, keys ascending. */
static bool check_range(const store_direct_t *d, const model_t *m, const store_bound_t *lo,
                        const store_bound_t *hi)
{
    rows_t rs = {0};
    store_direct_range(d, lo, hi, collect, &rs);
    bool ok = true;
    for (size_t i = 1; ok && i < rs.n; i++) ok = key_of(m, rs.r[i - 1]) <= key_of(m, rs.r[i]);
    ent_t *got = malloc((rs.n + 1) * sizeof *got);
    for (size_t i = 0; i < rs.n; i++) got[i] = (ent_t){key_of(m, rs.r[i]), rs.r[i]};
    qsort(got, rs.n, sizeof *got, cmp_ent);
    size_t n = 0;
    for (size_t i = 0; ok && i < m->n; i++) {
        uint8_t k[8];
        enc(m->key_len, m->e[i].key, k);
        if (!in_bounds(k, m->key_len, lo, hi))
            continue;
        ok = n < rs.n && got[n].key == m->e[i].key && got[n].row == m->e[i].row;
        n++;
    }
    ok = ok && n == rs.n;
    if (!ok)
        fprintf(stderr, "  range kinds %d/%d lens %zu/%zu: %zu rows, model %zu\n", lo->kind,
                hi->kind, lo->len, hi->len, rs.n, n);
    free(got);
    free(rs.r);
    return ok;
}

/* A random bound near the data: any kind; length 0, partial, full (most
 * often) or one byte too long. */
static void gen_bound(rng_t *r, const model_t *m, store_bound_t *b, uint8_t buf[9])
{
    uint32_t L = m->key_len;
    uint64_t v;
    switch (rnd_below(r, 6)) {
    case 0:
        v = rnd_below(r, 2) ? 0 : m->dmax;
        break;
    case 1:
        v = rnd(r) & m->dmax;
        break;
    default:
        v = m->n ? m->e[rnd_below(r, (uint32_t)m->n)].key + rnd_below(r, 3) - 1 : rnd(r);
        v &= m->dmax;
    }
    enc(L, v, buf);
    buf[L] = (uint8_t)rnd(r);
    b->kind = (store_bound_kind_t)rnd_below(r, 3);
    b->key = buf;
    switch (rnd_below(r, 8)) {
    case 0:
        b->len = 0;
        break;
    case 1:
        b->len = L > 1 ? 1 + rnd_below(r, L - 1) : L;
        break;
    case 2:
        b->len = L + 1;
        break;
    default:
        b->len = L;
    }
}

static bool check_all(const store_direct_t *d, const model_t *m, rng_t *r, int nranges)
{
    if (store_direct_count(d) != m->n) {
        fprintf(stderr, "  count %" PRIu64 ", model %zu\n", store_direct_count(d), m->n);
        return false;
    }
    if (!check_next(d, m)) {
        fprintf(stderr, "  store_direct_next differs from the model\n");
        return false;
    }
    if (!check_lookups(d, m, r)) {
        fprintf(stderr, "  a lookup differs from the model\n");
        return false;
    }
    for (int i = 0; i < nranges; i++) {
        uint8_t b1[9], b2[9];
        store_bound_t lo, hi;
        gen_bound(r, m, &lo, b1);
        gen_bound(r, m, &hi, b2);
        if (!check_range(d, m, &lo, &hi))
            return false;
    }
    return true;
}

/* ---------------------------------------------------------------- random model */

typedef struct dcfg {
    uint32_t key_len;
    uint64_t first, window; /* ordinary keys: first + [0, window) */
    uint32_t dup_pct;       /* inserts of a present key with a new row */
    uint32_t far_pct;       /* keys far away or at the density limit */
    uint32_t ops, target;   /* operations; model size to hover around */
    uint64_t seed;
} dcfg_t;

/* A key far from the data, or one just inside / at / past the limit. */
static bool far_key(rng_t *r, const model_t *m, uint64_t *key)
{
    if (m->n == 0 || rnd_below(r, 3) == 0) {
        *key = rnd(r) & m->dmax;
        return true;
    }
    uint64_t x = 2 * (m->nkeys + 1) + 4096 + rnd_below(r, 3) - 2; /* lim - 2 .. lim */
    uint64_t lo = m->e[0].key, hi = m->e[m->n - 1].key;
    if (rnd_below(r, 2) && x <= m->dmax - lo) {
        *key = lo + x;
        return true;
    }
    if (x <= hi) {
        *key = hi - x;
        return true;
    }
    return false;
}

static void run_model(const dcfg_t *c)
{
    store_direct_t *d = store_direct_new(c->key_len);
    CHECK(d != NULL);
    size_t empty_mem = store_direct_memory(d);
    model_t m;
    model_init(&m, c->key_len, c->ops + 1);
    rng_t r = {c->seed};
    uint8_t k[8];
    uint32_t erange = 0, dups = 0, promoted = 0;
    for (uint32_t op = 0; op < c->ops; op++) {
        uint32_t p = rnd_below(&r, 100);
        uint64_t key;
        if (p < c->far_pct) {
            if (!far_key(&r, &m, &key))
                continue;
            size_t mem = store_direct_memory(d);
            int rc = do_insert(d, &m, key, new_row(&m));
            CHECK_MSG(rc <= 0, "op %u: far key %" PRIx64 ": rc %d", op, key, rc - 1000);
            if (rc == LC_ERANGE) {
                erange++;
                CHECK_EQ_INT(store_direct_memory(d), mem);
                if (erange % 8 == 1)
                    CHECK(check_all(d, &m, &r, 4));
            }
        } else if (p < c->far_pct + c->dup_pct && m.n > 0) {
            key = m.e[rnd_below(&r, (uint32_t)m.n)].key;
            CHECK_EQ_INT(do_insert(d, &m, key, new_row(&m)), LC_OK);
            dups++;
        } else if (p < c->far_pct + c->dup_pct + 2 && m.n > 0) {
            ent_t e = m.e[rnd_below(&r, (uint32_t)m.n)];
            CHECK_EQ_INT(do_insert(d, &m, e.key, e.row), LC_EEXIST);
        } else if (p < c->far_pct + c->dup_pct + 4) {
            /* absent: a fresh row, on a present key or not */
            key = m.n && (p & 1) ? m.e[rnd_below(&r, (uint32_t)m.n)].key
                                 : c->first + rnd(&r) % c->window;
            enc(c->key_len, key, k);
            CHECK_EQ_INT(store_direct_delete(d, k, c->key_len, m.nrows + 7), LC_ENOTFOUND);
        } else if (rnd_below(&r, 100) < (m.n < c->target ? 60 : 40)) {
            key = c->first + rnd(&r) % c->window;
            int rc = do_insert(d, &m, key, new_row(&m));
            CHECK_MSG(rc <= 0, "op %u: key %" PRIx64 ": rc %d", op, key, rc - 1000);
        } else if (m.n > 0) {
            size_t i = rnd_below(&r, (uint32_t)m.n);
            bool shared = (i > 0 && m.e[i - 1].key == m.e[i].key) ||
                          (i + 1 < m.n && m.e[i + 1].key == m.e[i].key);
            enc(c->key_len, m.e[i].key, k);
            CHECK_OK(store_direct_delete(d, k, c->key_len, m.e[i].row));
            CHECK_EQ_INT(store_direct_delete(d, k, c->key_len, m.e[i].row), LC_ENOTFOUND);
            promoted += shared;
            model_del(&m, i);
        }
        if (op % 500 == 499)
            CHECK_MSG(check_all(d, &m, &r, 30), "after op %u", op);
    }
    CHECK(check_all(d, &m, &r, 200));
    CHECK(dups > 0 && promoted > 0);
    CHECK(c->far_pct == 0 || c->key_len == 1 || erange > 0);
    /* empty it in random order; memory returns to the bare struct */
    uint32_t step = 0;
    while (m.n > 0) {
        size_t i = rnd_below(&r, (uint32_t)m.n);
        enc(c->key_len, m.e[i].key, k);
        CHECK_OK(store_direct_delete(d, k, c->key_len, m.e[i].row));
        model_del(&m, i);
        if (++step % 400 == 0)
            CHECK(check_all(d, &m, &r, 10));
    }
    CHECK(check_all(d, &m, &r, 10));
    CHECK_EQ_INT(store_direct_memory(d), empty_mem);
    store_direct_free(d);
    model_free(&m);
}

TEST(direct_model_u8)
{
    dcfg_t c = {1, 0, 256, 8, 2, 12000, 200, 31};
    run_model(&c);
}

TEST(direct_model_u16_top_of_domain)
{
    dcfg_t c = {2, 65536 - 3000, 3000, 5, 2, 20000, 2000, 32};
    run_model(&c);
}

TEST(direct_model_u16_heavy_duplicates)
{
    dcfg_t c = {2, 20000, 1500, 30, 1, 16000, 2000, 33};
    run_model(&c);
}

TEST(direct_model_i32_around_zero)
{
    /* i32 keys flip the sign bit: -4096 .. 4095 is 0x7ffff000 .. 0x80000fff */
    dcfg_t c = {4, 0x7ffff000, 8192, 5, 2, 20000, 3000, 34};
    run_model(&c);
}

TEST(direct_model_u64_top_of_domain)
{
    dcfg_t c = {8, UINT64_MAX - 4999, 5000, 5, 2, 20000, 2500, 35};
    run_model(&c);
}

TEST(direct_model_u64_bottom_of_domain)
{
    dcfg_t c = {8, 0, 5000, 5, 2, 20000, 2500, 36};
    run_model(&c);
}

TEST(direct_model_u32_sparse_window)
{
    /* keys two apart on average: the array runs near the density limit */
    dcfg_t c = {4, 1000000, 12000, 3, 2, 20000, 4000, 37};
    run_model(&c);
}

/* ---------------------------------------------------------------- cases */

TEST(direct_bad_arguments)
{
    CHECK(store_direct_new(0) == NULL);
    CHECK(store_direct_new(9) == NULL);
    store_direct_t *d = store_direct_new(4);
    uint8_t k[9] = {0, 0, 0, 42, 0};
    CHECK_EQ_INT(store_direct_insert(d, k, 3, 1), LC_EINVAL);
    CHECK_EQ_INT(store_direct_insert(d, k, 5, 1), LC_EINVAL);
    CHECK_EQ_INT(store_direct_insert(d, k, 0, 1), LC_EINVAL);
    CHECK_EQ_INT(store_direct_insert(d, k, 4, STORE_ROW_NONE), LC_EINVAL);
    CHECK_EQ_INT(store_direct_delete(d, k, 4, 1), LC_ENOTFOUND);
    CHECK_OK(store_direct_insert(d, k, 4, 1));
    CHECK_OK(store_direct_insert(d, k, 4, 0));
    CHECK_OK(store_direct_insert(d, k, 4, STORE_ROW_NONE - 1));
    CHECK_EQ_INT(store_direct_insert(d, k, 4, 1), LC_EEXIST);
    CHECK_EQ_INT(store_direct_insert(d, k, 4, STORE_ROW_NONE - 1), LC_EEXIST);
    CHECK_EQ_INT(store_direct_delete(d, k, 3, 1), LC_EINVAL);
    CHECK_EQ_INT(store_direct_delete(d, k, 5, 1), LC_EINVAL);
    CHECK_EQ_INT(store_direct_delete(d, k, 4, 2), LC_ENOTFOUND);
    CHECK_EQ_INT(store_direct_count(d), 3);
    rows_t rs = {0};
    store_direct_lookup(d, k, 3, collect, &rs);
    store_direct_lookup(d, k, 5, collect, &rs);
    store_direct_lookup(d, k, 0, collect, &rs);
    CHECK_EQ_INT(rs.n, 0);
    store_direct_lookup(d, k, 4, collect, &rs);
    CHECK_EQ_INT(rs.n, 3);
    CHECK_EQ_INT(rs.r[0], 1); /* the array row first, then overflow in order */
    CHECK_EQ_INT(rs.r[1], 0);
    CHECK_EQ_INT(rs.r[2], STORE_ROW_NONE - 1);
    /* deleting the array row promotes an overflow row */
    CHECK_OK(store_direct_delete(d, k, 4, 1));
    rows_reset(&rs);
    store_direct_lookup(d, k, 4, collect, &rs);
    CHECK_EQ_INT(rs.n, 2);
    CHECK_EQ_INT(rs.r[0], 0);
    CHECK_EQ_INT(rs.r[1], STORE_ROW_NONE - 1);
    CHECK_OK(store_direct_delete(d, k, 4, STORE_ROW_NONE - 1));
    CHECK_OK(store_direct_delete(d, k, 4, 0));
    CHECK_EQ_INT(store_direct_count(d), 0);
    free(rs.r);
    store_direct_free(d);
    store_direct_free(NULL);
}

/* Keys 0x00f0 .. 0x0110 straddle a first-byte boundary; every bound kind
 * pair over bound keys of length 0..3 matches the byte semantics. */
TEST(direct_bounds_every_kind)
{
    model_t m;
    model_init(&m, 2, 64);
    store_direct_t *d = store_direct_new(2);
    for (uint64_t v = 0xf0; v <= 0x110; v += 1 + (v & 1))
        CHECK_OK(do_insert(d, &m, v, new_row(&m)));
    CHECK_OK(do_insert(d, &m, 0x101, new_row(&m))); /* a second row for 0x0101 */
    static const char *const keys[] = {
        "",     "00",   "01",   "02",   "ff",     "0000", "00f0", "00f1",   "00ff",   "0100",
        "0101", "0110", "0111", "ffff", "00f100", "00ff", "01",   "010000", "0110ff", "ffffff"};
    uint8_t kb[LC_ARRAY_LEN(keys)][3];
    size_t kl[LC_ARRAY_LEN(keys)];
    for (size_t i = 0; i < LC_ARRAY_LEN(keys); i++) {
        kl[i] = strlen(keys[i]) / 2;
        CHECK_OK(lc_hex_decode(kb[i], kl[i], keys[i], 2 * kl[i]));
    }
    int checked = 0;
    for (int lk = 0; lk < 3; lk++) {
        for (int hk = 0; hk < 3; hk++) {
            for (size_t a = 0; a < LC_ARRAY_LEN(keys); a++) {
                for (size_t b = 0; b < LC_ARRAY_LEN(keys); b++) {
                    store_bound_t lo = {(store_bound_kind_t)lk, kb[a], kl[a]};
                    store_bound_t hi = {(store_bound_kind_t)hk, kb[b], kl[b]};
                    CHECK_MSG(check_range(d, &m, &lo, &hi), "bounds %s / %s", keys[a], keys[b]);
                    checked++;
                }
            }
        }
    }
    CHECK_EQ_INT(checked, 9 * 400);
    /* NULL bounds are unbounded */
    rows_t rs = {0};
    store_direct_range(d, NULL, NULL, collect, &rs);
    CHECK_EQ_INT(rs.n, m.n);
    free(rs.r);
    store_direct_free(d);
    model_free(&m);
}

/* Visit callbacks can stop early in lookups and range scans. */
TEST(direct_early_stop)
{
    store_direct_t *d = store_direct_new(1);
    uint8_t k[1];
    for (uint32_t i = 0; i < 30; i++) {
        k[0] = (uint8_t)(i / 3);
        CHECK_OK(store_direct_insert(d, k, 1, i));
    }
    rows_t rs = {0};
    for (size_t stop = 1; stop <= 30; stop++) {
        rows_reset(&rs);
        rs.stop_after = stop;
        store_direct_range(d, NULL, NULL, collect, &rs);
        CHECK_EQ_INT(rs.n, stop);
        for (size_t i = 0; i < rs.n; i++) CHECK_EQ_INT(rs.r[i] / 3, i / 3);
    }
    for (size_t stop = 1; stop <= 3; stop++) {
        rows_reset(&rs);
        rs.stop_after = stop;
        k[0] = 4;
        store_direct_lookup(d, k, 1, collect, &rs);
        CHECK_EQ_INT(rs.n, stop);
    }
    free(rs.r);
    store_direct_free(d);
}

/* The density rule at its exact edge, both directions; a refused insert
 * changes nothing. */
TEST(direct_erange_exact)
{
    model_t m;
    model_init(&m, 4, 128);
    store_direct_t *d = store_direct_new(4);
    for (uint32_t i = 0; i < 100; i++) CHECK_OK(do_insert(d, &m, 5000 + i, i));
    /* 101 keys may span 2 * 101 + 4096 = 4298 slots: 5000 .. 9297 */
    uint8_t k[4];
    size_t mem = store_direct_memory(d);
    enc(4, 9298, k);
    CHECK_EQ_INT(store_direct_insert(d, k, 4, 100), LC_ERANGE);
    enc(4, 5099 - 4298, k);
    CHECK_EQ_INT(store_direct_insert(d, k, 4, 100), LC_ERANGE);
    enc(4, UINT32_MAX, k);
    CHECK_EQ_INT(store_direct_insert(d, k, 4, 100), LC_ERANGE);
    CHECK_EQ_INT(store_direct_memory(d), mem);
    CHECK_EQ_INT(store_direct_count(d), 100);
    rng_t r = {3};
    m.nrows = 100;
    CHECK(check_all(d, &m, &r, 50));
    enc(4, 9297, k);
    CHECK_OK(store_direct_insert(d, k, 4, 100));
    m.keyof[100] = 9297;
    model_add(&m, 9297, 100);
    m.nrows = 101;
    CHECK(check_all(d, &m, &r, 50));
    /* a present key never hits the rule */
    enc(4, 9297, k);
    CHECK_OK(store_direct_insert(d, k, 4, 101));
    CHECK_OK(store_direct_delete(d, k, 4, 101));
    store_direct_free(d);
    model_free(&m);
}

/* Sequential inserts up, down and over a whole small key domain. */
TEST(direct_sequential_and_domain_edges)
{
    for (int dir = 0; dir < 2; dir++) {
        store_direct_t *d = store_direct_new(2);
        for (uint32_t i = 0; i < 65536; i++) {
            uint8_t k[2];
            enc(2, dir ? 65535 - i : i, k);
            CHECK_OK(store_direct_insert(d, k, 2, i));
        }
        CHECK_EQ_INT(store_direct_count(d), 65536);
        CHECK(store_direct_memory(d) <= 65536 * 4 + 1024);
        uint64_t pos = 0, prev = 0, n = 0;
        uint8_t k[2];
        uint32_t row;
        while (store_direct_next(d, &pos, k, &row)) {
            uint64_t v = dec(2, k);
            CHECK(n == 0 || v == prev + 1);
            CHECK_EQ_INT(row, dir ? 65535 - v : v);
            prev = v;
            n++;
        }
        CHECK_EQ_INT(n, 65536);
        store_direct_free(d);
    }
    store_direct_t *d = store_direct_new(1);
    for (uint32_t i = 0; i < 256; i++) {
        uint8_t k = (uint8_t)(i * 167 + 13); /* a permutation of 0..255 */
        CHECK_OK(store_direct_insert(d, &k, 1, i));
    }
    CHECK(store_direct_memory(d) <= 256 * 4 + 1024);
    store_direct_free(d);
}

/* Memory follows the data: a dense remainder shrinks the array; a sparse
 * one cannot, and the next new key is refused (the table migrates). */
TEST(direct_shrink_after_mass_delete)
{
    uint32_t n = 200000;
    uint32_t *perm = malloc(n * sizeof *perm);
    for (int sparse = 0; sparse < 2; sparse++) {
        store_direct_t *d = store_direct_new(4);
        size_t empty = store_direct_memory(d);
        uint8_t k[4];
        for (uint32_t i = 0; i < n; i++) {
            enc(4, i, k);
            CHECK_OK(store_direct_insert(d, k, 4, i));
        }
        size_t full = store_direct_memory(d);
        CHECK(full >= 4 * (size_t)n && full <= 4 * (size_t)n * 2);
        /* delete 95%: the lowest keys, or every key but each 20th */
        rng_t r = {77};
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (sparse ? i % 20 != 0 : i < n - n / 20)
                perm[m++] = i;
        }
        for (uint32_t i = m - 1; i > 0; i--) {
            uint32_t j = rnd_below(&r, i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (uint32_t i = 0; i < m; i++) {
            enc(4, perm[i], k);
            CHECK_OK(store_direct_delete(d, k, 4, perm[i]));
        }
        size_t left = store_direct_memory(d);
        uint32_t live = n - m;
        CHECK_EQ_INT(store_direct_count(d), live);
        enc(4, sparse ? n : n - n / 20 - 1, k);
        if (sparse) {
            CHECK_MSG(left == full, "sparse: %zu bytes, was %zu", left, full);
            CHECK_EQ_INT(store_direct_insert(d, k, 4, n), LC_ERANGE);
        } else {
            /* shrunk below the trigger, 4 * live + 8192 slots */
            CHECK_MSG(left <= 4 * (4 * (size_t)live + 8192) + 256, "dense: %zu bytes", left);
            CHECK_OK(store_direct_insert(d, k, 4, n));
            CHECK_OK(store_direct_delete(d, k, 4, n));
        }
        uint64_t pos = 0, cnt = 0;
        uint32_t row;
        while (store_direct_next(d, &pos, k, &row)) {
            CHECK_EQ_INT(dec(4, k), row);
            CHECK(sparse ? row % 20 == 0 : row >= n - n / 20);
            cnt++;
        }
        CHECK_EQ_INT(cnt, live);
        for (uint32_t i = 0; i < n; i++) {
            enc(4, i, k);
            int rc = store_direct_delete(d, k, 4, i);
            CHECK(rc == LC_OK || rc == LC_ENOTFOUND);
        }
        CHECK_EQ_INT(store_direct_count(d), 0);
        CHECK_EQ_INT(store_direct_memory(d), empty);
        store_direct_free(d);
    }
    free(perm);
}

/* A queue: auto-increment keys inserted at the top, deleted at the bottom.
 * The array slides along with bounded memory. */
TEST(direct_sliding_window)
{
    store_direct_t *d = store_direct_new(8);
    uint32_t w = 10000;
    uint8_t k[8];
    size_t peak = 0;
    for (uint32_t i = 0; i < 300000; i++) {
        enc(8, 1000000000000ULL + i, k);
        CHECK_OK(store_direct_insert(d, k, 8, i));
        if (i >= w) {
            enc(8, 1000000000000ULL + i - w, k);
            CHECK_OK(store_direct_delete(d, k, 8, i - w));
        }
        peak = LC_MAX(peak, store_direct_memory(d));
    }
    CHECK_EQ_INT(store_direct_count(d), w);
    CHECK_MSG(peak <= 4 * (2 * (size_t)w + 4096) + 256, "peak %zu bytes", peak);
    rows_t rs = {0};
    enc(8, 1000000000000ULL + 300000 - w, k);
    store_bound_t lo = {STORE_BOUND_INCLUDED, k, 8}, hi = {0};
    store_direct_range(d, &lo, &hi, collect, &rs);
    CHECK_EQ_INT(rs.n, w);
    for (uint32_t i = 0; i < w; i++) CHECK_EQ_INT(rs.r[i], 300000 - w + i);
    free(rs.r);
    store_direct_free(d);
}

/* With the Nth allocation failing, an insert succeeds or returns LC_ENOMEM
 * and leaves the index as it was; deletes always succeed (a shrink that
 * cannot allocate is skipped). */
TEST(direct_out_of_memory)
{
    for (int pattern = 0; pattern < 3; pattern++) {
        model_t m;
        uint32_t n = 12000;
        model_init(&m, 4, n + 1);
        store_direct_t *d = store_direct_new(4);
        rng_t r = {(uint64_t)pattern + 90};
        int failures = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t key = pattern == 0   ? 100000 + i
                           : pattern == 1 ? 100000 - i
                                          : 100000 + rnd_below(&r, 6000);
            if (pattern == 2 && m.n > 0 && rnd_below(&r, 4) == 0)
                key = m.e[rnd_below(&r, (uint32_t)m.n)].key; /* overflow rows */
            /* growth is one allocation; a new overflow key up to three */
            lc_fault_alloc_after(pattern < 2 ? 1 : 1 + rnd_below(&r, 3));
            int rc = do_insert(d, &m, key, new_row(&m));
            lc_fault_alloc_after(0);
            if (rc == 1000 + LC_ENOMEM) {
                failures++;
                CHECK_EQ_INT(store_direct_count(d), m.n);
                if (failures % 16 == 1)
                    CHECK(check_all(d, &m, &r, 4));
                rc = do_insert(d, &m, key, m.nrows - 1);
            }
            CHECK_MSG(rc <= 0, "insert %u: %d", i, rc); /* as the model predicts */
        }
        CHECK(failures > 5);
        CHECK(check_all(d, &m, &r, 50));
        while (m.n > 0) {
            size_t i = rnd_below(&r, (uint32_t)m.n);
            uint8_t k[4];
            enc(4, m.e[i].key, k);
            lc_fault_alloc_after(1);
            int rc = store_direct_delete(d, k, 4, m.e[i].row);
            lc_fault_alloc_after(0);
            CHECK_OK(rc);
            model_del(&m, i);
            if (m.n % 5000 == 0)
                CHECK(check_all(d, &m, &r, 10));
        }
        store_direct_free(d);
        model_free(&m);
    }
}

/* ---------------------------------------------------------------- benchmark */

static double now_s(void)
{
    return (double)lc_now_mono_us() / 1e6;
}

static bool first_row(void *arg, uint32_t row)
{
    *(uint32_t *)arg = row;
    return false;
}

static bool count_row(void *arg, uint32_t row)
{
    (*(uint64_t *)arg) += row;
    return true;
}

/* 1M (or 100k) dense u32 keys.  The density rule refuses keys that arrive
 * in fully random order (the second key is on average n/3 away), so the
 * random-order inserts are measured as re-inserts of a random half into
 * the full index, and a build in locally shuffled order (windows of 2048,
 * like concurrent auto-increment commits) is timed as well. */
TEST(direct_bench_u32)
{
    bool bench = getenv("LC_BENCH") != NULL;
    uint32_t n = bench ? 1000000 : 100000;
    uint32_t *perm = lc_malloc(n * sizeof *perm), *local = lc_malloc(n * sizeof *local);
    rng_t r = {99};
    for (uint32_t i = 0; i < n; i++) perm[i] = local[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = rnd_below(&r, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        uint32_t lo = i & ~2047u, lj = lo + rnd_below(&r, i - lo + 1);
        t = local[i];
        local[i] = local[lj];
        local[lj] = t;
    }
    uint8_t k[4];
    for (int order = 0; order < 2; order++) {
        const uint32_t *keys = order ? local : NULL;
        store_direct_t *d = store_direct_new(4);
        double t0 = now_s();
        for (uint32_t i = 0; i < n; i++) {
            uint32_t v = keys ? keys[i] : i;
            enc(4, v, k);
            CHECK_OK(store_direct_insert(d, k, 4, v));
        }
        double t1 = now_s();
        uint32_t misses = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t got = STORE_ROW_NONE;
            enc(4, perm[i], k);
            store_direct_lookup(d, k, 4, first_row, &got);
            misses += got != perm[i];
        }
        double t2 = now_s();
        CHECK_EQ_INT(misses, 0);
        double per = (double)store_direct_memory(d) / n;
        /* 4 bytes per slot; doubling leaves up to as many slots again */
        CHECK_MSG(per < (order ? 8.5 : 5.5), "%.2f bytes per key", per);
        uint64_t sum = 0;
        store_direct_range(d, NULL, NULL, count_row, &sum);
        double t3 = now_s();
        CHECK_EQ_INT(sum, (uint64_t)n * (n - 1) / 2);
        for (uint32_t i = 0; i < n / 2; i++) {
            enc(4, perm[i], k);
            CHECK_OK(store_direct_delete(d, k, 4, perm[i]));
        }
        double t4 = now_s();
        for (uint32_t i = 0; i < n / 2; i++) {
            enc(4, perm[i], k);
            CHECK_OK(store_direct_insert(d, k, 4, perm[i]));
        }
        double t5 = now_s();
        if (bench) {
            printf("direct %s: %u inserts %.0f ns each, %u random lookups %.1f ns each, "
                   "%.2f bytes/key, full scan %.1f ns/row\n",
                   order ? "local-shuffle" : "sequential", n, (t1 - t0) * 1e9 / n, n,
                   (t2 - t1) * 1e9 / n, per, (t3 - t2) * 1e9 / n);
            printf("direct %s: %u random deletes %.1f ns each, %u random re-inserts %.1f ns "
                   "each\n",
                   order ? "local-shuffle" : "sequential", n / 2, (t4 - t3) * 2e9 / n, n / 2,
                   (t5 - t4) * 2e9 / n);
        }
        store_direct_free(d);
    }
    lc_free(perm);
    lc_free(local);
}

const test_case_t test_store_direct_cases[] = {
    TEST_CASE(direct_model_u8),
    TEST_CASE(direct_model_u16_top_of_domain),
    TEST_CASE(direct_model_u16_heavy_duplicates),
    TEST_CASE(direct_model_i32_around_zero),
    TEST_CASE(direct_model_u64_top_of_domain),
    TEST_CASE(direct_model_u64_bottom_of_domain),
    TEST_CASE(direct_model_u32_sparse_window),
    TEST_CASE(direct_bad_arguments),
    TEST_CASE(direct_bounds_every_kind),
    TEST_CASE(direct_early_stop),
    TEST_CASE(direct_erange_exact),
    TEST_CASE(direct_sequential_and_domain_edges),
    TEST_CASE(direct_shrink_after_mass_delete),
    TEST_CASE(direct_sliding_window),
    TEST_CASE(direct_out_of_memory),
    TEST_CASE(direct_bench_u32),
    TEST_END,
};
