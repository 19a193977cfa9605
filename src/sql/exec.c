/*
 * exec — runs a plan: fetches rows through the chosen access paths (over a
 * read view or the mutable transaction), joins them left-deep, filters each
 * conjunct as soon as the tables it names are joined, then groups and
 * aggregates or projects, sorts (stable, sats_value_cmp), and applies
 * OFFSET and LIMIT.  DML collects the matching rows first and changes them
 * after, so a statement never sees its own writes.
 *
 * Everything is materialised in the caller's arena; results are as large as
 * the rows they hold.
 */
#include "sql/sql_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct src {
    store_view_t *v;
    store_tx_t *tx;
} src_t;

typedef struct exec {
    const sql_plan_t *p;
    const sql_stmt_t *s;
    src_t src;
    lc_arena_t *a;
    lc_err_t *err;
    sql_stats_t stats;
    sql_expr_t **conj;
    int *conj_tab; /* the last FROM table each conjunct names */
    uint32_t nconj, capconj;
} exec_t;

/* A vector of pointers. */
typedef struct vec {
    void **v;
    uint32_t n, cap;
} vec_t;

static int oom(lc_err_t *err)
{
    return lc_err_set(err, LC_ENOMEM, "out of memory");
}

static int push(exec_t *x, vec_t *v, void *item)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        void **nv = lc_arena_alloc(x->a, v->cap * sizeof *nv);
        if (!nv)
            return oom(x->err);
        if (v->n)
            memcpy(nv, v->v, v->n * sizeof *nv);
        v->v = nv;
    }
    v->v[v->n++] = item;
    return LC_OK;
}

/* ---------------------------------------------------------------- predicates */

static const sats_value_t *operand(const sql_expr_t *e, sats_value_t *const *rows)
{
    if (e->kind == EX_COL)
        return &rows[e->u.col.tab]->u.elems.items[e->u.col.col];
    return &e->val;
}

bool sql__eval(const sql_expr_t *e, sats_value_t *const *rows)
{
    switch (e->kind) {
    case EX_CMP: {
        const sql_expr_t *l = e->u.cmp.l;
        int d = sats_value_cmp(l->ts, l->type, operand(l, rows), operand(e->u.cmp.r, rows));
        switch (e->u.cmp.op) {
        case CMP_EQ:
            return d == 0;
        case CMP_NE:
            return d != 0;
        case CMP_LT:
            return d < 0;
        case CMP_LE:
            return d <= 0;
        case CMP_GT:
            return d > 0;
        default:
            return d >= 0;
        }
    }
    case EX_AND:
        return sql__eval(e->u.bin.l, rows) && sql__eval(e->u.bin.r, rows);
    case EX_OR:
        return sql__eval(e->u.bin.l, rows) || sql__eval(e->u.bin.r, rows);
    case EX_NOT:
        return !sql__eval(e->u.bin.l, rows);
    case EX_COL:
    case EX_LIT:
        return operand(e, rows)->u.b;
    case EX_IN: {
        const sql_expr_t *c = e->u.in.l;
        const sats_value_t *v = operand(c, rows);
        bool hit = false;
        for (uint32_t i = 0; i < e->u.in.n && !hit; i++)
            hit = sats_value_eq(c->ts, c->type, v, &e->u.in.items[i]->val);
        return hit != e->u.in.neg;
    }
    case EX_ISNULL:
        return (operand(e->u.isnull.l, rows)->u.sum.tag == 1) != e->u.isnull.neg;
    default:
        return false;
    }
}

static int max_tab(const sql_expr_t *e)
{
    int a, b;
    switch (e->kind) {
    case EX_COL:
        return e->u.col.tab;
    case EX_CMP:
        a = max_tab(e->u.cmp.l);
        b = max_tab(e->u.cmp.r);
        return a > b ? a : b;
    case EX_AND:
    case EX_OR:
        a = max_tab(e->u.bin.l);
        b = max_tab(e->u.bin.r);
        return a > b ? a : b;
    case EX_NOT:
        return max_tab(e->u.bin.l);
    case EX_IN:
        return max_tab(e->u.in.l);
    case EX_ISNULL:
        return max_tab(e->u.isnull.l);
    default:
        return 0;
    }
}

