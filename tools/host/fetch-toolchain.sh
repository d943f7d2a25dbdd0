#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch-toolchain.sh GCC RELEASE   (e.g. 14 trixie)
#
# The arm64 cross compiler gcc-GCC of Debian RELEASE, for a kernel whose
# headers need a newer gcc than the host's (Debian's 7.x headers depend
# on gcc-14; bookworm has 12, which rejects their flags).  RELEASE's
# packages are unpacked with dpkg-deb -x under $CACHE/toolchain-RELEASE
# together with the C library and the libraries cc1 links, since they
# need a newer glibc than the host's: every program runs through
# RELEASE's own loader, with its libraries (bin/run PROG ARGS...).  The
# assembler and linker are the host's binutils.  Prints
#   CROSS_COMPILE=<dir>/bin/aarch64-linux-gnu-
#   TC_RUN=<dir>/bin/run
. "$(dirname "$0")/../lib.sh"

GCC=${1:?usage: fetch-toolchain.sh GCC RELEASE}
RELEASE=${2:?usage: fetch-toolchain.sh GCC RELEASE}
APT=$TOP/tools/host/apt-private.sh
export APT_RELEASE=$RELEASE
out=$CACHE/toolchain-$RELEASE
root=$out/root
bin=$out/bin
triplet=aarch64-linux-gnu
hosttriplet=x86_64-linux-gnu

pkgs="gcc-$GCC-$triplet cpp-$GCC-$triplet gcc-$GCC-$triplet-base
	libgcc-$GCC-dev-arm64-cross libc6:amd64 zlib1g:amd64 libzstd1:amd64
	libisl23:amd64 libmpc3:amd64 libmpfr6:amd64 libgmp10:amd64"

# the key: the packages' versions, and where the wrappers point
# shellcheck disable=SC2086
key="$out $("$APT" cache policy $pkgs | awk '/^[^ ]/ { p = $1 } /^ *Candidate:/ { printf "%s%s", p, $2 " " }')"
case "$key" in *"(none)"*) die "not every package is in $RELEASE: $key" ;; esac
[ "$(echo "$key" | wc -w)" -gt "$(echo "$pkgs" | wc -w)" ] || die "not every package is in $RELEASE: $key"

# wrap FILE: FILE becomes a script running FILE.bin through the loader
wrap() {
	mv "$1" "$1.bin"
	printf '#!/bin/sh\nexec %s --argv0 "$0" "$0.bin" "$@"\n' "$bin/run" >"$1"
	chmod 755 "$1"
}

fetch() {
	rm -rf "$out" && mkdir -p "$out/debs" "$root" "$bin"
	cd "$out/debs"
	# shellcheck disable=SC2086
	"$APT" download $pkgs
	for d in *.deb; do dpkg-deb -x "$d" "$root"; done
	rm -rf "$out/debs"
	local ldso=$root/usr/lib/$hosttriplet/ld-linux-x86-64.so.2
	[ -x "$ldso" ] || die "no loader in $RELEASE's libc6"
	cat >"$bin/run" <<-EOF
	#!/bin/sh
	# run PROG ARGS...: PROG, built for Debian $RELEASE, on its C library
	exec $ldso --library-path $root/usr/lib/$hosttriplet "\$@"
	EOF
	chmod 755 "$bin/run"
	# gcc starts cc1 (and lto1, collect2) itself, with exec
	local f
	for f in "$root/usr/libexec/gcc-cross/$triplet/$GCC"/*; do
		[ -f "$f" ] && [ -x "$f" ] && [ "${f%.so}" = "$f" ] && wrap "$f"
	done
	# gcc looks for as and ld in <prefix>/aarch64-linux-gnu/bin
	mkdir -p "$root/usr/$triplet"
	ln -sfn "/usr/$triplet/bin" "$root/usr/$triplet/bin"
	# CROSS_COMPILE=$bin/aarch64-linux-gnu-: gcc, the rest the host's
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$bin/run" "$root/usr/bin/$triplet-gcc-$GCC" >"$bin/$triplet-gcc"
	chmod 755 "$bin/$triplet-gcc"
	ln -sfn "$triplet-gcc" "$bin/$triplet-gcc-$GCC"
	for f in as ld ld.bfd ar nm objcopy objdump readelf strip; do
		ln -sfn "/usr/bin/$triplet-$f" "$bin/$triplet-$f"
	done
	"$bin/$triplet-gcc" --version | grep -q " $GCC\." || die "gcc-$GCC does not run"
	echo 'int f(void) { return 0; }' | "$bin/$triplet-gcc" -x c -c -o /dev/null - ||
		die "gcc-$GCC does not compile"
}

if ! stamp_ok "toolchain-$RELEASE" "$key" || [ ! -x "$bin/$triplet-gcc-$GCC" ]; then
	step "fetch-toolchain-$RELEASE" fetch
	stamp_set "toolchain-$RELEASE" "$key"
fi
echo "CROSS_COMPILE=$bin/$triplet-"
echo "TC_RUN=$bin/run"
