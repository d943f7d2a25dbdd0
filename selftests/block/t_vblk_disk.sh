#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Block driver tests beyond the C device tests, driver-agnostic so the
# in-tree lanes run them too: sysfs serial and cache_type (QEMU offers
# CONFIG_WCE, so the mode can be switched), a verified fio load on the
# scratch disk, rmmod refused while a disk is mounted, and for vblk the
# refusal of out-of-range module parameters, its debugfs counters and
# its poll queues (io_uring IOPOLL; the rig gives the scratch disk two
# virtqueues, one of which becomes polled), and its default of no I/O
# scheduler on single-queue disks (io_scheduler=1 brings mq-deadline);
# rq_affinity keeps its block-layer meaning on the single-queue fs disk.
# The hvisor lane's disks have neither CONFIG_WCE nor a second queue:
# the mode switch and the two-queue cases skip there, saying so.
. /rig/lib.sh
tap_plan 17
B=$RIG_BLK_MOD
M=/mnt/vblk

S=$(rig_disk_by_serial scratch) || S=
F=$(rig_disk_by_serial fs) || F=
if [ -z "$S" ] || [ -z "$F" ]; then
	for n in serial_matches cache_type_write_back cache_type_switch \
		cache_type_bad_value_refused fio_verify_crc32c_qd32 \
		rmmod_refused_while_mounted bad_params_refused debugfs_counters \
		poll_queue_hipri multiqueue_used batch_submit_fewer_kicks \
		irq_completions_batched no_scheduler_by_default \
		rmmod_refused_during_fio rq_affinity_honoured \
		suspend_resume_during_fio unbind_during_fio disks_back_after; do
		tap_skip $n "${SCRATCH_REASON:-no disks with serials scratch and fs}"
	done
	exit 0
fi
sys() { echo "/sys/block/${1#/dev/}"; }
# CHECK NAME FN...: a check that needs fio; without fio in the guest (the
# x86_64 guests have none) it is skipped
with_fio() {
	if command -v fio >/dev/null; then
		"$@"
	else
		tap_skip "$2" "no fio in this guest"
	fi
}

serial_matches() {
	echo "# $S: $(cat "$(sys "$S")/serial"), $F: $(cat "$(sys "$F")/serial")"
	[ "$(cat "$(sys "$S")/serial")" = scratch ] &&
		[ "$(cat "$(sys "$F")/serial")" = fs ] &&
		[ "$S" != "$F" ]
}

# cache_type and the queue's write_cache agree on $2
cache_is() {
	local c w
	c=$(cat "$(sys "$1")/cache_type")
	w=$(cat "$(sys "$1")/queue/write_cache")
	echo "# cache_type '$c', queue/write_cache '$w'"
	[ "$c" = "$2" ] && [ "$w" = "$2" ]
}

cache_switch() {
	local a
	a=$(sys "$S")/cache_type
	echo "write through" >"$a" || return 1
	cache_is "$S" "write through" || return 1
	# a write and an fsync in write-through mode still work
	dd if=/dev/urandom of=/tmp/wt bs=4k count=16 2>/dev/null
	dd if=/tmp/wt of="$S" bs=4k conv=fsync 2>/dev/null || return 1
	echo "write back" >"$a" || return 1
	cache_is "$S" "write back" || return 1
	cmp -n 65536 /tmp/wt "$S"
}

cache_bad_value() {
	! echo "write sideways" >"$(sys "$S")/cache_type" 2>/dev/null &&
		cache_is "$S" "write back"
}

