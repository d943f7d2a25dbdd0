# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the guest's init, runner and shell tests (sourced).

# rig.* parameters of the kernel command line -> RIG_* variables
rig_parse_cmdline() {
	RIG_MODE=shell
	RIG_DRIVERS=ours
	RIG_ROOT=
	RIG_FALLBACK=
	RIG_MMIO=
	RIG_BUS=mmio
	RIG_FAULT=0
	for arg in $(cat /proc/cmdline); do
		case "$arg" in
		rig.mode=*) RIG_MODE=${arg#*=} ;;
		rig.drivers=*) RIG_DRIVERS=${arg#*=} ;;
		rig.only=*) RIG_ONLY=${arg#*=} ;;
		rig.skip=*) RIG_SKIP=${arg#*=} ;;
		rig.fallback=*) RIG_FALLBACK=${arg#*=} ;;
		rig.layout=*) RIG_LAYOUT=${arg#*=} ;;
		rig.nvirtio=*) RIG_NVIRTIO=${arg#*=} ;;
		rig.mmio=*) RIG_MMIO=${arg#*=} ;;
		rig.bus=*) RIG_BUS=${arg#*=} ;;
		# rig.fault=1: our modules' fault build (tools/guest/init)
		rig.fault=*) RIG_FAULT=${arg#*=} ;;
		# rig.env=NAME=VALUE,...: what the tests may expect of this lane
		rig.env=*) for kv in $(echo "${arg#rig.env=}" | tr ',' ' '); do
				export "${kv%%=*}=${kv#*=}"
			done ;;
		rig.crash_records=*) RIG_CRASH_RECORDS=${arg#*=} ;;
		root=*) RIG_ROOT=${arg#*=} ;;
		esac
	done
	export RIG_MODE RIG_FALLBACK RIG_LAYOUT RIG_NVIRTIO RIG_DRIVERS RIG_ROOT RIG_ONLY RIG_SKIP RIG_CRASH_RECORDS RIG_MMIO RIG_BUS RIG_FAULT
	rig_parse_drivers
}

# RIG_DRIVERS -> the module names of that driver set
rig_parse_drivers() {
	case "$RIG_DRIVERS" in
	ours) RIG_TRANSPORT_MOD=vmmio; RIG_BLK_MOD=vblk ;;
	intree) RIG_TRANSPORT_MOD=virtio_mmio; RIG_BLK_MOD=virtio_blk ;;
	# one of ours against the other's in-tree twin
	vmmio) RIG_TRANSPORT_MOD=vmmio; RIG_BLK_MOD=virtio_blk ;;
	vblk) RIG_TRANSPORT_MOD=virtio_mmio; RIG_BLK_MOD=vblk ;;
	*) RIG_TRANSPORT_MOD=; RIG_BLK_MOD= ;;
	esac
	# rig.bus=pci: the devices sit on PCI, where the in-tree virtio_pci
	# is the transport of the sets that use the in-tree one (vmmio has
	# no PCI twin: those sets have none there)
	if [ "$RIG_BUS" = pci ]; then
		case "$RIG_TRANSPORT_MOD" in
		virtio_mmio) RIG_TRANSPORT_MOD=virtio_pci ;;
		*) RIG_TRANSPORT_MOD=; RIG_BLK_MOD= ;;
		esac
	fi
	export RIG_DRIVERS RIG_TRANSPORT_MOD RIG_BLK_MOD
}

# true if module $1 is built into the running kernel (6.12's virtio_pci):
# it loads by itself and never unloads
rig_builtin() {
	grep -qE "/$(echo "$1" | sed 's/[-_]/[-_]/g')\.ko\$" \
		"/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null
}

# Power off.  An x86 machine without ACPI (microvm, acpi=off) cannot: the
# kernel would halt and QEMU run on, so it resets instead (the lane boots
# with reboot=t: a triple fault), which QEMU's -no-reboot makes an exit.
rig_poweroff() {
	case "$(uname -m)" in
	x86_64 | i?86) [ -d /sys/firmware/acpi/tables ] || reboot -f ;;
	esac
	poweroff -f
}

