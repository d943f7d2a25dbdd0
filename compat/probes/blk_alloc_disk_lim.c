// SPDX-License-Identifier: GPL-2.0
/* blk_mq_alloc_disk() takes the queue limits (6.9; before: set, data) */
#include <linux/blk-mq.h>

static struct gendisk *probe_alloc(struct blk_mq_tag_set *set, struct queue_limits *lim)
{
	return blk_mq_alloc_disk(set, lim, NULL);
}
