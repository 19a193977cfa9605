/*
 * loop.c — the server: its event loops, the listening socket, the clocks
 * and the shutdown.  What happens on one connection is in conn.c (bytes
 * in and out), http.c and ws.c; the connection states are tabled in
 * net_int.h.
 *
 * A server is N loops (libuv), each on its own thread, each owning the
 * connections dealt to it; nothing about a connection is shared between
 * loops.  Loop 0 also accepts: it watches the one listening socket with a
 * uv_poll_t, accepts up to ACCEPT_BATCH sockets per wake-up and deals them
 * round-robin to the loops (a socket for another loop goes through that
 * loop's lock and uv_async).  We chose one acceptor over SO_REUSEPORT per
 * loop because the kernel's reuseport hashing balances only statistically
 * (a handful of long-lived WebSockets can land on one loop), port 0 would
 * need a bind-then-rebind dance, and closing one reuseport listener at
 * shutdown drops the connections queued on it; accept(2) is cheap next to
 * the traffic of a connection.
 *
 * A loop wakes (uv_async) for three reasons, all under its lock: sockets
 * dealt to it, connections with mail (conn.c), and the stop request.
 *
 * A per-loop timer (the tick) runs the clocks: HTTP keep-alive idle,
 * WebSocket ping and idle, the close and linger deadlines, the shutdown
 * deadline.  Its period is a quarter of the shortest of them, between 5 ms
 * and 1 s.
 *
 * Shutdown (net_server_stop): every loop is told; loop 0 stops accepting;
 * each loop closes idle HTTP connections and cuts streams, lets a request
 * in flight finish (then closes), sends WebSockets Close 1001 "server
 * shutting down" and waits for their answer; whatever is left at
 * shutdown_timeout_ms is closed.  A loop with no connection left closes
 * its handles, its thread returns, and net_server_stop joins it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_int.h"

#define ACCEPT_BATCH    64
#define MAX_LOOPS       256
#define ACCEPT_PAUSE_MS 100 /* after EMFILE and the like */

static _Thread_local net_loop_t *tl_loop; /* the loop this thread runs, if any */

void net_config_default(net_config_t *c)
{
    memset(c, 0, sizeof *c);
    c->host = "127.0.0.1";
    c->port = 3000;
    c->max_url_bytes = 8 * 1024;
    c->max_header_bytes = 16 * 1024;
    c->max_body_bytes = 64u << 20;
    c->http_idle_timeout_ms = 60000;
    c->ws_ping_interval_ms = 15000;
    c->ws_idle_timeout_ms = 30000;
    c->ws_close_timeout_ms = 1000;
    c->ws_max_message_bytes = 32u << 20;
    c->ws_max_pending_msgs = 16384;
    c->ws_max_pending_bytes = 64u << 20;
    c->max_out_bytes = 64u << 20;
    c->shutdown_timeout_ms = 5000;
}

/* ---------------------------------------------------------------- accepting */

/* Hand fd to loop l (from loop 0's thread). */
static void deal(net_loop_t *l, int fd)
{
    if (l == tl_loop) {
        if (l->stopping)
            close(fd);
        else
            net__conn_new(l, fd);
        return;
    }
    uv_mutex_lock(&l->lock);
    if (!l->alive || l->stop_requested ||
        lc_grow(&l->fds, &l->cap_fds, l->nfds, sizeof *l->fds, 16) != LC_OK) {
        uv_mutex_unlock(&l->lock);
        close(fd);
        return;
    }
    l->fds[l->nfds++] = fd;
    uv_async_send(&l->wake);
    uv_mutex_unlock(&l->lock);
}

static void on_acceptable(uv_poll_t *p, int status, int events)
{
    net_loop_t *l = p->data;
    net_server_t *s = l->srv;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            /* Out of descriptors or memory: pause instead of spinning. */
            lc_log_warn("net: accept failed: %s; pausing for %d ms", strerror(errno),
                        ACCEPT_PAUSE_MS);
            uv_poll_stop(&l->accept_poll);
            l->accepting = false;
            l->accept_resume = uv_now(&l->uv) + ACCEPT_PAUSE_MS;
            return;
        }
        uint32_t k = atomic_fetch_add_explicit(&s->next_loop, 1, memory_order_relaxed) % s->nloops;
        deal(&s->loops[k], fd);
    }
}

