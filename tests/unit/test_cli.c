/*
 * Unit tests of the CLI's pieces that need no server: the configuration file
 * (servers, tokens, identities), reading a token's identity, and the HTTP
 * client against a canned server on a local socket (Content-Length, chunked,
 * streaming, connection refused, bad URLs).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_int.h"
#include "unit/test.h"

#define ID_HEX "c2ababababababababababababababababababababababababababababababab"
/* A JWT whose payload is {"hex_identity": ID_HEX, "sub": "x"} (unsigned: only read). */
#define TOKEN                                                                                      \
    "e30.eyJoZXhfaWRlbnRpdHkiOiAiYzJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFi" \
    "YWJhYmFiYWJhYmFiYWJhYiIsICJzdWIiOiAieCJ9.sig"

TEST(cli_token_identity_reads_the_claim)
{
    char hex[65];
    CHECK_EQ_INT(cli_token_identity(TOKEN, hex), 0);
    CHECK_EQ_STR(hex, ID_HEX);
    CHECK_EQ_INT(cli_token_identity("not-a-jwt", hex), -1);
    CHECK_EQ_INT(cli_token_identity("e30.e30.x", hex), -1); /* {} has no identity */
}

TEST(cli_config_round_trip)
{
    setenv("XDG_CONFIG_HOME", test_tmpdir(), 1);
    cli_config_t c;
    lc_err_t err;
    CHECK_OK(cli_config_load(&c, &err));
    CHECK_EQ_STR(cli_config_default_server(&c), "local");
    CHECK_EQ_STR(cli_config_url(&c, "local"), CLI_LOCAL_URL);
    CHECK(cli_config_url(&c, "nosuch") == NULL);
    CHECK_EQ_STR(cli_config_url(&c, "db.example:3000"), "http://db.example:3000");
    CHECK_EQ_STR(cli_config_url(&c, "http://x:1"), "http://x:1");
    CHECK(cli_config_token(&c, "local") == NULL);
    CHECK_OK(cli_config_set_token(&c, "local", TOKEN, ID_HEX));
    CHECK_OK(cli_config_save(&c, &err));
    cli_config_free(&c);

    CHECK_OK(cli_config_load(&c, &err));
    CHECK_EQ_STR(cli_config_token(&c, "local"), TOKEN);
    CHECK_EQ_STR(cli_config_identity(&c, "local"), ID_HEX);
    CHECK_OK(cli_config_set_token(&c, "local", NULL, NULL));
    CHECK(cli_config_token(&c, "local") == NULL);
    CHECK(cli_config_identity(&c, "local") == NULL);
    cli_config_free(&c);
}

TEST(cli_config_rejects_a_damaged_file)
{
    setenv("XDG_CONFIG_HOME", test_tmpdir(), 1);
    char path[600];
    snprintf(path, sizeof path, "%s/lightcone", test_tmpdir());
    CHECK(mkdir(path, 0700) == 0);
    strcat(path, "/cli.json");
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("{not json", f);
    fclose(f);
    cli_config_t c;
    lc_err_t err;
    CHECK_EQ_INT(cli_config_load(&c, &err), LC_ECORRUPT);
}

TEST(cli_http_escape_encodes_reserved_bytes)
{
    lc_buf_t b;
    lc_buf_init(&b);
    CHECK_OK(cli_http_escape(&b, "a b/c?d=é~_.-"));
    lc_buf_terminate(&b);
    CHECK_EQ_STR((char *)b.data, "a%20b%2Fc%3Fd%3D%C3%A9~_.-");
    lc_buf_free(&b);
}

/* A one-shot server: accepts one connection, reads the request head, sends reply. */
typedef struct canned {
    int listen_fd, port;
    const char *reply;
    char request[2048];
} canned_t;

