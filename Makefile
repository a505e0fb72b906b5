# SPDX-License-Identifier: GPL-2.0
#
# vmiaas: Virtual Machine Introspection as a service.
#
#   make            userspace (vmictl, libvmiaas) and the kernel module
#   make demo       the main job on a bundled test guest
#   make check      every test (installs what it needs, caches downloads)
#   make bench      benchmarks (figures go to docs/performance.md)
#   make fuzz       libFuzzer harnesses, FUZZ_SECONDS each
#   make check-fresh  make demo and check-unit on a fresh Debian 12 root
#
# O=DIR puts build output elsewhere; KDIR=DIR builds the modules against
# another kernel tree (default: the running kernel's or the installed
# Debian headers).

O		?= build
CC		?= gcc
CLANG		?= clang
# The running kernel's headers if installed, else those linux-headers-amd64
# points at (the Debian kernel the test guests run).
KVER		?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then uname -r; \
		     else dpkg-query -W -f='$${Depends}' linux-headers-amd64 2>/dev/null | \
		     sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p'; fi)
KDIR		?= /lib/modules/$(KVER)/build
FUZZ_SECONDS	?= 20
SAN_FLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined

WARNINGS	:= -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 \
		   -Wstrict-prototypes -Wmissing-prototypes -Wvla \
		   -Wno-missing-field-initializers
CFLAGS		?= -O2 -g
override CFLAGS	+= -std=gnu11 $(WARNINGS) -fno-strict-aliasing
override CPPFLAGS += -Iinclude -I. -D_GNU_SOURCE \
		   $(shell pkg-config --cflags json-c libbpf 2>/dev/null)
LDLIBS		:= $(shell pkg-config --libs libbpf json-c 2>/dev/null || echo -lbpf -ljson-c) \
		   -lcrypto

# One clear message rather than a compiler error on a machine without the
# build dependencies (make demo and make check install them first).
ifneq ($(filter all userspace san,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell pkg-config --exists json-c libbpf libsystemd libvirt 2>/dev/null && echo y),y)
$(error vmiaas: build dependencies missing (pkg-config finds no json-c, libbpf, libsystemd or libvirt): run "scripts/deps.sh build" as root)
endif
endif

