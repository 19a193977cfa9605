/* Builds RawModuleDef V10 bytes by hand for the module-definition tests
 * (test_module_def.c, test_module_migrate.c): each section's payload is
 * written byte by byte as module-abi.md §5 lays it out. */
#ifndef LC_TEST_MOD_DEF_BUILDER_H
#define LC_TEST_MOD_DEF_BUILDER_H

#include <string.h>

#include "module/mod_def.h"
#include "sats_util.h"
#include "test.h"

enum {
    MDB_TYPES = 1,
    MDB_TABLES = 2,
    MDB_REDUCERS = 3,
    MDB_PROCEDURES = 4,
    MDB_VIEWS = 5,
    MDB_SCHEDULES = 6,
    MDB_LIFECYCLE = 7,
    MDB_RLS = 8,
    MDB_CASE = 9,
    MDB_EXPLICIT = 10,
    MDB_HANDLERS = 11,
    MDB_ROUTES = 12,
    MDB_VIEW_PKS = 13,
    MDB_NSEC = 14,
};

typedef struct mdb {
    lc_arena_t a; /* types built by the test */
    lc_buf_t ts;  /* typespace entries */
    uint32_t nts;
    lc_buf_t sec[MDB_NSEC]; /* array sections: elements */
    uint32_t cnt[MDB_NSEC];
    int case_policy; /* -1: no section */
} mdb_t;

typedef struct mt_index {
    const char *source; /* NULL: none (invalid in V10) */
    const char *accessor;
    uint8_t algo;
    uint8_t ncols;
    uint16_t cols[4];
} mt_index_t;

typedef struct mt_seq {
    const char *name;
    uint16_t col;
    bool has_start, has_min, has_max;
    int64_t start, min, max;
    int64_t increment; /* 0 means 1 */
} mt_seq_t;

typedef struct mt_unique {
    uint8_t ncols;
    uint16_t cols[4];
} mt_unique_t;

typedef struct mt_default {
    uint16_t col;
    const char *hex; /* BSATN of the value */
} mt_default_t;

typedef struct mt_table {
    const char *name;
    uint32_t ref;
    int npk;
    uint16_t pk[2];
    mt_index_t idx[8];
    unsigned nidx;
    mt_unique_t uniq[4];
    unsigned nuniq;
    mt_seq_t seq[4];
    unsigned nseq;
    bool system;
    bool private_;
    mt_default_t defs[4];
    unsigned ndefs;
    bool is_event;
} mt_table_t;

static inline void mdb_init(mdb_t *b)
{
    memset(b, 0, sizeof *b);
    lc_arena_init(&b->a, 0);
    b->case_policy = -1;
}

static inline void mdb_free(mdb_t *b)
{
    lc_buf_free(&b->ts);
    for (int i = 0; i < MDB_NSEC; i++) lc_buf_free(&b->sec[i]);
    lc_arena_free(&b->a);
}

static inline void put_str(lc_buf_t *o, const char *s)
{
    lc_buf_put_u32le(o, (uint32_t)strlen(s));
    lc_buf_puts(o, s);
}

static inline void put_opt_str(lc_buf_t *o, const char *s)
{
    lc_buf_putc(o, s ? 0 : 1);
    if (s)
        put_str(o, s);
}

static inline void put_i128(lc_buf_t *o, int64_t v)
{
    lc_buf_put_u64le(o, (uint64_t)v);
    lc_buf_put_u64le(o, v < 0 ? UINT64_MAX : 0);
}

static inline void put_opt_i128(lc_buf_t *o, bool has, int64_t v)
{
    lc_buf_putc(o, has ? 0 : 1);
    if (has)
        put_i128(o, v);
}

static inline void put_cols(lc_buf_t *o, unsigned n, const uint16_t *cols)
{
    lc_buf_put_u32le(o, n);
    for (unsigned i = 0; i < n; i++) lc_buf_put_u16le(o, cols[i]);
}

/* A ProductType value: elements with no AlgebraicType tag. */
static inline void put_product(lc_buf_t *o, const sats_type_t *p)
{
    lc_buf_put_u32le(o, p->u.fields.n);
    for (uint32_t i = 0; i < p->u.fields.n; i++) {
        put_opt_str(o, p->u.fields.items[i].name);
        sats_type_encode(o, p->u.fields.items[i].type);
    }
}

