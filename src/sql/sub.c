/*
 * sub.c — what the subscription layer (src/subs) needs from a plan: the
 * check that a statement is in the reference's subscription subset
 * (../shared/spec/protocol.md §5.2-§5.3), the shape of an accepted query
 * (its tables, returned side and join columns), the predicate on one
 * joined row, and a canonical key so that queries identical after
 * normalisation (case, quoting, aliases, whitespace, literal spelling) are
 * one query; and sql_sub_compile, which parses, checks and plans such a
 * query in one call.
 */
#include <stdio.h>
#include <string.h>

#include "sql/sql_int.h"

#define JOIN_INDEX "Subscriptions require indexes on join columns"

static int unsupported(lc_err_t *err, const char *what)
{
    return lc_err_set(err, LC_EUNSUPPORTED, "Unsupported: %s in a subscription", what);
}

/* Only comparisons of columns, literals and :sender under AND/OR. */
static int check_expr(const sql_expr_t *e, lc_err_t *err)
{
    switch (e->kind) {
    case EX_AND:
    case EX_OR:
        if (check_expr(e->u.bin.l, err))
            return LC_EUNSUPPORTED;
        return check_expr(e->u.bin.r, err);
    case EX_CMP:
        if (check_expr(e->u.cmp.l, err))
            return LC_EUNSUPPORTED;
        return check_expr(e->u.cmp.r, err);
    case EX_COL:
    case EX_SENDER:
        return LC_OK;
    case EX_LIT:
        return e->u.lit.kind == LIT_NULL ? unsupported(err, "NULL") : LC_OK;
    case EX_NOT:
        return unsupported(err, "NOT");
    case EX_IN:
        return unsupported(err, "IN");
    case EX_ISNULL:
        return unsupported(err, "IS NULL");
    }
    return unsupported(err, "this expression");
}

static int check_select(const sql_stmt_t *s, lc_err_t *err)
{
    if (s->ngroup)
        return unsupported(err, "GROUP BY");
    if (s->norder)
        return unsupported(err, "ORDER BY");
    if (s->has_limit)
        return unsupported(err, "LIMIT");
    if (s->has_offset)
        return unsupported(err, "OFFSET");
    if (s->nproj != 1 || !s->proj[0].star || s->proj[0].agg != AGG_NONE)
        return lc_err_set(err, LC_EUNSUPPORTED,
                          "Subscriptions must be typed to a single table: "
                          "select whole rows with SELECT * or SELECT t.*");
    if (s->nfrom > 2)
        return unsupported(err, "a join of more than two tables");
    if (s->nfrom == 2 && !s->proj[0].qual)
        return lc_err_set(err, LC_EUNSUPPORTED,
                          "SELECT * is not supported for joins: select one side with t.*");
    if (s->nfrom == 2) {
        const sql_expr_t *on = s->from[1].on;
        if (!on)
            return lc_err_set(err, LC_EUNSUPPORTED, JOIN_INDEX);
        if (on->kind != EX_CMP || on->u.cmp.op != CMP_EQ || on->u.cmp.l->kind != EX_COL ||
            on->u.cmp.r->kind != EX_COL)
            return unsupported(err, "a JOIN condition other than one column equality");
    }
    return s->where ? check_expr(s->where, err) : LC_OK;
}

int sql_sub_check(const sql_stmt_t *s, lc_err_t *err)
{
    if (s->kind != ST_SELECT)
        return lc_err_set(err, LC_EUNSUPPORTED,
                          "Unsupported: only SELECT queries are allowed in subscriptions");
    return check_select(s, err);
}

/* The single-column index of t on col, or NULL. */
static const sql_index_t *col_index(const sql_table_t *t, int col)
{
    for (uint32_t i = 0; i < t->nindexes; i++)
        if (t->indexes[i].ncols == 1 && t->indexes[i].cols[0] == col)
            return &t->indexes[i];
    return NULL;
}

int sql_sub_shape(const sql_plan_t *p, sql_sub_shape_t *out, lc_err_t *err)
{
    const sql_stmt_t *s = p->stmt;
    memset(out, 0, sizeof *out);
    out->ntables = s->nfrom;
    for (uint32_t i = 0; i < s->nfrom; i++) out->t[i] = s->from[i].t;
    out->ret = p->nout > 0 ? p->out[0].tab : 0;
    for (uint32_t i = 0; p->rls && i < s->nfrom; i++)
        if (p->rls[i].joins)
            return lc_err_set(err, LC_EUNSUPPORTED,
                              "Unsupported: a join with `%s`, whose row-level security rules "
                              "join other tables, in a subscription",
                              s->from[i].t->name);
    if (s->nfrom < 2)
        return LC_OK;
    const sql_expr_t *on = s->from[1].on;
    const sql_expr_t *a = on->u.cmp.l, *b = on->u.cmp.r;
    if (a->u.col.tab == b->u.col.tab)
        return lc_err_set(err, LC_EUNSUPPORTED, JOIN_INDEX);
    if (a->u.col.tab != 0) {
        const sql_expr_t *x = a;
        a = b;
        b = x;
    }
    out->join_col[0] = a->u.col.col;
    out->join_col[1] = b->u.col.col;
    for (int i = 0; i < 2; i++) {
        const sql_index_t *ix = col_index(out->t[i], out->join_col[i]);
        if (!ix)
            return lc_err_set(err, LC_EUNSUPPORTED, JOIN_INDEX);
        out->join_ix[i] = ix->id;
    }
    return LC_OK;
}

