#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check.sh: the test matrix behind "make check".
#
# The lanes are in tools/check/lanes, one a line (its header says how to
# read it).  Each lane boots a guest that runs selftests/ (in the order of
# selftests/TESTS) and prints framed TAP on the console; this script
# collects it, adds host-side checks (e2fsck -fn of the file system the
# guest wrote, ...), prints TAP for the whole run, the closing "N passed,
# N failed, N skipped" line, names every failure, and exits non-zero on
# any.  Environment (Documentation/testing.md):
#   LANES="matrix host pci crash qemu10 microvm odd"  the groups of lanes
#                     to run (matrix: the kinds matrix, toggle, 1dev, stop,
#                     topology and hvisor; host: the host-side checks;
#                     qemu10: qemu10 and iothread; microvm: both microvm
#                     kinds)
#   KVERS=, LAYOUTS=, DRIVERS=  only the lanes with these kernels, layouts,
#                     driver sets (space-separated)
#   LANE='glob'       only the lanes whose names match
#   ONLY=test,test    run only these guest tests (names as in the TAP)
#   CHECK_LONG=1      "make check-long": the long versions (every crash
#                     mark replayed, 300 records a disk; t_churn's full
#                     counts and t_recovery's soak, CHURN_LONG=1 and
#                     RECOVERY_LONG=1 in the guest's rig.env; the whole
#                     suite on the long=all lanes and t_churn on every
#                     lane; LANE_TIMEOUT 2400 s)
#   LANE_TIMEOUT=600  seconds a lane's guest may run before QEMU is killed
#                     (DEBUG_TIMEOUT, twice that, for the debug kernel's)
#   CRASH=0           no crash lanes; CRASH_RECORDS (100 a disk),
#                     CRASH_MARKS (ext4 marks replayed a disk: 40; 0 = all),
#                     CRASH_RESET_EVERY (25), CRASH_TIMEOUT: see
#                     tools/check/crash-check.sh
#   CHECK_JOBS=2      lanes booted at the same time (1: one after another);
#                     each lane's results go to its own file, the TAP keeps
#                     the lanes' order
#   CHECK_LIST=1      list the lanes that would run, with their tests
#   V=1               show the guest consoles
. "$(dirname "$0")/../lib.sh"

LANES_FILE=${LANES_FILE:-$TOP/tools/check/lanes}
LANES=${LANES:-matrix host pci crash qemu10 microvm odd}
CRASH=${CRASH:-1}
# The lanes' time limits: LANE_TIMEOUT given, or a base scaled by the
# host's speed now (calibrate, before the first lane boots)
USER_LANE_TIMEOUT=${LANE_TIMEOUT:-}
if [ "${CHECK_LONG:-0}" = 1 ]; then
	CRASH_MARKS=${CRASH_MARKS:-0}
	CRASH_RECORDS=${CRASH_RECORDS:-300}
	LANE_TIMEOUT=${LANE_TIMEOUT:-2400}
else
	CRASH_MARKS=${CRASH_MARKS:-40}
	LANE_TIMEOUT=${LANE_TIMEOUT:-600}
fi
USER_DEBUG_TIMEOUT=${DEBUG_TIMEOUT:-} USER_CRASH_TIMEOUT=${CRASH_TIMEOUT:-}
# lane_timeouts: the debug kernel's lane (KASAN, lockdep, kmemleak: its
# tests run 3-4 times slower than on Debian's kernel; 690 s of the 600 s
# base on an idle host) gets three times the base
lane_timeouts() {
	DEBUG_TIMEOUT=${USER_DEBUG_TIMEOUT:-$((LANE_TIMEOUT * 3))}
	CRASH_TIMEOUT=${USER_CRASH_TIMEOUT:-$LANE_TIMEOUT}
	export CRASH_TIMEOUT
}
lane_timeouts
export CRASH_RECORDS CRASH_MARKS CRASH_RESET_EVERY
# The calibration boots: the 6.1 guest, two vCPUs, only the dmesg test,
# CHECK_JOBS of them at once, no lane running.  CAL_REF_SECS is their
# median wall time on an idle 2-CPU host (the machine the base timeouts
# were set on: 3.6-4.1 s, two at once); a host that is slower, or busy with
# other guests, takes longer, and every lane's limit grows by the same
# factor (at least 1, at most CAL_MAX).
CAL_REF_SECS=${CAL_REF_SECS:-3.6}
CAL_MAX=${CAL_MAX:-4}
CHECK_JOBS=${CHECK_JOBS:-2}
# the slow tests: make check runs them on the heavy=1 lanes only
HEAVY_TESTS=t_churn
# the tests that drive the fault knobs: their lanes boot our modules' fault
# build (VMMIO_FAULT=1); every other lane boots the product build
FAULT_TESTS="t_recovery t_crash t_hostile t_lifecycle"

# Per-lane QEMU set-up, which each lane kind's setup sets for run_lane
# (reset after each lane): LANE_QEMU the qemu-run.sh options that pick
# the QEMU, LANE_SCRATCH the scratch disk's -device part (key=value, or
# JSON in braces), LANE_EXTRA extra QEMU arguments;
# LANE_THREADS names iothreads that must have served I/O (host-side
# check, against the idle LANE_IDLE_THREAD); LANE_APPEND goes on the
# kernel command line; LANE_DESC says where the guest finds its slots;
# LANE_DTB is the device tree to boot with; LANE_LOGLEVEL replaces the
# quiet console (loglevel=1); LANE_BOOT_WATCH=SECS boots a guest whose
# kernel never reached init within SECS a second time (run_lane);
# LANE_ONE_DEVICE=1 gives the guest the scratch disk alone;
# LANE_EXTRA_DEVICES counts the virtio devices LANE_EXTRA adds;
# LANE_LOAD_DISKS t_load's disks (load1.., 3; 0 where slots are few);
# LANE_BIG_DISK t_big's 8 TiB disk (1; 0 where slots are few);
# LANE_BUS=pci puts the virtio devices on PCI (qemu-run.sh --bus, and
# rig.bus in the guest); LANE_DTB=qemu boots QEMU's tree on 6.1 too
lane_reset() {
	LANE_QEMU=() LANE_EXTRA=() LANE_SCRATCH='' LANE_THREADS='' LANE_IDLE_THREAD=''
	LANE_APPEND='' LANE_DESC='' LANE_DTB='' LANE_LOGLEVEL='' LANE_BOOT_WATCH='' LANE_ONE_DEVICE='' LANE_EXTRA_DEVICES=0
	LANE_LOAD_DISKS=3 LANE_BIG_DISK=1 LANE_BUS='' LANE_HOST_HOOK=''
}
lane_reset

results=$CACHE/check/results.txt
parts=$CACHE/check/parts

# pool_run CMD...: run CMD with its stdout (result lines) in the next
# numbered file under $parts, in the background once CHECK_JOBS are
# running; the files are joined in order at the end.  A lane that fails
# to run at all still leaves a failing line.
part_seq=0
pool_run() {
	local part
	part_seq=$((part_seq + 1))
	part=$parts/$(printf '%03d' "$part_seq")
	while [ "$(jobs -rp | wc -l)" -ge "$CHECK_JOBS" ]; do
		wait -n || true
	done
	{
		local t0=$SECONDS
		"$@" || printf 'fail\tcheck.part_%s\t%s exited with an error\n' "$part_seq" "$1"
		echo $((SECONDS - t0)) >"$part.secs"
	} >"$part" &
	[ "$CHECK_JOBS" -gt 1 ] || wait $!
}
pool_join() {
	wait || true
	local p
	for p in "$parts"/[0-9][0-9][0-9]; do
		[ -f "$p" ] || continue
		cat "$p" >>"$results"
		# the lane's wall time, beside its name (the summary's per-lane line)
		[ -f "$p.secs" ] && [ -s "$p" ] &&
			printf '%s\t%s\n' "$(head -n1 "$p" | cut -f2 | sed 's/: .*//')" "$(cat "$p.secs")" >>"$CACHE/check/times.txt"
	done
}

