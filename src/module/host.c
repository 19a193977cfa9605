/*
 * The module host: one compiled module, its main-lane instance, its
 * definition, and reducer calls (module-abi.md §1.3–1.5, §4.1, §4.3).
 *
 * Setting up an instance (the same for the first and every replacement):
 *   1. wasm_instance_new (memories, data, start function);
 *   2. `_initialize` if exported;
 *   3. every `__preinit__*` export in ascending byte-wise name order;
 *   4. `__setup__(sink)` if exported: 0 ok, 1 failure with a message;
 *   5. `__describe_module__(sink)` — always, because the Rust bindings
 *      fill their dispatch tables there.  The first instance's output
 *      becomes the definition; later outputs are ignored.
 * A trap in a call discards the instance (state BROKEN in module.h); the
 * next call sets up a fresh one, so a bad reducer costs one call, never
 * the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/module.h"

/* A schedule table, resolved against the store by mod_host_bind. */
typedef struct sched_table {
    uint32_t table_id;
    uint32_t table_index; /* in the definition */
    mod_schedule_info_t info;
    uint16_t id_col, at_col;
} sched_table_t;

struct mod_host {
    mod_host_config_t cfg;
    wasm_module_t *mod;
    wasm_instance_t *inst; /* NULL = BROKEN: set up again before the next call */
    mod_abi_ctx_t abi;
    mod_def_t *def;
    lc_buf_t def_bytes; /* what __describe_module__ wrote, for GET .../schema */
    lc_map_t table_aliases, index_aliases;
    sched_table_t *sched;
    uint32_t nsched;

    int ix_call_reducer, ix_describe, ix_setup, ix_initialize;
    int *preinits; /* export indexes, sorted by name */
    size_t npreinits;
    mod_host_stats_t stats;
};

static const char CALL_REDUCER_SIG[] = "iIIIIIIIii:i";

/* ---------------------------------------------------------------- engine glue */

static uint8_t *abi_memory(void *inst, uint64_t *size)
{
    return wasm_instance_memory(inst, size);
}

static void abi_trap(void *inst, const char *msg)
{
    wasm_instance_trap(inst, "%s", msg);
}

static void abi_log(void *arg, const mod_log_record_t *rec)
{
    mod_host_t *h = arg;
    if (h->cfg.log)
        mod_log_append(h->cfg.log, rec);
}

static int abi_schedule(void *arg, uint32_t table_id, const uint8_t *row, size_t len)
{
    mod_host_t *h = arg;
    if (!h->cfg.on_schedule)
        return 0;
    uint64_t id;
    int64_t at;
    bool interval;
    if (mod_host_schedule_row(h, table_id, row, len, &id, &at, &interval))
        return 0; /* not a schedule table */
    return h->cfg.on_schedule(h->cfg.hook_arg, table_id, id, at, interval);
}

static int abi_jwt(void *arg, const uint8_t connection_id[16], const uint8_t **payload, size_t *len)
{
    mod_host_t *h = arg;
    *payload = NULL;
    *len = 0;
    if (!h->cfg.jwt)
        return LC_OK;
    int rc = h->cfg.jwt(h->cfg.hook_arg, connection_id, payload, len);
    return rc == LC_ENOTFOUND ? LC_OK : rc;
}

/* ---------------------------------------------------------------- instances */

static int cmp_names(const void *a, const void *b, void *arg)
{
    const wasm_module_t *m = arg;
    return strcmp(wasm_module_export_name(m, (size_t) * (const int *)a),
                  wasm_module_export_name(m, (size_t) * (const int *)b));
}

/* Find the exports the host calls; missing required ones are the
 * publisher's error (§1.2). */
