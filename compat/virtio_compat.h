/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtio core differences both modules meet, backports style: on an older
 * kernel the newer name is supplied here, so the drivers are written
 * against the newest API.  Differences are probed at build time
 * (compat/probe.sh, compat/probes/), never inferred from a version number:
 * Debian backports API changes into its stable kernels.
 */
#ifndef VIRTIO_COMPAT_H
#define VIRTIO_COMPAT_H

#include <linux/slab.h>
#include <linux/virtio_config.h>

/* what the running kernel has, probed at build time (see ./Kbuild) */
#include "vmmio_probes.h"

#ifndef VMMIO_HAVE_VIRTQUEUE_INFO
/*
 * 6.11: find_vqs takes one struct virtqueue_info per queue; before, three
 * parallel arrays (callbacks, names, ctx).
 */
struct virtqueue_info {
	const char *name;
	vq_callback_t *callback;
	bool ctx;
};

static inline int compat_virtio_find_vqs(struct virtio_device *vdev,
					 unsigned int nvqs,
					 struct virtqueue *vqs[],
					 struct virtqueue_info vqs_info[],
					 struct irq_affinity *desc)
{
	vq_callback_t **callbacks;
	const char **names;
	bool *ctx;
	unsigned int i;
	int err = -ENOMEM;

	callbacks = kcalloc(nvqs, sizeof(*callbacks), GFP_KERNEL);
	names = kcalloc(nvqs, sizeof(*names), GFP_KERNEL);
	ctx = kcalloc(nvqs, sizeof(*ctx), GFP_KERNEL);
	if (callbacks && names && ctx) {
		for (i = 0; i < nvqs; i++) {
			callbacks[i] = vqs_info[i].callback;
			names[i] = vqs_info[i].name;
			ctx[i] = vqs_info[i].ctx;
		}
		err = vdev->config->find_vqs(vdev, nvqs, vqs, callbacks, names,
					     ctx, desc);
	}
	kfree(ctx);
	kfree(names);
	kfree(callbacks);
	return err;
}

#define virtio_find_vqs compat_virtio_find_vqs
#endif

#endif /* VIRTIO_COMPAT_H */