static int add_conj(exec_t *x, sql_expr_t *e)
{
    if (!e)
        return LC_OK;
    if (e->kind == EX_AND) {
        int rc = add_conj(x, e->u.bin.l);
        return rc ? rc : add_conj(x, e->u.bin.r);
    }
    if (x->nconj == x->capconj) {
        x->capconj = x->capconj ? x->capconj * 2 : 8;
        sql_expr_t **v = lc_arena_alloc(x->a, x->capconj * sizeof *v);
        int *t = lc_arena_alloc(x->a, x->capconj * sizeof *t);
        if (!v || !t)
            return oom(x->err);
        if (x->nconj) {
            memcpy(v, x->conj, x->nconj * sizeof *v);
            memcpy(t, x->conj_tab, x->nconj * sizeof *t);
        }
        x->conj = v;
        x->conj_tab = t;
    }
    x->conj[x->nconj] = e;
    x->conj_tab[x->nconj++] = max_tab(e);
    return LC_OK;
}

/* Whether the conjuncts completed by table tab hold on rows[0..tab]. */
static bool pass(const exec_t *x, int tab, sats_value_t *const *rows)
{
    for (uint32_t i = 0; i < x->nconj; i++)
        if (x->conj_tab[i] == tab && !sql__eval(x->conj[i], rows))
            return false;
    return true;
}

/* ---------------------------------------------------------------- fetching */

/* The rows an access path yields; probe (for an index join) is the BSATN
 * of the value the joined column must equal. */
static int fetch_raw(exec_t *x, const sql_access_t *acc, uint32_t table_id, const uint8_t *probe,
                     size_t probe_len, store_rows_t *out)
{
    store_range_t r = {0};
    const uint8_t *key = acc->key_p;
    size_t key_len = acc->key_len;
    sql_access_kind_t kind = acc->kind;
    if (probe && acc->ix->ncols == 1) {
        kind = ACC_POINT;
        key = probe;
        key_len = probe_len;
    } else if (probe) {
        /* the leading column of a multi-column B-tree: [v, v] */
        uint8_t *b = lc_arena_alloc(x->a, probe_len + 1);
        if (!b)
            return oom(x->err);
        b[0] = 0;
        memcpy(b + 1, probe, probe_len);
        r.start = r.end = b;
        r.start_len = r.end_len = probe_len + 1;
        kind = ACC_RANGE;
    } else if (kind == ACC_RANGE) {
        r.start = acc->lo;
        r.start_len = acc->lo_len;
        r.end = acc->hi;
        r.end_len = acc->hi_len;
    }
    if (x->src.v) {
        if (kind == ACC_RANGE)
            return store_view_index_range(x->src.v, acc->ix->id, &r, out, x->err);
        if (kind == ACC_POINT)
            return store_view_index_point(x->src.v, acc->ix->id, key, key_len, out, x->err);
        return store_view_scan(x->src.v, table_id, out, x->err);
    }
    if (kind == ACC_RANGE)
        return store_tx_index_range(x->src.tx, acc->ix->id, &r, out, x->err);
    if (kind == ACC_POINT)
        return store_tx_index_point(x->src.tx, acc->ix->id, key, key_len, out, x->err);
    return store_tx_scan(x->src.tx, table_id, out, x->err);
}

/* ---------------------------------------------------------------- row-level security */

/* Whether rule (a join: shape sh) returns row, the protected table's: its
 * partners are probed through the join index of the other table. */
static int rule_joins_row(exec_t *x, const sql_plan_t *rule, const sql_sub_shape_t *sh,
                          sats_value_t *row, bool *hit)
{
    int me = sh->ret, other = 1 - me;
    const sql_table_t *t = sh->t[me], *o = sh->t[other];
    lc_buf_t key;
    lc_buf_init(&key);
    store_rows_t rows;
    store_rows_init(&rows);
    sql_access_t probe = {.kind = ACC_POINT};
    sql_index_t ix = {.id = sh->join_ix[other], .ncols = 1};
    probe.ix = &ix;
    int rc = sats_bsatn_encode(&key, t->ts, t->row_type->u.fields.items[sh->join_col[me]].type,
                               &row->u.elems.items[sh->join_col[me]], x->err);
    if (rc == LC_OK)
        rc = fetch_raw(x, &probe, o->id, key.data ? key.data : (uint8_t *)"", key.len, &rows);
    *hit = false;
    for (uint32_t i = 0; rc == LC_OK && !*hit && i < rows.count; i++) {
        size_t start = rows.offsets[i];
        size_t end = i + 1 < rows.count ? rows.offsets[i + 1] : rows.data.len;
        sats_value_t partner;
        rc = sats_bsatn_decode_all(x->a, rows.data.data + start, end - start, o->ts, o->row_type,
                                   &partner, x->err);
        sats_value_t *pair[2];
        pair[me] = row;
        pair[other] = &partner;
        *hit = rc == LC_OK && sql_sub_match(rule, pair);
    }
    store_rows_free(&rows);
    lc_buf_free(&key);
    return rc;
}

