#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Odd device configurations (issue #8): the odd lanes (tools/check/check-odd.sh)
# give the guest one extra virtio-blk disk per odd QEMU property, serial
# odd-*, and plain ones up to the board's 32 virtio-mmio slots
# (odd-many-N, ODD_MANY of them, from rig.env).  Each must be served
# correctly (I/O within the disk, write/read-back on the writable ones,
# the queue count and the discard limits the device asked for, capped
# where the driver caps them) or refused with a clear message, and the
# scratch disk keeps working beside them.  Driver-agnostic: the in-tree
# lanes run it too.  Other lanes have no odd disks: every case skips.
. /rig/lib.sh

CASES="odd_disks_present many_disks_read scratch_still_works qs4_parallel_io
qs1024_io nq1_one_queue nq8_queues_capped_to_cpus segadj_io
dgran1536_discard dgran12k_discard maxdz1_discard zero_size_disk
tiny_disk_two_sectors rodiscard_refuses_writes rodiscard_refuses_discard
no_warn_in_log"
tap_plan "$(echo $CASES | wc -w)"
if [ -z "$ODD_MANY" ] || [ -n "$SCRATCH_REASON" ]; then
	tap_skip_all "${SCRATCH_REASON:-no odd disks in this lane (tools/check/check-odd.sh)}" $CASES
	exit 0
fi

ODD="odd-qs4 odd-qs1024 odd-nq1 odd-nq8 odd-segadj odd-dgran1536 odd-dgran12k
odd-maxdz1 odd-zero odd-tiny odd-rodiscard"
# the odd disks probe beside the scratch disk; give the last ones time
rig_wait_disk odd-rodiscard 100 >/dev/null
rig_wait_disk "odd-many-$((ODD_MANY - 1))" 100 >/dev/null

# serial -> /dev node, read once: each serial read is a GET_ID request,
# and 30 disks make rig_disk_by_serial slow to call again and again
SERMAP=$(for s in /sys/block/vd*/serial; do
	d=${s%/serial}
	echo "$(cat "$s") /dev/${d##*/}"
done)
dev_of() { echo "$SERMAP" | awk -v s="$1" '$1 == s { print $2; f = 1 } END { exit !f }'; }
# timed CMD...: CMD, then how long it took (the lane has a time budget)
timed() {
	local t0 rc
	t0=$(cut -d' ' -f1 /proc/uptime)
	"$@"
	rc=$?
	echo "# $(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s"
	return $rc
}
sys_of() { echo "/sys/block/${1#/dev/}"; }

present() {
	local s d rc=0
	for s in $ODD; do
		if d=$(dev_of "$s"); then
			echo "# $s: $d, $(blockdev --getsize64 "$d") bytes, $(ls "$(sys_of "$d")/mq" | wc -l) hw queues"
		elif [ "$s" = odd-zero ]; then
			# a driver may refuse a disk of capacity 0: then say so
			echo "# $s: no disk (zero_size_disk looks for the message)"
		else
			echo "# $s: missing"
			rc=1
		fi
	done
	return $rc
}

# write LEN bytes of random data at byte offset OFF with block size BS
# (direct I/O) and read them back equal
rw_at() { # DEV OFF LEN BS [TAG]
	local d=$1 off=$2 len=$3 bs=$4 f=/tmp/odd.${5:-p}
	dd if=/dev/urandom of="$f" bs="$len" count=1 2>/dev/null
	timeout 60 dd if="$f" of="$d" bs="$bs" seek=$((off / bs)) oflag=direct conv=notrunc 2>/dev/null ||
		{ echo "# $d: write of $len bytes at $off failed"; return 1; }
	timeout 60 dd if="$d" bs="$bs" skip=$((off / bs)) count=$((len / bs)) iflag=direct 2>/dev/null |
		cmp -s - "$f" || { echo "# $d: $len bytes at $off read back differently"; return 1; }
}

# the usual I/O of a 16 MiB writable disk: 1 MiB requests at both ends,
# single blocks in between
io_16m() { # SERIAL
	local d
	d=$(dev_of "$1") || { echo "# no disk $1"; return 1; }
	[ "$(blockdev --getsize64 "$d")" = $((16 << 20)) ] || { echo "# $d: size $(blockdev --getsize64 "$d")"; return 1; }
	rw_at "$d" 0 $((1 << 20)) $((1 << 20)) &&
		rw_at "$d" $((15 << 20)) $((1 << 20)) 65536 &&
		rw_at "$d" $((8 << 20)) 4096 4096 &&
		rw_at "$d" $(((16 << 20) - 4096)) 4096 4096
}

