/*
 * Tests for src/store/heap.c: row layouts, byte-exact round trips, column
 * access, slot reuse, hashing and equality, iteration, churn against a
 * model, memory per row, large tails, malformed rows and allocation
 * failures.
 */
#include <stdlib.h>

#include "base/base.h"
#include "sats/sats.h"
#include "store/store_int.h"
#include "test.h"

/* ---------------------------------------------------------------- helpers */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(rng_next(s) % n);
}

/* A row type with its layout, built in one arena. */
typedef struct schema {
    lc_arena_t arena;
    sats_typespace_t ts;
    const sats_type_t *row;
    store_layout_t layout;
} schema_t;

static int schema_init(schema_t *s, uint32_t n, const sats_type_t *const *types)
{
    lc_arena_init(&s->arena, 0);
    s->ts = (sats_typespace_t){0, NULL};
    s->row = sats_type_product(&s->arena, n, NULL, types);
    if (s->row == NULL)
        return LC_ENOMEM;
    return store_layout_build(&s->arena, &s->ts, s->row, &s->layout, NULL);
}

static void schema_free(schema_t *s)
{
    lc_arena_free(&s->arena);
}

/* (u32, i32) */
static int schema_fixed(schema_t *s)
{
    const sats_type_t *t[] = {sats_prim(SATS_U32), sats_prim(SATS_I32)};
    return schema_init(s, 2, t);
}

/* (u32, String) */
static int schema_str(schema_t *s)
{
    const sats_type_t *t[] = {sats_prim(SATS_U32), sats_prim(SATS_STRING)};
    return schema_init(s, 2, t);
}

/* (u32, String, Option<String>, Array<U32>, Identity, (U16, String), I64):
 * fixed and tail columns interleave. */
#define MIXED_COLS 7
static int schema_mixed(schema_t *s)
{
    lc_arena_init(&s->arena, 0);
    s->ts = (sats_typespace_t){0, NULL};
    const sats_type_t *str = sats_prim(SATS_STRING);
    const sats_type_t *inner[] = {sats_prim(SATS_U16), str};
    const sats_type_t *t[MIXED_COLS] = {
        sats_prim(SATS_U32),
        str,
        sats_type_option(&s->arena, str),
        sats_type_array(&s->arena, sats_prim(SATS_U32)),
        sats_type_identity(),
        sats_type_product(&s->arena, 2, NULL, inner),
        sats_prim(SATS_I64),
    };
    for (int i = 0; i < MIXED_COLS; i++) {
        if (t[i] == NULL)
            return LC_ENOMEM;
    }
    s->row = sats_type_product(&s->arena, MIXED_COLS, NULL, t);
    if (s->row == NULL)
        return LC_ENOMEM;
    return store_layout_build(&s->arena, &s->ts, s->row, &s->layout, NULL);
}

static void put_str(lc_buf_t *b, uint64_t *rng, uint32_t n)
{
    lc_buf_put_u32le(b, n);
    uint8_t *p = lc_buf_extend(b, n);
    for (uint32_t i = 0; p != NULL && i < n; i++) p[i] = (uint8_t)('a' + rng_below(rng, 26));
}

/* A string length: mostly short, sometimes long, rarely past the largest
 * size class. */
static uint32_t str_len(uint64_t *rng)
{
    uint32_t r = rng_below(rng, 100);
    if (r < 70)
        return rng_below(rng, 24);
    if (r < 97)
        return rng_below(rng, 600);
    return 4000 + rng_below(rng, 3000);
}

/* Append a random mixed row; cols[i] receives where column i starts and
 * cols[MIXED_COLS] the end. */
static void gen_mixed(lc_buf_t *b, uint64_t *rng, size_t cols[MIXED_COLS + 1])
{
    size_t base = b->len;
    cols[0] = 0;
    lc_buf_put_u32le(b, (uint32_t)rng_next(rng));
    cols[1] = b->len - base;
    put_str(b, rng, str_len(rng));
    cols[2] = b->len - base;
    if (rng_below(rng, 2)) {
        lc_buf_putc(b, 0);
        put_str(b, rng, str_len(rng));
    } else {
        lc_buf_putc(b, 1);
    }
    cols[3] = b->len - base;
    uint32_t n = rng_below(rng, 3) == 0 ? 0 : rng_below(rng, 40);
    lc_buf_put_u32le(b, n);
    for (uint32_t i = 0; i < n; i++) lc_buf_put_u32le(b, (uint32_t)rng_next(rng));
    cols[4] = b->len - base;
    for (int i = 0; i < 4; i++) lc_buf_put_u64le(b, rng_next(rng));
    cols[5] = b->len - base;
    lc_buf_put_u16le(b, (uint16_t)rng_next(rng));
    put_str(b, rng, str_len(rng));
    cols[6] = b->len - base;
    lc_buf_put_u64le(b, rng_next(rng));
    cols[7] = b->len - base;
}

