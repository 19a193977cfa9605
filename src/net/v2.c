/*
 * v2.c — the v2/v3 WebSocket message codec (protocol.md §1.4-1.5, §3).
 *
 * The generic BSATN codec (sats/bsatn.c) can read and write every message
 * through net_v2_typespace(), but it builds a value tree per message.  The
 * server's hot path needs less: client messages decoded straight into a
 * flat net_client_msg_t, and server messages written straight from the
 * store's row bytes.  This file does both, by hand, for the one message set.
 *
 * Framing:
 *
 *   direction  protocol  payload
 *   ---------  --------  ------------------------------------------------
 *   client     v2        one ClientMessage (no tag byte; bytes after it ignored)
 *   client     v3        1..n ClientMessages back to back (no tag byte)
 *   server     v2        tag 00, then one ServerMessage
 *   server     v3        tag 00, then 1..n ServerMessages (one tag for all)
 *
 * ClientMessage (u8 tag, then the fields; String = u32 length + UTF-8,
 * bytes = u32 length + raw bytes):
 *
 *   tag  variant        fields in wire order                     min size
 *   ---  -------------  ---------------------------------------  --------
 *   0    Subscribe      request_id u32, query_set_id u32,        13
 *                       query_strings u32 n + n Strings
 *   1    Unsubscribe    request_id u32, query_set_id u32,        10
 *                       flags u8 (0 Default, 1 SendDroppedRows)
 *   2    OneOffQuery    request_id u32, query_string String      9
 *   3    CallReducer    request_id u32, flags u8 (0), reducer    14
 *                       String, args bytes
 *   4    CallProcedure  request_id u32, flags u8 (0), procedure  14
 *                       String, args bytes
 *
 * ServerMessage (u8 tag, then the fields):
 *
 *   tag  variant             fields in wire order
 *   ---  ------------------  ------------------------------------------------
 *   0    InitialConnection   identity 32 (LE), connection_id 16 (LE), token
 *   1    SubscribeApplied    request_id u32, query_set_id u32, QueryRows
 *   2    UnsubscribeApplied  request_id u32, query_set_id u32,
 *                            00 QueryRows (Some) | 01 (None)
 *   3    SubscriptionError   00 request_id u32 | 01, query_set_id u32, String
 *   4    TransactionUpdate   u32 n, n QuerySetUpdates
 *   5    OneOffQueryResult   request_id u32, 00 QueryRows | 01 String
 *   6    ReducerResult       request_id u32, timestamp i64, ReducerOutcome:
 *                            00 ret bytes + u32 n + n QuerySetUpdates |
 *                            01 | 02 bytes | 03 String
 *   7    ProcedureResult     00 bytes | 01 String, timestamp i64,
 *                            duration i64, request_id u32 (last)
 *
 *   QueryRows       u32 n, n × (table String, BsatnRowList)
 *   QuerySetUpdate  query_set_id u32, u32 n, n × (table_name String,
 *                   u32 k, k × (00 inserts deletes | 01 events)): one
 *                   entry per table, k = the set's queries on it
 *   BsatnRowList    00 FixedSize u16 | 01 RowOffsets u32 n + n × u64,
 *                   then rows_data bytes
 *
 * Invariants:
 *   1. No read goes past the input; a message cut short anywhere is
 *      LC_ECORRUPT naming the message and the field.  On any error the
 *      reader is left where the message started.
 *   2. A client message is accepted only if the generic decoder accepts the
 *      same bytes as a ClientMessage and consumes as many (fuzz_net checks
 *      it), with two stricter rules: call flags must be 0 (v2 defines no
 *      other), and a string holding a NUL byte is LC_ECORRUPT, so that
 *      every decoded string is a plain C string (no SQL text or reducer name
 *      needs one, and "add\0x" must never look up "add").
 *   3. Nothing is allocated for a count before it is checked against the
 *      input: n query strings need 4n bytes left.
 *   4. Decoded strings are arena copies; call args point into the input.
 *   5. BsatnRowList follows the reference builder: an empty list is
 *      RowOffsets([]); a list with fixed_size > 0 is FixedSize(fixed_size);
 *      any other is RowOffsets(u64 start of each row).  A list whose rows do
 *      not add up (length, offsets) is LC_EINVAL, never sent.
 *   6. Encoders check every string is valid UTF-8 and every length fits in
 *      u32; on any error the buffer is cut back to its length before the
 *      call, so a caller can batch v3 messages and drop a failed one.
 */
