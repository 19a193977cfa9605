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

/* ======================================================= transport (loop.c, conn.c, http.c, ws.c)
 *
 * The network transport: N event loops (libuv, one thread each) behind one
 * listening socket, HTTP/1.1 with keep-alive and pipelining, and WebSocket
 * (RFC 6455) on top of the HTTP upgrade.  It knows no routes and no
 * SpacetimeDB messages: one callback receives every request; the layer
 * above answers it, accepts an upgrade, and speaks its protocol through
 * net_ws_send.  The connection state table is in net_int.h.
 *
 * Threads: every callback below runs on the connection's loop thread and
 * must not block.  Functions marked "any thread" may be called from any
 * thread, including from inside those callbacks.
 */

typedef struct net_server net_server_t;
typedef struct net_http_req net_http_req_t;
typedef struct net_conn net_ws_t; /* a WebSocket is its connection */

/* WebSocket close codes the transport itself sends (RFC 6455 §7.4). */
enum {
    NET_WS_NORMAL = 1000,
    NET_WS_GOING_AWAY = 1001,     /* server shutting down, idle timeout */
    NET_WS_PROTOCOL_ERROR = 1002, /* invalid frame */
    NET_WS_NO_STATUS = 1005,      /* peer's Close had no code (never sent) */
    NET_WS_ABNORMAL = 1006,       /* no Close frame at all (never sent) */
    NET_WS_INVALID_DATA = 1007,   /* text message not UTF-8 */
    NET_WS_POLICY = 1008,         /* client too slow to read */
    NET_WS_TOO_BIG = 1009,        /* message over the size limit */
    NET_WS_INTERNAL_ERROR = 1011,
    NET_WS_TRY_AGAIN = 1013, /* too many unprocessed messages (the reference's code) */
};

/* Called for every complete request.  The handler owns req until it answers
 * it exactly once — net_http_respond, net_ws_accept (upgrade requests), or
 * net_http_stream_begin ... net_http_stream_end — now or later, from any
 * thread.  The next request on the same connection waits until then
 * (responses keep the order of pipelined requests). */
typedef void (*net_http_handler_cb)(net_http_req_t *req, void *user);

typedef struct net_config {
    const char *host;              /* listen address, numeric IPv4 or IPv6: "127.0.0.1", "::1" */
    int port;                      /* 0: any free port (see net_server_port) */
    uint32_t loops;                /* event-loop threads; 0: one per core */
    size_t max_url_bytes;          /* request target; over it: 414 */
    size_t max_header_bytes;       /* request line and headers; over it: 431 */
    size_t max_body_bytes;         /* over it: 413 */
    uint32_t http_idle_timeout_ms; /* keep-alive connection with no bytes in: closed */
    uint32_t ws_ping_interval_ms;  /* Ping after this long (if the last one got its Pong) */
    uint32_t ws_idle_timeout_ms;   /* nothing received for this long: close 1001 */
    uint32_t ws_close_timeout_ms;  /* wait for the peer's Close, or for a lingering close */
    size_t ws_max_message_bytes;   /* one incoming message; over it: close 1009 */
    uint32_t ws_max_pending_msgs;  /* delivered, not yet net_ws_msg_free'd; over: 1013 */
    size_t ws_max_pending_bytes;   /* the same in bytes; over: 1013 */
    size_t max_out_bytes;          /* queued, not yet written, per connection; over: 1008 */
    uint32_t shutdown_timeout_ms;  /* net_server_stop waits this long, then forces */
    net_http_handler_cb on_request;
    void *user; /* passed to on_request */
} net_config_t;

/* Counters since start; each is read atomically (the set is not a snapshot). */
typedef struct net_metrics {
    uint64_t connections_open;  /* TCP connections open now, HTTP and WebSocket */
    uint64_t connections_total; /* accepted since start */
    uint64_t websockets_open;
    uint64_t http_requests;
    uint64_t bytes_in, bytes_out;
    uint64_t ws_messages_in, ws_messages_out;
} net_metrics_t;

/* Fill c with the defaults: 127.0.0.1:3000, one loop per core, 8 KiB URL,
 * 16 KiB headers, 64 MiB body, HTTP idle 60 s, ping 15 s, idle 30 s, close
 * wait 1 s, 32 MiB messages, 16384 / 64 MiB pending, 64 MiB out, shutdown
 * 5 s.  The caller sets on_request. */
