/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place for differences between the kernels this tree builds on
 * (Debian 6.1 and 6.12 and whatever KDIR names).  Drivers include this and
 * never test kernel versions themselves.  Differences are found by
 * compiling small probes against the kernel (scripts/probes/), not by
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
	struct virtqueue_info *info;
	unsigned int i;
	int err;

	info = kcalloc(nvqs, sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	for (i = 0; i < nvqs; i++) {
		info[i].name = names[i];
		info[i].callback = callbacks[i];
		info[i].ctx = ctx ? ctx[i] : false;
	}
	err = vmmio_find_vqs_info(vdev, nvqs, vqs, info);
	kfree(info);
	return err;
}
#endif

/*
 * The value written to QueueNotify: with VIRTIO_F_NOTIFICATION_DATA (the
 * ring supports it from 6.4) the queue's next position, else its index.
 */
static inline u32 vmmio_notify_value(struct virtqueue *vq)
{
#ifdef VMMIO_HAVE_VRING_NOTIFICATION_DATA
	if (virtio_has_feature(vq->vdev, VIRTIO_F_NOTIFICATION_DATA))
		return vring_notification_data(vq);
#endif
	return vq->index;
}

#endif /* VMMIO_COMPAT_H */
