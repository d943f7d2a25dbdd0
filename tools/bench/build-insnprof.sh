#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-insnprof.sh: builds the QEMU plugin tools/bench/insnprof.c
# against the plugin API header of the host's own QEMU (qemu-plugin.h,
# taken from the Debian source package of the installed qemu-system-arm,
# fetched with the private apt state) and prints its path.
. "$(dirname "$0")/../lib.sh"

APT=$TOP/tools/host/apt-private.sh
out=$CACHE/insnprof
src=$TOP/tools/bench/insnprof.c
ver=$(dpkg-query -W -f '${source:Version}' qemu-system-arm 2>/dev/null) ||
	die "qemu-system-arm is not installed (tools/host/host-deps.sh)"
key="$ver $(hash_files "$src")"
if ! stamp_ok insnprof "$key" || [ ! -f "$out/insnprof.so" ]; then
	if [ ! -f "$out/include/qemu-plugin.h" ] || ! stamp_ok insnprof-header "$ver"; then
		rm -rf "$out/src" "$out/include"
		mkdir -p "$out/src" "$out/include"
		(cd "$out/src" && "$APT" source --download-only "qemu=$ver") >&2 ||
			die "cannot fetch the qemu $ver source package"
		tar -C "$out/src" -xf "$out"/src/qemu_*.orig.tar.* \
			--wildcards '*/include/qemu/qemu-plugin.h' ||
			die "no qemu-plugin.h in the qemu $ver source"
		find "$out/src" -name qemu-plugin.h -exec cp {} "$out/include/" \;
		rm -rf "$out/src"
		stamp_set insnprof-header "$ver"
	fi
	cc -shared -fPIC -O2 -Wall -Wextra -Wno-unused-parameter \
		-I"$out/include" -o "$out/insnprof.so" "$src" ||
		die "building the insnprof plugin failed"
	stamp_set insnprof "$key"
fi
echo "$out/insnprof.so"
