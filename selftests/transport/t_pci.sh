#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The disks over the in-tree virtio_pci (the PCI lanes only): the scratch
# disk's request virtqueues (QEMU num-queues=2) each get an MSI-X vector
# of their own, because the block driver asks the transport to spread
# them over the CPUs (struct irq_affinity); the block layer maps each
# hardware queue to the CPUs of its vector's affinity (map_queues by the
# transport's affinity), so I/O submitted on a CPU completes through the
# vector of that CPU's queue.  Driver-agnostic: vblk and virtio_blk name
# their queues alike (req.N), which is what /proc/interrupts shows.  And
# the device has the interface the lane asked QEMU for: a modern one
# negotiates VIRTIO_F_VERSION_1, a transitional one with its modern
# interface off cannot.
. /rig/lib.sh
tap_plan 4
CASES="interface_matches_layout vector_per_request_queue
	hw_queue_cpus_match_vector_affinity io_completes_on_each_vector"

if ! S=$(rig_disk_by_serial scratch); then
	# shellcheck disable=SC2086 # one word a case
	tap_skip_all "${SCRATCH_REASON:-no scratch disk}" $CASES
	exit 0
fi
VDEV=$(rig_virtdev_of scratch)
MQ=/sys/block/${S#/dev/}/mq
NQ=$(ls -d "$MQ"/* | wc -l)

# the interrupt of the scratch disk's virtqueue $1 (virtio_pci names a
# per-queue vector "<device>-<queue>")
vq_irq() { awk -v n="$VDEV-$1" '$NF == n { sub(":", "", $1); print $1 }' /proc/interrupts; }
# interrupts of irq $1 handled on CPU $2
irq_on_cpu() { awk -v i="$1:" -v c="$2" '$1 == i { print $(c + 2) }' /proc/interrupts; }
# a CPU list ("0-1", "0, 1", "0,2-3") as one CPU a line
cpus() {
	echo "$1" | tr ',' '\n' | tr -d ' ' | awk -F- 'NF { for (c = $1; c <= (NF > 1 ? $2 : $1); c++) print c }'
}

# VIRTIO_F_VERSION_1 is bit 32: character 33 of the features file
interface() {
	local v1
	v1=$(cut -c33 "/sys/bus/virtio/devices/$VDEV/features")
	echo "# $VDEV: PCI device $(cat "/sys/bus/virtio/devices/$VDEV/../device"), VERSION_1 $v1, lane layout $RIG_LAYOUT"
	case "$RIG_LAYOUT" in
	modern) [ "$v1" = 1 ] ;;
	legacy) [ "$v1" = 0 ] ;;
	*) return 1 ;;
	esac
}

vectors() {
	local q=0 irq seen=' '
	echo "# $S ($VDEV): $NQ hardware queues"
	[ "$NQ" -ge 2 ] || return 1
	while [ $q -lt "$NQ" ]; do
		irq=$(vq_irq req.$q)
		echo "# req.$q: irq ${irq:-none}"
		[ -n "$irq" ] || return 1
		case "$seen" in *" $irq "*) echo "# req.$q shares irq $irq"; return 1 ;; esac
		seen="$seen$irq "
		q=$((q + 1))
	done
}

affinity() {
	local q=0 irq a m rc=0
	while [ $q -lt "$NQ" ]; do
		irq=$(vq_irq req.$q)
		[ -n "$irq" ] || return 1
		a=$(cpus "$(cat "/proc/irq/$irq/smp_affinity_list")" | tr '\n' ' ')
		m=$(cpus "$(cat "$MQ/$q/cpu_list")" | tr '\n' ' ')
		echo "# req.$q: irq $irq affinity $a, hardware queue $q CPUs $m"
		[ "$a" = "$m" ] || rc=1
		q=$((q + 1))
	done
	return $rc
}

# direct reads from each queue's first CPU raise that queue's vector there
completions() {
	local q=0 irq cpu n0 n1 rc=0
	command -v taskset >/dev/null || { echo "# no taskset"; return 1; }
	while [ $q -lt "$NQ" ]; do
		irq=$(vq_irq req.$q)
		[ -n "$irq" ] || { echo "# req.$q has no vector of its own"; return 1; }
		cpu=$(cpus "$(cat "$MQ/$q/cpu_list")" | head -n 1)
		n0=$(irq_on_cpu "$irq" "$cpu")
		taskset -c "$cpu" dd if="$S" of=/dev/null bs=4k count=64 \
			skip=$((q * 1024)) iflag=direct 2>/dev/null || return 1
		n1=$(irq_on_cpu "$irq" "$cpu")
		echo "# req.$q: reads on CPU $cpu, irq $irq there $n0 -> $n1"
		[ "$n1" -gt "$n0" ] || rc=1
		q=$((q + 1))
	done
	return $rc
}

tap_check_v interface_matches_layout interface
tap_check_v vector_per_request_queue vectors
tap_check_v hw_queue_cpus_match_vector_affinity affinity
tap_check_v io_completes_on_each_vector completions
tap_exit
