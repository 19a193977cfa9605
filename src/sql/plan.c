/*
 * plan — name resolution, type checking and access-path choice.
 *
 * Steps for a SELECT (DML uses 1, 2 and 4 on its one table):
 *   1. Resolve each FROM table (canonical name exactly, else a unique
 *      case-insensitive match for bare names); a private table is reported
 *      to non-owners exactly like a missing one.
 *   2. Resolve every column reference and type every literal against the
 *      column it meets (literal.c); comparisons of two columns need equal
 *      types.
 *   3. Resolve projections, aggregates, GROUP BY and ORDER BY to output
 *      columns.
 *   4. Split WHERE and every ON into conjuncts and choose, per table, in
 *      order: an index nested-loop join on a `this.col = earlier.col`
 *      conjunct whose column leads an index; a point probe when `col = lit`
 *      conjuncts cover all columns of an index; a B-tree range scan on a
 *      leading column bounded by `=`, `<`, `<=`, `>`, `>=`; else a scan.
 *      A join with an equality but no usable index sorts the joined table
 *      on its column and binary-searches it per row (SortJoin); one with
 *      no equality is a nested loop.  The conjuncts are all still
 *      evaluated (sql.h invariant 1).
 */
#include "sql/sql_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct planner {
    sql_stmt_t *s;
    const sql_schema_t *schema;
    const sql_caller_t *caller;
    lc_arena_t *a;
    lc_err_t *err;
    sql_plan_t *p;
} planner_t;

static int oom(lc_err_t *err)
{
    return lc_err_set(err, LC_ENOMEM, "out of memory");
}

static const char *at(const planner_t *pl, uint32_t pos, char *buf, size_t cap)
{
    sql__pos(pl->s->text, pos, buf, cap);
    return buf;
}

/* ---------------------------------------------------------------- schema */

static int add_table(lc_arena_t *a, store_db_t *db, const mod_table_t *mt, uint32_t id,
                     const sats_typespace_t *ts, sql_table_t *t, lc_err_t *err)
{
    memset(t, 0, sizeof *t);
    t->id = id;
    t->ts = ts;
    if (mt == NULL) {
        const sats_type_t *rt;
        if (store_table_info(db, id, &t->name, &t->ts, &rt))
            return lc_err_set(err, LC_ENOTFOUND, "no table %u", id);
        t->row_type = sats_resolve(t->ts, rt);
        t->is_system = true;
        return LC_OK;
    }
    t->name = mt->name;
    t->row_type = mt->row_type;
    t->is_private = mt->access == MOD_ACCESS_PRIVATE;
    sql_index_t *ix = lc_arena_zalloc(a, (mt->nindexes + 1) * sizeof *ix);
    if (!ix)
        return oom(err);
    for (uint32_t i = 0; i < mt->nindexes; i++) {
        const mod_index_t *mi = &mt->indexes[i];
        if (store_index_id(db, mi->name, &ix[t->nindexes].id))
            continue;
        ix[t->nindexes].btree = mi->algo != MOD_INDEX_HASH;
        ix[t->nindexes].ncols = mi->ncols;
        ix[t->nindexes].cols = mi->cols;
        t->nindexes++;
    }
    t->indexes = ix;
    return LC_OK;
}

int sql_schema_from_def(const mod_def_t *def, store_db_t *db, lc_arena_t *a, sql_schema_t *out,
                        lc_err_t *err)
{
    uint32_t *ids, nids;
    int rc = store_table_ids(db, &ids, &nids, err);
    if (rc)
        return rc;
    uint32_t nuser = def ? def->ntables : 0;
    sql_table_t *t = lc_arena_zalloc(a, (nids + nuser + 1) * sizeof *t);
    uint32_t n = 0;
    if (!t)
        rc = oom(err);
    for (uint32_t i = 0; rc == LC_OK && i < nuser; i++) {
        uint32_t id;
        if (store_table_id(db, def->tables[i].name, &id))
            continue;
        rc = add_table(a, db, &def->tables[i], id, &def->typespace, &t[n++], err);
    }
    for (uint32_t i = 0; rc == LC_OK && i < nids; i++)
        if (ids[i] < STORE_FIRST_USER_ID)
            rc = add_table(a, db, NULL, ids[i], NULL, &t[n++], err);
    lc_free(ids);
    out->ntables = n;
    out->tables = t;
    return rc ? rc : sql__rls_attach(def, a, out, err);
}

/* ---------------------------------------------------------------- names */