static int find_exports(mod_host_t *h, lc_err_t *err)
{
    wasm_module_t *m = h->mod;
    h->ix_call_reducer = wasm_module_export_index(m, "__call_reducer__", NULL);
    h->ix_describe = wasm_module_export_index(m, "__describe_module__", NULL);
    h->ix_setup = wasm_module_export_index(m, "__setup__", "i:i");
    h->ix_initialize = wasm_module_export_index(m, "_initialize", ":");
    if (h->ix_call_reducer < 0)
        return lc_err_set(err, LC_EINVAL, "the module does not export `__call_reducer__`");
    if (h->ix_describe < 0)
        return lc_err_set(err, LC_EINVAL, "the module does not export `__describe_module__`");
    if (strcmp(wasm_module_export_sig(m, (size_t)h->ix_call_reducer), CALL_REDUCER_SIG) != 0)
        return lc_err_set(err, LC_EINVAL,
                          "`__call_reducer__` has the wrong signature (expected (i32, i64 x 7, "
                          "i32, i32) -> i32)");
    if (strcmp(wasm_module_export_sig(m, (size_t)h->ix_describe), "i:") != 0)
        return lc_err_set(err, LC_EINVAL,
                          "`__describe_module__` has the wrong signature (expected (i32) -> ())");
    size_t n = wasm_module_export_count(m);
    h->preinits = lc_malloc((n ? n : 1) * sizeof *h->preinits);
    if (!h->preinits)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *name = wasm_module_export_name(m, i);
        if (strncmp(name, "__preinit__", 11) != 0)
            continue;
        if (strcmp(wasm_module_export_sig(m, i), ":") != 0)
            return lc_err_set(err, LC_EINVAL, "`%s` must take and return nothing", name);
        h->preinits[h->npreinits++] = (int)i;
    }
    qsort_r(h->preinits, h->npreinits, sizeof *h->preinits, cmp_names, m);
    return LC_OK;
}

/* Call export ix with args; a trap or error becomes an lc_err. */
static int call_export(mod_host_t *h, int ix, const uint64_t *args, size_t nargs, uint64_t *res,
                       lc_err_t *err)
{
    wasm_trap_t trap;
    uint64_t r = 0;
    int rc = wasm_instance_call(h->inst, ix, args, nargs, &r, &trap, err);
    if (res)
        *res = r;
    if (rc)
        return lc_err_prefix(err, "%s: ", wasm_module_export_name(h->mod, (size_t)ix));
    return LC_OK;
}

/* Steps 2–5 of the essay; describe output goes to *def_bytes if wanted. */
static int run_initializers(mod_host_t *h, lc_buf_t *def_bytes, lc_err_t *err)
{
    int rc = LC_OK;
    mod_abi_call_begin(&h->abi);
    if (h->ix_initialize >= 0)
        rc = call_export(h, h->ix_initialize, NULL, 0, NULL, err);
    for (size_t i = 0; rc == LC_OK && i < h->npreinits; i++)
        rc = call_export(h, h->preinits[i], NULL, 0, NULL, err);
    uint32_t sink;
    if (rc == LC_OK && h->ix_setup >= 0 && (rc = mod_abi_sink_new(&h->abi, &sink, err)) == LC_OK) {
        uint64_t arg = sink, r;
        rc = call_export(h, h->ix_setup, &arg, 1, &r, err);
        if (rc == LC_OK && r != 0) {
            size_t len;
            const uint8_t *msg = mod_abi_sink_data(&h->abi, sink, &len);
            rc = lc_err_set(err, LC_EINVAL, "module setup failed: %.*s",
                            r == 1 && msg ? (int)len : 0, r == 1 && msg ? (const char *)msg : "");
        }
    }
    if (rc == LC_OK && (rc = mod_abi_sink_new(&h->abi, &sink, err)) == LC_OK) {
        uint64_t arg = sink;
        rc = call_export(h, h->ix_describe, &arg, 1, NULL, err);
        size_t len;
        const uint8_t *p = mod_abi_sink_data(&h->abi, sink, &len);
        if (rc == LC_OK && def_bytes && len && lc_buf_append(def_bytes, p, len))
            rc = lc_err_set(err, LC_ENOMEM, "out of memory");
    }
    mod_abi_call_end(&h->abi);
    return rc;
}

/* Set up a fresh instance (first or replacement). */
static int new_instance(mod_host_t *h, lc_buf_t *def_bytes, lc_err_t *err)
{
    int rc = wasm_instance_new(h->mod, &h->abi, &h->cfg.limits, &h->inst, err);
    if (rc)
        return rc;
    h->abi.inst = h->inst;
    h->stats.instances_created++;
    rc = run_initializers(h, def_bytes, err);
    if (rc) {
        wasm_instance_free(h->inst);
        h->inst = NULL;
        h->abi.inst = NULL;
    }
    return rc;
}