/* The stored row reads back as bsatn, with the right length, hash and
 * equality. */
static bool row_matches(const store_heap_t *h, uint32_t row, const uint8_t *bsatn, size_t len)
{
    lc_buf_t b = {0};
    bool ok = store_heap_read(h, row, &b) == 0 && b.len == len &&
              (len == 0 || memcmp(b.data, bsatn, len) == 0);
    ok = ok && store_heap_row_len(h, row) == len && store_heap_row_equals(h, row, bsatn, len);
    ok = ok && store_heap_row_hash(h, row) == store_heap_hash_bsatn(h, bsatn, len);
    lc_buf_free(&b);
    return ok;
}

static double now_ms(void)
{
    return (double)lc_now_mono_us() / 1000.0;
}

/* ---------------------------------------------------------------- layout */

TEST(heap_layout_fixed_only)
{
    schema_t s;
    CHECK_OK(schema_fixed(&s));
    store_layout_t *l = &s.layout;
    CHECK_EQ_INT(l->ncols, 2);
    CHECK_EQ_INT(l->fixed_size, 8);
    CHECK_EQ_INT(l->tail_offset, -1);
    CHECK_EQ_INT(l->ntail, 0);
    CHECK_EQ_INT(l->cols[0].fixed_size, 4);
    CHECK_EQ_INT(l->cols[0].offset, 0);
    CHECK_EQ_INT(l->cols[1].fixed_size, 4);
    CHECK_EQ_INT(l->cols[1].offset, 4);
    CHECK(l->ts == &s.ts);
    schema_free(&s);
}

TEST(heap_layout_mixed)
{
    schema_t s;
    CHECK_OK(schema_mixed(&s));
    store_layout_t *l = &s.layout;
    CHECK_EQ_INT(l->ncols, MIXED_COLS);
    CHECK_EQ_INT(l->ntail, 4);
    /* inline: u32 at 0, Identity at 4, i64 at 36; the tail ref at 44 */
    CHECK_EQ_INT(l->tail_offset, 44);
    CHECK_EQ_INT(l->fixed_size, 44 + STORE_TAIL_REF_SIZE);
    static const int32_t size[MIXED_COLS] = {4, -1, -1, -1, 32, -1, 8};
    static const uint32_t off[MIXED_COLS] = {0, 0, 0, 0, 4, 0, 36};
    static const uint32_t tidx[MIXED_COLS] = {0, 0, 1, 2, 0, 3, 0};
    for (int i = 0; i < MIXED_COLS; i++) {
        CHECK_EQ_INT(l->cols[i].fixed_size, size[i]);
        if (size[i] >= 0)
            CHECK_EQ_INT(l->cols[i].offset, off[i]);
        else
            CHECK_EQ_INT(l->cols[i].tail_index, tidx[i]);
        CHECK(l->cols[i].type != NULL && l->cols[i].type->kind != SATS_REF);
    }
    schema_free(&s);
}

TEST(heap_layout_through_ref_and_errors)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const sats_type_t *cols[] = {sats_prim(SATS_U8), sats_prim(SATS_STRING)};
    const sats_type_t *prod = sats_type_product(&a, 2, NULL, cols);
    const sats_type_t *types[] = {prod, sats_prim(SATS_U32)};
    sats_typespace_t ts = {2, types};
    store_layout_t l;
    lc_err_t err;
    CHECK_OK(store_layout_build(&a, &ts, sats_type_ref(&a, 0), &l, &err));
    CHECK_EQ_INT(l.ncols, 2);
    CHECK_EQ_INT(l.tail_offset, 1);
    CHECK_EQ_INT(l.fixed_size, 1 + STORE_TAIL_REF_SIZE);
    CHECK_EQ_INT(store_layout_build(&a, &ts, sats_type_ref(&a, 1), &l, &err), LC_EINVAL);
    CHECK(strstr(err.msg, "not a product") != NULL);
    CHECK_EQ_INT(store_layout_build(&a, &ts, sats_type_ref(&a, 7), &l, &err), LC_EINVAL);
    CHECK_EQ_INT(store_layout_build(&a, &ts, sats_prim(SATS_STRING), &l, NULL), LC_EINVAL);
    lc_arena_free(&a);
}