static int find_table(planner_t *pl, sql_from_t *f)
{
    const sql_schema_t *sc = pl->schema;
    const sql_table_t *hit = NULL;
    for (uint32_t i = 0; i < sc->ntables && !hit; i++)
        if (strcmp(sc->tables[i].name, f->table) == 0)
            hit = &sc->tables[i];
    for (uint32_t i = 0; i < sc->ntables && !hit; i++)
        if (strcasecmp(sc->tables[i].name, f->table) == 0)
            hit = &sc->tables[i];
    if (!hit || ((hit->is_private || hit->is_system) && !pl->caller->is_owner))
        return lc_err_set(pl->err, LC_ENOTFOUND,
                          "no such table: `%s`. If the table exists, it may be marked private.",
                          f->table);
    f->t = hit;
    return LC_OK;
}

static const sats_field_t *columns(const sql_table_t *t, uint32_t *n)
{
    *n = t->row_type->u.fields.n;
    return t->row_type->u.fields.items;
}

static int find_column(const sql_table_t *t, const char *name)
{
    uint32_t n;
    const sats_field_t *f = columns(t, &n);
    for (uint32_t i = 0; i < n; i++)
        if (f[i].name && strcmp(f[i].name, name) == 0)
            return (int)i;
    for (uint32_t i = 0; i < n; i++)
        if (f[i].name && strcasecmp(f[i].name, name) == 0)
            return (int)i;
    return -1;
}

static bool from_matches(const sql_from_t *f, const char *qual)
{
    return f->alias ? strcmp(f->alias, qual) == 0
                    : strcmp(f->t->name, qual) == 0 || strcasecmp(f->table, qual) == 0;
}

static int resolve_col(planner_t *pl, sql_expr_t *e)
{
    sql_stmt_t *s = pl->s;
    char pos[32];
    int tab = -1, col = -1;
    for (uint32_t i = 0; i < s->nfrom; i++) {
        if (e->u.col.qual && !from_matches(&s->from[i], e->u.col.qual))
            continue;
        if (e->u.col.qual)
            tab = (int)i;
        int c = find_column(s->from[i].t, e->u.col.name);
        if (c < 0)
            continue;
        if (col >= 0 && !e->u.col.qual)
            return lc_err_set(pl->err, LC_EINVAL, "ambiguous column `%s` at %s: qualify it",
                              e->u.col.name, at(pl, e->pos, pos, sizeof pos));
        tab = (int)i;
        col = c;
    }
    if (e->u.col.qual && tab < 0)
        return lc_err_set(pl->err, LC_ENOTFOUND, "no such table or alias: `%s` at %s",
                          e->u.col.qual, at(pl, e->pos, pos, sizeof pos));
    if (col < 0)
        return lc_err_set(pl->err, LC_ENOTFOUND, "no such column: `%s` at %s", e->u.col.name,
                          at(pl, e->pos, pos, sizeof pos));
    e->u.col.tab = tab;
    e->u.col.col = col;
    const sql_table_t *t = s->from[tab].t;
    e->ts = t->ts;
    e->type = t->row_type->u.fields.items[col].type;
    return LC_OK;
}

/* ---------------------------------------------------------------- types */

static int type_name(planner_t *pl, const sql_expr_t *e, char *buf, size_t cap)
{
    lc_buf_t b;
    lc_buf_init(&b);
    int rc = sats_type_format(&b, e->ts, e->type);
    snprintf(buf, cap, "%.*s", (int)b.len, b.data ? (char *)b.data : "?");
    lc_buf_free(&b);
    (void)pl;
    return rc;
}

static bool is_value(const sql_expr_t *e)
{
    return e->kind == EX_LIT || e->kind == EX_SENDER;
}

static int check_expr(planner_t *pl, sql_expr_t *e);

static int type_against(planner_t *pl, sql_expr_t *lit, const sql_expr_t *col)
{
    char what[160];
    snprintf(what, sizeof what, "column `%s`", col->u.col.name);
    return sql__type_literal(lit, what, col->ts, col->type, pl->caller, pl->a, pl->err);
}

static int check_cmp(planner_t *pl, sql_expr_t *e)
{
    sql_expr_t *l = e->u.cmp.l, *r = e->u.cmp.r;
    char pos[32];
    int rc;
    if (l->kind == EX_COL && (rc = resolve_col(pl, l)))
        return rc;
    if (r->kind == EX_COL && (rc = resolve_col(pl, r)))
        return rc;
    if (l->kind != EX_COL && r->kind != EX_COL)
        return lc_err_set(pl->err, LC_EUNSUPPORTED, "comparison at %s needs a column on one side",
                          at(pl, e->pos, pos, sizeof pos));
    if (l->kind == EX_COL && r->kind == EX_COL) {
        const sats_type_t *a = sats_resolve(l->ts, l->type), *b = sats_resolve(r->ts, r->type);
        if (!a || !b || !sats_type_eq(a, b)) {
            char ta[96], tb[96];
            type_name(pl, l, ta, sizeof ta);
            type_name(pl, r, tb, sizeof tb);
            return lc_err_set(
                pl->err, LC_EINVAL, "cannot compare `%s` of type %s with `%s` of type %s at %s",
                l->u.col.name, ta, r->u.col.name, tb, at(pl, e->pos, pos, sizeof pos));
        }
        return LC_OK;
    }
    return l->kind == EX_COL ? type_against(pl, r, l) : type_against(pl, l, r);
}

