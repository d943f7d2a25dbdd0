# SPDX-License-Identifier: GPL-2.0
# Common helpers for the rig scripts; sourced, never run.
#
# Every long step goes through step(): one line saying what runs, one line
# with its duration at the end.  With V=1 the step's output goes to the
# terminal, otherwise to a log under $LOGDIR which is printed on failure.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${VMMIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmmio}
LOGDIR=$CACHE/logs
mkdir -p "$CACHE" "$LOGDIR"
: "${V:=0}"

die() { echo "error: $*" >&2; exit 1; }
note() { echo "  $*" >&2; }

# step NAME CMD...: run CMD, timed; keep its log under $LOGDIR/NAME.log
step() {
	local name=$1 t0 rc=0 log
	shift
	log=$LOGDIR/$name.log
	t0=$(date +%s)
	echo "  [$name] start" >&2
	# In the background, so that "set -e" holds inside CMD: bash ignores
	# it in anything run on the left of "||".
	if [ "$V" = 1 ]; then
		"$@" > >(tee "$log" >&2) 2>&1 &
	else
		"$@" >"$log" 2>&1 &
	fi
	wait $! || rc=$?
	if [ $rc -ne 0 ]; then
		echo "  [$name] FAILED after $(($(date +%s) - t0))s (rc=$rc), last lines of $log:" >&2
		tail -n 30 "$log" >&2
		return $rc
	fi
	echo "  [$name] done in $(($(date +%s) - t0))s" >&2
}

# what kbuild reads: the modules' build inputs, copied into a build dir
# (tools/guest/build-guest.sh, tools/lint.sh) so builds never mix
KBUILD_INPUTS="Kbuild drivers compat selftests/kmod"

# stamp_ok NAME KEY: true if the stamp NAME was written with KEY
stamp_ok() { [ -f "$CACHE/stamps/$1" ] && [ "$(cat "$CACHE/stamps/$1")" = "$2" ]; }
stamp_set() { mkdir -p "$CACHE/stamps"; printf '%s' "$2" >"$CACHE/stamps/$1"; }

# hash of files' contents (inputs of a cached step)
hash_files() { cat "$@" | sha256sum | cut -c1-16; }
# rig_rootfs IMG STAMP: the rig's busybox root image (tools/guest/mkrootfs.sh)
# at IMG, built again when its sources changed since STAMP was set (or
# ROOTFS_FRESH=1)
rig_rootfs() {
	local key
	key=$(hash_files "$TOP/tools/guest/mkrootfs.sh" "$TOP"/tools/guest/rootfs/*)
	if [ "${ROOTFS_FRESH:-0}" = 1 ] || ! stamp_ok "$2" "$key" || [ ! -f "$1" ]; then
		step "$2" "$TOP/tools/guest/mkrootfs.sh" "$1"
		stamp_set "$2" "$key"
	fi
}

# guest kernel selection: KVER is 6.1 (bookworm), 6.12 (bookworm-backports)
# or 7.3 (trixie-backports) for arm64, or amd64: Debian's 6.1 for x86_64
# (the microvm lanes)
kver_suite() {
	case "$1" in
	6.1 | amd64) echo bookworm ;;
	6.12) echo bookworm-backports ;;
	7.3) echo trixie-backports ;;
	*) die "unknown KVER '$1' (use 6.1, 6.12, 7.3 or amd64)" ;;
	esac
}
# the Debian release whose archive has KVER's kernel (apt-private.sh's
# APT_RELEASE: the system's own for bookworm's)
kver_release() { local s; s=$(kver_suite "$1"); echo "${s%%-*}"; }
# the Debian architecture of KVER's kernel, and its series
kver_arch() { case "$1" in amd64) echo amd64 ;; *) echo arm64 ;; esac; }
kver_series() { case "$1" in amd64) echo 6.1 ;; *) echo "$1" ;; esac; }
# kbuild's ARCH= and CROSS_COMPILE= for KVER's kernel, as make arguments
kver_make_args() {
	case "$(kver_arch "$1")" in
	amd64) echo "ARCH=x86_64 CROSS_COMPILE=" ;;
	*) echo "ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" ;;
	esac
}
kdir_root() { echo "$CACHE/kernel-$1"; }
# guest_kernel KVER: fetch (6.1, 6.12) or build (debug) it; prints its env.
# The env file holds absolute paths; a cache copied or moved elsewhere
# (VMMIO_CACHE=...) keeps the old ones, so point them at this cache.
guest_kernel() {
	local env
	env=$(kdir_root "$1")/env
	if [ "$1" = debug ]; then
		"$TOP/tools/host/build-debug-kernel.sh" >/dev/null
	else
		"$TOP/tools/host/fetch-kernel.sh" "$1" >/dev/null
	fi
	sed -i "s#^\([A-Z]*=\)/.*/kernel-$1/#\1$CACHE/kernel-$1/#" "$env"
	cat "$env"
}