# wait up to $2 tenths of a second for the path $1 to exist
rig_wait_path() {
	local i=0
	while [ ! -e "$1" ] && [ $i -lt "$2" ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

rig_modprobe() {
	modprobe "$@" 2>/dev/null || modprobe "$@"
}

# ext4 and the crc32c it asks the crypto API for at mount time
rig_load_ext4() {
	modprobe -q crc32c_generic
	modprobe ext4
}

# Where the platform describes its virtio-mmio slots: in the device tree
# or ACPI (the transports find them), or, with rig.mmio=cmdline, only on
# the kernel command line (an x86 microvm without ACPI: QEMU appends
# "virtio_mmio.device=<size>@<base>:<irq>" per slot).  vmmio then gets
# the same slots through its device= parameter.  Other MODULE.NAME=VALUE
# arguments (a lane's vmmio.max_ring=512, the bench's vblk.poll_queues=1)
# go to that module: busybox's modprobe does not read the command line.
# rig_mod_args MODULE: the module parameters for MODULE
rig_mod_args() {
	local arg
	for arg in $(cat /proc/cmdline); do
		case "$arg" in
		virtio_mmio.device=*)
			[ "$RIG_MMIO" = cmdline ] && [ "$1" = vmmio ] && echo "device=${arg#*=}" ;;
		"$1".*=*) echo "${arg#"$1".}" ;;
		esac
	done
}

rig_load_drivers() {
	[ -n "$RIG_TRANSPORT_MOD" ] || return 0
	# shellcheck disable=SC2046
	rig_modprobe "$RIG_TRANSPORT_MOD" $(rig_mod_args "$RIG_TRANSPORT_MOD") &&
		rig_modprobe "$RIG_BLK_MOD" $(rig_mod_args "$RIG_BLK_MOD")
}

# the /dev node of the virtio disk whose serial is $1 (empty if none)
rig_disk_by_serial() {
	local s
	for s in /sys/block/vd*/serial; do
		[ -f "$s" ] || continue
		if [ "$(cat "$s")" = "$1" ]; then
			s=${s%/serial}
			echo "/dev/${s##*/}"
			return 0
		fi
	done
	return 1
}

# wait up to $2 tenths of a second for the disk with serial $1
rig_wait_disk() {
	local i=0
	while [ $i -lt "$2" ]; do
		rig_disk_by_serial "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# the sysfs directory of the lane's transport, found through its module:
# a platform driver (vmmio's is "vmmio", the in-tree one "virtio-mmio") or
# on PCI lanes a PCI one (virtio_pci's "virtio-pci")
rig_transport_drv() {
	local d
	for d in /sys/bus/platform/drivers/* /sys/bus/pci/drivers/*; do
		[ "$(basename "$(readlink -f "$d/module" 2>/dev/null)")" = "$RIG_TRANSPORT_MOD" ] &&
			echo "$d" && return 0
	done
	return 1
}

# the virtio device (virtioN) under the disk with serial $1
rig_virtdev_of() {
	local d
	d=$(rig_disk_by_serial "$1") || return 1
	basename "$(readlink -f "/sys/block/${d#/dev/}/device")"
}

# true if the virtio device under the disk $1 (/dev/vdX) negotiated the
# feature bit $2 (its sysfs "features" has a 0 or 1 a bit, bit 0 first):
# what the device offers, as the lane gave it, such as
# VIRTIO_BLK_F_CONFIG_WCE (11) or VIRTIO_BLK_F_MQ (12), which both block
# drivers accept
rig_disk_feature() {
	local f
	f=$(cat "/sys/block/${1#/dev/}/device/features" 2>/dev/null) || return 1
	[ "$(echo "$f" | cut -c $(($2 + 1)))" = 1 ]
}

# the interrupt line of the disk $1 (/dev/vdX): /proc/interrupts names it
# after the virtio device (virtio_mmio) or the transport's platform device
# (vmmio); nothing where neither is there (virtio_pci's per-queue vectors)
rig_disk_irq() {
	local d v p
	d=$(readlink -f "/sys/block/${1#/dev/}/device") || return 1
	v=${d##*/} d=${d%/*} p=${d##*/}
	awk -v a="$v" -v b="$p" '$NF == a || $NF == b { sub(":", "", $1); print $1; exit }' /proc/interrupts
}

