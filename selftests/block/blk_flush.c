// SPDX-License-Identifier: GPL-2.0
/*
 * Cache flushes, discard and write-zeroes on a block device: every way user
 * space has to make data durable must succeed and leave the data readable,
 * and the ways to deallocate or zero a range must do what sysfs says the
 * device supports, without touching the neighbouring blocks.
 *
 * Durability itself cannot be observed from inside the guest; what these
 * tests catch is a flush, discard or write-zeroes request the driver gets
 * wrong (an error, a hang, data going to the wrong place).
 *
 * Environment:
 *   TEST_DISK        the disk to test (default /dev/vda).  Its contents are
 *                    DESTROYED.  If it does not exist, is not a block device
 *                    or is in use (mounted...), every test is skipped.
 *   TEST_DISK_BYTES  expected capacity in bytes (optional, unused here)
 *   TEST_DISK_LBS    expected logical block size (optional, unused here)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include "blk_common.h"

FIXTURE(blk_flush) {
	struct blk_disk d;
};

FIXTURE_SETUP(blk_flush)
{
	int ret = blk_disk_open(&self->d, 0);

	ASSERT_LE(0, ret) TH_LOG("%s: %s", self->d.path, strerror(-ret));
}

FIXTURE_TEARDOWN(blk_flush)
{
	blk_disk_close(&self->d);
}

static void write_pattern(struct __test_metadata *_metadata, int fd,
			  uint64_t off, size_t len, uint64_t gen)
{
	void *buf = blk_alloc(len);

	ASSERT_NE(NULL, buf);
	blk_pattern_fill(buf, off, len, gen);
	ASSERT_EQ((ssize_t)len, pwrite(fd, buf, len, off))
		TH_LOG("pwrite %zu at %llu: %s", len, (unsigned long long)off,
		       strerror(errno));
	free(buf);
}

/* Read [off, off + len) with O_DIRECT through a new file: no page cache */
static void *read_device(struct __test_metadata *_metadata, const char *path,
			 uint64_t off, size_t len)
{
	void *buf = blk_alloc(len);
	ssize_t ret;
	int fd;

	ASSERT_NE(NULL, buf);
	memset(buf, 0x5a, len);
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ret = pread(fd, buf, len, off);
	close(fd);
	ASSERT_EQ((ssize_t)len, ret) TH_LOG("pread: %s", strerror(errno));
	return buf;
}

static bool device_has(struct __test_metadata *_metadata, const char *path,
		       uint64_t off, size_t len, uint64_t gen)
{
	void *buf = read_device(_metadata, path, off, len);
	bool ok = blk_verify(_metadata, buf, off, len, gen);

	free(buf);
	return ok;
}

static bool device_zero(struct __test_metadata *_metadata, const char *path,
			uint64_t off, size_t len)
{
	void *buf = read_device(_metadata, path, off, len);
	bool ok = blk_is_zero(buf, len);

	free(buf);
	return ok;
}

TEST_F(blk_flush, fsync_after_write)
{
	uint64_t gen = blk_new_gen(), off = 1 * BLK_MIB;
	size_t len = BLK_MIB;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, off + len))
		return;
	write_pattern(_metadata, self->d.fd, off, len, gen);
	EXPECT_EQ(0, fsync(self->d.fd)) TH_LOG("fsync: %s", strerror(errno));
	EXPECT_TRUE(device_has(_metadata, self->d.path, off, len, gen));
}

TEST_F(blk_flush, fdatasync_after_write)
{
	uint64_t gen = blk_new_gen(), off = 2 * BLK_MIB;
	size_t len = BLK_MIB;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, off + len))
		return;
	write_pattern(_metadata, self->d.fd, off, len, gen);
	EXPECT_EQ(0, fdatasync(self->d.fd))
		TH_LOG("fdatasync: %s", strerror(errno));
	EXPECT_TRUE(device_has(_metadata, self->d.path, off, len, gen));
}

