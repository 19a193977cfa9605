/*
 * cmd_client.c — the commands that talk to a server's /v1 HTTP API
 * (protocol.md §8): publish, delete, logs, call, sql (and its -i session,
 * cmd_repl.c), describe, rename, list.
 *
 * Each parses its options with cli_parse, opens a cli_ctx (configuration +
 * server), makes its requests with cli_ctx_request (which maps the HTTP
 * status to the exit code and prints the server's error text), and prints
 * the result as text, or as JSON with --json.
 */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_int.h"
#include "module/mod_log.h"
#include "sats/sats.h"

/* ---------------------------------------------------------------- helpers */

static int need_args(const cli_command_t *cmd, int have, int min, int max, char **argv)
{
    if (have < min)
        return cli_usage_error(cmd, "%s", "missing arguments");
    if (max >= 0 && have > max)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[max]);
    return 0;
}

/* "/v1/database/<escaped name><suffix>" into b. */
static const char *db_path(lc_buf_t *b, const char *name, const char *suffix)
{
    lc_buf_reset(b);
    lc_buf_puts(b, "/v1/database/");
    cli_http_escape(b, name);
    lc_buf_puts(b, suffix);
    lc_buf_terminate(b);
    return b->oom ? "/" : (const char *)b->data;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (s)
        puts(s);
    free(s);
}

static bool confirm(const char *question)
{
    if (!isatty(0))
        return false;
    fprintf(stderr, "%s [y/N] ", question);
    char line[16];
    return fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y');
}

static void progress(const char *fmt, const char *arg)
{
    bool c = cli_color(2);
    fflush(stdout);
    fputs(c ? "\033[2m" : "", stderr);
    fprintf(stderr, fmt, arg);
    fputs(c ? "\033[0m\n" : "\n", stderr);
}

/* ---------------------------------------------------------------- publish */

typedef struct publish_opts {
    const char *dir, *bin;
    bool clear;
} publish_opts_t;

static int publish_opt(void *arg, int opt, const char *val)
{
    publish_opts_t *o = arg;
    if (opt == 'p')
        o->dir = val;
    else if (opt == 'b')
        o->bin = val;
    else if (opt == 'c')
        o->clear = !val || strcmp(val, "never") != 0;
    return 0;
}

static int print_published(const cli_http_resp_t *r)
{
    json_t *j = json_loads(r->body, 0, NULL);
    json_t *s = json_object_get(j, "Success");
    const char *dom = json_string_value(json_object_get(s, "domain"));
    const char *id = json_string_value(json_object_get(s, "database_identity"));
    const char *op = json_string_value(json_object_get(s, "op"));
    int rc = CLI_EXIT_OK;
    if (!id || !op) {
        cli_errorf("unexpected answer from the server: %s", r->body);
        rc = CLI_EXIT_FAILURE;
    } else {
        bool created = strcmp(op, "created") == 0;
        bool c = cli_color(1);
        printf("%s%s database%s", c ? "\033[32m" : "", created ? "Created new" : "Updated",
               c ? "\033[0m" : "");
        if (dom)
            printf(" with name: %s, identity: %s\n", dom, id);
        else
            printf(" with identity: %s\n", id);
    }
    json_decref(j);
    return rc;
}

/* The module's bytes: read -b FILE, or build -p DIR (default .) first. */
static char *module_bytes(const publish_opts_t *o, size_t *len)
{
    char built[PATH_MAX + 64];
    const char *path = o->bin;
    if (!path) {
        const char *dir = o->dir ? o->dir : ".";
        progress("Building module in %s...", dir);
        if (cli_build_module(dir, NULL, false, built, sizeof built) != CLI_EXIT_OK)
            return NULL;
        path = built;
    }
    char *bytes = (char *)cli_read_file(path, len);
    if (!bytes)
        cli_errorf("cannot read %s", path);
    return bytes;
}

/* Send the module and wait while the server compiles it (wasm2c + cc, some
 * seconds): a live progress line on a terminal, the plain stage lines
 * otherwise.  An exit code. */
static int upload(cli_ctx_t *ctx, const char *method, const char *path, const char *wasm,
                  size_t len, cli_http_resp_t *r)
{
    char stage[600];
    snprintf(stage, sizeof stage, "uploading %.1f KB to %s", (double)len / 1024, ctx->url);
    cli_progress_t pr;
    cli_progress_start(&pr, stage, "compiling on the server (wasm2c + cc)");
    if (!cli_progress_live(&pr)) {
        fprintf(stderr, "Uploading %zu bytes to %s (%s)...\n", len, ctx->server, ctx->url);
        progress("Publishing%s...", strcmp(method, "POST") == 0 ? " a new database" : "");
    }
    int rc = cli_ctx_request(ctx, method, path, true, "application/wasm", wasm, len, NULL, NULL, r);
    cli_progress_end(&pr, rc == CLI_EXIT_OK ? "compiled and published" : NULL);
    return rc;
}

