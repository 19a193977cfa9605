/*
 * parser — recursive descent from tokens to the sql_stmt_t AST.
 *
 * Grammar (keywords case-insensitive):
 *   stmt    = select | insert | update | delete | set | show  [';']
 *   select  = SELECT proj {',' proj} FROM from [WHERE expr]
 *             [GROUP BY col {',' col}] [ORDER BY col [ASC|DESC] {, ...}]
 *             [LIMIT n] [OFFSET n]          (LIMIT and OFFSET in any order)
 *   proj    = '*' | id '.' '*' | agg '(' ('*' | col) ')' [AS id] | col [[AS] id]
 *   from    = table {[INNER] JOIN table [ON expr] | CROSS JOIN table}
 *   table   = id [[AS] id]
 *   expr    = and {OR and};  and = not {AND not};  not = NOT not | pred
 *   pred    = prim [op prim | [NOT] IN '(' lit {',' lit} ')' | IS [NOT] NULL]
 *   prim    = '(' expr ')' | lit | ':sender' | col;   col = id ['.' id]
 *   lit     = [+|-] int | [+|-] float | 'str' | 0xHEX | X'HEX' | TRUE | FALSE | NULL
 *   insert  = INSERT INTO id ['(' id {',' id} ')'] VALUES tuple {',' tuple}
 *   update  = UPDATE id SET id '=' lit {',' ...} [WHERE expr]
 *   delete  = DELETE FROM id [WHERE expr]
 *   set     = SET id ('=' | TO) lit;   show = SHOW id
 * Errors name what was expected, where, and what was found.
 */
#include "sql/sql_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct parser {
    const char *text;
    sql_tok_t *t;
    uint32_t i, n;
    lc_arena_t *a;
    lc_err_t *err;
    int depth; /* parentheses and NOTs open now */
    int ops;   /* AND, OR and NOT so far */
} parser_t;

/* Bounds on expressions, so that the recursive passes over them (here, in
 * the planner and the executor) stay within a small thread stack: the
 * reference allows 1600 levels; we allow fewer, more than queries use. */
enum { MAX_NESTING = 128, MAX_OPS = 1024 };

static int too_complex(parser_t *p)
{
    return lc_err_set(p->err, LC_EINVAL,
                      "expression too complex: more than %d nesting levels or %d operators",
                      MAX_NESTING, MAX_OPS);
}

/* Words that end a table reference or a projection instead of naming an
 * alias. */
static const char *const reserved[] = {
    "select", "from",   "where",  "join", "inner", "cross",   "on",    "order",    "group",
    "by",     "limit",  "offset", "and",  "or",    "not",     "as",    "set",      "values",
    "asc",    "desc",   "in",     "is",   "null",  "true",    "false", "left",     "right",
    "outer",  "having", "union",  "into", "full",  "natural", "using", "distinct",
};

static sql_tok_t *peek(parser_t *p)
{
    return &p->t[p->i];
}

static bool is_kw(const sql_tok_t *t, const char *kw)
{
    return t->kind == TK_IDENT && strlen(kw) == t->len && strncasecmp(t->text, kw, t->len) == 0;
}

static bool is_reserved(const sql_tok_t *t)
{
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        if (is_kw(t, reserved[i]))
            return true;
    return false;
}

static bool is_punct(const sql_tok_t *t, const char *s)
{
    return t->kind == TK_PUNCT && strlen(s) == t->len && strncmp(t->text, s, t->len) == 0;
}

static bool accept_kw(parser_t *p, const char *kw)
{
    if (!is_kw(peek(p), kw))
        return false;
    p->i++;
    return true;
}

static bool accept_punct(parser_t *p, const char *s)
{
    if (!is_punct(peek(p), s))
        return false;
    p->i++;
    return true;
}

/* "expected X at L:C, found `tok`". */
static int expected(parser_t *p, const char *what)
{
    const sql_tok_t *t = peek(p);
    char pos[32];
    sql__pos(p->text, t->pos, pos, sizeof pos);
    if (t->kind == TK_EOF)
        return lc_err_set(p->err, LC_EINVAL, "expected %s at %s, found end of input", what, pos);
    const char *src = p->text + t->pos;
    uint32_t n = t->kind == TK_STRING || t->kind == TK_QIDENT ? t->len + 2 : t->len;
    if (t->kind == TK_HEX || t->kind == TK_PARAM)
        n = t->len + (t->kind == TK_HEX ? 2 : 1);
    if (n > 40)
        n = 40;
    return lc_err_set(p->err, LC_EINVAL, "expected %s at %s, found `%.*s`", what, pos, (int)n, src);
}