TEST_F(blk_flush, sync_file_range_after_write)
{
	uint64_t gen = blk_new_gen(), off = 3 * BLK_MIB;
	size_t len = BLK_MIB;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, off + len))
		return;
	write_pattern(_metadata, self->d.fd, off, len, gen);
	EXPECT_EQ(0, sync_file_range(self->d.fd, off, len,
				     SYNC_FILE_RANGE_WAIT_BEFORE |
				     SYNC_FILE_RANGE_WRITE |
				     SYNC_FILE_RANGE_WAIT_AFTER))
		TH_LOG("sync_file_range: %s", strerror(errno));
	EXPECT_TRUE(device_has(_metadata, self->d.path, off, len, gen));
}

TEST_F(blk_flush, sync_then_verify)
{
	uint64_t gen = blk_new_gen(), off = 4 * BLK_MIB;
	size_t len = BLK_MIB;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, off + len))
		return;
	write_pattern(_metadata, self->d.fd, off, len, gen);
	sync();
	EXPECT_TRUE(device_has(_metadata, self->d.path, off, len, gen));
}

/* A flush with nothing dirty still goes to the device, and must succeed */
TEST_F(blk_flush, fsync_with_nothing_dirty)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	EXPECT_EQ(0, fsync(self->d.fd)) TH_LOG("fsync: %s", strerror(errno));
	EXPECT_EQ(0, fsync(self->d.fd)) TH_LOG("fsync: %s", strerror(errno));
	EXPECT_EQ(0, fdatasync(self->d.fd))
		TH_LOG("fdatasync: %s", strerror(errno));
}

/*
 * Writes through a second file opened with @flags: each one is followed by
 * a flush (O_SYNC, O_DSYNC), or is written with FUA or its emulation
 * (O_DIRECT | O_DSYNC).  A second open is fine while the fixture holds
 * the disk exclusively, as long as it does not ask for O_EXCL itself.
 */
static void sync_open_write(struct __test_metadata *_metadata,
			    const char *path, int flags, uint64_t off)
{
	uint64_t gen = blk_new_gen();
	size_t len = 256 * BLK_KIB, chunk = 64 * BLK_KIB, pos;
	void *buf = blk_alloc(len);
	int fd;

	ASSERT_NE(NULL, buf);
	fd = open(path, O_RDWR | O_CLOEXEC | flags);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	blk_pattern_fill(buf, off, len, gen);
	for (pos = 0; pos < len; pos += chunk)
		EXPECT_EQ((ssize_t)chunk, pwrite(fd, (char *)buf + pos, chunk,
						 off + pos))
			TH_LOG("pwrite: %s", strerror(errno));
	close(fd);
	free(buf);
	EXPECT_TRUE(device_has(_metadata, path, off, len, gen));
}

TEST_F(blk_flush, o_sync_write)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, 6 * BLK_MIB))
		return;
	sync_open_write(_metadata, self->d.path, O_SYNC, 5 * BLK_MIB);
}

TEST_F(blk_flush, o_dsync_write)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, 7 * BLK_MIB))
		return;
	sync_open_write(_metadata, self->d.path, O_DSYNC, 6 * BLK_MIB);
}

TEST_F(blk_flush, o_direct_o_dsync_write)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, 8 * BLK_MIB))
		return;
	sync_open_write(_metadata, self->d.path, O_DIRECT | O_DSYNC,
			7 * BLK_MIB);
}

TEST_F(blk_flush, write_cache_attr_valid)
{
	char mode[32];

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_EQ(0, blk_sysfs_str(self->d.queue, "write_cache", mode,
				   sizeof(mode)));
	TH_LOG("write_cache: %s", mode);
	EXPECT_TRUE(!strcmp(mode, "write back") ||
		    !strcmp(mode, "write through"))
		TH_LOG("unexpected write_cache \"%s\"", mode);
}

/*
 * The next tests fill three chunks with a pattern and then deallocate or
 * zero the middle one: the outer chunks must not change.
 */
