"""The `deploy:`, `web:` and `alerts:` sections of the configuration (deploy locks, the HTTP
API, alert intake). Attached to `Settings` in config.py."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

STACK = re.compile(r"^[\w.\-/]{1,200}$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeploySettings(_Section):
    """Deploy locks (Spy's `shipit lock`)."""

    stacks: list[str] = Field(
        default_factory=list, description="known stacks; when set, other names are refused"
    )
    lock_on_incident: list[str] = Field(
        default_factory=list, description="stacks locked whenever an incident starts"
    )
    team_locks: dict[str, list[str]] = Field(
        default_factory=dict,
        description="team -> stacks locked when an incident starts in that team's channel",
    )
    on_stop: Literal["ask", "unlock", "keep"] = Field(
        default="ask",
        description="at `incident stop`: ask in the channel, unlock, or keep the incident's locks",
    )

    @field_validator("stacks", "lock_on_incident")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not STACK.match(name):
                raise ValueError(f"`{name}` is not a stack name (letters, digits, . - _ /)")
        return value


class WebSettings(_Section):
    """The HTTP API, /metrics and the health checks."""

    enabled: bool = True
    listen: str = Field(default="127.0.0.1:8080", description="HOST:PORT")
    max_body: int = Field(default=1024 * 1024, ge=1024, description="bytes; larger bodies get 413")

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"`{value}` is not HOST:PORT, e.g. 127.0.0.1:8080")
        return value


class AlertRoute(_Section):
    """Alerts whose labels all equal `match` go to `team`: `page` pages the team's on-call with
    the alert's summary; `incident` also opens an incident in the team's channel."""

    match: dict[str, str] = Field(default_factory=dict)
    team: str
    action: Literal["page", "incident"] = "page"
    name: str | None = Field(default=None, description="for metrics and logs; default: the team")


class SourceMapping(_Section):
    """Where a monitoring system's webhook keeps the fields warroom needs: dotted paths into
    the JSON body (`alerts.0.labels.alertname`)."""

    title: str
    status: str
    firing: list[str] = Field(default_factory=lambda: ["firing"])
    resolved: list[str] = Field(default_factory=lambda: ["resolved"])
    dedup_key: str
    labels: dict[str, str] = Field(
        default_factory=dict, description="label -> path; the routes match these"
    )
    fixed_labels: dict[str, str] = Field(default_factory=dict)


def shipped_sources() -> dict[str, SourceMapping]:
    """Grafana alerting, Dynatrace and New Relic, as their documented webhooks send them."""
    return {
        "grafana": SourceMapping(
            title="title",
            status="status",
            dedup_key="groupKey",
            labels={
                "alertname": "commonLabels.alertname",
                "severity": "commonLabels.severity",
                "team": "commonLabels.team",
                "service": "commonLabels.service",
            },
            fixed_labels={"source": "grafana"},
        ),
        "dynatrace": SourceMapping(
            title="ProblemTitle",
            status="State",
            firing=["OPEN"],
            resolved=["RESOLVED", "CLOSED"],
            dedup_key="PID",
            labels={"severity": "ProblemSeverity", "impact": "ProblemImpact", "tags": "Tags"},
            fixed_labels={"source": "dynatrace"},
        ),
        "newrelic": SourceMapping(
            title="title",
            status="state",
            firing=["ACTIVATED"],
            resolved=["CLOSED"],
            dedup_key="id",  # the default payload's `{{ json issueId }}`
            labels={
                "priority": "priority",
                "policy": "alertPolicyNames.0",
                "condition": "alertConditionNames.0",
            },
            fixed_labels={"source": "newrelic"},
        ),
    }


class AlertSettings(_Section):
    routes: list[AlertRoute] = Field(default_factory=list)
    default_team: str | None = Field(
        default=None, description="where unmatched alerts go; unset: they are refused with 422"
    )
    sources: dict[str, SourceMapping] = Field(default_factory=shipped_sources)
