// SPDX-License-Identifier: GPL-2.0
/*
 * vqerr_test: the find_vqs error paths of a virtio transport, seen from a
 * driver.  QEMU never shows them on a normal path; a driver can provoke
 * both without a hostile device:
 *
 *  - QueueNumMax 0: ask for more virtqueues than the device has
 *    (virtio-rng has exactly one: queue 1 reads QueueNumMax 0);
 *  - QueueReady (modern) / QueuePFN (legacy) already set: call find_vqs
 *    a second time without del_vqs in between.
 *
 * Each must fail and leave no virtqueue behind, after which a correct
 * find_vqs works and the queue carries data.  Only the generic virtio API
 * is used, so the same test runs on the in-tree virtio_mmio as the
 * reference.  It is a driver for VIRTIO_ID_RNG: the guest test
 * (selftests/transport/t_vqerr.sh) takes the device from virtio_rng, lets this
 * driver probe it (each probe runs every case), reads the results from
 * the read-only parameters below and gives the device back.
 *
 * Results: one TAP-like line per case in the kernel log, and
 * /sys/module/vqerr_test/parameters/results, "name:ok|fail|skip ..." for
 * the latest probe (runs counts the probes).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "virtio_compat.h"

/*
 * The virtio API has a driver call del_vqs only for queues it holds: after
 * a find_vqs that failed from a clean state the in-tree virtio_mmio frees
 * its interrupt a second time (a WARN).  vmmio tolerates the call, and the
 * guest test asks for this case only there.
 */
static bool del_after_failure;
module_param(del_after_failure, bool, 0444);
MODULE_PARM_DESC(del_after_failure,
		 "also call del_vqs after a find_vqs that failed from a clean state");

static char results[512];
module_param_string(results, results, sizeof(results), 0444);
MODULE_PARM_DESC(results, "the latest probe's cases: name:ok|fail|skip ...");

static unsigned int runs;
module_param(runs, uint, 0444);
MODULE_PARM_DESC(runs, "probes that ran the cases");

/* an rng request completes as soon as the host has the bytes: be patient */
#define VQERR_WAIT	(120 * HZ)
#define VQERR_BYTES	32

struct vqerr {
	struct virtio_device *vdev;
	struct virtqueue *vq;
	struct completion done;
	unsigned int ncase;
};

static void vqerr_done(struct virtqueue *vq)
{
	struct vqerr *t = vq->vdev->priv;

	complete(&t->done);
}

static void vqerr_report(struct vqerr *t, const char *name, const char *res,
			 int err)
{
	size_t len = strlen(results);

	t->ncase++;
	if (!strcmp(res, "ok"))
		pr_info("ok %u %s (err %d)\n", t->ncase, name, err);
	else if (!strcmp(res, "skip"))
		pr_info("ok %u %s # SKIP\n", t->ncase, name);
	else
		pr_info("not ok %u %s (err %d)\n", t->ncase, name, err);
	scnprintf(results + len, sizeof(results) - len, "%s%s:%s",
		  len ? " " : "", name, res);
}

static void vqerr_check(struct vqerr *t, const char *name, bool ok, int err)
{
	vqerr_report(t, name, ok ? "ok" : "fail", err);
}

/* find_vqs for @n queues, all on one callback; the first one in t->vq */
static int vqerr_find(struct vqerr *t, unsigned int n)
{
	struct virtqueue_info vqs_info[] = {
		{ .name = "vqerr0", .callback = vqerr_done },
		{ .name = "vqerr1", .callback = vqerr_done },
	};
	struct virtqueue *vqs[ARRAY_SIZE(vqs_info)] = { };
	int err;

	if (WARN_ON(n > ARRAY_SIZE(vqs_info)))
		return -EINVAL;
	err = virtio_find_vqs(t->vdev, n, vqs, vqs_info, NULL);
	if (!err)
		t->vq = vqs[0];
	return err;
}

static bool vqerr_no_vqs(struct vqerr *t)
{
	return list_empty(&t->vdev->vqs);
}

