// SPDX-License-Identifier: GPL-2.0
/*
 * vblk: a blk-mq driver for virtio block devices, out of tree.
 *
 * This file: the module and its parameters, probe and remove, reading and
 * validating the device's configuration space, the queue limits built
 * from it, config-change handling and suspend/resume.  The request path
 * is in vblk_rq.c, the sysfs attributes in vblk_sysfs.c.
 *
 * Disks are named vda, vdb, ... vdz, vdaa, ... like the in-tree driver's,
 * so root=/dev/vda and existing fstabs keep working.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hdreg.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "vblk.h"
#include "vmmio_compat.h"

/* a ring never holds more than this many descriptors (virtio 1.2, 2.7) */
#define VBLK_MAX_RING		32768U
/* discard ranges of one request fit one page */
#define VBLK_MAX_DISCARD_SEG	256U
#define VBLK_MAX_QUEUES		1024U
#define VBLK_MAX_DEPTH		4096U

static unsigned int num_request_queues;
static unsigned int queue_depth;
static unsigned int poll_queues;
static bool io_scheduler;

/* a parameter outside [min, max] refuses the load, saying why */
int vblk_param_set_range(const char *val, const struct kernel_param *kp,
			 unsigned int min, unsigned int max)
{
	/* a sysfs write ends in a newline and may be a page of junk */
	int len = min_t(size_t, strcspn(val, "\n"), 32);
	unsigned int n;

	if (kstrtouint(val, 0, &n) || n < min || n > max) {
		pr_err("%s=%.*s%s refused: expected an integer from %u to %u\n",
		       kp->name, len, val, val[len] && val[len] != '\n' ? "..." : "",
		       min, max);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = n;
	return 0;
}

static int vblk_param_set_queues(const char *val, const struct kernel_param *kp)
{
	return vblk_param_set_range(val, kp, 0, VBLK_MAX_QUEUES);
}

static int vblk_param_set_depth(const char *val, const struct kernel_param *kp)
{
	return vblk_param_set_range(val, kp, 0, VBLK_MAX_DEPTH);
}

static const struct kernel_param_ops vblk_queues_ops = {
	.set = vblk_param_set_queues,
	.get = param_get_uint,
};

static const struct kernel_param_ops vblk_depth_ops = {
	.set = vblk_param_set_depth,
	.get = param_get_uint,
};

module_param_cb(num_request_queues, &vblk_queues_ops, &num_request_queues, 0444);
MODULE_PARM_DESC(num_request_queues,
		 "most request virtqueues per disk, 0..1024 (0: one per CPU, the default)");
module_param_cb(queue_depth, &vblk_depth_ops, &queue_depth, 0444);
MODULE_PARM_DESC(queue_depth,
		 "tags per hardware queue, 0..4096 (0: from the ring size, the default)");
module_param_cb(poll_queues, &vblk_queues_ops, &poll_queues, 0444);
MODULE_PARM_DESC(poll_queues,
		 "polled request virtqueues for io_uring IOPOLL, 0..1024 (default 0), taken from what the device offers beyond one interrupt-driven queue");

/*
 * The host schedules the I/O it does for a virtual disk, and the guest
 * side of one is a ring the device drains in order: a guest elevator
 * only adds work.  Above all, a single-queue disk with one bounces every
 * unplugged request (io_uring at QD1, say) through kblockd, a context
 * switch per I/O.  So every disk starts with "none", as multi-queue ones
 * get anyway; the parameter, or the queue's scheduler file, brings the
 * kernel's default back.
 */
module_param(io_scheduler, bool, 0444);
MODULE_PARM_DESC(io_scheduler,
		 "give single-queue disks the kernel's default I/O scheduler (mq-deadline) instead of none (default: no)");

static int vblk_major;
static DEFINE_IDA(vblk_ida);

/* ------------------------------------------------------------------ */
/* configuration space                                                */

static u64 vblk_read_capacity(struct virtio_device *vdev)
{
	u64 cap = virtio_cread64(vdev, offsetof(struct virtio_blk_config,
						capacity));

	/* the byte size must fit a loff_t */
	if (cap > (U64_MAX >> 1) >> SECTOR_SHIFT) {
		dev_warn(&vdev->dev, "capacity %llu sectors is too large, using %llu\n",
			 cap, (U64_MAX >> 1) >> SECTOR_SHIFT);
		cap = (U64_MAX >> 1) >> SECTOR_SHIFT;
	}
	return cap;
}

/* the cache mode: the WCE byte where it can change, else FLUSH says it */
bool vblk_get_wce(struct virtio_device *vdev)
{
	u8 wce;

	if (virtio_cread_feature(vdev, VIRTIO_BLK_F_CONFIG_WCE,
				 struct virtio_blk_config, wce, &wce))
		return virtio_has_feature(vdev, VIRTIO_BLK_F_FLUSH);
	return wce;
}

/*
 * After a reset the device is back in its initial cache mode (QEMU goes
 * back to the drive's own setting), while the block layer still works in
 * the mode the driver chose: write that mode again, or a disk switched
 * to "write through" would cache writes and get no flushes for them.
 * Returns false if the device would not take it back.
 */
bool vblk_restore_wce(struct vblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;

	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_CONFIG_WCE))
		return true;
	virtio_cwrite8(vdev, offsetof(struct virtio_blk_config, wce),
		       vblk->cfg.wce);
	return vblk_get_wce(vdev) == vblk->cfg.wce;
}