#include <inttypes.h>
#include <string.h>

#include "net/net.h"

/* ---------------------------------------------------------------- decoding */

typedef struct dec {
    lc_arena_t *a;
    lc_rd_t *r;
    const char *msg; /* the variant's name, for messages */
    lc_err_t *err;
} dec_t;

static int truncated(dec_t *d, const char *field)
{
    return LC_CORRUPT(d->err, "client message %s: truncated in %s", d->msg, field);
}

static int get_u8(dec_t *d, const char *field, uint8_t *v)
{
    return lc_rd_u8(d->r, v) == LC_OK ? LC_OK : truncated(d, field);
}

static int get_u32(dec_t *d, const char *field, uint32_t *v)
{
    return lc_rd_u32le(d->r, v) == LC_OK ? LC_OK : truncated(d, field);
}

/* A u32 length, then that many bytes, pointing into the input. */
static int get_span(dec_t *d, const char *field, const uint8_t **p, uint32_t *n)
{
    if (lc_rd_u32le(d->r, n) != LC_OK || lc_rd_bytes(d->r, *n, p) != LC_OK)
        return truncated(d, field);
    return LC_OK;
}

/* A String, copied into the arena (invariants 2 and 4). */
static int get_str(dec_t *d, const char *field, const char **out)
{
    const uint8_t *p;
    uint32_t n;
    int rc = get_span(d, field, &p, &n);
    if (rc != LC_OK)
        return rc;
    if (!sats_utf8_valid(p, n))
        return LC_CORRUPT(d->err, "client message %s: %s is not valid UTF-8", d->msg, field);
    if (memchr(p, 0, n) != NULL)
        return LC_CORRUPT(d->err, "client message %s: %s holds a NUL byte", d->msg, field);
    *out = n == 0 ? "" : lc_arena_strndup(d->a, (const char *)p, n);
    if (*out == NULL)
        return lc_err_set(d->err, LC_ENOMEM, "out of memory decoding a client message");
    return LC_OK;
}

static int dec_subscribe(dec_t *d, net_client_msg_t *m)
{
    int rc;
    if ((rc = get_u32(d, "request_id", &m->request_id)) != LC_OK ||
        (rc = get_u32(d, "query_set_id", &m->query_set_id)) != LC_OK ||
        (rc = get_u32(d, "query_strings", &m->nqueries)) != LC_OK)
        return rc;
    if (m->nqueries > d->r->len / 4) /* invariant 3 */
        return truncated(d, "query_strings");
    if (m->nqueries == 0)
        return LC_OK;
    m->queries = lc_arena_alloc(d->a, m->nqueries * sizeof *m->queries);
    if (m->queries == NULL)
        return lc_err_set(d->err, LC_ENOMEM, "out of memory decoding a client message");
    for (uint32_t i = 0; i < m->nqueries; i++)
        if ((rc = get_str(d, "query_strings", &m->queries[i])) != LC_OK)
            return rc;
    return LC_OK;
}

static int dec_unsubscribe(dec_t *d, net_client_msg_t *m)
{
    int rc;
    if ((rc = get_u32(d, "request_id", &m->request_id)) != LC_OK ||
        (rc = get_u32(d, "query_set_id", &m->query_set_id)) != LC_OK ||
        (rc = get_u8(d, "flags", &m->flags)) != LC_OK)
        return rc;
    if (m->flags > NET_UNSUB_SEND_DROPPED_ROWS)
        return LC_CORRUPT(d->err,
                          "client message Unsubscribe: unknown flags variant %u"
                          " (0 Default or 1 SendDroppedRows)",
                          m->flags);
    return LC_OK;
}

static int dec_one_off_query(dec_t *d, net_client_msg_t *m)
{
    int rc = get_u32(d, "request_id", &m->request_id);
    return rc != LC_OK ? rc : get_str(d, "query_string", &m->query);
}

