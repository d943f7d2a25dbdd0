#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# The guest half of "make trace" (tools/trace/trace.sh is the host half).
# Run by /init for rig.mode=trace: loads the drivers (rig.drivers=), turns
# on the kernel's tracepoints on one request's path, has
# /rig/tools/trace_io do one 4 KiB O_DIRECT read, one write and one flush
# on the disk with serial "trace", and prints the trace buffer on the
# console between "# trace: guest begin" and "# trace: guest end".
#
# The events: the system calls' entry and exit, the block layer's
# (block_bio_queue .. block_rq_complete), vblk's own (vblk_queue_rq,
# vblk_kick, vblk_vq_done, vblk_complete; none with the in-tree
# virtio_blk) and the disk's interrupt handler (irq_handler_entry/exit,
# filtered to its line: the transport has no tracepoints of its own, the
# kernel's irq events mark when its handler runs and returns).
# Any line "# trace: error ..." tells the host why there is no trace.
. /rig/lib.sh

say() { echo "# trace: $*"; }
T=/sys/kernel/tracing

rig_load_drivers || { say "error: loading the $RIG_DRIVERS drivers failed"; exit 1; }
disk=$(rig_wait_disk trace 100) || { say "error: no disk with serial 'trace' appeared"; exit 1; }
[ -d $T/events ] || mount -t tracefs tracefs $T 2>/dev/null ||
	{ say "error: no tracefs"; exit 1; }
[ -w $T/trace_marker ] || { say "error: $T has no trace_marker (no ftrace in this kernel?)"; exit 1; }
irq=$(rig_disk_irq "$disk")
say "disk $disk irq ${irq:-?} drivers $RIG_DRIVERS kernel $(uname -r) clock $(cat $T/trace_clock)"

echo 0 >$T/tracing_on
echo >$T/trace
echo 2048 >$T/buffer_size_kb
on() {
	if [ -d "$T/events/$1" ]; then
		echo 1 >"$T/events/$1/enable" && say "event $1"
	else
		say "no event $1"
	fi
}
for e in syscalls/sys_enter_pread64 syscalls/sys_exit_pread64 \
	syscalls/sys_enter_pwrite64 syscalls/sys_exit_pwrite64 \
	syscalls/sys_enter_fsync syscalls/sys_exit_fsync \
	block/block_bio_queue block/block_getrq block/block_rq_insert \
	block/block_rq_issue block/block_rq_complete \
	vblk/vblk_queue_rq vblk/vblk_kick vblk/vblk_vq_done vblk/vblk_complete; do
	on "$e"
done
if [ -n "$irq" ]; then
	for e in irq_handler_entry irq_handler_exit; do
		echo "irq == $irq" >"$T/events/irq/$e/filter"
		on "irq/$e"
	done
fi
echo 1 >$T/tracing_on
/rig/tools/trace_io "$disk" read write flush
rc=$?
echo 0 >$T/tracing_on
say "trace_io rc=$rc"
say "guest begin"
cat $T/trace
say "guest end"
