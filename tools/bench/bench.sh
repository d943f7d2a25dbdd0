#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh [-- QEMU ARGS]: the benchmark behind "make bench".
#
# Boots the guest (tools/bench/guest/bench.sh runs fio in it) ROUNDS times per
# driver set, interleaved (the order rotates every round), plus one boot on
# the guest's null_blk (no virtio: the block layer's ceiling), then writes
# results/bench-<id>.run.md (the table, also printed) and a gnuplot chart
# results/bench-<id>.run.png (or .svg).  Console logs: $CACHE/bench/ID/.
# Environment:
#   ROUNDS=5            rounds; each boots every set once
#   SETS="intree vmmio ours intree+none" driver sets compared with intree
#                       (also vblk);
#                       SET+SCHED (e.g. intree+none, ours+mq-deadline)
#                       is SET with the disk's I/O scheduler switched to
#                       SCHED before the jobs;
#                       intree is booted twice per round, as intree and
#                       intree-b, for the A/A noise band
#   JOBS=a,b,...        fio jobs (default all: randread4k_qd1
#                       randread4k_qd32x2 randwrite4k_qd32 seqread128k_qd8
#                       seqwrite128k_qd8 flush4k_qd1; also randread4k_qd1_hipri
#                       and randread4k_qd32_hipri, for POLL_QUEUES)
#   RUNTIME=3           fio --runtime per job, seconds (plus 1 s ramp)
#   KVER=6.1            guest kernel (6.1 or 6.12)
#   LAYOUT=modern       virtio-mmio register layout, legacy or modern
#   QEMU=10             the device: 10 (qemu-system-aarch64 10.x from
#                       bookworm-backports, tools/host/fetch-qemu.sh: its
#                       virtio-mmio emulates ioeventfd under TCG, so the
#                       device serves the ring after the notify returns, as
#                       on KVM) or 7.2 (the host's: QueueNotify runs the
#                       device in the vCPU thread before the guest resumes)
#   DTB=level           the guest's device tree: level (the project's dts/,
#                       whose virtio-mmio lines are level-triggered, as
#                       QEMU's device drives them; vmmio then reads
#                       InterruptStatus once an interrupt, not until it
#                       reads 0) or qemu (QEMU's own, which declares the
#                       lines rising-edge)
#   DEVICE=qemu         the disk's feature profile: qemu (QEMU's defaults)
#                       or hvisor (hvisor-tool's virtio-blk: VERSION_1,
#                       SEG_MAX, SIZE_MAX and FLUSH only, one queue, a
#                       512-entry ring; vmmio.max_ring=512 stands in for
#                       the ring, which QEMU offers at 1024 whatever
#                       queue-size says, so the in-tree pair gets 1024)
#   NUM_QUEUES=1        the bench disk's num-queues
#   POLL_QUEUES=0       N: the block drivers (virtio_blk, vblk) loaded with
#                       poll_queues=N (needs NUM_QUEUES > N); the *_hipri
#                       jobs poll them (fio --hipri)
#   BACKEND=null        the bench disk: null (QEMU null-co, 8 GiB) or file
#                       (a sparse 8 GiB raw file under $CACHE/bench)
#                       or vhost (vhost-user-blk on virtio-mmio: the disk served by
#                       the host's qemu-storage-daemon, a null-co export, in
#                       a process of its own as hvisor's virtio daemon is;
#                       guest RAM in a shared memfd; QEMU=10 only, 7.2
#                       cannot give a vhost-user device its kick eventfd
#                       under TCG).  QEMU never sees the kicks: vmmio's own
#                       count stands in, the in-tree pair's are priced 0
#   TIMING=icount       icount: -icount shift=$ICOUNT_SHIFT,sleep=off (guest
#                       time counts guest instructions); wall: no icount
#   ICOUNT_SHIFT=4      2^4 ns of guest time per guest instruction; about 2
#                       wall seconds per busy guest second on a 2-CPU host,
#                       so the default run takes ~25 min; shift=3 doubles
#                       the fio phases' wall time for the same I/O count
#   NULLB=1             0 skips the null_blk boot
#   COUNT=1             after the rounds, one counting boot per set in
#                       SETS (and intree-b, the A/A pair): each job does
#                       COUNT_IOS I/Os per fio thread (not time-based) with
#                       QEMU tracing the virtio-mmio register accesses and
#                       virtio_queue_notify (QEMU 10's ioeventfd takes
#                       QueueNotify past virtio_mmio_write: the device's
#                       wake-up is what counts it there, on 7.2 the write);
#                       tools/bench/bench-counts.py writes
#                       results/bench-<id>.counts.md (MMIO reads, writes,
#                       notifies, interrupts per I/O, also printed) and
#                       tools/bench/bench-model.py results/bench-<id>.model.md
#                       (those priced per platform profile of
#                       tools/bench/platforms/: the exit-aware headline).
#                       ROUNDS=0 COUNT=1 does only the counting boots;
#                       COUNT=0 none
#   COUNT_ROUNDS=3      rounds of counting boots (the set order rotates);
#                       bench-model.py gives each ratio as the median over
#                       rounds with its min-max, the spread
#   COUNT_IOS=20000     I/Os per fio thread in the counting and profile
#                       boots
#   PROFILE=0           1: after the rounds, one profile boot per set in
#                       SETS (and null_blk unless NULLB=0), each job doing
#                       COUNT_IOS I/Os per thread, with the QEMU plugin
#                       tools/bench/insnprof.c counting the guest
#                       instructions each kernel function executes over
#                       each job (an exact cost under icount, where guest
#                       time is the instruction count); one first boot
#                       reads the kernel's symbols (nokaslr keeps them in
#                       place).  tools/bench/bench-profile.py writes
#                       results/bench-<id>.profile.md: instructions per I/O
#                       by function, each set against intree.
#                       ROUNDS=0 PROFILE=1 does only the profile boots
#   SCALE=0             1: the scale mode instead of fio: per round, each
#                       set in SETS (default "intree ours" here) boots once
#                       per queue size in SCALE_QSIZES with SCALE_DISKS
#                       null-co disks and no driver loaded;
#                       tools/bench/guest/scale.sh times the modprobe until
#                       every /dev/vdX exists and the rmmod, and reads
#                       /proc/meminfo before, loaded and after;
#                       tools/bench/bench-scale.py writes
#                       results/bench-<id>.scale.md (also printed)
#   SCALE_DISKS=32      disks in a scale boot (the virt board has 32 slots:
#                       QEMU refuses a 33rd virtio-mmio device)
#   SCALE_QSIZES="256 1024"  the disks' queue-size property, one boot per
#                       value.  QEMU's virtio-mmio offers QueueNumMax 1024
#                       whatever it says (the guest takes 1024-entry
#                       rings either way); the property sets the device's
#                       seg_max (queue-size - 2)
#   V=1                 show the guest consoles
#   DEVICES="qemu10 qemu72 vhost"  with neither QEMU= nor BACKEND= given
#                       (and no SCALE=1 or PROFILE=1): one run per device,
#                       QEMU 10's virtio-mmio (QEMU=10), QEMU 7.2's
#                       (QEMU=7.2), a vhost-user-blk disk (QEMU=10
#                       BACKEND=vhost), the other knobs the same but
#                       ROUNDS: the timed rounds on the first device only
#                       (TCG timings are not what a hypervisor bills; the
#                       counting boots are); then
#                       tools/bench/bench-devices.py puts their model
#                       reports side by side in results/bench-<id>.devices.md
#                       (also printed).  DEVICES=qemu10 is a single run
# e.g.  ROUNDS=2 RUNTIME=2 make bench;  SETS="intree vmmio ours" make bench;
#       SCALE=1 ROUNDS=3 make bench;  ROUNDS=0 COUNT_IOS=1000 make bench
. "$(dirname "$0")/../lib.sh"

