#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch-userland.sh [ARCH]   (ARCH: arm64, the default, or amd64)
#
# The guest's userland from Debian's ARCH packages: busybox-static, and
# e2fsprogs (mke2fs, e2fsck) with the shared libraries it needs, so the
# guest makes and checks real ext4 file systems.  Unpacked under
# $CACHE/userland/root (amd64: $CACHE/userland-amd64/root); prints
# USERLAND=<that dir>.
. "$(dirname "$0")/../lib.sh"

ARCH=${1:-arm64}
APT=$TOP/tools/host/apt-private.sh
case "$ARCH" in
arm64) out=$CACHE/userland stamp=userland magic='ARM aarch64' ;;
amd64) out=$CACHE/userland-amd64 stamp=userland-amd64 magic='x86-64' ;;
*) die "fetch-userland.sh: unknown ARCH '$ARCH' (arm64 or amd64)" ;;
esac
pkgs="busybox-static e2fsprogs libext2fs2 libcom-err2 libblkid1 libuuid1 libss2 libc6"

key=""
for p in $pkgs; do
	key="$key $p=$("$APT" cache policy "$p:$ARCH" | sed -n 's/^ *Candidate: //p')"
done

fetch() {
	rm -rf "$out/root" "$out/debs" && mkdir -p "$out/debs" "$out/root"
	cd "$out/debs"
	local p
	for p in $pkgs; do "$APT" download "$p:$ARCH"; done
	for d in *.deb; do dpkg-deb -x "$d" "$out/root"; done
	rm -rf "$out/debs"
	file "$out/root/bin/busybox" | grep -q "$magic" || die "busybox is not $ARCH"
}

if ! stamp_ok "$stamp" "$key" || [ ! -x "$out/root/bin/busybox" ]; then
	step "fetch-$stamp" fetch
	stamp_set "$stamp" "$key"
fi
echo "USERLAND=$out/root"
