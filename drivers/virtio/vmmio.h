/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmmio: private definitions shared by the transport's files.
 *
 * main.c     platform driver: probe, remove, power management
 * irq.c      the interrupt handler; taking and giving back the line
 * layout.c   the two register layouts (legacy v1, modern v2), one ops table each
 * config.c   the virtio_config_ops the virtio core calls
 * cmdline.c  the device=<size>@<base>:<irq>[:<id>] module parameter
 * debugfs.c  introspection (info), read-only
 * fault.c    the fault knobs that make the device lie, for the tests only
 *            ("make VMMIO_FAULT=1"; otherwise the hooks below are stubs)
 */
#ifndef VMMIO_H
#define VMMIO_H

#include <linux/io.h>
#include <linux/list.h>
#include <linux/platform_device.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "vmmio_compat.h"

/* "virt" as a little-endian word */
#define VMMIO_MAGIC		0x74726976

/* how long a reset may take before we call the device broken */
#define VMMIO_RESET_TIMEOUT_MS	100

struct vmmio_device;

/*
 * What differs between the legacy (version 1) and the modern (version 2)
 * register layouts.  Everything else is common code.
 */
struct vmmio_layout {
	const char *name;
	/* width of DMA addresses the layout can carry */
	unsigned int dma_bits;
	/* one-time set-up after probe and after resume (legacy: page size) */
	void (*init)(struct vmmio_device *vm);
	void (*config_get)(struct vmmio_device *vm, unsigned int offset,
			   void *buf, unsigned int len);
	void (*config_set)(struct vmmio_device *vm, unsigned int offset,
			   const void *buf, unsigned int len);
	u32 (*generation)(struct vmmio_device *vm);
	/* checks of the negotiated features the layout needs */
	int (*check_features)(struct vmmio_device *vm);
	/* is the selected queue already in use? */
	bool (*queue_in_use)(struct vmmio_device *vm);
	/* give the selected queue's rings to the device */
	int (*queue_activate)(struct vmmio_device *vm, struct virtqueue *vq);
	/* take the selected queue back from the device */
	void (*queue_deactivate)(struct vmmio_device *vm);
	bool (*get_shm_region)(struct vmmio_device *vm,
			       struct virtio_shm_region *region, u8 id);
};

extern const struct vmmio_layout vmmio_legacy_layout;
extern const struct vmmio_layout vmmio_modern_layout;

/* vmmio_device.irq_flags */
enum {
	VMMIO_IRQ_MASKED,	/* masked until a reset (vmmio_note_needs_reset) */
};

/* per-virtqueue state: the ring and its counters */
struct vmmio_vq {
	struct virtqueue *vq;
	struct list_head node;
	/*
	 * driver -> device kicks, counted on the kicking CPU: a kick may
	 * come from any CPU, and a shared atomic would bounce its cache
	 * line between them on every one; debugfs adds them up
	 */
	u64 __percpu *notifications;
	u64 interrupts;		/* used-buffer interrupts (under vm->lock) */
};

struct vmmio_stats {
	u64 interrupts;		/* handled, with a status bit set */
	u64 spurious;		/* InterruptStatus read 0 */
	u64 fast_acks;		/* served without reading InterruptStatus */
	u64 config_changes;
	u64 needs_reset;	/* config changes with DEVICE_NEEDS_RESET */
};

struct vmmio_fault;

struct vmmio_device {
	struct virtio_device vdev;
	struct platform_device *pdev;
	void __iomem *base;
	const struct vmmio_layout *layout;
	u32 version;
	unsigned int config_len;	/* bytes of config space in the window */
	int irq;
	bool irq_requested;
	bool irq_level;		/* the line is level-triggered (see vmmio_interrupt) */
	unsigned int irq_fast_run;	/* vmmio_interrupt_fast() in a row */
	unsigned long irq_flags;	/* VMMIO_IRQ_* bits */
	bool pinned;		/* holds a module reference (vmmio_pin) */

	/* the device's virtqueues; the interrupt handler walks this list */
	spinlock_t lock;
	struct list_head vqs;

	u64 offered_features;	/* as read at probe, for debugfs */
	struct vmmio_stats stats;
	struct dentry *debugfs;
#ifdef VMMIO_FAULT
	struct vmmio_fault *fault;	/* fault.c's, from probe to release */
#endif
};

static inline struct vmmio_device *to_vmmio(struct virtio_device *vdev)
{
	return container_of(vdev, struct vmmio_device, vdev);
}

static inline u32 vmmio_read(struct vmmio_device *vm, unsigned int reg)
{
	return readl(vm->base + reg);
}

static inline void vmmio_write(struct vmmio_device *vm, unsigned int reg,
			       u32 val)
{
	writel(val, vm->base + reg);
}

/* a 64-bit value through a LOW/HIGH register pair */
static inline void vmmio_write64(struct vmmio_device *vm, unsigned int low,
				 unsigned int high, u64 val)
{
	writel(lower_32_bits(val), vm->base + low);
	writel(upper_32_bits(val), vm->base + high);
}

/* config.c */
extern const struct virtio_config_ops vmmio_config_ops;

/* irq.c */
int vmmio_irq_request(struct vmmio_device *vm);
void vmmio_irq_release(struct vmmio_device *vm);
void vmmio_irq_unmask(struct vmmio_device *vm);

/* cmdline.c */
int vmmio_cmdline_register(void);
void vmmio_cmdline_unregister(void);

/* debugfs.c */
void vmmio_debugfs_init(void);
void vmmio_debugfs_exit(void);
void vmmio_debugfs_add(struct vmmio_device *vm);
void vmmio_debugfs_remove(struct vmmio_device *vm);

/*
 * fault.c: the hooks of the fault knobs.  Without VMMIO_FAULT (the
 * product) they are the stubs below, which the compiler folds away: no
 * fault code and no test of a knob on the config-read or feature paths.
 */
#ifdef VMMIO_FAULT
/* the knobs of a new device, all inert; freed by vmmio_fault_remove */
int vmmio_fault_add(struct vmmio_device *vm);
void vmmio_fault_remove(struct vmmio_device *vm);
/* the config overrides, on @len bytes read at @offset into @buf */
void vmmio_fault_apply_cfg(struct vmmio_device *vm, unsigned int offset,
			   void *buf, unsigned int len);
/* the device's offered @features, as the knobs bend them */
u64 vmmio_fault_features(struct vmmio_device *vm, u64 features);
/* the driver's @features less those only a knob offered */
u64 vmmio_fault_driver_features(struct vmmio_device *vm, u64 features);
/* the fault/ directory, under the device's debugfs directory */
void vmmio_fault_debugfs_add(struct vmmio_device *vm);
#else
static inline int vmmio_fault_add(struct vmmio_device *vm)
{
	return 0;
}

static inline void vmmio_fault_remove(struct vmmio_device *vm)
{
}

static inline void vmmio_fault_apply_cfg(struct vmmio_device *vm,
					 unsigned int offset, void *buf,
					 unsigned int len)
{
}

static inline u64 vmmio_fault_features(struct vmmio_device *vm, u64 features)
{
	return features;
}

static inline u64 vmmio_fault_driver_features(struct vmmio_device *vm,
					      u64 features)
{
	return features;
}

static inline void vmmio_fault_debugfs_add(struct vmmio_device *vm)
{
}
#endif /* VMMIO_FAULT */

#endif /* VMMIO_H */
