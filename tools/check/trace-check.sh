#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# trace-check.sh: "make trace" as its users run it (lane host-trace-check).
#   - a bad value of each knob (QEMU, KVER, LAYOUT, DRIVERS, TRACE_ID): one
#     clear error, before anything is built or booted;
#   - make trace on QEMU 7.2 and on QEMU 10: it succeeds, its waterfall
#     holds, for the read, the write and the flush, the hops of the path
#     in their order (guest system call, block layer, vblk, the QueueNotify,
#     QEMU's virtio-blk, block backend, file-posix and thread pool, the
#     interrupt, the guest's completion; each version's event names), and
#     results/trace-<id>.svg exists and parses as XML with a bar per hop.
# Prints TAP and "N passed, N failed"; exits non-zero on any failure.
# Environment: KVER (the guest kernel, 6.12), TRACE_CHECK_QEMU (the QEMU
# versions to trace on: "10", "7.2 10" under CHECK_LONG=1).
. "$(dirname "$0")/../lib.sh"

KVER=${KVER:-6.12}
# make check: QEMU 10 (the asynchronous device); make check-long: both
if [ "${CHECK_LONG:-0}" = 1 ]; then
	TRACE_CHECK_QEMU=${TRACE_CHECK_QEMU:-7.2 10}
else
	TRACE_CHECK_QEMU=${TRACE_CHECK_QEMU:-10}
fi
for q in $TRACE_CHECK_QEMU; do
	case "$q" in 7.2|10) ;; *) die "TRACE_CHECK_QEMU: '$q' is not 7.2 or 10" ;; esac
done
OUT=$CACHE/trace-check
rm -rf "$OUT"
mkdir -p "$OUT"

. "$TOP/tools/check/host-tap.sh"

# bad KNOB=VALUE, and what the error must say
bad() {
	local name=$1 want=$2 log=$OUT/bad-${1%%=*}.log rc=0
	env "$name" timeout 60 make -s -C "$TOP" trace >"$log" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		not_ok "make trace $name is refused" "it succeeded"
	elif ! grep -q "^error: .*$want" "$log"; then
		not_ok "make trace $name is refused" "no 'error: ...$want' line:" "$(tail -n 3 "$log")"
	elif grep -qE '^\s*\[[a-z0-9.-]+\] start|qemu-system' "$log"; then
		not_ok "make trace $name is refused" "refused only after building or booting" "$(head -n 3 "$log")"
	else
		ok "make trace $name is refused: $(grep -m1 '^error:' "$log")"
	fi
}
bad QEMU=9 'QEMU must be 10 or 7.2'
bad KVER=5.10 'KVER must be 6.1, 6.12 or 7.3'
bad LAYOUT=pci 'LAYOUT must be legacy or modern'
bad DRIVERS=mine 'DRIVERS must be ours or intree'
bad TRACE_ID=../x 'TRACE_ID may hold only'

# hops OP QEMU: the hops the waterfall must show for OP, in this order
# (other hops may come between them)
hops() {
	local op=$1 q=$2 notify submit complete sys
	if [ "$q" = 10 ]; then
		# the emulated ioeventfd takes the write past virtio_mmio_write
		notify=virtio_queue_notify
		submit=thread_pool_submit_aio complete=thread_pool_complete_aio
	else
		notify='virtio_mmio_write_offset QueueNotify'
		submit=thread_pool_submit complete=thread_pool_complete
	fi
	case "$op" in read) sys=pread64 ;; write) sys=pwrite64 ;; flush) sys=fsync ;; esac
	printf '%s\n' "trace_io $op enter" "sys_enter_$sys" block_bio_queue block_rq_issue \
		vblk_queue_rq vblk_kick "$notify" virtqueue_pop
	# (a lone request fires no virtio_blk_submit_multireq: that is
	# for merged ones)
	case "$op" in
	read) printf '%s\n' virtio_blk_handle_read blk_co_preadv ;;
	write) printf '%s\n' virtio_blk_handle_write blk_co_pwritev ;;
	esac
	printf '%s\n' "$submit" "$complete"
	[ "$op" = flush ] || echo virtio_blk_rw_complete
	# the completion may end after irq_handler_exit (a flush issued on
	# the other CPU completes through the block softirq): not checked
	printf '%s\n' virtio_blk_req_complete virtio_notify 'virtio_mmio_setting_irq level 1' \
		irq_handler_entry 'virtio_mmio_read InterruptStatus' vblk_vq_done vblk_complete \
		block_rq_complete "sys_exit_$sys" "trace_io $op exit"
}

for q in $TRACE_CHECK_QEMU; do
	id=check-q$q log=$OUT/trace-q$q.log rc=0
	t0=$(date +%s)
	QEMU=$q KVER=$KVER TRACE_ID=$id make -s -C "$TOP" trace >"$log" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		not_ok "QEMU $q: make trace succeeds" "exit $rc:" "$(grep -m3 'error' "$log")"
		continue
	fi
	ok "QEMU $q: make trace succeeds ($(($(date +%s) - t0))s)"
	for op in read write flush; do
		hops "$op" "$q" >"$OUT/want-$q-$op"
		# the waterfall's hop names of OP's section, in order
		awk -v op="$op" '/^== / { in_op = ($2 == op ":") ; next }
			in_op && /^ +[0-9.-]+ +[0-9.]+ +(guest|qemu) / {
				sub(/^ +[0-9.-]+ +[0-9.]+ +(guest|qemu) +[a-z0-9]+ +/, ""); sub(/   -- .*/, ""); print }' \
			"$log" >"$OUT/got-$q-$op"
		miss=$(python3 - "$OUT/want-$q-$op" "$OUT/got-$q-$op" <<'PY'
import sys
want = [l.rstrip('\n') for l in open(sys.argv[1]) if l.strip()]
got = [l.rstrip('\n') for l in open(sys.argv[2]) if l.strip()]
i = 0
# a hop matches its name, or its name and more words (block_rq_issue FF)
for w in want:
    while i < len(got) and got[i] != w and not got[i].startswith(w + ' '):
        i += 1
    if i == len(got):
        print("'%s' (after '%s')" % (w, want[want.index(w) - 1] if want.index(w) else ''))
        break
    i += 1
PY
)
		if [ -z "$miss" ] && [ -s "$OUT/got-$q-$op" ]; then
			ok "QEMU $q: the $op's waterfall has its $(wc -l <"$OUT/want-$q-$op") hops in order"
		else
			not_ok "QEMU $q: the $op's waterfall has its hops in order" \
				"missing or out of order: ${miss:-no $op section}" "waterfall: $log"
		fi
	done
	svg=$TOP/results/trace-$id.svg
	# (bars, not n: host-tap.sh counts the cases in n)
	if bars=$(python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(len(r.findall(".//{http://www.w3.org/2000/svg}rect")))' "$svg" 2>&1) && [ "$bars" -gt 20 ]; then
		ok "QEMU $q: $(basename "$svg") parses, $bars bars"
	else
		not_ok "QEMU $q: results/trace-$id.svg parses" "$bars"
	fi
	rm -f "$svg"
done
finish
