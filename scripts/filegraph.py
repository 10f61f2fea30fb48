#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The file graph of a build: file A -> file B when A's object uses a symbol
(a function or a variable) that B's object defines. Fails naming every loop
between files and every layer violation (DESIGN.md, "Layout and layers").

  scripts/filegraph.py [--objdir DIR] [--edges] [--max-cycles N]

DIR (default $BUILD/src, else build/src) is searched for *.o; a file's name is
its object's path under DIR's parent with .o turned into .c
(build/src/cmd/cmd.o is src/cmd/cmd.c); an object whose source is gone from
the tree beside the build folder (a file deleted or renamed since) is skipped. Symbols come from nm: the global ones
an object defines (nm -g --defined-only) and the ones it leaves undefined
(nm -u). Static functions are private to their file and draw no edge.

Prints, for each loop, the files in order and the calls forming each step:
  loop 1: src/cmd/cmd.c -> src/cmd/audit.c -> src/cmd/cmd.c
    src/cmd/cmd.c -> src/cmd/audit.c: kz_audit_event, kz_audit_event_of
    src/cmd/audit.c -> src/cmd/cmd.c: kz_cmd_parse
then each layer violation (a lower layer using a higher one, or one of
model, ui, vault using another of the three), then a summary line:
  filegraph: ok (N files, N edges)   or   filegraph: N loops, N layer violations
Exit 0 when clean, 1 on any loop or violation, 2 on a usage or nm error.
--edges prints every edge first (the whole graph, for reading).
--max-cycles caps the loops listed per strongly connected group (default 500);
the groups themselves are always all named.
"""
import argparse
import os
import subprocess
import sys

# Layers bottom first: a file may use its own layer's files and those below.
# Files of one layer but different folders (model, ui, vault; crypto, store)
# do not use each other either.
LAYERS = [
    ("util",),
    ("crypto", "store"),
    ("model", "ui", "vault"),
    ("cmd",),
    ("shell",),
    ("main",),
]
LAYER_ORDER = "main -> shell -> cmd -> model, ui, vault -> crypto, store -> util"


def layer_of(path):
    """(rank, folder) for a source path like src/cmd/cmd.c or src/main.c."""
    parts = path.split("/")
    if len(parts) >= 2 and parts[0] == "src":
        folder = "main" if len(parts) == 2 else parts[1]
        for rank, names in enumerate(LAYERS):
            if folder in names:
                return rank, folder
        return None, folder
    return None, parts[0]


def nm_symbols(obj, nm):
    """(defined, undefined) global symbol sets of one object file."""

    def run(args):
        r = subprocess.run([nm] + args + [obj], capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write("filegraph: %s: %s" % (obj, r.stderr))
            sys.exit(2)
        return r.stdout.splitlines()

    defined, undefined = set(), set()
    for line in run(["-g", "--defined-only"]):
        f = line.split()
        if len(f) >= 3:
            defined.add(f[2])
    for line in run(["-u"]):
        f = line.split()
        if f:
            undefined.add(f[-1])
    return defined, undefined


def load(objdir, nm):
    """{file: (defined, undefined)} for every object under objdir whose source
    is still there (beside the build folder): an object left behind by a
    deleted or renamed file is skipped, and said so on stderr."""
    base = os.path.dirname(os.path.normpath(objdir))
    top = os.path.dirname(base)
    files = {}
    for root, _dirs, names in os.walk(objdir):
        for n in sorted(names):
            if not n.endswith(".o"):
                continue
            obj = os.path.join(root, n)
            src = os.path.relpath(obj, base)[: -len(".o")] + ".c"
            if not os.path.exists(os.path.join(top, src)):
                sys.stderr.write("filegraph: skipped %s (no %s any more)\n" % (obj, src))
                continue
            files[src] = nm_symbols(obj, nm)
    return files


def build_graph(files):
    """{a: {b: sorted symbols}}: a uses those symbols that b defines."""
    owner = {}
    for f, (defined, _u) in files.items():
        for s in defined:
            owner.setdefault(s, f)
    graph = {f: {} for f in files}
    for f, (_d, undefined) in files.items():
        for s in undefined:
            g = owner.get(s)
            if g is not None and g != f:
                graph[f].setdefault(g, []).append(s)
    for f in graph:
        for g in graph[f]:
            graph[f][g].sort()
    return graph


def sccs(graph):
    """Tarjan's strongly connected components (iterative), each sorted."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def cycles_in(graph, comp, limit):
    """Elementary cycles inside one component (each starting at its smallest
    file), shortest first, at most limit of them. Returns (cycles, capped)."""
    nodes = sorted(comp)
    members = set(nodes)
    found = []
    capped = False
    # Each cycle is found once, from its smallest node s, visiting only nodes
    # greater than s (the usual enumeration order of Johnson's algorithm; a
    # plain depth-first search is enough for graphs of this size).
    for i, s in enumerate(nodes):
        allowed = set(nodes[i:])
        path, onpath = [s], {s}

        def dfs(v):
            nonlocal capped
            for w in sorted(graph[v]):
                if w not in members or w not in allowed:
                    continue
                if w == s:
                    found.append(list(path))
                    if len(found) >= limit:
                        capped = True
                        return True
                elif w not in onpath:
                    path.append(w)
                    onpath.add(w)
                    if dfs(w):
                        return True
                    path.pop()
                    onpath.discard(w)
            return False

        if dfs(s):
            break
    found.sort(key=lambda c: (len(c), c))
    return found, capped


