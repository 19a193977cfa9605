/*
 * sdktest.h — the tables of the SDK test module, in a header that both files include: the SDK
 * must register each table once however many files declare it.
 */
#ifndef SDKTEST_H
#define SDKTEST_H

#include <lightcone.h>

LC_STRUCT(pos, LC_FIELD(int32_t, x), LC_FIELD(int32_t, y))

// clang-format off
LC_TABLE(item, LC_PRIVATE,
         LC_COL(uint32_t, id, LC_PRIMARY_KEY, LC_AUTO_INC),
         LC_COL(lc_string, code, LC_UNIQUE),
         LC_COL(uint8_t, kind, LC_DIRECT),
         LC_COL(int64_t, score, LC_BTREE),
         LC_COL(lc_string, tag, LC_HASH),
         LC_COL(int32_t, x),
         LC_COL(int32_t, y),
         LC_COL(lc_bytes, blob),
         LC_INDEX(at, LC_BTREE, x, y),
         LC_INDEX(tag_kind, LC_HASH, tag, kind))
// clang-format on

LC_TABLE(note, LC_PUBLIC | LC_EVENT, LC_COL(lc_string, text))

// clang-format off
LC_TABLE(wide, LC_PUBLIC,
         LC_COL(int8_t, a, LC_AUTO_INC),
         LC_COL(lc_u128, b, LC_AUTO_INC, LC_UNIQUE),
         LC_COL(int64_t, c, LC_AUTO_INC))
// clang-format on

#endif