# bench_devices ARGS: the DEVICES run, one bench.sh run per device
bench_devices() {
	local d id runs=() first=1 ids=$CACHE/bench/devices-$$ rounds=${ROUNDS:-5}
	[ "${COUNT:-1}" = 1 ] || die "DEVICES=\"$DEVICES\" compares the counting boots: it needs COUNT=1"
	for d in $DEVICES; do
		case "$d" in qemu10 | qemu72 | vhost) ;; *) die "DEVICES: '$d' is not qemu10, qemu72 or vhost" ;; esac
	done
	mkdir -p "$ids"
	for d in $DEVICES; do
		local env=(BENCH_ONE_DEVICE=1 "BENCH_ID_FILE=$ids/$d" "ROUNDS=$rounds")
		[ $first = 1 ] || env[2]=ROUNDS=0
		case "$d" in
		qemu10) env+=(QEMU=10 BACKEND=null) ;;
		qemu72) env+=(QEMU=7.2 BACKEND=null) ;;
		vhost) env+=(QEMU=10 BACKEND=vhost) ;;
		esac
		echo "# bench: device $d" >&2
		env "${env[@]}" "$0" "$@" || die "the $d run failed"
		id=$(cat "$ids/$d")
		runs+=(--run "$d=$TOP/results/bench-$id.model.md")
		first=0
	done
	id=$(date -u +%Y%m%d-%H%M%S)
	python3 "$TOP/tools/bench/bench-devices.py" "${runs[@]}" --out "$TOP/results/bench-$id.devices" \
		--title "run $id" --command "DEVICES=\"$DEVICES\" ROUNDS=$rounds $0${*:+ $*}"
	rm -rf "$ids"
}
if [ -z "${BENCH_ONE_DEVICE:-}" ] && [ -z "${QEMU:-}${BACKEND:-}" ] &&
	[ "${SCALE:-0}" = 0 ] && [ "${PROFILE:-0}" = 0 ]; then
	DEVICES=${DEVICES:-qemu10 qemu72 vhost}
	if [ "$(echo "$DEVICES" | wc -w)" -gt 1 ]; then
		bench_devices "$@"
		exit
	fi
	case "$DEVICES" in
	qemu10) QEMU=10 ;;
	qemu72) QEMU=7.2 ;;
	vhost) QEMU=10 BACKEND=vhost ;;
	*) die "DEVICES: '$DEVICES' is not qemu10, qemu72 or vhost" ;;
	esac
