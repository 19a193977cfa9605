/*
 * libFuzzer target for the durability decoders: whatever bytes a damaged
 * disk holds, decoding must fail cleanly or succeed — never crash, leak or
 * read out of bounds.
 *
 * The first input byte picks the decoder:
 *   even  dur_txdata_decode on the rest (a log record's payload), and when
 *         it decodes, replay it into a fresh database as recovery would
 *   odd   the rest as a snapshot body: a valid header and checksum are put
 *         around it so that the parser behind them is reached, then it is
 *         restored into a fresh database
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "durability/dur_int.h"

static void replay_rows(store_db_t *db, const dur_txdata_t *d)
{
    store_tx_t *tx;
    if (store_tx_begin(db, &tx, NULL) != LC_OK)
        return;
    for (uint32_t i = 0; i < d->ngroups; i++) {
        lc_rd_t r = lc_rd_make(d->groups[i].rows, d->groups[i].rows_len);
        for (uint32_t k = 0; k < d->groups[i].nrows; k++) {
            uint64_t len = 0;
            const uint8_t *row;
            if (dur__get_varint(&r, &len) != LC_OK || lc_rd_bytes(&r, len, &row) != LC_OK)
                abort(); /* decode promised whole rows */
            store_insert_result_t res;
            uint32_t n;
            if (d->groups[i].is_delete)
                store_delete_value(tx, d->groups[i].table_id, row, len, &n, NULL);
            else
                store_insert(tx, d->groups[i].table_id, row, len, &res, NULL);
        }
    }
    store_tx_rollback(tx);
}

static void fuzz_txdata(const uint8_t *p, size_t n)
{
    lc_arena_t a;
    lc_arena_init(&a, 4096);
    dur_txdata_t d;
    if (dur_txdata_decode(&a, p, n, &d, NULL) == LC_OK) {
        store_db_t *db;
        if (store_db_open(&db, NULL) == LC_OK) {
            replay_rows(db, &d);
            store_db_close(db);
        }
    }
    lc_arena_free(&a);
}

static void fuzz_snapshot(const uint8_t *p, size_t n)
{
    static const uint8_t magic[8] = {'L', 'C', 'S', 'N', 'A', 'P', 0, 1};
    lc_buf_t snap = {0};
    lc_buf_append(&snap, magic, 8);
    lc_buf_put_u64le(&snap, 5); /* offset */
    lc_buf_append(&snap, p, n); /* ntables and the tables */
    lc_buf_put_u32le(&snap, lc_crc32c(0, snap.data, snap.len));
    store_db_t *db;
    if (snap.len >= 24 && !snap.oom && store_db_open(&db, NULL) == LC_OK) {
        dur__snapshot_restore(db, &snap, NULL);
        store_db_close(db);
    }
    lc_buf_free(&snap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    lc_log_set_level(LC_LOG_ERROR);
    if (data[0] % 2 == 0)
        fuzz_txdata(data + 1, size - 1);
    else
        fuzz_snapshot(data + 1, size - 1);
    return 0;
}