static int unsupported(parser_t *p, const char *what)
{
    char pos[32];
    sql__pos(p->text, peek(p)->pos, pos, sizeof pos);
    return lc_err_set(p->err, LC_EUNSUPPORTED, "%s not supported at %s", what, pos);
}

static int expect_kw(parser_t *p, const char *kw)
{
    if (accept_kw(p, kw))
        return LC_OK;
    char w[32];
    size_t n = strlen(kw);
    for (size_t i = 0; i <= n; i++)
        w[i] = (char)(kw[i] >= 'a' && kw[i] <= 'z' ? kw[i] - 32 : kw[i]);
    return expected(p, w);
}

static int expect_punct(parser_t *p, const char *s)
{
    if (accept_punct(p, s))
        return LC_OK;
    char w[8];
    snprintf(w, sizeof w, "`%s`", s);
    return expected(p, w);
}

static void *alloc(parser_t *p, size_t n)
{
    void *m = lc_arena_zalloc(p->a, n ? n : 1);
    if (!m)
        lc_err_set(p->err, LC_ENOMEM, "out of memory");
    return m;
}

/* An identifier (bare and not reserved, or quoted) into *out. */
static int ident(parser_t *p, const char *what, const char **out)
{
    sql_tok_t *t = peek(p);
    if (t->kind == TK_QIDENT || (t->kind == TK_IDENT && !is_reserved(t))) {
        *out = lc_arena_strndup(p->a, t->text, t->len);
        if (!*out)
            return lc_err_set(p->err, LC_ENOMEM, "out of memory");
        p->i++;
        return LC_OK;
    }
    return expected(p, what);
}

static bool at_ident(parser_t *p)
{
    sql_tok_t *t = peek(p);
    return t->kind == TK_QIDENT || (t->kind == TK_IDENT && !is_reserved(t));
}

static sql_expr_t *new_expr(parser_t *p, sql_expr_kind_t k, uint32_t pos)
{
    sql_expr_t *e = alloc(p, sizeof *e);
    if (e) {
        e->kind = k;
        e->pos = pos;
    }
    return e;
}

/* col = id ['.' id] */
static int column(parser_t *p, sql_expr_t **out)
{
    uint32_t pos = peek(p)->pos;
    const char *a, *b = NULL;
    int rc = ident(p, "a column name", &a);
    if (rc)
        return rc;
    if (accept_punct(p, ".") && (rc = ident(p, "a column name", &b)))
        return rc;
    sql_expr_t *e = new_expr(p, EX_COL, pos);
    if (!e)
        return LC_ENOMEM;
    e->u.col.qual = b ? a : NULL;
    e->u.col.name = b ? b : a;
    *out = e;
    return LC_OK;
}

static int literal(parser_t *p, sql_expr_t **out)
{
    sql_tok_t *t = peek(p);
    uint32_t pos = t->pos;
    bool neg = false, sign = false;
    if (is_punct(t, "-") || is_punct(t, "+")) {
        neg = is_punct(t, "-");
        sign = true;
        p->i++;
        t = peek(p);
    }
    sql_expr_t *e = new_expr(p, EX_LIT, pos);
    if (!e)
        return LC_ENOMEM;
    e->u.lit.neg = neg;
    if (t->kind == TK_INT || t->kind == TK_FLOAT) {
        e->u.lit.kind = t->kind == TK_INT ? LIT_INT : LIT_FLOAT;
    } else if (sign) {
        return expected(p, "a number");
    } else if (t->kind == TK_STRING) {
        e->u.lit.kind = LIT_STRING;
    } else if (t->kind == TK_HEX) {
        e->u.lit.kind = LIT_HEX;
    } else if (is_kw(t, "true") || is_kw(t, "false")) {
        e->u.lit.kind = LIT_BOOL;
        e->u.lit.b = is_kw(t, "true");
    } else if (is_kw(t, "null")) {
        e->u.lit.kind = LIT_NULL;
    } else {
        return expected(p, "a literal");
    }
    e->u.lit.text = lc_arena_strndup(p->a, t->text, t->len);
    if (!e->u.lit.text)
        return lc_err_set(p->err, LC_ENOMEM, "out of memory");
    p->i++;
    *out = e;
    return LC_OK;
}

static int expr(parser_t *p, sql_expr_t **out);

