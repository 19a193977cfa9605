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

/* ---------------------------------------------------------------- http (http.c) */

typedef struct cli_http_resp {
    int status;
    char *body; /* lc_malloc'd, NUL-terminated; NULL when streamed */
    size_t len;
} cli_http_resp_t;

/* Called with each piece of a 2xx body when streaming; non-zero stops. */
typedef int (*cli_http_data_cb)(void *arg, const char *p, size_t n);

/* One blocking HTTP/1.1 request to base_url (http://host[:port][/prefix])
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
/* The URL of a nickname, or of a URL given as is (http://... or host:port
 * → http://host:port); NULL if unknown. */
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

#endif /* LC_CLI_INT_H */
