// SPDX-License-Identifier: GPL-2.0
/*
 * Data integrity of a block device: what is written at an offset is what
 * comes back from there, for small and large requests, at the edges of the
 * disk, with several requests in flight, through the page cache and with
 * O_DIRECT.  Every test runs twice: variant "buffered" goes through the page
 * cache (which is dropped before reading back, so the data has to come from
 * the device), variant "direct" uses O_DIRECT with 4096-aligned buffers.
 *
 * The data is a pattern computed from (offset, generation), see
 * blk_pattern_fill(); the generation is new for every write so data left by
 * an earlier run or test never passes for fresh data.
 *
 * Environment:
 *   TEST_DISK        the disk to test (default /dev/vda).  Its contents are
 *                    DESTROYED.  If it does not exist, is not a block device
 *                    or is in use (mounted...), every test is skipped.
 *   TEST_DISK_BYTES  expected capacity in bytes (optional, unused here)
 *   TEST_DISK_LBS    expected logical block size (optional, unused here)
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>

#include "blk_common.h"

/* disks up to this size get written and verified end to end */
#define FULL_DISK_MAX	(128 * BLK_MIB)

FIXTURE(blk_rw) {
	struct blk_disk d;
};

FIXTURE_VARIANT(blk_rw) {
	bool direct;
};

FIXTURE_VARIANT_ADD(blk_rw, buffered) {
	.direct = false,
};

FIXTURE_VARIANT_ADD(blk_rw, direct) {
	.direct = true,
};

FIXTURE_SETUP(blk_rw)
{
	int ret = blk_disk_open(&self->d, variant->direct ? O_DIRECT : 0);

	ASSERT_LE(0, ret) TH_LOG("%s: %s", self->d.path, strerror(-ret));
}

FIXTURE_TEARDOWN(blk_rw)
{
	blk_disk_close(&self->d);
}

/*
 * Write back and drop the page cache; for O_DIRECT this still flushes the
 * device cache, which does no harm.
 */
static void settle(struct __test_metadata *_metadata, int fd)
{
	int ret = blk_drop_cache(fd);

	ASSERT_EQ(0, ret) TH_LOG("dropping the cache: %s", strerror(-ret));
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

static bool check_pattern(struct __test_metadata *_metadata, int fd,
			  uint64_t off, size_t len, uint64_t gen)
{
	void *buf = blk_alloc(len);
	ssize_t ret;
	bool ok;

	ASSERT_NE(NULL, buf);
	/* not zero: a read that transfers nothing must not look like data */
	memset(buf, 0x5a, len);
	ret = pread(fd, buf, len, off);
	EXPECT_EQ((ssize_t)len, ret)
		TH_LOG("pread %zu at %llu: %s", len, (unsigned long long)off,
		       strerror(errno));
	ok = ret == (ssize_t)len && blk_verify(_metadata, buf, off, len, gen);
	free(buf);
	return ok;
}

/* Write [off, off + len), make sure it reached the device, read it back */
static void roundtrip(struct __test_metadata *_metadata, int fd,
		      uint64_t off, size_t len)
{
	uint64_t gen = blk_new_gen();

	write_pattern(_metadata, fd, off, len, gen);
	settle(_metadata, fd);
	EXPECT_TRUE(check_pattern(_metadata, fd, off, len, gen));
}

TEST_F(blk_rw, first_block)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	roundtrip(_metadata, self->d.fd, 0, self->d.lbs);
}

TEST_F(blk_rw, last_block)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	roundtrip(_metadata, self->d.fd, self->d.bytes - self->d.lbs,
		  self->d.lbs);
}

TEST_F(blk_rw, last_mib_up_to_end)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, BLK_MIB))
		return;
	roundtrip(_metadata, self->d.fd, self->d.bytes - BLK_MIB, BLK_MIB);
}

TEST_F(blk_rw, io_512b)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (variant->direct && self->d.lbs > BLK_SECTOR)
		SKIP(return, "O_DIRECT I/O of 512 bytes is below the %u-byte blocks",
		     self->d.lbs);
	if (!blk_have_bytes(_metadata, &self->d, 2 * BLK_MIB))
		return;
	roundtrip(_metadata, self->d.fd, BLK_MIB + 3 * BLK_SECTOR, BLK_SECTOR);
}

/* The odd offsets below cross page, 1 MiB and request size boundaries */
TEST_F(blk_rw, io_4k)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, 3 * BLK_MIB))
		return;
	roundtrip(_metadata, self->d.fd, 2 * BLK_MIB + 7 * self->d.lbs,
		  4 * BLK_KIB);
}

