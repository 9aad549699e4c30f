"""Configuration: one YAML file validated at start; `WARROOM_<SECTION>__<KEY>` overrides any key.

Secrets (tokens, API keys) are never read from the file: they come from the environment only,
under their vendors' usual names, and the file rejects keys it does not know.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from warroom.config_web import AlertSettings, DeploySettings, WebSettings
from warroom.core import reminder
from warroom.core.timeref import parse_duration

EXAMPLE_CONFIG = Path(__file__).parent / "example-config.yml"
_NAME = re.compile(r"^[a-z][a-z0-9_.\-]{0,39}$")


class ConfigError(Exception):
    """The configuration is invalid; the message names the file, the key and the reason."""


def data_dir() -> Path:
    """Where the embedded database and reports live unless configured: $XDG_DATA_HOME/warroom."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "warroom"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _seconds(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a duration: seconds or `90s`, `5m`, `1h`")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        seconds = parse_duration(value)
        if seconds is None:
            raise ValueError(f"{value!r} is not a duration: seconds or `90s`, `5m`, `1h`")
        return seconds
    return value


# Seconds, written as a number or as `90s`, `5m`, `1h30m`.
Duration = Annotated[int, BeforeValidator(_seconds)]


class BotSettings(_Section):
    name: str = "warroom"
    aliases: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("a lowercase word: letters, digits, - _ .")
        return value

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        for alias in value:
            if not _NAME.match(alias):
                raise ValueError(f"alias {alias!r} must be a lowercase word")
        return value

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class StorageSettings(_Section):
    url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: an SQLite file in the data dir"
    )

    def resolved_url(self) -> str:
        return self.url or f"sqlite:///{data_dir() / 'warroom.db'}"


class ReportsSettings(_Section):
    dir: Path | None = None

    def resolved_dir(self) -> Path:
        return (self.dir or data_dir() / "reports").expanduser()


PROVIDERS = ("builtin", "pagerduty", "opsgenie")
Provider = Literal["builtin", "pagerduty", "opsgenie"]


class TeamSettings(_Section):
    channel: str
    description: str = ""
    # Who is on call for the team: a rotation of `oncall.rotations` (builtin), a PagerDuty
    # schedule ID or an Opsgenie schedule name. No schedule: the team cannot be paged.
    provider: Provider = "builtin"
    schedule: str | None = None

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        value = value.strip().lstrip("#")
        if not value:
            raise ValueError("a channel name or ID")
        return value


class ReminderSettings(_Section):
    """One entry of the reminder schedule (Spy's format, seed 004)."""

    when: list[Duration | Literal["stop"]] = Field(default_factory=list)
    every: Duration | None = None
    command: str = "message"
    message: str | None = None
    team: str | None = None

    @field_validator("when", mode="before")
    @classmethod
    def _when(cls, value: Any) -> Any:
        return value if isinstance(value, list) else [value]

    @field_validator("command")
    @classmethod
    def _command(cls, value: str) -> str:
        name = value.strip().lstrip(":")
        name = reminder.ALIASES.get(name, name)
        if name not in reminder.COMMANDS:
            known = ", ".join(sorted(reminder.COMMANDS))
            raise ValueError(f"unknown reminder command {value!r}; commands: {known}")
        return name

    @model_validator(mode="after")
    def _complete(self) -> ReminderSettings:
        if not self.when and not self.every:
            raise ValueError("a reminder needs `when` (seconds, durations, `stop`) or `every`")
        if self.every is not None and self.every < 1:
            raise ValueError("`every` must be at least one second")
        if self.command == "message" and not self.message:
            raise ValueError("the `message` command needs a `message`")
        return self

    def rule(self, index: int) -> reminder.Rule:
        return reminder.Rule(
            index=index,
            command=self.command,
            offsets=tuple(sorted({w for w in self.when if isinstance(w, int)})),
            at_stop="stop" in self.when,
            every=self.every,
            message=self.message,
            team=self.team,
        )


def spy_schedule() -> list[ReminderSettings]:
    """Spy's schedule from seed 004, the default."""
    return [
        ReminderSettings(when=[30, "stop"], command="check_status_page"),
        ReminderSettings(
            when=[120],
            command="notify_support",
            message="warroom has notified the Support Response Manager (SRM) on your behalf.",
        ),
        ReminderSettings(when=[120], command="srm_fill_out_doc"),
        ReminderSettings(
            when=[300],
            message="You should coordinate external comms with the support incident responder.",
        ),
        ReminderSettings(when=[600], command="srm_checking_in"),
        ReminderSettings(when=[3600], command="notify_imoc_team"),
        ReminderSettings(when=["stop"], message="Please create a Service Disruptions report."),
    ]