/* ---------------------------------------------------------------- the loop */

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void stop_accepting(net_loop_t *l)
{
    if (!l->poll_inited || uv_is_closing((uv_handle_t *)&l->accept_poll))
        return;
    uv_close((uv_handle_t *)&l->accept_poll, on_handle_closed);
    l->accepting = false;
}

static void conn_tick(net_conn_t *c, uint64_t now)
{
    const net_config_t *cfg = net__cfg(c);
    switch (c->state) {
    case CONN_HTTP:
        if (c->cur == NULL && now - c->last_rx >= cfg->http_idle_timeout_ms)
            net__conn_close(c);
        break;
    case CONN_WS:
        net__ws_tick(c, now);
        break;
    case CONN_WS_CLOSING:
    case CONN_LINGER:
        if (now >= c->deadline)
            net__conn_close(c);
        break;
    default:
        break;
    }
}

static void close_all(net_loop_t *l)
{
    net_conn_t *c, *next;
    for (c = l->conns; c; c = next) {
        next = c->next;
        net__conn_close(c);
    }
}

static void on_tick(uv_timer_t *t)
{
    net_loop_t *l = t->data;
    uint64_t now = uv_now(&l->uv);
    net_conn_t *c, *next;
    for (c = l->conns; c; c = next) {
        next = c->next;
        conn_tick(c, now);
    }
    if (l->stopping && now >= l->stop_deadline)
        close_all(l);
    if (l->poll_inited && !l->stopping && !l->accepting && now >= l->accept_resume &&
        uv_poll_start(&l->accept_poll, UV_READABLE, on_acceptable) == 0)
        l->accepting = true;
    net__loop_maybe_exit(l);
}

/* Begin this loop's part of the shutdown (see the top of the file). */
static void loop_begin_stop(net_loop_t *l)
{
    l->stopping = true;
    l->stop_deadline = uv_now(&l->uv) + l->srv->cfg.shutdown_timeout_ms;
    stop_accepting(l);
    net_conn_t *c, *next;
    for (c = l->conns; c; c = next) {
        next = c->next;
        /* A stream (logs?follow=true) has no end of its own: cut it. */
        if (c->state == CONN_HTTP && (c->cur == NULL || net__http_streaming(c)))
            net__conn_close(c);
        else if (c->state == CONN_WS)
            net__ws_begin_close(c, NET_WS_GOING_AWAY, "server shutting down");
    }
    net__loop_maybe_exit(l);
}

static void on_wake(uv_async_t *h)
{
    net_loop_t *l = h->data;
    uv_mutex_lock(&l->lock);
    net_conn_t *ready = l->ready;
    l->ready = NULL;
    int *fds = l->fds;
    uint32_t nfds = l->nfds;
    l->fds = NULL;
    l->nfds = l->cap_fds = 0;
    bool stop = l->stop_requested;
    uv_mutex_unlock(&l->lock);
    for (uint32_t i = 0; i < nfds; i++) {
        if (l->stopping || stop)
            close(fds[i]);
        else
            net__conn_new(l, fds[i]);
    }
    lc_free(fds);
    while (ready) {
        net_conn_t *c = ready;
        ready = c->ready_next;
        net__conn_process_mail(c);
        net__conn_unref(c); /* the ready list's */
    }
    if (stop && !l->stopping)
        loop_begin_stop(l);
}

/* A stopping loop with no connection left closes its handles; uv_run then
 * returns and the thread ends. */
void net__loop_maybe_exit(net_loop_t *l)
{
    if (!l->stopping || l->nconns > 0 || !l->alive_local)
        return;
    l->alive_local = false;
    uv_mutex_lock(&l->lock);
    l->alive = false;
    net_conn_t *ready = l->ready;
    l->ready = NULL;
    uv_mutex_unlock(&l->lock);
    while (ready) {
        net_conn_t *c = ready;
        ready = c->ready_next;
        net__conn_process_mail(c);
        net__conn_unref(c);
    }
    uv_close((uv_handle_t *)&l->wake, on_handle_closed);
    uv_close((uv_handle_t *)&l->tick, on_handle_closed);
    stop_accepting(l);
}

