#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Wrong values written to every writable sysfs file of the scratch disk
# (/sys/block/<disk>/, queue/ and the block driver's own files such as
# cache_type) and to the writable module parameters of the lane's block
# driver and transport (issue #8).  Per file, one TAP case: for each bad
# value the write either fails and the file reads back unchanged, or it is
# accepted and reads back a sane value (a clamped number, not the junk we
# wrote); the diagnostics say which, with the error.  The original value
# is written back after each one.  The project's own files (cache_type,
# vblk's and vmmio's parameters; cache_type in the in-tree lanes too) must
# refuse every one of them.  Afterwards the disk still reads and writes
# and the kernel log has no warning.  Driver-agnostic.
#
# Not written, on purpose:
#   uevent   any write makes the kernel send a uevent (add/remove/change
#            events for the disk): a side effect unrelated to the input
#   trace/*  blktrace: the first write to any of these sets up a trace of
#            the disk, and they take any 64-bit number by design
. /rig/lib.sh

D=${TEST_DISK#/dev/}
SYS=/sys/block/$D

# writable regular files (mode bits: root may write to any file, so a
# write test says nothing), one a line
writable() {
	local m
	[ -d "$SYS" ] && find "$SYS/" -type f -perm -200 2>/dev/null | sort |
		grep -v -e '/uevent$' -e '/trace/'
	for m in $RIG_BLK_MOD $RIG_TRANSPORT_MOD; do
		[ -d "/sys/module/$m/parameters" ] &&
			find "/sys/module/$m/parameters/" -type f -perm -200 2>/dev/null | sort
	done
}
FILES=$(writable)
n=$(echo "$FILES" | grep -c . || true)
tap_plan $((n + 2))
if [ -n "$SCRATCH_REASON" ] || [ ! -b "$TEST_DISK" ]; then
	for f in $FILES disk_still_works no_warning; do
		tap_skip "${f##*/}" "${SCRATCH_REASON:-no scratch disk}"
	done
	exit 0
fi

# the bad values, one a line: empty, junk, negative, 2^64, 2^32 (one past
# a u32), huge, a fraction, trailing junk on a number and on a valid
# string, overlong (within a page, so the parser sees it; and over one)
LONG=$(head -c 4000 /dev/zero | tr '\0' x)
LONGER=$(head -c 5000 /dev/zero | tr '\0' 9)
BAD=$(printf '%s\n' '' garbage -1 18446744073709551616 4294967296 \
	99999999999999999999999999 1.5 2junk 'write backx' "$LONG" "$LONGER")

# a case name from a path: queue/nr_requests, param.vblk.timeout_rounds
name_of() {
	case "$1" in
	/sys/module/*) echo "$1" | sed 's|^/sys/module/\([^/]*\)/parameters/|param.\1.|' ;;
	*) echo "${1#"$SYS"/}" ;;
	esac
}

# files that must refuse every bad value: ours, and cache_type whoever
# serves it (both drivers match it against their list of modes)
strict() {
	case "$1" in
	"$SYS"/cache_type | /sys/module/vblk/* | /sys/module/vmmio/*) return 0 ;;
	esac
	return 1
}

# the value to write back: the scheduler reads "[none] mq-deadline"
restore_value() { # FILE VALUE
	case "$1" in
	*/queue/scheduler) echo "$2" | sed -n 's/.*\[\(.*\)\].*/\1/p' ;;
	*) echo "$2" ;;
	esac
}