def violations(graph):
    """[(a, b, why)] for each edge against the layers."""
    out = []
    for a in sorted(graph):
        ra, fa = layer_of(a)
        for b in sorted(graph[a]):
            rb, fb = layer_of(b)
            if ra is None or rb is None:
                continue
            if rb > ra:
                out.append((a, b, "%s uses %s, a higher layer" % (fa, fb)))
            elif rb == ra and fa != fb:
                out.append((a, b, "%s uses %s, a layer beside it" % (fa, fb)))
    return out


def main(argv):
    ap = argparse.ArgumentParser(add_help=True)
    ap.add_argument("--objdir", default=os.path.join(os.environ.get("BUILD", "build"), "src"))
    ap.add_argument("--edges", action="store_true")
    ap.add_argument("--max-cycles", type=int, default=500)
    ap.add_argument("--nm", default=os.environ.get("NM", "nm"))
    a = ap.parse_args(argv)
    if not os.path.isdir(a.objdir):
        sys.stderr.write("filegraph: no objects in %s (build first: make)\n" % a.objdir)
        return 2
    files = load(a.objdir, a.nm)
    if not files:
        sys.stderr.write("filegraph: no objects in %s (build first: make)\n" % a.objdir)
        return 2
    graph = build_graph(files)
    nedges = sum(len(v) for v in graph.values())
    if a.edges:
        for f in sorted(graph):
            for g in sorted(graph[f]):
                print("edge %s -> %s: %s" % (f, g, ", ".join(graph[f][g])))
    nloops = 0
    for comp in sccs(graph):
        if len(comp) < 2:
            continue
        cyc, capped = cycles_in(graph, comp, a.max_cycles)
        print("loop group of %d files: %s" % (len(comp), ", ".join(comp)))
        for c in cyc:
            nloops += 1
            ring = c + [c[0]]
            print("loop %d: %s" % (nloops, " -> ".join(ring)))
            for x, y in zip(ring, ring[1:]):
                print("    %s -> %s: %s" % (x, y, ", ".join(graph[x][y])))
        if capped:
            print("  (more loops in this group: listed the first %d; --max-cycles N)"
                  % a.max_cycles)
    bad = violations(graph)
    for x, y, why in bad:
        print("layer: %s -> %s: %s (%s)" % (x, y, ", ".join(graph[x][y]), why))
    if bad:
        print("  (layers: %s)" % LAYER_ORDER)
    if nloops == 0 and not bad:
        print("filegraph: ok (%d files, %d edges, no loop, no layer violation)"
              % (len(graph), nedges))
        return 0
    print("filegraph: %d loop%s, %d layer violation%s (%d files, %d edges)"
          % (nloops, "" if nloops == 1 else "s", len(bad), "" if len(bad) == 1 else "s",
             len(graph), nedges))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
