#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The config-change path: QEMU grows the scratch disk (QMP block_resize,
# sent by the host's qmp-agent); the transport's interrupt carries the
# config change to the block driver, which publishes the new size.  The
# third case grows it again under a reading fio at QD32: a transport that
# serves used-buffer interrupts without reading InterruptStatus (vmmio's
# fast acknowledge on level lines) must still see the change.
. /rig/lib.sh
tap_plan 3
D=$(rig_disk_by_serial scratch)
if [ -z "$D" ]; then
	tap_skip resize_seen_in_sysfs "${SCRATCH_REASON:-no scratch disk}"
	tap_skip resize_seen_by_ioctl "${SCRATCH_REASON:-no scratch disk}"
	tap_skip resize_seen_under_load "${SCRATCH_REASON:-no scratch disk}"
	exit 0
fi
n=${D#/dev/}
old=$(cat /sys/block/$n/size)
want=$((old * 512 + 16 * 1024 * 1024))
grown() {
	local i=0 old
	old=$(cat /sys/block/$n/size)
	rig_qmp "{\"execute\": \"block_resize\", \"arguments\": {\"device\": \"d0\", \"size\": $want}}"
	while [ "$(cat /sys/block/$n/size)" -ne $((want / 512)) ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "# $n: $old -> $(cat /sys/block/$n/size) sectors, want $((want / 512))"
	[ "$(cat /sys/block/$n/size)" -eq $((want / 512)) ]
}
tap_check resize_seen_in_sysfs grown
tap_check resize_seen_by_ioctl test "$(blockdev --getsize64 "$D")" -eq $want

under_load() {
	want=$((want + 16 * 1024 * 1024))
	fio_bg /tmp/resize.fio "$D" --name=rl --filename="$D" --ioengine=io_uring \
		--rw=randread --bs=4k --iodepth=32 --direct=1 --size=64M \
		--time_based --runtime=60 || { fio_stop 20; return 1; }
	grown || { fio_stop 20; return 1; }
	fio_stop 20
	fio_clean /tmp/resize.fio
}
if command -v fio >/dev/null; then
	tap_check resize_seen_under_load under_load
else
	tap_skip resize_seen_under_load "no fio in this guest"
fi
tap_exit
