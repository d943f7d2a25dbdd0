#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The device-side failure summary of a make check run, as a Markdown table.

usage: failure-table.py CHECKDIR [LANE...]

Reads the console log of each lane in CHECKDIR (make check's
$CACHE/check; only the LANEs named, if any: a lane's directory stays there
from older runs) whose guest ran t_backend, t_snapshot, t_unplug or
t_diskfull, and prints one row per scenario and lane: whether I/O resumed,
fio's verify errors, the longest stall the guest saw, vblk's resets and the
hung-task warnings, with each case's TAP result.  The figures are the ones
the tests print ("# resumed: ...", "# vblk's counters: ...", ...);
Documentation/recovery.md carries the table of the last run.
"""

import os
import re
import sys

TESTS = ("t_backend", "t_snapshot", "t_unplug", "t_diskfull")


def sections(log):
    """{test: [(result, case, [comment lines])]} from one console log"""
    out, test, notes = {}, None, []
    for line in log.splitlines():
        m = re.match(r"# rig: begin (\S+)", line)
        if m:
            test, notes = m.group(1), []
            if test in TESTS:
                out[test] = []
            continue
        if test not in out:
            continue
        if line.startswith("# rig: end "):
            test = None
            continue
        m = re.match(r"(not ok|ok) \d+ (\S+)(.*)", line)
        if m:
            res = "fail" if m.group(1) == "not ok" else \
                ("skip" if "# SKIP" in m.group(3) else "pass")
            out[test].append((res, m.group(2), notes))
            notes = []
        elif line.startswith("# "):
            notes.append(line[2:])
    return out


def matches(notes, pattern):
    """the match of PATTERN in each note that has one, in order"""
    return [m for m in (re.search(pattern, n) for n in notes) if m]


def find(notes, pattern):
    """the first note's match of PATTERN, or None"""
    got = matches(notes, pattern)
    return got[0] if got else None


def resets(notes, ours):
    """vblk's resets, summed over the rounds"""
    if not ours:
        return "—"
    if not matches(notes, r"vblk's counters:"):
        return "?"
    return str(sum(int(m.group(1)) for m in matches(notes, r"vblk's counters:.*\bresets \+(\d+)")))


def hung(notes):
    got = matches(notes, r"hung-task warnings: (\d+)")
    return str(sum(int(m.group(1)) for m in got)) if got else "?"


def fio_errors(notes, res):
    errs = [int(m.group(1)) for m in matches(notes, r"fio: .*err= *(\d+)")]
    if not errs:
        return "0" if res == "pass" else "?"
    bad = [e for e in errs if e]
    return "0" if not bad else "err=" + ",".join(map(str, bad))


BACKEND_CASES = {
    "restart_1s": "backend killed, back after 1 s",
    "restart_after_timeout": "backend killed, back after 9 s",
    "slow_backend": "backend stopped 5 s",
    "never_restarted": "backend never back",
}


def backend_rows(cases, ours):
    rows = []
    for res, case, notes in cases:
        if case not in BACKEND_CASES:
            continue
        if res == "skip":
            rows.append((BACKEND_CASES[case], res, "not run: " + (
                "no timeout handler, would wait for ever" if not ours else "skipped"),
                "", "", "", ""))
            continue
        if case == "never_restarted":
            m = find(notes, r"fio ended ([\d.]+) s after the backend went")
            r = find(notes, r"serving I/O ([\d.]+) s after the reload")
            resumed = "no: EIO after %s s" % (m.group(1) if m else "?")
            resumed += "; reload serves I/O after %s s" % r.group(1) if r else "; no I/O after the reload"
            rows.append((BACKEND_CASES[case], res, resumed, "—", "—",
                         resets(notes, ours), hung(notes)))
            continue
        # one line a round (make check-long repeats each case)
        got = matches(notes, r"first I/O completed ([\d.]+) s after the backend came back, longest stall ([\d.]+) s")
        lost = any("not resumed" in n for n in notes)
        if got and not lost:
            first = sorted(float(m.group(1)) for m in got)
            span = "%.1f" % first[0] if first[0] == first[-1] else "%.1f–%.1f" % (first[0], first[-1])
            resumed = "yes%s, first I/O %s s after it came back" % (
                " (%d rounds)" % len(got) if len(got) > 1 else "", span)
        else:
            resumed = "no"
        stall = max((float(m.group(2)) for m in got), default=None)
        rows.append((BACKEND_CASES[case], res, resumed, fio_errors(notes, res),
                     "%.1f s" % stall if stall is not None else "—", resets(notes, ours), hung(notes)))
    return rows