/* Whether the caller may see row of FROM table tab: some rule of the
 * table returns it (rls.c). */
static int visible(exec_t *x, int tab, sats_value_t *row, bool *out)
{
    *out = sql__rls_match(x->p, tab, row); /* no rules, or one that reads only the row */
    const sql_rls_t *r = x->p->rls ? &x->p->rls[tab] : NULL;
    for (uint32_t j = 0; r && r->joins && !*out && j < r->n; j++) {
        if (r->shapes[j].ntables == 1)
            continue;
        int rc = rule_joins_row(x, r->rules[j], &r->shapes[j], row, out);
        if (rc)
            return rc;
    }
    return LC_OK;
}

/* Rows of FROM table tab (for an index join, those matching prefix),
 * decoded; bytes (optional) gets each row's BSATN. */
static int fetch(exec_t *x, int tab, sats_value_t *const *prefix, vec_t *vals, vec_t *bytes)
{
    const sql_access_t *acc = &x->p->acc[tab];
    const sql_table_t *t = x->s->from[tab].t;
    lc_buf_t key;
    lc_buf_init(&key);
    int rc = LC_OK;
    if (acc->ixjoin) {
        const sql_table_t *jt = x->s->from[acc->join_tab].t;
        rc = sats_bsatn_encode(&key, jt->ts, jt->row_type->u.fields.items[acc->join_col].type,
                               &prefix[acc->join_tab]->u.elems.items[acc->join_col], x->err);
    }
    store_rows_t rows;
    store_rows_init(&rows);
    if (rc == LC_OK)
        rc = fetch_raw(x, acc, t->id, acc->ixjoin ? (key.data ? key.data : (uint8_t *)"") : NULL,
                       key.len, &rows);
    for (uint32_t i = 0; rc == LC_OK && i < rows.count; i++) {
        size_t start = rows.offsets[i];
        size_t end = i + 1 < rows.count ? rows.offsets[i + 1] : rows.data.len;
        sats_value_t *v = lc_arena_alloc(x->a, sizeof *v);
        if (!v) {
            rc = oom(x->err);
            break;
        }
        rc = sats_bsatn_decode_all(x->a, rows.data.data + start, end - start, t->ts, t->row_type, v,
                                   x->err);
        bool see = true;
        if (rc == LC_OK)
            rc = visible(x, tab, v, &see);
        if (rc || !see)
            continue;
        rc = push(x, vals, v);
        if (rc == LC_OK && bytes) {
            lc_buf_t *b = lc_arena_zalloc(x->a, sizeof *b);
            if (!b)
                rc = oom(x->err);
            else {
                b->data = lc_arena_memdup(x->a, rows.data.data + start, end - start);
                b->len = end - start;
                rc = b->data || !b->len ? push(x, bytes, b) : oom(x->err);
            }
        }
    }
    x->stats.rows_scanned += rows.count;
    store_rows_free(&rows);
    lc_buf_free(&key);
    return rc;
}

typedef struct sort_key {
    const sql_table_t *t;
    int col;
} sort_key_t;

static int cmp_col(const void *a, const void *b, const void *ctx)
{
    const sort_key_t *k = ctx;
    const sats_value_t *ra = a, *rb = b;
    return sats_value_cmp(k->t->ts, k->t->row_type->u.fields.items[k->col].type,
                          &ra->u.elems.items[k->col], &rb->u.elems.items[k->col]);
}

static int sort_vec(exec_t *x, vec_t *v, int (*cmp)(const void *, const void *, const void *),
                    const void *ctx);

/* The rows of sorted (on key) that equal prefix's joined column: [*lo, *hi). */
static void equal_range(const vec_t *sorted, const sort_key_t *key, const sats_value_t *v,
                        uint32_t *lo, uint32_t *hi)
{
    const sats_type_t *t = key->t->row_type->u.fields.items[key->col].type;
    uint32_t a = 0, b = sorted->n;
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        const sats_value_t *r = sorted->v[m];
        if (sats_value_cmp(key->t->ts, t, &r->u.elems.items[key->col], v) < 0)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    while (a < sorted->n) {
        const sats_value_t *r = sorted->v[a];
        if (sats_value_cmp(key->t->ts, t, &r->u.elems.items[key->col], v) != 0)
            break;
        a++;
    }
    *hi = a;
}

