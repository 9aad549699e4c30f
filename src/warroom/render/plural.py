"""Counted nouns: `1 turn`, `2 turns`, `0 pings`."""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
