#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# trace.sh: "make trace", one request's journey from the guest's system
# call to QEMU's pread and back.
#
# Boots one guest (tools/trace/guest/trace.sh runs in it) with a 64 MiB
# raw *file* as its disk (so QEMU's file-posix driver and its thread pool
# serve it), QEMU's trace events on the path of a virtio-blk request
# written by the log backend with timestamps (-msg timestamp=on: "TID@
# SECONDS.MICROSECONDS:event args", the same on QEMU 7.2 and 10), and the
# guest's tracepoints on (block layer, vblk's, the disk's interrupt).
# The guest does one 4 KiB O_DIRECT read, one write and one flush and
# prints its trace buffer on the console; tools/trace/trace-merge.py puts
# both on one time line, aligned on the events both sides see (the
# guest's kick against QEMU's QueueNotify, the device's interrupt against
# the guest's handler), prints the waterfall and writes
# results/trace-<id>.svg.  The raw logs stay in $CACHE/trace/<id>/.
# Environment:
#   QEMU=10          the device: 10 (bookworm-backports' 10.x,
#                    tools/host/fetch-qemu.sh: QueueNotify goes through an
#                    emulated ioeventfd to the main loop) or 7.2 (the
#                    host's: the vCPU thread runs the device's handler
#                    inside the QueueNotify write)
#   KVER=6.1         guest kernel: 6.1, 6.12 or 7.3 (make's default)
#   LAYOUT=modern    virtio-mmio registers: legacy or modern
#   DRIVERS=ours     ours (vmmio + vblk: vblk's tracepoints in the path)
#                    or intree (virtio_mmio + virtio_blk, which has none)
#   TRACE_ID=        the run's id (default: the UTC time and the QEMU);
#                    letters, digits, '.', '_' and '-'
#   V=1              show the guest console
. "$(dirname "$0")/../lib.sh"

QEMU=${QEMU:-10}
KVER=${KVER:-6.1}
LAYOUT=${LAYOUT:-modern}
DRIVERS=${DRIVERS:-ours}
TRACE_ID=${TRACE_ID:-}

# every knob checked before anything is fetched or booted
case "$QEMU" in 10|7.2) ;; *) die "QEMU must be 10 or 7.2 (got '$QEMU')" ;; esac
case "$KVER" in 6.1|6.12|7.3) ;; *) die "KVER must be 6.1, 6.12 or 7.3 (got '$KVER')" ;; esac
case "$LAYOUT" in legacy|modern) ;; *) die "LAYOUT must be legacy or modern (got '$LAYOUT')" ;; esac
case "$DRIVERS" in ours|intree) ;; *) die "DRIVERS must be ours or intree (got '$DRIVERS')" ;; esac
case "$TRACE_ID" in
*[!A-Za-z0-9._-]*) die "TRACE_ID may hold only letters, digits, '.', '_' and '-' (got '$TRACE_ID')" ;;
esac
[ -n "$TRACE_ID" ] || TRACE_ID=$(date -u +%Y%m%d-%H%M%S)-q$QEMU

dir=$CACHE/trace/$TRACE_ID
rm -rf "$dir"
mkdir -p "$dir" "$TOP/results"

genv=$("$TOP/tools/guest/build-guest.sh" "$KVER") || die "building the $KVER guest failed"
eval "$genv"
qemu_opts=()
qemu_bin=qemu-system-aarch64
qemu_env=()
if [ "$QEMU" = 10 ]; then
	qenv=$("$TOP/tools/host/fetch-qemu.sh" 10) || die "fetching QEMU 10 failed"
	eval "$qenv"
	qemu_opts=(--qemu "$QEMU_BIN" --qemu-data "$QEMU_DATA" --qemu-libs "$QEMU_LIBS")
	qemu_bin=$QEMU_BIN
	qemu_env=(LD_LIBRARY_PATH="$QEMU_LIBS")
	qhelp=(-L "$QEMU_DATA")
else
	qhelp=()
fi
qemu_version=$(env "${qemu_env[@]}" "$qemu_bin" "${qhelp[@]}" --version | head -n1)

# QEMU's events on the path, as this version names them: 7.2's thread
# pool events are thread_pool_submit/complete, 10's carry an _aio suffix.
# (file_paio_submit is file-win32's: file-posix submits to the thread
# pool untraced, thread_pool_submit marks it; virtio_blk_submit_multireq
# fires only where requests were merged, not for a lone one.)
# An event the binary does not know is an error here, not a silent gap.
events=(virtio_mmio_read virtio_mmio_write_offset virtio_queue_notify
	virtqueue_pop virtio_blk_handle_read virtio_blk_handle_write
	virtio_blk_submit_multireq blk_co_preadv blk_co_pwritev
	virtio_blk_rw_complete virtio_blk_req_complete
	virtqueue_flush virtio_notify virtio_mmio_setting_irq)
if [ "$QEMU" = 10 ]; then
	events+=(thread_pool_submit_aio thread_pool_complete_aio)
else
	events+=(thread_pool_submit thread_pool_complete)
fi
known=$(env "${qemu_env[@]}" "$qemu_bin" "${qhelp[@]}" -trace help 2>/dev/null) ||
	die "$qemu_bin -trace help failed"
for e in "${events[@]}"; do
	grep -qx "$e" <<<"$known" || die "$qemu_version has no trace event '$e'"
done
printf '%s\n' "${events[@]}" >"$dir/qemu-events"

img=$dir/disk.img
truncate -s 64M "$img"
echo "# trace $TRACE_ID: QEMU=$QEMU KVER=$KVER LAYOUT=$LAYOUT DRIVERS=$DRIVERS ($qemu_version)" >&2
rc=0
"$TOP/tools/guest/qemu-run.sh" "${qemu_opts[@]}" --kernel "$KIMAGE" --initrd "$INITRD" \
	"--$LAYOUT" --smp 2 --mem 1024 --timeout 300 --log "$dir/console.log" \
	--append "rig.mode=trace rig.drivers=$DRIVERS loglevel=1" \
	--disk "file=$img,format=raw,cache=writeback,aio=threads|serial=trace" \
	-- -msg timestamp=on -trace "events=$dir/qemu-events" -D "$dir/qemu.trace" || rc=$?
rm -f "$img"
[ $rc = 0 ] || die "QEMU exited with $rc (console: $dir/console.log)"
if grep -q '^# trace: error' "$dir/console.log"; then
	die "the guest: $(sed -n 's/^# trace: error: //p' "$dir/console.log" | head -n1) (console: $dir/console.log)"
fi
grep -q '^# trace: guest end' "$dir/console.log" ||
	die "the guest printed no trace (console: $dir/console.log)"

python3 "$TOP/tools/trace/trace-merge.py" --console "$dir/console.log" \
	--qemu "$dir/qemu.trace" --svg "$TOP/results/trace-$TRACE_ID.svg" \
	--title "make trace $TRACE_ID: QEMU=$QEMU KVER=$KVER LAYOUT=$LAYOUT DRIVERS=$DRIVERS, $qemu_version, guest $KREL" \
	--text "$dir/waterfall.txt"
echo "# raw logs: $dir (console.log, qemu.trace, qemu-events)" >&2
echo "# svg: results/trace-$TRACE_ID.svg" >&2
