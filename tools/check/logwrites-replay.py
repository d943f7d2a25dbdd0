#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""logwrites-replay.py: read a dm-log-writes log as QEMU's blklogwrites
block driver writes it, and rebuild the disk as it stood at a flush mark.

    logwrites-replay.py list LOG                 super block, entries, marks
    logwrites-replay.py replay LOG --size BYTES|--base IMG --mark N[,N...]
                        -o OUT [--drop ENTRY,...] [--all]
    logwrites-replay.py selftest                 synthetic logs, no files

What QEMU 7.2's blklogwrites records (read in block/blklogwrites.c and
confirmed with qemu-io on this host; the notes matter for a replay):

- Log sector 0 is the super block: magic, version, nr_entries, sector
  size (the log-sector-size option, 512 unless told).  Then one entry per
  request: a 32-byte header (sector, nr_sectors, flags, data_len) padded
  to one log sector, followed by the written data, nr_sectors log sectors.
  Entry sector numbers count log sectors, not 512-byte units.
- Entries are appended when the request has completed on the image file,
  so the log's order is the order in which requests completed.  A request
  the guest saw complete before it issued another one is earlier in the
  log than that one.
- A flush is an entry with the FLUSH flag, sector 0, no data.
- Writes with FUA are NOT flagged: blklogwrites does not claim FUA support,
  so QEMU's block layer turns a FUA write into a plain write followed by a
  flush, which appears as a FLUSH entry after it -- except when nothing was
  written since the last flush (QEMU compares write generations before it
  counts the FUA write itself), where no flush entry follows at all.  This
  is why the mark of a FUA write can be the *next* flush in the log.
  The guest's write-through mode (QEMU's write cache off) makes every write
  FUA this way.
- Write-zeroes is a plain entry (flags 0) whose data is zeroes; discard is
  a DISCARD entry with nr_sectors set and no data in the log.
