# Lightcone — build, test, start.
#
#   make            build build/lightcone (installs missing Debian packages first)
#   make start      build if needed, then start a server on 127.0.0.1:3000
#   make test       build and run every test; ends with "N passed, N failed"
#   make fuzz       run every fuzzer for FUZZ_SECONDS each (default 600)
#   make format     reformat the C sources with clang-format
#   make examples   build every examples/<name>/ module to build/examples/<name>.wasm
#   make bench-store  build and run the store benchmark against SQLite
#                   (bench/store; results in bench/RESULTS.md)
#   make bench-durability  build and run the commit log and recovery benchmark
#                   (bench/durability; results in bench/RESULTS.md)
#   make bench-wasm    empty wasm calls per second through the engine (bench/wasm)
#   make bench-module  reducer calls per second in process: empty and bank
#                   transfer, in memory and durable (bench/module)
#   make bench-ws   reducer calls over WebSocket: one client's p50/p99, many
#                   clients' calls/s (bench/ws)
#   make bench-subs subscription join delta cost and WebSocket fan-out (bench/subs)
#   make bench      the keynote transfer benchmark, Lightcone against PostgreSQL
#                   in the same run (bench/keynote/run.sh)
#
# Four builds of the same sources, each in its own directory:
#   build/obj    release (-O2, gcc)            -> build/lightcone
#   build/asan   AddressSanitizer + UBSan      -> build/asan/unit
#   build/tsan   ThreadSanitizer               -> build/tsan/unit
#   build/fuzz   libFuzzer + ASan + UBSan      -> build/fuzz/fuzz_*

# make's built-in default CC is "cc"; ours is gcc unless the caller chose.
ifeq ($(origin CC),default)
CC        := gcc
endif
ASAN_CC   ?= clang
FUZZ_CC   ?= clang
PKGS      := libuv jansson libssl libcrypto libjwt zlib libbrotlienc
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
BASEFLAGS := -std=c17 -D_GNU_SOURCE -Isrc -Itests -MMD -MP $(WARN)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS    ?= -O2 -g
ASANFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
TSANFLAGS := -O1 -g -fsanitize=thread
LIBS       = $(PKG_LIBS) -lwslay -lhttp_parser -lpthread -lm -ldl
# Modules compiled by src/wasm are dlopen'd and call the runtime (wasm_rt_*,
# lcw_rt_*) in the executable: export those symbols from every binary.
WASM_LDFLAGS := -Wl,--dynamic-list=src/wasm/exports.list

