// SPDX-License-Identifier: GPL-2.0
/*
 * The two virtio-mmio register layouts, one ops table each (virtio 1.2,
 * 4.2.2 and 4.2.4).  Legacy devices (Version 1) take a queue as a page
 * frame number and expose guest-endian config space that is read byte by
 * byte; modern devices (Version 2) take three 64-bit ring addresses and a
 * Ready flag, and have little-endian config space with natural widths.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vmmio.h"

static void __iomem *vmmio_config_addr(struct vmmio_device *vm,
				       unsigned int offset)
{
	return vm->base + VIRTIO_MMIO_CONFIG + offset;
}

/* --- legacy (version 1) --- */

static void legacy_init(struct vmmio_device *vm)
{
	/* the device turns QueuePFN into an address with this page size */
	vmmio_write(vm, VIRTIO_MMIO_GUEST_PAGE_SIZE, PAGE_SIZE);
}

static void legacy_config_get(struct vmmio_device *vm, unsigned int offset,
			      void *buf, unsigned int len)
{
	u8 *p = buf;
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = readb(vmmio_config_addr(vm, offset + i));
}

static void legacy_config_set(struct vmmio_device *vm, unsigned int offset,
			      const void *buf, unsigned int len)
{
	const u8 *p = buf;
	unsigned int i;

	for (i = 0; i < len; i++)
		writeb(p[i], vmmio_config_addr(vm, offset + i));
}

static u32 legacy_generation(struct vmmio_device *vm)
{
	/* no ConfigGeneration register: the core retries on nothing */
	return 0;
}

static int legacy_check_features(struct vmmio_device *vm)
{
	return 0;
}

static bool legacy_queue_in_use(struct vmmio_device *vm)
{
	return vmmio_read(vm, VIRTIO_MMIO_QUEUE_PFN) != 0;
}

static int legacy_queue_activate(struct vmmio_device *vm, struct virtqueue *vq)
{
	dma_addr_t addr = virtqueue_get_desc_addr(vq);
	u64 pfn = (u64)addr >> PAGE_SHIFT;

	/* QueuePFN is 32 bits wide: the ring must sit below 2^(32+PAGE_SHIFT) */
	if (upper_32_bits(pfn)) {
		dev_err(&vm->pdev->dev,
			"queue %u at %pad is beyond what a legacy device can address\n",
			vq->index, &addr);
		return -E2BIG;
	}
	vmmio_write(vm, VIRTIO_MMIO_QUEUE_ALIGN, PAGE_SIZE);
	vmmio_write(vm, VIRTIO_MMIO_QUEUE_PFN, lower_32_bits(pfn));
	return 0;
}

static void legacy_queue_deactivate(struct vmmio_device *vm)
{
	vmmio_write(vm, VIRTIO_MMIO_QUEUE_PFN, 0);
}

static bool legacy_get_shm_region(struct vmmio_device *vm,
				  struct virtio_shm_region *region, u8 id)
{
	return false;
}

const struct vmmio_layout vmmio_legacy_layout = {
	.name = "legacy",
	.dma_bits = 32 + PAGE_SHIFT,
	.init = legacy_init,
	.config_get = legacy_config_get,
	.config_set = legacy_config_set,
	.generation = legacy_generation,
	.check_features = legacy_check_features,
	.queue_in_use = legacy_queue_in_use,
	.queue_activate = legacy_queue_activate,
	.queue_deactivate = legacy_queue_deactivate,
	.get_shm_region = legacy_get_shm_region,
};

/* --- modern (version 2) --- */

static void modern_init(struct vmmio_device *vm)
{
}

/*
 * The spec wants each config field read with its own width (4.2.2.2); a
 * 64-bit field is two 32-bit reads, made consistent by the generation
 * check in the virtio core.  The bytes are handed over in little-endian
 * order, as the core expects from a modern device.
 */
static void modern_config_get(struct vmmio_device *vm, unsigned int offset,
			      void *buf, unsigned int len)
{
	void __iomem *addr = vmmio_config_addr(vm, offset);
	__le16 w;
	__le32 l[2];

	switch (len) {
	case 1:
		*(u8 *)buf = readb(addr);
		return;
	case 2:
		w = cpu_to_le16(readw(addr));
		memcpy(buf, &w, sizeof(w));
		return;
	case 4:
		l[0] = cpu_to_le32(readl(addr));
		memcpy(buf, l, sizeof(l[0]));
		return;
	case 8:
		l[0] = cpu_to_le32(readl(addr));
		l[1] = cpu_to_le32(readl(addr + 4));
		memcpy(buf, l, sizeof(l));
		return;
	default:
		/* not a field width: fall back to bytes */
		legacy_config_get(vm, offset, buf, len);
	}
}

