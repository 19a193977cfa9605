/*
 * cmd_subscribe.c — `lightcone subscribe NAME QUERY...`: print a subscription's updates.
 *
 * A minimal WebSocket client (RFC 6455, client side: masked frames out, fragments and pings
 * handled in) over transport.c (TCP, or TLS for an https:// server: wss) speaking protocol
 * v2.bsatn.spacetimedb with compression=None:
 *
 *   1. GET /v1/database/NAME/schema?version=10 — the row type of every table, turned from
 *      typed SATS-JSON into a sats typespace (type_of_json below).
 *   2. GET /v1/database/NAME/subscribe?compression=None, Upgrade, with the stored token.
 *   3. Send ClientMessage::Subscribe{request_id 1, query_set_id 1, QUERY...}.
 *   4. For each ServerMessage (one compression byte 0, then BSATN of net_v2's type):
 *      SubscribeApplied → one line with the initial rows if --print-initial-update;
 *      TransactionUpdate → one line; SubscriptionError → the error, exit 1.
 *
 * Output, one JSON object per line: {"TABLE": {"deletes": [ROW...], "inserts": [ROW...]}, ...}
 * with each ROW in untyped SATS-JSON (products as arrays, sums as [tag, payload]), as /sql
 * prints them.  Exits 0 after -n updates or -t seconds, whichever comes first.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "cli_int.h"
#include "net/net.h"
#include "sats/sats.h"

/* ---------------------------------------------------------------- typed SATS-JSON → sats_type_t */

static const struct {
    const char *name;
    sats_kind_t kind;
} prims[] = {
    {"String", SATS_STRING}, {"Bool", SATS_BOOL}, {"I8", SATS_I8},     {"U8", SATS_U8},
    {"I16", SATS_I16},       {"U16", SATS_U16},   {"I32", SATS_I32},   {"U32", SATS_U32},
    {"I64", SATS_I64},       {"U64", SATS_U64},   {"I128", SATS_I128}, {"U128", SATS_U128},
    {"I256", SATS_I256},     {"U256", SATS_U256}, {"F32", SATS_F32},   {"F64", SATS_F64},
};

static const sats_type_t *type_of_json(lc_arena_t *a, json_t *at, int depth);

static const sats_type_t *json_fields(lc_arena_t *a, json_t *els, bool sum, int depth)
{
    size_t n = json_array_size(els);
    const char **names = lc_arena_zalloc(a, (n + 1) * sizeof *names);
    const sats_type_t **types = lc_arena_zalloc(a, (n + 1) * sizeof *types);
    if (!names || !types)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *el = json_array_get(els, i);
        const char *nm = cli_elem_name(el);
        names[i] = *nm ? nm : NULL;
        if (!(types[i] = type_of_json(a, json_object_get(el, "algebraic_type"), depth + 1)))
            return NULL;
    }
    return sum ? sats_type_sum(a, (uint32_t)n, names, types)
               : sats_type_product(a, (uint32_t)n, names, types);
}

static const sats_type_t *type_of_json(lc_arena_t *a, json_t *at, int depth)
{
    json_t *p;
    const char *k = cli_type_kind(at, &p);
    if (depth > SATS_MAX_DEPTH)
        return NULL;
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        if (strcmp(k, prims[i].name) == 0)
            return sats_prim(prims[i].kind);
    if (strcmp(k, "Ref") == 0 && json_is_integer(p) && json_integer_value(p) >= 0)
        return sats_type_ref(a, (uint32_t)json_integer_value(p));
    if (strcmp(k, "Array") == 0) {
        const sats_type_t *e = type_of_json(a, p, depth + 1);
        return e ? sats_type_array(a, e) : NULL;
    }
    if (strcmp(k, "Product") == 0)
        return json_fields(a, json_object_get(p, "elements"), false, depth);
    if (strcmp(k, "Sum") == 0)
        return json_fields(a, json_object_get(p, "variants"), true, depth);
    return NULL;
}

/* The module's typespace, and each table's name and row type. */
typedef struct sub_schema {
    sats_typespace_t ts;
    size_t ntables;
    const char **names;
    const sats_type_t **rows;
} sub_schema_t;

