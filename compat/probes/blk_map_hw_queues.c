// SPDX-License-Identifier: GPL-2.0
/* blk_mq_map_hw_queues() exists (6.14, Debian 6.12.25) */
#include <linux/blk-mq.h>

static void probe_map(struct blk_mq_queue_map *qmap, struct device *dev)
{
	blk_mq_map_hw_queues(qmap, dev, 0);
}
