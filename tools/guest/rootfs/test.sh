#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest half of tools/check/run-check.sh ("make run ROOTFS=" with an
# image the rig builds).  Reports what the host asked for as "rig: test"
# lines on the console; the host checks them.  Kernel command line:
#   rig.test.token=T   write T to /root/rig-test.txt and sync (the host
#                      looks for it in the image: written through or not)
#   rig.test.net=1     eth0 on QEMU's user network, a listener on port 22
#                      (busybox nc): it sends a line, prints what it got
#   rig.test.io=1      20 direct 4 KiB reads of /dev/vda, a second apart
#                      (for a debugger's breakpoint in the driver)
token='' net=0 io=0
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	rig.test.token=*) token=${arg#*=} ;;
	rig.test.net=1) net=1 ;;
	rig.test.io=1) io=1 ;;
	esac
done
echo "rig: test cpus $(grep -c '^processor' /proc/cpuinfo)"
echo "rig: test memtotal_kb $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
el=$(dmesg | sed -n 's/.*CPU: All CPU(s) started at \(EL[0-9]\).*/\1/p' | head -n1)
echo "rig: test el ${el:-unknown}"
echo "rig: test root $(awk '$2 == "/" { print $1, $3 }' /proc/mounts)"
echo "rig: test modules $(awk '{ print $1 }' /proc/modules | sort | tr '\n' ' ')"
[ -c /dev/hvc0 ] && echo "rig: test hvc0 present"
if [ -n "$token" ]; then
	echo "$token" >/root/rig-test.txt
	sync
	echo "rig: test wrote token"
fi
if [ "$net" = 1 ]; then
	# QEMU's user network: 10.0.2.0/24, the guest at .15, where the
	# forward leads
	ip link set lo up
	ip addr add 10.0.2.15/24 dev eth0
	ip link set eth0 up
	echo "rig: test net listening"
	# one connection: our line out, theirs in, until they close
	echo "pong from $(hostname)" | nc -l -p 22 >/tmp/net.in
	echo "rig: test net got $(head -n1 /tmp/net.in)"
fi
if [ "$io" = 1 ]; then
	i=0
	while [ $i -lt 20 ]; do
		dd if=/dev/vda of=/dev/null bs=4096 count=1 skip=$i iflag=direct 2>/dev/null
		sleep 1
		i=$((i + 1))
	done
	echo "rig: test io done"
fi
echo "rig: test done"
