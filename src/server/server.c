/*
 * `lightcone start`: configuration and the process lifecycle (see the state
 * table in server.h).  The event loop is libuv's; for now it serves only
 * signals — the network, databases and durability attach to it as their
 * modules land.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "api/api.h"
#include "module/mod_abi.h"
#include "server.h"

int server_default_data_dir(char *out, size_t outlen, lc_err_t *err)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, outlen, "%s/lightcone", xdg);
    else if (home && home[0])
        n = snprintf(out, outlen, "%s/.local/share/lightcone", home);
    else
        return lc_err_set(err, LC_EINVAL,
                          "cannot choose a data directory: HOME is not set; "
                          "pass --data-dir or set LIGHTCONE_DATA_DIR");
    if (n < 0 || (size_t)n >= outlen)
        return lc_err_set(err, LC_ERANGE, "data directory path is too long");
    return LC_OK;
}

static int copy_setting(char *dst, size_t cap, const char *value, const char *what, lc_err_t *err)
{
    size_t n = strlen(value);
    if (n == 0 || n >= cap)
        return lc_err_set(err, LC_EINVAL, "%s is empty or too long", what);
    memcpy(dst, value, n + 1);
    return LC_OK;
}

int server_config_init(server_config_t *cfg, lc_err_t *err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->log_level = LC_LOG_INFO;
    cfg->log_format = LC_LOG_TEXT;
    memcpy(cfg->listen_addr, SERVER_DEFAULT_LISTEN, sizeof SERVER_DEFAULT_LISTEN);
    const char *v;
    int rc;
    if ((v = getenv("LIGHTCONE_DATA_DIR")) && v[0])
        rc = copy_setting(cfg->data_dir, sizeof cfg->data_dir, v, "LIGHTCONE_DATA_DIR", err);
    else
        rc = server_default_data_dir(cfg->data_dir, sizeof cfg->data_dir, err);
    if (rc != LC_OK)
        return rc;
    if ((v = getenv("LIGHTCONE_LISTEN_ADDR")) && v[0] &&
        (rc = copy_setting(cfg->listen_addr, sizeof cfg->listen_addr, v, "LIGHTCONE_LISTEN_ADDR",
                           err)) != LC_OK)
        return rc;
    if ((v = getenv("LIGHTCONE_LOG_LEVEL")) && v[0]) {
        if (lc_log_level_parse(v, &cfg->log_level))
            return lc_err_set(err, LC_EINVAL,
                              "LIGHTCONE_LOG_LEVEL=%s: expected error, warn, info, debug or trace",
                              v);
        cfg->set_log_level = true;
    }
    if ((v = getenv("LIGHTCONE_LOG_FORMAT")) && v[0]) {
        if (strcmp(v, "text") == 0)
            cfg->log_format = LC_LOG_TEXT;
        else if (strcmp(v, "json") == 0)
            cfg->log_format = LC_LOG_JSON;
        else
            return lc_err_set(err, LC_EINVAL, "LIGHTCONE_LOG_FORMAT=%s: expected text or json", v);
    }
    return LC_OK;
}

int server_parse_listen_addr(const char *addr, char *host, size_t hostlen, int *port, lc_err_t *err)
{
    const char *colon, *h = addr;
    size_t hlen;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (close == NULL || close[1] != ':')
            return lc_err_set(err, LC_EINVAL, "listen address %s: expected [ipv6]:port", addr);
        h = addr + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL)
            return lc_err_set(err, LC_EINVAL, "listen address %s: expected host:port", addr);
        hlen = (size_t)(colon - addr);
    }
    if (hlen == 0 || hlen >= hostlen)
        return lc_err_set(err, LC_EINVAL, "listen address %s: bad host", addr);
    memcpy(host, h, hlen);
    host[hlen] = 0;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (colon[1] == 0 || *end != 0 || p < 0 || p > 65535)
        return lc_err_set(err, LC_EINVAL, "listen address %s: port must be 0-65535", addr);
    unsigned char probe[16];
    if (inet_pton(AF_INET, host, probe) != 1 && inet_pton(AF_INET6, host, probe) != 1 &&
        strcmp(host, "localhost") != 0)
        return lc_err_set(err, LC_EINVAL, "listen address %s: %s is not an IP address", addr, host);
    *port = (int)p;
    return LC_OK;
}

/* ---------------------------------------------------------------- run */

typedef struct server {
    const server_config_t *cfg;
    wasm_engine_t *engine;
    auth_keys_t *keys;
    api_t *api;
    uv_loop_t loop;
    uv_signal_t sigint, sigterm;
    int lock_fd;
    int stop_signal; /* the signal that asked us to stop, or 0 */
} server_t;

static void on_stop_signal(uv_signal_t *h, int signum)
{
    server_t *s = h->data;
    if (s->stop_signal) {
        lc_log_warn("second %s: already shutting down", strsignal(signum));
        return;
    }
    s->stop_signal = signum;
    lc_log_info("received %s, shutting down", strsignal(signum));
    uv_signal_stop(&s->sigint);
    uv_signal_stop(&s->sigterm);
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
}

static int open_storage(server_t *s, lc_err_t *err)
{
    s->lock_fd = -1;
    if (s->cfg->in_memory) {
        lc_log_info("in-memory mode: no data directory, nothing is kept after exit");
        return LC_OK;
    }
    int rc = server_data_dir_open(s->cfg->data_dir, &s->lock_fd, err);
    if (rc == LC_OK)
        lc_log_info("data directory %s", s->cfg->data_dir);
    return rc;
}