static int check_bool_col(planner_t *pl, sql_expr_t *e)
{
    char pos[32];
    int rc = resolve_col(pl, e);
    if (rc)
        return rc;
    const sats_type_t *t = sats_resolve(e->ts, e->type);
    if (!t || t->kind != SATS_BOOL)
        return lc_err_set(pl->err, LC_EINVAL, "column `%s` at %s is not a Bool condition",
                          e->u.col.name, at(pl, e->pos, pos, sizeof pos));
    return LC_OK;
}

static int check_expr(planner_t *pl, sql_expr_t *e)
{
    char pos[32];
    int rc;
    switch (e->kind) {
    case EX_CMP:
        return check_cmp(pl, e);
    case EX_AND:
    case EX_OR:
        return (rc = check_expr(pl, e->u.bin.l)) ? rc : check_expr(pl, e->u.bin.r);
    case EX_NOT:
        return check_expr(pl, e->u.bin.l);
    case EX_COL:
        return check_bool_col(pl, e);
    case EX_LIT:
        if (e->u.lit.kind != LIT_BOOL)
            return lc_err_set(pl->err, LC_EINVAL, "literal at %s is not a condition",
                              at(pl, e->pos, pos, sizeof pos));
        e->val.u.b = e->u.lit.b;
        return LC_OK;
    case EX_IN:
        if (e->u.in.l->kind != EX_COL)
            return lc_err_set(pl->err, LC_EUNSUPPORTED, "IN at %s needs a column on its left",
                              at(pl, e->pos, pos, sizeof pos));
        if ((rc = resolve_col(pl, e->u.in.l)))
            return rc;
        for (uint32_t i = 0; i < e->u.in.n; i++)
            if ((rc = type_against(pl, e->u.in.items[i], e->u.in.l)))
                return rc;
        return LC_OK;
    case EX_ISNULL: {
        sql_expr_t *c = e->u.isnull.l;
        if (c->kind != EX_COL)
            return lc_err_set(pl->err, LC_EUNSUPPORTED, "IS NULL at %s needs a column",
                              at(pl, e->pos, pos, sizeof pos));
        if ((rc = resolve_col(pl, c)))
            return rc;
        const sats_type_t *t = sats_resolve(c->ts, c->type);
        if (!t || sats_type_special(t) != SATS_SPECIAL_OPTION)
            return lc_err_set(pl->err, LC_EINVAL,
                              "IS NULL at %s needs an Option column; `%s` is not nullable",
                              at(pl, e->pos, pos, sizeof pos), c->u.col.name);
        return LC_OK;
    }
    default:
        return lc_err_set(pl->err, LC_EINVAL, "`:sender` at %s is not a condition",
                          at(pl, e->pos, pos, sizeof pos));
    }
}

/* ---------------------------------------------------------------- projection */

static int add_out(planner_t *pl, uint32_t *cap, int tab, int col, sql_agg_t agg, const char *name)
{
    sql_plan_t *p = pl->p;
    if (p->nout == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        sql_out_t *v = lc_arena_zalloc(pl->a, *cap * sizeof *v);
        if (!v)
            return oom(pl->err);
        if (p->nout)
            memcpy(v, p->out, p->nout * sizeof *v);
        p->out = v;
    }
    sql_out_t *o = &p->out[p->nout++];
    o->tab = tab;
    o->col = col;
    o->agg = agg;
    o->meta.name = name;
    if (tab >= 0) {
        const sql_table_t *t = pl->s->from[tab].t;
        o->meta.ts = t->ts;
        o->meta.type = t->row_type->u.fields.items[col].type;
    }
    return LC_OK;
}

static int add_table_cols(planner_t *pl, uint32_t *cap, int tab)
{
    uint32_t n;
    const sats_field_t *f = columns(pl->s->from[tab].t, &n);
    for (uint32_t i = 0; i < n; i++) {
        int rc = add_out(pl, cap, tab, (int)i, AGG_NONE, f[i].name);
        if (rc)
            return rc;
    }
    return LC_OK;
}

