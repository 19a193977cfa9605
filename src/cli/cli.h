/*
 * cli — the `lightcone` command line: one table of subcommands (name,
 * summary, usage, handler) that dispatch, `--help` and docs/CLI.md read from.
 *
 * Exit codes (stable; scripts rely on them):
 *   0  success
 *   1  the command ran and failed (server could not start, request failed,
 *      a reducer failed, a migration was refused)
 *   2  bad usage: unknown command, bad flag or argument, unknown server
 *   3  the server is unreachable (connection refused, bad address)
 *   4  not found: no such database, reducer or table route (HTTP 404)
 *   5  not authorized: no or bad token, not the owner (HTTP 401, 403)
 */
#ifndef LC_CLI_H
#define LC_CLI_H

#include "base/base.h"

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_UNREACHABLE = 3,
    CLI_EXIT_NOT_FOUND = 4,
    CLI_EXIT_NOT_AUTHORIZED = 5
};

#define LIGHTCONE_VERSION LC_VERSION

/* Run the command line; returns the process exit code. */
int cli_main(int argc, char **argv);

#endif /* LC_CLI_H */
