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
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/module.h>
#include <linux/mod_devicetable.h>
#include <linux/slab.h>
#include <linux/virtio_ring.h>

#include "vmmio.h"

/* status reads per interrupt: a device that never settles cannot hold us */
#define VMMIO_IRQ_ROUNDS	8

/*
 * A device in trouble sets DEVICE_NEEDS_RESET and raises a config-change
 * interrupt (QEMU's virtio_error() on a modern device).  Recovering is the
 * device driver's job, which sees the same interrupt; the transport says
 * it happened and counts it.
 */
static void vmmio_note_needs_reset(struct vmmio_device *vm)
{
	if (!(vmmio_read(vm, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET))
		return;
	WRITE_ONCE(vm->stats.needs_reset, vm->stats.needs_reset + 1);
	dev_warn_ratelimited(&vm->pdev->dev, "the device reports DEVICE_NEEDS_RESET\n");
}

/* one InterruptStatus value: the config change, then every ring */
static void vmmio_dispatch(struct vmmio_device *vm, int irq, u32 status)
{
	struct vmmio_vq *info;
	unsigned long flags;

	if (status & VIRTIO_MMIO_INT_CONFIG) {
		WRITE_ONCE(vm->stats.config_changes, vm->stats.config_changes + 1);
		vmmio_note_needs_reset(vm);
		virtio_config_changed(&vm->vdev);
	}
	if (status & VIRTIO_MMIO_INT_VRING) {
		/* one line for all queues: each ring tells if it has work */
		spin_lock_irqsave(&vm->lock, flags);
		list_for_each_entry(info, &vm->vqs, node) {
			if (vring_interrupt(irq, info->vq) == IRQ_HANDLED)
				info->interrupts++;
		}
		spin_unlock_irqrestore(&vm->lock, flags);
	}
}

/*
 * Read InterruptStatus, acknowledge exactly those bits, then dispatch;
 * and again until the status reads 0.  Acknowledging first means an
 * event that arrives while we dispatch sets its bit again and is not
 * lost.  Reading again closes the other window: a device that sets a bit
 * while our acknowledge is in flight (QEMU 10's iothreads do) can leave
 * its line up with nothing new to trigger an edge-triggered controller
 * (QEMU's virt board declares these lines rising-edge); an interrupt
 * that ends with the status at 0 leaves the next event a fresh edge.
 *
 * A level-triggered line needs no second look: while any status bit is
 * set the line stays asserted, and the controller delivers it again once
 * this handler returns.  That saves one register read, a trap to the
 * hypervisor, on every interrupt.
 */
static irqreturn_t vmmio_interrupt(int irq, void *opaque)
{
	struct vmmio_device *vm = opaque;
	unsigned int rounds, max_rounds = vm->irq_level ? 1 : VMMIO_IRQ_ROUNDS;
	u32 status;

	for (rounds = 0; rounds < max_rounds; rounds++) {
		status = vmmio_read(vm, VIRTIO_MMIO_INTERRUPT_STATUS);
		if (!status)
			break;
		vmmio_write(vm, VIRTIO_MMIO_INTERRUPT_ACK, status);
		WRITE_ONCE(vm->stats.interrupts, vm->stats.interrupts + 1);
		vmmio_dispatch(vm, irq, status);
	}
	if (!rounds) {
		/* another device on a shared line, or a stray edge */
		WRITE_ONCE(vm->stats.spurious, vm->stats.spurious + 1);
		return IRQ_NONE;
	}
	return IRQ_HANDLED;
}

/*
 * The interrupt is taken with the first virtqueue, as config-change events
 * only matter once a driver is bound, and given back with the last.
 */
int vmmio_irq_request(struct vmmio_device *vm)
{
	int err;

	if (vm->irq_requested)
		return 0;
	/* the type the firmware gave the line; unknown counts as edge */
	vm->irq_level = irq_get_trigger_type(vm->irq) & IRQ_TYPE_LEVEL_MASK;
	err = request_irq(vm->irq, vmmio_interrupt, IRQF_SHARED,
			  dev_name(&vm->pdev->dev), vm);
	if (err) {
		dev_err(&vm->pdev->dev, "cannot get interrupt %d: %d\n", vm->irq, err);
		return err;
	}
	vm->irq_requested = true;
	return 0;
}

void vmmio_irq_release(struct vmmio_device *vm)
{
	if (!vm->irq_requested)
		return;
	free_irq(vm->irq, vm);
	vm->irq_requested = false;
}

static void vmmio_release(struct device *dev)
{
	struct virtio_device *vdev = dev_to_virtio(dev);

	kfree(to_vmmio(vdev));
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
	spin_lock_init(&vm->fault.lock);
	INIT_LIST_HEAD(&vm->vqs);

	err = vmmio_identify(vm);
	if (!err)
		err = vmmio_set_dma_mask(vm);
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
