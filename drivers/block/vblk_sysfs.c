// SPDX-License-Identifier: GPL-2.0
/*
 * vblk sysfs attributes of the disk: "serial" (the device ID string, read
 * with a GET_ID request) and "cache_type" (the write-cache mode, writable
 * when the device offers VIRTIO_BLK_F_CONFIG_WCE).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/virtio_config.h>

#include "vblk.h"

/*
 * Read the device ID into @id (VIRTIO_BLK_ID_BYTES + 1 bytes): at most
 * VIRTIO_BLK_ID_BYTES characters, NUL terminated; the device need not
 * terminate it.  The used length the device reports (ID bytes plus the
 * status byte) is checked and bounds the string.
 */
static int vblk_get_id(struct gendisk *disk, char *id)
{
	struct request_queue *q = disk->queue;
	struct vblk_req *vbr;
	struct request *rq;
	u32 written;
	char *buf;
	int err;

	buf = kzalloc(VIRTIO_BLK_ID_BYTES, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	rq = blk_mq_alloc_request(q, REQ_OP_DRV_IN, 0);
	if (IS_ERR(rq)) {
		err = PTR_ERR(rq);
		goto out_free;
	}
	err = blk_rq_map_kern(rq, buf, VIRTIO_BLK_ID_BYTES, GFP_KERNEL);
	if (err)
		goto out_put;
	err = blk_status_to_errno(blk_execute_rq(rq, false));
	if (err)
		goto out_put;

	vbr = blk_mq_rq_to_pdu(rq);
	if (vbr->used_len < 1 || vbr->used_len > VIRTIO_BLK_ID_BYTES + 1) {
		dev_err_ratelimited(disk_to_dev(disk),
				    "GET_ID: device reports %u bytes written, expected 1..%u\n",
				    vbr->used_len, VIRTIO_BLK_ID_BYTES + 1);
		err = -EIO;
		goto out_put;
	}
	written = vbr->used_len - 1;
	memcpy(id, buf, written);
	id[written] = '\0';
out_put:
	blk_mq_free_request(rq);
out_free:
	kfree(buf);
	return err;
}

static ssize_t serial_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	char id[VIRTIO_BLK_ID_BYTES + 1];
	int err;

	err = vblk_get_id(dev_to_disk(dev), id);
	if (err)
		return err;
	return sysfs_emit(buf, "%s\n", id);
}
static DEVICE_ATTR_RO(serial);

static const char *const vblk_cache_types[] = {
	"write through", "write back"
};

static ssize_t cache_type_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct vblk *vblk = dev_to_disk(dev)->private_data;

	return sysfs_emit(buf, "%s\n", vblk_cache_types[vblk->cfg.wce]);
}

/* switch the device's cache mode, then tell the block layer what it is */
static ssize_t cache_type_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct gendisk *disk = dev_to_disk(dev);
	struct vblk *vblk = disk->private_data;
	struct virtio_device *vdev;
	int mode, err;

	mode = sysfs_match_string(vblk_cache_types, buf);
	if (mode < 0)
		return mode;

	mutex_lock(&vblk->vdev_mutex);
	vdev = vblk->vdev;
	if (!vdev) {
		err = -ENXIO;
		goto out;
	}
	/* the file is read-only then, but that does not stop root */
	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_CONFIG_WCE)) {
		err = -EPERM;
		goto out;
	}
	virtio_cwrite8(vdev, offsetof(struct virtio_blk_config, wce), mode);
	vblk->cfg.wce = vblk_get_wce(vdev);
	if (vblk->cfg.wce != mode)
		dev_warn(dev, "the device kept its cache %s\n",
			 vblk_cache_types[vblk->cfg.wce]);
	err = vblk_queue_write_cache(disk->queue, vblk->cfg.wce);
out:
	mutex_unlock(&vblk->vdev_mutex);
	return err ? err : count;
}
static DEVICE_ATTR_RW(cache_type);

static struct attribute *vblk_attrs[] = {
	&dev_attr_serial.attr,
	&dev_attr_cache_type.attr,
	NULL,
};

/* cache_type is writable only when the device can switch its cache */
static umode_t vblk_attr_visible(struct kobject *kobj, struct attribute *a,
				 int n)
{
	struct gendisk *disk = dev_to_disk(kobj_to_dev(kobj));
	struct vblk *vblk = disk->private_data;

	if (a == &dev_attr_cache_type.attr &&
	    !virtio_has_feature(vblk->vdev, VIRTIO_BLK_F_CONFIG_WCE))
		return 0444;
	return a->mode;
}

static const struct attribute_group vblk_attr_group = {
	.attrs = vblk_attrs,
	.is_visible = vblk_attr_visible,
};

const struct attribute_group *vblk_attr_groups[] = {
	&vblk_attr_group,
	NULL,
};
