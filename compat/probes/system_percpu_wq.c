// SPDX-License-Identifier: GPL-2.0
/*
 * The system workqueues say how they are bound: system_percpu_wq and
 * system_dfl_wq (unbound), system_wq deprecated (6.17)
 */
#include <linux/workqueue.h>

static struct workqueue_struct *probe_wq(void)
{
	return system_percpu_wq;
}