int cli_cmd_publish(const cli_command_t *cmd, int argc, char **argv)
{
    static const struct option extra[] = {
        {"module-path", required_argument, NULL, 'p'},
        {"project-path", required_argument, NULL, 'p'},
        {"bin-path", required_argument, NULL, 'b'},
        {"delete-data", optional_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    cli_opts_t co = {0};
    publish_opts_t po = {0};
    int rc = cli_parse(cmd, argc, argv, "p:b:c", extra, publish_opt, &po, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = need_args(cmd, argc - optind, 0, 1, argv + optind)))
        return rc;
    if (po.dir && po.bin)
        return cli_usage_error(cmd, "%s", "-p and -b exclude each other");
    const char *name = optind < argc ? argv[optind] : NULL;
    if (po.clear && !co.yes && !confirm("This deletes all data of the database. Continue?")) {
        cli_errorf("--delete-data deletes all data: confirm with -y");
        return CLI_EXIT_USAGE;
    }
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server)))
        return rc;
    size_t len;
    char *wasm = module_bytes(&po, &len);
    if (!wasm) {
        cli_ctx_close(&ctx);
        return CLI_EXIT_FAILURE;
    }
    lc_buf_t path;
    lc_buf_init(&path);
    const char *p = name ? db_path(&path, name, po.clear ? "?clear=true" : "") : "/v1/database";
    cli_http_resp_t r = {0};
    const char *token;
    /* The token first: a new identity is announced on stderr, which must not
     * land in the middle of the progress line. */
    if ((rc = cli_ctx_token(&ctx, &token)) == CLI_EXIT_OK) {
        rc = upload(&ctx, name ? "PUT" : "POST", p, wasm, len, &r);
        if (rc == CLI_EXIT_OK)
            rc = print_published(&r);
    }
    cli_http_resp_free(&r);
    lc_buf_free(&path);
    lc_free(wasm);
    cli_ctx_close(&ctx);
    return rc;
}

/* ---------------------------------------------------------------- delete */

/* 404 (exit 4) when name does not exist: DELETE itself answers 200 then. */
static int check_exists(cli_ctx_t *ctx, const char *name)
{
    lc_buf_t path;
    lc_buf_init(&path);
    cli_http_resp_t r;
    int rc =
        cli_ctx_request(ctx, "GET", db_path(&path, name, ""), false, NULL, NULL, 0, NULL, NULL, &r);
    cli_http_resp_free(&r);
    lc_buf_free(&path);
    return rc;
}

int cli_cmd_delete(const cli_command_t *cmd, int argc, char **argv)
{
    cli_opts_t co = {0};
    int rc = cli_parse(cmd, argc, argv, NULL, NULL, NULL, NULL, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = need_args(cmd, argc - optind, 1, 1, argv + optind)))
        return rc;
    const char *name = argv[optind];
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server)))
        return rc;
    if ((rc = check_exists(&ctx, name)) == CLI_EXIT_OK && !co.yes && isatty(0) &&
        !confirm("Delete the database and all its data?"))
        rc = CLI_EXIT_FAILURE;
    if (rc == CLI_EXIT_OK) {
        lc_buf_t path;
        lc_buf_init(&path);
        cli_http_resp_t r;
        rc = cli_ctx_request(&ctx, "DELETE", db_path(&path, name, ""), true, NULL, NULL, 0, NULL,
                             NULL, &r);
        if (rc == CLI_EXIT_OK)
            printf("Deleted database %s\n", name);
        cli_http_resp_free(&r);
        lc_buf_free(&path);
    }
    cli_ctx_close(&ctx);
    return rc;
}

/* ---------------------------------------------------------------- logs */

typedef struct logs_opts {
    const char *num;
    bool follow, json, has_level;
    mod_log_level_t level;
    const cli_command_t *cmd;
    lc_buf_t partial; /* a line not yet complete */
    lc_buf_t text;
} logs_opts_t;

static int logs_opt(void *arg, int opt, const char *val)
{
    logs_opts_t *o = arg;
    char *end;
    switch (opt) {
    case 'n':
        (void)strtoul(val, &end, 10);
        if (*end || !*val || val[0] == '-')
            return cli_usage_error(o->cmd, "-n: expected a number, got '%s'", val);
        o->num = val;
        return 0;
    case 'f':
        o->follow = true;
        return 0;
    case 'F':
        if (strcmp(val, "json") != 0 && strcmp(val, "text") != 0)
            return cli_usage_error(o->cmd, "--format: expected text or json, got '%s'", val);
        o->json = strcmp(val, "json") == 0;
        return 0;
    default:
        if (mod_log_level_parse(val, &o->level))
            return cli_usage_error(o->cmd, "--level: expected trace .. panic, got '%s'", val);
        o->has_level = true;
        return 0;
    }
}