/*
 * How many request virtqueues to use: what the device offers, capped by
 * the CPUs (or num_request_queues) for the interrupt-driven ones, plus up
 * to poll_queues polled ones; at least one is interrupt-driven.
 */
static void vblk_nr_queues(struct vblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;
	unsigned int irq_max = min(num_request_queues ?: nr_cpu_ids, nr_cpu_ids);
	unsigned int total;
	u16 n;

	if (virtio_cread_feature(vdev, VIRTIO_BLK_F_MQ,
				 struct virtio_blk_config, num_queues, &n)) {
		n = 1;
	} else if (!n) {
		dev_warn(&vdev->dev, "device offers MQ with num_queues 0, using 1\n");
		n = 1;
	}
	total = min((unsigned int)n, irq_max + poll_queues);
	vblk->nr_poll_vqs = min(poll_queues, total - 1);
	vblk->nr_vqs = total;
}

/* logical block size and topology */
static void vblk_read_blocks(struct virtio_device *vdev, struct vblk_cfg *c)
{
	struct device *dev = &vdev->dev;
	u8 exp, align;
	u16 min_io;
	u32 v, opt_io;
	u64 opt;

	c->blk_size = SECTOR_SIZE;
	if (!virtio_cread_feature(vdev, VIRTIO_BLK_F_BLK_SIZE,
				  struct virtio_blk_config, blk_size, &v)) {
		if (v < SECTOR_SIZE || v > PAGE_SIZE || !is_power_of_2(v)) {
			dev_err(dev, "blk_size %u is not a power of two from 512 to %lu, using 512\n",
				v, PAGE_SIZE);
			c->invalid++;
		} else {
			c->blk_size = v;
		}
	}
	c->phys_block_size = c->blk_size;
	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_TOPOLOGY))
		return;

	virtio_cread(vdev, struct virtio_blk_config, physical_block_exp, &exp);
	if (exp > 12 || ((u64)c->blk_size << exp) > SZ_1M) {
		dev_warn(dev, "physical_block_exp %u is out of range, ignored\n", exp);
		c->invalid++;
	} else {
		c->phys_block_size = c->blk_size << exp;
	}

	virtio_cread(vdev, struct virtio_blk_config, alignment_offset, &align);
	if ((u32)align * c->blk_size >= c->phys_block_size && align) {
		dev_warn(dev, "alignment_offset %u blocks exceeds the physical block, ignored\n",
			 align);
		c->invalid++;
	} else {
		c->alignment_offset = (u32)align * c->blk_size;
	}

	virtio_cread(vdev, struct virtio_blk_config, min_io_size, &min_io);
	c->io_min = (u32)min_io * c->blk_size;

	virtio_cread(vdev, struct virtio_blk_config, opt_io_size, &opt_io);
	opt = (u64)opt_io * c->blk_size;
	if (opt > UINT_MAX) {
		dev_warn(dev, "opt_io_size %u blocks is too large, ignored\n", opt_io);
		c->invalid++;
	} else {
		c->io_opt = opt;
	}
}

/*
 * Segment limits.  The chain of a request (header, data, status) must fit
 * the ring even when indirect descriptors carry it, so the data segments
 * are capped by the smallest ring of the disk.
 */
