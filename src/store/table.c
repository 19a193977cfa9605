/*
 * Tables: a row heap, its row versions, its indexes and sequences.
 *
 * A table is built from a store_table_def_t: the definition is deep-copied
 * into the table's own arena (types re-encoded and decoded through the
 * BSATN meta-codec, which is the simplest faithful deep copy), the row
 * layout is computed once, and every index gets a B+tree or a hash index
 * whose keys are the order-preserving encodings of store_key_append().
 *
 * Indexes are structurally non-unique: entries are (key, row) and dead rows
 * (deleted, awaiting freeing, db_int.h invariant 2) may share a key with a
 * live row.  Uniqueness is checked against live rows in tx.c.
 */
#include <stdio.h>
#include <string.h>

#include "db_int.h"

/* Deep-copy t into a with every Ref replaced by what it names, so a table's
 * row type stands alone: catalog rows (st_column.col_type) then describe it
 * completely and recovery needs no typespace.  Recursive types cannot be
 * inlined and are refused, as in the reference (engine.md §1.1). */
static int inline_type(lc_arena_t *a, const sats_typespace_t *ts, const sats_type_t *t, int depth,
                       const sats_type_t **out)
{
    if (depth > SATS_MAX_DEPTH)
        return LC_EINVAL;
    const sats_type_t *r = sats_resolve(ts, t);
    if (r == NULL)
        return LC_EINVAL;
    if (r->kind == SATS_ARRAY) {
        const sats_type_t *elem;
        int rc = inline_type(a, ts, r->u.elem, depth + 1, &elem);
        if (rc == LC_OK && (*out = sats_type_array(a, elem)) == NULL)
            rc = LC_ENOMEM;
        return rc;
    }
    if (r->kind != SATS_PRODUCT && r->kind != SATS_SUM) {
        *out = r; /* primitives are static singletons */
        return LC_OK;
    }
    uint32_t n = r->u.fields.n;
    const char **names = lc_arena_alloc(a, sizeof *names * (n ? n : 1));
    const sats_type_t **types = lc_arena_alloc(a, sizeof *types * (n ? n : 1));
    if (names == NULL || types == NULL)
        return LC_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        names[i] = r->u.fields.items[i].name;
        int rc = inline_type(a, ts, r->u.fields.items[i].type, depth + 1, &types[i]);
        if (rc != LC_OK)
            return rc;
    }
    *out = r->kind == SATS_PRODUCT ? sats_type_product(a, n, names, types)
                                   : sats_type_sum(a, n, names, types);
    return *out ? LC_OK : LC_ENOMEM;
}

static int fetch_row_cb(void *ctx, uint32_t row, lc_buf_t *out)
{
    store_table_t *t = ctx;
    return store_heap_read(t->heap, row, out);
}

