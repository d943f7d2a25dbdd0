/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the block device selftests: which disk to use, opening
 * it safely, sysfs attributes, and a data pattern whose expected content can
 * be recomputed for any offset.
 */
#ifndef BLK_COMMON_H
#define BLK_COMMON_H

/*
 * The 6.1 harness has an unused parameter in __timeout_handler(), which
 * -Wextra -Werror would turn into an error in code that is not ours.  (The
 * wrapper of a plain TEST() has one too, in the test file: use fixtures.)
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

/*
 * Each TEST_F() body gets inlined into a wrapper that calls setjmp(), and
 * -Wextra then warns that the body's locals "might be clobbered".  They
 * might, but after an ASSERT_*() longjmp()s back only the fixture is used,
 * never those locals; the warning is noise for every harness test.
 */
#pragma GCC diagnostic ignored "-Wclobbered"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>

#define BLK_DEFAULT_DISK	"/dev/vda"
#define BLK_SECTOR		512ULL
#define BLK_KIB			1024ULL
#define BLK_MIB			(1024ULL * 1024)
#define BLK_BUF_ALIGN		4096

struct blk_disk {
	int fd;
	const char *path;
	uint64_t bytes;			/* BLKGETSIZE64 */
	unsigned int lbs;		/* BLKSSZGET */
	char sysfs[64];			/* /sys/dev/block/MAJ:MIN */
	char queue[96];			/* the request queue's sysfs dir */
	char skip[256];			/* why the disk is unusable, or "" */
};

/* Parse a non-negative integer from the environment: 1 set, 0 unset, -1 bad */
static inline int blk_env_u64(const char *name, uint64_t *val)
{
	const char *s = getenv(name);
	char *end;

	if (!s || !*s)
		return 0;
	errno = 0;
	*val = strtoull(s, &end, 0);
	if (errno || *end || *s == '-')
		return -1;
	return 1;
}

/*
 * Open TEST_DISK read-write for a test.  Returns 0 on success, 1 if the test
 * has to be skipped (reason in d->skip) and -errno if the disk looks usable
 * but something failed, which the caller reports as a failure.
 *
 * The disk is opened with O_EXCL: the kernel then refuses with EBUSY if a
 * filesystem, swap or a stacked driver holds the disk or one of its
 * partitions.  Since the tests overwrite the disk, a mistake in TEST_DISK (or
 * running a binary on a host whose root is /dev/vda) must end in a skip and
 * not in a destroyed filesystem.  The exclusive claim lasts until close.
 */
static inline int blk_disk_open(struct blk_disk *d, int flags)
{
	struct stat st;
	int part;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->path = getenv("TEST_DISK");
	if (!d->path || !*d->path)
		d->path = BLK_DEFAULT_DISK;

	if (stat(d->path, &st)) {
		/* the rig says why a lane has no disk, e.g. driver not ready */
		const char *why = getenv("TEST_DISK_SKIP_REASON");

		if (why && *why)
			snprintf(d->skip, sizeof(d->skip), "%s", why);
		else
			snprintf(d->skip, sizeof(d->skip), "TEST_DISK=%s: %s",
				 d->path, strerror(errno));
		return 1;
	}
	if (!S_ISBLK(st.st_mode)) {
		snprintf(d->skip, sizeof(d->skip),
			 "TEST_DISK=%s is not a block device", d->path);
		return 1;
	}

	d->fd = open(d->path, O_RDWR | O_EXCL | O_CLOEXEC | flags);
	if (d->fd < 0) {
		int err = errno;

		if (err == EBUSY || err == EACCES || err == EPERM ||
		    err == EROFS) {
			snprintf(d->skip, sizeof(d->skip),
				 "TEST_DISK=%s cannot be claimed for writing (%s)%s",
				 d->path, strerror(err), err == EBUSY ?
				 ": mounted or in use, refusing to overwrite it" :
				 "");
			return 1;
		}
		return -err;
	}

	if (ioctl(d->fd, BLKGETSIZE64, &d->bytes) ||
	    ioctl(d->fd, BLKSSZGET, &d->lbs)) {
		int err = errno;

		close(d->fd);
		d->fd = -1;
		return -err;
	}

	/*
	 * Go through the device number rather than the name so that symlinks
	 * like /dev/disk/by-path/... work; a partition has no queue/ of its
	 * own and uses the one of its disk.
	 */
	snprintf(d->sysfs, sizeof(d->sysfs), "/sys/dev/block/%u:%u",
		 major(st.st_rdev), minor(st.st_rdev));
	snprintf(d->queue, sizeof(d->queue), "%s/partition", d->sysfs);
	part = access(d->queue, F_OK) == 0;
	snprintf(d->queue, sizeof(d->queue), "%s/%squeue", d->sysfs,
		 part ? "../" : "");
	return 0;
}