static void loop_main(void *arg)
{
    net_loop_t *l = arg;
    tl_loop = l;
    uv_run(&l->uv, UV_RUN_DEFAULT);
    tl_loop = NULL;
}

static uint64_t tick_period(const net_config_t *c)
{
    uint64_t t = c->http_idle_timeout_ms;
    t = LC_MIN(t, c->ws_ping_interval_ms);
    t = LC_MIN(t, c->ws_idle_timeout_ms);
    t = LC_MIN(t, c->ws_close_timeout_ms);
    t = LC_MIN(t, c->shutdown_timeout_ms);
    t /= 4;
    return LC_MAX(5, LC_MIN(t, 1000));
}

static int loop_init(net_server_t *s, net_loop_t *l, uint32_t index, lc_err_t *err)
{
    l->srv = s;
    l->index = index;
    l->rbuf = lc_malloc(READ_BUF_SIZE);
    if (l->rbuf == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    int rc = uv_loop_init(&l->uv);
    if (rc == 0 && (rc = uv_mutex_init(&l->lock)) != 0)
        uv_loop_close(&l->uv);
    if (rc != 0) {
        lc_free(l->rbuf);
        l->rbuf = NULL;
        return lc_err_set(err, LC_EIO, "cannot start an event loop: %s", uv_strerror(rc));
    }
    l->initialized = true;
    uv_async_init(&l->uv, &l->wake, on_wake);
    l->wake.data = l;
    uv_timer_init(&l->uv, &l->tick);
    l->tick.data = l;
    uint64_t period = tick_period(&s->cfg);
    uv_timer_start(&l->tick, on_tick, period, period);
    l->alive = l->alive_local = true;
    if (index == 0) {
        if ((rc = uv_poll_init(&l->uv, &l->accept_poll, s->listen_fd)) != 0)
            return lc_err_set(err, LC_EIO, "cannot watch the listening socket: %s",
                              uv_strerror(rc));
        l->poll_inited = true;
        l->accept_poll.data = l;
        if ((rc = uv_poll_start(&l->accept_poll, UV_READABLE, on_acceptable)) != 0)
            return lc_err_set(err, LC_EIO, "cannot watch the listening socket: %s",
                              uv_strerror(rc));
        l->accepting = true;
    }
    return LC_OK;
}

/* Free a loop whose thread has ended (or never started). */
static void loop_free(net_loop_t *l)
{
    if (l->initialized) {
        if (l->alive_local) {
            /* Never ran: close its handles here. */
            l->stopping = true;
            net__loop_maybe_exit(l);
        }
        uv_run(&l->uv, UV_RUN_DEFAULT);
        if (uv_loop_close(&l->uv) != 0)
            lc_log_warn("net: event loop %u closed with handles open", l->index);
        uv_mutex_destroy(&l->lock);
    }
    for (uint32_t i = 0; i < l->nfds; i++) close(l->fds[i]);
    lc_free(l->fds);
    lc_free(l->rbuf);
}

static int listen_socket(net_server_t *s, lc_err_t *err)
{
    const net_config_t *c = &s->cfg;
    struct sockaddr_storage ss;
    int rc = strchr(c->host, ':') ? uv_ip6_addr(c->host, c->port, (struct sockaddr_in6 *)&ss)
                                  : uv_ip4_addr(c->host, c->port, (struct sockaddr_in *)&ss);
    if (rc != 0 || c->port < 0 || c->port > 65535)
        return lc_err_set(err, LC_EINVAL, "invalid listen address %s port %d", c->host, c->port);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return lc_err_set(err, LC_EIO, "cannot create a socket: %s", strerror(errno));
    int one = 1;
    socklen_t len =
        ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
        int e = errno;
        close(fd);
        return lc_err_set(err, LC_EIO, "cannot listen on %s port %d: %s", c->host, c->port,
                          strerror(e));
    }
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    s->listen_fd = fd;
    return LC_OK;
}