TEST_F(blk_rw, io_64k)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, 4 * BLK_MIB))
		return;
	roundtrip(_metadata, self->d.fd, 3 * BLK_MIB - 5 * self->d.lbs,
		  64 * BLK_KIB);
}

TEST_F(blk_rw, io_1m)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, 6 * BLK_MIB))
		return;
	roundtrip(_metadata, self->d.fd, 5 * BLK_MIB - 9 * self->d.lbs,
		  BLK_MIB);
}

/* Bigger than any single request: the block layer has to split it */
TEST_F_TIMEOUT(blk_rw, io_4m_crossing_splits, 120)
{
	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, 13 * BLK_MIB))
		return;
	roundtrip(_metadata, self->d.fd, 8 * BLK_MIB - 3 * self->d.lbs,
		  4 * BLK_MIB);
}

/*
 * 64 writes of up to 256 KiB spread over the whole disk, one per 1/64th of
 * it, issued in a shuffled order and read back in another one; a request
 * that lands at the wrong sector clobbers one of the others.
 */
TEST_F_TIMEOUT(blk_rw, random_offsets_spread, 120)
{
	const unsigned int n = 64;
	uint64_t gen = blk_new_gen(), seed = blk_mix64(gen) | 1;
	uint64_t slot, max_len, off[64];
	size_t len[64];
	unsigned int i, j, bad = 0;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	slot = self->d.bytes / n & ~(uint64_t)(self->d.lbs - 1);
	if (!blk_have_bytes(_metadata, &self->d, n * self->d.lbs))
		return;
	max_len = slot < 256 * BLK_KIB ? slot : 256 * BLK_KIB;

	for (i = 0; i < n; i++) {
		uint64_t blocks = max_len / self->d.lbs;

		len[i] = self->d.lbs * (1 + blk_xorshift64(&seed) % blocks);
		blocks = (slot - len[i]) / self->d.lbs + 1;
		off[i] = i * slot +
			 self->d.lbs * (blk_xorshift64(&seed) % blocks);
	}

	/* 37 and 23 are odd, so i * 37 % 64 visits every slot once */
	for (i = 0; i < n; i++) {
		j = i * 37 % n;
		write_pattern(_metadata, self->d.fd, off[j], len[j], gen);
	}
	settle(_metadata, self->d.fd);
	for (i = 0; i < n; i++) {
		j = i * 23 % n;
		if (!check_pattern(_metadata, self->d.fd, off[j], len[j], gen))
			bad++;
	}
	EXPECT_EQ(0U, bad) TH_LOG("%u of %u ranges bad, gen %016llx", bad, n,
				  (unsigned long long)gen);
}

/* A second write over the middle of a first one replaces just that part */
TEST_F(blk_rw, overwrite_partial_range)
{
	uint64_t a = blk_new_gen(), b = blk_new_gen();
	uint64_t off = 4 * BLK_MIB, inner = off + 64 * BLK_KIB + self->d.lbs;
	size_t len = 256 * BLK_KIB, inner_len = 64 * BLK_KIB;
	unsigned char *buf = blk_alloc(len);

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, off + len))
		return;
	ASSERT_NE(NULL, buf);

	write_pattern(_metadata, self->d.fd, off, len, a);
	write_pattern(_metadata, self->d.fd, inner, inner_len, b);
	settle(_metadata, self->d.fd);

	ASSERT_EQ((ssize_t)len, pread(self->d.fd, buf, len, off));
	EXPECT_TRUE(blk_verify(_metadata, buf, off, inner - off, a));
	EXPECT_TRUE(blk_verify(_metadata, buf + (inner - off), inner,
			       inner_len, b));
	EXPECT_TRUE(blk_verify(_metadata, buf + (inner - off) + inner_len,
			       inner + inner_len,
			       off + len - inner - inner_len, a));
	free(buf);
}

/* The block layer refuses writes starting at or past the end with ENOSPC */
TEST_F(blk_rw, write_at_end_fails_enospc)
{
	void *buf = blk_alloc(self->d.lbs);

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_NE(NULL, buf);
	memset(buf, 0xee, self->d.lbs);

	errno = 0;
	EXPECT_EQ(-1, pwrite(self->d.fd, buf, self->d.lbs, self->d.bytes));
	EXPECT_EQ(ENOSPC, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->d.fd, buf, self->d.lbs,
			     self->d.bytes + 16 * self->d.lbs));
	EXPECT_EQ(ENOSPC, errno);
	free(buf);
}

