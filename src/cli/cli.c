/*
 * Subcommand dispatch.  The table below is the single list of commands:
 * `lightcone --help` prints it, and each handler prints its own usage line
 * from it on `--help` or bad arguments.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "durability/durability.h"
#include "server/server.h"

typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *usage; /* options, one per line */
    int (*run)(const struct cli_command *cmd, int argc, char **argv);
} cli_command_t;

static int cmd_start(const cli_command_t *cmd, int argc, char **argv);
static int cmd_version(const cli_command_t *cmd, int argc, char **argv);
static int cmd_backup(const cli_command_t *cmd, int argc, char **argv);
static int cmd_restore(const cli_command_t *cmd, int argc, char **argv);
static int cmd_help(const cli_command_t *cmd, int argc, char **argv);
/* cmd_build.c */
extern const char cli_build_summary[], cli_build_usage[];
int cli_cmd_build(const cli_command_t *cmd, int argc, char **argv);

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
    {"build", cli_build_summary, cli_build_usage, cli_cmd_build},
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

static void print_usage(FILE *f, const cli_command_t *cmd)
{
    fprintf(f, "%s\n\nUsage: lightcone %s [OPTIONS]\n%s%s", cmd->summary, cmd->name,
            cmd->usage[0] ? "\nOptions:\n" : "", cmd->usage);
}

static int usage_error(const cli_command_t *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'lightcone %s --help' for usage.\n", cmd->name);
    return CLI_EXIT_USAGE;
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
            return usage_error(cmd, "--listen-addr: bad value '%s'", arg);
        return 0;
    case 'd':
        if (set_string(cfg->data_dir, sizeof cfg->data_dir, arg))
            return usage_error(cmd, "--data-dir: bad value '%s'", arg);
        return 0;
    case 'm':
        cfg->in_memory = true;
        return 0;
    case 'P':
        if (set_string(cfg->jwt_priv_key_path, sizeof cfg->jwt_priv_key_path, arg))
            return usage_error(cmd, "--jwt-priv-key-path: bad value '%s'", arg);
        return 0;
    case 'p':
        if (set_string(cfg->jwt_pub_key_path, sizeof cfg->jwt_pub_key_path, arg))
            return usage_error(cmd, "--jwt-pub-key-path: bad value '%s'", arg);
        return 0;
    case 't': {
        char *end;
        unsigned long ms = strtoul(arg, &end, 10);
        if (*end || ms > 3600000)
            return usage_error(cmd, "--reducer-timeout-ms: expected 0-3600000, got '%s'", arg);
        cfg->reducer_timeout_ms = (uint32_t)ms;
        return 0;
    }
    case 'n':
        cfg->non_interactive = true;
        return 0;
    case 'v':
        if (lc_log_level_parse(arg, &cfg->log_level))
            return usage_error(cmd,
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
            return usage_error(cmd, "--log-format: expected text or json, got '%s'", arg);
        return 0;
    default:
        return usage_error(cmd, "%s", "unknown option");
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
            print_usage(stdout, cmd);
            return CLI_EXIT_OK;
        }
        if (opt == '?')
            return usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        int rc = parse_start_option(cmd, &cfg, opt, optarg);
        if (rc != 0)
            return rc;
    }
    if (optind < argc)
        return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
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
            print_usage(stdout, cmd);
            return -1;
        }
        if (opt == '?')
            return usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        if (set_string(data_dir, cap, optarg))
            return usage_error(cmd, "--data-dir: bad value '%s'", optarg);
    }
    if (argc - optind != 2)
        return usage_error(cmd, "%s", "expected two arguments");
    if (data_dir[0] == 0)
        return usage_error(cmd, "%s", "no data directory: pass --data-dir");
    *a = argv[optind];
    *b = argv[optind + 1];
    return 0;
}

static int database_dir(char *out, size_t cap, const char *data_dir, const char *name)
{
    if (name[0] == 0 || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -1;
    return snprintf(out, cap, "%s/databases/%s", data_dir, name) < (int)cap ? 0 : -1;
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
        return usage_error(cmd, "bad database name '%s'", name);
    lc_err_t err;
    dur_recovery_info_t info;
    if (dur_backup(src, dst, &info, &err) != LC_OK) {
        fprintf(stderr, "error: backup of %s failed: %s\n", name, err.msg);
        return CLI_EXIT_FAILURE;
    }
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
    if (database_dir(dst, sizeof dst, data_dir, name) != 0)
        return usage_error(cmd, "bad database name '%s'", name);
    lc_err_t err;
    dur_recovery_info_t info;
    if (dur_restore(src, dst, &info, &err) != LC_OK) {
        fprintf(stderr, "error: restore of %s failed: %s\n", name, err.msg);
        return CLI_EXIT_FAILURE;
    }
    print_recovery("restored into", dst, &info);
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- misc */

static int cmd_version(const cli_command_t *cmd, int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        print_usage(stdout, cmd);
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
        return usage_error(cmd, "unknown command '%s'", argv[1]);
    print_usage(stdout, target);
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