static int primary(parser_t *p, sql_expr_t **out)
{
    sql_tok_t *t = peek(p);
    if (is_punct(t, "(")) {
        p->i++;
        int rc = expr(p, out);
        return rc ? rc : expect_punct(p, ")");
    }
    if (t->kind == TK_PARAM) {
        if (t->len != 6 || strncmp(t->text, "sender", 6) != 0)
            return expected(p, "`:sender`");
        p->i++;
        *out = new_expr(p, EX_SENDER, t->pos);
        return *out ? LC_OK : LC_ENOMEM;
    }
    if (at_ident(p)) {
        if (t->kind == TK_IDENT && p->t[p->i + 1].kind == TK_PUNCT &&
            is_punct(&p->t[p->i + 1], "("))
            return unsupported(p, "functions are");
        return column(p, out);
    }
    if (t->kind == TK_INT || t->kind == TK_FLOAT || t->kind == TK_STRING || t->kind == TK_HEX ||
        is_punct(t, "-") || is_punct(t, "+") || is_kw(t, "true") || is_kw(t, "false") ||
        is_kw(t, "null"))
        return literal(p, out);
    if (is_kw(t, "select"))
        return unsupported(p, "subqueries are");
    return expected(p, "an expression");
}

static const struct {
    const char *s;
    sql_cmp_t op;
} ops[] = {{"=", CMP_EQ},  {"<>", CMP_NE}, {"!=", CMP_NE}, {"<", CMP_LT},
           {"<=", CMP_LE}, {">", CMP_GT},  {">=", CMP_GE}};

static int in_list(parser_t *p, sql_expr_t *l, bool neg, uint32_t pos, sql_expr_t **out)
{
    int rc = expect_punct(p, "(");
    if (rc)
        return rc;
    sql_expr_t *e = new_expr(p, EX_IN, pos);
    if (!e)
        return LC_ENOMEM;
    e->u.in.l = l;
    e->u.in.neg = neg;
    uint32_t cap = 0;
    do {
        if (e->u.in.n == cap) {
            cap = cap ? cap * 2 : 8;
            sql_expr_t **v = alloc(p, cap * sizeof *v);
            if (!v)
                return LC_ENOMEM;
            if (e->u.in.n)
                memcpy(v, e->u.in.items, e->u.in.n * sizeof *v);
            e->u.in.items = v;
        }
        if (peek(p)->kind == TK_PARAM)
            rc = primary(p, &e->u.in.items[e->u.in.n]);
        else
            rc = literal(p, &e->u.in.items[e->u.in.n]);
        if (rc)
            return rc;
        e->u.in.n++;
    } while (accept_punct(p, ","));
    *out = e;
    return expect_punct(p, ")");
}

static int pred(parser_t *p, sql_expr_t **out)
{
    sql_expr_t *l;
    int rc = primary(p, &l);
    if (rc)
        return rc;
    sql_tok_t *t = peek(p);
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
        if (is_punct(t, ops[k].s)) {
            p->i++;
            sql_expr_t *e = new_expr(p, EX_CMP, t->pos);
            if (!e)
                return LC_ENOMEM;
            e->u.cmp.op = ops[k].op;
            e->u.cmp.l = l;
            if ((rc = primary(p, &e->u.cmp.r)))
                return rc;
            *out = e;
            return LC_OK;
        }
    if (is_kw(t, "in") || (is_kw(t, "not") && is_kw(&p->t[p->i + 1], "in"))) {
        bool neg = is_kw(t, "not");
        p->i += neg ? 2 : 1;
        return in_list(p, l, neg, t->pos, out);
    }
    if (is_kw(t, "is")) {
        p->i++;
        bool neg = accept_kw(p, "not");
        if ((rc = expect_kw(p, "null")))
            return rc;
        sql_expr_t *e = new_expr(p, EX_ISNULL, t->pos);
        if (!e)
            return LC_ENOMEM;
        e->u.isnull.l = l;
        e->u.isnull.neg = neg;
        *out = e;
        return LC_OK;
    }
    if (is_kw(t, "like") || is_kw(t, "between"))
        return unsupported(p, "LIKE and BETWEEN are");
    *out = l;
    return LC_OK;
}

static int not_expr(parser_t *p, sql_expr_t **out)
{
    sql_tok_t *t = peek(p);
    if (!is_kw(t, "not"))
        return pred(p, out);
    p->i++;
    if (++p->depth > MAX_NESTING || ++p->ops > MAX_OPS)
        return too_complex(p);
    sql_expr_t *e = new_expr(p, EX_NOT, t->pos);
    if (!e)
        return LC_ENOMEM;
    int rc = not_expr(p, &e->u.bin.l);
    p->depth--;
    *out = e;
    return rc;
}

