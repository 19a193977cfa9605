/*
 * cmd_config.c — the per-user configuration (servers, the default server,
 * a token and identity per server; format in cli_int.h), the client context
 * that every server command runs with, and the commands that only manage
 * the configuration: `server`, `login`, `logout`, `identity`.
 *
 * Tokens: a command that needs one and finds none asks the server for a new
 * identity (POST /v1/identity) and saves it, as the reference CLI does.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_int.h"
#include "sats/sats.h"

/* ---------------------------------------------------------------- output */

bool cli_color(int fd)
{
    const char *nc = getenv("NO_COLOR");
    return isatty(fd) && !(nc && *nc);
}

void cli_errorf(const char *fmt, ...)
{
    bool c = cli_color(2);
    cli_progress_clear(); /* the error goes where the progress line was */
    fprintf(stderr, "%serror:%s ", c ? "\033[1;31m" : "", c ? "\033[0m" : "");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---------------------------------------------------------------- file */

static int config_dir(char *out, size_t cap)
{
    const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    if (x && *x)
        n = snprintf(out, cap, "%s/lightcone", x);
    else if (home && *home)
        n = snprintf(out, cap, "%s/.config/lightcone", home);
    else
        return -1;
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* mkdir -p of the directory part of path. */
static int make_parents(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

int cli_config_load(cli_config_t *c, lc_err_t *err)
{
    memset(c, 0, sizeof *c);
    char dir[4000];
    if (config_dir(dir, sizeof dir) != 0)
        return lc_err_set(err, LC_EINVAL,
                          "no configuration directory: set HOME or "
                          "XDG_CONFIG_HOME");
    snprintf(c->path, sizeof c->path, "%s/cli.json", dir);
    json_error_t je;
    if (access(c->path, F_OK) == 0) {
        c->root = json_load_file(c->path, 0, &je);
        if (!c->root || !json_is_object(c->root)) {
            json_decref(c->root);
            c->root = NULL;
            return lc_err_set(err, LC_ECORRUPT, "%s is not valid: %s", c->path, je.text);
        }
    } else {
        c->root = json_object();
    }
    return c->root ? LC_OK : lc_err_set(err, LC_ENOMEM, "out of memory");
}

int cli_config_save(cli_config_t *c, lc_err_t *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", c->path);
    if (make_parents(c->path) != 0)
        return lc_err_set(err, LC_EIO, "cannot create the directory of %s: %s", c->path,
                          strerror(errno));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return lc_err_set(err, LC_EIO, "cannot write %s: %s", tmp, strerror(errno));
    char *text = json_dumps(c->root, JSON_INDENT(2) | JSON_SORT_KEYS);
    size_t n = text ? strlen(text) : 0;
    bool ok = text && write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1;
    free(text);
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, c->path) != 0) {
        unlink(tmp);
        return lc_err_set(err, LC_EIO, "cannot write %s: %s", c->path, strerror(errno));
    }
    return LC_OK;
}

void cli_config_free(cli_config_t *c)
{
    json_decref(c->root);
    c->root = NULL;
}

/* The object root[key], created when missing. */
static json_t *section(cli_config_t *c, const char *key)
{
    json_t *o = json_object_get(c->root, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(c->root, key, o);
    }
    return o;
}

static const char *lookup(cli_config_t *c, const char *sec, const char *key)
{
    return json_string_value(json_object_get(json_object_get(c->root, sec), key));
}

const char *cli_config_default_server(cli_config_t *c)
{
    const char *d = json_string_value(json_object_get(c->root, "default_server"));
    return d && *d ? d : "local";
}

const char *cli_config_url(cli_config_t *c, const char *server)
{
    const char *u = lookup(c, "servers", server);
    if (u)
        return u;
    if (strcmp(server, "local") == 0)
        return CLI_LOCAL_URL;
    if (strncmp(server, "http://", 7) == 0 || strncmp(server, "https://", 8) == 0)
        return server;
    if (strchr(server, ':') || strchr(server, '.')) { /* host:port: remember as a URL */
        static char url[600];
        snprintf(url, sizeof url, "http://%s", server);
        return url;
    }
    return NULL;
}

const char *cli_config_token(cli_config_t *c, const char *server)
{
    return lookup(c, "tokens", server);
}

const char *cli_config_identity(cli_config_t *c, const char *server)
{
    return lookup(c, "identities", server);
}

int cli_config_set_token(cli_config_t *c, const char *server, const char *token,
                         const char *identity)
{
    if (!token) {
        json_object_del(section(c, "tokens"), server);
        json_object_del(section(c, "identities"), server);
        return LC_OK;
    }
    json_object_set_new(section(c, "tokens"), server, json_string(token));
    if (identity)
        json_object_set_new(section(c, "identities"), server, json_string(identity));
    else
        json_object_del(section(c, "identities"), server);
    return LC_OK;
}

static int b64url_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    return ch == '-' ? 62 : ch == '_' ? 63 : -1;
}

