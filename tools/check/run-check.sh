#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run-check.sh: "make run" as a hypervisor developer uses it, non-interactively.
#
# Builds a root image as a user would bring one (tools/guest/mkrootfs.sh,
# busybox init; its /etc/rig-test.sh reports on the console when the
# kernel command line says rig.test=1), then:
#   - bad values of every knob of make run and make gdb: a clear error,
#     before anything boots;
#   - ROOTFS=IMG with SMP=3 MEM=768 EL2=1 CONSOLE=virtconsole: the image's
#     init runs on /dev/vda served by vblk, with that board; the guest
#     writes a file, and the image's checksum is the same after (snapshot);
#   - NET=user SSH_PORT=P ROOTFS_RW=1: the forward is bound to 127.0.0.1,
#     a line goes from the host through it to a busybox nc listening on the
#     guest's port 22 and one comes back; the guest's file is in the image
#     after (written through);
#   - GDB=1 GDB_PORT=P: QEMU waits halted; make gdb's script attaches
#     gdb-multiarch in batch mode, reads the pc, steps to the kernel's first
#     instruction and detaches; attaches again once vblk is loaded, breaks
#     in vblk_queue_rq (the module's symbols at their load address), prints
#     the request's sector and the virtqueue's free count, detaches; the
#     guest finishes its work and powers off.
# Prints TAP and "N passed, N failed"; exits non-zero on any failure.
# Logs and images under $CACHE/run-check.  Environment: KVER (6.1),
# RUN_CHECK_TIMEOUT (each boot's limit, 600 s).
. "$(dirname "$0")/../lib.sh"

KVER=${KVER:-6.1}
TMO=${RUN_CHECK_TIMEOUT:-600}
OUT=$CACHE/run-check
rm -rf "$OUT"
mkdir -p "$OUT"
export KVER

