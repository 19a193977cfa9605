/*
 * Integration tests of the `lightcone` client commands (docs/CLI.md) run as
 * the real binary against a real server: publish (-b and -p), call, sql
 * (and sql -i fed through stdin), logs, describe, rename, list, delete, identity, login/logout,
 * server, and the error cases with their exit codes (cli.h); subscribe; and all of that over
 * https:// and wss:// through socat terminating TLS in front of the server, with a self-signed
 * certificate made by openssl at test time.  Each test keeps the CLI's configuration in its
 * own XDG_CONFIG_HOME.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
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

#include "base/base.h"
#include "cli_run.h"
#include "harness.h"
#include "unit/test.h"

/* RUN with stdin read from `input` (written to a file the child inherits as fd 0). */
#define RUN_STDIN(want, input, ...)                                                                \
    do {                                                                                           \
        int saved_ = stdin_from(input);                                                            \
        const char *args_[] = {__VA_ARGS__, NULL};                                                 \
        int code_ = saved_ < 0 ? -1 : itest_run(out, OUT_CAP, args_);                              \
        if (saved_ >= 0) {                                                                         \
            dup2(saved_, STDIN_FILENO);                                                            \
            close(saved_);                                                                         \
        }                                                                                          \
        if (code_ != (want)) {                                                                     \
            test_fail(__FILE__, __LINE__,                                                          \
                      "lightcone %s (stdin): exit %d, expected %d; output:\n%s", args_[0], code_,  \
                      want, out);                                                                  \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

/* Point fd 0 at a file holding text; returns the old fd 0 (dup'd), or -1. */
static int stdin_from(const char *text)
{
    char path[500];
    snprintf(path, sizeof path, "%s/stdin.txt", test_tmpdir());
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    fclose(f);
    int saved = dup(STDIN_FILENO), fd = open(path, O_RDONLY);
    if (saved < 0 || fd < 0 || dup2(fd, STDIN_FILENO) < 0) {
        if (saved >= 0)
            close(saved);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return saved;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* A fresh configuration directory for the CLI under test. */
static void fresh_config(void)
{
    char dir[400];
    snprintf(dir, sizeof dir, "%s/config", test_tmpdir());
    mkdir(dir, 0700);
    setenv("XDG_CONFIG_HOME", dir, 1);
    unsetenv("NO_COLOR");
}

/* The token stored for server `name` (read back through `login show`
 * would not print it: read the file). */
static int stored_token(const char *name, char *tok, size_t cap)
{
    char path[500];
    snprintf(path, sizeof path, "%s/lightcone/cli.json", getenv("XDG_CONFIG_HOME"));
    json_t *j = json_load_file(path, 0, NULL);
    const char *t = json_string_value(json_object_get(json_object_get(j, "tokens"), name));
    int rc = t && strlen(t) < cap ? 0 : -1;
    if (rc == 0)
        snprintf(tok, cap, "%s", t);
    json_decref(j);
    return rc;
}

/* Start `lightcone ARGS...` in the background with stdout+stderr to path. */
static pid_t run_background(const char *path, const char *const *args)
{
    const char *argv[16] = {itest_binary()};
    int n = 1;
    for (int i = 0; args[i] && n < 15; i++) argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

/* Wait (up to 20 s) until the file at path contains text. */
static bool file_gets(const char *path, const char *text)
{
    char buf[8192];
    for (int i = 0; i < 400; i++) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = 0;
        if (strstr(buf, text))
            return true;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    return false;
}

TEST(cli_server_config_and_usage_errors)
{
    char *out = malloc(OUT_CAP), url[64];
    fresh_config();
    snprintf(url, sizeof url, "http://127.0.0.1:%d", itest_free_port());
    RUN(0, "server", "list");
    EXPECT_OUT("local");
    EXPECT_OUT("http://127.0.0.1:3000");
    RUN(0, "server", "add", "dead", url);
    RUN(2, "server", "add", "dead", url); /* exists */
    RUN(2, "server", "add", "bad name!", url);
    RUN(2, "server", "add", "x", "ftp://x");
    RUN(0, "server", "set-default", "dead");
    RUN(0, "server", "list", "--json");
    EXPECT_OUT("\"default_server\": \"dead\"");
    /* nothing listens there */
    RUN(3, "server", "ping");
    EXPECT_OUT("unreachable");
    RUN(3, "list");
    RUN(3, "sql", "db", "SELECT * FROM t");
    RUN(4, "server", "set-default", "nosuch");
    RUN(2, "list", "-s", "nosuch");
    RUN(0, "server", "remove", "dead");
    RUN(2, "server", "remove", "local");
    RUN(0, "server", "list");
    EXPECT(strstr(out, "dead") == NULL);
    /* bad usage */
    RUN(2, "nosuchcommand");
    RUN(2, "call", "db");
    RUN(2, "call", "db", "reducer", "not-json");
    RUN(2, "sql", "db");
    RUN(2, "logs", "db", "--format", "xml");
    RUN(2, "logs", "db", "--level", "loud");
    RUN(2, "logs", "db", "-n", "many");
    RUN(2, "publish", "db", "-p", "x", "-b", "y");
    RUN(2, "publish", "db", "--bogus");
    RUN(2, "login");
    RUN(2, "identity", "old");
    RUN(0, "publish", "--help");
    EXPECT_OUT("--bin-path");
    RUN(0, "help", "logs");
    EXPECT_OUT("--follow");
    RUN(0, "--help");
    EXPECT_OUT("describe");
    RUN(0, "version");
    EXPECT_OUT("lightcone");
done:
    free(out);
}

TEST(cli_publish_call_sql_logs_describe_list_delete)
{
    char *out = malloc(OUT_CAP), url[64], tok[4096];
    fresh_config();
    itest_server_t s;
    if (itest_server_start(&s, NULL) != 0) {
        test_fail(__FILE__, __LINE__, "server did not start (log %s)", s.log_path);
        itest_server_cleanup(&s);
        free(out);
        return;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    RUN(0, "server", "add", "t", url, "--default");
    RUN(0, "server", "ping");
    EXPECT_OUT("Server is online");

    /* publish: a prebuilt module, and a project built on the way */
    RUN(0, "publish", "bank", "-b", "build/examples/bank.wasm");
    EXPECT_OUT("Created new database with name: bank");
    EXPECT_OUT("Saved a new identity");
    RUN(0, "publish", "chat", "-p", "examples/chat", "-s", url);
    EXPECT_OUT("Building");
    EXPECT_OUT("Created new database with name: chat");
    RUN(0, "publish", "bank", "-b", "build/examples/bank.wasm");
    EXPECT_OUT("Updated database with name: bank");
    RUN(0, "publish", "-b", "build/examples/bank.wasm"); /* a new unnamed database */
    EXPECT_OUT("Created new database with identity: ");

    /* call and sql */
    RUN(0, "call", "bank", "seed", "3", "100");
    RUN(0, "call", "bank", "transfer", "0", "1", "25");
    RUN(0, "sql", "bank", "SELECT * FROM accounts");
    EXPECT_OUT(" id | balance");
    EXPECT_OUT("125");
    EXPECT_OUT("75");
    RUN(0, "sql", "bank", "SELECT * FROM accounts", "--json");
    EXPECT_OUT("\"rows\"");
    RUN(1, "call", "bank", "transfer", "0", "1", "1000"); /* the reducer fails */
    EXPECT_OUT("insufficient balance");
    RUN(4, "call", "bank", "nosuch");
    RUN(4, "sql", "nosuchdb", "SELECT * FROM accounts");
    RUN(1, "sql", "bank", "SELECT * FROM nosuchtable");
    /* sql -i reads statements line by line from a pipe */
    RUN_STDIN(0, "SELECT * FROM accounts\n\nSELECT balance FROM accounts WHERE id = 1;\n", "sql",
              "bank", "-i");
    EXPECT(count_of(out, "\n--") == 2);
    EXPECT_OUT(" id | balance");
    EXPECT_OUT("\n balance \n");           /* the second table */
    EXPECT(strstr(out, "bank> ") == NULL); /* no prompt when stdin is not a terminal */
    RUN_STDIN(1, "SELECT * FROM nosuchtable\nSELECT * FROM accounts\n\\q\nSELECT 1\n", "sql",
              "bank", "--interactive");
    EXPECT(count_of(out, "\n--") == 1); /* an error does not end the session; \q does */
    RUN_STDIN(4, "SELECT * FROM accounts\n", "sql", "nosuchdb", "-i");
    RUN(2, "sql", "bank", "-i", "SELECT 1");

    /* logs */
    RUN(0, "logs", "bank", "-n", "50");
    EXPECT_OUT("Database initialized");
    EXPECT_OUT("ERROR: transfer: insufficient balance");
    /* logs --follow streams what comes later */
    char follow_out[500];
    snprintf(follow_out, sizeof follow_out, "%s/follow.txt", test_tmpdir());
    const char *follow[] = {"logs", "bank", "-f", "-n", "1", NULL};
    pid_t follower = run_background(follow_out, follow);
    EXPECT(follower > 0);
    RUN(1, "call", "bank", "transfer", "2", "0", "5000");
    bool followed = file_gets(follow_out, "insufficient balance in account 2");
    kill(follower, SIGTERM);
    waitpid(follower, NULL, 0);
    EXPECT(followed);
    RUN(0, "logs", "bank", "--format", "json", "--level", "error");
    EXPECT_OUT("\"level\":\"Error\"");
    EXPECT(strstr(out, "Database initialized") == NULL);

    /* describe, list, identity */
    RUN(0, "describe", "bank");
    EXPECT_OUT("Names:     bank");
    EXPECT_OUT("accounts (public)");
    EXPECT_OUT("columns:     id: u32, balance: i64");
    EXPECT_OUT("primary key: id");
    EXPECT_OUT("transfer(from: u32, to: u32, amount: i64)");
    RUN(0, "describe", "chat");
    EXPECT_OUT("client_connected()  [lifecycle: OnConnect]");
    EXPECT_OUT("name: Option<string>");
    RUN(0, "describe", "bank", "--json");
    EXPECT_OUT("\"Tables\"");
    EXPECT_OUT("\"accounts\"");
    EXPECT_OUT("\"transfer\"");
    RUN(4, "describe", "nosuchdb");
    RUN(0, "identity");
    char me[65];
    EXPECT(strlen(out) >= 64);
    memcpy(me, out, 64);
    me[64] = 0;
    RUN(0, "list");
    EXPECT_OUT(me);
    EXPECT_OUT("bank");
    /* chat was published with -s URL: that server entry has its own token
     * (a different identity), so it is listed there. */
    RUN(0, "list", "-s", url);
    EXPECT_OUT("chat");
    RUN(0, "identity", "--json");
    EXPECT_OUT(me);

    /* another identity is not the owner */
    EXPECT(stored_token("t", tok, sizeof tok) == 0);
    RUN(0, "logout");
    RUN(1, "identity");
    RUN(0, "identity", "new");
    EXPECT(strstr(out, me) == NULL);
    RUN(5, "delete", "bank", "-y");
    RUN(5, "rename", "bank", "stolen");
    RUN(5, "logs", "bank");
    RUN(5, "publish", "bank", "-b", "build/examples/bank.wasm");
    RUN(0, "list");
    EXPECT(strstr(out, "bank") == NULL);
    RUN(0, "login", "--token", tok);
    EXPECT_OUT(me);
    RUN(0, "login", "show");
    EXPECT_OUT(me);

    /* rename: the old name is gone, the new one works; and back */
    RUN(0, "rename", "bank", "bank2");
    EXPECT_OUT("Renamed database bank to bank2");
    RUN(4, "sql", "bank", "SELECT * FROM accounts");
    RUN(0, "sql", "bank2", "SELECT * FROM accounts");
    EXPECT_OUT("125");
    RUN(1, "rename", "bank2", "chat"); /* taken */
    RUN(1, "rename", "bank2", "bad name/");
    RUN(4, "rename", "nosuchdb", "x");
    RUN(2, "rename", "bank2");
    RUN(0, "rename", "bank2", "bank");

    /* delete */
    RUN(4, "delete", "nosuchdb", "-y");
    RUN(0, "delete", "bank", "-y");
    EXPECT_OUT("Deleted database bank");
    RUN(4, "sql", "bank", "SELECT * FROM accounts");
    RUN(0, "list", "--json");
    EXPECT(strstr(out, "\"bank\"") == NULL);
    RUN(0, "list", "--json", "-s", url); /* chat is the URL entry's identity's */
    EXPECT_OUT("\"chat\"");
    RUN(0, "login", "--server-issued-login");
    EXPECT(strstr(out, me) == NULL);
    RUN(0, "logout");
done:
    itest_server_stop(&s, SIGTERM, &(int){0});
    itest_server_cleanup(&s);
    free(out);
}

/* A file's contents into buf (empty if unreadable). */
static void read_text(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
}

/* init → publish -p → call → generate (typescript and c), and their error cases. */
TEST(cli_init_publish_generate)
{
    char *out = malloc(OUT_CAP), *text = malloc(OUT_CAP), url[64], dir[400], gen[450], file[600];
    fresh_config();
    itest_server_t s;
    if (itest_server_start(&s, NULL) != 0) {
        test_fail(__FILE__, __LINE__, "server did not start (log %s)", s.log_path);
        itest_server_cleanup(&s);
        free(out);
        free(text);
        return;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    snprintf(dir, sizeof dir, "%s/hello-app", test_tmpdir());
    snprintf(gen, sizeof gen, "%s/gen", test_tmpdir());

    RUN(0, "init", "--client", "typescript", dir);
    EXPECT_OUT("created");
    snprintf(file, sizeof file, "%s/hello-app.c", dir);
    read_text(file, text, OUT_CAP);
    EXPECT(strstr(text, "LC_TABLE(person") && !strstr(text, "{{name}}"));
    snprintf(file, sizeof file, "%s/client/package.json", dir);
    read_text(file, text, OUT_CAP);
    EXPECT(strstr(text, "\"spacetimedb\": \"2.8.3\"") && strstr(text, "hello-app-client"));
    RUN(1, "init", dir); /* not empty */
    RUN(2, "init", "--lang", "rust", gen);
    RUN(2, "init");

    RUN(0, "publish", "hello-app", "-p", dir, "-s", url);
    EXPECT_OUT("Created new database with name: hello-app");
    RUN(0, "call", "-s", url, "hello-app", "add", "\"Ada\"");
    RUN(0, "sql", "-s", url, "hello-app", "SELECT * FROM person");
    EXPECT_OUT("Ada");

    RUN(0, "generate", "--lang", "typescript", "--out-dir", gen, "hello-app", "-s", url);
    snprintf(file, sizeof file, "%s/index.mjs", gen);
    read_text(file, text, OUT_CAP);
    EXPECT(strstr(text, "export const PersonRow = __t.row({"));
    EXPECT(strstr(text, "id: __t.u64().primaryKey().autoInc(),"));
    EXPECT(strstr(text, "export const AddReducer = { name: __t.string() };"));
    EXPECT(strstr(text, "__reducerSchema('say_hello', SayHelloReducer)"));
    EXPECT(strstr(text, "export class DbConnection extends __DbConnectionImpl"));
    RUN(0, "generate", "--lang", "c", "-o", gen, "hello-app", "-s", url);
    snprintf(file, sizeof file,
             "cc -std=c17 -Wall -Werror -fsyntax-only -x c %s/hello_app_bindings.h", gen);
    EXPECT(system(file) == 0);
    snprintf(file, sizeof file, "%s/hello_app_bindings.h", gen);
    read_text(file, text, OUT_CAP);
    EXPECT(strstr(text, "#define HELLO_APP_REDUCER_ADD \"add\""));
    EXPECT(strstr(text, "} hello_app_Person_t;"));

    RUN(4, "generate", "nosuchdb", "-o", gen, "-s", url);
    RUN(2, "generate", "--lang", "java", "hello-app");
    RUN(2, "generate");
    RUN(1, "generate", "--schema-file", "/nonexistent.json", "x", "-o", gen);
done:
    itest_server_stop(&s, SIGTERM, &(int){0});
    itest_server_cleanup(&s);
    free(out);
    free(text);
}

/* subscribe: the initial rows, a live update read while the command runs, errors. */
TEST(cli_subscribe)
{
    char *out = malloc(OUT_CAP), url[64], cmdline[600], line[4096];
    FILE *p = NULL;
    fresh_config();
    itest_server_t s;
    if (itest_server_start(&s, NULL) != 0) {
        test_fail(__FILE__, __LINE__, "server did not start (log %s)", s.log_path);
        itest_server_cleanup(&s);
        free(out);
        return;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    RUN(0, "publish", "-s", url, "chat", "-b", "build/examples/chat.wasm");
    RUN(0, "call", "-s", url, "chat", "send_message", "\"first\"");
    RUN(0, "subscribe", "-s", url, "chat", "SELECT * FROM message", "--print-initial-update", "-t",
        "1");
    EXPECT_OUT("{\"message\":{\"deletes\":[],\"inserts\":[[[\"0x");
    EXPECT_OUT("\"first\"]]}}");

    /* live: the initial line marks the subscription applied; then call, then read the update */
    snprintf(cmdline, sizeof cmdline,
             "%s subscribe -s %s chat 'SELECT * FROM message' --print-initial-update -n 1 -t 20",
             itest_binary(), url);
    p = popen(cmdline, "r");
    EXPECT(p && fgets(line, sizeof line, p) && strstr(line, "\"first\""));
    RUN(0, "call", "-s", url, "chat", "send_message", "\"second\"");
    EXPECT(fgets(line, sizeof line, p) && strstr(line, "\"inserts\"") &&
           strstr(line, "\"second\"") && !strstr(line, "\"first\""));
    int st = pclose(p);
    p = NULL;
    EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    RUN(4, "subscribe", "-s", url, "nosuchdb", "SELECT * FROM message", "-t", "1");
    RUN(1, "subscribe", "-s", url, "chat", "SELECT * FROM nosuch", "-t", "5");
    EXPECT_OUT("subscription failed");
    RUN(2, "subscribe", "-s", url, "chat");
    RUN(2, "subscribe", "-s", url, "chat", "SELECT * FROM message", "-n", "zero");
done:
    if (p)
        pclose(p);
    itest_server_stop(&s, SIGTERM, &(int){0});
    itest_server_cleanup(&s);
    free(out);
}

/* ---------------------------------------------------------------- https */

/* A self-signed certificate for localhost (CN and SAN) in dir/cert.pem, its key in dir/key.pem. */
static int make_cert(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-subj /CN=localhost -addext subjectAltName=DNS:localhost -days 2 "
             "-keyout '%s/key.pem' -out '%s/cert.pem' >'%s/openssl.log' 2>&1",
             dir, dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* socat terminating TLS on port and forwarding to the server at backend; the
 * pid, once the port accepts connections (or -1). */
static pid_t start_tls_proxy(const char *dir, int port, int backend)
{
    char listen[900], target[64], log[500];
    snprintf(listen, sizeof listen,
             "OPENSSL-LISTEN:%d,reuseaddr,fork,cert=%s/cert.pem,key=%s/key.pem,verify=0", port, dir,
             dir);
    snprintf(target, sizeof target, "TCP:127.0.0.1:%d", backend);
    snprintf(log, sizeof log, "%s/socat.log", dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execlp("socat", "socat", listen, target, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; pid > 0 && i < 200; i++) { /* up to 10 s */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        bool up = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0)
            close(fd);
        if (up)
            return pid;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return -1; /* exited: not installed, or the certificate was refused */
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    return -1;
}

/* The client commands over https:// and wss:// through a real TLS proxy in
 * front of the real server, and the certificate checks failing as they must. */
TEST(cli_https_through_a_tls_proxy)
{
    char *out = malloc(OUT_CAP), url[64], bad_name[64], plain[64], ca[500], cmdline[900];
    char line[4096];
    const char *dir = test_tmpdir();
    pid_t proxy = -1;
    FILE *p = NULL;
    fresh_config();
    itest_server_t s;
    if (itest_server_start(&s, NULL) != 0) {
        test_fail(__FILE__, __LINE__, "server did not start (log %s)", s.log_path);
        itest_server_cleanup(&s);
        free(out);
        return;
    }
    int port = itest_free_port();
    snprintf(url, sizeof url, "https://localhost:%d", port);
    snprintf(bad_name, sizeof bad_name, "https://127.0.0.1:%d", port);
    snprintf(plain, sizeof plain, "https://localhost:%d", s.port); /* no TLS there */
    snprintf(ca, sizeof ca, "%s/cert.pem", dir);
    out[0] = 0;
    EXPECT(make_cert(dir) == 0);
    proxy = start_tls_proxy(dir, port, s.port);
    if (proxy < 0) {
        test_fail(__FILE__, __LINE__, "socat did not start (installed? scripts/deps.sh); see %s",
                  dir);
        goto done;
    }

    /* trusted through LIGHTCONE_CA_FILE */
    setenv("LIGHTCONE_CA_FILE", ca, 1);
    RUN(0, "server", "add", "tls", url);
    RUN(0, "server", "ping", "-s", "tls");
    EXPECT_OUT("Server is online");
    RUN(0, "publish", "-s", url, "chat", "-b", "build/examples/chat.wasm");
    EXPECT_OUT("Uploading"); /* plain stage lines: stderr is not a terminal */
    EXPECT_OUT("Created new database with name: chat");
    EXPECT(strstr(out, "\r") == NULL && strstr(out, "\033[K") == NULL);
    RUN(0, "call", "-s", url, "chat", "send_message", "\"sealed\"");
    RUN(0, "sql", "-s", url, "chat", "SELECT text FROM message");
    EXPECT_OUT("\"sealed\"");

    /* wss: the initial rows, then one live update */
    snprintf(cmdline, sizeof cmdline,
             "%s subscribe -s %s chat 'SELECT * FROM message' --print-initial-update -n 1 -t 20",
             itest_binary(), url);
    p = popen(cmdline, "r");
    EXPECT(p && fgets(line, sizeof line, p) && strstr(line, "\"sealed\""));
    RUN(0, "call", "-s", url, "chat", "send_message", "\"over wss\"");
    EXPECT(fgets(line, sizeof line, p) && strstr(line, "\"over wss\"") &&
           !strstr(line, "\"sealed\""));
    int st = pclose(p);
    p = NULL;
    EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* a certificate for another name, and a server that does not speak TLS */
    RUN(3, "server", "ping", "-s", bad_name);
    EXPECT_OUT("certificate verify failed");
    EXPECT_OUT("mismatch");
    RUN(3, "server", "ping", "-s", plain);
    EXPECT_OUT("TLS handshake with localhost:");

    /* without the CA file the self-signed certificate is not trusted */
    unsetenv("LIGHTCONE_CA_FILE");
    RUN(3, "server", "ping", "-s", url);
    EXPECT_OUT("TLS handshake with localhost:");
    EXPECT_OUT("failed: certificate verify failed: self-signed certificate");
    EXPECT_OUT("LIGHTCONE_CA_FILE"); /* the hint */
    RUN(3, "sql", "-s", url, "chat", "SELECT * FROM message");
    EXPECT_OUT("certificate verify failed");
    RUN(3, "subscribe", "-s", url, "chat", "SELECT * FROM message", "-t", "1");
    EXPECT_OUT("certificate verify failed");
    setenv("LIGHTCONE_CA_FILE", "/nonexistent/ca.pem", 1);
    RUN(2, "server", "ping", "-s", url);
    EXPECT_OUT("cannot read LIGHTCONE_CA_FILE=/nonexistent/ca.pem");
done:
    unsetenv("LIGHTCONE_CA_FILE");
    if (p)
        pclose(p);
    if (proxy > 0) {
        kill(proxy, SIGTERM);
        waitpid(proxy, NULL, 0);
    }
    itest_server_stop(&s, SIGTERM, &(int){0});
    itest_server_cleanup(&s);
    free(out);
}

const test_case_t test_cli_cases[] = {
    TEST_CASE(cli_server_config_and_usage_errors),
    TEST_CASE(cli_publish_call_sql_logs_describe_list_delete),
    TEST_CASE(cli_init_publish_generate),
    TEST_CASE(cli_subscribe),
    TEST_CASE(cli_https_through_a_tls_proxy),
    TEST_END,
};
