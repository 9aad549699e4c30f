"""The dashboard's pages and buttons. Reads come from app/dashboard.py, writes run the chat
commands' use cases as the person signed in and hand their effects to the runtime's deliver."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from warroom.app import api
from warroom.app import dashboard as board
from warroom.commands import types as t
from warroom.core.incident import EventKind
from warroom.web.dashboard import auth, svg
from warroom.web.state import WebState

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
log = logging.getLogger("warroom.web.dashboard")
router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form()]
MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def since(start: datetime, now: datetime) -> str:
    """`2h 05m`, `3d 4h`, `45s`: how long something has run."""
    seconds = max(0, int((now - start).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def report_html(markdown: str) -> Markup:
    """The report's Markdown as HTML, its headings two levels down (under the page's h2)."""
    html = MARKDOWN.render(markdown)
    for level in (4, 3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return Markup(html)


def utc(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else "—"


def hhmm(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%H:%M:%S")


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(utc=utc, hhmm=hhmm)
    env.globals.update(since=since, EventKind=EventKind)
    return env


@dataclass
class Dashboard:
    web: WebState
    oidc: Any = None
    env: Environment = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.env = _env()

    @property
    def app(self) -> Any:
        return self.web.app

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any],
        viewer: auth.Viewer | None,
        *,
        status: int = 200,
    ) -> HTMLResponse:
        settings = self.app.settings.web
        flash = request.session.pop("flash", None) if "session" in request.scope else None
        html = self.env.get_template(name).render(
            viewer=viewer,
            local_only=not settings.auth.signs_in,
            flash=flash,
            path=request.url.path,
            channel_url=self.channel_url,
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def channel_url(self, channel: str) -> str | None:
        template = self.app.settings.web.dashboard.channel_url
        return template.replace("{channel}", channel) if template else None


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _board(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.warroom.extra["dashboard"]
    return found


def _who(request: Request) -> tuple[Dashboard, auth.Viewer]:
    dash = _board(request)
    return dash, auth.current(request, dash.app.settings.web.auth, dash.app.clock.now())


async def _off_loop(work: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await asyncio.to_thread(work, *args, **kwargs)
    except api.NotFound as exc:
        raise auth.Refusal(404, str(exc)) from None
    except api.Refused as exc:
        raise auth.Refusal(422, str(exc)) from None


# Pages ---------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def now_page(request: Request) -> HTMLResponse:
    dash, viewer = _who(request)
    view = await _off_loop(board.now_view, dash.app, contacts=viewer.sees_phones)
    return dash.render(request, "now.html", {"view": view, "title": "Now"}, viewer)


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(
    request: Request, incident_id: int, before: int | None = None
) -> HTMLResponse:
    """The header, the latest 200 events (live), earlier ones a page back at a time."""
    dash, viewer = _who(request)
    view = await _off_loop(board.incident_view, dash.app, incident_id, before=before)
    context = {"view": view, "title": f"INC-{incident_id}"}
    return dash.render(request, "incident.html", context, viewer)


@router.get("/incidents/{incident_id}/report", response_class=HTMLResponse)
async def report_page(request: Request, incident_id: int) -> HTMLResponse:
    """The service-disruption report as `incident report` words it, rendered from Markdown."""
    dash, viewer = _who(request)
    markdown = await _off_loop(board.report_markdown, dash.app, incident_id)
    context = {"title": f"INC-{incident_id} report", "incident_id": incident_id,
               "report": report_html(markdown)}  # fmt: skip
    return dash.render(request, "report.html", context, viewer)


@router.get("/incidents/{incident_id}/live")
async def incident_live(request: Request, incident_id: int, after: int = 0) -> JSONResponse:
    """What the live timeline adds: the events after `after`, the header as it is now."""
    dash, _viewer = _who(request)
    incident, lines = await _off_loop(board.timeline_after, dash.app, incident_id, after)
    now = dash.app.clock.now()
    items = dash.env.get_template("_events.html").render(lines=lines)
    header = dash.env.get_template("_header.html").render(
        incident=incident, now=now, channel_url=dash.channel_url
    )
    last = lines[-1].id if lines else after
    return JSONResponse(
        {"after": last, "items": items, "header": header, "active": incident.active},
        headers={"Cache-Control": "no-store"},
    )


@router.get("/incidents/{incident_id}/report.md")
async def report_download(request: Request, incident_id: int) -> Response:
    dash, _ = _who(request)
    markdown = await _off_loop(board.report_markdown, dash.app, incident_id)
    return Response(
        markdown,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="INC-{incident_id}.md"'},
    )


def _filters(request: Request) -> tuple[board.Filters, dict[str, str], list[str]]:
    q = request.query_params
    raw = {k: q.get(k, "").strip() for k in ("q", "team", "from", "to", "min", "max")}
    errors: list[str] = []

    def day(key: str, *, end: bool) -> datetime | None:
        if not raw[key]:
            return None
        try:
            d = date.fromisoformat(raw[key])
        except ValueError:
            errors.append(f"{key}: `{raw[key]}` is not a date like 2026-12-01")
            return None
        at = datetime.combine(d, time(), tzinfo=UTC)
        return at + timedelta(days=1) if end else at

    def minutes(key: str) -> int | None:
        if not raw[key]:
            return None
        if not raw[key].isdigit():
            errors.append(f"{key}: `{raw[key]}` is not a number of minutes")
            return None
        return int(raw[key])

    f = board.Filters(
        text=raw["q"][:200],
        team=raw["team"] or None,
        since=day("from", end=False),
        until=day("to", end=True),
        min_minutes=minutes("min"),
        max_minutes=minutes("max"),
    )
    return f, raw, errors


@router.get("/history", response_class=HTMLResponse)
async def history_page(request: Request, page: int = 1) -> HTMLResponse:
    dash, viewer = _who(request)
    f, raw, errors = _filters(request)
    found = await _off_loop(board.history, dash.app, f, page=max(1, page))
    query = {k: v for k, v in raw.items() if v}
    context = {
        "found": found,
        "raw": raw,
        "errors": errors,
        "title": "History",
        "teams": sorted(dash.app.settings.teams),
        "now": dash.app.clock.now(),
        "query": urlencode(query),
        "team_of": lambda c: board.team_of(dash.app, c),
        "duration": board.duration,
    }
    return dash.render(request, "history.html", context, viewer)


@router.get("/history.csv")
async def history_csv(request: Request) -> Response:
    dash, _ = _who(request)
    f, _, _ = _filters(request)
    text = await _off_loop(board.history_csv, dash.app, f)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="incidents.csv"'},
    )


@router.get("/rotation", response_class=HTMLResponse)
async def rotation_page(request: Request) -> HTMLResponse:
    dash, viewer = _who(request)
    view = await _off_loop(board.rotation_view, dash.app)
    return dash.render(request, "rotation.html", {"view": view, "title": "Rotation"}, viewer)


@router.get("/charts", response_class=HTMLResponse)
async def charts_page(request: Request) -> HTMLResponse:
    dash, viewer = _who(request)
    found: dict[str, board.Series] = await _off_loop(board.charts, dash.app)
    drawn = [(name, s, Markup(svg.chart(s))) for name, s in found.items()]
    return dash.render(request, "charts.html", {"charts": drawn, "title": "Charts"}, viewer)


@router.get("/charts/{name}.csv")
async def chart_csv(request: Request, name: str) -> Response:
    dash, _ = _who(request)
    found: dict[str, board.Series] = await _off_loop(board.charts, dash.app)
    if name not in found:
        raise auth.Refusal(404, f"There is no chart `{name}`: {', '.join(found)}.")
    return Response(
        found[name].csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


# Buttons -------------------------------------------------------------------------------------


def _back(request: Request, fallback: str = "/") -> str:
    """Back where the form was (same site only)."""
    referer = request.headers.get("referer", "")
    base = str(request.base_url)
    return referer[len(base) - 1 :] if referer.startswith(base) else fallback


async def _act(request: Request, csrf: str, work: Any) -> RedirectResponse:
    dash, viewer = _who(request)
    auth.check_csrf(request, csrf)
    if not viewer.may_act:
        raise auth.Refusal(
            403,
            "Viewers read; acknowledging, resolving and unlocking need "
            "the responder role (web.auth.responders).",
        )
    try:
        done: api.Done = await asyncio.to_thread(work, dash, viewer)
    except (api.Refused, api.NotFound) as exc:
        request.session["flash"] = str(exc)
    else:
        if dash.web.deliver is not None and done.deliveries:
            await dash.web.deliver(done.deliveries)
        request.session["flash"] = " ".join(done.said) or "Done."
    log.info("dashboard %s by %s: %s", request.url.path, viewer.handle, request.session["flash"])
    return RedirectResponse(_back(request), status_code=303)


@router.post("/pages/{page_id}/ack")
async def ack(request: Request, page_id: int, csrf: Csrf) -> RedirectResponse:
    return await _act(
        request,
        csrf,
        lambda d, v: board.act(
            d.app, t.PagerUpdate("acknowledge", page_id), who=v.handle, platform=d.web.platform
        ),
    )


@router.post("/pages/{page_id}/resolve")
async def resolve(request: Request, page_id: int, csrf: Csrf) -> RedirectResponse:
    return await _act(
        request,
        csrf,
        lambda d, v: board.act(
            d.app, t.PagerUpdate("resolve", page_id), who=v.handle, platform=d.web.platform
        ),
    )


@router.post("/locks/unlock")
async def unlock(request: Request, stack: Annotated[str, Form()], csrf: Csrf) -> RedirectResponse:
    return await _act(request, csrf, lambda d, v: board.unlock(d.app, stack=stack, who=v.handle))


# Sign-in -------------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    """Only a path on this site: not `//host`, not `/\\host` (browsers read both as a host)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