TEST(heap_zero_size_rows)
{
    schema_t s;
    const sats_type_t *t[] = {sats_type_unit()};
    CHECK_OK(schema_init(&s, 1, t));
    CHECK_EQ_INT(s.layout.fixed_size, 1);
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    uint32_t r1, r2;
    CHECK_OK(store_heap_insert(h, NULL, 0, &r1));
    CHECK_OK(store_heap_insert(h, (const uint8_t *)"", 0, &r2));
    CHECK(r1 != r2);
    CHECK(row_matches(h, r1, NULL, 0));
    size_t n;
    CHECK(store_heap_col(h, r2, 0, &n) != NULL && n == 0);
    uint8_t one = 0;
    CHECK_EQ_INT(store_heap_insert(h, &one, 1, &r1), LC_ECORRUPT);
    CHECK_EQ_INT(store_heap_count(h), 2);
    store_heap_free(h);
    schema_free(&s);

    /* no columns at all */
    CHECK_OK(schema_init(&s, 0, NULL));
    CHECK_EQ_INT(s.layout.fixed_size, 1);
    h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    CHECK_OK(store_heap_insert(h, NULL, 0, &r1));
    CHECK(row_matches(h, r1, NULL, 0));
    store_heap_free(h);
    schema_free(&s);
}

/* ---------------------------------------------------------------- round trips */

TEST(heap_mixed_round_trip_and_columns)
{
    schema_t s;
    CHECK_OK(schema_mixed(&s));
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    enum { N = 3000 };
    lc_buf_t all = {0};
    size_t *start = calloc(N + 1, sizeof *start);
    size_t(*cols)[MIXED_COLS + 1] = calloc(N, sizeof *cols);
    uint32_t *ids = calloc(N, sizeof *ids);
    CHECK(start && cols && ids);
    uint64_t rng = 0x5eed;
    bool ok = true;
    for (int i = 0; i < N && ok; i++) {
        start[i] = all.len;
        gen_mixed(&all, &rng, cols[i]);
        lc_rd_t r = lc_rd_make(all.data + start[i], all.len - start[i]);
        ok = sats_bsatn_skip(&r, &s.ts, s.row, NULL) == 0 && r.len == 0;
        ok = ok && store_heap_insert(h, all.data + start[i], all.len - start[i], &ids[i]) == 0;
    }
    start[N] = all.len;
    CHECK_MSG(ok, "generating or inserting rows failed");
    CHECK_EQ_INT(store_heap_count(h), N);
    for (int i = 0; i < N && ok; i++) {
        const uint8_t *row = all.data + start[i];
        ok = row_matches(h, ids[i], row, start[i + 1] - start[i]);
        for (int c = 0; c < MIXED_COLS && ok; c++) {
            size_t n;
            const uint8_t *p = store_heap_col(h, ids[i], (uint32_t)c, &n);
            size_t want = cols[i][c + 1] - cols[i][c];
            ok = p != NULL && n == want && memcmp(p, row + cols[i][c], n) == 0;
        }
        CHECK_MSG(ok, "row %d differs", i);
    }
    store_heap_free(h);
    lc_buf_free(&all);
    free(start);
    free(cols);
    free(ids);
    schema_free(&s);
}

/* Every string length up to past the largest class round-trips, and
 * deleting and reinserting reuses the freed tail blocks. */
TEST(heap_every_tail_size)
{
    schema_t s;
    CHECK_OK(schema_str(&s));
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    enum { MAXLEN = 4200 };
    uint32_t *ids = calloc(MAXLEN, sizeof *ids);
    CHECK(ids != NULL);
    lc_buf_t b = {0};
    uint64_t rng = 7;
    size_t mem_full = 0;
    for (int round = 0; round < 2; round++) {
        for (uint32_t n = 0; n < MAXLEN; n++) {
            lc_buf_reset(&b);
            lc_buf_put_u32le(&b, n);
            put_str(&b, &rng, n);
            CHECK_OK(store_heap_insert(h, b.data, b.len, &ids[n]));
            CHECK_MSG(row_matches(h, ids[n], b.data, b.len), "length %u", n);
        }
        if (round == 0)
            mem_full = store_heap_memory(h);
        else
            CHECK_EQ_INT(store_heap_memory(h), mem_full);
        for (uint32_t n = 0; n < MAXLEN; n++) store_heap_delete(h, ids[n]);
        CHECK_EQ_INT(store_heap_count(h), 0);
    }
    store_heap_free(h);
    lc_buf_free(&b);
    free(ids);
    schema_free(&s);
}