static inline void put_hex(lc_buf_t *o, const char *hex)
{
    uint8_t buf[256];
    long n = test_unhex(hex, buf, sizeof buf);
    lc_buf_put_u32le(o, (uint32_t)(n < 0 ? 0 : n));
    if (n > 0)
        lc_buf_append(o, buf, (size_t)n);
}

static inline lc_buf_t *mdb_sec(mdb_t *b, int sec)
{
    b->cnt[sec]++;
    return &b->sec[sec];
}

/* Add t to the typespace; with a name, also declare it in Types. */
static inline uint32_t mdb_type(mdb_t *b, const char *name, const sats_type_t *t, bool custom)
{
    sats_type_encode(&b->ts, t);
    uint32_t ref = b->nts++;
    if (name) {
        lc_buf_t *o = mdb_sec(b, MDB_TYPES);
        lc_buf_put_u32le(o, 0); /* scope */
        put_str(o, name);
        lc_buf_put_u32le(o, ref);
        lc_buf_putc(o, custom);
    }
    return ref;
}

/* A declared type with a scope. */
static inline uint32_t mdb_scoped_type(mdb_t *b, const char *scope, const char *name,
                                       const sats_type_t *t)
{
    sats_type_encode(&b->ts, t);
    uint32_t ref = b->nts++;
    lc_buf_t *o = mdb_sec(b, MDB_TYPES);
    lc_buf_put_u32le(o, 1);
    put_str(o, scope);
    put_str(o, name);
    lc_buf_put_u32le(o, ref);
    lc_buf_putc(o, 1);
    return ref;
}

static inline void mdb_table(mdb_t *b, const mt_table_t *t)
{
    lc_buf_t *o = mdb_sec(b, MDB_TABLES);
    put_str(o, t->name);
    lc_buf_put_u32le(o, t->ref);
    put_cols(o, (unsigned)t->npk, t->pk);
    lc_buf_put_u32le(o, t->nidx);
    for (unsigned i = 0; i < t->nidx; i++) {
        const mt_index_t *x = &t->idx[i];
        put_opt_str(o, x->source);
        put_opt_str(o, x->accessor);
        lc_buf_putc(o, x->algo);
        if (x->algo == MOD_INDEX_DIRECT)
            lc_buf_put_u16le(o, x->cols[0]);
        else
            put_cols(o, x->ncols, x->cols);
    }
    lc_buf_put_u32le(o, t->nuniq);
    for (unsigned i = 0; i < t->nuniq; i++) {
        put_opt_str(o, NULL);
        lc_buf_putc(o, 0);
        put_cols(o, t->uniq[i].ncols, t->uniq[i].cols);
    }
    lc_buf_put_u32le(o, t->nseq);
    for (unsigned i = 0; i < t->nseq; i++) {
        const mt_seq_t *s = &t->seq[i];
        put_opt_str(o, s->name);
        lc_buf_put_u16le(o, s->col);
        put_opt_i128(o, s->has_start, s->start);
        put_opt_i128(o, s->has_min, s->min);
        put_opt_i128(o, s->has_max, s->max);
        put_i128(o, s->increment ? s->increment : 1);
    }
    lc_buf_putc(o, t->system ? 0 : 1);
    lc_buf_putc(o, t->private_ ? 1 : 0);
    lc_buf_put_u32le(o, t->ndefs);
    for (unsigned i = 0; i < t->ndefs; i++) {
        lc_buf_put_u16le(o, t->defs[i].col);
        put_hex(o, t->defs[i].hex);
    }
    lc_buf_putc(o, t->is_event);
}

static inline void mdb_reducer_ret(mdb_t *b, const char *name, const sats_type_t *params, int vis,
                                   const sats_type_t *ok, const sats_type_t *err)
{
    lc_buf_t *o = mdb_sec(b, MDB_REDUCERS);
    put_str(o, name);
    put_product(o, params);
    lc_buf_putc(o, (uint8_t)vis);
    sats_type_encode(o, ok);
    sats_type_encode(o, err);
}

static inline void mdb_reducer(mdb_t *b, const char *name, const sats_type_t *params, int vis)
{
    mdb_reducer_ret(b, name, params, vis, sats_type_unit(), sats_prim(SATS_STRING));
}

