#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# The guest half of "make bench" (tools/bench/bench.sh is the host half).
# Run by /init for rig.mode=bench.  Kernel command line:
#   rig.drivers=SET          driver set (lib.sh's rig_parse_drivers); none
#                            with rig.bench_dev=nullb
#   rig.bench_set=NAME       the label printed (intree, intree-b, vmmio, ...)
#   rig.bench_round=N        the round number printed
#   rig.bench_runtime=SECS   fio --runtime per job (default 5)
#   rig.bench_jobs=a,b,...   jobs to run (default: all, see job_args)
#   rig.bench_sched=NAME     switch the disk's I/O scheduler to NAME first
#   rig.bench_dev=nullb      bench on null_blk instead of the virtio disk
#                            with serial "bench"
#   rig.bench_serial=S       the virtio disk's serial, if not "bench" (a
#                            vhost-user backend's: vhost_user_blk)
#   rig.bench_scale=N        scale mode (tools/bench/bench.sh SCALE=1): no fio,
#                            tools/bench/guest/scale.sh measures the probe,
#                            memory and unload of N disks
#   rig.bench_syms=1         print the kernel's text symbols (/proc/kallsyms
#                            types t and T) as "# ksym: " lines and stop
#                            (tools/bench/bench.sh PROFILE=1, with nokaslr)
#   rig.bench_profile=1      with rig.bench_count: call sync(2) right after
#                            each job's begin marker and right before its
#                            end marker (the profiler's snapshot trigger,
#                            tools/bench/insnprof.c), and print the
#                            loaded modules' text symbols at the end
#   rig.bench_count=N        counting mode (tools/bench/bench.sh COUNT=1): each
#                            job does N I/Os per fio thread (--number_ios,
#                            not time-based, no ramp) between two console
#                            lines "# count: begin JOB" / "# count: end JOB";
#                            the host traces QEMU's virtio-mmio register
#                            accesses and PL011 writes, and counts the
#                            accesses between the two lines
# Prints one line per job on the console:
#   # bench: {"set":..,"round":..,"job":..,"engine":..,"rc":..,"ios":..,
#             "irqs":..,"cpu_ticks":..,"notifications":..,"fio":{fio's JSON}}
# or {"set":..,"job":..,"na":"reason"} when the job cannot run; the host
# (tools/bench/bench-report.py) computes the figures.  Counters are deltas over
# the whole fio run (ramp included), the same window for all of them.
. /rig/lib.sh

SET=$RIG_DRIVERS ROUND=0 RUNTIME=5 JOBS= DEV_KIND=virtio COUNT= PROFILE= SCHED= SERIAL=bench
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	rig.bench_set=*) SET=${arg#*=} ;;
	rig.bench_round=*) ROUND=${arg#*=} ;;
	rig.bench_runtime=*) RUNTIME=${arg#*=} ;;
	rig.bench_jobs=*) JOBS=$(echo "${arg#*=}" | tr , ' ') ;;
	rig.bench_dev=*) DEV_KIND=${arg#*=} ;;
	rig.bench_count=*) COUNT=${arg#*=} ;;
	rig.bench_profile=1) PROFILE=1 ;;
	rig.bench_sched=*) SCHED=${arg#*=} ;;
	rig.bench_serial=*) SERIAL=${arg#*=} ;;
	rig.bench_syms=1)
		echo 0 >/proc/sys/kernel/kptr_restrict
		awk '$2 ~ /^[tT]$/ { print "# ksym: " $1, $3 }' /proc/kallsyms >/dev/console
		exit 0 ;;
	rig.bench_scale=*) exec /rig/bench/scale.sh ;;
	esac
done
ALL_JOBS="randread4k_qd1 randread4k_qd32x2 randwrite4k_qd32 seqread128k_qd8 seqwrite128k_qd8 flush4k_qd1"
[ -n "$JOBS" ] || JOBS=$ALL_JOBS
FIO=/usr/bin/fio

out() { echo "# bench: $*" >/dev/console; }
# a phase marker for the host's trace parser (tools/bench/bench-counts.py): the
# console's PL011 data register writes are traced in order with the
# virtio-mmio accesses, so the marker is a point in that sequence and
# needs no register of the device under test
mark() { echo "# count: $1 $2" >/dev/console; }
hdr() { printf '"set":"%s","round":%s,"job":"%s"' "$SET" "$ROUND" "$1"; }
# every job "n/a" with reason $1, then stop
all_na() {
	for j in $JOBS; do out "{$(hdr "$j"),\"na\":\"$1\"}"; done
	out "{$(hdr _boot),\"na\":\"$1\"}"
	exit 0
}

