#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel log of the whole lane must be free of warnings and crashes.
. /rig/lib.sh
tap_plan 1
bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|Call trace:|KASAN|UBSAN|possible recursive locking|circular locking|sleeping function called from invalid context|unreferenced object|suspected memory leak' || true)
if [ -z "$bad" ]; then
	tap_ok dmesg_clean
else
	echo "$bad" | head -n 20 | sed 's/^/# /'
	tap_not_ok dmesg_clean
fi
tap_exit
