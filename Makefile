# SPDX-License-Identifier: GPL-3.0-or-later
# kizuna — encrypted session-notes vault.  `make run` and `make check` are the
# two entry points (README.md); both install missing Debian packages first.

PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
SANITIZE ?=
CC       ?= cc

VERSION  := 0.1.0

PKGS := libsodium sqlite3 libargon2 readline jansson pwquality libqrencode libutf8proc
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# zxcvbn (the passphrase meter) has no pkg-config file in Debian's libzxcvbn-dev.
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lzxcvbn

WARN   := -std=c11 -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith \
          -Wstrict-prototypes -Wmissing-prototypes -Wvla
DEFS   := -D_GNU_SOURCE -DKZ_VERSION=\"$(VERSION)\"
ifeq ($(SANITIZE),1)
OPT    := -O1 -g -DKZ_SANITIZE -fsanitize=address,undefined -fno-omit-frame-pointer \
          -fno-sanitize-recover=undefined
LDSAN  := -fsanitize=address,undefined
else ifeq ($(SANITIZE),fuzz)
# libFuzzer builds (clang): the library is instrumented for coverage, the harness
# link adds -fsanitize=fuzzer (make fuzz, tests/fuzz/README.md).
OPT    := -O1 -g -DKZ_SANITIZE -fsanitize=fuzzer-no-link,address,undefined \
          -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDSAN  := -fsanitize=address,undefined
else
OPT    := -O2 -g -D_FORTIFY_SOURCE=2
LDSAN  :=
endif
HARDEN := -fstack-protector-strong -fstack-clash-protection -fPIE -fcf-protection
LDHARD := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

CFLAGS_ALL = $(WARN) $(DEFS) $(OPT) $(HARDEN) -pthread -Iinclude $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(LDHARD) $(LDSAN) -pthread $(LDFLAGS)

