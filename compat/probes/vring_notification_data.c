// SPDX-License-Identifier: GPL-2.0
/* the ring can compute VIRTIO_F_NOTIFICATION_DATA values (6.4) */
#include <linux/virtio_ring.h>

static u32 probe_notification_data(struct virtqueue *vq)
{
	return vring_notification_data(vq);
}
