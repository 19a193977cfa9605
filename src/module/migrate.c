/*
 * migrate.c — planning an automatic migration from one validated module
 * definition to the next (module-abi.md §6.5; the reference's
 * crates/schema/src/auto_migrate.rs).  A pure comparison: applying the
 * plan to the store is the database layer's job.
 *
 * Matching, as the reference:
 *   1. Tables, views, indexes, sequences and constraints are matched by
 *      canonical name (an index, sequence or constraint also by its table);
 *      columns by canonical name within their table.
 *   2. Something only in the old def is removed, only in the new is added.
 *      An added table brings its indexes, constraints, sequences and
 *      schedule (no separate steps); a removed table takes them along, and
 *      is removed only if it holds no rows (checked by the host at apply
 *      time: MOD_STEP_REMOVE_TABLE.check_empty).
 *   3. A matched table may change access, primary key, source name,
 *      schedule, column accessors; its columns must keep their positions
 *      and be layout-compatible (below); new columns must come with default
 *      values (they are then at the end, since old columns keep their
 *      positions).  Event tables hold no rows, so their columns may change
 *      freely.  Table type and event flag may not change.
 *   4. A matched index may change source name; a changed algorithm or
 *      column list is a drop and re-create; a changed accessor is refused.
 *      A changed sequence is dropped and re-added (with a range precheck); a
 *      unique constraint may be added or removed but not changed.
 *   5. Views are recomputed; a view whose shape changed is dropped and
 *      re-added.  Row-level-security rules are replaced when the set
 *      changed.
 *   6. Adding columns, removing a table, reshaping an event table and
 *      removing or reshaping a view disconnect every client (the plan
 *      "breaks clients").
 *
 * Layout compatibility of a column type (ensure_old_ty_upgradable_to_new):
 * identical primitives; arrays element-wise; products with the same number
 * of fields, the same names, compatible fields; sums whose old variants are
 * a prefix of the new ones (same names, compatible payloads) and whose
 * layout (size and alignment in the reference's row format, sats layout.rs)
 * did not change.  Refs are resolved in each definition's own typespace; a
 * pair of Refs already being compared is taken as compatible, so recursive
 * types terminate.
 *
 * Where this departs from the newest reference: a changed set of
 * row-level-security rules does not disconnect clients (the spec lists it
 * as allowed; 2.8.3's behaviour is what §6.5 describes).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/mod_def.h"

#define CMP_MAX_DEPTH (2 * SATS_MAX_DEPTH)

typedef struct pctx {
    mod_migration_t *p;
    const mod_def_t *o, *n;
    bool oom, disconnects;
    /* Indexes, constraints and sequences by canonical name, of the old [0]
     * and new [1] def (names are unique: invariant 2); reasons already
     * given.  Lookups stay linear in the size of the definitions. */
    lc_map_t items[2];
    lc_map_t reasons;
    mod_step_t sink; /* written instead of a step that could not be allocated */
} pctx_t;

enum { ITEM_INDEX, ITEM_CONSTRAINT, ITEM_SEQUENCE };

typedef struct item {
    uint8_t kind;
    uint32_t table, pos;
} item_t;

/* ---------------------------------------------------------------- plan building */

static mod_step_t *step(pctx_t *c, mod_step_kind_t kind, const char *table, const char *name)
{
    mod_migration_t *p = c->p;
    if (lc_grow(&p->steps, &p->cap_steps, p->nsteps, sizeof *p->steps, 16)) {
        c->oom = true;
        return &c->sink;
    }
    mod_step_t *s = &p->steps[p->nsteps++];
    *s = (mod_step_t){.kind = kind,
                      .table = table,
                      .name = name,
                      .old_table = MOD_NONE,
                      .new_table = MOD_NONE,
                      .old_item = MOD_NONE,
                      .new_item = MOD_NONE};
    return s;
}

