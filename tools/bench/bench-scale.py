#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-scale.py --dir DIR --out PREFIX [...]: the host half of "SCALE=1
make bench" (tools/bench/bench.sh).  Reads the "# scale: {json}" lines that
tools/bench/guest/scale.sh prints on the console logs in DIR (one per boot:
a driver set probing and removing N disks), and writes PREFIX.md (also
printed): per queue size, the probe and unload times and the memory per
disk of each set, median and min-max over the rounds, and the ratios
against intree (median and min-max of the per-round ratios); then what
the larger rings cost per disk."""

import argparse
import glob
import os

from benchlib import bench_records, fmt, med, rng

MARK = "# scale: "
SET_ORDER = ["intree", "vmmio", "vblk", "ours"]


def records(d):
    recs, na = [], []
    for f in sorted(glob.glob(os.path.join(d, "*.log"))):
        name = os.path.basename(f)
        for r, bad in bench_records(f, MARK):
            if bad:
                na.append(f"{name}: {bad}")
            elif "na" in r:
                na.append(f"{name}: {r.get('set')} queue-size "
                          f"{r.get('qsize')} round {r.get('round')}: {r['na']}")
            elif r.get("disks") != r.get("expect"):
                na.append(f"{name}: {r['disks']} of {r['expect']} disks")
            else:
                recs.append(r)
    return recs, na


def figures(r):
    """the figures of one boot: times in ms, memory in kB (per disk where
    the name says so)"""
    m, n = r["mem"], r["disks"]
    b, ld, u = m["before"], m["loaded"], m["unloaded"]
    mods_kb = r["modules_bytes"] / 1024
    avail = b["MemAvailable"] - ld["MemAvailable"]

    def free(m):
        return m["MemFree"] + m.get("PcpFree", float("nan"))
    return {
        "probe_ms": r["probe_ms"],
        "transport_ms": r["transport_ms"],
        "blk_ms": r["blk_ms"],
        "unload_ms": r["unload_ms"],
        "used_kb_disk": (free(b) - free(ld) - mods_kb) / n,
        "avail_kb_disk": (avail - mods_kb) / n,
        "slab_kb_disk": (ld["Slab"] - b["Slab"]) / n,
        "sunreclaim_kb_disk": (ld["SUnreclaim"] - b["SUnreclaim"]) / n,
        "percpu_kb_disk": (ld["Percpu"] - b["Percpu"]) / n,
        "vmalloc_kb_disk": (ld["VmallocUsed"] - b["VmallocUsed"]) / n,
        "modules_kb": mods_kb,
        "queue": r.get("queue", "?"),
        "kept_kb": free(b) - free(u),
    }


ROWS = [
    ("probe_ms", "probe: modprobe of both until every /dev/vdX exists (ms)"),
    ("transport_ms", "… of it, modprobe of the transport (ms)"),
    ("blk_ms", "… of it, modprobe of the block driver (ms)"),
    ("unload_ms", "unload: rmmod of both (ms)"),
    ("used_kb_disk", "memory used per disk: MemFree and the per-CPU free lists, modules excluded (kB)"),
    ("avail_kb_disk", "MemAvailable used per disk, modules excluded (kB)"),
    ("slab_kb_disk", "Slab per disk (kB)"),
    ("sunreclaim_kb_disk", "SUnreclaim per disk (kB)"),
    ("percpu_kb_disk", "Percpu per disk (kB)"),
    ("vmalloc_kb_disk", "VmallocUsed per disk (kB)"),
    ("modules_kb", "the two modules' size (kB, /proc/modules)"),
    ("kept_kb", "memory not back after unload (kB, all disks; MemFree and the per-CPU lists)"),
]


def ratios(a, b):
    """per-round ratios b/a of the rounds both have"""
    return [b[k] / a[k] for k in sorted(set(a) & set(b)) if a[k]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--id", default="")
    ap.add_argument("--command", default="")
    ap.add_argument("--facts", default="")
    ap.add_argument("--elapsed", default="")
    a = ap.parse_args()

    recs, na = records(a.dir)
    data = {}  # (qsize, set) -> {round: figures}
    clocks, kernels, ndisks = set(), set(), set()
    for r in recs:
        data.setdefault((r["qsize"], r["set"]), {})[r["round"]] = figures(r)
        clocks.add(r["clock"])
        kernels.add(r.get("kernel", "?"))
        ndisks.add(r["disks"])
    qsizes = sorted({k[0] for k in data}, key=lambda q: int(q) if q.isdigit() else 0)
    sets = [s for s in SET_ORDER if any(k[1] == s for k in data)]
    sets += sorted({k[1] for k in data} - set(sets))
    others = [s for s in sets if s != "intree"]
    base = "intree" if "intree" in sets else None

    out = [f"# SCALE=1 make bench{' — run ' + a.id if a.id else ''}: "
           f"{', '.join(map(str, sorted(ndisks))) or '?'} virtio-blk disks per boot", ""]
    if a.command:
        out += [f"Command: `{a.command}`", ""]
    if a.facts:
        out += [f"Setup: {a.facts}; guest clock: {', '.join(sorted(clocks)) or '?'}"
                f" ({'/proc/timer_list, ns' if 'ktime' in clocks else '/proc/uptime, 10 ms steps'}), "
                f"kernel {', '.join(sorted(kernels))}.", ""]
    if "icount" in a.facts:
        out += ["Times are guest time under `-icount`: they count the guest's "
                "instructions (2^shift ns each), not host seconds; QEMU's own "
                "device work costs no guest time.", ""]
    out += ["Median (min–max) over rounds; ratios: median (min–max) of the "
            "per-round ratios.  Memory per disk: the change between before "
            "loading and with every disk probed, divided by the disks "
            "(page cache dropped before each reading); MemAvailable without "
            "the modules' own size.", ""]
    for q in qsizes:
        hdr = ["figure"] + [s if s != "intree" else "in-tree" for s in sets]
        if base:
            hdr += [f"{s} / in-tree" for s in others]
        out += [f"## queue-size {q}", "",
                "| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
        for key, label in ROWS:
            row = [label]
            for s in sets:
                row.append(rng([f[key] for f in data.get((q, s), {}).values()]))
            if base:
                b = {k: f[key] for k, f in data.get((q, base), {}).items()}
                for s in others:
                    o = {k: f[key] for k, f in data.get((q, s), {}).items()}
                    row.append(rng(ratios(b, o), 3) if key not in ("kept_kb",) else "")
            out.append("| " + " | ".join(row) + " |")
        out.append("")
        for s in sets:
            qi = sorted({f.get("queue", "?") for f in data.get((q, s), {}).values()})
            out.append(f"- {s if s != 'intree' else 'in-tree'}: {'; '.join(qi)}")
        out.append("")
    if len(qsizes) > 1:
        lo, hi = qsizes[0], qsizes[-1]
        out += [f"## queue-size {hi} against {lo}, per disk", "",
                "| set | memory used (kB) | MemAvailable (kB) | Slab (kB) | probe (ms, all disks) |",
                "|---|---|---|---|---|"]
        for s in sets:
            d0, d1 = data.get((lo, s), {}), data.get((hi, s), {})
            if not d0 or not d1:
                continue
            row = [s if s != "intree" else "in-tree"]
            for key in ("used_kb_disk", "avail_kb_disk", "slab_kb_disk", "probe_ms"):
                d = med([f[key] for f in d1.values()]) - med([f[key] for f in d0.values()])
                row.append(("+" if d >= 0 else "") + fmt(d))
            out.append("| " + " | ".join(row) + " |")
        out += ["", "(differences of the medians.  What the property changed in "
                "the guest is under each table: ring entries (vmmio's "
                "debugfs), tags, max_segments.  QEMU's virtio-mmio offers "
                "QueueNumMax 1024 whatever queue-size says, so on this "
                "transport the property sets seg_max, not the ring.)", ""]
    if na:
        out += ["## Boots without figures", ""] + [f"- {x}" for x in na] + [""]
    if a.elapsed:
        out += [f"Elapsed: {a.elapsed} s.", ""]
    text = "\n".join(out)
    with open(a.out + ".md", "w") as fh:
        fh.write(text)
    print(text)
    print(f"# written: {a.out}.md")
    return 1 if na or not recs else 0


if __name__ == "__main__":
    raise SystemExit(main())