static void *canned_run(void *arg)
{
    canned_t *c = arg;
    int fd = accept(c->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    size_t got = 0;
    while (got < sizeof c->request - 1 && !strstr(c->request, "\r\n\r\n")) {
        ssize_t n = read(fd, c->request + got, sizeof c->request - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        c->request[got] = 0;
    }
    (void)!write(fd, c->reply, strlen(c->reply));
    close(fd);
    return NULL;
}

static int canned_start(canned_t *c, pthread_t *t, const char *reply)
{
    memset(c, 0, sizeof *c);
    c->reply = reply;
    c->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(c->listen_fd, 1) != 0 || getsockname(c->listen_fd, (struct sockaddr *)&a, &len))
        return -1;
    c->port = ntohs(a.sin_port);
    return pthread_create(t, NULL, canned_run, c);
}

static int collect(void *arg, const char *p, size_t n)
{
    return lc_buf_append(arg, p, n);
}

TEST(cli_http_reads_content_length_and_sends_the_token)
{
    canned_t c;
    pthread_t t;
    CHECK_EQ_INT(
        canned_start(&c, &t, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", c.port);
    cli_http_resp_t r;
    lc_err_t err;
    int rc = cli_http_request(url, "POST", "/v1/x", "tok", "application/json", "[]", 2, NULL, NULL,
                              &r, &err);
    pthread_join(t, NULL);
    close(c.listen_fd);
    CHECK_OK(rc);
    CHECK_EQ_INT(r.status, 404);
    CHECK_EQ_STR(r.body, "not found");
    cli_http_resp_free(&r);
    CHECK(strstr(c.request, "POST /v1/x HTTP/1.1\r\n") != NULL);
    CHECK(strstr(c.request, "Authorization: Bearer tok\r\n") != NULL);
    CHECK(strstr(c.request, "Content-Type: application/json\r\n") != NULL);
}

TEST(cli_http_streams_a_chunked_body)
{
    canned_t c;
    pthread_t t;
    CHECK_EQ_INT(canned_start(&c, &t,
                              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "4\r\nline\r\n5\r\n one\n\r\n0\r\n\r\n"),
                 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/prefix/", c.port);
    cli_http_resp_t r;
    lc_err_t err;
    lc_buf_t got;
    lc_buf_init(&got);
    int rc = cli_http_request(url, "GET", "/logs", NULL, NULL, NULL, 0, collect, &got, &r, &err);
    pthread_join(t, NULL);
    close(c.listen_fd);
    CHECK_OK(rc);
    CHECK_EQ_INT(r.status, 200);
    CHECK(r.body == NULL);
    lc_buf_terminate(&got);
    CHECK_EQ_STR((char *)got.data, "line one\n");
    lc_buf_free(&got);
    CHECK(strstr(c.request, "GET /prefix/logs HTTP/1.1\r\n") != NULL);
}

TEST(cli_http_reports_unreachable_and_bad_urls)
{
    canned_t c;
    pthread_t t;
    CHECK_EQ_INT(canned_start(&c, &t, ""), 0); /* learn a free port, then close it */
    int port = c.port;
    shutdown(c.listen_fd, SHUT_RDWR);
    close(c.listen_fd);
    pthread_join(t, NULL);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    cli_http_resp_t r;
    lc_err_t err;
    CHECK_EQ_INT(cli_http_request(url, "GET", "/", NULL, NULL, NULL, 0, NULL, NULL, &r, &err),
                 LC_EIO);
    CHECK_EQ_INT(
        cli_http_request("https://x", "GET", "/", NULL, NULL, NULL, 0, NULL, NULL, &r, &err),
        LC_EINVAL);
    CHECK_EQ_INT(cli_http_request("ftp://x", "GET", "/", NULL, NULL, NULL, 0, NULL, NULL, &r, &err),
                 LC_EINVAL);
    CHECK_EQ_INT(
        cli_http_request("http://:80", "GET", "/", NULL, NULL, NULL, 0, NULL, NULL, &r, &err),
        LC_EINVAL);
}

const test_case_t test_cli_cases[] = {
    TEST_CASE(cli_token_identity_reads_the_claim),
    TEST_CASE(cli_config_round_trip),
    TEST_CASE(cli_config_rejects_a_damaged_file),
    TEST_CASE(cli_http_escape_encodes_reserved_bytes),
    TEST_CASE(cli_http_reads_content_length_and_sends_the_token),
    TEST_CASE(cli_http_streams_a_chunked_body),
    TEST_CASE(cli_http_reports_unreachable_and_bad_urls),
    TEST_END,
};