#define CHUNK	(256 * BLK_KIB)

static void fill_three(struct __test_metadata *_metadata, int fd,
		       uint64_t off, uint64_t gen)
{
	write_pattern(_metadata, fd, off, 3 * CHUNK, gen);
	ASSERT_EQ(0, fsync(fd));
}

static void check_outer(struct __test_metadata *_metadata, const char *path,
			uint64_t off, uint64_t gen)
{
	EXPECT_TRUE(device_has(_metadata, path, off, CHUNK, gen));
	EXPECT_TRUE(device_has(_metadata, path, off + 2 * CHUNK, CHUNK, gen));
}

TEST_F(blk_flush, discard_range)
{
	uint64_t gen = blk_new_gen(), off = 8 * BLK_MIB, max = 0;
	uint64_t range[2] = { off + CHUNK, CHUNK };
	unsigned int zero = 0, old = 0, other = 0;
	unsigned char *buf, *exp;
	size_t pos;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, off + 3 * CHUNK))
		return;
	ASSERT_EQ(0, blk_sysfs_u64(self->d.queue, "discard_max_bytes", &max));
	fill_three(_metadata, self->d.fd, off, gen);

	errno = 0;
	if (!max) {
		/* no discard support: the block layer says so up front */
		EXPECT_EQ(-1, ioctl(self->d.fd, BLKDISCARD, range));
		EXPECT_EQ(EOPNOTSUPP, errno);
	} else {
		EXPECT_EQ(0, ioctl(self->d.fd, BLKDISCARD, range))
			TH_LOG("BLKDISCARD: %s", strerror(errno));
	}
	check_outer(_metadata, self->d.path, off, gen);

	/*
	 * A discarded block may read back as zeroes or as its old data
	 * (QEMU ignores discards unless the drive has discard=unmap), so
	 * only the read itself is checked; the mix is logged.
	 */
	buf = read_device(_metadata, self->d.path, off + CHUNK, CHUNK);
	exp = malloc(CHUNK);
	ASSERT_NE(NULL, exp);
	blk_pattern_fill(exp, off + CHUNK, CHUNK, gen);
	for (pos = 0; pos < CHUNK; pos += self->d.lbs) {
		if (blk_is_zero(buf + pos, self->d.lbs))
			zero++;
		else if (!memcmp(buf + pos, exp + pos, self->d.lbs))
			old++;
		else
			other++;
	}
	TH_LOG("discard_max_bytes %llu; discarded blocks: %u zero, %u old, %u other",
	       (unsigned long long)max, zero, old, other);
	if (!max)
		EXPECT_EQ(CHUNK / self->d.lbs, old);
	free(buf);
	free(exp);
}

TEST_F(blk_flush, discard_bad_ranges_rejected)
{
	uint64_t max = 0, last[2], unaligned[2] = { 1, BLK_MIB };
	uint64_t past_end[2];

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_EQ(0, blk_sysfs_u64(self->d.queue, "discard_max_bytes", &max));
	last[0] = self->d.bytes - self->d.lbs;
	last[1] = self->d.lbs;
	past_end[0] = self->d.bytes - self->d.lbs;
	past_end[1] = 2 * self->d.lbs;

	if (!max) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->d.fd, BLKDISCARD, last));
		EXPECT_EQ(EOPNOTSUPP, errno);
		return;
	}
	/* the last block is fair game... */
	EXPECT_EQ(0, ioctl(self->d.fd, BLKDISCARD, last))
		TH_LOG("BLKDISCARD of the last block: %s", strerror(errno));
	/* ...one more is not, and neither is a start off the sector grid */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->d.fd, BLKDISCARD, past_end));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->d.fd, BLKDISCARD, unaligned));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * BLKZEROOUT works on every disk: the block layer falls back to writing
 * zero pages when the device has no write-zeroes command.
 */