static void reason(pctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason(pctx_t *c, const char *fmt, ...)
{
    mod_migration_t *p = c->p;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (lc_map_gets(&c->reasons, buf))
        return;
    const char *s = lc_arena_strdup(&p->arena, buf);
    if (s == NULL || lc_grow(&p->reasons, &p->cap_reasons, p->nreasons, sizeof *p->reasons, 8) ||
        lc_map_puts(&c->reasons, s, (void *)s)) {
        c->oom = true;
        return;
    }
    p->reasons[p->nreasons++] = s;
}

/* A step about a whole table (or view): its positions in both defs. */
static mod_step_t *table_step(pctx_t *c, mod_step_kind_t kind, uint32_t old_pos, uint32_t new_pos,
                              const char *table, const char *name)
{
    mod_step_t *s = step(c, kind, table, name);
    s->old_table = old_pos;
    s->new_table = new_pos;
    return s;
}

static void disconnect_all(pctx_t *c)
{
    if (!c->disconnects)
        step(c, MOD_STEP_DISCONNECT_ALL, NULL, NULL);
    c->disconnects = true;
}

static const char *tyfmt(pctx_t *c, const sats_typespace_t *ts, const sats_type_t *t)
{
    lc_buf_t b = {0};
    sats_type_format(&b, ts, t);
    const char *s = lc_arena_strndup(&c->p->arena, b.data ? (const char *)b.data : "", b.len);
    lc_buf_free(&b);
    if (s == NULL)
        c->oom = true;
    return s ? s : "";
}

/* ---------------------------------------------------------------- lookups by canonical name */

static uint32_t table_pos(const mod_def_t *d, const char *name)
{
    const mod_table_t *t = mod_def_table(d, name);
    return t && strcmp(t->name, name) == 0 ? t->id : MOD_NONE;
}

static void put_item(pctx_t *c, lc_map_t *m, const char *name, uint8_t kind, uint32_t table,
                     uint32_t pos)
{
    if (lc_map_gets(m, name))
        return;
    item_t *x = lc_arena_alloc(&c->p->arena, sizeof *x);
    if (x == NULL || lc_map_puts(m, name, x)) {
        c->oom = true;
        return;
    }
    *x = (item_t){kind, table, pos};
}

static void map_items(pctx_t *c, const mod_def_t *d, lc_map_t *m)
{
    for (uint32_t i = 0; i < d->ntables; i++) {
        const mod_table_t *t = &d->tables[i];
        for (uint32_t k = 0; k < t->nindexes; k++)
            put_item(c, m, t->indexes[k].name, ITEM_INDEX, i, k);
        for (uint32_t k = 0; k < t->nconstraints; k++)
            put_item(c, m, t->constraints[k].name, ITEM_CONSTRAINT, i, k);
        for (uint32_t k = 0; k < t->nsequences; k++)
            put_item(c, m, t->sequences[k].name, ITEM_SEQUENCE, i, k);
    }
}

/* Position of the named index/constraint/sequence within table t of the
 * old (in_new false) or new definition, or MOD_NONE. */
static uint32_t item_pos(const pctx_t *c, bool in_new, uint8_t kind, const mod_table_t *t,
                         const char *name)
{
    const item_t *x = lc_map_gets(&c->items[in_new], name);
    return x && x->kind == kind && x->table == t->id ? x->pos : MOD_NONE;
}

/* Columns by canonical name (the first of a name wins). */
static void map_columns(pctx_t *c, const mod_table_t *t, lc_map_t *m)
{
    lc_map_init(m);
    for (uint32_t i = 0; i < t->ncols; i++)
        if (!lc_map_gets(m, t->cols[i].name) &&
            lc_map_puts(m, t->cols[i].name, (void *)&t->cols[i]))
            c->oom = true;
}

static uint32_t column_pos(const lc_map_t *m, const mod_table_t *t, const char *name)
{
    const mod_column_t *col = lc_map_gets(m, name);
    return col ? (uint32_t)(col - t->cols) : MOD_NONE;
}

/* The same table in the other definition, or NULL. */
static const mod_table_t *counterpart(const mod_def_t *other, const mod_table_t *t)
{
    uint32_t i = table_pos(other, t->name);
    return i == MOD_NONE ? NULL : &other->tables[i];
}

/* ---------------------------------------------------------------- layouts */

typedef struct layout {
    uint32_t size, align;
} layout_t;

static uint32_t align_to(uint32_t n, uint32_t a)
{
    return a == 0 || n % a == 0 ? n : n + (a - n % a);
}

/* Size and alignment of t in the reference's row format (sats layout.rs);
 * false for a type too deep to lay out (recursive). */
static bool type_layout(const sats_typespace_t *ts, const sats_type_t *t, int depth, layout_t *out)
{
    t = sats_resolve(ts, t);
    if (t == NULL || depth > CMP_MAX_DEPTH)
        return false;
    uint32_t off = 0, max_size = 0, max_align = t->kind == SATS_SUM ? 0 : 1;
    switch (t->kind) {
    case SATS_STRING:
    case SATS_ARRAY:
        *out = (layout_t){4, 2};
        return true;
    case SATS_PRODUCT:
    case SATS_SUM:
        for (uint32_t i = 0; i < t->u.fields.n; i++) {
            layout_t f;
            if (!type_layout(ts, t->u.fields.items[i].type, depth + 1, &f))
                return false;
            max_align = LC_MAX(max_align, f.align);
            max_size = LC_MAX(max_size, f.size);
            off = align_to(off, f.align) + f.size;
        }
        if (t->kind == SATS_PRODUCT) {
            *out = (layout_t){align_to(off, max_align), max_align};
        } else {
            uint32_t align = LC_MAX(max_align, 1);
            *out = (layout_t){align + align_to(max_size, max_align), align};
        }
        return true;
    default: {
        uint32_t s = (uint32_t)sats_prim_size(t->kind);
        *out = (layout_t){s, s};
        return true;
    }
    }
}

/* ---------------------------------------------------------------- type compatibility */

enum { SAME = 0, CHANGED = 1, INCOMPATIBLE = -1 };

typedef struct tcmp {
    pctx_t *c;
    const sats_typespace_t *ots, *nts;
    const char *table, *column;
    uint32_t nstack;
    uint32_t stack[CMP_MAX_DEPTH][2]; /* Ref pairs being compared */
} tcmp_t;

static int incompatible(tcmp_t *m, const sats_type_t *o, const sats_type_t *n, bool within,
                        const char *detail)
{
    reason(m->c, "table `%s`: changing %s column `%s` from %s to %s%s requires a manual migration",
           m->table, within ? "a type within" : "the type of", m->column, tyfmt(m->c, m->ots, o),
           tyfmt(m->c, m->nts, n), detail);
    return INCOMPATIBLE;
}

static int upgrade(tcmp_t *m, const sats_type_t *o, const sats_type_t *n, bool within, int depth);

static int upgrade_fields(tcmp_t *m, const sats_type_t *o, const sats_type_t *n, bool within,
                          int depth)
{
    bool sum = o->kind == SATS_SUM;
    uint32_t no = o->u.fields.n, nn = n->u.fields.n;
    if (sum ? no > nn : no != nn)
        return incompatible(m, o, n, within,
                            sum ? ", with fewer variants," : ", with fewer fields,");
    int r = sum && no < nn ? CHANGED : SAME;
    for (uint32_t i = 0; i < no; i++) {
        const sats_field_t *fo = &o->u.fields.items[i], *fn = &n->u.fields.items[i];
        bool same_name =
            fo->name == fn->name || (fo->name && fn->name && !strcmp(fo->name, fn->name));
        if (!same_name)
            return incompatible(m, o, n, within,
                                sum ? ", with a renamed variant," : ", with a renamed field,");
        int f = upgrade(m, fo->type, fn->type, true, depth + 1);
        if (f == INCOMPATIBLE)
            return f;
        r |= f;
    }
    layout_t lo, ln;
    if (sum && (!type_layout(m->ots, o, 0, &lo) || !type_layout(m->nts, n, 0, &ln) ||
                lo.size != ln.size || lo.align != ln.align))
        return incompatible(m, o, n, within, ", due to a layout mismatch,");
    return r;
}

static bool on_stack(tcmp_t *m, const sats_type_t *o, const sats_type_t *n)
{
    if (o->kind != SATS_REF || n->kind != SATS_REF)
        return false;
    for (uint32_t i = 0; i < m->nstack; i++)
        if (m->stack[i][0] == o->u.ref && m->stack[i][1] == n->u.ref)
            return true;
    return false;
}

/* SAME, CHANGED (compatible), or INCOMPATIBLE (a reason was added). */
static int upgrade(tcmp_t *m, const sats_type_t *o, const sats_type_t *n, bool within, int depth)
{
    if (on_stack(m, o, n))
        return SAME;
    bool pushed = o->kind == SATS_REF && n->kind == SATS_REF && m->nstack < CMP_MAX_DEPTH;
    if (pushed) {
        m->stack[m->nstack][0] = o->u.ref;
        m->stack[m->nstack++][1] = n->u.ref;
    }
    const sats_type_t *ro = sats_resolve(m->ots, o), *rn = sats_resolve(m->nts, n);
    int r;
    if (ro == NULL || rn == NULL || depth > CMP_MAX_DEPTH)
        r = incompatible(m, o, n, within, ", which cannot be resolved,");
    else if (ro->kind != rn->kind)
        r = incompatible(m, ro, rn, within, "");
    else if (ro->kind == SATS_SUM || ro->kind == SATS_PRODUCT)
        r = upgrade_fields(m, ro, rn, within, depth);
    else if (ro->kind == SATS_ARRAY)
        r = upgrade(m, ro->u.elem, rn->u.elem, true, depth + 1);
    else
        r = SAME;
    if (pushed)
        m->nstack--;
    return r;
}

static int column_upgrade(pctx_t *c, const mod_table_t *ot, const mod_column_t *oc,
                          const mod_column_t *nc, bool quiet)
{
    tcmp_t *m = lc_malloc(sizeof *m);
    if (m == NULL) {
        c->oom = true;
        return INCOMPATIBLE;
    }
    *m = (tcmp_t){.c = c,
                  .ots = &c->o->typespace,
                  .nts = &c->n->typespace,
                  .table = ot->name,
                  .column = oc->name};
    /* Quiet: a trial whose reasons are thrown away (event tables, views). */
    uint32_t before = c->p->nreasons;
    int r = upgrade(m, oc->type, nc->type, false, 0);
    if (quiet)
        c->p->nreasons = before;
    lc_free(m);
    return r;
}

/* ---------------------------------------------------------------- tables */

static bool same_schedule(const mod_schedule_t *a, const mod_schedule_t *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a->name, b->name) == 0 && strcmp(a->function_name, b->function_name) == 0 &&
           a->is_procedure == b->is_procedure && a->at_col == b->at_col && a->id_col == b->id_col;
}

