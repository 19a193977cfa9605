/*
 * btree.c — an in-memory B+tree of (key, row) entries.
 *
 * Entries are ordered by key bytes (memcmp; on a common prefix the shorter
 * key is smaller), then by row id.  Every entry lives in a leaf; inner nodes
 * hold separators that route a search.  Leaves are chained left to right for
 * range scans.  All nodes are one allocation of node_bytes (4080 bytes,
 * which malloc rounds to a 4 KiB chunk; more only for very wide keys).
 *
 * Record (one entry; separators use the same format), rec bytes:
 *
 *   offset   size  field
 *   0        W     the first min(len, W) key bytes, zero-padded to W
 *   W        4     row id (native byte order)
 *   W + 4    1     ilen, only when !key_complete: the key's length if it is
 *                  <= W, or W + 1 if the key was truncated to W bytes
 *
 * W is inline_width (clamped to 254 when !key_complete so that ilen fits a
 * byte).  With key_complete every key is exactly W bytes and there is no
 * ilen byte: a u32 key makes 8-byte records.
 *
 * Node (node_bytes):
 *
 *   offset   size                  field
 *   0        2                     n: entries (leaf) or separators (inner)
 *   2        2                     level: 0 for leaves
 *   8        8                     next: the next leaf (NULL for inner nodes)
 *   16       leaf_cap * rec        leaf: records
 *   16       (inner_cap + 1) * 8   inner: child pointers (n + 1 live)
 *   ..       inner_cap * rec       inner: separator records (n live)
 *
 * Comparisons: a record decides a comparison with a search key by its
 * inline bytes unless the record is truncated and the search key matches
 * all W inline bytes and is longer than W; only then is fetch(ctx, row)
 * called for the record's full key.  Fetch errors abort the operation
 * before anything is modified (all comparisons happen in the search phase
 * of insert and delete).  The table must keep every indexed row's key
 * fetchable until the row's entry is deleted (so: delete index entries
 * before freeing the row).  A range iterator borrows its upper bound's key
 * bytes until store_btree_iter_done, and reports a fetch error in it->err.
 *
 * Invariants (store_btree_check verifies them all):
 *   1. Records in each node are strictly increasing in (key, row) order, and
 *      so is the whole leaf chain.
 *   2. Separator i of an inner node is a byte-for-byte copy of the first
 *      record of the leftmost leaf under child i + 1.  Separators are
 *      therefore always live entries, so fetch on a separator's row is
 *      valid.  Deleting the first entry of a leaf rewrites the one
 *      separator that copies it (in the deepest ancestor reached through a
 *      child index > 0).
 *   3. All leaves are at the same depth; the root is a leaf at height 1.
 *      An empty tree has no nodes at all (root NULL).
 *   4. Every non-root leaf holds >= 1 entry and every non-root inner node
 *      >= 2 children.  Every non-root node that is not the first or last of
 *      its level holds at least a quarter of its capacity.
 *   5. A unique tree holds at most one entry per key.
 *
 * Split policy: a full node normally splits in half.  Inserting into the
 * last eighth of the last node of a level (ascending keys, auto-increment
 * ids) splits at the insertion point instead, so an append leaves the left
 * node full; the first eighth of the first node mirrors that.  So sequential inserts fill
 * leaves completely and random inserts fill them ~70%.  Only the first and
 * last node of a level can be born sparse (invariant 4).
 *
 * Delete policy: a node that falls below a quarter full is merged with an
 * adjacent sibling if the two fit in three quarters of a node, otherwise
 * the two share their entries evenly (each then holds >= 3/8).  The
 * hysteresis between split (full) and merge (3/4) keeps insert/delete churn
 * at a boundary from splitting and merging on every operation.  An inner
 * root with one child is replaced by the child; an empty root leaf is
 * freed.  Memory is thus at most about 4x the live records plus O(height)
 * nodes, and returns to the bare struct when the tree is emptied.
 *
 * Inserts allocate every node a split chain needs before changing anything,
 * so LC_ENOMEM leaves the tree unchanged; deletes never allocate.
 */
#include <string.h>

#include "store/store_int.h"

#define NODE_BYTES     4080 /* malloc adds 16: one 4 KiB chunk */
#define NODE_HDR       16
#define MIN_CAP        16 /* least records per node, however wide the key */
#define MAX_HEIGHT     48 /* fanout >= 2 at every level: enough for 2^32 rows */
#define MAX_INLINE_VAR 254
#define MAX_INLINE     65536

typedef struct bnode {
    uint16_t n;
    uint16_t level;
    uint32_t unused;
    struct bnode *next;
    uint8_t data[];
} bnode_t;

