#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Other in-tree virtio drivers over the lane's transport: virtio-rng,
# virtio_console (the host checks the bytes that reach its chardev file)
# and virtio_net (the interface comes up and transmits, then leases an
# address from QEMU's user-mode network: a DHCP exchange with the
# gateway, inside QEMU, so both directions work without the host's net).
. /rig/lib.sh
tap_plan 4

rng() {
	modprobe virtio-rng || return 1
	rig_wait_path /dev/hwrng 30
	grep -q virtio /sys/class/misc/hw_random/rng_available || return 1
	[ "$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | wc -c)" -eq 16 ]
}

# The node can appear before the port behind it is ready (the device
# announces its console port through the control queue): an open in that
# window fails with ENODEV, so try again for a while.
console() {
	local i=0
	modprobe virtio_console || return 1
	rig_wait_path /dev/hvc0 30
	until echo "rig-console-ok $(uname -r)" 2>/dev/null >/dev/hvc0; do
		[ $i -lt 100 ] || { echo "# /dev/hvc0 still refuses writes after 10 s"; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
	[ $i -eq 0 ] || echo "# /dev/hvc0 took $i retries"
}

net() {
	local i=0 dev=
	modprobe virtio_net || return 1
	while [ -z "$dev" ] && [ $i -lt 30 ]; do
		for d in /sys/class/net/*; do
			[ "$(basename "$(readlink -f "$d/device/driver")")" = virtio_net ] && dev=${d##*/}
		done
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$dev" ] || return 1
	ip link set "$dev" up || return 1
	# IPv6 link-local set-up sends packets by itself once the link is up
	i=0
	while [ "$(cat /sys/class/net/$dev/statistics/tx_packets)" -eq 0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "# $dev: tx_packets $(cat /sys/class/net/$dev/statistics/tx_packets)"
	NET_DEV=$dev
	[ "$(cat /sys/class/net/$dev/statistics/tx_packets)" -gt 0 ]
}

# DHCP from the user-mode gateway: a request out, an offer and an ack in
dhcp() {
	local out
	[ -n "$NET_DEV" ] || { echo "# no virtio_net interface"; return 1; }
	command -v udhcpc >/dev/null || { echo "# no udhcpc"; return 1; }
	out=$(timeout 30 udhcpc -i "$NET_DEV" -n -q -t 5 -T 1 -s /bin/true 2>&1)
	echo "$out" | sed 's/^/# /'
	echo "# $NET_DEV: rx_packets $(cat /sys/class/net/$NET_DEV/statistics/rx_packets)"
	echo "$out" | grep -q 'obtained'
}

tap_check virtio_rng_gives_bytes rng
tap_check virtio_console_writes console
NET_DEV=
if net >/tmp/net.out 2>&1; then
	sed 's/^/# /' /tmp/net.out
	tap_ok virtio_net_transmits
else
	sed 's/^/# /' /tmp/net.out
	tap_not_ok virtio_net_transmits
fi
tap_check virtio_net_dhcp_from_gateway dhcp
tap_exit
