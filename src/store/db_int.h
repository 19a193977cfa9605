/*
 * db_int.h — the private structures of a store database: tables with their
 * row versions, indexes, sequences, the catalog maps, the transaction and
 * its undo log.  Shared by table.c, catalog.c, tx.c and view.c only.
 *
 * Row versions.  Every row r of a table has xmin[r], the offset of the
 * transaction that created it (0 for bootstrap rows), and xmax[r], the
 * offset of the transaction that deleted it (0 while live).  The active
 * transaction stamps offset T = committed + 1 before it commits.
 *
 *   visible to the writer          xmax == 0
 *   visible to a view at offset S  xmin <= S  and  (xmax == 0 or xmax > S)
 *
 * Invariants:
 *   1. A row stays in its heap slot and in every index until it is freed;
 *      deletion only stamps xmax.  So readers never see a half-removed row.
 *   2. A row is freed (slot, tail and index entries released) only once no
 *      open view has S < xmax (checked at commit; otherwise the row waits
 *      on the table's pending list until the views close).
 *   3. Only the writer mutates a table, and only while holding the table's
 *      write lock; readers hold its read lock for one bounded chunk of rows.
 *   4. Unique constraints and set semantics consider only rows visible to
 *      the writer; dead rows awaiting freeing never conflict.
 *   5. During a transaction no slot is freed, so row ids named in the undo
 *      log are never reused before commit or rollback.
 *   6. An update that changes no index key may rewrite a row in place
 *      (UNDO_OVERWRITE keeps the old bytes) instead of making a new
 *      version.  Only while no view is open, and under the table's write
 *      lock, so no reader sees it happen; a commit that finds a view opened
 *      meanwhile first splits each such row into the two versions an
 *      ordinary update makes (tx.c materialize), before publishing T.
 */
#ifndef LC_STORE_DB_INT_H
#define LC_STORE_DB_INT_H

#include <pthread.h>

#include "store.h"
#include "store_int.h"

typedef struct store_table store_table_t;

typedef struct store_index {
    uint32_t index_id;
    char *name;
    store_index_algo_t algo;
    uint16_t ncols;
    uint16_t *cols;
    /* Types of the key's elements: the indexed columns, or the fields of a
     * single product-typed column (module-abi.md §3.7). */
    uint16_t nkey_types;
    const sats_type_t **key_types;
    bool unique;
    char *constraint_name; /* the unique constraint enforced here, if any */
    store_btree_t *bt;     /* BTREE and DIRECT, while keys are sparse */
    store_hashidx_t *hx;   /* HASH */
    store_direct_t *dx;    /* BTREE and DIRECT, while keys are dense (index.c) */
    uint8_t direct_len;    /* key bytes if the index may use an array, else 0 */
    /* For a key of one integer column: its width and signedness, so keys are
     * encoded without walking the type (0 otherwise). */
    uint8_t int_width;
    bool int_signed;
    uint64_t bt_entries; /* entries in bt, while direct_len != 0 */
    uint64_t kmin, kmax; /* bounds on bt's keys as integers, likewise */
    store_table_t *table;
} store_index_t;

typedef struct store_sequence {
    uint32_t sequence_id;
    char *name;
    store_table_t *table; /* the owner */
    uint16_t col;
    __int128 start, min_value, max_value, increment;
    __int128 next;      /* the value to hand out next */
    __int128 allocated; /* persisted high-water mark (st_sequence.allocated) */
} store_sequence_t;

struct store_table {
    uint32_t table_id;
    char *name;
    lc_arena_t arena; /* schema memory: names, types, layout */
    sats_typespace_t ts;
    const sats_type_t *row_type;
    store_layout_t layout;
    store_heap_t *heap;
    int32_t primary_key;
    /* Size of every row if every byte pattern of that size is a valid row
     * (only integers and floats, possibly in products), else -1: such rows
     * are checked by their length alone. */
    int64_t plain_len;
    store_table_type_t type;
    store_access_t access;
    bool is_event;
    uint32_t nindexes;
    store_index_t **indexes;
    uint32_t nseqs;
    store_sequence_t *seqs;
    store_index_t *first_unique; /* finds identical rows when present */
    store_hashidx_t *rowset;     /* set semantics when no unique index */
    /* row versions, indexed by row id */
    uint64_t *xmin, *xmax;
    uint32_t vcap;
    uint64_t live;     /* rows visible to the writer */
    uint64_t ndead;    /* rows present with xmax != 0 (deleted, not yet freed) */
    uint64_t max_xmin; /* highest xmin of any row ever placed */
    /* rows deleted by committed transactions, waiting for views to close */
    uint32_t *pending;
    uint32_t npending, pending_cap;
    pthread_rwlock_t lock;
    bool write_locked; /* by the active transaction */
    bool dropped;
    /* scratch for key building (writer only) */
    lc_buf_t scratch;
};

