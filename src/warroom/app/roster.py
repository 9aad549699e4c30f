"""The roster's files: the people CSV to import (read by app/people.py), holidays.yml and
exclusions.yml (reloaded on change)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from warroom.app.people import RosterError, parse_people, read_people
from warroom.core.rotation import Holidays, Member

log = logging.getLogger(__name__)

__all__ = ["RosterError", "RulesFiles", "parse_csv", "parse_exclusions", "parse_holidays"]


def parse_csv(text: str, *, source: str = "roster") -> list[Member]:
    """The fair rotation's roster from the people CSV (app/people.py has the columns)."""
    return [person.member() for person in parse_people(text, source=source)]


def read_csv(path: Path) -> list[Member]:
    return [person.member() for person in read_people(path)]


def _dates(value: Any, where: str) -> frozenset[date]:
    """A list of dates or `YYYY-MM-DD..YYYY-MM-DD` ranges."""
    items = value if isinstance(value, list) else [value]
    days: set[date] = set()
    for item in items:
        if isinstance(item, date):
            days.add(item)
            continue
        first, sep, last = str(item).partition("..")
        try:
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if sep else start
        except ValueError:
            raise RosterError(f"{where}: `{item}` is not a date or `A..B` range") from None
        if end < start or (end - start).days > 366:
            raise RosterError(f"{where}: `{item}` is not a range of at most a year")
        days.update(start + timedelta(days=i) for i in range((end - start).days + 1))
    return frozenset(days)


def parse_holidays(text: str, *, source: str = "holidays.yml") -> Holidays:
    """`countries: {NL: [2026-12-25, ...]}` and `people: {alice: [2026-12-01..2026-12-05]}`."""
    data = _yaml(text, source) or {}
    if not isinstance(data, dict) or set(data) - {"countries", "people"}:
        raise RosterError(f"{source}: expected the sections `countries` and `people`")
    result: dict[str, dict[str, frozenset[date]]] = {}
    for section in ("countries", "people"):
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            raise RosterError(f"{source}: `{section}` maps names to lists of dates")
        norm = str.upper if section == "countries" else str.lower
        result[section] = {
            norm(str(k).lstrip("@")): _dates(v, f"{source}: {section}.{k}")
            for k, v in entries.items()
        }
    return Holidays(countries=result["countries"], people=result["people"])


def parse_exclusions(text: str, *, source: str = "exclusions.yml") -> frozenset[str]:
    """A list of handles, or `{people: [...]}`."""
    data = _yaml(text, source) or []
    if isinstance(data, dict):
        data = data.get("people") or []
    if not isinstance(data, list):
        raise RosterError(f"{source}: expected a list of handles")
    return frozenset(str(h).strip().lstrip("@").lower() for h in data if str(h).strip())


def _yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RosterError(f"{source}: not valid YAML: {exc}") from None


@dataclass
class _Loaded:
    mtime: float | None
    value: Any


class RulesFiles:
    """holidays.yml and exclusions.yml, re-read when their mtime changes. A broken edit keeps
    the last good version (and logs why) rather than paging someone on holiday."""

    def __init__(self) -> None:
        self._cache: dict[Path, _Loaded] = {}
        self._lock = threading.Lock()

    def holidays(self, path: Path | None) -> Holidays:
        result = self._get(path, parse_holidays, Holidays())
        assert isinstance(result, Holidays)
        return result

    def exclusions(self, path: Path | None) -> frozenset[str]:
        result = self._get(path, parse_exclusions, frozenset())
        assert isinstance(result, frozenset)
        return result

    def _get(self, path: Path | None, parse: Any, empty: Any) -> Any:
        if path is None:
            return empty
        path = path.expanduser()
        try:
            mtime: float | None = path.stat().st_mtime_ns / 1e9
        except OSError:
            mtime = None
        with self._lock:
            cached = self._cache.get(path)
            if cached is not None and cached.mtime == mtime:
                return cached.value
            if mtime is None:
                log.warning("rotation file %s is missing; treated as empty", path)
                value = empty
            else:
                try:
                    value = parse(path.read_text(encoding="utf-8"), source=str(path))
                except (RosterError, OSError) as exc:
                    log.error("rotation file %s not reloaded: %s", path, exc)
                    return cached.value if cached else empty
            self._cache[path] = _Loaded(mtime, value)
            return value
