#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest half of the crash-consistency lane (tools/check/crash-check.sh):
# each disk whose serial is crash-CASE sits on QEMU's blklogwrites, which
# logs every write and flush.  CASE is FS-CACHE: FS "ext4" (an ext4 file
# system, records appended to a file) or "raw" (records on the device),
# CACHE "wb" or "wt", the cache_type the disk is switched to first.
# /rig/tools/crash_wl writes the records and prints "# crash: ack CASE ID"
# once each one's fsync returned; the host replays the logs.  Other lanes
# have no such disk, and every case skips.
#
# With vblk, resets are forced while the records are written: crash_wl
# arms vblk's corrupt_hdr fault knob every CRASH_RESET_EVERY records (from
# rig.env; 0: none), alternately before a record's write and before its
# sync, so the replay also covers writes and flushes that were in flight
# at a reset and sent again.  On a modern device QEMU raises
# DEVICE_NEEDS_RESET at the malformed request and vblk resets at once; a
# legacy device stops silently, and the timeout path resets it (io_timeout
# 1 s, timeout_rounds 0 while the records are written).  The recovery
# counters must show a reset for every arm, a request sent again for every
# reset, nothing failed.  The in-tree virtio_blk has no knobs and no
# recovery: there the records are written without resets.
. /rig/lib.sh
RECORDS=${RIG_CRASH_RECORDS:-100}
RESET_EVERY=${CRASH_RESET_EVERY:-0}
DBG=/sys/kernel/debug/vblk
[ -d /sys/kernel/debug/block ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null

disks=
for s in /sys/block/vd*/serial; do
	[ -f "$s" ] || continue
	case "$(cat "$s")" in crash-*) disks="$disks ${s%/serial}" ;; esac
done
if [ -z "$disks" ]; then
	tap_plan 1
	tap_skip workload "no disk with a crash-* serial (only the crash lane has them)"
	exit 0
fi
# word splitting wanted: one argument per disk
# shellcheck disable=SC2086
set -- $disks
tap_plan $(($# * 4))
rig_load_ext4

# set_cache SYSDIR MODE: switch the write cache and read it back
set_cache() {
	echo "$2" >"$1/cache_type" || return 1
	[ "$(cat "$1/cache_type")" = "$2" ] &&
		[ "$(cat "$1/queue/write_cache")" = "$2" ]
}

# workload CASE DEV: the records, on the device or on ext4 over it
workload() {
	case "$1" in
	raw-*)
		/rig/tools/crash_wl raw "$2" "$RECORDS" "$1" ;;
	ext4-*)
		mkfs.ext4 -F -q -b 4096 "$2" || return 1
		mkdir -p /mnt/crash && mount -t ext4 "$2" /mnt/crash || return 1
		/rig/tools/crash_wl file /mnt/crash "$RECORDS" "$1" || {
			umount /mnt/crash
			return 1
		}
		umount /mnt/crash ;;
	*) echo "# unknown crash case '$1'"; return 1 ;;
	esac
}

# rec SYSDIR NAME: a line of vblk's debugfs recovery file of that disk
rec() { sed -n "s/^$2: //p" "$DBG/${1##*/}/recovery"; }

# resets_seen SYSDIR ARMS: the counters moved as ARMS forced resets must
# move them, against R0 and Q0 (resets and requeued before); prints them
resets_seen() {
	local r q f rc=0
	r=$(($(rec "$1" resets) - R0))
	q=$(($(rec "$1" requeued) - Q0))
	f=$(rec "$1" failed)
	echo "# crash: recovery $c resets $r requeued $q"
	sed "s|^|# ${1##*/} |" "$DBG/${1##*/}/recovery"
	[ "$r" -ge "$2" ] && [ "$r" -ge 1 ] || { echo "# $2 resets forced, $r seen"; rc=1; }
	[ "$q" -ge "$r" ] || { echo "# fewer requests sent again than resets"; rc=1; }
	[ "$f" = 0 ] && [ "$(rec "$1" failed_resets)" = 0 ] || rc=1
	[ "$(rec "$1" state)" = live ] || rc=1
	[ "$(cat "$DBG/${1##*/}/fault/corrupt_hdr")" = 0 ] || { echo "# an arm was never used"; rc=1; }
	return $rc
}

# the legacy timeout path: a stopped device is reset after one 1 s timeout
fast_timeouts() {
	echo 1000 >"$1/queue/io_timeout"
	echo 0 >/sys/module/vblk/parameters/timeout_rounds
}
default_timeouts() {
	echo 30000 >"$1/queue/io_timeout"
	echo 2 >/sys/module/vblk/parameters/timeout_rounds
}

for sys in "$@"; do
	c=$(cat "$sys/serial")
	c=${c#crash-}
	dev=/dev/${sys##*/}
	knob=$DBG/${sys##*/}/fault/corrupt_hdr
	arms=
	unset CRASH_ARM_FILE CRASH_ARM_EVERY
	# records RESET_EVERY, 2 * RESET_EVERY, ... below RECORDS
	if [ "$RIG_BLK_MOD" = vblk ] && [ -f "$knob" ] && [ "$RESET_EVERY" -gt 0 ] &&
		[ "$RECORDS" -gt "$RESET_EVERY" ]; then
		R0=$(rec "$sys" resets) Q0=$(rec "$sys" requeued)
		arms=$(((RECORDS - 1) / RESET_EVERY))
		export CRASH_ARM_FILE=$knob CRASH_ARM_EVERY=$RESET_EVERY
		[ "$RIG_LAYOUT" = legacy ] && fast_timeouts "$sys"
	fi
	case "$c" in
	*-wb) mode="write back" ;;
	*-wt) mode="write through" ;;
	*) mode= ;;
	esac
	tap_check "$c.cache_type" set_cache "$sys" "$mode"
	# the acks go straight to the console, unframed by tap_check
	if workload "$c" "$dev"; then
		tap_ok "$c.workload"
	else
		tap_not_ok "$c.workload"
	fi
	sync
	[ -n "$arms" ] && [ "$RIG_LAYOUT" = legacy ] && default_timeouts "$sys"
	tap_check "$c.cache_type_kept" set_cache "$sys" "$mode"
	if [ -n "$arms" ]; then
		tap_check_v "$c.resets_during_records" resets_seen "$sys" "$arms"
	elif [ "$RIG_BLK_MOD" = vblk ] && [ ! -f "$knob" ]; then
		tap_skip "$c.resets_during_records" "vblk built without VMMIO_FAULT=1 (no fault knobs)"
	elif [ "$RIG_BLK_MOD" = vblk ]; then
		tap_skip "$c.resets_during_records" "no reset forced (CRASH_RESET_EVERY=$RESET_EVERY, $RECORDS records)"
	else
		tap_skip "$c.resets_during_records" "$RIG_BLK_MOD has no fault knobs or recovery"
	fi
done
tap_exit