fi

ROUNDS=${ROUNDS:-5}
SCALE=${SCALE:-0}
SCALE_DISKS=${SCALE_DISKS:-32}
SCALE_QSIZES=${SCALE_QSIZES:-256 1024}
if [ "$SCALE" = 1 ]; then
	SETS=${SETS:-intree ours}
else
	SETS=${SETS:-intree vmmio ours intree+none}
fi
JOBS=${JOBS:-}
RUNTIME=${RUNTIME:-3}
KVER=${KVER:-6.1}
LAYOUT=${LAYOUT:-modern}
BACKEND=${BACKEND:-null}
DEVICE=${DEVICE:-qemu}
QEMU=${QEMU:-10}
DTB=${DTB:-level}
NUM_QUEUES=${NUM_QUEUES:-1}
POLL_QUEUES=${POLL_QUEUES:-0}
TIMING=${TIMING:-icount}
ICOUNT_SHIFT=${ICOUNT_SHIFT:-4}
NULLB=${NULLB:-1}
if [ "$SCALE" = 1 ]; then COUNT=${COUNT:-0}; else COUNT=${COUNT:-1}; fi
COUNT_IOS=${COUNT_IOS:-20000}
COUNT_ROUNDS=${COUNT_ROUNDS:-3}
PROFILE=${PROFILE:-0}
[ "${1:-}" = -- ] && shift
EXTRA=("$@")
cmdline="$0${EXTRA[*]:+ -- ${EXTRA[*]}}"

