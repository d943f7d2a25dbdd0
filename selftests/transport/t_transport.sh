#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Transport tests on the lane's virtio-mmio driver, driver-agnostic where
# they can be: features as negotiated, unbind/bind with data kept, and for
# vmmio its debugfs, the checks of its device= parameter and small rings
# (max_ring: QEMU's virtio-mmio offers 1024 entries whatever queue-size
# says, so the cap is the only way to a small ring over MMIO).  On the PCI
# lanes the same cases run on virtio_pci, but for the MMIO-only ones.
. /rig/lib.sh
tap_plan 10
T=$RIG_TRANSPORT_MOD
B=$RIG_BLK_MOD

# RING_RESET (bit 40) must never be negotiated over MMIO: QEMU offers it
# but has no QueueReset register there.
no_ring_reset() {
	local f n=0 feat
	for f in /sys/bus/virtio/devices/virtio*/features; do
		[ -f "$f" ] || continue
		feat=$(cat "$f")
		echo "# $f: $feat"
		[ "$(echo "$feat" | cut -c41)" = 1 ] && return 1
		n=$((n + 1))
	done
	[ $n -gt 0 ]
}

unbind_bind() {
	local drv dev i disk
	drv=$(rig_transport_drv)
	dev=$(rig_platdev_of scratch) || return 1
	echo "# driver $drv device $dev"
	disk=$(rig_disk_by_serial scratch)
	dd if=/dev/urandom of=/tmp/pat bs=64k count=16 2>/dev/null
	dd if=/tmp/pat of="$disk" bs=64k oflag=direct 2>/dev/null || return 1
	sync
	i=0
	while [ $i -lt "$1" ]; do
		echo "$dev" >"$drv/unbind" || return 1
		echo "$dev" >"$drv/bind" || return 1
		disk=$(rig_wait_disk scratch 50) || { echo "# cycle $i: disk did not come back"; return 1; }
		cmp -n $((1024 * 1024)) /tmp/pat "$disk" || { echo "# cycle $i: data differs"; return 1; }
		i=$((i + 1))
	done
}

# the trigger type /proc/interrupts shows for line $1: level, edge or
# nothing (arm64 prints Level/Edge, x86's IO-APIC its flow handler)
irq_trigger() {
	awk -v i="$1:" '$1 == i { if ($0 ~ /Level|fasteoi/) print "level"; else if ($0 ~ /Edge|-edge/) print "edge"; exit }' /proc/interrupts
}

