// SPDX-License-Identifier: GPL-2.0
/*
 * vmmio: virtio over memory-mapped I/O, an out-of-tree transport.
 *
 * A platform driver for "virtio,mmio" device-tree nodes (and ACPI
 * LNRO0005, and the device= module parameter).  Each slot that holds a
 * device becomes a virtio device on the kernel's virtio bus, with its
 * virtqueues built by the kernel's virtio_ring; any virtio driver can then
 * bind to it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/mod_devicetable.h>
#include <linux/slab.h>
#include <linux/virtio_ring.h>

#include "vmmio.h"

static void vmmio_release(struct device *dev)
{
	struct vmmio_device *vm = to_vmmio(dev_to_virtio(dev));

	vmmio_fault_remove(vm);
	kfree(vm);
}

/* MagicValue and Version; 0 and the layout, or why the slot is unusable */
static int vmmio_identify(struct vmmio_device *vm)
{
	struct device *dev = &vm->pdev->dev;
	u32 magic = vmmio_read(vm, VIRTIO_MMIO_MAGIC_VALUE);

	if (magic != VMMIO_MAGIC) {
		dev_err(dev, "no virtio-mmio device here: magic value 0x%08x\n", magic);
		return -ENODEV;
	}
	vm->version = vmmio_read(vm, VIRTIO_MMIO_VERSION);
	switch (vm->version) {
	case 1:
		vm->layout = &vmmio_legacy_layout;
		break;
	case 2:
		vm->layout = &vmmio_modern_layout;
		break;
	default:
		dev_err(dev, "unsupported virtio-mmio version %u\n", vm->version);
		return -ENODEV;
	}
	vm->vdev.id.device = vmmio_read(vm, VIRTIO_MMIO_DEVICE_ID);
	/* QEMU's virt board has 32 slots, most of them empty (ID 0) */
	if (!vm->vdev.id.device) {
		dev_dbg(dev, "empty slot\n");
		return -ENODEV;
	}
	vm->vdev.id.vendor = vmmio_read(vm, VIRTIO_MMIO_VENDOR_ID);
	return 0;
}

static int vmmio_set_dma_mask(struct vmmio_device *vm)
{
	struct device *dev = &vm->pdev->dev;
	int err;

	err = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(vm->layout->dma_bits));
	if (err)
		dev_err(dev, "cannot use %u-bit DMA addresses for a %s device\n",
			vm->layout->dma_bits, vm->layout->name);
	return err;
}

static int vmmio_probe(struct platform_device *pdev)
{
	struct vmmio_device *vm;
	struct resource *res;
	void __iomem *base;
	int irq, err;

	base = devm_platform_get_and_ioremap_resource(pdev, 0, &res);
	if (IS_ERR(base))
		return PTR_ERR(base);
	irq = platform_get_irq(pdev, 0);
	if (irq < 0)
		return irq;
	/*
	 * A device tree (or device=) may give a window too small for the
	 * registers: reading them would go past what was mapped.
	 */
	if (resource_size(res) < VIRTIO_MMIO_CONFIG) {
		dev_err(&pdev->dev, "register window %pR is smaller than the 0x%x bytes of the registers\n",
			res, VIRTIO_MMIO_CONFIG);
		return -EINVAL;
	}

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return -ENOMEM;
	vm->pdev = pdev;
	vm->base = base;
	vm->irq = irq;
	vm->config_len = min_t(resource_size_t, resource_size(res) - VIRTIO_MMIO_CONFIG,
			       UINT_MAX);
	spin_lock_init(&vm->lock);
	INIT_LIST_HEAD(&vm->vqs);

	err = vmmio_identify(vm);
	if (!err)
		err = vmmio_set_dma_mask(vm);
	/* the fault knobs (test builds only): vmmio_release frees them */
	if (!err)
		err = vmmio_fault_add(vm);
	if (err) {
		kfree(vm);
		return err;
	}
	vm->layout->init(vm);
	vm->offered_features = vmmio_config_ops.get_features(&vm->vdev);

	vm->vdev.dev.parent = &pdev->dev;
	vm->vdev.dev.release = vmmio_release;
	vm->vdev.config = &vmmio_config_ops;
	platform_set_drvdata(pdev, vm);

	err = register_virtio_device(&vm->vdev);
	if (err) {
		/* the device core owns vm now: release() frees it */
		put_device(&vm->vdev.dev);
		return err;
	}
	vmmio_debugfs_add(vm);
	dev_info(&pdev->dev, "virtio device %u (vendor 0x%08x), %s layout, irq %d\n",
		 vm->vdev.id.device, vm->vdev.id.vendor, vm->layout->name, irq);
	return 0;
}

static void vmmio_remove(struct platform_device *pdev)
{
	struct vmmio_device *vm = platform_get_drvdata(pdev);

	vmmio_debugfs_remove(vm);
	/* keep vm alive until the interrupt is surely gone */
	get_device(&vm->vdev.dev);
	unregister_virtio_device(&vm->vdev);
	vmmio_irq_release(vm);
	put_device(&vm->vdev.dev);
}

#ifdef CONFIG_PM_SLEEP
static int vmmio_freeze(struct device *dev)
{
	struct vmmio_device *vm = dev_get_drvdata(dev);

	return virtio_device_freeze(&vm->vdev);
}

static int vmmio_restore(struct device *dev)
{
	struct vmmio_device *vm = dev_get_drvdata(dev);

	/* a legacy device forgot its page size with the reset */
	vm->layout->init(vm);
	return virtio_device_restore(&vm->vdev);
}
#endif

static const struct dev_pm_ops vmmio_pm_ops = {
	SET_SYSTEM_SLEEP_PM_OPS(vmmio_freeze, vmmio_restore)
};

static const struct of_device_id vmmio_of_match[] = {
	{ .compatible = "virtio,mmio" },
	{ }
};
MODULE_DEVICE_TABLE(of, vmmio_of_match);

#ifdef CONFIG_ACPI
static const struct acpi_device_id vmmio_acpi_match[] = {
	{ "LNRO0005" },
	{ }
};
MODULE_DEVICE_TABLE(acpi, vmmio_acpi_match);
#endif

static struct platform_driver vmmio_driver = {
	.probe = vmmio_probe,
	VMMIO_PLATFORM_REMOVE(vmmio_remove),
	.driver = {
		.name = KBUILD_MODNAME,
		.of_match_table = vmmio_of_match,
		.acpi_match_table = ACPI_PTR(vmmio_acpi_match),
		.pm = &vmmio_pm_ops,
	},
};

static int __init vmmio_init(void)
{
	int err;

	vmmio_debugfs_init();
	err = platform_driver_register(&vmmio_driver);
	if (err)
		goto out_debugfs;
	err = vmmio_cmdline_register();
	if (err)
		goto out_driver;
	return 0;

out_driver:
	platform_driver_unregister(&vmmio_driver);
out_debugfs:
	vmmio_debugfs_exit();
	return err;
}

static void __exit vmmio_exit(void)
{
	vmmio_cmdline_unregister();
	platform_driver_unregister(&vmmio_driver);
	vmmio_debugfs_exit();
}

module_init(vmmio_init);
module_exit(vmmio_exit);

MODULE_DESCRIPTION("virtio-mmio transport (out of tree)");
MODULE_LICENSE("GPL");
