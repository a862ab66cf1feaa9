"""The package as a whole: its import graph has no cycle, of modules or of folders."""

import ast
from pathlib import Path

import parsearch

PACKAGE = Path(parsearch.__file__).parent


def module_names():
    """Module name -> file, for every module of the package."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def import_graph():
    """Module -> the package's modules it imports anywhere in its file (lazy imports too).

    ``from a.b import c`` is an edge to ``a.b.c`` where that is a module, else to ``a.b``.
    The package root (``parsearch``, the lazy public facade) is left out.
    """
    modules = module_names()

    def owner(name):
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        return name

    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {owner(a.name) for a in node.names if a.name.startswith("parsearch")}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.startswith("parsearch"):
                    for alias in node.names:
                        full = f"{node.module}.{alias.name}"
                        targets.add(full if full in modules else owner(node.module))
        graph[name] = targets - {name, "parsearch"}
    graph.pop("parsearch", None)
    return graph


def cycles(graph):
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def folder(module):
    """``parsearch.x.y`` -> ``parsearch.x``: the folder (or top-level module) it is in."""
    return ".".join(module.split(".")[:2])


def test_the_graph_sees_lazy_imports():
    graph = import_graph()
    assert "parsearch.nets.engine" in graph["parsearch.nets.mlp"]  # imported inside a method
    assert "parsearch.jobs" in graph["parsearch.plan"]


def test_no_module_imports_itself_back():
    assert cycles(import_graph()) == []


def test_no_folder_imports_itself_back():
    graph = {}
    for module, targets in import_graph().items():
        graph.setdefault(folder(module), set()).update(
            folder(t) for t in targets if folder(t) != folder(module)
        )
    assert cycles(graph) == []


def test_a_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
