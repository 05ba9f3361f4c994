# safekeep: plain GNU make + pkg-config.
#   make                     build the library and the CLI (BUILD=release)
#   make test                install missing packages, build, run every test
#   make demo                install, build, generate and import a population, tour it
#   make BUILD=debug|asan|tsan|release|fuzz|cov
#   make fuzz                libFuzzer targets (clang) into build/fuzz/
#   make bench               benchmarks into build/release/
#   make bench-http          safekeepd against nginx with wrk (installs both if missing)
#   make format / format-check

BUILD   ?= release
CC      ?= cc
ifeq ($(BUILD),fuzz)
CC      := clang
endif
ifeq ($(origin CC),default)
CC      := gcc
endif

PKGS    := sqlite3 libsodium jansson libcrypto libmicrohttpd libcurl
OUT     := build/$(BUILD)

WARN    := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wconversion -Wstrict-prototypes \
           -Wmissing-prototypes -Wmissing-declarations -Wpointer-arith -Wcast-qual \
           -Wwrite-strings -Wformat=2 -Wvla -Wundef -Wimplicit-fallthrough \
           -Wdouble-promotion -fno-common
CPPFLAGS := -Iinclude -Isrc/core -D_GNU_SOURCE $(shell pkg-config --cflags $(PKGS))
CFLAGS_BASE := -std=c11 $(WARN) -MMD -MP -pthread
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -pthread -lm

HARDEN  := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection -fPIE
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(BUILD),release)
CFLAGS  := $(CFLAGS_BASE) -O2 -g $(HARDEN)
LDFLAGS := -pie -Wl,-z,relro,-z,now,-z,noexecstack
else ifeq ($(BUILD),debug)
CFLAGS  := $(CFLAGS_BASE) -O1 -g3 -DSK_DEBUG $(SAN)
LDFLAGS := $(SAN)
else ifeq ($(BUILD),asan)
CFLAGS  := $(CFLAGS_BASE) -O1 -g -DSK_DEBUG $(SAN)
LDFLAGS := $(SAN)
else ifeq ($(BUILD),tsan)
CFLAGS  := $(CFLAGS_BASE) -O1 -g -DSK_DEBUG -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS := -fsanitize=thread
else ifeq ($(BUILD),cov)
CFLAGS  := $(CFLAGS_BASE) -O0 -g --coverage
LDFLAGS := --coverage
else ifeq ($(BUILD),fuzz)
CFLAGS  := $(CFLAGS_BASE) -O1 -g -DSK_DEBUG -DSK_FUZZ -fsanitize=fuzzer-no-link,address,undefined
LDFLAGS := -fsanitize=address,undefined
else
$(error BUILD must be debug, asan, tsan, release, cov or fuzz)
endif

# src/api (the HTTP server) belongs to the program, not the library: the
# library never includes microhttpd.h.
LIB_SRC  := $(sort $(shell find src -name '*.c' -not -path 'src/cli/*' -not -path 'src/api/*'))
CLI_SRC  := $(sort $(wildcard src/cli/*.c src/api/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_NOTIFY_SRC := $(sort $(wildcard bench/notify/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(OUT)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(OUT)/%.o) $(OUT)/gen/openapi.o
LIB      := $(OUT)/libsafekeep.a
CLI      := $(OUT)/safekeep
TESTS    := $(TEST_SRC:tests/unit/%.c=$(OUT)/tests/%)
REPLAY   := $(FUZZ_SRC:fuzz/%.c=$(OUT)/fuzz/replay_%)
# bench/notify is several files; its objects cannot go in $(OUT)/bench/notify/,
# the program's own path.
BENCH_NOTIFY_OBJ := $(BENCH_NOTIFY_SRC:bench/notify/%.c=$(OUT)/bench/notify_obj/%.o)
BENCHES  := $(BENCH_SRC:bench/%.c=$(OUT)/bench/%) $(OUT)/bench/notify

.PHONY: all deps test check demo fuzz bench clean format format-check tests-build

all: $(CLI)

deps:
	@sh scripts/deps.sh

$(OUT)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The daemon serves docs/openapi.json from its own binary.
OPENAPI_DOC ?= docs/openapi.json
$(OUT)/gen/openapi.c: $(OPENAPI_DOC) scripts/embed.sh
	@mkdir -p $(@D)
	sh scripts/embed.sh sk_openapi_json $(OPENAPI_DOC) > $@

$(OUT)/gen/openapi.o: $(OUT)/gen/openapi.c
	$(CC) $(CPPFLAGS) $(filter-out -Wmissing-variable-declarations,$(CFLAGS)) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(CLI): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(OUT)/tests/%: $(OUT)/tests/unit/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

# A plain main() replays each fuzz target's corpus in ordinary builds.
$(OUT)/fuzz/replay_%: $(OUT)/fuzz/%.o $(OUT)/fuzz/replay.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(OUT)/fuzz/$*.o $(OUT)/fuzz/replay.o $(LIB) $(LDLIBS)

$(OUT)/fuzz/replay.o: fuzz/replay.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

ifeq ($(BUILD),fuzz)
fuzz: $(FUZZ_SRC:fuzz/%.c=$(OUT)/%)

$(OUT)/fuzz_%: fuzz/fuzz_%.c $(LIB)
	$(CC) $(CPPFLAGS) -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB) $(LDLIBS)
else
fuzz:
	$(MAKE) BUILD=fuzz fuzz
endif

$(OUT)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BENCH_NOTIFY_OBJ): $(OUT)/bench/notify_obj/%.o: bench/notify/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUT)/bench/notify: $(BENCH_NOTIFY_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(BENCH_NOTIFY_OBJ) $(LIB) $(LDLIBS)

tests-build: $(CLI) $(TESTS) $(REPLAY)

test: deps
	$(MAKE) tests-build
	@sh tests/run.sh $(OUT)

check: test

bench: $(CLI) $(BENCHES)
	sh bench/import.sh

# The benchmarks, built but not run (CI: they must keep compiling).
.PHONY: bench-build
bench-build: $(CLI) $(BENCHES)

# Builds the release binary itself, then compares it with nginx (bench/http.sh).
.PHONY: bench-http
bench-http:
	sh bench/http.sh

demo: deps
	$(MAKE) BUILD=release all
	@sh scripts/demo.sh build/release/safekeep

format:
	clang-format -i $$(find include src tests fuzz bench -name '*.[ch]' -not -name '*.inc')

format-check:
	clang-format --dry-run -Werror $$(find include src tests fuzz bench -name '*.[ch]' -not -name '*.inc')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
