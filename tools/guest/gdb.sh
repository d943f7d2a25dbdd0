#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# gdb.sh [GDB-ARGS...]: "make gdb".  Attaches gdb-multiarch to the gdbstub
# of "make run GDB=1" on 127.0.0.1:GDB_PORT (1234), with
#   - the guest kernel's vmlinux: VMLINUX=FILE, or for Debian's kernels
#     the one of its -dbg package, fetched into the cache on first use
#     (about 800 MB), or for KVER=debug the project's build; VMLINUX=none
#     goes without, and so does a failed fetch, saying so;
#   - vmmio.ko and vblk.ko at their load addresses: the guest's initramfs
#     prints them on the console (rig.gdb=1), and the gdb command
#     "rig-modsyms" reads them from the console log (RUN_LOG=, as for
#     make run); it runs at attach if the modules are loaded already.
# GDB-ARGS go to gdb after the attach (e.g. -batch -ex 'info registers pc').
# gdb.sh --modsyms LOG MODDIR: only print the add-symbol-file commands.
. "$(dirname "$0")/../lib.sh"

# modsyms LOG MODDIR: add-symbol-file commands from the "rig: gdb:" lines
modsyms() {
	local log=$1 moddir=$2
	sed -n 's/^rig: gdb: //p' "$log" | tr -d '\r' | while read -r mod _ text rest; do
		[ -f "$moddir/$mod.ko" ] || continue
		# rest: ".data ADDR .bss ADDR ..." -> "-s .data ADDR -s .bss ADDR"
		echo "add-symbol-file $moddir/$mod.ko $text$(echo " $rest" |
			sed -E 's/ (\.[a-z]+) (0x[0-9a-f]+)/ -s \1 \2/g')"
	done
}
if [ "${1:-}" = --modsyms ]; then
	modsyms "$2" "$3"
	exit 0
fi

KVER=${KVER:-6.1}
GDB_PORT=${GDB_PORT:-1234}
[[ "$GDB_PORT" =~ ^[0-9]+$ ]] && [ "$GDB_PORT" -ge 1 ] && [ "$GDB_PORT" -le 65535 ] ||
	die "GDB_PORT='$GDB_PORT': a TCP port (1-65535)"
command -v gdb-multiarch >/dev/null ||
	die "no gdb-multiarch on the host (make deps, or apt-get install gdb-multiarch)"
dir=$CACHE/run
log=${RUN_LOG:-$dir/console.log}
moddir=$CACHE/build/$KVER/modules
[ -f "$moddir/vblk.ko" ] || die "no $moddir/vblk.ko: boot with make run KVER=$KVER GDB=1 first"
eval "$(guest_kernel "$KVER")"

# the Debian -dbg package's vmlinux, unpacked alone into the cache
fetch_vmlinux() {
	local d=$CACHE/dbg/$KREL
	mkdir -p "$d"
	rm -f "$d"/*.deb
	(cd "$d" && "$TOP/tools/host/apt-private.sh" download \
		"linux-image-$KREL-dbg:arm64=$KPKGVER")
	dpkg-deb --fsys-tarfile "$d"/*.deb | tar -x -C "$d" \
		"./usr/lib/debug/boot/vmlinux-$KREL"
	mv "$d/usr/lib/debug/boot/vmlinux-$KREL" "$d/vmlinux"
	rm -rf "${d:?}/usr" "$d"/*.deb
}
vmlinux=${VMLINUX:-}
if [ -z "$vmlinux" ]; then
	if [ "$KVER" = debug ]; then
		vmlinux=$KDIR/vmlinux
	else
		vmlinux=$CACHE/dbg/$KREL/vmlinux
		if [ ! -f "$vmlinux" ]; then
			note "fetching linux-image-$KREL-dbg for vmlinux (about 800 MB, once;" \
				"VMLINUX=none skips it)"
			step "dbg-$KREL" fetch_vmlinux || true
		fi
	fi
fi
syms=()
if [ "$vmlinux" != none ] && [ -f "$vmlinux" ]; then
	syms=("$vmlinux")
	note "kernel symbols: $vmlinux (the guest boots with nokaslr under GDB=1)"
else
	[ "$vmlinux" = none ] || note "no vmlinux ($vmlinux):"
	note "no kernel symbols: addresses only, plus the modules' symbols (rig-modsyms)"
fi

mkdir -p "$dir"
gdbinit=$dir/gdbinit
modgdb=$dir/modsyms.gdb
cat >"$gdbinit" <<EOF
set pagination off
set confirm off
set architecture aarch64
define rig-modsyms
  shell $TOP/tools/guest/gdb.sh --modsyms $log $moddir >$modgdb
  source $modgdb
end
document rig-modsyms
Load vmmio.ko and vblk.ko's symbols at the addresses the guest printed
(rig: gdb: lines of $log).
end
target remote 127.0.0.1:$GDB_PORT
EOF
if grep -q '^rig: gdb: ' "$log" 2>/dev/null; then
	echo "rig-modsyms" >>"$gdbinit"
else
	note "the modules are not loaded yet: once the guest printed 'rig: gdb:' lines" \
		"(after the initramfs loaded them), interrupt and type rig-modsyms; or by hand:"
	note "  add-symbol-file $moddir/vblk.ko 0xADDR" \
		"(0xADDR from the guest's /sys/module/vblk/sections/.text)"
fi
exec gdb-multiarch -q "${syms[@]}" -x "$gdbinit" "$@"
