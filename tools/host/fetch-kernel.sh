#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch-kernel.sh KVER   (KVER: 6.1 | 6.12 | amd64)
#
# Resolves the Debian arm64 kernel that the linux-image-arm64 metapackage
# names for KVER (the ABI number changes with security updates), or for
# KVER=amd64 the x86_64 6.1 kernel of linux-image-amd64, downloads
# its image, headers and the host's kbuild tools into the cache, unpacks
# them with dpkg-deb -x and makes the headers usable for cross builds.
# Writes $CACHE/kernel-KVER/env (KREL, KPKGVER, KDIR, KIMAGE, KMODDIR).
. "$(dirname "$0")/../lib.sh"

KVER=${1:-6.1}
suite=$(kver_suite "$KVER")
arch=$(kver_arch "$KVER")
series=$(kver_series "$KVER")
out=$(kdir_root "$KVER")
APT=$TOP/tools/host/apt-private.sh
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

if stamp_ok "kernel-$KVER" "$metaver" && [ -f "$out/env" ]; then
	cat "$out/env"
	exit 0
fi

fetch() {
	rm -rf "$out" && mkdir -p "$out/debs" "$out/root"
	cd "$out/debs"
	"$APT" download "$imgpkg:$arch=$metaver" "$hdrpkg:$arch=$metaver" \
		"$commonpkg=$metaver" "$kbuildpkg:$hostarch=$metaver"
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
image=$(ls "$root"/boot/vmlinuz-* | head -n1)
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
stamp_set "kernel-$KVER" "$metaver"
cat "$out/env"
