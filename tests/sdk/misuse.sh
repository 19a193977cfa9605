#!/bin/sh
# misuse.sh — modules that misuse the C SDK must fail to compile, with a message that says
# what is wrong.  Each case is a snippet and a text the compiler's output must contain.
#
#   tests/sdk/misuse.sh [LIGHTCONE_BINARY]
#
# Snippets are compiled alone (clang -c, the flags of `lightcone build`); the last cases go
# through `lightcone build` itself, for the link-time checks and the CLI's exit status.
set -u

LIGHTCONE=${1:-build/lightcone}
SDK=sdk/module-c
CC=${SDK_CC:-clang}
FLAGS="--target=wasm32-wasi -std=c17 -O2 -Wall -Wextra -Werror=implicit-function-declaration
       -Werror=incompatible-pointer-types -Werror=int-conversion -Werror=return-type -I$SDK/include"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

report() { # name ok output
    if [ "$2" = 1 ]; then
        echo "ok   sdk-misuse: $1"
        passed=$((passed + 1))
    else
        echo "FAIL sdk-misuse: $1"
        sed 's/^/     /' "$3" | head -20
        failed=$((failed + 1))
    fi
}

# misuse NAME EXPECTED  (snippet on stdin, after #include <lightcone.h>)
misuse() {
    { echo '#include <lightcone.h>'; cat; } >"$TMP/m.c"
    if $CC $FLAGS -c "$TMP/m.c" -o "$TMP/m.o" >"$TMP/out" 2>&1; then
        echo "(compiled without an error)" >>"$TMP/out"
        report "$1" 0 "$TMP/out"
    elif grep -qF -- "$2" "$TMP/out"; then
        report "$1" 1 "$TMP/out"
    else
        echo "(expected: $2)" >>"$TMP/out"
        report "$1" 0 "$TMP/out"
    fi
}

ACCOUNTS='LC_TABLE(accounts, LC_PUBLIC, LC_COL(uint32_t, id, LC_PRIMARY_KEY), LC_COL(int64_t, balance),
         LC_COL(lc_string, tag, LC_HASH), LC_INDEX(by_tag, LC_HASH, tag, balance))'

misuse "a column of C type int" "this C type has no fixed width" <<'EOF'
LC_TABLE(t, LC_PUBLIC, LC_COL(int, x))
EOF
misuse "a reducer argument of C type char" "char is not a SATS type" <<'EOF'
LC_REDUCER(r, LC_ARG(char, c)) { return lc_ok(); }
EOF
misuse "a column of an undeclared type" "lc_sats_type_of_widget" <<'EOF'
typedef struct widget { int x; } widget;
LC_TABLE(t, LC_PUBLIC, LC_COL(widget, w))
EOF
misuse "a misspelled column attribute" "LC_PRIMARYKEY" <<'EOF'
LC_TABLE(t, LC_PUBLIC, LC_COL(uint32_t, id, LC_PRIMARYKEY))
EOF
misuse "two primary keys" "more than one LC_PRIMARY_KEY column" <<'EOF'
LC_TABLE(t, LC_PUBLIC, LC_COL(uint32_t, a, LC_PRIMARY_KEY), LC_COL(uint32_t, b, LC_PRIMARY_KEY))
EOF
misuse "LC_AUTO_INC on a string" "LC_AUTO_INC column 'name' must have an integer type" <<'EOF'
LC_TABLE(t, LC_PUBLIC, LC_COL(lc_string, name, LC_AUTO_INC))
EOF
misuse "LC_DIRECT on a signed column" "LC_DIRECT column 'v' must be uint8_t" <<'EOF'
LC_TABLE(t, LC_PUBLIC, LC_COL(int32_t, v, LC_DIRECT))
EOF
misuse "two index algorithms on one column" "has more than one of LC_BTREE, LC_HASH, LC_DIRECT" <<'EOF'
LC_TABLE(t, LC_PUBLIC, LC_COL(uint32_t, v, LC_BTREE | LC_HASH))
EOF
misuse "a bad table access" "access must be LC_PUBLIC or LC_PRIVATE" <<'EOF'
LC_TABLE(t, LC_UNIQUE | LC_AUTO_INC, LC_COL(uint32_t, v))
EOF
misuse "a table item that is not LC_COL" "each item must be LC_COL(type, name, attributes...)" <<'EOF'
LC_TABLE(t, LC_PUBLIC, uint32_t id)
EOF
misuse "LC_ARG in a table" "LC_ARG is for reducer parameters" <<'EOF'
LC_TABLE(t, LC_PUBLIC, LC_ARG(uint32_t, id))
EOF
misuse "LC_COL as a reducer parameter" "parameters are LC_ARG(type, name); LC_COL is for tables" <<'EOF'
LC_REDUCER(r, LC_COL(uint32_t, id)) { return lc_ok(); }
EOF
misuse "an index on a column that does not exist" "no member named 'zz'" <<'EOF'
LC_TABLE(t, LC_PUBLIC, LC_COL(uint32_t, a), LC_INDEX(by_zz, LC_BTREE, a, zz))
EOF
misuse "a direct index on two columns" "an LC_DIRECT index has exactly one column" <<'EOF'
LC_TABLE(t, LC_PUBLIC, LC_COL(uint32_t, a), LC_COL(uint32_t, b), LC_INDEX(ab, LC_DIRECT, a, b))
EOF
misuse "find_by on a column that is not unique" "column accounts.balance is not LC_PRIMARY_KEY or LC_UNIQUE" <<EOF
$ACCOUNTS
LC_REDUCER(r) { accounts_t a; return accounts_find_by_balance(5, &a) ? lc_ok() : lc_err("no"); }
EOF
misuse "update_by on a column that is not unique" "column accounts.balance is not LC_PRIMARY_KEY or LC_UNIQUE" <<EOF
$ACCOUNTS
LC_REDUCER(r) { accounts_t a = {0}; accounts_update_by_balance(&a); return lc_ok(); }
EOF
misuse "filter_by on a column without an index" "column accounts.balance has no index" <<EOF
$ACCOUNTS
LC_REDUCER(r) { accounts_iter it = accounts_filter_by_balance(5); accounts_iter_close(&it); return lc_ok(); }
EOF
misuse "range_by on a hash-indexed column" "column accounts.tag has no index that can scan ranges" <<EOF
$ACCOUNTS
LC_REDUCER(r) { accounts_iter it = accounts_range_by_tag(NULL, NULL); accounts_iter_close(&it); return lc_ok(); }
EOF
misuse "range_by on a struct column" "nor can ranges be taken over an LC_STRUCT column" <<'EOF'
LC_STRUCT(pt, LC_FIELD(int32_t, x), LC_FIELD(int32_t, y))
LC_TABLE(t, LC_PUBLIC, LC_COL(pt, p, LC_BTREE))
LC_REDUCER(r) { t_iter it = t_range_by_p(NULL, NULL); t_iter_close(&it); return lc_ok(); }
EOF
misuse "range_by on a hash LC_INDEX" "index by_tag of accounts is LC_HASH, which cannot scan ranges" <<EOF
$ACCOUNTS
LC_REDUCER(r) { accounts_iter it = accounts_range_by_by_tag(NULL, NULL); accounts_iter_close(&it); return lc_ok(); }
EOF
misuse "inserting a row of another table" "incompatible pointer types" <<EOF
$ACCOUNTS
LC_TABLE(other, LC_PUBLIC, LC_COL(uint32_t, x))
LC_REDUCER(r) { other_t o = {0}; accounts_insert(&o); return lc_ok(); }
EOF
misuse "a reducer that returns an int" "incompatible result type 'lc_result'" <<'EOF'
LC_REDUCER(r) { return 0; }
EOF
misuse "a schedule column that is not lc_schedule_at" "column 'at' of tick must have type lc_schedule_at" <<'EOF'
LC_TABLE(tick, LC_PUBLIC, LC_COL(uint64_t, id, LC_PRIMARY_KEY, LC_AUTO_INC), LC_COL(lc_timestamp, at),
         LC_SCHEDULE(on_tick, at))
