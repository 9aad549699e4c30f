"""Alerts in: Prometheus Alertmanager's webhook (version 4), and other monitoring systems'
webhooks through a per-source field mapping (`alerts.sources`)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from warroom.app import alerts, api
from warroom.config.web import SourceMapping
from warroom.store.tokens import Token
from warroom.web.auth import require
from warroom.web.problems import Problem
from warroom.web.state import WebState, state

log = logging.getLogger("warroom.alerts")
router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
Respond = Annotated[Token, Depends(require("respond"))]


class AmAlert(BaseModel):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str | None = None
    endsAt: str | None = None
    generatorURL: str | None = None
    fingerprint: str | None = None


class AlertmanagerWebhook(BaseModel):
    """Alertmanager's webhook payload, version 4."""

    version: Literal["4"]
    groupKey: str = Field(min_length=1, max_length=500)
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[AmAlert] = Field(default_factory=list, max_length=10000)


class Received(BaseModel):
    route: str
    result: Literal["paged", "duplicate", "resolved", "ignored"]
    page: int | None
    incident: int | None


def am_title(hook: AlertmanagerWebhook) -> str:
    firing = [a for a in hook.alerts if a.status == "firing"]
    first = (firing or hook.alerts or [AmAlert(status=hook.status)])[0]
    name = hook.commonLabels.get("alertname") or hook.groupLabels.get("alertname") or ""
    summary = (
        hook.commonAnnotations.get("summary")
        or first.annotations.get("summary")
        or hook.commonAnnotations.get("description")
        or ""
    )
    title = f"{name}: {summary}" if name and summary else name or summary or hook.groupKey
    if len(firing) > 1:
        title = f"[{len(firing)} alerts] {title}"
    return title


async def _receive(st: WebState, alert: alerts.AlertIn, token: Token) -> JSONResponse:
    def work() -> alerts.Outcome:
        return alerts.receive(st.app, alert, token=token.name, platform=st.platform)

    try:
        outcome = await asyncio.to_thread(work)
    except api.Refused as exc:
        raise Problem(422, str(exc)) from None
    except alerts.RetryLater as exc:
        raise Problem(503, str(exc)) from None
    if st.metrics is not None:
        st.metrics.alerts.labels(alert.source, outcome.route).inc()
    log.info("alert %s %s %s -> %s %s", alert.source, alert.key[:80], alert.status,
             outcome.route, outcome.result)  # fmt: skip
    if st.deliver is not None and outcome.done.deliveries:
        await st.deliver(outcome.done.deliveries)
    body = Received(route=outcome.route, result=outcome.result, page=outcome.page_id,
                    incident=outcome.incident_id)  # fmt: skip
    return JSONResponse(body.model_dump(), status_code=201 if outcome.result == "paged" else 200)


@router.post("/alertmanager", summary="Prometheus Alertmanager's webhook (version 4)",
             response_model=Received)  # fmt: skip
async def alertmanager(request: Request, hook: AlertmanagerWebhook, token: Respond) -> JSONResponse:
    labels = {**hook.groupLabels, **hook.commonLabels}
    alert = alerts.AlertIn("alertmanager", hook.groupKey, hook.status, am_title(hook), labels)
    return await _receive(state(request), alert, token)


@router.post("/webhook/{source}", summary="Another monitoring system's webhook, mapped by "
             "`alerts.sources.<source>`", response_model=Received)  # fmt: skip
async def webhook(request: Request, source: str, token: Respond) -> JSONResponse:
    st = state(request)
    mapping = st.app.settings.alerts.sources.get(source)
    if mapping is None:
        known = ", ".join(sorted(st.app.settings.alerts.sources)) or "none"
        raise Problem(404, f"No mapping for the source `{source}` in `alerts.sources`: {known}.")
    try:
        payload = json.loads(await request.body())
    except ValueError:
        raise Problem(
            422, "body: not JSON", errors=[{"field": "body", "message": "not JSON"}]
        ) from None
    alert = mapped(source, mapping, payload)
    if alert is None:
        body = Received(route="", result="ignored", page=None, incident=None)
        return JSONResponse(body.model_dump())
    return await _receive(st, alert, token)


def mapped(source: str, mapping: SourceMapping, payload: Any) -> alerts.AlertIn | None:
    """The alert a mapped payload describes; None for a status neither firing nor resolved
    (New Relic's ACKNOWLEDGED, Dynatrace's MERGED)."""
    fields = {"title": mapping.title, "status": mapping.status, "dedup_key": mapping.dedup_key}
    values: dict[str, str] = {}
    for name, path in fields.items():
        value = dig(payload, path)
        if value in (None, ""):
            raise Problem(422, f"{path}: missing (the `{name}` of source `{source}`)",
                          errors=[{"field": path, "message": "missing"}])  # fmt: skip
        values[name] = str(value)
    status: Literal["firing", "resolved"]
    if values["status"] in mapping.firing:
        status = "firing"
    elif values["status"] in mapping.resolved:
        status = "resolved"
    else:
        return None
    labels = dict(mapping.fixed_labels)
    for label, path in mapping.labels.items():
        value = dig(payload, path)
        if value not in (None, "") and not isinstance(value, dict | list):
            labels[label] = str(value)
    return alerts.AlertIn(source, values["dedup_key"][:500], status, values["title"], labels)


def dig(data: Any, path: str) -> Any:
    """`a.b.0.c` into nested JSON; None where the path leads nowhere."""
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data
