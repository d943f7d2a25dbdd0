#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-guest.sh KVER
#
# Everything a guest of kernel KVER needs, under $CACHE/build/KVER:
# the modules built from a copy of this tree (so both kernels' builds can
# coexist), the selftests, fio, and the initramfs.  Prints the paths as
# shell assignments (KIMAGE, INITRD, MODDIR, ...).
. "$(dirname "$0")/../lib.sh"

KVER=${1:?usage: build-guest.sh KVER}
guest_kernel "$KVER" >/dev/null
# shellcheck disable=SC1090
. "$(kdir_root "$KVER")/env"
out=$CACHE/build/$KVER
mkdir -p "$out"
# One build of a KVER at a time: make check runs the host lanes side by
# side (run-check and distro-check each run make run, which builds), and
# two builds in one tree mix kbuild's objects and the initramfs's temp.
exec 9>"$out.lock"
flock 9

# sync_tree DIR: the files kbuild reads, into DIR, so stale objects
# never leak in.  Staged, then only the files whose content changed are
# copied, with a new time: tar keeps the sources' times, which can be
# older than objects built from another version of them (another branch
# or worktree on this cache), and kbuild would keep those objects.
sync_tree() {
	local dst=$1 stage=$1.stage f
	mkdir -p "$dst"
	rm -rf "$dst/selftests/kmod"
	rm -rf "$stage" && mkdir -p "$stage"
	# shellcheck disable=SC2086
	tar -C "$TOP" -cf - --exclude=generated $KBUILD_INPUTS | tar -C "$stage" -xf -
	(cd "$stage" && find . -type f) | while read -r f; do
		cmp -s "$stage/$f" "$dst/$f" && continue
		mkdir -p "$(dirname "$dst/$f")"
		cp "$stage/$f" "$dst/$f"
	done
	rm -rf "$stage"
}

# Two builds: the product's (modules/: what make run and make bench
# boot) with the test modules of selftests/kmod/, which only the guest
# gets; and the fault build (modules-fault/, VMMIO_FAULT=1: the debugfs
# fault knobs), which the lanes whose tests drive the knobs load instead
# (rig.fault=1, tools/guest/init).
modules() {
	local v src
	for v in product fault; do
		src=$out/src${v#product}
		[ $v = fault ] && src=$out/src-fault
		sync_tree "$src"
		# shellcheck disable=SC2046
		make -C "$KDIR" M="$src" $(kver_make_args "$KVER") \
			W=1 KCFLAGS=-Werror VMMIO_TESTMODS=1 \
			$([ $v = fault ] && echo VMMIO_FAULT=1) modules
	done
	rm -rf "$out/modules" "$out/modules-fault"
	mkdir -p "$out/modules" "$out/modules-fault"
	cp "$out"/src/*.ko "$out"/src/selftests/kmod/*.ko "$out/modules/"
	cp "$out"/src-fault/*.ko "$out/modules-fault/"
}
step "modules-$KVER" modules

KSFT=$("$TOP/tools/host/fetch-ksrc.sh" | sed -n 's/^KSFT=//p')
[ -n "$KSFT" ] || die "no kselftest headers"
if [ "$(kver_arch "$KVER")" = amd64 ]; then
	# native, static; no fio for x86_64 guests (its tests skip)
	testbin=$CACHE/build/selftests-amd64
	step selftests-amd64 make -C "$TOP/selftests" KSFT="$KSFT" OUT="$testbin" CC=gcc
else
	testbin=$CACHE/build/selftests
	step selftests make -C "$TOP/selftests" KSFT="$KSFT" OUT="$testbin"
	"$TOP/tools/host/build-fio.sh" >/dev/null || die "building fio failed"
fi
step "initramfs-$KVER" "$TOP/tools/guest/mkinitramfs.sh" "$KVER" "$out/modules" \
	"$testbin" "$out/initramfs.cpio" "$out/modules-fault"

cat <<ENV
KVER=$KVER
KPKGVER=$KPKGVER
KREL=$KREL
KIMAGE=$KIMAGE
INITRD=$out/initramfs.cpio
MODDIR=$out/modules
ENV
