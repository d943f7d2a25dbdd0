#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qmp-agent.py LOG SOCKET: let the guest drive QEMU's monitor.

Follows the guest console log; each line "# rig: qmp {json}" the guest
prints is sent as a QMP command to SOCKET, and the reply is written to
LOG.qmp (one line per command).  The guest then watches for the effect
(a new disk size, a throttled device).  Ends when QEMU closes the socket.
"""
import json
import os
import socket
import sys
import time

MARK = "# rig: qmp "


def connect(path, deadline):
    while time.time() < deadline:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            time.sleep(0.1)
    sys.exit("qmp-agent: no QMP socket at %s" % path)


def command(f, sock, cmd):
    sock.sendall(json.dumps(cmd).encode() + b"\n")
    while True:
        reply = json.loads(f.readline())
        if "event" not in reply:
            return reply


def main():
    log, path = sys.argv[1], sys.argv[2]
    sock = connect(path, time.time() + 60)
    f = sock.makefile("r")
    json.loads(f.readline())  # greeting
    command(f, sock, {"execute": "qmp_capabilities"})
    while not os.path.exists(log):
        time.sleep(0.1)
    out = open(log + ".qmp", "a")
    with open(log, errors="replace") as con:
        buf = ""
        while True:
            chunk = con.read()
            if not chunk:
                # QEMU gone: the socket is closed
                sock.setblocking(False)
                try:
                    if sock.recv(1, socket.MSG_PEEK) == b"":
                        return
                except BlockingIOError:
                    pass
                except OSError:
                    return
                sock.setblocking(True)
                time.sleep(0.05)
                continue
            buf += chunk
            *lines, buf = buf.split("\n")
            for line in lines:
                line = line.strip("\r")
                if line.startswith(MARK):
                    reply = command(f, sock, json.loads(line[len(MARK):]))
                    out.write(json.dumps(reply) + "\n")
                    out.flush()


if __name__ == "__main__":
    main()