static int vblk_read_segments(struct virtio_device *vdev, struct vblk_cfg *c,
			      unsigned int ring)
{
	u32 v;

	/* header, one data segment and the status: the least a request takes */
	if (ring < 3) {
		dev_err(&vdev->dev, "a ring of %u entries cannot hold a request (3 at least)\n",
			ring);
		return -EINVAL;
	}
	c->seg_max = 1;
	if (!virtio_cread_feature(vdev, VIRTIO_BLK_F_SEG_MAX,
				  struct virtio_blk_config, seg_max, &v)) {
		if (v) {
			c->seg_max = v;
		} else {
			dev_warn(&vdev->dev, "seg_max is 0, using 1 segment per request\n");
			c->invalid++;
		}
	}
	c->seg_max = min3(c->seg_max, ring - 2, (u32)USHRT_MAX);

	c->size_max = min_t(size_t, virtio_max_dma_size(vdev), UINT_MAX);
	if (!virtio_cread_feature(vdev, VIRTIO_BLK_F_SIZE_MAX,
				  struct virtio_blk_config, size_max, &v)) {
		if (v < PAGE_SIZE) {
			dev_err(&vdev->dev, "size_max %u is below the page size %lu: unusable\n",
				v, PAGE_SIZE);
			return -EINVAL;
		}
		c->size_max = min(c->size_max, v);
	}
	return 0;
}

static void vblk_read_geometry(struct virtio_device *vdev, struct vblk_cfg *c)
{
	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_GEOMETRY))
		return;
	virtio_cread(vdev, struct virtio_blk_config, geometry.cylinders,
		     &c->cylinders);
	virtio_cread(vdev, struct virtio_blk_config, geometry.heads, &c->heads);
	virtio_cread(vdev, struct virtio_blk_config, geometry.sectors,
		     &c->sectors);
	c->has_geometry = c->heads && c->sectors;
	if (!c->has_geometry) {
		dev_warn(&vdev->dev, "geometry with %u heads, %u sectors ignored\n",
			 c->heads, c->sectors);
		c->invalid++;
	}
}

/*
 * DISCARD: its limits, 0 when it is not negotiated.  The spec gives a
 * limit of 0 no meaning: a device that offers discard with a maximum of
 * 0 sectors gets no discards, a maximum of 0 segments one segment, an
 * alignment of 0 the block size, each with a message.
 */
static void vblk_read_discard(struct virtio_device *vdev, struct vblk_cfg *c)
{
	struct device *dev = &vdev->dev;
	u32 v;

	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_DISCARD))
		return;
	virtio_cread(vdev, struct virtio_blk_config, max_discard_sectors, &v);
	if (!v) {
		dev_warn(dev, "max_discard_sectors is 0 with DISCARD offered: discard disabled\n");
		c->invalid++;
		return;
	}
	c->max_discard_sectors = v;

	virtio_cread(vdev, struct virtio_blk_config, max_discard_seg, &v);
	if (!v) {
		dev_warn(dev, "max_discard_seg is 0, using 1 range per request\n");
		c->invalid++;
	}
	c->max_discard_seg = v ?: 1;

	virtio_cread(vdev, struct virtio_blk_config, discard_sector_alignment, &v);
	if (!v || v > UINT_MAX >> SECTOR_SHIFT) {
		dev_warn(dev, "discard_sector_alignment %u is out of range, using the block size\n",
			 v);
		c->invalid++;
		v = 0;
	}
	c->discard_granularity = v ? v << SECTOR_SHIFT : c->blk_size;
}

/* WRITE_ZEROES, as DISCARD: 0 sectors disables it, 0 segments means 1 */
static void vblk_read_write_zeroes(struct virtio_device *vdev,
				   struct vblk_cfg *c)
{
	struct device *dev = &vdev->dev;
	u8 unmap;
	u32 v;

	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_WRITE_ZEROES))
		return;
	virtio_cread(vdev, struct virtio_blk_config, max_write_zeroes_sectors, &v);
	if (!v) {
		dev_warn(dev, "max_write_zeroes_sectors is 0 with WRITE_ZEROES offered: write zeroes disabled\n");
		c->invalid++;
		return;
	}
	c->max_write_zeroes_sectors = v;

	virtio_cread(vdev, struct virtio_blk_config, max_write_zeroes_seg, &v);
	if (!v) {
		dev_warn(dev, "max_write_zeroes_seg is 0, using 1 range per request\n");
		c->invalid++;
	}
	c->max_write_zeroes_seg = v ?: 1;
	virtio_cread(vdev, struct virtio_blk_config, write_zeroes_may_unmap, &unmap);
	c->write_zeroes_may_unmap = unmap;
}

