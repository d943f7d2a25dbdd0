#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The process serving the disk fails, only on the vhost and nbd lanes:
# their disk is served by the host's qemu-storage-daemon, either as a
# vhost-user-blk device (modern layout only) or through QEMU's NBD client
# behind a virtio-blk device of the lane's layout (both layouts).  The
# lane's host hook kills the daemon (SIGKILL) and starts it again, or
# stops it (SIGSTOP) and continues it (SIGCONT), while a verified fio
# load (crc32c, QD32, writes then reads) runs on the disk; QEMU's socket
# or NBD client reconnects.  The host brings the daemon back on its own
# after the time the guest names: a guest whose driver resets the device
# meanwhile is frozen until the backend answers, and could not ask.
#
#   restart_1s            killed, started again 1 s later
#   restart_after_timeout killed for BACKEND_OUTAGE s (9), longer than
#                         io_timeout (BACKEND_IO_TIMEOUT, 2 s, set on the
#                         disk for the test) and, with vblk, longer than
#                         its timeout_rounds (2): vblk resets the device
#                         while its backend is away
#   slow_backend          stopped for BACKEND_STOP s (5), past io_timeout
#                         but short of a reset: vblk waits (no reset)
#   never_restarted       killed for good; the disk must fail its I/O
#                         with EIO in bounded time, the driver unload, and
#                         a reload find the disk once the daemon is back.
#                         vhost: vblk only (the in-tree driver has no
#                         timeout handler and would wait forever): with
#                         io_timeout 1 s and timeout_rounds 0 vblk resets
#                         the device, QEMU takes the new rings, the device
#                         completes nothing; after two such resets in a
#                         row vblk declares the disk dead (its log says
#                         so) and fails the I/O.  nbd: both drivers; QEMU's
#                         NBD client fails the requests with EIO once its
#                         reconnect-delay (20 s) has passed; io_timeout
#                         stays past that, so no reset freezes the guest
#                         for the rest of the delay.
#
# make check-long runs the first three 5 times each (BACKEND_REPEAT).
# Each load must end with no verify error and no hang (but the last, which
# must end in EIO); each case prints whether I/O resumed, the time from
# the restart to the first completed I/O, the longest stall and vblk's
# recovery counters (debugfs).  hung_task_timeout_secs is 20 s for the
# test, so a task blocked in the kernel through an outage shows; the log
# must be free of warnings.  Driver-agnostic but never_restarted on vhost.
. /rig/lib.sh
tap_plan 7
ALL="io_before_death restart_1s restart_after_timeout slow_backend never_restarted io_after_restart log_clean"
# the disk's serial: the vhost-user export's default, or the one the nbd
# lanes give their virtio-blk device
if D=$(rig_disk_by_serial vhost_user_blk); then
	KIND=vhost SERIAL=vhost_user_blk
elif D=$(rig_disk_by_serial nbd_backend); then
	KIND=nbd SERIAL=nbd_backend
else
	tap_skip_all "${SCRATCH_REASON:-no daemon-served disk (only the vhost and nbd lanes have one)}" $ALL
	exit 0