typedef enum undo_kind {
    UNDO_INSERT,    /* row was added: remove it */
    UNDO_DELETE,    /* xmax was stamped: clear it */
    UNDO_UNDELETE,  /* xmax was cleared: stamp it again */
    UNDO_OVERWRITE, /* row's bytes were replaced in place: write old back */
    UNDO_SEQ_ALLOC, /* sequence allocated mark moved: restore old */
    UNDO_CREATE_TABLE,
    UNDO_DROP_TABLE,
} undo_kind_t;

typedef struct undo_entry {
    undo_kind_t kind;
    uint32_t row;
    store_table_t *table;
    union {
        struct { /* UNDO_SEQ_ALLOC */
            store_sequence_t *seq;
            __int128 old_allocated;
        };
        struct { /* UNDO_OVERWRITE: the bytes before, in the tx arena */
            const uint8_t *old;
            uint32_t old_len;
            bool first; /* the row's first overwrite (set at commit) */
        };
    };
} undo_entry_t;

struct store_view {
    store_db_t *db;
    uint64_t offset;
    store_view_t *prev, *next;
};

#define STORE_ID_SLOTS 65536

struct store_db {
    lc_map_t tables_by_name; /* name -> store_table_t* */
    lc_map_t tables_by_id;   /* u64 id -> store_table_t* */
    /* Arrays indexed by id for ids below STORE_ID_SLOTS (all ids in practice:
     * they are handed out from small sequences), so the hot path finds a
     * table or an index in one load; larger ids live in the maps only. */
    store_table_t **table_slots;
    store_index_t **index_slots;
    uint32_t table_slots_cap, index_slots_cap;
    lc_map_t indexes_by_name;
    lc_map_t indexes_by_id;
    pthread_rwlock_t catalog_lock; /* guards the four maps */
    store_table_t **graveyard;     /* dropped tables, freed at close */
    uint32_t ngraveyard;
    _Atomic uint64_t committed; /* offset of the last committed change */
    pthread_mutex_t writer;     /* held by the active transaction */
    pthread_mutex_t views_mu;   /* guards the views list */
    store_view_t *views;
    _Atomic uint32_t nviews; /* length of views, readable without views_mu */
    store_tx_t *active;
    store_tx_t *spare;     /* the last transaction's memory, for the next */
    uint64_t pending_rows; /* rows parked on tables' pending lists */
    /* The thread running the active transaction (0 when none).  A view used
     * on that same thread must not take table locks the transaction holds. */
    _Atomic unsigned long writer_thread;
};

/* The changeset of a committing transaction as it is collected (tx.c):
 * rows copied into data, referenced by position.  It lives in the
 * transaction, which is recycled, so that a stream of small commits
 * reuses its arrays instead of allocating them each time. */
typedef struct store__row_ref {
    size_t off; /* into the builder's data buffer */
    uint32_t len;
} store__row_ref_t;

typedef struct store__table_builder {
    store_table_t *t;
    store__row_ref_t *ins, *del;
    uint32_t nins, ndel, cap_ins, cap_del;
} store__table_builder_t;

typedef struct store__cs_builder {
    store__table_builder_t *tables; /* cap entries; the arrays of unused ones are kept */
    uint32_t n, cap;
    lc_buf_t data;
} store__cs_builder_t;

struct store_tx {
    store_db_t *db;
    uint64_t offset; /* T: committed + 1 */
    lc_arena_t arena;
    undo_entry_t *undo;
    uint32_t nundo, undo_cap;
    store_table_t **locked; /* tables write-locked by this tx */
    uint32_t nlocked, locked_cap;
    uint32_t noverwrites; /* UNDO_OVERWRITE entries in the log */
    bool failed;
    bool at_offset;            /* store_tx_begin_at: commits at offset even if empty */
    store__cs_builder_t build; /* empty between commits */
};

/* ---------------------------------------------------------------- table.c */

/* Build the in-memory table for def (no catalog rows). */
int store__table_new(const store_table_def_t *def, uint32_t table_id, store_table_t **out,
                     lc_err_t *err);
void store__table_free(store_table_t *t);
/* Attach an index / sequence to a table (ids chosen by the caller). */
int store__table_add_index(store_table_t *t, const store_index_def_t *def, uint32_t index_id,
                           const char *constraint_name, lc_err_t *err);
int store__table_add_sequence(store_table_t *t, const store_sequence_def_t *def,
                              uint32_t sequence_id, lc_err_t *err);
/* Give back the version arrays of a table left with no rows at all (after
 * a clear or a mass delete) — called once a commit is done with them. */
void store__table_trim(store_table_t *t);
/* Make room for row versions up to row id r. */
int store__table_versions_reserve(store_table_t *t, uint32_t r);
/* Append the index key of row r (read from the heap) to out. */
int store__index_row_key(const store_index_t *ix, uint32_t r, lc_buf_t *out);
/* Encode a BSATN point of the index's key type into key bytes. */
int store__index_point_key(const store_index_t *ix, const uint8_t *p, size_t n, lc_buf_t *out,
                           lc_err_t *err);
/* Byte offset of each column of a valid row (ncols + 1 entries, the last
 * being len). */
