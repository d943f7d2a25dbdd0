#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# distro-check.sh: "make run ROOTFS=" with a real distribution's root, as a
# user brings one: a Debian arm64 image with systemd as init, built from
# Debian's packages by tools/guest/mkdebroot.sh, booted non-interactively
# with ROOTFS_RW=1.  The image's rig-distro-check.service runs once the
# default target is reached, writes what it found to
# /var/lib/rig/distro-check, syncs and powers off.  Checks:
#   - mkdebroot.sh: the image (arm64 systemd as /sbin/init), from its
#     cache the second time; a bad output path or an unknown package: one
#     clear error;
#   - the boot: QEMU exits by itself (the guest powered off, no timeout),
#     systemd is PID 1 and reaches multi-user.target on the console, the
#     unit reports on the console;
#   - the image after (debugfs, not mounted): the file with this run's
#     token, the target active, root /dev/vda (ext4) driven by vblk over
#     vmmio (not the in-tree virtio_blk), no failed unit; the image that
#     mkdebroot.sh gave is unchanged (the boot wrote to a copy).
# Prints TAP and "N passed, N failed"; exits non-zero on any failure.
# Logs and images under $CACHE/distro-check.  Environment: KVER (6.1),
# DISTRO_CHECK_TIMEOUT (the boot's limit, 300 s), DISTRO_CHECK_APPEND
# (more kernel arguments, e.g. to show a case failing).
. "$(dirname "$0")/../lib.sh"

KVER=${KVER:-6.1}
TMO=${DISTRO_CHECK_TIMEOUT:-300}
OUT=$CACHE/distro-check
rm -rf "$OUT"
mkdir -p "$OUT"
export KVER

. "$TOP/tools/check/host-tap.sh"
MK=$TOP/tools/guest/mkdebroot.sh

# --- the image -----------------------------------------------------------
img=$OUT/debroot.img
t0=$(date +%s)
if "$MK" "$img" >"$OUT/mkdebroot.log" 2>&1; then
	init=$(debugfs -R 'stat /usr/sbin/init' "$img" 2>/dev/null | sed -n 's/^Fast link dest: "\(.*\)"$/\1/p')
	ok "mkdebroot.sh builds the Debian arm64 image in $(($(date +%s) - t0))s (/sbin/init -> $init)"
else
	not_ok "mkdebroot.sh builds the Debian arm64 image" "$(tail -n 5 "$OUT/mkdebroot.log")"
	finish
	exit 1
fi
"$MK" "$OUT/again.img" >"$OUT/mkdebroot2.log" 2>&1 || true
from_cache() { cmp -s "$img" "$OUT/again.img" && ! has "$OUT/mkdebroot2.log" '\[debroot\] start'; }
check "mkdebroot.sh: the second image comes from the cache (no rebuild)" from_cache
rm -f "$OUT/again.img"

# bad WHAT EXPECT [VAR=VALUE...] -- ARGS...: mkdebroot.sh fails at once with EXPECT
bad() {
	local what=$1 expect=$2 log=$OUT/bad.log rc=0 envs=()
	shift 2
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" "$MK" "$@" </dev/null >"$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && [ "$(grep -c '^error:' "$log")" = 1 ] &&
		grep -q "^error: .*$expect" "$log" && ! grep -q '\[debroot\]' "$log"; then
		ok "mkdebroot.sh, bad $what: '$(grep -m1 '^error:' "$log")'"
	else
		not_ok "mkdebroot.sh, bad $what: one clear error, nothing built (rc=$rc)" "$(tail -n 3 "$log")"
	fi
}
bad "output path (no such directory)" "no such directory" -- "$OUT/nodir/x.img"
bad "output path (a directory)" "is a directory" -- "$OUT"
bad "package (not in the archive)" "no arm64 package .*no-such-pkg-vmmio" \
	EXTRA_PKGS=no-such-pkg-vmmio -- "$OUT/x.img"

# --- the boot ------------------------------------------------------------
boot=$OUT/boot.img
cp --sparse=always "$img" "$boot"
sum0=$(sha256sum <"$img")
token=distro$$-$RANDOM
log=$OUT/run.log
c=$log.console
t0=$(date +%s)
rc=0
make -s --no-print-directory -C "$TOP" run ROOTFS="$boot" ROOTFS_RW=1 TIMEOUT="$TMO" \
	RUN_LOG="$c" APPEND="rig.distro.token=$token ${DISTRO_CHECK_APPEND:-}" \
	</dev/null >"$log" 2>&1 || rc=$?
t=$(($(date +%s) - t0))
# (no power-off, no line: the cases below say so; set -e must not end it)
up=$(sed -n 's/^\[ *\([0-9]*\)\.[0-9]*\] reboot: Power down.*/\1/p' "$c" 2>/dev/null | tail -n1)
echo "# make run: rc=$rc in ${t}s (guest uptime at power-off: ${up:-?}s), console $c"
powered_off() { [ "$rc" = 0 ] && has "$c" 'reboot: Power down'; }
systemd_init() {
	has "$c" '^rig: root /dev/vda by ' &&
		has "$c" 'systemd\[1\]: systemd [0-9].* running in system mode'
}
check "make run ROOTFS=: QEMU exited by itself, the guest powered off (rc=$rc, ${t}s)" powered_off
check "the console: systemd runs as init on the image's root" systemd_init
check "the console: systemd reached its default target (multi-user.target)" \
	has "$c" 'Reached target.*multi-user.target'
check "the console: rig-distro-check.service reported and synced" \
	has "$c" "rig: distro synced /var/lib/rig/distro-check"

# --- the image after the boot --------------------------------------------
f=$(debugfs -R 'cat /var/lib/rig/distro-check' "$boot" 2>/dev/null || true)
v() { sed -n "s/^$1=//p" <<<"$f"; }
echo "# /var/lib/rig/distro-check: $(tr '\n' ' ' <<<"$f")"
check "the image: the unit's file holds this boot's token ($token)" test "$(v token)" = "$token"
check "the image: PID 1 was systemd ($(v init))" test "$(v init_comm)" = systemd
check "the image: the default target was active ($(v default_target): $(v target_state))" \
	test "$(v default_target):$(v target_state)" = multi-user.target:active
check "the image: root was /dev/vda, ext4 ($(v root_source), $(v root_fstype))" \
	test "$(v root_source):$(v root_fstype)" = /dev/vda:ext4
check "the image: vda's driver was vblk over vmmio ($(v vda_driver) over $(v transport_driver))" \
	test "$(v vda_driver):$(v vda_module):$(v transport_driver)" = vblk:vblk:vmmio
no_failed() { [ -n "$f" ] && [ -z "$(v failed_units | tr -d ' ')" ]; }
check "the image: no unit failed ('$(v failed_units)')" no_failed
check "mkdebroot.sh's image is unchanged (the boot wrote to a copy)" \
	test "$sum0" = "$(sha256sum <"$img")"
finish
