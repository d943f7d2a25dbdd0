#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-counts.py --dir DIR --out PREFIX [...]: the counting half of
"make bench" (tools/bench/bench.sh COUNT=1).

DIR holds, per driver set, the console log SET.log of one counting boot
(tools/bench/guest/bench.sh with rig.bench_count=N: every fio job does a
fixed number of I/Os) and QEMU's trace SET.trace (log backend,
"-d trace:virtio_mmio_*,trace:virtio_queue_notify,trace:pl011_write
-D SET.trace").

The trace has no device or guest clock in it, so the fio job's window is
found through the console: the guest prints "# count: begin JOB" before
fio and "# count: end JOB" after it, and QEMU traces each PL011 data
register write in the same sequence as the virtio-mmio accesses (one TCG
thread under -icount).  Rebuilding the console text from those writes puts
each marker at its place among the register accesses.  Only the bench disk
is a virtio device in these boots, so every access in a window is the
disk's.

Counted per window: MMIO reads and writes by register (InterruptStatus,
QueueNotify, InterruptACK, the rest), and the device's interrupt line going
up (QEMU's virtio_mmio_setting_irq 0 -> 1).  Divided by the I/Os fio
completed (its JSON: reads + writes + syncs); the guest's interrupts are
its /proc/interrupts delta for the disk's line (bench.sh's "irqs"), and
its CPU time per I/O its busy jiffies (under -icount: guest instructions).
Writes PREFIX.md (also printed).