TEST_F(blk_flush, zeroout_range_reads_zero)
{
	uint64_t gen = blk_new_gen(), off = 9 * BLK_MIB;
	uint64_t range[2] = { off + CHUNK, CHUNK };

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, off + 3 * CHUNK))
		return;
	fill_three(_metadata, self->d.fd, off, gen);
	EXPECT_EQ(0, ioctl(self->d.fd, BLKZEROOUT, range))
		TH_LOG("BLKZEROOUT: %s", strerror(errno));
	EXPECT_TRUE(device_zero(_metadata, self->d.path, off + CHUNK, CHUNK));
	check_outer(_metadata, self->d.path, off, gen);
}

TEST_F(blk_flush, zeroout_up_to_end)
{
	uint64_t gen = blk_new_gen(), off = self->d.bytes - 4 * self->d.lbs;
	uint64_t range[2] = { off + 2 * self->d.lbs, 2 * self->d.lbs };

	if (!blk_have_disk(_metadata, &self->d))
		return;
	write_pattern(_metadata, self->d.fd, off, 4 * self->d.lbs, gen);
	ASSERT_EQ(0, fsync(self->d.fd));
	EXPECT_EQ(0, ioctl(self->d.fd, BLKZEROOUT, range))
		TH_LOG("BLKZEROOUT: %s", strerror(errno));
	EXPECT_TRUE(device_zero(_metadata, self->d.path, range[0], range[1]));
	EXPECT_TRUE(device_has(_metadata, self->d.path, off,
			       2 * self->d.lbs, gen));
}

TEST_F(blk_flush, zeroout_bad_ranges_rejected)
{
	uint64_t unaligned_start[2] = { 1, BLK_MIB };
	uint64_t unaligned_len[2] = { 0, BLK_MIB + 1 };
	uint64_t past_end[2];

	if (!blk_have_disk(_metadata, &self->d))
		return;
	past_end[0] = self->d.bytes - self->d.lbs;
	past_end[1] = 2 * self->d.lbs;

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->d.fd, BLKZEROOUT, unaligned_start));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->d.fd, BLKZEROOUT, unaligned_len));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->d.fd, BLKZEROOUT, past_end));
	EXPECT_EQ(EINVAL, errno);
}

/* fallocate(ZERO_RANGE) on a block device is BLKZEROOUT with a fallback */
TEST_F(blk_flush, fallocate_zero_range)
{
	uint64_t gen = blk_new_gen(), off = 10 * BLK_MIB;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, off + 3 * CHUNK))
		return;
	fill_three(_metadata, self->d.fd, off, gen);
	EXPECT_EQ(0, fallocate(self->d.fd,
			       FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
			       off + CHUNK, CHUNK))
		TH_LOG("fallocate: %s", strerror(errno));
	EXPECT_TRUE(device_zero(_metadata, self->d.path, off + CHUNK, CHUNK));
	check_outer(_metadata, self->d.path, off, gen);
}

/*
 * fallocate(PUNCH_HOLE) must zero without falling back to writing zeroes,
 * so it works exactly when the device has a write-zeroes command.
 */
TEST_F(blk_flush, fallocate_punch_hole)
{
	uint64_t gen = blk_new_gen(), off = 11 * BLK_MIB, wz = 0;
	int ret;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, off + 3 * CHUNK))
		return;
	ASSERT_EQ(0, blk_sysfs_u64(self->d.queue, "write_zeroes_max_bytes",
				   &wz));
	fill_three(_metadata, self->d.fd, off, gen);

	errno = 0;
	ret = fallocate(self->d.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			off + CHUNK, CHUNK);
	if (!wz) {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EOPNOTSUPP, errno);
	} else {
		EXPECT_EQ(0, ret) TH_LOG("fallocate: %s", strerror(errno));
		EXPECT_TRUE(device_zero(_metadata, self->d.path, off + CHUNK,
					CHUNK));
	}
	check_outer(_metadata, self->d.path, off, gen);
}

TEST_HARNESS_MAIN
