// SPDX-License-Identifier: GPL-2.0
/*
 * device=<size>@<base>:<irq>[:<first_id>]  (repeatable)
 *
 * For hypervisors that describe their virtio-mmio slots in neither a
 * device tree nor ACPI.  The syntax is the one the in-tree driver takes on
 * the kernel command line; here it is a module parameter, checked when
 * the module loads: a malformed value refuses the load and names itself.
 * <irq> is a Linux interrupt number, not a raw GIC line.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "vmmio.h"

#define VMMIO_CMDLINE_MAX	32

struct vmmio_cmdline_dev {
	struct resource res[2];		/* registers, interrupt */
	int id;
	struct platform_device *pdev;
};

static struct vmmio_cmdline_dev vmmio_cmdline[VMMIO_CMDLINE_MAX];
static unsigned int vmmio_cmdline_count;

/* parse "<size>@<base>:<irq>[:<id>]" into @d; false if malformed */
static bool vmmio_cmdline_parse(const char *val, struct vmmio_cmdline_dev *d)
{
	unsigned long long size, base;
	unsigned int irq, id;
	char buf[64], *p, *field;

	if (strscpy(buf, val, sizeof(buf)) < 0)
		return false;
	p = strim(buf);

	size = memparse(p, &p);
	if (!size || *p++ != '@')
		return false;
	base = memparse(p, &p);
	if (*p++ != ':')
		return false;
	field = strsep(&p, ":");
	if (kstrtouint(field, 0, &irq) || !irq)
		return false;
	d->id = PLATFORM_DEVID_AUTO;
	if (p) {
		if (kstrtouint(p, 0, &id) || id > INT_MAX)
			return false;
		d->id = id;
	}
	if (base + size - 1 < base)
		return false;

	memset(d->res, 0, sizeof(d->res));
	d->res[0].start = base;
	d->res[0].end = base + size - 1;
	d->res[0].flags = IORESOURCE_MEM;
	d->res[1].start = irq;
	d->res[1].end = irq;
	d->res[1].flags = IORESOURCE_IRQ;
	return true;
}

static int vmmio_cmdline_set(const char *val, const struct kernel_param *kp)
{
	struct vmmio_cmdline_dev *d;

	if (vmmio_cmdline_count == VMMIO_CMDLINE_MAX) {
		pr_err("device=%s: at most %d devices\n", val, VMMIO_CMDLINE_MAX);
		return -ENOSPC;
	}
	d = &vmmio_cmdline[vmmio_cmdline_count];
	if (!vmmio_cmdline_parse(val, d)) {
		pr_err("device=%s: expected <size>@<base>:<irq>[:<first_id>], e.g. 0x200@0xa003e00:79\n",
		       val);
		return -EINVAL;
	}
	vmmio_cmdline_count++;
	return 0;
}

static int vmmio_cmdline_get(char *buf, const struct kernel_param *kp)
{
	unsigned int i;
	int len = 0;

	for (i = 0; i < vmmio_cmdline_count; i++) {
		const struct vmmio_cmdline_dev *d = &vmmio_cmdline[i];
		resource_size_t size = resource_size(&d->res[0]);

		len += sysfs_emit_at(buf, len, "%pa@%pa:%llu\n", &size,
				     &d->res[0].start,
				     (unsigned long long)d->res[1].start);
	}
	return len;
}

static const struct kernel_param_ops vmmio_cmdline_ops = {
	.set = vmmio_cmdline_set,
	.get = vmmio_cmdline_get,
};

module_param_cb(device, &vmmio_cmdline_ops, NULL, 0444);
MODULE_PARM_DESC(device, "virtio-mmio device <size>@<base>:<irq>[:<first_id>], repeatable");

int vmmio_cmdline_register(void)
{
	unsigned int i;

	for (i = 0; i < vmmio_cmdline_count; i++) {
		struct vmmio_cmdline_dev *d = &vmmio_cmdline[i];

		d->pdev = platform_device_register_resndata(NULL, KBUILD_MODNAME, d->id,
							    d->res, ARRAY_SIZE(d->res),
							    NULL, 0);
		if (IS_ERR(d->pdev)) {
			int err = PTR_ERR(d->pdev);

			pr_err("device at %pR: cannot register: %d\n", &d->res[0], err);
			d->pdev = NULL;
			vmmio_cmdline_unregister();
			return err;
		}
	}
	return 0;
}

void vmmio_cmdline_unregister(void)
{
	unsigned int i;

	for (i = 0; i < vmmio_cmdline_count; i++) {
		if (vmmio_cmdline[i].pdev)
			platform_device_unregister(vmmio_cmdline[i].pdev);
		vmmio_cmdline[i].pdev = NULL;
	}
}
