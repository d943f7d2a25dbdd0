#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest half of the crash-consistency lane (scripts/crash-check.sh):
# each disk whose serial is crash-CASE sits on QEMU's blklogwrites, which
# logs every write and flush.  CASE is FS-CACHE: FS "ext4" (an ext4 file
# system, records appended to a file) or "raw" (records on the device),
# CACHE "wb" or "wt", the cache_type the disk is switched to first.
# /rig/tools/crash_wl writes the records and prints "# crash: ack CASE ID"
# once each one's fsync returned; the host replays the logs.  Other lanes
# have no such disk, and every case skips.  With vblk, a reset is forced
# half way through each disk's records (its corrupt_hdr fault knob makes
# QEMU raise DEVICE_NEEDS_RESET), so the replay also covers writes that
# were requeued across a reset.
. /rig/lib.sh
RECORDS=${RIG_CRASH_RECORDS:-100}

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

# vblk's debugfs recovery counter of disk $1 (a /sys/block path)
resets() { sed -n 's/^resets: //p' "/sys/kernel/debug/vblk/${1##*/}/recovery"; }

for sys in "$@"; do
	c=$(cat "$sys/serial")
	c=${c#crash-}
	dev=/dev/${sys##*/}
	knob=/sys/kernel/debug/vblk/${sys##*/}/fault/corrupt_hdr
	r0=
	if [ "$RIG_BLK_MOD" = vblk ] && [ -f "$knob" ]; then
		r0=$(resets "$sys")
		export CRASH_ARM_FILE=$knob CRASH_ARM_AT=$((RECORDS / 2))
	else
		unset CRASH_ARM_FILE CRASH_ARM_AT
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
	tap_check "$c.cache_type_kept" set_cache "$sys" "$mode"
	if [ -n "$r0" ]; then
		tap_check "$c.reset_during_records" test "$(resets "$sys")" -gt "$r0"
	else
		tap_skip "$c.reset_during_records" "needs vblk's fault knobs"
	fi
done
tap_exit