static void print_line(logs_opts_t *o, const char *line, size_t len)
{
    mod_log_level_t lv;
    if (len == 0)
        return;
    if (o->has_level && mod_log_line_level(line, len, &lv) == LC_OK &&
        !mod_log_level_passes(lv, o->level))
        return;
    if (o->json) {
        fwrite(line, 1, len, stdout);
        fputc('\n', stdout);
        return;
    }
    lc_buf_reset(&o->text);
    if (mod_log_format_text(line, len, &o->text) == LC_OK)
        fwrite(o->text.data, 1, o->text.len, stdout);
    else
        fprintf(stdout, "%.*s\n", (int)len, line);
}

static int logs_data(void *arg, const char *p, size_t n)
{
    logs_opts_t *o = arg;
    lc_buf_append(&o->partial, p, n);
    size_t start = 0;
    for (size_t i = 0; i < o->partial.len; i++) {
        if (o->partial.data[i] != '\n')
            continue;
        print_line(o, (const char *)o->partial.data + start, i - start);
        start = i + 1;
    }
    memmove(o->partial.data, o->partial.data + start, o->partial.len - start);
    o->partial.len -= start;
    fflush(stdout);
    return ferror(stdout) ? -1 : 0;
}

int cli_cmd_logs(const cli_command_t *cmd, int argc, char **argv)
{
    static const struct option extra[] = {
        {"num-lines", required_argument, NULL, 'n'},
        {"follow", no_argument, NULL, 'f'},
        {"format", required_argument, NULL, 'F'},
        {"level", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    cli_opts_t co = {0};
    logs_opts_t lo = {.cmd = cmd};
    int rc = cli_parse(cmd, argc, argv, "n:fl:", extra, logs_opt, &lo, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = need_args(cmd, argc - optind, 1, 1, argv + optind)))
        return rc;
    lo.json = lo.json || co.json;
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server)))
        return rc;
    lc_buf_t path, q;
    lc_buf_init(&path);
    lc_buf_init(&q);
    lc_buf_printf(&q, "/logs?follow=%s", lo.follow ? "true" : "false");
    if (lo.num)
        lc_buf_printf(&q, "&num_lines=%s", lo.num);
    lc_buf_terminate(&q);
    cli_http_resp_t r;
    rc = cli_ctx_request(&ctx, "GET", db_path(&path, argv[optind], (const char *)q.data), true,
                         NULL, NULL, 0, logs_data, &lo, &r);
    if (lo.partial.len)
        print_line(&lo, (const char *)lo.partial.data, lo.partial.len);
    cli_http_resp_free(&r);
    lc_buf_free(&lo.partial);
    lc_buf_free(&lo.text);
    lc_buf_free(&path);
    lc_buf_free(&q);
    cli_ctx_close(&ctx);
    return rc;
}

/* ---------------------------------------------------------------- call */

/* "[a1,a2,...]" from arguments that must each be JSON. */
static int call_body(const cli_command_t *cmd, int n, char **args, lc_buf_t *out)
{
    lc_buf_putc(out, '[');
    for (int i = 0; i < n; i++) {
        json_error_t je;
        json_t *v = json_loads(args[i], JSON_DECODE_ANY, &je);
        if (!v) {
            cli_usage_error(cmd, "argument '%s' is not JSON (quote strings: '\"text\"')", args[i]);
            return CLI_EXIT_USAGE;
        }
        json_decref(v);
        if (i)
            lc_buf_putc(out, ',');
        lc_buf_puts(out, args[i]);
    }
    lc_buf_putc(out, ']');
    return out->oom ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int cli_cmd_call(const cli_command_t *cmd, int argc, char **argv)
{
    cli_opts_t co = {0};
    /* In order: arguments such as -5 are values, not options. */
    int rc = cli_parse(cmd, argc, argv, "+", NULL, NULL, NULL, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = need_args(cmd, argc - optind, 2, -1, argv + optind)))
        return rc;
    const char *name = argv[optind], *reducer = argv[optind + 1];
    lc_buf_t body, path;
    lc_buf_init(&body);
    lc_buf_init(&path);
    if ((rc = call_body(cmd, argc - optind - 2, argv + optind + 2, &body))) {
        lc_buf_free(&body);
        return rc;
    }
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server))) {
        lc_buf_free(&body);
        return rc;
    }
    lc_buf_t suffix;
    lc_buf_init(&suffix);
    lc_buf_puts(&suffix, "/call/");
    cli_http_escape(&suffix, reducer);
    lc_buf_terminate(&suffix);
    cli_http_resp_t r;
    rc = cli_ctx_request(&ctx, "POST", db_path(&path, name, (const char *)suffix.data), true,
                         "application/json", body.data, body.len, NULL, NULL, &r);
    if (rc == CLI_EXIT_OK && r.len)
        printf("%s\n", r.body); /* a procedure's return value */
    else if (rc == CLI_EXIT_OK && co.json) {
        json_t *j = json_pack("{s:s, s:s}", "reducer", reducer, "status", "committed");
        print_json(j);
        json_decref(j);
    }
    cli_http_resp_free(&r);
    lc_buf_free(&suffix);
    lc_buf_free(&body);
    lc_buf_free(&path);
    cli_ctx_close(&ctx);
    return rc;
}

