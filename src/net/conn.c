/*
 * conn.c — one connection's bytes: the mailbox other threads post to, the
 * write queue, reading, the lingering close, and the close itself.  The
 * states a connection goes through are tabled in net_int.h; http.c and
 * ws.c make most of the moves, this file the last ones (LINGER, CLOSED).
 *
 * Other threads talk to a connection through its mailbox: they append an
 * item (net_out_t) under conn->lock and, if the connection is not yet on
 * its loop's ready list, put it there and uv_async_send the loop.  The
 * loop swaps the mailbox out, applies the items in order (bytes go to the
 * write queue; "done", "accept" and "close" items also move the state
 * machine), then writes.  A write takes every queued item at once, up to
 * MAX_IOV buffers, in one uv_write: messages that pile up while the socket
 * is busy leave together (coalescing), each item written from the memory
 * its producer filled, without another copy.
 *
 * Closing: a connection the server is done with but whose client may
 * still be sending (after an error answer, after a failed WebSocket)
 * LINGERs: its last bytes are written, then FIN, then input is read and
 * dropped until EOF or ws_close_timeout_ms.  Closing at once could make
 * the kernel answer the unread input with a reset that destroys the
 * answer before the client reads it.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_int.h"

#define MAX_IOV 1024 /* buffers per uv_write (the kernel's writev limit) */

const net_config_t *net__cfg(const net_conn_t *c)
{
    return &c->loop->srv->cfg;
}

/* ---------------------------------------------------------------- outgoing items */

net_out_t *net__out_new(out_kind_t kind, size_t len)
{
    net_out_t *o = lc_malloc(sizeof *o + len);
    if (o == NULL)
        return NULL;
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->len = len;
    return o;
}

void net__out_push(out_list_t *l, net_out_t *o)
{
    o->next = NULL;
    if (l->tail)
        l->tail->next = o;
    else
        l->head = o;
    l->tail = o;
}

static net_out_t *out_pop(out_list_t *l)
{
    net_out_t *o = l->head;
    if (o) {
        l->head = o->next;
        if (l->head == NULL)
            l->tail = NULL;
        o->next = NULL;
    }
    return o;
}

void net__out_free_all(out_list_t *l)
{
    net_out_t *o;
    while ((o = out_pop(l)) != NULL) lc_free(o);
}

/* Free items that will not be written, returning their counted bytes. */
static void out_drop(net_conn_t *c, out_list_t *l)
{
    size_t counted = 0;
    net_out_t *o;
    while ((o = out_pop(l)) != NULL) {
        if (o->counted)
            counted += o->len;
        lc_free(o);
    }
    if (counted) {
        uv_mutex_lock(&c->lock);
        c->out_bytes -= counted;
        uv_mutex_unlock(&c->lock);
    }
}

/* ---------------------------------------------------------------- references */

