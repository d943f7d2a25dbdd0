// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio_config_ops of vmmio: what the virtio core and the device
 * drivers (virtio_blk, vblk, virtio_net, ...) call on a virtio-mmio device.
 * Register-layout differences go through vm->layout.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/virtio_ring.h>

#include "vmmio.h"

/* the largest split ring (virtio 1.2, 2.7.1) */
#define VMMIO_MAX_QUEUE_SIZE	32768

/*
 * A cap on the rings, for the next queue set up (bind, resume, reset).
 * QEMU's virtio-mmio offers 1024 entries whatever its queue-size says, so
 * without it the small-ring paths of a driver (a full ring, a request
 * whose chain barely fits) never run against a real device.
 */
static unsigned int max_ring;

static int vmmio_max_ring_set(const char *val, const struct kernel_param *kp)
{
	int len = min_t(size_t, strcspn(val, "\n"), 32);
	unsigned int n;

	if (kstrtouint(val, 0, &n) ||
	    (n && (n < 2 || n > VMMIO_MAX_QUEUE_SIZE || !is_power_of_2(n)))) {
		pr_err("max_ring=%.*s%s refused: expected 0 (no cap) or a power of two from 2 to %u\n",
		       len, val, val[len] && val[len] != '\n' ? "..." : "",
		       VMMIO_MAX_QUEUE_SIZE);
		return -EINVAL;
	}
	WRITE_ONCE(max_ring, n);
	return 0;
}

static const struct kernel_param_ops vmmio_max_ring_ops = {
	.set = vmmio_max_ring_set,
	.get = param_get_uint,
};

module_param_cb(max_ring, &vmmio_max_ring_ops, &max_ring, 0644);
MODULE_PARM_DESC(max_ring,
		 "most entries per virtqueue ring, a power of two 2..32768, for the queues set up after it is written (default 0: what the device offers)");

/*
 * Config space ends where the register window does: a driver asking for
 * a field past it (a window the device tree made too small) reads zeros
 * and writes nothing, instead of touching what lies beyond the mapping.
 */
static bool vmmio_config_fits(struct vmmio_device *vm, unsigned int offset,
			      unsigned int len)
{
	if (offset <= vm->config_len && len <= vm->config_len - offset)
		return true;
	dev_err_ratelimited(&vm->pdev->dev,
			    "config access of %u bytes at 0x%x is past the %u-byte config window\n",
			    len, offset, vm->config_len);
	return false;
}

static void vmmio_get(struct virtio_device *vdev, unsigned int offset,
		      void *buf, unsigned int len)
{
	struct vmmio_device *vm = to_vmmio(vdev);

	if (!vmmio_config_fits(vm, offset, len)) {
		memset(buf, 0, len);
		return;
	}
	vm->layout->config_get(vm, offset, buf, len);
	/* a test's overrides (VMMIO_FAULT=1 only: a no-op in the product) */
	vmmio_fault_apply_cfg(vm, offset, buf, len);
}

static void vmmio_set(struct virtio_device *vdev, unsigned int offset,
		      const void *buf, unsigned int len)
{
	struct vmmio_device *vm = to_vmmio(vdev);

	if (vmmio_config_fits(vm, offset, len))
		vm->layout->config_set(vm, offset, buf, len);
}

static u32 vmmio_generation(struct virtio_device *vdev)
{
	struct vmmio_device *vm = to_vmmio(vdev);

	return vm->layout->generation(vm);
}

static u8 vmmio_get_status(struct virtio_device *vdev)
{
	return vmmio_read(to_vmmio(vdev), VIRTIO_MMIO_STATUS) & 0xff;
}

static void vmmio_set_status(struct virtio_device *vdev, u8 status)
{
	vmmio_write(to_vmmio(vdev), VIRTIO_MMIO_STATUS, status);
}

/*
 * Writing 0 starts a reset; the spec (2.4.2) has the driver wait until the
 * status reads back 0 before it touches the device again.  A device that
 * never gets there is reported, and keeps its line masked if it was; the
 * caller goes on as the core expects.
 */
static void vmmio_reset(struct virtio_device *vdev)
{
	struct vmmio_device *vm = to_vmmio(vdev);
	u32 status;

	vmmio_write(vm, VIRTIO_MMIO_STATUS, 0);
	if (readl_poll_timeout(vm->base + VIRTIO_MMIO_STATUS, status, !status,
			       10, VMMIO_RESET_TIMEOUT_MS * USEC_PER_MSEC))
		dev_err(&vm->pdev->dev,
			"reset not complete: status still 0x%x after %d ms\n",
			status, VMMIO_RESET_TIMEOUT_MS);
	else
		vmmio_irq_unmask(vm);
}

/*
 * What the device offers; in a VMMIO_FAULT=1 build, as the fault knobs
 * features_{set,clear} bend it.
 */
