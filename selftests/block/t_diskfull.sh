#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The host's disk fills under the guest's writes, only on the diskfull
# lanes: their "fulldisk" is a 256 MiB sparse raw file on a 32 MiB tmpfs
# the rig mounts for the lane, with werror=report,rerror=report, so QEMU
# hands the host's ENOSPC to the guest as an I/O error.  Written before
# the host fills, data reads back; the write that overflows fails with
# an error (no hang: every dd runs under a timeout); reads of the whole
# disk keep working; a rewrite of blocks the host already holds works;
# the other disks are untouched; nothing in the log but I/O errors.
# Driver-agnostic: the in-tree diskfull lane runs it too.
. /rig/lib.sh
tap_plan 6
ALL="data_before_full_reads_back write_past_full_fails reads_keep_working rewrite_in_place_works other_disks_unaffected log_clean"
D=$(rig_disk_by_serial fulldisk) || {
	tap_skip_all "${SCRATCH_REASON:-no fulldisk (only the diskfull lanes have it)}" $ALL
	exit 0
}
dmesg_mark
pat=/tmp/full.pat
dd if=/dev/urandom of=$pat bs=1M count=8 2>/dev/null

before_full() {
	timeout 120 dd if=$pat of="$D" bs=1M oflag=direct conv=notrunc 2>/dev/null || return 1
	timeout 120 dd if="$D" of=/tmp/full.back bs=1M count=8 iflag=direct 2>/dev/null || return 1
	cmp -s $pat /tmp/full.back
}

# 128 MiB from 16 MiB on: the host's 32 MiB run out on the way
past_full() {
	local out rc=0
	out=$(timeout 180 dd if=/dev/zero of="$D" bs=1M seek=16 count=128 oflag=direct conv=notrunc 2>&1) || rc=$?
	echo "$out" | sed 's/^/# dd: /'
	[ $rc -ne 124 ] || { echo "# dd hung (killed after 180 s)"; return 1; }
	[ $rc -ne 0 ] || { echo "# every write succeeded: the host never filled"; return 1; }
	echo "$out" | grep -qiE 'I/O error|Input/output error|No space'
}

reads_ok() {
	timeout 180 dd if="$D" of=/dev/null bs=1M iflag=direct 2>/dev/null
}

rewrite_ok() {
	timeout 120 dd if=$pat of="$D" bs=1M oflag=direct conv=notrunc 2>/dev/null || return 1
	timeout 120 dd if="$D" of=/tmp/full.back bs=1M count=8 iflag=direct 2>/dev/null || return 1
	cmp -s $pat /tmp/full.back
}

others_ok() {
	local s
	s=$(rig_disk_by_serial scratch) || { echo "# no scratch disk"; return 1; }
	timeout 60 dd if=$pat of="$s" bs=1M count=4 oflag=direct conv=notrunc 2>/dev/null || return 1
	timeout 60 dd if="$s" of=/tmp/full.s bs=1M count=4 iflag=direct 2>/dev/null || return 1
	head -c $((4 * 1024 * 1024)) $pat | cmp -s - /tmp/full.s
}

log_clean() {
	dmesg_bad_since 'WARNING|BUG|Oops|Call trace|hung|timed out|resetting' || return 1
	dmesg_since | grep -c 'I/O error' | sed 's/^/# I\/O error lines: /'
}

tap_check data_before_full_reads_back before_full
tap_check_v write_past_full_fails past_full
tap_check reads_keep_working reads_ok
tap_check rewrite_in_place_works rewrite_ok
tap_check other_disks_unaffected others_ok
tap_check_v log_clean log_clean
tap_exit
