#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run.sh: "make run".  Builds, then boots the guest as a user would:
# root=/dev/vda rw on an ext4 root image, the initramfs loading vmmio.ko
# and vblk.ko before switching root, the project's device tree.  With a
# terminal: a shell on the console (Ctrl-A X quits).  Without one: a short
# demo, then power-off; the exit status says whether the demo passed.
#   KVER=6.1|6.12   LAYOUT=legacy|modern   ROOTFS_FRESH=1 (rebuild the disk)
# The user's own image and board (Documentation/run.md):
#   ROOTFS=IMG      boot this ext4 image instead; its /sbin/init runs.  QEMU
#                   writes to a temporary overlay (snapshot=on): the image
#                   is never changed, unless ROOTFS_RW=1
#   SMP=N MEM=SIZE  CPUs (2) and memory (1G; MB or with M/G)
#   APPEND=ARGS     more kernel arguments
#   DTB=FILE        the user's device tree (.dtb, or .dts to compile)
#   EL2=1           the kernel starts at EL2 (-machine virtualization=on)
#   CONSOLE=virtconsole   a virtio console on a host pty, beside ttyAMA0
#   NET=user        a virtio-net NIC on QEMU's user network, host
#                   127.0.0.1:SSH_PORT (2333) forwarded to the guest's :22
#   GDB=1           QEMU halted, its gdbstub on 127.0.0.1:GDB_PORT (1234);
#                   "make gdb" attaches
#   TIMEOUT=SECS    without a terminal: kill QEMU after SECS (300; 0: never)
#   RUN_LOG=FILE    the console log ($CACHE/run/console.log)
. "$(dirname "$0")/../lib.sh"

KVER=${KVER:-6.1}
LAYOUT=${LAYOUT:-legacy}
ROOTFS=${ROOTFS:-}
ROOTFS_RW=${ROOTFS_RW:-0}
SMP=${SMP:-2}
MEM=${MEM:-1024}
APPEND=${APPEND:-}
DTB=${DTB:-}
EL2=${EL2:-0}
CONSOLE=${CONSOLE:-}
NET=${NET:-}
SSH_PORT=${SSH_PORT:-2333}
GDB=${GDB:-0}
GDB_PORT=${GDB_PORT:-1234}
TIMEOUT=${TIMEOUT:-300}

# Every knob checked before anything is built or booted: one clear error.
is_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }
is_bool() { [ "$1" = 0 ] || [ "$1" = 1 ]; }
case "$LAYOUT" in legacy | modern) ;; *) die "LAYOUT='$LAYOUT': legacy or modern" ;; esac
[[ "$SMP" =~ ^[0-9]+$ ]] && [ "$SMP" -ge 1 ] && [ "$SMP" -le 123 ] ||
	die "SMP='$SMP': a number of CPUs from 1 to 123"
[[ "$MEM" =~ ^[0-9]+[MG]?$ ]] && [ "${MEM%[MG]}" -ge 1 ] ||
	die "MEM='$MEM': a size in MB, or with M or G (MEM=768, MEM=2G)"
is_bool "$ROOTFS_RW" || die "ROOTFS_RW='$ROOTFS_RW': 0 or 1"
is_bool "$EL2" || die "EL2='$EL2': 0 or 1"
is_bool "$GDB" || die "GDB='$GDB': 0 or 1"
case "$CONSOLE" in '' | pl011 | virtconsole) ;;
*) die "CONSOLE='$CONSOLE': pl011 (the default) or virtconsole" ;;
esac
case "$NET" in '' | none | user) ;; *) die "NET='$NET': user or none" ;; esac
is_port "$SSH_PORT" || die "SSH_PORT='$SSH_PORT': a TCP port (1-65535)"
is_port "$GDB_PORT" || die "GDB_PORT='$GDB_PORT': a TCP port (1-65535)"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "TIMEOUT='$TIMEOUT': seconds (0: never)"
case "$APPEND" in *"'"* | *'"'*) die "APPEND: no quotes, please (the kernel takes none)" ;; esac
if [ -n "$ROOTFS" ]; then
	[ -f "$ROOTFS" ] || die "ROOTFS='$ROOTFS': no such file"
	[ -r "$ROOTFS" ] || die "ROOTFS='$ROOTFS': cannot read it"
	fstype=$(blkid -p -s TYPE -o value "$ROOTFS" 2>/dev/null || true)
	case "$fstype" in
	ext4 | ext3 | ext2) ;;
	'') die "ROOTFS='$ROOTFS': not an ext4 file system image (no file system" \
		"at its start: a raw ext4 image is needed, not a partitioned disk or qcow2)" ;;
	*) die "ROOTFS='$ROOTFS': a $fstype image, not ext4" ;;
	esac
	[ "$ROOTFS_RW" = 0 ] || [ -w "$ROOTFS" ] ||
		die "ROOTFS='$ROOTFS': ROOTFS_RW=1, but the file is not writable"
	ROOTFS=$(realpath "$ROOTFS")
fi
dir=$CACHE/run
mkdir -p "$dir"
if [ -n "$DTB" ]; then
	[ -f "$DTB" ] || die "DTB='$DTB': no such file"
	case "$DTB" in
	*.dts)
		dtb=$dir/user.dtb
		"$TOP/tools/guest/build-dtb.sh" "$DTB" "$dtb" ;;
	*)
		dtb=$DTB
		dtc -q -I dtb -O dts -o /dev/null "$dtb" 2>/dev/null ||
			die "DTB='$DTB': not a flattened device tree (dtc cannot read it)" ;;
	esac
	n=$(dtc -q -I dtb -O dts "$dtb" | grep -c '"virtio,mmio"' || true)
	[ "$n" -gt 0 ] || die "DTB='$DTB': no virtio,mmio node (compatible = \"virtio,mmio\"):" \
		"the disk would have no transport"
	dtb=$(realpath "$dtb")
	n=$(fdtget -l "$dtb" /cpus 2>/dev/null | grep -c '^cpu@' || true)
	[ "$n" = "$SMP" ] || note "warning: DTB describes $n CPUs, QEMU gets SMP=$SMP"
	if [ "$EL2" = 1 ] && [ "$(fdtget -t s "$dtb" /psci method 2>/dev/null)" = hvc ]; then
		note "warning: DTB's /psci says method = \"hvc\"; with EL2=1 QEMU answers PSCI on smc"
	fi