# the project's device tree, plus two broken virtio,mmio nodes that must
# fail alone (tools/guest/dts/)
dtb=$CACHE/build/virt-broken-nodes.dtb
# virtio devices in every lane: 5 disks, rng, console, net (and the
# LANE_LOAD_DISKS and LANE_BIG_DISK)
NVIRTIO=8
# t_big's disk: a sparse 8 TiB raw file (2^34 sectors) with a GPT whose
# second partition starts past 2^32 sectors (2 TiB: where 32-bit sector
# numbers wrap) and whose third ends at the last usable sector (the
# backup table's 33 sectors follow).  START:SIZE in sectors, "/" between
# partitions (rig.env separates with commas); the guest checks the
# kernel found exactly these.
BIG_BYTES=8796093022208
BIG_PARTS=2048:2097152/4294969344:4294967296/17177772032:2097119
# big_disk_image FILE: the image, and FILE.gpt its table as sfdisk dumps
# it (host_checks compares after the guest has written to the disk)
big_disk_image() {
	local p start size
	rm -f "$1" && truncate -s "$BIG_BYTES" "$1"
	for p in ${BIG_PARTS//\// }; do
		start=${p%%:*} size=${p#*:}
		echo "start=$start, size=$size, type=linux"
	done | sfdisk -q -X gpt "$1" >/dev/null || return 1
	sfdisk -d "$1" >"$1.gpt" 2>&1
}
# the null2 disk answers EIO where selftests/block/t_blkerr.sh expects it:
# QEMU's blkdebug under a raw format node (which fires the read_aio,
# write_aio and flush_to_disk events that arm the rules) over null-co.
# Reads at sector 65536 and writes at 98304 fail every time, the first
# flush once; the rest of the disk works.
BLKDEBUG_DRIVE="driver=raw,file.driver=blkdebug,file.image.driver=null-co,file.image.size=64M"
BLKDEBUG_DRIVE+=",file.inject-error.0.event=read_aio,file.inject-error.0.iotype=read,file.inject-error.0.sector=65536,file.inject-error.0.errno=5"
BLKDEBUG_DRIVE+=",file.inject-error.1.event=write_aio,file.inject-error.1.iotype=write,file.inject-error.1.sector=98304,file.inject-error.1.errno=5"
BLKDEBUG_DRIVE+=",file.inject-error.2.event=flush_to_disk,file.inject-error.2.iotype=flush,file.inject-error.2.errno=5,file.inject-error.2.once=on"

# run_lane KIND NAME KVER LAYOUT DRIVERS PROPS TESTS ENV: boot one guest
# (a line of the lanes file, with the LANE_* settings of its kind), append
# its results.  PROPS are extra QEMU virtio-blk-device properties for the
# two test disks, TESTS the guest tests to run there (rig.only; empty:
# all), ENV the rig.env the tests read.
run_lane() { pool_run run_lane_now "$@"; }
run_lane_now() {
	local kind=$1 lane=$2 kver=$3 layout=$4 drv=$5 props=$6 only=$7 env=$8
	# the guest tests' long versions (t_churn's counts, t_recovery's soak)
	if [ "${CHECK_LONG:-0}" = 1 ]; then env=${env:+$env,}CHURN_LONG=1,RECOVERY_LONG=1; fi
	local dir dtbarg=() dtbname rc=0 scratch
	dir=$CACHE/check/$lane
	rm -rf "$dir" && mkdir -p "$dir"
	local skip='' quiet=t_crash
	if [ "${CHECK_LONG:-0}" != 1 ] && [ -z "${ONLY:-}" ]; then
		case " $HEAVY_LANES " in *" $lane "*) ;; *) skip=$HEAVY_TESTS ;; esac
	fi
	# our modules' fault build where the lane's tests drive its knobs
	local fault=0 t
	if [ "$drv" != intree ]; then
		[ -z "$only" ] && fault=1
		for t in $FAULT_TESTS; do
			case ",$only," in *",$t,"*) fault=1 ;; esac
		done
	fi
	# the tests of other lane groups' devices do not run at all here
	[ "$kind" = odd ] || quiet=$quiet,t_odd
	[ "$kind" = stop ] || quiet=$quiet,t_stop
	[ "$kind" = diskfull ] || quiet=$quiet,t_diskfull
	case "$kind" in vhost | nbd) ;; *) quiet=$quiet,t_backend ;; esac
	[ "$kind" = unplug ] || quiet=$quiet,t_unplug
	case "$kind" in snapshot*) ;; *) quiet=$quiet,t_snapshot ;; esac
	[ "$LANE_BUS" = pci ] || quiet=$quiet,t_pci
	# the project's own device tree on the 6.1 lanes, QEMU's on 6.12
	if [ "$LANE_DTB" = qemu ]; then
		dtbname="QEMU's"
	elif [ -n "$LANE_DTB" ]; then
		dtbarg=(--dtb "$LANE_DTB"); dtbname=${LANE_DTB##*/}
	elif [ "$kver" = 6.1 ]; then
		dtbarg=(--dtb "$dtb"); dtbname="dts/qemu-virt-gicv3.dts + broken nodes"
	else
		dtbname="QEMU's"
	fi
	dtbname=${LANE_DESC:-$dtbname device tree}
	truncate -s 64M "$dir/scratch.img" "$dir/fs.img"
	rm -f "$dir/threads.txt" "$dir"/console.hung-boot*.log
	scratch=${LANE_SCRATCH:-serial=scratch,num-queues=2${props:+,$props}}
	echo "# lane $lane: kernel $KREL ($KPKGVER), $layout virtio-${LANE_BUS:-mmio}, $drv drivers, $dtbname" >&2
	# the lane's devices besides the scratch disk: none on a one-device lane
	local others=() others_dev=() nvirtio=$((NVIRTIO + LANE_LOAD_DISKS + LANE_BIG_DISK + LANE_EXTRA_DEVICES)) i
	if [ "$LANE_ONE_DEVICE" = 1 ]; then
		nvirtio=1
	else
		others=(--disk "file=$dir/fs.img,format=raw|serial=fs${props:+,$props}"
			--disk "driver=null-co,size=64M|serial=null0"
			--disk "driver=null-co,size=64M,read-zeroes=on,readonly=on|serial=null1"
			--disk "$BLKDEBUG_DRIVE|serial=null2")
		# t_load's disks: raw files with two virtqueues each
		for i in $(seq 1 "$LANE_LOAD_DISKS"); do
			truncate -s 64M "$dir/load$i.img"
			others+=(--disk "file=$dir/load$i.img,format=raw|serial=load$i,num-queues=2")
		done
		if [ "$LANE_BIG_DISK" = 1 ]; then
			big_disk_image "$dir/big.img" || echo "  [lane $lane] cannot write the GPT of big.img (sfdisk)" >&2
			others+=(--disk "file=$dir/big.img,format=raw|serial=big")
			env=${env:+$env,}BIG_BYTES=$BIG_BYTES,BIG_PARTS=$BIG_PARTS
		fi
		others_dev=(-device virtio-rng-device
			-chardev "file,id=con0,path=$dir/hvc0.out"
			-device virtio-serial-device -device virtconsole,chardev=con0
			-chardev "socket,id=qmpr,path=$dir/qmpr.sock,server=on,wait=off"
			-device virtserialport,chardev=qmpr,name=rig.qmp
			-netdev user,id=net0,restrict=on -device virtio-net-device,netdev=net0)
	fi
	local t0=$(date +%s) agent attempt=0 watch='' sampler='' lane_timeout=$LANE_TIMEOUT
	[ "$kver" = debug ] && lane_timeout=$DEBUG_TIMEOUT
	# a snapshot lane's guest goes on in new QEMU processes (snapshot_respawn)
	local restore=() from='' qtmo=$lane_timeout
	while :; do
		attempt=$((attempt + 1)) rc=0 watch=''
		# the guest asks for QMP commands (resize, ...) through its console
		# ... and reads the replies it asks for on the rig.qmp port
		RIG_HOST_HOOK=$LANE_HOST_HOOK "$TOP/tools/guest/qmp-agent.py" ${from:+--from "$from"} "$dir/console.log" "$dir/qmp.sock" ${others_dev:+"$dir/qmpr.sock"} 2>"$dir/qmp-agent.log" &
		agent=$!
		if [ -n "$LANE_THREADS" ]; then
			thread_sampler "$dir" &
			sampler=$!
		fi
		if [ -n "$LANE_BOOT_WATCH" ]; then
			boot_watch "$dir" "$LANE_BOOT_WATCH" &
			watch=$!
		fi
		"$TOP/tools/guest/qemu-run.sh" "${LANE_QEMU[@]}" --kernel "$KIMAGE" --initrd "$INITRD" "${dtbarg[@]}" \
			"--$layout" --bus "${LANE_BUS:-mmio}" --timeout "$qtmo" --log "$dir/console.log" ${from:+--log-append} \
			--append "rig.mode=check rig.drivers=$drv rig.layout=$layout rig.nvirtio=$nvirtio rig.fault=$fault ${LANE_LOGLEVEL:-loglevel=1} log_buf_len=4M ${only:+rig.only=$only} rig.skip=$quiet${skip:+,$skip} ${env:+rig.env=$env}${LANE_BUS:+ rig.bus=$LANE_BUS}${LANE_APPEND:+ $LANE_APPEND}" \
			--disk "file=$dir/scratch.img,format=raw|$scratch" \
			"${others[@]}" \
			-- -qmp "unix:$dir/qmp.sock,server=on,wait=off" \
			"${others_dev[@]}" \
			"${LANE_EXTRA[@]}" "${restore[@]}" || rc=$?
		if [ -n "$watch" ]; then
			kill "$watch" 2>/dev/null || true
			wait "$watch" 2>/dev/null || true
		fi
		kill "$agent" 2>/dev/null || true
		wait "$agent" 2>/dev/null || true
		[ -z "$sampler" ] || wait "$sampler" 2>/dev/null || true
		! snapshot_respawn "$dir" "$t0" "$lane_timeout" || continue
		# a guest that never reached init (the kernel hung in early
		# boot, before any of the project's code ran) gets up to two more
		# boots where LANE_BOOT_WATCH allows it; the TAP says so
		if [ -n "$LANE_BOOT_WATCH" ] && [ $attempt -lt 3 ] &&
			! grep -q '^# rig: kernel' "$dir/console.log"; then
			mv "$dir/console.log" "$dir/console.hung-boot$attempt.log"
			echo "  [lane $lane] the kernel hung in early boot; booting again" >&2
			continue
		fi
		break
	done
	echo "  [lane $lane] guest done in $(($(date +%s) - t0))s (qemu rc=$rc)" >&2
	{
		awk -f "$TOP/tools/check/tap-collect.awk" "$dir/console.log"
		[ $rc = 0 ] || printf 'fail\tqemu.exit\tQEMU exited with %s\n' "$rc"
		for t in ${skip//,/ }; do
			case ",${only:-$t}," in *",$t,"*)
				printf 'skip\t%s\tslow: make check runs it on %s, make check-long everywhere\n' "$t" "$HEAVY_LANES" ;;
			esac
		done
		if [ -f "$dir/console.hung-boot1.log" ]; then
			printf 'skip\thost.first_boot\tthe kernel hung in early boot, before init, %s time(s) (%s); the next boot ran the tests\n' \
				"$((attempt - 1))" "$dir/console.hung-boot1.log"
		fi
		host_checks "$dir"
		[ -z "$LANE_THREADS" ] || iothread_checks "$dir"
		[ ! -f "$dir/snap.log" ] || snapshot_checks "$dir"
	} | sed "s/^\([a-z]*\)\t/\1\t$lane: /" >"$dir/results.txt"
	if grep -q "^fail	" "$dir/results.txt"; then
		echo "  [lane $lane] console log: $dir/console.log" >&2
	fi
	cat "$dir/results.txt"
}

