/*
 * BLAKE3, written from the specification (O'Connor, Aumasson, Neves,
 * Wilcox-O'Hearn, "BLAKE3: one function, fast everywhere", 2020).  Portable
 * C, one block at a time; identities and content hashes are short, so SIMD
 * would buy nothing here.
 *
 * Structure
 * ---------
 * The input is split into 1024-byte chunks, each chunk into 64-byte blocks.
 * A chunk is hashed by chaining its blocks through the compression function,
 * starting from the key words; its final 8-word chaining value (CV) is a
 * leaf of a binary tree.  Parent nodes compress the 64-byte concatenation of
 * their two children's CVs.  The tree is left-complete: for n chunks the
 * left subtree holds the largest power of two of chunks strictly less than
 * n.  The root node (a chunk when there is only one) is compressed with the
 * ROOT flag and an output-block counter instead, any number of times, which
 * makes BLAKE3 an extendable-output function.
 *
 * Compression function input (16 words of state, all little-endian u32):
 *
 *   word   0..7    chaining value (key words for a chunk's first block)
 *   word   8..11   IV[0..3]
 *   word  12, 13   counter low, high (chunk index; output block index at root)
 *   word  14       block length in bytes (64 except for a chunk's last block)
 *   word  15       flags (table below)
 *
 * Seven rounds of the G mixing function over columns then diagonals, with a
 * fixed permutation of the 16 message words between rounds.  The output is
 * state[i] ^ state[i+8] for i < 8, and state[i+8] ^ cv[i] for the extended
 * (XOF) second half.
 *
 *   flag                  bit   set on
 *   CHUNK_START           1     first block of each chunk
 *   CHUNK_END             2     last block of each chunk
 *   PARENT                4     parent nodes
 *   ROOT                  8     root compressions (output only)
 *   KEYED_HASH           16     every compression in keyed mode
 *   DERIVE_KEY_CONTEXT   32     hashing the context string
 *   DERIVE_KEY_MATERIAL  64     hashing key material with the derived key
 *
 * Incremental hashing
 * -------------------
 * The hasher keeps the chunk being filled plus a stack of CVs of completed
 * subtrees whose sizes are distinct powers of two, largest at the bottom.
 *
 *   1. A block is compressed only when more input arrives after it, and a
 *      chunk is finished only when more input arrives after it: the last
 *      block and the last chunk must be held back, because whether they are
 *      the root (and so get the ROOT flag) is not known until finalisation.
 *   2. After finishing chunk number t-1 (so t chunks are done), the new CV is
 *      merged with the stack top once for every trailing zero bit of t; then
 *      it is pushed.  The stack therefore holds one entry per 1 bit of t and
 *      never more than 54 entries (2^64 bytes is 2^54 chunks).
 *   3. Finalisation folds the current chunk's output into parents with the
 *      stack entries from top to bottom, without touching the hasher, so
 *      lc_blake3_final() takes a const pointer and more input may follow.
 */
#include <string.h>

#include "base.h"

enum {
    CHUNK_START = 1 << 0,
    CHUNK_END = 1 << 1,
    PARENT = 1 << 2,
    ROOT = 1 << 3,
    KEYED_HASH = 1 << 4,
    DERIVE_KEY_CONTEXT = 1 << 5,
    DERIVE_KEY_MATERIAL = 1 << 6,
};

static const uint32_t IV[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                               0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

static const uint8_t MSG_PERMUTATION[16] = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};

/* A node whose CV or root output is still to be computed: everything the
 * compression function needs except the counter at the root. */
typedef struct output {
    uint32_t cv[8];
    uint32_t block[16];
    uint64_t counter;
    uint32_t block_len;
    uint32_t flags;
} output_t;

static inline uint32_t rotr32(uint32_t x, int n)
{
    return x >> n | x << (32 - n);
}

static inline void g(uint32_t s[16], int a, int b, int c, int d, uint32_t mx, uint32_t my)
{
    s[a] = s[a] + s[b] + mx;
    s[d] = rotr32(s[d] ^ s[a], 16);
    s[c] = s[c] + s[d];
    s[b] = rotr32(s[b] ^ s[c], 12);
    s[a] = s[a] + s[b] + my;
    s[d] = rotr32(s[d] ^ s[a], 8);
    s[c] = s[c] + s[d];
    s[b] = rotr32(s[b] ^ s[c], 7);
}

