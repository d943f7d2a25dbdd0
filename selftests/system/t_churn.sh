#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Churn under load (issue #8).  With fio on two disks (scratch, null0) the
# lane's block driver and its transport are unbound and bound again, the
# block driver is reloaded, and the system is frozen and restored.  Every
# I/O must complete or fail cleanly, no task may hang, the kernel log must
# stay clean, and once the drivers are unloaded the slab caches a disk
# lives in must be back where they were.  Driver-agnostic: every driver
# set runs it.
#
# Counts (rig.env): CHURN_UNBIND, CHURN_TRANSPORT, CHURN_RELOAD, CHURN_PM.
# Default 5/5/3/2 (make check: each cycle starts fio twice, about 1.5 s
# on an idle 2-core TCG host, several on a busy one); CHURN_LONG=1 (make
# check-long) gives the issue's 100/100/50 and 10 freeze/restore cycles.
#
# fio starts again in every cycle.  An unbind deletes the disk, and a file
# open on a deleted disk stays dead even when a disk of the same name comes
# back, so --continue_on_error would only keep fio failing I/O in a loop.
# A cycle starts fio on the disks as they are named now, unbinds while its
# I/O is in flight (fio then ends on its first failed I/O: that is the
# clean failure), binds again and finds the disks by serial.  rmmod of the
# block driver is refused while fio holds the disks open: each reload
# cycle checks that the refusal is clean (module and disks stay, I/O goes
# on), then stops fio and reloads.
#
# Data: fio's writes on scratch carry a crc32c and fio reads them back.
# Not in a run that an unbind ends: a read issued once the disk is
# deleted returns 0 bytes (its size is 0 then) and fio checks the buffer
# it did not fill, a false failure that cannot be told from a real one.
# So in the unbind cycles the background load is unverified, and a
# verified fio run beside it goes to its end before each unbind; the
# reload and freeze/restore cycles, where the disks stay, verify the
# background load itself.  Across cycles two things are read back after
# each one: a 1 MiB reference region outside fio's range, written before
# the churn, and a 64 KiB block written (and acknowledged) under load just
# before each unbind, rmmod or freeze.  After the churn, a plain
# write+verify pass.
. /rig/lib.sh
CASES="block_unbind_bind_under_fio transport_unbind_bind_under_fio
rmmod_refused_under_fio reload_cycles_disks_back freeze_restore_under_fio
fio_no_verify_errors fio_never_hung acked_data_kept final_verify_pass
slab_back_after_unload dmesg_clean disks_back_after"
tap_plan 12
B=$RIG_BLK_MOD
T=$RIG_TRANSPORT_MOD
W=/tmp/churn
# the disks' serials in the order of their names before the churn
SERIALS0=$(cat /sys/block/vd*/serial 2>/dev/null)

skip_all() {
	tap_skip_all "$1" $CASES
	exit 0
}
[ -n "$T" ] || skip_all "no driver set in this lane"
rig_disk_by_serial scratch >/dev/null || skip_all "${SCRATCH_REASON:-no scratch disk}"
rig_disk_by_serial null0 >/dev/null || skip_all "no null0 disk"
command -v fio >/dev/null || skip_all "no fio in this guest (the churn needs its load)"

if [ "${CHURN_LONG:-0}" = 1 ]; then
	UNBIND=${CHURN_UNBIND:-100} TRANSPORT=${CHURN_TRANSPORT:-100}
	RELOAD=${CHURN_RELOAD:-50} PM=${CHURN_PM:-10}
else
	UNBIND=${CHURN_UNBIND:-5} TRANSPORT=${CHURN_TRANSPORT:-5}
	RELOAD=${CHURN_RELOAD:-3} PM=${CHURN_PM:-2}
fi
rm -rf $W && mkdir -p $W
dmesg_mark

