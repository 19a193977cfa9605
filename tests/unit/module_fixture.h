/*
 * Module fixtures for the module-host and database tests: the example
 * modules built by `make examples`, a shared compile cache, and hostile
 * modules written in WAT around a hand-built V10 module definition.
 */
#ifndef LC_TEST_MODULE_FIXTURE_H
#define LC_TEST_MODULE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* The compiled-module cache the tests share (LC_WASM_CACHE or
 * build/wasm-cache): compiling the same module again is a cache hit. */
const char *fixture_cache_dir(void);

/* Read build/examples/<name>.wasm; NULL (and a test failure message) if
 * `make examples` has not built it.  Caller lc_free()s. */
uint8_t *fixture_example(const char *name, size_t *len);

/* A V10 RawModuleDef with one public table `thing` (id: u32, primary key,
 * auto_inc) and client-callable reducers with no parameters named
 * reducers[0..n-1] (ids in that order).  Flags add a second such table
 * `extra`, or make `user_error` the client_connected reducer. */
enum { FIXTURE_EXTRA_TABLE = 1, FIXTURE_CONNECT_REFUSES = 2 };
void fixture_def_v10(lc_buf_t *out, const char *const *reducers, size_t n, unsigned flags);

/* Build a wasm module from WAT text with wat2wasm in a temporary
 * directory.  Caller lc_free()s; NULL on failure (message printed). */
uint8_t *fixture_wat(const char *wat, size_t *len);

/* The hostile module: WAT whose __describe_module__ emits
 * fixture_def_v10(HOSTILE_REDUCERS) and whose reducers misbehave, one
 * way each (see module_fixture.c).  `variant` changes its imports and
 * exports for the load-time error tests: "ok", "unknown-import",
 * "no-call-reducer", "bad-def", "extra-table" (a second table),
 * "refuse-connect" (client_connected answers "nope"). */
uint8_t *fixture_hostile(const char *variant, size_t *len);

/* Reducer ids of the hostile module. */
enum {
    HOSTILE_OK,               /* inserts a row into thing: succeeds */
    HOSTILE_USER_ERROR,       /* returns 1 with "nope" in the error sink */
    HOSTILE_BAD_CODE,         /* returns 7 */
    HOSTILE_UNREACHABLE,      /* traps */
    HOSTILE_SPIN,             /* loops forever */
    HOSTILE_RECURSE,          /* recurses forever */
    HOSTILE_GROW,             /* grows memory until refused, then returns 1 with the page count */
    HOSTILE_OOB_INSERT,       /* datastore_insert_bsatn with a row past the end of memory */
    HOSTILE_OOB_NAME,         /* table_id_from_name with a huge length */
    HOSTILE_OOB_LOG,          /* console_log with bad pointers: no trap, returns 0 */
    HOSTILE_OOB_SINK,         /* bytes_sink_write from a NULL buffer */
    HOSTILE_INSERT_THEN_TRAP, /* inserts, then traps: the insert must roll back */
    HOSTILE_COUNT
};
extern const char *const hostile_reducers[HOSTILE_COUNT];

#endif
