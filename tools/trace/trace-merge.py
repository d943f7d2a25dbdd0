#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""trace-merge.py: the guest's and QEMU's traces of "make trace" on one
time line (tools/trace/trace.sh runs it).

Inputs: the guest console (the kernel's trace buffer between "# trace:
guest begin" and "# trace: guest end", framed per request by trace_io's
trace_marker lines "trace_io: OP enter" / "trace_io: OP exit rc=N") and
QEMU's log-backend trace ("TID@SECONDS.MICROSECONDS:event args", with
-msg timestamp=on).

The two clocks: the guest's trace clock (its counter, which TCG drives
from the host's clock) and the host's wall clock differ by an offset D
(host = guest + D).  Events both sides see bound D:
  - the guest's kick (vblk_kick) comes before QEMU sees the QueueNotify
    (virtio_mmio_write_offset at 0x50, or virtio_queue_notify where an
    emulated ioeventfd takes the write): D <= t_qemu - t_guest;
  - QEMU raises the interrupt (virtio_mmio_setting_irq, IRQ 1) before
    the guest's handler runs (irq_handler_entry): D >= t_qemu - t_guest;
  - the handler's InterruptStatus reads and InterruptACK write
    (virtio_mmio_read 0x60, virtio_mmio_write_offset 0x64) happen between
    irq_handler_entry and irq_handler_exit: both bounds.
D is the middle of the interval these leave; its half-width is the
alignment's uncertainty, printed with the waterfall.  An empty interval
(the bounds cross) is an error: the hops' order would be a guess.

Output: per request (read, write, flush) one line per hop, named as the
tracepoint or trace event is in the kernel's or QEMU's source, with its
start (microseconds from the system call's entry) and its duration (until
the next hop); and an SVG of the same (plain SVG, no dependency).
"""
import argparse
import re
import sys
from xml.sax.saxutils import escape

GUEST_RE = re.compile(
    r'^\s*(?P<task>.+?)-(?P<pid>\d+)\s+(?:\(\s*\S+\)\s+)?\[(?P<cpu>\d+)\]\s+'
    r'(?:\S+\s+)?(?P<ts>\d+\.\d+):\s+(?P<rest>.*)$')
# a system call event prints no name: "sys_pread64(fd: 4, ...)" on entry,
# "sys_pread64 -> 0x1000" on exit
SYS_ENTER_RE = re.compile(r'^sys_(?P<call>\w+)\((?P<args>.*)\)$')
SYS_EXIT_RE = re.compile(r'^sys_(?P<call>\w+) -> (?P<args>.*)$')
EVENT_RE = re.compile(r'^(?P<ev>\w+):\s?(?P<args>.*)$')
QEMU_RE = re.compile(r'^(?P<tid>\d+)@(?P<sec>\d+)\.(?P<usec>\d{6}):(?P<ev>\w+)\s?(?P<args>.*)$')
MARK_RE = re.compile(r'trace_io: (?P<op>read|write|flush) (?P<what>enter|exit)(?: rc=(?P<rc>-?\d+))?')

# virtio-mmio register offsets (the virtio spec's names, as QEMU's
# hw/virtio/virtio-mmio.c has them)
MMIO_REGS = {
    0x000: 'MagicValue', 0x004: 'Version', 0x008: 'DeviceID',
    0x00c: 'VendorID', 0x010: 'DeviceFeatures', 0x014: 'DeviceFeaturesSel',
    0x020: 'DriverFeatures', 0x024: 'DriverFeaturesSel',
    0x028: 'GuestPageSize', 0x030: 'QueueSel', 0x034: 'QueueNumMax',
    0x038: 'QueueNum', 0x03c: 'QueueAlign', 0x040: 'QueuePFN',
    0x044: 'QueueReady', 0x050: 'QueueNotify', 0x060: 'InterruptStatus',
    0x064: 'InterruptACK', 0x070: 'Status', 0x0fc: 'ConfigGeneration',
}

# what happens between a hop and the next, where the source says more
# than the event's name (the hop's note in the waterfall)
NOTES = {
    'vblk_kick': 'virtqueue_notify(): vmmio writes QueueNotify (an exit)',
    'virtio_queue_notify': 'virtio_blk_handle_output(): virtqueue_pop() maps the descriptors',
    'virtqueue_pop': 'descriptors mapped (dma_memory_map -> address_space_map)',
    'blk_co_preadv': 'BlockBackend -> raw format node -> file-posix node',
    'blk_co_pwritev': 'BlockBackend -> raw format node -> file-posix node',
    'thread_pool_submit': 'a worker thread runs the system call',
    'thread_pool_submit_aio': 'a worker thread runs the system call',
    'virtio_notify': 'virtio_mmio_update_irq(): InterruptStatus bit 0',
    'irq_handler_entry': "the transport's handler reads InterruptStatus",
    'block_rq_complete': 'blk_mq_end_request(): the bio ends, its waiter wakes',
}
WORKER_CALL = {'read': 'pread64 (handle_aiocb_rw)', 'write': 'pwrite64 (handle_aiocb_rw)',
               'flush': 'fdatasync (handle_aiocb_flush)'}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--console', required=True)
    p.add_argument('--qemu', required=True)
    p.add_argument('--svg', required=True)
    p.add_argument('--text', help='a copy of the waterfall')
    p.add_argument('--title', default='make trace')
    return p.parse_args()


def read_guest(path):
    """The guest's trace events: dicts with t (seconds), name, args, cpu."""
    events, inside = [], False
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if line.startswith('# trace: guest begin'):
                inside = True
                continue
            if line.startswith('# trace: guest end'):
                break
            if not inside or line.startswith('#'):
                continue
            m = GUEST_RE.match(line)
            if not m:
                continue
            rest = m['rest'].strip()
            s_in, s_out = SYS_ENTER_RE.match(rest), SYS_EXIT_RE.match(rest)
            if s_in:
                name, args = 'sys_enter_' + s_in['call'], s_in['args']
            elif s_out:
                name, args = 'sys_exit_' + s_out['call'], '-> ' + s_out['args']
            else:
                e = EVENT_RE.match(rest)
                if not e:
                    continue
                name, args = e['ev'], e['args']
            events.append({'t': float(m['ts']), 'name': name, 'args': args.strip(),
                           'side': 'guest', 'who': 'cpu%d' % int(m['cpu']), 'task': m['task'].strip()})
    if not inside:
        sys.exit('trace-merge: no "# trace: guest begin" in %s' % path)
    return events


