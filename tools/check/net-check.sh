#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# net-check.sh: make run NET=user as a hypervisor developer uses it (the
# seed's hostfwd), non-interactively.
#
# Builds a root image as a user would bring one (tools/check/run-lib.sh),
# then boots it with NET=user SSH_PORT=P ROOTFS_RW=1: the forward is bound
# to 127.0.0.1, a line goes from the host through it to a busybox nc
# listening on the guest's port 22 and one comes back; the guest's file is
# in the image after (written through).
# Prints TAP and "N passed, N failed"; exits non-zero on any failure.
# Logs and images under $CACHE/net-check.  Environment: KVER (6.1),
# RUN_CHECK_TIMEOUT (each boot's limit, 600 s).
. "$(dirname "$0")/../lib.sh"
RUN_CHECK_NAME=net-check
. "$TOP/tools/check/run-lib.sh"

# --- NET=user: bytes both ways through the forward -----------------------
rw=$OUT/rootfs-rw.img
cp "$img" "$rw"
port=$(free_port)
log=$OUT/net.log
c=$log.console
: >"$c"
t0=$(date +%s)
run_make "$log" ROOTFS="$rw" ROOTFS_RW=1 NET=user SSH_PORT="$port" \
	APPEND="rig.test=1 rig.test.net=1 rig.test.token=rw$$" &
pid=$!
if wait_for "$c" '^rig: test net listening' "$TMO" $pid; then
	bound=$(ss -ltnH "sport = :$port" | awk '{ print $4 }' | sort -u | tr '\n' ' ')
	check "NET=user: the forward listens on 127.0.0.1:$port only ($bound)" \
		test "$bound" = "127.0.0.1:$port "
	# Until the guest's nc listens, QEMU accepts and drops the connection:
	# try again until a line comes back.
	reply=$(PORT=$port MSG="ping from the host $$" python3 - <<'EOF'
import os, socket, sys, time
port, msg = int(os.environ["PORT"]), os.environ["MSG"].encode() + b"\n"
deadline = time.time() + 60
while time.time() < deadline:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(msg)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.close()
        if data:
            sys.stdout.write(data.decode(errors="replace"))
            sys.exit(0)
    except OSError:
        pass
    time.sleep(1)
sys.exit(1)
EOF
	) || true
	check "NET=user: the guest's listener answered through the forward ('$reply')" \
		test "$reply" = "pong from vmmio-guest"
else
	not_ok "NET=user: the guest's listener came up" "log $log; $(tail -n 5 "$c")"
fi
rc=0
wait $pid || rc=$?
echo "# NET=user boot: rc=$rc in $(($(date +%s) - t0))s, console $c"
check "NET=user: the host's line reached the guest" has "$c" "^rig: test net got ping from the host $$"
check "NET=user: the guest powered off (rc=$rc)" test $rc = 0
check "ROOTFS_RW=1: the guest's file is in the image" \
	test "$(debugfs_cat "$rw" /root/rig-test.txt)" = "rw$$"
finish