case "$LAYOUT" in legacy|modern) ;; *) die "LAYOUT must be legacy or modern" ;; esac
case "$QEMU" in 10|7.2) ;; *) die "QEMU must be 10 or 7.2" ;; esac
case "$DTB" in qemu|level) ;; *) die "DTB must be qemu or level" ;; esac
case "$NUM_QUEUES" in ''|*[!0-9]*|0) die "NUM_QUEUES must be a positive number" ;; esac
case "$POLL_QUEUES" in ''|*[!0-9]*) die "POLL_QUEUES must be a number" ;; esac
[ "$POLL_QUEUES" -lt "$NUM_QUEUES" ] || die "POLL_QUEUES=$POLL_QUEUES needs NUM_QUEUES > $POLL_QUEUES (one queue takes interrupts)"
case "$TIMING" in icount|wall) ;; *) die "TIMING must be icount or wall" ;; esac
case "$COUNT" in 0|1) ;; *) die "COUNT must be 0 or 1" ;; esac
case "$PROFILE" in 0|1) ;; *) die "PROFILE must be 0 or 1" ;; esac
case "$COUNT_IOS" in ''|*[!0-9]*|0) die "COUNT_IOS must be a positive number" ;; esac
case "$SCALE" in 0|1) ;; *) die "SCALE must be 0 or 1" ;; esac
case "$SCALE_DISKS" in ''|*[!0-9]*|0) die "SCALE_DISKS must be a positive number" ;; esac
[ "$SCALE_DISKS" -le 32 ] || die "SCALE_DISKS: the virt board has 32 virtio-mmio slots"
for q in $SCALE_QSIZES; do
	case "$q" in 4|8|16|32|64|128|256|512|1024) ;; *) die "queue-size '$q': a power of two, 4..1024" ;; esac
done
[ "$SCALE" = 0 ] || [ "$COUNT$PROFILE" = 00 ] || die "SCALE=1 is a run of its own (no COUNT=1 or PROFILE=1)"
[ "$PROFILE" = 0 ] || [ "$QEMU" = 7.2 ] || die "PROFILE=1 needs QEMU=7.2: the plugin is built against the host's QEMU"
case "$ROUNDS" in ''|*[!0-9]*) die "ROUNDS must be a number" ;; esac
[ "$ROUNDS" -gt 0 ] || [ "$COUNT$PROFILE" != 00 ] || die "ROUNDS=0 needs COUNT=1 or PROFILE=1"
for s in $SETS; do
	case "${s%%+*}" in intree|vmmio|ours|vblk) ;; *) die "unknown driver set '$s' (intree vmmio ours vblk)" ;; esac
	case "$s" in *+*) case "${s#*+}" in none|mq-deadline|kyber|bfq) ;;
		*) die "set '$s': the scheduler after + is none, mq-deadline, kyber or bfq" ;; esac ;; esac
done
# the drivers of a set: intree-b is intree, ours+none is ours
set_drivers() { local d=${1%%+*}; echo "${d%-b}"; }

id=$(date -u +%Y%m%d-%H%M%S)
[ -z "${BENCH_ID_FILE:-}" ] || echo "$id" >"$BENCH_ID_FILE"
dir=$CACHE/bench/$id
mkdir -p "$dir" "$TOP/results"
t_start=$(date +%s)
qemu_timing_note=
[ "$TIMING" = icount ] && qemu_timing_note=" ICOUNT_SHIFT=$ICOUNT_SHIFT"
if [ "$SCALE" = 1 ]; then
	env_line="SCALE=1 ROUNDS=$ROUNDS SETS=\"$SETS\" SCALE_DISKS=$SCALE_DISKS SCALE_QSIZES=\"$SCALE_QSIZES\" KVER=$KVER LAYOUT=$LAYOUT TIMING=$TIMING${qemu_timing_note:-}"