def read_qemu(path):
    events = []
    with open(path, errors='replace') as f:
        for line in f:
            m = QEMU_RE.match(line.rstrip('\n'))
            if not m:
                continue
            events.append({'t': int(m['sec']) + int(m['usec']) / 1e6, 'name': m['ev'],
                           'args': m['args'].strip(), 'side': 'qemu', 'tid': int(m['tid'])})
    if not events:
        sys.exit('trace-merge: no timestamped QEMU events in %s (-msg timestamp=on?)' % path)
    return events


def mmio_offset(ev):
    m = re.search(r'offset 0x([0-9a-f]+)', ev['args'])
    return int(m.group(1), 16) if m else None


def hop_name(ev):
    """The hop as the source names it, with the register for MMIO."""
    n = ev['name']
    if n in ('virtio_mmio_read', 'virtio_mmio_write_offset'):
        off = mmio_offset(ev)
        return '%s %s' % (n, MMIO_REGS.get(off, '0x%x' % off if off is not None else '?'))
    if n == 'virtio_mmio_setting_irq':
        m = re.search(r'IRQ (\d+)', ev['args'])
        return n + (' level ' + m.group(1) if m else '')
    if n.startswith('block_') and ev['side'] == 'guest':
        # the request's flags (rwbs: R, W, FF for a flush, S sync, ...)
        f = ev['args'].split()
        return '%s %s' % (n, f[1]) if len(f) > 1 else n
    if n == 'tracing_mark_write':
        m = MARK_RE.search(ev['args'])
        return 'trace_io %s %s' % (m['op'], m['what']) if m else n
    return n


def is_notify(ev):
    return (ev['name'] == 'virtio_mmio_write_offset' and mmio_offset(ev) == 0x50) or \
        ev['name'] == 'virtio_queue_notify'


def split_ops(guest):
    """[(op, rc, [events from its enter marker to its exit marker])]"""
    ops, cur = [], None
    for ev in guest:
        m = MARK_RE.search(ev['args']) if ev['name'] == 'tracing_mark_write' else None
        if m and m['what'] == 'enter':
            cur = {'op': m['op'], 'events': [ev], 'rc': None}
        elif cur is not None:
            cur['events'].append(ev)
            if m and m['what'] == 'exit':
                cur['rc'] = int(m['rc']) if m['rc'] else None
                ops.append(cur)
                cur = None
    return ops