struct store_btree {
    bnode_t *root;
    uint32_t height; /* 0 when empty */
    uint32_t width;  /* W */
    uint32_t rec;    /* record size */
    uint32_t leaf_cap, inner_cap, node_bytes;
    bool complete, unique;
    store_key_fetch_cb fetch;
    void *ctx;
    uint64_t count;
    uint64_t nodes;
    lc_buf_t scratch; /* fetched keys */
    uint8_t *sep;     /* rec bytes: a separator moving up a split chain */
    uint8_t *tmp;     /* rec bytes: the record being inserted */
};

/* A search target: a key and where it sits among the entries with keys
 * equal to it or extending it. */
enum {
    T_ROW,          /* exactly (key, row) */
    T_BEFORE,       /* before every entry whose key is >= key */
    T_AFTER,        /* after every entry whose key equals key */
    T_AFTER_PREFIX, /* after every entry whose key starts with key */
};

typedef struct target {
    const uint8_t *key;
    size_t len;
    int mode;
    uint32_t row;
    bool fast;   /* key_complete, len == W <= 8: compare kv integers */
    uint64_t kv; /* the key as a big-endian integer */
} target_t;

typedef struct cmpctx {
    const store_btree_t *bt;
    lc_buf_t *buf;
    int err; /* first fetch error */
} cmpctx_t;

/* A root-to-leaf path: node[l] and the child index taken there. */
typedef struct path {
    bnode_t *node[MAX_HEIGHT];
    uint32_t idx[MAX_HEIGHT];
} path_t;

#define KC_PREFIX 2 /* key_cmp: the search key is a proper prefix of the record's */

/* ---------------------------------------------------------------- records */

static inline uint8_t *leaf_rec(const store_btree_t *bt, bnode_t *nd, uint32_t i)
{
    return nd->data + (size_t)i * bt->rec;
}

static inline bnode_t **kids(bnode_t *nd)
{
    return (bnode_t **)(void *)nd->data;
}

static inline uint8_t *seps(const store_btree_t *bt, bnode_t *nd)
{
    return nd->data + (size_t)(bt->inner_cap + 1) * sizeof(bnode_t *);
}

static inline uint8_t *sep_rec(const store_btree_t *bt, bnode_t *nd, uint32_t i)
{
    return seps(bt, nd) + (size_t)i * bt->rec;
}

static inline uint32_t rec_row(const store_btree_t *bt, const uint8_t *rec)
{
    uint32_t row;
    memcpy(&row, rec + bt->width, 4);
    return row;
}

static void make_rec(const store_btree_t *bt, const uint8_t *key, size_t len, uint32_t row,
                     uint8_t *rec)
{
    uint32_t w = bt->width;
    size_t il = LC_MIN(len, (size_t)w);
    if (il > 0)
        memcpy(rec, key, il);
    memset(rec + il, 0, w - il);
    memcpy(rec + w, &row, 4);
    if (!bt->complete)
        rec[w + 4] = (uint8_t)(len > w ? w + 1 : len);
}

static target_t make_target(const store_btree_t *bt, const uint8_t *key, size_t len, int mode,
                            uint32_t row)
{
    target_t t = {.key = key, .len = len, .mode = mode, .row = row};
    if (bt->complete && len == bt->width && len <= 8) {
        t.fast = true;
        t.kv = store__load_be(key, bt->width);
    }
    return t;
}

/* ---------------------------------------------------------------- compare */

static int cmp_bytes(const uint8_t *k, size_t klen, const uint8_t *r, size_t rlen)
{
    size_t m = LC_MIN(klen, rlen);
    int d = m ? memcmp(k, r, m) : 0;
    if (d != 0)
        return d < 0 ? -1 : 1;
    if (klen == rlen)
        return 0;
    return klen < rlen ? KC_PREFIX : 1;
}

/* Compare the target's key with a record's full key: -1, 0, 1, or
 * KC_PREFIX when the target key is a proper prefix of the record's. */
static int key_cmp(cmpctx_t *cx, const target_t *t, const uint8_t *rec)
{
    const store_btree_t *bt = cx->bt;
    uint32_t w = bt->width;
    if (bt->complete)
        return cmp_bytes(t->key, t->len, rec, w);
    uint32_t il = rec[w + 4];
    if (il <= w)
        return cmp_bytes(t->key, t->len, rec, il);
    size_t m = LC_MIN(t->len, (size_t)w);
    int d = m ? memcmp(t->key, rec, m) : 0;
    if (d != 0)
        return d < 0 ? -1 : 1;
    if (t->len <= w)
        return KC_PREFIX;
    lc_buf_reset(cx->buf);
    int rc = bt->fetch ? bt->fetch(bt->ctx, rec_row(bt, rec), cx->buf) : LC_EINVAL;
    if (rc < 0) {
        if (cx->err == 0)
            cx->err = rc;
        return 1;
    }
    return cmp_bytes(t->key, t->len, cx->buf->data, cx->buf->len);
}