static void modern_config_set(struct vmmio_device *vm, unsigned int offset,
			      const void *buf, unsigned int len)
{
	void __iomem *addr = vmmio_config_addr(vm, offset);
	__le16 w;
	__le32 l[2];

	switch (len) {
	case 1:
		writeb(*(const u8 *)buf, addr);
		return;
	case 2:
		memcpy(&w, buf, sizeof(w));
		writew(le16_to_cpu(w), addr);
		return;
	case 4:
		memcpy(l, buf, sizeof(l[0]));
		writel(le32_to_cpu(l[0]), addr);
		return;
	case 8:
		memcpy(l, buf, sizeof(l));
		writel(le32_to_cpu(l[0]), addr);
		writel(le32_to_cpu(l[1]), addr + 4);
		return;
	default:
		legacy_config_set(vm, offset, buf, len);
	}
}

static u32 modern_generation(struct vmmio_device *vm)
{
	return vmmio_read(vm, VIRTIO_MMIO_CONFIG_GENERATION);
}

static int modern_check_features(struct vmmio_device *vm)
{
	/* a version 2 device speaks virtio 1.x only (4.2.3.1.1) */
	if (!__virtio_test_bit(&vm->vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vm->pdev->dev,
			"modern virtio-mmio device does not offer VIRTIO_F_VERSION_1\n");
		return -EINVAL;
	}
	return 0;
}

static bool modern_queue_in_use(struct vmmio_device *vm)
{
	return vmmio_read(vm, VIRTIO_MMIO_QUEUE_READY) != 0;
}

static int modern_queue_activate(struct vmmio_device *vm, struct virtqueue *vq)
{
	vmmio_write64(vm, VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH,
		      virtqueue_get_desc_addr(vq));
	vmmio_write64(vm, VIRTIO_MMIO_QUEUE_AVAIL_LOW, VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
		      virtqueue_get_avail_addr(vq));
	vmmio_write64(vm, VIRTIO_MMIO_QUEUE_USED_LOW, VIRTIO_MMIO_QUEUE_USED_HIGH,
		      virtqueue_get_used_addr(vq));
	vmmio_write(vm, VIRTIO_MMIO_QUEUE_READY, 1);
	return 0;
}

static void modern_queue_deactivate(struct vmmio_device *vm)
{
	vmmio_write(vm, VIRTIO_MMIO_QUEUE_READY, 0);
	if (vmmio_read(vm, VIRTIO_MMIO_QUEUE_READY))
		dev_warn(&vm->pdev->dev, "device keeps a queue ready after release\n");
}

static u64 modern_read64(struct vmmio_device *vm, unsigned int low,
			 unsigned int high)
{
	u64 lo = vmmio_read(vm, low);

	return lo | (u64)vmmio_read(vm, high) << 32;
}

static bool modern_get_shm_region(struct vmmio_device *vm,
				  struct virtio_shm_region *region, u8 id)
{
	u64 len, addr;

	vmmio_write(vm, VIRTIO_MMIO_SHM_SEL, id);
	len = modern_read64(vm, VIRTIO_MMIO_SHM_LEN_LOW, VIRTIO_MMIO_SHM_LEN_HIGH);
	/* all ones: no region with this id (4.2.2) */
	if (len == U64_MAX)
		return false;
	addr = modern_read64(vm, VIRTIO_MMIO_SHM_BASE_LOW, VIRTIO_MMIO_SHM_BASE_HIGH);
	region->len = len;
	region->addr = addr;
	return true;
}

const struct vmmio_layout vmmio_modern_layout = {
	.name = "modern",
	.dma_bits = 64,
	.init = modern_init,
	.config_get = modern_config_get,
	.config_set = modern_config_set,
	.generation = modern_generation,
	.check_features = modern_check_features,
	.queue_in_use = modern_queue_in_use,
	.queue_activate = modern_queue_activate,
	.queue_deactivate = modern_queue_deactivate,
	.get_shm_region = modern_get_shm_region,
};
