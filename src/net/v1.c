/*
 * v1.c — the legacy v1 WebSocket codec (protocol.md §6), both flavours.
 *
 * Unlike v2.c, which writes bytes by hand for the hot path, v1 goes through
 * the generic codecs: a message is built as a SATS value of the v1
 * typespace (v1_types.c) and written by sats_bsatn_encode or, for
 * v1.json, sats_json_encode in typed mode; client messages are read the
 * same way back.  v1 serves old clients, so one value tree per message is
 * an acceptable price for a single description of both formats.
 *
 * Framing:
 *
 *   direction  flavour  payload
 *   ---------  -------  --------------------------------------------------
 *   client     bsatn    one BSATN ClientMessage (bytes after it ignored)
 *   client     json     one typed-or-positional SATS-JSON ClientMessage
 *   server     bsatn    tag 00, then one BSATN ServerMessage
 *   server     json     one typed SATS-JSON ServerMessage, no tag
 *
 * JsonFormat rows are strings, each the untyped SATS-JSON of one row
 * (the reference's serde_json of the ProductValue); JsonFormat reducer
 * arguments are a string holding JSON.
 *
 * Invariants:
 *   1. Every decoded string is NUL-free (a name or query holding a NUL is
 *      LC_ECORRUPT), so C string handling sees all of it.
 *   2. An encoder failure leaves b as it was.
 */
#include <stdio.h>
#include <string.h>

#include "net/net.h"

/* ---------------------------------------------------------------- values */

typedef struct enc {
    lc_arena_t *a;
    bool json;
    lc_buf_t tmp;    /* a row's JSON text */
    lc_arena_t rows; /* decoded rows (JSON) */
    lc_err_t *err;
} enc_t;

static sats_value_t *vals(enc_t *e, uint32_t n)
{
    return lc_arena_zalloc(e->a, (n ? n : 1) * sizeof(sats_value_t));
}

static void set_str(sats_value_t *v, const char *s)
{
    v->u.str.ptr = s ? s : "";
    v->u.str.len = (uint32_t)strlen(v->u.str.ptr);
}

/* A product value of n fields (zeroed). */
static sats_value_t *product(enc_t *e, sats_value_t *v, uint32_t n)
{
    v->u.elems.n = n;
    v->u.elems.items = vals(e, n);
    return v->u.elems.items;
}

/* A sum value with tag; its payload (zeroed; a unit payload stays empty). */
static sats_value_t *sum(enc_t *e, sats_value_t *v, uint8_t tag)
{
    v->u.sum.tag = tag;
    v->u.sum.payload = vals(e, 1);
    return v->u.sum.payload;
}

/* An Identity / ConnectionId: a one-field product of a wide integer. */
static int wide(enc_t *e, sats_value_t *v, const uint8_t *le, size_t n)
{
    sats_value_t *f = product(e, v, 1);
    if (!f)
        return LC_ENOMEM;
    if (le)
        memcpy(f->u.wide, le, n);
    return LC_OK;
}

static int micros(enc_t *e, sats_value_t *v, int64_t us)
{
    sats_value_t *f = product(e, v, 1);
    if (!f)
        return LC_ENOMEM;
    f->u.i = us;
    return LC_OK;
}

/* Start and end of row i of l. */
static int row_span(const net_row_list_t *l, uint32_t i, size_t *start, size_t *end)
{
    if (l->fixed_size) {
        *start = (size_t)i * l->fixed_size;
        *end = *start + l->fixed_size;
    } else {
        *start = l->offsets[i];
        *end = i + 1 < l->nrows ? l->offsets[i + 1] : l->len;
    }
    return *start <= *end && *end <= l->len ? LC_OK : LC_EINVAL;
}

/* One row as the untyped SATS-JSON text of its value. */
static int row_json(enc_t *e, const net_v1_table_update_t *t, const uint8_t *p, size_t n,
                    sats_value_t *out)
{
    sats_value_t row;
    int rc = sats_bsatn_decode_all(&e->rows, p, n, t->ts, t->row_type, &row, e->err);
    lc_buf_reset(&e->tmp);
    if (rc == LC_OK)
        rc = sats_json_encode(&e->tmp, t->ts, t->row_type, &row, SATS_JSON_UNTYPED, e->err);
    if (rc)
        return rc;
    char *s = lc_arena_strndup(e->a, e->tmp.len ? (const char *)e->tmp.data : "", e->tmp.len);
    if (!s)
        return LC_ENOMEM;
    out->u.str.ptr = s;
    out->u.str.len = (uint32_t)e->tmp.len;
    return LC_OK;
}

