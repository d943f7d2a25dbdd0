// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: /sys/kernel/debug/vmmio/<device>/
 *
 * info   read-only.  It reads nothing from the device that a running
 *        driver could be disturbed by: the offered features were taken
 *        at probe, the rest are our own counters.
 * fault/ knobs that make the device say what QEMU never says, for the
 *        tests of the drivers' checks (selftests/transport/t_hostile.sh); inert
 *        until written:
 *   config          "OFFSET WIDTH VALUE" overrides WIDTH (1, 2, 4, 8)
 *                   little-endian bytes of config space in every read
 *                   (a later entry for the same OFFSET and WIDTH replaces
 *                   the earlier one); "clear" removes them all; reading
 *                   lists them
 *   config_changed  "1" raises a config-change event, as the device's
 *                   interrupt would
 *   features_set, features_clear  bits added to / taken from what the
 *                   device offers, at the next driver probe; bits only
 *                   added here are never written to the device
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vmmio.h"

static struct dentry *vmmio_debugfs_root;

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
	seq_printf(s, "interrupts: %llu\nspurious: %llu\nconfig_changes: %llu\nneeds_reset: %llu\n",
		   READ_ONCE(vm->stats.interrupts), READ_ONCE(vm->stats.spurious),
		   READ_ONCE(vm->stats.config_changes),
		   READ_ONCE(vm->stats.needs_reset));

	spin_lock_irqsave(&vm->lock, flags);
	list_for_each_entry(info, &vm->vqs, node)
		seq_printf(s, "queue %u: size %u notifications %lld interrupts %llu\n",
			   info->vq->index, virtqueue_get_vring_size(info->vq),
			   (long long)atomic64_read(&info->notifications),
			   info->interrupts);
	spin_unlock_irqrestore(&vm->lock, flags);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmmio_info);

static int vmmio_fault_cfg_show(struct seq_file *s, void *unused)
{
	struct vmmio_device *vm = s->private;
	struct vmmio_cfg_override cfg[VMMIO_CFG_OVERRIDES];
	unsigned long flags;
	unsigned int i, n;

	/* a copy: seq_printf may not run under a lock config reads take */
	spin_lock_irqsave(&vm->fault.lock, flags);
	n = vm->fault.nr_cfg;
	memcpy(cfg, vm->fault.cfg, sizeof(cfg));
	spin_unlock_irqrestore(&vm->fault.lock, flags);
	for (i = 0; i < n; i++)
		seq_printf(s, "0x%x %u 0x%llx\n", cfg[i].offset, cfg[i].width,
			   cfg[i].value);
	return 0;
}

static int vmmio_fault_cfg_open(struct inode *inode, struct file *file)
{
	return single_open(file, vmmio_fault_cfg_show, inode->i_private);
}

/* "OFFSET WIDTH VALUE", each in any base kstrto* takes, nothing after */
static int vmmio_fault_cfg_parse(struct vmmio_device *vm, char *buf,
				 struct vmmio_cfg_override *o)
{
	char *tok[3];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tok); i++) {
		/* strsep() leaves NULL behind the last token */
		if (!buf)
			return -EINVAL;
		buf = skip_spaces(buf);
		tok[i] = strsep(&buf, " \t");
		if (!*tok[i])
			return -EINVAL;
	}
	if (buf && *skip_spaces(buf))
		return -EINVAL;
	if (kstrtou32(tok[0], 0, &o->offset) || kstrtou32(tok[1], 0, &o->width) ||
	    kstrtou64(tok[2], 0, &o->value))
		return -EINVAL;
	if (o->width != 1 && o->width != 2 && o->width != 4 && o->width != 8)
		return -EINVAL;
	/* inside the config window, and a value the width can hold */
	if (o->offset >= vm->config_len || o->width > vm->config_len - o->offset)
		return -EINVAL;
	if (o->width < 8 && o->value >> (8 * o->width))
		return -EINVAL;
	return 0;
}

/* add @o to the table, or replace the entry at the same place */
static int vmmio_fault_cfg_add(struct vmmio_device *vm,
			       const struct vmmio_cfg_override *o)
{
	struct vmmio_fault *f = &vm->fault;
	unsigned long flags;
	unsigned int i;
	int err = 0;

	spin_lock_irqsave(&f->lock, flags);
	for (i = 0; i < f->nr_cfg; i++)
		if (f->cfg[i].offset == o->offset && f->cfg[i].width == o->width)
			break;
	if (i == VMMIO_CFG_OVERRIDES) {
		err = -ENOSPC;
	} else {
		f->cfg[i] = *o;
		if (i == f->nr_cfg)
			WRITE_ONCE(f->nr_cfg, i + 1);
	}
	spin_unlock_irqrestore(&f->lock, flags);
	return err;
}

static ssize_t vmmio_fault_cfg_write(struct file *file, const char __user *ubuf,
				     size_t count, loff_t *ppos)
{
	struct vmmio_device *vm = file_inode(file)->i_private;
	struct vmmio_cfg_override o;
	unsigned long flags;
	char buf[64];
	int err;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	strim(buf);
	if (!strcmp(buf, "clear")) {
		spin_lock_irqsave(&vm->fault.lock, flags);
		WRITE_ONCE(vm->fault.nr_cfg, 0);
		spin_unlock_irqrestore(&vm->fault.lock, flags);
		return count;
	}
	err = vmmio_fault_cfg_parse(vm, buf, &o);
	if (!err)
		err = vmmio_fault_cfg_add(vm, &o);
	return err ?: count;
}

static const struct file_operations vmmio_fault_cfg_fops = {
	.owner = THIS_MODULE,
	.open = vmmio_fault_cfg_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = vmmio_fault_cfg_write,
};

/* "1": what the device's config-change interrupt does */
static ssize_t vmmio_fault_changed_write(struct file *file,
					 const char __user *ubuf, size_t count,
					 loff_t *ppos)
{
	struct vmmio_device *vm = file->private_data;
	bool on;
	int err;

	err = kstrtobool_from_user(ubuf, count, &on);
	if (err)
		return err;
	if (!on)
		return -EINVAL;
	virtio_config_changed(&vm->vdev);
	return count;
}

static const struct file_operations vmmio_fault_changed_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = vmmio_fault_changed_write,
	.llseek = noop_llseek,
};

void vmmio_debugfs_add(struct vmmio_device *vm)
{
	struct dentry *fault;

	vm->debugfs = debugfs_create_dir(dev_name(&vm->pdev->dev), vmmio_debugfs_root);
	debugfs_create_file("info", 0444, vm->debugfs, vm, &vmmio_info_fops);
	fault = debugfs_create_dir("fault", vm->debugfs);
	debugfs_create_file("config", 0600, fault, vm, &vmmio_fault_cfg_fops);
	debugfs_create_file("config_changed", 0200, fault, vm,
			    &vmmio_fault_changed_fops);
	debugfs_create_x64("features_set", 0600, fault, &vm->fault.features_set);
	debugfs_create_x64("features_clear", 0600, fault,
			   &vm->fault.features_clear);
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
