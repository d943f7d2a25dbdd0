#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A real file system on the disk with serial "fs": mkfs.ext4, mount, write
# files, unmount, mount again and verify, e2fsck.  It leaves /rig-marker
# on the file system; the host checks the image with e2fsck -fn and reads
# the marker back after the guest has powered off.
. /rig/lib.sh
tap_plan 7
D=$FS_DISK
M=/mnt/fs
if ! [ -b "$D" ]; then
	for n in mkfs mount write_files umount remount_verify e2fsck_clean \
		leave_marker; do
		tap_skip $n "${SCRATCH_REASON:-no disk with serial 'fs'}"
	done
	exit 0
fi
rig_load_ext4
mkdir -p $M

write_files() {
	local i
	for i in 1 2 3 4 5 6 7 8; do
		dd if=/dev/urandom of=$M/f$i bs=64k count=$((i * 4)) 2>/dev/null || return 1
	done
	mkdir -p $M/dir/sub && echo hello >$M/dir/sub/small || return 1
	(cd $M && md5sum f* dir/sub/small >/tmp/ext4.md5) && sync
}
remount_verify() {
	mount -t ext4 "$D" $M && (cd $M && md5sum -c /tmp/ext4.md5)
}
leave_marker() {
	mount -t ext4 "$D" $M || return 1
	echo "rig-ext4-ok $(uname -r)" >$M/rig-marker && umount $M
}

tap_check mkfs mkfs.ext4 -F -q "$D"
tap_check mount mount -t ext4 "$D" $M
tap_check write_files write_files
tap_check umount umount $M
tap_check remount_verify remount_verify
umount $M 2>/dev/null
tap_check e2fsck_clean e2fsck -fn "$D"
tap_check leave_marker leave_marker
tap_exit
