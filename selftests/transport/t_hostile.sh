#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A device whose config space says what QEMU never says.  vmmio's fault
# knob (debugfs vmmio/<dev>/fault/config: "OFFSET WIDTH VALUE") overrides
# fields of the scratch disk's virtio-blk config (struct virtio_blk_config,
# virtio 1.2 5.2.4); the block driver is unbound and bound again to read
# them at probe.  For each value: no oops/WARN/BUG; vblk either refuses
# the probe or brings the disk up and a direct write reads back, as the
# case expects, with a message naming the field where the case names
# one; then the override is cleared, the driver bound again and the disk
# is back with its data.  Needs vmmio's fault knobs (a VMMIO_FAULT=1
# build; the product has none and skips); the lane's block driver
# may be vblk or the in-tree virtio_blk, the reference: its outcome for
# each value (refused, up, up with failing I/O) is printed, not judged,
# and the values it cannot take without a WARN are not given to it (see
# intree_skip).  Then config changes at run time: the knob changes
# fields and raises a config event (fault/config_changed); the disk must
# show the new values, or refuse a hostile one and keep its own (CHANGES).
. /rig/lib.sh

# NAME OFFSET WIDTH VALUE FEATURES OURS MESSAGE [SYSFS=WANT]
#   FEATURES: offered-feature bits added (features_set), 0 for none
#   OURS: what vblk must do, "up" or "refused"; MESSAGE: an egrep pattern
#   its log must match ("-": none needed); SYSFS: a queue attribute of
#   the disk vblk brings up and its value.  In values, LBS is the disk's
#   own logical block size (4096 in the topology lane), NxLBS N times it,
#   OTHER the other one of 512 and 4096.
CASES='
capacity_zero 0 8 0 0 up - size=0
capacity_2p63 0 8 0x8000000000000000 0 up capacity
capacity_max 0 8 0xffffffffffffffff 0 up capacity
blk_size_zero 20 4 0 0 up blk_size queue/logical_block_size=512
blk_size_3 20 4 3 0 up blk_size queue/logical_block_size=512
blk_size_1m 20 4 0x100000 0 up blk_size queue/logical_block_size=512
size_max_zero 8 4 0 0x2 up size_max
size_max_512 8 4 512 0x2 refused size_max
seg_max_zero 12 4 0 0 up seg_max queue/max_segments=1
seg_max_huge 12 4 0xffffffff 0 up -
num_queues_zero 34 2 0 0 up num_queues
num_queues_65535 34 2 65535 0 up -
physical_block_exp_255 24 1 255 0 up physical_block_exp queue/physical_block_size=LBS
alignment_offset_255 25 1 255 0 up alignment_offset alignment_offset=0
min_io_size_65535 26 2 65535 0 up -
opt_io_size_max 28 4 0xffffffff 0 up opt_io_size queue/optimal_io_size=0
max_discard_sectors_zero 36 4 0 0 up max_discard_sectors queue/discard_max_hw_bytes=0
max_discard_seg_zero 40 4 0 0 up max_discard_seg queue/max_discard_segments=1
discard_alignment_zero 44 4 0 0 up discard_sector_alignment queue/discard_granularity=LBS
max_write_zeroes_sectors_zero 48 4 0 0 up max_write_zeroes_sectors queue/write_zeroes_max_bytes=0
max_write_zeroes_seg_zero 52 4 0 0 up max_write_zeroes_seg
geometry_zero_heads 18 1 0 0 up geometry
geometry_huge_cylinders 16 2 0xffff 0 up -
'
# Config changes (issue #7): the overrides (OFFSET:WIDTH:VALUE,...), then
# a config-change event (fault/config_changed); the disk's attributes
# (ATTR=VALUE,..., under /sys/block/vdX, spaces as _) must show the new
# values and I/O must work; "refused" cases must keep every attribute and
# log why.  Clearing the overrides and another event bring the old
# values back.  The in-tree virtio_blk re-reads the capacity only.
CHANGES='
change_capacity 0:8:65536 size=65536
change_cache_mode 32:1:0 cache_type=write_through
change_block_size 20:4:OTHER queue/logical_block_size=OTHER,queue/physical_block_size=OTHER
change_io_sizes 26:2:16,28:4:128 queue/minimum_io_size=16xLBS,queue/optimal_io_size=128xLBS
change_discard_limits 36:4:8,40:4:4 queue/discard_max_hw_bytes=4096,queue/max_discard_segments=4
change_write_zeroes_limit 48:4:16 queue/write_zeroes_max_bytes=8192
change_refused_blk_size 20:4:3,36:4:8 refused:blk_size
change_refused_discard_zero 36:4:0 refused:max_discard_sectors
'
NCASES=$(echo "$CASES" | grep -c .)
NCHANGES=$(echo "$CHANGES" | grep -c .)
tap_plan $((NCASES + NCHANGES + 2))
ALL="knob_inert_and_checked $(echo "$CASES$CHANGES" | awk 'NF { printf "%s ", $1 }') knob_cleared"

