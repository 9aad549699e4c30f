"""The plugin contract, version 1 (docs/plugins.md): what `describe` prints, and the JSON lines
a plugin prints when it runs. Anything else is refused with the reason."""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

CONTRACT = 1
EVENTS = frozenset(
    {
        "incident.started",
        "incident.stopped",
        "incident.note",
        "incident.mitigated",
        "page.triggered",
        "page.acknowledged",
        "alert.received",
    }
)
NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")
WORD = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
MAX_TEXT = 3000


class InvalidPlugin(ValueError):
    """A description or an output line that breaks the contract; the message says how."""


class CommandSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    words: list[str] = Field(min_length=1, max_length=5)
    usage: str = Field(min_length=1, max_length=200)
    help: str = Field(min_length=1, max_length=200)
    where: Literal["channel", "dm", "both"] = "both"

    @field_validator("words")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        for word in value:
            if not WORD.match(word):
                raise ValueError(f"{word!r} is not a command word (lowercase letters, digits, -)")
        if len(set(value)) != len(value):
            raise ValueError("a word is given twice")
        return value

    @field_validator("help", "usage")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("must be one line")
        return value


class Description(BaseModel):
    """What `PLUGIN describe` prints."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_.\-]{0,39}$")
    contract: int
    commands: list[CommandSpec] = Field(default_factory=list, max_length=20)
    events: list[str] = Field(default_factory=list)

    @field_validator("contract")
    @classmethod
    def _contract(cls, value: int) -> int:
        if value != CONTRACT:
            raise ValueError(f"contract {value} is not supported; this warroom speaks {CONTRACT}")
        return value

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in EVENTS]
        if unknown:
            raise ValueError(f"unknown event {unknown[0]!r}; known: {', '.join(sorted(EVENTS))}")
        return value

    def words(self) -> list[str]:
        return [w for c in self.commands for w in c.words]


class Message(BaseModel):
    """Post `text`: where the command was typed, in `channel`, in the command's `thread`, or to
    `dm` (a user)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["message"]
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    channel: str | None = None
    thread: bool = False
    dm: str | None = None

    @field_validator("channel", "dm")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not NAME.match(value):
            raise ValueError("a channel or user name: letters, digits, `.`, `_`, `-`")
        return value


class Note(BaseModel):
    """Add `text` to the timeline of the incident of the command's channel (or the event's)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["note"]
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class Error(BaseModel):
    """Tell the sender `text`, privately; nothing else of this run happens."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["error"]
    text: str = Field(min_length=1, max_length=MAX_TEXT)


Output = Annotated[Message | Note | Error, Field(discriminator="type")]
_OUTPUT: TypeAdapter[Message | Note | Error] = TypeAdapter(Output)
MAX_LINES = 50


def _reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = list(first["loc"])
    if loc and loc[0] in ("message", "note", "error"):  # the union's tag: the line's own type
        loc = loc[1:]
    where = ".".join(str(p) for p in loc)
    msg = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


def parse_description(raw: str) -> Description:
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidPlugin("`describe` did not print a JSON document") from None
    try:
        return Description.model_validate(data)
    except ValidationError as exc:
        raise InvalidPlugin(f"bad description: {_reason(exc)}") from None


def parse_output(raw: str) -> list[Message | Note | Error]:
    """The JSON lines of one run; blank lines are skipped."""
    found: list[Message | Note | Error] = []
    for n, text in enumerate(raw.splitlines(), 1):
        if not text.strip():
            continue
        if len(found) == MAX_LINES:
            raise InvalidPlugin(f"more than {MAX_LINES} output lines")
        try:
            data = json.loads(text)
        except ValueError:
            raise InvalidPlugin(f"output line {n} is not JSON") from None
        try:
            found.append(_OUTPUT.validate_python(data))
        except ValidationError as exc:
            raise InvalidPlugin(f"output line {n}: {_reason(exc)}") from None
    return found
