#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run.sh: "make run".  Builds, then boots the guest as a user would:
# root=/dev/vda rw on an ext4 root image, the initramfs loading vmmio.ko
# and vblk.ko before switching root, the project's device tree.  With a
# terminal: a shell on the console (Ctrl-A X quits).  Without one: a short
# demo, then power-off; the exit status says whether the demo passed.
#   KVER=6.1|6.12   LAYOUT=legacy|modern   ROOTFS_FRESH=1 (rebuild the disk)
. "$(dirname "$0")/../lib.sh"

KVER=${KVER:-6.1}
LAYOUT=${LAYOUT:-legacy}
genv=$("$TOP/tools/guest/build-guest.sh" "$KVER") || die "building the $KVER guest failed"
eval "$genv"
echo "# kernel $KVER: $KREL, Debian package $KPKGVER" >&2

dir=$CACHE/run
mkdir -p "$dir"
dtb=$dir/qemu-virt-gicv3.dtb
"$TOP/tools/guest/build-dtb.sh" "$TOP/dts/qemu-virt-gicv3.dts" "$dtb"
rootfs=$dir/rootfs.img
key=$(hash_files "$TOP/tools/guest/mkrootfs.sh" "$TOP"/tools/guest/rootfs/*)
if [ "${ROOTFS_FRESH:-0}" = 1 ] || ! stamp_ok rootfs "$key" || [ ! -f "$rootfs" ]; then
	step rootfs "$TOP/tools/guest/mkrootfs.sh" "$rootfs"
	stamp_set rootfs "$key"
fi

# Should our drivers bring up no /dev/vda, the initramfs falls back to the
# in-tree pair and says so on the console; the demo's lsmod shows which.
append="root=/dev/vda rw rig.mode=root rig.drivers=ours rig.fallback=intree"
args=(--kernel "$KIMAGE" --initrd "$INITRD" --dtb "$dtb" "--$LAYOUT"
	--disk "file=$rootfs,format=raw|serial=root")
if [ -t 0 ] && [ -t 1 ]; then
	exec "$TOP/tools/guest/qemu-run.sh" "${args[@]}" --interactive --timeout 0 --append "$append"
fi
log=$dir/console.log
rc=0
"$TOP/tools/guest/qemu-run.sh" "${args[@]}" --timeout 300 --append "$append rig.demo=1 quiet" |
	tee "$log" || rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || die "QEMU exited with status $rc (console log: $log)"
grep -q '^rig: demo ok' "$log" || die "the demo did not finish (console log: $log)"
echo "# make run: demo passed (console log: $log)" >&2
