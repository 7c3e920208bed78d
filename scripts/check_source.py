#!/usr/bin/python3
"""Checks of the source tree that no compiler makes; prints TAP.

Usage (make check-source runs it after the build):

    /usr/bin/python3 scripts/check_source.py DIR...

DIR... are the folders of extension/ in their layering order (the Makefile's
EXTENSION_DIRS): a file may use its own folder and the folders before it,
never one after it.  Checked:

1. every C file of the extension is in one of the folders, and every header
   in extension/include/<folder>/;
2. includes: a file of folder F includes headers of F and earlier folders only
   (#include "G/x.h");
3. calls: the built objects (nm) use symbols defined in their own folder or an
   earlier one only, and the files' calls form no cycle (within a folder
   either), so that every file can be read after the ones it uses;
4. the caller-facing fallback sentence is written once in each binary, and the
   extension's and the shim's copies say the same thing.

A failure names the file and what it uses; the command that reproduces it is
printed with it.
"""
import os
import re
import subprocess
import sys

REPRODUCE = "make check-source"
tests = []


def check(ok, name, detail=None):
    """Records one test."""
    tests.append((ok, name, detail))


def c_sources(top, dirs):
    """The extension's C files by folder, and the ones in no folder."""
    by_dir = {}
    stray = []
    for root, subdirs, files in os.walk(os.path.join(top, "extension")):
        rel = os.path.relpath(root, os.path.join(top, "extension"))
        parts = rel.split(os.sep)
        if parts[0] in ("released", "upgrade", "sql") or "tests" in parts:
            continue
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join("extension", rel, f)
            if f.endswith(".c") and len(parts) == 1 and parts[0] in dirs:
                by_dir.setdefault(parts[0], []).append(path)
            elif f.endswith(".h") and len(parts) == 2 and parts[0] == "include" and parts[1] in dirs:
                by_dir.setdefault(parts[1], []).append(path)
            else:
                stray.append(path)
    return by_dir, stray


def includes(path):
    """The quoted includes of a file."""
    with open(path, encoding="utf-8") as f:
        return re.findall(r'^\s*#\s*include\s+"([^"]+)"', f.read(), re.M)


def symbols(obj):
    """(defined, used) global symbols of an object file."""
    out = subprocess.run(["nm", obj], check=True, capture_output=True, text=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "TDBRC":
            defined.add(fields[2])
        elif len(fields) == 2 and fields[0] == "U":
            used.add(fields[1])
    return defined, used


def find_cycle(graph):
    """A cycle of the graph (a list of nodes), or None."""
    state = {}

    def visit(node, path):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, path)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def defined_string(path, name):
    """The string literal #defined as name in a C file (adjacent literals joined), or None."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r'^#define\s+%s\s+((?:"(?:\\.|[^"\\])*"\s*)+)$' % re.escape(name), text, re.M)
    if m is None:
        return None
    return "".join(re.findall(r'"((?:\\.|[^"\\])*)"', m.group(1)))


def check_layering(top, dirs):
    """Checks 1 to 3."""
    rank = {d: i for i, d in enumerate(dirs)}
    by_dir, stray = c_sources(top, dirs)
    check(not stray, "every source file of extension/ is in a folder of the layering",
          "not in one of %s: %s" % (" ".join(dirs), " ".join(stray)))
    for d in dirs:
        for path in by_dir.get(d, []):
            bad = [h for h in includes(os.path.join(top, path))
                   if "/" in h and h.split("/")[0] in rank and rank[h.split("/")[0]] > rank[d]]
            check(not bad, "%s includes only %s" % (path, " ".join(dirs[:rank[d] + 1])),
                  "it includes %s, of a later folder" % ", ".join(bad))
    objects = {}
    for d in dirs:
        for path in by_dir.get(d, []):
            if path.endswith(".c"):
                obj = os.path.join(top, path[:-2] + ".o")
                if not os.path.exists(obj):
                    check(False, "%s is built" % path, "no %s: build first (make)" % obj)
                    continue
                objects[path] = (d, *symbols(obj))
    owner = {}
    for path, (d, defined, used) in objects.items():
        for s in defined:
            owner[s] = path
    graph = {}
    for path, (d, defined, used) in sorted(objects.items()):
        calls = {}
        for s in used:
            if s in owner and owner[s] != path:
                calls.setdefault(owner[s], []).append(s)
        graph[path] = set(calls)
        bad = ["%s (%s)" % (callee, ", ".join(sorted(syms))) for callee, syms in sorted(calls.items())
               if rank[objects[callee][0]] > rank[d]]
        check(not bad, "%s calls only %s" % (path, " ".join(dirs[:rank[d] + 1])),
              "it calls %s, of a later folder" % "; ".join(bad))
    cycle = find_cycle(graph)
    check(cycle is None, "the extension's files call each other in no cycle",
          "cycle: %s" % " -> ".join(cycle or []))


def check_fallback(top):
    """Check 4."""
    ext = os.path.join(top, "extension", "webhook", "webhook_vapi.c")
    shim = os.path.join(top, "shim", "webhook_body.c")
    a = defined_string(ext, "NO_ONE_AVAILABLE")
    b = defined_string(shim, "FALLBACK_NO_ONE_AVAILABLE")
    check(a is not None and a == b,
          "the caller-facing fallback sentence is the same in the extension and the shim",
          "extension/webhook/webhook_vapi.c NO_ONE_AVAILABLE: %r; shim/webhook_body.c "
          "FALLBACK_NO_ONE_AVAILABLE: %r" % (a, b))
    for root, sentence in (("extension", a), ("shim", b)):
        if not sentence:
            continue
        holders = []
        for dirpath, subdirs, files in os.walk(os.path.join(top, root)):
            if "released" in dirpath or "upgrade" in dirpath or os.sep + "tests" in dirpath \
                    or os.sep + "fuzz" in dirpath:
                continue
            for f in files:
                if f.endswith((".c", ".h")):
                    p = os.path.join(dirpath, f)
                    with open(p, encoding="utf-8") as fh:
                        if sentence[:40] in fh.read():
                            holders.append(os.path.relpath(p, top))
        check(len(holders) == 1, "the fallback sentence is written once in %s/" % root,
              "found in %s" % (", ".join(holders) or "no file"))


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dirs = sys.argv[1:]
    if not dirs:
        sys.exit("usage: check_source.py DIR... (the Makefile's EXTENSION_DIRS, in order)")
    check_layering(top, dirs)
    check_fallback(top)
    print("1..%d" % len(tests))
    failed = 0
    for i, (ok, name, detail) in enumerate(tests, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        if not ok:
            failed += 1
            print("# %s" % detail)
            print("# reproduce: %s" % REPRODUCE)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