/* A row list: BsatnRowList, or the rows' JSON texts. */
static int row_list(enc_t *e, const net_v1_table_update_t *t, const net_row_list_t *l,
                    sats_value_t *v)
{
    if (l->nrows && !l->fixed_size && !l->offsets)
        return lc_err_set(e->err, LC_EINVAL, "row list without offsets");
    if (e->json) {
        if (l->nrows && (!t->ts || !t->row_type))
            return lc_err_set(e->err, LC_EINVAL, "JSON rows need the row type");
        v->u.elems.n = l->nrows;
        if (!(v->u.elems.items = vals(e, l->nrows)))
            return LC_ENOMEM;
        for (uint32_t i = 0; i < l->nrows; i++) {
            size_t s, end;
            if (row_span(l, i, &s, &end))
                return lc_err_set(e->err, LC_EINVAL, "row list does not add up");
            int rc = row_json(e, t, l->data + s, end - s, &v->u.elems.items[i]);
            if (rc)
                return rc == LC_ENOMEM ? lc_err_set(e->err, rc, "out of memory") : rc;
        }
        return LC_OK;
    }
    sats_value_t *f = product(e, v, 2);
    if (!f)
        return LC_ENOMEM;
    if (l->nrows && l->fixed_size) {
        if ((size_t)l->fixed_size * l->nrows != l->len)
            return lc_err_set(e->err, LC_EINVAL, "row list does not add up");
        sum(e, &f[0], 0)->u.u = l->fixed_size;
    } else {
        sats_value_t *offs = sum(e, &f[0], 1);
        if (!offs)
            return LC_ENOMEM;
        offs->u.elems.n = l->nrows;
        if (!(offs->u.elems.items = vals(e, l->nrows)))
            return LC_ENOMEM;
        for (uint32_t i = 0; i < l->nrows; i++) {
            size_t s, end;
            if (row_span(l, i, &s, &end))
                return lc_err_set(e->err, LC_EINVAL, "row list does not add up");
            offs->u.elems.items[i].u.u = s;
        }
    }
    if (l->len > UINT32_MAX)
        return lc_err_set(e->err, LC_ERANGE, "row list over 4 GiB");
    f[1].u.bytes.ptr = l->data;
    f[1].u.bytes.len = (uint32_t)l->len;
    return LC_OK;
}

/* A TableUpdate holding one query update. */
static int table_update(enc_t *e, const net_v1_table_update_t *t, sats_value_t *v)
{
    sats_value_t *f = product(e, v, 4);
    if (!f)
        return LC_ENOMEM;
    f[0].u.u = t->table_id;
    set_str(&f[1], t->table_name);
    f[2].u.u = (uint64_t)t->deletes.nrows + t->inserts.nrows;
    f[3].u.elems.n = 1;
    sats_value_t *qu = f[3].u.elems.items = vals(e, 1);
    if (qu && !e->json)
        qu = sum(e, qu, 0); /* Uncompressed */
    sats_value_t *lists = qu ? product(e, qu, 2) : NULL;
    if (!lists)
        return LC_ENOMEM;
    int rc = row_list(e, t, &t->deletes, &lists[0]);
    return rc ? rc : row_list(e, t, &t->inserts, &lists[1]);
}

static int database_update(enc_t *e, const net_v1_server_msg_t *m, sats_value_t *v)
{
    sats_value_t *f = product(e, v, 1);
    if (!f)
        return LC_ENOMEM;
    f->u.elems.n = m->ntables;
    if (!(f->u.elems.items = vals(e, m->ntables)))
        return LC_ENOMEM;
    for (uint32_t i = 0; i < m->ntables; i++) {
        int rc = table_update(e, &m->tables[i], &f->u.elems.items[i]);
        if (rc)
            return rc;
    }
    return LC_OK;
}

