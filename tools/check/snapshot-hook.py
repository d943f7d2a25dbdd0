#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""snapshot-hook.py DIR WORD: the snapshot lanes' host hook (RIG_HOST_HOOK,
run by tools/guest/qmp-agent.py when the guest prints "# rig: host WORD").

WORD "snapshot": pause the guest, its I/O in flight, and save it through
QMP "migrate" to the file DIR/snap (QEMU's "exec:" URI, or "file:" where
QEMU has it, 8.2 and later), wait until the migration completed, write
DIR/respawn (the -incoming URI that loads the file) and quit this QEMU.
run_lane_now (tools/check/check.sh) sees DIR/respawn once QEMU has exited
and starts a new QEMU with the same command line plus -incoming.
The guest is paused first, as Firecracker's snapshots are taken: a live
migration under TCG copied RAM the vCPUs kept writing, and one restored
guest found its memory not as it was ("BUG: Bad rss-counter state").

WORD "resume": run beside the new QEMU (snapshot_respawn starts it): wait
for its monitor, then for the incoming migration to end, and continue the
guest (a guest saved paused is restored paused).  DIR/resume.log says how
long the restore took.

It talks to QEMU on DIR/hook.sock, a second QMP monitor of the lane (the
agent holds the first, and QEMU's QMP socket takes one client at a time).
Each snapshot adds a line to DIR/snap.log: its number, the migration's
total time and QEMU's measured downtime, the file's size.

SNAP_BREAK (the can-fail demonstrations, Documentation/testing.md):
  disk   put the disks back as they were at the first snapshot, as a
         restore onto storage that is not the source's would: the files
         synced since, and fio's blocks, are gone
  stale  every restore loads the first snapshot's file again
"""
import json
import os
import shutil
import socket
import sys
import time


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self._msg()  # greeting
        self.cmd("qmp_capabilities")

    def _msg(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("QEMU closed the monitor")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._msg()
            if "event" in reply:
                continue
            if "error" in reply:
                raise RuntimeError("%s: %s" % (name, reply["error"]))
            return reply.get("return")

    def wait_closed(self, secs):
        """read until QEMU closes the monitor (it is exiting)"""
        self.sock.settimeout(secs)
        try:
            while self.sock.recv(65536):
                pass
        except (OSError, socket.timeout):
            pass


def snapshot(d):
    log = open(os.path.join(d, "snap.log"), "a")
    n = sum(1 for _ in open(os.path.join(d, "snap.log"))) + 1
    q = Qmp(os.path.join(d, "hook.sock"))
    ver = q.cmd("query-version")["qemu"]
    snap = os.path.join(d, "snap")
    if os.path.exists(snap):
        os.unlink(snap)
    if (ver["major"], ver["minor"]) >= (8, 2):
        uri = "file:" + snap
        incoming = uri
    else:
        uri = "exec:cat > " + snap
        incoming = "exec:cat " + snap
    # no bandwidth cap (QEMU's default throttles to 128 MiB/s or less): the
    # file is local, and the sooner the copy ends the less RAM is sent twice
    q.cmd("migrate-set-parameters", **{"max-bandwidth": 1 << 40})
    t0 = time.time()
    q.cmd("stop")
    q.cmd("migrate", uri=uri)
    while True:
        info = q.cmd("query-migrate")
        status = info.get("status")
        if status == "completed":
            break
        if status in ("failed", "cancelled") or time.time() - t0 > 120:
            raise RuntimeError("migration %s: %s" % (status, info.get("error-desc", "timed out")))
        time.sleep(0.05)
    total = time.time() - t0
    brk = os.environ.get("SNAP_BREAK", "")
    if brk == "stale" and n == 1:
        shutil.copy(snap, snap + ".1")
    if brk == "stale":
        shutil.copy(snap + ".1", snap)
    if brk == "disk":
        for img in ("fs.img", "scratch.img"):
            path = os.path.join(d, img)
            if n == 1:
                shutil.copy(path, path + ".1")
            else:
                shutil.copy(path + ".1", path)
    log.write("snapshot %d: %s, %.2f s, downtime %s ms, %d bytes\n" %
              (n, uri.split(":")[0], total, info.get("downtime", "?"), os.path.getsize(snap)))
    log.close()
    with open(os.path.join(d, "respawn"), "w") as f:
        f.write(incoming + "\n")
    q.cmd("quit")
    q.wait_closed(30)


def resume(d, secs=600):
    """continue the restored guest once its incoming migration is done"""
    t0 = time.time()
    q = None
    while q is None:
        try:
            q = Qmp(os.path.join(d, "hook.sock"))
        except (OSError, EOFError):
            if time.time() - t0 > secs:
                raise RuntimeError("no monitor of the restored QEMU after %d s" % secs)
            time.sleep(0.2)
    while True:
        status = q.cmd("query-status")["status"]
        if status == "running":
            break
        if status in ("paused", "postmigrate"):
            q.cmd("cont")
            break
        if status != "inmigrate" or time.time() - t0 > secs:
            raise RuntimeError("restored QEMU is '%s' after %.0f s" % (status, time.time() - t0))
        time.sleep(0.1)
    with open(os.path.join(d, "resume.log"), "a") as f:
        f.write("resumed: %s, %.2f s after QEMU started\n" % (status, time.time() - t0))


def main():
    d, word = sys.argv[1], sys.argv[2]
    if word not in ("snapshot", "resume"):
        sys.exit("snapshot-hook.py: unknown word '%s'" % word)
    try:
        if word == "resume":
            resume(d)
            return
        snapshot(d)
    except (OSError, RuntimeError, EOFError) as err:
        with open(os.path.join(d, "snap.log"), "a") as f:
            f.write("snapshot failed: %s\n" % err)
        sys.exit(1)


if __name__ == "__main__":
    main()