/* Extend each joined prefix in in by table tab into out. */
static int join_level(exec_t *x, int tab, vec_t *in, vec_t *out)
{
    const sql_access_t *acc = &x->p->acc[tab];
    vec_t shared = {0};
    sort_key_t key = {x->s->from[tab].t, acc->my_col};
    int rc = LC_OK;
    if (!acc->ixjoin && (rc = fetch(x, tab, NULL, &shared, NULL)))
        return rc;
    if (acc->sortjoin && (rc = sort_vec(x, &shared, cmp_col, &key)))
        return rc;
    uint32_t n = x->s->nfrom;
    for (uint32_t i = 0; i < in->n && rc == LC_OK; i++) {
        sats_value_t **prefix = in->v[i];
        vec_t probe = {0}, *cand = &shared;
        uint32_t lo = 0, hi = shared.n;
        if (acc->ixjoin) {
            if ((rc = fetch(x, tab, prefix, &probe, NULL)))
                break;
            cand = &probe;
            hi = probe.n;
        } else if (acc->sortjoin) {
            equal_range(&shared, &key, &prefix[acc->join_tab]->u.elems.items[acc->join_col], &lo,
                        &hi);
        }
        for (uint32_t k = lo; k < hi && rc == LC_OK; k++) {
            sats_value_t **row = lc_arena_alloc(x->a, n * sizeof *row);
            if (!row)
                return oom(x->err);
            memcpy(row, prefix, n * sizeof *row);
            row[tab] = cand->v[k];
            if (pass(x, tab, row))
                rc = push(x, out, row);
        }
    }
    return rc;
}

/* Every joined row passing all conjuncts. */
static int joined_rows(exec_t *x, vec_t *out)
{
    const sql_stmt_t *s = x->s;
    int rc = add_conj(x, s->where);
    for (uint32_t i = 0; rc == LC_OK && i < s->nfrom; i++) rc = add_conj(x, s->from[i].on);
    vec_t first = {0};
    if (rc == LC_OK)
        rc = fetch(x, 0, NULL, &first, NULL);
    vec_t cur = {0};
    for (uint32_t i = 0; rc == LC_OK && i < first.n; i++) {
        sats_value_t **row = lc_arena_zalloc(x->a, s->nfrom * sizeof *row);
        if (!row)
            return oom(x->err);
        row[0] = first.v[i];
        if (pass(x, 0, row))
            rc = push(x, &cur, row);
    }
    for (uint32_t t = 1; rc == LC_OK && t < s->nfrom; t++) {
        vec_t next = {0};
        rc = join_level(x, (int)t, &cur, &next);
        cur = next;
    }
    *out = cur;
    return rc;
}

/* ---------------------------------------------------------------- sorting */

typedef int (*cmp_fn)(const void *a, const void *b, const void *ctx);

