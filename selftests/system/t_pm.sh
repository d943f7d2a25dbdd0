#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Power management with I/O around it: suspend-to-idle and a hibernation
# test cycle (pm_test=devices: devices are suspended or frozen, then
# resumed or thawed, without touching firmware) must keep the scratch
# disk's data and leave it working.  This runs the transport's and the
# block driver's freeze/restore paths.
. /rig/lib.sh
tap_plan 2
D=$(rig_disk_by_serial scratch)
if [ -z "$D" ] || [ ! -w /sys/power/pm_test ]; then
	why=${SCRATCH_REASON:-no scratch disk}
	[ -w /sys/power/pm_test ] || why="the kernel has no /sys/power/pm_test"
	tap_skip suspend_to_idle_keeps_data "$why"
	tap_skip hibernate_test_keeps_data "$why"
	exit 0
fi
echo 1 >/sys/module/suspend/parameters/pm_test_delay 2>/dev/null

cycle() { # STATE: one pm_test cycle with data written before and after
	local rc=0
	dd if=/dev/urandom of=/tmp/pm.before bs=64k count=16 2>/dev/null
	dd if=/tmp/pm.before of="$D" bs=64k seek=128 oflag=direct 2>/dev/null || return 1
	echo devices >/sys/power/pm_test || return 1
	echo "$1" >/sys/power/state || rc=1
	echo none >/sys/power/pm_test
	[ $rc = 0 ] || { echo "# writing $1 to /sys/power/state failed"; return 1; }
	dd if="$D" of=/tmp/pm.after bs=64k skip=128 count=16 iflag=direct 2>/dev/null || return 1
	cmp /tmp/pm.before /tmp/pm.after || { echo "# data changed across $1"; return 1; }
	# and the disk still takes new writes
	dd if=/dev/urandom of=/tmp/pm.new bs=4k count=1 2>/dev/null
	dd if=/tmp/pm.new of="$D" bs=4k seek=4096 oflag=direct 2>/dev/null &&
		dd if="$D" of=/tmp/pm.back bs=4k skip=4096 count=1 iflag=direct 2>/dev/null &&
		cmp /tmp/pm.new /tmp/pm.back
}
# STATE NAME: the cycle if the kernel offers STATE
state_check() {
	if grep -qw "$1" /sys/power/state; then
		tap_check "$2" cycle "$1"
	else
		tap_skip "$2" "no '$1' in /sys/power/state"
	fi
}
state_check freeze suspend_to_idle_keeps_data
state_check disk hibernate_test_keeps_data
tap_exit
