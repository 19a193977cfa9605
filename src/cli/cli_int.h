/*
 * cli_int.h — what the CLI's files share: the command table's row type, the
 * usage helpers, the per-user configuration (cmd_config.c), the small HTTP
 * client (http.c) and the client context every server command runs with.
 *
 * Configuration file: $XDG_CONFIG_HOME/lightcone/cli.json (default
 * ~/.config/lightcone/cli.json), written with mode 0600 since it holds tokens:
 *
 *   {"default_server": "local",
 *    "servers":    {"prod": "http://db.example:3000"},
 *    "tokens":     {"local": "<jwt>"},
 *    "identities": {"local": "<64 hex>"}}
 *
 * `local` = http://127.0.0.1:3000 is built in and need not appear.  Tokens and
 * identities are kept per server nickname (or per URL when -s names a URL).
 */
#ifndef LC_CLI_INT_H
#define LC_CLI_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"

typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *usage; /* positionals and options, one per line */
    int (*run)(const struct cli_command *cmd, int argc, char **argv);
} cli_command_t;

/* Print "summary / Usage: lightcone NAME [OPTIONS] / usage" to f. */
void cli_print_usage(FILE *f, const cli_command_t *cmd);
/* Print "error: <fmt % arg>" and the --help hint; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command_t *cmd, const char *fmt, const char *arg);

/* Whether to colour output on fd (1 or 2): a terminal and NO_COLOR unset. */
bool cli_color(int fd);
/* Print "error: msg" to stderr (red on a terminal). */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---------------------------------------------------------------- build (cmd_build.c) */

/* Compile the C module project in dir to out (NULL: DIR/build/<name>.wasm);
 * the path written goes to out_path.  quiet: no "built ..." line.  Returns
 * an exit code. */
int cli_build_module(const char *dir, const char *out, bool quiet, char *out_path, size_t cap);

/* ---------------------------------------------------------------- progress (cli.c) */

/* A one-line live progress display on stderr for commands that wait: a
 * spinner, the stage and the seconds elapsed ("⠋ compiling on the server
 * (wasm2c + cc)… 3.4s"), redrawn ~10 times a second by cli_progress_tick,
 * which the transport's waits (and cmd_build.c's) call.  Only when stderr is
 * a terminal (and TERM is not dumb); otherwise nothing is drawn and callers
 * print their plain stage lines (cli_progress_live says which).  One
 * progress is active at a time; cli_errorf erases its line before printing. */
typedef struct cli_progress {
    bool live;        /* drawing on a terminal */
    bool drawn;       /* the line is on the screen now */
    unsigned frame;   /* spinner position */
    int64_t start_us; /* lc_now_mono_us() at start */
    int64_t drawn_us; /* when the line was last drawn */
    const char *then; /* the stage once a request is sent, or NULL */
    char stage[160];
} cli_progress_t;

/* Start p with stage and make it the active progress until cli_progress_end;
 * then (may be NULL): the stage shown once http.c has sent its request (the
 * wait for the server's answer).  p must outlive the call to end. */
void cli_progress_start(cli_progress_t *p, const char *stage, const char *then);
bool cli_progress_live(const cli_progress_t *p);
/* Show another stage (the clock keeps running). */
void cli_progress_stage(cli_progress_t *p, const char *stage);
/* Whether a progress is active (waits then wake every 100 ms to tick). */
bool cli_progress_active(void);
/* Redraw the active line if 100 ms have passed; cheap, call it from waits. */
void cli_progress_tick(void);
/* http.c: the request is out; the active progress moves to its `then` stage. */
void cli_progress_sent(void);
/* Erase the active line before other output to stderr; the next tick redraws it. */
void cli_progress_clear(void);
/* Erase the line; on a terminal and with final non-NULL, print "✓ FINAL in
 * 5.1s".  p is no longer active. */
void cli_progress_end(cli_progress_t *p, const char *final);

/* ---------------------------------------------------------------- transport (transport.c) */