# Each case collects its diagnostics and failures in $W while the phases
# run; result prints them with its TAP line (at most 30 lines).
say() { echo "# $2" >>"$W/$1.log"; }
fail() {
	say "$1" "$2"
	: >"$W/$1.fail"
}
result() {
	[ -f "$W/$1.log" ] && head -n 30 "$W/$1.log"
	if [ -e "$W/$1.fail" ]; then tap_not_ok "$1"; else tap_ok "$1"; fi
}
# where a phase's time goes: "tick" starts a step, "tick NAME" adds the
# time since the last tick to NAME's total; "ticks" prints and clears them
tick() {
	local now
	now=$(rig_now)
	[ -n "$1" ] && echo "$1 $now $TICK" >>$W/ticks
	TICK=$now
}
ticks() {
	awk '{ t[$1] += $2 - $3 } END { for (k in t) printf "%s %.1f s, ", k, t[k] }' $W/ticks 2>/dev/null
	rm -f $W/ticks
}

# write $2 to the sysfs file $1, bounded: a remove or probe that hangs is
# a failure here instead of a lane that times out
sysfs_write() {
	timeout 120 sh -c 'echo "$2" >"$1"' sh "$1" "$2"
}

# The load, in the background: on scratch random writes of 4-64 KiB in
# [0, 32M), on null0 (no data) random reads and writes; io_uring, 16 in
# flight each, one process (--thread) so that a kill reaches all of it.
# "verify": each write on scratch carries a crc32c and is read back within
# 64 writes.  Not where an unbind ends the run: a read issued after the
# disk is deleted (its size is then 0) returns 0 bytes, at end of file,
# and fio verifies the buffer it did not fill (a false "bad header").
S='' N='' PH='' RUNS=0 FAILED_RUNS=0
load_start() {
	local v=''
	S=$(rig_disk_by_serial scratch) && N=$(rig_disk_by_serial null0) || {
		fail "$PH" "$1: the disks are not all there"
		return 1
	}
	[ "$2" = verify ] && v="--verify=crc32c --verify_backlog=64 --verify_fatal=1"
	# shellcheck disable=SC2086
	if ! fio_bg $W/fio.out "$S $N" --thread --ioengine=io_uring --direct=1 \
		--iodepth=16 --time_based --runtime=3600 \
		--name=scratch --filename="$S" --rw=randwrite --bsrange=4k-64k \
		--size=32M $v \
		--name=null0 --filename="$N" --rw=randrw --bs=4k >$W/bg.msg; then
		fail "$PH" "$1: $(cat $W/bg.msg)"
		tail -n 3 $W/fio.out >>"$W/$PH.log"
		fio_stop 60 >/dev/null
		return 1
	fi
}
# A verified run beside the background load, to its end (its writes and
# then the reads checking them) before each unbind: 2 MiB of writes in
# [32M, 48M)
verified_run() {
	fio --name=checked --filename="$S" --ioengine=io_uring --direct=1 \
		--iodepth=16 --rw=randwrite --bsrange=4k-64k --offset=32M \
		--size=16M --io_size=2M --verify=crc32c --do_verify=1 \
		--verify_fatal=1 >$W/verify.out 2>&1
	fio_judge "$1" $? stop $W/verify.out
}
# what fio says of data that reads back wrong (EILSEQ is err=84)
VERIFY_BAD='verify failed|bad magic|bad header|verify type mismatch|err= *84'
# fio_judge NAME RC HOW OUT: a verify failure is always one; "stop": a run
# told to stop (SIGTERM: fio exits with 128) or that ended by itself must
# have no failed I/O either
fio_judge() {
	RUNS=$((RUNS + 1))
	case $2 in 0 | 128) ;; *) FAILED_RUNS=$((FAILED_RUNS + 1)) ;; esac
	if grep -qE "$VERIFY_BAD" "$4"; then
		fail fio_no_verify_errors "$1: verify failure"
		grep -E "$VERIFY_BAD|err=" "$4" | head -n 4 >>"$W/fio_no_verify_errors.log"
	elif [ "$3" = stop ]; then
		case $2 in 0 | 128) ;; *) fail fio_no_verify_errors "$1: fio exited with $2 with no unbind" ;; esac
		fio_clean "$4" >/dev/null || {
			fail fio_no_verify_errors "$1: failed I/O with no unbind"
			grep -E 'error|err=' "$4" | head -n 4 >>"$W/fio_no_verify_errors.log"
		}
	fi
}
# load_end NAME unbind|stop: the end of the background load; "unbind":
# fio ends by itself, its I/O failing on the deleted disks; "stop": it is
# told to.  Either way within 60 s.
load_end() {
	local rc
	if [ "$2" = stop ]; then
		fio_stop 60 >/dev/null
	else
		fio_wait 60 >/dev/null
	fi
	rc=$?
	[ $rc = 124 ] && fail fio_never_hung "$1: fio still running 60 s after the $2"
	fio_judge "$1" $rc "$2" $W/fio.out
}

