/*
 * subs.c — the subscription registry and incremental evaluation (subs.h).
 *
 * Delta protocol for one transaction (engine.md §5.3), per distinct query:
 *   1. Single table T with predicate P: inserts of T that satisfy P are
 *      inserted rows, deletes that satisfy P deleted rows.
 *   2. Join V = R ⋈ S (primes: the state after the transaction, the view
 *      subs_eval gets; dr+/dr-: rows inserted into / deleted from R):
 *        dv+ = R'·ds+  ∪  dr+·S'  ∪  dr+·ds-  ∪  dr-·ds+
 *        dv- = R'·ds-  ∪  dr-·S'  ∪  dr+·ds+  ∪  dr-·ds-
 *      R'·x and x·S' probe the single-column index of the other side's join
 *      column in the view; dr·ds pairs are joined in memory.  Each pair that
 *      satisfies ON and WHERE contributes the returned side's row with +1 or
 *      -1.
 *   3. Contributions are counted per row (exact BSATN bytes) and cancelled:
 *      a net +k is k inserts, -k is k deletes (bag semantics, §4.1), so a
 *      row deleted and re-inserted by one transaction sends nothing.
 *
 * Invariants:
 *   1. A registered query's key is unique in the registry (m->mu).
 *   2. q->epoch is non-zero only when the last subs_eval changed q's
 *      result; its delta rows live in m->eval, reset by the next subs_eval.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subs/subs.h"

/* One row-level security rule of a query's table, planned for the
 * subscriber: a fragment of the query (engine.md §5.5). */
typedef struct frag {
    sql_plan_t *plan;
    sql_sub_shape_t shape;
} frag_t;

struct subs_query {
    subs_query_t *next; /* in m->head */
    uint32_t refs;      /* under m->mu */
    lc_arena_t arena;   /* everything below */
    char *sql, *key;
    sql_caller_t caller; /* the subscriber */
    sql_schema_t own;    /* when built from a definition */
    const sql_schema_t *schema;
    sql_plan_t *plan;
    sql_sub_shape_t shape;
    /* A one-table query over a table with row-level security, for a
     * non-owner: the union of its rules' rows that also pass plan (which
     * is planned without the rules).  nfrag 0: plan alone. */
    uint32_t nfrag;
    frag_t *frag;
    bool dead; /* a recompile failed: it matches nothing from now on */
    /* The last evaluation (invariant 2). */
    uint64_t epoch;
    subs_rows_t ins, del;
};

struct subs_mgr {
    pthread_mutex_t mu;
    subs_query_t *head;
    uint32_t count;
    uint64_t epoch;
    lc_arena_t eval; /* delta rows of the current epoch */
};

/* ---------------------------------------------------------------- registry */

int subs_mgr_new(subs_mgr_t **out, lc_err_t *err)
{
    subs_mgr_t *m = lc_calloc(1, sizeof *m);
    if (!m)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    pthread_mutex_init(&m->mu, NULL);
    lc_arena_init(&m->eval, 64 * 1024);
    *out = m;
    return LC_OK;
}

static void query_free(subs_query_t *q)
{
    lc_arena_free(&q->arena);
    lc_free(q);
}

void subs_mgr_free(subs_mgr_t *m)
{
    if (!m)
        return;
    LC_ASSERT(m->head == NULL);
    while (m->head) { /* release builds survive a leaked reference */
        subs_query_t *q = m->head;
        m->head = q->next;
        query_free(q);
    }
    lc_arena_free(&m->eval);
    pthread_mutex_destroy(&m->mu);
    lc_free(m);
}

uint32_t subs_mgr_count(subs_mgr_t *m)
{
    pthread_mutex_lock(&m->mu);
    uint32_t n = m->count;
    pthread_mutex_unlock(&m->mu);
    return n;
}

const char *subs_query_table(const subs_query_t *q)
{
    return q->shape.t[q->shape.ret]->name;
}
uint32_t subs_query_table_id(const subs_query_t *q)
{
    return q->shape.t[q->shape.ret]->id;
}
const char *subs_query_key(const subs_query_t *q)
{
    return q->key;
}

/* The caller copy a plan borrows, in q's arena (recompiles build a new
 * arena, so the plans must not point into q itself). */
static sql_caller_t *caller_copy(subs_query_t *q, bool no_rls)
{
    sql_caller_t *c = lc_arena_alloc(&q->arena, sizeof *c);
    if (c) {
        *c = q->caller;
        c->no_rls = no_rls;
    }
    return c;
}

