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

# module tests first: they leave the lane's drivers loaded
run_one modules /rig/sh/modules.sh
rig_load_drivers

export SCRATCH_REASON=
if ! TEST_DISK=$(rig_wait_disk scratch 50); then
	if [ "$RIG_EXPECT_DISKS" = 1 ]; then
		SCRATCH_REASON="no disk with serial 'scratch' appeared"
	else
		SCRATCH_REASON="the $RIG_DRIVERS drivers do not serve block I/O yet"
	fi
	TEST_DISK=/dev/nonexistent
fi
export TEST_DISK TEST_DISK_BYTES=$((64 << 20))
FS_DISK=$(rig_disk_by_serial fs) || FS_DISK=/dev/nonexistent
export FS_DISK

export TEST_DISK_SKIP_REASON="$SCRATCH_REASON"
for t in /rig/bin/*; do
	[ -x "$t" ] && run_one "${t##*/}" "$t"
done
for t in /rig/sh/t_*.sh; do
	[ -x "$t" ] || continue
	n=${t##*/}
	run_one "${n%.sh}" "$t"
done
run_one zz_unload /rig/sh/zz_unload.sh
run_one dmesg /rig/sh/dmesg.sh
echo "# rig: dmesg begin"
dmesg
echo "# rig: dmesg end"
echo "# rig: done"
