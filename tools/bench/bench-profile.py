#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The report of "make bench PROFILE=1": guest instructions per I/O, by
kernel function, for each driver set, against intree.

Input (--dir, written by tools/bench/bench.sh): syms.log (the symbols boot:
"# ksym: ADDR NAME" lines, kernel text), and per set SET.log (its console:
the "# bench: {json}" job lines and the modules' "# ksym: ADDR NAME [MOD]"
lines) and SET.snap.N (tools/bench/insnprof.c's snapshots, "VADDR
INSNS" per translation block, cumulative since boot; the guest takes two
per job, at sync(2) calls around fio).

Instructions of a block are given to the symbol at or below its start
address; user space is one row, "[user]".  Under -icount the guest's clock
is its instruction count, so "instructions per I/O" is the cost the timed
benchmark measures, summed over both vCPUs, without noise.
"""
import argparse
import bisect
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import bench_records  # noqa: E402

KERNEL_BASE = 0xffff000000000000
KSYM = re.compile(r'^# ksym: ([0-9a-f]+) (\S+)(?: \[(\S+)\])?\s*$')


def read_syms(path):
    """(address, name) pairs of the "# ksym:" lines of a console log."""
    syms = []
    with open(path, errors='replace') as f:
        for line in f:
            m = KSYM.match(line.replace('\r', ''))
            if not m:
                continue
            addr = int(m.group(1), 16)
            if addr == 0:
                continue
            name = m.group(2) + (' [%s]' % m.group(3) if m.group(3) else '')
            syms.append((addr, name))
    return syms


def read_snap(path):
    counts = {}
    with open(path) as f:
        for line in f:
            a, n = line.split()
            addr = int(a, 16)
            counts[addr] = counts.get(addr, 0) + int(n)
    return counts


class Symbols:
    def __init__(self, syms):
        syms = sorted(set(syms))
        self.addrs = [a for a, _ in syms]
        self.names = [n for _, n in syms]

    def name(self, addr):
        if addr < KERNEL_BASE:
            return '[user]'
        i = bisect.bisect_right(self.addrs, addr) - 1
        return self.names[i] if i >= 0 else '[kernel?]'


def job_profile(symbols, before, after):
    """{function: instructions} executed between two snapshots"""
    prof = {}
    for addr, n in after.items():
        d = n - before.get(addr, 0)
        if d:
            f = symbols.name(addr)
            prof[f] = prof.get(f, 0) + d
    return prof


def load_set(d, s, core):
    log = os.path.join(d, s + '.log')
    if not os.path.exists(log):
        return None
    symbols = Symbols(core + read_syms(log))
    jobs = [r for r, _ in bench_records(log)
            if r and not r.get('job', '_').startswith('_')]
    out = {}
    for k, rec in enumerate(jobs):
        a = os.path.join(d, '%s.snap.%d' % (s, 2 * k))
        b = os.path.join(d, '%s.snap.%d' % (s, 2 * k + 1))
        if 'na' in rec or rec.get('rc') or not os.path.exists(b):
            out[rec['job']] = {'na': rec.get('na') or rec.get('err') or 'no snapshot'}
            continue
        prof = job_profile(symbols, read_snap(a), read_snap(b))
        ios = rec.get('ios') or 0
        if ios <= 0:
            out[rec['job']] = {'na': 'no I/O counted'}
            continue
        out[rec['job']] = {'ios': ios,
                           'per_io': {f: n / ios for f, n in prof.items()}}
    return out


def fmt(x):
    return '{:,.0f}'.format(x)


def report(data, sets, job, lines, top, min_diff):
    cols = [s for s in sets if job in data.get(s, {})]
    if not cols:
        return
    lines.append('## %s\n' % job)
    na = [s for s in cols if 'na' in data[s][job]]
    for s in na:
        lines.append('- %s: n/a (%s)' % (s, data[s][job]['na']))
    cols = [s for s in cols if s not in na]
    if not cols:
        lines.append('')
        return
    per = {s: data[s][job]['per_io'] for s in cols}
    tot = {s: sum(per[s].values()) for s in cols}
    user = {s: per[s].get('[user]', 0) for s in cols}
    base = next((s for s in cols if s == 'intree'),
                next((s for s in cols if s.startswith('intree')), cols[0]))
    lines.append('| | ' + ' | '.join(cols) + ' |')
    lines.append('|---|' + '---|' * len(cols))
    lines.append('| I/Os counted | ' + ' | '.join(fmt(data[s][job]['ios']) for s in cols) + ' |')
    lines.append('| instructions per I/O | ' + ' | '.join(fmt(tot[s]) for s in cols) + ' |')
    lines.append('| of which kernel | ' + ' | '.join(fmt(tot[s] - user[s]) for s in cols) + ' |')
    lines.append('| of which user | ' + ' | '.join(fmt(user[s]) for s in cols) + ' |')
    lines.append('| %s/set (predicted speed-up) | ' % base +
                 ' | '.join('%.3f' % (tot[base] / tot[s]) for s in cols) + ' |')
    lines.append('')
    funcs = set()
    for s in cols:
        funcs.update(sorted(per[s], key=per[s].get, reverse=True)[:top])
        for f in per[s]:
            if abs(per[s][f] - per[base].get(f, 0)) >= min_diff:
                funcs.add(f)
    rows = sorted(funcs, key=lambda f: -max(per[s].get(f, 0) for s in cols))
    others = [s for s in cols if s != base]
    lines.append('| function | ' + ' | '.join(cols) +
                 ''.join(' | %s − %s' % (s, base) for s in others) + ' |')
    lines.append('|---|' + '---:|' * (len(cols) + len(others)))
    for f in rows:
        cells = [fmt(per[s].get(f, 0)) for s in cols]
        cells += ['{:+,.0f}'.format(per[s].get(f, 0) - per[base].get(f, 0)) for s in others]
        lines.append('| `%s` | %s |' % (f, ' | '.join(cells)))
    lines.append('')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--out', required=True, help='path without .md')
    ap.add_argument('--title', default='')
    ap.add_argument('--command', default='')
    ap.add_argument('--facts', default='')
    ap.add_argument('--top', type=int, default=25,
                    help='rows: the TOP costliest functions of each set')
    ap.add_argument('--min-diff', type=float, default=40,
                    help='rows: and any function whose cost differs from '
                    "intree's by at least this many instructions per I/O")
    a = ap.parse_args()
    core = read_syms(os.path.join(a.dir, 'syms.log'))
    if not core:
        sys.exit('bench-profile: no kernel symbols in %s/syms.log' % a.dir)
    order = ['intree', 'vmmio', 'vblk', 'ours', 'nullb']
    found = [f[:-4] for f in os.listdir(a.dir)
             if f.endswith('.log') and f != 'syms.log']
    sets = [s for s in order if s in found]
    sets += sorted(s for s in found if s not in sets)
    data = {s: load_set(a.dir, s, core) for s in sets}
    jobs = []
    for s in sets:
        for j in data[s]:
            if j not in jobs:
                jobs.append(j)
    lines = ['# make bench PROFILE=1 — %s\n' % a.title]
    if a.command:
        lines.append('- command: `%s`' % a.command)
    if a.facts:
        lines.append('- machine: %s' % a.facts)
    lines.append('- guest instructions per I/O (both vCPUs, kernel and user), '
                 'counted by the QEMU plugin tools/bench/insnprof.c over '
                 'each fio job; rows: the %d costliest functions of each set '
                 'and every function %g or more instructions per I/O away '
                 'from intree\n' % (a.top, a.min_diff))
    for j in jobs:
        report(data, sets, j, lines, a.top, a.min_diff)
    text = '\n'.join(lines) + '\n'
    with open(a.out + '.md', 'w') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main()
