/*
 * net — the network layer: event loops, HTTP, WebSocket, and the client
 * protocol codecs (v1, v2, v3).  So far it holds the v2 message set as SATS
 * types (../shared/spec/protocol.md §3.1-3.3), which the tests and the fuzz
 * targets share, and the fast v2/v3 codec the WebSocket server uses
 * (v2.c: client messages decoded into structs, server messages encoded
 * straight from borrowed rows); the rest comes with the server issue.
 */
#ifndef LC_NET_H
#define LC_NET_H

#include "sats/sats.h"

/* Slots of the v2 message typespace; ClientMessage and ServerMessage are
 * the two roots, the others their shared structures (§3.3). */
enum {
    NET_V2_QUERY_SET_ID,
    NET_V2_QUERY_ROWS,
    NET_V2_SINGLE_TABLE_ROWS,
    NET_V2_QUERY_SET_UPDATE,
    NET_V2_TABLE_UPDATE,
    NET_V2_TABLE_UPDATE_ROWS,
    NET_V2_PERSISTENT_TABLE_ROWS,
    NET_V2_EVENT_TABLE_ROWS,
    NET_V2_REDUCER_OUTCOME,
    NET_V2_BSATN_ROW_LIST,
    NET_V2_REDUCER_OK,
    NET_V2_PROCEDURE_STATUS,
    NET_V2_TRANSACTION_UPDATE,
    NET_V2_UNSUBSCRIBE_FLAGS,
    NET_V2_ROW_SIZE_HINT,
    NET_V2_CLIENT_MESSAGE,
    NET_V2_SERVER_MESSAGE,
    NET_V2_TYPES,
};

/* Build the v2 (and v3) message set as a typespace of NET_V2_TYPES types
 * in arena a. */
int net_v2_typespace(lc_arena_t *a, sats_typespace_t *ts);

/* ---------------------------------------------------------------- v2/v3 codec (v2.c) */

/* The compression tag byte that starts every binary server payload (§1.5);
 * this server always sends NET_COMPRESSION_NONE. */
enum { NET_COMPRESSION_NONE = 0, NET_COMPRESSION_BROTLI = 1, NET_COMPRESSION_GZIP = 2 };

/* ClientMessage variants (§3.1); the numbers are the BSATN tags. */
typedef enum net_client_kind {
    NET_CM_SUBSCRIBE = 0,
    NET_CM_UNSUBSCRIBE = 1,
    NET_CM_ONE_OFF_QUERY = 2,
    NET_CM_CALL_REDUCER = 3,
    NET_CM_CALL_PROCEDURE = 4,
} net_client_kind_t;

/* ServerMessage variants (§3.2); the numbers are the BSATN tags. */
typedef enum net_server_kind {
    NET_SM_INITIAL_CONNECTION = 0,
    NET_SM_SUBSCRIBE_APPLIED = 1,
    NET_SM_UNSUBSCRIBE_APPLIED = 2,
    NET_SM_SUBSCRIPTION_ERROR = 3,
    NET_SM_TRANSACTION_UPDATE = 4,
    NET_SM_ONE_OFF_QUERY_RESULT = 5,
    NET_SM_REDUCER_RESULT = 6,
    NET_SM_PROCEDURE_RESULT = 7,
} net_server_kind_t;

/* Unsubscribe flags (the UnsubscribeFlags sum of units). */
enum { NET_UNSUB_DEFAULT = 0, NET_UNSUB_SEND_DROPPED_ROWS = 1 };

/* One decoded client message.  Strings are NUL-terminated copies in the
 * decoding arena; args points into the decoded input, which must outlive
 * the message.  Fields a kind does not use are zero / NULL. */
typedef struct net_client_msg {
    net_client_kind_t kind;
    uint32_t request_id;
    uint32_t query_set_id; /* Subscribe, Unsubscribe */
    uint8_t flags;         /* Unsubscribe: NET_UNSUB_*; calls: always 0 */
    uint32_t nqueries;     /* Subscribe: query_strings */
    const char **queries;
    const char *query;   /* OneOffQuery */
    const char *name;    /* CallReducer / CallProcedure: reducer or procedure */
    const uint8_t *args; /* calls: BSATN of the arguments, into the input */
    size_t args_len;
} net_client_msg_t;

/* A BsatnRowList to send: nrows rows concatenated in data[0..len).  With
 * fixed_size > 0 every row is that many bytes (offsets may be NULL);
 * otherwise offsets[i] is where row i starts (offsets[0] == 0, never
 * decreasing, at most len).  Borrowed: read only during the encode call. */
typedef struct net_row_list {
    const uint8_t *data;
    size_t len;
    uint32_t nrows;
    const uint32_t *offsets;
    uint16_t fixed_size;
} net_row_list_t;

/* A SingleTableRows: a table name and its rows (SubscribeApplied,
 * UnsubscribeApplied, OneOffQueryResult). */
typedef struct net_table_rows {
    const char *table;
    net_row_list_t rows;
} net_table_rows_t;