static inline void mdb_lifecycle(mdb_t *b, int spec, const char *fn)
{
    lc_buf_t *o = mdb_sec(b, MDB_LIFECYCLE);
    lc_buf_putc(o, (uint8_t)spec);
    put_str(o, fn);
}

static inline void mdb_schedule(mdb_t *b, const char *table, uint16_t col, const char *fn)
{
    lc_buf_t *o = mdb_sec(b, MDB_SCHEDULES);
    put_opt_str(o, NULL);
    put_str(o, table);
    lc_buf_put_u16le(o, col);
    put_str(o, fn);
}

static inline void mdb_rls(mdb_t *b, const char *sql)
{
    put_str(mdb_sec(b, MDB_RLS), sql);
}

static inline void mdb_explicit(mdb_t *b, int kind, const char *src, const char *canon)
{
    lc_buf_t *o = mdb_sec(b, MDB_EXPLICIT);
    lc_buf_putc(o, (uint8_t)kind);
    put_str(o, src);
    put_str(o, canon);
}

static inline void mdb_procedure(mdb_t *b, const char *name, const sats_type_t *params,
                                 const sats_type_t *ret, int vis)
{
    lc_buf_t *o = mdb_sec(b, MDB_PROCEDURES);
    put_str(o, name);
    put_product(o, params);
    sats_type_encode(o, ret);
    lc_buf_putc(o, (uint8_t)vis);
}

static inline void mdb_view(mdb_t *b, const char *name, uint32_t index, bool pub, bool anon,
                            const sats_type_t *params, const sats_type_t *ret)
{
    lc_buf_t *o = mdb_sec(b, MDB_VIEWS);
    put_str(o, name);
    lc_buf_put_u32le(o, index);
    lc_buf_putc(o, pub);
    lc_buf_putc(o, anon);
    put_product(o, params);
    sats_type_encode(o, ret);
}

static inline void mdb_http_handler(mdb_t *b, const char *name)
{
    put_str(mdb_sec(b, MDB_HANDLERS), name);
}

/* method: a Method tag, or -1 for Any. */
static inline void mdb_http_route(mdb_t *b, const char *handler, int method, const char *path)
{
    lc_buf_t *o = mdb_sec(b, MDB_ROUTES);
    put_str(o, handler);
    lc_buf_putc(o, method < 0 ? 0 : 1);
    if (method >= 0)
        lc_buf_putc(o, (uint8_t)method);
    put_str(o, path);
}

static inline void mdb_view_pk(mdb_t *b, const char *view, int ncols, const char *col)
{
    lc_buf_t *o = mdb_sec(b, MDB_VIEW_PKS);
    put_str(o, view);
    lc_buf_put_u32le(o, (uint32_t)ncols);
    for (int i = 0; i < ncols; i++) put_str(o, col);
}

/* The RawModuleDef bytes (lc_malloc'd; the caller lc_frees them).  The
 * builder is freed. */
static inline uint8_t *mdb_finish(mdb_t *b, size_t *len)
{
    lc_buf_t o = {0};
    uint32_t nsec = 1 + (b->case_policy >= 0);
    for (int s = 1; s < MDB_NSEC; s++) nsec += b->cnt[s] > 0 && s != MDB_CASE;
    lc_buf_putc(&o, 2);
    lc_buf_put_u32le(&o, nsec);
    lc_buf_putc(&o, 0);
    lc_buf_put_u32le(&o, b->nts);
    lc_buf_append(&o, b->ts.data, b->ts.len);
    for (int s = 1; s < MDB_NSEC; s++) {
        if (b->cnt[s] == 0 || s == MDB_CASE)
            continue;
        lc_buf_putc(&o, (uint8_t)s);
        lc_buf_put_u32le(&o, b->cnt[s]);
        lc_buf_append(&o, b->sec[s].data, b->sec[s].len);
    }
    if (b->case_policy >= 0) {
        lc_buf_putc(&o, MDB_CASE);
        lc_buf_putc(&o, (uint8_t)b->case_policy);
    }
    mdb_free(b);
    return lc_buf_take(&o, len);
}

/* A product type for a table row: n (name, type) pairs. */
#define ROW(b, n, ...) PRODUCT(&(b)->a, n, __VA_ARGS__)

#endif