else
	env_line="ROUNDS=$ROUNDS SETS=\"$SETS\" JOBS=\"${JOBS:-all}\" RUNTIME=$RUNTIME KVER=$KVER LAYOUT=$LAYOUT QEMU=$QEMU DTB=$DTB DEVICE=$DEVICE NUM_QUEUES=$NUM_QUEUES POLL_QUEUES=$POLL_QUEUES BACKEND=$BACKEND TIMING=$TIMING${qemu_timing_note:-}"
fi
[ "$COUNT" = 1 ] && env_line+=" COUNT=1"
[ "$PROFILE" = 1 ] && env_line+=" PROFILE=1"
[ "$COUNT$PROFILE" = 00 ] || env_line+=" COUNT_IOS=$COUNT_IOS"
[ "$COUNT" = 1 ] && env_line+=" COUNT_ROUNDS=$COUNT_ROUNDS"
echo "# bench $id: $env_line" >&2

genv=$("$TOP/tools/guest/build-guest.sh" "$KVER") || die "building the $KVER guest failed"
eval "$genv"
# the QEMU: qemu-run.sh's options for it, and its version for the report
qemu_opts=()
qemu_version=$(qemu-system-aarch64 --version | head -n1)
if [ "$QEMU" = 10 ]; then
	qenv=$("$TOP/tools/host/fetch-qemu.sh" 10) || die "fetching QEMU 10 failed"
	eval "$qenv"
	qemu_opts=(--qemu "$QEMU_BIN" --qemu-data "$QEMU_DATA" --qemu-libs "$QEMU_LIBS")
	qemu_version="QEMU $QEMU_VERSION (bookworm-backports)"
fi
dtb_note="QEMU's device tree (edge-triggered virtio-mmio lines)"
if [ "$DTB" = level ]; then
	qemu_opts+=(--dtb "$CACHE/build/virt-level-irqs.dtb")
	"$TOP/tools/guest/build-dtb.sh" "$TOP/tools/guest/dts/virt-level-irqs.dts" \
		"$CACHE/build/virt-level-irqs.dtb" || die "building the level-irqs device tree failed"
	dtb_note="the project's device tree with level-triggered virtio-mmio lines"
fi
# the block drivers' poll queues: module parameters on the command line,
# which the guest's rig_load_drivers hands to modprobe
poll_args=
[ "$POLL_QUEUES" = 0 ] || poll_args="virtio_blk.poll_queues=$POLL_QUEUES vblk.poll_queues=$POLL_QUEUES"

device_props= device_args=
case "$DEVICE" in
qemu) ;;
hvisor)
	[ "$NUM_QUEUES" = 1 ] || die "DEVICE=hvisor has one queue (NUM_QUEUES=1)"
	device_props=",event_idx=off,indirect_desc=off,queue-size=512,discard=off,write-zeroes=off,config-wce=off"
	device_args=vmmio.max_ring=512 ;;
*) die "DEVICE must be qemu or hvisor" ;;
esac
case "$BACKEND" in
null) disk="driver=null-co,size=8G,read-zeroes=on|serial=bench,num-queues=$NUM_QUEUES$device_props" ;;
file)
	img=$CACHE/bench/disk.img
	[ -f "$img" ] || truncate -s 8G "$img"
	disk="file=$img,format=raw|serial=bench,num-queues=$NUM_QUEUES$device_props" ;;
vhost)
	[ "$QEMU" = 10 ] || die "BACKEND=vhost needs QEMU=10"
	[ "$DEVICE" = qemu ] || die "BACKEND=vhost takes the daemon's features (no DEVICE=)"
	command -v qemu-storage-daemon >/dev/null || die "no qemu-storage-daemon (Debian's qemu-system-common)"
	disk= ;;
*) die "BACKEND must be null, file or vhost" ;;
esac
qemu_timing=()
[ "$TIMING" = icount ] && qemu_timing=(-icount "shift=$ICOUNT_SHIFT,sleep=off")

