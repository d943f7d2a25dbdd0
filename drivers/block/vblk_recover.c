// SPDX-License-Identifier: GPL-2.0
/*
 * vblk recovery: what the driver does when the device stops answering or
 * says it needs a reset.
 *
 * A timed-out request goes through three steps:
 *   1. poll its virtqueue: if the device did complete it and only the
 *      interrupt was lost, complete it now;
 *   2. if the device still looks healthy (no DEVICE_NEEDS_RESET, no
 *      broken ring), give it timeout_rounds more timer periods;
 *   3. reset the device and bring it back, then requeue what was in
 *      flight.
 * DEVICE_NEEDS_RESET on a config-change interrupt goes to step 3 at once.
 *
 * Nothing the device may still write to is completed before the reset
 * has finished: with the device reset (status read back as 0) it owns no
 * buffer any more.  Reads and writes are idempotent at this level, so
 * everything that was in flight is sent again.  When recovery fails, or
 * the device needs it more than VBLK_RESETS_PER_WINDOW times a minute,
 * or VBLK_IDLE_RESETS resets in a row sent requests again and the device
 * completed none of them before the next, the disk is declared dead:
 * everything in flight and everything after it fails with an I/O error,
 * so nothing waits forever.  The last rule is for a device that accepts
 * a reset but never serves a ring: a vhost-user disk whose backend died
 * for good takes the new rings from QEMU, and with the default timeouts
 * its resets come 90 s apart, too rarely for the per-minute limit.
 *
 * The reset runs in a work item on its own WQ_MEM_RECLAIM workqueue: it
 * quiesces the queue, which cannot be done from the timeout handler, and
 * it must make progress when memory is short because it completes I/O.
 * The workqueue is unbound, said explicitly: no reset needs the CPU
 * that queued it, and 7.x warns about a workqueue that names neither
 * WQ_UNBOUND nor WQ_PERCPU (which older kernels do not have).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/virtio_config.h>

#include "vblk.h"

#define VBLK_RESET_WINDOW	(60 * HZ)
#define VBLK_RESETS_PER_WINDOW	5
#define VBLK_IDLE_RESETS	2
static struct workqueue_struct *vblk_wq;

/* a ring the virtio core has given up on needs a reset as well */
static bool vblk_ring_broken(struct vblk *vblk)
{
	bool broken = false;
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < vblk->nr_vqs && !broken; i++) {
		struct vblk_vq *bvq = &vblk->vqs[i];

		spin_lock_irqsave(&bvq->lock, flags);
		broken = bvq->vq && virtqueue_is_broken(bvq->vq);
		spin_unlock_irqrestore(&bvq->lock, flags);
	}
	return broken;
}

bool vblk_needs_reset(struct vblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;

	return (vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET) ||
	       vblk_fault_needs_reset(vblk);
}

void vblk_schedule_reset(struct vblk *vblk, const char *why)
{
	if (vblk_dead(vblk) || vblk_stopped(vblk) ||
	    test_and_set_bit(VBLK_REC_PENDING, &vblk->rec.flags))
		return;
	dev_warn(disk_to_dev(vblk->disk), "resetting the device: %s\n", why);
	queue_work(vblk_wq, &vblk->rec.work);
}

/* step 1 of a timeout: complete what a lost interrupt left on the ring */
static bool vblk_timeout_poll(struct vblk *vblk, struct request *rq)
{
	struct vblk_vq *bvq = &vblk->vqs[rq->mq_hctx->queue_num];
	bool found = false;
	unsigned int n;

	n = vblk_vq_reap(vblk, bvq, rq, &found);
	if (n) {
		atomic64_add(n, &vblk->rec.lost_irqs);
		dev_warn_ratelimited(disk_to_dev(vblk->disk),
				     "%s: %u completion%s found by polling after a timeout (lost interrupt)\n",
				     bvq->name, n, n == 1 ? "" : "s");
	}
	return found;
}

enum blk_eh_timer_return vblk_timeout(struct request *rq)
{
	struct vblk *vblk = rq->q->queuedata;
	struct vblk_req *vbr = blk_mq_rq_to_pdu(rq);
	struct device *dev = disk_to_dev(vblk->disk);

