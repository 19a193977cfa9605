/* Unit tests for src/server: configuration, listen addresses, the data
 * directory and its lock. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/server.h"
#include "test.h"

TEST(listen_addr_forms)
{
    char host[64];
    int port;
    lc_err_t err;
    CHECK_OK(server_parse_listen_addr("127.0.0.1:3000", host, sizeof host, &port, &err));
    CHECK_EQ_STR(host, "127.0.0.1");
    CHECK_EQ_INT(port, 3000);
    CHECK_OK(server_parse_listen_addr("[::1]:0", host, sizeof host, &port, &err));
    CHECK_EQ_STR(host, "::1");
    CHECK_EQ_INT(port, 0);
    CHECK_OK(server_parse_listen_addr("0.0.0.0:65535", host, sizeof host, &port, &err));
    CHECK_OK(server_parse_listen_addr("localhost:80", host, sizeof host, &port, &err));
    const char *bad[] = {"3000",        ":3000",     "127.0.0.1:",       "127.0.0.1:70000",
                         "127.0.0.1:x", "[::1:3000", "example.com:3000", "1.2.3.4:-1"};
    for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
        CHECK_MSG(server_parse_listen_addr(bad[i], host, sizeof host, &port, &err) == LC_EINVAL,
                  "%s accepted", bad[i]);
        CHECK(strstr(err.msg, "listen address") != NULL);
    }
}

TEST(config_defaults_and_environment)
{
    lc_err_t err, bad_err;
    server_config_t cfg, bad_cfg;
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    unsetenv("LIGHTCONE_DATA_DIR");
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/home/tester", 1);
    int rc = server_config_init(&cfg, &err);
    setenv("LIGHTCONE_LOG_FORMAT", "yaml", 1);
    int bad = server_config_init(&bad_cfg, &bad_err);
    unsetenv("LIGHTCONE_LOG_FORMAT");
    if (old_home) {
        setenv("HOME", old_home, 1);
        free(old_home);
    }
    CHECK_OK(rc);
    CHECK_EQ_STR(cfg.data_dir, "/home/tester/.local/share/lightcone");
    CHECK_EQ_STR(cfg.listen_addr, "127.0.0.1:3000");
    CHECK_EQ_INT(cfg.log_level, LC_LOG_INFO);
    CHECK_EQ_INT(bad, LC_EINVAL);
    CHECK(strstr(bad_err.msg, "LIGHTCONE_LOG_FORMAT=yaml") != NULL);
}

TEST(config_env_values_apply)
{
    lc_err_t err;
    server_config_t cfg;
    setenv("LIGHTCONE_DATA_DIR", "/srv/lc", 1);
    setenv("LIGHTCONE_LISTEN_ADDR", "0.0.0.0:4000", 1);
    setenv("LIGHTCONE_LOG_LEVEL", "debug", 1);
    setenv("LIGHTCONE_LOG_FORMAT", "json", 1);
    int rc = server_config_init(&cfg, &err);
    unsetenv("LIGHTCONE_DATA_DIR");
    unsetenv("LIGHTCONE_LISTEN_ADDR");
    unsetenv("LIGHTCONE_LOG_LEVEL");
    unsetenv("LIGHTCONE_LOG_FORMAT");
    CHECK_OK(rc);
    CHECK_EQ_STR(cfg.data_dir, "/srv/lc");
    CHECK_EQ_STR(cfg.listen_addr, "0.0.0.0:4000");
    CHECK_EQ_INT(cfg.log_level, LC_LOG_DEBUG);
    CHECK_EQ_INT(cfg.log_format, LC_LOG_JSON);
}

TEST(data_dir_is_created_and_locked_once)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/a/b/data", test_tmpdir());
    lc_err_t err;
    int fd1 = -1, fd2 = -1;
    CHECK_OK(server_data_dir_open(dir, &fd1, &err));
    char sub[600];
    snprintf(sub, sizeof sub, "%s/databases", dir);
    struct stat st;
    int have_sub = stat(sub, &st) == 0 && S_ISDIR(st.st_mode);
    int second = server_data_dir_open(dir, &fd2, &err);
    close(fd1);
    CHECK(have_sub);
    CHECK_EQ_INT(second, LC_EBUSY);
    char want[64];
    snprintf(want, sizeof want, "(pid %ld)", (long)getpid());
    CHECK_MSG(strstr(err.msg, want) != NULL, "message: %s", err.msg);
    /* the lock is released with its descriptor */
    CHECK_OK(server_data_dir_open(dir, &fd2, &err));
    close(fd2);
}

TEST(data_dir_that_is_a_file_is_refused)
{
    char path[512];
    snprintf(path, sizeof path, "%s/file", test_tmpdir());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fclose(f);
    lc_err_t err;
    int fd;
    CHECK_EQ_INT(server_data_dir_open(path, &fd, &err), LC_EIO);
    CHECK(strstr(err.msg, "not a directory") != NULL);
}

const test_case_t test_server_cases[] = {
    TEST_CASE(listen_addr_forms),
    TEST_CASE(config_defaults_and_environment),
    TEST_CASE(config_env_values_apply),
    TEST_CASE(data_dir_is_created_and_locked_once),
    TEST_CASE(data_dir_that_is_a_file_is_refused),
    TEST_END,
};
