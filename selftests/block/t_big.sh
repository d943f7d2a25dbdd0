#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# An 8 TiB disk (serial "big": a sparse raw file with a GPT written on the
# host, tools/check/check.sh big_disk_image): the capacity through
# BLKGETSIZE64, BLKGETSZ and sysfs; the partitions the kernel found
# against the table the host wrote (rig.env BIG_PARTS, START:SIZE in
# sectors, "/" between partitions), one starting past 2^32 sectors and
# one ending at the last usable sector; data written at the disk's last
# sectors and at the ends of the partitions past 2 TiB reads back
# (direct I/O, through the partition and through the whole disk); writes
# past the end of the disk and of a partition fail and change nothing.
# A sector number cut to 32 bits would land 2^32 sectors lower: the test
# watches those places and the primary GPT; the host then checks both
# tables (host.big_gpt_intact).  Driver-agnostic.
. /rig/lib.sh
tap_plan 7
ALL="capacity_8tib partitions_found last_sectors_rw partition_tails_rw read_past_end_empty write_past_end_refused nothing_else_changed"
B=$(rig_wait_disk big 50) || {
	tap_skip_all "${SCRATCH_REASON:-no disk with serial big (the one-device, odd and microvm lanes have none)}" $ALL
	exit 0
}
[ -n "$BIG_BYTES" ] && [ -n "$BIG_PARTS" ] || {
	tap_skip_all "no BIG_BYTES and BIG_PARTS in rig.env" $ALL
	exit 0
}
N=${B#/dev/}
SECTORS=$((BIG_BYTES / 512))
# a GPT's backup table ends the disk: 32 sectors of entries, the header
LAST_USABLE=$((SECTORS - 34))
TWO_TIB=4294967296
PARTS=$(echo "$BIG_PARTS" | tr / ' ')
W=/tmp/big
mkdir -p $W

# put DEV SECTOR FILE: write FILE (whole sectors) at SECTOR of DEV
put() { timeout 30 dd if="$3" of="$1" bs=512 seek="$2" oflag=direct conv=notrunc 2>$W/dd.err; }
# get DEV SECTOR COUNT: COUNT sectors from SECTOR of DEV to stdout
get() { timeout 30 dd if="$1" bs=512 skip="$2" count="$3" iflag=direct 2>$W/dd.err; }
# same DEV SECTOR FILE: those sectors of DEV hold FILE
same() { get "$1" "$2" $(($(wc -c <"$3") / 512)) | cmp -s - "$3"; }

capacity() {
	local g z s
	g=$(blockdev --getsize64 "$B") z=$(blockdev --getsz "$B") s=$(cat /sys/block/$N/size)
	echo "# $B: BLKGETSIZE64 $g, BLKGETSIZE $z, sysfs size $s; the host made $BIG_BYTES bytes"
	[ "$g" = "$BIG_BYTES" ] && [ "$z" = "$SECTORS" ] && [ "$s" = "$SECTORS" ]
}

partitions() {
	local i=0 p got rc=0 past=0 tail=0 start size
	for p in $PARTS; do
		i=$((i + 1))
		start=${p%%:*} size=${p#*:}
		got="$(cat /sys/block/$N/$N$i/start 2>/dev/null):$(cat /sys/block/$N/$N$i/size 2>/dev/null)"
		echo "# $N$i: start:size $got, the host wrote $p"
		[ "$got" = "$p" ] && [ -b /dev/$N$i ] || rc=1
		[ "$start" -ge $TWO_TIB ] && past=1
		[ $((start + size - 1)) = $LAST_USABLE ] && tail=1
	done
	if [ -e /sys/block/$N/$N$((i + 1)) ]; then
		echo "# $N$((i + 1)) was not in the table"
		rc=1
	fi
	# what the layout is for: the host's table must have both
	echo "# a partition past 2^32 sectors: $past; one ending at the last usable sector ($LAST_USABLE): $tail"
	[ $past = 1 ] && [ $tail = 1 ] && return $rc
}

# the places a write could reach by mistake: the primary GPT, 2^32
# sectors below each place written, the sectors after each partition
watch_list() {
	local p start size
	echo "0 34"
	echo "$(((SECTORS - 8) % TWO_TIB)) 8"
	for p in $PARTS; do
		start=${p%%:*} size=${p#*:}
		echo "$(((start + size - 8) % TWO_TIB)) 8"
		echo "$((start + size)) 8"
	done
}
watch_sums() {
	local at n
	watch_list | while read -r at n; do
		echo "$at $n $(get "$B" "$at" "$n" | md5sum | cut -d' ' -f1)"
	done
}

# the disk's last 8 sectors, then its last sector alone: written, read
# back, then the backup GPT that was there put back
last_sectors() {
	local at=$((SECTORS - 8))
	get "$B" $at 8 >$W/orig || { cat $W/dd.err; return 1; }
	head -c 4096 /dev/urandom >$W/pat8
	head -c 512 /dev/urandom >$W/pat1
	put "$B" $at $W/pat8 || { cat $W/dd.err; return 1; }
	same "$B" $at $W/pat8 || { echo "# sectors $at..$((SECTORS - 1)) read back differently"; return 1; }
	put "$B" $((SECTORS - 1)) $W/pat1 || { cat $W/dd.err; return 1; }
	same "$B" $((SECTORS - 1)) $W/pat1 || { echo "# sector $((SECTORS - 1)) read back differently"; return 1; }
	echo "# sectors $at..$((SECTORS - 1)) written and read back"
	put "$B" $at $W/orig && same "$B" $at $W/orig
}

# the last 8 sectors of each partition past 2 TiB: written through the
# partition, read back through it and through the disk
tails() {
	local i=0 p start size at rc=0
	for p in $PARTS; do
		i=$((i + 1))
		start=${p%%:*} size=${p#*:}
		[ "$start" -ge $TWO_TIB ] || continue
		at=$((size - 8))
		head -c 4096 /dev/urandom >$W/tail$i
		if ! put /dev/$N$i $at $W/tail$i; then
			cat $W/dd.err
			rc=1
		elif same /dev/$N$i $at $W/tail$i && same "$B" $((start + at)) $W/tail$i; then
			echo "# $N$i: its sectors $at..$((size - 1)) (disk $((start + at))..$((start + size - 1))) read back"
		else
			echo "# $N$i: sectors $at..$((size - 1)) read back differently"
			rc=1
		fi
	done
	return $rc
}

# reads at the very end get nothing (no error: end of file)
read_end() {
	local p2 n1 n2
	p2=$(echo "$PARTS" | cut -d' ' -f2)
	n1=$(get "$B" $SECTORS 1 | wc -c)
	n2=$(get /dev/${N}2 "${p2#*:}" 1 | wc -c)
	echo "# bytes read at the end of $B: $n1, of ${N}2: $n2"
	[ "$n1" = 0 ] && [ "$n2" = 0 ]
}

# refused DEV SECTOR: a write there fails
refused() {
	head -c 512 /dev/urandom >$W/junk
	if put "$1" "$2" $W/junk; then
		echo "# a write at sector $2 of $1 succeeded"
		return 1
	fi
	echo "# $1 sector $2: $(grep -m1 -v 'records' $W/dd.err || tail -n1 $W/dd.err)"
}
write_end() {
	local p2
	p2=$(echo "$PARTS" | cut -d' ' -f2)
	refused "$B" $SECTORS && refused "$B" $((SECTORS + 8)) &&
		refused /dev/${N}2 "${p2#*:}"
}

unchanged() {
	watch_sums >$W/sums.after
	if ! cmp -s $W/sums.before $W/sums.after; then
		diff $W/sums.before $W/sums.after | sed 's/^/# /'
		return 1
	fi
	echo "# $(wc -l <$W/sums.after) watched places unchanged"
}

tap_check_v capacity_8tib capacity
tap_check_v partitions_found partitions
watch_sums >$W/sums.before
tap_check_v last_sectors_rw last_sectors
tap_check_v partition_tails_rw tails
tap_check_v read_past_end_empty read_end
tap_check_v write_past_end_refused write_end
tap_check_v nothing_else_changed unchanged
tap_exit