static int binary(parser_t *p, bool is_or, sql_expr_t **out)
{
    int rc = is_or ? binary(p, false, out) : not_expr(p, out);
    while (rc == LC_OK && is_kw(peek(p), is_or ? "or" : "and")) {
        if (++p->ops > MAX_OPS)
            return too_complex(p);
        sql_expr_t *e = new_expr(p, is_or ? EX_OR : EX_AND, peek(p)->pos);
        if (!e)
            return LC_ENOMEM;
        p->i++;
        e->u.bin.l = *out;
        rc = is_or ? binary(p, false, &e->u.bin.r) : not_expr(p, &e->u.bin.r);
        *out = e;
    }
    return rc;
}

static int expr(parser_t *p, sql_expr_t **out)
{
    if (++p->depth > MAX_NESTING)
        return too_complex(p);
    int rc = binary(p, true, out);
    p->depth--;
    return rc;
}

/* ---------------------------------------------------------------- SELECT */

static const struct {
    const char *name;
    sql_agg_t agg;
} aggs[] = {{"count", AGG_COUNT}, {"sum", AGG_SUM}, {"min", AGG_MIN}, {"max", AGG_MAX}};

static int alias(parser_t *p, bool need_as, const char **out)
{
    if (accept_kw(p, "as"))
        return ident(p, "an alias", out);
    if (!need_as && at_ident(p))
        return ident(p, "an alias", out);
    return LC_OK;
}

static int projection(parser_t *p, sql_proj_t *pr)
{
    sql_tok_t *t = peek(p);
    pr->pos = t->pos;
    if (accept_punct(p, "*")) {
        pr->star = true;
        return LC_OK;
    }
    if (at_ident(p) && is_punct(&p->t[p->i + 1], ".") && is_punct(&p->t[p->i + 2], "*")) {
        int rc = ident(p, "a table name", &pr->qual);
        p->i += 2;
        pr->star = true;
        return rc;
    }
    for (size_t k = 0; k < sizeof aggs / sizeof *aggs; k++)
        if (is_kw(t, aggs[k].name) && is_punct(&p->t[p->i + 1], "(")) {
            p->i += 2;
            pr->agg = aggs[k].agg;
            if (accept_kw(p, "distinct"))
                return unsupported(p, "DISTINCT is");
            int rc;
            if (pr->agg == AGG_COUNT && accept_punct(p, "*"))
                pr->agg = AGG_COUNT_STAR;
            else if ((rc = column(p, &pr->col)))
                return rc;
            if ((rc = expect_punct(p, ")")))
                return rc;
            return alias(p, true, &pr->alias);
        }
    int rc = column(p, &pr->col);
    return rc ? rc : alias(p, false, &pr->alias);
}

/* Make room for element n of a vector that starts with 4 slots and
 * doubles at each power of two. */
static int grow(parser_t *p, void **v, uint32_t n, size_t elem)
{
    if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
        return LC_OK;
    void *nv = alloc(p, (n ? 2 * n : 4) * elem);
    if (!nv)
        return LC_ENOMEM;
    if (n)
        memcpy(nv, *v, n * elem);
    *v = nv;
    return LC_OK;
}

static int table_ref(parser_t *p, sql_from_t *f)
{
    f->pos = peek(p)->pos;
    int rc = ident(p, "a table name", &f->table);
    if (rc == LC_OK && is_punct(peek(p), "."))
        return unsupported(p, "qualified table names are");
    return rc ? rc : alias(p, false, &f->alias);
}

static int from_clause(parser_t *p, sql_stmt_t *s)
{
    int rc;
    for (;;) {
        if ((rc = grow(p, (void **)&s->from, s->nfrom, sizeof *s->from)))
            return rc;
        sql_from_t *f = &s->from[s->nfrom++];
        if ((rc = table_ref(p, f)))
            return rc;
        if (s->nfrom > 1 && accept_kw(p, "on") && (rc = expr(p, &f->on)))
            return rc;
        if (is_punct(peek(p), ","))
            return unsupported(p, "implicit comma joins are");
        if (is_kw(peek(p), "left") || is_kw(peek(p), "right") || is_kw(peek(p), "full") ||
            is_kw(peek(p), "outer"))
            return unsupported(p, "outer joins are");
        if (accept_kw(p, "inner") || accept_kw(p, "cross")) {
            if ((rc = expect_kw(p, "join")))
                return rc;
        } else if (!accept_kw(p, "join")) {
            return LC_OK;
        }
    }
}