/* CallReducer and CallProcedure share their layout. */
static int dec_call(dec_t *d, net_client_msg_t *m)
{
    int rc;
    uint32_t n;
    if ((rc = get_u32(d, "request_id", &m->request_id)) != LC_OK ||
        (rc = get_u8(d, "flags", &m->flags)) != LC_OK)
        return rc;
    if (m->flags != 0)
        return LC_CORRUPT(d->err, "client message %s: flags is %u, but v2 accepts only 0", d->msg,
                          m->flags);
    const char *field = m->kind == NET_CM_CALL_REDUCER ? "reducer" : "procedure";
    if ((rc = get_str(d, field, &m->name)) != LC_OK ||
        (rc = get_span(d, "args", &m->args, &n)) != LC_OK)
        return rc;
    m->args_len = n;
    return LC_OK;
}

/* The ClientMessage variants, by tag. */
static const struct {
    const char *name;
    int (*decode)(dec_t *d, net_client_msg_t *m);
} client_variants[] = {
    [NET_CM_SUBSCRIBE] = {"Subscribe", dec_subscribe},
    [NET_CM_UNSUBSCRIBE] = {"Unsubscribe", dec_unsubscribe},
    [NET_CM_ONE_OFF_QUERY] = {"OneOffQuery", dec_one_off_query},
    [NET_CM_CALL_REDUCER] = {"CallReducer", dec_call},
    [NET_CM_CALL_PROCEDURE] = {"CallProcedure", dec_call},
};

int net_v2_decode_client(lc_arena_t *a, lc_rd_t *r, net_client_msg_t *out, lc_err_t *err)
{
    lc_rd_t start = *r;
    uint8_t tag;
    memset(out, 0, sizeof *out);
    if (lc_rd_u8(r, &tag) != LC_OK)
        return LC_CORRUPT(err, "client message is empty");
    if (tag >= LC_ARRAY_LEN(client_variants)) {
        *r = start;
        return LC_CORRUPT(err, "unknown client message tag %u (expected 0..%zu)", tag,
                          LC_ARRAY_LEN(client_variants) - 1);
    }
    dec_t d = {a, r, client_variants[tag].name, err};
    out->kind = (net_client_kind_t)tag;
    int rc = client_variants[tag].decode(&d, out);
    if (rc != LC_OK)
        *r = start; /* invariant 1 */
    return rc;
}

int net_v2_decode_client_frame(lc_arena_t *a, const uint8_t *p, size_t n, net_client_msg_t *out,
                               lc_err_t *err)
{
    /* Bytes after the message are ignored, as the reference server ignores
     * them (protocol.md §1.4): a client it serves must be served here too. */
    lc_rd_t r = lc_rd_make(p, n);
    return net_v2_decode_client(a, &r, out, err);
}

/* Make room for one more message in the arena array *v of *cap entries,
 * doubling (the old array stays in the arena: at most as much again). */
static int grow_msgs(lc_arena_t *a, net_client_msg_t **v, uint32_t n, uint32_t *cap)
{
    if (n < *cap)
        return LC_OK;
    uint32_t ncap = *cap == 0 ? 4 : *cap * 2;
    net_client_msg_t *nv = lc_arena_alloc(a, (size_t)ncap * sizeof *nv);
    if (nv == NULL)
        return LC_ENOMEM;
    if (n > 0)
        memcpy(nv, *v, (size_t)n * sizeof *nv);
    *v = nv;
    *cap = ncap;
    return LC_OK;
}

int net_v3_decode_client_frame(lc_arena_t *a, const uint8_t *p, size_t n, net_client_msg_t **msgs,
                               uint32_t *count, lc_err_t *err)
{
    net_client_msg_t *v = NULL;
    uint32_t cnt = 0, cap = 0;
    lc_rd_t r = lc_rd_make(p, n);
    *msgs = NULL;
    *count = 0;
    if (n == 0)
        return LC_CORRUPT(err, "v3 client frame is empty (it must hold at least one message)");
    while (r.len > 0) {
        if (grow_msgs(a, &v, cnt, &cap) != LC_OK)
            return lc_err_set(err, LC_ENOMEM, "out of memory decoding a client frame");
        int rc = net_v2_decode_client(a, &r, &v[cnt], err);
        if (rc != LC_OK) {
            lc_err_prefix(err, "v3 client frame, message %" PRIu32, cnt + 1);
            return rc;
        }
        cnt++; /* cannot wrap: every message takes at least 9 bytes */
    }
    *msgs = v;
    *count = cnt;
    return LC_OK;
}

