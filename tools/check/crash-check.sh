#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# crash-check.sh DIR DRIVERS [LAYOUT]: the crash-consistency lane.
#
# Boots the guest (KIMAGE, INITRD from tools/guest/build-guest.sh; built here
# for CRASH_KVER, 6.12, when unset) with the DRIVERS set (ours, intree, ...)
# on the LAYOUT (modern or legacy; modern unless told) and four disks, each
# on QEMU's blklogwrites driver,
# which logs every write and flush the guest sends in dm-log-writes format:
#
#   serial crash-ext4-wb   ext4, records appended to a file, "write back"
#   serial crash-ext4-wt   the same with the write cache off ("write through")
#   serial crash-raw-wb    records at fixed offsets of the raw device
#   serial crash-raw-wt
#
# The guest (selftests/system/t_crash.sh, selftests/system/crash_wl.c) syncs
# each record and prints its id once the sync returned; with vblk it forces
# a device reset every CRASH_RESET_EVERY records.  Then, on the host,
# tools/check/crash-verify.py replays each log to its flush marks (all of them;
# for ext4 from the first record write on, each costing a journal replay,
# e2fsck -fn and debugfs, about 0.1 s; CRASH_MARKS=K samples K evenly
# spaced ext4 marks instead) and checks that every record that had to be
# durable at the mark is there, intact (the rule and why it is sound:
# crash-verify.py's header).  Negative controls replay with a needed write
# dropped and must see the loss.
#
# Prints "pass|fail|skip<TAB>name<TAB>detail" lines on stdout, as check.sh
# collects them: the guest's TAP (t_crash.*, unload.*, dmesg.*) and the
# host's crash.{ext4,raw}.{wb,wt}.* and crash.summary.
# Environment: CRASH_RECORDS (100 per disk), CRASH_MARKS (0: every
# mark), CRASH_KVER (6.12), CRASH_RESET_EVERY (25; 0: no forced resets),
# CRASH_TIMEOUT (600 s for the guest), V=1.
. "$(dirname "$0")/../lib.sh"

DIR=${1:?usage: crash-check.sh DIR DRIVERS}
DRV=${2:-ours}
LAYOUT=${3:-modern}
CRASH_KVER=${CRASH_KVER:-6.12}
CRASH_RECORDS=${CRASH_RECORDS:-100}
CRASH_MARKS=${CRASH_MARKS:-0}
CRASH_RESET_EVERY=${CRASH_RESET_EVERY:-25}
CRASH_TIMEOUT=${CRASH_TIMEOUT:-600}
if [ -z "${KIMAGE:-}" ] || [ -z "${INITRD:-}" ]; then
	genv=$("$TOP/tools/guest/build-guest.sh" "$CRASH_KVER") || die "building the $CRASH_KVER guest failed"
	eval "$genv"
fi
CASES="ext4-wb ext4-wt raw-wb raw-wt"

rm -rf "$DIR" && mkdir -p "$DIR"
disks=()
for c in $CASES; do
	# ext4 needs room for its journal (4 MiB at this size); the raw
	# records take CRASH_RECORDS * 4 KiB after a header block
	case "$c" in
	ext4-*) size=32M ;;
	raw-*) size=$(((CRASH_RECORDS + 1) * 4096 + (1 << 20))) ;;
	esac
	truncate -s "$size" "$DIR/$c.img"
	# an empty log: a new log is written over what the file holds
	: >"$DIR/$c.log"
	disks+=(--disk "driver=blklogwrites,file.driver=file,file.filename=$DIR/$c.img,log.driver=file,log.filename=$DIR/$c.log,log-sector-size=512|serial=crash-$c")
done
# a scratch disk spares the runner its wait for one
disks+=(--disk "driver=null-co,size=64M|serial=scratch")

# the corrupt_hdr knob that forces resets is in our fault build only
fault=1
[ "$DRV" = intree ] && fault=0
t0=$(date +%s)
rc=0
"$TOP/tools/guest/qemu-run.sh" --kernel "$KIMAGE" --initrd "$INITRD" "--$LAYOUT" \
	--timeout "$CRASH_TIMEOUT" --log "$DIR/console.log" \
	--append "rig.mode=check rig.drivers=$DRV rig.fault=$fault rig.layout=$LAYOUT rig.only=${CRASH_ONLY:-t_crash,unload,dmesg} rig.crash_records=$CRASH_RECORDS rig.env=CRASH_RESET_EVERY=$CRASH_RESET_EVERY loglevel=1" \
	"${disks[@]}" || rc=$?
guest=$(($(date +%s) - t0))
echo "  [crash $LAYOUT $DRV] guest done in ${guest}s (qemu rc=$rc)" >&2
echo "$guest" >"$DIR/guest-seconds"

awk -f "$TOP/tools/check/tap-collect.awk" "$DIR/console.log"
[ $rc = 0 ] || printf 'fail\tqemu.exit\tQEMU exited with %s\n' "$rc"

# the host half
args=()
for c in $CASES; do
	args+=(--case "$c:$DIR/$c.img:$DIR/$c.log")
done
t1=$(date +%s)
"$TOP/tools/check/crash-verify.py" --console "$DIR/console.log" --work "$DIR/work" \
	--marks "$CRASH_MARKS" --records "$CRASH_RECORDS" "${args[@]}" ||
	printf 'fail\tcrash.verify\tcrash-verify.py exited with an error\n'
echo "  [crash $LAYOUT $DRV] host checks done in $(($(date +%s) - t1))s" >&2