static void discard_instance(mod_host_t *h)
{
    wasm_instance_free(h->inst);
    h->inst = NULL;
    h->abi.inst = NULL;
}

/* ---------------------------------------------------------------- create */

int mod_host_create(const mod_host_config_t *cfg, const uint8_t *wasm, size_t len,
                    wasm_progress_cb progress, void *progress_arg, mod_host_t **out, lc_err_t *err)
{
    mod_host_t *h = lc_calloc(1, sizeof *h);
    if (!h)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    h->cfg = *cfg;
    lc_map_init(&h->table_aliases);
    lc_map_init(&h->index_aliases);
    mod_abi_ctx_init(&h->abi);
    h->abi.memory = abi_memory;
    h->abi.trap = abi_trap;
    memcpy(h->abi.database_identity, cfg->database_identity, 32);
    h->abi.table_aliases = &h->table_aliases;
    h->abi.index_aliases = &h->index_aliases;
    h->abi.hooks.log = abi_log;
    h->abi.hooks.schedule = abi_schedule;
    h->abi.hooks.jwt = abi_jwt;
    h->abi.hook_arg = h;
    lc_buf_t *def_bytes = &h->def_bytes;
    lc_buf_init(def_bytes);
    int rc = wasm_module_compile(cfg->engine, wasm, len, progress, progress_arg, &h->mod, err);
    if (rc == LC_OK)
        rc = find_exports(h, err);
    if (rc == LC_OK)
        rc = new_instance(h, def_bytes, err);
    if (rc == LC_OK && def_bytes->len == 0)
        rc = lc_err_set(err, LC_EINVAL, "`__describe_module__` wrote no module definition");
    if (rc == LC_OK)
        rc = mod_def_decode(def_bytes->data, def_bytes->len, &h->def, err);
    if (rc) {
        mod_host_free(h);
        return rc;
    }
    *out = h;
    return LC_OK;
}

void mod_host_free(mod_host_t *h)
{
    if (!h)
        return;
    if (h->inst)
        wasm_instance_free(h->inst);
    if (h->mod)
        wasm_module_release(h->mod);
    mod_abi_ctx_free(&h->abi);
    mod_def_free(h->def);
    lc_buf_free(&h->def_bytes);
    lc_map_free(&h->table_aliases);
    lc_map_free(&h->index_aliases);
    lc_free(h->preinits);
    lc_free(h->sched);
    lc_free(h);
}

const mod_def_t *mod_host_def(const mod_host_t *h)
{
    return h->def;
}

const uint8_t *mod_host_def_bytes(const mod_host_t *h, size_t *len)
{
    *len = h->def_bytes.len;
    return h->def_bytes.data;
}

const uint8_t *mod_host_hash(const mod_host_t *h)
{
    return wasm_module_hash(h->mod);
}

void mod_host_stats(const mod_host_t *h, mod_host_stats_t *out)
{
    *out = h->stats;
}

/* ---------------------------------------------------------------- bind */

static int bind_table(mod_host_t *h, store_db_t *db, uint32_t ti, lc_err_t *err)
{
    const mod_table_t *t = (&h->def->tables[ti]);
    uint32_t table_id;
    if (store_table_id(db, t->name, &table_id))
        return lc_err_set(err, LC_EINTERNAL, "table `%s` is missing from the store", t->name);
    if (mod_abi_alias_put(&h->table_aliases, t->source_name, table_id))
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < t->nindexes; i++) {
        uint32_t index_id;
        if (store_index_id(db, t->indexes[i].name, &index_id))
            return lc_err_set(err, LC_EINTERNAL, "index `%s` is missing from the store",
                              t->indexes[i].name);
        if (t->indexes[i].source_name &&
            mod_abi_alias_put(&h->index_aliases, t->indexes[i].source_name, index_id))
            return lc_err_set(err, LC_ENOMEM, "out of memory");
    }
    if (!t->schedule || t->schedule->is_procedure)
        return LC_OK; /* scheduled procedures are not supported yet */
    sched_table_t *s = &h->sched[h->nsched];
    s->table_id = table_id;
    s->table_index = ti;
    s->info.reducer = t->schedule->function;
    s->id_col = t->schedule->id_col;
    s->at_col = t->schedule->at_col;
    /* The scheduler looks rows up by id: the index on the primary key. */
    for (uint32_t i = 0; i < t->nindexes; i++)
        if (t->indexes[i].ncols == 1 && t->indexes[i].cols[0] == s->id_col) {
            store_index_id(db, t->indexes[i].name, &s->info.pk_index_id);
            h->nsched++;
            return LC_OK;
        }
    return lc_err_set(err, LC_EINVAL, "schedule table `%s` has no index on its primary key",
                      t->name);
}