many() {
	local i=0 d n=0
	while [ $i -lt "$ODD_MANY" ]; do
		if d=$(dev_of "odd-many-$i") &&
			[ "$(timeout 30 dd if="$d" bs=4k count=1 iflag=direct 2>/dev/null | wc -c)" = 4096 ]; then
			n=$((n + 1))
		else
			echo "# odd-many-$i: missing or unreadable"
		fi
		i=$((i + 1))
	done
	echo "# $n of $ODD_MANY plain disks read; $(ls -d /sys/bus/virtio/devices/virtio* | wc -l) virtio devices, expected ${RIG_NVIRTIO:-?}"
	[ $n = "$ODD_MANY" ] && [ "$(ls -d /sys/bus/virtio/devices/virtio* | wc -l)" = "$RIG_NVIRTIO" ]
}

scratch() {
	rw_at "$TEST_DISK" $((4 << 20)) $((1 << 20)) 65536 s &&
		rw_at "$TEST_DISK" $((TEST_DISK_BYTES - 4096)) 4096 4096 s
}

# queue-size=4: a ring of 4 entries (seg_max 2); four writers at once
# must queue behind it, none lost
qs4_parallel() {
	local d i pids=''
	d=$(dev_of odd-qs4) || return 1
	echo "# max_segments $(cat "$(sys_of "$d")/queue/max_segments"), nr_requests $(cat "$(sys_of "$d")/queue/nr_requests")"
	for i in 0 1 2 3; do
		rw_at "$d" $((i * (4 << 20))) $((1 << 20)) 65536 "q$i" &
		pids="$pids $!"
	done
	for i in $pids; do
		wait "$i" || return 1
	done
	io_16m odd-qs4
}

# hardware queues: what the device offers, capped at one per CPU (both
# drivers' default; vblk's num_request_queues and poll_queues are 0)
queues() { # SERIAL OFFERED
	local d n want cpus
	d=$(dev_of "$1") || return 1
	cpus=$(nproc)
	want=$2
	[ "$want" -le "$cpus" ] || want=$cpus
	n=$(ls "$(sys_of "$d")/mq" | wc -l)
	echo "# $1: $n hw queues, device offers $2, $cpus CPUs"
	[ "$n" = "$want" ] && io_16m "$1"
}

# seg-max-adjust=off with queue-size=64: the device says 126 segments, more
# than its ring holds; a driver caps them to the ring (vblk) or carries
# them in indirect descriptors (the in-tree one): 1 MiB requests work
segadj() {
	local d
	d=$(dev_of odd-segadj) || return 1
	echo "# max_segments $(cat "$(sys_of "$d")/queue/max_segments")"
	io_16m odd-segadj
}

# discard limits the device asked for (granularity GRAN, at most MAX
# bytes a request, 0: no check) read back sane, a discard of a range
# aligned to the granularity works, and the data around it is unchanged
discard_check() { # SERIAL GRAN MAX
	local d q g m lbs l off len
	d=$(dev_of "$1") || return 1
	q=$(sys_of "$d")/queue
	g=$(cat "$q/discard_granularity") m=$(cat "$q/discard_max_bytes")
	lbs=$(cat "$q/logical_block_size")
	echo "# $1: discard_granularity $g, discard_max_bytes $m, discard_max_hw_bytes $(cat "$q/discard_max_hw_bytes"), write_zeroes_max_bytes $(cat "$q/write_zeroes_max_bytes"), logical_block_size $lbs"
	[ "$g" = "$2" ] || { echo "# granularity $g, expected $2"; return 1; }
	[ $((g % lbs)) = 0 ] && [ "$m" -ge "$g" ] || { echo "# limits not sane"; return 1; }
	[ "$3" = 0 ] || [ "$(cat "$q/discard_max_hw_bytes")" = "$3" ] || { echo "# max, expected $3"; return 1; }
	# a range of whole granules, with data on both sides: l is the
	# smallest multiple of the granularity that is one of 4096 too
	l=$g
	while [ $((l % 4096)) != 0 ]; do l=$((l + g)); done
	off=$((64 * l)) len=$((4 * l))
	rw_at "$d" $((off - 4096)) 4096 4096 a || return 1
	cp /tmp/odd.a /tmp/odd.before
	rw_at "$d" $((off + len)) 4096 4096 b || return 1
	timeout 60 blkdiscard -o "$off" -l "$len" "$d" || { echo "# blkdiscard -o $off -l $len failed"; return 1; }
	timeout 30 dd if="$d" bs=4096 skip=$(((off - 4096) / 4096)) count=1 iflag=direct 2>/dev/null |
		cmp -s - /tmp/odd.before || { echo "# data before the range changed"; return 1; }
	timeout 30 dd if="$d" bs=4096 skip=$(((off + len) / 4096)) count=1 iflag=direct 2>/dev/null |
		cmp -s - /tmp/odd.b || { echo "# data after the range changed"; return 1; }
	# and the whole disk at once, split by the limits (1 MiB where a
	# request carries one sector: 2048 of them)
	if [ "$3" = 0 ]; then
		timeout 120 blkdiscard "$d"
	else
		timeout 120 blkdiscard -o 0 -l $((1 << 20)) "$d"
	fi || { echo "# blkdiscard of the disk failed"; return 1; }
	io_16m "$1"
}

