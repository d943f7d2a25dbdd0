#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""crash-verify.py: the host half of the crash-consistency lane.

    crash-verify.py --console LOG --work DIR [--marks K] [--records N]
                    --case NAME:IMAGE:WRITELOG ...
    crash-verify.py selftest

NAME is FS-CACHE as in selftests/system/t_crash.sh ("ext4-wb", "raw-wt", ...).
WRITELOG is the disk's blklogwrites log (tools/check/logwrites-replay.py says
what is in one), the console LOG holds the guest's "# crash: ack" lines.
Prints "pass|fail|skip<TAB>crash.FS.CACHE.check<TAB>detail" lines.

Which records must be on the disk at a flush mark M
---------------------------------------------------
The guest cannot see the log, so it cannot say which flush entry belongs
to which fsync.  The records say it instead: each record carries "acked",
the number of records whose sync had returned when it was written (the
workload is sequential, so ids 0..acked-1).  If the write of a record R
is in the log at or before M, then R was submitted before M, and every
record acked before R was written had completed its sync -- its data write
and its flush (or its FUA write) -- before R was even submitted.  QEMU logs
a request when it completes, so those writes are earlier in the log than
R's, hence before M: replaying to M must show them, intact.

    required(M) = { 0 .. A-1 },  A = max "acked" of the records written
                                     at entries <= M

This is conservative: the record acked last before M's flush, if nothing
was written after it, is not required at M.  Two more checks close that:
  - flush_after_each_record: between a record's last data write and the
    next record's first one there is a FLUSH entry (the last record: before
    the end of the log).  The guest wrote the next record only after the
    sync returned, so a driver that completed a sync without the flush (or
    FUA write) reaching the device shows up here.  (An fsync that flushed
    only after returning would still pass; the log cannot tell that apart.)
  - final_all_acked: at the last mark, every record the console says was
    acked is there.
And slots the rule does not require must hold a valid record or nothing:
a torn or foreign record fails (records_intact).

QEMU's FUA quirk (logwrites-replay.py's header): a FUA write right after
a flush gets no flush entry of its own; ext4's journal commit block is
such a write (a preflush, then the block with FUA), so a commit is only
covered by the next flush in the log.  The rule above rests on log order
alone, not on where flushes sit, so it holds regardless; the flush check
holds too, as each record's data write comes before the preflush of its
commit.  In write-through mode only QEMU's FUA emulation flushes: the raw
workload writes and syncs a header block first, or its first record would
be a FUA write after no write at all and have no flush after it.

Replays: every mark of a raw disk (cheap, in memory); for ext4 every mark
from the first record write on (before it mkfs may still be running and
the file system is not whole), or with --marks K, K of them evenly spaced,
always with the last.  Each ext4 image gets "e2fsck -fy -E journal_only"
(the journal replay a mount would do), "e2fsck -fn" (must be clean) and
"debugfs cat /records".

The whole log replayed must equal the image QEMU left (replay_matches_image):
the parser reads what blklogwrites wrote, no entry missed or misplaced.