TEST(heap_large_tails)
{
    schema_t s;
    CHECK_OK(schema_str(&s));
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    lc_buf_t b = {0};
    uint64_t rng = 99;
    static const uint32_t sizes[] = {4093, 4096, 5000, 100000, 1u << 20};
    uint32_t ids[LC_ARRAY_LEN(sizes)];
    size_t before = store_heap_memory(h);
    long live_before = lc_alloc_live();
    for (size_t i = 0; i < LC_ARRAY_LEN(sizes); i++) {
        lc_buf_reset(&b);
        lc_buf_put_u32le(&b, (uint32_t)i);
        put_str(&b, &rng, sizes[i]);
        CHECK_OK(store_heap_insert(h, b.data, b.len, &ids[i]));
        CHECK(row_matches(h, ids[i], b.data, b.len));
        size_t n;
        const uint8_t *p = store_heap_col(h, ids[i], 1, &n);
        CHECK(p != NULL && n == 4 + sizes[i] && memcmp(p, b.data + 4, n) == 0);
    }
    CHECK(store_heap_memory(h) >= before + 100000 + (1u << 20));
    /* the tails > 4096 bytes are lc_malloc blocks of their own */
    CHECK(lc_alloc_live() - live_before >= 3);
    for (size_t i = 2; i < LC_ARRAY_LEN(sizes); i++) store_heap_delete(h, ids[i]);
    CHECK(store_heap_memory(h) < before + 100000);
    store_heap_delete(h, ids[0]);
    store_heap_delete(h, ids[1]);
    /* one more large tail left live: store_heap_free must free it */
    lc_buf_reset(&b);
    lc_buf_put_u32le(&b, 1);
    put_str(&b, &rng, 70000);
    CHECK_OK(store_heap_insert(h, b.data, b.len, &ids[0]));
    store_heap_free(h);
    lc_buf_free(&b);
    schema_free(&s);
}

/* ---------------------------------------------------------------- slots */

static int put_fixed(store_heap_t *h, uint32_t a, int32_t b, uint32_t *row)
{
    uint8_t buf[8];
    lc_store_u32le(buf, a);
    lc_store_u32le(buf + 4, (uint32_t)b);
    return store_heap_insert(h, buf, sizeof buf, row);
}

TEST(heap_delete_and_reuse_lowest_slot)
{
    schema_t s;
    CHECK_OK(schema_fixed(&s));
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    uint32_t ids[10], r;
    for (uint32_t i = 0; i < 10; i++) {
        CHECK_OK(put_fixed(h, i, -(int32_t)i, &ids[i]));
        if (i > 0)
            CHECK(ids[i] != ids[i - 1]);
    }
    store_heap_delete(h, ids[5]);
    store_heap_delete(h, ids[3]);
    CHECK(!store_heap_is_live(h, ids[3]));
    CHECK(!store_heap_is_live(h, ids[5]));
    CHECK(store_heap_is_live(h, ids[4]));
    CHECK(!store_heap_is_live(h, STORE_ROW_NONE));
    CHECK(!store_heap_is_live(h, 1u << 30));
    CHECK_EQ_INT(store_heap_count(h), 8);
    CHECK_OK(put_fixed(h, 100, 100, &r));
    CHECK_EQ_INT(r, ids[3]); /* lowest free id first */
    CHECK_OK(put_fixed(h, 101, 101, &r));
    CHECK_EQ_INT(r, ids[5]);
    CHECK_OK(put_fixed(h, 102, 102, &r));
    CHECK(r != ids[3] && r != ids[5]);
    size_t n;
    const uint8_t *p = store_heap_col(h, ids[5], 1, &n);
    CHECK(p != NULL && n == 4 && lc_load_u32le(p) == 101);
    store_heap_free(h);
    schema_free(&s);
}

