// SPDX-License-Identifier: GPL-2.0
/*
 * The probes' common ground: the headers they include and nothing whose
 * API changes.  If this does not compile, no probe result means anything
 * (compat/probe.sh stops the build).
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>

static int baseline(struct request_queue *q)
{
	return queue_logical_block_size(q);
}