static void msort(void **v, void **tmp, uint32_t n, cmp_fn cmp, const void *ctx)
{
    if (n < 2)
        return;
    uint32_t h = n / 2;
    msort(v, tmp, h, cmp, ctx);
    msort(v + h, tmp, n - h, cmp, ctx);
    uint32_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = cmp(v[j], v[i], ctx) < 0 ? v[j++] : v[i++];
    while (i < h) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static int sort_vec(exec_t *x, vec_t *v, cmp_fn cmp, const void *ctx)
{
    if (v->n < 2)
        return LC_OK;
    void **tmp = lc_arena_alloc(x->a, v->n * sizeof *tmp);
    if (!tmp)
        return oom(x->err);
    msort(v->v, tmp, v->n, cmp, ctx);
    return LC_OK;
}

static int cmp_group(const void *a, const void *b, const void *ctx)
{
    const sql_stmt_t *s = ctx;
    sats_value_t *const *ra = a, *const *rb = b;
    for (uint32_t i = 0; i < s->ngroup; i++) {
        const sql_expr_t *g = s->group[i];
        int d = sats_value_cmp(g->ts, g->type, operand(g, ra), operand(g, rb));
        if (d)
            return d;
    }
    return 0;
}

/* A result row: its cells and the joined row it came from (the first of
 * its group). */
typedef struct rrow {
    sats_value_t *cells;
    sats_value_t **src;
} rrow_t;

static int cmp_order(const void *a, const void *b, const void *ctx)
{
    const sql_plan_t *p = ctx;
    const rrow_t *ra = a, *rb = b;
    for (uint32_t i = 0; i < p->stmt->norder; i++) {
        uint32_t o = p->order_out[i];
        int d;
        if (o != UINT32_MAX) {
            const sql_col_t *m = &p->out[o].meta;
            d = sats_value_cmp(m->ts, m->type, &ra->cells[o], &rb->cells[o]);
        } else {
            const sql_expr_t *c = p->stmt->order[i].col;
            d = sats_value_cmp(c->ts, c->type, operand(c, ra->src), operand(c, rb->src));
        }
        if (d)
            return p->stmt->order[i].desc ? -d : d;
    }
    return 0;
}

/* ---------------------------------------------------------------- aggregates */

static int aggregate(exec_t *x, const sql_out_t *o, void *const *rows, uint32_t n,
                     sats_value_t *out, bool *empty)
{
    memset(out, 0, sizeof *out);
    if (o->agg == AGG_NONE) {
        *out = *operand(&(sql_expr_t){.kind = EX_COL, .u.col = {.tab = o->tab, .col = o->col}},
                        rows[0]);
        return LC_OK;
    }
    const sql_table_t *t = x->s->from[o->tab >= 0 ? o->tab : 0].t;
    const sats_type_t *ct = o->tab >= 0 ? t->row_type->u.fields.items[o->col].type : NULL;
    const sats_type_t *rt = ct ? sats_resolve(t->ts, ct) : NULL;
    uint64_t count = 0;
    const sats_value_t *best = NULL;
    for (uint32_t i = 0; i < n; i++) {
        sats_value_t *const *row = rows[i];
        const sats_value_t *v = o->tab >= 0 ? &row[o->tab]->u.elems.items[o->col] : NULL;
        if (o->agg == AGG_COUNT_STAR || o->agg == AGG_COUNT) {
            bool null = rt && sats_type_special(rt) == SATS_SPECIAL_OPTION && v->u.sum.tag == 1;
            count += !null;
        } else if (o->agg == AGG_SUM) {
            bool ovf = false;
            if (rt->kind == SATS_F32 || rt->kind == SATS_F64)
                out->u.f64 += rt->kind == SATS_F32 ? v->u.f32 : v->u.f64;
            else if (rt->kind % 2 == 0)
                ovf = __builtin_add_overflow(out->u.i, v->u.i, &out->u.i);
            else
                ovf = __builtin_add_overflow(out->u.u, v->u.u, &out->u.u);
            if (ovf)
                return lc_err_set(x->err, LC_ERANGE, "SUM(%s) overflows 64 bits", o->meta.name);
        } else {
            int d = best ? sats_value_cmp(t->ts, ct, v, best) : 0;
            if (!best || (o->agg == AGG_MIN ? d < 0 : d > 0))
                best = v;
        }
    }
    if (o->agg == AGG_COUNT_STAR || o->agg == AGG_COUNT)
        out->u.u = count;
    else if (o->agg == AGG_MIN || o->agg == AGG_MAX) {
        if (best)
            *out = *best;
        else
            *empty = true;
    }
    return LC_OK;
}

static int group_row(exec_t *x, void *const *rows, uint32_t n, vec_t *out)
{
    const sql_plan_t *p = x->p;
    rrow_t *r = lc_arena_alloc(x->a, sizeof *r);
    sats_value_t *cells = lc_arena_alloc(x->a, (p->nout + 1) * sizeof *cells);
    if (!r || !cells)
        return oom(x->err);
    bool empty = false;
    for (uint32_t i = 0; i < p->nout; i++) {
        int rc = aggregate(x, &p->out[i], rows, n, &cells[i], &empty);
        if (rc)
            return rc;
    }
    if (empty)
        return LC_OK; /* MIN/MAX of nothing: no row */
    r->cells = cells;
    r->src = n ? rows[0] : NULL;
    return push(x, out, r);
}

static int group(exec_t *x, vec_t *in, vec_t *out)
{
    const sql_stmt_t *s = x->s;
    int rc = sort_vec(x, in, cmp_group, s);
    if (rc)
        return rc;
    if (s->ngroup == 0)
        return group_row(x, in->v, in->n, out);
    for (uint32_t i = 0; i < in->n && rc == LC_OK;) {
        uint32_t j = i + 1;
        while (j < in->n && cmp_group(in->v[i], in->v[j], s) == 0) j++;
        rc = group_row(x, in->v + i, j - i, out);
        i = j;
    }
    return rc;
}

static int project(exec_t *x, vec_t *in, vec_t *out)
{
    const sql_plan_t *p = x->p;
    for (uint32_t i = 0; i < in->n; i++) {
        sats_value_t **row = in->v[i];
        rrow_t *r = lc_arena_alloc(x->a, sizeof *r);
        sats_value_t *cells = lc_arena_alloc(x->a, (p->nout + 1) * sizeof *cells);
        if (!r || !cells)
            return oom(x->err);
        for (uint32_t k = 0; k < p->nout; k++)
            cells[k] = row[p->out[k].tab]->u.elems.items[p->out[k].col];
        r->cells = cells;
        r->src = row;
        int rc = push(x, out, r);
        if (rc)
            return rc;
    }
    return LC_OK;
}

static int finish(exec_t *x, vec_t *rows, sql_result_t *res)
{
    const sql_plan_t *p = x->p;
    const sql_stmt_t *s = x->s;
    int rc = s->norder ? sort_vec(x, rows, cmp_order, p) : LC_OK;
    if (rc)
        return rc;
    uint64_t start = s->has_offset ? s->offset : 0;
    if (start > rows->n)
        start = rows->n;
    uint64_t n = rows->n - start;
    if (s->has_limit && s->limit < n)
        n = s->limit;
    sql_col_t *cols = lc_arena_alloc(x->a, (p->nout + 1) * sizeof *cols);
    sats_value_t *cells = lc_arena_alloc(x->a, (n * p->nout + 1) * sizeof *cells);
    if (!cols || !cells)
        return oom(x->err);
    for (uint32_t k = 0; k < p->nout; k++) cols[k] = p->out[k].meta;
    for (uint64_t i = 0; i < n; i++) {
        const rrow_t *r = rows->v[start + i];
        memcpy(cells + i * p->nout, r->cells, p->nout * sizeof *cells);
    }
    res->ncols = p->nout;
    res->cols = cols;
    res->nrows = (uint32_t)n;
    res->cells = cells;
    return LC_OK;
}

/* ---------------------------------------------------------------- st_var */

/* The st_var rows named var, with their bytes. */
static int var_rows(exec_t *x, const char *var, vec_t *vals, vec_t *bytes)
{
    const sql_table_t *t = x->p->var_table;
    static const sql_access_t scan = {.kind = ACC_SCAN};
    store_rows_t rows;
    store_rows_init(&rows);
    int rc = fetch_raw(x, &scan, t->id, NULL, 0, &rows);
    for (uint32_t i = 0; rc == LC_OK && i < rows.count; i++) {
        size_t start = rows.offsets[i];
        size_t end = i + 1 < rows.count ? rows.offsets[i + 1] : rows.data.len;
        sats_value_t *v = lc_arena_alloc(x->a, sizeof *v);
        lc_buf_t *b = lc_arena_zalloc(x->a, sizeof *b);
        if (!v || !b) {
            rc = oom(x->err);
            break;
        }
        rc = sats_bsatn_decode_all(x->a, rows.data.data + start, end - start, t->ts, t->row_type, v,
                                   x->err);
        if (rc || strcmp(v->u.elems.items[0].u.str.ptr, var) != 0)
            continue;
        b->data = lc_arena_memdup(x->a, rows.data.data + start, end - start);
        b->len = end - start;
        if (!b->data || (rc = push(x, vals, v)) || (rc = push(x, bytes, b)))
            rc = rc ? rc : oom(x->err);
    }
    store_rows_free(&rows);
    return rc;
}

static int run_show(exec_t *x, sql_result_t *res)
{
    const sql_table_t *t = x->p->var_table;
    vec_t vals = {0}, bytes = {0};
    int rc = var_rows(x, x->s->var, &vals, &bytes);
    sql_col_t *cols = lc_arena_zalloc(x->a, 2 * sizeof *cols);
    sats_value_t *cells = lc_arena_zalloc(x->a, (2 * vals.n + 1) * sizeof *cells);
    if (rc || !cols || !cells)
        return rc ? rc : oom(x->err);
    for (int k = 0; k < 2; k++) {
        cols[k].name = t->row_type->u.fields.items[k].name;
        cols[k].ts = t->ts;
        cols[k].type = t->row_type->u.fields.items[k].type;
    }
    for (uint32_t i = 0; i < vals.n; i++) {
        const sats_value_t *v = vals.v[i];
        cells[2 * i] = v->u.elems.items[0];
        cells[2 * i + 1] = v->u.elems.items[1];
    }
    res->ncols = 2;
    res->cols = cols;
    res->nrows = vals.n;
    res->cells = cells;
    return LC_OK;
}

static int run_set(exec_t *x)
{
    const sql_table_t *t = x->p->var_table;
    const sats_type_t *vt = sats_resolve(t->ts, t->row_type->u.fields.items[1].type);
    int tag = -1;
    for (uint32_t i = 0; vt && vt->kind == SATS_SUM && i < vt->u.fields.n && tag < 0; i++)
        if (sats_resolve(t->ts, vt->u.fields.items[i].type)->kind == SATS_U64)
            tag = (int)i;
    if (tag < 0)
        return lc_err_set(x->err, LC_EINTERNAL, "st_var has no U64 value variant");
    vec_t vals = {0}, bytes = {0};
    int rc = var_rows(x, x->s->var, &vals, &bytes);
    for (uint32_t i = 0; rc == LC_OK && i < bytes.n; i++) {
        const lc_buf_t *b = bytes.v[i];
        uint32_t del;
        rc = store_delete_value(x->src.tx, t->id, b->data, b->len, &del, x->err);
    }
    sats_value_t items[2], payload = x->s->assign->val->val, row;
    memset(items, 0, sizeof items);
    items[0].u.str.ptr = x->s->var;
    items[0].u.str.len = (uint32_t)strlen(x->s->var);
    items[1].u.sum.tag = (uint8_t)tag;
    items[1].u.sum.payload = &payload;
    row.u.elems.n = 2;
    row.u.elems.items = items;
    lc_buf_t b;
    lc_buf_init(&b);
    if (rc == LC_OK)
        rc = sats_bsatn_encode(&b, t->ts, t->row_type, &row, x->err);
    store_insert_result_t ir;
    if (rc == LC_OK)
        rc = store_insert(x->src.tx, t->id, b.data, b.len, &ir, x->err);
    lc_buf_free(&b);
    return rc;
}

/* ---------------------------------------------------------------- row limit */

static int row_count(exec_t *x, uint32_t table_id, uint64_t *n)
{
    if (x->src.v)
        return store_view_row_count(x->src.v, table_id, n, x->err);
    return store_tx_row_count(x->src.tx, table_id, n, x->err);
}

/* Rows the plan looks at, by the reference's rule (engine.md §4.2): a
 * scan or range counts its table, a point probe or index join one row per
 * probe, a sort or nested-loop join multiplies. */
static int estimate(exec_t *x, uint64_t *out)
{
    uint64_t total = 1;
    for (uint32_t i = 0; i < x->s->nfrom; i++) {
        const sql_access_t *acc = &x->p->acc[i];
        uint64_t n = 1;
        int rc;
        if (!acc->ixjoin && acc->kind != ACC_POINT && (rc = row_count(x, x->s->from[i].t->id, &n)))
            return rc;
        total = __builtin_mul_overflow(total, n, &total) ? UINT64_MAX : total;
    }
    *out = total;
    return LC_OK;
}

/* For callers other than the owner: refuse a SELECT whose estimate
 * exceeds st_var's row_limit, if one is set. */
static int check_row_limit(exec_t *x)
{
    if (x->p->caller->is_owner || !x->p->var_table)
        return LC_OK;
    vec_t vals = {0}, bytes = {0};
    int rc = var_rows(x, "row_limit", &vals, &bytes);
    if (rc || vals.n == 0)
        return rc;
    const sats_value_t *v = &((const sats_value_t *)vals.v[0])->u.elems.items[1];
    const sats_type_t *vt =
        sats_resolve(x->p->var_table->ts, x->p->var_table->row_type->u.fields.items[1].type);
    const sats_type_t *pt =
        vt && vt->kind == SATS_SUM && v->u.sum.tag < vt->u.fields.n
            ? sats_resolve(x->p->var_table->ts, vt->u.fields.items[v->u.sum.tag].type)
            : NULL;
    if (!pt || pt->kind != SATS_U64)
        return LC_OK;
    uint64_t limit = v->u.sum.payload->u.u, est;
    if ((rc = estimate(x, &est)))
        return rc;
    if (est > limit)
        return lc_err_set(x->err, LC_ERANGE,
                          "Estimated cardinality (%" PRIu64 " rows) exceeds limit (%" PRIu64
                          " rows)",
                          est, limit);
    return LC_OK;
}

static int run_select(exec_t *x, sql_result_t *res)
{
    vec_t joined = {0}, rows = {0};
    int rc = check_row_limit(x);
    if (rc == LC_OK)
        rc = joined_rows(x, &joined);
    if (rc == LC_OK)
        rc = x->p->aggregate ? group(x, &joined, &rows) : project(x, &joined, &rows);
    return rc ? rc : finish(x, &rows, res);
}

/* ---------------------------------------------------------------- DML */

static int matching(exec_t *x, vec_t *vals, vec_t *bytes)
{
    int rc = add_conj(x, x->s->where);
    vec_t all = {0}, allb = {0};
    if (rc == LC_OK)
        rc = fetch(x, 0, NULL, &all, &allb);
    for (uint32_t i = 0; rc == LC_OK && i < all.n; i++) {
        sats_value_t *row[1] = {all.v[i]};
        if (pass(x, 0, row) && (rc = push(x, vals, all.v[i])) == LC_OK)
            rc = push(x, bytes, allb.v[i]);
    }
    return rc;
}

static int insert_value(exec_t *x, const sats_value_t *v, bool *existed)
{
    const sql_table_t *t = x->s->from[0].t;
    lc_buf_t b;
    lc_buf_init(&b);
    int rc = sats_bsatn_encode(&b, t->ts, t->row_type, v, x->err);
    store_insert_result_t ir;
    if (rc == LC_OK)
        rc = store_insert(x->src.tx, t->id, b.data ? b.data : (uint8_t *)"", b.len, &ir, x->err);
    lc_buf_free(&b);
    *existed = rc == LC_OK && ir.existed;
    return rc;
}

static int run_insert(exec_t *x)
{
    for (uint32_t i = 0; i < x->p->ninsert; i++) {
        bool existed;
        int rc = insert_value(x, &x->p->insert_rows[i], &existed);
        if (rc)
            return rc;
        x->stats.rows_inserted += !existed;
    }
    return LC_OK;
}

static int run_delete(exec_t *x, bool update)
{
    const sql_stmt_t *s = x->s;
    const sql_table_t *t = s->from[0].t;
    vec_t vals = {0}, bytes = {0};
    int rc = matching(x, &vals, &bytes);
    for (uint32_t i = 0; rc == LC_OK && i < bytes.n; i++) {
        const lc_buf_t *b = bytes.v[i];
        uint32_t del = 0;
        rc = store_delete_value(x->src.tx, t->id, b->data, b->len, &del, x->err);
        if (!update)
            x->stats.rows_deleted += del;
    }
    for (uint32_t i = 0; update && rc == LC_OK && i < vals.n; i++) {
        const sats_value_t *old = vals.v[i];
        uint32_t n = old->u.elems.n;
        sats_value_t *items = lc_arena_alloc(x->a, n * sizeof *items);
        if (!items)
            return oom(x->err);
        memcpy(items, old->u.elems.items, n * sizeof *items);
        for (uint32_t k = 0; k < s->nassign; k++) items[s->assign[k].colno] = s->assign[k].val->val;
        sats_value_t nv = {.u.elems = {n, items}};
        bool existed;
        rc = insert_value(x, &nv, &existed);
        x->stats.rows_updated++;
    }
    return rc;
}

/* ---------------------------------------------------------------- entry points */

static int run(const sql_plan_t *p, src_t src, lc_arena_t *a, sql_result_t *out, lc_err_t *err)
{
    exec_t x = {.p = p, .s = p->stmt, .src = src, .a = a, .err = err};
    memset(out, 0, sizeof *out);
    int rc;
    switch (p->stmt->kind) {
    case ST_SELECT:
        rc = run_select(&x, out);
        break;
    case ST_SHOW:
        rc = run_show(&x, out);
        break;
    case ST_INSERT:
        rc = run_insert(&x);
        break;
    case ST_UPDATE:
        rc = run_delete(&x, true);
        break;
    case ST_DELETE:
        rc = run_delete(&x, false);
        break;
    default:
        rc = run_set(&x);
        break;
    }
    out->stats = x.stats;
    return rc;
}

int sql_exec_read(const sql_plan_t *p, store_view_t *v, lc_arena_t *a, sql_result_t *out,
                  lc_err_t *err)
{
    if (sql_plan_is_write(p))
        return lc_err_set(err, LC_EINVAL, "a write statement needs a transaction");
    return run(p, (src_t){.v = v}, a, out, err);
}

int sql_exec_tx(const sql_plan_t *p, store_tx_t *tx, lc_arena_t *a, sql_result_t *out,
                lc_err_t *err)
{
    return run(p, (src_t){.tx = tx}, a, out, err);
}
