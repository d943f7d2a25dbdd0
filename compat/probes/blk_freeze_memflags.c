// SPDX-License-Identifier: GPL-2.0
/*
 * blk_mq_freeze_queue() enters a noio scope and returns the memalloc
 * flags it saved, which blk_mq_unfreeze_queue() takes back (6.14)
 */
#include <linux/blk-mq.h>

static void probe_freeze(struct request_queue *q)
{
	unsigned int memflags = blk_mq_freeze_queue(q);

	blk_mq_unfreeze_queue(q, memflags);
}
