#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-devices.py --run LABEL=MODEL.md [...] --out PREFIX: one report over
the devices a make bench run counted on (bench.sh, DEVICES=...).

Each MODEL.md is a bench-model.py report of one device (QEMU 10's
virtio-mmio, QEMU 7.2's, a vhost-user-blk disk served by
qemu-storage-daemon).  The combined report puts side by side, per job and
device, what decides the bill on a hypervisor: modelled time per I/O of
ours against the in-tree pair as shipped and switched to the none
scheduler (median over the counting rounds, min-max), per platform
profile; and per driver set the figures behind it: exits, notifies and
interrupts per I/O, guest instructions per I/O and the modelled
microseconds.  Writes PREFIX.md (also printed).
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import JOB_ORDER  # noqa: E402

SETS = ("intree", "intree+none", "ours")


def tables(path):
    """{heading: [[cell, ...], ...]} of the markdown tables in PATH"""
    out, head, rows = {}, None, None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("## "):
            head = line[3:].strip()
            rows = None
            continue
        if line.startswith("|") and head:
            cells = [c.strip() for c in line.split("|")[1:-1]]
            if rows is None:
                rows = out.setdefault(head, [])
            rows.append(cells)
    return out


def find(t, prefix):
    for k, v in t.items():
        if k.startswith(prefix):
            return v
    raise SystemExit(f"no table '{prefix}...' in a model report")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", action="append", required=True,
                    help="LABEL=FILE: a device's bench-model.py report")
    ap.add_argument("--out", required=True)
    ap.add_argument("--platforms", default="kvm-altra,hvisor",
                    help="the profiles the summary shows (all in the per-set table)")
    ap.add_argument("--title", default="")
    ap.add_argument("--command", default="")
    a = ap.parse_args()

    runs = []
    for r in a.run:
        label, _, path = r.partition("=")
        if not path or not os.path.isfile(path):
            raise SystemExit(f"--run {r}: LABEL=FILE, and FILE a model report")
        t = tables(path)
        head = find(t, "Headline")
        perset = find(t, "Per set")
        cmd = ""
        for line in open(path):
            if line.startswith("- command: "):
                cmd = line[len("- command: "):].strip()
                break
        runs.append((label, path, head, perset, cmd))

    want = [p.strip() for p in a.platforms.split(",") if p.strip()]
    L = [f"# make bench — by device{' — ' + a.title if a.title else ''}", ""]
    if a.command:
        L.append(f"- command: `{a.command.strip()}`")
    for label, path, _, _, cmd in runs:
        L.append(f"- {label}: {os.path.basename(path)}{' — ' + cmd if cmd else ''}")
    L.append("")

    # the headline: ours / reference, modelled time, per device
    L.append("## Ours against the in-tree pair: modelled time per I/O, by device")
    L.append("")
    hdr = "| job | device | ours / |" + "".join(f" {p} |" for p in want)
    L.append(hdr)
    L.append("|---|---|---|" + "---|" * len(want))
    jobs = []
    for _, _, head, _, _ in runs:
        for row in head[2:]:
            if row[0] not in jobs:
                jobs.append(row[0])
    jobs.sort(key=lambda j: JOB_ORDER.index(j) if j in JOB_ORDER else len(JOB_ORDER))
    for j in jobs:
        for label, _, head, _, _ in runs:
            cols = head[0]
            for row in head[2:]:
                if row[0] != j:
                    continue
                cells = []
                for p in want:
                    cells.append(row[cols.index(p)] if p in cols else "n/a")
                L.append(f"| {j} | {label} | {row[1]} | " + " | ".join(cells) + " |")
    L.append("")
    L.append("Below 1: ours costs less per I/O on that platform. A/A: a second counting boot "
             "of the in-tree pair against the first, the noise band.")
    L.append("")

    # the bill behind it
    L.append("## Per set and device: what the hypervisor bills per I/O")
    L.append("")
    first = runs[0][3][0]
    prof = first[6:]
    L.append("| job | device | set | exits | notifies | interrupts | insns/IO |"
             + "".join(f" {p} |" for p in prof))
    L.append("|---|---|---|---|---|---|---|" + "---|" * len(prof))
    for j in jobs:
        for label, _, _, perset, _ in runs:
            cols = perset[0]
            for s in SETS:
                for row in perset[2:]:
                    if row[0] == j and row[1] == s:
                        vals = [row[cols.index(p)] if p in cols else "n/a" for p in prof]
                        L.append(f"| {j} | {label} | {s} | " + " | ".join(row[2:6]) + " | "
                                 + " | ".join(vals) + " |")
    L.append("")
    L.append("exits: MMIO reads plus writes other than QueueNotify; notifies: QueueNotify "
             "writes (on vhost-user, vmmio's own count for ours, the in-tree pair's not "
             "seen by QEMU and priced 0); interrupts: the guest's count for the disk's line; "
             "insns: guest instructions per I/O, fio's included (guest CPU time under "
             "-icount); the µs columns: the platform profiles of tools/bench/platforms/.")
    text = "\n".join(L) + "\n"
    with open(a.out + ".md", "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
