/*
 * alltypes — one column of every SATS type, and reducers that write exactly the arguments
 * they receive, so that a value can be checked byte for byte on its way from a client through
 * a reducer into a table and back out.  It also has a schedule table: `init` inserts one tick
 * every 50 ms, and each tick appends a row to tick_log.
 */
#include <lightcone.h>

LC_STRUCT(point, LC_FIELD(int32_t, x), LC_FIELD(int32_t, y))

// clang-format off
LC_SUM(shape,
       LC_VARIANT(int32_t, circle),
       LC_VARIANT(point, rect),
       LC_VARIANT(lc_string, label),
       LC_UNIT(empty))

LC_ENUM(color, red, green, blue)

LC_TABLE(all_types, LC_PUBLIC,
         LC_COL(uint64_t, id, LC_PRIMARY_KEY, LC_AUTO_INC),
         LC_COL(uint8_t, u8),
         LC_COL(uint16_t, u16),
         LC_COL(uint32_t, u32),
         LC_COL(uint64_t, u64),
         LC_COL(lc_u128, u128),
         LC_COL(lc_u256, u256),
         LC_COL(int8_t, i8),
         LC_COL(int16_t, i16),
         LC_COL(int32_t, i32),
         LC_COL(int64_t, i64),
         LC_COL(lc_i128, i128),
         LC_COL(lc_i256, i256),
         LC_COL(float, f32),
         LC_COL(double, f64),
         LC_COL(bool, flag),
         LC_COL(lc_string, str),
         LC_COL(lc_bytes, bytes),
         LC_COL(lc_array_i32, ints),
         LC_COL(lc_array_string, strings),
         LC_COL(lc_option_i32, opt_i32),
         LC_COL(lc_option_string, opt_string),
         LC_COL(point, product),
         LC_COL(shape, sum),
         LC_COL(color, enumeration),
         LC_COL(lc_identity, identity),
         LC_COL(lc_connection_id, connection_id),
         LC_COL(lc_timestamp, timestamp),
         LC_COL(lc_time_duration, duration))
// clang-format on

/* The reducer parameters after `id`, in column order; ROW(id) builds a row from them. */
#define ROW(id_)                                                                                   \
    (all_types_t)                                                                                  \
    {                                                                                              \
        .id = (id_), .u8 = u8, .u16 = u16, .u32 = u32, .u64 = u64, .u128 = u128, .u256 = u256,     \
        .i8 = i8, .i16 = i16, .i32 = i32, .i64 = i64, .i128 = i128, .i256 = i256, .f32 = f32,      \
        .f64 = f64, .flag = flag, .str = str, .bytes = bytes, .ints = ints, .strings = strings,    \
        .opt_i32 = opt_i32, .opt_string = opt_string, .product = product, .sum = sum,              \
        .enumeration = enumeration, .identity = identity, .connection_id = connection_id,          \
        .timestamp = timestamp, .duration = duration                                               \
    }

LC_REDUCER(insert_row, LC_ARG(uint8_t, u8), LC_ARG(uint16_t, u16), LC_ARG(uint32_t, u32),
           LC_ARG(uint64_t, u64), LC_ARG(lc_u128, u128), LC_ARG(lc_u256, u256), LC_ARG(int8_t, i8),
           LC_ARG(int16_t, i16), LC_ARG(int32_t, i32), LC_ARG(int64_t, i64), LC_ARG(lc_i128, i128),
           LC_ARG(lc_i256, i256), LC_ARG(float, f32), LC_ARG(double, f64), LC_ARG(bool, flag),
           LC_ARG(lc_string, str), LC_ARG(lc_bytes, bytes), LC_ARG(lc_array_i32, ints),
           LC_ARG(lc_array_string, strings), LC_ARG(lc_option_i32, opt_i32),
           LC_ARG(lc_option_string, opt_string), LC_ARG(point, product), LC_ARG(shape, sum),
           LC_ARG(color, enumeration), LC_ARG(lc_identity, identity),
           LC_ARG(lc_connection_id, connection_id), LC_ARG(lc_timestamp, timestamp),
           LC_ARG(lc_time_duration, duration))
{
    all_types_t row = ROW(0);
    if (all_types_insert(&row) != LC_STATUS_OK)
        return lc_err("insert failed");
    LC_LOG_INFO("inserted row %llu", (unsigned long long)row.id);
    return lc_ok();
}

