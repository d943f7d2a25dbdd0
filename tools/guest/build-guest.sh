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

modules() {
	mkdir -p "$out/src"
	# only the files kbuild reads, so stale objects never leak in
	rm -rf "$out/src/selftests/kmod"
	# Staged, then only the files whose content changed are copied, with
	# a new time: tar keeps the sources' times, which can be older than
	# objects built from another version of them (another branch or
	# worktree on this cache), and kbuild would keep those objects.
	local stage=$out/src.stage f
	rm -rf "$stage" && mkdir -p "$stage"
	# shellcheck disable=SC2086
	tar -C "$TOP" -cf - --exclude=generated $KBUILD_INPUTS | tar -C "$stage" -xf -
	(cd "$stage" && find . -type f) | while read -r f; do
		cmp -s "$stage/$f" "$out/src/$f" && continue
		mkdir -p "$(dirname "$out/src/$f")"
		cp "$stage/$f" "$out/src/$f"
	done
	rm -rf "$stage"
	# with the test modules (selftests/kmod/), which only the guest gets
	# shellcheck disable=SC2046
	make -C "$KDIR" M="$out/src" $(kver_make_args "$KVER") \
		W=1 KCFLAGS=-Werror VMMIO_TESTMODS=1 modules
	rm -rf "$out/modules" && mkdir -p "$out/modules"
	cp "$out"/src/*.ko "$out"/src/selftests/kmod/*.ko "$out/modules/"
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
	"$testbin" "$out/initramfs.cpio"

cat <<ENV
KVER=$KVER
KPKGVER=$KPKGVER
KREL=$KREL
KIMAGE=$KIMAGE
INITRD=$out/initramfs.cpio
MODDIR=$out/modules
ENV
