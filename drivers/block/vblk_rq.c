// SPDX-License-Identifier: GPL-2.0
/*
 * vblk request path: turns blk-mq requests into virtio-blk descriptor
 * chains (header, data, status byte), queues them on the hardware queue's
 * virtqueue and completes them from the virtqueue's interrupt callback.
 *
 * Locking: each request virtqueue has one spinlock, taken with interrupts
 * off, around everything that touches the ring (add, get_buf, the kick
 * decision).  The notification itself, an MMIO write that traps to the
 * hypervisor, happens after the lock is dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "vblk.h"
#include "vblk_trace.h"

/*
 * The payload of DISCARD, WRITE_ZEROES and SECURE_ERASE: an array of
 * ranges, attached to the request as its special payload so that the
 * block layer maps it like data.  A request the block layer built from
 * several discard bios gets one range per bio; with one segment allowed,
 * the whole (contiguous) request is a single range.
 */
static blk_status_t vblk_setup_ranges(struct request *rq, bool unmap)
{
	struct virtio_blk_discard_write_zeroes *range;
	unsigned short segs = blk_rq_nr_discard_segments(rq);
	u32 flags = unmap ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;
	unsigned int n = 0;
	struct bio *bio;

	range = kmalloc_array(segs, sizeof(*range), GFP_ATOMIC);
	if (!range)
		return BLK_STS_RESOURCE;

	if (req_op(rq) == REQ_OP_WRITE_ZEROES ||
	    queue_max_discard_segments(rq->q) == 1) {
		range[0].sector = cpu_to_le64(blk_rq_pos(rq));
		range[0].num_sectors = cpu_to_le32(blk_rq_sectors(rq));
		range[0].flags = cpu_to_le32(flags);
		n = 1;
	} else {
		__rq_for_each_bio(bio, rq) {
			if (n == segs)
				break;
			range[n].sector = cpu_to_le64(bio->bi_iter.bi_sector);
			range[n].num_sectors =
				cpu_to_le32(bio->bi_iter.bi_size >> SECTOR_SHIFT);
			range[n].flags = cpu_to_le32(flags);
			n++;
		}
	}

	rq->special_vec.bv_page = virt_to_page(range);
	rq->special_vec.bv_offset = offset_in_page(range);
	rq->special_vec.bv_len = n * sizeof(*range);
	rq->rq_flags |= RQF_SPECIAL_PAYLOAD;
	return BLK_STS_OK;
}

/* fill in the request header; refuse operations the device did not offer */
static blk_status_t vblk_setup_cmd(struct vblk *vblk, struct request *rq,
				   struct vblk_req *vbr)
{
	struct virtio_device *vdev = vblk->vdev;
	bool unmap = false;
	u64 sector = 0;
	u32 type;

	switch (req_op(rq)) {
	case REQ_OP_READ:
		type = VIRTIO_BLK_T_IN;
		sector = blk_rq_pos(rq);
		break;
	case REQ_OP_WRITE:
		type = VIRTIO_BLK_T_OUT;
		sector = blk_rq_pos(rq);
		break;
	case REQ_OP_FLUSH:
		if (!vblk->cfg.flush)
			return BLK_STS_NOTSUPP;
		type = VIRTIO_BLK_T_FLUSH;
		break;
	case REQ_OP_DISCARD:
		if (!virtio_has_feature(vdev, VIRTIO_BLK_F_DISCARD))
			return BLK_STS_NOTSUPP;
		type = VIRTIO_BLK_T_DISCARD;
		break;
	case REQ_OP_WRITE_ZEROES:
		if (!virtio_has_feature(vdev, VIRTIO_BLK_F_WRITE_ZEROES))
			return BLK_STS_NOTSUPP;
		type = VIRTIO_BLK_T_WRITE_ZEROES;
		unmap = vblk->cfg.write_zeroes_may_unmap &&
			!(rq->cmd_flags & REQ_NOUNMAP);
		break;
	case REQ_OP_SECURE_ERASE:
		if (!vblk->cfg.max_secure_erase_sectors)
			return BLK_STS_NOTSUPP;
		type = VIRTIO_BLK_T_SECURE_ERASE;
		break;
	case REQ_OP_DRV_IN:
		/* the only driver-private request is GET_ID (vblk_sysfs.c) */
		type = VIRTIO_BLK_T_GET_ID;
		break;
	default:
		return BLK_STS_NOTSUPP;
	}

	vbr->out_hdr.type = cpu_to_virtio32(vdev, type);
	vbr->out_hdr.ioprio = cpu_to_virtio32(vdev, req_get_ioprio(rq));
	vbr->out_hdr.sector = cpu_to_virtio64(vdev, sector);
	vbr->status = VIRTIO_BLK_S_IOERR;	/* until the device says more */
	vbr->timeout_logged = false;
	vbr->timeouts = 0;

