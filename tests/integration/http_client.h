/*
 * A small blocking HTTP/1.1 and WebSocket client for integration tests:
 * one request per connection (Connection: close), the whole response read
 * into memory; and a WebSocket client that masks its frames as RFC 6455
 * asks clients to.
 */
#ifndef LC_ITEST_HTTP_CLIENT_H
#define LC_ITEST_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

typedef struct http_resp {
    int status;         /* 0 if the exchange failed */
    char headers[8192]; /* the raw header block, lower-cased names */
    char *body;         /* malloc'd, NUL-terminated */
    size_t body_len;
} http_resp_t;

/* Send method path with extra header lines (each ending "\r\n"; may be
 * NULL) and a body; read the whole response. */
int http_request(int port, const char *method, const char *path, const char *headers,
                 const void *body, size_t len, http_resp_t *out);
void http_resp_free(http_resp_t *r);
/* The value of a response header (name lower-case), copied into out; 0 if
 * found. */
int http_header(const http_resp_t *r, const char *name, char *out, size_t cap);
/* Send raw bytes, read until the server closes or 2 s pass; the status of
 * the first response line. */
int http_raw(int port, const char *raw, size_t len, char *out, size_t cap);

/* ---------------------------------------------------------------- WebSocket */

typedef struct ws_client {
    int fd;
    char protocol[64]; /* the subprotocol the server chose */
    uint8_t *buf;      /* bytes read but not yet consumed */
    size_t len, cap;
} ws_client_t;

/* Connect and upgrade: path with query, offered protocols (comma-separated),
 * extra headers.  0 on 101; else the HTTP status (or -1). */
int ws_connect(ws_client_t *c, int port, const char *path, const char *protocols,
               const char *headers);
/* Send one binary (or text) message. */
int ws_send(ws_client_t *c, int binary, const void *p, size_t len);
/* Receive one message (control frames answered or skipped) within
 * timeout_ms: *opcode 1 text, 2 binary, 8 close (payload = code + reason).
 * *data malloc'd.  0 ok, -1 error or timeout. */
int ws_recv(ws_client_t *c, int timeout_ms, int *opcode, uint8_t **data, size_t *len);
void ws_close(ws_client_t *c);

/* A new identity from POST /v1/identity: its token as a header line
 * ("Authorization: Bearer ...\r\n") in auth, its hex (65 bytes) in hex. */
int http_new_identity(int port, char *auth, size_t cap, char *hex);

/* build/examples/NAME.wasm (malloc'd), or NULL. */
char *http_read_example(const char *name, size_t *len);
/* PUT /v1/database/NAME with build/examples/MODULE.wasm as auth (a header
 * line, or NULL); 0 once answered (status in *r), -1 if unread or unsent. */
int http_publish_example(int port, const char *auth, const char *name, const char *module,
                         http_resp_t *r);

#endif