void net_config_default(net_config_t *c);
/* Bind and listen, start the loop threads; *out is the running server. */
int net_server_start(const net_config_t *c, net_server_t **out, lc_err_t *err);
/* The port the server listens on (the chosen one when config port was 0). */
int net_server_port(const net_server_t *s);
/* Read the counters (any thread, while the server exists). */
void net_server_metrics(const net_server_t *s, net_metrics_t *m);
/* Stop accepting, close connections gracefully (WebSockets with 1001
 * "server shutting down"; HTTP after the request in flight), force what is
 * left after shutdown_timeout_ms, join the threads and free s.  Call from a
 * thread that is not one of the server's loops. */
void net_server_stop(net_server_t *s);

/* ---------------------------------------------------------------- HTTP requests (http.c)
 *
 * The request's strings are NUL-terminated, owned by req, valid until it is
 * answered; the getters may be called by whoever owns req. */

const char *net_http_method(const net_http_req_t *req); /* "GET", "POST", ... */
const char *net_http_path(const net_http_req_t *req);   /* raw, undecoded: "/v1/ping" */
const char *net_http_query(const net_http_req_t *req);  /* raw, after '?'; "" if none */
/* The first header of that name (any case), or NULL. */
const char *net_http_header(const net_http_req_t *req, const char *name);
/* Headers in arrival order: i < net_http_header_count(req). */
uint32_t net_http_header_count(const net_http_req_t *req);
void net_http_header_at(const net_http_req_t *req, uint32_t i, const char **name,
                        const char **value);
/* The body (empty for none); *len its size. */
const uint8_t *net_http_body(const net_http_req_t *req, size_t *len);
/* The client's address, "127.0.0.1:53422" or "[::1]:53422". */
const char *net_http_peer(const net_http_req_t *req);
/* The query parameter name, percent- and '+'-decoded, in *value (owned by
 * req); LC_ENOTFOUND if absent, LC_EINVAL if its escapes are malformed. */
int net_http_query_param(net_http_req_t *req, const char *name, const char **value);
/* Whether the request asked to upgrade the connection (Connection: upgrade
 * plus Upgrade); answer with net_ws_accept or refuse with net_http_respond,
 * after which the connection closes. */
bool net_http_is_upgrade(const net_http_req_t *req);
/* Whether the client has gone away (any thread). */
bool net_http_gone(const net_http_req_t *req);

/* Add a response header (before answering; owner only).  LC_EINVAL for a
 * name or value holding CR, LF or NUL, or an empty name. */
int net_http_add_header(net_http_req_t *req, const char *name, const char *value);
/* Answer req (any thread, exactly once): status, Content-Type (NULL for
 * none), the body copied; Content-Length, Date and Connection are added.
 * req is gone afterwards.  0, or LC_EIO if the client has gone away (the
 * answer is dropped; req is gone all the same). */
int net_http_respond(net_http_req_t *req, int status, const char *content_type, const void *body,
                     size_t len);

/* Streaming (chunked) responses, e.g. logs?follow=true. */
typedef void (*net_http_gone_cb)(net_http_req_t *req, void *user);
/* Send the head with Transfer-Encoding: chunked (any thread).  on_gone
 * (may be NULL) runs once on the loop thread if the client goes away before
 * net_http_stream_end, never after it has returned.  0, or LC_EIO if the
 * client is already gone (on_gone will not run).  Either way the caller
 * ends with net_http_stream_end. */
int net_http_stream_begin(net_http_req_t *req, int status, const char *content_type,
                          net_http_gone_cb on_gone, void *user);
/* Send one chunk (copied; any thread).  LC_EIO once the client is gone (or
 * has fallen more than max_out_bytes behind: then it is disconnected). */
int net_http_stream_write(net_http_req_t *req, const void *data, size_t len);
/* Send the last chunk and release req (any thread). */
void net_http_stream_end(net_http_req_t *req);

/* ---------------------------------------------------------------- WebSocket (ws.c) */

/* An incoming message, owned by the receiver until net_ws_msg_free (any
 * thread).  Until then it counts against the connection's pending limits
 * (ws_max_pending_msgs / _bytes): a receiver that queues messages for
 * later frees them when done. */
typedef struct net_ws_msg {
    net_ws_t *ws; /* the connection (a reference held by the message) */
    bool binary;  /* false: text, valid UTF-8 */
    size_t len;
    uint8_t *data; /* len bytes, NUL-terminated for convenience */
} net_ws_msg_t;

typedef struct net_ws_callbacks {
    /* A complete message (fragments joined); the receiver owns msg. */
    void (*on_message)(net_ws_t *ws, net_ws_msg_t *msg, void *user);
    /* The connection ended: the peer's Close code and reason, else ours,
     * else 1006 "".  The last callback; called exactly once. */
    void (*on_close)(net_ws_t *ws, int code, const char *reason, void *user);
} net_ws_callbacks_t;

