#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-debug-kernel.sh
#
# Builds a debug arm64 guest kernel (KASAN, lockdep, kmemleak, fault
# injection, ...) from Debian's linux-source-6.1 package: tinyconfig plus
# tools/host/debug-kernel.config, every option of which is checked to have
# survived olddefconfig.  Everything lives under $CACHE/kernel-debug:
#   src/    the unpacked source        build/  the O= build tree (= KDIR)
#   root/   modules_install output     env     as fetch-kernel.sh writes it
# Rebuilds only when the source version, the fragment or this script
# change.  Prints the env file (KVER=debug, KPKGVER, KREL, KDIR, KIMAGE,
# KMODDIR) on stdout, so the rig takes it as it takes the Debian kernels
# (KVER=debug: kdir_root debug is $CACHE/kernel-debug).
. "$(dirname "$0")/../lib.sh"

APT=$TOP/tools/host/apt-private.sh
pkg=linux-source-6.1
out=$(kdir_root debug)
src=$out/src
build=$out/build
root=$out/root
frag=$TOP/tools/host/debug-kernel.config
kmake=(make -C "$src" O="$build" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)

[ -f "$frag" ] || die "no $frag"
command -v aarch64-linux-gnu-gcc >/dev/null || die "no aarch64-linux-gnu-gcc (tools/host/host-deps.sh)"
for t in flex bison bc depmod; do
	command -v "$t" >/dev/null || die "no '$t' on the host (apt-get install flex bison bc kmod)"
done

ver=$("$APT" cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no $pkg in the reachable archive"
key="$ver $(hash_files "$frag") $(hash_files "$0")"

if stamp_ok kernel-debug "$key" && [ -f "$out/env" ]; then
	cat "$out/env"
	exit 0
fi

# 1. the source: its own stamp, so a new fragment does not refetch it
unpack() {
	rm -rf "$src" "$out/deb" && mkdir -p "$out/deb"
	cd "$out/deb"
	"$APT" download "$pkg=$ver"
	dpkg-deb -x ./*.deb "$out/deb/x"
	rm -f ./*.deb
	local tarball top
	tarball=$(ls "$out"/deb/x/usr/src/linux-source-*.tar.*)
	top=$(basename "$tarball"); top=${top%.tar.*}
	tar -C "$out/deb" -xf "$tarball"
	mv "$out/deb/$top" "$src"
	rm -rf "$out/deb"
}
if ! stamp_ok kernel-debug-src "$ver" || [ ! -f "$src/Makefile" ]; then
	rm -f "$CACHE/stamps/kernel-debug"
	step debug-kernel-src unpack
	stamp_set kernel-debug-src "$ver"
	# a build tree of another source version is stale
	rm -rf "$build" "$root"
fi

# 2. the configuration: tinyconfig + fragment, then check every option
configure() {
	mkdir -p "$build"
	"${kmake[@]}" tinyconfig
	(cd "$build" && "$src/scripts/kconfig/merge_config.sh" -m -O "$build" \
		"$build/.config" "$frag")
	"${kmake[@]}" olddefconfig
}
step debug-kernel-config configure

# every CONFIG_X=v and "# CONFIG_X is not set" of the fragment must hold
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) sym=${line%%=*}; want=$line ;;
	"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want= ;;
	*) continue ;;
	esac
	got=$(grep -E "^$sym=" "$build/.config" || true)
	if [ "$got" != "$want" ]; then
		echo "  config: $sym: fragment has '${want:-not set}', .config has '${got:-not set}'" >&2
		bad=1
	fi
done <"$frag"
[ $bad = 0 ] || die "options of $frag did not take (a missing dependency?)"

# 3. build and install the modules
step debug-kernel-build "${kmake[@]}" -j3 Image modules
rm -rf "$root"
step debug-kernel-modules "${kmake[@]}" modules_install INSTALL_MOD_PATH="$root" \
	INSTALL_MOD_STRIP=1
krel=$("${kmake[@]}" -s --no-print-directory kernelrelease)
[ -n "$krel" ] && [ -d "$root/lib/modules/$krel" ] || die "no modules installed for '$krel'"
# modules_install runs depmod when the host has one; make sure of it
depmod -b "$root" "$krel" || die "depmod failed for $krel"
# the build/source links point to the build tree: fine, and not needed
image=$build/arch/arm64/boot/Image
[ -f "$image" ] || die "no $image"

cat >"$out/env" <<ENV
KVER=debug
KPKGVER=$ver+debug
KREL=$krel
KDIR=$build
KIMAGE=$image
KMODDIR=$root/lib/modules/$krel
ENV
stamp_set kernel-debug "$key"
cat "$out/env"