static int plan_query(subs_query_t *q, const sql_caller_t *c, lc_err_t *err)
{
    return sql_sub_compile(q->sql, q->schema, c, &q->arena, &q->plan, &q->shape, err);
}

/* A one-table query whose table has row-level security rules, for a
 * non-owner: one fragment per rule (q->plan, planned without the rules,
 * filters each fragment's rows). */
static int plan_fragments(subs_query_t *q, const sql_table_t *t, lc_err_t *err)
{
    const sql_caller_t *rules = sql_rls_caller(&q->caller, &q->arena);
    q->frag = lc_arena_zalloc(&q->arena, t->nrls * sizeof *q->frag);
    if (!rules || !q->frag)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    int rc = LC_OK;
    for (uint32_t i = 0; rc == LC_OK && i < t->nrls; i++, q->nfrag++)
        rc = sql_sub_compile(t->rls[i], q->schema, rules, &q->arena, &q->frag[i].plan,
                             &q->frag[i].shape, err);
    return rc;
}

/* Plan q for its caller: without row-level security first; then, for a
 * non-owner, a one-table query over a table with rules becomes fragments
 * and a join over such tables is planned again with the rules (those
 * that read one table each: sql_sub_shape refuses the others). */
static int plan_for_caller(subs_query_t *q, lc_err_t *err)
{
    const sql_caller_t *plain = caller_copy(q, true), *rls;
    if (!plain)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    int rc = plan_query(q, plain, err);
    if (rc || q->caller.is_owner)
        return rc;
    bool protected = false;
    for (uint32_t i = 0; i < q->shape.ntables; i++) protected |= q->shape.t[i]->nrls > 0;
    if (!protected)
        return LC_OK;
    if (q->shape.ntables == 1)
        return plan_fragments(q, q->shape.t[0], err);
    if (!(rls = caller_copy(q, false)))
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    return plan_query(q, rls, err);
}

/* Parse, check, plan and key sql into q (its arena). */
static int compile(subs_query_t *q, const mod_def_t *def, store_db_t *db, lc_err_t *err)
{
    lc_buf_t key;
    int rc = LC_OK;
    if (!q->schema && (rc = sql_schema_from_def(def, db, &q->arena, &q->own, err)) == LC_OK)
        q->schema = &q->own;
    if (rc == LC_OK)
        rc = plan_for_caller(q, err);
    if (rc)
        return rc;
    lc_buf_init(&key);
    if (sql_sub_key(q->plan, &key) || (q->nfrag && sql_sub_key_caller(&key, &q->caller)) ||
        lc_buf_append(&key, "", 1) ||
        !(q->key = lc_arena_strdup(&q->arena, (const char *)key.data)))
        rc = lc_err_set(err, LC_ENOMEM, "out of memory");
    lc_buf_free(&key);
    return rc;
}

int subs_compile(subs_mgr_t *m, const sql_schema_t *schema, const mod_def_t *def, store_db_t *db,
                 const char *sql, const sql_caller_t *caller, subs_query_t **out, lc_err_t *err)
{
    *out = NULL;
    const char *p = sql;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p == '\0')
        return lc_err_set(err, LC_EINVAL, "Unsupported: empty query");
    subs_query_t *q = lc_calloc(1, sizeof *q);
    if (!q)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    lc_arena_init(&q->arena, 8 * 1024);
    q->caller = *caller;
    q->schema = schema;
    q->refs = 1;
    int rc = (q->sql = lc_arena_strdup(&q->arena, sql))
                 ? compile(q, def, db, err)
                 : lc_err_set(err, LC_ENOMEM, "out of memory");
    if (rc) {
        char cause[sizeof err->msg];
        snprintf(cause, sizeof cause, "%s", err->msg);
        lc_err_set(err, rc, "%s, executing: `%s`", cause, sql);
        query_free(q);
        return rc;
    }
    pthread_mutex_lock(&m->mu);
    subs_query_t *e = m->head;
    while (e && strcmp(e->key, q->key) != 0) e = e->next;
    if (e) {
        e->refs++;
    } else {
        q->next = m->head;
        m->head = q;
        m->count++;
    }
    pthread_mutex_unlock(&m->mu);
    if (e)
        query_free(q);
    *out = e ? e : q;
    return LC_OK;
}

