// SPDX-License-Identifier: GPL-2.0
/*
 * BLK_MQ_F_SHOULD_MERGE still exists: a tag set asks for merging (gone
 * in 6.14, where every queue merges unless it opts out)
 */
#include <linux/blk-mq.h>

static unsigned int probe_flags(void)
{
	return BLK_MQ_F_SHOULD_MERGE;
}