# boot_watch DIR SECS: kill the lane's QEMU if its guest has not started
# the test runner ("# rig: kernel" on the console) within SECS
boot_watch() {
	local dir=$1 i=0 p
	while [ $i -lt "$2" ]; do
		grep -q '^# rig: kernel' "$dir/console.log" 2>/dev/null && return 0
		sleep 1
		i=$((i + 1))
	done
	for p in $(pgrep -f -- "file=$dir/scratch.img" || true); do
		case "$(cat "/proc/$p/comm" 2>/dev/null)" in qemu-system-*) kill "$p" ;; esac
	done
}

# thread_sampler DIR: while the lane's QEMU runs, log the name and the
# voluntary context switches of each of its threads to DIR/threads.txt,
# every half second (QEMU names them with -name ...,debug-threads=on:
# "IO <iothread id>"); the checks take each thread's largest count
thread_sampler() {
	local dir=$1 pid='' p i=0 t
	while [ -z "$pid" ] && [ $i -lt 300 ]; do
		for p in $(pgrep -f -- "file=$dir/scratch.img" || true); do
			case "$(cat "/proc/$p/comm" 2>/dev/null)" in qemu-system-*) pid=$p ;; esac
		done
		[ -n "$pid" ] || sleep 0.1
		i=$((i + 1))
	done
	[ -n "$pid" ] || return 0
	while [ -d "/proc/$pid" ]; do
		for t in /proc/"$pid"/task/*; do
			printf '%s\t%s\n' "$(cat "$t/comm")" \
				"$(sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "$t/status")"
		done 2>/dev/null >>"$dir/threads.txt"
		sleep 0.5
	done
}

# thread_max DIR NAME: the largest count sampled for the thread NAME
thread_max() {
	awk -F'\t' -v n="$2" '$1 == n && $2 != "" && $2 + 0 >= m { m = $2 + 0; s = 1 }
		END { if (s) print m }' "$1/threads.txt" 2>/dev/null
}

# iothread_checks DIR: every iothread in LANE_THREADS did work, many times
# more than the idle control iothread (LANE_IDLE_THREAD), the last sample
# before QEMU exited
iothread_checks() {
	local dir=$1 t n idle
	idle=$(thread_max "$dir" "IO $LANE_IDLE_THREAD")
	for t in $LANE_THREADS; do
		n=$(thread_max "$dir" "IO $t")
		if [ -z "$n" ] || [ -z "$idle" ]; then
			printf 'fail\thost.iothread_%s_served\tno sample of the iothreads (%s)\n' "$t" "$dir/threads.txt"
		elif [ "$n" -ge 200 ] && [ "$n" -ge $((10 * idle + 10)) ]; then
			printf 'pass\thost.iothread_%s_served\t\n' "$t"
		else
			printf 'fail\thost.iothread_%s_served\t%s context switches, the idle iothread %s\n' "$t" "$n" "$idle"
		fi
	done
}

# Host-side halves of guest tests: the file system the guest made must
# pass the host's e2fsck -fn and hold the marker the guest wrote last; the
# bytes the guest wrote to virtio_console must be in the chardev file.
host_checks() {
	local dir=$1 res
	res=$(awk -f "$TOP/tools/check/tap-collect.awk" "$dir/console.log")
	case "$(echo "$res" | awk -F'\t' '$2 == "t_virtio_devs.virtio_console_writes" { print $1 }')" in
	pass)
		if grep -q '^rig-console-ok' "$dir/hvc0.out" 2>/dev/null; then
			printf 'pass\thost.console_bytes\t\n'
		else
			printf 'fail\thost.console_bytes\tnothing from virtio_console in %s\n' "$dir/hvc0.out"
		fi ;;
	esac
	# the stop lanes: QEMU paused the guest on the write and on the read
	case "$(echo "$res" | awk -F'\t' '$2 == "t_stop.read_survives_stop" { print $1 }')" in
	pass)
		if grep -q '^auto-cont .* write' "$dir/console.log.qmp" 2>/dev/null &&
			grep -q '^auto-cont .* read' "$dir/console.log.qmp"; then
			printf 'pass\thost.paused_and_resumed\t%s\n' "$(grep -c '^auto-cont' "$dir/console.log.qmp") pauses"
		else
			printf 'fail\thost.paused_and_resumed\tno BLOCK_IO_ERROR stop for both the write and the read (%s)\n' "$dir/console.log.qmp"
		fi ;;
	esac
	# t_big wrote the disk's last sectors (the backup GPT) and put them
	# back, and wrote past the end: both tables must be as written
	if [ -f "$dir/big.img.gpt" ] && echo "$res" | grep -q '	t_big\.'; then
		if sfdisk -d "$dir/big.img" 2>&1 | cmp -s - "$dir/big.img.gpt"; then
			printf 'pass\thost.big_gpt_intact\t\n'
		else
			printf 'fail\thost.big_gpt_intact\t%s\n' "$(sfdisk -d "$dir/big.img" 2>&1 | diff "$dir/big.img.gpt" - | grep '^[<>]' | head -n 2 | tr '\n' ' ')"
		fi
	fi
	case "$(echo "$res" | awk -F'\t' '$2 == "t_ext4.leave_marker" { print $1 }')" in
	pass) ;;
	"") return 0 ;;
	*) printf 'skip\thost.e2fsck_fn\tthe guest wrote no file system\n'
	   printf 'skip\thost.marker\tthe guest wrote no file system\n'
	   return 0 ;;
	esac
	if e2fsck -fn "$dir/fs.img" >"$dir/e2fsck.log" 2>&1; then
		printf 'pass\thost.e2fsck_fn\t\n'
	else
		printf 'fail\thost.e2fsck_fn\tsee %s\n' "$dir/e2fsck.log"
	fi
	if debugfs -R 'cat /rig-marker' "$dir/fs.img" 2>/dev/null | grep -q '^rig-ext4-ok'; then
		printf 'pass\thost.marker\t\n'
	else
		printf 'fail\thost.marker\t/rig-marker missing or wrong\n'
	fi
}

# diskfull_setup LANE: one more disk, "fulldisk": a 256 MiB sparse raw
# file on a 32 MiB tmpfs mounted for the lane, so the host's disk fills
# under the guest's writes; werror=report,rerror=report hand the host's
# ENOSPC to the guest as an I/O error (selftests/block/t_diskfull.sh).
# The tmpfs is unmounted at the end of the run (DISKFULL_MOUNTS).
# DISKFULL_TMPFS sets its size (a size past the disk's shows the test
# failing: the host never fills).
DISKFULL_MOUNTS=()
diskfull_setup() {
	local mnt=$CACHE/check/diskfull-$1
	! mountpoint -q "$mnt" || umount "$mnt" || die "cannot unmount $mnt"
	mkdir -p "$mnt"
	mount -t tmpfs -o "size=${DISKFULL_TMPFS:-32m}" "rig-diskfull" "$mnt" || die "mounting a tmpfs on $mnt failed (needs root)"
	DISKFULL_MOUNTS+=("$mnt")
	truncate -s 256M "$mnt/full.img"
	LANE_EXTRA=(-drive "if=none,id=fulld,file=$mnt/full.img,format=raw"
		-device virtio-blk-device,drive=fulld,serial=fulldisk,werror=report,rerror=report)
	LANE_EXTRA_DEVICES=1
}
diskfull_cleanup() {
	local m
	for m in "${DISKFULL_MOUNTS[@]}"; do
		! mountpoint -q "$m" || umount "$m"
	done
}

# backend_setup KIND LANE: one more disk, served by the host's
# qemu-storage-daemon (a 256 MiB raw file export) in a process of its own,
# as hvisor's virtio daemon is:
#   vhost  a vhost-user-blk device (guest RAM in a shared memfd, the
#          socket reconnecting); QEMU 10: 7.2 cannot give a vhost-user
#          device its kick eventfd under TCG.  Modern only: libvhost-user
#          refuses a legacy device ("virtio legacy devices aren't
#          supported by libvhost-user").
#   nbd    a virtio-blk device of the lane's layout whose block node is an
#          NBD client of the daemon's export, reconnecting; the requests
#          in flight wait for the server up to NBD_RECONNECT_DELAY s (20:
#          QEMU's client retries 1, 2, 4, 8 and 16 s apart, so a server
#          back after 9 s is reached 15 s after it went) and then fail
#          with EIO.  Works on both layouts and QEMU 7.2.
# The guest kills and restarts the daemon through the lane's host hook
# (# rig: host backend-WORD, see tools/guest/qmp-agent.py and the hook
# below) under a verified load (t_backend).  The daemons are stopped at
# the end of the run (BACKEND_HOOKS).
BACKEND_HOOKS=()
NBD_RECONNECT_DELAY=${NBD_RECONNECT_DELAY:-20}
backend_setup() {
	local d=$CACHE/check/backend-$2 serve
	command -v qemu-storage-daemon >/dev/null || die "no qemu-storage-daemon (Debian's qemu-system-common)"
	case "$1" in
	vhost)
		qemu10_setup
		serve="--export type=vhost-user-blk,id=e0,node-name=f0,writable=on,num-queues=1,addr.type=unix,addr.path=$d/sock"
		LANE_EXTRA=(-object memory-backend-memfd,id=mem,size=1024M,share=on -machine memory-backend=mem
			-chardev "socket,id=vu0,path=$d/sock,reconnect-ms=500"
			-device vhost-user-blk,chardev=vu0,num-queues=1) ;;
	nbd)
		serve="--nbd-server addr.type=unix,addr.path=$d/sock --export type=nbd,id=e0,node-name=f0,writable=on,name=d0"
		LANE_EXTRA=(-blockdev "driver=nbd,node-name=nbd0,server.type=unix,server.path=$d/sock,export=d0,reconnect-delay=$NBD_RECONNECT_DELAY"
			-device virtio-blk-device,drive=nbd0,serial=nbd_backend) ;;
	esac
	[ ! -x "$d/hook" ] || "$d/hook" backend-kill
	rm -rf "$d" && mkdir -p "$d"
	truncate -s 256M "$d/disk.img"
	cat >"$d/hook" <<-EOF
	#!/bin/sh
	# the lane's host hook (the guest names the word):
	#   backend-kill     SIGKILL the daemon
	#   backend-start    start it (on the same socket and image)
	#   backend-down-N   SIGKILL it, and start it again N s later
	#   backend-stop-N   SIGSTOP it, and SIGCONT it N s later: a backend
	#                    that is only slow, its socket still connected
	#   backend-cont     SIGCONT it at once
	# The host brings the daemon back on its own after a -N word: a
	# guest whose driver resets the device meanwhile is frozen (QEMU's
	# reset waits for the requests the backend holds: a stopped vhost-user
	# daemon's answer, the NBD client's reconnection) and could not ask.
	p=\$(cat "$d/pid" 2>/dev/null)
	case "\$1" in
	backend-kill) [ -z "\$p" ] || kill -9 "\$p" 2>/dev/null; rm -f "$d/pid" ;;
	backend-down-[0-9]*)
		"\$0" backend-kill
		(sleep "\${1#backend-down-}"; "\$0" backend-start) >/dev/null 2>&1 </dev/null & ;;
	backend-stop-[0-9]*)
		[ -n "\$p" ] && kill -STOP "\$p" || exit 1
		(sleep "\${1#backend-stop-}"; kill -CONT "\$p") >/dev/null 2>&1 </dev/null & ;;
	backend-cont) kill -CONT "\$p" ;;
	backend-start)
		rm -f "$d/sock"
		qemu-storage-daemon --blockdev driver=file,node-name=f0,filename="$d/disk.img" \\
			$serve >>"$d/qsd.log" 2>&1 </dev/null &
		echo \$! >"$d/pid"
		i=0
		while [ ! -S "$d/sock" ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
		[ -S "$d/sock" ] ;;
	*) exit 2 ;;
	esac
	EOF
	chmod +x "$d/hook"
	"$d/hook" backend-start || die "qemu-storage-daemon did not start (see $d/qsd.log)"
	BACKEND_HOOKS+=("$d/hook")
	LANE_HOST_HOOK=$d/hook
	LANE_EXTRA_DEVICES=1
}
backend_cleanup() {
	local h
	for h in "${BACKEND_HOOKS[@]}"; do "$h" backend-kill; done
}

# unplug_setup LANE: a pci lane with one more disk, "unplug", behind a
# PCIe root port of its own: devices on the root bus of `virt` cannot be
# unplugged, a root port's slot can (the kernel's pciehp handles it).
# The guest asks for QMP device_del of its id, unplug0, under a mounted
# ext4 and a load (selftests/block/t_unplug.sh).
# Then the guest plugs it back and pulls it again UNPLUG_CYCLES times (2;
# 20 in make check-long).
unplug_setup() {
	UNPLUG_CYCLES=2
	[ "${CHECK_LONG:-0}" != 1 ] || UNPLUG_CYCLES=20
	LANE_BUS=pci LANE_DTB=qemu
	truncate -s 64M "$CACHE/check/unplug-$1.img"
	LANE_EXTRA=(-device pcie-root-port,id=rp0,chassis=1,slot=1
		-drive "if=none,id=unplugd,file=$CACHE/check/unplug-$1.img,format=raw"
		-device virtio-blk-pci,drive=unplugd,id=unplug0,serial=unplug,bus=rp0)
	LANE_EXTRA_DEVICES=1
}

# snapshot_setup KIND LANE: the guest is saved with its I/O in flight and
# restored in a new QEMU process, SNAPSHOTS times (3; 50 in make
# check-long), on the guest's request (# rig: host snapshot, from
# selftests/block/t_snapshot.sh): the host hook, tools/check/snapshot-hook.py,
# migrates the guest to a file through a second QMP monitor, leaves
# DIR/respawn and quits QEMU; run_lane_now then starts QEMU again with the
# same command line plus -incoming (snapshot_respawn).  KIND
# snapshot-qemu10 on QEMU 10 (migrates to a file: URI), snapshot on the
# host's 7.2 (exec:).  Every device of the lane's set migrates (none
# registers a migration blocker): the lane has them all.
snapshot_setup() {
	local dir=$CACHE/check/$2 hook=$CACHE/check/$2.hook
	[ "$1" != snapshot-qemu10 ] || qemu10_setup
	# 512 MiB of guest RAM, not 1 GiB: the migration reads every page,
	# and QEMU checks the zero ones at some 25000 a second on a busy host
	# (10 s a snapshot for 1 GiB)
	LANE_QEMU+=(--mem 512)
	SNAPSHOTS=3
	[ "${CHECK_LONG:-0}" != 1 ] || SNAPSHOTS=50
	# the hook outlives run_lane_now's rm -rf of the lane's directory
	# shellcheck disable=SC2016 # "$1" is the hook's own argument
	printf '#!/bin/sh\nexec "%s" "%s" "$1"\n' "$TOP/tools/check/snapshot-hook.py" "$dir" >"$hook"
	chmod +x "$hook"
	LANE_HOST_HOOK=$hook
	LANE_EXTRA=(-qmp "unix:$dir/hook.sock,server=on,wait=off")
}
# snapshot_respawn DIR T0 TIMEOUT: after a QEMU of the lane exited: if the
# snapshot hook saved the guest (DIR/respawn), set run_lane_now's restore
# (the -incoming arguments, and a -name the guest asks for to know it was
# restored: snapN), from (the console log's end, where the next agent
# starts reading) and qtmo (what is left of the lane's time), and start
# the hook's resume beside it; false when there is nothing to restore
snapshot_respawn() {
	local dir=$1 n
	[ -f "$dir/respawn" ] || return 1
	n=$(grep -c '^snapshot [0-9]' "$dir/snap.log")
	restore=(-name "snap$n" -incoming "$(cat "$dir/respawn")")
	rm -f "$dir/respawn"
	# the guest was saved paused: continue it once the new QEMU loaded it
	"$dir.hook" resume </dev/null >/dev/null 2>&1 &
	from=$(stat -c %s "$dir/console.log")
	qtmo=$(($3 - ($(date +%s) - $2)))
	[ "$qtmo" -gt 10 ] || qtmo=10
}
# snapshot_checks DIR: the host's side of the snapshots: every migration
# completed, and the restored guest asked for the next (the lines of
# DIR/snap.log), with their times
snapshot_checks() {
	local dir=$1 n fails
	n=$(grep -c '^snapshot [0-9]' "$dir/snap.log" || true)
	fails=$(grep '^snapshot failed' "$dir/snap.log" | head -n 2 | tr '\n' ' ' || true)
	if [ -z "$fails" ] && [ "$n" -gt 0 ]; then
		printf 'pass\thost.snapshots_saved\t%s\n' "$n saved and restored, $(awk '
			{ t = $4 + 0; d = $7 + 0; st += t; if (t > mt) mt = t; if (d > md) md = d }
			END { printf "migration %.1f s on average (max %.1f), downtime max %d ms", st / NR, mt, md }' "$dir/snap.log")"
	else
		printf 'fail\thost.snapshots_saved\t%s\n' "${fails:-no snapshot in $dir/snap.log}"
	fi
}

# stop_setup KVER DRIVERS: one more disk, "stopdisk", with QEMU's
# werror=stop and rerror=stop over blkdebug rules that fail one write and
# one read once: QEMU pauses the guest, the qmp-agent resumes it, the
# request is retried (selftests/block/t_stop.sh)
stop_setup() {
	local img drive
	img=$CACHE/check/stopdisk-$1-$2.img
	rm -f "$img" && truncate -s 16M "$img"
	drive="driver=raw,file.driver=blkdebug,file.image.driver=file,file.image.filename=$img"
	drive+=",file.inject-error.0.event=write_aio,file.inject-error.0.iotype=write,file.inject-error.0.sector=20480,file.inject-error.0.errno=5,file.inject-error.0.once=on"
	drive+=",file.inject-error.1.event=read_aio,file.inject-error.1.iotype=read,file.inject-error.1.sector=24576,file.inject-error.1.errno=5,file.inject-error.1.once=on"
	LANE_EXTRA=(-drive "if=none,id=stopd,$drive"
		-device virtio-blk-device,drive=stopd,serial=stopdisk,werror=stop,rerror=stop)
	LANE_EXTRA_DEVICES=1
}

# hvisor_setup: the guest's half of the hvisor-tool device profile (the
# lane's props= are the device's half): vmmio caps its rings at the 512
# entries of hvisor-tool's ring, since QEMU's virtio-mmio offers 1024
# whatever queue-size says (there queue-size only sets seg_max).  The
# guest hands MODULE.NAME=VALUE kernel arguments to modprobe
# (rig_mod_args in selftests/lib/test_common.sh).
hvisor_setup() {
	LANE_APPEND=vmmio.max_ring=512
}

# qemu10_setup: QEMU 10 (bookworm-backports, unpacked in the cache) for
# the lane
qemu10_setup() {
	if [ -z "${QEMU_BIN:-}" ]; then
		qenv=$("$TOP/tools/host/fetch-qemu.sh" 10) || die "fetching QEMU 10 failed"
		eval "$qenv"
		echo "# QEMU 10: $("$QEMU_BIN" -L "$QEMU_DATA" --version | head -n1) ($QEMU_VERSION)" >&2
	fi
	LANE_QEMU=(--qemu "$QEMU_BIN" --qemu-data "$QEMU_DATA" --qemu-libs "$QEMU_LIBS")
}

# iothread_setup DRIVERS: the scratch disk's two request virtqueues served
# by two host iothreads (iothread-vq-mapping, new in QEMU 9.0, JSON
# -device syntax only), plus an idle third iothread as the control of the
# host-side check.  QEMU's own device tree declares the virtio-mmio lines
# rising-edge; with iothreads a device can leave its line up across the
# guest's acknowledge, and a driver that does not read InterruptStatus
# again (the in-tree virtio_mmio) loses its interrupts once in a few runs.
# vmmio reads it again: its lane keeps QEMU's tree.  The others boot ours
# with level-triggered lines (IOTHREAD_DTB=level forces that).
iothread_setup() {
	qemu10_setup
	LANE_SCRATCH='{"serial": "scratch", "num-queues": 2, "iothread-vq-mapping": [{"iothread": "io0", "vqs": [0]}, {"iothread": "io1", "vqs": [1]}]}'
	LANE_EXTRA=(-name 'rig,debug-threads=on' -object 'iothread,id=io0'
		-object 'iothread,id=io1' -object 'iothread,id=io2')
	LANE_THREADS="io0 io1" LANE_IDLE_THREAD=io2
	case "${IOTHREAD_DTB:-qemu}:$1" in
	level:* | *:intree | *:vblk)
		LANE_DTB=$CACHE/build/virt-level-irqs.dtb
		"$TOP/tools/guest/build-dtb.sh" "$TOP/tools/guest/dts/virt-level-irqs.dts" "$LANE_DTB" ;;
	esac
}

# microvm_setup KIND: x86_64 microvm (the host's qemu-system-x86_64, TCG),
# Debian's amd64 6.1 kernel, on which virtio, virtio_ring, virtio_mmio and
# virtio_blk are modules (the initramfs carries them; modprobe loads
# vmmio's dependencies), with the slots found (a) through ACPI (LNRO0005 in
# microvm's DSDT), (b) without ACPI, on the kernel command line QEMU
# writes (auto-kernel-cmdline), given to vmmio as device=.  Without ACPI
# microvm has 8 slots on GSIs 5-12; rtc=off frees GSI 8, which the RTC
# would share with slot 3.  Debian's in-tree virtio_mmio has no device=
# parameter (VIRTIO_MMIO_CMDLINE_DEVICES is off on amd64).
microvm_setup() {
	# The x86_64 guest with a quiet console (loglevel=1) hung in early
	# boot, before starting its second CPU, in about half the boots
	# while the host was busy (a 2-vCPU TCG guest beside it); with the
	# kernel's messages on the serial console, none in 13 boots, 5 of
	# them busy.  Why is not known yet: no symbols for the hung RIP
	# (Debian's System.map is in the -dbg package).
	LANE_LOGLEVEL=loglevel=7
	# It still hung once in a run with the host heavily loaded (load
	# average 10): jiffies never advanced ("Calibrating delay loop"
	# waited forever after the TSC calibration against the PIT failed).
	# Such a guest has not run any of our code yet: boot it again.
	LANE_BOOT_WATCH=120
	# In a cold run on a loaded host (2026-11-26) both boots of a lane
	# hung that way: "Fast TSC calibration failed", then no tick.  TCG's
	# TSC is the host's, so tell the kernel its rate: TSC calibration
	# and the delay-loop calibration (the wait for a tick) are skipped.
	local tsc_khz append
	tsc_khz=$(awk -F: '/^flags/ && / constant_tsc/ { c = 1 } /^cpu MHz/ && !m { m = $2 }
		END { if (c && m > 0) printf "%d", m * 1000 }' /proc/cpuinfo)
	append=${tsc_khz:+tsc_early_khz=$tsc_khz}
	MICROVM_KREL=$KREL
	# microvm has 8 slots, all taken by the lane's usual devices
	LANE_LOAD_DISKS=0 LANE_BIG_DISK=0
	case "$1" in
	microvm-acpi)
		LANE_QEMU=(--machine 'microvm,acpi=on')
		LANE_DESC="x86_64 microvm, slots from ACPI (LNRO0005)"
		LANE_APPEND=$append ;;
	microvm-cmdline)
		LANE_QEMU=(--machine 'microvm,acpi=off,rtc=off')
		LANE_APPEND="rig.mmio=cmdline reboot=t${append:+ $append}"
		LANE_DESC="x86_64 microvm without ACPI, slots from the kernel command line" ;;
	esac
}

# microvm_dkms_setup LANE: the microvm-acpi lane's guest, booting the
# vmmio.ko and vblk.ko that dkms built and installed from make deb's
# package (host-dkms-check keeps a copy in dist/dkms-check/modules-amd64/)
# instead of the rig's build.  Waits for that lane when it is in this run
# (it comes earlier in the lanes file), else runs its script for amd64
# alone.  Sets DKMS_FAIL to the reason when there are no such modules.
microvm_dkms_setup() {
	local mods=$TOP/dist/dkms-check/modules-amd64 d=$CACHE/build/amd64-dkms i=0 ko sum
	microvm_setup microvm-acpi
	LANE_DESC="x86_64 microvm, slots from ACPI, the modules dkms built from the package"
	DKMS_FAIL=''
	case " ${lane_names[*]} " in
	*" host-dkms-check "*)
		while [ ! -f "$CACHE/check/host-dkms-check.done" ] && [ $i -lt 3600 ]; do
			sleep 2
			i=$((i + 2))
		done ;;
	*)
		rm -rf "$mods"
		DKMS_KVERS=amd64 "$TOP/tools/check/dkms-check.sh" >"$CACHE/check/$1.dkms.log" 2>&1 ||
			echo "  [lane $1] dkms-check.sh failed: $CACHE/check/$1.dkms.log" >&2 ;;
	esac
	for ko in vmmio vblk; do
		[ -f "$mods/$ko.ko" ] || DKMS_FAIL="no $mods/$ko.ko: dkms did not build and install it (host-dkms-check)"
	done
	[ -z "$DKMS_FAIL" ] || return 0
	rm -rf "$d" && mkdir -p "$d/modules"
	# the package's modules, and the rig's test module (not packaged)
	cp "$mods"/vmmio.ko "$mods"/vblk.ko "$MODDIR"/vqerr_test.ko "$d/modules/"
	step initramfs-amd64-dkms "$TOP/tools/guest/mkinitramfs.sh" amd64 "$d/modules" \
		"$CACHE/build/selftests-amd64" "$d/initramfs.cpio" "$CACHE/build/amd64/modules-fault" ||
		{ DKMS_FAIL="building the initramfs with dkms's modules failed"; return 0; }
	for ko in vmmio vblk; do
		sum=$(sha256sum <"$mods/$ko.ko")
		cmp -s "$mods/$ko.ko" "$d/modules/$ko.ko" && [ "$(sha256sum <"$d/modules/$ko.ko")" = "$sum" ] ||
			DKMS_FAIL="$ko.ko in the initramfs is not dkms's"
	done
	INITRD=$d/initramfs.cpio
}

# crash consistency: the replay tools' own tests (once), then one boot per
# crash lane with its disks on blklogwrites, checked on the host
crash_tools() {
	for t in logwrites-replay crash-verify; do
		if out=$("$TOP/tools/check/$t.py" selftest 2>&1); then
			printf 'pass\tcrash-tools: %s.selftest\t%s\n' "$t" "$(echo "$out" | grep -c '^ok') cases"
		else
			printf 'fail\tcrash-tools: %s.selftest\t%s\n' "$t" "$(echo "$out" | grep -v '^ok' | head -n 3 | tr '\n' ' ')"
		fi
	done
}
# crash_lane KVER LAYOUT DRIVERS TESTS
crash_lane() {
	local lane=crash-$1-$2-$3
	echo "# lane $lane: kernel $KREL ($KPKGVER), $2 virtio-mmio, $3 drivers, disks on blklogwrites" >&2
	{ KIMAGE=$KIMAGE INITRD=$INITRD CRASH_KVER=$1 CRASH_ONLY=$4 \
		"$TOP/tools/check/crash-check.sh" "$CACHE/check/$lane" "$3" "$2" ||
		printf 'fail\tcrash.lane\tcrash-check.sh exited with an error\n'; } |
		sed "s/^\([a-z]*\)\t/\1\t$lane: /" >"$CACHE/check/$lane.results"
	if grep -q "^fail	" "$CACHE/check/$lane.results"; then
		echo "  [lane $lane] console log: $CACHE/check/$lane/console.log" >&2
	fi
	cat "$CACHE/check/$lane.results"
}

. "$TOP/tools/check/check-odd.sh"

# lane_group KIND: the LANES group a lane kind belongs to
lane_group() {
	case "$1" in
	matrix | toggle | 1dev | stop | diskfull | topology | hvisor | nbd) echo matrix ;;
	qemu10 | iothread | vhost | snapshot-qemu10) echo qemu10 ;;
	unplug) echo pci ;;
	snapshot) echo matrix ;;
	microvm-*) echo microvm ;;
	*) echo "$1" ;;
	esac
}

# host_lane NAME KVER SCRIPT: a host-side check (SCRIPT.sh in tools/check/,
# which prints TAP: "ok N [- ]what", "not ok N [- ]what" with "# " lines
# after it) as a lane: its cases become the lane's results, and an exit
# status other than 0 without a failed case is a failure of its own
host_lane() {
	local lane=$1 log=$CACHE/check/$1.log rc=0
	echo "# lane $lane: tools/check/$3.sh on the host (KVER=$2)" >&2
	# the make run checks' boot limit (600 s idle) grows with the host's
	# calibration factor, as the lanes' do
	KVER=$2 RUN_CHECK_TIMEOUT=${RUN_CHECK_TIMEOUT:-$(awk -v f="$CAL_FACTOR" 'BEGIN { printf "%d", 600 * f }')} \
		"$TOP/tools/check/$3.sh" >"$log" 2>&1 || rc=$?
	awk -v l="$lane" -v rc="$rc" -F'\t' '
	function flush() { if (name != "") printf "fail\t%s: %s\t%s\n", l, name, why; name = "" }
	/^not ok [0-9]+ / { flush(); name = $0; sub(/^not ok [0-9]+ (- )?/, "", name); why = ""; nf++; next }
	/^# / && name != "" { if (length(why) < 200) why = why (why == "" ? "" : " ") substr($0, 3); next }
	/^ok [0-9]+ / { flush(); t = $0; sub(/^ok [0-9]+ (- )?/, "", t)
		if (t ~ / # SKIP/) { r = t; sub(/.* # SKIP */, "", r); sub(/ # SKIP.*/, "", t); printf "skip\t%s: %s\t%s\n", l, t, r }
		else printf "pass\t%s: %s\t\n", l, t
		n++; next }
	END { flush()
		if (rc != 0 && nf == 0) printf "fail\t%s: exit status\t%s exited with %d after %d cases\n", l, FILENAME, rc, n }
	' "$log"
	grep -q '^not ok' "$log" || [ "$rc" = 0 ] || echo "  [lane $lane] log: $log" >&2
	# for a lane that waits on this one (microvm-dkms)
	touch "$CACHE/check/$lane.done"
}
# lane_name KIND KVER LAYOUT DRIVERS PROPS
lane_name() {
	local base=$2-$3-$4
	case "$1" in
	matrix) echo "$base" ;;
	toggle) echo "$base-${5//[=,]/-}" ;;
	crash) echo "crash-$base" ;;
	host) echo "host-$6" ;;
	qemu10) echo "$base-qemu10" ;;
	iothread) echo "$base-qemu10-iothread-vq-mapping" ;;
	*) echo "$base-$1" ;;
	esac
}
# wanted VAR WORD: true if the filter variable VAR (KVERS, ...) is unset
# or lists WORD
wanted() {
	[ -n "${!1+set}" ] || return 0
	case " ${!1} " in *" $2 "*) return 0 ;; esac
	return 1
}

