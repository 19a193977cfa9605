/*
 * net_int.h — the transport's private structures, shared by loop.c (the
 * server, its loops and listening socket), conn.c (a connection's bytes in
 * and out), http.c (HTTP/1.1) and ws.c (WebSocket).
 *
 * A server is N loops; each loop is one thread running one uv_loop_t and
 * owning its connections.  Loop 0 also accepts: one listening socket,
 * watched with a uv_poll_t, accepted fds dealt round-robin to the loops
 * (see loop.c for why not SO_REUSEPORT).
 *
 * Connection states (conn->state, loop thread only; each entry point
 * asserts the state it expects):
 *
 *   state        what happens                     leaves by (function)
 *   -----------  -------------------------------  -----------------------------------------
 *   HTTP         requests parsed, one at a time   dispatch of an upgrade -> UPGRADING
 *                (conn->cur is the one with the     (http.c on_message_complete)
 *                handler; later ones wait)        error or Connection: close -> LINGER
 *                                                   (http_fail, http_done)
 *                                                 EOF / error / idle / shutdown -> CLOSED
 *   UPGRADING    upgrade request with the         accept processed -> WS (ws_open)
 *                handler; early frames buffered   refused (any response) -> LINGER (http_done)
 *   WS           frames in and out                net_ws_close / shutdown / peer's Close
 *                                                   -> WS_CLOSING (ws_begin_close, ws_on_close)
 *                                                 bad frame, too big, flood, too slow, idle
 *                                                   -> LINGER (ws_fail)
 *   WS_CLOSING   our Close queued; frames read    both Closes done or timeout -> CLOSED
 *                only to find the peer's Close      (ws_maybe_finish, loop tick)
 *   LINGER       last bytes written, then FIN;    EOF, error or timeout -> CLOSED
 *                input discarded                    (conn_read_cb, loop tick)
 *   CLOSED       uv_close called                  close_cb drops the loop's reference;
 *                                                 the memory goes with the last one
 *
 * Invariants:
 *  1. Only the loop thread touches the socket, the parser, the write queue
 *     and conn->state.  Other threads reach a connection only through its
 *     mailbox (conn->mbox, under conn->lock) and the loop's ready list.
 *     One exception, net_ws_send_urgent: while conn->out_idle (an open
 *     WebSocket whose loop has nothing queued, in flight or taken from the
 *     mailbox), a thread holding conn->lock may send() a message itself.
 *     The loop clears out_idle under the lock before it writes anything,
 *     so the two never write at once and order (invariant 4) holds.
 *  2. conn->closed is set, under conn->lock, before uv_close; after it no
 *     thread posts to the mailbox, so no thread touches conn->loop again:
 *     a connection may outlive its loop (held by a request or a message).
 *  3. A connection is freed when its last reference goes: one held by its
 *     loop from accept to close_cb, one per request, message, ready-list
 *     entry and user handle (net_ws_ref).
 *  4. Output leaves in mailbox order: a response's bytes before the request
 *     that follows it, a WebSocket message before a later one, the Close
 *     frame last.
 *  5. conn->out_bytes counts bytes posted and not yet written; a post that
 *     would take it past max_out_bytes disconnects the client instead.
 */
#ifndef LC_NET_INT_H
#define LC_NET_INT_H

#include <http_parser.h>
#include <stdatomic.h>
#include <uv.h>
#include <wslay/wslay.h>

#include "net.h"

typedef struct net_loop net_loop_t;
typedef struct net_conn net_conn_t;

/* ---------------------------------------------------------------- outgoing items */

typedef enum out_kind {
    OUT_BYTES,     /* raw bytes: a response head and body, a stream chunk */
    OUT_HTTP_DONE, /* bytes that finish the current request's answer */
    OUT_WS_ACCEPT, /* the 101 response; the connection is a WebSocket after it */
    OUT_WS_MSG,    /* one WebSocket frame (header and payload) */
    OUT_WS_CLOSE,  /* our Close frame */
} out_kind_t;

/* One allocation: this header, then len bytes. */
typedef struct net_out {
    struct net_out *next;
    out_kind_t kind;
    bool close_after; /* OUT_HTTP_DONE: close the connection after it */
    bool counted;     /* in conn->out_bytes (invariant 5) */
    uint16_t code;    /* OUT_WS_CLOSE */
    size_t len;
    uint8_t data[];
} net_out_t;

/* A FIFO of items. */
typedef struct out_list {
    net_out_t *head, *tail;
} out_list_t;

net_out_t *net__out_new(out_kind_t kind, size_t len);
void net__out_push(out_list_t *l, net_out_t *o);
void net__out_free_all(out_list_t *l);

/* ---------------------------------------------------------------- connections */

typedef enum conn_state {
    CONN_HTTP,
    CONN_UPGRADING,
    CONN_WS,
    CONN_WS_CLOSING,
    CONN_LINGER,
    CONN_CLOSED,
} conn_state_t;

/* A request header, strings in the request's arena. */
typedef struct net_header {
    const char *name, *value;
} net_header_t;