def align(ops, qemu):
    """The offset D (host = guest + D) and its half-width, from the bounds."""
    lo, hi, why = [], [], []
    # the rough offset: first kick against the first notify after the
    # first guest event's rough time (the bounds then pick the partners)
    kicks = [e for op in ops for e in op['events'] if e['name'] == 'vblk_kick']
    entries = [e for op in ops for e in op['events'] if e['name'] == 'irq_handler_entry']
    exits = [e for op in ops for e in op['events'] if e['name'] == 'irq_handler_exit']
    notifies = [e for e in qemu if is_notify(e)]
    irqs = [e for e in qemu if e['name'] == 'virtio_mmio_setting_irq' and
            re.search(r'IRQ 1', e['args'])]
    if not entries:
        sys.exit('trace-merge: no irq_handler_entry in the guest trace: nothing to align on')
    # The last ops' interrupts are the last ones QEMU raised: pair them
    # from the end (boot-time interrupts come first in QEMU's log).
    n = len(entries)
    if len(irqs) < n:
        sys.exit('trace-merge: the guest handled %d interrupts, QEMU raised %d' % (n, len(irqs)))
    for g, q in zip(entries, irqs[-n:]):
        lo.append(q['t'] - g['t'])
        why.append('irq')
    rough = max(lo)
    # each guest kick: the first notify at or after kick + rough - 2 ms
    for k in kicks:
        cand = [q for q in notifies if q['t'] >= k['t'] + rough - 0.002]
        if cand:
            hi.append(cand[0]['t'] - k['t'])
            why.append('kick')
    # the transport's register accesses inside each handler run (the
    # InterruptStatus read, the InterruptACK write, a second read where
    # the line is edge-triggered): each lies between entry and exit
    vcpu_mmio = [e for e in qemu if e['name'] in ('virtio_mmio_read', 'virtio_mmio_write_offset')
                 and mmio_offset(e) in (0x60, 0x64)]
    rough = max(lo)
    for g_in, g_out in zip(entries, exits):
        for q in vcpu_mmio:
            if g_in['t'] + rough - 0.0005 <= q['t'] <= g_out['t'] + rough + 0.0005:
                hi.append(q['t'] - g_in['t'])
                lo.append(q['t'] - g_out['t'])
    low = max(lo)
    high = min(hi) if hi else low
    if high < low - 1e-6:
        sys.exit('trace-merge: the clock bounds cross (D >= %.6f and D <= %.6f): '
                 'the two traces cannot be aligned' % (low, high))
    return (low + high) / 2, max(high - low, 0) / 2, len(lo) + len(hi)


def qemu_roles(qemu):
    """A name for each QEMU thread: vCPU (it made MMIO accesses), main
    (the process's first thread, the smallest id), or iothread/worker."""
    vcpus = {e['tid'] for e in qemu if e['name'].startswith('virtio_mmio_')
             and e['name'] != 'virtio_mmio_setting_irq'}
    main = min(e['tid'] for e in qemu)
    roles = {}
    for tid in sorted({e['tid'] for e in qemu}):
        if tid in vcpus:
            roles[tid] = 'vcpu%d' % len([v for v in roles.values() if v.startswith('vcpu')])
        elif tid == main:
            roles[tid] = 'main'
        else:
            roles[tid] = 'thread'
    # the main thread runs no vCPU; if the smallest id made MMIO accesses
    # it is still a vCPU (roles above), and the main loop is another
    return roles


def build(ops, qemu, d):
    roles = qemu_roles(qemu)
    out = []
    for op in ops:
        g = op['events']
        t0, t1 = g[0]['t'], g[-1]['t']
        # QEMU's events of this request: inside the system call's window
        q = [dict(e) for e in qemu if t0 + d <= e['t'] <= t1 + d]
        rows = []
        for i, e in enumerate(g):
            rows.append({'t': e['t'] - t0, 'side': 'guest', 'who': e['who'],
                         'name': hop_name(e), 'ev': e['name'], 'args': e['args'], 'seq': (0, i)})
        for i, e in enumerate(q):
            rows.append({'t': e['t'] - d - t0, 'side': 'qemu', 'who': roles[e['tid']],
                         'name': hop_name(e), 'ev': e['name'], 'args': e['args'], 'seq': (1, i)})
        rows.sort(key=lambda r: (r['t'], r['seq']))
        for i, r in enumerate(rows):
            r['dur'] = (rows[i + 1]['t'] - r['t']) if i + 1 < len(rows) else 0.0
            note = NOTES.get(r['ev'], '')
            if r['ev'] in ('thread_pool_submit', 'thread_pool_submit_aio'):
                note = 'a worker thread runs ' + WORKER_CALL[op['op']]
            r['note'] = note
        out.append({'op': op['op'], 'rc': op['rc'], 'total': t1 - t0, 'rows': rows})
    return out


