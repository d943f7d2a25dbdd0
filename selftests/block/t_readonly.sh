#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A disk QEMU offers read-only (the rig's null1: -drive readonly=on, so
# VIRTIO_BLK_F_RO): the kernel sees it read-only, writes fail with EPERM
# and change nothing, BLKROSET cannot make it writable, reads work.
# Driver-agnostic: the in-tree lanes run it too.
. /rig/lib.sh
tap_plan 4
ALL="reported_read_only write_refused setrw_cannot_override reads_work"
R=$(rig_disk_by_serial null1) || {
	tap_skip_all "${SCRATCH_REASON:-no null1 disk}" $ALL
	exit 0
}
ro_reported() {
	echo "# $R: blockdev --getro $(blockdev --getro "$R"), sysfs ro $(cat "/sys/block/${R#/dev/}/ro")"
	[ "$(blockdev --getro "$R")" = 1 ] && [ "$(cat "/sys/block/${R#/dev/}/ro")" = 1 ]
}
# a direct write must fail, saying the device is read-only
write_fails() {
	if timeout 30 dd if=/dev/urandom of="$R" bs=4k count=1 seek=8 oflag=direct 2>/tmp/ro.err; then
		echo "# the write succeeded"
		return 1
	fi
	grep -m1 -i 'not permitted\|read-only' /tmp/ro.err | sed 's/^/# /'
	grep -qi 'not permitted\|read-only' /tmp/ro.err
}
setrw() {
	blockdev --setrw "$R" 2>/dev/null
	write_fails
	local rc=$?
	blockdev --setro "$R" 2>/dev/null
	return $rc
}
# null-co with read-zeroes: what reads back is zeros, refused writes or not
reads_zero() {
	[ "$(timeout 30 dd if="$R" bs=4k count=1 skip=8 iflag=direct 2>/dev/null | tr -d '\0' | wc -c)" = 0 ]
}
tap_check reported_read_only ro_reported
tap_check write_refused write_fails
tap_check setrw_cannot_override setrw
tap_check reads_work reads_zero
tap_exit
