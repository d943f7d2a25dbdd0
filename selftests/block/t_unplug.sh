#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A disk pulled from under a mounted ext4 and a running load, only on the
# unplug lanes: their disk "unplug" is a virtio-blk-pci device (QMP id
# unplug0) behind a PCIe root port of its own, the one place on `virt`
# where QEMU can unplug a device (virtio-mmio slots and devices on the
# root bus cannot be).  The guest asks the host's agent for QMP
# device_del; QEMU presses the slot's attention button, the kernel's
# pciehp waits its 5 s and removes the device, the driver's remove runs
# with the file system mounted and fio writing through it.  fio on the
# pulled disk must end (errors are expected) and umount must work, in
# bounded time; a verified fio load on another disk ("scratch") must
# finish with no error; the block driver then unloads and loads again,
# and the other disks come back and serve I/O; no WARN, oops or hung
# task.  Then, UNPLUG_CYCLES times (rig.env: 2 in make check, 20 in
# check-long), the disk is plugged back (QMP blockdev-add of its image,
# UNPLUG_IMG, and device_add on the same port), written and read back
# with O_DIRECT, and pulled again.  Driver-agnostic.
. /rig/lib.sh
tap_plan 7
ALL="load_running device_removed pulled_load_ends umount_works other_disk_verified driver_reloads replug_cycles"
D=$(rig_disk_by_serial unplug) || {
	tap_skip_all "no hot-pluggable disk (only the unplug lanes have it)" $ALL
	exit 0
}
S=$(rig_disk_by_serial scratch) || { tap_skip_all "no scratch disk" $ALL; exit 0; }
command -v fio >/dev/null || { tap_skip_all "no fio in this guest" $ALL; exit 0; }
rig_load_ext4
M=/mnt/unplug
mkdir -p $M
HUNG=/proc/sys/kernel/hung_task_timeout_secs
hung0=$(cat $HUNG 2>/dev/null) && echo 20 >$HUNG
dmesg_mark

# the two loads: files on the pulled disk's ext4, the raw scratch disk
# (each its own fio, so that the pulled one's errors end only its own)
start_loads() {
	mkfs.ext4 -F -q "$D" && mount -t ext4 "$D" $M || return 1
	fio --name=pulled --directory=$M --ioengine=psync --rw=randwrite --bs=4k \
		--size=8M --numjobs=2 --fsync=16 --time_based --runtime=300 \
		>/tmp/up-pulled.fio 2>&1 &
	PULLED=$!
	fio --name=other --filename="$S" --ioengine=io_uring --iodepth=16 --direct=1 \
		--rw=randwrite --bs=4k --size=32M --randrepeat=0 --verify=crc32c \
		--do_verify=1 --verify_fatal=1 --loops=3 >/tmp/up-other.fio 2>&1 &
	OTHER=$!
	s0=$(rig_ios_of "$D $S")
	rig_io_moved "$D $S" "$s0" 200
}

