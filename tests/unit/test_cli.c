/*
 * Unit tests of the CLI's pieces that need no server: the configuration file
 * (servers, tokens, identities), reading a token's identity, and the HTTP
 * client against a canned server on a local socket (Content-Length, chunked,
 * streaming, connection refused, bad URLs), URL parsing, and the TLS side's
 * failures (a server that does not speak TLS, a bad LIGHTCONE_CA_FILE).  The
 * successful TLS paths are tested end to end in tests/integration/test_cli.c.
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

/* A one-shot server: accepts one connection, reads the request head, sends
 * reply; or, with greet, sends reply at once and reads until the client hangs up. */
typedef struct canned {
    int listen_fd, port;
    const char *reply;
    bool greet;
    char request[2048];
} canned_t;

static void *canned_run(void *arg)
{
    canned_t *c = arg;
    int fd = accept(c->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    if (c->greet) {
        (void)!write(fd, c->reply, strlen(c->reply));
        while (read(fd, c->request, sizeof c->request) > 0) {
        }
        close(fd);
        return NULL;
    }
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

static int canned_start(canned_t *c, pthread_t *t, const char *reply, bool greet)
{
    memset(c, 0, sizeof *c);
    c->reply = reply;
    c->greet = greet;
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
        canned_start(&c, &t, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found", false),
        0);
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
                              "4\r\nline\r\n5\r\n one\n\r\n0\r\n\r\n",
                              false),
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
    CHECK_EQ_INT(canned_start(&c, &t, "", false), 0); /* learn a free port, then close it */
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
    CHECK_EQ_INT(cli_http_request("ftp://x", "GET", "/", NULL, NULL, NULL, 0, NULL, NULL, &r, &err),
                 LC_EINVAL);
    CHECK_EQ_INT(
        cli_http_request("http://:80", "GET", "/", NULL, NULL, NULL, 0, NULL, NULL, &r, &err),
        LC_EINVAL);
}

TEST(cli_url_parse_takes_http_and_https)
{
    cli_url_t u;
    lc_err_t err;
    CHECK_OK(cli_url_parse("https://db.example", &u, &err));
    CHECK(u.tls);
    CHECK_EQ_STR(u.host, "db.example");
    CHECK_EQ_STR(u.port, "443");
    CHECK_EQ_STR(u.authority, "db.example");
    CHECK_EQ_STR(u.prefix, "");
    CHECK_OK(cli_url_parse("http://127.0.0.1:3000/api/", &u, &err));
    CHECK(!u.tls);
    CHECK_EQ_STR(u.port, "3000");
    CHECK_EQ_STR(u.authority, "127.0.0.1:3000");
    CHECK_EQ_STR(u.prefix, "/api");
    CHECK_OK(cli_url_parse("http://x", &u, &err));
    CHECK_EQ_STR(u.port, "80");
    CHECK_OK(cli_url_parse("https://[::1]:8443/p", &u, &err));
    CHECK_EQ_STR(u.host, "::1");
    CHECK_EQ_STR(u.port, "8443");
    CHECK_EQ_STR(u.authority, "[::1]:8443");
    CHECK_EQ_INT(cli_url_parse("ftp://x", &u, &err), LC_EINVAL);
    CHECK_EQ_INT(cli_url_parse("https://:443", &u, &err), LC_EINVAL);
    CHECK_EQ_INT(cli_url_parse("https://x:", &u, &err), LC_EINVAL);
    CHECK_EQ_INT(cli_url_parse("https://x:44a", &u, &err), LC_EINVAL);
    CHECK_EQ_INT(cli_url_parse("https://[::1", &u, &err), LC_EINVAL);
}

TEST(cli_https_to_a_plain_server_fails_the_handshake)
{
    canned_t c;
    pthread_t t;
    CHECK_EQ_INT(canned_start(&c, &t, "HTTP/1.1 400 Bad Request\r\n\r\n", true), 0);
    char url[64], want[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", c.port);
    snprintf(want, sizeof want, "TLS handshake with 127.0.0.1:%d failed: ", c.port);
    cli_http_resp_t r;
    lc_err_t err;
    int rc = cli_http_request(url, "GET", "/", NULL, NULL, NULL, 0, NULL, NULL, &r, &err);
    pthread_join(t, NULL);
    close(c.listen_fd);
    CHECK_EQ_INT(rc, LC_EIO);
    CHECK(strstr(err.msg, want) != NULL);
}

TEST(cli_https_reports_a_bad_ca_file)
{
    setenv("LIGHTCONE_CA_FILE", "/nonexistent/ca.pem", 1);
    cli_url_t u;
    cli_conn_t *conn;
    lc_err_t err;
    CHECK_OK(cli_url_parse("https://127.0.0.1:9", &u, &err));
    int rc = cli_conn_open(&u, &conn, &err);
    char path[600];
    snprintf(path, sizeof path, "%s/empty.pem", test_tmpdir());
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    setenv("LIGHTCONE_CA_FILE", path, 1);
    int rc2 = cli_conn_open(&u, &conn, &err);
    unsetenv("LIGHTCONE_CA_FILE");
    CHECK_EQ_INT(rc, LC_EINVAL);
    CHECK_EQ_INT(rc2, LC_EINVAL);
    CHECK(strstr(err.msg, "cannot load LIGHTCONE_CA_FILE=") != NULL);
    CHECK(conn == NULL);
}

/* generate --schema-file: the reference's camelCase accessors over canonical names, here
 * under the default SnakeCase policy (no CaseConversionPolicy section), and declared names
 * kept for a product whose fields would meet in one camelCase key. */
static const char gen_schema[] =
    "{\"sections\": ["
    "{\"Typespace\": {\"types\": ["
    "  {\"Product\": {\"elements\": ["
    "    {\"name\": {\"some\": \"playerId\"}, \"algebraic_type\": {\"U64\": []}},"
    "    {\"name\": {\"some\": \"top_score\"}, \"algebraic_type\": {\"U32\": []}}]}},"
    "  {\"Product\": {\"elements\": ["
    "    {\"name\": {\"some\": \"a_b\"}, \"algebraic_type\": {\"U8\": []}},"
    "    {\"name\": {\"some\": \"aB\"}, \"algebraic_type\": {\"U8\": []}}]}}]}},"
    "{\"Types\": ["
    "  {\"source_name\": {\"scope\": [], \"source_name\": \"PlayerScore\"}, \"ty\": 0},"
    "  {\"source_name\": {\"scope\": [], \"source_name\": \"pair\"}, \"ty\": 1}]},"
    "{\"Tables\": [{\"source_name\": \"PlayerScore\", \"product_type_ref\": 0,"
    "  \"primary_key\": [0], \"indexes\": [], \"constraints\": [], \"sequences\": []}]},"
    "{\"Reducers\": [{\"source_name\": \"addScore\", \"visibility\": {\"ClientCallable\": []},"
    "  \"params\": {\"elements\": [{\"name\": {\"some\": \"player_id\"},"
    "  \"algebraic_type\": {\"Ref\": 1}}]}}]}]}";

TEST(cli_generate_camel_case_accessors)
{
    char schema[600], dir[600], file[700],
        *argv[] = {"lightcone", "generate", "--schema-file", schema, "-o", dir, "game", NULL};
    snprintf(schema, sizeof schema, "%s/schema.json", test_tmpdir());
    snprintf(dir, sizeof dir, "%s/gen", test_tmpdir());
    snprintf(file, sizeof file, "%s/index.mjs", dir);
    FILE *f = fopen(schema, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(gen_schema, f);
    fclose(f);
    CHECK_EQ_INT(cli_main(7, argv), 0);
    char text[16384] = "";
    f = fopen(file, "r");
    CHECK(f != NULL);
    if (f) {
        text[fread(text, 1, sizeof text - 1, f)] = 0;
        fclose(f);
    }
    CHECK(strstr(text, "  playerId: __t.u64().primaryKey().name('player_id'),\n"));
    CHECK(strstr(text, "  topScore: __t.u32().name('top_score'),\n"));
    CHECK(strstr(text, "  playerScore: __table(\n    {\n      name: 'player_score',\n"));
    CHECK(strstr(text, "  PlayerScore: 'playerScore',\n"));
    CHECK(strstr(text, "export const Pair = __t.object('Pair', { a_b: __t.u8(), aB: __t.u8() });"));
    CHECK(strstr(text, "export const AddScoreReducer = { playerId: Pair };"));
    CHECK(strstr(text, "__reducerSchema('add_score', AddScoreReducer)"));
}

const test_case_t test_cli_cases[] = {
    TEST_CASE(cli_token_identity_reads_the_claim),
    TEST_CASE(cli_config_round_trip),
    TEST_CASE(cli_config_rejects_a_damaged_file),
    TEST_CASE(cli_http_escape_encodes_reserved_bytes),
    TEST_CASE(cli_http_reads_content_length_and_sends_the_token),
    TEST_CASE(cli_http_streams_a_chunked_body),
    TEST_CASE(cli_http_reports_unreachable_and_bad_urls),
    TEST_CASE(cli_url_parse_takes_http_and_https),
    TEST_CASE(cli_https_to_a_plain_server_fails_the_handshake),
    TEST_CASE(cli_https_reports_a_bad_ca_file),
    TEST_CASE(cli_generate_camel_case_accessors),
    TEST_END,
};