/* ---------------------------------------------------------------- sql */

/* A sats type from its SATS-JSON (the /sql "schema" form); NULL if unknown. */
static const sats_type_t *type_from_json(lc_arena_t *a, json_t *j, int depth)
{
    const char *key = json_object_iter_key(json_object_iter(j));
    json_t *v = json_object_iter_value(json_object_iter(j));
    if (!key || depth > SATS_MAX_DEPTH)
        return NULL;
    if (strcmp(key, "Ref") == 0)
        return sats_type_ref(a, (uint32_t)json_integer_value(v));
    if (strcmp(key, "Array") == 0) {
        const sats_type_t *e = type_from_json(a, v, depth + 1);
        return e ? sats_type_array(a, e) : NULL;
    }
    bool product = strcmp(key, "Product") == 0;
    if (product || strcmp(key, "Sum") == 0) {
        json_t *items = json_object_get(v, product ? "elements" : "variants");
        size_t n = json_array_size(items);
        const char **names = lc_arena_alloc(a, (n + 1) * sizeof *names);
        const sats_type_t **types = lc_arena_alloc(a, (n + 1) * sizeof *types);
        if (!names || !types)
            return NULL;
        for (size_t i = 0; i < n; i++) {
            json_t *it = json_array_get(items, i);
            names[i] = json_string_value(json_object_get(json_object_get(it, "name"), "some"));
            if (!(types[i] = type_from_json(a, json_object_get(it, "algebraic_type"), depth + 1)))
                return NULL;
        }
        return product ? sats_type_product(a, (uint32_t)n, names, types)
                       : sats_type_sum(a, (uint32_t)n, names, types);
    }
    for (int k = SATS_STRING; k < SATS_KIND_COUNT; k++)
        if (strcmp(key, sats_kind_name((sats_kind_t)k)) == 0)
            return sats_prim((sats_kind_t)k);
    return NULL;
}

/* One cell as the reference prints it; raw JSON when the type is unknown. */
static char *cell_text(lc_arena_t *a, const sats_type_t *t, json_t *cell)
{
    lc_buf_t b;
    lc_buf_init(&b);
    sats_value_t v;
    lc_err_t err;
    if (!t || sats_json_to_value(a, cell, NULL, t, &v, &err) || sats_print_value(&b, NULL, t, &v)) {
        lc_buf_reset(&b);
        char *s = json_dumps(cell, JSON_COMPACT | JSON_ENCODE_ANY);
        lc_buf_puts(&b, s ? s : "?");
        free(s);
    }
    lc_buf_terminate(&b);
    return (char *)lc_buf_take(&b, NULL);
}

static int print_result(json_t *res)
{
    json_t *elems = json_object_get(json_object_get(res, "schema"), "elements");
    json_t *rows = json_object_get(res, "rows");
    size_t ncols = json_array_size(elems), nrows = json_array_size(rows);
    lc_arena_t a;
    lc_arena_init(&a, 0);
    const char **headers = lc_arena_alloc(&a, (ncols + 1) * sizeof *headers);
    const sats_type_t **types = lc_arena_alloc(&a, (ncols + 1) * sizeof *types);
    char **cells = lc_calloc(ncols * nrows + 1, sizeof *cells);
    int rc = headers && types && cells ? LC_OK : LC_ENOMEM;
    for (size_t c = 0; rc == LC_OK && c < ncols; c++) {
        json_t *e = json_array_get(elems, c);
        const char *n = json_string_value(json_object_get(json_object_get(e, "name"), "some"));
        headers[c] = n ? n : "?column?";
        types[c] = type_from_json(&a, json_object_get(e, "algebraic_type"), 0);
    }
    for (size_t r = 0; rc == LC_OK && r < nrows; r++)
        for (size_t c = 0; c < ncols; c++)
            cells[r * ncols + c] =
                cell_text(&a, types[c], json_array_get(json_array_get(rows, r), c));
    lc_buf_t out;
    lc_buf_init(&out);
    if (rc == LC_OK && ncols)
        rc = sats_print_table(&out, (uint32_t)ncols, headers, (uint32_t)nrows,
                              (const char *const *)cells);
    fwrite(out.data, 1, out.len, stdout);
    lc_buf_free(&out);
    for (size_t i = 0; cells && i < ncols * nrows; i++) lc_free(cells[i]);
    lc_free(cells);
    lc_arena_free(&a);
    return rc;
}

