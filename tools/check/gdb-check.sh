#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# gdb-check.sh: make run GDB=1 and make gdb as a hypervisor developer uses
# them, in batch mode.
#
# Builds a root image as a user would bring one (tools/check/run-lib.sh),
# then boots it with GDB=1 GDB_PORT=P: QEMU waits halted; make gdb's
# script attaches gdb-multiarch in batch mode, reads the pc, steps to the
# kernel's first instruction and detaches; attaches again once vblk is
# loaded, breaks in vblk_queue_rq (the module's symbols at their load
# address), prints the request's sector and the virtqueue's free count,
# detaches; the guest finishes its work and powers off.
# Prints TAP and "N passed, N failed"; exits non-zero on any failure.
# Logs and images under $CACHE/gdb-check.  Environment: KVER (6.1),
# RUN_CHECK_TIMEOUT (each boot's limit, 600 s), GDB_CHECK_BREAK (the
# function the second attach breaks in, vblk_queue_rq: the can-fail
# demonstration names one the I/O never calls).
. "$(dirname "$0")/../lib.sh"
RUN_CHECK_NAME=gdb-check
. "$TOP/tools/check/run-lib.sh"
BREAK=${GDB_CHECK_BREAK:-vblk_queue_rq}
case "$BREAK" in '' | *[!A-Za-z0-9_]*) die "GDB_CHECK_BREAK='$BREAK': a function name" ;; esac

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
	RUN_LOG=$c GDB_PORT=$port VMLINUX=none timeout $((TMO / 2)) \
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
	gdbrun "$OUT/gdb2.log" -ex "hbreak *$BREAK" -ex continue \
		-ex 'print ((struct blk_mq_queue_data *)$x1)->rq->__sector' \
		-ex "print ((struct vblk *)$hctx->queue->queuedata)->vqs[$hctx->queue_num].vq->num_free" \
		-ex 'delete' -ex detach || rc=$?
	check "GDB=1: make gdb loads vblk.ko's symbols at its load address" \
		has "$OUT/gdb2.log" "add symbol table from file \".*/vblk.ko\""
	check "GDB=1: a breakpoint in $BREAK is hit" \
		has "$OUT/gdb2.log" "^Thread .* hit .*[Bb]reakpoint 1[.0-9]*, .*$BREAK"
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
