// SPDX-License-Identifier: GPL-2.0
/*
 * Size, geometry and queue limits of a block device, as seen through the
 * block ioctls and sysfs.  Driver-agnostic: what is checked is what the
 * block layer promises for any disk, plus what the environment says the
 * disk should look like.
 *
 * Environment:
 *   TEST_DISK        the disk to test (default /dev/vda).  Its contents are
 *                    DESTROYED.  If it does not exist, is not a block device
 *                    or is in use (mounted...), every test is skipped.
 *   TEST_DISK_BYTES  expected capacity in bytes (optional)
 *   TEST_DISK_LBS    expected logical block size in bytes (optional)
 */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <linux/hdreg.h>

#include "blk_common.h"

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

FIXTURE(blk_ioctl) {
	struct blk_disk d;
	bool ro_set;
};

FIXTURE_SETUP(blk_ioctl)
{
	int ret = blk_disk_open(&self->d, 0);

	ASSERT_LE(0, ret) TH_LOG("%s: %s", self->d.path, strerror(-ret));
}

FIXTURE_TEARDOWN(blk_ioctl)
{
	int off = 0;

	/* never leave the disk read-only for the tests that follow */
	if (self->ro_set)
		ioctl(self->d.fd, BLKROSET, &off);
	blk_disk_close(&self->d);
}

TEST_F(blk_ioctl, size_matches_test_disk_bytes)
{
	uint64_t bytes = 0, want;
	int env;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	env = blk_env_u64("TEST_DISK_BYTES", &want);
	ASSERT_NE(-1, env) TH_LOG("TEST_DISK_BYTES is not a number");

	ASSERT_EQ(0, ioctl(self->d.fd, BLKGETSIZE64, &bytes));
	EXPECT_LT(0ULL, bytes);
	if (env == 1)
		EXPECT_EQ(want, bytes);
	/* the capacity is a whole number of logical blocks */
	EXPECT_EQ(0ULL, bytes % self->d.lbs);
}

TEST_F(blk_ioctl, getsize_sectors_consistent_with_getsize64)
{
	unsigned long sectors = 0;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	/* BLKGETSIZE counts 512-byte sectors whatever the block size */
	ASSERT_EQ(0, ioctl(self->d.fd, BLKGETSIZE, &sectors));
	EXPECT_EQ(self->d.bytes / BLK_SECTOR, (uint64_t)sectors);
	EXPECT_EQ(self->d.bytes, (uint64_t)sectors * BLK_SECTOR);
}

TEST_F(blk_ioctl, lseek_end_matches_size)
{
	off_t end;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	end = lseek(self->d.fd, 0, SEEK_END);
	ASSERT_LE(0, end) TH_LOG("lseek: %s", strerror(errno));
	EXPECT_EQ(self->d.bytes, (uint64_t)end);
}

TEST_F(blk_ioctl, logical_block_size_valid)
{
	uint64_t want;
	int lbs = 0;
	int env;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	env = blk_env_u64("TEST_DISK_LBS", &want);
	ASSERT_NE(-1, env) TH_LOG("TEST_DISK_LBS is not a number");

	ASSERT_EQ(0, ioctl(self->d.fd, BLKSSZGET, &lbs));
	EXPECT_TRUE(is_pow2(lbs)) TH_LOG("logical block size %d", lbs);
	if (env == 1) {
		EXPECT_EQ(want, (uint64_t)lbs);
	} else {
		EXPECT_LE(512, lbs);
		EXPECT_GE(4096, lbs);
	}
}

TEST_F(blk_ioctl, physical_block_size_at_least_logical)
{
	unsigned int pbs = 0;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_EQ(0, ioctl(self->d.fd, BLKPBSZGET, &pbs));
	EXPECT_TRUE(is_pow2(pbs)) TH_LOG("physical block size %u", pbs);
	EXPECT_LE(self->d.lbs, pbs);
}

/* the values the rig gave QEMU (TEST_DISK_PBS, _IOMIN, _IOOPT), if any */
static void expect_env(struct __test_metadata *_metadata, const char *name,
		       unsigned int got)
{
	uint64_t want;
	int env = blk_env_u64(name, &want);

	ASSERT_NE(-1, env) TH_LOG("%s is not a number", name);
	if (env == 1)
		EXPECT_EQ(want, (uint64_t)got) TH_LOG("%s", name);
}