# Every library source under src/, one directory per module; the CLI's
# main() is kept apart so that test binaries can link the rest.
LIB_SRC   := $(sort $(wildcard src/*/*.c))
LIB_SRC   := $(filter-out src/cli/main.c,$(LIB_SRC))
UNIT_SRC  := $(sort $(wildcard tests/unit/*.c))
ITEST_SRC := $(sort $(wildcard tests/integration/*.c))

OBJ       := $(LIB_SRC:%.c=build/obj/%.o)
ASAN_OBJ  := $(LIB_SRC:%.c=build/asan/%.o)
FUZZ_OBJ  := $(LIB_SRC:%.c=build/fuzz/%.o)
TSAN_OBJ  := $(LIB_SRC:%.c=build/tsan/%.o)

DEPS_OK   := build/.deps-ok

# Objects built through the fuzz_% pattern are intermediates to make; keep
# them, or every `make test` would compile the fuzz build again.
.SECONDARY:

.PHONY: all start test unit fuzz crashtest bench bench-store bench-durability bench-wasm bench-module bench-ws bench-subs format check-format clean deps

all: build/lightcone

# Installing packages is idempotent; the stamp keeps make from asking dpkg
# on every build.  Delete it (or run `make deps`) to check again.
$(DEPS_OK): scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p build && touch $@

deps:
	@scripts/deps.sh && mkdir -p build && touch $(DEPS_OK)

build/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

build/asan/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(BASEFLAGS) $(ASANFLAGS) $(PKG_CFLAGS) -c $< -o $@

build/tsan/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(BASEFLAGS) $(TSANFLAGS) $(PKG_CFLAGS) -c $< -o $@

build/fuzz/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASEFLAGS) $(ASANFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c $< -o $@

build/liblightcone.a: $(OBJ)
	@rm -f $@
	ar rcs $@ $^

build/asan/liblightcone.a: $(ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/tsan/liblightcone.a: $(TSAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/lightcone: build/obj/src/cli/main.o build/liblightcone.a
	$(CC) $(CFLAGS) $(WASM_LDFLAGS) -o $@ $^ $(LIBS)

build/unit: $(UNIT_SRC:%.c=build/obj/%.o) build/liblightcone.a
	$(CC) $(CFLAGS) $(WASM_LDFLAGS) -o $@ $^ $(LIBS)

build/asan/unit: $(UNIT_SRC:%.c=build/asan/%.o) build/asan/liblightcone.a
	$(ASAN_CC) $(ASANFLAGS) $(WASM_LDFLAGS) -o $@ $^ $(LIBS)

build/tsan/unit: $(UNIT_SRC:%.c=build/tsan/%.o) build/tsan/liblightcone.a
	$(ASAN_CC) $(TSANFLAGS) $(WASM_LDFLAGS) -o $@ $^ $(LIBS)

build/integration: $(ITEST_SRC:%.c=build/obj/%.o) build/obj/tests/unit/test.o build/liblightcone.a
	$(CC) $(CFLAGS) $(WASM_LDFLAGS) -o $@ $^ $(LIBS)

build/crash_child: build/obj/tests/crash/crash_child.o build/liblightcone.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

build/fuzz/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o $(FUZZ_OBJ)
	$(FUZZ_CC) $(ASANFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

start: build/lightcone
	build/lightcone start

FUZZERS   := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
TEST_BINS := build/lightcone build/unit build/asan/unit build/tsan/unit build/integration \
             build/crash_child \
             $(FUZZERS)

test: $(TEST_BINS) examples
	@tests/run.sh

unit: build/unit
	build/unit $(T)

# The long crash test: many more SIGKILL cycles than make test runs (the
# commit log alone, then the whole server under a bank transfer load).
CRASH_CYCLES ?= 100
CRASH_SERVER_CYCLES ?= 50
crashtest: build/integration build/crash_child build/lightcone examples
	LC_CRASH_CYCLES=$(CRASH_CYCLES) LC_CRASH_SERVER_CYCLES=$(CRASH_SERVER_CYCLES) \
	    build/integration sigkill

FUZZ_SECONDS ?= 600
fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do \
	    name=$${f#build/fuzz/}; mkdir -p build/fuzz/corpus-$$name; \
	    seeds=tests/fuzz/corpus; [ "$$name" = fuzz_bsatn ] || seeds=; \
	    echo "== $$name for $(FUZZ_SECONDS) s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-$$name $$seeds || exit 1; \
	done

# Benchmarks: release objects, run by hand (not part of `make test`).
build/bench/bench_store: build/obj/bench/store/bench_store.o build/liblightcone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WASM_LDFLAGS) -o $@ $^ -lsqlite3 $(LIBS)

bench-store: build/bench/bench_store
	build/bench/bench_store

build/bench/bench_durability: build/obj/bench/durability/bench_durability.o build/liblightcone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WASM_LDFLAGS) -o $@ $^ $(LIBS)

bench-durability: build/bench/bench_durability
	build/bench/bench_durability

build/bench/bench_wasm: build/obj/bench/wasm/bench_wasm.o build/liblightcone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WASM_LDFLAGS) -o $@ $^ $(LIBS)

bench-wasm: build/bench/bench_wasm
	build/bench/bench_wasm

build/bench/bench_module: build/obj/bench/module/bench_module.o build/obj/tests/unit/module_fixture.o \
                          build/obj/tests/unit/test.o build/liblightcone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WASM_LDFLAGS) -o $@ $^ $(LIBS)

bench-module: build/bench/bench_module examples
	build/bench/bench_module

build/bench/bench_ws: build/obj/bench/ws/bench_ws.o build/obj/tests/integration/http_client.o \
                      build/obj/tests/unit/module_fixture.o build/obj/tests/unit/test.o \
                      build/liblightcone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WASM_LDFLAGS) -o $@ $^ $(LIBS)

bench-ws: build/bench/bench_ws examples
	build/bench/bench_ws

build/bench/bench_subs: build/obj/bench/subs/bench_subs.o build/obj/tests/unit/module_fixture.o \
                        build/obj/tests/unit/test.o build/liblightcone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WASM_LDFLAGS) -o $@ $^ $(LIBS)

bench-subs: build/bench/bench_subs examples
	build/bench/bench_subs

build/bench/loadgen: build/obj/bench/keynote/loadgen.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -lpthread -lm

bench: build/lightcone build/bench/loadgen examples
	bench/keynote/run.sh

# C modules (sdk/module-c, examples/<name>/*.c) compiled by clang to wasm32:
# the SDK library once, then build/examples/<name>.wasm per example.  Flags
# kept in step with `lightcone build` (src/cli/cmd_build.c).
SDK_CC      ?= clang
SDK_DIR     := sdk/module-c
SDK_CFLAGS  := --target=wasm32-wasi -std=c17 -O2 -Wall -Wextra -Werror -I$(SDK_DIR)/include
SDK_LDFLAGS := -nostartfiles -Wl,--no-entry -Wl,--strip-debug -Wl,-z,stack-size=1048576
SDK_LIBS     = -nodefaultlibs -lc $(wildcard $(shell $(SDK_CC) --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null))
SDK_OBJ     := $(patsubst $(SDK_DIR)/src/%.c,build/examples/sdk/%.o,$(wildcard $(SDK_DIR)/src/*.c))
EXAMPLES    := $(patsubst examples/%/,%,$(sort $(dir $(wildcard examples/*/*.c))))

.PHONY: examples
examples: $(EXAMPLES:%=build/examples/%.wasm)

build/examples/sdk/%.o: $(SDK_DIR)/src/%.c $(wildcard $(SDK_DIR)/include/*.h $(SDK_DIR)/src/*.h) | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(SDK_CC) $(SDK_CFLAGS) -fmacro-prefix-map=$(SDK_DIR)/src/=lightcone/ -c $< -o $@

define SDK_EXAMPLE_RULE
build/examples/$(1).wasm: $(wildcard examples/$(1)/*.c examples/$(1)/*.h) $(SDK_OBJ) $(SDK_DIR)/include/lightcone.h
	$$(SDK_CC) $$(SDK_CFLAGS) $$(SDK_LDFLAGS) -fmacro-prefix-map=examples/$(1)/= -o $$@ $(sort $(wildcard examples/$(1)/*.c)) $$(SDK_OBJ) $$(SDK_LIBS)
endef
$(foreach e,$(EXAMPLES),$(eval $(call SDK_EXAMPLE_RULE,$(e))))

FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRC)

check-format:
	@clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