	if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES ||
	    type == VIRTIO_BLK_T_SECURE_ERASE)
		return vblk_setup_ranges(rq, unmap);
	return BLK_STS_OK;
}

/* map the data (or the range payload) into the request's scatterlist */
static int vblk_map_data(struct request *rq, struct vblk_req *vbr)
{
	int err;

	if (!blk_rq_nr_phys_segments(rq))
		return 0;
	vbr->sg_table.sgl = vbr->sg;
	err = sg_alloc_table_chained(&vbr->sg_table,
				     blk_rq_nr_phys_segments(rq),
				     vbr->sg_table.sgl, VBLK_INLINE_SG);
	if (unlikely(err))
		return -ENOMEM;
	return blk_rq_map_sg(rq, vbr->sg_table.sgl);
}

void vblk_unmap_data(struct request *rq, struct vblk_req *vbr)
{
	if (blk_rq_nr_phys_segments(rq))
		sg_free_table_chained(&vbr->sg_table, VBLK_INLINE_SG);
	if (rq->rq_flags & RQF_SPECIAL_PAYLOAD) {
		kfree(bvec_virt(&rq->special_vec));
		rq->rq_flags &= ~RQF_SPECIAL_PAYLOAD;
	}
}

/*
 * Put the chain on the ring: header (device-readable), data (readable or
 * writable), status byte (writable).  Header and status are separate
 * descriptors, as legacy devices without ANY_LAYOUT require.
 *
 * The corrupt_hdr fault knob (VMMIO_FAULT builds only; false otherwise,
 * at no cost) sends a chain with no device-writable part
 * at all, which a device must reject (QEMU calls virtio_error():
 * DEVICE_NEEDS_RESET on a modern device, a silent stop on a legacy one);
 * as nothing in it is writable, the device cannot scribble on a read's
 * buffers either.
 */
static int vblk_add_req(struct vblk *vblk, struct virtqueue *vq,
			struct vblk_req *vbr, bool write)
{
	struct scatterlist hdr, status, *sgs[3];
	unsigned int nout = 0, nin = 0;
	bool corrupt = vblk_fault_corrupt(vblk);

	sg_init_one(&hdr, &vbr->out_hdr, sizeof(vbr->out_hdr));
	sgs[nout++] = &hdr;
	if (vbr->nents) {
		if (write || corrupt)
			sgs[nout++] = vbr->sg_table.sgl;
		else
			sgs[nout + nin++] = vbr->sg_table.sgl;
	}
	sg_init_one(&status, &vbr->status, sizeof(vbr->status));
	if (corrupt)
		sgs[nout++] = &status;
	else
		sgs[nout + nin++] = &status;
	return virtqueue_add_sgs(vq, sgs, nout, nin, vbr, GFP_ATOMIC);
}

/* header, range payload and data mapping of @rq; then it is started */
static blk_status_t vblk_prep_rq(struct vblk *vblk, struct request *rq,
				 struct vblk_req *vbr)
{
	blk_status_t st;

	st = vblk_setup_cmd(vblk, rq, vbr);
	if (unlikely(st))
		return st;
	vbr->nents = vblk_map_data(rq, vbr);
	if (unlikely(vbr->nents < 0)) {
		vblk_unmap_data(rq, vbr);
		return BLK_STS_RESOURCE;
	}
	blk_mq_start_request(rq);
	return BLK_STS_OK;
}

/* a chain is on the ring: counted for the next kick, traced; under the lock */
static void vblk_added(struct vblk *vblk, struct vblk_vq *bvq,
		       struct request *rq)
{
	struct vblk_req *vbr = blk_mq_rq_to_pdu(rq);

	bvq->stats.dispatched++;
	bvq->unkicked++;
	trace_vblk_queue_rq(rq, virtio32_to_cpu(vblk->vdev, vbr->out_hdr.type),
			    bvq - vblk->vqs);
}

/*
 * Whether the device wants a notification for what was added; if so, how
 * many chains it is for (*@batch).  Under the queue's lock.
 */
static bool vblk_kick_prepare(struct vblk_vq *bvq, unsigned int *batch)
{
	if (!virtqueue_kick_prepare(bvq->vq))
		return false;
	*batch = bvq->unkicked;
	bvq->unkicked = 0;
	return true;
}

/* the notification itself (an MMIO write), after the lock is dropped */
static void vblk_kick(struct vblk *vblk, struct vblk_vq *bvq,
		      unsigned int batch)
{
	trace_vblk_kick(vblk->disk ? disk_devt(vblk->disk) : 0,
			bvq - vblk->vqs, batch);
	virtqueue_notify(bvq->vq);
}

