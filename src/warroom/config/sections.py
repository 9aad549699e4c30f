"""The configuration's sections other than the on-call ones: each a pydantic model that rejects
keys it does not know (secrets never belong in the file)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from warroom.core import reminder
from warroom.core.timeref import parse_duration

NAME = re.compile(r"^[a-z][a-z0-9_.\-]{0,39}$")


def data_dir() -> Path:
    """Where the embedded database and reports live unless configured: $XDG_DATA_HOME/warroom."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "warroom"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def seconds(value: Any) -> Any:
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
Duration = Annotated[int, BeforeValidator(seconds)]


class BotSettings(Section):
    name: str = "warroom"
    aliases: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("a lowercase word: letters, digits, - _ .")
        return value

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        for alias in value:
            if not NAME.match(alias):
                raise ValueError(f"alias {alias!r} must be a lowercase word")
        return value

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class StorageSettings(Section):
    url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: an SQLite file in the data dir"
    )

    def resolved_url(self) -> str:
        return self.url or f"sqlite:///{data_dir() / 'warroom.db'}"


class ReportsSettings(Section):
    dir: Path | None = None

    def resolved_dir(self) -> Path:
        return (self.dir or data_dir() / "reports").expanduser()


PROVIDERS = ("builtin", "pagerduty", "opsgenie")
Provider = Literal["builtin", "pagerduty", "opsgenie"]
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,99}$")


class PagerDutyRoute(Section):
    """Where a team's PagerDuty pages go: its own service, reached through an Events API v2
    integration key (the variable that holds it: the key itself is a secret) or through REST
    `POST /incidents` on the service, with its escalation policy."""

    routing_key_env: str | None = None
    service: str | None = None
    escalation_policy: str | None = None

    @field_validator("routing_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.match(value):
            raise ValueError(
                f"{value!r} is not an environment variable name such as PAGERDUTY_KEY_DATASTORES"
            )
        return value

    @model_validator(mode="after")
    def _one_way(self) -> PagerDutyRoute:
        if self.routing_key_env and self.service:
            raise ValueError("set `routing_key_env` (Events API v2) or `service` (REST), not both")
        if not (self.routing_key_env or self.service):
            raise ValueError("set `routing_key_env` (Events API v2) or `service` (REST)")
        if self.escalation_policy and not self.service:
            raise ValueError("`escalation_policy` goes with `service` (REST)")
        return self


class TeamSettings(Section):
    channel: str
    description: str = ""
    # Who is on call for the team: a rotation of `oncall.rotations` (builtin), a PagerDuty
    # schedule ID or an Opsgenie schedule name. No schedule: the team cannot be paged.
    provider: Provider = "builtin"
    schedule: str | None = None
    # provider pagerduty: how its pages reach the team's own PagerDuty service.
    pagerduty: PagerDutyRoute | None = None

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        value = value.strip().lstrip("#")
        if not value:
            raise ValueError("a channel name or ID")
        return value


class ReminderSettings(Section):
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


class StatusSourceSettings(Section):
    """A source of the components report: an HTTP health check or an Atlassian Statuspage."""

    name: str
    kind: Literal["http", "statuspage"] = "http"
    url: str
    expect_status: int | None = Field(default=None, ge=100, le=599)  # None: any 2xx
    json_field: str | None = None
    json_value: str | None = None
    timeout: Duration = 5

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("an http:// or https:// URL")
        return value


class StatusSettings(Section):
    sources: list[StatusSourceSettings] = Field(default_factory=list)
    stalk_interval: Duration = 30
    on_start_stop: bool = True

    @field_validator("stalk_interval")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value < 1:
            raise ValueError("at least one second")
        return value


class TimerSettings(Section):
    poll: float = Field(default=0.5, gt=0, le=60)
    lease: Duration = 60


class PagingSettings(Section):
    timeout_seconds: float = Field(default=5, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    backoff_seconds: float = Field(default=1, ge=0)
    war_rooms: bool = True
    # A page is retried (durably: across restarts and replicas) until its provider confirms it
    # or `deadline` seconds after it was asked for; waits double from backoff_seconds up to
    # backoff_max_seconds, with jitter, never sooner than the provider's Retry-After.
    deadline: Duration = Field(default=600, ge=1)
    backoff_max_seconds: float = Field(default=60, gt=0)
    # A first try that fails, or takes longer than this, shows the phone numbers at once.
    slow_after: float = Field(default=3, gt=0)


class PagerDutySettings(Section):
    api_url: str = "https://api.pagerduty.com"
    events_url: str = "https://events.pagerduty.com/v2"
    # The `From` header of REST changes (incidents created, acknowledged, resolved): the
    # e-mail of a PagerDuty user the API token may act for.
    from_email: str | None = None
    # The service a page to one person is opened on (REST, assigned to that person).
    person_service: str | None = None


class OpsgenieSettings(Section):
    api_url: str = "https://api.opsgenie.com"
    # Opsgenie answers 202 and processes later: how long to wait for its verdict on a request.
    confirm_seconds: float = Field(default=4, gt=0, le=60)


class JiraSettings(Section):
    url: str | None = None
    project: str | None = None
    issue_type: str = "Incident"
    sync_seconds: int = Field(
        default=300, ge=0, description="how often action items' issues are read back; 0: never"
    )

    @property
    def enabled(self) -> bool:
        return bool(self.url and self.project)


class ShellSettings(Section):
    user: str | None = None
    channel: str = "war-room"


class SlackSettings(Section):
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


class NoticesSettings(Section):
    enabled: bool = True
    keywords: list[str] = Field(
        default_factory=list, description="words that point at the latest active incident"
    )
