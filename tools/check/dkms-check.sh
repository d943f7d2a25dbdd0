#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dkms-check.sh: the DKMS package, installed on this host as a user would.
#
# Builds dist/vmmio-dkms_VERSION_all.deb ("make deb"), checks what it
# ships, installs it with dpkg -i, then has dkms build and install the
# modules for three of the rig's cached kernels:
#   amd64 6.1   natively (-k KREL --kernelsourcedir KDIR)
#   arm64 6.1   cross: ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- --arch aarch64
#   arm64 6.12  cross, the same
# and checks each installed vmmio.ko and vblk.ko: in /lib/modules/KREL/
# updates/dkms, indexed by depmod, the kernel's ELF machine, the kernel's
# vermagic, no fault symbol (the product build), no debug info (stripped).
# Then dkms remove --all, dpkg --purge, and the host is checked to be as
# it was: the /lib/modules/KREL directories that dkms install needs are
# made for the check and removed after it.
#
# Needs root.  Installs debhelper, dh-dkms and dkms if missing (its own list:
# the rig's host-deps.sh does not carry them) and leaves them installed.
# Refuses to run where vmmio is already known to dkms: the check would
# remove it.  Reads the kernels from the rig's cache (fetched if missing),
# writes nothing there: logs go to dist/dkms-check/, and a copy of each
# kernel's installed modules to dist/dkms-check/modules-KVER/ (what the
# microvm-dkms lane of make check boots).
#
# Prints TAP and "N passed, N failed"; exits non-zero on any failure.
# Environment: DKMS_KVERS="amd64 6.1 6.12" (the kernels, as KVER),
# DKMS_JOBS=1 (dkms -j).
. "$(dirname "$0")/../lib.sh"

DKMS_KVERS=${DKMS_KVERS:-amd64 6.1 6.12}
DKMS_JOBS=${DKMS_JOBS:-1}
DEPS="debhelper dh-dkms dkms"
VERSION=$(cat "$TOP/VERSION")
DEB=$TOP/dist/vmmio-dkms_${VERSION}_all.deb
OUT=$TOP/dist/dkms-check
rm -rf "$OUT"
mkdir -p "$OUT"

. "$TOP/tools/check/host-tap.sh"
# tap NAME LOG CMD...: run CMD with its output in LOG; its last lines on failure
tap() {
	local name=$1 log=$OUT/$2.log
	shift 2
	if "$@" >"$log" 2>&1; then
		ok "$name"
	else
		not_ok "$name" "failed (rc=$?), log $log:"
		tail -n 20 "$log" | sed 's/^/#   /'
		return 1
	fi
}

[ "$(id -u)" = 0 ] || die "dkms-check.sh installs a package: run it as root"

# --- the host before -----------------------------------------------------
if dpkg-query -W -f='${Status}' vmmio-dkms 2>/dev/null | grep -q installed ||
	[ -e /var/lib/dkms/vmmio ] || compgen -G '/usr/src/vmmio-*' >/dev/null; then
	not_ok "host has no vmmio dkms module" \
		"vmmio is on this host already (dkms status: $(dkms status vmmio 2>/dev/null | tr '\n' ' '))" \
		"the check would remove it: dkms remove vmmio --all; dpkg --purge vmmio-dkms"
	finish
	exit 1
fi

missing=()
for p in $DEPS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	note "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >"$OUT/deps.log" 2>&1 || { cat "$OUT/deps.log" >&2; die "apt-get install failed"; }
fi

# the kernels: the rig's env files, read as they are; fetched when missing
declare -A KREL KDIR
for k in $DKMS_KVERS; do
	env=$(kdir_root "$k")/env
	[ -f "$env" ] || "$TOP/tools/host/fetch-kernel.sh" "$k" >/dev/null
	KREL[$k]=$(sed -n 's/^KREL=//p' "$env")
	KDIR[$k]=$(sed -n 's/^KDIR=//p' "$env")
	[ -d "${KDIR[$k]}" ] || die "no headers for $k at ${KDIR[$k]} ($env)"
