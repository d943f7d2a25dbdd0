/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel differences of the block driver (vblk.ko); see virtio_compat.h
 * for how they are found.  vblk is written against the newest block API
 * (queue limits given to blk_mq_alloc_disk and changed through
 * queue_limits_start_update/commit_update, struct rq_list,
 * blk_mq_map_hw_queues, the freeze's memflags, merging by default,
 * blk_rq_map_sg and blk_rq_map_kern without the queue, getgeo on the
 * gendisk); on an older kernel this header supplies those names.
 * Include it after every <linux/...> header.
 */
#ifndef VBLK_COMPAT_H
#define VBLK_COMPAT_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/sched/mm.h>

#include "virtio_compat.h"

#ifndef VMMIO_HAVE_BLK_FREEZE_MEMFLAGS
/*
 * 6.14: a frozen queue's owner allocates in a noio scope (a reclaim that
 * writes back through the frozen queue would wait for it forever):
 * blk_mq_freeze_queue() enters the scope and returns the flags it saved,
 * blk_mq_unfreeze_queue() takes them back.  Before, the freeze had no
 * scope; the same one is given here.
 */
static inline unsigned int __must_check
compat_blk_mq_freeze_queue(struct request_queue *q)
{
	unsigned int memflags = memalloc_noio_save();

	blk_mq_freeze_queue(q);
	return memflags;
}

static inline void compat_blk_mq_unfreeze_queue(struct request_queue *q,
						unsigned int memflags)
{
	blk_mq_unfreeze_queue(q);
	memalloc_noio_restore(memflags);
}

#define blk_mq_freeze_queue compat_blk_mq_freeze_queue
#define blk_mq_unfreeze_queue compat_blk_mq_unfreeze_queue
#endif

#ifdef VMMIO_HAVE_BLK_MQ_F_SHOULD_MERGE
/*
 * 6.14 made merging the default of every blk-mq queue and dropped the
 * tag set flag that asked for it: on an older kernel each tag set vblk
 * allocates asks, as the newer kernel assumes.
 */
static inline int compat_blk_mq_alloc_tag_set(struct blk_mq_tag_set *set)
{
	set->flags |= BLK_MQ_F_SHOULD_MERGE;
	return blk_mq_alloc_tag_set(set);
}

#define blk_mq_alloc_tag_set compat_blk_mq_alloc_tag_set
#endif

#ifndef VMMIO_HAVE_BLK_RQ_MAP_SG_RQ
/* 6.15: blk_rq_map_sg() finds the queue through the request */
static inline int compat_blk_rq_map_sg(struct request *rq,
				       struct scatterlist *sglist)
{
	return blk_rq_map_sg(rq->q, rq, sglist);
}

#define blk_rq_map_sg compat_blk_rq_map_sg
#endif

#ifndef VMMIO_HAVE_BLK_RQ_MAP_KERN_RQ
/* 6.16: so does blk_rq_map_kern() */
static inline int compat_blk_rq_map_kern(struct request *rq, void *kbuf,
					 unsigned int len, gfp_t gfp)
{
	return blk_rq_map_kern(rq->q, rq, kbuf, len, gfp);
}

#define blk_rq_map_kern compat_blk_rq_map_kern
#endif

/*
 * 6.18: block_device_operations.getgeo takes the gendisk, not a block
 * device.  VBLK_GETGEO_ADAPTER(fn) defines fn_bdev, the old form around
 * fn of the new; VBLK_GETGEO_OP(fn) names what the kernel calls.
 */
#ifdef VMMIO_HAVE_BLK_GETGEO_DISK
#define VBLK_GETGEO_OP(fn)		(fn)
#define VBLK_GETGEO_ADAPTER(fn)
#else
#define VBLK_GETGEO_OP(fn)		(fn##_bdev)
#define VBLK_GETGEO_ADAPTER(fn)						\
static int fn##_bdev(struct block_device *bdev, struct hd_geometry *geo)	\
{									\
	return fn(bdev->bd_disk, geo);					\
}
#endif

#ifndef VMMIO_HAVE_BLK_ALLOC_DISK_LIM
/*
 * 6.9: blk_mq_alloc_disk() takes the queue limits, and a live queue's
 * limits change in one validated update.  Before, each limit had a
 * setter: the fields vblk fills are applied here, the one list of them.
 */