/* Recompile q in place against a new definition (its text and caller
 * kept); on failure it is dead: no rows, no deltas. */
static void recompile(subs_query_t *q, const mod_def_t *def, store_db_t *db)
{
    subs_query_t n = {.caller = q->caller};
    lc_err_t err;
    lc_arena_init(&n.arena, 8 * 1024);
    int rc = (n.sql = lc_arena_strdup(&n.arena, q->sql)) ? compile(&n, def, db, &err) : LC_ENOMEM;
    if (rc) {
        lc_arena_free(&n.arena);
        q->dead = true;
        return;
    }
    lc_arena_free(&q->arena);
    q->arena = n.arena;
    q->sql = n.sql;
    q->key = n.key;
    q->own = n.own;
    q->schema = &q->own;
    q->plan = n.plan;
    q->shape = n.shape;
    q->nfrag = n.nfrag;
    q->frag = n.frag;
    q->ins = q->del = (subs_rows_t){0};
    q->epoch = 0;
}

void subs_recompile(subs_mgr_t *m, const mod_def_t *def, store_db_t *db)
{
    pthread_mutex_lock(&m->mu);
    for (subs_query_t *q = m->head; q; q = q->next)
        if (!q->dead)
            recompile(q, def, db);
    pthread_mutex_unlock(&m->mu);
}

void subs_release(subs_mgr_t *m, subs_query_t *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&m->mu);
    bool last = --q->refs == 0;
    if (last) {
        subs_query_t **pp = &m->head;
        while (*pp != q) pp = &(*pp)->next;
        *pp = q->next;
        m->count--;
    }
    pthread_mutex_unlock(&m->mu);
    if (last)
        query_free(q);
}

/* ---------------------------------------------------------------- row bags */

typedef struct entry {
    const uint8_t *p;
    uint32_t len;
    int sign;
} entry_t;

typedef struct bag {
    entry_t *e;
    uint32_t n, cap;
} bag_t;

static int bag_add(bag_t *b, const uint8_t *p, uint32_t len, int sign)
{
    if (lc_grow(&b->e, &b->cap, b->n, sizeof *b->e, 16))
        return LC_ENOMEM;
    b->e[b->n++] = (entry_t){p, len, sign};
    return LC_OK;
}

static int entry_cmp(const void *x, const void *y)
{
    const entry_t *a = x, *b = y;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return memcmp(a->p, b->p, a->len);
}

/* Rows into one block of a: the first n entries of e, each k[i] times. */
static int rows_build(lc_arena_t *a, const entry_t *e, const int *k, uint32_t n, subs_rows_t *out)
{
    memset(out, 0, sizeof *out);
    size_t total = 0;
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) {
        total += (size_t)e[i].len * (size_t)k[i];
        count += (uint32_t)k[i];
    }
    if (count == 0)
        return LC_OK;
    uint8_t *data = lc_arena_alloc(a, total ? total : 1);
    uint32_t *offs = lc_arena_alloc(a, count * sizeof *offs);
    if (!data || !offs || total > UINT32_MAX)
        return LC_ENOMEM;
    size_t at = 0;
    uint32_t r = 0;
    for (uint32_t i = 0; i < n; i++)
        for (int j = 0; j < k[i]; j++) {
            offs[r++] = (uint32_t)at;
            memcpy(data + at, e[i].p, e[i].len);
            at += e[i].len;
        }
    *out = (subs_rows_t){data, total, count, offs};
    return LC_OK;
}

/* Cancel the bag's contributions per row (step 3) into ins and del. */
static int bag_net(bag_t *b, lc_arena_t *a, subs_rows_t *ins, subs_rows_t *del)
{
    memset(ins, 0, sizeof *ins);
    memset(del, 0, sizeof *del);
    if (b->n == 0)
        return LC_OK;
    qsort(b->e, b->n, sizeof *b->e, entry_cmp);
    entry_t *ie = lc_arena_alloc(a, b->n * sizeof *ie), *de = lc_arena_alloc(a, b->n * sizeof *de);
    int *ik = lc_arena_alloc(a, b->n * sizeof *ik), *dk = lc_arena_alloc(a, b->n * sizeof *dk);
    if (!ie || !de || !ik || !dk)
        return LC_ENOMEM;
    uint32_t ni = 0, nd = 0;
    for (uint32_t i = 0, j; i < b->n; i = j) {
        int sum = 0;
        for (j = i; j < b->n && entry_cmp(&b->e[i], &b->e[j]) == 0; j++) sum += b->e[j].sign;
        if (sum > 0) {
            ie[ni] = b->e[i];
            ik[ni++] = sum;
        } else if (sum < 0) {
            de[nd] = b->e[i];
            dk[nd++] = -sum;
        }
    }
    int rc = rows_build(a, ie, ik, ni, ins);
    return rc ? rc : rows_build(a, de, dk, nd, del);
}