/* Reducer args or a procedure's return: bytes, or JSON text as a string. */
static void args_value(enc_t *e, sats_value_t *v, const uint8_t *p, size_t n)
{
    if (e->json) {
        v->u.str.ptr = n ? lc_arena_strndup(e->a, (const char *)p, n) : "";
        v->u.str.len = v->u.str.ptr ? (uint32_t)n : 0;
        if (!v->u.str.ptr)
            v->u.str.ptr = "";
    } else {
        v->u.bytes.ptr = p;
        v->u.bytes.len = (uint32_t)n;
    }
}

static void opt_u32(enc_t *e, sats_value_t *v, bool some, uint32_t x)
{
    sats_value_t *p = sum(e, v, some ? 0 : 1);
    if (p && some)
        p->u.u = x;
}

static int tx_update(enc_t *e, const net_v1_server_msg_t *m, sats_value_t *f)
{
    sats_value_t *st = sum(e, &f[0], (uint8_t)m->status);
    int rc = st ? LC_OK : LC_ENOMEM;
    if (rc == LC_OK && m->status == NET_V1_COMMITTED)
        rc = database_update(e, m, st);
    else if (st && m->status == NET_V1_FAILED)
        set_str(st, m->error);
    if (rc == LC_OK)
        rc = micros(e, &f[1], m->timestamp_us);
    if (rc == LC_OK)
        rc = wide(e, &f[2], m->identity, 32);
    if (rc == LC_OK)
        rc = wide(e, &f[3], m->connection_id, 16);
    sats_value_t *rc_info = rc == LC_OK ? product(e, &f[4], 4) : NULL;
    if (rc == LC_OK && !rc_info)
        rc = LC_ENOMEM;
    if (rc == LC_OK) {
        set_str(&rc_info[0], m->reducer_name);
        rc_info[1].u.u = m->reducer_id;
        args_value(e, &rc_info[2], m->args, m->args_len);
        rc_info[3].u.u = m->request_id;
        rc = wide(e, &f[5], NULL, 16); /* energy: none is metered */
    }
    return rc ? rc : micros(e, &f[6], m->duration_us);
}

