// SPDX-License-Identifier: GPL-2.0
/*
 * vmmio: virtio over memory-mapped I/O, an out-of-tree transport.
 *
 * This first cut binds to "virtio,mmio" device-tree nodes, checks the
 * register window's magic value and version and reports what sits in each
 * slot.  It does not register virtio devices yet, so it never takes a
 * device away from another transport.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/module.h>
#include <linux/mod_devicetable.h>
#include <linux/platform_device.h>

#include "vmmio_compat.h"

#define VMMIO_MAGIC_VALUE	0x000
#define VMMIO_VERSION		0x004
#define VMMIO_DEVICE_ID		0x008
#define VMMIO_VENDOR_ID		0x00c

/* "virt" read as a little-endian 32-bit word */
#define VMMIO_MAGIC		0x74726976

static int vmmio_probe(struct platform_device *pdev)
{
	void __iomem *base;
	u32 magic, version, device_id;

	base = devm_platform_ioremap_resource(pdev, 0);
	if (IS_ERR(base))
		return PTR_ERR(base);

	magic = readl(base + VMMIO_MAGIC_VALUE);
	if (magic != VMMIO_MAGIC) {
		dev_err(&pdev->dev, "bad magic value 0x%08x\n", magic);
		return -ENODEV;
	}
	version = readl(base + VMMIO_VERSION);
	if (version < 1 || version > 2) {
		dev_err(&pdev->dev, "unsupported version %u\n", version);
		return -ENODEV;
	}
	device_id = readl(base + VMMIO_DEVICE_ID);
	/* QEMU's virt board leaves most of its 32 slots empty (ID 0). */
	if (device_id)
		dev_info(&pdev->dev, "virtio device %u, version %u, vendor 0x%08x\n",
			 device_id, version, readl(base + VMMIO_VENDOR_ID));
	/* Transport not implemented yet: leave the slot to others. */
	return -ENODEV;
}

static void vmmio_remove(struct platform_device *pdev)
{
}

static const struct of_device_id vmmio_of_match[] = {
	{ .compatible = "virtio,mmio" },
	{ }
};
MODULE_DEVICE_TABLE(of, vmmio_of_match);

static struct platform_driver vmmio_driver = {
	.probe = vmmio_probe,
	VMMIO_PLATFORM_REMOVE(vmmio_remove),
	.driver = {
		.name = KBUILD_MODNAME,
		.of_match_table = vmmio_of_match,
	},
};
module_platform_driver(vmmio_driver);

MODULE_DESCRIPTION("virtio-mmio transport (out of tree)");
MODULE_LICENSE("GPL");
