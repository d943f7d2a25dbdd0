#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# The guest half of "SCALE=1 make bench" (tools/bench/bench.sh), run by
# bench.sh for rig.bench_scale=N: the guest has N virtio-blk disks (serials
# scale-1..N) and no driver loaded.  Measures, with the guest's clock:
#   probe: from modprobe of the transport until N /dev/vdX exist (the
#     transport's own modprobe and the block driver's part separately);
#   memory: /proc/meminfo before loading, with the N disks, after
#     unloading (page cache dropped before each reading);
#   unload: rmmod of the block driver and of the transport.
# Kernel command line: rig.drivers, rig.bench_set, rig.bench_round as for
# bench.sh, rig.bench_scale=N, rig.bench_qsize=Q (the disks' queue-size,
# printed only).  Prints one line on the console:
#   # scale: {"set":..,"round":..,"qsize":..,"expect":N,"disks":..,
#             "clock":..,"probe_ms":..,"transport_ms":..,"blk_ms":..,
#             "unload_ms":..,"modules_bytes":..,"mem":{"before":{..},
#             "loaded":{..},"unloaded":{..}}}
# or {"set":..,"na":"reason"}; tools/bench/bench-scale.py makes the table.
. /rig/lib.sh

SET=$RIG_DRIVERS ROUND=0 EXPECT=0 QSIZE=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	rig.bench_set=*) SET=${arg#*=} ;;
	rig.bench_round=*) ROUND=${arg#*=} ;;
	rig.bench_scale=*) EXPECT=${arg#*=} ;;
	rig.bench_qsize=*) QSIZE=${arg#*=} ;;
	esac
done

out() { echo "# scale: $*" >/dev/console; }
hdr() { printf '"set":"%s","round":%s,"qsize":"%s","expect":%s' "$SET" "$ROUND" "$QSIZE" "$EXPECT"; }
na() {
	out "{$(hdr),\"na\":\"$1\"}"
	exit 0
}

# milliseconds of the guest's clock (ktime_get): /proc/timer_list's "now"
# in nanoseconds, else /proc/uptime's hundredths (busybox's date has no
# %N here); CLOCK says which
if grep -q '^now at [0-9]* nsecs' /proc/timer_list 2>/dev/null; then
	CLOCK=ktime
	now_ms() { awk '/^now at / { printf "%.3f", $3 / 1e6; exit }' /proc/timer_list; }
else
	CLOCK=uptime
	now_ms() { awk '{ printf "%.3f", $1 * 1000 }' /proc/uptime; }
fi
ms_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.3f", b - a }'; }

ndisks() { ls -d /sys/block/vd* 2>/dev/null | wc -l; }
# every disk in sysfs has its /dev node
nodes_ok() {
	local d
	for d in /sys/block/vd*; do
		[ -b "/dev/${d##*/}" ] || return 1
	done
}
# wait up to $1 hundredths of a second for EXPECT disks with their nodes
# (the drivers add their disks before modprobe returns: this normally
# finds them at once)
wait_disks() {
	local i=0
	while [ $i -lt "$1" ]; do
		[ "$(ndisks)" -ge "$EXPECT" ] && nodes_ok && return 0
		sleep 0.01
		i=$((i + 1))
	done
	return 1
}
# the page cache dropped, then the meminfo fields that show a driver's
# memory, in kB, as a JSON object, and PcpFree: the free pages on the
# per-CPU lists (/proc/zoneinfo's "count"), which MemFree leaves out and
# which move by megabytes between two readings
meminfo() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	{
		cat /proc/meminfo
		awk -v kb=$(($(getconf PAGESIZE 2>/dev/null || echo 4096) / 1024)) \
			'$1 == "count:" { s += $2 } END { print "PcpFree:", s * kb }' /proc/zoneinfo
	} | awk 'BEGIN { printf "{" }
		$1 ~ /^(MemFree|MemAvailable|Slab|SReclaimable|SUnreclaim|Percpu|VmallocUsed|KernelStack|PcpFree):$/ {
			sub(":", "", $1); printf "%s\"%s\":%s", n++ ? "," : "", $1, $2 }
		END { printf "}" }'
}
# the bytes of the set's two modules (their text and data)
mod_bytes() {
	awk -v a="$RIG_TRANSPORT_MOD" -v b="$RIG_BLK_MOD" '$1 == a || $1 == b { s += $2 } END { print s + 0 }' /proc/modules
}

[ -n "$RIG_TRANSPORT_MOD" ] || na "no driver set"
[ "$(ndisks)" = 0 ] || na "$(ndisks) disks before any driver was loaded (built-in drivers?)"
m0=$(meminfo)

t0=$(now_ms)
rig_modprobe "$RIG_TRANSPORT_MOD" || na "modprobe $RIG_TRANSPORT_MOD failed"
tt=$(ms_since "$t0")
t1=$(now_ms)
rig_modprobe "$RIG_BLK_MOD" || na "modprobe $RIG_BLK_MOD failed"
wait_disks 6000 || na "$(ndisks) of $EXPECT disks after 60 s"
tb=$(ms_since "$t1")
tp=$(ms_since "$t0")
n=$(ndisks)
mb=$(mod_bytes)
# what the block layer made of the device's queue (the first disk)
d=$(ls -d /sys/block/vd* | head -n1)
qinfo="nr_requests $(cat "$d/queue/nr_requests"), $(ls -d "$d"/mq/* | wc -l) hw queues, $(cat "$d/mq/0/nr_tags") tags, max_segments $(cat "$d/queue/max_segments")"
# the ring's size, where vmmio's debugfs tells it
p=$(basename "$(dirname "$(readlink -f "$d/device")")")
r=$(awk '$1 == "queue" { print $4; exit }' "/sys/kernel/debug/vmmio/$p/info" 2>/dev/null)
[ -z "$r" ] || qinfo="$qinfo, ring $r"
m1=$(meminfo)

t2=$(now_ms)
rmmod "$RIG_BLK_MOD" || na "rmmod $RIG_BLK_MOD failed"
rmmod "$RIG_TRANSPORT_MOD" || na "rmmod $RIG_TRANSPORT_MOD failed"
tu=$(ms_since "$t2")
[ "$(ndisks)" = 0 ] || na "$(ndisks) disks left after rmmod"
m2=$(meminfo)

out "{$(hdr),\"disks\":$n,\"clock\":\"$CLOCK\",\"probe_ms\":$tp,\"transport_ms\":$tt,\"blk_ms\":$tb,\"unload_ms\":$tu,\"modules_bytes\":$mb,\"queue\":\"$qinfo\",\"kernel\":\"$(uname -r)\",\"mem\":{\"before\":$m0,\"loaded\":$m1,\"unloaded\":$m2}}"
