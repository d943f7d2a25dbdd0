/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vblk's tracepoints: one request's hops through the driver, between the
 * block layer's block_rq_issue and block_rq_complete.  Off, each costs a
 * patched-out branch (a static key); tools/trace/ turns them on with the
 * block layer's to draw a request's path across guest and device.
 *
 *   vblk_queue_rq   a request's chain went onto its virtqueue
 *   vblk_kick       the driver notifies the device (the QueueNotify write
 *                   follows): the queue and how many chains since the last
 *   vblk_vq_done    the virtqueue's interrupt callback drained the ring
 *   vblk_complete   a request ended with the device's status
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vblk

#if !defined(_VBLK_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VBLK_TRACE_H

#include <linux/blk-mq.h>
#include <linux/tracepoint.h>
#include <linux/virtio_blk.h>

#define vblk_show_type(type)					\
	__print_symbolic(type,					\
			 { VIRTIO_BLK_T_IN, "IN" },		\
			 { VIRTIO_BLK_T_OUT, "OUT" },		\
			 { VIRTIO_BLK_T_FLUSH, "FLUSH" },	\
			 { VIRTIO_BLK_T_GET_ID, "GET_ID" },	\
			 { VIRTIO_BLK_T_DISCARD, "DISCARD" },	\
			 { VIRTIO_BLK_T_WRITE_ZEROES, "WRITE_ZEROES" }, \
			 { VIRTIO_BLK_T_SECURE_ERASE, "SECURE_ERASE" })

TRACE_EVENT(vblk_queue_rq,
	    TP_PROTO(struct request *rq, u32 type, unsigned int vq),
	    TP_ARGS(rq, type, vq),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __field(int, tag)
			     __field(u32, type)
			     __field(u64, sector)
			     __field(unsigned int, bytes)
			     __field(unsigned int, vq)),
	    TP_fast_assign(__entry->dev = rq->q->disk ?
					  disk_devt(rq->q->disk) : 0;
			   __entry->tag = rq->tag;
			   __entry->type = type;
			   __entry->sector = blk_rq_pos(rq);
			   __entry->bytes = blk_rq_bytes(rq);
			   __entry->vq = vq;),
	    TP_printk("%d,%d tag=%d type=%s sector=%llu bytes=%u vq=%u",
		      MAJOR(__entry->dev), MINOR(__entry->dev), __entry->tag,
		      vblk_show_type(__entry->type),
		      (unsigned long long)__entry->sector, __entry->bytes,
		      __entry->vq));

/*
 * a virtqueue and a count of chains: kicked for (the class's own format),
 * or reaped
 */
DECLARE_EVENT_CLASS(vblk_vq_count,
		    TP_PROTO(dev_t dev, unsigned int vq, unsigned int n),
		    TP_ARGS(dev, vq, n),
		    TP_STRUCT__entry(__field(dev_t, dev)
				     __field(unsigned int, vq)
				     __field(unsigned int, n)),
		    TP_fast_assign(__entry->dev = dev;
				   __entry->vq = vq;
				   __entry->n = n;),
		    TP_printk("%d,%d vq=%u batch=%u", MAJOR(__entry->dev),
			      MINOR(__entry->dev), __entry->vq, __entry->n));

DEFINE_EVENT(vblk_vq_count, vblk_kick,
	     TP_PROTO(dev_t dev, unsigned int vq, unsigned int batch),
	     TP_ARGS(dev, vq, batch));

DEFINE_EVENT_PRINT(vblk_vq_count, vblk_vq_done,
		   TP_PROTO(dev_t dev, unsigned int vq, unsigned int reaped),
		   TP_ARGS(dev, vq, reaped),
		   TP_printk("%d,%d vq=%u reaped=%u", MAJOR(__entry->dev),
			     MINOR(__entry->dev), __entry->vq, __entry->n));

TRACE_EVENT(vblk_complete,
	    TP_PROTO(struct request *rq, u8 status, int error),
	    TP_ARGS(rq, status, error),
	    TP_STRUCT__entry(__field(dev_t, dev)
			     __field(int, tag)
			     __field(u64, sector)
			     __field(unsigned int, bytes)
			     __field(u8, status)
			     __field(int, error)),
	    TP_fast_assign(__entry->dev = rq->q->disk ?
					  disk_devt(rq->q->disk) : 0;
			   __entry->tag = rq->tag;
			   __entry->sector = blk_rq_pos(rq);
			   __entry->bytes = blk_rq_bytes(rq);
			   __entry->status = status;
			   __entry->error = error;),
	    TP_printk("%d,%d tag=%d sector=%llu bytes=%u status=%u error=%d",
		      MAJOR(__entry->dev), MINOR(__entry->dev), __entry->tag,
		      (unsigned long long)__entry->sector, __entry->bytes,
		      __entry->status, __entry->error));

#endif /* _VBLK_TRACE_H */

/* out of tree: the header is found through this object's -I (Kbuild) */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vblk_trace
#include <trace/define_trace.h>