static int uint_lit(parser_t *p, const char *what, uint64_t *out)
{
    sql_tok_t *t = peek(p);
    if (t->kind != TK_INT)
        return expected(p, what);
    char buf[32];
    if (t->len >= sizeof buf)
        return expected(p, what);
    memcpy(buf, t->text, t->len);
    buf[t->len] = 0;
    *out = strtoull(buf, NULL, 10);
    p->i++;
    return LC_OK;
}

static int col_list(parser_t *p, sql_expr_t ***v, uint32_t *n)
{
    int rc;
    do {
        if ((rc = grow(p, (void **)v, *n, sizeof **v)))
            return rc;
        if ((rc = column(p, &(*v)[*n])))
            return rc;
        (*n)++;
    } while (accept_punct(p, ","));
    return LC_OK;
}

static int order_by(parser_t *p, sql_stmt_t *s)
{
    int rc;
    do {
        if ((rc = grow(p, (void **)&s->order, s->norder, sizeof *s->order)))
            return rc;
        sql_order_t *o = &s->order[s->norder++];
        if ((rc = column(p, &o->col)))
            return rc;
        if (accept_kw(p, "desc"))
            o->desc = true;
        else
            accept_kw(p, "asc");
    } while (accept_punct(p, ","));
    return LC_OK;
}

static int tail(parser_t *p, sql_stmt_t *s)
{
    int rc;
    for (;;) {
        if (accept_kw(p, "limit")) {
            if (s->has_limit)
                return expected(p, "end of statement");
            s->has_limit = true;
            if ((rc = uint_lit(p, "an integer after LIMIT", &s->limit)))
                return rc;
        } else if (accept_kw(p, "offset")) {
            if (s->has_offset)
                return expected(p, "end of statement");
            s->has_offset = true;
            if ((rc = uint_lit(p, "an integer after OFFSET", &s->offset)))
                return rc;
        } else {
            return LC_OK;
        }
    }
}

static int select_stmt(parser_t *p, sql_stmt_t *s)
{
    s->kind = ST_SELECT;
    int rc;
    if (is_kw(peek(p), "distinct"))
        return unsupported(p, "DISTINCT is");
    do {
        if ((rc = grow(p, (void **)&s->proj, s->nproj, sizeof *s->proj)))
            return rc;
        if ((rc = projection(p, &s->proj[s->nproj++])))
            return rc;
    } while (accept_punct(p, ","));
    if ((rc = expect_kw(p, "from")) || (rc = from_clause(p, s)))
        return rc;
    if (accept_kw(p, "where") && (rc = expr(p, &s->where)))
        return rc;
    if (accept_kw(p, "group") &&
        ((rc = expect_kw(p, "by")) || (rc = col_list(p, &s->group, &s->ngroup))))
        return rc;
    if (is_kw(peek(p), "having"))
        return unsupported(p, "HAVING is");
    if (accept_kw(p, "order") && ((rc = expect_kw(p, "by")) || (rc = order_by(p, s))))
        return rc;
    return tail(p, s);
}

/* ---------------------------------------------------------------- DML */

static int target(parser_t *p, sql_stmt_t *s)
{
    s->from = alloc(p, sizeof *s->from);
    if (!s->from)
        return LC_ENOMEM;
    s->nfrom = 1;
    s->from->pos = peek(p)->pos;
    return ident(p, "a table name", &s->from->table);
}

static int tuple(parser_t *p, sql_stmt_t *s)
{
    int rc = expect_punct(p, "(");
    if (rc)
        return rc;
    sql_expr_t **v = NULL;
    uint32_t n = 0;
    do {
        if ((rc = grow(p, (void **)&v, n, sizeof *v)) || (rc = literal(p, &v[n])))
            return rc;
        n++;
    } while (accept_punct(p, ","));
    if ((rc = expect_punct(p, ")")))
        return rc;
    if ((rc = grow(p, (void **)&s->rows, s->nrows, sizeof *s->rows)) ||
        (rc = grow(p, (void **)&s->row_len, s->nrows, sizeof *s->row_len)))
        return rc;
    s->rows[s->nrows] = v;
    s->row_len[s->nrows++] = n;
    return LC_OK;
}

