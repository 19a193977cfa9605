/*
 * Transaction records: a changeset in the payload of a log record.  The
 * layout is the table in durability.h.  Invariants:
 *   1. Groups appear in ascending table-id order, inserts before deletes in
 *      the byte stream (the replayer applies deletes first: an update's old
 *      row must leave before its new row arrives, or a unique key clashes).
 *   2. A table truncated by the transaction (empty after it) logs a
 *      truncate and omits its delete rows.
 *   3. Every length is checked against the remaining bytes before use.
 */
#include <string.h>

#include "dur_int.h"

#define TX_HAS_TIMESTAMP 0x10
#define TX_HAS_MUTATIONS 0x20

static void put_rows(lc_buf_t *b, uint32_t table_id, uint32_t n, const uint8_t *const *rows,
                     const uint32_t *lens)
{
    lc_buf_put_u32le(b, table_id);
    dur__put_varint(b, n);
    for (uint32_t i = 0; i < n; i++) {
        dur__put_varint(b, lens[i]);
        lc_buf_append(b, rows[i], lens[i]);
    }
}

int dur_txdata_encode(lc_buf_t *out, const store_changeset_t *cs, int64_t timestamp_us)
{
    size_t start = out->len;
    uint32_t nins = 0, ndel = 0, ntrunc = 0;
    for (uint32_t i = 0; i < cs->ntables; i++) {
        const store_table_changes_t *t = &cs->tables[i];
        nins += t->ninserts > 0;
        ndel += t->ndeletes > 0 && !t->truncated;
        ntrunc += t->truncated;
    }
    lc_buf_putc(out, TX_HAS_TIMESTAMP | TX_HAS_MUTATIONS);
    lc_buf_put_u64le(out, (uint64_t)timestamp_us);
    dur__put_varint(out, nins);
    for (uint32_t i = 0; i < cs->ntables; i++) {
        const store_table_changes_t *t = &cs->tables[i];
        if (t->ninserts)
            put_rows(out, t->table_id, t->ninserts, t->inserts, t->insert_lens);
    }
    dur__put_varint(out, ndel);
    for (uint32_t i = 0; i < cs->ntables; i++) {
        const store_table_changes_t *t = &cs->tables[i];
        if (t->ndeletes && !t->truncated)
            put_rows(out, t->table_id, t->ndeletes, t->deletes, t->delete_lens);
    }
    dur__put_varint(out, ntrunc);
    for (uint32_t i = 0; i < cs->ntables; i++)
        if (cs->tables[i].truncated)
            lc_buf_put_u32le(out, cs->tables[i].table_id);
    if (out->oom) {
        out->len = start;
        return LC_ENOMEM;
    }
    return LC_OK;
}

/* Check one group's rows and remember where they are. */
static int read_group(lc_rd_t *r, bool is_delete, struct dur_group *g, lc_err_t *err)
{
    uint64_t nrows = 0;
    if (lc_rd_u32le(r, &g->table_id) != LC_OK || dur__get_varint(r, &nrows) != LC_OK ||
        nrows > r->len)
        return LC_CORRUPT(err, "transaction record: bad row group header");
    g->is_delete = is_delete;
    g->nrows = (uint32_t)nrows;
    g->rows = r->p;
    size_t before = r->len;
    for (uint64_t i = 0; i < nrows; i++) {
        uint64_t len = 0;
        const uint8_t *row;
        if (dur__get_varint(r, &len) != LC_OK || len > r->len || lc_rd_bytes(r, len, &row) != LC_OK)
            return LC_CORRUPT(err, "transaction record: row %llu of table %u is truncated",
                              (unsigned long long)i, g->table_id);
    }
    g->rows_len = before - r->len;
    return LC_OK;
}

static int read_groups(lc_arena_t *a, lc_rd_t *r, dur_txdata_t *out, lc_err_t *err)
{
    uint64_t nins = 0, ndel = 0;
    if (dur__get_varint(r, &nins) != LC_OK || nins > r->len)
        return LC_CORRUPT(err, "transaction record: bad insert group count");
    out->groups = lc_arena_alloc(a, sizeof *out->groups * (nins + 1));
    if (out->groups == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    for (uint64_t i = 0; i < nins; i++)
        if (read_group(r, false, &out->groups[i], err) != LC_OK)
            return LC_ECORRUPT;
    if (dur__get_varint(r, &ndel) != LC_OK || ndel > r->len)
        return LC_CORRUPT(err, "transaction record: bad delete group count");
    struct dur_group *all = lc_arena_alloc(a, sizeof *all * (nins + ndel + 1));
    if (all == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    memcpy(all, out->groups, sizeof *all * nins);
    for (uint64_t i = 0; i < ndel; i++)
        if (read_group(r, true, &all[nins + i], err) != LC_OK)
            return LC_ECORRUPT;
    out->groups = all;
    out->ngroups = (uint32_t)(nins + ndel);
    return LC_OK;
}

int dur_txdata_decode(lc_arena_t *a, const uint8_t *p, size_t n, dur_txdata_t *out, lc_err_t *err)
{
    memset(out, 0, sizeof *out);
    lc_rd_t r = lc_rd_make(p, n);
    uint8_t flags;
    if (lc_rd_u8(&r, &flags) != LC_OK || (flags & ~(TX_HAS_TIMESTAMP | TX_HAS_MUTATIONS)))
        return LC_CORRUPT(err, "transaction record: unknown flags");
    uint64_t ts = 0;
    if ((flags & TX_HAS_TIMESTAMP) && lc_rd_u64le(&r, &ts) != LC_OK)
        return LC_CORRUPT(err, "transaction record: truncated timestamp");
    out->timestamp_us = (int64_t)ts;
    if (flags & TX_HAS_MUTATIONS) {
        int rc = read_groups(a, &r, out, err);
        if (rc != LC_OK)
            return rc;
        uint64_t ntrunc = 0;
        if (dur__get_varint(&r, &ntrunc) != LC_OK || ntrunc > r.len / 4)
            return LC_CORRUPT(err, "transaction record: bad truncate count");
        out->truncates = lc_arena_alloc(a, sizeof *out->truncates * (ntrunc + 1));
        if (out->truncates == NULL)
            return lc_err_set(err, LC_ENOMEM, "out of memory");
        for (uint64_t i = 0; i < ntrunc; i++) lc_rd_u32le(&r, &out->truncates[i]);
        out->ntruncates = (uint32_t)ntrunc;
    }
    if (r.len != 0)
        return LC_CORRUPT(err, "transaction record: %zu bytes left over", r.len);
    return LC_OK;
}