struct net_http_req {
    atomic_int refs;  /* the handler's, and the connection's while it is conn->cur */
    net_conn_t *conn; /* a reference */
    lc_arena_t arena; /* strings, headers, decoded parameters, added headers */
    const char *method, *path, *query, *peer;
    char *url; /* as received, NUL-terminated (in the arena) */
    net_header_t *headers;
    uint32_t nheaders, cap_headers;
    lc_buf_t body;
    unsigned short http_major, http_minor;
    bool keep_alive, upgrade, head;
    /* Answer side, touched by the owner only. */
    lc_buf_t extra; /* "Name: value\r\n" lines from net_http_add_header */
    bool answered, streaming;
    bool chunked;     /* streaming with chunked framing (HTTP/1.1) */
    bool close_after; /* the answer says Connection: close */
    /* The client went away (set by the loop, read by anyone). */
    atomic_bool gone;
    /* Streams: on_gone runs under cb_lock, so stream_end can wait for it. */
    uv_mutex_t cb_lock;
    net_http_gone_cb on_gone;
    void *gone_user;
    bool ended; /* under cb_lock */
};

/* The WebSocket side of a connection (loop thread only, except where said). */
typedef struct ws_state {
    wslay_frame_context_ptr frames; /* incoming frame decoder */
    const uint8_t *rx;              /* bytes being fed to the decoder */
    size_t rx_len;
    /* The frame being received. */
    bool in_frame;
    uint64_t frame_left;
    uint8_t frame_opcode;
    bool frame_fin;
    /* The data message being assembled (fragments joined). */
    net_ws_msg_t *msg;
    uint8_t msg_opcode; /* 0: none in progress */
    size_t msg_cap;
    /* The control frame being received (at most 125 bytes). */
    uint8_t ctrl[125];
    size_t ctrl_len;
    /* Keepalive, in uv_now milliseconds. */
    uint64_t last_rx, last_ping;
    bool ping_outstanding;
    /* Close handshake. */
    bool close_sent, close_written, close_received;
    uint16_t our_code, peer_code;
    char our_reason[124], peer_reason[124];
    /* Incoming messages delivered and not yet freed (any thread). */
    atomic_uint pending_msgs;
    atomic_size_t pending_bytes;
} ws_state_t;

struct net_conn {
    atomic_int refs;
    net_loop_t *loop; /* valid until closed (invariant 2) */
    uv_mutex_t lock;
    /* ---- under lock */
    bool closed;      /* invariant 2 */
    bool scheduled;   /* on the loop's ready list */
    bool ws_accepted; /* net_ws_accept succeeded: on_close is owed */
    bool ws_closing;  /* no more messages: a Close was asked for or sent */
    bool too_slow;    /* out_bytes went over the limit */
    size_t out_bytes; /* invariant 5 */
    out_list_t mbox;
    /* An open WebSocket with nothing queued, in flight or in the mailbox
     * as far as the loop knows: net_ws_send_urgent may write at once. */
    bool out_idle;
    net_ws_callbacks_t ws_cb; /* set once, before ws_accepted */
    void *ws_user;
    int fd; /* the socket; set before any other thread sees the connection */
    /* ---- loop thread only */
    conn_state_t state;
    bool idle_published;          /* out_idle may be true */
    struct net_conn *prev, *next; /* the loop's connections */
    struct net_conn *ready_next;  /* the loop's ready list (under the loop's lock) */
    uv_tcp_t tcp;
    char peer[64];
    uint64_t last_rx;  /* uv_now of the last bytes in */
    uint64_t deadline; /* WS_CLOSING and LINGER: close at this uv_now */
    bool peer_eof;     /* the client shut its side */
    bool shut;         /* FIN sent */
    bool reading;      /* uv_read_start in effect */
    /* HTTP */
    http_parser parser;
    net_http_req_t *building;   /* the request being parsed */
    net_http_req_t *cur;        /* the request with the handler */
    lc_buf_t url, field, value; /* the request target and header being parsed */
    bool in_value;
    size_t head_bytes; /* request line and headers so far */
    int fail_status;   /* set by a parser callback that stops the parse */
    const char *fail_msg;
    lc_buf_t in; /* received, not yet parsed */
    size_t in_off;
    /* Output */
    out_list_t wq;       /* waiting for the socket */
    out_list_t inflight; /* in the current uv_write */
    bool writing;
    uv_write_t write_req;
    uv_shutdown_t shutdown_req;
    /* WebSocket */
    ws_state_t ws;
    bool ws_open; /* on_close is owed and ws_cb is ours to read */
    bool close_cb_done;
};

/* ---------------------------------------------------------------- loops and the server */

/* Counters, written by one loop thread, read by anyone. */
typedef struct net_stats {
    atomic_uint_fast64_t opened, closed, ws_opened, ws_closed, requests;
    atomic_uint_fast64_t bytes_in, bytes_out, msgs_in, msgs_out;
} net_stats_t;