# one info file per device, with the layout's version; where a driver is
# bound (the disks, when the lane's block driver serves) its queues show,
# and the trigger type vmmio chose its interrupt handling by is the line's
debugfs_info() {
	local f n=0 q=0 irq want
	for f in /sys/kernel/debug/vmmio/*/info; do
		[ -f "$f" ] || continue
		sed 's/^/# /' "$f"
		grep -q "^version: $1 " "$f" || return 1
		if grep -q '^queue 0: size' "$f"; then
			q=$((q + 1))
			irq=$(sed -n 's/^irq: //p' "$f")
			want=$(irq_trigger "$irq")
			if [ -n "$want" ] && ! grep -q "^irq_trigger: $want\$" "$f"; then
				echo "# $f: /proc/interrupts says $want for irq $irq"
				return 1
			fi
		fi
		n=$((n + 1))
	done
	[ $n -eq "${RIG_NVIRTIO:-0}" ] && { [ $have_disk = 0 ] || [ $q -ge 1 ]; }
}

# The interrupt path follows the line's trigger type: on a level line
# most used-buffer interrupts are served by the fast acknowledge (no
# InterruptStatus read), on an edge line none is.  200 direct 4k reads on
# the scratch disk, then its device's counters.
fast_ack_by_trigger() {
	local dev f i0 f0 i1 f1 trig disk
	dev=$(rig_platdev_of scratch) || return 1
	f=/sys/kernel/debug/vmmio/$dev/info
	[ -f "$f" ] || { echo "# no $f"; return 1; }
	disk=$(rig_disk_by_serial scratch)
	i0=$(sed -n 's/^interrupts: //p' "$f") f0=$(sed -n 's/^fast_acks: //p' "$f")
	dd if="$disk" of=/dev/null bs=4k count=200 iflag=direct 2>/dev/null || return 1
	i1=$(sed -n 's/^interrupts: //p' "$f") f1=$(sed -n 's/^fast_acks: //p' "$f")
	trig=$(sed -n 's/^irq_trigger: //p' "$f")
	echo "# $dev ($trig): interrupts +$((i1 - i0)), fast_acks +$((f1 - f0))"
	[ $((i1 - i0)) -ge 200 ] || return 1
	if [ "$trig" = level ]; then
		[ $((f1 - f0)) -ge 100 ]
	else
		[ $((f1 - f0)) -eq 0 ]
	fi
}

refused() { # PARAM: insmod with it must fail, and say why
	dmesg_mark
	if insmod "/lib/modules/$(uname -r)/extra/vmmio.ko" "$1" 2>/dev/null; then
		rmmod vmmio
		echo "# accepted: $1"
		return 1
	fi
	dmesg_since | grep -q 'device=' || { echo "# no message for $1"; return 1; }
}
bad_params() {
	rmmod "$B" "$T" || return 1
	refused "device=garbage" && refused "device=0x200@0xa003e00" &&
		refused "device=0@0xa003e00:40" && refused "device=0x200@0xa003e00:0" &&
		refused "device=0x200@0xa003e00:40:x" && refused "device=0x200@-1:40"
	local rc=$?
	rig_load_drivers
	[ $have_disk = 0 ] || rig_wait_disk scratch 50 >/dev/null
	return $rc
}

# every virtio device QEMU was given is on the virtio bus
all_devices() {
	local n
	n=$(ls -d /sys/bus/virtio/devices/virtio* 2>/dev/null | wc -l)
	echo "# $n virtio devices, expected ${RIG_NVIRTIO:-?}"
	[ -n "$RIG_NVIRTIO" ] && [ "$n" -eq "$RIG_NVIRTIO" ]
}

# The lane's device tree may carry broken virtio,mmio nodes (not virtio
# behind the address, no interrupt, a 16-byte register window (vmmio
# refuses it; the in-tree driver reads what is behind it and finds no
# magic value), registers overlapping the real slots
# at 0x0a003e00 and 0x0a003c00): each stays without a driver, with a
# message in the log naming it, and nothing else is harmed (all_devices):
# the real devices on the overlapped slots keep their driver and serve.
broken_nodes() {
	local node dev n=0
	for node in 9030000 9020000 9030400 a003e80 a003d00; do
		[ -d /proc/device-tree/virtio_mmio@$node ] || continue
		dev=/sys/bus/platform/devices/$node.virtio_mmio
		[ -e "$dev/driver" ] && { echo "# $node has a driver"; return 1; }
		dmesg | grep "$node.virtio_mmio" | tail -n 1 | sed 's/^/# /'
		dmesg | grep -q "$node.virtio_mmio" || { echo "# no message for $node"; return 1; }
		n=$((n + 1))
	done
	[ $n -gt 0 ] || { echo "# no broken nodes in this lane's device tree"; return 0; }
	[ -d /proc/device-tree/virtio_mmio@a003e80 ] || return 0
	for node in a003e00 a003c00; do
		dev=/sys/bus/platform/devices/$node.virtio_mmio
		[ -e "$dev/driver" ] || { echo "# the real slot $node lost its driver"; return 1; }
	done
	[ $have_disk = 0 ] && return 0
	# the scratch disk sits on 0x0a003e00, fs on 0x0a003c00
	echo "# scratch on $(platdev_of scratch), fs on $(platdev_of fs)"
	timeout 30 dd if="$(rig_disk_by_serial scratch)" of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null &&
		timeout 30 dd if="$(rig_disk_by_serial fs)" of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null
}

# device= for real: hide the scratch disk's DT node (or ACPI device) from
# every driver (driver_override), then describe the same slot with the
# parameter.  On arm64 the IRQ must be a Linux number that is mapped: the
# hidden node's.  (Where the slots came from device= already, the rmmod
# removes them, and the one slot comes back alone.)  The base address:
# a DT device's name starts with it; others (LNRO0005:00, vmmio.0.auto)
# have their registers named after them in /proc/iomem.
device_param_probes() {
	local dev base irq disk rc=0
	dev=$(rig_platdev_of scratch) || return 1
	irq=$(sed -n 's/^irq: //p' "/sys/kernel/debug/vmmio/$dev/info")
	case "$dev" in
	[0-9a-f]*.*) base=0x${dev%%.*} ;;
	*) base=0x$(sed -n "s/^ *\([0-9a-f]*\)-[0-9a-f]* : $dev\$/\1/p" /proc/iomem | head -n1) ;;
	esac
	[ "$base" != 0x ] || { echo "# $dev is not in /proc/iomem"; return 1; }
	echo "# slot $dev: device=0x200@$base:$irq"
	dd if=/dev/urandom of=/tmp/dp bs=64k count=4 2>/dev/null
	dd if=/tmp/dp of="$(rig_disk_by_serial scratch)" bs=64k oflag=direct 2>/dev/null || return 1
	rmmod "$B" "$T" || return 1
	[ ! -e "/sys/bus/platform/devices/$dev" ] ||
		echo none >"/sys/bus/platform/devices/$dev/driver_override"
	if insmod "/lib/modules/$(uname -r)/extra/vmmio.ko" "device=0x200@$base:$irq" &&
		modprobe "$B" && disk=$(rig_wait_disk scratch 50); then
		readlink -f "/sys/block/${disk#/dev/}/device" | sed 's/^/# /'
		readlink -f "/sys/block/${disk#/dev/}/device" | grep -q '/vmmio\.[0-9a-z.]*/virtio' || rc=1
		cmp -n $((256 * 1024)) /tmp/dp "$disk" || rc=1
	else
		rc=1
	fi
	rmmod "$B" "$T"
	[ ! -e "/sys/bus/platform/devices/$dev" ] ||
		echo >"/sys/bus/platform/devices/$dev/driver_override"
	rig_load_drivers
	rig_wait_disk scratch 50 >/dev/null
	return $rc
}

