# weft: one non-recursive GNU Makefile.
#   make                 build ./build/weft, the unit tests and the test tools
#   make weft            build ./build/weft only (what servers and the package need:
#                        OpenSSL and cJSON, no cmocka)
#   make check           build and run every test (unit, vectors, CLI, short fuzz, netns, vm)
#   make check SAN=address,undefined   the same under sanitizers (build-san/)
#   make check-tsan      the threads under ThreadSanitizer (build-tsan/)
#   make check-vm        only the tests in a QEMU guest (tests/vm, docs/testing.md)
#   make fuzz FUZZ_SECONDS=300         long libFuzzer runs, one per harness
#   make demo            a 4-host mesh in network namespaces (needs root)
#   make install         binary, systemd unit, man page, docs and bash completion under
#                        $(PREFIX), /etc/weft (builds only the binary)
#   make deb             build/deb/weft_VERSION_amd64.deb (dpkg-buildpackage; debian/)
#   make bench           the side-by-side benchmark (bench/README.md; never with the tests)
#   make bench-micro     the packet path, stage by stage, in cycles per byte
#   V=1                  show full command lines

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
SAN     ?=

ifeq ($(SAN),)
BUILD   := build
SANFLAGS :=
HARDEN  := -D_FORTIFY_SOURCE=3
else
BUILD   := $(if $(filter thread,$(SAN)),build-tsan,build-san)
SANFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
HARDEN  :=
endif

WARN    := -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wvla \
           -Wswitch-enum -Wshadow -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(HARDEN) -fstack-protector-strong \
           -fPIE -Iinclude -Isrc $(SANFLAGS) -MMD -MP
