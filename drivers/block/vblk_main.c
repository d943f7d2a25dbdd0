// SPDX-License-Identifier: GPL-2.0
/*
 * vblk: a blk-mq driver for virtio block devices, out of tree.
 *
 * This file: the module and the virtio driver's callbacks: probe and
 * remove, freeze and restore, config changes.  Each is a short sequence
 * over the device lifecycle of vblk_dev.c, the disk of vblk_disk.c and
 * the recovery of vblk_recover.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "vblk.h"

static int vblk_major;

/*
 * Config-change interrupt: the device asks for a reset (DEVICE_NEEDS_RESET,
 * raised with this interrupt), or re-read what it may change at run time.
 */
static void vblk_config_work(struct work_struct *work)
{
	struct vblk *vblk = container_of(work, struct vblk, config_work);

	if (vblk_dead(vblk) || vblk_stopped(vblk))
		return;
	if (vblk_needs_reset(vblk)) {
		atomic64_inc(&vblk->rec.needs_reset);
		/* a test may hold the work here, as preemption could */
		vblk_fault_config_stall(vblk);
		vblk_schedule_reset(vblk, "it reports DEVICE_NEEDS_RESET");
		return;
	}
	vblk_config_reread(vblk);
}

static void vblk_config_changed(struct virtio_device *vdev)
{
	vblk_config_kick(vdev->priv);
}

/*
 * The one way down, for remove and freeze (the recovery reset, which is
 * the recovery, calls vblk_dev_stop() itself).  STOPPED first, so that
 * neither a config work nor a reset can start anything behind us: a
 * config work already running may still schedule a reset, so it is
 * flushed before recovery is stopped, and what a finishing reset queued
 * is flushed after.
 */
static void vblk_stop(struct vblk *vblk)
{
	set_bit(VBLK_REC_STOPPED, &vblk->rec.flags);
	flush_work(&vblk->config_work);
	vblk_recovery_stop(vblk);
	flush_work(&vblk->config_work);
	vblk_fault_stop(vblk);
	vblk_dev_stop(vblk);
}

/* ... and the way up again; a dead disk stays dead, without rings */
static int vblk_start(struct vblk *vblk)
{
	clear_bit(VBLK_REC_STOPPED, &vblk->rec.flags);
	if (vblk_dead(vblk))
		return 0;
	return vblk_dev_start(vblk);
}

static int vblk_validate(struct virtio_device *vdev)
{
	if (!vdev->config->get) {
		dev_err(&vdev->dev, "the transport cannot read config space\n");
		return -EINVAL;
	}
	return 0;
}

static void vblk_probe_info(struct vblk *vblk)
{
	dev_info(&vblk->vdev->dev, "%s: %llu sectors, %u-byte blocks, %u queue%s (%u polled) of depth %u, %u segments%s%s\n",
		 vblk->disk->disk_name, vblk->cfg.capacity, vblk->cfg.blk_size,
		 vblk->nr_vqs, vblk->nr_vqs == 1 ? "" : "s", vblk->nr_poll_vqs,
		 vblk->tag_set.queue_depth, vblk->cfg.seg_max,
		 vblk->cfg.ro ? ", read-only" : "",
		 vblk->cfg.wce ? ", write back" : "");
}

/*
 * The device is ready (DRIVER_OK) before its disk exists: the config of
 * some fields is only known with the rings (their size caps the
 * segments), and the virtio core delivers no config change before probe
 * returns.
 */
static int vblk_probe(struct virtio_device *vdev)
{
	struct vblk *vblk;
	int err;

	vblk = kzalloc(sizeof(*vblk), GFP_KERNEL);
	if (!vblk)
		return -ENOMEM;
	vblk->vdev = vdev;
	vdev->priv = vblk;
	mutex_init(&vblk->vdev_mutex);
	INIT_WORK(&vblk->config_work, vblk_config_work);
	vblk_recovery_init(vblk);
	err = vblk_fault_add(vblk);
	if (err)
		goto out_free;
	err = vblk_alloc_vqs(vblk);
	if (err)
		goto out_fault;
	err = vblk_dev_start(vblk);
	if (err)
		goto out_vqs;
	err = vblk_read_config(vdev, vblk->ring, &vblk->cfg);
	if (err)
		goto out_stop;
	vblk->cfg.capacity = vblk_read_capacity(vdev);
	err = vblk_disk_create(vblk, vblk_major);
	if (err)
		goto out_stop;
	/* the partition scan of add_disk already does I/O */
	err = device_add_disk(&vdev->dev, vblk->disk, vblk_attr_groups);
	if (err)
		goto out_disk;
	vblk_debugfs_add(vblk);
	vblk_probe_info(vblk);
	return 0;

out_disk:
	vblk_dev_stop(vblk);
	vblk_disk_destroy(vblk);
	goto out_vqs;
out_stop:
	vblk_dev_stop(vblk);
out_vqs:
	kfree(vblk->vqs);
out_fault:
	vblk_fault_remove(vblk);
out_free:
	mutex_destroy(&vblk->vdev_mutex);
	kfree(vblk);
	return err;
}

