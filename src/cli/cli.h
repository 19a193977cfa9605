/*
 * cli — the `lightcone` command line: one table of subcommands (name,
 * summary, usage, handler) that dispatch, `--help` and docs/CLI.md read from.
 *
 * Exit codes (stable; scripts rely on them):
 *   0  success
 *   1  the command ran and failed (server could not start, request failed)
 *   2  bad usage: unknown command, bad flag or argument
 */
#ifndef LC_CLI_H
#define LC_CLI_H

#include "base/base.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILURE = 1, CLI_EXIT_USAGE = 2 };

#define LIGHTCONE_VERSION LC_VERSION

/* Run the command line; returns the process exit code. */
int cli_main(int argc, char **argv);

#endif /* LC_CLI_H */
