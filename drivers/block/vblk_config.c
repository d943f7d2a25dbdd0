// SPDX-License-Identifier: GPL-2.0
/*
 * vblk config space: reading and validating the device's configuration,
 * the queue limits built from it, and following what the device may
 * change at run time (capacity, cache mode, topology, discard limits).
 * Nothing here calls into the rest of the driver.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/virtio_config.h>

#include "vblk.h"

/* discard ranges of one request fit one page */
#define VBLK_MAX_DISCARD_SEG	256U

u64 vblk_read_capacity(struct virtio_device *vdev)
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
		/*
		 * 0 is what a device that never fills the field offers:
		 * QEMU's vhost-user-blk export (qemu-storage-daemon) does.
		 * Read as "no limit", as if the feature were not offered.
		 */
		if (!v) {
			dev_warn(&vdev->dev, "size_max is 0, taken as no limit\n");
			c->invalid++;
			v = UINT_MAX;
		}
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
 * The sector and segment limits DISCARD and WRITE_ZEROES share, 0 when
 * the feature is not negotiated.  The spec gives a limit of 0 no
 * meaning: a device that offers the command with a maximum of 0 sectors
 * gets none of it, a maximum of 0 segments one segment per request, each
 * with a message.  Returns false if the command is not used.
 */
static bool vblk_read_range_op(struct virtio_device *vdev, struct vblk_cfg *c,
			       const char *field, const char *what,
			       unsigned int sectors_off, unsigned int seg_off,
			       u32 *max_sectors, u32 *max_seg)
{
	struct device *dev = &vdev->dev;
	u32 v = virtio_cread32(vdev, sectors_off);

	if (!v) {
		dev_warn(dev, "max_%s_sectors is 0 with %s offered: %s disabled\n",
			 field, what, what);
		c->invalid++;
		return false;
	}
	*max_sectors = v;
	v = virtio_cread32(vdev, seg_off);
	if (!v) {
		dev_warn(dev, "max_%s_seg is 0, using 1 range per request\n", field);
		c->invalid++;
	}
	*max_seg = v ?: 1;
	return true;
}

/* DISCARD, whose alignment of 0 means the block size */
static void vblk_read_discard(struct virtio_device *vdev, struct vblk_cfg *c)
{
	u32 v;

	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_DISCARD) ||
	    !vblk_read_range_op(vdev, c, "discard", "DISCARD",
				offsetof(struct virtio_blk_config, max_discard_sectors),
				offsetof(struct virtio_blk_config, max_discard_seg),
				&c->max_discard_sectors, &c->max_discard_seg))
		return;
	virtio_cread(vdev, struct virtio_blk_config, discard_sector_alignment, &v);
	if (!v || v > UINT_MAX >> SECTOR_SHIFT) {
		dev_warn(&vdev->dev, "discard_sector_alignment %u is out of range, using the block size\n",
			 v);
		c->invalid++;
		v = 0;
	}
	c->discard_granularity = v ? v << SECTOR_SHIFT : c->blk_size;
}

static void vblk_read_write_zeroes(struct virtio_device *vdev,
				   struct vblk_cfg *c)
{
	u8 unmap;

	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_WRITE_ZEROES) ||
	    !vblk_read_range_op(vdev, c, "write_zeroes", "WRITE_ZEROES",
				offsetof(struct virtio_blk_config, max_write_zeroes_sectors),
				offsetof(struct virtio_blk_config, max_write_zeroes_seg),
				&c->max_write_zeroes_sectors, &c->max_write_zeroes_seg))
		return;
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
 * Everything the disk needs from config space but its capacity,
 * validated, into @c: at probe and on every config change.  A value out
 * of range is replaced by a safe one, with a message naming the field,
 * and counted in c->invalid; a value no fallback can serve fails the
 * read.
 */
int vblk_read_config(struct virtio_device *vdev, unsigned int ring,
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

/*
 * The queue limits vblk owns, from the validated config, into @lim: an
 * empty one for a new disk, or a live queue's from
 * queue_limits_start_update(); the block layer's own fields are kept.
 */
void vblk_build_limits(const struct vblk_cfg *c, struct queue_limits *lim)
{
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
	} else {
		lim->max_discard_segments = 0;
		lim->discard_granularity = 0;
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
		if (vblk_queue_write_cache(vblk->disk->queue, wce))
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
	struct queue_limits lim;
	struct vblk_cfg new;
	unsigned int memflags;
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

	lim = queue_limits_start_update(q);
	vblk_build_limits(&new, &lim);
	memflags = blk_mq_freeze_queue(q);
	err = queue_limits_commit_update(q, &lim);
	if (!err)
		vblk->cfg = new;
	blk_mq_unfreeze_queue(q, memflags);
	if (err)
		dev_err(dev, "the block layer refused the new limits (%d), the disk keeps its own\n",
			err);
out:
	mutex_unlock(&vblk->vdev_mutex);
}

/* what a config-change interrupt may have moved: all of it, in turn */
void vblk_config_reread(struct vblk *vblk)
{
	u64 old = get_capacity(vblk->disk);
	u64 cap = vblk_read_capacity(vblk->vdev);

	vblk->cfg.capacity = cap;
	if (set_capacity_and_notify(vblk->disk, cap))
		dev_info(disk_to_dev(vblk->disk),
			 "capacity changed from %llu to %llu sectors\n",
			 old, cap);
	vblk_reread_wce(vblk);
	vblk_reread_limits(vblk);
}