/* The payload of m's variant. */
static int message(enc_t *e, const net_v1_server_msg_t *m, sats_value_t *payload)
{
    sats_value_t *f;
    int rc = LC_OK;
    switch (m->kind) {
    case NET_V1_SM_INITIAL_SUBSCRIPTION:
        if (!(f = product(e, payload, 3)))
            return LC_ENOMEM;
        f[1].u.u = m->request_id;
        rc = database_update(e, m, &f[0]);
        return rc ? rc : micros(e, &f[2], m->duration_us);
    case NET_V1_SM_TRANSACTION_UPDATE:
        return (f = product(e, payload, 7)) ? tx_update(e, m, f) : LC_ENOMEM;
    case NET_V1_SM_TRANSACTION_UPDATE_LIGHT:
        if (!(f = product(e, payload, 2)))
            return LC_ENOMEM;
        f[0].u.u = m->request_id;
        return database_update(e, m, &f[1]);
    case NET_V1_SM_IDENTITY_TOKEN:
        if (!(f = product(e, payload, 3)))
            return LC_ENOMEM;
        set_str(&f[1], m->token);
        rc = wide(e, &f[0], m->identity, 32);
        return rc ? rc : wide(e, &f[2], m->connection_id, 16);
    case NET_V1_SM_ONE_OFF_QUERY_RESPONSE: {
        if (!(f = product(e, payload, 4)))
            return LC_ENOMEM;
        f[0].u.bytes.ptr = m->message_id;
        f[0].u.bytes.len = (uint32_t)m->message_id_len;
        sats_value_t *err = sum(e, &f[1], m->error ? 0 : 1);
        if (!err)
            return LC_ENOMEM;
        if (m->error)
            set_str(err, m->error);
        f[2].u.elems.n = m->ntables;
        if (!(f[2].u.elems.items = vals(e, m->ntables)))
            return LC_ENOMEM;
        for (uint32_t i = 0; rc == LC_OK && i < m->ntables; i++) {
            sats_value_t *t = product(e, &f[2].u.elems.items[i], 2);
            if (!t)
                return LC_ENOMEM;
            set_str(&t[0], m->tables[i].table_name);
            rc = row_list(e, &m->tables[i], &m->tables[i].inserts, &t[1]);
        }
        return rc ? rc : micros(e, &f[3], m->duration_us);
    }
    case NET_V1_SM_SUBSCRIBE_APPLIED:
    case NET_V1_SM_UNSUBSCRIBE_APPLIED:
    case NET_V1_SM_SUBSCRIBE_MULTI_APPLIED:
    case NET_V1_SM_UNSUBSCRIBE_MULTI_APPLIED: {
        if (!(f = product(e, payload, 4)))
            return LC_ENOMEM;
        f[0].u.u = m->request_id;
        f[1].u.u = m->duration_us < 0 ? 0 : (uint64_t)m->duration_us;
        sats_value_t *q = product(e, &f[2], 1);
        if (!q)
            return LC_ENOMEM;
        q->u.u = m->query_id;
        if (m->kind == NET_V1_SM_SUBSCRIBE_MULTI_APPLIED ||
            m->kind == NET_V1_SM_UNSUBSCRIBE_MULTI_APPLIED)
            return database_update(e, m, &f[3]);
        if (m->ntables != 1)
            return lc_err_set(e->err, LC_EINVAL, "SubscribeRows needs exactly one table");
        sats_value_t *r = product(e, &f[3], 3);
        if (!r)
            return LC_ENOMEM;
        r[0].u.u = m->tables[0].table_id;
        set_str(&r[1], m->tables[0].table_name);
        return table_update(e, &m->tables[0], &r[2]);
    }
    case NET_V1_SM_SUBSCRIPTION_ERROR:
        if (!(f = product(e, payload, 5)))
            return LC_ENOMEM;
        f[0].u.u = m->duration_us < 0 ? 0 : (uint64_t)m->duration_us;
        opt_u32(e, &f[1], m->has_request_id, m->request_id);
        opt_u32(e, &f[2], m->has_query_id, m->query_id);
        opt_u32(e, &f[3], false, 0);
        set_str(&f[4], m->error);
        return f[1].u.sum.payload && f[2].u.sum.payload && f[3].u.sum.payload ? LC_OK : LC_ENOMEM;
    case NET_V1_SM_PROCEDURE_RESULT: {
        if (!(f = product(e, payload, 4)))
            return LC_ENOMEM;
        sats_value_t *st = sum(e, &f[0], m->error ? 2 : 0);
        if (!st)
            return LC_ENOMEM;
        if (m->error)
            set_str(st, m->error);
        else
            args_value(e, st, m->args, m->args_len);
        f[3].u.u = m->request_id;
        rc = micros(e, &f[1], m->timestamp_us);
        return rc ? rc : micros(e, &f[2], m->duration_us);
    }
    }
    return lc_err_set(e->err, LC_EINVAL, "unknown v1 server message %d", (int)m->kind);
}

int net_v1_encode_server(lc_buf_t *b, bool json, bool with_tag, const net_v1_server_msg_t *m,
                         lc_err_t *err)
{
    lc_arena_t a;
    lc_arena_init(&a, 4096);
    enc_t e = {.a = &a, .json = json, .err = err};
    lc_buf_init(&e.tmp);
    lc_arena_init(&e.rows, 4096);
    size_t start = b->len;
    sats_typespace_t ts;
    sats_value_t v = {0};
    int rc = net_v1_typespace(&a, json, &ts);
    if (rc == LC_OK) {
        sats_value_t *payload = sum(&e, &v, (uint8_t)m->kind);
        rc = payload ? message(&e, m, payload) : LC_ENOMEM;
    }
    if (rc == LC_OK && with_tag && !json)
        rc = lc_buf_putc(b, NET_COMPRESSION_NONE);
    if (rc == LC_OK) {
        const sats_type_t *t = ts.types[NET_V1_SERVER_MESSAGE];
        rc = json ? sats_json_encode(b, &ts, t, &v, SATS_JSON_TYPED, err)
                  : sats_bsatn_encode(b, &ts, t, &v, err);
    } else if (rc == LC_ENOMEM) {
        lc_err_set(err, rc, "out of memory encoding a v1 message");
    }
    if (rc)
        b->len = start;
    lc_buf_free(&e.tmp);
    lc_arena_free(&e.rows);
    lc_arena_free(&a);
    return rc;
}

/* ---------------------------------------------------------------- decoding */

/* A decoded String as a NUL-free C string (invariant 1). */
static int c_str(const sats_value_t *v, const char *what, const char **out, lc_err_t *err)
{
    if (memchr(v->u.str.ptr, 0, v->u.str.len))
        return LC_CORRUPT(err, "client message: %s holds a NUL byte", what);
    *out = v->u.str.ptr;
    return LC_OK;
}

