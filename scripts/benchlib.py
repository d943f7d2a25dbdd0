# SPDX-License-Identifier: GPL-2.0
"""What scripts/bench-report.py and bench-counts.py share: the fio jobs in
table order and the "# bench: {json}" records selftests/bench/bench.sh
prints on the guest console."""

import json

JOB_ORDER = ["randread4k_qd1", "randread4k_qd32x2", "randwrite4k_qd32",
             "seqread128k_qd8", "seqwrite128k_qd8", "flush4k_qd1"]

MARK = "# bench: "


def bench_records(path):
    """(record, None) for each bench line of the console log PATH, or
    (None, reason) for one that does not parse"""
    with open(path, errors="replace") as fh:
        for line in fh:
            i = line.find(MARK + "{")
            if i < 0:
                continue
            try:
                yield json.loads(line[i + len(MARK):].strip()), None
            except ValueError as e:
                yield None, f"unparsable line: {e}"
