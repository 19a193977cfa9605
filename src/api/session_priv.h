/*
 * session_priv.h — what session.c (sessions, queries, fan-out) and
 * session_v1.c (the legacy v1 protocol) share: the session types and the
 * helpers both sides call.  Private to src/api: the public surface is
 * api_int.h (the four hooks) and session_int.h (tests).
 *
 * Threads and invariants are described at the top of session.c.
 */
#ifndef LC_API_SESSION_PRIV_H
#define LC_API_SESSION_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include "api/session_int.h"
#include "subs/subs.h"

/* ---------------------------------------------------------------- types */

typedef enum sess_state {
    SS_ACCEPTED,
    SS_CONNECTING,
    SS_OPEN,
    SS_CLOSING,
    SS_CLOSED,
} sess_state_t;

typedef enum job_kind { JOB_NONE, JOB_CONNECT, JOB_DISCONNECT, JOB_FREE } job_kind_t;

/* A message waiting for its transaction to become durable. */
typedef struct held {
    struct held *next;
    uint64_t offset;
    size_t len;
    uint8_t data[];
} held_t;

/* One query of a set: a whole table (q NULL: its changes go out as they
 * are), or a compiled query (src/subs: filters and joins, evaluated
 * incrementally and shared by every session that subscribed to it). */
typedef struct qtable {
    uint32_t table_id; /* the table whose rows it returns */
    char *name;        /* canonical name, lc_malloc'd */
    bool event;
    subs_query_t *q; /* a reference, or NULL */
} qtable_t;

/* A query set: its distinct queries, sorted by table name. */
typedef struct qset {
    uint32_t id;
    uint32_t ntables;
    qtable_t *tables;
} qset_t;

typedef struct session session_t;

/* The sessions of one database (e->user). */
typedef struct sess_db {
    atomic_int refs;    /* e->user's, each session's, each hook call in flight */
    pthread_mutex_t mu; /* guards head and gone */
    session_t *head;
    bool gone; /* api_sessions_free ran: no new sessions */
    /* Sessions with at least one query set: with none, a commit costs one
     * load (fan-out step 0). */
    atomic_uint nsubscribed;
    subs_mgr_t *subs; /* the compiled queries of every session */
    /* The definition subs was compiled against (executor only). */
    const mod_def_t *subs_def;
    uint64_t subs_gen; /* db_def_generation when subs_def was taken */
    bool subs_gen_seen;
    api_t *api;
    /* The fan-out queue and its thread (section "fan-out thread"). */
    pthread_mutex_t fan_mu;
    pthread_cond_t fan_work, fan_room;
    struct fan_job *fan_head, *fan_tail;
    uint32_t fan_len;
    bool fan_running;
    bool fan_stop; /* api_sessions_free ran: the thread leaves once idle */
    /* The executor's buffer for encoding replies (executor only). */
    lc_buf_t reply;
} sess_db_t;

struct session {
    api_t *api;
    db_entry_t *e; /* our reference */
    sess_db_t *sd; /* our reference */
    net_ws_t *ws;  /* our reference (net_ws_accept's) */
    atomic_int refs;
    session_t *prev, *next; /* in sd's list, under sd->mu (invariant 3) */
    bool listed;

    /* Fixed before accept.  v1: the legacy protocol (session_v1.c);
     * json: v1.json, text frames without a tag; light: ?light=true. */
    bool v3, v1, json, light, confirmed, owner;
    uint8_t compression;
    uint8_t connection_id[16];
    api_caller_t caller; /* identity, JWT payload, token */

    pthread_mutex_t mu; /* guards the fields down to held_tail */
    sess_state_t state;
    bool connected;     /* db_connect accepted us: a disconnect is owed */
    bool failed;        /* we sent a Close: input is ignored */
    net_ws_msg_t **inq; /* input that came before OPEN */
    uint32_t ninq, capinq;
    held_t *held_head, *held_tail;
    size_t held_bytes;

    /* Executor only (invariant 4).  Sorted by id. */
    qset_t *sets;
    uint32_t nsets, capsets;
    /* Items for this session in the fan-out queue: the executor adds, the
     * fan-out thread subtracts once it has sent one. */
    atomic_uint queued;

    /* The worker queue (under W.mu). */
    session_t *job_next;
    job_kind_t job;
};

/* A decoded client payload; lives until its last message was handled. */
typedef struct frame {
    atomic_int refs;
    lc_arena_t arena;
    net_ws_msg_t *msg; /* released with the frame: it counts against net's pending limits */
} frame_t;

/* One client message handed to the executor. */
typedef struct op {
    session_t *s;
    frame_t *f; /* NULL for reducer calls (db_call copies name and args) */
    const net_client_msg_t *m;
    const net_v1_client_msg_t *m1; /* v1 sessions: the message (in f) */
    uint32_t request_id;
} op_t;

