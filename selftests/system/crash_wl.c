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
 * The host (tools/check/crash-verify.py) replays the disk's write log to flush
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
 * With CRASH_ARM_FILE and CRASH_ARM_EVERY=K set in the environment, the
 * string "1" is written to that file at records K, 2K, 3K, ...: the lane
 * arms vblk's corrupt_hdr fault knob there, so the next request the disk
 * sends is malformed and the device needs a reset in the middle of the
 * records.  Odd-numbered arms come before the record's write, so its data
 * write is the request that breaks; even-numbered ones after its data has
 * been written back (sync_file_range), just before its sync, so the
 * request that breaks is the sync's own: the flush on the raw device, the
 * journal commit's first write on ext4.  Every arm prints
 * "# crash: armed CASE ID write|sync".
 *
 * vblk gives up on a disk (the disk is dead) at its sixth reset within a
 * minute, so at most ARM_BURST arms fall in any ARM_WINDOW_S seconds: the
 * workload sleeps before an arm that would break that.  The margin leaves
 * room for one reset nobody asked for and for the legacy timeout path's
 * lag between the arm and its reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REC_SIZE	4096
#define REC_MAGIC	"VMCRASH1"
#define HDR_MAGIC	"VMCRASHH"
#define ARM_BURST	4
#define ARM_WINDOW_S	65

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

/* the same seed mixing as selftests/block/: splitmix64's finalizer */
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* sleep until one more arm keeps ARM_BURST arms in any ARM_WINDOW_S */
static void arm_pace(unsigned long nr_armed)
{
	static double armed_at[ARM_BURST];
	double wait = 0;
	unsigned int slot = nr_armed % ARM_BURST;

	if (nr_armed >= ARM_BURST)
		wait = armed_at[slot] + ARM_WINDOW_S - now_s();
	if (wait > 0) {
		printf("# crash: %s waits %.0f s: vblk allows 5 resets a minute\n",
		       case_name, wait);
		usleep((useconds_t)(wait * 1e6));
	}
	armed_at[slot] = now_s();
}

/*
 * The fault knob, armed before record @i if the environment asks for it
 * there; @fd and @off locate the record, already written when @at_sync
 * (the caller asks before the record's write and again before its sync).
 */
static void maybe_arm(unsigned long i, int fd, off_t off, int at_sync)
{
	static const char * const where[] = { "write", "sync" };
	static unsigned long nr_armed;
	const char *file = getenv("CRASH_ARM_FILE");
	const char *every = getenv("CRASH_ARM_EVERY");
	unsigned long k;
	int kfd;

	k = every ? strtoul(every, NULL, 0) : 0;
	if (!file || !k || !i || i % k)
		return;
	/* the first, third, ... arm before the write, the others before the sync */
	if ((i / k) % 2 != (unsigned long)!at_sync)
		return;
	if (at_sync &&
	    sync_file_range(fd, off, REC_SIZE, SYNC_FILE_RANGE_WAIT_BEFORE |
			    SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER))
		die("sync_file_range");
	arm_pace(nr_armed++);
	kfd = open(file, O_WRONLY | O_CLOEXEC);
	if (kfd < 0 || write(kfd, "1", 1) != 1)
		die(file);
	close(kfd);
	printf("# crash: armed %s %lu %s\n", case_name, i, where[at_sync]);
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
		off_t off = base + (off_t)i * REC_SIZE;

		maybe_arm(i, fd, off, 0);
		make_record(rec, tag, i, i);
		write_all(fd, rec, off);
		maybe_arm(i, fd, off, 1);
		if (i % 2 ? fsync(fd) : fdatasync(fd))
			die("sync");
		printf("# crash: ack %s %lu\n", case_name, i);
	}
	if (close(fd))
		die("close");
	printf("# crash: done %s %lu\n", case_name, n);
	return 0;
}
