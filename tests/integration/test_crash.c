/* The crash test: build/crash_child commits transfers with a durable log
 * and is killed with SIGKILL at random moments; after each kill, recovery
 * must hold every transaction reported durable and nothing half-applied
 * (tests/crash/crash_child.c checks the invariants). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit/test.h"

#define CHILD "build/crash_child"

static const char *crash_cycles_env(void)
{
    const char *c = getenv("LC_CRASH_CYCLES");
    return c && *c ? c : "5";
}

/* Run the child in run mode for about ms milliseconds, then SIGKILL it;
 * returns the highest offset it reported durable. */
static long long run_and_kill(const char *dir, int ms)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(CHILD, CHILD, dir, "run", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    long long max = 0;
    char buf[4096], line[64];
    size_t linelen = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= ms)
            break;
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, (int)(ms - elapsed)) <= 0)
            continue;
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (linelen < sizeof line - 1)
                    line[linelen++] = buf[i];
                continue;
            }
            line[linelen] = 0;
            linelen = 0;
            long long d;
            if (sscanf(line, "durable %lld", &d) == 1 && d > max)
                max = d;
        }
    }
    /* The kill lands at a random point of whatever the child was doing;
     * lines still in the pipe were reported before it, so read them too. */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (linelen < sizeof line - 1)
                    line[linelen++] = buf[i];
                continue;
            }
            line[linelen] = 0;
            linelen = 0;
            long long d;
            if (sscanf(line, "durable %lld", &d) == 1 && d > max)
                max = d;
        }
    }
    close(fds[0]);
    return max;
}

static int verify(const char *dir, long long *offset, long long *rows, char *out, size_t outlen)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s '%s' verify 2>&1", CHILD, dir);
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return -1;
    size_t got = fread(out, 1, outlen - 1, f);
    out[got] = 0;
    int status = pclose(f);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    /* recovery may log first (a torn tail cut off): find the state line */
    const char *line = strstr(out, "state ");
    return line && sscanf(line, "state %lld %lld", offset, rows) == 2 ? 0 : -1;
}

TEST(sigkill_at_random_moments_loses_nothing_durable)
{
    const char *dir = test_tmpdir();
    int cycles = atoi(crash_cycles_env());
    srand((unsigned)time(NULL));
    long long last_rows = 0;
    for (int c = 0; c < cycles; c++) {
        int ms = 150 + rand() % 500;
        long long durable = run_and_kill(dir, ms);
        long long offset = 0, rows = 0;
        char out[2048];
        int rc = verify(dir, &offset, &rows, out, sizeof out);
        CHECK_MSG(rc == 0, "cycle %d: recovery failed: %s", c, out);
        CHECK_MSG(offset >= durable,
                  "cycle %d: offset %lld was reported durable, recovery reached only %lld", c,
                  durable, offset);
        CHECK_MSG(rows == 0 || offset == rows + 1, "cycle %d: offset %lld but %lld ledger rows", c,
                  offset, rows);
        CHECK_MSG(rows >= last_rows, "cycle %d: ledger went back from %lld to %lld", c, last_rows,
                  rows);
        last_rows = rows;
    }
    CHECK_MSG(last_rows > 0, "no transaction was ever committed");
}

const test_case_t test_crash_cases[] = {
    TEST_CASE(sigkill_at_random_moments_loses_nothing_durable),
    TEST_END,
};