/* ---------------------------------------------------------------- encoding */

/* One message being appended: the first error sticks, later puts do
 * nothing, and enc_end() cuts the buffer back if any failed (invariant 6). */
typedef struct enc {
    lc_buf_t *b;
    size_t start;
    int rc;
    lc_err_t *err;
} enc_t;

static enc_t enc_begin(lc_buf_t *b, bool with_tag, net_server_kind_t kind, lc_err_t *err)
{
    enc_t e = {b, b->len, LC_OK, err};
    if (with_tag)
        lc_buf_putc(b, NET_COMPRESSION_NONE);
    lc_buf_putc(b, (uint8_t)kind);
    return e;
}

static int enc_end(enc_t *e)
{
    if (e->rc == LC_OK && e->b->oom)
        e->rc = lc_err_set(e->err, LC_ENOMEM, "out of memory encoding a server message");
    if (e->rc != LC_OK)
        e->b->len = e->start;
    return e->rc;
}

static void bad_arg(enc_t *e, int code, const char *what)
{
    if (e->rc == LC_OK)
        e->rc = lc_err_set(e->err, code, "server message: %s", what);
}

static void put_u8(enc_t *e, uint8_t v)
{
    if (e->rc == LC_OK)
        lc_buf_putc(e->b, v);
}

static void put_u32(enc_t *e, uint32_t v)
{
    if (e->rc == LC_OK)
        lc_buf_put_u32le(e->b, v);
}

static void put_u64(enc_t *e, uint64_t v)
{
    if (e->rc == LC_OK)
        lc_buf_put_u64le(e->b, v);
}

/* bytes: u32 length, then the bytes. */
static void put_bytes(enc_t *e, const void *p, size_t n)
{
    if (n > UINT32_MAX)
        bad_arg(e, LC_ERANGE, "byte string longer than 4 GiB");
    else if (n > 0 && p == NULL)
        bad_arg(e, LC_EINVAL, "byte string with a length but no data");
    put_u32(e, (uint32_t)n);
    if (e->rc == LC_OK && n > 0)
        lc_buf_append(e->b, p, n);
}

static void put_str(enc_t *e, const char *s)
{
    if (s == NULL) {
        bad_arg(e, LC_EINVAL, "missing string");
        return;
    }
    size_t n = strlen(s);
    if (!sats_utf8_valid(s, n))
        bad_arg(e, LC_EINVAL, "string is not valid UTF-8");
    put_bytes(e, s, n);
}

/* Whether l's rows add up (invariant 5). */
static bool row_list_ok(const net_row_list_t *l)
{
    if (l->len > 0 && l->data == NULL)
        return false;
    if (l->nrows == 0)
        return l->len == 0;
    if (l->fixed_size > 0)
        return l->len == (size_t)l->nrows * l->fixed_size;
    if (l->offsets == NULL || l->offsets[0] != 0)
        return false;
    for (uint32_t i = 1; i < l->nrows; i++)
        if (l->offsets[i] < l->offsets[i - 1])
            return false;
    return l->offsets[l->nrows - 1] <= l->len;
}

static void put_row_list(enc_t *e, const net_row_list_t *l)
{
    if (!row_list_ok(l)) {
        bad_arg(e, LC_EINVAL, "row list whose rows do not add up to its data");
        return;
    }
    if (l->nrows > 0 && l->fixed_size > 0) {
        put_u8(e, 0); /* FixedSize */
        if (e->rc == LC_OK)
            lc_buf_put_u16le(e->b, l->fixed_size);
    } else {
        put_u8(e, 1); /* RowOffsets */
        put_u32(e, l->nrows);
        uint8_t *p = e->rc == LC_OK ? lc_buf_extend(e->b, (size_t)l->nrows * 8) : NULL;
        for (uint32_t i = 0; p != NULL && i < l->nrows; i++)
            lc_store_u64le(p + 8 * (size_t)i, l->offsets[i]);
    }
    put_bytes(e, l->data, l->len);
}