# WEFT_VERSION=X: the version weft --version prints (the package sets it).
ifneq ($(WEFT_VERSION),)
ALL_CFLAGS += -DWEFT_VERSION='"$(WEFT_VERSION)"'
endif
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now $(SANFLAGS) $(LDFLAGS)
# ldns: the DNS responder's wire format (src/core/dns.c, the only user);
# libmicrohttpd: HTTP for /metrics (src/daemon/exporter.c, the only user);
# libsystemd: sd-bus, to tell systemd-resolved where the names are
# (src/daemon/resolved.c, the only user; dns-resolved = yes). A D-Bus
# message by hand would be a second marshaller to get right and keep.
LIBS    := -lcrypto -lcjson -lldns -lmicrohttpd -lsystemd -lpthread -lm

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC   := $(wildcard src/crypto/*.c src/core/*.c src/common/*.c src/store/*.c)
DAEMON_SRC := $(wildcard src/daemon/*.c)
CLI_SRC   := $(wildcard src/cli/*.c)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
TOOL_SRC  := $(wildcard tests/tools/*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
BIN_OBJ   := $(DAEMON_SRC:%.c=$(BUILD)/%.o) $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BIN  := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)
SIM_BIN   := $(BUILD)/tests/sim
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
LIBWEFT   := $(BUILD)/libweft.a

.PHONY: all weft deb check check-vm unit fuzz fuzz-short demo install uninstall clean format bench bench-micro check-tsan sim sim-sparse
all: $(BUILD)/weft $(UNIT_BIN) $(TOOL_BIN) $(SIM_BIN)

# The daemon and CLI alone: no test libraries.
weft: $(BUILD)/weft

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBWEFT): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/weft: $(BIN_OBJ) $(LIBWEFT)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(BIN_OBJ) $(LIBWEFT) $(LIBS)

# Unit tests: one cmocka binary per module; the daemon's objects (minus main)
# are linked in so daemon-side pure helpers (config, ...) can be tested too.
DAEMON_LIB_OBJ := $(filter-out $(BUILD)/src/cli/weft.o,$(BIN_OBJ))
# test_handshake drives the daemon's handlers in memory and captures what they
# send (tests/common/harness.h): sendto is wrapped at link time.
HARNESS_WRAP := -Wl,--wrap=sendto,--wrap=sendmmsg
$(BUILD)/tests/test_handshake: WRAP := $(HARNESS_WRAP),--wrap=calloc
$(BUILD)/tests/test_datapath: WRAP := $(HARNESS_WRAP)
$(BUILD)/tests/test_revoked: WRAP := $(HARNESS_WRAP)
$(BUILD)/tests/test_reload: WRAP := $(HARNESS_WRAP)
$(BUILD)/tests/test_workers: WRAP := $(HARNESS_WRAP),--wrap=calloc,--wrap=malloc,--wrap=wf_routes_clone,--wrap=readv
# test_session sees what wf_keypair_free wipes.
$(BUILD)/tests/test_session: WRAP := -Wl,--wrap=wf_wipe
# test_xfrm talks to a fake kernel: its netlink sends and receives are wrapped.
$(BUILD)/tests/test_xfrm: WRAP := -Wl,--wrap=sendto,--wrap=recvfrom
$(BUILD)/tests/%: tests/unit/%.c $(LIBWEFT) $(DAEMON_LIB_OBJ) $(wildcard tests/common/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(WRAP) -o $@ $< $(DAEMON_LIB_OBJ) $(LIBWEFT) $(LIBS) \
		-lcmocka

# xfrmctl drives the kernel data path's daemon modules (tests/vm/20-xfrm-module).
$(BUILD)/tests/xfrmctl: tests/tools/xfrmctl.c $(LIBWEFT) $(DAEMON_LIB_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TOOL    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(DAEMON_LIB_OBJ) $(LIBWEFT) $(LIBS)

$(BUILD)/tests/%: tests/tools/%.c $(LIBWEFT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TOOL    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBWEFT) $(LIBS)

# The membership simulator: the real core on a simulated network.
$(SIM_BIN): tests/sim/sim.c $(LIBWEFT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  SIM     $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBWEFT) $(LIBS)

# 10,000 nodes (about half an hour and 16 GiB here); the suite runs 1,000.
SIM_NODES ?= 10000
sim: $(SIM_BIN)
	$(Q)$(SIM_BIN) -n $(SIM_NODES) --check | tee $(BUILD)/sim-$(SIM_NODES).txt

# The same past full-mesh-max (sessions on demand, gossip over those kept).
SIM_SPARSE_NODES ?= 1000
sim-sparse: $(SIM_BIN)
	$(Q)$(SIM_BIN) -n $(SIM_SPARSE_NODES) --sparse --check | tee $(BUILD)/sim-sparse-$(SIM_SPARSE_NODES).txt

# libFuzzer harnesses: always clang, always ASan+UBSan, in their own tree.
# The library and the daemon's objects are built once, instrumented
# (fuzzer-no-link), and each harness is linked against them (with -j).
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc -fno-sanitize-recover=all -MMD -MP
FUZZ_SAN    := address,undefined
FUZZ_LIB    := build-fuzz/libweft.a
FUZZ_DAEMON := build-fuzz/libweftd.a
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)
FUZZ_DAEMON_OBJ := $(DAEMON_SRC:%.c=build-fuzz/obj/%.o)

build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^
$(FUZZ_DAEMON): $(FUZZ_DAEMON_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

build-fuzz/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_EXTRA) \
		$(FUZZ_LIB) $(LIBS)

# fuzz_responder and fuzz_datapath drive the daemon's handlers in memory
# (tests/common/harness.h); fuzz_config includes config.c itself.
build-fuzz/fuzz/fuzz_responder: FUZZ_EXTRA := $(FUZZ_DAEMON) $(HARNESS_WRAP)
build-fuzz/fuzz/fuzz_responder: $(FUZZ_DAEMON) $(wildcard tests/common/*.h)
build-fuzz/fuzz/fuzz_datapath: FUZZ_EXTRA := $(FUZZ_DAEMON) $(HARNESS_WRAP)
build-fuzz/fuzz/fuzz_datapath: $(FUZZ_DAEMON) $(wildcard tests/common/*.h)
# fuzz_xfrm: the kernel data path's readers of what the kernel sends.
build-fuzz/fuzz/fuzz_xfrm: FUZZ_EXTRA := $(FUZZ_DAEMON)
build-fuzz/fuzz/fuzz_xfrm: $(FUZZ_DAEMON)

FUZZ_TARGETS := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/fuzz/%)
FUZZ_SECONDS ?= 300
fuzz: $(FUZZ_TARGETS)
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The runner's positive control: a harness that crashes must fail the run.
build-fuzz/selftest/crash: tests/fuzz/selftest_crash.c
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer -o $@ $<

fuzz-short: $(FUZZ_TARGETS) build-fuzz/selftest/crash
	$(Q)if FUZZ_ARTIFACTS=build-fuzz/selftest/ tests/fuzz/run.sh 10 build-fuzz/selftest/crash \
		>build-fuzz/selftest/run.log 2>&1; then \
		echo "tests/fuzz/run.sh passed a crashing harness"; exit 1; fi
	$(Q)tests/fuzz/run.sh $(or $(FUZZ_SHORT_SECONDS),5) $(FUZZ_TARGETS)

# Everything the suite runs; SAN= builds everything sanitized.  The fuzz
# smoke run is skipped with NO_FUZZ=1 (the sanitizer pass uses it: the
# harnesses are already ASan/UBSan builds), the guest's tests with NO_VM=1,
# the package's (it builds its own weft) with NO_PACKAGE=1. Of the guest's
# tests the suite runs SUITE_VM (vm/30, the daemon's kernel path: the others
# test the building blocks it uses, at two more minutes; check-vm runs all);
# SKIP="NAME ..." leaves out tests by name (the sanitizer pass, for time).
SUITE_VM ?= 30
check: all
	$(Q)BUILD=$(BUILD) tests/run.sh $(if $(NO_FUZZ),,--fuzz) $(if $(NO_VM),--no-vm) \
		$(if $(NO_PACKAGE),--no-package) --vm "$(SUITE_VM)" $(if $(SKIP),--skip "$(SKIP)")

check-vm: all
	$(Q)BUILD=$(BUILD) tests/run.sh --only vm

unit: all
	$(Q)BUILD=$(BUILD) tests/run.sh --only unit

# The threads under ThreadSanitizer (build-tsan/): the unit tests, and the
# namespace tests that load both workers, rekey, roam, flood, hand over
# packets for members not reached yet (on demand) and note firewall flows
# between workers. A report
# ends a daemon with status 66, which fails its test.
TSAN_NETNS ?= 10 14 16 60 80 87 96
check-tsan:
	$(Q)$(MAKE) --no-print-directory -j$$(nproc) all SAN=thread
	$(Q)TSAN_OPTIONS="halt_on_error=1 exitcode=66 $${TSAN_OPTIONS:-}" BUILD=build-tsan \
		tests/run.sh --only unit
	$(Q)TSAN_OPTIONS="halt_on_error=1 exitcode=66 $${TSAN_OPTIONS:-}" BUILD=build-tsan \
		tests/run.sh --only netns --netns "$(TSAN_NETNS)"


# Benchmarks: never part of the suite (no timing is ever a test).
$(BUILD)/bench/micro: bench/micro.c $(LIBWEFT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BENCH   $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBWEFT) $(LIBS)

bench-micro: $(BUILD)/bench/micro
	$(Q)$(BUILD)/bench/micro

bench: all
	$(Q)BUILD=$(BUILD) bench/run.sh

demo: $(BUILD)/weft
	$(Q)BUILD=$(BUILD) scripts/demo.sh

# Where make install puts things; the package (debian/rules) moves the unit
# where Debian keeps units and leaves /etc/weft to its maintainer scripts.
UNITDIR ?= /etc/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
NO_ETC ?=

install: $(BUILD)/weft
	install -D -m 0755 $(BUILD)/weft $(DESTDIR)$(PREFIX)/bin/weft
	$(if $(NO_ETC),,install -d -m 0700 $(DESTDIR)/etc/weft)
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/bin/weft|$(PREFIX)/bin/weft|g' dist/weft@.service \
		>$(DESTDIR)$(UNITDIR)/weft@.service
	install -D -m 0644 docs/weft.8 $(DESTDIR)$(PREFIX)/share/man/man8/weft.8
	install -D -m 0644 dist/bash-completion/weft $(DESTDIR)$(COMPLETIONDIR)/weft
	install -d $(DESTDIR)$(PREFIX)/share/doc/weft
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/weft/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/weft $(DESTDIR)$(UNITDIR)/weft@.service \
	      $(DESTDIR)$(PREFIX)/share/man/man8/weft.8 $(DESTDIR)$(COMPLETIONDIR)/weft
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/weft

# The Debian package, from a copy of this tree (build and .git left out) in
# build/deb/src: dpkg-buildpackage leaves build/deb/weft_VERSION_ARCH.deb.
deb:
	rm -rf build/deb && mkdir -p build/deb/src
	tar --exclude=./build --exclude='./build-*' --exclude=./.git -cf - . | tar -C build/deb/src -xf -
	cd build/deb/src && dpkg-buildpackage -us -uc -b $(if $(V),,>../build.log 2>&1) || \
		{ tail -n 30 ../build.log; exit 1; }
	@ls build/deb/*.deb

format:
	clang-format -i $(LIB_SRC) $(DAEMON_SRC) $(CLI_SRC) $(UNIT_SRC) $(wildcard src/*/*.h include/weft/*.h)

clean:
	rm -rf build build-san build-tsan build-fuzz

-include $(shell find $(BUILD) build-fuzz -name '*.d' -type f 2>/dev/null)