# Library layers, bottom first (DESIGN.md): util, crypto, store, vault, model, ui, cmd, shell.
LIB_SRC  := $(wildcard src/util/*.c src/crypto/*.c src/store/*.c src/vault/*.c \
             src/model/*.c src/ui/*.c src/cmd/*.c src/shell/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libkizuna.a
BIN      := $(BUILD)/kizuna

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Test tools (not installed): kzage drives the age module for the CLI tests;
# kzforge queues a keyless audit event as anyone who can write the file can;
# failio.so, an LD_PRELOAD shim, fails the Nth write, sync or truncation of the
# vault's files (tests/cli/ioerror.bats); kzmemscan looks for text in a running
# kizuna's memory (tests/cli/memory.bats); kzpause.so holds kizuna just before a
# written file gets its name (tests/cli/signals.bats).
TOOLS := $(BUILD)/tests/kzage $(BUILD)/tests/kzforge $(BUILD)/tests/failio.so \
         $(BUILD)/tests/kzmemscan $(BUILD)/tests/kzpause.so

.PHONY: all deps run demo check test unit cli tty asan install uninstall clean fmt bench lint \
        fuzz fuzz-smoke fuzz-build lint-cppcheck lint-tidy lint-graph

all: $(BIN) $(UNIT_BIN) $(TOOLS)

deps:
	@scripts/deps.sh build

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(LIB)
	$(CC) $(CFLAGS_ALL) $^ -o $@ $(LDFLAGS_ALL) $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -MF $@.d -Itests/unit $< $(LIB) -o $@ $(LDFLAGS_ALL) $(PKG_LIBS) \
	    $(shell pkg-config --libs cmocka) $(TEST_LIBS_$*)

$(BUILD)/tests/kzage: tests/tools/kzage.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $< $(LIB) -o $@ $(LDFLAGS_ALL) $(PKG_LIBS)

$(BUILD)/tests/kzforge: tests/tools/kzforge.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $< $(LIB) -o $@ $(LDFLAGS_ALL) $(PKG_LIBS)

# Never sanitized: it is preloaded into the sanitized kizuna too, and a second
# ASan runtime cannot be loaded after the first.
$(BUILD)/tests/failio.so: tests/tools/failio.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) -O2 -g -fPIC -shared -pthread $< -o $@ -ldl $(LDFLAGS)

$(BUILD)/tests/kzmemscan: tests/tools/kzmemscan.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $< -o $@ $(LDFLAGS_ALL)

# A shared object for LD_PRELOAD: no sanitizer, no PIE link.
$(BUILD)/tests/kzpause.so: tests/tools/kzpause.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) -O2 -fPIC -shared $< -o $@ -ldl

# Extra libraries for one unit test (the age testkit runner inflates zlib vectors).
TEST_LIBS_test_age_cctv := -lz
TEST_LIBS_test_shamir := -lm

# The default vault, or KIZUNA_VAULT / VAULT= when given. The first time, and
# while no kizuna is on PATH, says where the binary is and how to install it.
# make's own status is 0 when kizuna's is, else 2 (GNU make's rule): kizuna's
# status is in the line make prints, "Error N" (scripts/run.sh passes it on).
run:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory -s $(BIN)
	@BUILD=$(BUILD) scripts/run.sh $(if $(VAULT),--vault $(VAULT))

# A demo vault of fictional couples (demo.kz), then the shell on it; the
# passphrase is printed on a line of its own each time.
demo:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory -s $(BIN)
	@if [ -e demo.kz ]; then echo "demo.kz is there already; its passphrase:"; \
	    scripts/demo.sh --passphrase; else KIZUNA=$(BIN) scripts/demo.sh demo.kz; fi
	@BUILD=$(BUILD) scripts/run.sh --vault demo.kz

# Every test, in a normal build and beside it under ASan+UBSan; ends "N passed, N failed".
check:
	@scripts/deps.sh all
	@scripts/check.sh

test: all
	@BUILD=$(BUILD) scripts/check.sh --one

# Figures against their anchors and targets, PASS or FAIL (not a test):
# make bench [BENCH_N=100000] [KZ_BENCH_SCALING=0: without the lines at
# 10k, 30k, 100k and 300k notes; =30000: up to 30k]. It runs $(BIN) for the
# script, import and the shell's memory.
BENCH_N ?= 100000
# --wrap: the bench times the key derivation inside an unlock (bench.c, [4]).
$(BUILD)/bench: tests/bench/bench.c $(LIB)
	$(CC) $(CFLAGS_ALL) $< $(LIB) -o $@ $(LDFLAGS_ALL) -Wl,--wrap=kz_kdf_derive $(PKG_LIBS)

bench:
	@scripts/deps.sh all
	@$(MAKE) --no-print-directory $(BUILD)/bench $(BIN)
	@KIZUNA=$(CURDIR)/$(BIN) $(BUILD)/bench $(BENCH_N)

# The long runs make check samples: the concurrency stress test
# (tests/cli/concurrency.bats: a shell, two writers, backups, audits, a rekey
# and a passwd on one vault) for longer than its 15 s, the crash test with 100
# kills (50) and the I/O-error tests failing every call (every 2nd):
# make stress [STRESS_SECONDS=300] [KZ_STRESS_SEED=N] [KZ_CRASH_TRIALS=100]
STRESS_SECONDS ?= 300
KZ_CRASH_TRIALS ?= 100
.PHONY: stress
stress:
	@scripts/deps.sh all
	@$(MAKE) --no-print-directory $(BIN)
	@KIZUNA=$(CURDIR)/$(BIN) STRESS_SECONDS=$(STRESS_SECONDS) \
	    bats --tap -f '^stress: ' tests/cli/concurrency.bats
	@KIZUNA=$(CURDIR)/$(BIN) KZ_CRASH_TRIALS=$(KZ_CRASH_TRIALS) KZ_IOERR_STEP=1 \
	    bats --tap -f '^(crash: |I/O errors)' tests/cli/hardening.bats tests/cli/ioerror.bats

# The CLI suite with every kizuna under valgrind's memcheck (slow; not in make check).
.PHONY: valgrind
valgrind:
	@scripts/deps.sh all
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/valgrind.sh

# libFuzzer harnesses (tests/fuzz/README.md), built with clang, ASan and UBSan in
# their own folder: make fuzz [FUZZ_SECONDS=60] runs each for that long and prints
# its executions; make fuzz-smoke runs each for 4 s over its corpus (make check).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c, \
                  $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BIN     := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

.SECONDARY: $(BUILD)/tests/fuzz/fuzz_util.o
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/tests/fuzz/fuzz_util.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -MF $@.d $< $(BUILD)/tests/fuzz/fuzz_util.o $(LIB) -o $@ \
	    -fsanitize=fuzzer $(LDFLAGS_ALL) $(PKG_LIBS)

ifeq ($(SANITIZE),fuzz)
fuzz-build: $(FUZZ_BIN)
else
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang SANITIZE=fuzz fuzz-build
endif

fuzz:
	@scripts/deps.sh all
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) scripts/fuzz.sh run $(FUZZ_SECONDS)

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) scripts/fuzz.sh smoke 4

# Static analysis: cppcheck and clang-tidy with the checked-in configuration
# (.clang-tidy, tests/lint/), and the file graph of the build (no two files
# using each other, no loop, no layer used from below: scripts/filegraph.py);
# clean means exit 0 (scripts/lint.sh says what runs where).
lint:
	@scripts/deps.sh test
	@BUILD=$(BUILD) scripts/lint.sh all

lint-cppcheck:
	@scripts/lint.sh cppcheck

lint-tidy:
	@scripts/lint.sh tidy

lint-graph:
	@BUILD=$(BUILD) scripts/lint.sh graph

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/kizuna
	install -m 0644 man/kizuna.1 $(DESTDIR)$(PREFIX)/share/man/man1/kizuna.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/kizuna $(DESTDIR)$(PREFIX)/share/man/man1/kizuna.1

fmt:
	clang-format -i $(wildcard src/*.c src/*/*.c include/kizuna/*.h tests/unit/*.c)

clean:
	rm -rf build build-asan

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d $(FUZZ_BIN:=.d) $(UNIT_BIN:=.d) $(BUILD)/tests/fuzz/fuzz_util.d