class StatusSourceSettings(_Section):
    """A source of the components report: an HTTP health check or an Atlassian Statuspage."""

    name: str
    kind: Literal["http", "statuspage"] = "http"
    url: str
    expect_status: int = 200
    json_field: str | None = None
    json_value: str | None = None
    timeout: Duration = 5

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("an http:// or https:// URL")
        return value


class StatusSettings(_Section):
    sources: list[StatusSourceSettings] = Field(default_factory=list)
    stalk_interval: Duration = 30
    on_start_stop: bool = True

    @field_validator("stalk_interval")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value < 1:
            raise ValueError("at least one second")
        return value


class TimerSettings(_Section):
    poll: float = Field(default=0.5, gt=0, le=60)
    lease: Duration = 60


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time with its zone, e.g. 2026-11-02T09:00:00Z")
    return value


class PersonSettings(_Section):
    name: str
    phone: str | None = None
    email: str | None = None
    timezone: str = "UTC"
    # Apprise URLs (SMS, e-mail, push) a builtin page is also sent to; `${VAR}` is read from
    # the environment at send time, so tokens stay out of the file.
    apprise: list[str] = Field(default_factory=list)


class OverrideSettings(_Section):
    person: str
    start: datetime
    end: datetime

    @field_validator("start", "end")
    @classmethod
    def _zoned(cls, value: datetime) -> datetime:
        return _aware(value)


class RotationSettings(_Section):
    shift: Literal["daily", "weekly"] = "weekly"
    start: datetime
    people: list[str] = Field(min_length=1)
    overrides: list[OverrideSettings] = Field(default_factory=list)

    @field_validator("start")
    @classmethod
    def _zoned(cls, value: datetime) -> datetime:
        return _aware(value)


class CommandersSettings(_Section):
    provider: Provider = "builtin"
    primary: str | None = None
    backup: str | None = None
    trainees: list[str] = Field(default_factory=list)

    def schedules(self) -> list[tuple[str, str]]:
        """(role, schedule) in the order they are shown and paged."""
        roles = [("primary", self.primary), ("backup", self.backup)]
        roles += [("trainee", t) for t in self.trainees]
        return [(role, schedule) for role, schedule in roles if schedule]


class OncallSettings(_Section):
    people: dict[str, PersonSettings] = Field(default_factory=dict)
    rotations: dict[str, RotationSettings] = Field(default_factory=dict)
    commanders: CommandersSettings = Field(default_factory=CommandersSettings)
    refresh_seconds: float = Field(default=60, gt=0)
    # DM people this long before their builtin on-call shift starts (0: never).
    pre_shift_notice: Duration = 3600
    # At a commanders' handover, DM the incoming commander the open incidents and pages.
    handoff_summary: bool = True

    @model_validator(mode="after")
    def _known_people(self) -> OncallSettings:
        for name, rotation in self.rotations.items():
            named = rotation.people + [o.person for o in rotation.overrides]
            for person in named:
                if person not in self.people:
                    raise ValueError(f"rotation {name!r}: {person!r} is not in oncall.people")
        return self


