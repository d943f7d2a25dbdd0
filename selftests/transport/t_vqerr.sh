#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The transport's find_vqs error paths, provoked by a driver
# (selftests/kmod/vqerr_test.c): more queues than the device has (queue 1
# of virtio-rng reads QueueNumMax 0) and a second find_vqs while queue 0
# is set up (QueueReady / QueuePFN already set).  Both must fail, leave no
# queue behind and the device usable: a correct find_vqs carries data,
# a second probe after unbind runs clean, and virtio_rng takes the device
# back and gives bytes.  With vmmio, its module reference count must
# balance (it pins itself while a driver module holds queues) and its
# messages must say what failed.
. /rig/lib.sh
NTESTS=16
tap_plan $NTESTS
T=$RIG_TRANSPORT_MOD
M=vqerr_test
RNGDRV=/sys/bus/virtio/drivers/virtio_rng
# the probe's cases, in the order vqerr_test runs them
CASES="first_find_vqs queue_ready_set_refused nothing_left_after_ready_refusal
	queue_num_max_zero_refused nothing_left_after_num_max_refusal
	del_vqs_after_failed_find_vqs find_vqs_after_refusals queue_carries_data"

skip_all() {
	local i=0
	while [ $i -lt $NTESTS ]; do
		tap_skip "vqerr_$i" "$1"
		i=$((i + 1))
	done
	exit 0
}

# the virtio-rng device (device id 4) on the bus
rng_dev() {
	local d
	for d in /sys/bus/virtio/devices/virtio*; do
		[ "$(cat "$d/device" 2>/dev/null)" = 0x0004 ] && echo "${d##*/}" && return 0
	done
	return 1
}
drv_of() { basename "$(readlink -f "/sys/bus/virtio/devices/$1/driver" 2>/dev/null)"; }
refcnt() { cat "/sys/module/$T/refcnt"; }

[ -n "$T" ] || skip_all "no driver set in this lane"
# the refusals it provokes are virtio-mmio's (QueueNumMax, QueueReady)
[ "$RIG_BUS" != pci ] || skip_all "virtio-mmio error paths; this lane's transport is $T"
modprobe virtio-rng || skip_all "no virtio_rng module"
DEV=$(rng_dev) || skip_all "no virtio-rng device"
echo "# device $DEV, driver $(drv_of "$DEV"), transport $T"
[ "$T" = vmmio ] && DEL_AFTER=1 || DEL_AFTER=0

# the probe's results: the case $1 of the latest run is ok (skip: $2)
case_result() {
	local r
	r=$(cat /sys/module/$M/parameters/results) || return 1
	case " $r " in
	*" $1:ok "*) return 0 ;;
	*" $1:skip "*) return 2 ;;
	esac
	return 1
}
tap_case() {
	local rc=0
	case_result "$1" || rc=$?
	case $rc in
	0) tap_ok "$1" ;;
	2) tap_skip "$1" "$2" ;;
	*) tap_not_ok "$1" ;;
	esac
}

dmesg_mark
# take the device from virtio_rng; vqerr_test binds to it as it loads
[ "$(drv_of "$DEV")" = virtio_rng ] && echo "$DEV" >"$RNGDRV/unbind"
base=
[ "$T" = vmmio ] && base=$(refcnt)
load() {
	modprobe $M del_after_failure=$DEL_AFTER || return 1
	[ "$(drv_of "$DEV")" = $M ] || { echo "# $DEV is bound to '$(drv_of "$DEV")'"; return 1; }
	[ "$(cat /sys/module/$M/parameters/runs)" = 1 ] || return 1
	echo "# $(cat /sys/module/$M/parameters/results)"
}
if ! tap_check_v test_module_probes load; then
	rmmod $M 2>/dev/null
	[ -z "$(drv_of "$DEV")" ] && echo "$DEV" >"$RNGDRV/bind"
	dmesg_since | grep "$M" | sed 's/^/# /'
	while [ $TAP_N -lt $NTESTS ]; do tap_skip "vqerr_$TAP_N" "the test module did not probe"; done
	tap_exit
fi
dmesg_since | grep "$M: .*ok " | sed 's/^/# /'

for c in $CASES; do
	tap_case "$c" "the in-tree virtio_mmio frees its interrupt again on del_vqs after a failed find_vqs (a WARN): vmmio only"
done

# vmmio holds one reference while the test module holds a queue
pinned() {
	echo "# $T refcnt $(refcnt), $base without the device bound"
	[ "$(refcnt)" -eq $((base + 1)) ]
}
if [ "$T" = vmmio ]; then
	tap_check_v transport_pinned_while_bound pinned
else
	tap_skip transport_pinned_while_bound "only vmmio pins itself ($T)"
fi

# a second probe on the same device: the first one's remove (reset,
# del_vqs) left nothing behind that would make the cases fail now
rerun() {
	local c bad=
	echo "$DEV" >/sys/bus/virtio/drivers/$M/unbind || return 1
	echo "$DEV" >/sys/bus/virtio/drivers/$M/bind || return 1
	[ "$(drv_of "$DEV")" = $M ] && [ "$(cat /sys/module/$M/parameters/runs)" = 2 ] || return 1
	echo "# $(cat /sys/module/$M/parameters/results)"
	for c in $CASES; do
		case_result "$c" || [ $? = 2 ] || bad="$bad $c"
	done
	[ -z "$bad" ] || { echo "# failed:$bad"; return 1; }
}
tap_check_v second_probe_runs_clean rerun

unload() {
	echo "$DEV" >/sys/bus/virtio/drivers/$M/unbind && rmmod $M
}
tap_check test_module_unloads unload

balanced() {
	echo "# $T refcnt $(refcnt), $base before the test"
	[ "$(refcnt)" -eq "$base" ]
}
if [ "$T" = vmmio ]; then
	tap_check_v transport_refcount_balanced balanced
else
	tap_skip transport_refcount_balanced "only vmmio pins itself ($T)"
fi

# virtio_rng takes the device back and it gives bytes through /dev/hwrng
rng_back() {
	echo "$DEV" >"$RNGDRV/bind" || return 1
	[ "$(drv_of "$DEV")" = virtio_rng ] || return 1
	rig_wait_path /dev/hwrng 30
	echo "# rng_current $(cat /sys/class/misc/hw_random/rng_current)"
	grep -q virtio /sys/class/misc/hw_random/rng_current || return 1
	[ "$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | wc -c)" -eq 16 ]
}
tap_check virtio_rng_rebinds_gives_bytes rng_back

# the transport says which queue failed and why (the in-tree one is silent)
clear_messages() {
	dmesg_since | grep -E "queue 1: .*QueueNumMax 0|queue 0 is already set up" | sed 's/^/# /'
	dmesg_since | grep -q "queue 1: the device offers no queue (QueueNumMax 0)" &&
		dmesg_since | grep -q "queue 0 is already set up in the device"
}
if [ "$T" = vmmio ]; then
	tap_check error_messages_clear clear_messages
else
	tap_skip error_messages_clear "the in-tree virtio_mmio logs nothing for these"
fi

no_warnings() {
	local bad
	bad=$(dmesg_since | grep -E 'WARNING:|BUG:|Oops|Call trace:|KASAN|UBSAN|refcount_t|already-free' || true)
	[ -z "$bad" ] || { echo "$bad" | head -n 20; return 1; }
}
tap_check no_warn_or_bug no_warnings
tap_exit
