#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# load-guests.sh [N]: keep N other QEMU guests busy on this host, the load
# make check must fit CI under (issue 17: "two extra QEMU guests").
#
# Each guest is the rig's own (KVER, 6.1 by default): one vCPU, 512 MB,
# the in-tree virtio_mmio + virtio_blk, root on a copy-on-write view of
# the make run root image (snapshot=on).  Its rcS, told rig.busy=1, runs
# tools/guest/rootfs/busy.sh: a duty cycle of work (64 MB of random data
# into tmpfs, its md5sum, 128 MB read from /dev/vda with the page cache
# dropped) and rest as long as the work took: about half a host core per
# guest under TCG, with disk I/O through QEMU's thread pool.
# Runs until interrupted (or LOAD_SECS, 0: no limit); each guest's console
# is $VMMIO_CACHE/load/guest-I.log and a line a minute of the host's load
# average goes to $VMMIO_CACHE/load/loadavg.log.
#
# Environment: KVER=6.1, LOAD_SECS=0, LOAD_BUSY=1 (0: booted and idle).
. "$(dirname "$0")/../lib.sh"

N=${1:-2}
KVER=${KVER:-6.1}
LOAD_SECS=${LOAD_SECS:-0}
LOAD_BUSY=${LOAD_BUSY:-1}
case "$N" in '' | *[!0-9]* | 0) die "load-guests.sh: N='$N': a count of guests, 1 or more" ;; esac
case "$LOAD_SECS" in '' | *[!0-9]*) die "LOAD_SECS='$LOAD_SECS': seconds, 0 for no limit" ;; esac
case "$LOAD_BUSY" in 0 | 1) ;; *) die "LOAD_BUSY='$LOAD_BUSY': 0 or 1" ;; esac

genv=$("$TOP/tools/guest/build-guest.sh" "$KVER") || die "building the $KVER guest failed"
eval "$genv"
dir=$CACHE/load
mkdir -p "$dir"
root=$dir/rootfs.img
rig_rootfs "$root" load-rootfs
dtb=$dir/qemu-virt-gicv3.dtb
"$TOP/tools/guest/build-dtb.sh" "$TOP/dts/qemu-virt-gicv3.dts" "$dtb"
fdtput -r "$dtb" /cpus/cpu@1 # one vCPU
append="root=/dev/vda rw rig.mode=root rig.drivers=intree quiet"
[ "$LOAD_BUSY" = 0 ] || append+=" rig.busy=1"

pids=()
cleanup() {
	local p
	# qemu-run.sh with --log runs QEMU as its child
	for p in "${pids[@]}"; do
		pkill -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ((i = 0; i < N; i++)); do
	"$TOP/tools/guest/qemu-run.sh" --kernel "$KIMAGE" --initrd "$INITRD" --dtb "$dtb" \
		--smp 1 --mem 512 --timeout 0 --log "$dir/guest-$i.log" \
		--disk "file=$root,format=raw,snapshot=on|serial=root" --append "$append" &
	pids+=($!)
done
echo "# load-guests: $N guests (KVER=$KVER, busy=$LOAD_BUSY), consoles in $dir" >&2
start=$(date +%s)
while :; do
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null || die "a load guest exited (consoles in $dir)"
	done
	echo "$(date +%T) $(cut -d' ' -f1-3 /proc/loadavg)" >>"$dir/loadavg.log"
	if [ "$LOAD_SECS" -gt 0 ] && [ $(($(date +%s) - start)) -ge "$LOAD_SECS" ]; then
		exit 0
	fi
	sleep 60 &
	wait $! # a signal ends the wait, not the whole minute
done
