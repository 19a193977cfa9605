/*
 * net — the network layer: event loops, HTTP, WebSocket, and the client
 * protocol codecs (v1, v2, v3).  So far it holds the v2 message set as SATS
 * types (../shared/spec/protocol.md §3.1-3.3), which the codecs, the tests
 * and the fuzz targets share; the rest comes with the server issue.
 */
#ifndef LC_NET_H
#define LC_NET_H

#include "sats/sats.h"

/* Slots of the v2 message typespace; ClientMessage and ServerMessage are
 * the two roots, the others their shared structures (§3.3). */
enum {
    NET_V2_QUERY_SET_ID,
    NET_V2_QUERY_ROWS,
    NET_V2_SINGLE_TABLE_ROWS,
    NET_V2_QUERY_SET_UPDATE,
    NET_V2_TABLE_UPDATE,
    NET_V2_TABLE_UPDATE_ROWS,
    NET_V2_PERSISTENT_TABLE_ROWS,
    NET_V2_EVENT_TABLE_ROWS,
    NET_V2_REDUCER_OUTCOME,
    NET_V2_BSATN_ROW_LIST,
    NET_V2_REDUCER_OK,
    NET_V2_PROCEDURE_STATUS,
    NET_V2_TRANSACTION_UPDATE,
    NET_V2_UNSUBSCRIBE_FLAGS,
    NET_V2_ROW_SIZE_HINT,
    NET_V2_CLIENT_MESSAGE,
    NET_V2_SERVER_MESSAGE,
    NET_V2_TYPES,
};

/* Build the v2 (and v3) message set as a typespace of NET_V2_TYPES types
 * in arena a. */
int net_v2_typespace(lc_arena_t *a, sats_typespace_t *ts);

#endif /* LC_NET_H */