static void table_properties(pctx_t *c, const mod_table_t *o, const mod_table_t *n)
{
    if (o->type != n->type)
        reason(c, "table `%s`: changing the table type from %s to %s requires a manual migration",
               o->name, o->type == MOD_TABLE_SYSTEM ? "System" : "User",
               n->type == MOD_TABLE_SYSTEM ? "System" : "User");
    if (o->is_event != n->is_event)
        reason(c, "table `%s`: changing the event flag requires a manual migration", o->name);
    if (o->access != n->access)
        table_step(c, MOD_STEP_CHANGE_ACCESS, o->id, n->id, n->name, NULL);
    if (o->primary_key != n->primary_key)
        table_step(c, MOD_STEP_CHANGE_PRIMARY_KEY, o->id, n->id, n->name, NULL);
    if (strcmp(o->source_name, n->source_name) != 0)
        table_step(c, MOD_STEP_CHANGE_TABLE_ACCESSOR, o->id, n->id, n->name, n->source_name);
    if (!same_schedule(o->schedule, n->schedule)) {
        if (o->schedule)
            table_step(c, MOD_STEP_REMOVE_SCHEDULE, o->id, n->id, o->name, o->schedule->name);
        if (n->schedule)
            table_step(c, MOD_STEP_ADD_SCHEDULE, o->id, n->id, n->name, n->schedule->name);
    }
}