static int star(planner_t *pl, uint32_t *cap, const sql_proj_t *pr)
{
    sql_stmt_t *s = pl->s;
    char pos[32];
    if (!pr->qual) {
        if (s->nfrom > 1)
            return lc_err_set(pl->err, LC_EINVAL,
                              "SELECT * is not supported for joins; select `t.*` for one table");
        return add_table_cols(pl, cap, 0);
    }
    for (uint32_t i = 0; i < s->nfrom; i++)
        if (from_matches(&s->from[i], pr->qual))
            return add_table_cols(pl, cap, (int)i);
    return lc_err_set(pl->err, LC_ENOTFOUND, "no such table or alias: `%s` at %s", pr->qual,
                      at(pl, pr->pos, pos, sizeof pos));
}

/* The type of an aggregate over column type t. */
static int agg_type(planner_t *pl, sql_out_t *o, const sql_proj_t *pr)
{
    char pos[32];
    if (o->agg == AGG_COUNT || o->agg == AGG_COUNT_STAR) {
        o->meta.ts = NULL;
        o->meta.type = sats_prim(SATS_U64);
        return LC_OK;
    }
    const sats_type_t *t = sats_resolve(o->meta.ts, o->meta.type);
    if (o->agg == AGG_SUM) {
        sats_kind_t k = t ? t->kind : SATS_REF;
        if (k >= SATS_I8 && k <= SATS_U64)
            o->meta.type = sats_prim(k % 2 == 0 ? SATS_I64 : SATS_U64);
        else if (k == SATS_F32 || k == SATS_F64)
            o->meta.type = sats_prim(SATS_F64);
        else
            return lc_err_set(pl->err, LC_EINVAL,
                              "SUM at %s needs an integer (up to 64 bits) or float column",
                              at(pl, pr->pos, pos, sizeof pos));
        o->meta.ts = NULL;
    }
    return LC_OK;
}

static bool in_group(const sql_stmt_t *s, int tab, int col)
{
    for (uint32_t i = 0; i < s->ngroup; i++)
        if (s->group[i]->u.col.tab == tab && s->group[i]->u.col.col == col)
            return true;
    return false;
}

static int projection(planner_t *pl)
{
    sql_stmt_t *s = pl->s;
    sql_plan_t *p = pl->p;
    uint32_t cap = 0;
    char pos[32];
    int rc;
    for (uint32_t i = 0; i < s->ngroup; i++)
        if ((rc = resolve_col(pl, s->group[i])))
            return rc;
    p->aggregate = s->ngroup > 0;
    for (uint32_t i = 0; i < s->nproj; i++) p->aggregate |= s->proj[i].agg != AGG_NONE;
    static const char *const agg_names[] = {"", "count", "count", "sum", "min", "max"};
    for (uint32_t i = 0; i < s->nproj; i++) {
        sql_proj_t *pr = &s->proj[i];
        if (pr->star) {
            if (p->aggregate)
                return lc_err_set(pl->err, LC_EINVAL,
                                  "`*` at %s cannot be mixed with aggregates or GROUP BY",
                                  at(pl, pr->pos, pos, sizeof pos));
            if ((rc = star(pl, &cap, pr)))
                return rc;
            continue;
        }
        int tab = -1, col = -1;
        if (pr->col) {
            if ((rc = resolve_col(pl, pr->col)))
                return rc;
            tab = pr->col->u.col.tab;
            col = pr->col->u.col.col;
        }
        const char *name = pr->alias             ? pr->alias
                           : pr->agg == AGG_NONE ? pr->col->u.col.name
                                                 : agg_names[pr->agg];
        if ((rc = add_out(pl, &cap, tab, col, pr->agg, name)))
            return rc;
        if (pr->agg != AGG_NONE && (rc = agg_type(pl, &p->out[p->nout - 1], pr)))
            return rc;
        if (pr->agg == AGG_NONE && p->aggregate && !in_group(s, tab, col))
            return lc_err_set(pl->err, LC_EINVAL,
                              "column `%s` at %s must appear in GROUP BY or be used in an "
                              "aggregate",
                              pr->col->u.col.name, at(pl, pr->pos, pos, sizeof pos));
    }
    return LC_OK;
}

/* ORDER BY keys: an output column named like the key, else the source
 * column (which must be an output column of an aggregate query). */
