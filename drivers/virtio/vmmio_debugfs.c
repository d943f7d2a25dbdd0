// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: /sys/kernel/debug/vmmio/<device>/
 *
 * info   read-only.  It reads nothing from the device that a running
 *        driver could be disturbed by: the offered features were taken
 *        at probe, the rest are our own counters.
 * fault/ the fault knobs, in a "make VMMIO_FAULT=1" build only
 *        (vmmio_fault.c)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "vmmio.h"

static struct dentry *vmmio_debugfs_root;

/* the kicks of a queue: the sum of the CPUs' counts (struct vmmio_vq) */
static u64 vmmio_vq_notifications(const struct vmmio_vq *info)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr(info->notifications, cpu));
	return sum;
}

static int vmmio_info_show(struct seq_file *s, void *unused)
{
	struct vmmio_device *vm = s->private;
	struct vmmio_vq *info;
	unsigned long flags;

	seq_printf(s, "version: %u (%s)\n", vm->version, vm->layout->name);
	seq_printf(s, "device_id: %u\nvendor_id: 0x%08x\n",
		   vm->vdev.id.device, vm->vdev.id.vendor);
	seq_printf(s, "irq: %d\nirq_trigger: %s\n", vm->irq,
		   vm->irq_level ? "level" : "edge");
	seq_printf(s, "features_offered: 0x%016llx\n", vm->offered_features);
	seq_printf(s, "features_negotiated: 0x%016llx\n", vm->vdev.features);
	seq_printf(s, "status: 0x%02x\n", vmmio_read(vm, VIRTIO_MMIO_STATUS) & 0xff);
	seq_printf(s, "interrupts: %llu\nfast_acks: %llu\nspurious: %llu\nconfig_changes: %llu\nneeds_reset: %llu\n",
		   READ_ONCE(vm->stats.interrupts), READ_ONCE(vm->stats.fast_acks),
		   READ_ONCE(vm->stats.spurious),
		   READ_ONCE(vm->stats.config_changes),
		   READ_ONCE(vm->stats.needs_reset));

	spin_lock_irqsave(&vm->lock, flags);
	list_for_each_entry(info, &vm->vqs, node)
		seq_printf(s, "queue %u: size %u notifications %llu interrupts %llu\n",
			   info->vq->index, virtqueue_get_vring_size(info->vq),
			   vmmio_vq_notifications(info), info->interrupts);
	spin_unlock_irqrestore(&vm->lock, flags);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmmio_info);

void vmmio_debugfs_add(struct vmmio_device *vm)
{
	vm->debugfs = debugfs_create_dir(dev_name(&vm->pdev->dev), vmmio_debugfs_root);
	debugfs_create_file("info", 0444, vm->debugfs, vm, &vmmio_info_fops);
	vmmio_fault_debugfs_add(vm);
}

void vmmio_debugfs_remove(struct vmmio_device *vm)
{
	debugfs_remove_recursive(vm->debugfs);
	vm->debugfs = NULL;
}

void vmmio_debugfs_init(void)
{
	vmmio_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

void vmmio_debugfs_exit(void)
{
	debugfs_remove_recursive(vmmio_debugfs_root);
}