@router.get("/login", response_class=HTMLResponse)
async def login(
    request: Request, next: str = "/", expired: int = 0, error: str = ""
) -> HTMLResponse:
    dash = _board(request)
    settings = dash.app.settings.web.auth
    context = {
        "title": "Sign in",
        "next": _safe_next(next),
        "expired": bool(expired),
        "error": error,
        "oidc": settings.oidc,
        "issuer": settings.oidc_issuer,
        "header": settings.trusted_header,
    }
    return dash.render(request, "login.html", context, None)


@router.get("/login/start")
async def login_start(request: Request, next: str = "/") -> Response:
    dash = _board(request)
    if dash.oidc is None:
        raise auth.Refusal(404, "OpenID Connect is not configured (web.auth.oidc_issuer).")
    request.session["next"] = _safe_next(next)
    public = dash.app.settings.web.auth.public_url
    redirect = (
        (public.rstrip("/") + "/auth/callback") if public else str(request.url_for("auth_callback"))
    )
    try:
        response: Response = await dash.oidc.authorize_redirect(request, redirect)
    except Exception as exc:  # the provider's discovery document is unreachable or wrong
        log.warning(
            "sign-in: the identity provider did not answer: %s: %s", type(exc).__name__, exc
        )
        raise auth.Refusal(502, "The identity provider did not answer; try again later.") from None
    return response


