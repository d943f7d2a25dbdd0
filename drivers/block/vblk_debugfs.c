// SPDX-License-Identifier: GPL-2.0
/*
 * vblk debugfs: /sys/kernel/debug/vblk/<disk>/
 *   config  the device configuration as validated at probe
 *   queues  one line of counters per request virtqueue, then the totals
 *   recovery  timeouts, lost interrupts, resets, requeued and failed I/O
 *   fault/  fault-injection knobs, in VMMIO_FAULT=1 builds only
 *           (vblk_fault.c)
 *
 * The counters are updated under each queue's lock; each queue's line is
 * a consistent snapshot taken under it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/virtio_config.h>

#include "vblk.h"

static struct dentry *vblk_debugfs_root;

static int vblk_config_show(struct seq_file *m, void *unused)
{
	struct vblk *vblk = m->private;
	const struct vblk_cfg *c = &vblk->cfg;

	seq_printf(m, "capacity: %llu sectors\n", get_capacity(vblk->disk));
	seq_printf(m, "blk_size: %u\nphysical_block_size: %u\n",
		   c->blk_size, c->phys_block_size);
	seq_printf(m, "alignment_offset: %u\nio_min: %u\nio_opt: %u\n",
		   c->alignment_offset, c->io_min, c->io_opt);
	seq_printf(m, "seg_max: %u\nsize_max: %u\n", c->seg_max, c->size_max);
	if (c->has_geometry)
		seq_printf(m, "geometry: %u/%u/%u\n", c->cylinders, c->heads,
			   c->sectors);
	seq_printf(m, "read_only: %d\nflush: %d\nwrite_back: %d\n",
		   c->ro, c->flush, c->wce);
	seq_printf(m, "discard: max %u sectors, %u segments, granularity %u\n",
		   c->max_discard_sectors, c->max_discard_seg,
		   c->discard_granularity);
	seq_printf(m, "write_zeroes: max %u sectors, %u segments, may_unmap %d\n",
		   c->max_write_zeroes_sectors, c->max_write_zeroes_seg,
		   c->write_zeroes_may_unmap);
	seq_printf(m, "secure_erase: max %u sectors, %u segments\n",
		   c->max_secure_erase_sectors, c->max_secure_erase_seg);
	seq_printf(m, "queues: %u (%u polled), depth %u\n", vblk->nr_vqs,
		   vblk->nr_poll_vqs, vblk->tag_set.queue_depth);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vblk_config);

static void vblk_stats_line(struct seq_file *m, const char *name,
			    const struct vblk_vq_stats *s)
{
	seq_printf(m, "%-12s %10llu %10llu %8llu %8llu %8llu %8llu %6llu %6llu %6llu %8llu\n",
		   name, s->dispatched, s->completed,
		   s->dispatched - s->completed, s->irqs, s->polls,
		   s->ring_full, s->err_ioerr, s->err_unsupp, s->err_other,
		   s->batched);
}

static int vblk_queues_show(struct seq_file *m, void *unused)
{
	struct vblk *vblk = m->private;
	struct vblk_vq_stats sum = { 0 };
	unsigned int i;

	seq_printf(m, "%-12s %10s %10s %8s %8s %8s %8s %6s %6s %6s %8s\n",
		   "queue", "dispatched", "completed", "inflight", "irqs",
		   "polls", "full", "ioerr", "unsupp", "other", "batched");
	for (i = 0; i < vblk->nr_vqs; i++) {
		struct vblk_vq_stats s;

		spin_lock_irq(&vblk->vqs[i].lock);
		s = vblk->vqs[i].stats;
		spin_unlock_irq(&vblk->vqs[i].lock);
		vblk_stats_line(m, vblk->vqs[i].name, &s);
		sum.dispatched += s.dispatched;
		sum.completed += s.completed;
		sum.irqs += s.irqs;
		sum.polls += s.polls;
		sum.ring_full += s.ring_full;
		sum.err_ioerr += s.err_ioerr;
		sum.err_unsupp += s.err_unsupp;
		sum.err_other += s.err_other;
		sum.batched += s.batched;
	}
	vblk_stats_line(m, "total", &sum);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vblk_queues);

static int vblk_recovery_show(struct seq_file *m, void *unused)
{
	struct vblk *vblk = m->private;
	struct vblk_recovery *r = &vblk->rec;

	seq_printf(m, "state: %s\n", vblk_dead(vblk) ? "dead" :
		   test_bit(VBLK_REC_PENDING, &r->flags) ? "resetting" : "live");
	seq_printf(m, "timeouts: %lld\n", atomic64_read(&r->timeouts));
	seq_printf(m, "lost_irqs_recovered: %lld\n", atomic64_read(&r->lost_irqs));
	seq_printf(m, "needs_reset: %lld\n", atomic64_read(&r->needs_reset));
	seq_printf(m, "resets: %lld\n", atomic64_read(&r->resets));
	seq_printf(m, "failed_resets: %lld\n", atomic64_read(&r->failed_resets));
	seq_printf(m, "requeued: %lld\n", atomic64_read(&r->requeued));
	seq_printf(m, "failed: %lld\n", atomic64_read(&r->failed));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vblk_recovery);

void vblk_debugfs_add(struct vblk *vblk)
{
	if (!vblk_debugfs_root)
		return;
	vblk->debugfs = debugfs_create_dir(vblk->disk->disk_name,
					   vblk_debugfs_root);
	debugfs_create_file("config", 0444, vblk->debugfs, vblk,
			    &vblk_config_fops);
	debugfs_create_file("queues", 0444, vblk->debugfs, vblk,
			    &vblk_queues_fops);
	debugfs_create_file("recovery", 0444, vblk->debugfs, vblk,
			    &vblk_recovery_fops);
	vblk_fault_debugfs(vblk, vblk->debugfs);
}

/* waits for readers of the files, so vblk may go right after */
void vblk_debugfs_remove(struct vblk *vblk)
{
	debugfs_remove_recursive(vblk->debugfs);
	vblk->debugfs = NULL;
}

void vblk_debugfs_init(void)
{
	vblk_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(vblk_debugfs_root))
		vblk_debugfs_root = NULL;
}

void vblk_debugfs_exit(void)
{
	debugfs_remove_recursive(vblk_debugfs_root);
	vblk_debugfs_root = NULL;
}