/* SECURE_ERASE: all three limits must make sense, or it is not used */
static void vblk_read_secure_erase(struct virtio_device *vdev,
				   struct vblk_cfg *c)
{
	u32 sectors, segs, align;

	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_SECURE_ERASE))
		return;
	virtio_cread(vdev, struct virtio_blk_config, max_secure_erase_sectors,
		     &sectors);
	virtio_cread(vdev, struct virtio_blk_config, max_secure_erase_seg, &segs);
	virtio_cread(vdev, struct virtio_blk_config,
		     secure_erase_sector_alignment, &align);
	if (!sectors || !segs || !align || align > UINT_MAX >> SECTOR_SHIFT) {
		dev_err(&vdev->dev, "secure erase limits %u sectors, %u segments, alignment %u are invalid: secure erase disabled\n",
			sectors, segs, align);
		c->invalid++;
		return;
	}
	c->max_secure_erase_sectors = sectors;
	c->max_secure_erase_seg = segs;
	c->discard_granularity = min_not_zero(c->discard_granularity,
					      align << SECTOR_SHIFT);
}

/*
 * Everything the disk needs from config space but its capacity, validated,
 * into @c: at probe and on every config change (vblk_reread_limits).  A value out of
 * range is replaced by a safe one, with a message naming the field, and
 * counted in c->invalid; a value no fallback can serve fails the read.
 */
static int vblk_read_config(struct virtio_device *vdev, unsigned int ring,
			    struct vblk_cfg *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	vblk_read_blocks(vdev, c);
	err = vblk_read_segments(vdev, c, ring);
	if (err)
		return err;
	vblk_read_geometry(vdev, c);
	vblk_read_discard(vdev, c);
	vblk_read_write_zeroes(vdev, c);
	vblk_read_secure_erase(vdev, c);
	c->ro = virtio_has_feature(vdev, VIRTIO_BLK_F_RO);
	c->flush = virtio_has_feature(vdev, VIRTIO_BLK_F_FLUSH);
	c->wce = c->flush && vblk_get_wce(vdev);
	return 0;
}

/* queue limits from the validated config */
static void vblk_build_limits(const struct vblk_cfg *c, struct queue_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->logical_block_size = c->blk_size;
	lim->physical_block_size = c->phys_block_size;
	lim->alignment_offset = c->alignment_offset;
	lim->io_min = c->io_min;
	lim->io_opt = c->io_opt;
	lim->max_hw_sectors = UINT_MAX;
	lim->max_segments = c->seg_max;
	lim->max_segment_size = c->size_max;

	lim->max_hw_discard_sectors = c->max_discard_sectors;
	lim->max_secure_erase_sectors = c->max_secure_erase_sectors;
	if (c->max_discard_sectors || c->max_secure_erase_sectors) {
		/* the block layer has one segment limit for both */
		lim->max_discard_segments =
			min3(min_not_zero(c->max_discard_seg,
					  c->max_secure_erase_seg),
			     c->seg_max, VBLK_MAX_DISCARD_SEG);
		lim->discard_granularity = c->discard_granularity;
	}
	lim->max_write_zeroes_sectors = c->max_write_zeroes_sectors;
}

/*
 * The write-cache mode can change under the driver (another agent, or a
 * device that refuses the mode the driver asked for): follow it.
 */
static void vblk_reread_wce(struct vblk *vblk)
{
	struct device *dev = disk_to_dev(vblk->disk);
	bool wce;

	mutex_lock(&vblk->vdev_mutex);
	wce = vblk->cfg.flush && vblk_get_wce(vblk->vdev);
	if (wce != vblk->cfg.wce) {
		dev_info(dev, "the device switched its cache to %s\n",
			 wce ? "write back" : "write through");
		vblk->cfg.wce = wce;
		if (vblk_compat_set_write_cache(vblk->disk->queue, wce))
			dev_err(dev, "cannot apply the new cache mode\n");
	}
	mutex_unlock(&vblk->vdev_mutex);
}

/* the limits a config change may move, for its log lines */
static const struct {
	const char *name;
	size_t off;
} vblk_cfg_limits[] = {
#define VBLK_CFG_LIMIT(f) { #f, offsetof(struct vblk_cfg, f) }
	VBLK_CFG_LIMIT(blk_size),
	VBLK_CFG_LIMIT(phys_block_size),
	VBLK_CFG_LIMIT(alignment_offset),
	VBLK_CFG_LIMIT(io_min),
	VBLK_CFG_LIMIT(io_opt),
	VBLK_CFG_LIMIT(max_discard_sectors),
	VBLK_CFG_LIMIT(max_discard_seg),
	VBLK_CFG_LIMIT(discard_granularity),
	VBLK_CFG_LIMIT(max_write_zeroes_sectors),
	VBLK_CFG_LIMIT(max_write_zeroes_seg),
	VBLK_CFG_LIMIT(max_secure_erase_sectors),
	VBLK_CFG_LIMIT(max_secure_erase_seg),
#undef VBLK_CFG_LIMIT
};

