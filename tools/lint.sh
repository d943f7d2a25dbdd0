#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lint.sh: "make lint".  For each guest kernel (KVERS, default both) and
# each build (the product's, and VMMIO_FAULT=1 with the fault knobs): a
# W=1 build with warnings as errors and sparse on every file (C=2); then
# nm: the product's modules carry no fault symbol; then checkpatch.pl
# --strict --no-tree (from Debian's linux-source) on the project's C
# files; then tools/depcheck.py (no circle in the calls between the
# drivers' files) and tools/deadpaths.py (every path the documentation
# names exists).  Fails on any finding.  Not 7.3 by default: its kbuild
# package has no checker-valid.sh (C=2 would check nothing) and bookworm's
# sparse cannot parse its headers (Documentation/compat.md).
. "$(dirname "$0")/lib.sh"

KVERS=${KVERS:-6.1 6.12}
CHECKPATCH=$("$TOP/tools/host/fetch-ksrc.sh" | sed -n 's/^CHECKPATCH=//p')
[ -n "$CHECKPATCH" ] || die "no checkpatch.pl"
rc=0

for kver in $KVERS; do
	"$TOP/tools/host/fetch-kernel.sh" "$kver" >/dev/null
	# shellcheck disable=SC1090
	. "$(kdir_root "$kver")/env"
	for v in product fault; do
		out=$CACHE/build/lint-$kver-$v
		rm -rf "$out" && mkdir -p "$out"
		# shellcheck disable=SC2086
		tar -C "$TOP" -cf - --exclude=generated $KBUILD_INPUTS | tar -C "$out" -xf -
		log=$LOGDIR/lint-$kver-$v.log
		echo "# sparse + W=1, kernel $KREL, $v build" >&2
		# shellcheck disable=SC2046
		if ! make -C "$KDIR" M="$out" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
			W=1 C=2 CHECK="sparse" KCFLAGS=-Werror VMMIO_TESTMODS=1 \
			$([ $v = fault ] && echo VMMIO_FAULT=1) modules >"$log" 2>&1; then
			cat "$log"
			rc=1
			continue
		fi
		# sparse reports as warnings on stderr without failing the build
		if grep -E '^(/|\./)?[^ ]*\.[ch]:[0-9]+:[0-9]+: (warning|error):' "$log" |
			grep -v '/usr/src/' >"$log.findings"; [ -s "$log.findings" ]; then
			cat "$log.findings"
			rc=1
		fi
		[ $v = product ] || continue
		if aarch64-linux-gnu-nm "$out/vmmio.ko" "$out/vblk.ko" | grep -i fault; then
			echo "lint: the product build of $KREL has fault symbols (above)" >&2
			rc=1
		fi
	done
done

echo "# checkpatch --strict --no-tree" >&2
cp_run() {
	perl "$CHECKPATCH" --strict --no-tree --quiet --show-types \
		--ignore SPDX_LICENSE_TAG "$@"
}
cd "$TOP"
# shellcheck disable=SC2046
cp_run -f $(find drivers compat selftests/kmod -name '*.[ch]' | sort) || rc=1
# the selftests are userspace code: stdint types, as in the kernel's own
# shellcheck disable=SC2046
cp_run --ignore PREFER_KERNEL_TYPES -f $(find selftests -path selftests/kmod -prune -o -name '*.[ch]' -print | sort) || rc=1
echo "# calls between the drivers' files" >&2
"$TOP/tools/depcheck.py" drivers/block drivers/virtio >"$LOGDIR/depcheck.log" || rc=1
echo "# dead paths in the documentation" >&2
"$TOP/tools/deadpaths.py" || rc=1
[ $rc = 0 ] && echo "lint: clean" >&2
exit $rc
