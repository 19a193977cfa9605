/*
 * items.c — reducers that drive every generated table function; results are logged as
 * "name: values" lines that tests/sdk/behaviour.mjs compares against the same queries run
 * over the host's rows.
 */
#include "sdktest.h"

/* Log "label: id,id,..." for the rows an iterator yields (in the order it yields them). */
static void log_ids(const char *label, item_iter it)
{
    char buf[1024];
    int n = lc_format(buf, sizeof buf, "%s:", label);
    item_t row;
    for (bool first = true; item_next(&it, &row); first = false)
        n += lc_format(buf + n, sizeof buf - (size_t)n, "%s%u", first ? " " : ",", row.id);
    LC_LOG_INFO("%s", buf);
}

LC_REDUCER(add_item, LC_ARG(lc_string, code), LC_ARG(uint8_t, kind), LC_ARG(int64_t, score),
           LC_ARG(lc_string, tag), LC_ARG(int32_t, x), LC_ARG(int32_t, y),
           LC_ARG(uint32_t, blob_size))
{
    uint8_t *blob = lc_alloc(blob_size);
    for (uint32_t i = 0; i < blob_size; i++) blob[i] = (uint8_t)(i * 7 + kind);
    item_t row = {.code = code,
                  .kind = kind,
                  .score = score,
                  .tag = tag,
                  .x = x,
                  .y = y,
                  .blob = lc_bytes_of(blob, blob_size)};
    int rc = item_insert(&row);
    if (rc == LC_STATUS_UNIQUE_ALREADY_EXISTS)
        return lc_err("duplicate code %s", code.ptr);
    if (rc != LC_STATUS_OK)
        return lc_err("insert failed: %d", rc);
    LC_LOG_INFO("added: %u", row.id);
    return lc_ok();
}

LC_REDUCER(query, LC_ARG(lc_string, code), LC_ARG(uint8_t, kind), LC_ARG(int64_t, lo),
           LC_ARG(int64_t, hi), LC_ARG(lc_string, tag), LC_ARG(int32_t, x), LC_ARG(int32_t, y))
{
    item_t row;
    if (item_find_by_code(code, &row))
        LC_LOG_INFO("find_by_code: %u %s", row.id, row.code.ptr);
    else
        LC_LOG_INFO("find_by_code: none");
    if (item_find_by_id(999999, &row))
        LC_LOG_INFO("find_by_id: unexpected");
    log_ids("filter_by_kind", item_filter_by_kind(kind));
    log_ids("range_by_kind", item_range_by_kind(&kind, NULL));
    log_ids("filter_by_score", item_filter_by_score(lo));
    log_ids("range_by_score", item_range_by_score(&lo, &hi));
    log_ids("range_by_score_lo", item_range_by_score(&lo, NULL));
    log_ids("range_by_score_hi", item_range_by_score(NULL, &hi));
    log_ids("filter_by_tag", item_filter_by_tag(tag));
    log_ids("filter_by_at", item_filter_by_at(x, y));
    log_ids("range_by_at", item_range_by_at(&x, NULL));
    log_ids("filter_by_tag_kind", item_filter_by_tag_kind(tag, kind));
    log_ids("range_by_id", item_range_by_id(NULL, NULL));
    log_ids("iter_all", item_iter_all());
    LC_LOG_INFO("count: %llu", (unsigned long long)item_count());
    return lc_ok();
}

/* Sum of every blob's bytes, read through a full scan (large rows: several buffer sizes). */
LC_REDUCER(blob_sum)
{
    item_iter it = item_iter_all();
    item_t row;
    uint64_t sum = 0, rows = 0;
    while (item_next(&it, &row)) {
        rows++;
        for (uint32_t i = 0; i < row.blob.len; i++) sum += row.blob.ptr[i];
    }
    LC_LOG_INFO("blob_sum: %llu rows %llu", (unsigned long long)sum, (unsigned long long)rows);
    return lc_ok();
}

/* Stop an iteration early, then look rows up again: closing must not disturb later scans. */
LC_REDUCER(first_two)
{
    item_iter it = item_iter_all();
    item_t a, b;
    bool ok = item_next(&it, &a) && item_next(&it, &b);
    item_iter_close(&it);
    LC_LOG_INFO("first_two: %s %u %u", ok ? "ok" : "short", ok ? a.id : 0, ok ? b.id : 0);
    return lc_ok();
}

LC_REDUCER(set_score, LC_ARG(lc_string, code), LC_ARG(int64_t, score))
{
    item_t row;
    if (!item_find_by_code(code, &row))
        return lc_err("no item %s", code.ptr);
    row.score = score;
    int rc = item_update_by_code(&row);
    LC_LOG_INFO("set_score: %d", rc);
    return lc_ok();
}

/* Give item `id` a new code through the primary key; reports the status (unique clash, ...). */
LC_REDUCER(recode, LC_ARG(uint32_t, id), LC_ARG(lc_string, code))
{
    item_t row;
    if (!item_find_by_id(id, &row)) {
        row = (item_t){.id = id, .code = code};
        LC_LOG_INFO("recode: %d", item_update_by_id(&row));
        return lc_ok();
    }
    row.code = code;
    LC_LOG_INFO("recode: %d", item_update_by_id(&row));
    return lc_ok();
}

LC_REDUCER(remove_code, LC_ARG(lc_string, code))
{
    item_t row;
    uint32_t n = item_find_by_code(code, &row) ? item_delete(&row) : 0;
    LC_LOG_INFO("remove_code: %u %u", n, item_delete(&row));
    return lc_ok();
}

LC_REDUCER(delete_by, LC_ARG(lc_string, code), LC_ARG(uint8_t, kind), LC_ARG(int32_t, x),
           LC_ARG(int32_t, y))
{
    uint32_t a = item_delete_by_code(code);
    uint32_t b = item_delete_by_kind(kind);
    uint32_t c = item_delete_by_at(x, y);
    LC_LOG_INFO("delete_by: %u %u %u", a, b, c);
    return lc_ok();
}

LC_REDUCER(clear_items)
{
    LC_LOG_INFO("clear: %llu %llu", (unsigned long long)item_clear(),
                (unsigned long long)item_count());
    return lc_ok();
}

/* Inserts a row and then fails: the host must roll the insert back. */
LC_REDUCER(add_then_fail, LC_ARG(lc_string, code))
{
    item_t row = {.code = code, .tag = code};
    item_insert(&row);
    return lc_err("failed after inserting %s (id %u)", code.ptr, row.id);
}

LC_REDUCER(add_wide, LC_ARG(int8_t, a), LC_ARG(lc_u128, b), LC_ARG(int64_t, c))
{
    wide_t row = {.a = a, .b = b, .c = c};
    int rc = wide_insert(&row);
    LC_LOG_INFO("add_wide: %d %d %llu %llu %lld", rc, row.a, (unsigned long long)row.b.lo,
                (unsigned long long)row.b.hi, (long long)row.c);
    return lc_ok();
}

LC_REDUCER(add_note, LC_ARG(lc_string, text))
{
    note_t n = {.text = text};
    note_insert(&n);
    return lc_ok();
}