/* Emptying a page releases it; the ids come back in the same order. */
TEST(heap_pages_released_and_reused)
{
    schema_t s;
    CHECK_OK(schema_fixed(&s));
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    enum { N = 40000 }; /* about five pages */
    uint32_t *ids = calloc(N, sizeof *ids);
    CHECK(ids != NULL);
    for (uint32_t i = 0; i < N; i++) CHECK_OK(put_fixed(h, i, 0, &ids[i]));
    size_t full = store_heap_memory(h);
    for (uint32_t i = 0; i < N; i++) store_heap_delete(h, ids[i]);
    CHECK(store_heap_memory(h) < full / 4); /* one spare page remains */
    uint32_t r = STORE_ROW_NONE;
    CHECK(!store_heap_next(h, &r));
    for (uint32_t i = 0; i < N; i++) {
        uint32_t id;
        CHECK_OK(put_fixed(h, i, 1, &id));
        CHECK_EQ_INT(id, ids[i]);
    }
    CHECK_EQ_INT(store_heap_memory(h), full);
    store_heap_free(h);
    free(ids);
    schema_free(&s);
}

/* ---------------------------------------------------------------- hash, equality */

TEST(heap_hash_and_equality)
{
    schema_t s;
    CHECK_OK(schema_mixed(&s));
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    lc_buf_t b = {0};
    size_t cols[MIXED_COLS + 1];
    uint64_t rng = 0xabc;
    gen_mixed(&b, &rng, cols);
    uint32_t r1, r2, r3;
    CHECK_OK(store_heap_insert(h, b.data, b.len, &r1));
    CHECK_OK(store_heap_insert(h, b.data, b.len, &r2)); /* the heap keeps duplicates */
    CHECK(r1 != r2);
    CHECK(store_heap_row_hash(h, r1) == store_heap_row_hash(h, r2));
    CHECK(store_heap_row_hash(h, r1) == store_heap_hash_bsatn(h, b.data, b.len));
    CHECK(store_heap_row_equals(h, r1, b.data, b.len));
    CHECK(!store_heap_row_equals(h, r1, b.data, b.len - 1));
    /* flip one byte in every column in turn: unequal and (almost surely)
     * a different hash */
    for (int c = 0; c < MIXED_COLS; c++) {
        size_t at = cols[c + 1] - 1;
        b.data[at] ^= 0x01;
        CHECK_MSG(!store_heap_row_equals(h, r1, b.data, b.len), "column %d", c);
        CHECK(store_heap_hash_bsatn(h, b.data, b.len) != store_heap_row_hash(h, r1));
        lc_rd_t rd = lc_rd_make(b.data, b.len);
        if (sats_bsatn_skip(&rd, &s.ts, s.row, NULL) == 0 && rd.len == 0) {
            CHECK_OK(store_heap_insert(h, b.data, b.len, &r3));
            CHECK(row_matches(h, r3, b.data, b.len));
        }
        b.data[at] ^= 0x01;
    }
    /* the hash of fixed-only rows agrees too */
    schema_t f;
    CHECK_OK(schema_fixed(&f));
    store_heap_t *hf = store_heap_new(&f.layout);
    CHECK(hf != NULL);
    CHECK_OK(put_fixed(hf, 7, -7, &r1));
    uint8_t raw[8];
    lc_store_u32le(raw, 7);
    lc_store_u32le(raw + 4, (uint32_t)-7);
    CHECK(store_heap_row_hash(hf, r1) == store_heap_hash_bsatn(hf, raw, 8));
    CHECK(store_heap_row_equals(hf, r1, raw, 8));
    raw[7] ^= 1;
    CHECK(!store_heap_row_equals(hf, r1, raw, 8));
    store_heap_free(hf);
    schema_free(&f);
    store_heap_free(h);
    lc_buf_free(&b);
    schema_free(&s);
}

/* ---------------------------------------------------------------- iteration */

