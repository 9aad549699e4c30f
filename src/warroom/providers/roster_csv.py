"""`warroom roster import FILE`: people (and rotations) from a CSV file, as the YAML of the
`oncall` section, validated, to paste into the configuration.

Columns (a header row; order free): `handle` and `name` required; `phone`, `email`,
`timezone` optional; `rotation` optional: the rotations a person takes turns in, separated by
`;`, in the order of the file.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import yaml
from pydantic import ValidationError

from warroom.config import OncallSettings, describe

COLUMNS = ("handle", "name", "phone", "email", "timezone", "rotation")


class RosterError(Exception):
    """The CSV cannot be imported; the message names the line and the reason."""


def import_csv(text: str, *, shift: str, start: datetime) -> str:
    reader = csv.DictReader(io.StringIO(text))
    header = [c.strip().lower() for c in reader.fieldnames or []]
    unknown = [c for c in header if c not in COLUMNS]
    if unknown or "handle" not in header or "name" not in header:
        raise RosterError(
            f"line 1: columns must include handle and name, from {', '.join(COLUMNS)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    people: dict[str, dict[str, Any]] = {}
    rotations: dict[str, list[str]] = {}
    for number, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        handle = row.get("handle", "").lstrip("@")
        if not handle or not row.get("name"):
            raise RosterError(f"line {number}: handle and name are required")
        if handle in people:
            raise RosterError(f"line {number}: {handle} is listed twice")
        person: dict[str, Any] = {"name": row["name"]}
        for key in ("phone", "email", "timezone"):
            if row.get(key):
                person[key] = row[key]
        people[handle] = person
        for rotation in filter(None, (r.strip() for r in row.get("rotation", "").split(";"))):
            rotations.setdefault(rotation, []).append(handle)
    oncall: dict[str, Any] = {"people": people}
    if rotations:
        oncall["rotations"] = {
            name: {"shift": shift, "start": start, "people": members}
            for name, members in rotations.items()
        }
    try:
        OncallSettings.model_validate(oncall)
    except ValidationError as exc:
        raise RosterError("the imported roster is not valid:\n" + describe(exc)) from None
    for rotation in oncall.get("rotations", {}).values():
        rotation["start"] = rotation["start"].isoformat().replace("+00:00", "Z")
    return yaml.safe_dump({"oncall": oncall}, sort_keys=False, allow_unicode=True)