static u32 vblk_cfg_limit(const struct vblk_cfg *c, unsigned int i)
{
	return *(const u32 *)((const u8 *)c + vblk_cfg_limits[i].off);
}

/* one line per limit that differs; true if any does */
static bool vblk_log_changes(struct device *dev, const struct vblk_cfg *old,
			     const struct vblk_cfg *new)
{
	bool changed = false;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vblk_cfg_limits); i++) {
		u32 a = vblk_cfg_limit(old, i), b = vblk_cfg_limit(new, i);

		if (a == b)
			continue;
		dev_info(dev, "config change: %s %u -> %u\n",
			 vblk_cfg_limits[i].name, a, b);
		changed = true;
	}
	if (old->write_zeroes_may_unmap != new->write_zeroes_may_unmap) {
		dev_info(dev, "config change: write_zeroes_may_unmap %u -> %u\n",
			 old->write_zeroes_may_unmap, new->write_zeroes_may_unmap);
		changed = true;
	}
	return changed;
}

/*
 * Topology and the discard, write-zeroes and secure-erase limits may
 * change with the device (its backing storage moved): read them through
 * the probe's path and apply them to the queue while it is frozen, so
 * that no request straddles old and new limits.  A config with more
 * values the probe would have replaced than the disk runs with is
 * refused whole, with a message, and the disk keeps its limits.
 * Fixed for the disk's life: the segment limits (each request's
 * scatterlist was sized by them), the queue count, and read-only and
 * flush: feature bits, settled once and for all when the driver set
 * FEATURES_OK.  The capacity and the cache mode are followed by their
 * own steps, the geometry here.
 */
static void vblk_reread_limits(struct vblk *vblk)
{
	struct device *dev = disk_to_dev(vblk->disk);
	struct request_queue *q = vblk->disk->queue;
	struct queue_limits want, lim;
	struct vblk_cfg new;
	int err;

	mutex_lock(&vblk->vdev_mutex);
	if (!vblk->vdev)
		goto out;
	err = vblk_read_config(vblk->vdev, vblk->ring, &new);
	/* a value the disk already runs on a fallback for is no news */
	if (err || new.invalid > vblk->cfg.invalid) {
		dev_err(dev, "config change refused: the device's new config is invalid (see above), the disk keeps its limits\n");
		goto out;
	}
	/* what does not change here */
	new.capacity = vblk->cfg.capacity;
	new.seg_max = vblk->cfg.seg_max;
	new.size_max = vblk->cfg.size_max;
	new.ro = vblk->cfg.ro;
	new.flush = vblk->cfg.flush;
	new.wce = vblk->cfg.wce;
	vblk->cfg.has_geometry = new.has_geometry;
	vblk->cfg.cylinders = new.cylinders;
	vblk->cfg.heads = new.heads;
	vblk->cfg.sectors = new.sectors;
	if (!vblk_log_changes(dev, &vblk->cfg, &new))
		goto out;

	vblk_build_limits(&new, &want);
	vblk_compat_limits_start(q, &lim);
	blk_mq_freeze_queue(q);
	err = vblk_compat_limits_commit(q, &lim, &want);
	if (!err)
		vblk->cfg = new;
	blk_mq_unfreeze_queue(q);
	if (err)
		dev_err(dev, "the block layer refused the new limits (%d), the disk keeps its own\n",
			err);
out:
	mutex_unlock(&vblk->vdev_mutex);
}

/*
 * Config-change interrupt: the device asks for a reset (DEVICE_NEEDS_RESET,
 * raised with this interrupt), or re-read what it may change at run time:
 * the capacity, the write-cache mode, topology and the discard-like
 * limits.
 */
static void vblk_config_work(struct work_struct *work)
{
	struct vblk *vblk = container_of(work, struct vblk, config_work);
	u64 old = get_capacity(vblk->disk);
	u64 cap;

	if (vblk_dead(vblk))
		return;
	if (vblk_needs_reset(vblk)) {
		atomic64_inc(&vblk->rec.needs_reset);
		vblk_schedule_reset(vblk, "it reports DEVICE_NEEDS_RESET");
		return;
	}
	cap = vblk_read_capacity(vblk->vdev);
	vblk->cfg.capacity = cap;
	if (set_capacity_and_notify(vblk->disk, cap))
		dev_info(disk_to_dev(vblk->disk),
			 "capacity changed from %llu to %llu sectors\n",
			 old, cap);
	vblk_reread_wce(vblk);
	vblk_reread_limits(vblk);
}

static void vblk_config_changed(struct virtio_device *vdev)
{
	struct vblk *vblk = vdev->priv;

	queue_work(system_freezable_wq, &vblk->config_work);
}

