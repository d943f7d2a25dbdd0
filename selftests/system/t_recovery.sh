#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Recovery of vblk from a misbehaving device, driven by its fault knobs
# (debugfs vblk/<disk>/fault/) with a short io_timeout:
#   lost interrupts   the timeout handler's poll completes what the
#                     dropped interrupts left on the ring; fio verifies
#   DEVICE_NEEDS_RESET  a malformed chain makes QEMU raise it (modern
#                     devices); the driver resets, requeues, fio verifies
#   timeout reset     the same on a legacy device, which stops silently:
#                     the timeout handler resets it
#   ext4 across a reset  files written across a reset read back intact,
#                     the file system checks clean
#   dead disk         a recovery that fails under a mounted ext4 ends with
#                     EIO, not a hang; umount works, the driver reloads
#                     and the disk works again
#   slow completions  the delay_ms knob: reads take at least the delay;
#                     past io_timeout the timeout's poll completes them
#                     without a reset
#   stuck device      QEMU throttles the null1 disk (QMP block_set_io_throttle)
#                     until its reads outlive io_timeout, then lifts it:
#                     the read completes, with no reset (timeout_rounds
#                     high) and after a reset (timeout_rounds 0)
#   soak              verified fio runs back to back, each with one fault:
#                     a forced reset (corrupt_hdr; the timeout path on
#                     legacy) or a burst of dropped interrupts; every fio
#                     run verifies clean and the counters add up.  One of
#                     each; RECOVERY_LONG=1 (make check-long, rig.env) 20
#                     resets, paced to vblk's 5 a minute, bursts between
# The in-tree virtio_blk has no fault knobs (and no timeout handler): its
# lanes run only the stuck-device wait; the README's Recovery table says
# what it does in each scenario.
. /rig/lib.sh
tap_plan 10
B=$RIG_BLK_MOD
M=/mnt/recovery
DBG=/sys/kernel/debug/vblk
ALL="slow_completions lost_interrupts_recovered needs_reset_recovered timeout_reset_recovered ext4_across_reset dead_disk_fails_io reload_after_dead stuck_device_waited stuck_device_reset soak"

