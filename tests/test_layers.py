"""The import rules of docs/architecture.md, read from the source with `ast`: a layer that
imports what it must not fails here, naming the module and the line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "warroom"

# layer -> the warroom packages/modules it may import (itself always allowed). A layer is a
# package folder, or a top-level module named without `.py`.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "commands": {"core"},
    "render": {"core", "commands"},
    "ports": {"core"},
    "store": {"core"},
    "config": {"core"},
    "logs": set(),
    # Process-wide counters (prometheus-client only): app/ and chat/ count, web/ serves them.
    "telemetry": set(),
    "jobs": {"core", "store", "ports", "app", "config", "logs"},
    "app": {"core", "commands", "render", "store", "ports", "config", "logs", "telemetry"},
    # The builtin roster pages by chat DM: its words come from render/.
    "providers": {"core", "ports", "config", "render", "logs"},
    "chat": {"core", "commands", "render", "ports", "app", "config", "logs", "telemetry"},
    # Conversation builds a runtime the way the composition root does, through it.
    # The HTTP API and dashboard: a door like chat/, on the same use cases.
    "web": {"core", "commands", "render", "ports", "app", "config", "store", "logs", "telemetry"},
    # Plugins are a door like web/: their commands run the same use cases.
    "plugins": {"core", "commands", "render", "ports", "app", "config", "store", "logs"},
    "testing": {"core", "ports", "render", "config", "app", "commands", "store", "chat", "wiring"},
}
# Only these may import the composition root and the command line.
TOP = {"wiring", "cli", "__main__"}


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, first warroom part) of every `warroom.*` import in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "warroom":
                names = [f"warroom.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "warroom" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


MODULES = sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def test_every_layer_has_a_rule() -> None:
    """A new top-level package must say what it may import."""
    layers = {_layer(p) for p in MODULES} - TOP - {"__init__"}
    assert set() == layers - set(ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_follow_the_layers(path: Path) -> None:
    layer = _layer(path)
    if layer in TOP or layer == "__init__":
        return
    allowed = ALLOWED[layer] | {layer, "__version__"}
    wrong = [
        f"line {line}: warroom.{target}" for line, target in _imports(path) if target not in allowed
    ]
    assert [] == wrong, f"{path.relative_to(SRC)} ({layer}/) may import only {sorted(allowed)}"


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    """The checker itself: an app module importing providers is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("from warroom.providers import builtin\nimport warroom.jobs.worker\n")
    assert [(1, "providers"), (2, "jobs")] == _imports(bad)