def waterfall_text(title, d, err, npairs, reqs):
    lines = [title,
             'clocks: host = guest %+.6f s (+/- %.1f us, %d bounds from kicks, interrupts '
             'and the handlers\' register accesses)' % (d, err * 1e6, npairs),
             'start and duration in microseconds from the system call\'s entry; '
             'duration: until the next hop']
    for r in reqs:
        lines.append('')
        lines.append('== %s: %.1f us (rc=%s)' % (r['op'], r['total'] * 1e6, r['rc']))
        lines.append('  %9s %9s  %-5s %-7s %s' % ('start', 'duration', 'side', 'thread', 'hop'))
        for row in r['rows']:
            lines.append('  %9.1f %9.1f  %-5s %-7s %s%s' % (
                row['t'] * 1e6, row['dur'] * 1e6, row['side'], row['who'], row['name'],
                ('   -- ' + row['note']) if row['note'] else ''))
    return '\n'.join(lines) + '\n'


def svg(title, d, err, reqs):
    """One panel per request: a bar per hop from its start for its
    duration, guest hops in one colour, QEMU's in another."""
    rowh, left, width, top = 16, 430, 560, 40
    colours = {'guest': '#3a7bd5', 'qemu': '#e07b39'}
    parts, y = [], top
    for r in reqs:
        span = max(r['total'], 1e-6)
        parts.append('<text x="8" y="%d" font-weight="bold">%s</text>' % (
            y + 12, escape('%s: %.1f us (rc=%s)' % (r['op'], r['total'] * 1e6, r['rc']))))
        y += rowh + 4
        for row in r['rows']:
            x = left + width * max(row['t'], 0) / span
            w = max(width * row['dur'] / span, 1.0)
            parts.append('<text x="8" y="%d">%s</text>' % (
                y + 11, escape('%s %-7s %s' % (row['side'], row['who'], row['name']))))
            parts.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s">'
                         '<title>%s</title></rect>' % (
                             x, y + 2, w, rowh - 4, colours[row['side']],
                             escape('%s: start %.1f us, %.1f us%s' % (
                                 row['name'], row['t'] * 1e6, row['dur'] * 1e6,
                                 ('; ' + row['note']) if row['note'] else ''))))
            parts.append('<text x="%.1f" y="%d" font-size="10">%s</text>' % (
                min(x + w + 3, left + width + 5), y + 11,
                escape('%.1f us' % (row['dur'] * 1e6))))
            y += rowh
        y += rowh
    height = y + 20
    head = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'font-family="monospace" font-size="11">\n'
            '<rect width="100%%" height="100%%" fill="white"/>\n'
            '<text x="8" y="16" font-size="13" font-weight="bold">%s</text>\n'
            '<text x="8" y="32" font-size="10">%s</text>\n') % (
                left + width + 80, height, escape(title),
                escape('guest (blue) and QEMU (orange) on one clock: host = guest %+.6f s '
                       '+/- %.1f us; bars from the system call\'s entry' % (d, err * 1e6)))
    return head + '\n'.join(parts) + '\n</svg>\n'


def main():
    a = parse_args()
    guest = read_guest(a.console)
    qemu = read_qemu(a.qemu)
    ops = split_ops(guest)
    if not ops:
        sys.exit('trace-merge: no trace_io enter/exit frames in the guest trace')
    d, err, npairs = align(ops, qemu)
    reqs = build(ops, qemu, d)
    text = waterfall_text(a.title, d, err, npairs, reqs)
    sys.stdout.write(text)
    if a.text:
        with open(a.text, 'w') as f:
            f.write(text)
    with open(a.svg, 'w') as f:
        f.write(svg(a.title, d, err, reqs))


if __name__ == '__main__':
    main()