bool sql_sub_match(const sql_plan_t *p, sats_value_t *const *rows)
{
    const sql_stmt_t *s = p->stmt;
    if (s->nfrom == 2 && s->from[1].on && !sql__eval(s->from[1].on, rows))
        return false;
    if (s->where && !sql__eval(s->where, rows))
        return false;
    for (uint32_t i = 0; p->rls && i < s->nfrom; i++)
        if (!sql__rls_match(p, (int)i, rows[i]))
            return false;
    return true;
}

/* The value of literal e as the type of the column it is compared with, c
 * (a literal met with an Option column holds the Option value but keeps
 * the payload's type in e->type). */
static int hex_value(lc_buf_t *out, const sql_expr_t *e, const sql_expr_t *c)
{
    lc_buf_t b;
    lc_err_t err;
    lc_buf_init(&b);
    int rc = sats_bsatn_encode(&b, c->ts, c->type, &e->val, &err);
    for (size_t i = 0; rc == LC_OK && i < b.len; i++) {
        char h[3];
        snprintf(h, sizeof h, "%02x", b.data[i]);
        rc = lc_buf_append(out, h, 2);
    }
    lc_buf_free(&b);
    return rc;
}

static int key_expr(lc_buf_t *out, const sql_expr_t *e, const sql_expr_t *c)
{
    static const char *const OPS[] = {"=", "<>", "<", "<=", ">", ">="};
    char tmp[48];
    int rc;
    switch (e->kind) {
    case EX_COL:
        snprintf(tmp, sizeof tmp, "$%d.%d", e->u.col.tab, e->u.col.col);
        return lc_buf_append(out, tmp, strlen(tmp));
    case EX_LIT:
    case EX_SENDER: /* the bound value: the key includes the sender's identity */
        if ((rc = lc_buf_append(out, "x", 1)))
            return rc;
        return hex_value(out, e, c ? c : e);
    case EX_CMP:
    case EX_AND:
    case EX_OR: {
        const sql_expr_t *l = e->kind == EX_CMP ? e->u.cmp.l : e->u.bin.l;
        const sql_expr_t *r = e->kind == EX_CMP ? e->u.cmp.r : e->u.bin.r;
        const char *op = e->kind == EX_CMP ? OPS[e->u.cmp.op] : e->kind == EX_AND ? "&" : "|";
        const sql_expr_t *col = NULL; /* the comparison's column, for the literal's type */
        if (e->kind == EX_CMP)
            col = l->kind == EX_COL ? l : r->kind == EX_COL ? r : NULL;
        if ((rc = lc_buf_append(out, "(", 1)) || (rc = key_expr(out, l, col)) ||
            (rc = lc_buf_append(out, op, strlen(op))) || (rc = key_expr(out, r, col)))
            return rc;
        return lc_buf_append(out, ")", 1);
    }
    default:
        return lc_buf_append(out, "?", 1);
    }
}

int sql_sub_key(const sql_plan_t *p, lc_buf_t *out)
{
    const sql_stmt_t *s = p->stmt;
    char tmp[64];
    int rc = LC_OK;
    snprintf(tmp, sizeof tmp, "r%d", p->nout > 0 ? p->out[0].tab : 0);
    rc = lc_buf_append(out, tmp, strlen(tmp));
    for (uint32_t i = 0; rc == LC_OK && i < s->nfrom; i++) {
        snprintf(tmp, sizeof tmp, " t%u", s->from[i].t->id);
        rc = lc_buf_append(out, tmp, strlen(tmp));
        if (rc == LC_OK && s->from[i].on && (rc = lc_buf_append(out, " on", 3)) == LC_OK)
            rc = key_expr(out, s->from[i].on, NULL);
    }
    if (rc == LC_OK && s->where && (rc = lc_buf_append(out, " where", 6)) == LC_OK)
        rc = key_expr(out, s->where, NULL);
    if (rc == LC_OK && p->rls) /* the rules' rows depend on who asks */
        rc = sql_sub_key_caller(out, p->caller);
    return rc;
}

int sql_sub_key_caller(lc_buf_t *out, const sql_caller_t *caller)
{
    char hex[65];
    lc_hex_encode(hex, caller->sender, 32);
    int rc = lc_buf_append(out, " rls:", 5);
    return rc ? rc : lc_buf_append(out, hex, 64);
}

int sql_sub_compile(const char *text, const sql_schema_t *schema, const sql_caller_t *caller,
                    lc_arena_t *a, sql_plan_t **plan, sql_sub_shape_t *shape, lc_err_t *err)
{
    sql_stmt_t *st;
    int rc = sql_parse(text, strlen(text), a, &st, err);
    if (rc == LC_OK)
        rc = sql_sub_check(st, err);
    if (rc == LC_OK)
        rc = sql_plan(st, schema, caller, a, plan, err);
    return rc ? rc : sql_sub_shape(*plan, shape, err);
}
