// SPDX-License-Identifier: GPL-2.0
/* find_vqs takes struct virtqueue_info[] (6.11; before: three arrays) */
#include <linux/virtio_config.h>

static int probe_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			  struct virtqueue *vqs[], struct virtqueue_info info[],
			  struct irq_affinity *desc)
{
	return 0;
}

struct virtio_config_ops probe_ops = {
	.find_vqs = probe_find_vqs,
};
