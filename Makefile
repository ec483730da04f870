# sluice: build, test, run and install.
#   make            build build/sluice
#   make run        install missing deps, build, run the demo pipeline
#   make check      build and run every test (unit, integration, fuzz replay,
#                   sanitizers)
#   make lint       static analysis: cppcheck and clang-tidy over src/ and
#                   tests/tools (.clang-tidy, tests/lint/); fails on any finding
#   make install    PREFIX=/usr/local DESTDIR=
.SUFFIXES:

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR  ?= $(PREFIX)/lib/systemd/system
DESTDIR  ?=

ifeq ($(origin CC),default)
CC       := cc
endif
BUILD    ?= build
# SAN= (none) | asan (ASan+UBSan) | tsan
SAN      ?=
VERSION  := 0.1.0
CHECK_FUZZ_SECONDS ?= 10
# Parallel jobs for the build steps of `check` (compiling only: the tests
# themselves run one after another, so their output stays readable).
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
PAR      := -j$(JOBS) --output-sync=target
# `check` runs TEST_JOBS light integration scripts at a time
# (tests/integration/run.sh, SLUICE_TEST_JOBS; the heavy ones run alone);
# each script's output is still reported whole and in order.
TEST_JOBS ?= 2

PKGS     := libevent libevent_pthreads libevent_openssl yaml-0.1 zlib libpcre2-8 libssl libcrypto libcurl jansson rdkafka
TEST_PKGS := check

# libcurl, librdkafka and OpenSSL (with libevent_openssl) are not linked:
# sluice opens them when a config needs them (src/util/lazy_lib.h); only
# test tools that call them link them.
LAZY_PKGS := libcurl rdkafka libssl libcrypto libevent_openssl

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null) -ldl
LAZY_LIBS  := $(shell pkg-config --libs $(LAZY_PKGS) 2>/dev/null)
TEST_CFLAGS := $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wvla
OPT      ?= -O2 -g
SAN_asan := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_tsan := -fsanitize=thread
SAN_fuzz := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
SANFLAGS := $(SAN_$(SAN))
CPPFLAGS_ALL := -D_GNU_SOURCE -DSLUICE_VERSION='"$(VERSION)"' -Isrc
CFLAGS_ALL := -std=c11 $(WARN) $(OPT) $(SANFLAGS) -pthread -MMD -MP $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL := $(SANFLAGS) -pthread -Wl,--as-needed $(LDFLAGS)

SRC      := $(shell find src -name '*.c' | LC_ALL=C sort)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libsluice.a
BIN      := $(BUILD)/sluice

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

.PHONY: all run check check-unit check-valgrind check-integration check-fuzz check-sanitize \
        unit tools install uninstall clean fuzz man lint

all: $(BIN) tools

# `make V=1` shows the full commands.
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

# The archive is rebuilt when the list of sources changes, not only when
# an object is newer (a new file whose object predates the archive). The
# list holds the sources, not the objects, so that the same tree named by
# another path (BUILD=$PWD/build, as t_install passes it) is not rebuilt.
OBJ_LIST := $(BUILD)/lib-objects.txt
$(shell mkdir -p $(BUILD) && { echo '$(LIB_SRC)' | cmp -s - $(OBJ_LIST) || echo '$(LIB_SRC)' > $(OBJ_LIST); })

$(LIB): $(LIB_OBJ) $(OBJ_LIST)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $(LIB_OBJ)

$(BIN): $(BUILD)/obj/src/main.o $(LIB)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) -o $@ $(BUILD)/obj/src/main.o $(LIB) $(LDFLAGS_ALL) $(PKG_LIBS) -lm

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CFLAGS_ALL) $(TEST_CFLAGS) -o $@ $< $(LIB) \
	    $(LDFLAGS_ALL) $(PKG_LIBS) $(TEST_LIBS) -lm

# Test tools may use the project's libraries (http_sink: zlib); --as-needed
# links only what each one uses.
$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) $(PKG_LIBS) $(LAZY_LIBS)

tools: $(TOOL_BIN)
unit: $(UNIT_BIN)

# Install missing build dependencies, build, and run the demo pipeline.
run:
	@sh contrib/deps.sh build
	@$(MAKE) --no-print-directory all
	@sh contrib/run-demo.sh $(BUILD)

check-unit: $(UNIT_BIN)
	@sh tests/unit/run.sh $(UNIT_BIN)

# The unit tests under valgrind memcheck: no leaks, no invalid accesses.
check-valgrind: $(UNIT_BIN)
	@VALGRIND=1 sh tests/unit/run.sh $(UNIT_BIN)

check-integration: $(BIN) tools
	@SLUICE_BIN=$(BUILD)/sluice SLUICE_TOOLS=$(BUILD)/tools sh tests/integration/run.sh

# Every fuzz target over its corpus under ASan+UBSan, then a short
# libFuzzer run of each (`make fuzz FUZZ_SECONDS=600` for a real campaign).
check-fuzz:
	@$(MAKE) --no-print-directory $(PAR) -f tests/fuzz/fuzz.mk replay
	@$(MAKE) --no-print-directory $(PAR) -f tests/fuzz/fuzz.mk fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)

fuzz:
	@$(MAKE) --no-print-directory $(PAR) -f tests/fuzz/fuzz.mk fuzz

# The whole suite, as CI runs it (.ci/run calls this).
check:
	@sh contrib/deps.sh test
	@$(MAKE) --no-print-directory $(PAR) all unit
	@echo "== the same tree with clang (it must build warning-free with both)"
	@$(MAKE) --no-print-directory $(PAR) BUILD=build/clang CC=clang all unit
	@$(MAKE) --no-print-directory check-unit
	@$(MAKE) --no-print-directory check-valgrind
	@SLUICE_TEST_JOBS=$(TEST_JOBS) $(MAKE) --no-print-directory check-integration
	@$(MAKE) --no-print-directory check-fuzz
	@SLUICE_TEST_JOBS=$(TEST_JOBS) $(MAKE) --no-print-directory check-sanitize

