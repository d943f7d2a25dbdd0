#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch-kernel.sh KVER   (KVER: 6.1 | 6.12 | 7.3 | amd64)
#
# Resolves the Debian arm64 kernel that the linux-image-arm64 metapackage
# names for KVER (the ABI number changes with security updates), or for
# KVER=amd64 the x86_64 6.1 kernel of linux-image-amd64, downloads
# its image, headers and the host's kbuild tools into the cache, unpacks
# them with dpkg-deb -x and makes the headers usable for cross builds.
# 7.3 comes from trixie-backports (apt-private.sh's state for trixie) and
# is packaged differently: linux-image-KREL is empty and depends on
# linux-binary-KREL (vmlinuz), linux-modules-KREL and linux-base-KREL
# (config, System.map), all under /usr/lib/modules/KREL.  Its headers need
# gcc 14 and its kbuild tools trixie's glibc (tools/host/fetch-toolchain.sh):
# the unpacked headers are pointed at that compiler, so the usual
# ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- build works unchanged.
# Writes $CACHE/kernel-KVER/env (KREL, KPKGVER, KDIR, KIMAGE, KMODDIR).
. "$(dirname "$0")/../lib.sh"

KVER=${1:-6.1}
suite=$(kver_suite "$KVER")
arch=$(kver_arch "$KVER")
series=$(kver_series "$KVER")
out=$(kdir_root "$KVER")
APT=$TOP/tools/host/apt-private.sh
release=$(kver_release "$KVER")
hostrelease=$(. /etc/os-release && echo "$VERSION_CODENAME")
[ "$release" = "$hostrelease" ] || export APT_RELEASE=$release
hostarch=$(dpkg --print-architecture)

# newest version of the metapackage in the KVER series
metaver=$("$APT" cache madison "linux-image-$arch:$arch" |
	awk -F'|' -v k="$series" '{ gsub(/ /, "", $2) } index($2, k ".") == 1 { print $2; exit }')
[ -n "$metaver" ] || die "no linux-image-$arch $series.x in the reachable archive ($suite)"

depends() { # PKG VERSION -> its Depends, one package name a line
	"$APT" cache show "$1=$2" | sed -n 's/^Depends: //p' | head -n1 |
		tr ',' '\n' | sed -E 's/^ *//; s/ .*//; s/\|.*//'
}
imgpkg=$(depends "linux-image-$arch:$arch" "$metaver" | grep '^linux-image-')
hdrpkg=$(depends "linux-headers-$arch:$arch" "$metaver" | grep '^linux-headers-')
commonpkg=$(depends "$hdrpkg:$arch" "$metaver" | grep '^linux-headers-.*-common')
kbuildpkg=$(depends "$hdrpkg:$arch" "$metaver" | grep '^linux-kbuild-')
[ -n "$imgpkg" ] && [ -n "$hdrpkg" ] && [ -n "$commonpkg" ] && [ -n "$kbuildpkg" ] ||
	die "cannot resolve the packages of linux-image-$arch $metaver"