static int order_by(planner_t *pl)
{
    sql_stmt_t *s = pl->s;
    sql_plan_t *p = pl->p;
    char pos[32];
    p->order_out = lc_arena_zalloc(pl->a, (s->norder + 1) * sizeof *p->order_out);
    if (!p->order_out)
        return oom(pl->err);
    for (uint32_t i = 0; i < s->norder; i++) {
        sql_expr_t *c = s->order[i].col;
        int hit = -1;
        for (uint32_t k = 0; !c->u.col.qual && k < p->nout && hit < 0; k++)
            if (strcmp(p->out[k].meta.name, c->u.col.name) == 0)
                hit = (int)k;
        if (hit < 0) {
            int rc = resolve_col(pl, c);
            if (rc)
                return rc;
            for (uint32_t k = 0; k < p->nout && hit < 0; k++)
                if (p->out[k].agg == AGG_NONE && p->out[k].tab == c->u.col.tab &&
                    p->out[k].col == c->u.col.col)
                    hit = (int)k;
        }
        if (hit < 0 && p->aggregate)
            return lc_err_set(pl->err, LC_EINVAL,
                              "ORDER BY `%s` at %s must name a column of the result", c->u.col.name,
                              at(pl, c->pos, pos, sizeof pos));
        p->order_out[i] = hit < 0 ? UINT32_MAX : (uint32_t)hit;
    }
    return LC_OK;
}

/* ---------------------------------------------------------------- access paths */

typedef struct conj {
    sql_expr_t **v;
    uint32_t n, cap;
} conj_t;

static int split(planner_t *pl, sql_expr_t *e, conj_t *c)
{
    if (!e)
        return LC_OK;
    if (e->kind == EX_AND) {
        int rc = split(pl, e->u.bin.l, c);
        return rc ? rc : split(pl, e->u.bin.r, c);
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        sql_expr_t **v = lc_arena_alloc(pl->a, c->cap * sizeof *v);
        if (!v)
            return oom(pl->err);
        if (c->n)
            memcpy(v, c->v, c->n * sizeof *v);
        c->v = v;
    }
    c->v[c->n++] = e;
    return LC_OK;
}

/* `tab.col op literal` in either order: the literal and the op as seen
 * from the column; NULL otherwise. */
static const sql_expr_t *col_lit(const sql_expr_t *e, int tab, int col, sql_cmp_t *op)
{
    if (e->kind != EX_CMP)
        return NULL;
    const sql_expr_t *l = e->u.cmp.l, *r = e->u.cmp.r;
    static const sql_cmp_t flip[] = {CMP_EQ, CMP_NE, CMP_GT, CMP_GE, CMP_LT, CMP_LE};
    if (l->kind == EX_COL && is_value(r) && l->u.col.tab == tab && l->u.col.col == col) {
        *op = e->u.cmp.op;
        return r;
    }
    if (r->kind == EX_COL && is_value(l) && r->u.col.tab == tab && r->u.col.col == col) {
        *op = flip[e->u.cmp.op];
        return l;
    }
    return NULL;
}

static int encode(planner_t *pl, lc_buf_t *b, const sql_expr_t *v)
{
    return sats_bsatn_encode(b, v->ts, v->type, &v->val, pl->err);
}

/* Equality literals for every column of ix at tab: the point key. */
static int try_point(planner_t *pl, const conj_t *c, int tab, const sql_index_t *ix, bool *ok)
{
    sql_access_t *acc = &pl->p->acc[tab];
    lc_buf_t b;
    lc_buf_init(&b);
    *ok = true;
    for (uint16_t k = 0; k < ix->ncols && *ok; k++) {
        const sql_expr_t *v = NULL;
        sql_cmp_t op;
        for (uint32_t i = 0; i < c->n && !v; i++) {
            v = col_lit(c->v[i], tab, ix->cols[k], &op);
            if (v && op != CMP_EQ)
                v = NULL;
        }
        if (!v)
            *ok = false;
        else if (encode(pl, &b, v)) {
            lc_buf_free(&b);
            return LC_ENOMEM;
        }
    }
    if (*ok) {
        acc->kind = ACC_POINT;
        acc->ix = ix;
        acc->key_p = lc_arena_memdup(pl->a, b.data ? b.data : (uint8_t *)"", b.len);
        acc->key_len = b.len;
        if (!acc->key_p)
            *ok = false;
    }
    lc_buf_free(&b);
    return LC_OK;
}

static uint8_t *bound(planner_t *pl, const sql_expr_t *v, bool incl, size_t *len)
{
    lc_buf_t b;
    lc_buf_init(&b);
    uint8_t *out = NULL;
    if (!v) {
        lc_buf_putc(&b, 2);
    } else {
        lc_buf_putc(&b, incl ? 0 : 1);
        encode(pl, &b, v);
    }
    if (b.len)
        out = lc_arena_memdup(pl->a, b.data, b.len);
    *len = b.len;
    lc_buf_free(&b);
    return out;
}

