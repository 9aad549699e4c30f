"""`plugins`: out-of-process command plugins (docs/plugins.md). Each one is an executable
(`command`) or a container image (`image`, run with `container`); it gets only the environment
listed here: `env` (plain values) and `secrets` (variables of warroom's environment, by name;
never warroom's own tokens)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from warroom.config.sections import NAME

# Warroom's own tokens: a plugin is never given them, whatever its configuration says.
OWN_PREFIXES = ("SLACK_", "WARROOM_", "PAGERDUTY_", "OPSGENIE_", "JIRA_")


class PluginConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: list[str] | None = None
    image: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    secrets: list[str] = Field(default_factory=list)
    timeout: float = Field(default=10.0, gt=0, le=600)
    output_cap: int = Field(default=65536, ge=1024, le=16 * 1024 * 1024)
    concurrency: int = Field(default=4, ge=1, le=64)
    # A plugin that cannot start (missing, bad description) stops warroom's start unless it is
    # optional; an optional one is left out with a warning.
    optional: bool = False

    @model_validator(mode="after")
    def _one_way_to_run(self) -> PluginConfig:
        if (self.command is None) == (self.image is None):
            raise ValueError("give either `command` (an executable) or `image` (a container)")
        if self.command is not None and not self.command:
            raise ValueError("`command` is empty")
        return self

    @field_validator("secrets")
    @classmethod
    def _not_ours(cls, value: list[str]) -> list[str]:
        for name in value:
            if name.upper().startswith(OWN_PREFIXES):
                raise ValueError(f"{name} is one of warroom's own tokens; plugins never get them")
        return value

    @field_validator("env")
    @classmethod
    def _no_own_env(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if name.upper().startswith(OWN_PREFIXES):
                raise ValueError(f"{name} is a name warroom keeps for its own tokens")
        return value


class PluginSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # How an `image` plugin runs: this, then `-e NAME` per variable, the image, its arguments.
    container: list[str] = Field(default_factory=lambda: ["docker", "run", "--rm", "-i"])
    # The incident's link in the documents plugins get; `{id}` is the incident's number.
    incident_link: str | None = None
    enabled: dict[str, PluginConfig] = Field(default_factory=dict)

    @field_validator("enabled")
    @classmethod
    def _names(cls, value: dict[str, PluginConfig]) -> dict[str, PluginConfig]:
        for name in value:
            if not NAME.match(name):
                raise ValueError(f"plugin name {name!r} must be a lowercase word")
        return value
