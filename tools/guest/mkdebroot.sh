#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mkdebroot.sh OUT.img [SIZE]
#
# A small Debian arm64 root file system with systemd as its init, as an
# ext4 image (SIZE: 512M, sparse) for "make run ROOTFS=OUT.img".  Made from
# Debian's packages only, on an x86 host without qemu-user: the arm64
# closure of systemd-sysv (and the few tools a boot and the check use) is
# resolved and downloaded with the project's private apt state
# (tools/host/apt-private.sh: the system's mirrors), each package unpacked
# with dpkg-deb, and what their maintainer scripts would have made is made
# here instead (no arm64 binary can run on this host): the accounts from
# base-passwd's master files, machine-id, fstab, hostname, the merged-/usr
# links, the default target.
#
# The image holds rig-distro-check.service (tools/guest/debroot/), enabled
# for multi-user.target: when the kernel command line has
# rig.distro.token=T, it writes what the system came up with (T, the
# target's state, root's source, the root disk's driver) to
# /var/lib/rig/distro-check, syncs and powers off
# (tools/check/distro-check.sh).  Without it the system boots to a root
# shell on the console.
#
# The packages and the image are cached under $CACHE/debroot, rebuilt when
# this script, the guest files, the package list or a package's version
# changes.  EXTRA_PKGS="p1 p2": more packages (unpacked only: no
# maintainer script runs).
. "$(dirname "$0")/../lib.sh"

