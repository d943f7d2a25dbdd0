# SPDX-License-Identifier: GPL-2.0
# check-odd.sh: the odd-configuration lanes of make check (issue #8),
# sourced by tools/check/check.sh, which calls odd_setup for each "odd" lane.
#
# One boot carries, beside the rig's 8 usual virtio devices, one extra
# virtio-blk-device per odd QEMU property (serial odd-*, checked by
# selftests/transport/t_odd.sh) and plain small disks up to the virt board's 32
# virtio-mmio slots (serial odd-many-N).  Every disk must be served
# correctly or refused with a clear message while the others work.
#
# What QEMU 7.2 (the host's qemu-system-aarch64 7.2.22) accepts, tried on
# its command line:
#   queue-size      2: "invalid queue-size property (2), must be > 2";
#                   3, 2048: "must be a power of 2 (max 1024)"; 4..1024
#                   powers of two are taken.  The device offers
#                   seg_max = queue-size - 2 (seg-max-adjust=on, default).
#   num-queues      0: "num-queues property must be larger than 0"; 1..1024
#                   taken; 1025 makes QEMU abort without a message.
#   seg-max-adjust  off: seg_max is 126 whatever the queue size, also with
#                   queue-size=64 (taken): more segments than ring entries.
#   discard_granularity  any multiple of logical_block_size up to 2^32-1
#                   (1000: "discard_granularity must be a multiple of
#                   logical_block_size"); powers of two are not required.
#   max-discard-sectors  0: "must be between 1 and 4194303"; 1 is taken,
#                   max-write-zeroes-sectors=1 too.
#   size            null-co size=0 and a 0-byte raw file are taken (a disk
#                   of capacity 0); null-co size=1000 gives capacity 2
#                   sectors (the block layer rounds up to 512 bytes).
#   readonly=on     with discard=unmap on the drive and discard=on on the
#                   device: taken.
#   slots           a 33rd virtio-mmio device is refused: "No 'virtio-bus'
#                   bus found for device 'virtio-blk-device'".
#
# The writable odd disks are null-co with snapshot=on: QEMU puts a
# temporary qcow2 overlay (in its TMPDIR, removed when it exits) over the
# zeros, so writes read back without an image file in the lane.
# The lanes (kind "odd" in tools/check/lanes): 6.12 modern with ours and
# intree, 6.1 legacy with ours (the project's device tree with the broken
# nodes).

# odd_disks: one line per odd disk, "SERIAL|-drive options|-device options"
odd_disks() {
	local w='driver=null-co,size=16M,read-zeroes=on,snapshot=on'
	cat <<-EOF
		odd-qs4|$w|queue-size=4
		odd-qs1024|$w|queue-size=1024
		odd-nq1|$w|num-queues=1
		odd-nq8|$w|num-queues=8
		odd-segadj|$w|seg-max-adjust=off,queue-size=64
		odd-dgran1536|$w,discard=unmap|discard_granularity=1536
		odd-dgran12k|$w,discard=unmap|logical_block_size=4096,physical_block_size=4096,discard_granularity=12288
		odd-maxdz1|$w,discard=unmap|max-discard-sectors=1,max-write-zeroes-sectors=1
		odd-zero|driver=null-co,size=0|
		odd-tiny|driver=null-co,size=1000,read-zeroes=on|
		odd-rodiscard|driver=null-co,size=16M,read-zeroes=on,readonly=on,discard=unmap|discard=on
	EOF
}

# odd_qemu_args NSLOTS: the QEMU arguments of the odd disks and of plain
# disks up to NSLOTS virtio-mmio devices in all (LANE_EXTRA); sets
# ODD_NDEV (the extra devices) and ODD_MANY (the plain ones)
odd_qemu_args() {
	local nslots=$1 serial drive dev i=0
	LANE_EXTRA=()
	while IFS='|' read -r serial drive dev; do
		LANE_EXTRA+=(-drive "if=none,id=odd$i,$drive"
			-device "virtio-blk-device,drive=odd$i,serial=$serial${dev:+,$dev}")
		i=$((i + 1))
	done < <(odd_disks)
	ODD_MANY=0
	while [ $((NVIRTIO + i)) -lt "$nslots" ]; do
		LANE_EXTRA+=(-drive "if=none,id=odd$i,driver=null-co,size=1M,read-zeroes=on,readonly=on"
			-device "virtio-blk-device,drive=odd$i,serial=odd-many-$ODD_MANY")
		ODD_MANY=$((ODD_MANY + 1))
		i=$((i + 1))
	done
	ODD_NDEV=$i
}

# odd_setup: the lane's devices (run_lane's LANE_* settings)
odd_setup() {
	# the odd disks and plain ones fill every slot
	LANE_LOAD_DISKS=0 LANE_BIG_DISK=0
	odd_qemu_args 32
	LANE_EXTRA_DEVICES=$ODD_NDEV
}