TEST_F(blk_ioctl, topology_matches_device_properties)
{
	unsigned int pbs = 0, io_min = 0, io_opt = 0;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_EQ(0, ioctl(self->d.fd, BLKPBSZGET, &pbs));
	ASSERT_EQ(0, ioctl(self->d.fd, BLKIOMIN, &io_min));
	ASSERT_EQ(0, ioctl(self->d.fd, BLKIOOPT, &io_opt));
	TH_LOG("physical %u, io_min %u, io_opt %u", pbs, io_min, io_opt);
	expect_env(_metadata, "TEST_DISK_PBS", pbs);
	expect_env(_metadata, "TEST_DISK_IOMIN", io_min);
	expect_env(_metadata, "TEST_DISK_IOOPT", io_opt);
}

TEST_F(blk_ioctl, io_min_and_opt_are_logical_multiples)
{
	unsigned int io_min = 1, io_opt = 1;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_EQ(0, ioctl(self->d.fd, BLKIOMIN, &io_min));
	ASSERT_EQ(0, ioctl(self->d.fd, BLKIOOPT, &io_opt));
	/* 0 means "no preference"; anything else must be whole blocks */
	EXPECT_EQ(0U, io_min % self->d.lbs) TH_LOG("io_min %u", io_min);
	EXPECT_EQ(0U, io_opt % self->d.lbs) TH_LOG("io_opt %u", io_opt);
}

TEST_F(blk_ioctl, max_sectors_holds_a_block)
{
	unsigned short max_sectors = 0;
	uint64_t kb, want;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_EQ(0, ioctl(self->d.fd, BLKSECTGET, &max_sectors));
	/* a request must be able to carry at least one logical block */
	EXPECT_LE(self->d.lbs / BLK_SECTOR, (uint64_t)max_sectors);

	/* BLKSECTGET is max_sectors in 512-byte units, capped to a u16 */
	ASSERT_EQ(0, blk_sysfs_u64(self->d.queue, "max_sectors_kb", &kb));
	want = kb * 2 > 65535 ? 65535 : kb * 2;
	EXPECT_EQ(want, (uint64_t)max_sectors);
}

TEST_F(blk_ioctl, not_read_only)
{
	uint64_t ro = 1;
	int val = 1;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_EQ(0, ioctl(self->d.fd, BLKROGET, &val));
	EXPECT_EQ(0, val);
	/* the disk-wide flag, which is what the driver sets from the device */
	ASSERT_EQ(0, blk_sysfs_u64(self->d.sysfs, "ro", &ro));
	EXPECT_EQ(0ULL, ro);
}

TEST_F(blk_ioctl, read_only_toggle_blocks_writes)
{
	void *buf = blk_alloc(self->d.lbs);
	int on = 1, off = 0, val = -1;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_NE(NULL, buf);
	memset(buf, 0xa5, self->d.lbs);

	ASSERT_EQ(0, ioctl(self->d.fd, BLKROSET, &on));
	self->ro_set = true;
	ASSERT_EQ(0, ioctl(self->d.fd, BLKROGET, &val));
	EXPECT_EQ(1, val);
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->d.fd, buf, self->d.lbs, 0));
	EXPECT_EQ(EPERM, errno);

	ASSERT_EQ(0, ioctl(self->d.fd, BLKROSET, &off));
	self->ro_set = false;
	ASSERT_EQ(0, ioctl(self->d.fd, BLKROGET, &val));
	EXPECT_EQ(0, val);
	EXPECT_EQ((ssize_t)self->d.lbs, pwrite(self->d.fd, buf, self->d.lbs, 0));
	free(buf);
}

TEST_F(blk_ioctl, geometry_fits_capacity)
{
	struct hd_geometry geo = { 0 };
	uint64_t chs, cap = self->d.bytes / BLK_SECTOR;
	char path[128];

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (ioctl(self->d.fd, HDIO_GETGEO, &geo)) {
		int err = errno;

		/*
		 * The block layer answers ENOTTY when the driver has no
		 * getgeo.  That is fine for purely virtual disks like loop,
		 * which have no parent device in sysfs, but a driver for a
		 * real (or emulated) device is expected to provide one.
		 */
		snprintf(path, sizeof(path), "%s/device", self->d.sysfs);
		if (err == ENOTTY && access(path, F_OK))
			SKIP(return, "%s has no geometry (virtual disk)",
			     self->d.path);
		ASSERT_EQ(0, err) TH_LOG("HDIO_GETGEO: %s", strerror(err));
	}

	TH_LOG("C/H/S %u/%u/%u for %llu sectors", geo.cylinders, geo.heads,
	       geo.sectors, (unsigned long long)cap);
	EXPECT_LT(0, geo.heads);
	EXPECT_LT(0, geo.sectors);
	/* a sector number is 6 bits in CHS addressing */
	EXPECT_GE(63, geo.sectors);
	/* a whole disk starts at sector 0 */
	if (access(strcat(strcpy(path, self->d.sysfs), "/partition"), F_OK))
		EXPECT_EQ(0UL, geo.start);

	chs = (uint64_t)geo.cylinders * geo.heads * geo.sectors;
	/*
	 * QEMU guesses at least two cylinders of 16 heads * 63 sectors, so
	 * the geometry of a disk under 2016 sectors is larger than the disk.
	 */
	if (cap >= 2 * 16 * 63)
		EXPECT_GE(cap, chs);
}