typedef struct colchg {
    bool changed, added, event_changed, reordered;
    lc_map_t ocols, ncols;
} colchg_t;

static void old_columns(pctx_t *c, const mod_table_t *o, const mod_table_t *n, colchg_t *x)
{
    for (uint32_t j = 0; j < o->ncols; j++) {
        const mod_column_t *oc = &o->cols[j];
        uint32_t k = column_pos(&x->ncols, n, oc->name);
        if (k == MOD_NONE) {
            if (o->is_event)
                x->event_changed = true;
            else
                reason(c, "table `%s`: removing column `%s` requires a manual migration", o->name,
                       oc->name);
            continue;
        }
        int r = column_upgrade(c, o, oc, &n->cols[k], o->is_event);
        if (o->is_event)
            x->event_changed |= r != SAME || k != j;
        else
            x->changed |= r == CHANGED;
        if (k != j && !o->is_event && !x->reordered) {
            reason(c, "table `%s`: reordering columns requires a manual migration", o->name);
            x->reordered = true;
        }
        if (strcmp(oc->accessor, n->cols[k].accessor) != 0) {
            mod_step_t *s = table_step(c, MOD_STEP_CHANGE_COLUMN_ACCESSOR, o->id, n->id, n->name,
                                       n->cols[k].name);
            s->old_item = j;
            s->new_item = k;
        }
    }
}

static void new_columns(pctx_t *c, const mod_table_t *o, const mod_table_t *n, colchg_t *x)
{
    for (uint32_t k = 0; k < n->ncols; k++) {
        const mod_column_t *nc = &n->cols[k];
        if (column_pos(&x->ocols, o, nc->name) != MOD_NONE)
            continue;
        if (o->is_event)
            x->event_changed = true;
        else if (nc->default_value)
            x->added = true;
        else
            reason(c,
                   "table `%s`: adding column `%s` requires a default value (or a manual "
                   "migration)",
                   n->name, nc->name);
    }
}

static void add_columns_step(pctx_t *c, const mod_table_t *o, const mod_table_t *n)
{
    lc_buf_t b = {0};
    for (uint32_t k = o->ncols; k < n->ncols; k++)
        lc_buf_append(&b, n->cols[k].default_value, n->cols[k].default_len);
    uint32_t len = (uint32_t)b.len;
    const uint8_t *bytes = len ? lc_arena_memdup(&c->p->arena, b.data, len) : NULL;
    if (b.oom || (len && bytes == NULL))
        c->oom = true;
    lc_buf_free(&b);
    mod_step_t *s = table_step(c, MOD_STEP_ADD_COLUMNS, o->id, n->id, n->name, NULL);
    s->first_col = o->ncols;
    s->ncols = (uint16_t)(n->ncols - o->ncols);
    s->defaults = bytes;
    s->defaults_len = len;
}

static void migrate_table(pctx_t *c, const mod_table_t *o, const mod_table_t *n)
{
    uint32_t before = c->p->nreasons;
    table_properties(c, o, n);
    colchg_t x = {0};
    map_columns(c, o, &x.ocols);
    map_columns(c, n, &x.ncols);
    old_columns(c, o, n, &x);
    new_columns(c, o, n, &x);
    lc_map_free(&x.ocols);
    lc_map_free(&x.ncols);
    if (c->p->nreasons != before)
        return;
    if (x.event_changed) {
        disconnect_all(c);
        table_step(c, MOD_STEP_RESCHEMA_EVENT_TABLE, o->id, n->id, n->name, NULL);
    } else if (x.added) {
        disconnect_all(c);
        add_columns_step(c, o, n);
    } else if (x.changed) {
        table_step(c, MOD_STEP_CHANGE_COLUMNS, o->id, n->id, n->name, NULL);
    }
}

static void migrate_tables(pctx_t *c)
{
    for (uint32_t i = 0; i < c->o->ntables; i++) {
        const mod_table_t *o = &c->o->tables[i], *n = counterpart(c->n, o);
        if (n) {
            migrate_table(c, o, n);
            continue;
        }
        table_step(c, MOD_STEP_REMOVE_TABLE, o->id, MOD_NONE, o->name, NULL)->check_empty = true;
        disconnect_all(c);
    }
    for (uint32_t i = 0; i < c->n->ntables; i++)
        if (counterpart(c->o, &c->n->tables[i]) == NULL)
            table_step(c, MOD_STEP_ADD_TABLE, MOD_NONE, i, c->n->tables[i].name, NULL);
}