# a read-back after an accepted write is sane: short, and not the junk
# itself
sane() { # READBACK
	[ ${#1} -lt 200 ] || return 1
	case "$1" in *garbage* | *xxxx* | *junk* | *backx*) return 1 ;; esac
	return 0
}

# SHORT: a value for the diagnostics, without a subshell (TCG makes
# every fork count: this test writes about 300 values)
shorten() {
	if [ ${#1} -gt 24 ]; then
		SHORT="${1%"${1#????????????}"}...(${#1} chars)"
	else
		SHORT="'$1'"
	fi
}
NL='
'

# each bad value in its own file, /tmp/sb.vN, written by one dd each
# (busybox's printf would split a long one at 4 KiB and says nothing when
# a write fails; dd names the error), and its label in LN
NV=0
while IFS= read -r v; do
	printf '%s\n' "$v" >/tmp/sb.v$NV
	shorten "$v"
	eval "L$NV=\$SHORT"
	NV=$((NV + 1))
done <<EOF
$BAD
EOF

# the first line of a file into NOW, without a fork; 1 if unreadable
read_now() {
	NOW=
	{ IFS= read -r NOW || [ -n "$NOW" ]; } <"$1" 2>/dev/null
}

# centiseconds since boot into CS, without a fork
uptime_cs() {
	local t
	read -r t _ </proc/uptime
	CS=${t%.*}${t#*.}
	CS=${CS#0}
}

# one file: every bad value, then the original back
try_file() {
	local f=$1 orig err rc=0 back t0 i
	uptime_cs
	t0=$CS
	if read_now "$f"; then
		orig=$NOW
	else
		echo "# not readable: only refusals can be checked"
		orig='<unreadable>'
	fi
	back=$(restore_value "$f" "$orig")
	shorten "$orig"
	echo "# original: $SHORT"
	i=0
	while [ $i -lt $NV ]; do
		if err=$(dd if=/tmp/sb.v$i of="$f" bs=16384 2>&1); then
			err=
		else
			case "$err" in
			*"error writing"*)
				err=${err#*error writing*: }
				err=${err%%"$NL"*} ;;
			*) err="failed without a message" ;;
			esac
		fi
		read_now "$f" || NOW='<unreadable>'
		eval "SHORT=\$L$i"
		i=$((i + 1))
		if [ -n "$err" ]; then
			if [ "$NOW" = "$orig" ]; then
				echo "# $SHORT: refused ($err)"
			else
				echo "# $SHORT: refused ($err) but now reads '$NOW'"
				rc=1
			fi
		elif strict "$f"; then
			echo "# $SHORT: ACCEPTED by one of the project's files, reads '$NOW'"
			rc=1
		elif [ "$orig" = '<unreadable>' ] || sane "$NOW"; then
			echo "# $SHORT: accepted, reads '$NOW'"
		else
			echo "# $SHORT: accepted, reads junk: '$NOW'"
			rc=1
		fi
		[ "$orig" = '<unreadable>' ] && continue
		[ "$NOW" = "$orig" ] && continue
		echo "$back" >"$f" 2>/dev/null
		read_now "$f"
		if [ "$NOW" != "$orig" ]; then
			echo "# $SHORT: the original '$orig' did not come back: '$NOW'"
			rc=1
		fi
	done
	uptime_cs
	echo "# $(((CS - t0) / 100)).$(((CS - t0) % 100 / 10)) s"
	return $rc
}

dmesg_mark
for f in $FILES; do
	tap_check_v "$(name_of "$f")" try_file "$f"
done

disk_works() {
	dd if=/dev/urandom of=/tmp/sb.pat bs=64k count=16 2>/dev/null
	timeout 60 dd if=/tmp/sb.pat of="$TEST_DISK" bs=64k seek=32 oflag=direct 2>/dev/null &&
		timeout 60 dd if="$TEST_DISK" bs=64k skip=32 count=16 iflag=direct 2>/dev/null |
		cmp -s - /tmp/sb.pat
}
no_warning() {
	local bad
	bad=$(dmesg_since | grep -E 'WARNING:|BUG:|Oops|Call trace:|KASAN|UBSAN' || true)
	[ -z "$bad" ] || { echo "$bad" | head -n 20; return 1; }
	# what the kernel said about the refusals, a sample
	dmesg_since | grep -v 'rig: mark' | cut -c1-160 | sort | uniq -c | sort -rn | head -n 8
}
tap_check disk_still_works disk_works
tap_check_v no_warning no_warning
tap_exit
