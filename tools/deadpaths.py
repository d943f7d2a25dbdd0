#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""deadpaths.py: find paths the documentation names that do not exist.

Part of "make lint" (tools/lint.sh).  Reads every tracked Markdown file,
the Makefile's help lines ("#   make ...") and the header comment of each
script under tools/ (its usage lines), picks out what looks like a path
of this repository (it starts with one of the top-level folders, or is a
relative Markdown link) and checks that it exists.  A pattern with "*"
must match something; a path git ignores (a build output such as
include/generated/) is accepted; a path with a placeholder (<id>, $VAR,
{a,b}) is skipped.  Prints each dead path with where it was named and
exits 1 if there is any.
"""
import glob
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOPDIRS = ("Documentation", "compat", "drivers", "dts", "include", "results",
           "scripts", "selftests", "tools", ".ci")
TOPFILES = ("Kbuild", "Makefile", "README.md", "dkms.conf")
# a path token: a top-level folder and what follows, up to a delimiter
PATH_RE = re.compile(r"(?<![\w./~-])((?:%s)/[\w.*/+<>${}-]*)" % "|".join(
    re.escape(d) for d in TOPDIRS))
LINK_RE = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PLACEHOLDER = re.compile(r"[<>${}%]")


def tracked():
    out = subprocess.run(["git", "-C", TOP, "ls-files"], check=True,
                         capture_output=True, text=True).stdout
    return out.split()


def ignored(path):
    return subprocess.run(["git", "-C", TOP, "check-ignore", "-q", path],
                          check=False).returncode == 0


def exists(path):
    """PATH exists, matches (a pattern), is ignored (a build output), or is
    the PREFIX of a PREFIX.md report (the bench tools' --out PREFIX)"""
    if "*" in path:
        return bool(glob.glob(os.path.join(TOP, path)))
    full = os.path.join(TOP, path)
    return os.path.exists(full) or os.path.exists(full + ".md") or ignored(path)


def texts(files):
    """(file, line number, text) of the lines to read"""
    for f in files:
        full = os.path.join(TOP, f)
        if f.endswith(".md"):
            with open(full, encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    yield f, n, line
        elif f == "Makefile":
            with open(full, encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    if line.startswith("#   "):
                        yield f, n, line
        elif f.startswith("tools/") and f.endswith((".sh", ".py")):
            # the header (comment or docstring), up to the first code line
            code = re.compile(r"(import|from|[.] |set |[A-Z_]+=)")
            with open(full, encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    if code.match(line):
                        break
                    yield f, n, line


def candidates(f, line):
    """paths named on LINE of file F, relative to the repository"""
    for m in PATH_RE.finditer(line):
        yield m.group(1).rstrip(".,:;")
    if f.endswith(".md"):
        for m in LINK_RE.finditer(line):
            target = m.group(1)
            if re.match(r"[a-z]+:", target) or target.startswith("/"):
                continue
            yield os.path.normpath(os.path.join(os.path.dirname(f), target))
    for name in TOPFILES:
        if re.search(r"(?<![\w./-])%s(?![\w.-])" % re.escape(name), line):
            yield name


def main():
    files = tracked()
    dead = []
    for f, n, line in texts(files):
        for p in candidates(f, line):
            if not p or PLACEHOLDER.search(p) or p.endswith("/..."):
                continue
            if not exists(p):
                dead.append("%s:%d: %s" % (f, n, p))
    for d in dead:
        print("dead path: " + d)
    return 1 if dead else 0


if __name__ == "__main__":
    sys.exit(main())