static void server_free(net_server_t *s, uint32_t started)
{
    for (uint32_t i = 0; i < started; i++) uv_thread_join(&s->loops[i].thread);
    for (uint32_t i = 0; s->loops && i < s->nloops; i++) loop_free(&s->loops[i]);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    lc_free(s->loops);
    lc_free(s);
}

static void request_stop(net_server_t *s)
{
    atomic_store(&s->stopping, true);
    for (uint32_t i = 0; i < s->nloops; i++) {
        net_loop_t *l = &s->loops[i];
        if (!l->initialized)
            continue;
        uv_mutex_lock(&l->lock);
        l->stop_requested = true;
        if (l->alive)
            uv_async_send(&l->wake);
        uv_mutex_unlock(&l->lock);
    }
}

int net_server_start(const net_config_t *c, net_server_t **out, lc_err_t *err)
{
    *out = NULL;
    if (c->on_request == NULL || c->host == NULL)
        return lc_err_set(err, LC_EINVAL, "the network server needs a host and a handler");
    /* Writing to a socket the peer has closed must fail with EPIPE, not
     * kill the process. */
    signal(SIGPIPE, SIG_IGN);
    net_server_t *s = lc_calloc(1, sizeof *s);
    if (s == NULL)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    s->cfg = *c;
    s->listen_fd = -1;
    size_t hl = strlen(c->host);
    if (hl >= sizeof s->host) {
        lc_free(s);
        return lc_err_set(err, LC_EINVAL, "listen address is too long");
    }
    memcpy(s->host, c->host, hl + 1);
    s->cfg.host = s->host;
    s->nloops = c->loops ? c->loops : uv_available_parallelism();
    s->nloops = LC_MAX(1, LC_MIN(s->nloops, MAX_LOOPS));
    int rc = listen_socket(s, err);
    if (rc == LC_OK && (s->loops = lc_calloc(s->nloops, sizeof *s->loops)) == NULL)
        rc = lc_err_set(err, LC_ENOMEM, "out of memory");
    for (uint32_t i = 0; rc == LC_OK && i < s->nloops; i++) rc = loop_init(s, &s->loops[i], i, err);
    uint32_t started = 0;
    for (; rc == LC_OK && started < s->nloops; started++) {
        net_loop_t *l = &s->loops[started];
        if (uv_thread_create(&l->thread, loop_main, l) != 0)
            rc = lc_err_set(err, LC_EIO, "cannot start an event-loop thread");
        else
            l->started = true;
        if (rc != LC_OK)
            break;
    }
    if (rc != LC_OK) {
        if (s->loops)
            request_stop(s);
        server_free(s, started);
        return rc;
    }
    *out = s;
    return LC_OK;
}

int net_server_port(const net_server_t *s)
{
    return s->port;
}

void net_server_metrics(const net_server_t *s, net_metrics_t *m)
{
    memset(m, 0, sizeof *m);
    uint64_t opened = 0, closed = 0, wso = 0, wsc = 0;
    for (uint32_t i = 0; i < s->nloops; i++) {
        const net_stats_t *st = &s->loops[i].stats;
        opened += atomic_load_explicit(&st->opened, memory_order_relaxed);
        closed += atomic_load_explicit(&st->closed, memory_order_relaxed);
        wso += atomic_load_explicit(&st->ws_opened, memory_order_relaxed);
        wsc += atomic_load_explicit(&st->ws_closed, memory_order_relaxed);
        m->http_requests += atomic_load_explicit(&st->requests, memory_order_relaxed);
        m->bytes_in += atomic_load_explicit(&st->bytes_in, memory_order_relaxed);
        m->bytes_out += atomic_load_explicit(&st->bytes_out, memory_order_relaxed);
        m->ws_messages_in += atomic_load_explicit(&st->msgs_in, memory_order_relaxed);
        m->ws_messages_out += atomic_load_explicit(&st->msgs_out, memory_order_relaxed);
    }
    m->connections_total = opened;
    m->connections_open = opened >= closed ? opened - closed : 0;
    m->websockets_open = wso >= wsc ? wso - wsc : 0;
}

void net_server_stop(net_server_t *s)
{
    if (s == NULL)
        return;
    LC_ASSERT(tl_loop == NULL);
    request_stop(s);
    server_free(s, s->nloops);
}
