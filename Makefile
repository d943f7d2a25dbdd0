# SPDX-License-Identifier: GPL-2.0
#
# vmmio + vblk: out-of-tree virtio-mmio transport and virtio-blk driver.
#
#   make                  build the modules against the Debian arm64 6.1 guest kernel
#   make KVER=6.12        ... against the 6.12 backports kernel
#   make KVER=amd64       ... natively, against Debian's x86_64 6.1 kernel (the microvm lanes)
#   make KDIR=/lib/modules/$(uname -r)/build ARCH= CROSS_COMPILE=   native build
#   make run              boot a guest with root=/dev/vda on our drivers
#   make check            the test matrix: the lanes of tools/check/lanes (CHECK_LIST=1 lists them)
#   make check-long       the same with the long versions (all crash marks)
#   make lint             sparse, W=1 and checkpatch
#   make bench            fio: in-tree vs our drivers vs null_blk (BENCH_ARGS=, env knobs in tools/bench/bench.sh)
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

# Fetched on first use only: a recursively expanded variable.
KDIR ?= $(shell $(TOOLS)/host/fetch-kernel.sh $(KVER) | sed -n 's/^KDIR=//p')

KMAKE = $(MAKE) -C $(KDIR) M=$(TOP) ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE)

.PHONY: all modules clean modules_install deps kernels lint check check-long run bench help

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no KDIR: fetching the guest kernel failed" >&2; exit 1; }
	$(KMAKE) modules

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then $(KMAKE) clean; fi
	rm -rf $(TOP)/selftests/build

modules_install:
	$(KMAKE) modules_install

deps:
	$(TOOLS)/host/host-deps.sh

kernels: deps
	$(TOOLS)/host/fetch-kernel.sh 6.1 >/dev/null
	$(TOOLS)/host/fetch-kernel.sh 6.12 >/dev/null

lint: deps
	$(TOOLS)/lint.sh

check: deps
	$(TOOLS)/check/check.sh $(CHECK_ARGS)

check-long: deps
	CHECK_LONG=1 $(TOOLS)/check/check.sh $(CHECK_ARGS)

run: deps
	$(TOOLS)/guest/run.sh

bench: deps
	$(TOOLS)/bench/bench.sh $(BENCH_ARGS)

help:
	@sed -n 's/^#   //p' $(TOP)/Makefile
