#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qmp-agent.py [--from OFFSET] LOG SOCKET [REPLY]: let the guest drive
QEMU's monitor.

Follows the guest console log; each line "# rig: qmp {json}" the guest
prints is sent as a QMP command to SOCKET, and the reply is written to
LOG.qmp (one line per command).  The guest then watches for the effect
(a new disk size, a throttled device).  Ends when QEMU closes the socket.

A line "# rig: qmp? {json}" asks for the reply too: it goes to REPLY, the
host end of a virtio-serial port the guest reads (QEMU's socket chardev),
flattened to one "path=value" line per member (return.0.device=d0,
return.0.stats.flush_operations=3, ...) and a last line "end", which a
shell reads without a JSON parser.

A line "# rig: host WORD" runs the lane's host hook (the executable
RIG_HOST_HOOK names, with WORD as its argument; at most 60 s) and logs
its exit status to LOG.qmp: what a lane lets its guest do on the host,
such as killing and restarting the daemon that serves a disk.

--from OFFSET starts reading LOG at byte OFFSET: a guest restored from a
snapshot in a new QEMU process goes on in the same log, and the agent of
that process must not send the commands of the lines before again.

A guest cannot ask for anything while QEMU has paused it, as it does on
an I/O error with rerror/werror=stop: on such a BLOCK_IO_ERROR event the
agent waits a second and sends "cont" itself (QEMU then retries the
request), and logs "auto-cont DEVICE OPERATION" to LOG.qmp.
"""
import json
import os
import select
import socket
import subprocess
import sys
import time

MARK = "# rig: qmp "
ASK = "# rig: qmp? "
HOST = "# rig: host "


def host_hook(word, mon):
    """run the lane's host hook with WORD; its exit status goes to the log"""
    hook = os.environ.get("RIG_HOST_HOOK")
    if not hook:
        mon.log("host %s: this lane has no host hook" % word)
        return
    try:
        rc = subprocess.run([hook, word], timeout=60, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    mon.log("host %s: %s" % (word, rc))


def connect(path, deadline):
    while time.time() < deadline:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            time.sleep(0.1)
    sys.exit("qmp-agent: no QMP socket at %s" % path)


class Monitor:
    """QMP over SOCK, with our own line buffer so that events which arrive
    between commands are seen (a file object's buffer would hide them
    from select)."""

    def __init__(self, sock, out):
        self.sock, self.out, self.buf = sock, out, b""
        self.closed = False

    def _line(self, block):
        while b"\n" not in self.buf:
            if not block and not select.select([self.sock], [], [], 0)[0]:
                return None
            data = self.sock.recv(65536)
            if not data:
                self.closed = True
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def _event(self, msg):
        if msg.get("event") != "BLOCK_IO_ERROR":
            return
        data = msg.get("data", {})
        if data.get("action") != "stop":
            return
        time.sleep(1)
        self.command({"execute": "cont"}, log=False)
        self.log("auto-cont %s %s" % (data.get("device") or data.get("node-name"),
                                      data.get("operation")))

    def log(self, text):
        if self.out:
            self.out.write(text + "\n")
            self.out.flush()

    def command(self, cmd, log=True):
        self.sock.sendall(json.dumps(cmd).encode() + b"\n")
        while True:
            msg = self._line(True)
            if msg is None:
                return {"error": "QEMU closed the monitor"}
            if "event" in msg:
                self._event(msg)
                continue
            if log:
                self.log(json.dumps(msg))
            return msg

    def poll(self):
        """Handle the events that have arrived; False once QEMU is gone."""
        while not self.closed:
            msg = self._line(False)
            if msg is None:
                break
            if "event" in msg:
                self._event(msg)
        return not self.closed


def flatten(prefix, value, out):
    """The members of VALUE as "path=value" lines in OUT."""
    if isinstance(value, dict):
        for key, member in value.items():
            flatten(prefix + "." + key if prefix else key, member, out)
    elif isinstance(value, list):
        for i, member in enumerate(value):
            flatten("%s.%d" % (prefix, i), member, out)
    else:
        out.append("%s=%s" % (prefix, json.dumps(value) if isinstance(value, str) else value))


class Reply:
    """The guest's reply port.  Connected at start: a guest reading the
    port while no host is connected gets end of file at once."""

    def __init__(self, path):
        self.path, self.sock = path, None
        if path:
            try:
                self.sock = connect(path, time.time() + 10)
            except SystemExit as err:
                print(err, file=sys.stderr)

    def send(self, msg):
        if not self.sock:
            return
        lines = []
        flatten("", msg, lines)
        self.sock.sendall(("\n".join(lines + ["end"]) + "\n").encode())



def first_json(text, mon):
    """the JSON object at the start of TEXT: a console line can carry more
    after it (a guest restored from a snapshot goes on mid-line)"""
    try:
        obj, end = json.JSONDecoder().raw_decode(text.strip())
    except ValueError as e:
        mon.log("not JSON, ignored: %r (%s)" % (text, e))
        return None
    if text.strip()[end:]:
        mon.log("after the JSON, ignored: %r" % text.strip()[end:])
    return obj


def main():
    args, start = sys.argv[1:], 0
    if args[:1] == ["--from"]:
        start, args = int(args[1]), args[2:]
    log, path = args[0], args[1]
    sock = connect(path, time.time() + 60)
    reply = Reply(args[2] if len(args) > 2 else None)
    mon = Monitor(sock, None)
    mon._line(True)  # greeting
    mon.command({"execute": "qmp_capabilities"})
    while not os.path.exists(log):
        time.sleep(0.1)
    mon.out = open(log + ".qmp", "a")
    with open(log, errors="replace") as con:
        con.seek(start)
        buf = ""
        while True:
            if not mon.poll():
                return
            chunk = con.read()
            if not chunk:
                time.sleep(0.05)
                continue
            buf += chunk
            *lines, buf = buf.split("\n")
            for line in lines:
                line = line.strip("\r")
                if line.startswith(MARK):
                    mon.command(first_json(line[len(MARK):], mon))
                elif line.startswith(ASK):
                    reply.send(mon.command(first_json(line[len(ASK):], mon)))
                elif line.startswith(HOST):
                    host_hook(line[len(HOST):].strip(), mon)
                    # a hook may end QEMU (snapshot): send nothing after
                    if not mon.poll():
                        return


if __name__ == "__main__":
    main()
