/*
 * Integration-test helpers: start the real `build/lightcone start` on a free
 * port with a temporary data directory, wait until it is ready, stop it, and
 * keep its log (under build/test-logs/) when the test failed.
 */
#ifndef LC_ITEST_HARNESS_H
#define LC_ITEST_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct itest_server {
    pid_t pid;
    int port;
    char dir[256]; /* temporary root; data lives in dir/data */
    char data_dir[300];
    char log_path[300]; /* the server's stdout+stderr */
} itest_server_t;

/* Path of the lightcone binary under test ($LIGHTCONE_BIN or build/lightcone). */
const char *itest_binary(void);
/* A TCP port on 127.0.0.1 that was free a moment ago. */
int itest_free_port(void);
/* Start a server; extra_args (NULL-terminated, may be NULL) are appended to
 * `lightcone start --listen-addr 127.0.0.1:PORT --data-dir DIR`.  Returns 0
 * once the server has logged that it is ready, -1 on failure or timeout. */
int itest_server_start(itest_server_t *s, const char *const *extra_args);
/* Start the server again on the same data directory and port (after
 * itest_server_stop); the old log moves to server.log.1. */
int itest_server_restart(itest_server_t *s, const char *const *extra_args);
/* Send sig and wait for exit (up to 10 s, then SIGKILL); *status gets the
 * waitpid status.  Returns 0, or -1 if the process had to be killed. */
int itest_server_stop(itest_server_t *s, int sig, int *status);
/* Remove the temporary directory; copy the log to build/test-logs/ first if
 * the current test failed. */
void itest_server_cleanup(itest_server_t *s);
/* Whether the server's log contains text. */
bool itest_log_contains(const itest_server_t *s, const char *text);
/* Run the binary with args (NULL-terminated) to completion, capturing
 * stdout+stderr into out (NUL-terminated, truncated to outlen); returns the
 * exit code, or -1 if it did not exit normally. */
int itest_run(char *out, size_t outlen, const char *const *args);

#endif
