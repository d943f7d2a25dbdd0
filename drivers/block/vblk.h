/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vblk: private declarations shared by the files of the block driver.
 *
 * Calls go one way, down this list (a file calls only files below it):
 *   vblk_main.c     the module: probe, remove, freeze/restore
 *   vblk_disk.c     the gendisk and its tag set
 *   vblk_sysfs.c    sysfs attributes (serial, cache_type) and GET_ID
 *   vblk_debugfs.c  per-disk and per-queue counters in debugfs
 *   vblk_recover.c  timeouts, device reset and recovery
 *   vblk_dev.c      the device lifecycle: start (rings up, device ready)
 *                   and stop (device reset, rings down)
 *   vblk_complete.c the completion path: interrupt, poll, reap
 *   vblk_rq.c       the submission path: requests to descriptor chains
 *   vblk_config.c   config space: validation, queue limits, changes
 *   vblk_param.c    module parameters
 *   vblk_fault.c    fault-injection knobs, only with VMMIO_FAULT=1
 */
#ifndef VBLK_H
#define VBLK_H

#include <linux/atomic.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/virtio_blk.h>
#include <linux/workqueue.h>

#include "vblk_compat.h"

/* minors per disk: the disk itself and 15 partitions, as in-tree */
#define VBLK_PART_BITS		4

/* scatterlist entries kept in each request; longer lists are chained */
#define VBLK_INLINE_SG		2

/* counters of one request virtqueue, updated under its lock */
struct vblk_vq_stats {
	u64 dispatched;		/* chains added to the ring */
	u64 completed;		/* chains the device returned */
	u64 ring_full;		/* queue stopped on a full ring */
	u64 irqs;		/* interrupt callbacks */
	u64 polls;		/* poll calls that found completions */
	u64 batched;		/* interrupt completions ended in a batch */
	u64 err_ioerr;		/* completions with VIRTIO_BLK_S_IOERR */
	u64 err_unsupp;		/* ... VIRTIO_BLK_S_UNSUPP */
	u64 err_other;		/* ... any other status byte */
};

/* one request virtqueue and what protects it */
struct vblk_vq {
	/* NULL while a reset rebuilds the rings or once the disk is dead */
	struct virtqueue *vq;
	spinlock_t lock;	/* serialises add/get_buf/kick on @vq */
	struct vblk_vq_stats stats;
	unsigned int unkicked;	/* chains added since the last kick (tracing) */
	char name[24];		/* "req_poll." and a queue number */
} ____cacheline_aligned_in_smp;

/* the values read from config space, after validation */
struct vblk_cfg {
	u64 capacity;		/* in 512-byte sectors */
	u32 blk_size;		/* logical block size, bytes */
	u32 phys_block_size;
	u32 alignment_offset;	/* bytes */
	u32 io_min;		/* bytes, 0 if not known */
	u32 io_opt;		/* bytes, 0 if not known */
	u32 size_max;		/* max bytes per segment */
	u32 seg_max;		/* max data segments per request */
	u16 cylinders;
	u8 heads;
	u8 sectors;
	bool has_geometry;
	bool ro;
	bool wce;		/* volatile write cache on */
	bool flush;		/* VIRTIO_BLK_F_FLUSH negotiated */
	/* discard / write zeroes / secure erase, 0 when not negotiated */
	u32 max_discard_sectors;
	u32 max_discard_seg;
	u32 discard_granularity;	/* bytes */
	u32 max_write_zeroes_sectors;
	u32 max_write_zeroes_seg;
	bool write_zeroes_may_unmap;
	u32 max_secure_erase_sectors;
	u32 max_secure_erase_seg;
	/* values out of range that a fallback replaced (a changed config
	 * with more is refused)
	 */
	unsigned int invalid;
};

/*
 * Recovery from a device that stops answering or asks for a reset
 * (vblk_recover.c).  The counters are for debugfs and the tests.
 */