TEST(heap_iteration_order_and_count)
{
    schema_t s;
    CHECK_OK(schema_fixed(&s));
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    uint32_t r = STORE_ROW_NONE;
    CHECK(!store_heap_next(h, &r));
    enum { N = 20000 };
    uint32_t *ids = calloc(N, sizeof *ids);
    CHECK(ids != NULL);
    for (uint32_t i = 0; i < N; i++) CHECK_OK(put_fixed(h, i, 0, &ids[i]));
    /* delete every third row and a whole page's worth in the middle */
    uint64_t live = N;
    for (uint32_t i = 0; i < N; i++) {
        if (i % 3 == 0 || (i >= 9000 && i < 18000)) {
            store_heap_delete(h, ids[i]);
            live--;
        }
    }
    CHECK_EQ_INT(store_heap_count(h), live);
    uint64_t seen = 0;
    uint32_t prev = 0;
    for (r = STORE_ROW_NONE; store_heap_next(h, &r); seen++) {
        CHECK(seen == 0 || r > prev);
        CHECK(store_heap_is_live(h, r));
        size_t n;
        const uint8_t *p = store_heap_col(h, r, 0, &n);
        uint32_t i = lc_load_u32le(p);
        CHECK(i < N && ids[i] == r && i % 3 != 0);
        prev = r;
    }
    CHECK_EQ_INT(seen, live);
    store_heap_free(h);
    free(ids);
    schema_free(&s);
}

/* ---------------------------------------------------------------- churn */

/* The model: the BSATN of each live row, by row id. */
typedef struct model {
    lc_buf_t *rows; /* rows[id]; data == NULL: not live */
    uint32_t cap;
    uint32_t *live; /* live ids, unordered */
    uint32_t nlive;
} model_t;

static void model_free(model_t *m)
{
    for (uint32_t i = 0; i < m->cap; i++) lc_buf_free(&m->rows[i]);
    free(m->rows);
    free(m->live);
}

static bool model_put(model_t *m, uint32_t id, const uint8_t *p, size_t n)
{
    if (id >= m->cap) {
        uint32_t cap = LC_MAX(id + 1, 2 * m->cap);
        m->rows = realloc(m->rows, cap * sizeof *m->rows);
        m->live = realloc(m->live, cap * sizeof *m->live);
        memset(m->rows + m->cap, 0, (cap - m->cap) * sizeof *m->rows);
        m->cap = cap;
    }
    if (m->rows[id].len != 0 || m->rows[id].data != NULL)
        return false; /* the heap handed out a live id */
    lc_buf_append(&m->rows[id], p, n);
    lc_buf_putc(&m->rows[id], 0); /* keep data non-NULL for empty rows */
    m->rows[id].len = n;
    m->live[m->nlive++] = id;
    return true;
}

static bool model_check(const store_heap_t *h, const model_t *m)
{
    if (store_heap_count(h) != m->nlive)
        return false;
    uint64_t seen = 0;
    for (uint32_t r = STORE_ROW_NONE; store_heap_next(h, &r); seen++) {
        if (r >= m->cap || m->rows[r].data == NULL)
            return false;
        if (!row_matches(h, r, m->rows[r].data, m->rows[r].len))
            return false;
    }
    return seen == m->nlive;
}

TEST(heap_churn_against_model)
{
    schema_t s;
    CHECK_OK(schema_mixed(&s));
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    model_t m = {0};
    lc_buf_t b = {0};
    size_t cols[MIXED_COLS + 1];
    uint64_t rng = 0xc0ffee;
    for (int op = 0; op < 100000; op++) {
        /* grow towards ~3000 rows, then hover around it */
        bool insert = m.nlive == 0 || rng_below(&rng, 6000) >= m.nlive;
        if (insert) {
            lc_buf_reset(&b);
            gen_mixed(&b, &rng, cols);
            uint32_t id;
            CHECK_OK(store_heap_insert(h, b.data, b.len, &id));
            CHECK_MSG(model_put(&m, id, b.data, b.len), "op %d: id %u reused while live", op, id);
        } else {
            uint32_t k = rng_below(&rng, m.nlive), id = m.live[k];
            CHECK_MSG(row_matches(h, id, m.rows[id].data, m.rows[id].len), "op %d", op);
            store_heap_delete(h, id);
            lc_buf_free(&m.rows[id]);
            m.live[k] = m.live[--m.nlive];
        }
        if (op % 10000 == 9999)
            CHECK_MSG(model_check(h, &m), "model differs after op %d", op);
    }
    CHECK(model_check(h, &m));
    while (m.nlive > 0) {
        store_heap_delete(h, m.live[--m.nlive]);
    }
    CHECK_EQ_INT(store_heap_count(h), 0);
    store_heap_free(h);
    model_free(&m);
    lc_buf_free(&b);
    schema_free(&s);
}

/* ---------------------------------------------------------------- memory */