/* A server URL: http://HOST[:PORT][/PREFIX] or https://...; HOST may be an
 * [IPv6] literal.  PORT defaults to 80, or 443 for https. */
typedef struct cli_url {
    bool tls;
    char host[256]; /* without the brackets of an IPv6 literal */
    char port[8];
    char authority[272]; /* for the Host header: the port only when not the default */
    char prefix[512];    /* path prefix without a trailing '/', or "" */
} cli_url_t;

/* LC_EINVAL for anything but a well-formed http:// or https:// URL. */
int cli_url_parse(const char *s, cli_url_t *u, lc_err_t *err);

/* A connection to a server: TCP, with TLS for https (TLS 1.2+, SNI, the chain
 * verified against the system CAs and $LIGHTCONE_CA_FILE, the name checked). */
typedef struct cli_conn cli_conn_t;

/* Connect (and handshake).  LC_EIO when the host cannot be resolved or
 * reached, or the TLS handshake fails ("TLS handshake with H:P failed:
 * certificate verify failed: ..."); LC_EINVAL when LIGHTCONE_CA_FILE cannot
 * be loaded.  The caller closes *out. */
int cli_conn_open(const cli_url_t *u, cli_conn_t **out, lc_err_t *err);
/* Send all n bytes; LC_EIO if the connection broke. */
int cli_conn_write(cli_conn_t *c, const void *p, size_t n, lc_err_t *err);
/* Read what has arrived, up to cap bytes, waiting at most timeout_ms (-1: no
 * limit): LC_OK with *got bytes (0 = the server closed the stream), 1 when
 * the time ran out, LC_EIO if the connection broke. */
int cli_conn_read(cli_conn_t *c, void *p, size_t cap, int timeout_ms, size_t *got, lc_err_t *err);
/* Close (a TLS close_notify first) and free; NULL is fine. */
void cli_conn_close(cli_conn_t *c);

/* ---------------------------------------------------------------- http (http.c) */

typedef struct cli_http_resp {
    int status;
    char *body; /* lc_malloc'd, NUL-terminated; NULL when streamed */
    size_t len;
} cli_http_resp_t;

/* Called with each piece of a 2xx body when streaming; non-zero stops. */
typedef int (*cli_http_data_cb)(void *arg, const char *p, size_t n);

/* One blocking HTTP/1.1 request to base_url (http[s]://host[:port][/prefix])
 * + path.  token: sent as "Authorization: Bearer"; ctype: Content-Type of
 * body.  With on_data, a 2xx body is handed to it piece by piece (chunked or
 * not) instead of being kept.  LC_EINVAL bad URL; LC_EIO cannot connect or
 * the connection broke (the message says which); LC_ECORRUPT bad response. */
int cli_http_request(const char *base_url, const char *method, const char *path, const char *token,
                     const char *ctype, const void *body, size_t len, cli_http_data_cb on_data,
                     void *arg, cli_http_resp_t *out, lc_err_t *err);
void cli_http_resp_free(cli_http_resp_t *r);
/* Append s percent-encoded for a path segment or query value. */
int cli_http_escape(lc_buf_t *out, const char *s);

/* ---------------------------------------------------------------- config (cmd_config.c) */

struct json_t;

typedef struct cli_config {
    struct json_t *root;
    char path[4096];
} cli_config_t;

#define CLI_LOCAL_URL "http://127.0.0.1:3000"

int cli_config_load(cli_config_t *c, lc_err_t *err);
int cli_config_save(cli_config_t *c, lc_err_t *err);
void cli_config_free(cli_config_t *c);
const char *cli_config_default_server(cli_config_t *c);
/* The URL of a nickname, or of a URL given as is (http://..., https://...,
 * or host:port → http://host:port); NULL if unknown. */
const char *cli_config_url(cli_config_t *c, const char *server);
const char *cli_config_token(cli_config_t *c, const char *server);
const char *cli_config_identity(cli_config_t *c, const char *server);
/* Store (token non-NULL) or drop the credentials of server. */
int cli_config_set_token(cli_config_t *c, const char *server, const char *token,
                         const char *identity);
