// SPDX-License-Identifier: GPL-2.0
/*
 * vblk completion path: what the device returned, taken off the rings
 * and ended.  Three ways in, one way through: the virtqueue interrupt
 * (vblk_vq_done), the timeout handler and the device's stop
 * (vblk_vq_reap) collect under the queue's lock and end the requests
 * after it; io_uring polling (vblk_poll) hands them to the block layer's
 * own batch.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/virtio_config.h>

#include "vblk.h"
#include "vblk_trace.h"

static blk_status_t vblk_result(struct vblk *vblk, struct request *rq,
				u8 status)
{
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return BLK_STS_OK;
	case VIRTIO_BLK_S_IOERR:
		return BLK_STS_IOERR;
	case VIRTIO_BLK_S_UNSUPP:
		return BLK_STS_NOTSUPP;
	default:
		dev_err_ratelimited(disk_to_dev(vblk->disk),
				    "%s at sector %llu: unknown status %u from the device\n",
				    blk_op_str(req_op(rq)),
				    (unsigned long long)blk_rq_pos(rq), status);
		return BLK_STS_IOERR;
	}
}

/* blk_mq_complete_request() lands here, on the submitting CPU if it can */
void vblk_complete_rq(struct request *rq)
{
	struct vblk *vblk = rq->q->queuedata;
	struct vblk_req *vbr = blk_mq_rq_to_pdu(rq);
	blk_status_t st = vblk_result(vblk, rq, vbr->status);

	trace_vblk_complete(rq, vbr->status, blk_status_to_errno(st));
	vblk_unmap_data(rq, vbr);
	blk_mq_end_request(rq, st);
}

/* take the next returned chain off the ring, counting it; under the lock */
static struct vblk_req *vblk_get_done(struct vblk_vq *bvq)
{
	struct vblk_req *vbr;
	unsigned int len;

	vbr = virtqueue_get_buf(bvq->vq, &len);
	if (!vbr)
		return NULL;
	/* only GET_ID reads it; a data request's length says nothing here */
	if (unlikely(req_op(blk_mq_rq_from_pdu(vbr)) == REQ_OP_DRV_IN))
		vbr->used_len = len;
	bvq->stats.completed++;
	switch (vbr->status) {
	case VIRTIO_BLK_S_OK:
		break;
	case VIRTIO_BLK_S_IOERR:
		bvq->stats.err_ioerr++;
		break;
	case VIRTIO_BLK_S_UNSUPP:
		bvq->stats.err_unsupp++;
		break;
	default:
		bvq->stats.err_other++;
		break;
	}
	return vbr;
}

static void vblk_complete_batch(struct io_comp_batch *iob)
{
	struct request *rq;

	rq_list_for_each(&iob->req_list, rq) {
		struct vblk_req *vbr = blk_mq_rq_to_pdu(rq);

		/* the batch holds successful requests only */
		trace_vblk_complete(rq, vbr->status, 0);
		vblk_unmap_data(rq, vbr);
	}
	blk_mq_end_request_batch(iob);
}

/*
 * What one pass of the interrupt path took off a ring, ended once the
 * queue's lock is dropped: successful requests as one batch, the rest
 * (errors, requests an I/O scheduler tracks) one by one.
 */
struct vblk_done {
	struct io_comp_batch iob;
	struct rq_list rest;
};

/*
 * rq_affinity asks for completion near (1) or on (2) the CPU that
 * submitted the request.  Where the interrupt already runs there, the
 * request ends in this interrupt's batch; elsewhere blk-mq's remote path
 * moves it as the block layer defines (an IPI, or its softirq on a
 * single-queue disk).  rq_affinity=0 ends it wherever the interrupt runs.
 */
static bool vblk_complete_elsewhere(struct request *rq)
{
	if (!test_bit(QUEUE_FLAG_SAME_COMP, &rq->q->queue_flags) ||
	    blk_mq_rq_cpu(rq) == raw_smp_processor_id())
		return false;
	return blk_mq_complete_request_remote(rq);
}

/*
 * Queue one request the interrupt path took off the ring for completion
 * on this CPU, or send it where rq_affinity wants it.  The in-tree driver
 * sends every request through the remote path, which on a single-queue
 * disk defers even a local completion to the block softirq; ending it
 * here skips that round trip.
 */
static void vblk_complete_irq(struct vblk_vq *bvq, struct request *rq,
			      struct vblk_done *done)
{
	struct vblk_req *vbr = blk_mq_rq_to_pdu(rq);

	if (unlikely(blk_should_fake_timeout(rq->q)))
		return;
	if (vblk_complete_elsewhere(rq))
		return;
	/* no longer in flight: a reset's requeue must pass it by */
	blk_mq_set_request_complete(rq);
	if (blk_mq_add_to_batch(rq, &done->iob,
				vbr->status != VIRTIO_BLK_S_OK,
				vblk_complete_batch))
		bvq->stats.batched++;
	else
		rq_list_add_tail(&done->rest, rq);
}

/* end what a drain took off the ring; outside the queue's lock */
static void vblk_end_done(struct vblk_done *done)
{
	struct request *rq;

	/* set by the first request that joined the batch */
	if (done->iob.complete)
		done->iob.complete(&done->iob);
	while ((rq = rq_list_pop(&done->rest)))
		vblk_complete_rq(rq);
}

/*
 * Take every chain the device has returned off @bvq, under its lock, for
 * vblk_end_done(); returns how many.  *@found says whether @want was
 * among them (the timeout handler's question).
 */