/* ------------------------------------------------------------------ */
/* virtqueues                                                         */

int vblk_find_vqs(struct vblk *vblk)
{
	unsigned int i, n = vblk->nr_vqs;
	struct irq_affinity desc = { 0 };
	vq_callback_t **callbacks;
	struct virtqueue **vqs;
	const char **names;
	int err = -ENOMEM;

	vqs = kcalloc(n, sizeof(*vqs), GFP_KERNEL);
	callbacks = kcalloc(n, sizeof(*callbacks), GFP_KERNEL);
	names = kcalloc(n, sizeof(*names), GFP_KERNEL);
	if (!vqs || !callbacks || !names)
		goto out;

	for (i = 0; i < n; i++) {
		bool poll = i >= n - vblk->nr_poll_vqs;

		snprintf(vblk->vqs[i].name, sizeof(vblk->vqs[i].name),
			 poll ? "req_poll.%u" : "req.%u", i);
		names[i] = vblk->vqs[i].name;
		callbacks[i] = poll ? NULL : vblk_vq_done;
	}
	err = vblk_compat_find_vqs(vblk->vdev, n, vqs, callbacks, names, &desc);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		spin_lock_irq(&vblk->vqs[i].lock);
		vblk->vqs[i].vq = vqs[i];
		spin_unlock_irq(&vblk->vqs[i].lock);
	}
	vblk->vqs_live = true;
out:
	kfree(names);
	kfree(callbacks);
	kfree(vqs);
	return err;
}

/* the smallest ring of the disk's virtqueues */
unsigned int vblk_ring_size(struct vblk *vblk)
{
	unsigned int i, ring = VBLK_MAX_RING;

	for (i = 0; i < vblk->nr_vqs; i++)
		ring = min(ring, virtqueue_get_vring_size(vblk->vqs[i].vq));
	return ring;
}

/* ------------------------------------------------------------------ */
/* the disk                                                           */

/* vd + a bijective base-26 number: a..z, aa..zz, aaa.. */
static int vblk_name(char *buf, size_t size, int index)
{
	char rev[8];
	int n = 0, i;

	do {
		if (n == sizeof(rev))
			return -EINVAL;
		rev[n++] = 'a' + index % 26;
		index = index / 26 - 1;
	} while (index >= 0);
	if (n + 3 > size)
		return -EINVAL;
	buf[0] = 'v';
	buf[1] = 'd';
	for (i = 0; i < n; i++)
		buf[2 + i] = rev[n - 1 - i];
	buf[2 + n] = '\0';
	return 0;
}

static int vblk_getgeo(struct block_device *bdev, struct hd_geometry *geo)
{
	struct vblk *vblk = bdev->bd_disk->private_data;
	int err = 0;

	mutex_lock(&vblk->vdev_mutex);
	if (!vblk->vdev) {
		err = -ENXIO;
		goto out;
	}
	if (vblk->cfg.has_geometry) {
		geo->heads = vblk->cfg.heads;
		geo->sectors = vblk->cfg.sectors;
		geo->cylinders = vblk->cfg.cylinders;
	} else {
		/* no geometry: the usual fake one, 64 heads of 32 sectors */
		geo->heads = 64;
		geo->sectors = 32;
		geo->cylinders = get_capacity(bdev->bd_disk) >> 11;
	}
out:
	mutex_unlock(&vblk->vdev_mutex);
	return err;
}

/* the last reference to the disk is gone: nothing uses vblk any more */
static void vblk_free_disk(struct gendisk *disk)
{
	struct vblk *vblk = disk->private_data;

	ida_free(&vblk_ida, vblk->index);
	mutex_destroy(&vblk->vdev_mutex);
	kfree(vblk);
}

static const struct block_device_operations vblk_fops = {
	.owner = THIS_MODULE,
	.getgeo = vblk_getgeo,
	.free_disk = vblk_free_disk,
};

static int vblk_init_tag_set(struct vblk *vblk, unsigned int ring)
{
	struct blk_mq_tag_set *set = &vblk->tag_set;
	unsigned int depth = ring;

	/* without indirect descriptors a request takes 3 or more slots */
	if (!virtio_has_feature(vblk->vdev, VIRTIO_RING_F_INDIRECT_DESC))
		depth = max(depth / 2, 1U);
	if (queue_depth)
		depth = min(queue_depth, ring);

	memset(set, 0, sizeof(*set));
	set->ops = &vblk_mq_ops;
	set->nr_hw_queues = vblk->nr_vqs;
	set->nr_maps = vblk->nr_poll_vqs ? HCTX_MAX_TYPES : 1;
	set->queue_depth = depth;
	set->numa_node = NUMA_NO_NODE;
	set->flags = BLK_MQ_F_SHOULD_MERGE;
	if (!io_scheduler)
		set->flags |= BLK_MQ_F_NO_SCHED_BY_DEFAULT;
	set->cmd_size = sizeof(struct vblk_req);
	set->driver_data = vblk;
	return blk_mq_alloc_tag_set(set);
}

