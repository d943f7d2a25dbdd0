#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vblk's device lifecycle (vblk_dev.c, vblk_main.c): the one way down
# (remove, freeze) and up (probe, restore), driven through the fault
# build's knobs (VMMIO_FAULT=1; debugfs vblk/<disk>/fault/):
#   freeze_config_race  a config work that has just seen
#                       DEVICE_NEEDS_RESET (fault/needs_reset) is held
#                       (fault/config_stall_ms) while the device is frozen
#                       (fault/freeze_cycle, the driver's freeze and
#                       restore without the system freezer): the reset it
#                       asks for must not run behind the stopped device,
#                       the restored device has its queues once, and the
#                       disk works.  The config event is vmmio's knob
#                       (fault/config_changed), so the case needs both
#                       drivers' fault builds.
#   freeze_under_io     freeze/restore cycles while fio writes and
#                       verifies: I/O pauses and resumes, nothing is lost,
#                       no reset.
. /rig/lib.sh
tap_plan 2
DBG=/sys/kernel/debug/vblk
ALL="freeze_config_race freeze_under_io"

skip_all() {
	tap_skip_all "$1" $ALL
	exit 0
}
[ "$RIG_BLK_MOD" = vblk ] || skip_all "needs vblk's fault knobs"
S=$(rig_disk_by_serial scratch) || skip_all "${SCRATCH_REASON:-no scratch disk}"
[ -d /sys/kernel/debug/block ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
K=$DBG/${S#/dev/}/fault
[ -d "$K" ] || skip_all "vblk built without VMMIO_FAULT=1 (no $K)"
[ -e "$K/freeze_cycle" ] || skip_all "the kernel has no CONFIG_PM_SLEEP"

rec() { sed -n "s/^$1: //p" "$DBG/${S#/dev/}/recovery"; }
# a 64 KiB round trip through the disk, bypassing the page cache
round_trip() {
	dd if=/dev/urandom of=/tmp/lc.out bs=64k count=1 2>/dev/null
	dd if=/tmp/lc.out of="$S" bs=64k seek=64 oflag=direct 2>/dev/null &&
		dd if="$S" of=/tmp/lc.in bs=64k skip=64 count=1 iflag=direct 2>/dev/null &&
		cmp -s /tmp/lc.out /tmp/lc.in
}

freeze_config_race() {
	local v=$1 r0 n0 q0 q1 rc=0
	r0=$(rec resets) n0=$(rec needs_reset)
	q0=$(grep -c '^queue ' "$v/info")
	echo 1 >"$K/needs_reset" && echo 1500 >"$K/config_stall_ms" || return 1
	echo 1 >"$v/fault/config_changed" || return 1
	# the work is in its stall now: freeze, 300 ms frozen, restore
	sleep 0.3
	echo 300 >"$K/freeze_cycle" || { echo "# the freeze/restore cycle failed"; rc=1; }
	# a reset scheduled behind the freeze would run about now
	sleep 2
	q1=$(grep -c '^queue ' "$v/info")
	echo "# needs_reset $n0 -> $(rec needs_reset), resets $r0 -> $(rec resets), vmmio queues $q0 -> $q1, state $(rec state)"
	[ "$(rec needs_reset)" -gt "$n0" ] || { echo "# the config work never saw the knob's DEVICE_NEEDS_RESET"; rc=1; }
	[ "$(rec resets)" = "$r0" ] || { echo "# a reset ran behind the stopped device"; rc=1; }
	[ "$q1" = "$q0" ] || { echo "# the restored device has $q1 queues, not $q0"; rc=1; }
	[ "$(rec state)" = live ] || { echo "# the disk is $(rec state)"; rc=1; }
	round_trip || { echo "# I/O after the cycle failed"; rc=1; }
	return $rc
}

freeze_under_io() {
	local r0 i rc=0
	r0=$(rec resets)
	# writes, then reads that verify them, looped: I/O in flight throughout
	fio_bg /tmp/lc.fio "$S" --name=lc --filename="$S" --ioengine=io_uring \
		--iodepth=16 --direct=1 --rw=randwrite --bsrange=4k-64k --size=16M \
		--offset=8M --verify=crc32c --do_verify=1 --verify_fatal=1 \
		--loops=6 || return 1
	for i in 1 2 3; do
		echo 200 >"$K/freeze_cycle" || { echo "# freeze/restore cycle $i failed"; rc=1; }
		sleep 0.5
	done
	fio_wait 120 || { echo "# fio failed across the cycles"; tail -n 5 /tmp/lc.fio | sed 's/^/# /'; rc=1; }
	grep -q 'err= *0' /tmp/lc.fio || { echo "# fio reported errors"; rc=1; }
	[ "$(rec resets)" = "$r0" ] || { echo "# resets $r0 -> $(rec resets)"; rc=1; }
	round_trip || { echo "# I/O after the cycles failed"; rc=1; }
	return $rc
}

V=/sys/kernel/debug/vmmio/$(rig_platdev_of scratch 2>/dev/null)
if [ "$RIG_TRANSPORT_MOD" != vmmio ]; then
	tap_skip freeze_config_race "the config event is vmmio's fault knob"
elif [ ! -e "$V/fault/config_changed" ]; then
	tap_skip freeze_config_race "vmmio built without VMMIO_FAULT=1 (no $V/fault)"
else
	tap_check_v freeze_config_race freeze_config_race "$V"
fi
if command -v fio >/dev/null; then
	tap_check_v freeze_under_io freeze_under_io
else
	tap_skip freeze_under_io "no fio in the guest"
fi
tap_exit