skip_all() {
	tap_skip_all "$1" $ALL
	exit 0
}
[ "$RIG_TRANSPORT_MOD" = vmmio ] || skip_all "the config fault knob is vmmio's"
D=$(rig_disk_by_serial scratch) || skip_all "${SCRATCH_REASON:-no scratch disk}"
V=$(rig_virtdev_of scratch)
P=$(rig_platdev_of scratch)
F=/sys/kernel/debug/vmmio/$P/fault
BD=/sys/bus/virtio/drivers/$RIG_BLK_MOD
# the product's vmmio has no knobs: they are built with VMMIO_FAULT=1 only
if [ ! -d "$F" ]; then
	[ -d "${F%/fault}" ] && skip_all "vmmio built without VMMIO_FAULT=1 (no fault knobs)"
	skip_all "no $F"
fi
LBS=$(cat "/sys/block/${D#/dev/}/queue/logical_block_size")
OTHER=4096
[ "$LBS" = 512 ] || OTHER=512

# the values of the tables with LBS, NxLBS and OTHER worked out
expand() {
	echo "$1" | awk -v l="$LBS" -v o="$OTHER" '{
		gsub(/OTHER/, o)
		while (match($0, /[0-9]*xLBS|LBS/)) {
			t = substr($0, RSTART, RLENGTH)
			n = t == "LBS" ? 1 : substr(t, 1, length(t) - 4)
			$0 = substr($0, 1, RSTART - 1) n * l substr($0, RSTART + RLENGTH)
		}
		print }'
}

# the values the in-tree virtio_blk cannot take without a kernel WARN
# (or worse): not given to it, the README says so
intree_skip() {
	[ "$RIG_BLK_MOD" = vblk ] && return 1
	case "$1" in
	size_max_zero | size_max_512)
		# 6.9+: a segment size below the page size is a WARN in
		# blk_validate_limits (6.1 raises it to a page, quietly)
		case "$(uname -r)" in 6.1.*) return 1 ;; esac
		echo "max_segment_size below a page: WARN in blk_validate_limits" ;;
	*) return 1 ;;
	esac
}

oopsed() {
	dmesg_since | grep -E 'WARNING:|BUG:|Oops|Call trace:|KASAN|UBSAN|general protection'
}

bound() { [ -e "/sys/bus/virtio/devices/$V/driver" ]; }
unbind() { ! bound || echo "$V" >"$BD/unbind"; }
# bind the block driver again: true once the disk is there (a refused
# probe makes the write fail, or leaves no disk)
bind() {
	echo "$V" >"$BD/bind" 2>/dev/null
	D=$(rig_wait_disk scratch "${1:-50}")
}

# a direct write at 8 MiB reads back
io_works() {
	dd if=/dev/urandom of=/tmp/h.pat bs=64k count=1 2>/dev/null
	timeout 30 dd if=/tmp/h.pat of="$D" bs=64k seek=128 oflag=direct 2>/tmp/h.err &&
		timeout 30 dd if="$D" of=/tmp/h.rd bs=64k skip=128 count=1 iflag=direct 2>/tmp/h.err &&
		cmp /tmp/h.pat /tmp/h.rd 2>/tmp/h.err
}