/* POST one query to NAME/sql and print its results (tables, or JSON). */
static int run_sql(cli_ctx_t *ctx, const char *name, const char *q, size_t len, bool json)
{
    lc_buf_t path;
    lc_buf_init(&path);
    cli_http_resp_t r;
    int rc = cli_ctx_request(ctx, "POST", db_path(&path, name, "/sql"), true,
                             "text/plain; charset=utf-8", q, len, NULL, NULL, &r);
    json_t *j = rc == CLI_EXIT_OK ? json_loads(r.body, 0, NULL) : NULL;
    if (rc == CLI_EXIT_OK && !json_is_array(j)) {
        cli_errorf("unexpected answer from the server: %s", r.body);
        rc = CLI_EXIT_FAILURE;
    } else if (rc == CLI_EXIT_OK && json) {
        print_json(j);
    } else if (rc == CLI_EXIT_OK) {
        for (size_t i = 0; i < json_array_size(j); i++)
            if (print_result(json_array_get(j, i)) != LC_OK)
                rc = CLI_EXIT_FAILURE;
    }
    json_decref(j);
    cli_http_resp_free(&r);
    lc_buf_free(&path);
    return rc;
}

/* cmd_repl.c */

typedef struct sql_session {
    cli_ctx_t *ctx;
    const char *name;
    bool json;
} sql_session_t;

static int session_exec(void *arg, const char *stmt)
{
    sql_session_t *s = arg;
    return run_sql(s->ctx, s->name, stmt, strlen(stmt), s->json);
}

static int sql_opt(void *arg, int opt, const char *val)
{
    (void)val;
    if (opt == 'i')
        *(bool *)arg = true;
    return 0;
}

/* `sql NAME -i`: one statement per line until \q or end of input. */
static int sql_interactive(cli_ctx_t *ctx, const char *name, bool json)
{
    int rc = check_exists(ctx, name); /* fail at once, not at the first statement */
    if (rc != CLI_EXIT_OK)
        return rc;
    lc_buf_t prompt;
    lc_buf_init(&prompt);
    lc_buf_printf(&prompt, "%s> ", name);
    lc_buf_terminate(&prompt);
    sql_session_t s = {ctx, name, json};
    rc = cli_repl(prompt.oom ? "> " : (const char *)prompt.data, session_exec, &s);
    lc_buf_free(&prompt);
    return rc;
}

int cli_cmd_sql(const cli_command_t *cmd, int argc, char **argv)
{
    static const struct option extra[] = {
        {"interactive", no_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    cli_opts_t co = {0};
    bool interactive = false;
    int rc = cli_parse(cmd, argc, argv, "i", extra, sql_opt, &interactive, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = need_args(cmd, argc - optind, interactive ? 1 : 2, interactive ? 1 : -1,
                        argv + optind)))
        return rc;
    lc_buf_t q;
    lc_buf_init(&q);
    for (int i = optind + 1; i < argc; i++)
        lc_buf_printf(&q, "%s%s", i > optind + 1 ? " " : "", argv[i]);
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server)) == CLI_EXIT_OK) {
        rc = interactive ? sql_interactive(&ctx, argv[optind], co.json)
                         : run_sql(&ctx, argv[optind], (const char *)q.data, q.len, co.json);
        cli_ctx_close(&ctx);
    }
    lc_buf_free(&q);
    return rc;
}

/* ---------------------------------------------------------------- describe */

/* GET a JSON document; *out NULL on failure (rc says why). */
static int get_json(cli_ctx_t *ctx, const char *path, json_t **out)
{
    cli_http_resp_t r;
    *out = NULL;
    int rc = cli_ctx_request(ctx, "GET", path, false, NULL, NULL, 0, NULL, NULL, &r);
    if (rc == CLI_EXIT_OK && !(*out = json_loads(r.body, 0, NULL))) {
        cli_errorf("unexpected answer from the server: %s", r.body);
        rc = CLI_EXIT_FAILURE;
    }
    cli_http_resp_free(&r);
    return rc;
}

static const char *typed_identity(json_t *info, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(info, key), "__identity__"));
    return s && strncmp(s, "0x", 2) == 0 ? s + 2 : s;
}

/* The name the Types section gives typespace slot ref; NULL if none. */
static const char *type_slot_name(json_t *def, json_int_t ref)
{
    json_t *t;
    size_t i;
    json_array_foreach(cli_schema_section(def, "Types"), i, t)
    {
        if (json_integer_value(json_object_get(t, "ty")) == ref)
            return json_string_value(
                json_object_get(json_object_get(t, "source_name"), "source_name"));
    }
    return NULL;
}

/* An AlgebraicType as a reader would write it: u32, string, Identity,
 * Option<string>, Vec<u8>, a named type, or {a: u8, b: string}. */
