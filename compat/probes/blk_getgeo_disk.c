// SPDX-License-Identifier: GPL-2.0
/* block_device_operations.getgeo takes the gendisk (6.18) */
#include <linux/blkdev.h>

static int probe_getgeo(struct gendisk *disk, struct hd_geometry *geo)
{
	return 0;
}

const struct block_device_operations probe_fops = {
	.getgeo = probe_getgeo,
};
