#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The process serving the disk dies, only on the vhost lanes: their disk
# is a vhost-user-blk device served by the host's qemu-storage-daemon,
# which the lane's host hook kills (SIGKILL) and starts again while a
# verified fio load (crc32c, QD32, writes then reads) runs on it; QEMU's
# socket reconnects.  The load must finish with no verify error and no
# hang, the disk must serve I/O after, and the log must be free of
# warnings.  Driver-agnostic: the in-tree vhost lane runs it too.
. /rig/lib.sh
tap_plan 4
ALL="io_before_death load_survives_backend_death io_after_restart log_clean"
D=$(rig_disk_by_serial vhost_user_blk) || {
	tap_skip_all "${SCRATCH_REASON:-no vhost-user disk (only the vhost lanes have it)}" $ALL
	exit 0
}
command -v fio >/dev/null || { tap_skip_all "no fio in this guest" $ALL; exit 0; }
dmesg_mark
pat=/tmp/vh.pat
dd if=/dev/urandom of=$pat bs=64k count=16 2>/dev/null

roundtrip() {
	timeout 60 dd if=$pat of="$D" bs=64k seek="$1" oflag=direct conv=notrunc 2>/dev/null || return 1
	timeout 60 dd if="$D" of=/tmp/vh.back bs=64k skip="$1" count=16 iflag=direct 2>/dev/null || return 1
	cmp -s $pat /tmp/vh.back
}

# the host's hook, through the console (tools/guest/qmp-agent.py)
host() { echo "# rig: host $1" >/dev/console; }

death() {
	local rc=0 t0
	fio_bg /tmp/vh.fio "$D" --name=vh --filename="$D" --ioengine=io_uring \
		--iodepth=32 --direct=1 --rw=randwrite --bs=4k --size=32M --offset=64M \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --loops=3 || { fio_stop 30; return 1; }
	sleep 1
	host vhost-kill
	sleep 2
	t0=$(cut -d' ' -f1 /proc/uptime)
	host vhost-start
	fio_wait 240 || rc=$?
	echo "# fio ended $(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s after the restart, rc $rc"
	fio_clean /tmp/vh.fio || return 1
	[ $rc -eq 0 ]
}

log_clean() {
	local bad
	bad=$(dmesg_since | grep -E 'WARNING|BUG|Oops|Call trace|hung_task|blocked for more' | head -n 3)
	[ -z "$bad" ] || { echo "$bad" | sed 's/^/# /'; return 1; }
	dmesg_since | grep -E 'vblk|virtio_blk|vd[a-z]' | tail -n 5 | sed 's/^/# /'
}

tap_check io_before_death roundtrip 0
tap_check_v load_survives_backend_death death
tap_check io_after_restart roundtrip 32
tap_check_v log_clean log_clean
tap_exit
