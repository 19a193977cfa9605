/*
 * rls.c — row-level security (../shared/spec/protocol.md §4.6,
 * engine.md §5.5): the module's rules, each a subscription-style query
 * (`SELECT * FROM t WHERE ...`, or `SELECT t.* FROM t JOIN u ON ... WHERE
 * ...`, :sender allowed) returning the rows of t a caller may see.
 *
 * Semantics: for a caller who is not the database owner, a row of a table
 * with rules is visible when at least one rule returns it.  Rules are
 * planned as the owner would (they may read any table, and are not
 * filtered by other tables' rules) with :sender bound to the caller.
 *
 * Where they apply:
 *   - sql_exec_read / sql_exec_tx drop every fetched row no rule returns
 *     (exec.c), so /sql, one-off queries and initial subscription rows are
 *     filtered, whatever the access path;
 *   - sql_sub_match checks the rules that read only their own table, row
 *     by row; subscription deltas stay exact because such a rule depends
 *     on nothing but the row;
 *   - a rule that joins depends on another table's rows too: src/subs
 *     expands a query over its table into one fragment per rule.
 */
#include <string.h>

#include "sql/sql_int.h"

static int oom(lc_err_t *err)
{
    return lc_err_set(err, LC_ENOMEM, "out of memory");
}

/* The table a rule returns, checked: public, not a system table. */
static int rule_table(const char *text, const sql_schema_t *schema, lc_arena_t *a,
                      const sql_table_t **out, lc_err_t *err)
{
    static const sql_caller_t as_owner = {.is_owner = true, .no_rls = true};
    sql_plan_t *p;
    sql_sub_shape_t sh;
    int rc = sql_sub_compile(text, schema, &as_owner, a, &p, &sh, err);
    if (rc)
        return rc;
    const sql_table_t *t = sh.t[sh.ret];
    if (t->is_system || t->is_private)
        return lc_err_set(err, LC_EINVAL,
                          "row-level security applies to public tables only; `%s` is %s", t->name,
                          t->is_system ? "a system table" : "private");
    *out = t;
    return LC_OK;
}

int sql__rls_attach(const mod_def_t *def, lc_arena_t *a, sql_schema_t *schema, lc_err_t *err)
{
    if (!def || def->nrls == 0)
        return LC_OK;
    const sql_table_t **of = lc_arena_zalloc(a, def->nrls * sizeof *of);
    if (!of)
        return oom(err);
    for (uint32_t i = 0; i < def->nrls; i++) {
        int rc = rule_table(def->rls[i], schema, a, &of[i], err);
        if (rc) {
            char cause[sizeof err->msg];
            memcpy(cause, err->msg, sizeof cause);
            return lc_err_set(err, LC_EINVAL, "row-level security rule `%s`: %s", def->rls[i],
                              cause);
        }
    }
    /* Each table's rules, in declaration order. */
    for (uint32_t i = 0; i < def->nrls; i++) {
        sql_table_t *t = (sql_table_t *)of[i];
        if (t->nrls > 0)
            continue; /* filled from its first rule */
        uint32_t n = 0;
        for (uint32_t j = i; j < def->nrls; j++) n += of[j] == t;
        const char **v = lc_arena_alloc(a, n * sizeof *v);
        if (!v)
            return oom(err);
        for (uint32_t j = i; j < def->nrls; j++)
            if (of[j] == t)
                v[t->nrls++] = def->rls[j];
        t->rls = v;
    }
    return LC_OK;
}

sql_caller_t *sql_rls_caller(const sql_caller_t *subscriber, lc_arena_t *a)
{
    sql_caller_t *c = lc_arena_alloc(a, sizeof *c);
    if (c) {
        *c = (sql_caller_t){.is_owner = true, .no_rls = true};
        memcpy(c->sender, subscriber->sender, sizeof c->sender);
    }
    return c;
}

int sql__rls_plan(sql_plan_t *p, lc_arena_t *a, lc_err_t *err)
{
    const sql_stmt_t *s = p->stmt;
    if (p->caller->is_owner || p->caller->no_rls)
        return LC_OK;
    bool any = false;
    for (uint32_t i = 0; i < s->nfrom; i++) any |= s->from[i].t->nrls > 0;
    if (!any)
        return LC_OK;
    sql_caller_t *rc_caller = sql_rls_caller(p->caller, a);
    if (!rc_caller || !(p->rls = lc_arena_zalloc(a, s->nfrom * sizeof *p->rls)))
        return oom(err);
    for (uint32_t i = 0; i < s->nfrom; i++) {
        const sql_table_t *t = s->from[i].t;
        sql_rls_t *r = &p->rls[i];
        if (t->nrls == 0)
            continue;
        r->rules = lc_arena_alloc(a, t->nrls * sizeof *r->rules);
        r->shapes = lc_arena_alloc(a, t->nrls * sizeof *r->shapes);
        if (!r->rules || !r->shapes)
            return oom(err);
        for (uint32_t j = 0; j < t->nrls; j++) {
            int rc = sql_sub_compile(t->rls[j], p->schema, rc_caller, a, &r->rules[j],
                                     &r->shapes[j], err);
            if (rc)
                return rc;
            r->joins |= r->shapes[j].ntables > 1;
        }
        r->n = t->nrls;
    }
    return LC_OK;
}

bool sql__rls_match(const sql_plan_t *p, int tab, sats_value_t *row)
{
    const sql_rls_t *r = p->rls ? &p->rls[tab] : NULL;
    if (!r || r->n == 0)
        return true;
    for (uint32_t j = 0; j < r->n; j++) {
        sats_value_t *rows[1] = {row};
        if (r->shapes[j].ntables == 1 && sql_sub_match(r->rules[j], rows))
            return true;
    }
    return false;
}