static void type_text(lc_buf_t *b, json_t *def, json_t *at, int depth)
{
    json_t *p;
    const char *k = cli_type_kind(at, &p);
    if (depth > 16) {
        lc_buf_puts(b, "...");
    } else if (strcmp(k, "Ref") == 0) {
        const char *n = type_slot_name(def, json_integer_value(p));
        if (n)
            lc_buf_puts(b, n);
        else
            type_text(b, def,
                      json_array_get(json_object_get(cli_schema_section(def, "Typespace"), "types"),
                                     (size_t)json_integer_value(p)),
                      depth + 1);
    } else if (strcmp(k, "Array") == 0) {
        lc_buf_puts(b, "Vec<");
        type_text(b, def, p, depth + 1);
        lc_buf_putc(b, '>');
    } else if (strcmp(k, "Product") == 0 || strcmp(k, "Sum") == 0) {
        bool prod = k[0] == 'P';
        json_t *items = json_object_get(p, prod ? "elements" : "variants");
        const char *n0 = cli_elem_name(json_array_get(items, 0));
        const char *n1 = cli_elem_name(json_array_get(items, 1));
        if (prod && json_array_size(items) == 1 && strncmp(n0, "__", 2) == 0) {
            /* __identity__, __timestamp_micros_since_unix_epoch__, ... */
            static const char *const special[][2] = {
                {"__identity__", "Identity"},
                {"__connection_id__", "ConnectionId"},
                {"__timestamp_micros_since_unix_epoch__", "Timestamp"},
                {"__time_duration_micros__", "TimeDuration"},
                {"__uuid__", "Uuid"},
            };
            for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
                if (strcmp(n0, special[i][0]) == 0) {
                    lc_buf_puts(b, special[i][1]);
                    return;
                }
        }
        if (!prod && json_array_size(items) == 2 && !strcmp(n0, "some") && !strcmp(n1, "none")) {
            lc_buf_puts(b, "Option<");
            type_text(b, def, json_object_get(json_array_get(items, 0), "algebraic_type"),
                      depth + 1);
            lc_buf_putc(b, '>');
            return;
        }
        lc_buf_puts(b, prod ? "{" : "enum {");
        for (size_t i = 0; i < json_array_size(items); i++) {
            json_t *el = json_array_get(items, i);
            lc_buf_printf(b, "%s%s: ", i ? ", " : "", cli_elem_name(el));
            type_text(b, def, json_object_get(el, "algebraic_type"), depth + 1);
        }
        lc_buf_putc(b, '}');
    } else {
        for (const char *c = k; *c; c++) /* U32 → u32, String → string */
            lc_buf_putc(b, (uint8_t)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c));
    }
}

/* "name: type, ..." of a product's elements. */
static void fields_text(lc_buf_t *b, json_t *def, json_t *elements)
{
    for (size_t i = 0; i < json_array_size(elements); i++) {
        json_t *el = json_array_get(elements, i);
        lc_buf_printf(b, "%s%s: ", i ? ", " : "", cli_elem_name(el));
        type_text(b, def, json_object_get(el, "algebraic_type"), 0);
    }
}

/* "a, b" for a list of column positions of row type `row`. */
static void cols_text(lc_buf_t *b, json_t *row, json_t *cols)
{
    json_t *els = json_object_get(json_object_get(row, "Product"), "elements");
    for (size_t i = 0; i < json_array_size(cols); i++) {
        const char *n =
            cli_elem_name(json_array_get(els, (size_t)json_integer_value(json_array_get(cols, i))));
        lc_buf_printf(b, "%s%s", i ? ", " : "", n);
    }
}

static void print_buf(const char *label, lc_buf_t *b)
{
    lc_buf_terminate(b);
    printf("    %-12s %s\n", label, b->len ? (const char *)b->data : "(none)");
    lc_buf_reset(b);
}

static void describe_indexes(json_t *t, json_t *row, lc_buf_t *b)
{
    json_t *ix;
    size_t i;
    json_array_foreach(json_object_get(t, "indexes"), i, ix)
    {
        json_t *alg;
        const char *kind = cli_type_kind(json_object_get(ix, "algorithm"), &alg);
        json_t *cols = json_object_get(alg, "columns");
        json_t *one = json_pack("[O]", json_object_get(alg, "column"));
        const char *n =
            json_string_value(json_object_get(json_object_get(ix, "source_name"), "some"));
        lc_buf_printf(b, "%s%s (%s: ", i ? "; " : "", n ? n : "?", kind);
        cols_text(b, row, json_is_array(cols) ? cols : one);
        lc_buf_putc(b, ')');
        json_decref(one);
    }
}

