#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-report.py --dir DIR --id ID --out PREFIX [...]: the host half of
"make bench" (tools/bench/bench.sh).  Reads the "# bench: {json}" lines of the
console logs in DIR (tools/bench/guest/bench.sh prints them), computes per
driver set and fio job the median and min-max over the rounds, the ratios
against intree (median and min-max of the per-round ratios; intree-b/intree
is the A/A noise band), writes PREFIX.md (also printed) and a gnuplot chart
PREFIX.png (PREFIX.svg without pngcairo)."""

import argparse
import glob
import os
import subprocess
import sys

from benchlib import JOB_ORDER, bench_records, fmt, med, rng

SET_ORDER = ["intree", "intree-b", "vmmio", "vblk", "ours", "intree+none", "nullb"]


def load(d):
    recs, boots, na = [], [], []
    for f in sorted(glob.glob(os.path.join(d, "*.log"))):
        for r, err in bench_records(f):
            if err:
                na.append((os.path.basename(f), "?", "?", err))
                continue
            r["log"] = os.path.basename(f)
            job = r.get("job", "?")
            if "na" in r:
                na.append((r["log"], r.get("set"), job, r["na"]))
            elif job == "_boot":
                boots.append(r)
            elif job != "_end":
                recs.append(r)
    return recs, boots, na


def figures(r, runtime):
    """the figures of one job record, or a reason why there are none"""
    if r.get("rc", 1) != 0 or not r.get("fio"):
        return None, f"fio rc={r.get('rc')}: {r.get('err', '')}"
    j = r["fio"]["jobs"][0]
    rd, wr = j["read"], j["write"]
    main = rd if rd["total_ios"] >= wr["total_ios"] else wr
    pct = main.get("clat_ns", {}).get("percentile", {})
    ios = r.get("ios", 0) or 0
    nj = int(j["job options"].get("numjobs", 1))
    f = {
        "iops": rd["iops"] + wr["iops"],
        "bw_kib": rd["bw"] + wr["bw"],
        "clat_p50_us": pct.get("50.000000", 0) / 1000,
        "clat_p99_us": pct.get("99.000000", 0) / 1000,
        "cpu_usr": j["usr_cpu"],
        "cpu_sys": j["sys_cpu"],
        "cpu_us_per_io": r["cpu_ticks"] * 1e6 / r.get("hz", 100) / ios if ios else float("nan"),
        "irqs_per_io": r["irqs"] / ios if ios and r.get("irqs", -1) >= 0 else float("nan"),
        "kicks_per_io": r["notifications"] / ios if ios and r.get("notifications", -1) >= 0 else float("nan"),
        "runtime_ms": j["job_runtime"] / nj,
    }
    if runtime and abs(f["runtime_ms"] - runtime * 1000) > runtime * 100:
        f["runtime_off"] = True
    return f, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="")
    ap.add_argument("--facts", default="")
    ap.add_argument("--elapsed", default="")
    ap.add_argument("--runtime", type=float, default=0)
    a = ap.parse_args()

    recs, boots, na = load(a.dir)
    data = {}  # (set, job) -> {round: figures}
    odd = []
    for r in recs:
        f, why = figures(r, a.runtime)
        if f is None:
            na.append((r["log"], r["set"], r["job"], why))
            continue
        if f.get("runtime_off"):
            odd.append(f"{r['set']} round {r['round']} {r['job']}: fio ran {f['runtime_ms']:.0f} ms, not {a.runtime * 1000:.0f}")
        data.setdefault((r["set"], r["job"]), {})[r["round"]] = f
    sets = [s for s in SET_ORDER if any(k[0] == s for k in data)]
    sets += sorted({k[0] for k in data} - set(sets))
    sets += [s for s in sorted({n[1] for n in na if n[1] and n[1] != "?"}) if s not in sets]
    jobs = [j for j in JOB_ORDER if any(k[1] == j for k in data)]
    jobs += sorted({k[1] for k in data} - set(jobs))
    cmp_sets = [s for s in sets if s not in ("intree", "nullb")]

    def vals(s, j, key):
        return [f[key] for f in data.get((s, j), {}).values()]

    def ratios(s, j, key="iops", base="intree"):
        a_, b_ = data.get((s, j), {}), data.get((base, j), {})
        if s == "nullb":  # one boot: against the median of intree
            m = med([f[key] for f in b_.values()])
            return [f[key] / m for f in a_.values() if m]
        return [a_[r][key] / b_[r][key] for r in a_ if r in b_ and b_[r][key]]

    L = []
    L.append(f"# make bench — run {a.id}")
    L.append("")
    L.append(f"- command: `{a.command.strip()}`")
    L.append(f"- machine: {a.facts}")
    nrounds = max([len(v) for v in data.values()] or [0])
    L.append(f"- rounds: {nrounds} (sets interleaved, order rotated per round)"
             f"{'; null_blk: one boot' if 'nullb' in sets else ''}; wall time {a.elapsed} s")
    eng = sorted({b.get("engine", "?") for b in boots})
    L.append(f"- fio: {', '.join(eng)}, --direct=1, {a.runtime:g} s per job after 1 s ramp; cells: median (min–max) over rounds")
    L.append("")
    L.append("## IOPS")
    L.append("")
    hdr = ["job"] + sets + [f"{s}/intree" for s in cmp_sets if s != "nullb"]
    # ours against the in-tree pair on ours' scheduler: the driver alone
    alike = "ours" in sets and "intree+none" in sets
    if alike:
        hdr.append("ours/intree+none")
    if "nullb" in sets:
        hdr.append("nullb/intree")
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for j in jobs:
        row = [j] + [rng(vals(s, j, "iops")) for s in sets]
        row += [rng(ratios(s, j), 3) for s in cmp_sets if s != "nullb"]
        if alike:
            row.append(rng(ratios("ours", j, base="intree+none"), 3))
        if "nullb" in sets:
            row.append(rng(ratios("nullb", j), 2))
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    L.append("A/A: `intree-b/intree` is the in-tree pair against itself, booted the same way: ratios inside its band are noise."
             + (" `intree+none` is the in-tree pair with the disk's scheduler switched to none, vblk's default;"
                " `ours/intree+none` compares the drivers on the same scheduler." if alike else ""))
    L.append("")
    L.append("## Latency, bandwidth, cost per I/O (medians over rounds)")
    L.append("")
    L.append("| job | set | MiB/s | clat p50 µs | clat p99 µs | usr % | sys % | guest CPU µs/IO | IRQs/IO | kicks/IO |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for j in jobs:
        for s in sets:
            if (s, j) not in data:
                continue
            m = {k: med(vals(s, j, k)) for k in data[(s, j)][next(iter(data[(s, j)]))]}
            L.append(f"| {j} | {s} | {fmt(m['bw_kib'] / 1024)} | {rng(vals(s, j, 'clat_p50_us'))} | {rng(vals(s, j, 'clat_p99_us'))} "
                     f"| {fmt(m['cpu_usr'], 1)} | {fmt(m['cpu_sys'], 1)} | {fmt(m['cpu_us_per_io'])} | {fmt(m['irqs_per_io'], 3)} | {fmt(m['kicks_per_io'], 3)} |")
    L.append("")
    L.append("guest CPU µs/IO: busy jiffies of both vCPUs (/proc/stat) over the fio run, ramp included, per completed I/O (/sys/block/*/stat, flushes counted); "
             "IRQs/IO: the disk's interrupt line in /proc/interrupts over the same window; kicks/IO: vmmio's debugfs queue notifications (vmmio transports only).")
    if boots:
        L.append("")
        L.append("## Boots")
        L.append("")
        L.append("| console log | engine | disk | queue | transport device | irq | modules |")
        L.append("|---|---|---|---|---|---|---|")
        for b in sorted(boots, key=lambda b: (b.get("round", 0), b["log"])):
            L.append(f"| {b['log']} | {b.get('engine')} | {b.get('dev')} | {b.get('queue', '')} | {b.get('pdev') or '-'} | {b.get('irq') or '-'} | {b.get('modules', '').strip()} |")
    if na:
        L.append("")
        L.append("## n/a")
        L.append("")
        for log, s, j, why in na:
            L.append(f"- {s} {j} ({log}): {why}")
    if odd:
        L.append("")
        L.append("## Odd")
        L.append("")
        L.extend(f"- {o}" for o in odd)

    # the chart: IOPS per job and set, min-max error bars, log scale
    dat = a.out + ".dat"
    with open(dat, "w") as fh:
        fh.write("# job " + " ".join(f"{s}_med {s}_min {s}_max" for s in sets) + "\n")
        for j in jobs:
            cols = []
            for s in sets:
                v = vals(s, j, "iops")
                cols += [med(v), min(v), max(v)] if v else [float("nan")] * 3
            fh.write(j + " " + " ".join("NaN" if c != c else f"{c:.1f}" for c in cols) + "\n")
    term = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    if "pngcairo" in term.stdout + term.stderr:
        img, t = a.out + ".png", "pngcairo size 1200,650 font ',10'"
    else:
        img, t = a.out + ".svg", "svg size 1200,650"
    plots = ", ".join(
        f"'{dat}' using {2 + 3 * i}:{3 + 3 * i}:{4 + 3 * i}{':xtic(1)' if i == 0 else ''} title '{s}'"
        for i, s in enumerate(sets))
    gp = f"""set terminal {t}
set output '{img}'
set title "make bench {a.id}: IOPS, median and min-max over rounds\\n{a.facts[:150]}" noenhanced
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'IOPS (log scale)'
set yrange [*:*]
set grid ytics
set key top right
set xtics noenhanced
set key noenhanced
plot {plots}
"""
    with open(a.out + ".gp", "w") as fh:
        fh.write(gp)
    if not jobs:
        img = None
    else:
        g = subprocess.run(["gnuplot", a.out + ".gp"], capture_output=True, text=True)
        if g.returncode != 0:
            print(f"gnuplot failed: {g.stderr}", file=sys.stderr)
            img = None
    L.append("")
    L.append(f"Chart: `{os.path.relpath(img, os.path.dirname(os.path.dirname(os.path.abspath(a.out)))) if img else 'none (no data or gnuplot failed)'}`; console logs: `{a.dir}`.")
    text = "\n".join(L) + "\n"
    with open(a.out + ".md", "w") as fh:
        fh.write(text)
    print(text)
    print(f"# wrote {a.out}.md{', ' + img if img else ''}", file=sys.stderr)
    return 0 if jobs else 1


if __name__ == "__main__":
    sys.exit(main())