# the lanes file: sets, then the lanes that pass the filters, as
# "KIND KVER LAYOUT DRIVERS TESTS KEYS..." lines
declare -A test_set=()
lane_lines=() lane_names=() HEAVY_LANES=''
while read -r kind a b c d e; do
	case "$kind" in '#'* | '') continue ;; esac
	if [ "$kind" = set ]; then
		test_set[$a]=$b
		continue
	fi
	[ -n "$d" ] || die "$LANES_FILE: a lane needs KIND KVER LAYOUT DRIVERS TESTS: '$kind $a $b $c'"
	props=$(echo " $e" | sed -n 's/.* props=\([^ ]*\).*/\1/p')
	name=$(lane_name "$kind" "$a" "$b" "$c" "$props" "$d")
	case " $e " in *" heavy=1 "*) HEAVY_LANES="$HEAVY_LANES${HEAVY_LANES:+ }$name" ;; esac
	case " $LANES " in *" $(lane_group "$kind") "*) ;; *) continue ;; esac
	[ "$kind" != crash ] || [ "$CRASH" = 1 ] || continue
	wanted KVERS "$a" && wanted LAYOUTS "$b" && wanted DRIVERS "$c" || continue
	# shellcheck disable=SC2053
	[ -z "${LANE:-}" ] || [[ $name == $LANE ]] || continue
	# make check-long's own lanes: make check runs them only when LANE
	# names them
	case " $e " in *" long=only "*)
		[ "${CHECK_LONG:-0}" = 1 ] || [ -n "${LANE:-}" ] || continue ;;
	esac
	lane_lines+=("$kind $a $b $c $d $e")
	lane_names+=("$name")