int cli_token_identity(const char *token, char hex[65])
{
    const char *p = strchr(token, '.'), *q = p ? strchr(p + 1, '.') : NULL;
    if (!q)
        return -1;
    lc_buf_t b;
    lc_buf_init(&b);
    uint32_t acc = 0;
    int bits = 0;
    for (const char *s = p + 1; s < q; s++) {
        int v = b64url_value(*s);
        if (v < 0)
            break;
        acc = acc << 6 | (uint32_t)v;
        if ((bits += 6) >= 8) {
            bits -= 8;
            lc_buf_putc(&b, (uint8_t)(acc >> bits));
        }
    }
    json_t *j = json_loadb((const char *)b.data, b.len, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "hex_identity"));
    int rc = id && strlen(id) == 64 ? 0 : -1;
    if (rc == 0)
        memcpy(hex, id, 65);
    json_decref(j);
    lc_buf_free(&b);
    return rc;
}

/* ---------------------------------------------------------------- context */

int cli_ctx_open(cli_ctx_t *ctx, const cli_command_t *cmd, const char *server)
{
    ctx->cmd = cmd;
    lc_err_t err;
    if (cli_config_load(&ctx->cfg, &err)) {
        cli_errorf("%s", err.msg);
        return CLI_EXIT_FAILURE;
    }
    ctx->server = server ? server : cli_config_default_server(&ctx->cfg);
    ctx->url = cli_config_url(&ctx->cfg, ctx->server);
    if (!ctx->url) {
        cli_errorf("unknown server '%s' (see 'lightcone server list', or pass a URL)", ctx->server);
        cli_config_free(&ctx->cfg);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

void cli_ctx_close(cli_ctx_t *ctx)
{
    cli_config_free(&ctx->cfg);
}

int cli_exit_for_status(int status)
{
    if (status >= 200 && status < 300)
        return CLI_EXIT_OK;
    if (status == 404)
        return CLI_EXIT_NOT_FOUND;
    if (status == 401 || status == 403)
        return CLI_EXIT_NOT_AUTHORIZED;
    return CLI_EXIT_FAILURE;
}

static int unreachable(cli_ctx_t *ctx, const lc_err_t *err)
{
    if (err->code == LC_EINVAL) {
        cli_errorf("server '%s': %s", ctx->server, err->msg);
        return CLI_EXIT_USAGE;
    }
    cli_errorf("server '%s' (%s) is unreachable: %s", ctx->server, ctx->url, err->msg);
    if (err->code == LC_EIO && strcmp(ctx->server, "local") == 0)
        fprintf(stderr, "hint: start one with 'lightcone start'\n");
    else if (strstr(err->msg, "certificate verify failed") && !strstr(err->msg, "is not for"))
        fprintf(stderr, "hint: for a server whose certificate comes from a private CA (or is "
                        "self-signed), set LIGHTCONE_CA_FILE to that CA's PEM file\n");
    return CLI_EXIT_UNREACHABLE;
}

/* POST /v1/identity: a new identity and its token, saved for ctx's server. */
static int new_identity(cli_ctx_t *ctx, bool announce)
{
    cli_http_resp_t r;
    lc_err_t err;
    if (cli_http_request(ctx->url, "POST", "/v1/identity", NULL, NULL, NULL, 0, NULL, NULL, &r,
                         &err))
        return unreachable(ctx, &err);
    int code = cli_exit_for_status(r.status);
    json_t *j = code ? NULL : json_loads(r.body, 0, NULL);
    const char *tok = json_string_value(json_object_get(j, "token"));
    const char *id = json_string_value(json_object_get(j, "identity"));
    if (code)
        cli_errorf("the server refused a new identity (HTTP %d): %s", r.status, r.body);
    else if (!tok || !id) {
        cli_errorf("the server sent no identity");
        code = CLI_EXIT_FAILURE;
    } else {
        cli_config_set_token(&ctx->cfg, ctx->server, tok, id);
        if (cli_config_save(&ctx->cfg, &err)) {
            cli_errorf("%s", err.msg);
            code = CLI_EXIT_FAILURE;
        } else if (announce) {
            fprintf(stderr, "Saved a new identity %s for server '%s'\n", id, ctx->server);
        }
    }
    json_decref(j);
    cli_http_resp_free(&r);
    return code;
}

int cli_ctx_token(cli_ctx_t *ctx, const char **token)
{
    *token = cli_config_token(&ctx->cfg, ctx->server);
    if (*token)
        return CLI_EXIT_OK;
    int code = new_identity(ctx, true);
    *token = cli_config_token(&ctx->cfg, ctx->server);
    return code;
}

int cli_ctx_request(cli_ctx_t *ctx, const char *method, const char *path, bool with_token,
                    const char *ctype, const void *body, size_t len, cli_http_data_cb on_data,
                    void *arg, cli_http_resp_t *out)
{
    const char *token = NULL;
    memset(out, 0, sizeof *out);
    if (with_token) {
        int code = cli_ctx_token(ctx, &token);
        if (code)
            return code;
    }
    lc_err_t err;
    if (cli_http_request(ctx->url, method, path, token, ctype, body, len, on_data, arg, out,
                         &err)) {
        if (out->status == 0 && (err.code == LC_EIO || err.code == LC_EINVAL))
            return unreachable(ctx, &err);
        cli_errorf("%s", err.msg);
        return CLI_EXIT_FAILURE;
    }
    int code = cli_exit_for_status(out->status);
    if (code) {
        const char *msg = out->body && out->body[0] ? out->body : "(no details)";
        json_t *j = msg[0] == '{' ? json_loads(msg, 0, NULL) : NULL;
        const char *denied =
            json_string_value(json_object_get(json_object_get(j, "PermissionDenied"), "name"));
        /* The server's typed refusals: {"OtherError": "..."} and
         * {"NotYourDatabase": {"database": "<hex>"}}. */
        const char *other = json_string_value(json_object_get(j, "OtherError"));
        const char *notyours =
            json_string_value(json_object_get(json_object_get(j, "NotYourDatabase"), "database"));
        if (denied)
            cli_errorf("permission denied: database '%s' belongs to another identity", denied);
        else if (other)
            cli_errorf("%s", other);
        else if (notyours)
            cli_errorf("permission denied: database %s belongs to another identity", notyours);
        else
            cli_errorf("%s", msg);
        json_decref(j);
        if (out->status == 401)
            fprintf(stderr,
                    "hint: the stored token is not valid here: run 'lightcone logout "
                    "-s %s' or 'lightcone login -s %s'\n",
                    ctx->server, ctx->server);
    }
    return code;
}

/* ---------------------------------------------------------------- option parsing */

int cli_parse(const cli_command_t *cmd, int argc, char **argv, const char *shorts,
              const struct option *extra, cli_opt_cb cb, void *arg, cli_opts_t *co)
{
    struct option opts[20] = {
        {"server", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'J'},
        {"yes", no_argument, NULL, 'y'},
        {"help", no_argument, NULL, 'h'},
    };
    size_t n = 4;
    for (; extra && extra[n - 4].name && n < 19; n++) opts[n] = extra[n - 4];
    opts[n] = (struct option){0};
    char optstring[64];
    bool in_order = shorts && shorts[0] == '+';
    snprintf(optstring, sizeof optstring, "%shs:y%s", in_order ? "+" : "",
             shorts ? shorts + in_order : "");
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
        if (opt == 'h') {
            cli_print_usage(stdout, cmd);
            return -1;
        }
        if (opt == 's')
            co->server = optarg;
        else if (opt == 'J')
            co->json = true;
        else if (opt == 'y')
            co->yes = true;
        else if (opt == '?' || opt == ':' || !cb)
            return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        else {
            int rc = cb(arg, opt, optarg);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
}

/* ---------------------------------------------------------------- identity */

static int show_identity(cli_ctx_t *ctx, bool json)
{
    const char *id = cli_config_identity(&ctx->cfg, ctx->server);
    const char *tok = cli_config_token(&ctx->cfg, ctx->server);
    char hex[65];
    if (!id && tok && cli_token_identity(tok, hex) == 0)
        id = hex;
    if (!tok) {
        cli_errorf("no identity for server '%s': run 'lightcone identity new' or 'lightcone "
                   "login'",
                   ctx->server);
        return CLI_EXIT_FAILURE;
    }
    if (json) {
        json_t *j =
            json_pack("{s:s, s:s, s:s?}", "server", ctx->server, "url", ctx->url, "identity", id);
        print_json(j);
        json_decref(j);
    } else {
        printf("%s\n", id ? id : "(unknown: the token carries no hex_identity)");
    }
    return CLI_EXIT_OK;
}

int cli_cmd_identity(const cli_command_t *cmd, int argc, char **argv)
{
    cli_opts_t co = {0};
    int rc = cli_parse(cmd, argc, argv, NULL, NULL, NULL, NULL, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    const char *sub = optind < argc ? argv[optind] : NULL;
    if (sub && strcmp(sub, "new") != 0 && strcmp(sub, "show") != 0)
        return cli_usage_error(cmd, "unknown subcommand '%s' (expected new or show)", sub);
    if (optind + 1 < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server)))
        return rc;
    if (sub && strcmp(sub, "new") == 0)
        rc = new_identity(&ctx, false);
    if (rc == CLI_EXIT_OK)
        rc = show_identity(&ctx, co.json);
    cli_ctx_close(&ctx);
    return rc;
}

/* ---------------------------------------------------------------- login, logout */

typedef struct login_opts {
    const char *token;
    bool server_issued;
} login_opts_t;

static int login_opt(void *arg, int opt, const char *val)
{
    login_opts_t *o = arg;
    if (opt == 'T')
        o->token = val;
    else
        o->server_issued = true;
    return 0;
}

static int login_with_token(cli_ctx_t *ctx, const char *token)
{
    char hex[65];
    bool known = cli_token_identity(token, hex) == 0;
    cli_config_set_token(&ctx->cfg, ctx->server, token, known ? hex : NULL);
    lc_err_t err;
    if (cli_config_save(&ctx->cfg, &err)) {
        cli_errorf("%s", err.msg);
        return CLI_EXIT_FAILURE;
    }
    printf("Logged in to '%s' as %s\n", ctx->server, known ? hex : "(unknown identity)");
    return CLI_EXIT_OK;
}

int cli_cmd_login(const cli_command_t *cmd, int argc, char **argv)
{
    static const struct option extra[] = {
        {"token", required_argument, NULL, 'T'},
        {"server-issued-login", no_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    cli_opts_t co = {0};
    login_opts_t lo = {0};
    int rc = cli_parse(cmd, argc, argv, NULL, extra, login_opt, &lo, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    bool show = optind < argc && strcmp(argv[optind], "show") == 0;
    if (show)
        optind++;
    if (lo.server_issued && optind < argc && !co.server)
        co.server = argv[optind++]; /* the reference's --server-issued-login SERVER */
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!show && !lo.token && !lo.server_issued)
        return cli_usage_error(cmd, "%s",
                               "pass --token TOKEN or --server-issued-login (no web login here)");
    if (lo.token && lo.server_issued)
        return cli_usage_error(cmd, "%s", "--token and --server-issued-login exclude each other");
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server)))
        return rc;
    if (show)
        rc = show_identity(&ctx, co.json);
    else if (lo.token)
        rc = login_with_token(&ctx, lo.token);
    else if ((rc = new_identity(&ctx, false)) == CLI_EXIT_OK)
        printf("Logged in to '%s' as %s\n", ctx.server, cli_config_identity(&ctx.cfg, ctx.server));
    cli_ctx_close(&ctx);
    return rc;
}

int cli_cmd_logout(const cli_command_t *cmd, int argc, char **argv)
{
    cli_opts_t co = {0};
    int rc = cli_parse(cmd, argc, argv, NULL, NULL, NULL, NULL, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server)))
        return rc;
    bool had = cli_config_token(&ctx.cfg, ctx.server) != NULL;
    cli_config_set_token(&ctx.cfg, ctx.server, NULL, NULL);
    lc_err_t err;
    if (cli_config_save(&ctx.cfg, &err)) {
        cli_errorf("%s", err.msg);
        rc = CLI_EXIT_FAILURE;
    } else {
        printf(had ? "Logged out of '%s'\n" : "Not logged in to '%s'\n", ctx.server);
    }
    cli_ctx_close(&ctx);
    return rc;
}