# the queue notifications vmmio counted on one device, summed over its
# queues ($1: the device's debugfs info file)
rig_vmmio_notifications() {
	awk '/^queue / { for (k = 1; k < NF; k++) if ($k == "notifications") s += $(k + 1) }
		END { print s + 0 }' "$1"
}

# the transport's platform device under the disk with serial $1
rig_platdev_of() {
	local d
	d=$(rig_disk_by_serial "$1") || return 1
	d=$(readlink -f "/sys/block/${d#/dev/}/device")
	# .../<platdev>/virtioN: the transport's device is virtioN's parent
	basename "$(dirname "$d")"
}

# the guest's uptime in seconds, and the seconds (one decimal) since such
# a reading $1
rig_now() { cut -d' ' -f1 /proc/uptime; }
rig_since() { awk -v t0="$1" '{ printf "%.1f", $1 - t0 }' /proc/uptime; }

# reads and writes the disk $1 (/dev/vdX) has completed
rig_ios() { awk '{ print $1 + $5 }' "/sys/block/${1#/dev/}/stat"; }
# the same for each disk of the list $1, on one line
rig_ios_of() {
	local d
	for d in $1; do rig_ios "$d"; done | tr '\n' ' '
}
# rig_io_moved "DISK..." COUNTS TENTHS [PID]: wait up to TENTHS tenths
# of a second until each DISK has completed I/O past its count in COUNTS
# (rig_ios_of); false then, or as soon as the process PID has ended
rig_io_moved() {
	local i=0
	while [ $i -lt "$3" ]; do
		echo "$2|$(rig_ios_of "$1")" | awk -F'|' '{ n = split($1, a, " "); split($2, b, " ")
			for (k = 1; k <= n; k++) if (a[k] == b[k]) exit 1 }' && return 0
		[ -z "$4" ] || kill -0 "$4" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# fio_bg OUT "DISK..." ARGS...: fio ARGS in the background, its output in
# OUT; returns once each DISK has completed I/O since (at most 20 s:
# false if one has not, or fio ended first).  FIO_PID, FIO_OUT.
fio_bg() {
	local out=$1 disks=$2 s0 t0
	shift 2
	s0=$(rig_ios_of "$disks")
	t0=$(rig_now)
	fio "$@" >"$out" 2>&1 &
	FIO_PID=$!
	FIO_OUT=$out
	if ! rig_io_moved "$disks" "$s0" 200 $FIO_PID; then
		echo "# fio's I/O did not start on each of $disks"
		return 1
	fi
	echo "# fio's I/O started after $(rig_since "$t0") s"
}

# wait up to $1 s for the background fio: its exit status, or 124 (and
# fio killed) when it is still running then
fio_wait() {
	local i=0
	while kill -0 $FIO_PID 2>/dev/null; do
		if [ $i -ge $(($1 * 10)) ]; then
			echo "# fio still running after $1 s"
			# no wait: a task stuck in the kernel cannot be reaped
			kill -9 $FIO_PID
			return 124
		fi
		sleep 0.1
		i=$((i + 1))
	done
	wait $FIO_PID
}

# tell the background fio to stop (it ends its jobs on SIGTERM) and wait
# up to $1 s for it, as fio_wait
fio_stop() {
	kill -TERM $FIO_PID 2>/dev/null
	fio_wait "$1"
}

# fio's summary lines of output $1 as diagnostics; false if a job ended
# with an error (an err= other than 0)
fio_clean() {
	grep -E 'err=|READ:|WRITE:' "$1" | sed 's/^ */# fio: /'
	! grep 'err=' "$1" | grep -qv 'err= *0'
}