/* ---------------------------------------------------------------- indexes, sequences, constraints
 */

static bool same_cols(uint16_t na, const uint16_t *a, uint16_t nb, const uint16_t *b)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static mod_step_t *item_step(pctx_t *c, mod_step_kind_t kind, const mod_table_t *ot, uint32_t oi,
                             const mod_table_t *nt, uint32_t ni, const char *name)
{
    mod_step_t *s = table_step(c, kind, ot ? ot->id : MOD_NONE, nt ? nt->id : MOD_NONE,
                               (nt ? nt : ot)->name, name);
    s->old_item = oi;
    s->new_item = ni;
    s->check_sequence = kind == MOD_STEP_ADD_SEQUENCE;
    return s;
}

static void migrate_index(pctx_t *c, const mod_table_t *ot, uint32_t i, const mod_table_t *nt)
{
    const mod_index_t *ox = &ot->indexes[i];
    uint32_t k = item_pos(c, true, ITEM_INDEX, nt, ox->name);
    if (k == MOD_NONE) {
        item_step(c, MOD_STEP_REMOVE_INDEX, ot, i, nt, MOD_NONE, ox->name);
        return;
    }
    const mod_index_t *nx = &nt->indexes[k];
    if (!same_str(ox->accessor_name, nx->accessor_name)) {
        reason(c,
               "table `%s`: changing the accessor name of index `%s` from `%s` to `%s` requires a "
               "manual migration",
               ot->name, ox->name, ox->accessor_name ? ox->accessor_name : "(none)",
               nx->accessor_name ? nx->accessor_name : "(none)");
    } else if (ox->algo != nx->algo || !same_cols(ox->ncols, ox->cols, nx->ncols, nx->cols)) {
        item_step(c, MOD_STEP_REMOVE_INDEX, ot, i, nt, k, ox->name)->rebuild = true;
        item_step(c, MOD_STEP_ADD_INDEX, ot, i, nt, k, nx->name)->rebuild = true;
    } else if (strcmp(ox->source_name, nx->source_name) != 0) {
        item_step(c, MOD_STEP_CHANGE_INDEX_SOURCE, ot, i, nt, k, nx->name);
    }
}

static bool same_sequence(const mod_sequence_t *a, const mod_sequence_t *b)
{
    return a->col == b->col && a->increment == b->increment && a->has_start == b->has_start &&
           a->has_min == b->has_min && a->has_max == b->has_max && a->start == b->start &&
           a->min_value == b->min_value && a->max_value == b->max_value;
}

static void migrate_sequences(pctx_t *c, const mod_table_t *ot, const mod_table_t *nt)
{
    for (uint32_t i = 0; i < ot->nsequences; i++)
        if (item_pos(c, true, ITEM_SEQUENCE, nt, ot->sequences[i].name) == MOD_NONE)
            item_step(c, MOD_STEP_REMOVE_SEQUENCE, ot, i, nt, MOD_NONE, ot->sequences[i].name);
    for (uint32_t k = 0; k < nt->nsequences; k++) {
        const mod_sequence_t *ns = &nt->sequences[k];
        uint32_t i = item_pos(c, false, ITEM_SEQUENCE, ot, ns->name);
        if (i != MOD_NONE && same_sequence(&ot->sequences[i], ns))
            continue;
        if (i != MOD_NONE)
            item_step(c, MOD_STEP_REMOVE_SEQUENCE, ot, i, nt, k, ns->name);
        item_step(c, MOD_STEP_ADD_SEQUENCE, ot, i, nt, k, ns->name);
    }
}

static void migrate_constraints(pctx_t *c, const mod_table_t *ot, const mod_table_t *nt)
{
    for (uint32_t i = 0; i < ot->nconstraints; i++) {
        const mod_constraint_t *oc = &ot->constraints[i];
        uint32_t k = item_pos(c, true, ITEM_CONSTRAINT, nt, oc->name);
        if (k == MOD_NONE)
            item_step(c, MOD_STEP_REMOVE_CONSTRAINT, ot, i, nt, MOD_NONE, oc->name);
        else if (!same_cols(oc->ncols, oc->cols, nt->constraints[k].ncols, nt->constraints[k].cols))
            reason(c, "table `%s`: changing unique constraint `%s` requires a manual migration",
                   ot->name, oc->name);
    }
    for (uint32_t k = 0; k < nt->nconstraints; k++)
        if (item_pos(c, false, ITEM_CONSTRAINT, ot, nt->constraints[k].name) == MOD_NONE)
            item_step(c, MOD_STEP_ADD_CONSTRAINT, ot, MOD_NONE, nt, k, nt->constraints[k].name);
}