/* QueryRows: Array<SingleTableRows>. */
static void put_query_rows(enc_t *e, const net_table_rows_t *tables, uint32_t n)
{
    if (n > 0 && tables == NULL)
        bad_arg(e, LC_EINVAL, "table count without tables");
    put_u32(e, n);
    for (uint32_t i = 0; e->rc == LC_OK && i < n; i++) {
        put_str(e, tables[i].table);
        put_row_list(e, &tables[i].rows);
    }
}

/* Entries of one table are adjacent in a set (its tables are in name
 * order): the length of the run that starts at tables[i]. */
static uint32_t same_table_run(const net_table_update_t *tables, uint32_t n, uint32_t i)
{
    uint32_t k = 1;
    const char *name = tables[i].table_name;
    while (i + k < n && name && tables[i + k].table_name &&
           strcmp(tables[i + k].table_name, name) == 0)
        k++;
    return k;
}

/* One TableUpdateRows: EventTable or PersistentTable. */
static void put_table_update_rows(enc_t *e, const net_table_update_t *t)
{
    put_u8(e, t->event ? 1 : 0); /* EventTable : PersistentTable */
    put_row_list(e, &t->inserts);
    if (!t->event)
        put_row_list(e, &t->deletes);
}

/* One QuerySetUpdate.  A set holds one TableUpdate per table name (§4.2);
 * several queries of the set on one table (a whole-table query and a
 * filter, say) are that TableUpdate's several TableUpdateRows. */
static void put_query_set(enc_t *e, const net_query_set_update_t *s)
{
    if (s->ntables > 0 && s->tables == NULL)
        bad_arg(e, LC_EINVAL, "table count without tables");
    uint32_t ntables = 0;
    for (uint32_t j = 0; e->rc == LC_OK && j < s->ntables;
         j += same_table_run(s->tables, s->ntables, j))
        ntables++;
    put_u32(e, s->query_set_id);
    put_u32(e, ntables);
    for (uint32_t j = 0; e->rc == LC_OK && j < s->ntables;) {
        uint32_t run = same_table_run(s->tables, s->ntables, j);
        put_str(e, s->tables[j].table_name);
        put_u32(e, run);
        for (uint32_t k = 0; k < run; k++) put_table_update_rows(e, &s->tables[j + k]);
        j += run;
    }
}

/* TransactionUpdate: Array<QuerySetUpdate>. */
static void put_query_sets(enc_t *e, const net_query_set_update_t *sets, uint32_t n)
{
    if (n > 0 && sets == NULL)
        bad_arg(e, LC_EINVAL, "query set count without query sets");
    put_u32(e, n);
    for (uint32_t i = 0; e->rc == LC_OK && i < n; i++) put_query_set(e, &sets[i]);
}

int net_v3_begin_frame(lc_buf_t *b)
{
    return lc_buf_putc(b, NET_COMPRESSION_NONE);
}

int net_v2_encode_initial_connection(lc_buf_t *b, bool with_tag, const uint8_t identity[32],
                                     const uint8_t connection_id[16], const char *token,
                                     lc_err_t *err)
{
    enc_t e = enc_begin(b, with_tag, NET_SM_INITIAL_CONNECTION, err);
    if (identity == NULL || connection_id == NULL)
        bad_arg(&e, LC_EINVAL, "missing identity or connection id");
    if (e.rc == LC_OK) {
        lc_buf_append(b, identity, 32);
        lc_buf_append(b, connection_id, 16);
    }
    put_str(&e, token);
    return enc_end(&e);
}

int net_v2_encode_subscribe_applied(lc_buf_t *b, bool with_tag, uint32_t request_id,
                                    uint32_t query_set_id, const net_table_rows_t *tables,
                                    uint32_t ntables, lc_err_t *err)
{
    enc_t e = enc_begin(b, with_tag, NET_SM_SUBSCRIBE_APPLIED, err);
    put_u32(&e, request_id);
    put_u32(&e, query_set_id);
    put_query_rows(&e, tables, ntables);
    return enc_end(&e);
}

