#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mkrootfs.sh OUT.img [SIZE]
#
# A small busybox root file system as an ext4 image, made without root
# privileges (mkfs.ext4 -d).  Its init is busybox init; /etc/init.d/rcS
# runs the demo and powers off when the kernel command line says rig.demo,
# or the checks of tools/check/run-check.sh when it says rig.test.
. "$(dirname "$0")/../lib.sh"

OUT=${1:?usage: mkrootfs.sh OUT.img [SIZE]}
SIZE=${2:-128M}
USERLAND=$("$TOP/tools/host/fetch-userland.sh" | sed -n 's/^USERLAND=//p')

stage=$(mktemp -d "$CACHE/rootfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,etc/init.d,proc,sys,dev,tmp,root,mnt,usr/bin,usr/sbin}
cp "$USERLAND/bin/busybox" "$stage/bin/"
# the other applets' links are made by rcS at the first boot
ln -s busybox "$stage/bin/sh"
ln -sf ../bin/busybox "$stage/sbin/init"
cp "$TOP/tools/guest/rootfs/inittab" "$stage/etc/inittab"
cp "$TOP/tools/guest/rootfs/rcS" "$stage/etc/init.d/rcS"
cp "$TOP/tools/guest/rootfs/demo.sh" "$stage/etc/rig-demo.sh"
cp "$TOP/tools/guest/rootfs/test.sh" "$stage/etc/rig-test.sh"
cp "$TOP/tools/guest/rootfs/busy.sh" "$stage/etc/rig-busy.sh"
chmod +x "$stage/etc/init.d/rcS" "$stage/etc/rig-demo.sh" "$stage/etc/rig-test.sh" \
	"$stage/etc/rig-busy.sh"
echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"
echo "vmmio-guest" >"$stage/etc/hostname"
printf '/dev/vda / ext4 rw 0 1\n' >"$stage/etc/fstab"

rm -f "$OUT.tmp"
mkfs.ext4 -q -F -L rootfs -d "$stage" -E root_owner=0:0 "$OUT.tmp" "$SIZE"
mv "$OUT.tmp" "$OUT"
