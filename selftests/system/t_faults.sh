#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Tests only the project's debug kernel can run (its fault injection and
# kmemleak; tools/host/debug-kernel.config):
#   fail_make_request  bios to the null2 disk fail before the driver: the
#                      application gets EIO, later I/O works, no hang
#   fail_io_timeout    completions are "lost" by the block layer: the
#                      driver's timeout handler brings each request home
#   load/unload x50    the block driver loaded, used and unloaded 50
#                      times; kmemleak finds nothing afterwards
. /rig/lib.sh
tap_plan 3
B=$RIG_BLK_MOD
FI=/sys/kernel/debug
[ -d $FI/block ] || mount -t debugfs none $FI 2>/dev/null

skip_all() {
	for n in fail_make_request_eio fail_io_timeout_recovered load_unload_50_kmemleak; do
		tap_skip $n "$1"
	done
	exit 0
}
[ -d $FI/fail_make_request ] || skip_all "the kernel has no fault injection (the debug lane has)"
N=$(rig_disk_by_serial null2) || skip_all "${SCRATCH_REASON:-no null2 disk}"
sys() { echo "/sys/block/${1#/dev/}"; }
# fault_attr DIR TIMES: fail every eligible event, TIMES times, quietly
fault_attr() {
	echo 0 >"$1/verbose"
	echo 0 >"$1/interval"
	echo 100 >"$1/probability"
	echo "$2" >"$1/times"
}
read4k() { timeout "$2" dd if="$1" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null; }

make_request() {
	local rc=0 i fails=0
	fault_attr $FI/fail_make_request 2
	echo 1 >"$(sys "$N")/make-it-fail"
	for i in 1 2 3 4; do
		read4k "$N" 20 || fails=$((fails + 1))
	done
	echo 0 >"$(sys "$N")/make-it-fail"
	echo "# $fails of 4 reads failed, 2 were set to fail"
	[ $fails = 2 ] || rc=1
	read4k "$N" 20 || { echo "# a read after the faults failed"; rc=1; }
	return $rc
}

io_timeout() {
	local rc=0 t0 f=$(sys "$N")/io-timeout-fail
	[ -f "$f" ] || { echo "# no $f"; return 1; }
	echo 1000 >"$(sys "$N")/queue/io_timeout"
	[ "$B" = vblk ] && echo 0 >/sys/module/vblk/parameters/timeout_rounds
	fault_attr $FI/fail_io_timeout 2
	echo 1 >"$f"
	t0=$(date +%s)
	timeout 60 dd if="$N" of=/dev/null bs=4k count=8 iflag=direct 2>/tmp/fault-dd.err ||
		{ echo "# $(tail -n 1 /tmp/fault-dd.err)"; rc=1; }
	echo 0 >"$f"
	echo "# 8 reads, 2 completions dropped: done in $(($(date +%s) - t0)) s"
	[ "$B" = vblk ] && sed 's/^/# /' "$FI/vblk/${N#/dev/}/recovery"
	echo 2 >/sys/module/vblk/parameters/timeout_rounds 2>/dev/null
	echo 30000 >"$(sys "$N")/queue/io_timeout"
	return $rc
}

load_unload() {
	local i d leaks
	for i in $(seq 50); do
		rmmod "$B" || { echo "# rmmod failed in cycle $i"; return 1; }
		rig_modprobe "$B" || { echo "# modprobe failed in cycle $i"; return 1; }
		d=$(rig_wait_disk null0 50) || { echo "# no disk in cycle $i"; return 1; }
		dd if=/dev/zero of="$d" bs=64k count=4 oflag=direct 2>/dev/null &&
			read4k "$d" 20 || { echo "# I/O failed in cycle $i"; return 1; }
	done
	rig_wait_disk scratch 50 >/dev/null
	[ -f $FI/kmemleak ] || { echo "# no kmemleak"; return 0; }
	echo scan >$FI/kmemleak
	echo scan >$FI/kmemleak
	leaks=$(grep -c 'unreferenced object' $FI/kmemleak)
	echo "# 50 cycles; kmemleak: $leaks unreferenced objects"
	[ "$leaks" = 0 ] || { head -n 30 $FI/kmemleak | sed 's/^/# /'; return 1; }
}

tap_check_v fail_make_request_eio make_request
if [ "$B" = vblk ]; then
	tap_check_v fail_io_timeout_recovered io_timeout
else
	tap_skip fail_io_timeout_recovered "$B has no timeout handler: a lost completion waits forever"
fi
tap_check_v load_unload_50_kmemleak load_unload
tap_exit