# wait up to $2 s for process $1 to end (or be a zombie: the checks run
# in subshells, which cannot reap the main shell's children); false if it
# has not
ended() {
	local i=0
	while [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; do
		[ $i -lt $(($2 * 10)) ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# gone DEV: true once DEV's disk has left sysfs, false after 60 s
gone() {
	local i=0
	while [ -e "/sys/block/${1#/dev/}" ]; do
		[ $i -lt 600 ] || { echo "# ${1#/dev/} still there 60 s after device_del"; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
}

removed() {
	local t0
	t0=$(rig_now)
	rig_qmp '{"execute": "device_del", "arguments": {"id": "unplug0"}}'
	gone "$D" || return 1
	echo "# ${D#/dev/} gone $(rig_since "$t0") s after device_del"
	# the other load must span the removal, or it shows nothing
	if ended "$OTHER" 0; then echo ended; else echo running; fi >/tmp/up.other
	dmesg_since | grep -iE 'pciehp|Slot|vblk|virtio_blk' | tail -n 4 | sed 's/^/# /'
}

pulled_ends() {
	if ! ended "$PULLED" 60; then
		echo "# fio on the pulled disk still running 60 s after the removal"
		kill -9 "$PULLED" 2>/dev/null
		return 1
	fi
	echo "# fio on the pulled disk ended"
	grep -E 'err=|error' /tmp/up-pulled.fio | head -n 3 | sed 's/^ */# fio: /'
}

umount_works() {
	timeout 30 umount $M || { echo "# umount failed or hung"; return 1; }
	! grep -q " $M " /proc/mounts
}

# fio's output says how it ended: its exit status is the main shell's
other_verified() {
	[ "$(cat /tmp/up.other 2>/dev/null)" = running ] ||
		{ echo "# the load on scratch had ended before the removal"; return 1; }
	ended "$OTHER" 180 || { echo "# fio on scratch still running after 180 s"; kill -9 "$OTHER"; return 1; }
	fio_clean /tmp/up-other.fio || return 1
	grep -q 'Run status group' /tmp/up-other.fio && ! grep -qE '^fio: |verify: bad' /tmp/up-other.fio
}

# the driver unloads with the pulled disk gone and loads again: the other
# disks come back and a read of each works
reloads() {
	local s n
	rig_builtin "$RIG_BLK_MOD" && { echo "# $RIG_BLK_MOD is built in"; return 0; }
	timeout 60 rmmod "$RIG_BLK_MOD" || { echo "# rmmod $RIG_BLK_MOD failed or hung"; return 1; }
	# shellcheck disable=SC2046
	rig_modprobe "$RIG_BLK_MOD" $(rig_mod_args "$RIG_BLK_MOD") || return 1
	for s in scratch fs; do
		n=$(rig_wait_disk $s 100) || { echo "# no disk '$s' after the reload"; return 1; }
		rig_wait_path "$n" 50
		timeout 30 dd if="$n" of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null ||
			{ echo "# cannot read $n after the reload"; return 1; }
	done
	! rig_disk_by_serial unplug >/dev/null || { echo "# the pulled disk came back"; return 1; }
	dmesg_bad_since
}

# ask QEMU, through the agent, and fail on an error reply
qmp_ok() {
	rig_qmp_ask "$1" /tmp/up.qmp || { echo "# no QMP reply to $1"; return 1; }
	! grep -q '^error' /tmp/up.qmp || { grep '^error.desc' /tmp/up.qmp | sed 's/^/# /'; return 1; }
}
# qmp_retry TRIES JSON: qmp_ok every 0.5 s until it succeeds; after TRIES
# failures false, with the last failure's comments
qmp_retry() {
	local i=0
	while ! qmp_ok "$2" >/tmp/up.retry 2>&1; do
		i=$((i + 1))
		[ $i -lt "$1" ] || { cat /tmp/up.retry; return 1; }
		sleep 0.5
	done
}
# the disk back on its port, a pattern written and read back, pulled again
replug() {
	local n node=unplugn$1 bs=65536 count=64
	# the pulled disk's image is let go once QEMU finalized the removal:
	# until then it holds the image's lock
	qmp_retry 20 "{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": \"raw\", \"node-name\": \"$node\", \"file\": {\"driver\": \"file\", \"filename\": \"$UNPLUG_IMG\"}}}" ||
		return 1
	qmp_ok "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"virtio-blk-pci\", \"drive\": \"$node\", \"id\": \"unplug0\", \"serial\": \"unplug\", \"bus\": \"rp0\"}}" || return 1
	n=$(rig_wait_disk unplug 600) || { echo "# cycle $1: no disk 60 s after device_add"; return 1; }
	rig_wait_path "$n" 50
	head -c $((bs * count)) /dev/urandom >/tmp/up.pat
	dd if=/tmp/up.pat of="$n" bs=$bs count=$count oflag=direct 2>/dev/null &&
		dd if="$n" of=/tmp/up.back bs=$bs count=$count iflag=direct 2>/dev/null &&
		cmp -s /tmp/up.pat /tmp/up.back || { echo "# cycle $1: the pattern did not read back from $n"; return 1; }
	rig_qmp '{"execute": "device_del", "arguments": {"id": "unplug0"}}'
	gone "$n" || { echo "# cycle $1"; return 1; }
	# QEMU finalizes the removal after the guest let the device go: its
	# node can be deleted then, and the id used again
	qmp_retry 60 "{\"execute\": \"blockdev-del\", \"arguments\": {\"node-name\": \"$node\"}}" ||
		{ echo "# cycle $1: QEMU still holds the pulled disk 30 s after the guest let it go"; return 1; }
}
replug_cycles() {
	local c=1 t0
	t0=$(rig_now)
	while [ $c -le "$UNPLUG_CYCLES" ]; do
		replug $c || return 1
		c=$((c + 1))
	done
	echo "# $UNPLUG_CYCLES times plugged, written, read back and pulled in $(rig_since "$t0") s"
	dmesg_bad_since
}

# in this shell, not tap_check's subshell: the loads are its children
if start_loads >/tmp/up.out 2>&1; then
	tap_ok load_running
else
	sed 's/^/# /' /tmp/up.out
	tap_not_ok load_running
fi
tap_check_v device_removed removed
tap_check_v pulled_load_ends pulled_ends
tap_check umount_works umount_works
tap_check_v other_disk_verified other_verified
tap_check_v driver_reloads reloads
if [ "${UNPLUG_CYCLES:-0}" -gt 0 ] && [ -n "${UNPLUG_IMG:-}" ]; then
	tap_check_v replug_cycles replug_cycles
else
	tap_skip replug_cycles "UNPLUG_CYCLES/UNPLUG_IMG not given (the unplug lanes give them)"
fi
[ -z "$hung0" ] || echo "$hung0" >$HUNG
tap_exit