# rebind the scratch disk's slot $1 with rings of $2 entries (0: uncapped)
rebind_ring() {
	local drv dev=$1
	drv=$(rig_transport_drv)
	echo "$2" >/sys/module/vmmio/parameters/max_ring || return 1
	echo "$dev" >"$drv/unbind" && echo "$dev" >"$drv/bind" || return 1
	rig_wait_disk scratch 50
}
# the scratch disk with 4- and 16-entry rings (the request chains fill
# them: a full ring, requests waiting for room) under a verified fio
# load of mixed sizes at QD32, each value shown in debugfs; bad caps
# refused, the old one kept
small_rings() {
	local r disk rc=0 dev v
	dev=$(rig_platdev_of scratch) || return 1
	for v in 3 1 65536 x -4; do
		if echo "$v" >/sys/module/vmmio/parameters/max_ring 2>/dev/null; then
			echo "# max_ring=$v accepted"
			rc=1
		fi
	done
	[ "$(cat /sys/module/vmmio/parameters/max_ring)" = 0 ] || rc=1
	for r in 4 16; do
		disk=$(rebind_ring "$dev" $r) || { echo "# ring $r: no disk"; rc=1; break; }
		grep '^queue' "/sys/kernel/debug/vmmio/$dev/info" | sed 's/^/# /'
		grep -q "^queue 0: size $r " "/sys/kernel/debug/vmmio/$dev/info" || rc=1
		echo "# ring $r: $disk nr_requests $(cat "/sys/block/${disk#/dev/}/queue/nr_requests"), max_segments $(cat "/sys/block/${disk#/dev/}/queue/max_segments")"
		fio --name=ring$r --filename="$disk" --ioengine=io_uring --iodepth=32 \
			--direct=1 --rw=randwrite --bsrange=4k-256k --size=8M \
			--verify=crc32c --do_verify=1 --verify_fatal=1 >/tmp/ring.out 2>&1 || {
			tail -n 5 /tmp/ring.out | sed 's/^/# /'
			rc=1
		}
		grep -E 'err=' /tmp/ring.out | sed 's/^ */# fio: /'
	done
	if [ "$B" = vblk ]; then
		# two entries cannot hold a request's chain: vblk refuses
		dmesg_mark
		if rebind_ring "$dev" 2 >/dev/null 2>&1; then
			echo "# ring 2: a disk appeared"
			rc=1
		fi
		dmesg_since | grep -q 'cannot hold a request' || { echo "# ring 2: no message"; rc=1; }
	fi
	rebind_ring "$dev" 0 >/dev/null || rc=1
	grep -q '^queue 0: size 1024 ' "/sys/kernel/debug/vmmio/$dev/info" || rc=1
	return $rc
}

have_disk=1
rig_disk_by_serial scratch >/dev/null || have_disk=0
disk_check() { # NAME CMD...: needs a disk the lane's drivers serve
	if [ $have_disk = 1 ]; then
		tap_check "$@"
	else
		tap_skip "$1" "${SCRATCH_REASON:-no scratch disk}"
	fi
}

if [ "$RIG_BUS" = pci ]; then
	tap_skip no_ring_reset "virtio-pci has a queue reset register: RING_RESET may be negotiated"
else
	tap_check no_ring_reset no_ring_reset
fi
# the vmmio lanes get the long run; the others a short one
cycles=10
[ "$RIG_DRIVERS" = vmmio ] && cycles=100
disk_check unbind_bind_cycles_keep_data unbind_bind $cycles
want=1
[ "$RIG_LAYOUT" = modern ] && want=2
if [ "$T" = vmmio ]; then
	tap_check debugfs_info debugfs_info $want
	disk_check fast_ack_by_trigger fast_ack_by_trigger
	tap_check bad_device_params_refused bad_params
	disk_check device_param_probes device_param_probes
	if command -v fio >/dev/null; then
		disk_check small_rings_under_load small_rings
	else
		tap_skip small_rings_under_load "no fio in this guest"
	fi
else
	tap_skip device_param_probes "vmmio's own parameter"
	tap_skip small_rings_under_load "vmmio's own parameter"
	tap_skip debugfs_info "vmmio's own debugfs"
	tap_skip fast_ack_by_trigger "vmmio's own debugfs"
	tap_skip bad_device_params_refused "vmmio's own parameter"
fi
tap_check all_virtio_devices_probed all_devices
tap_check broken_nodes_fail_alone broken_nodes
disk_check disks_back_after rig_wait_disk scratch 50
tap_exit
