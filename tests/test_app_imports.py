"""app/ is wired from outside: it imports no providers/, jobs/, chat/, cli or wiring; commands/
imports no app/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "warroom"
RULES = {
    "app": ("warroom.providers", "warroom.jobs", "warroom.chat", "warroom.cli", "warroom.wiring"),
    "commands": ("warroom.app", "warroom.store", "warroom.providers", "warroom.chat"),
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("folder", sorted(RULES))
def test_layer_imports(folder: str) -> None:
    broken = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in sorted((SRC / folder).rglob("*.py"))
        for name in sorted(_imports(path))
        if name.startswith(RULES[folder])
    ]
    assert [] == broken
