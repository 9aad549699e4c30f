"""Plugins written on the fly for the tests: a Python script per plugin whose `describe`
prints the given description and whose run executes `body` (with `doc`, the document read
from stdin, and `say(obj)` printing one JSON line)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "plugins"


def description(name: str, *words: str, events: list[str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "contract": 1,
        "commands": [
            {"words": [w], "usage": f"{w} [args]", "help": f"The {w} command."} for w in words
        ],
        "events": events or [],
    }


def write_plugin(
    tmp_path: Path, name: str, body: str, *, describe: dict[str, Any] | str | None = None
) -> list[str]:
    """The plugin's `command`: this interpreter running the script."""
    described = describe if describe is not None else description(name, name)
    text = described if isinstance(described, str) else json.dumps(described)
    script = tmp_path / f"{name}.py"
    script.write_text(
        "import json, os, subprocess, sys, time\n"
        "def say(obj):\n    print(json.dumps(obj), flush=True)\n"
        "if sys.argv[1:] == ['describe']:\n"
        f"    print({text!r})\n"
        "    sys.exit(0)\n"
        "doc = json.load(sys.stdin)\n" + textwrap.dedent(body) + "\n",
        encoding="utf-8",
    )
    return [sys.executable, str(script)]


def example(name: str) -> list[str]:
    path = EXAMPLES / name
    return [sys.executable, str(path)] if name.endswith(".py") else [str(path)]
