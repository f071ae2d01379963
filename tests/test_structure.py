"""The package's layering, read from the source: which package may import which, and no cycles.

Every import counts, also those inside functions (a deferred import is still a dependency).
"""
import ast
from pathlib import Path
from typing import Dict, List, Set

import pytest

ROOT = Path(__file__).resolve().parents[1] / 'unibench'

# package -> unibench packages it must not import
FORBIDDEN = {
    'models': {'datasets', 'reporting', 'benchmark', 'engine', 'evaluation', 'testing', 'pssl'},
    'reporting': {'models', 'benchmark', 'engine', 'datasets', 'testing', 'registry'},
    'structures': {'models', 'datasets', 'evaluation', 'reporting', 'benchmark', 'engine',
                   'testing', 'pssl', 'registry', 'utils'},
    'datasets': {'models', 'reporting', 'benchmark', 'engine', 'testing'},
    'evaluation': {'models', 'reporting', 'benchmark', 'testing'},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def modules() -> Dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob('*.py'))}


def imports_of(name: str, path: Path, known: Set[str]) -> Set[str]:
    """The unibench modules ``name`` imports (``from pkg import mod`` resolves to ``pkg.mod``)."""
    package = name if path.name == '__init__.py' else name.rsplit('.', 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')
                anchor = anchor[:len(anchor) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f'{base}.{a.name}' for a in node.names)
    return {m for m in found if m in known and m != name}


def graph() -> Dict[str, Set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def test_the_import_reader_sees_relative_and_deferred_imports(tmp_path):
    known = {'unibench.a', 'unibench.a.b', 'unibench.c'}
    src = tmp_path / 'x.py'
    src.write_text('from .b import f\n\ndef g():\n    from unibench.c import h\n')
    assert imports_of('unibench.a.x', src, known) == {'unibench.a.b', 'unibench.c'}


@pytest.mark.parametrize('package', sorted(FORBIDDEN))
def test_packages_import_only_their_layers(package):
    bad = []
    for name, deps in graph().items():
        if name.split('.')[1:2] != [package]:
            continue
        for dep in deps:
            if dep.split('.')[1] in FORBIDDEN[package]:
                bad.append(f'{name} -> {dep}')
    assert not bad, f'unibench.{package} imports what its layer must not:\n' + '\n'.join(bad)


def test_there_is_no_import_cycle():
    edges = graph()
    # A package's __init__ importing its own submodules is how registration works; a cycle is
    # two modules reaching each other otherwise.
    for name, deps in edges.items():
        edges[name] = {d for d in deps if not name_is_parent(name, d) and
                       not name_is_parent(d, name)}
    cycles: List[List[str]] = []
    state: Dict[str, int] = {}

    def visit(node: str, path: List[str]) -> None:
        state[node] = 1
        for dep in sorted(edges[node]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [dep] if dep in path else [node, dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, 'import cycles:\n' + '\n'.join(' -> '.join(c) for c in cycles)


def name_is_parent(parent: str, child: str) -> bool:
    return child.startswith(parent + '.')
