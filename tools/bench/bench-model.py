#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-model.py --count DIR|--count-md FILE --out PREFIX [...]: what each driver set's
I/O would cost where exits are billed (tools/bench/bench.sh, COUNT=1).

Under TCG a trapping register access costs a few guest instructions; on
KVM it is an exit to QEMU (1.7-7 us), on hvisor a round trip to the root
zone.  This prices the counting boots' figures (bench-counts.py: MMIO
reads, QueueNotify writes, other writes, interrupts and guest CPU time
per I/O) with each platform profile in tools/bench/platforms/*.conf:

  time/IO = insns/IO * ns_per_insn
          + (MMIO reads + writes other than QueueNotify) * mmio_us
          + QueueNotify writes * notify_us + interrupts * irq_us

insns/IO is the guest's busy CPU time per I/O over 2^ICOUNT_SHIFT ns (under
-icount, guest time is the instruction count; fio's own instructions
included).  The model is a cost per I/O, the vCPU time one I/O takes
(throughput-bound loads); it says nothing of latency overlap.  The
headline is ours/intree per platform; the intree-b/intree A/A band (a
second counting boot of the same drivers) says how far apart two boots
of one driver set land.  Given several rounds of counting boots (--count
DIR ...), each ratio is the median over the rounds with its min-max, and
the per-set table shows each figure's median.  Writes PREFIX.md (also
printed).
"""

import argparse
import glob
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import JOB_ORDER  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "bench_counts", os.path.join(HERE, "bench-counts.py"))
bench_counts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_counts)

SET_ORDER = ["intree", "intree-b", "intree+none", "vmmio", "vblk", "ours"]
NUM_KEYS = ("mmio_us", "notify_us", "irq_us", "ns_per_insn")


def load_platforms(d):
    """[profile dict] of the *.conf files in D (key=value, # comments)"""
    out = []
    for f in sorted(glob.glob(os.path.join(d, "*.conf"))):
        p = {}
        with open(f) as fh:
            for line in fh:
                line = line.strip()
                if not line or line.startswith("#") or "=" not in line:
                    continue
                k, v = line.split("=", 1)
                p[k.strip()] = v.strip()
        missing = [k for k in ("name",) + NUM_KEYS if k not in p]
        if missing:
            raise SystemExit(f"{f}: missing {', '.join(missing)}")
        for k in NUM_KEYS:
            p[k] = float(p[k])
        out.append(p)
        # a sensitivity line prices the same platform at other mmio_us
        for m in p.get("sensitivity", "").split(","):
            if m.strip():
                q = dict(p, mmio_us=p["mmio_us"] * float(m),
                         name=f"{p['name']}@{float(m):g}x")
                q["derived"] = True
                out.append(q)
    return out


def counts_from_md(path):
    """the per-I/O counts of a bench-counts.py report (PATH.md), for
    pricing a counting run whose traces are gone (the reference runs)"""
    data = {}
    text = open(path).read()
    for part, ncol in (("## per I/O", 7), ("## by register", 10)):
        if part not in text:
            raise SystemExit(f"{path}: no '{part}' table")
        for line in text.split(part, 1)[1].split("\n## ", 1)[0].splitlines():
            c = [x.strip() for x in line.split("|")[1:-1]]
            if len(c) != ncol or c[0] in ("job", "---") or c[0].startswith("-"):
                continue
            num = [float(x.replace(",", "")) if x != "n/a" else float("nan") for x in c[2:]]
            if ncol == 7:
                data[(c[1], c[0])] = dict(zip(("fio_ios", "reads", "writes", "notify", "irqs"), num),
                                          raises=float("nan"))
            elif (c[1], c[0]) in data:
                data[(c[1], c[0])]["cpu_us"] = num[-1]
    return {k: v for k, v in data.items() if "cpu_us" in v}


def exits(f):
    """trapping accesses other than QueueNotify, per I/O"""
    return f["reads"] + f["writes"] - f["notify"]


def model(f, p, shift):
    """modelled microseconds per I/O of counts F on platform P"""
    insns = f["cpu_us"] * 1000 / (1 << shift)
    irqs = f["irqs"] if f["irqs"] == f["irqs"] else f["raises"]
    return (insns * p["ns_per_insn"] / 1000 + exits(f) * p["mmio_us"]
            + f["notify"] * p["notify_us"] + irqs * p["irq_us"])


def median(xs):
    xs = sorted(x for x in xs if x == x)
    if not xs:
        return float("nan")
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2


def median_counts(rounds):
    """{(set, job): counts} with each numeric field the median over ROUNDS"""
    out = {}
    for k in set().union(*rounds):
        fs = [r[k] for r in rounds if k in r]
        out[k] = {f: median([x[f] for x in fs]) for f in fs[0]
                  if isinstance(fs[0][f], (int, float))}
        out[k]["rounds"] = len(fs)
    return out


def spread(xs, nd=2):
    """median (min-max) of XS, or the one value"""
    xs = [x for x in xs if x == x]
    if not xs:
        return "n/a"
    if len(xs) == 1:
        return f"{xs[0]:,.{nd}f}"
    return f"{median(xs):,.{nd}f} ({min(xs):,.{nd}f}–{max(xs):,.{nd}f})"


def fmt(x, nd=2):
    return "n/a" if x is None or x != x else f"{x:,.{nd}f}"


def ratio(a, b):
    return a / b if a == a and b == b and b else float("nan")


def main():
    ap = argparse.ArgumentParser()
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--count", nargs="+",
                     help="the counting boots' dir, one per counting round")
    src.add_argument("--count-md", help="a bench-counts.py report instead (PREFIX.md)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--platforms", default=os.path.join(HERE, "platforms"))
    ap.add_argument("--icount-shift", type=int, default=4)
    ap.add_argument("--title", default="")
    ap.add_argument("--command", default="")
    ap.add_argument("--facts", default="")
    a = ap.parse_args()

    odd, na = [], []
    if a.count:
        rounds = []
        for d in a.count:
            r, o, n = bench_counts.collect(d)
            rounds.append(r)
            tag = os.path.basename(d.rstrip("/"))
            odd += [f"{tag}: {x}" for x in o]
            na += [f"{tag}: {x}" for x in n]
    else:
        rounds = [counts_from_md(a.count_md)]
    data = median_counts(rounds)
    plats = load_platforms(a.platforms)
    sets = [s for s in SET_ORDER if any(k[0] == s for k in data)]
    sets += sorted({k[0] for k in data} - set(sets))
    jobs = [j for j in JOB_ORDER if any(k[1] == j for k in data)]
    jobs += sorted({k[1] for k in data} - set(jobs))
    refs = [s for s in ("intree", "intree+none") if s in sets]

    L = [f"# make bench — exit-aware cost per I/O{' — ' + a.title if a.title else ''}", ""]
    if a.command:
        L.append(f"- command: `{a.command.strip()}`")
    if a.facts:
        L.append(f"- machine: {a.facts}")
    L.append(f"- counts: {len(rounds)} round(s) of counting boots, one boot per set a round "
             f"(tools/bench/bench-counts.py); ratios are the median over rounds (min–max); "
             f"instructions from guest CPU time under -icount shift={a.icount_shift}")
    L.append("- platforms: " + "; ".join(
        f"{p['name']}: exit {p['mmio_us']:g} µs, notify {p['notify_us']:g} µs, "
        f"interrupt {p['irq_us']:g} µs, {p['ns_per_insn']:g} ns/insn"
        for p in plats if not p.get("derived")))
    L.append("")

    L.append("## Headline: ours against the in-tree pair, modelled time per I/O")
    L.append("")
    L.append("| job | ours / |" + "".join(f" {p['name']} |" for p in plats))
    L.append("|---|---|" + "---|" * len(plats))
    against = refs + (["A/A"] if "intree-b" in sets else [])
    for j in jobs:
        if ("ours", j) not in data:
            continue
        for r in against:
            row = f"| {j} | {r} |"
            ns, ds = ("intree-b", "intree") if r == "A/A" else ("ours", r)
            for p in plats:
                xs = [ratio(model(rd[(ns, j)], p, a.icount_shift),
                            model(rd[(ds, j)], p, a.icount_shift))
                      for rd in rounds if (ns, j) in rd and (ds, j) in rd]
                row += f" {spread(xs)} |"
            L.append(row)
    L.append("")
    L.append("Below 1: ours costs less per I/O there. The A/A row (intree-b / intree) is the "
             "same drivers in a second counting boot: a ratio within its distance from 1 is "
             "no difference. hvisor@0.5x and @2x price hvisor's exits at half and twice the "
             "assumed figure.")
    L.append("")

    L.append("## What is billed: ours / reference, per I/O")
    L.append("")
    L.append("| job | ours / | exits | notifies | interrupts | insns |")
    L.append("|---|---|---|---|---|---|")
    getters = (exits, lambda f: f["notify"], lambda f: f["irqs"],
               lambda f: f["cpu_us"])
    for j in jobs:
        if ("ours", j) not in data:
            continue
        for r in against:
            ns, ds = ("intree-b", "intree") if r == "A/A" else ("ours", r)
            cells = []
            for g in getters:
                xs = [ratio(g(rd[(ns, j)]), g(rd[(ds, j)]))
                      for rd in rounds if (ns, j) in rd and (ds, j) in rd]
                cells.append(spread(xs))
            L.append(f"| {j} | {r} | " + " | ".join(cells) + " |")
    L.append("")
    L.append("Each ratio: the median over the counting rounds (min–max); exits are the "
             "accesses other than QueueNotify, insns the guest's busy CPU time per I/O.")
    L.append("")

    L.append("## Per set: what the hypervisor bills per I/O")
    L.append("")
    L.append("| job | set | exits | notifies | interrupts | insns/IO |"
             + "".join(f" {p['name']} µs |" for p in plats))
    L.append("|---|---|---|---|---|---|" + "---|" * len(plats))
    for j in jobs:
        for s in sets:
            f = data.get((s, j))
            if not f:
                continue
            insns = f["cpu_us"] * 1000 / (1 << a.icount_shift)
            L.append(f"| {j} | {s} | {fmt(exits(f), 3)} | {fmt(f['notify'], 3)} | "
                     f"{fmt(f['irqs'], 3)} | {insns:,.0f} |"
                     + "".join(f" {fmt(model(f, p, a.icount_shift))} |" for p in plats))
    L.append("")
    L.append("exits: MMIO reads plus writes other than QueueNotify (each a synchronous "
             "trip to the device model); notifies: QueueNotify writes (an ioeventfd on KVM, "
             "posted on hvisor); interrupts: the guest's count for the disk's line.")
    if na or odd:
        L.append("")
        L.append("## n/a and oddities")
        L.append("")
        L.extend(f"- {x}" for x in na + odd)
    text = "\n".join(L) + "\n"
    with open(a.out + ".md", "w") as fh:
        fh.write(text)
    print(text)
    print(f"# wrote {a.out}.md", file=sys.stderr)
    return 0 if data else 1


if __name__ == "__main__":
    sys.exit(main())