/* Sign of (target - record). Never 0 except for T_ROW on the same entry. */
static inline int rec_cmp(cmpctx_t *cx, const target_t *t, const uint8_t *rec)
{
    int c;
    if (t->fast) {
        uint64_t v = store__load_be(rec, cx->bt->width);
        c = (t->kv > v) - (t->kv < v);
    } else {
        c = key_cmp(cx, t, rec);
    }
    if (c == 0) {
        if (t->mode == T_ROW) {
            uint32_t r = rec_row(cx->bt, rec);
            return (t->row > r) - (t->row < r);
        }
        return t->mode == T_BEFORE ? -1 : 1;
    }
    if (c == KC_PREFIX)
        return t->mode == T_AFTER_PREFIX ? 1 : -1;
    return c;
}

/* First i in [0, n) with record i >= target (strict: record i > target). */
static uint32_t bsearch_recs(cmpctx_t *cx, const target_t *t, const uint8_t *base, uint32_t n,
                             bool strict)
{
    uint32_t lo = 0, hi = n, rec = cx->bt->rec;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = rec_cmp(cx, t, base + (size_t)mid * rec);
        if (strict ? c < 0 : c <= 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Walk from the root to the leaf whose range holds the target, recording
 * the path; returns the leaf (the tree must not be empty). */
static bnode_t *descend(cmpctx_t *cx, const target_t *t, path_t *p)
{
    const store_btree_t *bt = cx->bt;
    bnode_t *nd = bt->root;
    for (uint32_t l = 0; l + 1 < bt->height; l++) {
        uint32_t i = bsearch_recs(cx, t, seps(bt, nd), nd->n, true);
        p->node[l] = nd;
        p->idx[l] = i;
        nd = kids(nd)[i];
    }
    p->node[bt->height - 1] = nd;
    p->idx[bt->height - 1] = 0;
    return nd;
}

/* ---------------------------------------------------------------- nodes */

static bnode_t *node_new(store_btree_t *bt)
{
    bnode_t *nd = lc_malloc(bt->node_bytes);
    if (nd != NULL) {
        memset(nd, 0, NODE_HDR);
        bt->nodes++;
    }
    return nd;
}

static void node_free(store_btree_t *bt, bnode_t *nd)
{
    bt->nodes--;
    lc_free(nd);
}

static void free_subtree(store_btree_t *bt, bnode_t *nd)
{
    if (nd->level > 0) {
        for (uint32_t i = 0; i <= nd->n; i++) free_subtree(bt, kids(nd)[i]);
    }
    node_free(bt, nd);
}

store_btree_t *store_btree_new(uint32_t inline_width, bool key_complete, bool unique,
                               store_key_fetch_cb fetch, void *ctx)
{
    if (inline_width > MAX_INLINE)
        return NULL;
    if (!key_complete && inline_width > MAX_INLINE_VAR)
        inline_width = MAX_INLINE_VAR;
    uint32_t rec = inline_width + 4 + (key_complete ? 0 : 1);
    store_btree_t *bt = lc_calloc(1, sizeof *bt + 2 * (size_t)rec);
    if (bt == NULL)
        return NULL;
    bt->width = inline_width;
    bt->rec = rec;
    bt->complete = key_complete;
    bt->unique = unique;
    bt->fetch = fetch;
    bt->ctx = ctx;
    bt->sep = (uint8_t *)(bt + 1);
    bt->tmp = bt->sep + rec;
    uint32_t need = NODE_HDR + 8 + MIN_CAP * (rec + 8);
    bt->node_bytes = LC_MAX(NODE_BYTES, need);
    bt->leaf_cap = LC_MIN((bt->node_bytes - NODE_HDR) / rec, UINT16_MAX);
    bt->inner_cap = LC_MIN((bt->node_bytes - NODE_HDR - 8) / (rec + 8), UINT16_MAX - 1);
    return bt;
}

void store_btree_free(store_btree_t *bt)
{
    if (bt == NULL)
        return;
    if (bt->root != NULL)
        free_subtree(bt, bt->root);
    lc_buf_free(&bt->scratch);
    lc_free(bt);
}

uint64_t store_btree_count(const store_btree_t *bt)
{
    return bt->count;
}

size_t store_btree_memory(const store_btree_t *bt)
{
    return sizeof *bt + 2 * (size_t)bt->rec + bt->scratch.cap + bt->nodes * bt->node_bytes;
}

/* ---------------------------------------------------------------- insert */

/* Insert x into the n-item array a at pos, splitting the n + 1 items:
 * [0, s) stay in a, [s, n + 1) go to b.  0 < s <= n. */
static void split_insert(uint8_t *a, uint8_t *b, uint32_t n, uint32_t pos, const void *x,
                         uint32_t s, size_t sz)
{
    if (pos < s) {
        memcpy(b, a + (size_t)(s - 1) * sz, (size_t)(n - (s - 1)) * sz);
        memmove(a + (size_t)(pos + 1) * sz, a + (size_t)pos * sz, (size_t)(s - 1 - pos) * sz);
        memcpy(a + (size_t)pos * sz, x, sz);
    } else {
        size_t k = pos - s;
        memcpy(b, a + (size_t)s * sz, k * sz);
        memcpy(b + k * sz, x, sz);
        memcpy(b + (k + 1) * sz, a + (size_t)pos * sz, (size_t)(n - pos) * sz);
    }
}

static void array_insert(uint8_t *a, uint32_t n, uint32_t pos, const void *x, size_t sz)
{
    memmove(a + (size_t)(pos + 1) * sz, a + (size_t)pos * sz, (size_t)(n - pos) * sz);
    memcpy(a + (size_t)pos * sz, x, sz);
}

static void array_remove(uint8_t *a, uint32_t n, uint32_t pos, size_t sz)
{
    memmove(a + (size_t)pos * sz, a + (size_t)(pos + 1) * sz, (size_t)(n - pos - 1) * sz);
}

/* Whether node[l] of the path is the first / last node of its level. */
static void edges(const path_t *p, uint32_t l, bool *first, bool *last)
{
    *first = *last = true;
    for (uint32_t i = 0; i < l; i++) {
        *first = *first && p->idx[i] == 0;
        *last = *last && p->idx[i] == p->node[i]->n;
    }
}

/* Where to split cap + 1 items when the new one lands at pos (see "Split
 * policy"): the count that stays left, in [lo_min, cap + 1 - hi_min]. */
static uint32_t split_point(uint32_t cap, uint32_t pos, bool first, bool last, uint32_t lo_min,
                            uint32_t hi_min)
{
    uint32_t s = (cap + 1) / 2;
    if (last && pos >= cap - cap / 8)
        s = pos;
    else if (first && pos <= cap / 8)
        s = pos + 1;
    return LC_MIN(LC_MAX(s, lo_min), cap + 1 - hi_min);
}

/* Number of nodes an insert into this leaf allocates. */
static uint32_t nodes_needed(const store_btree_t *bt, const path_t *p)
{
    uint32_t l = bt->height - 1;
    if (p->node[l]->n < bt->leaf_cap)
        return 0;
    uint32_t need = 1;
    while (l-- > 0) {
        if (p->node[l]->n < bt->inner_cap)
            return need;
        need++;
    }
    return need + 1; /* a new root */
}

/* Insert bt->sep / child at separator index j of inner node l, splitting up
 * the path as needed with nodes from the pool. */
static void insert_up(store_btree_t *bt, path_t *p, int l, bnode_t *child, bnode_t **pool)
{
    for (; l >= 0; l--) {
        bnode_t *nd = p->node[l];
        uint32_t j = p->idx[l], cap = bt->inner_cap;
        if (nd->n < cap) {
            array_insert(seps(bt, nd), nd->n, j, bt->sep, bt->rec);
            array_insert((uint8_t *)kids(nd), nd->n + 1, j + 1, &child, sizeof child);
            nd->n++;
            return;
        }
        bool first, last;
        edges(p, (uint32_t)l, &first, &last);
        /* m separators stay left, one moves up, cap - m go right */
        uint32_t m = split_point(cap, j, first, last, 1, 2);
        bnode_t *right = *pool++;
        right->level = nd->level;
        split_insert(seps(bt, nd), seps(bt, right), cap, j, bt->sep, m, bt->rec);
        split_insert((uint8_t *)kids(nd), (uint8_t *)kids(right), cap + 1, j + 1, &child, m + 1,
                     sizeof child);
        memcpy(bt->sep, seps(bt, right), bt->rec);
        array_remove(seps(bt, right), cap + 1 - m, 0, bt->rec);
        nd->n = (uint16_t)m;
        right->n = (uint16_t)(cap - m);
        child = right;
    }
    bnode_t *root = *pool;
    root->level = (uint16_t)(bt->root->level + 1);
    root->n = 1;
    kids(root)[0] = bt->root;
    kids(root)[1] = child;
    memcpy(sep_rec(bt, root, 0), bt->sep, bt->rec);
    bt->root = root;
    bt->height++;
}

/* Put bt->tmp at pos of the path's leaf; pool holds nodes_needed() nodes. */
static void leaf_insert(store_btree_t *bt, path_t *p, uint32_t pos, bnode_t **pool)
{
    uint32_t l = bt->height - 1, cap = bt->leaf_cap;
    bnode_t *leaf = p->node[l];
    if (leaf->n < cap) {
        array_insert(leaf->data, leaf->n, pos, bt->tmp, bt->rec);
        leaf->n++;
        return;
    }
    bool first, last;
    edges(p, l, &first, &last);
    uint32_t s = split_point(cap, pos, first, last, 1, 1);
    bnode_t *right = *pool++;
    split_insert(leaf->data, right->data, cap, pos, bt->tmp, s, bt->rec);
    leaf->n = (uint16_t)s;
    right->n = (uint16_t)(cap + 1 - s);
    right->next = leaf->next;
    leaf->next = right;
    memcpy(bt->sep, right->data, bt->rec);
    insert_up(bt, p, (int)l - 1, right, pool);
}

/* Check uniqueness at the insert position; LC_EEXIST fills *existing. */
static int check_dup(store_btree_t *bt, cmpctx_t *cx, const target_t *t, bnode_t *leaf,
                     uint32_t pos, uint32_t *existing)
{
    const uint8_t *hit = NULL;
    if (bt->unique) {
        if (pos > 0 && key_cmp(cx, t, leaf_rec(bt, leaf, pos - 1)) == 0)
            hit = leaf_rec(bt, leaf, pos - 1);
    } else if (pos < leaf->n && rec_cmp(cx, t, leaf_rec(bt, leaf, pos)) == 0) {
        hit = leaf_rec(bt, leaf, pos);
    }
    if (cx->err < 0)
        return cx->err;
    if (hit == NULL)
        return 0;
    if (existing != NULL)
        *existing = rec_row(bt, hit);
    return LC_EEXIST;
}

static int alloc_pool(store_btree_t *bt, bnode_t **pool, uint32_t need)
{
    for (uint32_t i = 0; i < need; i++) {
        pool[i] = node_new(bt);
        if (pool[i] == NULL) {
            while (i-- > 0) node_free(bt, pool[i]);
            return LC_ENOMEM;
        }
    }
    return 0;
}

int store_btree_insert(store_btree_t *bt, const uint8_t *key, size_t len, uint32_t row,
                       uint32_t *existing)
{
    if (existing != NULL)
        *existing = STORE_ROW_NONE;
    if (row == STORE_ROW_NONE || (bt->complete && len != bt->width))
        return LC_EINVAL;
    if (bt->root == NULL) {
        if ((bt->root = node_new(bt)) == NULL)
            return LC_ENOMEM;
        bt->height = 1;
    }
    cmpctx_t cx = {.bt = bt, .buf = &bt->scratch};
    target_t t = make_target(bt, key, len, bt->unique ? T_AFTER : T_ROW, row);
    path_t p;
    bnode_t *leaf = descend(&cx, &t, &p);
    uint32_t pos = bsearch_recs(&cx, &t, leaf->data, leaf->n, false);
    int rc = cx.err < 0 ? cx.err : check_dup(bt, &cx, &t, leaf, pos, existing);
    bnode_t *pool[MAX_HEIGHT + 1];
    if (rc == 0)
        rc = alloc_pool(bt, pool, nodes_needed(bt, &p));
    if (rc < 0) {
        if (bt->count == 0) { /* the root leaf made above */
            node_free(bt, bt->root);
            bt->root = NULL;
            bt->height = 0;
        }
        return rc;
    }
    make_rec(bt, key, len, row, bt->tmp);
    leaf_insert(bt, &p, pos, pool);
    bt->count++;
    return 0;
}

/* ---------------------------------------------------------------- delete */

/* The first entry of the path's leaf was deleted: rewrite the separator
 * that copied it with the next entry in order (invariant 2). */
static void fix_separator(store_btree_t *bt, const path_t *p)
{
    bnode_t *leaf = p->node[bt->height - 1];
    const uint8_t *next = leaf->n > 0 ? leaf->data : leaf->next ? leaf->next->data : NULL;
    for (int l = (int)bt->height - 2; l >= 0; l--) {
        if (p->idx[l] > 0) {
            if (next != NULL)
                memcpy(sep_rec(bt, p->node[l], p->idx[l] - 1), next, bt->rec);
            return;
        }
    }
}

/* Remove separator s and child s + 1 of inner node nd. */
static void remove_sep(store_btree_t *bt, bnode_t *nd, uint32_t s)
{
    array_remove(seps(bt, nd), nd->n, s, bt->rec);
    array_remove((uint8_t *)kids(nd), nd->n + 1, s + 1, sizeof(bnode_t *));
    nd->n--;
}

static void merge_leaves(store_btree_t *bt, bnode_t *left, bnode_t *right)
{
    memcpy(leaf_rec(bt, left, left->n), right->data, (size_t)right->n * bt->rec);
    left->n = (uint16_t)(left->n + right->n);
    left->next = right->next;
}

static void share_leaves(store_btree_t *bt, bnode_t *left, bnode_t *right, uint8_t *sep)
{
    uint32_t total = left->n + right->n, nl = total / 2, rec = bt->rec;
    if (left->n < nl) {
        uint32_t k = nl - left->n;
        memcpy(leaf_rec(bt, left, left->n), right->data, (size_t)k * rec);
        memmove(right->data, leaf_rec(bt, right, k), (size_t)(right->n - k) * rec);
    } else {
        uint32_t k = left->n - nl;
        memmove(leaf_rec(bt, right, k), right->data, (size_t)right->n * rec);
        memcpy(right->data, leaf_rec(bt, left, nl), (size_t)k * rec);
    }
    left->n = (uint16_t)nl;
    right->n = (uint16_t)(total - nl);
    memcpy(sep, right->data, rec);
}

/* left + sep + right into left. */
static void merge_inner(store_btree_t *bt, bnode_t *left, bnode_t *right, const uint8_t *sep)
{
    uint32_t rec = bt->rec;
    memcpy(sep_rec(bt, left, left->n), sep, rec);
    memcpy(sep_rec(bt, left, left->n + 1u), seps(bt, right), (size_t)right->n * rec);
    memcpy(kids(left) + left->n + 1, kids(right), (size_t)(right->n + 1) * sizeof(bnode_t *));
    left->n = (uint16_t)(left->n + 1 + right->n);
}

/* Even out the children of two inner siblings, rotating through the
 * parent's separator sep. */
static void share_inner(store_btree_t *bt, bnode_t *left, bnode_t *right, uint8_t *sep)
{
    uint32_t rec = bt->rec, cl = left->n + 1u, cr = right->n + 1u, want = (cl + cr) / 2;
    if (cl < want) { /* move k children from right to left */
        uint32_t k = want - cl;
        memcpy(sep_rec(bt, left, left->n), sep, rec);
        memcpy(sep_rec(bt, left, left->n + 1u), seps(bt, right), (size_t)(k - 1) * rec);
        memcpy(kids(left) + cl, kids(right), (size_t)k * sizeof(bnode_t *));
        memcpy(sep, sep_rec(bt, right, k - 1), rec);
        memmove(seps(bt, right), sep_rec(bt, right, k), (size_t)(right->n - k) * rec);
        memmove(kids(right), kids(right) + k, (size_t)(cr - k) * sizeof(bnode_t *));
        left->n = (uint16_t)(left->n + k);
        right->n = (uint16_t)(right->n - k);
    } else if (cl > want) { /* move k children from left to right */
        uint32_t k = cl - want;
        memmove(sep_rec(bt, right, k), seps(bt, right), (size_t)right->n * rec);
        memmove(kids(right) + k, kids(right), (size_t)cr * sizeof(bnode_t *));
        memcpy(seps(bt, right), sep_rec(bt, left, left->n + 1 - k), (size_t)(k - 1) * rec);
        memcpy(sep_rec(bt, right, k - 1), sep, rec);
        memcpy(kids(right), kids(left) + cl - k, (size_t)k * sizeof(bnode_t *));
        memcpy(sep, sep_rec(bt, left, left->n - k), rec);
        left->n = (uint16_t)(left->n - k);
        right->n = (uint16_t)(right->n + k);
    }
}

static uint32_t fill(const store_btree_t *bt, const bnode_t *nd)
{
    return nd->level == 0 ? nd->n : nd->n + 1u;
}

static uint32_t capacity(const store_btree_t *bt, const bnode_t *nd)
{
    return nd->level == 0 ? bt->leaf_cap : bt->inner_cap + 1;
}

/* Rebalance node l of the path with a sibling.  Returns true if the parent
 * lost a child (a merge), so the walk must continue upward. */
static bool rebalance_one(store_btree_t *bt, path_t *p, uint32_t l)
{
    bnode_t *parent = p->node[l - 1];
    uint32_t i = p->idx[l - 1], s = i > 0 ? i - 1 : 0;
    bnode_t *left = kids(parent)[s], *right = kids(parent)[s + 1];
    uint32_t cap = capacity(bt, left);
    bool merge = fill(bt, left) + fill(bt, right) <= cap * 3 / 4;
    uint8_t *sep = sep_rec(bt, parent, s);
    if (!merge) {
        if (left->level == 0)
            share_leaves(bt, left, right, sep);
        else
            share_inner(bt, left, right, sep);
        return false;
    }
    if (left->level == 0)
        merge_leaves(bt, left, right);
    else
        merge_inner(bt, left, right, sep);
    remove_sep(bt, parent, s);
    node_free(bt, right);
    return true;
}

static void rebalance(store_btree_t *bt, path_t *p)
{
    for (uint32_t l = bt->height - 1; l > 0; l--) {
        bnode_t *nd = p->node[l];
        if (fill(bt, nd) >= capacity(bt, nd) / 4 && fill(bt, nd) >= (nd->level ? 2u : 1u))
            break;
        if (!rebalance_one(bt, p, l))
            break;
    }
    while (bt->height > 1 && bt->root->n == 0) {
        bnode_t *old = bt->root;
        bt->root = kids(old)[0];
        bt->height--;
        node_free(bt, old);
    }
    if (bt->height == 1 && bt->root->n == 0) {
        node_free(bt, bt->root);
        bt->root = NULL;
        bt->height = 0;
    }
}

int store_btree_delete(store_btree_t *bt, const uint8_t *key, size_t len, uint32_t row)
{
    if (bt->root == NULL)
        return LC_ENOTFOUND;
    cmpctx_t cx = {.bt = bt, .buf = &bt->scratch};
    target_t t = make_target(bt, key, len, T_ROW, row);
    path_t p;
    bnode_t *leaf = descend(&cx, &t, &p);
    uint32_t pos = bsearch_recs(&cx, &t, leaf->data, leaf->n, false);
    bool hit = pos < leaf->n && rec_cmp(&cx, &t, leaf_rec(bt, leaf, pos)) == 0;
    if (cx.err < 0)
        return cx.err;
    if (!hit)
        return LC_ENOTFOUND;
    array_remove(leaf->data, leaf->n, pos, bt->rec);
    leaf->n--;
    bt->count--;
    if (pos == 0)
        fix_separator(bt, &p);
    rebalance(bt, &p);
    return 0;
}

/* ---------------------------------------------------------------- lookup */

/* Position of the first entry >= target: leaf and index, stepping to the
 * next leaf when the target is past the end of its leaf.  NULL leaf: none. */
static bnode_t *seek(cmpctx_t *cx, const target_t *t, uint32_t *pos)
{
    path_t p;
    bnode_t *leaf = descend(cx, t, &p);
    *pos = bsearch_recs(cx, t, leaf->data, leaf->n, false);
    if (*pos == leaf->n) {
        leaf = leaf->next;
        *pos = 0;
    }
    return leaf;
}

uint32_t store_btree_find(store_btree_t *bt, const uint8_t *key, size_t len)
{
    if (bt->root == NULL)
        return STORE_ROW_NONE;
    /* Readers on several threads may search at once: fetched keys go to a
     * buffer of this call's own, never to the tree's scratch. */
    uint8_t small[64];
    lc_buf_t buf;
    lc_buf_init_with(&buf, small, sizeof small);
    cmpctx_t cx = {.bt = bt, .buf = &buf};
    target_t t = make_target(bt, key, len, T_BEFORE, 0);
    uint32_t pos, row = STORE_ROW_NONE;
    bnode_t *leaf = seek(&cx, &t, &pos);
    if (leaf != NULL && cx.err >= 0) {
        const uint8_t *rec = leaf_rec(bt, leaf, pos);
        if (key_cmp(&cx, &t, rec) == 0 && cx.err >= 0)
            row = rec_row(bt, rec);
    }
    lc_buf_free(&buf);
    return row;
}

/* ---------------------------------------------------------------- ranges */

void store_btree_range(store_btree_t *bt, const store_bound_t *lo, const store_bound_t *hi,
                       store_btree_iter_t *it)
{
    memset(it, 0, sizeof *it);
    it->bt = bt;
    if (hi != NULL)
        it->hi = *hi;
    if (bt->root == NULL) {
        it->done = true;
        return;
    }
    if (lo == NULL || lo->kind == STORE_BOUND_UNBOUNDED) {
        bnode_t *nd = bt->root;
        while (nd->level > 0) nd = kids(nd)[0];
        it->leaf = nd;
        return;
    }
    cmpctx_t cx = {.bt = bt, .buf = &it->scratch};
    int mode = lo->kind == STORE_BOUND_INCLUDED ? T_BEFORE : T_AFTER_PREFIX;
    target_t t = make_target(bt, lo->key, lo->len, mode, 0);
    it->leaf = seek(&cx, &t, &it->pos);
    it->err = cx.err;
    it->done = it->leaf == NULL || cx.err < 0;
}

bool store_btree_iter_next(store_btree_iter_t *it, uint32_t *row)
{
    store_btree_t *bt = it->bt;
    while (!it->done) {
        bnode_t *leaf = it->leaf;
        if (it->pos >= leaf->n) {
            it->leaf = leaf->next;
            it->pos = 0;
            it->done = it->leaf == NULL;
            continue;
        }
        const uint8_t *rec = leaf_rec(bt, leaf, it->pos);
        if (it->hi.kind != STORE_BOUND_UNBOUNDED) {
            cmpctx_t cx = {.bt = bt, .buf = &it->scratch};
            int mode = it->hi.kind == STORE_BOUND_INCLUDED ? T_AFTER_PREFIX : T_BEFORE;
            target_t t = make_target(bt, it->hi.key, it->hi.len, mode, 0);
            int c = rec_cmp(&cx, &t, rec);
            if (cx.err < 0 || c < 0) {
                it->err = cx.err;
                it->done = true;
                break;
            }
        }
        it->pos++;
        *row = rec_row(bt, rec);
        return true;
    }
    return false;
}

void store_btree_iter_done(store_btree_iter_t *it)
{
    lc_buf_free(&it->scratch);
    it->done = true;
}

/* ---------------------------------------------------------------- check */

typedef struct checker {
    store_btree_t *bt;
    lc_buf_t a, b;
    const uint8_t *prev; /* the previous leaf record in order */
    bnode_t *prev_leaf;
    uint64_t seen;
    int err;
} checker_t;

/* The full key of a record into out. */
static int full_key(store_btree_t *bt, const uint8_t *rec, lc_buf_t *out)
{
    lc_buf_reset(out);
    uint32_t w = bt->width, il = bt->complete ? w : rec[w + 4];
    if (il <= w)
        return lc_buf_append(out, rec, il);
    if (bt->fetch == NULL)
        return LC_EINTERNAL;
    int rc = bt->fetch(bt->ctx, rec_row(bt, rec), out);
    if (rc < 0)
        return rc;
    if (out->len <= w || memcmp(out->data, rec, w) != 0)
        return LC_EINTERNAL; /* the inline bytes disagree with the row */
    return 0;
}

/* Whether record a < record b in (key, row) order. */
static int check_less(checker_t *ck, const uint8_t *a, const uint8_t *b)
{
    store_btree_t *bt = ck->bt;
    int rc = full_key(bt, a, &ck->a);
    if (rc == 0)
        rc = full_key(bt, b, &ck->b);
    if (rc < 0)
        return rc;
    int c = cmp_bytes(ck->a.data, ck->a.len, ck->b.data, ck->b.len);
    if (c == KC_PREFIX)
        c = -1;
    if (c == 0) {
        if (bt->unique)
            return LC_EINTERNAL; /* invariant 5 */
        c = rec_row(bt, a) < rec_row(bt, b) ? -1 : rec_row(bt, a) > rec_row(bt, b) ? 1 : 0;
    }
    return c < 0 ? 0 : LC_EINTERNAL;
}

static const uint8_t *leftmost_rec(bnode_t *nd)
{
    while (nd->level > 0) nd = kids(nd)[0];
    return nd->data;
}

static int check_node(checker_t *ck, bnode_t *nd, uint32_t depth, bool first, bool last)
{
    store_btree_t *bt = ck->bt;
    bool root = depth == 0;
    if (nd->level != bt->height - 1 - depth)
        return LC_EINTERNAL; /* invariant 3 */
    uint32_t f = fill(bt, nd), cap = capacity(bt, nd);
    if (!root && (f < (nd->level ? 2u : 1u) || (!first && !last && f < cap / 4)))
        return LC_EINTERNAL; /* invariant 4 */
    if (nd->level == 0) {
        if (nd->n > bt->leaf_cap || (ck->prev_leaf != NULL && ck->prev_leaf->next != nd))
            return LC_EINTERNAL;
        for (uint32_t i = 0; i < nd->n; i++) {
            const uint8_t *rec = leaf_rec(bt, nd, i);
            int rc = ck->prev ? check_less(ck, ck->prev, rec) : full_key(bt, rec, &ck->a);
            if (rc < 0)
                return rc; /* invariant 1 */
            ck->prev = rec;
        }
        ck->prev_leaf = nd;
        ck->seen += nd->n;
        return 0;
    }
    if (nd->n > bt->inner_cap)
        return LC_EINTERNAL;
    for (uint32_t i = 0; i <= nd->n; i++) {
        bnode_t *kid = kids(nd)[i];
        if (i > 0 && memcmp(sep_rec(bt, nd, i - 1), leftmost_rec(kid), bt->rec) != 0)
            return LC_EINTERNAL; /* invariant 2 */
        int rc = check_node(ck, kid, depth + 1, first && i == 0, last && i == nd->n);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int store_btree_check(store_btree_t *bt)
{
    if (bt->root == NULL)
        return bt->count == 0 && bt->height == 0 && bt->nodes == 0 ? 0 : LC_EINTERNAL;
    checker_t ck = {.bt = bt};
    int rc = check_node(&ck, bt->root, 0, true, true);
    if (rc == 0 && (ck.seen != bt->count || ck.prev_leaf->next != NULL))
        rc = LC_EINTERNAL;
    if (rc == 0 && bt->count == 0)
        rc = LC_EINTERNAL; /* invariant 3: an empty tree has no root */
    lc_buf_free(&ck.a);
    lc_buf_free(&ck.b);
    return rc;
}
