/*
 * session_int.h — what session.c offers beyond the four functions of
 * api_int.h: the shutdown barrier api_stop needs, and the pure helpers the
 * unit tests check on their own (query subset, compression).
 */
#ifndef LC_API_SESSION_INT_H
#define LC_API_SESSION_INT_H

#include "api/api_int.h"

/* Wait until every session started by api is gone: its disconnect ran and
 * its database reference was dropped.  api_stop calls it after
 * net_server_stop (which closed every socket) and before closing the
 * registry; never from a loop or executor thread. */
void api_sessions_drain(api_t *api);

/* ---------------------------------------------------------------- helpers (tests) */

/* What api__parse_query found. */
enum { API__QUERY_TABLE = 0, API__QUERY_ALL = 1 };

/* Parse the subscription SQL served until src/subs lands:
 * SELECT * FROM t, SELECT * FROM "t", SELECT t.* FROM t, SELECT * FROM *
 * (keywords in any case, whitespace anywhere, one optional ';').
 * API__QUERY_TABLE with the table name in table[0..cap), API__QUERY_ALL,
 * or LC_EUNSUPPORTED for anything else. */
int api__parse_query(const char *q, char *table, size_t cap);

/* The compression tag for a body of n bytes to a client that asked for
 * want (NET_COMPRESSION_*): none for None or n <= 1024 (protocol.md §1.5). */
uint8_t api__compression_for(uint8_t want, size_t n);

/* Append [tag][body compressed with tag's algorithm] to out: gzip (RFC 1952
 * stream), brotli (quality 1) or none.  LC_ENOMEM, or LC_EIO if the
 * compressor failed; out is cut back on error. */
int api__compress(uint8_t tag, const uint8_t *body, size_t n, lc_buf_t *out);

#endif /* LC_API_SESSION_INT_H */
