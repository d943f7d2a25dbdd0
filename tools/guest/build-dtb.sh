#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-dtb.sh SRC.dts OUT.dtb: preprocess with cpp (for the slot macro)
# and compile with dtc.
. "$(dirname "$0")/../lib.sh"
src=${1:?usage: build-dtb.sh SRC.dts OUT.dtb}
out=${2:?usage: build-dtb.sh SRC.dts OUT.dtb}
mkdir -p "$(dirname "$out")"
# written aside and renamed: make check's host lanes run make run side by
# side, and a QEMU starting may be reading the tree another one rewrites
cpp -nostdinc -undef -P -x assembler-with-cpp "$src" |
	dtc -q -I dts -O dtb -o "$out.$$" - || { rm -f "$out.$$"; die "dtc failed on $src"; }
mv -f "$out.$$" "$out"
