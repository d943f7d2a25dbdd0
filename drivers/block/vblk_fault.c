// SPDX-License-Identifier: GPL-2.0
/*
 * vblk fault injection, built only with "make VMMIO_FAULT=1" (the guest
 * rig's test build); the product's vblk.ko has none of it, and its hooks
 * in vblk.h are empty inlines there.  Knobs in debugfs vblk/<disk>/fault/,
 * inert at 0; the count-down ones act on that many events:
 *
 *   drop_irqs N       ignore the next N virtqueue interrupts (lost IRQs)
 *   corrupt_hdr N     send the next N requests as malformed chains
 *   fail_reset N      make the next N recoveries fail
 *   needs_reset N     the next N looks at the device status see
 *                     DEVICE_NEEDS_RESET, as if the device had set it
 *   delay_ms N        while N > 0, look at completions N ms late
 *   config_stall_ms N hold the next config work N ms between seeing
 *                     DEVICE_NEEDS_RESET and scheduling the reset, as a
 *                     preempted work would be (the freeze race's window)
 *   freeze_cycle N    write: freeze the device as system sleep does,
 *                     wait N ms, restore it; the write fails with the
 *                     error of either step
 *   stats             what the knobs did: interrupts dropped, delayed
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "vblk.h"

struct vblk_fault {
	struct vblk *vblk;
	atomic_t drop_irqs;
	atomic_t corrupt_hdr;
	atomic_t fail_reset;
	atomic_t needs_reset;
	atomic_t delay_ms;
	atomic_t config_stall_ms;
	struct delayed_work delay_work;	/* delay_ms: the late look */
	atomic64_t irqs_dropped;
	atomic64_t irqs_delayed;
};

/* a count-down knob: true, and one less, while it is above 0 */
static bool vblk_fault_take(atomic_t *knob)
{
	return atomic_read(knob) > 0 && atomic_dec_if_positive(knob) >= 0;
}

/* delay_ms: every interrupt-driven queue, N ms after the interrupt */
static void vblk_fault_delay_work(struct work_struct *work)
{
	struct vblk_fault *f = container_of(to_delayed_work(work),
					    struct vblk_fault, delay_work);
	struct vblk *vblk = f->vblk;
	unsigned int i;

	for (i = 0; i < vblk->nr_vqs - vblk->nr_poll_vqs; i++)
		vblk_vq_drain(vblk, &vblk->vqs[i]);
}

/* under the queue's lock, from the interrupt callback */
bool vblk_fault_irq(struct vblk *vblk, struct vblk_vq *bvq)
{
	struct vblk_fault *f = vblk->fault;
	int ms;

	if (vblk_fault_take(&f->drop_irqs)) {
		atomic64_inc(&f->irqs_dropped);
		return true;
	}
	ms = atomic_read(&f->delay_ms);
	if (ms <= 0)
		return false;
	atomic64_inc(&f->irqs_delayed);
	queue_delayed_work(system_percpu_wq, &f->delay_work, msecs_to_jiffies(ms));
	return true;
}

bool vblk_fault_corrupt(struct vblk *vblk)
{
	return vblk_fault_take(&vblk->fault->corrupt_hdr);
}

bool vblk_fault_fail_reset(struct vblk *vblk)
{
	return vblk_fault_take(&vblk->fault->fail_reset);
}

bool vblk_fault_needs_reset(struct vblk *vblk)
{
	return vblk_fault_take(&vblk->fault->needs_reset);
}

void vblk_fault_config_stall(struct vblk *vblk)
{
	int ms = atomic_xchg(&vblk->fault->config_stall_ms, 0);

	if (ms > 0)
		msleep(ms);
}

static int vblk_fault_stats_show(struct seq_file *m, void *unused)
{
	struct vblk_fault *f = m->private;

	seq_printf(m, "irqs_dropped: %lld\nirqs_delayed: %lld\n",
		   atomic64_read(&f->irqs_dropped),
		   atomic64_read(&f->irqs_delayed));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vblk_fault_stats);

#ifdef CONFIG_PM_SLEEP
/*
 * The driver's freeze and restore through the virtio core, as system
 * sleep calls them, but without freezing tasks and workqueues first:
 * that is what leaves a config work able to run while the device stops.
 */
static ssize_t vblk_fault_freeze_write(struct file *file,
				       const char __user *ubuf, size_t count,
				       loff_t *ppos)
{
	struct vblk_fault *f = file->private_data;
	struct virtio_device *vdev = f->vblk->vdev;
	unsigned int ms;
	int err;

	err = kstrtouint_from_user(ubuf, count, 0, &ms);
	if (err)
		return err;
	if (ms > 60000)
		return -EINVAL;
	err = virtio_device_freeze(vdev);
	if (err)
		return err;
	msleep(ms);
	err = virtio_device_restore(vdev);
	return err ?: count;
}

static const struct file_operations vblk_fault_freeze_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = vblk_fault_freeze_write,
	.llseek = noop_llseek,
};
#endif

void vblk_fault_debugfs(struct vblk *vblk, struct dentry *parent)
{
	struct vblk_fault *f = vblk->fault;
	struct dentry *dir = debugfs_create_dir("fault", parent);

	debugfs_create_atomic_t("drop_irqs", 0600, dir, &f->drop_irqs);
	debugfs_create_atomic_t("corrupt_hdr", 0600, dir, &f->corrupt_hdr);
	debugfs_create_atomic_t("fail_reset", 0600, dir, &f->fail_reset);
	debugfs_create_atomic_t("needs_reset", 0600, dir, &f->needs_reset);
	debugfs_create_atomic_t("delay_ms", 0600, dir, &f->delay_ms);
	debugfs_create_atomic_t("config_stall_ms", 0600, dir,
				&f->config_stall_ms);
	debugfs_create_file("stats", 0444, dir, f, &vblk_fault_stats_fops);
#ifdef CONFIG_PM_SLEEP
	debugfs_create_file("freeze_cycle", 0200, dir, f,
			    &vblk_fault_freeze_fops);
#endif
}

int vblk_fault_add(struct vblk *vblk)
{
	struct vblk_fault *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->vblk = vblk;
	INIT_DELAYED_WORK(&f->delay_work, vblk_fault_delay_work);
	vblk->fault = f;
	return 0;
}

/* before the rings go: no late look may run on them */
void vblk_fault_stop(struct vblk *vblk)
{
	cancel_delayed_work_sync(&vblk->fault->delay_work);
}

void vblk_fault_remove(struct vblk *vblk)
{
	if (!vblk->fault)
		return;
	cancel_delayed_work_sync(&vblk->fault->delay_work);
	kfree(vblk->fault);
	vblk->fault = NULL;
}