/* ---------------------------------------------------------------- evaluation */

/* A changed row, decoded. */
typedef struct drow {
    const uint8_t *p;
    uint32_t len;
    int sign;
    sats_value_t v;
} drow_t;

typedef struct ectx {
    const subs_query_t *q;
    /* What is evaluated: q's plan, or one of its fragments, whose rows
     * must also pass filter (q's plan). */
    const sql_plan_t *plan;
    const sql_sub_shape_t *shape;
    const sql_plan_t *filter;
    store_view_t *v;
    lc_arena_t *a;
    bag_t bag;
    lc_err_t *err;
    const store_changeset_t *cs;
    drow_t **decoded; /* per changed table (parallel to cs->tables): shared by all queries */
} ectx_t;

static const store_table_changes_t *changes_of(const store_changeset_t *cs, uint32_t table_id)
{
    uint32_t lo = 0, hi = cs->ntables; /* ordered by table id */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cs->tables[mid].table_id < table_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < cs->ntables && cs->tables[lo].table_id == table_id ? &cs->tables[lo] : NULL;
}

static int decode(ectx_t *x, const sql_table_t *t, const uint8_t *p, uint32_t len,
                  sats_value_t *out)
{
    return sats_bsatn_decode_all(x->a, p, len, t->ts, t->row_type, out, x->err);
}

/* The changed rows of table tab (inserts +1, deletes -1), decoded. */
static int deltas(ectx_t *x, const store_table_changes_t *c, int tab, drow_t **out, uint32_t *n)
{
    *out = NULL;
    *n = 0;
    if (!c || c->ninserts + c->ndeletes == 0)
        return LC_OK;
    drow_t **slot = &x->decoded[c - x->cs->tables];
    if (*slot) { /* another query of this transaction decoded them */
        *out = *slot;
        *n = c->ninserts + c->ndeletes;
        return LC_OK;
    }
    drow_t *d = lc_arena_alloc(x->a, (c->ninserts + c->ndeletes) * sizeof *d);
    if (!d)
        return lc_err_set(x->err, LC_ENOMEM, "out of memory");
    const sql_table_t *t = x->shape->t[tab];
    for (uint32_t i = 0; i < c->ninserts + c->ndeletes; i++) {
        bool ins = i < c->ninserts;
        uint32_t k = ins ? i : i - c->ninserts;
        d[i].p = ins ? c->inserts[k] : c->deletes[k];
        d[i].len = ins ? c->insert_lens[k] : c->delete_lens[k];
        d[i].sign = ins ? 1 : -1;
        int rc = decode(x, t, d[i].p, d[i].len, &d[i].v);
        if (rc)
            return rc;
    }
    *out = *slot = d;
    *n = c->ninserts + c->ndeletes;
    return LC_OK;
}

static int add(ectx_t *x, const uint8_t *p, uint32_t len, int sign)
{
    return bag_add(&x->bag, p, len, sign) ? lc_err_set(x->err, LC_ENOMEM, "out of memory") : LC_OK;
}

/* Whether a joined row (FROM order) is in the result being evaluated. */
static bool matches(const ectx_t *x, sats_value_t *const *rows)
{
    if (!sql_sub_match(x->plan, rows))
        return false;
    return !x->filter || sql_sub_match(x->filter, &rows[x->shape->ret]);
}

static int eval_single(ectx_t *x, const store_changeset_t *cs)
{
    drow_t *d;
    uint32_t n;
    int rc = deltas(x, changes_of(cs, x->shape->t[0]->id), 0, &d, &n);
    for (uint32_t i = 0; rc == LC_OK && i < n; i++) {
        sats_value_t *rows[1] = {&d[i].v};
        if (matches(x, rows))
            rc = add(x, d[i].p, d[i].len, d[i].sign);
    }
    return rc;
}

