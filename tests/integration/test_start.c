/* Integration tests of `lightcone start` and the CLI surface, driving the
 * real binary. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "unit/test.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void start_then_signal(int sig)
{
    itest_server_t s;
    int rc = itest_server_start(&s, NULL);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "server did not become ready (log %s)", s.log_path);
    else {
        char path[400];
        snprintf(path, sizeof path, "%s/databases", s.data_dir);
        if (!is_dir(path))
            test_fail(__FILE__, __LINE__, "%s was not created", path);
        int status = -1;
        if (itest_server_stop(&s, sig, &status) != 0)
            test_fail(__FILE__, __LINE__, "server did not exit on signal %d", sig);
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            test_fail(__FILE__, __LINE__, "exit status %#x after signal %d, expected exit 0",
                      status, sig);
        else if (!itest_log_contains(&s, "shutting down") ||
                 !itest_log_contains(&s, "lightcone stopped"))
            test_fail(__FILE__, __LINE__, "shutdown was not logged");
    }
    itest_server_cleanup(&s);
}

TEST(start_ready_then_sigterm_exits_0)
{
    start_then_signal(SIGTERM);
}

TEST(start_ready_then_sigint_exits_0)
{
    start_then_signal(SIGINT);
}

TEST(second_server_on_same_data_dir_is_refused)
{
    itest_server_t s;
    if (itest_server_start(&s, NULL) != 0) {
        test_fail(__FILE__, __LINE__, "first server did not start");
        itest_server_cleanup(&s);
        return;
    }
    char out[4096], listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", itest_free_port());
    const char *args[] = {"start", "--data-dir", s.data_dir, "--listen-addr", listen, NULL};
    int code = itest_run(out, sizeof out, args);
    if (code != 1)
        test_fail(__FILE__, __LINE__, "second server exit code %d, expected 1", code);
    else if (!strstr(out, "is in use by another lightcone server"))
        test_fail(__FILE__, __LINE__, "unexpected message: %s", out);
    /* the first server is unharmed */
    int status = -1;
    if (itest_server_stop(&s, SIGTERM, &status) != 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        test_fail(__FILE__, __LINE__, "first server did not stop cleanly");
    itest_server_cleanup(&s);
}

TEST(bad_listen_address_is_a_usage_error)
{
    char out[4096];
    const char *args[] = {"start", "--in-memory", "--listen-addr", "127.0.0.1:99999", NULL};
    CHECK_EQ_INT(itest_run(out, sizeof out, args), 2);
    CHECK_MSG(strstr(out, "port must be 0-65535") != NULL, "output: %s", out);
}

TEST(json_log_format)
{
    itest_server_t s;
    const char *extra[] = {"--log-format", "json", NULL};
    if (itest_server_start(&s, extra) != 0)
        test_fail(__FILE__, __LINE__, "server did not start");
    else if (!itest_log_contains(&s, "\"level\":\"info\",\"msg\":\"lightcone ready"))
        test_fail(__FILE__, __LINE__, "ready line is not JSON");
    itest_server_cleanup(&s);
}

TEST(in_memory_creates_no_data_dir)
{
    itest_server_t s;
    const char *extra[] = {"--in-memory", NULL};
    if (itest_server_start(&s, extra) != 0)
        test_fail(__FILE__, __LINE__, "server did not start");
    else if (is_dir(s.data_dir))
        test_fail(__FILE__, __LINE__, "--in-memory created %s", s.data_dir);
    else if (itest_server_stop(&s, SIGTERM, NULL) != 0)
        test_fail(__FILE__, __LINE__, "server did not stop");
    itest_server_cleanup(&s);
}

TEST(cli_help_version_and_unknown_command)
{
    char out[4096];
    const char *help[] = {"--help", NULL};
    CHECK_EQ_INT(itest_run(out, sizeof out, help), 0);
    CHECK(strstr(out, "start") && strstr(out, "SpacetimeDB-compatible"));
    const char *version[] = {"version", NULL};
    CHECK_EQ_INT(itest_run(out, sizeof out, version), 0);
    CHECK(strncmp(out, "lightcone ", 10) == 0);
    const char *unknown[] = {"frobnicate", NULL};
    CHECK_EQ_INT(itest_run(out, sizeof out, unknown), 2);
    CHECK(strstr(out, "unknown command 'frobnicate'"));
    const char *badflag[] = {"start", "--no-such-flag", NULL};
    CHECK_EQ_INT(itest_run(out, sizeof out, badflag), 2);
    CHECK(strstr(out, "--no-such-flag"));
}

const test_case_t test_start_cases[] = {
    TEST_CASE(start_ready_then_sigterm_exits_0),
    TEST_CASE(start_ready_then_sigint_exits_0),
    TEST_CASE(second_server_on_same_data_dir_is_refused),
    TEST_CASE(bad_listen_address_is_a_usage_error),
    TEST_CASE(json_log_format),
    TEST_CASE(in_memory_creates_no_data_dir),
    TEST_CASE(cli_help_version_and_unknown_command),
    TEST_END,
};
