/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place for differences between the kernels this tree builds on
 * (Debian 6.1 and 6.12 and whatever KDIR names).  Drivers include this and
 * never test kernel versions themselves.  Differences are found by
 * compiling small probes against the kernel (scripts/probes/), not by
 * comparing version numbers: Debian backports API changes into its
 * stable kernels.
 */
#ifndef VMMIO_COMPAT_H
#define VMMIO_COMPAT_H

#include <linux/platform_device.h>

/* what the running kernel has, probed at build time (see ./Kbuild) */
#include "vmmio_probes.h"

/* platform_driver.remove returns void from 6.11; it was remove_new before */
#ifdef VMMIO_HAVE_PLATFORM_REMOVE_VOID
#define VMMIO_PLATFORM_REMOVE(fn)	.remove = (fn)
#else
#define VMMIO_PLATFORM_REMOVE(fn)	.remove_new = (fn)
#endif

#endif /* VMMIO_COMPAT_H */
