/*
 * Subcommand dispatch.  The table below is the single list of commands:
 * `lightcone --help` prints it, and each handler prints its own usage line
 * from it on `--help` or bad arguments.
 */
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "cli_int.h"
#include "durability/durability.h"
#include "server/server.h"

static int cmd_start(const cli_command_t *cmd, int argc, char **argv);
static int cmd_version(const cli_command_t *cmd, int argc, char **argv);
static int cmd_backup(const cli_command_t *cmd, int argc, char **argv);
static int cmd_restore(const cli_command_t *cmd, int argc, char **argv);
static int cmd_help(const cli_command_t *cmd, int argc, char **argv);
/* cmd_build.c */
extern const char cli_build_summary[], cli_build_usage[];
/* cmd_generate.c, cmd_init.c */
extern const char cli_generate_summary[], cli_generate_usage[];
extern const char cli_init_summary[], cli_init_usage[];
extern const char cli_subscribe_summary[], cli_subscribe_usage[];
/* cmd_client.c (cli_int.h lists the others) */

#define COMMON_USAGE                                                                               \
    "  -s, --server SERVER  a saved server's name or a URL (default: the default server)\n"        \
    "  --json               print JSON (call, sql, describe, list, identity, server list)\n"       \
    "  -y, --yes            do not ask for confirmation\n"

static const cli_command_t commands[] = {
    {"start", "Start a Lightcone server",
     "  --listen-addr ADDR   address to listen on (default " SERVER_DEFAULT_LISTEN
     "; env LIGHTCONE_LISTEN_ADDR)\n"
     "  --data-dir DIR       data directory (default ~/.local/share/lightcone; env "
     "LIGHTCONE_DATA_DIR)\n"
     "  --in-memory          keep no files: all data is lost at exit\n"
     "  --jwt-priv-key-path FILE  the server's ES256 private key (PEM; default\n"
     "                       DATA/id_ecdsa, created on first start)\n"
     "  --jwt-pub-key-path FILE   its public key (default DATA/id_ecdsa.pub)\n"
     "  --reducer-timeout-ms MS   stop a reducer that runs longer (default: no limit)\n"
     "  --log-level LEVEL    error, warn, info, debug or trace (env LIGHTCONE_LOG_LEVEL)\n"
     "  --log-format FORMAT  text or json (env LIGHTCONE_LOG_FORMAT)\n"
     "  --non-interactive    never prompt\n",
     cmd_start},
    {"backup", "Copy a database, consistently, while the server keeps serving",
     "  DATABASE DIR         the database's name, and a new or empty directory\n"
     "  --data-dir DIR       the server's data directory (default as for start)\n",
     cmd_backup},
    {"restore", "Bring a database back from a backup",
     "  DIR DATABASE         a directory written by 'lightcone backup', and the name to\n"
     "                       restore it as (it must not exist yet)\n"
     "  --data-dir DIR       the server's data directory (default as for start)\n",
     cmd_restore},
    {"init", cli_init_summary, cli_init_usage, cli_cmd_init},
    {"build", cli_build_summary, cli_build_usage, cli_cmd_build},
    {"publish", "Build (or take) a module and create or update a database",
     "  [NAME]               the database (default: a new unnamed database)\n"
     "  -p, --module-path DIR  build the C module project in DIR first (default .)\n"
     "  -b, --bin-path FILE  publish this .wasm instead of building\n"
     "  -c, --delete-data    clear the database's data (asks, or pass -y)\n" COMMON_USAGE,
     cli_cmd_publish},
    {"delete", "Delete a database and all its data",
     "  NAME                 the database\n" COMMON_USAGE, cli_cmd_delete},
    {"logs", "Print a database's module logs (owner only)",
     "  NAME                 the database\n"
     "  -n, --num-lines N    only the last N lines\n"
     "  -f, --follow         keep printing new lines\n"
     "  --format text|json   text (default) or the server's JSON lines\n"
     "  -l, --level LEVEL    only lines at LEVEL or above (trace .. panic)\n" COMMON_USAGE,
     cli_cmd_logs},
    {"call", "Call a reducer",
     "  NAME REDUCER [ARGS...]  each ARG is one JSON value: 5, '\"text\"', '[1,2]';\n"
     "                       options go before NAME\n" COMMON_USAGE,
     cli_cmd_call},
    {"sql", "Run a SQL query and print the result as a table",
     "  NAME \"QUERY\"         the database and one SQL statement\n"
     "  -i, --interactive    NAME only: a prompt reading one statement per line, with\n"
     "                       history; reads stdin line by line when it is not a terminal\n"
     "                       (\\q or end of input quits, \\h helps)\n" COMMON_USAGE,
     cli_cmd_sql},
    {"subscribe", cli_subscribe_summary, cli_subscribe_usage, cli_cmd_subscribe},
    {"describe", "Show a database's tables and reducers",
     "  NAME                 the database\n"
     "  --json               print the module definition (schema version 10) as the\n"
     "                       server gives it\n" COMMON_USAGE,
     cli_cmd_describe},
    {"rename", "Give a database a new name (owner only)",
     "  NAME NEW_NAME        the database, and its new name\n" COMMON_USAGE, cli_cmd_rename},
    {"generate", cli_generate_summary, cli_generate_usage, cli_cmd_generate},
    {"list", "List the databases owned by your identity", COMMON_USAGE, cli_cmd_list},
    {"identity", "Print your identity on a server; 'identity new' gets a new one",
     "  [new]                ask the server for a new identity and keep its token\n" COMMON_USAGE,
     cli_cmd_identity},
    {"login", "Store a token for a server",
     "  --token TOKEN        store this token\n"
     "  --server-issued-login [SERVER]  ask the server for a new identity\n"
     "  show                 print the identity you are logged in as\n" COMMON_USAGE,
     cli_cmd_login},
    {"logout", "Forget the token stored for a server", COMMON_USAGE, cli_cmd_logout},
    {"server", "Manage saved servers",
     "  add NAME URL [-d]    save a server (-d, --default: make it the default)\n"
     "  list                 list saved servers (local = " CLI_LOCAL_URL " is built in)\n"
     "  set-default NAME     use NAME when -s is not given\n"
     "  remove NAME          forget a server and its token\n"
     "  ping [NAME]          check that a server answers\n" COMMON_USAGE
     "URLs are http://HOST:PORT or https://HOST[:PORT]; for https, LIGHTCONE_CA_FILE may\n"
     "name a PEM file of extra trusted CA certificates (a private CA, a self-signed server).\n",
     cli_cmd_server},
    {"version", "Print the version", "", cmd_version},
    {"help", "Show help for a command", "  [COMMAND]\n", cmd_help},
};

