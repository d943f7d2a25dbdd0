# SPDX-License-Identifier: GPL-2.0
"""What tools/bench/bench-report.py and bench-counts.py share: the fio jobs in
table order and the "# bench: {json}" records tools/bench/guest/bench.sh
prints on the guest console."""

import json
import statistics

JOB_ORDER = ["randread4k_qd1", "randread4k_qd32x2", "randwrite4k_qd32",
             "seqread128k_qd8", "seqwrite128k_qd8", "flush4k_qd1"]

MARK = "# bench: "


def bench_records(path, mark=MARK):
    """(record, None) for each "MARK{json}" line of the console log PATH,
    or (None, reason) for one that does not parse"""
    with open(path, errors="replace") as fh:
        for line in fh:
            i = line.find(mark + "{")
            if i < 0:
                continue
            try:
                yield json.loads(line[i + len(mark):].strip()), None
            except ValueError as e:
                yield None, f"unparsable line: {e}"


def med(xs):
    """the median of XS, NaNs left out (NaN if none is left)"""
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def fmt(x, nd=None):
    """X with thousands separators and NDIGITS decimals (by size if None)"""
    if x != x:
        return "n/a"
    if nd is None:
        nd = 0 if abs(x) >= 100 else 1 if abs(x) >= 10 else 2
    return f"{x:,.{nd}f}"


def rng(xs, nd=None):
    """"median (min–max)" of XS, NaNs left out"""
    xs = [x for x in xs if x == x]
    if not xs:
        return "n/a"
    if len(xs) == 1:
        return fmt(xs[0], nd)
    return f"{fmt(med(xs), nd)} ({fmt(min(xs), nd)}–{fmt(max(xs), nd)})"
