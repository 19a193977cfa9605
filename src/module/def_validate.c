/*
 * def_validate.c — turning a parsed RawModuleDef (mod__raw_t) into a
 * mod_def_t: canonical names (module-abi.md §5.10) and every check of
 * §5.12, with all problems collected rather than stopping at the first,
 * as the reference's ErrorStream does.
 *
 * Steps, in order (each collects its errors and goes on):
 *   1. Case policy: V9 none; V10 the CaseConversionPolicy section, else
 *      SnakeCase.  Explicit names (V10) map source -> canonical names of
 *      tables, functions and indexes.
 *   2. Typespace: every type well formed (refs in range); a canonical copy
 *      with element names snake_case and variant names camelCase (special
 *      types untouched).
 *   3. Type definitions: ref in range, default element order unless
 *      custom_ordering, a product or sum whose elements are named and are
 *      valid uses, unique PascalCase names.
 *   4. Tables: row type a product of named columns of valid use types;
 *      indexes, unique constraints, primary key, sequences, default values;
 *      names into the global namespace; reserved `st_` prefix.
 *   5. Reducers, procedures, views: names, parameters, return types; one
 *      namespace for all three.
 *   6. Lifecycle reducers (V10 section or V9 field), schedules (V10 section
 *      or V9 table field), then the functions schedules call; scheduled
 *      functions and lifecycle reducers become private (V10).
 *   7. View primary keys, HTTP handlers and routes, row-level security.
 *   8. Lookup maps.
 *
 * A "use" (a column, parameter or return type) may be a primitive, String,
 * an array or option or result of uses, a special type, unit, the empty
 * sum, or a Ref that reaches a declared type (or another use); a product or
 * sum written inline is refused (the reference's
 * is_valid_for_client_type_use).  Results are memoised per typespace slot
 * so that checking is linear in the typespace.
 *
 * Error lines name the entity as the module author wrote it (source
 * names), e.g. "table `Person` column `age`: ...".
 */
#include <stdio.h>
#include <string.h>

#include "module/mod_def.h"

/* Ref chains and nesting deeper than this are refused as uses. */
#define USE_MAX_DEPTH (4 * SATS_MAX_DEPTH)

enum { USE_UNSEEN = 0, USE_BUSY, USE_DONE };

typedef struct sched_src {
    uint32_t table; /* built table, V9; MOD_NONE for V10 */
    const mod__raw_schedule_t *raw;
} sched_src_t;

typedef struct vctx {
    const mod__raw_t *raw;
    mod_def_t *d;
    lc_arena_t *a;
    mod__errs_t *errs;
    bool oom;
    mod_case_policy_t policy;
    lc_map_t names; /* the global namespace (invariant 2) */
    lc_map_t ex_table, ex_fn, ex_index;
    const sats_typespace_t *ts; /* as declared */
    sats_typespace_t cts;       /* canonical */
    uint8_t *is_def, *use_state;
    const char **use_why;
    mod_table_t *tables;
    uint32_t ntables;
    lc_map_t table_map, reducer_map, procedure_map; /* canonical name -> first with it */
    mod_reducer_t *reducers;
    mod_procedure_t *procedures;
    mod_view_t *views;
    uint32_t nprocedures, nviews;
    sched_src_t *scheds;
    uint32_t nscheds;
    bool table_errors, reducer_errors;
} vctx_t;

#define VERR(v, ...) mod__errs_add((v)->errs, __VA_ARGS__)

/* ---------------------------------------------------------------- small helpers */

static void *valloc(vctx_t *v, size_t count, size_t size)
{
    if (count == 0)
        return NULL;
    void *p = lc_arena_zalloc(v->a, count * size);
    if (p == NULL)
        v->oom = true;
    return p;
}

/* Strings never come back NULL: on allocation failure "" (and v->oom), so
 * that the checks can go on without a NULL test at every step. */