done

# what the check may create, to remove it after: /lib/modules (when it was
# not there) only if empty again, a kernel's directory in it whole
made_libmod=
[ -d /lib/modules ] || made_libmod=/lib/modules
made_dirs=()
made_keys=()
for f in /var/lib/dkms/mok.key /var/lib/dkms/mok.pub; do
	[ -e "$f" ] || made_keys+=("$f")
done

restore() {
	dkms remove -m vmmio -v "$VERSION" --all >>"$OUT/cleanup.log" 2>&1 || true
	dpkg --purge vmmio-dkms >>"$OUT/cleanup.log" 2>&1 || true
	rm -rf "${made_dirs[@]}"
	[ -z "$made_libmod" ] || rmdir --ignore-fail-on-non-empty "$made_libmod" 2>/dev/null || true
	rm -f "${made_keys[@]}"
}
trap restore EXIT

# --- the package -----------------------------------------------------------
tap "make deb builds dist/vmmio-dkms_${VERSION}_all.deb" deb \
	bash -c 'make -C "$1" deb && test -f "$2"' _ "$TOP" "$DEB" || { finish; exit 1; }

# only the build's inputs: Kbuild, VERSION, dkms.conf, drivers/, compat/
src=usr/src/vmmio-$VERSION
contents() {
	dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's#^\./##; s#/$##' | grep . >"$OUT/contents.txt"
	local f
	for f in Kbuild VERSION dkms.conf drivers/virtio/vmmio_main.c drivers/block/vblk_main.c \
		compat/probe.sh compat/baseline.c; do
		grep -qxF "$src/$f" "$OUT/contents.txt" || { echo "missing: $src/$f"; return 1; }
	done
	# anything else, build output included, is printed and fails
	! grep -Ev "^(usr|usr/src|usr/share|usr/share/doc|usr/share/doc/vmmio-dkms(/changelog\.gz|/copyright)?|$src(/Kbuild|/VERSION|/dkms\.conf|/drivers(/(virtio|block)(/[a-z_]+\.[ch])?)?|/compat(/[a-z_]+\.(c|h|sh)|/probes(/[a-z_]+\.c)?)?)?)\$" \
		"$OUT/contents.txt"
}
tap "the package ships Kbuild, VERSION, dkms.conf, drivers/, compat/ only" contents contents || true

# the packaged dkms.conf, sourced as dkms does, beside the packaged VERSION
dkms_conf_ok() {
	rm -rf "$OUT/pkg" && dpkg-deb -x "$DEB" "$OUT/pkg" &&
		bash -c '. "$1"; echo "$PACKAGE_NAME $PACKAGE_VERSION ${BUILT_MODULE_NAME[*]} $AUTOINSTALL"' \
			_ "$OUT/pkg/$src/dkms.conf" | tee /dev/stderr | grep -qxF "vmmio $VERSION vmmio vblk yes"
}
tap "its dkms.conf: vmmio $VERSION, modules vmmio vblk, AUTOINSTALL" dkms-conf dkms_conf_ok || true

installed() {
	dpkg -i "$DEB" && dkms status -m vmmio -v "$VERSION" | tee /dev/stderr | grep -q "vmmio/$VERSION: added"
}
tap "dpkg -i: vmmio/$VERSION added to dkms" dpkg-install installed || { finish; exit 1; }