/* Indexes, sequences and constraints of tables in both definitions. */
static void migrate_parts(pctx_t *c)
{
    for (uint32_t t = 0; t < c->o->ntables; t++) {
        const mod_table_t *ot = &c->o->tables[t], *nt = counterpart(c->n, ot);
        if (nt == NULL)
            continue;
        for (uint32_t i = 0; i < ot->nindexes; i++) migrate_index(c, ot, i, nt);
        for (uint32_t k = 0; k < nt->nindexes; k++)
            if (item_pos(c, false, ITEM_INDEX, ot, nt->indexes[k].name) == MOD_NONE)
                item_step(c, MOD_STEP_ADD_INDEX, ot, MOD_NONE, nt, k, nt->indexes[k].name);
        migrate_sequences(c, ot, nt);
        migrate_constraints(c, ot, nt);
    }
}

/* ---------------------------------------------------------------- views, RLS */

/* Columns (or parameters) of two views: same names, positions, types. */
static bool same_shape(pctx_t *c, const sats_type_t *o, const sats_type_t *n)
{
    if (o->u.fields.n != n->u.fields.n)
        return false;
    for (uint32_t i = 0; i < o->u.fields.n; i++) {
        const sats_field_t *fo = &o->u.fields.items[i], *fn = &n->u.fields.items[i];
        if (!same_str(fo->name, fn->name))
            return false;
        mod_table_t dummy = {.name = ""};
        mod_column_t co = {.name = "", .type = fo->type}, cn = {.name = "", .type = fn->type};
        if (column_upgrade(c, &dummy, &co, &cn, true) != SAME)
            return false;
    }
    return true;
}

static mod_step_t *view_step(pctx_t *c, mod_step_kind_t kind, const mod_view_t *o,
                             const mod_view_t *n)
{
    const mod_view_t *v = n ? n : o;
    mod_step_t *s =
        table_step(c, kind, o ? o->id : MOD_NONE, n ? n->id : MOD_NONE, v->name, v->name);
    s->is_view = true;
    return s;
}

static void migrate_view(pctx_t *c, const mod_view_t *o, const mod_view_t *n)
{
    const sats_type_t *orow = c->o->typespace.types[o->type_ref];
    const sats_type_t *nrow = c->n->typespace.types[n->type_ref];
    if (o->is_public != n->is_public)
        view_step(c, MOD_STEP_CHANGE_ACCESS, o, n);
    bool reshaped = o->is_anonymous != n->is_anonymous || o->primary_key != n->primary_key ||
                    !same_shape(c, orow, nrow) || !same_shape(c, o->params, n->params);
    if (reshaped) {
        view_step(c, MOD_STEP_REMOVE_VIEW, o, NULL);
        view_step(c, MOD_STEP_ADD_VIEW, NULL, n);
        disconnect_all(c);
    } else {
        view_step(c, MOD_STEP_UPDATE_VIEW, o, n);
    }
}

static void migrate_views(pctx_t *c)
{
    for (uint32_t i = 0; i < c->o->nviews; i++) {
        const mod_view_t *o = &c->o->views[i], *n = mod_def_view(c->n, o->name);
        if (n) {
            migrate_view(c, o, n);
            continue;
        }
        view_step(c, MOD_STEP_REMOVE_VIEW, o, NULL);
        disconnect_all(c);
    }
    for (uint32_t i = 0; i < c->n->nviews; i++)
        if (mod_def_view(c->o, c->n->views[i].name) == NULL)
            view_step(c, MOD_STEP_ADD_VIEW, NULL, &c->n->views[i]);
}

static void map_rls(pctx_t *c, const mod_def_t *d, lc_map_t *m)
{
    lc_map_init(m);
    for (uint32_t i = 0; i < d->nrls; i++)
        if (lc_map_puts(m, d->rls[i], (void *)d->rls[i]))
            c->oom = true;
}

/* Row-level-security rules are replaced as a whole when the set changed. */
static void migrate_rls(pctx_t *c)
{
    lc_map_t o, n;
    map_rls(c, c->o, &o);
    map_rls(c, c->n, &n);
    bool changed = lc_map_count(&o) != lc_map_count(&n);
    for (uint32_t i = 0; i < c->o->nrls && !changed; i++) changed = !lc_map_gets(&n, c->o->rls[i]);
    lc_map_free(&o);
    lc_map_free(&n);
    if (!changed)
        return;
    for (uint32_t i = 0; i < c->o->nrls; i++) step(c, MOD_STEP_REMOVE_RLS, NULL, c->o->rls[i]);
    for (uint32_t i = 0; i < c->n->nrls; i++) step(c, MOD_STEP_ADD_RLS, NULL, c->n->rls[i]);
}

/* ---------------------------------------------------------------- plan */

static int nullcmp(const char *a, const char *b)
{
    return a == b ? 0 : a == NULL ? -1 : b == NULL ? 1 : strcmp(a, b);
}

static int step_cmp(const void *pa, const void *pb)
{
    const mod_step_t *a = pa, *b = pb;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    int r = nullcmp(a->table, b->table);
    return r ? r : nullcmp(a->name, b->name);
}