static const cli_command_t *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_overview(FILE *f)
{
    fprintf(f,
            "lightcone %s — a SpacetimeDB-compatible database and application server\n\n"
            "Usage: lightcone COMMAND [OPTIONS]\n\nCommands:\n",
            LIGHTCONE_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'lightcone COMMAND --help' for a command's options.\n");
}

void cli_print_usage(FILE *f, const cli_command_t *cmd)
{
    fprintf(f, "%s\n\nUsage: lightcone %s [OPTIONS]\n%s%s", cmd->summary, cmd->name,
            cmd->usage[0] ? "\nOptions:\n" : "", cmd->usage);
}

int cli_usage_error(const cli_command_t *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'lightcone %s --help' for usage.\n", cmd->name);
    return CLI_EXIT_USAGE;
}

/* ---------------------------------------------------------------- progress */

/* The progress being shown; NULL when none.  The CLI is one thread. */
static cli_progress_t *active;

static const char *const spinner[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};

#define TICK_US 100000

static int term_width(void)
{
    struct winsize ws;
    return ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20 ? ws.ws_col : 80;
}

/* How many bytes of s fit in cols columns (cut on a UTF-8 character boundary;
 * one column per character is close enough for stage names). */
static int fit(const char *s, int cols)
{
    int bytes = 0;
    for (int used = 0; s[bytes] && used < cols; used++) {
        bytes++;
        while (((unsigned char)s[bytes] & 0xC0) == 0x80) bytes++;
    }
    return bytes;
}

/* One write(2), so that the line never shows half drawn. */
static void draw(cli_progress_t *p, int64_t now)
{
    char line[512];
    bool c = cli_color(2);
    int n = snprintf(line, sizeof line, "\r\033[K%s%s%s %.*s… %.1fs", c ? "\033[36m" : "",
                     spinner[p->frame++ % 10], c ? "\033[0m" : "", fit(p->stage, term_width() - 12),
                     p->stage, (double)(now - p->start_us) / 1e6);
    if (n > 0)
        (void)!write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    p->drawn = true;
    p->drawn_us = now;
}

void cli_progress_start(cli_progress_t *p, const char *stage, const char *then)
{
    const char *term = getenv("TERM");
    memset(p, 0, sizeof *p);
    p->live = isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
    p->start_us = lc_now_mono_us();
    p->then = then;
    active = p;
    fflush(stdout); /* what came before shows above the line */
    cli_progress_stage(p, stage);
}

bool cli_progress_live(const cli_progress_t *p)
{
    return p->live;
}

void cli_progress_stage(cli_progress_t *p, const char *stage)
{
    snprintf(p->stage, sizeof p->stage, "%s", stage);
    if (p->live)
        draw(p, lc_now_mono_us());
}

bool cli_progress_active(void)
{
    return active && active->live;
}

void cli_progress_tick(void)
{
    int64_t now = lc_now_mono_us();
    if (cli_progress_active() && now - active->drawn_us >= TICK_US)
        draw(active, now);
}

void cli_progress_sent(void)
{
    if (active && active->then) {
        const char *then = active->then;
        active->then = NULL;
        cli_progress_stage(active, then);
    }
}

void cli_progress_clear(void)
{
    if (active && active->drawn) {
        (void)!write(STDERR_FILENO, "\r\033[K", 4);
        active->drawn = false;
        active->drawn_us = 0; /* draw again on the next tick */
    }
}

void cli_progress_end(cli_progress_t *p, const char *final)
{
    if (active == p)
        cli_progress_clear();
    active = NULL;
    if (p->live && final) {
        bool c = cli_color(2);
        fprintf(stderr, "%s✓%s %s in %.1fs\n", c ? "\033[32m" : "", c ? "\033[0m" : "", final,
                (double)(lc_now_mono_us() - p->start_us) / 1e6);
    }
}

/* ---------------------------------------------------------------- start */

static int set_string(char *dst, size_t cap, const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n >= cap)
        return -1;
    memcpy(dst, v, n + 1);
    return 0;
}