static unsigned int vblk_collect_locked(struct vblk_vq *bvq,
					struct vblk_done *done,
					const struct request *want, bool *found)
{
	struct vblk_req *vbr;
	unsigned int n = 0;

	while ((vbr = vblk_get_done(bvq)) != NULL) {
		struct request *rq = blk_mq_rq_from_pdu(vbr);

		if (rq == want)
			*found = true;
		vblk_complete_irq(bvq, rq, done);
		n++;
	}
	return n;
}

/*
 * Complete what the device returned on an interrupt-driven queue, with
 * its callback off meanwhile; under the queue's lock.  The callback is
 * re-enabled only with the ring empty, so no completion goes unseen.
 */
static unsigned int vblk_vq_drain_locked(struct vblk *vblk,
					 struct vblk_vq *bvq,
					 struct vblk_done *done)
{
	unsigned int n = 0;
	bool unused;

	if (unlikely(!bvq->vq))
		return 0;
	do {
		virtqueue_disable_cb(bvq->vq);
		n += vblk_collect_locked(bvq, done, NULL, &unused);
		/* a broken ring returns nothing and re-enables as "empty" */
	} while (!virtqueue_enable_cb(bvq->vq));

	/* a queue stopped on a full ring has room again */
	if (n)
		blk_mq_start_stopped_hw_queues(vblk->disk->queue, true);
	return n;
}

void vblk_vq_drain(struct vblk *vblk, struct vblk_vq *bvq)
{
	struct vblk_done done = { };
	unsigned long flags;

	spin_lock_irqsave(&bvq->lock, flags);
	vblk_vq_drain_locked(vblk, bvq, &done);
	spin_unlock_irqrestore(&bvq->lock, flags);
	vblk_end_done(&done);
}

/*
 * Complete what the device returned on @bvq, leaving its callback alone:
 * for the timeout handler (a lost interrupt) and for the device's stop.
 * Returns how many; *@found says whether @want was among them.
 */
unsigned int vblk_vq_reap(struct vblk *vblk, struct vblk_vq *bvq,
			  const struct request *want, bool *found)
{
	struct vblk_done done = { };
	unsigned long flags;
	unsigned int n = 0;

	spin_lock_irqsave(&bvq->lock, flags);
	if (likely(bvq->vq))
		n = vblk_collect_locked(bvq, &done, want, found);
	spin_unlock_irqrestore(&bvq->lock, flags);
	vblk_end_done(&done);
	if (n && vblk->disk)
		blk_mq_start_stopped_hw_queues(vblk->disk->queue, true);
	return n;
}

/* interrupt callback of a request virtqueue */
void vblk_vq_done(struct virtqueue *vq)
{
	struct vblk *vblk = vq->vdev->priv;
	struct vblk_vq *bvq = &vblk->vqs[vq->index];
	struct vblk_done done = { };
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&bvq->lock, flags);
	/* a fault knob may take the interrupt (lost, or late) */
	if (!vblk_fault_irq(vblk, bvq)) {
		bvq->stats.irqs++;
		n = vblk_vq_drain_locked(vblk, bvq, &done);
		trace_vblk_vq_done(vblk->disk ? disk_devt(vblk->disk) : 0,
				   vq->index, n);
	}
	spin_unlock_irqrestore(&bvq->lock, flags);
	vblk_end_done(&done);
}

/*
 * A polled queue (io_uring IOPOLL): its virtqueue has no interrupt
 * callback; reap what the device returned and hand successful requests
 * to the block layer as one batch.
 */
int vblk_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob)
{
	struct vblk *vblk = hctx->queue->queuedata;
	struct vblk_vq *bvq = vblk_hctx_vq(hctx);
	struct vblk_req *vbr;
	unsigned long flags;
	int found = 0;

	spin_lock_irqsave(&bvq->lock, flags);
	while (likely(bvq->vq) && (vbr = vblk_get_done(bvq)) != NULL) {
		struct request *rq = blk_mq_rq_from_pdu(vbr);

		found++;
		if (!blk_mq_complete_request_remote(rq) &&
		    !blk_mq_add_to_batch(rq, iob,
					 vbr->status != VIRTIO_BLK_S_OK,
					 vblk_complete_batch))
			vblk_complete_rq(rq);
	}
	if (found) {
		bvq->stats.polls++;
		blk_mq_start_stopped_hw_queues(vblk->disk->queue, true);
	}
	spin_unlock_irqrestore(&bvq->lock, flags);
	return found;
}

/*
 * Interrupt-driven queues first, spread by the transport's IRQ affinity,
 * then the polled ones over all CPUs; no separate read queues.
 */
void vblk_map_queues(struct blk_mq_tag_set *set)
{
	struct vblk *vblk = set->driver_data;
	struct blk_mq_queue_map *map;

	map = &set->map[HCTX_TYPE_DEFAULT];
	map->nr_queues = vblk->nr_vqs - vblk->nr_poll_vqs;
	map->queue_offset = 0;
	blk_mq_map_hw_queues(map, &vblk->vdev->dev, 0);
	if (set->nr_maps == 1)
		return;

	map = &set->map[HCTX_TYPE_READ];
	map->nr_queues = 0;
	map->queue_offset = vblk->nr_vqs - vblk->nr_poll_vqs;

	map = &set->map[HCTX_TYPE_POLL];
	map->nr_queues = vblk->nr_poll_vqs;
	map->queue_offset = vblk->nr_vqs - vblk->nr_poll_vqs;
	blk_mq_map_queues(map);
}
