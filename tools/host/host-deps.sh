#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# host-deps.sh: install the Debian packages the rig needs on the host.
# As root, installs what is missing; otherwise prints the apt-get line.
. "$(dirname "$0")/../lib.sh"

PKGS="make gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
	qemu-system-x86
	qemu-utils cpio device-tree-compiler sparse e2fsprogs kmod xz-utils
	zstd dpkg-dev perl python3 file bc flex bison dwarves gnuplot-nox
	fdisk gdb-multiarch"

missing=()
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "missing host packages; as root run:" >&2
	echo "  apt-get update && $line" >&2
	exit 1
fi
install() {
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
echo "  installing host packages: ${missing[*]}" >&2
step host-deps install