blk_status_t vblk_queue_rq(struct blk_mq_hw_ctx *hctx,
			   const struct blk_mq_queue_data *bd)
{
	struct vblk *vblk = hctx->queue->queuedata;
	struct vblk_vq *bvq = vblk_hctx_vq(hctx);
	struct request *rq = bd->rq;
	struct vblk_req *vbr = blk_mq_rq_to_pdu(rq);
	unsigned int batch = 0;
	unsigned long flags;
	bool notify = false;
	blk_status_t st;
	int err;

	st = vblk_prep_rq(vblk, rq, vbr);
	if (unlikely(st))
		return st;

	spin_lock_irqsave(&bvq->lock, flags);
	if (unlikely(!bvq->vq)) {
		/* only a dead disk dispatches with its rings gone */
		spin_unlock_irqrestore(&bvq->lock, flags);
		vblk_unmap_data(rq, vbr);
		return BLK_STS_IOERR;
	}
	err = vblk_add_req(vblk, bvq->vq, vbr, op_is_write(req_op(rq)));
	if (unlikely(err)) {
		/* let the device see what this batch queued so far */
		notify = vblk_kick_prepare(bvq, &batch);
		/*
		 * Ring full: stop the queue under the lock the completion
		 * path restarts it under, so the restart cannot be missed.
		 */
		if (err == -ENOSPC) {
			blk_mq_stop_hw_queue(hctx);
			bvq->stats.ring_full++;
		}
		spin_unlock_irqrestore(&bvq->lock, flags);
		if (notify)
			vblk_kick(vblk, bvq, batch);
		vblk_unmap_data(rq, vbr);
		switch (err) {
		case -ENOSPC:
			return BLK_STS_DEV_RESOURCE;
		case -ENOMEM:
			return BLK_STS_RESOURCE;
		default:
			return BLK_STS_IOERR;
		}
	}
	vblk_added(vblk, bvq, rq);
	if (bd->last)
		notify = vblk_kick_prepare(bvq, &batch);
	spin_unlock_irqrestore(&bvq->lock, flags);

	if (notify)
		vblk_kick(vblk, bvq, batch);
	return BLK_STS_OK;
}

/*
 * Put the prepared requests of one hardware queue on its ring under one
 * lock hold, with at most one kick.  A request the ring has no room for
 * goes back to the block layer's requeue list.
 */
static void vblk_add_batch(struct vblk *vblk, struct vblk_vq *bvq,
			   struct rq_list *batch)
{
	unsigned int nkick = 0;
	struct request *rq;
	unsigned long flags;
	bool notify;

	spin_lock_irqsave(&bvq->lock, flags);
	while ((rq = rq_list_pop(batch))) {
		struct vblk_req *vbr = blk_mq_rq_to_pdu(rq);

		if (unlikely(!bvq->vq)) {
			vblk_unmap_data(rq, vbr);
			blk_mq_end_request(rq, BLK_STS_IOERR);
			continue;
		}
		if (vblk_add_req(vblk, bvq->vq, vbr, op_is_write(req_op(rq)))) {
			vblk_unmap_data(rq, vbr);
			blk_mq_requeue_request(rq, true);
			continue;
		}
		vblk_added(vblk, bvq, rq);
	}
	notify = bvq->vq && vblk_kick_prepare(bvq, &nkick);
	spin_unlock_irqrestore(&bvq->lock, flags);
	if (notify)
		vblk_kick(vblk, bvq, nkick);
}

/*
 * A plug's worth of requests at once: consecutive requests of the same
 * hardware queue go to its ring as one batch.  Requests that fail their
 * preparation are handed back; blk-mq then issues them one by one through
 * queue_rq, which reports their status.
 */
void vblk_queue_rqs(struct rq_list *rqlist)
{
	struct rq_list requeue = { }, batch = { };
	struct blk_mq_hw_ctx *hctx = NULL;
	struct request *rq;

	while ((rq = rq_list_pop(rqlist))) {
		if (hctx && rq->mq_hctx != hctx && !rq_list_empty(&batch))
			vblk_add_batch(rq->q->queuedata, vblk_hctx_vq(hctx),
				       &batch);
		hctx = rq->mq_hctx;
		/* this path skips the tag-to-request bookkeeping of dispatch */
		hctx->tags->rqs[rq->tag] = rq;
		if (vblk_prep_rq(rq->q->queuedata, rq, blk_mq_rq_to_pdu(rq)))
			rq_list_add_tail(&requeue, rq);
		else
			rq_list_add_tail(&batch, rq);
	}
	if (!rq_list_empty(&batch))
		vblk_add_batch(hctx->queue->queuedata, vblk_hctx_vq(hctx),
			       &batch);
	*rqlist = requeue;
}

/* the end of a batch that queue_rq did not kick (bd->last was false) */
void vblk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct vblk_vq *bvq = vblk_hctx_vq(hctx);
	unsigned int batch = 0;
	bool notify;

	spin_lock_irq(&bvq->lock);
	notify = bvq->vq && vblk_kick_prepare(bvq, &batch);
	spin_unlock_irq(&bvq->lock);
	if (notify)
		vblk_kick(hctx->queue->queuedata, bvq, batch);
}