EOF
misuse "a schedule table without a primary key" "a schedule table needs a uint64_t LC_PRIMARY_KEY column" <<'EOF'
LC_TABLE(tick, LC_PUBLIC, LC_COL(uint64_t, id), LC_COL(lc_schedule_at, at), LC_SCHEDULE(on_tick, at))
EOF
misuse "a schedule table keyed by uint32_t" "the primary key of a schedule table must be uint64_t" <<'EOF'
LC_TABLE(tick, LC_PUBLIC, LC_COL(uint32_t, id, LC_PRIMARY_KEY), LC_COL(lc_schedule_at, at),
         LC_SCHEDULE(on_tick, at))
EOF
misuse "a scheduled reducer that does not take the row" "conflicting types for 'lc_reducer__on_tick'" <<'EOF'
LC_TABLE(tick, LC_PUBLIC, LC_COL(uint64_t, id, LC_PRIMARY_KEY, LC_AUTO_INC), LC_COL(lc_schedule_at, at),
         LC_SCHEDULE(on_tick, at))
LC_REDUCER(on_tick, LC_ARG(uint64_t, id)) { return lc_ok(); }
EOF
misuse "two LC_INIT reducers in one file" "redefinition of 'lc__only_one_LC_INIT_per_module'" <<'EOF'
LC_INIT(a) { return lc_ok(); }
LC_INIT(b) { return lc_ok(); }
EOF

# Through `lightcone build`: link-time checks, and the exit status.
mkdir -p "$TMP/two"
printf '#include <lightcone.h>\nLC_INIT(a) { return lc_ok(); }\n' >"$TMP/two/a.c"
printf '#include <lightcone.h>\nLC_INIT(b) { return lc_ok(); }\n' >"$TMP/two/b.c"
"$LIGHTCONE" build "$TMP/two" >"$TMP/out" 2>&1
rc=$?
ok=0
[ $rc = 1 ] && grep -qF "duplicate symbol: lc__only_one_LC_INIT_per_module" "$TMP/out" && ok=1
report "lightcone build: two LC_INIT reducers in two files (exit 1, duplicate symbol)" $ok "$TMP/out"

mkdir -p "$TMP/O0"
printf '#include <lightcone.h>\nLC_TABLE(t, LC_PUBLIC, LC_COL(uint32_t, a))\nLC_REDUCER(r) { t_t x; return t_find_by_a(1, &x) ? lc_ok() : lc_err("no"); }\n' >"$TMP/O0/m.c"
LIGHTCONE_CFLAGS=-O0 "$LIGHTCONE" build "$TMP/O0" >"$TMP/out" 2>&1
rc=$?
ok=0
[ $rc = 1 ] && grep -qF "lc_misuse__t__a__not_unique" "$TMP/out" && ok=1
report "lightcone build at -O0: a misused table function is a link error naming it" $ok "$TMP/out"

echo "sdk-misuse: $passed passed, $failed failed"
[ "$failed" = 0 ]