# fio arguments of each job (the disk, engine and timing are added below)
job_args() {
	case "$1" in
	randread4k_qd1) echo "--rw=randread --bs=4k --iodepth=1 --numjobs=1" ;;
	randread4k_qd32x2) echo "--rw=randread --bs=4k --iodepth=32 --numjobs=2" ;;
	randwrite4k_qd32) echo "--rw=randwrite --bs=4k --iodepth=32 --numjobs=1" ;;
	seqread128k_qd8) echo "--rw=read --bs=128k --iodepth=8 --numjobs=1 --cpus_allowed=0" ;;
	seqwrite128k_qd8) echo "--rw=write --bs=128k --iodepth=8 --numjobs=1 --cpus_allowed=0" ;;
	flush4k_qd1) echo "--rw=write --bs=4k --iodepth=1 --numjobs=1 --fsync=1" ;;
	# polled completions (io_uring's IORING_SETUP_IOPOLL): the disk needs
	# poll queues, the block driver's poll_queues (bench.sh POLL_QUEUES)
	randread4k_qd1_hipri) echo "--rw=randread --bs=4k --iodepth=1 --numjobs=1 --hipri" ;;
	randread4k_qd32_hipri) echo "--rw=randread --bs=4k --iodepth=32 --numjobs=1 --hipri" ;;
	*) return 1 ;;
	esac
}

# --- the disk --------------------------------------------------------------
[ -x $FIO ] || all_na "no fio in the initramfs"
if [ "$DEV_KIND" = nullb ]; then
	# max_sectors: its default (255) would split the 128k jobs in two
	modprobe null_blk nr_devices=1 gb=1 queue_mode=2 submit_queues=2 max_sectors=1024 ||
		all_na "modprobe null_blk failed"
	rig_wait_path /dev/nullb0 50
	DEV=/dev/nullb0
	[ -b $DEV ] || all_na "no /dev/nullb0"
else
	rig_load_drivers || all_na "loading the $RIG_DRIVERS drivers failed"
	DEV=$(rig_wait_disk "$SERIAL" 100) || all_na "no disk with serial $SERIAL appeared with the $RIG_DRIVERS drivers"
