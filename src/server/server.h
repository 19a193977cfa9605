/*
 * server — one Lightcone process: its configuration, its data directory, its
 * event loop and its lifecycle (`lightcone start`).
 *
 * Lifecycle of a server (state table):
 *
 *   state      entered by                  leaves to
 *   CONFIGURED server_config_*()           OPENING   via server_run()
 *   OPENING    server_run()                RUNNING   once the data directory is
 *                                                    locked and the loop is up
 *                                          (error)   directory unusable / in use
 *   RUNNING    logs "lightcone ready"      STOPPING  on SIGINT or SIGTERM
 *   STOPPING   signal handler              (exit 0)  loop drained, lock released
 *
 * Configuration precedence: command-line flags > LIGHTCONE_* environment
 * variables > built-in defaults.
 */
#ifndef LC_SERVER_H
#define LC_SERVER_H

#include <limits.h>

#include "base/base.h"

#define SERVER_DEFAULT_LISTEN "127.0.0.1:3000"
#define SERVER_MAX_CREATORS   64

typedef struct server_config {
    char listen_addr[256];             /* host:port; [v6]:port */
    char data_dir[PATH_MAX];           /* absolute or relative path; created if missing */
    bool in_memory;                    /* keep no files at all */
    char jwt_priv_key_path[PATH_MAX];  /* "" = DATA/id_ecdsa (created on first start) */
    char jwt_pub_key_path[PATH_MAX];   /* "" = DATA/id_ecdsa.pub */
    uint32_t reducer_timeout_ms;       /* watchdog budget per reducer call; 0 = none */
    bool set_log_level;                /* given by a flag or the environment */
    uint32_t ws_ping_interval_ms;      /* 0 = the transport's default (15 s) */
    uint32_t ws_idle_timeout_ms;       /* 0 = default (30 s) */
    uint32_t ws_incoming_queue_length; /* 0 = default (16384) */
    bool fsync_never;                  /* [database] fsync = "never" */
    /* Who may create databases ([database] create-allowed-identities, LE);
     * none = anyone. */
    uint8_t creators[SERVER_MAX_CREATORS][32];
    uint32_t ncreators;
    char creator_issuer[256]; /* [database] create-allowed-issuer; "" = none */
    bool non_interactive;
    lc_log_level_t log_level;
    lc_log_format_t log_format;
} server_config_t;

/* Fill cfg with the defaults, then apply LIGHTCONE_DATA_DIR,
 * LIGHTCONE_LISTEN_ADDR, LIGHTCONE_LOG_LEVEL and LIGHTCONE_LOG_FORMAT.
 * The default data directory is ~/.local/share/lightcone (or
 * $XDG_DATA_HOME/lightcone). */
int server_config_init(server_config_t *cfg, lc_err_t *err);
/* The default data directory for this user, into out. */
int server_default_data_dir(char *out, size_t outlen, lc_err_t *err);
/* Apply DATA/config.toml (anchors.md §4.4's layout; written with every
 * setting commented out if missing) where flags and the environment left
 * a setting alone.  Errors name the line. */
int server_config_load_file(server_config_t *cfg, const char *path, lc_err_t *err);
/* Split "host:port" / "[v6]:port" into host and port, checking both. */
int server_parse_listen_addr(const char *addr, char *host, size_t hostlen, int *port,
                             lc_err_t *err);

/* Create the data directory (and parents) if missing and take its lock, so
 * that two servers never share one directory.  On success *lock_fd holds
 * the lock until closed. */
int server_data_dir_open(const char *dir, int *lock_fd, lc_err_t *err);

/* Run a server until SIGINT or SIGTERM; returns 0 after a clean shutdown,
 * or an error (err filled) if it could not start. */
int server_run(const server_config_t *cfg, lc_err_t *err);

#endif /* LC_SERVER_H */
