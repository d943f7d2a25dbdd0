# SPDX-License-Identifier: GPL-2.0
#
# vmmio + vblk: out-of-tree virtio-mmio transport and virtio-blk driver.
#
#   make                  build the modules against the Debian arm64 6.1 guest kernel
#   make KVER=6.12        ... against the 6.12 backports kernel
#   make KVER=7.3         ... against trixie-backports' 7.3 (built with trixie's gcc 14)
#   make KVER=amd64       ... natively, against Debian's x86_64 6.1 kernel (the microvm lanes)
#   make KDIR=/lib/modules/$(uname -r)/build ARCH= CROSS_COMPILE=   native build
#   make run              boot a guest with root=/dev/vda on our drivers (ROOTFS=, SMP=, NET=user, GDB=1, ...: README)
#   make gdb              attach gdb-multiarch to "make run GDB=1" (GDB_PORT=, VMLINUX=)
#   make check            the test matrix: the lanes of tools/check/lanes (CHECK_LIST=1 lists them)
#   make check-long       the same with the long versions (all crash marks)
#   make lint             sparse, W=1 and checkpatch
#   make bench            fio: in-tree vs our drivers vs null_blk (BENCH_ARGS=, env knobs in tools/bench/bench.sh)
#   make trace            one read, write and flush traced from the guest's system call to QEMU's pread and back (QEMU=, KVER=, LAYOUT=, DRIVERS=)
#   make deb              dist/vmmio-dkms_VERSION_all.deb: the DKMS package (dpkg-buildpackage)
#   make help             all targets
#
# The modules themselves are described in ./Kbuild, so the plain
# "make -C $KDIR M=$PWD modules" works as well.

KVER ?= 6.1
ifeq ($(KVER),amd64)
ARCH ?= x86_64
CROSS_COMPILE ?=
endif
ARCH ?= arm64
CROSS_COMPILE ?= aarch64-linux-gnu-
export KVER

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
TOOLS := $(TOP)/tools
# the one version source, also read by dkms.conf and debian/rules
VERSION := $(shell cat $(TOP)/VERSION)

# Fetched on first use only: a recursively expanded variable.
KDIR ?= $(shell $(TOOLS)/host/fetch-kernel.sh $(KVER) | sed -n 's/^KDIR=//p')

KMAKE = $(MAKE) -C $(KDIR) M=$(TOP) ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE)

.PHONY: all modules clean modules_install deb deps kernels lint check check-long run gdb bench trace help

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no KDIR: fetching the guest kernel failed" >&2; exit 1; }
	$(KMAKE) modules

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then $(KMAKE) clean; fi
	rm -rf $(TOP)/selftests/build $(TOP)/dist

modules_install:
	$(KMAKE) modules_install

# The DKMS package, built by dpkg-buildpackage in a copy under dist/build of
# what it ships (debian/install: Kbuild, VERSION, drivers/, compat/; dh_dkms
# adds dkms.conf) and of debian/: the files git tracks or would track, so no
# build output of the tree gets in, and dpkg-buildpackage's output lands in
# dist/build rather than beside the checkout.
DEB_SRC := Kbuild VERSION dkms.conf drivers compat debian
DEB_TREE := $(TOP)/dist/build/vmmio-$(VERSION)

deb:
	@git -C $(TOP) rev-parse --git-dir >/dev/null 2>&1 || { echo "make deb needs a git checkout" >&2; exit 1; }
	rm -rf $(TOP)/dist/build
	mkdir -p $(DEB_TREE)
	cd $(TOP) && git ls-files -z --cached --others --exclude-standard -- $(DEB_SRC) | \
		xargs -0 cp -p --parents -t $(DEB_TREE)
	cd $(DEB_TREE) && dpkg-buildpackage -b -us -uc
	cp $(TOP)/dist/build/vmmio-dkms_$(VERSION)_all.deb $(TOP)/dist/
	@echo "dist/vmmio-dkms_$(VERSION)_all.deb"

deps:
	$(TOOLS)/host/host-deps.sh

kernels: deps
	$(TOOLS)/host/fetch-kernel.sh 6.1 >/dev/null
	$(TOOLS)/host/fetch-kernel.sh 6.12 >/dev/null
	$(TOOLS)/host/fetch-kernel.sh 7.3 >/dev/null

lint: deps
	$(TOOLS)/lint.sh

check: deps
	$(TOOLS)/check/check.sh $(CHECK_ARGS)

check-long: deps
	CHECK_LONG=1 $(TOOLS)/check/check.sh $(CHECK_ARGS)

run: deps
	$(TOOLS)/guest/run.sh

gdb: deps
	$(TOOLS)/guest/gdb.sh $(GDB_ARGS)

bench: deps
	$(TOOLS)/bench/bench.sh $(BENCH_ARGS)

trace: deps
	$(TOOLS)/trace/trace.sh

help:
	@sed -n 's/^#   //p' $(TOP)/Makefile