fi
BDEV=${DEV##*/}
# the device the disk hangs on (virtioN) and its transport's platform device
VDEV= PDEV= IRQ=
if [ -e /sys/block/$BDEV/device ]; then
	d=$(readlink -f /sys/block/$BDEV/device)
	VDEV=${d##*/}
	d=${d%/*}
	PDEV=${d##*/}
fi
# the disk's interrupt line (lib.sh's rig_disk_irq)
if [ -n "$VDEV" ]; then
	IRQ=$(rig_disk_irq "$DEV")
fi
DBG=
[ -n "$PDEV" ] && [ -f /sys/kernel/debug/vmmio/$PDEV/info ] && DBG=/sys/kernel/debug/vmmio/$PDEV/info

irq_count() {
	[ -n "$IRQ" ] || { echo -1; return; }
	awk -v i="$IRQ:" '$1 == i { s = 0; for (k = 2; k <= NF && $k ~ /^[0-9]+$/; k++) s += $k; print s; exit }' /proc/interrupts
}
# completed reads + writes + flushes (fields 1, 5 and, where present, 16)
io_count() { awk '{ print $1 + $5 + (NF >= 17 ? $16 : 0) }' /sys/block/$BDEV/stat; }
# busy jiffies of all CPUs: user nice system irq softirq steal
cpu_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# vmmio's queue notifications (kicks), summed over the queues
notif_count() {
	[ -n "$DBG" ] || { echo -1; return; }
	rig_vmmio_notifications "$DBG"
}
dbg_irqs() {
	[ -n "$DBG" ] || { echo -1; return; }
	awk '$1 == "interrupts:" { print $2; exit }' $DBG
}

# --- the ioengine: the first that completes a short QD4 run ----------------
ENGINE=
for e in io_uring libaio psync; do
	if $FIO --name=probe --filename=$DEV --ioengine=$e --direct=1 --rw=randread \
		--bs=4k --iodepth=4 --size=16m --io_size=256k --output-format=terse >/tmp/probe.out 2>&1; then
		ENGINE=$e
		break
	fi
done
[ -n "$ENGINE" ] || all_na "no fio ioengine works: $(tail -n1 /tmp/probe.out | tr -d '"\\')"

Q=/sys/block/$BDEV/queue
if [ -n "$SCHED" ]; then
	echo "$SCHED" >$Q/scheduler 2>/dev/null || all_na "cannot switch $DEV to the $SCHED scheduler"
fi
QINFO="sched $(sed 's/.*\[\(.*\)\].*/\1/' $Q/scheduler 2>/dev/null), $(ls -d /sys/block/$BDEV/mq/* 2>/dev/null | wc -l) hw queues, max_sectors_kb $(cat $Q/max_sectors_kb 2>/dev/null), max_segments $(cat $Q/max_segments 2>/dev/null), nr_requests $(cat $Q/nr_requests 2>/dev/null)"
out "{$(hdr _boot),\"engine\":\"$ENGINE\",\"queue\":\"$QINFO\",\"dev\":\"$DEV\",\"vdev\":\"$VDEV\",\"pdev\":\"$PDEV\",\"irq\":\"$IRQ\",\"debugfs\":\"$DBG\",\"kernel\":\"$(uname -r)\",\"ncpu\":$(grep -c ^processor /proc/cpuinfo),\"modules\":\"$(lsmod | awk 'NR > 1 { printf "%s ", $1 }')\"}"

# --- the jobs ----------------------------------------------------------------
# timed: RUNTIME seconds after a 1 s ramp; counting: a fixed number of I/Os
# (io_size past the 1 GiB region makes sequential jobs wrap, not stop)
if [ -n "$COUNT" ]; then
	LIMIT="--number_ios=$COUNT --io_size=64g"
else
	LIMIT="--time_based --runtime=$RUNTIME --ramp_time=1"
fi
for j in $JOBS; do
	args=$(job_args "$j") || { out "{$(hdr "$j"),\"na\":\"unknown job\"}"; continue; }
	i0=$(irq_count) n0=$(io_count) c0=$(cpu_busy) k0=$(notif_count) d0=$(dbg_irqs)
	rc=0
	[ -n "$COUNT" ] && mark begin "$j"
	[ -n "$PROFILE" ] && sync
	# shellcheck disable=SC2086
	$FIO --name="$j" --filename=$DEV --ioengine=$ENGINE --direct=1 \
		$LIMIT --size=1g \
		--norandommap --randrepeat=0 --group_reporting \
		--percentile_list=50:99 --output-format=json $args \
		>/tmp/fio.json 2>/tmp/fio.err || rc=$?
	[ -n "$PROFILE" ] && sync
	[ -n "$COUNT" ] && mark end "$j"
	i1=$(irq_count) n1=$(io_count) c1=$(cpu_busy) k1=$(notif_count) d1=$(dbg_irqs)
	# fio's JSON on one line, from its first "{" (it may print notes before)
	js=$(sed -n '/^{/,$p' /tmp/fio.json | tr -d '\n\t')
	[ -n "$js" ] || js=null
	err=$(tail -n 2 /tmp/fio.err | tr -d '"\\\n\t')
	notif=-1 dirq=-1 irqs=-1
	[ -n "$IRQ" ] && irqs=$((i1 - i0))
	[ -n "$DBG" ] && notif=$((k1 - k0)) && dirq=$((d1 - d0))
	out "{$(hdr "$j"),\"engine\":\"$ENGINE\",\"rc\":$rc,\"err\":\"$err\",\"ios\":$((n1 - n0)),\"irqs\":$irqs,\"cpu_ticks\":$((c1 - c0)),\"hz\":100,\"notifications\":$notif,\"dbg_irqs\":$dirq,\"count\":${COUNT:-0},\"fio\":$js}"
done
[ -n "$PROFILE" ] && echo 0 >/proc/sys/kernel/kptr_restrict &&
	awk '$2 ~ /^[tT]$/ && $4 ~ /^\[/ { print "# ksym: " $1, $3, $4 }' /proc/kallsyms >/dev/console
out "{$(hdr _end)}"