/* A TableUpdate with one TableUpdateRows: PersistentTable(inserts,
 * deletes), or EventTable(inserts) when event is true. */
typedef struct net_table_update {
    const char *table_name;
    bool event;
    net_row_list_t inserts, deletes;
} net_table_update_t;

/* A QuerySetUpdate: the changes of one query set. */
typedef struct net_query_set_update {
    uint32_t query_set_id;
    uint32_t ntables;
    const net_table_update_t *tables;
} net_query_set_update_t;

/* ReducerOutcome variants. */
typedef enum net_reducer_outcome_kind {
    NET_RO_OK = 0,
    NET_RO_OK_EMPTY = 1,
    NET_RO_ERR = 2,
    NET_RO_INTERNAL_ERROR = 3,
} net_reducer_outcome_kind_t;

/* A ReducerOutcome: Ok(ret_value = data, transaction update = sets),
 * OkEmpty, Err(data: BSATN of the error) or InternalError(message). */
typedef struct net_reducer_outcome {
    net_reducer_outcome_kind_t kind;
    const uint8_t *data;
    size_t len;
    const char *message;
    uint32_t nsets;
    const net_query_set_update_t *sets;
} net_reducer_outcome_t;

/* Decoders: 0, or LC_ECORRUPT (err says what and where) or LC_ENOMEM. */

/* Decode one ClientMessage from r into out; r advances past it (and is left
 * where it was on error). */
int net_v2_decode_client(lc_arena_t *a, lc_rd_t *r, net_client_msg_t *out, lc_err_t *err);
/* Decode a v2 payload: one message; bytes after it are ignored (as the reference). */
int net_v2_decode_client_frame(lc_arena_t *a, const uint8_t *p, size_t n, net_client_msg_t *out,
                               lc_err_t *err);
/* Decode a v3 payload: 1..n messages back to back into an arena array. */
int net_v3_decode_client_frame(lc_arena_t *a, const uint8_t *p, size_t n, net_client_msg_t **msgs,
                               uint32_t *count, lc_err_t *err);

/* Encoders append one ServerMessage to b, led by the compression tag 00 when
 * with_tag (v2: every payload; v3: use net_v3_begin_frame once, then
 * with_tag = false).  0, LC_EINVAL (bad argument: NULL string, invalid
 * UTF-8, inconsistent row list), LC_ERANGE (length over 4 GiB) or
 * LC_ENOMEM; on error b is cut back to its length before the call. */

/* Start a v3 payload: append the one compression tag for the batch. */
int net_v3_begin_frame(lc_buf_t *b);
/* InitialConnection: identity and connection id as their BSATN (LE) bytes. */
int net_v2_encode_initial_connection(lc_buf_t *b, bool with_tag, const uint8_t identity[32],
                                     const uint8_t connection_id[16], const char *token,
                                     lc_err_t *err);
/* SubscribeApplied{request_id, query_set_id, rows: QueryRows(tables)}. */
int net_v2_encode_subscribe_applied(lc_buf_t *b, bool with_tag, uint32_t request_id,
                                    uint32_t query_set_id, const net_table_rows_t *tables,
                                    uint32_t ntables, lc_err_t *err);
/* UnsubscribeApplied: rows Some(tables) when has_rows, else None. */
int net_v2_encode_unsubscribe_applied(lc_buf_t *b, bool with_tag, uint32_t request_id,
                                      uint32_t query_set_id, bool has_rows,
                                      const net_table_rows_t *tables, uint32_t ntables,
                                      lc_err_t *err);
/* SubscriptionError: request_id Some(request_id) when has_request_id. */
int net_v2_encode_subscription_error(lc_buf_t *b, bool with_tag, bool has_request_id,
                                     uint32_t request_id, uint32_t query_set_id,
                                     const char *message, lc_err_t *err);
/* TransactionUpdate{query_sets}. */
int net_v2_encode_transaction_update(lc_buf_t *b, bool with_tag, const net_query_set_update_t *sets,
                                     uint32_t nsets, lc_err_t *err);
/* OneOffQueryResult: Err(error) when error != NULL, else Ok(tables). */
int net_v2_encode_one_off_result(lc_buf_t *b, bool with_tag, uint32_t request_id, const char *error,
                                 const net_table_rows_t *tables, uint32_t ntables, lc_err_t *err);
/* ReducerResult{request_id, timestamp, outcome}. */
int net_v2_encode_reducer_result(lc_buf_t *b, bool with_tag, uint32_t request_id,
                                 int64_t timestamp_us, const net_reducer_outcome_t *outcome,
                                 lc_err_t *err);
/* ProcedureResult: InternalError(error) when error != NULL, else
 * Returned(ret); request_id goes last on the wire. */
int net_v2_encode_procedure_result(lc_buf_t *b, bool with_tag, const char *error,
                                   const uint8_t *ret, size_t ret_len, int64_t timestamp_us,
                                   int64_t duration_us, uint32_t request_id, lc_err_t *err);

#endif /* LC_NET_H */