int mod_host_bind(mod_host_t *h, store_db_t *db, lc_err_t *err)
{
    lc_map_free(&h->table_aliases);
    lc_map_free(&h->index_aliases);
    lc_map_init(&h->table_aliases);
    lc_map_init(&h->index_aliases);
    uint32_t n = h->def->ntables;
    lc_free(h->sched);
    h->nsched = 0;
    h->sched = lc_calloc(n ? n : 1, sizeof *h->sched);
    if (!h->sched)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    h->abi.db = db;
    for (uint32_t i = 0; i < n; i++) {
        int rc = bind_table(h, db, i, err);
        if (rc)
            return rc;
    }
    return LC_OK;
}

/* ---------------------------------------------------------------- schedules */

static const sched_table_t *sched_of(const mod_host_t *h, uint32_t table_id)
{
    for (uint32_t i = 0; i < h->nsched; i++)
        if (h->sched[i].table_id == table_id)
            return &h->sched[i];
    return NULL;
}

int mod_host_schedule_info(const mod_host_t *h, uint32_t table_id, mod_schedule_info_t *out)
{
    const sched_table_t *s = sched_of(h, table_id);
    if (!s)
        return LC_ENOTFOUND;
    *out = s->info;
    return LC_OK;
}

int mod_host_schedule_row(const mod_host_t *h, uint32_t table_id, const uint8_t *row, size_t len,
                          uint64_t *id, int64_t *at, bool *interval)
{
    const sched_table_t *s = sched_of(h, table_id);
    if (!s)
        return LC_ENOTFOUND;
    const mod_table_t *t = (&h->def->tables[s->table_index]);
    const sats_typespace_t *ts = (&h->def->typespace);
    const sats_type_t *rt = t->row_type;
    lc_rd_t r = lc_rd_make(row, len);
    bool got_id = false, got_at = false;
    for (uint32_t c = 0; c < rt->u.fields.n; c++) {
        if (c == s->id_col) {
            if (lc_rd_u64le(&r, id))
                return LC_ECORRUPT;
            got_id = true;
        } else if (c == s->at_col) {
            uint8_t tag;
            uint64_t v;
            if (lc_rd_u8(&r, &tag) || tag > 1 || lc_rd_u64le(&r, &v))
                return LC_ECORRUPT;
            *interval = tag == 0;
            *at = (int64_t)v;
            got_at = true;
        } else if (sats_bsatn_skip(&r, ts, rt->u.fields.items[c].type, NULL)) {
            return LC_ECORRUPT;
        }
        if (got_id && got_at)
            return LC_OK;
    }
    return LC_ECORRUPT;
}

/* ---------------------------------------------------------------- calls */

int mod_host_reducer_find(const mod_host_t *h, const char *name)
{
    const mod_reducer_t *r = mod_def_reducer(h->def, name);
    return r ? (int)r->id : -1;
}

const char *mod_host_reducer_name(const mod_host_t *h, uint32_t reducer)
{
    return reducer < h->def->nreducers ? (&h->def->reducers[reducer])->name : "?";
}

mod_lifecycle_t mod_host_reducer_lifecycle(const mod_host_t *h, uint32_t reducer)
{
    return (mod_lifecycle_t)(&h->def->reducers[reducer])->lifecycle;
}

int mod_host_lifecycle_reducer(const mod_host_t *h, mod_lifecycle_t role)
{
    return h->def->lifecycle[role];
}

