#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch-qemu.sh [SERIES]   (SERIES: QEMU major version, default 10)
#
# A newer QEMU for the aarch64 guests than the host's, without installing
# it: the newest qemu-system-arm of that series in the reachable archive
# (bookworm-backports for 10.x), with the qemu-system-common and
# qemu-system-data of the same version, downloaded with the private apt
# state and unpacked with dpkg-deb -x under $CACHE/qemu-SERIES/root.  Any
# library the binaries need that the host lacks (or has too old) is
# unpacked there as well and named in QEMU_LIBS (for LD_LIBRARY_PATH).
# Prints shell assignments:
#   QEMU_BIN=<qemu-system-aarch64>  QEMU_DATA=<data dir, for -L>
#   QEMU_LIBS=<dir or empty>  QEMU_VERSION=<package version>
# tools/guest/qemu-run.sh takes them as --qemu BIN --qemu-data DIR --qemu-libs DIR.
. "$(dirname "$0")/../lib.sh"

SERIES=${1:-10}
APT=$TOP/tools/host/apt-private.sh
out=$CACHE/qemu-$SERIES
root=$out/root
hostarch=$(dpkg --print-architecture)
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
PKGS="qemu-system-arm qemu-system-common qemu-system-data"

# newest qemu-system-arm of the series ("1:10.0.2+ds-..." for 10)
ver=$("$APT" cache madison "qemu-system-arm:$hostarch" |
	awk -F'|' -v s="$SERIES" '{ gsub(/ /, "", $2); v = $2; sub(/^[0-9]+:/, "", v) }
		index(v, s ".") == 1 { print $2; exit }')
[ -n "$ver" ] || die "no qemu-system-arm $SERIES.x in the reachable archive"

# The host packages that do not satisfy a dependency of PKGS at $ver:
# one "name" a line (alternatives: the first one counts).
unmet() {
	local p dep name op want have
	for p in $PKGS; do
		"$APT" cache show "$p=$ver" | sed -n 's/^\(Pre-\)\{0,1\}Depends: //p' |
			tr ',' '\n'
	done | sed -E 's/^ *//; s/ *\|.*//; s/:any//' | sort -u |
	while read -r dep; do
		[ -n "$dep" ] || continue
		name=${dep%% *}
		case " $PKGS " in *" $name "*) continue ;; esac
		op='' want=''
		if [[ "$dep" =~ \((..?)\ *([^\)]*)\) ]]; then
			op=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
		fi
		have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null |
			sed -n 's/^install ok installed //p') || true
		if [ -z "$have" ]; then
			echo "$name"
		elif [ -n "$op" ] && ! dpkg --compare-versions "$have" "$op" "$want"; then
			echo "$name"
		fi
	done
}

# qemu-system-x86's firmware (seabios, ipxe) is no concern of ours: only
# the arm packages are resolved, and the library dependencies are what
# can be missing; the stamp covers the host's answer too.
extra=$(unmet | grep -Ev '^(seabios|ipxe-qemu)$' || true)
key="$ver $(echo "$extra" | tr '\n' ' ')"

fetch() {
	local p
	rm -rf "$out" && mkdir -p "$out/debs" "$root"
	cd "$out/debs" || return
	for p in $PKGS; do
		case "$p" in
		qemu-system-data) "$APT" download "$p=$ver" ;;
		*) "$APT" download "$p:$hostarch=$ver" ;;
		esac
	done
	for p in $extra; do
		echo "the host lacks $p (or has it too old): unpacking the archive's"
		"$APT" download "$p:$hostarch"
	done
	for d in *.deb; do dpkg-deb -x "$d" "$root"; done
	rm -rf "$out/debs"
}

bin=$root/usr/bin/qemu-system-aarch64
data=$root/usr/share/qemu
libs=
[ -z "$extra" ] || libs=$root/usr/lib/$triplet:$root/lib/$triplet
if ! stamp_ok "qemu-$SERIES" "$key" || [ ! -x "$bin" ]; then
	step "fetch-qemu-$SERIES" fetch
	stamp_set "qemu-$SERIES" "$key"
fi
# it must run here, with the host's libraries and ours
got=$(LD_LIBRARY_PATH=$libs "$bin" -L "$data" --version | head -n1) ||
	die "$bin does not run (missing libraries? ldd it with LD_LIBRARY_PATH=$libs)"
case "$got" in
"QEMU emulator version $SERIES."*) ;;
*) die "$bin says '$got', expected QEMU $SERIES.x" ;;
esac
cat <<ENV
QEMU_BIN=$bin
QEMU_DATA=$data
QEMU_LIBS=$libs
QEMU_VERSION=$ver
ENV
