#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch-ksrc.sh
#
# Takes from Debian's linux-source-6.1 package what the rig needs of the
# kernel source: the kselftest headers (kselftest.h, kselftest_harness.h)
# and checkpatch.pl with its data files.  Result under $CACHE/ksrc;
# prints KSFT=<dir with the headers> and CHECKPATCH=<script>.
. "$(dirname "$0")/../lib.sh"

APT=$TOP/tools/host/apt-private.sh
out=$CACHE/ksrc
pkg=linux-source-6.1
ver=$("$APT" cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no $pkg in the reachable archive"

extract() {
	rm -rf "$out" && mkdir -p "$out/deb"
	cd "$out/deb"
	"$APT" download "$pkg=$ver"
	dpkg-deb -x ./*.deb "$out/root"
	local tarball top
	tarball=$(ls "$out"/root/usr/src/linux-source-*.tar.*)
	top=$(basename "$tarball"); top=${top%.tar.*}
	tar -C "$out" -xf "$tarball" \
		"$top/tools/testing/selftests/kselftest.h" \
		"$top/tools/testing/selftests/kselftest_harness.h" \
		"$top/scripts/checkpatch.pl" \
		"$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
	mv "$out/$top" "$out/src"
	rm -rf "$out/root" "$out/deb"
}

if ! stamp_ok ksrc "$ver" || [ ! -f "$out/src/scripts/checkpatch.pl" ]; then
	step fetch-ksrc extract
	stamp_set ksrc "$ver"
fi
echo "KSFT=$out/src/tools/testing/selftests"
echo "CHECKPATCH=$out/src/scripts/checkpatch.pl"
