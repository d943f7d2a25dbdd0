#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mkinitramfs.sh KVER MODDIR TESTBIN OUT [FAULTDIR]
#
# Builds the guest's initramfs (an uncompressed newc cpio) from
#   - busybox and e2fsprogs (tools/host/fetch-userland.sh), fio if built,
#   - the kernel's own modules the rig uses (in-tree virtio_mmio and
#     virtio_blk for the reference lanes, ext4, null_blk, ...), with their
#     dependencies, decompressed, and a modules.dep busybox understands,
#   - our vmmio.ko and vblk.ko from MODDIR (as extra/), and their fault
#     build from FAULTDIR if given (as /rig/fault/, which rig.fault=1
#     loads instead: tools/guest/init),
#   - the test binaries from TESTBIN (its tools/ as /rig/tools/), the
#     shell tests of selftests/*/ (as /rig/sh/), their shared
#     selftests/lib/test_common.sh (as /rig/lib.sh), the ordered list
#     selftests/TESTS and the runner and init of tools/guest/,
#   - the benchmark's guest half, tools/bench/guest/ (as /rig/bench/),
#   - make trace's guest half, tools/trace/guest/ (as /rig/trace/).
. "$(dirname "$0")/../lib.sh"

KVER=${1:?usage: mkinitramfs.sh KVER MODDIR TESTBIN OUT}
MODDIR=$2
TESTBIN=$3
OUT=$4
FAULTDIR=${5:-}
# shellcheck disable=SC1090
. "$(kdir_root "$KVER")/env"
ARCH=$(kver_arch "$KVER")
USERLAND=$("$TOP/tools/host/fetch-userland.sh" "$ARCH" | sed -n 's/^USERLAND=//p')
case "$ARCH" in
amd64) triplet=x86_64-linux-gnu ldso=lib64/ld-linux-x86-64.so.2 ;;
*) triplet=aarch64-linux-gnu ldso=lib/ld-linux-aarch64.so.1 ;;
esac

# the in-tree modules the rig loads by name; their dependencies follow
WANT_MODS="virtio_mmio virtio_blk virtio_pci virtio_net virtio_console
	virtio_rng null_blk ext4 crc32c_generic libcrc32c"

stage=$(mktemp -d "$CACHE/initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,proc,sys,dev,tmp,mnt,etc,rig/bin,rig/sh}
cp "$USERLAND/bin/busybox" "$stage/bin/"
# the kernel's request_module() runs /sbin/modprobe (e.g. for crc32c)
ln -s ../bin/busybox "$stage/sbin/modprobe"
mkdir -p "$stage/$(dirname "$ldso")"
cp -a "$USERLAND/$ldso" "$stage/$ldso"
cp -a "$USERLAND/lib/$triplet" "$stage/lib/"
mkdir -p "$stage/usr/lib"
cp -a "$USERLAND/usr/lib/$triplet" "$stage/usr/lib/"
rm -rf "$stage/usr/lib/$triplet/gconv"
for p in mke2fs e2fsck; do cp "$USERLAND/sbin/$p" "$stage/sbin/"; done
ln -s mke2fs "$stage/sbin/mkfs.ext4"
ln -s e2fsck "$stage/sbin/fsck.ext4"
if [ "$ARCH" = arm64 ] && [ -f "$CACHE/userland/fio" ]; then
	cp "$CACHE/userland/fio" "$stage/usr/bin/"
fi

# kernel modules: closure of WANT_MODS over modules.dep, decompressed
dst=$stage/lib/modules/$KREL
mkdir -p "$dst/extra"
dep=$KMODDIR/modules.dep
declare -A seen=()
add_mod() { # relative path as in modules.dep (maybe .ko.xz)
	local rel=$1 d
	[ -n "${seen[$rel]:-}" ] && return 0
	seen[$rel]=1
	mkdir -p "$dst/$(dirname "$rel")"
	case "$rel" in
	*.xz) xz -dc "$KMODDIR/$rel" >"$dst/${rel%.xz}" ;;
	*.zst) zstd -qdc "$KMODDIR/$rel" >"$dst/${rel%.zst}" ;;
	*) cp "$KMODDIR/$rel" "$dst/$rel" ;;
	esac
	for d in $(grep -E "^$rel:" "$dep" | cut -d: -f2); do add_mod "$d"; done
}
for m in $WANT_MODS; do
	# module file names use '-' or '_' (virtio-rng.ko)
	rel=$(grep -E "/${m//_/[-_]}\.ko(\.xz|\.zst)?:" "$dep" | head -n1 | cut -d: -f1) || true
	[ -n "$rel" ] && add_mod "$rel"
done
for ko in "$MODDIR"/*.ko; do cp "$ko" "$dst/extra/"; done
if [ -n "$FAULTDIR" ]; then
	mkdir -p "$stage/rig/fault"
	cp "$FAULTDIR"/*.ko "$stage/rig/fault/"
fi
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$KMODDIR/$f" ] && cp "$KMODDIR/$f" "$dst/"
done
depmod -b "$stage" "$KREL" || die "depmod failed on the staged modules"

cp "$TOP/tools/guest/init" "$stage/init"
cp "$TOP/tools/guest/runner.sh" "$TOP/selftests/TESTS" "$stage/rig/"
cp "$TOP/selftests/lib/test_common.sh" "$stage/rig/lib.sh"
cp "$TOP"/selftests/*/*.sh "$stage/rig/sh/"
rm -f "$stage/rig/sh/test_common.sh"
mkdir -p "$stage/rig/bench"
cp "$TOP"/tools/bench/guest/* "$stage/rig/bench/"
mkdir -p "$stage/rig/trace"
cp "$TOP"/tools/trace/guest/* "$stage/rig/trace/"
if [ -d "$TESTBIN" ]; then
	find "$TESTBIN" -maxdepth 1 -type f -perm -u+x -exec cp {} "$stage/rig/bin/" \;
	# helpers the shell tests call; the runner runs only /rig/bin
	if [ -d "$TESTBIN/tools" ]; then
		mkdir -p "$stage/rig/tools"
		find "$TESTBIN/tools" -maxdepth 1 -type f -perm -u+x -exec cp {} "$stage/rig/tools/" \;
	fi
fi
echo "root:x:0:0:root:/:/bin/sh" >"$stage/etc/passwd"

mkdir -p "$(dirname "$OUT")"
(cd "$stage" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
