// SPDX-License-Identifier: GPL-2.0
/*
 * The one place vblk's tracepoints are defined (vblk_trace.h); the
 * request path's files include the header to call them.
 */
#include "vblk.h"

#define CREATE_TRACE_POINTS
#include "vblk_trace.h"