TEST(heap_memory_per_row_fixed)
{
    schema_t s;
    CHECK_OK(schema_fixed(&s));
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    enum { N = 1000000 };
    double t0 = now_ms();
    for (uint32_t i = 0; i < N; i++) {
        uint32_t r;
        CHECK_OK(put_fixed(h, i, (int32_t)i * 7, &r));
    }
    double t1 = now_ms();
    lc_buf_t b = {0};
    uint64_t sum = 0;
    for (uint32_t r = STORE_ROW_NONE; store_heap_next(h, &r);) {
        lc_buf_reset(&b);
        CHECK_OK(store_heap_read(h, r, &b));
        sum += lc_load_u32le(b.data);
    }
    double t2 = now_ms();
    CHECK_EQ_INT(sum, (uint64_t)N * (N - 1) / 2);
    double per_row = (double)store_heap_memory(h) / N;
    printf("  heap: 1M (u32, i32) rows: %.2f bytes/row; insert %.0f ms, read %.0f ms\n", per_row,
           t1 - t0, t2 - t1);
    CHECK_MSG(per_row <= 10.0, "%.2f bytes per row", per_row);
    lc_buf_free(&b);
    store_heap_free(h);
    schema_free(&s);
}

TEST(heap_memory_per_row_string)
{
    schema_t s;
    CHECK_OK(schema_str(&s));
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    enum { N = 1000000 };
    uint8_t row[18];
    lc_store_u32le(row + 4, 10);
    memcpy(row + 8, "0123456789", 10);
    double t0 = now_ms();
    for (uint32_t i = 0; i < N; i++) {
        uint32_t r;
        lc_store_u32le(row, i);
        CHECK_OK(store_heap_insert(h, row, sizeof row, &r));
    }
    double t1 = now_ms();
    lc_buf_t b = {0};
    for (uint32_t r = STORE_ROW_NONE; store_heap_next(h, &r);) {
        lc_buf_reset(&b);
        CHECK_OK(store_heap_read(h, r, &b));
        CHECK(b.len == sizeof row);
    }
    double t2 = now_ms();
    double per_row = (double)store_heap_memory(h) / N;
    printf("  heap: 1M (u32, String[10]) rows: %.2f bytes/row; insert %.0f ms, read %.0f ms\n",
           per_row, t1 - t0, t2 - t1);
    CHECK_MSG(per_row <= 36.0, "%.2f bytes per row", per_row);
    lc_buf_free(&b);
    store_heap_free(h);
    schema_free(&s);
}

/* ---------------------------------------------------------------- bad input */

TEST(heap_malformed_rows_rejected)
{
    schema_t s;
    CHECK_OK(schema_mixed(&s));
    store_heap_t *h = store_heap_new(&s.layout);
    CHECK(h != NULL);
    lc_buf_t b = {0};
    size_t cols[MIXED_COLS + 1];
    uint64_t rng = 3;
    gen_mixed(&b, &rng, cols);
    uint32_t r;
    long live = lc_alloc_live();
    /* every proper prefix is rejected, and so is a trailing byte */
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *copy = malloc(n + 1); /* exact size: ASan catches over-reads */
        memcpy(copy, b.data, n);
        int rc = store_heap_insert(h, copy, n, &r);
        free(copy);
        CHECK_MSG(rc == LC_ECORRUPT, "prefix of %zu bytes: %d", n, rc);
        CHECK(r == STORE_ROW_NONE);
    }
    lc_buf_putc(&b, 0);
    CHECK_EQ_INT(store_heap_insert(h, b.data, b.len, &r), LC_ECORRUPT);
    b.len--;
    /* a string length running past the end */
    uint32_t saved = lc_load_u32le(b.data + cols[1]);
    lc_store_u32le(b.data + cols[1], 0xFFFFFFF0u);
    CHECK_EQ_INT(store_heap_insert(h, b.data, b.len, &r), LC_ECORRUPT);
    lc_store_u32le(b.data + cols[1], saved);
    /* a bad Option tag */
    uint8_t tag = b.data[cols[2]];
    b.data[cols[2]] = 2;
    CHECK_EQ_INT(store_heap_insert(h, b.data, b.len, &r), LC_ECORRUPT);
    b.data[cols[2]] = tag;
    CHECK_EQ_INT(store_heap_count(h), 0);
    CHECK_EQ_INT(lc_alloc_live(), live);
    CHECK_OK(store_heap_insert(h, b.data, b.len, &r));
    CHECK(row_matches(h, r, b.data, b.len));

    /* fixed-only rows: the size must be exact */
    schema_t f;
    CHECK_OK(schema_fixed(&f));
    store_heap_t *hf = store_heap_new(&f.layout);
    CHECK(hf != NULL);
    uint8_t raw[9] = {0};
    CHECK_EQ_INT(store_heap_insert(hf, raw, 7, &r), LC_ECORRUPT);
    CHECK_EQ_INT(store_heap_insert(hf, raw, 9, &r), LC_ECORRUPT);
    CHECK_EQ_INT(store_heap_count(hf), 0);
    store_heap_free(hf);
    schema_free(&f);

    /* (u32, String) with a truncated string (length says 100, 3 bytes) */
    schema_t t;
    CHECK_OK(schema_str(&t));
    store_heap_t *ht = store_heap_new(&t.layout);
    CHECK(ht != NULL);
    uint8_t row[11] = {1, 0, 0, 0, 100, 0, 0, 0, 'a', 'b', 'c'};
    CHECK_EQ_INT(store_heap_insert(ht, row, sizeof row, &r), LC_ECORRUPT);
    CHECK_EQ_INT(store_heap_insert(ht, row, 6, &r), LC_ECORRUPT); /* half a length */
    row[4] = 3;
    CHECK_OK(store_heap_insert(ht, row, sizeof row, &r));
    CHECK(row_matches(ht, r, row, sizeof row));
    store_heap_free(ht);
    schema_free(&t);

    store_heap_free(h);
    lc_buf_free(&b);
    schema_free(&s);
}

