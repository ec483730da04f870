# tests/fuzz/fuzz.mk: fuzz targets (tests/fuzz/fuzz_*.c).
#   make -f tests/fuzz/fuzz.mk replay        each target over its corpus,
#                                            under ASan+UBSan (in make check)
#   make -f tests/fuzz/fuzz.mk fuzz FUZZ_SECONDS=600
#                                            libFuzzer (clang) on each target;
#                                            new inputs go to build/fuzz/corpus
# The programs are make targets, so `-jN` builds them in parallel. The
# libFuzzer runs go FUZZ_JOBS at a time (each for FUZZ_SECONDS); each one's
# output is kept in build/fuzz/logs and printed in target order afterwards.
.SUFFIXES:
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
PKG_LIBS := $(shell pkg-config --libs libevent libevent_pthreads yaml-0.1 zlib libpcre2-8 jansson) -ldl
CORPUS_OUT := build/fuzz/corpus
FUZZ_LOGS := build/fuzz/logs

REPLAY_BIN := $(TARGETS:%=build/fuzz-replay/%)
FUZZ_BIN := $(TARGETS:%=build/fuzz/%)
# The programs include the project's headers: relink when any changes.
HDRS := $(shell find src tests/fuzz -name '*.h')

.PHONY: replay fuzz FORCE

# The sanitized libraries come from the main Makefile (its own dependency
# tracking decides what to rebuild; the sub-make shares this make's jobs).
build/asan/libsluice.a: FORCE
	@$(MAKE) --no-print-directory -f Makefile BUILD=build/asan SAN=asan OPT="-O1 -g" build/asan/libsluice.a

build/fuzz/libsluice.a: FORCE
	@$(MAKE) --no-print-directory -f Makefile CC=clang BUILD=build/fuzz SAN=fuzz OPT="-O1 -g" build/fuzz/libsluice.a

$(REPLAY_BIN): build/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c build/asan/libsluice.a $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(CC) -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=address,undefined \
	    -fno-sanitize-recover=all -o $@ tests/fuzz/fuzz_$*.c \
	    tests/fuzz/replay_main.c build/asan/libsluice.a $(PKG_LIBS) -pthread -lm

$(FUZZ_BIN): build/fuzz/%: tests/fuzz/fuzz_%.c build/fuzz/libsluice.a $(HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@clang -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -o $@ tests/fuzz/fuzz_$*.c \
	    build/fuzz/libsluice.a $(PKG_LIBS) -pthread -lm

# The replays are quick: one after another, in order.
replay: $(REPLAY_BIN)
	@for t in $(TARGETS); do \
	    printf 'fuzz replay %-14s ' $$t; \
	    dirs="tests/fuzz/corpus/$$t"; [ -d $(CORPUS_OUT)/$$t ] && dirs="$$dirs $(CORPUS_OUT)/$$t"; \
	    ASAN_OPTIONS=detect_leaks=1 build/fuzz-replay/$$t $$dirs || exit 1; \
	done

# A target fails the run when its crash directory holds anything (crash,
# leak, timeout or OOM input), as before; all targets run to the end first.
fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_LOGS)
	@for t in $(TARGETS); do mkdir -p $(CORPUS_OUT)/$$t build/fuzz/crashes/$$t; rm -f $(FUZZ_LOGS)/$$t.log; done
	@printf '%s\n' $(TARGETS) | xargs -P$(FUZZ_JOBS) -I{} sh -c '\
	    build/fuzz/$$1 -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	        -artifact_prefix=build/fuzz/crashes/$$1/ -print_final_stats=1 \
	        $(CORPUS_OUT)/$$1 tests/fuzz/corpus/$$1 > $(FUZZ_LOGS)/$$1.log 2>&1; true' sh {}
	@rc=0; for t in $(TARGETS); do \
	    echo "== fuzzing $$t for $(FUZZ_SECONDS)s"; \
	    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|==|SUMMARY|Done)' $(FUZZ_LOGS)/$$t.log; \
	    ls build/fuzz/crashes/$$t | grep -q . && { echo "crash inputs in build/fuzz/crashes/$$t (log: $(FUZZ_LOGS)/$$t.log)"; rc=1; }; \
	done; exit $$rc