fi

genv=$("$TOP/tools/guest/build-guest.sh" "$KVER") || die "building the $KVER guest failed"
eval "$genv"
echo "# kernel $KVER: $KREL, Debian package $KPKGVER" >&2

if [ -z "$DTB" ]; then
	# The project's tree, made to match the board: one cpu node per CPU
	# (QEMU's MPIDR: 8 to a cluster), PSCI on smc when QEMU owns EL2.
	dtb=$dir/qemu-virt-gicv3.dtb
	"$TOP/tools/guest/build-dtb.sh" "$TOP/dts/qemu-virt-gicv3.dts" "$dtb"
	if [ "$SMP" != 2 ] || [ "$EL2" = 1 ]; then
		b=$dtb
		dtb=$dir/qemu-virt-gicv3-smp$SMP-el2$EL2.dtb
		cp "$b" "$dtb.$$" # changed aside: another make run may be booting on it
		fdtput -r "$dtb.$$" /cpus/cpu@1 /cpus/cpu@0
		for ((i = 0; i < SMP; i++)); do
			mpidr=$(((i / 8) << 8 | (i % 8)))
			node=/cpus/cpu@$(printf %x $mpidr)
			fdtput -c "$dtb.$$" "$node"
			fdtput -t s "$dtb.$$" "$node" device_type cpu
			fdtput -t s "$dtb.$$" "$node" compatible arm,cortex-a57
			fdtput -t x "$dtb.$$" "$node" reg $mpidr
			fdtput -t s "$dtb.$$" "$node" enable-method psci
		done
		if [ "$EL2" = 1 ]; then fdtput -t s "$dtb.$$" /psci method smc; fi
		mv -f "$dtb.$$" "$dtb"
	fi
fi

own=0
if [ -z "$ROOTFS" ]; then
	own=1
	ROOTFS=$dir/rootfs.img
	rig_rootfs "$ROOTFS" rootfs
fi
# QEMU's snapshot=on: the writes go to a temporary overlay, dropped at exit
drive="file=$ROOTFS,format=raw"
if [ "$own" = 0 ] && [ "$ROOTFS_RW" = 0 ]; then
	drive+=",snapshot=on"
	note "ROOTFS: $ROOTFS, read-only to QEMU (snapshot=on; ROOTFS_RW=1 writes to it)"
elif [ "$own" = 0 ]; then
	note "ROOTFS: $ROOTFS, written through (ROOTFS_RW=1)"
fi

# Should our drivers bring up no /dev/vda, the initramfs falls back to the
# in-tree pair and says so on the console; the demo's lsmod shows which.
append="root=/dev/vda rw rig.mode=root rig.drivers=ours rig.fallback=intree"
load=()
args=(--kernel "$KIMAGE" --initrd "$INITRD" --dtb "$dtb" "--$LAYOUT"
	--smp "$SMP" --mem "$MEM" --disk "$drive|serial=root")
[ "$EL2" = 1 ] && args+=(--el2)
if [ "$NET" = user ]; then
	args+=(--nic --hostfwd "$SSH_PORT")
	load+=(virtio_net)
	note "NET=user: 127.0.0.1:$SSH_PORT on this host is the guest's port 22"
fi
if [ "$CONSOLE" = virtconsole ]; then
	args+=(--virtconsole)
	load+=(virtio_console)
	note "CONSOLE=virtconsole: the guest's /dev/hvc0 is the pty QEMU names below"
fi
[ ${#load[@]} -gt 0 ] && append+=" rig.load=$(IFS=,; echo "${load[*]}")"
if [ "$GDB" = 1 ]; then
	# nokaslr: the addresses of vmlinux's symbols are the running ones
	append+=" nokaslr rig.gdb=1"
	args+=(--gdb "$GDB_PORT")
	echo "# GDB=1: QEMU is halted, its gdbstub on 127.0.0.1:$GDB_PORT; attach with:" >&2
	echo "#   make gdb GDB_PORT=$GDB_PORT" >&2
fi
[ -n "$APPEND" ] && append+=" $APPEND"
log=${RUN_LOG:-$dir/console.log}
mkdir -p "$(dirname "$log")"
: >"$log"
if [ -t 0 ] && [ -t 1 ]; then
	exec "$TOP/tools/guest/qemu-run.sh" "${args[@]}" --interactive --timeout 0 \
		--log "$log" --append "$append"
fi
rc=0
if [ "$own" = 1 ]; then
	append+=" rig.demo=1 quiet"
fi
"$TOP/tools/guest/qemu-run.sh" "${args[@]}" --timeout "$TIMEOUT" --append "$append" |
	tee "$log" || rc=${PIPESTATUS[0]}
[ "$rc" != 124 ] || die "the guest ran past TIMEOUT=${TIMEOUT}s (console log: $log)"
[ "$rc" = 0 ] || die "QEMU exited with status $rc (console log: $log)"
if [ "$own" = 1 ]; then
	grep -q '^rig: demo ok' "$log" || die "the demo did not finish (console log: $log)"
	echo "# make run: demo passed (console log: $log)" >&2
else
	echo "# make run: the guest powered off (console log: $log)" >&2
fi