TEST_F(blk_ioctl, sysfs_size_matches_getsize64)
{
	uint64_t sectors = 0;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	/* sysfs "size" is in 512-byte sectors, whatever the block size */
	ASSERT_EQ(0, blk_sysfs_u64(self->d.sysfs, "size", &sectors));
	EXPECT_EQ(self->d.bytes / BLK_SECTOR, sectors);
}

TEST_F(blk_ioctl, sysfs_logical_block_size_matches)
{
	uint64_t lbs = 0, hw = 0;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_EQ(0, blk_sysfs_u64(self->d.queue, "logical_block_size", &lbs));
	EXPECT_EQ((uint64_t)self->d.lbs, lbs);
	ASSERT_EQ(0, blk_sysfs_u64(self->d.queue, "hw_sector_size", &hw));
	EXPECT_EQ((uint64_t)self->d.lbs, hw);
}

TEST_F(blk_ioctl, sysfs_queue_limits_match_ioctls)
{
	unsigned int pbs = 0, io_min = 0, io_opt = 0;
	uint64_t val;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_EQ(0, ioctl(self->d.fd, BLKPBSZGET, &pbs));
	ASSERT_EQ(0, ioctl(self->d.fd, BLKIOMIN, &io_min));
	ASSERT_EQ(0, ioctl(self->d.fd, BLKIOOPT, &io_opt));

	ASSERT_EQ(0, blk_sysfs_u64(self->d.queue, "physical_block_size", &val));
	EXPECT_EQ((uint64_t)pbs, val);
	ASSERT_EQ(0, blk_sysfs_u64(self->d.queue, "minimum_io_size", &val));
	EXPECT_EQ((uint64_t)io_min, val);
	ASSERT_EQ(0, blk_sysfs_u64(self->d.queue, "optimal_io_size", &val));
	EXPECT_EQ((uint64_t)io_opt, val);
}

TEST_F(blk_ioctl, flsbuf_writes_back_dirty_data)
{
	size_t len = 64 * BLK_KIB;
	uint64_t off = self->d.bytes / 2 & ~(BLK_MIB - 1);
	uint64_t gen = blk_new_gen();
	void *wbuf = blk_alloc(len), *rbuf = blk_alloc(len);
	int dfd;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_NE(NULL, wbuf);
	ASSERT_NE(NULL, rbuf);
	ASSERT_LE(off + len, self->d.bytes);

	/* dirty the page cache, then let BLKFLSBUF write it back... */
	blk_pattern_fill(wbuf, off, len, gen);
	ASSERT_EQ((ssize_t)len, pwrite(self->d.fd, wbuf, len, off));
	ASSERT_EQ(0, ioctl(self->d.fd, BLKFLSBUF, 0))
		TH_LOG("BLKFLSBUF: %s", strerror(errno));

	/* ...and look at the device itself, past the page cache */
	dfd = open(self->d.path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, dfd) TH_LOG("open O_DIRECT: %s", strerror(errno));
	EXPECT_EQ((ssize_t)len, pread(dfd, rbuf, len, off));
	EXPECT_TRUE(blk_verify(_metadata, rbuf, off, len, gen));
	close(dfd);
	free(wbuf);
	free(rbuf);
}

TEST_F(blk_ioctl, unknown_ioctl_rejected)
{
	/* block ioctl magic 0x12 with a command number nobody uses */
	const unsigned long cmd = _IO(0x12, 0xf7);
	int want = ENOTTY;
	char path[128];

	if (!blk_have_disk(_metadata, &self->d))
		return;
	/*
	 * The block layer returns ENOTTY for commands it does not know when
	 * the driver has no ioctl method (virtio_blk has none).  loop has
	 * one, and its catch-all answers EINVAL; loop disks are the ones
	 * with a "loop" directory in sysfs.
	 */
	snprintf(path, sizeof(path), "%s/loop", self->d.sysfs);
	if (!access(path, F_OK))
		want = EINVAL;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->d.fd, cmd, 0));
	EXPECT_EQ(want, errno) TH_LOG("errno %d (%s)", errno, strerror(errno));
}

TEST_HARNESS_MAIN
