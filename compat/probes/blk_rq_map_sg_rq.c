// SPDX-License-Identifier: GPL-2.0
/* blk_rq_map_sg() takes the request alone, not its queue (6.15) */
#include <linux/blk-mq.h>
#include <linux/scatterlist.h>

static int probe_map_sg(struct request *rq, struct scatterlist *sgl)
{
	return blk_rq_map_sg(rq, sgl);
}