/* Check an upgrade request against RFC 6455 §4.2.1: 0 if valid, else the
 * HTTP status to refuse with (405 not GET, 426 not an upgrade to websocket,
 * 400 bad version or key) and *why a short message. */
int net_ws_handshake_check(const net_http_req_t *req, const char **why);
/* The first of prefs[0..n) that the client offered in
 * Sec-WebSocket-Protocol (server's order decides), or NULL. */
const char *net_ws_select_protocol(const net_http_req_t *req, const char *const *prefs, size_t n);
/* Accept the upgrade (any thread; answers req): 101 with the accept key,
 * subprotocol (NULL for none) and the headers added to req.  *out is a
 * reference owned by the caller, released with net_ws_unref.  Called in
 * on_request (on the loop thread), no callback runs before this returns,
 * so on_close may release that reference; called from another thread,
 * callbacks may start before it returns.  LC_EINVAL if the handshake is
 * invalid or LC_ENOMEM (req is not answered: refuse it), LC_EIO if the
 * client has gone away (req is gone, no callback will run). */
int net_ws_accept(net_http_req_t *req, const char *subprotocol, const net_ws_callbacks_t *cb,
                  void *user, net_ws_t **out);
/* Queue one message (copied; any thread).  Messages queued while the socket
 * is busy leave in one write.  0; LC_EIO if the connection is closing or
 * closed (a harmless no-op) or the client is too slow (it is disconnected
 * with 1008 "too slow"); LC_ENOMEM. */
int net_ws_send(net_ws_t *ws, bool binary, const void *data, size_t len);
/* The same, but when the connection has nothing else to write the message
 * is written at once on the calling thread (one send, no wake-up of the
 * loop): for a reply whose latency matters more than batching it. */
int net_ws_send_urgent(net_ws_t *ws, bool binary, const void *data, size_t len);
/* Start the close handshake (any thread): later sends are dropped, the
 * Close goes after what is queued.  reason is cut to 123 bytes. */
void net_ws_close(net_ws_t *ws, int code, const char *reason);
/* References: keep ws valid beyond on_close (any thread). */
void net_ws_ref(net_ws_t *ws);
void net_ws_unref(net_ws_t *ws);
/* Release a message (any thread). */
void net_ws_msg_free(net_ws_msg_t *msg);

/* ======================================================= v1 protocol (v1.c, v1_types.c)
 *
 * The legacy v1 message set (protocol.md §6), in both encodings: BSATN
 * (v1.bsatn.spacetimedb, binary frames led by the compression tag) and
 * typed SATS-JSON (v1.json.spacetimedb, text frames, no tag).  One type
 * description serves both: net_v1_typespace(json) differs only where the
 * reference's formats differ (row lists, reducer arguments, query
 * updates), and messages are built as SATS values and written by the
 * generic BSATN or JSON encoder. */

/* Slots of the v1 typespace. */
enum {
    NET_V1_QUERY_ID,
    NET_V1_ROW_LIST, /* BSATN: BsatnRowList; JSON: Array<String> (row JSON texts) */
    NET_V1_ROW_SIZE_HINT,
    NET_V1_QUERY_UPDATE,      /* deletes, inserts */
    NET_V1_QUERY_UPDATE_WIRE, /* BSATN: CompressableQueryUpdate; JSON: QueryUpdate */
    NET_V1_TABLE_UPDATE,
    NET_V1_DATABASE_UPDATE,
    NET_V1_UPDATE_STATUS,
    NET_V1_REDUCER_CALL_INFO,
    NET_V1_ENERGY_QUANTA,
    NET_V1_ONE_OFF_TABLE,
    NET_V1_SUBSCRIBE_ROWS,
    NET_V1_PROCEDURE_STATUS,
    NET_V1_CLIENT_MESSAGE,
    NET_V1_SERVER_MESSAGE,
    NET_V1_TYPES,
};

/* Build the v1 message set (json: the JsonFormat flavour) in arena a. */
int net_v1_typespace(lc_arena_t *a, bool json, sats_typespace_t *ts);

/* v1 ClientMessage variants (§6.1); the numbers are the BSATN tags. */
typedef enum net_v1_client_kind {
    NET_V1_CM_CALL_REDUCER = 0,
    NET_V1_CM_SUBSCRIBE = 1,
    NET_V1_CM_ONE_OFF_QUERY = 2,
    NET_V1_CM_SUBSCRIBE_SINGLE = 3,
    NET_V1_CM_SUBSCRIBE_MULTI = 4,
    NET_V1_CM_UNSUBSCRIBE = 5,
    NET_V1_CM_UNSUBSCRIBE_MULTI = 6,
    NET_V1_CM_CALL_PROCEDURE = 7,
} net_v1_client_kind_t;

