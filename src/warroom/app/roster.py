"""The roster's files: the CSV to import, holidays.yml and exclusions.yml (reloaded on change).

oncall.csv has a header row; columns (any order, case-insensitive): `handle` (required: the
chat handle), `name`, `email`, `tz` (IANA zone, default UTC), `country` (ISO code, for
holidays), `manager` (yes/true/1 for an engineering manager: pinged last, never in the queue).
"""

from __future__ import annotations

import csv
import io
import logging
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from warroom.core.rotation import Holidays, Member, valid_zone

log = logging.getLogger(__name__)

COLUMNS = ("handle", "name", "email", "tz", "country", "manager")
_ALIASES = {
    "chat handle": "handle", "slack": "handle", "slack handle": "handle", "user": "handle",
    "e-mail": "email", "mail": "email", "time zone": "tz", "timezone": "tz", "zone": "tz",
    "is_manager": "manager", "em": "manager",
}  # fmt: skip
_YES = {"yes", "y", "true", "1", "x", "manager", "em"}


class RosterError(Exception):
    """A roster or rules file that cannot be read; the message names the file and line."""


def parse_csv(text: str, *, source: str = "roster") -> list[Member]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError(f"{source}: empty; the first row names the columns") from None
    names = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    unknown = [h for h in names if h not in COLUMNS]
    if unknown or "handle" not in names:
        raise RosterError(
            f"{source}: columns must be {', '.join(COLUMNS)} (handle required); "
            f"unknown: {', '.join(unknown) or 'none'}"
        )
    people: dict[str, Member] = {}
    for number, row in enumerate(reader, 2):
        if not any(cell.strip() for cell in row):
            continue
        values = {n: (row[i].strip() if i < len(row) else "") for i, n in enumerate(names)}
        handle = values["handle"].lstrip("@")
        if not handle or any(c.isspace() for c in handle):
            raise RosterError(f"{source}:{number}: `{values['handle']}` is not a chat handle")
        tz = values.get("tz") or "UTC"
        if not valid_zone(tz):
            raise RosterError(f"{source}:{number}: `{tz}` is not a time zone (Europe/Amsterdam)")
        if handle.lower() in people:
            raise RosterError(f"{source}:{number}: @{handle} is listed twice")
        people[handle.lower()] = Member(
            handle=handle,
            name=values.get("name", ""),
            email=values.get("email", ""),
            tz=tz,
            country=values.get("country", "").upper(),
            manager=values.get("manager", "").lower() in _YES,
        )
    return list(people.values())


def read_csv(path: Path) -> list[Member]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_csv(text, source=str(path))


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