static int parse_start_option(const cli_command_t *cmd, server_config_t *cfg, int opt,
                              const char *arg)
{
    switch (opt) {
    case 'l':
        if (set_string(cfg->listen_addr, sizeof cfg->listen_addr, arg))
            return cli_usage_error(cmd, "--listen-addr: bad value '%s'", arg);
        return 0;
    case 'd':
        if (set_string(cfg->data_dir, sizeof cfg->data_dir, arg))
            return cli_usage_error(cmd, "--data-dir: bad value '%s'", arg);
        return 0;
    case 'm':
        cfg->in_memory = true;
        return 0;
    case 'P':
        if (set_string(cfg->jwt_priv_key_path, sizeof cfg->jwt_priv_key_path, arg))
            return cli_usage_error(cmd, "--jwt-priv-key-path: bad value '%s'", arg);
        return 0;
    case 'p':
        if (set_string(cfg->jwt_pub_key_path, sizeof cfg->jwt_pub_key_path, arg))
            return cli_usage_error(cmd, "--jwt-pub-key-path: bad value '%s'", arg);
        return 0;
    case 't': {
        char *end;
        unsigned long ms = strtoul(arg, &end, 10);
        if (*end || ms > 3600000)
            return cli_usage_error(cmd, "--reducer-timeout-ms: expected 0-3600000, got '%s'", arg);
        cfg->reducer_timeout_ms = (uint32_t)ms;
        return 0;
    }
    case 'n':
        cfg->non_interactive = true;
        return 0;
    case 'v':
        if (lc_log_level_parse(arg, &cfg->log_level))
            return cli_usage_error(cmd,
                                   "--log-level: expected error, warn, info, debug or trace, "
                                   "got '%s'",
                                   arg);
        cfg->set_log_level = true;
        return 0;
    case 'f':
        if (strcmp(arg, "text") == 0)
            cfg->log_format = LC_LOG_TEXT;
        else if (strcmp(arg, "json") == 0)
            cfg->log_format = LC_LOG_JSON;
        else
            return cli_usage_error(cmd, "--log-format: expected text or json, got '%s'", arg);
        return 0;
    default:
        return cli_usage_error(cmd, "%s", "unknown option");
    }
}

