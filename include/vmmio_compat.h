/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place for differences between the kernels this tree builds on
 * (Debian 6.1 and 6.12 and whatever KDIR names).  Drivers include this and
 * never test kernel versions themselves.  Differences are found by
 * compiling small probes against the kernel (compat/probes/), not by
 * comparing version numbers: Debian backports API changes into its
 * stable kernels.
 */
#ifndef VMMIO_COMPAT_H
#define VMMIO_COMPAT_H

#include <linux/platform_device.h>

/* what the running kernel has, probed at build time (see ./Kbuild) */
#include "vmmio_probes.h"

/* platform_driver.remove returns void from 6.11; it was remove_new before */
#ifdef VMMIO_HAVE_PLATFORM_REMOVE_VOID
#define VMMIO_PLATFORM_REMOVE(fn)	.remove = (fn)
#else
#define VMMIO_PLATFORM_REMOVE(fn)	.remove_new = (fn)
#endif

/* --- transport --- */

#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

/*
 * find_vqs: 6.11 passes one struct virtqueue_info per queue; older
 * kernels pass arrays of callbacks, names and ctx flags.  The transport
 * implements the struct form (vmmio_find_vqs_info); vmmio_compat_find_vqs
 * is the config op in this kernel's form.
 */
#ifndef VMMIO_HAVE_VIRTQUEUE_INFO
struct virtqueue_info {
	const char *name;
	vq_callback_t *callback;
	bool ctx;
};
#endif

int vmmio_find_vqs_info(struct virtio_device *vdev, unsigned int nvqs,
			struct virtqueue *vqs[], struct virtqueue_info info[]);

/* the per-queue arrays of the old interface as struct virtqueue_info[] */
static inline struct virtqueue_info *
vmmio_compat_vq_info(unsigned int nvqs, vq_callback_t *callbacks[],
		     const char * const names[], const bool *ctx)
{
	struct virtqueue_info *info;
	unsigned int i;

	info = kcalloc(nvqs, sizeof(*info), GFP_KERNEL);
	if (!info)
		return NULL;
	for (i = 0; i < nvqs; i++) {
		info[i].name = names[i];
		info[i].callback = callbacks[i];
		info[i].ctx = ctx ? ctx[i] : false;
	}
	return info;
}

#ifdef VMMIO_HAVE_VIRTQUEUE_INFO
static inline int vmmio_compat_find_vqs(struct virtio_device *vdev,
					unsigned int nvqs,
					struct virtqueue *vqs[],
					struct virtqueue_info info[],
					struct irq_affinity *desc)
{
	return vmmio_find_vqs_info(vdev, nvqs, vqs, info);
}
#else
static inline int vmmio_compat_find_vqs(struct virtio_device *vdev,
					unsigned int nvqs,
					struct virtqueue *vqs[],
					vq_callback_t *callbacks[],
					const char * const names[],
					const bool *ctx,
					struct irq_affinity *desc)
{
	struct virtqueue_info *info = vmmio_compat_vq_info(nvqs, callbacks, names, ctx);
	int err;

	if (!info)
		return -ENOMEM;
	err = vmmio_find_vqs_info(vdev, nvqs, vqs, info);
	kfree(info);
	return err;
}
#endif

/* --- block driver --- */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#ifndef VMMIO_HAVE_BLK_MAP_HW_QUEUES
#include <linux/blk-mq-virtio.h>
#endif

#ifndef VMMIO_HAVE_BLK_ALLOC_DISK_LIM
/*
 * Before 6.9 the limits are set on a queue one by one: the fields the
 * block driver fills, from @lim.
 */
static inline void vblk_compat_set_limits(struct request_queue *q,
					  const struct queue_limits *lim)
{
	blk_queue_logical_block_size(q, lim->logical_block_size);
	blk_queue_physical_block_size(q, lim->physical_block_size);
	blk_queue_alignment_offset(q, lim->alignment_offset);
	blk_queue_io_min(q, lim->io_min);
	blk_queue_io_opt(q, lim->io_opt);
	blk_queue_max_hw_sectors(q, lim->max_hw_sectors);
	blk_queue_max_segments(q, lim->max_segments);
	blk_queue_max_segment_size(q, lim->max_segment_size);
	blk_queue_max_discard_sectors(q, lim->max_hw_discard_sectors);
	if (lim->max_discard_segments)
		blk_queue_max_discard_segments(q, lim->max_discard_segments);
	q->limits.discard_granularity = lim->discard_granularity;
	blk_queue_max_write_zeroes_sectors(q, lim->max_write_zeroes_sectors);
	blk_queue_max_secure_erase_sectors(q, lim->max_secure_erase_sectors);
}
#endif

/*
 * A disk with the limits in @lim and the volatile write cache flag.  From
 * 6.9 the limits go to blk_mq_alloc_disk() (and from 6.11 the write cache
 * is a feature bit in them); before, they are set on the new queue one by
 * one.  Only the fields the block driver fills are carried over there.
 */
static inline struct gendisk *
vblk_compat_alloc_disk(struct blk_mq_tag_set *set, struct queue_limits *lim,
		       bool write_cache, void *data)
{
	struct gendisk *disk;
#ifdef VMMIO_HAVE_BLK_ALLOC_DISK_LIM
#ifdef VMMIO_HAVE_BLK_LIM_FEATURES
	if (write_cache)
		lim->features |= BLK_FEAT_WRITE_CACHE;
#endif
	disk = blk_mq_alloc_disk(set, lim, data);
#ifndef VMMIO_HAVE_BLK_LIM_FEATURES
	if (!IS_ERR(disk))
		blk_queue_write_cache(disk->queue, write_cache, false);
#endif
#else
	disk = blk_mq_alloc_disk(set, data);
	if (IS_ERR(disk))
		return disk;
	vblk_compat_set_limits(disk->queue, lim);
	blk_queue_write_cache(disk->queue, write_cache, false);
#endif
	return disk;
}