@router.get("/auth/callback", name="auth_callback")
async def auth_callback(request: Request) -> Response:
    dash = _board(request)
    settings = dash.app.settings.web.auth
    if dash.oidc is None:
        raise auth.Refusal(404, "OpenID Connect is not configured (web.auth.oidc_issuer).")
    if request.query_params.get("error"):
        said = request.query_params.get("error_description") or request.query_params["error"]
        log.warning("sign-in refused by the identity provider: %s", said)
        return RedirectResponse(
            "/login?" + urlencode({"error": f"The identity provider refused the sign-in: {said}"}),
            status_code=303,
        )
    try:
        token = await dash.oidc.authorize_access_token(request)
    except Exception as exc:  # authlib's OAuthError, a bad id_token, an unreachable provider
        log.warning("sign-in failed: %s: %s", type(exc).__name__, exc)
        return RedirectResponse(
            "/login?" + urlencode({"error": "The sign-in could not be completed; try again."}),
            status_code=303,
        )
    claims = dict(token.get("userinfo") or {})
    role = auth.role_for(settings, auth.identities(claims, settings))
    who = claims.get("email") or claims.get("sub")
    if role is None:
        log.warning("sign-in: %s is not in web.auth.viewers or responders", who)
        raise auth.Refusal(
            403,
            f"{who} may not use this dashboard: ask to be added to "
            "web.auth.viewers or web.auth.responders.",
        )
    next_url = _safe_next(request.session.get("next"))
    auth.start_session(
        request,
        settings,
        handle=auth.handle_of(claims, settings),
        name=str(claims.get("name") or who),
        role=role,
        now=dash.app.clock.now(),
    )
    log.info("sign-in: %s as %s", who, role)
    return RedirectResponse(next_url, status_code=303)


@router.post("/logout")
async def logout(request: Request, csrf: Csrf) -> RedirectResponse:
    auth.check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse(
        "/login?" + urlencode({"error": "You are signed out."}), status_code=303
    )