static void describe_tables(json_t *def)
{
    json_t *types = json_object_get(cli_schema_section(def, "Typespace"), "types"), *t;
    lc_buf_t b;
    lc_buf_init(&b);
    size_t i;
    printf("\nTables:%s\n", json_array_size(cli_schema_section(def, "Tables")) ? "" : " (none)");
    json_array_foreach(cli_schema_section(def, "Tables"), i, t)
    {
        json_t *row = json_array_get(
            types, (size_t)json_integer_value(json_object_get(t, "product_type_ref")));
        const char *access =
            json_object_get(json_object_get(t, "table_access"), "Public") ? "public" : "private";
        bool system = json_object_get(json_object_get(t, "table_type"), "System") != NULL;
        printf("  %s (%s%s)\n", json_string_value(json_object_get(t, "source_name")), access,
               system ? ", system" : "");
        fields_text(&b, def, json_object_get(json_object_get(row, "Product"), "elements"));
        print_buf("columns:", &b);
        cols_text(&b, row, json_object_get(t, "primary_key"));
        print_buf("primary key:", &b);
        describe_indexes(t, row, &b);
        print_buf("indexes:", &b);
    }
    lc_buf_free(&b);
}

/* The lifecycle ("Init", "OnConnect", ...) of reducer name; NULL if none. */
static const char *lifecycle_of(json_t *def, const char *name)
{
    json_t *l;
    size_t i;
    json_array_foreach(cli_schema_section(def, "LifeCycleReducers"), i, l)
    {
        const char *f = json_string_value(json_object_get(l, "function_name"));
        if (f && name && strcmp(f, name) == 0)
            return json_object_iter_key(json_object_iter(json_object_get(l, "lifecycle_spec")));
    }
    return NULL;
}

static void describe_reducers(json_t *def)
{
    json_t *r;
    lc_buf_t b;
    lc_buf_init(&b);
    size_t i;
    printf("\nReducers:%s\n",
           json_array_size(cli_schema_section(def, "Reducers")) ? "" : " (none)");
    json_array_foreach(cli_schema_section(def, "Reducers"), i, r)
    {
        const char *name = json_string_value(json_object_get(r, "source_name"));
        const char *life = lifecycle_of(def, name);
        bool internal = !json_object_get(json_object_get(r, "visibility"), "ClientCallable");
        lc_buf_reset(&b);
        fields_text(&b, def, json_object_get(json_object_get(r, "params"), "elements"));
        lc_buf_terminate(&b);
        printf("  %s(%s)", name ? name : "?", b.len ? (const char *)b.data : "");
        if (life)
            printf("  [lifecycle: %s]", life);
        else if (internal)
            printf("  [internal]");
        printf("\n");
    }
    lc_buf_free(&b);
}

static void describe_text(const char *name, json_t *info, json_t *names, json_t *def)
{
    printf("Database:  %s\n", name);
    printf("Identity:  %s\n", typed_identity(info, "database_identity"));
    printf("Owner:     %s\n", typed_identity(info, "owner_identity"));
    const char *host = json_object_iter_key(json_object_iter(json_object_get(info, "host_type")));
    printf("Host type: %s\n", host ? host : "?");
    printf("Names:    ");
    json_t *arr = json_object_get(names, "names");
    for (size_t i = 0; i < json_array_size(arr); i++)
        printf(" %s", json_string_value(json_array_get(arr, i)));
    printf("%s\n", json_array_size(arr) ? "" : " (none)");
    describe_tables(def);
    describe_reducers(def);
}

int cli_cmd_describe(const cli_command_t *cmd, int argc, char **argv)
{
    cli_opts_t co = {0};
    int rc = cli_parse(cmd, argc, argv, NULL, NULL, NULL, NULL, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = need_args(cmd, argc - optind, 1, 1, argv + optind)))
        return rc;
    const char *name = argv[optind];
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server)))
        return rc;
    lc_buf_t path;
    lc_buf_init(&path);
    json_t *info = NULL, *names = NULL, *def = NULL;
    rc = cli_fetch_schema(&ctx, name, &def);
    if (rc == CLI_EXIT_OK && co.json) {
        print_json(def); /* the module definition as the server gives it */
    } else if (rc == CLI_EXIT_OK &&
               (rc = get_json(&ctx, db_path(&path, name, ""), &info)) == CLI_EXIT_OK &&
               (rc = get_json(&ctx, db_path(&path, name, "/names"), &names)) == CLI_EXIT_OK) {
        describe_text(name, info, names, def);
    }
    json_decref(info);
    json_decref(names);
    json_decref(def);
    lc_buf_free(&path);
    cli_ctx_close(&ctx);
    return rc;
}

/* ---------------------------------------------------------------- rename */