static const char *vfmt(vctx_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *vfmt(vctx_t *v, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *s = lc_arena_strdup(v->a, buf);
    if (s == NULL)
        v->oom = true;
    return s ? s : "";
}

static const char *conv(vctx_t *v, const char *s, mod_case_t to)
{
    const char *r = mod_name_convert(v->a, s, to);
    if (r == NULL)
        v->oom = true;
    return r ? r : "";
}

/* A name under the policy (columns, parameters, table and function names
 * without an explicit mapping). */
static const char *policy_name(vctx_t *v, const char *s)
{
    return v->policy == MOD_CASE_POLICY_NONE ? s : conv(v, s, MOD_CASE_SNAKE);
}

static const char *resolve(vctx_t *v, lc_map_t *explicit_map, const char *src)
{
    const char *c = lc_map_gets(explicit_map, src);
    return c ? c : policy_name(v, src);
}

static const char *tyfmt(vctx_t *v, const sats_typespace_t *ts, const sats_type_t *t)
{
    lc_buf_t b = {0};
    sats_type_format(&b, ts, t);
    const char *s = lc_arena_strndup(v->a, b.data ? (const char *)b.data : "", b.len);
    lc_buf_free(&b);
    if (s == NULL)
        v->oom = true;
    return s ? s : "";
}

static void put_map(vctx_t *v, lc_map_t *m, const char *key, void *val)
{
    if (lc_map_puts(m, key, val))
        v->oom = true;
}

/* Add a name to the global namespace. */
static void add_name(vctx_t *v, const char *name)
{
    if (lc_map_gets(&v->names, name))
        VERR(v,
             "name `%s` is used for more than one table, index, constraint, sequence, "
             "schedule or view",
             name);
    else
        put_map(v, &v->names, name, (void *)name);
}

static void check_ident(vctx_t *v, const char *what, const char *name)
{
    const char *why = mod_ident_problem(name);
    if (why)
        VERR(v, "%s: invalid name `%s`: it %s", what, name, why);
}

static const char *i128_str(vctx_t *v, bool has, __int128 x)
{
    if (!has)
        return "none";
    char buf[48], *p = buf + sizeof buf;
    unsigned __int128 u = x < 0 ? -(unsigned __int128)x : (unsigned __int128)x;
    *--p = 0;
    do {
        *--p = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (x < 0)
        *--p = '-';
    return vfmt(v, "%s", p);
}

static const sats_field_t *field(const sats_type_t *prod, uint32_t i)
{
    return &prod->u.fields.items[i];
}

/* ---------------------------------------------------------------- typespace */

static const sats_type_t *convert_type(vctx_t *v, const sats_type_t *t, int depth);

static const sats_type_t *convert_fields(vctx_t *v, const sats_type_t *t, int depth)
{
    uint32_t n = t->u.fields.n;
    const char **names = valloc(v, n, sizeof *names);
    const sats_type_t **types = valloc(v, n, sizeof *types);
    if (n && (names == NULL || types == NULL))
        return t;
    mod_case_t c = t->kind == SATS_SUM ? MOD_CASE_CAMEL : MOD_CASE_SNAKE;
    for (uint32_t i = 0; i < n; i++) {
        names[i] = field(t, i)->name ? conv(v, field(t, i)->name, c) : NULL;
        types[i] = convert_type(v, field(t, i)->type, depth + 1);
    }
    const sats_type_t *r = t->kind == SATS_SUM ? sats_type_sum(v->a, n, names, types)
                                               : sats_type_product(v->a, n, names, types);
    if (r == NULL)
        v->oom = true;
    return r ? r : t;
}

/* The canonical copy of t (invariant 3). */
static const sats_type_t *convert_type(vctx_t *v, const sats_type_t *t, int depth)
{
    if (v->policy == MOD_CASE_POLICY_NONE || t == NULL || depth > SATS_MAX_DEPTH)
        return t;
    if (t->kind == SATS_ARRAY) {
        const sats_type_t *e = convert_type(v, t->u.elem, depth + 1);
        const sats_type_t *r = e == t->u.elem ? t : sats_type_array(v->a, e);
        if (r == NULL)
            v->oom = true;
        return r ? r : t;
    }
    if ((t->kind != SATS_PRODUCT && t->kind != SATS_SUM) ||
        sats_type_special(t) != SATS_SPECIAL_NONE)
        return t;
    return convert_fields(v, t, depth);
}

/* Refs inside slot's type are in range (nesting is bounded by the decoder). */
static void check_refs(vctx_t *v, uint32_t slot, const sats_type_t *t, int depth)
{
    if (t == NULL || depth > SATS_MAX_DEPTH + 1)
        return;
    if (t->kind == SATS_REF && t->u.ref >= v->ts->n)
        VERR(v, "typespace type %u refers to type ref %u, which is out of range", slot, t->u.ref);
    else if (t->kind == SATS_ARRAY)
        check_refs(v, slot, t->u.elem, depth + 1);
    else if (t->kind == SATS_PRODUCT || t->kind == SATS_SUM)
        for (uint32_t i = 0; i < t->u.fields.n; i++)
            check_refs(v, slot, field(t, i)->type, depth + 1);
}

/* A slot that is only a Ref to a Ref ... back to itself has no structure
 * at all; each slot is followed once (colour marking), so this is linear. */
static void check_ref_cycles(vctx_t *v)
{
    uint8_t *state = v->use_state; /* borrowed; cleared again below */
    for (uint32_t i = 0; i < v->ts->n; i++) {
        uint32_t r = i;
        while (r < v->ts->n && state[r] == 0 && v->ts->types[r]->kind == SATS_REF) {
            state[r] = 1;
            r = v->ts->types[r]->u.ref;
        }
        if (r < v->ts->n && state[r] == 1)
            VERR(v, "typespace type %u is a cycle of refs with no structure", r);
        for (r = i; r < v->ts->n && state[r] == 1; r = v->ts->types[r]->u.ref) state[r] = 2;
    }
    if (v->ts->n)
        memset(state, 0, v->ts->n);
}

static void check_typespace(vctx_t *v)
{
    uint32_t n = v->ts->n;
    v->cts.n = n;
    v->cts.types = valloc(v, n, sizeof *v->cts.types);
    v->is_def = valloc(v, n, 1);
    v->use_state = valloc(v, n, 1);
    v->use_why = valloc(v, n, sizeof *v->use_why);
    if (n && (!v->cts.types || !v->is_def || !v->use_state || !v->use_why)) {
        v->cts.n = 0;
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        check_refs(v, i, v->ts->types[i], 0);
        v->cts.types[i] = convert_type(v, v->ts->types[i], 0);
    }
    check_ref_cycles(v);
}

/* ---------------------------------------------------------------- uses */

static const char *use_problem(vctx_t *v, const sats_type_t *t, int depth);

static const char *ref_problem(vctx_t *v, uint32_t r, int depth)
{
    if (r >= v->ts->n)
        return vfmt(v, "type ref %u is out of range (the typespace has %u types)", r, v->ts->n);
    if (v->is_def[r])
        return NULL;
    if (v->use_state[r] == USE_DONE)
        return v->use_why[r];
    if (v->use_state[r] == USE_BUSY)
        return vfmt(v, "type ref %u refers to itself without passing through a declared type", r);
    v->use_state[r] = USE_BUSY;
    const char *why = use_problem(v, v->ts->types[r], depth + 1);
    v->use_state[r] = USE_DONE;
    v->use_why[r] = why;
    return why;
}

/* NULL if t is a valid use, else why not (see the essay). */
static const char *use_problem(vctx_t *v, const sats_type_t *t, int depth)
{
    if (depth > USE_MAX_DEPTH)
        return "types nest too deeply";
    switch (sats_type_special(t)) {
    case SATS_SPECIAL_NONE:
        break;
    case SATS_SPECIAL_OPTION:
        return use_problem(v, field(t, 0)->type, depth + 1);
    case SATS_SPECIAL_RESULT: {
        const char *why = use_problem(v, field(t, 0)->type, depth + 1);
        return why ? why : use_problem(v, field(t, 1)->type, depth + 1);
    }
    default:
        return NULL;
    }
    switch (t->kind) {
    case SATS_REF:
        return ref_problem(v, t->u.ref, depth);
    case SATS_ARRAY:
        return use_problem(v, t->u.elem, depth + 1);
    case SATS_SUM:
        if (t->u.fields.n == 0)
            return NULL; /* the never type */
        /* fall through */
    case SATS_PRODUCT:
        return vfmt(v, "the type %s must be declared in the Types section and used through a Ref",
                    tyfmt(v, v->ts, t));
    default:
        return NULL;
    }
}

/* ---------------------------------------------------------------- type definitions */

static bool default_order(const sats_type_t *t)
{
    /* Unnamed elements (by position) sort before named ones (by name). */
    for (uint32_t i = 1; i < t->u.fields.n; i++) {
        const char *a = field(t, i - 1)->name, *b = field(t, i)->name;
        if (a && (b == NULL || strcmp(a, b) > 0))
            return false;
    }
    return true;
}

static const char *join_scope(vctx_t *v, const mod__raw_typedef_t *td, bool pascal)
{
    lc_buf_t b = {0};
    for (uint32_t i = 0; i <= td->nscope; i++) {
        const char *seg = i < td->nscope ? td->scope[i] : td->name;
        if (i > 0)
            lc_buf_puts(&b, "::");
        if (pascal)
            mod_name_convert_buf(&b, seg, MOD_CASE_PASCAL);
        else
            lc_buf_puts(&b, seg);
    }
    const char *s = b.oom ? NULL : lc_arena_strndup(v->a, b.data ? (char *)b.data : "", b.len);
    lc_buf_free(&b);
    if (s == NULL)
        v->oom = true;
    return s ? s : "";
}

static void check_type_segments(vctx_t *v, const mod__raw_typedef_t *td, const char *name)
{
    for (uint32_t i = 0; i <= td->nscope; i++) {
        const char *seg = i < td->nscope ? td->scope[i] : td->name;
        if (v->policy != MOD_CASE_POLICY_NONE)
            seg = conv(v, seg, MOD_CASE_PASCAL);
        check_ident(v, vfmt(v, "type `%s`", name), seg);
    }
}

/* The declared type must be a product or sum of named, valid elements. */
static void check_definition(vctx_t *v, const char *name, uint32_t ref)
{
    const sats_type_t *t = v->ts->types[ref];
    if (t->kind != SATS_PRODUCT && t->kind != SATS_SUM) {
        VERR(v, "type `%s`: %s is not a product or sum type, so it cannot be declared", name,
             tyfmt(v, v->ts, t));
        return;
    }
    for (uint32_t i = 0; i < t->u.fields.n; i++) {
        const sats_field_t *f = field(t, i);
        if (f->name == NULL) {
            VERR(v, "type `%s`: element %u has no name", name, i);
            continue;
        }
        check_ident(v, vfmt(v, "type `%s`", name), f->name);
        const char *why = use_problem(v, f->type, 0);
        if (why)
            VERR(v, "type `%s` element `%s`: %s", name, f->name, why);
    }
}

static void check_types(vctx_t *v)
{
    const mod__raw_t *raw = v->raw;
    for (uint32_t k = 0; k < raw->ntypes; k++)
        if (raw->types[k].ref < v->cts.n)
            v->is_def[raw->types[k].ref] = 1;
    mod_type_def_t *out = valloc(v, raw->ntypes, sizeof *out);
    lc_map_t seen;
    lc_map_init(&seen);
    for (uint32_t k = 0; out && k < raw->ntypes; k++) {
        const mod__raw_typedef_t *td = &raw->types[k];
        const char *src = join_scope(v, td, false);
        const char *name = join_scope(v, td, v->policy != MOD_CASE_POLICY_NONE);
        out[k] = (mod_type_def_t){name, src, td->ref, td->custom_ordering};
        check_type_segments(v, td, src);
        if (lc_map_gets(&seen, name))
            VERR(v, "name `%s` is used for more than one type", name);
        else if (lc_map_puts(&seen, name, (void *)name))
            v->oom = true;
        if (td->ref >= v->cts.n) {
            VERR(v, "type `%s` refers to type ref %u, which is out of range", src, td->ref);
            continue;
        }
        const sats_type_t *ct = v->cts.types[td->ref];
        if (!td->custom_ordering && (ct->kind == SATS_PRODUCT || ct->kind == SATS_SUM) &&
            !default_order(ct))
            VERR(v,
                 "type `%s` is not marked with a custom ordering, but its elements are not in "
                 "the default order: %s",
                 src, tyfmt(v, &v->cts, ct));
        check_definition(v, src, td->ref);
    }
    lc_map_free(&seen);
    v->d->ntypes = out ? raw->ntypes : 0;
    v->d->types = out;
}

/* ---------------------------------------------------------------- tables: names */

/* A column's name for generated names: its name, or col_N. */
static const char *col_label(vctx_t *v, const sats_type_t *prod, uint32_t col)
{
    if (col < prod->u.fields.n && field(prod, col)->name)
        return field(prod, col)->name;
    return vfmt(v, "col_%u", col);
}

static const char *gen_name(vctx_t *v, const char *table, const sats_type_t *prod, uint32_t n,
                            const uint16_t *cols, const char *suffix)
{
    lc_buf_t b = {0};
    lc_buf_puts(&b, table);
    for (uint32_t i = 0; i < n; i++) lc_buf_printf(&b, "_%s", col_label(v, prod, cols[i]));
    lc_buf_puts(&b, suffix);
    const char *s = b.oom ? NULL : lc_arena_strndup(v->a, (const char *)b.data, b.len);
    lc_buf_free(&b);
    if (s == NULL)
        v->oom = true;
    return s ? s : "";
}

const char *mod__algo_name(mod_index_algo_t algo)
{
    return algo == MOD_INDEX_HASH ? "hash" : algo == MOD_INDEX_DIRECT ? "direct" : "btree";
}

const char *mod__lifecycle_name(int spec)
{
    static const char *const names[] = {"Init", "OnConnect", "OnDisconnect"};
    return spec >= 0 && spec < 3 ? names[spec] : "?";
}

/* ---------------------------------------------------------------- tables: parts */

/* The table being built, with what its checks need. */
typedef struct tctx {
    const mod__raw_table_t *rt;
    mod_table_t *t;
    const char *src;          /* as declared */
    const sats_type_t *rp;    /* row product, declared names */
    const sats_type_t *cp;    /* row product, canonical names */
    const char *gen_table;    /* table name used in generated names */
    const sats_type_t *gen_p; /* product whose names generated names use */
    bool idx_ok, cons_ok;
    uint8_t *seen; /* one flag per column, all clear between uses */
} tctx_t;

static void clear_seen(tctx_t *c, uint32_t n, const uint16_t *cols)
{
    for (uint32_t i = 0; i < n; i++)
        if (cols[i] < c->t->ncols)
            c->seen[cols[i]] = 0;
}

/* Columns of an index, constraint: in range, no repeats.  Linear in n, so
 * a hostile column list costs no more than reading it. */
static bool check_cols(vctx_t *v, tctx_t *c, const char *def, uint32_t n, const uint16_t *cols)
{
    bool ok = true, repeated = false;
    for (uint32_t i = 0; i < n; i++) {
        if (cols[i] >= c->t->ncols) {
            VERR(v, "table `%s`: column %u referenced by `%s` does not exist", c->src, cols[i],
                 def);
            ok = false;
        } else if (c->seen[cols[i]] && !repeated) {
            VERR(v, "table `%s`: `%s` lists column %u more than once", c->src, def, cols[i]);
            ok = false;
            repeated = true;
        }
        if (cols[i] < c->t->ncols)
            c->seen[cols[i]] = 1;
    }
    clear_seen(c, n, cols);
    return ok;
}

static bool simple_enum(const sats_type_t *t)
{
    if (t == NULL || t->kind != SATS_SUM)
        return false;
    for (uint32_t i = 0; i < t->u.fields.n; i++)
        if (sats_type_special(field(t, i)->type) != SATS_SPECIAL_UNIT)
            return false;
    return true;
}

static void check_direct(vctx_t *v, tctx_t *c, const char *name, uint16_t col)
{
    const sats_type_t *t = field(c->rp, col)->type;
    sats_kind_t k = t->kind;
    bool ok = k == SATS_U8 || k == SATS_U16 || k == SATS_U32 || k == SATS_U64 || simple_enum(t) ||
              (k == SATS_REF && t->u.ref < v->ts->n && simple_enum(v->ts->types[t->u.ref]));
    if (!ok)
        VERR(v,
             "table `%s`: direct index `%s` cannot use column `%s` of type %s (only u8, u16, "
             "u32, u64 or an enum without payloads)",
             c->src, name, col_label(v, c->rp, col), tyfmt(v, v->ts, t));
}

static void build_index(vctx_t *v, tctx_t *c, const mod__raw_index_t *ri, uint32_t i)
{
    const char *src, *name;
    if (v->raw->version == 10) {
        if (ri->name == NULL) {
            VERR(v, "table `%s`: index %u has no source name", c->src, i);
            c->idx_ok = false;
            return;
        }
        src = ri->name;
        add_name(v, src);
        const char *ex = lc_map_gets(&v->ex_index, src);
        name = ex ? ex
                  : gen_name(v, c->gen_table, c->gen_p, ri->ncols, ri->cols,
                             vfmt(v, "_idx_%s", mod__algo_name(ri->algo)));
        if (strcmp(name, src) != 0)
            add_name(v, name);
    } else {
        name = ri->name ? ri->name
                        : gen_name(v, c->gen_table, c->gen_p, ri->ncols, ri->cols,
                                   vfmt(v, "_idx_%s", mod__algo_name(ri->algo)));
        add_name(v, name);
        src = name;
    }
    check_ident(v, vfmt(v, "table `%s` index", c->src), name);
    if (ri->accessor)
        check_ident(v, vfmt(v, "table `%s` index `%s` accessor", c->src, name), ri->accessor);
    bool ok = check_cols(v, c, name, ri->ncols, ri->cols);
    if (ok && ri->ncols == 0) {
        VERR(v, "table `%s`: index `%s` has no columns", c->src, name);
        ok = false;
    }
    if (ok && ri->algo == MOD_INDEX_DIRECT)
        check_direct(v, c, name, ri->cols[0]);
    c->idx_ok &= ok;
    mod_index_t *x = (mod_index_t *)&c->t->indexes[c->t->nindexes++];
    *x = (mod_index_t){
        c->t->id, name, src, ri->accessor, (mod_index_algo_t)ri->algo, (uint16_t)ri->ncols,
        ri->cols};
}

static void build_constraint(vctx_t *v, tctx_t *c, const mod__raw_constraint_t *rc)
{
    const char *name = v->raw->version == 9 && rc->name
                           ? rc->name
                           : gen_name(v, c->gen_table, c->gen_p, rc->ncols, rc->cols, "_key");
    c->cons_ok &= check_cols(v, c, name, rc->ncols, rc->cols);
    add_name(v, name);
    mod_constraint_t *x = (mod_constraint_t *)&c->t->constraints[c->t->nconstraints++];
    *x = (mod_constraint_t){name, (uint16_t)rc->ncols, rc->cols};
}

/* Whether two column lists (each without repeats) hold the same columns. */
static bool same_set(tctx_t *c, uint32_t na, const uint16_t *a, uint32_t nb, const uint16_t *b)
{
    if (na != nb)
        return false;
    for (uint32_t i = 0; i < na; i++)
        if (a[i] < c->t->ncols)
            c->seen[a[i]] = 1;
    bool same = true;
    for (uint32_t i = 0; i < nb && same; i++) same = b[i] < c->t->ncols && c->seen[b[i]];
    clear_seen(c, na, a);
    return same;
}

static void check_primary_key(vctx_t *v, tctx_t *c)
{
    const mod__raw_table_t *rt = c->rt;
    c->t->primary_key = -1;
    if (rt->npk > 1) {
        VERR(v, "table `%s` has a primary key of %u columns; at most one is supported", c->src,
             rt->npk);
        return;
    }
    if (rt->npk == 0)
        return;
    uint16_t col = rt->pk[0];
    if (col >= c->t->ncols) {
        VERR(v, "table `%s`: primary key column %u does not exist", c->src, col);
        return;
    }
    bool backed = false;
    for (uint32_t i = 0; i < c->t->nconstraints && !backed; i++)
        backed = same_set(c, c->t->constraints[i].ncols, c->t->constraints[i].cols, 1, &col);
    if (!backed && c->cons_ok)
        VERR(v, "table `%s` column `%s` is the primary key but has no unique constraint", c->src,
             col_label(v, c->rp, col));
    c->t->primary_key = col;
}

/* Every unique constraint needs an index on exactly its columns. */
static void check_constraint_indexes(vctx_t *v, tctx_t *c)
{
    if (!c->idx_ok || !c->cons_ok)
        return;
    for (uint32_t i = 0; i < c->t->nconstraints; i++) {
        const mod_constraint_t *k = &c->t->constraints[i];
        bool found = false;
        for (uint32_t j = 0; j < c->t->nindexes && !found; j++)
            found = same_set(c, k->ncols, k->cols, c->t->indexes[j].ncols, c->t->indexes[j].cols);
        if (!found)
            VERR(v, "table `%s`: unique constraint `%s` has no index on exactly its columns",
                 c->src, k->name);
    }
}

static bool is_integer(sats_kind_t k)
{
    return k >= SATS_I8 && k <= SATS_U256;
}

static bool le128(bool ha, __int128 a, bool hb, __int128 b)
{
    return !ha || !hb || a <= b;
}

static void build_sequence(vctx_t *v, tctx_t *c, const mod__raw_sequence_t *rs, bool *has_seq)
{
    const char *name =
        rs->name ? rs->name : gen_name(v, c->gen_table, c->gen_p, 1, &rs->col, "_seq");
    if (rs->col >= c->t->ncols) {
        VERR(v, "table `%s`: column %u referenced by `%s` does not exist", c->src, rs->col, name);
    } else if (!is_integer(field(c->rp, rs->col)->type->kind)) {
        VERR(v, "table `%s` column `%s`: sequence `%s` needs an integer column, not %s", c->src,
             col_label(v, c->rp, rs->col), name, tyfmt(v, v->ts, field(c->rp, rs->col)->type));
    } else if (has_seq[rs->col]) {
        VERR(v, "table `%s` column `%s` has more than one auto_inc sequence", c->src,
             col_label(v, c->rp, rs->col));
    } else {
        has_seq[rs->col] = true;
    }
    if (!le128(rs->has_min, rs->min_value, rs->has_start, rs->start) ||
        !le128(rs->has_start, rs->start, rs->has_max, rs->max_value) ||
        !le128(rs->has_min, rs->min_value, rs->has_max, rs->max_value))
        VERR(v,
             "table `%s`: sequence `%s` needs min_value <= start <= max_value, not %s <= %s <= %s",
             c->src, name, i128_str(v, rs->has_min, rs->min_value),
             i128_str(v, rs->has_start, rs->start), i128_str(v, rs->has_max, rs->max_value));
    add_name(v, name);
    mod_sequence_t *x = (mod_sequence_t *)&c->t->sequences[c->t->nsequences++];
    *x = (mod_sequence_t){
        .name = name,
        .col = rs->col,
        .start = rs->has_start ? rs->start : 1,
        .min_value = rs->has_min ? rs->min_value : 1,
        .max_value = rs->has_max ? rs->max_value : (__int128)(((unsigned __int128)1 << 127) - 1),
        .increment = rs->increment,
        .has_start = rs->has_start,
        .has_min = rs->has_min,
        .has_max = rs->has_max,
    };
}

/* Attach a default value: the column exists, has no other, and the bytes
 * hold a value of its type (trailing bytes ignored, as by the reference). */
static void apply_default(vctx_t *v, mod_table_t *t, const char *src, uint16_t col,
                          const uint8_t *bytes, uint32_t len)
{
    if (col >= t->ncols) {
        VERR(v, "table `%s`: default value for column %u, which does not exist", src, col);
        return;
    }
    mod_column_t *c = (mod_column_t *)&t->cols[col];
    if (c->default_value) {
        VERR(v, "table `%s` column `%s` has more than one default value", src, c->accessor);
        return;
    }
    lc_rd_t r = lc_rd_make(bytes, len);
    lc_err_t e;
    if (sats_bsatn_skip(&r, &v->cts, c->type, &e)) {
        VERR(v, "table `%s` column `%s`: the default value does not decode: %s", src, c->accessor,
             e.msg);
        return;
    }
    c->default_value = bytes ? bytes : (const uint8_t *)"";
    c->default_len = len - (uint32_t)r.len;
}

static void build_columns(vctx_t *v, tctx_t *c)
{
    mod_column_t *cols = valloc(v, c->t->ncols, sizeof *cols);
    c->t->cols = cols;
    for (uint32_t j = 0; cols && j < c->t->ncols; j++) {
        const sats_field_t *rf = field(c->rp, j), *cf = field(c->cp, j);
        cols[j].type = cf->type;
        cols[j].accessor = rf->name ? rf->name : "";
        cols[j].name = cf->name ? cf->name : "";
        if (rf->name == NULL) {
            VERR(v, "table `%s` has unnamed column %u", c->src, j);
            continue;
        }
        check_ident(v, vfmt(v, "table `%s` column", c->src), rf->name);
        if (strcmp(rf->name, cols[j].name) != 0)
            check_ident(v, vfmt(v, "table `%s` column", c->src), cols[j].name);
        const char *why = use_problem(v, rf->type, 0);
        if (why)
            VERR(v, "table `%s` column `%s`: %s", c->src, rf->name, why);
    }
}

/* ---------------------------------------------------------------- tables */

static void build_parts(vctx_t *v, tctx_t *c)
{
    const mod__raw_table_t *rt = c->rt;
    mod_table_t *t = c->t;
    t->indexes = valloc(v, rt->nindexes, sizeof *t->indexes);
    t->constraints = valloc(v, rt->nconstraints, sizeof *t->constraints);
    t->sequences = valloc(v, rt->nsequences, sizeof *t->sequences);
    bool *has_seq = valloc(v, t->ncols, sizeof *has_seq);
    if (v->oom)
        return;
    for (uint32_t i = 0; i < rt->nindexes; i++) build_index(v, c, &rt->indexes[i], i);
    for (uint32_t i = 0; i < rt->nconstraints; i++) build_constraint(v, c, &rt->constraints[i]);
    check_primary_key(v, c);
    check_constraint_indexes(v, c);
    for (uint32_t i = 0; i < rt->nsequences; i++) build_sequence(v, c, &rt->sequences[i], has_seq);
}

static void build_names(vctx_t *v, tctx_t *c)
{
    mod_table_t *t = c->t;
    add_name(v, c->src);
    check_ident(v, vfmt(v, "table `%s`", c->src), c->src);
    if (t->type != MOD_TABLE_SYSTEM && strncmp(t->name, "st_", 3) == 0)
        VERR(v, "table `%s`: the name `%s` is reserved for system tables", c->src, t->name);
    if (strcmp(t->name, c->src) != 0) {
        check_ident(v, vfmt(v, "table `%s`", c->src), t->name);
        add_name(v, t->name);
    }
}

static void build_table(vctx_t *v, const mod__raw_table_t *rt)
{
    if (rt->type_ref >= v->cts.n || v->ts->types[rt->type_ref]->kind != SATS_PRODUCT) {
        VERR(v, "table `%s`: its row type (type ref %u) is not a product type in the typespace",
             rt->name, rt->type_ref);
        return;
    }
    const sats_type_t *rp = v->ts->types[rt->type_ref], *cp = v->cts.types[rt->type_ref];
    if (rp->u.fields.n > UINT16_MAX) {
        VERR(v, "table `%s` has %u columns; at most 65535 are supported", rt->name, rp->u.fields.n);
        return;
    }
    mod_table_t *t = &v->tables[v->ntables];
    *t = (mod_table_t){.id = v->ntables,
                       .source_name = rt->name,
                       .type_ref = rt->type_ref,
                       .row_type = cp,
                       .accessor_row_type = rp,
                       .ncols = (uint16_t)rp->u.fields.n,
                       .type = (mod_table_type_t)rt->table_type,
                       .access = (mod_access_t)rt->access,
                       .is_event = rt->is_event};
    t->name = resolve(v, &v->ex_table, rt->name);
    tctx_t c = {rt, t, rt->name, rp, cp, t->name, cp, true, true, valloc(v, t->ncols + 1u, 1)};
    if (c.seen == NULL)
        return;
    if (v->raw->version == 9)
        c.gen_p = rp;
    build_columns(v, &c);
    if (t->cols == NULL && t->ncols)
        return;
    build_parts(v, &c);
    build_names(v, &c);
    for (uint32_t i = 0; i < rt->ndefaults; i++)
        apply_default(v, t, rt->name, rt->defaults[i].col, rt->defaults[i].bytes,
                      rt->defaults[i].len);
    if (rt->has_schedule)
        v->scheds[v->nscheds++] = (sched_src_t){t->id, &rt->schedule};
    if (!lc_map_gets(&v->table_map, t->name))
        put_map(v, &v->table_map, t->name, t);
    v->ntables++;
}

static mod_table_t *table_by_name(vctx_t *v, const char *name)
{
    return lc_map_gets(&v->table_map, name);
}

static void build_tables(vctx_t *v)
{
    const mod__raw_t *raw = v->raw;
    uint32_t before = v->errs->n + v->errs->dropped;
    v->tables = valloc(v, raw->ntables, sizeof *v->tables);
    v->scheds = valloc(v, raw->ntables + raw->nschedules, sizeof *v->scheds);
    if (v->oom)
        return;
    for (uint32_t k = 0; k < raw->ntables && !v->oom; k++) build_table(v, &raw->tables[k]);
    /* V9 default values arrive as misc exports naming their table. */
    for (uint32_t k = 0; k < raw->ndefaults; k++) {
        const mod__raw_default_t *rd = &raw->defaults[k];
        mod_table_t *t = table_by_name(v, rd->table);
        if (t == NULL)
            VERR(v, "default value for table `%s`, which does not exist", rd->table);
        else
            apply_default(v, t, rd->table, rd->col, rd->bytes, rd->len);
    }
    v->table_errors = v->errs->n + v->errs->dropped > before;
}

/* ---------------------------------------------------------------- functions */

/* Parameters: named, and valid uses. */
static void check_params(vctx_t *v, const char *kind, const char *fn, const sats_type_t *params)
{
    for (uint32_t i = 0; i < params->u.fields.n; i++) {
        const sats_field_t *f = field(params, i);
        if (f->name == NULL) {
            VERR(v, "%s `%s` parameter %u has no name", kind, fn, i);
            continue;
        }
        check_ident(v, vfmt(v, "%s `%s` parameter", kind, fn), policy_name(v, f->name));
        const char *why = use_problem(v, f->type, 0);
        if (why)
            VERR(v, "%s `%s` parameter `%s`: %s", kind, fn, f->name, why);
    }
}

static const char *function_name(vctx_t *v, const char *kind, const char *src)
{
    check_ident(v, vfmt(v, "%s `%s`", kind, src), src);
    const char *name = resolve(v, &v->ex_fn, src);
    if (strcmp(name, src) != 0)
        check_ident(v, vfmt(v, "%s `%s`", kind, src), name);
    return name;
}

static void build_reducer(vctx_t *v, uint32_t k)
{
    const mod__raw_reducer_t *rr = &v->raw->reducers[k];
    mod_reducer_t *r = &v->reducers[k];
    *r = (mod_reducer_t){k,          function_name(v, "reducer", rr->name), rr->name,
                         rr->params, (mod_visibility_t)rr->visibility,      MOD_LIFECYCLE_NONE};
    check_params(v, "reducer", rr->name, rr->params);
    if (v->raw->version == 10 &&
        (sats_type_special(rr->ok_type) != SATS_SPECIAL_UNIT || rr->err_type->kind != SATS_STRING))
        VERR(v, "reducer `%s` must return Result<(), String>, not Result<%s, %s>", rr->name,
             tyfmt(v, v->ts, rr->ok_type), tyfmt(v, v->ts, rr->err_type));
    if (rr->lifecycle >= 0) {
        if (v->d->lifecycle[rr->lifecycle + 1] >= 0) {
            VERR(v, "more than one reducer is declared for lifecycle event %s",
                 mod__lifecycle_name(rr->lifecycle));
        } else {
            v->d->lifecycle[rr->lifecycle + 1] = (int32_t)k;
            r->lifecycle = (mod_lifecycle_t)(rr->lifecycle + 1);
        }
    }
}

static void build_procedure(vctx_t *v, uint32_t k)
{
    const mod__raw_procedure_t *rp = &v->raw->procedures[k];
    v->procedures[k] = (mod_procedure_t){k,
                                         function_name(v, "procedure", rp->name),
                                         rp->name,
                                         rp->params,
                                         rp->return_type,
                                         (mod_visibility_t)rp->visibility};
    check_params(v, "procedure", rp->name, rp->params);
    const char *why = use_problem(v, rp->return_type, 0);
    if (why)
        VERR(v, "procedure `%s` return type: %s", rp->name, why);
}

/* T of a view returning Vec<T>, Option<T> or a query of T; MOD_NONE if the
 * return type has none of these shapes. */
static uint32_t view_row_ref(const sats_type_t *ret, bool *query)
{
    const sats_type_t *inner = NULL;
    *query = false;
    if (ret->kind == SATS_ARRAY)
        inner = ret->u.elem;
    else if (sats_type_special(ret) == SATS_SPECIAL_OPTION)
        inner = field(ret, 0)->type;
    else if (ret->kind == SATS_PRODUCT && ret->u.fields.n == 1 && field(ret, 0)->name &&
             strcmp(field(ret, 0)->name, "__query__") == 0) {
        inner = field(ret, 0)->type;
        *query = true;
    }
    return inner && inner->kind == SATS_REF ? inner->u.ref : MOD_NONE;
}

static void view_columns(vctx_t *v, const mod__raw_view_t *rv, const sats_type_t *row)
{
    for (uint32_t i = 0; i < row->u.fields.n; i++) {
        const sats_field_t *f = field(row, i);
        if (f->name == NULL) {
            VERR(v, "view `%s` has unnamed column %u", rv->name, i);
            continue;
        }
        check_ident(v, vfmt(v, "view `%s` column", rv->name), f->name);
        const char *why = use_problem(v, f->type, 0);
        if (why)
            VERR(v, "view `%s` column `%s`: %s", rv->name, f->name, why);
    }
}

static void build_view(vctx_t *v, const mod__raw_view_t *rv)
{
    bool query;
    uint32_t ref = view_row_ref(rv->return_type, &query);
    if (ref == MOD_NONE) {
        VERR(v, "view `%s` has return type %s; it must be Vec<T>, Option<T> or a query of T",
             rv->name, tyfmt(v, v->ts, rv->return_type));
        return;
    }
    if (ref >= v->cts.n || v->ts->types[ref]->kind != SATS_PRODUCT) {
        VERR(v, "view `%s`: its row type (type ref %u) is not a product type", rv->name, ref);
        return;
    }
    mod_view_t *w = &v->views[v->nviews];
    *w = (mod_view_t){v->nviews,
                      function_name(v, "view", rv->name),
                      rv->name,
                      rv->index,
                      rv->is_public,
                      rv->is_anonymous,
                      query,
                      rv->params,
                      rv->return_type,
                      ref,
                      -1};
    check_params(v, "view", rv->name, rv->params);
    const char *why = use_problem(v, query ? field(rv->return_type, 0)->type : rv->return_type, 0);
    if (why)
        VERR(v, "view `%s` return type: %s", rv->name, why);
    view_columns(v, rv, v->ts->types[ref]);
    add_name(v, w->name);
    v->nviews++;
}

/* Reducers, procedures and views share one namespace. */
static void check_function_names(vctx_t *v)
{
    lc_map_t seen;
    lc_map_init(&seen);
    const mod_def_t *d = v->d;
    uint32_t total = d->nreducers + v->nprocedures + v->nviews;
    for (uint32_t i = 0; i < total; i++) {
        const char *name = i < d->nreducers ? v->reducers[i].name
                           : i < d->nreducers + v->nprocedures
                               ? v->procedures[i - d->nreducers].name
                               : v->views[i - d->nreducers - v->nprocedures].name;
        if (lc_map_gets(&seen, name))
            VERR(v, "name `%s` is used for more than one reducer, procedure or view", name);
        else if (lc_map_puts(&seen, name, (void *)name))
            v->oom = true;
    }
    lc_map_free(&seen);
}

static void build_functions(vctx_t *v)
{
    const mod__raw_t *raw = v->raw;
    mod_def_t *d = v->d;
    v->reducers = valloc(v, raw->nreducers, sizeof *v->reducers);
    v->procedures = valloc(v, raw->nprocedures, sizeof *v->procedures);
    v->views = valloc(v, raw->nviews, sizeof *v->views);
    if (v->oom)
        return;
    uint32_t before = v->errs->n + v->errs->dropped;
    d->nreducers = raw->nreducers;
    for (uint32_t k = 0; k < raw->nreducers; k++) build_reducer(v, k);
    v->reducer_errors = v->errs->n + v->errs->dropped > before;
    v->nprocedures = raw->nprocedures;
    for (uint32_t k = 0; k < raw->nprocedures; k++) build_procedure(v, k);
    for (uint32_t k = 0; k < raw->nviews; k++) build_view(v, &raw->views[k]);
    check_function_names(v);
}

/* ---------------------------------------------------------------- lifecycle and schedules */

static int32_t reducer_by_name(vctx_t *v, const char *name)
{
    const mod_reducer_t *r = lc_map_gets(&v->reducer_map, name);
    return r ? (int32_t)r->id : -1;
}

static int32_t procedure_by_name(vctx_t *v, const char *name)
{
    const mod_procedure_t *p = lc_map_gets(&v->procedure_map, name);
    return p ? (int32_t)p->id : -1;
}

/* First function of each name (duplicates are errors anyway). */
static void index_functions(vctx_t *v)
{
    for (uint32_t i = 0; i < v->d->nreducers; i++)
        if (!lc_map_gets(&v->reducer_map, v->reducers[i].name))
            put_map(v, &v->reducer_map, v->reducers[i].name, &v->reducers[i]);
    for (uint32_t i = 0; i < v->nprocedures; i++)
        if (!lc_map_gets(&v->procedure_map, v->procedures[i].name))
            put_map(v, &v->procedure_map, v->procedures[i].name, &v->procedures[i]);
}

static void build_lifecycles(vctx_t *v)
{
    if (v->reducer_errors)
        return;
    for (uint32_t k = 0; k < v->raw->nlifecycles; k++) {
        const mod__raw_lifecycle_t *rl = &v->raw->lifecycles[k];
        const char *event = mod__lifecycle_name(rl->spec);
        int32_t r = reducer_by_name(v, resolve(v, &v->ex_fn, rl->function));
        if (r < 0) {
            VERR(v, "lifecycle event %s names `%s`, which is not a reducer", event, rl->function);
        } else if (v->d->lifecycle[rl->spec + 1] >= 0 || v->reducers[r].lifecycle) {
            VERR(v, "more than one reducer is declared for lifecycle event %s", event);
        } else {
            v->d->lifecycle[rl->spec + 1] = r;
            v->reducers[r].lifecycle = (mod_lifecycle_t)(rl->spec + 1);
        }
    }
}

static void build_schedule(vctx_t *v, mod_table_t *t, const mod__raw_schedule_t *rs)
{
    const sats_type_t *rp = t->accessor_row_type;
    const char *name = v->raw->version == 9 && rs->name ? rs->name : vfmt(v, "%s_sched", t->name);
    bool at_ok = rs->at_col < t->ncols &&
                 sats_type_special(field(rp, rs->at_col)->type) == SATS_SPECIAL_SCHEDULE_AT;
    bool id_ok = t->primary_key >= 0 && field(rp, (uint32_t)t->primary_key)->type->kind == SATS_U64;
    if (!at_ok || !id_ok)
        VERR(v,
             "schedule table `%s` must have a primary key column `scheduled_id: u64` and a "
             "column `scheduled_at: ScheduleAt` (column %u), but its columns are %s",
             t->source_name, rs->at_col, tyfmt(v, v->ts, rp));
    add_name(v, name);
    if (t->schedule) {
        VERR(v, "table `%s` has more than one schedule", t->source_name);
        return;
    }
    mod_schedule_t *s = valloc(v, 1, sizeof *s);
    if (s == NULL)
        return;
    *s = (mod_schedule_t){name,       resolve(v, &v->ex_fn, rs->function),   MOD_NONE, false,
                          rs->at_col, (uint16_t)(id_ok ? t->primary_key : 0)};
    t->schedule = s;
}

/* The scheduled function exists and takes exactly the table's row. */
static void link_schedule(vctx_t *v, mod_table_t *t)
{
    mod_schedule_t *s = (mod_schedule_t *)t->schedule;
    int32_t r = reducer_by_name(v, s->function_name);
    int32_t p = r < 0 ? procedure_by_name(v, s->function_name) : -1;
    if (r < 0 && p < 0) {
        VERR(v, "schedule `%s` of table `%s` calls `%s`, which is not a reducer or procedure",
             s->name, t->source_name, s->function_name);
        return;
    }
    s->function = (uint32_t)(r >= 0 ? r : p);
    s->is_procedure = r < 0;
    const sats_type_t *params = r >= 0 ? v->reducers[r].params : v->procedures[p].params;
    const sats_type_t *arg = params->u.fields.n == 1 ? field(params, 0)->type : NULL;
    if (arg == NULL || arg->kind != SATS_REF || arg->u.ref != t->type_ref)
        VERR(v,
             "%s `%s` is scheduled by table `%s`, so it must take exactly one argument of the "
             "table's row type (type ref %u), not %s",
             r >= 0 ? "reducer" : "procedure", s->function_name, t->source_name, t->type_ref,
             tyfmt(v, v->ts, params));
}

static void build_schedules(vctx_t *v)
{
    /* As the reference: V10 schedules are checked only against valid tables. */
    if (v->raw->version == 10 && !v->table_errors) {
        for (uint32_t k = 0; k < v->raw->nschedules; k++) {
            const mod__raw_schedule_t *rs = &v->raw->schedules[k];
            mod_table_t *t = table_by_name(v, resolve(v, &v->ex_table, rs->table));
            if (t == NULL)
                VERR(v, "schedule for table `%s`, which does not exist", rs->table);
            else
                build_schedule(v, t, rs);
        }
    }
    for (uint32_t k = 0; k < v->nscheds; k++)
        build_schedule(v, &v->tables[v->scheds[k].table], v->scheds[k].raw);
    for (uint32_t i = 0; i < v->ntables; i++)
        if (v->tables[i].schedule)
            link_schedule(v, &v->tables[i]);
}

/* V10: scheduled functions and lifecycle reducers are not client-callable. */
static void restrict_visibility(vctx_t *v)
{
    if (v->raw->version != 10)
        return;
    for (uint32_t i = 0; i < v->ntables; i++) {
        const mod_schedule_t *s = v->tables[i].schedule;
        if (s && s->function != MOD_NONE && !s->is_procedure)
            v->reducers[s->function].visibility = MOD_VIS_PRIVATE;
        else if (s && s->function != MOD_NONE)
            v->procedures[s->function].visibility = MOD_VIS_PRIVATE;
    }
    for (uint32_t i = 0; i < v->d->nreducers; i++)
        if (v->reducers[i].lifecycle != MOD_LIFECYCLE_NONE)
            v->reducers[i].visibility = MOD_VIS_PRIVATE;
}

/* ---------------------------------------------------------------- views, HTTP */

static void view_pk(vctx_t *v, const mod__raw_view_pk_t *pk, lc_map_t *seen, lc_map_t *views)
{
    if (lc_map_gets(seen, pk->view)) {
        VERR(v, "view `%s` has more than one primary key declaration", pk->view);
        return;
    }
    put_map(v, seen, pk->view, (void *)pk->view);
    if (pk->ncols > 1) {
        VERR(v, "view `%s` has a primary key of %u columns; at most one is supported", pk->view,
             pk->ncols);
        return;
    }
    if (pk->ncols == 0)
        return;
    mod_view_t *w = lc_map_gets(views, pk->view);
    if (w == NULL) {
        VERR(v, "primary key declared for view `%s`, which does not exist", pk->view);
        return;
    }
    const sats_type_t *row = v->ts->types[w->type_ref];
    for (uint32_t i = 0; i < row->u.fields.n && w->primary_key < 0; i++)
        if (field(row, i)->name && strcmp(field(row, i)->name, pk->cols[0]) == 0)
            w->primary_key = (int32_t)i;
    if (w->primary_key < 0)
        VERR(v, "view `%s` has no column `%s` for its primary key", pk->view, pk->cols[0]);
}

/* A query view over rows of a table takes that table's primary key, when
 * all tables of that row type agree on one. */
static void query_view_pks(vctx_t *v)
{
    enum { AMBIGUOUS = 1 }; /* else pk + 2 */
    lc_map_t pks;
    lc_map_init(&pks);
    for (uint32_t j = 0; j < v->ntables; j++) {
        const mod_table_t *t = &v->tables[j];
        if (t->primary_key < 0)
            continue;
        uintptr_t was = (uintptr_t)lc_map_get_u64(&pks, t->type_ref);
        uintptr_t now =
            was && was != (uintptr_t)t->primary_key + 2 ? AMBIGUOUS : (uintptr_t)t->primary_key + 2;
        if (lc_map_put_u64(&pks, t->type_ref, (void *)now))
            v->oom = true;
    }
    for (uint32_t i = 0; i < v->nviews; i++) {
        mod_view_t *w = &v->views[i];
        uintptr_t pk = (uintptr_t)lc_map_get_u64(&pks, w->type_ref);
        if (w->is_query && w->primary_key < 0 && pk > AMBIGUOUS)
            w->primary_key = (int32_t)(pk - 2);
    }
    lc_map_free(&pks);
}

static void build_view_pks(vctx_t *v)
{
    lc_map_t seen, views;
    lc_map_init(&seen);
    lc_map_init(&views);
    for (uint32_t i = 0; i < v->nviews; i++)
        if (!lc_map_gets(&views, v->views[i].source_name))
            put_map(v, &views, v->views[i].source_name, &v->views[i]);
    for (uint32_t k = 0; k < v->raw->nview_pks; k++)
        view_pk(v, &v->raw->view_pks[k], &seen, &views);
    lc_map_free(&seen);
    lc_map_free(&views);
    query_view_pks(v);
}

static bool route_path_ok(const char *p)
{
    if (*p && *p != '/')
        return false;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-_~/", *p)))
            return false;
    return true;
}

/* Whether r overlaps an earlier route: the same path with Any on either
 * side, or the same path and method.  paths maps a path to 1 (routes seen)
 * or 2 (an Any route seen); exact holds method, extension and path. */
static bool route_overlaps(vctx_t *v, lc_map_t *paths, lc_map_t *exact, const mod_http_route_t *r)
{
    uintptr_t state = (uintptr_t)lc_map_gets(paths, r->path);
    lc_buf_t key = {0};
    lc_buf_printf(&key, "%d", (int)r->method);
    lc_buf_putc(&key, 0);
    lc_buf_puts(&key, r->extension_method ? r->extension_method : "");
    lc_buf_putc(&key, 0);
    lc_buf_puts(&key, r->path);
    bool dup = state == 2 || (state && r->method == MOD_HTTP_ANY) ||
               (!key.oom && lc_map_get(exact, key.data, key.len));
    uintptr_t now = r->method == MOD_HTTP_ANY ? 2 : state ? state : 1;
    if (key.oom || lc_map_puts(paths, r->path, (void *)now) ||
        lc_map_put(exact, key.data, key.len, (void *)r, NULL))
        v->oom = true;
    lc_buf_free(&key);
    return dup;
}

static void build_routes(vctx_t *v, mod_http_handler_t *h, lc_map_t *handlers)
{
    mod_http_route_t *routes = valloc(v, v->raw->nroutes, sizeof *routes);
    lc_map_t paths, exact;
    lc_map_init(&paths);
    lc_map_init(&exact);
    uint32_t n = 0;
    for (uint32_t k = 0; routes && k < v->raw->nroutes; k++) {
        const mod__raw_route_t *rr = &v->raw->routes[k];
        if (!route_path_ok(rr->path)) {
            VERR(v,
                 "HTTP route path `%s` is invalid: it must be empty or start with `/`, and "
                 "use only a-z, 0-9, `-`, `_`, `~` and `/`",
                 rr->path);
            continue;
        }
        const mod_http_handler_t *hd = lc_map_gets(handlers, resolve(v, &v->ex_fn, rr->handler));
        if (hd == NULL) {
            VERR(v, "HTTP route `%s` refers to unknown HTTP handler `%s`", rr->path, rr->handler);
            continue;
        }
        routes[n] = (mod_http_route_t){(uint32_t)(hd - h), (mod_http_method_t)rr->method,
                                       rr->extension, rr->path};
        if (route_overlaps(v, &paths, &exact, &routes[n]))
            VERR(v, "HTTP route `%s` overlaps an earlier route with the same path and method",
                 rr->path);
        n++;
    }
    lc_map_free(&paths);
    lc_map_free(&exact);
    v->d->nhttp_routes = routes ? n : 0;
    v->d->http_routes = routes;
}

static void build_http(vctx_t *v)
{
    const mod__raw_t *raw = v->raw;
    mod_http_handler_t *h = valloc(v, raw->nhandlers, sizeof *h);
    lc_map_t seen;
    lc_map_init(&seen);
    for (uint32_t k = 0; h && k < raw->nhandlers; k++) {
        h[k] = (mod_http_handler_t){function_name(v, "HTTP handler", raw->handlers[k]),
                                    raw->handlers[k]};
        if (lc_map_gets(&seen, h[k].name))
            VERR(v, "HTTP handler name `%s` is used more than once", h[k].name);
        else
            put_map(v, &seen, h[k].name, &h[k]);
    }
    v->d->nhttp_handlers = h ? raw->nhandlers : 0;
    v->d->http_handlers = h;
    build_routes(v, h, &seen);
    lc_map_free(&seen);
}

/* ---------------------------------------------------------------- lookups */

static void build_maps(vctx_t *v)
{
    mod_def_t *d = v->d;
    for (uint32_t i = 0; i < d->ntables; i++) {
        const mod_table_t *t = &d->tables[i];
        put_map(v, &d->by_table, t->name, (void *)t);
        put_map(v, &d->by_table, t->source_name, (void *)t);
        for (uint32_t j = 0; j < t->nindexes; j++) {
            put_map(v, &d->by_index, t->indexes[j].name, (void *)&t->indexes[j]);
            put_map(v, &d->by_index, t->indexes[j].source_name, (void *)&t->indexes[j]);
        }
    }
    for (uint32_t i = 0; i < d->nreducers; i++)
        put_map(v, &d->by_reducer, d->reducers[i].name, (void *)&d->reducers[i]);
    for (uint32_t i = 0; i < d->nprocedures; i++)
        put_map(v, &d->by_procedure, d->procedures[i].name, (void *)&d->procedures[i]);
    for (uint32_t i = 0; i < d->nviews; i++)
        put_map(v, &d->by_view, d->views[i].name, (void *)&d->views[i]);
}

/* ---------------------------------------------------------------- entry */

static void set_policy(vctx_t *v)
{
    const mod__raw_t *raw = v->raw;
    v->policy =
        raw->version == 9 || raw->case_policy == 0 ? MOD_CASE_POLICY_NONE : MOD_CASE_POLICY_SNAKE;
    if (raw->version == 10 && raw->case_policy >= 2)
        VERR(v, "case conversion policy %s is not supported",
             raw->case_policy == 2 ? "CamelCase" : "PascalCase");
    for (uint32_t i = 0; i < raw->nexplicit; i++) {
        const mod__raw_explicit_t *e = &raw->explicit_names[i];
        lc_map_t *m = e->kind == 0 ? &v->ex_table : e->kind == 1 ? &v->ex_fn : &v->ex_index;
        if (lc_map_put(m, e->source, strlen(e->source), (void *)e->canonical, NULL))
            v->oom = true;
    }
}

static void finish(vctx_t *v)
{
    mod_def_t *d = v->d;
    d->version = v->raw->version == 9 ? MOD_DEF_V9 : MOD_DEF_V10;
    d->case_policy = v->policy;
    d->typespace = v->cts;
    d->accessor_typespace = *v->ts;
    d->ntables = v->ntables;
    d->tables = v->tables;
    d->reducers = v->reducers;
    d->nprocedures = v->nprocedures;
    d->procedures = v->procedures;
    d->nviews = v->nviews;
    d->views = v->views;
    d->nrls = v->raw->nrls;
    d->rls = v->raw->rls;
}

int mod__validate(const mod__raw_t *raw, mod_def_t *d, mod__errs_t *errs)
{
    vctx_t v = {.raw = raw, .d = d, .a = &d->arena, .errs = errs, .ts = &raw->ts};
    for (int i = 0; i < 4; i++) d->lifecycle[i] = -1;
    lc_map_init(&v.names);
    lc_map_init(&v.ex_table);
    lc_map_init(&v.ex_fn);
    lc_map_init(&v.ex_index);
    lc_map_init(&v.table_map);
    lc_map_init(&v.reducer_map);
    lc_map_init(&v.procedure_map);
    set_policy(&v);
    if (!v.oom)
        check_typespace(&v);
    if (!v.oom)
        check_types(&v);
    if (!v.oom)
        build_tables(&v);
    if (!v.oom)
        build_functions(&v);
    if (!v.oom) {
        index_functions(&v);
        build_lifecycles(&v);
        build_schedules(&v);
        restrict_visibility(&v);
        build_view_pks(&v);
        finish(&v);
        build_http(&v);
        build_maps(&v);
    }
    lc_map_free(&v.names);
    lc_map_free(&v.ex_table);
    lc_map_free(&v.ex_fn);
    lc_map_free(&v.ex_index);
    lc_map_free(&v.table_map);
    lc_map_free(&v.reducer_map);
    lc_map_free(&v.procedure_map);
    return v.oom ? LC_ENOMEM : LC_OK;
}
