// SPDX-License-Identifier: GPL-2.0
/*
 * crash_wl: the guest half of the crash-consistency lane.  Writes numbered
 * records, makes each one durable with fsync()/fdatasync(), and prints a
 * line for every record whose sync returned:
 *
 *   # crash: begin CASE tag TAG
 *   # crash: ack CASE ID            (one per record, after its sync)
 *   # crash: done CASE N
 *
 * The host (scripts/crash-verify.py) replays the disk's write log to flush
 * marks and checks that the records which had to be durable there are.
 *
 *   crash_wl raw DEV N CASE     records on the block device itself, record
 *                               i at byte 4096 * (i + 1); block 0 holds a
 *                               header written and synced first
 *   crash_wl file DIR N CASE    records appended to DIR/records, record i
 *                               at byte 4096 * i (the file and DIR synced
 *                               before the first record)
 *
 * A record is 4096 bytes, little-endian:
 *   0     "VMCRASH1"
 *   8     tag       random per run: stale data never matches
 *   16    id
 *   24    acked     how many records had been acknowledged when this one
 *                   was written (ids 0..acked-1): the host derives from it
 *                   which records a later point of the log must hold
 *   32    payload   xorshift64 stream seeded from (tag, id)
 *   4088  FNV-1a 64 of bytes 0..4087
 * Even ids are synced with fdatasync(), odd ones with fsync().
 *
 * With CRASH_ARM_FILE and CRASH_ARM_AT set in the environment, the string
 * "1" is written to that file just before record CRASH_ARM_AT: the lane
 * arms vblk's corrupt_hdr fault knob there, so the device needs a reset
 * in the middle of the records.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC_SIZE	4096
#define REC_MAGIC	"VMCRASH1"
#define HDR_MAGIC	"VMCRASHH"

static const char *case_name;

static void die(const char *what)
{
	fprintf(stderr, "crash_wl %s: %s: %s\n", case_name, what,
		strerror(errno));
	exit(1);
}

static void put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* the same seed mixing as selftests/blk: splitmix64's finalizer */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void make_record(unsigned char *r, uint64_t tag, uint64_t id,
			uint64_t acked)
{
	uint64_t s = mix64(tag ^ mix64(id + 1)) | 1;
	size_t off;

	memcpy(r, REC_MAGIC, 8);
	put64(r + 8, tag);
	put64(r + 16, id);
	put64(r + 24, acked);
	for (off = 32; off < REC_SIZE - 8; off += 8) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		put64(r + off, s);
	}
	put64(r + REC_SIZE - 8, fnv1a(r, REC_SIZE - 8));
}

static void write_all(int fd, const unsigned char *buf, off_t off)
{
	ssize_t n = pwrite(fd, buf, REC_SIZE, off);

	if (n < 0)
		die("pwrite");
	if (n != REC_SIZE) {
		errno = EIO;
		die("short pwrite");
	}
}

static uint64_t new_tag(void)
{
	uint64_t tag = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &tag, sizeof(tag)) != sizeof(tag))
		die("/dev/urandom");
	close(fd);
	return tag | 1;	/* never 0: an all-zero block has tag 0 */
}

/* the fault knob, armed once before record @i if the environment says so */
static void maybe_arm(unsigned long i)
{
	const char *file = getenv("CRASH_ARM_FILE");
	const char *at = getenv("CRASH_ARM_AT");
	int fd;

	if (!file || !at || strtoul(at, NULL, 0) != i)
		return;
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		die(file);
	close(fd);
	printf("# crash: armed %s before %lu\n", case_name, i);
}

int main(int argc, char **argv)
{
	static unsigned char rec[REC_SIZE];
	unsigned long n, i;
	off_t base = 0;
	uint64_t tag;
	int fd, raw;
	char *end;

	if (argc != 5 || (strcmp(argv[1], "raw") && strcmp(argv[1], "file"))) {
		fprintf(stderr, "usage: crash_wl raw|file DEV|DIR N CASE\n");
		return 2;
	}
	raw = !strcmp(argv[1], "raw");
	n = strtoul(argv[3], &end, 0);
	if (*end || !n) {
		fprintf(stderr, "crash_wl: bad record count '%s'\n", argv[3]);
		return 2;
	}
	case_name = argv[4];
	/* the acks go to the console: each must be out before the next write */
	setvbuf(stdout, NULL, _IOLBF, 0);
	tag = new_tag();

	if (raw) {
		fd = open(argv[2], O_RDWR | O_CLOEXEC);
		if (fd < 0)
			die(argv[2]);
		/*
		 * A synced header first: in write-through mode QEMU follows a
		 * FUA write with a flush only if something was written since
		 * the last one, so the first record would have no flush of
		 * its own in the log on an untouched disk.
		 */
		memset(rec, 0, sizeof(rec));
		memcpy(rec, HDR_MAGIC, 8);
		put64(rec + 8, tag);
		write_all(fd, rec, 0);
		if (fsync(fd))
			die("fsync of the header");
		base = REC_SIZE;
	} else {
		char path[512];
		int dfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0)
			die(argv[2]);
		snprintf(path, sizeof(path), "%s/records", argv[2]);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			die(path);
		/* the file's directory entry must be durable before any record */
		if (fsync(fd) || fsync(dfd))
			die("fsync of the new file");
		close(dfd);
	}
	printf("# crash: begin %s tag %016llx\n", case_name,
	       (unsigned long long)tag);

	for (i = 0; i < n; i++) {
		maybe_arm(i);
		make_record(rec, tag, i, i);
		write_all(fd, rec, base + (off_t)i * REC_SIZE);
		if (i % 2 ? fsync(fd) : fdatasync(fd))
			die("sync");
		printf("# crash: ack %s %lu\n", case_name, i);
	}
	if (close(fd))
		die("close");
	printf("# crash: done %s %lu\n", case_name, n);
	return 0;
}
