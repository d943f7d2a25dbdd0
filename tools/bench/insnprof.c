// SPDX-License-Identifier: GPL-2.0
/*
 * insnprof: a QEMU TCG plugin that counts the guest instructions executed
 * per translation block, for "make bench PROFILE=1".
 *
 * Under -icount the guest's clock is its instruction count, so this count
 * is exactly what the benchmark's guest-measured figures are made of.
 * Each execution of a block adds the block's length to the block's
 * counter (an inline add: no callback on the hot path).  Whenever a block
 * that starts at the address given as trigger= runs (the guest kernel's
 * sync(2) entry, called by the guest around each fio job), the counters
 * are written to OUT.N (N = 0, 1, ...): "vaddr insns" lines for every
 * block that ran since boot, in hexadecimal vaddr, decimal count.  The
 * host diffs consecutive snapshots (tools/bench/bench-profile.py).
 *
 * Arguments: trigger=HEXADDR,out=PATH-PREFIX
 * Build: cc -shared -fPIC -O2 -I<dir of qemu-plugin.h> -o insnprof.so insnprof.c
 *
 * Counters are plain adds; with -icount QEMU runs the vCPUs in one thread
 * (round robin), so they are exact there.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct block {
	uint64_t vaddr;
	uint64_t insns;		/* instructions executed in this block */
	unsigned int len;	/* the block's length in instructions */
	int used;
};

/* a power of two; fixed, as translated code holds pointers into it */
#define TABLE_SIZE	((size_t)1 << 20)

static struct block *table;
static size_t table_used;
static uint64_t trigger;
static const char *out_prefix = "insnprof";
static unsigned int snapshots;

/* open addressing stays short while a tenth of the slots is free */
static int table_full(void)
{
	return table_used * 10 >= TABLE_SIZE * 9;
}

/*
 * The counter of block (@vaddr, @len), made on first sight; NULL once the
 * table is full: new blocks then go uncounted (reported at exit).
 */
static struct block *lookup(uint64_t vaddr, unsigned int len)
{
	size_t i = (size_t)((vaddr >> 2) * 0x9E3779B97F4A7C15ull + len) & (TABLE_SIZE - 1);

	while (table[i].used && (table[i].vaddr != vaddr || table[i].len != len))
		i = (i + 1) & (TABLE_SIZE - 1);
	if (!table[i].used) {
		if (table_full())
			return NULL;
		table[i].used = 1;
		table[i].vaddr = vaddr;
		table[i].len = len;
		table_used++;
	}
	return &table[i];
}

static void snapshot(unsigned int vcpu, void *udata)
{
	char path[4096];
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s.%u", out_prefix, snapshots++);
	f = fopen(path, "w");
	if (!f)
		return;
	for (i = 0; i < TABLE_SIZE; i++)
		if (table[i].used && table[i].insns)
			fprintf(f, "%" PRIx64 " %" PRIu64 "\n",
				table[i].vaddr, table[i].insns);
	fclose(f);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	unsigned int len = qemu_plugin_tb_n_insns(tb);
	struct block *b = lookup(vaddr, len);

	if (b)
		qemu_plugin_register_vcpu_tb_exec_inline(tb,
			QEMU_PLUGIN_INLINE_ADD_U64, &b->insns, len);
	if (trigger && vaddr == trigger)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, snapshot,
			QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "insnprof: %u snapshots, %zu blocks%s\n",
		 snapshots, table_used,
		 table_full() ? " (table full)" : "");
	qemu_plugin_outs(msg);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "trigger=", 8)) {
			trigger = strtoull(argv[i] + 8, NULL, 16);
		} else if (!strncmp(argv[i], "out=", 4)) {
			out_prefix = argv[i] + 4;
		} else {
			fprintf(stderr, "insnprof: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	table = calloc(TABLE_SIZE, sizeof(*table));
	if (!table)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