/* ---------------------------------------------------------------- server */

static bool valid_nickname(const char *s)
{
    if (!*s || strlen(s) > 64 || strncmp(s, "http", 4) == 0)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

static int save_or_fail(cli_config_t *c)
{
    lc_err_t err;
    if (cli_config_save(c, &err)) {
        cli_errorf("%s", err.msg);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

typedef struct server_opts {
    const char *url;
    bool make_default;
} server_opts_t;

static int server_opt(void *arg, int opt, const char *val)
{
    server_opts_t *o = arg;
    if (opt == 'u')
        o->url = val;
    else
        o->make_default = true;
    return 0;
}

static int server_add(const cli_command_t *cmd, cli_config_t *c, int argc, char **argv,
                      server_opts_t *so)
{
    if (argc < 1 || argc > 2 || (argc == 2) == (so->url != NULL))
        return cli_usage_error(cmd, "%s", "usage: server add NAME URL (or --url URL NAME)");
    const char *name = argv[0], *url = so->url ? so->url : argv[1];
    if (!valid_nickname(name))
        return cli_usage_error(cmd, "bad server name '%s' (letters, digits, - and _)", name);
    cli_url_t parsed;
    lc_err_t err;
    if (cli_url_parse(url, &parsed, &err) != LC_OK)
        return cli_usage_error(cmd, "expected an http:// or https:// URL, got '%s'", url);
    if (strcmp(name, "local") != 0 && json_object_get(section(c, "servers"), name))
        return cli_usage_error(cmd, "server '%s' already exists", name);
    json_object_set_new(section(c, "servers"), name, json_string(url));
    if (so->make_default)
        json_object_set_new(c->root, "default_server", json_string(name));
    int rc = save_or_fail(c);
    if (rc == CLI_EXIT_OK)
        printf("Added server '%s' at %s%s\n", name, url, so->make_default ? " (default)" : "");
    return rc;
}

static int server_list(cli_config_t *c, bool json)
{
    json_t *servers = json_object();
    json_object_set_new(servers, "local", json_string(CLI_LOCAL_URL));
    json_object_update(servers, section(c, "servers"));
    const char *def = cli_config_default_server(c);
    if (json) {
        json_t *j = json_pack("{s:s, s:O}", "default_server", def, "servers", servers);
        print_json(j);
        json_decref(j);
        json_decref(servers);
        return CLI_EXIT_OK;
    }
    size_t n = json_object_size(servers), i = 0;
    const char **cells = lc_calloc(n * 3 + 1, sizeof *cells);
    if (!cells) {
        json_decref(servers);
        cli_errorf("out of memory");
        return CLI_EXIT_FAILURE;
    }
    const char *key;
    json_t *v;
    json_object_foreach(servers, key, v)
    {
        cells[i * 3] = strcmp(key, def) == 0 ? "***" : "";
        cells[i * 3 + 1] = key;
        cells[i * 3 + 2] = json_string_value(v);
        i++;
    }
    static const char *const headers[] = {"default", "name", "url"};
    lc_buf_t out;
    lc_buf_init(&out);
    if (sats_print_table(&out, 3, headers, (uint32_t)n, cells) == LC_OK)
        fwrite(out.data, 1, out.len, stdout);
    lc_buf_free(&out);
    lc_free(cells);
    json_decref(servers);
    return CLI_EXIT_OK;
}

static int server_ping(cli_ctx_t *ctx)
{
    cli_http_resp_t r;
    int rc = cli_ctx_request(ctx, "GET", "/v1/ping", false, NULL, NULL, 0, NULL, NULL, &r);
    cli_http_resp_free(&r);
    if (rc == CLI_EXIT_OK)
        printf("Server is online: %s\n", ctx->url);
    return rc;
}

static int server_named(const cli_command_t *cmd, cli_config_t *c, const char *sub, int argc,
                        char **argv)
{
    if (argc != 1)
        return cli_usage_error(cmd, "server %s: expected one server name", sub);
    const char *name = argv[0];
    bool known = json_object_get(section(c, "servers"), name) || strcmp(name, "local") == 0;
    if (!known) {
        cli_errorf("unknown server '%s'", name);
        return CLI_EXIT_NOT_FOUND;
    }
    if (strcmp(sub, "set-default") == 0) {
        json_object_set_new(c->root, "default_server", json_string(name));
        int rc = save_or_fail(c);
        if (rc == CLI_EXIT_OK)
            printf("Default server: '%s'\n", name);
        return rc;
    }
    if (strcmp(name, "local") == 0 && !json_object_get(section(c, "servers"), name))
        return cli_usage_error(cmd, "%s", "'local' is built in and cannot be removed");
    json_object_del(section(c, "servers"), name);
    cli_config_set_token(c, name, NULL, NULL);
    if (strcmp(cli_config_default_server(c), name) == 0)
        json_object_del(c->root, "default_server");
    int rc = save_or_fail(c);
    if (rc == CLI_EXIT_OK)
        printf("Removed server '%s'\n", name);
    return rc;
}

int cli_cmd_server(const cli_command_t *cmd, int argc, char **argv)
{
    static const struct option extra[] = {
        {"url", required_argument, NULL, 'u'},
        {"default", no_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    cli_opts_t co = {0};
    server_opts_t so = {0};
    /* Options may follow the subcommand: parse from after it. */
    if (argc < 2 || argv[1][0] == '-') {
        int rc = cli_parse(cmd, argc, argv, "d", extra, server_opt, &so, &co);
        if (rc)
            return rc < 0 ? CLI_EXIT_OK : rc;
        return cli_usage_error(cmd, "%s", "expected add, list, set-default, remove or ping");
    }
    const char *sub = argv[1];
    int rc = cli_parse(cmd, argc - 1, argv + 1, "d", extra, server_opt, &so, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    int nargs = argc - 1 - optind;
    char **args = argv + 1 + optind;
    cli_ctx_t ctx = {0};
    bool ping = strcmp(sub, "ping") == 0;
    if (ping && nargs > 1)
        return cli_usage_error(cmd, "%s", "server ping: expected at most one server");
    if ((rc = cli_ctx_open(&ctx, cmd, ping && nargs == 1 ? args[0] : co.server)))
        return rc;
    if (strcmp(sub, "add") == 0)
        rc = server_add(cmd, &ctx.cfg, nargs, args, &so);
    else if (strcmp(sub, "list") == 0)
        rc = nargs ? cli_usage_error(cmd, "unexpected argument '%s'", args[0])
                   : server_list(&ctx.cfg, co.json);
    else if (strcmp(sub, "set-default") == 0 || strcmp(sub, "remove") == 0)
        rc = server_named(cmd, &ctx.cfg, sub, nargs, args);
    else if (ping)
        rc = server_ping(&ctx);
    else
        rc = cli_usage_error(cmd, "unknown subcommand '%s'", sub);
    cli_ctx_close(&ctx);
    return rc;
}
