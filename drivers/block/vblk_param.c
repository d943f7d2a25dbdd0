// SPDX-License-Identifier: GPL-2.0
/*
 * vblk module parameters.  The unsigned ones share one setter that
 * refuses a value outside the parameter's range, saying why, so a typo
 * on the command line fails the load instead of running with a surprise.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "vblk.h"

static int vblk_param_set_uint(const char *val, const struct kernel_param *kp)
{
	struct vblk_param_uint *p = kp->arg;
	/* a sysfs write ends in a newline and may be a page of junk */
	int len = min_t(size_t, strcspn(val, "\n"), 32);
	unsigned int n;

	if (kstrtouint(val, 0, &n) || n < p->min || n > p->max) {
		pr_err("%s=%.*s%s refused: expected an integer from %u to %u\n",
		       kp->name, len, val, val[len] && val[len] != '\n' ? "..." : "",
		       p->min, p->max);
		return -EINVAL;
	}
	WRITE_ONCE(p->val, n);
	return 0;
}

static int vblk_param_get_uint(char *buf, const struct kernel_param *kp)
{
	const struct vblk_param_uint *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(p->val));
}

static const struct kernel_param_ops vblk_param_uint_ops = {
	.set = vblk_param_set_uint,
	.get = vblk_param_get_uint,
};

struct vblk_param_uint vblk_num_request_queues = { .max = 1024 };
module_param_cb(num_request_queues, &vblk_param_uint_ops,
		&vblk_num_request_queues, 0444);
MODULE_PARM_DESC(num_request_queues,
		 "most request virtqueues per disk, 0..1024 (0: one per CPU, the default)");

struct vblk_param_uint vblk_queue_depth = { .max = 4096 };
module_param_cb(queue_depth, &vblk_param_uint_ops, &vblk_queue_depth, 0444);
MODULE_PARM_DESC(queue_depth,
		 "tags per hardware queue, 0..4096 (0: from the ring size, the default)");

struct vblk_param_uint vblk_poll_queues = { .max = 1024 };
module_param_cb(poll_queues, &vblk_param_uint_ops, &vblk_poll_queues, 0444);
MODULE_PARM_DESC(poll_queues,
		 "polled request virtqueues for io_uring IOPOLL, 0..1024 (default 0), taken from what the device offers beyond one interrupt-driven queue");

/*
 * With the default io_timeout of 30 s, two more rounds reset a silent
 * device after 90 s: before the 120 s hung-task warning.
 */
struct vblk_param_uint vblk_timeout_rounds = { .val = 2, .max = 100 };
module_param_cb(timeout_rounds, &vblk_param_uint_ops, &vblk_timeout_rounds,
		0644);
MODULE_PARM_DESC(timeout_rounds,
		 "more timer periods a timed-out request gets from a healthy-looking device before it is reset, 0..100 (default 2)");

/*
 * The host schedules the I/O it does for a virtual disk, and the guest
 * side of one is a ring the device drains in order: a guest elevator
 * only adds work.  Above all, a single-queue disk with one bounces every
 * unplugged request (io_uring at QD1, say) through kblockd, a context
 * switch per I/O.  So every disk starts with "none", as multi-queue ones
 * get anyway; the parameter, or the queue's scheduler file, brings the
 * kernel's default back.
 */
bool vblk_io_scheduler;
module_param_named(io_scheduler, vblk_io_scheduler, bool, 0444);
MODULE_PARM_DESC(io_scheduler,
		 "give single-queue disks the kernel's default I/O scheduler (mq-deadline) instead of none (default: no)");