/* One joined pair (rows in FROM order): its contribution if it matches. */
static int pair(ectx_t *x, const uint8_t *p0, uint32_t l0, sats_value_t *v0, const uint8_t *p1,
                uint32_t l1, sats_value_t *v1, int sign)
{
    sats_value_t *rows[2] = {v0, v1};
    if (!matches(x, rows))
        return LC_OK;
    return x->shape->ret == 0 ? add(x, p0, l0, sign) : add(x, p1, l1, sign);
}

/* Delta rows d of table tab joined with the other table's state in the
 * view, probed through its join index (dr·S' and R'·ds). */
static int probe(ectx_t *x, int tab, const drow_t *d, uint32_t n)
{
    const sql_sub_shape_t *sh = x->shape;
    int other = 1 - tab;
    const sql_table_t *t = sh->t[tab], *o = sh->t[other];
    const sats_type_t *kt = t->row_type->u.fields.items[sh->join_col[tab]].type;
    lc_buf_t key;
    store_rows_t rs;
    lc_buf_init(&key);
    store_rows_init(&rs);
    int rc = LC_OK;
    for (uint32_t i = 0; rc == LC_OK && i < n; i++) {
        lc_buf_reset(&key);
        store_rows_free(&rs);
        store_rows_init(&rs);
        const sats_value_t *kv = &d[i].v.u.elems.items[sh->join_col[tab]];
        rc = sats_bsatn_encode(&key, t->ts, kt, kv, x->err);
        if (rc == LC_OK)
            rc = store_view_index_point(x->v, sh->join_ix[other],
                                        key.data ? key.data : (uint8_t *)"", key.len, &rs, x->err);
        for (uint32_t r = 0; rc == LC_OK && r < rs.count; r++) {
            size_t start = rs.offsets[r], end = r + 1 < rs.count ? rs.offsets[r + 1] : rs.data.len;
            uint32_t len = (uint32_t)(end - start);
            uint8_t *p = lc_arena_memdup(x->a, rs.data.data + start, len ? len : 1);
            sats_value_t ov;
            if (!p)
                rc = lc_err_set(x->err, LC_ENOMEM, "out of memory");
            if (rc == LC_OK)
                rc = decode(x, o, p, len, &ov);
            if (rc == LC_OK)
                rc = tab == 0 ? pair(x, d[i].p, d[i].len, (sats_value_t *)&d[i].v, p, len, &ov,
                                     d[i].sign)
                              : pair(x, p, len, &ov, d[i].p, d[i].len, (sats_value_t *)&d[i].v,
                                     d[i].sign);
        }
    }
    store_rows_free(&rs);
    lc_buf_free(&key);
    return rc;
}

static int eval_join(ectx_t *x, const store_changeset_t *cs)
{
    const sql_sub_shape_t *sh = x->shape;
    drow_t *d0, *d1;
    uint32_t n0, n1;
    int rc = deltas(x, changes_of(cs, sh->t[0]->id), 0, &d0, &n0);
    if (rc == LC_OK)
        rc = deltas(x, changes_of(cs, sh->t[1]->id), 1, &d1, &n1);
    if (rc || n0 + n1 == 0)
        return rc;
    if ((rc = probe(x, 0, d0, n0)) || (rc = probe(x, 1, d1, n1)))
        return rc;
    /* dr·ds: the pairs both sides changed, with the opposite of the
     * product of their signs (step 2). */
    for (uint32_t i = 0; rc == LC_OK && i < n0; i++)
        for (uint32_t j = 0; rc == LC_OK && j < n1; j++)
            rc = pair(x, d0[i].p, d0[i].len, &d0[i].v, d1[j].p, d1[j].len, &d1[j].v,
                      -(d0[i].sign * d1[j].sign));
    return rc;
}

static bool shape_reads_changed(const sql_sub_shape_t *sh, const store_changeset_t *cs)
{
    for (uint32_t i = 0; i < sh->ntables; i++)
        if (changes_of(cs, sh->t[i]->id))
            return true;
    return false;
}

/* q's plan, or each of its fragments, over the transaction into x's bag. */
static int eval_query(ectx_t *x, const subs_query_t *q, const store_changeset_t *cs)
{
    uint32_t n = q->nfrag ? q->nfrag : 1;
    int rc = LC_OK;
    for (uint32_t i = 0; rc == LC_OK && i < n; i++) {
        x->plan = q->nfrag ? q->frag[i].plan : q->plan;
        x->shape = q->nfrag ? &q->frag[i].shape : &q->shape;
        x->filter = q->nfrag ? q->plan : NULL;
        if (shape_reads_changed(x->shape, cs))
            rc = x->shape->ntables == 1 ? eval_single(x, cs) : eval_join(x, cs);
    }
    return rc;
}