int store__row_offsets(const store_table_t *t, const uint8_t *row, size_t len, size_t *offs);
/* Append the index key of a row given as BSATN (not stored) to out. */
int store__index_key_of_bsatn(const store_index_t *ix, const uint8_t *row, size_t len,
                              lc_buf_t *out);
/* Add / remove row r in every index of t (and the row set). */
int store__table_index_row(store_table_t *t, uint32_t r, lc_err_t *err);
void store__table_unindex_row(store_table_t *t, uint32_t r);
/* Mark live row r deleted by the transaction at offset T, and back. */
static inline void store__row_kill(store_table_t *t, uint32_t r, uint64_t T)
{
    t->xmax[r] = T;
    t->ndead++;
    t->live--;
}
static inline void store__row_revive(store_table_t *t, uint32_t r)
{
    t->xmax[r] = 0;
    t->ndead--;
    t->live++;
}
/* Physically remove row r: unindex and free its slot. */
void store__table_free_row(store_table_t *t, uint32_t r);
/* Visit rows whose key under ix equals key (dead ones included). */
int store__index_lookup(store_index_t *ix, const uint8_t *key, size_t len,
                        bool (*visit)(void *arg, uint32_t row), void *arg);
/* A readable rendering of row r's key under ix, for error messages. */
void store__index_describe_key(const store_index_t *ix, uint32_t r, char *out, size_t outlen);

/* ---------------------------------------------------------------- index.c */

/* Create / free ix's structure (ix's table, key types and flags set). */
int store__ix_create(store_index_t *ix);
void store__ix_free(store_index_t *ix);
/* Add / remove the entry (key, r). */
int store__ix_insert(store_index_t *ix, const uint8_t *key, size_t len, uint32_t r);
int store__ix_remove(store_index_t *ix, const uint8_t *key, size_t len, uint32_t r);
/* For a unique index whose rows are all visible: the one row with key (or
 * STORE_ROW_NONE) in *row.  False if the structure cannot answer that way
 * (a hash index); then use store__index_lookup. */
bool store__ix_find_one(store_index_t *ix, const uint8_t *key, size_t len, uint32_t *row);
/* Visit rows with keys within the bounds, in key order; LC_EUNSUPPORTED on
 * a hash index, or the error of a key fetch. */
int store__ix_range(store_index_t *ix, const store_bound_t *lo, const store_bound_t *hi,
                    bool (*visit)(void *arg, uint32_t row), void *arg);
size_t store__ix_memory(const store_index_t *ix);
/* A visitor that stores the first row into *(uint32_t *)arg and stops. */
bool store__first_row(void *arg, uint32_t row);

/* ---------------------------------------------------------------- catalog.c */

int store__bootstrap(store_db_t *db, lc_err_t *err);
store_table_t *store__table_by_id(store_db_t *db, uint32_t table_id);
store_index_t *store__index_by_id(store_db_t *db, uint32_t index_id);
/* The same, for the thread running the active transaction: it is the only
 * one that changes the catalog, so it reads the maps without the lock. */
store_table_t *store__table_by_id_writer(store_db_t *db, uint32_t table_id);
store_index_t *store__index_by_id_writer(store_db_t *db, uint32_t index_id);
/* Register / unregister a table and its indexes in the catalog maps. */
int store__catalog_add(store_db_t *db, store_table_t *t);
void store__catalog_remove(store_db_t *db, store_table_t *t);
/* Rewrite a sequence's st_sequence row (its allocation mark moved). */
int store__catalog_update_sequence(store_tx_t *tx, store_sequence_t *s, lc_err_t *err);

/* ---------------------------------------------------------------- tx.c */

int store__tx_lock_table(store_tx_t *tx, store_table_t *t, lc_err_t *err);
/* Free a transaction object kept for reuse (store_db_t.spare). */
void store__tx_free(store_tx_t *tx);
int store__tx_push_undo(store_tx_t *tx, const undo_entry_t *e, lc_err_t *err);
/* Make room for n more undo entries, so that pushing them cannot fail. */
int store__tx_reserve_undo(store_tx_t *tx, uint32_t n, lc_err_t *err);

/* ---------------------------------------------------------------- write.c */

/* For a row r overwritten in place by the transaction (orig: its bytes
 * before): put orig back into r and, if r is live, stamp it deleted and
 * store its current bytes as a new row, logging both in the undo log —
 * the versions an ordinary update would have made, for open views. */
int store__split_overwritten(store_tx_t *tx, store_table_t *t, uint32_t r, const uint8_t *orig,
                             uint32_t orig_len, lc_err_t *err);
/* The live row byte-equal to row, or STORE_ROW_NONE. */
int store__find_live_copy(store_table_t *t, const uint8_t *row, size_t len, uint32_t *out,
                          lc_err_t *err);
/* Delete the live rows among rows (ids gathered before deleting). */
int store__delete_rows(store_tx_t *tx, store_table_t *t, const uint32_t *rows, uint32_t n,
                       uint32_t *count, lc_err_t *err);
/* Offset of the oldest open view, or UINT64_MAX if none. */
uint64_t store__oldest_view(store_db_t *db);

#endif /* LC_STORE_DB_INT_H */