done <"$LANES_FILE"

# lane_tests TESTS KEYS: rig.only for the lane ("" = the whole suite)
lane_tests() {
	local t out=''
	if [ -n "${ONLY:-}" ]; then
		echo "$ONLY"
		return
	fi
	[ "$1" != all ] || return 0
	case " $2 " in *" long=all "*) [ "${CHECK_LONG:-0}" != 1 ] || return 0 ;; esac
	for t in ${1//,/ }; do
		case "$t" in
		@*) [ -n "${test_set[${t#@}]:-}" ] || die "$LANES_FILE: no set ${t#@}"
			t=${test_set[${t#@}]} ;;
		esac
		out=$out${out:+,}$t
	done
	echo "$out"
}

# each kernel's guest, built once (build-guest.sh's output)
declare -A guest_env=() kvers_run=()
guest_for() {
	if [ -z "${guest_env[$1]:-}" ]; then
		guest_env[$1]=$("$TOP/tools/guest/build-guest.sh" "$1") || die "building the $1 guest failed"
		eval "${guest_env[$1]}"
		echo "# kernel $1: $KREL, Debian package $KPKGVER" >&2
		kvers_run[$1]=1
	fi
	eval "${guest_env[$1]}"
}

if [ "${CHECK_LIST:-0}" = 1 ]; then
	for i in "${!lane_lines[@]}"; do
		read -r kind kver layout drv tests keys <<<"${lane_lines[i]}"
		only=$(lane_tests "$tests" "$keys")
		printf '%s\t%s\n' "${lane_names[i]}" "${only:-all}"
	done
	exit 0
fi

# calibrate: three rounds of calibration boots, CHECK_JOBS at once, each
# with the lanes' two vCPUs: the host as the lanes will find it.  (One
# one-vCPU boot at a time saw nothing of two other guests that kept one of
# the two cores busy, factor 1.00, while a lane beside them took 1.5 times
# its idle time.)  The median boot's wall time against CAL_REF_SECS scales
# LANE_TIMEOUT (unless LANE_TIMEOUT was given) and the limits derived from
# it.  Only when a lane boots a guest.
calibrate() {
	local dir=$CACHE/check/calibrate i j t0 secs=() med factor pids
	rm -rf "$dir" && mkdir -p "$dir"
	guest_for 6.1
	for i in 1 2 3; do
		pids=()
		for ((j = 0; j < CHECK_JOBS; j++)); do
			truncate -s 64M "$dir/scratch$j.img"
			(
				t0=$(date +%s.%N)
				"$TOP/tools/guest/qemu-run.sh" --kernel "$KIMAGE" --initrd "$INITRD" \
					--timeout 300 --log "$dir/console$i-$j.log" \
					--append "rig.mode=check rig.drivers=intree rig.layout=legacy rig.nvirtio=1 rig.fault=0 loglevel=1 rig.only=dmesg" \
					--disk "file=$dir/scratch$j.img,format=raw|serial=scratch" >/dev/null 2>&1 || exit
				echo "$(date +%s.%N) - $t0" | bc >"$dir/secs$i-$j"
			) &
			pids+=($!)
		done
		for j in "${pids[@]}"; do
			wait "$j" || die "a calibration boot failed (see $dir/console$i-*.log)"
		done
		for ((j = 0; j < CHECK_JOBS; j++)); do secs+=("$(cat "$dir/secs$i-$j")"); done
	done
	med=$(printf '%s\n' "${secs[@]}" | sort -n | sed -n "$(((${#secs[@]} + 1) / 2))p" | xargs printf '%.1f')
	factor=$(awk -v m="$med" -v r="$CAL_REF_SECS" -v x="$CAL_MAX" \
		'BEGIN { f = m / r; if (f < 1) f = 1; if (f > x) f = x; printf "%.2f", f }')
	if [ -z "$USER_LANE_TIMEOUT" ]; then
		LANE_TIMEOUT=$(awk -v b="$LANE_TIMEOUT" -v f="$factor" 'BEGIN { printf "%d", b * f }')
		lane_timeouts
	fi
	CAL_FACTOR=$factor
	CAL_LINE="# host speed: calibration boot ${med} s (idle reference ${CAL_REF_SECS} s), factor $factor;"
	CAL_LINE+=" lane timeout ${LANE_TIMEOUT} s${USER_LANE_TIMEOUT:+ (given)}, debug lane ${DEBUG_TIMEOUT} s"
	echo "$CAL_LINE" >&2
}
CAL_LINE='' CAL_FACTOR=1

t_start=$(date +%s)
mkdir -p "$CACHE/check"
rm -rf "$parts" && mkdir -p "$parts"
: >"$results"
: >"$CACHE/check/times.txt"
rm -f "$CACHE"/check/*.done
"$TOP/tools/guest/build-dtb.sh" "$TOP/tools/guest/dts/virt-broken-nodes.dts" "$dtb"
crash_tools_done=''
for l in "${lane_lines[@]}"; do
	case "$l" in host\ *) ;; *) calibrate; break ;; esac
done
for i in "${!lane_lines[@]}"; do
	read -r kind kver layout drv tests keys <<<"${lane_lines[i]}"
	props=$(echo " $keys" | sed -n 's/.* props=\([^ ]*\).*/\1/p')
	env=$(echo " $keys" | sed -n 's/.* env=\([^ ]*\).*/\1/p')
	only=$(lane_tests "$tests" "$keys")
	guest_for "$kver"
	case "$kind" in
	matrix | toggle | topology) ;;
	1dev) LANE_ONE_DEVICE=1 ;;
	stop) stop_setup "$kver" "$drv" ;;
	diskfull) diskfull_setup "${lane_names[i]}" ;;
	vhost | nbd) backend_setup "$kind" "${lane_names[i]}" ;;
	hvisor) hvisor_setup ;;
	pci) LANE_BUS=pci LANE_DTB=qemu ;;
	unplug)
		unplug_setup "${lane_names[i]}"
		env=${env:+$env,}UNPLUG_IMG=$CACHE/check/unplug-${lane_names[i]}.img,UNPLUG_CYCLES=$UNPLUG_CYCLES ;;
	qemu10) qemu10_setup ;;
	iothread) iothread_setup "$drv" ;;
	snapshot | snapshot-qemu10)
		snapshot_setup "$kind" "${lane_names[i]}"
		env=${env:+$env,}SNAPSHOTS=$SNAPSHOTS ;;
	microvm-dkms)
		microvm_dkms_setup "${lane_names[i]}"
		if [ -n "$DKMS_FAIL" ]; then
			pool_run printf 'fail\t%s: dkms.modules\t%s\n' "${lane_names[i]}" "$DKMS_FAIL"
			lane_reset
			continue
		fi ;;
	microvm-*) microvm_setup "$kind" ;;
	odd) odd_setup; env=${env:+$env,}ODD_MANY=$ODD_MANY ;;
	host)
		pool_run host_lane "${lane_names[i]}" "$kver" "$tests"
		continue ;;
	crash)
		if [ -z "$crash_tools_done" ]; then
			pool_run crash_tools
			crash_tools_done=1
		fi
		pool_run crash_lane "$kver" "$layout" "$drv" "$tests"
		continue ;;
	*) die "$LANES_FILE: unknown lane kind '$kind'" ;;
	esac
	run_lane "$kind" "${lane_names[i]}" "$kver" "$layout" "$drv" "$props" "$only" "$env"
	lane_reset