fi
command -v fio >/dev/null || { tap_skip_all "no fio in this guest" $ALL; exit 0; }
IO_T=${BACKEND_IO_TIMEOUT:-2}
# make check-long (RECOVERY_LONG=1) runs each outage case 5 times
REPEAT=${BACKEND_REPEAT:-1}
[ "${RECOVERY_LONG:-0}" != 1 ] || REPEAT=${BACKEND_REPEAT:-5}
OUTAGE=${BACKEND_OUTAGE:-9}
STOP=${BACKEND_STOP:-5}
dmesg_mark
pat=/tmp/vh.pat
dd if=/dev/urandom of=$pat bs=64k count=16 2>/dev/null
[ -d /sys/kernel/debug/block ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
HUNG=/proc/sys/kernel/hung_task_timeout_secs
hung0=$(cat $HUNG 2>/dev/null) && echo 20 >$HUNG
q() { echo "/sys/block/${D#/dev/}/queue/$1"; }
ROUNDS=/sys/module/vblk/parameters/timeout_rounds
# io_timeout in ms; read-only where the driver has no timeout handler
# (the in-tree virtio_blk), which then waits as long as the device does
io_timeout() { echo "$1" 2>/dev/null >"$(q io_timeout)" || :; }
io_timeout $((IO_T * 1000))


roundtrip() {
	timeout 60 dd if=$pat of="$D" bs=64k seek="$1" oflag=direct conv=notrunc 2>/dev/null || return 1
	timeout 60 dd if="$D" of=/tmp/vh.back bs=64k skip="$1" count=16 iflag=direct 2>/dev/null || return 1
	cmp -s $pat /tmp/vh.back
}

# the host's hook, through the console (tools/guest/qmp-agent.py)
host() { echo "# rig: host $1" >/dev/console; }

# vblk's recovery counters of the disk, one "name value" a line (none for
# the in-tree driver, which has no recovery)
counters() {
	local f=/sys/kernel/debug/vblk/${D#/dev/}/recovery
	[ -r "$f" ] && sed -n 's/^\([a-z_]*\): \([0-9]*\)$/\1 \2/p' "$f"
}
# the counters that moved since $1 (counters' output), as "name +n ..."
moved() {
	counters | awk -v before="$1" 'BEGIN { n = split(before, b, "\n")
		for (i = 1; i <= n; i++) { split(b[i], kv, " "); was[kv[1]] = kv[2] } }
		{ if ($2 != was[$1]) printf "%s +%d ", $1, $2 - was[$1] }'
}
hung_tasks() { dmesg_since | grep -c 'blocked for more than'; }

# the load every case runs on the disk, in the background
load() {
	fio_bg /tmp/vh.fio "$D" --name=vh --filename="$D" --ioengine=io_uring \
		--iodepth=32 --direct=1 --rw=randwrite --bs=4k --size=32M --offset=64M \
		--randrepeat=0 --verify=crc32c --do_verify=1 --verify_fatal=1 --loops="$1"
}

# one 4 KiB read of the disk, bypassing the page cache
read_one() { timeout 30 dd if="$D" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null; }

# outage WORD SECONDS RESETS: the backend goes with the host hook's WORD
# (backend-down-N, backend-stop-N) and the host brings it back SECONDS
# later, under the load; the load must then finish verified, with at most
# RESETS device resets by vblk (no reset storm) and no hung task.  The
# time to the first I/O counts from the backend's return.
outage() {
	local rc=0 t0 n0 c0 h0 m resets hung
	c0=$(counters)
	h0=$(hung_tasks)
	load 2 || { fio_stop 30; return 1; }
	sleep 1
	t0=$(rig_now)
	host "$1"
	# what was on its way back before the backend went
	sleep 0.5
	n0=$(rig_ios "$D")
	if rig_io_moved "$D" "$n0" $((($2 + 120) * 10)); then
		echo "# resumed: first I/O completed $(rig_since "$t0" | awk -v s="$2" '{ printf "%.1f", $1 - s }') s after the backend came back, longest stall $(rig_since "$t0") s"
	else
		echo "# not resumed: no I/O completed in 120 s after the backend came back"
		rc=1
	fi
	fio_wait 240 || rc=$?
	echo "# fio ended $(rig_since "$t0") s after the backend went, rc $rc"
	m=$(moved "$c0")
	echo "# vblk's counters: ${m:-none moved}"
	resets=$(echo "$m" | awk '{ for (i = 1; i < NF; i++) if ($i == "resets") print $(i + 1) + 0 }')
	if [ "${resets:-0}" -gt "$3" ]; then
		echo "# $resets resets, more than the $3 this outage may take"
		rc=1
	fi
	hung=$(($(hung_tasks) - h0))
	echo "# hung-task warnings: $hung"
	[ $hung -eq 0 ] || rc=1
	fio_clean /tmp/vh.fio || rc=1
	[ $rc -eq 0 ]
}

# never_restarted: the backend is killed for good under the load
never() {
	local rc=0 t0 c0 h0 fio_rc=0 mod i m rounds=''
	c0=$(counters)
	h0=$(hung_tasks)
	if [ $KIND = vhost ]; then
		# vblk must give the disk up by itself
		io_timeout 1000
		rounds=$(cat $ROUNDS)
		echo 0 >$ROUNDS
	else
		# QEMU's NBD client fails the I/O after its reconnect-delay;
		# a reset before that would freeze the guest until then
		io_timeout 60000
	fi
	load 1 || { fio_stop 30; return 1; }
	sleep 1
	t0=$(rig_now)
	host backend-kill
	# within the hung-task limit, else a task stuck on the disk would
	# warn before the disk fails
	fio_wait 90 || fio_rc=$?
	echo "# fio ended $(rig_since "$t0") s after the backend went, rc $fio_rc"
	m=$(moved "$c0")
	echo "# vblk's counters: ${m:-none moved}"
	[ -z "$rounds" ] || echo "$rounds" >$ROUNDS
	io_timeout $((IO_T * 1000))
	if [ "$fio_rc" -eq 124 ]; then
		# the disk was not given up: the backend comes back so that
		# the I/O stuck on it completes and the lane goes on
		echo "# no EIO within 90 s: the I/O waits for the backend"
		host backend-start
		return 1
	fi
	grep -q 'err= *5' /tmp/vh.fio || { echo "# fio did not get EIO"; grep -E 'err=' /tmp/vh.fio | sed 's/^/# /'; rc=1; }
	# vhost: given up because the device served nothing across resets,
	# the rule that bounds the wait at any timeout setting
	if [ $KIND = vhost ] && ! dmesg_since | grep -q 'completed nothing after'; then
		echo "# not given up for completing nothing across resets:"
		dmesg_since | grep -E 'resets|dead' | tail -n 3 | sed 's/^/# /'
		rc=1
	fi
	if read_one; then
		echo "# a read of the dead disk succeeded"
		rc=1
	fi
	# the driver unloads with the disk dead, then the backend comes back
	# and a reload probes the disk afresh
	mod=$RIG_BLK_MOD
	timeout 60 rmmod "$mod" || { echo "# rmmod $mod failed or hung"; return 1; }
	host backend-start
	sleep 2
	# shellcheck disable=SC2046
	rig_modprobe "$mod" $(rig_mod_args "$mod") || { echo "# modprobe $mod failed"; return 1; }
	D=$(rig_wait_disk $SERIAL 300) || { echo "# no $KIND disk after the reload"; return 1; }
	rig_wait_path "$D" 50
	# QEMU's NBD client reconnects at its next try, up to 16 s apart
	t0=$(rig_now)
	i=0
	until read_one; do
		[ $i -lt 60 ] || { echo "# $D reloaded, but no read succeeded in 60 s"; return 1; }
		sleep 1
		i=$((i + 1))
	done
	echo "# reloaded: $D, serving I/O $(rig_since "$t0") s after the reload"
	h0=$(($(hung_tasks) - h0))
	echo "# hung-task warnings: $h0"
	[ $rc -eq 0 ] && [ $h0 -eq 0 ]
}

# repeat CMD...: CMD $REPEAT times; false if one failed
repeat() {
	local i=1 rc=0
	while [ $i -le "$REPEAT" ]; do
		[ "$REPEAT" -eq 1 ] || echo "# round $i of $REPEAT"
		"$@" || rc=1
		i=$((i + 1))
	done
	return $rc
}

log_clean() {
	dmesg_bad_since 'WARNING|BUG|Oops|Call trace|hung_task|blocked for more' || return 1
	dmesg_since | grep -E 'vblk|virtio_blk|vd[a-z]' | tail -n 8 | sed 's/^/# /'
}

tap_check io_before_death roundtrip 0
# the resets each outage may take: none while it is shorter than
# io_timeout times (timeout_rounds + 1), one per such period after
rounds=$(cat $ROUNDS 2>/dev/null || echo 2)
period=$((IO_T * (rounds + 1)))
tap_check_v restart_1s repeat outage backend-down-1 1 0
tap_check_v restart_after_timeout repeat outage "backend-down-$OUTAGE" "$OUTAGE" $((OUTAGE / period))
tap_check_v slow_backend repeat outage "backend-stop-$STOP" "$STOP" $((STOP / period))
if [ "$RIG_BLK_MOD" = vblk ] || [ $KIND = nbd ]; then
	# a subshell (tap_check_v) would lose the disk's new name
	out=$(never 2>&1) && rc=0 || rc=$?
	echo "$out" | sed 's/^# //; s/^/# /'
	D=$(rig_disk_by_serial $SERIAL) || D=/dev/missing
	if [ $rc -eq 0 ]; then tap_ok never_restarted; else tap_not_ok never_restarted; fi
else
	tap_skip never_restarted "the in-tree virtio_blk has no timeout handler: its I/O would wait for the vhost-user backend forever"
fi
tap_check io_after_restart roundtrip 32
tap_check_v log_clean log_clean
[ -z "$hung0" ] || echo "$hung0" >$HUNG
tap_exit