static int cmd_start(const cli_command_t *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen-addr", required_argument, NULL, 'l'},
        {"data-dir", required_argument, NULL, 'd'},
        {"in-memory", no_argument, NULL, 'm'},
        {"jwt-priv-key-path", required_argument, NULL, 'P'},
        {"jwt-pub-key-path", required_argument, NULL, 'p'},
        {"reducer-timeout-ms", required_argument, NULL, 't'},
        {"non-interactive", no_argument, NULL, 'n'},
        {"log-level", required_argument, NULL, 'v'},
        {"log-format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    lc_err_t err;
    server_config_t cfg;
    if (server_config_init(&cfg, &err) != LC_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        return CLI_EXIT_USAGE;
    }
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h') {
            cli_print_usage(stdout, cmd);
            return CLI_EXIT_OK;
        }
        if (opt == '?')
            return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        int rc = parse_start_option(cmd, &cfg, opt, optarg);
        if (rc != 0)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    lc_log_set_level(cfg.log_level);
    lc_log_set_format(cfg.log_format);
    if (server_run(&cfg, &err) != LC_OK) {
        lc_log_error("cannot start: %s", err.msg);
        return err.code == LC_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- backup */

/* Parse "[--data-dir D] A B" into the data directory and two positionals. */
static int parse_two_args(const cli_command_t *cmd, int argc, char **argv, char *data_dir,
                          size_t cap, const char **a, const char **b)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    lc_err_t err;
    if (getenv("LIGHTCONE_DATA_DIR") && *getenv("LIGHTCONE_DATA_DIR"))
        snprintf(data_dir, cap, "%s", getenv("LIGHTCONE_DATA_DIR"));
    else if (server_default_data_dir(data_dir, cap, &err) != LC_OK)
        data_dir[0] = 0;
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h') {
            cli_print_usage(stdout, cmd);
            return -1;
        }
        if (opt == '?')
            return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        if (set_string(data_dir, cap, optarg))
            return cli_usage_error(cmd, "--data-dir: bad value '%s'", optarg);
    }
    if (argc - optind != 2)
        return cli_usage_error(cmd, "%s", "expected two arguments");
    if (data_dir[0] == 0)
        return cli_usage_error(cmd, "%s", "no data directory: pass --data-dir");
    *a = argv[optind];
    *b = argv[optind + 1];
    return 0;
}

/* The directory of database `name` under data_dir: a hosted database is
 * DATA/databases/<identity>/ with its names in database.json (db.h's
 * registry); a directory named `name` itself is taken as it is (databases
 * written by other tools, such as the crash tests' child). */
static int database_dir(char *out, size_t cap, const char *data_dir, const char *name)
{
    if (name[0] == 0 || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -1;
    if (snprintf(out, cap, "%s/databases/%s", data_dir, name) >= (int)cap)
        return -1;
    struct stat st;
    if (stat(out, &st) == 0)
        return 0;
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/databases", data_dir);
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        char meta[PATH_MAX + 400];
        snprintf(meta, sizeof meta, "%s/%s/database.json", dir, de->d_name);
        json_t *j = json_load_file(meta, 0, NULL), *n;
        size_t i;
        bool found = false;
        json_array_foreach(json_object_get(j, "names"), i, n) found |=
            json_is_string(n) && strcmp(json_string_value(n), name) == 0;
        json_decref(j);
        if (found) {
            closedir(d);
            return snprintf(out, cap, "%s/%s", dir, de->d_name) < (int)cap ? 0 : -1;
        }
    }
    if (d)
        closedir(d);
    return 0; /* not found: the plain path (backup reports it missing) */
}

/* Copy the database's description (owner, names) beside a backup. */
static void copy_description(const char *from_dir, const char *to_dir)
{
    char src[PATH_MAX + 32], dst[PATH_MAX + 32];
    if (snprintf(src, sizeof src, "%s/database.json", from_dir) >= (int)sizeof src ||
        snprintf(dst, sizeof dst, "%s/database.json", to_dir) >= (int)sizeof dst)
        return;
    json_t *j = json_load_file(src, 0, NULL);
    if (j && json_dump_file(j, dst, JSON_INDENT(2)) != 0)
        fprintf(stderr, "warning: could not copy %s\n", src);
    json_decref(j);
}

/* A restored hosted database gets a new identity (the original may still
 * exist), the name it is restored as, and the backup's owner.  0 and dst
 * set: hosted; 1: not a hosted database's backup (restore under its
 * name); -1: error. */
static int restore_description(const char *backup, const char *data_dir, const char *name,
                               char *dst, size_t cap)
{
    char src[PATH_MAX + 32];
    if (snprintf(src, sizeof src, "%s/database.json", backup) >= (int)sizeof src)
        return -1;
    json_t *j = json_load_file(src, 0, NULL);
    const char *owner = json_string_value(json_object_get(j, "owner"));
    if (!owner) {
        json_decref(j);
        return 1;
    }
    uint8_t rnd[16];
    char subject[33], hex[AUTH_IDENTITY_HEX_LEN + 1];
    lc_random_bytes(rnd, sizeof rnd);
    lc_hex_encode(subject, rnd, sizeof rnd);
    auth_identity_t id;
    auth_identity_from_claims("lightcone-database", subject, &id);
    auth_identity_to_hex(&id, hex);
    if (snprintf(dst, cap, "%s/databases/%s", data_dir, hex) >= (int)cap) {
        json_decref(j);
        return -1;
    }
    json_t *meta = json_pack("{s:s, s:s, s:[s]}", "identity", hex, "owner", owner, "names", name);
    json_decref(j);
    char tmp[PATH_MAX + 128];
    int rc = snprintf(tmp, sizeof tmp, "%s.json", dst) < (int)sizeof tmp ? 0 : -1;
    /* moved into the directory once the data is in place */
    rc = rc == 0 && meta && json_dump_file(meta, tmp, JSON_INDENT(2)) == 0 ? 0 : -1;
    json_decref(meta);
    return rc;
}

