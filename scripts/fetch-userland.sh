#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch-userland.sh
#
# The guest's userland from Debian's arm64 packages: busybox-static, and
# e2fsprogs (mke2fs, e2fsck) with the shared libraries it needs, so the
# guest makes and checks real ext4 file systems.  Unpacked under
# $CACHE/userland/root; prints USERLAND=<that dir>.
. "$(dirname "$0")/lib.sh"

APT=$TOP/scripts/apt-private.sh
out=$CACHE/userland
pkgs="busybox-static e2fsprogs libext2fs2 libcom-err2 libblkid1 libuuid1 libss2 libc6"

key=""
for p in $pkgs; do
	key="$key $p=$("$APT" cache policy "$p:arm64" | sed -n 's/^ *Candidate: //p')"
done

fetch() {
	rm -rf "$out/root" "$out/debs" && mkdir -p "$out/debs" "$out/root"
	cd "$out/debs"
	local p
	for p in $pkgs; do "$APT" download "$p:arm64"; done
	for d in *.deb; do dpkg-deb -x "$d" "$out/root"; done
	rm -rf "$out/debs"
	file "$out/root/bin/busybox" | grep -q 'ARM aarch64' || die "busybox is not arm64"
}

if ! stamp_ok userland "$key" || [ ! -x "$out/root/bin/busybox" ]; then
	step fetch-userland fetch
	stamp_set userland "$key"
fi
echo "USERLAND=$out/root"
