"""Severities, services and their levels, and the post-incident review reminder.

```yaml
severities:
  levels:
    - {name: sev1, meaning: "Critical: ...", page_commanders: true, lock: [api], notify: [support]}
services:
  checkout:
    objective: 99.9      # percent: the SLO
    window: 30d          # rolling
    sla: 99.0            # optional; lower than the objective
    probes: [checkout]   # status.sources health checks, sampled every `every`
    team: payments       # paged (fast burn) and told (slow burn)
review:
  after_stop: 1h         # ask the IMOC to schedule the review
  actions_after: 7d      # then list the action items still open
```
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator, model_validator

from warroom.config.sections import NAME, Duration, Section
from warroom.core import reminder
from warroom.core import severity as core_severity
from warroom.core import slo as core_slo


class SeverityLevel(Section):
    name: str
    meaning: str
    page_commanders: bool = False
    lock: list[str] = Field(default_factory=list)
    notify: list[str] = Field(default_factory=list)
    ask: bool = False  # Spy's "🔴 Is this incident high-impact?"
    # The reminder commands (reminders[].command) that apply to incidents of this severity;
    # None: all of them. E.g. a sev4 with [] gets none of Spy's reminders.
    reminders: list[str] | None = None

    @field_validator("reminders")
    @classmethod
    def _reminders(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        names = [reminder.ALIASES.get(n.strip().lstrip(":"), n.strip().lstrip(":")) for n in value]
        unknown = sorted(set(names) - set(reminder.COMMANDS))
        if unknown:
            known = ", ".join(sorted(reminder.COMMANDS))
            raise ValueError(f"unknown reminder {unknown[0]!r}; reminders: {known}")
        return names

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(f"severity name {value!r} must be a lowercase word such as sev1")
        return value


def default_levels() -> list[SeverityLevel]:
    return [
        SeverityLevel(
            name="sev1",
            meaning="Critical: a core service is down for many customers",
            page_commanders=True,
            ask=True,
        ),
        SeverityLevel(
            name="sev2", meaning="Major: a core service is degraded for many customers", ask=True
        ),
        SeverityLevel(name="sev3", meaning="Minor: limited impact, or a workaround exists"),
        SeverityLevel(name="sev4", meaning="Low: no customer impact yet"),
    ]


class SeveritySettings(Section):
    """`levels` from the worst down; `ask_unset`: Spy's high-impact question is a reminder,
    `ask_after` the start, to an incident still without a severity (a severity with `ask`
    gets it when set)."""

    levels: list[SeverityLevel] = Field(default_factory=default_levels)
    ask_unset: bool = True
    ask_after: Duration = 1200

    @field_validator("levels")
    @classmethod
    def _unique(cls, value: list[SeverityLevel]) -> list[SeverityLevel]:
        names = [level.name for level in value]
        if len(set(names)) != len(names):
            raise ValueError("each severity name once")
        return value

    def core(self) -> list[core_severity.Severity]:
        return [
            core_severity.Severity(
                name=level.name,
                meaning=level.meaning,
                rank=i + 1,
                page_commanders=level.page_commanders,
                lock=tuple(level.lock),
                notify=tuple(level.notify),
                ask=level.ask,
            )
            for i, level in enumerate(self.levels)
        ]


class BurnRuleSettings(Section):
    name: str
    factor: float = Field(gt=0)
    long: Duration
    short: Duration
    action: str = "post"

    @field_validator("action")
    @classmethod
    def _action(cls, value: str) -> str:
        if value not in ("page", "post"):
            raise ValueError("`page` (the service's team) or `post` (in its channel)")
        return value

    @model_validator(mode="after")
    def _windows(self) -> BurnRuleSettings:
        if not 0 < self.short < self.long:
            raise ValueError("`short` must be shorter than `long`, both positive")
        return self


def default_burn() -> list[BurnRuleSettings]:
    return [
        BurnRuleSettings(
            name=r.name,
            factor=r.factor,
            long=int(r.long.total_seconds()),
            short=int(r.short.total_seconds()),
            action=r.action,
        )
        for r in core_slo.DEFAULT_BURN_RULES
    ]


class ServiceSettings(Section):
    objective: float = Field(gt=0, lt=100)
    window: Duration = 30 * 86400
    sla: float | None = Field(default=None, gt=0, lt=100)
    probes: list[str] = Field(default_factory=list)
    every: Duration = 30
    incidents: bool = True
    partial: float = Field(default=0.5, gt=0, le=1)
    team: str | None = None
    burn: list[BurnRuleSettings] = Field(default_factory=default_burn)

    @field_validator("burn")
    @classmethod
    def _burn_names(cls, value: list[BurnRuleSettings]) -> list[BurnRuleSettings]:
        names = [rule.name for rule in value]
        for name in names:
            if names.count(name) > 1:  # an alert episode is keyed by the rule's name
                raise ValueError(f"burn rule `{name}` twice: each rule name once")
        return value

    @model_validator(mode="after")
    def _levels(self) -> ServiceSettings:
        if self.sla is not None and self.sla >= self.objective:
            raise ValueError(
                f"sla {self.sla} must be lower than the objective {self.objective}: "
                "an SLA should be less than the SLO so you have space"
            )
        if not 86400 <= self.window <= 400 * 86400:
            raise ValueError("`window` between 1d and 400d")
        if not 10 <= self.every <= 3600:
            raise ValueError("`every` between 10s and 1h")
        if not self.probes and not self.incidents:
            raise ValueError("a service needs an SLI source: `probes`, `incidents: true`, or both")
        return self

    def rules(self) -> list[core_slo.BurnRule]:
        return [
            core_slo.BurnRule(
                r.name, r.factor, timedelta(seconds=r.long), timedelta(seconds=r.short), r.action
            )
            for r in self.burn
        ]


class ReviewSettings(Section):
    """After `incident stop`: ask the IMOC to schedule the review after `after_stop` (off by
    default: existing channels see nothing new), then list the action items still open after
    `actions_after`. 0 turns either off."""

    after_stop: Duration = 0
    actions_after: Duration = 7 * 86400


def check_services(
    services: dict[str, ServiceSettings],
    severities: SeveritySettings,
    *,
    teams: set[str],
    probes: set[str],
) -> None:
    """The checks across sections: probes name HTTP status sources, teams exist."""
    for name, service in services.items():
        if not NAME.match(name):
            raise ValueError(f"services: service name {name!r} must be a lowercase word")
        for probe in service.probes:
            if probe not in probes:
                known = ", ".join(sorted(probes)) or "none"
                raise ValueError(
                    f"services.{name}.probes: {probe!r} is not an HTTP check in status.sources "
                    f"({known})"
                )
        if service.team is not None and service.team not in teams:
            known = ", ".join(sorted(teams)) or "none configured"
            raise ValueError(f"services.{name}.team: unknown team {service.team!r}; teams: {known}")
    for level in severities.levels:
        for team in level.notify:
            if team not in teams:
                known = ", ".join(sorted(teams)) or "none configured"
                raise ValueError(
                    f"severities.{level.name}.notify: unknown team {team!r}; teams: {known}"
                )