void net__conn_ref(net_conn_t *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

void net__conn_unref(net_conn_t *c)
{
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    uv_mutex_destroy(&c->lock);
    lc_free(c);
}

/* ---------------------------------------------------------------- the mailbox */

void net__conn_schedule_locked(net_conn_t *c)
{
    if (c->scheduled)
        return;
    net_loop_t *l = c->loop;
    c->scheduled = true;
    net__conn_ref(c); /* the ready list's */
    uv_mutex_lock(&l->lock);
    c->ready_next = l->ready;
    l->ready = c;
    uv_mutex_unlock(&l->lock);
    /* The loop is alive: c is not closed (invariant 2). */
    uv_async_send(&l->wake);
}

int net__conn_post_locked(net_conn_t *c, net_out_t *o, bool counted)
{
    if (c->closed || (counted && c->too_slow)) {
        lc_free(o);
        return LC_EIO;
    }
    if (counted) {
        if (c->out_bytes + o->len > net__cfg(c)->max_out_bytes) {
            c->too_slow = true;
            net__conn_schedule_locked(c);
            lc_free(o);
            return LC_EIO;
        }
        c->out_bytes += o->len;
        o->counted = true;
    }
    net__out_push(&c->mbox, o);
    net__conn_schedule_locked(c);
    return LC_OK;
}

int net__conn_post(net_conn_t *c, net_out_t *o, bool counted)
{
    uv_mutex_lock(&c->lock);
    int rc = net__conn_post_locked(c, o, counted);
    uv_mutex_unlock(&c->lock);
    return rc;
}

/* Apply one mailbox item (loop thread). */
static void apply_item(net_conn_t *c, net_out_t *o)
{
    switch (o->kind) {
    case OUT_BYTES:
        if (c->state == CONN_HTTP && c->cur) {
            net__conn_write(c, o);
            return;
        }
        break;
    case OUT_HTTP_DONE:
        if ((c->state == CONN_HTTP || c->state == CONN_UPGRADING) && c->cur) {
            bool close_after = o->close_after;
            net__conn_write(c, o);
            net__http_done(c, close_after);
            return;
        }
        break;
    case OUT_WS_ACCEPT:
        if (c->state == CONN_UPGRADING) {
            net__conn_write(c, o);
            net__ws_open(c);
            return;
        }
        break;
    case OUT_WS_MSG:
        if (c->state == CONN_WS) {
            net__conn_write(c, o);
            return;
        }
        break;
    case OUT_WS_CLOSE:
        net__ws_close_item(c, o);
        return;
    }
    out_list_t one = {o, o};
    out_drop(c, &one);
}

/* The client fell max_out_bytes behind: what is not yet on the wire is
 * dropped and the client disconnected (1008 for a WebSocket). */
static void too_slow(net_conn_t *c)
{
    if (c->state == CONN_WS || c->state == CONN_WS_CLOSING) {
        out_drop(c, &c->wq);
        net__ws_fail(c, NET_WS_POLICY, "too slow");
    } else if (c->state == CONN_HTTP) {
        lc_log_debug("net: %s: streaming client too slow, disconnected", c->peer);
        net__conn_close(c);
    }
}

void net__conn_process_mail(net_conn_t *c)
{
    uv_mutex_lock(&c->lock);
    out_list_t m = c->mbox;
    c->mbox.head = c->mbox.tail = NULL;
    if (m.head) { /* they go out before anything sent later */
        c->out_idle = false;
        c->idle_published = false;
    }
    c->scheduled = false;
    bool slow = c->too_slow;
    uv_mutex_unlock(&c->lock);
    net_out_t *o;
    while ((o = out_pop(&m)) != NULL) {
        if (c->state == CONN_CLOSED) {
            out_list_t rest = {o, o};
            out_drop(c, &rest);
            continue;
        }
        apply_item(c, o);
    }
    if (slow && c->state != CONN_CLOSED && c->state != CONN_LINGER)
        too_slow(c);
    net__conn_flush(c);
}

/* ---------------------------------------------------------------- writing */

/* The loop has bytes to write: senders queue behind them. */
static void conn_busy(net_conn_t *c)
{
    if (!c->idle_published)
        return;
    uv_mutex_lock(&c->lock);
    c->out_idle = false;
    uv_mutex_unlock(&c->lock);
    c->idle_published = false;
}

/* An open WebSocket with nothing to write: a sender may write at once. */
static void publish_idle(net_conn_t *c)
{
    if (c->idle_published || c->state != CONN_WS || c->writing || c->wq.head)
        return;
    uv_mutex_lock(&c->lock);
    c->out_idle = !c->closed && !c->ws_closing && c->mbox.head == NULL;
    c->idle_published = c->out_idle;
    uv_mutex_unlock(&c->lock);
}

void net__conn_write(net_conn_t *c, net_out_t *o)
{
    conn_busy(c);
    net__out_push(&c->wq, o);
}

int net__conn_post_now_locked(net_conn_t *c, net_out_t *o)
{
    if (!c->out_idle || c->mbox.head || c->closed || c->ws_closing || c->too_slow)
        return net__conn_post_locked(c, o, true);
    ssize_t n = send(c->fd, o->data, o->len, MSG_DONTWAIT | MSG_NOSIGNAL);
    net_stats_t *st = &c->loop->stats;
    if (n > 0)
        atomic_fetch_add_explicit(&st->bytes_out, (size_t)n, memory_order_relaxed);
    if (n == (ssize_t)o->len) {
        atomic_fetch_add_explicit(&st->msgs_out, 1, memory_order_relaxed);
        lc_free(o);
        return LC_OK;
    }
    /* The socket is full (or failing: the loop's own write will say so):
     * the rest goes the usual way. */
    if (n > 0) {
        o->len -= (size_t)n;
        memmove(o->data, o->data + n, o->len);
    }
    c->out_idle = false;
    return net__conn_post_locked(c, o, true);
}

static void linger_step(net_conn_t *c);

static void on_written(uv_write_t *req, int status)
{
    net_conn_t *c = req->data;
    c->writing = false;
    size_t counted = 0;
    bool close_frame = false;
    net_out_t *o;
    while ((o = out_pop(&c->inflight)) != NULL) {
        close_frame |= o->kind == OUT_WS_CLOSE;
        if (o->counted)
            counted += o->len;
        lc_free(o);
    }
    if (counted) {
        uv_mutex_lock(&c->lock);
        c->out_bytes -= counted;
        uv_mutex_unlock(&c->lock);
    }
    if (status < 0) {
        if (status != UV_ECANCELED)
            net__conn_close(c);
        return;
    }
    if (close_frame)
        net__ws_close_written(c);
    if (c->state == CONN_CLOSED)
        return;
    net__conn_flush(c);
    if (c->state == CONN_LINGER)
        linger_step(c);
    publish_idle(c);
}

void net__conn_flush(net_conn_t *c)
{
    if (c->writing || c->wq.head == NULL || c->state == CONN_CLOSED)
        return;
    uv_buf_t bufs[MAX_IOV];
    unsigned n = 0;
    size_t bytes = 0;
    uint64_t msgs = 0;
    while (c->wq.head && n < MAX_IOV) {
        net_out_t *o = out_pop(&c->wq);
        net__out_push(&c->inflight, o);
        bufs[n].base = (char *)o->data;
        bufs[n++].len = o->len;
        bytes += o->len;
        msgs += o->kind == OUT_WS_MSG;
    }
    /* Counted before the write: the client may read a message before
     * uv_write even returns. */
    net_stats_t *st = &c->loop->stats;
    atomic_fetch_add_explicit(&st->bytes_out, bytes, memory_order_relaxed);
    atomic_fetch_add_explicit(&st->msgs_out, msgs, memory_order_relaxed);
    c->write_req.data = c;
    int rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, bufs, n, on_written);
    if (rc < 0) {
        out_drop(c, &c->inflight);
        net__conn_close(c);
        return;
    }
    c->writing = true;
}

