#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Device errors reach the application, and only where the device put them.
# The rig backs the null2 disk with QEMU's blkdebug (tools/check/check.sh,
# BLKDEBUG_DRIVE): reads of sector 65536 and writes of sector 98304 fail
# with EIO every time, the first flush fails once.  Driver-agnostic: the
# in-tree lanes run it too.
. /rig/lib.sh
tap_plan 5
ALL="read_error_eio read_elsewhere_ok write_error_eio write_elsewhere_ok flush_error_then_ok"
N=$(rig_disk_by_serial null2) || {
	tap_skip_all "${SCRATCH_REASON:-no null2 disk}" $ALL
	exit 0
}
# every command is bounded: an error must not turn into a hang
rd() { timeout 30 dd if="$N" of=/dev/null bs=4k count=1 skip="$1" iflag=direct 2>/tmp/blkerr.err; }
wr() { timeout 30 dd if=/dev/zero of="$N" bs=4k count=1 seek="$1" oflag=direct 2>/tmp/blkerr.err; }
fails_eio() {
	if "$@"; then
		echo "# $* succeeded"
		return 1
	fi
	grep -m1 error /tmp/blkerr.err | sed 's/^/# /'
	grep -q 'Input/output error' /tmp/blkerr.err
}
# 4k blocks: sector 65536 is block 8192, sector 98304 block 12288
read_error() { fails_eio rd 8192 && fails_eio rd 8192; }
write_error() { fails_eio wr 12288 && fails_eio wr 12288; }
ok_elsewhere() { "$1" 0 && "$1" 100 && "$1" 16383; }
# a write-back disk: fsync sends a flush, which fails once
flush_error() {
	local c
	c=$(cat "/sys/block/${N#/dev/}/queue/write_cache")
	[ "$c" = "write back" ] || { echo "# cache is '$c': no flush to fail"; return 1; }
	fails_eio timeout 30 dd if=/dev/zero of="$N" bs=4k count=1 seek=4 conv=fsync 2>/tmp/blkerr.err &&
		timeout 30 dd if=/dev/zero of="$N" bs=4k count=1 seek=4 conv=fsync 2>/dev/null
}
tap_check read_error_eio read_error
tap_check read_elsewhere_ok ok_elsewhere rd
tap_check write_error_eio write_error
tap_check write_elsewhere_ok ok_elsewhere wr
tap_check flush_error_then_ok flush_error
tap_exit