/* ...and truncates a write that straddles the end to what fits */
TEST_F(blk_rw, write_straddling_end_is_short)
{
	uint64_t gen = blk_new_gen(), off = self->d.bytes - self->d.lbs;
	size_t len = 2 * self->d.lbs;
	void *buf = blk_alloc(len);

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_NE(NULL, buf);
	blk_pattern_fill(buf, off, len, gen);

	EXPECT_EQ((ssize_t)self->d.lbs, pwrite(self->d.fd, buf, len, off))
		TH_LOG("pwrite: %s", strerror(errno));
	settle(_metadata, self->d.fd);
	EXPECT_TRUE(check_pattern(_metadata, self->d.fd, off, self->d.lbs,
				  gen));
	free(buf);
}

/* Reads at the end see end-of-file, reads across it are short */
TEST_F(blk_rw, read_at_end_is_short_or_empty)
{
	size_t len = 2 * self->d.lbs;
	void *buf = blk_alloc(len);

	if (!blk_have_disk(_metadata, &self->d))
		return;
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, pread(self->d.fd, buf, self->d.lbs, self->d.bytes));
	EXPECT_EQ(0, pread(self->d.fd, buf, self->d.lbs,
			   self->d.bytes + 16 * self->d.lbs));
	EXPECT_EQ((ssize_t)self->d.lbs,
		  pread(self->d.fd, buf, len, self->d.bytes - self->d.lbs));
	free(buf);
}

/*
 * Fill [base, base + base_len) with one pattern, then write a second one at
 * [off, off + len) from a buffer @misalign bytes off its 4 KiB alignment.
 * Through the page cache any offset, length and buffer address works (with
 * a read-modify-write of the partial blocks, which must preserve their
 * other bytes).  O_DIRECT I/O that is not block aligned fails with EINVAL
 * and must leave the disk alone.
 */
static void overlay(struct __test_metadata *_metadata, int fd,
		    uint64_t base, size_t base_len, uint64_t off, size_t len,
		    size_t misalign, bool expect_einval)
{
	uint64_t a = blk_new_gen(), b = blk_new_gen();
	unsigned char *raw = blk_alloc(len + misalign);
	unsigned char *buf = blk_alloc(base_len);
	size_t head = off - base, tail = base_len - head - len;
	ssize_t ret;

	ASSERT_NE(NULL, raw);
	ASSERT_NE(NULL, buf);
	write_pattern(_metadata, fd, base, base_len, a);
	settle(_metadata, fd);

	blk_pattern_fill(raw + misalign, off, len, b);
	errno = 0;
	ret = pwrite(fd, raw + misalign, len, off);
	if (expect_einval) {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, pread(fd, raw + misalign, len, off));
		EXPECT_EQ(EINVAL, errno);
		b = a;
	} else {
		EXPECT_EQ((ssize_t)len, ret) TH_LOG("pwrite: %s",
						    strerror(errno));
	}
	settle(_metadata, fd);

	ASSERT_EQ((ssize_t)base_len, pread(fd, buf, base_len, base));
	EXPECT_TRUE(blk_verify(_metadata, buf, base, head, a));
	EXPECT_TRUE(blk_verify(_metadata, buf + head, off, len, b));
	EXPECT_TRUE(blk_verify(_metadata, buf + head + len, off + len, tail,
			       a));

	if (!expect_einval) {
		/* and the unaligned range reads back by itself too */
		memset(raw, 0, len + misalign);
		EXPECT_EQ((ssize_t)len, pread(fd, raw + misalign, len, off));
		EXPECT_TRUE(blk_verify(_metadata, raw + misalign, off, len, b));
	}
	free(raw);
	free(buf);
}

TEST_F(blk_rw, misaligned_offset)
{
	uint64_t base = 10 * BLK_MIB;
	uint64_t off = base + 4 * self->d.lbs + self->d.lbs / 2;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, base + BLK_MIB))
		return;
	overlay(_metadata, self->d.fd, base, 64 * BLK_KIB, off,
		4 * self->d.lbs, 0, variant->direct);
}

TEST_F(blk_rw, misaligned_length)
{
	uint64_t base = 10 * BLK_MIB, off = base + 4 * self->d.lbs;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, base + BLK_MIB))
		return;
	overlay(_metadata, self->d.fd, base, 64 * BLK_KIB, off,
		3 * self->d.lbs + self->d.lbs / 2, 0, variant->direct);
}