krel=${imgpkg#linux-image-}
# 7.x: the files are in the packages linux-image-KREL depends on
extrapkgs=$(depends "$imgpkg:$arch" "$metaver" |
	awk -v k="$krel" '$0 == "linux-binary-" k || $0 == "linux-modules-" k || $0 == "linux-base-" k')

# The gcc the headers want (gcc-N or gcc-N-for-host); where the host has
# no aarch64 gcc-N, the kernel release's own, unpacked in the cache.
gccver=$(depends "$hdrpkg:$arch" "$metaver" | sed -n -E 's/^gcc-([0-9]+)(-for-host)?$/\1/p' | head -n1)
cross=''
key=$metaver
if [ "$arch" = arm64 ] && [ -n "$gccver" ] && ! command -v "aarch64-linux-gnu-gcc-$gccver" >/dev/null; then
	tc=$("$TOP/tools/host/fetch-toolchain.sh" "$gccver" "$release") || die "no gcc-$gccver from $release"
	cross=$(echo "$tc" | sed -n 's/^CROSS_COMPILE=//p')gcc-$gccver
	tcrun=$(echo "$tc" | sed -n 's/^TC_RUN=//p')
	key="$metaver $tcrun"
fi

if stamp_ok "kernel-$KVER" "$key" && [ -f "$out/env" ]; then
	cat "$out/env"
	exit 0
fi

fetch() {
	rm -rf "$out" && mkdir -p "$out/debs" "$out/root"
	cd "$out/debs"
	local p extra=()
	for p in $extrapkgs; do extra+=("$p:$arch=$metaver"); done
	"$APT" download "$imgpkg:$arch=$metaver" "$hdrpkg:$arch=$metaver" \
		"$commonpkg=$metaver" "$kbuildpkg:$hostarch=$metaver" "${extra[@]}"
	for d in *.deb; do dpkg-deb -x "$d" "$out/root"; done
}
step "fetch-kernel-$KVER" fetch

root=$out/root
kdir=$root/usr/src/linux-headers-$krel
[ -d "$kdir" ] || die "no headers at $kdir"
# The headers' Makefile and symlinks point at absolute /usr/... paths:
# point them into the cache instead.
sed -i "s#/usr/src/#$root/usr/src/#g" "$kdir/Makefile"
find "$root/usr/src" "$root/usr/lib" -type l | while read -r l; do
	t=$(readlink "$l")
	case "$t" in /*) ln -sfn "$root$t" "$l" ;; esac
done
# 7.x installs under /usr/lib only: depmod -b and KMODDIR want lib/
[ -e "$root/lib" ] || ln -s usr/lib "$root/lib"
image=$(ls "$root"/boot/vmlinuz-* "$root/lib/modules/$krel/vmlinuz" 2>/dev/null | head -n1 || true)
[ -n "$image" ] || die "no vmlinuz in the packages of $krel"
if [ -n "$cross" ]; then
	# Debian's .kernelvariables forces CROSS_COMPILE=aarch64-linux-gnu-
	# and sets CC=$(CROSS_COMPILE)gcc-N: name the unpacked gcc-N instead
	sed -i 's#^CC = \(.*\)$(CROSS_COMPILE)gcc-'"$gccver"'$#CC = \1'"$cross"'#' "$kdir/.kernelvariables"
	grep -q "^CC = .*$cross\$" "$kdir/.kernelvariables" || die "cannot point $kdir/.kernelvariables at $cross"
	# kbuild's host tools (fixdep, modpost, ...) are built for the
	# release's glibc: run them through its loader, under their own
	# names (Debian's modpost starts modpost.real-* next to argv[0])
	find "$root/usr/lib" -path '*/linux-kbuild-*' -type f -perm -u+x ! -name '*.bin' |
		while read -r f; do
			head -c 4 "$f" | grep -q ELF || continue
			mv "$f" "$f.bin"
			printf '#!/bin/sh\nexec %s --argv0 "$0" "$0.bin" "$@"\n' "$tcrun" >"$f"
			chmod 755 "$f"
		done
	# Bookworm's pahole (1.24) rejects the --btf_features of the 7.x
	# headers: no BTF in our modules (the kernel loads them without)
	sed -i 's/^CONFIG_DEBUG_INFO_BTF_MODULES=y$/# CONFIG_DEBUG_INFO_BTF_MODULES is off for the cross build: the host pahole is too old/' \
		"$kdir/include/config/auto.conf"
fi
# the image package leaves modules.dep to its postinst: make it here
depmod -b "$root" "$krel" || die "depmod failed for $krel"

cat >"$out/env" <<ENV
KVER=$KVER
KPKGVER=$metaver
KREL=$krel
KDIR=$kdir
KIMAGE=$image
KMODDIR=$root/lib/modules/$krel
ENV
stamp_set "kernel-$KVER" "$key"
cat "$out/env"
