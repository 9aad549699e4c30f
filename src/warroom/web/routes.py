"""API v1: incidents, pages, on-call, the rotation, service levels, deploy locks. Writes run
the chat commands' use cases (app/api.py); their effects are handed to the runtime's deliver."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from warroom.app import api, api_slo
from warroom.commands import types as t
from warroom.core.timeref import Absolute, Now
from warroom.store.tokens import Token
from warroom.web.auth import COVERS, require
from warroom.web.lockview import LockView
from warroom.web.problems import Problem
from warroom.web.state import WebState, state

router = APIRouter(prefix="/api/v1")
Read = Annotated[Token, Depends(require("read"))]
Respond = Annotated[Token, Depends(require("respond"))]
Deploy = Annotated[Token, Depends(require("deploy"))]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartBody(_Body):
    channel: str = Field(min_length=1, max_length=80, pattern=r"^#?[\w.\-]+$")
    summary: str = Field(min_length=1, max_length=300)
    imoc: str = Field(min_length=1, max_length=80, description="the IMOC's chat handle")


class NoteBody(_Body):
    text: str = Field(min_length=1, max_length=3000)


class MilestoneBody(_Body):
    kind: Literal["failures_started", "mitigated"]
    at: datetime | None = Field(default=None, description="ISO 8601 with a zone; default now")


class PageBody(_Body):
    kind: Literal["team", "commanders", "person"]
    name: str | None = Field(default=None, max_length=120, description="the team or the person")
    message: str = Field(default="", max_length=1000)


class LockBody(_Body):
    reason: str = Field(default="", max_length=500)


class Said(BaseModel):
    said: list[str]


async def _write(st: WebState, work: Any) -> api.Done:
    """Run a write off the loop; a refusal is 409 with the words chat would have answered."""
    try:
        done: api.Done = await asyncio.to_thread(work)
    except api.Refused as exc:
        raise Problem(409, str(exc)) from None
    except api.NotFound as exc:
        raise Problem(404, str(exc)) from None
    if st.deliver is not None and done.deliveries:
        await st.deliver(done.deliveries)
    return done


async def _read(work: Any) -> Any:
    try:
        return await asyncio.to_thread(work)
    except api.NotFound as exc:
        raise Problem(404, str(exc)) from None
    except api.Refused as exc:
        raise Problem(422, str(exc)) from None


@router.get("/incidents", summary="Incidents, active first")
async def list_incidents(
    request: Request,
    _: Read,
    status: Literal["active", "stopped"] | None = None,
    team: str | None = None,
    channel: str | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    st = state(request)

    def work() -> list[dict[str, Any]]:
        where = api.team_channel(st.app, team) if team else channel
        return api.list_incidents(st.app, status=status, channel=where, since=since, limit=limit)

    result: list[dict[str, Any]] = await _read(work)
    return result


@router.get("/incidents/{incident_id}", summary="One incident: timeline, roles, milestones")
async def get_incident(request: Request, incident_id: int, _: Read) -> dict[str, Any]:
    st = state(request)
    result: dict[str, Any] = await _read(lambda: api.one_incident(st.app, incident_id))
    return result


@router.get(
    "/incidents/{incident_id}/report",
    summary="The service-disruption report (Markdown)",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}}}},
)
async def get_report(request: Request, incident_id: int, _: Read) -> Response:
    st = state(request)
    markdown: str = await _read(lambda: api.report(st.app, incident_id))
    return Response(markdown, media_type="text/markdown; charset=utf-8")


@router.post("/incidents", status_code=201, summary="Start an incident bound to a channel")
async def start_incident(request: Request, body: StartBody, token: Respond) -> dict[str, Any]:
    st = state(request)
    channel = body.channel.lstrip("#")
    command = t.StartIncident(imoc=body.imoc.lstrip("@"), summary=body.summary)

    def work() -> api.Done:
        return api.run(st.app, command, token=token.name, platform=st.platform, channel=channel)

    await _write(st, work)
    found = await asyncio.to_thread(api.bound_incident, st.app, st.platform, channel)
    if found is None:  # stopped again in between
        raise Problem(409, f"The incident in #{channel} was stopped meanwhile.")
    return found


async def _command(request: Request, token: Token, command: Any) -> Said:
    """A write that is one chat command about one incident or page."""
    st = state(request)

    def work() -> api.Done:
        return api.run(st.app, command, token=token.name, platform=st.platform)

    done = await _write(st, work)
    return Said(said=done.said)


@router.post("/incidents/{incident_id}/notes", summary="Add a note")
async def note(request: Request, incident_id: int, body: NoteBody, token: Respond) -> Said:
    return await _command(request, token, t.Note(text=body.text, incident_id=incident_id))


@router.post("/incidents/{incident_id}/milestones", summary="Record a milestone")
async def milestone(
    request: Request, incident_id: int, body: MilestoneBody, token: Respond
) -> Said:
    when = Absolute(body.at) if body.at else Now()
    if body.at is not None and body.at.tzinfo is None:
        raise Problem(422, "at: give a time zone (`Z` or `+02:00`)",
                      errors=[{"field": "at", "message": "give a time zone"}])  # fmt: skip
    command = t.Milestone(kind=body.kind, when=when, incident_id=incident_id)
    return await _command(request, token, command)


@router.post("/incidents/{incident_id}/stop", summary="Stop an incident")
async def stop(request: Request, incident_id: int, token: Respond) -> Said:
    return await _command(request, token, t.Stop(incident_id))


@router.post("/pages/{page_id}/ack", summary="Acknowledge a page")
async def ack(request: Request, page_id: int, token: Respond) -> Said:
    return await _command(request, token, t.PagerUpdate("acknowledge", page_id))


@router.post("/pages/{page_id}/resolve", summary="Resolve a page")
async def resolve(request: Request, page_id: int, token: Respond) -> Said:
    return await _command(request, token, t.PagerUpdate("resolve", page_id))


@router.get("/pages", summary="Open pages (contact details with the respond scope)")
async def list_pages(request: Request, token: Read) -> list[dict[str, Any]]:
    st = state(request)
    contacts = "respond" in COVERS[token.scope]
    result: list[dict[str, Any]] = await _read(lambda: api.open_pages(st.app, contacts=contacts))
    return result


@router.post("/pages", status_code=201, summary="Page a team, the commanders or a person")
async def page(request: Request, body: PageBody, token: Respond) -> Said:
    st = state(request)
    if body.kind != "commanders" and not body.name:
        raise Problem(422, f"name: a {body.kind} to page is required", errors=[
            {"field": "name", "message": f"a {body.kind} to page is required"}])  # fmt: skip
    name = body.name.lstrip("@#") if body.name else None
    command = t.PageSomeone(body.kind, body.message, name=name)

    def work() -> api.Done:
        return api.run(st.app, command, token=token.name, platform=st.platform)

    done = await _write(st, work)
    return Said(said=done.said)


@router.get("/oncall", summary="Who is on call per team (phone numbers with respond)")
async def get_oncall(request: Request, token: Read) -> dict[str, Any]:
    st = state(request)
    contacts = "respond" in COVERS[token.scope]
    result: dict[str, Any] = await _read(lambda: api.team_oncall(st.app, contacts=contacts))
    return result


@router.get("/rotation/queue", summary="The fair rotation's queue, next first")
async def rotation_queue(
    request: Request, _: Read, limit: Annotated[int, Query(ge=1, le=500)] = 25
) -> list[dict[str, Any]]:
    st = state(request)
    result: list[dict[str, Any]] = await _read(lambda: api.rotation_queue(st.app, limit))
    return result


@router.get("/rotation/stats", summary="Rotation stats: the rows of `warroom stats --csv`")
async def rotation_stats(request: Request, _: Read) -> list[dict[str, str]]:
    st = state(request)
    result: list[dict[str, str]] = await _read(lambda: api.rotation_stats(st.app))
    return result


@router.get(
    "/slo",
    summary="Every service's level: availability, error budget, SLA state, open burn alerts",
    response_model=list[dict[str, Any]],  # a Response (the CSV) passes through as it is
    responses={200: {"content": {"text/csv": {}}}},
)
async def slo_levels(request: Request, _: Read, format: Literal["json", "csv"] = "json") -> Any:
    st = state(request)
    if format == "csv":
        text: str = await _read(lambda: api_slo.levels_csv(st.app))
        return Response(text, media_type="text/csv; charset=utf-8")
    views: list[api_slo.ServiceView] = await _read(lambda: api_slo.overview(st.app))
    return [api_slo.level_json(v.level, v.alerts) for v in views]


@router.get(
    "/slo/{service}",
    summary="One service: SLI sources, burn rates, incidents that spent its budget",
)
async def slo_service(request: Request, service: str, _: Read) -> dict[str, Any]:
    st = state(request)
    try:
        view = await asyncio.to_thread(api_slo.service_detail, st.app, service)
    except api_slo.UnknownService as exc:
        raise Problem(404, str(exc), services=exc.services) from None
    return api_slo.detail_json(view)


LOCKED: dict[int | str, dict[str, Any]] = {
    423: {"description": "Locked: who, why, since, the incident"}
}


@router.get("/locks", summary="The stacks locked now")
async def list_locks(request: Request, _: Read) -> list[dict[str, Any]]:
    st = state(request)
    held = await asyncio.to_thread(api.all_locks, st.app)
    return [api.lock_json(lock) for lock in held]


@router.get("/locks/{stack:path}", summary="Is a stack locked? 200 free, 423 locked",
            responses=LOCKED)  # fmt: skip
async def get_lock(request: Request, stack: str, _: Read) -> JSONResponse:
    st = state(request)
    view: LockView = st.extra.get("locks") or st.extra.setdefault("locks", LockView(st.app))
    lock = await view.get(stack)
    if lock is None:
        return JSONResponse({"locked": False, "stack": stack})
    return JSONResponse(_jsonable(api.lock_json(lock)), status_code=423)


@router.post("/locks/{stack:path}", status_code=201, summary="Lock a stack", responses=LOCKED)
async def post_lock(
    request: Request, stack: str, token: Deploy, body: LockBody | None = None
) -> JSONResponse:
    st = state(request)
    reason = body.reason if body else ""

    def work() -> api.Done:
        return api.lock(st.app, stack=stack, reason=reason, token=token.name, platform=st.platform)

    try:
        done = await asyncio.to_thread(work)
    except api.Refused as exc:
        lock = await asyncio.to_thread(api.get_lock, st.app, stack)
        if lock is None:
            raise Problem(422, str(exc)) from None
        raise Problem(423, str(exc), **_jsonable(api.lock_json(lock))) from None
    return JSONResponse({"locked": True, "stack": stack, "said": done.said}, status_code=201)


@router.delete("/locks/{stack:path}", summary="Unlock a stack")
async def delete_lock(request: Request, stack: str, token: Deploy) -> Said:
    st = state(request)
    try:
        done = await asyncio.to_thread(api.unlock, st.app, stack=stack, token=token.name)
    except api.Refused as exc:
        raise Problem(404, str(exc)) from None
    return Said(said=done.said)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}
