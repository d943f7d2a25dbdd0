/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel differences of the transport (vmmio.ko); see virtio_compat.h for
 * how they are found.  Each block supplies, on an older kernel, what the
 * newer one has, or the one macro the transport needs where a structure
 * changed shape.
 */
#ifndef VMMIO_COMPAT_H
#define VMMIO_COMPAT_H

#include <linux/platform_device.h>
#include <linux/virtio_ring.h>

#include "virtio_compat.h"

/* 6.11: platform_driver.remove returns void (.remove_new before) */
#ifdef VMMIO_HAVE_PLATFORM_REMOVE_VOID
#define VMMIO_PLATFORM_REMOVE(fn)	.remove = (fn)
#else
#define VMMIO_PLATFORM_REMOVE(fn)	.remove_new = (fn)
#endif

/*
 * 6.11: virtio_config_ops.find_vqs takes struct virtqueue_info[].  The
 * transport implements that form; on an older kernel
 * VMMIO_FIND_VQS_ADAPTER(fn) defines fn_arrays, the op in the old form,
 * and VMMIO_FIND_VQS_OP(fn) names whichever the kernel calls.
 */
#ifdef VMMIO_HAVE_VIRTQUEUE_INFO
#define VMMIO_FIND_VQS_OP(fn)		(fn)
#define VMMIO_FIND_VQS_ADAPTER(fn)
#else
#define VMMIO_FIND_VQS_OP(fn)		(fn##_arrays)
#define VMMIO_FIND_VQS_ADAPTER(fn)					\
static int fn##_arrays(struct virtio_device *vdev, unsigned int nvqs,	\
		       struct virtqueue *vqs[], vq_callback_t *callbacks[], \
		       const char * const names[], const bool *ctx,	\
		       struct irq_affinity *desc)			\
{									\
	struct virtqueue_info *info;					\
	unsigned int i;							\
	int err;							\
									\
	info = kcalloc(nvqs, sizeof(*info), GFP_KERNEL);		\
	if (!info)							\
		return -ENOMEM;						\
	for (i = 0; i < nvqs; i++) {					\
		info[i].name = names[i];				\
		info[i].callback = callbacks[i];			\
		info[i].ctx = ctx ? ctx[i] : false;			\
	}								\
	err = fn(vdev, nvqs, vqs, info, desc);				\
	kfree(info);							\
	return err;							\
}
#endif

/*
 * 6.4: with VIRTIO_F_NOTIFICATION_DATA the ring computes the value of a
 * notification.  An older ring never lets the feature through
 * vring_transport_features(), so there the value is always the index.
 */
#ifndef VMMIO_HAVE_VRING_NOTIFICATION_DATA
#ifndef VIRTIO_F_NOTIFICATION_DATA
#define VIRTIO_F_NOTIFICATION_DATA	38
#endif

static inline u32 vring_notification_data(struct virtqueue *vq)
{
	return vq->index;
}
#endif

#endif /* VMMIO_COMPAT_H */
