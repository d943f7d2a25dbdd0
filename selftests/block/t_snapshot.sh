#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Snapshot and restore with I/O in flight, only on the snapshot lanes
# (SNAPSHOTS in rig.env: 3, 50 in make check-long).  Each round writes
# and syncs a file on an ext4 file system (the fs disk), starts a
# verified fio load on the scratch disk (crc32c, QD32 random writes with
# their reads interleaved: verify_backlog; 15 s, so that it runs until
# after the restore), and after a second of it asks
# the host to save the guest (# rig: host snapshot: QMP migrate to a
# file, tools/check/snapshot-hook.py), which then quits QEMU and starts a
# new one from the file (-incoming).  The guest goes on there; it knows
# it was restored when QEMU's -name is the round's (snapN, asked for
# through QMP).  After each restore every file written so far must read
# back equal from the disk, and fio must finish with no verify error.
# At the end: no reset and no timeout in vblk's recovery counters (ours),
# no hung task, WARN or reset message in the log.  Per round it prints
# the longest time the guest's clock saw the disk not completing I/O and
# how far the guest's clock moved across the snapshot (its clock is
# QEMU's virtual clock, saved with the guest: a restore must not look
# like a long wait to the drivers' timers).  Driver-agnostic: the
# in-tree snapshot lane runs it too.
. /rig/lib.sh
tap_plan 5
ALL="fs_ready rounds_verified files_intact_after_each no_resets_or_timeouts log_clean"
[ -n "${SNAPSHOTS:-}" ] || { tap_skip_all "not a snapshot lane" $ALL; exit 0; }
S=$(rig_disk_by_serial scratch) || { tap_skip_all "${SCRATCH_REASON:-no scratch disk}" $ALL; exit 0; }
F=$(rig_disk_by_serial fs) || { tap_skip_all "no fs disk" $ALL; exit 0; }
command -v fio >/dev/null || { tap_skip_all "no fio in this guest" $ALL; exit 0; }
[ -d /sys/kernel/debug/block ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
M=/mnt/snap
DBG=/sys/kernel/debug/vblk
dmesg_mark

host() { echo "# rig: host $1" >/dev/console; }
# rec DISK NAME: a line of vblk's recovery counters (debugfs; ours only)
rec() { sed -n "s/^$2: //p" "$DBG/${1#/dev/}/recovery" 2>/dev/null; }
counters() {
	local d
	for d in "$S" "$F"; do echo "${d#/dev/} timeouts $(rec "$d" timeouts) resets $(rec "$d" resets)"; done
}

# QEMU's -name, asked for through the rig.qmp port (one try: empty when
# the host's end is not there, as between two QEMU processes)
qemu_name() {
	local port pid
	port=$(rig_qmp_port) || return 0
	: >/tmp/snap.ans
	timeout 5 awk '{ print } /^end$/ { exit }' <"$port" >/tmp/snap.ans 2>/dev/null &
	pid=$!
	sleep 0.3
	echo '# rig: qmp? {"execute": "query-name"}' >/dev/console
	wait $pid 2>/dev/null
	sed -n 's/^return\.name="\(.*\)"$/\1/p' /tmp/snap.ans
}

fs_ready() {
	mkdir -p $M
	mkfs.ext4 -F -q "$F" && mount -t ext4 "$F" $M && : >/tmp/snap.md5
}

# the longest time (guest clock) the disk completed nothing, until
# /tmp/snap.stop exists: in /tmp/snap.stall
stall_watch() {
	local s0 s1 last t st=0
	s0=$(rig_ios "$S") last=$(rig_now)
	while [ ! -f /tmp/snap.stop ]; do
		sleep 0.1
		s1=$(rig_ios "$S") t=$(rig_now)
		[ "$s1" != "$s0" ] || continue
		st=$(awk -v a="$last" -v b="$t" -v m="$st" 'BEGIN { d = b - a; print (d > m) ? d : m }')
		s0=$s1 last=$t
	done
	echo "$st" >/tmp/snap.stall
}

# round I: the file, the load, the snapshot, the checks after the restore
# (each check runs in a subshell: what one leaves for another is in files)
: >/tmp/snap.fail
round() {
	local i=$1 t1 tsnap name='' rc=0 busy=no wpid
	dd if=/dev/urandom of=$M/file$i bs=64k count=8 conv=fsync 2>/dev/null || return 1
	sync
	(cd $M && md5sum file$i) >>/tmp/snap.md5
	fio_bg /tmp/snap.fio "$S" --name=snap --filename="$S" --ioengine=io_uring \
		--iodepth=32 --direct=1 --rw=randwrite --bs=16k --size=24M --randrepeat=0 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_backlog=64 \
		--time_based --runtime=15 || { fio_stop 30; return 1; }
	sleep 1
	rm -f /tmp/snap.stop /tmp/snap.stall
	stall_watch &
	wpid=$!
	tsnap=$(rig_now)
	host snapshot
	# until the round's QEMU answers
	while [ "$name" != "snap$i" ]; do
		if awk -v a="$tsnap" -v b="$(rig_now)" 'BEGIN { exit !(b - a > 120) }'; then
			echo "# round $i: no restored QEMU (snap$i) after 120 s"
			touch /tmp/snap.stop
			fio_stop 30
			return 1
		fi
		name=$(qemu_name)
	done
	t1=$(rig_now)
	touch /tmp/snap.stop
	wait $wpid
	! kill -0 $FIO_PID 2>/dev/null || busy=yes
	fio_wait 240 || rc=$?
	fio_clean /tmp/snap.fio >/tmp/snap.fioclean || rc=1
	[ $rc -eq 0 ] || { sed 's/^/# /' /tmp/snap.fio | grep -iE 'verify|err|bad' | head -n 5; cat /tmp/snap.fioclean; }
	# the files synced so far, read from the disk (not the page cache)
	echo 3 >/proc/sys/vm/drop_caches
	if ! (cd $M && md5sum -c /tmp/snap.md5 >/tmp/snap.md5out 2>&1); then
		grep -v ': OK$' /tmp/snap.md5out | head -n 3 | sed "s/^/# round $i: /"
		echo "$i" >>/tmp/snap.fail
	fi
	echo "# round $i: restored after $(awk -v a="$tsnap" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s of guest time, longest I/O stall $(cat /tmp/snap.stall) s, fio still running then: $busy, fio rc $rc"
	# a load that ended before the save tested nothing in flight
	[ $busy = yes ] || { echo "# round $i: fio ended before the restore"; rc=1; }
	[ $rc -eq 0 ]
}

rounds() {
	local i=1
	counters >/tmp/snap.c0
	while [ $i -le "$SNAPSHOTS" ]; do
		round $i || return 1
		i=$((i + 1))
	done
}

files_intact() {
	[ ! -s /tmp/snap.fail ] || { echo "# files differ after the restores of rounds $(tr '\n' ' ' </tmp/snap.fail)"; return 1; }
	umount $M || return 1
	e2fsck -fn "$F" >/tmp/snap.fsck 2>&1 || { sed 's/^/# /' /tmp/snap.fsck | tail -n 5; return 1; }
	echo "# $(wc -l </tmp/snap.md5) files intact after every restore, e2fsck clean"
}

no_resets() {
	local c1
	c1=$(counters)
	echo "$c1" | sed 's/^/# /'
	if [ "$RIG_BLK_MOD" = vblk ]; then
		[ "$(cat /tmp/snap.c0)" = "$c1" ] || { sed 's/^/# before: /' /tmp/snap.c0; return 1; }
	fi
	! dmesg_since | grep -qiE 'virtio_blk.*(reset|timeout)|vblk.*(reset|timed out|timeout)'
}

log_clean() {
	dmesg_bad_since 'WARNING|BUG|Oops|Call trace|hung_task|blocked for more'
}

tap_check fs_ready fs_ready
tap_check_v rounds_verified rounds
tap_check_v files_intact_after_each files_intact
tap_check_v no_resets_or_timeouts no_resets
tap_check_v log_clean log_clean
tap_exit
