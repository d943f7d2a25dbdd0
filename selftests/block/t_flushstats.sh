#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Flushes seen from the device's side: QEMU counts the flush requests each
# drive received (QMP query-blockstats, flush_operations), which the guest
# reads back through the rig.qmp port.  On the scratch disk (drive d0): an
# fsync after a write in write-back mode reaches the device as a flush;
# switched to write through (sysfs cache_type), the same fsync sends none,
# since the device keeps no volatile cache then; switched back, flushes
# reach the device again.  A device without VIRTIO_BLK_F_CONFIG_WCE (the
# hvisor lane's: FLUSH alone) keeps one mode, which sysfs shows read-only:
# the fsync case of that mode runs without switching, the others skip.
# Driver-agnostic.
. /rig/lib.sh
tap_plan 4
ALL="flush_count_readable fsync_flushes_write_back no_flush_write_through fsync_flushes_again"
S=$(rig_disk_by_serial scratch) || {
	tap_skip_all "${SCRATCH_REASON:-no disk with serial scratch}" $ALL
	exit 0
}
# virtio_console is a module on 6.1: rig_qmp_port loads it, and this test
# unloads it again, since it pins the transport for the tests after it
console_loaded() { grep -q '^virtio_console ' /proc/modules; }
had_console=0
console_loaded && had_console=1
rig_qmp_port >/dev/null || {
	tap_skip_all "no rig.qmp port in this lane" $ALL
	exit 0
}
CT=/sys/block/${S#/dev/}/cache_type
[ -w "$CT" ] || {
	tap_skip_all "$S has no writable cache_type" $ALL
	exit 0
}
# the mode a device without CONFIG_WCE (bit 11) keeps; empty: switchable
fixed=
rig_disk_feature "$S" 11 || fixed=$(cat "$CT")

# flush_operations of drive d0, the scratch disk (the rig's first -drive)
flushes() {
	rig_qmp_ask '{"execute": "query-blockstats"}' /tmp/bs.out || return 1
	awk -F= '
		$1 ~ /^return\.[0-9]+\.device$/ && $2 == "\"d0\"" {
			split($1, p, "."); want = "return." p[2] ".stats.flush_operations" }
		{ v[$1] = $2 }
		END { if (want == "" || !(want in v)) exit 1; print v[want] }' /tmp/bs.out
}
# write a block at $1 (4 KiB blocks) and fsync the device
write_fsync() {
	dd if=/dev/urandom of="$S" bs=4096 seek="$1" count=1 conv=fsync,notrunc 2>/dev/null
}

readable() {
	local f
	f=$(flushes) || { sed -n '1,5s/^/# /p' /tmp/bs.out 2>/dev/null; return 1; }
	echo "# d0 flush_operations: $f"
	echo "$f" >/tmp/flush.0
}
# after a write and an fsync in mode $1, the count grew ($2 = more) or
# stayed ($2 = same)
fsync_in_mode() {
	local before after
	if [ -z "$fixed" ]; then
		echo "$1" >"$CT" || return 1
	fi
	echo "# cache_type: $(cat "$CT")"
	before=$(flushes) || return 1
	write_fsync "$3" || return 1
	after=$(flushes) || return 1
	echo "# d0 flush_operations: $before -> $after"
	case "$2" in
	more) [ "$after" -gt "$before" ] ;;
	same) [ "$after" -eq "$before" ] ;;
	esac
}

orig=$(cat "$CT")
tap_check_v flush_count_readable readable
if [ -z "$fixed" ]; then
	tap_check_v fsync_flushes_write_back fsync_in_mode "write back" more 100
	tap_check_v no_flush_write_through fsync_in_mode "write through" same 101
	tap_check_v fsync_flushes_again fsync_in_mode "write back" more 102
	echo "$orig" >"$CT"
else
	why="the device offers no CONFIG_WCE: $S stays \"$fixed\""
	if [ "$fixed" = "write back" ]; then
		tap_check_v fsync_flushes_write_back fsync_in_mode "write back" more 100
		tap_skip no_flush_write_through "$why"
	else
		tap_skip fsync_flushes_write_back "$why"
		tap_check_v no_flush_write_through fsync_in_mode "write through" same 101
	fi
	tap_skip fsync_flushes_again "$why, nothing to switch back"
fi
[ $had_console = 1 ] || rmmod virtio_console 2>/dev/null
tap_exit