struct vblk_recovery {
	struct work_struct work;	/* the reset, off the I/O paths */
	unsigned long flags;		/* VBLK_REC_* bits */
	unsigned long window_start;	/* jiffies: resets counted since */
	unsigned int window_resets;
	unsigned int idle_resets;	/* in a row with nothing completed */
	u64 last_requeued;		/* requests the last reset sent again */
	u64 last_completed;		/* chains completed at the last reset */
	atomic64_t timeouts;		/* timeout handler calls */
	atomic64_t lost_irqs;		/* completions found by its poll */
	atomic64_t resets;		/* recoveries that brought it back */
	atomic64_t failed_resets;	/* recoveries that did not */
	atomic64_t needs_reset;		/* DEVICE_NEEDS_RESET seen */
	atomic64_t requeued;		/* requests sent again after a reset */
	atomic64_t failed;		/* requests failed when it gave up */
};

/* vblk_recovery.flags */
#define VBLK_REC_PENDING	0	/* a reset is queued or running */
#define VBLK_REC_DEAD		1	/* given up: all I/O fails */
/*
 * remove or freeze is stopping the device: no reset may be scheduled
 * and the config work does nothing, until start clears it
 */
#define VBLK_REC_STOPPED	2

struct vblk_fault;

struct vblk {
	/* NULL once the device is gone; guarded by @vdev_mutex */
	struct virtio_device *vdev;
	struct mutex vdev_mutex;	/* against remove for ioctls/sysfs */
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;
	struct work_struct config_work;
	int index;			/* from vblk_ida: name and minors */
	unsigned int nr_vqs;		/* interrupt-driven plus polled */
	unsigned int nr_poll_vqs;	/* the last ones, without interrupts */
	unsigned int sg_elems;		/* scatterlist entries per request */
	unsigned int ring;		/* smallest ring at probe, descriptors */
	bool vqs_live;			/* the virtqueues exist */
	struct vblk_vq *vqs;
	struct vblk_cfg cfg;
	struct vblk_recovery rec;
	struct dentry *debugfs;
#ifdef VMMIO_FAULT
	struct vblk_fault *fault;	/* vblk_fault.c */
#endif
};

/* the per-request data blk-mq allocates behind each struct request */
struct vblk_req {
	struct virtio_blk_outhdr out_hdr;
	u8 status;			/* written by the device */
	bool timeout_logged;
	u8 timeouts;			/* timer expiries seen so far */
	u32 used_len;			/* GET_ID only: bytes the device wrote */
	int nents;			/* data scatterlist entries mapped */
	struct sg_table sg_table;
	struct scatterlist sg[VBLK_INLINE_SG];
};

/* the request virtqueue of a hardware queue: the same number */
static inline struct vblk_vq *vblk_hctx_vq(struct blk_mq_hw_ctx *hctx)
{
	struct vblk *vblk = hctx->queue->queuedata;

	return &vblk->vqs[hctx->queue_num];
}

/* vblk_param.c: the module parameters, and their common setter */
struct vblk_param_uint {
	unsigned int val;
	unsigned int min, max;
};

extern struct vblk_param_uint vblk_num_request_queues;
extern struct vblk_param_uint vblk_queue_depth;
extern struct vblk_param_uint vblk_poll_queues;
extern struct vblk_param_uint vblk_timeout_rounds;
extern bool vblk_io_scheduler;

/* vblk_config.c */
u64 vblk_read_capacity(struct virtio_device *vdev);
int vblk_read_config(struct virtio_device *vdev, unsigned int ring,
		     struct vblk_cfg *c);
void vblk_build_limits(const struct vblk_cfg *c, struct queue_limits *lim);
bool vblk_get_wce(struct virtio_device *vdev);
bool vblk_restore_wce(struct vblk *vblk);
void vblk_config_reread(struct vblk *vblk);

/*
 * vblk_rq.c and vblk_complete.c: the blk_mq_ops but the timeout
 * (vblk_disk.c has the table)
 */
blk_status_t vblk_queue_rq(struct blk_mq_hw_ctx *hctx,
			   const struct blk_mq_queue_data *bd);