LC_REDUCER(update_row, LC_ARG(uint64_t, id), LC_ARG(uint8_t, u8), LC_ARG(uint16_t, u16),
           LC_ARG(uint32_t, u32), LC_ARG(uint64_t, u64), LC_ARG(lc_u128, u128),
           LC_ARG(lc_u256, u256), LC_ARG(int8_t, i8), LC_ARG(int16_t, i16), LC_ARG(int32_t, i32),
           LC_ARG(int64_t, i64), LC_ARG(lc_i128, i128), LC_ARG(lc_i256, i256), LC_ARG(float, f32),
           LC_ARG(double, f64), LC_ARG(bool, flag), LC_ARG(lc_string, str), LC_ARG(lc_bytes, bytes),
           LC_ARG(lc_array_i32, ints), LC_ARG(lc_array_string, strings),
           LC_ARG(lc_option_i32, opt_i32), LC_ARG(lc_option_string, opt_string),
           LC_ARG(point, product), LC_ARG(shape, sum), LC_ARG(color, enumeration),
           LC_ARG(lc_identity, identity), LC_ARG(lc_connection_id, connection_id),
           LC_ARG(lc_timestamp, timestamp), LC_ARG(lc_time_duration, duration))
{
    if (id == 0)
        return lc_err("no row 0");
    all_types_t row = ROW(id);
    if (all_types_update_by_id(&row) != LC_STATUS_OK)
        return lc_err("no row %llu", (unsigned long long)id);
    return lc_ok();
}

LC_REDUCER(delete_row, LC_ARG(uint64_t, id))
{
    if (all_types_delete_by_id(id) == 0)
        return lc_err("no row %llu", (unsigned long long)id);
    return lc_ok();
}

/* -------------------------------------------------------------------- schedules */

// clang-format off
LC_TABLE(tick, LC_PUBLIC,
         LC_COL(uint64_t, scheduled_id, LC_PRIMARY_KEY, LC_AUTO_INC),
         LC_COL(lc_schedule_at, scheduled_at),
         LC_SCHEDULE(on_tick, scheduled_at))

LC_TABLE(tick_log, LC_PUBLIC,
         LC_COL(uint64_t, id, LC_PRIMARY_KEY, LC_AUTO_INC),
         LC_COL(uint64_t, scheduled_id),
         LC_COL(lc_timestamp, at))
// clang-format on

LC_REDUCER(on_tick, LC_ARG(tick_t, row))
{
    tick_log_t log = {.scheduled_id = row.scheduled_id, .at = ctx->timestamp};
    tick_log_insert(&log);
    return lc_ok();
}

LC_INIT(init)
{
    LC_LOG_INFO("alltypes: init, ticking every 50 ms");
    tick_t t = {.scheduled_at = lc_schedule_interval(lc_duration_ms(50))};
    if (tick_insert(&t) != LC_STATUS_OK)
        return lc_err("cannot schedule the tick");
    return lc_ok();
}

/* -------------------------------------------------------------------- one-shot alarms */

// clang-format off
LC_TABLE(alarm, LC_PUBLIC,
         LC_COL(uint64_t, scheduled_id, LC_PRIMARY_KEY, LC_AUTO_INC),
         LC_COL(lc_schedule_at, scheduled_at),
         LC_COL(lc_string, note),
         LC_SCHEDULE(on_alarm, scheduled_at))

LC_TABLE(alarm_log, LC_PUBLIC,
         LC_COL(lc_string, note))
// clang-format on

/* A one-shot schedule: the host runs on_alarm once, then deletes the alarm row. */
LC_REDUCER(set_alarm, LC_ARG(int64_t, delay_ms), LC_ARG(lc_string, note))
{
    alarm_t a = {.scheduled_at =
                     lc_schedule_time(lc_timestamp_add(ctx->timestamp, lc_duration_ms(delay_ms))),
                 .note = note};
    if (alarm_insert(&a) != LC_STATUS_OK)
        return lc_err("cannot set the alarm");
    return lc_ok();
}

LC_REDUCER(on_alarm, LC_ARG(alarm_t, row))
{
    alarm_log_t log = {.note = row.note};
    alarm_log_insert(&log);
    return lc_ok();
}