QueueNotify is the one write that can miss virtio_mmio_write.  QEMU 7.2
(TCG) runs it through virtio_mmio_write, which calls virtio_queue_notify():
"virtio_mmio_write offset 0x50" then, in the same vCPU thread before any
other register access, "virtio_queue_notify".  QEMU 10 emulates ioeventfd
under TCG: memory_region_dispatch_write() matches the write against the
queue's ioeventfd and only signals the EventNotifier (no trace event on
that path), and the main loop's virtio_queue_host_notifier_read() later
runs virtio_queue_notify_vq(), which traces "virtio_queue_notify".  So a
virtio_queue_notify that follows a traced QueueNotify write is that
write's own; any other is an ioeventfd notify and counts as a QueueNotify
write.  The ioeventfd is an eventfd: writes the device has not read yet
fold into one read and one trace, so on QEMU 10 the count is the device's
wake-ups, at most the guest's writes (vmmio's own count, its debugfs
"notifications" in the console record, is set against it where present).
The wake-up is traced by the main loop thread, not in the vCPU's
sequence, but after the guest's write and before the requests it kicked
complete, so inside the job's window.
"""

import argparse
import glob
import os
import re
import sys

from benchlib import JOB_ORDER, bench_records

SET_ORDER = ["intree", "vmmio", "vblk", "ours"]

# virtio-mmio register offsets (include/uapi/linux/virtio_mmio.h)
QUEUE_NOTIFY = 0x50
INTERRUPT_STATUS = 0x60
INTERRUPT_ACK = 0x64

RE_READ = re.compile(r"virtio_mmio_read offset 0x([0-9a-f]+)")
RE_WRITE = re.compile(r"virtio_mmio_write offset 0x([0-9a-f]+)")
RE_IRQ = re.compile(r"virtio_mmio setting IRQ (\d+)")
RE_VQ_NOTIFY = re.compile(r"virtio_queue_notify vdev \S+ n (\d+)")
RE_UART = re.compile(r"pl011_write addr 0x0*([0-9a-f]+) value 0x([0-9a-f]+)")
RE_MARK = re.compile(r"# count: (begin|end) (\S+)")


def new_window():
    return {"reads": {}, "writes": {}, "irq_raises": 0, "irq_sets": 0,
            "straddle": 0, "notify_traced": 0, "notify_eventfd": 0}


def parse_trace(path):
    """{job: counts} for the windows of one trace, and a list of oddities"""
    wins, odd = {}, []
    cur, cur_job = None, None
    line = ""
    level = 0
    # a traced QueueNotify write whose own virtio_queue_notify is to come
    kick_traced = False
    with open(path, errors="replace") as fh:
        for t in fh:
            m = RE_UART.search(t)
            if m:
                if int(m.group(1), 16) != 0:  # only the data register
                    continue
                c = chr(int(m.group(2), 16) & 0xff)
                if c != "\n":
                    line += c
                    continue
                mk = RE_MARK.search(line)
                line = ""
                if not mk:
                    continue
                what, job = mk.groups()
                if what == "begin":
                    if cur is not None:
                        odd.append(f"{path}: {job} begins inside {cur_job}")
                    cur, cur_job = new_window(), job
                elif cur is None or job != cur_job:
                    odd.append(f"{path}: end of {job} without its begin")
                else:
                    wins[job] = cur
                    cur, cur_job = None, None
                continue
            m = RE_IRQ.search(t)
            if m:
                new = int(m.group(1))
                if cur is not None:
                    cur["irq_sets"] += 1
                    if new and not level:
                        cur["irq_raises"] += 1
                level = new
                continue
            m = RE_VQ_NOTIFY.search(t)
            if m:
                if kick_traced:  # the traced write's own (QEMU 7.2)
                    kick_traced = False
                elif cur is not None:  # an ioeventfd notify (QEMU 10)
                    cur["writes"][QUEUE_NOTIFY] = cur["writes"].get(QUEUE_NOTIFY, 0) + 1
                    cur["notify_eventfd"] += 1
                continue
            m = RE_READ.search(t) or RE_WRITE.search(t)
            if not m:
                continue
            kind = "reads" if m.re is RE_READ else "writes"
            off = int(m.group(1), 16)
            kick_traced = kind == "writes" and off == QUEUE_NOTIFY
            if cur is None:
                continue
            cur[kind][off] = cur[kind].get(off, 0) + 1
            if kick_traced:
                cur["notify_traced"] += 1
            # an access while a marker is half printed: the window's edge
            # is not exact (the console finished the line later)
            if line.startswith("# count"):
                cur["straddle"] += 1
    if cur is not None:
        odd.append(f"{path}: {cur_job} has no end marker")
    return wins, odd


def load_console(path):
    """{job: bench record} from one console log"""
    return {r["job"]: r for r, _ in bench_records(path)
            if r and r.get("job", "_")[0] != "_"}


def fio_ios(r):
    """I/Os fio completed: reads + writes + syncs (group_reporting)"""
    if r.get("rc", 1) != 0 or not r.get("fio"):
        return 0
    j = r["fio"]["jobs"][0]
    n = j["read"]["total_ios"] + j["write"]["total_ios"]
    return n + j.get("sync", {}).get("total_ios", 0)


def fmt(x, nd=3):
    return "n/a" if x is None or x != x else f"{x:,.{nd}f}"


def collect(d):
    """({(set, job): per-I/O counts}, oddities, n/a lines) of the counting
    boots in D"""
    data, odd, na = {}, [], []
    for tr in sorted(glob.glob(os.path.join(d, "*.trace"))):
        s = os.path.basename(tr)[:-len(".trace")]
        wins, o = parse_trace(tr)
        odd += o
        recs = load_console(os.path.join(d, s + ".log"))
        for job in sorted(set(wins) | set(recs)):
            w, r = wins.get(job), recs.get(job)
            if w is None or r is None:
                na.append(f"{s} {job}: {'no trace window' if w is None else 'no console record'}")
                continue
            n = fio_ios(r)
            if not n:
                na.append(f"{s} {job}: fio rc={r.get('rc')} {r.get('err', '')}")
                continue
            rd, wr = w["reads"], w["writes"]
            f = {
                "fio_ios": n,
                "dev_ios": r.get("ios", 0),
                "reads": sum(rd.values()) / n,
                "writes": sum(wr.values()) / n,
                "isr": rd.get(INTERRUPT_STATUS, 0) / n,
                "reads_other": (sum(rd.values()) - rd.get(INTERRUPT_STATUS, 0)) / n,
                "notify": wr.get(QUEUE_NOTIFY, 0) / n,
                "ack": wr.get(INTERRUPT_ACK, 0) / n,
                "writes_other": (sum(wr.values()) - wr.get(QUEUE_NOTIFY, 0) - wr.get(INTERRUPT_ACK, 0)) / n,
                "raises": w["irq_raises"] / n,
                "irqs": r["irqs"] / n if r.get("irqs", -1) >= 0 else float("nan"),
                "cpu_us": r["cpu_ticks"] * 1e6 / r.get("hz", 100) / n,
                "isr_per_irq": rd.get(INTERRUPT_STATUS, 0) / r["irqs"] if r.get("irqs", 0) > 0 else float("nan"),
                "other_offsets": sorted(set(rd) - {INTERRUPT_STATUS}) + sorted(set(wr) - {QUEUE_NOTIFY, INTERRUPT_ACK}),
                "notify_traced": w["notify_traced"],
                "notify_eventfd": w["notify_eventfd"],
                # vmmio's own count of its QueueNotify writes (debugfs), -1 without it
                "vmmio_notify": r.get("notifications", -1),
            }
            v, q = r.get("notifications", -1), w["notify_traced"] + w["notify_eventfd"]
            if q == 0 and v > 0:
                # a vhost-user backend takes the kicks past QEMU: vmmio's
                # own count stands in (the writes exclude them, as traced)
                f["notify"] = v / n
                f["writes"] += v / n
                odd.append(f"{s} {job}: QEMU saw no QueueNotify (a vhost-user backend's); vmmio's count {v:,} used")
            elif q == 0:
                odd.append(f"{s} {job}: QEMU saw no QueueNotify (a vhost-user backend's) and the "
                           "driver counts none: notifies priced 0, which favours this set")
            elif v >= 0 and v != q:
                odd.append(f"{s} {job}: QEMU counted {q:,} QueueNotify writes, vmmio {v:,}")
            if w["straddle"]:
                odd.append(f"{s} {job}: {w['straddle']} accesses while a marker line was half printed")
            data[(s, job)] = f

    return data, odd, na


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--title", default="")
    ap.add_argument("--command", default="")
    ap.add_argument("--facts", default="")
    a = ap.parse_args()

    data, odd, na = collect(a.dir)

    sets = [s for s in SET_ORDER if any(k[0] == s for k in data)]
    sets += sorted({k[0] for k in data} - set(sets))
    jobs = [j for j in JOB_ORDER if any(k[1] == j for k in data)]
    jobs += sorted({k[1] for k in data} - set(jobs))

    L = []
    L.append(f"# make bench — MMIO accesses and interrupts per I/O{' — ' + a.title if a.title else ''}")
    L.append("")
    if a.command:
        L.append(f"- command: `{a.command.strip()}`")
    if a.facts:
        L.append(f"- machine: {a.facts}")
    L.append("- one counting boot per driver set, each fio job a fixed number of I/Os "
             "(`--number_ios`, no ramp); QEMU traces (`virtio_mmio_*`, `virtio_queue_notify`, "
             "`pl011_write`) counted between the guest's begin/end markers; per I/O fio completed")
    src = (sum(f["notify_traced"] for f in data.values()),
           sum(f["notify_eventfd"] for f in data.values()))
    if src[1]:
        L.append("- QueueNotify: the device's ioeventfd wake-ups (`virtio_queue_notify` without a "
                 "traced write: QEMU 10), counted as writes too; writes the device had not read "
                 "yet fold into one, so a lower bound on the guest's"
                 + (f" (also {src[0]:,} traced writes)" if src[0] else ""))
    elif src[0]:
        L.append("- QueueNotify: the traced `virtio_mmio_write` (no ioeventfd: QEMU 7.2)")
    L.append("")
    L.append("## per I/O: MMIO reads, MMIO writes, notifies, interrupts")
    L.append("")
    L.append("| job | set | I/Os | MMIO reads | MMIO writes | notifies | interrupts |")
    L.append("|---|---|---|---|---|---|---|")
    for j in jobs:
        for s in sets:
            f = data.get((s, j))
            if f:
                L.append(f"| {j} | {s} | {f['fio_ios']:,} | {fmt(f['reads'])} | {fmt(f['writes'])} | {fmt(f['notify'])} | {fmt(f['irqs'])} |")
    L.append("")
    L.append("## by register, per I/O")
    L.append("")
    L.append("| job | set | InterruptStatus reads | other reads | QueueNotify | InterruptACK | other writes | "
             "InterruptStatus reads / interrupt | line raised (QEMU) | guest CPU µs/IO |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for j in jobs:
        for s in sets:
            f = data.get((s, j))
            if f:
                L.append(f"| {j} | {s} | {fmt(f['isr'])} | {fmt(f['reads_other'])} | {fmt(f['notify'])} | {fmt(f['ack'])} "
                         f"| {fmt(f['writes_other'])} | {fmt(f['isr_per_irq'], 2)} | {fmt(f['raises'])} | {fmt(f['cpu_us'], 0)} |")
    L.append("")
    L.append("interrupts: the guest's /proc/interrupts delta for the disk's line over the fio run; "
             "line raised: QEMU's virtio-mmio interrupt going from 0 to 1 in the window; "
             "guest CPU µs/IO: busy jiffies of both vCPUs over the fio run (fio's start-up included; "
             "under -icount, guest instructions × 2^shift ns).")
    others = sorted({f"0x{o:x}" for f in data.values() for o in f["other_offsets"]})
    if others:
        L.append(f"Other registers seen in the windows: {', '.join(others)}.")
    cross = [(j, s) for j in jobs for s in sets
             if data.get((s, j)) and data[(s, j)]["vmmio_notify"] >= 0]
    if cross:
        L.append("")
        L.append("## QueueNotify: QEMU's count against vmmio's")
        L.append("")
        L.append("| job | set | QEMU: traced writes | QEMU: ioeventfd wake-ups | vmmio: notifications | QEMU / vmmio |")
        L.append("|---|---|---|---|---|---|")
        for j, s in cross:
            f = data[(s, j)]
            q = f["notify_traced"] + f["notify_eventfd"]
            v = f["vmmio_notify"]
            L.append(f"| {j} | {s} | {f['notify_traced']:,} | {f['notify_eventfd']:,} | {v:,} "
                     f"| {fmt(q / v if v else float('nan'))} |")
        L.append("")
        L.append("vmmio counts every QueueNotify write it makes (debugfs, read before and after fio); "
                 "QEMU's ioeventfd wake-ups fall short of it where writes folded in the eventfd.")
    if na:
        L.append("")
        L.append("## n/a")
        L.append("")
        L.extend(f"- {x}" for x in na)
    if odd:
        L.append("")
        L.append("## Odd")
        L.append("")
        L.extend(f"- {x}" for x in odd)
    text = "\n".join(L) + "\n"
    with open(a.out + ".md", "w") as fh:
        fh.write(text)
    print(text)
    print(f"# wrote {a.out}.md", file=sys.stderr)
    return 0 if data else 1


if __name__ == "__main__":
    sys.exit(main())