/* ---------------------------------------------------------------- closing */

static void on_shutdown(uv_shutdown_t *req, int status)
{
    net_conn_t *c = req->data;
    if (status < 0 && status != UV_ECANCELED && c->state != CONN_CLOSED)
        net__conn_close(c);
}

/* LINGER: once the writes are done, FIN (or close, if the client already
 * sent its FIN); then wait for EOF or the deadline. */
static void linger_step(net_conn_t *c)
{
    if (c->writing || c->wq.head)
        return;
    if (c->peer_eof) {
        net__conn_close(c);
        return;
    }
    if (!c->shut) {
        c->shut = true;
        c->shutdown_req.data = c;
        if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) < 0)
            net__conn_close(c);
    }
}

void net__conn_linger(net_conn_t *c)
{
    if (c->state == CONN_CLOSED || c->state == CONN_LINGER)
        return;
    c->state = CONN_LINGER;
    c->deadline = uv_now(&c->loop->uv) + net__cfg(c)->ws_close_timeout_ms;
    lc_buf_reset(&c->in);
    c->in_off = 0;
    net__conn_read(c, true);
    net__conn_flush(c);
    linger_step(c);
}

static void on_closed(uv_handle_t *h)
{
    net_conn_t *c = h->data;
    net_loop_t *l = c->loop;
    out_drop(c, &c->wq);
    out_drop(c, &c->inflight);
    net__http_free(c);
    l->nconns--;
    atomic_fetch_add_explicit(&l->stats.closed, 1, memory_order_relaxed);
    net__conn_unref(c); /* the loop's */
    net__loop_maybe_exit(l);
}