- MARK entries never come from QEMU (dm-log-writes' user marks); they are
  parsed (data_len bytes of name) and otherwise ignored.
- nr_entries in the super block is only rewritten after a flush entry (and
  every log-super-update-interval entries, 4096 by default), so entries
  after the last flush can be in the file but not counted.  --all reads on
  past nr_entries while the headers make sense.
- A new log (log-append off) is written from sector 1 over whatever the
  file held: give QEMU an empty log file, or --all may read stale entries.

A "mark" is the index of an entry with the FLUSH or FUA flag.  Replaying to
mark N applies entries 0..N: every write the device had completed before
that flush completed, the state a crash right after it must at least
preserve.  Discarded ranges are replayed as zeroes (QEMU's file driver
punches holes).
"""
import argparse
import os
import signal
import struct
import sys

MAGIC = 0x6a736677736872
VERSION = 1
FLUSH, FUA, DISCARD, MARK = 1, 2, 4, 8
KNOWN_FLAGS = FLUSH | FUA | DISCARD | MARK | 16  # 16: dm's METADATA
SUPER = struct.Struct("<QQQI")
ENTRY = struct.Struct("<QQQQ")


class LogError(Exception):
    pass


class Entry:
    """One log entry; data is a memoryview into the log (no copies)."""
    __slots__ = ("index", "sector", "nr_sectors", "flags", "data_len",
                 "log_offset", "data")

    def __repr__(self):
        return ("Entry(%d, sector=%d, nr=%d, flags=%s)" %
                (self.index, self.sector, self.nr_sectors,
                 flag_names(self.flags)))

    @property
    def is_mark(self):
        return bool(self.flags & (FLUSH | FUA))

    @property
    def is_write(self):
        return not self.flags & (DISCARD | MARK) and self.nr_sectors > 0


def flag_names(flags):
    names = [n for b, n in ((FLUSH, "FLUSH"), (FUA, "FUA"),
                            (DISCARD, "DISCARD"), (MARK, "MARK"),
                            (16, "METADATA")) if flags & b]
    return "|".join(names) or "-"


class Log:
    """A parsed log: sector size, the super's count, the entries."""

    def __init__(self, buf, read_all=False):
        self.buf = memoryview(buf)
        if len(buf) < SUPER.size:
            raise LogError("log too short for a super block")
        magic, version, nr, ssize = SUPER.unpack_from(buf, 0)
        if magic != MAGIC:
            raise LogError("bad super block magic %#x" % magic)
        if version != VERSION:
            raise LogError("unsupported log version %d" % version)
        if ssize < ENTRY.size or ssize & (ssize - 1):
            raise LogError("bad log sector size %d" % ssize)
        self.sector_size = ssize
        self.super_entries = nr
        self.entries = []
        self._parse(read_all)

    def _parse(self, read_all):
        ss = self.sector_size
        off = ss  # the super block takes log sector 0
        idx = 0
        while read_all or idx < self.super_entries:
            if off + ss > len(self.buf):
                if idx < self.super_entries:
                    raise LogError("log ends inside entry %d of %d" %
                                   (idx, self.super_entries))
                break
            sector, nr, flags, dlen = ENTRY.unpack_from(self.buf, off)
            if flags & ~KNOWN_FLAGS:
                if idx < self.super_entries:
                    raise LogError("entry %d: unknown flags %#x" % (idx, flags))
                break  # past the counted entries: stale or never written
            e = Entry()
            e.index, e.sector, e.nr_sectors = idx, sector, nr
            e.flags, e.data_len, e.log_offset = flags, dlen, off
            off += ss
            # how much follows the header: a mark's name, a write's data,
            # nothing for a flush or a discard
            if flags & MARK or dlen:
                size = (dlen + ss - 1) // ss * ss
            elif flags & DISCARD:
                size = 0
            else:
                size = nr * ss
            if off + size > len(self.buf):
                if idx < self.super_entries:
                    raise LogError("entry %d: data runs past the log" % idx)
                break
            e.data = self.buf[off:off + size] if e.is_write else None
            off += size
            # an uncounted entry must look like a real one, or it is junk
            # left in the file (all-zero headers are the usual end)
            if idx >= self.super_entries and not flags and not nr:
                break
            self.entries.append(e)
            idx += 1
        self.end_offset = off

    @property
    def marks(self):
        return [e.index for e in self.entries if e.is_mark]


class Image:
    """The disk being rebuilt, in memory."""

    def __init__(self, size=None, base=None):
        if base is not None:
            with open(base, "rb") as f:
                self.data = bytearray(f.read())
        else:
            self.data = bytearray(size)

    def apply(self, e, sector_size, discard_zero=True):
        off = e.sector * sector_size
        if e.is_write:
            n = len(e.data)
            if off + n > len(self.data):
                raise LogError("entry %d writes past the end of the disk" %
                               e.index)
            self.data[off:off + n] = e.data
        elif e.flags & DISCARD and discard_zero:
            n = e.nr_sectors * sector_size
            self.data[off:off + n] = bytes(min(n, len(self.data) - off))

    def save(self, path):
        """Write the image sparse: all-zero chunks become holes, so a
        sampled replay of a mostly empty disk costs little space."""
        chunk = 65536
        zero = bytes(chunk)
        with open(path, "wb") as f:
            view = memoryview(self.data)
            for off in range(0, len(self.data), chunk):
                piece = view[off:off + chunk]
                if piece == zero[:len(piece)]:
                    f.seek(len(piece), os.SEEK_CUR)
                else:
                    f.write(piece)
            f.truncate(len(self.data))


def replay(log, image, marks, drop=(), on_mark=None):
    """Apply the log to image, calling on_mark(index) after each mark in
    marks (sorted ascending) is applied; entries in drop are skipped (the
    negative controls use that to lose a write on purpose)."""
    want = sorted(set(marks))
    for m in want:
        if m >= len(log.entries) or not log.entries[m].is_mark:
            raise LogError("entry %d is not a flush mark" % m)
    drop = set(drop)
    i = 0
    for e in log.entries:
        if i == len(want):
            break
        if e.index not in drop:
            image.apply(e, log.sector_size)
        if e.index == want[i]:
            if on_mark:
                on_mark(e.index)
            i += 1


# -- a writer, for the self-tests (and for anyone's synthetic logs) --------

class LogWriter:
    """Builds a log in memory the way blklogwrites lays it out."""

    def __init__(self, sector_size=512):
        self.ss = sector_size
        self.body = bytearray()
        self.count = 0
        self.counted = 0  # what the super says: updated on flushes only

    def _entry(self, sector, nr, flags, data=b""):
        hdr = ENTRY.pack(sector, nr, flags, 0)
        self.body += hdr + bytes(self.ss - len(hdr)) + data
        self.count += 1
        if flags & FLUSH:
            self.counted = self.count

    def write(self, offset, data):
        assert offset % self.ss == 0 and len(data) % self.ss == 0
        self._entry(offset // self.ss, len(data) // self.ss, 0, data)

    def flush(self):
        self._entry(0, 0, FLUSH)

    def discard(self, offset, length):
        self._entry(offset // self.ss, length // self.ss, DISCARD)

    def bytes(self):
        sup = SUPER.pack(MAGIC, VERSION, self.counted, self.ss)
        return sup + bytes(self.ss - len(sup)) + bytes(self.body)


def selftest():
    """Replay semantics on a synthetic log; exits non-zero on a failure."""
    ok = True

    def check(name, cond):
        nonlocal ok
        print("%s %s" % ("ok" if cond else "FAIL", name))
        ok = ok and cond

    for ss in (512, 4096):
        w = LogWriter(ss)
        a, b, c = b"A" * ss, b"B" * 2 * ss, b"C" * ss
        w.write(0, a)                 # 0
        w.flush()                     # 1: mark
        w.write(ss, b)                # 2
        w.write(0, c)                 # 3: overwrites A
        w.flush()                     # 4: mark
        w.discard(ss, ss)             # 5
        w.flush()                     # 6: mark
        w.write(3 * ss, a)            # 7: after the last flush, uncounted
        log = Log(w.bytes())
        check("ss=%d: super counts up to the last flush" % ss,
              log.super_entries == 7 and len(log.entries) == 7)
        check("ss=%d: --all finds the uncounted write" % ss,
              len(Log(w.bytes(), read_all=True).entries) == 8)
        check("ss=%d: marks" % ss, log.marks == [1, 4, 6])
        states = {}

        def snap(m, img):
            states[m] = bytes(img.data)
        img = Image(size=4 * ss)
        replay(log, img, log.marks, on_mark=lambda m: snap(m, img))
        check("ss=%d: mark 1 has A only" % ss,
              states[1] == a + bytes(3 * ss))
        check("ss=%d: mark 4 has C over A and B" % ss,
              states[4] == c + b + bytes(ss))
        check("ss=%d: mark 6 has the discard as zeroes" % ss,
              states[6] == c + bytes(ss) + b"B" * ss + bytes(ss))
        img = Image(size=4 * ss)
        replay(log, img, [4], drop=[3])
        check("ss=%d: dropping entry 3 leaves A in place" % ss,
              bytes(img.data[:ss]) == a)
        try:
            replay(log, Image(size=4 * ss), [2])
            check("ss=%d: a write is not a mark" % ss, False)
        except LogError:
            check("ss=%d: a write is not a mark" % ss, True)
    for bad, why in ((b"x" * 512, "bad magic"), (b"", "empty log")):
        try:
            Log(bad)
            check("refuses a log with " + why, False)
        except LogError:
            check("refuses a log with " + why, True)
    return 0 if ok else 1


def read_log(path, read_all):
    with open(path, "rb") as f:
        return Log(f.read(), read_all=read_all)


def int_list(s):
    return [int(x) for x in s.split(",") if x != ""]


def main():
    # "list ... | head" should just stop
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("list", help="super block, entries and marks")
    p.add_argument("log")
    p.add_argument("--all", action="store_true",
                   help="read past the super's nr_entries")
    p.add_argument("--entries", action="store_true", help="every entry")
    p = sub.add_parser("replay", help="rebuild the disk at mark(s)")
    p.add_argument("log")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--size", type=int, help="disk size; starts all zero")
    g.add_argument("--base", help="the disk image before the log began")
    p.add_argument("--mark", required=True, type=str,
                   help="mark(s): entry indexes of flushes, comma separated;"
                        " 'last' for the last one")
    p.add_argument("-o", "--out", required=True,
                   help="output image; with several marks a pattern with"
                        " %%d for the mark")
    p.add_argument("--drop", type=int_list, default=[],
                   help="entries to leave out (negative controls)")
    p.add_argument("--all", action="store_true")
    sub.add_parser("selftest", help="replay a synthetic log")
    args = ap.parse_args()

    if args.cmd == "selftest":
        return selftest()
    try:
        log = read_log(args.log, args.all)
    except (LogError, OSError) as e:
        sys.exit("logwrites-replay: %s: %s" % (args.log, e))
    if args.cmd == "list":
        extra = len(log.entries) - log.super_entries
        print("sector_size %d" % log.sector_size)
        print("entries %d (super block: %d%s)" %
              (len(log.entries), log.super_entries,
               ", %d more after it" % extra if extra > 0 else ""))
        print("marks %d" % len(log.marks))
        for e in log.entries:
            if args.entries or e.is_mark:
                print("%d\t%s\tsector %d\tnr %d" %
                      (e.index, flag_names(e.flags), e.sector, e.nr_sectors))
        return 0
    # replay
    marks = []
    for m in args.mark.split(","):
        marks.append(log.marks[-1] if m == "last" else int(m))
    if len(marks) > 1 and "%d" not in args.out:
        sys.exit("logwrites-replay: several marks need %d in -o")
    img = Image(size=args.size, base=args.base)
    try:
        replay(log, img, marks, drop=args.drop,
               on_mark=lambda m: img.save(args.out.replace("%d", str(m))))
    except LogError as e:
        sys.exit("logwrites-replay: %s" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