int subs_eval(subs_mgr_t *m, const store_changeset_t *cs, store_view_t *v, lc_err_t *err)
{
    pthread_mutex_lock(&m->mu);
    m->epoch++;
    lc_arena_reset(&m->eval);
    int rc = LC_OK;
    for (subs_query_t *q = m->head; q; q = q->next) q->epoch = 0;
    drow_t **decoded = lc_arena_zalloc(&m->eval, (cs->ntables + 1) * sizeof *decoded);
    if (!decoded)
        rc = lc_err_set(err, LC_ENOMEM, "out of memory");
    for (subs_query_t *q = m->head; rc == LC_OK && q; q = q->next) {
        if (q->dead)
            continue;
        ectx_t x = {.q = q, .v = v, .a = &m->eval, .err = err, .cs = cs, .decoded = decoded};
        rc = eval_query(&x, q, cs);
        if (rc == LC_OK && x.bag.n && bag_net(&x.bag, &m->eval, &q->ins, &q->del))
            rc = lc_err_set(err, LC_ENOMEM, "out of memory");
        if (rc == LC_OK && x.bag.n && (q->ins.nrows || q->del.nrows))
            q->epoch = m->epoch;
        lc_free(x.bag.e);
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

bool subs_delta(const subs_query_t *q, subs_rows_t *ins, subs_rows_t *del)
{
    /* Read without m->mu: only subs_eval writes it, on this same thread. */
    if (q->epoch == 0) {
        memset(ins, 0, sizeof *ins);
        memset(del, 0, sizeof *del);
        return false;
    }
    *ins = q->ins;
    *del = q->del;
    return true;
}

/* ---------------------------------------------------------------- initial rows */

/* The rows of plan (returning table t) in v that pass filter (if any),
 * appended to b and offs. */
static int initial_rows(const sql_plan_t *plan, const sql_plan_t *filter, const sql_table_t *t,
                        store_view_t *v, lc_arena_t *a, lc_buf_t *b, lc_buf_t *offs, lc_err_t *err)
{
    sql_result_t r;
    int rc = sql_exec_read(plan, v, a, &r, err);
    for (uint32_t i = 0; rc == LC_OK && i < r.nrows; i++) {
        sats_value_t row = {.u.elems = {r.ncols, (sats_value_t *)&r.cells[(size_t)i * r.ncols]}};
        sats_value_t *rows[1] = {&row};
        if (filter && !sql_sub_match(filter, rows))
            continue;
        uint32_t at = (uint32_t)b->len;
        if (lc_buf_append(offs, &at, sizeof at))
            return lc_err_set(err, LC_ENOMEM, "out of memory");
        rc = sats_bsatn_encode(b, t->ts, t->row_type, &row, err);
    }
    return rc;
}

int subs_initial(const subs_query_t *q, store_view_t *v, lc_arena_t *a, subs_rows_t *out,
                 lc_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (q->dead)
        return LC_OK;
    const sql_table_t *t = q->shape.t[q->shape.ret];
    lc_buf_t b, offs;
    lc_buf_init(&b);
    lc_buf_init(&offs);
    int rc = LC_OK;
    if (q->nfrag == 0)
        rc = initial_rows(q->plan, NULL, t, v, a, &b, &offs, err);
    for (uint32_t i = 0; rc == LC_OK && i < q->nfrag; i++)
        rc = initial_rows(q->frag[i].plan, q->plan, t, v, a, &b, &offs, err);
    uint32_t n = (uint32_t)(offs.len / sizeof(uint32_t));
    if (rc == LC_OK && n > 0) {
        uint8_t *data = lc_arena_memdup(a, b.data, b.len ? b.len : 1);
        uint32_t *o = lc_arena_memdup(a, offs.data, offs.len);
        if (!data || !o)
            rc = lc_err_set(err, LC_ENOMEM, "out of memory");
        else
            *out = (subs_rows_t){data, b.len, n, o};
    }
    lc_buf_free(&b);
    lc_buf_free(&offs);
    return rc;
}