njobs=6
[ -n "$JOBS" ] && njobs=$(echo "$JOBS" | tr , '\n' | grep -c .)
# generous: TCG boots in ~20 s; a job takes RUNTIME + 1 s of guest time
tmo=$((180 + njobs * (RUNTIME + 1) * 10))

# the vhost-user backend of one boot: qemu-storage-daemon serving an 8 GiB
# null-co export on a fresh socket (VHOST_SOCK), its output in $1
VHOST_PID=
vhost_start() {
	VHOST_SOCK=$dir/vhost.sock
	rm -f "$VHOST_SOCK"
	qemu-storage-daemon \
		--blockdev driver=null-co,node-name=null0,size=8589934592,read-zeroes=on \
		--export "type=vhost-user-blk,id=exp0,node-name=null0,writable=on,num-queues=$NUM_QUEUES,addr.type=unix,addr.path=$VHOST_SOCK" \
		>"$1" 2>&1 &
	VHOST_PID=$!
	local i=0
	while [ ! -S "$VHOST_SOCK" ]; do
		kill -0 "$VHOST_PID" 2>/dev/null && [ $i -lt 100 ] ||
			{ echo "  [bench] qemu-storage-daemon did not start: $(tail -n 3 "$1")" >&2; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
}
vhost_stop() {
	[ -z "$VHOST_PID" ] || { kill "$VHOST_PID" 2>/dev/null; wait "$VHOST_PID" 2>/dev/null; }
	VHOST_PID=
}
trap vhost_stop EXIT

# boot NAME DRIVERS ROUND [CMDLINE...]: one guest, its console in $dir
# (the counting boots: BOOT_LOG, BOOT_TMO and BOOT_QEMU, a QEMU argument
# array's name, set by the caller)
boot() {
	local name=$1 drv=$2 round=$3 log t0 rc=0
	local -n qextra=${BOOT_QEMU:-EXTRA}
	shift 3
	case "$name" in *+*) set -- "$@" "rig.bench_sched=${name#*+}" ;; esac
	log=${BOOT_LOG:-$dir/$name-r$round.log}
	t0=$(date +%s)
	local diskargs=(--disk "$disk") vu=()
	if [ "$BACKEND" = vhost ]; then
		vhost_start "$log.qsd" || return 1
		diskargs=()
		vu=(-object memory-backend-memfd,id=mem,size=1024M,share=on -machine memory-backend=mem
			-chardev "socket,id=vu0,path=$VHOST_SOCK"
			-device "vhost-user-blk,chardev=vu0,num-queues=$NUM_QUEUES")
		set -- "$@" rig.bench_serial=vhost_user_blk
	fi
	"$TOP/tools/guest/qemu-run.sh" "${qemu_opts[@]}" --kernel "$KIMAGE" --initrd "$INITRD" \
		"--$LAYOUT" --smp 2 --mem 1024 --timeout "${BOOT_TMO:-$tmo}" --log "$log" \
		--append "rig.mode=bench rig.drivers=$drv rig.bench_set=$name rig.bench_round=$round rig.bench_runtime=$RUNTIME ${JOBS:+rig.bench_jobs=$JOBS} ${poll_args} ${device_args} loglevel=1 $*" \
		"${diskargs[@]}" \
		-- "${qemu_timing[@]}" "${vu[@]}" "${qextra[@]}" || rc=$?
	[ "$BACKEND" != vhost ] || vhost_stop
	echo "  [bench] $name round $round: $(grep -c '^# bench: ' "$log") lines, $(($(date +%s) - t0))s (qemu rc=$rc)" >&2
	[ $rc = 0 ] || echo "# bench: {\"set\":\"$name\",\"round\":$round,\"job\":\"_boot\",\"na\":\"qemu exited with $rc\"}" >>"$log"
}

