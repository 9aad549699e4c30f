"""The on-call sections: people, shift schedules and commanders (`oncall`), and the fair
rotation with its roster (`rotation`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from warroom.config.sections import Duration, PagerDutyRoute, Provider, Section
from warroom.core import oncall as core


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time with its zone, e.g. 2026-11-02T09:00:00Z")
    return value


class PersonSettings(Section):
    name: str
    phone: str | None = None
    email: str | None = None
    timezone: str = "UTC"
    # Apprise URLs (SMS, e-mail, push) a builtin page is also sent to; `${VAR}` is read from
    # the environment at start (see Secrets), so tokens stay out of the file.
    apprise: list[str] = Field(default_factory=list)


class OverrideSettings(Section):
    person: str
    start: datetime
    end: datetime

    @field_validator("start", "end")
    @classmethod
    def _zoned(cls, value: datetime) -> datetime:
        return _aware(value)


class ShiftScheduleSettings(Section):
    """People take turns, one `shift` each, from `start` (a handover time), with overrides."""

    shift: Literal["daily", "weekly"] = "weekly"
    start: datetime
    people: list[str] = Field(min_length=1)
    overrides: list[OverrideSettings] = Field(default_factory=list)

    @field_validator("start")
    @classmethod
    def _zoned(cls, value: datetime) -> datetime:
        return _aware(value)

    def schedule(self) -> core.ShiftSchedule:
        overrides = tuple(core.Override(o.person, o.start, o.end) for o in self.overrides)
        return core.ShiftSchedule(
            tuple(self.people), core.SHIFTS[self.shift], self.start, overrides
        )


class CommandersSettings(Section):
    provider: Provider = "builtin"
    primary: str | None = None
    backup: str | None = None
    trainees: list[str] = Field(default_factory=list)
    # provider pagerduty: how pages reach the commanders' own PagerDuty service.
    pagerduty: PagerDutyRoute | None = None

    def schedules(self) -> list[tuple[str, str]]:
        """(role, schedule) in the order they are shown and paged."""
        roles = [("primary", self.primary), ("backup", self.backup)]
        roles += [("trainee", t) for t in self.trainees]
        return [(role, schedule) for role, schedule in roles if schedule]


class OncallSettings(Section):
    people: dict[str, PersonSettings] = Field(default_factory=dict)
    # `rotations` is the name this key had before 0.2; configurations still use it.
    schedules: dict[str, ShiftScheduleSettings] = Field(
        default_factory=dict, validation_alias=AliasChoices("schedules", "rotations")
    )
    commanders: CommandersSettings = Field(default_factory=CommandersSettings)
    refresh_seconds: float = Field(default=60, gt=0)
    # DM people this long before their builtin on-call shift starts (0: never).
    pre_shift_notice: Duration = 3600
    # At a commanders' handover, DM the incoming commander the open incidents and pages.
    handoff_summary: bool = True

    @model_validator(mode="after")
    def _known_people(self) -> OncallSettings:
        for name, schedule in self.schedules.items():
            named = schedule.people + [o.person for o in schedule.overrides]
            for person in named:
                if person not in self.people:
                    raise ValueError(f"schedule {name!r}: {person!r} is not in oncall.people")
        return self


class RosterEntry(Section):
    """A roster member written in the configuration (merged like `warroom roster import`)."""

    handle: str
    name: str = ""
    email: str = ""
    tz: str = "UTC"
    country: str = ""
    manager: bool = False

    @field_validator("handle")
    @classmethod
    def _handle(cls, value: str) -> str:
        value = value.strip().lstrip("@")
        if not value:
            raise ValueError("a chat handle")
        return value

    @field_validator("tz")
    @classmethod
    def _tz(cls, value: str) -> str:
        from warroom.core.rotation import valid_zone

        if not valid_zone(value):
            raise ValueError(f"{value!r} is not a time zone like `Europe/Amsterdam`")
        return value


class FairRotationSettings(Section):
    """The fair rotation (`devoncall`): who may be pinged, when to escalate, who is last."""

    channels: list[str] = Field(default_factory=list)
    ack_emoji: str = "eyes"
    escalate_after: Duration = 300
    max_engineers: int = Field(default=3, ge=1, le=50)
    managers: list[str] = Field(default_factory=list)
    working_hours: str | None = None
    members: list[RosterEntry] = Field(default_factory=list)
    holidays: Path | None = None
    exclusions: Path | None = None
    presence_ttl: Duration = 60
    presence_calls: int = Field(default=5, ge=1, le=5)

    @field_validator("channels", "managers")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        return [v.strip().lstrip("#@") for v in value if v.strip().lstrip("#@")]

    @field_validator("ack_emoji")
    @classmethod
    def _emoji(cls, value: str) -> str:
        value = value.strip().strip(":")
        if not value:
            raise ValueError("an emoji name such as `eyes`")
        return value

    @field_validator("escalate_after", "presence_ttl")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("at least one second")
        return value

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is not None:
            from warroom.core.rotation import WorkingHours

            WorkingHours.parse(value)
        return value