TEST_F(blk_rw, misaligned_buffer)
{
	uint64_t base = 10 * BLK_MIB, off = base + 4 * self->d.lbs;
	uint64_t dma_align = BLK_SECTOR - 1;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, base + BLK_MIB))
		return;
	/*
	 * Since 6.0, O_DIRECT buffers need only the queue's DMA alignment
	 * (511 unless the driver says otherwise), not the block size.  One
	 * byte off is misaligned for any mask other than 0.  Since 6.18 the
	 * check happens when the bio is split, which a bio of one segment
	 * within a page skips: 16 KiB spans several pages, so the EINVAL
	 * comes on every kernel.
	 */
	blk_sysfs_u64(self->d.queue, "dma_alignment", &dma_align);
	overlay(_metadata, self->d.fd, base, 64 * BLK_KIB, off,
		16 * BLK_KIB, 1, variant->direct && (dma_align & 1));
}

/* Small disks are written and verified end to end in 1 MiB chunks */
TEST_F_TIMEOUT(blk_rw, full_disk_write_verify, 600)
{
	uint64_t gen = blk_new_gen(), off;
	void *buf = blk_alloc(BLK_MIB);
	unsigned int bad = 0;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (self->d.bytes > FULL_DISK_MAX)
		SKIP(return, "disk larger than %llu MiB",
		     FULL_DISK_MAX / BLK_MIB);
	ASSERT_NE(NULL, buf);

	for (off = 0; off < self->d.bytes; off += BLK_MIB) {
		size_t len = self->d.bytes - off < BLK_MIB ?
			     self->d.bytes - off : BLK_MIB;

		blk_pattern_fill(buf, off, len, gen);
		ASSERT_EQ((ssize_t)len, pwrite(self->d.fd, buf, len, off))
			TH_LOG("pwrite at %llu: %s", (unsigned long long)off,
			       strerror(errno));
	}
	settle(_metadata, self->d.fd);
	for (off = 0; off < self->d.bytes && bad < 4; off += BLK_MIB) {
		size_t len = self->d.bytes - off < BLK_MIB ?
			     self->d.bytes - off : BLK_MIB;

		if (!check_pattern(_metadata, self->d.fd, off, len, gen))
			bad++;
	}
	EXPECT_EQ(0U, bad);
	free(buf);
}

/*
 * Data written and synced through one open file is there for the next
 * one, opened the other way (buffered after O_DIRECT and vice versa).
 */
TEST_F(blk_rw, data_persists_across_reopen)
{
	uint64_t gen = blk_new_gen(), off = 12 * BLK_MIB;
	size_t len = 512 * BLK_KIB;
	int ret;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, off + len))
		return;
	write_pattern(_metadata, self->d.fd, off, len, gen);
	ASSERT_EQ(0, fsync(self->d.fd));
	blk_disk_close(&self->d);

	ret = blk_disk_open(&self->d, variant->direct ? 0 : O_DIRECT);
	ASSERT_EQ(0, ret) TH_LOG("reopen: %s", ret < 0 ? strerror(-ret) :
				 self->d.skip);
	settle(_metadata, self->d.fd);
	EXPECT_TRUE(check_pattern(_metadata, self->d.fd, off, len, gen));
}

/*
 * Eight threads write and then read back their own part of the disk at the
 * same time, so that the driver sees several requests in flight and
 * completions in any order.
 */
#define NTHREADS	8
#define NOPS		32

struct worker {
	struct __test_metadata *meta;
	pthread_t tid;
	pthread_barrier_t *barrier;
	int fd;
	unsigned int lbs;
	uint64_t base, size, gen;
	unsigned int failed;
	int err;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	uint64_t seed = blk_mix64(w->gen ^ w->base) | 1;
	uint64_t slot = w->size / NOPS & ~(uint64_t)(w->lbs - 1);
	uint64_t max_len = slot < 128 * BLK_KIB ? slot : 128 * BLK_KIB;
	uint64_t off[NOPS];
	size_t len[NOPS];
	void *buf = blk_alloc(max_len);
	unsigned int i;

