// SPDX-License-Identifier: GPL-2.0
/* platform_driver.remove returns void (6.11; before: .remove_new) */
#include <linux/platform_device.h>

static void probe_remove(struct platform_device *pdev)
{
}

struct platform_driver probe_driver = {
	.remove = probe_remove,
};