static int vblk_alloc_disk(struct vblk *vblk)
{
	struct queue_limits lim;
	struct gendisk *disk;
	int err;

	vblk_build_limits(&vblk->cfg, &lim);
	disk = vblk_compat_alloc_disk(&vblk->tag_set, &lim, vblk->cfg.wce, vblk);
	if (IS_ERR(disk))
		return PTR_ERR(disk);

	err = vblk_name(disk->disk_name, DISK_NAME_LEN, vblk->index);
	if (err) {
		put_disk(disk);
		return err;
	}
	disk->major = vblk_major;
	disk->first_minor = vblk->index << VBLK_PART_BITS;
	disk->minors = 1 << VBLK_PART_BITS;
	disk->fops = &vblk_fops;
	disk->private_data = vblk;
	set_capacity(disk, vblk->cfg.capacity);
	set_disk_ro(disk, vblk->cfg.ro);
	vblk->disk = disk;
	return 0;
}

static int vblk_validate(struct virtio_device *vdev)
{
	if (!vdev->config->get) {
		dev_err(&vdev->dev, "the transport cannot read config space\n");
		return -EINVAL;
	}
	return 0;
}

static int vblk_probe(struct virtio_device *vdev)
{
	unsigned int ring;
	struct vblk *vblk;
	int err;

	vblk = kzalloc(sizeof(*vblk), GFP_KERNEL);
	if (!vblk)
		return -ENOMEM;
	vblk->index = ida_alloc_range(&vblk_ida, 0,
				      (MINORMASK >> VBLK_PART_BITS), GFP_KERNEL);
	if (vblk->index < 0) {
		err = vblk->index;
		goto out_free;
	}
	vblk->vdev = vdev;
	vdev->priv = vblk;
	mutex_init(&vblk->vdev_mutex);
	INIT_WORK(&vblk->config_work, vblk_config_work);
	vblk_recovery_init(vblk);

	vblk_nr_queues(vblk);
	vblk->vqs = kcalloc(vblk->nr_vqs, sizeof(*vblk->vqs), GFP_KERNEL);
	if (!vblk->vqs) {
		err = -ENOMEM;
		goto out_ida;
	}
	for (ring = 0; ring < vblk->nr_vqs; ring++)
		spin_lock_init(&vblk->vqs[ring].lock);
	err = vblk_find_vqs(vblk);
	if (err)
		goto out_vqs;
	ring = vblk_ring_size(vblk);
	vblk->ring = ring;
	if (ring < 3) {
		dev_err(&vdev->dev, "ring of %u descriptors cannot hold a request\n",
			ring);
		err = -EINVAL;
		goto out_del_vqs;
	}

	err = vblk_read_config(vdev, ring, &vblk->cfg);
	if (err)
		goto out_del_vqs;
	vblk->cfg.capacity = vblk_read_capacity(vdev);
	err = vblk_init_tag_set(vblk, ring);
	if (err)
		goto out_del_vqs;
	err = vblk_alloc_disk(vblk);
	if (err)
		goto out_tag_set;

	/* the partition scan of add_disk already does I/O */
	virtio_device_ready(vdev);
	err = device_add_disk(&vdev->dev, vblk->disk, vblk_attr_groups);
	if (err)
		goto out_reset;

	vblk_debugfs_add(vblk);
	dev_info(&vdev->dev, "%s: %llu sectors, %u-byte blocks, %u queue%s (%u polled) of depth %u, %u segments%s%s\n",
		 vblk->disk->disk_name, vblk->cfg.capacity, vblk->cfg.blk_size,
		 vblk->nr_vqs, vblk->nr_vqs == 1 ? "" : "s", vblk->nr_poll_vqs,
		 vblk->tag_set.queue_depth, vblk->cfg.seg_max,
		 vblk->cfg.ro ? ", read-only" : "",
		 vblk->cfg.wce ? ", write back" : "");
	return 0;

out_reset:
	virtio_reset_device(vdev);
	put_disk(vblk->disk);
out_tag_set:
	blk_mq_free_tag_set(&vblk->tag_set);
out_del_vqs:
	vdev->config->del_vqs(vdev);
out_vqs:
	kfree(vblk->vqs);
out_ida:
	ida_free(&vblk_ida, vblk->index);
out_free:
	kfree(vblk);
	return err;
}

