"""The shape of the house, checked from the source: the apps import each other one way only.

Every import counts, at module level and inside functions (a lazy import is still a dependency).
Tests and migrations are left out: tests borrow other apps' factories, and migrations name other
apps by label.
"""

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
APPS = sorted(p.parent.name for p in PACKAGE.glob("*/apps.py"))


def _product_files():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if "tests" in parts or "migrations" in parts or len(parts) < 2 or parts[0] not in APPS:
            continue
        yield path


def _imported_modules(path):
    module = ".".join(("jembatan", *path.relative_to(PACKAGE).with_suffix("").parts))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    return _imports_in(path.read_text(encoding="utf-8"), package)


def _imports_in(source, package):
    """(module, line) for every import in `source`, at any depth, relative ones resolved."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, node.lineno
            for alias in node.names:  # "from jembatan import reports" names the app in the alias
                yield f"{base}.{alias.name}", node.lineno


def app_imports():
    """{app: {other_app: ["file:line", …]}} for every import of one app by another."""
    edges = defaultdict(lambda: defaultdict(list))
    seen = set()
    for path in _product_files():
        app = path.relative_to(PACKAGE).parts[0]
        for name, line in _imported_modules(path):
            parts = name.split(".")
            if len(parts) >= 2 and parts[0] == "jembatan" and parts[1] in APPS and parts[1] != app:
                where = f"{path.relative_to(PACKAGE.parent)}:{line}"
                if (app, parts[1], where) not in seen:
                    seen.add((app, parts[1], where))
                    edges[app][parts[1]].append(where)
    return edges


def cycles(edges):
    """The strongly connected groups of more than one app (Tarjan), each sorted."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, {}):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for app in sorted(edges):
        if app not in index:
            visit(app)
    return found


def test_the_apps_import_each_other_one_way_only():
    edges = app_imports()
    problems = []
    for group in cycles(edges):
        lines = [f"a cycle between {', '.join(group)}:"]
        for app in group:
            for other in group:
                for where in edges[app].get(other, []):
                    lines.append(f"  {app} → {other}  ({where})")
        problems.append("\n".join(lines))
    assert not problems, "\n".join(problems)


def test_the_cycle_finder_finds_a_cycle_of_three_and_not_a_chain():
    chain = {"a": {"b": ["x"]}, "b": {"c": ["x"]}}
    assert cycles(chain) == []
    assert cycles({**chain, "c": {"a": ["x"]}}) == [["a", "b", "c"]]


def test_imports_inside_functions_and_relative_imports_count():
    source = "def later():\n    from jembatan.reports import models\n\nfrom ..notify import actions\n"
    names = {name for name, _line in _imports_in(source, "jembatan.accounts")}
    assert "jembatan.reports" in names
    assert "jembatan.notify.actions" in names


def test_settings_are_read_as_declared_never_with_a_default_restated():
    # Each setting has its default once, in settings.py; getattr(settings, "X", default) restates it.
    found = []
    for path in _product_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and len(node.args) == 3
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "settings"
            ):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not found, "read settings.X instead:\n" + "\n".join(found)


MAX_FUNCTION_LINES = 80
# The demo seeder and the builder of its texts script a story step by step; they are exempt.
SEEDER = {"jembatan/ops/demo.py", "jembatan/ops/demo_reports.py", "jembatan/ops/data/build_demo_texts.py"}


def long_functions(source, limit=MAX_FUNCTION_LINES):
    """[(name, line, length)] of the functions in `source` (nested ones too) longer than `limit` lines,
    counted from the `def` line to the last line of the body."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > limit:
                found.append((node.name, node.lineno, length))
    return found


def test_no_function_is_longer_than_eighty_lines_outside_the_demo_seeder():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = str(path.relative_to(PACKAGE.parent))
        parts = path.relative_to(PACKAGE).parts
        if "tests" in parts or "migrations" in parts or where in SEEDER:
            continue
        for name, line, length in long_functions(path.read_text(encoding="utf-8")):
            found.append(f"{where}:{line} {name}: {length} lines")
    assert not found, f"split these into named pieces (at most {MAX_FUNCTION_LINES} lines):\n" + "\n".join(
        found
    )


def test_the_length_check_finds_a_long_nested_function_and_passes_eighty_lines():
    def function(name, lines, indent=""):
        return f"{indent}def {name}():\n" + "".join(f"{indent}    x = {i}\n" for i in range(lines - 1))

    assert long_functions(function("short", 80)) == []
    nested = "def outer():\n" + function("inner", 81, indent="    ")
    assert long_functions(nested) == [("outer", 1, 82), ("inner", 2, 81)]
