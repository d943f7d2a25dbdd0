// SPDX-License-Identifier: GPL-2.0
/* queue_limits_commit_update_frozen() exists (6.15, Debian 6.12.48) */
#include <linux/blkdev.h>

static int probe_commit(struct request_queue *q, struct queue_limits *lim)
{
	return queue_limits_commit_update_frozen(q, lim);
}