void net__conn_close(net_conn_t *c)
{
    if (c->state == CONN_CLOSED)
        return;
    net_loop_t *l = c->loop;
    uv_mutex_lock(&c->lock);
    c->closed = true;
    out_list_t m = c->mbox;
    c->mbox.head = c->mbox.tail = NULL;
    bool accepted = c->ws_accepted;
    uv_mutex_unlock(&c->lock);
    out_drop(c, &m);
    c->state = CONN_CLOSED;
    if (c->prev)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    net__http_closed(c);
    if (accepted)
        net__ws_closed(c);
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

/* ---------------------------------------------------------------- reading */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    net_conn_t *c = h->data;
    buf->base = (char *)c->loop->rbuf;
    buf->len = READ_BUF_SIZE;
}

static void on_eof(net_conn_t *c)
{
    c->peer_eof = true;
    net__conn_read(c, false);
    switch (c->state) {
    case CONN_HTTP:
        /* A client may send its request and shut its side: answer first. */
        if (c->cur && !net__http_streaming(c))
            return;
        net__conn_close(c);
        return;
    case CONN_LINGER:
        linger_step(c);
        return;
    default:
        net__conn_close(c);
        return;
    }
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    net_conn_t *c = s->data;
    if (n == 0)
        return;
    if (n < 0) {
        if (n == UV_EOF)
            on_eof(c);
        else
            net__conn_close(c);
        return;
    }
    net_loop_t *l = c->loop;
    atomic_fetch_add_explicit(&l->stats.bytes_in, (uint64_t)n, memory_order_relaxed);
    c->last_rx = uv_now(&l->uv);
    const uint8_t *p = (const uint8_t *)buf->base;
    switch (c->state) {
    case CONN_HTTP:
    case CONN_UPGRADING:
        net__http_input(c, p, (size_t)n);
        break;
    case CONN_WS:
    case CONN_WS_CLOSING:
        net__ws_input(c, p, (size_t)n);
        break;
    default:
        break; /* LINGER: discarded */
    }
    net__conn_flush(c);
}

void net__conn_read(net_conn_t *c, bool on)
{
    if (c->state == CONN_CLOSED)
        return;
    if (on && !c->reading && !c->peer_eof) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
            c->reading = true;
    } else if (!on && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* ---------------------------------------------------------------- accepting */

static void peer_name(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            uv_ip6_name(a, host, sizeof host);
            port = ntohs(a->sin6_port);
            snprintf(out, cap, "[%s]:%d", host, port);
            return;
        }
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        uv_ip4_name(a, host, sizeof host);
        port = ntohs(a->sin_port);
    }
    snprintf(out, cap, "%s:%d", host, port);
}

void net__conn_new(net_loop_t *l, int fd)
{
    net_conn_t *c = lc_calloc(1, sizeof *c);
    if (c == NULL || uv_mutex_init(&c->lock) != 0) {
        lc_free(c);
        close(fd);
        return;
    }
    atomic_init(&c->refs, 1); /* the loop's, dropped in on_closed */
    c->loop = l;
    if (uv_tcp_init(&l->uv, &c->tcp) != 0) {
        uv_mutex_destroy(&c->lock);
        lc_free(c);
        close(fd);
        return;
    }
    c->tcp.data = c;
    c->fd = fd;
    c->state = CONN_HTTP;
    c->next = l->conns;
    if (l->conns)
        l->conns->prev = c;
    l->conns = c;
    l->nconns++;
    atomic_fetch_add_explicit(&l->stats.opened, 1, memory_order_relaxed);
    c->last_rx = uv_now(&l->uv);
    peer_name(fd, c->peer, sizeof c->peer);
    if (uv_tcp_open(&c->tcp, fd) != 0) {
        close(fd);
        net__conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    net__http_init(c);
    net__conn_read(c, true);
    if (l->stopping)
        net__conn_close(c);
}