/* The hex_identity claim of a JWT, into hex[65]; -1 if absent. */
int cli_token_identity(const char *token, char hex[65]);

/* ---------------------------------------------------------------- client context */

typedef struct cli_ctx {
    const cli_command_t *cmd;
    cli_config_t cfg;
    const char *server; /* nickname or URL as given */
    const char *url;
    bool json, yes, anonymous;
} cli_ctx_t;

/* Load the configuration and resolve server (NULL: the default); returns an
 * exit code (usage error for an unknown server). */
int cli_ctx_open(cli_ctx_t *ctx, const cli_command_t *cmd, const char *server);
void cli_ctx_close(cli_ctx_t *ctx);
/* The token for ctx's server; obtains and saves a new identity (POST
 * /v1/identity) when none is stored.  Returns an exit code. */
int cli_ctx_token(cli_ctx_t *ctx, const char **token);
/* A request to ctx's server, with the token if with_token.  Returns an exit
 * code: OK for 2xx; otherwise the error is printed (body as the message) and
 * the code follows the status (cli.h).  out is filled either way. */
int cli_ctx_request(cli_ctx_t *ctx, const char *method, const char *path, bool with_token,
                    const char *ctype, const void *body, size_t len, cli_http_data_cb on_data,
                    void *arg, cli_http_resp_t *out);
/* The exit code for an HTTP status. */
int cli_exit_for_status(int status);

/* ---------------------------------------------------------------- options */

/* The options every client command takes: -s/--server, --json, -y/--yes, -h/--help. */
typedef struct cli_opts {
    const char *server;
    bool json, yes;
} cli_opts_t;

struct option;
typedef int (*cli_opt_cb)(void *arg, int opt, const char *val);

/* getopt_long over argv with the common options, plus shorts (extra short
 * options; a leading '+' stops at the first positional) and extra (long
 * ones); cb(arg, opt, optarg) for each extra.  Returns 0 (optind at the
 * positionals), -1 after printing --help, or an exit code. */
int cli_parse(const cli_command_t *cmd, int argc, char **argv, const char *shorts,
              const struct option *extra, cli_opt_cb cb, void *arg, cli_opts_t *co);

/* ---------------------------------------------------------------- commands */

int cli_cmd_build(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_rename(const cli_command_t *cmd, int argc, char **argv);
/* cmd_repl.c: read statements (a prompt and line editing on a terminal,
 * plain lines otherwise) until \q or end of input; exec runs each. */
int cli_repl(const char *prompt, int (*exec)(void *arg, const char *stmt), void *arg);
int cli_cmd_publish(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_delete(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_logs(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_call(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_sql(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_describe(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_list(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_identity(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_login(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_logout(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_server(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_generate(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_init(const cli_command_t *cmd, int argc, char **argv);
int cli_cmd_subscribe(const cli_command_t *cmd, int argc, char **argv);

/* ---------------------------------------------------------------- module definitions
 * (cmd_generate.c) */

/* GET /v1/database/NAME/schema?version=10 into *out (the caller decrefs); an exit code. */
int cli_fetch_schema(cli_ctx_t *ctx, const char *name, struct json_t **out);
/* The value of section `name` ("Typespace", "Tables", ...) of a RawModuleDefV10; NULL if none. */
struct json_t *cli_schema_section(struct json_t *def, const char *name);
/* An AlgebraicType {"Kind": payload}'s kind, and its payload. */
const char *cli_type_kind(struct json_t *at, struct json_t **payload);
/* A product element's or sum variant's name ("" when unnamed). */
const char *cli_elem_name(struct json_t *el);
/* mkdir -p: 0, or -1 with errno set. */
int cli_mkdir_p(const char *dir);
/* The whole file (lc_malloc'd, NUL after the end) and its length; NULL
 * with errno set. */
uint8_t *cli_read_file(const char *path, size_t *len);

#endif /* LC_CLI_INT_H */
