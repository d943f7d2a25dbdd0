// SPDX-License-Identifier: GPL-2.0
/*
 * vmmio interrupt: one line per device, for the config change and every
 * ring.  The line is taken with the first virtqueue (vmmio_config.c) and
 * given back with the last.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/virtio_ring.h>

#include "vmmio.h"

/* status reads per interrupt: a device that never settles cannot hold us */
#define VMMIO_IRQ_ROUNDS	8

/*
 * A device in trouble sets DEVICE_NEEDS_RESET and raises a config-change
 * interrupt (QEMU's virtio_error() on a modern device).  Recovering is the
 * device driver's job, which sees the same interrupt; the transport says
 * it happened and counts it.
 *
 * On a level-triggered line it also masks the line until the reset.  QEMU
 * marks such a device broken, and a broken device no longer updates its
 * line (virtio_notify_vector() returns early, so does the update behind
 * InterruptACK): the line stays asserted while InterruptStatus reads 0,
 * every delivery finds nothing to do, and the kernel ends up disabling the
 * line as one nobody cares about, for good.  vmmio_irq_unmask() undoes
 * this once the reset has lowered the line.
 */
static void vmmio_note_needs_reset(struct vmmio_device *vm)
{
	if (!(vmmio_read(vm, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET))
		return;
	WRITE_ONCE(vm->stats.needs_reset, vm->stats.needs_reset + 1);
	dev_warn_ratelimited(&vm->pdev->dev, "the device reports DEVICE_NEEDS_RESET\n");
	if (vm->irq_level && !test_and_set_bit(VMMIO_IRQ_MASKED, &vm->irq_flags)) {
		disable_irq_nosync(vm->irq);
		dev_warn(&vm->pdev->dev, "interrupt %d masked until the device is reset\n",
			 vm->irq);
	}
}

static bool fast_ack = true;
module_param(fast_ack, bool, 0444);
MODULE_PARM_DESC(fast_ack,
		 "on a level-triggered line, acknowledge used buffers before reading InterruptStatus (default: on)");

/*
 * Consecutive interrupts served without reading InterruptStatus: after
 * this many the handler reads it, so that a config change waiting behind
 * a steady stream of used buffers is seen within a bounded delay.
 */
#define VMMIO_IRQ_FAST_MAX	16

/* used buffers, on every ring (one line for all): did any have work? */
static bool vmmio_dispatch_vrings(struct vmmio_device *vm, int irq)
{
	struct vmmio_vq *info;
	unsigned long flags;
	bool work = false;

	spin_lock_irqsave(&vm->lock, flags);
	list_for_each_entry(info, &vm->vqs, node) {
		if (vring_interrupt(irq, info->vq) == IRQ_HANDLED) {
			info->interrupts++;
			work = true;
		}
	}
	spin_unlock_irqrestore(&vm->lock, flags);
	return work;
}

/* one InterruptStatus value: the config change, then every ring */
static void vmmio_dispatch(struct vmmio_device *vm, int irq, u32 status)
{
	if (status & VIRTIO_MMIO_INT_CONFIG) {
		WRITE_ONCE(vm->stats.config_changes, vm->stats.config_changes + 1);
		vmmio_note_needs_reset(vm);
		virtio_config_changed(&vm->vdev);
	}
	if (status & VIRTIO_MMIO_INT_VRING)
		vmmio_dispatch_vrings(vm, irq);
}

/*
 * The fast path, level-triggered lines only: acknowledge the used-buffer
 * bit without reading InterruptStatus, then look at the rings.  If they
 * had work, that was the interrupt, and it cost one trapping access where
 * reading first costs two.  Anything else goes on to the careful
 * path, which reads the status: rings with nothing new (a shared line, a
 * spurious delivery, or the config-change bit alone), and every
 * VMMIO_IRQ_FAST_MAX-th interrupt.  A config-change bit the fast path
 * leaves set keeps the level line asserted, so the controller delivers
 * again and the careful path sees it.  An edge line may not get that
 * second delivery, hence level only.
 */
static bool vmmio_interrupt_fast(struct vmmio_device *vm, int irq)
{
	if (!vm->irq_level || !fast_ack || vm->irq_fast_run >= VMMIO_IRQ_FAST_MAX)
		return false;
	vmmio_write(vm, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	if (!vmmio_dispatch_vrings(vm, irq))
		return false;
	vm->irq_fast_run++;
	WRITE_ONCE(vm->stats.interrupts, vm->stats.interrupts + 1);
	WRITE_ONCE(vm->stats.fast_acks, vm->stats.fast_acks + 1);
	return true;
}

/*
 * The careful path: read InterruptStatus, acknowledge exactly those bits,
 * then dispatch; and again until the status reads 0.  Acknowledging first
 * means an event that arrives while we dispatch sets its bit again and is
 * not lost.  Reading again closes the other window: a device that sets a
 * bit while our acknowledge is in flight (QEMU 10's iothreads do) can
 * leave its line up with nothing new to trigger an edge-triggered
 * controller (QEMU's virt board declares these lines rising-edge); an
 * interrupt that ends with the status at 0 leaves the next event a fresh
 * edge.
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

	if (vmmio_interrupt_fast(vm, irq))
		return IRQ_HANDLED;
	vm->irq_fast_run = 0;

	for (rounds = 0; rounds < max_rounds; rounds++) {
		status = vmmio_read(vm, VIRTIO_MMIO_INTERRUPT_STATUS);
		if (!status)
			break;
		vmmio_write(vm, VIRTIO_MMIO_INTERRUPT_ACK, status);
		WRITE_ONCE(vm->stats.interrupts, vm->stats.interrupts + 1);
		vmmio_dispatch(vm, irq, status);
	}
	if (!rounds) {
		/*
		 * Another device on a shared line, or a stray delivery; a
		 * line stuck high with nothing to report lands here every
		 * time, and the kernel's spurious-interrupt check needs to
		 * see it
		 */
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
	vm->irq_fast_run = 0;
	err = request_irq(vm->irq, vmmio_interrupt, IRQF_SHARED,
			  dev_name(&vm->pdev->dev), vm);
	if (err) {
		dev_err(&vm->pdev->dev, "cannot get interrupt %d: %d\n", vm->irq, err);
		return err;
	}
	vm->irq_requested = true;
	return 0;
}

/*
 * After a reset: a line vmmio_note_needs_reset() masked is low again (the
 * reset clears the status and QEMU's broken mark), so give it back.  A
 * handler that read DEVICE_NEEDS_RESET just before the reset may still be
 * about to mask it: wait for that one first.
 */
void vmmio_irq_unmask(struct vmmio_device *vm)
{
	if (!vm->irq_requested)
		return;
	synchronize_irq(vm->irq);
	if (test_and_clear_bit(VMMIO_IRQ_MASKED, &vm->irq_flags))
		enable_irq(vm->irq);
}

void vmmio_irq_release(struct vmmio_device *vm)
{
	if (!vm->irq_requested)
		return;
	/* free_irq() wants the line as request_irq() left it */
	vmmio_irq_unmask(vm);
	free_irq(vm->irq, vm);
	vm->irq_requested = false;
}
