#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Last tests of a lane: the lane's drivers unload after the whole suite
# ran on them; then, on kernels with kmemleak (the debug kernel), two scans
# (an object must stay unreferenced across scans to be reported) must find
# no leak allocated through a virtio or block driver.
. /rig/lib.sh
tap_plan 2
K=/sys/kernel/debug/kmemleak

unload() {
	[ -n "$RIG_TRANSPORT_MOD" ] || return 0
	rmmod "$RIG_BLK_MOD" || return 1
	# a transport built into the kernel (6.12's virtio_pci) stays
	rig_builtin "$RIG_TRANSPORT_MOD" || rmmod "$RIG_TRANSPORT_MOD"
}
leaks() {
	sleep 6
	echo scan >$K
	sleep 1
	echo scan >$K
	cat $K >/tmp/kmemleak.txt
	sed 's/^/# /' /tmp/kmemleak.txt | head -n 60
	! grep -qE 'vmmio|vblk|virtio|blk_mq|vring' /tmp/kmemleak.txt
}
# drivers other tests loaded on top of the lane's transport go first
for m in vqerr_test virtio_net virtio_rng virtio_console; do rmmod $m 2>/dev/null; done
tap_check unload_after_suite unload
if [ -w $K ]; then
	tap_check kmemleak_clean_after_unload leaks
else
	tap_skip kmemleak_clean_after_unload "the kernel has no kmemleak"
fi
tap_exit
