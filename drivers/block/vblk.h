/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vblk: private declarations shared by the files of the block driver.
 *
 *   vblk_main.c   module, parameters, probe/remove, config space, PM
 *   vblk_rq.c     blk-mq operations, virtqueue completion
 *   vblk_sysfs.c  sysfs attributes (serial, cache_type) and GET_ID
 *   vblk_debugfs.c  per-disk and per-queue counters in debugfs
 *   vblk_recover.c  timeouts, device reset and re-initialisation, faults
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

/* minors per disk: the disk itself and 15 partitions, as in-tree */
#define VBLK_PART_BITS		4

/* scatterlist entries kept in each request; longer lists are chained */
#define VBLK_INLINE_SG		2

/* counters of one request virtqueue, updated under its lock */
struct vblk_vq_stats {
	u64 dispatched;		/* chains added to the ring */
	u64 completed;		/* chains the device returned */
	u64 kicks;		/* notifications sent to the device */
	u64 ring_full;		/* queue stopped on a full ring */
	u64 irqs;		/* interrupt callbacks */
	u64 irqs_dropped;	/* ... ignored by the drop_irqs fault knob */
	u64 irqs_delayed;	/* ... deferred by the delay_ms fault knob */
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
	atomic64_t timeouts;		/* timeout handler calls */
	atomic64_t lost_irqs;		/* completions found by its poll */
	atomic64_t resets;		/* recoveries that brought it back */
	atomic64_t failed_resets;	/* recoveries that did not */
	atomic64_t needs_reset;		/* DEVICE_NEEDS_RESET seen */
	atomic64_t requeued;		/* requests sent again after a reset */
	atomic64_t failed;		/* requests failed when it gave up */
	/* fault injection, inert at 0: each counts down per event */
	atomic_t drop_irqs;		/* ignore the next N interrupts */
	atomic_t corrupt_hdr;		/* send N malformed chains */
	atomic_t fail_reset;		/* fail the next N recoveries */
	atomic_t delay_ms;		/* look at completions N ms late */
	struct delayed_work delay_work;	/* ... then, for all queues */
};

/* vblk_recovery.flags */
#define VBLK_REC_PENDING	0	/* a reset is queued or running */
#define VBLK_REC_DEAD		1	/* given up: all I/O fails */

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
};

/* the per-request data blk-mq allocates behind each struct request */
struct vblk_req {
	struct virtio_blk_outhdr out_hdr;
	u8 status;			/* written by the device */
	bool timeout_logged;
	u8 timeouts;			/* timer expiries seen so far */
	u32 used_len;			/* bytes the device reported written */
	int nents;			/* data scatterlist entries mapped */
	struct sg_table sg_table;
	struct scatterlist sg[VBLK_INLINE_SG];
};

/* vblk_rq.c */
extern const struct blk_mq_ops vblk_mq_ops;
void vblk_vq_done(struct virtqueue *vq);
void vblk_vq_drain(struct vblk *vblk, struct vblk_vq *bvq);
unsigned int vblk_reap_locked(struct vblk_vq *bvq, const struct vblk_req *want,
			      bool *found);
void vblk_unmap_data(struct request *rq, struct vblk_req *vbr);

/* vblk_recover.c */
enum blk_eh_timer_return vblk_timeout(struct request *rq);
void vblk_recovery_init(struct vblk *vblk);
void vblk_recovery_stop(struct vblk *vblk);
void vblk_schedule_reset(struct vblk *vblk, const char *why);
bool vblk_needs_reset(struct vblk *vblk);
void vblk_fault_delay_arm(struct vblk *vblk, int ms);
int vblk_recovery_module_init(void);
void vblk_recovery_module_exit(void);

/*
 * A count-down fault knob (debugfs vblk/<disk>/fault/): true, and one
 * less, while it is above 0.  The plain read keeps the inert case to one
 * load on the I/O paths.
 */
static inline bool vblk_fault_take(atomic_t *knob)
{
	return unlikely(atomic_read(knob) > 0) &&
	       atomic_dec_if_positive(knob) >= 0;
}

/*
 * The delay_ms knob on the interrupt path: inline, so that the inert
 * case is one load there, not a call.
 */
static inline bool vblk_fault_delay(struct vblk *vblk)
{
	int ms = atomic_read(&vblk->rec.delay_ms);

	if (likely(ms <= 0))
		return false;
	vblk_fault_delay_arm(vblk, ms);
	return true;
}

static inline bool vblk_dead(struct vblk *vblk)
{
	return test_bit(VBLK_REC_DEAD, &vblk->rec.flags);
}

/* vblk_debugfs.c */
void vblk_debugfs_init(void);
void vblk_debugfs_exit(void);
void vblk_debugfs_add(struct vblk *vblk);
void vblk_debugfs_remove(struct vblk *vblk);

/* vblk_sysfs.c */
extern const struct attribute_group *vblk_attr_groups[];
int vblk_get_id(struct gendisk *disk, char *id);

/* vblk_main.c */
bool vblk_get_wce(struct virtio_device *vdev);
bool vblk_restore_wce(struct vblk *vblk);
int vblk_find_vqs(struct vblk *vblk);
unsigned int vblk_ring_size(struct vblk *vblk);
int vblk_param_set_range(const char *val, const struct kernel_param *kp,
			 unsigned int min, unsigned int max);

#endif /* VBLK_H */