int mod_def_plan_migration(const mod_def_t *old, const mod_def_t *new_, mod_migration_t **plan,
                           lc_err_t *err)
{
    *plan = NULL;
    mod_migration_t *p = lc_calloc(1, sizeof *p);
    if (p == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory planning the migration");
    lc_arena_init(&p->arena, 0);
    p->old_def = old;
    p->new_def = new_;
    pctx_t c = {.p = p, .o = old, .n = new_};
    lc_map_init(&c.items[0]);
    lc_map_init(&c.items[1]);
    lc_map_init(&c.reasons);
    map_items(&c, old, &c.items[0]);
    map_items(&c, new_, &c.items[1]);
    migrate_views(&c);
    migrate_tables(&c);
    migrate_parts(&c);
    migrate_rls(&c);
    lc_map_free(&c.items[0]);
    lc_map_free(&c.items[1]);
    lc_map_free(&c.reasons);
    if (c.oom) {
        mod_migration_free(p);
        return lc_err_set(err, LC_ENOMEM, "out of memory planning the migration");
    }
    if (p->nsteps > 1)
        qsort(p->steps, p->nsteps, sizeof *p->steps, step_cmp);
    p->refused = p->nreasons > 0;
    p->breaks_clients = p->nsteps > 0 && p->steps[p->nsteps - 1].kind == MOD_STEP_DISCONNECT_ALL;
    *plan = p;
    return 0;
}

void mod_migration_free(mod_migration_t *p)
{
    if (p == NULL)
        return;
    lc_free(p->steps);
    lc_free(p->reasons);
    lc_arena_free(&p->arena);
    lc_free(p);
}

int mod_migration_check(const mod_migration_t *p, lc_err_t *err)
{
    if (!p->refused)
        return 0;
    if (err == NULL)
        return LC_EINVAL;
    lc_err_set(err, LC_EINVAL, "automatic migration is not possible:");
    size_t len = strlen(err->msg);
    uint32_t shown = 0;
    for (; shown < p->nreasons; shown++) {
        size_t n = strlen(p->reasons[shown]);
        if (len + 1 + n + 24 >= sizeof err->msg)
            break;
        err->msg[len++] = '\n';
        memcpy(err->msg + len, p->reasons[shown], n + 1);
        len += n;
    }
    if (shown < p->nreasons)
        snprintf(err->msg + len, sizeof err->msg - len, "\n... and %u more", p->nreasons - shown);
    return LC_EINVAL;
}

/* ---------------------------------------------------------------- rendering */

static void render_cols(lc_buf_t *o, const mod_table_t *t, uint16_t n, const uint16_t *cols)
{
    for (uint16_t i = 0; i < n; i++)
        lc_buf_printf(o, "%s`%s`", i ? ", " : "", cols[i] < t->ncols ? t->cols[cols[i]].name : "?");
}

static void render_default(lc_buf_t *o, const mod_def_t *d, const mod_column_t *c)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    sats_value_t v;
    if (sats_bsatn_decode_all(&a, c->default_value, c->default_len, &d->typespace, c->type, &v,
                              NULL) == 0) {
        lc_buf_puts(o, " = ");
        sats_print_value(o, &d->typespace, c->type, &v);
    }
    lc_arena_free(&a);
}

static void render_add_columns(lc_buf_t *o, const mod_def_t *d, const mod_step_t *s)
{
    const mod_table_t *t = &d->tables[s->new_table];
    for (uint32_t k = s->first_col; k < (uint32_t)s->first_col + s->ncols; k++) {
        lc_buf_printf(o, "~ table `%s`: add column `%s`: ", t->name, t->cols[k].name);
        sats_type_format(o, &d->typespace, t->cols[k].type);
        render_default(o, d, &t->cols[k]);
        lc_buf_putc(o, '\n');
    }
}

static void render_index(lc_buf_t *o, const mod_step_t *s, const mod_table_t *t, const char *verb)
{
    const mod_index_t *x = &t->indexes[s->new_item != MOD_NONE ? s->new_item : s->old_item];
    lc_buf_printf(o, "~ table `%s`: %s index `%s` (%s on ", s->table, verb, s->name,
                  mod__algo_name(x->algo));
    render_cols(o, t, x->ncols, x->cols);
    lc_buf_puts(o, ")\n");
}

static const char *pk_name(const mod_table_t *t)
{
    return t->primary_key >= 0 ? t->cols[t->primary_key].name : "(none)";
}

static void render_table_change(lc_buf_t *o, const mod_migration_t *p, const mod_step_t *s)
{
    const mod_table_t *ot = &p->old_def->tables[s->old_table];
    const mod_table_t *nt = &p->new_def->tables[s->new_table];
    switch (s->kind) {
    case MOD_STEP_CHANGE_COLUMNS:
        lc_buf_printf(o, "~ table `%s`: change column types (same layout)\n", s->table);
        break;
    case MOD_STEP_RESCHEMA_EVENT_TABLE:
        lc_buf_printf(o, "~ event table `%s`: change columns\n", s->table);
        break;
    case MOD_STEP_CHANGE_TABLE_ACCESSOR:
        lc_buf_printf(o, "~ table `%s`: accessor `%s` -> `%s`\n", s->table, ot->source_name,
                      nt->source_name);
        break;
    case MOD_STEP_CHANGE_COLUMN_ACCESSOR:
        lc_buf_printf(o, "~ table `%s`: column `%s`: accessor `%s` -> `%s`\n", s->table, s->name,
                      ot->cols[s->old_item].accessor, nt->cols[s->new_item].accessor);
        break;
    case MOD_STEP_CHANGE_INDEX_SOURCE:
        lc_buf_printf(o, "~ table `%s`: index `%s`: source name `%s` -> `%s`\n", s->table, s->name,
                      ot->indexes[s->old_item].source_name, nt->indexes[s->new_item].source_name);
        break;
    case MOD_STEP_CHANGE_PRIMARY_KEY:
        lc_buf_printf(o, "~ table `%s`: primary key `%s` -> `%s`\n", s->table, pk_name(ot),
                      pk_name(nt));
        break;
    case MOD_STEP_CHANGE_ACCESS:
        lc_buf_printf(o, "~ table `%s`: %s -> %s\n", s->table,
                      ot->access == MOD_ACCESS_PUBLIC ? "public" : "private",
                      nt->access == MOD_ACCESS_PUBLIC ? "public" : "private");
        break;
    default:
        break;
    }
}