static void round_fn(uint32_t s[16], const uint32_t m[16])
{
    g(s, 0, 4, 8, 12, m[0], m[1]);
    g(s, 1, 5, 9, 13, m[2], m[3]);
    g(s, 2, 6, 10, 14, m[4], m[5]);
    g(s, 3, 7, 11, 15, m[6], m[7]);
    g(s, 0, 5, 10, 15, m[8], m[9]);
    g(s, 1, 6, 11, 12, m[10], m[11]);
    g(s, 2, 7, 8, 13, m[12], m[13]);
    g(s, 3, 4, 9, 14, m[14], m[15]);
}

/* The full 16-word compression output (the first 8 words are the new CV). */
static void compress(const uint32_t cv[8], const uint32_t block[16], uint64_t counter,
                     uint32_t block_len, uint32_t flags, uint32_t out[16])
{
    uint32_t s[16], m[16], tmp[16];
    memcpy(s, cv, 32);
    memcpy(s + 8, IV, 16);
    s[12] = (uint32_t)counter;
    s[13] = (uint32_t)(counter >> 32);
    s[14] = block_len;
    s[15] = flags;
    memcpy(m, block, 64);
    for (int r = 0; r < 7; r++) {
        round_fn(s, m);
        if (r == 6)
            break;
        for (int i = 0; i < 16; i++) tmp[i] = m[MSG_PERMUTATION[i]];
        memcpy(m, tmp, 64);
    }
    for (int i = 0; i < 8; i++) {
        out[i] = s[i] ^ s[i + 8];
        out[i + 8] = s[i + 8] ^ cv[i];
    }
}

/* Load up to 64 bytes as 16 little-endian words, zero-padding the rest. */
static void load_block(uint32_t words[16], const uint8_t *p, size_t len)
{
    uint8_t padded[LC_BLAKE3_BLOCK_LEN] = {0};
    memcpy(padded, p, len);
    for (int i = 0; i < 16; i++) words[i] = lc_load_u32le(padded + 4 * i);
}

static void output_cv(const output_t *o, uint32_t cv[8])
{
    uint32_t full[16];
    compress(o->cv, o->block, o->counter, o->block_len, o->flags, full);
    memcpy(cv, full, 32);
}

static void output_root_bytes(const output_t *o, uint8_t *out, size_t out_len)
{
    uint64_t block_counter = 0;
    while (out_len > 0) {
        uint32_t words[16];
        uint8_t bytes[64];
        compress(o->cv, o->block, block_counter, o->block_len, o->flags | ROOT, words);
        for (int i = 0; i < 16; i++) lc_store_u32le(bytes + 4 * i, words[i]);
        size_t take = LC_MIN(out_len, sizeof bytes);
        memcpy(out, bytes, take);
        out += take;
        out_len -= take;
        block_counter++;
    }
}

static void parent_output(const uint32_t left[8], const uint32_t right[8], const uint32_t key[8],
                          uint32_t flags, output_t *o)
{
    memcpy(o->cv, key, 32);
    memcpy(o->block, left, 32);
    memcpy(o->block + 8, right, 32);
    o->counter = 0;
    o->block_len = LC_BLAKE3_BLOCK_LEN;
    o->flags = flags | PARENT;
}

static size_t chunk_len(const lc_blake3_t *h)
{
    return (size_t)h->blocks_compressed * LC_BLAKE3_BLOCK_LEN + h->block_len;
}

static uint32_t chunk_start_flag(const lc_blake3_t *h)
{
    return h->blocks_compressed == 0 ? CHUNK_START : 0;
}

/* The output of the chunk being filled, as if no more input followed. */
static void chunk_output(const lc_blake3_t *h, output_t *o)
{
    memcpy(o->cv, h->chunk_cv, 32);
    load_block(o->block, h->block, h->block_len);
    o->counter = h->chunk_counter;
    o->block_len = h->block_len;
    o->flags = h->flags | chunk_start_flag(h) | CHUNK_END;
}

/* Add up to one chunk's worth of input; the caller keeps n within the chunk.
 * A full block buffer is compressed only once more bytes arrive (invariant 1). */
