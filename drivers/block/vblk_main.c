// SPDX-License-Identifier: GPL-2.0
/*
 * vblk: a blk-mq driver for virtio block devices, out of tree.
 *
 * This first cut registers a virtio driver for VIRTIO_ID_BLOCK whose probe
 * declines every device, so loading it next to another block driver is
 * harmless.  The request path comes with the driver work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/virtio.h>
#include <linux/virtio_ids.h>

static int vblk_probe(struct virtio_device *vdev)
{
	dev_info(&vdev->dev, "block device seen, request path not implemented yet\n");
	return -ENODEV;
}

static void vblk_remove(struct virtio_device *vdev)
{
}

static const struct virtio_device_id vblk_id_table[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ }
};
MODULE_DEVICE_TABLE(virtio, vblk_id_table);

static struct virtio_driver vblk_driver = {
	.driver.name = KBUILD_MODNAME,
	.id_table = vblk_id_table,
	.probe = vblk_probe,
	.remove = vblk_remove,
};
module_virtio_driver(vblk_driver);

MODULE_DESCRIPTION("virtio block driver (out of tree)");
MODULE_LICENSE("GPL");
