"""Configuration: one YAML file validated at start; `WARROOM_<SECTION>__<KEY>` overrides any key.

Secrets (tokens, API keys) are never read from the file: they come from the environment only,
under their vendors' usual names, and the file rejects keys it does not know.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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


class TeamSettings(_Section):
    channel: str
    description: str = ""

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        value = value.strip().lstrip("#")
        if not value:
            raise ValueError("a channel name or ID")
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
    slack: SlackSettings = Field(default_factory=SlackSettings)
    notices: NoticesSettings = Field(default_factory=NoticesSettings)

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
