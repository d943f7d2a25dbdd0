#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The load of tools/check/load-guests.sh (kernel argument rig.busy=1): a
# duty cycle of work and rest, forever.  The work: 64 MB of random data
# into tmpfs, its md5sum, 128 MB read from /dev/vda with the page cache
# dropped; the rest: as long as the work took.
echo "load: started"
while :; do
	t0=$(date +%s)
	dd if=/dev/urandom of=/tmp/x bs=64k count=1024 2>/dev/null
	md5sum /tmp/x >/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	dd if=/dev/vda of=/dev/null bs=64k count=2048 2>/dev/null
	sleep $(($(date +%s) - t0))
done