class PagingSettings(_Section):
    timeout_seconds: float = Field(default=5, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    backoff_seconds: float = Field(default=1, ge=0)
    war_rooms: bool = True


class PagerDutySettings(_Section):
    api_url: str = "https://api.pagerduty.com"
    events_url: str = "https://events.pagerduty.com/v2"


class OpsgenieSettings(_Section):
    api_url: str = "https://api.opsgenie.com"


class JiraSettings(_Section):
    url: str | None = None
    project: str | None = None
    issue_type: str = "Incident"

    @property
    def enabled(self) -> bool:
        return bool(self.url and self.project)


class RosterEntry(_Section):
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


class FairRotationSettings(_Section):
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


class ShellSettings(_Section):
    user: str | None = None
    channel: str = "war-room"


class SlackSettings(_Section):
    posts_per_second: float = Field(default=1.0, gt=0, description="per channel, after a burst")
    burst: int = Field(default=3, ge=1, description="posts to one channel at once before pacing")
    cache_seconds: float = Field(default=600.0, ge=1, description="users' and channels' names")
    slash_commands: dict[str, str] = Field(
        default_factory=lambda: {
            "/incident": "incident",
            "/ir": "ir",
            "/page": "page",
            "/status": "status",
            "/devoncall": "devoncall",
        },
        description="slash command -> the words it stands for",
    )

    @field_validator("slash_commands")
    @classmethod
    def _slash(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.match(r"^/[a-z0-9_\-]{1,31}$", name):
                raise ValueError(f"slash command {name!r} must look like /incident")
        return value


class NoticesSettings(_Section):
    enabled: bool = True
    keywords: list[str] = Field(
        default_factory=list, description="words that point at the latest active incident"
    )


class Settings(_Section):
    bot: BotSettings = Field(default_factory=BotSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    reports: ReportsSettings = Field(default_factory=ReportsSettings)
    teams: dict[str, TeamSettings] = Field(default_factory=dict)
    shell: ShellSettings = Field(default_factory=ShellSettings)
    reminders: list[ReminderSettings] = Field(default_factory=spy_schedule)
    status: StatusSettings = Field(default_factory=StatusSettings)
    timers: TimerSettings = Field(default_factory=TimerSettings)
    oncall: OncallSettings = Field(default_factory=OncallSettings)
    paging: PagingSettings = Field(default_factory=PagingSettings)
    pagerduty: PagerDutySettings = Field(default_factory=PagerDutySettings)
    opsgenie: OpsgenieSettings = Field(default_factory=OpsgenieSettings)
    jira: JiraSettings = Field(default_factory=JiraSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    notices: NoticesSettings = Field(default_factory=NoticesSettings)
    rotation: FairRotationSettings = Field(default_factory=FairRotationSettings)
    deploy: DeploySettings = Field(default_factory=DeploySettings)
    web: WebSettings = Field(default_factory=WebSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @model_validator(mode="after")
    def _reminder_teams(self) -> Settings:
        for i, entry in enumerate(self.reminders):
            if entry.team is not None and entry.team not in self.teams:
                known = ", ".join(sorted(self.teams)) or "none configured"
                raise ValueError(f"reminders.{i}.team: unknown team {entry.team!r}; teams: {known}")
        return self

    def reminder_rules(self) -> list[reminder.Rule]:
        return [entry.rule(i) for i, entry in enumerate(self.reminders)]

    @model_validator(mode="after")
    def _builtin_schedules_exist(self) -> Settings:
        refs = [(f"teams.{n}.schedule", t.provider, t.schedule) for n, t in self.teams.items()]
        commanders = self.oncall.commanders
        refs += [("oncall.commanders", commanders.provider, s) for _, s in commanders.schedules()]
        for key, provider, schedule in refs:
            if provider == "builtin" and schedule and schedule not in self.oncall.rotations:
                known = ", ".join(sorted(self.oncall.rotations)) or "none"
                raise ValueError(f"{key}: no rotation {schedule!r} in oncall.rotations ({known})")
        return self

    @field_validator("teams")
    @classmethod
    def _teams(cls, value: dict[str, TeamSettings]) -> dict[str, TeamSettings]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"team name {name!r} must be a lowercase word")
        return value


ENV_PREFIX = "WARROOM_"
NOT_KEYS = frozenset({"WARROOM_CONFIG", "WARROOM_DATA_DIR"})


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """`WARROOM_BOT__NAME=spy` -> {"bot": {"name": "spy"}}. JSON lists and maps are parsed
    (`WARROOM_BOT__ALIASES='["spy"]'`); anything else stays a string for pydantic to convert."""
    result: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.upper().startswith(ENV_PREFIX) or name.upper() in NOT_KEYS:
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        if not all(path):
            continue
        value: Any = raw
        if raw.strip().startswith(("[", "{")):
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw
        node = result
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[path[-1]] = value
    return result


def merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load(path: Path | None = None) -> tuple[Settings, Path]:
    """Load `path` (default: $WARROOM_CONFIG, else the shipped example) with env overrides."""
    if path is None:
        env_path = os.environ.get("WARROOM_CONFIG")
        path = Path(env_path) if env_path else EXAMPLE_CONFIG
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror}") from None
    try:
        data: Any = yaml.safe_load(raw) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of sections")
    data = merge(data, env_overrides(os.environ))
    try:
        return Settings.model_validate(data), path
    except ValidationError as exc:
        raise ConfigError(
            f"{path} (with WARROOM_* environment overrides): invalid configuration:\n"
            + describe(exc)
        ) from None


def describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        reason = error["msg"]
        if error["type"] == "extra_forbidden":
            reason = "unknown key (secrets belong in the environment, see docs/configuration.md)"
        lines.append(f"  {key}: {reason}")
    return "\n".join(lines)
