#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs the guest's tests and frames each one's TAP for the host:
#   # rig: begin NAME / its TAP / # rig: end NAME rc=N / ... / # rig: done
# The host counts the ok/not ok lines between the markers; a missing
# "done" means the guest died.
. /rig/lib.sh
rig_parse_cmdline

echo "# rig: kernel $(uname -r) drivers=$RIG_DRIVERS"

run_one() {
	local name=$1 rc
	shift
	case ",${RIG_ONLY:-$name}," in *",$name,"*) ;; *) return 0 ;; esac
	case ",${RIG_SKIP:-}," in *",$name,"*) return 0 ;; esac
	local t0
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo "# rig: begin $name"
	"$@" </dev/null 2>&1
	rc=$?
	echo "# rig: end $name rc=$rc time=$(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime)s"
}

# "NAME PATH" of each test, in the order of /rig/TESTS (selftests/TESTS)
sed -n 's#^[a-z]*/\(.*\)\.c$#\1 /rig/bin/\1#p; s#^[a-z]*/\(.*\)\.sh$#\1 /rig/sh/\1.sh#p' \
	/rig/TESTS >/tmp/rig-tests

# the first test (modules) leaves the lane's drivers loaded for the rest
read -r name path </tmp/rig-tests
run_one "$name" "$path"
rig_load_drivers

export SCRATCH_REASON=
if ! TEST_DISK=$(rig_wait_disk scratch 50); then
	SCRATCH_REASON="no disk with serial 'scratch' appeared"
	TEST_DISK=/dev/nonexistent
fi
export TEST_DISK TEST_DISK_BYTES=$((64 << 20))
FS_DISK=$(rig_disk_by_serial fs) || FS_DISK=/dev/nonexistent
export FS_DISK

export TEST_DISK_SKIP_REASON="$SCRATCH_REASON"
sed 1d /tmp/rig-tests | while read -r name path; do
	run_one "$name" "$path"
done
echo "# rig: dmesg begin"
dmesg
echo "# rig: dmesg end"
echo "# rig: done"