int mod_check_args(const mod_def_t *def, uint32_t reducer, const uint8_t *args, size_t len,
                   lc_err_t *err)
{
    const mod_reducer_t *r = (&def->reducers[reducer]);
    lc_rd_t rd = lc_rd_make(args, len);
    lc_err_t e;
    if (sats_bsatn_skip(&rd, (&def->typespace), r->params, &e))
        return lc_err_set(err, LC_EINVAL, "invalid arguments for reducer `%s`: %s", r->name, e.msg);
    if (rd.len)
        return lc_err_set(err, LC_EINVAL,
                          "invalid arguments for reducer `%s`: %zu bytes after the last argument",
                          r->name, rd.len);
    return LC_OK;
}

/* Pack a little-endian byte string into n u64 call arguments (§4.1). */
static void pack_le(uint64_t *out, const uint8_t *bytes, int n)
{
    for (int i = 0; i < n; i++) out[i] = lc_load_u64le(bytes + 8 * i);
}

static void outcome_msg(mod_outcome_t *o, mod_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void outcome_msg(mod_outcome_t *o, mod_status_t st, const char *fmt, ...)
{
    o->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->message, sizeof o->message, fmt, ap);
    va_end(ap);
}

/* Copy a sink's bytes as text (lossy: the log and the client want text). */
static void sink_text(mod_host_t *h, uint32_t sink, char *out, size_t cap)
{
    size_t len;
    const uint8_t *p = mod_abi_sink_data(&h->abi, sink, &len);
    if (!p)
        len = 0;
    if (len >= cap)
        len = cap - 1;
    memcpy(out, p ? (const char *)p : "", len);
    out[len] = 0;
}

static void trapped(mod_host_t *h, uint32_t reducer, wasm_trap_t trap, const lc_err_t *err,
                    mod_outcome_t *out)
{
    out->trap = trap;
    h->stats.traps++;
    if (trap == WASM_TRAP_TIMEOUT)
        outcome_msg(out, MOD_INTERNAL_ERROR,
                    "The reducer ran longer than its %u ms budget and was stopped.",
                    h->cfg.limits.time_ms);
    else
        outcome_msg(out, MOD_INTERNAL_ERROR, "The instance encountered a fatal error: %s",
                    err->msg);
    discard_instance(h);
}

int mod_host_call_reducer(mod_host_t *h, store_tx_t *tx, uint32_t reducer,
                          const mod_caller_t *caller, const uint8_t *args, size_t len,
                          mod_outcome_t *out)
{
    memset(out, 0, sizeof *out);
    lc_err_t err;
    if (reducer >= h->def->nreducers) {
        outcome_msg(out, MOD_BAD_REQUEST, "no reducer with id %u", reducer);
        return LC_OK;
    }
    if (!h->inst && new_instance(h, NULL, &err)) {
        outcome_msg(out, MOD_INTERNAL_ERROR, "could not set up a module instance: %s", err.msg);
        return LC_OK;
    }
    h->stats.calls++;
    mod_abi_call_begin(&h->abi);
    h->abi.tx = tx;
    h->abi.func_name = (&h->def->reducers[reducer])->name;
    uint32_t source = 0, sink = 0;
    if (mod_abi_source_new(&h->abi, args, len, &source, &err) ||
        mod_abi_sink_new(&h->abi, &sink, &err)) {
        outcome_msg(out, MOD_INTERNAL_ERROR, "%s", err.msg);
        goto done;
    }
    uint64_t a[10];
    a[0] = reducer;
    pack_le(a + 1, caller->identity, 4);
    pack_le(a + 5, caller->connection_id, 2);
    a[7] = (uint64_t)caller->timestamp_us;
    a[8] = source;
    a[9] = sink;
    uint64_t r = 0, t0 = lc_now_mono_us();
    wasm_trap_t trap = WASM_TRAP_NONE;
    int rc = wasm_instance_call(h->inst, h->ix_call_reducer, a, 10, &r, &trap, &err);
    out->wall_us = lc_now_mono_us() - t0;
    if (rc)
        trapped(h, reducer, trap, &err, out);
    else if ((uint32_t)r == 1) {
        out->status = MOD_USER_ERROR;
        sink_text(h, sink, out->message, sizeof out->message);
    } else if ((uint32_t)r != 0)
        outcome_msg(out, MOD_INTERNAL_ERROR, "reducer returned unknown return code %d", (int32_t)r);
done:
    mod_abi_call_end(&h->abi);
    h->abi.tx = NULL;
    h->abi.func_name = NULL;
    return LC_OK;
}
