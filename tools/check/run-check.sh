#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run-check.sh: "make run" as a hypervisor developer uses it, non-interactively.
#
# Builds a root image as a user would bring one (tools/check/run-lib.sh),
# then:
#   - bad values of every knob of make run and make gdb: a clear error,
#     before anything boots;
#   - ROOTFS=IMG with SMP=3 MEM=768 EL2=1 CONSOLE=virtconsole: the image's
#     init runs on /dev/vda served by vblk, with that board; the guest
#     writes a file, and the image's checksum is the same after (snapshot).
# The network and the debugger have checks of their own (net-check.sh,
# gdb-check.sh), each a lane of make check.
# Prints TAP and "N passed, N failed"; exits non-zero on any failure.
# Logs and images under $CACHE/run-check.  Environment: KVER (6.1),
# RUN_CHECK_TIMEOUT (each boot's limit, 600 s).
. "$(dirname "$0")/../lib.sh"
RUN_CHECK_NAME=run-check
. "$TOP/tools/check/run-lib.sh"

# --- bad values: one clear error each, nothing booted --------------------
head -c 1M /dev/zero >"$OUT/zero.img"
mkfs.vfat -C "$OUT/vfat.img" 1024 >/dev/null 2>&1 || cp "$OUT/zero.img" "$OUT/vfat.img"
printf '/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>; };\n' |
	dtc -q -I dts -O dtb -o "$OUT/novirtio.dtb" -
echo "not a device tree" >"$OUT/garbage.dtb"
# bad WHAT EXPECT VAR=VALUE...: run.sh fails at once, saying EXPECT
bad() {
	local what=$1 expect=$2 log=$OUT/bad.log t0 rc=0
	shift 2
	t0=$(date +%s)
	env "$@" "$TOP/tools/guest/run.sh" </dev/null >"$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && grep -q "^error: .*$expect" "$log" &&
		! grep -q '\[modules-' "$log"; then
		ok "bad $what: '$(grep -m1 '^error:' "$log")'"
	else
		not_ok "bad $what: a clear error before the build (rc=$rc)" "$(tail -n 3 "$log")"
	fi
}
bad "ROOTFS (missing)" "no such file" ROOTFS="$OUT/missing.img"
bad "ROOTFS (no file system)" "not an ext4" ROOTFS="$OUT/zero.img"
if blkid -p -s TYPE -o value "$OUT/vfat.img" >/dev/null 2>&1; then
	bad "ROOTFS (vfat)" "not ext4" ROOTFS="$OUT/vfat.img"
fi
bad "SMP (0)" "SMP='0'" ROOTFS="$img" SMP=0
bad "SMP (not a number)" "SMP='two'" ROOTFS="$img" SMP=two
bad "SMP (too many)" "SMP='500'" ROOTFS="$img" SMP=500
bad "MEM" "MEM='lots'" ROOTFS="$img" MEM=lots
bad "DTB (missing)" "DTB=.*no such file" DTB="$OUT/missing.dtb"
bad "DTB (not a dtb)" "not a flattened device tree" DTB="$OUT/garbage.dtb"
bad "DTB (no virtio,mmio node)" "no virtio,mmio node" DTB="$OUT/novirtio.dtb"
bad "EL2" "EL2='yes'" EL2=yes
bad "CONSOLE" "CONSOLE='hdmi'" CONSOLE=hdmi
bad "NET" "NET='tap'" NET=tap
bad "SSH_PORT" "SSH_PORT='70000'" NET=user SSH_PORT=70000
bad "GDB_PORT" "GDB_PORT='gdb'" GDB=1 GDB_PORT=gdb
bad "ROOTFS_RW" "ROOTFS_RW='yes'" ROOTFS="$img" ROOTFS_RW=yes
rc=0
GDB_PORT=x "$TOP/tools/guest/gdb.sh" >"$OUT/bad.log" 2>&1 || rc=$?
if [ $rc -ne 0 ] && grep -q "^error: GDB_PORT='x'" "$OUT/bad.log"; then
	ok "bad GDB_PORT to make gdb: '$(grep -m1 '^error:' "$OUT/bad.log")'"
else
	not_ok "bad GDB_PORT to make gdb: a clear error" "$(tail -n 3 "$OUT/bad.log")"
fi

# --- ROOTFS= with the board knobs, the image untouched -------------------
sum0=$(sha256sum <"$img")
log=$OUT/rootfs.log
t0=$(date +%s)
rc=0
run_make "$log" ROOTFS="$img" SMP=3 MEM=768 EL2=1 CONSOLE=virtconsole \
	APPEND="rig.test=1 rig.test.token=snap$$" || rc=$?
c=$log.console
echo "# ROOTFS= boot: rc=$rc in $(($(date +%s) - t0))s, console $c"
if [ $rc = 0 ] && has "$c" '^rig: test done' && has "$c" '^rig: root /dev/vda by vblk' &&
	has "$c" '^rig: test root /dev/vda ext4' && ! has "$c" 'falling back'; then
	ok "ROOTFS=: the image's init runs, root /dev/vda by vblk over vmmio"
else
	not_ok "ROOTFS=: the image's init runs, root /dev/vda by vblk over vmmio" \
		"rc=$rc; log $log; $(grep '^rig:' "$c" | tr '\n' ';')"
fi
check "SMP=3: the guest has 3 CPUs" has "$c" '^rig: test cpus 3[^0-9]*$'
memkb=$(sed -n 's/^rig: test memtotal_kb \([0-9]*\).*/\1/p' "$c")
check "MEM=768: the guest has 768 MB less the kernel's (${memkb:-?} kB)" \
	test "${memkb:-0}" -gt 600000 -a "${memkb:-0}" -le 786432
check "EL2=1: the kernel starts at EL2" has "$c" '^rig: test el EL2'
check "CONSOLE=virtconsole: the guest has /dev/hvc0" has "$c" '^rig: test hvc0 present'
check "ROOTFS=: the guest wrote its file (to the overlay)" has "$c" '^rig: test wrote token'
sum1=$(sha256sum <"$img")
check "ROOTFS=: the image is unchanged (sha256 before = after)" test "$sum0" = "$sum1"
check "ROOTFS=: the guest's file is not in the image" \
	test -z "$(debugfs_cat "$img" /root/rig-test.txt)"
finish
