"""Finds module dependency cycles in `cargo modules dependencies` output (graphviz dot).

Usage: python3 module_cycles.py CRATE < graph.dot

cargo-modules' own `--acyclic` flag looks for a cycle among items (functions, types, modules) and
stops at the first one, so it both flags mutually recursive types and misses modules that use
each other through different items. Issue 24 is about modules, at every level of the tree (`asl`
and `flow` use each other although no file of one uses a file of the other that uses it back).
So this folds every item into the module that owns it and, for each module, builds the graph among
its child modules, each standing for its whole subtree. A module's uses of its ancestors' or its
descendants' items are left out: a parent re-exports and drives its children, and children share
their parent's types. It reports every strongly connected component of each such graph, with one
cycle through it and the item uses behind each of its edges.

Blind spot (cargo-modules 0.27): its "uses" edges come from `use` items at module level and from
signatures and field types, not from paths written inside function bodies, so a cycle closed only
by a call like `crate::flow::check(…)` or `super::run::size_within(…)` is not seen.

Exit status 1 when there is a cycle, 0 when there is none, 2 when the input is not what
cargo-modules prints.
"""

import re
import sys
from collections import defaultdict, deque

# Lines as cargo-modules' dependencies printer writes them (one node or edge per line):
#     "krate::a::B" [label="pub struct|a::B", fillcolor="#…"]; // "struct" node
#     "krate::a" -> "krate::a::B" [label="owns", color="#…", style="solid"] [constraint=true]; // "owns" edge
NODE = re.compile(r'^\s*"(?P<id>[^"]+)" \[label=.*\]; // "(?P<kind>[^"]+)" node$')
EDGE = re.compile(r'^\s*"(?P<source>[^"]+)" -> "(?P<target>[^"]+)" \[.*\]; // "(?P<kind>uses|owns)" edge$')
MODULE_KINDS = {"crate", "mod"}
EVIDENCE_SHOWN = 3


def parse(dot):
    kinds, owner, uses = {}, {}, []
    for line in dot.splitlines():
        if match := NODE.match(line):
            kinds[match["id"]] = match["kind"]
        elif match := EDGE.match(line):
            if match["kind"] == "owns":
                owner[match["target"]] = match["source"]
            else:
                uses.append((match["source"], match["target"]))
    return kinds, owner, uses


def module_of(item, kinds, owner):
    seen = set()
    while kinds.get(item) not in MODULE_KINDS:
        if item in seen or item not in owner:
            return None
        seen.add(item)
        item = owner[item]
    return item


def ancestry(module, owner):
    """The modules from the crate root down to `module`, both included."""
    chain = [module]
    while chain[-1] in owner and len(chain) <= len(owner):
        chain.append(owner[chain[-1]])
    return list(reversed(chain))


def strongly_connected(graph):
    """Tarjan's algorithm, iterative (a deep module tree must not hit Python's recursion limit)."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def shortest_cycle(start, graph, members):
    """The shortest path start -> … -> start that stays inside the component."""
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(graph[node]):
            if successor == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return list(reversed(path)) + [start]
            if successor in members and successor not in previous:
                previous[successor] = node
                queue.append(successor)
    return [start]


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    crate = sys.argv[1]
    kinds, owner, uses = parse(sys.stdin.read())
    if not any(kind == "crate" for kind in kinds.values()):
        print(f"module-cycles: {crate}: no crate node in the cargo modules output", file=sys.stderr)
        return 2

    # levels[parent]: the graph among parent's child modules, each standing for its whole subtree.
    levels = defaultdict(lambda: defaultdict(set))
    evidence = defaultdict(list)
    for user, used in uses:
        user_module = module_of(user, kinds, owner)
        used_module = module_of(used, kinds, owner)
        if user_module is None or used_module is None:
            continue
        user_chain = ancestry(user_module, owner)
        used_chain = ancestry(used_module, owner)
        common = 0
        while (
            common < min(len(user_chain), len(used_chain))
            and user_chain[common] == used_chain[common]
        ):
            common += 1
        # A module may use its ancestors' items and its descendants' items (a parent re-exports
        # and orchestrates its children, children share their parent's types): only uses
        # between sibling subtrees can form a cycle.
        if common == len(user_chain) or common == len(used_chain):
            continue
        parent = user_chain[common - 1]
        source, target = user_chain[common], used_chain[common]
        levels[parent][source].add(target)
        levels[parent][target]
        evidence[(source, target)].append((user, used))

    modules = sum(1 for kind in kinds.values() if kind in MODULE_KINDS)
    components = [
        (parent, members, graph)
        for parent, graph in sorted(levels.items())
        for members in strongly_connected(graph)
    ]
    if not components:
        print(f"module-cycles: {crate}: {modules} modules, no cycle")
        return 0

    print(f"module-cycles: {crate}: {modules} modules, {len(components)} cycle(s)")
    for parent, members, graph in components:
        cycle = shortest_cycle(members[0], graph, set(members))
        print()
        print(f"  cycle among {len(members)} modules of {parent}: {', '.join(members)}")
        print(f"  e.g. {' -> '.join(cycle)}")
        # Every edge inside the component, not only the example's: any of them may be the one
        # to break.
        edges = [(source, target) for source in members for target in sorted(graph[source])]
        for source, target in (edge for edge in edges if edge[1] in members):
            reasons = sorted(evidence[(source, target)])
            print(f"    {source} -> {target}, {len(reasons)} use(s):")
            for user, used in reasons[:EVIDENCE_SHOWN]:
                print(f"      {user} uses {used}")
            if len(reasons) > EVIDENCE_SHOWN:
                print(f"      … and {len(reasons) - EVIDENCE_SHOWN} more")
    return 1


if __name__ == "__main__":
    sys.exit(main())
