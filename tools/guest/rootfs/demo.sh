#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo "make run" shows when it has no terminal: what is loaded, what
# is mounted, and a file written to the root disk and read back.
set -e
echo "+ lsmod"; lsmod
echo "+ cat /proc/mounts"; cat /proc/mounts
echo "+ df -h /"; df -h /
msg="written by the demo at $(date)"
echo "+ echo ... > /root/demo.txt; sync; cat /root/demo.txt"
echo "$msg" >/root/demo.txt
sync
echo 3 >/proc/sys/vm/drop_caches
[ "$(cat /root/demo.txt)" = "$msg" ] && cat /root/demo.txt
echo "rig: demo ok"