# fio writes $1 (randwrite with crc32c in every block, then reads back and
# verifies) with io_uring at QD32, mixed sizes; extra fio options follow
fio_verify() {
	local size=$1 rc
	shift
	command -v fio >/dev/null || { echo "# no fio"; return 1; }
	fio --name=verify --filename="$S" --ioengine=io_uring --iodepth=32 \
		--direct=1 --rw=randwrite --bsrange=4k-128k --size="$size" \
		--verify=crc32c --do_verify=1 --verify_fatal=1 "$@" \
		>/tmp/fio.out 2>&1
	rc=$?
	grep -E 'err=|READ:|WRITE:' /tmp/fio.out | sed 's/^ */# fio: /'
	[ $rc = 0 ] || { tail -n 5 /tmp/fio.out | sed 's/^/# /'; return 1; }
	# both the writes and the verifying reads happened, without errors
	grep -q 'WRITE: bw=' /tmp/fio.out && grep -q 'READ: bw=' /tmp/fio.out &&
		! grep 'err=' /tmp/fio.out | grep -qv 'err= *0'
}

rmmod_mounted() {
	local rc=0
	rig_load_ext4
	mkdir -p $M
	mkfs.ext4 -F -q "$S" || return 1
	mount -t ext4 "$S" $M || return 1
	if rmmod "$B" 2>/dev/null; then
		echo "# rmmod $B succeeded with $S mounted"
		rc=1
	fi
	echo data >$M/f && sync || rc=1
	umount $M || rc=1
	return $rc
}

# insmod with $1 must fail and say why in the kernel log
refused() {
	dmesg_mark
	if insmod "/lib/modules/$(uname -r)/extra/vblk.ko" "$1" 2>/dev/null; then
		rmmod vblk
		echo "# accepted: $1"
		return 1
	fi
	dmesg_since | grep -q "${1%%=*}" || { echo "# no message for $1"; return 1; }
}
bad_params() {
	rmmod "$B" || return 1
	refused "queue_depth=4097" && refused "queue_depth=-1" &&
		refused "num_request_queues=1025" && refused "num_request_queues=x" &&
		refused "io_scheduler=maybe"
	local rc=$?
	rig_modprobe "$B"
	rig_wait_disk scratch 50 >/dev/null
	return $rc
}

