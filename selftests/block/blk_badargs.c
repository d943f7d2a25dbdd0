// SPDX-License-Identifier: GPL-2.0
/*
 * Bad arguments from user space: range ioctls (BLKDISCARD, BLKZEROOUT,
 * BLKSECDISCARD) with a misaligned start or length, a range past the end
 * of the disk, a length that wraps around, and reads and writes past the
 * end must fail cleanly (EINVAL, or EOPNOTSUPP where the disk cannot do the
 * operation at all) and must not touch a single byte of the disk: the
 * whole first MiB and the last MiB hold a pattern that is read back after
 * every refused call.
 *
 * Environment:
 *   TEST_DISK        the disk to test (default /dev/vda).  Its contents are
 *                    DESTROYED.  If it does not exist, is not a block device
 *                    or is in use (mounted...), every test is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/fs.h>

#include "blk_common.h"

#define GUARD	BLK_MIB

FIXTURE(blk_badargs) {
	struct blk_disk d;
	uint64_t gen;
};

static void guard_write(struct __test_metadata *_metadata, int fd,
			uint64_t off, uint64_t gen)
{
	void *buf = blk_alloc(GUARD);

	ASSERT_NE(NULL, buf);
	blk_pattern_fill(buf, off, GUARD, gen);
	ASSERT_EQ((ssize_t)GUARD, pwrite(fd, buf, GUARD, off));
	free(buf);
}

/* the first and the last MiB still hold their pattern, read past the cache */
static void guards_intact(struct __test_metadata *_metadata,
			  struct blk_disk *d, uint64_t gen)
{
	uint64_t offs[2] = { 0, d->bytes - GUARD };
	void *buf = blk_alloc(GUARD);
	int fd, i;

	ASSERT_NE(NULL, buf);
	fd = open(d->path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ((ssize_t)GUARD, pread(fd, buf, GUARD, offs[i]));
		EXPECT_TRUE(blk_verify(_metadata, buf, offs[i], GUARD, gen));
	}
	close(fd);
	free(buf);
}

FIXTURE_SETUP(blk_badargs)
{
	int ret = blk_disk_open(&self->d, 0);

	ASSERT_LE(0, ret) TH_LOG("%s: %s", self->d.path, strerror(-ret));
	if (self->d.fd < 0 || self->d.bytes < 4 * GUARD)
		return;
	self->gen = blk_new_gen();
	guard_write(_metadata, self->d.fd, 0, self->gen);
	guard_write(_metadata, self->d.fd, self->d.bytes - GUARD, self->gen);
	ASSERT_EQ(0, fsync(self->d.fd));
}

FIXTURE_TEARDOWN(blk_badargs)
{
	blk_disk_close(&self->d);
}

static const struct {
	unsigned long req;
	const char *name;
} range_ioctls[] = {
	{ BLKDISCARD, "BLKDISCARD" },
	{ BLKZEROOUT, "BLKZEROOUT" },
	{ BLKSECDISCARD, "BLKSECDISCARD" },
};

/* every range ioctl must refuse [start, +len), with one of two errors */
static void refused(struct __test_metadata *_metadata, int fd,
		    uint64_t start, uint64_t len)
{
	uint64_t range[2];
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(range_ioctls); i++) {
		range[0] = start;
		range[1] = len;
		ret = ioctl(fd, range_ioctls[i].req, range);
		EXPECT_EQ(-1, ret) TH_LOG("%s [%llu, +%llu) accepted",
					  range_ioctls[i].name,
					  (unsigned long long)start,
					  (unsigned long long)len);
		if (ret == -1)
			EXPECT_TRUE(errno == EINVAL || errno == EOPNOTSUPP)
				TH_LOG("%s [%llu, +%llu): %s",
				       range_ioctls[i].name,
				       (unsigned long long)start,
				       (unsigned long long)len, strerror(errno));
	}
}

TEST_F(blk_badargs, misaligned_ranges_refused)
{
	uint64_t lbs = self->d.lbs;

	if (!blk_have_disk(_metadata, &self->d) ||
	    !blk_have_bytes(_metadata, &self->d, 4 * GUARD))
		return;
	refused(_metadata, self->d.fd, 1, lbs);
	refused(_metadata, self->d.fd, 0, lbs + 1);
	refused(_metadata, self->d.fd, lbs / 2, GUARD);
	guards_intact(_metadata, &self->d, self->gen);
}

TEST_F(blk_badargs, ranges_past_the_end_refused)
{
	uint64_t end = self->d.bytes, lbs = self->d.lbs;

	if (!blk_have_disk(_metadata, &self->d) ||
	    !blk_have_bytes(_metadata, &self->d, 4 * GUARD))
		return;
	/* straddling the end, starting at it, starting beyond it */
	refused(_metadata, self->d.fd, end - lbs, 2 * lbs);
	refused(_metadata, self->d.fd, end, lbs);
	refused(_metadata, self->d.fd, end + GUARD, GUARD);
	guards_intact(_metadata, &self->d, self->gen);
}

TEST_F(blk_badargs, huge_and_wrapping_lengths_refused)
{
	uint64_t lbs = self->d.lbs;
	uint64_t huge = UINT64_MAX - (UINT64_MAX % lbs);

	if (!blk_have_disk(_metadata, &self->d) ||
	    !blk_have_bytes(_metadata, &self->d, 4 * GUARD))
		return;
	/* aligned, so only the size can be wrong; start + len wraps */
	refused(_metadata, self->d.fd, 0, huge);
	refused(_metadata, self->d.fd, GUARD, huge);
	refused(_metadata, self->d.fd, huge, lbs);
	guards_intact(_metadata, &self->d, self->gen);
}

TEST_F(blk_badargs, io_past_the_end_writes_nothing)
{
	uint64_t end = self->d.bytes;
	void *buf;

	if (!blk_have_disk(_metadata, &self->d) ||
	    !blk_have_bytes(_metadata, &self->d, 4 * GUARD))
		return;
	buf = blk_alloc(GUARD);
	ASSERT_NE(NULL, buf);
	memset(buf, 0xa5, GUARD);
	/* at the end: nothing to write (ENOSPC) or 0 bytes, never more */
	EXPECT_GE(0, pwrite(self->d.fd, buf, GUARD, end));
	EXPECT_GE(0, pwrite(self->d.fd, buf, GUARD, end + GUARD));
	/* straddling it: at most what fits */
	EXPECT_GE((ssize_t)self->d.lbs,
		  pwrite(self->d.fd, buf, GUARD, end - self->d.lbs));
	EXPECT_EQ(0, pread(self->d.fd, buf, GUARD, end));
	/* the straddling write may have changed its last block: restore */
	guard_write(_metadata, self->d.fd, end - GUARD, self->gen);
	ASSERT_EQ(0, fsync(self->d.fd));
	guards_intact(_metadata, &self->d, self->gen);
	free(buf);
}

TEST_HARNESS_MAIN