static void vblk_remove(struct virtio_device *vdev)
{
	struct vblk *vblk = vdev->priv;

	/* the virtio core has stopped config callbacks by now */
	flush_work(&vblk->config_work);
	vblk_debugfs_remove(vblk);
	/* waits for I/O in flight: a stuck device is reset meanwhile */
	del_gendisk(vblk->disk);
	vblk_recovery_stop(vblk);
	blk_mq_free_tag_set(&vblk->tag_set);

	mutex_lock(&vblk->vdev_mutex);
	virtio_reset_device(vdev);
	vblk->vdev = NULL;
	if (vblk->vqs_live)
		vdev->config->del_vqs(vdev);
	kfree(vblk->vqs);
	vblk->vqs = NULL;
	mutex_unlock(&vblk->vdev_mutex);

	/* vblk itself goes with the last reference, in vblk_free_disk() */
	put_disk(vblk->disk);
}

#ifdef CONFIG_PM_SLEEP
static int vblk_freeze(struct virtio_device *vdev)
{
	struct vblk *vblk = vdev->priv;
	struct request_queue *q = vblk->disk->queue;

	/* let what is in flight finish and keep new requests out */
	blk_mq_freeze_queue(q);
	blk_mq_quiesce_queue(q);
	vblk_recovery_stop(vblk);

	virtio_reset_device(vdev);
	flush_work(&vblk->config_work);
	if (vblk->vqs_live)
		vdev->config->del_vqs(vdev);
	vblk->vqs_live = false;
	return 0;
}

static int vblk_restore(struct virtio_device *vdev)
{
	struct vblk *vblk = vdev->priv;
	struct request_queue *q = vblk->disk->queue;
	int err;

	/* a dead disk stays dead: its requests fail without rings */
	if (vblk_dead(vblk)) {
		blk_mq_unquiesce_queue(q);
		blk_mq_unfreeze_queue(q);
		return 0;
	}
	/* the tag set keeps its hardware queues: ask for as many again */
	err = vblk_find_vqs(vblk);
	if (err)
		return err;
	if (!vblk_restore_wce(vblk))
		queue_work(system_freezable_wq, &vblk->config_work);
	virtio_device_ready(vdev);
	blk_mq_unquiesce_queue(q);
	blk_mq_unfreeze_queue(q);
	return 0;
}
#endif

static const struct virtio_device_id vblk_id_table[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ }
};
MODULE_DEVICE_TABLE(virtio, vblk_id_table);

static const unsigned int vblk_features[] = {
	VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_GEOMETRY,
	VIRTIO_BLK_F_RO, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH,
	VIRTIO_BLK_F_TOPOLOGY, VIRTIO_BLK_F_CONFIG_WCE, VIRTIO_BLK_F_MQ,
	VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES,
	VIRTIO_BLK_F_SECURE_ERASE,
};

static struct virtio_driver vblk_driver = {
	.driver.name = KBUILD_MODNAME,
	/* 6.12 sets it in register_virtio_driver(), 6.1 needs it here */
	.driver.owner = THIS_MODULE,
	.id_table = vblk_id_table,
	.feature_table = vblk_features,
	.feature_table_size = ARRAY_SIZE(vblk_features),
	.feature_table_legacy = vblk_features,
	.feature_table_size_legacy = ARRAY_SIZE(vblk_features),
	.validate = vblk_validate,
	.probe = vblk_probe,
	.remove = vblk_remove,
	.config_changed = vblk_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze = vblk_freeze,
	.restore = vblk_restore,
#endif
};

static int __init vblk_init(void)
{
	int err;

	err = vblk_recovery_module_init();
	if (err)
		return err;
	vblk_major = register_blkdev(0, KBUILD_MODNAME);
	if (vblk_major < 0) {
		vblk_recovery_module_exit();
		return vblk_major;
	}
	vblk_debugfs_init();
	err = register_virtio_driver(&vblk_driver);
	if (err) {
		vblk_debugfs_exit();
		unregister_blkdev(vblk_major, KBUILD_MODNAME);
		vblk_recovery_module_exit();
	}
	return err;
}

static void __exit vblk_exit(void)
{
	unregister_virtio_driver(&vblk_driver);
	vblk_debugfs_exit();
	unregister_blkdev(vblk_major, KBUILD_MODNAME);
	vblk_recovery_module_exit();
	ida_destroy(&vblk_ida);
}

module_init(vblk_init);
module_exit(vblk_exit);

MODULE_DESCRIPTION("virtio block driver (out of tree)");
MODULE_LICENSE("GPL");
