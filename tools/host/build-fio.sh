#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-fio.sh  -- cross-build a static arm64 fio from Debian's source; prints FIO=<binary>
. "$(dirname "$0")/../lib.sh"

# The guest has no shared libraries for fio, so it gets a static binary,
# built from the fio source package of the reachable Debian archive with
# the arm64 cross compiler.  The result is $CACHE/userland/fio, stamped
# with the source version; the source tree is removed after the build.

APT=$TOP/tools/host/apt-private.sh
CROSS=aarch64-linux-gnu-
out=$CACHE/userland
work=$CACHE/build/fio
pkg=fio

for t in "${CROSS}gcc" dpkg-source make file; do
	command -v "$t" >/dev/null ||
		die "$t not found (needs gcc-aarch64-linux-gnu, dpkg-dev, make, file)"
done

# The source version that "apt-get source fio" would take: the candidate's
# source, which differs from the binary's version after a binNMU.
bin=$("$APT" cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
case $bin in "" | "(none)") die "no $pkg in the reachable archive" ;; esac
# (No early-exiting reader in these pipes: with pipefail, apt-cache
# dying of SIGPIPE would fail them.)
ver=$("$APT" cache show "$pkg=$bin" | awk '
	/^Source: .* \(.*\)$/ && v == "" { v = $NF; gsub(/[()]/, "", v) }
	END { print v }')
ver=${ver:-$bin}
"$APT" cache showsrc "$pkg" | grep -x "Version: $ver" >/dev/null ||
	die "no source for $pkg $ver in the reachable archive"

# step() runs these in an "||" list, where set -e is off: check each
# command, "|| exit" leaves the subshell with its status.
unpack() (
	rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit
	"$APT" source --download-only "$pkg=$ver" || exit
	# Also applies the Debian patches (build-system tweaks only).
	dpkg-source -x "${pkg}_${ver#*:}.dsc" src
)

build() (
	local info q

	cd "$work/src" || exit
	# Host flags must not leak into a cross build.
	unset CC CFLAGS CPPFLAGS LDFLAGS CROSS_COMPILE
	# Nothing optional: its arm64 libraries are not installed, and the
	# probes that ask pkg-config would get the host's answers.
	./configure --cc="${CROSS}gcc" --build-static --disable-native \
		--disable-lex --disable-libnfs --disable-xnvme --disable-numa \
		--disable-rdma --disable-rados --disable-rbd --disable-http \
		--disable-gfapi --disable-pmem --disable-libzbc \
		--disable-tcmalloc --disable-dfs || exit
	make -j"$(nproc)" fio || exit
	"${CROSS}strip" fio || exit
	info=$(file -b fio) || exit
	case $info in
	*"ARM aarch64, "*"statically linked"*) ;;
	*) die "not a static arm64 binary: $info" ;;
	esac
	# Smoke test under user-mode emulation, when there is one.
	for q in qemu-aarch64-static qemu-aarch64; do
		command -v "$q" >/dev/null || continue
		"$q" ./fio --version || exit
		break
	done
	mkdir -p "$out" && cp fio "$out/fio.tmp" && mv "$out/fio.tmp" "$out/fio"
)

if ! stamp_ok fio "$ver" || [ ! -x "$out/fio" ]; then
	note "fio $ver"
	step fio-source unpack
	step fio-build build
	stamp_set fio "$ver"
	# Keep only the binary; on failure the tree stays for a look.
	rm -rf "$work"
fi
echo "FIO=$out/fio"