	atomic64_inc(&vblk->rec.timeouts);
	if (vblk_timeout_poll(vblk, rq))
		return BLK_EH_DONE;

	/* a reset under way requeues this request when the device is back */
	if (test_bit(VBLK_REC_PENDING, &vblk->rec.flags) || vblk_dead(vblk))
		return BLK_EH_RESET_TIMER;

	if (vbr->timeouts < READ_ONCE(vblk_timeout_rounds.val) &&
	    !vblk_needs_reset(vblk) && !vblk_ring_broken(vblk)) {
		vbr->timeouts++;
		if (!vbr->timeout_logged) {
			vbr->timeout_logged = true;
			dev_warn(dev, "%s tag %d at sector %llu, %u bytes: no answer from the device after %u ms, waiting\n",
				 blk_op_str(req_op(rq)), rq->tag,
				 (unsigned long long)blk_rq_pos(rq),
				 blk_rq_bytes(rq), jiffies_to_msecs(rq->timeout));
		}
		return BLK_EH_RESET_TIMER;
	}

	dev_warn(dev, "%s tag %d at sector %llu: no answer after %u timeouts\n",
		 blk_op_str(req_op(rq)), rq->tag,
		 (unsigned long long)blk_rq_pos(rq), vbr->timeouts + 1);
	vblk_schedule_reset(vblk, "a request timed out");
	return BLK_EH_RESET_TIMER;
}

/* at most VBLK_RESETS_PER_WINDOW resets a minute */
static bool vblk_reset_allowed(struct vblk *vblk)
{
	struct vblk_recovery *rec = &vblk->rec;

	if (time_after(jiffies, rec->window_start + VBLK_RESET_WINDOW)) {
		rec->window_start = jiffies;
		rec->window_resets = 0;
	}
	return ++rec->window_resets <= VBLK_RESETS_PER_WINDOW;
}

/* chains the device returned, on all queues, since probe */
static u64 vblk_completed(struct vblk *vblk)
{
	unsigned long flags;
	unsigned int i;
	u64 n = 0;

	for (i = 0; i < vblk->nr_vqs; i++) {
		struct vblk_vq *bvq = &vblk->vqs[i];

		spin_lock_irqsave(&bvq->lock, flags);
		n += bvq->stats.completed;
		spin_unlock_irqrestore(&bvq->lock, flags);
	}
	return n;
}

/*
 * Whether the device served anything since the last reset, when that
 * reset gave it requests to serve: VBLK_IDLE_RESETS such resets in a
 * row and it is not coming back.
 */
static bool vblk_reset_progress(struct vblk *vblk)
{
	struct vblk_recovery *rec = &vblk->rec;
	u64 done = vblk_completed(vblk);

	if (rec->last_requeued && done == rec->last_completed)
		rec->idle_resets++;
	else
		rec->idle_resets = 0;
	rec->last_completed = done;
	return rec->idle_resets < VBLK_IDLE_RESETS;
}

/*
 * Feature negotiation again, as the virtio core does before probe: the
 * device keeps no state across a reset, the driver keeps the features it
 * accepted.
 */
static int vblk_renegotiate(struct vblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;
	int err;

	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	err = vdev->config->finalize_features(vdev);
	if (err) {
		dev_err(&vdev->dev, "the transport refused the features again: %d\n",
			err);
		return err;
	}
	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1))
		return 0;
	virtio_add_status(vdev, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		dev_err(&vdev->dev, "the device no longer accepts the features it accepted at probe\n");
		return -ENODEV;
	}
	return 0;
}

/* stop, then start again: what a recovery does to the device */
static int vblk_reset_device(struct vblk *vblk)
{
	struct device *dev = disk_to_dev(vblk->disk);
	int err;

	if (!vblk_reset_allowed(vblk)) {
		dev_err(dev, "the device needed more than %u resets in %u s\n",
			VBLK_RESETS_PER_WINDOW, VBLK_RESET_WINDOW / HZ);
		return -EBUSY;
	}
	if (!vblk_reset_progress(vblk)) {
		dev_err(dev, "the device completed nothing after %u resets in a row\n",
			VBLK_IDLE_RESETS);
		return -ETIMEDOUT;
	}
	err = vblk_dev_stop(vblk);
	if (err)
		return err;
	if (vblk_fault_fail_reset(vblk)) {
		dev_err(dev, "recovery failed by the fail_reset fault knob\n");
		return -EIO;
	}
	err = vblk_renegotiate(vblk);
	return err ?: vblk_dev_start(vblk);
}

