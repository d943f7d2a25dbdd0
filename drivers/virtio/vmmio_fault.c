// SPDX-License-Identifier: GPL-2.0
/*
 * The fault knobs: make the device say what QEMU never says, for the
 * tests of the drivers' checks (selftests/transport/t_hostile.sh).  Built
 * with "make VMMIO_FAULT=1" only; the product gets the stubs of vmmio.h
 * instead, so that neither its code nor a test of a knob on the config
 * and feature paths ships.
 *
 * /sys/kernel/debug/vmmio/<device>/fault/, inert until written:
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
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vmmio.h"

/*
 * A test's override of config space (fault/config): the WIDTH
 * little-endian bytes of VALUE replace those at OFFSET in every read that
 * covers them (a legacy device's config is in the guest's byte order:
 * the same on the little-endian guests this is tested on).  QEMU never
 * offers an absurd config, so the drivers' checks of one can only be
 * tested this way.
 */
struct vmmio_cfg_override {
	u32 offset;
	u32 width;
	u64 value;
};

#define VMMIO_CFG_OVERRIDES	8

/* one device's knobs, all inert (empty, 0) until a test writes them */
struct vmmio_fault {
	spinlock_t lock;	/* the table, against config reads in any context */
	unsigned int nr_cfg;	/* entries in use: 0 is the config reads' fast path */
	struct vmmio_cfg_override cfg[VMMIO_CFG_OVERRIDES];
	u64 features_set;	/* offered as if the device did (never written to it) */
	u64 features_clear;	/* hidden from the driver */
};

/*
 * Before the device is registered: its drivers read config and features
 * from their probe on.  Freed with the device (vmmio_release), after
 * the last config read and the debugfs files are gone.
 */
int vmmio_fault_add(struct vmmio_device *vm)
{
	struct vmmio_fault *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	spin_lock_init(&f->lock);
	vm->fault = f;
	return 0;
}

void vmmio_fault_remove(struct vmmio_device *vm)
{
	kfree(vm->fault);
	vm->fault = NULL;
}

/*
 * The overrides, on a read of @len bytes at @offset: each byte of an
 * override that falls inside the read replaces the device's.  Byte by
 * byte, so that an override and a read may overlap in any way (a driver
 * reading a u64 field in two halves, the legacy layout's byte-wise
 * reads).
 */
void vmmio_fault_apply_cfg(struct vmmio_device *vm, unsigned int offset,
			   void *buf, unsigned int len)
{
	struct vmmio_fault *f = vm->fault;
	unsigned long flags;
	unsigned int i, b;
	u8 *p = buf;

	/* an empty table (every read but a test's) takes no lock */
	if (likely(!READ_ONCE(f->nr_cfg)))
		return;
	spin_lock_irqsave(&f->lock, flags);
	for (i = 0; i < f->nr_cfg; i++) {
		const struct vmmio_cfg_override *o = &f->cfg[i];

		for (b = 0; b < o->width; b++) {
			unsigned int at = o->offset + b;

			if (at >= offset && at - offset < len)
				p[at - offset] = o->value >> (8 * b);
		}
	}
	spin_unlock_irqrestore(&f->lock, flags);
}

u64 vmmio_fault_features(struct vmmio_device *vm, u64 features)
{
	features |= READ_ONCE(vm->fault->features_set);
	return features & ~READ_ONCE(vm->fault->features_clear);
}

/*
 * A bit only features_set offered (the device did not, at probe) is the
 * driver's belief alone: the device is never told it was accepted.
 */
u64 vmmio_fault_driver_features(struct vmmio_device *vm, u64 features)
{
	return features &
	       ~(READ_ONCE(vm->fault->features_set) & ~vm->offered_features);
}

static int vmmio_fault_cfg_show(struct seq_file *s, void *unused)
{
	struct vmmio_device *vm = s->private;
	struct vmmio_fault *f = vm->fault;
	struct vmmio_cfg_override cfg[VMMIO_CFG_OVERRIDES];
	unsigned long flags;
	unsigned int i, n;

	/* a copy: seq_printf may not run under a lock config reads take */
	spin_lock_irqsave(&f->lock, flags);
	n = f->nr_cfg;
	memcpy(cfg, f->cfg, sizeof(cfg));
	spin_unlock_irqrestore(&f->lock, flags);
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
static int vmmio_fault_cfg_add(struct vmmio_fault *f,
			       const struct vmmio_cfg_override *o)
{
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
	struct vmmio_fault *f = vm->fault;
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
		spin_lock_irqsave(&f->lock, flags);
		WRITE_ONCE(f->nr_cfg, 0);
		spin_unlock_irqrestore(&f->lock, flags);
		return count;
	}
	err = vmmio_fault_cfg_parse(vm, buf, &o);
	if (!err)
		err = vmmio_fault_cfg_add(f, &o);
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

/* removed with the device's directory (vmmio_debugfs_remove) */
void vmmio_fault_debugfs_add(struct vmmio_device *vm)
{
	struct vmmio_fault *f = vm->fault;
	struct dentry *dir;

	dir = debugfs_create_dir("fault", vm->debugfs);
	debugfs_create_file("config", 0600, dir, vm, &vmmio_fault_cfg_fops);
	debugfs_create_file("config_changed", 0200, dir, vm,
			    &vmmio_fault_changed_fops);
	debugfs_create_x64("features_set", 0600, dir, &f->features_set);
	debugfs_create_x64("features_clear", 0600, dir, &f->features_clear);
}