/* Bounds on the leading column of a B-tree index: the tightest literal
 * bound of each side. */
static bool try_range(planner_t *pl, const conj_t *c, int tab, const sql_index_t *ix)
{
    const sql_expr_t *lo = NULL, *hi = NULL;
    bool lo_in = true, hi_in = true;
    for (uint32_t i = 0; i < c->n; i++) {
        sql_cmp_t op;
        const sql_expr_t *v = col_lit(c->v[i], tab, ix->cols[0], &op);
        if (!v || op == CMP_NE)
            continue;
        if (op == CMP_EQ || op == CMP_GT || op == CMP_GE) {
            int d = lo ? sats_value_cmp(v->ts, v->type, &v->val, &lo->val) : 1;
            if (d > 0 || (d == 0 && op == CMP_GT)) {
                lo = v;
                lo_in = op != CMP_GT;
            }
        }
        if (op == CMP_EQ || op == CMP_LT || op == CMP_LE) {
            int d = hi ? sats_value_cmp(v->ts, v->type, &v->val, &hi->val) : -1;
            if (d < 0 || (d == 0 && op == CMP_LT)) {
                hi = v;
                hi_in = op != CMP_LT;
            }
        }
    }
    if (!lo && !hi)
        return false;
    sql_access_t *acc = &pl->p->acc[tab];
    acc->kind = ACC_RANGE;
    acc->ix = ix;
    acc->lo = bound(pl, lo, lo_in, &acc->lo_len);
    acc->hi = bound(pl, hi, hi_in, &acc->hi_len);
    return acc->lo && acc->hi;
}

/* `tab.col = earlier.col` conjuncts and an index on tab led by col. */
static void try_ixjoin(planner_t *pl, const conj_t *c, int tab)
{
    const sql_table_t *t = pl->s->from[tab].t;
    sql_access_t *acc = &pl->p->acc[tab];
    for (uint32_t i = 0; i < c->n; i++) {
        const sql_expr_t *e = c->v[i];
        if (e->kind != EX_CMP || e->u.cmp.op != CMP_EQ || e->u.cmp.l->kind != EX_COL ||
            e->u.cmp.r->kind != EX_COL)
            continue;
        const sql_expr_t *me = e->u.cmp.l, *other = e->u.cmp.r;
        if (other->u.col.tab == tab) {
            me = e->u.cmp.r;
            other = e->u.cmp.l;
        }
        if (me->u.col.tab != tab || other->u.col.tab >= tab)
            continue;
        if (!acc->sortjoin) { /* the fallback: sort this table, search per row */
            acc->sortjoin = true;
            acc->my_col = me->u.col.col;
            acc->join_tab = other->u.col.tab;
            acc->join_col = other->u.col.col;
        }
        for (uint32_t k = 0; k < t->nindexes; k++) {
            const sql_index_t *ix = &t->indexes[k];
            if (ix->cols[0] != me->u.col.col || (ix->ncols > 1 && !ix->btree))
                continue;
            acc->sortjoin = false;
            acc->ixjoin = true;
            acc->ix = ix;
            acc->join_tab = other->u.col.tab;
            acc->join_col = other->u.col.col;
            return;
        }
    }
}

static int choose_access(planner_t *pl, const conj_t *c, int tab)
{
    const sql_table_t *t = pl->s->from[tab].t;
    if (tab > 0) {
        try_ixjoin(pl, c, tab);
        if (pl->p->acc[tab].ixjoin)
            return LC_OK;
    }
    for (uint32_t k = 0; k < t->nindexes; k++) {
        bool ok;
        int rc = try_point(pl, c, tab, &t->indexes[k], &ok);
        if (rc || ok)
            return rc;
    }
    for (uint32_t k = 0; k < t->nindexes; k++)
        if (t->indexes[k].btree && try_range(pl, c, tab, &t->indexes[k]))
            return LC_OK;
    return LC_OK;
}

static int access_paths(planner_t *pl)
{
    sql_stmt_t *s = pl->s;
    conj_t c = {0};
    int rc = split(pl, s->where, &c);
    for (uint32_t i = 0; rc == LC_OK && i < s->nfrom; i++) rc = split(pl, s->from[i].on, &c);
    for (uint32_t i = 0; rc == LC_OK && i < s->nfrom; i++) rc = choose_access(pl, &c, (int)i);
    return rc;
}

/* ---------------------------------------------------------------- statements */

