/* The v2 message set (protocol.md §3.1-3.3) as SATS types. */
#include "net.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__})
#define TYPES(...) ((const sats_type_t *const[]){__VA_ARGS__})
#define PRIM(k)    sats_prim(SATS_##k)

int net_v2_typespace(lc_arena_t *a, sats_typespace_t *ts)
{
    const sats_type_t **t = lc_arena_zalloc(a, NET_V2_TYPES * sizeof *t);
    if (t == NULL)
        return LC_ENOMEM;
#define R(i)               sats_type_ref(a, i)
#define P(n, names, types) sats_type_product(a, n, NAMES names, TYPES types)
#define S(n, names, types) sats_type_sum(a, n, NAMES names, TYPES types)
    const sats_type_t *u32 = PRIM(U32), *str = PRIM(STRING), *bytes = sats_type_bytes();
    t[NET_V2_QUERY_SET_ID] = P(1, ("id"), (u32));
    t[NET_V2_QUERY_ROWS] = P(1, ("tables"), (sats_type_array(a, R(NET_V2_SINGLE_TABLE_ROWS))));
    t[NET_V2_SINGLE_TABLE_ROWS] = P(2, ("table", "rows"), (str, R(NET_V2_BSATN_ROW_LIST)));
    t[NET_V2_QUERY_SET_UPDATE] =
        P(2, ("query_set_id", "tables"),
          (R(NET_V2_QUERY_SET_ID), sats_type_array(a, R(NET_V2_TABLE_UPDATE))));
    t[NET_V2_TABLE_UPDATE] =
        P(2, ("table_name", "rows"), (str, sats_type_array(a, R(NET_V2_TABLE_UPDATE_ROWS))));
    t[NET_V2_TABLE_UPDATE_ROWS] = S(2, ("PersistentTable", "EventTable"),
                                    (R(NET_V2_PERSISTENT_TABLE_ROWS), R(NET_V2_EVENT_TABLE_ROWS)));
    t[NET_V2_PERSISTENT_TABLE_ROWS] =
        P(2, ("inserts", "deletes"), (R(NET_V2_BSATN_ROW_LIST), R(NET_V2_BSATN_ROW_LIST)));
    t[NET_V2_EVENT_TABLE_ROWS] = P(1, ("events"), (R(NET_V2_BSATN_ROW_LIST)));
    t[NET_V2_REDUCER_OUTCOME] = S(4, ("Ok", "OkEmpty", "Err", "InternalError"),
                                  (R(NET_V2_REDUCER_OK), sats_type_unit(), bytes, str));
    t[NET_V2_BSATN_ROW_LIST] = P(2, ("size_hint", "rows_data"), (R(NET_V2_ROW_SIZE_HINT), bytes));
    t[NET_V2_REDUCER_OK] =
        P(2, ("ret_value", "transaction_update"), (bytes, R(NET_V2_TRANSACTION_UPDATE)));
    t[NET_V2_PROCEDURE_STATUS] = S(2, ("Returned", "InternalError"), (bytes, str));
    t[NET_V2_TRANSACTION_UPDATE] =
        P(1, ("query_sets"), (sats_type_array(a, R(NET_V2_QUERY_SET_UPDATE))));
    t[NET_V2_UNSUBSCRIBE_FLAGS] =
        S(2, ("Default", "SendDroppedRows"), (sats_type_unit(), sats_type_unit()));
    t[NET_V2_ROW_SIZE_HINT] =
        S(2, ("FixedSize", "RowOffsets"), (PRIM(U16), sats_type_array(a, PRIM(U64))));
    t[NET_V2_CLIENT_MESSAGE] =
        S(5, ("Subscribe", "Unsubscribe", "OneOffQuery", "CallReducer", "CallProcedure"),
          (P(3, ("request_id", "query_set_id", "query_strings"),
             (u32, R(NET_V2_QUERY_SET_ID), sats_type_array(a, str))),
           P(3, ("request_id", "query_set_id", "flags"),
             (u32, R(NET_V2_QUERY_SET_ID), R(NET_V2_UNSUBSCRIBE_FLAGS))),
           P(2, ("request_id", "query_string"), (u32, str)),
           P(4, ("request_id", "flags", "reducer", "args"), (u32, PRIM(U8), str, bytes)),
           P(4, ("request_id", "flags", "procedure", "args"), (u32, PRIM(U8), str, bytes))));
    t[NET_V2_SERVER_MESSAGE] =
        S(8,
          ("InitialConnection", "SubscribeApplied", "UnsubscribeApplied", "SubscriptionError",
           "TransactionUpdate", "OneOffQueryResult", "ReducerResult", "ProcedureResult"),
          (P(3, ("identity", "connection_id", "token"),
             (sats_type_identity(), sats_type_connection_id(), str)),
           P(3, ("request_id", "query_set_id", "rows"),
             (u32, R(NET_V2_QUERY_SET_ID), R(NET_V2_QUERY_ROWS))),
           P(3, ("request_id", "query_set_id", "rows"),
             (u32, R(NET_V2_QUERY_SET_ID), sats_type_option(a, R(NET_V2_QUERY_ROWS)))),
           P(3, ("request_id", "query_set_id", "error"),
             (sats_type_option(a, u32), R(NET_V2_QUERY_SET_ID), str)),
           R(NET_V2_TRANSACTION_UPDATE),
           P(2, ("request_id", "result"), (u32, sats_type_result(a, R(NET_V2_QUERY_ROWS), str))),
           P(3, ("request_id", "timestamp", "result"),
             (u32, sats_type_timestamp(), R(NET_V2_REDUCER_OUTCOME))),
           P(4, ("status", "timestamp", "total_host_execution_duration", "request_id"),
             (R(NET_V2_PROCEDURE_STATUS), sats_type_timestamp(), sats_type_time_duration(), u32))));
#undef R
#undef P
#undef S
    for (int i = 0; i < NET_V2_TYPES; i++)
        if (t[i] == NULL)
            return LC_ENOMEM; /* a constructor ran out of arena memory */
    ts->n = NET_V2_TYPES;
    ts->types = t;
    return LC_OK;
}