static int insert_stmt(parser_t *p, sql_stmt_t *s)
{
    s->kind = ST_INSERT;
    int rc;
    if ((rc = expect_kw(p, "into")) || (rc = target(p, s)))
        return rc;
    if (accept_punct(p, "(")) {
        do {
            if ((rc = grow(p, (void **)&s->cols, s->ncols, sizeof *s->cols)) ||
                (rc = grow(p, (void **)&s->col_pos, s->ncols, sizeof *s->col_pos)))
                return rc;
            s->col_pos[s->ncols] = peek(p)->pos;
            if ((rc = ident(p, "a column name", &s->cols[s->ncols])))
                return rc;
            s->ncols++;
        } while (accept_punct(p, ","));
        if ((rc = expect_punct(p, ")")))
            return rc;
    }
    if ((rc = expect_kw(p, "values")))
        return rc;
    do {
        if ((rc = tuple(p, s)))
            return rc;
    } while (accept_punct(p, ","));
    return LC_OK;
}

static int assignment(parser_t *p, sql_stmt_t *s)
{
    int rc = grow(p, (void **)&s->assign, s->nassign, sizeof *s->assign);
    if (rc)
        return rc;
    sql_assign_t *as = &s->assign[s->nassign++];
    as->pos = peek(p)->pos;
    if ((rc = ident(p, "a column name", &as->col)))
        return rc;
    if (!accept_punct(p, "=") && !accept_kw(p, "to"))
        return expected(p, "`=`");
    return literal(p, &as->val);
}

static int update_stmt(parser_t *p, sql_stmt_t *s)
{
    s->kind = ST_UPDATE;
    int rc;
    if ((rc = target(p, s)) || (rc = expect_kw(p, "set")))
        return rc;
    do {
        if ((rc = assignment(p, s)))
            return rc;
    } while (accept_punct(p, ","));
    if (accept_kw(p, "where") && (rc = expr(p, &s->where)))
        return rc;
    return LC_OK;
}

static int delete_stmt(parser_t *p, sql_stmt_t *s)
{
    s->kind = ST_DELETE;
    int rc;
    if ((rc = expect_kw(p, "from")) || (rc = target(p, s)))
        return rc;
    if (accept_kw(p, "where") && (rc = expr(p, &s->where)))
        return rc;
    return LC_OK;
}

static int var_stmt(parser_t *p, sql_stmt_t *s, bool set)
{
    s->kind = set ? ST_SET : ST_SHOW;
    uint32_t pos = peek(p)->pos;
    int rc = ident(p, "a variable name", &s->var);
    if (rc || !set)
        return rc;
    if ((rc = grow(p, (void **)&s->assign, 0, sizeof *s->assign)))
        return rc;
    s->nassign = 1;
    s->assign->pos = pos;
    s->assign->col = s->var;
    if (!accept_punct(p, "=") && !accept_kw(p, "to"))
        return expected(p, "`=`");
    return literal(p, &s->assign->val);
}

static int statement(parser_t *p, sql_stmt_t *s)
{
    if (accept_kw(p, "select"))
        return select_stmt(p, s);
    if (accept_kw(p, "insert"))
        return insert_stmt(p, s);
    if (accept_kw(p, "update"))
        return update_stmt(p, s);
    if (accept_kw(p, "delete"))
        return delete_stmt(p, s);
    if (accept_kw(p, "set"))
        return var_stmt(p, s, true);
    if (accept_kw(p, "show"))
        return var_stmt(p, s, false);
    return expected(p, "SELECT, INSERT, UPDATE, DELETE, SET or SHOW");
}

int sql_parse(const char *text, size_t len, lc_arena_t *a, sql_stmt_t **out, lc_err_t *err)
{
    if (len > SQL_MAX_LENGTH)
        return lc_err_set(err, LC_EINVAL, "query too long: %zu bytes (limit %d)", len,
                          SQL_MAX_LENGTH);
    parser_t p = {.a = a, .err = err};
    p.text = lc_arena_strndup(a, text, len);
    sql_stmt_t *s = lc_arena_zalloc(a, sizeof *s);
    if (!p.text || !s)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    s->text = p.text;
    int rc = sql__lex(p.text, len, a, &p.t, &p.n, err);
    if (rc)
        return rc;
    if (p.t[0].kind == TK_EOF)
        return lc_err_set(err, LC_EINVAL, "empty query");
    if ((rc = statement(&p, s)))
        return rc;
    if (accept_punct(&p, ";") && peek(&p)->kind != TK_EOF)
        return lc_err_set(err, LC_EINVAL, "Multiple SQL statements are not supported");
    if (peek(&p)->kind != TK_EOF)
        return expected(&p, "end of statement");
    *out = s;
    return LC_OK;
}
