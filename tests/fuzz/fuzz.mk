# tests/fuzz/fuzz.mk: fuzz targets (tests/fuzz/fuzz_*.c).
#   make -f tests/fuzz/fuzz.mk replay        each target over its corpus,
#                                            under ASan+UBSan (in make check)
#   make -f tests/fuzz/fuzz.mk fuzz FUZZ_SECONDS=600
#                                            libFuzzer (clang) on each target;
#                                            new inputs go to build/fuzz/corpus
FUZZ_SECONDS ?= 60
TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
PKG_LIBS := $(shell pkg-config --libs libevent libevent_pthreads libevent_openssl yaml-0.1 zlib libpcre2-8 libssl libcrypto libcurl jansson rdkafka)
CORPUS_OUT := build/fuzz/corpus

.PHONY: replay fuzz
replay:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=asan OPT="-O1 -g" build/asan/libsluice.a
	@mkdir -p build/fuzz-replay
	@for t in $(TARGETS); do \
	    $(CC) -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=address,undefined \
	        -fno-sanitize-recover=all -o build/fuzz-replay/$$t tests/fuzz/fuzz_$$t.c \
	        tests/fuzz/replay_main.c build/asan/libsluice.a $(PKG_LIBS) -pthread -lm || exit 1; \
	    printf 'fuzz replay %-14s ' $$t; \
	    dirs="tests/fuzz/corpus/$$t"; [ -d $(CORPUS_OUT)/$$t ] && dirs="$$dirs $(CORPUS_OUT)/$$t"; \
	    ASAN_OPTIONS=detect_leaks=1 build/fuzz-replay/$$t $$dirs || exit 1; \
	done

fuzz:
	@$(MAKE) --no-print-directory CC=clang BUILD=build/fuzz SAN=fuzz OPT="-O1 -g" build/fuzz/libsluice.a
	@for t in $(TARGETS); do \
	    clang -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
	        -fno-sanitize-recover=all -o build/fuzz/$$t tests/fuzz/fuzz_$$t.c \
	        build/fuzz/libsluice.a $(PKG_LIBS) -pthread -lm || exit 1; \
	    mkdir -p $(CORPUS_OUT)/$$t build/fuzz/crashes/$$t; \
	    echo "== fuzzing $$t for $(FUZZ_SECONDS)s"; \
	    build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	        -artifact_prefix=build/fuzz/crashes/$$t/ -print_final_stats=1 \
	        $(CORPUS_OUT)/$$t tests/fuzz/corpus/$$t 2>&1 | \
	        grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|==|SUMMARY|Done)' ; \
	    ls build/fuzz/crashes/$$t | grep -q . && { echo "crash inputs in build/fuzz/crashes/$$t"; exit 1; }; \
	done; true