static void vblk_remove(struct virtio_device *vdev)
{
	struct vblk *vblk = vdev->priv;

	/* the virtio core has stopped config callbacks by now */
	flush_work(&vblk->config_work);
	vblk_debugfs_remove(vblk);
	/* waits for I/O in flight: a stuck device is reset meanwhile */
	del_gendisk(vblk->disk);
	vblk_stop(vblk);
	blk_mq_free_tag_set(&vblk->tag_set);
	vblk_fault_remove(vblk);

	mutex_lock(&vblk->vdev_mutex);
	vblk->vdev = NULL;
	kfree(vblk->vqs);
	vblk->vqs = NULL;
	mutex_unlock(&vblk->vdev_mutex);

	/* vblk itself goes with the last reference, in vblk_free_disk() */
	put_disk(vblk->disk);
}

#ifdef CONFIG_PM_SLEEP
static int vblk_freeze(struct virtio_device *vdev)
{
	struct vblk *vblk = vdev->priv;
	struct request_queue *q = vblk->disk->queue;

	unsigned int memflags;

	/*
	 * Let what is in flight finish, then hold new requests back with a
	 * quiesce alone: they wait in the queue until restore.  A freeze
	 * held from here to restore would stay with the task (its noio
	 * scope, and on 6.13 and later a lockdep map) across the sleep.
	 */
	memflags = blk_mq_freeze_queue(q);
	blk_mq_quiesce_queue(q);
	blk_mq_unfreeze_queue(q, memflags);
	vblk_stop(vblk);
	return 0;
}

static int vblk_restore(struct virtio_device *vdev)
{
	struct vblk *vblk = vdev->priv;
	struct request_queue *q = vblk->disk->queue;
	int err;

	err = vblk_start(vblk);
	if (err)
		return err;
	blk_mq_unquiesce_queue(q);
	return 0;
}
#endif

static const struct virtio_device_id vblk_id_table[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ }
};
MODULE_DEVICE_TABLE(virtio, vblk_id_table);

static const unsigned int vblk_features[] = {
	VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_GEOMETRY,
	VIRTIO_BLK_F_RO, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH,
	VIRTIO_BLK_F_TOPOLOGY, VIRTIO_BLK_F_CONFIG_WCE, VIRTIO_BLK_F_MQ,
	VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES,
	VIRTIO_BLK_F_SECURE_ERASE,
};

static struct virtio_driver vblk_driver = {
	.driver.name = KBUILD_MODNAME,
	/* 6.12 sets it in register_virtio_driver(), 6.1 needs it here */
	.driver.owner = THIS_MODULE,
	.id_table = vblk_id_table,
	.feature_table = vblk_features,
	.feature_table_size = ARRAY_SIZE(vblk_features),
	.feature_table_legacy = vblk_features,
	.feature_table_size_legacy = ARRAY_SIZE(vblk_features),
	.validate = vblk_validate,
	.probe = vblk_probe,
	.remove = vblk_remove,
	.config_changed = vblk_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze = vblk_freeze,
	.restore = vblk_restore,
#endif
};

static int __init vblk_init(void)
{
	int err;

	err = vblk_recovery_module_init();
	if (err)
		return err;
	vblk_major = register_blkdev(0, KBUILD_MODNAME);
	if (vblk_major < 0) {
		vblk_recovery_module_exit();
		return vblk_major;
	}
	vblk_debugfs_init();
	err = register_virtio_driver(&vblk_driver);
	if (err) {
		vblk_debugfs_exit();
		unregister_blkdev(vblk_major, KBUILD_MODNAME);
		vblk_recovery_module_exit();
	}
	return err;
}

static void __exit vblk_exit(void)
{
	unregister_virtio_driver(&vblk_driver);
	vblk_debugfs_exit();
	unregister_blkdev(vblk_major, KBUILD_MODNAME);
	vblk_recovery_module_exit();
	vblk_disk_exit();
}

module_init(vblk_init);
module_exit(vblk_exit);

MODULE_DESCRIPTION("virtio block driver (out of tree)");
MODULE_LICENSE("GPL");