usage="usage: mkdebroot.sh OUT.img [SIZE]"
OUT=${1:?$usage}
SIZE=${2:-512M}
[ $# -le 2 ] || die "$usage"
[[ "$SIZE" =~ ^[0-9]+[MG]$ ]] || die "SIZE='$SIZE': a size with M or G (512M, 1G)"
[ ! -d "$OUT" ] || die "OUT='$OUT' is a directory; give the image's file name"
odir=$(dirname "$OUT")
[ -d "$odir" ] || die "OUT='$OUT': no such directory '$odir'"
[ -w "$odir" ] || die "OUT='$OUT': cannot write to '$odir'"

APT=$TOP/tools/host/apt-private.sh
ARCH=arm64
# systemd as /sbin/init and what a boot and the check use beyond its
# dependencies: udev (without it no device unit ever shows up: the
# console's getty would wait 90 s for dev-ttyAMA0.device), a shell,
# coreutils, util-linux (findmnt, agetty), mount
PKGS="systemd-sysv udev base-files base-passwd dash bash coreutils util-linux mount ${EXTRA_PKGS:-}"
dir=$CACHE/debroot
img=$dir/debroot.img
mkdir -p "$dir"
apkgs=()
for p in $PKGS; do apkgs+=("$p:$ARCH"); done

# Every package named must exist for arm64: one clear error before any
# download.  Their candidate versions key the cache (a point release or a
# security update rebuilds the image).
pol=$("$APT" cache policy "${apkgs[@]}" 2>&1) ||
	die "apt-cache policy failed: $pol"
missing=""
for p in $PKGS; do
	v=$(awk -v p="$p:$ARCH" '$0 == p ":" { f = 1; next } f && /^ *Candidate:/ { print $2; exit }' <<<"$pol")
	[ -n "$v" ] && [ "$v" != "(none)" ] || missing="$missing $p"
done
[ -z "$missing" ] || die "no $ARCH package in the archive for:$missing"
key="$(hash_files "$0" "$TOP"/tools/guest/debroot/*) $(grep -E '^[^ ].*:$|Candidate:' <<<"$pol" | tr -s ' \n' ' ')"

build() {
	local debs=$dir/debs stage=$dir/stage d want
	mkdir -p "$debs"
	# The closure, as apt resolves it on an arm64 system with nothing
	# installed (Depends and Pre-Depends, no Recommends): its "Inst NAME
	# (VERSION ... [ARCH])" lines name the .debs to unpack.  They are kept
	# in $debs: a rebuild downloads only what changed, and the others
	# (older versions) are dropped.
	local aopts=(-o "APT::Architecture=$ARCH" -o "Dir::Cache::archives=$debs")
	want=$("$APT" "${aopts[@]}" install -s -q --no-install-recommends "${apkgs[@]}" |
		awk '$1 == "Inst" { v = $3; sub(/^\(/, "", v); gsub(/:/, "%3a", v)
			a = substr($0, index($0, "[") + 1); sub(/\].*/, "", a)
			print $2 "_" v "_" a ".deb" }') ||
		die "resolving the $ARCH packages failed"
	[ -n "$want" ] || die "apt resolved no package to install"
	"$APT" "${aopts[@]}" install --download-only -y -q --no-install-recommends \
		"${apkgs[@]}" || die "downloading the $ARCH packages failed"
	for d in "$debs"/*.deb; do
		grep -qxF "$(basename "$d")" <<<"$want" || rm -f "$d"
	done
	rm -rf "$stage"
	mkdir -p "$stage"/usr/{bin,sbin,lib}
	# bookworm is merged-/usr (its debootstrap makes these links before
	# unpacking); tar must keep them rather than make directories
	for d in bin sbin lib; do ln -s usr/$d "$stage/$d"; done
	for d in $want; do
		case "$d" in *_"$ARCH".deb | *_all.deb) ;; *) die "$d: not $ARCH" ;; esac
		d=$debs/$d
		[ -f "$d" ] || die "apt did not download $d"
		dpkg-deb --fsys-tarfile "$d" | tar -x -C "$stage" --keep-directory-symlink ||
			die "unpacking $d failed"
		echo "unpacked $(basename "$d")"
	done
	# /sbin/init is an absolute link (/lib/systemd/systemd): follow it
	# inside the image, not on this host
	d=$(readlink "$stage/sbin/init") || die "no /sbin/init (systemd-sysv) in the image"
	case "$d" in /*) ;; *) d=/sbin/$d ;; esac
	file "$stage/usr${d#/usr}" | grep -q 'ARM aarch64' || die "/sbin/init ($d) is not an arm64 binary"
	[ -x "$stage/bin/sh" ] || ln -s dash "$stage/bin/sh"

	# base-passwd's postinst: the accounts from its master files (the
	# systemd-* ones come from systemd-sysusers at boot); no passwords
	cp "$stage/usr/share/base-passwd/passwd.master" "$stage/etc/passwd"
	cp "$stage/usr/share/base-passwd/group.master" "$stage/etc/group"
	cut -d: -f1 "$stage/etc/passwd" | sed 's/$/:*:19000:0:99999:7:::/' >"$stage/etc/shadow"
	cut -d: -f1 "$stage/etc/group" | sed 's/$/:*::/' >"$stage/etc/gshadow"
	chmod 640 "$stage/etc/shadow" "$stage/etc/gshadow"
	chgrp 42 "$stage/etc/shadow" "$stage/etc/gshadow" # shadow's gid
	# a fixed id: "uninitialized" would make every boot a first boot
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$stage/etc/machine-id"
	echo >>"$stage/etc/machine-id"
	echo debian-vmmio >"$stage/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tdebian-vmmio\n' >"$stage/etc/hosts"
	# root is mounted rw by make run's initramfs; no fsck (no e2fsprogs)
	printf '/dev/vda / ext4 rw 0 0\n' >"$stage/etc/fstab"
	[ -e "$stage/usr/bin/awk" ] || ln -s mawk "$stage/usr/bin/awk"

	local sd=$stage/etc/systemd/system
	mkdir -p "$sd/multi-user.target.wants" "$sd/serial-getty@ttyAMA0.service.d" \
		"$stage/usr/local/sbin"
	ln -sf /lib/systemd/system/multi-user.target "$sd/default.target"
	install -m 644 "$TOP/tools/guest/debroot/rig-distro-check.service" "$sd/"
	install -m 755 "$TOP/tools/guest/debroot/rig-distro-check" "$stage/usr/local/sbin/"
	ln -s ../rig-distro-check.service "$sd/multi-user.target.wants/"
	# no login(1) nor PAM in the image: the console's getty starts a root
	# shell (a test machine's, on QEMU's serial port only).  Not under the
	# check: while a shell holds the console systemd stops printing its
	# status there ("Reached target"), and under load the shell can come
	# before the default target.
	cat >"$sd/serial-getty@ttyAMA0.service.d/rig-shell.conf" <<-'EOF'
		[Unit]
		ConditionKernelCommandLine=!rig.distro.token

		[Service]
		ExecStart=
		ExecStart=-/sbin/agetty --skip-login --login-program /bin/bash --login-options -l --noclear --keep-baud 115200,57600,38400,9600 %I $TERM
	EOF

	rm -f "$img.tmp"
	mkfs.ext4 -q -F -L debroot -d "$stage" -E root_owner=0:0 "$img.tmp" "$SIZE" ||
		die "mkfs.ext4 -d failed"
	mv "$img.tmp" "$img"
	rm -rf "$stage"
	echo "image: $img ($(du -h "$img" | cut -f1) used of $SIZE)"
}

key="$key size=$SIZE"
if ! stamp_ok debroot "$key" || [ ! -f "$img" ]; then
	step debroot build || die "building the Debian root image failed"
	stamp_set debroot "$key"
fi
cp --sparse=always "$img" "$OUT.tmp" || die "cannot write '$OUT'"
mv "$OUT.tmp" "$OUT"
echo "# $OUT: Debian $ARCH, systemd as init ($(echo "$PKGS" | wc -w) packages named)" >&2