int cli_cmd_rename(const cli_command_t *cmd, int argc, char **argv)
{
    cli_opts_t co = {0};
    int rc = cli_parse(cmd, argc, argv, NULL, NULL, NULL, NULL, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = need_args(cmd, argc - optind, 2, 2, argv + optind)))
        return rc;
    const char *name = argv[optind], *to = argv[optind + 1];
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server)))
        return rc;
    json_t *body = json_pack("[s]", to);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    lc_buf_t path;
    lc_buf_init(&path);
    cli_http_resp_t r = {0};
    if (!text)
        rc = CLI_EXIT_USAGE; /* not UTF-8 */
    else
        rc = cli_ctx_request(&ctx, "PUT", db_path(&path, name, "/names"), true, "application/json",
                             text, strlen(text), NULL, NULL, &r);
    if (!text)
        cli_usage_error(cmd, "bad name '%s'", to);
    else if (rc == CLI_EXIT_OK && co.json) {
        json_t *j = json_pack("{s:s, s:s}", "old_name", name, "name", to);
        print_json(j);
        json_decref(j);
    } else if (rc == CLI_EXIT_OK)
        printf("Renamed database %s to %s\n", name, to);
    cli_http_resp_free(&r);
    lc_buf_free(&path);
    free(text);
    json_decref(body);
    cli_ctx_close(&ctx);
    return rc;
}

/* ---------------------------------------------------------------- list */

/* [{"identity": hex, "names": [...]}, ...] for the identities in ids. */
static int list_names(cli_ctx_t *ctx, json_t *ids, json_t *out)
{
    lc_buf_t path;
    lc_buf_init(&path);
    int rc = CLI_EXIT_OK;
    for (size_t i = 0; rc == CLI_EXIT_OK && i < json_array_size(ids); i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        json_t *names;
        if (!id)
            continue;
        rc = get_json(ctx, db_path(&path, id, "/names"), &names);
        if (rc == CLI_EXIT_NOT_FOUND) { /* deleted meanwhile */
            rc = CLI_EXIT_OK;
            continue;
        }
        if (rc == CLI_EXIT_OK)
            json_array_append_new(out, json_pack("{s:s, s:O}", "identity", id, "names",
                                                 json_object_get(names, "names")));
        json_decref(names);
    }
    lc_buf_free(&path);
    return rc;
}

static void list_text(const char *who, json_t *dbs)
{
    size_t n = json_array_size(dbs);
    printf("Databases owned by %s:\n\n", who);
    char **cells = lc_calloc(n * 2 + 1, sizeof *cells);
    for (size_t i = 0; cells && i < n; i++) {
        json_t *d = json_array_get(dbs, i);
        cells[i * 2] = (char *)json_string_value(json_object_get(d, "identity"));
        lc_buf_t b;
        lc_buf_init(&b);
        json_t *names = json_object_get(d, "names");
        for (size_t k = 0; k < json_array_size(names); k++)
            lc_buf_printf(&b, "%s%s", k ? ", " : "", json_string_value(json_array_get(names, k)));
        lc_buf_terminate(&b);
        cells[i * 2 + 1] = (char *)lc_buf_take(&b, NULL);
    }
    static const char *const headers[] = {"db_identity", "names"};
    lc_buf_t out;
    lc_buf_init(&out);
    if (cells &&
        sats_print_table(&out, 2, headers, (uint32_t)n, (const char *const *)cells) == LC_OK)
        fwrite(out.data, 1, out.len, stdout);
    lc_buf_free(&out);
    for (size_t i = 0; cells && i < n; i++) lc_free(cells[i * 2 + 1]);
    lc_free(cells);
}

int cli_cmd_list(const cli_command_t *cmd, int argc, char **argv)
{
    cli_opts_t co = {0};
    int rc = cli_parse(cmd, argc, argv, NULL, NULL, NULL, NULL, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = need_args(cmd, argc - optind, 0, 0, argv + optind)))
        return rc;
    cli_ctx_t ctx = {0};
    if ((rc = cli_ctx_open(&ctx, cmd, co.server)))
        return rc;
    const char *tok, *id = NULL;
    char hex[65];
    if ((rc = cli_ctx_token(&ctx, &tok)) == CLI_EXIT_OK) {
        id = cli_config_identity(&ctx.cfg, ctx.server);
        if (!id && cli_token_identity(tok, hex) == 0)
            id = hex;
        if (!id) {
            cli_errorf("the stored token names no identity: log in again");
            rc = CLI_EXIT_FAILURE;
        }
    }
    json_t *owned = NULL, *dbs = json_array();
    if (rc == CLI_EXIT_OK) {
        char path[128];
        snprintf(path, sizeof path, "/v1/identity/%s/databases", id);
        if ((rc = get_json(&ctx, path, &owned)) == CLI_EXIT_OK)
            rc = list_names(&ctx, json_object_get(owned, "identities"), dbs);
    }
    if (rc == CLI_EXIT_OK && co.json) {
        json_t *j =
            json_pack("{s:s, s:s, s:O}", "server", ctx.server, "identity", id, "databases", dbs);
        print_json(j);
        json_decref(j);
    } else if (rc == CLI_EXIT_OK) {
        list_text(id, dbs);
    }
    json_decref(owned);
    json_decref(dbs);
    cli_ctx_close(&ctx);
    return rc;
}