# the fault knob itself: empty until written, malformed or out-of-range
# writes refused with nothing changed, a full table refused, an entry
# listed, "clear" empties it
knob_checks() {
	local w n
	[ -z "$(cat "$F/config")" ] || { echo "# not empty at start"; return 1; }
	[ "$(cat "$F/features_set")" = 0x0000000000000000 ] || return 1
	for w in "" garbage "20 4" "20 4 1 5" "20 3 1" "20 0 1" "20 16 1" "20 4 0x100000000" \
		"20 1 256" "0x1000 4 1" "-1 4 1" "20 4 -1" "4294967295 4 1" "20 4 1x"; do
		if echo "$w" >"$F/config" 2>/dev/null; then
			echo "# accepted: '$w'"
			return 1
		fi
	done
	[ -z "$(cat "$F/config")" ] || { echo "# a refused write changed the table"; return 1; }
	for n in 1 2 3 4 5 6 7 8; do
		echo "$((100 + n)) 1 $n" >"$F/config" || return 1
	done
	echo "120 1 1" >"$F/config" 2>/dev/null && { echo "# a ninth entry accepted"; return 1; }
	# the same place replaces its entry
	echo "101 1 0x7f" >"$F/config" || return 1
	n=$(grep -c . "$F/config")
	grep -q '^0x65 1 0x7f$' "$F/config" && [ "$n" = 8 ] || { cat "$F/config"; return 1; }
	echo clear >"$F/config" && [ -z "$(cat "$F/config")" ] || return 1
	echo 0 >"$F/config_changed" 2>/dev/null && { echo "# config_changed took 0"; return 1; }
	return 0
}

# check_sysfs ATTR=WANT: the disk's attribute (under /sys/block/vdX)
check_sysfs() {
	local got
	[ -n "$1" ] || return 0
	got=$(cat "/sys/block/${D#/dev/}/${1%%=*}")
	echo "# ${1%%=*}: $got"
	[ "$got" = "${1#*=}" ]
}