# scratch's layout: fio in [0, 48M), the block written before each
# disruption at 56M, the reference region at [60M, 61M)
ACKED_AT=896 REF_AT=960 REF=''
ref_sum() { dd if="$1" bs=64k skip=$REF_AT count=16 iflag=direct 2>/dev/null | md5sum; }
ref_write() {
	local s
	s=$(rig_disk_by_serial scratch) || return 1
	dd if=/dev/urandom of=$W/ref bs=64k count=16 2>/dev/null
	dd if=$W/ref of="$s" bs=64k seek=$REF_AT oflag=direct conv=fsync 2>/dev/null || return 1
	REF=$(ref_sum "$s")
}
acked_write() {
	dd if=/dev/urandom of=$W/acked bs=64k count=1 2>/dev/null
	dd if=$W/acked of="$S" bs=64k seek=$ACKED_AT oflag=direct conv=fsync 2>/dev/null ||
		fail acked_data_kept "$1: the write before it failed"
}
acked_check() {
	local s
	s=$(rig_disk_by_serial scratch) || return 1
	dd if="$s" of=$W/back bs=64k skip=$ACKED_AT count=1 iflag=direct 2>/dev/null
	cmp -s $W/acked $W/back || fail acked_data_kept "$1: the block written under load before it reads back wrong"
	[ "$(ref_sum "$s")" = "$REF" ] || fail acked_data_kept "$1: the reference region changed"
}

# both disks found by serial again within 30 s
disks_back() {
	rig_wait_disk scratch 300 >/dev/null && rig_wait_disk null0 300 >/dev/null && return 0
	fail "$PH" "$1: $(for s in scratch null0; do
		rig_disk_by_serial $s >/dev/null || printf '%s ' $s; done)not back within 30 s"
	return 1
}