int net_v2_encode_unsubscribe_applied(lc_buf_t *b, bool with_tag, uint32_t request_id,
                                      uint32_t query_set_id, bool has_rows,
                                      const net_table_rows_t *tables, uint32_t ntables,
                                      lc_err_t *err)
{
    enc_t e = enc_begin(b, with_tag, NET_SM_UNSUBSCRIBE_APPLIED, err);
    put_u32(&e, request_id);
    put_u32(&e, query_set_id);
    put_u8(&e, has_rows ? 0 : 1); /* Some : None */
    if (has_rows)
        put_query_rows(&e, tables, ntables);
    return enc_end(&e);
}

int net_v2_encode_subscription_error(lc_buf_t *b, bool with_tag, bool has_request_id,
                                     uint32_t request_id, uint32_t query_set_id,
                                     const char *message, lc_err_t *err)
{
    enc_t e = enc_begin(b, with_tag, NET_SM_SUBSCRIPTION_ERROR, err);
    put_u8(&e, has_request_id ? 0 : 1); /* Some : None */
    if (has_request_id)
        put_u32(&e, request_id);
    put_u32(&e, query_set_id);
    put_str(&e, message);
    return enc_end(&e);
}

int net_v2_encode_transaction_update(lc_buf_t *b, bool with_tag, const net_query_set_update_t *sets,
                                     uint32_t nsets, lc_err_t *err)
{
    enc_t e = enc_begin(b, with_tag, NET_SM_TRANSACTION_UPDATE, err);
    put_query_sets(&e, sets, nsets);
    return enc_end(&e);
}

int net_v2_encode_one_off_result(lc_buf_t *b, bool with_tag, uint32_t request_id, const char *error,
                                 const net_table_rows_t *tables, uint32_t ntables, lc_err_t *err)
{
    enc_t e = enc_begin(b, with_tag, NET_SM_ONE_OFF_QUERY_RESULT, err);
    put_u32(&e, request_id);
    put_u8(&e, error != NULL ? 1 : 0); /* Err : Ok */
    if (error != NULL)
        put_str(&e, error);
    else
        put_query_rows(&e, tables, ntables);
    return enc_end(&e);
}

static void put_outcome(enc_t *e, const net_reducer_outcome_t *o)
{
    if (o == NULL || (unsigned)o->kind > NET_RO_INTERNAL_ERROR) {
        bad_arg(e, LC_EINVAL, "missing or unknown reducer outcome");
        return;
    }
    put_u8(e, (uint8_t)o->kind);
    if (o->kind == NET_RO_OK) {
        put_bytes(e, o->data, o->len);
        put_query_sets(e, o->sets, o->nsets);
    } else if (o->kind == NET_RO_ERR) {
        put_bytes(e, o->data, o->len);
    } else if (o->kind == NET_RO_INTERNAL_ERROR) {
        put_str(e, o->message);
    }
}

int net_v2_encode_reducer_result(lc_buf_t *b, bool with_tag, uint32_t request_id,
                                 int64_t timestamp_us, const net_reducer_outcome_t *outcome,
                                 lc_err_t *err)
{
    enc_t e = enc_begin(b, with_tag, NET_SM_REDUCER_RESULT, err);
    put_u32(&e, request_id);
    put_u64(&e, (uint64_t)timestamp_us);
    put_outcome(&e, outcome);
    return enc_end(&e);
}

int net_v2_encode_procedure_result(lc_buf_t *b, bool with_tag, const char *error,
                                   const uint8_t *ret, size_t ret_len, int64_t timestamp_us,
                                   int64_t duration_us, uint32_t request_id, lc_err_t *err)
{
    enc_t e = enc_begin(b, with_tag, NET_SM_PROCEDURE_RESULT, err);
    put_u8(&e, error != NULL ? 1 : 0); /* InternalError : Returned */
    if (error != NULL)
        put_str(&e, error);
    else
        put_bytes(&e, ret, ret_len);
    put_u64(&e, (uint64_t)timestamp_us);
    put_u64(&e, (uint64_t)duration_us);
    put_u32(&e, request_id);
    return enc_end(&e);
}