/* v1 ServerMessage variants (§6.2). */
typedef enum net_v1_server_kind {
    NET_V1_SM_INITIAL_SUBSCRIPTION = 0,
    NET_V1_SM_TRANSACTION_UPDATE = 1,
    NET_V1_SM_TRANSACTION_UPDATE_LIGHT = 2,
    NET_V1_SM_IDENTITY_TOKEN = 3,
    NET_V1_SM_ONE_OFF_QUERY_RESPONSE = 4,
    NET_V1_SM_SUBSCRIBE_APPLIED = 5,
    NET_V1_SM_UNSUBSCRIBE_APPLIED = 6,
    NET_V1_SM_SUBSCRIPTION_ERROR = 7,
    NET_V1_SM_SUBSCRIBE_MULTI_APPLIED = 8,
    NET_V1_SM_UNSUBSCRIBE_MULTI_APPLIED = 9,
    NET_V1_SM_PROCEDURE_RESULT = 10,
} net_v1_server_kind_t;

/* CallReducerFlags. */
enum { NET_V1_FULL_UPDATE = 0, NET_V1_NO_SUCCESS_NOTIFY = 1 };
/* UpdateStatus variants. */
enum { NET_V1_COMMITTED = 0, NET_V1_FAILED = 1, NET_V1_OUT_OF_ENERGY = 2 };

/* One decoded v1 client message; strings are NUL-free arena copies.
 * SubscribeSingle's query and OneOffQuery's query_string are queries[0]. */
typedef struct net_v1_client_msg {
    net_v1_client_kind_t kind;
    uint32_t request_id, query_id;
    uint8_t flags; /* calls: NET_V1_FULL_UPDATE or NET_V1_NO_SUCCESS_NOTIFY */
    uint32_t nqueries;
    const char **queries;
    const char *name;    /* reducer or procedure */
    const uint8_t *args; /* BSATN bytes, or JSON text when json (arena) */
    size_t args_len;
    bool json;                 /* decoded from a text (JSON) frame */
    const uint8_t *message_id; /* OneOffQuery */
    size_t message_id_len;
} net_v1_client_msg_t;

/* Decode one v1 ClientMessage: BSATN (bytes after it ignored) or, when
 * json, SATS-JSON text.  0, LC_ECORRUPT (err says what) or LC_ENOMEM. */
int net_v1_decode_client(lc_arena_t *a, bool json, const uint8_t *p, size_t n,
                         net_v1_client_msg_t *out, lc_err_t *err);

/* A v1 TableUpdate with one QueryUpdate.  For JSON, rows are rendered
 * through row_type in ts (both required then). */
typedef struct net_v1_table_update {
    uint32_t table_id;
    const char *table_name;
    const sats_typespace_t *ts;
    const sats_type_t *row_type;
    net_row_list_t deletes, inserts;
} net_v1_table_update_t;

/* One server message; fields a kind does not use are ignored.
 *   tables    DatabaseUpdate (InitialSubscription, TransactionUpdate
 *             Committed, Light, Multi*), SubscribeRows (tables[0]),
 *             OneOffTables (each table's inserts)
 *   error     SubscriptionError; OneOffQueryResponse Some(error);
 *             TransactionUpdate Failed; ProcedureResult InternalError */
typedef struct net_v1_server_msg {
    net_v1_server_kind_t kind;
    uint32_t request_id, query_id;
    bool has_request_id, has_query_id; /* SubscriptionError */
    int64_t duration_us;
    uint32_t ntables;
    const net_v1_table_update_t *tables;
    const char *error;
    const uint8_t *identity, *connection_id; /* LE; IdentityToken, TransactionUpdate caller */
    const char *token;
    int status; /* NET_V1_COMMITTED ... */
    int64_t timestamp_us;
    const char *reducer_name;
    uint32_t reducer_id;
    const uint8_t *args; /* as the caller sent them (JSON text for json) */
    size_t args_len;
    const uint8_t *message_id;
    size_t message_id_len;
} net_v1_server_msg_t;

/* Append m: json, its SATS-JSON text; else the tag 00 (when with_tag)
 * and its BSATN.  0, LC_EINVAL (bad row list or string) or LC_ENOMEM; b is
 * cut back on error. */
int net_v1_encode_server(lc_buf_t *b, bool json, bool with_tag, const net_v1_server_msg_t *m,
                         lc_err_t *err);

#endif /* LC_NET_H */