skip_all() {
	tap_skip_all "$1" $ALL
	exit 0
}
S=$(rig_disk_by_serial scratch) || skip_all "${SCRATCH_REASON:-no scratch disk}"
F=$(rig_disk_by_serial fs) || skip_all "no fs disk"
[ -d /sys/kernel/debug/block ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
command -v fio >/dev/null || skip_all "no fio in the guest"

sys() { echo "/sys/block/${1#/dev/}"; }
knob() { echo "$3" >"$DBG/${1#/dev/}/fault/$2"; }
knob_get() { cat "$DBG/${1#/dev/}/fault/$2"; }
# rec DISK NAME: a line of the disk's debugfs recovery file
rec() { sed -n "s/^$2: //p" "$DBG/${1#/dev/}/recovery"; }
show_rec() { sed "s|^|# ${1#/dev/} |" "$DBG/${1#/dev/}/recovery"; }
# a short timer so that each scenario takes seconds: 1 s per round
fast_timeouts() {
	echo 1000 >"$(sys "$1")/queue/io_timeout"
	echo "${2:-2}" >/sys/module/vblk/parameters/timeout_rounds
}
default_timeouts() {
	echo 30000 >"$(sys "$1")/queue/io_timeout" 2>/dev/null
	echo 2 >/sys/module/vblk/parameters/timeout_rounds
}

# verified fio on $1 in the background (lib.sh's fio_bg), back once its
# I/O has started.  A write lost at a reset must fail the verify: one
# block size, so that no write overlaps an earlier one (fio stops
# verifying a block once a later write overlaps it) and fio checks each
# block's sequence number, and random offsets and seeds of its own for
# each run (randrepeat=0: with fio's default every run writes the same
# blocks at the same offsets, and a lost write leaves the previous run's
# identical block, which verifies; randseed= does not move the offsets).
rec_load() {
	local d=$1
	shift
	fio_bg /tmp/rec-fio.out "$d" --name=rec --filename="$d" --ioengine=io_uring \
		--iodepth=32 --direct=1 --rw=randwrite --bs=16k --size=8M \
		--randrepeat=0 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 "$@" >/dev/null
}
# wait up to $1 s for it: true if it ended without errors
rec_wait() {
	local rc
	fio_wait "$1"
	rc=$?
	[ $rc = 0 ] || tail -n 5 /tmp/rec-fio.out | sed 's/^/# /'
	fio_clean /tmp/rec-fio.out && [ $rc = 0 ]
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk -v t0="$1" '{ printf "%.1f", $1 - t0 }' /proc/uptime; }
# completions looked at late: a read waits the delay; one past io_timeout
# is found by the timeout handler's poll, with no reset
slow() {
	local d rc=0 t0 t lost0 resets0
	d=$(rig_disk_by_serial null2) || { echo "# no null2 disk"; return 1; }
	knob "$d" delay_ms 300
	t0=$(uptime_s)
	dd if="$d" of=/dev/null bs=4k count=4 iflag=direct 2>/dev/null || rc=1
	t=$(elapsed "$t0")
	echo "# 4 reads with completions 300 ms late: ${t} s"
	awk -v t="$t" 'BEGIN { exit !(t >= 1.1) }' || { echo "# too fast: not delayed"; rc=1; }
	fast_timeouts "$d"
	lost0=$(rec "$d" lost_irqs_recovered)
	resets0=$(rec "$d" resets)
	knob "$d" delay_ms 3000
	t0=$(uptime_s)
	dd if="$d" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null || rc=1
	echo "# a read with its completion 3 s late, io_timeout 1 s: $(elapsed "$t0") s"
	knob "$d" delay_ms 0
	show_rec "$d"
	[ "$(rec "$d" lost_irqs_recovered)" -gt "$lost0" ] || { echo "# the timeout's poll found nothing"; rc=1; }
	[ "$(rec "$d" resets)" = "$resets0" ] || { echo "# an unneeded reset"; rc=1; }
	default_timeouts "$d"
	return $rc
}

# dropped interrupts: every request still completes, through the poll
lost_irqs() {
	local lost0 resets0 rc=0
	fast_timeouts "$S"
	lost0=$(rec "$S" lost_irqs_recovered)
	resets0=$(rec "$S" resets)
	# armed first: a fast load could finish before a later write
	knob "$S" drop_irqs 6
	rec_load "$S"
	rec_wait 120 || rc=1
	show_rec "$S"
	echo "# drop_irqs left: $(knob_get "$S" drop_irqs)"
	[ "$(knob_get "$S" drop_irqs)" = 0 ] || { echo "# not every drop happened"; rc=1; }
	[ "$(rec "$S" lost_irqs_recovered)" -gt "$lost0" ] || { echo "# nothing recovered by polling"; rc=1; }
	[ "$(rec "$S" resets)" = "$resets0" ] || { echo "# a reset was not needed"; rc=1; }
	default_timeouts "$S"
	return $rc
}

# a malformed chain in the middle of a verified load: reset, requeue
reset_during_fio() {
	local resets0 req0 nr0 rc=0
	resets0=$(rec "$S" resets)
	req0=$(rec "$S" requeued)
	nr0=$(rec "$S" needs_reset)
	knob "$S" corrupt_hdr 1
	rec_load "$S"
	rec_wait 120 || rc=1
	show_rec "$S"
	[ "$(rec "$S" resets)" -gt "$resets0" ] || { echo "# no reset"; rc=1; }
	[ "$(rec "$S" requeued)" -gt "$req0" ] || { echo "# nothing requeued"; rc=1; }
	[ "$(rec "$S" state)" = live ] || rc=1
	if [ "$1" = needs_reset ]; then
		[ "$(rec "$S" needs_reset)" -gt "$nr0" ] || { echo "# DEVICE_NEEDS_RESET not seen"; rc=1; }
	fi
	dmesg_since | grep -E 'resetting the device|back after a reset' | tail -n 2 | sed 's/^/# /'
	return $rc
}
needs_reset() {
	reset_during_fio needs_reset
}
timeout_reset() {
	local rc=0
	fast_timeouts "$S" 0
	reset_during_fio timeout || rc=1
	default_timeouts "$S"
	return $rc
}

# files written across a reset: intact, and the file system is clean
ext4_reset() {
	local rc=0 resets0 i
	rig_load_ext4
	mkdir -p $M
	# the ext4 test made the file system; alone, this test makes its own
	mount -t ext4 "$F" $M 2>/dev/null ||
		{ mkfs.ext4 -F -q "$F" && mount -t ext4 "$F" $M; } ||
		{ echo "# cannot mount $F"; return 1; }
	[ "$RIG_LAYOUT" = legacy ] && fast_timeouts "$F" 0
	resets0=$(rec "$F" resets)
	dd if=/dev/urandom of=/tmp/rec-src bs=64k count=64 2>/dev/null
	knob "$F" corrupt_hdr 1
	for i in 1 2 3 4; do
		cp /tmp/rec-src $M/rec-$i && sync || rc=1
	done
	echo 3 >/proc/sys/vm/drop_caches
	for i in 1 2 3 4; do
		cmp -s /tmp/rec-src $M/rec-$i || { echo "# rec-$i differs"; rc=1; }
		rm -f $M/rec-$i
	done
	umount $M || rc=1
	show_rec "$F"
	[ "$(rec "$F" resets)" -gt "$resets0" ] || { echo "# no reset"; rc=1; }
	e2fsck -fn "$F" >/tmp/rec-fsck.out 2>&1 || {
		sed 's/^/# /' /tmp/rec-fsck.out | tail -n 10; rc=1; }
	default_timeouts "$F"
	return $rc
}

# recovery fails under a mounted file system: the writer's fsync gets EIO
# in bounded time, the disk is dead, later I/O fails at once, umount works
dead_disk() {
	local rc=0 t0 t
	rig_load_ext4
	mkfs.ext4 -F -q "$S" || return 1
	mkdir -p $M && mount -t ext4 "$S" $M || return 1
	echo before >$M/before && sync
	fast_timeouts "$S" 0
	knob "$S" fail_reset 1
	knob "$S" corrupt_hdr 1
	t0=$(date +%s)
	if timeout 60 dd if=/dev/zero of=$M/after bs=4k count=4 conv=fsync 2>/tmp/rec-dd.err; then
		echo "# the write and its fsync succeeded"
		rc=1
	fi
	t=$(($(date +%s) - t0))
	echo "# write + fsync: $(grep -m1 error /tmp/rec-dd.err) after ${t}s"
	[ $t -lt 60 ] || { echo "# the write hung"; rc=1; }
	show_rec "$S"
	[ "$(rec "$S" state)" = dead ] || rc=1
	dmesg_since | grep -q 'the disk is dead' || { echo "# no message"; rc=1; }
	t0=$(date +%s)
	! timeout 10 dd if="$S" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null || rc=1
	echo "# a later read failed after $(($(date +%s) - t0))s"
	timeout 30 umount $M || { echo "# umount failed"; rc=1; }
	return $rc
}

# the driver unloads with a dead disk and the new probe brings it back
reload_after_dead() {
	local n
	rmmod "$B" || return 1
	rig_modprobe "$B" || return 1
	n=$(rig_wait_disk scratch 50) || return 1
	dd if="$n" of=/dev/null bs=4k count=16 iflag=direct 2>/dev/null
}

# QEMU's throttle on the null1 disk (drive d3): $1 bytes/s, 0 lifts it
throttle() {
	rig_qmp "{\"execute\": \"block_set_io_throttle\", \"arguments\": {\"device\": \"d3\", \"bps\": $1, \"bps_rd\": 0, \"bps_wr\": 0, \"iops\": 0, \"iops_rd\": 0, \"iops_wr\": 0}}"
}
# a read held by the device past several timeouts completes once the
# device answers; $1 is timeout_rounds (ours)
stuck() {
	local d rc=0 pid i=0 t0 resets0=0
	d=$(rig_disk_by_serial null1) || { echo "# no null1 disk"; return 1; }
	echo 1000 >"$(sys "$d")/queue/io_timeout"
	[ "$B" = vblk ] && { echo "$1" >/sys/module/vblk/parameters/timeout_rounds; resets0=$(rec "$d" resets); }
	throttle 512
	sleep 2
	# the first 64k passes the throttle's bucket, the second waits ~128 s
	t0=$(date +%s)
	dd if="$d" of=/dev/null bs=64k count=4 iflag=direct 2>/tmp/rec-stuck.err &
	pid=$!
	sleep 5
	if ! kill -0 $pid 2>/dev/null; then
		echo "# the read was not held: throttle not applied?"
		rc=1
	fi
	throttle 0
	while kill -0 $pid 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		echo "# the read still hangs 60 s after the device came back"
		kill -9 $pid
		rc=1
	fi
	wait $pid || { echo "# the read failed: $(tail -n 1 /tmp/rec-stuck.err)"; rc=1; }
	echo "# read done after $(($(date +%s) - t0)) s"
	if [ "$B" = vblk ]; then
		show_rec "$d"
		[ "$(rec "$d" timeouts)" -gt 0 ] || { echo "# no timeout seen"; rc=1; }
		[ "$(rec "$d" failed)" = 0 ] || rc=1
		if [ "$1" = 0 ]; then
			[ "$(rec "$d" resets)" -gt "$resets0" ] || { echo "# no reset"; rc=1; }
		else
			[ "$(rec "$d" resets)" = "$resets0" ] || { echo "# an unneeded reset"; rc=1; }
		fi
		echo 2 >/sys/module/vblk/parameters/timeout_rounds
	fi
	echo 30000 >"$(sys "$d")/queue/io_timeout"
	dmesg_since | grep -iE 'hung|blocked for more' | sed 's/^/# /'
	return $rc
}

# soak_round KNOB VALUE: one verified fio run on $S with the fault knob
# armed first (a fast load could end before a later write)
soak_round() {
	knob "$S" "$1" "$2"
	rec_load "$S" || return 1
	rec_wait 120 || return 1
	[ "$(knob_get "$S" "$1")" = 0 ] || { echo "# $1 not used up: $(knob_get "$S" "$1")"; return 1; }
}

# soak_rounds N: timeout_rounds on the legacy layout (modern devices say
# when they need a reset)
soak_rounds() {
	[ "$RIG_LAYOUT" != legacy ] || echo "$1" >/sys/module/vblk/parameters/timeout_rounds
}

# soak_may_reset: whether a forced reset now keeps to 4 in any 65 s (vblk
# declares the disk dead at a 6th within its minute); SOAK_T holds the
# times of the last four, soak_reset_at adds one
soak_may_reset() {
	# shellcheck disable=SC2086
	set -- $SOAK_T
	[ $# -lt 4 ] || awk -v o="$1" -v n="$(uptime_s)" 'BEGIN { exit !(n - o >= 65) }'
}
soak_reset_at() {
	# shellcheck disable=SC2086
	set -- $SOAK_T
	[ $# -lt 4 ] || shift
	SOAK_T="$* $(uptime_s)"
}

# at least $1 forced resets and $1 dropped-interrupt bursts, each under its
# own fio --verify; a burst round whenever a reset would come too soon
soak() {
	local n=$1 rc=0 t0 r0 q0 nr0 l0 to0 d r q nr l resets=0 bursts=0
	S=$(rig_disk_by_serial scratch) || return 1
	d=${S#/dev/}
	fast_timeouts "$S"
	r0=$(rec "$S" resets) q0=$(rec "$S" requeued) nr0=$(rec "$S" needs_reset)
	l0=$(rec "$S" lost_irqs_recovered) to0=$(rec "$S" timeouts)
	SOAK_T=
	t0=$(uptime_s)
	while [ $rc = 0 ] && { [ $resets -lt "$n" ] || [ $bursts -lt "$n" ]; }; do
		if [ $resets -lt "$n" ] && soak_may_reset; then
			soak_reset_at
			resets=$((resets + 1))
			# the legacy device stops silently: the first timeout resets it
			soak_rounds 0
			soak_round corrupt_hdr 1 || { echo "# reset round $resets failed"; rc=1; }
		else
			bursts=$((bursts + 1))
			# a slow request is no reason for a reset here
			soak_rounds 2
			soak_round drop_irqs $((4 + bursts % 8)) ||
				{ echo "# drop_irqs round $bursts failed"; rc=1; }
		fi
	done
	echo "# $resets forced resets, $bursts bursts of dropped interrupts, each under fio --verify: $(elapsed "$t0") s"
	show_rec "$S"
	r=$(($(rec "$S" resets) - r0)) q=$(($(rec "$S" requeued) - q0))
	nr=$(($(rec "$S" needs_reset) - nr0)) l=$(($(rec "$S" lost_irqs_recovered) - l0))
	echo "# $d: resets +$r, requeued +$q, needs_reset +$nr, lost_irqs_recovered +$l, timeouts +$(($(rec "$S" timeouts) - to0))"
	[ "$r" -ge "$resets" ] || { echo "# fewer resets than forced"; rc=1; }
	[ "$q" -ge "$r" ] || { echo "# fewer requests sent again than resets"; rc=1; }
	# only the legacy timeout path may reset a slow device unasked
	if [ "$RIG_LAYOUT" != legacy ]; then
		[ "$r" = "$resets" ] || { echo "# a reset that was not forced"; rc=1; }
		[ "$nr" = "$resets" ] || { echo "# DEVICE_NEEDS_RESET not seen each time"; rc=1; }
	fi
	[ "$l" -ge "$bursts" ] || { echo "# fewer lost interrupts recovered than bursts"; rc=1; }
	[ "$(rec "$S" failed)" = 0 ] && [ "$(rec "$S" failed_resets)" = 0 ] || { echo "# failed I/O or resets"; rc=1; }
	[ "$(rec "$S" state)" = live ] || rc=1
	default_timeouts "$S"
	return $rc
}

dmesg_mark
if [ "$B" != vblk ]; then
	# the in-tree driver: only what needs no knobs
	for n in $ALL; do
		case $n in
		stuck_device_waited) tap_check_v $n stuck 100 ;;
		*) tap_skip $n "needs vblk's fault knobs or timeout handler" ;;
		esac
	done
	tap_exit
fi
[ -d "$DBG/${S#/dev/}/fault" ] || skip_all "no $DBG/${S#/dev/}/fault"
tap_check_v slow_completions slow
tap_check_v lost_interrupts_recovered lost_irqs
if [ "$RIG_LAYOUT" = legacy ]; then
	tap_skip needs_reset_recovered "legacy devices have no DEVICE_NEEDS_RESET"
	tap_check_v timeout_reset_recovered timeout_reset
else
	tap_check_v needs_reset_recovered needs_reset
	tap_skip timeout_reset_recovered "QEMU raises DEVICE_NEEDS_RESET on modern devices"
fi
tap_check_v ext4_across_reset ext4_reset
tap_check_v dead_disk_fails_io dead_disk
tap_check_v reload_after_dead reload_after_dead
tap_check_v stuck_device_waited stuck 100
tap_check_v stuck_device_reset stuck 0
if [ "${RECOVERY_LONG:-0}" = 1 ]; then
	tap_check_v soak soak 20
else
	tap_check_v soak soak 1
fi
tap_exit
