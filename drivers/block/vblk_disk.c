// SPDX-License-Identifier: GPL-2.0
/*
 * vblk disk: the gendisk, its name (vda, vdb, ... vdz, vdaa, ... as the
 * in-tree driver's, so root=/dev/vda and existing fstabs keep working),
 * its tag set and the one blk_mq_ops table.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hdreg.h>
#include <linux/idr.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "vblk.h"

static DEFINE_IDA(vblk_ida);

VBLK_QUEUE_RQS_ADAPTER(vblk_queue_rqs)

static const struct blk_mq_ops vblk_mq_ops = {
	.queue_rq	= vblk_queue_rq,
	.queue_rqs	= VBLK_QUEUE_RQS_OP(vblk_queue_rqs),
	.commit_rqs	= vblk_commit_rqs,
	.complete	= vblk_complete_rq,
	.timeout	= vblk_timeout,
	.map_queues	= vblk_map_queues,
	.poll		= vblk_poll,
};

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

static int vblk_getgeo(struct gendisk *disk, struct hd_geometry *geo)
{
	struct vblk *vblk = disk->private_data;
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
		geo->cylinders = get_capacity(disk) >> 11;
	}
out:
	mutex_unlock(&vblk->vdev_mutex);
	return err;
}

VBLK_GETGEO_ADAPTER(vblk_getgeo)

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
	.getgeo = VBLK_GETGEO_OP(vblk_getgeo),
	.free_disk = vblk_free_disk,
};

static int vblk_init_tag_set(struct vblk *vblk)
{
	unsigned int ring = vblk->ring;
	struct blk_mq_tag_set *set = &vblk->tag_set;
	unsigned int depth = ring;

	/* without indirect descriptors a request takes 3 or more slots */
	if (!virtio_has_feature(vblk->vdev, VIRTIO_RING_F_INDIRECT_DESC))
		depth = max(depth / 2, 1U);
	if (READ_ONCE(vblk_queue_depth.val))
		depth = min(READ_ONCE(vblk_queue_depth.val), ring);

	memset(set, 0, sizeof(*set));
	set->ops = &vblk_mq_ops;
	set->nr_hw_queues = vblk->nr_vqs;
	set->nr_maps = vblk->nr_poll_vqs ? HCTX_MAX_TYPES : 1;
	set->queue_depth = depth;
	set->numa_node = NUMA_NO_NODE;
	if (!vblk_io_scheduler)
		set->flags |= BLK_MQ_F_NO_SCHED_BY_DEFAULT;
	set->cmd_size = sizeof(struct vblk_req);
	set->driver_data = vblk;
	return blk_mq_alloc_tag_set(set);
}

static int vblk_alloc_disk(struct vblk *vblk, int major)
{
	struct queue_limits lim = { };
	struct gendisk *disk;
	int err;

	vblk_build_limits(&vblk->cfg, &lim);
	disk = blk_mq_alloc_disk(&vblk->tag_set, &lim, vblk);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	err = vblk_queue_write_cache(disk->queue, vblk->cfg.wce);
	if (err) {
		put_disk(disk);
		return err;
	}

	err = vblk_name(disk->disk_name, DISK_NAME_LEN, vblk->index);
	if (err) {
		put_disk(disk);
		return err;
	}
	disk->major = major;
	disk->first_minor = vblk->index << VBLK_PART_BITS;
	disk->minors = 1 << VBLK_PART_BITS;
	disk->fops = &vblk_fops;
	disk->private_data = vblk;
	set_capacity(disk, vblk->cfg.capacity);
	set_disk_ro(disk, vblk->cfg.ro);
	vblk->disk = disk;
	return 0;
}

/*
 * The disk of a probed device, not yet added: an index (its name and
 * minors), the tag set sized by the rings of vblk_dev_start(), the
 * gendisk with the limits of the validated config.
 */
int vblk_disk_create(struct vblk *vblk, int major)
{
	int err;

	vblk->index = ida_alloc_range(&vblk_ida, 0, MINORMASK >> VBLK_PART_BITS,
				      GFP_KERNEL);
	if (vblk->index < 0)
		return vblk->index;
	err = vblk_init_tag_set(vblk);
	if (err)
		goto out_ida;
	err = vblk_alloc_disk(vblk, major);
	if (err)
		goto out_tag_set;
	return 0;

out_tag_set:
	blk_mq_free_tag_set(&vblk->tag_set);
out_ida:
	ida_free(&vblk_ida, vblk->index);
	return err;
}

/* undo vblk_disk_create() of a disk that was never added */
void vblk_disk_destroy(struct vblk *vblk)
{
	put_disk(vblk->disk);
	vblk->disk = NULL;
	blk_mq_free_tag_set(&vblk->tag_set);
	ida_free(&vblk_ida, vblk->index);
}

void vblk_disk_exit(void)
{
	ida_destroy(&vblk_ida);
}
