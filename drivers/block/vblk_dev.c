// SPDX-License-Identifier: GPL-2.0
/*
 * vblk device lifecycle: the one way up and the one way down.
 *
 *   vblk_dev_start()  rings created (the same count and at least the size
 *                     of probe's), the negotiated state the device forgot
 *                     written again, DRIVER_OK
 *   vblk_dev_stop()   device reset, what it returned completed, the rest
 *                     detached, rings deleted, every pointer to them
 *                     cleared
 *
 * Probe, remove, freeze/restore and the recovery reset all go through
 * these two; the callers only add what their situation needs (the queue
 * frozen or quiesced, recovery stopped).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "vblk.h"

/* a ring never holds more than this many descriptors (virtio 1.2, 2.7) */
#define VBLK_MAX_RING		32768U

/*
 * How many request virtqueues to use: what the device offers, capped by
 * the CPUs (or num_request_queues) for the interrupt-driven ones, plus up
 * to poll_queues polled ones; at least one is interrupt-driven.
 */
static void vblk_nr_queues(struct vblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;
	unsigned int want = READ_ONCE(vblk_num_request_queues.val);
	unsigned int poll = READ_ONCE(vblk_poll_queues.val);
	unsigned int irq_max = min(want ?: nr_cpu_ids, nr_cpu_ids);
	unsigned int total;
	u16 n;

	if (virtio_cread_feature(vdev, VIRTIO_BLK_F_MQ,
				 struct virtio_blk_config, num_queues, &n)) {
		n = 1;
	} else if (!n) {
		dev_warn(&vdev->dev, "device offers MQ with num_queues 0, using 1\n");
		n = 1;
	}
	total = min((unsigned int)n, irq_max + poll);
	vblk->nr_poll_vqs = min(poll, total - 1);
	vblk->nr_vqs = total;
}

/* the per-queue state, for the disk's life; the rings come and go */
int vblk_alloc_vqs(struct vblk *vblk)
{
	unsigned int i;

	vblk_nr_queues(vblk);
	vblk->vqs = kcalloc(vblk->nr_vqs, sizeof(*vblk->vqs), GFP_KERNEL);
	if (!vblk->vqs)
		return -ENOMEM;
	for (i = 0; i < vblk->nr_vqs; i++) {
		bool poll = i >= vblk->nr_vqs - vblk->nr_poll_vqs;

		spin_lock_init(&vblk->vqs[i].lock);
		snprintf(vblk->vqs[i].name, sizeof(vblk->vqs[i].name),
			 poll ? "req_poll.%u" : "req.%u", i);
	}
	return 0;
}

static int vblk_find_vqs(struct vblk *vblk)
{
	unsigned int i, n = vblk->nr_vqs;
	struct virtqueue_info *vqs_info;
	struct irq_affinity desc = { 0 };
	struct virtqueue **vqs;
	int err = -ENOMEM;

	vqs = kcalloc(n, sizeof(*vqs), GFP_KERNEL);
	vqs_info = kcalloc(n, sizeof(*vqs_info), GFP_KERNEL);
	if (!vqs || !vqs_info)
		goto out;

	for (i = 0; i < n; i++) {
		vqs_info[i].name = vblk->vqs[i].name;
		if (i < n - vblk->nr_poll_vqs)
			vqs_info[i].callback = vblk_vq_done;
	}
	err = virtio_find_vqs(vblk->vdev, n, vqs, vqs_info, &desc);
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		spin_lock_irq(&vblk->vqs[i].lock);
		vblk->vqs[i].vq = vqs[i];
		spin_unlock_irq(&vblk->vqs[i].lock);
	}
	vblk->vqs_live = true;
out:
	kfree(vqs_info);
	kfree(vqs);
	return err;
}

/* the smallest ring of the disk's virtqueues */
static unsigned int vblk_ring_size(struct vblk *vblk)
{
	unsigned int i, ring = VBLK_MAX_RING;

	for (i = 0; i < vblk->nr_vqs; i++)
		ring = min(ring, virtqueue_get_vring_size(vblk->vqs[i].vq));
	return ring;
}

/*
 * The first start (probe) records the ring size, which sizes every
 * request; later starts must get rings at least as large, and put back
 * the cache mode the block layer works in (the device forgot it when it
 * was reset; QEMU returns to the drive's own setting, and a disk switched
 * to write through would cache writes and get no flushes for them).
 */
int vblk_dev_start(struct vblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;
	unsigned int ring;
	int err;

	err = vblk_find_vqs(vblk);
	if (err) {
		dev_err(&vdev->dev, "cannot set up %u virtqueue%s: %d\n",
			vblk->nr_vqs, vblk->nr_vqs == 1 ? "" : "s", err);
		return err;
	}
	ring = vblk_ring_size(vblk);
	if (!vblk->ring) {
		vblk->ring = ring;
	} else if (ring < vblk->ring) {
		dev_err(&vdev->dev, "the rings shrank from %u to %u descriptors\n",
			vblk->ring, ring);
		vblk_dev_stop(vblk);
		return -EINVAL;
	} else if (!vblk_restore_wce(vblk)) {
		dev_warn(&vdev->dev, "the device did not take its cache mode back\n");
		vblk_config_kick(vblk);
	}
	virtio_device_ready(vdev);
	return 0;
}

/*
 * Reset the device and take the rings away from the I/O paths.  What the
 * device returned before it stopped is complete: it goes to the block
 * layer rather than being sent again.  The rest stays in flight, for the
 * caller to send again or fail; its descriptors (indirect tables too) go
 * back to the ring first.  Returns -EIO if the device did not finish its
 * reset: it may still write to the rings and buffers, which nothing
 * contains without an IOMMU.
 */
int vblk_dev_stop(struct vblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;
	unsigned long flags;
	unsigned int i, n;
	bool unused;
	int err = 0;

	virtio_reset_device(vdev);
	if (vdev->config->get_status(vdev)) {
		dev_err(&vdev->dev, "the device did not complete its reset\n");
		err = -EIO;
	}
	if (!vblk->vqs_live)
		return err;
	for (i = 0; i < vblk->nr_vqs; i++) {
		struct vblk_vq *bvq = &vblk->vqs[i];

		n = vblk_vq_reap(vblk, bvq, NULL, &unused);
		spin_lock_irqsave(&bvq->lock, flags);
		while (virtqueue_detach_unused_buf(bvq->vq))
			;
		bvq->vq = NULL;
		spin_unlock_irqrestore(&bvq->lock, flags);
		if (n)
			dev_info(&vdev->dev, "%s: %u request%s completed before the reset\n",
				 bvq->name, n, n == 1 ? "" : "s");
	}
	vdev->config->del_vqs(vdev);
	vblk->vqs_live = false;
	return err;
}