static int start_signals(server_t *s, lc_err_t *err)
{
    int rc = uv_signal_init(&s->loop, &s->sigint);
    if (rc == 0)
        rc = uv_signal_init(&s->loop, &s->sigterm);
    s->sigint.data = s->sigterm.data = s;
    if (rc == 0)
        rc = uv_signal_start(&s->sigint, on_stop_signal, SIGINT);
    if (rc == 0)
        rc = uv_signal_start(&s->sigterm, on_stop_signal, SIGTERM);
    if (rc != 0)
        return lc_err_set(err, LC_EIO, "cannot install signal handlers: %s", uv_strerror(rc));
    return LC_OK;
}

static void close_handle(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* The module engine, the keys and the API (listener, registry). */
static int start_services(server_t *s, const char *host, int port, lc_err_t *err)
{
    const server_config_t *cfg = s->cfg;
    char cache[PATH_MAX + 32], priv[PATH_MAX + 32], pub[PATH_MAX + 32];
    if (cfg->in_memory)
        mod_abi_tmp_cache_dir(cache, sizeof cache);
    else
        snprintf(cache, sizeof cache, "%s/wasm-cache", cfg->data_dir);
    int rc = mod_abi_engine_new(cache, &s->engine, err);
    if (rc)
        return rc;
    snprintf(priv, sizeof priv, "%s", cfg->jwt_priv_key_path);
    snprintf(pub, sizeof pub, "%s", cfg->jwt_pub_key_path);
    if (!priv[0] && !cfg->in_memory)
        snprintf(priv, sizeof priv, "%s/id_ecdsa", cfg->data_dir);
    if (!pub[0] && !cfg->in_memory)
        snprintf(pub, sizeof pub, "%s/id_ecdsa.pub", cfg->data_dir);
    rc = priv[0] ? auth_keys_load_or_create(priv, pub, &s->keys, err)
                 : auth_keys_generate(&s->keys, err);
    if (rc)
        return rc;
    api_config_t ac = {.keys = s->keys};
    net_config_default(&ac.net);
    ac.net.host = host;
    ac.net.port = port;
    if (cfg->ws_ping_interval_ms)
        ac.net.ws_ping_interval_ms = cfg->ws_ping_interval_ms;
    if (cfg->ws_idle_timeout_ms)
        ac.net.ws_idle_timeout_ms = cfg->ws_idle_timeout_ms;
    if (cfg->ws_incoming_queue_length)
        ac.net.ws_max_pending_msgs = cfg->ws_incoming_queue_length;
    ac.creators = (const uint8_t(*)[32])cfg->creators;
    ac.ncreators = cfg->ncreators;
    ac.creator_issuer = cfg->creator_issuer[0] ? cfg->creator_issuer : NULL;
    ac.db.data_dir = cfg->in_memory ? NULL : cfg->data_dir;
    ac.db.engine = s->engine;
    ac.db.fsync = cfg->fsync_never ? DUR_FSYNC_NEVER : DUR_FSYNC_EVERY_BATCH;
    ac.db.limits.time_ms = cfg->reducer_timeout_ms;
    return api_start(&ac, &s->api, err);
}

static void stop_services(server_t *s)
{
    api_stop(s->api);
    s->api = NULL;
    if (s->engine)
        wasm_engine_free(s->engine);
    s->engine = NULL;
    auth_keys_free(s->keys);
    s->keys = NULL;
}

int server_run(const server_config_t *cfg_in, lc_err_t *err)
{
    server_config_t config = *cfg_in, *cfg = &config;
    char host[256];
    int port;
    int rc = server_parse_listen_addr(cfg->listen_addr, host, sizeof host, &port, err);
    if (rc != LC_OK)
        return rc;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");

    server_t s = {.cfg = cfg, .lock_fd = -1};
    if ((rc = open_storage(&s, err)) != LC_OK)
        return rc;
    if (!cfg->in_memory) {
        char path[sizeof cfg->data_dir + 16];
        if (snprintf(path, sizeof path, "%s/config.toml", cfg->data_dir) >= (int)sizeof path)
            rc = lc_err_set(err, LC_ERANGE, "data directory path is too long");
        else
            rc = server_config_load_file(cfg, path, err);
        if (rc != LC_OK) {
            close(s.lock_fd);
            return rc;
        }
        lc_log_set_level(cfg->log_level);
    }
    if ((rc = uv_loop_init(&s.loop)) != 0) {
        if (s.lock_fd >= 0)
            close(s.lock_fd);
        return lc_err_set(err, LC_EIO, "cannot start the event loop: %s", uv_strerror(rc));
    }
    if ((rc = start_signals(&s, err)) == LC_OK)
        rc = start_services(&s, host, port, err);
    if (rc == LC_OK) {
        lc_log_info("lightcone ready (pid %ld, listen address %s:%d)", (long)getpid(), host,
                    api_port(s.api));
        uv_run(&s.loop, UV_RUN_DEFAULT);
    }
    /* Stop accepting, close sessions, finish queued transactions, flush
     * the logs (api_stop closes every database). */
    stop_services(&s);
    if (rc == LC_OK)
        lc_log_info("lightcone stopped");
    /* Close anything still open (the error path) and drain the loop. */
    uv_walk(&s.loop, close_handle, NULL);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&s.loop) != 0)
        lc_log_warn("event loop closed with handles still open");
    if (s.lock_fd >= 0)
        close(s.lock_fd); /* releases the flock */
    return rc;
}