Negative control: per disk, a replay at a mark where record A-1 is
required, with that record's data write(s) dropped from the log, must
report it lost; otherwise the checker is blind and the lane fails.
"""
import argparse
import importlib.util
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# the replay tool's file name has a dash: load it by path
_spec = importlib.util.spec_from_file_location(
    "logwrites_replay", os.path.join(HERE, "logwrites-replay.py"))
lw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lw)

REC_SIZE = 4096
REC_MAGIC = b"VMCRASH1"
HDR_MAGIC = b"VMCRASHH"
M64 = (1 << 64) - 1


# -- the record format of selftests/system/crash_wl.c ------------------------

def fnv1a(buf):
    h = 0xcbf29ce484222325
    for b in buf:
        h = ((h ^ b) * 0x100000001b3) & M64
    return h


def mix64(x):
    x ^= x >> 30
    x = (x * 0xbf58476d1ce4e5b9) & M64
    x ^= x >> 27
    x = (x * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def make_record(tag, rid, acked):
    """The record crash_wl writes, byte for byte (the self-test and the
    intact check both need it)."""
    s = mix64(tag ^ mix64(rid + 1)) | 1
    words = []
    for _ in range((REC_SIZE - 40) // 8):
        s ^= (s << 13) & M64
        s ^= s >> 7
        s ^= (s << 17) & M64
        words.append(s)
    body = REC_MAGIC + struct.pack("<QQQ", tag, rid, acked) + \
        struct.pack("<%dQ" % len(words), *words)
    return body + struct.pack("<Q", fnv1a(body))


_expected = {}


def expected_record(tag, rid):
    # the workload writes record i with acked = i
    key = (tag, rid)
    if key not in _expected:
        _expected[key] = make_record(tag, rid, rid)
    return _expected[key]


def slot_state(buf, tag, rid):
    """'ok' if buf holds record rid exactly, 'empty' if all zero (or
    missing), else 'bad'."""
    if len(buf) < REC_SIZE:
        return "empty" if not any(buf) else "bad"
    if buf == expected_record(tag, rid):
        return "ok"
    return "empty" if not any(buf) else "bad"


def records_in_entry(e, tag):
    """(id, acked) of every record of this run an entry's data holds; a
    record starts on a sector boundary of the data."""
    out = []
    data = e.data
    key = REC_MAGIC + struct.pack("<Q", tag)
    raw = bytes(data)
    pos = raw.find(key)
    while pos >= 0:
        if pos % 512 == 0 and pos + REC_SIZE <= len(raw):
            rid, acked = struct.unpack_from("<QQ", raw, pos + 16)
            out.append((rid, acked))
        pos = raw.find(key, pos + 1)
    return out


# -- one disk ---------------------------------------------------------------

class Case:
    def __init__(self, name, image, wlog, tag, acks, done, nrec):
        self.name = name
        self.fs, self.cache = name.split("-", 1)
        self.image, self.wlog = image, wlog
        self.tag, self.acks, self.done, self.nrec = tag, acks, done, nrec
        self.results = []
        self.marks_total = 0
        self.replayed = 0
        self.verified = 0
        self.lost = 0

    def emit(self, status, check, detail=""):
        self.results.append((status, "crash.%s.%s.%s" %
                             (self.fs, self.cache, check), detail))


def parse_console(path):
    """tag, acked ids and done count per case, from the console log; the
    forced resets and requeued requests t_crash counted, per case."""
    cases = {}
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    for line in text.splitlines():
        m = re.match(r"# crash: recovery (\S+) resets (\d+) requeued (\d+)\s*$",
                     line.strip())
        if m:
            c = cases.setdefault(m.group(1), {"tag": None, "acks": [],
                                              "done": None})
            c["resets"] = (int(m.group(2)), int(m.group(3)))
            continue
        m = re.match(r"# crash: (begin|ack|done) (\S+) (?:tag )?([0-9a-f]+)\s*$",
                     line.strip())
        if not m:
            continue
        what, name, val = m.groups()
        c = cases.setdefault(name, {"tag": None, "acks": [], "done": None})
        if what == "begin":
            c["tag"] = int(val, 16)
        elif what == "ack":
            c["acks"].append(int(val))
        else:
            c["done"] = int(val)
    return cases


def scan_log(log, tag):
    """Where each record was written: {id: [entry indexes]}, and for each
    entry index the largest "acked" written up to it (a running max)."""
    writes = {}
    acked_upto = []
    acked = 0
    for e in log.entries:
        if e.is_write:
            for rid, a in records_in_entry(e, tag):
                writes.setdefault(rid, []).append(e.index)
                acked = max(acked, a)
        acked_upto.append(acked)
    return writes, acked_upto


def check_flushes(log, writes, nrec):
    """The ids of records with no FLUSH entry between their last write and
    the next record's first write (or the end of the log)."""
    flushes = [e.index for e in log.entries if e.flags & lw.FLUSH]
    missing = []
    for rid in range(nrec):
        if rid not in writes:
            missing.append(rid)
            continue
        last = max(writes[rid])
        nxt = min(writes[rid + 1]) if rid + 1 in writes else len(log.entries)
        if not any(last < f < nxt for f in flushes):
            missing.append(rid)
    return missing