static bool vblk_requeue_one(struct request *rq, void *data)
{
	struct vblk *vblk = data;

	if (blk_mq_rq_state(rq) != MQ_RQ_IN_FLIGHT)
		return true;
	vblk_unmap_data(rq, blk_mq_rq_to_pdu(rq));
	blk_mq_requeue_request(rq, false);
	atomic64_inc(&vblk->rec.requeued);
	return true;
}

static bool vblk_fail_one(struct request *rq, void *data)
{
	struct vblk *vblk = data;
	struct vblk_req *vbr = blk_mq_rq_to_pdu(rq);

	if (blk_mq_rq_state(rq) != MQ_RQ_IN_FLIGHT)
		return true;
	vbr->status = VIRTIO_BLK_S_IOERR;
	blk_mq_complete_request(rq);
	atomic64_inc(&vblk->rec.failed);
	return true;
}

/* recovery failed: no rings, FAILED status, every request errors out */
static void vblk_give_up(struct vblk *vblk, int err)
{
	s64 before = atomic64_read(&vblk->rec.failed);

	set_bit(VBLK_REC_DEAD, &vblk->rec.flags);
	atomic64_inc(&vblk->rec.failed_resets);
	if (vblk->vqs_live)
		vblk_dev_stop(vblk);
	virtio_add_status(vblk->vdev, VIRTIO_CONFIG_S_FAILED);
	blk_mq_tagset_busy_iter(&vblk->tag_set, vblk_fail_one, vblk);
	dev_err(disk_to_dev(vblk->disk),
		"recovery failed (%d): the disk is dead, %lld request%s in flight failed, all further I/O fails\n",
		err, atomic64_read(&vblk->rec.failed) - before,
		atomic64_read(&vblk->rec.failed) - before == 1 ? "" : "s");
}

static void vblk_reset_work(struct work_struct *work)
{
	struct vblk *vblk = container_of(work, struct vblk, rec.work);
	struct request_queue *q = vblk->disk->queue;
	s64 before = atomic64_read(&vblk->rec.requeued);
	int err;

	/* no dispatch from here on, so the rings can go */
	blk_mq_quiesce_queue(q);
	err = vblk_reset_device(vblk);
	if (err) {
		vblk_give_up(vblk, err);
	} else {
		blk_mq_tagset_busy_iter(&vblk->tag_set, vblk_requeue_one, vblk);
		vblk->rec.last_requeued = atomic64_read(&vblk->rec.requeued) - before;
		atomic64_inc(&vblk->rec.resets);
		dev_info(disk_to_dev(vblk->disk),
			 "the device is back after a reset, %lld request%s sent again\n",
			 atomic64_read(&vblk->rec.requeued) - before,
			 atomic64_read(&vblk->rec.requeued) - before == 1 ? "" : "s");
	}
	clear_bit(VBLK_REC_PENDING, &vblk->rec.flags);
	blk_mq_unquiesce_queue(q);
	blk_mq_start_stopped_hw_queues(q, true);
	blk_mq_kick_requeue_list(q);
}

void vblk_recovery_init(struct vblk *vblk)
{
	INIT_WORK(&vblk->rec.work, vblk_reset_work);
	vblk->rec.window_start = jiffies;
}

/*
 * Before the rings go (remove, freeze): a reset queued is cancelled, one
 * running finishes.  The caller has set VBLK_REC_STOPPED, so none can be
 * scheduled after this.
 */
void vblk_recovery_stop(struct vblk *vblk)
{
	cancel_work_sync(&vblk->rec.work);
	clear_bit(VBLK_REC_PENDING, &vblk->rec.flags);
}

int vblk_recovery_module_init(void)
{
	vblk_wq = alloc_workqueue("vblk_recovery", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	return vblk_wq ? 0 : -ENOMEM;
}

void vblk_recovery_module_exit(void)
{
	destroy_workqueue(vblk_wq);
}