# ASan+UBSan over unit and integration tests; TSan over the threaded ones.
# SLUICE_TEST_SCALE=2 halves the big inputs and allows for shadow memory.
check-sanitize:
	@$(MAKE) --no-print-directory $(PAR) BUILD=build/asan SAN=asan OPT="-O1 -g" all unit
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 SLUICE_TEST_SCALE=2 \
	    $(MAKE) --no-print-directory BUILD=build/asan SAN=asan OPT="-O1 -g" check-unit check-integration
	@$(MAKE) --no-print-directory $(PAR) BUILD=build/tsan SAN=tsan OPT="-O1 -g" all unit
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" SLUICE_TEST_SCALE=2 \
	    $(MAKE) --no-print-directory BUILD=build/tsan SAN=tsan OPT="-O1 -g" check-unit check-integration SLUICE_TEST_SET=threaded

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(SYSCONFDIR)/sluice $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/sluice
	install -m 0644 man/sluice.8 $(DESTDIR)$(MANDIR)/man8/sluice.8
	install -m 0644 man/sluice.yaml.5 $(DESTDIR)$(MANDIR)/man5/sluice.yaml.5
	sed 's|/usr/local/bin/sluice|$(BINDIR)/sluice|g' systemd/sluice.service > $(DESTDIR)$(UNITDIR)/sluice.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/sluice.service
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/sluice/sluice.yaml ]; then \
	    echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/sluice/sluice.yaml"; \
	else install -m 0640 conf/sluice.yaml $(DESTDIR)$(SYSCONFDIR)/sluice/sluice.yaml; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sluice $(DESTDIR)$(MANDIR)/man8/sluice.8 \
	    $(DESTDIR)$(MANDIR)/man5/sluice.yaml.5 $(DESTDIR)$(UNITDIR)/sluice.service
	@echo "left $(DESTDIR)$(SYSCONFDIR)/sluice/sluice.yaml in place"

# Static analysis, as CI runs it: cppcheck (true false positives only in
# tests/lint/cppcheck.supp, each with its reason), then clang-tidy with the
# checks in .clang-tidy (every finding is an error), over src/ and the test
# tools, with the build's flags, LINT_JOBS files at a time.
CPPCHECK   ?= cppcheck
CLANG_TIDY ?= clang-tidy
LINT_JOBS  ?= 2
LINT_SRC   := $(SRC) $(TOOL_SRC)
# Both tools always run; the target fails if either found anything.
lint:
	$(Q)rc=0; echo "== cppcheck"; \
	$(CPPCHECK) -q -j$(LINT_JOBS) --std=c11 --error-exitcode=1 --inline-suppr \
	    --enable=warning,performance,portability \
	    --library=posix,gnu,openssl,libcurl,zlib --library=tests/lint/jansson.cfg \
	    --suppressions-list=tests/lint/cppcheck.supp \
	    --template='{file}:{line}: {severity}: {message} [{id}]' \
	    $(CPPFLAGS_ALL) $(LINT_SRC) || rc=1; \
	echo "== clang-tidy"; \
	sh tests/lint/compdb.sh $(BUILD)/lint $(LINT_SRC) -- \
	    clang $(CPPFLAGS_ALL) -std=c11 $(WARN) -pthread $(PKG_CFLAGS) && \
	printf '%s\n' $(LINT_SRC) | xargs -P$(LINT_JOBS) -n1 sh tests/lint/tidy.sh $(CLANG_TIDY) $(BUILD)/lint || rc=1; \
	[ $$rc = 0 ] && echo "lint: clean" || { echo "lint: findings above" >&2; exit 1; }

# Regenerate the option reference in sluice.yaml(5) from the option tables.
man: $(BIN)
	@sh man/generate.sh $(BIN) > man/sluice.yaml.5.tmp && mv man/sluice.yaml.5.tmp man/sluice.yaml.5
	@echo "man/sluice.yaml.5 regenerated"

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/tests $(BUILD)/tools $(BUILD)/bench -name '*.d' -type f 2>/dev/null)

# Benchmarks (see the comment at the top of tests/bench/run.sh): sluice side by side
# with rsyslog and syslog-ng, callgrind instruction counts, and the parser
# micro-benchmarks. BENCH_LINES=N scales the inputs (default 2,000,000).
# Never part of `make check`; nothing here asserts on timing.
BENCH_BIN := $(BUILD)/bench/benchtool $(BUILD)/bench/parsers_bench
.PHONY: bench bench-callgrind bench-parsers

$(BUILD)/bench/benchtool: tests/bench/benchtool.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL)

$(BUILD)/bench/parsers_bench: tests/bench/parsers_bench.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CFLAGS_ALL) -o $@ $< $(LIB) \
	    $(LDFLAGS_ALL) $(PKG_LIBS) -lm

bench:
	@sh contrib/deps.sh bench
	@$(MAKE) --no-print-directory $(BIN) tools $(BENCH_BIN)
	@BUILD=$(BUILD) bash tests/bench/run.sh

bench-callgrind:
	@sh contrib/deps.sh bench
	@$(MAKE) --no-print-directory $(BIN) tools $(BENCH_BIN)
	@BUILD=$(BUILD) BENCH_ONLY=callgrind bash tests/bench/run.sh

bench-parsers:
	@$(MAKE) --no-print-directory $(BIN) tools $(BENCH_BIN)
	@BUILD=$(BUILD) BENCH_ONLY=parsers bash tests/bench/run.sh
