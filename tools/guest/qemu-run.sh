#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# qemu-run.sh [options]: boot the aarch64 guest (or an x86_64 microvm)
# under QEMU (TCG).
#
#   --kernel IMG        kernel image (required)
#   --initrd CPIO       initramfs
#   --append STR        kernel command line (console=ttyAMA0 is added;
#                       ttyS0 on microvm)
#   --machine M         "virt" (default: aarch64, virt,gic-version=3,
#                       cortex-a57) or "microvm[,props]": x86_64, QEMU's
#                       microvm machine (e.g. microvm,acpi=off), no PCI
#   --dtb FILE          the user's device tree (default: QEMU's own)
#   --legacy|--modern   virtio-mmio register layout v1 (QEMU default) or v2;
#                       with --bus pci: a transitional device with its
#                       modern interface off (disable-modern=on), or a
#                       modern-only one (disable-legacy=on)
#   --bus mmio|pci      where the virtio devices sit: virtio-mmio slots
#                       (default), or the virt machine's PCIe root bus:
#                       every virtio-X-device, the disks' and those in
#                       -- ARGS, becomes its virtio-X-pci twin (virt only)
#   --disk DRIVE[|DEV]  a virtio-blk disk: DRIVE goes to -drive (after
#                       if=none,id=dN), DEV to -device virtio-blk-device;
#                       e.g. "file=a.img,format=raw|serial=scratch" or
#                       "driver=null-co,size=1G|serial=null"; repeatable.
#                       A DEV in braces is JSON, for properties that have
#                       no key=value form (iothread-vq-mapping):
#                       'file=a.img|{"serial": "s", "num-queues": 2}'
#   --smp N --mem MB    CPUs (2) and memory (1024)
#   --nic               a virtio-net device (none by default)
#   --hostfwd PORT      with --nic: forward 127.0.0.1:PORT on the host to
#                       the guest's port 22 (user networking, loopback only)
#   --virtconsole       a virtio console (virtio-serial + virtconsole) on a
#                       host pty; QEMU names the pty on its stderr
#   --el2               the guest kernel starts at EL2
#                       (-machine virtualization=on; virt only)
#   --gdb PORT          QEMU's gdbstub on 127.0.0.1:PORT, the CPUs halted
#                       until a debugger continues them (-S)
#   --timeout SECS      kill QEMU after SECS (0: never; default 300)
#   --log FILE          keep the console output in FILE (with
#                       --interactive too: a copy of what the terminal shows)
#   --log-append        add to FILE instead of starting it afresh: a guest
#                       restored from a snapshot (-incoming) goes on in the
#                       log of the process it was saved from
#   --interactive       console on this terminal (Ctrl-A X quits)
#   --qemu BIN          QEMU binary (default qemu-system-aarch64, or
#                       qemu-system-x86_64 for microvm)
#   --qemu-data DIR     its data directory (-L: firmware, keymaps), for a
#                       QEMU unpacked outside /usr (tools/host/fetch-qemu.sh):
#                       its modules are those beside it (QEMU_MODULE_DIR),
#                       and it gets no audio backend, whose probing would
#                       load the host QEMU's modules (another build: abort)
#   --qemu-libs PATH    LD_LIBRARY_PATH for that QEMU (empty: none)
#   -- ARGS             more QEMU arguments
# Exit status: QEMU's, or 124 on timeout.
. "$(dirname "$0")/../lib.sh"

kernel='' initrd='' append='' dtb='' legacy=true smp=2 mem=1024 nic=0
hostfwd='' vcon=0 el2=0 gdbport=''
timeout=300 log='' logappend=0 interactive=0 qemu='' qdata='' qlibs='' machine=virt bus=mmio
disks=() extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--append) append=$2; shift ;;
	--dtb) dtb=$2; shift ;;
	--legacy) legacy=true ;;
	--modern) legacy=false ;;
	--bus) bus=$2; shift ;;
	--disk) disks+=("$2"); shift ;;
	--smp) smp=$2; shift ;;
	--mem) mem=$2; shift ;;
	--nic) nic=1 ;;
	--hostfwd) hostfwd=$2; shift ;;
	--virtconsole) vcon=1 ;;
	--el2) el2=1 ;;
	--gdb) gdbport=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--log-append) logappend=1 ;;
	--interactive) interactive=1 ;;
	--qemu) qemu=$2; shift ;;
	--machine) machine=$2; shift ;;
	--qemu-data) qdata=$2; shift ;;
	--qemu-libs) qlibs=$2; shift ;;
	--) shift; extra=("$@"); break ;;
	*) die "qemu-run.sh: unknown option '$1'" ;;
	esac
	shift
done
[ -n "$kernel" ] || die "qemu-run.sh: --kernel is required"

case "$machine" in
virt)
	: "${qemu:=qemu-system-aarch64}"
	vmach='virt,gic-version=3'
	[ $el2 = 1 ] && vmach+=',virtualization=on'
	args=(-machine "$vmach" -cpu cortex-a57)
	console=ttyAMA0 ;;
microvm | microvm,*)
	: "${qemu:=qemu-system-x86_64}"
	args=(-machine "$machine")
	console=ttyS0 ;;