# one_case NAME OFFSET WIDTH VALUE FEATURES OURS MESSAGE [SYSFS]
one_case() {
	local name=$1 off=$2 width=$3 val=$4 feat=$5 ours=$6 msg=$7 want=$8 out=refused rc=0
	D=$(rig_disk_by_serial scratch)
	dmesg_mark
	unbind || return 1
	echo "$off $width $val" >"$F/config" || return 1
	echo "$feat" >"$F/features_set" || return 1
	if bind 30; then
		out=up
		if [ "$want" = size=0 ]; then
			want=
			[ "$(cat "/sys/block/${D#/dev/}/size")" = 0 ] || { echo "# size not 0"; rc=1; }
		elif ! io_works; then
			out="up, but a direct write does not read back ($(head -n 1 /tmp/h.err))"
		fi
	fi
	echo "# $RIG_BLK_MOD: $out"
	dmesg_since | grep -v 'rig: mark' | head -n 6 | sed 's/^/# log: /'
	# the reference's outcome is recorded; vblk's must be the expected one
	if [ "$RIG_BLK_MOD" = vblk ]; then
		[ "$out" = "$ours" ] || { echo "# expected $ours"; rc=1; }
		if [ "$msg" != - ] && ! dmesg_since | grep -q "$msg"; then
			echo "# no message naming $msg"
			rc=1
		fi
		[ "$out" = up ] && { check_sysfs "$want" || rc=1; }
	fi
	# back to the device's own config: the disk and its data return
	unbind
	echo clear >"$F/config"
	echo 0 >"$F/features_set"
	bind 50 || { echo "# the disk did not come back"; return 1; }
	cmp -n $((1024 * 1024)) /tmp/h.base "$D" || { echo "# data differs after"; rc=1; }
	if oopsed; then
		echo "# the kernel log has a warning or worse"
		rc=1
	fi
	return $rc
}

# the attributes a change case looks at, ATTR=VALUE,... as it names them
attrs_now() {
	local a out=
	for a in $(echo "$1" | tr ',' ' '); do
		out=$out${out:+,}${a%%=*}=$(tr ' ' _ <"/sys/block/${D#/dev/}/${a%%=*}")
	done
	echo "$out"
}
# wait up to 5 s for the attributes to be $1
attrs_wait() {
	local i=0
	while [ "$(attrs_now "$1")" != "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "# $(attrs_now "$1")"
	[ "$(attrs_now "$1")" = "$1" ]
}
# the overrides of list $1 (OFFSET:WIDTH:VALUE,...) and a config event
change_to() {
	local o
	echo clear >"$F/config"
	for o in $(echo "$1" | tr ',' ' '); do
		echo "$o" | tr ':' ' ' >"$F/config" || return 1
	done
	echo 1 >"$F/config_changed"
}

# change_case NAME OVERRIDES CHECKS
change_case() {
	local name=$1 ov=$2 want=$3 old field rc=0 i=0
	D=$(rig_disk_by_serial scratch) || return 1
	dmesg_mark
	if [ "${want%%:*}" = refused ]; then
		field=${want#refused:}
		want="queue/logical_block_size=x,queue/discard_max_hw_bytes=x"
		old=$(attrs_now "$want")
		change_to "$ov" || return 1
		while ! dmesg_since | grep -q 'config change refused' && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		dmesg_since | grep -v 'rig: mark' | head -n 4 | sed 's/^/# log: /'
		dmesg_since | grep -q 'config change refused' || { echo "# no refusal logged"; rc=1; }
		dmesg_since | grep -q "$field" || { echo "# no message naming $field"; rc=1; }
		[ "$(attrs_now "$want")" = "$old" ] || { echo "# now $(attrs_now "$want"), was $old"; rc=1; }
	else
		old=$(attrs_now "$want")
		echo "# before: $old"
		change_to "$ov" || return 1
		attrs_wait "$want" || rc=1
		dmesg_since | grep -v 'rig: mark' | head -n 4 | sed 's/^/# log: /'
	fi
	io_works || { echo "# a direct write does not read back"; rc=1; }
	# the device's own config again
	echo clear >"$F/config"
	echo 1 >"$F/config_changed"
	attrs_wait "$old" || { echo "# the old values did not come back"; rc=1; }
	cmp -n $((1024 * 1024)) /tmp/h.base "$D" || { echo "# data differs after"; rc=1; }
	if oopsed; then
		echo "# the kernel log has a warning or worse"
		rc=1
	fi
	return $rc
}

dd if=/dev/urandom of=/tmp/h.base bs=64k count=16 2>/dev/null
dd if=/tmp/h.base of="$D" bs=64k oflag=direct 2>/dev/null
sync
tap_check knob_inert_and_checked knob_checks
echo "$CASES" >/tmp/h.cases
while read -r name off width val feat ours msg want; do
	[ -n "$name" ] || continue
	if why=$(intree_skip "$name"); then
		tap_skip "$name" "$RIG_BLK_MOD: $why"
		continue
	fi
	tap_check_v "$name" one_case "$name" "$off" "$width" "$val" "$feat" "$ours" "$msg" "$(expand "$want")"
done </tmp/h.cases
echo "$CHANGES" >/tmp/h.changes
while read -r name ov want; do
	[ -n "$name" ] || continue
	if [ "$RIG_BLK_MOD" != vblk ] && [ "$name" != change_capacity ]; then
		tap_skip "$name" "$RIG_BLK_MOD re-reads the capacity only"
		continue
	fi
	tap_check_v "$name" change_case "$name" "$(expand "$ov")" "$(expand "$want")"
done </tmp/h.changes
tap_check knob_cleared test -z "$(cat "$F/config")"
tap_exit
