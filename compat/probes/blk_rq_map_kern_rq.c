// SPDX-License-Identifier: GPL-2.0
/* blk_rq_map_kern() takes the request alone, not its queue (6.16) */
#include <linux/blk-mq.h>

static int probe_map_kern(struct request *rq, void *buf, unsigned int len)
{
	return blk_rq_map_kern(rq, buf, len, GFP_KERNEL);
}