static inline void compat_queue_apply_limits(struct request_queue *q,
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

static inline struct gendisk *
compat_blk_mq_alloc_disk(struct blk_mq_tag_set *set, struct queue_limits *lim,
			 void *data, struct lock_class_key *key)
{
	struct gendisk *disk = __blk_mq_alloc_disk(set, data, key);

	if (!IS_ERR(disk) && lim)
		compat_queue_apply_limits(disk->queue, lim);
	return disk;
}

#undef blk_mq_alloc_disk
#define blk_mq_alloc_disk(set, lim, data)				\
({									\
	static struct lock_class_key __key;				\
									\
	compat_blk_mq_alloc_disk(set, lim, data, &__key);		\
})

static inline struct queue_limits
queue_limits_start_update(struct request_queue *q)
{
	return q->limits;
}

/* the setters clamp what the 6.9 update would refuse */
static inline int queue_limits_commit_update(struct request_queue *q,
					     struct queue_limits *lim)
{
	compat_queue_apply_limits(q, lim);
	return 0;
}
#endif

#ifndef VMMIO_HAVE_BLK_LIMITS_COMMIT_FROZEN
/* 6.15 (Debian 6.12.48): the update inside a queue freeze, in one call */
static inline int
compat_queue_limits_commit_update_frozen(struct request_queue *q,
					 struct queue_limits *lim)
{
	unsigned int memflags;
	int err;

	memflags = blk_mq_freeze_queue(q);
	err = queue_limits_commit_update(q, lim);
	blk_mq_unfreeze_queue(q, memflags);
	return err;
}

#define queue_limits_commit_update_frozen compat_queue_limits_commit_update_frozen
#endif

/*
 * 6.11 made the volatile write cache a feature bit of the queue limits;
 * before, it was a queue flag with a setter of its own.  No name covers
 * both: vblk switches it, on a new or a live queue, through this one.
 */
static inline int vblk_queue_write_cache(struct request_queue *q, bool on)
{
#ifdef VMMIO_HAVE_BLK_LIM_FEATURES
	struct queue_limits lim = queue_limits_start_update(q);

	if (on)
		lim.features |= BLK_FEAT_WRITE_CACHE;
	else
		lim.features &= ~BLK_FEAT_WRITE_CACHE;
	return queue_limits_commit_update_frozen(q, &lim);
#else
	unsigned int memflags = blk_mq_freeze_queue(q);

	blk_queue_write_cache(q, on, false);
	blk_mq_unfreeze_queue(q, memflags);
	return 0;
#endif
}

#ifndef VMMIO_HAVE_BLK_QUEUE_RQS_RQ_LIST
/*
 * 6.13 (Debian 6.12.25): request lists are a struct rq_list (head and
 * tail), and blk_mq_ops.queue_rqs takes one.  Before, a bare singly
 * linked list with macros of the same names, which give way here to the
 * new forms (blk-mq.h's own inline users are compiled by now); only
 * rq_list_for_each over an io_comp_batch keeps the old macro, which
 * matches that kernel's io_comp_batch.
 */
struct rq_list {
	struct request *head;
	struct request *tail;
};

#undef rq_list_add_tail
#undef rq_list_pop
#undef rq_list_empty

static inline bool rq_list_empty(const struct rq_list *rl)
{
	return !rl->head;
}

static inline void rq_list_add_tail(struct rq_list *rl, struct request *rq)
{
	rq->rq_next = NULL;
	if (rl->tail)
		rl->tail->rq_next = rq;
	else
		rl->head = rq;
	rl->tail = rq;
}

static inline struct request *rq_list_pop(struct rq_list *rl)
{
	struct request *rq = rl->head;

	if (rq) {
		rl->head = rq->rq_next;
		if (!rl->head)
			rl->tail = NULL;
		rq->rq_next = NULL;
	}
	return rq;
}

/*
 * VBLK_QUEUE_RQS_ADAPTER(fn) defines fn_old, the queue_rqs of the old
 * form around fn of the new; VBLK_QUEUE_RQS_OP(fn) names what the kernel
 * calls.
 */
#define VBLK_QUEUE_RQS_OP(fn)		(fn##_old)
#define VBLK_QUEUE_RQS_ADAPTER(fn)					\
static void fn##_old(struct request **rqlist)				\
{									\
	struct rq_list rl = { .head = *rqlist };			\
									\
	for (rl.tail = rl.head; rl.tail && rl.tail->rq_next;		\
	     rl.tail = rl.tail->rq_next)				\
		;							\
	fn(&rl);							\
	*rqlist = rl.head;						\
}
#else
#define VBLK_QUEUE_RQS_OP(fn)		(fn)
#define VBLK_QUEUE_RQS_ADAPTER(fn)
#endif

#ifndef VMMIO_HAVE_BLK_MAP_HW_QUEUES
/* 6.14 (Debian 6.12.25): one queue-mapping helper for every bus */
#include <linux/blk-mq-virtio.h>
#define blk_mq_map_hw_queues(qmap, dev, offset)				\
	blk_mq_virtio_map_queues(qmap, dev_to_virtio(dev), offset)
#endif

#ifndef VMMIO_HAVE_SYSTEM_PERCPU_WQ
/*
 * 6.17 named the system workqueues by how they are bound and deprecated
 * system_wq (7.x logs each work queued there): system_percpu_wq is the
 * per-CPU one, system_wq before.
 */
#define system_percpu_wq system_wq
#endif

#endif /* VBLK_COMPAT_H */
