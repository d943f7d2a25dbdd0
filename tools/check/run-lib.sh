# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# run-lib.sh: what the make run checks share (sourced by run-check.sh,
# net-check.sh and gdb-check.sh after tools/lib.sh, with RUN_CHECK_NAME
# set: their log directory, $CACHE/$RUN_CHECK_NAME).  Sets KVER (6.1) and
# TMO (RUN_CHECK_TIMEOUT, each boot's limit, 600 s), the TAP helpers of
# host-tap.sh, a few helpers, and builds the user's image ($img, a root
# image as a user would bring one: tools/guest/mkrootfs.sh, busybox init;
# its /etc/rig-test.sh reports on the console when the kernel command line
# says rig.test=1).

KVER=${KVER:-6.1}
TMO=${RUN_CHECK_TIMEOUT:-600}
OUT=$CACHE/$RUN_CHECK_NAME
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
if step "$RUN_CHECK_NAME-rootfs" "$TOP/tools/guest/mkrootfs.sh" "$img" 64M; then
	ok "the rig builds an ext4 root image (busybox init)"
else
	not_ok "the rig builds an ext4 root image (busybox init)"
	finish
	exit 1
fi