/* See store_table_t.plain_len. */
static int64_t plain_size(const sats_type_t *t)
{
    if (t->kind >= SATS_I8 && t->kind <= SATS_F64)
        return sats_prim_size(t->kind);
    if (t->kind != SATS_PRODUCT)
        return -1; /* bools, strings, arrays and sums have invalid encodings */
    int64_t total = 0;
    for (uint32_t i = 0; i < t->u.fields.n; i++) {
        int64_t n = plain_size(t->u.fields.items[i].type);
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}

static int check_def(const store_table_def_t *def, lc_err_t *err)
{
    if (def->name == NULL || def->name[0] == 0)
        return lc_err_set(err, LC_EINVAL, "a table needs a name");
    const sats_type_t *rt = sats_resolve(def->ts, def->row_type);
    if (rt == NULL || rt->kind != SATS_PRODUCT)
        return lc_err_set(err, LC_EINVAL, "table %s: the row type must be a product", def->name);
    int rc = sats_type_check(def->ts, def->row_type, err);
    if (rc != LC_OK)
        return lc_err_prefix(err, "table %s", def->name);
    for (uint32_t i = 0; i < rt->u.fields.n; i++)
        if (rt->u.fields.items[i].name == NULL)
            return lc_err_set(err, LC_EINVAL, "table %s: column %u has no name", def->name, i);
    if (def->primary_key >= (int32_t)rt->u.fields.n)
        return lc_err_set(err, LC_EINVAL, "table %s: primary key column %d does not exist",
                          def->name, def->primary_key);
    return LC_OK;
}

int store__table_new(const store_table_def_t *def, uint32_t table_id, store_table_t **out,
                     lc_err_t *err)
{
    int rc = check_def(def, err);
    if (rc != LC_OK)
        return rc;
    store_table_t *t = lc_calloc(1, sizeof *t);
    if (t == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory creating table %s", def->name);
    lc_arena_init(&t->arena, 4096);
    /* A waiting writer blocks new readers: views read in short chunks, so
     * without this a stream of them could starve the writer. */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&t->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    t->table_id = table_id;
    t->primary_key = def->primary_key;
    t->type = def->type;
    t->access = def->access;
    t->is_event = def->is_event;
    t->name = lc_arena_strdup(&t->arena, def->name);
    rc = t->name ? inline_type(&t->arena, def->ts, def->row_type, 0, &t->row_type) : LC_ENOMEM;
    if (rc == LC_EINVAL)
        lc_err_set(err, rc, "table %s: the row type is recursive or nested too deeply", def->name);
    if (rc == LC_OK) {
        t->plain_len = plain_size(t->row_type);
        rc = store_layout_build(&t->arena, &t->ts, t->row_type, &t->layout, err);
    }
    if (rc == LC_OK && (t->heap = store_heap_new(&t->layout)) == NULL)
        rc = LC_ENOMEM;
    if (rc == LC_OK && (t->rowset = store_hashidx_new(false, fetch_row_cb, t)) == NULL)
        rc = LC_ENOMEM;
    if (rc != LC_OK) {
        store__table_free(t);
        if (rc == LC_ENOMEM)
            lc_err_set(err, rc, "out of memory creating table %s", def->name);
        return rc;
    }
    *out = t;
    return LC_OK;
}

void store__table_free(store_table_t *t)
{
    if (t == NULL)
        return;
    for (uint32_t i = 0; i < t->nindexes; i++) store__ix_free(t->indexes[i]);
    store_hashidx_free(t->rowset);
    store_heap_free(t->heap);
    lc_free(t->indexes);
    lc_free(t->xmin);
    lc_free(t->xmax);
    lc_free(t->pending);
    lc_buf_free(&t->scratch);
    pthread_rwlock_destroy(&t->lock);
    lc_arena_free(&t->arena);
    lc_free(t);
}

/* ---------------------------------------------------------------- indexes */

/* The element types of the index key (module-abi.md §3.7): a single column
 * of a product type counts as its fields. */
static int set_key_types(store_table_t *t, store_index_t *ix)
{
    const sats_type_t *rt = sats_resolve(&t->ts, t->row_type);
    if (ix->ncols == 1) {
        const sats_type_t *ct = rt->u.fields.items[ix->cols[0]].type;
        const sats_type_t *res = sats_resolve(&t->ts, ct);
        if (res && res->kind == SATS_PRODUCT && res->u.fields.n > 0) {
            ix->nkey_types = (uint16_t)res->u.fields.n;
            ix->key_types = lc_arena_alloc(&t->arena, sizeof *ix->key_types * ix->nkey_types);
            if (ix->key_types == NULL)
                return LC_ENOMEM;
            for (uint16_t i = 0; i < ix->nkey_types; i++)
                ix->key_types[i] = res->u.fields.items[i].type;
            return LC_OK;
        }
    }
    ix->nkey_types = ix->ncols;
    ix->key_types = lc_arena_alloc(&t->arena, sizeof *ix->key_types * ix->ncols);
    if (ix->key_types == NULL)
        return LC_ENOMEM;
    for (uint16_t i = 0; i < ix->ncols; i++)
        ix->key_types[i] = rt->u.fields.items[ix->cols[i]].type;
    sats_kind_t k = sats_resolve(&t->ts, ix->key_types[0])->kind;
    if (ix->ncols == 1 && k >= SATS_I8 && k <= SATS_U128) {
        ix->int_width = (uint8_t)sats_prim_size(k);
        ix->int_signed = (k - SATS_I8) % 2 == 0; /* I8, I16, ... come before U8, U16 */
    }
    return LC_OK;
}

static int check_index_cols(store_table_t *t, const store_index_def_t *def, lc_err_t *err)
{
    const sats_type_t *rt = sats_resolve(&t->ts, t->row_type);
    if (def->ncols == 0)
        return lc_err_set(err, LC_EINVAL, "index %s on table %s has no columns",
                          def->name ? def->name : "(unnamed)", t->name);
    for (uint16_t i = 0; i < def->ncols; i++)
        if (def->cols[i] >= rt->u.fields.n)
            return lc_err_set(err, LC_EINVAL, "index %s on table %s: column %u does not exist",
                              def->name ? def->name : "(unnamed)", t->name, def->cols[i]);
    return LC_OK;
}

static int push_index(store_table_t *t, store_index_t *ix)
{
    store_index_t **v = lc_realloc(t->indexes, sizeof *v * (t->nindexes + 1));
    if (v == NULL)
        return LC_ENOMEM;
    t->indexes = v;
    t->indexes[t->nindexes++] = ix;
    if (ix->unique && t->first_unique == NULL)
        t->first_unique = ix;
    return LC_OK;
}

int store__table_add_index(store_table_t *t, const store_index_def_t *def, uint32_t index_id,
                           const char *constraint_name, lc_err_t *err)
{
    int rc = check_index_cols(t, def, err);
    if (rc != LC_OK)
        return rc;
    store_index_t *ix = lc_arena_zalloc(&t->arena, sizeof *ix);
    if (ix == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    ix->index_id = index_id;
    ix->table = t;
    ix->algo = def->algo;
    ix->ncols = def->ncols;
    ix->cols = lc_arena_memdup(&t->arena, def->cols, sizeof *def->cols * def->ncols);
    ix->name = def->name ? lc_arena_strdup(&t->arena, def->name)
                         : lc_arena_printf(&t->arena, "%s_idx_%u", t->name, index_id);
    ix->unique = constraint_name != NULL;
    if (constraint_name)
        ix->constraint_name = lc_arena_strdup(&t->arena, constraint_name);
    if (!ix->cols || !ix->name || (constraint_name && !ix->constraint_name) ||
        set_key_types(t, ix) != LC_OK || store__ix_create(ix) != LC_OK)
        return lc_err_set(err, LC_ENOMEM, "out of memory creating index");
    /* Index the rows already present (an index added by a migration). */
    for (uint32_t r = STORE_ROW_NONE; store_heap_next(t->heap, &r);) {
        lc_buf_reset(&t->scratch);
        if ((rc = store__index_row_key(ix, r, &t->scratch)) != LC_OK)
            return lc_err_set(err, rc, "indexing table %s: %s", t->name, lc_strerror(rc));
        rc = store__ix_insert(ix, t->scratch.data, t->scratch.len, r);
        if (rc != LC_OK)
            return lc_err_set(err, rc, "indexing table %s: %s", t->name, lc_strerror(rc));
    }
    rc = push_index(t, ix);
    return rc == LC_OK ? LC_OK : lc_err_set(err, rc, "out of memory");
}

int store__table_add_sequence(store_table_t *t, const store_sequence_def_t *def,
                              uint32_t sequence_id, lc_err_t *err)
{
    const sats_type_t *rt = sats_resolve(&t->ts, t->row_type);
    if (def->col >= rt->u.fields.n)
        return lc_err_set(err, LC_EINVAL, "sequence on table %s: column %u does not exist", t->name,
                          def->col);
    const sats_type_t *ct = sats_resolve(&t->ts, rt->u.fields.items[def->col].type);
    if (ct == NULL || ct->kind < SATS_I8 || ct->kind > SATS_U128)
        return lc_err_set(err, LC_EINVAL,
                          "sequence on table %s: column %s is not an integer of at most 128 bits",
                          t->name, rt->u.fields.items[def->col].name);
    if (def->increment == 0 || def->min_value > def->max_value || def->start < def->min_value ||
        def->start > def->max_value)
        return lc_err_set(err, LC_EINVAL,
                          "sequence on table %s: needs increment != 0 and min <= start <= max",
                          t->name);
    store_sequence_t *v = lc_arena_alloc(&t->arena, sizeof *v * (t->nseqs + 1));
    if (v == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    if (t->nseqs)
        memcpy(v, t->seqs, sizeof *v * t->nseqs);
    store_sequence_t *s = &v[t->nseqs];
    memset(s, 0, sizeof *s);
    s->sequence_id = sequence_id;
    s->table = t;
    s->col = def->col;
    s->start = def->start;
    s->min_value = def->min_value;
    s->max_value = def->max_value;
    s->increment = def->increment;
    s->next = def->start;
    s->allocated = def->start;
    s->name = def->name ? lc_arena_strdup(&t->arena, def->name)
                        : lc_arena_printf(&t->arena, "%s_seq_%u", t->name, sequence_id);
    t->seqs = v;
    t->nseqs++;
    return LC_OK;
}

void store__table_trim(store_table_t *t)
{
    if (t->vcap == 0 || store_heap_count(t->heap) != 0)
        return;
    lc_free(t->xmin);
    lc_free(t->xmax);
    t->xmin = t->xmax = NULL;
    t->vcap = 0;
}

int store__table_versions_reserve(store_table_t *t, uint32_t r)
{
    if (r < t->vcap)
        return LC_OK;
    uint32_t cap = t->vcap ? t->vcap : 1024;
    while (cap <= r) cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
    uint64_t *xmin = lc_realloc(t->xmin, sizeof *xmin * cap);
    if (xmin == NULL)
        return LC_ENOMEM;
    t->xmin = xmin;
    uint64_t *xmax = lc_realloc(t->xmax, sizeof *xmax * cap);
    if (xmax == NULL)
        return LC_ENOMEM;
    t->xmax = xmax;
    t->vcap = cap;
    return LC_OK;
}

/* ---------------------------------------------------------------- keys */

/* The key of a one-integer-column index: the BSATN (little-endian) bytes
 * reversed, with the sign bit flipped for signed types — what
 * store_key_append produces, without walking the type. */
static int int_key(const store_index_t *ix, const uint8_t *p, size_t n, lc_buf_t *out)
{
    uint8_t *k = lc_buf_extend(out, ix->int_width);
    if (k == NULL)
        return LC_ENOMEM;
    for (size_t i = 0; i < n; i++) k[i] = p[n - 1 - i];
    if (ix->int_signed)
        k[0] ^= 0x80;
    return LC_OK;
}

int store__index_row_key(const store_index_t *ix, uint32_t r, lc_buf_t *out)
{
    if (ix->int_width) {
        size_t len;
        const uint8_t *p = store_heap_col(ix->table->heap, r, ix->cols[0], &len);
        return p && len == ix->int_width ? int_key(ix, p, len, out) : LC_ECORRUPT;
    }
    const store_table_t *t = ix->table;
    for (uint16_t i = 0; i < ix->ncols; i++) {
        size_t len;
        const uint8_t *p = store_heap_col(t->heap, r, ix->cols[i], &len);
        if (p == NULL)
            return LC_ECORRUPT;
        lc_rd_t rd = lc_rd_make(p, len);
        const sats_type_t *ct = sats_resolve(&t->ts, t->row_type)->u.fields.items[ix->cols[i]].type;
        int rc = store_key_append(out, &rd, &t->ts, ct);
        if (rc != LC_OK)
            return rc;
    }
    return LC_OK;
}

int store__index_point_key(const store_index_t *ix, const uint8_t *p, size_t n, lc_buf_t *out,
                           lc_err_t *err)
{
    if (ix->int_width && n == ix->int_width)
        return int_key(ix, p, n, out) == LC_OK ? LC_OK
                                               : lc_err_set(err, LC_ENOMEM, "out of memory");
    lc_rd_t rd = lc_rd_make(p, n);
    for (uint16_t i = 0; i < ix->nkey_types; i++) {
        int rc = store_key_append(out, &rd, &ix->table->ts, ix->key_types[i]);
        if (rc == LC_ENOMEM)
            return lc_err_set(err, rc, "out of memory");
        if (rc != LC_OK)
            return lc_err_set(err, LC_ECORRUPT,
                              "key for index %s does not decode as its column types", ix->name);
    }
    if (rd.len != 0)
        return lc_err_set(err, LC_ECORRUPT, "key for index %s has %zu trailing bytes", ix->name,
                          rd.len);
    return LC_OK;
}

int store__row_offsets(const store_table_t *t, const uint8_t *row, size_t len, size_t *offs)
{
    const sats_type_t *rt = sats_resolve(&t->ts, t->row_type);
    lc_rd_t r = lc_rd_make(row, len);
    for (uint32_t i = 0; i < rt->u.fields.n; i++) {
        offs[i] = len - r.len;
        if (sats_bsatn_skip(&r, &t->ts, rt->u.fields.items[i].type, NULL) != LC_OK)
            return LC_ECORRUPT;
    }
    offs[rt->u.fields.n] = len;
    return LC_OK;
}

int store__index_key_of_bsatn(const store_index_t *ix, const uint8_t *row, size_t len,
                              lc_buf_t *out)
{
    const store_table_t *t = ix->table;
    size_t offs[t->layout.ncols + 1];
    int rc = store__row_offsets(t, row, len, offs);
    const sats_type_t *rt = sats_resolve(&t->ts, t->row_type);
    for (uint16_t i = 0; rc == LC_OK && i < ix->ncols; i++) {
        uint16_t c = ix->cols[i];
        lc_rd_t rd = lc_rd_make(row + offs[c], offs[c + 1] - offs[c]);
        rc = store_key_append(out, &rd, &t->ts, rt->u.fields.items[c].type);
    }
    return rc;
}

void store__index_describe_key(const store_index_t *ix, uint32_t r, char *out, size_t outlen)
{
    const store_table_t *t = ix->table;
    const sats_type_t *rt = sats_resolve(&t->ts, t->row_type);
    lc_buf_t b = {0};
    lc_arena_t a;
    lc_arena_init(&a, 1024);
    lc_buf_putc(&b, '(');
    for (uint16_t i = 0; i < ix->ncols; i++)
        lc_buf_printf(&b, "%s%s", i ? ", " : "", rt->u.fields.items[ix->cols[i]].name);
    lc_buf_puts(&b, ")=(");
    for (uint16_t i = 0; i < ix->ncols; i++) {
        size_t len;
        const uint8_t *p = store_heap_col(t->heap, r, ix->cols[i], &len);
        sats_value_t v;
        const sats_type_t *ct = rt->u.fields.items[ix->cols[i]].type;
        if (i)
            lc_buf_puts(&b, ", ");
        if (p && sats_bsatn_decode_all(&a, p, len, &t->ts, ct, &v, NULL) == LC_OK)
            sats_print_value(&b, &t->ts, ct, &v);
        else
            lc_buf_puts(&b, "?");
    }
    lc_buf_putc(&b, ')');
    snprintf(out, outlen, "%.*s", (int)b.len, b.data ? (char *)b.data : "");
    lc_buf_free(&b);
    lc_arena_free(&a);
}

/* ---------------------------------------------------------------- rows */

static int index_insert(store_index_t *ix, const lc_buf_t *key, uint32_t r)
{
    return store__ix_insert(ix, key->data, key->len, r);
}

static void index_remove(store_index_t *ix, const lc_buf_t *key, uint32_t r)
{
    NEVER(store__ix_remove(ix, key->data, key->len, r) != LC_OK);
}

/* Take row r out of the first n indexes of t. */
static void unindex_first(store_table_t *t, uint32_t r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        lc_buf_reset(&t->scratch);
        if (store__index_row_key(t->indexes[i], r, &t->scratch) == LC_OK)
            index_remove(t->indexes[i], &t->scratch, r);
    }
}

int store__table_index_row(store_table_t *t, uint32_t r, lc_err_t *err)
{
    int rc = LC_OK;
    uint32_t indexed = 0;
    while (indexed < t->nindexes) {
        lc_buf_reset(&t->scratch);
        rc = store__index_row_key(t->indexes[indexed], r, &t->scratch);
        if (rc == LC_OK)
            rc = index_insert(t->indexes[indexed], &t->scratch, r);
        if (rc != LC_OK)
            break;
        indexed++;
    }
    if (rc == LC_OK && t->first_unique == NULL) {
        lc_buf_reset(&t->scratch);
        rc = store_heap_read(t->heap, r, &t->scratch);
        if (rc == LC_OK)
            rc = store_hashidx_insert(t->rowset, t->scratch.data, t->scratch.len, r, NULL);
    }
    if (rc == LC_OK)
        return LC_OK;
    unindex_first(t, r, indexed);
    return lc_err_set(err, rc, "indexing a row of table %s: %s", t->name, lc_strerror(rc));
}

void store__table_unindex_row(store_table_t *t, uint32_t r)
{
    unindex_first(t, r, t->nindexes);
    if (t->first_unique == NULL) {
        lc_buf_reset(&t->scratch);
        if (store_heap_read(t->heap, r, &t->scratch) == LC_OK)
            NEVER(store_hashidx_delete(t->rowset, t->scratch.data, t->scratch.len, r) != LC_OK);
    }
}

void store__table_free_row(store_table_t *t, uint32_t r)
{
    if (t->xmax[r] != 0)
        t->ndead--;
    store__table_unindex_row(t, r);
    store_heap_delete(t->heap, r);
}