static u64 vmmio_get_features(struct virtio_device *vdev)
{
	struct vmmio_device *vm = to_vmmio(vdev);
	u64 high, features;

	vmmio_write(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	high = vmmio_read(vm, VIRTIO_MMIO_DEVICE_FEATURES);
	vmmio_write(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	features = high << 32 | vmmio_read(vm, VIRTIO_MMIO_DEVICE_FEATURES);
	return vmmio_fault_features(vm, features);
}

static int vmmio_finalize_features(struct virtio_device *vdev)
{
	struct vmmio_device *vm = to_vmmio(vdev);
	u64 features;
	int err;

	/* the ring decides which transport bits it can honour */
	vring_transport_features(vdev);
	/*
	 * QEMU offers RING_RESET on virtio-mmio without implementing the
	 * QueueReset register there, and this transport has no per-queue
	 * reset: never let a driver believe it can reset a queue.
	 */
	__virtio_clear_bit(vdev, VIRTIO_F_RING_RESET);

	err = vm->layout->check_features(vm);
	if (err)
		return err;

	/* a bit only a fault knob offered is the driver's belief alone */
	features = vmmio_fault_driver_features(vm, vdev->features);
	vmmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vmmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES, upper_32_bits(features));
	vmmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vmmio_write(vm, VIRTIO_MMIO_DRIVER_FEATURES, lower_32_bits(features));
	return 0;
}

/*
 * The kick, each time the ring says the device needs one: the hottest
 * path of the transport.  What it writes is decided once per queue (in
 * vmmio_setup_vq, as the in-tree virtio_mmio does), not by a feature
 * test on every kick, and the count is the kicking CPU's own.
 */
static bool vmmio_notify(struct virtqueue *vq)
{
	struct vmmio_vq *info = vq->priv;

	this_cpu_inc(*info->notifications);
	vmmio_write(to_vmmio(vq->vdev), VIRTIO_MMIO_QUEUE_NOTIFY, vq->index);
	return true;
}

/* VIRTIO_F_NOTIFICATION_DATA (the ring has it from 6.4): the next position */
static bool vmmio_notify_with_data(struct virtqueue *vq)
{
	struct vmmio_vq *info = vq->priv;

	this_cpu_inc(*info->notifications);
	vmmio_write(to_vmmio(vq->vdev), VIRTIO_MMIO_QUEUE_NOTIFY,
		    vring_notification_data(vq));
	return true;
}

static void vmmio_del_vq(struct virtqueue *vq)
{
	struct vmmio_device *vm = to_vmmio(vq->vdev);
	struct vmmio_vq *info = vq->priv;
	unsigned long flags;

	spin_lock_irqsave(&vm->lock, flags);
	list_del(&info->node);
	spin_unlock_irqrestore(&vm->lock, flags);

	vmmio_write(vm, VIRTIO_MMIO_QUEUE_SEL, vq->index);
	vm->layout->queue_deactivate(vm);
	vring_del_virtqueue(vq);
	free_percpu(info->notifications);
	kfree(info);
}

/*
 * A device whose virtqueues belong to a driver module is in use: pin the
 * transport, so that "rmmod vmmio" is refused until that driver lets go
 * (unbinds or unloads).  Built-in drivers (6.12's virtio_console) have no
 * module and do not pin: unloading vmmio unbinds them, as it must be able
 * to.
 */
static int vmmio_pin(struct vmmio_device *vm)
{
	struct device_driver *drv = vm->vdev.dev.driver;

	if (vm->pinned || !drv || !drv->owner)
		return 0;
	/* fails only while vmmio itself is being unloaded */
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	vm->pinned = true;
	return 0;
}

static void vmmio_unpin(struct vmmio_device *vm)
{
	if (!vm->pinned)
		return;
	vm->pinned = false;
	module_put(THIS_MODULE);
}

static void vmmio_del_vqs(struct virtio_device *vdev)
{
	struct virtqueue *vq, *n;

	list_for_each_entry_safe(vq, n, &vdev->vqs, list)
		vmmio_del_vq(vq);
	vmmio_irq_release(to_vmmio(vdev));
	vmmio_unpin(to_vmmio(vdev));
}

/* QueueNumMax, validated: 0 means no such queue */
static int vmmio_queue_size(struct vmmio_device *vm, unsigned int index)
{
	u32 num = vmmio_read(vm, VIRTIO_MMIO_QUEUE_NUM_MAX);
	unsigned int cap;

	if (!num) {
		dev_err(&vm->pdev->dev, "queue %u: the device offers no queue (QueueNumMax 0)\n",
			index);
		return -ENOENT;
	}
	/* the driver may use fewer entries: a power of two fits every ring */
	if (num > VMMIO_MAX_QUEUE_SIZE || !is_power_of_2(num)) {
		u32 use = min_t(u32, rounddown_pow_of_two(num), VMMIO_MAX_QUEUE_SIZE);

		dev_warn(&vm->pdev->dev, "queue %u: QueueNumMax %u, using %u entries\n",
			 index, num, use);
		num = use;
	}
	cap = READ_ONCE(max_ring);
	if (cap && num > cap) {
		dev_info(&vm->pdev->dev, "queue %u: %u entries (max_ring), the device offers %u\n",
			 index, cap, num);
		num = cap;
	}
	return num;
}

static struct virtqueue *vmmio_setup_vq(struct vmmio_device *vm,
					unsigned int index,
					const struct virtqueue_info *spec)
{
	bool (*notify)(struct virtqueue *vq) = vmmio_notify;
	struct vmmio_vq *info;
	struct virtqueue *vq;
	unsigned long flags;
	int num, err;

	vmmio_write(vm, VIRTIO_MMIO_QUEUE_SEL, index);
	if (vm->layout->queue_in_use(vm)) {
		dev_err(&vm->pdev->dev, "queue %u is already set up in the device\n", index);
		return ERR_PTR(-ENOENT);
	}
	num = vmmio_queue_size(vm, index);
	if (num < 0)
		return ERR_PTR(num);

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->notifications = alloc_percpu(u64);
	if (!info->notifications) {
		err = -ENOMEM;
		goto free_info;
	}

	/*
	 * The features are final by now, so the kick needs no test of its
	 * own.  A ring without vring_notification_data (before 6.4) never
	 * lets VIRTIO_F_NOTIFICATION_DATA through vring_transport_features:
	 * there, the index is always what the device expects.
	 */
	if (__virtio_test_bit(&vm->vdev, VIRTIO_F_NOTIFICATION_DATA))
		notify = vmmio_notify_with_data;
	vq = vring_create_virtqueue(index, num, PAGE_SIZE, &vm->vdev, true, true,
				    spec->ctx, notify, spec->callback,
				    spec->name);
	if (!vq) {
		err = -ENOMEM;
		goto free_info;
	}
	vq->num_max = num;
	vq->priv = info;
	info->vq = vq;

	vmmio_write(vm, VIRTIO_MMIO_QUEUE_NUM, virtqueue_get_vring_size(vq));
	err = vm->layout->queue_activate(vm, vq);
	if (err)
		goto del_vq;

	spin_lock_irqsave(&vm->lock, flags);
	list_add(&info->node, &vm->vqs);
	spin_unlock_irqrestore(&vm->lock, flags);
	return vq;

del_vq:
	vring_del_virtqueue(vq);
free_info:
	free_percpu(info->notifications);
	kfree(info);
	return ERR_PTR(err);
}

static int vmmio_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			  struct virtqueue *vqs[], struct virtqueue_info info[],
			  struct irq_affinity *desc)
{
	struct vmmio_device *vm = to_vmmio(vdev);
	unsigned int i, index = 0;
	int err;