struct net_loop {
    net_server_t *srv;
    uint32_t index;
    uv_loop_t uv;
    uv_thread_t thread;
    uv_async_t wake;
    uv_timer_t tick;
    uv_poll_t accept_poll;  /* loop 0 only */
    bool accepting;         /* loop 0: accept_poll is active */
    bool poll_inited;       /* loop 0: accept_poll exists */
    bool initialized;       /* uv loop, lock and handles exist */
    bool started;           /* the thread runs */
    bool alive_local;       /* handles not yet closed (loop thread's view of alive) */
    uint64_t accept_resume; /* loop 0: accept again at this uv_now after EMFILE */
    uint8_t *rbuf;          /* read buffer, shared by the loop's connections */
    /* ---- under lock */
    uv_mutex_t lock;
    bool alive;          /* wake may be signalled */
    bool stop_requested; /* net_server_stop was called */
    net_conn_t *ready;   /* connections with mail */
    int *fds;            /* accepted sockets dealt to this loop */
    uint32_t nfds, cap_fds;
    /* ---- loop thread only */
    net_conn_t *conns; /* every connection not yet closed */
    uint32_t nconns;
    bool stopping;
    uint64_t stop_deadline;
    net_stats_t stats;
};

struct net_server {
    net_config_t cfg;
    char host[64];
    int listen_fd;
    int port;
    uint32_t nloops;
    net_loop_t *loops;
    atomic_uint next_loop; /* round-robin for accepted sockets */
    atomic_bool stopping;
};

/* ---------------------------------------------------------------- loop.c */

#define READ_BUF_SIZE (64 * 1024) /* one per loop, shared by its connections */

/* A stopping loop with no connection left closes its handles. */
void net__loop_maybe_exit(net_loop_t *l);

/* ---------------------------------------------------------------- conn.c */

/* A connection for the accepted socket fd, on l (l's thread). */
void net__conn_new(net_loop_t *l, int fd);
/* Apply what the mailbox holds, then write (l's thread). */
void net__conn_process_mail(net_conn_t *c);

void net__conn_ref(net_conn_t *c);
void net__conn_unref(net_conn_t *c);
/* Post o to c's mailbox and wake its loop (any thread).  0, or LC_EIO if
 * c is closed (o is freed).  counted: add o->len to out_bytes, refusing
 * with LC_EIO and marking the client too slow if that passes the limit. */
int net__conn_post(net_conn_t *c, net_out_t *o, bool counted);
int net__conn_post_locked(net_conn_t *c, net_out_t *o, bool counted);
/* Like post_locked (counted), but on an idle WebSocket (out_idle, empty
 * mailbox) write o at once on the calling thread; what the socket does not
 * take is queued as usual. */
int net__conn_post_now_locked(net_conn_t *c, net_out_t *o);
/* Wake c's loop to look at its mailbox; the caller holds c->lock. */
void net__conn_schedule_locked(net_conn_t *c);
/* Queue bytes for the socket (loop thread); written by the next flush. */
void net__conn_write(net_conn_t *c, net_out_t *o);
/* Start a write of everything queued, unless one is running. */
void net__conn_flush(net_conn_t *c);
/* Stop reading input, write what is queued, send FIN, discard input until
 * EOF or ws_close_timeout_ms. */
void net__conn_linger(net_conn_t *c);
/* Close the socket now (loop thread): CLOSED. */
void net__conn_close(net_conn_t *c);
/* Start or stop reading (flow control of buffered input). */
void net__conn_read(net_conn_t *c, bool on);
const net_config_t *net__cfg(const net_conn_t *c);

/* ---------------------------------------------------------------- http.c */

int net__http_init(net_conn_t *c);
void net__http_input(net_conn_t *c, const uint8_t *p, size_t n);
/* The answer to conn->cur has been queued: continue with the next request. */
void net__http_done(net_conn_t *c, bool close_after);
/* Answer with an error status and text, then close (loop thread). */
void net__http_fail(net_conn_t *c, int status, const char *msg);
/* Whether the request with the handler is being streamed. */
bool net__http_streaming(net_conn_t *c);
/* The connection closed: release the requests, tell a stream's producer. */
void net__http_closed(net_conn_t *c);
void net__req_unref(net_http_req_t *r);
/* Free the parser-side buffers (close_cb). */
void net__http_free(net_conn_t *c);

/* ---------------------------------------------------------------- ws.c */

/* The 101 went out: the connection is a WebSocket (loop thread). */
void net__ws_open(net_conn_t *c);
void net__ws_input(net_conn_t *c, const uint8_t *p, size_t n);
/* Our Close frame item came out of the mailbox. */
void net__ws_close_item(net_conn_t *c, net_out_t *o);
/* A write that held our Close frame finished. */
void net__ws_close_written(net_conn_t *c);
/* Per tick: ping, idle close. */
void net__ws_tick(net_conn_t *c, uint64_t now);
/* Fail the connection: Close with code and reason, then linger. */
void net__ws_fail(net_conn_t *c, uint16_t code, const char *reason);
/* Start the close handshake from the loop (shutdown). */
void net__ws_begin_close(net_conn_t *c, uint16_t code, const char *reason);
/* The socket is closing: call on_close, free the decoder (loop thread). */
void net__ws_closed(net_conn_t *c);
/* A Close frame item for code and reason. */
net_out_t *net__ws_close_frame(uint16_t code, const char *reason);

#endif /* LC_NET_INT_H */