done

pool_join
diskfull_cleanup
backend_cleanup

# TAP for the whole run
total=$(wc -l <"$results")
echo "TAP version 13"
echo "1..$total"
awk -F'\t' '{
	n++
	if ($1 == "fail") print "not ok " n " " $2 ($3 != "" ? " # " $3 : "")
	else if ($1 == "skip") print "ok " n " " $2 " # SKIP " $3
	else print "ok " n " " $2
}' "$results"
pass=$(grep -c '^pass' "$results" || true)
fail=$(grep -c '^fail' "$results" || true)
skip=$(grep -c '^skip' "$results" || true)
[ -z "${QEMU_VERSION:-}" ] || echo "# QEMU 10 lanes: qemu-system-aarch64 $QEMU_VERSION"
if [ -n "${MICROVM_KREL:-}" ]; then
	echo "# microvm lanes: kernel $MICROVM_KREL, $(qemu-system-x86_64 --version | head -n1)"
fi
for kver in $(printf '%s\n' "${!kvers_run[@]}" | sort); do
	echo "# kernel $kver: $(sed -n 's/^KREL=//p' "$(kdir_root "$kver")/env") ($(sed -n 's/^KPKGVER=//p' "$(kdir_root "$kver")/env"))"
done
awk -F'\t' 'FILENAME != ARGV[1] { secs[$1] += $2; next }
	{ split($2, a, ": "); c[a[1]]++ }
	END { for (l in c) printf "# lane %s: %d cases%s\n", l, c[l], (l in secs) ? ", " secs[l] " s" : "" }' \
	"$results" "$CACHE/check/times.txt" | sort
# the crash lanes' figures
awk -F'\t' '$2 ~ /: crash\.summary$/ { sub(/: crash\.summary$/, "", $2); print "# " $2 ": " $3 }' "$results"
if [ "$fail" -gt 0 ]; then
	echo "# failures:"
	grep '^fail' "$results" | cut -f2,3 | sed 's/^/#   /; s/\t/ -- /'
fi
# the device-side failure lanes' figures, the table of
# Documentation/recovery.md
if grep -qE '	[^:]*: t_(backend|snapshot|unplug|diskfull)\.' "$results"; then
	# shellcheck disable=SC2046
	"$TOP/tools/check/failure-table.py" "$CACHE/check" $(cut -f2 "$results" | sed 's/: .*//' | sort -u) \
		>"$CACHE/check/device-failures.md" &&
		echo "# device-side failures, a table: $CACHE/check/device-failures.md"
fi
[ -z "$CAL_LINE" ] || echo "$CAL_LINE"
echo "# time: $(($(date +%s) - t_start))s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
