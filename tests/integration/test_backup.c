/* `lightcone backup` and `lightcone restore`, driven through the real
 * binary while another process keeps committing to the database. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "unit/test.h"

/* A crash_child writing to dir in the background (stdout discarded). */
static pid_t start_writer(const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        execl("build/crash_child", "build/crash_child", dir, "run", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* "state <offset> <rows>" of the database in dir, or -1. */
static long long state_of(const char *dir)
{
    char cmd[600], out[256] = {0};
    snprintf(cmd, sizeof cmd, "build/crash_child '%s' verify 2>&1", dir);
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    long long offset, rows;
    const char *line = strstr(out, "state "); /* recovery may log before it */
    int ok = pclose(f) == 0 && line && sscanf(line, "state %lld %lld", &offset, &rows) == 2;
    return ok ? offset : -1;
}

TEST(backup_while_writing_and_restore_through_the_cli)
{
    char data[400], db[500], bak[500], out[4096];
    snprintf(data, sizeof data, "%s/data", test_tmpdir());
    snprintf(db, sizeof db, "%s/databases/bank", data);
    snprintf(bak, sizeof bak, "%s/backup", test_tmpdir());
    char parent[450];
    snprintf(parent, sizeof parent, "%s/databases", data);
    CHECK(mkdir(data, 0700) == 0 && mkdir(parent, 0700) == 0);
    pid_t writer = start_writer(db);
    struct timespec ts = {0, 600 * 1000 * 1000};
    nanosleep(&ts, NULL);
    const char *backup[] = {"backup", "bank", bak, "--data-dir", data, NULL};
    int code = itest_run(out, sizeof out, backup);
    kill(writer, SIGKILL);
    waitpid(writer, NULL, 0);
    CHECK_MSG(code == 0, "backup exit %d: %s", code, out);
    CHECK(strstr(out, "backed up to") != NULL);
    long long backed = state_of(bak);
    CHECK_MSG(backed > 1, "the backup does not verify (%lld)", backed);
    CHECK(state_of(db) >= backed); /* the source went on after the copy */

    const char *restore[] = {"restore", bak, "bank2", "--data-dir", data, NULL};
    code = itest_run(out, sizeof out, restore);
    CHECK_MSG(code == 0, "restore exit %d: %s", code, out);
    char db2[500];
    snprintf(db2, sizeof db2, "%s/databases/bank2", data);
    CHECK_EQ_INT(state_of(db2), backed);

    /* the errors a user can make */
    code = itest_run(out, sizeof out, backup); /* the backup directory is taken */
    CHECK_EQ_INT(code, 1);
    CHECK(strstr(out, "is not empty") != NULL);
    code = itest_run(out, sizeof out, restore); /* bank2 exists */
    CHECK_EQ_INT(code, 1);
    const char *missing[] = {"backup", "nosuchdb", bak, "--data-dir", data, NULL};
    code = itest_run(out, sizeof out, missing);
    CHECK_EQ_INT(code, 1);
    CHECK(strstr(out, "no database directory") != NULL);
    const char *badname[] = {"backup", "../etc", bak, "--data-dir", data, NULL};
    CHECK_EQ_INT(itest_run(out, sizeof out, badname), 2);
    const char *noargs[] = {"restore", "--data-dir", data, NULL};
    CHECK_EQ_INT(itest_run(out, sizeof out, noargs), 2);
}

const test_case_t test_backup_cases[] = {
    TEST_CASE(backup_while_writing_and_restore_through_the_cli),
    TEST_END,
};
