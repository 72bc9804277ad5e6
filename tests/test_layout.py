"""The layout shows the architecture: who may import whom, read from the source itself.

* ``core`` is shared plumbing: it imports no product app.
* No product module imports the sandbox bank (``livin``) or the demo: they are plug-ins,
  named only by dotted paths in settings, and installed only with ``SANDBOX_ENABLED``.
* The domain never imports the Open API layer (``snap``, an app's ``api`` package).
* No import circle between modules of different apps, counting imports made inside functions.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "snap", "billers", "quota", "reminders", "notifications", "staffmail", "settlement", "console",
        "fileformat", "livin", "demo", "kopra"]
PRODUCT = ["core", "snap", "billers", "quota", "reminders", "notifications", "staffmail", "settlement", "console",
           "fileformat"]
PLUGINS = {"livin", "demo"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _imports(module: str, path: Path) -> set[str]:
    """Project modules that ``module`` imports, at the top or inside a function."""
    names = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in names if name in SOURCES and name != module}


GRAPH = {module: _imports(module, path) for module, path in SOURCES.items()}


def _app(module: str) -> str:
    return module.split(".")[0]


def test_core_imports_no_product_app():
    wrong = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() if _app(m) == "core"
                   for t in targets if _app(t) != "core")
    assert wrong == []


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_no_product_module_imports_a_plugin(plugin):
    wrong = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() if _app(m) in PRODUCT
                   for t in targets if _app(t) == plugin)
    assert wrong == []


def test_the_domain_never_imports_the_open_api_layer():
    def api_layer(module: str) -> bool:
        return _app(module) == "snap" or ".api" in module

    wrong = sorted(f"{m} -> {t}" for m, targets in GRAPH.items()
                   if _app(m) in PRODUCT and _app(m) != "console" and not api_layer(m) and _app(m) != "kopra"
                   for t in targets if api_layer(t) and _app(t) != _app(m))
    assert wrong == []


def _cycles() -> list[list[str]]:
    """Strongly connected components (Tarjan) of more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_between_modules_of_different_apps():
    across = [component for component in _cycles() if len({_app(m) for m in component}) > 1]
    assert across == []
