/*
 * The v1 message set (protocol.md §6) as SATS types, in the reference's two
 * formats.  BsatnFormat and JsonFormat differ in three places only, so one
 * builder serves both:
 *
 *   slot              BSATN                          JSON
 *   ----------------  -----------------------------  ---------------------------
 *   ROW_LIST          BsatnRowList                   Array<String> (row JSON texts)
 *   args (Single)     bytes                          String (JSON text)
 *   QUERY_UPDATE_WIRE CompressableQueryUpdate        QueryUpdate itself
 */
#include "net.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__})
#define TYPES(...) ((const sats_type_t *const[]){__VA_ARGS__})
#define PRIM(k)    sats_prim(SATS_##k)

int net_v1_typespace(lc_arena_t *a, bool json, sats_typespace_t *ts)
{
    const sats_type_t **t = lc_arena_zalloc(a, NET_V1_TYPES * sizeof *t);
    if (t == NULL)
        return LC_ENOMEM;
#define R(i)               sats_type_ref(a, i)
#define P(n, names, types) sats_type_product(a, n, NAMES names, TYPES types)
#define S(n, names, types) sats_type_sum(a, n, NAMES names, TYPES types)
    const sats_type_t *u32 = PRIM(U32), *u64 = PRIM(U64), *str = PRIM(STRING);
    const sats_type_t *bytes = sats_type_bytes(), *unit = sats_type_unit();
    const sats_type_t *args = json ? str : bytes;
    const sats_type_t *dur = sats_type_time_duration();
    t[NET_V1_QUERY_ID] = P(1, ("id"), (u32));
    t[NET_V1_ROW_SIZE_HINT] =
        S(2, ("FixedSize", "RowOffsets"), (PRIM(U16), sats_type_array(a, u64)));
    t[NET_V1_ROW_LIST] = json ? sats_type_array(a, str)
                              : P(2, ("size_hint", "rows_data"), (R(NET_V1_ROW_SIZE_HINT), bytes));
    t[NET_V1_QUERY_UPDATE] = P(2, ("deletes", "inserts"), (R(NET_V1_ROW_LIST), R(NET_V1_ROW_LIST)));
    t[NET_V1_QUERY_UPDATE_WIRE] =
        json ? t[NET_V1_QUERY_UPDATE]
             : S(3, ("Uncompressed", "Brotli", "Gzip"), (R(NET_V1_QUERY_UPDATE), bytes, bytes));
    t[NET_V1_TABLE_UPDATE] = P(4, ("table_id", "table_name", "num_rows", "updates"),
                               (u32, str, u64, sats_type_array(a, R(NET_V1_QUERY_UPDATE_WIRE))));
    t[NET_V1_DATABASE_UPDATE] = P(1, ("tables"), (sats_type_array(a, R(NET_V1_TABLE_UPDATE))));
    t[NET_V1_UPDATE_STATUS] =
        S(3, ("Committed", "Failed", "OutOfEnergy"), (R(NET_V1_DATABASE_UPDATE), str, unit));
    t[NET_V1_REDUCER_CALL_INFO] =
        P(4, ("reducer_name", "reducer_id", "args", "request_id"), (str, u32, args, u32));
    t[NET_V1_ENERGY_QUANTA] = P(1, ("quanta"), (PRIM(U128)));
    t[NET_V1_ONE_OFF_TABLE] = P(2, ("table_name", "rows"), (str, R(NET_V1_ROW_LIST)));
    t[NET_V1_SUBSCRIBE_ROWS] =
        P(3, ("table_id", "table_name", "table_rows"), (u32, str, R(NET_V1_TABLE_UPDATE)));
    t[NET_V1_PROCEDURE_STATUS] =
        S(3, ("Returned", "OutOfEnergy", "InternalError"), (args, unit, str));
    const sats_type_t *qid = R(NET_V1_QUERY_ID), *strs = sats_type_array(a, str);
    t[NET_V1_CLIENT_MESSAGE] = S(
        8,
        ("CallReducer", "Subscribe", "OneOffQuery", "SubscribeSingle", "SubscribeMulti",
         "Unsubscribe", "UnsubscribeMulti", "CallProcedure"),
        (P(4, ("reducer", "args", "request_id", "flags"), (str, args, u32, PRIM(U8))),
         P(2, ("query_strings", "request_id"), (strs, u32)),
         P(2, ("message_id", "query_string"), (bytes, str)),
         P(3, ("query", "request_id", "query_id"), (str, u32, qid)),
         P(3, ("query_strings", "request_id", "query_id"), (strs, u32, qid)),
         P(2, ("request_id", "query_id"), (u32, qid)), P(2, ("request_id", "query_id"), (u32, qid)),
         P(4, ("procedure", "args", "request_id", "flags"), (str, args, u32, PRIM(U8)))));
    const sats_type_t *applied_rows =
        P(4, ("request_id", "total_host_execution_duration_micros", "query_id", "rows"),
          (u32, u64, qid, R(NET_V1_SUBSCRIBE_ROWS)));
    const sats_type_t *applied_multi =
        P(4, ("request_id", "total_host_execution_duration_micros", "query_id", "update"),
          (u32, u64, qid, R(NET_V1_DATABASE_UPDATE)));
    const sats_type_t *opt_u32 = sats_type_option(a, u32);
    t[NET_V1_SERVER_MESSAGE] = S(
        11,
        ("InitialSubscription", "TransactionUpdate", "TransactionUpdateLight", "IdentityToken",
         "OneOffQueryResponse", "SubscribeApplied", "UnsubscribeApplied", "SubscriptionError",
         "SubscribeMultiApplied", "UnsubscribeMultiApplied", "ProcedureResult"),
        (P(3, ("database_update", "request_id", "total_host_execution_duration"),
           (R(NET_V1_DATABASE_UPDATE), u32, dur)),
         P(7,
           ("status", "timestamp", "caller_identity", "caller_connection_id", "reducer_call",
            "energy_quanta_used", "total_host_execution_duration"),
           (R(NET_V1_UPDATE_STATUS), sats_type_timestamp(), sats_type_identity(),
            sats_type_connection_id(), R(NET_V1_REDUCER_CALL_INFO), R(NET_V1_ENERGY_QUANTA), dur)),
         P(2, ("request_id", "update"), (u32, R(NET_V1_DATABASE_UPDATE))),
         P(3, ("identity", "token", "connection_id"),
           (sats_type_identity(), str, sats_type_connection_id())),
         P(4, ("message_id", "error", "tables", "total_host_execution_duration"),
           (bytes, sats_type_option(a, str), sats_type_array(a, R(NET_V1_ONE_OFF_TABLE)), dur)),
         applied_rows, applied_rows,
         P(5,
           ("total_host_execution_duration_micros", "request_id", "query_id", "table_id", "error"),
           (u64, opt_u32, opt_u32, opt_u32, str)),
         applied_multi, applied_multi,
         P(4, ("status", "timestamp", "total_host_execution_duration", "request_id"),
           (R(NET_V1_PROCEDURE_STATUS), sats_type_timestamp(), dur, u32))));
#undef R
#undef P
#undef S
    for (int i = 0; i < NET_V1_TYPES; i++)
        if (t[i] == NULL)
            return LC_ENOMEM;
    ts->n = NET_V1_TYPES;
    ts->types = t;
    return LC_OK;
}