. "$TOP/tools/check/host-tap.sh"
# a TCP port nobody listens on now (bound, then released)
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listening() { ss -ltnH "sport = :$1" | grep -q .; }
# wait_for LOG PATTERN SECS PID: true once PATTERN is in LOG; false if PID ends first
wait_for() {
	local i=0
	while [ $i -lt $(($3 * 2)) ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || { grep -q -- "$2" "$1" 2>/dev/null; return; }
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}
# debugfs_cat IMG PATH: the file's contents in the image, without mounting it
debugfs_cat() { debugfs -R "cat $2" "$1" 2>/dev/null; }
# run_make LOG VAR=VALUE...: make run with these knobs, no terminal
run_make() {
	local log=$1
	shift
	make -s --no-print-directory -C "$TOP" run TIMEOUT="$TMO" RUN_LOG="$log.console" \
		"$@" </dev/null >"$log" 2>&1
}
trap 'jobs -p | xargs -r kill 2>/dev/null || true' EXIT

# --- the user's image ----------------------------------------------------
img=$OUT/rootfs.img
if step run-check-rootfs "$TOP/tools/guest/mkrootfs.sh" "$img" 64M; then
	ok "the rig builds an ext4 root image (busybox init)"
else
	not_ok "the rig builds an ext4 root image (busybox init)"
	finish
	exit 1
fi

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

# --- NET=user: bytes both ways through the forward -----------------------
rw=$OUT/rootfs-rw.img
cp "$img" "$rw"
port=$(free_port)
log=$OUT/net.log
c=$log.console
: >"$c"
t0=$(date +%s)
run_make "$log" ROOTFS="$rw" ROOTFS_RW=1 NET=user SSH_PORT="$port" \
	APPEND="rig.test=1 rig.test.net=1 rig.test.token=rw$$" &
pid=$!
if wait_for "$c" '^rig: test net listening' "$TMO" $pid; then
	bound=$(ss -ltnH "sport = :$port" | awk '{ print $4 }' | sort -u | tr '\n' ' ')
	check "NET=user: the forward listens on 127.0.0.1:$port only ($bound)" \
		test "$bound" = "127.0.0.1:$port "
	# Until the guest's nc listens, QEMU accepts and drops the connection:
	# try again until a line comes back.
	reply=$(PORT=$port MSG="ping from the host $$" python3 - <<'EOF'
import os, socket, sys, time
port, msg = int(os.environ["PORT"]), os.environ["MSG"].encode() + b"\n"
deadline = time.time() + 60
while time.time() < deadline:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(msg)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.close()
        if data:
            sys.stdout.write(data.decode(errors="replace"))
            sys.exit(0)
    except OSError:
        pass
    time.sleep(1)
sys.exit(1)
EOF
	) || true
	check "NET=user: the guest's listener answered through the forward ('$reply')" \
		test "$reply" = "pong from vmmio-guest"
else
	not_ok "NET=user: the guest's listener came up" "log $log; $(tail -n 5 "$c")"
fi
rc=0
wait $pid || rc=$?
echo "# NET=user boot: rc=$rc in $(($(date +%s) - t0))s, console $c"
check "NET=user: the host's line reached the guest" has "$c" "^rig: test net got ping from the host $$"
check "NET=user: the guest powered off (rc=$rc)" test $rc = 0
check "ROOTFS_RW=1: the guest's file is in the image" \
	test "$(debugfs_cat "$rw" /root/rig-test.txt)" = "rw$$"

# --- GDB=1: gdb-multiarch attaches, the guest resumes --------------------
port=$(free_port)
log=$OUT/gdb.log
c=$log.console
: >"$c"
t0=$(date +%s)
run_make "$log" ROOTFS="$img" GDB=1 GDB_PORT="$port" \
	APPEND="rig.test=1 rig.test.io=1" &
pid=$!
i=0
while ! listening "$port" && kill -0 $pid 2>/dev/null && [ $i -lt "$TMO" ]; do
	sleep 1
	i=$((i + 1))
done
check "GDB=1: the gdbstub listens on 127.0.0.1:$port" \
	test "$(ss -ltnH "sport = :$port" | awk '{ print $4 }' | sort -u)" = "127.0.0.1:$port"
check "GDB=1: make run prints the command that attaches" has "$log" "make gdb GDB_PORT=$port"
check "GDB=1: the guest is halted (nothing on its console)" test ! -s "$c"
gdbrun() { # LOG GDB-ARGS...: make gdb's script, in batch mode, modules' symbols only
	local glog=$1
	shift
	RUN_LOG=$c GDB_PORT=$port VMLINUX=none timeout 300 \
		"$TOP/tools/guest/gdb.sh" -batch "$@" >"$glog" 2>&1
}
# The kernel's first instruction: QEMU loads the Image at RAM + 2 MB
rc=0
gdbrun "$OUT/gdb1.log" -ex 'info registers pc' -ex 'hbreak *0x40200000' \
	-ex continue -ex 'info registers pc' -ex 'delete' -ex detach || rc=$?
pcs=$(awk '$1 == "pc" { print $2 }' "$OUT/gdb1.log" | tr '\n' ' ')
check "GDB=1: gdb-multiarch attaches in batch mode and reads the pc ($pcs)" \
	test $rc = 0 -a -n "$pcs"
check "GDB=1: a hardware breakpoint stops at the kernel's entry, 0x40200000" \
	test "${pcs#* }" = "0x40200000 "
if wait_for "$c" '^rig: gdb: vblk ' "$TMO" $pid; then
	rc=0
	# At the entry, before the prologue, the arguments are in x0 (hctx)
	# and x1 (bd): the types come from vblk.ko's DWARF.
	hctx='((struct blk_mq_hw_ctx *)$x0)'
	gdbrun "$OUT/gdb2.log" -ex 'hbreak *vblk_queue_rq' -ex continue \
		-ex 'print ((struct blk_mq_queue_data *)$x1)->rq->__sector' \
		-ex "print ((struct vblk *)$hctx->queue->queuedata)->vqs[$hctx->queue_num].vq->num_free" \
		-ex 'delete' -ex detach || rc=$?
	check "GDB=1: make gdb loads vblk.ko's symbols at its load address" \
		has "$OUT/gdb2.log" "add symbol table from file \".*/vblk.ko\""
	check "GDB=1: a breakpoint in vblk_queue_rq is hit" \
		has "$OUT/gdb2.log" '^Thread .* hit .*[Bb]reakpoint 1[.0-9]*, .*vblk_queue_rq'
	sector=$(sed -n 's/^\$1 = \([0-9]*\)$/\1/p' "$OUT/gdb2.log")
	free=$(sed -n 's/^\$2 = \([0-9]*\)$/\1/p' "$OUT/gdb2.log")
	check "GDB=1: the request's sector ($sector) and the virtqueue's free count ($free)" \
		test -n "$sector" -a -n "$free"
else
	not_ok "GDB=1: the guest loaded vblk after the detach" "$(tail -n 5 "$c")"
fi
rc=0
wait $pid || rc=$?
echo "# GDB=1 boot: rc=$rc in $(($(date +%s) - t0))s, console $c"
check "GDB=1: after the detach the guest finishes and powers off (rc=$rc)" \
	test $rc = 0 -a "$(grep -c '^rig: test done' "$c")" = 1
finish