static void chunk_update(lc_blake3_t *h, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (h->block_len == LC_BLAKE3_BLOCK_LEN) {
            uint32_t words[16], full[16];
            load_block(words, h->block, LC_BLAKE3_BLOCK_LEN);
            compress(h->chunk_cv, words, h->chunk_counter, LC_BLAKE3_BLOCK_LEN,
                     h->flags | chunk_start_flag(h), full);
            memcpy(h->chunk_cv, full, 32);
            h->blocks_compressed++;
            h->block_len = 0;
        }
        size_t take = LC_MIN(n, (size_t)(LC_BLAKE3_BLOCK_LEN - h->block_len));
        memcpy(h->block + h->block_len, p, take);
        h->block_len = (uint8_t)(h->block_len + take);
        p += take;
        n -= take;
    }
}

/* Push the CV of a finished chunk, merging completed subtrees (invariant 2).
 * total_chunks counts the chunks finished so far, this one included. */
static void push_chunk_cv(lc_blake3_t *h, uint32_t cv[8], uint64_t total_chunks)
{
    while ((total_chunks & 1) == 0) {
        output_t o;
        h->cv_stack_len--;
        parent_output(h->cv_stack[h->cv_stack_len], cv, h->key, h->flags, &o);
        output_cv(&o, cv);
        total_chunks >>= 1;
    }
    memcpy(h->cv_stack[h->cv_stack_len], cv, 32);
    h->cv_stack_len++;
}

static void init_with(lc_blake3_t *h, const uint32_t key[8], uint8_t flags)
{
    memset(h, 0, sizeof *h);
    memcpy(h->key, key, 32);
    memcpy(h->chunk_cv, key, 32);
    h->flags = flags;
}

void lc_blake3_init(lc_blake3_t *h)
{
    init_with(h, IV, 0);
}

void lc_blake3_init_keyed(lc_blake3_t *h, const uint8_t key[LC_BLAKE3_KEY_LEN])
{
    uint32_t words[8];
    for (int i = 0; i < 8; i++) words[i] = lc_load_u32le(key + 4 * i);
    init_with(h, words, KEYED_HASH);
}

/* The context string is hashed on its own (DERIVE_KEY_CONTEXT) into a key,
 * which then keys the hashing of the key material (DERIVE_KEY_MATERIAL). */
void lc_blake3_init_derive_key(lc_blake3_t *h, const char *context)
{
    lc_blake3_t ctx;
    uint8_t context_key[LC_BLAKE3_KEY_LEN];
    uint32_t words[8];
    init_with(&ctx, IV, DERIVE_KEY_CONTEXT);
    lc_blake3_update(&ctx, context, strlen(context));
    lc_blake3_final(&ctx, context_key, sizeof context_key);
    for (int i = 0; i < 8; i++) words[i] = lc_load_u32le(context_key + 4 * i);
    init_with(h, words, DERIVE_KEY_MATERIAL);
}

void lc_blake3_update(lc_blake3_t *h, const void *p, size_t n)
{
    const uint8_t *in = p;
    while (n > 0) {
        /* A full chunk is finished only now that more input follows. */
        if (chunk_len(h) == LC_BLAKE3_CHUNK_LEN) {
            output_t o;
            uint32_t cv[8];
            chunk_output(h, &o);
            output_cv(&o, cv);
            push_chunk_cv(h, cv, h->chunk_counter + 1);
            memcpy(h->chunk_cv, h->key, 32);
            h->chunk_counter++;
            h->blocks_compressed = 0;
            h->block_len = 0;
        }
        size_t take = LC_MIN(n, LC_BLAKE3_CHUNK_LEN - chunk_len(h));
        chunk_update(h, in, take);
        in += take;
        n -= take;
    }
}

void lc_blake3_final(const lc_blake3_t *h, uint8_t *out, size_t out_len)
{
    output_t o;
    chunk_output(h, &o);
    for (size_t i = h->cv_stack_len; i > 0; i--) {
        uint32_t right[8];
        output_cv(&o, right);
        parent_output(h->cv_stack[i - 1], right, h->key, h->flags, &o);
    }
    output_root_bytes(&o, out, out_len);
}

void lc_blake3(uint8_t out[LC_BLAKE3_OUT_LEN], const void *p, size_t n)
{
    lc_blake3_t h;
    lc_blake3_init(&h);
    lc_blake3_update(&h, p, n);
    lc_blake3_final(&h, out, LC_BLAKE3_OUT_LEN);
}
