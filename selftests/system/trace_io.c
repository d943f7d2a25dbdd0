// SPDX-License-Identifier: GPL-2.0
/*
 * trace_io: the guest's I/O of "make trace" (tools/trace/).  One request
 * of each kind named, in order, on the block device DEV:
 *
 *   trace_io DEV OP...     OP: read (a 4 KiB O_DIRECT pread at byte
 *                          OFFSET), write (the same, pwrite), flush
 *                          (fsync on the device: the block layer sends
 *                          the device an empty flush)
 *
 * Each system call is framed by two lines in the kernel's trace buffer
 * (trace_marker): "trace_io: OP enter" right before it and "trace_io: OP
 * exit rc=N" right after, so the host can cut the trace into one
 * request's journey each.  The data read back is not checked: the point
 * is the path, not the content.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OFFSET	(1024 * 1024)	/* past the partition table's sectors */
#define BS	4096

static int marker = -1;

/* "trace_io: OP enter", or with @exit "trace_io: OP exit rc=RC" */
static void mark(const char *op, int exit, long rc)
{
	char buf[96];
	int n;

	if (exit)
		n = snprintf(buf, sizeof(buf), "trace_io: %s exit rc=%ld", op, rc);
	else
		n = snprintf(buf, sizeof(buf), "trace_io: %s enter", op);
	if (marker >= 0 && write(marker, buf, n) != n)
		perror("trace_io: trace_marker");
}

int main(int argc, char **argv)
{
	void *buf;
	int fd, i, err = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: trace_io DEV read|write|flush...\n");
		return 2;
	}
	marker = open("/sys/kernel/tracing/trace_marker", O_WRONLY);
	if (marker < 0)
		marker = open("/sys/kernel/debug/tracing/trace_marker", O_WRONLY);
	if (marker < 0)
		perror("trace_io: no trace_marker (the trace has no frames)");
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (posix_memalign(&buf, BS, BS)) {
		fprintf(stderr, "trace_io: no memory\n");
		return 1;
	}
	memset(buf, 0x5a, BS);
	for (i = 2; i < argc; i++) {
		const char *op = argv[i];
		long rc;

		if (strcmp(op, "read") && strcmp(op, "write") &&
		    strcmp(op, "flush")) {
			fprintf(stderr, "trace_io: unknown op '%s'\n", op);
			return 2;
		}
		mark(op, 0, 0);
		if (!strcmp(op, "read"))
			rc = pread(fd, buf, BS, OFFSET);
		else if (!strcmp(op, "write"))
			rc = pwrite(fd, buf, BS, OFFSET);
		else
			rc = fsync(fd);
		if (rc < 0)
			rc = -errno;
		mark(op, 1, rc);
		printf("# trace: %s rc=%ld\n", op, rc);
		if (rc < 0 || (strcmp(op, "flush") && rc != BS))
			err = 1;
	}
	free(buf);
	close(fd);
	return err;
}
