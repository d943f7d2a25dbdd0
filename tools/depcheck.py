#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""depcheck.py DIR...: the call graph between a driver's C files.

For each directory, every function or object a .c file defines without
"static" is that file's interface; a file that names it (a call, or a
function pointer in an ops table) depends on the defining file.  Prints
the dependencies, one file a line, and fails if they form a circle.
Files named *_fault.c (the VMMIO_FAULT=1 test build) are left out: their
hooks are called from the I/O paths and call back into them by design,
and the product build does not contain them.
"""
import re
import sys
from pathlib import Path

DEF = re.compile(r'^(?!static\b)(?:[A-Za-z_][\w \t\*]*?[\s\*])'
                 r'([a-z_][a-z0-9_]*)\s*(?:\(|=|\[|;)', re.M)
COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)


def strip(text):
    text = COMMENT.sub(' ', text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def graph(d):
    files = sorted(p for p in Path(d).glob('*.c') if not p.name.endswith('_fault.c'))
    body = {p.name: strip(p.read_text()) for p in files}
    owner = {}
    for name, text in body.items():
        for m in DEF.finditer(text):
            line = text[text.rfind('\n', 0, m.start()) + 1:text.find('\n', m.start())]
            if line.startswith(('#', 'return', 'MODULE', 'module_')) or line[:1].isspace():
                continue
            owner.setdefault(m.group(1), name)
    deps = {n: set() for n in body}
    for name, text in body.items():
        for ident in set(re.findall(r'\b([a-z_][a-z0-9_]*)\b', text)):
            o = owner.get(ident)
            if o and o != name:
                deps[name].add(o)
    return deps


def cycle(deps):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(deps[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if not state.get(m):
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(deps):
        if not state.get(n):
            c = visit(n)
            if c:
                return c
    return None


def main():
    rc = 0
    for d in sys.argv[1:]:
        deps = graph(d)
        for n in sorted(deps):
            print(f"{d}/{n} -> {' '.join(sorted(deps[n])) or '-'}")
        c = cycle(deps)
        if c:
            print(f"depcheck: a circle in {d}: {' -> '.join(c)}", file=sys.stderr)
            rc = 1
    return rc


if __name__ == '__main__':
    sys.exit(main())