static int resolve_from(planner_t *pl)
{
    sql_stmt_t *s = pl->s;
    int rc;
    for (uint32_t i = 0; i < s->nfrom; i++) {
        if ((rc = find_table(pl, &s->from[i])))
            return rc;
        for (uint32_t j = 0; j < i; j++) {
            const char *a = s->from[i].alias ? s->from[i].alias : s->from[i].t->name;
            const char *b = s->from[j].alias ? s->from[j].alias : s->from[j].t->name;
            if (strcmp(a, b) == 0)
                return lc_err_set(pl->err, LC_EINVAL,
                                  "table `%s` appears twice in FROM: give it an alias", a);
        }
    }
    for (uint32_t i = 0; i < s->nfrom; i++)
        if (s->from[i].on && (rc = check_expr(pl, s->from[i].on)))
            return rc;
    return s->where ? check_expr(pl, s->where) : LC_OK;
}

static int plan_select(planner_t *pl)
{
    int rc = resolve_from(pl);
    if (rc == LC_OK)
        rc = projection(pl);
    if (rc == LC_OK)
        rc = order_by(pl);
    return rc ? rc : access_paths(pl);
}

static int writable(planner_t *pl)
{
    if (!pl->caller->is_owner)
        return lc_err_set(pl->err, LC_EPERM,
                          "Only owners are authorized to run SQL DML statements");
    int rc = resolve_from(pl);
    if (rc == LC_OK && pl->s->from[0].t->is_system)
        return lc_err_set(pl->err, LC_EPERM, "cannot modify system table `%s`",
                          pl->s->from[0].t->name);
    return rc;
}

static int insert_row(planner_t *pl, uint32_t r, const int *colmap, uint32_t ncols)
{
    sql_stmt_t *s = pl->s;
    const sql_table_t *t = s->from[0].t;
    sats_value_t *items = lc_arena_zalloc(pl->a, (ncols + 1) * sizeof *items);
    if (!items)
        return oom(pl->err);
    if (s->row_len[r] != ncols)
        return lc_err_set(pl->err, LC_EINVAL, "INSERT row %u has %u values for %u columns", r + 1,
                          s->row_len[r], ncols);
    for (uint32_t k = 0; k < ncols; k++) {
        sql_expr_t *v = s->rows[r][k];
        int col = colmap[k];
        const sats_field_t *f = &t->row_type->u.fields.items[col];
        char what[160];
        snprintf(what, sizeof what, "column `%s`", f->name);
        int rc = sql__type_literal(v, what, t->ts, f->type, pl->caller, pl->a, pl->err);
        if (rc)
            return rc;
        items[col] = v->val;
    }
    pl->p->insert_rows[r].u.elems.n = ncols;
    pl->p->insert_rows[r].u.elems.items = items;
    return LC_OK;
}

