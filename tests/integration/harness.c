/* Integration-test helpers; see harness.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "unit/test.h"

#define READY_TEXT       "lightcone ready"
#define START_TIMEOUT_MS 20000

const char *itest_binary(void)
{
    const char *b = getenv("LIGHTCONE_BIN");
    return b && b[0] ? b : "build/lightcone";
}

int itest_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

bool itest_log_contains(const itest_server_t *s, const char *text)
{
    FILE *f = fopen(s->log_path, "r");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

static pid_t spawn(const char *const *argv, const char *log_path)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int launch(itest_server_t *s, const char *const *extra_args);

int itest_server_start(itest_server_t *s, const char *const *extra_args)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s/lc-itest-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(s->dir) == NULL)
        return -1;
    snprintf(s->data_dir, sizeof s->data_dir, "%s/data", s->dir);
    snprintf(s->log_path, sizeof s->log_path, "%s/server.log", s->dir);
    s->port = itest_free_port();
    return launch(s, extra_args);
}

int itest_server_restart(itest_server_t *s, const char *const *extra_args)
{
    char old[320];
    snprintf(old, sizeof old, "%s.1", s->log_path);
    rename(s->log_path, old); /* the ready line must come from the new process */
    return launch(s, extra_args);
}

static int launch(itest_server_t *s, const char *const *extra_args)
{
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    const char *argv[32] = {itest_binary(), "start",      "--listen-addr",
                            listen,         "--data-dir", s->data_dir};
    int n = 6;
    for (int i = 0; extra_args && extra_args[i] && n < 31; i++) argv[n++] = extra_args[i];
    argv[n] = NULL;
    s->pid = spawn(argv, s->log_path);
    if (s->pid < 0)
        return -1;
    for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
        if (itest_log_contains(s, READY_TEXT))
            return 0;
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0; /* exited before becoming ready */
            return -1;
        }
        sleep_ms(20);
    }
    return -1;
}

int itest_server_stop(itest_server_t *s, int sig, int *status)
{
    int st = 0;
    if (s->pid <= 0)
        return -1;
    kill(s->pid, sig);
    for (int waited = 0; waited < 10000; waited += 10) {
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            if (status)
                *status = st;
            return 0;
        }
        sleep_ms(10);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    s->pid = 0;
    if (status)
        *status = st;
    return -1;
}

static void keep_log(const itest_server_t *s)
{
    char cmd[1024];
    mkdir("build/test-logs", 0755);
    snprintf(cmd, sizeof cmd, "cp '%s' 'build/test-logs/server-%d.log'", s->log_path, s->port);
    if (system(cmd) == 0)
        fprintf(stderr, "  server log kept in build/test-logs/server-%d.log\n", s->port);
}

void itest_server_cleanup(itest_server_t *s)
{
    if (s->pid > 0)
        itest_server_stop(s, SIGKILL, NULL);
    if (s->dir[0] == 0)
        return;
    if (test_current_failed())
        keep_log(s);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", s->dir);
    s->dir[0] = 0;
}

int itest_run(char *out, size_t outlen, const char *const *args)
{
    char path[] = "/tmp/lc-itest-out-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    const char *argv[32] = {itest_binary()};
    int n = 1;
    for (int i = 0; args[i] && n < 31; i++) argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = spawn(argv, path);
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) {
        unlink(path);
        return -1;
    }
    FILE *f = fopen(path, "r");
    size_t got = f ? fread(out, 1, outlen - 1, f) : 0;
    out[got] = 0;
    if (f)
        fclose(f);
    unlink(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