def sample(marks, k):
    """Up to k marks evenly spaced, always with the first and the last;
    k = 0: all of them."""
    if k <= 0 or len(marks) <= k:
        return list(marks)
    picked = {marks[round(i * (len(marks) - 1) / (k - 1))] for i in range(k)}
    return sorted(picked)


def run(cmd, merge=True):
    """rc and output of cmd; debugfs needs its banner (stderr) kept out of
    the file it prints, e2fsck's messages are wanted together."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT if merge else subprocess.DEVNULL)
    return p.returncode, p.stdout


class Verifier:
    """Checks the records of one replayed state; the same code serves the
    real marks and the negative controls."""

    def __init__(self, case, work):
        self.case = case
        self.work = work
        self.fsck_failures = []

    def slots(self, image):
        """Yield (id, buffer) for every record slot of the state, or None
        if the state could not be read (fsck failed, no file)."""
        c = self.case
        if c.fs == "raw":
            data = image.data
            return [(i, bytes(data[REC_SIZE * (i + 1):REC_SIZE * (i + 2)]))
                    for i in range(c.nrec)]
        path = os.path.join(self.work, "%s.img" % c.name)
        image.save(path)
        try:
            # the journal replay a mount would do; 0 or 1 (fixed) is fine
            rc, out = run(["e2fsck", "-fy", "-E", "journal_only", path])
            if rc not in (0, 1):
                self.fsck_failures.append("journal replay rc=%d" % rc)
                return None
            rc, out = run(["e2fsck", "-fn", path])
            if rc != 0:
                last = out.decode(errors="replace").strip().splitlines()[-3:]
                self.fsck_failures.append("e2fsck -fn rc=%d: %s" %
                                          (rc, " / ".join(last)))
                return None
            rc, out = run(["debugfs", "-R", "cat /records", path],
                          merge=False)
            if rc != 0:
                self.fsck_failures.append("debugfs rc=%d" % rc)
                return None
        finally:
            os.unlink(path)
        return [(i, out[REC_SIZE * i:REC_SIZE * (i + 1)])
                for i in range(c.nrec)]

    def check(self, image, required):
        """(present ids, lost ids, bad ids) of a state, or None."""
        slots = self.slots(image)
        if slots is None:
            return None
        present, lost, bad = [], [], []
        for rid, buf in slots:
            st = slot_state(buf, self.case.tag, rid)
            if st == "ok":
                present.append(rid)
            elif rid < required:
                lost.append(rid)
            elif st == "bad":
                bad.append(rid)
        return present, lost, bad


def image_size(case):
    return os.path.getsize(case.image)


def verify_case(c, work, max_marks):
    # what the guest said
    if c.tag is None or c.done != c.nrec or c.acks != list(range(c.nrec)):
        c.emit("fail", "acked", "console: tag %s, %d acks, done %s, want %d" %
               (c.tag, len(c.acks), c.done, c.nrec))
        return
    c.emit("pass", "acked", "%d records acked" % c.nrec)
    try:
        with open(c.wlog, "rb") as f:
            log = lw.Log(f.read(), read_all=True)
    except (OSError, lw.LogError) as e:
        c.emit("fail", "log", str(e))
        return
    marks = log.marks
    c.marks_total = len(marks)
    writes, acked_upto = scan_log(log, c.tag)
    c.emit("pass" if marks else "fail", "log",
           "%d entries, %d flush marks, %d record writes" %
           (len(log.entries), len(marks), sum(map(len, writes.values()))))
    missing = check_flushes(log, writes, c.nrec)
    c.emit("fail" if missing else "pass", "flush_after_each_record",
           "no flush after record(s) %s" % missing[:10] if missing else
           "%d records, each followed by a flush" % c.nrec)
    if not marks or not writes:
        return

    first_write = min(min(v) for v in writes.values())
    if c.fs == "raw":
        chosen = marks
        how = "all"
    else:
        eligible = [m for m in marks if m > first_write]
        chosen = sample(eligible, max_marks)
        how = "%s from the first record write on" % (
            "all" if len(chosen) == len(eligible) else "evenly spaced")
    if marks[-1] not in chosen:
        chosen.append(marks[-1])
    v = Verifier(c, work)
    lost_at, bad_at, present_counts = [], [], []
    final_missing = None
    img = lw.Image(size=image_size(c))

    def at_mark(m):
        required = acked_upto[m]
        res = v.check(img, required)
        c.replayed += 1
        if res is None:
            return
        present, lost, bad = res
        c.verified += required
        c.lost += len(lost)
        present_counts.append(len(present))
        if lost:
            lost_at.append((m, lost))
        if bad:
            bad_at.append((m, bad))
        if m == marks[-1]:
            nonlocal final_missing
            final_missing = sorted(set(c.acks) - set(present))
    lw.replay(log, img, chosen, on_mark=at_mark)
    # the parser's own check: the whole log replayed must give back the
    # image QEMU wrote (the state at the last mark plus anything after it)
    for e in log.entries[marks[-1] + 1:]:
        img.apply(e, log.sector_size)
    with open(c.image, "rb") as f:
        same = f.read() == img.data
    c.emit("pass" if same else "fail", "replay_matches_image",
           "the whole log replayed equals the disk image" if same else
           "the whole log replayed differs from %s" % c.image)

    c.emit("pass", "marks_replayed", "%d of %d marks (%s)" %
           (c.replayed, len(marks), how))
    if c.fs == "ext4":
        c.emit("fail" if v.fsck_failures else "pass", "fsck_clean",
               "%d of %d: %s" % (len(v.fsck_failures), c.replayed,
                                 v.fsck_failures[0]) if v.fsck_failures else
               "journal replay + e2fsck -fn clean at %d marks" % c.replayed)
    c.emit("fail" if lost_at else "pass", "records_durable",
           "lost at mark %d: %s" % (lost_at[0][0], lost_at[0][1][:10])
           if lost_at else "%d required-record checks, 0 lost" % c.verified)
    c.emit("fail" if bad_at else "pass", "records_intact",
           "torn/foreign at mark %d: %s" % (bad_at[0][0], bad_at[0][1][:10])
           if bad_at else "no torn or foreign record in any slot")
    c.emit("pass" if final_missing == [] else "fail", "final_all_acked",
           "all %d acked records at the last mark" % c.nrec
           if final_missing == [] else "missing: %s" % (final_missing or
                                                         "state unreadable")[:10])
    # the replays really are earlier states, not the final image each time
    grows = len(present_counts) > 1 and present_counts[0] < present_counts[-1]
    c.emit("pass" if grows else "fail", "replay_progresses",
           "records present go from %d to %d" %
           (present_counts[0], present_counts[-1]) if present_counts else
           "no state could be read")
    negative_control(c, log, writes, acked_upto, chosen, work)


def negative_control(c, log, writes, acked_upto, chosen, work):
    """Lose the newest required record's write at a mid mark: the same
    checks must call it lost."""
    cands = [m for m in chosen if acked_upto[m] >= 2]
    if not cands:
        c.emit("fail", "negative_control", "no mark with 2 required records")
        return
    m = cands[len(cands) // 2]
    victim = acked_upto[m] - 1
    drop = [i for i in writes.get(victim, []) if i <= m]
    img = lw.Image(size=image_size(c))
    res = []
    lw.replay(log, img, [m], drop=drop,
              on_mark=lambda _: res.append(Verifier(c, work).check(
                  img, acked_upto[m])))
    r = res[0]
    seen = r is not None and victim in r[1]
    c.emit("pass" if seen else "fail", "negative_control",
           "mark %d without entry %s: record %d reported lost" %
           (m, drop, victim) if seen else
           "mark %d without entry %s: record %d NOT reported lost (%s)" %
           (m, drop, victim, "unreadable" if r is None else "checker blind"))


def main_check(args):
    cons = parse_console(args.console)
    os.makedirs(args.work, exist_ok=True)
    cases = []
    for spec in args.case:
        name, image, wlog = spec.split(":", 2)
        g = cons.get(name, {"tag": None, "acks": [], "done": None})
        c = Case(name, image, wlog, g["tag"], g["acks"], g["done"],
                 args.records)
        verify_case(c, args.work, args.marks)
        cases.append(c)
        for r in c.results:
            print("\t".join(r))
        sys.stdout.flush()
    lost = sum(c.lost for c in cases)
    resets = [cons.get(c.name, {}).get("resets") for c in cases]
    resets = [r for r in resets if r]
    across = ""
    if resets:
        across = " (across %d device resets, %d requests sent again)" % (
            sum(r[0] for r in resets), sum(r[1] for r in resets))
    print("%s\tcrash.summary\t%d disks, %d records acked%s: %d marks in "
          "the logs, %d replayed, %d required-record checks, %d lost" %
          ("pass" if not lost and all(c.replayed for c in cases) else "fail",
           len(cases), sum(len(c.acks) for c in cases), across,
           sum(c.marks_total for c in cases),
           sum(c.replayed for c in cases), sum(c.verified for c in cases),
           lost))
    return 0


# -- self-test: synthetic raw logs, good and broken ------------------------

def selftest():
    """A raw case built in memory must pass, and each planted fault (a lost
    write, a missing flush, a torn record, an image the log does not
    explain) must be caught."""
    tag, n = 0x1234567890abcdef | 1, 6
    ok = True

    def build(skip_write=None, skip_flush=None, torn=None):
        w = lw.LogWriter(512)
        hdr = HDR_MAGIC + struct.pack("<Q", tag)
        w.write(0, hdr + bytes(REC_SIZE - len(hdr)))
        w.flush()
        for i in range(n):
            rec = make_record(tag, i, i)
            if torn == i:
                rec = rec[:2048] + bytes(2048)
            if skip_write != i:
                w.write(REC_SIZE * (i + 1), rec)
            if skip_flush != i:
                w.flush()
        return w.bytes()

    def verdicts(blob, flip=None):
        with tempfile.TemporaryDirectory() as d:
            img, logf = os.path.join(d, "raw-wb.img"), os.path.join(d, "l")
            with open(logf, "wb") as f:
                f.write(blob)
            # the disk as QEMU would have left it: the whole log applied
            final = lw.Image(size=REC_SIZE * (n + 2))
            parsed = lw.Log(blob, read_all=True)
            for e in parsed.entries:
                final.apply(e, parsed.sector_size)
            if flip is not None:
                final.data[flip] ^= 0xff
            final.save(img)
            c = Case("raw-wb", img, logf, tag, list(range(n)), n, n)
            verify_case(c, d, 40)
        return {r[1].split(".")[-1]: r[0] for r in c.results}

    def expect(name, got, fails):
        nonlocal ok
        bad = sorted(k for k, s in got.items() if s == "fail")
        good = bad == sorted(fails)
        print("%s %s: failing checks %s" % ("ok" if good else "FAIL", name,
                                            bad or "none"))
        ok = ok and good

    expect("clean log", verdicts(build()), [])
    # record 2's write never reached the log: required once record 3 is
    # there, so records_durable fails; final_all_acked and the flush check
    # (no write to follow) too; the negative control may pick any mark
    got = verdicts(build(skip_write=2))
    expect("lost write of record 2", {k: got[k] for k in
           ("records_durable", "final_all_acked")},
           ["records_durable", "final_all_acked"])
    expect("no flush after record 3",
           {"flush_after_each_record":
            verdicts(build(skip_flush=3))["flush_after_each_record"]},
           ["flush_after_each_record"])
    # a torn record 4 (half its bytes) is required once 5 is written
    got = verdicts(build(torn=4))
    expect("torn record 4", {k: got[k] for k in ("records_durable",)},
           ["records_durable"])
    # the replay must account for every byte of the image QEMU left
    expect("image differs from the log",
           {"replay_matches_image":
            verdicts(build(), flip=REC_SIZE + 100)["replay_matches_image"]},
           ["replay_matches_image"])
    return 0 if ok else 1


def main():
    if sys.argv[1:2] == ["selftest"]:
        return selftest()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--console", required=True)
    ap.add_argument("--work", required=True, help="scratch directory")
    ap.add_argument("--marks", type=int, default=0,
                    help="ext4 marks to replay per disk, 0: all (raw: all)")
    ap.add_argument("--records", type=int, default=100)
    ap.add_argument("--case", action="append", required=True,
                    help="NAME:IMAGE:WRITELOG")
    return main_check(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