# the kernel log from a mark on, without clearing it (dmesg_clean reads
# the whole log at the end of the lane): a unique line written to the
# log, which still works once the ring buffer has wrapped
dmesg_mark() {
	DMESG_MARK="rig: mark $$.$(cat /proc/sys/kernel/random/uuid 2>/dev/null)"
	echo "$DMESG_MARK" >/dev/kmsg
}
dmesg_since() { dmesg | sed -n "/$DMESG_MARK/,\$p"; }
# dmesg_bad_since [PATTERN]: false, with the first three lines as TAP
# comments, if the log since the mark has a line PATTERN matches (an
# extended regex; by default a WARN, BUG, oops, call trace or hung task)
dmesg_bad_since() {
	local bad
	bad=$(dmesg_since | grep -E "${1:-WARNING|BUG|Oops|Call trace|blocked for more}" | head -n 3)
	[ -z "$bad" ] || { echo "$bad" | sed 's/^/# /'; return 1; }
}

# ask the host to send a QMP command (tools/guest/qmp-agent.py reads it)
rig_qmp() {
	echo "# rig: qmp $1" >/dev/console
}
# the virtio-serial port named rig.qmp, where the host's agent writes the
# replies a guest asks for (/dev/vportNpM)
rig_qmp_port_now() {
	local n
	for n in /sys/class/virtio-ports/*/name; do
		[ -f "$n" ] && [ "$(cat "$n")" = rig.qmp ] || continue
		n=${n%/name}
		echo "/dev/${n##*/}"
		return 0
	done
	return 1
}
# (virtio_console is a module on 6.1: loaded here if need be)
rig_qmp_port() {
	local i=0
	rig_qmp_port_now && return 0
	modprobe virtio_console 2>/dev/null || return 1
	while [ $i -lt 50 ]; do
		rig_qmp_port_now && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# rig_qmp_ask JSON OUT: send a QMP command and put its reply in OUT, one
# "path=value" line per member (tools/guest/qmp-agent.py); false without the
# port or without a reply within 30 s
rig_qmp_ask() {
	local port pid i=0
	port=$(rig_qmp_port) || return 1
	: >"$2"
	# the port is read before the question is asked (so the reply finds
	# it open); a read while the host end is not connected ends at once.
	# (Not sed: busybox sed reads a line ahead, to know the last one.)
	timeout 30 awk '{ print } /^end$/ { exit }' <"$port" >>"$2" &
	pid=$!
	sleep 0.3
	echo "# rig: qmp? $1" >/dev/console
	while :; do
		wait $pid
		grep -q '^end$' "$2" && return 0
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
		sleep 0.2
		timeout 30 awk '{ print } /^end$/ { exit }' <"$port" >>"$2" &
		pid=$!
	done
}

# TAP output for shell tests, in the shape kselftest_harness.h prints
TAP_N=0
TAP_FAIL=0
tap_plan() { echo "TAP version 13"; echo "1..$1"; }
tap_ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N $1"; }
tap_not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAIL=$((TAP_FAIL + 1)); echo "not ok $TAP_N $1"; }
tap_skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N $1 # SKIP $2"; }
# tap_skip_all REASON NAME...: skip every case of a test
tap_skip_all() {
	local reason=$1 n
	shift
	for n in "$@"; do tap_skip "$n" "$reason"; done
}
# tap_check NAME CMD...: ok if CMD succeeds, with its output as diagnostics
tap_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		tap_ok "$name"
	else
		echo "$out" | sed 's/^/# /'
		tap_not_ok "$name"
	fi
}
# tap_check_v NAME CMD...: the same, showing the diagnostics of a pass too
tap_check_v() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out" | sed 's/^# //; s/^/# /'
	if [ $rc = 0 ]; then tap_ok "$name"; else tap_not_ok "$name"; fi
}
tap_exit() { [ $TAP_FAIL -eq 0 ]; exit $?; }