*) die "qemu-run.sh: unknown machine '$machine' (virt or microvm[,...])" ;;
esac
[ $el2 = 1 ] && [ "$machine" != virt ] && die "qemu-run.sh: --el2 needs the virt machine"
args+=(-smp "$smp" -m "$mem" -kernel "$kernel" -append "console=$console $append"
	-global "virtio-mmio.force-legacy=$legacy" -no-reboot)
case "$bus:$machine" in
mmio:*) ;;
pci:virt)
	# QEMU's default on the root bus is a transitional device with both
	# interfaces; each lane names the one it tests.  The globals reach
	# every virtio-X-pci device: they are properties of their parent
	# type, virtio-pci.
	if [ "$legacy" = true ]; then
		args+=(-global virtio-pci.disable-legacy=off -global virtio-pci.disable-modern=on)
	else
		args+=(-global virtio-pci.disable-legacy=on -global virtio-pci.disable-modern=off)
	fi ;;
*) die "qemu-run.sh: --bus '$bus' on machine '$machine' (mmio, or pci on virt)" ;;
esac
# on_bus DEVICE-ARG: the -device argument for this bus
on_bus() {
	if [ "$bus" = pci ]; then
		# key=value (virtio-X-device,...) or JSON ("driver": "virtio-X-device")
		echo "$1" | sed -E 's/^(virtio-[a-z0-9-]+)-device(,|$)/\1-pci\2/;
			s/("driver": *"virtio-[a-z0-9-]+)-device"/\1-pci"/'
	else
		echo "$1"
	fi
}
[ -n "$initrd" ] && args+=(-initrd "$initrd")
[ -n "$dtb" ] && args+=(-dtb "$dtb")
if [ -n "$qdata" ]; then
	args+=(-L "$qdata" -audio none)
	# <root>/usr/share/qemu -> <root>/usr/lib/<triplet>/qemu
	QEMU_MODULE_DIR=$(cd "$qdata/../.." && pwd)/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/qemu
	export QEMU_MODULE_DIR
fi
if [ -n "$qlibs" ]; then
	export LD_LIBRARY_PATH=$qlibs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
i=0
for d in "${disks[@]}"; do
	drive=${d%%|*}
	dev=
	[ "$d" != "$drive" ] && dev=",${d#*|}"
	args+=(-drive "if=none,id=d$i,$drive")
	case "$dev" in
	",{"*) # JSON: the drive goes first, the given members follow
		dev=${dev#,\{}
		args+=(-device "$(on_bus "{\"driver\": \"virtio-blk-device\", \"drive\": \"d$i\", $dev")") ;;
	*) args+=(-device "$(on_bus "virtio-blk-device,drive=d$i$dev")") ;;
	esac
	i=$((i + 1))
done
if [ $nic = 1 ]; then
	# every forward bound to the loopback address: nothing else reaches in
	netdev='user,id=n0'
	[ -n "$hostfwd" ] && netdev+=",hostfwd=tcp:127.0.0.1:$hostfwd-:22"
	args+=(-netdev "$netdev" -device "$(on_bus 'virtio-net-device,netdev=n0')")
else
	[ -z "$hostfwd" ] || die "qemu-run.sh: --hostfwd needs --nic"
	args+=(-nic none)
fi
if [ $vcon = 1 ]; then
	args+=(-device "$(on_bus virtio-serial-device)" -chardev pty,id=vcon0
		-device virtconsole,chardev=vcon0)
fi
[ -n "$gdbport" ] && args+=(-S -gdb "tcp:127.0.0.1:$gdbport")
if [ $interactive = 1 ] && [ -n "$log" ]; then
	# -nographic's console and monitor mux on stdio, with a copy in $log
	args+=(-display none -chardev "stdio,id=con0,mux=on,logfile=$log"
		-serial chardev:con0 -mon chardev=con0)
elif [ $interactive = 1 ]; then
	args+=(-nographic)
else
	args+=(-display none -monitor none -serial stdio)
fi
prev=
for a in "${extra[@]}"; do
	[ "$prev" = -device ] && a=$(on_bus "$a")
	args+=("$a")
	prev=$a
done

[ "$V" = 1 ] && echo "  $qemu ${args[*]}" >&2
tmo=()
[ "$timeout" != 0 ] && tmo=(timeout --foreground -k 5 "$timeout")
if [ $interactive = 1 ]; then
	exec "${tmo[@]}" "$qemu" "${args[@]}"
elif [ -n "$log" ]; then
	rc=0 tee_a=()
	[ $logappend = 1 ] && tee_a=(-a)
	[ $logappend = 1 ] || : >"$log"
	if [ "$V" = 1 ]; then
		"${tmo[@]}" "$qemu" "${args[@]}" </dev/null 2>&1 | tee "${tee_a[@]}" "$log" || rc=${PIPESTATUS[0]}
	else
		"${tmo[@]}" "$qemu" "${args[@]}" </dev/null >>"$log" 2>&1 || rc=$?
	fi
	exit "$rc"
else
	exec "${tmo[@]}" "$qemu" "${args[@]}" </dev/null
fi