# the scale mode: per round and queue size, each set boots once (the
# order rotates every round) with SCALE_DISKS small null-co disks; the
# guest (tools/bench/guest/scale.sh) loads and unloads the drivers itself
if [ "$SCALE" = 1 ]; then
	facts="$(nproc) host CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $qemu_version, guest kernel $KREL ($KPKGVER), -smp 2, 1024 MiB, $LAYOUT virtio-mmio, $SCALE_DISKS null-co disks of 64 MiB, timing $TIMING${qemu_timing[*]:+ (${qemu_timing[*]})}"
	read -ra scale_sets <<<"$SETS"
	n=${#scale_sets[@]}
	for r in $(seq 1 "$ROUNDS"); do
		for q in $SCALE_QSIZES; do
			scale_disks=()
			for i in $(seq 1 "$SCALE_DISKS"); do
				scale_disks+=(--disk "driver=null-co,size=64M,read-zeroes=on|serial=scale-$i,queue-size=$q")
			done
			for k in $(seq 0 $((n - 1))); do
				s=${scale_sets[$(((k + r - 1) % n))]}
				log=$dir/$s-q$q-r$r.log t0=$(date +%s) rc=0
				"$TOP/tools/guest/qemu-run.sh" "${qemu_opts[@]}" --kernel "$KIMAGE" --initrd "$INITRD" \
					"--$LAYOUT" --smp 2 --timeout 300 --log "$log" \
					--append "rig.mode=bench rig.drivers=$s rig.bench_set=$s rig.bench_round=$r rig.bench_scale=$SCALE_DISKS rig.bench_qsize=$q loglevel=1" \
					"${scale_disks[@]}" -- "${qemu_timing[@]}" "${EXTRA[@]}" || rc=$?
				echo "  [scale] $s queue-size $q round $r: $(($(date +%s) - t0))s (qemu rc=$rc)" >&2
				[ $rc = 0 ] || echo "# scale: {\"set\":\"$s\",\"round\":$r,\"qsize\":\"$q\",\"na\":\"qemu exited with $rc\"}" >>"$log"
			done
		done
	done
	exec python3 "$TOP/tools/bench/bench-scale.py" --dir "$dir" --id "$id" --out "$TOP/results/bench-$id.scale" \
		--command "$env_line $cmdline" --facts "$facts" --elapsed "$(($(date +%s) - t_start))"
fi

# the sets of one round, timed or counting: intree twice (A/A), then the
# others
round_sets=()
for s in $SETS; do
	round_sets+=("$s")
	[ "$s" = intree ] && round_sets+=(intree-b)
done
n=${#round_sets[@]}
for r in $(seq 1 "$ROUNDS"); do
	for k in $(seq 0 $((n - 1))); do
		s=${round_sets[$(((k + r - 1) % n))]}
		boot "$s" "$(set_drivers "$s")" "$r"
	done
done
if [ "$ROUNDS" -gt 0 ] && [ "$NULLB" = 1 ]; then boot nullb none 1 rig.bench_dev=nullb; fi

# the counting boots: QEMU's log backend writes the traced events to
# NAME.trace; the PL011 writes carry the guest's phase markers, and
# virtio_queue_notify the QueueNotify writes QEMU 10's emulated ioeventfd
# keeps from virtio_mmio_write (bench-counts.py pairs it with the write
# where the write is traced: QEMU 7.2)
count_dirs=()
if [ "$COUNT" = 1 ]; then
	for r in $(seq 1 "$COUNT_ROUNDS"); do
		cdir=$dir/count/r$r
		mkdir -p "$cdir"
		count_dirs+=("$cdir")
		for k in $(seq 0 $((n - 1))); do
			s=${round_sets[$(((k + r - 1) % n))]}
			# shellcheck disable=SC2034 # used through BOOT_QEMU
			count_qemu=(-d 'trace:virtio_mmio_*,trace:virtio_queue_notify,trace:pl011_write'
				-D "$cdir/$s.trace" "${EXTRA[@]}")
			# a job: COUNT_IOS I/Os per thread at up to ~2 ms of guest
			# time each, ~2 wall seconds per guest second, tracing on top
			BOOT_LOG=$cdir/$s.log BOOT_QEMU=count_qemu \
				BOOT_TMO=$((180 + njobs * COUNT_IOS / 100)) \
				boot "$s" "$(set_drivers "$s")" 0 "rig.bench_count=$COUNT_IOS"
		done
	done
fi

# the profile boots: a symbols boot, then one boot per set with the
# plugin snapshotting its counters at each sync(2) (two per job)
if [ "$PROFILE" = 1 ]; then
	so=$("$TOP/tools/bench/build-insnprof.sh") || die "building the profiler plugin failed"
	mkdir -p "$dir/profile"
	BOOT_LOG=$dir/profile/syms.log BOOT_TMO=600 boot syms none 0 nokaslr rig.bench_syms=1
	trig=$(awk '{ sub(/\r$/, "") } $2 == "ksym:" && $4 == "__arm64_sys_sync" && !t { t = $3 }
		END { print t }' "$dir/profile/syms.log")
	[ -n "$trig" ] || die "the symbols boot printed no __arm64_sys_sync (see $dir/profile/syms.log)"
	prof_sets=$SETS
	[ "$NULLB" = 1 ] && prof_sets+=" nullb"
	for s in $prof_sets; do
		# shellcheck disable=SC2034 # used through BOOT_QEMU
		prof_qemu=(-plugin "$so,trigger=$trig,out=$dir/profile/$s.snap" "${EXTRA[@]}")
		prof_args=(nokaslr "rig.bench_count=$COUNT_IOS" rig.bench_profile=1)
		drv=$(set_drivers "$s")
		[ "$s" = nullb ] && drv=none prof_args+=(rig.bench_dev=nullb)
		BOOT_LOG=$dir/profile/$s.log BOOT_QEMU=prof_qemu \
			BOOT_TMO=$((300 + njobs * COUNT_IOS / 100)) \
			boot "$s" "$drv" 0 "${prof_args[@]}"
	done
fi

elapsed=$(($(date +%s) - t_start))
facts="$(nproc) host CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $qemu_version, host kernel $(uname -r), guest kernel $KREL ($KPKGVER), -smp 2, $LAYOUT virtio-mmio, $dtb_note, $BACKEND backend$([ "$BACKEND" != vhost ] || echo " ($(qemu-storage-daemon --version | head -n1))"), timing $TIMING${qemu_timing[*]:+ (${qemu_timing[*]})}"
rc=0
if [ "$ROUNDS" -gt 0 ]; then
	python3 "$TOP/tools/bench/bench-report.py" --dir "$dir" --id "$id" \
		--out "$TOP/results/bench-$id.run" \
		--command "$env_line $cmdline" --facts "$facts" --elapsed "$elapsed" \
		--runtime "$RUNTIME" || rc=$?
fi
if [ "$COUNT" = 1 ]; then
	python3 "$TOP/tools/bench/bench-counts.py" --dir "$dir/count/r1" \
		--out "$TOP/results/bench-$id.counts" --title "run $id, counting round 1" \
		--command "$env_line $cmdline" --facts "$facts" || rc=$?
	python3 "$TOP/tools/bench/bench-model.py" --count "${count_dirs[@]}" \
		--out "$TOP/results/bench-$id.model" --title "run $id" \
		--icount-shift "$ICOUNT_SHIFT" \
		--command "$env_line $cmdline" --facts "$facts" || rc=$?
fi
if [ "$PROFILE" = 1 ]; then
	python3 "$TOP/tools/bench/bench-profile.py" --dir "$dir/profile" \
		--out "$TOP/results/bench-$id.profile" --title "run $id" \
		--command "$env_line $cmdline" --facts "$facts" || rc=$?
fi
exit "$rc"