/* ask the device for bytes through the queue and wait for them */
static int vqerr_get_bytes(struct vqerr *t)
{
	struct scatterlist sg;
	unsigned int len = 0;
	void *buf;
	int err;

	buf = kzalloc(VQERR_BYTES, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	sg_init_one(&sg, buf, VQERR_BYTES);
	reinit_completion(&t->done);
	err = virtqueue_add_inbuf(t->vq, &sg, 1, buf, GFP_KERNEL);
	if (err)
		goto out;
	virtqueue_kick(t->vq);
	if (!wait_for_completion_timeout(&t->done, VQERR_WAIT)) {
		/* the buffer stays the device's until the reset in remove */
		pr_err("no answer from the device in %d s\n", VQERR_WAIT / HZ);
		return -ETIMEDOUT;
	}
	if (virtqueue_get_buf(t->vq, &len) != buf)
		err = -EIO;
	else if (!len || len > VQERR_BYTES)
		err = -EMSGSIZE;
out:
	kfree(buf);
	return err;
}

static int vqerr_probe(struct virtio_device *vdev)
{
	struct vqerr *t;
	int err;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->vdev = vdev;
	init_completion(&t->done);
	vdev->priv = t;
	results[0] = '\0';
	runs++;
	pr_info("run %u on %s\n", runs, dev_name(&vdev->dev));

	/* the second find_vqs sees queue 0 set up in the device */
	err = vqerr_find(t, 1);
	vqerr_check(t, "first_find_vqs", !err, err);
	if (!err) {
		err = vqerr_find(t, 1);
		vqerr_check(t, "queue_ready_set_refused", err < 0, err);
		/* the first call's queues are the driver's to delete */
		vdev->config->del_vqs(vdev);
		t->vq = NULL;
		vqerr_check(t, "nothing_left_after_ready_refusal",
			    vqerr_no_vqs(t), 0);
	} else {
		vqerr_report(t, "queue_ready_set_refused", "skip", 0);
		vqerr_report(t, "nothing_left_after_ready_refusal", "skip", 0);
	}

	/* queue 1 does not exist: QueueNumMax 0 after queue 0 was set up */
	err = vqerr_find(t, 2);
	vqerr_check(t, "queue_num_max_zero_refused", err < 0, err);
	if (!err) {
		vdev->config->del_vqs(vdev);
		t->vq = NULL;
	}
	vqerr_check(t, "nothing_left_after_num_max_refusal",
		    vqerr_no_vqs(t), 0);
	if (del_after_failure) {
		vdev->config->del_vqs(vdev);
		vqerr_check(t, "del_vqs_after_failed_find_vqs",
			    vqerr_no_vqs(t), 0);
	} else {
		vqerr_report(t, "del_vqs_after_failed_find_vqs", "skip", 0);
	}

	/* the device is as good as new: one queue, and it carries data */
	err = vqerr_find(t, 1);
	vqerr_check(t, "find_vqs_after_refusals", !err, err);
	if (!err) {
		virtio_device_ready(vdev);
		err = vqerr_get_bytes(t);
		vqerr_check(t, "queue_carries_data", !err, err);
	} else {
		vqerr_report(t, "queue_carries_data", "skip", 0);
	}
	pr_info("run %u done: %s\n", runs, results);
	/* the results stay readable: the probe succeeds whatever they say */
	return 0;
}

static void vqerr_remove(struct virtio_device *vdev)
{
	struct vqerr *t = vdev->priv;
	void *buf;

	virtio_reset_device(vdev);
	if (t->vq) {
		/* a buffer the device never answered is ours again after the reset */
		while ((buf = virtqueue_detach_unused_buf(t->vq)))
			kfree(buf);
		vdev->config->del_vqs(vdev);
	}
	kfree(t);
}

static const struct virtio_device_id vqerr_id_table[] = {
	{ VIRTIO_ID_RNG, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static struct virtio_driver vqerr_driver = {
	.driver.name = KBUILD_MODNAME,
	/* 6.12 sets it in register_virtio_driver(), 6.1 needs it here */
	.driver.owner = THIS_MODULE,
	.id_table = vqerr_id_table,
	.probe = vqerr_probe,
	.remove = vqerr_remove,
};
module_virtio_driver(vqerr_driver);

/* no MODULE_DEVICE_TABLE: the test binds it on purpose, never udev */
MODULE_DESCRIPTION("find_vqs error paths of a virtio transport (test)");
MODULE_LICENSE("GPL");