static void print_recovery(const char *what, const char *dir, const dur_recovery_info_t *info)
{
    printf("%s %s: state at transaction %llu (snapshot %llu + %llu log records)\n", what, dir,
           (unsigned long long)info->last_offset, (unsigned long long)info->snapshot_offset,
           (unsigned long long)info->replayed);
}

static int cmd_backup(const cli_command_t *cmd, int argc, char **argv)
{
    char data_dir[PATH_MAX], src[PATH_MAX + 64];
    const char *name, *dst;
    int rc = parse_two_args(cmd, argc, argv, data_dir, sizeof data_dir, &name, &dst);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (database_dir(src, sizeof src, data_dir, name) != 0)
        return cli_usage_error(cmd, "bad database name '%s'", name);
    lc_err_t err;
    dur_recovery_info_t info;
    if (dur_backup(src, dst, &info, &err) != LC_OK) {
        fprintf(stderr, "error: backup of %s failed: %s\n", name, err.msg);
        return CLI_EXIT_FAILURE;
    }
    copy_description(src, dst);
    print_recovery("backed up to", dst, &info);
    return CLI_EXIT_OK;
}

static int cmd_restore(const cli_command_t *cmd, int argc, char **argv)
{
    char data_dir[PATH_MAX], dst[PATH_MAX + 64];
    const char *src, *name;
    int rc = parse_two_args(cmd, argc, argv, data_dir, sizeof data_dir, &src, &name);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (name[0] == 0 || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return cli_usage_error(cmd, "bad database name '%s'", name);
    int hosted = restore_description(src, data_dir, name, dst, sizeof dst);
    if (hosted < 0) {
        fprintf(stderr, "error: cannot write the restored database's description\n");
        return CLI_EXIT_FAILURE;
    }
    if (hosted > 0)
        snprintf(dst, sizeof dst, "%s/databases/%s", data_dir, name);
    lc_err_t err;
    dur_recovery_info_t info;
    if (dur_restore(src, dst, &info, &err) != LC_OK) {
        fprintf(stderr, "error: restore of %s failed: %s\n", name, err.msg);
        return CLI_EXIT_FAILURE;
    }
    if (hosted == 0) {
        char from[PATH_MAX + 128], to[PATH_MAX + 128];
        if (snprintf(from, sizeof from, "%s.json", dst) >= (int)sizeof from ||
            snprintf(to, sizeof to, "%s/database.json", dst) >= (int)sizeof to ||
            rename(from, to) != 0) {
            fprintf(stderr, "error: cannot install %s\n", to);
            return CLI_EXIT_FAILURE;
        }
        printf("restored as %s; restart the server to serve it\n", name);
    }
    print_recovery("restored into", dst, &info);
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- misc */

static int cmd_version(const cli_command_t *cmd, int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        cli_print_usage(stdout, cmd);
        return CLI_EXIT_OK;
    }
    printf("lightcone %s (SpacetimeDB 2.x compatible: protocols v1, v2, v3; ABI spacetime_10.x)\n",
           LIGHTCONE_VERSION);
    return CLI_EXIT_OK;
}

static int cmd_help(const cli_command_t *cmd, int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    const cli_command_t *target = find_command(argv[1]);
    if (target == NULL)
        return cli_usage_error(cmd, "unknown command '%s'", argv[1]);
    cli_print_usage(stdout, target);
    return CLI_EXIT_OK;
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
        return cmd_version(find_command("version"), 1, argv);
    const cli_command_t *cmd = find_command(argv[1]);
    if (cmd == NULL) {
        fprintf(stderr, "error: unknown command '%s'\nRun 'lightcone --help' for the list.\n",
                argv[1]);
        return CLI_EXIT_USAGE;
    }
    optind = 1; /* getopt restarts at the command's own arguments */
    return cmd->run(cmd, argc - 1, argv + 1);
}
