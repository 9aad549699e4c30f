"""The `deploy:`, `web:` and `alerts:` sections of the configuration (deploy locks, the HTTP
API, alert intake). Attached to `Settings` in config.py."""

from __future__ import annotations

import ipaddress
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


class AuthSettings(_Section):
    """Who may open the dashboard. OpenID Connect (`oidc_issuer`, `oidc_client_id`, the secret
    in OIDC_CLIENT_SECRET), or a header an auth proxy sets (`trusted_header`, believed only from
    `trusted_proxies`). Without either the dashboard answers only on 127.0.0.1.

    `responders` and `viewers` list who may do what: an e-mail, a subject, a handle, or a value
    of the `role_claim` claim (e.g. a group); `*` is everyone who signs in. Responders
    acknowledge and resolve pages, unlock stacks and see phone numbers; viewers read."""

    oidc_issuer: str | None = Field(
        default=None, description="the issuer URL; its /.well-known/openid-configuration is read"
    )
    oidc_client_id: str | None = None
    oidc_scopes: str = "openid email profile"
    handle_claim: str = Field(
        default="preferred_username",
        description="the claim holding the person's chat handle (Slack: https://slack.com/user_id)",
    )
    role_claim: str | None = Field(default=None, description="a claim of groups or roles")
    trusted_header: str | None = Field(
        default=None, description="e.g. X-Forwarded-Email, as oauth2-proxy sets it"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list, description="addresses or networks allowed to set trusted_header"
    )
    responders: list[str] = Field(default_factory=list)
    viewers: list[str] = Field(default_factory=list)
    session_minutes: int = Field(default=720, ge=1, description="a sign-in lasts this long")
    secure_cookies: bool = Field(
        default=False, description="send the session cookie over HTTPS only (behind TLS)"
    )
    public_url: str | None = Field(
        default=None, description="the dashboard's URL as browsers reach it (for the redirect)"
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"`{item}` is not an address or a network") from None
        return value

    @property
    def oidc(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def signs_in(self) -> bool:
        return self.oidc or bool(self.trusted_header)


class DashboardSettings(_Section):
    """The web dashboard at `/`."""

    enabled: bool = True
    channel_url: str | None = Field(
        default=None,
        description="a link into the chat for a channel, `{channel}` replaced "
        "(Slack: https://slack.com/app_redirect?channel={channel})",
    )


class WebSettings(_Section):
    """The HTTP API, the dashboard, /metrics and the health checks."""

    enabled: bool = True
    listen: str = Field(default="127.0.0.1:8080", description="HOST:PORT")
    max_body: int = Field(default=1024 * 1024, ge=1024, description="bytes; larger bodies get 413")
    auth: AuthSettings = Field(default_factory=AuthSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)

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