void vblk_queue_rqs(struct rq_list *rqlist);
void vblk_commit_rqs(struct blk_mq_hw_ctx *hctx);
void vblk_unmap_data(struct request *rq, struct vblk_req *vbr);

void vblk_complete_rq(struct request *rq);
int vblk_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob);
void vblk_map_queues(struct blk_mq_tag_set *set);
void vblk_vq_done(struct virtqueue *vq);
void vblk_vq_drain(struct vblk *vblk, struct vblk_vq *bvq);
unsigned int vblk_vq_reap(struct vblk *vblk, struct vblk_vq *bvq,
			  const struct request *want, bool *found);

/* vblk_dev.c */
int vblk_alloc_vqs(struct vblk *vblk);
int vblk_dev_start(struct vblk *vblk);
int vblk_dev_stop(struct vblk *vblk);

/* vblk_recover.c */
enum blk_eh_timer_return vblk_timeout(struct request *rq);
void vblk_recovery_init(struct vblk *vblk);
void vblk_recovery_stop(struct vblk *vblk);
void vblk_schedule_reset(struct vblk *vblk, const char *why);
bool vblk_needs_reset(struct vblk *vblk);
int vblk_recovery_module_init(void);
void vblk_recovery_module_exit(void);

static inline bool vblk_dead(struct vblk *vblk)
{
	return test_bit(VBLK_REC_DEAD, &vblk->rec.flags);
}

static inline bool vblk_stopped(struct vblk *vblk)
{
	return test_bit(VBLK_REC_STOPPED, &vblk->rec.flags);
}

/*
 * Look at config space again, off the interrupt path (vblk_main.c's
 * config work), unless the device is being stopped.
 */
static inline void vblk_config_kick(struct vblk *vblk)
{
	if (!vblk_stopped(vblk))
		queue_work(system_freezable_wq, &vblk->config_work);
}

/* vblk_debugfs.c */
void vblk_debugfs_init(void);
void vblk_debugfs_exit(void);
void vblk_debugfs_add(struct vblk *vblk);
void vblk_debugfs_remove(struct vblk *vblk);

/* vblk_sysfs.c */
extern const struct attribute_group *vblk_attr_groups[];

/* vblk_disk.c */
int vblk_disk_create(struct vblk *vblk, int major);
void vblk_disk_destroy(struct vblk *vblk);
void vblk_disk_exit(void);

/*
 * vblk_fault.c: the knobs of debugfs vblk/<disk>/fault/, built with
 * VMMIO_FAULT=1 only.  In the product build these are empty inlines, so
 * the I/O paths carry no test of a knob.
 */
#ifdef VMMIO_FAULT
int vblk_fault_add(struct vblk *vblk);
void vblk_fault_stop(struct vblk *vblk);
void vblk_fault_remove(struct vblk *vblk);
void vblk_fault_debugfs(struct vblk *vblk, struct dentry *dir);
bool vblk_fault_irq(struct vblk *vblk, struct vblk_vq *bvq);
bool vblk_fault_corrupt(struct vblk *vblk);
bool vblk_fault_fail_reset(struct vblk *vblk);
bool vblk_fault_needs_reset(struct vblk *vblk);
void vblk_fault_config_stall(struct vblk *vblk);
#else
static inline int vblk_fault_add(struct vblk *vblk) { return 0; }
static inline void vblk_fault_stop(struct vblk *vblk) { }
static inline void vblk_fault_remove(struct vblk *vblk) { }
static inline void vblk_fault_debugfs(struct vblk *vblk, struct dentry *dir) { }
static inline bool vblk_fault_irq(struct vblk *vblk, struct vblk_vq *bvq)
{
	return false;
}

static inline bool vblk_fault_corrupt(struct vblk *vblk) { return false; }
static inline bool vblk_fault_fail_reset(struct vblk *vblk) { return false; }
static inline bool vblk_fault_needs_reset(struct vblk *vblk) { return false; }
static inline void vblk_fault_config_stall(struct vblk *vblk) { }
#endif

#endif /* VBLK_H */