static int queries(lc_arena_t *a, const sats_value_t *arr, net_v1_client_msg_t *out, lc_err_t *err)
{
    out->nqueries = arr->u.elems.n;
    out->queries = lc_arena_alloc(a, (arr->u.elems.n ? arr->u.elems.n : 1) * sizeof(char *));
    if (!out->queries)
        return lc_err_set(err, LC_ENOMEM, "out of memory decoding a client message");
    for (uint32_t i = 0; i < arr->u.elems.n; i++) {
        int rc = c_str(&arr->u.elems.items[i], "query_strings", &out->queries[i], err);
        if (rc)
            return rc;
    }
    return LC_OK;
}

/* One query as a list of one. */
static int one_query(lc_arena_t *a, const sats_value_t *q, net_v1_client_msg_t *out, lc_err_t *err)
{
    sats_value_t arr = {.u.elems = {1, (sats_value_t *)q}};
    return queries(a, &arr, out, err);
}

static int call(const sats_value_t *f, bool json, net_v1_client_msg_t *out, lc_err_t *err)
{
    int rc = c_str(&f[0], "reducer", &out->name, err);
    if (rc)
        return rc;
    if (json) {
        out->args = (const uint8_t *)f[1].u.str.ptr;
        out->args_len = f[1].u.str.len;
    } else {
        out->args = f[1].u.bytes.ptr;
        out->args_len = f[1].u.bytes.len;
    }
    out->request_id = (uint32_t)f[2].u.u;
    out->flags = (uint8_t)f[3].u.u;
    if (out->flags > NET_V1_NO_SUCCESS_NOTIFY)
        return LC_CORRUPT(err, "invalid call reducer flag %u", out->flags);
    return LC_OK;
}

int net_v1_decode_client(lc_arena_t *a, bool json, const uint8_t *p, size_t n,
                         net_v1_client_msg_t *out, lc_err_t *err)
{
    memset(out, 0, sizeof *out);
    out->json = json;
    sats_typespace_t ts;
    if (net_v1_typespace(a, json, &ts))
        return lc_err_set(err, LC_ENOMEM, "out of memory decoding a client message");
    const sats_type_t *t = ts.types[NET_V1_CLIENT_MESSAGE];
    sats_value_t v;
    int rc;
    if (json) {
        rc = sats_json_decode(a, (const char *)p, n, &ts, t, &v, err);
    } else {
        lc_rd_t r = {.p = p, .len = n};
        rc = sats_bsatn_decode(a, &r, &ts, t, &v, err);
    }
    if (rc == LC_ENOMEM)
        return rc;
    if (rc) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return LC_CORRUPT(err, "invalid v1 client message: %.200s", why);
    }
    out->kind = (net_v1_client_kind_t)v.u.sum.tag;
    const sats_value_t *f = v.u.sum.payload->u.elems.items;
    switch (out->kind) {
    case NET_V1_CM_CALL_REDUCER:
    case NET_V1_CM_CALL_PROCEDURE:
        return call(f, json, out, err);
    case NET_V1_CM_SUBSCRIBE:
        out->request_id = (uint32_t)f[1].u.u;
        return queries(a, &f[0], out, err);
    case NET_V1_CM_ONE_OFF_QUERY:
        out->message_id = f[0].u.bytes.ptr;
        out->message_id_len = f[0].u.bytes.len;
        return one_query(a, &f[1], out, err);
    case NET_V1_CM_SUBSCRIBE_SINGLE:
    case NET_V1_CM_SUBSCRIBE_MULTI:
        out->request_id = (uint32_t)f[1].u.u;
        out->query_id = (uint32_t)f[2].u.elems.items[0].u.u;
        return out->kind == NET_V1_CM_SUBSCRIBE_SINGLE ? one_query(a, &f[0], out, err)
                                                       : queries(a, &f[0], out, err);
    case NET_V1_CM_UNSUBSCRIBE:
    case NET_V1_CM_UNSUBSCRIBE_MULTI:
        out->request_id = (uint32_t)f[0].u.u;
        out->query_id = (uint32_t)f[1].u.elems.items[0].u.u;
        return LC_OK;
    }
    return LC_CORRUPT(err, "unknown v1 client message tag %u", (unsigned)v.u.sum.tag);
}