/* One changed table of a transaction as wire row lists, built on first use
 * (step 2 of the fan-out). */
typedef struct tx_table {
    bool built;
    int rc;
    net_row_list_t ins, del;
} tx_table_t;

typedef struct tx_rows {
    const store_changeset_t *cs;
    tx_table_t *t; /* parallel to cs->tables */
    lc_arena_t arena;
    /* Compiled queries' delta rows copied into arena, by query: a fan-out
     * job outlives the next subs_eval, which reuses their memory. */
    lc_map_t query_rows;
} tx_rows_t;

/* A compiled query's delta rows, as tr's own copy. */
typedef struct query_rows {
    net_row_list_t ins, del;
} query_rows_t;

/* The tables a query set reads, while it is being resolved (names
 * borrowed from the module definition: valid during this executor job). */
typedef struct tlist {
    qtable_t *t;
    uint32_t n, cap;
} tlist_t;

/* ---------------------------------------------------------------- session.c */

/* Register query set id over l's queries (names copied, sorted; the
 * compiled queries' references move from l to the set). */
int sess__add_set(session_t *s, uint32_t id, tlist_t *l);
/* b holds one message led by the tag 00: delivered now, or behind the
 * session's messages already in the fan-out queue (so that a client's
 * messages keep the order the executor made them in).  b is reset. */
void sess__deliver(session_t *s, lc_buf_t *b, bool rows, uint64_t offset);
/* An encoder failed: the client would miss data, so it goes. */
void sess__encode_failed(session_t *s, const lc_err_t *err);
/* Close the socket for a failure of the session (1011 unless told). */
void sess__fail_locked(session_t *s, int code, const char *reason);
qset_t *sess__find_set(session_t *s, uint32_t id, uint32_t *pos);
void sess__frame_unref(frame_t *f);
/* A zeroed op for s (with a reference to s taken), or NULL. */
op_t *sess__op_new(session_t *s);
void sess__op_free(op_t *op);
void sess__qset_free(session_t *s, qset_t *q);
/* Resolve one query into l.  all_ok: SELECT * FROM * is allowed (Subscribe
 * only).  On error err holds the message for the client. */
int sess__resolve_query(session_t *s, db_t *db, const char *q, bool all_ok, tlist_t *l,
                        lc_err_t *err);
/* The same over a scan result (rows borrowed from rs). */
void sess__rows_from_scan(const store_rows_t *rs, net_row_list_t *out);
/* The same over a compiled query's delta rows (shared by every subscriber
 * of the query until the next transaction). */
void sess__rows_from_subs(const subs_rows_t *r, net_row_list_t *out);
/* Current rows of l's tables, read in one view at *offset: rows[i] for
 * table i (caller frees with sess__scans_free). */
int sess__scan_tables(db_t *db, const tlist_t *l, store_rows_t **rows, uint64_t *offset,
                      lc_err_t *err);
void sess__scans_free(store_rows_t *rows, uint32_t n);
bool sess__live(session_t *s);
void sess__ref(session_t *s);
/* Keep sd->nsubscribed in step after s->nsets went from before. */
void sess__sets_counted(session_t *s, uint32_t before);
/* Before compiled queries are used on the executor: if a publish replaced
 * the module definition they borrow, recompile them against the new one. */
void sess__subs_sync(sess_db_t *sd, db_t *db);
/* Drop a list being resolved: its compiled queries' references too (those
 * that went into a set were cleared by sess__add_set). */
void sess__tlist_free(session_t *s, tlist_t *l);
void sess__tx_rows_free(tx_rows_t *tr);
int sess__tx_rows_init(tx_rows_t *tr, const store_changeset_t *cs);
/* The changes of table_id in the transaction; NULL if it did not change. */
const tx_table_t *sess__tx_rows_table(tx_rows_t *tr, uint32_t table_id,
                                      const store_table_changes_t **changes);
/* Cut s to its longest valid UTF-8 prefix (module messages are cut to a
 * fixed size, maybe inside a character). */
void sess__utf8_trim(char *s);

/* ---------------------------------------------------------------- session_v1.c */

/* A non-caller's update (§4.8): light when asked or for V10 modules
 * (which hide reducer details from others); full otherwise. */
void sess__v1_fanout(session_t *s, tx_rows_t *tr, const store_changeset_t *cs,
                     const mod_caller_t *caller);
/* One v1 message, binary (BSATN) or text (JSON) whatever was negotiated
 * (§1.4); only a message that cannot be read closes the connection. */
void sess__v1_handle_locked(session_t *s, net_ws_msg_t *msg);
void sess__v1_send(session_t *s, const net_v1_server_msg_t *m, bool rows, uint64_t offset);

#endif /* LC_API_SESSION_PRIV_H */
