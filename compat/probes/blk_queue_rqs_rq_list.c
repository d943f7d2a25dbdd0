// SPDX-License-Identifier: GPL-2.0
/* blk_mq_ops.queue_rqs takes a struct rq_list (6.13, Debian 6.12.25) */
#include <linux/blk-mq.h>

static void probe_queue_rqs(struct rq_list *rqlist)
{
}

struct blk_mq_ops probe_ops = {
	.queue_rqs = probe_queue_rqs,
};