CORE_SRCS	:= $(wildcard core/*.c)
LIB_SRCS	:= $(wildcard userspace/lib/*.c)
VMICTL_SRCS	:= $(wildcard userspace/vmictl/*.c)
VMID_SRCS	:= $(wildcard userspace/vmid/*.c)
UNIT_SRCS	:= $(wildcard tests/unit/*.c)
TOOL_SRCS	:= $(wildcard tests/tools/*.c)
FUZZ_SRCS	:= $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJS	= $(patsubst %.c,$(O)/%.o,$(CORE_SRCS) $(LIB_SRCS))
VMICTL_OBJS	= $(patsubst %.c,$(O)/%.o,$(VMICTL_SRCS))
VMID_OBJS	= $(patsubst %.c,$(O)/%.o,$(VMID_SRCS))
UNIT_BINS	= $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_SRCS))
TOOL_BINS	= $(patsubst tests/tools/%.c,$(O)/tests/tools/%,$(TOOL_SRCS))

.PHONY: all userspace modules clean demo check check-unit check-guest \
	check-fuzz bench fuzz deps san install
.DELETE_ON_ERROR:
# keep the unit tests' and tools' objects (no "rm build/..." after a build)
.SECONDARY:

all: userspace modules

userspace: $(O)/vmictl $(O)/vmid $(O)/libvmiaas.a $(UNIT_BINS) $(TOOL_BINS)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(O)/libvmiaas.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/vmictl: $(VMICTL_OBJS) $(O)/libvmiaas.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/vmid: $(VMID_OBJS) $(O)/libvmiaas.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) \
		$(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd) \
		$(shell pkg-config --libs libvirt libvirt-qemu 2>/dev/null || \
			echo -lvirt -lvirt-qemu) -lpthread

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(O)/libvmiaas.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/tools/%: $(O)/tests/tools/%.o $(O)/libvmiaas.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The kernel module compiles the same core/ sources (see Kbuild).
modules:
	@if [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR) modules; \
	else \
		echo "vmiaas: no kernel headers at $(KDIR): skipping modules" \
		     "(install linux-headers-amd64 or set KDIR)" >&2; \
	fi

# The in-guest agent (guest-agent/, docs/guest-agent.md) for the guest
# kernel at KDIR.
.PHONY: guest-agent
guest-agent:
	@if [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/guest-agent modules; \
	else \
		echo "vmiaas: no kernel headers at $(KDIR): skipping guest-agent" \
		     "(install linux-headers-amd64 or set KDIR)" >&2; \
	fi

deps:
	scripts/deps.sh all

# Tests run against a sanitized build of everything (ASan + UBSan).
san:
	$(MAKE) O=build/san CFLAGS="-O1 -g $(SAN_FLAGS)" \
		LDFLAGS="$(SAN_FLAGS)" userspace

# The builds on every CPU (CI has two); the tests VMIAAS_JOBS at a time
# (default: the CPUs; 1: one at a time), see docs/testing.md.
check: deps
	$(MAKE) -j$$(nproc) san
	$(MAKE) -j$$(nproc) modules
	$(MAKE) -j$$(nproc) check-fuzz
	scripts/run-tests.sh build/san

check-unit:
	scripts/deps.sh build
	$(MAKE) -j$$(nproc) san
	scripts/run-tests.sh build/san unit

# The VMFUNC chain in Bochs: the patched KVM builds (test 40), then one
# Bochs L1 boot runs every step (test 45, tests/vmfunc/l1-suite.sh).
# KVER=6.12 (or any 6.12 ABI): the L1 runs Debian's 6.12 kernel.
.PHONY: check-vmfunc
check-vmfunc:
	scripts/deps.sh vmfunc
	VMIAAS_L1_KVER=$(if $(filter 6.12%,$(KVER)),6.12,6.1) \
		scripts/run-tests.sh build/san vmfunc

# The README's set-up on a newcomer's clean machine: a freshly
# debootstrapped Debian 12 (minbase) where git and make are installed, this
# checkout cloned, then FRESH_STEPS run (scripts/fresh-machine.sh --help;
# "check" for everything). Needs root and the network; not part of check.
FRESH_STEPS	?= demo unit
.PHONY: check-fresh
check-fresh:
	scripts/deps.sh package
	scripts/fresh-machine.sh $(FRESH_ARGS) $(FRESH_STEPS)

# libFuzzer harnesses: tests/fuzz/fuzz_NAME.c, corpus in tests/fuzz/corpus/NAME.
# The engine is compiled once (coverage-instrumented, fuzzer-no-link) and
# linked into every harness.
FUZZ_BINS = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS = $(patsubst %.c,build/fuzz/obj/%.o,$(CORE_SRCS) $(LIB_SRCS))
FUZZ_CFLAGS = -std=gnu11 -O1 -g -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined -MMD -MP
build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_BINS): build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer \
		-o $@ $< $(FUZZ_OBJS) $(LDLIBS)
-include $(FUZZ_OBJS:.o=.d) $(FUZZ_BINS:=.d)

fuzz-build: $(FUZZ_BINS)

# fuzz_checks edits a snapshot of a real 6.1 guest, made through the guest
# rig (scripts/fuzz-snapshot.sh) and cached under a name that hashes what
# makes it (the script, the harness, the guest's programs and modules:
# "scripts/fuzz-snapshot.sh --path"), so a changed recipe makes a new one
# and an old one is never reused; scripts/fuzz.sh finds it the same way.
FUZZ_SNAPSHOT := $(shell scripts/fuzz-snapshot.sh --path)
$(FUZZ_SNAPSHOT): | build/fuzz/fuzz_checks
	scripts/fuzz-snapshot.sh $@ build/fuzz/fuzz_checks

fuzz: fuzz-build $(FUZZ_SNAPSHOT)
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

check-fuzz: fuzz-build $(FUZZ_SNAPSHOT)
	scripts/fuzz.sh 5 $(FUZZ_BINS)

bench: deps userspace
	scripts/bench.sh $(O)
	scripts/bench-vmid.sh $(O)

# Only what the demo needs (a newcomer's first command): not Bochs, libvirt
# and the rest that make check installs; of the build, vmictl alone (not
# vmid, the unit tests and tools: half the compiler's time), on every CPU.
demo:
	scripts/deps.sh demo
	$(MAKE) -j$$(nproc) $(O)/vmictl
	scripts/demo.sh $(O)

# ---- packaging: make install / uninstall / install-dkms / deb --------------
# (docs/packaging.md). GNU directory variables; DESTDIR for staging.
# The unit goes where Debian's systemd looks (/lib/systemd/system) when
# PREFIX is /usr, else under PREFIX; the configuration is /etc/vmiaas
# whatever PREFIX is, because vmid reads it there.
VERSION		:= 0.1.0
override CPPFLAGS += -DVMIAAS_VERSION='"$(VERSION)"'
PREFIX		?= /usr
bindir		?= $(PREFIX)/bin
sbindir		?= $(PREFIX)/sbin
mandir		?= $(PREFIX)/share/man
docdir		?= $(PREFIX)/share/doc/vmiaas
includedir	?= $(PREFIX)/include
sysconfdir	?= /etc
unitdir		?= $(if $(filter /usr,$(PREFIX)),,$(PREFIX))/lib/systemd/system
sysusersdir	?= $(PREFIX)/lib/sysusers.d
dkmsdir		?= $(PREFIX)/src/vmiaas-$(VERSION)
agentdkmsdir	?= $(PREFIX)/src/vmiaas-agent-$(VERSION)
INSTALL		?= install
DOCS		:= README.md $(wildcard docs/*.md)
DKMS_SRCS	= Kbuild $(wildcard kmod/*.[ch] core/*.[ch]) \
		  $(wildcard include/vmiaas/*.h include/uapi/linux/*.h)
AGENT_DKMS_SRCS	= $(wildcard guest-agent/Kbuild guest-agent/*.[ch]) \
		  $(wildcard include/uapi/linux/*.h)

.PHONY: uninstall install-dkms uninstall-dkms install-dkms-agent \
	uninstall-dkms-agent deb version
version:
	@echo $(VERSION)

install: $(O)/vmictl $(O)/vmid
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(sbindir) \
		$(DESTDIR)$(unitdir) $(DESTDIR)$(mandir)/man8 \
		$(DESTDIR)$(docdir) $(DESTDIR)$(includedir)/linux \
		$(DESTDIR)$(sysconfdir)/vmiaas $(DESTDIR)$(sysusersdir)
	$(INSTALL) -m 0755 $(O)/vmictl $(DESTDIR)$(bindir)/vmictl
	$(INSTALL) -m 0755 $(O)/vmid $(DESTDIR)$(sbindir)/vmid
	sed 's|/usr/sbin/vmid|$(sbindir)/vmid|' userspace/vmid/vmid.service \
		>$(DESTDIR)$(unitdir)/vmid.service
	chmod 0644 $(DESTDIR)$(unitdir)/vmid.service
	$(INSTALL) -m 0644 docs/man/vmid.8 docs/man/vmictl.8 $(DESTDIR)$(mandir)/man8/
	$(INSTALL) -m 0644 $(DOCS) $(DESTDIR)$(docdir)/
	$(INSTALL) -m 0644 include/uapi/linux/vmiaas.h $(DESTDIR)$(includedir)/linux/
	@# the workers' user (docs/vmid.md), created now on this system
	$(INSTALL) -m 0644 userspace/vmid/vmiaas.sysusers \
		$(DESTDIR)$(sysusersdir)/vmiaas.conf
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers $(sysusersdir)/vmiaas.conf; \
	fi
	@# an administrator's configuration is never overwritten
	@if [ -e $(DESTDIR)$(sysconfdir)/vmiaas/vmid.conf ]; then \
		echo "vmiaas: keeping $(DESTDIR)$(sysconfdir)/vmiaas/vmid.conf"; \
	else \
		$(INSTALL) -m 0644 userspace/vmid/vmid.conf \
			$(DESTDIR)$(sysconfdir)/vmiaas/vmid.conf; \
	fi

# The configuration goes only if it is still the example, unchanged.
uninstall:
	rm -f $(DESTDIR)$(bindir)/vmictl $(DESTDIR)$(sbindir)/vmid \
		$(DESTDIR)$(unitdir)/vmid.service \
		$(DESTDIR)$(mandir)/man8/vmid.8 $(DESTDIR)$(mandir)/man8/vmictl.8 \
		$(DESTDIR)$(includedir)/linux/vmiaas.h \
		$(DESTDIR)$(sysusersdir)/vmiaas.conf
	rm -rf $(DESTDIR)$(docdir)
	@if cmp -s userspace/vmid/vmid.conf $(DESTDIR)$(sysconfdir)/vmiaas/vmid.conf; then \
		rm -f $(DESTDIR)$(sysconfdir)/vmiaas/vmid.conf; \
		rmdir $(DESTDIR)$(sysconfdir)/vmiaas 2>/dev/null || true; \
	elif [ -e $(DESTDIR)$(sysconfdir)/vmiaas/vmid.conf ]; then \
		echo "vmiaas: keeping the modified $(DESTDIR)$(sysconfdir)/vmiaas/vmid.conf"; \
	fi

# The module's sources and dkms.conf for DKMS (dkms add/build/install).
install-dkms:
	$(INSTALL) -d $(DESTDIR)$(dkmsdir)
	tar -cf - $(DKMS_SRCS) | tar -xf - -C $(DESTDIR)$(dkmsdir)
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DESTDIR)$(dkmsdir)/dkms.conf
	chmod -R u=rwX,go=rX $(DESTDIR)$(dkmsdir)

uninstall-dkms:
	rm -rf $(DESTDIR)$(dkmsdir)

# The guest agent's sources for DKMS inside guests (dkms-agent.conf).
install-dkms-agent:
	$(INSTALL) -d $(DESTDIR)$(agentdkmsdir)
	tar -cf - $(AGENT_DKMS_SRCS) | tar -xf - -C $(DESTDIR)$(agentdkmsdir)
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms-agent.conf \
		>$(DESTDIR)$(agentdkmsdir)/dkms.conf
	chmod -R u=rwX,go=rX $(DESTDIR)$(agentdkmsdir)

uninstall-dkms-agent:
	rm -rf $(DESTDIR)$(agentdkmsdir)

# vmiaas_VERSION_amd64.deb, vmiaas-dkms_VERSION_all.deb and
# vmiaas-agent-dkms_VERSION_all.deb in $(O)/deb.
deb:
	scripts/mkdeb.sh $(O)/deb

clean:
	rm -rf $(O) build
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi

-include $(shell find $(O) -name '*.d' -type f 2>/dev/null)
