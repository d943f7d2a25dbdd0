#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A device that pauses the machine on an I/O error (QEMU's werror=stop,
# rerror=stop), only on the stop lanes: their "stopdisk" is a raw file
# under blkdebug rules that fail the first write covering sector 20480
# and the first read covering sector 24576, once each.  QEMU stops the
# guest; the host's qmp-agent sends "cont" a second later and QEMU retries
# the request, which then succeeds.  The guest must come through the
# pause with no error, no hang and the data in place (the host checks
# that both pauses happened: host.paused_and_resumed).
# Driver-agnostic: the in-tree stop lane runs it too.
. /rig/lib.sh
tap_plan 5
ALL="write_survives_stop data_written read_survives_stop other_io_works no_errors_logged"
D=$(rig_disk_by_serial stopdisk) || {
	tap_skip_all "${SCRATCH_REASON:-no stopdisk (only the stop lanes have it)}" $ALL
	exit 0
}
dmesg_mark
pat=/tmp/stop.pat
dd if=/dev/zero bs=4096 count=1 2>/dev/null | tr '\000' 'S' >$pat

# 4 KiB blocks: sector 20480 is block 2560, sector 24576 block 3072
write_block() { timeout 120 dd if="$2" of="$D" bs=4096 seek="$1" count=1 oflag=direct conv=notrunc 2>&1; }
read_block() { timeout 120 dd if="$D" of="$2" bs=4096 skip="$1" count=1 iflag=direct 2>&1; }

same_as_pat() {
	read_block "$1" /tmp/stop.back >/dev/null || return 1
	cmp -s $pat /tmp/stop.back
}
read_ok() {
	read_block 3072 /tmp/stop.r >/dev/null || return 1
	[ "$(wc -c </tmp/stop.r)" -eq 4096 ]
}
other_io() {
	write_block 1000 $pat >/dev/null && same_as_pat 1000
}
log_clean() {
	local bad
	bad=$(dmesg_since | grep -E 'I/O error|critical|WARNING|BUG|blk_update_request|timed out|hung' | head -n 3)
	[ -z "$bad" ] || { echo "$bad" | sed 's/^/# /'; return 1; }
}

tap_check write_survives_stop write_block 2560 $pat
tap_check data_written same_as_pat 2560
tap_check read_survives_stop read_ok
tap_check other_io_works other_io
tap_check no_errors_logged log_clean
