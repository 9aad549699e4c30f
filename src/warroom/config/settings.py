"""`Settings`: one YAML file validated at start, any key overridden by `WARROOM_<SECTION>__<KEY>`.

Both are pydantic-settings sources: the environment wins over the file. An unknown key, in the
file or in a `WARROOM_*` variable, is an error that names it; secrets never come from here (see
`warroom.config.secrets`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from warroom.config.oncall import FairRotationSettings, OncallSettings
from warroom.config.plugins import PluginSettings
from warroom.config.sections import (
    NAME,
    BotSettings,
    JiraSettings,
    NoticesSettings,
    OpsgenieSettings,
    PagerDutyRoute,
    PagerDutySettings,
    PagingSettings,
    ReminderSettings,
    ReportsSettings,
    ShellSettings,
    SlackSettings,
    StatusSettings,
    StorageSettings,
    TeamSettings,
    TimerSettings,
    spy_schedule,
)
from warroom.config.services import ReviewSettings, ServiceSettings, SeveritySettings
from warroom.config.services import check_services as _check_services
from warroom.config.web import AlertSettings, DeploySettings, WebSettings
from warroom.core import reminder
from warroom.core.errors import WarroomError
from warroom.core.rotation import Member

EXAMPLE_CONFIG = Path(__file__).parents[1] / "example-config.yml"
ENV_PREFIX = "WARROOM_"
# Variables with the prefix that choose the file rather than override a key.
NOT_KEYS = frozenset({"WARROOM_CONFIG", "WARROOM_DATA_DIR", "WARROOM_TEST_PG"})
# The file `load` reads; the sources are chosen per class, so the path travels beside the call.
_FILE: ContextVar[Path | None] = ContextVar("warroom_config_file", default=None)


class ConfigError(WarroomError):
    """The configuration is invalid; the message names the file, the key and the reason."""


class YamlFile(YamlConfigSettingsSource):
    """The configuration file; a missing file, bad YAML or a non-mapping is a ConfigError."""

    def _read_files(self, files: Any, deep_merge: bool = False) -> dict[str, Any]:
        return self._read_file(Path(files))

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        try:
            raw = Path(file_path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"{file_path}: cannot read the configuration: {exc.strerror}"
            ) from None
        try:
            data: Any = yaml.safe_load(raw) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{file_path}: not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{file_path}: the configuration must be a mapping of sections")
        return data


class Settings(BaseSettings):
    """The whole configuration. `Settings(...)` takes keyword arguments over the environment;
    `load(path)` adds the file under both."""

    model_config = SettingsConfigDict(
        extra="forbid",
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
        validate_default=False,
    )

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
    plugins: PluginSettings = Field(default_factory=PluginSettings)
    severities: SeveritySettings = Field(default_factory=SeveritySettings)
    services: dict[str, ServiceSettings] = Field(default_factory=dict)
    review: ReviewSettings = Field(default_factory=ReviewSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _FILE.get()
        if path is None:
            return init_settings, env_settings
        return init_settings, env_settings, YamlFile(settings_cls, yaml_file=path)

    @model_validator(mode="after")
    def _reminder_teams(self) -> Settings:
        for i, entry in enumerate(self.reminders):
            if entry.team is not None and entry.team not in self.teams:
                known = ", ".join(sorted(self.teams)) or "none configured"
                raise ValueError(f"reminders.{i}.team: unknown team {entry.team!r}; teams: {known}")
        return self

    def warnings(self) -> list[str]:
        """What is allowed but will not do what people may expect: a `notify_support` or
        `notify_imoc_team` reminder whose team (its `team:`, else `support` / `imoc`) is not
        configured tells nobody (the reminder then says so in the incident's channel)."""
        found = []
        for i, entry in enumerate(self.reminders):
            if entry.command not in ("notify_support", "notify_imoc_team") or entry.team:
                continue
            team = "support" if entry.command == "notify_support" else "imoc"
            if team not in self.teams:
                found.append(
                    f"reminders.{i} ({entry.command}) will tell nobody: no `{team}` team is "
                    f"configured (teams.{team}.channel)"
                )
        return found

    @model_validator(mode="after")
    def _services(self) -> Settings:
        http = {s.name for s in self.status.sources if s.kind == "http"}
        _check_services(self.services, self.severities, teams=set(self.teams), probes=http)
        return self

    @model_validator(mode="after")
    def _one_place_per_person(self) -> Settings:
        """A person in `oncall.people` has their name, e-mail and time zone there only; their
        `rotation.members` entry refers to them by handle (and adds country, manager)."""
        for i, entry in enumerate(self.rotation.members):
            person = self.oncall.people.get(entry.handle)
            if person is None:
                continue
            theirs = {"name": person.name, "email": person.email or "", "tz": person.timezone}
            for key in sorted(entry.model_fields_set & set(theirs)):
                if getattr(entry, key) != theirs[key]:
                    raise ValueError(
                        f"rotation.members.{i}.{key}: {entry.handle} is in oncall.people, which "
                        f"says {theirs[key]!r}; a person's details live there only: drop `{key}` "
                        "here"
                    )
        return self

    def rotation_roster(self) -> list[Member]:
        """`rotation.members` with each person's details from `oncall.people`."""
        out = []
        for entry in self.rotation.members:
            person = self.oncall.people.get(entry.handle)
            details = entry.model_dump()
            if person is not None:
                details |= {
                    "name": person.name,
                    "email": person.email or "",
                    "tz": person.timezone,
                }
            out.append(Member(**details))
        return out

    def reminder_rules(self) -> list[reminder.Rule]:
        return [entry.rule(i) for i, entry in enumerate(self.reminders)]

    @model_validator(mode="after")
    def _builtin_schedules_exist(self) -> Settings:
        refs = [(f"teams.{n}.schedule", t.provider, t.schedule) for n, t in self.teams.items()]
        commanders = self.oncall.commanders
        refs += [("oncall.commanders", commanders.provider, s) for _, s in commanders.schedules()]
        for key, provider, schedule in refs:
            if provider == "builtin" and schedule and schedule not in self.oncall.schedules:
                known = ", ".join(sorted(self.oncall.schedules)) or "none"
                raise ValueError(f"{key}: no schedule {schedule!r} in oncall.schedules ({known})")
        return self

    def pagerduty_targets(self) -> list[tuple[str, str, list[str], PagerDutyRoute | None]]:
        """(config key, who, schedules, route) of everything paged through PagerDuty."""
        found: list[tuple[str, str, list[str], PagerDutyRoute | None]] = []
        for name, team in sorted(self.teams.items()):
            if team.provider == "pagerduty" and team.schedule:
                found.append((f"teams.{name}", f"team {name!r}", [team.schedule], team.pagerduty))
        commanders = self.oncall.commanders
        if commanders.provider == "pagerduty" and commanders.schedules():
            schedules = [s for _, s in commanders.schedules()]
            found.append(
                ("oncall.commanders", "the incident commanders", schedules, commanders.pagerduty)
            )
        return found

    def pagerduty_routes(self) -> dict[str, PagerDutyRoute]:
        """Each PagerDuty schedule paged, with the route its pages take (validated at start)."""
        return {
            schedule: route
            for _, _, schedules, route in self.pagerduty_targets()
            if route is not None
            for schedule in schedules
        }

    @model_validator(mode="after")
    def _pagerduty_routes(self) -> Settings:
        """A PagerDuty team must name its own route: nothing is paged through a global key."""
        seen: dict[str, tuple[str, PagerDutyRoute]] = {}
        for key, who, schedules, route in self.pagerduty_targets():
            if route is None:
                raise ValueError(
                    f"{key}: PagerDuty has no way to page {who}: set `{key}.pagerduty."
                    "routing_key_env` (the variable holding the Events API v2 integration key of "
                    f"its service) or `{key}.pagerduty.service` (its service ID, for REST)"
                )
            if route.service and not self.pagerduty.from_email:
                raise ValueError(
                    f"{key}.pagerduty.service: REST pages need `pagerduty.from_email` (the "
                    "e-mail of the PagerDuty user they are made as)"
                )
            for schedule in schedules:
                other = seen.setdefault(schedule, (key, route))
                if other[1] != route:
                    raise ValueError(
                        f"{key}: schedule {schedule!r} is also paged by {other[0]} through "
                        "another route; give them the same `pagerduty` route"
                    )
        if self.pagerduty.person_service and not self.pagerduty.from_email:
            raise ValueError("pagerduty.person_service: REST pages need `pagerduty.from_email`")
        return self

    @field_validator("teams")
    @classmethod
    def _teams(cls, value: dict[str, TeamSettings]) -> dict[str, TeamSettings]:
        for name in value:
            if not NAME.match(name):
                raise ValueError(f"team name {name!r} must be a lowercase word")
        return value


def overrides(environ: Mapping[str, str]) -> dict[str, str]:
    """The `WARROOM_*` variables that override keys, by their dotted key (`bot.name`)."""
    found = {}
    for name in environ:
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper not in NOT_KEYS:
            found[".".join(name[len(ENV_PREFIX) :].lower().split("__"))] = name
    return found


def load(path: Path | None = None) -> tuple[Settings, Path]:
    """Load `path` (default: $WARROOM_CONFIG, else the shipped example) with env overrides."""
    if path is None:
        env_path = os.environ.get("WARROOM_CONFIG")
        path = Path(env_path) if env_path else EXAMPLE_CONFIG
    variables = overrides(os.environ)
    where = f"{path} (with WARROOM_* environment overrides)" if variables else str(path)
    unknown = [
        f"  {key} ({name}): unknown key"
        for key, name in sorted(variables.items())
        if key.split(".")[0] not in Settings.model_fields
    ]
    if unknown:
        raise ConfigError(f"{where}: invalid configuration:\n" + "\n".join(unknown))
    token = _FILE.set(path)
    try:
        return Settings(), path
    except ValidationError as exc:
        raise ConfigError(f"{where}: invalid configuration:\n" + describe(exc, variables)) from None
    finally:
        _FILE.reset(token)


def describe(exc: ValidationError, variables: Mapping[str, str] | None = None) -> str:
    """One line per error: the dotted key, the variable it came from if any, the reason."""
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        reason = error["msg"]
        if error["type"] == "extra_forbidden":
            reason = "unknown key (secrets belong in the environment, see docs/configuration.md)"
        if not error["loc"] and error["type"] == "value_error":
            # A check across sections: its message names the keys itself.
            lines.append(f"  {error['ctx']['error']}")
            continue
        name = (variables or {}).get(key.lower())
        lines.append(f"  {key} ({name}): {reason}" if name else f"  {key}: {reason}")
    return "\n".join(lines)
