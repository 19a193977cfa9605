/*
 * Applying an automatic migration plan (mod_def.h, module-abi.md §6.5)
 * to the store, inside the update's transaction.
 *
 * The store knows two DDL operations, create and drop table, so a table
 * whose physical shape changes (indexes, constraints, sequences, access,
 * primary key, added columns, widened sums) is rebuilt: its rows are read,
 * the table dropped and created again from the new definition, and the
 * rows inserted (each followed by the new columns' default bytes when
 * columns were added).  Unique constraints are thereby checked against
 * existing data, as the reference does when it adds one.  Sequences of a
 * rebuilt table start past the largest value present, so generated values
 * never collide with kept rows.  Name-only changes (accessors, index
 * source names), schedules and views need nothing here: mod_host_bind
 * picks them up.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db/db_int.h"

static bool reshapes_table(mod_step_kind_t k)
{
    switch (k) {
    case MOD_STEP_REMOVE_INDEX:
    case MOD_STEP_REMOVE_CONSTRAINT:
    case MOD_STEP_REMOVE_SEQUENCE:
    case MOD_STEP_CHANGE_COLUMNS:
    case MOD_STEP_RESCHEMA_EVENT_TABLE:
    case MOD_STEP_ADD_COLUMNS:
    case MOD_STEP_ADD_INDEX:
    case MOD_STEP_ADD_CONSTRAINT:
    case MOD_STEP_ADD_SEQUENCE:
    case MOD_STEP_CHANGE_ACCESS:
    case MOD_STEP_CHANGE_PRIMARY_KEY:
        return true;
    default:
        return false;
    }
}

/* The value of integer column col of a row, as a signed 128-bit number;
 * false if it is not an integer column or the row does not decode. */
static bool int_column(const sats_typespace_t *ts, const sats_type_t *row_type, uint16_t col,
                       const uint8_t *row, size_t len, __int128 *v)
{
    lc_rd_t r = lc_rd_make(row, len);
    for (uint16_t c = 0; c < col; c++)
        if (sats_bsatn_skip(&r, ts, row_type->u.fields.items[c].type, NULL))
            return false;
    const sats_type_t *t = sats_resolve(ts, row_type->u.fields.items[col].type);
    int size = sats_prim_size(t->kind);
    if (size <= 0 || size > 16 || r.len < (size_t)size || t->kind == SATS_BOOL ||
        t->kind == SATS_F32 || t->kind == SATS_F64)
        return false;
    bool is_signed = t->kind == SATS_I8 || t->kind == SATS_I16 || t->kind == SATS_I32 ||
                     t->kind == SATS_I64 || t->kind == SATS_I128;
    unsigned __int128 u = 0;
    for (int i = size - 1; i >= 0; i--) u = u << 8 | r.p[i];
    if (is_signed && size < 16 && (r.p[size - 1] & 0x80))
        u |= ~(unsigned __int128)0 << (size * 8);
    *v = (__int128)u;
    return true;
}

/* Raise the new sequences' start past every value the kept rows hold. */
static void adjust_sequences(const mod_table_t *t, const sats_typespace_t *ts,
                             const store_rows_t *rows, store_table_def_t *sdef)
{
    for (uint32_t s = 0; s < sdef->nsequences; s++) {
        store_sequence_def_t *seq = (store_sequence_def_t *)&sdef->sequences[s];
        for (uint32_t i = 0; i < rows->count; i++) {
            size_t end = i + 1 < rows->count ? rows->offsets[i + 1] : rows->data.len;
            __int128 v;
            if (int_column(ts, t->row_type, seq->col, rows->data.data + rows->offsets[i],
                           end - rows->offsets[i], &v) &&
                v >= seq->start && v < seq->max_value)
                seq->start = v + 1;
        }
    }
}