	err = vmmio_pin(vm);
	if (err)
		return err;
	err = vmmio_irq_request(vm);
	if (err) {
		vmmio_unpin(vm);
		return err;
	}
	for (i = 0; i < nvqs; i++) {
		/* a queue the driver does not use takes no device index */
		if (!info[i].name) {
			vqs[i] = NULL;
			continue;
		}
		vqs[i] = vmmio_setup_vq(vm, index++, &info[i]);
		if (IS_ERR(vqs[i])) {
			err = PTR_ERR(vqs[i]);
			vmmio_del_vqs(vdev);
			return err;
		}
	}
	return 0;
}

VMMIO_FIND_VQS_ADAPTER(vmmio_find_vqs)

static void vmmio_synchronize_cbs(struct virtio_device *vdev)
{
	synchronize_irq(to_vmmio(vdev)->irq);
}

static const char *vmmio_bus_name(struct virtio_device *vdev)
{
	return dev_name(&to_vmmio(vdev)->pdev->dev);
}

static bool vmmio_get_shm_region(struct virtio_device *vdev,
				 struct virtio_shm_region *region, u8 id)
{
	struct vmmio_device *vm = to_vmmio(vdev);

	return vm->layout->get_shm_region(vm, region, id);
}

const struct virtio_config_ops vmmio_config_ops = {
	.get = vmmio_get,
	.set = vmmio_set,
	.generation = vmmio_generation,
	.get_status = vmmio_get_status,
	.set_status = vmmio_set_status,
	.reset = vmmio_reset,
	.find_vqs = VMMIO_FIND_VQS_OP(vmmio_find_vqs),
	.del_vqs = vmmio_del_vqs,
	.synchronize_cbs = vmmio_synchronize_cbs,
	.get_features = vmmio_get_features,
	.finalize_features = vmmio_finalize_features,
	.bus_name = vmmio_bus_name,
	.get_shm_region = vmmio_get_shm_region,
};