def result(cases, name):
    for res, case, notes in cases:
        if case == name:
            return res, notes
    return "missing", []


def failed(cases):
    """the cases that failed, for the row's text"""
    bad = [case for res, case, _ in cases if res == "fail"]
    return "failed: " + ", ".join(bad) if bad else ""


def snapshot_rows(cases, ours):
    _, notes = result(cases, "rounds_verified")
    rounds = matches(notes, r"round \d+: restored after .*longest I/O stall ([\d.]+) s.*fio rc (\d+)")
    stall = max((float(r.group(1)) for r in rounds), default=None)
    bad = sum(1 for r in rounds if r.group(2) != "0")
    nores, _ = result(cases, "no_resets_or_timeouts")
    clean, _ = result(cases, "log_clean")
    if nores != "pass":
        resets = "see log"
    else:
        resets = "0" if ours else "— (none in the log)"
    return [("snapshot and restore under load, %d times" % len(rounds),
             "fail" if failed(cases) else "pass",
             failed(cases) or "yes, every time; synced files intact",
             str(bad), "%.2f s" % stall if stall is not None else "—", resets,
             "0" if clean == "pass" else "see log")]


def unplug_rows(cases, ours):
    res, notes = result(cases, "device_removed")
    m = find(notes, r"gone ([\d.]+) s after device_del")
    other, _ = result(cases, "other_disk_verified")
    reload, _ = result(cases, "driver_reloads")
    cyc, cnotes = result(cases, "replug_cycles")
    c = find(cnotes, r"(\d+) times plugged, written, read back and pulled in ([\d.]+) s")
    worst = "fail" if failed(cases) else "pass"
    what = "gone %s s after device_del, its load ended with EIO, the driver reloads" % (
        m.group(1) if m else "?")
    if c:
        what += "; plugged back, verified and pulled %s times in %s s" % (c.group(1), c.group(2))
    # driver_reloads and replug_cycles read the log for WARN, oops and
    # hung-task warnings
    clean = reload == "pass" and cyc in ("pass", "skip")
    return [("disk unplugged under ext4 + load", worst, failed(cases) or what,
             "0 on the other disks" if other == "pass" else "see log", "—", "—",
             "0" if clean else "see log")]


def diskfull_rows(cases, ours):
    before, _ = result(cases, "data_before_full_reads_back")
    clean, _ = result(cases, "log_clean")
    return [("host disk full under writes", "fail" if failed(cases) else "pass",
             failed(cases) or "writes past full fail with EIO, reads and rewrites in place go on",
             "0: data written before reads back" if before == "pass" else "see log", "—", "—",
             "0" if clean == "pass" else "see log")]


ROWS = {"t_backend": backend_rows, "t_snapshot": snapshot_rows,
        "t_unplug": unplug_rows, "t_diskfull": diskfull_rows}


def main():
    if len(sys.argv) < 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: failure-table.py CHECKDIR [LANE...] (CHECKDIR: make check's $CACHE/check)")
    top = sys.argv[1]
    rows = []
    for lane in sorted(sys.argv[2:] or os.listdir(top)):
        log = os.path.join(top, lane, "console.log")
        if not os.path.isfile(log):
            continue
        with open(log, errors="replace") as f:
            text = f.read()
        secs = sections(text)
        m = re.search(r"# rig: kernel \S+ drivers=(\S+)", text)
        ours = (m.group(1) if m else "") in ("ours", "vblk")
        for test in TESTS:
            if test in secs and any(r != "skip" for r, _, _ in secs[test]):
                for row in ROWS[test](secs[test], ours):
                    rows.append((row[0], lane) + row[1:])
    if not rows:
        sys.exit("failure-table.py: no lane in %s ran a device-side failure test" % top)
    print("| scenario | lane | TAP | resumed | verify errors | longest stall | resets | hung tasks |")
    print("|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r[0], r[1])):
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
