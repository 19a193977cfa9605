/*
 * internal.h — what the SDK library's files share: the host imports (module-abi.md §3), the
 * registry of tables and reducers, the call arena and the current call.
 *
 * Only functions a module actually calls end up imported: the linker drops the rest, so a
 * module that never clears a table does not need spacetime_10.5.
 */
#ifndef LC_SDK_INTERNAL_H
#define LC_SDK_INTERNAL_H

#include "lightcone.h"

#define LC__IMPORT(ver, fn) __attribute__((import_module("spacetime_" ver), import_name(#fn)))

/* Status values of the host calls (module-abi.md §2). */
enum {
    LC_ERRNO_NO_SUCH_BYTES = 8,
    LC_ERRNO_BUFFER_TOO_SMALL = 11,
    LC_ERRNO_UNIQUE_ALREADY_EXISTS = 12,
    LC_ERRNO_SCHEDULE_AT_DELAY_TOO_LONG = 13,
    LC_ERRNO_NO_SUCH_ROW = 15,
};

LC__IMPORT("10.0", table_id_from_name)
int32_t lc_sys_table_id_from_name(const char *name, uint32_t len, uint32_t *out);
LC__IMPORT("10.0", index_id_from_name)
int32_t lc_sys_index_id_from_name(const char *name, uint32_t len, uint32_t *out);
LC__IMPORT("10.0", datastore_table_row_count)
int32_t lc_sys_table_row_count(uint32_t table, uint64_t *out);
LC__IMPORT("10.0", datastore_table_scan_bsatn)
int32_t lc_sys_table_scan(uint32_t table, uint32_t *out);
LC__IMPORT("10.0", datastore_index_scan_range_bsatn)
int32_t lc_sys_index_scan_range(uint32_t index, const uint8_t *prefix, uint32_t prefix_len,
                                uint32_t prefix_elems, const uint8_t *start, uint32_t start_len,
                                const uint8_t *end, uint32_t end_len, uint32_t *out);
LC__IMPORT("10.0", row_iter_bsatn_advance)
int32_t lc_sys_iter_advance(uint32_t iter, uint8_t *buf, uint32_t *len);
LC__IMPORT("10.0", row_iter_bsatn_close)
int32_t lc_sys_iter_close(uint32_t iter);
LC__IMPORT("10.0", datastore_insert_bsatn)
int32_t lc_sys_insert(uint32_t table, uint8_t *row, uint32_t *len);
LC__IMPORT("10.0", datastore_update_bsatn)
int32_t lc_sys_update(uint32_t table, uint32_t index, uint8_t *row, uint32_t *len);
LC__IMPORT("10.0", datastore_delete_all_by_eq_bsatn)
int32_t lc_sys_delete_by_eq(uint32_t table, const uint8_t *rows, uint32_t len, uint32_t *out);
LC__IMPORT("10.0", bytes_source_read)
int32_t lc_sys_source_read(uint32_t source, uint8_t *buf, uint32_t *len);
LC__IMPORT("10.0", bytes_sink_write)
int32_t lc_sys_sink_write(uint32_t sink, const uint8_t *buf, uint32_t *len);
LC__IMPORT("10.0", console_log)
void lc_sys_console_log(uint32_t level, const char *target, uint32_t target_len, const char *file,
                        uint32_t file_len, uint32_t line, const char *msg, uint32_t msg_len);
LC__IMPORT("10.0", identity)
void lc_sys_identity(uint8_t *out);
LC__IMPORT("10.1", bytes_source_remaining_length)
int32_t lc_sys_source_remaining(uint32_t source, uint32_t *out);
LC__IMPORT("10.4", datastore_index_scan_point_bsatn)
int32_t lc_sys_index_scan_point(uint32_t index, const uint8_t *point, uint32_t len, uint32_t *out);
LC__IMPORT("10.4", datastore_delete_by_index_scan_point_bsatn)
int32_t lc_sys_delete_by_point(uint32_t index, const uint8_t *point, uint32_t len, uint32_t *out);
LC__IMPORT("10.5", datastore_clear)
int32_t lc_sys_clear(uint32_t table, uint64_t *out);

/* Run the module's constructors (the registrations) once per instance. */
void lc__start(void);

/* The registry, in registration order (invariant 2 of lightcone.h). */
lc_table_t *lc__tables(void);
lc_reducer_t *lc__reducers(void);
lc_rls_t *lc__rls(void);

/* Build a table's indexes and their names from its declaration (idempotent). */
void lc__table_prepare(lc_table_t *t);

/* Write the V10 RawModuleDef of the registry (module-abi.md §5). */
void lc__write_module_def(lc_writer *w);

/* The call arena: reset before each call; lc_alloc panics when memory runs out. */
void lc__arena_reset(void);
/* Give back the most recent allocation if nothing was allocated after it. */
void lc__arena_release(void *p, size_t size);

/* The call being run, or NULL outside one (describe, constructors). */
extern const lc_ctx *lc__current;

/* A name for a host status in messages ("UNIQUE_ALREADY_EXISTS"). */
const char *lc__errno_name(int32_t code);

#endif /* LC_SDK_INTERNAL_H */