# capacity 0: the disk is there with size 0, reads give nothing, writes
# fail with an error and nothing hangs; or the driver refused it with a
# message naming the capacity
zero() {
	local d n
	if ! d=$(dev_of odd-zero); then
		dmesg | grep -i 'capacity' | sed 's/^/# /'
		dmesg | grep -qi 'capacity.* 0\b\|zero capacity\|capacity 0'
		return
	fi
	echo "# $d: $(blockdev --getsize64 "$d") bytes"
	[ "$(blockdev --getsize64 "$d")" = 0 ] || return 1
	n=$(timeout 30 dd if="$d" bs=4k count=1 iflag=direct 2>/dev/null | wc -c)
	[ "$n" = 0 ] || { echo "# read $n bytes"; return 1; }
	if timeout 30 dd if=/dev/zero of="$d" bs=4k count=1 oflag=direct 2>/tmp/odd.err; then
		echo "# a write to a disk of size 0 succeeded"
		return 1
	fi
	sed 's/^/# /' /tmp/odd.err
}

# size=1000: QEMU rounds the drive up to whole sectors, 2 of them; both
# read, nothing past them, and they take a write (null-co drops it)
tiny() {
	local d n
	d=$(dev_of odd-tiny) || return 1
	echo "# $d: $(blockdev --getsize64 "$d") bytes"
	[ "$(blockdev --getsize64 "$d")" = 1024 ] || return 1
	n=$(timeout 30 dd if="$d" bs=512 count=4 iflag=direct 2>/dev/null | wc -c)
	[ "$n" = 1024 ] || { echo "# read $n bytes"; return 1; }
	timeout 30 dd if=/dev/zero of="$d" bs=512 count=2 oflag=direct 2>/dev/null ||
		{ echo "# the two sectors do not take a write"; return 1; }
}

# readonly=on with discard offered: writes and discards fail with an error
rod_write() {
	local d
	d=$(dev_of odd-rodiscard) || return 1
	echo "# ro $(cat "$(sys_of "$d")/ro"), discard_max_bytes $(cat "$(sys_of "$d")/queue/discard_max_bytes")"
	[ "$(cat "$(sys_of "$d")/ro")" = 1 ] || return 1
	if timeout 30 dd if=/dev/zero of="$d" bs=4k count=1 seek=8 oflag=direct 2>/tmp/odd.err; then
		echo "# the write succeeded"
		return 1
	fi
	sed 's/^/# /' /tmp/odd.err
	[ "$(timeout 30 dd if="$d" bs=4k count=1 iflag=direct 2>/dev/null | wc -c)" = 4096 ]
}
rod_discard() {
	local d
	d=$(dev_of odd-rodiscard) || return 1
	if timeout 30 blkdiscard -o 0 -l 65536 "$d" 2>/tmp/odd.err; then
		echo "# the discard succeeded"
		return 1
	fi
	sed 's/^/# /' /tmp/odd.err
}

no_warn() {
	local bad
	bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|Call trace:|KASAN|UBSAN' || true)
	[ -z "$bad" ] || { echo "$bad" | head -n 20; return 1; }
	# what the drivers said about the odd disks, if anything
	dmesg | grep -E 'virtio|vblk|vmmio' | grep -iE 'error|refus|invalid|ignor|too large|out of range|using' |
		tail -n 20 | sed 's/^/# /'
}

tap_check_v odd_disks_present timed present
tap_check_v many_disks_read timed many
tap_check_v scratch_still_works timed scratch
tap_check_v qs4_parallel_io timed qs4_parallel
tap_check_v qs1024_io timed io_16m odd-qs1024
tap_check_v nq1_one_queue timed queues odd-nq1 1
tap_check_v nq8_queues_capped_to_cpus timed queues odd-nq8 8
tap_check_v segadj_io timed segadj
tap_check_v dgran1536_discard timed discard_check odd-dgran1536 1536 0
tap_check_v dgran12k_discard timed discard_check odd-dgran12k 12288 0
tap_check_v maxdz1_discard timed discard_check odd-maxdz1 512 512
tap_check_v zero_size_disk timed zero
tap_check_v tiny_disk_two_sectors timed tiny
tap_check_v rodiscard_refuses_writes timed rod_write
tap_check_v rodiscard_refuses_discard timed rod_discard
tap_check_v no_warn_in_log timed no_warn
tap_exit

