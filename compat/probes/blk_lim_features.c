// SPDX-License-Identifier: GPL-2.0
/* queue_limits.features carries the write cache flag (6.11; before: setters) */
#include <linux/blkdev.h>

static void probe_features(struct queue_limits *lim)
{
	lim->features |= BLK_FEAT_WRITE_CACHE;
}