static void render_view(lc_buf_t *o, const mod_migration_t *p, const mod_step_t *s)
{
    if (s->kind == MOD_STEP_REMOVE_VIEW)
        lc_buf_printf(o, "- view `%s`\n", s->name);
    else if (s->kind == MOD_STEP_ADD_VIEW)
        lc_buf_printf(o, "+ view `%s`\n", s->name);
    else if (s->kind == MOD_STEP_CHANGE_ACCESS)
        lc_buf_printf(o, "~ view `%s`: %s\n", s->table,
                      p->new_def->views[s->new_table].is_public ? "private -> public"
                                                                : "public -> private");
}

static void render_step(lc_buf_t *o, const mod_migration_t *p, const mod_step_t *s)
{
    const mod_def_t *nd = p->new_def;
    if (s->is_view) {
        render_view(o, p, s);
        return;
    }
    switch (s->kind) {
    case MOD_STEP_REMOVE_INDEX:
        if (s->rebuild)
            render_index(o, s, &nd->tables[s->new_table], "rebuild");
        else
            lc_buf_printf(o, "~ table `%s`: remove index `%s`\n", s->table, s->name);
        break;
    case MOD_STEP_ADD_INDEX:
        if (!s->rebuild)
            render_index(o, s, &nd->tables[s->new_table], "add");
        break;
    case MOD_STEP_REMOVE_CONSTRAINT:
    case MOD_STEP_REMOVE_SEQUENCE:
    case MOD_STEP_REMOVE_SCHEDULE:
        lc_buf_printf(o, "~ table `%s`: remove %s `%s`\n", s->table,
                      s->kind == MOD_STEP_REMOVE_CONSTRAINT ? "unique constraint"
                      : s->kind == MOD_STEP_REMOVE_SEQUENCE ? "sequence"
                                                            : "schedule",
                      s->name);
        break;
    case MOD_STEP_ADD_CONSTRAINT: {
        const mod_table_t *t = &nd->tables[s->new_table];
        const mod_constraint_t *k = &t->constraints[s->new_item];
        lc_buf_printf(o, "~ table `%s`: add unique constraint `%s` on ", s->table, s->name);
        render_cols(o, t, k->ncols, k->cols);
        lc_buf_puts(o, " (existing rows are checked)\n");
        break;
    }
    case MOD_STEP_ADD_SEQUENCE: {
        const mod_table_t *t = &nd->tables[s->new_table];
        lc_buf_printf(o, "~ table `%s`: add sequence `%s` on `%s`\n", s->table, s->name,
                      t->cols[t->sequences[s->new_item].col].name);
        break;
    }
    case MOD_STEP_ADD_SCHEDULE:
        lc_buf_printf(o, "~ table `%s`: add schedule `%s` calling `%s`\n", s->table, s->name,
                      nd->tables[s->new_table].schedule->function_name);
        break;
    case MOD_STEP_REMOVE_RLS:
        lc_buf_printf(o, "- row-level security `%s`\n", s->name);
        break;
    case MOD_STEP_ADD_RLS:
        lc_buf_printf(o, "+ row-level security `%s`\n", s->name);
        break;
    case MOD_STEP_REMOVE_TABLE:
        lc_buf_printf(o, "- table `%s` (only if it holds no rows)\n", s->table);
        break;
    case MOD_STEP_ADD_TABLE:
        lc_buf_printf(o, "+ table `%s`\n", s->table);
        break;
    case MOD_STEP_ADD_COLUMNS:
        render_add_columns(o, nd, s);
        break;
    case MOD_STEP_DISCONNECT_ALL:
        lc_buf_puts(o, "! all clients will be disconnected\n");
        break;
    case MOD_STEP_UPDATE_VIEW:
        break;
    default:
        render_table_change(o, p, s);
        break;
    }
}

int mod_migration_render(const mod_migration_t *p, lc_buf_t *out)
{
    for (uint32_t i = 0; i < p->nsteps; i++) render_step(out, p, &p->steps[i]);
    for (uint32_t i = 0; i < p->nreasons; i++) lc_buf_printf(out, "x %s\n", p->reasons[i]);
    return out->oom ? LC_ENOMEM : 0;
}