static int load_schema(lc_arena_t *a, json_t *def, sub_schema_t *s)
{
    json_t *types = json_object_get(cli_schema_section(def, "Typespace"), "types");
    json_t *tables = cli_schema_section(def, "Tables");
    size_t n = json_array_size(types);
    s->ts.n = (uint32_t)n;
    s->ts.types = lc_arena_zalloc(a, (n + 1) * sizeof *s->ts.types);
    s->ntables = json_array_size(tables);
    s->names = lc_arena_zalloc(a, (s->ntables + 1) * sizeof *s->names);
    s->rows = lc_arena_zalloc(a, (s->ntables + 1) * sizeof *s->rows);
    if (!s->ts.types || !s->names || !s->rows)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!(s->ts.types[i] = type_of_json(a, json_array_get(types, i), 0)))
            return -1;
    for (size_t i = 0; i < s->ntables; i++) {
        json_t *t = json_array_get(tables, i);
        json_int_t ty = json_integer_value(json_object_get(t, "product_type_ref"));
        s->names[i] = json_string_value(json_object_get(t, "source_name"));
        if (!s->names[i] || ty < 0 || (size_t)ty >= n)
            return -1;
        s->rows[i] = s->ts.types[ty];
    }
    lc_err_t err;
    for (size_t i = 0; i < n; i++)
        if (sats_type_check(&s->ts, s->ts.types[i], &err) != LC_OK)
            return -1;
    return 0;
}

static const sats_type_t *row_type(const sub_schema_t *s, const char *table)
{
    for (size_t i = 0; i < s->ntables; i++)
        if (strcmp(s->names[i], table) == 0)
            return s->rows[i];
    return NULL;
}

/* ---------------------------------------------------------------- WebSocket client */

typedef struct wsc {
    cli_conn_t *conn; /* TCP or TLS (transport.c) */
    lc_buf_t in;      /* received, not yet consumed */
    size_t off;       /* consumed prefix of in */
    int64_t until;    /* deadline in ms (monotonic), or 0 */
} wsc_t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Make n unconsumed bytes available: 0; 1 the deadline passed; -1 closed or failed. */
static int need(wsc_t *c, size_t n)
{
    while (c->in.len - c->off < n) {
        int wait = -1;
        if (c->until) {
            int64_t left = c->until - now_ms();
            if (left <= 0)
                return 1;
            wait = (int)left;
        }
        uint8_t *dst = lc_buf_extend(&c->in, 65536);
        if (!dst)
            return -1;
        size_t got = 0;
        lc_err_t err;
        int rc = cli_conn_read(c->conn, dst, 65536, wait, &got, &err);
        c->in.len -= 65536 - got;
        if (rc == 1)
            return 1;
        if (rc != LC_OK || got == 0)
            return -1;
    }
    return 0;
}

static int send_all(wsc_t *c, const void *p, size_t n)
{
    lc_err_t err;
    return cli_conn_write(c->conn, p, n, &err) == LC_OK ? 0 : -1;
}

/* One masked frame (opcode op) with payload p[0..n). */
static int send_frame(wsc_t *c, int op, const void *p, size_t n)
{
    lc_buf_t f;
    lc_buf_init(&f);
    uint8_t mask[4];
    lc_random_bytes(mask, 4);
    lc_buf_putc(&f, (uint8_t)(0x80 | op));
    if (n < 126) {
        lc_buf_putc(&f, (uint8_t)(0x80 | n));
    } else if (n < 65536) {
        lc_buf_putc(&f, 0x80 | 126);
        lc_buf_putc(&f, (uint8_t)(n >> 8));
        lc_buf_putc(&f, (uint8_t)n);
    } else {
        lc_buf_putc(&f, 0x80 | 127);
        for (int i = 7; i >= 0; i--) lc_buf_putc(&f, (uint8_t)((uint64_t)n >> (8 * i)));
    }
    lc_buf_append(&f, mask, 4);
    for (size_t i = 0; i < n; i++) lc_buf_putc(&f, ((const uint8_t *)p)[i] ^ mask[i % 4]);
    int rc = f.oom ? -1 : send_all(c, f.data, f.len);
    lc_buf_free(&f);
    return rc;
}

/* The next whole data message into msg (fragments joined; pings answered).
 * 0; 1 deadline; -1 closed/failed. */
static int read_message(wsc_t *c, lc_buf_t *msg)
{
    lc_buf_reset(msg);
    for (;;) {
        int rc;
        if ((rc = need(c, 2)))
            return rc;
        const uint8_t *h = c->in.data + c->off;
        int fin = h[0] & 0x80, op = h[0] & 0x0f;
        uint64_t len = h[1] & 0x7f;
        size_t hl = 2;
        if (len >= 126) {
            size_t ext = len == 126 ? 2 : 8;
            if ((rc = need(c, 2 + ext)))
                return rc;
            h = c->in.data + c->off;
            len = 0;
            for (size_t i = 0; i < ext; i++) len = len << 8 | h[2 + i];
            hl += ext;
        }
        if (len > (1u << 30) || (h[1] & 0x80))
            return -1; /* servers do not mask; a gigabyte is not a sane frame */
        if ((rc = need(c, hl + (size_t)len)))
            return rc;
        const uint8_t *pl = c->in.data + c->off + hl;
        if (op == 0x8)
            return -1;
        if (op == 0x9)
            send_frame(c, 0xA, pl, (size_t)len);
        else if (op <= 0x2)
            lc_buf_append(msg, pl, (size_t)len);
        c->off += hl + (size_t)len;
        if (c->off == c->in.len) {
            c->off = 0;
            c->in.len = 0;
        }
        if (op <= 0x2 && fin)
            return msg->oom ? -1 : 0;
    }
}