/* ---------------------------------------------------------------- faults */

/* With the Nth allocation failing, an insert either succeeds or returns
 * LC_ENOMEM leaving the heap as it was. */
TEST(heap_allocation_failures)
{
    schema_t s;
    CHECK_OK(schema_mixed(&s));
    lc_buf_t rows = {0};
    size_t start[301], cols[MIXED_COLS + 1];
    uint64_t rng = 11;
    for (int i = 0; i < 300; i++) {
        start[i] = rows.len;
        gen_mixed(&rows, &rng, cols);
    }
    start[300] = rows.len;
    for (long fail = 1; fail < 60; fail++) {
        store_heap_t *h = store_heap_new(&s.layout);
        if (h == NULL)
            continue;
        lc_fault_alloc_after(fail);
        int i = 0, rc = 0;
        uint32_t ids[300];
        for (; i < 300; i++) {
            rc = store_heap_insert(h, rows.data + start[i], start[i + 1] - start[i], &ids[i]);
            if (rc != 0)
                break;
        }
        lc_fault_alloc_after(0);
        CHECK(rc == 0 || rc == LC_ENOMEM);
        CHECK_EQ_INT(store_heap_count(h), i);
        for (int j = 0; j < i; j++) {
            CHECK(row_matches(h, ids[j], rows.data + start[j], start[j + 1] - start[j]));
        }
        if (i < 300) {
            CHECK_OK(store_heap_insert(h, rows.data + start[i], start[i + 1] - start[i], &ids[i]));
            CHECK(row_matches(h, ids[i], rows.data + start[i], start[i + 1] - start[i]));
        }
        store_heap_free(h);
    }
    lc_fault_alloc_after(1);
    CHECK(store_heap_new(&s.layout) == NULL);
    lc_fault_alloc_after(0);
    lc_buf_free(&rows);
    schema_free(&s);
}

const test_case_t test_store_heap_cases[] = {
    TEST_CASE(heap_layout_fixed_only),
    TEST_CASE(heap_layout_mixed),
    TEST_CASE(heap_layout_through_ref_and_errors),
    TEST_CASE(heap_zero_size_rows),
    TEST_CASE(heap_mixed_round_trip_and_columns),
    TEST_CASE(heap_every_tail_size),
    TEST_CASE(heap_large_tails),
    TEST_CASE(heap_delete_and_reuse_lowest_slot),
    TEST_CASE(heap_pages_released_and_reused),
    TEST_CASE(heap_hash_and_equality),
    TEST_CASE(heap_iteration_order_and_count),
    TEST_CASE(heap_churn_against_model),
    TEST_CASE(heap_memory_per_row_fixed),
    TEST_CASE(heap_memory_per_row_string),
    TEST_CASE(heap_malformed_rows_rejected),
    TEST_CASE(heap_allocation_failures),
    TEST_END,
};