# unbind_cycles block|transport N: each cycle unbinds both disks' devices
# from the block driver (their virtio devices) or from the transport
# (their platform devices: the virtio devices go and come back new) under
# load, then binds them again
unbind_cycles() {
	local i=0 drv devs d t0
	t0=$(rig_now)
	if [ "$1" = block ]; then
		drv=/sys/bus/virtio/drivers/$B
	else
		drv=$(rig_transport_drv)
	fi
	while [ $i -lt "$2" ]; do
		if [ "$1" = block ]; then
			devs="$(rig_virtdev_of scratch) $(rig_virtdev_of null0)"
		else
			devs="$(rig_platdev_of scratch) $(rig_platdev_of null0)"
		fi
		# shellcheck disable=SC2086
		set -- "$1" "$2" $devs
		[ $# = 4 ] || { fail "$PH" "$1.$i: the devices of the disks: '$devs'"; break; }
		tick
		load_start "$1.$i" || break
		verified_run "$1.$i"
		acked_write "$1.$i"
		tick start
		for d in $devs; do
			sysfs_write "$drv/unbind" "$d" || fail "$PH" "$1.$i: unbinding $d failed"
		done
		tick unbind
		load_end "$1.$i" unbind
		tick fio_end
		for d in $devs; do
			sysfs_write "$drv/bind" "$d" || fail "$PH" "$1.$i: binding $d failed"
		done
		disks_back "$1.$i" || break
		tick bind
		acked_check "$1.$i"
		i=$((i + 1))
	done
	say "$PH" "$i of $2 cycles on $drv ($devs) in $(rig_since "$t0") s: $(ticks)"
	[ $i = "$2" ] || fail "$PH" "stopped after $i of $2 cycles"
}

# each cycle: rmmod under load is refused, the module and the disks stay
# and I/O goes on; fio stopped, the module unloads and loads again and
# the disks come back
reload_cycles() {
	local i=0 c t0
	t0=$(rig_now)
	while [ $i -lt "$1" ]; do
		load_start "reload.$i" verify || break
		acked_write "reload.$i"
		if rmmod "$B" 2>$W/rmmod.err; then
			fail rmmod_refused_under_fio "reload.$i: rmmod $B succeeded with fio's disks open"
			load_end "reload.$i" unbind
			rig_modprobe "$B" || { fail "$PH" "reload.$i: modprobe $B failed"; break; }
		else
			[ $i = 0 ] && say rmmod_refused_under_fio "$(cat $W/rmmod.err)"
			c=$(rig_ios_of "$S $N")
			[ -d "/sys/module/$B" ] || fail rmmod_refused_under_fio "reload.$i: $B gone after a refused rmmod"
			[ "$(rig_disk_by_serial scratch) $(rig_disk_by_serial null0)" = "$S $N" ] ||
				fail rmmod_refused_under_fio "reload.$i: the disks changed after a refused rmmod"
			rig_io_moved "$S $N" "$c" 200 "$FIO_PID" ||
				fail rmmod_refused_under_fio "reload.$i: no I/O on each disk within 20 s of the refused rmmod"
			load_end "reload.$i" stop
			rmmod "$B" 2>$W/rmmod.err || {
				fail "$PH" "reload.$i: rmmod $B failed with fio stopped: $(cat $W/rmmod.err)"
				break
			}
			rig_modprobe "$B" || { fail "$PH" "reload.$i: modprobe $B failed"; break; }
		fi
		disks_back "reload.$i" || break
		acked_check "reload.$i"
		i=$((i + 1))
	done
	say "$PH" "$i of $1 cycles in $(rig_since "$t0") s"
	[ $i = "$1" ] || fail "$PH" "stopped after $i of $1 cycles"
}

# Freeze and restore from user space: pm_test=devices runs every driver's
# suspend (virtio: freeze) and resume (restore), or for "disk" the
# hibernation freeze and restore, and stops short of the platform, so no
# wakeup source is needed (the rig's way, as in t_pm).  Both states take
# turns, under one fio run that must go on across them, without errors.
pm_cycles() {
	local i=0 st states='' c t0 delay
	for st in freeze disk; do
		grep -qw $st /sys/power/state && states="$states $st"
	done
	delay=$(cat /sys/module/suspend/parameters/pm_test_delay 2>/dev/null)
	echo 1 >/sys/module/suspend/parameters/pm_test_delay 2>/dev/null
	t0=$(rig_now)
	while [ $i -lt "$1" ] && { [ $i -gt 0 ] || load_start pm verify; }; do
		st=$(echo "$states" | awk -v i=$i '{ print $(i % NF + 1) }')
		acked_write "pm.$i"
		c=$(rig_ios_of "$S $N")
		if echo devices >/sys/power/pm_test && echo "$st" >/sys/power/state; then
			:
		else
			fail "$PH" "pm.$i: writing $st to /sys/power/state failed"
		fi
		echo none >/sys/power/pm_test
		rig_io_moved "$S $N" "$c" 200 "$FIO_PID" ||
			fail "$PH" "pm.$i: no I/O on each disk within 20 s of $st's restore"
		acked_check "pm.$i"
		i=$((i + 1))
	done
	[ $i = 0 ] || load_end pm stop
	[ -n "$delay" ] && echo "$delay" >/sys/module/suspend/parameters/pm_test_delay
	say "$PH" "$i cycles ($states) under one fio run in $(rig_since "$t0") s"
	dmesg_since | grep -E 'PM: suspend (entry|exit)|PM: hibernation' | tail -n 2 | sed 's/^/# /' >>"$W/$PH.log"
}

# Slab usage with the drivers unloaded, before and after the churn.  What
# a disk leaves in slab caches of its own: its block device inode
# (bdev_cache, one per disk; never merged: it has a constructor), its
# request queue (request_queue) and the kernfs nodes of its sysfs and of
# the virtio device's (kernfs_node_cache, many per disk); the caches are
# shrunk first (free objects in each CPU's slabs count as in use until
# then), after drop_caches.  Debian merges caches of one size (a symlink
# in /sys/kernel/slab): request_queue's had no other objects here, and
# kernfs_node_cache's came back lower, to the object, in every run, so
# they are judged too, with small tolerances.  Beside them the sysfs and
# debugfs nodes (exact: a device, queue or debugfs directory left behind
# shows by name; the console PM switches to stays, so it is left out) and
# SUnreclaim of /proc/meminfo, the sum of the kmalloc caches, within
# SLAB_TOL_KB (io_uring's bio cache and the kmalloc caches move by
# hundreds of kB between runs: only a large leak shows there).
# Not seen: page allocations (the rings, blk-mq's request pools), vmalloc,
# percpu memory, and a kmalloc leak smaller than the tolerance; kmemleak
# (the debug lane's unload) covers what is lost rather than kept.
# With the short counts a disk is created and deleted 40 times, so a leak
# of one object per disk shows in the judged caches.
SLAB_CACHES="bdev_cache request_queue kernfs_node_cache"
SLAB_TOL="bdev_cache:0 request_queue:4 kernfs_node_cache:16 sysfs_nodes:0 debugfs_nodes:0"
SLAB_TOL_KB=1024
slab_snap() {
	local c f
	sync
	echo 3 >/proc/sys/vm/drop_caches
	for f in /sys/kernel/slab/*/shrink; do echo 1 >"$f"; done 2>/dev/null
	for c in $SLAB_CACHES; do
		f=/sys/kernel/slab/$c
		[ -e "$f/objects" ] || continue
		if [ -L "$f" ]; then
			echo "$c $(cut -d' ' -f1 "$f/objects") merged:$(basename "$(readlink "$f")")"
		else
			echo "$c $(cut -d' ' -f1 "$f/objects")"
		fi
	done
	awk '/^(Slab|SUnreclaim):/ { print $1, $2 }' /proc/meminfo
	# /sys/kernel/slab aside: a cache created on first use stays
	find /sys -xdev -path /sys/kernel/slab -prune -o -print >$W/sysfs.now
	find /sys/kernel/debug -xdev >>$W/sysfs.now 2>/dev/null
	# the virtual console PM switches to (vcs63, char 7:*) stays too
	grep -vE '/vc/|/vcs|^/sys/dev/char/7:' $W/sysfs.now >$W/sysfs.tmp
	mv $W/sysfs.tmp $W/sysfs.now
	echo "sysfs_nodes $(grep -vc '^/sys/kernel/debug' $W/sysfs.now)"
	echo "debugfs_nodes $(grep -c '^/sys/kernel/debug' $W/sysfs.now)"
	# each cache's kB, for the diagnostics
	awk 'NR > 2 { printf "%s %d\n", $1, $3 * $4 / 1024 }' /proc/slabinfo >$W/slabinfo.now
}
# both modules out (the transport if it can go: another driver may hold
# it); T_OUT says whether it went, the end must match the start
unload_all() {
	rmmod "$B" 2>>"$W/slab.err" || return 1
	if rmmod "$T" 2>>"$W/slab.err"; then T_OUT=1; else T_OUT=0; fi
}
# compare slab_snap output $1 (before) and $2 (after)
slab_cmp() {
	awk -v tol="$SLAB_TOL" -v tolkb=$SLAB_TOL_KB '
	BEGIN { n = split(tol, t, " "); for (k = 1; k <= n; k++) { split(t[k], p, ":"); lim[p[1]] = p[2] } }
	FNR == NR { before[$1] = $2; next }
	{
		d = $2 - before[$1]
		if ($1 == "Slab:") {
			printf "# Slab: %d kB -> %d kB (%+d kB)\n", before[$1], $2, d
		} else if ($1 == "SUnreclaim:") {
			printf "# SUnreclaim: %d kB -> %d kB (%+d kB, tolerance %d)\n", before[$1], $2, d, tolkb
			if (d > tolkb) bad = 1
		} else {
			printf "# %s: %d -> %d (%+d, tolerance %d)%s\n", $1, before[$1], $2, d, lim[$1], $3 ? " " $3 : ""
			if (d > lim[$1]) bad = 1
		}
	}
	END { exit bad }' "$1" "$2"
}
# the end: unload, compare (again up to 10 times, a second apart: objects
# freed after an RCU grace period come back late), load again
slab_end() {
	local i=0 t_base="$T_OUT"
	[ -f $W/slab.before ] || { fail slab_back_after_unload "no baseline"; return; }
	unload_all || { fail slab_back_after_unload "rmmod $B failed: $(cat $W/slab.err)"; return; }
	[ "$T_OUT" = "$t_base" ] || fail slab_back_after_unload "$T unloaded at the start: $t_base, at the end: $T_OUT ($(cat $W/slab.err))"
	while :; do
		slab_snap >$W/slab.after
		slab_cmp $W/slab.before $W/slab.after >$W/slab.cmp && break
		i=$((i + 1))
		[ $i -lt 10 ] || { fail slab_back_after_unload "not back after $i tries"; break; }
		sleep 1
	done
	cat $W/slab.cmp >>$W/slab_back_after_unload.log
	ls /sys/kernel/slab | grep -vxF -f $W/caches.before | tr '\n' ' ' >$W/caches.new
	[ -s $W/caches.new ] && say slab_back_after_unload "slab caches created since: $(cat $W/caches.new)"
	# what differs: sysfs and debugfs paths, the caches that grew most
	sort $W/sysfs.before >$W/a && sort $W/sysfs.now >$W/b &&
		{ diff $W/a $W/b | grep '^+/' | head -n 6
		  diff $W/a $W/b | grep '^-/' | head -n 3; } | sed 's/^/# /' >>$W/slab_back_after_unload.log
	awk 'FNR == NR { b[$1] = $2; next } $2 - b[$1] != 0 { print $2 - b[$1], $1 }' \
		$W/slabinfo.before $W/slabinfo.now | sort -rn | head -n 5 |
		awk '{ printf "# %+d kB %s\n", $1, $2 }' >>$W/slab_back_after_unload.log
	say slab_back_after_unload "modules unloaded: $B$([ "$T_OUT" = 1 ] && echo " $T")"
	rig_load_drivers
	[ "$T_OUT" = 1 ] || names_back
}

# A transport that stays (built in, as 6.12's virtio_pci) keeps the
# virtio devices its unbind cycles created anew, at the end of the bus's
# order, and the reloaded block driver names the disks in that order.
# Bound again one by one in the order of their names before the churn,
# each disk gets its name back (the lowest free index).
names_back() {
	local s d devs=''
	for s in $SERIALS0; do
		rig_wait_disk "$s" 50 >/dev/null && devs="$devs $(rig_virtdev_of "$s")"
	done
	for d in $devs; do sysfs_write "/sys/bus/virtio/drivers/$B/unbind" "$d"; done
	for d in $devs; do sysfs_write "/sys/bus/virtio/drivers/$B/bind" "$d"; done
}

final_verify() {
	local s
	s=$(rig_disk_by_serial scratch) || return 1
	fio --name=final --filename="$s" --ioengine=io_uring --direct=1 --iodepth=16 \
		--rw=randwrite --bsrange=4k-64k --size=16M --verify=crc32c \
		--do_verify=1 --verify_fatal=1 >$W/final.out 2>&1 ||
		{ tail -n 5 $W/final.out | sed 's/^/# /'; return 1; }
	fio_clean $W/final.out || return 1
	grep -q 'WRITE: bw=' $W/final.out && grep -q 'READ: bw=' $W/final.out || return 1
	acked_check final
	[ ! -e $W/acked_data_kept.fail ]
}

dmesg_clean() {
	local bad
	bad=$(dmesg_since | grep -E 'WARNING:|BUG:|Oops|Call trace:|KASAN|UBSAN|lockdep|possible recursive locking|circular locking|sleeping function called|blocked for more than' || true)
	[ -z "$bad" ] && return 0
	echo "$bad" | head -n 20 | sed 's/^/# /'
	return 1
}

# the lane's disks are all back, under the names the runner gave the
# later tests (TEST_DISK, FS_DISK)
disks_after() {
	local s f
	s=$(rig_wait_disk scratch 300) && f=$(rig_wait_disk fs 300) &&
		rig_wait_disk null0 300 >/dev/null || { echo "# a disk is missing"; return 1; }
	echo "# scratch $s (TEST_DISK $TEST_DISK), fs $f (FS_DISK $FS_DISK)"
	[ "$s" = "${TEST_DISK:-$s}" ] && [ "$f" = "${FS_DISK:-$f}" ]
}

echo "# counts: $UNBIND block unbinds, $TRANSPORT transport unbinds, $RELOAD reloads, $PM freeze/restore"
T0=$(rig_now)
# a short warm-up run (the first use of fio, io_uring and the disks
# allocates what then stays), then the baseline with the drivers out
PH=fio_no_verify_errors
if load_start warmup verify; then
	sleep 1
	load_end warmup stop
fi
if unload_all; then
	slab_snap >$W/slab.before
	ls /sys/kernel/slab >$W/caches.before
	mv $W/sysfs.now $W/sysfs.before
	mv $W/slabinfo.now $W/slabinfo.before
	sed 's/^/# before: /' $W/slab.before >>$W/slab_back_after_unload.log
else
	fail slab_back_after_unload "rmmod $B for the baseline failed: $(cat $W/slab.err)"
fi
rig_load_drivers
PH=block_unbind_bind_under_fio
disks_back start
ref_write || fail acked_data_kept "the reference region could not be written"

unbind_cycles block "$UNBIND"
result block_unbind_bind_under_fio
PH=transport_unbind_bind_under_fio
unbind_cycles transport "$TRANSPORT"
result transport_unbind_bind_under_fio
PH=reload_cycles_disks_back
reload_cycles "$RELOAD"
result rmmod_refused_under_fio
result reload_cycles_disks_back
PH=freeze_restore_under_fio
if [ ! -w /sys/power/pm_test ]; then
	tap_skip freeze_restore_under_fio "the kernel has no /sys/power/pm_test"
elif ! grep -qwE 'freeze|disk' /sys/power/state; then
	tap_skip freeze_restore_under_fio "neither freeze nor disk in /sys/power/state"
else
	pm_cycles "$PM"
	result freeze_restore_under_fio
fi
say fio_no_verify_errors "$RUNS fio runs, $FAILED_RUNS of them ended with an error (an unbind's failed I/O)"
result fio_no_verify_errors
result fio_never_hung
tap_check_v final_verify_pass final_verify
result acked_data_kept
slab_end
result slab_back_after_unload
tap_check dmesg_clean dmesg_clean
tap_check_v disks_back_after disks_after
echo "# churn took $(rig_since "$T0") s"
tap_exit