	if (!buf) {
		w->err = ENOMEM;
		/* the main thread waits for both phases */
		pthread_barrier_wait(w->barrier);
		pthread_barrier_wait(w->barrier);
		return NULL;
	}
	for (i = 0; i < NOPS; i++) {
		len[i] = w->lbs * (1 + blk_xorshift64(&seed) %
				   (max_len / w->lbs));
		off[i] = w->base + i * slot + w->lbs *
			 (blk_xorshift64(&seed) % ((slot - len[i]) / w->lbs + 1));
		blk_pattern_fill(buf, off[i], len[i], w->gen);
		if (pwrite(w->fd, buf, len[i], off[i]) != (ssize_t)len[i] &&
		    !w->err)
			w->err = errno ? errno : EIO;
	}

	/* the main thread drops the page cache between the two phases */
	pthread_barrier_wait(w->barrier);
	pthread_barrier_wait(w->barrier);

	for (i = 0; i < NOPS; i++) {
		memset(buf, 0x5a, len[i]);
		if (pread(w->fd, buf, len[i], off[i]) != (ssize_t)len[i] ||
		    !blk_verify(w->meta, buf, off[i], len[i], w->gen))
			w->failed++;
	}
	free(buf);
	return NULL;
}

TEST_F_TIMEOUT(blk_rw, concurrent_writers, 120)
{
	struct worker w[NTHREADS];
	pthread_barrier_t barrier;
	uint64_t gen = blk_new_gen(), size;
	unsigned int i;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	size = self->d.bytes / NTHREADS;
	if (size > 4 * BLK_MIB)
		size = 4 * BLK_MIB;
	size &= ~(uint64_t)(self->d.lbs - 1);
	if (!blk_have_bytes(_metadata, &self->d, NTHREADS * NOPS * self->d.lbs))
		return;

	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, NTHREADS + 1));
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker) {
			.meta = _metadata, .barrier = &barrier,
			.fd = self->d.fd, .lbs = self->d.lbs,
			.base = i * size, .size = size, .gen = gen,
		};
		ASSERT_EQ(0, pthread_create(&w[i].tid, NULL, worker_fn, &w[i]));
	}
	pthread_barrier_wait(&barrier);
	EXPECT_EQ(0, blk_drop_cache(self->d.fd));
	pthread_barrier_wait(&barrier);

	for (i = 0; i < NTHREADS; i++) {
		pthread_join(w[i].tid, NULL);
		EXPECT_EQ(0, w[i].err)
			TH_LOG("thread %u: write: %s", i, strerror(w[i].err));
		EXPECT_EQ(0U, w[i].failed)
			TH_LOG("thread %u: %u bad reads", i, w[i].failed);
	}
	pthread_barrier_destroy(&barrier);
}

/*
 * Linux AIO submits all requests at once (with O_DIRECT; buffered AIO
 * completes each one at submission): more than the queue depth of a
 * virtio-blk disk (QEMU's default virtqueue has 256 entries), so the
 * driver runs with a full queue and requests wait in blk-mq.
 */
#define AIO_NR		512
#define AIO_LEN		(16 * BLK_KIB)

static void aio_pass(struct __test_metadata *_metadata, aio_context_t ctx,
		     int fd, unsigned int opcode, unsigned char *buf,
		     const uint64_t *off)
{
	static struct iocb cbs[AIO_NR];
	static struct iocb *ptrs[AIO_NR];
	static struct io_event ev[AIO_NR];
	unsigned int done = 0, bad = 0;
	long i, ret;

	for (i = 0; i < AIO_NR; i++) {
		memset(&cbs[i], 0, sizeof(cbs[i]));
		cbs[i].aio_lio_opcode = opcode;
		cbs[i].aio_fildes = fd;
		cbs[i].aio_buf = (uintptr_t)(buf + i * AIO_LEN);
		cbs[i].aio_nbytes = AIO_LEN;
		cbs[i].aio_offset = off[i];
		cbs[i].aio_data = i;
		ptrs[i] = &cbs[i];
	}
	for (i = 0; i < AIO_NR; i += ret) {
		ret = syscall(__NR_io_submit, ctx, AIO_NR - i, ptrs + i);
		ASSERT_LT(0, ret) TH_LOG("io_submit: %s", strerror(errno));
	}
	while (done < AIO_NR) {
		ret = syscall(__NR_io_getevents, ctx, 1, AIO_NR - done, ev,
			      NULL);
		if (ret < 0 && errno == EINTR)
			continue;
		ASSERT_LT(0, ret) TH_LOG("io_getevents: %s", strerror(errno));
		for (i = 0; i < ret; i++)
			if (ev[i].res != (__s64)AIO_LEN && bad++ < 4)
				TH_LOG("request %llu: res %lld",
				       (unsigned long long)ev[i].data,
				       (long long)ev[i].res);
		done += ret;
	}
	EXPECT_EQ(0U, bad);
}

