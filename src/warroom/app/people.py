"""The people CSV, one format for both imports: `warroom roster import` (the fair rotation's
roster) and `warroom oncall import` (the builtin on-call `oncall` section, printed as YAML).

A header row names the columns, in any order, case-insensitive: `handle` (required: the chat
handle), `name`, `email`, `phone`, `tz` (IANA zone; also `timezone`), `country` (ISO code,
for holidays), `manager` (yes/true/1: pinged last, never in the queue), `schedules` (the shift
schedules a person takes turns in, separated by `;`, in file order; also `rotation`). Each
import reads the columns it needs; a bad row is refused with its line and nothing is imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from warroom.config import OncallSettings, describe
from warroom.core.errors import WarroomError
from warroom.core.rotation import Member, valid_zone

COLUMNS = ("handle", "name", "email", "phone", "tz", "country", "manager", "schedules")
_ALIASES = {
    "chat handle": "handle", "slack": "handle", "slack handle": "handle", "user": "handle",
    "e-mail": "email", "mail": "email", "time zone": "tz", "timezone": "tz", "zone": "tz",
    "is_manager": "manager", "em": "manager", "schedule": "schedules", "rotation": "schedules",
    "rotations": "schedules",
}  # fmt: skip
_YES = {"yes", "y", "true", "1", "x", "manager", "em"}


class RosterError(WarroomError):
    """A people CSV or rules file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Person:
    """One row of the people CSV; empty strings where the file leaves a column out."""

    line: int
    handle: str
    name: str = ""
    email: str = ""
    phone: str = ""
    tz: str = ""
    country: str = ""
    manager: bool = False
    schedules: tuple[str, ...] = ()

    def member(self) -> Member:
        """As the fair rotation's roster knows them."""
        return Member(
            handle=self.handle,
            name=self.name,
            email=self.email,
            tz=self.tz or "UTC",
            country=self.country,
            manager=self.manager,
        )


def parse_people(
    text: str, *, source: str = "roster", required: tuple[str, ...] = ("handle",)
) -> list[Person]:
    """Every person of the CSV `text`; `source` names it in errors, `required` are the columns
    each row must fill (`handle` always)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError(f"{source}: empty; the first row names the columns") from None
    names = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    required = tuple(dict.fromkeys(("handle", *required)))
    unknown = [h for h in names if h not in COLUMNS]
    if unknown or any(column not in names for column in required):
        raise RosterError(
            f"{source}:1: columns must include {' and '.join(required)}, from "
            f"{', '.join(COLUMNS)}; unknown: {', '.join(unknown) or 'none'}"
        )
    people: dict[str, Person] = {}
    for number, row in enumerate(reader, 2):
        if not any(cell.strip() for cell in row):
            continue
        values = {n: (row[i].strip() if i < len(row) else "") for i, n in enumerate(names)}
        person = _person(values, f"{source}:{number}", number, required)
        if person.handle.lower() in people:
            raise RosterError(f"{source}:{number}: @{person.handle} is listed twice")
        people[person.handle.lower()] = person
    return list(people.values())


def _person(values: dict[str, str], where: str, number: int, required: tuple[str, ...]) -> Person:
    if any(not values.get(column) for column in required):
        verb = "is" if len(required) == 1 else "are"
        raise RosterError(f"{where}: {' and '.join(required)} {verb} required")
    handle = values["handle"].lstrip("@")
    if not handle or any(c.isspace() for c in handle):
        raise RosterError(f"{where}: `{values['handle']}` is not a chat handle")
    tz = values.get("tz", "")
    if tz and not valid_zone(tz):
        raise RosterError(f"{where}: `{tz}` is not a time zone (Europe/Amsterdam)")
    schedules = (s.strip() for s in values.get("schedules", "").split(";"))
    return Person(
        line=number,
        handle=handle,
        name=values.get("name", ""),
        email=values.get("email", ""),
        phone=values.get("phone", ""),
        tz=tz,
        country=values.get("country", "").upper(),
        manager=values.get("manager", "").lower() in _YES,
        schedules=tuple(s for s in schedules if s),
    )


def read_people(path: Path, *, required: tuple[str, ...] = ("handle",)) -> list[Person]:
    """`parse_people` of the file at `path`, named in errors."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_people(text, source=str(path), required=required)


def oncall_section(
    people: list[Person], *, shift: str, start: datetime, source: str = "roster"
) -> str:
    """The `oncall` section (people and shift schedules) as YAML, validated, to paste into the
    configuration. The schedules start at `start`, one `shift` each."""
    entries: dict[str, dict[str, Any]] = {}
    schedules: dict[str, list[str]] = {}
    for person in people:
        entry: dict[str, Any] = {"name": person.name}
        for key, value in (
            ("phone", person.phone),
            ("email", person.email),
            ("timezone", person.tz),
        ):
            if value:
                entry[key] = value
        entries[person.handle] = entry
        for name in person.schedules:
            schedules.setdefault(name, []).append(person.handle)
    oncall: dict[str, Any] = {"people": entries}
    if schedules:
        oncall["schedules"] = {
            name: {"shift": shift, "start": start, "people": members}
            for name, members in schedules.items()
        }
    try:
        OncallSettings.model_validate(oncall)
    except ValidationError as exc:
        raise RosterError(
            f"{source}: the imported roster is not valid:\n" + describe(exc)
        ) from None
    for schedule in oncall.get("schedules", {}).values():
        schedule["start"] = schedule["start"].isoformat().replace("+00:00", "Z")
    return yaml.safe_dump({"oncall": oncall}, sort_keys=False, allow_unicode=True)