DBG=/sys/kernel/debug/vblk
dbg_mount() {
	[ -d /sys/kernel/debug/block ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	true
}
# the queues file of the scratch disk: I/O is counted, nothing in flight
debugfs_counters() {
	local q=$DBG/${S#/dev/}/queues
	dbg_mount
	[ -f "$q" ] || { echo "# no $q"; return 1; }
	dd if="$S" of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null
	sed 's/^/# /' "$q"
	sed 's/^/# /' "$DBG/${S#/dev/}/config"
	awk '$1 == "total" && $2 > 0 && $2 == $3 && $4 == 0 && $5 > 0 { ok = 1 } END { exit !ok }' "$q"
}
# reload with one poll queue: polled I/O completes and is counted as such
poll_hipri() {
	local q rc=0 d
	rmmod "$B" || return 1
	modprobe "$B" poll_queues=1 || return 1
	d=$(rig_wait_disk scratch 50) || return 1
	S=$d
	q=$DBG/${S#/dev/}/queues
	echo "# io_poll=$(cat "$(sys "$S")/queue/io_poll")"
	grep -q '^queues: 2 (1 polled)' "$DBG/${S#/dev/}/config" || {
		sed 's/^/# /' "$DBG/${S#/dev/}/config"; rc=1; }
	[ $rc = 0 ] && { fio_verify 8M --hipri=1 || rc=1; }
	sed 's/^/# /' "$q"
	[ $rc = 0 ] && awk '$1 ~ /^req_poll/ && $6 > 0 { ok = 1 } END { exit !ok }' "$q" || rc=1
	rmmod "$B" && rig_modprobe "$B" || rc=1
	S=$(rig_wait_disk scratch 50) || rc=1
	return $rc
}
nr_hwq() { ls -d "$(sys "$1")"/mq/* | wc -l; }
sched_of() { sed -n 's/.*\[\(.*\)\].*/\1/p' "$(sys "$1")/queue/scheduler"; }
# a single-queue disk (the fs disk) starts with no I/O scheduler, and
# with io_scheduler=1 with the kernel's default, mq-deadline
no_sched() {
	local d rc=0
	echo "# $F: $(cat "$(sys "$F")/queue/scheduler")"
	[ "$(sched_of "$F")" = none ] || rc=1
	rmmod "$B" || return 1
	modprobe "$B" io_scheduler=1 || return 1
	d=$(rig_wait_disk fs 50) || return 1
	echo "# io_scheduler=1: $d: $(cat "$(sys "$d")/queue/scheduler")"
	[ "$(sched_of "$d")" = mq-deadline ] || rc=1
	rmmod "$B" && rig_modprobe "$B" || rc=1
	rig_wait_disk scratch 50 >/dev/null || rc=1
	F=$(rig_wait_disk fs 50) || rc=1
	return $rc
}
# the fio load spread over both interrupt-driven queues of the scratch disk
multiqueue_used() {
	local q=$DBG/${S#/dev/}/queues
	fio_verify 8M --numjobs=2 --offset_increment=16M --cpus_allowed_policy=split --cpus_allowed=0-1 || return 1
	sed 's/^/# /' "$q"
	[ "$(awk '$1 ~ /^req\./ && $2 > 0' "$q" | wc -l)" -ge 2 ]
}

# the verified load in the background on the scratch disk (lib.sh's
# fio_bg; fio_wait waits for it), output in /tmp/bg.out
bg_load() {
	fio_bg /tmp/bg.out "$S" --name=bg --filename="$S" --ioengine=io_uring \
		--iodepth=32 --direct=1 --rw=randwrite --bsrange=4k-128k --size=16M \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --loops=4 "$@"
}

# rmmod of the block driver is refused while fio has the disk open, and
# the verified load completes
rmmod_during_fio() {
	local rc=0
	bg_load
	if rmmod "$B" 2>/dev/null; then
		echo "# rmmod $B succeeded under fio"
		rc=1
	fi
	fio_wait 120 || { tail -n 5 /tmp/bg.out | sed 's/^/# /'; rc=1; }
	[ -d "/sys/module/$B" ] || rig_modprobe "$B"
	return $rc
}

# s2idle with pm_test=devices: every driver's suspend (virtio: freeze) and
# resume (restore) run while fio has I/O in flight; fio's data verifies
suspend_during_fio() {
	local rc=0
	[ -w /sys/power/pm_test ] || { echo "# no /sys/power/pm_test"; return 1; }
	bg_load
	echo devices >/sys/power/pm_test &&
		echo freeze >/sys/power/state || rc=1
	echo none >/sys/power/pm_test
	fio_wait 120 || { tail -n 5 /tmp/bg.out | sed 's/^/# /'; rc=1; }
	dmesg | grep -E 'PM: suspend (entry|exit)' | tail -n 2 | sed 's/^/# /'
	return $rc
}

# the block driver unbound from the scratch disk under fio: fio ends (with
# errors), nothing hangs; bound again, the disk is back
unbind_during_fio() {
	local dev rc=0
	dev=$(basename "$(readlink -f "$(sys "$S")/device")")
	echo "# $S is $dev"
	bg_load --verify_fatal=0 --continue_on_error=none
	echo "$dev" >"/sys/bus/virtio/drivers/$B/unbind" || rc=1
	fio_wait 60
	[ $? = 124 ] && rc=1
	tail -n 2 /tmp/bg.out | sed 's/^/# /'
	echo "$dev" >"/sys/bus/virtio/drivers/$B/bind" || rc=1
	rig_wait_disk scratch 50 >/dev/null || { echo "# scratch did not come back"; rc=1; }
	return $rc
}

# io_uring submitting 16 at a time: blk-mq hands the driver whole batches
# (queue_rqs or queue_rq with commit_rqs), so the device is notified less
# often than requests are dispatched; the data still verifies.  The
# notifications are the transport's count (vmmio's debugfs), which is
# where a kick is paid.
VINFO=/sys/kernel/debug/vmmio/$(rig_platdev_of scratch 2>/dev/null)/info
kick_counts() {
	awk '$1 == "total" { print $2 }' "$DBG/${S#/dev/}/queues"
	rig_vmmio_notifications "$VINFO"
}
batch_kicks() {
	local d0 n0 d n
	# shellcheck disable=SC2046
	set -- $(kick_counts)
	d0=$1 n0=$2
	fio_verify 8M --iodepth_batch_submit=16 --iodepth_batch_complete_min=1 || return 1
	# shellcheck disable=SC2046
	set -- $(kick_counts)
	d=$(($1 - d0)) n=$(($2 - n0))
	echo "# requests dispatched $d, notifications $n"
	[ "$d" -gt "$n" ]
}

# rq_affinity, as the block layer defines it: 1 (the default) completes a
# request near the CPU that submitted it, 2 on that CPU.  With the disk's
# interrupt pinned to CPU0 and 4k direct reads submitted on CPU1, every
# completion must take the block layer's remote path, which ends in a
# BLOCK softirq: on CPU1 through an IPI, or (1, CPUs sharing a cache, one
# hardware queue) on CPU0.  So BLOCK softirqs grow by about one a read,
# and with 2 on CPU1.  A driver that ends every completion in its
# interrupt handler raises none.
AFF_READS=400
block_softirqs() { awk '$1 == "BLOCK:" { print $2, $3 }' /proc/softirqs; }
aff_reads() { # RQ_AFFINITY: prints the BLOCK softirqs on CPU0 and CPU1 the reads caused
	local a0 a1
	echo "$1" >"$(sys "$F")/queue/rq_affinity" || return 1
	# shellcheck disable=SC2046
	set -- $(block_softirqs)
	a0=$1 a1=$2
	taskset 2 dd if="$F" of=/dev/null bs=4k count=$AFF_READS iflag=direct 2>/dev/null || return 1
	# shellcheck disable=SC2046
	set -- $(block_softirqs)
	echo "$(($1 - a0)) $(($2 - a1))"
}
rq_affinity() {
	local irq old_aff old_rq rc=0 one two
	irq=$(rig_disk_irq "$F")
	old_aff=$(cat "/proc/irq/$irq/smp_affinity")
	old_rq=$(cat "$(sys "$F")/queue/rq_affinity")
	echo 1 >"/proc/irq/$irq/smp_affinity" || return 1
	one=$(aff_reads 1) || rc=1
	two=$(aff_reads 2) || rc=1
	echo "$old_rq" >"$(sys "$F")/queue/rq_affinity"
	echo "$old_aff" >"/proc/irq/$irq/smp_affinity"
	echo "# irq $irq, $AFF_READS reads on CPU1; BLOCK softirqs on CPU0 CPU1: rq_affinity=1: $one, rq_affinity=2: $two"
	[ $rc = 0 ] || return 1
	# shellcheck disable=SC2086
	set -- $one $two
	[ $(($1 + $2)) -ge $((AFF_READS / 2)) ] && [ "$4" -ge $((AFF_READS / 2)) ]
}
aff_skip() {
	[ "$(grep -c '^processor' /proc/cpuinfo)" -ge 2 ] || { echo "one CPU"; return; }
	[ "$(nr_hwq "$F")" = 1 ] || { echo "the fs disk has $(nr_hwq "$F") hardware queues"; return; }
	[ -n "$(rig_disk_irq "$F")" ] || { echo "no interrupt line named after the fs disk's device"; return; }
	command -v taskset >/dev/null || echo "no taskset"
}

# QD32 on the scratch disk (no I/O scheduler): the interrupt path ends
# every completion it finds (no errors here) in a batch.  With rq_affinity
# 0, that is: with 1 (the default) a completion whose submitter ran on the
# other CPU takes the block layer's remote path, which on a single-queue
# disk (the hvisor lane's) is its softirq, outside any batch
irq_batch_counts() {
	awk '$1 == "total" { print $3, $5, $11 }' "$DBG/${S#/dev/}/queues"
}
irq_batch() {
	local before after aff rc=0
	aff=$(cat "$(sys "$S")/queue/rq_affinity")
	echo 0 >"$(sys "$S")/queue/rq_affinity" || return 1
	before=$(irq_batch_counts)
	fio_verify 8M || rc=1
	echo "$aff" >"$(sys "$S")/queue/rq_affinity"
	[ $rc = 0 ] || return 1
	sed 's/^/# /' "$DBG/${S#/dev/}/queues"
	after=$(irq_batch_counts)
	echo "$before $after" | awk '{
		c = $4 - $1; i = $5 - $2; b = $6 - $3
		printf "# completions %d, interrupts %d, ended in batches %d\n", c, i, b
		exit !(b > 0 && b == c) }'
}

tap_check serial_matches serial_matches
tap_check cache_type_write_back cache_is "$S" "write back"
if rig_disk_feature "$S" 11; then
	tap_check cache_type_switch cache_switch
else
	tap_skip cache_type_switch "the device offers no CONFIG_WCE: cache_type is fixed"
fi
tap_check cache_type_bad_value_refused cache_bad_value
with_fio tap_check_v fio_verify_crc32c_qd32 fio_verify 32M
tap_check rmmod_refused_while_mounted rmmod_mounted
if [ "$B" = vblk ]; then
	tap_check bad_params_refused bad_params
	S=$(rig_disk_by_serial scratch)
	tap_check_v debugfs_counters debugfs_counters
	if [ "$(ls -d /sys/block/${S#/dev/}/mq/* | wc -l)" -ge 2 ]; then
		with_fio tap_check_v multiqueue_used multiqueue_used
		with_fio tap_check_v poll_queue_hipri poll_hipri
	else
		tap_skip multiqueue_used "the scratch disk has one virtqueue"
		tap_skip poll_queue_hipri "the scratch disk has one virtqueue"
	fi
	if [ "$(nr_hwq "$F")" = 1 ]; then
		tap_check_v no_scheduler_by_default no_sched
	else
		tap_skip no_scheduler_by_default "the fs disk has $(nr_hwq "$F") hardware queues"
	fi
	S=$(rig_wait_disk scratch 50)
	dbg_mount
	if [ -f "$VINFO" ]; then
		with_fio tap_check_v batch_submit_fewer_kicks batch_kicks
	else
		tap_skip batch_submit_fewer_kicks "the transport counts no notifications"
	fi
	with_fio tap_check_v irq_completions_batched irq_batch
else
	tap_skip bad_params_refused "vblk's own parameters"
	tap_skip debugfs_counters "vblk's own debugfs"
	tap_skip multiqueue_used "vblk's own debugfs counts per queue"
	tap_skip poll_queue_hipri "vblk's own debugfs counts polls"
	tap_skip batch_submit_fewer_kicks "vblk's own debugfs counts dispatches"
	tap_skip irq_completions_batched "vblk's own debugfs counts batches"
	tap_skip no_scheduler_by_default "vblk's own default"
fi
S=$(rig_wait_disk scratch 50)
with_fio tap_check_v rmmod_refused_during_fio rmmod_during_fio
F=$(rig_wait_disk fs 50)
why=$(aff_skip)
if [ -z "$why" ]; then
	tap_check_v rq_affinity_honoured rq_affinity
else
	tap_skip rq_affinity_honoured "$why"
fi
with_fio tap_check_v suspend_resume_during_fio suspend_during_fio
with_fio tap_check_v unbind_during_fio unbind_during_fio
tap_check disks_back_after rig_wait_disk scratch 50
tap_exit