/* Connect (TCP, or TLS for https) and the Upgrade handshake.  An exit code. */
static int ws_open(wsc_t *c, const char *url, const char *name, const char *token)
{
    cli_url_t u;
    lc_err_t err;
    if (cli_url_parse(url, &u, &err) != LC_OK) {
        cli_errorf("%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    if (cli_conn_open(&u, &c->conn, &err) != LC_OK) {
        cli_errorf("cannot reach %s: %s", url, err.msg);
        return err.code == LC_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_UNREACHABLE;
    }
    uint8_t key[16];
    char key64[32] = "";
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    lc_random_bytes(key, 16);
    for (int i = 0, o = 0; i < 16; i += 3) {
        uint32_t v = (uint32_t)key[i] << 16 | (i + 1 < 16 ? key[i + 1] << 8 : 0) |
                     (i + 2 < 16 ? key[i + 2] : 0);
        key64[o++] = b64[v >> 18 & 63];
        key64[o++] = b64[v >> 12 & 63];
        key64[o++] = i + 1 < 16 ? b64[v >> 6 & 63] : '=';
        key64[o++] = i + 2 < 16 ? b64[v & 63] : '=';
    }
    lc_buf_t req;
    lc_buf_init(&req);
    lc_buf_printf(&req, "GET %s/v1/database/", u.prefix);
    cli_http_escape(&req, name);
    lc_buf_printf(&req,
                  "/subscribe?compression=None HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Protocol: v2.bsatn.spacetimedb\r\n",
                  u.authority, key64);
    if (token)
        lc_buf_printf(&req, "Authorization: Bearer %s\r\n", token);
    lc_buf_puts(&req, "\r\n");
    int rc = req.oom || send_all(c, req.data, req.len) ? -1 : 0;
    lc_buf_free(&req);
    /* the response head, up to the blank line */
    char *end = NULL;
    while (rc == 0 && !end) {
        if ((rc = need(c, c->in.len - c->off + 1)) != 0)
            break;
        lc_buf_terminate(&c->in);
        end = strstr((char *)c->in.data, "\r\n\r\n");
    }
    if (rc != 0) {
        cli_errorf("%s", "the server closed the connection during the WebSocket handshake");
        return CLI_EXIT_FAILURE;
    }
    int status = 0;
    sscanf((char *)c->in.data, "HTTP/1.1 %d", &status);
    if (status != 101) {
        cli_errorf("the server refused the subscription (HTTP %d): %s", status, end + 4);
        return cli_exit_for_status(status);
    }
    c->off = (size_t)(end + 4 - (char *)c->in.data);
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- messages */

static int send_subscribe(wsc_t *c, char **queries, int n)
{
    lc_buf_t m;
    lc_buf_init(&m);
    uint8_t hdr[13] = {0, 1, 0, 0, 0, 1, 0, 0, 0};
    hdr[9] = (uint8_t)n;
    hdr[10] = (uint8_t)(n >> 8);
    lc_buf_append(&m, hdr, 13);
    for (int i = 0; i < n; i++) {
        uint32_t len = (uint32_t)strlen(queries[i]);
        uint8_t l[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                        (uint8_t)(len >> 24)};
        lc_buf_append(&m, l, 4);
        lc_buf_append(&m, queries[i], len);
    }
    int rc = m.oom ? -1 : send_frame(c, 0x2, m.data, m.len);
    lc_buf_free(&m);
    return rc;
}

/* Append every row of a BsatnRowList value to arr as untyped SATS-JSON. */
static int rows_json(lc_arena_t *a, const sub_schema_t *s, const sats_type_t *rt,
                     const sats_value_t *list, json_t *arr)
{
    const sats_value_t *data = &list->u.elems.items[1];
    lc_rd_t r = lc_rd_make(data->u.bytes.ptr, data->u.bytes.len);
    lc_err_t err;
    while (r.len > 0) {
        sats_value_t row;
        if (sats_bsatn_decode(a, &r, &s->ts, rt, &row, &err) != LC_OK)
            return -1;
        json_t *j = sats_json_from_value(&s->ts, rt, &row, SATS_JSON_UNTYPED, &err);
        if (!j)
            return -1;
        json_array_append_new(arr, j);
    }
    return 0;
}

/* The {"deletes": [], "inserts": []} object of table in out, created on first use. */
static json_t *table_entry(json_t *out, const char *table)
{
    json_t *e = json_object_get(out, table);
    if (!e) {
        e = json_pack("{s:[], s:[]}", "deletes", "inserts");
        json_object_set_new(out, table, e);
    }
    return e;
}

/* QueryRows {tables: [SingleTableRows {table, rows}]} → out (all inserts). */
static int query_rows_json(lc_arena_t *a, const sub_schema_t *s, const sats_value_t *qr,
                           json_t *out)
{
    const sats_value_t *tables = &qr->u.elems.items[0];
    for (uint32_t i = 0; i < tables->u.elems.n; i++) {
        const sats_value_t *t = &tables->u.elems.items[i];
        const char *name = t->u.elems.items[0].u.str.ptr;
        const sats_type_t *rt = row_type(s, name);
        if (!rt || rows_json(a, s, rt, &t->u.elems.items[1],
                             json_object_get(table_entry(out, name), "inserts")))
            return -1;
    }
    return 0;
}

/* TransactionUpdate {query_sets: [{query_set_id, tables: [{table_name, rows: [sum]}]}]}. */
static int tx_update_json(lc_arena_t *a, const sub_schema_t *s, const sats_value_t *tu, json_t *out)
{
    const sats_value_t *sets = &tu->u.elems.items[0];
    for (uint32_t i = 0; i < sets->u.elems.n; i++) {
        const sats_value_t *tables = &sets->u.elems.items[i].u.elems.items[1];
        for (uint32_t j = 0; j < tables->u.elems.n; j++) {
            const sats_value_t *t = &tables->u.elems.items[j];
            const char *name = t->u.elems.items[0].u.str.ptr;
            const sats_type_t *rt = row_type(s, name);
            const sats_value_t *rows = &t->u.elems.items[1];
            json_t *e = table_entry(out, name);
            for (uint32_t k = 0; rt && k < rows->u.elems.n; k++) {
                const sats_value_t *u = &rows->u.elems.items[k];
                const sats_value_t *p = u->u.sum.payload;
                int rc =
                    u->u.sum.tag == 0 /* PersistentTable {inserts, deletes} */
                        ? rows_json(a, s, rt, &p->u.elems.items[0],
                                    json_object_get(e, "inserts")) ||
                              rows_json(a, s, rt, &p->u.elems.items[1],
                                        json_object_get(e, "deletes"))
                        : rows_json(a, s, rt, &p->u.elems.items[0], json_object_get(e, "inserts"));
                if (rc)
                    return -1;
            }
        }
    }
    return 0;
}

static void print_line(json_t *j)
{
    char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (txt) {
        puts(txt);
        fflush(stdout);
    }
    free(txt);
}

/* Handle one server message.  0 to go on; 1 an update was printed; -1 failed (reported). */
static int on_message(const sub_schema_t *s, const sats_typespace_t *v2, const lc_buf_t *msg,
                      bool print_initial)
{
    if (msg->len < 1 || msg->data[0] != 0) {
        cli_errorf("%s", "the server sent a compressed or empty message");
        return -1;
    }
    lc_arena_t a;
    lc_arena_init(&a, 65536);
    lc_err_t err;
    sats_value_t m;
    int rc = 0;
    json_t *out = json_object();
    if (sats_bsatn_decode_all(&a, msg->data + 1, msg->len - 1, v2, v2->types[NET_V2_SERVER_MESSAGE],
                              &m, &err) != LC_OK) {
        cli_errorf("undecodable server message: %s", err.msg);
        rc = -1;
    } else if (m.u.sum.tag == 1 && print_initial) { /* SubscribeApplied */
        rc = query_rows_json(&a, s, &m.u.sum.payload->u.elems.items[2], out) ? -1 : 2;
    } else if (m.u.sum.tag == 3) { /* SubscriptionError */
        cli_errorf("subscription failed: %s", m.u.sum.payload->u.elems.items[2].u.str.ptr);
        rc = -1;
    } else if (m.u.sum.tag == 4) { /* TransactionUpdate */
        rc = tx_update_json(&a, s, m.u.sum.payload, out) ? -1 : 1;
    }
    if (rc == -1 && m.u.sum.tag != 3 && m.u.sum.tag != 0)
        cli_errorf("%s", "cannot decode the rows of an update with the module's row types");
    if (rc > 0)
        print_line(out);
    json_decref(out);
    lc_arena_free(&a);
    return rc == 2 ? 0 : rc;
}

/* ---------------------------------------------------------------- command */

const char cli_subscribe_summary[] = "Subscribe to SQL queries and print updates as JSON lines";
const char cli_subscribe_usage[] =
    "  NAME QUERY...        the database and one or more SQL subscription queries\n"
    "  -n, --num-updates N  exit after N transaction updates\n"
    "  -t, --timeout SECONDS  exit after SECONDS (default: run until interrupted)\n"
    "  --print-initial-update  print the rows the subscription starts with, first\n"
    "  -s, --server SERVER  a saved server's name or a URL (default: the default server)\n"
    "Each line is {\"TABLE\": {\"deletes\": [ROW...], \"inserts\": [ROW...]}} with rows in\n"
    "untyped SATS-JSON (as sql --json prints them).\n";

typedef struct sub_opts {
    long n, t;
    bool initial;
    const cli_command_t *cmd;
} sub_opts_t;

static int sub_opt(void *arg, int opt, const char *val)
{
    sub_opts_t *o = arg;
    char *end;
    if (opt == 'I') {
        o->initial = true;
        return 0;
    }
    long v = strtol(val, &end, 10);
    if (*end || v <= 0)
        return cli_usage_error(o->cmd, "expected a positive number, got '%s'", val);
    if (opt == 'n')
        o->n = v;
    else
        o->t = v;
    return 0;
}

static int run(cli_ctx_t *ctx, const sub_opts_t *o, const char *name, char **queries, int nq)
{
    json_t *def = NULL;
    int rc = cli_fetch_schema(ctx, name, &def);
    if (rc)
        return rc;
    lc_arena_t a;
    lc_arena_init(&a, 65536);
    sub_schema_t s = {0};
    sats_typespace_t v2;
    const char *token = NULL;
    wsc_t c = {0};
    lc_buf_init(&c.in);
    lc_buf_t msg;
    lc_buf_init(&msg);
    if (load_schema(&a, def, &s) != 0 || net_v2_typespace(&a, &v2) != LC_OK) {
        cli_errorf("%s", "cannot read the module's definition");
        rc = CLI_EXIT_FAILURE;
    } else if ((rc = cli_ctx_token(ctx, &token)) == CLI_EXIT_OK &&
               (rc = ws_open(&c, ctx->url, name, token)) == CLI_EXIT_OK) {
        if (send_subscribe(&c, queries, nq) != 0) {
            cli_errorf("%s", "the connection broke");
            rc = CLI_EXIT_FAILURE;
        }
        c.until = o->t ? now_ms() + o->t * 1000 : 0;
        for (long updates = 0; rc == CLI_EXIT_OK && (!o->n || updates < o->n);) {
            int r = read_message(&c, &msg);
            if (r == 1)
                break; /* -t elapsed */
            if (r < 0) {
                cli_errorf("%s", "the server closed the connection");
                rc = CLI_EXIT_FAILURE;
            } else if ((r = on_message(&s, &v2, &msg, o->initial)) < 0) {
                rc = CLI_EXIT_FAILURE;
            } else {
                updates += r;
            }
        }
    }
    if (c.conn) {
        send_frame(&c, 0x8, "\x03\xe8", 2);
        cli_conn_close(c.conn);
    }
    lc_buf_free(&msg);
    lc_buf_free(&c.in);
    lc_arena_free(&a);
    json_decref(def);
    return rc;
}

int cli_cmd_subscribe(const cli_command_t *cmd, int argc, char **argv)
{
    static const struct option extra[] = {
        {"num-updates", required_argument, NULL, 'n'},
        {"timeout", required_argument, NULL, 't'},
        {"print-initial-update", no_argument, NULL, 'I'},
        {NULL, 0, NULL, 0},
    };
    sub_opts_t o = {.cmd = cmd};
    cli_opts_t co = {0};
    int rc = cli_parse(cmd, argc, argv, "n:t:", extra, sub_opt, &o, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (argc - optind < 2)
        return cli_usage_error(cmd, "%s", "expected a database name and at least one query");
    if (argc - optind - 1 > 1000)
        return cli_usage_error(cmd, "%s", "too many queries");
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server)))
        return rc;
    rc = run(&ctx, &o, argv[optind], argv + optind + 1, argc - optind - 1);
    cli_ctx_close(&ctx);
    return rc;
}
