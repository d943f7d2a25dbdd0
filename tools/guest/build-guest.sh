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
KSFT=$("$TOP/tools/host/fetch-ksrc.sh" | sed -n 's/^KSFT=//p')
[ -n "$KSFT" ] || die "no kselftest headers"
if [ "$(kver_arch "$KVER")" != amd64 ]; then
	"$TOP/tools/host/build-fio.sh" >/dev/null || die "building fio failed"
fi

print_env() {
	cat <<-ENV
	KVER=$KVER
	KPKGVER=$KPKGVER
	KREL=$KREL
	KIMAGE=$KIMAGE
	INITRD=$out/initramfs.cpio
	MODDIR=$out/modules
	ENV
}
# guest_key: what the guest is built from: the kernel, the fetched and
# built userland's versions, and the sources (not kbuild's outputs, should
# someone build in the tree)
guest_key() {
	{
		cat "$(kdir_root "$KVER")/env" "$CACHE"/stamps/ksrc "$CACHE"/stamps/fio \
			"$CACHE"/stamps/userland* 2>/dev/null || true
		# shellcheck disable=SC2086
		(cd "$TOP" && find $KBUILD_INPUTS selftests tools/lib.sh tools/guest tools/host \
			-type f ! -name '*.o' ! -name '*.ko' ! -name '*.mod' ! -name '*.mod.c' \
			! -name '.*' ! -name modules.order ! -name Module.symvers \
			! -path '*/generated/*' -print0 | sort -z | xargs -0 sha256sum)
	} | sha256sum | cut -c1-16
}
# A guest built from the same inputs is printed as it is: a build with
# nothing to do still runs kbuild twice and packs the initramfs again,
# some 20 s on an idle host and minutes on a busy one, and make check's
# host lanes run make run and make trace a dozen times.
key=$(guest_key)
if stamp_ok "guest-$KVER" "$key" && [ -f "$out/initramfs.cpio" ] &&
	[ -d "$out/modules" ] && [ -d "$out/modules-fault" ]; then
	print_env
	exit 0
fi
rm -f "$CACHE/stamps/guest-$KVER"

step "modules-$KVER" modules

if [ "$(kver_arch "$KVER")" = amd64 ]; then
	# native, static; no fio for x86_64 guests (its tests skip)
	testbin=$CACHE/build/selftests-amd64
	step selftests-amd64 make -C "$TOP/selftests" KSFT="$KSFT" OUT="$testbin" CC=gcc
else
	testbin=$CACHE/build/selftests
	step selftests make -C "$TOP/selftests" KSFT="$KSFT" OUT="$testbin"
fi
step "initramfs-$KVER" "$TOP/tools/guest/mkinitramfs.sh" "$KVER" "$out/modules" \
	"$testbin" "$out/initramfs.cpio" "$out/modules-fault"

stamp_set "guest-$KVER" "$key"
print_env