# --- dkms build and install for each kernel ----------------------------------
for k in $DKMS_KVERS; do
	krel=${KREL[$k]} kdir=${KDIR[$k]}
	case "$(kver_arch "$k")" in
	amd64) env=(ARCH=x86_64 CROSS_COMPILE=) darch=x86_64 machine="Advanced Micro Devices X86-64" pfx= ;;
	*) env=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) darch=aarch64 machine=AArch64 pfx=aarch64-linux-gnu- ;;
	esac
	# the rig's build switches in the environment too: dkms.conf's make line
	# must keep them out of the product (the fault symbol checks below; the
	# package ships no selftests/, so VMMIO_TESTMODS let in fails the build)
	env+=(VMMIO_FAULT=1 VMMIO_TESTMODS=1)
	args=(-m vmmio -v "$VERSION" -k "$krel" --arch "$darch" --kernelsourcedir "$kdir" -j "$DKMS_JOBS")
	tag="$krel ($darch${pfx:+, cross})"

	# dkms build leaves the build's make.log in the tree of a failed build only
	if ! tap "dkms build $tag" "build-$krel" env "${env[@]}" dkms build "${args[@]}"; then
		log=/var/lib/dkms/vmmio/$VERSION/build/make.log
		[ -f "$log" ] && cp "$log" "$OUT/make-$krel.log" && echo "#   make.log: $OUT/make-$krel.log"
		continue
	fi
	# dkms install needs the kernel's module directory
	if [ ! -d "/lib/modules/$krel" ]; then
		mkdir -p "/lib/modules/$krel"
		made_dirs+=("/lib/modules/$krel")
	fi
	tap "dkms install $tag" "install-$krel" env "${env[@]}" dkms install "${args[@]}" || continue

	mkdir -p "$OUT/modules-$k"
	for m in vmmio vblk; do
		ko=/lib/modules/$krel/updates/dkms/$m.ko
		if [ ! -f "$ko" ]; then
			not_ok "$krel: $m.ko installed" "no $ko"
			continue
		fi
		# kept for the guest that boots what dkms installed (the
		# microvm-dkms lane of make check)
		cp "$ko" "$OUT/modules-$k/"
		found=$(modinfo -k "$krel" -F filename "$m" 2>&1)
		if [ "$found" = "$ko" ]; then
			ok "$krel: $m.ko installed, depmod finds it"
		else
			not_ok "$krel: $m.ko installed, depmod finds it" "modinfo -k $krel $m: $found"
		fi
		got=$(readelf -h "$ko" | sed -n 's/^ *Machine: *//p')
		if [ "$got" = "$machine" ]; then
			ok "$krel: $m.ko is $machine"
		else
			not_ok "$krel: $m.ko is $machine" "readelf: $got"
		fi
		vm=$(modinfo -F vermagic "$ko")
		if [ "${vm%% *}" = "$krel" ]; then
			ok "$krel: $m.ko vermagic $krel"
		else
			not_ok "$krel: $m.ko vermagic $krel" "vermagic: $vm"
		fi
		mapfile -t faults < <("${pfx}nm" "$ko" | grep -i fault | head -n 5)
		if [ ${#faults[@]} -eq 0 ]; then
			ok "$krel: $m.ko has no fault symbol (product build)"
		else
			not_ok "$krel: $m.ko has no fault symbol (product build)" "${faults[@]}"
		fi
		if readelf -S "$ko" | grep -q '\.debug_info'; then
			not_ok "$krel: $m.ko stripped of debug info" "has .debug_info"
		else
			ok "$krel: $m.ko stripped of debug info"
		fi
	done
done

# --- the host after ------------------------------------------------------------
tap "dkms remove --all" dkms-remove dkms remove -m vmmio -v "$VERSION" --all || true
tap "dpkg --purge vmmio-dkms" dpkg-purge dpkg --purge vmmio-dkms || true
trap - EXIT
restore
left=()
dpkg-query -W -f='${Status}' vmmio-dkms 2>/dev/null | grep -q installed && left+=("vmmio-dkms installed")
[ -e /var/lib/dkms/vmmio ] && left+=(/var/lib/dkms/vmmio)
[ -e "/usr/src/vmmio-$VERSION" ] && left+=("/usr/src/vmmio-$VERSION")
for d in "${made_dirs[@]}" $made_libmod; do [ -e "$d" ] && left+=("$d"); done
for f in "${made_keys[@]}"; do [ -e "$f" ] && left+=("$f"); done
if [ ${#left[@]} -eq 0 ]; then
	ok "the host as it was"
else
	not_ok "the host as it was" "left: ${left[*]}"
fi
finish
