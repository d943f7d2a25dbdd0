#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Module tests: the lane's transport and block driver load, unload and
# reload cleanly, and leave no warning taint behind.  They end with both
# modules loaded, ready for the device tests.
. /rig/lib.sh
tap_plan 10

T=$RIG_TRANSPORT_MOD
B=$RIG_BLK_MOD
# a transport built into the kernel (6.12's virtio_pci) is always there:
# its load succeeds, it has no module file and it never unloads
T_BUILTIN=0
[ -n "$T" ] && rig_builtin "$T" && T_BUILTIN=1
unload_t() { [ $T_BUILTIN = 1 ] || unload "$T"; }
loaded() { [ -d "/sys/module/$1" ]; }
gone() { ! [ -d "/sys/module/$1" ]; }
# the transport with the slots of the command line where the lane has them
# shellcheck disable=SC2046
load() { modprobe "$1" $(rig_mod_args "$1") && loaded "$1"; }
unload() { rmmod "$1" && gone "$1"; }
vermagic_ok() {
	local f v
	f=$(modinfo -F filename "$1" 2>/dev/null) || f=$(modprobe -l 2>/dev/null | grep "/$1.ko")
	v=$(modinfo -F vermagic "$1")
	echo "# $1: vermagic '$v'"
	case "$v" in "$(uname -r) "*) return 0 ;; esac
	return 1
}
cycles() {
	local i=0
	while [ $i -lt "$1" ]; do
		load "$T" && load "$B" && unload "$B" && unload_t || return 1
		i=$((i + 1))
	done
}
# taint bits other than out-of-tree (O, 4096) and unsigned (E, 8192)
# mean a warning, a forced load or worse
taint_clean() {
	local t
	t=$(cat /proc/sys/kernel/tainted)
	echo "# tainted=$t"
	[ $((t & ~(4096 | 8192))) -eq 0 ]
}
# vmmio is pinned while a driver module has one of its devices: rmmod is
# refused (the disks stay), and goes through once the driver unloads
pinned() {
	load "$T" && load "$B" || return 1
	rig_wait_disk scratch 50 >/dev/null
	if rmmod "$T" 2>/dev/null; then
		echo "# rmmod $T succeeded with $B bound to its devices"
		load "$T"
		return 1
	fi
	echo "# $T refcount $(cat /sys/module/$T/refcnt) with $B bound"
	loaded "$T" && rig_disk_by_serial scratch >/dev/null || return 1
	unload "$B" && unload "$T"
}
both_sets() {
	# the two driver sets have distinct names and can sit in one guest
	modprobe vmmio && modprobe vblk && modprobe virtio_mmio &&
		modprobe virtio_blk || return 1
	rmmod virtio_blk vblk virtio_mmio vmmio || return 1
	! grep -qE '^(vmmio|vblk|virtio_mmio|virtio_blk) ' /proc/modules
}

if [ -z "$T" ]; then
	for n in transport_vermagic blk_vermagic transport_load blk_load \
		blk_unload transport_unload reload_cycles transport_pinned_while_in_use \
		both_sets_coexist \
		taint_clean; do
		tap_skip $n "no driver set in this lane"
	done
	exit 0
fi
if [ $T_BUILTIN = 1 ]; then
	tap_skip transport_vermagic "$T is built into this kernel"
else
	tap_check transport_vermagic vermagic_ok "$T"
fi
tap_check blk_vermagic vermagic_ok "$B"
tap_check transport_load load "$T"
tap_check blk_load load "$B"
tap_check blk_unload unload "$B"
if [ $T_BUILTIN = 1 ]; then
	tap_skip transport_unload "$T is built into this kernel"
else
	tap_check transport_unload unload "$T"
fi
# the vmmio lanes: 50 load/unload cycles; the others: 10
n=10
[ "$RIG_DRIVERS" = vmmio ] && n=50
tap_check reload_cycles cycles $n
if [ "$T" = vmmio ]; then
	tap_check transport_pinned_while_in_use pinned
elif [ $T_BUILTIN = 1 ]; then
	tap_skip transport_pinned_while_in_use "$T is built into this kernel"
else
	tap_skip transport_pinned_while_in_use "$T is not pinned: unloading it unbinds its devices' drivers"
fi
tap_check both_sets_coexist both_sets
tap_check taint_clean taint_clean
load "$T" && load "$B"
tap_exit