static int plan_insert(planner_t *pl)
{
    sql_stmt_t *s = pl->s;
    int rc = writable(pl);
    if (rc)
        return rc;
    uint32_t n;
    const sats_field_t *f = columns(s->from[0].t, &n);
    int *colmap = lc_arena_zalloc(pl->a, (n + 1) * sizeof *colmap);
    if (!colmap)
        return oom(pl->err);
    char pos[32];
    if (s->ncols && s->ncols != n) {
        for (uint32_t i = 0; i < n; i++) {
            bool seen = false;
            for (uint32_t k = 0; k < s->ncols; k++) seen |= strcmp(s->cols[k], f[i].name) == 0;
            if (!seen)
                return lc_err_set(pl->err, LC_EINVAL, "INSERT must give every column; missing `%s`",
                                  f[i].name);
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        int c = (int)k;
        if (s->ncols) {
            c = find_column(s->from[0].t, s->cols[k]);
            if (c < 0)
                return lc_err_set(pl->err, LC_ENOTFOUND, "no such column: `%s` at %s", s->cols[k],
                                  at(pl, s->col_pos[k], pos, sizeof pos));
            for (uint32_t j = 0; j < k; j++)
                if (colmap[j] == c)
                    return lc_err_set(pl->err, LC_EINVAL, "column `%s` given twice at %s",
                                      s->cols[k], at(pl, s->col_pos[k], pos, sizeof pos));
        }
        colmap[k] = c;
    }
    pl->p->ninsert = s->nrows;
    pl->p->insert_rows = lc_arena_zalloc(pl->a, s->nrows * sizeof *pl->p->insert_rows);
    if (!pl->p->insert_rows)
        return oom(pl->err);
    for (uint32_t r = 0; r < s->nrows; r++)
        if ((rc = insert_row(pl, r, colmap, n)))
            return rc;
    return LC_OK;
}

static int plan_update(planner_t *pl)
{
    sql_stmt_t *s = pl->s;
    int rc = writable(pl);
    char pos[32];
    for (uint32_t i = 0; rc == LC_OK && i < s->nassign; i++) {
        sql_assign_t *as = &s->assign[i];
        const sql_table_t *t = s->from[0].t;
        as->colno = find_column(t, as->col);
        if (as->colno < 0)
            return lc_err_set(pl->err, LC_ENOTFOUND, "no such column: `%s` at %s", as->col,
                              at(pl, as->pos, pos, sizeof pos));
        char what[160];
        snprintf(what, sizeof what, "column `%s`", as->col);
        rc = sql__type_literal(as->val, what, t->ts, t->row_type->u.fields.items[as->colno].type,
                               pl->caller, pl->a, pl->err);
    }
    return rc ? rc : access_paths(pl);
}

static int plan_delete(planner_t *pl)
{
    int rc = writable(pl);
    return rc ? rc : access_paths(pl);
}

static const sql_table_t *st_var(const sql_schema_t *sc)
{
    for (uint32_t i = 0; i < sc->ntables; i++)
        if (strcmp(sc->tables[i].name, "st_var") == 0)
            return &sc->tables[i];
    return NULL;
}

static int plan_var(planner_t *pl)
{
    sql_stmt_t *s = pl->s;
    if (strcasecmp(s->var, "row_limit") != 0)
        return lc_err_set(pl->err, LC_ENOTFOUND, "unknown variable: `%s`", s->var);
    s->var = "row_limit";
    if (!pl->caller->is_owner)
        return lc_err_set(pl->err, LC_EPERM, "Only owners may %s system variables",
                          s->kind == ST_SET ? "set" : "read");
    pl->p->var_table = st_var(pl->schema);
    if (!pl->p->var_table)
        return lc_err_set(pl->err, LC_ENOTFOUND, "no st_var table");
    if (s->kind == ST_SHOW)
        return LC_OK;
    return sql__type_literal(s->assign->val, "`row_limit`", NULL, sats_prim(SATS_U64), pl->caller,
                             pl->a, pl->err);
}

int sql_plan(sql_stmt_t *stmt, const sql_schema_t *schema, const sql_caller_t *caller,
             lc_arena_t *a, sql_plan_t **out, lc_err_t *err)
{
    sql_plan_t *p = lc_arena_zalloc(a, sizeof *p);
    if (!p)
        return oom(err);
    p->stmt = stmt;
    p->schema = schema;
    p->caller = caller;
    p->acc = lc_arena_zalloc(a, (stmt->nfrom + 1) * sizeof *p->acc);
    if (!p->acc)
        return oom(err);
    planner_t pl = {stmt, schema, caller, a, err, p};
    int rc;
    switch (stmt->kind) {
    case ST_SELECT:
        p->var_table = st_var(schema); /* for the row limit */
        rc = plan_select(&pl);
        if (rc == LC_OK)
            rc = sql__rls_plan(p, a, err);
        break;
    case ST_INSERT:
        rc = plan_insert(&pl);
        break;
    case ST_UPDATE:
        rc = plan_update(&pl);
        break;
    case ST_DELETE:
        rc = plan_delete(&pl);
        break;
    default:
        rc = plan_var(&pl);
        break;
    }
    if (rc == LC_OK)
        *out = p;
    return rc;
}

bool sql_plan_is_write(const sql_plan_t *p)
{
    sql_stmt_kind_t k = p->stmt->kind;
    return k == ST_INSERT || k == ST_UPDATE || k == ST_DELETE || k == ST_SET;
}

int sql_plan_explain(const sql_plan_t *p, lc_buf_t *out)
{
    const sql_stmt_t *s = p->stmt;
    int rc = LC_OK;
    for (uint32_t i = 0; i < s->nfrom && rc == LC_OK; i++) {
        const sql_access_t *acc = &p->acc[i];
        const char *name = s->from[i].t->name;
        if (i > 0)
            rc = lc_buf_puts(out, acc->ixjoin     ? " IxJoin "
                                  : acc->sortjoin ? " SortJoin "
                                                  : " NLJoin ");
        if (rc)
            break;
        if (acc->ixjoin)
            rc = lc_buf_printf(out, "IxLookup(%s.%u on #%d.%d)", name, acc->ix->id, acc->join_tab,
                               acc->join_col);
        else if (acc->kind == ACC_POINT)
            rc = lc_buf_printf(out, "IxScan(%s.%u point)", name, acc->ix->id);
        else if (acc->kind == ACC_RANGE)
            rc = lc_buf_printf(out, "IxScan(%s.%u range)", name, acc->ix->id);
        else
            rc = lc_buf_printf(out, "Scan(%s)", name);
    }
    return rc;
}