static inline void blk_disk_close(struct blk_disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/*
 * Every test starts with "if (!blk_have_disk(...)) return;": the 6.1 harness
 * still runs the test body when FIXTURE_SETUP() skipped, so the setup only
 * records why the disk is unusable and the skip happens here.
 */
static inline bool blk_have_disk(struct __test_metadata *_metadata,
				 const struct blk_disk *d)
{
	if (d->fd < 0)
		SKIP(return false, "%s", d->skip);
	return true;
}

/* Tests that need a bigger disk than they got are skipped, not failed */
static inline bool blk_have_bytes(struct __test_metadata *_metadata,
				  const struct blk_disk *d, uint64_t n)
{
	if (d->bytes < n)
		SKIP(return false, "disk too small: %llu bytes, need %llu",
		     (unsigned long long)d->bytes, (unsigned long long)n);
	return true;
}

/* Read a sysfs attribute below @dir, without the trailing newline. */
static inline int blk_sysfs_str(const char *dir, const char *attr,
				char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static inline int blk_sysfs_u64(const char *dir, const char *attr,
				uint64_t *val)
{
	char buf[64], *end;
	int ret;

	ret = blk_sysfs_str(dir, attr, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
}

static inline void *blk_alloc(size_t len)
{
	void *p;

	if (posix_memalign(&p, BLK_BUF_ALIGN, len ? len : 1))
		return NULL;
	return p;
}

/*
 * Write back and drop the page cache of the disk, so that the next buffered
 * read has to come from the device instead of the pages just written.
 * BLKFLSBUF writes back and invalidates the whole bdev mapping; fadvise is
 * belt and braces for pages BLKFLSBUF could not drop.
 */
static inline int blk_drop_cache(int fd)
{
	if (fsync(fd) || ioctl(fd, BLKFLSBUF, 0))
		return -errno;
	return -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

/* A seed unique to this run, so stale data of an earlier run never matches */
static inline uint64_t blk_new_gen(void)
{
	static uint64_t count;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)getpid() << 20) ^ (++count * 0x9e3779b97f4a7c15ULL);
}

/* splitmix64 finalizer: turns counters into well spread seeds */
static inline uint64_t blk_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64 step, also the PRNG the tests use to pick offsets */
static inline uint64_t blk_xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/*
 * Pattern of the 512-byte chunk at disk offset @off for generation @gen.
 * Each chunk is an xorshift64 stream seeded from (gen, off), so any range
 * can be recomputed from its offset alone.  The first two words carry the
 * offset and generation in clear: when a chunk comes back wrong, they tell
 * misdirected I/O (a valid chunk of another offset) from corruption.
 */
static inline void blk_pattern_chunk(uint64_t *w, uint64_t off, uint64_t gen)
{
	uint64_t s = blk_mix64(off ^ blk_mix64(gen)) | 1;
	unsigned int i;

	w[0] = off;
	w[1] = gen;
	for (i = 2; i < BLK_SECTOR / 8; i++)
		w[i] = blk_xorshift64(&s);
}

/* Fill @buf with the pattern of disk range [off, off + len) */
static inline void blk_pattern_fill(void *buf, uint64_t off, size_t len,
				    uint64_t gen)
{
	uint64_t chunk[BLK_SECTOR / 8];
	unsigned char *p = buf;

	while (len) {
		uint64_t base = off & ~(BLK_SECTOR - 1);
		size_t skip = off - base;
		size_t n = BLK_SECTOR - skip;

		if (n > len)
			n = len;
		if (!skip && n == BLK_SECTOR && !((uintptr_t)p & 7)) {
			blk_pattern_chunk((uint64_t *)p, base, gen);
		} else {
			blk_pattern_chunk(chunk, base, gen);
			memcpy(p, (unsigned char *)chunk + skip, n);
		}
		p += n;
		off += n;
		len -= n;
	}
}

/* FNV-1a, 64-bit, over bytes */
static inline uint64_t blk_fnv1a(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static inline bool blk_is_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	return !len || (!p[0] && !memcmp(p, p + 1, len - 1));
}

/*
 * Check that @got, read from disk offset @off, holds the pattern of
 * generation @gen: by checksum and by memcmp (the checksum alone could hide
 * a collision, memcmp alone gives no summary).  On a mismatch, log the first
 * bad byte and what its chunk holds instead.
 */
static inline bool blk_verify(struct __test_metadata *_metadata,
			      const void *got, uint64_t off, size_t len,
			      uint64_t gen)
{
	const unsigned char *g = got;
	unsigned char *exp;
	uint64_t hg, he;
	size_t i;
	bool ok;

	exp = malloc(len ? len : 1);
	if (!exp) {
		TH_LOG("out of memory for %zu bytes", len);
		return false;
	}
	blk_pattern_fill(exp, off, len, gen);
	hg = blk_fnv1a(got, len);
	he = blk_fnv1a(exp, len);
	ok = hg == he && !memcmp(got, exp, len);
	if (!ok) {
		for (i = 0; i < len && g[i] == exp[i]; i++)
			;
		TH_LOG("bad data in [%llu, +%zu) gen %016llx: fnv %016llx, want %016llx",
		       (unsigned long long)off, len, (unsigned long long)gen,
		       (unsigned long long)hg, (unsigned long long)he);
		if (i < len) {
			uint64_t at = (off + i) & ~(BLK_SECTOR - 1);
			size_t rel = at - off;
			uint64_t hdr[2];

			TH_LOG("first bad byte at %llu",
			       (unsigned long long)(off + i));
			if (at >= off && rel + BLK_SECTOR <= len) {
				memcpy(hdr, g + rel, sizeof(hdr));
				TH_LOG("chunk %llu (%s) is for offset %llu gen %016llx",
				       (unsigned long long)at,
				       blk_is_zero(g + rel, BLK_SECTOR) ?
				       "all zero" : "not zero",
				       (unsigned long long)hdr[0],
				       (unsigned long long)hdr[1]);
			}
		}
	}
	free(exp);
	return ok;
}

#endif /* BLK_COMMON_H */