/* Rebuild table new_->tables[ti] from old->tables[oi] (see the essay). */
static int rebuild(db_t *db, store_tx_t *tx, const mod_def_t *old, uint32_t oi,
                   const mod_def_t *new_, uint32_t ti, const mod_step_t *add_cols, lc_err_t *err)
{
    const mod_table_t *ot = &old->tables[oi], *nt = &new_->tables[ti];
    uint32_t old_id;
    int rc = store_table_id(db->store, ot->name, &old_id);
    if (rc)
        return lc_err_set(err, LC_EINTERNAL, "table `%s` is missing", ot->name);
    store_rows_t rows;
    store_rows_init(&rows);
    rc = store_tx_scan(tx, old_id, &rows, err);
    if (rc == LC_OK)
        rc = store_drop_table(tx, old_id, err);
    lc_arena_t a;
    lc_arena_init(&a, 0);
    store_table_def_t sdef;
    uint32_t new_id = 0;
    if (rc == LC_OK)
        rc = mod_def_table_store_def(new_, ti, &a, &sdef, err);
    if (rc == LC_OK) {
        adjust_sequences(nt, &new_->typespace, &rows, &sdef);
        rc = store_create_table(tx, &sdef, &new_id, err);
    }
    lc_buf_t row;
    lc_buf_init(&row);
    for (uint32_t i = 0; rc == LC_OK && !nt->is_event && i < rows.count; i++) {
        size_t end = i + 1 < rows.count ? rows.offsets[i + 1] : rows.data.len;
        lc_buf_reset(&row);
        lc_buf_append(&row, rows.data.data + rows.offsets[i], end - rows.offsets[i]);
        if (add_cols)
            lc_buf_append(&row, add_cols->defaults, add_cols->defaults_len);
        store_insert_result_t res;
        rc = row.oom ? LC_ENOMEM : store_insert(tx, new_id, row.data, row.len, &res, err);
    }
    if (rc)
        lc_err_prefix(err, "migrating table `%s`: ", nt->name);
    lc_buf_free(&row);
    lc_arena_free(&a);
    store_rows_free(&rows);
    return rc;
}

static int add_table(db_t *db, store_tx_t *tx, const mod_def_t *new_, uint32_t ti, lc_err_t *err)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    store_table_def_t sdef;
    uint32_t id;
    int rc = mod_def_table_store_def(new_, ti, &a, &sdef, err);
    if (rc == LC_OK)
        rc = store_create_table(tx, &sdef, &id, err);
    if (rc == LC_OK)
        mod_log_system(db->log, "Creating table `%s`", new_->tables[ti].name);
    lc_arena_free(&a);
    return rc;
}

static int remove_table(db_t *db, store_tx_t *tx, const mod_def_t *old, uint32_t oi, lc_err_t *err)
{
    uint32_t id;
    uint64_t n = 0;
    if (store_table_id(db->store, old->tables[oi].name, &id))
        return LC_OK;
    int rc = store_tx_row_count(tx, id, &n, err);
    if (rc == LC_OK && n > 0)
        return lc_err_set(err, LC_EINVAL,
                          "table `%s` cannot be removed: it holds %" PRIu64
                          " rows (empty it first, or publish with --delete-data)",
                          old->tables[oi].name, n);
    return rc ? rc : store_drop_table(tx, id, err);
}

int db__apply_migration(db_t *db, store_tx_t *tx, const mod_def_t *old, const mod_def_t *new_,
                        const mod_migration_t *plan, lc_err_t *err)
{
    int rc = LC_OK;
    uint32_t n = new_->ntables;
    bool *done = lc_calloc(n ? n : 1, sizeof *done);
    if (!done)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    for (uint32_t i = 0; rc == LC_OK && i < plan->nsteps; i++) {
        const mod_step_t *s = &plan->steps[i];
        if (s->is_view)
            continue;
        if (s->kind == MOD_STEP_ADD_TABLE)
            rc = add_table(db, tx, new_, s->new_table, err);
        else if (s->kind == MOD_STEP_REMOVE_TABLE)
            rc = remove_table(db, tx, old, s->old_table, err);
        else if (reshapes_table(s->kind) && s->new_table != MOD_NONE && !done[s->new_table]) {
            /* All of a table's changes are folded into one rebuild. */
            const mod_step_t *add_cols = NULL;
            for (uint32_t k = 0; k < plan->nsteps; k++)
                if (plan->steps[k].kind == MOD_STEP_ADD_COLUMNS &&
                    plan->steps[k].new_table == s->new_table)
                    add_cols = &plan->steps[k];
            rc = rebuild(db, tx, old, s->old_table, new_, s->new_table, add_cols, err);
            done[s->new_table] = true;
        }
    }
    lc_free(done);
    return rc;
}