TEST_F_TIMEOUT(blk_rw, aio_queue_depth, 120)
{
	uint64_t gen = blk_new_gen(), base = 16 * BLK_MIB, off[AIO_NR];
	unsigned char *buf = blk_alloc(AIO_NR * AIO_LEN);
	aio_context_t ctx = 0;
	unsigned int i, bad = 0;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, base + 2 * AIO_NR * AIO_LEN))
		return;
	ASSERT_NE(NULL, buf);
	if (access("/proc/sys/fs/aio-max-nr", F_OK))
		SKIP(return, "kernel without AIO (CONFIG_AIO=n)");
	ASSERT_EQ(0, syscall(__NR_io_setup, AIO_NR, &ctx))
		TH_LOG("io_setup: %s", strerror(errno));

	/* every other 16 KiB slot, in a shuffled order (509 is odd) */
	for (i = 0; i < AIO_NR; i++) {
		off[i] = base + 2 * AIO_LEN * (i * 509 % AIO_NR);
		blk_pattern_fill(buf + i * AIO_LEN, off[i], AIO_LEN, gen);
	}
	aio_pass(_metadata, ctx, self->d.fd, IOCB_CMD_PWRITE, buf, off);
	settle(_metadata, self->d.fd);

	memset(buf, 0x5a, AIO_NR * AIO_LEN);
	aio_pass(_metadata, ctx, self->d.fd, IOCB_CMD_PREAD, buf, off);
	for (i = 0; i < AIO_NR && bad < 4; i++)
		if (!blk_verify(_metadata, buf + i * AIO_LEN, off[i], AIO_LEN,
				gen))
			bad++;
	EXPECT_EQ(0U, bad);
	syscall(__NR_io_destroy, ctx);
	free(buf);
}

/*
 * pwritev/preadv with many separately allocated buffers of different sizes:
 * one request with many scatter-gather segments, read back split in a
 * different way.
 */
#define NVEC	16

TEST_F(blk_rw, vectored_scatter_gather)
{
	uint64_t gen = blk_new_gen(), off = 6 * BLK_MIB + self->d.lbs;
	struct iovec wv[NVEC], rv[NVEC];
	size_t total = 0, pos = 0;
	unsigned char *all;
	unsigned int i;

	if (!blk_have_disk(_metadata, &self->d))
		return;
	if (!blk_have_bytes(_metadata, &self->d, 8 * BLK_MIB))
		return;
	for (i = 0; i < NVEC; i++) {
		wv[i].iov_len = self->d.lbs * (1 + i % 5);
		wv[i].iov_base = blk_alloc(wv[i].iov_len);
		ASSERT_NE(NULL, wv[i].iov_base);
		blk_pattern_fill(wv[i].iov_base, off + total, wv[i].iov_len,
				 gen);
		total += wv[i].iov_len;
	}
	/* the read side splits the same bytes the other way round */
	for (i = 0; i < NVEC; i++) {
		rv[i].iov_len = wv[NVEC - 1 - i].iov_len;
		rv[i].iov_base = blk_alloc(rv[i].iov_len);
		ASSERT_NE(NULL, rv[i].iov_base);
		memset(rv[i].iov_base, 0x5a, rv[i].iov_len);
	}

	ASSERT_EQ((ssize_t)total, pwritev(self->d.fd, wv, NVEC, off))
		TH_LOG("pwritev: %s", strerror(errno));
	settle(_metadata, self->d.fd);
	ASSERT_EQ((ssize_t)total, preadv(self->d.fd, rv, NVEC, off))
		TH_LOG("preadv: %s", strerror(errno));
	for (i = 0; i < NVEC; i++) {
		EXPECT_TRUE(blk_verify(_metadata, rv[i].iov_base, off + pos,
				       rv[i].iov_len, gen));
		pos += rv[i].iov_len;
	}

	/* and in one piece */
	all = blk_alloc(total);
	ASSERT_NE(NULL, all);
	settle(_metadata, self->d.fd);
	EXPECT_EQ((ssize_t)total, pread(self->d.fd, all, total, off));
	EXPECT_TRUE(blk_verify(_metadata, all, off, total, gen));

	for (i = 0; i < NVEC; i++) {
		free(wv[i].iov_base);
		free(rv[i].iov_base);
	}
	free(all);
}

TEST_HARNESS_MAIN
