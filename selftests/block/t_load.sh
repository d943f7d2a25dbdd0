#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Load on four disks with two hardware queues each: the scratch disk and
# the lane's three "load" disks (raw files, num-queues=2).  fio writes
# mixed sizes at QD32 with crc32c verification, one job per CPU on each
# disk so that both queues of every disk carry I/O; then the same through
# poll queues (io_uring --hipri, the block driver reloaded with
# poll_queues=1); then one disk's driver is unbound in the middle of the
# load: its fio ends with errors, the other three verify, nothing hangs,
# and the disk comes back on bind.  A disk whose device offers one queue
# (no VIRTIO_BLK_F_MQ: the hvisor lane's scratch disk) skips the two
# checks that need a second queue, the count and the poll queue; the load
# runs on it all the same.  Driver-agnostic (the in-tree virtio_blk has
# the same poll_queues parameter).
. /rig/lib.sh
tap_plan 6
ALL="four_disks_two_queues fio_verify_4x2_qd32 queues_all_used fio_hipri_poll_queues unbind_one_under_load others_unaffected"
B=$RIG_BLK_MOD
SERIALS="scratch load1 load2 load3"
DBG=/sys/kernel/debug

disks() {
	local s d all=
	for s in $SERIALS; do
		d=$(rig_wait_disk "$s" 50) || return 1
		all="$all${all:+ }$d"
	done
	echo "$all"
}
D=$(disks) || {
	tap_skip_all "${SCRATCH_REASON:-no disks with serials $SERIALS (the one-device and microvm lanes have none)}" $ALL
	exit 0
}
command -v fio >/dev/null || {
	tap_skip_all "no fio in this guest" $ALL
	exit 0
}
[ -d $DBG/block ] || mount -t debugfs none $DBG 2>/dev/null
# the serials of the disks whose device offers no VIRTIO_BLK_F_MQ (bit 12)
ONEQ=
for d in $D; do
	rig_disk_feature "$d" 12 || ONEQ="$ONEQ${ONEQ:+ }$(cat "/sys/block/${d#/dev/}/serial")"
done
# CHECK NAME FN...: a check that needs two queues on every disk
two_queued() {
	if [ -z "$ONEQ" ]; then
		"$@"
	else
		tap_skip "$2" "no VIRTIO_BLK_F_MQ on $ONEQ: one queue"
	fi
}

nhw() { ls -d "/sys/block/${1#/dev/}/mq/"* 2>/dev/null | wc -l; }
two_queues() {
	local d rc=0
	for d in $D; do
		echo "# $d: $(cat "/sys/block/${d#/dev/}/serial"), $(nhw "$d") hardware queues"
		[ "$(nhw "$d")" -ge 2 ] || rc=1
	done
	return $rc
}

# fio job sections for the disks $1, each 2 jobs (one per CPU) writing
# their own 4 MiB with verification; more global options (lines) follow
job_file() {
	local d=$1 o
	shift
	printf '[global]\nioengine=io_uring\ndirect=1\niodepth=32\nrw=randwrite\n'
	printf 'bsrange=4k-64k\nsize=4M\nnumjobs=2\noffset_increment=4M\n'
	printf 'cpus_allowed=0-1\ncpus_allowed_policy=split\n'
	printf 'verify=crc32c\ndo_verify=1\nverify_fatal=1\n'
	for o in "$@"; do echo "$o"; done
	set -- $d
	for d in "$@"; do
		printf '[%s]\nfilename=%s\n' "${d#/dev/}" "$d"
	done
}

# requests each hardware queue of disk $1 took, on one line: blk-mq's
# debugfs counts them up to 6.1 ("queued"), vblk's debugfs per virtqueue
# ("dispatched"); "?" where neither is there (6.12's in-tree driver)
queued() {
	local h q=$DBG/vblk/${1#/dev/}/queues
	if [ -f "$DBG/block/${1#/dev/}/hctx0/queued" ]; then
		for h in "$DBG/block/${1#/dev/}"/hctx*; do cat "$h/queued"; done | tr '\n' ' '
	elif [ -f "$q" ]; then
		awk '$1 ~ /^req/ { printf "%s ", $2 }' "$q"
	else
		echo "?"
	fi
}
queued_all() { for d in $D; do echo "$d: $(queued "$d")"; done; }

# the checks run in subshells (tap_check): state between them goes
# through files, and the disks are looked up again by serial
fio_4x2() {
	job_file "$D" "$@" >/tmp/load.fio
	queued_all >/tmp/load.q0
	timeout 300 fio /tmp/load.fio >/tmp/load.out 2>&1
	local rc=$?
	fio_clean /tmp/load.out || rc=1
	[ $rc = 0 ] || tail -n 5 /tmp/load.out | sed 's/^/# /'
	[ $rc = 0 ] && grep -q 'WRITE: bw=' /tmp/load.out &&
		grep -q 'READ: bw=' /tmp/load.out
}

# every hardware queue of every disk took requests during the load (where
# the kernel's blk-mq debugfs counts them: "queued")
queues_used() {
	queued_all >/tmp/load.q1
	sed 's/^/# before: /' /tmp/load.q0
	sed 's/^/# after:  /' /tmp/load.q1
	if grep -q '?' /tmp/load.q1; then
		echo "# no per-queue request counts in this kernel's debugfs"
		return 0
	fi
	# each count on each line grew
	awk 'NR == FNR { for (i = 2; i <= NF; i++) b[FNR, i] = $i; next }
		{ for (i = 2; i <= NF; i++) if ($i <= b[FNR, i]) bad = 1 }
		END { exit bad }' /tmp/load.q0 /tmp/load.q1
}

# reload the block driver with one poll queue per disk and run the load
# with --hipri: the disks' io_poll is on and the verified I/O completes
hipri() {
	local d rc=0
	rmmod "$B" || return 1
	modprobe "$B" poll_queues=1 || return 1
	D=$(disks) || { echo "# the disks did not come back"; return 1; }
	for d in $D; do
		echo "# $d io_poll=$(cat "/sys/block/${d#/dev/}/queue/io_poll")"
		[ "$(cat "/sys/block/${d#/dev/}/queue/io_poll")" = 1 ] || rc=1
	done
	fio_4x2 hipri || rc=1
	rmmod "$B" && modprobe "$B" || rc=1
	D=$(disks) || { echo "# the disks did not come back"; rc=1; }
	return $rc
}

# fio on all four, each disk its own fio process; the first disk's driver
# is unbound once I/O runs on every disk
unbind_one() {
	local d dev first rest pids='' rc=0 i=0
	D=$(disks) || { echo "# the disks are not all there"; return 1; }
	first=${D%% *}
	rest=${D#* }
	dev=$(basename "$(readlink -f "/sys/block/${first#/dev/}/device")")
	for d in $D; do
		if [ "$d" = "$first" ]; then
			job_file "$d" size=16M offset_increment=16M verify_fatal=0
		else
			job_file "$d" size=16M offset_increment=16M
		fi >/tmp/load.$i.fio
		fio /tmp/load.$i.fio >/tmp/load.$i.out 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	rig_io_moved "$D" "$(rig_ios_of "$D")" 200 || echo "# I/O did not start on every disk"
	echo "# unbinding $first ($dev)"
	echo "$dev" >"/sys/bus/virtio/drivers/$B/unbind" || rc=1
	# every fio ends: the unbound disk's with errors, the others' clean
	i=0
	for p in $pids; do
		local n=0
		while kill -0 "$p" 2>/dev/null && [ $n -lt 1200 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		if kill -0 "$p" 2>/dev/null; then
			echo "# fio on disk $i still running after 120 s"
			kill -9 "$p"
			rc=1
		fi
		wait "$p"
		echo "# fio on disk $i: exit $?"
		i=$((i + 1))
	done
	echo "$dev" >"/sys/bus/virtio/drivers/$B/bind" || rc=1
	rig_wait_disk scratch 50 >/dev/null || { echo "# $first did not come back"; rc=1; }
	return $rc
}
# the three other disks' fio runs verified without an error
others_ok() {
	local i rc=0
	for i in 1 2 3; do
		[ -f /tmp/load.$i.out ] || { echo "# no fio output for disk $i"; return 1; }
		fio_clean /tmp/load.$i.out || rc=1
		grep -q 'READ: bw=' /tmp/load.$i.out || rc=1
	done
	return $rc
}

rm -f /tmp/load.*
two_queued tap_check_v four_disks_two_queues two_queues
tap_check_v fio_verify_4x2_qd32 fio_4x2
tap_check_v queues_all_used queues_used
two_queued tap_check_v fio_hipri_poll_queues hipri
tap_check_v unbind_one_under_load unbind_one
tap_check_v others_unaffected others_ok
tap_exit