/*
 * New limits for a live queue, in two steps around the caller's freeze:
 * start (6.9+: the queue's current limits, under its limits lock, which
 * is taken before the freeze as the block layer does), then commit the
 * fields the block driver fills from @want (6.9+: validated by the block
 * layer, which keeps the old limits and returns an error if it refuses;
 * before: the old setters, which clamp instead).
 */
static inline void vblk_compat_limits_start(struct request_queue *q,
					    struct queue_limits *lim)
{
#ifdef VMMIO_HAVE_BLK_ALLOC_DISK_LIM
	*lim = queue_limits_start_update(q);
#else
	memset(lim, 0, sizeof(*lim));
#endif
}

static inline int vblk_compat_limits_commit(struct request_queue *q,
					    struct queue_limits *lim,
					    const struct queue_limits *want)
{
#ifdef VMMIO_HAVE_BLK_ALLOC_DISK_LIM
	lim->logical_block_size = want->logical_block_size;
	lim->physical_block_size = want->physical_block_size;
	lim->alignment_offset = want->alignment_offset;
	lim->io_min = want->io_min;
	lim->io_opt = want->io_opt;
	lim->max_hw_discard_sectors = want->max_hw_discard_sectors;
	lim->max_discard_segments = want->max_discard_segments;
	lim->discard_granularity = want->discard_granularity;
	lim->max_write_zeroes_sectors = want->max_write_zeroes_sectors;
	lim->max_secure_erase_sectors = want->max_secure_erase_sectors;
	return queue_limits_commit_update(q, lim);
#else
	vblk_compat_set_limits(q, want);
	return 0;
#endif
}

/* switch the volatile write cache flag of a live queue */
static inline int vblk_compat_set_write_cache(struct request_queue *q, bool on)
{
#ifdef VMMIO_HAVE_BLK_LIM_FEATURES
	struct queue_limits lim = queue_limits_start_update(q);
#ifndef VMMIO_HAVE_BLK_LIMITS_COMMIT_FROZEN
	int err;
#endif

	if (on)
		lim.features |= BLK_FEAT_WRITE_CACHE;
	else
		lim.features &= ~BLK_FEAT_WRITE_CACHE;
#ifdef VMMIO_HAVE_BLK_LIMITS_COMMIT_FROZEN
	return queue_limits_commit_update_frozen(q, &lim);
#else
	blk_mq_freeze_queue(q);
	err = queue_limits_commit_update(q, &lim);
	blk_mq_unfreeze_queue(q);
	return err;
#endif
#else
	blk_mq_freeze_queue(q);
	blk_queue_write_cache(q, on, false);
	blk_mq_unfreeze_queue(q);
	return 0;
#endif
}

/* find_vqs with one name and callback per queue, on either interface */
static inline int vblk_compat_find_vqs(struct virtio_device *vdev,
				       unsigned int nvqs,
				       struct virtqueue *vqs[],
				       vq_callback_t *callbacks[],
				       const char * const names[],
				       struct irq_affinity *desc)
{
#ifdef VMMIO_HAVE_VIRTQUEUE_INFO
	struct virtqueue_info *info = vmmio_compat_vq_info(nvqs, callbacks, names, NULL);
	int err;

	if (!info)
		return -ENOMEM;
	err = virtio_find_vqs(vdev, nvqs, vqs, info, desc);
	kfree(info);
	return err;
#else
	return virtio_find_vqs(vdev, nvqs, vqs, callbacks, names, desc);
#endif
}

/*
 * blk_mq_ops.queue_rqs gets a struct rq_list (head and tail) from 6.13
 * (Debian 6.12.25), a bare singly linked list before.  The block driver
 * declares its queue_rqs with VBLK_QUEUE_RQS_LIST and moves the requests
 * in and out with these two helpers.
 */
#ifdef VMMIO_HAVE_BLK_QUEUE_RQS_RQ_LIST
#define VBLK_QUEUE_RQS_LIST	struct rq_list
static inline struct request *vblk_compat_rqs_take(struct rq_list *l)
{
	struct request *head = l->head;

	rq_list_init(l);
	return head;
}

static inline void vblk_compat_rqs_give(struct rq_list *l,
					struct request *head,
					struct request *tail)
{
	l->head = head;
	l->tail = tail;
}
#else
#define VBLK_QUEUE_RQS_LIST	struct request *
static inline struct request *vblk_compat_rqs_take(struct request **l)
{
	struct request *head = *l;

	*l = NULL;
	return head;
}

static inline void vblk_compat_rqs_give(struct request **l,
					struct request *head,
					struct request *tail)
{
	*l = head;
}
#endif

/* spread a queue map over the CPUs by the transport's IRQ affinity */
static inline void vblk_compat_map_queues(struct blk_mq_queue_map *qmap,
					  struct virtio_device *vdev)
{
#ifdef VMMIO_HAVE_BLK_MAP_HW_QUEUES
	blk_mq_map_hw_queues(qmap, &vdev->dev, 0);
#else
	blk_mq_virtio_map_queues(qmap, vdev, 0);
#endif
}

#endif /* VMMIO_COMPAT_H */
